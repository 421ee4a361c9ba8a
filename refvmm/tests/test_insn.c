/* VMX instructions in root operation: for every instruction rule, a
 * sequence that breaks exactly that rule, with the outcome the SDM's
 * pseudocode (31.3) gives; and VMWRITE/VMREAD of every field. */
#include <string.h>
#include "../refvmm.h"
#include "../../harness/templates.h"
#include "suites.h"

#define MAXS 8
enum { NOCUR = 0, CUR = 1 };   /* whether the sequence makes VMCS0 current first */

struct insn_case {
	enum rule_id rule;
	int with_vmcs;             /* CUR: VMXON + VMCLEAR/VMPTRLD VMCS0 first */
	struct rop pre[MAXS];      /* more setup, all must not fault */
	struct rop op;             /* the op that breaks the rule */
	struct outcome want;
};

#define OPX(o, ...) { .op = OP_##o, .a = { __VA_ARGS__ } }
#define UD   { .kind = OUT_FAULT, .vector = 6 }
#define GP0  { .kind = OUT_FAULT, .vector = 13, .have = OUTF_ERRCODE }
#define FINV { .kind = OUT_FAIL_INVALID }
#define FV(n) { .kind = OUT_FAIL_VALID, .num = n }

static const struct insn_case cases[] = {
	{ R_INSN_VMXON_CR4_VMXE, NOCUR, { OPX(MOV_CR, 4, 0x20) }, OPX(VMXON, TM_VMXON_REGION), UD },
	{ R_INSN_VMXON_CPL, NOCUR, { OPX(CPL, 3) }, OPX(VMXON, TM_VMXON_REGION), GP0 },
	{ R_INSN_VMXON_IN_ROOT, CUR, {{0}}, OPX(VMXON, TM_VMXON_REGION), FV(15) },
	{ R_INSN_VMXON_CR0_FIXED, NOCUR, { OPX(MOV_CR, 0, 0x80000011) }, OPX(VMXON, TM_VMXON_REGION), GP0 },
	{ R_INSN_VMXON_ADDR_ALIGN, NOCUR, {{0}}, OPX(VMXON, TM_VMXON_REGION + 8), FINV },
	{ R_INSN_VMXON_ADDR_WIDTH, NOCUR, {{0}}, OPX(VMXON, 1ULL << 52), FINV },
	{ R_INSN_VMXON_REVISION, NOCUR, { OPX(WRITE32, TM_VMXON_REGION, 0x7) }, OPX(VMXON, TM_VMXON_REGION), FINV },
	{ R_INSN_VMXOFF_NOT_VMX, NOCUR, {{0}}, OPX(VMXOFF), UD },
	{ R_INSN_VMXOFF_CPL, CUR, { OPX(CPL, 3) }, OPX(VMXOFF), GP0 },
	{ R_INSN_VMCLEAR_NOT_VMX, NOCUR, {{0}}, OPX(VMCLEAR, TM_VMCS0), UD },
	{ R_INSN_VMCLEAR_CPL, CUR, { OPX(CPL, 3) }, OPX(VMCLEAR, TM_VMCS0), GP0 },
	{ R_INSN_VMCLEAR_ADDR_ALIGN, CUR, {{0}}, OPX(VMCLEAR, TM_VMCS0 + 1), FV(2) },
	{ R_INSN_VMCLEAR_ADDR_WIDTH, CUR, {{0}}, OPX(VMCLEAR, 1ULL << 52), FV(2) },
	{ R_INSN_VMCLEAR_VMXON_PTR, CUR, {{0}}, OPX(VMCLEAR, TM_VMXON_REGION), FV(3) },
	{ R_INSN_VMPTRLD_NOT_VMX, NOCUR, {{0}}, OPX(VMPTRLD, TM_VMCS0), UD },
	{ R_INSN_VMPTRLD_CPL, CUR, { OPX(CPL, 3) }, OPX(VMPTRLD, TM_VMCS0), GP0 },
	{ R_INSN_VMPTRLD_ADDR_ALIGN, CUR, {{0}}, OPX(VMPTRLD, TM_VMCS1 + 0x800), FV(9) },
	{ R_INSN_VMPTRLD_ADDR_WIDTH, CUR, {{0}}, OPX(VMPTRLD, 1ULL << 52), FV(9) },
	{ R_INSN_VMPTRLD_VMXON_PTR, CUR, {{0}}, OPX(VMPTRLD, TM_VMXON_REGION), FV(10) },
	{ R_INSN_VMPTRLD_REVISION, CUR, { OPX(WRITE32, TM_VMCS1, 0x12345) }, OPX(VMPTRLD, TM_VMCS1), FV(11) },
	{ R_INSN_VMPTRST_NOT_VMX, NOCUR, {{0}}, OPX(VMPTRST), UD },
	{ R_INSN_VMPTRST_CPL, CUR, { OPX(CPL, 3) }, OPX(VMPTRST), GP0 },
	{ R_INSN_VMREAD_NOT_VMX, NOCUR, {{0}}, OPX(VMREAD, 0x681e), UD },
	{ R_INSN_VMREAD_CPL, CUR, { OPX(CPL, 3) }, OPX(VMREAD, 0x681e), GP0 },
	{ R_INSN_VMREAD_NO_CURRENT, CUR, { OPX(VMCLEAR, TM_VMCS0) }, OPX(VMREAD, 0x681e), FINV },
	{ R_INSN_VMREAD_UNSUPPORTED, CUR, {{0}}, OPX(VMREAD, 0x7fff), FV(12) },
	{ R_INSN_VMWRITE_NOT_VMX, NOCUR, {{0}}, OPX(VMWRITE, 0x681e, 0), UD },
	{ R_INSN_VMWRITE_CPL, CUR, { OPX(CPL, 3) }, OPX(VMWRITE, 0x681e, 0), GP0 },
	{ R_INSN_VMWRITE_NO_CURRENT, CUR, { OPX(VMCLEAR, TM_VMCS0) }, OPX(VMWRITE, 0x681e, 0), FINV },
	{ R_INSN_VMWRITE_UNSUPPORTED, CUR, {{0}}, OPX(VMWRITE, 0x681e | (1ULL << 32), 0), FV(12) },
	{ R_INSN_VMLAUNCH_NOT_VMX, NOCUR, {{0}}, OPX(VMLAUNCH), UD },
	{ R_INSN_VMLAUNCH_CPL, CUR, { OPX(CPL, 3) }, OPX(VMLAUNCH), GP0 },
	{ R_INSN_VMLAUNCH_NO_CURRENT, NOCUR, { OPX(VMXON, TM_VMXON_REGION) }, OPX(VMRESUME), FINV },
	{ R_INSN_VMRESUME_NOT_LAUNCHED, CUR, {{0}}, OPX(VMRESUME), FV(5) },
	{ R_INSN_VMLAUNCH_MOV_SS, CUR, { OPX(MOV_SS) }, OPX(VMLAUNCH), FV(26) },
	{ R_INSN_INVEPT_UNSUPPORTED, NOCUR, {{0}}, OPX(INVEPT, 1, TM_EPT_ROOT | 0x1e), UD },
	{ R_INSN_INVEPT_CPL, CUR, { OPX(CPL, 3) }, OPX(INVEPT, 2, 0), GP0 },
	{ R_INSN_INVEPT_TYPE, CUR, {{0}}, OPX(INVEPT, 3, 0), FV(28) },
	{ R_INSN_INVVPID_UNSUPPORTED, NOCUR, {{0}}, OPX(INVVPID, 2, 1, 0), UD },
	{ R_INSN_INVVPID_CPL, CUR, { OPX(CPL, 3) }, OPX(INVVPID, 2, 1, 0), GP0 },
	{ R_INSN_INVVPID_TYPE, CUR, {{0}}, OPX(INVVPID, 4, 1, 0), FV(28) },
	{ R_INSN_INVVPID_DESC_RESERVED, CUR, {{0}}, OPX(INVVPID, 1, 0x10001, 0), FV(28) },
	{ R_INSN_INVVPID_VPID_ZERO, CUR, {{0}}, OPX(INVVPID, 1, 0, 0), FV(28) },
	{ R_INSN_INVVPID_ADDR_CANONICAL, CUR, {{0}}, OPX(INVVPID, 0, 1, 0x0000800000000000ULL), FV(28) },
	{ R_INSN_VMCALL_NOT_VMX, NOCUR, {{0}}, OPX(VMCALL), UD },
	{ R_INSN_VMCALL_CPL, CUR, { OPX(CPL, 3) }, OPX(VMCALL), GP0 },
	{ R_INSN_VMCALL_IN_ROOT, CUR, {{0}}, OPX(VMCALL), FV(1) },
	{ R_INSN_VMFUNC_IN_ROOT, CUR, {{0}}, OPX(VMFUNC, 0, 0), UD },
	{ R_INSN_MSR_CPL, NOCUR, { OPX(CPL, 3) }, OPX(RDMSR, 0x480), GP0 },
	{ R_INSN_MSR_EXISTS, NOCUR, {{0}}, OPX(RDMSR, 0x12345678), GP0 },
	{ R_INSN_MSR_READ_ONLY, NOCUR, {{0}}, OPX(WRMSR, 0x480, 0), GP0 },
	{ R_INSN_MSR_FEATURE_CONTROL_LOCKED, NOCUR, {{0}}, OPX(WRMSR, 0x3a, 0), GP0 },
	{ R_INSN_MSR_RESERVED, NOCUR, {{0}}, OPX(WRMSR, 0xc0000080, TM_L1_EFER | 2), GP0 },
	{ R_INSN_MSR_PAT_TYPE, NOCUR, {{0}}, OPX(WRMSR, 0x277, 0x0202020202020202ULL), GP0 },
	{ R_INSN_MSR_NONCANONICAL, NOCUR, {{0}}, OPX(WRMSR, 0xc0000100, 0x8000000000000000ULL), GP0 },
	{ R_INSN_MSR_NONCANONICAL, NOCUR, {{0}}, OPX(WRMSR, 0x176, 0x0000800000000000ULL), GP0 },
	{ R_INSN_MSR_EFER_LME_PAGING, NOCUR, {{0}}, OPX(WRMSR, 0xc0000080, TM_L1_EFER & ~0x100ULL), GP0 },
	{ R_INSN_MOVCR_CPL, NOCUR, { OPX(CPL, 3) }, OPX(MOV_CR, 3, TM_PAGE_TABLES), GP0 },
	{ R_INSN_MOVCR_CR0_FIXED, CUR, {{0}}, OPX(MOV_CR, 0, 0x80000011), GP0 },
	{ R_INSN_MOVCR_CR4_FIXED, CUR, {{0}}, OPX(MOV_CR, 4, 0x20), GP0 },
	{ R_INSN_MOVCR_RESERVED, NOCUR, {{0}}, OPX(MOV_CR, 0, TM_L1_CR0 | (1ULL << 40)), GP0 },
	{ R_INSN_MOVCR_CR3_WIDTH, NOCUR, {{0}}, OPX(MOV_CR, 3, 1ULL << 52), GP0 },
	{ R_INSN_MOVCR_REGISTER, NOCUR, {{0}}, OPX(MOV_CR, 5, 0), UD },
	{ R_INSN_MOVCR_RESERVED, NOCUR, {{0}}, OPX(MOV_CR, 8, 0x10), GP0 },
	{ R_INSN_MOVCR_RESERVED, NOCUR, {{0}}, OPX(MOV_CR, 4, TM_L1_CR4 | (1ULL << 23)), GP0 },  /* no CET on Skylake-X */
	{ R_INSN_MOVCR_CR0_PG_PE, NOCUR, {{0}}, OPX(MOV_CR, 0, TM_L1_CR0 & ~1ULL), GP0 },
	{ R_INSN_MOVCR_CR0_NW_CD, NOCUR, {{0}}, OPX(MOV_CR, 0, TM_L1_CR0 | (1ULL << 29)), GP0 },
	{ R_INSN_MOVCR_CR0_PG_LONG, NOCUR, {{0}}, OPX(MOV_CR, 0, TM_L1_CR0 & ~(1ULL << 31)), GP0 },
	{ R_INSN_MOVCR_CR4_PAE_LONG, NOCUR, {{0}}, OPX(MOV_CR, 4, TM_L1_CR4 & ~0x20ULL), GP0 },
	{ R_INSN_MOVCR_CR4_PCIDE_CR3, NOCUR, { OPX(MOV_CR, 3, TM_L1_CR3 | 8) }, OPX(MOV_CR, 4, TM_L1_CR4 | (1ULL << 17)), GP0 },
	{ R_INSN_MOVCR_CR3_WIDTH, NOCUR, {{0}}, OPX(MOV_CR, 3, TM_L1_CR3 | (1ULL << 63)), GP0 },  /* PCIDE = 0: bit 63 reserved */
	{ R_INSN_INVEPT_EPTP, CUR, {{0}}, OPX(INVEPT, 1, TM_EPT_ROOT | 0x1a), FV(28) },         /* memory type 2 */
	{ R_INSN_INVEPT_EPTP, CUR, {{0}}, OPX(INVEPT, 1, TM_EPT_ROOT | 0x16), FV(28) },         /* walk length 3 */
	{ R_INSN_INVEPT_EPTP, CUR, {{0}}, OPX(INVEPT, 1, TM_EPT_ROOT | 0x11e), FV(28) },        /* bit 8 reserved */
	{ R_INSN_INVEPT_EPTP, CUR, {{0}}, OPX(INVEPT, 1, (1ULL << 40) | 0x1e), FV(28) },        /* beyond MAXPHYADDR 40 */
	/* L1 outside IA-32e mode (leave_ia32e; more in test_l1_mode.c) */
	{ R_INSN_LEAVE_IA32E_CPL, NOCUR, { OPX(CPL, 3) }, OPX(LEAVE_IA32E),
	  { .kind = OUT_FAULT, .vector = 13, .have = OUTF_ERRCODE, .num = TM_SEL_CODE32 } },
	{ R_INSN_MOVCR_CR4_PCIDE_LEGACY, NOCUR, { OPX(LEAVE_IA32E) }, OPX(MOV_CR, 4, 0x22020), GP0 },
	{ R_INSN_MOVCR_PAE_PDPTE, NOCUR, { OPX(LEAVE_IA32E), OPX(WRITE64, TM_SCRATCH, 0x42a003) },
	  OPX(MOV_CR, 3, TM_SCRATCH), GP0 },   /* PDPTE bit 1 reserved */
};
#define NCASES (sizeof cases / sizeof *cases)

static void run_ok(struct refvmm *m, const struct rop *op)
{
	struct result r;
	refvmm_run(m, op, &r);
	ck_assert_msg(r.nalt == 0 || r.alt[0].kind == OUT_OK || r.alt[0].kind == OUT_VALUE,
		      "setup op %u failed (kind %u)", op->op, r.alt[0].kind);
}

START_TEST(test_rule_case)
{
	const struct insn_case *c = &cases[_i];
	/* a profile that has what the case needs: VPID/EPT/VMCS shadowing */
	struct refvmm *m = refvmm_create(caps_builtin("bochs-corei7_skylake_x"));
	ck_assert_ptr_nonnull(m);
	if (c->with_vmcs) {
		run_ok(m, &(struct rop)OPX(VMXON, TM_VMXON_REGION));
		run_ok(m, &(struct rop)OPX(VMCLEAR, TM_VMCS0));
		run_ok(m, &(struct rop)OPX(VMPTRLD, TM_VMCS0));
	}
	for (int i = 0; i < MAXS && (c->pre[i].op || c->pre[i].a[0] || c->pre[i].a[1]); i++)
		run_ok(m, &c->pre[i]);
	struct result r;
	refvmm_run(m, &c->op, &r);
	const char *id = rule_table[c->rule].id;
	ck_assert_msg(r.nalt == 1, "%s: one outcome", id);
	ck_assert_msg(r.alt[0].kind == c->want.kind, "%s: kind %u, want %u", id, r.alt[0].kind, c->want.kind);
	ck_assert_msg(r.alt[0].num == c->want.num && r.alt[0].vector == c->want.vector, "%s: num/vector", id);
	ck_assert_msg(r.nrules == 1 && r.rules[0] == c->rule, "%s: the rule that decided", id);
	refvmm_destroy(m);
}
END_TEST

/* Every rule of rules/insn.def has a case above (except those no profile
 * can break with L1 in 64-bit mode: listed here with the reason). */
START_TEST(test_every_insn_rule_tested)
{
	static const enum rule_id unbreakable[] = {
		R_INSN_VMXON_CR4_FIXED,   /* any CR4 MOV that breaks it is refused first (VMXE, reserved) */
		R_INSN_VMXON_FEATURE_CONTROL_LOCK,   /* the probe locks an unlocked MSR at 5; WRMSR cannot unlock */
		R_INSN_VMXON_FEATURE_CONTROL_OUTSIDE_SMX, /* test_feature_control */
		R_INSN_VMLAUNCH_NOT_CLEAR, R_INSN_VMRESUME_AFTER_VMXOFF, /* test_launch_twice */ R_INSN_VMPTRLD_SHADOW_UNSUPPORTED, R_INSN_VMWRITE_READ_ONLY, R_INSN_VMXON_SHADOW_BIT, /* in test_profile_dependent_rules */
		R_INSN_VMLAUNCH_SHADOW_VMCS, /* test_profile_dependent_rules */
		R_INSN_MOVCR_CR4_LA57_LONG, R_INSN_MOVCR_CET_WP, /* test_cr4_features */
	};
	for (int r = 0; r < RULE_COUNT; r++) {
		if (rule_table[r].cls != RC_INSN)
			continue;
		bool found = false;
		for (size_t i = 0; i < NCASES; i++)
			found |= cases[i].rule == (enum rule_id)r;
		for (size_t i = 0; i < sizeof unbreakable / sizeof *unbreakable; i++)
			found |= unbreakable[i] == (enum rule_id)r;
		ck_assert_msg(found, "rule %s has no test", rule_table[r].id);
	}
}
END_TEST

/* The three rules that need a particular profile or state. */
START_TEST(test_profile_dependent_rules)
{
	struct result r;
	/* error 13 where IA32_VMX_MISC[29] = 0 (Sandy Bridge), SDM 31.3 VMWRITE */
	const struct vmx_caps *snb = caps_builtin("bochs-corei7_sandy_bridge_2600k");
	ck_assert(!caps_has(snb, FEAT_VMWRITE_ANY_FIELD));
	struct refvmm *m = refvmm_create(snb);
	run_ok(m, &(struct rop)OPX(VMXON, TM_VMXON_REGION));
	run_ok(m, &(struct rop)OPX(VMPTRLD, TM_VMCS0));
	refvmm_run(m, &(struct rop)OPX(VMWRITE, 0x4402, 1), &r);   /* VM_EXIT_REASON */
	ck_assert(r.alt[0].kind == OUT_FAIL_VALID && r.alt[0].num == 13);
	ck_assert(r.rules[0] == R_INSN_VMWRITE_READ_ONLY);
	/* the same write succeeds where MISC[29] = 1 */
	refvmm_destroy(m);
	m = refvmm_create(caps_builtin("bochs-corei7_skylake_x"));
	run_ok(m, &(struct rop)OPX(VMXON, TM_VMXON_REGION));
	run_ok(m, &(struct rop)OPX(VMPTRLD, TM_VMCS0));
	run_ok(m, &(struct rop)OPX(VMWRITE, 0x4402, 1));
	/* a shadow-VMCS region where VMCS shadowing exists loads fine */
	run_ok(m, &(struct rop)OPX(WRITE32, TM_VMCS1, caps_revision(&m->caps) | 0x80000000u));
	run_ok(m, &(struct rop)OPX(VMPTRLD, TM_VMCS1));
	/* entering it is VMfailInvalid although it is current (24.10, 26.1) */
	refvmm_run(m, &(struct rop)OPX(VMLAUNCH), &r);
	ck_assert(r.nalt == 1 && r.alt[0].kind == OUT_FAIL_INVALID);
	ck_assert(r.nrules == 1 && r.rules[0] == R_INSN_VMLAUNCH_SHADOW_VMCS);
	refvmm_run(m, &(struct rop)OPX(VMRESUME), &r);
	ck_assert(r.alt[0].kind == OUT_FAIL_INVALID && r.rules[0] == R_INSN_VMLAUNCH_SHADOW_VMCS);
	/* VMREAD and VMWRITE of a shadow VMCS in root operation work (24.10) */
	run_ok(m, &(struct rop)OPX(VMWRITE, 0x681e, 0x1234));
	refvmm_run(m, &(struct rop)OPX(VMREAD, 0x681e), &r);
	ck_assert(r.alt[0].kind == OUT_VALUE && r.alt[0].value == 0x1234);
	refvmm_destroy(m);
	/* VMXON on a region whose bit 31 is set is VMfailInvalid (31.3 VMXON) */
	m = refvmm_create(snb);
	run_ok(m, &(struct rop)OPX(WRITE32, TM_VMXON_REGION, caps_revision(&m->caps) | 0x80000000u));
	refvmm_run(m, &(struct rop)OPX(VMXON, TM_VMXON_REGION), &r);
	ck_assert(r.alt[0].kind == OUT_FAIL_INVALID && r.rules[0] == R_INSN_VMXON_SHADOW_BIT);
	refvmm_destroy(m);
	/* and fails with error 11 where it does not (Sandy Bridge lacks it) */
	ck_assert(!caps_has(snb, FEAT_VMCS_SHADOWING));
	m = refvmm_create(snb);
	run_ok(m, &(struct rop)OPX(VMXON, TM_VMXON_REGION));
	run_ok(m, &(struct rop)OPX(VMPTRLD, TM_VMCS0));
	run_ok(m, &(struct rop)OPX(WRITE32, TM_VMCS1, caps_revision(&m->caps) | 0x80000000u));
	refvmm_run(m, &(struct rop)OPX(VMPTRLD, TM_VMCS1), &r);
	ck_assert(r.alt[0].kind == OUT_FAIL_VALID && r.alt[0].num == 11);
	ck_assert(r.rules[0] == R_INSN_VMPTRLD_SHADOW_UNSUPPORTED);
	refvmm_destroy(m);
}
END_TEST

/* VMWRITE then VMREAD of every field under every profile: supported
 * fields keep the value masked to their width (24.11.2), unsupported ones
 * give error 12 (31.3). */
START_TEST(test_field_round_trip)
{
	for (size_t p = 0; p < caps_builtin_count(); p++) {
		const struct vmx_caps *c = caps_builtin_at(p);
		struct refvmm *m = refvmm_create(c);
		struct result on;
		refvmm_run(m, &(struct rop)OPX(VMXON, TM_VMXON_REGION), &on);
		if (on.alt[0].kind != OUT_OK) {
			/* variants whose L1 cannot enter VMX operation as it
			 * starts (IA32_FEATURE_CONTROL, CR4 fixed bits); their
			 * fields are their base profile's */
			ck_assert_msg(strncmp(c->name, "variant-", 8) == 0, "VMXON under %s", c->name);
			refvmm_destroy(m);
			continue;
		}
		run_ok(m, &(struct rop)OPX(VMPTRLD, TM_VMCS0));
		for (int f = 0; f < VF_COUNT; f++) {
			const struct vmcs_field_info *fi = &vmcs_field_table[f];
			bool sup = vmcs_field_supported(c, (enum vmcs_field)f);
			bool ro = fi->type == T_RO && !caps_has(c, FEAT_VMWRITE_ANY_FIELD);
			struct result w, r;
			uint64_t v = 0xa5a5a5a5a5a5a5a5ULL;
			refvmm_run(m, &(struct rop)OPX(VMWRITE, fi->enc, v), &w);
			refvmm_run(m, &(struct rop)OPX(VMREAD, fi->enc), &r);
			if (!sup) {
				ck_assert_msg(w.alt[0].kind == OUT_FAIL_VALID && w.alt[0].num == 12, "%s", fi->name);
				ck_assert_msg(r.alt[0].kind == OUT_FAIL_VALID && r.alt[0].num == 12, "%s", fi->name);
			} else if (ro) {
				ck_assert_msg(w.alt[0].num == 13, "%s", fi->name);
			} else {
				ck_assert_msg(w.alt[0].kind == OUT_OK, "%s", fi->name);
				ck_assert_msg(r.alt[0].value == (v & vmcs_width_mask((enum vmcs_width)fi->width)),
					      "%s under %s", fi->name, c->name);
			}
		}
		refvmm_destroy(m);
	}
}
END_TEST

/* VMLAUNCH of a VMCS that a successful VMLAUNCH left launched: error 4 (26.1). */
START_TEST(test_launch_twice)
{
	const struct vmx_caps *c = caps_default();
	struct refvmm *m = refvmm_create(c);
	struct rop t[256];
	int n = template_expand("vmcs64", c, 0, t, 256);
	ck_assert_int_gt(n, 0);
	run_ok(m, &(struct rop)OPX(VMXON, TM_VMXON_REGION));
	for (int i = 0; i < n; i++)
		run_ok(m, &t[i]);
	struct result r;
	refvmm_run(m, &(struct rop)OPX(VMLAUNCH), &r);
	ck_assert_msg(r.alt[0].kind == OUT_EXIT && r.alt[0].num == 18, "baseline entry exits on the implicit vmcall");
	refvmm_run(m, &(struct rop)OPX(VMLAUNCH), &r);
	ck_assert(r.alt[0].kind == OUT_FAIL_VALID && r.alt[0].num == 4);
	ck_assert(r.nrules == 1 && r.rules[0] == R_INSN_VMLAUNCH_NOT_CLEAR);
	/* VMXOFF without VMCLEAR leaves the region undefined (24.11.1): a
	 * VMRESUME after VMXON + VMPTRLD may give error 6 (Table 31-1), find
	 * the VMCS clear (error 5) or resume; the model resumes and says so */
	run_ok(m, &(struct rop)OPX(VMXOFF));
	run_ok(m, &(struct rop)OPX(VMXON, TM_VMXON_REGION));
	run_ok(m, &(struct rop)OPX(VMPTRLD, TM_VMCS0));
	refvmm_run(m, &(struct rop)OPX(VMRESUME), &r);
	ck_assert_uint_eq(r.nalt, 3);
	ck_assert(r.alt[0].kind == OUT_EXIT && r.alt[0].num == 18);
	ck_assert(r.alt[1].kind == OUT_FAIL_VALID && r.alt[1].num == 6);
	ck_assert(r.alt[2].kind == OUT_FAIL_VALID && r.alt[2].num == 5);
	ck_assert(r.nrules >= 1 && r.rules[0] == R_INSN_VMRESUME_AFTER_VMXOFF);
	refvmm_run(m, &(struct rop)OPX(VMRESUME), &r);   /* resumed: launched again, one outcome */
	ck_assert(r.nalt == 1 && r.alt[0].kind == OUT_EXIT);
	refvmm_destroy(m);
}
END_TEST

static void want_rule(struct refvmm *m, const struct rop *op, enum rule_id rule)
{
	struct result r;
	refvmm_run(m, op, &r);
	ck_assert_msg(r.nalt == 1 && r.alt[0].kind == OUT_FAULT && r.alt[0].vector == 13,
		      "%s: #GP(0)", rule_table[rule].id);
	ck_assert_msg(r.nrules == 1 && r.rules[0] == rule, "%s: the rule that decided", rule_table[rule].id);
}

/* CR4 bits only some processors have (MOV CR, vol. 2): LA57 cannot change
 * in IA-32e mode; CET needs CR0.WP.  No built-in profile has LA57, so the
 * test adds it to Skylake-X's CR4_FIXED1 (the bit that reports it, A.8). */
START_TEST(test_cr4_features)
{
	struct vmx_caps la57 = *caps_builtin("bochs-corei7_skylake_x");
	la57.msr[CAP_CR4_FIXED1] |= 1u << 12;
	struct refvmm *m = refvmm_create(&la57);
	want_rule(m, &(struct rop)OPX(MOV_CR, 4, TM_L1_CR4 | (1u << 12)), R_INSN_MOVCR_CR4_LA57_LONG);
	refvmm_destroy(m);

	const struct vmx_caps *tgl = caps_builtin("bochs-tigerlake");
	ck_assert(caps_msr(tgl, CAP_MSR_FIRST + CAP_CR4_FIXED1) & (1u << 23));
	m = refvmm_create(tgl);
	want_rule(m, &(struct rop)OPX(MOV_CR, 4, TM_L1_CR4 | (1u << 23)), R_INSN_MOVCR_CET_WP);
	run_ok(m, &(struct rop)OPX(MOV_CR, 0, TM_L1_CR0 | (1u << 16)));
	run_ok(m, &(struct rop)OPX(MOV_CR, 4, TM_L1_CR4 | (1u << 23)));
	want_rule(m, &(struct rop)OPX(MOV_CR, 0, TM_L1_CR0), R_INSN_MOVCR_CET_WP);
	refvmm_destroy(m);
}
END_TEST

/* What the writes that succeed leave behind. */
START_TEST(test_cr_msr_values)
{
	struct refvmm *m = refvmm_create(caps_default());
	struct result r;
	/* a written EFER.LMA is ignored (vol. 4 IA32_EFER: LMA is read-only) */
	run_ok(m, &(struct rop)OPX(WRMSR, 0xc0000080, TM_L1_EFER & ~0x400ULL));
	refvmm_run(m, &(struct rop)OPX(RDMSR, 0xc0000080), &r);
	ck_assert(r.alt[0].kind == OUT_VALUE && r.alt[0].value == TM_L1_EFER);
	/* the capability MSRs read as the profile reports them */
	refvmm_run(m, &(struct rop)OPX(RDMSR, 0x480), &r);
	ck_assert(r.alt[0].kind == OUT_VALUE && r.alt[0].value == caps_msr(&m->caps, 0x480));
	refvmm_run(m, &(struct rop)OPX(RDMSR, 0x3a), &r);
	ck_assert(r.alt[0].value == TM_L1_FEATURE_CONTROL);
	/* canonical bases are accepted and read back */
	run_ok(m, &(struct rop)OPX(WRMSR, 0xc0000100, 0xffff800000001000ULL));
	refvmm_run(m, &(struct rop)OPX(RDMSR, 0xc0000100), &r);
	ck_assert(r.alt[0].value == 0xffff800000001000ULL);
	/* with CR4.PCIDE = 1, CR3 bit 63 is accepted and not stored (4.10.4.1) */
	run_ok(m, &(struct rop)OPX(MOV_CR, 4, TM_L1_CR4 | (1u << 17)));
	run_ok(m, &(struct rop)OPX(MOV_CR, 3, TM_L1_CR3 | 5 | (1ULL << 63)));
	ck_assert(m->cpu.cr3 == (TM_L1_CR3 | 5));
	/* CR0.ET reads as 1 whatever is written (2.5) */
	run_ok(m, &(struct rop)OPX(MOV_CR, 0, TM_L1_CR0 & ~0x10ULL));
	ck_assert(m->cpu.cr0 == TM_L1_CR0);
	/* single-context INVEPT of the test machine's EPTP succeeds (31.3) */
	run_ok(m, &(struct rop)OPX(VMXON, TM_VMXON_REGION));
	refvmm_run(m, &(struct rop)OPX(INVEPT, 1, TM_EPT_ROOT | 0x1e), &r);
	ck_assert(r.nalt == 1 && r.alt[0].kind == OUT_OK);
	refvmm_destroy(m);
}
END_TEST

/* IA32_FEATURE_CONTROL (23.7): firmware that locked it with VMX outside
 * SMX disabled makes VMXON #GP(0); an unlocked one makes VMXON #GP(0)
 * until L1 locks it; 0 (no firmware ran) is locked at
 * TM_L1_FEATURE_CONTROL by the probe, and the model starts there too. */
START_TEST(test_feature_control)
{
	struct vmx_caps c = *caps_default();
	struct result r;
	c.feature_control = 0x1;   /* locked, VMX disabled: a BIOS setting */
	struct refvmm *m = refvmm_create(&c);
	refvmm_run(m, &(struct rop)OPX(RDMSR, 0x3a), &r);
	ck_assert(r.alt[0].kind == OUT_VALUE && r.alt[0].value == 1);
	refvmm_run(m, &(struct rop)OPX(VMXON, TM_VMXON_REGION), &r);
	ck_assert(r.nalt == 1 && r.alt[0].kind == OUT_FAULT && r.alt[0].vector == 13);
	ck_assert(r.nrules == 1 && r.rules[0] == R_INSN_VMXON_FEATURE_CONTROL_OUTSIDE_SMX);
	refvmm_run(m, &(struct rop)OPX(WRMSR, 0x3a, 5), &r);
	ck_assert(r.alt[0].kind == OUT_FAULT && r.rules[0] == R_INSN_MSR_FEATURE_CONTROL_LOCKED);
	refvmm_destroy(m);
	c.feature_control = 0x4;   /* unlocked, VMX outside SMX: kept */
	m = refvmm_create(&c);
	refvmm_run(m, &(struct rop)OPX(RDMSR, 0x3a), &r);
	ck_assert(r.alt[0].kind == OUT_VALUE && r.alt[0].value == 4);
	refvmm_run(m, &(struct rop)OPX(VMXON, TM_VMXON_REGION), &r);
	ck_assert(r.nalt == 1 && r.alt[0].kind == OUT_FAULT && r.alt[0].vector == 13);
	ck_assert(r.nrules == 1 && r.rules[0] == R_INSN_VMXON_FEATURE_CONTROL_LOCK);
	run_ok(m, &(struct rop)OPX(WRMSR, 0x3a, 5));
	run_ok(m, &(struct rop)OPX(VMXON, TM_VMXON_REGION));
	refvmm_destroy(m);
	c.feature_control = 0;   /* no firmware: the probe locks it at 5 */
	m = refvmm_create(&c);
	refvmm_run(m, &(struct rop)OPX(RDMSR, 0x3a), &r);
	ck_assert(r.alt[0].kind == OUT_VALUE && r.alt[0].value == TM_L1_FEATURE_CONTROL);
	run_ok(m, &(struct rop)OPX(VMXON, TM_VMXON_REGION));
	refvmm_destroy(m);
	c.feature_control = 0x40005;   /* locked with more bits (SGX): kept as is */
	m = refvmm_create(&c);
	refvmm_run(m, &(struct rop)OPX(RDMSR, 0x3a), &r);
	ck_assert(r.alt[0].value == 0x40005);
	run_ok(m, &(struct rop)OPX(VMXON, TM_VMXON_REGION));
	refvmm_destroy(m);
}
END_TEST

static Suite *insn_suite(void)
{
	Suite *s = suite_create("insn");
	TCase *t = tcase_create("rules");
	tcase_add_loop_test(t, test_rule_case, 0, NCASES);
	tcase_add_test(t, test_every_insn_rule_tested);
	tcase_add_test(t, test_profile_dependent_rules);
	tcase_add_test(t, test_field_round_trip);
	tcase_add_test(t, test_launch_twice);
	tcase_add_test(t, test_cr4_features);
	tcase_add_test(t, test_cr_msr_values);
	tcase_add_test(t, test_feature_control);
	suite_add_tcase(s, t);
	return s;
}
SUITE_REGISTER(insn_suite)
