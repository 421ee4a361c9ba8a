/* MSR bitmaps (24.6.9), I/O exiting and bitmaps (24.6.4, Table 27-5),
 * control-register and MOV DR exits (25.1.3, Tables 27-3, 27-4). */
#include <stdlib.h>
#include <string.h>
#include "suites.h"
#include "l2_fixture.h"

static struct refvmm *m;
static struct result res;

static void setup(void)
{
	m = l2_machine();
	gw(m, VF_MSR_BITMAP, TM_MSR_BITMAP);
	gw(m, VF_IO_BITMAP_A, TM_IO_BITMAP_A);
	gw(m, VF_IO_BITMAP_B, TM_IO_BITMAP_B);
}

static void teardown(void)
{
	refvmm_destroy(m);
}

/* One op, launched from the start of the block; the exit it gives. */
static const struct outcome *run1(uint16_t op, uint64_t a0, uint64_t a1)
{
	struct rop b[] = { { .op = op, .a = { a0, a1 } } };
	struct cpu_state l2 = l2_entry_state();
	l2_run(m, &res, b, 1, &l2);
	ck_assert_uint_eq(res.nalt, 1);
	ck_assert_uint_eq(res.alt[0].kind, OUT_EXIT);
	return &res.alt[0];
}

static void set_bit(uint64_t base, uint32_t bit)
{
	l2_set_bit(m, base, bit);
}

/* Exit reason of op; 18 means it ran and the implicit vmcall exited. */
static uint32_t reason(uint16_t op, uint64_t a0, uint64_t a1)
{
	return run1(op, a0, a1)->num;
}

START_TEST(msr_without_bitmaps_always_exits)
{
	ck_assert_uint_eq(reason(OP_G_RDMSR, 0x10, 0), 31);
	ck_assert_uint_eq(reason(OP_G_WRMSR, 0x10, 0), 32);
	const struct outcome *o = run1(OP_G_RDMSR, 0x10, 0);
	ck_assert_uint_eq(o->have, EXF_QUAL | EXF_LEN);
	ck_assert_uint_eq(o->len, 2);
	ck_assert_uint_eq(o->qual, 0);
}
END_TEST

START_TEST(msr_bitmap_ranges)
{
	gw(m, VF_CPU_BASED_VM_EXEC_CONTROL, PROC_MSR_BITMAPS);
	/* bitmap bit set: read-low (0x10 at +0), read-high (C0000080 at +1024),
	 * write-low (0x1ff at +2048), write-high (C0000100 at +3072) */
	set_bit(TM_MSR_BITMAP, 0x10);
	set_bit(TM_MSR_BITMAP + 1024, 0x80);
	set_bit(TM_MSR_BITMAP + 2048, 0x1ff);
	set_bit(TM_MSR_BITMAP + 3072, 0x100);
	ck_assert_uint_eq(reason(OP_G_RDMSR, 0x10, 0), 31);
	ck_assert_uint_eq(reason(OP_G_RDMSR, 0xc0000080, 0), 31);
	ck_assert_uint_eq(reason(OP_G_WRMSR, 0x1ff, 0), 32);
	ck_assert_uint_eq(reason(OP_G_WRMSR, 0xc0000100, 0), 32);
	/* outside both ranges: always exits */
	ck_assert_uint_eq(reason(OP_G_RDMSR, 0x2000, 0), 31);
	ck_assert_uint_eq(reason(OP_G_WRMSR, 0x40000000, 0), 32);
	ck_assert_uint_eq(reason(OP_G_RDMSR, 0xc0002000, 0), 31);
}
END_TEST

START_TEST(io_unconditional_and_qualification)
{
	/* no I/O control: runs; the implicit vmcall exits */
	ck_assert_uint_eq(reason(OP_G_IN, 0x80, 1), 18);
	gw(m, VF_CPU_BASED_VM_EXEC_CONTROL, PROC_UNCOND_IO);
	/* Table 27-5: size-1, bit 3 IN, port in 31:16, DX encoding (bit 6 = 0) */
	const struct outcome *o = run1(OP_G_IN, 0x1234, 2);
	ck_assert_uint_eq(o->num, 30);
	ck_assert_uint_eq(o->qual, 0x12340000 | 1 | 8);
	ck_assert_uint_eq(o->len, 2);   /* 66 ED */
	ck_assert_uint_eq(o->have, EXF_QUAL | EXF_LEN);
	o = run1(OP_G_OUT, 0x80, 4);
	ck_assert_uint_eq(o->qual, 0x00800000 | 3);
	o = run1(OP_G_OUTS, 0x80, 1);
	ck_assert_uint_eq(o->qual, 0x00800000 | 0x10);
	ck_assert(o->have & EXF_GLA);
	ck_assert_uint_eq(o->gla, GUEST_SCR_IO);
}
END_TEST

START_TEST(io_bitmaps)
{
	gw(m, VF_CPU_BASED_VM_EXEC_CONTROL, PROC_IO_BITMAPS | PROC_UNCOND_IO);
	/* bitmaps override unconditional I/O exiting */
	ck_assert_uint_eq(reason(OP_G_IN, 0x80, 1), 18);
	set_bit(TM_IO_BITMAP_A, 0x81);
	ck_assert_uint_eq(reason(OP_G_IN, 0x80, 1), 18);
	ck_assert_uint_eq(reason(OP_G_IN, 0x80, 2), 30);   /* covers 0x81 */
	set_bit(TM_IO_BITMAP_B, 0x8000 & 0x7fff);
	ck_assert_uint_eq(reason(OP_G_OUT, 0x7ffe, 4), 30);   /* 7FFE..8001 */
	ck_assert_uint_eq(reason(OP_G_OUT, 0xfffe, 2), 18);
	ck_assert_uint_eq(reason(OP_G_OUT, 0xfffe, 4), 30);   /* wraps past FFFF */
}
END_TEST

/* Table 27-3: CR (3:0), access type (5:4), GPR (11:8 = rax), LMSW
 * source (31:16). */
START_TEST(cr_masks_and_shadows)
{
	gw(m, VF_CR0_GUEST_HOST_MASK, 1ull << 5);     /* NE host-owned */
	gw(m, VF_CR0_READ_SHADOW, 1ull << 5);
	ck_assert_uint_eq(reason(OP_G_MOV_TO_CR, 0, TM_L1_CR0), 18);       /* NE matches */
	const struct outcome *o = run1(OP_G_MOV_TO_CR, 0, TM_L1_CR0 & ~(1ull << 5));
	ck_assert_uint_eq(o->num, 28);
	ck_assert_uint_eq(o->qual, 0);
	ck_assert_uint_eq(o->len, 3);
	gw(m, VF_CR4_GUEST_HOST_MASK, 1ull << 13);   /* VMXE */
	o = run1(OP_G_MOV_TO_CR, 4, TM_L1_CR4);
	ck_assert_uint_eq(o->num, 28);
	ck_assert_uint_eq(o->qual, 4);
	/* CLTS: TS in mask and shadow */
	gw(m, VF_CR0_GUEST_HOST_MASK, 8);
	gw(m, VF_CR0_READ_SHADOW, 8);
	o = run1(OP_G_CLTS, 0, 0);
	ck_assert_uint_eq(o->qual, 2 << 4);
	/* LMSW setting a host-owned MP that reads 0 */
	gw(m, VF_CR0_GUEST_HOST_MASK, 2);
	gw(m, VF_CR0_READ_SHADOW, 0);
	o = run1(OP_G_LMSW, 3, 0);
	ck_assert_uint_eq(o->qual, 3u << 4 | 3u << 16);
}
END_TEST

START_TEST(cr3_targets_and_cr8_dr)
{
	gw(m, VF_CPU_BASED_VM_EXEC_CONTROL, PROC_CR3_LOAD | PROC_CR3_STORE | PROC_CR8_LOAD | PROC_MOV_DR);
	ck_assert_uint_eq(run1(OP_G_MOV_TO_CR, 3, 0x5000)->qual, 3);
	gw(m, VF_CR3_TARGET_COUNT, 2);
	gw(m, VF_CR3_TARGET_VALUE1, 0x5000);
	ck_assert_uint_eq(reason(OP_G_MOV_TO_CR, 3, 0x5000), 18);
	gw(m, VF_CR3_TARGET_COUNT, 1);   /* value 1 no longer counts */
	ck_assert_uint_eq(reason(OP_G_MOV_TO_CR, 3, 0x5000), 28);
	ck_assert_uint_eq(run1(OP_G_MOV_FROM_CR, 3, 0)->qual, 3 | 1 << 4);
	const struct outcome *o = run1(OP_G_MOV_TO_CR, 8, 0);
	ck_assert_uint_eq(o->qual, 8);
	ck_assert_uint_eq(o->len, 4);    /* 44 0F 22 C0 */
	/* Table 27-4: DR (2:0), direction from DR (4) */
	o = run1(OP_G_MOV_DR, 7, 0);
	ck_assert_uint_eq(o->num, 29);
	ck_assert_uint_eq(o->qual, 7 | 1 << 4);
	ck_assert_uint_eq(run1(OP_G_MOV_TO_DR, 1, 5)->qual, 1);
}
END_TEST

static Suite *guest_io_suite(void)
{
	Suite *s = suite_create("guest_io");
	TCase *t = tcase_create("msr_io_cr");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, msr_without_bitmaps_always_exits);
	tcase_add_test(t, msr_bitmap_ranges);
	tcase_add_test(t, io_unconditional_and_qualification);
	tcase_add_test(t, io_bitmaps);
	tcase_add_test(t, cr_masks_and_shadows);
	tcase_add_test(t, cr3_targets_and_cr8_dr);
	suite_add_tcase(s, t);
	return s;
}
SUITE_REGISTER(guest_io_suite)
