/* SDM 26.2.2-26.2.4: checks on the host-state area.  All run; failure of
 * any: VMfailValid(8). */
#include "entry_priv.h"

#define V(f) vmcs_rd(m, d, VF_##f)

/* 26.2.2: control registers and MSRs. */
static void regs(struct refvmm *m)
{
	const uint8_t *d = vmcs_cached(m);
	uint64_t cr0 = V(HOST_CR0), cr4 = V(HOST_CR4);
	uint32_t x = (uint32_t)V(VM_EXIT_CONTROLS);
	bool host64 = x & EXIT_HOST_64;
	const struct caps_cache *cc = ecaps(m);
	CHECK(m, ENTRY_HOST_CR0_FIXED, caps_fixed_ok(cr0, cc->cr0_fixed0[0], cc->cr0_fixed1));
	CHECK(m, ENTRY_HOST_CR4_FIXED, caps_fixed_ok(cr4, cc->cr4_fixed0, cc->cr4_fixed1));
	CHECK(m, ENTRY_HOST_CR3_WIDTH, !(V(HOST_CR3) & cc->phys_mask));
	CHECK(m, ENTRY_HOST_SYSENTER_ESP_CANONICAL, canonical(m, V(HOST_IA32_SYSENTER_ESP)));
	CHECK(m, ENTRY_HOST_SYSENTER_EIP_CANONICAL, canonical(m, V(HOST_IA32_SYSENTER_EIP)));
	CHECK(m, ENTRY_HOST_CET_NEEDS_WP, !(cr4 & (1ull << 23)) || (cr0 & (1ull << 16)));
	if (x & EXIT_LOAD_PERF)   /* reserved: bits other than the counter enables (SDM vol. 4) */
		CHECK(m, ENTRY_HOST_PERF_GLOBAL_RESERVED, !(V(HOST_IA32_PERF_GLOBAL_CTRL) & ~0x70000000fULL));
	if (x & EXIT_LOAD_PAT)
		CHECK(m, ENTRY_HOST_PAT, pat_valid(V(HOST_IA32_PAT)));
	if (x & EXIT_LOAD_EFER) {
		uint64_t efer = V(HOST_IA32_EFER);
		CHECK(m, ENTRY_HOST_EFER_RESERVED, !(efer & ~0xd01ULL));
		CHECK(m, ENTRY_HOST_EFER_LMA, !!(efer & EFER_LMA) == host64);
		CHECK(m, ENTRY_HOST_EFER_LME, !!(efer & EFER_LME) == host64);
	}
}

/* 26.2.2: CET state and PKRS (exit controls 28, 29). */
static void cet_pkrs(struct refvmm *m)
{
	const uint8_t *d = vmcs_cached(m);
	uint32_t x = (uint32_t)V(VM_EXIT_CONTROLS);
	if (x & (1u << 28)) {
		uint64_t scet = V(HOST_S_CET), ssp = V(HOST_SSP);
		CHECK(m, ENTRY_HOST_S_CET_RESERVED, !(scet & 0x3c0) && canonical(m, scet));
		CHECK(m, ENTRY_HOST_SSP_CANONICAL, !(ssp & 3) && canonical(m, ssp));
		CHECK(m, ENTRY_HOST_INTR_SSP_TABLE_CANONICAL, canonical(m, V(HOST_INTR_SSP_TABLE)));
	}
	if (x & (1u << 29))
		CHECK(m, ENTRY_HOST_PKRS_RESERVED, !(V(HOST_IA32_PKRS) >> 32));
}

/* 26.2.3: selectors and base addresses. */
static void segs(struct refvmm *m)
{
	const uint8_t *d = vmcs_cached(m);
	bool host64 = V(VM_EXIT_CONTROLS) & EXIT_HOST_64;
	CHECK(m, ENTRY_HOST_SEL_ES_TI_RPL, !(V(HOST_ES_SELECTOR) & 7));
	CHECK(m, ENTRY_HOST_SEL_CS_TI_RPL, !(V(HOST_CS_SELECTOR) & 7));
	CHECK(m, ENTRY_HOST_SEL_SS_TI_RPL, !(V(HOST_SS_SELECTOR) & 7));
	CHECK(m, ENTRY_HOST_SEL_DS_TI_RPL, !(V(HOST_DS_SELECTOR) & 7));
	CHECK(m, ENTRY_HOST_SEL_FS_TI_RPL, !(V(HOST_FS_SELECTOR) & 7));
	CHECK(m, ENTRY_HOST_SEL_GS_TI_RPL, !(V(HOST_GS_SELECTOR) & 7));
	CHECK(m, ENTRY_HOST_SEL_TR_TI_RPL, !(V(HOST_TR_SELECTOR) & 7));
	CHECK(m, ENTRY_HOST_SEL_CS_NULL, V(HOST_CS_SELECTOR) != 0);
	CHECK(m, ENTRY_HOST_SEL_TR_NULL, V(HOST_TR_SELECTOR) != 0);
	if (!host64)
		CHECK(m, ENTRY_HOST_SEL_SS_NULL, V(HOST_SS_SELECTOR) != 0);
	CHECK(m, ENTRY_HOST_FS_BASE_CANONICAL, canonical(m, V(HOST_FS_BASE)));
	CHECK(m, ENTRY_HOST_GS_BASE_CANONICAL, canonical(m, V(HOST_GS_BASE)));
	CHECK(m, ENTRY_HOST_GDTR_BASE_CANONICAL, canonical(m, V(HOST_GDTR_BASE)));
	CHECK(m, ENTRY_HOST_IDTR_BASE_CANONICAL, canonical(m, V(HOST_IDTR_BASE)));
	CHECK(m, ENTRY_HOST_TR_BASE_CANONICAL, canonical(m, V(HOST_TR_BASE)));
}

/* 26.2.4: address-space size.  L1 of the model runs in IA-32e mode
 * whenever its EFER.LMA is 1: the test machine's does, until leave_ia32e
 * takes it to 32-bit protected mode (l1_mode.c). */
static void addr_space(struct refvmm *m)
{
	const uint8_t *d = vmcs_cached(m);
	bool host64 = V(VM_EXIT_CONTROLS) & EXIT_HOST_64;
	bool ia32e = m->cpu.efer & EFER_LMA;
	uint64_t cr4 = V(HOST_CR4);
	if (ia32e) {
		CHECK(m, ENTRY_HOST_ADDR_SPACE_IA32E, host64);
	} else {
		CHECK(m, ENTRY_HOST_HOST64_NOT_IA32E, !host64);
	}
	if (!host64) {
		CHECK(m, ENTRY_HOST_IA32E_GUEST_NEEDS_HOST64, !(V(VM_ENTRY_CONTROLS) & ENTRYC_IA32E));
		CHECK(m, ENTRY_HOST_CR4_PCIDE, !(cr4 & (1ull << 17)));
		CHECK(m, ENTRY_HOST_RIP_HIGH, !(V(HOST_RIP) >> 32));
	} else {
		CHECK(m, ENTRY_HOST_CR4_PAE, cr4 & (1ull << 5));
		CHECK(m, ENTRY_HOST_RIP_CANONICAL, canonical(m, V(HOST_RIP)));
	}
}

void entry_check_host(struct refvmm *m)
{
	regs(m);
	cet_pkrs(m);
	segs(m);
	addr_space(m);
}
