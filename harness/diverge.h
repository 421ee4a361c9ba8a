/* Known divergences: conformance/known-divergences/<backend>, one line
 *   case-name  reason-kind  free text
 * per case that is known not to agree on that backend, with reason-kind
 * one of erratum, emulator-bug, unordered-checks, model-gap.  The list
 * only shrinks: an unlisted divergence fails, and a listed case that no
 * longer diverges fails too ("fixed: remove from list"). */
#ifndef NESTVMX_DIVERGE_H
#define NESTVMX_DIVERGE_H
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include "runner.h"

enum div_kind { DK_ERRATUM, DK_EMULATOR_BUG, DK_UNORDERED_CHECKS, DK_MODEL_GAP, DK_COUNT };

struct divergence {
	char name[96];
	uint8_t kind;           /* enum div_kind */
	uint32_t line;
	char text[200];
};

struct divergences {
	struct divergence *v;
	size_t n;
};

const char *diverge_kind_name(enum div_kind k);
/* Returns 0, or -1 with "path:line: error: ..." in err. */
int diverge_parse(const char *path, const char *text, struct divergences *out,
		  char *err, size_t len) __attribute__((warn_unused_result));
/* <suite>/known-divergences/<backend>; a missing file is an empty list. */
int diverge_load(const char *suite, const char *backend, struct divergences *out,
		 char *err, size_t len) __attribute__((warn_unused_result));
const struct divergence *diverge_find(const struct divergences *d, const char *name);
/* Failing listed cases become V_KNOWN (msg says why); passing listed
 * cases become V_FIXED; the set's counts are recomputed (V_KNOWN counts
 * as skipped, V_FIXED as failed). */
void diverge_apply(const struct divergences *d, struct run_set *rs);
/* Entries naming no case of the (whole) suite: a renamed or deleted case
 * must leave the list too.  Prints "FAIL <list>:<line>: ..." for each on
 * f; returns their number. */
size_t diverge_stale(const struct divergences *d, const struct run_set *rs, const char *list, FILE *f);
void diverge_free(struct divergences *d);

#endif
