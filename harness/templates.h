/* `setup TEMPLATE`: expands to silent operations (ROP_SILENT) that build
 * a VMCS from the profile.  Every backend runs the same expansion, so the
 * model and the probe start L2 from identical state. */
#ifndef NESTVMX_TEMPLATES_H
#define NESTVMX_TEMPLATES_H
#include <stdbool.h>
#include <stddef.h>
#include "../refvmm/caps.h"
#include "../refvmm/ops.h"

/* Returns the number of ops written to out[] (at most max), or -1 when the
 * template is unknown, or -2 when max is too small. */
int template_expand(const char *name, const struct vmx_caps *c, uint32_t line,
		    struct rop *out, size_t max);
bool template_exists(const char *name);
size_t template_count(void);
const char *template_name(size_t i);

#endif
