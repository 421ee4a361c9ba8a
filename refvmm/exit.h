/* VM exits, SDM chapter 27. */
#ifndef NESTVMX_EXIT_H
#define NESTVMX_EXIT_H
#include <stdint.h>
#include "vcpu.h"

struct exit_info {
	uint32_t reason;       /* basic reason; flags (bit 31/28/27) in high bits */
	uint16_t have;         /* enum outcome_have: fields defined for this exit */
	uint64_t qual, gla, gpa;
	uint32_t len, info, intr, intr_err, idt, idt_err;
};

/* A VM exit from VMX non-root operation (27.2-27.6): records exit
 * information, saves guest state, stores MSRs, loads host state and MSRs
 * (VMX abort on failure), and sets the op's outcome to the exit. */
void vmexit(struct refvmm *m, const struct exit_info *e);

/* A VM-entry failure after the guest-state checks or during MSR loading
 * (26.8): reason 33/34/41 with bit 31 set; host state is loaded. */
void vmexit_entry_fail(struct refvmm *m, uint32_t reason, uint64_t qual);

#endif
