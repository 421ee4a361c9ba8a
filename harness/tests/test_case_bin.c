/* The binary case form (case_bin.h): text -> binary -> text is the
 * identity on every case file in the repository and the encoding is
 * compact; the decoder takes any byte string without reading out of
 * bounds, names the offset of every flaw when strict, and when not
 * strict (fuzzers) always yields cases the text parser would accept. */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../case.h"
#include "../case_internal.h"
#include "suites.h"

/* print(f) parses back and prints the same: f is a casefile the text
 * form can spell. */
static void assert_text_form(const struct casefile *f, const char *what)
{
	char *p1 = casefile_print(f), err[512];
	struct casefile *g = NULL;
	ck_assert_ptr_nonnull(p1);
	ck_assert_msg(casefile_parse("r.vmx", p1, strlen(p1), &g, err, sizeof err) == 0,
		      "%s: printed text does not reparse: %s\n%s", what, err, p1);
	char *p2 = casefile_print(g);
	ck_assert_msg(!strcmp(p1, p2), "%s: text form not stable", what);
	free(p1);
	free(p2);
	casefile_free(g);
}

/* Every case resolves to the same operations from either form. */
static void assert_same_resolution(const struct casefile *a, const struct casefile *b, const char *path)
{
	const struct vmx_caps *caps = caps_builtin("bochs-corei7_skylake_x");
	ck_assert_uint_eq(casefile_ncases(a), casefile_ncases(b));
	for (size_t i = 0; i < casefile_ncases(a); i++) {
		struct rcase ra, rb;
		char ea[256] = "", eb[256] = "";
		int rca = casefile_resolve(a, i, caps, &ra, ea, sizeof ea);
		int rcb = casefile_resolve(b, i, caps, &rb, eb, sizeof eb);
		ck_assert_int_eq(rca, rcb);
		if (rca)
			continue;   /* e.g. a profile the case names: same error either way */
		ck_assert_msg(ra.nops == rb.nops && ra.nblocks == rb.nblocks && ra.nexpects == rb.nexpects,
			      "%s case %zu: shapes differ", path, i);
		for (uint32_t k = 0; k < ra.nops; k++) {
			ck_assert_uint_eq(ra.ops[k].op, rb.ops[k].op);
			ck_assert_uint_eq(ra.ops[k].line, rb.ops[k].line);
			ck_assert(!memcmp(ra.ops[k].a, rb.ops[k].a, sizeof ra.ops[k].a));
		}
		for (uint32_t k = 0; k < ra.nexpects; k++) {
			ck_assert_uint_eq(ra.expects[k].rop, rb.expects[k].rop);
			ck_assert_uint_eq(ra.expects[k].line, rb.expects[k].line);
			ck_assert_uint_eq(ra.expects[k].col, rb.expects[k].col);
		}
		rcase_free(&ra);
		rcase_free(&rb);
	}
}

static int nfiles;
static size_t text_bytes, bin_bytes;

static int round_trip_file(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	size_t n = strlen(path);
	if (type != FTW_F || n < 4 || strcmp(path + n - 4, ".vmx"))
		return 0;
	struct casefile *a = NULL, *b = NULL, *c = NULL;
	char err[512];
	ck_assert_msg(casefile_load(path, &a, err, sizeof err) == 0, "%s", err);
	uint8_t *bin, *bin2;
	size_t len, len2;
	ck_assert_int_eq(casefile_encode(a, &bin, &len), 0);
	ck_assert_msg(casefile_decode(path, bin, len, 1, &b, err, sizeof err) == 0, "%s", err);
	char *p1 = casefile_print(a), *p2 = casefile_print(b);
	ck_assert_msg(!strcmp(p1, p2), "%s: text -> binary -> text differs", path);
	ck_assert_int_eq(casefile_encode(b, &bin2, &len2), 0);
	ck_assert_msg(len == len2 && !memcmp(bin, bin2, len), "%s: binary -> text -> binary differs", path);
	/* the non-strict decoder reads well-formed input exactly as strict */
	ck_assert_int_eq(casefile_decode(path, bin, len, 0, &c, err, sizeof err), 0);
	char *p3 = casefile_print(c);
	ck_assert_msg(!strcmp(p1, p3), "%s: non-strict decode differs", path);
	assert_same_resolution(a, b, path);
	text_bytes += strlen(p1);
	bin_bytes += len;
	free(p1);
	free(p2);
	free(p3);
	free(bin);
	free(bin2);
	casefile_free(a);
	casefile_free(b);
	casefile_free(c);
	nfiles++;
	return 0;
}

START_TEST(repository_cases_binary_round_trip)
{
	nfiles = 0;
	text_bytes = bin_bytes = 0;
	nftw("conformance", round_trip_file, 16, FTW_PHYS);
	ck_assert_int_gt(nfiles, 10);
	/* compact: well under the canonical text (which has no comments) */
	ck_assert_msg(bin_bytes * 10 < text_bytes * 8, "binary %zu bytes vs text %zu", bin_bytes, text_bytes);
}
END_TEST

/* ---- hostile byte strings ---- */

#define HDR "NVXC\x01"
#define CASE_A "\x01" "\x00\x01" "a" "\x00\x00" "\x01" "\x00" "\x00"   /* 1 case "a", no profile, line 1 */
#define VMXON_OP "\x00\x02\x00" "\x00"                              /* vmxon, line 2, no operand, no expect */

static const struct { const char *bytes; size_t len; const char *err; } hostile[] = {
#define B(s) s, sizeof(s) - 1
	{ B(HDR CASE_A "\x01" VMXON_OP), NULL },
	{ B(""), "not a binary case file" },
	{ B("case a\n"), "not a binary case file" },
	{ B("NVXC\x02\x01"), "offset 5: error: binary case version 2" },
	{ B(HDR "\x00"), "offset 6: error: no case in file" },
	{ B(HDR "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"), "offset 5: error: case count" },
	{ B(HDR "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02"), "number does not fit in 64 bits" },
	{ B(HDR "\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01"), "number longer than 10 bytes" },
	{ B(HDR "\x01\x05"), "string reference past the table" },
	{ B(HDR "\x01\x00\x01" "A"), "bad case name 'A'" },
	{ B(HDR "\x01\x00\x02" "a\0"), "NUL byte in a string" },
	{ B(HDR "\x01\x00\xff\x7f"), "string length count" },
	{ B(HDR "\x01\x00\x01" "a" "\x00\x02" "p!" "\x01\x00\x00"), "bad profile name 'p!'" },
	{ B(HDR "\x01\x00\x01" "a" "\x00\x00" "\x01" "\x01\x00\x04" "NO.X" "\x00"), "unknown rule 'NO.X'" },
	{ B(HDR "\x01\x00\x01" "a" "\x00\x00" "\x01" "\x00\x01\x00\x04" "warp" "\x00"), "unknown feature 'warp'" },
	{ B(HDR CASE_A "\x01" "\xe7\x07\x02"), "unknown opcode 999" },
	{ B(HDR CASE_A "\x01" "\x15\x02"), "is not an L1 operation" },    /* an L2 op (cpuid) at top level */
	{ B(HDR CASE_A "\x01" "\x00\x02\x02"), "operand presence byte" },
	{ B(HDR CASE_A "\x01" "\x00\x02\x01\x01\x07"), "unknown expression token" },
	{ B(HDR CASE_A "\x01" "\x00\x02\x01\x01\x03\x00\x02" "NO"), "bad expression 'NO '" },
	{ B(HDR CASE_A "\x01" "\x00\x02\x01\x02\x02\x01\x7c"), "bad expression '1 | '" },
	{ B(HDR CASE_A "\x01" VMXON_OP "\x00"), "1 bytes after the last case" },
	/* wrmsr 0 -1: side by side in text that reads 0 - 1 */
	{ B(HDR CASE_A "\x01" "\x0e\x02" "\x01\x02\x00" "\x02-\x02\x01" "\x00"), "operand 2 of 'wrmsr' starts with '-'" },
	/* exit GUEST_RIP: text reads a name after `exit` as a reason's name */
	{ B(HDR CASE_A "\x01" "\x00\x02\x00" "\x01\x03\x01\x01\x06\x01\x03\x00\x09" "GUEST_RIP" "\x00"),
	  "exit reason expression 'GUEST_RIP' starts with a name" },
	{ B(HDR CASE_A "\x01" "\x00\x02\x00" "\x01\x03\x01\x00"), "an expect holds 1 to 4 outcomes, not 0" },
	{ B(HDR CASE_A "\x01" "\x00\x02\x00" "\x01\x03\x01\x01\x0c"), "unknown outcome kind" },
	{ B(HDR CASE_A "\x01" "\x00\x02\x00" "\x01\x03\x01\x01\x04\x1f\x00"), "unknown exception vector" },
	{ B(HDR CASE_A "\x01" "\x00\x02\x00" "\x01\x03\x01\x01\x06\x01\x02\x12\x80\x04"), "unknown exit field bits" },
	{ B(HDR CASE_A "\x01" "\x00\x02\x00" "\x01\x03"), "unexpected end of input" },
#undef B
};

START_TEST(hostile_binary_inputs)
{
	const uint8_t *in = (const uint8_t *)hostile[_i].bytes;
	size_t len = hostile[_i].len;
	const char *want = hostile[_i].err;
	struct casefile *f = NULL;
	char err[512] = "";
	int rc = casefile_decode("t.bin", in, len, 1, &f, err, sizeof err);
	if (!want) {
		ck_assert_msg(rc == 0, "%s", err);
		assert_text_form(f, "valid input");
	} else {
		ck_assert_int_eq(rc, -1);
		ck_assert_ptr_null(f);
		ck_assert_msg(!strncmp(err, "t.bin: ", 7) && strstr(err, want), "got '%s', want '%s'", err, want);
	}
	casefile_free(f);
	/* not strict: any non-empty input gives cases the text form spells */
	f = NULL;
	rc = casefile_decode("t.bin", in, len, 0, &f, err, sizeof err);
	ck_assert_int_eq(rc, len ? 0 : -1);
	if (len) {
		ck_assert_uint_ge(casefile_ncases(f), 1);
		assert_text_form(f, "repaired input");
	}
	casefile_free(f);
}
END_TEST

/* One case using every op and every outcome kind, for mutation. */
static uint8_t *rich_binary(size_t *len)
{
	static const char text[] =
		"case rich.one\nchecks INSN.VMXON.CPL\nrequires ept vpid\nprofile bochs-corei7_skylake_x\n"
		"setup vmcs64\nvmxon\nexpect { ok, fail_valid 7, fail_invalid }\nvmwrite GUEST_RIP 0x1000 | (caps.misc & 0x1f)\n"
		"expect fault #GP(0)\nmov cr4 (1 << 13) | 0x20\nguest { cpuid 0x7; in 0x80 2; rdmsr 0x10; vmread GUEST_RIP }\n"
		"vmlaunch\nexpect { exit cpuid qual=0 len=2, entry_fail 33 qual=2 }\nvmread VM_EXIT_REASON\nexpect value 0x0a\n"
		"invept 1 0x10\nexpect abort 0x1\ncpl 3\nvmcall\nexpect fault #UD\n"
		"case rich.two\nwrite64 0x2000 (-1)\nexpect ok\n";
	struct casefile *f;
	char err[256];
	uint8_t *b = NULL;
	ck_assert_msg(casefile_parse("rich.vmx", text, sizeof text - 1, &f, err, sizeof err) == 0, "%s", err);
	ck_assert_int_eq(casefile_encode(f, &b, len), 0);
	casefile_free(f);
	return b;
}

/* Both modes on one mutated input: strict either refuses with an offset
 * or gives a file that re-encodes to itself; non-strict always gives a
 * text-spellable file. */
static void decode_both(const uint8_t *in, size_t len)
{
	struct casefile *f = NULL;
	char err[512];
	if (casefile_decode("m.bin", in, len, 1, &f, err, sizeof err) == 0) {
		uint8_t *b;
		size_t n;
		ck_assert_int_eq(casefile_encode(f, &b, &n), 0);
		struct casefile *g;
		ck_assert_msg(casefile_decode("m.bin", b, n, 1, &g, err, sizeof err) == 0, "%s", err);
		char *p1 = casefile_print(f), *p2 = casefile_print(g);
		ck_assert_str_eq(p1, p2);
		free(p1);
		free(p2);
		free(b);
		casefile_free(g);
		casefile_free(f);
	} else {
		ck_assert_msg(!strncmp(err, "m.bin: offset ", 14) || !strncmp(err, "m.bin: error: ", 14), "%s", err);
	}
	f = NULL;
	ck_assert_int_eq(casefile_decode("m.bin", in, len, 0, &f, err, sizeof err), len ? 0 : -1);
	if (len)
		assert_text_form(f, "mutated input");
	casefile_free(f);
}

START_TEST(every_prefix_and_byte_flip)
{
	size_t len;
	uint8_t *b = rich_binary(&len);
	for (size_t n = 0; n < len; n++) {   /* exact-size copies: ASan sees any overread */
		uint8_t *p = malloc(n ? n : 1);
		memcpy(p, b, n);
		struct casefile *f = NULL;
		char err[256];
		ck_assert_int_eq(casefile_decode("m.bin", p, n, 1, &f, err, sizeof err), -1);
		decode_both(p, n);
		free(p);
	}
	static const uint8_t flips[] = { 0x01, 0x02, 0x40, 0x80, 0xff };
	uint8_t *p = malloc(len);
	for (size_t i = 0; i < len; i++)
		for (size_t k = 0; k < sizeof flips; k++) {
			memcpy(p, b, len);
			p[i] ^= flips[k];
			decode_both(p, len);
		}
	free(p);
	free(b);
}
END_TEST

START_TEST(random_bytes)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;
	for (int iter = 0; iter < 3000; iter++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		size_t len = 1 + x % 160;
		uint8_t *p = malloc(len);
		for (size_t i = 0; i < len; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			p[i] = (uint8_t)(x >> 24);
			if (iter % 2 == 0 && i < 5)
				p[i] = (uint8_t)HDR[i];
		}
		decode_both(p, len);
		free(p);
	}
}
END_TEST

/* A guest block whose one text line would pass CASE_MAX_LINE: strict
 * refuses it; repair drops operations until the text form holds it. */
START_TEST(text_line_limit)
{
	size_t cap = 1 << 20, n = 0;
	uint8_t *p = malloc(cap);
	static const char head[] = HDR CASE_A "\x02";   /* two ops */
	memcpy(p, head, sizeof head - 1);
	n = sizeof head - 1;
	p[n++] = 0x14, p[n++] = 0x02;              /* OP_GUEST, line 2 */
	p[n++] = 64;                               /* 64 ops */
	for (int k = 0; k < 64; k++) {
		p[n++] = 0x1a, p[n++] = 0x03;          /* in (L2), line 3 */
		p[n++] = 0xa3, p[n++] = 0x02;          /* 291 tokens: 1 + 1 + ... */
		for (int t = 0; t < 291; t++) {
			if (t & 1)
				p[n++] = '+';
			else
				p[n++] = 0x02, p[n++] = 0x01;
		}
		p[n++] = 0x00;                         /* no size */
	}
	p[n++] = 0x00;                             /* no expect */
	memcpy(p + n, VMXON_OP, 4);
	n += 4;
	struct casefile *f = NULL;
	char err[512];
	ck_assert_int_eq(casefile_decode("l.bin", p, n, 1, &f, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "longer than 4096 bytes"), "%s", err);
	ck_assert_int_eq(casefile_decode("l.bin", p, n, 0, &f, err, sizeof err), 0);
	assert_text_form(f, "repaired long line");
	casefile_free(f);
	free(p);
}
END_TEST

static Suite *case_bin_suite(void)
{
	Suite *s = suite_create("case_bin");
	TCase *t = tcase_create("binary");
	tcase_set_timeout(t, 120);
	tcase_add_test(t, repository_cases_binary_round_trip);
	tcase_add_loop_test(t, hostile_binary_inputs, 0, sizeof hostile / sizeof *hostile);
	tcase_add_test(t, every_prefix_and_byte_flip);
	tcase_add_test(t, random_bytes);
	tcase_add_test(t, text_line_limit);
	suite_add_tcase(s, t);
	return s;
}
SUITE_REGISTER(case_bin_suite)
