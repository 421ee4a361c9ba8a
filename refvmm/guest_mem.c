/* L2's memory accesses: the read, write and exec ops.  The linear address
 * goes through L2's own IA-32e paging (Vol. 3A 4.5: 4-level, or 5-level
 * with CR4.LA57), every paging-structure access and the final
 * guest-physical address through EPT when "enable EPT" is 1 (29.3.1);
 * without EPT the guest-physical address is the physical address.  A
 * #PF goes through the exception bitmap (guest_exc.c); EPT violations
 * and misconfigurations exit from ept.c. */
#include "ept.h"
#include "guest_priv.h"

#define ADDR_MASK 0x000ffffffffff000ULL
#define PTE_P  (1ULL << 0)
#define PTE_W  (1ULL << 1)
#define PTE_U  (1ULL << 2)
#define PTE_A  (1ULL << 5)
#define PTE_D  (1ULL << 6)
#define PTE_PS (1ULL << 7)
#define PTE_XD (1ULL << 63)
#define P2_PML_ON (1u << 17)    /* "enable PML", Table 25-7 */

enum pf_kind { PF_NONE, PF_NOT_PRESENT, PF_RESERVED, PF_WRITE, PF_USER, PF_NX, PF_SMEP, PF_SMAP };

/* One linear-address translation by L2's paging. */
struct gwalk {
	uint64_t la, gpa;
	uint8_t type;                 /* EPT_ACC_* of the access */
	bool probe;                   /* only ask: no exit, no rule, no flag */
	unsigned n;
	uint64_t pte_gpa[5], pte[5];
	bool user, write, exec;       /* rights: AND of U/S, R/W, !XD over the entries */
	enum pf_kind pf;
};

static bool canonical(const struct refvmm *m, uint64_t la)
{
	unsigned bits = m->cpu.cr4 & CR4_LA57 ? 57 : 48;
	int64_t s = (int64_t)(la << (64 - bits)) >> (64 - bits);
	return (uint64_t)s == la;
}

/* Vol. 3A 4.5.4: reserved bits of a present entry at `level` (0 PTE ..
 * 3 PML4E, 4 PML5E). */
static bool pte_reserved(const struct refvmm *m, uint64_t e, unsigned level, bool leaf)
{
	uint64_t rsv = caps_phys_mask(&m->caps) & 0x000fffffffffffffULL;
	if (!(m->cpu.efer & EFER_NXE))
		rsv |= PTE_XD;
	if (level >= 3)
		rsv |= PTE_PS;
	else if (leaf && level == 2)
		rsv |= 0x3fffe000;            /* 1 GByte: bits 29:13 */
	else if (leaf && level == 1)
		rsv |= 0x1fe000;              /* 2 MByte: bits 20:13 */
	return e & rsv;
}

static bool on_apic_page(const struct refvmm *m, uint64_t gpa)
{
	return (proc2(m) & PROC2_APIC_ACCESS) && (gpa >> 12) == (gv(m, VF_APIC_ACCESS_ADDR) >> 12);
}

/* Through EPT; a probe only asks whether the access would pass (and,
 * with PML, set no EPT flag: that would change the log). */
static enum gstep xlate_ept(struct refvmm *m, const struct ept_access *a, bool probe, uint64_t *hpa)
{
	if (probe) {
		if (!(proc2(m) & (1u << 1))) {
			*hpa = a->gpa;
			return G_NEXT;
		}
		struct ept_walk w;
		uint8_t acc = a->type | (a->paging && (gv(m, VF_EPT_POINTER) & 0x40) ? EPT_ACC_WRITE : 0);
		ept_walk(m, a, acc, &w);
		*hpa = w.hpa;
		if ((proc2(m) & P2_PML_ON) && ept_sets_flags(m, a))
			return G_UNMODELLED;   /* the flag would be logged (29.3.6) */
		return w.fault == EPTF_NONE ? G_NEXT : G_UNMODELLED;
	}
	switch (ept_translate(m, a, hpa)) {
	case EPT_OK: return G_NEXT;
	case EPT_EXITED: return G_EXITED;
	case EPT_JUMPED: return G_JUMPED;
	default: return G_UNMODELLED;
	}
}

/* The APIC-access address is a physical address: with EPT, the one an
 * access reaches after the EPT translation (24.6.8, 29.4). */
static enum gstep xlate(struct refvmm *m, const struct ept_access *a, bool probe, uint64_t *hpa)
{
	enum gstep s = xlate_ept(m, a, probe, hpa);
	if (s == G_NEXT && a->paging && on_apic_page(m, *hpa))
		return G_UNMODELLED;   /* L2's page tables on the APIC-access page (29.4.6) */
	return s;
}

/* Vol. 3A 4.6: the rights the translation grants against the access. */
static enum pf_kind rights(const struct refvmm *m, const struct gwalk *g)
{
	const struct cpu_state *c = &m->cpu;
	bool cpl3 = c->cpl == 3;
	if (cpl3 && !g->user)
		return PF_USER;
	if ((g->type & EPT_ACC_WRITE) && !g->write && (cpl3 || (c->cr0 & CR0_WP)))
		return PF_WRITE;
	if (g->type & EPT_ACC_FETCH) {
		if ((c->efer & EFER_NXE) && !g->exec)
			return PF_NX;
		if (!cpl3 && g->user && (c->cr4 & CR4_SMEP))
			return PF_SMEP;
	} else if (!cpl3 && g->user && (c->cr4 & CR4_SMAP) && !(c->rflags & RFLAGS_AC)) {
		return PF_SMAP;
	}
	return PF_NONE;
}

/* 4.4.1: PAE paging takes the page directory from one of the four PDPTE
 * registers, loaded at VM entry (26.3.2.4: from the guest PDPTE fields
 * with EPT, else from the PDPT at CR3); the walk then has 2 levels. */
void guest_mem_entry(struct refvmm *m)
{
	const struct cpu_state *c = &m->cpu;
	if (!(c->cr0 & CR0_PG) || (c->efer & EFER_LMA) || !(c->cr4 & CR4_PAE))
		return;
	static const enum vmcs_field f[4] = { VF_GUEST_PDPTR0, VF_GUEST_PDPTR1, VF_GUEST_PDPTR2, VF_GUEST_PDPTR3 };
	for (unsigned i = 0; i < 4; i++)
		m->vmx.l2_pdpte[i] = proc2(m) & (1u << 1) ? gv(m, f[i])
				    : mem_read64(&m->mem, (c->cr3 & 0xffffffe0u) + 8 * i);
}

/* Entries a 4-KByte translation reads: 4 (5 with LA57) for 4-level paging,
 * 2 (PDE, PTE) for PAE paging after its PDPTE register. */
static unsigned walk_levels(const struct refvmm *m)
{
	if (!(m->cpu.efer & EFER_LMA))
		return 2;
	return m->cpu.cr4 & CR4_LA57 ? 5 : 4;
}

/* The walk (4.5, 4.4.2): each entry read through EPT as a paging-structure
 * access; the first entry not present or with a reserved bit ends it. */
static enum gstep walk(struct refvmm *m, struct gwalk *g)
{
	unsigned level = walk_levels(m) - 1;
	uint64_t table = m->cpu.cr3 & ADDR_MASK;
	g->user = g->write = g->exec = true;
	if (!(m->cpu.efer & EFER_LMA)) {
		uint64_t pdpte = m->vmx.l2_pdpte[g->la >> 30 & 3];
		if (!(pdpte & PTE_P)) {
			g->pf = PF_NOT_PRESENT;
			return G_NEXT;
		}
		table = pdpte & ADDR_MASK;
	}
	for (;; level--) {
		uint64_t gpa = table + 8 * (g->la >> (12 + 9 * level) & 0x1ff), hpa, e;
		struct ept_access a = { .gpa = gpa, .gla = g->la, .type = EPT_ACC_READ,
					.gla_valid = true, .paging = true };
		enum gstep s = xlate(m, &a, g->probe, &hpa);
		if (s != G_NEXT)
			return s;
		if (mem_read(&m->mem, hpa, &e, sizeof e) != 0)
			return G_UNMODELLED;
		g->pte_gpa[g->n] = gpa;
		g->pte[g->n++] = e;
		if (!(e & PTE_P)) {
			g->pf = PF_NOT_PRESENT;
			return G_NEXT;
		}
		bool leaf = level == 0 || (level <= 2 && (e & PTE_PS));
		if (pte_reserved(m, e, level, leaf)) {
			g->pf = PF_RESERVED;
			return G_NEXT;
		}
		g->write &= !!(e & PTE_W);
		g->user &= !!(e & PTE_U);
		g->exec &= !(e & PTE_XD);
		if (leaf) {
			uint64_t off = (1ULL << (12 + 9 * level)) - 1;
			g->gpa = (e & ADDR_MASK & ~off) | (g->la & off);
			break;
		}
		table = e & ADDR_MASK;
	}
	g->pf = rights(m, g);
	return G_NEXT;
}

static bool pf_ok(struct refvmm *m, enum pf_kind pf)
{
	bool ok = CHECK(m, MEM_PF_NOT_PRESENT, pf != PF_NOT_PRESENT);
	ok &= CHECK(m, MEM_PF_RESERVED, pf != PF_RESERVED);
	ok &= CHECK(m, MEM_PF_WRITE, pf != PF_WRITE);
	ok &= CHECK(m, MEM_PF_USER, pf != PF_USER);
	ok &= CHECK(m, MEM_PF_NX, pf != PF_NX);
	ok &= CHECK(m, MEM_PF_SMEP, pf != PF_SMEP);
	ok &= CHECK(m, MEM_PF_SMAP, pf != PF_SMAP);
	return ok;
}

/* #PF (4.7): error code P, W/R, U/S, RSVD, I/D (with NXE or SMEP).  An
 * exit reports the linear address as its qualification (27.2.1) and
 * leaves CR2 alone (27.1); delivery to L2 loads CR2. */
static enum gstep page_fault(struct refvmm *m, const struct gwalk *g)
{
	const struct cpu_state *c = &m->cpu;
	bool fetch = g->type & EPT_ACC_FETCH;
	uint32_t err = (g->pf != PF_NOT_PRESENT) | !!(g->type & EPT_ACC_WRITE) << 1 |
		       (c->cpl == 3) << 2 | (g->pf == PF_RESERVED) << 3 |
		       (fetch && ((c->efer & EFER_NXE) || (c->cr4 & CR4_SMEP))) << 4;
	enum gstep s = guest_exception(m, 14, true, err);
	if (s == G_JUMPED)
		m->cpu.cr2 = g->la;
	struct outcome *o = m->res ? &m->res->alt[0] : NULL;
	if (s == G_EXITED && o && o->kind == OUT_EXIT && o->num == XR_EXCEPTION_NMI &&
	    (o->intr & 0xff) == 14 && !(o->have & EXF_IDT)) {
		o->qual = g->la;
		gw(m, VF_EXIT_QUALIFICATION, g->la);
	}
	return s;
}

/* 4.8: accessed flags of the entries used, the dirty flag of the one
 * that maps the page for a write; each update is a write through EPT.
 * Whether L2's entries already have these flags depends on what L1 did
 * with the same tables on the backend, so an update that EPT would
 * refuse is not modelled. */
static enum gstep set_ad(struct refvmm *m, const struct gwalk *g)
{
	for (unsigned i = 0; i < g->n; i++) {
		uint64_t e = g->pte[i] | PTE_A, hpa;
		if (i + 1 == g->n && (g->type & EPT_ACC_WRITE))
			e |= PTE_D;
		if (e == g->pte[i])
			continue;
		struct ept_access a = { .gpa = g->pte_gpa[i], .gla = g->la, .type = EPT_ACC_WRITE,
					.gla_valid = true, .paging = true, .ad_update = true };
		if (xlate(m, &a, true, &hpa) != G_NEXT)
			return G_UNMODELLED;
		if (g->probe)
			continue;
		enum gstep s = xlate(m, &a, false, &hpa);
		if (s != G_NEXT)
			return s;
		if (!mem_write64(&m->mem, hpa, e))
			return G_UNMODELLED;
	}
	return G_NEXT;
}

/* 29.4.5: APIC virtualization applies for sure only when the translation
 * to the APIC-access page uses a 4-KByte page: the EPT leaf with EPT,
 * L2's paging leaf without; a larger page "may operate as if" the control
 * were 0. */
static bool apic_4k(const struct refvmm *m, const struct gwalk *g, const struct ept_access *a)
{
	if (!(proc2(m) & (1u << 1)))
		return g->n == walk_levels(m);
	struct ept_walk w;
	ept_walk(m, a, a->type, &w);
	return w.fault == EPTF_NONE && w.n == (gv(m, VF_EPT_POINTER) >> 3 & 7) + 1;
}

/* 29.4: a linear access whose translation (after any #PF or EPT
 * violation, 29.4.1) reaches the APIC-access page causes an APIC-access
 * VM exit, fault-like, when it fetches an instruction or "use TPR shadow"
 * is 0; with the TPR shadow, data accesses may be virtualized instead
 * (guest_apic.c).  Not modelled: fetches of the op's own code there
 * (probe), and translations through a larger page. */
static enum gstep apic_access(struct refvmm *m, const struct gwalk *g, const struct ept_access *a,
			      unsigned size, bool probe, uint64_t *hpa, int *vwrite)
{
	bool fetch = a->type == EPT_ACC_FETCH;
	if (probe || !apic_4k(m, g, a))
		return G_UNMODELLED;
	if (!fetch && (proc(m) & PROC_TPR_SHADOW))
		return apic_data_access(m, g->la, a->type, size, hpa, vwrite);
	CHECK(m, APIC_ACCESS_LINEAR, false);
	uint64_t kind = fetch ? 2 : a->type == EPT_ACC_WRITE ? 1 : 0;
	struct exit_info e = { .reason = XR_APIC_ACCESS, .have = EXF_QUAL, .qual = (g->la & 0xfff) | kind << 12 };
	vmexit(m, &e);
	return G_EXITED;
}

/* The physical address of an access of `size` bytes at la, or the
 * exception / VM exit it causes.  A probe returns G_UNMODELLED for any
 * fault. */
static enum gstep access_apic(struct refvmm *m, uint64_t la, uint8_t type, unsigned size, bool probe,
			      uint64_t *hpa, int *vwrite)
{
	const struct cpu_state *c = &m->cpu;
	bool ia32e = c->efer & EFER_LMA;
	if (!(c->cr0 & CR0_PG) || !(ia32e || (c->cr4 & CR4_PAE)) || (c->cr4 & (CR4_PKE | CR4_PKS)))
		return G_UNMODELLED;   /* only 4-level and PAE paging, without protection keys */
	if ((la & 0xfff) + size > 0x1000 || (!ia32e && la >> 32))
		return G_UNMODELLED;   /* page-crossing accesses; 32-bit wrap-around */
	if (ia32e && (probe ? !canonical(m, la) : !CHECK(m, MEM_CANONICAL, canonical(m, la))))
		return probe ? G_UNMODELLED : guest_exception(m, 13, true, 0);
	struct gwalk g = { .la = la, .type = type, .probe = probe };
	enum gstep s = walk(m, &g);
	if (s != G_NEXT)
		return s;
	if (probe ? g.pf != PF_NONE : !pf_ok(m, g.pf))
		return probe ? G_UNMODELLED : page_fault(m, &g);
	s = set_ad(m, &g);
	if (s != G_NEXT)
		return s;
	struct ept_access a = { .gpa = g.gpa, .gla = la, .type = type, .gla_valid = true,
				.user = g.user, .lin_write = g.write, .lin_exec = g.exec };
	s = xlate(m, &a, probe, hpa);
	return s == G_NEXT && on_apic_page(m, *hpa) ? apic_access(m, &g, &a, size, probe, hpa, vwrite) : s;
}

static enum gstep access(struct refvmm *m, uint64_t la, uint8_t type, unsigned size, bool probe,
			 uint64_t *hpa)
{
	return access_apic(m, la, type, size, probe, hpa, NULL);
}

/* The op's code must be fetchable.  When it is not, the fetch of its
 * first byte (the start of its prelude, whose register loads have not
 * taken effect) faults or exits there.  Only these ops check their
 * fetches; a case that takes the code page away from others is not
 * modelled. */
static enum gstep fetch_code(struct refvmm *m)
{
	const struct vmx_state *v = &m->vmx;
	uint64_t hpa;
	/* Entered right at the exiting instruction (a VMRESUME after a #PF or
	 * EPT exit): its address and value registers hold whatever L1 left
	 * there, as VM entries load no GPRs; the model cannot know them. */
	uint64_t start = v->pc ? (uint64_t)v->block_rip[v->pc - 1] + v->block_len[v->pc - 1] : TM_GUEST_CODE;
	if (m->steps == 1 && v->pc < v->nblock && gv(m, VF_GUEST_RIP) == v->block_rip[v->pc] &&
	    start != v->block_rip[v->pc])   /* (an op without operand loads starts there) */
		return G_UNMODELLED;
	if (access(m, m->cpu.rip, EPT_ACC_FETCH, 1, true, &hpa) == G_NEXT)
		return G_NEXT;
	/* With PML, a fetch that sets an EPT flag logs or exits (29.3.6); the
	 * model does not follow which instruction's fetch does it first. */
	if (v->pc >= v->nblock || (proc2(m) & P2_PML_ON))
		return G_UNMODELLED;
	m->cpu.rip = v->pc ? (uint64_t)v->block_rip[v->pc - 1] + v->block_len[v->pc - 1] : TM_GUEST_CODE;
	enum gstep s = access(m, m->cpu.rip, EPT_ACC_FETCH, 1, false, &hpa);
	return s == G_NEXT ? G_UNMODELLED : s;
}

bool guest_mem_probe(struct refvmm *m, uint64_t la, uint8_t type, unsigned size)
{
	uint64_t hpa;
	return access(m, la, type, size, true, &hpa) == G_NEXT;
}

bool guest_mem_translate(struct refvmm *m, uint64_t la, uint8_t type, unsigned size, uint64_t *hpa)
{
	/* a probe first: a fault here would be one during event delivery */
	if (access(m, la, type, size, true, hpa) != G_NEXT)
		return false;
	return access(m, la, type, size, false, hpa) == G_NEXT;   /* the A/D flags */
}

enum gstep guest_fetch_op(struct refvmm *m)
{
	return fetch_code(m);
}

enum gstep guest_read(struct refvmm *m, uint64_t la, unsigned size, void *out)
{
	uint64_t hpa;
	enum gstep s = access(m, la, EPT_ACC_READ, size, false, &hpa);
	if (s != G_NEXT)
		return s;
	return mem_read(&m->mem, hpa, out, size) == 0 ? G_NEXT : G_UNMODELLED;
}

/* MOV r, [rax] and MOV [rax], r of `size` bytes (zero-extending loads). */
static enum gstep load(struct refvmm *m, const struct rop *o, unsigned size)
{
	uint64_t hpa, v = 0;
	enum gstep s = fetch_code(m);
	if (s != G_NEXT)
		return s;
	m->cpu.gpr[RAX] = o->a[0];
	s = access(m, o->a[0], EPT_ACC_READ, size, false, &hpa);
	if (s != G_NEXT)
		return s;
	if (mem_read(&m->mem, hpa, &v, size) != 0)
		return G_UNMODELLED;
	m->cpu.gpr[RAX] = v;
	guest_gpr_computed(m, RAX);
	return G_NEXT;
}

static enum gstep store(struct refvmm *m, const struct rop *o, unsigned size)
{
	uint64_t hpa, v = o->a[1];
	int vwrite = -1;
	enum gstep s = fetch_code(m);
	if (s != G_NEXT)
		return s;
	m->cpu.gpr[RAX] = o->a[0];
	m->cpu.gpr[RCX] = v;
	s = access_apic(m, o->a[0], EPT_ACC_WRITE, size, false, &hpa, &vwrite);
	if (s != G_NEXT)
		return s;
	if (mem_write(&m->mem, hpa, &v, size) != 0)
		return G_UNMODELLED;
	return vwrite >= 0 ? apic_write_emulation(m, (uint32_t)vwrite) : G_NEXT;
}

static enum gstep g_read(struct refvmm *m, const struct rop *o) { return load(m, o, 8); }
static enum gstep g_write(struct refvmm *m, const struct rop *o) { return store(m, o, 8); }
static enum gstep g_read32(struct refvmm *m, const struct rop *o) { return load(m, o, 4); }
static enum gstep g_write32(struct refvmm *m, const struct rop *o) { return store(m, o, 4); }

/* What runs at an exec target that lies outside the block: a VMCALL
 * (0F 01 C1) is modelled, as the implicit trailing one is (length 3). */
static enum gstep run_target(struct refvmm *m, uint64_t hpa)
{
	uint64_t t = m->cpu.rip;
	if ((t >= TM_GUEST_IDT_STUBS && t < TM_GUEST_IDT_STUBS + MEM_PAGE) ||
	    (t >= TM_GUEST_CODE && t < TM_GUEST_CODE + TM_GUEST_CODE_SIZE))
		return G_JUMPED;   /* guest.c runs what it laid out there */
	uint8_t b[3];
	if ((hpa & 0xfff) > 0xffd || mem_read(&m->mem, hpa, b, 3) != 0 ||
	    b[0] != 0x0f || b[1] != 0x01 || b[2] != 0xc1)
		return G_UNMODELLED;
	m->vmx.pc = m->vmx.nblock;   /* not a block op: guest_cur_len() is 3 */
	return guest_insn_ops[OP_G_VMCALL](m, &(struct rop){ .op = OP_G_VMCALL });
}

/* CALL rax (vol. 2 CALL): a non-canonical target is #GP(0) at the CALL;
 * then the return address is pushed, and the fetch at the target is the
 * next instruction's (faults and exits report RIP = target).  Events
 * between the two instructions (MTF, windows) are not modelled here. */
static enum gstep g_exec(struct refvmm *m, const struct rop *o)
{
	struct cpu_state *c = &m->cpu;
	uint64_t t = o->a[0], rsp = c->gpr[RSP] - 8, hpa;
	if (proc(m) & (PROC_MTF | PROC_INTR_WINDOW | PROC_NMI_WINDOW))
		return G_UNMODELLED;
	enum gstep s = fetch_code(m);
	if (s != G_NEXT)
		return s;
	c->gpr[RAX] = t;
	if (!CHECK(m, MEM_CANONICAL, canonical(m, t)))
		return guest_exception(m, 13, true, 0);
	if (!canonical(m, rsp))
		return G_UNMODELLED;   /* #SS(0) */
	s = access(m, rsp, EPT_ACC_WRITE, 8, false, &hpa);
	if (s != G_NEXT)
		return s;
	uint64_t ret = c->rip + guest_cur_len(m);
	if (mem_write(&m->mem, hpa, &ret, sizeof ret) != 0)
		return G_UNMODELLED;
	c->gpr[RSP] = rsp;
	c->rip = t;
	s = access(m, t, EPT_ACC_FETCH, 1, false, &hpa);
	return s == G_NEXT ? run_target(m, hpa) : s;
}

guest_op_fn *const guest_mem_ops[OP_COUNT] = {
	[OP_G_READ] = g_read, [OP_G_WRITE] = g_write, [OP_G_EXEC] = g_exec,
	[OP_G_READ32] = g_read32, [OP_G_WRITE32] = g_write32,
};
