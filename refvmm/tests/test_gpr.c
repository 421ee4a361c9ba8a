/* L2's GPRs as L1 finds them after a VM exit (guest_gpr.c): zero at entry
 * but RSP, set by the preludes and by the results the model computes,
 * unknown where an instruction's result is not knowable (Vol. 2). */
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

static void run(const struct rop *ops, uint32_t n)
{
	struct cpu_state l2 = l2_entry_state();
	for (unsigned r = 0; r < 16; r++)
		l2.gpr[r] = 0x5a5a5a5a00000000ull | r;   /* what L1 had: not what L2 starts with */
	gw(m, VF_GUEST_RIP, l2.rip);
	l2_run(m, &res, ops, n, &l2);
	ck_assert_uint_eq(res.alt[0].kind, OUT_EXIT);
}

static uint64_t reg(unsigned r)
{
	uint64_t v = ~0ull;
	ck_assert_msg(guest_gpr_read(m, r, &v), "GPR %u unknown", r);
	return v;
}

START_TEST(entry_zeroes_and_preludes_load)
{
	ck_assert(mem_write64(&m->mem, TM_SCRATCH, 0x1122334455667788ull));
	struct rop b[] = {
		{ .op = OP_G_READ, .a = { TM_SCRATCH } },
	};
	run(b, 1);
	ck_assert_uint_eq(reg(RAX), 0x1122334455667788ull);
	for (unsigned r = 0; r < 16; r++)
		if (r != RAX && r != RSP)
			ck_assert_uint_eq(reg(r), 0);
	uint64_t v;
	ck_assert(!guest_gpr_read(m, RSP, &v));   /* HOST_RSP: vmread it */
	ck_assert(!guest_gpr_read(m, 16, &v));
}
END_TEST

/* RDTSC's EDX:EAX is the TSC: unknowable, so unknown; ECX is the
 * prelude-free RDTSC's untouched 0. */
START_TEST(unknowable_results)
{
	struct rop b[] = { { .op = OP_G_RDTSC } };
	run(b, 1);
	uint64_t v;
	ck_assert(!guest_gpr_read(m, RAX, &v));
	ck_assert(!guest_gpr_read(m, RDX, &v));
	ck_assert_uint_eq(reg(RCX), 0);
	/* the next entry starts from zeros again: all known */
	struct rop c[] = { { .op = OP_G_NOP } };
	run(c, 1);
	ck_assert_uint_eq(reg(RAX), 0);
}
END_TEST

/* An exit at the exiting instruction itself (CPUID): the prelude ran, the
 * instruction did not complete. */
START_TEST(fault_like_exit_keeps_prelude)
{
	struct rop b[] = { { .op = OP_G_CPUID, .a = { 0x80000008 } } };
	run(b, 1);
	ck_assert_uint_eq(res.alt[0].num, XR_CPUID);
	ck_assert_uint_eq(reg(RAX), 0x80000008);
	ck_assert_uint_eq(reg(RCX), 0);
	ck_assert_uint_eq(reg(RBX), 0);
}
END_TEST

static Suite *gpr_suite(void)
{
	Suite *s = suite_create("gpr");
	TCase *t = tcase_create("after_exit");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, entry_zeroes_and_preludes_load);
	tcase_add_test(t, unknowable_results);
	tcase_add_test(t, fault_like_exit_keeps_prelude);
	suite_add_tcase(s, t);
	return s;
}

SUITE_REGISTER(gpr_suite)
