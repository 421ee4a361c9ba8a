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
	insn_vmfunc, insn_vmcall, insn_rdmsr, insn_wrmsr, insn_mov_cr;

#endif
