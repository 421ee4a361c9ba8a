/* `nestvmx doctor`: host readiness for each backend, in the spirit of
 * Hyper-V's nested-virtualization status script.  It reports and never
 * fails: exit 0 whatever it finds (2 only for a bad command line), so CI
 * can log it unconditionally; the verdicts are in the output and --json. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "backend.h"
#include "cmd.h"
#include "doctor.h"

#define FEATURE_CONTROL_LOCK        (1u << 0)   /* SDM 23.7 (Enabling and Entering VMX Operation) */
#define FEATURE_CONTROL_VMX_OUTSIDE (1u << 2)

#define FIX_NESTED  "modprobe -r kvm_intel && modprobe kvm_intel nested=1"
#define FIX_PERSIST "echo \"options kvm_intel nested=1\" > /etc/modprobe.d/kvm.conf"
#define FIX_BOCHS   "apt-get install bochs bochsbios vgabios bochs-term"
#define FIX_QEMU    "apt-get install qemu-system-x86"
#define MIN_MEM_KB  (512u * 1024)   /* a Bochs instance plus the harness, with room */

static const struct { const char *key, *title; } items[DI_COUNT] = {
#define X(id, key, title) [DI_##id] = { key, title },
	DOCTOR_ITEMS(X)
#undef X
};
static const char *const backends[DB_COUNT] = {
#define X(id, name) [DB_##id] = name,
	DOCTOR_BACKENDS(X)
#undef X
};

const char *doctor_item_key(enum doctor_item_id i) { return (unsigned)i < DI_COUNT ? items[i].key : NULL; }
const char *doctor_item_title(enum doctor_item_id i) { return (unsigned)i < DI_COUNT ? items[i].title : NULL; }
const char *doctor_backend_name(enum doctor_backend b) { return (unsigned)b < DB_COUNT ? backends[b] : NULL; }

const char *doctor_status_name(enum doctor_status s)
{
	static const char *const n[] = { [DS_OK] = "ok", [DS_WARN] = "warn", [DS_FAIL] = "fail", [DS_SKIP] = "skip" };
	return (unsigned)s < 4 ? n[s] : "?";
}

__attribute__((format(printf, 4, 5)))
static void set(struct doctor_report *r, enum doctor_item_id i, enum doctor_status st, const char *fmt, ...)
{
	va_list ap;
	r->item[i].st = st;
	va_start(ap, fmt);
	vsnprintf(r->item[i].detail, sizeof r->item[i].detail, fmt, ap);
	va_end(ap);
}

static void fix(struct doctor_report *r, enum doctor_item_id i, const char *a, const char *b)
{
	snprintf(r->item[i].fix[0], sizeof r->item[i].fix[0], "%s", a ? a : "");
	snprintf(r->item[i].fix[1], sizeof r->item[i].fix[1], "%s", b ? b : "");
}

/* First line of ROOT+path, trimmed; false if unreadable. */
static bool read_line(const char *root, const char *path, char *buf, size_t len)
{
	char p[4096];
	FILE *f = fopen(host_path(p, sizeof p, root, path), "r");
	if (!f)
		return false;
	bool ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	if (ok)
		buf[strcspn(buf, "\r\n")] = '\0';
	return ok;
}

static bool exists(const char *root, const char *path)
{
	char p[4096];
	struct stat st;
	return stat(host_path(p, sizeof p, root, path), &st) == 0;
}

static void check_cpu(const char *root, struct doctor_report *r)
{
	int err = host_cpuinfo(root, &r->cpu);
	r->cpuinfo_ok = err == 0;
	if (err) {
		set(r, DI_CPU_VENDOR, DS_FAIL, "cannot read /proc/cpuinfo: %s", strerror(-err));
		set(r, DI_CPU_VMX, DS_SKIP, "unknown");
		return;
	}
	r->intel = !strcmp(r->cpu.vendor, "GenuineIntel");
	r->vmx = r->intel && r->cpu.vmx;
	set(r, DI_CPU_VENDOR, r->intel ? DS_OK : DS_FAIL, "%s (%s)%s", r->cpu.vendor, r->cpu.model,
	    r->intel ? "" : ": VT-x exists only on Intel CPUs; the kvm and metal backends need one");
	if (!r->intel)
		set(r, DI_CPU_VMX, DS_FAIL, "VT-x absent: %s CPU%s", r->cpu.vendor,
		    r->cpu.svm ? " (it has AMD SVM, which nestvmx does not test)" : "");
	else if (r->cpu.vmx)
		set(r, DI_CPU_VMX, DS_OK, "vmx flag present%s", r->cpu.hypervisor ? " (running in a VM)" : "");
	else {
		set(r, DI_CPU_VMX, DS_FAIL, "no vmx flag: VT-x disabled in firmware%s",
		    r->cpu.hypervisor ? ", or this VM's host does not expose nested VT-x" : "");
		fix(r, DI_CPU_VMX, r->cpu.hypervisor ? "on the L0 host: " FIX_NESTED " (and give this VM -cpu host)"
						      : "enable Intel Virtualization Technology (VT-x) in the firmware setup", NULL);
	}
}

/* IA32_FEATURE_CONTROL: locked with VMX-outside-SMX clear means firmware
 * turned VT-x off until the next reset (SDM 23.7). */
static void check_feature_control(const char *root, struct doctor_report *r)
{
	uint64_t fc;
	if (!r->vmx) {
		set(r, DI_FEATURE_CONTROL, DS_SKIP, "no VT-x");
		return;
	}
	int err = host_rdmsr(root, 0, 0x3a, &fc);
	if (err) {
		set(r, DI_FEATURE_CONTROL, DS_WARN, "not readable through /dev/cpu/0/msr (%s)", strerror(-err));
		fix(r, DI_FEATURE_CONTROL, err == -ENOENT ? "modprobe msr && sudo nestvmx doctor"
							   : "sudo nestvmx doctor", NULL);
	} else if ((fc & FEATURE_CONTROL_LOCK) && !(fc & FEATURE_CONTROL_VMX_OUTSIDE)) {
		set(r, DI_FEATURE_CONTROL, DS_FAIL, "0x%llx: locked with VMX disabled by firmware",
		    (unsigned long long)fc);
		fix(r, DI_FEATURE_CONTROL, "enable Intel Virtualization Technology (VT-x) in the firmware setup, then power-cycle", NULL);
	} else {
		set(r, DI_FEATURE_CONTROL, DS_OK, "0x%llx: %s", (unsigned long long)fc,
		    fc & FEATURE_CONTROL_LOCK ? "locked, VMX enabled" : "unlocked (kvm_intel enables it)");
	}
}

/* A kvm_intel boolean parameter: Y/1 on, N/0 off. */
static void check_param(const char *root, struct doctor_report *r, enum doctor_item_id i,
			const char *param, const char *fix_cmd, const char *fix2, enum doctor_status off)
{
	char rel[128], v[16];
	snprintf(rel, sizeof rel, "/sys/module/kvm_intel/parameters/%s", param);
	if (r->item[DI_KVM_INTEL].st != DS_OK) {
		set(r, i, DS_SKIP, "kvm_intel not loaded");
		return;
	}
	if (!read_line(root, rel, v, sizeof v)) {
		set(r, i, off, "%s unreadable", rel);
		fix(r, i, fix_cmd, fix2);
	} else if (!strcmp(v, "Y") || !strcmp(v, "1")) {
		set(r, i, DS_OK, "%s=%s", param, v);
	} else {
		set(r, i, off, "%s=%s", param, v);
		fix(r, i, fix_cmd, fix2);
	}
}

static void check_kvm(const char *root, struct doctor_report *r)
{
	if (!r->vmx) {
		for (int i = DI_KVM_INTEL; i <= DI_KVM_UG; i++)
			set(r, (enum doctor_item_id)i, DS_SKIP, "no VT-x");
	} else {
		if (exists(root, "/sys/module/kvm_intel"))
			set(r, DI_KVM_INTEL, DS_OK, "loaded");
		else {
			set(r, DI_KVM_INTEL, DS_FAIL, "not loaded");
			fix(r, DI_KVM_INTEL, "modprobe kvm_intel nested=1", FIX_PERSIST);
		}
		check_param(root, r, DI_KVM_NESTED, "nested", FIX_NESTED, FIX_PERSIST, DS_FAIL);
		check_param(root, r, DI_KVM_EPT, "ept",
			    "modprobe -r kvm_intel && modprobe kvm_intel nested=1 ept=1", NULL, DS_WARN);
		check_param(root, r, DI_KVM_UG, "unrestricted_guest",
			    "modprobe -r kvm_intel && modprobe kvm_intel nested=1 unrestricted_guest=1", NULL, DS_WARN);
	}
	char p[4096];
	struct stat st;
	if (stat(host_path(p, sizeof p, root, "/dev/kvm"), &st) != 0) {
		set(r, DI_DEV_KVM, r->vmx ? DS_FAIL : DS_SKIP, "/dev/kvm absent");
		if (r->vmx)
			fix(r, DI_DEV_KVM, "modprobe kvm_intel nested=1", NULL);
	} else if (access(p, R_OK | W_OK) != 0) {
		set(r, DI_DEV_KVM, r->vmx ? DS_FAIL : DS_SKIP, "/dev/kvm mode %04o, not accessible to this user",
		    (unsigned)(st.st_mode & 07777));
		fix(r, DI_DEV_KVM, "usermod -aG kvm $USER   # then log in again", NULL);
	} else {
		set(r, DI_DEV_KVM, r->vmx ? DS_OK : DS_SKIP, "/dev/kvm mode %04o, accessible%s",
		    (unsigned)(st.st_mode & 07777), r->vmx ? "" : " (but no VT-x to use through it)");
	}
}

static void check_memory(const char *root, struct doctor_report *r)
{
	char p[4096], line[256];
	unsigned long long total = 0, avail = 0;
	FILE *f = fopen(host_path(p, sizeof p, root, "/proc/meminfo"), "r");
	if (!f) {
		set(r, DI_MEMORY, DS_WARN, "cannot read /proc/meminfo");
		return;
	}
	while (fgets(line, sizeof line, f)) {
		sscanf(line, "MemTotal: %llu kB", &total);
		sscanf(line, "MemAvailable: %llu kB", &avail);
	}
	fclose(f);
	set(r, DI_MEMORY, avail >= MIN_MEM_KB ? DS_OK : DS_WARN, "%llu MiB total, %llu MiB available%s",
	    total / 1024, avail / 1024, avail >= MIN_MEM_KB ? "" : " (under 512 MiB: run fewer jobs)");
}

static void check_tools(const char *root, const char *dirs, struct doctor_report *r)
{
	char path[4096];
	if (host_which(dirs, "bochs", path, sizeof path))
		set(r, DI_BOCHS, DS_OK, "%s", path);
	else {
		set(r, DI_BOCHS, DS_FAIL, "bochs not found on PATH");
		fix(r, DI_BOCHS, FIX_BOCHS, NULL);
	}
	if (exists(root, "/usr/share/bochs/BIOS-bochs-latest"))
		set(r, DI_BOCHS_BIOS, DS_OK, "present");
	else {
		set(r, DI_BOCHS_BIOS, DS_WARN, "missing");
		fix(r, DI_BOCHS_BIOS, FIX_BOCHS, NULL);
	}
	if (host_which(dirs, "qemu-system-x86_64", path, sizeof path))
		set(r, DI_QEMU, DS_OK, "%s", path);
	else {
		set(r, DI_QEMU, r->vmx ? DS_FAIL : DS_WARN, "qemu-system-x86_64 not found on PATH%s",
		    r->vmx ? "" : " (only the kvm backend uses it)");
		fix(r, DI_QEMU, FIX_QEMU, NULL);
	}
}

static void verdict(struct doctor_report *r, enum doctor_backend b, bool ok, const char *why)
{
	r->can_run[b] = ok;
	snprintf(r->why[b], sizeof r->why[b], "%s", why);
}

/* Which backends can run, from the items above. */
static void decide(struct doctor_report *r)
{
	const struct doctor_item *it = r->item;
	verdict(r, DB_REF, true, "pure software");
	verdict(r, DB_NESTED, false, "not built yet: nested/ has no L0 (the backend refuses)");
	verdict(r, DB_BOCHS, it[DI_BOCHS].st == DS_OK,
		it[DI_BOCHS].st == DS_OK ? "Bochs installed" : "Bochs not installed: " FIX_BOCHS);
	const char *kvm_why =
		!r->intel ? "needs an Intel CPU with VT-x (this host has none)" :
		!r->vmx ? "VT-x not reported by the CPU" :
		it[DI_FEATURE_CONTROL].st == DS_FAIL ? "VT-x disabled by firmware" :
		it[DI_KVM_INTEL].st != DS_OK ? "kvm_intel not loaded" :
		it[DI_KVM_NESTED].st != DS_OK ? "kvm_intel nested is off" :
		it[DI_DEV_KVM].st != DS_OK ? "/dev/kvm missing or not accessible" :
		it[DI_QEMU].st != DS_OK ? "qemu-system-x86_64 not installed" : NULL;
	verdict(r, DB_KVM, kvm_why == NULL, kvm_why ? kvm_why : "nested VT-x through KVM and QEMU");
	verdict(r, DB_METAL, false, r->vmx ? "needs this Intel host booted from our image (harness/probe)"
					   : "needs an Intel host booted from our image (harness/probe)");
}

void doctor_check(const char *root, const char *path_dirs, struct doctor_report *r)
{
	memset(r, 0, sizeof *r);
	check_cpu(root, r);
	check_feature_control(root, r);
	check_kvm(root, r);
	check_memory(root, r);
	check_tools(root, path_dirs, r);
	decide(r);
}

/* ---- output ---- */

void doctor_print_text(FILE *f, const struct doctor_report *r)
{
	if (r->cpuinfo_ok && !r->vmx)
		fprintf(f, "VT-x is absent on this host: %s CPU (%s)%s.\n\n", r->cpu.vendor, r->cpu.model,
			r->intel ? " without the vmx flag" : ", not Intel");
	for (int i = 0; i < DI_COUNT; i++) {
		const struct doctor_item *it = &r->item[i];
		fprintf(f, "[%-4s] %-48s %s\n", doctor_status_name(it->st), items[i].title, it->detail);
		for (int k = 0; k < 2; k++)
			if (it->fix[k][0])
				fprintf(f, "         fix: %s\n", it->fix[k]);
	}
	fprintf(f, "\nbackends:\n");
	for (int b = 0; b < DB_COUNT; b++)
		fprintf(f, "  %-7s %-7s %s\n", backends[b], r->can_run[b] ? "yes" : "no", r->why[b]);
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

void doctor_print_json(FILE *f, const struct doctor_report *r)
{
	fputs("{\"vendor\": ", f);
	json_str(f, r->cpu.vendor);
	fprintf(f, ", \"vtx\": %s, \"checks\": [", r->vmx ? "true" : "false");
	for (int i = 0; i < DI_COUNT; i++) {
		const struct doctor_item *it = &r->item[i];
		fprintf(f, "%s\n  {\"id\": \"%s\", \"status\": \"%s\", \"detail\": ", i ? "," : "",
			items[i].key, doctor_status_name(it->st));
		json_str(f, it->detail);
		fputs(", \"fix\": [", f);
		for (int k = 0, n = 0; k < 2; k++)
			if (it->fix[k][0]) {
				fputs(n++ ? ", " : "", f);
				json_str(f, it->fix[k]);
			}
		fputs("]}", f);
	}
	fputs("],\n \"backends\": {", f);
	for (int b = 0; b < DB_COUNT; b++) {
		fprintf(f, "%s\n  \"%s\": {\"can_run\": %s, \"why\": ", b ? "," : "", backends[b],
			r->can_run[b] ? "true" : "false");
		json_str(f, r->why[b]);
		fputc('}', f);
	}
	fputs("}}\n", f);
}

/* ---- the command ---- */

static int usage(FILE *f)
{
	fprintf(f,
		"usage: nestvmx doctor [--json] [--root DIR] [--path DIRS]\n"
		"Is this host ready for each backend?  Checks the CPU (vendor, VT-x, firmware\n"
		"enable), kvm_intel (loaded, nested, ept, unrestricted_guest), /dev/kvm,\n"
		"memory, Bochs and QEMU, prints the exact command that fixes each failed\n"
		"item, and which backends (ref, nested, bochs, kvm, metal) can run here.\n"
		"Always exits 0 (it reports; it does not fail), 2 on a bad command line.\n"
		"  --json        machine-readable output\n"
		"  --root DIR    read /proc, /sys, /dev and /usr under DIR (fabricated trees)\n"
		"  --path DIRS   colon-separated directories to search instead of $PATH\n");
	return f == stdout ? EXIT_OK : EXIT_USAGE;
}

static int doctor_run(int argc, char **argv)
{
	bool json = false;
	const char *root = "", *dirs = getenv("PATH");
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return usage(stdout);
		else if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!strcmp(argv[i], "--root") && i + 1 < argc)
			root = argv[++i];
		else if (!strcmp(argv[i], "--path") && i + 1 < argc)
			dirs = argv[++i];
		else {
			fprintf(stderr, "nestvmx doctor: unexpected argument '%s'\n", argv[i]);
			return usage(stderr);
		}
	}
	struct doctor_report *r = malloc(sizeof *r);
	if (!r)
		return EXIT_FAIL;
	doctor_check(root, dirs ? dirs : "/usr/local/bin:/usr/bin:/bin", r);
	if (json)
		doctor_print_json(stdout, r);
	else
		doctor_print_text(stdout, r);
	free(r);
	return EXIT_OK;
}

static const struct command doctor_cmd = {
	.name = "doctor",
	.summary = "check this host: VT-x, KVM nesting, Bochs, QEMU; which backends can run",
	.run = doctor_run,
};
COMMAND_REGISTER(doctor_cmd)
