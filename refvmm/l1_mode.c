/* L1 outside IA-32e mode: the op leave_ia32e, which takes L1 from the test
 * machine's 64-bit mode to 32-bit protected mode with PAE paging the way
 * software does it (SDM vol. 3A 10.8.5.4, "Switching Out of IA-32e Mode
 * Operation"), one architectural step after another:
 *   1. far jump to TM_SEL_CODE32 (compatibility mode; CS.L = 0);
 *   2. MOV CR4 clearing CR4.PCIDE if set (clearing CR0.PG with PCIDE = 1
 *      is #GP(0), vol. 2 MOV CR);
 *   3. MOV CR0 clearing CR0.PG: IA-32e mode ends (IA32_EFER.LMA = 0);
 *   4. WRMSR IA32_EFER with LME = 0;
 *   5. MOV CR3 = TM_L1_PAE_PDPT (paging is off: no PDPTEs loaded);
 *   6. MOV CR0 setting CR0.PG: PAE paging, the PDPTEs are loaded (4.4.1).
 * Each step's outcome is that of the model's instruction (insn_misc.c,
 * msr.c), so the rules that decide it are the instructions' own: in VMX
 * operation step 3 violates IA32_VMX_CR0_FIXED0 (23.8) and is #GP(0)
 * (INSN.MOVCR.CR0_FIXED).  From 32-bit protected mode the same sequence
 * is valid and changes nothing but CR3 and CS.
 * Approximation: the op is atomic.  When a step faults, L1 is left as it
 * was before the op (a real L1 would take the fault in compatibility mode
 * and its handler decide); the outcome is the fault. */
#include <string.h>
#include "insn.h"

#define MSR_EFER  0xc0000080u

/* One step: the instruction's outcome replaces the op's; true when ok. */
static bool step(struct refvmm *m, insn_fn *fn, uint16_t id, uint64_t a0, uint64_t a1)
{
	struct rop r = { .op = id, .a = { a0, a1 } };
	fn(m, &r);
	return m->res->nalt == 1 && m->res->alt[0].kind == OUT_OK;
}

void insn_leave_ia32e(struct refvmm *m, const struct rop *op)
{
	(void)op;
	struct cpu_state *c = &m->cpu, before;
	/* JMP far to a non-conforming code segment: DPL must equal CPL,
	 * else #GP(selector) (vol. 2 JMP) */
	if (!CHECK(m, INSN_LEAVE_IA32E_CPL, c->cpl == 0)) {
		insn_fail(m, R_INSN_LEAVE_IA32E_CPL);
		m->res->alt[0].num = TM_SEL_CODE32;
		return;
	}
	memcpy(&before, c, sizeof before);
	c->seg[SEG_CS] = (struct seg){ TM_SEL_CODE32, 0, 0xffffffff, TM_AR_CODE32 };
	bool ok = (!(c->cr4 & CR4_PCIDE) ||
		   step(m, insn_mov_cr, OP_MOV_CR, 4, c->cr4 & ~CR4_PCIDE)) &&
		  step(m, insn_mov_cr, OP_MOV_CR, 0, c->cr0 & ~CR0_PG) &&
		  step(m, insn_wrmsr, OP_WRMSR, MSR_EFER, c->efer & ~EFER_LME) &&
		  step(m, insn_mov_cr, OP_MOV_CR, 3, TM_L1_PAE_CR3) &&
		  step(m, insn_mov_cr, OP_MOV_CR, 0, c->cr0 | CR0_PG);
	if (!ok) {
		memcpy(c, &before, sizeof before);
		return;
	}
	insn_ok(m);
}
