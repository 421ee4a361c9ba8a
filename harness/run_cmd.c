/* nestvmx run FILE... : run cases on one backend, print the outcome
 * trace, check every `expect`. */
#include <stdio.h>
#include <string.h>
#include "cmd.h"
#include "outcome_text.h"
#include "runner.h"

static int run_usage(FILE *f)
{
	fprintf(f, "usage: nestvmx run FILE... [--backend B] [--profile P] [--model M] [--explain]\n"
		"  Runs each case, prints one line per recorded operation\n"
		"    line N: <op>  => <outcome>\n"
		"      because RULE.ID, ...       (the rules the model says decided it)\n"
		"  and checks every expect.  Exit: 0 all hold, 1 an expect failed, 2 malformed\n"
		"  input, 3 backend unavailable, 4 backend fault.\n");
	return f == stdout ? EXIT_OK : EXIT_USAGE;
}

/* The trace of one case, as run_trace_text gives it. */
static void run_print_trace(const struct run_case *c, bool explain)
{
	static char buf[1 << 16];
	run_trace_text(c, explain, buf, sizeof buf);
	fputs(buf, stdout);
}

struct run_args {
	const char *backend, *profile, *model;
	bool explain;
	const char *files[256];
	int nfiles;
};

static int parse_args(int argc, char **argv, struct run_args *a)
{
	*a = (struct run_args){ .backend = "ref" };
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];
		const char **dst = !strcmp(s, "--backend") ? &a->backend
			: !strcmp(s, "--profile") ? &a->profile : !strcmp(s, "--model") ? &a->model : NULL;
		if (dst) {
			if (++i == argc)
				return fprintf(stderr, "nestvmx run: %s needs a value\n", s), -1;
			*dst = argv[i];
		} else if (!strcmp(s, "--explain")) {
			a->explain = true;
		} else if (s[0] == '-' && s[1]) {
			return fprintf(stderr, "nestvmx run: unknown option %s\n", s), -1;
		} else if (a->nfiles < (int)(sizeof a->files / sizeof *a->files)) {
			a->files[a->nfiles++] = s;
		}
	}
	if (!a->nfiles)
		return fprintf(stderr, "nestvmx run: no case file\n"), -1;
	return 0;
}

static int run_report(const struct run_set *rs, bool explain)
{
	int rc = EXIT_OK;
	for (size_t i = 0; i < rs->n; i++) {
		const struct run_case *c = &rs->rc[i];
		printf("case %s  (%s, backend %s, profile %s)\n", c->sc->name, casefile_path(c->sc->f),
		       rs->b->name, c->res.profile[0] ? c->res.profile : "-");
		if (c->verdict == V_ERROR && !c->resolved) {
			fprintf(stderr, "%s\n", c->msg);
			return EXIT_USAGE;
		}
		run_print_trace(c, explain);
		if (c->verdict == V_PASS)
			printf("PASS %s\n", c->sc->name);
		else if (c->verdict == V_SKIP)
			printf("SKIP %s: %s\n", c->sc->name, c->msg);
		else
			printf("FAIL %s: %s\n", c->sc->name, c->msg);
		if (c->res.status == CS_FAULT)
			rc = EXIT_BACKEND;
		else if (c->verdict != V_PASS && c->verdict != V_SKIP && rc == EXIT_OK)
			rc = EXIT_FAIL;
	}
	return rc;
}

static int run_main(int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
		return run_usage(stdout);
	struct run_args a;
	if (parse_args(argc, argv, &a) != 0)
		return run_usage(stderr);
	const struct backend *b = backend_find(a.backend);
	if (!b)
		return fprintf(stderr, "nestvmx run: unknown backend '%s'\n", a.backend), EXIT_USAGE;
	char err[1024];
	struct vmx_caps pbuf;
	struct backend_opts o = { .model = a.model };
	if (a.profile && !(o.profile = runner_profile_arg(a.profile, &pbuf, err, sizeof err)))
		return fprintf(stderr, "nestvmx run: %s\n", err), EXIT_USAGE;
	struct suite s = { 0 };
	for (int i = 0; i < a.nfiles; i++)
		if (suite_add_path(&s, a.files[i], err, sizeof err) != 0) {
			fprintf(stderr, "%s\n", err);
			suite_free(&s);
			return EXIT_USAGE;
		}
	struct run_set rs;
	int rc = runner_run(b, &o, &s, &rs, err, sizeof err);
	if (rc != 0)
		fprintf(stderr, "nestvmx run: %s\n", err);
	else
		rc = run_report(&rs, a.explain);
	run_set_free(&rs);
	suite_free(&s);
	return rc;
}

static const struct command run_command = {
	.name = "run",
	.summary = "run case files on a backend, print the outcome trace, check expects",
	.run = run_main,
};
COMMAND_REGISTER(run_command);
