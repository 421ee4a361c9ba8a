/* L2's general-purpose registers, as L1 finds them after a VM exit: an
 * exit loads RSP and RIP from the host-state area and leaves the other
 * GPRs as L2 had them (SDM 28.5.3 / 27.5.3), so L1 reads L2's values.
 *
 * What the model knows of them:
 *   - the test machine enters L2 with every GPR 0 but RSP (GUEST_RSP):
 *     every backend zeroes them before VMLAUNCH/VMRESUME (testmachine.h);
 *   - each prelude instruction of guest_code.c (mov r32, imm32; mov r64,
 *     imm64; xor r32, r32) sets its register, as it runs;
 *   - an op's exiting instruction, when it completes, writes the registers
 *     of insn_writes[] (Vol. 2): the model knows the new value only where
 *     the op's handler computed it (guest_gpr_computed()); the others
 *     (a TSC, a random number, a real MSR) become unknown.
 * The `gpr` op reads the snapshot of the last VM exit; an unknown
 * register is `unmodelled`. */
#include <string.h>
#include "guest_priv.h"

#define R(r) (1u << (r))
#define ALL_GPRS 0xffffu

static const uint16_t insn_writes[OP_COUNT] = {
	[OP_G_CPUID] = R(RAX) | R(RBX) | R(RCX) | R(RDX),
	[OP_G_RDMSR] = R(RAX) | R(RDX),
	[OP_G_IN] = R(RAX),
	[OP_G_INS] = R(RDI),
	[OP_G_OUTS] = R(RSI),
	[OP_G_MOV_FROM_CR] = R(RAX),
	[OP_G_MOV_DR] = R(RAX),
	[OP_G_READ] = R(RAX),
	[OP_G_READ32] = R(RAX),
	[OP_G_EXEC] = R(RSP),
	[OP_G_RDTSC] = R(RAX) | R(RDX),
	[OP_G_RDTSCP] = R(RAX) | R(RCX) | R(RDX),
	[OP_G_RDPMC] = R(RAX) | R(RDX),
	[OP_G_RDRAND] = R(RAX),
	[OP_G_RDSEED] = R(RAX),
	[OP_G_GETSEC] = ALL_GPRS,     /* leaf-dependent */
	[OP_G_ENCLS] = ALL_GPRS,      /* leaf-dependent */
	[OP_G_RSM] = ALL_GPRS,        /* the whole SMRAM state */
	[OP_G_SLDT] = R(RAX),
	[OP_G_STR] = R(RAX),
	[OP_G_VMREAD] = R(RAX),
};

void guest_gpr_entry(struct refvmm *m)
{
	uint64_t *g = m->cpu.gpr;   /* 15 stores: cheaper than memset's rep stos here */
	g[RAX] = g[RCX] = g[RDX] = g[RBX] = g[RBP] = g[RSI] = g[RDI] = 0;
	g[R8] = g[R9] = g[R10] = g[R11] = g[R12] = g[R13] = g[R14] = g[R15] = 0;
	m->vmx.gpr_unknown = 0;
	m->vmx.gpr_set = 0;
}

/* One prelude instruction at rip (guest.c prelude_len() vouched for it). */
void guest_gpr_prelude(struct refvmm *m, uint64_t rip)
{
	uint8_t b[10];
	if (mem_read(&m->mem, rip, b, sizeof b) != 0) {
		m->vmx.gpr_unknown = ALL_GPRS;
		return;
	}
	uint64_t v = 0;
	if (b[0] >= 0xb8 && b[0] <= 0xbf) {            /* B8+r id: zero-extends */
		for (int i = 4; i >= 1; i--)
			v = v << 8 | b[i];
		m->cpu.gpr[b[0] - 0xb8] = v;
	} else if (b[0] == 0x48 && b[1] >= 0xb8 && b[1] <= 0xbf) {   /* REX.W B8+r io */
		for (int i = 9; i >= 2; i--)
			v = v << 8 | b[i];
		m->cpu.gpr[b[1] - 0xb8] = v;
	} else if (b[0] == 0x31 && (b[1] >> 6) == 3 && (b[1] >> 3 & 7) == (b[1] & 7)) {   /* xor r32, r32 */
		m->cpu.gpr[b[1] & 7] = 0;
	}
}

void guest_gpr_computed(struct refvmm *m, unsigned r)
{
	m->vmx.gpr_set |= (uint16_t)R(r);
}

void guest_gpr_completed(struct refvmm *m, uint16_t op)
{
	uint16_t w = op < OP_COUNT ? insn_writes[op] : ALL_GPRS;
	m->vmx.gpr_unknown |= w & ~m->vmx.gpr_set;
	m->vmx.gpr_set = 0;
}

/* The GPRs stay in m->cpu across the exit (exit.c load_host copies the
 * rest of L1's state), as they stay in the processor. */
void guest_gpr_exit(struct refvmm *m)
{
	m->vmx.exit_gpr_unknown = m->vmx.gpr_unknown;
	m->vmx.gpr_set = 0;
}

/* A VM-entry failure (26.7, 26.8) returns to L1 like an exit, before L2
 * ran: the GPRs are the zeros of the entry. */
void guest_gpr_entry_failed(struct refvmm *m)
{
	memset(m->cpu.gpr, 0, sizeof m->cpu.gpr);
	m->vmx.exit_gpr_unknown = 0;
}

bool guest_gpr_read(const struct refvmm *m, unsigned r, uint64_t *v)
{
	if (r >= 16 || r == RSP || (m->vmx.exit_gpr_unknown >> r & 1))
		return false;
	*v = m->cpu.gpr[r];
	return true;
}
