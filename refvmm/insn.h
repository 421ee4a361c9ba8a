/* VMX instructions (and the other L1 ops) in VMX root operation and
 * outside VMX operation, SDM chapter 31.  Non-root execution is guest*.c. */
#ifndef NESTVMX_INSN_H
#define NESTVMX_INSN_H
#include "vcpu.h"

void insn_ok(struct refvmm *m);
/* The outcome of the first failed rule of an instruction (ordered checks). */
void insn_fail(struct refvmm *m, enum rule_id r);
/* Canonical for the profile's linear-address width (48 unless stated). */
bool insn_canonical(const struct refvmm *m, uint64_t a);

/* One line per ordered check: the rule decides when cond is false. */
#define REQUIRE(m, ID, cond) \
	do { if (!CHECK(m, ID, cond)) { insn_fail((m), R_##ID); return; } } while (0)

/* VMREAD/VMWRITE field access, shared by root operation and by shadowed
 * VMREAD/VMWRITE in non-root operation (guest_insn.c, 24.10): the field
 * an encoding names on this processor (-1: error 12), whether VMWRITE may
 * write it (else error 13), and its value in a VMCS region. */
int insn_vmcs_field(const struct refvmm *m, uint64_t enc, bool *high);
bool insn_vmcs_writable(const struct refvmm *m, int f);
uint64_t insn_vmcs_get(const struct refvmm *m, uint64_t region, int f, bool high);
void insn_vmcs_put(struct refvmm *m, uint64_t region, int f, bool high, uint64_t v);

typedef void insn_fn(struct refvmm *m, const struct rop *op);
insn_fn insn_vmxon, insn_vmxoff, insn_vmclear, insn_vmptrld, insn_vmptrst,
	insn_vmread, insn_vmwrite, insn_vmlaunch, insn_invept, insn_invvpid,
	insn_vmfunc, insn_vmcall, insn_rdmsr, insn_wrmsr, insn_mov_cr,
	insn_leave_ia32e;

/* L1's operating mode (l1_mode.c): IA-32e mode is IA32_EFER.LMA = 1
 * (2.2.1); 64-bit mode is IA-32e mode with CS.L = 1, where register
 * operands are 64 bits; elsewhere (compatibility mode, 32-bit protected
 * mode) they are 32 bits (vol. 1, 3.6). */
static inline bool l1_ia32e(const struct cpu_state *c) { return c->efer & EFER_LMA; }
static inline bool l1_64bit(const struct cpu_state *c)
{
	return l1_ia32e(c) && (c->seg[SEG_CS].ar & (1u << 13));
}
/* A register operand as the current operand size leaves it. */
static inline uint64_t l1_reg(const struct cpu_state *c, uint64_t v)
{
	return l1_64bit(c) ? v : (uint32_t)v;
}
/* 4.4.1: the four PDPTEs at CR3[31:5] are loadable (pae_pdpte_valid). */
bool l1_pdptes_ok(const struct refvmm *m, uint64_t cr3);

#endif
