/* RDMSR and WRMSR executed by L1 (SDM vol. 2 RDMSR/WRMSR; vol. 4 for the
 * MSRs; Appendix A for the VMX capability MSRs; 23.7 for
 * IA32_FEATURE_CONTROL).  The model knows the MSRs below and the
 * capability MSRs the profile reports; any other MSR is #GP(0), as Bochs
 * does with ignore_bad_msrs=0.  Not modelled because no profile field says
 * whether the CPU has them: IA32_SPEC_CTRL (CPUID.7.EDX), IA32_BNDCFGS
 * (MPX) and IA32_PERF_GLOBAL_CTRL (CPUID.0AH). */
#include "insn.h"

#define MSR_TSC            0x10u
#define MSR_SYSENTER_CS    0x174u
#define MSR_SYSENTER_ESP   0x175u
#define MSR_SYSENTER_EIP   0x176u
#define MSR_DEBUGCTL       0x1d9u
#define MSR_PAT            0x277u
#define MSR_EFER           0xc0000080u
#define MSR_STAR           0xc0000081u
#define MSR_LSTAR          0xc0000082u
#define MSR_CSTAR          0xc0000083u
#define MSR_FMASK          0xc0000084u
#define MSR_FS_BASE        0xc0000100u
#define MSR_GS_BASE        0xc0000101u
#define MSR_KERNEL_GS_BASE 0xc0000102u
#define MSR_TSC_AUX        0xc0000103u


static uint64_t *msr_slot(struct refvmm *m, uint32_t msr)
{
	struct cpu_state *c = &m->cpu;
	switch (msr) {
	case MSR_IA32_FEATURE_CONTROL: return &c->feature_control;
	case MSR_TSC: return &c->tsc;
	case MSR_SYSENTER_CS: return &c->sysenter_cs;
	case MSR_SYSENTER_ESP: return &c->sysenter_esp;
	case MSR_SYSENTER_EIP: return &c->sysenter_eip;
	case MSR_DEBUGCTL: return &c->debugctl;
	case MSR_PAT: return &c->pat;
	case MSR_EFER: return &c->efer;
	case MSR_STAR: return &c->star;
	case MSR_LSTAR: return &c->lstar;
	case MSR_CSTAR: return &c->cstar;
	case MSR_FMASK: return &c->fmask;
	case MSR_FS_BASE: return &c->seg[SEG_FS].base;
	case MSR_GS_BASE: return &c->seg[SEG_GS].base;
	case MSR_KERNEL_GS_BASE: return &c->kernel_gs_base;
	case MSR_TSC_AUX: return &c->tsc_aux;
	default: return NULL;
	}
}

static bool is_cap_msr(uint32_t msr)
{
	return msr >= CAP_MSR_FIRST && msr < CAP_MSR_FIRST + CAP_NMSR;
}

/* What RDMSR returns in L2 for an MSR whose value the model knows on
 * every backend: those VM entry loads from the guest-state area (SYSENTER,
 * FS/GS base; PAT, EFER, DEBUGCTL by their controls or as the test
 * machine's L1 left them, 26.3.2.1), IA32_FEATURE_CONTROL and the VMX
 * capability MSRs.  Not the ones VMX does not switch and the test machine
 * does not define (STAR, LSTAR, KERNEL_GS_BASE, ...), nor the TSC. */
bool msr_l2_value(struct refvmm *m, uint32_t msr, uint64_t *v)
{
	if (is_cap_msr(msr)) {
		if (!caps_msr_present(&m->caps, msr))
			return false;
		*v = caps_msr(&m->caps, msr);
		return true;
	}
	switch (msr) {
	case MSR_IA32_FEATURE_CONTROL: case MSR_SYSENTER_CS: case MSR_SYSENTER_ESP:
	case MSR_SYSENTER_EIP: case MSR_DEBUGCTL: case MSR_PAT: case MSR_EFER:
	case MSR_FS_BASE: case MSR_GS_BASE:
		*v = *msr_slot(m, msr);
		return true;
	default:
		return false;
	}
}

void insn_rdmsr(struct refvmm *m, const struct rop *op)
{
	uint32_t msr = (uint32_t)op->a[0];
	REQUIRE(m, INSN_MSR_CPL, m->cpu.cpl == 0);
	bool cap = is_cap_msr(msr) && caps_msr_present(&m->caps, msr);
	uint64_t *slot = msr_slot(m, msr);
	REQUIRE(m, INSN_MSR_EXISTS, op->a[0] <= 0xffffffffu && (cap || slot));
	m->res->nalt = 1;
	m->res->alt[0] = (struct outcome){ .kind = OUT_VALUE, .value = cap ? caps_msr(&m->caps, msr) : *slot };
}

/* Reserved bits: EFER has SCE, LME, LMA and NXE only; IA32_TSC_AUX[63:32]
 * (vol. 4, 2.1). */
static bool msr_reserved_ok(uint32_t msr, uint64_t v)
{
	switch (msr) {
	case MSR_EFER: return (v & ~0xd01ULL) == 0;
	case MSR_TSC_AUX: return v >> 32 == 0;
	default: return true;
	}
}

/* Each PAT entry must be a valid memory type: 0, 1, 4, 5, 6 or 7 (11.12.2). */
bool insn_canonical(const struct refvmm *m, uint64_t a)
{
	unsigned bits = m->caps.linaddr ? m->caps.linaddr : 48;
	int64_t s = (int64_t)(a << (64 - bits)) >> (64 - bits);
	return (uint64_t)s == a;
}

/* The MSRs that hold linear addresses take canonical values only
 * (vol. 2 WRMSR: FS/GS/KERNEL_GS base, LSTAR, SYSENTER_EIP/ESP; CSTAR as
 * Bochs and KVM do). */
static bool holds_address(uint32_t msr)
{
	switch (msr) {
	case MSR_FS_BASE: case MSR_GS_BASE: case MSR_KERNEL_GS_BASE:
	case MSR_LSTAR: case MSR_CSTAR: case MSR_SYSENTER_EIP: case MSR_SYSENTER_ESP:
		return true;
	default:
		return false;
	}
}

/* The #GP(0) checks of WRMSR (vol. 2 WRMSR) on a known MSR, in order:
 * the rule that refuses the write, or RULE_COUNT.  Shared by L1
 * (insn_wrmsr) and L2 (guest_msr.c, after its VM-exit checks). */
static enum rule_id wrmsr_refused(struct refvmm *m, uint32_t msr, uint64_t v, bool cap)
{
	const struct cpu_state *c = &m->cpu;
#define REFUSE(ID, cond) do { if (!CHECK(m, ID, cond)) return R_##ID; } while (0)
	REFUSE(INSN_MSR_READ_ONLY, !cap);
	REFUSE(INSN_MSR_FEATURE_CONTROL_LOCKED, msr != MSR_IA32_FEATURE_CONTROL || !(c->feature_control & 1));
	REFUSE(INSN_MSR_RESERVED, msr_reserved_ok(msr, v));
	REFUSE(INSN_MSR_PAT_TYPE, msr != MSR_PAT || pat_valid(v));
	REFUSE(INSN_MSR_NONCANONICAL, !holds_address(msr) || insn_canonical(m, v));
	REFUSE(INSN_MSR_EFER_LME_PAGING, msr != MSR_EFER || !(c->cr0 & CR0_PG) || !((v ^ c->efer) & EFER_LME));
#undef REFUSE
	return RULE_COUNT;
}

static void wrmsr_store(struct refvmm *m, uint32_t msr, uint64_t v)
{
	if (msr == MSR_EFER)   /* LMA is the processor's: a written value is ignored */
		v = (v & ~(uint64_t)EFER_LMA) | (m->cpu.efer & EFER_LMA);
	*msr_slot(m, msr) = v;
}

void insn_wrmsr(struct refvmm *m, const struct rop *op)
{
	uint32_t msr = (uint32_t)op->a[0];
	REQUIRE(m, INSN_MSR_CPL, m->cpu.cpl == 0);
	bool cap = is_cap_msr(msr) && caps_msr_present(&m->caps, msr);
	REQUIRE(m, INSN_MSR_EXISTS, op->a[0] <= 0xffffffffu && (cap || msr_slot(m, msr)));
	enum rule_id r = wrmsr_refused(m, msr, op->a[1], cap);
	if (r != RULE_COUNT) {
		insn_fail(m, r);
		return;
	}
	wrmsr_store(m, msr, op->a[1]);
	insn_ok(m);
}

/* WRMSR in L2 that did not exit, to an MSR msr_l2_value() knows but
 * IA32_DEBUGCTL (whose reserved bits vary by CPU): 1 written, 0 #GP(0)
 * by the WRMSR checks, -1 not modelled. */
int msr_l2_write(struct refvmm *m, uint32_t msr, uint64_t v)
{
	uint64_t old;
	if (msr == MSR_DEBUGCTL || !msr_l2_value(m, msr, &old))
		return -1;
	if (wrmsr_refused(m, msr, v, is_cap_msr(msr)) != RULE_COUNT)
		return 0;
	wrmsr_store(m, msr, v);
	return 1;
}
