/* The shared fixture of the L2 unit tests: a machine whose current VMCS
 * is built by hand in the model's region layout (host state for a 64-bit
 * exit, GUEST_RIP/RSP at the test machine's), and an entry simulated the
 * way vmentry() ends: L1 saved, L2 loaded, guest_run().  Tests then check
 * the exit against the SDM. */
#ifndef NESTVMX_L2_FIXTURE_H
#define NESTVMX_L2_FIXTURE_H
#include <stdbool.h>
#include "../guest_priv.h"
#include "../refvmm.h"

/* refvmm_create() of the default profile (the test machine's memory:
 * page tables, GDT, guest IDT stubs) with that VMCS current; free it
 * with refvmm_destroy(). */
struct refvmm *l2_machine(void);

/* L2 as the `setup vmcs64` template leaves it: 64-bit mode with L1's
 * control registers, RIP at the guest code, RSP at the guest stack,
 * IDTR at the guest IDT. */
struct cpu_state l2_entry_state(void);

/* Into *l2 (after a previous exit, guest_run() applies the resume
 * advance), then L2 runs until it exits. */
void l2_enter(struct refvmm *m, struct result *res, const struct cpu_state *l2);

/* A launch: guest_arm() of the block, checked, no resume advance, then
 * l2_enter(). */
void l2_run(struct refvmm *m, struct result *res, const struct rop *ops, uint32_t n,
	    const struct cpu_state *l2);

bool l2_fired(const struct result *res, enum rule_id r);
/* U/S = 1 down to the test machine's 2 MiB at 0x400000 (code, stack,
 * tables), so L2 at CPL 3 can fetch its code there (Vol. 3A 4.6). */
void l2_user_pages(struct refvmm *m);
void l2_set_bit(struct refvmm *m, uint64_t base, uint32_t bit);   /* in a bitmap in memory */

#endif
