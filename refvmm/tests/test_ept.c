/* EPT (ept.c) and L2's memory accesses (guest_mem.c).  A table of EPT
 * layouts on the fixed test machine, each with the exit the SDM gives:
 * reason 48 with the Table 28-7 qualification, 49 with the GPA only
 * (29.3.3.1), or none (the block's trailing VMCALL exits).  Layout: EPT
 * PD[3] (GPA 0x600000-0x7fffff) points at a 4-KByte table PT at
 * TM_EPT_ROOT + 0x3000 whose entry 0 maps GPA 0x600000; L2's paging maps
 * LA 0x600000 to GPA 0x600000 with a 2-MByte page (testmachine.h). */
#include <stdlib.h>
#include <string.h>
#include "suites.h"
#include "../ept.h"
#include "l2_fixture.h"
#include "../refvmm.h"
#include "../testmachine.h"

#define PD3   (TM_EPT_PD + 0x18)
#define PT    (TM_EPT_ROOT + 0x3000)
#define PML5  (TM_EPT_ROOT + 0x4000)
#define WB    0x30ULL
#define GPD(i) (TM_PAGE_TABLES + 0x2000 + 8 * (i))   /* L2's PD entry i */
#define EPTP_4 (TM_EPT_ROOT | 0x1e)
#define VMCALL_BYTES 0xc1010fULL

static struct refvmm *m;
static struct result res;

static void setup(void)
{
	m = l2_machine();
	gw(m, VF_CPU_BASED_VM_EXEC_CONTROL, PROC_SECONDARY);
	gw(m, VF_SECONDARY_VM_EXEC_CONTROL, 1u << 1);   /* enable EPT */
	gw(m, VF_EPT_POINTER, EPTP_4);
}

static void teardown(void)
{
	refvmm_destroy(m);
}

/* A fresh VMLAUNCH of one op into 64-bit L2. */
static void run1(uint16_t op, uint64_t a0, uint64_t a1)
{
	struct rop b[] = { { .op = op, .a = { a0, a1 } } };
	struct cpu_state l2 = l2_entry_state();
	l2_run(m, &res, b, 1, &l2);
}

static bool fired(enum rule_id r)
{
	return l2_fired(&res, r);
}

static void put(uint64_t pa, uint64_t v)
{
	ck_assert(mem_write64(&m->mem, pa, v));
}

struct wr { uint64_t pa, v; };
struct ept_case {
	const char *what;
	struct wr w[8];            /* memory stores before the entry (pa 0 ends) */
	uint64_t eptp;             /* 0: WB, 4-level, TM_EPT_ROOT */
	uint64_t cap_clear, cap_set;   /* IA32_VMX_EPT_VPID_CAP changes */
	uint32_t proc2;            /* secondary controls besides enable EPT */
	uint16_t op;
	uint64_t addr, val;
	uint32_t reason;           /* 18: no EPT exit, the trailing VMCALL */
	uint64_t qual, gpa, gla;
	enum rule_id rule;
};

static const struct ept_case cases[] = {
	{ "read of a read-only page", { { PD3, PT | 7 }, { PT, 0x600000 | WB | 1 } },
	  .op = OP_G_READ, .addr = 0x600000, .reason = 18 },
	{ "read of an execute-only page", { { PD3, PT | 7 }, { PT, 0x600000 | WB | 4 } },
	  .op = OP_G_READ, .addr = 0x600010, .reason = 48, .qual = 0x1a1, .gpa = 0x600010,
	  .gla = 0x600010, .rule = R_EPT_VIOLATION_READ },
	{ "read through a not-present PTE", { { PD3, PT | 7 } },
	  .op = OP_G_READ, .addr = 0x600000, .reason = 48, .qual = 0x181, .gpa = 0x600000,
	  .gla = 0x600000, .rule = R_EPT_VIOLATION_NOT_PRESENT },
	{ "write to a read+execute page", { { PD3, PT | 7 }, { PT, 0x600000 | WB | 5 } },
	  .op = OP_G_WRITE, .addr = 0x600ff8, .reason = 48, .qual = 0x1aa, .gpa = 0x600ff8,
	  .gla = 0x600ff8, .rule = R_EPT_VIOLATION_WRITE },
	{ "write under a read-only PDE", { { PD3, PT | 1 }, { PT, 0x600000 | WB | 7 } },
	  .op = OP_G_WRITE, .addr = 0x600000, .reason = 48, .qual = 0x18a, .gpa = 0x600000,
	  .gla = 0x600000, .rule = R_EPT_VIOLATION_WRITE },
	{ "fetch from a read/write page", { { PD3, PT | 7 }, { PT, 0x600000 | WB | 3 } },
	  .op = OP_G_EXEC, .addr = 0x600000, .reason = 48, .qual = 0x19c, .gpa = 0x600000,
	  .gla = 0x600000, .rule = R_EPT_VIOLATION_EXEC },
	{ "write without read", { { PD3, PT | 7 }, { PT, 0x600000 | WB | 2 } },
	  .op = OP_G_READ, .addr = 0x600000, .reason = 49, .gpa = 0x600000,
	  .rule = R_EPT_MISCONFIG_WRITE_NO_READ },
	{ "execute-only where unsupported", { { PD3, PT | 7 }, { PT, 0x600000 | WB | 4 } },
	  .cap_clear = 1u << 0, .op = OP_G_READ, .addr = 0x600000, .reason = 49, .gpa = 0x600000,
	  .rule = R_EPT_MISCONFIG_EXEC_ONLY },
	{ "memory type 7", { { PD3, PT | 7 }, { PT, 0x600000 | 7 << 3 | 7 } },
	  .op = OP_G_READ, .addr = 0x600000, .reason = 49, .gpa = 0x600000,
	  .rule = R_EPT_MISCONFIG_MEMTYPE },
	{ "memory type 3 in a 2-MByte page", { { PD3, 0x600000 | 0x80 | 3 << 3 | 7 } },
	  .op = OP_G_WRITE, .addr = 0x600100, .reason = 49, .gpa = 0x600100,
	  .rule = R_EPT_MISCONFIG_MEMTYPE },
	{ "memory type 4 (WT) is fine", { { PD3, PT | 7 }, { PT, 0x600000 | 4 << 3 | 7 } },
	  .op = OP_G_READ, .addr = 0x600000, .reason = 18 },
	/* the identity map itself uses 2-MByte pages: the code fetch's first
	 * access, L2's PML4E at GPA 0x428000, is misconfigured */
	{ "2-MByte pages unsupported", { { 0, 0 } }, .cap_clear = 1u << 16,
	  .op = OP_G_READ, .addr = 0x600000, .reason = 49, .gpa = TM_PAGE_TABLES,
	  .rule = R_EPT_MISCONFIG_LARGE_PAGE },
	{ "1-GByte pages unsupported", { { TM_EPT_PDPT + 8, 0xb7 }, { GPD(4), 0x40600083 } },
	  .cap_clear = 1u << 17, .op = OP_G_READ, .addr = 0x800000, .reason = 49, .gpa = 0x40600000,
	  .rule = R_EPT_MISCONFIG_LARGE_PAGE },
	{ "1-GByte page bit 20", { { TM_EPT_PDPT + 8, 1u << 20 | 0xb7 }, { GPD(4), 0x40600083 } },
	  .op = OP_G_READ, .addr = 0x800008, .reason = 49, .gpa = 0x40600008,
	  .rule = R_EPT_MISCONFIG_RESERVED },
	{ "2-MByte page bit 12", { { PD3, 0x600000 | 1u << 12 | 0xb7 } },
	  .op = OP_G_READ, .addr = 0x600000, .reason = 49, .gpa = 0x600000,
	  .rule = R_EPT_MISCONFIG_RESERVED },
	{ "PML4E page size", { { TM_EPT_ROOT + 8, TM_EPT_PDPT | 0x87 }, { GPD(4), 0x8000000083 } },
	  .op = OP_G_READ, .addr = 0x800000, .reason = 49, .gpa = 0x8000000000,
	  .rule = R_EPT_MISCONFIG_RESERVED },
	{ "non-leaf bit 3", { { PD3, PT | 8 | 7 }, { PT, 0x600000 | WB | 7 } },
	  .op = OP_G_READ, .addr = 0x600000, .reason = 49, .gpa = 0x600000,
	  .rule = R_EPT_MISCONFIG_RESERVED },
	{ "address bit 51", { { PD3, PT | 7 }, { PT, 0x600000 | 1ULL << 51 | WB | 7 } },
	  .op = OP_G_READ, .addr = 0x600000, .reason = 49, .gpa = 0x600000,
	  .rule = R_EPT_MISCONFIG_RESERVED },
	{ "bits 63:52 are ignored", { { PD3, PT | 7 }, { PT, 0x600000 | 0x7ffULL << 52 | WB | 7 } },
	  .op = OP_G_READ, .addr = 0x600000, .reason = 18 },
	/* L2's PDPT[1] -> its PD at GPA 0x700000, which EPT does not map */
	{ "L2 paging structure not present",
	  { { PD3, PT | 7 }, { PT, 0x600000 | WB | 7 }, { TM_PAGE_TABLES + 0x1008, 0x700003 },
	    { 0x700000, 0x600083 } },
	  .op = OP_G_READ, .addr = 0x40000000, .reason = 48, .qual = 0x81, .gpa = 0x700000,
	  .gla = 0x40000000, .rule = R_EPT_VIOLATION_NOT_PRESENT },
	/* EPT A/D: L2's page tables (and code) in a read+execute 2-MByte page;
	 * the fetch's read of the PML4E is a write: qual bits 0 and 1 */
	{ "A/D: paging-structure read is a write", { { TM_EPT_PD + 0x10, 0x400000 | 0xb5 } },
	  .eptp = EPTP_4 | 0x40, .op = OP_G_READ, .addr = 0x600000, .reason = 48, .qual = 0xab,
	  .gpa = TM_PAGE_TABLES, .gla = TM_GUEST_CODE, .rule = R_EPT_AD_PAGING_WRITE },
	{ "without A/D it is a read", { { TM_EPT_PD + 0x10, 0x400000 | 0xb5 }, { PD3, PT | 7 },
	  { PT, 0x600000 | WB | 4 }, { TM_PAGE_TABLES, 0x429023 }, { TM_PAGE_TABLES + 0x1000, 0x42a023 },
	  { GPD(2), 0x4000a3 }, { GPD(3), 0x6000a3 } },
	  .op = OP_G_READ, .addr = 0x600000, .reason = 48, .qual = 0x1a1, .gpa = 0x600000,
	  .gla = 0x600000, .rule = R_EPT_VIOLATION_READ },
	/* advanced VM-exit information: the linear address is supervisor (9
	 * clear), writable (10), executable (11: EFER.NXE = 0) */
	{ "advanced exit information", { { PD3, PT | 7 }, { PT, 0x600000 | WB | 4 } },
	  .cap_set = 1u << 22, .op = OP_G_READ, .addr = 0x600000, .reason = 48, .qual = 0xda1,
	  .gpa = 0x600000, .gla = 0x600000, .rule = R_EPT_VIOLATION_READ },
	/* mode-based execute control: a user-mode linear address needs bit 10
	 * at every level (qual 6 = their AND = 0 here) */
	{ "MBEC: user fetch without bit 10",
	  { { TM_PAGE_TABLES, 0x429007 }, { TM_PAGE_TABLES + 0x1000, 0x42a007 }, { GPD(3), 0x600087 },
	    { PD3, PT | 7 }, { PT, 0x600000 | WB | 5 } },
	  .proc2 = 1u << 22, .op = OP_G_EXEC, .addr = 0x600000, .reason = 48, .qual = 0x1ac,
	  .gpa = 0x600000, .gla = 0x600000, .rule = R_EPT_VIOLATION_EXEC_USER },
	{ "MBEC: user fetch with bit 10",
	  { { TM_PAGE_TABLES, 0x429007 }, { TM_PAGE_TABLES + 0x1000, 0x42a007 }, { GPD(3), 0x600087 },
	    { TM_EPT_ROOT, TM_EPT_PDPT | 0x407 }, { TM_EPT_PDPT, TM_EPT_PD | 0x407 },
	    { PD3, 0x600000 | 0x4b1 } },
	  .proc2 = 1u << 22, .op = OP_G_EXEC, .addr = 0x600000, .reason = 18 },
	{ "5-level EPT", { { PML5, TM_EPT_ROOT | 7 } }, .eptp = PML5 | 6 | 4 << 3,
	  .cap_set = 1u << 7, .op = OP_G_READ, .addr = 0x600000, .reason = 18 },
	{ "PML5E page size", { { PML5, TM_EPT_ROOT | 0x87 } }, .eptp = PML5 | 6 | 4 << 3,
	  .cap_set = 1u << 7, .op = OP_G_READ, .addr = 0x600000, .reason = 49, .gpa = TM_PAGE_TABLES,
	  .rule = R_EPT_MISCONFIG_RESERVED },
};

START_TEST(ept_layouts)
{
	const struct ept_case *c = &cases[_i];
	for (unsigned k = 0; k < 8 && c->w[k].pa; k++)
		put(c->w[k].pa, c->w[k].v);
	if (c->op == OP_G_EXEC)
		put(0x600000, VMCALL_BYTES);
	m->caps.msr[CAP_EPT_VPID] = (m->caps.msr[CAP_EPT_VPID] & ~c->cap_clear) | c->cap_set;
	gw(m, VF_SECONDARY_VM_EXEC_CONTROL, 1u << 1 | c->proc2);
	gw(m, VF_EPT_POINTER, c->eptp ? c->eptp : EPTP_4);
	run1(c->op, c->addr, c->val);
	ck_assert_msg(res.nalt == 1 && res.alt[0].kind == OUT_EXIT, "%s: kind %u", c->what, res.alt[0].kind);
	const struct outcome *o = &res.alt[0];
	ck_assert_msg(o->num == c->reason, "%s: exit %u", c->what, o->num);
	if (c->reason == 48) {
		ck_assert_uint_eq(o->have, EXF_QUAL | EXF_GPA | EXF_GLA);
		ck_assert_msg(o->qual == c->qual, "%s: qual %#llx", c->what, (unsigned long long)o->qual);
		ck_assert_uint_eq(o->gla, c->gla);
		ck_assert_uint_eq(gv(m, VF_GUEST_LINEAR_ADDRESS), c->gla);
		ck_assert_uint_eq(gv(m, VF_EXIT_QUALIFICATION), c->qual);
	}
	if (c->reason == 48 || c->reason == 49) {
		ck_assert_msg(o->gpa == c->gpa, "%s: gpa %#llx", c->what, (unsigned long long)o->gpa);
		ck_assert_uint_eq(gv(m, VF_GUEST_PHYSICAL_ADDRESS), c->gpa);
		ck_assert_msg(fired(c->rule), "%s: %s not fired", c->what, rule_table[c->rule].id);
	}
	if (c->reason == 49)
		ck_assert_uint_eq(o->have, EXF_GPA);   /* qualification, GLA undefined */
}
END_TEST

/* 29.3.5: with EPTP[6] = 1 the accessed flag (8) of every entry used and
 * the dirty flag (9) of the leaf of a write; L2's paging-structure
 * accesses count as writes, so the page holding L2's tables is dirty. */
START_TEST(ad_flags)
{
	gw(m, VF_EPT_POINTER, EPTP_4 | 0x40);
	run1(OP_G_READ, 0x600000, 0);
	ck_assert_uint_eq(res.alt[0].num, 18);
	ck_assert_uint_eq(mem_read64(&m->mem, TM_EPT_ROOT) & 0x300, 0x100);
	ck_assert_uint_eq(mem_read64(&m->mem, TM_EPT_PDPT) & 0x300, 0x100);
	ck_assert_uint_eq(mem_read64(&m->mem, PD3) & 0x300, 0x100);
	ck_assert_uint_eq(mem_read64(&m->mem, TM_EPT_PD + 0x10) & 0x300, 0x300);
	run1(OP_G_WRITE, 0x600000, 1);
	ck_assert_msg(res.nalt == 1 && res.alt[0].num == 18, "kind %u num %u", res.alt[0].kind, res.alt[0].num);
	ck_assert_uint_eq(mem_read64(&m->mem, PD3) & 0x300, 0x300);
	ck_assert_uint_eq(mem_read64(&m->mem, TM_EPT_PD + 0x20) & 0x300, 0);   /* unused */
}
END_TEST

START_TEST(no_ad_flags_without_eptp6)
{
	run1(OP_G_WRITE, 0x600000, 1);
	ck_assert_uint_eq(mem_read64(&m->mem, TM_EPT_ROOT), TM_EPT_PDPT | TM_EPTE_DIR);
	ck_assert_uint_eq(mem_read64(&m->mem, PD3), 0x600000 | TM_EPTE_2M);
}
END_TEST

/* Vol. 3A 4.8: L2's own accessed flags, and the dirty flag of a write. */
START_TEST(guest_ad_flags)
{
	run1(OP_G_WRITE, 0x600000, 1);
	ck_assert_uint_eq(mem_read64(&m->mem, TM_PAGE_TABLES) & 0x20, 0x20);
	ck_assert_uint_eq(mem_read64(&m->mem, GPD(3)) & 0x60, 0x60);
	run1(OP_G_READ, 0x800000, 0);
	ck_assert_uint_eq(mem_read64(&m->mem, GPD(4)) & 0x60, 0x20);
}
END_TEST

/* The translation decides where data goes: GPA 0x600000 -> 0x800000. */
START_TEST(write_lands_at_translation)
{
	put(PD3, 0x800000 | TM_EPTE_2M);
	run1(OP_G_WRITE, 0x600008, 0x55);
	ck_assert_uint_eq(res.alt[0].num, 18);
	ck_assert_uint_eq(mem_read64(&m->mem, 0x800008), 0x55);
	ck_assert_uint_eq(mem_read64(&m->mem, 0x600008), 0);
	/* without EPT the guest-physical address is the physical one */
	gw(m, VF_SECONDARY_VM_EXEC_CONTROL, 0);
	run1(OP_G_WRITE, 0x600008, 0x66);
	ck_assert_uint_eq(mem_read64(&m->mem, 0x600008), 0x66);
}
END_TEST

/* A #PF exit: qualification = linear address (27.2.1), error code; a
 * delivered #PF loads CR2 (Vol. 3A 4.7). */
START_TEST(page_fault_exit_and_delivery)
{
	put(GPD(3), 0);
	gw(m, VF_EXCEPTION_BITMAP, 1u << 14);
	run1(OP_G_WRITE, 0x600010, 1);
	ck_assert_uint_eq(res.alt[0].num, 0);
	ck_assert_uint_eq(res.alt[0].qual, 0x600010);
	ck_assert_uint_eq(gv(m, VF_EXIT_QUALIFICATION), 0x600010);
	ck_assert_uint_eq(res.alt[0].intr_err, 2);
	ck_assert(fired(R_MEM_PF_NOT_PRESENT));
	gw(m, VF_EXCEPTION_BITMAP, 0);
	run1(OP_G_READ, 0x600010, 0);
	ck_assert_uint_eq(res.alt[0].num, 18);
	ck_assert_uint_eq(gv(m, VF_GUEST_RIP), TM_GUEST_IDT_STUBS + 14 * TM_GUEST_STUB_SIZE);
}
END_TEST

/* 26.2.1.1 / 28.2.6 against the default profile's IA32_VMX_EPT_VPID_CAP
 * (UC, WB, 4-level, A/D; no 5-level), MAXPHYADDR 40. */
START_TEST(eptp_checks)
{
	const struct vmx_caps *c = caps_default();
	ck_assert_uint_eq(c->maxphyaddr, 40);
	ck_assert_uint_eq(eptp_faults(c, TM_EPT_ROOT | 0x1e), 0);
	ck_assert_uint_eq(eptp_faults(c, TM_EPT_ROOT | 0x18), 0);          /* UC */
	ck_assert_uint_eq(eptp_faults(c, TM_EPT_ROOT | 0x5e), 0);          /* A/D */
	ck_assert_uint_eq(eptp_faults(c, TM_EPT_ROOT | 0x1c), EPTP_BAD_MEMTYPE);   /* WT */
	ck_assert_uint_eq(eptp_faults(c, TM_EPT_ROOT | 0x26), EPTP_BAD_WALK);      /* 5-level */
	ck_assert_uint_eq(eptp_faults(c, TM_EPT_ROOT | 0x16), EPTP_BAD_WALK);      /* 3-level */
	ck_assert_uint_eq(eptp_faults(c, TM_EPT_ROOT | 0x11e), EPTP_BAD_RESERVED);
	ck_assert_uint_eq(eptp_faults(c, 1ULL << 40 | TM_EPT_ROOT | 0x1e), EPTP_BAD_RESERVED);
	struct vmx_caps n = *c;
	n.msr[CAP_EPT_VPID] &= ~(1ULL << 21);
	ck_assert_uint_eq(eptp_faults(&n, TM_EPT_ROOT | 0x5e), EPTP_BAD_AD);
}
END_TEST

static Suite *ept_suite(void)
{
	Suite *s = suite_create("ept");
	TCase *t = tcase_create("ept");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_loop_test(t, ept_layouts, 0, (int)(sizeof cases / sizeof cases[0]));
	tcase_add_test(t, ad_flags);
	tcase_add_test(t, no_ad_flags_without_eptp6);
	tcase_add_test(t, guest_ad_flags);
	tcase_add_test(t, write_lands_at_translation);
	tcase_add_test(t, page_fault_exit_and_delivery);
	tcase_add_test(t, eptp_checks);
	suite_add_tcase(s, t);
	return s;
}
SUITE_REGISTER(ept_suite)
