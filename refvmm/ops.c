/* The op table, derived from ops.def. */
#include "ops.h"

const struct op_info op_table[OP_COUNT] = {
#define OP(id, mnem, ctx, args, def) [OP_##id] = { mnem, ctx, args, (uint64_t)(def) },
#include "ops.def"
#undef OP
};
