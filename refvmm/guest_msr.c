/* RDMSR/WRMSR in VMX non-root operation (25.1.3, 24.6.9): MSR bitmaps.
 * Read-low at +0, read-high at +1024, write-low at +2048, write-high at
 * +3072; the low range is 0-1FFFH, the high range C0000000H-C0001FFFH;
 * any other ECX, or "use MSR bitmaps" = 0, always exits. */
#include "guest_priv.h"

static bool msr_exits(struct refvmm *m, uint32_t msr, bool write)
{
	if (!(proc(m) & PROC_MSR_BITMAPS))
		return true;
	uint64_t base;
	if (msr <= 0x1fff)
		base = write ? 2048 : 0;
	else if (msr >= 0xc0000000 && msr <= 0xc0001fff)
		base = write ? 3072 : 1024;
	else
		return true;
	uint32_t bit = msr & 0x1fff;
	uint8_t byte = 0;
	if (mem_read(&m->mem, gv(m, VF_MSR_BITMAP) + base + bit / 8, &byte, 1) != 0)
		return true;
	return byte >> (bit % 8) & 1;
}

/* Without an exit, RDMSR reads the MSR as L2 has it: the x2APIC range as
 * APIC virtualization says (guest_apic.c), MSRs whose value the model
 * knows into EDX:EAX; any other is unmodelled. */
static enum gstep g_rdmsr(struct refvmm *m, const struct rop *o)
{
	uint32_t msr = (uint32_t)o->a[0];
	if (!CHECK(m, EXIT_MSR_READ, !msr_exits(m, msr, false)))
		return guest_insn_exit(m, XR_RDMSR, 0, 0, 0);
	uint64_t v;
	if ((msr >> 8) == 8 || !msr_l2_value(m, msr, &v))
		return apic_rdmsr(m, msr);
	m->cpu.gpr[RAX] = (uint32_t)v;
	m->cpu.gpr[RDX] = v >> 32;
	guest_gpr_computed(m, RAX);
	guest_gpr_computed(m, RDX);
	return G_NEXT;
}

/* Without an exit, WRMSR writes the MSR as L2 has it: the x2APIC range
 * through APIC virtualization, the MSRs the model knows with WRMSR's own
 * checks (#GP(0)); VM exits then save what their controls say (27.3). */
static enum gstep g_wrmsr(struct refvmm *m, const struct rop *o)
{
	uint32_t msr = (uint32_t)o->a[0];
	if (!CHECK(m, EXIT_MSR_WRITE, !msr_exits(m, msr, true)))
		return guest_insn_exit(m, XR_WRMSR, 0, 0, 0);
	if ((msr >> 8) == 8)
		return apic_wrmsr(m, msr, o->a[1]);
	switch (msr_l2_write(m, msr, o->a[1])) {
	case 1: return G_NEXT;
	case 0: return guest_exception(m, 13, true, 0);
	default: return apic_wrmsr(m, msr, o->a[1]);   /* not modelled */
	}
}

guest_op_fn *const guest_msr_ops[OP_COUNT] = {
	[OP_G_RDMSR] = g_rdmsr, [OP_G_WRMSR] = g_wrmsr,
};
