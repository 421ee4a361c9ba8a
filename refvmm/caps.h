/* Capability profiles: the IA32_VMX_* MSRs and the CPUID facts a VMM
 * depends on.  Expectations everywhere derive from a profile, never from
 * one CPU.  SDM Appendix A. */
#ifndef NESTVMX_CAPS_H
#define NESTVMX_CAPS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Index into vmx_caps.msr[]: MSR number - 0x480. */
enum cap_index {
	CAP_BASIC = 0, CAP_PINBASED, CAP_PROCBASED, CAP_EXIT, CAP_ENTRY,
	CAP_MISC, CAP_CR0_FIXED0, CAP_CR0_FIXED1, CAP_CR4_FIXED0,
	CAP_CR4_FIXED1, CAP_VMCS_ENUM, CAP_PROCBASED2, CAP_EPT_VPID,
	CAP_TRUE_PINBASED, CAP_TRUE_PROCBASED, CAP_TRUE_EXIT, CAP_TRUE_ENTRY,
	CAP_VMFUNC, CAP_PROCBASED3, CAP_EXIT2,
	CAP_NMSR
};
#define CAP_MSR_FIRST 0x480u
#define MSR_IA32_FEATURE_CONTROL 0x3au

enum vmx_feature {
#define FEATURE(id, name, idx, bit) FEAT_##id,
#include "features.def"
#undef FEATURE
	FEAT_COUNT
};

/* The control fields whose allowed settings a profile constrains. */
enum ctl_kind { CTL_PIN, CTL_PROC, CTL_PROC2, CTL_PROC3, CTL_EXIT, CTL_ENTRY, CTL_EXIT2, CTL_COUNT };

struct vmx_caps {
	char name[64];
	uint64_t msr[CAP_NMSR];
	uint32_t present;          /* bit i: MSR 0x480+i is implemented */
	uint64_t feature_control;  /* IA32_FEATURE_CONTROL as firmware left it */
	uint32_t cpuid1_eax, cpuid1_ecx, cpuid1_edx;
	uint32_t cpuid7_ebx, cpuid7_ecx;
	uint8_t maxphyaddr;        /* CPUID.80000008H:EAX[7:0] */
	uint8_t linaddr;           /* CPUID.80000008H:EAX[15:8] (48 or 57) */
};

/* Built-in profiles, compiled from corpora/caps/: the Bochs 2.7 CPU models
 * (bochs-caps*.txt), real Intel CPUs (intel-cpus.txt) and variants derived
 * from them (variants.txt). */
size_t caps_builtin_count(void);
const struct vmx_caps *caps_builtin_at(size_t i);
const struct vmx_caps *caps_builtin(const char *name);   /* NULL if unknown */
const struct vmx_caps *caps_default(void);               /* bochs-corei7_skylake_x */

/* Parse one profile in the bochs-caps.txt text format (a [name] section
 * with "0xMSR 0xVALUE NAME" / "0xMSR absent NAME" lines and "# CPUID..."
 * comments).  Returns 0, or -1 with "line:col: message" in err. */
int caps_parse(const char *text, size_t len, struct vmx_caps *out,
	       char *err, size_t errlen) __attribute__((warn_unused_result));
/* Parse every [section] of a multi-profile text; returns count or -1. */
int caps_parse_all(const char *text, size_t len, struct vmx_caps *out, size_t max,
		   char *err, size_t errlen) __attribute__((warn_unused_result));
/* Print in the same format (round trip: parse(print(c)) == c). */
size_t caps_format(const struct vmx_caps *c, char *buf, size_t len);

bool caps_msr_present(const struct vmx_caps *c, uint32_t msr);
uint64_t caps_msr(const struct vmx_caps *c, uint32_t msr);   /* 0 if absent */
/* "IA32_VMX_BASIC", ... for 0x480-0x493 and 0x3a; NULL for any other MSR. */
const char *caps_msr_name(uint32_t msr);

/* Control settings (SDM A.3-A.5, A.3.3 for the tertiary controls): the
 * effective allowed-0 honours IA32_VMX_BASIC[55] (TRUE_* MSRs). */
uint64_t caps_ctl_must1(const struct vmx_caps *c, enum ctl_kind k);  /* bits that must be 1 */
uint64_t caps_ctl_may1(const struct vmx_caps *c, enum ctl_kind k);   /* bits that may be 1 */
bool caps_ctl_allowed(const struct vmx_caps *c, enum ctl_kind k, uint64_t value);
bool caps_ctl_may_be1(const struct vmx_caps *c, enum ctl_kind k, unsigned bit);
bool caps_ctl_may_be0(const struct vmx_caps *c, enum ctl_kind k, unsigned bit);
/* What VM entry checks on every entry, derived from a profile once per
 * machine (caps_cache_fill): caps_ctl_must1/may1 of every control field,
 * the CR0 fixed-0 bits without and with unrestricted guest ([0], [1]),
 * the other fixed bits (A.7, A.8), the address masks, and which VMCS
 * fields exist (VMREAD/VMWRITE).  valid = false: not computed yet. */
struct caps_cache {
	uint64_t must1[CTL_COUNT], may1[CTL_COUNT];
	uint64_t cr0_fixed0[2], cr0_fixed1, cr4_fixed0, cr4_fixed1;
	uint64_t phys_mask, vmx_addr_mask;
	uint64_t vmcs_fields[4];   /* bit f: vmcs_field_supported(f) (vmcs_fields.h) */
	struct vmx_caps from;      /* the profile it was filled from */
	bool valid;
};
void caps_cache_fill(const struct vmx_caps *c, struct caps_cache *cc);
/* At machine reset: the cache stays valid while the profile's MSRs and
 * MAXPHYADDR (all it derives from) are those it was filled from, so a
 * case pays for no refill; a changed profile is refilled at first use. */
void caps_cache_reset(const struct vmx_caps *c, struct caps_cache *cc);

bool caps_has(const struct vmx_caps *c, enum vmx_feature f);
const char *caps_feature_name(enum vmx_feature f);
int caps_feature_by_name(const char *name);              /* -1 if unknown */

/* A bit that is 1 in FIXED0 must be 1; a bit that is 0 in FIXED1 must be
 * 0 (SDM A.7, A.8). */
static inline bool caps_fixed_ok(uint64_t v, uint64_t fixed0, uint64_t fixed1)
{
	return (v & fixed0) == fixed0 && (v & ~fixed1) == 0;
}

/* CR0/CR4 in VMX operation (SDM A.7, A.8); unrestricted relaxes PE/PG. */
bool caps_cr0_allowed(const struct vmx_caps *c, uint64_t cr0, bool unrestricted);
bool caps_cr4_allowed(const struct vmx_caps *c, uint64_t cr4);

uint32_t caps_revision(const struct vmx_caps *c);        /* BASIC[30:0] */
uint64_t caps_phys_mask(const struct vmx_caps *c);       /* bits above MAXPHYADDR */
/* Bits a VMX structure's physical address (VMXON region, VMCS, bitmaps,
 * MSR areas, ...) may not set: above MAXPHYADDR, and above 31 when
 * IA32_VMX_BASIC[48] = 1 (SDM A.1). */
uint64_t caps_vmx_addr_mask(const struct vmx_caps *c);

/* Does the profile describe a processor the SDM allows (Appendix A: which
 * MSRs exist, allowed-0 within allowed-1, TRUE_* twins, default1 bits,
 * CR fixed bits, VMCS size and memory type)?  Returns the number of
 * problems, each a line "MSR: problem (SDM x)" in err (as much as fits). */
int caps_check(const struct vmx_caps *c, char *err, size_t errlen);

/* Short names: "pin", "proc", "proc2", "proc3", "exit", "entry", "exit2". */
const char *caps_ctl_name(enum ctl_kind k);
/* The MSR reporting a control's settings: its TRUE_* twin when that governs
 * (IA32_VMX_BASIC[55], SDM A.2), else the plain one; 0 for a bad kind. */
uint32_t caps_ctl_msr(const struct vmx_caps *c, enum ctl_kind k);
unsigned caps_ctl_width(enum ctl_kind k);   /* 32, or 64 for PROC3/EXIT2; 0 for a bad kind */
/* A capability value named in a case expression, after "caps.":
 *   MSR[.allowed0|.allowed1]  MSR = basic, pinbased, procbased, exit, entry,
 *       misc, cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1, vmcs_enum,
 *       procbased2, ept_vpid, true_pinbased, true_procbased, true_exit,
 *       true_entry, vmfunc, procbased3, exit2 (0 when absent);
 *       allowed0 = bits 31:0, allowed1 = bits 63:32 (SDM A.3)
 *   CTL.must1, CTL.may1  the effective settings (TRUE_* honoured, CTL as
 *       caps_ctl_name)
 *   revision, maxphyaddr, phys_mask, feature_control
 * name is len bytes (not NUL-terminated).  Returns 0, or -1 if unknown. */
int caps_value(const struct vmx_caps *c, const char *name, size_t len, uint64_t *out)
	__attribute__((warn_unused_result));

#endif
