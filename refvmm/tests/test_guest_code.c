/* guest_layout() (refvmm/guest_code.c): encodings byte by byte against the
 * SDM Vol. 2 opcode tables, offsets and lengths of exiting instructions,
 * the implicit trailing vmcall, capacity. */
#include <string.h>
#include "suites.h"
#include "../guest.h"

struct lay { uint8_t code[1024]; uint32_t offs[GUEST_BLOCK_MAX + 1]; uint8_t lens[GUEST_BLOCK_MAX + 1]; size_t n; };

static void lay1(struct lay *l, uint16_t op, uint64_t a0, uint64_t a1)
{
	struct rop r = { .op = op, .a = { a0, a1, 0 } };
	l->n = guest_layout(&r, 1, l->code, sizeof l->code, l->offs, l->lens);
	ck_assert_uint_ne(l->n, 0);
}

/* The exiting instruction of op 0 is exactly `want`, and the block then
 * ends with vmcall (0F 01 C1) and jmp rel8 back to it (EB FB). */
static void expect_insn(const struct lay *l, const uint8_t *want, size_t n)
{
	ck_assert_uint_eq(l->lens[0], n);
	ck_assert_mem_eq(l->code + l->offs[0], want, n);
	ck_assert_uint_eq(l->offs[1], l->offs[0] + n);
	ck_assert_uint_eq(l->lens[1], 3);
	ck_assert_mem_eq(l->code + l->offs[1], "\x0f\x01\xc1", 3);
	ck_assert_uint_eq(l->n, l->offs[1] + 5);
	ck_assert_mem_eq(l->code + l->offs[1] + 3, "\xeb\xfb", 2);
}

START_TEST(cpuid_prelude_and_insn)
{
	struct lay l;
	lay1(&l, OP_G_CPUID, 0x80000001, 0);
	/* mov eax, imm32 (B8 id); xor ecx, ecx (31 C9); cpuid (0F A2) */
	static const uint8_t want[] = { 0xb8, 0x01, 0x00, 0x00, 0x80, 0x31, 0xc9, 0x0f, 0xa2 };
	ck_assert_mem_eq(l.code, want, sizeof want);
	ck_assert_uint_eq(l.offs[0], 7);
	expect_insn(&l, want + 7, 2);
}
END_TEST

static const struct { uint16_t op; uint64_t a0, a1; uint8_t len; uint8_t b[5]; } encodings[] = {
	{ OP_G_HLT, 0, 0, 1, { 0xf4 } },
	{ OP_G_VMCALL, 0, 0, 3, { 0x0f, 0x01, 0xc1 } },
	{ OP_G_RDTSC, 0, 0, 2, { 0x0f, 0x31 } },
	{ OP_G_RDTSCP, 0, 0, 3, { 0x0f, 0x01, 0xf9 } },
	{ OP_G_XSETBV, 0, 1, 3, { 0x0f, 0x01, 0xd1 } },
	{ OP_G_RDMSR, 0x10, 0, 2, { 0x0f, 0x32 } },
	{ OP_G_WRMSR, 0x10, 5, 2, { 0x0f, 0x30 } },
	{ OP_G_INVD, 0, 0, 2, { 0x0f, 0x08 } },
	{ OP_G_WBINVD, 0, 0, 2, { 0x0f, 0x09 } },
	{ OP_G_PAUSE, 0, 0, 2, { 0xf3, 0x90 } },
	{ OP_G_INT3, 0, 0, 1, { 0xcc } },
	{ OP_G_INTN, 0x21, 0, 2, { 0xcd, 0x21 } },
	{ OP_G_UD2, 0, 0, 2, { 0x0f, 0x0b } },
	{ OP_G_IN, 0x80, 1, 1, { 0xec } },           /* in al, dx */
	{ OP_G_IN, 0x80, 2, 2, { 0x66, 0xed } },     /* in ax, dx */
	{ OP_G_IN, 0x80, 4, 1, { 0xed } },           /* in eax, dx */
	{ OP_G_OUT, 0x80, 1, 1, { 0xee } },
	{ OP_G_OUTS, 0x80, 4, 1, { 0x6f } },
	{ OP_G_INS, 0x80, 1, 1, { 0x6c } },
	{ OP_G_MOV_TO_CR, 3, 0, 3, { 0x0f, 0x22, 0xd8 } },   /* mov cr3, rax */
	{ OP_G_MOV_TO_CR, 8, 0, 4, { 0x44, 0x0f, 0x22, 0xc0 } },  /* mov cr8, rax */
	{ OP_G_MOV_FROM_CR, 4, 0, 3, { 0x0f, 0x20, 0xe0 } },
	{ OP_G_MOV_DR, 7, 0, 3, { 0x0f, 0x21, 0xf8 } },      /* mov rax, dr7 */
	{ OP_G_CLTS, 0, 0, 2, { 0x0f, 0x06 } },
	{ OP_G_LMSW, 1, 0, 3, { 0x0f, 0x01, 0xf0 } },
	{ OP_G_INVLPG, 0x1000, 0, 3, { 0x0f, 0x01, 0x38 } },
	{ OP_G_RDRAND, 0, 0, 3, { 0x0f, 0xc7, 0xf0 } },
	{ OP_G_RDSEED, 0, 0, 3, { 0x0f, 0xc7, 0xf8 } },
	{ OP_G_MONITOR, 0, 0, 3, { 0x0f, 0x01, 0xc8 } },
	{ OP_G_MWAIT, 0, 0, 3, { 0x0f, 0x01, 0xc9 } },
	{ OP_G_GETSEC, 0, 0, 2, { 0x0f, 0x37 } },
	{ OP_G_INVPCID, 0, 0, 5, { 0x66, 0x0f, 0x38, 0x82, 0x01 } },
	{ OP_G_VMXON, TM_VMXON_REGION, 0, 4, { 0xf3, 0x0f, 0xc7, 0x30 } },
	{ OP_G_VMCLEAR, TM_VMCS0, 0, 4, { 0x66, 0x0f, 0xc7, 0x30 } },
	{ OP_G_VMPTRLD, TM_VMCS0, 0, 3, { 0x0f, 0xc7, 0x30 } },
	{ OP_G_VMPTRST, 0, 0, 3, { 0x0f, 0xc7, 0x38 } },
	{ OP_G_VMREAD, 0x4400, 0, 3, { 0x0f, 0x78, 0xc8 } },
	{ OP_G_VMWRITE, 0x681e, 1, 3, { 0x0f, 0x79, 0xc8 } },
	{ OP_G_VMLAUNCH, 0, 0, 3, { 0x0f, 0x01, 0xc2 } },
	{ OP_G_VMRESUME, 0, 0, 3, { 0x0f, 0x01, 0xc3 } },
	{ OP_G_VMXOFF, 0, 0, 3, { 0x0f, 0x01, 0xc4 } },
	{ OP_G_VMFUNC, 0, 0, 3, { 0x0f, 0x01, 0xd4 } },
	{ OP_G_INVEPT, 1, TM_EPT_ROOT, 5, { 0x66, 0x0f, 0x38, 0x80, 0x01 } },
	{ OP_G_INVVPID, 1, 1, 5, { 0x66, 0x0f, 0x38, 0x81, 0x01 } },
	{ OP_G_ENCLS, 0, 0, 3, { 0x0f, 0x01, 0xcf } },
	{ OP_G_RSM, 0, 0, 2, { 0x0f, 0xaa } },
	{ OP_G_SGDT, 0, 0, 3, { 0x0f, 0x01, 0x00 } },
	{ OP_G_LIDT, 0, 0, 3, { 0x0f, 0x01, 0x18 } },
	{ OP_G_LTR, 0, 0, 3, { 0x0f, 0x00, 0xd8 } },
	{ OP_G_XSAVES, 0, 0, 3, { 0x0f, 0xc7, 0x29 } },
	{ OP_G_UMWAIT, 0, 0, 4, { 0xf2, 0x0f, 0xae, 0xf1 } },
	{ OP_G_TPAUSE, 0, 0, 4, { 0x66, 0x0f, 0xae, 0xf1 } },
	{ OP_G_MOV_SS, 0, 0, 2, { 0x8e, 0xd0 } },
};

START_TEST(exiting_encodings)
{
	struct lay l;
	lay1(&l, encodings[_i].op, encodings[_i].a0, encodings[_i].a1);
	expect_insn(&l, encodings[_i].b, encodings[_i].len);
}
END_TEST

/* Layouts do not depend on operand values (fixed-width immediates). */
START_TEST(layout_independent_of_operands)
{
	struct lay a, b;
	lay1(&a, OP_G_WRMSR, 0, 0);
	lay1(&b, OP_G_WRMSR, 0xc0000080, 0xffffffffffffffffull);
	ck_assert_uint_eq(a.offs[0], b.offs[0]);
	ck_assert_uint_eq(a.n, b.n);
	lay1(&a, OP_G_READ, 0, 0);
	lay1(&b, OP_G_READ, 0xfffff00000000000ull, 0);
	ck_assert_uint_eq(a.offs[0], b.offs[0]);
	/* mov rax, imm64 then mov rax, [rax] (48 8B 00) */
	ck_assert_uint_eq(b.code[0], 0x48);
	ck_assert_uint_eq(b.code[1], 0xb8);
	ck_assert_mem_eq(b.code + b.offs[0], "\x48\x8b\x00", 3);
}
END_TEST

START_TEST(empty_block_and_capacity)
{
	uint8_t code[8];
	uint32_t offs[3];
	uint8_t lens[3];
	ck_assert_uint_eq(guest_layout(NULL, 0, code, sizeof code, offs, lens), 5);
	ck_assert_uint_eq(offs[0], 0);
	ck_assert_uint_eq(lens[0], 3);
	ck_assert_uint_eq(guest_layout(NULL, 0, code, 2, offs, lens), 0);
	struct rop r[2] = { { .op = OP_G_CPUID }, { .op = OP_G_HLT } };
	ck_assert_uint_eq(guest_layout(r, 2, code, sizeof code, offs, lens), 0);  /* needs 15 */
	/* A non-L2 op becomes ud2. */
	struct rop bad = { .op = OP_VMXON };
	ck_assert_uint_eq(guest_layout(&bad, 1, code, sizeof code, offs, lens), 7);   /* ud2, vmcall, jmp */
	ck_assert_mem_eq(code, "\x0f\x0b", 2);
}
END_TEST

static Suite *guest_code_suite(void)
{
	Suite *s = suite_create("guest_code");
	TCase *t = tcase_create("layout");
	tcase_add_test(t, cpuid_prelude_and_insn);
	tcase_add_loop_test(t, exiting_encodings, 0, (int)(sizeof encodings / sizeof encodings[0]));
	tcase_add_test(t, layout_independent_of_operands);
	tcase_add_test(t, empty_block_and_capacity);
	suite_add_tcase(s, t);
	return s;
}
SUITE_REGISTER(guest_code_suite)
