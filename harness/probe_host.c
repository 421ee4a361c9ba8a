/* Host-side helpers every probe backend shares: the embedded probe
 * images, and running an emulator under a timeout. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "backend_bochs.h"

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

int probe_spawn(char *const argv[], const char *out, double timeout)
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
	double end = now() + timeout;
	int st;
	for (unsigned spin = 0;; spin++) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		if (r < 0 && errno != EINTR)
			return -1;
		if (now() > end) {
			kill(-pid, SIGKILL);
			waitpid(pid, &st, 0);
			return -2;
		}
		struct timespec d = { 0, spin < 50 ? 1000000 : 5000000 };
		nanosleep(&d, NULL);
	}
}
