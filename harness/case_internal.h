/* The parsed, unresolved form of case files (shared by the parser, the
 * printer and the resolver).  Expressions are kept as canonical source
 * text and evaluated at resolve time against the profile. */
#ifndef NESTVMX_CASE_INTERNAL_H
#define NESTVMX_CASE_INTERNAL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "case.h"

#define CASE_MAX_OPS 4096
#define CASE_MAX_LINE 4096
#define CASE_MAX_FILE (64u << 20)
#define EXPR_MAX_DEPTH 64
#define CASE_NAME_MAX 96      /* struct rcase.name */
#define CASE_PROFILE_MAX 64   /* struct rcase.profile */
#define NEXF 9     /* exit fields qual..idt_err, in enum outcome_have bit order */

struct top {                 /* one operation as written */
	uint16_t op;             /* enum op_id */
	uint32_t line;
	uint8_t nargs;
	char *arg[3];            /* expression text; OP_SETUP: template name */
	uint32_t blk, nblk;      /* OP_GUEST: its ops in tcase.blk[] */
};

struct tout {                /* one outcome pattern as written */
	uint8_t kind, vector;
	uint16_t have;           /* EXF_* present, OUTF_ERRCODE */
	char *num;               /* fail_valid/exit/entry_fail/abort number, value, error code */
	char *f[NEXF];           /* exit field expressions */
};

struct texp {
	uint32_t op;             /* index in tcase.ops */
	uint32_t line, col;
	uint8_t nalt;
	struct tout alt[EXPECT_MAX_ALT];
};

struct tcase {
	char *name, *profile;
	uint32_t line;
	uint64_t req[2];
	uint16_t nchecks, checks[32];
	struct top *ops;  uint32_t nops, capops;
	struct top *blk;  uint32_t nblk, capblk;
	struct texp *ex;  uint32_t nex, capex;
};

struct casefile {
	char *path;
	struct tcase *c;
	size_t n, cap;
};

extern const char *const exf_names[NEXF];   /* "qual", "gpa", ... */

/* Validation shared by the text parser and the binary decoder
 * (case_parse.c): the canonical text of a whole-string expression, or
 * NULL with a message; names as `case` and `profile` accept them. */
char *case_expr_canon(const char *src, char *err, size_t errlen);
bool case_name_ok(const char *name);
bool case_word_ok(const char *w, size_t cap);
void tcase_free(struct tcase *c);   /* its contents; c itself is not freed */

/* Expressions (case_expr.c). */
int expr_eval(const char *src, const struct vmx_caps *caps, bool field_first,
	      uint64_t *out, char *err, size_t errlen);
const char *exit_reason_name(uint32_t n);       /* NULL if unknown */
int exit_reason_by_name(const char *s);        /* -1 if unknown */
const char *vector_name(unsigned v);           /* "UD", ... or NULL */
int vector_by_name(const char *s);

#endif
