/* INVEPT, INVVPID, VMCALL and VMFUNC in VMX root operation (SDM 31.3),
 * and L1's MOV to control registers (vol. 2 MOV CR; 23.8 in VMX
 * operation).  RDMSR/WRMSR are msr.c. */
#include "ept.h"
#include "insn.h"

/* INVEPT types 1-2 -> IA32_VMX_EPT_VPID_CAP bits 25-26; INVVPID types 0-3
 * -> bits 40-43 (A.10). */
static bool inv_type_ok(const struct refvmm *m, uint64_t type, unsigned first, uint64_t lo, uint64_t hi)
{
	return type >= lo && type <= hi && (m->caps.msr[CAP_EPT_VPID] >> (first + type - lo) & 1);
}

/* The descriptor is built by the backend from the operands (type, EPTP),
 * so its bits 127:64 are always 0: the pseudocode does not check them. */
void insn_invept(struct refvmm *m, const struct rop *op)
{
	uint64_t type = l1_reg(&m->cpu, op->a[0]);   /* a 32-bit register outside 64-bit mode */
	REQUIRE(m, INSN_INVEPT_UNSUPPORTED,
		m->vmx.on && caps_has(&m->caps, FEAT_EPT) && caps_has(&m->caps, FEAT_INVEPT));
	REQUIRE(m, INSN_INVEPT_CPL, m->cpu.cpl == 0);
	REQUIRE(m, INSN_INVEPT_TYPE, inv_type_ok(m, type, 25, 1, 2));
	REQUIRE(m, INSN_INVEPT_EPTP, type != 1 || !eptp_faults(&m->caps, op->a[1]));
	insn_ok(m);   /* the model keeps no EPT TLB: nothing to invalidate */
}

/* The descriptor is VPID (bits 15:0 of a[1], the rest of a[1] is bits
 * 63:16) and the linear address a[2] (bits 127:64). */
void insn_invvpid(struct refvmm *m, const struct rop *op)
{
	uint64_t type = l1_reg(&m->cpu, op->a[0]), vpid = op->a[1];
	REQUIRE(m, INSN_INVVPID_UNSUPPORTED,
		m->vmx.on && caps_has(&m->caps, FEAT_VPID) && caps_has(&m->caps, FEAT_INVVPID));
	REQUIRE(m, INSN_INVVPID_CPL, m->cpu.cpl == 0);
	REQUIRE(m, INSN_INVVPID_TYPE, inv_type_ok(m, type, 40, 0, 3));
	REQUIRE(m, INSN_INVVPID_DESC_RESERVED, vpid <= 0xffff);
	REQUIRE(m, INSN_INVVPID_VPID_ZERO, type == 2 || vpid != 0);
	REQUIRE(m, INSN_INVVPID_ADDR_CANONICAL, type != 0 || insn_canonical(m, op->a[2]));
	insn_ok(m);
}

void insn_vmcall(struct refvmm *m, const struct rop *op)
{
	(void)op;
	REQUIRE(m, INSN_VMCALL_NOT_VMX, m->vmx.on);
	REQUIRE(m, INSN_VMCALL_CPL, m->cpu.cpl == 0);
	/* IA32_SMM_MONITOR_CTL[0] = 0: dual-monitor treatment is never active */
	REQUIRE(m, INSN_VMCALL_IN_ROOT, false);
}

void insn_vmfunc(struct refvmm *m, const struct rop *op)
{
	(void)op;
	REQUIRE(m, INSN_VMFUNC_IN_ROOT, false);
}

/* ---- MOV to CR ---- */

#define CR0_NW_CD_PG (CR0_NW | CR0_CD | CR0_PG)
#define CR4_PAE_RELOAD ((1ULL << 4) | CR4_PAE | (1ULL << 7) | (1ULL << 20))  /* PSE PAE PGE SMEP */
#define CR3_NOFLUSH (1ULL << 63)

/* Reserved bits: CR0[63:32], CR4 bits the processor lacks (those
 * IA32_VMX_CR4_FIXED1 does not allow), CR8[63:4] (2.5). */
static bool cr_reserved_ok(const struct refvmm *m, unsigned n, uint64_t v)
{
	switch (n) {
	case 0: return v >> 32 == 0;
	case 4: return (v & ~caps_msr(&m->caps, CAP_MSR_FIRST + CAP_CR4_FIXED1)) == 0;
	case 8: return v >> 4 == 0;
	default: return true;
	}
}

/* With CR4.PCIDE = 1, CR3 bit 63 asks not to flush and is not written
 * (4.10.4.1); it is no reserved bit then. */
static uint64_t cr3_value(const struct cpu_state *c, uint64_t v)
{
	return c->cr4 & CR4_PCIDE ? v & ~CR3_NOFLUSH : v;
}

/* 4.4.1: a MOV to CR that leaves PAE paging in use (CR0.PG = CR4.PAE = 1,
 * IA32_EFER.LMA = 0) loads the PDPTEs when it writes CR3, or changes
 * CR0.CD/NW/PG or CR4.PAE/PGE/PSE/SMEP. */
static bool loads_pdptes(const struct cpu_state *c, unsigned n, uint64_t cr0, uint64_t cr4)
{
	if (!(cr0 & CR0_PG) || !(cr4 & CR4_PAE) || l1_ia32e(c))
		return false;
	return n == 3 || (n == 0 && ((cr0 ^ c->cr0) & CR0_NW_CD_PG)) ||
	       (n == 4 && ((cr4 ^ c->cr4) & CR4_PAE_RELOAD));
}

bool l1_pdptes_ok(const struct refvmm *m, uint64_t cr3)
{
	for (uint64_t i = 0; i < 4; i++)
		if (!pae_pdpte_valid(&m->caps, mem_read64(&m->mem, (cr3 & 0xffffffe0ULL) + 8 * i)))
			return false;
	return true;
}

/* L1 runs in 64-bit mode (the test machine's) or, after leave_ia32e, in
 * 32-bit protected mode with PAE paging (l1_mode.c), where the source
 * register has 32 bits, CR8 does not exist and the IA-32e exceptions do
 * not apply.  Clearing CR0.PG outside 64-bit mode leaves IA-32e mode
 * (LMA = 0, 10.8.5.4); setting it with IA32_EFER.LME = 1 would enter it
 * (10.8.5), and clearing CR0.PE would enter real mode (9.9.2): the model
 * does neither (unmodelled). */
void insn_mov_cr(struct refvmm *m, const struct rop *op)
{
	unsigned n = (unsigned)op->a[0];
	struct cpu_state *c = &m->cpu;
	uint64_t v = l1_reg(c, op->a[1]);
	REQUIRE(m, INSN_MOVCR_REGISTER, op->a[0] <= 8 &&
		(n == 0 || n == 2 || n == 3 || n == 4 || (n == 8 && l1_64bit(c))));
	REQUIRE(m, INSN_MOVCR_CPL, c->cpl == 0);
	REQUIRE(m, INSN_MOVCR_RESERVED, cr_reserved_ok(m, n, v));
	uint64_t cr0 = n == 0 ? v : c->cr0, cr4 = n == 4 ? v : c->cr4;
	REQUIRE(m, INSN_MOVCR_CR0_PG_PE, !(cr0 & CR0_PG) || (cr0 & CR0_PE));
	REQUIRE(m, INSN_MOVCR_CR0_NW_CD, !(cr0 & CR0_NW) || (cr0 & CR0_CD));
	REQUIRE(m, INSN_MOVCR_CR0_PG_LONG, !l1_64bit(c) || (cr0 & CR0_PG));
	REQUIRE(m, INSN_MOVCR_CR4_PAE_LONG, !l1_ia32e(c) || (cr4 & CR4_PAE));
	REQUIRE(m, INSN_MOVCR_CR4_LA57_LONG, !l1_ia32e(c) || !((cr4 ^ c->cr4) & CR4_LA57));
	REQUIRE(m, INSN_MOVCR_CR4_PCIDE_CR3,
		!(cr4 & ~c->cr4 & CR4_PCIDE) || (c->cr3 & 0xfff) == 0);
	REQUIRE(m, INSN_MOVCR_CR4_PCIDE_LEGACY, !(cr4 & ~c->cr4 & CR4_PCIDE) || l1_ia32e(c));
	REQUIRE(m, INSN_MOVCR_CET_WP, !(cr4 & CR4_CET) || (cr0 & CR0_WP));
	REQUIRE(m, INSN_MOVCR_CR0_FIXED, n != 0 || !m->vmx.on || caps_cr0_allowed(&m->caps, v, false));
	REQUIRE(m, INSN_MOVCR_CR4_FIXED, n != 4 || !m->vmx.on || caps_cr4_allowed(&m->caps, v));
	REQUIRE(m, INSN_MOVCR_CR3_WIDTH, n != 3 || (cr3_value(c, v) & caps_phys_mask(&m->caps)) == 0);
	if ((cr0 & ~c->cr0 & CR0_PG && c->efer & EFER_LME) || !(cr0 & CR0_PE)) {
		m->res->nalt = 1;
		m->res->alt[0] = (struct outcome){ .kind = OUT_UNMODELLED };
		return;
	}
	REQUIRE(m, INSN_MOVCR_PAE_PDPTE, !loads_pdptes(c, n, cr0, cr4) ||
		l1_pdptes_ok(m, n == 3 ? cr3_value(c, v) : c->cr3));
	switch (n) {
	case 0:
		c->cr0 = v | CR0_ET;   /* ET is hardwired to 1 (2.5) */
		if (!(v & CR0_PG))
			c->efer &= ~EFER_LMA;
		break;
	case 2: c->cr2 = v; break;
	case 3: c->cr3 = cr3_value(c, v); break;
	case 4: c->cr4 = v; break;
	default: c->cr8 = v; break;
	}
	insn_ok(m);
}
