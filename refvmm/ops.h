/* Case operations in resolved form: every expression already evaluated
 * against the profile.  This is what the model runs and what the harness
 * sends to the probe kernel. */
#ifndef NESTVMX_OPS_H
#define NESTVMX_OPS_H
#include <stdint.h>
#include "testmachine.h"

enum op_ctx { L1 = 1, L2 = 2 };

enum op_id {
#define OP(id, mnem, ctx, args, def) OP_##id,
#include "ops.def"
#undef OP
	OP_COUNT
};

struct op_info {
	const char *mnem;
	uint8_t ctx;
	const char *args;
	uint64_t def;
};
extern const struct op_info op_table[OP_COUNT];   /* refvmm/ops.c */

enum rop_flags {
	ROP_SILENT = 1,   /* from a `setup` template: no outcome is recorded */
};

/* A guest block ends with an implicit vmcall on every backend, so a block
 * that runs to its end always exits (reason 18) instead of running on. */
#define GUEST_BLOCK_MAX 64

/* `cpl N` and `mov_ss` record no outcome: they set how the next op runs. */
static inline int op_is_prefix(unsigned op) { return op == OP_CPL || op == OP_MOV_SS; }

struct rop {
	uint16_t op;      /* enum op_id */
	uint16_t flags;   /* enum rop_flags */
	uint32_t line;    /* source line, for reports */
	uint64_t a[3];
	const struct rop *block;  /* OP_GUEST: its L2 operations */
	uint32_t nblock;
};

#endif
