/* Exceptions raised by L2 ops: a VM exit when the exception bitmap
 * selects the vector (25.2, 27.2.2), otherwise delivery through L2's IDT
 * to the stub at TM_GUEST_IDT_STUBS + 16*vector, whose vmcall exits. */
#include "guest_priv.h"

/* Interruption types, Table 24-17 / 27.2.2. */
enum { IT_HW_EXC = 3, IT_SW_INT = 4, IT_SW_EXC = 6 };

/* 64-bit IDT delivery (SDM Vol. 3A 6.14): RSP aligned to 16, then SS,
 * RSP, RFLAGS, CS, RIP and the error code if any. */
enum gstep guest_deliver(struct refvmm *m, uint8_t vector, uint64_t ret, bool has_err, uint32_t err)
{
	struct cpu_state *c = &m->cpu;
	uint64_t rsp = c->gpr[RSP] & ~0xfull;
	uint64_t frame[6] = { c->seg[SEG_SS].sel, c->gpr[RSP], c->rflags, c->seg[SEG_CS].sel, ret, err };
	int n = has_err ? 6 : 5;
	for (int i = 0; i < n; i++) {
		rsp -= 8;
		if (!mem_write64(&m->mem, rsp, frame[i]))
			return G_UNMODELLED;
	}
	c->gpr[RSP] = rsp;
	c->rflags &= ~((1ull << 8) | (1ull << 9) | (1ull << 14) | (1ull << 16));  /* TF IF NT RF */
	c->rip = TM_GUEST_IDT_STUBS + TM_GUEST_STUB_SIZE * (uint64_t)vector;
	return G_JUMPED;
}

/* #PF: the bitmap bit is read through the error-code mask/match (25.2). */
static bool exc_exits(struct refvmm *m, uint8_t vector, uint32_t err)
{
	bool bit = gv(m, VF_EXCEPTION_BITMAP) >> vector & 1;
	if (vector != 14)
		return bit;
	bool match = (err & (uint32_t)gv(m, VF_PAGE_FAULT_ERROR_CODE_MASK)) ==
		     (uint32_t)gv(m, VF_PAGE_FAULT_ERROR_CODE_MATCH);
	return match ? bit : !bit;
}

enum gstep guest_exception(struct refvmm *m, uint8_t vector, bool has_err, uint32_t err)
{
	if (!CHECK(m, EXIT_EXC_BITMAP, !exc_exits(m, vector, err))) {
		struct exit_info e = {
			.reason = XR_EXCEPTION_NMI, .have = EXF_QUAL | EXF_INTR,
			.intr = vector | IT_HW_EXC << 8 | (uint32_t)has_err << 11 | 1u << 31,
		};
		if (has_err) {
			e.have |= EXF_INTR_ERR;
			e.intr_err = err;
		}
		vmexit(m, &e);
		return G_EXITED;
	}
	return guest_deliver(m, vector, m->cpu.rip, has_err, err);
}

/* INT3 (#BP) is a software exception: length defined (27.2.5); the
 * return address is the next instruction. */
static enum gstep g_int3(struct refvmm *m, const struct rop *o)
{
	(void)o;
	uint8_t len = guest_cur_len(m);
	if (!CHECK(m, EXIT_EXC_BP_BITMAP, !exc_exits(m, 3, 0))) {
		struct exit_info e = {
			.reason = XR_EXCEPTION_NMI, .have = EXF_QUAL | EXF_INTR | EXF_LEN,
			.intr = 3 | IT_SW_EXC << 8 | 1u << 31, .len = len,
		};
		vmexit(m, &e);
		return G_EXITED;
	}
	return guest_deliver(m, 3, m->cpu.rip + len, false, 0);
}

/* INT n never consults the exception bitmap (25.2): always delivered. */
static enum gstep g_intn(struct refvmm *m, const struct rop *o)
{
	return guest_deliver(m, (uint8_t)o->a[0], m->cpu.rip + guest_cur_len(m), false, 0);
}

static enum gstep g_ud2(struct refvmm *m, const struct rop *o)
{
	(void)o;
	return guest_exception(m, 6, false, 0);
}

guest_op_fn *const guest_exc_ops[OP_COUNT] = {
	[OP_G_INT3] = g_int3, [OP_G_INTN] = g_intn, [OP_G_UD2] = g_ud2,
};
