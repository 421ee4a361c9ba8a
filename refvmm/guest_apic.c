/* APIC virtualization in VMX non-root operation, SDM chapter 29, as far as
 * the model goes: the TPR shadow (VTPR, offset 80H of the virtual-APIC
 * page) behind MOV CR8 (29.3) and behind RDMSR/WRMSR of the x2APIC TPR
 * (29.5); TPR virtualization (29.1.2) with its TPR-threshold exit, or with
 * virtual-interrupt delivery PPR virtualization (29.1.3) and the delivery
 * of a recognized virtual interrupt (29.2); the same at VM entry (26.7.7).
 * EOI and self-IPI virtualization (29.1.4, 29.1.5) through the x2APIC MSRs,
 * their reads with APIC-register virtualization, and a HLT that a virtual
 * interrupt ends.  Not modelled (G_UNMODELLED or not reached): APIC-access
 * page accesses (29.4), x2APIC MSR writes other than TPR/EOI/self-IPI,
 * posted interrupts, and CR8 without the TPR shadow (the local APIC). */
#include "ept.h"
#include "guest_priv.h"

#define APIC_VTPR 0x80
#define ACTIVITY_SHUTDOWN 2   /* activity states, Table 24-3: 2 shutdown, 3 wait-for-SIPI */

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

/* "TPR below threshold" (qualification 0) and "virtualized EOI"
 * (qualification: the vector) exits: no instruction length (27.2.1,
 * 27.2.5). */
static enum gstep apic_exit(struct refvmm *m, uint32_t reason, uint64_t qual)
{
	struct exit_info e = { .reason = reason, .have = EXF_QUAL, .qual = qual };
	vmexit(m, &e);
	return G_EXITED;
}

/* The same after the instruction that caused it: trap-like, the saved RIP
 * is the next instruction (29.1.2, 29.1.4). */
static enum gstep apic_trap_exit(struct refvmm *m, uint32_t reason, uint64_t qual)
{
	m->cpu.rip += guest_cur_len(m);
	m->cpu.interruptibility &= ~(BLOCK_STI | BLOCK_MOVSS);   /* expired with the instruction */
	return apic_exit(m, reason, qual);
}

/* MOV from CR8 with "use TPR shadow" (29.3): VTPR[7:4] zero-extended. */
enum gstep apic_cr8_store(struct refvmm *m)
{
	if (!(proc(m) & PROC_TPR_SHADOW))
		return G_UNMODELLED;   /* the local APIC's TPR: no APIC in the model */
	CHECK(m, APIC_CR8_STORE_VTPR, false);
	m->cpu.gpr[RAX] = vtpr_class(m);
	guest_gpr_computed(m, RAX);
	return G_NEXT;
}

/* ---- virtual-interrupt delivery (29.1.3, 29.2) ----
 * RVI and SVI live in the guest interrupt status (bits 7:0, 15:8); VPPR,
 * VISR and VIRR in the virtual-APIC page.  Whether a virtual interrupt is
 * recognized (29.2.1) is recomputed at each instruction boundary from RVI
 * and VPPR: in the model both change only where the SDM evaluates pending
 * virtual interrupts (VM entry, TPR virtualization, delivery), so that is
 * the same thing unless L2 stores into the virtual-APIC page itself. */
#define APIC_VPPR 0xa0
#define APIC_VISR 0x100
#define APIC_VIRR 0x200

static uint32_t intr_status(const struct refvmm *m)
{
	return (uint32_t)gv(m, VF_GUEST_INTR_STATUS);
}

/* 29.1.3: VPPR := VTPR when VTPR[7:4] >= SVI[7:4], else SVI & F0H. */
static void ppr_virtualize(struct refvmm *m)
{
	uint32_t vtpr = mem_read32(&m->mem, vapic(m) + APIC_VTPR) & 0xff, svi = intr_status(m) >> 8 & 0xff;
	CHECK(m, APIC_VID_PPR, false);
	(void)mem_write32(&m->mem, vapic(m) + APIC_VPPR, (vtpr >> 4) >= (svi >> 4) ? vtpr : svi & 0xf0);
}

/* Bit v of a 256-bit APIC register array (eight 32-bit registers 16 bytes
 * apart). */
static uint64_t vec_reg(const struct refvmm *m, uint32_t base, uint32_t v)
{
	return vapic(m) + base + 16 * (v / 32);
}

static void vec_set(struct refvmm *m, uint32_t base, uint32_t v, bool on)
{
	uint64_t a = vec_reg(m, base, v);
	uint32_t r = mem_read32(&m->mem, a), bit = 1u << (v % 32);
	(void)mem_write32(&m->mem, a, on ? r | bit : r & ~bit);
}

static uint32_t vec_highest(const struct refvmm *m, uint32_t base)
{
	for (uint32_t i = 8; i-- > 0;) {
		uint32_t r = mem_read32(&m->mem, vapic(m) + base + 16 * i);
		for (uint32_t b = 32; r && b-- > 0;)
			if (r >> b & 1)
				return i * 32 + b;
	}
	return 0;
}

/* 29.2.2: at an instruction boundary, a recognized virtual interrupt
 * (RVI[7:4] > VPPR[7:4], 29.2.1) is delivered when RFLAGS.IF = 1, there is
 * no blocking by STI or MOV SS and "interrupt-window exiting" is 0 (it has
 * the interrupt window's priority, below the NMI window). */
static bool deliverable(const struct refvmm *m)
{
	uint32_t v = intr_status(m) & 0xff, vppr = mem_read32(&m->mem, vapic(m) + APIC_VPPR);
	return (proc2(m) & PROC2_VID) && (v >> 4) > (vppr >> 4 & 0xf) &&
	       (m->cpu.rflags & RFLAGS_IF) && !(proc(m) & PROC_INTR_WINDOW);
}

enum gstep apic_virtual_intr(struct refvmm *m)
{
	if (!(proc2(m) & PROC2_VID))
		return G_NEXT;
	uint32_t v = intr_status(m) & 0xff;
	bool deliver = deliverable(m) && !(m->cpu.interruptibility & (BLOCK_STI | BLOCK_MOVSS));
	if (CHECK(m, APIC_VID_DELIVERY, !deliver))
		return G_NEXT;
	if (proc(m) & PROC_MTF)
		return G_UNMODELLED;   /* the MTF exit after the delivery (25.5.2) */
	vec_set(m, APIC_VISR, v, true);
	(void)mem_write32(&m->mem, vapic(m) + APIC_VPPR, v & 0xf0);
	vec_set(m, APIC_VIRR, v, false);
	gw(m, VF_GUEST_INTR_STATUS, v << 8 | vec_highest(m, APIC_VIRR));
	return guest_deliver(m, (struct gevent){ (uint8_t)v, IT_EXT, false, 0, m->cpu.rip });
}

/* HLT (no HLT exiting): a virtual interrupt that will be deliverable once
 * the instruction completes (blocking by STI or MOV SS ends with it) takes
 * the processor out of the HLT state at once and is delivered with the
 * instruction after HLT as its return address (29.2.2).  Anything else
 * would wait for an event the model has no source of. */
enum gstep apic_hlt(struct refvmm *m)
{
	if (CHECK(m, APIC_VID_HLT_WAKE, !deliverable(m)))
		return G_UNMODELLED;
	return G_NEXT;
}

/* TPR virtualization after a write to VTPR (29.1.2): with virtual-interrupt
 * delivery, PPR virtualization (a recognized interrupt is then delivered
 * at the next boundary); without it, the TPR-threshold check, whose exit
 * is trap-like: the instruction completed, the saved RIP is the next one. */
static enum gstep tpr_virtualize(struct refvmm *m)
{
	if (proc2(m) & PROC2_VID) {
		ppr_virtualize(m);
		return G_NEXT;
	}
	if (CHECK(m, APIC_TPR_BELOW_THRESHOLD, !below_threshold(m)))
		return G_NEXT;
	return apic_trap_exit(m, XR_TPR_BELOW_THRESHOLD, 0);
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

/* 29.1.4: EOI virtualization: the vector in service (SVI) leaves VISR,
 * SVI becomes the highest one left, PPR virtualization; then a trap-like
 * "virtualized EOI" exit when the vector's EOI-exit-bitmap bit is 1, else
 * the evaluation of pending virtual interrupts. */
static enum gstep eoi_virtualize(struct refvmm *m)
{
	static const enum vmcs_field eoi_exit[4] = {
		VF_EOI_EXIT_BITMAP0, VF_EOI_EXIT_BITMAP1, VF_EOI_EXIT_BITMAP2, VF_EOI_EXIT_BITMAP3,
	};
	uint32_t v = intr_status(m) >> 8 & 0xff;
	vec_set(m, APIC_VISR, v, false);
	gw(m, VF_GUEST_INTR_STATUS, vec_highest(m, APIC_VISR) << 8 | (intr_status(m) & 0xff));
	ppr_virtualize(m);
	if (CHECK(m, APIC_VID_EOI_EXIT, !(gv(m, eoi_exit[v / 64]) >> (v % 64) & 1)))
		return G_NEXT;
	return apic_trap_exit(m, XR_VIRTUALIZED_EOI, v);
}

/* 29.1.5: self-IPI virtualization: VIRR[v] := 1, RVI := max(RVI, v), then
 * the evaluation of pending virtual interrupts. */
static void self_ipi_virtualize(struct refvmm *m, uint32_t v)
{
	uint32_t st = intr_status(m);
	vec_set(m, APIC_VIRR, v, true);
	gw(m, VF_GUEST_INTR_STATUS, (st & 0xff00) | ((st & 0xff) > v ? (st & 0xff) : v));
}

/* 29.5: with "virtualize x2APIC mode", an RDMSR/WRMSR that the MSR bitmap
 * lets through accesses the virtual APIC for the TPR MSR (808H), whatever
 * mode the local APIC is in, and with virtual-interrupt delivery also
 * for the EOI (80BH) and self-IPI (83FH) MSRs; with APIC-register
 * virtualization, RDMSR of any of 800H-8FFH reads the page.  Other
 * writes, a self-IPI below vector 16 (an APIC-write exit) and the real
 * local APIC are not modelled. */
#define MSR_X2APIC_TPR 0x808u
#define MSR_X2APIC_EOI 0x80bu
#define MSR_X2APIC_SELF_IPI 0x83fu

static bool x2apic_tpr(const struct refvmm *m, uint32_t msr)
{
	return msr == MSR_X2APIC_TPR && (proc2(m) & PROC2_X2APIC_MODE);
}

/* RDMSR 808H, and with APIC-register virtualization any of 800H-8FFH:
 * EDX:EAX := the 8 bytes at offset (ECX & FFH) << 4. */
enum gstep apic_rdmsr(struct refvmm *m, uint32_t msr)
{
	bool reg = (proc2(m) & PROC2_X2APIC_MODE) && (proc2(m) & PROC2_APIC_REG) && (msr >> 8) == 8;
	if (!x2apic_tpr(m, msr) && CHECK(m, APIC_X2APIC_REG_READ, !reg))
		return G_UNMODELLED;
	if (msr == MSR_X2APIC_TPR)
		CHECK(m, APIC_X2APIC_TPR_READ, false);
	uint64_t a = vapic(m) + ((msr & 0xff) << 4);
	m->cpu.gpr[RAX] = mem_read32(&m->mem, a);
	m->cpu.gpr[RDX] = mem_read32(&m->mem, a + 4);
	guest_gpr_computed(m, RAX);
	guest_gpr_computed(m, RDX);
	return G_NEXT;
}

/* WRMSR 80BH (EDX:EAX must be 0) and 83FH (bits 63:8 must be 0), with
 * virtual-interrupt delivery: EOI and self-IPI virtualization. */
static enum gstep wrmsr_vid(struct refvmm *m, uint32_t msr, uint64_t v)
{
	if (!(proc2(m) & PROC2_X2APIC_MODE) || !(proc2(m) & PROC2_VID))
		return G_UNMODELLED;
	if (msr == MSR_X2APIC_EOI) {
		if (!CHECK(m, APIC_X2APIC_EOI_RESERVED, v == 0))
			return guest_exception(m, 13, true, 0);
		CHECK(m, APIC_X2APIC_EOI, false);
		return eoi_virtualize(m);
	}
	if (msr != MSR_X2APIC_SELF_IPI)
		return G_UNMODELLED;
	if (!CHECK(m, APIC_X2APIC_SELF_IPI_RESERVED, !(v >> 8)))
		return guest_exception(m, 13, true, 0);
	if (v < 16)
		return G_UNMODELLED;   /* an APIC-write exit */
	CHECK(m, APIC_X2APIC_SELF_IPI, false);
	self_ipi_virtualize(m, (uint32_t)v);
	return G_NEXT;
}

/* WRMSR 808H: bits 63:8 of EDX:EAX set is #GP(0); otherwise VTPR := EAX,
 * bytes 84H-87H := 0, then TPR virtualization. */
enum gstep apic_wrmsr(struct refvmm *m, uint32_t msr, uint64_t v)
{
	if (!x2apic_tpr(m, msr))
		return wrmsr_vid(m, msr, v);
	if (!CHECK(m, APIC_X2APIC_TPR_RESERVED, !(v >> 8)))
		return guest_exception(m, 13, true, 0);
	CHECK(m, APIC_X2APIC_TPR_WRITE, false);
	(void)mem_write32(&m->mem, vapic(m) + APIC_VTPR, (uint32_t)v);
	(void)mem_write32(&m->mem, vapic(m) + APIC_VTPR + 4, 0);
	return tpr_virtualize(m);
}

/* ---- memory-mapped APIC accesses with the TPR shadow (29.4.2, 29.4.3) ----
 * The registers a virtualized access may touch, one bit per 16-byte slot
 * of the page (bit n: offset 16n); an access must lie in the low 4 bytes
 * of its slot (APIC.ACCESS.SIZE). */
#define APIC_VEOI 0xb0
#define APIC_VICR_LO 0x300
#define APIC_VICR_HI 0x310
#define SLOT(off) (1ull << ((off) >> 4))
#define SLOTS(lo, hi) ((SLOT(hi) << 1) - SLOT(lo))
/* 29.4.3.1, with APIC-register virtualization: ID, TPR, EOI, LDR, DFR,
 * SVR, ESR, ICR low and high, the LVT (320H-370H), initial count, divide
 * configuration. */
static const uint64_t apic_write_regs = SLOT(0x20) | SLOT(0x80) | SLOT(0xb0) | SLOTS(0xd0, 0xf0) |
					SLOT(0x280) | SLOTS(0x300, 0x380) | SLOT(0x3e0);
/* 29.4.2: reads also of the version, ISR, TMR and IRR. */
static const uint64_t apic_read_regs = SLOT(0x20) | SLOT(0x80) | SLOT(0xb0) | SLOTS(0xd0, 0xf0) |
				       SLOT(0x280) | SLOTS(0x300, 0x380) | SLOT(0x3e0) |
				       SLOT(0x30) | SLOTS(0x100, 0x270);

static bool in_regs(uint64_t regs, uint32_t off)
{
	return off < 0x400 && (regs >> (off >> 4) & 1);
}

static bool read_virtualized(const struct refvmm *m, uint32_t off)
{
	return proc2(m) & PROC2_APIC_REG ? in_regs(apic_read_regs, off) : off == APIC_VTPR;
}

static bool write_virtualized(const struct refvmm *m, uint32_t off)
{
	if (proc2(m) & PROC2_APIC_REG)
		return in_regs(apic_write_regs, off);
	if (proc2(m) & PROC2_VID)
		return off == APIC_VTPR || off == APIC_VEOI || off == APIC_VICR_LO;
	return off == APIC_VTPR;
}

enum gstep apic_data_access(struct refvmm *m, uint64_t la, uint8_t type, unsigned size,
			    uint64_t *hpa, int *vwrite)
{
	uint32_t off = la & 0xfff;
	bool write = type & EPT_ACC_WRITE;
	if (write && !vwrite)
		return G_UNMODELLED;
	if (!CHECK(m, APIC_ACCESS_SIZE, size <= 4 && (off & 0xf) + size <= 4) ||
	    !(write ? CHECK(m, APIC_ACCESS_WRITE_OFFSET, write_virtualized(m, off))
		    : CHECK(m, APIC_ACCESS_READ_OFFSET, read_virtualized(m, off))))
		return apic_exit(m, XR_APIC_ACCESS, off | (uint64_t)write << 12);
	if (write) {
		CHECK(m, APIC_ACCESS_WRITE_VIRT, false);
		*vwrite = (int)off;
	} else {
		CHECK(m, APIC_ACCESS_READ_VIRT, false);
	}
	*hpa = vapic(m) + off;
	return G_NEXT;
}

/* 29.4.3.2: VICR_LO describes a fixed, edge-triggered self IPI with a
 * vector of 16 or more and no reserved or delivery-status bit set. */
static bool self_ipi_icr(uint32_t icr)
{
	return !(icr & 0xfff3b700u) && (icr >> 18 & 3) == 1 && (icr & 0xf0);
}

enum gstep apic_write_emulation(struct refvmm *m, uint32_t off)
{
	uint64_t page = vapic(m);
	bool vid = proc2(m) & PROC2_VID;
	if (off == APIC_VTPR) {
		CHECK(m, APIC_WRITE_TPR, false);
		(void)mem_write32(&m->mem, page + APIC_VTPR, mem_read32(&m->mem, page + APIC_VTPR) & 0xff);
		return tpr_virtualize(m);
	}
	if (off == APIC_VEOI && vid) {
		CHECK(m, APIC_WRITE_EOI, false);
		(void)mem_write32(&m->mem, page + APIC_VEOI, 0);
		return eoi_virtualize(m);
	}
	uint32_t icr = mem_read32(&m->mem, page + APIC_VICR_LO);
	if (off == APIC_VICR_LO && vid && self_ipi_icr(icr)) {
		CHECK(m, APIC_WRITE_SELF_IPI, false);
		self_ipi_virtualize(m, icr & 0xff);
		return G_NEXT;
	}
	if (off >= APIC_VICR_HI && off < APIC_VICR_HI + 4) {
		CHECK(m, APIC_WRITE_ICR_HI, false);
		(void)mem_write32(&m->mem, page + APIC_VICR_HI, mem_read32(&m->mem, page + APIC_VICR_HI) & 0xff000000u);
		return G_NEXT;
	}
	CHECK(m, APIC_WRITE_EXIT, false);
	return apic_trap_exit(m, XR_APIC_WRITE, off);
}

/* 26.7.7: with "use TPR shadow", VM entry (after any injected event's
 * delivery) performs PPR virtualization and evaluates pending virtual
 * interrupts when virtual-interrupt delivery is 1; otherwise a VM exit
 * follows when the threshold is above VTPR[7:4] (without "virtualize APIC
 * accesses" the entry check ENTRY.CTL.TPR_THRESHOLD_VTPR has already
 * refused that VMCS).  That exit comes before a pending MTF exit, the
 * preemption timer and the NMI and interrupt windows, and RFLAGS.IF and
 * the interruptibility state do not block it. */
enum gstep apic_tpr_on_entry(struct refvmm *m)
{
	if (!(proc(m) & PROC_TPR_SHADOW))
		return G_NEXT;
	if (proc2(m) & PROC2_VID) {   /* 26.7.7: PPR virtualization, evaluation */
		ppr_virtualize(m);
		return G_NEXT;
	}
	if (CHECK(m, APIC_TPR_THRESHOLD_ON_ENTRY, !below_threshold(m)))
		return G_NEXT;
	/* it wakes HLT, but not shutdown or wait-for-SIPI: it is held until
	 * an event leaves those states, which the model has no source of */
	if (m->cpu.activity >= ACTIVITY_SHUTDOWN)
		return G_UNMODELLED;
	return apic_exit(m, XR_TPR_BELOW_THRESHOLD, 0);
}
