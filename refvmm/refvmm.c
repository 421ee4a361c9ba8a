/* The machine: create, reset to the fixed test machine, run one op. */
#include <stdlib.h>
#include <string.h>
#include "guest.h"
#include "insn.h"
#include "refvmm.h"
#include "tmbuild.h"
#include "vmcs_access.h"

/* ---- L1 state at the start of a case ---- */

/* IA32_FEATURE_CONTROL as the probe leaves it (harness/probe/main.c):
 * 0 means no firmware ran (Bochs ROM boot), and the probe enables VMX
 * outside SMX and locks it (TM_L1_FEATURE_CONTROL); any other value stays
 * as firmware left it, unlocked or with VMX disabled too (SDM 23.7). */
static uint64_t feature_control(const struct vmx_caps *caps)
{
	return caps->feature_control ? caps->feature_control : TM_L1_FEATURE_CONTROL;
}

static void l1_state(struct cpu_state *c, const struct vmx_caps *caps)
{
	memset(c, 0, opaque_size(sizeof *c));
	c->cr0 = TM_L1_CR0;
	c->cr3 = TM_L1_CR3;
	c->cr4 = TM_L1_CR4;
	c->efer = TM_L1_EFER;
	c->pat = TM_L1_PAT;
	c->rflags = TM_L1_RFLAGS;
	c->dr[7] = TM_L1_DR7;
	c->feature_control = feature_control(caps);
	for (int s = SEG_ES; s <= SEG_GS; s++)
		c->seg[s] = (struct seg){ TM_SEL_DATA, 0, 0xffffffff, TM_AR_DATA };
	c->seg[SEG_CS] = (struct seg){ TM_SEL_CODE64, 0, 0xffffffff, TM_AR_CODE64 };
	c->seg[SEG_LDTR] = (struct seg){ 0, 0, 0, TM_AR_UNUSABLE };
	c->seg[SEG_TR] = (struct seg){ TM_SEL_TSS, TM_TSS, TM_TSS_LIMIT, TM_AR_TSS64_BUSY };
	c->gdtr = (struct dtr){ TM_GDT, TM_GDT_LIMIT };
	c->idtr = (struct dtr){ TM_IDT, TM_IDT_LIMIT };
}

/* The test machine's memory: built once per revision identifier, then
 * rewound to (mem.h: the same contents and page count as a rebuild, at
 * the cost of the pages the last case touched). */
static void reset_memory(struct refvmm *m)
{
	uint32_t rev = caps_revision(&m->caps);
	if (m->mem.nbase && m->mem_snap_rev == rev) {
		mem_rewind(&m->mem);
		return;
	}
	mem_reset(&m->mem);
	/* cannot fail: create() gives the memory at least 2^32 bytes */
	(void)!tm_build_memory(&m->mem, rev);
	guest_arm(m, NULL, 0);   /* the empty block's code, part of the snapshot */
	mem_snapshot(&m->mem);
	m->mem_snap_rev = rev;
}

void refvmm_reset(struct refvmm *m)
{
	l1_state(&m->cpu, &m->caps);
	memcpy(&m->host, &m->cpu, opaque_size(sizeof m->cpu));   /* m->host = m->cpu */
	memset(&m->vmx, 0, opaque_size(sizeof m->vmx));
	m->vmx.current = VMCS_NONE;
	m->steps = 0;
	m->res = NULL;
	caps_cache_reset(&m->caps, &m->caps_cache);   /* refilled at first use if m->caps changed */
	reset_memory(m);
	/* an entry without guest { } runs the implicit vmcall (its code is in
	 * the snapshot already: the write changes nothing) */
	guest_arm(m, NULL, 0);
}

void vmcs_cache_refresh(struct refvmm *m)
{
	struct vmcs_cache *c = &m->vcache;
	uint64_t cur = m->vmx.current;
	c->data = NULL;
	if (cur == VMCS_NONE || cur % MEM_PAGE > MEM_PAGE - VMCS_REGION_USED ||
	    cur >= m->mem.limit || m->mem.limit - cur < VMCS_REGION_USED)
		return;
	uint8_t *page = mem_page_present(&m->mem, cur);   /* may move it: gen after */
	if (!page)
		return;
	*c = (struct vmcs_cache){ .pa = cur, .gen = m->mem.gen, .data = page + cur % MEM_PAGE };
}

struct refvmm *refvmm_create(const struct vmx_caps *caps)
{
	struct refvmm *m = calloc(1, sizeof *m);
	if (!m)
		return NULL;
	m->caps = *caps;
	/* RAM up to MAXPHYADDR (36 when the profile does not say, as caps.c
	 * assumes), clamped to what a 64-bit processor can have: 32..52 bits.
	 * Architectural address checks use the profile's value itself. */
	unsigned bits = caps->maxphyaddr ? caps->maxphyaddr : 36;
	bits = bits < 32 ? 32 : bits > 52 ? 52 : bits;
	if (mem_init(&m->mem, 1ULL << bits) != 0) {
		free(m);
		return NULL;
	}
	refvmm_reset(m);
	return m;
}

void refvmm_destroy(struct refvmm *m)
{
	if (!m)
		return;
	mem_free(&m->mem);
	free(m);
}

bool refvmm_peek_vmcs(const struct refvmm *m, enum vmcs_field f, uint64_t *val)
{
	if (m->vmx.current == VMCS_NONE || (unsigned)f >= VF_COUNT)
		return false;
	*val = vmcs_get(m, f);
	return true;
}

/* ---- running one op ---- */

static void op_guest(struct refvmm *m, const struct rop *op)
{
	guest_arm(m, op->block, op->nblock);
}

static void op_cpl(struct refvmm *m, const struct rop *op)
{
	m->vmx.next_cpl = (uint8_t)(op->a[0] & 3);
	m->vmx.cpl_pending = true;
}

static void op_mov_ss(struct refvmm *m, const struct rop *op)
{
	(void)op;
	m->vmx.movss_pending = true;
}

static void op_write(struct refvmm *m, const struct rop *op)
{
	/* Stores beyond the model's memory are dropped, as on a bus with no RAM there. */
	if (op->op == OP_WRITE32)
		(void)mem_write32(&m->mem, op->a[0], (uint32_t)op->a[1]);
	else
		(void)mem_write64(&m->mem, op->a[0], op->a[1]);
	insn_ok(m);
}

/* The GPRs L1 finds after the last VM exit (guest_gpr.c); unknown ones,
 * and RSP (HOST_RSP: vmread it), are unmodelled. */
static void op_gpr(struct refvmm *m, const struct rop *op)
{
	uint64_t v;
	m->res->nalt = 1;
	m->res->alt[0] = guest_gpr_read(m, (unsigned)op->a[0], &v)
		? (struct outcome){ .kind = OUT_VALUE, .value = v } : (struct outcome){ .kind = OUT_UNMODELLED };
}

typedef void op_fn(struct refvmm *m, const struct rop *op);
static op_fn *const l1_ops[OP_COUNT] = {
	[OP_VMXON] = insn_vmxon, [OP_VMXOFF] = insn_vmxoff, [OP_VMCLEAR] = insn_vmclear,
	[OP_VMPTRLD] = insn_vmptrld, [OP_VMPTRST] = insn_vmptrst, [OP_VMREAD] = insn_vmread,
	[OP_VMWRITE] = insn_vmwrite, [OP_VMLAUNCH] = insn_vmlaunch, [OP_VMRESUME] = insn_vmlaunch,
	[OP_INVEPT] = insn_invept, [OP_INVVPID] = insn_invvpid, [OP_VMFUNC] = insn_vmfunc,
	[OP_VMCALL] = insn_vmcall, [OP_RDMSR] = insn_rdmsr, [OP_WRMSR] = insn_wrmsr,
	[OP_MOV_CR] = insn_mov_cr, [OP_WRITE32] = op_write, [OP_WRITE64] = op_write,
	[OP_CPL] = op_cpl, [OP_GUEST] = op_guest, [OP_MOV_SS] = op_mov_ss,
	[OP_LEAVE_IA32E] = insn_leave_ia32e, [OP_GPR] = op_gpr,
};

void refvmm_run(struct refvmm *m, const struct rop *op, struct result *res)
{
	res->nalt = 0;   /* alt[] beyond nalt, rules[] beyond nrules: unspecified */
	res->nrules = 0;
	memset(&res->alt[0], 0, sizeof res->alt[0]);
	m->res = res;
	m->steps = 0;
	if (m->vmx.current != VMCS_NONE && !vmcs_cached(m))
		vmcs_cache_refresh(m);
	op_fn *fn = op->op < OP_COUNT ? l1_ops[op->op] : NULL;
	m->cpu.cpl = m->vmx.cpl_pending ? m->vmx.next_cpl : 0;
	bool movss = m->vmx.movss_pending;   /* blocking by MOV SS lasts one instruction */
	if (movss)
		m->cpu.interruptibility |= BLOCK_MOVSS;
	if (!op_is_prefix(op->op))
		m->vmx.cpl_pending = m->vmx.movss_pending = false;
	if (fn)
		fn(m, op);
	else {   /* an L2 op at top level, or OP_SETUP: the resolver's job */
		res->nalt = 1;
		res->alt[0] = (struct outcome){ .kind = OUT_UNMODELLED };
	}
	m->cpu.cpl = 0;
	if (movss)
		m->cpu.interruptibility &= ~BLOCK_MOVSS;
	if (op->flags & ROP_SILENT || op->op == OP_GUEST || op_is_prefix(op->op))
		res->nalt = 0;
	m->res = NULL;
}
