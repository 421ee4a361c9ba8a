/* Reports: TAP13 and JUnit are well-formed (plan and counts agree, every
 * element opened is closed, text escaped); the HTML page has a matrix row
 * for every catalogue rule and a row for every case. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "suites.h"
#include "harness/report.h"

static struct suite_case scs[4] = {
	{ .name = "a.pass" }, { .name = "b.fail" }, { .name = "c.skip" }, { .name = "d.known" },
};
static const struct backend bref = { .name = "ref" }, bbochs = { .name = "bochs" };

static void make_set(struct run_set *rs, struct run_case *rc, const struct backend *b)
{
	static const int v[4] = { V_PASS, V_FAIL, V_SKIP, V_KNOWN };
	static const char *const msg[4] = { "", "line 3: expected <fail_valid 7> & \"x\", got ok # hash",
					    "profile p lacks ept", "known divergence (erratum): BDX30" };
	memset(rc, 0, 4 * sizeof *rc);
	for (int i = 0; i < 4; i++) {
		rc[i].sc = &scs[i];
		rc[i].verdict = v[i];
		strcpy(rc[i].msg, msg[i]);
	}
	*rs = (struct run_set){ .b = b, .rc = rc, .n = 4, .npass = 1, .nfail = 1, .nskip = 2 };
}

static char *capture(void (*fn)(FILE *, const struct run_set *const *, size_t),
		     const struct run_set *const *sets, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	fn(f, sets, n);
	fclose(f);
	return buf;
}

static size_t count(const char *s, const char *needle)
{
	size_t n = 0;
	for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

START_TEST(tap_is_well_formed)
{
	struct run_case rc[2][4];
	struct run_set rs[2];
	make_set(&rs[0], rc[0], &bref);
	make_set(&rs[1], rc[1], &bbochs);
	const struct run_set *sets[2] = { &rs[0], &rs[1] };
	char *t = capture(report_tap, sets, 2);
	ck_assert_msg(strncmp(t, "TAP version 13\n1..8\n", 20) == 0, "%s", t);
	/* one test line per case, numbered 1..8 in order */
	size_t ok = 0, notok = 0;
	unsigned next = 1;
	for (char *line = strtok(t, "\n"); line; line = strtok(NULL, "\n")) {
		unsigned n;
		if (sscanf(line, "ok %u", &n) == 1 || sscanf(line, "not ok %u", &n) == 1) {
			ck_assert_uint_eq(n, next++);
			ok += line[0] == 'o';
			notok += line[0] == 'n';
			/* '#' only as the directive separator */
			char *hash = strchr(line, '#');
			ck_assert_msg(!hash || !strncmp(hash, "# SKIP ", 7) || !strncmp(hash, "# TODO ", 7), "%s", line);
		}
	}
	ck_assert_uint_eq(ok, 6);
	ck_assert_uint_eq(notok, 2);
	free(t);
}
END_TEST

START_TEST(junit_is_well_formed)
{
	struct run_case rc[2][4];
	struct run_set rs[2];
	make_set(&rs[0], rc[0], &bref);
	make_set(&rs[1], rc[1], &bbochs);
	const struct run_set *sets[2] = { &rs[0], &rs[1] };
	char *x = capture(report_junit, sets, 2);
	ck_assert_ptr_nonnull(strstr(x, "<testsuites name=\"nestvmx conform\" tests=\"8\" failures=\"2\" skipped=\"4\">"));
	ck_assert_uint_eq(count(x, "<testsuite "), 2);
	ck_assert_uint_eq(count(x, "</testsuite>"), 2);
	ck_assert_uint_eq(count(x, "<testcase "), 8);
	ck_assert_uint_eq(count(x, "</testcase>"), 8);
	ck_assert_uint_eq(count(x, "<failure "), 2);
	ck_assert_uint_eq(count(x, "</failure>"), 2);
	ck_assert_uint_eq(count(x, "<skipped "), 4);
	ck_assert_uint_eq(count(x, "</testsuites>"), 1);
	/* the failure message is escaped: no raw '<', '&' or '"' inside it */
	ck_assert_ptr_nonnull(strstr(x, "expected &lt;fail_valid 7&gt; &amp; &quot;x&quot;, got ok"));
	/* every '<' opens a known element */
	for (const char *p = strchr(x, '<'); p; p = strchr(p + 1, '<'))
		ck_assert_msg(!strncmp(p, "<?xml", 5) || !strncmp(p, "<testsuite", 10) || !strncmp(p, "</testsuite", 11)
			      || !strncmp(p, "<testcase", 9) || !strncmp(p, "</testcase", 10)
			      || !strncmp(p, "<failure", 8) || !strncmp(p, "</failure", 9) || !strncmp(p, "<skipped", 8),
			      "stray '<' at %.20s", p);
	free(x);
}
END_TEST

START_TEST(html_has_every_rule_and_case)
{
	struct run_case rc[4];
	struct run_set rs;
	make_set(&rs, rc, &bref);
	const struct run_set *sets[1] = { &rs };
	char dir[] = "/tmp/nestvmx-html-XXXXXX", err[256], path[64];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_msg(report_html(dir, sets, 1, err, sizeof err) == 0, "%s", err);
	snprintf(path, sizeof path, "%s/index.html", dir);
	FILE *f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	char *h = NULL;
	size_t cap = 0;
	ck_assert_int_gt(getdelim(&h, &cap, 0, f), 0);
	fclose(f);
	for (unsigned r = 0; r < RULE_COUNT; r++) {
		char row[160];
		snprintf(row, sizeof row, "<tr id=\"rule-%s\">", rule_table[r].id);
		ck_assert_msg(strstr(h, row) != NULL, "no matrix row for %s", rule_table[r].id);
	}
	for (int i = 0; i < 4; i++) {
		char row[160];
		snprintf(row, sizeof row, "<tr id=\"case-%s\">", scs[i].name);
		ck_assert_msg(strstr(h, row) != NULL, "no row for case %s", scs[i].name);
	}
	/* self-contained: no external resources */
	ck_assert_ptr_null(strstr(h, "http://"));
	ck_assert_ptr_null(strstr(h, "https://"));
	ck_assert_ptr_null(strstr(h, "<script"));
	ck_assert_ptr_null(strstr(h, "<link"));
	ck_assert_uint_eq(count(h, "<tr"), count(h, "</tr>"));
	ck_assert_uint_eq(count(h, "<td"), count(h, "</td>"));
	free(h);
	remove(path);
	rmdir(dir);
}
END_TEST

static Suite *reports_suite(void)
{
	Suite *s = suite_create("reports");
	TCase *t = tcase_create("reports");
	tcase_add_test(t, tap_is_well_formed);
	tcase_add_test(t, junit_is_well_formed);
	tcase_add_test(t, html_has_every_rule_and_case);
	suite_add_tcase(s, t);
	return s;
}
SUITE_REGISTER(reports_suite);
