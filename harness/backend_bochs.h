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

/* The probe images (embedded in nestvmx; NESTVMX_PROBE_DIR overrides):
 * writes probe.bin and rom.bin into dir.  0, or -1 with a reason. */
int probe_images_write(const char *dir, char *why, size_t len);
/* Runs a command with stdin from /dev/null and stdout to `out`, killing
 * its process group after `timeout` seconds.  Returns the exit status,
 * -2 on timeout, -1 when it could not start. */
int probe_spawn(char *const argv[], const char *out, double timeout);
/* Boots the probe on the model of o and returns what it reports. */
int bochs_probe_profile(const struct backend_opts *o, struct vmx_caps *out, char *why, size_t len);
#endif
