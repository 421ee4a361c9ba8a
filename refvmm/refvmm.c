/* The machine: create, reset to the fixed test machine, run one op. */
#include <stdlib.h>
#include <string.h>
#include "guest.h"
#include "insn.h"
#include "refvmm.h"

/* ---- the test machine's memory (testmachine.h spells it out) ---- */

static void put64(struct refvmm *m, uint64_t pa, uint64_t v) { (void)mem_write64(&m->mem, pa, v); }
static void put32(struct refvmm *m, uint64_t pa, uint32_t v) { (void)mem_write32(&m->mem, pa, v); }

static void build_gdt_tss(struct refvmm *m)
{
	put64(m, TM_GDT + TM_SEL_CODE64, TM_GDT_CODE64);
	put64(m, TM_GDT + TM_SEL_DATA, TM_GDT_DATA);
	put64(m, TM_GDT + TM_SEL_CODE32, TM_GDT_CODE32);
	put64(m, TM_GDT + (TM_SEL_USER_DATA & ~7), TM_GDT_USER_DATA);
	put64(m, TM_GDT + (TM_SEL_USER_CODE64 & ~7), TM_GDT_USER_CODE64);
	/* 64-bit TSS descriptor, busy after LTR (type 0xb), base TM_TSS */
	uint64_t b = TM_TSS, lo = TM_TSS_LIMIT | (b & 0xffffff) << 16 | 0x8bULL << 40 | (b >> 24 & 0xff) << 56;
	put64(m, TM_GDT + TM_SEL_TSS, lo);
	put64(m, TM_GDT + TM_SEL_TSS + 8, b >> 32);
	put64(m, TM_TSS + 4, TM_HOST_RSP);      /* RSP0, as the probe sets it */
	put32(m, TM_TSS + 0x64, 0x68u << 16);   /* I/O map base: no bitmap */
}

static void build_guest_idt(struct refvmm *m)
{
	static const uint8_t stub[] = TM_GUEST_STUB_BYTES;
	uint8_t page[TM_GUEST_STUB_SIZE];
	memset(page, 0xf4, sizeof page);
	memcpy(page, stub, sizeof stub - 1);
	for (uint64_t n = 0; n < 256; n++) {
		uint64_t off = TM_GUEST_IDT_STUBS + TM_GUEST_STUB_SIZE * n;
		uint64_t lo = (off & 0xffff) | (uint64_t)TM_SEL_CODE64 << 16 | 0x8eULL << 40 |
			      (off >> 16 & 0xffff) << 48;
		put64(m, TM_GUEST_IDT + 16 * n, lo);
		put64(m, TM_GUEST_IDT + 16 * n + 8, off >> 32);
		if (mem_write(&m->mem, off, page, sizeof page) != 0)
			return;   /* beyond MAXPHYADDR: cannot happen below 4 MiB */
	}
}

static void build_paging(struct refvmm *m)
{
	put64(m, TM_PAGE_TABLES, (TM_PAGE_TABLES + 0x1000) | TM_PTE_DIR);
	put64(m, TM_PAGE_TABLES + 0x1000, (TM_PAGE_TABLES + 0x2000) | TM_PTE_DIR);
	put64(m, TM_EPT_ROOT, TM_EPT_PDPT | TM_EPTE_DIR);
	put64(m, TM_EPT_PDPT, TM_EPT_PD | TM_EPTE_DIR);
	for (uint64_t i = 0; i < 512; i++) {
		put64(m, TM_PAGE_TABLES + 0x2000 + 8 * i, (i << 21) | TM_PTE_2M);
		put64(m, TM_EPT_PD + 8 * i, (i << 21) | TM_EPTE_2M);
	}
}

static void build_memory(struct refvmm *m)
{
	uint32_t rev = caps_revision(&m->caps);
	static const uint64_t regions[] = { TM_VMXON_REGION, TM_VMCS0, TM_VMCS1, TM_SHADOW_VMCS };
	for (size_t i = 0; i < sizeof regions / sizeof *regions; i++)
		put32(m, regions[i], rev);
	build_gdt_tss(m);
	build_guest_idt(m);
	build_paging(m);
}

/* ---- L1 state at the start of a case ---- */

static void l1_state(struct cpu_state *c)
{
	memset(c, 0, sizeof *c);
	c->cr0 = TM_L1_CR0;
	c->cr3 = TM_L1_CR3;
	c->cr4 = TM_L1_CR4;
	c->efer = TM_L1_EFER;
	c->pat = TM_L1_PAT;
	c->rflags = TM_L1_RFLAGS;
	c->dr[7] = TM_L1_DR7;
	c->feature_control = TM_L1_FEATURE_CONTROL;
	for (int s = SEG_ES; s <= SEG_GS; s++)
		c->seg[s] = (struct seg){ TM_SEL_DATA, 0, 0xffffffff, TM_AR_DATA };
	c->seg[SEG_CS] = (struct seg){ TM_SEL_CODE64, 0, 0xffffffff, TM_AR_CODE64 };
	c->seg[SEG_LDTR] = (struct seg){ 0, 0, 0, TM_AR_UNUSABLE };
	c->seg[SEG_TR] = (struct seg){ TM_SEL_TSS, TM_TSS, TM_TSS_LIMIT, TM_AR_TSS64_BUSY };
	c->gdtr = (struct dtr){ TM_GDT, TM_GDT_LIMIT };
	c->idtr = (struct dtr){ TM_IDT, TM_IDT_LIMIT };
}

void refvmm_reset(struct refvmm *m)
{
	l1_state(&m->cpu);
	m->host = m->cpu;
	memset(&m->vmx, 0, sizeof m->vmx);
	m->vmx.current = VMCS_NONE;
	m->steps = 0;
	m->res = NULL;
	mem_reset(&m->mem);
	build_memory(m);
	guest_arm(m, NULL, 0);   /* an entry without guest { } runs the implicit vmcall */
}

struct refvmm *refvmm_create(const struct vmx_caps *caps)
{
	struct refvmm *m = calloc(1, sizeof *m);
	if (!m)
		return NULL;
	m->caps = *caps;
	unsigned bits = caps->maxphyaddr ? caps->maxphyaddr : 40;
	if (mem_init(&m->mem, 1ULL << (bits > 52 ? 52 : bits)) != 0) {
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
	*val = mem_read64(&m->mem, m->vmx.current + VMCS_OFF_FIELDS + 8u * (uint64_t)f);
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

static void op_write(struct refvmm *m, const struct rop *op)
{
	/* Stores beyond the model's memory are dropped, as on a bus with no RAM there. */
	if (op->op == OP_WRITE32)
		(void)mem_write32(&m->mem, op->a[0], (uint32_t)op->a[1]);
	else
		(void)mem_write64(&m->mem, op->a[0], op->a[1]);
	insn_ok(m);
}

typedef void op_fn(struct refvmm *m, const struct rop *op);
static op_fn *const l1_ops[OP_COUNT] = {
	[OP_VMXON] = insn_vmxon, [OP_VMXOFF] = insn_vmxoff, [OP_VMCLEAR] = insn_vmclear,
	[OP_VMPTRLD] = insn_vmptrld, [OP_VMPTRST] = insn_vmptrst, [OP_VMREAD] = insn_vmread,
	[OP_VMWRITE] = insn_vmwrite, [OP_VMLAUNCH] = insn_vmlaunch, [OP_VMRESUME] = insn_vmlaunch,
	[OP_INVEPT] = insn_invept, [OP_INVVPID] = insn_invvpid, [OP_VMFUNC] = insn_vmfunc,
	[OP_VMCALL] = insn_vmcall, [OP_RDMSR] = insn_rdmsr, [OP_WRMSR] = insn_wrmsr,
	[OP_MOV_CR] = insn_mov_cr, [OP_WRITE32] = op_write, [OP_WRITE64] = op_write,
	[OP_CPL] = op_cpl, [OP_GUEST] = op_guest,
};

void refvmm_run(struct refvmm *m, const struct rop *op, struct result *res)
{
	memset(res, 0, sizeof *res);
	m->res = res;
	m->steps = 0;
	op_fn *fn = op->op < OP_COUNT ? l1_ops[op->op] : NULL;
	m->cpu.cpl = m->vmx.cpl_pending ? m->vmx.next_cpl : 0;
	if (op->op != OP_CPL)
		m->vmx.cpl_pending = false;
	if (fn)
		fn(m, op);
	else {   /* an L2 op at top level, or OP_SETUP: the resolver's job */
		res->nalt = 1;
		res->alt[0] = (struct outcome){ .kind = OUT_UNMODELLED };
	}
	m->cpu.cpl = 0;
	if (op->flags & ROP_SILENT || op->op == OP_GUEST || op->op == OP_CPL)
		res->nalt = 0;
	m->res = NULL;
}
