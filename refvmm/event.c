/* Event injection on VM entry (26.6) and the exits that occur before L2
 * executes any instruction (26.7): pending MTF ("other event" injection),
 * VMX-preemption timer of zero, NMI window, interrupt window. */
#include "guest_priv.h"


#define PIN_VIRTUAL_NMIS (1u << 5)
#define PIN_PREEMPT      (1u << 6)

static enum gstep early_exit(struct refvmm *m, uint32_t reason)
{
	struct exit_info e = { .reason = reason, .have = EXF_QUAL };
	vmexit(m, &e);
	return G_EXITED;
}

/* 26.6.1: the event is delivered through L2's IDT as if it had occurred,
 * without consulting the exception bitmap.  Software interrupts and
 * software/privileged exceptions push RIP + VM-entry instruction length
 * (26.6.1.1). */
static enum gstep inject(struct refvmm *m, uint32_t info)
{
	uint32_t type = info >> 8 & 7;
	uint8_t vector = (uint8_t)info;
	struct cpu_state *c = &m->cpu;
	bool sw = type == IT_SW_INT || type == IT_SW_EXC || type == IT_PRIV_SW_EXC;
	uint64_t ret = c->rip + (sw ? gv(m, VF_VM_ENTRY_INSTRUCTION_LEN) : 0);
	enum gstep st = guest_deliver(m, (struct gevent){ vector, (uint8_t)type, info >> 11 & 1,
				      (uint32_t)gv(m, VF_VM_ENTRY_EXCEPTION_ERROR_CODE), ret });
	/* 26.6.1.2: an injected NMI blocks NMIs (virtual NMIs: virtual blocking) */
	if (type == IT_NMI && st == G_JUMPED)
		c->interruptibility |= BLOCK_NMI;
	return st;
}

/* What happens on entry before L2's first instruction.  G_NEXT: run L2. */
enum gstep event_on_entry(struct refvmm *m)
{
	uint32_t info = (uint32_t)gv(m, VF_VM_ENTRY_INTR_INFO_FIELD);
	enum gstep s;
	if (info >> 31) {
		uint32_t type = info >> 8 & 7;
		/* 26.7.7: the TPR-threshold exit comes before a pending MTF exit */
		if (type == IT_OTHER && (s = apic_tpr_on_entry(m)) != G_NEXT)
			return s;
		/* 26.6.2: "other event" vector 0 is a pending MTF: exit first */
		if (!CHECK(m, EVENT_INJECT_PENDING_MTF, type != IT_OTHER))
			return early_exit(m, XR_MONITOR_TRAP_FLAG);
		CHECK(m, EVENT_INJECT_DELIVERY, false);
		s = inject(m, info);
		if (s != G_JUMPED)
			return s;
		/* 26.7.7: the TPR-threshold exit follows the injection */
		if ((s = apic_tpr_on_entry(m)) != G_NEXT)
			return s;
		/* 26.7.3: with MTF, an exit follows the delivery, RIP at the handler */
		if (!CHECK(m, EVENT_MTF_AFTER_INJECTION, !(proc(m) & PROC_MTF)))
			return early_exit(m, XR_MONITOR_TRAP_FLAG);
		return G_NEXT;
	}
	if ((s = apic_tpr_on_entry(m)) != G_NEXT)   /* 26.7.7 */
		return s;
	return event_window(m, false);
}

/* Between two L2 instructions (and before the first when nothing was
 * injected), in priority order (25.2-25.5, 26.7): an MTF exit after an
 * instruction that completed, the preemption timer (the model's timer
 * only ever expires at zero on entry), NMI window, interrupt window,
 * virtual-interrupt delivery (G_JUMPED).
 * G_NEXT: run the next instruction. */
enum gstep event_window(struct refvmm *m, bool after_insn)
{
	uint32_t pin = (uint32_t)gv(m, VF_PIN_BASED_VM_EXEC_CONTROL);
	struct cpu_state *c = &m->cpu;
	/* 25.5.2: MTF: a VM exit after each instruction that completes */
	if (after_insn && !CHECK(m, EVENT_MTF_AFTER_INSTRUCTION, !(proc(m) & PROC_MTF)))
		return early_exit(m, XR_MONITOR_TRAP_FLAG);
	if (!after_insn) {
		/* 26.7.4: a preemption timer of zero exits before any instruction */
		if (!CHECK(m, EVENT_PREEMPT_TIMER_ZERO,
			   !(pin & PIN_PREEMPT) || gv(m, VF_VMX_PREEMPTION_TIMER_VALUE) != 0))
			return early_exit(m, XR_PREEMPTION_TIMER);
	}
	/* 26.7.6: NMI window open unless (virtual-)NMI blocking */
	if (!CHECK(m, EVENT_NMI_WINDOW, !(proc(m) & PROC_NMI_WINDOW) ||
		   (c->interruptibility & (BLOCK_NMI | BLOCK_MOVSS))))
		return early_exit(m, XR_NMI_WINDOW);
	/* 26.7.5: interrupt window open with RFLAGS.IF = 1 and no STI/MOV-SS blocking */
	if (!CHECK(m, EVENT_INTR_WINDOW, !(proc(m) & PROC_INTR_WINDOW) || !(c->rflags & RFLAGS_IF) ||
		   (c->interruptibility & (BLOCK_STI | BLOCK_MOVSS))))
		return early_exit(m, XR_INTERRUPT_WINDOW);
	/* 29.2.2: virtual-interrupt delivery, with the interrupt window's priority */
	return apic_virtual_intr(m);
}

/* STI sets IF and, when IF was 0, blocks interrupts for one instruction;
 * MOV SS blocks for one instruction (Table 24-3; guest.c expires it). */
static enum gstep g_sti(struct refvmm *m, const struct rop *o)
{
	(void)o;
	if (!(m->cpu.rflags & RFLAGS_IF))
		m->cpu.interruptibility |= BLOCK_STI;
	m->cpu.rflags |= RFLAGS_IF;
	return G_NEXT;
}

static enum gstep g_cli(struct refvmm *m, const struct rop *o)
{
	(void)o;
	m->cpu.rflags &= ~RFLAGS_IF;
	return G_NEXT;
}

static enum gstep g_mov_ss(struct refvmm *m, const struct rop *o)
{
	(void)o;
	m->cpu.gpr[RAX] = TM_SEL_DATA;
	m->cpu.seg[SEG_SS].sel = TM_SEL_DATA;
	m->cpu.interruptibility |= BLOCK_MOVSS;
	return G_NEXT;
}

guest_op_fn *const guest_event_ops[OP_COUNT] = {
	[OP_G_STI] = g_sti, [OP_G_CLI] = g_cli, [OP_G_MOV_SS] = g_mov_ss,
};
