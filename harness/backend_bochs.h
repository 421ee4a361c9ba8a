/* The bochs backend's extras beyond struct backend. */
#ifndef NESTVMX_BACKEND_BOCHS_H
#define NESTVMX_BACKEND_BOCHS_H
#include <stddef.h>
#include "backend.h"

#define BOCHS_DEFAULT_MODEL "corei7_skylake_x"

/* Runs `ncases` copies of a simple case (VMXON, VMCLEAR, VMPTRLD, VMWRITE,
 * VMREAD, VMXOFF) in one boot per job; returns cases per second per
 * core (one job), or a negative value with a reason. */
double backend_bochs_bench(const struct backend_opts *o, size_t ncases, char *why, size_t len);

/* Boots the probe on the model of o and returns what it reports. */
int bochs_probe_profile(const struct backend_opts *o, struct vmx_caps *out, char *why, size_t len);
#endif
