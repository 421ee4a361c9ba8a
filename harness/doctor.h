/* `nestvmx doctor`: is this host ready for each backend?  The verdict is
 * data (struct doctor_report) computed from a root directory, so tests run
 * it on fabricated /proc, /sys and /dev trees. */
#ifndef NESTVMX_DOCTOR_H
#define NESTVMX_DOCTOR_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- host probing (doctor_host.c), shared with `caps --dump` ---- */

struct cpuinfo {
	char vendor[32];        /* "GenuineIntel", "AuthenticAMD", ... */
	char model[96];         /* "model name" */
	unsigned family, model_no, stepping;
	bool vmx, svm, hypervisor;
};
/* ROOT + path into buf ("" or "/" root: the path itself). */
const char *host_path(char *buf, size_t len, const char *root, const char *path);
/* First processor of ROOT/proc/cpuinfo; 0, or -errno. */
int host_cpuinfo(const char *root, struct cpuinfo *ci);
/* RDMSR through ROOT/dev/cpu/CPU/msr; 0, or -errno (-EIO: no such MSR). */
int host_rdmsr(const char *root, int cpu, uint32_t msr, uint64_t *val);
/* Full path of an executable NAME in the colon-separated DIRS; false if none. */
bool host_which(const char *dirs, const char *name, char *out, size_t len);

/* ---- the verdict (doctor.c) ---- */

enum doctor_status { DS_OK, DS_WARN, DS_FAIL, DS_SKIP };

/* One line per item; the order is the order printed. */
#define DOCTOR_ITEMS(X) \
	X(CPU_VENDOR,      "cpu.vendor",          "CPU vendor (/proc/cpuinfo)") \
	X(CPU_VMX,         "cpu.vmx",             "VT-x reported (cpuinfo flag vmx)") \
	X(FEATURE_CONTROL, "cpu.feature_control", "VT-x enabled by firmware (IA32_FEATURE_CONTROL)") \
	X(KVM_INTEL,       "kvm.module",          "kvm_intel loaded") \
	X(KVM_NESTED,      "kvm.nested",          "kvm_intel nested=1") \
	X(KVM_EPT,         "kvm.ept",             "kvm_intel ept=1") \
	X(KVM_UG,          "kvm.unrestricted_guest", "kvm_intel unrestricted_guest=1") \
	X(DEV_KVM,         "kvm.dev",             "/dev/kvm present and accessible") \
	X(MEMORY,          "memory",              "memory (/proc/meminfo)") \
	X(BOCHS,           "bochs",               "Bochs (bochs on PATH)") \
	X(BOCHS_BIOS,      "bochs.bios",          "Bochs BIOS (/usr/share/bochs/BIOS-bochs-latest)") \
	X(QEMU,            "qemu",                "QEMU (qemu-system-x86_64 on PATH)")

enum doctor_item_id {
#define X(id, key, title) DI_##id,
	DOCTOR_ITEMS(X)
#undef X
	DI_COUNT
};

#define DOCTOR_BACKENDS(X) X(REF, "ref") X(NESTED, "nested") X(BOCHS, "bochs") X(KVM, "kvm") X(METAL, "metal")
enum doctor_backend {
#define X(id, name) DB_##id,
	DOCTOR_BACKENDS(X)
#undef X
	DB_COUNT
};

struct doctor_item {
	enum doctor_status st;
	char detail[200];
	char fix[2][160];        /* exact commands that fix it, "" when none */
};

struct doctor_report {
	struct cpuinfo cpu;
	bool cpuinfo_ok, intel, vmx;
	struct doctor_item item[DI_COUNT];
	bool can_run[DB_COUNT];
	char why[DB_COUNT][200];  /* why not (or a note when it can) */
};

/* Examine ROOT (prefix of every /proc, /sys, /dev, /usr path; "" = this
 * host) and the executables in PATH_DIRS (colon-separated). */
void doctor_check(const char *root, const char *path_dirs, struct doctor_report *r);
const char *doctor_item_key(enum doctor_item_id i);
const char *doctor_item_title(enum doctor_item_id i);
const char *doctor_backend_name(enum doctor_backend b);
const char *doctor_status_name(enum doctor_status s);
void doctor_print_text(FILE *f, const struct doctor_report *r);
void doctor_print_json(FILE *f, const struct doctor_report *r);

#endif
