/* The TPR shadow in L2 (guest_apic.c, guest_cr.c, event.c): MOV CR8
 * through VTPR (SDM 29.3), TPR virtualization and its trap-like "TPR below
 * threshold" exit (29.1.2, exit reason 43, qualification 0), the same
 * comparison right after VM entry (26.7.7) and where it stands among the
 * other things that happen before L2's first instruction; the x2APIC TPR
 * MSR with "virtualize x2APIC mode" (29.5). */
#include <string.h>
#include "suites.h"
#include "l2_fixture.h"

#define VTPR (TM_VIRTUAL_APIC + 0x80)
#define P2_APIC_ACCESS 1u
#define PIN_PREEMPT (1u << 6)

static struct refvmm *m;
static struct result res;

static void setup(void)
{
	m = l2_machine();
	gw(m, VF_VIRTUAL_APIC_PAGE_ADDR, TM_VIRTUAL_APIC);
	gw(m, VF_CPU_BASED_VM_EXEC_CONTROL, PROC_TPR_SHADOW);
}

static void teardown(void)
{
	refvmm_destroy(m);
}

/* A launch of the block, with RFLAGS and the interruptibility state the
 * VMCS's guest-state area gives (what VM entry loads). */
static void run(const struct rop *ops, uint32_t n)
{
	struct cpu_state l2 = l2_entry_state();
	l2.rflags = gv(m, VF_GUEST_RFLAGS) | 2;
	l2.interruptibility = (uint32_t)gv(m, VF_GUEST_INTERRUPTIBILITY_INFO);
	l2_run(m, &res, ops, n, &l2);
}

static bool fired(enum rule_id r)
{
	return l2_fired(&res, r);
}

static void expect_exit(uint32_t reason)
{
	ck_assert_uint_eq(res.nalt, 1);
	ck_assert_uint_eq(res.alt[0].kind, OUT_EXIT);
	ck_assert_uint_eq(res.alt[0].num, reason);
	ck_assert_uint_eq(gv(m, VF_VM_EXIT_REASON), reason);
}

/* 27.2.1: qualification 0; 27.2.5: no instruction length for exit 43. */
static void expect_tpr_exit(uint64_t rip)
{
	expect_exit(XR_TPR_BELOW_THRESHOLD);
	ck_assert_uint_eq(res.alt[0].have & EXF_LEN, 0);
	ck_assert_uint_eq(gv(m, VF_EXIT_QUALIFICATION), 0);
	ck_assert_uint_eq(gv(m, VF_GUEST_RIP), rip);
}

#define CR8_TO(v)  { .op = OP_G_MOV_TO_CR, .a = { 8, (v) } }
#define CR8_FROM   { .op = OP_G_MOV_FROM_CR, .a = { 8 } }

/* 29.3: VTPR[7:4] := source[3:0]; VTPR[3:0] and bits 31:8 are cleared. */
START_TEST(cr8_load_writes_vtpr)
{
	ck_assert(mem_write32(&m->mem, VTPR, 0xdeadbeef));
	ck_assert(mem_write32(&m->mem, VTPR + 4, 0x12345678));
	gw(m, VF_TPR_THRESHOLD, 7);
	struct rop ops[] = { CR8_TO(7) };
	run(ops, 1);
	expect_exit(XR_VMCALL);
	ck_assert_uint_eq(mem_read32(&m->mem, VTPR), 0x70);
	ck_assert_uint_eq(mem_read32(&m->mem, VTPR + 4), 0x12345678);   /* only VTPR's dword */
	ck_assert(fired(R_APIC_CR8_LOAD_VTPR));
	ck_assert(!fired(R_APIC_TPR_BELOW_THRESHOLD));
}
END_TEST

/* 29.1.2: below the threshold, a trap-like exit: the MOV completed (VTPR
 * written) and GUEST_RIP is the next instruction; the harness does not
 * advance it again on VMRESUME. */
START_TEST(cr8_load_below_threshold_is_trap_like)
{
	ck_assert(mem_write32(&m->mem, VTPR, 0x50));   /* as entry requires (26.2.1.1) */
	gw(m, VF_TPR_THRESHOLD, 5);
	struct rop ops[] = { CR8_TO(4), { .op = OP_G_CPUID } };
	run(ops, 2);
	expect_tpr_exit(m->vmx.block_rip[0] + m->vmx.block_len[0]);
	ck_assert_uint_eq(mem_read32(&m->mem, VTPR), 0x40);
	ck_assert(fired(R_APIC_TPR_BELOW_THRESHOLD));
	ck_assert_uint_eq(m->vmx.exit_advance, 0);
}
END_TEST

/* CR8-load exiting comes first: VTPR untouched, exit 28 (qual: CR 8). */
START_TEST(cr8_load_exiting_first)
{
	gw(m, VF_CPU_BASED_VM_EXEC_CONTROL, PROC_TPR_SHADOW | PROC_CR8_LOAD);
	gw(m, VF_TPR_THRESHOLD, 15);
	ck_assert(mem_write32(&m->mem, VTPR, 0xf0));
	struct rop ops[] = { CR8_TO(0x10) };
	run(ops, 1);
	expect_exit(XR_CR_ACCESS);
	ck_assert_uint_eq(res.alt[0].qual, 8);
	ck_assert_uint_eq(mem_read32(&m->mem, VTPR), 0xf0);
	ck_assert(!fired(R_APIC_CR8_RESERVED));
}
END_TEST

/* Bits 63:4 set: #GP(0) (here through the exception bitmap), VTPR kept. */
START_TEST(cr8_load_reserved_bits)
{
	gw(m, VF_EXCEPTION_BITMAP, 1u << 13);
	ck_assert(mem_write32(&m->mem, VTPR, 0x30));
	struct rop ops[] = { CR8_TO(1ull << 63) };
	run(ops, 1);
	expect_exit(XR_EXCEPTION_NMI);
	ck_assert_uint_eq(res.alt[0].intr, 0x80000b0d);
	ck_assert_uint_eq(res.alt[0].intr_err, 0);
	ck_assert_uint_eq(mem_read32(&m->mem, VTPR), 0x30);
	ck_assert(fired(R_APIC_CR8_RESERVED));
}
END_TEST

/* MOV from CR8: VTPR[7:4], bits 63:4 clear (the handler, so L2's RAX can
 * be read before an exit loads L1's state). */
START_TEST(cr8_store_reads_vtpr)
{
	memset(&res, 0, sizeof res);
	m->res = &res;
	m->cpu = l2_entry_state();
	ck_assert(mem_write32(&m->mem, VTPR, 0xffffffab));
	m->cpu.gpr[RAX] = ~0ull;
	struct rop op = CR8_FROM;
	ck_assert_int_eq(guest_cr_ops[OP_G_MOV_FROM_CR](m, &op), G_NEXT);
	ck_assert_uint_eq(m->cpu.gpr[RAX], 0xa);
	ck_assert(fired(R_APIC_CR8_STORE_VTPR));
}
END_TEST

START_TEST(cr8_store_exiting_first)
{
	gw(m, VF_CPU_BASED_VM_EXEC_CONTROL, PROC_TPR_SHADOW | PROC_CR8_STORE);
	struct rop ops[] = { CR8_FROM };
	run(ops, 1);
	expect_exit(XR_CR_ACCESS);
	ck_assert_uint_eq(res.alt[0].qual, 0x18);
	ck_assert(!fired(R_APIC_CR8_STORE_VTPR));
}
END_TEST

/* Without the TPR shadow CR8 is the local APIC's TPR: not modelled, and
 * the model says so instead of guessing. */
START_TEST(cr8_unmodelled_parts)
{
	gw(m, VF_CPU_BASED_VM_EXEC_CONTROL, 0);
	struct rop ops[] = { CR8_FROM };
	run(ops, 1);
	ck_assert_uint_eq(res.alt[0].kind, OUT_UNMODELLED);
	struct rop ops2[] = { CR8_TO(1) };
	run(ops2, 1);
	ck_assert_uint_eq(res.alt[0].kind, OUT_UNMODELLED);
}
END_TEST

/* 26.7.7 with "virtualize APIC accesses": the exit comes before the first
 * instruction when threshold[3:0] > VTPR[7:4], not when equal. */
static void apic_access(uint32_t vtpr, uint32_t thr)
{
	gw(m, VF_CPU_BASED_VM_EXEC_CONTROL, proc(m) | PROC_TPR_SHADOW | PROC_SECONDARY);
	gw(m, VF_SECONDARY_VM_EXEC_CONTROL, P2_APIC_ACCESS);
	gw(m, VF_APIC_ACCESS_ADDR, TM_APIC_ACCESS);
	ck_assert(mem_write32(&m->mem, VTPR, vtpr));
	gw(m, VF_TPR_THRESHOLD, thr);
}

static const struct rop one_cpuid[] = { { .op = OP_G_CPUID } };

START_TEST(entry_threshold)
{
	apic_access(0x2f, 3);
	run(one_cpuid, 1);
	expect_tpr_exit(TM_GUEST_CODE);
	ck_assert(fired(R_APIC_TPR_THRESHOLD_ON_ENTRY));
	apic_access(0x30, 3);
	run(one_cpuid, 1);
	expect_exit(XR_CPUID);
}
END_TEST

/* It follows the delivery of an injected event (RIP at the handler). */
START_TEST(entry_threshold_after_injection)
{
	apic_access(0, 1);
	gw(m, VF_VM_ENTRY_INTR_INFO_FIELD, 0x80000306);   /* #UD, hardware exception */
	run(one_cpuid, 1);
	expect_tpr_exit(TM_GUEST_IDT_STUBS + 6 * TM_GUEST_STUB_SIZE);
	ck_assert(fired(R_EVENT_INJECT_DELIVERY));
}
END_TEST

/* It has priority over a pending MTF exit, a zero preemption timer, the
 * NMI and interrupt windows, and RFLAGS.IF/blocking do not hold it. */
START_TEST(entry_threshold_priority)
{
	struct { uint32_t pin, proc, intr_info, rflags, interruptibility; } c[] = {
		{ 0, 0, 0x80000700, 0, 0 },                   /* pending MTF (26.6.2) */
		{ PIN_PREEMPT, 0, 0, 0, 0 },                  /* timer value 0 (26.7.4) */
		{ 0, PROC_NMI_WINDOW, 0, 0, 0 },              /* 26.7.6 */
		{ 0, PROC_INTR_WINDOW, 0, 0x200, 0 },         /* 26.7.5 */
		{ 0, 0, 0, 0, BLOCK_STI | BLOCK_MOVSS },
	};
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		gw(m, VF_PIN_BASED_VM_EXEC_CONTROL, c[i].pin);
		gw(m, VF_VMX_PREEMPTION_TIMER_VALUE, 0);
		gw(m, VF_CPU_BASED_VM_EXEC_CONTROL, c[i].proc);
		gw(m, VF_VM_ENTRY_INTR_INFO_FIELD, c[i].intr_info);
		gw(m, VF_GUEST_RFLAGS, c[i].rflags);
		gw(m, VF_GUEST_INTERRUPTIBILITY_INFO, c[i].interruptibility);
		apic_access(0x10, 2);
		run(one_cpuid, 1);
		ck_assert_msg(res.alt[0].num == XR_TPR_BELOW_THRESHOLD, "case %zu: exit %u", i, res.alt[0].num);
	}
}
END_TEST

/* 26.7.7: the exit wakes HLT (activity state 1) but waits in shutdown (2)
 * or wait-for-SIPI (3) for an event the model has no source of. */
START_TEST(entry_threshold_activity)
{
	struct cpu_state l2 = l2_entry_state();
	apic_access(0, 1);
	for (uint32_t act = 1; act <= 3; act++) {
		l2.activity = act;
		l2_run(m, &res, one_cpuid, 1, &l2);
		if (act == 1)
			expect_tpr_exit(TM_GUEST_CODE);
		else
			ck_assert_msg(res.alt[0].kind == OUT_UNMODELLED, "activity %u: kind %u num %u",
				      act, res.alt[0].kind, res.alt[0].num);
	}
}
END_TEST

/* Without the TPR shadow or with virtual-interrupt delivery, no such exit. */
START_TEST(entry_threshold_needs_tpr_shadow_without_vid)
{
	apic_access(0, 1);
	gw(m, VF_SECONDARY_VM_EXEC_CONTROL, P2_APIC_ACCESS | PROC2_VID);
	run(one_cpuid, 1);
	expect_exit(XR_CPUID);
	gw(m, VF_CPU_BASED_VM_EXEC_CONTROL, 0);
	run(one_cpuid, 1);
	expect_exit(XR_CPUID);
	ck_assert(!fired(R_APIC_TPR_THRESHOLD_ON_ENTRY));
}
END_TEST

/* ---- 29.5: the x2APIC TPR MSR with "virtualize x2APIC mode" ---- */

static void x2apic(void)
{
	gw(m, VF_CPU_BASED_VM_EXEC_CONTROL, PROC_TPR_SHADOW | PROC_SECONDARY | PROC_MSR_BITMAPS);
	gw(m, VF_SECONDARY_VM_EXEC_CONTROL, PROC2_X2APIC_MODE);
	gw(m, VF_MSR_BITMAP, TM_MSR_BITMAP);
}

/* WRMSR 808H: VTPR := EAX, bytes 84H-87H := 0, then TPR virtualization
 * (here at the threshold: no exit; below it: trap-like exit 43). */
START_TEST(x2apic_wrmsr_tpr)
{
	x2apic();
	ck_assert(mem_write32(&m->mem, VTPR, ~0u));
	ck_assert(mem_write32(&m->mem, VTPR + 4, ~0u));
	gw(m, VF_TPR_THRESHOLD, 3);
	struct rop ops[] = { { .op = OP_G_WRMSR, .a = { 0x808, 0x3c } } };
	run(ops, 1);
	expect_exit(XR_VMCALL);
	ck_assert_uint_eq(mem_read32(&m->mem, VTPR), 0x3c);
	ck_assert_uint_eq(mem_read32(&m->mem, VTPR + 4), 0);
	ck_assert(fired(R_APIC_X2APIC_TPR_WRITE));
	struct rop below[] = { { .op = OP_G_WRMSR, .a = { 0x808, 0x2f } } };
	run(below, 1);
	expect_tpr_exit(m->vmx.block_rip[0] + m->vmx.block_len[0]);
	ck_assert_uint_eq(mem_read32(&m->mem, VTPR), 0x2f);
}
END_TEST

/* Bits 63:8 of EDX:EAX: #GP(0), VTPR unchanged. */
START_TEST(x2apic_wrmsr_reserved)
{
	x2apic();
	gw(m, VF_EXCEPTION_BITMAP, 1u << 13);
	uint64_t bad[] = { 0x100, 1ull << 32 };
	for (size_t i = 0; i < 2; i++) {
		ck_assert(mem_write32(&m->mem, VTPR, 0x70));
		struct rop ops[] = { { .op = OP_G_WRMSR, .a = { 0x808, bad[i] } } };
		run(ops, 1);
		expect_exit(XR_EXCEPTION_NMI);
		ck_assert_uint_eq(res.alt[0].intr, 0x80000b0d);
		ck_assert_uint_eq(mem_read32(&m->mem, VTPR), 0x70);
		ck_assert(fired(R_APIC_X2APIC_TPR_RESERVED));
	}
}
END_TEST

/* RDMSR 808H: EDX:EAX := bytes 80H-87H (the handler, to see L2's RAX/RDX). */
START_TEST(x2apic_rdmsr_tpr)
{
	x2apic();
	memset(&res, 0, sizeof res);
	m->res = &res;
	m->cpu = l2_entry_state();
	ck_assert(mem_write32(&m->mem, VTPR, 0x5a));
	ck_assert(mem_write32(&m->mem, VTPR + 4, 0x1234));
	struct rop op = { .op = OP_G_RDMSR, .a = { 0x808 } };
	ck_assert_int_eq(guest_msr_ops[OP_G_RDMSR](m, &op), G_NEXT);
	ck_assert_uint_eq(m->cpu.gpr[RAX], 0x5a);
	ck_assert_uint_eq(m->cpu.gpr[RDX], 0x1234);
	ck_assert(fired(R_APIC_X2APIC_TPR_READ));
}
END_TEST

/* Only 808H, and only with "virtualize x2APIC mode"; the bitmap first. */
START_TEST(x2apic_scope)
{
	x2apic();
	struct rop eoi[] = { { .op = OP_G_WRMSR, .a = { 0x80b, 0 } } };
	run(eoi, 1);
	ck_assert_uint_eq(res.alt[0].kind, OUT_UNMODELLED);
	gw(m, VF_SECONDARY_VM_EXEC_CONTROL, 0);
	struct rop tpr[] = { { .op = OP_G_RDMSR, .a = { 0x808 } } };
	run(tpr, 1);
	ck_assert_uint_eq(res.alt[0].kind, OUT_UNMODELLED);
	x2apic();
	l2_set_bit(m, TM_MSR_BITMAP, 0x808);   /* read-low bitmap */
	run(tpr, 1);
	expect_exit(XR_RDMSR);
	ck_assert(!fired(R_APIC_X2APIC_TPR_READ));
}
END_TEST

/* ---- virtual-interrupt delivery (29.1.3, 29.2) ---- */

#define VPPR (TM_VIRTUAL_APIC + 0xa0)
#define VISR(v) (TM_VIRTUAL_APIC + 0x100 + 16 * ((v) / 32))
#define VIRR(v) (TM_VIRTUAL_APIC + 0x200 + 16 * ((v) / 32))
#define BIT(v) (1u << ((v) % 32))

static void vid(uint32_t rvi, uint32_t svi, uint64_t rflags)
{
	gw(m, VF_CPU_BASED_VM_EXEC_CONTROL, PROC_TPR_SHADOW | PROC_SECONDARY);
	gw(m, VF_SECONDARY_VM_EXEC_CONTROL, PROC2_VID);
	gw(m, VF_GUEST_INTR_STATUS, svi << 8 | rvi);
	gw(m, VF_GUEST_RFLAGS, rflags);
}

/* 29.1.3 at entry: VPPR is VTPR when VTPR[7:4] >= SVI[7:4], else SVI & F0H
 * (bits 31:8 cleared either way). */
START_TEST(vid_ppr_on_entry)
{
	struct { uint32_t vtpr, svi, vppr; } c[] = {
		{ 0x45, 0x30, 0x45 }, { 0x45, 0x4f, 0x45 }, { 0x20, 0x5f, 0x50 }, { 0x00, 0x00, 0x00 },
	};
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		vid(0, c[i].svi, 2);
		ck_assert(mem_write32(&m->mem, VTPR, c[i].vtpr));
		ck_assert(mem_write32(&m->mem, VPPR, 0xffffffff));
		run(one_cpuid, 1);
		expect_exit(XR_CPUID);
		ck_assert_uint_eq(mem_read32(&m->mem, VPPR), c[i].vppr);
		ck_assert(fired(R_APIC_VID_PPR));
	}
}
END_TEST

/* 29.2.2: the highest pending vector goes in service, the next one becomes
 * RVI, and the interrupt is delivered through the IDT before L2's first
 * instruction; its stub's VMCALL exits. */
START_TEST(vid_delivery)
{
	vid(0x61, 0, 0x202);
	ck_assert(mem_write32(&m->mem, VIRR(0x61), BIT(0x61)));
	ck_assert(mem_write32(&m->mem, VIRR(0x33), BIT(0x33)));
	run(one_cpuid, 1);
	expect_exit(XR_VMCALL);
	ck_assert_uint_eq(gv(m, VF_GUEST_RIP), TM_GUEST_IDT_STUBS + 0x61 * TM_GUEST_STUB_SIZE);
	ck_assert_uint_eq(gv(m, VF_GUEST_INTR_STATUS), 0x6133);
	ck_assert_uint_eq(mem_read32(&m->mem, VISR(0x61)), BIT(0x61));
	ck_assert_uint_eq(mem_read32(&m->mem, VIRR(0x61)), 0);
	ck_assert_uint_eq(mem_read32(&m->mem, VIRR(0x33)), BIT(0x33));
	ck_assert_uint_eq(mem_read32(&m->mem, VPPR), 0x60);
	ck_assert_uint_eq(gv(m, VF_GUEST_RFLAGS) & 0x200, 0);   /* through an interrupt gate */
	ck_assert(fired(R_APIC_VID_DELIVERY));
}
END_TEST

/* Not delivered: class not above VPPR, IF = 0, or interrupt-window
 * exiting (then that exit instead). */
START_TEST(vid_no_delivery)
{
	struct { uint32_t rvi, vtpr, intr; uint64_t rflags; uint32_t proc, reason; } c[] = {
		{ 0x45, 0x40, 0, 0x202, 0, XR_CPUID },
		{ 0x45, 0x00, 0, 0x002, 0, XR_CPUID },
		{ 0x45, 0x00, 0, 0x202, PROC_INTR_WINDOW, XR_INTERRUPT_WINDOW },
	};
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		vid(c[i].rvi, 0, c[i].rflags);
		gw(m, VF_CPU_BASED_VM_EXEC_CONTROL, proc(m) | c[i].proc);
		gw(m, VF_GUEST_INTERRUPTIBILITY_INFO, c[i].intr);
		ck_assert(mem_write32(&m->mem, VTPR, c[i].vtpr));
		run(one_cpuid, 1);
		ck_assert_msg(res.alt[0].num == c[i].reason, "case %zu: exit %u", i, res.alt[0].num);
		ck_assert_uint_eq(gv(m, VF_GUEST_INTR_STATUS), c[i].rvi);
	}
}
END_TEST

/* Blocking by STI or MOV SS holds delivery for one instruction: the
 * first one (mov eax, imm32 of cpuid's operand loads, 5 bytes) completes
 * and the interrupt returns to the one after it. */
START_TEST(vid_blocking_delays)
{
	uint32_t blocking[] = { BLOCK_STI, BLOCK_MOVSS };
	for (size_t i = 0; i < 2; i++) {
		vid(0x45, 0, 0x202);
		gw(m, VF_GUEST_INTERRUPTIBILITY_INFO, blocking[i]);
		ck_assert(mem_write32(&m->mem, VIRR(0x45), BIT(0x45)));
		run(one_cpuid, 1);
		expect_exit(XR_VMCALL);
		ck_assert_uint_eq(gv(m, VF_GUEST_RIP), TM_GUEST_IDT_STUBS + 0x45 * TM_GUEST_STUB_SIZE);
		ck_assert_uint_eq(mem_read64(&m->mem, gv(m, VF_GUEST_RSP)), TM_GUEST_CODE + 5);
	}
}
END_TEST

/* MOV CR8 with virtual-interrupt delivery: no threshold exit, PPR
 * virtualization; a lowered TPR lets the interrupt in after the MOV,
 * with the next instruction as its return address. */
START_TEST(vid_cr8_write)
{
	vid(0x30, 0, 0x202);
	gw(m, VF_TPR_THRESHOLD, 0xf);   /* ignored with virtual-interrupt delivery */
	ck_assert(mem_write32(&m->mem, VTPR, 0x40));
	ck_assert(mem_write32(&m->mem, VIRR(0x30), BIT(0x30)));
	struct rop ops[] = { CR8_TO(2) };
	run(ops, 1);
	expect_exit(XR_VMCALL);
	ck_assert_uint_eq(gv(m, VF_GUEST_RIP), TM_GUEST_IDT_STUBS + 0x30 * TM_GUEST_STUB_SIZE);
	uint64_t ret = mem_read64(&m->mem, gv(m, VF_GUEST_RSP));
	ck_assert_uint_eq(ret, m->vmx.block_rip[0] + m->vmx.block_len[0]);
	ck_assert(!fired(R_APIC_TPR_BELOW_THRESHOLD));
}
END_TEST

/* ---- EOI and self-IPI virtualization through x2APIC MSRs ---- */

static void x2apic_vid(uint32_t status, uint64_t rflags)
{
	vid(status & 0xff, status >> 8, rflags);
	gw(m, VF_CPU_BASED_VM_EXEC_CONTROL, proc(m) | PROC_MSR_BITMAPS);
	gw(m, VF_SECONDARY_VM_EXEC_CONTROL, PROC2_VID | PROC2_X2APIC_MODE);
	gw(m, VF_MSR_BITMAP, TM_MSR_BITMAP);
}

/* 29.1.4: the vector in service leaves VISR, the next highest becomes SVI,
 * VPPR follows (29.1.3); no EOI-exit bit: no exit. */
START_TEST(eoi_virtualization)
{
	x2apic_vid(0x6100, 2);
	ck_assert(mem_write32(&m->mem, VISR(0x61), BIT(0x61)));
	ck_assert(mem_write32(&m->mem, VISR(0x22), BIT(0x22)));
	struct rop ops[] = { { .op = OP_G_WRMSR, .a = { 0x80b, 0 } } };
	run(ops, 1);
	expect_exit(XR_VMCALL);
	ck_assert_uint_eq(gv(m, VF_GUEST_INTR_STATUS), 0x2200);
	ck_assert_uint_eq(mem_read32(&m->mem, VISR(0x61)), 0);
	ck_assert_uint_eq(mem_read32(&m->mem, VPPR), 0x20);
	ck_assert(fired(R_APIC_X2APIC_EOI));
	ck_assert(!fired(R_APIC_VID_EOI_EXIT));
}
END_TEST

/* With the vector's EOI-exit bit: trap-like exit 45, qualification = vector. */
START_TEST(eoi_exit)
{
	x2apic_vid(0x8100, 2);
	ck_assert(mem_write32(&m->mem, VISR(0x81), BIT(0x81)));
	gw(m, VF_EOI_EXIT_BITMAP2, 1ull << 1);
	struct rop ops[] = { { .op = OP_G_WRMSR, .a = { 0x80b, 0 } } };
	run(ops, 1);
	expect_exit(XR_VIRTUALIZED_EOI);
	ck_assert_uint_eq(res.alt[0].qual, 0x81);
	ck_assert_uint_eq(res.alt[0].have & EXF_LEN, 0);
	ck_assert_uint_eq(gv(m, VF_GUEST_RIP), m->vmx.block_rip[0] + m->vmx.block_len[0]);
	ck_assert_uint_eq(gv(m, VF_GUEST_INTR_STATUS), 0);
}
END_TEST

/* 29.1.5: VIRR[v] := 1, RVI := max(RVI, v); IF = 0 keeps it pending.
 * EDX:EAX bits 63:8 (83FH) or any bit (80BH): #GP(0). */
START_TEST(self_ipi_virtualization)
{
	x2apic_vid(0x0050, 2);
	struct rop ops[] = { { .op = OP_G_WRMSR, .a = { 0x83f, 0x40 } } };
	run(ops, 1);
	expect_exit(XR_VMCALL);
	ck_assert_uint_eq(gv(m, VF_GUEST_INTR_STATUS), 0x50);
	ck_assert_uint_eq(mem_read32(&m->mem, VIRR(0x40)), BIT(0x40));
	ck_assert(fired(R_APIC_X2APIC_SELF_IPI));
	struct rop hi[] = { { .op = OP_G_WRMSR, .a = { 0x83f, 0x70 } } };
	run(hi, 1);
	ck_assert_uint_eq(gv(m, VF_GUEST_INTR_STATUS), 0x70);
	gw(m, VF_EXCEPTION_BITMAP, 1u << 13);
	struct rop bad[] = { { .op = OP_G_WRMSR, .a = { 0x83f, 0x140 } }, { .op = OP_G_WRMSR, .a = { 0x80b, 1 } } };
	for (int i = 0; i < 2; i++) {
		run(&bad[i], 1);
		expect_exit(XR_EXCEPTION_NMI);
		ck_assert_uint_eq(res.alt[0].intr, 0x80000b0d);
	}
}
END_TEST

/* A self-IPI below 16 (an APIC-write exit) and EOI without virtual-
 * interrupt delivery are not modelled. */
START_TEST(x2apic_vid_unmodelled)
{
	x2apic_vid(0, 2);
	struct rop low[] = { { .op = OP_G_WRMSR, .a = { 0x83f, 0xf } } };
	run(low, 1);
	ck_assert_uint_eq(res.alt[0].kind, OUT_UNMODELLED);
	gw(m, VF_SECONDARY_VM_EXEC_CONTROL, PROC2_X2APIC_MODE);
	struct rop eoi[] = { { .op = OP_G_WRMSR, .a = { 0x80b, 0 } } };
	run(eoi, 1);
	ck_assert_uint_eq(res.alt[0].kind, OUT_UNMODELLED);
}
END_TEST

/* 29.2.2: HLT ends at once when a virtual interrupt will be deliverable
 * after it (STI's blocking ends with HLT); the return address is the
 * instruction after HLT.  Without one, nothing would wake it. */
START_TEST(vid_hlt_wake)
{
	vid(0x30, 0, 2);
	ck_assert(mem_write32(&m->mem, VIRR(0x30), BIT(0x30)));
	struct rop ops[] = { { .op = OP_G_STI }, { .op = OP_G_HLT } };
	run(ops, 2);
	expect_exit(XR_VMCALL);
	ck_assert_uint_eq(gv(m, VF_GUEST_RIP), TM_GUEST_IDT_STUBS + 0x30 * TM_GUEST_STUB_SIZE);
	ck_assert_uint_eq(mem_read64(&m->mem, gv(m, VF_GUEST_RSP)), m->vmx.block_rip[1] + m->vmx.block_len[1]);
	ck_assert(fired(R_APIC_VID_HLT_WAKE));
	/* masked by VTPR, or IF = 0 (no STI): HLT would wait */
	ck_assert(mem_write32(&m->mem, VTPR, 0x30));
	run(ops, 2);
	ck_assert_uint_eq(res.alt[0].kind, OUT_UNMODELLED);
	ck_assert(mem_write32(&m->mem, VTPR, 0));
	run(&ops[1], 1);
	ck_assert_uint_eq(res.alt[0].kind, OUT_UNMODELLED);
}
END_TEST

/* 29.5 with APIC-register virtualization: RDMSR of 800H-8FFH reads
 * offset (ECX & FFH) << 4 of the virtual-APIC page; without it, only 808H. */
START_TEST(x2apic_register_reads)
{
	x2apic();
	memset(&res, 0, sizeof res);
	m->res = &res;
	m->cpu = l2_entry_state();
	ck_assert(mem_write32(&m->mem, TM_VIRTUAL_APIC + 0x20, 0x11));
	ck_assert(mem_write32(&m->mem, TM_VIRTUAL_APIC + 0x24, 0x22));
	struct rop op = { .op = OP_G_RDMSR, .a = { 0x802 } };
	ck_assert_int_eq(guest_msr_ops[OP_G_RDMSR](m, &op), G_UNMODELLED);
	gw(m, VF_SECONDARY_VM_EXEC_CONTROL, PROC2_X2APIC_MODE | PROC2_APIC_REG);
	ck_assert_int_eq(guest_msr_ops[OP_G_RDMSR](m, &op), G_NEXT);
	ck_assert_uint_eq(m->cpu.gpr[RAX], 0x11);
	ck_assert_uint_eq(m->cpu.gpr[RDX], 0x22);
	ck_assert(fired(R_APIC_X2APIC_REG_READ));
	struct rop out = { .op = OP_G_RDMSR, .a = { 0x900 } };
	ck_assert_int_eq(guest_msr_ops[OP_G_RDMSR](m, &out), G_UNMODELLED);
}
END_TEST

/* 29.4: with "virtualize APIC accesses" and no TPR shadow, a data read,
 * a data write and an instruction fetch on the APIC-access page exit
 * (44), fault-like, qualification = offset | access type << 12 (0, 1, 2),
 * when the translation uses a 4-KByte page (29.4.5; through a 2-MByte
 * page the access may act as if the control were 0: unmodelled); with the
 * TPR shadow, an 8-byte access still exits (29.4.2: more than 32 bits). */
START_TEST(apic_access_exits)
{
	gw(m, VF_CPU_BASED_VM_EXEC_CONTROL, PROC_SECONDARY);
	gw(m, VF_SECONDARY_VM_EXEC_CONTROL, PROC2_APIC_ACCESS);
	gw(m, VF_APIC_ACCESS_ADDR, TM_APIC_ACCESS);
	ck_assert(mem_write32(&m->mem, TM_APIC_ACCESS + 0x10, 0xc1010f));   /* vmcall */
	struct rop big[] = { { .op = OP_G_READ, .a = { TM_APIC_ACCESS + 0x30 } } };
	run(big, 1);
	ck_assert_uint_eq(res.alt[0].kind, OUT_UNMODELLED);
	ck_assert(mem_write64(&m->mem, TM_PAGE_TABLES + 0x2000 + 8 * 2, TM_PT_4K | TM_PTE_DIR));
	static const struct { uint16_t op; uint64_t a0; uint64_t qual, rip; } acc[] = {
		{ OP_G_READ, TM_APIC_ACCESS + 0x30, 0x0030, TM_GUEST_CODE + 10 },
		{ OP_G_WRITE, TM_APIC_ACCESS + 0x80, 0x1080, TM_GUEST_CODE + 20 },
		{ OP_G_EXEC, TM_APIC_ACCESS + 0x10, 0x2010, TM_APIC_ACCESS + 0x10 },
	};
	for (unsigned i = 0; i < 3; i++) {
		struct rop b[] = { { .op = acc[i].op, .a = { acc[i].a0, 5 } } };
		gw(m, VF_GUEST_RIP, TM_GUEST_CODE);
		run(b, 1);
		expect_exit(XR_APIC_ACCESS);
		ck_assert_uint_eq(res.alt[0].have, EXF_QUAL);
		ck_assert_uint_eq(gv(m, VF_EXIT_QUALIFICATION), acc[i].qual);
		ck_assert_uint_eq(gv(m, VF_GUEST_RIP), acc[i].rip);
		ck_assert(fired(R_APIC_ACCESS_LINEAR));
	}
	/* with the TPR shadow: no 8-byte access is virtualized */
	gw(m, VF_CPU_BASED_VM_EXEC_CONTROL, PROC_SECONDARY | PROC_TPR_SHADOW);
	struct rop r[] = { { .op = OP_G_READ, .a = { TM_APIC_ACCESS + 0x80 } } };
	run(r, 1);
	expect_exit(XR_APIC_ACCESS);
	ck_assert_uint_eq(gv(m, VF_EXIT_QUALIFICATION), 0x80);
	ck_assert(fired(R_APIC_ACCESS_SIZE));
	/* control off: ordinary memory */
	gw(m, VF_CPU_BASED_VM_EXEC_CONTROL, PROC_SECONDARY);
	gw(m, VF_SECONDARY_VM_EXEC_CONTROL, 0);
	gw(m, VF_GUEST_RIP, TM_GUEST_CODE);
	run(r, 1);
	expect_exit(XR_VMCALL);
}
END_TEST

static Suite *apic_suite(void)
{
	Suite *s = suite_create("apic");
	TCase *t = tcase_create("tpr_shadow");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, cr8_load_writes_vtpr);
	tcase_add_test(t, cr8_load_below_threshold_is_trap_like);
	tcase_add_test(t, cr8_load_exiting_first);
	tcase_add_test(t, cr8_load_reserved_bits);
	tcase_add_test(t, cr8_store_reads_vtpr);
	tcase_add_test(t, cr8_store_exiting_first);
	tcase_add_test(t, cr8_unmodelled_parts);
	tcase_add_test(t, entry_threshold);
	tcase_add_test(t, entry_threshold_after_injection);
	tcase_add_test(t, entry_threshold_priority);
	tcase_add_test(t, entry_threshold_needs_tpr_shadow_without_vid);
	tcase_add_test(t, entry_threshold_activity);
	tcase_add_test(t, x2apic_wrmsr_tpr);
	tcase_add_test(t, x2apic_wrmsr_reserved);
	tcase_add_test(t, x2apic_rdmsr_tpr);
	tcase_add_test(t, x2apic_scope);
	tcase_add_test(t, vid_ppr_on_entry);
	tcase_add_test(t, vid_delivery);
	tcase_add_test(t, vid_no_delivery);
	tcase_add_test(t, vid_blocking_delays);
	tcase_add_test(t, vid_cr8_write);
	tcase_add_test(t, eoi_virtualization);
	tcase_add_test(t, eoi_exit);
	tcase_add_test(t, self_ipi_virtualization);
	tcase_add_test(t, x2apic_vid_unmodelled);
	tcase_add_test(t, vid_hlt_wake);
	tcase_add_test(t, x2apic_register_reads);
	tcase_add_test(t, apic_access_exits);
	suite_add_tcase(s, t);
	return s;
}

SUITE_REGISTER(apic_suite)
