/* The VMCS field table (vmcs_fields.def / vmcs_fields.c): invariants over
 * the whole table, encodings spot-checked against SDM Appendix B, lookups,
 * and which fields exist per capability profile (Appendix B footnotes,
 * SDM A.9 for IA32_VMX_VMCS_ENUM, Bochs 2.7 cpu/vmcs.cc for its models). */
#include <stdint.h>
#include <string.h>
#include "suites.h"
#include "../vmcs_fields.h"

static const char *const bochs_models[] = {
	"bochs-corei7_sandy_bridge_2600k", "bochs-corei7_haswell_4770",
	"bochs-broadwell_ult", "bochs-corei7_skylake_x",
	"bochs-corei7_icelake_u", "bochs-tigerlake",
};
#define NMODELS (sizeof(bochs_models) / sizeof(bochs_models[0]))

static const struct vmx_caps *model(size_t i)
{
	const struct vmx_caps *c = caps_builtin(bochs_models[i]);
	ck_assert_msg(c != NULL, "no built-in profile %s", bochs_models[i]);
	return c;
}

/* ---- invariants over the whole table ---- */

START_TEST(count_and_order)
{
	ck_assert_int_ge(VF_COUNT, 180);   /* issue 2: at least 180 fields */
	for (int i = 0; i < VF_COUNT; i++) {
		ck_assert_ptr_nonnull(vmcs_field_table[i].name);
		ck_assert_int_lt(vmcs_field_table[i].feature, FEAT_COUNT);
	}
}
END_TEST

START_TEST(encoding_bits_agree_with_columns)
{
	/* SDM 24.11.2; also _Static_assert'ed, checked here on the built table */
	for (int i = 0; i < VF_COUNT; i++) {
		const struct vmcs_field_info *f = &vmcs_field_table[i];
		ck_assert_msg(((f->enc >> 13) & 3) == f->width, "%s width", f->name);
		ck_assert_msg(((f->enc >> 10) & 3) == f->type, "%s type", f->name);
		ck_assert_msg((f->enc & 0xffff9001u) == 0, "%s reserved/high bits", f->name);
	}
}
END_TEST

START_TEST(unique_encodings_and_names)
{
	for (int i = 0; i < VF_COUNT; i++)
		for (int j = i + 1; j < VF_COUNT; j++) {
			ck_assert_msg(vmcs_field_table[i].enc != vmcs_field_table[j].enc,
				      "%s and %s share an encoding",
				      vmcs_field_table[i].name, vmcs_field_table[j].name);
			ck_assert_msg(strcmp(vmcs_field_table[i].name, vmcs_field_table[j].name),
				      "name %s twice", vmcs_field_table[i].name);
		}
}
END_TEST

START_TEST(round_trip_every_field)
{
	for (int i = 0; i < VF_COUNT; i++) {
		const struct vmcs_field_info *f = &vmcs_field_table[i];
		bool high = true;
		ck_assert_int_eq(vmcs_field_by_enc(f->enc, &high), i);
		ck_assert(!high);
		ck_assert_int_eq(vmcs_field_by_name(f->name), i);
		high = false;
		if (f->width == W64) {
			ck_assert_int_eq(vmcs_field_by_enc(f->enc | 1, &high), i);
			ck_assert_msg(high, "%s high access", f->name);
		} else {
			ck_assert_msg(vmcs_field_by_enc(f->enc | 1, &high) == -1,
				      "%s has no high access (not 64-bit)", f->name);
		}
	}
}
END_TEST

/* ---- encodings from SDM Appendix B ---- */

static const struct { const char *name; uint32_t enc; enum vmcs_width w; enum vmcs_type t; } sdm[] = {
	{ "VIRTUAL_PROCESSOR_ID",        0x0000, W16,  T_CTL },
	{ "GUEST_ES_SELECTOR",           0x0800, W16,  T_GUEST },
	{ "GUEST_TR_SELECTOR",           0x080e, W16,  T_GUEST },
	{ "HOST_TR_SELECTOR",            0x0c0c, W16,  T_HOST },
	{ "IO_BITMAP_A",                 0x2000, W64,  T_CTL },
	{ "MSR_BITMAP",                  0x2004, W64,  T_CTL },
	{ "VM_EXIT_MSR_STORE_ADDR",      0x2006, W64,  T_CTL },
	{ "TSC_OFFSET",                  0x2010, W64,  T_CTL },
	{ "EPT_POINTER",                 0x201a, W64,  T_CTL },
	{ "TERTIARY_VM_EXEC_CONTROL",    0x2034, W64,  T_CTL },
	{ "GUEST_PHYSICAL_ADDRESS",      0x2400, W64,  T_RO },
	{ "VMCS_LINK_POINTER",           0x2800, W64,  T_GUEST },
	{ "GUEST_IA32_EFER",             0x2806, W64,  T_GUEST },
	{ "GUEST_PDPTR3",                0x2810, W64,  T_GUEST },
	{ "HOST_IA32_PAT",               0x2c00, W64,  T_HOST },
	{ "PIN_BASED_VM_EXEC_CONTROL",   0x4000, W32,  T_CTL },
	{ "CPU_BASED_VM_EXEC_CONTROL",   0x4002, W32,  T_CTL },
	{ "EXCEPTION_BITMAP",            0x4004, W32,  T_CTL },
	{ "VM_EXIT_CONTROLS",            0x400c, W32,  T_CTL },
	{ "VM_EXIT_MSR_STORE_COUNT",     0x400e, W32,  T_CTL },
	{ "VM_ENTRY_CONTROLS",           0x4012, W32,  T_CTL },
	{ "VM_ENTRY_INTR_INFO_FIELD",    0x4016, W32,  T_CTL },
	{ "SECONDARY_VM_EXEC_CONTROL",   0x401e, W32,  T_CTL },
	{ "VM_INSTRUCTION_ERROR",        0x4400, W32,  T_RO },
	{ "VM_EXIT_REASON",              0x4402, W32,  T_RO },
	{ "VM_EXIT_INTR_INFO",           0x4404, W32,  T_RO },
	{ "IDT_VECTORING_INFO_FIELD",    0x4408, W32,  T_RO },
	{ "VM_EXIT_INSTRUCTION_LEN",     0x440c, W32,  T_RO },
	{ "VMX_INSTRUCTION_INFO",        0x440e, W32,  T_RO },
	{ "GUEST_CS_AR_BYTES",           0x4816, W32,  T_GUEST },
	{ "GUEST_INTERRUPTIBILITY_INFO", 0x4824, W32,  T_GUEST },
	{ "GUEST_ACTIVITY_STATE",        0x4826, W32,  T_GUEST },
	{ "VMX_PREEMPTION_TIMER_VALUE",  0x482e, W32,  T_GUEST },
	{ "HOST_IA32_SYSENTER_CS",       0x4c00, W32,  T_HOST },
	{ "CR0_GUEST_HOST_MASK",         0x6000, WNAT, T_CTL },
	{ "EXIT_QUALIFICATION",          0x6400, WNAT, T_RO },
	{ "GUEST_LINEAR_ADDRESS",        0x640a, WNAT, T_RO },
	{ "GUEST_CR0",                   0x6800, WNAT, T_GUEST },
	{ "GUEST_RSP",                   0x681c, WNAT, T_GUEST },
	{ "GUEST_RIP",                   0x681e, WNAT, T_GUEST },
	{ "GUEST_RFLAGS",                0x6820, WNAT, T_GUEST },
	{ "HOST_CR0",                    0x6c00, WNAT, T_HOST },
	{ "HOST_RSP",                    0x6c14, WNAT, T_HOST },
	{ "HOST_RIP",                    0x6c16, WNAT, T_HOST },
};

START_TEST(sdm_encodings)
{
	for (size_t i = 0; i < sizeof(sdm) / sizeof(sdm[0]); i++) {
		int f = vmcs_field_by_name(sdm[i].name);
		ck_assert_msg(f >= 0, "%s missing", sdm[i].name);
		ck_assert_msg(vmcs_field_table[f].enc == sdm[i].enc, "%s encoding", sdm[i].name);
		ck_assert_uint_eq(vmcs_field_table[f].width, sdm[i].w);
		ck_assert_uint_eq(vmcs_field_table[f].type, sdm[i].t);
		ck_assert_int_eq(vmcs_field_by_enc(sdm[i].enc, NULL), f);
	}
	ck_assert_int_eq(vmcs_field_by_enc(0x681e, NULL), VF_GUEST_RIP);
	ck_assert_int_eq(vmcs_field_by_enc(0x4400, NULL), VF_VM_INSTRUCTION_ERROR);
	ck_assert_int_eq(vmcs_field_by_enc(0x201a, NULL), VF_EPT_POINTER);
	ck_assert_int_eq(vmcs_field_by_enc(0x2800, NULL), VF_VMCS_LINK_POINTER);
	ck_assert_int_eq(vmcs_field_by_enc(0x6c16, NULL), VF_HOST_RIP);
	ck_assert_int_eq(vmcs_field_by_enc(0x4000, NULL), VF_PIN_BASED_VM_EXEC_CONTROL);
}
END_TEST

START_TEST(lookups_reject)
{
	bool high = false;
	ck_assert_int_eq(vmcs_field_by_enc(0x201b, &high), VF_EPT_POINTER);   /* high access */
	ck_assert(high);
	ck_assert_int_eq(vmcs_field_by_enc(0x681f, NULL), -1);   /* high of a natural field */
	ck_assert_int_eq(vmcs_field_by_enc(0x4401, NULL), -1);   /* high of a 32-bit field */
	ck_assert_int_eq(vmcs_field_by_enc(0x0001, NULL), -1);   /* high of a 16-bit field */
	ck_assert_int_eq(vmcs_field_by_enc(0x681e | 0x8000, NULL), -1);       /* bit 15 */
	ck_assert_int_eq(vmcs_field_by_enc(0x681e | 0x1000, NULL), -1);       /* bit 12 */
	ck_assert_int_eq(vmcs_field_by_enc(0x681e | 0x80000000u, NULL), -1);  /* bit 31 */
	ck_assert_int_eq(vmcs_field_by_enc(0xffffffffu, NULL), -1);
	ck_assert_int_eq(vmcs_field_by_enc64(0x681e, NULL), VF_GUEST_RIP);
	ck_assert_int_eq(vmcs_field_by_enc64(0x100000000ull | 0x681e, NULL), -1);   /* bits 63:32 */
	high = false;
	ck_assert_int_eq(vmcs_field_by_enc64(0x201b, &high), VF_EPT_POINTER);
	ck_assert(high);
	ck_assert_int_eq(vmcs_field_by_enc(0x6c7e, NULL), -1);   /* unused index */
	ck_assert_int_eq(vmcs_field_by_enc(0x482c, NULL), -1);   /* hole between SYSENTER_CS and the timer */
	ck_assert_int_eq(vmcs_field_by_name("guest_rip"), -1);   /* case-sensitive */
	ck_assert_int_eq(vmcs_field_by_name("GUEST_RIP "), -1);
	ck_assert_int_eq(vmcs_field_by_name("GUEST_RI"), -1);
	ck_assert_int_eq(vmcs_field_by_name("EPT_POINTER_HIGH"), -1);   /* no _HIGH names */
	ck_assert_int_eq(vmcs_field_by_name(""), -1);
	ck_assert_int_eq(vmcs_field_by_name(NULL), -1);
}
END_TEST

START_TEST(width_masks)
{
	ck_assert_uint_eq(vmcs_width_mask(W16), 0xffffu);
	ck_assert_uint_eq(vmcs_width_mask(W32), 0xffffffffu);
	ck_assert_uint_eq(vmcs_width_mask(W64), UINT64_MAX);
	ck_assert_uint_eq(vmcs_width_mask(WNAT), UINT64_MAX);
}
END_TEST

/* ---- which fields exist ---- */

/* Fields present in SDM Appendix B but unknown to Bochs 2.7, or known
 * to it and never offered by any of its models (posted interrupts,
 * ENCLS exiting, BNDCFGS, RTIT): VMREAD/VMWRITE fail with error 12 on
 * every Bochs model. */
static const uint32_t not_in_bochs27[] = {
	0x0002, 0x0006, 0x0008, 0x000a, 0x0814, 0x204e, 0x2830, 0x4026, 0x2016, 0x202e, 0x2034, 0x2036, 0x2038,
	0x203a, 0x203c, 0x203e, 0x2040, 0x2042, 0x2044, 0x204a, 0x204c, 0x2052,
	0x2402, 0x2404, 0x2812, 0x2814, 0x2816, 0x2818, 0x281a, 0x281c, 0x281e,
	0x2820, 0x2822, 0x2824, 0x2826, 0x2828, 0x282e, 0x2c06, 0x2c08, 0x2c0a,
	0x2c0c, 0x2c0e, 0x2c10, 0x2c12, 0x2c14, 0x2c16, 0x2c1a, 0x4024,
};

START_TEST(bochs_never_has)
{
	for (size_t m = 0; m < NMODELS; m++)
		for (size_t i = 0; i < sizeof(not_in_bochs27) / sizeof(not_in_bochs27[0]); i++) {
			int f = vmcs_field_by_enc(not_in_bochs27[i], NULL);
			ck_assert_msg(f >= 0, "0x%04x not in the table", not_in_bochs27[i]);
			ck_assert_msg(!vmcs_field_supported(model(m), (enum vmcs_field)f),
				      "%s: %s should not exist", bochs_models[m], vmcs_field_table[f].name);
		}
}
END_TEST

START_TEST(basic_fields_everywhere)
{
	static const enum vmcs_field always[] = {
		VF_GUEST_ES_SELECTOR, VF_HOST_TR_SELECTOR, VF_IO_BITMAP_A, VF_MSR_BITMAP,
		VF_EXECUTIVE_VMCS_POINTER, VF_TSC_OFFSET, VF_VMCS_LINK_POINTER,
		VF_PIN_BASED_VM_EXEC_CONTROL, VF_VM_INSTRUCTION_ERROR, VF_GUEST_SMBASE,
		VF_HOST_IA32_SYSENTER_CS, VF_CR3_TARGET_VALUE3, VF_IO_RIP, VF_GUEST_RIP,
		VF_HOST_RIP, VF_EPT_POINTER, VF_VIRTUAL_PROCESSOR_ID, VF_GUEST_PDPTR0,
		VF_GUEST_PHYSICAL_ADDRESS, VF_SECONDARY_VM_EXEC_CONTROL, VF_TPR_THRESHOLD,
		VF_VIRTUAL_APIC_PAGE_ADDR, VF_APIC_ACCESS_ADDR, VF_GUEST_IA32_PAT,
		VF_HOST_IA32_EFER, VF_GUEST_IA32_PERF_GLOBAL_CTRL, VF_VMX_PREEMPTION_TIMER_VALUE,
	};
	/* every Bochs 2.7 model offers EPT, VPID, TPR shadow, APIC-access
	 * virtualization, PAT/EFER/PERF_GLOBAL_CTRL loading and the timer */
	for (size_t m = 0; m < NMODELS; m++)
		for (size_t i = 0; i < sizeof(always) / sizeof(always[0]); i++)
			ck_assert_msg(vmcs_field_supported(model(m), always[i]), "%s: %s",
				      bochs_models[m], vmcs_field_table[always[i]].name);
}
END_TEST

/* Per model, from its IA32_VMX_PROCBASED_CTLS2 / EXIT / ENTRY allowed-1
 * bits in bochs-caps.txt and the rule in Bochs 2.7 cpu/vmcs.cc. */
START_TEST(bochs_model_differences)
{
	static const struct { enum vmcs_field f; bool has[NMODELS]; } t[] = {
		/*                            snb    hsw    bdw    skx    icl    tgl */
		{ VF_PLE_GAP,              { false, true,  true,  true,  true,  true  } },
		{ VF_GUEST_INTR_STATUS,    { false, true,  true,  true,  true,  true  } },
		{ VF_EOI_EXIT_BITMAP3,     { false, true,  true,  true,  true,  true  } },
		{ VF_VM_FUNCTION_CONTROL,  { false, true,  true,  true,  true,  true  } },
		{ VF_EPTP_LIST_ADDRESS,    { false, true,  true,  true,  true,  true  } },
		{ VF_VMREAD_BITMAP,        { false, true,  true,  true,  true,  true  } },
		{ VF_EPTP_INDEX,           { false, true,  true,  true,  true,  true  } },
		{ VF_VE_INFORMATION_ADDRESS,{ false, true,  true,  true,  true,  true  } },
		{ VF_PML_ADDRESS,          { false, false, false, true,  true,  true  } },
		{ VF_GUEST_PML_INDEX,      { false, false, false, true,  true,  true  } },
		{ VF_XSS_EXIT_BITMAP,      { false, false, false, true,  true,  true  } },
		{ VF_TSC_MULTIPLIER,       { false, false, false, true,  true,  true  } },
		{ VF_SPPT_POINTER,         { false, false, false, false, true,  true  } },
		{ VF_GUEST_S_CET,          { false, false, false, false, false, true  } },
		{ VF_GUEST_INTR_SSP_TABLE, { false, false, false, false, false, true  } },
		{ VF_HOST_SSP,             { false, false, false, false, false, true  } },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		for (size_t m = 0; m < NMODELS; m++)
			ck_assert_msg(vmcs_field_supported(model(m), t[i].f) == t[i].has[m],
				      "%s on %s: expected %s", vmcs_field_table[t[i].f].name,
				      bochs_models[m], t[i].has[m] ? "present" : "absent");
}
END_TEST

/* How many fields exist per model, counted from Bochs 2.7 cpu/vmx.h (165
 * fields) and its vmcs_field_supported(): on skylake-x all but posted
 * interrupts (2), ENCLS bitmap, BNDCFGS, RTIT_CTL, PKRS (2), CET (6) and
 * SPPTP = 151; icelake adds SPPTP = 152; tigerlake adds CET = 158;
 * haswell and broadwell lack PML (2), XSS bitmap, TSC multiplier = 147;
 * sandy bridge further lacks PLE (2), interrupt status, EOI bitmaps (4),
 * VMFUNC, EPTP list, VMREAD/VMWRITE bitmaps (2), EPTP index, #VE info
 * = 134.  Every field the SDM adds beyond Bochs 2.7 must be absent. */
START_TEST(bochs_field_counts)
{
	static const int expect[NMODELS] = { 134, 147, 147, 151, 152, 158 };
	for (size_t m = 0; m < NMODELS; m++) {
		int n = 0;
		for (int f = 0; f < VF_COUNT; f++)
			n += vmcs_field_supported(model(m), (enum vmcs_field)f);
		ck_assert_msg(n == expect[m], "%s: %d fields, Bochs 2.7 has %d",
			      bochs_models[m], n, expect[m]);
	}
}
END_TEST

/* SDM A.9: IA32_VMX_VMCS_ENUM bits 9:1 bound the index of every field. */
START_TEST(vmcs_enum_bounds_the_index)
{
	struct vmx_caps c = *model(3);   /* skylake-x */
	c.msr[CAP_VMCS_ENUM] = 15u << 1;   /* highest index 15 */
	ck_assert(vmcs_field_supported(&c, VF_GUEST_RIP));         /* 0x681e: index 15 */
	ck_assert(!vmcs_field_supported(&c, VF_GUEST_RFLAGS));     /* 0x6820: index 16 */
	ck_assert(vmcs_field_supported(&c, VF_EPT_POINTER));       /* 0x201a: index 13 */
	ck_assert(vmcs_field_supported(&c, VF_EOI_EXIT_BITMAP1));  /* 0x201e: index 15 */
	ck_assert(!vmcs_field_supported(&c, VF_VMWRITE_BITMAP));   /* 0x2028: index 20 */
	ck_assert(vmcs_field_supported(model(3), VF_VMWRITE_BITMAP));  /* with the real 0x34 */
}
END_TEST

START_TEST(supported_rejects_bad_input)
{
	ck_assert(!vmcs_field_supported(NULL, VF_GUEST_RIP));
	ck_assert(!vmcs_field_supported(model(0), VF_COUNT));
	ck_assert(!vmcs_field_supported(model(0), (enum vmcs_field)-1));
}
END_TEST

static Suite *vmcs_fields_suite(void)
{
	Suite *s = suite_create("vmcs_fields");
	TCase *t = tcase_create("table");
	tcase_add_test(t, count_and_order);
	tcase_add_test(t, encoding_bits_agree_with_columns);
	tcase_add_test(t, unique_encodings_and_names);
	tcase_add_test(t, round_trip_every_field);
	tcase_add_test(t, sdm_encodings);
	tcase_add_test(t, lookups_reject);
	tcase_add_test(t, width_masks);
	suite_add_tcase(s, t);
	TCase *p = tcase_create("profiles");
	tcase_add_test(p, bochs_never_has);
	tcase_add_test(p, basic_fields_everywhere);
	tcase_add_test(p, bochs_model_differences);
	tcase_add_test(p, bochs_field_counts);
	tcase_add_test(p, vmcs_enum_bounds_the_index);
	tcase_add_test(p, supported_rejects_bad_input);
	suite_add_tcase(s, p);
	return s;
}
SUITE_REGISTER(vmcs_fields_suite)
