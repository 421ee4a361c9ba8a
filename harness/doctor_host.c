/* Reading facts about the host: /proc/cpuinfo, the msr driver, PATH.
 * Every path goes through host_path() so a fabricated root can stand in
 * for the machine. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "doctor.h"

const char *host_path(char *buf, size_t len, const char *root, const char *path)
{
	if (!root || !root[0] || !strcmp(root, "/"))
		root = "";
	size_t rl = strlen(root);
	while (rl > 0 && root[rl - 1] == '/')
		rl--;
	snprintf(buf, len, "%.*s%s", (int)rl, root, path);
	return buf;
}

/* "key<TAB...>: value" -> value, when line starts with key. */
static const char *field(const char *line, const char *key)
{
	size_t n = strlen(key);
	if (strncmp(line, key, n) != 0)
		return NULL;
	line += n;
	while (*line == ' ' || *line == '\t')
		line++;
	if (*line != ':')
		return NULL;
	line++;
	while (*line == ' ')
		line++;
	return line;
}

static bool has_flag(const char *flags, const char *flag)
{
	size_t n = strlen(flag);
	for (const char *p = flags; (p = strstr(p, flag)) != NULL; p += n)
		if ((p == flags || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0' || p[n] == '\n'))
			return true;
	return false;
}

static void copy_value(char *dst, size_t len, const char *v)
{
	snprintf(dst, len, "%s", v);
	dst[strcspn(dst, "\n")] = '\0';
}

int host_cpuinfo(const char *root, struct cpuinfo *ci)
{
	char path[4096], line[8192];
	memset(ci, 0, sizeof *ci);
	FILE *f = fopen(host_path(path, sizeof path, root, "/proc/cpuinfo"), "r");
	if (!f)
		return -errno;
	bool seen = false;
	while (fgets(line, sizeof line, f)) {
		const char *v;
		if (line[0] == '\n' && seen)
			break;   /* end of the first processor */
		seen = true;
		if ((v = field(line, "vendor_id")))
			copy_value(ci->vendor, sizeof ci->vendor, v);
		else if ((v = field(line, "model name")))
			copy_value(ci->model, sizeof ci->model, v);
		else if ((v = field(line, "cpu family")))
			ci->family = (unsigned)strtoul(v, NULL, 10);
		else if ((v = field(line, "model")))
			ci->model_no = (unsigned)strtoul(v, NULL, 10);
		else if ((v = field(line, "stepping")))
			ci->stepping = (unsigned)strtoul(v, NULL, 10);
		else if ((v = field(line, "flags"))) {
			ci->vmx = has_flag(v, "vmx");
			ci->svm = has_flag(v, "svm");
			ci->hypervisor = has_flag(v, "hypervisor");
		}
	}
	fclose(f);
	return ci->vendor[0] ? 0 : -ENODATA;
}

int host_rdmsr(const char *root, int cpu, uint32_t msr, uint64_t *val)
{
	char rel[64], path[4096];
	snprintf(rel, sizeof rel, "/dev/cpu/%d/msr", cpu);
	int fd = open(host_path(path, sizeof path, root, rel), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = pread(fd, val, sizeof *val, (off_t)msr);
	int err = n == (ssize_t)sizeof *val ? 0 : n < 0 ? -errno : -EIO;
	close(fd);
	return err;
}

bool host_which(const char *dirs, const char *name, char *out, size_t len)
{
	if (!dirs)
		return false;
	for (const char *d = dirs; ; ) {
		size_t n = strcspn(d, ":");
		struct stat st;
		snprintf(out, len, "%.*s/%s", (int)(n ? n : 1), n ? d : ".", name);
		if (stat(out, &st) == 0 && S_ISREG(st.st_mode) && access(out, X_OK) == 0)
			return true;
		if (!d[n])
			break;
		d += n + 1;
	}
	out[0] = '\0';
	return false;
}
