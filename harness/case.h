/* The case language (DESIGN.md): text form, binary form, and resolution
 * into struct rcase.  A file holds one or more cases (each starts with
 * `case NAME`).  Text and binary are two spellings of the same thing:
 * text -> binary -> text is the identity. */
#ifndef NESTVMX_CASE_H
#define NESTVMX_CASE_H
#include <stddef.h>
#include <stdint.h>
#include "rcase.h"

struct casefile;   /* parsed, unresolved: expressions kept as written */

/* Every error is "file:line:col: error: message" (binary: "file: offset N:
 * error: ...").  Functions return 0 on success, -1 on error. */
int casefile_parse(const char *path, const char *text, size_t len,
		   struct casefile **out, char *err, size_t errlen) __attribute__((warn_unused_result));
/* Any byte string decodes without reading out of bounds; strict=1 rejects
 * flaws, strict=0 (fuzzers) repairs/drops them and never fails on a
 * non-empty input. */
int casefile_decode(const char *path, const uint8_t *buf, size_t len, int strict,
		    struct casefile **out, char *err, size_t errlen) __attribute__((warn_unused_result));
/* Reads a file, text or binary (by its magic). */
int casefile_load(const char *path, struct casefile **out, char *err, size_t errlen) __attribute__((warn_unused_result));
int casefile_encode(const struct casefile *f, uint8_t **buf, size_t *len) __attribute__((warn_unused_result));
/* Canonical text; malloc'd, NUL-terminated. */
char *casefile_print(const struct casefile *f);
void casefile_free(struct casefile *f);
/* The operand of `gpr`: register n of the encoding order, by name
 * (gpr_by_name: -1 for anything else, RSP included) and as the decimal
 * number a parsed case keeps (gpr_number: -1 unless "0".."15" but 4). */
extern const char *const gpr_names[16];
int gpr_by_name(const char *name);
int gpr_number(const char *s);

size_t casefile_ncases(const struct casefile *f);
const char *casefile_path(const struct casefile *f);
const char *casefile_case_name(const struct casefile *f, size_t i);
const char *casefile_case_profile(const struct casefile *f, size_t i);  /* "" if none */
uint32_t casefile_case_line(const struct casefile *f, size_t i);

/* Evaluate every expression against the profile, expand templates
 * (templates.h), and build the resolved case.  Unknown feature in
 * `requires`, unknown template, or an expression error gives -1. */
int casefile_resolve(const struct casefile *f, size_t i, const struct vmx_caps *caps,
		     struct rcase *out, char *err, size_t errlen) __attribute__((warn_unused_result));

#endif
