/* INVEPT, INVVPID, VMCALL and VMFUNC in VMX root operation (SDM 31.3),
 * and L1's RDMSR, WRMSR and MOV to CR (volume 2; 23.8 in VMX operation). */
#include "insn.h"

/* INVEPT types 1-2 -> IA32_VMX_EPT_VPID_CAP bits 25-26; INVVPID types 0-3
 * -> bits 40-43 (A.10). */
static bool inv_type_ok(const struct refvmm *m, uint64_t type, unsigned first, uint64_t lo, uint64_t hi)
{
	return type >= lo && type <= hi && (m->caps.msr[CAP_EPT_VPID] >> (first + type - lo) & 1);
}

void insn_invept(struct refvmm *m, const struct rop *op)
{
	REQUIRE(m, INSN_INVEPT_UNSUPPORTED,
		m->vmx.on && caps_has(&m->caps, FEAT_EPT) && caps_has(&m->caps, FEAT_INVEPT));
	REQUIRE(m, INSN_INVEPT_CPL, m->cpu.cpl == 0);
	REQUIRE(m, INSN_INVEPT_TYPE, inv_type_ok(m, op->a[0], 25, 1, 2));
	insn_ok(m);   /* the model keeps no EPT TLB: nothing to invalidate */
}

static bool canonical(const struct refvmm *m, uint64_t a)
{
	unsigned bits = m->caps.linaddr ? m->caps.linaddr : 48;
	int64_t s = (int64_t)(a << (64 - bits)) >> (64 - bits);
	return (uint64_t)s == a;
}

void insn_invvpid(struct refvmm *m, const struct rop *op)
{
	uint64_t type = op->a[0], vpid = op->a[1];
	REQUIRE(m, INSN_INVVPID_UNSUPPORTED,
		m->vmx.on && caps_has(&m->caps, FEAT_VPID) && caps_has(&m->caps, FEAT_INVVPID));
	REQUIRE(m, INSN_INVVPID_CPL, m->cpu.cpl == 0);
	REQUIRE(m, INSN_INVVPID_TYPE, inv_type_ok(m, type, 40, 0, 3));
	REQUIRE(m, INSN_INVVPID_DESC_RESERVED, vpid <= 0xffff);
	REQUIRE(m, INSN_INVVPID_VPID_ZERO, type == 2 || vpid != 0);
	REQUIRE(m, INSN_INVVPID_ADDR_CANONICAL, type != 0 || canonical(m, op->a[2]));
	insn_ok(m);
}

void insn_vmcall(struct refvmm *m, const struct rop *op)
{
	(void)op;
	REQUIRE(m, INSN_VMCALL_NOT_VMX, m->vmx.on);
	REQUIRE(m, INSN_VMCALL_CPL, m->cpu.cpl == 0);
	/* dual-monitor treatment is never active in the model */
	REQUIRE(m, INSN_VMCALL_IN_ROOT, false);
}

void insn_vmfunc(struct refvmm *m, const struct rop *op)
{
	(void)op;
	REQUIRE(m, INSN_VMFUNC_IN_ROOT, false);
}

/* ---- MSRs ---- */

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

/* PAT entries must be valid memory types (0, 1, 4, 5, 6, 7); EFER has
 * SCE, LME, LMA and NXE only (vol. 4, 2.1). */
static bool wrmsr_value_ok(const struct refvmm *m, uint32_t msr, uint64_t v)
{
	switch (msr) {
	case MSR_PAT:
		for (int i = 0; i < 8; i++) {
			unsigned t = v >> (8 * i) & 0xff;
			if (t == 2 || t == 3 || t > 7)
				return false;
		}
		return true;
	case MSR_EFER: return (v & ~0xd01ULL) == 0;
	case MSR_FS_BASE: case MSR_GS_BASE: case MSR_KERNEL_GS_BASE:
	case MSR_LSTAR: case MSR_CSTAR: {
		unsigned bits = m->caps.linaddr ? m->caps.linaddr : 48;
		int64_t s = (int64_t)(v << (64 - bits)) >> (64 - bits);
		return (uint64_t)s == v;
	}
	case MSR_TSC_AUX: return v >> 32 == 0;
	default: return true;
	}
}

void insn_wrmsr(struct refvmm *m, const struct rop *op)
{
	uint32_t msr = (uint32_t)op->a[0];
	uint64_t v = op->a[1];
	REQUIRE(m, INSN_MSR_CPL, m->cpu.cpl == 0);
	bool cap = is_cap_msr(msr) && caps_msr_present(&m->caps, msr);
	uint64_t *slot = msr_slot(m, msr);
	REQUIRE(m, INSN_MSR_EXISTS, op->a[0] <= 0xffffffffu && (cap || slot));
	REQUIRE(m, INSN_MSR_READ_ONLY, !cap);
	REQUIRE(m, INSN_MSR_FEATURE_CONTROL_LOCKED,
		msr != MSR_IA32_FEATURE_CONTROL || !(m->cpu.feature_control & 1));
	REQUIRE(m, INSN_MSR_RESERVED, wrmsr_value_ok(m, msr, v));
	*slot = v;
	insn_ok(m);
}

/* ---- MOV to CR ---- */

static bool cr_reserved_ok(const struct refvmm *m, unsigned n, uint64_t v)
{
	switch (n) {
	case 0: return v >> 32 == 0;
	case 4: return (v & ~caps_msr(&m->caps, CAP_MSR_FIRST + CAP_CR4_FIXED1)) == 0;
	case 8: return v >> 4 == 0;
	default: return true;
	}
}

void insn_mov_cr(struct refvmm *m, const struct rop *op)
{
	unsigned n = (unsigned)op->a[0];
	uint64_t v = op->a[1];
	struct cpu_state *c = &m->cpu;
	REQUIRE(m, INSN_MOVCR_REGISTER, op->a[0] <= 8 && (n == 0 || n == 2 || n == 3 || n == 4 || n == 8));
	REQUIRE(m, INSN_MOVCR_CPL, c->cpl == 0);
	REQUIRE(m, INSN_MOVCR_RESERVED, cr_reserved_ok(m, n, v));
	REQUIRE(m, INSN_MOVCR_CR0_FIXED, n != 0 || !m->vmx.on || caps_cr0_allowed(&m->caps, v, false));
	REQUIRE(m, INSN_MOVCR_CR4_FIXED, n != 4 || !m->vmx.on || caps_cr4_allowed(&m->caps, v));
	REQUIRE(m, INSN_MOVCR_CR3_WIDTH, n != 3 || (v & caps_phys_mask(&m->caps)) == 0);
	switch (n) {
	case 0: c->cr0 = v; break;
	case 2: c->cr2 = v; break;
	case 3: c->cr3 = v; break;
	case 4: c->cr4 = v; break;
	default: c->cr8 = v; break;
	}
	insn_ok(m);
}
