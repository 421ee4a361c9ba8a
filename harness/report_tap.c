/* TAP version 13 (testanything.org/tap-version-13-specification). */
#include <string.h>
#include "report.h"

const char *report_status(int v)
{
	static const char *const s[] = {
		[V_PASS] = "PASS", [V_FAIL] = "FAIL", [V_SKIP] = "SKIP",
		[V_ERROR] = "FAIL", [V_KNOWN] = "XFAIL", [V_FIXED] = "FAIL",
	};
	return v >= 0 && v <= V_FIXED ? s[v] : "FAIL";
}

/* A TAP description may not contain '#' (directive) or a newline. */
static void tap_text(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc(*s == '#' ? '_' : *s == '\n' ? ' ' : *s, f);
}

void report_tap(FILE *f, const struct run_set *const *sets, size_t nsets)
{
	size_t n = 0, k = 0;
	for (size_t s = 0; s < nsets; s++)
		n += sets[s]->n;
	fprintf(f, "TAP version 13\n1..%zu\n", n);
	for (size_t s = 0; s < nsets; s++)
		for (size_t i = 0; i < sets[s]->n; i++) {
			const struct run_case *c = &sets[s]->rc[i];
			bool ok = c->verdict == V_PASS || c->verdict == V_SKIP || c->verdict == V_KNOWN;
			fprintf(f, "%sok %zu - %s:%s", ok ? "" : "not ", ++k, sets[s]->b->name, c->sc->name);
			if (c->verdict == V_SKIP || c->verdict == V_KNOWN) {
				fputs(c->verdict == V_SKIP ? " # SKIP " : " # TODO ", f);
				tap_text(f, c->msg);
			}
			fputc('\n', f);
			if (!ok) {
				fputs("  ---\n  message: \"", f);
				for (const char *p = c->msg; *p; p++)
					fprintf(f, *p == '"' || *p == '\\' ? "\\%c" : "%c", *p == '\n' ? ' ' : *p);
				fprintf(f, "\"\n  severity: fail\n  ...\n");
			}
		}
}
