/* SDM 26.3.1 (except segment registers, entry_seg.c): guest control and
 * debug registers and MSRs, descriptor-table registers, RIP and RFLAGS,
 * non-register state, PDPTEs; and 26.3.2, loading the guest state. */
#include "entry_priv.h"

#define V(f) vmcs_rd(m, d, VF_##f)
#define RF_TF (1ull << 8)
#define RF_IF (1ull << 9)
#define RF_VM (1ull << 17)

static bool ia32e_guest(const struct refvmm *m, const uint8_t *d)
{
	return V(VM_ENTRY_CONTROLS) & ENTRYC_IA32E;
}

/* 26.3.1.1: control registers, debug registers, MSRs. */
static void regs(struct refvmm *m)
{
	const uint8_t *d = vmcs_cached(m);
	uint64_t cr0 = V(GUEST_CR0), cr4 = V(GUEST_CR4), en = V(VM_ENTRY_CONTROLS);
	bool unr = eproc2(m, d) & P2_UNRESTRICTED, ia32e = ia32e_guest(m, d);
	const struct caps_cache *cc = ecaps(m);
	CHECK(m, ENTRY_GUEST_CR0_FIXED, caps_fixed_ok(cr0, cc->cr0_fixed0[unr], cc->cr0_fixed1));
	CHECK(m, ENTRY_GUEST_CR0_PG_PE, !(cr0 & CR0_PG) || (cr0 & CR0_PE));
	CHECK(m, ENTRY_GUEST_CR4_FIXED, caps_fixed_ok(cr4, cc->cr4_fixed0, cc->cr4_fixed1));
	CHECK(m, ENTRY_GUEST_CR3_WIDTH, !(V(GUEST_CR3) & cc->phys_mask));
	CHECK(m, ENTRY_GUEST_CET_NEEDS_WP, !(cr4 & CR4_CET) || (cr0 & CR0_WP));
	if (en & ENTRYC_LOAD_DEBUG) {
		CHECK(m, ENTRY_GUEST_DEBUGCTL_RESERVED, !(V(GUEST_IA32_DEBUGCTL) & ~0xffc3ull));
		CHECK(m, ENTRY_GUEST_DR7_HIGH, !(V(GUEST_DR7) >> 32));
	}
	if (ia32e) {
		CHECK(m, ENTRY_GUEST_IA32E_NEEDS_PG, cr0 & CR0_PG);
		CHECK(m, ENTRY_GUEST_IA32E_NEEDS_PAE, cr4 & CR4_PAE);
	} else {
		CHECK(m, ENTRY_GUEST_NOT_IA32E_PCIDE, !(cr4 & CR4_PCIDE));
	}
	CHECK(m, ENTRY_GUEST_SYSENTER_ESP_CANONICAL, canonical(m, V(GUEST_SYSENTER_ESP)));
	CHECK(m, ENTRY_GUEST_SYSENTER_EIP_CANONICAL, canonical(m, V(GUEST_SYSENTER_EIP)));
	if (en & ENTRYC_LOAD_PERF)
		CHECK(m, ENTRY_GUEST_PERF_GLOBAL_RESERVED, !(V(GUEST_IA32_PERF_GLOBAL_CTRL) & ~0x70000000fULL));
	if (en & ENTRYC_LOAD_PAT)
		CHECK(m, ENTRY_GUEST_PAT, pat_valid(V(GUEST_IA32_PAT)));
	if (en & ENTRYC_LOAD_EFER) {
		uint64_t efer = V(GUEST_IA32_EFER);
		CHECK(m, ENTRY_GUEST_EFER_RESERVED, !(efer & ~0xd01ULL));
		CHECK(m, ENTRY_GUEST_EFER_LMA, !!(efer & EFER_LMA) == ia32e);
		if (cr0 & CR0_PG)
			CHECK(m, ENTRY_GUEST_EFER_LME, !!(efer & EFER_LME) == ia32e);
	}
}

/* 26.3.1.1: MPX, LBR, CET and PKRS state (entry controls 16, 20-22). */
static void ext_msrs(struct refvmm *m)
{
	const uint8_t *d = vmcs_cached(m);
	uint64_t en = V(VM_ENTRY_CONTROLS);
	if (en & (1u << 16)) {
		uint64_t b = V(GUEST_BNDCFGS);
		CHECK(m, ENTRY_GUEST_BNDCFGS_RESERVED, !(b & 0xffc));
		CHECK(m, ENTRY_GUEST_BNDCFGS_CANONICAL, canonical(m, b & ~0xfffull));
	}
	if (en & (1u << 21))
		CHECK(m, ENTRY_GUEST_LBR_CTL_RESERVED, !(V(GUEST_IA32_LBR_CTL) & ~0x7f000full));
	if (en & (1u << 20)) {
		uint64_t scet = V(GUEST_S_CET), ssp = V(GUEST_SSP);
		bool ssp_ok = ia32e_guest(m, d) ? canonical(m, ssp) : !(ssp >> 32);
		CHECK(m, ENTRY_GUEST_S_CET_RESERVED, !(scet & 0x3c0) && canonical(m, scet));
		CHECK(m, ENTRY_GUEST_SSP_CANONICAL, !(ssp & 3) && ssp_ok);
		CHECK(m, ENTRY_GUEST_INTR_SSP_TABLE_CANONICAL, canonical(m, V(GUEST_INTR_SSP_TABLE)));
	}
	if (en & (1u << 22))
		CHECK(m, ENTRY_GUEST_PKRS_RESERVED, !(V(GUEST_IA32_PKRS) >> 32));
}

/* 26.3.1.3 descriptor-table registers, 26.3.1.4 RIP and RFLAGS. */
static void dtr_rip(struct refvmm *m)
{
	const uint8_t *d = vmcs_cached(m);
	CHECK(m, ENTRY_GUEST_GDTR_BASE_CANONICAL, canonical(m, V(GUEST_GDTR_BASE)));
	CHECK(m, ENTRY_GUEST_IDTR_BASE_CANONICAL, canonical(m, V(GUEST_IDTR_BASE)));
	CHECK(m, ENTRY_GUEST_GDTR_LIMIT, !(V(GUEST_GDTR_LIMIT) >> 16));
	CHECK(m, ENTRY_GUEST_IDTR_LIMIT, !(V(GUEST_IDTR_LIMIT) >> 16));
	bool cs_l = V(GUEST_CS_AR_BYTES) & (1u << 13);
	uint64_t rip = V(GUEST_RIP), rf = V(GUEST_RFLAGS);
	if (!ia32e_guest(m, d) || !cs_l)
		CHECK(m, ENTRY_GUEST_RIP_HIGH, !(rip >> 32));
	else
		CHECK(m, ENTRY_GUEST_RIP_CANONICAL, canonical(m, rip));
	CHECK(m, ENTRY_GUEST_RFLAGS_RESERVED, !(rf & 0xffffffffffc08028ull) && (rf & 2));
	if (ia32e_guest(m, d) || !(V(GUEST_CR0) & CR0_PE))
		CHECK(m, ENTRY_GUEST_RFLAGS_VM, !(rf & RF_VM));
	uint32_t ev = (uint32_t)V(VM_ENTRY_INTR_INFO_FIELD);
	if ((ev >> 31) && ((ev >> 8) & 7) == IT_EXT)
		CHECK(m, ENTRY_GUEST_RFLAGS_IF, rf & RF_IF);
}

/* 26.3.1.5: activity state and which injected events it allows. */
static void activity(struct refvmm *m)
{
	const uint8_t *d = vmcs_cached(m);
	uint64_t act = V(GUEST_ACTIVITY_STATE), intr = V(GUEST_INTERRUPTIBILITY_INFO);
	uint32_t ev = (uint32_t)V(VM_ENTRY_INTR_INFO_FIELD);
	unsigned type = (ev >> 8) & 7, vec = ev & 0xff;
	bool inj = ev >> 31;
	CHECK(m, ENTRY_GUEST_ACTIVITY_STATE,
	      act == 0 || (act <= 3 && (m->caps.msr[CAP_MISC] & (1u << (5 + act)))));
	if (act == 1)
		CHECK(m, ENTRY_GUEST_ACTIVITY_HLT_SS_DPL, !((V(GUEST_SS_AR_BYTES) >> 5) & 3));
	if (intr & (BLOCK_STI | BLOCK_MOVSS))
		CHECK(m, ENTRY_GUEST_ACTIVITY_STI_MOVSS, act == 0);
	if (!inj)
		return;
	if (act == 1)
		CHECK(m, ENTRY_GUEST_ACTIVITY_INJECT_HLT, type == IT_EXT || type == IT_NMI || type == IT_OTHER ||
		      (type == IT_HW_EXC && (vec == 1 || vec == 18)));
	if (act == 2)
		CHECK(m, ENTRY_GUEST_ACTIVITY_INJECT_SHUTDOWN,
		      type == IT_NMI || (type == IT_HW_EXC && vec == 18));
	if (act == 3)
		CHECK(m, ENTRY_GUEST_ACTIVITY_INJECT_SIPI, false);
}

/* 26.3.1.5: interruptibility state. */
static void interruptibility(struct refvmm *m)
{
	const uint8_t *d = vmcs_cached(m);
	uint64_t intr = V(GUEST_INTERRUPTIBILITY_INFO);
	uint32_t ev = (uint32_t)V(VM_ENTRY_INTR_INFO_FIELD);
	unsigned type = (ev >> 8) & 7;
	bool inj = ev >> 31;
	CHECK(m, ENTRY_GUEST_INTR_RESERVED, !(intr & ~0x1full));
	CHECK(m, ENTRY_GUEST_INTR_STI_MOVSS, (intr & 3) != 3);
	if (intr & BLOCK_STI)
		CHECK(m, ENTRY_GUEST_INTR_STI_IF, V(GUEST_RFLAGS) & RF_IF);
	if (inj && type == IT_EXT)
		CHECK(m, ENTRY_GUEST_INTR_EXT_INT_BLOCKED, !(intr & 3));
	if (inj && type == IT_NMI) {
		CHECK(m, ENTRY_GUEST_INTR_NMI_MOVSS, !(intr & BLOCK_MOVSS));
		CHECK(m, ENTRY_GUEST_INTR_NMI_STI, !(intr & BLOCK_STI));
		if (V(PIN_BASED_VM_EXEC_CONTROL) & PIN_VNMI)
			CHECK(m, ENTRY_GUEST_INTR_VNMI_NMI, !(intr & BLOCK_NMI));
	}
	CHECK(m, ENTRY_GUEST_INTR_SMI, !(intr & 4));
	if (intr & 0x10)   /* SGX is not in the model's profiles */
		CHECK(m, ENTRY_GUEST_INTR_ENCLAVE, !(intr & BLOCK_MOVSS) && (m->caps.cpuid7_ebx & (1u << 2)));
}

/* 26.3.1.5: pending debug exceptions. */
static void pending_dbg(struct refvmm *m)
{
	const uint8_t *d = vmcs_cached(m);
	uint64_t pd = V(GUEST_PENDING_DBG_EXCEPTIONS), rf = V(GUEST_RFLAGS);
	uint64_t intr = V(GUEST_INTERRUPTIBILITY_INFO), act = V(GUEST_ACTIVITY_STATE);
	CHECK(m, ENTRY_GUEST_PENDING_DBG_RESERVED, !(pd & 0xfffffffffffeaff0ull));   /* 63:17, 15, 13, 11:4 */
	if ((intr & 3) || act == 1) {
		bool btf = V(GUEST_IA32_DEBUGCTL) & 2, bs = pd & (1u << 14);
		if ((rf & RF_TF) && !btf)
			CHECK(m, ENTRY_GUEST_PENDING_DBG_BS_SET, bs);
		else
			CHECK(m, ENTRY_GUEST_PENDING_DBG_BS_CLEAR, !bs);
	}
	if (pd & (1u << 16))
		CHECK(m, ENTRY_GUEST_PENDING_DBG_RTM, !(pd & 0x4fffull) && !(intr & BLOCK_MOVSS));
}

/* 26.3.1.5: the VMCS link pointer (qualification 4). */
static void link_ptr(struct refvmm *m)
{
	const uint8_t *d = vmcs_cached(m);
	uint64_t lp = V(VMCS_LINK_POINTER);
	if (lp == ~0ull)
		return;
	bool a = CHECK(m, ENTRY_GUEST_LINK_PTR_ALIGN, !(lp & 0xfff));
	bool w = CHECK(m, ENTRY_GUEST_LINK_PTR_ADDR, addr_ok(m, lp));
	if (!a || !w)
		return;
	uint32_t rev = mem_read32(&m->mem, lp);
	CHECK(m, ENTRY_GUEST_LINK_PTR_REVISION, (rev & 0x7fffffffu) == caps_revision(&m->caps));
	CHECK(m, ENTRY_GUEST_LINK_PTR_SHADOW, !!(rev >> 31) == !!(eproc2(m, d) & P2_SHADOW));
}

/* 26.3.1.6: PAE paging (CR0.PG = 1, CR4.PAE = 1, not IA-32e mode). */
static void pdptes(struct refvmm *m)
{
	const uint8_t *d = vmcs_cached(m);
	if (!(V(GUEST_CR0) & CR0_PG) || !(V(GUEST_CR4) & CR4_PAE) || ia32e_guest(m, d))
		return;
	bool ok = true;
	if (eproc2(m, d) & P2_EPT) {
		static const enum vmcs_field f[4] = { VF_GUEST_PDPTR0, VF_GUEST_PDPTR1, VF_GUEST_PDPTR2, VF_GUEST_PDPTR3 };
		for (int i = 0; i < 4; i++)
			ok = ok && pae_pdpte_valid(&m->caps, vmcs_rd(m, d, f[i]));
		CHECK(m, ENTRY_GUEST_PDPTE_FIELD_RESERVED, ok);
		return;
	}
	uint64_t base = V(GUEST_CR3) & ~0x1full;
	for (int i = 0; i < 4; i++)
		ok = ok && pae_pdpte_valid(&m->caps, mem_read64(&m->mem, base + 8u * (uint64_t)i));
	CHECK(m, ENTRY_GUEST_PDPTE_RESERVED, ok);
}

void entry_check_guest(struct refvmm *m)
{
	regs(m);
	ext_msrs(m);
	entry_check_seg(m);
	dtr_rip(m);
	activity(m);
	interruptibility(m);
	pending_dbg(m);
	link_ptr(m);
	pdptes(m);
}

/* 26.3.2: load the guest state.  Segment registers, descriptor tables,
 * CRs, RSP/RIP/RFLAGS, the MSRs the entry controls name, non-register
 * state; PDPTEs need no model state (the model does not walk PAE tables). */
void entry_load_guest(struct refvmm *m)
{
	const uint8_t *d = vmcs_cached(m);
	struct cpu_state *c = &m->cpu;
	uint64_t en = V(VM_ENTRY_CONTROLS);
	static const enum vmcs_field sel[SEG_COUNT] = {
		VF_GUEST_ES_SELECTOR, VF_GUEST_CS_SELECTOR, VF_GUEST_SS_SELECTOR, VF_GUEST_DS_SELECTOR,
		VF_GUEST_FS_SELECTOR, VF_GUEST_GS_SELECTOR, VF_GUEST_LDTR_SELECTOR, VF_GUEST_TR_SELECTOR,
	};
	/* the base, limit and access-rights fields of register s follow the
	 * same ES..TR order in their groups of vmcs_fields.def */
	for (int s = 0; s < SEG_COUNT; s++) {
		c->seg[s].sel = (uint16_t)vmcs_rd(m, d, sel[s]);
		c->seg[s].base = vmcs_rd(m, d, (enum vmcs_field)(VF_GUEST_ES_BASE + s));
		c->seg[s].limit = (uint32_t)vmcs_rd(m, d, (enum vmcs_field)(VF_GUEST_ES_LIMIT + s));
		c->seg[s].ar = (uint32_t)vmcs_rd(m, d, (enum vmcs_field)(VF_GUEST_ES_AR_BYTES + s));
	}
	c->gdtr = (struct dtr){ V(GUEST_GDTR_BASE), (uint32_t)V(GUEST_GDTR_LIMIT) };
	c->idtr = (struct dtr){ V(GUEST_IDTR_BASE), (uint32_t)V(GUEST_IDTR_LIMIT) };
	c->cr0 = V(GUEST_CR0);
	c->cr3 = V(GUEST_CR3);
	c->cr4 = V(GUEST_CR4);
	c->gpr[RSP] = V(GUEST_RSP);
	c->rip = V(GUEST_RIP);
	c->rflags = V(GUEST_RFLAGS);
	c->cpl = (uint8_t)((c->seg[SEG_SS].ar >> 5) & 3);
	if (en & ENTRYC_LOAD_DEBUG) {
		c->dr[7] = V(GUEST_DR7);
		c->debugctl = V(GUEST_IA32_DEBUGCTL);
	}
	c->sysenter_cs = V(GUEST_SYSENTER_CS);
	c->sysenter_esp = V(GUEST_SYSENTER_ESP);
	c->sysenter_eip = V(GUEST_SYSENTER_EIP);
	if (en & ENTRYC_LOAD_PERF)
		c->perf_global_ctrl = V(GUEST_IA32_PERF_GLOBAL_CTRL);
	if (en & ENTRYC_LOAD_PAT)
		c->pat = V(GUEST_IA32_PAT);
	if (en & ENTRYC_LOAD_EFER) {
		c->efer = V(GUEST_IA32_EFER);
	} else {   /* 26.3.2.1: LMA and LME follow IA-32e mode guest */
		c->efer &= ~(EFER_LMA | EFER_LME);
		if (en & ENTRYC_IA32E)
			c->efer |= EFER_LMA | EFER_LME;
	}
	c->interruptibility = (uint32_t)V(GUEST_INTERRUPTIBILITY_INFO);
	c->activity = (uint32_t)V(GUEST_ACTIVITY_STATE);
	c->pending_dbg = V(GUEST_PENDING_DBG_EXCEPTIONS);
	c->nmi_blocked = c->interruptibility & BLOCK_NMI;
}
