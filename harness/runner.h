/* The runner: load case files, resolve each case under the profile it
 * will run with, run the cases on a backend, and judge the results
 * against the cases' `expect`s (and, on backends other than ref, against
 * the model's allowed set).
 *
 * When does an expectation hold?
 *  - On a single-outcome backend (bochs, kvm, metal, nested): when the
 *    backend's outcome satisfies one of the expectation's alternatives
 *    (expect_holds; exit fields compared only where the case names them).
 *  - On ref: when EVERY outcome in the model's allowed set satisfies the
 *    expectation.  The model's set is what a conforming CPU may do; an
 *    expectation narrower than that set is wrong (a CPU that picks
 *    another allowed outcome would fail it), and an expectation wider
 *    than the set is fine (it is the union over several profiles or
 *    check orders).  An UNMODELLED outcome never satisfies anything: it
 *    is a model gap, listed in known-divergences/ref if accepted. */
#ifndef NESTVMX_RUNNER_H
#define NESTVMX_RUNNER_H
#include <stdbool.h>
#include <stddef.h>
#include "backend.h"
#include "case.h"

struct suite_case {
	struct casefile *f;     /* owned by the suite's files[] */
	size_t idx;             /* case index within f */
	char name[96];
};

struct suite {
	struct casefile **files;
	size_t nfiles;
	struct suite_case *cases;
	size_t ncases;
};

/* Adds a case file, every *.vmx below a directory (sorted), or every
 * match of a glob pattern.  Returns 0, or -1 with a "file:line:col:
 * error: ..." message (malformed input) in err. */
int suite_add_path(struct suite *s, const char *path, char *err, size_t len)
	__attribute__((warn_unused_result));
/* Adds case text held in memory (generated cases, tests); `path` names it
 * in messages. */
int suite_add_text(struct suite *s, const char *path, const char *text,
		   char *err, size_t len) __attribute__((warn_unused_result));
/* Keeps only cases whose name matches one of the fnmatch patterns. */
void suite_filter(struct suite *s, const char *const *pat, size_t npat);
void suite_free(struct suite *s);

enum verdict { V_PASS, V_FAIL, V_SKIP, V_ERROR, V_KNOWN, V_FIXED };

/* One case run on one backend. */
struct run_case {
	const struct suite_case *sc;
	struct rcase rc;
	bool resolved;
	struct case_result res;     /* the backend's */
	struct case_result model;   /* the model's (ref: a copy of res's pointer is NOT kept; see model_is_res) */
	bool model_is_res;          /* the backend is ref: model == res */
	int verdict;                /* enum verdict */
	char msg[1024];
};

struct run_set {
	const struct backend *b;
	struct run_case *rc;
	size_t n;
	size_t npass, nfail, nskip;
};

/* Resolves and runs every case of s on b (and the model beside it when b
 * is not ref), then judges each.  Returns 0, or a backend exit status
 * (EXIT_UNAVAILABLE, EXIT_BACKEND) with the reason in err. */
int runner_run(const struct backend *b, const struct backend_opts *o, const struct suite *s,
	       struct run_set *out, char *err, size_t len) __attribute__((warn_unused_result));
void run_set_free(struct run_set *rs);

/* Does the outcome recorded for an op satisfy the expectation, under the
 * semantics above (model = the result is the model's allowed set)? */
bool runner_expect_ok(const struct expect *e, const struct result *r, bool model);
/* Judges one ran case; fills verdict and msg. */
void runner_judge(struct run_case *c);

/* "line N: vmwrite PIN_BASED_VM_EXEC_CONTROL 0x0" (no "line N: " part). */
size_t runner_op_text(const struct rop *op, char *buf, size_t len);
/* The outcome trace of a ran case: one line per op that recorded an
 * outcome, "line N: <op>  => <outcome>", then "    because RULE, ..."
 * (the model's rules) and, with explain, each rule's SDM section and text. */
size_t run_trace_text(const struct run_case *c, bool explain, char *buf, size_t len);
/* "ENTRY.CTL.PIN_ALLOWED0, ENTRY.CTL.PROC_ALLOWED1" */
size_t runner_rules_text(const struct result *r, char *buf, size_t len);
/* The file a run case came from ("" when it was built in memory). */
const char *run_case_file(const struct run_case *c);
/* The model's result for op i of a run case, or NULL. */
const struct result *run_case_model(const struct run_case *c, uint32_t i);

/* backend_ref.c: the features of c's `requires` that caps lacks, named in
 * msg ("profile P lacks ept unrestricted_guest"); returns their number. */
int ref_missing_features(const struct rcase *c, const struct vmx_caps *caps, char *msg, size_t len);

/* The conformance suite next to the binary's source tree: tries
 * $NESTVMX_SUITE, ./conformance, and ../conformance, ../../conformance
 * relative to the executable.  NULL if none exists. */
const char *runner_default_suite(char *buf, size_t len);



/* --profile ARG: a built-in profile name, or a file in the caps text
 * format.  Returns buf or the built-in; NULL with a message in err. */
const struct vmx_caps *runner_profile_arg(const char *arg, struct vmx_caps *buf, char *err, size_t len);

#endif
