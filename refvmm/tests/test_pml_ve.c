/* Page-modification logging (SDM 29.3.6) and the EPT-violation #VE
 * (26.5.7; 25.5.6 in older editions) in ept.c.  Layout as in test_ept.c:
 * EPT PD[3] maps GPA 0x600000-0x7fffff, L2's paging maps LA 0x600000 to
 * GPA 0x600000.  The EPT entries that translate L2's code, stack and page
 * tables (PML4E, PDPTE, PD[2]) start with their accessed and dirty flags
 * set, so only the case's own accesses set flags. */
#include <stdlib.h>
#include <string.h>
#include "suites.h"
#include "../ept.h"
#include "l2_fixture.h"
#include "../refvmm.h"
#include "../testmachine.h"

#define PD2   (TM_EPT_PD + 0x10)
#define PD3   (TM_EPT_PD + 0x18)
#define PT    (TM_EPT_ROOT + 0x3000)
#define WB    0x30ULL
#define AD    0x300ULL
#define EPTP_AD (TM_EPT_ROOT | 0x5e)
#define P2_EPT (1u << 1)
#define P2_PML (1u << 17)
#define P2_VE  (1u << 18)
#define VE_STUB (TM_GUEST_IDT_STUBS + 20 * TM_GUEST_STUB_SIZE)

static struct refvmm *m;
static struct result res;

static void put(uint64_t pa, uint64_t v)
{
	ck_assert(mem_write64(&m->mem, pa, v));
}

static uint64_t get(uint64_t pa)
{
	return mem_read64(&m->mem, pa);
}

static uint32_t get32(uint64_t pa)
{
	uint32_t v = 0;
	ck_assert(mem_read(&m->mem, pa, &v, sizeof v) == 0);
	return v;
}

static void setup(void)
{
	m = l2_machine();
	gw(m, VF_CPU_BASED_VM_EXEC_CONTROL, PROC_SECONDARY);
	gw(m, VF_SECONDARY_VM_EXEC_CONTROL, P2_EPT);
	gw(m, VF_EPT_POINTER, TM_EPT_ROOT | 0x1e);
	put(TM_EPT_ROOT, get(TM_EPT_ROOT) | 0x100);
	put(TM_EPT_PDPT, get(TM_EPT_PDPT) | 0x100);
	put(PD2, 0x400000 | TM_EPTE_2M | AD);
}

static void teardown(void)
{
	refvmm_destroy(m);
}

static void run(const struct rop *b, uint32_t n)
{
	struct cpu_state l2 = l2_entry_state();
	gw(m, VF_GUEST_RIP, l2.rip);   /* a fresh launch, not a resume at the last exit's RIP */
	l2_run(m, &res, b, n, &l2);
	ck_assert_uint_eq(res.nalt, 1);
	ck_assert_uint_eq(res.alt[0].kind, OUT_EXIT);
}

static void run1(uint16_t op, uint64_t a0, uint64_t a1)
{
	struct rop b[] = { { .op = op, .a = { a0, a1 } } };
	run(b, 1);
}

static bool fired(enum rule_id r)
{
	return l2_fired(&res, r);
}

/* ---- page-modification logging ---- */

static void pml(uint16_t index)
{
	gw(m, VF_SECONDARY_VM_EXEC_CONTROL, P2_EPT | P2_PML);
	gw(m, VF_EPT_POINTER, EPTP_AD);
	gw(m, VF_PML_ADDRESS, TM_PML_BUFFER);
	gw(m, VF_GUEST_PML_INDEX, index);
}

/* The write sets PD[3]'s dirty flag: entry 511 gets GPA 0x600ff8 with
 * bits 11:0 cleared, the index drops to 510. */
START_TEST(pml_logs_dirty)
{
	pml(511);
	run1(OP_G_WRITE, 0x600ff8, 1);
	ck_assert_uint_eq(res.alt[0].num, 18);
	ck_assert_uint_eq(get(TM_PML_BUFFER + 8 * 511), 0x600000);
	ck_assert_uint_eq(get(TM_PML_BUFFER + 8 * 510), 0);
	ck_assert_uint_eq(gv(m, VF_GUEST_PML_INDEX), 510);
	ck_assert_uint_eq(get(PD3) & AD, AD);
	ck_assert(fired(R_EPT_PML_LOG));
	ck_assert_uint_eq(get(0x600ff8), 1);
}
END_TEST

/* Accessed flags log nothing; a dirty flag already set logs nothing. */
START_TEST(pml_dirty_once)
{
	pml(511);
	struct rop b[] = { { .op = OP_G_READ, .a = { 0x600000 } },
			   { .op = OP_G_WRITE, .a = { 0x601000, 1 } },
			   { .op = OP_G_WRITE, .a = { 0x602000, 2 } } };
	run1(OP_G_READ, 0x600000, 0);
	ck_assert_uint_eq(res.alt[0].num, 18);
	ck_assert_uint_eq(gv(m, VF_GUEST_PML_INDEX), 511);
	ck_assert_uint_eq(get(PD3) & AD, 0x100);
	ck_assert(!fired(R_EPT_PML_LOG));
	put(PD3, 0x600000 | TM_EPTE_2M);
	run(b, 3);
	ck_assert_uint_eq(res.alt[0].num, 18);
	ck_assert_uint_eq(get(TM_PML_BUFFER + 8 * 511), 0x601000);
	ck_assert_uint_eq(get(TM_PML_BUFFER + 8 * 510), 0);
	ck_assert_uint_eq(gv(m, VF_GUEST_PML_INDEX), 510);
}
END_TEST

/* Index 0 is the last entry: the log uses it and the index wraps to
 * FFFFH; the next access that needs a flag is a log-full exit. */
START_TEST(pml_index_wraps_then_full)
{
	pml(0);
	run1(OP_G_WRITE, 0x600008, 1);
	ck_assert_uint_eq(res.alt[0].num, 18);
	ck_assert_uint_eq(get(TM_PML_BUFFER), 0x600000);
	ck_assert_uint_eq(gv(m, VF_GUEST_PML_INDEX), 0xffff);
	run1(OP_G_READ, 0x800000, 0);
	ck_assert_uint_eq(res.alt[0].num, XR_PML_FULL);
	ck_assert(fired(R_EPT_PML_FULL));
}
END_TEST

/* Outside 0-511 (here 512): exit 62 with qualification 0 at the
 * writing instruction; no flag set, no store, index unchanged. */
START_TEST(pml_full_write)
{
	pml(512);
	run1(OP_G_WRITE, 0x600010, 0x77);
	const struct outcome *o = &res.alt[0];
	ck_assert_uint_eq(o->num, XR_PML_FULL);
	ck_assert_uint_eq(o->qual, 0);
	ck_assert_uint_eq(gv(m, VF_EXIT_QUALIFICATION), 0);
	ck_assert_uint_eq(gv(m, VF_GUEST_RIP), m->vmx.block_rip[0]);
	ck_assert_uint_eq(get(PD3) & AD, 0);
	ck_assert_uint_eq(get(0x600010), 0);
	ck_assert_uint_eq(gv(m, VF_GUEST_PML_INDEX), 512);
	ck_assert(fired(R_EPT_PML_FULL));
	ck_assert(!fired(R_EPT_PML_LOG));
}
END_TEST

/* An accessed-flag update alone also examines the index (29.3.6: "an
 * accessed or dirty flag"); with every flag already set nothing does. */
START_TEST(pml_full_accessed_only)
{
	pml(0xffff);
	run1(OP_G_READ, 0x600000, 0);
	ck_assert_uint_eq(res.alt[0].num, XR_PML_FULL);
	ck_assert_uint_eq(get(PD3) & AD, 0);
	put(PD3, 0x600000 | TM_EPTE_2M | 0x100);
	run1(OP_G_READ, 0x600000, 0);
	ck_assert_uint_eq(res.alt[0].num, 18);
	ck_assert(!fired(R_EPT_PML_FULL));
	put(PD3, 0x600000 | TM_EPTE_2M | AD);
	run1(OP_G_WRITE, 0x600000, 1);
	ck_assert_uint_eq(res.alt[0].num, 18);
	ck_assert_uint_eq(gv(m, VF_GUEST_PML_INDEX), 0xffff);
}
END_TEST

/* L2's PDPT[1] -> its PD at GPA 0x700000 (in PD[3]'s page), mapping LA
 * 0x40000000 to GPA 0x600000.  With EPTP[6] = 1 the walk's read of that
 * PD is a write for EPT (29.3.5): a read logs the PD's page. */
START_TEST(pml_logs_paging_structure)
{
	pml(511);
	put(TM_PAGE_TABLES + 0x1008, 0x700003);
	put(0x700000, 0x6000a3);
	run1(OP_G_READ, 0x40000010, 0);
	ck_assert_uint_eq(res.alt[0].num, 18);
	ck_assert_uint_eq(get(TM_PML_BUFFER + 8 * 511), 0x700000);
	ck_assert_uint_eq(gv(m, VF_GUEST_PML_INDEX), 510);
}
END_TEST

/* Without EPTP[6] there are no EPT flags: nothing logs, nothing exits. */
START_TEST(pml_without_ad)
{
	pml(0xffff);
	gw(m, VF_EPT_POINTER, TM_EPT_ROOT | 0x1e);
	run1(OP_G_WRITE, 0x600000, 1);
	ck_assert_uint_eq(res.alt[0].num, 18);
	ck_assert_uint_eq(get(PD3), 0x600000 | TM_EPTE_2M);
}
END_TEST

/* ---- EPT-violation #VE ---- */

/* EPT-violation #VE on, the information area clear, EPTP index 5; PD[3]
 * -> PT whose entry 0 (GPA 0x600000) is `pte`. */
static void ve(uint64_t pte)
{
	gw(m, VF_SECONDARY_VM_EXEC_CONTROL, P2_EPT | P2_VE);
	gw(m, VF_VE_INFORMATION_ADDRESS, TM_VE_INFO);
	gw(m, VF_EPTP_INDEX, 5);
	put(PD3, PT | 7);
	put(PT, pte);
}

static void ve_info_is(uint64_t qual, uint64_t gla, uint64_t gpa)
{
	ck_assert_uint_eq(get32(TM_VE_INFO), 48);
	ck_assert_uint_eq(get32(TM_VE_INFO + 4), 0xffffffffu);
	ck_assert_uint_eq(get(TM_VE_INFO + 8), qual);
	ck_assert_uint_eq(get(TM_VE_INFO + 16), gla);
	ck_assert_uint_eq(get(TM_VE_INFO + 24), gpa);
	ck_assert_uint_eq(get(TM_VE_INFO + 32) & 0xffff, 5);
}

/* Not-present PTE, bit 63 clear: #VE through L2's IDT (gate 20: the
 * stub's VMCALL exits), no error code pushed, RIP of the read saved. */
START_TEST(ve_delivered)
{
	ve(0);
	run1(OP_G_READ, 0x600010, 0);
	ck_assert_uint_eq(res.alt[0].num, 18);
	ck_assert_uint_eq(gv(m, VF_GUEST_RIP), VE_STUB);
	ve_info_is(0x181, 0x600010, 0x600010);
	uint64_t rsp = gv(m, VF_GUEST_RSP);
	ck_assert_uint_eq(get(rsp), m->vmx.block_rip[0]);
	ck_assert_uint_eq(get(rsp + 8), TM_SEL_CODE64);
	ck_assert(fired(R_EPT_VE_CONVERT));
}
END_TEST

/* Bit 20 of the exception bitmap: exit 0, hardware exception 20, no
 * error code (26.5.7.3); the area is written first. */
START_TEST(ve_exception_bitmap)
{
	ve(0x600000 | WB | 1);
	gw(m, VF_EXCEPTION_BITMAP, 1u << 20);
	run1(OP_G_WRITE, 0x600020, 1);
	const struct outcome *o = &res.alt[0];
	ck_assert_uint_eq(o->num, 0);
	ck_assert_uint_eq(o->intr, 0x80000314);
	ck_assert_uint_eq(gv(m, VF_VM_EXIT_INTR_INFO), 0x80000314);
	ck_assert(!(o->have & EXF_INTR_ERR));
	ck_assert_uint_eq(gv(m, VF_GUEST_RIP), m->vmx.block_rip[0]);
	ve_info_is(0x18a, 0x600020, 0x600020);
	ck_assert_uint_eq(get(0x600020), 0);
}
END_TEST

/* A fetch (the CALL's target) converts: qualification 0x184; the #VE is
 * a fault at the target. */
START_TEST(ve_fetch)
{
	ve(0);
	gw(m, VF_EXCEPTION_BITMAP, 1u << 20);
	run1(OP_G_EXEC, 0x600000, 0);
	ck_assert_uint_eq(res.alt[0].num, 0);
	ck_assert_uint_eq(res.alt[0].intr, 0x80000314);
	ck_assert_uint_eq(gv(m, VF_GUEST_RIP), 0x600000);
	ve_info_is(0x184, 0x600000, 0x600000);
}
END_TEST

/* Bit 63 of the deciding entry set: the ordinary exit 48, area untouched. */
START_TEST(ve_suppressed)
{
	ve(1ULL << 63);
	run1(OP_G_READ, 0x600010, 0);
	ck_assert_uint_eq(res.alt[0].num, 48);
	ck_assert_uint_eq(res.alt[0].qual, 0x181);
	ck_assert_uint_eq(get32(TM_VE_INFO), 0);
	ck_assert_uint_eq(get32(TM_VE_INFO + 4), 0);
	ck_assert(fired(R_EPT_VE_SUPPRESS));
	ck_assert(!fired(R_EPT_VE_CONVERT));
	ve(0x600000 | WB | 1 | 1ULL << 63);
	run1(OP_G_WRITE, 0x600010, 1);
	ck_assert_uint_eq(res.alt[0].num, 48);
	ck_assert_uint_eq(res.alt[0].qual, 0x18a);
}
END_TEST

/* Bit 63 of an entry that references a table does not count. */
START_TEST(ve_non_leaf_bit63_ignored)
{
	ve(0x600000 | WB | 1);
	put(PD3, PT | 7 | 1ULL << 63);
	run1(OP_G_WRITE, 0x600010, 1);
	ck_assert_uint_eq(res.alt[0].num, 18);
	ck_assert_uint_eq(gv(m, VF_GUEST_RIP), VE_STUB);
	ve_info_is(0x18a, 0x600010, 0x600010);
}
END_TEST

/* Offset 4 not 0: exit 48 as usual; the area is left alone. */
START_TEST(ve_info_busy)
{
	ve(0);
	ck_assert(mem_write(&m->mem, TM_VE_INFO + 4, &(uint32_t){ 1 }, 4) == 0);
	run1(OP_G_READ, 0x600010, 0);
	ck_assert_uint_eq(res.alt[0].num, 48);
	ck_assert_uint_eq(res.alt[0].gpa, 0x600010);
	ck_assert_uint_eq(get32(TM_VE_INFO), 0);
	ck_assert_uint_eq(get32(TM_VE_INFO + 4), 1);
	ck_assert(fired(R_EPT_VE_INFO_BUSY));
}
END_TEST

/* A violation on L2's own paging structure converts too: qualification
 * bit 8 clear, the guest-physical address that of the PD. */
START_TEST(ve_paging_structure)
{
	ve(0);
	put(TM_PAGE_TABLES + 0x1008, 0x700003);
	put(PD3, 0);   /* GPA 0x600000-0x7fffff not present */
	run1(OP_G_READ, 0x40000000, 0);
	ck_assert_uint_eq(res.alt[0].num, 18);
	ck_assert_uint_eq(gv(m, VF_GUEST_RIP), VE_STUB);
	ve_info_is(0x81, 0x40000000, 0x700000);
}
END_TEST

/* The #VE's frame would go to GPA 0x600fd8-0x600ff8, which EPT does not
 * map: an EPT violation during the delivery (exit 48 with IDT-vectoring
 * information) that the model does not follow. */
START_TEST(ve_delivery_fault_unmodelled)
{
	ve(0);
	struct rop b[] = { { .op = OP_G_READ, .a = { 0x600010 } } };
	struct cpu_state l2 = l2_entry_state();
	l2.gpr[RSP] = 0x601000;
	gw(m, VF_GUEST_RSP, 0x601000);
	l2_run(m, &res, b, 1, &l2);
	ck_assert_uint_eq(res.nalt, 1);
	ck_assert_uint_eq(res.alt[0].kind, OUT_UNMODELLED);
}
END_TEST

static Suite *pml_ve_suite(void)
{
	Suite *s = suite_create("pml_ve");
	TCase *t = tcase_create("pml_ve");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, pml_logs_dirty);
	tcase_add_test(t, pml_dirty_once);
	tcase_add_test(t, pml_index_wraps_then_full);
	tcase_add_test(t, pml_full_write);
	tcase_add_test(t, pml_full_accessed_only);
	tcase_add_test(t, pml_logs_paging_structure);
	tcase_add_test(t, pml_without_ad);
	tcase_add_test(t, ve_delivered);
	tcase_add_test(t, ve_exception_bitmap);
	tcase_add_test(t, ve_fetch);
	tcase_add_test(t, ve_suppressed);
	tcase_add_test(t, ve_non_leaf_bit63_ignored);
	tcase_add_test(t, ve_info_busy);
	tcase_add_test(t, ve_paging_structure);
	tcase_add_test(t, ve_delivery_fault_unmodelled);
	suite_add_tcase(s, t);
	return s;
}
SUITE_REGISTER(pml_ve_suite)
