/* APIC virtualization in VMX non-root operation, SDM chapter 29, as far as
 * the model goes: the TPR shadow (VTPR, offset 80H of the virtual-APIC
 * page) behind MOV CR8 (29.3) and behind RDMSR/WRMSR of the x2APIC TPR
 * (29.5), TPR virtualization without virtual-interrupt delivery (29.1.2),
 * and the TPR-threshold exit right after VM entry (26.7.7).  PPR virtualization and virtual-interrupt delivery are not
 * modelled (G_UNMODELLED). */
#include "guest_priv.h"

#define APIC_VTPR 0x80

static uint64_t vapic(const struct refvmm *m)
{
	return gv(m, VF_VIRTUAL_APIC_PAGE_ADDR);
}

/* VTPR[7:4], the virtual task priority class. */
static uint32_t vtpr_class(const struct refvmm *m)
{
	return mem_read32(&m->mem, vapic(m) + APIC_VTPR) >> 4 & 0xf;
}

/* 29.1.2 (without virtual-interrupt delivery) and 26.7.7 compare the same
 * two numbers: TPR threshold[3:0] above VTPR[7:4]. */
static bool below_threshold(const struct refvmm *m)
{
	return vtpr_class(m) < (gv(m, VF_TPR_THRESHOLD) & 0xf);
}

/* A "TPR below threshold" exit: qualification 0, no instruction length
 * (27.2.1, 27.2.5). */
static enum gstep tpr_exit(struct refvmm *m)
{
	struct exit_info e = { .reason = XR_TPR_BELOW_THRESHOLD, .have = EXF_QUAL };
	vmexit(m, &e);
	return G_EXITED;
}

/* MOV from CR8 with "use TPR shadow" (29.3): VTPR[7:4] zero-extended. */
enum gstep apic_cr8_store(struct refvmm *m)
{
	if (!(proc(m) & PROC_TPR_SHADOW))
		return G_UNMODELLED;   /* the local APIC's TPR: no APIC in the model */
	CHECK(m, APIC_CR8_STORE_VTPR, false);
	m->cpu.gpr[RAX] = vtpr_class(m);
	return G_NEXT;
}

/* TPR virtualization after a write to VTPR (29.1.2).  Its exit is
 * trap-like: the instruction completed, the saved RIP is the next one. */
static enum gstep tpr_virtualize(struct refvmm *m)
{
	if (proc2(m) & PROC2_VID)
		return G_UNMODELLED;   /* PPR virtualization, virtual interrupts */
	if (CHECK(m, APIC_TPR_BELOW_THRESHOLD, !below_threshold(m)))
		return G_NEXT;
	m->cpu.rip += guest_cur_len(m);
	m->cpu.interruptibility &= ~(BLOCK_STI | BLOCK_MOVSS);   /* expired with the instruction */
	return tpr_exit(m);
}

/* MOV to CR8 (after the CR8-load exiting check): bits 63:4 set is #GP(0);
 * with "use TPR shadow", VTPR := source[3:0] << 4 (bits 3:0 and 31:8
 * cleared), then TPR virtualization (29.3). */
enum gstep apic_cr8_load(struct refvmm *m, uint64_t v)
{
	if (!CHECK(m, APIC_CR8_RESERVED, !(v >> 4)))
		return guest_exception(m, 13, true, 0);
	if (!(proc(m) & PROC_TPR_SHADOW))
		return G_UNMODELLED;
	CHECK(m, APIC_CR8_LOAD_VTPR, false);
	(void)mem_write32(&m->mem, vapic(m) + APIC_VTPR, (uint32_t)(v & 0xf) << 4);
	return tpr_virtualize(m);
}

/* 29.5: with "virtualize x2APIC mode", an RDMSR/WRMSR of the TPR MSR
 * (808H) that the MSR bitmap lets through accesses VTPR, whatever mode
 * the local APIC is in.  The other x2APIC MSRs (APIC-register
 * virtualization, EOI and self-IPI virtualization) and the real local
 * APIC are not modelled. */
#define MSR_X2APIC_TPR 0x808u

static bool x2apic_tpr(const struct refvmm *m, uint32_t msr)
{
	return msr == MSR_X2APIC_TPR && (proc2(m) & PROC2_X2APIC_MODE);
}

/* RDMSR 808H: EDX:EAX := the 8 bytes at offset 80H. */
enum gstep apic_rdmsr(struct refvmm *m, uint32_t msr)
{
	if (!x2apic_tpr(m, msr))
		return G_UNMODELLED;
	CHECK(m, APIC_X2APIC_TPR_READ, false);
	m->cpu.gpr[RAX] = mem_read32(&m->mem, vapic(m) + APIC_VTPR);
	m->cpu.gpr[RDX] = mem_read32(&m->mem, vapic(m) + APIC_VTPR + 4);
	return G_NEXT;
}

/* WRMSR 808H: bits 63:8 of EDX:EAX set is #GP(0); otherwise VTPR := EAX,
 * bytes 84H-87H := 0, then TPR virtualization. */
enum gstep apic_wrmsr(struct refvmm *m, uint32_t msr, uint64_t v)
{
	if (!x2apic_tpr(m, msr))
		return G_UNMODELLED;
	if (!CHECK(m, APIC_X2APIC_TPR_RESERVED, !(v >> 8)))
		return guest_exception(m, 13, true, 0);
	CHECK(m, APIC_X2APIC_TPR_WRITE, false);
	(void)mem_write32(&m->mem, vapic(m) + APIC_VTPR, (uint32_t)v);
	(void)mem_write32(&m->mem, vapic(m) + APIC_VTPR + 4, 0);
	return tpr_virtualize(m);
}

/* 26.7.7: with "use TPR shadow" and without virtual-interrupt delivery, a
 * VM exit follows VM entry (and any injected event's delivery) when the
 * threshold is above VTPR[7:4].  Without "virtualize APIC accesses" the
 * entry check ENTRY.CTL.TPR_THRESHOLD_VTPR already refused that VMCS.
 * It comes before a pending MTF exit, the preemption timer and the NMI and
 * interrupt windows; it is not blocked by RFLAGS.IF or interruptibility. */
enum gstep apic_tpr_on_entry(struct refvmm *m)
{
	if (!(proc(m) & PROC_TPR_SHADOW) || (proc2(m) & PROC2_VID))
		return G_NEXT;
	if (CHECK(m, APIC_TPR_THRESHOLD_ON_ENTRY, !below_threshold(m)))
		return G_NEXT;
	return tpr_exit(m);
}
