/* JUnit XML, the dialect Jenkins and GitLab read: <testsuites> with one
 * <testsuite> per backend, one <testcase> per case, <failure> or
 * <skipped> inside. */
#include <string.h>
#include "report.h"

void report_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		switch (ch) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default:
			/* XML 1.0 forbids most control characters even escaped */
			fputc(ch < 0x20 && ch != '\n' && ch != '\t' ? ' ' : ch, f);
		}
	}
}

static void junit_case(FILE *f, const char *backend, const struct run_case *c)
{
	fprintf(f, "    <testcase classname=\"nestvmx.");
	report_escape(f, backend);
	fprintf(f, "\" name=\"");
	report_escape(f, c->sc->name);
	fprintf(f, "\" file=\"");
	report_escape(f, run_case_file(c));
	fprintf(f, "\">");
	if (c->verdict == V_SKIP || c->verdict == V_KNOWN) {
		fprintf(f, "<skipped message=\"");
		report_escape(f, c->msg);
		fprintf(f, "\"/>");
	} else if (c->verdict != V_PASS) {
		fprintf(f, "<failure message=\"");
		report_escape(f, c->msg);
		fprintf(f, "\" type=\"%s\">", c->verdict == V_ERROR ? "error" : c->verdict == V_FIXED ? "fixed" : "mismatch");
		static char trace[1 << 15];
		if (c->resolved && c->res.status == CS_RAN) {
			run_trace_text(c, false, trace, sizeof trace);
			report_escape(f, trace);
		}
		fprintf(f, "</failure>");
	}
	fprintf(f, "</testcase>\n");
}

void report_junit(FILE *f, const struct run_set *const *sets, size_t nsets)
{
	size_t n = 0, nf = 0, ns = 0;
	for (size_t s = 0; s < nsets; s++) {
		n += sets[s]->n;
		nf += sets[s]->nfail;
		ns += sets[s]->nskip;
	}
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(f, "<testsuites name=\"nestvmx conform\" tests=\"%zu\" failures=\"%zu\" skipped=\"%zu\">\n", n, nf, ns);
	for (size_t s = 0; s < nsets; s++) {
		const struct run_set *rs = sets[s];
		fprintf(f, "  <testsuite name=\"nestvmx.");
		report_escape(f, rs->b->name);
		fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\">\n", rs->n, rs->nfail, rs->nskip);
		for (size_t i = 0; i < rs->n; i++)
			junit_case(f, rs->b->name, &rs->rc[i]);
		fprintf(f, "  </testsuite>\n");
	}
	fprintf(f, "</testsuites>\n");
}
