/* nestvmx bench: how fast the model runs, each figure also as a ratio
 * against a peer measured in the same run on the same machine (STYLE:
 * speed targets are ratios, never absolute numbers), a plain 4 KiB memcpy
 * (one VMCS page):
 *   - VMREAD of the current VMCS in a loop (the cheapest VMX instruction);
 *   - VM-entry evaluations/s: reset + `setup vmcs64` + VMLAUNCH of a valid
 *     VMCS (a whole case, as a fuzzer runs one), and steady: VMCLEAR +
 *     VMPTRLD + VMLAUNCH of that VMCS, with the guest's VMCALL exit;
 *   - entry + CPUID exit + VMRESUME round trips/s: steady (VMWRITE
 *     GUEST_RIP back to the CPUID + VMRESUME, as an L1 VMM's loop does),
 *     and within cases from reset (8 trips per case);
 *   - cases/s on bochs, when that backend is available here, against the
 *     same case on the model.
 * Each model figure is checked to produce the outcome it claims to count. */
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
static const char trip_case[] =
	"case bench.trip\nvmxon\nsetup vmcs64\nguest { cpuid }\nvmlaunch\n";

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

/* Counts the ops of a case that are VM entries. */
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

/* A fixed op sequence run on the model as it stands (no reset). */
struct steady_job {
	struct refvmm *m;
	const struct rop *ops;
	size_t nops;
	struct result *res;
};

static void run_steady(void *arg)
{
	struct steady_job *j = arg;
	for (size_t i = 0; i < j->nops; i++)
		refvmm_run(j->m, &j->ops[i], &j->res[i]);
}

/* Rule evaluations so far (what an entry costs is mostly its checks). */
static uint64_t evals(const struct refvmm *m)
{
	uint64_t n = 0;
	for (int r = 0; r < RULE_COUNT; r++)
		n += m->rule_evals[r];
	return n;
}

/* Whether res is a VM exit with basic reason `reason` (the bench counts
 * only what the model really did). */
static bool exited(const struct result *res, uint32_t reason)
{
	return res->nalt >= 1 && res->alt[0].kind == OUT_EXIT && res->alt[0].num == reason;
}

static int bench_fail(const char *what)
{
	fprintf(stderr, "nestvmx bench: %s did not give the outcome it counts\n", what);
	return EXIT_FAIL;
}

/* Whether section `name` runs: all of them, or the one --only names (to
 * profile one figure at a time). */
static bool want(const char *only, const char *name)
{
	return !only || !strcmp(only, name);
}

/* One figure: its rate and, when a peer is given, the ratio to it. */
static void line(const char *what, double per_s, double peer)
{
	printf("%-64s %10.0f /s", what, per_s);
	if (peer > 0)
		printf("  = %.4f x memcpy", per_s / peer);
	putchar('\n');
}

static int bench_model(const struct vmx_caps *caps, double secs, const char *only)
{
	char err[512];
	struct rcase ce, cc, ct;
	if (load_case(entry_case, caps, &ce, err, sizeof err) || load_case(cpuid_case, caps, &cc, err, sizeof err)
	    || load_case(trip_case, caps, &ct, err, sizeof err))
		return fprintf(stderr, "nestvmx bench: %s\n", err), EXIT_USAGE;
	struct refvmm *m = refvmm_create(caps);
	static struct result res[1024];
	if (!m || ce.nops > 1024 || cc.nops > 1024 || ct.nops > 1024)
		return fprintf(stderr, "nestvmx bench: the model is not available\n"), EXIT_UNAVAILABLE;
	volatile uint8_t sink = 0;
	struct model_job je = { m, &ce, res }, jc = { m, &cc, res }, jt = { m, &ct, res };
	double copy = want(only, "copy") ? rate(secs, copy_page, (void *)&sink) : 0;

	/* a valid VMCS0 with the guest at its CPUID (exit 10 saved GUEST_RIP) */
	run_model(&jt);
	uint64_t rip = 0;
	if (!exited(&res[ct.nops - 1], 10) || !refvmm_peek_vmcs(m, VF_GUEST_RIP, &rip))
		return bench_fail("the CPUID case");
	const struct rop vmread[] = { { .op = OP_VMREAD, .a = { 0x681e } } };
	const struct rop trip[] = { { .op = OP_VMWRITE, .a = { 0x681e, rip } }, { .op = OP_VMRESUME } };
	struct steady_job jr = { m, vmread, 1, res }, jtrip = { m, trip, 2, res };
	double vmread_rate = want(only, "vmread") ? rate(secs, run_steady, &jr) : 0;
	if (want(only, "vmread") && (res[0].alt[0].kind != OUT_VALUE || res[0].alt[0].value != rip))
		return bench_fail("VMREAD GUEST_RIP");
	uint64_t e0 = evals(m);
	run_steady(&jtrip);
	uint64_t trip_evals = evals(m) - e0;
	double trip_steady = want(only, "trip") ? rate(secs, run_steady, &jtrip) : 0;
	if (want(only, "trip") && !exited(&res[1], 10))
		return bench_fail("VMRESUME to CPUID");

	const struct rop relaunch[] = {
		{ .op = OP_VMCLEAR, .a = { TM_VMCS0 } }, { .op = OP_VMPTRLD, .a = { TM_VMCS0 } },
		{ .op = OP_VMLAUNCH },
	};
	struct steady_job jl = { m, relaunch, 3, res };
	run_model(&je);   /* leaves a valid VMCS0 behind */
	double steady = want(only, "steady") ? rate(secs, run_steady, &jl) : 0;
	if (want(only, "steady") && !exited(&res[2], 18))
		return bench_fail("steady VMLAUNCH");
	double entry = want(only, "entry") ? rate(secs, run_model, &je) : 0;
	if (want(only, "entry") && !exited(&res[ce.nops - 1], 18))
		return bench_fail("VMLAUNCH after setup vmcs64");
	double trip_reset = want(only, "trip-reset") ?
		rate(secs, run_model, &jc) * count_ops(&cc, OP_VMLAUNCH, OP_VMRESUME) : 0;
	if (want(only, "trip-reset") && !exited(&res[cc.nops - 1], 10))
		return bench_fail("the 8-CPUID case");

	printf("profile %s\n", caps->name);
	line("peer: memcpy of a 4 KiB VMCS page", copy, 0);
	line("model VMREAD, steady", vmread_rate, copy);
	line("VM entries, steady (VMCLEAR+VMPTRLD+VMLAUNCH, VMCALL exit)", steady, copy);
	line("VM entries, whole case (reset+setup vmcs64+VMLAUNCH)", entry, copy);
	printf("  (ops per case, mostly VMWRITEs of the template: %u)\n", (unsigned)ce.nops);
	line("entry+CPUID exit+VMRESUME trips, steady (VMWRITE RIP+VMRESUME)", trip_steady, copy);
	printf("  (rules evaluated per round trip: %llu)\n", (unsigned long long)trip_evals);
	line("entry+CPUID exit+VMRESUME trips, 8 per case from reset", trip_reset, copy);
	refvmm_destroy(m);
	rcase_free(&ce);
	rcase_free(&cc);
	rcase_free(&ct);
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
			       "  --only copy|vmread|steady|entry|trip|trip-reset runs that section alone (for\n"
			       "  profiling; the other figures print as 0 and bochs is skipped).\n");
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
