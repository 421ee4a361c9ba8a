/* Rule coverage: which cases name a rule in `checks`, which cases made
 * the model fire it, and how much of the catalogue each backend reaches. */
#include <string.h>
#include "report.h"

bool run_case_names_rule(const struct run_case *c, unsigned rule)
{
	for (unsigned i = 0; c->resolved && i < c->rc.nchecks; i++)
		if (c->rc.checks[i] == rule)
			return true;
	return false;
}

bool run_case_fires_rule(const struct run_case *c, unsigned rule)
{
	for (uint32_t i = 0; c->resolved && i < c->rc.nops; i++) {
		const struct result *m = run_case_model(c, i);
		for (unsigned k = 0; m && k < m->nrules; k++)
			if (m->rules[k] == rule)
				return true;
	}
	return false;
}

void coverage_compute(const struct run_set *rs, struct rule_cov *cov)
{
	memset(cov, 0, RULE_COUNT * sizeof *cov);
	for (size_t i = 0; i < rs->n; i++) {
		const struct run_case *c = &rs->rc[i];
		if (!c->resolved)
			continue;
		for (unsigned k = 0; k < c->rc.nchecks; k++)
			if (c->rc.checks[k] < RULE_COUNT)
				cov[c->rc.checks[k]].named++;
		if (c->verdict == V_SKIP)
			continue;
		for (unsigned r = 0; r < RULE_COUNT; r++)
			if (run_case_fires_rule(c, r)) {
				cov[r].fired++;
				cov[r].broken += run_case_names_rule(c, r);
			}
	}
}

size_t coverage_print(FILE *f, const struct run_set *const *sets, size_t nsets, const struct uncoverable *u,
		      bool problems_only)
{
	static struct rule_cov cov[RULE_COUNT + 1], any[RULE_COUNT + 1];
	memset(any, 0, sizeof any);
	for (size_t s = 0; s < nsets; s++) {
		coverage_compute(sets[s], cov);
		size_t reached = 0;
		for (unsigned r = 0; r < RULE_COUNT; r++) {
			reached += cov[r].fired > 0;
			any[r].named += cov[r].named;
			any[r].fired += cov[r].fired;
			any[r].broken += cov[r].broken;
		}
		if (!problems_only)
			fprintf(f, "coverage %s: %zu of %u rules fired by the model (%.1f%%)\n", sets[s]->b->name,
				reached, (unsigned)RULE_COUNT, RULE_COUNT ? 100.0 * (double)reached / RULE_COUNT : 100.0);
	}
	size_t broken = 0, listed = 0, problems = 0;
	for (unsigned r = 0; r < RULE_COUNT; r++) {
		if (!problems_only)
			fprintf(f, "rule %-40s named by %u case(s), broken by %u, fired in %u\n", rule_table[r].id,
				any[r].named, any[r].broken, any[r].fired);
		broken += any[r].broken > 0;
	}
	/* A case breaks a rule when it names it in `checks` and an outcome of
	 * it comes from that rule; naming it alone may show where it holds. */
	for (unsigned r = 0; r < RULE_COUNT; r++) {
		uint32_t line = u ? u->line[r] : 0;
		listed += line != 0;
		if (!any[r].broken && !line) {
			fprintf(f, "no case breaks rule %s: none names it in checks and gets an outcome from it%s\n",
				rule_table[r].id, any[r].named ? " (the cases naming it show where it holds)" : "");
			problems++;
		} else if (any[r].broken && line) {
			fprintf(f, "%s:%u: rule %s is broken by a case now: remove the line\n", u->path, line,
				rule_table[r].id);
			problems++;
		}
	}
	if (!problems_only || problems)
		fprintf(f, "coverage: %zu of %u rules broken by a case naming them; %zu listed as uncoverable\n",
			broken, (unsigned)RULE_COUNT, listed);
	return problems;
}
