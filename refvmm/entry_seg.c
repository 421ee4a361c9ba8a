/* SDM 26.3.1.2: checks on the guest segment registers, by mode (virtual-
 * 8086, unrestricted guest, IA-32e).  Rules the SDM states per register
 * have one ID per register, named in the tables below; the loops over
 * ES..GS are their check sites (CHECK_ID).  Fields are read in place
 * through the region pointer (SEL, BASE, LIMIT, AR). */
#include "entry_priv.h"

#define V(f) vmcs_rd(m, d, VF_##f)
#define AR_UNUSABLE (1u << 16)

_Static_assert(VF_GUEST_TR_BASE - VF_GUEST_ES_BASE == SEG_TR - SEG_ES &&
	       VF_GUEST_TR_LIMIT - VF_GUEST_ES_LIMIT == SEG_TR - SEG_ES &&
	       VF_GUEST_TR_AR_BYTES - VF_GUEST_ES_AR_BYTES == SEG_TR - SEG_ES &&
	       VF_GUEST_TR_SELECTOR - VF_GUEST_ES_SELECTOR == SEG_TR - SEG_ES,
	       "guest segment fields follow enum seg_reg order");

/* Segment types (Table 3-1 numbering) each register may hold outside
 * virtual-8086 mode, as a bit set over the 16 types: CS an execute-only
 * or readable code segment (9, 11, 13, 15; 3 too under unrestricted
 * guest), SS a read/write data segment (3, 7), the others an accessed
 * segment that, if code, is readable (1, 3, 5, 7, 11, 15). */
#define T(type) (1u << (type))
enum {
	TYPES_CODE = T(9) | T(11) | T(13) | T(15), TYPES_CODE_UNR = T(3),
	TYPES_STACK = T(3) | T(7), TYPES_DATA = T(1) | T(3) | T(5) | T(7) | T(11) | T(15),
};
#undef T

/* The per-register rules for ES, CS, SS, DS, FS, GS (enum seg_reg). */
static const struct seg_rules {
	enum rule_id v86, type, s, p, ar_res, gran;
	int dpl;          /* -1: the register has no DPL >= RPL rule */
	uint16_t types;   /* allowed types, above */
} seg_rule[SEG_GS + 1] = {
#define R(x) R_ENTRY_GUEST_SEG_##x
	[SEG_ES] = { R(ES_V86), R(ES_TYPE), R(ES_S), R(ES_P), R(ES_AR_RESERVED), R(ES_GRANULARITY), R(ES_DPL), TYPES_DATA },
	[SEG_CS] = { R(CS_V86), R(CS_TYPE), R(CS_S), R(CS_P), R(CS_AR_RESERVED), R(CS_GRANULARITY), -1, TYPES_CODE },
	[SEG_SS] = { R(SS_V86), R(SS_TYPE), R(SS_S), R(SS_P), R(SS_AR_RESERVED), R(SS_GRANULARITY), -1, TYPES_STACK },
	[SEG_DS] = { R(DS_V86), R(DS_TYPE), R(DS_S), R(DS_P), R(DS_AR_RESERVED), R(DS_GRANULARITY), R(DS_DPL), TYPES_DATA },
	[SEG_FS] = { R(FS_V86), R(FS_TYPE), R(FS_S), R(FS_P), R(FS_AR_RESERVED), R(FS_GRANULARITY), R(FS_DPL), TYPES_DATA },
	[SEG_GS] = { R(GS_V86), R(GS_TYPE), R(GS_S), R(GS_P), R(GS_AR_RESERVED), R(GS_GRANULARITY), R(GS_DPL), TYPES_DATA },
#undef R
};

/* Guest segment register r's fields, read in place (the fields of each
 * kind follow enum seg_reg order, asserted above). */
#define SEL(r) ((uint16_t)vmcs_rd(m, d, (enum vmcs_field)(VF_GUEST_ES_SELECTOR + (r))))
#define BASE(r) vmcs_rd(m, d, (enum vmcs_field)(VF_GUEST_ES_BASE + (r)))
#define LIMIT(r) ((uint32_t)vmcs_rd(m, d, (enum vmcs_field)(VF_GUEST_ES_LIMIT + (r))))
#define AR(r) ((uint32_t)vmcs_rd(m, d, (enum vmcs_field)(VF_GUEST_ES_AR_BYTES + (r))))

static unsigned type_of(uint32_t ar) { return ar & 0xf; }
static unsigned dpl_of(uint32_t ar) { return (ar >> 5) & 3; }
static bool usable(uint32_t ar) { return !(ar & AR_UNUSABLE); }
static bool ar_reserved_ok(uint32_t ar) { return !(ar & 0xfffe0f00u); }

/* Limit vs granularity: G = 0 needs limit[31:20] = 0, G = 1 needs
 * limit[11:0] = FFFH. */
static bool gran_ok(uint32_t limit, uint32_t ar)
{
	bool g = ar & (1u << 15);
	return g ? (limit & 0xfff) == 0xfff : !(limit & 0xfff00000u);
}

/* ES..GS: the checks the SDM states per register. */
static void data_and_code(struct refvmm *m, const uint8_t *d, bool v86, bool unr)
{
	for (int r = SEG_ES; r <= SEG_GS; r++) {
		const struct seg_rules *k = &seg_rule[r];
		uint32_t ar = AR(r);
		if (v86) {
			CHECK_ID(m, k->v86, BASE(r) == (uint64_t)SEL(r) << 4 && LIMIT(r) == 0xffff && ar == 0xf3);
			continue;
		}
		if (r != SEG_CS && !usable(ar))
			continue;
		unsigned t = type_of(ar);
		uint32_t types = k->types | (r == SEG_CS && unr ? TYPES_CODE_UNR : 0);
		CHECK_ID(m, k->type, (types >> t) & 1);
		CHECK_ID(m, k->s, ar & 0x10);
		CHECK_ID(m, k->p, ar & 0x80);
		CHECK_ID(m, k->ar_res, ar_reserved_ok(ar));
		CHECK_ID(m, k->gran, gran_ok(LIMIT(r), ar));
		if (k->dpl >= 0 && !unr && t <= 11)
			CHECK_ID(m, (enum rule_id)k->dpl, dpl_of(ar) >= (SEL(r) & 3u));
	}
}

/* CS and SS privilege rules and CS.L/D (26.3.1.2 access rights). */
static void privilege(struct refvmm *m, const uint8_t *d, bool v86, bool unr, bool pe, bool ia32e)
{
	uint32_t cs = AR(SEG_CS), ss = AR(SEG_SS);
	unsigned ss_rpl = SEL(SEG_SS) & 3u;
	if (!v86 && !unr)
		CHECK(m, ENTRY_GUEST_SEG_SS_SEL_RPL, ss_rpl == (SEL(SEG_CS) & 3u));
	if (v86)
		return;
	unsigned t = type_of(cs);
	if (t == 3)
		CHECK(m, ENTRY_GUEST_SEG_CS_DPL_ACCESSED_DATA, dpl_of(cs) == 0);
	if (t == 9 || t == 11)
		CHECK(m, ENTRY_GUEST_SEG_CS_DPL_NONCONF, dpl_of(cs) == dpl_of(ss));
	if (t == 13 || t == 15)
		CHECK(m, ENTRY_GUEST_SEG_CS_DPL_CONF, dpl_of(cs) <= dpl_of(ss));
	CHECK(m, ENTRY_GUEST_SEG_SS_DPL, (unr || dpl_of(ss) == ss_rpl) &&
	      ((t != 3 && pe) || dpl_of(ss) == 0));
	if (ia32e && (cs & (1u << 13)))
		CHECK(m, ENTRY_GUEST_SEG_CS_L_D, !(cs & (1u << 14)));
}

/* Base addresses (26.3.1.2 "Base addresses"). */
static void bases(struct refvmm *m, const uint8_t *d)
{
	CHECK(m, ENTRY_GUEST_SEG_FS_BASE_CANONICAL, canonical(m, BASE(SEG_FS)));
	CHECK(m, ENTRY_GUEST_SEG_GS_BASE_CANONICAL, canonical(m, BASE(SEG_GS)));
	CHECK(m, ENTRY_GUEST_SEG_TR_BASE_CANONICAL, canonical(m, BASE(SEG_TR)));
	if (usable(AR(SEG_LDTR)))
		CHECK(m, ENTRY_GUEST_SEG_LDTR_BASE_CANONICAL, canonical(m, BASE(SEG_LDTR)));
	CHECK(m, ENTRY_GUEST_SEG_CS_BASE_HIGH, !(BASE(SEG_CS) >> 32));
	if (usable(AR(SEG_SS)))
		CHECK(m, ENTRY_GUEST_SEG_SS_BASE_HIGH, !(BASE(SEG_SS) >> 32));
	if (usable(AR(SEG_DS)))
		CHECK(m, ENTRY_GUEST_SEG_DS_BASE_HIGH, !(BASE(SEG_DS) >> 32));
	if (usable(AR(SEG_ES)))
		CHECK(m, ENTRY_GUEST_SEG_ES_BASE_HIGH, !(BASE(SEG_ES) >> 32));
}

/* TR and LDTR (26.3.1.2 selectors and access rights). */
static void system_segs(struct refvmm *m, const uint8_t *d, bool ia32e)
{
	uint32_t tr = AR(SEG_TR), ldtr = AR(SEG_LDTR);
	CHECK(m, ENTRY_GUEST_SEG_TR_SEL_TI, !(SEL(SEG_TR) & 4));
	unsigned t = type_of(tr);
	CHECK(m, ENTRY_GUEST_SEG_TR_TYPE, ia32e ? t == 11 : (t == 3 || t == 11));
	CHECK(m, ENTRY_GUEST_SEG_TR_S, !(tr & 0x10));
	CHECK(m, ENTRY_GUEST_SEG_TR_P, tr & 0x80);
	CHECK(m, ENTRY_GUEST_SEG_TR_AR_RESERVED, ar_reserved_ok(tr));
	CHECK(m, ENTRY_GUEST_SEG_TR_GRANULARITY, gran_ok(LIMIT(SEG_TR), tr));
	CHECK(m, ENTRY_GUEST_SEG_TR_UNUSABLE, usable(tr));
	if (!usable(ldtr))
		return;
	CHECK(m, ENTRY_GUEST_SEG_LDTR_SEL_TI, !(SEL(SEG_LDTR) & 4));
	CHECK(m, ENTRY_GUEST_SEG_LDTR_TYPE, type_of(ldtr) == 2);
	CHECK(m, ENTRY_GUEST_SEG_LDTR_S, !(ldtr & 0x10));
	CHECK(m, ENTRY_GUEST_SEG_LDTR_P, ldtr & 0x80);
	CHECK(m, ENTRY_GUEST_SEG_LDTR_AR_RESERVED, ar_reserved_ok(ldtr));
	CHECK(m, ENTRY_GUEST_SEG_LDTR_GRANULARITY, gran_ok(LIMIT(SEG_LDTR), ldtr));
}

void entry_check_seg(struct refvmm *m)
{
	const uint8_t *d = vmcs_cached(m);
	bool v86 = V(GUEST_RFLAGS) & (1u << 17), pe = V(GUEST_CR0) & 1;
	bool unr = eproc2(m, d) & P2_UNRESTRICTED;
	bool ia32e = V(VM_ENTRY_CONTROLS) & ENTRYC_IA32E;
	data_and_code(m, d, v86, unr);
	privilege(m, d, v86, unr, pe, ia32e);
	bases(m, d);
	system_segs(m, d, ia32e);
}
