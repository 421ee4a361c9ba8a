/* Fuzz target: any byte string as a binary case (byte 0 picks the
 * built-in profile; the rest is decoded non-strictly, as case.h says).
 * Oracles: (1) the codec is an identity: decode -> encode -> decode ->
 * print gives the same text; (2) the two forms agree: the printed text
 * parses back to the same text; (3) the model is deterministic: the same
 * resolved case run twice from reset gives identical results; (4) every
 * recorded outcome is well-formed and names only catalogued rules. */
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "harness/case.h"
#include "refvmm/refvmm.h"

static void check_codec(const struct casefile *f)
{
	uint8_t *bin = NULL;
	size_t len = 0;
	ORACLE(casefile_encode(f, &bin, &len) == 0);
	struct casefile *g = NULL;
	char err[256];
	ORACLE(casefile_decode("fuzz", bin, len, 1, &g, err, sizeof err) == 0);
	char *a = casefile_print(f), *b = casefile_print(g);
	ORACLE(a && b && strcmp(a, b) == 0);
	struct casefile *t = NULL;
	ORACLE(casefile_parse("fuzz.vmx", a, strlen(a), &t, err, sizeof err) == 0);
	char *c = casefile_print(t);
	ORACLE(c && strcmp(a, c) == 0);
	free(c);
	casefile_free(t);
	free(a);
	free(b);
	free(bin);
	casefile_free(g);
}

static void run_case(struct refvmm *m, const struct rcase *c, struct result *res)
{
	refvmm_reset(m);
	for (uint32_t i = 0; i < c->nops; i++) {
		refvmm_run(m, &c->ops[i], &res[i]);
		ORACLE(res[i].nalt <= RESULT_MAX_ALT && res[i].nrules <= RESULT_MAX_RULES);
		for (unsigned r = 0; r < res[i].nrules; r++)
			ORACLE(res[i].rules[r] < RULE_COUNT);
		if (!(c->ops[i].flags & ROP_SILENT) && c->ops[i].op != OP_GUEST && !op_is_prefix(c->ops[i].op))
			ORACLE(res[i].nalt >= 1);
	}
}

static void check_model(const struct casefile *f, const struct vmx_caps *caps)
{
	struct refvmm *m = refvmm_create(caps);
	if (!m)
		return;
	for (size_t i = 0; i < casefile_ncases(f); i++) {
		struct rcase c;
		char err[256];
		if (casefile_resolve(f, i, caps, &c, err, sizeof err) != 0)
			continue;   /* e.g. a template the profile cannot build */
		struct result *r1 = calloc(c.nops + 1, sizeof *r1);
		struct result *r2 = calloc(c.nops + 1, sizeof *r2);
		if (r1 && r2) {
			run_case(m, &c, r1);
			run_case(m, &c, r2);
			ORACLE(memcmp(r1, r2, c.nops * sizeof *r1) == 0);
		}
		free(r1);
		free(r2);
		rcase_free(&c);
	}
	refvmm_destroy(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const struct vmx_caps *caps = caps_builtin_at(data[0] % caps_builtin_count());
	struct casefile *f = NULL;
	char err[256];
	if (casefile_decode("fuzz", data + 1, size - 1, 0, &f, err, sizeof err) != 0)
		return 0;
	check_codec(f);
	check_model(f, caps);
	casefile_free(f);
	return 0;
}
