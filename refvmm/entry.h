/* VM entry, SDM chapter 26.  Called by VMLAUNCH/VMRESUME (insn) after the
 * instruction's own checks (26.1) passed. */
#ifndef NESTVMX_ENTRY_H
#define NESTVMX_ENTRY_H
#include <stdbool.h>
#include "vcpu.h"

/* Checks controls and host state (26.2: VMfailValid 7/8, unordered),
 * then guest state (26.3: exit 33), loads guest state, loads MSRs (26.4:
 * exit 34), marks the VMCS launched, and runs L2 via guest_run().  Leaves
 * the outcome set and the fired rules in m->res. */
void vmentry(struct refvmm *m, bool launch);
/* One more outcome the SDM allows for the current op (no duplicates). */
void result_add_alt(struct refvmm *m, struct outcome o);

#endif
