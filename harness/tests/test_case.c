/* The text form of cases: errors name file:line:col; the canonical print
 * is stable (print(parse(print(parse(f)))) == print(parse(f))) on every
 * case file in the repository; every op of ops.def parses. */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../case.h"
#include "../outcome_text.h"
#include "suites.h"

static const struct { const char *text, *where; } hostile[] = {
	{ "vmxon\n", "t.vmx:1:1: error: 'vmxon' before the first 'case'" },
	{ "case a\nguest { cpuid\n", "t.vmx:2:1: error: guest block not closed" },
	{ "case a\nvmxon\nexpect exit NOSUCH\n", "t.vmx:3:13: error: unknown exit reason" },
	{ "case a\nfrobnicate\n", "t.vmx:2:1: error: unknown operation 'frobnicate'" },
	{ "case a\ncpuid\n", "t.vmx:2:1: error: 'cpuid' is an L2 operation" },
	{ "case a\nguest { vmlaunch; vmxoff }\nvmlaunch\n", NULL },   /* valid: L2 VMX ops */
	{ "case a\nchecks NO.SUCH.RULE\n", "t.vmx:2:8: error: unknown rule" },
	{ "case a\nrequires warp_drive\n", "t.vmx:2:10: error: unknown feature" },
	{ "case a\nexpect ok\n", "t.vmx:2:1: error: 'expect' before any operation" },
	{ "case a\nvmwrite GUEST_RIP ((((1)\n", "t.vmx:2:" },
	{ "case a\nvmwrite GUEST_RIP 0x1ffffffffffffffff\n", "t.vmx:2:19: error: bad number" },
	{ "case a\nvmwrite NO_SUCH_FIELD 1\n", "t.vmx:2:9: error: unknown name" },
	{ "case a\nsetup nosuch\n", "t.vmx:2:7: error: unknown template" },
	{ "case A\n", "t.vmx:1:6: error: case names are" },
	{ "case a\nvmxon\nexpect fault #XX\n", "t.vmx:3:14: error: unknown exception" },
	{ "case a\n}\n", "t.vmx:2:1: error: '}' without an open guest block" },
	{ "", "t.vmx:0:1: error: no 'case' in file" },
};

START_TEST(hostile_inputs)
{
	const char *text = hostile[_i].text, *want = hostile[_i].where;
	struct casefile *f = NULL;
	char err[256] = "";
	int rc = casefile_parse("t.vmx", text, strlen(text), &f, err, sizeof err);
	if (!want) {
		ck_assert_msg(rc == 0, "%s", err);
		casefile_free(f);
		return;
	}
	ck_assert_int_eq(rc, -1);
	ck_assert_ptr_null(f);
	ck_assert_msg(!strncmp(err, want, strlen(want)), "got '%s', want '%s...'", err, want);
}
END_TEST

START_TEST(deep_nesting_and_long_line)
{
	size_t n = 200000;
	char *t = malloc(n + 64);
	strcpy(t, "case a\nvmwrite GUEST_RIP ");
	size_t at = strlen(t);
	memset(t + at, '(', n - at);
	t[n] = 0;
	struct casefile *f = NULL;
	char err[256];
	ck_assert_int_eq(casefile_parse("t.vmx", t, n, &f, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "t.vmx:2:"));
	free(t);
}
END_TEST

/* Every op of ops.def in its context, with its operands, parses. */
START_TEST(every_op_parses)
{
	char text[16384] = "case all\n";
	for (int i = 0; i < OP_COUNT; i++) {
		const struct op_info *o = &op_table[i];
		if (i == OP_GUEST || i == OP_MOV_CR)
			continue;
		char line[128];
		snprintf(line, sizeof line, "%s%s", o->ctx == L2 ? "guest { " : "", o->mnem);
		for (const char *a = o->args; *a; a++)
			strcat(line, *a == 'f' ? " GUEST_RIP" : *a == 't' ? " vmcs64" : i == OP_GPR ? " rcx" : " 1");
		strcat(line, o->ctx == L2 ? " }\n" : "\n");
		strcat(text, line);
	}
	strcat(text, "mov cr4 0x2020\n");
	struct casefile *f = NULL;
	char err[256] = "";
	ck_assert_msg(casefile_parse("ops.vmx", text, strlen(text), &f, err, sizeof err) == 0, "%s", err);
	casefile_free(f);
}
END_TEST

static int nfiles;
static int check_file(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	size_t n = strlen(path);
	if (type != FTW_F || n < 4 || strcmp(path + n - 4, ".vmx"))
		return 0;
	struct casefile *a = NULL, *b = NULL;
	char err[512];
	ck_assert_msg(casefile_load(path, &a, err, sizeof err) == 0, "%s", err);
	char *p1 = casefile_print(a);
	ck_assert_msg(casefile_parse(path, p1, strlen(p1), &b, err, sizeof err) == 0, "reparse: %s", err);
	char *p2 = casefile_print(b);
	ck_assert_msg(!strcmp(p1, p2), "%s: canonical print is not stable", path);
	ck_assert_uint_eq(casefile_ncases(a), casefile_ncases(b));
	free(p1);
	free(p2);
	casefile_free(a);
	casefile_free(b);
	nfiles++;
	return 0;
}

START_TEST(repository_cases_round_trip)
{
	nfiles = 0;
	nftw("conformance", check_file, 16, FTW_PHYS);
	ck_assert_int_gt(nfiles, 10);
}
END_TEST

/* expect_holds: sets, partial exit fields. */
START_TEST(expectation_matching)
{
	struct expect e = { .nalt = 2 };
	e.alt[0] = (struct outcome){ .kind = OUT_FAIL_VALID, .num = 7 };
	e.alt[1] = (struct outcome){ .kind = OUT_FAIL_VALID, .num = 8 };
	ck_assert(expect_holds(&e, &(struct outcome){ .kind = OUT_FAIL_VALID, .num = 8 }));
	ck_assert(!expect_holds(&e, &(struct outcome){ .kind = OUT_FAIL_VALID, .num = 9 }));
	struct expect x = { .nalt = 1 };
	x.alt[0] = (struct outcome){ .kind = OUT_EXIT, .num = 10, .have = EXF_LEN, .len = 2 };
	struct outcome got = { .kind = OUT_EXIT, .num = 10, .have = EXF_LEN | EXF_QUAL, .len = 2, .qual = 5 };
	ck_assert(expect_holds(&x, &got));     /* qual not in the expectation: not compared */
	got.len = 3;
	ck_assert(!expect_holds(&x, &got));
}
END_TEST

static Suite *case_suite(void)
{
	Suite *s = suite_create("case");
	TCase *t = tcase_create("text");
	tcase_add_loop_test(t, hostile_inputs, 0, sizeof hostile / sizeof *hostile);
	tcase_add_test(t, deep_nesting_and_long_line);
	tcase_add_test(t, every_op_parses);
	tcase_add_test(t, repository_cases_round_trip);
	tcase_add_test(t, expectation_matching);
	suite_add_tcase(s, t);
	return s;
}
SUITE_REGISTER(case_suite)
