/* refvmm_reset rewinds to the test machine's memory snapshot (mem.h) and
 * VMCS fields go through a cached pointer to the current region
 * (vmcs_access.h): neither may be observable.  A reset machine equals a
 * freshly created one page for page, and VMREAD/VMWRITE agree with plain
 * memory accesses to the region whatever happened in between. */
#include <string.h>
#include "suites.h"
#include "../refvmm.h"
#include "../vmcs_access.h"

#define ENC_GUEST_RIP 0x681eu
#define ENC_TSC_OFFSET 0x2010u

static struct result res;

static void run(struct refvmm *m, uint16_t op, uint64_t a0, uint64_t a1)
{
	struct rop o = { .op = op, .a = { a0, a1 } };
	refvmm_run(m, &o, &res);
}

static uint64_t vmread(struct refvmm *m, uint32_t enc)
{
	run(m, OP_VMREAD, enc, 0);
	ck_assert_int_eq(res.nalt, 1);
	ck_assert_int_eq(res.alt[0].kind, OUT_VALUE);
	return res.alt[0].value;
}

/* Every present page of a equals the same page of b (absent reads zero). */
static void same_pages(const struct refvmm *a, const struct refvmm *b)
{
	static uint8_t pa_buf[MEM_PAGE], pb_buf[MEM_PAGE];
	for (uint32_t i = 0; i < a->mem.cap; i++) {
		const struct mem_page *p = &a->mem.tab[i];
		if (!p->data)
			continue;
		ck_assert_int_eq(mem_read(&a->mem, p->pfn * MEM_PAGE, pa_buf, MEM_PAGE), 0);
		ck_assert_int_eq(mem_read(&b->mem, p->pfn * MEM_PAGE, pb_buf, MEM_PAGE), 0);
		ck_assert_msg(!memcmp(pa_buf, pb_buf, MEM_PAGE), "page %#llx differs",
			      (unsigned long long)p->pfn * MEM_PAGE);
	}
}

START_TEST(reset_equals_a_fresh_machine)
{
	struct refvmm *m = refvmm_create(caps_default()), *fresh = refvmm_create(caps_default());
	ck_assert_ptr_nonnull(m);
	ck_assert_ptr_nonnull(fresh);
	for (int round = 0; round < 3; round++) {
		run(m, OP_VMXON, TM_VMXON_REGION, 0);
		run(m, OP_VMCLEAR, TM_VMCS0, 0);
		run(m, OP_VMPTRLD, TM_VMCS0, 0);
		run(m, OP_VMWRITE, ENC_GUEST_RIP, 0x1234);
		run(m, OP_WRITE64, TM_GDT + 8, 0xdeadbeef);         /* a page of the snapshot */
		run(m, OP_WRITE64, 0x7654000, 0x55);                /* a page created by the case */
		run(m, OP_WRITE32, TM_VMCS1, 0x80000000u);          /* a revision identifier */
		ck_assert_uint_eq(vmread(m, ENC_GUEST_RIP), 0x1234);
		refvmm_reset(m);
		ck_assert_uint_eq(m->mem.npages, fresh->mem.npages);
		ck_assert_uint_eq(m->vmx.current, VMCS_NONE);
		same_pages(m, fresh);
		same_pages(fresh, m);
		ck_assert_uint_eq(mem_read64(&m->mem, 0x7654000), 0);
	}
	refvmm_destroy(m);
	refvmm_destroy(fresh);
}
END_TEST

/* VMWRITE/VMREAD, case writes into the region, VMPTRLD of another VMCS
 * and back, and a reset in between: each sees what the others stored. */
START_TEST(vmcs_fields_agree_with_memory)
{
	struct refvmm *m = refvmm_create(caps_default());
	ck_assert_ptr_nonnull(m);
	uint64_t rip0 = TM_VMCS0 + VMCS_OFF_FIELDS + 8u * VF_GUEST_RIP;
	uint64_t rip1 = TM_VMCS1 + VMCS_OFF_FIELDS + 8u * VF_GUEST_RIP;
	run(m, OP_VMXON, TM_VMXON_REGION, 0);
	run(m, OP_VMPTRLD, TM_VMCS0, 0);
	run(m, OP_VMWRITE, ENC_GUEST_RIP, 0x1111);
	ck_assert_uint_eq(mem_read64(&m->mem, rip0), 0x1111);
	run(m, OP_WRITE64, rip0, 0x2222);                   /* behind the cached pointer */
	ck_assert_uint_eq(vmread(m, ENC_GUEST_RIP), 0x2222);
	run(m, OP_VMWRITE, ENC_TSC_OFFSET | 1, 0xabcd);     /* high access type (24.11.2) */
	ck_assert_uint_eq(vmread(m, ENC_TSC_OFFSET), 0xabcd00000000ull);
	run(m, OP_VMPTRLD, TM_VMCS1, 0);
	run(m, OP_VMWRITE, ENC_GUEST_RIP, 0x3333);
	ck_assert_uint_eq(mem_read64(&m->mem, rip1), 0x3333);
	ck_assert_uint_eq(mem_read64(&m->mem, rip0), 0x2222);
	run(m, OP_VMPTRLD, TM_VMCS0, 0);
	ck_assert_uint_eq(vmread(m, ENC_GUEST_RIP), 0x2222);
	uint64_t v;
	ck_assert(refvmm_peek_vmcs(m, VF_GUEST_RIP, &v));
	ck_assert_uint_eq(v, 0x2222);
	refvmm_reset(m);                                    /* the cached page is gone */
	run(m, OP_VMXON, TM_VMXON_REGION, 0);
	run(m, OP_VMPTRLD, TM_VMCS0, 0);
	ck_assert_uint_eq(vmread(m, ENC_GUEST_RIP), 0);
	run(m, OP_VMWRITE, ENC_GUEST_RIP, 0x4444);
	ck_assert_uint_eq(mem_read64(&m->mem, rip0), 0x4444);
	refvmm_destroy(m);
}
END_TEST

/* A current VMCS whose page was never written (a hand-built machine, as
 * the unit fixtures make) is read as zeroes and written through memory. */
START_TEST(vmcs_on_an_absent_page)
{
	struct refvmm *m = refvmm_create(caps_default());
	ck_assert_ptr_nonnull(m);
	uint64_t region = 0x9000000;
	m->vmx.on = true;
	m->vmx.current = region;
	vmcs_cache_refresh(m);
	ck_assert_ptr_null(vmcs_cached(m));
	ck_assert_uint_eq(vmcs_get(m, VF_GUEST_RIP), 0);
	uint32_t pages = m->mem.npages;
	vmcs_put(m, VF_GUEST_RIP, 0);                       /* zero needs no page */
	ck_assert_uint_eq(m->mem.npages, pages);
	vmcs_put(m, VF_GUEST_RIP, 0x77);
	ck_assert_uint_eq(m->mem.npages, pages + 1);
	ck_assert_uint_eq(mem_read64(&m->mem, region + VMCS_OFF_FIELDS + 8u * VF_GUEST_RIP), 0x77);
	vmcs_cache_refresh(m);
	ck_assert_ptr_nonnull(vmcs_cached(m));
	ck_assert_uint_eq(vmcs_get(m, VF_GUEST_RIP), 0x77);
	refvmm_destroy(m);
}
END_TEST

static Suite *reset_suite(void)
{
	Suite *s = suite_create("reset");
	TCase *t = tcase_create("reset");
	tcase_add_test(t, reset_equals_a_fresh_machine);
	tcase_add_test(t, vmcs_fields_agree_with_memory);
	tcase_add_test(t, vmcs_on_an_absent_page);
	suite_add_tcase(s, t);
	return s;
}
SUITE_REGISTER(reset_suite)
