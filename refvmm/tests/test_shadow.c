/* VMCS shadowing in L2 (guest_insn.c): which VMREAD/VMWRITE exit (SDM
 * 24.6.15, 25.1.3) and what the others do to the shadow VMCS and to L2's
 * RFLAGS (31.3 VMREAD/VMWRITE pseudocode: #GP(0) at CPL > 0, VMfailInvalid
 * without a shadow VMCS, VMfailValid(12) for an unsupported encoding,
 * VMfailValid(13) for a read-only field without IA32_VMX_MISC[29]); and
 * the #UD of every VMX instruction outside protected/64-bit mode. */
#include <string.h>
#include "suites.h"
#include "l2_fixture.h"
#include "../insn.h"

#define SHADOW TM_SHADOW_VMCS
#define CF 0x1ull
#define ZF 0x40ull
#define ARITH 0x8d5ull   /* CF PF AF ZF SF OF */

static struct refvmm *m;
static struct result res;

static void setup(void)
{
	m = l2_machine();
	ck_assert(caps_has(&m->caps, FEAT_VMCS_SHADOWING));
	gw(m, VF_CPU_BASED_VM_EXEC_CONTROL, PROC_SECONDARY);
	gw(m, VF_SECONDARY_VM_EXEC_CONTROL, PROC2_SHADOW_VMCS);
	gw(m, VF_VMREAD_BITMAP, TM_VMREAD_BITMAP);
	gw(m, VF_VMWRITE_BITMAP, TM_VMWRITE_BITMAP);
	gw(m, VF_VMCS_LINK_POINTER, SHADOW);
	ck_assert(mem_write32(&m->mem, SHADOW, caps_revision(&m->caps) | 0x80000000u));
	memset(&res, 0, sizeof res);
	m->res = &res;
	/* L2 in 64-bit mode at CPL 0, every flag VMX instructions define set */
	m->cpu = l2_entry_state();
	m->cpu.rflags = 2 | ARITH;
	m->vmx.nonroot = true;
}

static void teardown(void)
{
	refvmm_destroy(m);
}

static bool fired(enum rule_id r)
{
	return l2_fired(&res, r);
}

/* One shadowed L2 instruction through its handler: L2's state (RAX,
 * RFLAGS) can be read before an exit would load L1's. */
static enum gstep vmread(uint64_t enc)
{
	struct rop o = { .op = OP_G_VMREAD, .a = { enc } };
	return guest_insn_ops[OP_G_VMREAD](m, &o);
}

static enum gstep vmwrite(uint64_t enc, uint64_t v)
{
	struct rop o = { .op = OP_G_VMWRITE, .a = { enc, v } };
	return guest_insn_ops[OP_G_VMWRITE](m, &o);
}

static void shadow_put(enum vmcs_field f, uint64_t v)
{
	insn_vmcs_put(m, SHADOW, (int)f, false, v);
}

static uint64_t shadow_get(enum vmcs_field f)
{
	return insn_vmcs_get(m, SHADOW, (int)f, false);
}

/* VMsucceed: CF = PF = AF = ZF = SF = OF = 0. */
static void expect_succeed(void)
{
	ck_assert_uint_eq(m->cpu.rflags, 2);
	ck_assert(fired(R_EXIT_SHADOW_VMCS_ACCESS));
}

static void expect_fail_valid(uint32_t n, enum rule_id r)
{
	ck_assert_uint_eq(m->cpu.rflags, 2 | ZF);
	ck_assert_uint_eq(gv(m, VF_VM_INSTRUCTION_ERROR), n);
	ck_assert(fired(r));
	ck_assert(!fired(R_EXIT_SHADOW_VMCS_ACCESS));
}

START_TEST(vmread_reads_shadow)
{
	shadow_put(VF_GUEST_RIP, 0x1234);
	gw(m, VF_GUEST_RIP, 0x9999);
	ck_assert_int_eq(vmread(vmcs_field_table[VF_GUEST_RIP].enc), G_NEXT);
	ck_assert_uint_eq(m->cpu.gpr[RAX], 0x1234);
	expect_succeed();
	ck_assert(fired(R_EXIT_VMREAD_BITMAP) == false);
}
END_TEST

/* The high access type of a 64-bit field reads bits 63:32 (24.11.2). */
START_TEST(vmread_high)
{
	shadow_put(VF_TSC_OFFSET, 0x1111222233334444ull);
	ck_assert_int_eq(vmread(vmcs_field_table[VF_TSC_OFFSET].enc | 1), G_NEXT);
	ck_assert_uint_eq(m->cpu.gpr[RAX], 0x11112222);
	expect_succeed();
}
END_TEST

/* VMWRITE writes the shadow VMCS, truncated to the field's width, and
 * leaves the current VMCS alone; the high access type writes 63:32. */
START_TEST(vmwrite_writes_shadow)
{
	gw(m, VF_GUEST_ES_SELECTOR, 0x8);
	ck_assert_int_eq(vmwrite(vmcs_field_table[VF_GUEST_ES_SELECTOR].enc, 0x12345), G_NEXT);
	ck_assert_uint_eq(shadow_get(VF_GUEST_ES_SELECTOR), 0x2345);
	ck_assert_uint_eq(gv(m, VF_GUEST_ES_SELECTOR), 0x8);
	expect_succeed();
	shadow_put(VF_TSC_OFFSET, 0x1111222233334444ull);
	ck_assert_int_eq(vmwrite(vmcs_field_table[VF_TSC_OFFSET].enc | 1, 0x55), G_NEXT);
	ck_assert_uint_eq(shadow_get(VF_TSC_OFFSET), 0x0000005533334444ull);
}
END_TEST

START_TEST(no_shadow_vmcs_fails_invalid)
{
	gw(m, VF_VMCS_LINK_POINTER, ~0ull);
	gw(m, VF_VM_INSTRUCTION_ERROR, 0x77);
	ck_assert_int_eq(vmread(vmcs_field_table[VF_GUEST_RIP].enc), G_NEXT);
	ck_assert_uint_eq(m->cpu.rflags, 2 | CF);
	ck_assert_uint_eq(gv(m, VF_VM_INSTRUCTION_ERROR), 0x77);   /* VMfailInvalid writes no error */
	ck_assert(fired(R_EXIT_SHADOW_VMCS_LINK));
	m->cpu.rflags = 2 | ARITH;
	ck_assert_int_eq(vmwrite(vmcs_field_table[VF_GUEST_RIP].enc, 0), G_NEXT);
	ck_assert_uint_eq(m->cpu.rflags, 2 | CF);
}
END_TEST

/* An encoding of 15 bits that names no field on this profile (one the
 * architecture lacks, and one whose feature the profile lacks). */
START_TEST(unsupported_fails_valid_12)
{
	ck_assert_int_eq(vmread(0x7fff), G_NEXT);
	expect_fail_valid(12, R_EXIT_SHADOW_VMCS_UNSUPPORTED);
	for (int f = 0; f < VF_COUNT; f++) {
		uint32_t enc = vmcs_field_table[f].enc;
		if (vmcs_field_supported(&m->caps, (enum vmcs_field)f) || enc > 0x7fff)
			continue;
		m->cpu.rflags = 2 | ARITH;
		gw(m, VF_VM_INSTRUCTION_ERROR, 0);
		ck_assert_int_eq(vmwrite(enc, 0), G_NEXT);
		expect_fail_valid(12, R_EXIT_SHADOW_VMCS_UNSUPPORTED);
	}
}
END_TEST

/* Read-only fields: error 13 unless IA32_VMX_MISC[29]. */
START_TEST(read_only_needs_misc_29)
{
	uint32_t enc = vmcs_field_table[VF_VM_EXIT_REASON].enc;
	m->caps.msr[CAP_MISC] &= ~(1ull << 29);
	ck_assert_int_eq(vmwrite(enc, 0x30), G_NEXT);
	expect_fail_valid(13, R_EXIT_SHADOW_VMCS_READ_ONLY);
	ck_assert_uint_eq(shadow_get(VF_VM_EXIT_REASON), 0);
	m->caps.msr[CAP_MISC] |= 1ull << 29;
	m->cpu.rflags = 2 | ARITH;
	ck_assert_int_eq(vmwrite(enc, 0x30), G_NEXT);
	expect_succeed();
	ck_assert_uint_eq(shadow_get(VF_VM_EXIT_REASON), 0x30);
	/* VMREAD of a read-only field is always fine */
	ck_assert_int_eq(vmread(enc), G_NEXT);
	ck_assert_uint_eq(m->cpu.gpr[RAX], 0x30);
}
END_TEST

/* ---- through guest_run: the exits and the #GP ---- */

/* L2 in 64-bit mode at `cpl`; mode_ud() below changes the mode. */
static struct cpu_state l2_state(uint8_t cpl)
{
	struct cpu_state c = l2_entry_state();
	c.cpl = cpl;
	return c;
}

static void run_in(const struct rop *ops, uint32_t n, struct cpu_state c)
{
	l2_run(m, &res, ops, n, &c);
}

static void run(const struct rop *ops, uint32_t n, uint8_t cpl)
{
	run_in(ops, n, l2_state(cpl));
}

static void expect_exit(uint32_t reason)
{
	ck_assert_uint_eq(res.nalt, 1);
	ck_assert_uint_eq(res.alt[0].kind, OUT_EXIT);
	ck_assert_uint_eq(res.alt[0].num, reason);
}

/* Bit (encoding & 0x7fff) of the bitmap: byte enc >> 3, bit enc & 7. */
START_TEST(bitmap_bit_exits)
{
	uint32_t rip = vmcs_field_table[VF_GUEST_RIP].enc, rsp = vmcs_field_table[VF_GUEST_RSP].enc;
	l2_set_bit(m, TM_VMREAD_BITMAP, rip);
	struct rop ops[] = { { .op = OP_G_VMREAD, .a = { rsp } }, { .op = OP_G_VMREAD, .a = { rip } } };
	run(ops, 2, 0);
	expect_exit(XR_VMREAD);
	ck_assert_uint_eq(gv(m, VF_GUEST_RIP), m->vmx.block_rip[1]);
	ck_assert_uint_eq(res.alt[0].info, 0x10000400);   /* reg1 rax, register, reg2 rcx (27.2.4) */
	struct rop w[] = { { .op = OP_G_VMWRITE, .a = { rip, 0 } } };
	run(w, 1, 0);
	expect_exit(XR_VMCALL);   /* the VMWRITE bitmap is a different page */
}
END_TEST

/* Encodings above 7FFFH, and everything without the control, exit. */
START_TEST(always_exit)
{
	struct rop hi[] = { { .op = OP_G_VMREAD, .a = { 0x8000 } } };
	run(hi, 1, 0);
	expect_exit(XR_VMREAD);
	gw(m, VF_SECONDARY_VM_EXEC_CONTROL, 0);
	struct rop w[] = { { .op = OP_G_VMWRITE, .a = { 0x681e, 0 } } };
	run(w, 1, 0);
	expect_exit(XR_VMWRITE);
	ck_assert(!fired(R_EXIT_SHADOW_VMCS_ACCESS));
}
END_TEST

/* CPL > 0: #GP(0) after the bitmap check, before any VMfail (31.3). */
START_TEST(cpl_gp)
{
	gw(m, VF_EXCEPTION_BITMAP, 1u << 13);
	gw(m, VF_VMCS_LINK_POINTER, ~0ull);
	struct rop ops[] = { { .op = OP_G_VMREAD, .a = { 0x681e } } };
	l2_user_pages(m);
	run(ops, 1, 3);
	expect_exit(XR_EXCEPTION_NMI);
	ck_assert_uint_eq(res.alt[0].intr, 0x80000b0d);
	ck_assert(fired(R_EXIT_SHADOW_VMCS_CPL));
	ck_assert(!fired(R_EXIT_SHADOW_VMCS_LINK));
}
END_TEST

/* 31.3: outside protected mode, in virtual-8086 mode and in compatibility
 * mode every VMX instruction is #UD before it can exit or be shadowed;
 * in 64-bit mode VMXOFF exits (reason 26). */
START_TEST(mode_ud)
{
	gw(m, VF_EXCEPTION_BITMAP, 1u << 6);
	struct cpu_state real = l2_state(0), v86 = l2_state(0), compat = l2_state(0);
	real.cr0 &= ~0x80000001ull;
	real.efer = 0;
	v86.rflags |= 1u << 17;
	compat.seg[SEG_CS].ar = TM_AR_CODE64 & ~(1u << 13);
	const struct cpu_state *modes[] = { &real, &v86, &compat };
	const struct rop ops[] = { { .op = OP_G_VMREAD, .a = { 0x681e } },
				   { .op = OP_G_VMWRITE, .a = { 0x681e, 0 } },
				   { .op = OP_G_VMXOFF }, { .op = OP_G_INVEPT, .a = { 1, TM_EPT_ROOT } } };
	/* VMREAD, VMWRITE and INVEPT load 64-bit operands with REX.W: only
	 * in v86 mode (here with EFER.LMA and CS.L as 64-bit code) do their
	 * bytes mean what they mean in 64-bit mode; elsewhere unmodelled */
	for (size_t i = 0; i < 3; i++)
		for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
			run_in(&ops[k], 1, *modes[i]);
			if (ops[k].op != OP_G_VMXOFF && modes[i] != &v86) {
				ck_assert_uint_eq(res.alt[0].kind, OUT_UNMODELLED);
				continue;
			}
			expect_exit(XR_EXCEPTION_NMI);
			ck_assert_uint_eq(res.alt[0].intr, 0x80000306);
			ck_assert(fired(R_EXIT_VMX_INSN_MODE));
			ck_assert(!fired(R_EXIT_SHADOW_VMCS_ACCESS));
		}
	run(&ops[2], 1, 0);
	expect_exit(XR_VMXOFF);
	ck_assert(!fired(R_EXIT_VMX_INSN_MODE));
}
END_TEST

static Suite *shadow_suite(void)
{
	Suite *s = suite_create("shadow");
	TCase *t = tcase_create("l2_vmread_vmwrite");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, vmread_reads_shadow);
	tcase_add_test(t, vmread_high);
	tcase_add_test(t, vmwrite_writes_shadow);
	tcase_add_test(t, no_shadow_vmcs_fails_invalid);
	tcase_add_test(t, unsupported_fails_valid_12);
	tcase_add_test(t, read_only_needs_misc_29);
	tcase_add_test(t, bitmap_bit_exits);
	tcase_add_test(t, always_exit);
	tcase_add_test(t, cpl_gp);
	tcase_add_test(t, mode_ud);
	suite_add_tcase(s, t);
	return s;
}

SUITE_REGISTER(shadow_suite)
