/* conformance/uncoverable: rules listed with a reason, errors with
 * file:line:col for unknown rules, unknown reason kinds, duplicates and
 * lines without a reason; a missing file lists nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "../report.h"
#include "suites.h"

static const struct { const char *text, *err; } lists[] = {
	{ "# header\n\nINSN.VMXON.CR4_FIXED  case-language  why\n", NULL },
	{ "NO.SUCH.RULE no-profile why\n", "uncoverable:1:1: error: unknown rule 'NO.SUCH.RULE'" },
	{ "# c\n  INSN.VMXON.CR4_FIXED warp why\n", "uncoverable:2:24: error: unknown reason-kind 'warp'" },
	{ "INSN.VMXON.CR4_FIXED no-profile\n", "uncoverable:1:1: error: expected 'RULE.ID reason-kind text'" },
	{ "INSN.VMXON.CR4_FIXED no-profile a\nINSN.VMXON.CR4_FIXED l1-mode b\n",
	  "uncoverable:2:1: error: rule INSN.VMXON.CR4_FIXED already listed at line 1" },
};

START_TEST(uncoverable_lists)
{
	char dir[] = "/tmp/nestvmx-uncov-XXXXXX", path[64];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/uncoverable", dir);
	static struct uncoverable u;
	char err[512] = "";
	ck_assert_int_eq(uncoverable_load(dir, &u, err, sizeof err), 0);   /* no file */
	ck_assert_uint_eq(u.line[R_INSN_VMXON_CR4_FIXED], 0);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(lists[_i].text, f);
	fclose(f);
	int rc = uncoverable_load(dir, &u, err, sizeof err);
	unlink(path);
	rmdir(dir);
	if (!lists[_i].err) {
		ck_assert_msg(rc == 0, "%s", err);
		ck_assert_uint_eq(u.line[R_INSN_VMXON_CR4_FIXED], 3);
		ck_assert_uint_eq(u.line[R_INSN_VMXON_CPL], 0);
		return;
	}
	ck_assert_int_eq(rc, -1);
	ck_assert_msg(strstr(err, lists[_i].err) && !strncmp(err, dir, strlen(dir)), "got '%s'", err);
}
END_TEST

static Suite *uncoverable_suite(void)
{
	Suite *s = suite_create("uncoverable");
	TCase *t = tcase_create("list");
	tcase_add_loop_test(t, uncoverable_lists, 0, sizeof lists / sizeof *lists);
	suite_add_tcase(s, t);
	return s;
}
SUITE_REGISTER(uncoverable_suite)
