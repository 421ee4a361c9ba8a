/* Encoder of the binary case form (case_bin.h): struct casefile -> bytes. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "case_bin.h"
#include "case_internal.h"
#include "../refvmm/checks.h"

struct enc {
	uint8_t *b;
	size_t n, cap;
	bool oom;
	char **str;             /* the string table so far (copies) */
	uint32_t nstr, capstr;
};

static void put8(struct enc *e, uint8_t v)
{
	if (e->n == e->cap) {
		size_t cap = e->cap ? 2 * e->cap : 256;
		uint8_t *b = realloc(e->b, cap);
		if (!b) {
			e->oom = true;
			return;
		}
		e->b = b;
		e->cap = cap;
	}
	e->b[e->n++] = v;
}

static void putuv(struct enc *e, uint64_t v)
{
	do {
		put8(e, (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0)));
		v >>= 7;
	} while (v);
}

/* A string: a back-reference when the table has it, else inline. */
static void putstr(struct enc *e, const char *s)
{
	for (uint32_t i = 0; i < e->nstr; i++)
		if (!strcmp(e->str[i], s)) {
			putuv(e, (uint64_t)i + 1);
			return;
		}
	size_t len = strlen(s);
	putuv(e, 0);
	putuv(e, len);
	for (size_t i = 0; i < len; i++)
		put8(e, (uint8_t)s[i]);
	if (e->nstr == e->capstr) {
		uint32_t cap = e->capstr ? 2 * e->capstr : 64;
		char **t = realloc(e->str, cap * sizeof *t);
		if (!t) {
			e->oom = true;
			return;
		}
		e->str = t;
		e->capstr = cap;
	}
	if (!(e->str[e->nstr] = strdup(s)))
		e->oom = true;
	else
		e->nstr++;
}

/* A number token when printing the value back gives exactly `w`. */
static bool number_token(struct enc *e, const char *w, size_t n)
{
	char buf[24], back[24];
	if (n >= sizeof buf)
		return false;
	memcpy(buf, w, n);
	buf[n] = 0;
	bool hex = n > 2 && buf[0] == '0' && buf[1] == 'x';
	char *end;
	unsigned long long v = strtoull(hex ? buf + 2 : buf, &end, hex ? 16 : 10);
	if (*end || (!hex && (buf[0] < '0' || buf[0] > '9')) || (hex && (buf[2] < '0' || buf[2] > 'f')))
		return false;
	snprintf(back, sizeof back, hex ? "0x%llx" : "%llu", v);
	if (strcmp(back, buf))
		return false;   /* leading zeros, upper case, overflow: keep the spelling */
	put8(e, hex ? TOK_HEX : TOK_DEC);
	putuv(e, v);
	return true;
}

static void putexpr(struct enc *e, const char *x)
{
	size_t ntok = 0;
	for (const char *q = x; *q;) {   /* count tokens first */
		if (*q == ' ') {
			q++;
			continue;
		}
		if (!strncmp(q, "<<", 2) || !strncmp(q, ">>", 2))
			q += 2;
		else if (strchr("()~-|&^+", *q))
			q++;
		else
			while (*q && !strchr(" ()~-|&^+<>", *q))
				q++;
		ntok++;
	}
	putuv(e, ntok);
	for (const char *q = x; *q;) {
		if (*q == ' ') {
			q++;
		} else if (!strncmp(q, "<<", 2) || !strncmp(q, ">>", 2)) {
			put8(e, (uint8_t)*q);
			q += 2;
		} else if (strchr("()~-|&^+", *q)) {
			put8(e, (uint8_t)*q++);
		} else {
			size_t n = strcspn(q, " ()~-|&^+<>");
			if (!number_token(e, q, n)) {
				char w[CASE_MAX_LINE + 1];
				memcpy(w, q, n);
				w[n] = 0;
				put8(e, TOK_WORD);
				putstr(e, w);
			}
			q += n;
		}
	}
}

static void putop(struct enc *e, const struct tcase *c, const struct top *t)
{
	putuv(e, t->op);
	putuv(e, t->line);
	const char *args = op_table[t->op].args;
	for (int i = 0; args[i]; i++) {
		if (args[i] == 'o') {
			put8(e, i < t->nargs);
			if (i < t->nargs)
				putexpr(e, t->arg[i]);
		} else if (args[i] == 't') {
			putstr(e, t->arg[i]);
		} else {
			putexpr(e, t->arg[i]);
		}
	}
	if (t->op == OP_GUEST) {
		putuv(e, t->nblk);
		for (uint32_t k = 0; k < t->nblk; k++)
			putop(e, c, &c->blk[t->blk + k]);
	}
}

static void putoutcome(struct enc *e, const struct tout *o)
{
	put8(e, o->kind);
	switch (o->kind) {
	case OUT_FAULT:
		put8(e, o->vector);
		put8(e, o->num != NULL);
		if (o->num)
			putexpr(e, o->num);
		break;
	case OUT_EXIT:
	case OUT_ENTRY_FAIL:
		putexpr(e, o->num);
		putuv(e, o->have & ((1u << NEXF) - 1));
		for (int i = 0; i < NEXF; i++)
			if (o->f[i])
				putexpr(e, o->f[i]);
		break;
	case OUT_FAIL_VALID:
	case OUT_ABORT:
	case OUT_VALUE:
		putexpr(e, o->num);
		break;
	default:
		break;
	}
}

static void putcase(struct enc *e, const struct tcase *c)
{
	putstr(e, c->name);
	putstr(e, c->profile);
	putuv(e, c->line);
	putuv(e, c->nchecks);
	for (int k = 0; k < c->nchecks; k++)
		putstr(e, rule_table[c->checks[k]].id);
	uint32_t nreq = 0;
	for (int ft = 0; ft < FEAT_COUNT; ft++)
		nreq += c->req[ft / 64] >> (ft % 64) & 1;
	putuv(e, nreq);
	for (int ft = 0; ft < FEAT_COUNT; ft++)
		if (c->req[ft / 64] >> (ft % 64) & 1)
			putstr(e, caps_feature_name((enum vmx_feature)ft));
	putuv(e, c->nops);
	for (uint32_t j = 0, x = 0; j < c->nops; j++) {
		putop(e, c, &c->ops[j]);
		uint32_t first = x;
		while (x < c->nex && c->ex[x].op == j)
			x++;
		putuv(e, x - first);
		for (uint32_t k = first; k < x; k++) {
			putuv(e, c->ex[k].line);
			putuv(e, c->ex[k].col);
			put8(e, c->ex[k].nalt);
			for (int a = 0; a < c->ex[k].nalt; a++)
				putoutcome(e, &c->ex[k].alt[a]);
		}
	}
}

int casefile_encode(const struct casefile *f, uint8_t **buf, size_t *len)
{
	struct enc e = { 0 };
	for (const char *m = CASEBIN_MAGIC; *m; m++)
		put8(&e, (uint8_t)*m);
	put8(&e, CASEBIN_VERSION);
	putuv(&e, f->n);
	for (size_t i = 0; i < f->n; i++)
		putcase(&e, &f->c[i]);
	for (uint32_t i = 0; i < e.nstr; i++)
		free(e.str[i]);
	free(e.str);
	if (e.oom) {
		free(e.b);
		return -1;
	}
	*buf = e.b;
	*len = e.n;
	return 0;
}
