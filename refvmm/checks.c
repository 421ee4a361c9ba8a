/* The rule catalogue as data, and how fired rules become an outcome set. */
#include <string.h>
#include "checks.h"
#include "vcpu.h"

const struct rule_info rule_table[RULE_COUNT] = {
#define RULE(id, str, sdm, cls, out, arg, text) [R_##id] = { str, sdm, text, cls, out, arg },
#include "checks.def"
#undef RULE
};

int rule_by_name(const char *id)
{
	for (int i = 0; i < RULE_COUNT; i++)
		if (strcmp(rule_table[i].id, id) == 0)
			return i;
	return -1;
}

bool rule_eval(struct refvmm *m, enum rule_id r, bool ok)
{
	m->rule_evals[r]++;
	if (ok)
		return true;
	m->rule_fires[r]++;
	m->class_fires[rule_table[r].cls]++;
	struct result *res = m->res;
	if (res && res->nrules < RESULT_MAX_RULES)
		res->rules[res->nrules++] = (uint16_t)r;
	return false;
}
