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

typedef void insn_fn(struct refvmm *m, const struct rop *op);
insn_fn insn_vmxon, insn_vmxoff, insn_vmclear, insn_vmptrld, insn_vmptrst,
	insn_vmread, insn_vmwrite, insn_vmlaunch, insn_invept, insn_invvpid,
	insn_vmfunc, insn_vmcall, insn_rdmsr, insn_wrmsr, insn_mov_cr;

#endif
