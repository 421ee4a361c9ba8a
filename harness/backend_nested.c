/* Backend `nested`: nested/ (an L0) on top of refvmm.  Until nested/ and
 * its hw.h binding exist this backend refuses clearly instead of
 * producing results that would look like agreement. */
#include <stdio.h>
#include "backend.h"

static int nested_available(const struct backend_opts *o, char *why, size_t len)
{
	(void)o;
	snprintf(why, len, "nested backend: not built yet");
	return EXIT_UNAVAILABLE;
}

static const struct vmx_caps *nested_profile(const struct backend_opts *o, char *why, size_t len)
{
	(void)o;
	snprintf(why, len, "nested backend: not built yet");
	return NULL;
}

static int nested_run(const struct backend_opts *o, const struct rcase *const *cases,
		      size_t n, struct case_result *results)
{
	(void)o;
	(void)cases;
	(void)n;
	(void)results;
	return EXIT_UNAVAILABLE;
}

static const struct backend nested_backend = {
	.name = "nested",
	.describe = "nested/ (an L0 emulating VT-x) on refvmm -- not built yet",
	.available = nested_available,
	.profile = nested_profile,
	.run = nested_run,
};
BACKEND_REGISTER(nested_backend);
