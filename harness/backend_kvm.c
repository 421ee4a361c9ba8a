/* Backend `kvm`: the probe kernel as an L1 guest of QEMU/KVM with nested
 * VMX, i.e. the host's KVM (or whatever hypervisor is under test as L0)
 * emulating VT-x for it.  Multiboot boot (-kernel), the batch as the
 * module (-initrd), outcomes on the debug console (port 0xE9). */
/* Messages and paths are cut to their buffers on purpose. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "probe_host.h"
#include "runner.h"

#define QEMU "qemu-system-x86_64"

static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	int ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return ok ? 0 : -1;
}

static int intel_host(void)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512];
	int intel = 0;
	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, "vendor_id", 9)) {
			intel = strstr(line, "GenuineIntel") != NULL;
			break;
		}
	if (f)
		fclose(f);
	return intel;
}

/* Every missing piece is named; a suite never runs half-way. */
static int kvm_available(const struct backend_opts *o, char *why, size_t len)
{
	char v[64];
	(void)o;
	if (!intel_host()) {
		snprintf(why, len, "not an Intel host (/proc/cpuinfo vendor_id is not GenuineIntel)");
		return EXIT_UNAVAILABLE;
	}
	int fd = open("/dev/kvm", O_RDWR);
	if (fd < 0) {
		snprintf(why, len, "/dev/kvm is missing or not accessible (modprobe kvm_intel; add yourself to group kvm)");
		return EXIT_UNAVAILABLE;
	}
	close(fd);
	if (read_line("/sys/module/kvm_intel/parameters/nested", v, sizeof v) ||
	    (strcmp(v, "Y") && strcmp(v, "1"))) {
		snprintf(why, len, "nested VMX is off (/sys/module/kvm_intel/parameters/nested is '%s'; "
			 "modprobe -r kvm_intel && modprobe kvm_intel nested=1)", v[0] ? v : "absent");
		return EXIT_UNAVAILABLE;
	}
	if (!probe_on_path(QEMU)) {
		snprintf(why, len, QEMU " is not on PATH (apt-get install qemu-system-x86)");
		return EXIT_UNAVAILABLE;
	}
	return 0;
}

static int kvm_config(const char *dir, const char *rundir, const char *model, int verbose)
{
	(void)dir;
	(void)rundir;
	(void)model;
	(void)verbose;
	return 0;
}

static int kvm_command(const char *dir, const char *rundir, const char *model,
			char *argv[32], char store[][PROBE_PATH_MAX])
{
	(void)model;
	snprintf(store[0], PROBE_PATH_MAX, "%s/probe.bin", rundir);
	snprintf(store[1], PROBE_PATH_MAX, "%s/batch.bin", dir);
	snprintf(store[2], PROBE_PATH_MAX, "file:%s/out.txt", dir);
	char *v[] = { QEMU, "-accel", "kvm", "-cpu", "host,+vmx", "-m", "64", "-smp", "1",
		      "-kernel", store[0], "-initrd", store[1], "-debugcon", store[2],
		      "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
		      "-display", "none", "-serial", "null", "-monitor", "none", "-nodefaults", "-no-reboot", NULL };
	memcpy(argv, v, sizeof v);
	return 0;
}

static const struct vmx_caps *host_profile(char *why, size_t len);

/* Cases run under the host's own profile; one that names another is skipped. */
static const char *kvm_case_model(const struct backend_opts *o, const struct rcase *c, struct case_result *res)
{
	char why[200];
	(void)o;
	const struct vmx_caps *caps = host_profile(why, sizeof why);
	if (!caps) {
		res->status = CS_ERROR;
		snprintf(res->msg, sizeof res->msg, "kvm: %s", why);
		return NULL;
	}
	snprintf(res->profile, sizeof res->profile, "%s", caps->name);
	if (c->profile[0] && strcmp(c->profile, caps->name)) {
		res->status = CS_SKIPPED;
		snprintf(res->msg, sizeof res->msg, "case names profile %s; kvm runs under the host's own", c->profile);
		return NULL;
	}
	if (ref_missing_features(c, caps, res->msg, sizeof res->msg)) {
		res->status = CS_SKIPPED;
		return NULL;
	}
	res->msg[0] = 0;
	return "host";
}

static const struct probe_vm kvm_vm = {
	.name = "kvm",
	.config = kvm_config,
	.command = kvm_command,
	.stream = "out.txt",
	.case_model = kvm_case_model,
	.boot_seconds = 5,
};

/* What the probe reports as an L1 guest, once per process. */
static const struct vmx_caps *host_profile(char *why, size_t len)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static struct vmx_caps caps;
	static int state;            /* 0 unknown, 1 have, -1 failed */
	static char err[200];
	pthread_mutex_lock(&lock);
	if (!state) {
		struct backend_opts o = { .timeout = 30 };
		state = probe_vm_profile(&kvm_vm, &o, "host", &caps, err, sizeof err) ? -1 : 1;
		snprintf(caps.name, sizeof caps.name, "kvm-host");
	}
	pthread_mutex_unlock(&lock);
	if (state < 0)
		snprintf(why, len, "%s", err);
	return state > 0 ? &caps : NULL;
}

static const struct vmx_caps *kvm_profile(const struct backend_opts *o, char *why, size_t len)
{
	if (kvm_available(o, why, len))
		return NULL;
	return host_profile(why, len);
}

static int kvm_run(const struct backend_opts *o, const struct rcase *const *cases, size_t n,
		   struct case_result *results)
{
	char why[400];
	if (kvm_available(o, why, sizeof why)) {
		fprintf(stderr, "nestvmx: kvm backend unavailable: %s\n", why);
		return EXIT_UNAVAILABLE;
	}
	return probe_vm_run(&kvm_vm, o, cases, n, results);
}

static const struct backend kvm_backend = {
	.name = "kvm",
	.describe = "the probe kernel as an L1 guest of QEMU/KVM with nested VMX (Intel hosts)",
	.available = kvm_available,
	.profile = kvm_profile,
	.run = kvm_run,
};
BACKEND_REGISTER(kvm_backend);
