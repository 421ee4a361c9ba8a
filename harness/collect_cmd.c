/* `nestvmx collect LOG`: results of a probe run that nestvmx did not start
 * itself (bare metal: the serial log of the ISO `--backend metal` wrote).
 * Decodes the batch the ISO carried, parses the log, prints the outcome
 * trace, and with --cases checks the cases' expectations. */
/* Messages and paths are cut to their buffers on purpose. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "backend.h"
#include "case.h"
#include "cmd.h"
#include "outcome_text.h"
#include "probe_host.h"
#include "probe_proto.h"
#include "runner.h"

struct collect {
	const char *log, *batch, *names;
	const char **files;
	int nfiles;
	struct rcase *cases;
	uint32_t *ids;
	char (*name)[96];
	int n;
	struct case_result *res;
	struct probe_report rep;
};

static int usage(FILE *f)
{
	fprintf(f, "usage: nestvmx collect LOG [--batch FILE] [--names FILE] [--cases FILES...]\n"
		   "  Parses a probe's serial log (bare metal) against the batch it ran\n"
		   "  (default nestvmx-probe.batch, names from nestvmx-probe.names) and prints\n"
		   "  the outcome trace; with --cases, checks the cases' expect lines too.\n");
	return f == stdout ? EXIT_OK : EXIT_USAGE;
}

static int load_batch(struct collect *c)
{
	size_t len;
	uint8_t *buf = (uint8_t *)probe_read_all(c->batch, &len);
	struct probe_batch_hdr h;
	if (!buf || len < sizeof h) {
		fprintf(stderr, "nestvmx collect: cannot read the batch %s\n", c->batch);
		free(buf);
		return -1;
	}
	memcpy(&h, buf, sizeof h);
	size_t max = h.ncases < 1000000 ? h.ncases : 0;
	c->cases = calloc(max ? max : 1, sizeof *c->cases);
	c->ids = calloc(max ? max : 1, sizeof *c->ids);
	c->name = calloc(max ? max : 1, sizeof *c->name);
	c->res = calloc(max ? max : 1, sizeof *c->res);
	c->n = c->cases && c->ids && c->name && c->res ? probe_batch_decode(buf, len, c->cases, c->ids, max) : -1;
	free(buf);
	if (c->n < 0) {
		fprintf(stderr, "nestvmx collect: %s is not a probe batch\n", c->batch);
		return -1;
	}
	FILE *f = fopen(c->names, "r");
	for (int i = 0; i < c->n; i++) {
		if (!f || !fgets(c->name[i], sizeof c->name[i], f))
			snprintf(c->name[i], sizeof c->name[i], "case%d", i);
		c->name[i][strcspn(c->name[i], "\n")] = 0;
		snprintf(c->cases[i].name, sizeof c->cases[i].name, "%s", c->name[i]);
		c->res[i].status = -1;
	}
	if (f)
		fclose(f);
	return 0;
}

static void print_case(const struct collect *c, int i)
{
	const struct case_result *r = &c->res[i];
	const char *st = r->status == CS_RAN ? "ran" : r->status == CS_FAULT ? "FAULT" : "not run";
	printf("case %s: %s%s%s\n", c->name[i], st, r->msg[0] ? ": " : "", r->msg);
	for (uint32_t k = 0; r->res && k < r->nres; k++) {
		char op[256], out[512];
		if (!r->res[k].nalt)
			continue;
		runner_op_text(&c->cases[i].ops[k], op, sizeof op);
		outcome_format(&r->res[k].alt[0], out, sizeof out);
		printf("  %-40s => %s\n", op, out);
	}
}

/* --cases: find each batch case by name, resolve it under the profile the
 * probe reported, and check its expectations against the outcomes. */
static int check_expects(struct collect *c, int *fails)
{
	for (int fi = 0; fi < c->nfiles; fi++) {
		struct casefile *f;
		char err[512];
		if (casefile_load(c->files[fi], &f, err, sizeof err)) {
			fprintf(stderr, "nestvmx collect: %s\n", err);
			return -1;
		}
		for (size_t k = 0; k < casefile_ncases(f); k++) {
			for (int i = 0; i < c->n; i++) {
				if (strcmp(casefile_case_name(f, k), c->name[i]) || c->res[i].status != CS_RAN)
					continue;
				struct rcase rc;
				if (casefile_resolve(f, k, &c->rep.caps, &rc, err, sizeof err)) {
					printf("ERROR %s: %s\n", c->name[i], err);
					(*fails)++;
					continue;
				}
				int ok = rc.nops == c->res[i].nres;
				for (uint32_t e = 0; ok && e < rc.nexpects; e++) {
					const struct expect *x = &rc.expects[e];
					ok = x->rop < c->res[i].nres && c->res[i].res[x->rop].nalt &&
					     expect_holds(x, &c->res[i].res[x->rop].alt[0]);
				}
				printf("%s %s%s\n", ok ? "PASS" : "FAIL", c->name[i],
				       rc.nops == c->res[i].nres ? "" : " (the case differs from the batch)");
				*fails += !ok;
				rcase_free(&rc);
			}
		}
		casefile_free(f);
	}
	return 0;
}

static int collect_main(int argc, char **argv)
{
	struct collect c = { .batch = "nestvmx-probe.batch" };
	char names[4096];
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return usage(stdout);
		if (!strcmp(argv[i], "--batch") && i + 1 < argc)
			c.batch = argv[++i];
		else if (!strcmp(argv[i], "--names") && i + 1 < argc)
			c.names = argv[++i];
		else if (!strcmp(argv[i], "--cases")) {
			c.files = (const char **)&argv[i + 1];
			c.nfiles = argc - i - 1;
			break;
		} else if (argv[i][0] != '-' && !c.log)
			c.log = argv[i];
		else
			return usage(stderr);
	}
	if (!c.log)
		return usage(stderr);
	if (!c.names) {
		size_t l = strlen(c.batch);
		snprintf(names, sizeof names, "%.*s.names",
			 (int)(l > 6 && !strcmp(c.batch + l - 6, ".batch") ? l - 6 : l), c.batch);
		c.names = names;
	}
	int rc = EXIT_USAGE, fails = 0;
	size_t len;
	char *log = NULL;
	if (load_batch(&c))
		goto out;
	if (!(log = probe_read_all(c.log, &len))) {
		fprintf(stderr, "nestvmx collect: cannot read %s\n", c.log);
		goto out;
	}
	const struct rcase **p = calloc(c.n ? (size_t)c.n : 1, sizeof *p);
	for (int i = 0; p && i < c.n; i++)
		p[i] = &c.cases[i];
	probe_stream_parse(log, len, p, (size_t)c.n, c.res, &c.rep);
	free(p);
	printf("probe: %s, cpuid1 eax 0x%x, %s, %s%s%s\n", c.rep.vendor[0] ? c.rep.vendor : "unknown CPU",
	       c.rep.caps.cpuid1_eax, c.rep.have_profile ? "profile complete" : "profile incomplete",
	       c.rep.done ? "DONE" : "no DONE (log cut short?)", c.rep.error[0] ? ", error: " : "", c.rep.error);
	for (int i = 0; i < c.n; i++) {
		print_case(&c, i);
		fails += c.res[i].status != CS_RAN;
	}
	if (c.nfiles && check_expects(&c, &fails))
		goto out;
	rc = fails ? EXIT_FAIL : EXIT_OK;
out:
	free(log);
	for (int i = 0; i < c.n; i++) {
		probe_case_free(&c.cases[i]);
		free(c.res[i].res);
	}
	free(c.cases);
	free(c.ids);
	free(c.name);
	free(c.res);
	return rc;
}

static const struct command collect_cmd = {
	.name = "collect",
	.summary = "parse a probe's serial log (bare metal) into results and an outcome trace",
	.run = collect_main,
};
COMMAND_REGISTER(collect_cmd);
