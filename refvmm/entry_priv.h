/* Private to the VM-entry part of the model (entry*.c): VMCS access and
 * the per-area check functions vmentry() orchestrates (SDM chapter 26). */
#ifndef NESTVMX_ENTRY_PRIV_H
#define NESTVMX_ENTRY_PRIV_H
#include "entry.h"
#include "guest_priv.h"

/* Control bits the entry checks read (Tables 24-5, 24-7, 24-13, 24-15). */
enum {
	PIN_EXT_INT = 1u << 0, PIN_NMI = 1u << 3, PIN_VNMI = 1u << 5,
	PIN_TIMER = 1u << 6, PIN_POSTED = 1u << 7,
};
enum {
	P2_APIC_ACCESS = 1u << 0, P2_EPT = 1u << 1, P2_X2APIC = 1u << 4,
	P2_VPID = 1u << 5, P2_UNRESTRICTED = 1u << 7, P2_APIC_REG = 1u << 8,
	P2_VID = 1u << 9, P2_VMFUNC = 1u << 13, P2_SHADOW = 1u << 14,
	P2_PML = 1u << 17, P2_VE = 1u << 18, P2_MBEC = 1u << 22, P2_SPP = 1u << 23,
	P2_TSC_SCALING = 1u << 25,
};
enum { PROC_TERTIARY = 1u << 17 };
enum { EXITC_ACK_INTR = 1u << 15 };
enum {
	ENTRYC_LOAD_DEBUG = 1u << 2, ENTRYC_IA32E = 1u << 9, ENTRYC_SMM = 1u << 10,
	ENTRYC_DUAL_MONITOR = 1u << 11, ENTRYC_LOAD_PERF = 1u << 13,
	ENTRYC_LOAD_PAT = 1u << 14, ENTRYC_LOAD_EFER = 1u << 15,
};

/* The entry code reads the current VMCS through a region pointer d that
 * each function takes once from vmcs_cached() (pinned by vmentry; NULL
 * only when the region has no page: the memory hash then). */
static inline uint32_t eproc(const struct refvmm *m, const uint8_t *d)
{
	return (uint32_t)vmcs_rd(m, d, VF_CPU_BASED_VM_EXEC_CONTROL);
}

/* Secondary controls count only when "activate secondary controls" is 1. */
static inline uint32_t eproc2(const struct refvmm *m, const uint8_t *d)
{
	return eproc(m, d) & PROC_SECONDARY ? (uint32_t)vmcs_rd(m, d, VF_SECONDARY_VM_EXEC_CONTROL) : 0;
}

static inline bool canonical(const struct refvmm *m, uint64_t a)
{
	unsigned w = m->caps.linaddr ? m->caps.linaddr : 48;
	int64_t s = (int64_t)(a << (64 - w)) >> (64 - w);
	return (uint64_t)s == a;
}


/* What the checks derive from the profile (caps.h), computed once per
 * machine: refvmm_reset invalidates it, the first entry fills it. */
static inline const struct caps_cache *ecaps(struct refvmm *m)
{
	if (!m->caps_cache.valid)
		caps_cache_fill(&m->caps, &m->caps_cache);
	return &m->caps_cache;
}

/* A VMX structure's physical address: no bit beyond the width (A.1). */
static inline bool addr_ok(struct refvmm *m, uint64_t a)
{
	return !(a & ecaps(m)->vmx_addr_mask);
}

void entry_check_controls(struct refvmm *m);   /* entry_ctl.c, 26.2.1 */
void entry_check_host(struct refvmm *m);       /* entry_host.c, 26.2.2-26.2.4 */
void entry_check_guest(struct refvmm *m);      /* entry_guest.c, 26.3.1 */
void entry_check_seg(struct refvmm *m);        /* entry_seg.c, 26.3.1.2 */
void entry_load_guest(struct refvmm *m);       /* entry_guest.c, 26.3.2 */
/* entry_msr.c, 26.4: 0, or the 1-based index of the failing entry */
uint32_t entry_load_msrs(struct refvmm *m);

#endif
