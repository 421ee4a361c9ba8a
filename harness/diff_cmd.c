/* nestvmx diff --backend A --backend B: the same cases on two backends,
 * traces side by side where they differ.  Against ref, "agree" means the
 * other backend's outcome is in the model's allowed set; between two
 * single-outcome backends it means equal outcomes. */
#include <stdio.h>
#include <string.h>
#include "cmd.h"
#include "outcome_text.h"
#include "runner.h"

static int diff_usage(FILE *f)
{
	fprintf(f, "usage: nestvmx diff --backend A --backend B [--profile P] [--model M] [--suite DIR]\n"
		"                    [PATH|NAME-GLOB...]\n"
		"  Runs the cases on both backends and prints, for each case whose traces\n"
		"  differ, both traces side by side ('!' marks the operations that differ).\n"
		"  Exit 1 when any case differs.\n");
	return f == stdout ? EXIT_OK : EXIT_USAGE;
}

static void outcome_of(const struct run_case *c, uint32_t i, char *buf, size_t len)
{
	const struct result *r = i < c->res.nres ? &c->res.res[i] : NULL;
	if (!r || !r->nalt)
		snprintf(buf, len, "-");
	else if (c->model_is_res)
		result_format(r, buf, len);
	else
		outcome_format(&r->alt[0], buf, len);
}

static bool op_agrees(const struct run_case *x, const struct run_case *y, uint32_t i)
{
	const struct result *a = i < x->res.nres ? &x->res.res[i] : NULL;
	const struct result *b = i < y->res.nres ? &y->res.res[i] : NULL;
	if (!a || !b || !a->nalt || !b->nalt)
		return (!a || !a->nalt) == (!b || !b->nalt);
	if (x->model_is_res)
		return result_allows(a, &b->alt[0]);
	if (y->model_is_res)
		return result_allows(b, &a->alt[0]);
	char s[512], t[512];
	outcome_format(&a->alt[0], s, sizeof s);
	outcome_format(&b->alt[0], t, sizeof t);
	return strcmp(s, t) == 0;
}

/* Prints the two traces when they differ; returns whether they did. */
static bool diff_case(const struct run_case *x, const struct run_case *y, const char *an, const char *bn)
{
	if (x->res.status != CS_RAN || y->res.status != CS_RAN) {
		if (x->res.status == y->res.status)
			return false;
		printf("case %s: %s: %s | %s: %s\n", x->sc->name, an, x->res.status == CS_RAN ? "ran" : x->res.msg,
		       bn, y->res.status == CS_RAN ? "ran" : y->res.msg);
		return true;
	}
	bool differ = false;
	for (uint32_t i = 0; i < x->rc.nops && !differ; i++)
		differ = !op_agrees(x, y, i);
	if (!differ)
		return false;
	printf("case %s  (%s)\n  %-8s %-36s %-36s %s\n", x->sc->name, casefile_path(x->sc->f), "", "op", an, bn);
	for (uint32_t i = 0; i < x->rc.nops; i++) {
		const struct rop *op = &x->rc.ops[i];
		if (op->flags & ROP_SILENT)
			continue;
		char txt[256], s[512], t[512];
		outcome_of(x, i, s, sizeof s);
		outcome_of(y, i, t, sizeof t);
		if (!strcmp(s, "-") && !strcmp(t, "-"))
			continue;
		runner_op_text(op, txt, sizeof txt);
		printf("%c line %-4u %-36s %-36s %s\n", op_agrees(x, y, i) ? ' ' : '!', op->line, txt, s, t);
	}
	return true;
}

static int diff_main(int argc, char **argv)
{
	const char *bn[2] = { 0 }, *profile = NULL, *suite = NULL;
	const char *paths[256], *pats[256];
	size_t nb = 0, npaths = 0, npats = 0;
	struct backend_opts o = { 0 };
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];
		if (!strcmp(s, "--help") || !strcmp(s, "-h"))
			return diff_usage(stdout);
		bool val = !strcmp(s, "--backend") || !strcmp(s, "--profile") || !strcmp(s, "--model") || !strcmp(s, "--suite");
		if (val && i + 1 == argc)
			return diff_usage(stderr);
		if (!strcmp(s, "--backend") && nb < 2)
			bn[nb++] = argv[++i];
		else if (!strcmp(s, "--profile"))
			profile = argv[++i];
		else if (!strcmp(s, "--model"))
			o.model = argv[++i];
		else if (!strcmp(s, "--suite"))
			suite = argv[++i];
		else if (s[0] == '-')
			return diff_usage(stderr);
		else if (strchr(s, '/') || strstr(s, ".vmx"))
			paths[npaths++ % 256] = s;
		else
			pats[npats++ % 256] = s;
	}
	if (nb != 2)
		return diff_usage(stderr);
	const struct backend *b[2] = { backend_find(bn[0]), backend_find(bn[1]) };
	if (!b[0] || !b[1])
		return fprintf(stderr, "nestvmx diff: unknown backend\n"), EXIT_USAGE;
	char err[1024], sbuf[4096];
	struct vmx_caps pbuf;
	if (profile && !(o.profile = runner_profile_arg(profile, &pbuf, err, sizeof err)))
		return fprintf(stderr, "nestvmx diff: %s\n", err), EXIT_USAGE;
	if (!suite && !npaths && !(suite = runner_default_suite(sbuf, sizeof sbuf)))
		return fprintf(stderr, "nestvmx diff: no conformance/ directory found\n"), EXIT_USAGE;
	struct suite s = { 0 };
	int rc = suite && suite_add_path(&s, suite, err, sizeof err) != 0 ? EXIT_USAGE : 0;
	for (size_t i = 0; i < npaths && rc == 0; i++)
		if (suite_add_path(&s, paths[i], err, sizeof err) != 0)
			rc = EXIT_USAGE;
	if (rc)
		fprintf(stderr, "%s\n", err);
	suite_filter(&s, pats, npats);
	struct run_set rs[2] = { 0 };
	for (int k = 0; k < 2 && rc == 0; k++)
		if ((rc = runner_run(b[k], &o, &s, &rs[k], err, sizeof err)) != 0)
			fprintf(stderr, "nestvmx diff: %s: %s\n", bn[k], err);
	size_t ndiff = 0;
	for (size_t i = 0; rc == 0 && i < rs[0].n; i++)
		ndiff += diff_case(&rs[0].rc[i], &rs[1].rc[i], bn[0], bn[1]);
	if (rc == 0)
		printf("%zu of %zu cases differ between %s and %s\n", ndiff, rs[0].n, bn[0], bn[1]);
	run_set_free(&rs[0]);
	run_set_free(&rs[1]);
	suite_free(&s);
	return rc ? rc : ndiff ? EXIT_FAIL : EXIT_OK;
}

static const struct command diff_command = {
	.name = "diff",
	.summary = "run cases on two backends, show traces side by side where they differ",
	.run = diff_main,
};
COMMAND_REGISTER(diff_command);
