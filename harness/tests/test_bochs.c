/* The bochs backend on a fixed set of resolved cases; every expectation
 * comes from the SDM (chapter 30 instruction pseudocode, 27.2 exit
 * information) and the profile bochs-corei7_skylake_x. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "suites.h"
#include "../backend.h"
#include "../backend_bochs.h"
#include "../probe_host.h"

#define R(o, ...) { .op = OP_##o, .a = { __VA_ARGS__ } }
#define S(o, ...) { .op = OP_##o, .flags = ROP_SILENT, .a = { __VA_ARGS__ } }
#define VW(f, v) S(VMWRITE, f, v)

enum { VMXON_OK, VMXON_TWICE, VMXON_TWICE_CURRENT, PTRLD_UNALIGNED, PTRLD_UNALIGNED_NOCUR,
       VMREAD_NOCUR, ROUNDTRIP, VMXOFF_OUTSIDE, CPL3_VMXON, ENTRY_CPUID, HANG, AFTER_HANG, BASIC_DEFAULT, BASIC_SANDY, TRIPLE, AFTER_TRIPLE, NCASES };

static const struct rop c_vmxon_ok[] = { R(VMXON, TM_VMXON_REGION) };
static const struct rop c_vmxon_twice[] = { R(VMXON, TM_VMXON_REGION), R(VMXON, TM_VMXON_REGION) };
static const struct rop c_vmxon_twice_cur[] = { R(VMXON, TM_VMXON_REGION), R(VMPTRLD, TM_VMCS0), R(VMXON, TM_VMXON_REGION) };
static const struct rop c_ptrld_unal[] = { R(VMXON, TM_VMXON_REGION), R(VMPTRLD, TM_VMCS0), R(VMPTRLD, TM_VMCS1 + 1) };
static const struct rop c_ptrld_unal_nocur[] = { R(VMXON, TM_VMXON_REGION), R(VMPTRLD, TM_VMCS1 + 1) };
static const struct rop c_vmread_nocur[] = { R(VMXON, TM_VMXON_REGION), R(VMREAD, 0x4400) };
static const struct rop c_roundtrip[] = {
	R(VMXON, TM_VMXON_REGION), R(VMCLEAR, TM_VMCS0), R(VMPTRLD, TM_VMCS0),
	R(VMWRITE, 0x681e, 0x1234), R(VMREAD, 0x681e), R(VMPTRST), R(VMXOFF),
};
static const struct rop c_vmxoff_outside[] = { R(VMXOFF) };
static const struct rop c_cpl3_vmxon[] = { R(CPL, 3), R(VMXON, TM_VMXON_REGION) };
/* CR3 -> an all-zero page: the next fetch page-faults, so does the #PF
 * delivery, then #DF: a triple fault, which ends Bochs (shutdown). */
static const struct rop c_triple[] = { R(MOV_CR, 3, 0x1800000) };
static const struct rop c_basic[] = { R(RDMSR, 0x480), R(RDMSR, 0x48b) };

/* A 64-bit L2 on the test machine's state (SDM 26.2, 26.3). */
#define VMCS64(pin, proc, exitc, entryc) \
	S(VMXON, TM_VMXON_REGION), S(VMCLEAR, TM_VMCS0), S(VMPTRLD, TM_VMCS0), \
	VW(0x4000, pin), VW(0x4002, proc), VW(0x400c, exitc), VW(0x4012, entryc), \
	VW(0x0c00, 0x10), VW(0x0c02, 0x08), VW(0x0c04, 0x10), VW(0x0c06, 0x10), VW(0x0c08, 0x10), \
	VW(0x0c0a, 0x10), VW(0x0c0c, 0x20), VW(0x6c00, TM_L1_CR0), VW(0x6c02, TM_L1_CR3), \
	VW(0x6c04, TM_L1_CR4), VW(0x6c0a, TM_TSS), VW(0x6c0c, TM_GDT), VW(0x6c0e, TM_IDT), \
	VW(0x6c14, TM_HOST_RSP), VW(0x6c16, TM_HOST_RIP), \
	VW(0x0800, 0x10), VW(0x0802, 0x08), VW(0x0804, 0x10), VW(0x0806, 0x10), VW(0x0808, 0x10), \
	VW(0x080a, 0x10), VW(0x080e, 0x20), \
	VW(0x4800, 0xffffffff), VW(0x4802, 0xffffffff), VW(0x4804, 0xffffffff), VW(0x4806, 0xffffffff), \
	VW(0x4808, 0xffffffff), VW(0x480a, 0xffffffff), VW(0x480e, TM_TSS_LIMIT), \
	VW(0x4810, TM_GDT_LIMIT), VW(0x4812, TM_IDT_LIMIT), \
	VW(0x4814, TM_AR_DATA), VW(0x4816, TM_AR_CODE64), VW(0x4818, TM_AR_DATA), VW(0x481a, TM_AR_DATA), \
	VW(0x481c, TM_AR_DATA), VW(0x481e, TM_AR_DATA), VW(0x4820, TM_AR_UNUSABLE), VW(0x4822, TM_AR_TSS64_BUSY), \
	VW(0x6814, TM_TSS), VW(0x6816, TM_GDT), VW(0x6818, TM_GUEST_IDT), \
	VW(0x6800, TM_L1_CR0), VW(0x6802, TM_L1_CR3), VW(0x6804, TM_L1_CR4), VW(0x681a, TM_L1_DR7), \
	VW(0x681c, TM_GUEST_STACK), VW(0x681e, TM_GUEST_CODE), VW(0x6820, 2), \
	VW(0x2800, ~0ULL)

/* corei7_skylake_x: TRUE_* controls govern (BASIC[55]); must-be-1 bits of
 * IA32_VMX_TRUE_{PINBASED,PROCBASED,EXIT,ENTRY}_CTLS (bochs-caps.txt),
 * plus host address-space size (exit bit 9) and IA-32e mode guest (entry
 * bit 9). */
#define SKX_PIN   0x16
#define SKX_PROC  0x04006172
#define SKX_EXIT  (0x00036dfbULL | 1 << 9)
#define SKX_ENTRY (0x000011fbULL | 1 << 9)

static const struct rop b_cpuid[] = { R(G_CPUID, 0) };
static const struct rop b_hlt[] = { R(G_HLT) };
static struct rop c_entry[] = {
	VMCS64(SKX_PIN, SKX_PROC, SKX_EXIT, SKX_ENTRY),
	{ .op = OP_GUEST, .block = b_cpuid, .nblock = 1 }, R(VMLAUNCH), R(VMRESUME),
};
/* HLT exiting off and RFLAGS.IF = 0: L2 halts for good; the batch must
 * survive it (the case becomes CS_FAULT, the next one still runs). */
static struct rop c_hang[] = {
	VMCS64(SKX_PIN, SKX_PROC & ~(1u << 7), SKX_EXIT, SKX_ENTRY),
	{ .op = OP_GUEST, .block = b_hlt, .nblock = 1 }, R(VMLAUNCH),
};

#define CASE(id, v) [id] = { .name = #id, .ops = (struct rop *)v, .nops = sizeof v / sizeof v[0] }
static struct rcase cases[NCASES] = {
	CASE(VMXON_OK, c_vmxon_ok), CASE(VMXON_TWICE, c_vmxon_twice),
	CASE(VMXON_TWICE_CURRENT, c_vmxon_twice_cur), CASE(PTRLD_UNALIGNED, c_ptrld_unal),
	CASE(PTRLD_UNALIGNED_NOCUR, c_ptrld_unal_nocur), CASE(VMREAD_NOCUR, c_vmread_nocur),
	CASE(ROUNDTRIP, c_roundtrip), CASE(VMXOFF_OUTSIDE, c_vmxoff_outside),
	CASE(CPL3_VMXON, c_cpl3_vmxon), CASE(ENTRY_CPUID, c_entry), CASE(HANG, c_hang),
	CASE(AFTER_HANG, c_vmxon_ok), CASE(BASIC_DEFAULT, c_basic), CASE(BASIC_SANDY, c_basic),
	CASE(TRIPLE, c_triple), CASE(AFTER_TRIPLE, c_vmxon_ok),
};
static struct case_result results[NCASES];
static int have_bochs;

static double run_seconds;

static void run_all(void)
{
	struct timespec t0, t1;
	const struct backend *b = backend_find("bochs");
	/* a generous batch timeout: the hanging case must be cut by the
	 * output-stall watch (PROBE_STALL), not by this */
	struct backend_opts o = { .model = "corei7_skylake_x", .timeout = 30, .jobs = 1 };
	char why[300];
	const struct rcase *p[NCASES];
	if (!b || b->available(&o, why, sizeof why)) {
		fprintf(stderr, "test_bochs: SKIPPED, bochs not available: %s\n", b ? why : "no backend");
		return;
	}
	have_bochs = 1;
	for (int i = 0; i < NCASES; i++)
		p[i] = &cases[i];
	snprintf(cases[BASIC_SANDY].profile, sizeof cases[BASIC_SANDY].profile, "bochs-corei7_sandy_bridge_2600k");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	b->run(&o, p, NCASES, results);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	run_seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
}

static const struct outcome *out(int c, uint32_t op)
{
	ck_assert_msg(results[c].status == CS_RAN, "%s: status %d (%s)", cases[c].name, results[c].status, results[c].msg);
	ck_assert_uint_gt(results[c].nres, op);
	ck_assert_int_eq(results[c].res[op].nalt, 1);
	return &results[c].res[op].alt[0];
}

static void is(int c, uint32_t op, int kind, uint32_t num)
{
	const struct outcome *o = out(c, op);
	ck_assert_msg(o->kind == kind && o->num == num, "%s op %u: kind %d num %u, want kind %d num %u",
		      cases[c].name, op, o->kind, o->num, kind, num);
}

#define NEED_BOCHS() do { if (!have_bochs) { fprintf(stderr, "%s: SKIPPED (no bochs)\n", __func__); return; } } while (0)

/* SDM 30.3 VMXON: outside VMX operation with a valid region -> VMsucceed. */
START_TEST(vmxon_succeeds) { NEED_BOCHS(); is(VMXON_OK, 0, OUT_OK, 0); }
END_TEST

/* VMXON in VMX root: VMfailInvalid without a current VMCS, else error 15. */
START_TEST(vmxon_in_root)
{
	NEED_BOCHS();
	is(VMXON_TWICE, 1, OUT_FAIL_INVALID, 0);
	is(VMXON_TWICE_CURRENT, 1, OUT_OK, 0);
	is(VMXON_TWICE_CURRENT, 2, OUT_FAIL_VALID, 15);
}
END_TEST

/* VMPTRLD of an address not 4-KiB aligned: VMfail(9); with no current VMCS that is VMfailInvalid. */
START_TEST(vmptrld_unaligned)
{
	NEED_BOCHS();
	is(PTRLD_UNALIGNED, 2, OUT_FAIL_VALID, 9);
	is(PTRLD_UNALIGNED_NOCUR, 1, OUT_FAIL_INVALID, 0);
}
END_TEST

/* VMREAD with an invalid current-VMCS pointer: VMfailInvalid. */
START_TEST(vmread_no_vmcs) { NEED_BOCHS(); is(VMREAD_NOCUR, 1, OUT_FAIL_INVALID, 0); }
END_TEST

START_TEST(vmwrite_vmread_roundtrip)
{
	NEED_BOCHS();
	for (uint32_t i = 0; i < 4; i++)
		is(ROUNDTRIP, i, OUT_OK, 0);
	ck_assert_int_eq(out(ROUNDTRIP, 4)->kind, OUT_VALUE);
	ck_assert_uint_eq(out(ROUNDTRIP, 4)->value, 0x1234);
	ck_assert_int_eq(out(ROUNDTRIP, 5)->kind, OUT_VALUE);
	ck_assert_uint_eq(out(ROUNDTRIP, 5)->value, TM_VMCS0);   /* VMPTRST stores the current-VMCS pointer */
	is(ROUNDTRIP, 6, OUT_OK, 0);
}
END_TEST

/* VMXOFF outside VMX operation: #UD. VMXON at CPL 3: #GP(0). */
START_TEST(faults)
{
	NEED_BOCHS();
	const struct outcome *o = out(VMXOFF_OUTSIDE, 0);
	ck_assert_int_eq(o->kind, OUT_FAULT);
	ck_assert_int_eq(o->vector, 6);
	ck_assert(!(o->have & OUTF_ERRCODE));
	o = out(CPL3_VMXON, 1);
	ck_assert_int_eq(o->kind, OUT_FAULT);
	ck_assert_int_eq(o->vector, 13);
	ck_assert(o->have & OUTF_ERRCODE);
	ck_assert_uint_eq(o->num, 0);
}
END_TEST

/* CPUID exits unconditionally (25.1.2): reason 10, length 2 (0f a2).
 * VMRESUME advances GUEST_RIP past it; the block's implicit VMCALL then
 * exits with reason 18, length 3. */
START_TEST(entry_cpuid_exit)
{
	NEED_BOCHS();
	uint32_t at = cases[ENTRY_CPUID].nops - 2;
	const struct outcome *o = out(ENTRY_CPUID, at);
	ck_assert_msg(o->kind == OUT_EXIT, "kind %d num %u", o->kind, o->num);
	ck_assert_uint_eq(o->num, 10);
	ck_assert(o->have & EXF_LEN);
	ck_assert_uint_eq(o->len, 2);
	ck_assert(o->have & EXF_QUAL && o->qual == 0);   /* cleared for CPUID (27.2.1) */
	o = out(ENTRY_CPUID, at + 1);
	ck_assert_int_eq(o->kind, OUT_EXIT);
	ck_assert_uint_eq(o->num, 18);
	ck_assert_uint_eq(o->len, 3);
}
END_TEST

START_TEST(hang_costs_only_itself)
{
	NEED_BOCHS();
	ck_assert_int_eq(results[HANG].status, CS_FAULT);
	ck_assert_msg(strstr(results[HANG].msg, "timeout"), "%s", results[HANG].msg);
	is(AFTER_HANG, 0, OUT_OK, 0);
	/* cut by the stall watch, well before the 30 s batch timeout */
	ck_assert_msg(run_seconds < 1 + PROBE_STALL + 5, "took %.1f s", run_seconds);
}
END_TEST

START_TEST(triple_fault_costs_only_itself)
{
	NEED_BOCHS();
	ck_assert_int_eq(results[TRIPLE].status, CS_FAULT);
	ck_assert_msg(strstr(results[TRIPLE].msg, "stopped in this case"), "%s", results[TRIPLE].msg);
	is(AFTER_TRIPLE, 0, OUT_OK, 0);
}
END_TEST

/* A case naming a bochs-MODEL profile runs on that model: RDMSR of
 * IA32_VMX_BASIC and IA32_VMX_PROCBASED_CTLS2 give that model's values. */
START_TEST(case_profile_picks_model)
{
	NEED_BOCHS();
	static const char *const prof[2] = { "bochs-corei7_skylake_x", "bochs-corei7_sandy_bridge_2600k" };
	for (int k = 0; k < 2; k++) {
		int c = k ? BASIC_SANDY : BASIC_DEFAULT;
		const struct vmx_caps *want = caps_builtin(prof[k]);
		ck_assert_ptr_nonnull(want);
		ck_assert_str_eq(results[c].profile, prof[k]);
		ck_assert_int_eq(out(c, 0)->kind, OUT_VALUE);
		ck_assert_uint_eq(out(c, 0)->value, want->msr[CAP_BASIC]);
		ck_assert_uint_eq(out(c, 1)->value, want->msr[CAP_PROCBASED2]);
	}
	ck_assert_uint_ne(out(BASIC_DEFAULT, 1)->value, out(BASIC_SANDY, 1)->value);
}
END_TEST

/* The probe's report on this model agrees with the built-in profile. */
START_TEST(profile_matches_builtin)
{
	NEED_BOCHS();
	struct backend_opts o = { .model = "corei7_skylake_x", .timeout = 10 };
	struct vmx_caps got;
	char why[300];
	ck_assert_msg(bochs_probe_profile(&o, &got, why, sizeof why) == 0, "%s", why);
	const struct vmx_caps *want = caps_builtin("bochs-corei7_skylake_x");
	ck_assert_ptr_nonnull(want);
	for (unsigned i = 0; i < CAP_NMSR; i++) {
		ck_assert_msg(caps_msr_present(&got, CAP_MSR_FIRST + i) == caps_msr_present(want, CAP_MSR_FIRST + i),
			      "MSR 0x%x presence", CAP_MSR_FIRST + i);
		ck_assert_msg(got.msr[i] == want->msr[i], "MSR 0x%x: 0x%llx vs 0x%llx", CAP_MSR_FIRST + i,
			      (unsigned long long)got.msr[i], (unsigned long long)want->msr[i]);
	}
	ck_assert_uint_eq(got.maxphyaddr, want->maxphyaddr);
}
END_TEST

/* One boot carrying more than 128 KiB of batch (Bochs 2.7's optramimage
 * loads only the first 128 KiB right, so the batch rides in the ROM):
 * every copy of the entry case still sees its CPUID exit. */
START_TEST(big_batch)
{
	NEED_BOCHS();
	enum { N = 120 };
	const struct backend *b = backend_find("bochs");
	struct backend_opts o = { .model = "corei7_skylake_x", .timeout = 20, .jobs = 1 };
	const struct rcase *p[N];
	struct case_result *r = calloc(N, sizeof *r);
	for (int i = 0; i < N; i++)
		p[i] = &cases[ENTRY_CPUID];
	ck_assert_int_eq(b->run(&o, p, N, r), 0);
	uint32_t at = cases[ENTRY_CPUID].nops - 2;
	for (int i = 0; i < N; i++) {
		ck_assert_msg(r[i].status == CS_RAN, "copy %d: %s", i, r[i].msg);
		ck_assert_msg(r[i].res[at].alt[0].kind == OUT_EXIT && r[i].res[at].alt[0].num == 10, "copy %d", i);
		free(r[i].res);
	}
	free(r);
}
END_TEST

static Suite *bochs_suite(void)
{
	Suite *s = suite_create("bochs");
	TCase *t = tcase_create("probe");
	tcase_set_timeout(t, 120);
	tcase_add_unchecked_fixture(t, run_all, NULL);
	tcase_add_test(t, vmxon_succeeds);
	tcase_add_test(t, vmxon_in_root);
	tcase_add_test(t, vmptrld_unaligned);
	tcase_add_test(t, vmread_no_vmcs);
	tcase_add_test(t, vmwrite_vmread_roundtrip);
	tcase_add_test(t, faults);
	tcase_add_test(t, entry_cpuid_exit);
	tcase_add_test(t, hang_costs_only_itself);
	tcase_add_test(t, profile_matches_builtin);
	tcase_add_test(t, big_batch);
	tcase_add_test(t, case_profile_picks_model);
	tcase_add_test(t, triple_fault_costs_only_itself);
	suite_add_tcase(s, t);
	return s;
}
SUITE_REGISTER(bochs_suite);
