/* Backend `ref`: the reference model in-process.  Each case starts from
 * refvmm_reset() and runs op by op; the model's result for every op (its
 * allowed outcome set and the rules that decided it) is the case result. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "runner.h"
#include "../refvmm/refvmm.h"

static const struct vmx_caps *ref_caps(const struct backend_opts *o)
{
	return o && o->profile ? o->profile : caps_default();
}

static int ref_available(const struct backend_opts *o, char *why, size_t len)
{
	(void)o;
	(void)why;
	(void)len;
	return 0;
}

static const struct vmx_caps *ref_profile(const struct backend_opts *o, char *why, size_t len)
{
	(void)why;
	(void)len;
	return ref_caps(o);
}

/* The features of `requires` the profile lacks, named in msg; 0 if none. */
int ref_missing_features(const struct rcase *c, const struct vmx_caps *caps,
			 char *msg, size_t len)
{
	int n = 0;
	size_t at = (size_t)snprintf(msg, len, "profile %s lacks", caps->name);
	for (int f = 0; f < FEAT_COUNT; f++) {
		if (!(c->requires[f / 64] >> (f % 64) & 1) || caps_has(caps, (enum vmx_feature)f))
			continue;
		n++;
		if (at < len)
			at += (size_t)snprintf(msg + at, len - at, " %s", caps_feature_name((enum vmx_feature)f));
	}
	return n;
}

static void ref_run_case(struct refvmm *m, const struct rcase *c, struct case_result *r)
{
	r->res = calloc(c->nops ? c->nops : 1, sizeof *r->res);
	if (!r->res) {
		r->status = CS_FAULT;
		snprintf(r->msg, sizeof r->msg, "out of memory");
		return;
	}
	r->nres = c->nops;
	refvmm_reset(m);
	for (uint32_t i = 0; i < c->nops; i++)
		refvmm_run(m, &c->ops[i], &r->res[i]);
	r->status = CS_RAN;
}

/* One model per profile in a row: cases are grouped by profile in
 * practice, so re-creating only on a change keeps the suite fast. */
static int ref_run(const struct backend_opts *o, const struct rcase *const *cases,
		   size_t n, struct case_result *results)
{
	struct refvmm *m = NULL;
	const struct vmx_caps *mcaps = NULL;
	for (size_t i = 0; i < n; i++) {
		const struct rcase *c = cases[i];
		struct case_result *r = &results[i];
		memset(r, 0, sizeof *r);
		const struct vmx_caps *caps = c->profile[0] ? caps_builtin(c->profile) : ref_caps(o);
		if (!caps) {
			r->status = CS_ERROR;
			snprintf(r->msg, sizeof r->msg, "unknown profile '%s'", c->profile);
			continue;
		}
		snprintf(r->profile, sizeof r->profile, "%s", caps->name);
		if (ref_missing_features(c, caps, r->msg, sizeof r->msg)) {
			r->status = CS_SKIPPED;
			continue;
		}
		r->msg[0] = 0;
		if (caps != mcaps) {
			if (m)
				refvmm_destroy(m);
			m = refvmm_create(caps);
			mcaps = caps;
			if (!m) {
				r->status = CS_FAULT;
				snprintf(r->msg, sizeof r->msg, "refvmm_create: out of memory");
				mcaps = NULL;
				continue;
			}
		}
		ref_run_case(m, c, r);
	}
	if (m)
		refvmm_destroy(m);
	return 0;
}

static const struct backend ref_backend = {
	.name = "ref",
	.describe = "refvmm, the reference model, in-process (always available)",
	.available = ref_available,
	.profile = ref_profile,
	.run = ref_run,
};
BACKEND_REGISTER(ref_backend);
