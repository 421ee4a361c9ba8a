/* The runner: operation text, rule lists, suite loading errors, the
 * generated reserved-bit cases (one per bit the profile fixes, SDM A.3-A.5),
 * and -- with the parser and the model -- small inline cases on ref. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "suites.h"
#include "harness/gen_cases.h"
#include "harness/runner.h"
#include "refvmm/checks.h"
#include "refvmm/vmcs_fields.h"

START_TEST(op_text_names_fields_and_crs)
{
	char buf[128];
	int f = vmcs_field_by_name("PIN_BASED_VM_EXEC_CONTROL");
	ck_assert_int_ge(f, 0);
	struct rop w = { .op = OP_VMWRITE, .a = { vmcs_field_table[f].enc, 0x16 } };
	runner_op_text(&w, buf, sizeof buf);
	ck_assert_str_eq(buf, "vmwrite PIN_BASED_VM_EXEC_CONTROL 0x16");
	struct rop cr = { .op = OP_MOV_CR, .a = { 4, 0x2020 } };
	runner_op_text(&cr, buf, sizeof buf);
	ck_assert_str_eq(buf, "mov cr4 0x2020");
	struct rop l = { .op = OP_VMLAUNCH };
	runner_op_text(&l, buf, sizeof buf);
	ck_assert_str_eq(buf, "vmlaunch");
	struct rop bad = { .op = OP_COUNT + 7 };
	runner_op_text(&bad, buf, sizeof buf);   /* hostile op number: no crash */
	/* truncation is safe */
	char tiny[5];
	runner_op_text(&w, tiny, sizeof tiny);
	ck_assert_str_eq(tiny, "vmwr");
}
END_TEST

START_TEST(rules_text_lists_in_firing_order)
{
	char buf[256];
	struct result r = { .nrules = 0 };
	runner_rules_text(&r, buf, sizeof buf);
	ck_assert_str_eq(buf, "");
	if (RULE_COUNT < 2)
		return;   /* catalogue not populated yet: nothing to name */
	r.nrules = 2;
	r.rules[0] = 1;
	r.rules[1] = 0;
	runner_rules_text(&r, buf, sizeof buf);
	char want[256];
	snprintf(want, sizeof want, "%s, %s", rule_table[1].id, rule_table[0].id);
	ck_assert_str_eq(buf, want);
}
END_TEST

START_TEST(missing_path_is_an_error)
{
	struct suite s = { 0 };
	char err[256];
	ck_assert_int_eq(suite_add_path(&s, "/nonexistent/dir/x.vmx", err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/dir/x.vmx"));
	ck_assert_int_eq(suite_add_path(&s, "/nonexistent/*.vmx", err, sizeof err), -1);
	ck_assert_uint_eq(s.ncases, 0);
	suite_free(&s);
}
END_TEST

/* The bits a profile fixes, from the raw MSRs (SDM A.3-A.5: low half =
 * allowed-0 settings, high half = allowed-1; the TRUE_* MSRs govern when
 * IA32_VMX_BASIC[55] is set), counted independently of caps_ctl_*. */
static unsigned fixed_bits(const struct vmx_caps *c, uint32_t plain, uint32_t tru)
{
	bool use_true = caps_msr(c, 0x480) >> 55 & 1;
	uint64_t v = caps_msr(c, use_true && tru ? tru : plain);
	uint32_t a0 = (uint32_t)v, a1 = (uint32_t)(v >> 32);
	return (unsigned)__builtin_popcount(a0) + (unsigned)__builtin_popcount(~a1);
}

START_TEST(generated_cases_one_per_fixed_bit)
{
	for (size_t i = 0; i < caps_builtin_count(); i++) {
		const struct vmx_caps *c = caps_builtin_at(i);
		unsigned want = fixed_bits(c, 0x481, 0x48d) + fixed_bits(c, 0x482, 0x48e)
			+ fixed_bits(c, 0x483, 0x48f) + fixed_bits(c, 0x484, 0x490);
		if (caps_msr(c, 0x482) >> 63 & 1)   /* secondary controls can be activated */
			want += fixed_bits(c, 0x48b, 0);
		size_t n;
		char *text = gen_ctl_cases(c, &n);
		ck_assert_ptr_nonnull(text);
		ck_assert_msg(n == want, "%s: %zu generated, %u bits fixed", c->name, n, want);
		size_t names = 0;
		for (const char *p = text; (p = strstr(p, "\ncase gen.ctl.")); p++)
			names++;
		ck_assert_uint_eq(names, n);
		/* pin-based bits 1, 2, 4 are default1 (SDM A.3.1): must be 1 on every profile */
		ck_assert_ptr_nonnull(strstr(text, "case gen.ctl.pin.bit1.must1\n"));
		/* pin-based bit 31 is reserved on every profile */
		ck_assert_ptr_nonnull(strstr(text, "case gen.ctl.pin.bit31.must0\n"));
		free(text);
	}
}
END_TEST

static Suite *runner_suite(void)
{
	Suite *s = suite_create("runner");
	TCase *t = tcase_create("runner");
	tcase_add_test(t, op_text_names_fields_and_crs);
	tcase_add_test(t, rules_text_lists_in_firing_order);
	tcase_add_test(t, missing_path_is_an_error);
	tcase_add_test(t, generated_cases_one_per_fixed_bit);
	suite_add_tcase(s, t);
	return s;
}
SUITE_REGISTER(runner_suite);
