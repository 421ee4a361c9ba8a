/* IN/OUT/INS/OUTS in VMX non-root operation (25.1.3, 24.6.4): with "use
 * I/O bitmaps" = 0, "unconditional I/O exiting" decides; with it 1, the
 * bitmaps do (A: ports 0-7FFFH, B: 8000H-FFFFH), any bit of the accessed
 * ports exits, and an access wrapping past FFFFH exits.  Exit
 * qualification: Table 27-5. */
#include "guest_priv.h"

static bool port_bit(struct refvmm *m, uint32_t port)
{
	enum vmcs_field f = port < 0x8000 ? VF_IO_BITMAP_A : VF_IO_BITMAP_B;
	uint32_t bit = port & 0x7fff;
	uint8_t byte = 0;
	if (mem_read(&m->mem, gv(m, f) + bit / 8, &byte, 1) != 0)
		return true;
	return byte >> (bit % 8) & 1;
}

static bool io_exits(struct refvmm *m, uint32_t port, uint32_t size)
{
	if (!(proc(m) & PROC_IO_BITMAPS))
		return proc(m) & PROC_UNCOND_IO;
	if (port + size > 0x10000)
		return true;
	for (uint32_t p = port; p < port + size; p++)
		if (port_bit(m, p))
			return true;
	return false;
}

/* Vol. 1 19.5: at CPL > IOPL the ports' bits in the TSS's I/O permission
 * bit map (at the 16-bit offset 66H of the TSS) must be 0, and the two
 * bytes the processor reads there within the TSS limit; else #GP(0),
 * which comes before any VM exit (25.1.1).  G_NEXT: allowed. */
static enum gstep io_permission(struct refvmm *m, uint32_t port, uint32_t size)
{
	const struct cpu_state *c = &m->cpu;
	if (c->cpl <= (c->rflags >> 12 & 3))
		return G_NEXT;
	const struct seg *tr = &c->seg[SEG_TR];
	uint16_t base;
	enum gstep s = guest_read(m, tr->base + 0x66, sizeof base, &base);
	if (s != G_NEXT)
		return G_UNMODELLED;   /* a fault reading the TSS */
	uint64_t first = (uint64_t)base + port / 8, last = (uint64_t)base + (port + size - 1) / 8;
	bool ok = last + 1 <= tr->limit;
	for (uint64_t b = first; ok && b <= last; b++) {
		uint8_t byte;
		if (guest_read(m, tr->base + b, 1, &byte) != G_NEXT)
			return G_UNMODELLED;
		for (uint32_t p = port; p < port + size; p++)
			if (p / 8 == b - base && (byte >> (p % 8) & 1))
				ok = false;
	}
	if (CHECK(m, EXIT_IO_PERMISSION, ok))
		return G_NEXT;
	return guest_exception(m, 13, true, 0);
}

static uint32_t io_size(uint64_t s)
{
	return s == 2 || s == 4 ? (uint32_t)s : 1;
}

/* Table 27-5: size-1 (2:0), direction in (3), string (4), REP (5),
 * operand encoding DX (6 = 0), port (31:16).  String I/O also reports the
 * guest-linear address of its memory operand and, with
 * IA32_VMX_BASIC[54], instruction information (address size 64, segment
 * ES for INS, DS for OUTS). */
static enum gstep io(struct refvmm *m, const struct rop *o, bool in, bool string)
{
	uint32_t port = (uint32_t)o->a[0] & 0xffff, size = io_size(o->a[1]);
	enum gstep s = io_permission(m, port, size);
	if (s != G_NEXT)
		return s;
	if (CHECK(m, EXIT_IO_INSN, !io_exits(m, port, size)))
		return G_NEXT;
	uint64_t qual = (size - 1) | (uint64_t)in << 3 | (uint64_t)string << 4 | (uint64_t)port << 16;
	struct exit_info e = {
		.reason = XR_IO_INSTRUCTION, .have = EXF_QUAL | EXF_LEN, .qual = qual,
		.len = guest_cur_len(m),
	};
	if (string) {
		e.have |= EXF_GLA;
		e.gla = GUEST_SCR_IO;
		if (m->caps.msr[CAP_BASIC] >> 54 & 1) {
			e.have |= EXF_INFO;
			e.info = 2u << 7 | (in ? 0u : 3u) << 15;
		}
	}
	vmexit(m, &e);
	return G_EXITED;
}

static enum gstep g_in(struct refvmm *m, const struct rop *o)   { return io(m, o, true, false); }
static enum gstep g_out(struct refvmm *m, const struct rop *o)  { return io(m, o, false, false); }
static enum gstep g_ins(struct refvmm *m, const struct rop *o)  { return io(m, o, true, true); }
static enum gstep g_outs(struct refvmm *m, const struct rop *o) { return io(m, o, false, true); }

guest_op_fn *const guest_io_ops[OP_COUNT] = {
	[OP_G_IN] = g_in, [OP_G_OUT] = g_out, [OP_G_INS] = g_ins, [OP_G_OUTS] = g_outs,
};
