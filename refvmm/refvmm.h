/* refvmm: the reference VT-x model.  Pure library: no I/O, no globals,
 * deterministic.  One struct refvmm is one logical processor on the fixed
 * test machine (testmachine.h) with one capability profile. */
#ifndef NESTVMX_REFVMM_H
#define NESTVMX_REFVMM_H
#include "caps.h"
#include "checks.h"
#include "ops.h"
#include "outcome.h"
#include "vcpu.h"

/* NULL when out of memory. */
struct refvmm *refvmm_create(const struct vmx_caps *caps);
/* Back to the fixed test machine: L1 state of testmachine.h, memory with
 * its tables (GDT, IDT, TSS, page tables, EPT identity map, guest IDT
 * stubs), out of VMX operation.  Coverage counters are kept. */
void refvmm_reset(struct refvmm *m);
void refvmm_destroy(struct refvmm *m);

/* Run one resolved operation; *res receives its outcome set and the rules
 * that decided it (res->nalt == 0 for silent ops).  Only alt[0..nalt-1]
 * (alt[0] always) and rules[0..nrules-1] are written. */
void refvmm_run(struct refvmm *m, const struct rop *op, struct result *res);

/* Read a field of the current VMCS without architectural side effects
 * (tests, reports).  Returns false when there is no current VMCS. */
bool refvmm_peek_vmcs(const struct refvmm *m, enum vmcs_field f, uint64_t *val);

#endif
