/* Exceptions raised by L2 ops: a VM exit when the exception bitmap
 * selects the vector (25.2, 27.2.2), otherwise delivery through L2's IDT
 * to the stub at TM_GUEST_IDT_STUBS + 16*vector, whose vmcall exits. */
#include "ept.h"
#include "guest_priv.h"


/* The test machine's gate for vector v, as testmachine.c lays it: a
 * 64-bit interrupt gate (selector TM_SEL_CODE64, DPL 0, IST 0) to the
 * stub; the model delivers through no other. */
static bool tm_gate(struct refvmm *m, uint8_t v)
{
	uint64_t stub = TM_GUEST_IDT_STUBS + TM_GUEST_STUB_SIZE * (uint64_t)v, hpa, g[2];
	uint64_t want = TM_GATE_LOW(stub), at = m->cpu.idtr.base + 16 * (uint64_t)v;
	return m->cpu.idtr.base == TM_GUEST_IDT && guest_mem_translate(m, at, EPT_ACC_READ, 16, &hpa) &&
	       hpa == at && mem_read(&m->mem, hpa, g, sizeof g) == 0 && g[0] == want && g[1] == stub >> 32;
}

/* 64-bit IDT delivery (SDM Vol. 3A 6.14): RSP aligned to 16, then SS,
 * RSP, RFLAGS, CS, RIP and the error code if any, each store through
 * paging and EPT.  Not modelled (false): delivery at CPL > 0 (a stack
 * switch), a gate other than the test machine's, a fault on the way, and
 * the accessed and dirty flags its reads and stores set with EPT A/D. */
static bool push_frame(struct refvmm *m, const struct gevent *e)
{
	struct cpu_state *c = &m->cpu;
	bool ept_ad = (proc2(m) & (1u << 1)) && (gv(m, VF_EPT_POINTER) & (1u << 6));
	if (c->cpl != 0 || ept_ad || !tm_gate(m, e->vector))
		return false;
	uint64_t rsp = c->gpr[RSP] & ~0xfull, hpa;
	uint64_t frame[6] = { c->seg[SEG_SS].sel, c->gpr[RSP], c->rflags, c->seg[SEG_CS].sel, e->ret, e->err };
	for (int i = 0; i < (e->has_err ? 6 : 5); i++) {
		rsp -= 8;
		if (!guest_mem_translate(m, rsp, EPT_ACC_WRITE, 8, &hpa) || !mem_write64(&m->mem, hpa, frame[i]))
			return false;
	}
	c->gpr[RSP] = rsp;
	c->rflags &= ~((1ull << 8) | (1ull << 9) | (1ull << 14) | (1ull << 16));  /* TF IF NT RF */
	c->rip = TM_GUEST_IDT_STUBS + TM_GUEST_STUB_SIZE * (uint64_t)e->vector;
	return true;
}

/* Exception classes for double faults, Vol. 3A Table 6-4 (#VE is in
 * the page-fault class). */
static int exc_class(uint8_t v)
{
	if (v == 0 || (v >= 10 && v <= 13))
		return 1;   /* contributory */
	return v == 14 || v == 20 ? 2 : 0;   /* page fault, #VE : benign */
}

static bool exc_exits(struct refvmm *m, uint8_t vector, uint32_t err);

static uint32_t ev_info(const struct gevent *e)
{
	return e->vector | (uint32_t)e->type << 8 | (uint32_t)e->has_err << 11 | 1u << 31;
}

/* A fault while delivering `during` (27.2.4: IDT-vectoring information
 * records it) exits when the exception bitmap says so. */
static bool nested_exit(struct refvmm *m, const struct gevent *f, const struct gevent *during)
{
	if (CHECK(m, EXIT_EXC_DURING_DELIVERY, !exc_exits(m, f->vector, f->err)))
		return false;
	struct exit_info x = {
		.reason = XR_EXCEPTION_NMI, .have = EXF_QUAL | EXF_INTR | EXF_INTR_ERR | EXF_IDT,
		.intr = ev_info(f), .intr_err = f->err, .idt = ev_info(during),
	};
	if (during->has_err) {
		x.have |= EXF_IDT_ERR;
		x.idt_err = during->err;
	}
	vmexit(m, &x);
	return true;
}

/* Delivery through L2's IDT.  A gate beyond the IDT limit is #GP(vector*8
 * + IDT + EXT); a contributory fault while delivering a contributory one
 * (or #PF) is #DF; a fault while delivering #DF is a triple fault, which
 * exits with reason 2 (25.2). */
enum gstep guest_deliver(struct refvmm *m, struct gevent e)
{
	if (l2_code_bits(m) != 64)
		return G_UNMODELLED;   /* the test machine's guest IDT has 64-bit gates only */
	for (int depth = 0; depth < 3; depth++) {
		if ((uint64_t)e.vector * 16 + 15 <= m->cpu.idtr.limit)
			return push_frame(m, &e) ? G_JUMPED : G_UNMODELLED;
		bool ext = e.type != IT_SW_INT && e.type != IT_SW_EXC;
		struct gevent f = { 13, IT_HW_EXC, true, e.vector * 8u + 2 + ext, m->cpu.rip };
		if (e.type == IT_HW_EXC && e.vector == 8) {
			CHECK(m, EXIT_TRIPLE_FAULT, false);
			struct exit_info x = { .reason = XR_TRIPLE_FAULT, .have = EXF_QUAL };
			vmexit(m, &x);
			return G_EXITED;
		}
		int c1 = e.type == IT_HW_EXC ? exc_class(e.vector) : 0;
		if (!CHECK(m, EXIT_EXC_DOUBLE_FAULT, !(c1 == 2 || (c1 == 1 && exc_class(f.vector) == 1))))
			f = (struct gevent){ 8, IT_HW_EXC, true, 0, m->cpu.rip };
		if (nested_exit(m, &f, &e))
			return G_EXITED;
		e = f;
	}
	return G_UNMODELLED;
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
	return guest_deliver(m, (struct gevent){ vector, IT_HW_EXC, has_err, err, m->cpu.rip });
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
	return guest_deliver(m, (struct gevent){ 3, IT_SW_EXC, false, 0, m->cpu.rip + len });
}

/* INT n never consults the exception bitmap (25.2): always delivered. */
static enum gstep g_intn(struct refvmm *m, const struct rop *o)
{
	return guest_deliver(m, (struct gevent){ (uint8_t)o->a[0], IT_SW_INT, false, 0,
					       m->cpu.rip + guest_cur_len(m) });
}

static enum gstep g_ud2(struct refvmm *m, const struct rop *o)
{
	(void)o;
	return guest_exception(m, 6, false, 0);
}

guest_op_fn *const guest_exc_ops[OP_COUNT] = {
	[OP_G_INT3] = g_int3, [OP_G_INTN] = g_intn, [OP_G_UD2] = g_ud2,
};
