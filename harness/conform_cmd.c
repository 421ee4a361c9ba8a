/* nestvmx conform: the conformance suite on one or more backends, with
 * kvm-unit-tests style output (PASS/FAIL/SKIP lines, a SUMMARY line) and
 * optional TAP, JUnit, HTML and rule-coverage reports. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cmd.h"
#include "diverge.h"
#include "gen_cases.h"
#include "report.h"

#define MAX_SETS 16
#define MAX_ARGS 256

struct conform_args {
	const char *backends[MAX_SETS];
	size_t nbackends;
	const char *model, *profile, *junit, *html, *suite;
	bool tap, coverage, generated, require_rule_cases;
	const char *paths[MAX_ARGS], *pats[MAX_ARGS];
	size_t npaths, npats;
};

static int conform_usage(FILE *f)
{
	fprintf(f, "usage: nestvmx conform [--backend ref|nested|bochs|kvm|metal|all]... [--model M]\n"
		"         [--profile P] [--suite DIR] [--tap] [--junit FILE] [--html DIR] [--coverage]\n"
		"         [--require-rule-cases] [--no-generated] [PATH|NAME-GLOB...]\n"
		"  Runs the conformance suite (default: the conformance/ directory of the source\n"
		"  tree) and the generated reserved-bit cases.  Prints PASS/FAIL/SKIP/XFAIL lines,\n"
		"  then 'SUMMARY: N tests, X unexpected failures, Y skipped' and 'N passed, X failed,\n"
		"  Y skipped' (known divergences count as skipped).  Exit 1 on any unexpected failure.\n");
	return f == stdout ? EXIT_OK : EXIT_USAGE;
}

static const char **opt_value(struct conform_args *a, const char *s)
{
	return !strcmp(s, "--model") ? &a->model : !strcmp(s, "--profile") ? &a->profile
		: !strcmp(s, "--junit") ? &a->junit : !strcmp(s, "--html") ? &a->html
		: !strcmp(s, "--suite") ? &a->suite : NULL;
}

static int parse_args(int argc, char **argv, struct conform_args *a)
{
	*a = (struct conform_args){ .generated = true };
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i], **dst = opt_value(a, s);
		bool isb = !strcmp(s, "--backend");
		if ((dst || isb) && i + 1 == argc)
			return fprintf(stderr, "nestvmx conform: %s needs a value\n", s), -1;
		if (dst)
			*dst = argv[++i];
		else if (isb && a->nbackends < MAX_SETS)
			a->backends[a->nbackends++] = argv[++i];
		else if (!strcmp(s, "--tap"))
			a->tap = true;
		else if (!strcmp(s, "--coverage"))
			a->coverage = true;
		else if (!strcmp(s, "--generated"))
			a->generated = true;
		else if (!strcmp(s, "--no-generated"))
			a->generated = false;
		else if (!strcmp(s, "--require-rule-cases"))
			a->require_rule_cases = true;
		else if (s[0] == '-' && s[1])
			return fprintf(stderr, "nestvmx conform: unknown option %s\n", s), -1;
		else if (access(s, F_OK) == 0 || strchr(s, '/'))
			a->paths[a->npaths++ % MAX_ARGS] = s;
		else
			a->pats[a->npats++ % MAX_ARGS] = s;
	}
	if (!a->nbackends)
		a->backends[a->nbackends++] = "ref";
	return 0;
}

/* The suite for one backend: the files, plus the cases generated from
 * the profile the backend runs under, filtered by name patterns. */
static int build_suite(const struct conform_args *a, const char *suite_dir, const struct vmx_caps *caps,
		       struct suite *s, char *err, size_t len)
{
	memset(s, 0, sizeof *s);
	if (!a->npaths && suite_add_path(s, suite_dir, err, len) != 0)
		return -1;
	for (size_t i = 0; i < a->npaths; i++)
		if (suite_add_path(s, a->paths[i], err, len) != 0)
			return -1;
	if (a->generated && caps) {
		size_t n;
		char *text = gen_ctl_cases(caps, &n);
		int rc = text ? suite_add_text(s, "<generated>", text, err, len) : -1;
		free(text);
		if (rc != 0)
			return -1;
	}
	suite_filter(s, a->pats, a->npats);
	return 0;
}

static void print_lines(const struct run_set *rs, bool prefix)
{
	for (size_t i = 0; i < rs->n; i++) {
		const struct run_case *c = &rs->rc[i];
		printf("%s %s%s%s", report_status(c->verdict), prefix ? rs->b->name : "", prefix ? ":" : "", c->sc->name);
		printf(c->verdict == V_PASS ? "\n" : ": %s\n", c->msg);
	}
}

struct conform_run {
	struct suite suites[MAX_SETS];
	struct run_set sets[MAX_SETS];
	const struct run_set *done[MAX_SETS];
	size_t n;
};

static void progress(size_t k, size_t n, const char *name)
{
	if (isatty(STDOUT_FILENO)) {
		printf("\r[%zu/%zu] %s ...", k, n, name);
		fflush(stdout);
	}
}

/* Runs one backend; 0, or EXIT_UNAVAILABLE (skipped), or an error status. */
static int conform_one(const struct conform_args *a, const char *suite_dir, const struct backend *b,
		       const struct backend_opts *o, struct conform_run *cr, bool explicit)
{
	char err[1024];
	struct suite *s = &cr->suites[cr->n];
	struct run_set *rs = &cr->sets[cr->n];
	if (b->available(o, err, sizeof err) != 0) {
		printf("SKIP %s: backend unavailable: %s\n", b->name, err);
		return explicit ? EXIT_UNAVAILABLE : 0;
	}
	const struct vmx_caps *caps = b->profile(o, err, sizeof err);
	if (build_suite(a, suite_dir, caps, s, err, sizeof err) != 0) {
		fprintf(stderr, "%s\n", err);
		suite_free(s);
		return EXIT_USAGE;
	}
	progress(cr->n + 1, a->nbackends, b->name);
	int rc = runner_run(b, o, s, rs, err, sizeof err);
	if (isatty(STDOUT_FILENO))
		printf("\r\033[K");
	if (rc != 0) {
		fprintf(stderr, "nestvmx conform: %s\n", err);
		run_set_free(rs);
		suite_free(s);
		return rc;
	}
	struct divergences d;
	if (diverge_load(suite_dir, b->name, &d, err, sizeof err) != 0) {
		fprintf(stderr, "%s\n", err);
		run_set_free(rs);
		suite_free(s);
		return EXIT_USAGE;
	}
	diverge_apply(&d, rs);
	if (!a->npaths && !a->npats) {   /* the whole suite: every listed case must exist */
		char list[4200];
		snprintf(list, sizeof list, "%s/known-divergences/%s", suite_dir, b->name);
		rs->nfail += diverge_stale(&d, rs, list, stdout);
	}
	diverge_free(&d);
	cr->done[cr->n++] = rs;
	return 0;
}

static int reports(const struct conform_args *a, const char *suite_dir, struct conform_run *cr)
{
	char err[1024];
	if (a->tap)
		report_tap(stdout, cr->done, cr->n);
	else
		for (size_t i = 0; i < cr->n; i++)
			print_lines(cr->done[i], cr->n > 1);
	if (a->junit) {
		FILE *f = fopen(a->junit, "w");
		if (!f)
			return fprintf(stderr, "nestvmx conform: cannot write %s\n", a->junit), EXIT_USAGE;
		report_junit(f, cr->done, cr->n);
		fclose(f);
	}
	if (a->html && report_html(a->html, cr->done, cr->n, err, sizeof err) != 0)
		return fprintf(stderr, "nestvmx conform: %s\n", err), EXIT_USAGE;
	if (a->coverage || a->require_rule_cases) {
		static struct uncoverable u;
		fflush(stdout);   /* the case lines first, whole, before problems on stderr */
		if (uncoverable_load(suite_dir, &u, err, sizeof err) != 0)
			return fprintf(stderr, "%s\n", err), EXIT_USAGE;
		size_t problems = coverage_print(a->coverage ? stdout : stderr, cr->done, cr->n, &u, !a->coverage);
		if (a->require_rule_cases && problems)
			return fprintf(stderr, "nestvmx conform: %zu rules neither broken by a case nor listed in %s, "
				       "or listed but broken (run with --coverage)\n", problems, u.path), EXIT_FAIL;
	}
	return 0;
}

static int summary(const struct conform_run *cr)
{
	size_t n = 0, nf = 0, ns = 0, np = 0;
	for (size_t i = 0; i < cr->n; i++) {
		n += cr->done[i]->n;
		np += cr->done[i]->npass;
		nf += cr->done[i]->nfail;
		ns += cr->done[i]->nskip;
	}
	printf("SUMMARY: %zu tests, %zu unexpected failures, %zu skipped\n", n, nf, ns);
	printf("%zu passed, %zu failed, %zu skipped\n", np, nf, ns);
	return nf ? EXIT_FAIL : EXIT_OK;
}

static int conform_main(int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
		return conform_usage(stdout);
	static struct conform_args a;
	if (parse_args(argc, argv, &a) != 0)
		return conform_usage(stderr);
	char sbuf[4096], err[1024];
	const char *suite_dir = a.suite ? a.suite : runner_default_suite(sbuf, sizeof sbuf);
	if (!suite_dir)
		return fprintf(stderr, "nestvmx conform: no conformance/ directory found (use --suite DIR)\n"), EXIT_USAGE;
	struct vmx_caps pbuf;
	struct backend_opts o = { .model = a.model };
	if (a.profile && !(o.profile = runner_profile_arg(a.profile, &pbuf, err, sizeof err)))
		return fprintf(stderr, "nestvmx conform: %s\n", err), EXIT_USAGE;
	static struct conform_run cr;
	int rc = 0;
	for (size_t i = 0; i < a.nbackends && rc == 0; i++) {
		bool all = !strcmp(a.backends[i], "all");
		for (size_t j = 0; j < (all ? backend_count() : 1) && rc == 0 && cr.n < MAX_SETS; j++) {
			const struct backend *b = all ? backend_at(j) : backend_find(a.backends[i]);
			if (!b)
				return fprintf(stderr, "nestvmx conform: unknown backend '%s'\n", a.backends[i]), EXIT_USAGE;
			rc = conform_one(&a, suite_dir, b, &o, &cr, !all);
		}
	}
	if (rc == 0)
		rc = reports(&a, suite_dir, &cr);
	int sum = rc == 0 || cr.n ? summary(&cr) : rc;
	for (size_t i = 0; i < cr.n; i++) {
		run_set_free(&cr.sets[i]);
		suite_free(&cr.suites[i]);
	}
	return rc ? rc : sum;
}

static const struct command conform_command = {
	.name = "conform",
	.summary = "run the conformance suite on backends; TAP/JUnit/HTML/coverage reports",
	.run = conform_main,
};
COMMAND_REGISTER(conform_command);
