/* The shared fixture of the L2 unit tests (l2_fixture.h). */
#include <stdlib.h>
#include <string.h>
#include "suites.h"
#include "l2_fixture.h"

struct refvmm *l2_machine(void)
{
	struct refvmm *m = refvmm_create(caps_default());
	ck_assert_ptr_nonnull(m);
	m->vmx.on = true;
	m->vmx.current = TM_VMCS0;
	gw(m, VF_VM_EXIT_CONTROLS, EXIT_HOST_64);
	gw(m, VF_HOST_RIP, TM_HOST_RIP);
	gw(m, VF_HOST_RSP, TM_HOST_RSP);
	gw(m, VF_HOST_CR0, TM_L1_CR0);
	gw(m, VF_HOST_CR3, TM_L1_CR3);
	gw(m, VF_HOST_CR4, TM_L1_CR4);
	gw(m, VF_HOST_CS_SELECTOR, TM_SEL_CODE64);
	gw(m, VF_HOST_SS_SELECTOR, TM_SEL_DATA);
	gw(m, VF_HOST_TR_SELECTOR, TM_SEL_TSS);
	gw(m, VF_HOST_TR_BASE, TM_TSS);
	gw(m, VF_GUEST_RIP, TM_GUEST_CODE);
	gw(m, VF_GUEST_RSP, TM_GUEST_STACK);
	return m;
}

struct cpu_state l2_entry_state(void)
{
	struct cpu_state c = { .rip = TM_GUEST_CODE, .rflags = 2, .cr0 = TM_L1_CR0, .cr3 = TM_L1_CR3,
			       .cr4 = TM_L1_CR4, .efer = TM_L1_EFER };
	c.gpr[RSP] = TM_GUEST_STACK;
	c.seg[SEG_CS].sel = TM_SEL_CODE64;
	c.seg[SEG_CS].ar = TM_AR_CODE64;   /* 64-bit mode: VMX instructions exit, not #UD */
	c.idtr = (struct dtr){ TM_GUEST_IDT, TM_IDT_LIMIT };
	return c;
}

void l2_enter(struct refvmm *m, struct result *res, const struct cpu_state *l2)
{
	memset(res, 0, sizeof *res);
	m->res = res;
	m->steps = 0;
	/* L1's saved state: an exit must load the VMCS's host fields, never this */
	m->host = (struct cpu_state){ .rip = 0x1234, .cr0 = TM_L1_CR0 };
	m->cpu = *l2;
	guest_run(m);
}

void l2_run(struct refvmm *m, struct result *res, const struct rop *ops, uint32_t n,
	    const struct cpu_state *l2)
{
	guest_arm(m, ops, n);
	ck_assert_uint_eq(m->vmx.nblock, n + 1);
	m->vmx.exit_advance = 0;   /* a launch: no resume advance */
	l2_enter(m, res, l2);
}

void l2_user_pages(struct refvmm *m)
{
	ck_assert(mem_write64(&m->mem, TM_PAGE_TABLES, (TM_PAGE_TABLES + 0x1000) | 7));
	ck_assert(mem_write64(&m->mem, TM_PAGE_TABLES + 0x1000, (TM_PAGE_TABLES + 0x2000) | 7));
	ck_assert(mem_write64(&m->mem, TM_PAGE_TABLES + 0x2000 + 8 * 2, 0x400000 | 0x87));
}

bool l2_fired(const struct result *res, enum rule_id r)
{
	for (unsigned i = 0; i < res->nrules; i++)
		if (res->rules[i] == r)
			return true;
	return false;
}

void l2_set_bit(struct refvmm *m, uint64_t base, uint32_t bit)
{
	uint8_t b = 0;
	ck_assert_int_eq(mem_read(&m->mem, base + bit / 8, &b, 1), 0);
	b |= (uint8_t)(1u << (bit % 8));
	ck_assert_int_eq(mem_write(&m->mem, base + bit / 8, &b, 1), 0);
}
