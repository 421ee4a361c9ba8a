/* What every probe backend shares (probe_host.h): the embedded probe
 * images, running a machine under a timeout, and batched parallel boots
 * with per-case fault isolation. */
/* Messages and paths are cut to their buffers on purpose. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "probe_host.h"
#include "probe_proto.h"

/* harness/probe/blob.S; weak so that builds without it (fuzzers) link */
extern const char probe_bin_start[] __attribute__((weak)), probe_bin_end[] __attribute__((weak));
extern const char probe_rom_start[] __attribute__((weak)), probe_rom_end[] __attribute__((weak));

static int copy_file(const char *from, const char *to)
{
	char buf[65536];
	FILE *in = fopen(from, "rb"), *out = in ? fopen(to, "wb") : NULL;
	size_t n;
	int rc = in && out ? 0 : -1;
	while (rc == 0 && (n = fread(buf, 1, sizeof buf, in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			rc = -1;
	if (in)
		fclose(in);
	if (out && fclose(out))
		rc = -1;
	return rc;
}

static int write_blob(const char *path, const char *a, const char *b)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	size_t n = (size_t)(b - a);
	int rc = fwrite(a, 1, n, f) == n ? 0 : -1;
	return fclose(f) || rc ? -1 : 0;
}

int probe_images_write(const char *dir, char *why, size_t len)
{
	char p[4096], s[4096];
	const char *src = getenv("NESTVMX_PROBE_DIR");
	static const char *const names[2] = { "probe.bin", "rom.bin" };
	for (int k = 0; k < 2; k++) {
		snprintf(p, sizeof p, "%s/%s", dir, names[k]);
		int rc;
		if (src) {
			snprintf(s, sizeof s, "%s/%s", src, names[k]);
			rc = copy_file(s, p);
		} else if ((uintptr_t)probe_bin_end > (uintptr_t)probe_bin_start) {
			rc = k == 0 ? write_blob(p, probe_bin_start, probe_bin_end)
				    : write_blob(p, probe_rom_start, probe_rom_end);
		} else {
			snprintf(why, len, "this nestvmx has no probe kernel built in (set NESTVMX_PROBE_DIR)");
			return -1;
		}
		if (rc) {
			snprintf(why, len, "cannot write %s: %s", p, strerror(errno));
			return -1;
		}
	}
	return 0;
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static long file_size(const char *path)
{
	struct stat st;
	return path && stat(path, &st) == 0 ? (long)st.st_size : -1;
}

int probe_spawn(char *const argv[], const char *out, double timeout)
{
	return probe_spawn_watch(argv, out, NULL, timeout, 0);
}

int probe_spawn_watch(char *const argv[], const char *out, const char *watch, double timeout, double stall)
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		setpgid(0, 0);
		int in = open("/dev/null", O_RDONLY), o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (in < 0 || o < 0)
			_exit(127);
		dup2(in, 0);
		dup2(o, 1);
		dup2(o, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	setpgid(pid, pid);
	double t0 = now(), end = t0 + timeout, moved = t0;
	long size = -1;
	int st;
	for (unsigned spin = 0;; spin++) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		if (r < 0 && errno != EINTR)
			return -1;
		double t = now();
		if (watch && stall > 0) {
			long sz = file_size(watch);
			if (sz != size) {
				size = sz;
				moved = t;
			}
		}
		if (t > end || (watch && stall > 0 && t - moved > stall)) {
			kill(-pid, SIGKILL);
			waitpid(pid, &st, 0);
			return -2;
		}
		struct timespec d = { 0, spin < 50 ? 1000000 : 5000000 };
		nanosleep(&d, NULL);
	}
}

int probe_on_path(const char *prog)
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

char *probe_read_all(const char *path, size_t *len)
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

void probe_rmdir(const char *dir)
{
	char *argv[] = { "rm", "-rf", (char *)dir, NULL };
	if (probe_spawn(argv, "/dev/null", 60) != 0)
		fprintf(stderr, "nestvmx: could not remove %s\n", dir);
}

static int write_batch(const char *dir, const struct rcase *const *cases, size_t n, uint32_t flags,
		       char *why, size_t len)
{
	char path[PROBE_PATH_MAX];
	size_t blen;
	uint8_t *batch = probe_batch_encode(cases, NULL, n, flags, &blen, why, len);
	if (!batch)
		return -1;
	snprintf(path, sizeof path, "%s/batch.bin", dir);
	FILE *f = fopen(path, "wb");
	int ok = f && fwrite(batch, 1, blen, f) == blen;
	if (f)
		ok &= fclose(f) == 0;
	free(batch);
	if (!ok)
		snprintf(why, len, "cannot write %s: %s", path, strerror(errno));
	return ok ? 0 : -1;
}

/* Boots dir's machine once; returns the spawn status and the stream. */
static int boot(const struct probe_vm *vm, const char *dir, const char *rundir, const char *model,
		double timeout, char **text, size_t *len)
{
	char *argv[32], store[8][PROBE_PATH_MAX], out[PROBE_PATH_MAX], log[PROBE_PATH_MAX];
	snprintf(log, sizeof log, "%s/console.txt", dir);
	snprintf(out, sizeof out, "%s/%s", dir, vm->stream);
	/* a probe prints every few milliseconds; silence means a hang */
	double stall = vm->boot_seconds + (timeout < PROBE_STALL ? timeout : PROBE_STALL);
	int st = vm->command(dir, rundir, model, argv, store) ? -1 :
		 probe_spawn_watch(argv, log, out, timeout + vm->boot_seconds, stall);
	*text = probe_read_all(out, len);
	return st;
}

/* ---- batches ---- */

struct batch {
	char model[64];
	const struct rcase **cases;
	struct case_result **res;
	size_t n, bytes;
};

/* A case's size in a batch (probe_proto.h layout). */
static size_t case_size(const struct rcase *c)
{
	size_t n = sizeof(struct probe_case_hdr) + c->nops * sizeof(struct probe_op);
	for (uint32_t i = 0; i < c->nops; i++)
		if (c->ops[i].op == OP_GUEST)
			n += c->ops[i].nblock * sizeof(struct probe_op);
	return n;
}

struct run {
	const struct probe_vm *vm;
	const struct backend_opts *o;
	char dir[4096];               /* per-run temp dir with probe.bin, rom.bin */
	struct batch *b;
	size_t nb, next;
	int slots;
	pthread_mutex_t lock;
};

/* Boots once over the cases of b still undecided (status -1); returns how
 * many it decided. */
static size_t boot_once(struct run *r, struct batch *b, const char *dir, double timeout)
{
	const struct rcase **todo = calloc(b->n, sizeof *todo);
	size_t *map = calloc(b->n, sizeof *map), m = 0, decided = 0, olen = 0;
	struct case_result *tmp = calloc(b->n, sizeof *tmp);
	struct probe_report rep;
	char why[256], extra[200] = "";
	if (!todo || !map || !tmp)
		goto out;
	for (size_t k = 0; k < b->n; k++)
		if (b->res[k]->status == -1) {
			map[m] = k;
			todo[m] = b->cases[k];
			tmp[m++].status = -1;
		}
	if (write_batch(dir, todo, m, 0, why, sizeof why)) {
		for (size_t k = 0; k < m; k++) {
			b->res[map[k]]->status = CS_ERROR;
			snprintf(b->res[map[k]]->msg, sizeof b->res[map[k]]->msg, "%s: %s", r->vm->name, why);
		}
		decided = m;
		goto out;
	}
	char *text;
	int st;
	/* A Bochs whose display could not bind a port (all of 5900-5949 taken
	 * by other instances on this host) never ran: boot it again. */
	for (int attempt = 0;; attempt++) {
		st = boot(r->vm, dir, r->dir, b->model, timeout, &text, &olen);
		decided = probe_stream_parse(text ? text : "", olen, todo, m, tmp, &rep);
		free(text);
		extra[0] = 0;
		if (r->vm->why_stopped)
			r->vm->why_stopped(dir, extra, sizeof extra);
		if (decided || attempt == 8 || !strstr(extra, "could not bind"))
			break;
		usleep(250000u << (attempt < 3 ? attempt : 3));
	}
	const char *how = st == -2 ? "timeout: L2 never exited or the probe hung" :
			  st == -1 ? "could not start" : "the machine ended";
	for (size_t k = 0; k < m; k++) {
		struct case_result *d = b->res[map[k]];
		if (tmp[k].status == -1)
			continue;
		free(d->res);
		char prof[64];
		snprintf(prof, sizeof prof, "%s", d->profile);
		*d = tmp[k];
		snprintf(d->profile, sizeof d->profile, "%s", prof);
		if (d->status == CS_FAULT)
			snprintf(d->msg, sizeof d->msg, "%s: the probe stopped in this case (%s)%s",
				 r->vm->name, how, extra);
		tmp[k].res = NULL;
	}
	if (!decided) {
		/* nothing began: the machine did not start or the probe did not boot */
		for (size_t k = 0; k < m; k++) {
			struct case_result *d = b->res[map[k]];
			d->status = CS_FAULT;
			snprintf(d->msg, sizeof d->msg, "%s: %s before the first case%s%s%s", r->vm->name, how,
				 rep.error[0] ? ": " : "", rep.error, extra);
		}
		decided = m;
	}
out:
	free(todo);
	free(map);
	free(tmp);
	return decided;
}

static void run_batch(struct run *r, struct batch *b, int slot)
{
	char dir[PROBE_PATH_MAX];
	snprintf(dir, sizeof dir, "%s/job%d", r->dir, slot);
	mkdir(dir, 0700);
	if (r->vm->config(dir, r->dir, b->model, r->o->verbose)) {
		for (size_t k = 0; k < b->n; k++) {
			b->res[k]->status = CS_ERROR;
			snprintf(b->res[k]->msg, sizeof b->res[k]->msg, "cannot write the %s config in %s",
				 r->vm->name, dir);
		}
		return;
	}
	double base = r->o->timeout > 0 ? r->o->timeout : 20.0;
	size_t left = b->n;
	while (left) {
		size_t d = boot_once(r, b, dir, base + 0.01 * (double)left);
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

/* Groups the runnable cases by model, in order, `per` cases a batch. */
static int add_batches(struct run *r, const struct rcase *const *cases, size_t n,
		       struct case_result *results, size_t per)
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
		models[i] = r->vm->case_model(r->o, cases[i], &results[i]);
		const char *why = models[i] ? probe_case_unsupported(cases[i]) : NULL;
		if (why) {
			models[i] = NULL;
			results[i].status = CS_SKIPPED;
			snprintf(results[i].msg, sizeof results[i].msg, "%s: %s", r->vm->name, why);
		}
	}
	size_t max = (r->vm->max_batch ? r->vm->max_batch : PROBE_BATCH_MAX) - sizeof(struct probe_batch_hdr);
	for (size_t i = 0; i < n; i++) {
		if (!models[i])
			continue;
		size_t sz = case_size(cases[i]);
		if (sz > max) {
			results[i].status = CS_ERROR;
			snprintf(results[i].msg, sizeof results[i].msg, "%s: the case is %zu bytes encoded, "
				 "more than one boot carries (%zu)", r->vm->name, sz, max);
			continue;
		}
		struct batch *b = NULL;
		for (size_t k = r->nb; k-- > 0;)
			if (!strcmp(r->b[k].model, models[i]) && r->b[k].n < per && r->b[k].bytes + sz <= max) {
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
		b->bytes += sz;
		b->res[b->n++] = &results[i];
	}
	free(models);
	return 0;
}

#define BATCH_CASES 400

int probe_vm_run(const struct probe_vm *vm, const struct backend_opts *o,
		 const struct rcase *const *cases, size_t n, struct case_result *results)
{
	struct run r = { .vm = vm, .o = o };
	char why[300] = "cannot create a temp dir";
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	int jobs = o->jobs > 0 ? o->jobs : cores > 0 ? (int)cores : 1;
	size_t per = n / (size_t)jobs + 1;
	if (per > BATCH_CASES)
		per = BATCH_CASES;
	pthread_mutex_init(&r.lock, NULL);
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(r.dir, sizeof r.dir, "%s/nestvmx-%s-XXXXXX", tmp, vm->name);
	int rc = 0, made = mkdtemp(r.dir) != NULL;
	if (!made || probe_images_write(r.dir, why, sizeof why) || add_batches(&r, cases, n, results, per)) {
		for (size_t i = 0; i < n; i++)
			if (results[i].status == -1 || !made) {
				results[i].status = CS_ERROR;
				snprintf(results[i].msg, sizeof results[i].msg, "%s backend: %s", vm->name, why);
			}
		rc = EXIT_BACKEND;
		goto out;
	}
	pthread_t th[64];
	int nth = jobs < 64 ? jobs : 64, started = 0;
	if ((size_t)nth > r.nb)
		nth = (int)r.nb;
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
	if (made && !o->verbose)
		probe_rmdir(r.dir);
	else if (made)
		fprintf(stderr, "nestvmx: %s work files kept in %s\n", vm->name, r.dir);
	pthread_mutex_destroy(&r.lock);
	return rc;
}

int probe_vm_profile(const struct probe_vm *vm, const struct backend_opts *o, const char *model,
		     struct vmx_caps *out, char *why, size_t len)
{
	char dir[4096];
	struct probe_report rep;
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(dir, sizeof dir, "%s/nestvmx-%s-XXXXXX", tmp, vm->name);
	if (!mkdtemp(dir)) {
		snprintf(why, len, "cannot create a temp dir in %s", tmp);
		return -1;
	}
	int res = -1;
	if (write_batch(dir, NULL, 0, PROBE_F_PROFILE_ONLY, why, len) || probe_images_write(dir, why, len))
		goto out;
	if (vm->config(dir, dir, model, 0)) {
		snprintf(why, len, "cannot write the %s config in %s", vm->name, dir);
		goto out;
	}
	char *text;
	size_t olen = 0;
	int st = boot(vm, dir, dir, model, o->timeout > 0 ? o->timeout : 20.0, &text, &olen);
	probe_stream_parse(text ? text : "", olen, NULL, 0, NULL, &rep);
	free(text);
	if (!rep.have_profile) {
		snprintf(why, len, "the probe reported no profile (%s %s%s%s)", vm->name,
			 st == -2 ? "timed out" : st == -1 ? "could not start" : "ended",
			 rep.error[0] ? ": " : "", rep.error);
		goto out;
	}
	*out = rep.caps;
	res = 0;
out:
	probe_rmdir(dir);
	return res;
}
