/* SDM 26.4: loading MSRs on VM entry from the VM-entry MSR-load area, in
 * order; the first entry that fails ends the entry (exit 34, the
 * qualification its 1-based index).  Loaded MSRs stay loaded. */
#include "entry_priv.h"

enum {
	MSR_SYSENTER_CS = 0x174, MSR_SYSENTER_ESP = 0x175, MSR_SYSENTER_EIP = 0x176,
	MSR_DEBUGCTL = 0x1d9, MSR_PAT = 0x277, MSR_EFER = 0xc0000080,
	MSR_STAR = 0xc0000081, MSR_LSTAR = 0xc0000082, MSR_CSTAR = 0xc0000083,
	MSR_FMASK = 0xc0000084, MSR_KERNEL_GS_BASE = 0xc0000102, MSR_TSC_AUX = 0xc0000103,
};

static bool addr_msr(uint32_t msr)
{
	return msr == MSR_SYSENTER_ESP || msr == MSR_SYSENTER_EIP || msr == MSR_LSTAR ||
	       msr == MSR_CSTAR || msr == MSR_KERNEL_GS_BASE;
}

/* The model's copy of the MSRs it keeps; others load without effect. */
static void store(struct cpu_state *c, uint32_t msr, uint64_t v)
{
	switch (msr) {
	case MSR_SYSENTER_CS: c->sysenter_cs = v; break;
	case MSR_SYSENTER_ESP: c->sysenter_esp = v; break;
	case MSR_SYSENTER_EIP: c->sysenter_eip = v; break;
	case MSR_DEBUGCTL: c->debugctl = v; break;
	case MSR_PAT: c->pat = v; break;
	case MSR_EFER: c->efer = v; break;
	case MSR_STAR: c->star = v; break;
	case MSR_LSTAR: c->lstar = v; break;
	case MSR_CSTAR: c->cstar = v; break;
	case MSR_FMASK: c->fmask = v; break;
	case MSR_KERNEL_GS_BASE: c->kernel_gs_base = v; break;
	case MSR_TSC_AUX: c->tsc_aux = v; break;
	default: break;
	}
}

/* One entry: true when it loads. */
static bool load_one(struct refvmm *m, uint64_t w0, uint64_t v)
{
	uint32_t msr = (uint32_t)w0;
	return CHECK(m, ENTRY_MSR_LOAD_RESERVED, !(w0 >> 32)) &&
	       CHECK(m, ENTRY_MSR_LOAD_FS_GS_BASE, msr != 0xc0000100 && msr != 0xc0000101) &&
	       CHECK(m, ENTRY_MSR_LOAD_X2APIC, msr >> 8 != 0x8) &&
	       CHECK(m, ENTRY_MSR_LOAD_SMM_MONITOR, msr != 0x9b) &&
	       CHECK(m, ENTRY_MSR_LOAD_WRMSR_GP, msr < 0x480 || msr > 0x493) &&
	       CHECK(m, ENTRY_MSR_LOAD_EFER, msr != MSR_EFER || !(v & ~0xd01ull)) &&
	       CHECK(m, ENTRY_MSR_LOAD_PAT, msr != MSR_PAT || pat_valid(v)) &&
	       CHECK(m, ENTRY_MSR_LOAD_CANONICAL, !addr_msr(msr) || canonical(m, v));
}

uint32_t entry_load_msrs(struct refvmm *m)
{
	const uint8_t *d = vmcs_cached(m);
	uint64_t n = vmcs_rd(m, d, VF_VM_ENTRY_MSR_LOAD_COUNT), a = vmcs_rd(m, d, VF_VM_ENTRY_MSR_LOAD_ADDR);
	/* beyond the recommended maximum, 512 * (IA32_VMX_MISC[27:25] + 1)
	 * (A.6), the SDM leaves the behaviour open: the model stops there */
	uint64_t max = 512 * (((m->caps.msr[CAP_MISC] >> 25) & 7) + 1);
	if (n > max)
		n = max;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t w0 = mem_read64(&m->mem, a + 16 * i), v = mem_read64(&m->mem, a + 16 * i + 8);
		if (!load_one(m, w0, v))
			return (uint32_t)(i + 1);
		store(&m->cpu, (uint32_t)w0, v);
	}
	return 0;
}
