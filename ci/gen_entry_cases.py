#!/usr/bin/env python3
"""Generates conformance/entry/{controls,host,guest,msr}/rules.vmx: one case
per VM-entry rule that a few VMWRITEs / memory stores on a `setup` template
can break alone.  Expectations come from the SDM (26.2: VMfailValid 7 for
controls, 8 for host state; 26.3: exit 33 with the rule's qualification;
26.4: exit 34 with the 1-based index of the failing MSR-load entry), and the
values from testmachine.h (the templates' state).  Run from the top of the
tree; `--check` exits 1 when the committed files differ."""
import os, sys

NONCANON = "0x4000000000000000"
BEYOND = "(1 << caps.maxphyaddr)"
PROC2 = ["vmwrite CPU_BASED_VM_EXEC_CONTROL caps.proc.must1 | (1 << 31)"]

def proc(bits):
    return ["vmwrite CPU_BASED_VM_EXEC_CONTROL caps.proc.must1 | " + bits]

def w(field, expr):
    return "vmwrite %s %s" % (field, expr)

IO = proc("(1 << 25)") + [w("IO_BITMAP_A", "0x405000"), w("IO_BITMAP_B", "0x406000")]
TPR = proc("(1 << 21)") + [w("VIRTUAL_APIC_PAGE_ADDR", "0x40a000"), w("TPR_THRESHOLD", "0")]

# (rule, template, requires, operations)
CONTROLS = [
    ("CR3_TARGET_COUNT", "vmcs64", "", [w("CR3_TARGET_COUNT", "((caps.misc >> 16) & 0x1ff) + 1")]),
    ("IO_BITMAP_A_ALIGN", "vmcs64", "io_bitmaps", IO + [w("IO_BITMAP_A", "0x405800")]),
    ("IO_BITMAP_A_ADDR", "vmcs64", "io_bitmaps", IO + [w("IO_BITMAP_A", "0x405000 | " + BEYOND)]),
    ("IO_BITMAP_B_ALIGN", "vmcs64", "io_bitmaps", IO + [w("IO_BITMAP_B", "0x406010")]),
    ("IO_BITMAP_B_ADDR", "vmcs64", "io_bitmaps", IO + [w("IO_BITMAP_B", "0x406000 | " + BEYOND)]),
    ("MSR_BITMAP_ALIGN", "vmcs64", "msr_bitmaps", proc("(1 << 28)") + [w("MSR_BITMAP", "0x404008")]),
    ("MSR_BITMAP_ADDR", "vmcs64", "msr_bitmaps", proc("(1 << 28)") + [w("MSR_BITMAP", "0x404000 | " + BEYOND)]),
    ("VIRTUAL_APIC_ALIGN", "vmcs64", "tpr_shadow", TPR + [w("VIRTUAL_APIC_PAGE_ADDR", "0x40a080")]),
    ("VIRTUAL_APIC_ADDR", "vmcs64", "tpr_shadow", TPR + [w("VIRTUAL_APIC_PAGE_ADDR", "0x40a000 | " + BEYOND)]),
    ("TPR_THRESHOLD_RESERVED", "vmcs64", "tpr_shadow", TPR + [w("TPR_THRESHOLD", "0x10")]),
    ("TPR_THRESHOLD_VTPR", "vmcs64", "tpr_shadow", TPR + ["write32 0x40a080 0x40", w("TPR_THRESHOLD", "5")]),
    ("NMI_WINDOW_NEEDS_VNMI", "vmcs64", "nmi_window_exiting", proc("(1 << 22)")),
    ("VPID_NONZERO", "vmcs64", "secondary_controls vpid",
     PROC2 + [w("SECONDARY_VM_EXEC_CONTROL", "caps.proc2.must1 | (1 << 5)"), w("VIRTUAL_PROCESSOR_ID", "0")]),
    ("EPTP.MEMTYPE", "vmcs64_ept", "secondary_controls ept", [w("EPT_POINTER", "0x410000 | 1 | (3 << 3)")]),
    ("EPTP.WALK_LENGTH", "vmcs64_ept", "secondary_controls ept", [w("EPT_POINTER", "0x410000 | 6 | (1 << 3)")]),
    ("EPTP.RESERVED", "vmcs64_ept", "secondary_controls ept", [w("EPT_POINTER", "0x410000 | 6 | (3 << 3) | 0x800")]),
    ("UNRESTRICTED_NEEDS_EPT", "vmcs_unrestricted", "secondary_controls ept unrestricted_guest",
     [w("SECONDARY_VM_EXEC_CONTROL", "caps.proc2.must1 | (1 << 7)")]),
    ("EXIT_MSR_STORE_ALIGN", "vmcs64", "", [w("VM_EXIT_MSR_STORE_COUNT", "1"), w("VM_EXIT_MSR_STORE_ADDR", "0x409008")]),
    ("EXIT_MSR_LOAD_ALIGN", "vmcs64", "", [w("VM_EXIT_MSR_LOAD_COUNT", "1"), w("VM_EXIT_MSR_LOAD_ADDR", "0x409004")]),
    ("ENTRY_MSR_LOAD_ALIGN", "vmcs64", "", [w("VM_ENTRY_MSR_LOAD_COUNT", "1"), w("VM_ENTRY_MSR_LOAD_ADDR", "0x409001")]),
    ("EVENT.TYPE", "vmcs64", "", [w("VM_ENTRY_INTR_INFO_FIELD", "0x80000120")]),
    ("EVENT.NMI_VECTOR", "vmcs64", "", [w("VM_ENTRY_INTR_INFO_FIELD", "0x80000203")]),
    ("EVENT.HW_EXC_VECTOR", "vmcs64", "", [w("VM_ENTRY_INTR_INFO_FIELD", "0x80000320")]),
    ("EVENT.ERR_CODE_VECTOR", "vmcs64", "", [w("VM_ENTRY_INTR_INFO_FIELD", "0x80000b06")]),
    ("EVENT.ERR_CODE_MISSING", "vmcs64", "", [w("VM_ENTRY_INTR_INFO_FIELD", "0x8000030d")]),
    ("EVENT.ERR_CODE_RESERVED", "vmcs64", "",
     [w("VM_ENTRY_INTR_INFO_FIELD", "0x80000b0d"), w("VM_ENTRY_EXCEPTION_ERROR_CODE", "0x10000")]),
    ("EVENT.RESERVED", "vmcs64", "", [w("GUEST_RFLAGS", "0x202"), w("VM_ENTRY_INTR_INFO_FIELD", "0x80001020")]),
    ("EVENT.INSN_LEN", "vmcs64", "", [w("VM_ENTRY_INTR_INFO_FIELD", "0x80000480"), w("VM_ENTRY_INSTRUCTION_LEN", "16")]),
]

HOST = [
    ("CR0_FIXED", [w("HOST_CR0", "0x80000011")]),
    ("CR4_FIXED", [w("HOST_CR4", "0x20")]),
    ("CR3_WIDTH", [w("HOST_CR3", "0x428000 | " + BEYOND)]),
    ("SYSENTER_ESP_CANONICAL", [w("HOST_IA32_SYSENTER_ESP", NONCANON)]),
    ("SYSENTER_EIP_CANONICAL", [w("HOST_IA32_SYSENTER_EIP", NONCANON)]),
    ("SEL.ES_TI_RPL", [w("HOST_ES_SELECTOR", "0x13")]),
    ("SEL.CS_TI_RPL", [w("HOST_CS_SELECTOR", "0x0c")]),
    ("SEL.SS_TI_RPL", [w("HOST_SS_SELECTOR", "0x11")]),
    ("SEL.DS_TI_RPL", [w("HOST_DS_SELECTOR", "0x12")]),
    ("SEL.FS_TI_RPL", [w("HOST_FS_SELECTOR", "0x14")]),
    ("SEL.GS_TI_RPL", [w("HOST_GS_SELECTOR", "0x13")]),
    ("SEL.TR_TI_RPL", [w("HOST_TR_SELECTOR", "0x24")]),
    ("SEL.CS_NULL", [w("HOST_CS_SELECTOR", "0")]),
    ("SEL.TR_NULL", [w("HOST_TR_SELECTOR", "0")]),
    ("FS_BASE_CANONICAL", [w("HOST_FS_BASE", NONCANON)]),
    ("GS_BASE_CANONICAL", [w("HOST_GS_BASE", NONCANON)]),
    ("GDTR_BASE_CANONICAL", [w("HOST_GDTR_BASE", NONCANON)]),
    ("IDTR_BASE_CANONICAL", [w("HOST_IDTR_BASE", NONCANON)]),
    ("TR_BASE_CANONICAL", [w("HOST_TR_BASE", NONCANON)]),
    ("ADDR_SPACE_IA32E", [w("VM_EXIT_CONTROLS", "caps.exit.must1"), w("VM_ENTRY_CONTROLS", "caps.entry.must1")]),
    ("CR4_PAE", [w("HOST_CR4", "0x2000")]),
    ("RIP_CANONICAL", [w("HOST_RIP", NONCANON)]),
]

# (rule, qualification, operations) on vmcs64
GUEST = [
    ("CR0_FIXED", 0, [w("GUEST_CR0", "0x80000011")]),
    ("CR4_FIXED", 0, [w("GUEST_CR4", "0x20")]),
    ("CR3_WIDTH", 0, [w("GUEST_CR3", "0x428000 | " + BEYOND)]),
    ("IA32E_NEEDS_PAE", 0, [w("GUEST_CR4", "0x2000")]),
    ("SYSENTER_ESP_CANONICAL", 0, [w("GUEST_SYSENTER_ESP", NONCANON)]),
    ("SYSENTER_EIP_CANONICAL", 0, [w("GUEST_SYSENTER_EIP", NONCANON)]),
    ("GDTR_BASE_CANONICAL", 0, [w("GUEST_GDTR_BASE", NONCANON)]),
    ("IDTR_BASE_CANONICAL", 0, [w("GUEST_IDTR_BASE", NONCANON)]),
    ("GDTR_LIMIT", 0, [w("GUEST_GDTR_LIMIT", "0x10000")]),
    ("IDTR_LIMIT", 0, [w("GUEST_IDTR_LIMIT", "0x10000")]),
    ("RIP_CANONICAL", 0, [w("GUEST_RIP", NONCANON)]),
    ("RFLAGS.RESERVED", 0, [w("GUEST_RFLAGS", "0xa")]),
    ("RFLAGS.IF", 0, [w("VM_ENTRY_INTR_INFO_FIELD", "0x80000020")]),
    ("ACTIVITY.STATE", 0, [w("GUEST_ACTIVITY_STATE", "4")]),
    ("INTR.RESERVED", 0, [w("GUEST_INTERRUPTIBILITY_INFO", "0x20")]),
    ("INTR.STI_MOVSS", 0, [w("GUEST_RFLAGS", "0x202"), w("GUEST_INTERRUPTIBILITY_INFO", "3")]),
    ("INTR.STI_IF", 0, [w("GUEST_INTERRUPTIBILITY_INFO", "1")]),
    ("INTR.SMI", 0, [w("GUEST_INTERRUPTIBILITY_INFO", "4")]),
    ("INTR.NMI_MOVSS", 0, [w("GUEST_INTERRUPTIBILITY_INFO", "2"), w("VM_ENTRY_INTR_INFO_FIELD", "0x80000202")]),
    ("PENDING_DBG.RESERVED", 0, [w("GUEST_PENDING_DBG_EXCEPTIONS", "0x10")]),
    ("LINK_PTR.ALIGN", 4, [w("VMCS_LINK_POINTER", "0x402008")]),
    ("LINK_PTR.ADDR", 4, [w("VMCS_LINK_POINTER", "0x402000 | " + BEYOND)]),
    ("LINK_PTR.REVISION", 4, ["write32 0x402000 caps.revision ^ 1", w("VMCS_LINK_POINTER", "0x402000")]),
    ("SEG.TR.SEL_TI", 0, [w("GUEST_TR_SELECTOR", "0x24")]),
    ("SEG.SS.SEL_RPL", 0, [w("GUEST_CS_SELECTOR", "0x0b")]),
    ("SEG.CS.L_D", 0, [w("GUEST_CS_AR_BYTES", "0xe09b")]),
    ("SEG.TR.TYPE", 0, [w("GUEST_TR_AR_BYTES", "0x83")]),
    ("SEG.TR.S", 0, [w("GUEST_TR_AR_BYTES", "0x9b")]),
    ("SEG.TR.P", 0, [w("GUEST_TR_AR_BYTES", "0x0b")]),
    ("SEG.TR.UNUSABLE", 0, [w("GUEST_TR_AR_BYTES", "0x1008b")]),
    ("SEG.CS.BASE_HIGH", 0, [w("GUEST_CS_BASE", "0x100000000")]),
    ("SEG.FS.BASE_CANONICAL", 0, [w("GUEST_FS_BASE", NONCANON)]),
    ("SEG.GS.BASE_CANONICAL", 0, [w("GUEST_GS_BASE", NONCANON)]),
    ("SEG.TR.BASE_CANONICAL", 0, [w("GUEST_TR_BASE", NONCANON)]),
]
AR = {"CS": 0xa09b}
for r in ["ES", "CS", "SS", "DS", "FS", "GS"]:
    ar = AR.get(r, 0xc093)
    typ = {"CS": 3, "SS": 11}.get(r, 2)
    GUEST += [
        ("SEG.%s.TYPE" % r, 0, [w("GUEST_%s_AR_BYTES" % r, hex((ar & ~0xf) | typ))]),
        ("SEG.%s.S" % r, 0, [w("GUEST_%s_AR_BYTES" % r, hex(ar & ~0x10))]),
        ("SEG.%s.P" % r, 0, [w("GUEST_%s_AR_BYTES" % r, hex(ar & ~0x80))]),
        ("SEG.%s.AR_RESERVED" % r, 0, [w("GUEST_%s_AR_BYTES" % r, hex(ar | 0x100))]),
        ("SEG.%s.GRANULARITY" % r, 0, [w("GUEST_%s_LIMIT" % r, "0xfffff000")]),
    ]
    if r not in ("CS", "SS"):
        GUEST.append(("SEG.%s.DPL" % r, 0, [w("GUEST_%s_SELECTOR" % r, "0x13")]))

# (rule, msr index quadword, value): entry 2 of the MSR-load area fails
MSR = [
    ("RESERVED", "0x100000174", "0"),
    ("FS_GS_BASE", "0xc0000100", "0"),
    ("X2APIC", "0x808", "0"),
    ("SMM_MONITOR", "0x9b", "0"),
    ("WRMSR_GP", "0x480", "0"),
    ("EFER", "0xc0000080", "0x502"),
    ("PAT", "0x277", "2"),
    ("CANONICAL", "0xc0000082", NONCANON),
]

def case(name, rule, tmpl, req, ops, expect):
    out = ["case " + name, "checks " + rule]
    if req:
        out.append("requires " + req)
    out += ["vmxon", "expect ok", "setup " + tmpl] + ops + ["vmlaunch", "expect " + expect, ""]
    return "\n".join(out)

HEADER = "# Generated by ci/gen_entry_cases.py from its tables: do not edit.\n# %s\n\n"

def files():
    f = {}
    f["controls"] = HEADER % "SDM 26.2.1: a control-field rule broken alone gives VMfailValid(7)." + "\n".join(
        case("entry.ctl." + r.lower(), "ENTRY.CTL." + r, t, q, o, "fail_valid 7") for r, t, q, o in CONTROLS)
    f["host"] = HEADER % "SDM 26.2.2-26.2.4: a host-state rule broken alone gives VMfailValid(8)." + "\n".join(
        case("entry.host." + r.lower(), "ENTRY.HOST." + r, "vmcs64", "", o, "fail_valid 8") for r, o in HOST)
    f["guest"] = HEADER % "SDM 26.3.1, 26.8: a guest-state rule broken alone gives exit 33 with its qualification." + "\n".join(
        case("entry.guest." + r.lower(), "ENTRY.GUEST." + r, "vmcs64", "", o, "entry_fail 33 qual=%d" % q) for r, q, o in GUEST)
    msr_ops = lambda idx, v: [w("VM_ENTRY_MSR_LOAD_COUNT", "2"), w("VM_ENTRY_MSR_LOAD_ADDR", "0x409000"),
                              "write64 0x409000 0x174", "write64 0x409008 0",
                              "write64 0x409010 " + idx, "write64 0x409018 " + v]
    f["msr"] = HEADER % "SDM 26.4: the first failing MSR-load entry (here the 2nd) gives exit 34, qualification 2." + "\n".join(
        case("entry.msr.load." + r.lower(), "ENTRY.MSR.LOAD." + r, "vmcs64", "", msr_ops(i, v), "entry_fail 34 qual=2") for r, i, v in MSR)
    return {"conformance/entry/%s/rules.vmx" % k: v for k, v in f.items()}

def main():
    check = "--check" in sys.argv
    stale = 0
    for path, text in files().items():
        if check:
            try:
                stale += open(path).read() != text
            except OSError:
                stale += 1
            continue
        os.makedirs(os.path.dirname(path), exist_ok=True)
        open(path, "w").write(text)
    if stale:
        print("conformance/entry is stale: run ci/gen_entry_cases.py", file=sys.stderr)
    return 1 if stale else 0

if __name__ == "__main__":
    sys.exit(main())
