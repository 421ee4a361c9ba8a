/* Task switches in VMX non-root operation (SDM 25.4.2): any attempt
 * exits (basic reason 9), but only after the instruction's own checks,
 * which fault as they would outside VMX.  The case language's jmp_far
 * and call_far are a far JMP and CALL through an m16:32 pointer in memory
 * (JMP, CALL, vol. 2: the same checks for a TSS target):
 *
 *   null selector #GP(0); GDT index beyond its limit #GP(sel);
 *   a descriptor that is not a code segment, call gate, task gate or TSS
 *   (in IA-32e mode: not a code segment or call gate) #GP(sel);
 *   a TSS: DPL below CPL or the selector's RPL, or busy, #GP(sel); not
 *   present #NP(sel); else SWITCH-TASKS, here the VM exit.
 *
 * Not modelled: far jumps to code segments and through call or task
 * gates, LDT selectors, and CPL > 0 (the descriptor read is a supervisor
 * access, which guest_mem.c does not tell apart). */
#include "guest_priv.h"

#define DESC_S (1ull << 44)
#define DESC_P (1ull << 47)
#define SEL_TI 4u
enum { TASK_SOURCE_CALL = 0, TASK_SOURCE_JMP = 2 };   /* qualification bits 31:30, Table 28-2 */

static enum gstep fault_sel(struct refvmm *m, uint8_t vector, uint16_t sel)
{
	return guest_exception(m, vector, true, sel & 0xfffcu);
}

/* Whether a system-descriptor type may be a far JMP's target (JMP, vol. 2). */
static bool jmp_system_type_ok(unsigned type, bool ia32e)
{
	if (ia32e)
		return type == 12;                       /* 64-bit call gate */
	return type == 1 || type == 3 || type == 9 || type == 11 ||   /* TSSs */
	       type == 4 || type == 12 || type == 5;                   /* call gates, task gate */
}

static enum gstep far_transfer(struct refvmm *m, const struct rop *o, uint32_t source)
{
	struct cpu_state *c = &m->cpu;
	enum gstep s = guest_fetch_op(m);
	if (s != G_NEXT)
		return s;
	if (c->cpl != 0)
		return G_UNMODELLED;
	uint8_t ptr[6];
	s = guest_read(m, o->a[0] & 0xffffffffu, sizeof ptr, ptr);
	if (s != G_NEXT)
		return s;
	uint16_t sel = (uint16_t)(ptr[4] | ptr[5] << 8);
	if (sel & SEL_TI)
		return G_UNMODELLED;   /* the LDT */
	if (!CHECK(m, TASK_JMP_NULL, (sel & 0xfff8u) != 0))
		return guest_exception(m, 13, true, 0);
	if (!CHECK(m, TASK_JMP_LIMIT, (uint32_t)(sel | 7u) <= c->gdtr.limit))
		return fault_sel(m, 13, sel);
	uint64_t d;
	s = guest_read(m, c->gdtr.base + (sel & 0xfff8u), sizeof d, &d);
	if (s != G_NEXT)
		return s;
	bool ia32e = c->efer & EFER_LMA;
	unsigned type = d >> 40 & 0xf;
	if ((d & DESC_S) && (type & 8))
		return G_UNMODELLED;   /* a code segment */
	if (!CHECK(m, TASK_JMP_TYPE, !(d & DESC_S) && jmp_system_type_ok(type, ia32e)))
		return fault_sel(m, 13, sel);
	if (type == 4 || type == 12 || type == 5)
		return G_UNMODELLED;   /* call gates, task gates */
	unsigned dpl = d >> 45 & 3;
	if (!CHECK(m, TASK_JMP_TSS_ACCESS, dpl >= c->cpl && dpl >= (sel & 3u) && !(type & 2)))
		return fault_sel(m, 13, sel);
	if (!CHECK(m, TASK_JMP_TSS_PRESENT, d & DESC_P))
		return fault_sel(m, 11, sel);
	CHECK(m, EXIT_TASK_SWITCH, false);
	return guest_insn_exit(m, XR_TASK_SWITCH, sel | (uint64_t)source << 30, 0, 0);
}

static enum gstep g_jmp_far(struct refvmm *m, const struct rop *o) { return far_transfer(m, o, TASK_SOURCE_JMP); }
static enum gstep g_call_far(struct refvmm *m, const struct rop *o) { return far_transfer(m, o, TASK_SOURCE_CALL); }

guest_op_fn *const guest_task_ops[OP_COUNT] = {
	[OP_G_JMP_FAR] = g_jmp_far, [OP_G_CALL_FAR] = g_call_far,
};
