/* L2 execution (SDM chapter 25): the armed guest block is laid out as real
 * code at TM_GUEST_CODE (guest_code.c); guest_run() steps through it op by
 * op from GUEST_RIP until an op causes a VM exit.  An op's prelude (operand
 * loads) never exits; its exiting instruction decides. */
#include <string.h>
#include "guest_priv.h"

#define CODE_MAX 4096   /* > (GUEST_BLOCK_MAX + 1) * longest op (48 bytes) */

void guest_arm(struct refvmm *m, const struct rop *ops, uint32_t n)
{
	struct vmx_state *v = &m->vmx;
	uint8_t code[CODE_MAX];
	uint32_t offs[GUEST_BLOCK_MAX + 1];
	if (n > GUEST_BLOCK_MAX)
		n = GUEST_BLOCK_MAX;   /* the parser bounds blocks; never trust it */
	for (uint32_t i = 0; i < n; i++) {
		v->block[i] = ops[i];
		v->block[i].block = NULL;
		v->block[i].nblock = 0;
	}
	v->block[n] = (struct rop){ .op = OP_G_VMCALL };
	size_t len = guest_layout(ops, n, code, sizeof code, offs, v->block_len);
	v->nblock = len ? n + 1 : 0;
	v->pc = 0;
	for (uint32_t i = 0; i < v->nblock; i++)
		v->block_rip[i] = TM_GUEST_CODE + offs[i];
	if (len && mem_write(&m->mem, TM_GUEST_CODE, code, len) != 0)
		v->nblock = 0;
}

uint64_t guest_cur_rip(const struct refvmm *m)
{
	return m->cpu.rip;
}

uint8_t guest_cur_len(const struct refvmm *m)
{
	return m->vmx.pc < m->vmx.nblock ? m->vmx.block_len[m->vmx.pc] : 3;
}

/* First byte of op i's code (its prelude). */
static uint64_t op_start(const struct vmx_state *v, uint32_t i)
{
	return i == 0 ? TM_GUEST_CODE : (uint64_t)v->block_rip[i - 1] + v->block_len[i - 1];
}

/* Which op RIP is in: its prelude or its exiting instruction.  A RIP at a
 * guest IDT stub (the vmcall at TM_GUEST_IDT_STUBS + 16*n) gives nblock.
 * -1: RIP is somewhere the model does not run. */
static int64_t locate(const struct vmx_state *v, uint64_t rip)
{
	for (uint32_t i = 0; i < v->nblock; i++)
		if (rip >= op_start(v, i) && rip <= v->block_rip[i])
			return i;
	if (v->nblock && rip == op_start(v, v->nblock))
		return v->nblock + 2;        /* the jmp back to the trailing vmcall */
	if (rip >= TM_GUEST_IDT_STUBS && rip < TM_GUEST_IDT_STUBS + 256 * TM_GUEST_STUB_SIZE) {
		uint64_t at = (rip - TM_GUEST_IDT_STUBS) % TM_GUEST_STUB_SIZE;
		if (at == 0)
			return v->nblock;        /* the stub's vmcall */
		if (at == 3)
			return v->nblock + 1;    /* its iretq */
	}
	return -1;
}

static void unmodelled(struct refvmm *m)
{
	if (m->res) {
		m->res->nalt = 1;
		m->res->alt[0] = (struct outcome){ .kind = OUT_UNMODELLED };
	}
	m->vmx.nonroot = false;
	m->cpu = m->host;   /* back to L1 so later ops stay defined */
	m->vmx.exit_gpr_unknown = 0xffff;
}

/* The harness's resume convention (DESIGN.md): after an instruction exit,
 * vmresume first advances GUEST_RIP by the exit's instruction length,
 * unless the case wrote GUEST_RIP itself. */
static void resume_advance(struct refvmm *m)
{
	if (m->vmx.exit_advance && !m->vmx.guest_rip_written) {
		m->cpu.rip += m->vmx.exit_advance;
		gw(m, VF_GUEST_RIP, m->cpu.rip);
	}
	m->vmx.exit_advance = 0;
	m->vmx.guest_rip_written = false;
}

/* Length of a prelude instruction of guest_code.c: mov r32, imm32 (B8+r,
 * 5), xor r32, r32 (31, 2), mov r64, imm64 (48 B8+r, 10), mov
 * [rcx+d8], rax (48 89 41, 4).  0: not a prelude instruction. */
static uint8_t prelude_len(const struct refvmm *m, uint64_t rip)
{
	uint8_t b[2] = { 0, 0 };
	if (mem_read(&m->mem, rip, b, 2) != 0)
		return 0;
	if (b[0] >= 0xb8 && b[0] <= 0xbf)
		return 5;
	if (b[0] == 0x31)
		return 2;
	if (b[0] == 0x48 && b[1] >= 0xb8 && b[1] <= 0xbf)
		return 10;
	if (b[0] == 0x48 && b[1] == 0x89)
		return 4;
	return 0;
}

/* The operand loads before an op's exiting instruction are instructions
 * too: MTF and window exits can fall between them (25.5.2, 26.7.5), and
 * STI/MOV-SS blocking expires after the first.  Their register effects are
 * applied with the op. */
static enum gstep run_prelude(struct refvmm *m, uint64_t end)
{
	while (m->cpu.rip < end) {
		uint8_t n = prelude_len(m, m->cpu.rip);
		if (!n)
			return G_UNMODELLED;
		uint32_t blocked = m->cpu.interruptibility & (BLOCK_STI | BLOCK_MOVSS);
		guest_gpr_prelude(m, m->cpu.rip);
		m->cpu.rip += n;
		m->cpu.interruptibility &= ~blocked;
		enum gstep s = event_window(m, true);
		if (s != G_NEXT)
			return s;
	}
	return m->cpu.rip == end ? G_NEXT : G_UNMODELLED;
}

/* IRETQ (48 CF) of a guest IDT stub: pops RIP, CS, RFLAGS, RSP, SS as
 * the 64-bit frame lays them out (an error code, if the vector pushed
 * one, is popped as RIP, exactly as on hardware). */
static enum gstep stub_iretq(struct refvmm *m)
{
	struct cpu_state *c = &m->cpu;
	uint64_t f[5];
	if (mem_read(&m->mem, c->gpr[RSP], f, sizeof f) != 0)
		return G_UNMODELLED;
	c->rip = f[0];
	c->seg[SEG_CS].sel = (uint16_t)f[1];
	c->rflags = (f[2] & 0x3f7fd7) | 2;   /* reserved bits: 1 = 1, others 0 */
	c->gpr[RSP] = f[3];
	c->seg[SEG_SS].sel = (uint16_t)f[4];
	return G_JUMPED;
}

/* The handler of an L2 op, from the table of its SDM area. */
static guest_op_fn *handler(uint16_t op)
{
	static guest_op_fn *const *const tables[] = {
		guest_insn_ops, guest_exc_ops, guest_msr_ops, guest_io_ops, guest_cr_ops,
		guest_event_ops, guest_mem_ops, guest_task_ops,
	};
	if (op >= OP_COUNT)
		return NULL;
	for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
		if (tables[t][op])
			return tables[t][op];
	return NULL;
}

static enum gstep step(struct refvmm *m)
{
	static const struct rop stub_vmcall = { .op = OP_G_VMCALL };
	struct vmx_state *v = &m->vmx;
	int64_t i = locate(v, m->cpu.rip);
	if (i < 0)
		return G_UNMODELLED;
	v->pc = (uint32_t)i;
	if ((uint32_t)i == v->nblock + 1)
		return stub_iretq(m);
	if ((uint32_t)i == v->nblock + 2) {
		m->cpu.rip = v->block_rip[v->nblock - 1];
		return G_JUMPED;
	}
	const struct rop *o = (uint32_t)i < v->nblock ? &v->block[i] : &stub_vmcall;
	if (!guest_code_runs_in(o->op, l2_code_bits(m)))
		return G_UNMODELLED;   /* its 64-bit code means something else here */
	if ((uint32_t)i < v->nblock) {
		/* entered in the middle of an op (a resume or an IRET there): the
		 * registers its operand loads set before are the entry's zeros,
		 * not the case's operands the handlers use; only an instruction
		 * that exits whatever its operands (25.1.2) can go on */
		bool any_operands = o->op == OP_G_CPUID || o->op == OP_G_INVD || o->op == OP_G_XSETBV;
		if (m->cpu.rip != op_start(v, (uint32_t)i) && v->prelude_pc != (int32_t)i && !any_operands)
			return G_UNMODELLED;
		v->prelude_pc = (int32_t)i;
		enum gstep s = run_prelude(m, v->block_rip[i]);
		if (s != G_NEXT)
			return s;
	}
	guest_op_fn *f = handler(o->op);
	if (!f)
		return G_UNMODELLED;
	/* the op's code fetch decides first where it can differ from the test
	 * machine's always-fetchable supervisor code: at CPL 3 (a user page is
	 * needed) and with EPT accessed flags (it sets them, PML may exit) */
	bool ept_ad = (proc2(m) & (1u << 1)) && (gv(m, VF_EPT_POINTER) & (1u << 6));
	enum gstep s = m->cpu.cpl || ept_ad ? guest_fetch_op(m) : G_NEXT;
	if (s == G_NEXT)
		s = guest_cpl_check(m, o);
	if (s == G_NEXT)
		s = f(m, o);
	if (s == G_NEXT || s == G_JUMPED)
		guest_gpr_completed(m, o->op);
	if (s == G_NEXT)
		m->cpu.rip += guest_cur_len(m);
	return s;
}

void guest_run(struct refvmm *m)
{
	guest_gpr_entry(m);
	guest_mem_entry(m);
	m->vmx.prelude_pc = -1;
	m->vmx.nonroot = true;
	m->vmx.pause_seen = false;   /* PAUSE-loop timing starts at each VM entry */
	resume_advance(m);
	switch (event_on_entry(m)) {
	case G_EXITED:
		return;
	case G_UNMODELLED:
		unmodelled(m);
		return;
	default:
		break;
	}
	while (m->steps < REFVMM_STEP_LIMIT) {
		m->steps++;
		/* STI/MOV-SS blocking lasts for the one instruction after it */
		uint32_t blocked = m->cpu.interruptibility & (BLOCK_STI | BLOCK_MOVSS);
		enum gstep s = step(m);
		if (s == G_NEXT || s == G_JUMPED) {
			m->cpu.interruptibility &= ~blocked;
			s = event_window(m, true);
		}
		if (s == G_EXITED)
			return;
		if (s == G_UNMODELLED) {
			unmodelled(m);
			return;
		}
	}
	unmodelled(m);
}
