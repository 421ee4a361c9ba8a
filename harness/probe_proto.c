/* The harness side of the probe protocol (probe_proto.h): batch encoding
 * and the parser for the probe's outcome stream. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "probe_proto.h"

static size_t case_bytes(const struct rcase *c)
{
	size_t n = sizeof(struct probe_case_hdr) + c->nops * sizeof(struct probe_op);
	for (uint32_t i = 0; i < c->nops; i++)
		if (c->ops[i].op == OP_GUEST)
			n += c->ops[i].nblock * sizeof(struct probe_op);
	return n;
}

static void put_op(struct probe_op *p, const struct rop *r, uint32_t nblock)
{
	*p = (struct probe_op){ .op = r->op, .flags = r->flags, .nblock = nblock };
	memcpy(p->a, r->a, sizeof p->a);
}

/* The probe runs L1 in IA-32e mode only (harness/probe/ is a 64-bit
 * kernel whose exit path, handlers and tables are 64-bit), so it has no
 * counterpart for ops that take L1 out of it. */
const char *probe_case_unsupported(const struct rcase *c)
{
	for (uint32_t i = 0; i < c->nops; i++)
		if (c->ops[i].op == OP_LEAVE_IA32E)
			return "the probe runs L1 in IA-32e mode only (leave_ia32e)";
	return NULL;
}

uint8_t *probe_batch_encode(const struct rcase *const *cases, const uint32_t *ids, size_t n,
			    uint32_t flags, size_t *len, char *why, size_t whylen)
{
	size_t total = sizeof(struct probe_batch_hdr);
	for (size_t k = 0; k < n; k++) {
		for (uint32_t i = 0; i < cases[k]->nops; i++) {
			const struct rop *r = &cases[k]->ops[i];
			if (r->op == OP_GUEST && (r->nblock > GUEST_BLOCK_MAX || (r->nblock && !r->block))) {
				snprintf(why, whylen, "%s: guest block of %u ops (at most %d)",
					 cases[k]->name, r->nblock, GUEST_BLOCK_MAX);
				return NULL;
			}
		}
		total += case_bytes(cases[k]);
	}
	if (total > PROBE_BATCH_MAX) {
		snprintf(why, whylen, "batch of %zu bytes exceeds the probe's %u", total, PROBE_BATCH_MAX);
		return NULL;
	}
	uint8_t *buf = calloc(1, total);
	if (!buf) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	*(struct probe_batch_hdr *)buf = (struct probe_batch_hdr){
		.magic = PROBE_MAGIC, .version = PROBE_VERSION, .size = (uint32_t)total,
		.ncases = (uint32_t)n, .flags = flags,
	};
	uint8_t *p = buf + sizeof(struct probe_batch_hdr);
	for (size_t k = 0; k < n; k++) {
		const struct rcase *c = cases[k];
		*(struct probe_case_hdr *)p = (struct probe_case_hdr){
			.magic = PROBE_CASE_MAGIC, .id = ids ? ids[k] : (uint32_t)k, .nops = c->nops,
		};
		struct probe_op *o = (struct probe_op *)(p + sizeof(struct probe_case_hdr));
		for (uint32_t i = 0; i < c->nops; i++) {
			const struct rop *r = &c->ops[i];
			uint32_t nb = r->op == OP_GUEST ? r->nblock : 0;
			put_op(o++, r, nb);
			for (uint32_t j = 0; j < nb; j++)
				put_op(o++, &r->block[j], 0);
		}
		p = (uint8_t *)o;
	}
	*len = total;
	return buf;
}

void probe_case_free(struct rcase *c)
{
	free(c->ops);
	free(c->blocks);
	c->ops = c->blocks = NULL;
	c->nops = c->nblocks = 0;
}

static void get_op(struct rop *r, const struct probe_op *p)
{
	*r = (struct rop){ .op = p->op, .flags = p->flags };
	memcpy(r->a, p->a, sizeof r->a);
}

/* One case from p (at most `avail` bytes); returns its size or 0. */
static size_t decode_case(const uint8_t *p, size_t avail, struct rcase *c, uint32_t *id)
{
	struct probe_case_hdr h;
	if (avail < sizeof h)
		return 0;
	memcpy(&h, p, sizeof h);
	size_t nmax = (avail - sizeof h) / sizeof(struct probe_op);
	if (h.magic != PROBE_CASE_MAGIC || h.nops > nmax)
		return 0;
	const struct probe_op *o = (const struct probe_op *)(p + sizeof h);
	size_t used = 0, nblk = 0;
	for (uint32_t i = 0; i < h.nops; i++, used++) {
		if (used >= nmax)
			return 0;
		if (o[used].op == OP_GUEST) {
			if (o[used].nblock > GUEST_BLOCK_MAX || o[used].nblock > nmax - used - 1)
				return 0;
			nblk += o[used].nblock;
			used += o[used].nblock;
		}
	}
	memset(c, 0, sizeof *c);
	c->ops = calloc(h.nops ? h.nops : 1, sizeof *c->ops);
	c->blocks = calloc(nblk ? nblk : 1, sizeof *c->blocks);
	if (!c->ops || !c->blocks) {
		probe_case_free(c);
		return 0;
	}
	c->nops = h.nops;
	c->nblocks = (uint32_t)nblk;
	snprintf(c->name, sizeof c->name, "batch.%" PRIu32, h.id);
	size_t at = 0, b = 0;
	for (uint32_t i = 0; i < h.nops; i++) {
		get_op(&c->ops[i], &o[at]);
		if (o[at].op == OP_GUEST) {
			c->ops[i].block = &c->blocks[b];
			c->ops[i].nblock = o[at].nblock;
			for (uint32_t j = 0; j < o[at].nblock; j++)
				get_op(&c->blocks[b++], &o[at + 1 + j]);
			at += o[at].nblock;
		}
		at++;
	}
	*id = h.id;
	return sizeof h + at * sizeof(struct probe_op);
}

int probe_batch_decode(const uint8_t *buf, size_t len, struct rcase *out, uint32_t *ids, size_t max)
{
	struct probe_batch_hdr h;
	if (len < sizeof h)
		return -1;
	memcpy(&h, buf, sizeof h);
	if (h.magic != PROBE_MAGIC || h.version != PROBE_VERSION || h.size > len || h.size < sizeof h ||
	    h.ncases > max)
		return -1;
	size_t at = sizeof h;
	for (uint32_t k = 0; k < h.ncases; k++) {
		size_t n = decode_case(buf + at, h.size - at, &out[k], &ids[k]);
		if (!n) {
			for (uint32_t j = 0; j < k; j++)
				probe_case_free(&out[j]);
			return -1;
		}
		at += n;
	}
	return (int)h.ncases;
}

/* ---- the outcome stream ---- */

void probe_exit_defined(struct outcome *o)
{
	uint16_t have = 0;
	if (o->kind == OUT_ENTRY_FAIL) {
		o->have = EXF_QUAL;     /* 33/34/41: qualification (SDM 26.8) */
		return;
	}
	if (o->num < sizeof probe_exit_fields / sizeof probe_exit_fields[0])
		have = probe_exit_fields[o->num];
	/* 27.2.1: exits that save no qualification clear the field, so it is
	 * defined (0) for every exit */
	have |= EXF_QUAL;
	if (o->num == 48 && !(o->qual >> 7 & 1))
		have &= (uint16_t)~EXF_GLA;           /* linear address valid only with qual[7] */
	if (probe_exit_has_len(o->num, o->intr))
		have |= EXF_LEN;
	else
		have &= (uint16_t)~EXF_LEN;
	if ((have & EXF_INTR) && (o->intr >> 31) && (o->intr >> 11 & 1))
		have |= EXF_INTR_ERR;
	have |= EXF_IDT;                          /* defined for every exit (27.2.4) */
	if ((o->idt >> 31) && (o->idt >> 11 & 1))
		have |= EXF_IDT_ERR;
	o->have = have;
}

static int hexnum(const char **s, uint64_t *v)
{
	char *end;
	while (**s == ' ')
		(*s)++;
	if (!isxdigit((unsigned char)**s))
		return -1;
	*v = strtoull(*s, &end, 16);
	*s = end;
	return 0;
}

static int kw(const char **s, const char *k)
{
	size_t n = strlen(k);
	if (strncmp(*s, k, n) || ((*s)[n] && (*s)[n] != ' '))
		return 0;
	*s += n;
	return 1;
}

static int parse_exit(const char *s, struct outcome *o)
{
	uint64_t v[10];
	for (int k = 0; k < 10; k++)
		if (hexnum(&s, &v[k]))
			return -1;
	o->kind = v[0] >> 31 & 1 ? OUT_ENTRY_FAIL : OUT_EXIT;
	o->num = (uint32_t)(v[0] & 0xffff);
	o->qual = v[1];
	o->gla = v[2];
	o->gpa = v[3];
	o->len = (uint32_t)v[4];
	o->info = (uint32_t)v[5];
	o->intr = (uint32_t)v[6];
	o->intr_err = (uint32_t)v[7];
	o->idt = (uint32_t)v[8];
	o->idt_err = (uint32_t)v[9];
	probe_exit_defined(o);
	return 0;
}

int probe_outcome_parse(const char *s, struct outcome *o)
{
	uint64_t a, b;
	memset(o, 0, sizeof *o);
	if (kw(&s, "ok"))
		o->kind = OUT_OK;
	else if (kw(&s, "fi"))
		o->kind = OUT_FAIL_INVALID;
	else if (kw(&s, "none"))
		o->kind = OUT_NONE;
	else if (kw(&s, "unsup"))
		o->kind = OUT_BACKEND_FAULT;
	else if (kw(&s, "fv")) {
		if (hexnum(&s, &a))
			return -1;
		o->kind = OUT_FAIL_VALID;
		o->num = (uint32_t)a;
	} else if (kw(&s, "val")) {
		if (hexnum(&s, &o->value))
			return -1;
		o->kind = OUT_VALUE;
	} else if (kw(&s, "flt")) {
		if (hexnum(&s, &a) || a > 255)
			return -1;
		o->kind = OUT_FAULT;
		o->vector = (uint8_t)a;
		while (*s == ' ')
			s++;
		if (*s != '-') {
			if (hexnum(&s, &b))
				return -1;
			o->num = (uint32_t)b;
			o->have = OUTF_ERRCODE;
		}
	} else if (kw(&s, "exit")) {
		return parse_exit(s, o);
	} else {
		return -1;
	}
	return 0;
}

static void set_msr(struct vmx_caps *c, uint64_t msr, const char *rest, unsigned *seen)
{
	uint64_t v = 0;
	int absent = strncmp(rest, " absent", 7) == 0;
	if (!absent && hexnum(&rest, &v))
		return;
	if (msr == MSR_IA32_FEATURE_CONTROL) {
		c->feature_control = v;
		*seen |= 1u << 20;
	} else if (msr >= CAP_MSR_FIRST && msr < CAP_MSR_FIRST + CAP_NMSR) {
		unsigned i = (unsigned)(msr - CAP_MSR_FIRST);
		c->msr[i] = v;
		if (!absent)
			c->present |= 1u << i;
		*seen |= 1u << i;
	}
}

static void info_line(struct probe_report *rep, const char *s)
{
	uint64_t v[3] = { 0 };
	struct vmx_caps *c = &rep->caps;
	if (kw(&s, "vendor")) {
		snprintf(rep->vendor, sizeof rep->vendor, "%.12s", s + (*s == ' '));
	} else if (kw(&s, "cpuid1")) {
		if (!hexnum(&s, &v[0]) && !hexnum(&s, &v[1]) && !hexnum(&s, &v[2])) {
			c->cpuid1_eax = (uint32_t)v[0];
			c->cpuid1_ecx = (uint32_t)v[1];
			c->cpuid1_edx = (uint32_t)v[2];
		}
	} else if (kw(&s, "cpuid7")) {
		if (!hexnum(&s, &v[0]) && !hexnum(&s, &v[1])) {
			c->cpuid7_ebx = (uint32_t)v[0];
			c->cpuid7_ecx = (uint32_t)v[1];
		}
	} else if (kw(&s, "cpuid80000008")) {
		if (!hexnum(&s, &v[0])) {
			c->maxphyaddr = (uint8_t)v[0];
			c->linaddr = (uint8_t)(v[0] >> 8);
		}
	}
}

struct stream {
	const struct rcase *const *cases;
	size_t n;
	struct case_result *res;
	struct probe_report *rep;
	unsigned msrs_seen;
	long open;              /* the case between begin and end, or -1 */
	size_t decided;
};

static void case_line(struct stream *st, const char *s)
{
	uint64_t id;
	if (hexnum(&s, &id) || id >= st->n)
		return;
	struct case_result *r = &st->res[id];
	while (*s == ' ')
		s++;
	if (kw(&s, "begin")) {
		if (r->status != -1)
			return;         /* a repeated begin: keep the first run */
		free(r->res);
		r->nres = st->cases[id]->nops;
		r->res = calloc(r->nres ? r->nres : 1, sizeof *r->res);
		r->status = CS_FAULT;   /* until its end line */
		snprintf(r->msg, sizeof r->msg, "the probe stopped in this case (hang, triple fault or crash)");
		st->open = (long)id;
		st->decided++;
	} else if (kw(&s, "end") && st->open == (long)id) {
		r->status = CS_RAN;
		r->msg[0] = 0;
		st->open = -1;
	}
}

static void op_line(struct stream *st, const char *s)
{
	uint64_t id, op;
	struct outcome o;
	if (hexnum(&s, &id) || hexnum(&s, &op) || id >= st->n || st->open != (long)id)
		return;
	struct case_result *r = &st->res[id];
	if (op >= r->nres || !r->res)
		return;
	while (*s == ' ')
		s++;
	if (probe_outcome_parse(s, &o))
		return;
	r->res[op].nalt = o.kind != OUT_NONE;
	r->res[op].alt[0] = o;
}

static void stream_line(struct stream *st, const char *s)
{
	if (s[0] && s[1] == ' ') {
		switch (s[0]) {
		case 'C': case_line(st, s + 1); return;
		case 'O': op_line(st, s + 1); return;
		case 'I': info_line(st->rep, s + 2); return;
		case 'B': st->rep->batch_seen = true; return;
		case 'P': {
			uint64_t msr;
			const char *p = s + 1;
			if (!hexnum(&p, &msr))
				set_msr(&st->rep->caps, msr, p, &st->msrs_seen);
			return;
		}
		case 'E':
			if (!st->rep->error[0])
				snprintf(st->rep->error, sizeof st->rep->error, "%.159s", s + 2);
			return;
		}
	}
	if (strcmp(s, "DONE") == 0)
		st->rep->done = true;
}

size_t probe_stream_parse(const char *text, size_t len, const struct rcase *const *cases,
			  size_t n, struct case_result *results, struct probe_report *rep)
{
	struct stream st = { .cases = cases, .n = n, .res = results, .rep = rep, .open = -1 };
	memset(rep, 0, sizeof *rep);
	snprintf(rep->caps.name, sizeof rep->caps.name, "probe");
	char line[512];
	size_t at = 0;
	while (at < len) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t l = nl ? (size_t)(nl - (text + at)) : len - at;
		if (nl || at + l == len) {
			size_t k = l < sizeof line - 1 ? l : sizeof line - 1;
			memcpy(line, text + at, k);
			line[k] = 0;
			if (k && line[k - 1] == '\r')
				line[k - 1] = 0;
			/* an unterminated last line is a truncated stream: only DONE-less */
			if (nl)
				stream_line(&st, line);
		}
		at += l + 1;
	}
	rep->have_profile = st.msrs_seen == (((1u << 20) - 1) | 1u << 20);
	return st.decided;
}
