/* L2 execution and VM exits (guest.c, guest_insn.c, guest_exc.c, exit.c):
 * a VMCS built by hand in the model's region layout, an entry simulated by
 * loading L2 state, then guest_run().  Expected exit information from the
 * SDM: reasons (Appendix C), qualification (27.2.1), instruction length
 * (27.2.5), instruction information (27.2.4), interruption information
 * (27.2.2), host state after the exit (27.5). */
#include <stdlib.h>
#include <string.h>
#include "suites.h"
#include "l2_fixture.h"

static struct refvmm *m;
static struct result res;
static uint32_t idt_limit = TM_IDT_LIMIT;   /* L2's IDTR limit at entry */

static void setup(void)
{
	m = l2_machine();
}

static void teardown(void)
{
	refvmm_destroy(m);
}

/* XSETBV exits only with CR4.OSXSAVE = 1; without it, #UD comes first (25.1.1). */
#define CR4_OSXSAVE (1u << 18)

/* L2 from GUEST_RIP/RSP (a vmresume advances past the last exit's
 * instruction), with CR4.OSXSAVE and the test's IDT limit. */
static void enter(void)
{
	struct cpu_state c = l2_entry_state();
	c.rip = gv(m, VF_GUEST_RIP);
	c.gpr[RSP] = gv(m, VF_GUEST_RSP);
	c.cr4 |= CR4_OSXSAVE;
	c.idtr.limit = idt_limit;
	l2_enter(m, &res, &c);
}

static void run(const struct rop *ops, uint32_t n)
{
	guest_arm(m, ops, n);
	ck_assert_uint_eq(m->vmx.nblock, n + 1);
	enter();
}

static bool fired(enum rule_id r)
{
	return l2_fired(&res, r);
}

/* An exit with reason, defined fields `have`, at op i's exiting instruction. */
static const struct outcome *expect_exit(uint32_t reason, uint16_t have, uint64_t rip)
{
	ck_assert_uint_eq(res.nalt, 1);
	const struct outcome *o = &res.alt[0];
	ck_assert_uint_eq(o->kind, OUT_EXIT);
	ck_assert_uint_eq(o->num, reason);
	ck_assert_uint_eq(o->have, have);
	ck_assert_uint_eq(gv(m, VF_VM_EXIT_REASON), reason);
	ck_assert_uint_eq(gv(m, VF_GUEST_RIP), rip);
	ck_assert_uint_le(TM_GUEST_STACK - gv(m, VF_GUEST_RSP), 48);   /* at most one frame */
	/* 27.5: L1 continues at HOST_RIP/HOST_RSP with RFLAGS = 2 */
	ck_assert_uint_eq(m->cpu.rip, TM_HOST_RIP);
	ck_assert_uint_eq(m->cpu.gpr[RSP], TM_HOST_RSP);
	ck_assert_uint_eq(m->cpu.rflags, 2);
	ck_assert_uint_eq(m->cpu.seg[SEG_CS].sel, TM_SEL_CODE64);
	ck_assert(!m->vmx.nonroot);
	return o;
}

#define QL (EXF_QUAL | EXF_LEN)

START_TEST(cpuid_exits_unconditionally)
{
	struct rop b[] = { { .op = OP_G_CPUID, .a = { 1 } } };
	run(b, 1);
	const struct outcome *o = expect_exit(10, QL, TM_GUEST_CODE + 7);
	ck_assert_uint_eq(o->qual, 0);
	ck_assert_uint_eq(o->len, 2);
	ck_assert_uint_eq(gv(m, VF_VM_EXIT_INSTRUCTION_LEN), 2);
	ck_assert_uint_eq(gv(m, VF_EXIT_QUALIFICATION), 0);
	ck_assert_uint_eq(gv(m, VF_VM_EXIT_INTR_INFO), 0);       /* invalid, 27.2.2 */
	ck_assert_uint_eq(gv(m, VF_IDT_VECTORING_INFO_FIELD), 0);
	ck_assert(fired(R_EXIT_CPUID_UNCONDITIONAL));
}
END_TEST

/* Resume convention: after an instruction exit vmresume continues after
 * the instruction (the implicit vmcall exits next) unless GUEST_RIP was
 * written. */
START_TEST(resume_advances_past_instruction)
{
	struct rop b[] = { { .op = OP_G_CPUID }, { .op = OP_G_NOP } };
	run(b, 2);
	expect_exit(10, QL, m->vmx.block_rip[0]);
	enter();
	const struct outcome *o = expect_exit(18, QL, m->vmx.block_rip[2]);
	ck_assert_uint_eq(o->len, 3);
	ck_assert_uint_eq(m->vmx.block_rip[2], m->vmx.block_rip[1] + 1);   /* nop ran */
	/* GUEST_RIP written by the case: no advance, cpuid again */
	gw(m, VF_GUEST_RIP, TM_GUEST_CODE);
	m->vmx.guest_rip_written = true;
	enter();
	expect_exit(10, QL, m->vmx.block_rip[0]);
}
END_TEST

START_TEST(hlt_exits_with_control)
{
	struct rop b[] = { { .op = OP_G_NOP }, { .op = OP_G_HLT } };
	gw(m, VF_CPU_BASED_VM_EXEC_CONTROL, PROC_HLT);
	run(b, 2);
	const struct outcome *o = expect_exit(12, QL, TM_GUEST_CODE + 1);
	ck_assert_uint_eq(o->len, 1);
	ck_assert(fired(R_EXIT_HLT_CONTROL));
}
END_TEST

/* Control off: the op runs in L2 and the block ends in the implicit vmcall. */
START_TEST(controls_off_run_in_l2)
{
	struct rop b[] = { { .op = OP_G_RDTSC }, { .op = OP_G_INVLPG, .a = { 0x5000 } },
			   { .op = OP_G_PAUSE }, { .op = OP_G_MONITOR }, { .op = OP_G_MWAIT },
			   { .op = OP_G_RDPMC } };
	run(b, 6);
	expect_exit(18, QL, m->vmx.block_rip[6]);
	ck_assert(!fired(R_EXIT_RDTSC_CONTROL));
	ck_assert_uint_eq(m->rule_evals[R_EXIT_RDTSC_CONTROL], 1);
}
END_TEST

static const struct { uint16_t op; uint32_t proc, proc2; uint32_t reason; uint8_t len; } ctl_exits[] = {
	{ OP_G_RDTSC,   PROC_RDTSC, 0, 16, 2 },
	{ OP_G_RDPMC,   PROC_RDPMC, 0, 15, 2 },
	{ OP_G_PAUSE,   PROC_PAUSE, 0, 40, 2 },
	{ OP_G_MONITOR, PROC_MONITOR, 0, 39, 3 },
	{ OP_G_MWAIT,   PROC_MWAIT, 0, 36, 3 },
	{ OP_G_RDTSCP,  PROC_RDTSC | PROC_SECONDARY, PROC2_RDTSCP, 51, 3 },
	{ OP_G_WBINVD,  PROC_SECONDARY, PROC2_WBINVD, 54, 2 },
	{ OP_G_INVD,    0, 0, 13, 2 },
	{ OP_G_XSETBV,  0, 0, 55, 3 },
	{ OP_G_VMLAUNCH, 0, 0, 20, 3 },
	{ OP_G_VMRESUME, 0, 0, 24, 3 },
	{ OP_G_VMXOFF,  0, 0, 26, 3 },
};

START_TEST(exits_by_control)
{
	gw(m, VF_CPU_BASED_VM_EXEC_CONTROL, ctl_exits[_i].proc);
	gw(m, VF_SECONDARY_VM_EXEC_CONTROL, ctl_exits[_i].proc2);
	struct rop b[] = { { .op = ctl_exits[_i].op } };
	run(b, 1);
	const struct outcome *o = expect_exit(ctl_exits[_i].reason, QL, m->vmx.block_rip[0]);
	ck_assert_uint_eq(o->len, ctl_exits[_i].len);
	ck_assert_uint_eq(o->qual, 0);
}
END_TEST

START_TEST(invlpg_qualification_is_address)
{
	gw(m, VF_CPU_BASED_VM_EXEC_CONTROL, PROC_INVLPG);
	struct rop b[] = { { .op = OP_G_INVLPG, .a = { 0xffff800000001234ull } } };
	run(b, 1);
	const struct outcome *o = expect_exit(14, QL, m->vmx.block_rip[0]);
	ck_assert_uint_eq(o->qual, 0xffff800000001234ull);
	ck_assert_uint_eq(o->len, 3);
}
END_TEST

/* VMREAD rax, rcx: Table 27-14: reg1 (6:3) = 0 (rax), bit 10 = 1
 * (register), reg2 (31:28) = 1 (rcx). VMPTRLD [rax]: DS (17:15 = 3),
 * no index (22), base rax (26:23 = 0), 64-bit address size (9:7 = 2). */
START_TEST(vmx_instruction_information)
{
	struct rop b[] = { { .op = OP_G_VMREAD, .a = { 0x4400 } } };
	run(b, 1);
	const struct outcome *o = expect_exit(23, QL | EXF_INFO, m->vmx.block_rip[0]);
	ck_assert_uint_eq(o->info, 0x10000400);
	ck_assert_uint_eq(gv(m, VF_VMX_INSTRUCTION_INFO), 0x10000400);
	struct rop c[] = { { .op = OP_G_VMPTRLD, .a = { TM_VMCS1 } } };
	gw(m, VF_GUEST_RIP, TM_GUEST_CODE);
	m->vmx.guest_rip_written = true;
	run(c, 1);
	o = expect_exit(21, QL | EXF_INFO, m->vmx.block_rip[0]);
	ck_assert_uint_eq(o->info, 0x418100);
	ck_assert_uint_eq(o->len, 3);
}
END_TEST

/* #UD not intercepted: delivered through L2's IDT to stub 6, whose vmcall
 * exits.  Intercepted: exit 0, interruption info valid | type 3 | 6. */
START_TEST(ud2_delivered_or_intercepted)
{
	struct rop b[] = { { .op = OP_G_UD2 } };
	run(b, 1);
	const struct outcome *o = expect_exit(18, QL, TM_GUEST_IDT_STUBS + 16 * 6);
	ck_assert_uint_eq(o->len, 3);
	/* 64-bit frame (SS, RSP, RFLAGS, CS, RIP): return RIP is the ud2 */
	ck_assert_uint_eq(gv(m, VF_GUEST_RSP), TM_GUEST_STACK - 40);
	ck_assert_uint_eq(mem_read64(&m->mem, gv(m, VF_GUEST_RSP)), m->vmx.block_rip[0]);
	gw(m, VF_EXCEPTION_BITMAP, 1u << 6);
	gw(m, VF_GUEST_RIP, TM_GUEST_CODE);
	m->vmx.guest_rip_written = true;   /* as a vmwrite of GUEST_RIP does */
	run(b, 1);
	o = expect_exit(0, EXF_QUAL | EXF_INTR, m->vmx.block_rip[0]);
	ck_assert_uint_eq(o->intr, 0x80000306);
	ck_assert_uint_eq(gv(m, VF_VM_EXIT_INTR_INFO), 0x80000306);
	ck_assert(fired(R_EXIT_EXC_BITMAP));
}
END_TEST

START_TEST(int3_intercepted_has_length)
{
	gw(m, VF_EXCEPTION_BITMAP, 1u << 3);
	struct rop b[] = { { .op = OP_G_INT3 } };
	run(b, 1);
	const struct outcome *o = expect_exit(0, EXF_QUAL | EXF_INTR | EXF_LEN, m->vmx.block_rip[0]);
	ck_assert_uint_eq(o->intr, 0x80000603);   /* software exception, vector 3 */
	ck_assert_uint_eq(o->len, 1);
}
END_TEST

START_TEST(rdtscp_disabled_is_ud)
{
	gw(m, VF_CPU_BASED_VM_EXEC_CONTROL, PROC_RDTSC);
	struct rop b[] = { { .op = OP_G_RDTSCP } };
	run(b, 1);
	expect_exit(18, QL, TM_GUEST_IDT_STUBS + 16 * 6);
	ck_assert(fired(R_EXIT_RDTSCP_ENABLE));
}
END_TEST

/* 27.8: an MSR-load entry for an x2APIC MSR is a VMX abort, indicator 4
 * in the VMCS region at offset 4. */
START_TEST(exit_msr_load_abort)
{
	gw(m, VF_VM_EXIT_MSR_LOAD_COUNT, 1);
	gw(m, VF_VM_EXIT_MSR_LOAD_ADDR, TM_MSR_AREA);
	ck_assert(mem_write64(&m->mem, TM_MSR_AREA, 0x808));
	struct rop b[] = { { .op = OP_G_CPUID } };
	run(b, 1);
	ck_assert_uint_eq(res.alt[0].kind, OUT_ABORT);
	ck_assert_uint_eq(res.alt[0].num, 4);
	ck_assert_uint_eq(mem_read32(&m->mem, TM_VMCS0 + 4), 4);
	ck_assert(fired(R_EXIT_ABORT_MSR_LOAD));
}
END_TEST

START_TEST(save_efer_pat_controls)
{
	gw(m, VF_VM_EXIT_CONTROLS, EXIT_HOST_64 | EXIT_SAVE_EFER | EXIT_SAVE_PAT);
	struct rop b[] = { { .op = OP_G_CPUID } };
	run(b, 1);
	ck_assert_uint_eq(gv(m, VF_GUEST_IA32_EFER), TM_L1_EFER);
	ck_assert(fired(R_EXIT_SAVE_EFER) && fired(R_EXIT_SAVE_PAT));
	ck_assert(!fired(R_EXIT_HOST_LOAD_EFER));
	/* host EFER without "load EFER": LMA/LME = host address-space size */
	ck_assert_uint_eq(m->cpu.efer & 0x500, 0x500);
}
END_TEST

/* 27.4: the MSR-store area gets L2's values; x2APIC MSR: abort 1. */
START_TEST(exit_msr_store)
{
	gw(m, VF_VM_EXIT_MSR_STORE_COUNT, 2);
	gw(m, VF_VM_EXIT_MSR_STORE_ADDR, TM_MSR_AREA);
	ck_assert(mem_write64(&m->mem, TM_MSR_AREA, 0xc0000080));
	ck_assert(mem_write64(&m->mem, TM_MSR_AREA + 16, 0x277));
	struct rop b[] = { { .op = OP_G_CPUID } };
	run(b, 1);
	expect_exit(10, QL, m->vmx.block_rip[0]);
	ck_assert_uint_eq(mem_read64(&m->mem, TM_MSR_AREA + 8), TM_L1_EFER);   /* L2's EFER (enter()) */
	ck_assert_uint_eq(mem_read64(&m->mem, TM_MSR_AREA + 24), 0);
	ck_assert(mem_write64(&m->mem, TM_MSR_AREA + 16, 0x808));
	gw(m, VF_GUEST_RIP, TM_GUEST_CODE);
	m->vmx.guest_rip_written = true;
	run(b, 1);
	ck_assert_uint_eq(res.alt[0].kind, OUT_ABORT);
	ck_assert_uint_eq(res.alt[0].num, 1);
	ck_assert_uint_eq(mem_read32(&m->mem, TM_VMCS0 + 4), 1);
	ck_assert(fired(R_EXIT_ABORT_MSR_STORE));
}
END_TEST

/* IDT limit 0x5f covers vectors 0-5 only: #UD (6) delivery is #GP(6*8+2+1);
 * #GP (13) delivery fails too: contributory on benign → deliver #GP,
 * whose failure (contributory on contributory) → #DF, whose failure is a
 * triple fault (25.2: exit 2). */
START_TEST(triple_fault)
{
	idt_limit = 0x5f;
	struct rop b[] = { { .op = OP_G_UD2 } };
	run(b, 1);
	const struct outcome *o = expect_exit(2, EXF_QUAL, m->vmx.block_rip[0]);
	ck_assert_uint_eq(o->qual, 0);
	ck_assert(fired(R_EXIT_TRIPLE_FAULT) && fired(R_EXIT_EXC_DOUBLE_FAULT));
	idt_limit = TM_IDT_LIMIT;
}
END_TEST

/* #GP during delivery of #UD, intercepted: exit 0 with the #GP in the
 * interruption information and the #UD in IDT-vectoring information. */
START_TEST(fault_during_delivery)
{
	idt_limit = 0x5f;
	gw(m, VF_EXCEPTION_BITMAP, 1u << 13);
	struct rop b[] = { { .op = OP_G_UD2 } };
	run(b, 1);
	const struct outcome *o = expect_exit(0, EXF_QUAL | EXF_INTR | EXF_INTR_ERR | EXF_IDT,
					      m->vmx.block_rip[0]);
	ck_assert_uint_eq(o->intr, 0x80000b0d);
	ck_assert_uint_eq(o->intr_err, 6 * 8 + 2 + 1);
	ck_assert_uint_eq(o->idt, 0x80000306);
	ck_assert_uint_eq(gv(m, VF_IDT_VECTORING_INFO_FIELD), 0x80000306);
	ck_assert_uint_eq(gv(m, VF_VM_EXIT_INTR_ERROR_CODE), 0x33);
	idt_limit = TM_IDT_LIMIT;
}
END_TEST

/* int 0x30 (not intercepted) → stub vmcall exit; vmresume advances past
 * it to the stub's iretq, which returns after the int; the block ends
 * with its implicit vmcall. */
START_TEST(stub_iretq_returns)
{
	struct rop b[] = { { .op = OP_G_INTN, .a = { 0x30 } }, { .op = OP_G_NOP } };
	run(b, 2);
	expect_exit(18, QL, TM_GUEST_IDT_STUBS + 16 * 0x30);
	enter();   /* vmresume: RIP advanced by 3 */
	ck_assert_uint_eq(gv(m, VF_GUEST_RSP), TM_GUEST_STACK);   /* frame popped */
	expect_exit(18, QL, m->vmx.block_rip[2]);
}
END_TEST

/* 25.3: RDTSC reads (TSC * multiplier) >> 48 + offset with "use TSC
 * offsetting" and "use TSC scaling"; the offset alone without scaling. */
/* 25.1.3 PAUSE-loop exiting at CPL 0: the first PAUSE after entry starts
 * a loop; with PLE_Gap 2^32-1 no later PAUSE starts one, so with
 * PLE_Window 0 the second PAUSE exits (reason 40, qualification 0, RIP at
 * it); with PLE_Gap 0 every PAUSE starts a loop and none exits; at CPL 3
 * the control is ignored; "PAUSE exiting" exits at the first. */
static void ple(uint32_t gap, uint32_t window, uint32_t proc_bits)
{
	gw(m, VF_GUEST_RIP, TM_GUEST_CODE);   /* the next run() is a launch */
	m->vmx.exit_advance = 0;
	gw(m, VF_CPU_BASED_VM_EXEC_CONTROL, PROC_SECONDARY | proc_bits);
	gw(m, VF_SECONDARY_VM_EXEC_CONTROL, PROC2_PAUSE_LOOP);
	gw(m, VF_PLE_GAP, gap);
	gw(m, VF_PLE_WINDOW, window);
}

START_TEST(pause_loop_exiting)
{
	struct rop b[] = { { .op = OP_G_PAUSE }, { .op = OP_G_PAUSE }, { .op = OP_G_PAUSE } };
	ple(UINT32_MAX, 0, 0);
	run(b, 3);
	const struct outcome *o = expect_exit(40, QL, TM_GUEST_CODE + 2);
	ck_assert_uint_eq(o->qual, 0);
	ck_assert_uint_eq(o->len, 2);
	ck_assert(fired(R_EXIT_PAUSE_LOOP_WINDOW) && !fired(R_EXIT_PAUSE_CONTROL));
	enter();   /* vmresume: a new entry, so the third PAUSE starts a loop */
	expect_exit(18, QL, TM_GUEST_CODE + 6);
	ple(UINT32_MAX, 0, 0);
	run(b, 1);   /* one PAUSE: only the start of a loop */
	expect_exit(18, QL, TM_GUEST_CODE + 2);

	ple(0, 0, 0);
	run(b, 3);
	expect_exit(18, QL, TM_GUEST_CODE + 6);
	ck_assert(!fired(R_EXIT_PAUSE_LOOP_WINDOW));

	ple(UINT32_MAX, 0, PROC_PAUSE);
	run(b, 3);
	expect_exit(40, QL, TM_GUEST_CODE);
	ck_assert(fired(R_EXIT_PAUSE_CONTROL));

	/* the time between two PAUSEs decides, and the model does not know it */
	ple(1000, 0, 0);
	run(b, 3);
	ck_assert_uint_eq(res.nalt, 1);
	ck_assert_uint_eq(res.alt[0].kind, OUT_UNMODELLED);
}
END_TEST

START_TEST(pause_loop_ignored_above_cpl0)
{
	struct rop b[] = { { .op = OP_G_PAUSE }, { .op = OP_G_PAUSE } };
	ple(UINT32_MAX, 0, 0);
	guest_arm(m, b, 2);
	l2_user_pages(m);
	struct cpu_state c = l2_entry_state();
	c.cpl = 3;
	l2_enter(m, &res, &c);
	expect_exit(18, QL, TM_GUEST_CODE + 4);
	ck_assert(!fired(R_EXIT_PAUSE_LOOP_WINDOW));
}
END_TEST

START_TEST(rdtsc_offset_and_scaling)
{
	struct rop b[] = { { .op = OP_G_RDTSC } };
	gw(m, VF_CPU_BASED_VM_EXEC_CONTROL, PROC_TSC_OFFSET | PROC_SECONDARY);
	gw(m, VF_TSC_OFFSET, 0x100);
	guest_arm(m, b, 1);
	memset(&res, 0, sizeof res);
	m->res = &res;
	m->cpu = (struct cpu_state){ .rip = TM_GUEST_CODE, .tsc = 0x1000 };
	m->cpu.gpr[RSP] = TM_GUEST_STACK;
	guest_run(m);
	ck_assert_uint_eq(gv(m, VF_GUEST_RIP), m->vmx.block_rip[1]);   /* ran, then vmcall */
	/* L2's RAX is not in the VMCS: run the handler alone and read it */
	gw(m, VF_SECONDARY_VM_EXEC_CONTROL, PROC2_TSC_SCALING);
	gw(m, VF_TSC_MULTIPLIER, 3ull << 47);   /* x1.5 */
	m->cpu = (struct cpu_state){ .rip = TM_GUEST_CODE, .tsc = 0x1000 };
	m->cpu.gpr[RSP] = TM_GUEST_STACK;
	const struct rop *r = &m->vmx.block[0];
	ck_assert_int_eq(guest_insn_ops[r->op](m, r), G_NEXT);
	ck_assert_uint_eq(m->cpu.gpr[RAX], 0x1800 + 0x100);
	ck_assert_uint_eq(m->cpu.gpr[RDX], 0);
}
END_TEST

static Suite *guest_exit_suite(void)
{
	Suite *s = suite_create("guest_exit");
	TCase *t = tcase_create("exits");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, cpuid_exits_unconditionally);
	tcase_add_test(t, resume_advances_past_instruction);
	tcase_add_test(t, hlt_exits_with_control);
	tcase_add_test(t, controls_off_run_in_l2);
	tcase_add_loop_test(t, exits_by_control, 0, (int)(sizeof ctl_exits / sizeof ctl_exits[0]));
	tcase_add_test(t, invlpg_qualification_is_address);
	tcase_add_test(t, vmx_instruction_information);
	tcase_add_test(t, ud2_delivered_or_intercepted);
	tcase_add_test(t, int3_intercepted_has_length);
	tcase_add_test(t, rdtscp_disabled_is_ud);
	tcase_add_test(t, exit_msr_load_abort);
	tcase_add_test(t, save_efer_pat_controls);
	tcase_add_test(t, exit_msr_store);
	tcase_add_test(t, triple_fault);
	tcase_add_test(t, stub_iretq_returns);
	tcase_add_test(t, rdtsc_offset_and_scaling);
	tcase_add_test(t, pause_loop_exiting);
	tcase_add_test(t, pause_loop_ignored_above_cpl0);
	tcase_add_test(t, fault_during_delivery);
	suite_add_tcase(s, t);
	return s;
}
SUITE_REGISTER(guest_exit_suite)
