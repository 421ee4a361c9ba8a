/* A self-contained HTML report (one file, inline CSS, no scripts, no
 * network): the rule catalogue as rows, backends as columns, each cell
 * linking to the cases that target or hit the rule; then every case with
 * its outcome traces side by side. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include "report.h"

static const char css[] =
	"body{font:14px/1.4 sans-serif;margin:1em 2em;color:#222}"
	"table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 6px;vertical-align:top}"
	"th{background:#eee;text-align:left}pre{margin:0;font:12px monospace;white-space:pre-wrap}"
	".PASS{background:#dfd}.FAIL{background:#fdd}.SKIP{background:#eee}.XFAIL{background:#ffd}"
	"a.PASS,a.FAIL,a.SKIP,a.XFAIL{padding:0 3px;margin:1px;display:inline-block;text-decoration:none;color:#000}"
	".none{color:#999}.sdm{color:#555;white-space:nowrap}";

static const struct run_case *find_case(const struct run_set *rs, const char *name)
{
	for (size_t i = 0; i < rs->n; i++)
		if (strcmp(rs->rc[i].sc->name, name) == 0)
			return &rs->rc[i];
	return NULL;
}

static void case_link(FILE *f, const struct run_case *c, bool named)
{
	fprintf(f, "<a class=\"%s\" href=\"#case-", report_status(c->verdict));
	report_escape(f, c->sc->name);
	fprintf(f, "\" title=\"%s\">", named ? "targets the rule (checks)" : "the model fired the rule");
	report_escape(f, c->sc->name);
	fprintf(f, "%s</a> ", named ? "" : "*");
}

static void matrix(FILE *f, const struct run_set *const *sets, size_t nsets)
{
	fprintf(f, "<h2>Rules &times; backends</h2><p>Each cell lists the cases that name the rule in "
		   "<code>checks</code>, and (marked *) the cases in which the model fired it.</p>\n"
		   "<table><tr><th>rule</th><th>SDM</th><th>requires</th>");
	for (size_t s = 0; s < nsets; s++)
		fprintf(f, "<th>%s</th>", sets[s]->b->name);
	fprintf(f, "</tr>\n");
	for (unsigned r = 0; r < RULE_COUNT; r++) {
		fprintf(f, "<tr id=\"rule-%s\"><td><b>%s</b></td><td class=\"sdm\">", rule_table[r].id, rule_table[r].id);
		report_escape(f, rule_table[r].sdm);
		fprintf(f, "</td><td>");
		report_escape(f, rule_table[r].text);
		fprintf(f, "</td>");
		for (size_t s = 0; s < nsets; s++) {
			size_t k = 0;
			fprintf(f, "<td>");
			for (size_t i = 0; i < sets[s]->n; i++) {
				const struct run_case *c = &sets[s]->rc[i];
				bool named = run_case_names_rule(c, r);
				if (named || run_case_fires_rule(c, r)) {
					case_link(f, c, named);
					k++;
				}
			}
			fprintf(f, "%s</td>", k ? "" : "<span class=\"none\">no case</span>");
		}
		fprintf(f, "</tr>\n");
	}
	fprintf(f, "</table>\n");
}

static void case_cell(FILE *f, const struct run_case *c)
{
	static char trace[1 << 16];
	if (!c) {
		fprintf(f, "<td class=\"none\">not run</td>");
		return;
	}
	fprintf(f, "<td class=\"%s\"><b>%s</b> ", report_status(c->verdict), report_status(c->verdict));
	report_escape(f, c->msg);
	if (c->resolved && c->res.status == CS_RAN) {
		run_trace_text(c, false, trace, sizeof trace);
		fprintf(f, "<pre>");
		report_escape(f, trace);
		fprintf(f, "</pre>");
	}
	fprintf(f, "</td>");
}

static void cases(FILE *f, const struct run_set *const *sets, size_t nsets)
{
	fprintf(f, "<h2>Cases</h2>\n<table><tr><th>case</th>");
	for (size_t s = 0; s < nsets; s++)
		fprintf(f, "<th>%s</th>", sets[s]->b->name);
	fprintf(f, "</tr>\n");
	/* the first backend's cases, in suite order; a case only another
	 * backend ran (generated for its profile) follows under that one */
	for (size_t s = 0; s < nsets; s++)
		for (size_t i = 0; i < sets[s]->n; i++) {
			const struct run_case *c = &sets[s]->rc[i];
			bool seen = false;
			for (size_t t = 0; t < s && !seen; t++)
				seen = find_case(sets[t], c->sc->name) != NULL;
			if (seen)
				continue;
			fprintf(f, "<tr id=\"case-");
			report_escape(f, c->sc->name);
			fprintf(f, "\"><td><b>");
			report_escape(f, c->sc->name);
			fprintf(f, "</b><br><small>");
			report_escape(f, run_case_file(c));
			fprintf(f, "</small>");
			for (unsigned k = 0; c->resolved && k < c->rc.nchecks; k++)
				if (c->rc.checks[k] < RULE_COUNT)
					fprintf(f, "<br><a href=\"#rule-%s\">%s</a>", rule_table[c->rc.checks[k]].id,
						rule_table[c->rc.checks[k]].id);
			fprintf(f, "</td>");
			for (size_t t = 0; t < nsets; t++)
				case_cell(f, find_case(sets[t], c->sc->name));
			fprintf(f, "</tr>\n");
		}
	fprintf(f, "</table>\n");
}

int report_html(const char *dir, const struct run_set *const *sets, size_t nsets, char *err, size_t len)
{
	char path[4096];
	if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
		snprintf(err, len, "%s: %s", dir, strerror(errno));
		return -1;
	}
	snprintf(path, sizeof path, "%s/index.html", dir);
	FILE *f = fopen(path, "w");
	if (!f) {
		snprintf(err, len, "%s: %s", path, strerror(errno));
		return -1;
	}
	fprintf(f, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>nestvmx conformance</title>"
		   "<style>%s</style></head><body>\n<h1>nestvmx conformance</h1>\n<p>", css);
	for (size_t s = 0; s < nsets; s++)
		fprintf(f, "<b>%s</b>: %zu cases, %zu passed, %zu failed, %zu skipped. ", sets[s]->b->name,
			sets[s]->n, sets[s]->npass, sets[s]->nfail, sets[s]->nskip);
	fprintf(f, "%u rules in the catalogue.</p>\n", (unsigned)RULE_COUNT);
	matrix(f, sets, nsets);
	cases(f, sets, nsets);
	fprintf(f, "</body></html>\n");
	if (fclose(f) != 0) {
		snprintf(err, len, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}
