/* EPT, SDM 29.3: the walk of the EPT paging structures (29.3.2), EPT
 * misconfigurations and violations (29.3.3) with the exit qualification
 * of Table 28-7, accessed and dirty flags (29.3.5).  The model keeps no
 * EPT TLB: every access walks the tables in memory, which is what
 * hardware does after an INVEPT. */
#include "ept.h"
#include "guest_priv.h"

/* Secondary controls this file reads (Table 25-7). */
enum { P2_EPT_ON = 1u << 1, P2_PML_ON = 1u << 17, P2_VE_ON = 1u << 18, P2_MBEC_ON = 1u << 22,
       P2_SPP_ON = 1u << 23 };

#define ADDR_MASK 0x000ffffffffff000ULL   /* bits 51:12 */
#define EPTE_USER_X (1ULL << 10)
#define EPTE_A (1ULL << 8)
#define EPTE_D (1ULL << 9)
#define PML_ENTRIES 512

unsigned eptp_faults(const struct vmx_caps *c, uint64_t e)
{
	uint64_t cap = c->msr[CAP_EPT_VPID];
	unsigned mt = e & 7, walk = e >> 3 & 7, f = 0;
	if (!((mt == 0 && (cap >> 8 & 1)) || (mt == 6 && (cap >> 14 & 1))))
		f |= EPTP_BAD_MEMTYPE;
	if (!((walk == 3 && (cap >> 6 & 1)) || (walk == 4 && (cap >> 7 & 1))))
		f |= EPTP_BAD_WALK;
	if ((e & (1u << 6)) && !(cap >> 21 & 1))
		f |= EPTP_BAD_AD;
	if ((e & 0xf80) || (e & caps_phys_mask(c)))
		f |= EPTP_BAD_RESERVED;
	return f;
}

/* 29.3.3.1: is this present entry at `level` (0 PTE, 1 PDE, 2 PDPTE,
 * 3 PML4E, 4 PML5E) misconfigured? */
static enum ept_fault misconfig(const struct refvmm *m, uint64_t e, unsigned level, bool leaf, bool mbec)
{
	uint64_t cap = m->caps.msr[CAP_EPT_VPID];
	if ((e & 3) == 2)
		return EPTF_WRITE_NO_READ;
	if (!(cap & 1) && !(e & 3) && ((e & 4) || (mbec && (e & EPTE_USER_X))))
		return EPTF_EXEC_ONLY;
	uint64_t rsv = caps_phys_mask(&m->caps) & 0x000fffffffffffffULL;
	if (level >= 3)
		rsv |= 0xf8;                       /* bits 7:3, page size included */
	else if (!leaf)
		rsv |= 0x78;                       /* bits 6:3; bit 7 is 0 */
	else if (level == 2)
		rsv |= 0x3ffff000;                 /* 1 GByte: bits 29:12 */
	else if (level == 1)
		rsv |= 0x1ff000;                   /* 2 MByte: bits 20:12 */
	if (e & rsv)
		return EPTF_RESERVED;
	if (leaf && level && !(cap >> (level == 2 ? 17 : 16) & 1))
		return EPTF_LARGE_PAGE;
	unsigned mt = e >> 3 & 7;
	if (leaf && (mt == 2 || mt == 3 || mt == 7))
		return EPTF_MEMTYPE;
	return EPTF_NONE;
}

/* The permissions the translation grants against the access (29.3.3.2). */
static enum ept_fault denied(uint32_t perms, uint8_t access, bool mbec, bool user)
{
	if ((access & EPT_ACC_READ) && !(perms & 1))
		return EPTF_READ;
	if ((access & EPT_ACC_WRITE) && !(perms & 2))
		return EPTF_WRITE;
	if ((access & EPT_ACC_FETCH) && mbec && user)
		return perms & 8 ? EPTF_NONE : EPTF_EXEC_USER;
	if ((access & EPT_ACC_FETCH) && !(perms & 4))
		return EPTF_EXEC;
	return EPTF_NONE;
}

void ept_walk(const struct refvmm *m, const struct ept_access *a, uint8_t access, struct ept_walk *w)
{
	uint64_t eptp = gv(m, VF_EPT_POINTER), table = eptp & ADDR_MASK;
	bool mbec = proc2(m) & P2_MBEC_ON;
	unsigned level = (eptp >> 3 & 7) == 4 ? 4 : 3;   /* entry proved 3 or 4 */
	*w = (struct ept_walk){ .perms = 0xf };
	for (;; level--) {
		uint64_t pa = table + 8 * (a->gpa >> (12 + 9 * level) & 0x1ff);
		uint64_t e = mem_read64(&m->mem, pa);
		w->entry_pa[w->n] = pa;
		w->entry[w->n++] = e;
		uint32_t p = (uint32_t)(e & 7) | (mbec && (e & EPTE_USER_X) ? 8 : 0);
		w->perms &= p;
		if (!p) {
			w->fault = EPTF_NOT_PRESENT;
			return;
		}
		bool leaf = level == 0 || (level <= 2 && (e & 0x80));
		w->fault = misconfig(m, e, level, leaf, mbec);
		if (w->fault != EPTF_NONE)
			return;
		if (leaf) {
			uint64_t off = (1ULL << (12 + 9 * level)) - 1;
			w->hpa = (e & ADDR_MASK & ~off) | (a->gpa & off);
			break;
		}
		table = e & ADDR_MASK;
	}
	if (!mbec)
		w->perms &= 7;
	w->fault = denied(w->perms, access, mbec, a->user);
}

/* One check site per rule; every rule is evaluated for every walk. */
static bool misconfig_ok(struct refvmm *m, enum ept_fault f)
{
	bool ok = CHECK(m, EPT_MISCONFIG_WRITE_NO_READ, f != EPTF_WRITE_NO_READ);
	ok &= CHECK(m, EPT_MISCONFIG_EXEC_ONLY, f != EPTF_EXEC_ONLY);
	ok &= CHECK(m, EPT_MISCONFIG_RESERVED, f != EPTF_RESERVED);
	ok &= CHECK(m, EPT_MISCONFIG_LARGE_PAGE, f != EPTF_LARGE_PAGE);
	ok &= CHECK(m, EPT_MISCONFIG_MEMTYPE, f != EPTF_MEMTYPE);
	return ok;
}

static bool violation_ok(struct refvmm *m, enum ept_fault f)
{
	bool ok = CHECK(m, EPT_VIOLATION_NOT_PRESENT, f != EPTF_NOT_PRESENT);
	ok &= CHECK(m, EPT_VIOLATION_READ, f != EPTF_READ);
	ok &= CHECK(m, EPT_VIOLATION_WRITE, f != EPTF_WRITE);
	ok &= CHECK(m, EPT_VIOLATION_EXEC, f != EPTF_EXEC);
	ok &= CHECK(m, EPT_VIOLATION_EXEC_USER, f != EPTF_EXEC_USER);
	return ok;
}

/* Table 28-7: access (2:0), what the translation allows (5:3, and 6 with
 * mode-based execute control), linear-address validity (7), translation
 * vs paging-structure access (8), and with advanced VM-exit information
 * (IA32_VMX_EPT_VPID_CAP[22]) the linear address's user/write/execute
 * rights (9-11) where bits 7 and 8 are both 1.  Bit 12 (NMI unblocking by
 * IRET) is 0: no L2 op here is an IRET. */
static uint64_t violation_qual(const struct refvmm *m, const struct ept_access *a, uint8_t access,
			       uint32_t perms)
{
	uint64_t q = access | (uint64_t)(perms & 7) << 3 | (uint64_t)(perms >> 3 & 1) << 6;
	if (a->gla_valid) {
		q |= 1u << 7;
		if (!a->paging && !a->ad_update) {
			q |= 1u << 8;
			if (caps_has(&m->caps, FEAT_EPT_ADVANCED_EXIT_INFO))
				q |= (uint64_t)a->user << 9 | (uint64_t)a->lin_write << 10 |
				     (uint64_t)a->lin_exec << 11;
		}
	}
	return q;
}

/* Convertible EPT violations (26.5.7.1; 25.5.6.1 in older editions):
 * bit 63 ("suppress #VE") of exactly one entry decides, the entry that
 * is not present or else the one that maps the page: the last entry the
 * walk read.  A convertible violation is a #VE when CR0.PE = 1, no event
 * is being delivered through the IDT (the model's deliveries do not go
 * through EPT, so none is) and the dword at offset 4 of the
 * virtualization-exception information area is 0. */
static bool converts(struct refvmm *m, const struct ept_walk *w, uint32_t busy)
{
	if (!CHECK(m, EPT_VE_SUPPRESS, !(w->entry[w->n - 1] >> 63)))
		return false;
	return CHECK(m, EPT_VE_INFO_BUSY, busy == 0) && (m->cpu.cr0 & 1);
}

/* The #VE's delivery reads gate 20 and pushes the 5-qword frame.  An EPT
 * violation there is not convertible (event delivery) and exits with
 * IDT-vectoring information; the model's IDT deliveries do not go through
 * EPT, so such a #VE is not modelled, nor one at CPL > 0 (stack switch). */
static bool delivery_passes(struct refvmm *m)
{
	uint64_t rsp = m->cpu.gpr[RSP] & ~0xfULL;
	if (m->cpu.cpl != 0 || !guest_mem_probe(m, m->cpu.idtr.base + 20 * 16, EPT_ACC_READ, 16))
		return false;
	for (unsigned i = 1; i <= 5; i++)
		if (!guest_mem_probe(m, rsp - 8 * i, EPT_ACC_WRITE, 8))
			return false;
	return true;
}

/* 26.5.7.2 (25.5.6.2 and Table 25-1 in older editions): the information
 * area (offset 0 the exit reason 48, 4 FFFFFFFFH, 8 the exit
 * qualification, 16 the guest-linear and 24 the guest-physical address,
 * 32 the 16-bit EPTP index), then the #VE
 * (vector 20, no error code) as any exception: a VM exit when bit 20 of
 * the exception bitmap is 1, else delivery through L2's IDT (26.5.7.3). */
static enum ept_result virtualization_exception(struct refvmm *m, const struct ept_access *a,
						uint64_t qual)
{
	uint64_t info = gv(m, VF_VE_INFORMATION_ADDRESS);
	uint32_t head[2] = { XR_EPT_VIOLATION, 0xffffffffu };
	uint64_t body[3] = { qual, a->gla, a->gpa };
	uint16_t index = (uint16_t)gv(m, VF_EPTP_INDEX);
	CHECK(m, EPT_VE_CONVERT, false);
	if (mem_write(&m->mem, info, head, sizeof head) != 0 ||
	    mem_write(&m->mem, info + 8, body, sizeof body) != 0 ||
	    mem_write(&m->mem, info + 32, &index, sizeof index) != 0)
		return EPT_UNMODELLED;
	if (!(gv(m, VF_EXCEPTION_BITMAP) >> 20 & 1) && !delivery_passes(m))
		return EPT_UNMODELLED;
	switch (guest_exception(m, 20, false, 0)) {
	case G_EXITED: return EPT_EXITED;
	case G_JUMPED: return EPT_JUMPED;
	default: return EPT_UNMODELLED;
	}
}

static enum ept_result violation_exit(struct refvmm *m, const struct ept_access *a, uint8_t access,
				      const struct ept_walk *w, bool ad)
{
	uint32_t p2 = proc2(m);
	if ((p2 & P2_SPP_ON) && w->fault == EPTF_WRITE)
		return EPT_UNMODELLED;   /* sub-page write permissions: not modelled */
	CHECK(m, EPT_AD_PAGING_WRITE, !(ad && a->paging));
	uint64_t qual = violation_qual(m, a, access, w->perms);
	if (p2 & P2_VE_ON) {
		uint32_t busy = 0;   /* the dword at offset 4 of the area */
		if (mem_read(&m->mem, gv(m, VF_VE_INFORMATION_ADDRESS) + 4, &busy, sizeof busy) != 0)
			return EPT_UNMODELLED;   /* beyond the physical-address width (VM entry refuses it) */
		if (converts(m, w, busy))
			return virtualization_exception(m, a, qual);
	}
	struct exit_info x = {
		.reason = XR_EPT_VIOLATION, .have = EXF_QUAL | EXF_GPA | (a->gla_valid ? EXF_GLA : 0),
		.qual = qual, .gpa = a->gpa, .gla = a->gla,
	};
	vmexit(m, &x);
	return EPT_EXITED;
}

/* Page-modification logging (29.3.6): an access that needs an EPT
 * accessed or dirty flag set first examines the PML index.  Outside
 * 0-511 the access is a page-modification log-full VM exit (62; the
 * qualification's bit 12, NMI unblocking by IRET, is 0: no L2 op here is
 * an IRET) and neither the flag nor the access happens. */
static bool pml_room(struct refvmm *m)
{
	if (!(proc2(m) & P2_PML_ON) || CHECK(m, EPT_PML_FULL, gv(m, VF_GUEST_PML_INDEX) < PML_ENTRIES))
		return true;
	struct exit_info x = { .reason = XR_PML_FULL, .have = EXF_QUAL, .qual = 0 };
	vmexit(m, &x);
	return false;
}

/* 29.3.6: setting a dirty flag from 0 to 1 writes the guest-physical
 * address (bits 11:0 clear) to PML address + 8 * index, then decrements
 * the 16-bit index (0 becomes FFFFH). */
static bool pml_log(struct refvmm *m, const struct ept_access *a, bool dirtied)
{
	if (!(proc2(m) & P2_PML_ON) || CHECK(m, EPT_PML_LOG, !dirtied))
		return true;
	uint16_t index = (uint16_t)gv(m, VF_GUEST_PML_INDEX);
	if (!mem_write64(&m->mem, gv(m, VF_PML_ADDRESS) + 8ULL * index, a->gpa & ~0xfffULL))
		return false;
	gw(m, VF_GUEST_PML_INDEX, (uint16_t)(index - 1));
	return true;
}

/* 29.3.5: the accessed flag of every entry used, the dirty flag of the
 * entry that maps the page for a write. */
static enum ept_result set_ad(struct refvmm *m, const struct ept_access *a, const struct ept_walk *w,
			      bool write)
{
	uint64_t e[EPT_MAX_LEVELS];
	bool any = false;
	for (unsigned i = 0; i < w->n; i++) {
		e[i] = w->entry[i] | EPTE_A | (i + 1 == w->n && write ? EPTE_D : 0);
		any |= e[i] != w->entry[i];
	}
	if (!any)
		return EPT_OK;
	if (!pml_room(m))
		return EPT_EXITED;
	for (unsigned i = 0; i < w->n; i++)
		if (e[i] != w->entry[i] && !mem_write64(&m->mem, w->entry_pa[i], e[i]))
			return EPT_UNMODELLED;
	bool dirtied = e[w->n - 1] & ~w->entry[w->n - 1] & EPTE_D;
	return pml_log(m, a, dirtied) ? EPT_OK : EPT_UNMODELLED;
}

/* Would the access set an EPT accessed or dirty flag (29.3.5)? */
bool ept_sets_flags(const struct refvmm *m, const struct ept_access *a)
{
	if (!(proc2(m) & P2_EPT_ON) || !(gv(m, VF_EPT_POINTER) & (1u << 6)))
		return false;
	struct ept_walk w;
	uint8_t access = a->type | (a->paging ? EPT_ACC_WRITE : 0);
	ept_walk(m, a, access, &w);
	if (w.fault != EPTF_NONE)
		return false;
	for (unsigned i = 0; i < w.n; i++)
		if (!(w.entry[i] & EPTE_A) || (i + 1 == w.n && (access & EPT_ACC_WRITE) && !(w.entry[i] & EPTE_D)))
			return true;
	return false;
}

enum ept_result ept_translate(struct refvmm *m, const struct ept_access *a, uint64_t *hpa)
{
	if (!(proc2(m) & P2_EPT_ON)) {
		*hpa = a->gpa;
		return EPT_OK;
	}
	uint64_t eptp = gv(m, VF_EPT_POINTER);
	if (a->gpa >> ((eptp >> 3 & 7) == 4 ? 57 : 48))
		return EPT_UNMODELLED;   /* beyond what the EPT walk length covers */
	bool ad = eptp & (1u << 6);
	uint8_t access = a->type;
	if (a->paging && ad)
		access |= EPT_ACC_WRITE;   /* 29.3.5: paging-structure accesses are writes */
	struct ept_walk w;
	ept_walk(m, a, access, &w);
	if (!misconfig_ok(m, w.fault)) {
		struct exit_info x = { .reason = XR_EPT_MISCONFIG, .have = EXF_GPA, .gpa = a->gpa };
		vmexit(m, &x);
		return EPT_EXITED;
	}
	if (!violation_ok(m, w.fault))
		return violation_exit(m, a, access, &w, ad);
	*hpa = w.hpa;
	return ad ? set_ad(m, a, &w, access & EPT_ACC_WRITE) : EPT_OK;
}
