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

TIGER = "bochs-tigerlake"                  # CET, SPP, monitor trap flag
SANDY = "bochs-corei7_sandy_bridge_2600k"  # no EPT A/D flags
SKYLAKE = "bochs-corei7_skylake_x"         # IA32_VMX_BASIC[56] = 0
LAST16 = "(1 << caps.maxphyaddr) - 16"     # 2 entries: the last byte is beyond the width

def sec(bits):
    return PROC2 + [w("SECONDARY_VM_EXEC_CONTROL", "caps.proc2.must1 | " + bits)]

def sec_ept(bits):   # on vmcs64_ept: EPT stays on
    return [w("SECONDARY_VM_EXEC_CONTROL", "caps.proc2.must1 | (1 << 1) | " + bits)]

TPR2 = proc("(1 << 21) | (1 << 31)") + [w("VIRTUAL_APIC_PAGE_ADDR", "0x40a000"), w("TPR_THRESHOLD", "0")]
VMFUNC = sec_ept("(1 << 13)") + [w("VM_FUNCTION_CONTROL", "1"), w("EPTP_LIST_ADDRESS", "0x40d000")]
SHADOW = sec("(1 << 14)") + [w("VMREAD_BITMAP", "0x407000"), w("VMWRITE_BITMAP", "0x408000")]

# (rule, template, requires, operations[, profile])
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
    # 26.2.1.3: the vector checks on the error code hold only where
    # IA32_VMX_BASIC[56] = 0 (A.1); Tiger Lake reports 1
    ("EVENT.ERR_CODE_VECTOR", "vmcs64", "", [w("VM_ENTRY_INTR_INFO_FIELD", "0x80000b06")], SKYLAKE),
    ("EVENT.ERR_CODE_MISSING", "vmcs64", "", [w("VM_ENTRY_INTR_INFO_FIELD", "0x8000030d")], SKYLAKE),
    ("EVENT.ERR_CODE_RESERVED", "vmcs64", "",
     [w("VM_ENTRY_INTR_INFO_FIELD", "0x80000b0d"), w("VM_ENTRY_EXCEPTION_ERROR_CODE", "0x10000")]),
    ("EVENT.RESERVED", "vmcs64", "", [w("GUEST_RFLAGS", "0x202"), w("VM_ENTRY_INTR_INFO_FIELD", "0x80001020")]),
    ("EVENT.INSN_LEN", "vmcs64", "", [w("VM_ENTRY_INTR_INFO_FIELD", "0x80000480"), w("VM_ENTRY_INSTRUCTION_LEN", "16")]),
    # SDM 26.2.1.1: addresses of the APIC-access page, PML buffer, EPTP list,
    # VMREAD/VMWRITE bitmaps and #VE information area (4-KByte aligned,
    # within the physical-address width), and the controls that need others.
    ("APIC_ACCESS_ALIGN", "vmcs64", "secondary_controls virtualize_apic_accesses",
     sec("(1 << 0)") + [w("APIC_ACCESS_ADDR", "0x40b004")]),
    ("APIC_ACCESS_ADDR", "vmcs64", "secondary_controls virtualize_apic_accesses",
     sec("(1 << 0)") + [w("APIC_ACCESS_ADDR", "0x40b000 | " + BEYOND)]),
    ("PML_ALIGN", "vmcs64_ept", "secondary_controls ept pml", sec_ept("(1 << 17)") + [w("PML_ADDRESS", "0x40c800")]),
    ("PML_ADDR", "vmcs64_ept", "secondary_controls ept pml", sec_ept("(1 << 17)") + [w("PML_ADDRESS", "0x40c000 | " + BEYOND)]),
    ("PML_NEEDS_EPT", "vmcs64", "secondary_controls pml", sec("(1 << 17)") + [w("PML_ADDRESS", "0x40c000")]),
    ("EPTP_LIST_ALIGN", "vmcs64_ept", "secondary_controls ept vmfunc eptp_switching", VMFUNC + [w("EPTP_LIST_ADDRESS", "0x40d100")]),
    ("EPTP_LIST_ADDR", "vmcs64_ept", "secondary_controls ept vmfunc eptp_switching",
     VMFUNC + [w("EPTP_LIST_ADDRESS", "0x40d000 | " + BEYOND)]),
    ("VMFUNC_EPTP_SWITCH_NEEDS_EPT", "vmcs64", "secondary_controls vmfunc eptp_switching",
     sec("(1 << 13)") + [w("VM_FUNCTION_CONTROL", "1"), w("EPTP_LIST_ADDRESS", "0x40d000")]),
    # the lowest VM function IA32_VMX_VMFUNC does not offer (A.11)
    ("VMFUNC_CONTROLS", "vmcs64", "secondary_controls vmfunc",
     sec("(1 << 13)") + [w("VM_FUNCTION_CONTROL", "~caps.vmfunc & (caps.vmfunc + 1)")]),
    ("VMREAD_BITMAP_ALIGN", "vmcs64", "secondary_controls vmcs_shadowing", SHADOW + [w("VMREAD_BITMAP", "0x407200")]),
    ("VMREAD_BITMAP_ADDR", "vmcs64", "secondary_controls vmcs_shadowing", SHADOW + [w("VMREAD_BITMAP", "0x407000 | " + BEYOND)]),
    ("VMWRITE_BITMAP_ALIGN", "vmcs64", "secondary_controls vmcs_shadowing", SHADOW + [w("VMWRITE_BITMAP", "0x408200")]),
    ("VMWRITE_BITMAP_ADDR", "vmcs64", "secondary_controls vmcs_shadowing", SHADOW + [w("VMWRITE_BITMAP", "0x408000 | " + BEYOND)]),
    ("VE_INFO_ALIGN", "vmcs64_ept", "secondary_controls ept ept_violation_ve",
     sec_ept("(1 << 18)") + [w("VE_INFORMATION_ADDRESS", "0x40e002")]),
    ("VE_INFO_ADDR", "vmcs64_ept", "secondary_controls ept ept_violation_ve",
     sec_ept("(1 << 18)") + [w("VE_INFORMATION_ADDRESS", "0x40e000 | " + BEYOND)]),
    ("X2APIC_NEEDS_TPR_SHADOW", "vmcs64", "secondary_controls virtualize_x2apic_mode", sec("(1 << 4)")),
    ("APIC_REG_VIRT_NEEDS_TPR_SHADOW", "vmcs64", "secondary_controls apic_register_virtualization", sec("(1 << 8)")),
    ("VID_NEEDS_TPR_SHADOW", "vmcs64", "secondary_controls virtual_interrupt_delivery external_interrupt_exiting",
     [w("PIN_BASED_VM_EXEC_CONTROL", "caps.pin.must1 | (1 << 0)")] + sec("(1 << 9)")),
    ("VNMI_NEEDS_NMI_EXITING", "vmcs64", "virtual_nmis", [w("PIN_BASED_VM_EXEC_CONTROL", "caps.pin.must1 | (1 << 5)")]),
    ("X2APIC_VS_APIC_ACCESS", "vmcs64", "tpr_shadow secondary_controls virtualize_x2apic_mode virtualize_apic_accesses",
     TPR2 + [w("SECONDARY_VM_EXEC_CONTROL", "caps.proc2.must1 | (1 << 0) | (1 << 4)"), w("APIC_ACCESS_ADDR", "0x40b000")]),
    ("VID_NEEDS_EXT_INT_EXITING", "vmcs64", "tpr_shadow secondary_controls virtual_interrupt_delivery",
     TPR2 + [w("SECONDARY_VM_EXEC_CONTROL", "caps.proc2.must1 | (1 << 9)")]),
    # 28.2.6: EPTP bit 6 where IA32_VMX_EPT_VPID_CAP[21] = 0 (Sandy Bridge)
    ("EPTP.AD", "vmcs64_ept", "secondary_controls ept", [w("EPT_POINTER", "0x410000 | 6 | (3 << 3) | (1 << 6)")], SANDY),
    ("SPP_NEEDS_EPT", "vmcs64", "secondary_controls sub_page_write_permissions",
     sec("(1 << 23)") + [w("SPPT_POINTER", "0x460000")], TIGER),
    ("SPPTP_ADDR", "vmcs64_ept", "secondary_controls ept sub_page_write_permissions",
     sec_ept("(1 << 23)") + [w("SPPT_POINTER", "0x460800")], TIGER),
    # "use TSC scaling" with a multiplier of 0 (Bochs 2.7 refuses it too)
    ("TSC_MULTIPLIER", "vmcs64", "secondary_controls tsc_scaling",
     sec("(1 << 25)") + [w("TSC_MULTIPLIER", "0")]),
    # 26.2.1.2: VM-exit controls and the last byte of the MSR areas
    ("SAVE_TIMER_NEEDS_TIMER", "vmcs64", "save_preemption_timer",
     [w("VM_EXIT_CONTROLS", "caps.exit.must1 | (1 << 9) | (1 << 22)")]),
    ("EXIT_MSR_STORE_ADDR", "vmcs64", "", [w("VM_EXIT_MSR_STORE_COUNT", "2"), w("VM_EXIT_MSR_STORE_ADDR", LAST16)]),
    ("EXIT_MSR_LOAD_ADDR", "vmcs64", "", [w("VM_EXIT_MSR_LOAD_COUNT", "2"), w("VM_EXIT_MSR_LOAD_ADDR", LAST16)]),
    ("ENTRY_MSR_LOAD_ADDR", "vmcs64", "", [w("VM_ENTRY_MSR_LOAD_COUNT", "2"), w("VM_ENTRY_MSR_LOAD_ADDR", LAST16)]),
    # 26.2.1.3: the event to inject and the SMM controls
    ("EVENT.OTHER_VECTOR", "vmcs64", "monitor_trap_flag", [w("VM_ENTRY_INTR_INFO_FIELD", "0x80000701")], TIGER),
    ("EVENT.ERR_CODE_PE", "vmcs_unrestricted", "secondary_controls ept unrestricted_guest",
     [w("VM_ENTRY_INTR_INFO_FIELD", "0x80000b0d"), w("VM_ENTRY_EXCEPTION_ERROR_CODE", "0")]),
    ("EVENT.ERR_CODE_TYPE", "vmcs64", "", [w("VM_ENTRY_INTR_INFO_FIELD", "0x80000c0d"),
     w("VM_ENTRY_EXCEPTION_ERROR_CODE", "0"), w("VM_ENTRY_INSTRUCTION_LEN", "2")]),
    ("ENTRY_SMM", "vmcs64", "", [w("VM_ENTRY_CONTROLS", "caps.entry.must1 | (1 << 9) | (1 << 10)")]),
    ("DEACTIVATE_DUAL_MONITOR", "vmcs64", "", [w("VM_ENTRY_CONTROLS", "caps.entry.must1 | (1 << 9) | (1 << 11)")]),
]

X64 = "caps.exit.must1 | (1 << 9)"    # the templates' VM-exit controls
HOST_CET = [w("VM_EXIT_CONTROLS", X64 + " | (1 << 28)"), w("HOST_S_CET", "0"), w("HOST_SSP", "0"),
            w("HOST_INTR_SSP_TABLE", "0")]

# (rule, operations[, requires[, profile]]) on vmcs64
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
    # 26.2.2: CR4.CET needs CR0.WP (the template's host CR0 has WP = 0).  The
    # rule holds whatever the controls; load CET state = 1 (valid CET state)
    # because Bochs 2.7 checks it only then and otherwise hands L1 CR4.CET
    # without WP at the exit, which breaks the cases after it.
    ("CET_NEEDS_WP", HOST_CET + [w("HOST_CR0", "0x80000031"), w("HOST_CR4", "0x802020")], "load_cet", TIGER),
    # 26.2.2: the MSRs the VM-exit controls load
    ("PERF_GLOBAL_RESERVED", [w("VM_EXIT_CONTROLS", X64 + " | (1 << 12)"), w("HOST_IA32_PERF_GLOBAL_CTRL", "1 << 60")],
     "load_perf_global_ctrl"),
    ("PAT", [w("VM_EXIT_CONTROLS", X64 + " | (1 << 19)"), w("HOST_IA32_PAT", "0x0007040600070402")], "load_pat"),
    ("EFER.RESERVED", [w("VM_EXIT_CONTROLS", X64 + " | (1 << 21)"), w("HOST_IA32_EFER", "0x502")], "load_efer"),
    ("EFER.LMA", [w("VM_EXIT_CONTROLS", X64 + " | (1 << 21)"), w("HOST_IA32_EFER", "0x100")], "load_efer"),
    ("EFER.LME", [w("VM_EXIT_CONTROLS", X64 + " | (1 << 21)"), w("HOST_IA32_EFER", "0x400")], "load_efer"),
    ("S_CET_RESERVED", HOST_CET + [w("HOST_S_CET", "0x40")], "load_cet", TIGER),
    ("SSP_CANONICAL", HOST_CET + [w("HOST_SSP", NONCANON)], "load_cet", TIGER),
    ("INTR_SSP_TABLE_CANONICAL", HOST_CET + [w("HOST_INTR_SSP_TABLE", NONCANON)], "load_cet", TIGER),
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

E64 = "caps.entry.must1 | (1 << 9)"   # vmcs64's VM-entry controls (IA-32e mode guest)
UNR = "secondary_controls ept unrestricted_guest"
GUEST_CET = [w("VM_ENTRY_CONTROLS", E64 + " | (1 << 20)"), w("GUEST_S_CET", "0"), w("GUEST_SSP", "0"),
             w("GUEST_INTR_SSP_TABLE", "0")]
# Virtual-8086 mode from vmcs64 (26.3.1.2): IA-32e mode guest = 0, 32-bit
# paging, every data and code segment selector 44H, base 440H, limit FFFFH,
# access rights F3H.
V86 = [w("VM_ENTRY_CONTROLS", "caps.entry.must1"), w("GUEST_CR4", "0x2000")]
for r in ["ES", "CS", "SS", "DS", "FS", "GS"]:
    V86 += [w("GUEST_%s_SELECTOR" % r, "0x44"), w("GUEST_%s_BASE" % r, "0x440"),
            w("GUEST_%s_LIMIT" % r, "0xffff"), w("GUEST_%s_AR_BYTES" % r, "0xf3")]
V86 += [w("GUEST_RFLAGS", "0x20002")]
# PAE paging outside IA-32e mode (26.3.1.6): a 32-bit code segment
PAE = [w("VM_ENTRY_CONTROLS", "caps.entry.must1"), w("GUEST_CS_AR_BYTES", "0xc09b")]
# CPL 3 in 64-bit mode: the test machine's user selectors, DPL 3
CPL3 = [w("GUEST_SS_SELECTOR", "0x33"), w("GUEST_SS_AR_BYTES", "0xc0f3"),
        w("GUEST_CS_SELECTOR", "0x3b"), w("GUEST_CS_AR_BYTES", "0xa0fb")]

# A 64-bit interrupt gate 2 (selector 08H, P, type EH) to an IRETQ at
# SCRATCH + 0xe000, in an IDT at SCRATCH + 0xf000 (SDM 6.14.1).
IRET_NMI = ["write64 SCRATCH + 0xe000 0xcf48", "write64 SCRATCH + 0xf020 0x00468e000008e000",
            "write64 SCRATCH + 0xf028 0", w("GUEST_IDTR_BASE", "SCRATCH + 0xf000")]

# (rule, qualification, operations, options): template, requires, profile,
# expect (an outcome set where the SDM leaves a choice), name (a second case
# for one rule)
def g(rule, ops, qual=0, **opt):
    return (rule, qual, ops, opt)

GUEST += [
    # 26.3.1.1: control registers, debug registers, MSRs
    g("CR0_PG_PE", [w("GUEST_CR0", "0x80000030")], template="vmcs_unrestricted", requires=UNR),
    g("CET_NEEDS_WP", [w("GUEST_CR0", "0x80000031"), w("GUEST_CR4", "0x802020")], profile=TIGER),
    g("DEBUGCTL_RESERVED", [w("VM_ENTRY_CONTROLS", E64 + " | (1 << 2)"), w("GUEST_IA32_DEBUGCTL", "4")]),
    g("DR7_HIGH", [w("VM_ENTRY_CONTROLS", E64 + " | (1 << 2)"), w("GUEST_DR7", "0x100000400")]),
    g("IA32E_NEEDS_PG", [w("VM_ENTRY_CONTROLS", E64), w("GUEST_CR4", "0x2020")],
      template="vmcs_unrestricted", requires=UNR),
    g("NOT_IA32E_PCIDE", [w("GUEST_CR4", "0x22000")], template="vmcs_unrestricted", requires=UNR),
    g("PERF_GLOBAL_RESERVED", [w("VM_ENTRY_CONTROLS", E64 + " | (1 << 13)"),
      w("GUEST_IA32_PERF_GLOBAL_CTRL", "1 << 60")], requires="entry_load_perf_global_ctrl"),
    g("PAT", [w("VM_ENTRY_CONTROLS", E64 + " | (1 << 14)"), w("GUEST_IA32_PAT", "0x0007040600070403")],
      requires="entry_load_pat"),
    g("EFER.RESERVED", [w("VM_ENTRY_CONTROLS", E64 + " | (1 << 15)"), w("GUEST_IA32_EFER", "0x504")],
      requires="entry_load_efer"),
    g("EFER.LMA", [w("VM_ENTRY_CONTROLS", E64 + " | (1 << 15)"), w("GUEST_IA32_EFER", "0x100")],
      requires="entry_load_efer"),
    g("EFER.LME", [w("VM_ENTRY_CONTROLS", E64 + " | (1 << 15)"), w("GUEST_IA32_EFER", "0x400")],
      requires="entry_load_efer"),
    g("S_CET_RESERVED", GUEST_CET + [w("GUEST_S_CET", "0x40")], requires="entry_load_cet", profile=TIGER),
    g("SSP_CANONICAL", GUEST_CET + [w("GUEST_SSP", NONCANON)], requires="entry_load_cet", profile=TIGER),
    g("INTR_SSP_TABLE_CANONICAL", GUEST_CET + [w("GUEST_INTR_SSP_TABLE", NONCANON)],
      requires="entry_load_cet", profile=TIGER),
    # 26.3.1.4: RIP and RFLAGS
    g("RIP_HIGH", [w("GUEST_RIP", "0x100000000")], template="vmcs_unrestricted", requires=UNR),
    g("RFLAGS.VM", V86[2:]),   # virtual-8086 segments, IA-32e mode guest still 1
    # 26.3.1.5: activity state
    g("ACTIVITY.HLT_SS_DPL", CPL3 + [w("GUEST_ACTIVITY_STATE", "1")], requires="activity_hlt"),
    g("ACTIVITY.STI_MOVSS", [w("GUEST_INTERRUPTIBILITY_INFO", "2"), w("GUEST_ACTIVITY_STATE", "1")],
      requires="activity_hlt"),
    g("ACTIVITY.INJECT_HLT", [w("GUEST_ACTIVITY_STATE", "1"), w("VM_ENTRY_INTR_INFO_FIELD", "0x80000306")],
      requires="activity_hlt"),
    g("ACTIVITY.INJECT_SHUTDOWN", [w("GUEST_ACTIVITY_STATE", "2"), w("VM_ENTRY_INTR_INFO_FIELD", "0x80000306")],
      requires="activity_shutdown"),
    g("ACTIVITY.INJECT_SIPI", [w("GUEST_ACTIVITY_STATE", "3"), w("VM_ENTRY_INTR_INFO_FIELD", "0x80000202")],
      requires="activity_wait_sipi"),
    # 26.3.1.5: interruptibility state
    g("INTR.EXT_INT_BLOCKED", [w("GUEST_RFLAGS", "0x202"), w("GUEST_INTERRUPTIBILITY_INFO", "2"),
      w("VM_ENTRY_INTR_INFO_FIELD", "0x80000020")]),
    # "A processor may require blocking by STI to be 0" when injecting an
    # NMI: either the entry fails (26.8, qualification 3) or the NMI is
    # delivered through L2's IDT gate 2, whose stub's VMCALL exits.
    g("INTR.NMI_STI", [w("GUEST_RFLAGS", "0x202"), w("GUEST_INTERRUPTIBILITY_INFO", "1"),
      w("VM_ENTRY_INTR_INFO_FIELD", "0x80000202")], 3, expect="{ entry_fail 33 qual=3, exit VMCALL }"),
    # L2's NMI handler is an IRETQ (an IDT in scratch memory, gate 2 ->
    # SCRATCH + 0xe000): a backend that wrongly delivers the NMI also ends
    # the virtual-NMI blocking it set, which Bochs 2.7 would otherwise carry
    # into the next VM entry whatever the interruptibility state says.
    g("INTR.VNMI_NMI", [w("PIN_BASED_VM_EXEC_CONTROL", "caps.pin.must1 | (1 << 3) | (1 << 5)"),
      w("GUEST_INTERRUPTIBILITY_INFO", "8"), w("VM_ENTRY_INTR_INFO_FIELD", "0x80000202")] + IRET_NMI,
      requires="nmi_exiting virtual_nmis"),
    # enclave interruption with blocking by MOV SS: broken with or without SGX
    g("INTR.ENCLAVE", [w("GUEST_INTERRUPTIBILITY_INFO", "0x12")]),
    # 26.3.1.5: pending debug exceptions (BS against RFLAGS.TF under MOV SS
    # blocking; RTM with B0 set)
    g("PENDING_DBG.BS_SET", [w("GUEST_RFLAGS", "0x102"), w("GUEST_INTERRUPTIBILITY_INFO", "2")]),
    g("PENDING_DBG.BS_CLEAR", [w("GUEST_INTERRUPTIBILITY_INFO", "2"), w("GUEST_PENDING_DBG_EXCEPTIONS", "0x4000")]),
    g("PENDING_DBG.RTM", [w("GUEST_PENDING_DBG_EXCEPTIONS", "0x11001")]),
    g("PENDING_DBG.RESERVED", [w("GUEST_PENDING_DBG_EXCEPTIONS", "0x8000")], name="pending_dbg.reserved_bit15"),
    # 26.3.1.5: bit 31 of the linked VMCS equals VMCS shadowing (0 here)
    g("LINK_PTR.SHADOW", ["write32 0x402000 caps.revision | 0x80000000", w("VMCS_LINK_POINTER", "0x402000")], 4),
    # 26.3.1.6: PAE paging; without EPT the PDPTEs come from guest CR3
    # (qualification 2), with EPT from the PDPTE fields
    g("PDPTE.RESERVED", PAE + [w("GUEST_CR3", "0x460000"), "write64 0x460000 3"], 2),
    # 26.8: qualification 2 is "a problem loading the PDPTEs (26.3.1.6)",
    # and 26.3.1.6 covers the PDPTE fields with EPT as well
    g("PDPTE_FIELD.RESERVED", PAE + [w("GUEST_PDPTR0", "3"), w("GUEST_PDPTR1", "0"), w("GUEST_PDPTR2", "0"),
      w("GUEST_PDPTR3", "0")], 2, template="vmcs64_ept", requires="secondary_controls ept"),
    # 26.3.1.2: segment registers
    g("SEG.LDTR.SEL_TI", [w("GUEST_LDTR_SELECTOR", "4"), w("GUEST_LDTR_AR_BYTES", "0x82")]),
    g("SEG.LDTR.BASE_CANONICAL", [w("GUEST_LDTR_AR_BYTES", "0x82"), w("GUEST_LDTR_BASE", NONCANON)]),
    g("SEG.SS.BASE_HIGH", [w("GUEST_SS_BASE", "0x100000000")]),
    g("SEG.DS.BASE_HIGH", [w("GUEST_DS_BASE", "0x100000000")]),
    g("SEG.ES.BASE_HIGH", [w("GUEST_ES_BASE", "0x100000000")]),
    g("SEG.CS.DPL_NONCONF", [w("GUEST_CS_AR_BYTES", "0xa0bb")]),
    g("SEG.CS.DPL_CONF", [w("GUEST_CS_AR_BYTES", "0xa0ff")]),
    g("SEG.CS.DPL_ACCESSED_DATA", [w("GUEST_CS_AR_BYTES", "0x80b3")], template="vmcs_unrestricted", requires=UNR),
    g("SEG.SS.DPL", [w("GUEST_SS_AR_BYTES", "0xc0f3"), w("GUEST_CS_AR_BYTES", "0xa0fb")]),
    g("SEG.TR.AR_RESERVED", [w("GUEST_TR_AR_BYTES", "0x18b")]),
    g("SEG.TR.GRANULARITY", [w("GUEST_TR_LIMIT", "0x100000")]),
    g("SEG.LDTR.TYPE", [w("GUEST_LDTR_AR_BYTES", "0x83")]),
    g("SEG.LDTR.S", [w("GUEST_LDTR_AR_BYTES", "0x92")]),
    g("SEG.LDTR.P", [w("GUEST_LDTR_AR_BYTES", "0x02")]),
    g("SEG.LDTR.AR_RESERVED", [w("GUEST_LDTR_AR_BYTES", "0x182")]),
    g("SEG.LDTR.GRANULARITY", [w("GUEST_LDTR_AR_BYTES", "0x82"), w("GUEST_LDTR_LIMIT", "0x100000")]),
]
for r in ["ES", "CS", "SS", "DS", "FS", "GS"]:
    GUEST.append(g("SEG.%s.V86" % r, V86 + [w("GUEST_%s_AR_BYTES" % r, "0xf2")]))

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

# L2's code is a lone VMCALL: a backend that wrongly enters exits at once
# (the divergence shows as "exit VMCALL") instead of running stale code.
GUARD = "guest { vmcall }"

def case(name, rule, tmpl, req, ops, expect, profile=""):
    out = ["case " + name, "checks " + rule]
    if req:
        out.append("requires " + req)
    if profile:
        out.append("profile " + profile)
    out += ["vmxon", "expect ok", "setup " + tmpl] + ops + [GUARD, "vmlaunch", "expect " + expect, ""]
    return "\n".join(out)

def guest_case(rule, qual, ops, opt=None):
    opt = opt or {}
    return case("entry.guest." + opt.get("name", rule.lower()), "ENTRY.GUEST." + rule, opt.get("template", "vmcs64"),
                opt.get("requires", ""), ops, opt.get("expect", "entry_fail 33 qual=%d" % qual), opt.get("profile", ""))

HEADER = "# Generated by ci/gen_entry_cases.py from its tables: do not edit.\n# %s\n\n"

def files():
    f = {}
    f["controls"] = HEADER % "SDM 26.2.1: a control-field rule broken alone gives VMfailValid(7)." + "\n".join(
        case("entry.ctl." + r.lower(), "ENTRY.CTL." + r, t, q, o, "fail_valid 7", (p + [""])[0])
        for r, t, q, o, *p in CONTROLS)
    f["host"] = HEADER % "SDM 26.2.2-26.2.4: a host-state rule broken alone gives VMfailValid(8)." + "\n".join(
        case("entry.host." + r.lower(), "ENTRY.HOST." + r, "vmcs64", (x + ["", ""])[0], o, "fail_valid 8",
             (x + ["", ""])[1]) for r, o, *x in HOST)
    f["guest"] = HEADER % "SDM 26.3.1, 26.8: a guest-state rule broken alone gives exit 33 with its qualification." + "\n".join(
        guest_case(*row) for row in GUEST)
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
