/* Control-register and debug-register accesses in VMX non-root operation
 * (25.1.3, 25.3): guest/host masks and read shadows for CR0/CR4, CR3
 * load/store exiting with CR3-target values, CR8 load/store exiting, CLTS,
 * LMSW, MOV DR.  CR8 accesses that do not exit go to the TPR shadow
 * (guest_apic.c).  Exit qualifications: Tables 27-3 (CR) and 27-4 (DR);
 * guest_code.c always uses rax (GPR field 11:8 = 0). */
#include "guest_priv.h"

enum { CR_MOV_TO = 0, CR_MOV_FROM = 1, CR_CLTS = 2, CR_LMSW = 3 };

static enum gstep cr_exit(struct refvmm *m, uint32_t cr, uint32_t type, uint64_t lmsw_src)
{
	return guest_insn_exit(m, XR_CR_ACCESS, cr | type << 4 | lmsw_src << 16, 0, 0);
}

/* MOV to CR0/CR4 exits when a bit owned by the host (mask 1) would
 * differ from its read shadow (25.1.3). */
static bool masked_change(struct refvmm *m, enum vmcs_field mask, enum vmcs_field shadow, uint64_t v)
{
	return ((v ^ gv(m, shadow)) & gv(m, mask)) != 0;
}

static bool cr3_target(struct refvmm *m, uint64_t v)
{
	static const enum vmcs_field t[4] = {
		VF_CR3_TARGET_VALUE0, VF_CR3_TARGET_VALUE1, VF_CR3_TARGET_VALUE2, VF_CR3_TARGET_VALUE3,
	};
	uint64_t n = gv(m, VF_CR3_TARGET_COUNT);
	for (uint64_t i = 0; i < n && i < 4; i++)
		if (gv(m, t[i]) == v)
			return true;
	return false;
}

static enum gstep g_mov_to_cr(struct refvmm *m, const struct rop *o)
{
	uint32_t cr = (uint32_t)(o->a[0] & 15);
	uint64_t v = o->a[1];
	struct cpu_state *c = &m->cpu;
	c->gpr[RAX] = v;
	switch (cr) {
	case 0:
		if (!CHECK(m, EXIT_CR_CR0_MASK, !masked_change(m, VF_CR0_GUEST_HOST_MASK, VF_CR0_READ_SHADOW, v)))
			return cr_exit(m, 0, CR_MOV_TO, 0);
		c->cr0 = (c->cr0 & gv(m, VF_CR0_GUEST_HOST_MASK)) | (v & ~gv(m, VF_CR0_GUEST_HOST_MASK));
		return G_NEXT;
	case 4:
		if (!CHECK(m, EXIT_CR_CR4_MASK, !masked_change(m, VF_CR4_GUEST_HOST_MASK, VF_CR4_READ_SHADOW, v)))
			return cr_exit(m, 4, CR_MOV_TO, 0);
		c->cr4 = (c->cr4 & gv(m, VF_CR4_GUEST_HOST_MASK)) | (v & ~gv(m, VF_CR4_GUEST_HOST_MASK));
		return G_NEXT;
	case 3:
		if (!CHECK(m, EXIT_CR_CR3_LOAD, !(proc(m) & PROC_CR3_LOAD) || cr3_target(m, v)))
			return cr_exit(m, 3, CR_MOV_TO, 0);
		c->cr3 = v;
		return G_NEXT;
	case 8:
		if (!CHECK(m, EXIT_CR_CR8_LOAD, !(proc(m) & PROC_CR8_LOAD)))
			return cr_exit(m, 8, CR_MOV_TO, 0);
		return apic_cr8_load(m, v);
	default:
		return guest_exception(m, 6, false, 0);   /* reserved CR: #UD */
	}
}

static enum gstep g_mov_from_cr(struct refvmm *m, const struct rop *o)
{
	uint32_t cr = (uint32_t)(o->a[0] & 15);
	struct cpu_state *c = &m->cpu;
	uint64_t m0 = gv(m, VF_CR0_GUEST_HOST_MASK), m4 = gv(m, VF_CR4_GUEST_HOST_MASK);
	switch (cr) {
	case 0:   /* 25.3: host-owned bits read from the shadow */
		c->gpr[RAX] = (c->cr0 & ~m0) | (gv(m, VF_CR0_READ_SHADOW) & m0);
		guest_gpr_computed(m, RAX);
		return G_NEXT;
	case 4:
		c->gpr[RAX] = (c->cr4 & ~m4) | (gv(m, VF_CR4_READ_SHADOW) & m4);
		guest_gpr_computed(m, RAX);
		return G_NEXT;
	case 3:
		if (!CHECK(m, EXIT_CR_CR3_STORE, !(proc(m) & PROC_CR3_STORE)))
			return cr_exit(m, 3, CR_MOV_FROM, 0);
		c->gpr[RAX] = c->cr3;
		guest_gpr_computed(m, RAX);
		return G_NEXT;
	case 8:
		if (!CHECK(m, EXIT_CR_CR8_STORE, !(proc(m) & PROC_CR8_STORE)))
			return cr_exit(m, 8, CR_MOV_FROM, 0);
		return apic_cr8_store(m);
	default:
		return guest_exception(m, 6, false, 0);
	}
}

/* CLTS exits when CR0.TS is host-owned and its shadow is 1 (25.1.3). */
static enum gstep g_clts(struct refvmm *m, const struct rop *o)
{
	(void)o;
	bool ex = gv(m, VF_CR0_GUEST_HOST_MASK) & gv(m, VF_CR0_READ_SHADOW) & 8;
	if (!CHECK(m, EXIT_CR_CLTS, !ex))
		return cr_exit(m, 0, CR_CLTS, 0);
	if (!(gv(m, VF_CR0_GUEST_HOST_MASK) & 8))
		m->cpu.cr0 &= ~8ull;
	return G_NEXT;
}

/* LMSW exits when a host-owned bit among PE/MP/EM/TS would change from
 * its shadow, except that LMSW cannot clear PE (25.1.3). */
static enum gstep g_lmsw(struct refvmm *m, const struct rop *o)
{
	uint64_t src = o->a[0] & 0xffff, mask = gv(m, VF_CR0_GUEST_HOST_MASK), sh = gv(m, VF_CR0_READ_SHADOW);
	bool ex = (mask & 1 && !(sh & 1) && src & 1) || ((mask & 0xe) & (sh ^ src));
	m->cpu.gpr[RAX] = src;
	if (!CHECK(m, EXIT_CR_LMSW, !ex))
		return cr_exit(m, 0, CR_LMSW, src);
	uint64_t own = ~mask & 0xf;
	m->cpu.cr0 = (m->cpu.cr0 & ~(own & 0xe)) | (src & own & 0xf) | (m->cpu.cr0 & 1);
	return G_NEXT;
}

/* MOV DR exits with "MOV-DR exiting": Table 27-4, DR number (2:0),
 * direction (4: 1 = from DR), GPR (11:8). */
static enum gstep mov_dr(struct refvmm *m, uint32_t dr, bool from)
{
	if (!CHECK(m, EXIT_DR_MOV, !(proc(m) & PROC_MOV_DR)))
		return guest_insn_exit(m, XR_DR_ACCESS, dr | (uint32_t)from << 4, 0, 0);
	return G_UNMODELLED;   /* DR4/DR5 aliasing, DR7.GD: not modelled yet */
}

static enum gstep g_mov_dr(struct refvmm *m, const struct rop *o)
{
	return mov_dr(m, (uint32_t)(o->a[0] & 7), true);
}

static enum gstep g_mov_to_dr(struct refvmm *m, const struct rop *o)
{
	m->cpu.gpr[RAX] = o->a[1];
	return mov_dr(m, (uint32_t)(o->a[0] & 7), false);
}

guest_op_fn *const guest_cr_ops[OP_COUNT] = {
	[OP_G_MOV_TO_CR] = g_mov_to_cr, [OP_G_MOV_FROM_CR] = g_mov_from_cr,
	[OP_G_CLTS] = g_clts, [OP_G_LMSW] = g_lmsw,
	[OP_G_MOV_DR] = g_mov_dr, [OP_G_MOV_TO_DR] = g_mov_to_dr,
};
