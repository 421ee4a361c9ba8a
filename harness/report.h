/* Reports of conformance runs: TAP13, JUnit XML, a self-contained HTML
 * page, and rule coverage.  A run is one struct run_set per backend. */
#ifndef NESTVMX_REPORT_H
#define NESTVMX_REPORT_H
#include <stdio.h>
#include "runner.h"
#include "../refvmm/checks.h"

/* kvm-unit-tests status word of a verdict: PASS, FAIL, SKIP, XFAIL. */
const char *report_status(int verdict);

/* TAP version 13 on f: a plan, one line per case (SKIP and known
 * divergences as directives), a YAML block with the message on failure. */
void report_tap(FILE *f, const struct run_set *const *sets, size_t nsets);
/* JUnit XML: one testsuite per backend, one testcase per case. */
void report_junit(FILE *f, const struct run_set *const *sets, size_t nsets);
/* DIR/index.html: rules x backends matrix, traces side by side per case,
 * each rule's text and SDM section.  Returns 0, or -1 with err. */
int report_html(const char *dir, const struct run_set *const *sets, size_t nsets, char *err, size_t len);

/* Rule coverage (coverage.c). */
struct rule_cov {
	uint32_t named;                 /* cases naming the rule in `checks` */
	uint32_t fired;                 /* cases whose model result fired it */
	uint32_t broken;                /* cases that name it and fire it */
};
/* cov[RULE_COUNT] over one run set. */
void coverage_compute(const struct run_set *rs, struct rule_cov *cov);
bool run_case_names_rule(const struct run_case *c, unsigned rule);
bool run_case_fires_rule(const struct run_case *c, unsigned rule);
/* <suite>/uncoverable (uncoverable.c): line[r] != 0 when rule r is
 * listed there.  A missing file lists nothing. */
struct uncoverable {
	char path[4200];
	uint32_t line[RULE_COUNT];
};
int uncoverable_load(const char *suite_dir, struct uncoverable *u, char *err, size_t errlen);

/* Prints the coverage section; returns the number of problems: rules that
 * no case names in `checks` and `u` does not list, and rules `u` lists
 * that a case names (stale lines).  u may be NULL.  problems_only: print
 * just those (and the totals when there are any). */
size_t coverage_print(FILE *f, const struct run_set *const *sets, size_t nsets, const struct uncoverable *u,
		      bool problems_only);

/* XML/HTML text escaping onto f. */
void report_escape(FILE *f, const char *s);

#endif
