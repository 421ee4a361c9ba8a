/* The model's initial memory is the map testmachine.h describes (its
 * comments are the contract the probe kernel builds to as well). */
#include <string.h>
#include "../refvmm.h"
#include "suites.h"

static uint64_t rd64(const struct refvmm *m, uint64_t pa) { return mem_read64(&m->mem, pa); }

START_TEST(test_regions_and_tables)
{
	const struct vmx_caps *c = caps_builtin_at((size_t)_i);
	struct refvmm *m = refvmm_create(c);
	ck_assert_ptr_nonnull(m);
	/* revision identifier, bit 31 clear, in the four VMX regions */
	uint64_t regions[] = { TM_VMXON_REGION, TM_VMCS0, TM_VMCS1, TM_SHADOW_VMCS };
	for (int i = 0; i < 4; i++)
		ck_assert_uint_eq(mem_read32(&m->mem, regions[i]), caps_msr(c, 0x480) & 0x7fffffff);
	/* GDT descriptors as spelled in testmachine.h */
	ck_assert_uint_eq(rd64(m, TM_GDT + 0x08), 0x00af9b000000ffffULL);
	ck_assert_uint_eq(rd64(m, TM_GDT + 0x10), 0x00cf93000000ffffULL);
	ck_assert_uint_eq(rd64(m, TM_GDT + 0x30), 0x00cff3000000ffffULL);
	ck_assert_uint_eq(rd64(m, TM_GDT + 0x38), 0x00affb000000ffffULL);
	/* busy 64-bit TSS descriptor: limit 0x67, base 0x422000, type 0xb, P */
	ck_assert_uint_eq(rd64(m, TM_GDT + 0x20), 0x00008b4220000067ULL);
	ck_assert_uint_eq(rd64(m, TM_GDT + 0x28), 0);
	/* guest IDT gate 14 -> stub 14: interrupt gate, selector 8 */
	uint64_t stub14 = TM_GUEST_IDT_STUBS + 16 * 14;
	ck_assert_uint_eq(rd64(m, TM_GUEST_IDT + 16 * 14),
			  (stub14 & 0xffff) | 0x8ULL << 16 | 0x8eULL << 40 | (stub14 >> 16) << 48);
	/* stub: vmcall; iretq; then hlt padding */
	uint8_t b[16];
	ck_assert_int_eq(mem_read(&m->mem, TM_GUEST_IDT_STUBS + 16 * 255, b, 16), 0);
	ck_assert(!memcmp(b, "\x0f\x01\xc1\x48\xcf\xf4\xf4", 7) && b[15] == 0xf4);
	/* paging and EPT: PML4[0] -> PDPT, PDPT[0] -> PD, PD[i] = i * 2 MiB */
	ck_assert_uint_eq(rd64(m, TM_PAGE_TABLES), TM_PAGE_TABLES + 0x1003);
	ck_assert_uint_eq(rd64(m, TM_PAGE_TABLES + 0x1000), TM_PAGE_TABLES + 0x2003);
	ck_assert_uint_eq(rd64(m, TM_PAGE_TABLES + 0x2000 + 8 * 511), (511ULL << 21) | 0x83);
	ck_assert_uint_eq(rd64(m, TM_EPT_ROOT), TM_EPT_PDPT | 7);
	ck_assert_uint_eq(rd64(m, TM_EPT_PDPT), TM_EPT_PD | 7);
	ck_assert_uint_eq(rd64(m, TM_EPT_PD + 8 * 3), (3ULL << 21) | 0xb7);
	/* L1's PAE PDPT (leave_ia32e): entry 0 -> the identity PD, P only */
	ck_assert_uint_eq(rd64(m, TM_L1_PAE_PDPT), 0x42a001);
	ck_assert_uint_eq(rd64(m, TM_L1_PAE_PDPT + 8), 0);
	/* the unlinked 4-KByte tables over 0x400000-0x5fffff: P|RW, and RWX|WB */
	ck_assert_uint_eq(rd64(m, TM_PT_4K), 0x400003);
	ck_assert_uint_eq(rd64(m, TM_PT_4K + 8 * 0xb), 0x40b003);
	ck_assert_uint_eq(rd64(m, TM_EPT_PT_4K + 8 * 511), 0x5ff037);
	/* everything else is zero, e.g. the bitmaps and the PML4's other entries */
	ck_assert_uint_eq(rd64(m, TM_MSR_BITMAP), 0);
	ck_assert_uint_eq(rd64(m, TM_PAGE_TABLES + 8), 0);
	ck_assert_uint_eq(rd64(m, TM_EPT_ROOT + 0x3000), 0);
	refvmm_destroy(m);
}
END_TEST

/* A reset forgets what the last case wrote and restores the tables. */
START_TEST(test_reset_restores)
{
	struct refvmm *m = refvmm_create(caps_default());
	struct result r;
	struct rop w = { .op = OP_WRITE64, .a = { TM_EPT_PD, 0 } }, s = { .op = OP_WRITE64, .a = { TM_SCRATCH, 1 } };
	refvmm_run(m, &w, &r);
	refvmm_run(m, &s, &r);
	struct rop on = { .op = OP_VMXON, .a = { TM_VMXON_REGION } };
	refvmm_run(m, &on, &r);
	ck_assert(m->vmx.on);
	refvmm_reset(m);
	ck_assert(!m->vmx.on && m->vmx.current == VMCS_NONE);
	ck_assert_uint_eq(rd64(m, TM_EPT_PD), 0xb7);
	ck_assert_uint_eq(rd64(m, TM_SCRATCH), 0);
	ck_assert_uint_eq(m->cpu.cr4, TM_L1_CR4);
	refvmm_destroy(m);
}
END_TEST

/* A profile with a MAXPHYADDR no 64-bit processor has still builds the
 * machine (the model's RAM is at least 4 GiB; address checks use the
 * profile's value). */
START_TEST(test_small_maxphyaddr)
{
	struct vmx_caps c = *caps_default();
	c.maxphyaddr = 20;
	struct refvmm *m = refvmm_create(&c);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(rd64(m, TM_EPT_ROOT), TM_EPT_PDPT | 7);
	refvmm_destroy(m);
}
END_TEST

static Suite *testmachine_suite(void)
{
	Suite *s = suite_create("testmachine");
	TCase *t = tcase_create("memory");
	tcase_add_loop_test(t, test_regions_and_tables, 0, (int)caps_builtin_count());
	tcase_add_test(t, test_reset_restores);
	tcase_add_test(t, test_small_maxphyaddr);
	suite_add_tcase(s, t);
	return s;
}
SUITE_REGISTER(testmachine_suite)
