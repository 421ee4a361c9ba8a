/* A case in resolved form: every expression evaluated against a profile,
 * templates expanded.  What backends run.  (The text and binary forms are
 * in case.h; case_resolve() turns them into this.) */
#ifndef NESTVMX_RCASE_H
#define NESTVMX_RCASE_H
#include <stdint.h>
#include "../refvmm/caps.h"
#include "../refvmm/ops.h"
#include "../refvmm/outcome.h"

#define EXPECT_MAX_ALT RESULT_MAX_ALT

/* `expect` after operation `rop`: the actual outcome must match one of
 * alt[]; in each alt, exit fields are compared only where `have` says. */
struct expect {
	uint32_t rop;
	uint32_t line, col;
	uint8_t nalt;
	struct outcome alt[EXPECT_MAX_ALT];
};

struct rcase {
	char name[96];
	const char *file;           /* for messages; not owned */
	char profile[64];           /* "" = the backend's own */
	uint64_t requires[2];       /* bit f: enum vmx_feature f is required */
	uint16_t nchecks;
	uint16_t checks[32];        /* enum rule_id the case targets */
	struct rop *ops;            /* top-level ops; OP_GUEST blocks point into blocks[] */
	uint32_t nops;
	struct rop *blocks;
	uint32_t nblocks;
	struct expect *expects;
	uint32_t nexpects;
};

void rcase_free(struct rcase *c);

/* What a backend did with one case. */
enum case_status {
	CS_RAN,        /* res[] holds one result per ops[] entry */
	CS_SKIPPED,    /* a required feature is missing; msg says which */
	CS_FAULT,      /* the backend hung, crashed or lost the case; msg says how */
	CS_ERROR,      /* the case could not be run (bad profile, ...) */
};

struct case_result {
	int status;
	char msg[200];
	struct result *res;     /* nops entries, malloc'd by the backend */
	uint32_t nres;
	char profile[64];       /* the profile it ran under */
};

void case_result_free(struct case_result *r);

#endif
