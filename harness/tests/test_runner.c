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


/* ---- with the parser and the model ---- */

static int run_text(const char *text, struct suite *s, struct run_set *rs, char *err, size_t len)
{
	memset(s, 0, sizeof *s);
	if (suite_add_text(s, "<t>", text, err, len) != 0)
		return -1;
	struct backend_opts o = { 0 };
	return runner_run(backend_find("ref"), &o, s, rs, err, len);
}

START_TEST(ref_runs_inline_cases)
{
	struct suite s;
	struct run_set rs;
	char err[512];
	ck_assert_msg(run_text("case t.pass\nvmxon\nexpect ok\nvmxoff\nexpect ok\n"
			       "case t.fail\nvmxon\nexpect fail_invalid\n"
			       "case t.ud\nvmclear VMCS0\nexpect fault #UD\n", &s, &rs, err, sizeof err) == 0, "%s", err);
	ck_assert_uint_eq(rs.n, 3);
	ck_assert_int_eq(rs.rc[0].verdict, V_PASS);
	ck_assert_int_eq(rs.rc[1].verdict, V_FAIL);
	ck_assert_msg(strstr(rs.rc[1].msg, "line 8: expected fail_invalid, got ok") != NULL, "%s", rs.rc[1].msg);
	ck_assert_int_eq(rs.rc[2].verdict, V_PASS);
	ck_assert_uint_eq(rs.npass, 2);
	ck_assert_uint_eq(rs.nfail, 1);
	/* results are kept for ALL ops, one per op */
	ck_assert_uint_eq(rs.rc[0].res.nres, rs.rc[0].rc.nops);
	char trace[1024];
	run_trace_text(&rs.rc[0], false, trace, sizeof trace);
	ck_assert_msg(strstr(trace, "line 2: vmxon ") == trace, "%s", trace);
	ck_assert_ptr_nonnull(strstr(trace, "  => ok\n"));
	run_set_free(&rs);
	suite_free(&s);
}
END_TEST

/* The whole conformance suite on the model, here under ASan and UBSan:
 * model paths only cases reach (no unit test of their own) run with the
 * sanitizers too, and every case passes or is skipped for a feature. */
START_TEST(suite_passes_on_ref_under_sanitizers)
{
	struct suite s;
	struct run_set rs;
	char err[512];
	memset(&s, 0, sizeof s);
	ck_assert_msg(suite_add_path(&s, "conformance", err, sizeof err) == 0, "%s", err);
	struct backend_opts o = { 0 };
	ck_assert_msg(runner_run(backend_find("ref"), &o, &s, &rs, err, sizeof err) == 0, "%s", err);
	ck_assert_uint_gt(rs.n, 500);
	for (size_t i = 0; i < rs.n; i++)
		ck_assert_msg(rs.rc[i].verdict == V_PASS || rs.rc[i].verdict == V_SKIP, "%s: %s",
			      rs.rc[i].sc->name, rs.rc[i].msg);
	run_set_free(&rs);
	suite_free(&s);
}
END_TEST

START_TEST(ref_skips_missing_features)
{
	struct suite s;
	struct run_set rs;
	char err[512];
	/* Sandy Bridge (Bochs 2.7) has no VMFUNC and no VMCS shadowing */
	ck_assert_msg(run_text("case t.skip\nrequires vmfunc vmcs_shadowing\nprofile bochs-corei7_sandy_bridge_2600k\n"
			       "vmxon\nexpect ok\n", &s, &rs, err, sizeof err) == 0, "%s", err);
	ck_assert_int_eq(rs.rc[0].verdict, V_SKIP);
	ck_assert_msg(strstr(rs.rc[0].msg, "vmfunc") && strstr(rs.rc[0].msg, "vmcs_shadowing"), "%s", rs.rc[0].msg);
	ck_assert_uint_eq(rs.nskip, 1);
	run_set_free(&rs);
	suite_free(&s);
}
END_TEST

START_TEST(malformed_input_names_file_line_col)
{
	struct suite s = { 0 };
	char err[512] = "";
	ck_assert_int_eq(suite_add_text(&s, "<t>", "case t.bad\nvmxon\nfrobnicate 3\n", err, sizeof err), -1);
	ck_assert_msg(strncmp(err, "<t>:3:", 6) == 0, "%s", err);
	suite_free(&s);
}
END_TEST

static struct outcome fv(uint32_t n)
{
	return (struct outcome){ .kind = OUT_FAIL_VALID, .num = n };
}

/* Sets: on ref every allowed outcome must be expected; on a
 * single-outcome backend the one outcome must be expected. */
START_TEST(expectation_sets)
{
	struct result m78 = { .nalt = 2, .alt = { fv(7), fv(8) } }, m7 = { .nalt = 1, .alt = { fv(7) } };
	struct expect e7 = { .nalt = 1, .alt = { fv(7) } }, e78 = { .nalt = 2, .alt = { fv(8), fv(7) } };
	ck_assert(!runner_expect_ok(&e7, &m78, true));    /* narrower than the model's set */
	ck_assert(runner_expect_ok(&e78, &m78, true));
	ck_assert(runner_expect_ok(&e78, &m7, true));     /* wider is fine */
	ck_assert(runner_expect_ok(&e7, &m7, true));
	struct result b8 = { .nalt = 1, .alt = { fv(8) } };
	ck_assert(runner_expect_ok(&e78, &b8, false));
	ck_assert(!runner_expect_ok(&e7, &b8, false));
	struct result none = { 0 }, unm = { .nalt = 1, .alt = { { .kind = OUT_UNMODELLED } } };
	ck_assert(!runner_expect_ok(&e7, &none, false));
	ck_assert(!runner_expect_ok(&e7, &unm, true));    /* a model gap is never a pass */
}
END_TEST

/* Exit fields are compared only where the expectation names them. */
START_TEST(expectation_partial_exit_fields)
{
	struct outcome got = { .kind = OUT_EXIT, .num = 10, .have = EXF_QUAL | EXF_LEN, .qual = 0, .len = 2 };
	struct result r = { .nalt = 1, .alt = { got } };
	struct expect any = { .nalt = 1, .alt = { { .kind = OUT_EXIT, .num = 10 } } };
	struct expect len2 = { .nalt = 1, .alt = { { .kind = OUT_EXIT, .num = 10, .have = EXF_LEN, .len = 2 } } };
	struct expect len3 = { .nalt = 1, .alt = { { .kind = OUT_EXIT, .num = 10, .have = EXF_LEN, .len = 3 } } };
	struct expect hlt = { .nalt = 1, .alt = { { .kind = OUT_EXIT, .num = 12 } } };
	ck_assert(runner_expect_ok(&any, &r, false));
	ck_assert(runner_expect_ok(&len2, &r, false));
	ck_assert(!runner_expect_ok(&len3, &r, false));
	ck_assert(!runner_expect_ok(&hlt, &r, false));
	ck_assert(runner_expect_ok(&len2, &r, true));
}
END_TEST

static Suite *runner_suite(void)
{
	Suite *s = suite_create("runner");
	TCase *t = tcase_create("runner");
	tcase_set_timeout(t, 120);   /* the whole suite under the sanitizers */
	tcase_add_test(t, op_text_names_fields_and_crs);
	tcase_add_test(t, rules_text_lists_in_firing_order);
	tcase_add_test(t, missing_path_is_an_error);
	tcase_add_test(t, generated_cases_one_per_fixed_bit);
	tcase_add_test(t, ref_runs_inline_cases);
	tcase_add_test(t, ref_skips_missing_features);
	tcase_add_test(t, malformed_input_names_file_line_col);
	tcase_add_test(t, expectation_sets);
	tcase_add_test(t, expectation_partial_exit_fields);
	tcase_add_test(t, suite_passes_on_ref_under_sanitizers);
	suite_add_tcase(s, t);
	return s;
}
SUITE_REGISTER(runner_suite);
