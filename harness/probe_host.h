/* Running the probe kernel in a virtual machine (Bochs, QEMU/KVM): what
 * the backends share.  A backend describes its machine with a struct
 * probe_vm; probe_vm_run() batches the cases, boots in parallel, parses
 * the outcome stream and reboots past a case that stopped the probe. */
#ifndef NESTVMX_PROBE_HOST_H
#define NESTVMX_PROBE_HOST_H
#include <stddef.h>
#include "backend.h"

#define PROBE_PATH_MAX 4400

struct probe_vm {
	const char *name;
	/* Writes the machine's config into dir (batch.bin is there; rundir
	 * holds probe.bin and rom.bin).  0 or -1. */
	int (*config)(const char *dir, const char *rundir, const char *model, int verbose);
	/* The command of one boot (dir/batch.bin is written): fills argv
	 * (NULL-terminated, at most 32), using store[0..7] for the strings.
	 * 0, or -1 when the boot cannot be prepared. */
	int (*command)(const char *dir, const char *rundir, const char *model,
		       char *argv[32], char store[][PROBE_PATH_MAX]);
	const char *stream;          /* the file in dir the probe's output lands in */
	/* The model a case runs on, or NULL with res decided (skipped, error). */
	const char *(*case_model)(const struct backend_opts *o, const struct rcase *c, struct case_result *res);
	/* Optional: why the machine stopped, from its log ("; bochs: ..."). */
	void (*why_stopped)(const char *dir, char *out, size_t len);
	double boot_seconds;         /* added to every timeout */
	size_t max_batch;            /* bytes per boot; 0: PROBE_BATCH_MAX */
};

int probe_vm_run(const struct probe_vm *vm, const struct backend_opts *o,
		 const struct rcase *const *cases, size_t n, struct case_result *results);
/* One boot that only reports the profile. */
int probe_vm_profile(const struct probe_vm *vm, const struct backend_opts *o, const char *model,
		     struct vmx_caps *out, char *why, size_t len);

/* The probe images (embedded in nestvmx; NESTVMX_PROBE_DIR overrides):
 * writes probe.bin and rom.bin into dir.  0, or -1 with a reason. */
int probe_images_write(const char *dir, char *why, size_t len);
/* Runs argv with stdin from /dev/null and stdout+stderr to `out`, killing
 * its process group after `timeout` seconds.  Returns the exit status,
 * -2 on timeout, -1 when it could not start. */
int probe_spawn(char *const argv[], const char *out, double timeout);
/* The same, also killing it when `watch` has not grown for `stall` seconds. */
int probe_spawn_watch(char *const argv[], const char *out, const char *watch, double timeout, double stall);
/* Seconds without output after which a boot counts as hung. */
#define PROBE_STALL 2.0
char *probe_read_all(const char *path, size_t *len);
int probe_on_path(const char *prog);
/* rm -rf of a temp dir this process made. */
void probe_rmdir(const char *dir);
#endif
