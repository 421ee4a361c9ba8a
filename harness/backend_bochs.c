/* Backend `bochs`: the probe kernel booted in Bochs 2.7 with a VMX CPU
 * model (shared/reference/bochs-oracle.md).  Cases go in batches, many
 * per boot; batches run in parallel.  A case that stops the probe (L2
 * never exits, triple fault, Bochs panic) costs only itself: it becomes
 * CS_FAULT and the rest of its batch runs in a new boot. */
/* Messages and paths are cut to their buffers on purpose. */
#pragma GCC diagnostic ignored "-Wformat-truncation"
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "backend_bochs.h"
#include "probe_proto.h"
#include "runner.h"

#define BATCH_CASES 400

static const char *model_of(const struct backend_opts *o)
{
	return o && o->model && *o->model ? o->model : BOCHS_DEFAULT_MODEL;
}

static int on_path(const char *prog)
{
	const char *path = getenv("PATH");
	char buf[4096];
	while (path && *path) {
		size_t n = strcspn(path, ":");
		snprintf(buf, sizeof buf, "%.*s/%s", (int)n, path, prog);
		if (access(buf, X_OK) == 0)
			return 1;
		path += n + (path[n] == ':');
	}
	return 0;
}

static int bochs_available(const struct backend_opts *o, char *why, size_t len)
{
	char prof[80];
	const char *share = getenv("BXSHARE") ? getenv("BXSHARE") : "/usr/share/bochs";
	char vga[4096];
	snprintf(vga, sizeof vga, "%s/VGABIOS-lgpl-latest", share);
	if (!on_path("bochs")) {
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

/* ---- one boot ---- */

struct batch {
	char model[64];
	const struct rcase **cases;   /* in this batch */
	struct case_result **res;
	size_t n;
};

struct run {
	const struct backend_opts *o;
	char dir[4096];               /* per-run temp dir with probe.bin, rom.bin */
	struct batch *b;
	size_t nb, next;
	int slots;
	pthread_mutex_t lock;
};

static int write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static int write_bochsrc(const char *dir, const char *rundir, const char *model, int verbose)
{
	char path[4600], text[8192];
	snprintf(path, sizeof path, "%s/bochsrc", dir);
	snprintf(text, sizeof text,
		 "megs: %d\n"
		 "romimage: file=%s/rom.bin, address=0xffff0000\n"
		 "optramimage1: file=%s/probe.bin, address=0x%x\n"
		 "optramimage2: file=%s/batch.bin, address=0x%x\n"
		 "cpu: model=%s, ignore_bad_msrs=0, reset_on_triple_fault=0\n"
		 "display_library: rfb, options=\"timeout=0\"\n"
		 "port_e9_hack: enabled=1\n"
		 "sound: waveoutdrv=dummy, waveindrv=dummy, midioutdrv=dummy\n"
		 "log: %s/bochs.log\n"
		 "panic: action=fatal\n"
		 "error: action=%s\n"
		 "info: action=ignore\n"
		 "debug: action=ignore\n",
		 (PROBE_BATCH_ADDR + PROBE_BATCH_MAX) >> 20, rundir, rundir, TM_PROBE_BASE, dir,
		 PROBE_BATCH_ADDR, model, dir, verbose ? "report" : "ignore");
	if (write_text(path, text))
		return -1;
	snprintf(path, sizeof path, "%s/rc", dir);
	return write_text(path, "c\nquit\n");
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 16, n = 0, k;
	char *buf = malloc(cap + 1);
	while (buf && (k = fread(buf + n, 1, cap - n, f)) > 0) {
		n += k;
		if (n == cap) {
			char *nb = realloc(buf, 2 * cap + 1);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
	fclose(f);
	if (buf)
		buf[n] = 0;
	*len = n;
	return buf;
}

/* The last line of Bochs's log that says why it stopped, for messages. */
static void log_reason(const char *dir, char *out, size_t len)
{
	char path[4200];
	size_t n;
	snprintf(path, sizeof path, "%s/bochs.log", dir);
	char *log = read_all(path, &n);
	const char *hit = NULL;
	for (const char *p = log; p && (p = strstr(p, ">>PANIC<<")); p++)
		hit = p;
	if (hit)
		snprintf(out, len, "; bochs: %.*s", (int)strcspn(hit, "\n"), hit);
	free(log);
}

/* Boots once over the cases of b still undecided (status -1).  Returns
 * how many it decided. */
static size_t boot_once(struct run *r, struct batch *b, const char *dir, double timeout,
			struct probe_report *rep)
{
	const struct rcase **todo = calloc(b->n, sizeof *todo);
	size_t *map = calloc(b->n, sizeof *map), m = 0, blen = 0, decided = 0;
	struct case_result *tmp = calloc(b->n, sizeof *tmp);
	char path[4200], why[256];
	if (!todo || !map || !tmp)
		goto out;
	for (size_t k = 0; k < b->n; k++)
		if (b->res[k]->status == -1) {
			map[m] = k;
			todo[m] = b->cases[k];
			tmp[m].status = -1;
			m++;
		}
	uint8_t *batch = probe_batch_encode(todo, NULL, m, 0, &blen, why, sizeof why);
	snprintf(path, sizeof path, "%s/batch.bin", dir);
	FILE *f = batch ? fopen(path, "wb") : NULL;
	if (!f || fwrite(batch, 1, blen, f) != blen || fclose(f)) {
		if (f)
			fclose(f);
		free(batch);
		for (size_t k = 0; k < m; k++) {
			b->res[map[k]]->status = CS_ERROR;
			snprintf(b->res[map[k]]->msg, sizeof b->res[map[k]]->msg, "cannot write the batch: %s",
				 batch ? strerror(errno) : why);
		}
		decided = m;
		goto out;
	}
	free(batch);
	char rc[4300], cfg[4300], outp[4300];
	snprintf(cfg, sizeof cfg, "%s/bochsrc", dir);
	snprintf(rc, sizeof rc, "%s/rc", dir);
	snprintf(outp, sizeof outp, "%s/out.txt", dir);
	char *argv[] = { "bochs", "-q", "-f", cfg, "-rc", rc, NULL };
	int st = probe_spawn(argv, outp, timeout);
	size_t olen = 0;
	char *out = read_all(outp, &olen);
	decided = probe_stream_parse(out ? out : "", olen, todo, m, tmp, rep);
	free(out);
	char extra[200] = "";
	log_reason(dir, extra, sizeof extra);
	for (size_t k = 0; k < m; k++) {
		struct case_result *d = b->res[map[k]];
		if (tmp[k].status == -1)
			continue;
		free(d->res);
		*d = tmp[k];
		snprintf(d->profile, sizeof d->profile, "bochs-%s", b->model);
		if (d->status == CS_FAULT)
			snprintf(d->msg, sizeof d->msg, "the probe stopped in this case (%s)%s",
				 st == -2 ? "timeout: L2 never exited or the probe hung" : "Bochs ended",
				 extra);
		tmp[k].res = NULL;
	}
	if (!decided) {
		/* nothing even began: Bochs did not start or the probe did not boot */
		for (size_t k = 0; k < m; k++) {
			struct case_result *d = b->res[map[k]];
			d->status = CS_FAULT;
			snprintf(d->msg, sizeof d->msg, "bochs %s before the first case%s%s%s",
				 st == -2 ? "timed out" : st == -1 ? "could not start" : "ended",
				 rep->error[0] ? ": " : "", rep->error, extra);
		}
		decided = m;
	}
	(void)r;
out:
	free(todo);
	free(map);
	free(tmp);
	return decided;
}

static void run_batch(struct run *r, struct batch *b, int slot)
{
	char dir[4200];
	struct probe_report rep;
	snprintf(dir, sizeof dir, "%s/job%d", r->dir, slot);
	mkdir(dir, 0700);
	if (write_bochsrc(dir, r->dir, b->model, r->o->verbose)) {
		for (size_t k = 0; k < b->n; k++) {
			b->res[k]->status = CS_ERROR;
			snprintf(b->res[k]->msg, sizeof b->res[k]->msg, "cannot write %s/bochsrc", dir);
		}
		return;
	}
	double base = r->o->timeout > 0 ? r->o->timeout : 20.0;
	size_t left = b->n;
	while (left) {
		double timeout = base + 0.01 * (double)left;
		size_t d = boot_once(r, b, dir, timeout, &rep);
		left = d > left ? 0 : left - d;
	}
}

static void *worker(void *arg)
{
	struct run *r = arg;
	pthread_mutex_lock(&r->lock);
	int slot = r->slots++;
	pthread_mutex_unlock(&r->lock);
	for (;;) {
		pthread_mutex_lock(&r->lock);
		size_t i = r->next < r->nb ? r->next++ : r->nb;
		pthread_mutex_unlock(&r->lock);
		if (i == r->nb)
			return NULL;
		run_batch(r, &r->b[i], slot);
	}
}

/* Which model a case runs on; NULL (and the case decided) when none. */
static const char *case_model(const struct backend_opts *o, const struct rcase *c, struct case_result *res)
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

static int add_batches(struct run *r, const struct backend_opts *o, const struct rcase *const *cases,
		       size_t n, struct case_result *results, size_t per)
{
	const char **models = calloc(n ? n : 1, sizeof *models);
	r->b = calloc(n ? n : 1, sizeof *r->b);
	if (!models || !r->b) {
		free(models);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		memset(&results[i], 0, sizeof results[i]);
		results[i].status = -1;
		models[i] = case_model(o, cases[i], &results[i]);
	}
	/* group by model, in order, `per` cases a batch */
	for (size_t i = 0; i < n; i++) {
		if (!models[i])
			continue;
		struct batch *b = NULL;
		for (size_t k = r->nb; k-- > 0;)
			if (!strcmp(r->b[k].model, models[i]) && r->b[k].n < per) {
				b = &r->b[k];
				break;
			}
		if (!b) {
			b = &r->b[r->nb++];
			snprintf(b->model, sizeof b->model, "%s", models[i]);
			b->cases = calloc(per, sizeof *b->cases);
			b->res = calloc(per, sizeof *b->res);
			if (!b->cases || !b->res) {
				free(models);
				return -1;
			}
		}
		b->cases[b->n] = cases[i];
		b->res[b->n++] = &results[i];
	}
	free(models);
	return 0;
}

static int bochs_run(const struct backend_opts *o, const struct rcase *const *cases, size_t n,
		     struct case_result *results)
{
	struct run r = { .o = o };
	char why[300];
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	int jobs = o->jobs > 0 ? o->jobs : cores > 0 ? (int)cores : 1;
	size_t per = n / (size_t)jobs + 1;
	if (per > BATCH_CASES)
		per = BATCH_CASES;
	pthread_mutex_init(&r.lock, NULL);
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(r.dir, sizeof r.dir, "%s/nestvmx-bochs-XXXXXX", tmp);
	int rc = 0;
	if (!mkdtemp(r.dir) || probe_images_write(r.dir, why, sizeof why) || add_batches(&r, o, cases, n, results, per)) {
		for (size_t i = 0; i < n; i++)
			if (results[i].status == -1) {
				results[i].status = CS_ERROR;
				snprintf(results[i].msg, sizeof results[i].msg, "bochs backend: %s",
					 r.dir[0] ? why : "cannot create a temp dir");
			}
		rc = EXIT_BACKEND;
		goto out;
	}
	pthread_t th[64];
	int nth = jobs < 64 ? jobs : 64;
	if ((size_t)nth > r.nb)
		nth = (int)r.nb;
	int started = 0;
	for (int t = 0; t < nth; t++)
		started += pthread_create(&th[started], NULL, worker, &r) == 0;
	if (!started)
		worker(&r);
	for (int t = 0; t < started; t++)
		pthread_join(th[t], NULL);
out:
	for (size_t k = 0; k < r.nb; k++) {
		free(r.b[k].cases);
		free(r.b[k].res);
	}
	free(r.b);
	if (!o->verbose && r.dir[0]) {
		char cmd[4200];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", r.dir);
		if (system(cmd) != 0)
			fprintf(stderr, "nestvmx: could not remove %s\n", r.dir);
	}
	pthread_mutex_destroy(&r.lock);
	return rc;
}

/* Boots the probe with an empty batch that asks only for its profile. */
int bochs_probe_profile(const struct backend_opts *o, struct vmx_caps *out, char *why, size_t len)
{
	char dir[4096], path[4200], outp[4200], cfg[4200], rc[4200];
	struct probe_report rep;
	size_t blen, olen = 0;
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(dir, sizeof dir, "%s/nestvmx-bochs-XXXXXX", tmp);
	if (!mkdtemp(dir)) {
		snprintf(why, len, "cannot create a temp dir in %s", tmp);
		return -1;
	}
	int res = -1;
	uint8_t *batch = probe_batch_encode(NULL, NULL, 0, PROBE_F_PROFILE_ONLY, &blen, why, len);
	snprintf(path, sizeof path, "%s/batch.bin", dir);
	FILE *f = batch ? fopen(path, "wb") : NULL;
	int ok = f && fwrite(batch, 1, blen, f) == blen;
	if (f)
		ok &= fclose(f) == 0;
	free(batch);
	if (!ok || probe_images_write(dir, why, len) || write_bochsrc(dir, dir, model_of(o), 0)) {
		if (!ok)
			snprintf(why, len, "cannot write %s", path);
		goto out;
	}
	snprintf(cfg, sizeof cfg, "%s/bochsrc", dir);
	snprintf(rc, sizeof rc, "%s/rc", dir);
	snprintf(outp, sizeof outp, "%s/out.txt", dir);
	char *argv[] = { "bochs", "-q", "-f", cfg, "-rc", rc, NULL };
	int st = probe_spawn(argv, outp, o->timeout > 0 ? o->timeout : 20.0);
	char *text = read_all(outp, &olen);
	probe_stream_parse(text ? text : "", olen, NULL, 0, NULL, &rep);
	free(text);
	if (!rep.have_profile) {
		snprintf(why, len, "the probe reported no profile (bochs %s)", st == -2 ? "timed out" : "ended");
		goto out;
	}
	*out = rep.caps;
	snprintf(out->name, sizeof out->name, "bochs-%s", model_of(o));
	res = 0;
out:
	{
		char cmd[4200];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "nestvmx: could not remove %s\n", dir);
	}
	return res;
}

/* The built-in profile of the model, checked once per model against what
 * the probe reports on that model (a warning on stderr when they differ:
 * the built-in table and this Bochs disagree). */
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
	if (bochs_probe_profile(o, &got, why, len) == 0) {
		for (unsigned i = 0; i < CAP_NMSR; i++) {
			if (caps_msr_present(caps, CAP_MSR_FIRST + i) != caps_msr_present(&got, CAP_MSR_FIRST + i) ||
			    caps->msr[i] != got.msr[i])
				fprintf(stderr, "nestvmx: warning: %s: MSR 0x%x is 0x%llx%s in Bochs, 0x%llx%s in the built-in profile\n",
					prof, CAP_MSR_FIRST + i, (unsigned long long)got.msr[i],
					caps_msr_present(&got, CAP_MSR_FIRST + i) ? "" : " (absent)",
					(unsigned long long)caps->msr[i],
					caps_msr_present(caps, CAP_MSR_FIRST + i) ? "" : " (absent)");
		}
	} else {
		fprintf(stderr, "nestvmx: warning: cannot verify %s against Bochs: %s\n", prof, why);
	}
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
	const struct rcase **cases = calloc(ncases, sizeof *cases);
	struct case_result *res = calloc(ncases, sizeof *res);
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
