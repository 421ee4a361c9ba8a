/* The probe protocol: batch encoding round trip, the outcome-stream parser
 * on good, truncated and garbage streams, and the begin-without-end rule. */
#include <stdlib.h>
#include <string.h>
#include "suites.h"
#include "../probe_proto.h"

static struct rop blk[2] = { { .op = OP_G_CPUID, .a = { 7 } }, { .op = OP_G_HLT } };
static struct rop ops_a[4] = {
	{ .op = OP_VMXON, .a = { TM_VMXON_REGION } },
	{ .op = OP_VMWRITE, .flags = ROP_SILENT, .a = { 0x681e, 0xfedcba9876543210ULL } },
	{ .op = OP_GUEST, .block = blk, .nblock = 2 },
	{ .op = OP_VMLAUNCH },
};
static struct rop ops_b[2] = { { .op = OP_CPL, .a = { 3 } }, { .op = OP_INVVPID, .a = { 1, 2, 3 } } };
static struct rcase ca = { .name = "a", .ops = ops_a, .nops = 4 }, cb = { .name = "b", .ops = ops_b, .nops = 2 };

START_TEST(batch_round_trip)
{
	const struct rcase *in[3] = { &ca, &cb, &ca };
	uint32_t ids[3] = { 7, 8, 9 }, got_ids[3];
	size_t len;
	char why[200];
	uint8_t *buf = probe_batch_encode(in, ids, 3, 0, &len, why, sizeof why);
	ck_assert_msg(buf != NULL, "%s", why);
	ck_assert_uint_eq(len, 32 + 3 * 16 + (4 + 2 + 2 + 4 + 2) * 32);
	struct rcase out[3];
	ck_assert_int_eq(probe_batch_decode(buf, len, out, got_ids, 3), 3);
	for (int k = 0; k < 3; k++) {
		ck_assert_uint_eq(got_ids[k], ids[k]);
		ck_assert_uint_eq(out[k].nops, in[k]->nops);
		for (uint32_t i = 0; i < out[k].nops; i++) {
			const struct rop *x = &out[k].ops[i], *y = &in[k]->ops[i];
			ck_assert_uint_eq(x->op, y->op);
			ck_assert_uint_eq(x->flags, y->flags);
			ck_assert(memcmp(x->a, y->a, sizeof x->a) == 0);
			ck_assert_uint_eq(x->nblock, y->op == OP_GUEST ? y->nblock : 0);
			for (uint32_t j = 0; j < x->nblock; j++)
				ck_assert(x->block[j].op == y->block[j].op && x->block[j].a[0] == y->block[j].a[0]);
		}
		probe_case_free(&out[k]);
	}
	/* every truncation is rejected, never read past the end */
	for (size_t cut = 0; cut < len; cut += 8) {
		uint8_t *t = malloc(cut ? cut : 1);
		memcpy(t, buf, cut);
		ck_assert_int_eq(probe_batch_decode(t, cut, out, got_ids, 3), -1);
		free(t);
	}
	/* a block length pointing past the case is rejected */
	((struct probe_op *)(buf + 32 + 16))[2].nblock = 60;
	ck_assert_int_eq(probe_batch_decode(buf, len, out, got_ids, 3), -1);
	free(buf);
}
END_TEST

START_TEST(batch_rejects_long_block)
{
	struct rop big[GUEST_BLOCK_MAX + 1] = { 0 };
	struct rop g = { .op = OP_GUEST, .block = big, .nblock = GUEST_BLOCK_MAX + 1 };
	struct rcase c = { .name = "long", .ops = &g, .nops = 1 };
	const struct rcase *in[1] = { &c };
	size_t len;
	char why[200] = "";
	ck_assert_ptr_null(probe_batch_encode(in, NULL, 1, 0, &len, why, sizeof why));
	ck_assert(strstr(why, "guest block"));
}
END_TEST

static void init(struct case_result *r, size_t n)
{
	memset(r, 0, n * sizeof *r);
	for (size_t i = 0; i < n; i++)
		r[i].status = -1;
}

static void fini(struct case_result *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(r[i].res);
}

static const char stream[] =
	"========= Bochs banner\n"
	"I vendor GenuineIntel\nI cpuid1 50654 77faf3bf bfebfbff\nI cpuid80000008 3028\n"
	"P 3a 5\nP 480 d810000000002b\nP 481 7f00000016\nP 482 1\nP 483 1\nP 484 1\nP 485 1\n"
	"P 486 80000021\nP 487 ffffffff\nP 488 2000\nP 489 3727ff\nP 48a 34\nP 48b 1\nP 48c 1\n"
	"P 48d 1\nP 48e 1\nP 48f 1\nP 490 1\nP 491 1\nP 492 absent\nP 493 absent\n"
	"B 3\n"
	"C 0 begin\nO 0 0 ok\nO 0 2 none\n"
	"O 0 3 exit a 0 0 0 2 0 0 0 0 0\n"
	"C 0 end\n"
	"C 1 begin\nO 1 0 none\nO 1 1 flt d 0\nO 1 1 garbage here\nO 1 9 ok\nC 1 end\n"
	"C 2 begin\nO 2 0 ok\nO 2 1 fv 7\n"
	"(0).[3328972] bochs debugger noise\n";

START_TEST(stream_parse_and_begin_without_end)
{
	const struct rcase *cs[3] = { &ca, &cb, &ca };
	struct case_result r[3];
	struct probe_report rep;
	init(r, 3);
	ck_assert_uint_eq(probe_stream_parse(stream, strlen(stream), cs, 3, r, &rep), 3);
	ck_assert_str_eq(rep.vendor, "GenuineIntel");
	ck_assert(rep.have_profile && rep.batch_seen && !rep.done);
	ck_assert_uint_eq(rep.caps.msr[CAP_BASIC], 0xd810000000002bULL);
	ck_assert(!caps_msr_present(&rep.caps, 0x492) && caps_msr_present(&rep.caps, 0x491));
	ck_assert_uint_eq(rep.caps.maxphyaddr, 0x28);
	ck_assert_uint_eq(rep.caps.feature_control, 5);

	ck_assert_int_eq(r[0].status, CS_RAN);
	ck_assert_int_eq(r[0].res[0].alt[0].kind, OUT_OK);
	ck_assert_int_eq(r[0].res[1].nalt, 0);        /* silent op: nothing recorded */
	ck_assert_int_eq(r[0].res[2].nalt, 0);        /* none */
	const struct outcome *x = &r[0].res[3].alt[0];
	ck_assert_int_eq(x->kind, OUT_EXIT);
	ck_assert_uint_eq(x->num, 10);
	/* CPUID: length defined (27.2.5); qualification cleared, so defined (27.2.1) */
	ck_assert(x->have & EXF_LEN);
	ck_assert(x->have & EXF_QUAL);
	ck_assert_uint_eq(x->len, 2);

	ck_assert_int_eq(r[1].status, CS_RAN);
	ck_assert_int_eq(r[1].res[1].alt[0].kind, OUT_FAULT);   /* the garbage line did not overwrite it */
	ck_assert_int_eq(r[1].res[1].alt[0].vector, 13);
	ck_assert(r[1].res[1].alt[0].have & OUTF_ERRCODE);

	/* began, never ended: the probe stopped in it */
	ck_assert_int_eq(r[2].status, CS_FAULT);
	ck_assert(strlen(r[2].msg) > 0);
	ck_assert_int_eq(r[2].res[1].alt[0].kind, OUT_FAIL_VALID);
	ck_assert_uint_eq(r[2].res[1].alt[0].num, 7);
	fini(r, 3);
}
END_TEST

START_TEST(stream_truncated_anywhere)
{
	const struct rcase *cs[3] = { &ca, &cb, &ca };
	size_t n = strlen(stream);
	for (size_t cut = 0; cut <= n; cut++) {
		struct case_result r[3];
		struct probe_report rep;
		init(r, 3);
		size_t d = probe_stream_parse(stream, cut, cs, 3, r, &rep);
		size_t begun = 0, open = 0;
		for (int k = 0; k < 3; k++) {
			begun += r[k].status != -1;
			open += r[k].status == CS_FAULT;
			ck_assert(r[k].status == -1 || r[k].status == CS_RAN || r[k].status == CS_FAULT);
		}
		ck_assert_uint_eq(d, begun);
		ck_assert_uint_le(open, 1);     /* at most the one case the stream stopped in */
		fini(r, 3);
	}
}
END_TEST

START_TEST(stream_garbage)
{
	const struct rcase *cs[1] = { &cb };
	static const char *const bad[] = {
		"C 5 begin\n", "O 0 0 ok\n", "C zz begin\n", "O 0 ffffffffffffffffffff ok\n",
		"C 0 begin\nO 0 0 flt 1ff 0\nO 0 1 exit 1 2\nC 0 end\n", "\n\n\n", "C 0 end\n",
		"P 99999 1\nP 480 zz\nI cpuid1\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct case_result r[1];
		struct probe_report rep;
		init(r, 1);
		probe_stream_parse(bad[i], strlen(bad[i]), cs, 1, r, &rep);
		if (r[0].status == CS_RAN) {
			ck_assert_int_eq(r[0].res[0].nalt, 0);   /* the malformed outcomes were dropped */
			ck_assert_int_eq(r[0].res[1].nalt, 0);
		}
		ck_assert(!rep.have_profile);
		fini(r, 1);
	}
}
END_TEST

/* Exit fields: entry failures carry the qualification only; a #PF exit
 * defines the qualification, a #UD exit does not (27.2.1); an EPT
 * violation's linear address only with qualification bit 7 (27.2.1). */
START_TEST(exit_fields_defined)
{
	struct outcome o;
	ck_assert_int_eq(probe_outcome_parse("exit 80000021 3 0 0 0 0 0 0 0 0", &o), 0);
	ck_assert_int_eq(o.kind, OUT_ENTRY_FAIL);
	ck_assert_uint_eq(o.num, 33);
	ck_assert_uint_eq(o.have, EXF_QUAL);
	ck_assert_int_eq(probe_outcome_parse("exit 0 1234 0 0 0 0 80000b0e 2 0 0", &o), 0);
	ck_assert(o.have & EXF_QUAL && o.have & EXF_INTR && o.have & EXF_INTR_ERR && !(o.have & EXF_LEN));
	ck_assert_int_eq(probe_outcome_parse("exit 0 0 0 0 0 0 80000306 0 0 0", &o), 0);
	ck_assert(o.have & EXF_QUAL && !(o.have & EXF_INTR_ERR));   /* #BP: qualification cleared */
	ck_assert_int_eq(probe_outcome_parse("exit 0 0 0 0 1 0 80000603 0 0 0", &o), 0);
	ck_assert(o.have & EXF_LEN);       /* INT3: a software exception */
	ck_assert_int_eq(probe_outcome_parse("exit 30 181 5000 460000 0 0 0 0 0 0", &o), 0);
	ck_assert(o.have & EXF_GPA && o.have & EXF_GLA && o.have & EXF_QUAL);
	ck_assert_int_eq(probe_outcome_parse("exit 30 1 5000 460000 0 0 0 0 0 0", &o), 0);
	ck_assert(!(o.have & EXF_GLA));
	ck_assert_int_eq(probe_outcome_parse("exit 12 0 0 0 3 0 0 0 80000b0d 0", &o), 0);
	ck_assert(o.have & EXF_IDT && o.have & EXF_IDT_ERR && o.have & EXF_LEN);
	ck_assert_int_eq(probe_outcome_parse("exit 12 0", &o), -1);
	ck_assert_int_eq(probe_outcome_parse("bogus", &o), -1);
}
END_TEST

static Suite *probe_proto_suite(void)
{
	Suite *s = suite_create("probe_proto");
	TCase *t = tcase_create("proto");
	tcase_add_test(t, batch_round_trip);
	tcase_add_test(t, batch_rejects_long_block);
	tcase_add_test(t, stream_parse_and_begin_without_end);
	tcase_add_test(t, stream_truncated_anywhere);
	tcase_add_test(t, stream_garbage);
	tcase_add_test(t, exit_fields_defined);
	suite_add_tcase(s, t);
	return s;
}
SUITE_REGISTER(probe_proto_suite);
