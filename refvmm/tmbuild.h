/* Building the test machine's memory (testmachine.h) in the model. */
#ifndef NESTVMX_TMBUILD_H
#define NESTVMX_TMBUILD_H
#include <stdint.h>
#include "mem.h"

/* Write every non-zero page of the initial memory into mem (which the
 * caller has just reset): revision identifiers, GDT, TSS, L2's IDT and its
 * stubs, L1/L2 page tables and the EPT identity map.  0, or -1 when mem
 * cannot hold them (a MAXPHYADDR below 23 bits). */
int tm_build_memory(struct mem *mem, uint32_t revision) __attribute__((warn_unused_result));

#endif
