/* Known-divergence lists: the file format (errors name file:line) and the
 * semantics that make the list only shrink: an unlisted divergence
 * fails, a listed one is XFAIL, a listed case that agrees again fails
 * with "fixed: remove from list". */
#include <stdlib.h>
#include <string.h>
#include "suites.h"
#include "harness/diverge.h"

static const char list[] =
	"# header comment\n"
	"\n"
	"entry.a   erratum           BDX30: error 8 instead of 7   # trailing comment\n"
	"entry.b\temulator-bug\tBochs reports len=3 after exit 33\n"
	"entry.c   unordered-checks  SDM 26.2 leaves 7/8 open\n"
	"entry.d   model-gap         not modelled yet\n";

START_TEST(parses_every_kind)
{
	struct divergences d;
	char err[256];
	ck_assert_int_eq(diverge_parse("kd", list, &d, err, sizeof err), 0);
	ck_assert_uint_eq(d.n, 4);
	static const char *const names[] = { "entry.a", "entry.b", "entry.c", "entry.d" };
	for (int k = 0; k < DK_COUNT; k++) {
		const struct divergence *v = diverge_find(&d, names[k]);
		ck_assert_ptr_nonnull(v);
		ck_assert_int_eq(v->kind, k);
		ck_assert_uint_eq(v->line, (unsigned)k + 3);
	}
	ck_assert_str_eq(diverge_find(&d, "entry.a")->text, "BDX30: error 8 instead of 7");
	ck_assert_ptr_null(diverge_find(&d, "entry.e"));
	diverge_free(&d);
}
END_TEST

/* Every malformed line is an error naming file:line. */
START_TEST(errors_name_file_and_line)
{
	static const struct { const char *text, *want; } bad[] = {
		{ "# ok\nentry.a  typo  text\n", "kd:2: error: expected a reason kind" },
		{ "entry.a erratum\n", "kd:1: error: a known divergence needs a reason" },
		{ "\n\nEntry.A erratum x\n", "kd:3: error: expected a case name" },
		{ "a erratum x\na model-gap y\n", "kd:2: error: case listed twice" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct divergences d;
		char err[256] = "";
		ck_assert_int_eq(diverge_parse("kd", bad[i].text, &d, err, sizeof err), -1);
		ck_assert_msg(strncmp(err, bad[i].want, strlen(bad[i].want)) == 0, "%zu: %s", i, err);
		ck_assert_ptr_null(d.v);
	}
}
END_TEST

static struct suite_case scs[4] = { { .name = "entry.a" }, { .name = "entry.b" }, { .name = "entry.c" }, { .name = "entry.z" } };

START_TEST(apply_semantics)
{
	struct divergences d;
	char err[256];
	ck_assert_int_eq(diverge_parse("kd", list, &d, err, sizeof err), 0);
	static const struct backend b = { .name = "bochs" };
	struct run_case rc[4] = { 0 };
	int before[4] = { V_FAIL, V_PASS, V_ERROR, V_FAIL };
	for (int i = 0; i < 4; i++) {
		rc[i].sc = &scs[i];
		rc[i].verdict = before[i];
		strcpy(rc[i].msg, "line 9: expected fail_valid 7, got fail_valid 8");
	}
	struct run_set rs = { .b = &b, .rc = rc, .n = 4 };
	diverge_apply(&d, &rs);
	ck_assert_int_eq(rc[0].verdict, V_KNOWN);            /* listed, still diverges */
	ck_assert_ptr_nonnull(strstr(rc[0].msg, "erratum"));
	ck_assert_ptr_nonnull(strstr(rc[0].msg, "BDX30"));
	ck_assert_int_eq(rc[1].verdict, V_FIXED);            /* listed, agrees again */
	ck_assert_ptr_nonnull(strstr(rc[1].msg, "fixed: remove from list"));
	ck_assert_int_eq(rc[2].verdict, V_KNOWN);            /* a listed error is known too */
	ck_assert_int_eq(rc[3].verdict, V_FAIL);             /* unlisted divergence fails */
	ck_assert_uint_eq(rs.npass, 0);
	ck_assert_uint_eq(rs.nfail, 2);
	ck_assert_uint_eq(rs.nskip, 2);
	diverge_free(&d);
}
END_TEST

/* An entry naming no case of the suite is reported with its line. */
START_TEST(stale_entries_fail)
{
	struct divergences d;
	char err[256], *out = NULL;
	size_t len = 0;
	ck_assert_int_eq(diverge_parse("kd", list, &d, err, sizeof err), 0);
	struct run_case rc[2] = { { .sc = &scs[0] }, { .sc = &scs[2] } };   /* entry.a, entry.c */
	struct run_set rs = { .rc = rc, .n = 2 };
	FILE *f = open_memstream(&out, &len);
	ck_assert_uint_eq(diverge_stale(&d, &rs, "kd", f), 2);
	fclose(f);
	ck_assert_str_eq(out, "FAIL kd:4: no case named entry.b: remove from list\n"
			      "FAIL kd:6: no case named entry.d: remove from list\n");
	free(out);
	diverge_free(&d);
}
END_TEST

/* The shipped lists parse (they start empty, with a header). */
START_TEST(shipped_lists_parse)
{
	static const char *const b[] = { "ref", "bochs", "nested", "kvm", "metal" };
	for (size_t i = 0; i < 5; i++) {
		struct divergences d;
		char err[256] = "";
		ck_assert_msg(diverge_load("conformance", b[i], &d, err, sizeof err) == 0, "%s", err);
		diverge_free(&d);
	}
}
END_TEST

static Suite *diverge_suite(void)
{
	Suite *s = suite_create("diverge");
	TCase *t = tcase_create("diverge");
	tcase_add_test(t, parses_every_kind);
	tcase_add_test(t, errors_name_file_and_line);
	tcase_add_test(t, apply_semantics);
	tcase_add_test(t, stale_entries_fail);
	tcase_add_test(t, shipped_lists_parse);
	suite_add_tcase(s, t);
	return s;
}
SUITE_REGISTER(diverge_suite);
