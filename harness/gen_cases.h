/* Generated conformance cases, derived from a profile at run time:
 * one case per reserved bit of each VM-execution, VM-exit and VM-entry
 * control field (a bit the profile fixes to 0 or to 1, SDM A.3-A.5).
 * Each sets that one bit the wrong way in an otherwise valid VMCS
 * (`setup vmcs64`) and expects VMLAUNCH to fail with error 7
 * (SDM 26.2.1.1).  The output is case-language text, parsed like any
 * case file. */
#ifndef NESTVMX_GEN_CASES_H
#define NESTVMX_GEN_CASES_H
#include <stddef.h>
#include "../refvmm/caps.h"

/* malloc'd text with *n cases named gen.ctl.<ctl>.bit<N>.must0|must1;
 * NULL when out of memory. */
char *gen_ctl_cases(const struct vmx_caps *c, size_t *n);

#endif
