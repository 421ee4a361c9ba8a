/* VM exits, SDM chapter 27: exit information (27.2), saving guest state
 * (27.3), MSR store (27.4), loading host state (27.5), MSR load and VMX
 * abort (27.5.x / 27.7). */
#include <string.h>
#include "entry.h"
#include "guest_priv.h"
#include "insn.h"

/* 27.2: fields the exit defines get their values; the qualification is
 * cleared for exits that define none (27.2.1); interruption and
 * IDT-vectoring information are marked invalid unless given (27.2.2,
 * 27.2.4).  Length and instruction information are left alone when
 * undefined. */
static void record_info(struct refvmm *m, const struct exit_info *e)
{
	uint8_t *d = vmcs_cached(m);   /* pinned by vmentry */
	vmcs_wr(m, d, VF_VM_EXIT_REASON, e->reason);
	vmcs_wr(m, d, VF_EXIT_QUALIFICATION, e->have & EXF_QUAL ? e->qual : 0);
	vmcs_wr(m, d, VF_VM_EXIT_INTR_INFO, e->have & EXF_INTR ? e->intr : 0);
	if (e->have & EXF_INTR_ERR)
		vmcs_wr(m, d, VF_VM_EXIT_INTR_ERROR_CODE, e->intr_err);
	vmcs_wr(m, d, VF_IDT_VECTORING_INFO_FIELD, e->have & EXF_IDT ? e->idt : 0);
	if (e->have & EXF_IDT_ERR)
		vmcs_wr(m, d, VF_IDT_VECTORING_ERROR_CODE, e->idt_err);
	if (e->have & EXF_LEN)
		vmcs_wr(m, d, VF_VM_EXIT_INSTRUCTION_LEN, e->len);
	if (e->have & EXF_INFO)
		vmcs_wr(m, d, VF_VMX_INSTRUCTION_INFO, e->info);
	if (e->have & EXF_GLA)
		vmcs_wr(m, d, VF_GUEST_LINEAR_ADDRESS, e->gla);
	if (e->have & EXF_GPA)
		vmcs_wr(m, d, VF_GUEST_PHYSICAL_ADDRESS, e->gpa);
}


/* 27.3.1-27.3.4: guest registers and non-register state. */
static void save_guest(struct refvmm *m, uint32_t exitc)
{
	uint8_t *d = vmcs_cached(m);   /* pinned by vmentry */
	const struct cpu_state *c = &m->cpu;
	vmcs_wr(m, d, VF_GUEST_CR0, c->cr0);
	vmcs_wr(m, d, VF_GUEST_CR3, c->cr3);
	vmcs_wr(m, d, VF_GUEST_CR4, c->cr4);
	if (!CHECK(m, EXIT_SAVE_DEBUG_CONTROLS, !(exitc & EXIT_SAVE_DEBUG))) {
		vmcs_wr(m, d, VF_GUEST_DR7, c->dr[7]);
		vmcs_wr(m, d, VF_GUEST_IA32_DEBUGCTL, c->debugctl);
	}
	vmcs_wr(m, d, VF_GUEST_RSP, c->gpr[RSP]);
	vmcs_wr(m, d, VF_GUEST_RIP, c->rip);
	vmcs_wr(m, d, VF_GUEST_RFLAGS, c->rflags);
	static const enum vmcs_field sel[SEG_COUNT] = {
		VF_GUEST_ES_SELECTOR, VF_GUEST_CS_SELECTOR, VF_GUEST_SS_SELECTOR, VF_GUEST_DS_SELECTOR,
		VF_GUEST_FS_SELECTOR, VF_GUEST_GS_SELECTOR, VF_GUEST_LDTR_SELECTOR, VF_GUEST_TR_SELECTOR,
	}, base[SEG_COUNT] = {
		VF_GUEST_ES_BASE, VF_GUEST_CS_BASE, VF_GUEST_SS_BASE, VF_GUEST_DS_BASE,
		VF_GUEST_FS_BASE, VF_GUEST_GS_BASE, VF_GUEST_LDTR_BASE, VF_GUEST_TR_BASE,
	}, lim[SEG_COUNT] = {
		VF_GUEST_ES_LIMIT, VF_GUEST_CS_LIMIT, VF_GUEST_SS_LIMIT, VF_GUEST_DS_LIMIT,
		VF_GUEST_FS_LIMIT, VF_GUEST_GS_LIMIT, VF_GUEST_LDTR_LIMIT, VF_GUEST_TR_LIMIT,
	}, ar[SEG_COUNT] = {
		VF_GUEST_ES_AR_BYTES, VF_GUEST_CS_AR_BYTES, VF_GUEST_SS_AR_BYTES, VF_GUEST_DS_AR_BYTES,
		VF_GUEST_FS_AR_BYTES, VF_GUEST_GS_AR_BYTES, VF_GUEST_LDTR_AR_BYTES, VF_GUEST_TR_AR_BYTES,
	};
	for (int s = 0; s < SEG_COUNT; s++) {
		vmcs_wr(m, d, sel[s], c->seg[s].sel);
		vmcs_wr(m, d, base[s], c->seg[s].base);
		vmcs_wr(m, d, lim[s], c->seg[s].limit);
		vmcs_wr(m, d, ar[s], c->seg[s].ar);
	}
	vmcs_wr(m, d, VF_GUEST_GDTR_BASE, c->gdtr.base);
	vmcs_wr(m, d, VF_GUEST_GDTR_LIMIT, c->gdtr.limit);
	vmcs_wr(m, d, VF_GUEST_IDTR_BASE, c->idtr.base);
	vmcs_wr(m, d, VF_GUEST_IDTR_LIMIT, c->idtr.limit);
	vmcs_wr(m, d, VF_GUEST_SYSENTER_CS, c->sysenter_cs);
	vmcs_wr(m, d, VF_GUEST_SYSENTER_ESP, c->sysenter_esp);
	vmcs_wr(m, d, VF_GUEST_SYSENTER_EIP, c->sysenter_eip);
	if (!CHECK(m, EXIT_SAVE_PAT, !(exitc & EXIT_SAVE_PAT)))
		vmcs_wr(m, d, VF_GUEST_IA32_PAT, c->pat);
	if (!CHECK(m, EXIT_SAVE_EFER, !(exitc & EXIT_SAVE_EFER)))
		vmcs_wr(m, d, VF_GUEST_IA32_EFER, c->efer);
	vmcs_wr(m, d, VF_GUEST_INTERRUPTIBILITY_INFO, c->interruptibility);
	vmcs_wr(m, d, VF_GUEST_ACTIVITY_STATE, c->activity);
	vmcs_wr(m, d, VF_GUEST_PENDING_DBG_EXCEPTIONS, c->pending_dbg);
}

/* 27.5.1-27.5.3: host state.  The rest of L1's state is what it was
 * before the entry (m->host). */
static void load_host(struct refvmm *m, uint32_t exitc)
{
	uint8_t *d = vmcs_cached(m);   /* pinned by vmentry */
	struct cpu_state *c = &m->cpu;
	/* *c = m->host but the GPRs: an exit leaves them as L2 had them
	 * (28.5.3; RSP is loaded below) */
	memcpy(&c->rip, &m->host.rip, opaque_size(sizeof *c - CPU_STATE_GPR_BYTES));
	c->cr0 = vmcs_rd(m, d, VF_HOST_CR0);
	c->cr3 = vmcs_rd(m, d, VF_HOST_CR3);
	c->cr4 = vmcs_rd(m, d, VF_HOST_CR4);
	c->dr[7] = 0x400;                  /* 27.5.1 */
	c->debugctl = 0;
	c->sysenter_cs = vmcs_rd(m, d, VF_HOST_IA32_SYSENTER_CS);
	c->sysenter_esp = vmcs_rd(m, d, VF_HOST_IA32_SYSENTER_ESP);
	c->sysenter_eip = vmcs_rd(m, d, VF_HOST_IA32_SYSENTER_EIP);
	c->gpr[RSP] = vmcs_rd(m, d, VF_HOST_RSP);
	c->rip = vmcs_rd(m, d, VF_HOST_RIP);
	c->rflags = 2;                     /* 27.5.3 */
	if (!CHECK(m, EXIT_HOST_LOAD_PAT, !(exitc & EXIT_LOAD_PAT)))
		c->pat = vmcs_rd(m, d, VF_HOST_IA32_PAT);
	if (exitc & EXIT_LOAD_PERF)
		c->perf_global_ctrl = vmcs_rd(m, d, VF_HOST_IA32_PERF_GLOBAL_CTRL);
	bool lm = exitc & EXIT_HOST_64;
	if (!CHECK(m, EXIT_HOST_LOAD_EFER, !(exitc & EXIT_LOAD_EFER)))
		c->efer = vmcs_rd(m, d, VF_HOST_IA32_EFER);
	else   /* 27.5.1: LMA and LME take the host address-space size */
		c->efer = (c->efer & ~0x500ull) | (lm ? 0x500 : 0);
	/* 27.5.2: selectors from the host fields; CS a 64-bit (or 32-bit)
	 * flat code segment, TR a busy 64-bit TSS, LDTR unusable. */
	static const enum vmcs_field sel[SEG_COUNT] = {
		VF_HOST_ES_SELECTOR, VF_HOST_CS_SELECTOR, VF_HOST_SS_SELECTOR, VF_HOST_DS_SELECTOR,
		VF_HOST_FS_SELECTOR, VF_HOST_GS_SELECTOR, VF_COUNT, VF_HOST_TR_SELECTOR,
	};
	for (int s = 0; s < SEG_COUNT; s++) {
		struct seg *g = &c->seg[s];
		g->sel = sel[s] == VF_COUNT ? 0 : (uint16_t)vmcs_rd(m, d, sel[s]);
		g->base = 0;
		g->limit = 0xffffffff;
		g->ar = g->sel ? 0xc093 : TM_AR_UNUSABLE;
	}
	c->seg[SEG_CS].ar = lm ? 0xa09b : 0xc09b;
	c->seg[SEG_SS].ar = 0xc093 | (c->seg[SEG_SS].sel ? 0 : TM_AR_UNUSABLE);
	c->seg[SEG_FS].base = vmcs_rd(m, d, VF_HOST_FS_BASE);
	c->seg[SEG_GS].base = vmcs_rd(m, d, VF_HOST_GS_BASE);
	c->seg[SEG_TR].base = vmcs_rd(m, d, VF_HOST_TR_BASE);
	c->seg[SEG_TR].limit = 0x67;
	c->seg[SEG_TR].ar = TM_AR_TSS64_BUSY;
	c->seg[SEG_LDTR].ar = TM_AR_UNUSABLE;
	c->seg[SEG_LDTR].limit = 0;
	c->gdtr = (struct dtr){ vmcs_rd(m, d, VF_HOST_GDTR_BASE), 0xffff };
	c->idtr = (struct dtr){ vmcs_rd(m, d, VF_HOST_IDTR_BASE), 0xffff };
	c->cpl = 0;
}

/* 27.6: the VM-exit MSR-load area; entries are 16 bytes: index [31:0],
 * reserved [63:32], data.  A bad entry is a VMX abort (indicator 4). */
static bool load_msrs(struct refvmm *m)
{
	uint64_t n = gv(m, VF_VM_EXIT_MSR_LOAD_COUNT), a = gv(m, VF_VM_EXIT_MSR_LOAD_ADDR);
	for (uint64_t i = 0; i < n && i < 512; i++) {
		uint64_t w0 = mem_read64(&m->mem, a + 16 * i), v = mem_read64(&m->mem, a + 16 * i + 8);
		uint32_t msr = (uint32_t)w0;
		/* 27.6: reserved bits, FS/GS base, x2APIC range, SMM monitor
		 * control, and MSRs a WRMSR would #GP on (VMX capabilities) */
		if (!CHECK(m, EXIT_ABORT_MSR_LOAD, (w0 >> 32) == 0 && msr >> 8 != 0x8 &&
			   msr != 0xc0000100 && msr != 0xc0000101 && msr != 0x9b &&
			   (msr < 0x480 || msr > 0x493)))
			return false;
		if (msr == 0xc0000080)
			m->cpu.efer = v;
		else if (msr == 0x277)
			m->cpu.pat = v;
	}
	return true;
}

/* L2's value of an MSR the model keeps; false when it keeps none. */
static bool msr_value(const struct cpu_state *c, uint32_t msr, uint64_t *v)
{
	switch (msr) {
	case 0x10: *v = c->tsc; return true;
	case 0x48: *v = c->spec_ctrl; return true;
	case 0x174: *v = c->sysenter_cs; return true;
	case 0x175: *v = c->sysenter_esp; return true;
	case 0x176: *v = c->sysenter_eip; return true;
	case 0x1d9: *v = c->debugctl; return true;
	case 0x277: *v = c->pat; return true;
	case 0xc0000080: *v = c->efer; return true;
	case 0xc0000081: *v = c->star; return true;
	case 0xc0000082: *v = c->lstar; return true;
	case 0xc0000083: *v = c->cstar; return true;
	case 0xc0000084: *v = c->fmask; return true;
	case 0xc0000100: *v = c->seg[SEG_FS].base; return true;
	case 0xc0000101: *v = c->seg[SEG_GS].base; return true;
	case 0xc0000102: *v = c->kernel_gs_base; return true;
	case 0xc0000103: *v = c->tsc_aux; return true;
	default: return false;
	}
}

/* 27.4: the VM-exit MSR-store area gets L2's MSR values; a bad entry
 * (reserved bits, x2APIC range, IA32_SMBASE) is a VMX abort with
 * indicator 1.  MSRs the model does not keep: unmodelled. */
static int store_msrs(struct refvmm *m)
{
	uint64_t n = gv(m, VF_VM_EXIT_MSR_STORE_COUNT), a = gv(m, VF_VM_EXIT_MSR_STORE_ADDR);
	for (uint64_t i = 0; i < n && i < 512; i++) {
		uint64_t w0 = mem_read64(&m->mem, a + 16 * i), v = 0;
		uint32_t msr = (uint32_t)w0;
		if (!CHECK(m, EXIT_ABORT_MSR_STORE, (w0 >> 32) == 0 && msr >> 8 != 0x8 && msr != 0x9e))
			return -1;
		if (!msr_value(&m->cpu, msr, &v))
			return 1;
		(void)mem_write64(&m->mem, a + 16 * i + 8, v);
	}
	return 0;
}

/* 27.7: VMX abort: the indicator goes to the VMCS region (offset 4). */
static void vmx_abort(struct refvmm *m, uint32_t indicator)
{
	(void)mem_write32(&m->mem, m->vmx.current + 4, indicator);
	if (m->res) {
		m->res->nalt = 1;
		m->res->alt[0] = (struct outcome){ .kind = OUT_ABORT, .num = indicator };
	}
}

/* 27.5.4: an exit to a host with PAE paging (host CR4.PAE = 1, host
 * address-space size 0) must check the PDPTEs at host CR3 when PAE paging
 * was not in use before the exit or CR3 changes, and may check them
 * otherwise; the checks of MOV to CR3 (4.4.1), a failure a VMX abort with
 * indicator 2 (27.7).  0: the PDPTEs load; 1: they may (the SDM allows an
 * abort too); 2: abort. */
static int host_pdptes(struct refvmm *m, uint32_t exitc, bool was_pae, uint64_t was_cr3)
{
	uint64_t cr3 = gv(m, VF_HOST_CR3);
	if (exitc & EXIT_HOST_64 || !(gv(m, VF_HOST_CR4) & (1u << 5)))
		return 0;
	if (CHECK(m, EXIT_ABORT_HOST_PDPTE, l1_pdptes_ok(m, cr3)))
		return 0;
	return !was_pae || was_cr3 != cr3 ? 2 : 1;
}

/* L1's state from the host-state area, then the MSR-load area.  0 after
 * a VMX abort, 1 when L1 runs on, 2 when it runs on but a VMX abort is
 * allowed as well (host_pdptes). */
static int leave_nonroot(struct refvmm *m)
{
	uint32_t exitc = (uint32_t)gv(m, VF_VM_EXIT_CONTROLS);
	const struct cpu_state *c = &m->cpu;
	bool was_pae = (c->cr0 >> 31 & 1) && (c->cr4 >> 5 & 1) && !(c->efer >> 10 & 1);
	uint64_t was_cr3 = c->cr3;
	load_host(m, exitc);
	m->vmx.nonroot = false;
	int pdpte = host_pdptes(m, exitc, was_pae, was_cr3);
	if (pdpte == 2) {
		vmx_abort(m, 2);
		return 0;
	}
	if (!load_msrs(m)) {
		vmx_abort(m, 4);
		return 0;
	}
	return pdpte ? 2 : 1;
}

/* Exits whose instruction length is that of an instruction the guest
 * executed and that a hypervisor skips on resume (DESIGN.md). */
static bool advances(uint32_t reason)
{
	return reason != XR_EXCEPTION_NMI && reason != XR_TASK_SWITCH &&
	       reason != XR_EPT_VIOLATION && reason != XR_APIC_ACCESS;
}

void vmexit(struct refvmm *m, const struct exit_info *e)
{
	uint32_t exitc = (uint32_t)gv(m, VF_VM_EXIT_CONTROLS);
	guest_gpr_exit(m);   /* the GPRs L1 finds (all but RSP are L2's) */
	record_info(m, e);
	/* 27.2.x: every VM exit clears the valid bit of the VM-entry
	 * interruption-information field */
	gw(m, VF_VM_ENTRY_INTR_INFO_FIELD, gv(m, VF_VM_ENTRY_INTR_INFO_FIELD) & ~(1ull << 31));
	save_guest(m, exitc);
	int st = store_msrs(m);
	if (st > 0) {
		m->cpu = m->host;
		m->vmx.exit_gpr_unknown = 0xffff;
		m->vmx.nonroot = false;
		if (m->res) {
			m->res->nalt = 1;
			m->res->alt[0] = (struct outcome){ .kind = OUT_UNMODELLED };
		}
		return;
	}
	if (st < 0) {
		load_host(m, exitc);
		m->vmx.nonroot = false;
		vmx_abort(m, 1);
		return;
	}
	/* 27.3.4 "save VMX-preemption timer value": the model's timer does
	 * not count, so the saved value is the loaded one (already there) */
	m->vmx.exit_advance = e->have & EXF_LEN && advances(e->reason) ? (uint8_t)e->len : 0;
	m->vmx.guest_rip_written = false;
	int left = leave_nonroot(m);
	if (!left)
		return;
	if (m->res) {
		m->res->nalt = 1;
		m->res->alt[0] = (struct outcome){
			.kind = OUT_EXIT, .num = e->reason & 0xffff, .have = e->have,
			.qual = e->qual, .gpa = e->gpa, .gla = e->gla, .len = e->len, .info = e->info,
			.intr = e->intr, .intr_err = e->intr_err, .idt = e->idt, .idt_err = e->idt_err,
		};
	}
	if (left == 2)
		result_add_alt(m, (struct outcome){ .kind = OUT_ABORT, .num = 2 });
}

/* 26.8: VM-entry failure after the guest-state checks: reason with bit 31,
 * the qualification; no guest state is saved; host state is loaded. */
void vmexit_entry_fail(struct refvmm *m, uint32_t reason, uint64_t qual)
{
	guest_gpr_entry_failed(m);
	gw(m, VF_VM_EXIT_REASON, reason | 1u << 31);
	gw(m, VF_EXIT_QUALIFICATION, qual);
	m->vmx.exit_advance = 0;
	m->vmx.guest_rip_written = false;
	int left = leave_nonroot(m);
	if (!left)
		return;
	if (m->res) {
		m->res->nalt = 1;
		m->res->alt[0] = (struct outcome){ .kind = OUT_ENTRY_FAIL, .num = reason & 0xffff,
						   .have = EXF_QUAL, .qual = qual };
	}
	if (left == 2)
		result_add_alt(m, (struct outcome){ .kind = OUT_ABORT, .num = 2 });
}
