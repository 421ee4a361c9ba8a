/* Backend `bochs`: the probe kernel booted in Bochs 2.7 with a VMX CPU
 * model (shared/reference/bochs-oracle.md): no BIOS, a 64 KiB reset ROM,
 * the probe and the batch loaded straight into RAM, outcomes on port
 * 0xE9.  Batching, parallel boots and per-case fault isolation are in
 * probe_host.c. */
/* Messages and paths are cut to their buffers on purpose. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "backend_bochs.h"
#include "probe_host.h"
#include "probe_proto.h"
#include "runner.h"

static const char *model_of(const struct backend_opts *o)
{
	return o && o->model && *o->model ? o->model : BOCHS_DEFAULT_MODEL;
}

static int bochs_available(const struct backend_opts *o, char *why, size_t len)
{
	char prof[80], vga[4096];
	const char *share = getenv("BXSHARE") ? getenv("BXSHARE") : "/usr/share/bochs";
	snprintf(vga, sizeof vga, "%s/VGABIOS-lgpl-latest", share);
	if (!probe_on_path("bochs")) {
		snprintf(why, len, "bochs is not on PATH (apt-get install bochs bochsbios vgabios bochs-term)");
		return EXIT_UNAVAILABLE;
	}
	if (access(vga, R_OK) != 0) {
		snprintf(why, len, "%s is missing (apt-get install vgabios)", vga);
		return EXIT_UNAVAILABLE;
	}
	snprintf(prof, sizeof prof, "bochs-%s", model_of(o));
	if (!caps_builtin(prof)) {
		snprintf(why, len, "unknown Bochs CPU model '%s' (no built-in profile %s)", model_of(o), prof);
		return EXIT_UNAVAILABLE;
	}
	return 0;
}

static int write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

/* Triple faults and panics end Bochs (reset_on_triple_fault=0, panic
 * fatal) instead of rebooting into the batch again. */
static int bochs_config(const char *dir, const char *rundir, const char *model, int verbose)
{
	char path[PROBE_PATH_MAX], text[16384];
	snprintf(path, sizeof path, "%s/bochsrc", dir);
	snprintf(text, sizeof text,
		 "megs: %u\n"
		 "optramimage1: file=%s/probe.bin, address=0x%x\n"
		 "cpu: model=%s, ignore_bad_msrs=0, reset_on_triple_fault=0\n"
		 "display_library: rfb, options=\"timeout=0\"\n"
		 "port_e9_hack: enabled=1\n"
		 "sound: waveoutdrv=dummy, waveindrv=dummy, midioutdrv=dummy\n"
		 "log: %s/bochs.log\n"
		 "panic: action=fatal\n"
		 "error: action=%s\n"
		 "info: action=ignore\n"
		 "debug: action=ignore\n",
		 (unsigned)((PROBE_BATCH_ADDR + PROBE_BATCH_MAX) >> 20), rundir, TM_PROBE_BASE,
		 model, dir, verbose ? "report" : "ignore");
	if (write_text(path, text))
		return -1;
	snprintf(path, sizeof path, "%s/rc", dir);
	return write_text(path, "c\nquit\n");
}

/* The system ROM of one boot: the batch, then rom.S's 64 KiB on top;
 * the stub learns the batch's place from two patched dwords. */
static int write_rom(const char *dir, const char *rundir, uint32_t *base)
{
	char path[PROBE_PATH_MAX];
	size_t blen, slen;
	snprintf(path, sizeof path, "%s/batch.bin", dir);
	char *batch = probe_read_all(path, &blen);
	snprintf(path, sizeof path, "%s/rom.bin", rundir);
	char *stub = probe_read_all(path, &slen);
	uint32_t size = PROBE_ROM_STUB;
	while (size < PROBE_ROM_MAX && size < PROBE_ROM_STUB + blen)
		size *= 2;
	uint8_t *rom = batch && stub && slen == PROBE_ROM_STUB && PROBE_ROM_STUB + blen <= size ?
		       calloc(1, size) : NULL;
	int rc = -1;
	if (rom) {
		memcpy(rom, batch, blen);
		memcpy(rom + size - PROBE_ROM_STUB, stub, PROBE_ROM_STUB);
		uint32_t patch[2] = { (uint32_t)(0x100000000ULL - size), (uint32_t)blen };
		memcpy(rom + size - (0x100000000ULL - PROBE_ROM_PATCH), patch, sizeof patch);
		*base = patch[0];
		snprintf(path, sizeof path, "%s/sysrom.bin", dir);
		FILE *f = fopen(path, "wb");
		rc = f && fwrite(rom, 1, size, f) == size ? 0 : -1;
		if (f && fclose(f))
			rc = -1;
	}
	free(rom);
	free(batch);
	free(stub);
	return rc;
}

static int bochs_command(const char *dir, const char *rundir, const char *model,
			 char *argv[32], char store[][PROBE_PATH_MAX])
{
	uint32_t base;
	(void)model;
	if (write_rom(dir, rundir, &base))
		return -1;
	snprintf(store[0], PROBE_PATH_MAX, "%s/bochsrc", dir);
	snprintf(store[1], PROBE_PATH_MAX, "%s/rc", dir);
	snprintf(store[2], PROBE_PATH_MAX, "romimage: file=%s/sysrom.bin, address=0x%x", dir, base);
	char *v[] = { "bochs", "-q", "-f", store[0], "-rc", store[1], store[2], NULL };
	memcpy(argv, v, sizeof v);
	return 0;
}

/* The panic line of Bochs's log, for CS_FAULT messages. */
static void bochs_why(const char *dir, char *out, size_t len)
{
	char path[PROBE_PATH_MAX];
	size_t n;
	snprintf(path, sizeof path, "%s/bochs.log", dir);
	char *log = probe_read_all(path, &n);
	const char *hit = NULL;
	for (const char *p = log; p && (p = strstr(p, ">>PANIC<<")); p++)
		hit = p;
	if (hit)
		snprintf(out, len, "; bochs: %.*s", (int)strcspn(hit, "\n"), hit);
	free(log);
}

/* A case naming a bochs-MODEL profile runs on that model; other named
 * profiles are not Bochs's to run. */
static const char *bochs_case_model(const struct backend_opts *o, const struct rcase *c, struct case_result *res)
{
	const char *model = model_of(o);
	char prof[80];
	if (c->profile[0]) {
		if (strncmp(c->profile, "bochs-", 6) != 0) {
			res->status = CS_SKIPPED;
			snprintf(res->msg, sizeof res->msg, "profile %s is not a Bochs model", c->profile);
			return NULL;
		}
		model = c->profile + 6;
	}
	snprintf(prof, sizeof prof, "bochs-%s", model);
	const struct vmx_caps *caps = caps_builtin(prof);
	snprintf(res->profile, sizeof res->profile, "%s", prof);
	if (!caps) {
		res->status = CS_ERROR;
		snprintf(res->msg, sizeof res->msg, "unknown Bochs model '%s'", model);
		return NULL;
	}
	if (ref_missing_features(c, caps, res->msg, sizeof res->msg)) {
		res->status = CS_SKIPPED;
		return NULL;
	}
	res->msg[0] = 0;
	return model;
}

static const struct probe_vm bochs_vm = {
	.name = "bochs",
	.config = bochs_config,
	.command = bochs_command,
	.stream = "console.txt",
	.case_model = bochs_case_model,
	.why_stopped = bochs_why,
	.boot_seconds = 1,
	.max_batch = PROBE_ROM_MAX - PROBE_ROM_STUB,
};

static int bochs_run(const struct backend_opts *o, const struct rcase *const *cases, size_t n,
		     struct case_result *results)
{
	return probe_vm_run(&bochs_vm, o, cases, n, results);
}

int bochs_probe_profile(const struct backend_opts *o, struct vmx_caps *out, char *why, size_t len)
{
	if (probe_vm_profile(&bochs_vm, o, model_of(o), out, why, len))
		return -1;
	snprintf(out->name, sizeof out->name, "bochs-%s", model_of(o));
	return 0;
}

/* The built-in profile of the model, checked once per model against what
 * the probe reports on it (a warning on stderr when they differ: the
 * built-in table and this Bochs disagree). */
static const struct vmx_caps *bochs_profile(const struct backend_opts *o, char *why, size_t len)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static char checked[16][64];
	static int nchecked;
	char prof[80];
	snprintf(prof, sizeof prof, "bochs-%s", model_of(o));
	const struct vmx_caps *caps = caps_builtin(prof);
	if (!caps) {
		snprintf(why, len, "no built-in profile %s", prof);
		return NULL;
	}
	pthread_mutex_lock(&lock);
	int seen = 0;
	for (int i = 0; i < nchecked; i++)
		seen |= !strcmp(checked[i], prof);
	if (!seen && nchecked < 16)
		snprintf(checked[nchecked++], sizeof checked[0], "%s", prof);
	pthread_mutex_unlock(&lock);
	if (seen || bochs_available(o, why, len))
		return caps;
	struct vmx_caps got;
	if (bochs_probe_profile(o, &got, why, len) != 0) {
		fprintf(stderr, "nestvmx: warning: cannot verify %s against Bochs: %s\n", prof, why);
		return caps;
	}
	for (unsigned i = 0; i < CAP_NMSR; i++) {
		uint32_t msr = CAP_MSR_FIRST + i;
		if (caps_msr_present(caps, msr) != caps_msr_present(&got, msr) || caps->msr[i] != got.msr[i])
			fprintf(stderr, "nestvmx: warning: %s: MSR 0x%x is 0x%llx%s in Bochs, 0x%llx%s in the built-in profile\n",
				prof, msr, (unsigned long long)got.msr[i], caps_msr_present(&got, msr) ? "" : " (absent)",
				(unsigned long long)caps->msr[i], caps_msr_present(caps, msr) ? "" : " (absent)");
	}
	if (got.maxphyaddr != caps->maxphyaddr)
		fprintf(stderr, "nestvmx: warning: %s: MAXPHYADDR %u in Bochs, %u in the built-in profile\n",
			prof, got.maxphyaddr, caps->maxphyaddr);
	return caps;
}

/* A simple case, many times: VMXON, VMCLEAR, VMPTRLD, VMWRITE, VMREAD, VMXOFF. */
double backend_bochs_bench(const struct backend_opts *o, size_t ncases, char *why, size_t len)
{
	static struct rop ops[6] = {
		{ .op = OP_VMXON, .a = { TM_VMXON_REGION } }, { .op = OP_VMCLEAR, .a = { TM_VMCS0 } },
		{ .op = OP_VMPTRLD, .a = { TM_VMCS0 } }, { .op = OP_VMWRITE, .a = { 0x681e, 0x1234 } },
		{ .op = OP_VMREAD, .a = { 0x681e } }, { .op = OP_VMXOFF },
	};
	struct rcase c = { .name = "bench", .ops = ops, .nops = 6 };
	const struct rcase **cases = calloc(ncases ? ncases : 1, sizeof *cases);
	struct case_result *res = calloc(ncases ? ncases : 1, sizeof *res);
	double rate = -1;
	if (!cases || !res) {
		snprintf(why, len, "out of memory");
		goto out;
	}
	if (bochs_available(o, why, len))
		goto out;
	for (size_t i = 0; i < ncases; i++)
		cases[i] = &c;
	struct backend_opts one = *o;
	one.jobs = 1;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	bochs_run(&one, cases, ncases, res);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	size_t ran = 0;
	for (size_t i = 0; i < ncases; i++)
		ran += res[i].status == CS_RAN;
	if (ran != ncases) {
		snprintf(why, len, "%zu of %zu cases did not run: %s", ncases - ran, ncases, res[0].msg);
		goto out;
	}
	rate = (double)ncases / ((double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9);
out:
	for (size_t i = 0; res && i < ncases; i++)
		free(res[i].res);
	free(res);
	free(cases);
	return rate;
}

static const struct backend bochs_backend = {
	.name = "bochs",
	.describe = "the probe kernel in Bochs 2.7 with a VMX CPU model (--model, default " BOCHS_DEFAULT_MODEL ")",
	.available = bochs_available,
	.profile = bochs_profile,
	.run = bochs_run,
};
BACKEND_REGISTER(bochs_backend);
