/* L2 execution: the operations of a guest { } block in VMX non-root
 * operation and the exits they cause.  SDM chapter 25. */
#ifndef NESTVMX_GUEST_H
#define NESTVMX_GUEST_H
#include <stddef.h>
#include <stdint.h>
#include "ops.h"
#include "vcpu.h"

/* After a successful VM entry: deliver a pending injected event (26.6),
 * then run L2 from GUEST_RIP until something causes a VM exit (or the
 * step limit, which gives OUT_UNMODELLED). */
void guest_run(struct refvmm *m);

/* Arm a guest block for the next VM entry: copy it, append the implicit
 * vmcall, and lay it out at TM_GUEST_CODE (writes the code bytes into
 * memory so EPT/exec cases see real bytes). */
void guest_arm(struct refvmm *m, const struct rop *ops, uint32_t n);

/* guest_code.c: freestanding (shared with the probe kernel).  Emits the
 * x86-64 code for n guest ops plus the implicit trailing vmcall into code[]
 * (at most cap bytes); offs[i] receives the offset of op i's exiting
 * instruction and lens[i] its length.  Returns the byte count, or 0 if
 * cap is too small. */
/* Memory operands of guest ops (guest_code.c): the top 8 KiB of SCRATCH,
 * so cases keep SCRATCH..SCRATCH+0xdfff for themselves. */
#define GUEST_SCR_XSAVE   (TM_SCRATCH + 0xe000)  /* XSAVES/XRSTORS area, 4 KiB */
#define GUEST_SCR_DESC    (TM_SCRATCH + 0xf000)  /* INVEPT/INVVPID descriptor, 16 B */
#define GUEST_SCR_DTR     (TM_SCRATCH + 0xf010)  /* SGDT/SIDT/LGDT/LIDT pseudo-descriptor */
#define GUEST_SCR_VMX     (TM_SCRATCH + 0xf020)  /* VMXON/VMCLEAR/VMPTRLD/VMPTRST operand */
#define GUEST_SCR_MONITOR (TM_SCRATCH + 0xf040)  /* MONITOR address (own cache line) */
#define GUEST_SCR_IO      (TM_SCRATCH + 0xf080)  /* INS destination / OUTS source */

/* guest_gpr.c: GPR r as the last VM exit (or VM-entry failure) left it
 * for L1; false when the model does not know it, and for RSP. */
bool guest_gpr_read(const struct refvmm *m, unsigned r, uint64_t *v);

/* guest_code.c: whether op's code means the same in `bits`-bit code (16,
 * 32 or 64) as in 64-bit mode, for which it is written. */
bool guest_code_runs_in(uint16_t op, unsigned bits);

size_t guest_layout(const struct rop *ops, uint32_t n, uint8_t *code, size_t cap,
		    uint32_t *offs, uint8_t *lens);

#endif
