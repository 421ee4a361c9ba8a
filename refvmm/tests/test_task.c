/* Far JMP task switches in L2 (guest_task.c, SDM 25.4.2 and JMP in vol. 2):
 * the instruction's checks in their order, then exit 9.  L2 runs in
 * 32-bit protected mode with PAE paging (the PDPT at TM_L1_PAE_PDPT), its
 * exceptions caught by the exception bitmap. */
#include "suites.h"
#include "l2_fixture.h"

#define TSS_AVAIL 0x0000894601000067ull   /* base SCRATCH + 0x100, limit 0x67, type 9, P, DPL 0 */

static struct refvmm *m;
static struct result res;

static void setup(void)
{
	m = l2_machine();
	gw(m, VF_EXCEPTION_BITMAP, 0xffffffff);
}

static void teardown(void)
{
	refvmm_destroy(m);
}

/* jmp_far through a pointer to selector sel, with GDT[5] = desc. */
static void jump(uint16_t sel, uint64_t desc, bool ia32e)
{
	ck_assert(mem_write64(&m->mem, TM_GDT + 0x28, desc));
	ck_assert(mem_write64(&m->mem, TM_SCRATCH, (uint64_t)sel << 32));
	struct cpu_state l2 = l2_entry_state();
	l2.gdtr = (struct dtr){ TM_GDT, TM_GDT_LIMIT };
	if (!ia32e) {
		l2.efer = 0;
		l2.cr3 = TM_L1_PAE_PDPT;
		l2.seg[SEG_CS].ar = TM_AR_CODE32;
	}
	gw(m, VF_GUEST_RIP, l2.rip);
	struct rop b[] = { { .op = OP_G_JMP_FAR, .a = { TM_SCRATCH } } };
	l2_run(m, &res, b, 1, &l2);
	ck_assert_uint_eq(res.nalt, 1);
	ck_assert_uint_eq(res.alt[0].kind, OUT_EXIT);
}

static void expect_fault(uint8_t vector, uint32_t err, enum rule_id r)
{
	ck_assert_uint_eq(res.alt[0].num, XR_EXCEPTION_NMI);
	ck_assert_uint_eq(res.alt[0].intr, 0x80000b00u | vector);
	ck_assert_uint_eq(res.alt[0].intr_err, err);
	ck_assert(l2_fired(&res, r));
}

START_TEST(task_switch_exits)
{
	jump(0x28, TSS_AVAIL, false);
	ck_assert_uint_eq(res.alt[0].num, XR_TASK_SWITCH);
	ck_assert_uint_eq(gv(m, VF_EXIT_QUALIFICATION), 0x28 | 2u << 30);
	ck_assert_uint_eq(gv(m, VF_VM_EXIT_INSTRUCTION_LEN), 2);
	ck_assert_uint_eq(gv(m, VF_GUEST_RIP), TM_GUEST_CODE + 5);
	ck_assert(l2_fired(&res, R_EXIT_TASK_SWITCH));
}
END_TEST

/* The JMP's checks, each alone, in the SDM's order. */
START_TEST(jmp_checks)
{
	jump(0, TSS_AVAIL, false);
	expect_fault(13, 0, R_TASK_JMP_NULL);
	jump(0x40, TSS_AVAIL, false);                                  /* GDT limit 0x3f */
	expect_fault(13, 0x40, R_TASK_JMP_LIMIT);
	jump(0x28, (TSS_AVAIL & ~(0xfull << 40)) | 2ull << 40, false);   /* an LDT descriptor */
	expect_fault(13, 0x28, R_TASK_JMP_TYPE);
	jump(0x10, TSS_AVAIL, false);                                  /* the data segment */
	expect_fault(13, 0x10, R_TASK_JMP_TYPE);
	jump(0x2b, TSS_AVAIL, false);                                  /* RPL 3 > DPL 0 */
	expect_fault(13, 0x28, R_TASK_JMP_TSS_ACCESS);
	jump(0x28, TSS_AVAIL | 2ull << 40, false);                     /* busy */
	expect_fault(13, 0x28, R_TASK_JMP_TSS_ACCESS);
	jump(0x28, TSS_AVAIL & ~(1ull << 47), false);                  /* not present */
	expect_fault(11, 0x28, R_TASK_JMP_TSS_PRESENT);
	/* busy and not present: the access check comes first */
	jump(0x28, (TSS_AVAIL | 2ull << 40) & ~(1ull << 47), false);
	expect_fault(13, 0x28, R_TASK_JMP_TSS_ACCESS);
	jump(0x28, TSS_AVAIL, true);                                   /* IA-32e mode */
	expect_fault(13, 0x28, R_TASK_JMP_TYPE);
}
END_TEST

static Suite *task_suite(void)
{
	Suite *s = suite_create("task");
	TCase *t = tcase_create("jmp_far");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, task_switch_exits);
	tcase_add_test(t, jmp_checks);
	suite_add_tcase(s, t);
	return s;
}

SUITE_REGISTER(task_suite)
