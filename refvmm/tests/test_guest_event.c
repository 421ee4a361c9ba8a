/* Event injection (26.6) and the exits before L2's first instruction
 * (26.7): pending MTF, preemption timer zero, NMI and interrupt windows. */
#include <stdlib.h>
#include <string.h>
#include "suites.h"
#include "l2_fixture.h"

static struct refvmm *m;
static struct result res;

static void setup(void)
{
	m = l2_machine();
}

static void teardown(void)
{
	refvmm_destroy(m);
}

/* A block run from the start with the given entry RFLAGS and
 * interruptibility; the exit it gives. */
static const struct outcome *launch(const struct rop *b, uint32_t n, uint64_t rflags, uint32_t intr_state)
{
	struct cpu_state l2 = l2_entry_state();
	l2.rflags = rflags;
	l2.interruptibility = intr_state;
	l2_run(m, &res, b, n, &l2);
	ck_assert_uint_eq(res.nalt, 1);
	ck_assert_uint_eq(res.alt[0].kind, OUT_EXIT);
	return &res.alt[0];
}

/* A block of one cpuid. */
static const struct outcome *enter(uint64_t rflags, uint32_t intr_state)
{
	static const struct rop b[] = { { .op = OP_G_CPUID } };
	return launch(b, 1, rflags, intr_state);
}

START_TEST(injected_exception_ignores_bitmap)
{
	gw(m, VF_EXCEPTION_BITMAP, 1u << 6);
	gw(m, VF_VM_ENTRY_INTR_INFO_FIELD, 0x80000306);   /* valid, hardware exception, #UD */
	const struct outcome *o = enter(2, 0);
	ck_assert_uint_eq(o->num, 18);   /* the stub's vmcall, not exit 0 */
	ck_assert_uint_eq(gv(m, VF_GUEST_RIP), TM_GUEST_IDT_STUBS + 16 * 6);
	ck_assert_uint_eq(mem_read64(&m->mem, TM_GUEST_STACK - 40), TM_GUEST_CODE);
	/* every exit clears the valid bit (27.2) */
	ck_assert_uint_eq(gv(m, VF_VM_ENTRY_INTR_INFO_FIELD), 0x306);
	ck_assert_uint_eq(res.rules[0], R_EVENT_INJECT_DELIVERY);
}
END_TEST

START_TEST(injected_error_code_and_software_length)
{
	gw(m, VF_VM_ENTRY_INTR_INFO_FIELD, 0x80000b0d);   /* #GP, deliver error code */
	gw(m, VF_VM_ENTRY_EXCEPTION_ERROR_CODE, 0x18);
	enter(2, 0);
	ck_assert_uint_eq(gv(m, VF_GUEST_RIP), TM_GUEST_IDT_STUBS + 16 * 13);
	ck_assert_uint_eq(gv(m, VF_GUEST_RSP), TM_GUEST_STACK - 48);
	ck_assert_uint_eq(mem_read64(&m->mem, TM_GUEST_STACK - 48), 0x18);
	/* software interrupt: return RIP = GUEST_RIP + VM-entry instruction length */
	gw(m, VF_VM_ENTRY_INTR_INFO_FIELD, 0x80000430);
	gw(m, VF_VM_ENTRY_INSTRUCTION_LEN, 2);
	enter(2, 0);
	ck_assert_uint_eq(gv(m, VF_GUEST_RIP), TM_GUEST_IDT_STUBS + 16 * 0x30);
	ck_assert_uint_eq(mem_read64(&m->mem, TM_GUEST_STACK - 40), TM_GUEST_CODE + 2);
}
END_TEST

START_TEST(other_event_is_pending_mtf)
{
	gw(m, VF_VM_ENTRY_INTR_INFO_FIELD, 0x80000700);
	const struct outcome *o = enter(2, 0);
	ck_assert_uint_eq(o->num, 37);
	ck_assert_uint_eq(o->have, EXF_QUAL);
	ck_assert_uint_eq(gv(m, VF_GUEST_RIP), TM_GUEST_CODE);   /* no instruction ran */
}
END_TEST

START_TEST(preemption_timer_zero)
{
	gw(m, VF_PIN_BASED_VM_EXEC_CONTROL, 1u << 6);
	ck_assert_uint_eq(enter(2, 0)->num, 52);
	ck_assert_uint_eq(gv(m, VF_GUEST_RIP), TM_GUEST_CODE);
	gw(m, VF_VMX_PREEMPTION_TIMER_VALUE, 1000);
	ck_assert_uint_eq(enter(2, 0)->num, 10);
}
END_TEST

START_TEST(interrupt_and_nmi_windows)
{
	gw(m, VF_CPU_BASED_VM_EXEC_CONTROL, PROC_INTR_WINDOW);
	ck_assert_uint_eq(enter(2, 0)->num, 10);               /* IF = 0: closed */
	ck_assert_uint_eq(enter(0x202, 0)->num, 7);
	/* blocking by STI / MOV SS lasts one instruction: the window opens
	 * after cpuid's first operand load (mov eax, imm32: 5 bytes) */
	ck_assert_uint_eq(enter(0x202, 1)->num, 7);
	ck_assert_uint_eq(gv(m, VF_GUEST_RIP), TM_GUEST_CODE + 5);
	ck_assert_uint_eq(enter(0x202, 2)->num, 7);
	ck_assert_uint_eq(gv(m, VF_GUEST_RIP), TM_GUEST_CODE + 5);
	gw(m, VF_CPU_BASED_VM_EXEC_CONTROL, PROC_NMI_WINDOW | PROC_INTR_WINDOW);
	ck_assert_uint_eq(enter(0x202, 0)->num, 8);            /* NMI window first (26.7.6) */
	ck_assert_uint_eq(enter(0x202, 8)->num, 7);            /* NMI blocking */
}
END_TEST

static const struct outcome *run(const struct rop *b, uint32_t n, uint64_t rflags)
{
	return launch(b, n, rflags, 0);
}

/* 25.5.2: MTF exits after each instruction, RIP at the next one. */
START_TEST(mtf_after_each_instruction)
{
	gw(m, VF_CPU_BASED_VM_EXEC_CONTROL, PROC_MTF);
	struct rop b[] = { { .op = OP_G_NOP }, { .op = OP_G_CPUID } };
	const struct outcome *o = run(b, 2, 2);
	ck_assert_uint_eq(o->num, 37);
	ck_assert_uint_eq(o->have, EXF_QUAL);
	ck_assert_uint_eq(gv(m, VF_GUEST_RIP), TM_GUEST_CODE + 1);
	ck_assert(!(o->have & EXF_LEN));
}
END_TEST

/* sti; nop with interrupt-window exiting: STI blocks for the nop, the
 * window opens after it. */
START_TEST(sti_blocking_then_window)
{
	gw(m, VF_CPU_BASED_VM_EXEC_CONTROL, PROC_INTR_WINDOW);
	struct rop b[] = { { .op = OP_G_STI }, { .op = OP_G_NOP }, { .op = OP_G_NOP } };
	ck_assert_uint_eq(run(b, 3, 2)->num, 7);
	ck_assert_uint_eq(gv(m, VF_GUEST_RIP), TM_GUEST_CODE + 2);
	ck_assert_uint_eq(gv(m, VF_GUEST_INTERRUPTIBILITY_INFO), 0);
	ck_assert_uint_eq(gv(m, VF_GUEST_RFLAGS), 0x202);
}
END_TEST

static Suite *guest_event_suite(void)
{
	Suite *s = suite_create("guest_event");
	TCase *t = tcase_create("events");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, injected_exception_ignores_bitmap);
	tcase_add_test(t, injected_error_code_and_software_length);
	tcase_add_test(t, other_event_is_pending_mtf);
	tcase_add_test(t, preemption_timer_zero);
	tcase_add_test(t, interrupt_and_nmi_windows);
	tcase_add_test(t, mtf_after_each_instruction);
	tcase_add_test(t, sti_blocking_then_window);
	suite_add_tcase(s, t);
	return s;
}
SUITE_REGISTER(guest_event_suite)
