/* Backends: where resolved cases run.  One struct of function pointers
 * per backend (kvmtool style); the runner never knows which it has. */
#ifndef NESTVMX_BACKEND_H
#define NESTVMX_BACKEND_H
#include <stddef.h>
#include "rcase.h"

/* Exit statuses shared by every subcommand. */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,          /* a check/expectation did not hold */
	EXIT_USAGE = 2,         /* bad command line or malformed input */
	EXIT_UNAVAILABLE = 3,   /* the backend cannot run on this host (no VT-x, no Bochs, ...) */
	EXIT_BACKEND = 4,       /* the backend faulted */
};

struct backend_opts {
	const char *model;      /* bochs: CPU model, e.g. corei7_skylake_x */
	const struct vmx_caps *profile;   /* forced profile, or NULL for the backend's own */
	int jobs;               /* parallel batches (0 = number of cores) */
	double timeout;         /* seconds per batch before it counts as hung */
	int verbose;
};

struct backend {
	const char *name;
	const char *describe;
	/* 0 when it can run here; otherwise EXIT_UNAVAILABLE and a reason */
	int (*available)(const struct backend_opts *o, char *why, size_t len);
	/* The profile this backend runs under (the model's, or what the
	 * probe reports).  NULL with a reason when it cannot tell. */
	const struct vmx_caps *(*profile)(const struct backend_opts *o, char *why, size_t len);
	/* Run n cases; results[i] for cases[i].  Never loses results of other
	 * cases when one case hangs or crashes the backend (CS_FAULT). */
	int (*run)(const struct backend_opts *o, const struct rcase *const *cases,
		   size_t n, struct case_result *results);
};

/* Backends register themselves (harness/backend.c holds the registry):
 * in backend_x.c, `static const struct backend b = {...}; BACKEND_REGISTER(b);` */
void backend_register(const struct backend *b);
#define BACKEND_REGISTER(var) \
	static void __attribute__((constructor)) breg_##var(void) { backend_register(&var); }

const struct backend *backend_find(const char *name);
size_t backend_count(void);
const struct backend *backend_at(size_t i);

#endif
