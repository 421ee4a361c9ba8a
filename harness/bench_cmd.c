/* nestvmx bench: how fast the model runs, each figure also as a ratio
 * against a peer measured in the same run on the same machine (STYLE:
 * speed targets are ratios, never absolute numbers):
 *   - VM-entry evaluations/s: reset + `setup vmcs64` + VMLAUNCH of a valid
 *     VMCS, against a plain 4 KiB memcpy (one VMCS page) per iteration;
 *   - entry + CPUID exit + VMRESUME round trips/s, against the model's
 *     own VMREAD loop (the cheapest VMX instruction it runs);
 *   - cases/s on bochs, when that backend is available here, against the
 *     same case on the model. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cmd.h"
#include "backend_bochs.h"
#include "runner.h"
#include "../refvmm/refvmm.h"

static const char entry_case[] =
	"case bench.entry\nvmxon\nsetup vmcs64\nvmlaunch\n";
static const char cpuid_case[] =
	"case bench.cpuid\nvmxon\nsetup vmcs64\nguest { cpuid; cpuid; cpuid; cpuid; cpuid; cpuid; cpuid; cpuid }\n"
	"vmlaunch\nvmresume\nvmresume\nvmresume\nvmresume\nvmresume\nvmresume\nvmresume\n";
static const char vmread_case[] =
	"case bench.vmread\nvmxon\nsetup vmcs64\nvmread GUEST_RIP\nvmread GUEST_RIP\nvmread GUEST_RIP\nvmread GUEST_RIP\n";

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Calls fn(arg) in batches until `secs` have passed; returns calls/s. */
static double rate(double secs, void (*fn)(void *), void *arg)
{
	double t0 = now(), t;
	size_t n = 0;
	do {
		for (int k = 0; k < 64; k++)
			fn(arg);
		n += 64;
	} while ((t = now() - t0) < secs);
	return (double)n / t;
}

static int load_case(const char *text, const struct vmx_caps *caps, struct rcase *rc, char *err, size_t len)
{
	struct casefile *f = NULL;
	if (casefile_parse("<bench>", text, strlen(text), &f, err, len) != 0)
		return -1;
	int r = casefile_resolve(f, 0, caps, rc, err, len);
	casefile_free(f);
	return r;
}

/* Counts the ops of a case that are VM entries or VMREADs. */
static unsigned count_ops(const struct rcase *c, unsigned a, unsigned b)
{
	unsigned n = 0;
	for (uint32_t i = 0; i < c->nops; i++)
		n += c->ops[i].op == a || c->ops[i].op == b;
	return n;
}

struct model_job {
	struct refvmm *m;
	const struct rcase *c;
	struct result *res;
};

/* One case from reset, as the ref backend runs it. */
static void run_model(void *arg)
{
	struct model_job *j = arg;
	refvmm_reset(j->m);
	for (uint32_t i = 0; i < j->c->nops; i++)
		refvmm_run(j->m, &j->c->ops[i], &j->res[i]);
}

/* The peer: copy one VMCS-sized page (what a VMM does on VMPTRLD at the least). */
static void copy_page(void *arg)
{
	static uint8_t page[2][4096];
	volatile uint8_t *sink = arg;
	memcpy(page[*sink & 1], page[!(*sink & 1)], sizeof page[0]);
	*sink += page[0][*sink];
}

/* Steady state: VMCLEAR, VMPTRLD and VMLAUNCH of the same valid VMCS (the
 * entry checks, guest-state load, the guest's implicit VMCALL and the exit),
 * with no reset in between: what the "valid entries/s" measures. */
static void relaunch(void *arg)
{
	struct model_job *j = arg;
	static const struct rop ops[] = {
		{ .op = OP_VMCLEAR, .a = { TM_VMCS0 } }, { .op = OP_VMPTRLD, .a = { TM_VMCS0 } },
		{ .op = OP_VMLAUNCH },
	};
	for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
		refvmm_run(j->m, &ops[i], &j->res[i]);
}

/* Whether section `name` runs: all of them, or the one --only names (to
 * profile one figure at a time). */
static bool want(const char *only, const char *name)
{
	return !only || !strcmp(only, name);
}

static int bench_model(const struct vmx_caps *caps, double secs, const char *only)
{
	char err[512];
	struct rcase ce, cc, cr;
	if (load_case(entry_case, caps, &ce, err, sizeof err) || load_case(cpuid_case, caps, &cc, err, sizeof err)
	    || load_case(vmread_case, caps, &cr, err, sizeof err))
		return fprintf(stderr, "nestvmx bench: %s\n", err), EXIT_USAGE;
	struct refvmm *m = refvmm_create(caps);
	static struct result res[1024];
	if (!m || ce.nops > 1024 || cc.nops > 1024 || cr.nops > 1024)
		return fprintf(stderr, "nestvmx bench: the model is not available\n"), EXIT_UNAVAILABLE;
	volatile uint8_t sink = 0;
	struct model_job je = { m, &ce, res }, jc = { m, &cc, res }, jr = { m, &cr, res };
	double copy = want(only, "copy") ? rate(secs, copy_page, (void *)&sink) : 0;
	double entry = want(only, "entry") ? rate(secs, run_model, &je) : 0;
	double trip = want(only, "trip") ? rate(secs, run_model, &jc) * count_ops(&cc, OP_VMLAUNCH, OP_VMRESUME) : 0;
	double vmread = want(only, "vmread") ? rate(secs, run_model, &jr) * count_ops(&cr, OP_VMREAD, OP_VMREAD) : 0;
	run_model(&je);   /* leaves a valid VMCS0 behind */
	double steady = want(only, "steady") ? rate(secs, relaunch, &je) : 0;
	printf("profile %s\n", caps->name);
	printf("peer: memcpy of a 4 KiB VMCS page     %12.0f /s\n", copy);
	printf("peer: model VMREAD (reset amortized)  %12.0f /s\n", vmread);
	printf("VM-entry evaluations (vmcs64, reset)  %12.0f /s  = %.4f x memcpy\n", entry, entry / copy);
	printf("VM entries, steady (VMCLEAR+VMPTRLD+VMLAUNCH+exit) %8.0f /s  = %.4f x memcpy\n", steady, steady / copy);
	printf("entry+CPUID exit+VMRESUME round trips %12.0f /s  = %.4f x model VMREAD\n", trip, trip / vmread);
	refvmm_destroy(m);
	rcase_free(&ce);
	rcase_free(&cc);
	rcase_free(&cr);
	return 0;
}

/* Cases/s on bochs (the bochs backend's own bench: one short case many
 * times in one boot), against the same case on the model in this run. */
static void bench_bochs(const struct backend_opts *o, const struct vmx_caps *caps, double secs)
{
	char why[512];
	const struct backend *b = backend_find("bochs");
	if (!b || b->available(o, why, sizeof why) != 0) {
		printf("bochs: not available here%s%s\n", b ? ": " : "", b ? why : "");
		return;
	}
	double bochs = backend_bochs_bench(o, 256, why, sizeof why);
	if (bochs < 0) {
		printf("bochs: %s\n", why);
		return;
	}
	/* the bochs bench case: VMXON, VMCLEAR, VMPTRLD, VMWRITE, VMREAD, VMXOFF */
	static const struct rop ops[6] = {
		{ .op = OP_VMXON, .a = { TM_VMXON_REGION } }, { .op = OP_VMCLEAR, .a = { TM_VMCS0 } },
		{ .op = OP_VMPTRLD, .a = { TM_VMCS0 } }, { .op = OP_VMWRITE, .a = { 0x681e, 0x1234 } },
		{ .op = OP_VMREAD, .a = { 0x681e } }, { .op = OP_VMXOFF },
	};
	struct rcase c = { .name = "bench", .ops = (struct rop *)ops, .nops = 6 };
	struct result res[6];
	struct refvmm *m = refvmm_create(caps);
	if (!m)
		return;
	struct model_job j = { m, &c, res };
	double ref = rate(secs, run_model, &j);
	refvmm_destroy(m);
	printf("bochs: simple case (6 VMX instructions) %10.1f cases/s  = %.6f x the model (%.0f cases/s)\n",
	       bochs, bochs / ref, ref);
}

static int bench_main(int argc, char **argv)
{
	double secs = 0.3;
	const char *only = NULL;
	struct backend_opts o = { 0 };
	struct vmx_caps pbuf;
	char err[512];
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: nestvmx bench [--profile P] [--model M] [--time SECONDS] [--only SECTION]\n"
			       "  Model speed, each figure as a ratio against a peer measured in the same run.\n"
			       "  --only copy|vmread|entry|steady|trip runs that section alone (for profiling;\n"
			       "  the other figures print as 0 and bochs is skipped).\n");
			return EXIT_OK;
		}
		if (i + 1 == argc)
			return fprintf(stderr, "nestvmx bench: bad arguments\n"), EXIT_USAGE;
		if (!strcmp(argv[i], "--time"))
			secs = atof(argv[++i]);
		else if (!strcmp(argv[i], "--only"))
			only = argv[++i];
		else if (!strcmp(argv[i], "--model"))
			o.model = argv[++i];
		else if (!strcmp(argv[i], "--profile")) {
			if (!(o.profile = runner_profile_arg(argv[++i], &pbuf, err, sizeof err)))
				return fprintf(stderr, "nestvmx bench: %s\n", err), EXIT_USAGE;
		} else
			return fprintf(stderr, "nestvmx bench: unknown option %s\n", argv[i]), EXIT_USAGE;
	}
	if (secs <= 0 || secs > 60)
		secs = 0.3;
	int rc = bench_model(o.profile ? o.profile : caps_default(), secs, only);
	if (rc == 0 && !only)
		bench_bochs(&o, o.profile ? o.profile : caps_default(), secs);
	return rc;
}

static const struct command bench_command = {
	.name = "bench",
	.summary = "model speed (entries/s, exit round trips/s), as ratios against peers",
	.run = bench_main,
};
COMMAND_REGISTER(bench_command);
