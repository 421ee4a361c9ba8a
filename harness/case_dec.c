/* Decoder of the binary case form (case_bin.h): any byte string -> struct
 * casefile, never reading out of bounds.  strict=1 (asm output, `run`,
 * `disasm`) rejects every flaw with "file: offset N: error: ...";
 * strict=0 (fuzzers) repairs or drops what is wrong and returns at least
 * one case for any non-empty input.  Either way the result is a casefile
 * the text parser could have produced: it prints, reparses and resolves. */
#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "case_bin.h"
#include "case_internal.h"
#include "templates.h"
#include "../refvmm/checks.h"

struct dec {
	const uint8_t *start, *p, *end;
	bool strict, failed;
	const char *path;
	char *err;
	size_t errlen;
	char **str;             /* the string table so far */
	uint32_t nstr, capstr;
};

static bool fail(struct dec *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool fail(struct dec *d, const char *fmt, ...)
{
	if (!d->failed && d->strict) {
		int n = snprintf(d->err, d->errlen, "%s: offset %zu: error: ", d->path,
				 (size_t)(d->p - d->start));
		va_list ap;
		va_start(ap, fmt);
		if (n >= 0 && (size_t)n < d->errlen)
			vsnprintf(d->err + n, d->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	d->failed = true;
	return false;
}

/* Non-strict decoding repairs a flaw and goes on; strict stops. */
static bool flaw(struct dec *d, const char *what)
{
	return d->strict ? fail(d, "%s", what) : true;
}

static bool get8(struct dec *d, uint8_t *v)
{
	*v = 0;
	if (d->p >= d->end)
		return fail(d, "unexpected end of input");
	*v = *d->p++;
	return true;
}

static bool getuv(struct dec *d, uint64_t *v)
{
	*v = 0;
	for (int shift = 0; shift < 70; shift += 7) {
		uint8_t b;
		if (!get8(d, &b))
			return false;
		if (shift == 63 && (b & 0x7e) && !flaw(d, "number does not fit in 64 bits"))
			return false;
		*v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return true;
	}
	return fail(d, "number longer than 10 bytes");
}

/* A count of items that take at least one byte each: never more than the
 * bytes left, so hostile counts cannot make us allocate or loop. */
static bool getcount(struct dec *d, uint64_t *n, uint64_t max, const char *what)
{
	const uint8_t *at = d->p;
	if (!getuv(d, n))
		return false;
	uint64_t left = (uint64_t)(d->end - d->p);
	if (*n > max || *n > left) {
		if (d->strict && (d->p = at))
			return fail(d, "%s count %llu is more than %s", what, (unsigned long long)*n,
				    *n > max ? "allowed" : "the bytes left");
		*n = *n > max ? max : *n;
		*n = *n > left ? left : *n;
	}
	return true;
}

static const char *getstr(struct dec *d)
{
	uint64_t k, len;
	if (!getuv(d, &k))
		return NULL;
	if (k) {
		if (k <= d->nstr)
			return d->str[k - 1];
		if (!flaw(d, "string reference past the table"))
			return NULL;
		return "";
	}
	if (!getcount(d, &len, CASEBIN_MAX_STR, "string length"))
		return NULL;
	if (d->nstr == CASEBIN_MAX_STRINGS) {
		fail(d, "more than %d strings", CASEBIN_MAX_STRINGS);
		return NULL;
	}
	if (d->nstr == d->capstr) {
		uint32_t cap = d->capstr ? 2 * d->capstr : 64;
		char **t = realloc(d->str, cap * sizeof *t);
		if (!t) {
			fail(d, "out of memory");
			return NULL;
		}
		d->str = t;
		d->capstr = cap;
	}
	char *s = malloc(len + 1);
	if (!s) {
		fail(d, "out of memory");
		return NULL;
	}
	memcpy(s, d->p, len);
	s[len] = 0;
	d->p += len;
	if (strlen(s) != len && !flaw(d, "NUL byte in a string")) {
		free(s);
		return NULL;
	}
	d->str[d->nstr++] = s;
	return s;
}

/* An expression's tokens, rebuilt as text and held to the parser's rules. */
static char *getexpr(struct dec *d)
{
	uint64_t n;
	if (!getcount(d, &n, CASEBIN_MAX_TOKENS, "expression token"))
		return NULL;
	char text[CASE_MAX_LINE + 1], w[24];
	size_t len = 0;
	bool fits = true;
	for (uint64_t i = 0; i < n; i++) {
		uint8_t t;
		uint64_t v;
		const char *s = w;
		if (!get8(d, &t))
			return NULL;
		if (t == TOK_HEX || t == TOK_DEC) {
			if (!getuv(d, &v))
				return NULL;
			snprintf(w, sizeof w, t == TOK_HEX ? "0x%llx" : "%llu", (unsigned long long)v);
		} else if (t == TOK_WORD) {
			if (!(s = getstr(d)))
				return NULL;
		} else if (t && strchr("()~-|&^+<>", t)) {
			snprintf(w, sizeof w, "%c%c", t, t == '<' || t == '>' ? t : 0);
		} else if (!flaw(d, "unknown expression token")) {
			return NULL;
		} else {
			continue;
		}
		size_t k = strlen(s);
		if (len + k + 1 > CASE_MAX_LINE) {
			fits = false;
			continue;
		}
		memcpy(text + len, s, k);
		text[len + k] = ' ';
		len += k + 1;
	}
	text[len] = 0;
	char msg[160] = "expression too long";
	char *c = fits ? case_expr_canon(text, msg, sizeof msg) : NULL;
	if (c)
		return c;
	if (d->strict) {
		fail(d, "bad expression '%.60s': %s", text, msg);
		return NULL;
	}
	return strdup("0");
}

/* "(" x ")": what repair makes of an expression the text form would
 * read differently where it stands.  Frees x. */
static char *parenthesize(char *x)
{
	size_t n = x ? strlen(x) : 0;
	char *p = x ? malloc(n + 3) : NULL;
	if (p) {
		p[0] = '(';
		memcpy(p + 1, x, n);
		memcpy(p + 1 + n, ")", 2);
	}
	free(x);
	return p;
}

/* A strict decode names its L1/L2 op exactly; a fuzzer's byte picks one
 * of the ops allowed where it stands. */
static int getopcode(struct dec *d, int ctx)
{
	uint64_t v;
	if (!getuv(d, &v))
		return -1;
	if (v < OP_COUNT && op_table[v].ctx == ctx && !(ctx == L2 && v == OP_GUEST))
		return (int)v;
	if (d->strict) {
		if (v >= OP_COUNT)
			fail(d, "unknown opcode %llu", (unsigned long long)v);
		else
			fail(d, "'%s' is not an %s operation", op_table[v].mnem, ctx == L1 ? "L1" : "L2");
		return -1;
	}
	int count = 0;
	for (int i = 0; i < OP_COUNT; i++)
		count += op_table[i].ctx == ctx;
	for (int i = 0, k = (int)(v % (uint64_t)count); i < OP_COUNT; i++)
		if (op_table[i].ctx == ctx && k-- == 0)
			return i;
	return -1;
}

/* `mov crN`: the parser keeps N as a decimal 0..255. */
static bool cr_number_ok(const char *s)
{
	size_t n = strspn(s, "0123456789");
	return n && n <= 3 && !s[n] && (n == 1 || s[0] != '0') && atoi(s) <= 255;
}

static void free_top(struct top *t)
{
	for (int i = 0; i < t->nargs; i++)
		free(t->arg[i]);
	t->nargs = 0;
}

static bool getoperands(struct dec *d, struct top *t)
{
	const char *args = op_table[t->op].args;
	for (int i = 0; args[i]; i++) {
		char *a;
		if (args[i] == 'o') {
			uint8_t present;
			if (!get8(d, &present))
				return false;
			if (present > 1 && !flaw(d, "operand presence byte is not 0 or 1"))
				return false;
			if (!(present & 1))
				break;
		}
		if (args[i] == 't') {
			const char *s = getstr(d);
			if (!s)
				return false;
			if (!template_exists(s)) {
				if (d->strict)
					return fail(d, "unknown template '%.40s'", s);
				s = template_name(0);
			}
			a = strdup(s);
		} else if (!(a = getexpr(d))) {
			return false;
		}
		if (t->op == OP_MOV_CR && i == 0 && a && !cr_number_ok(a)) {
			free(a);
			if (d->strict)
				return fail(d, "'mov crN': N is not a number 0..255");
			a = strdup("0");
		}
		if (t->op == OP_GPR && a && gpr_number(a) < 0) {
			free(a);
			if (d->strict)
				return fail(d, "'gpr': not a register number 0..15 other than 4 (rsp)");
			a = strdup("0");
		}
		if (a && a[0] == '-' && i > 0 && t->op != OP_MOV_CR) {
			/* text puts operands side by side: "wrmsr 1 -2" is 1 - 2 */
			if (d->strict) {
				free(a);
				return fail(d, "operand %d of '%s' starts with '-' (write it in parentheses)", i + 1,
					    op_table[t->op].mnem);
			}
			a = parenthesize(a);
		}
		if (!a)
			return fail(d, "out of memory");
		t->arg[t->nargs++] = a;
	}
	return true;
}

#define GROW(arr, n, cap) \
	((n) < (cap) ? true : ((arr) = realloc((arr), sizeof *(arr) * ((cap) = (cap) ? 2 * (cap) : 16))) != NULL)

static bool getop(struct dec *d, struct tcase *c, int ctx, struct top *t);

static bool getblock(struct dec *d, struct tcase *c, struct top *g)
{
	uint64_t n;
	if (!getcount(d, &n, GUEST_BLOCK_MAX, "guest block operation"))
		return false;
	g->blk = c->nblk;
	for (uint64_t k = 0; k < n; k++) {
		struct top t;
		if (c->nops + c->nblk + 1 >= CASE_MAX_OPS)
			return fail(d, "too many operations in one case");
		if (!getop(d, c, L2, &t))
			return false;
		if (!GROW(c->blk, c->nblk, c->capblk)) {
			free_top(&t);
			return fail(d, "out of memory");
		}
		c->blk[c->nblk++] = t;
		g->nblk++;
	}
	return true;
}

static bool getop(struct dec *d, struct tcase *c, int ctx, struct top *t)
{
	memset(t, 0, sizeof *t);
	uint64_t line;
	int op = getopcode(d, ctx);
	if (op < 0 || !getuv(d, &line))
		return false;
	t->op = (uint16_t)op;
	t->line = line > UINT32_MAX ? (flaw(d, "line number too large"), UINT32_MAX) : (uint32_t)line;
	if (d->failed || !getoperands(d, t) || (op == OP_GUEST && !getblock(d, c, t))) {
		free_top(t);
		return false;
	}
	return true;
}

/* After `exit` the text form reads a leading name as an exit reason's
 * name, so a reason expression cannot start with a letter there. */
static bool exit_reason_expr(struct dec *d, struct tout *o)
{
	if (d->strict)
		return fail(d, "exit reason expression '%.40s' starts with a name (write it in parentheses)",
			    o->num);
	return (o->num = parenthesize(o->num)) != NULL || fail(d, "out of memory");
}

static bool getoutcome(struct dec *d, struct tout *o)
{
	uint8_t kind, b;
	memset(o, 0, sizeof *o);
	if (!get8(d, &kind))
		return false;
	if (kind < OUT_OK || kind > OUT_ABORT) {
		if (!flaw(d, "unknown outcome kind"))
			return false;
		kind = (uint8_t)(OUT_OK + kind % (OUT_ABORT - OUT_OK + 1));
	}
	o->kind = kind;
	switch (kind) {
	case OUT_FAULT:
		if (!get8(d, &o->vector) || !get8(d, &b))
			return false;
		if (!vector_name(o->vector)) {
			if (!flaw(d, "unknown exception vector"))
				return false;
			o->vector = 6;
		}
		if (b > 1 && !flaw(d, "error-code byte is not 0 or 1"))
			return false;
		if (b & 1) {
			o->have = OUTF_ERRCODE;
			return (o->num = getexpr(d)) != NULL;
		}
		return true;
	case OUT_EXIT:
	case OUT_ENTRY_FAIL: {
		uint64_t have;
		if (!(o->num = getexpr(d)) || !getuv(d, &have))
			return false;
		if (kind == OUT_EXIT && isalpha((unsigned char)o->num[0]) && !exit_reason_expr(d, o))
			return false;
		if ((have >> NEXF) && !flaw(d, "unknown exit field bits"))
			return false;
		for (int i = 0; i < NEXF; i++)
			if (have >> i & 1) {
				if (!(o->f[i] = getexpr(d)))
					return false;
				o->have |= (uint16_t)(1u << i);
			}
		return true;
	}
	case OUT_FAIL_VALID:
	case OUT_ABORT:
	case OUT_VALUE:
		return (o->num = getexpr(d)) != NULL;
	default:
		return true;
	}
}

static void free_tout(struct tout *o)
{
	free(o->num);
	for (int k = 0; k < NEXF; k++)
		free(o->f[k]);
}

static bool getexpects(struct dec *d, struct tcase *c, uint32_t op)
{
	uint64_t n;
	if (!getcount(d, &n, CASE_MAX_OPS, "expect"))
		return false;
	for (uint64_t k = 0; k < n; k++) {
		struct texp e = { .op = op };
		uint64_t line, col;
		if (!getuv(d, &line) || !getuv(d, &col) || !get8(d, &e.nalt))
			return false;
		e.line = (uint32_t)line;
		e.col = (uint32_t)col;
		if ((line > UINT32_MAX || col > UINT32_MAX) && !flaw(d, "line or column too large"))
			return false;
		if ((e.nalt == 0 || e.nalt > EXPECT_MAX_ALT) && d->strict)
			return fail(d, "an expect holds 1 to %d outcomes, not %u", EXPECT_MAX_ALT, e.nalt);
		uint8_t want = e.nalt > EXPECT_MAX_ALT ? EXPECT_MAX_ALT : e.nalt;
		bool ok = true;
		for (e.nalt = 0; e.nalt < want && ok; e.nalt++)
			ok = getoutcome(d, &e.alt[e.nalt]);
		if (!ok)
			free_tout(&e.alt[--e.nalt]);
		if (e.nalt && GROW(c->ex, c->nex, c->capex))
			c->ex[c->nex++] = e;
		else
			for (int a = 0; a < e.nalt; a++)
				free_tout(&e.alt[a]);
		if (!ok)
			return false;
	}
	return true;
}

static bool getheader(struct dec *d, struct tcase *c)
{
	uint64_t line, n;
	const char *name = getstr(d);
	if (!name)
		return false;
	if (!case_name_ok(name)) {
		if (d->strict)
			return fail(d, "bad case name '%.40s' (names are [a-z0-9._-]+, < %d characters)", name,
				    CASE_NAME_MAX);
		name = "fuzz";
	}
	if (!(c->name = strdup(name)))
		return fail(d, "out of memory");
	const char *profile = getstr(d);
	if (!profile)
		return false;
	if (*profile && !case_word_ok(profile, CASE_PROFILE_MAX)) {
		if (d->strict)
			return fail(d, "bad profile name '%.40s'", profile);
		profile = "";
	}
	if (!(c->profile = strdup(profile)))
		return fail(d, "out of memory");
	if (!getuv(d, &line))
		return false;
	c->line = (uint32_t)line;
	if (!getcount(d, &n, 1 << 16, "checks"))
		return false;
	for (uint64_t k = 0; k < n; k++) {
		const char *s = getstr(d);
		int r = s ? rule_by_name(s) : -1;
		if (!s)
			return false;
		if ((r < 0 || c->nchecks == 32) && d->strict)
			return fail(d, r < 0 ? "unknown rule '%.60s'" : "more than 32 checks%.0s", s);
		if (r >= 0 && c->nchecks < 32)
			c->checks[c->nchecks++] = (uint16_t)r;
	}
	if (!getcount(d, &n, 1 << 16, "requires"))
		return false;
	for (uint64_t k = 0; k < n; k++) {
		const char *s = getstr(d);
		int ft = s ? caps_feature_by_name(s) : -1;
		if (!s)
			return false;
		if (ft < 0 && d->strict)
			return fail(d, "unknown feature '%.60s'", s);
		if (ft >= 0)
			c->req[ft / 64] |= 1ULL << (ft % 64);
	}
	return true;
}

/* Fills c as far as the bytes go; false when they stopped early. */
static bool getcase(struct dec *d, struct tcase *c)
{
	uint64_t n;
	if (!getheader(d, c) || !getcount(d, &n, CASE_MAX_OPS, "operation"))
		return false;
	for (uint64_t j = 0; j < n; j++) {
		struct top t;
		if (c->nops + c->nblk + 1 >= CASE_MAX_OPS)
			return fail(d, "too many operations in one case");
		/* block ops land in c->blk as they decode; drop them on failure */
		uint32_t nblk0 = c->nblk;
		if (!getop(d, c, L1, &t)) {
			while (c->nblk > nblk0)
				free_top(&c->blk[--c->nblk]);
			return false;
		}
		if (!GROW(c->ops, c->nops, c->capops)) {
			free_top(&t);
			return fail(d, "out of memory");
		}
		c->ops[c->nops++] = t;
		if (!getexpects(d, c, c->nops - 1))
			return false;
	}
	return true;
}

/* The text form is line-based with CASE_MAX_LINE-byte lines: a decoded
 * case whose printed text would break that is a flaw; repair drops
 * trailing operations until it fits. */
static bool text_fits(struct casefile *f, size_t i)
{
	struct casefile one = { .path = f->path, .c = &f->c[i], .n = 1 };
	char *t = casefile_print(&one);
	bool ok = t != NULL;
	for (const char *l = t; ok && *l;) {
		size_t n = strcspn(l, "\n");
		ok = n <= CASE_MAX_LINE;
		l += n + (l[n] == '\n');
	}
	free(t);
	return ok;
}

static void drop_last_op(struct tcase *c)
{
	struct top *t = &c->ops[--c->nops];
	while (c->nex && c->ex[c->nex - 1].op == c->nops) {
		struct texp *e = &c->ex[--c->nex];
		for (int a = 0; a < e->nalt; a++)
			free_tout(&e->alt[a]);
	}
	if (t->op == OP_GUEST)
		while (c->nblk > t->blk)
			free_top(&c->blk[--c->nblk]);
	free_top(t);
}

static int finish(struct dec *d, struct casefile *f)
{
	for (size_t i = 0; i < f->n && !(d->strict && d->failed); i++)
		while (!text_fits(f, i)) {
			if (d->strict || !f->c[i].nops) {
				fail(d, "case '%s': a line of its text form is longer than %d bytes", f->c[i].name,
				     CASE_MAX_LINE);
				break;
			}
			drop_last_op(&f->c[i]);
		}
	if (!d->strict && f->n == 0 && GROW(f->c, f->n, f->cap)) {
		memset(&f->c[0], 0, sizeof f->c[0]);
		f->c[0].name = strdup("fuzz");
		f->c[0].profile = strdup("");
		f->n = f->c[0].name && f->c[0].profile ? 1 : 0;
	}
	return d->strict && d->failed ? -1 : f->n ? 0 : -1;
}

int casefile_decode(const char *path, const uint8_t *buf, size_t len, int strict,
		    struct casefile **out, char *err, size_t errlen)
{
	struct dec d = { .start = buf, .p = buf, .end = buf + len, .strict = strict != 0, .path = path,
			 .err = err, .errlen = errlen };
	struct casefile *f = calloc(1, sizeof *f);
	*out = NULL;
	if (!f || !(f->path = strdup(path))) {
		free(f);
		snprintf(err, errlen, "%s: error: out of memory", path);
		return -1;
	}
	snprintf(err, errlen, "%s: error: empty input", path);
	bool magic = len >= 5 && !memcmp(buf, CASEBIN_MAGIC, 4);
	if (magic)
		d.p += 5;
	uint64_t n = 0;
	if (strict && !magic)
		fail(&d, "not a binary case file (no \"" CASEBIN_MAGIC "\" header)");
	else if (strict && buf[4] != CASEBIN_VERSION)
		fail(&d, "binary case version %u; this nestvmx reads version %d", buf[4], CASEBIN_VERSION);
	else if (getcount(&d, &n, 1 << 20, "case") && strict && n == 0)
		fail(&d, "no case in file");
	for (uint64_t i = 0; i < n && !d.failed; i++) {
		if (!GROW(f->c, f->n, f->cap)) {
			fail(&d, "out of memory");
			break;
		}
		struct tcase *c = &f->c[f->n++];
		memset(c, 0, sizeof *c);
		if (!getcase(&d, c) && (strict || !c->name || !c->profile)) {
			tcase_free(c);
			f->n--;
		}
	}
	if (strict && !d.failed && d.p != d.end)
		fail(&d, "%zu bytes after the last case", (size_t)(d.end - d.p));
	int rc = len ? finish(&d, f) : -1;
	for (uint32_t i = 0; i < d.nstr; i++)
		free(d.str[i]);
	free(d.str);
	if (rc) {
		casefile_free(f);
		return -1;
	}
	*out = f;
	return 0;
}
