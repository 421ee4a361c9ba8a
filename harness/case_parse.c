/* The text form of cases: a line-oriented parser with file:line:col
 * errors.  Expressions are split off by their grammar (an operand ends
 * where the expression cannot go on) and kept as canonical text. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "case_bin.h"
#include "case_internal.h"
#include "../refvmm/caps.h"
#include "../refvmm/checks.h"
#include "templates.h"

struct ps {
	const char *path;
	const char *line0, *p;       /* current line and cursor */
	uint32_t line;
	struct casefile *f;
	struct tcase *c;             /* current case */
	bool in_block;
	uint32_t guest_op;           /* index of the open OP_GUEST */
	uint32_t open_line, open_col;  /* where it opened */
	char *err;
	size_t errlen;
	bool failed;
};

static void perr(struct ps *s, const char *at, const char *fmt, ...)
{
	if (s->failed)
		return;
	s->failed = true;
	int n = snprintf(s->err, s->errlen, "%s:%u:%u: error: ", s->path, s->line,
			 (unsigned)(at - s->line0) + 1);
	va_list ap;
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < s->errlen)
		vsnprintf(s->err + n, s->errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

static void skipws(struct ps *s)
{
	while (*s->p == ' ' || *s->p == '\t' || *s->p == '\r')
		s->p++;
}

static bool at_end(struct ps *s)
{
	skipws(s);
	return *s->p == 0 || *s->p == ';' || *s->p == '}';
}

static bool word_char(char c) { return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '-'; }

/* A bare word (names, mnemonics, rule IDs); "" when none. */
static size_t word(struct ps *s, char *out, size_t cap)
{
	skipws(s);
	size_t n = 0;
	while (word_char(s->p[n]) && !(s->p[n] == '-' && n == 0))
		n++;
	if (n >= cap)
		n = cap - 1;
	memcpy(out, s->p, n);
	out[n] = 0;
	s->p += n;
	return n;
}

/* ---- expressions: scan by the grammar of case_expr.c ---- */

static bool scan_primary(struct ps *s, int depth);

static bool scan_expr(struct ps *s, int depth)
{
	if (!scan_primary(s, depth))
		return false;
	for (;;) {
		const char *save = s->p;
		skipws(s);
		const char *q = s->p;
		size_t n = (!strncmp(q, "<<", 2) || !strncmp(q, ">>", 2)) ? 2 :
			   (*q == '|' || *q == '&' || *q == '^' || *q == '+' || *q == '-') ? 1 : 0;
		if (!n) {
			s->p = save;
			return true;
		}
		s->p += n;
		if (!scan_primary(s, depth))
			return false;
	}
}

static bool scan_primary(struct ps *s, int depth)
{
	skipws(s);
	if (depth > EXPR_MAX_DEPTH) {
		perr(s, s->p, "expression nested too deeply");
		return false;
	}
	char c = *s->p;
	if (c == '(') {
		s->p++;
		if (!scan_expr(s, depth + 1))
			return false;
		skipws(s);
		if (*s->p != ')') {
			perr(s, s->p, "expected ')'");
			return false;
		}
		s->p++;
		return true;
	}
	if (c == '~' || c == '-') {
		s->p++;
		return scan_primary(s, depth + 1);
	}
	if (isalnum((unsigned char)c) || c == '_') {
		while (isalnum((unsigned char)*s->p) || *s->p == '_' || *s->p == '.')
			s->p++;
		return true;
	}
	perr(s, s->p, c ? "expected an expression at '%c'" : "expected an expression", c);
	return false;
}

/* Canonical text of s->p..end: single spaces around binary operators. */
static char *canon(const char *a, const char *b)
{
	char *out = malloc((size_t)(b - a) * 3 + 1), *o = out;
	if (!out)
		return NULL;
	char prev = 0;   /* 'v' after a value or ')', 'o' after an operator or '(' */
	for (const char *q = a; q < b;) {
		if (*q == ' ' || *q == '\t') {
			q++;
			continue;
		}
		bool bin = prev == 'v' && (*q == '|' || *q == '&' || *q == '^' || *q == '+' || *q == '-' ||
					   !strncmp(q, "<<", 2) || !strncmp(q, ">>", 2));
		if (bin) {
			size_t n = (*q == '<' || *q == '>') ? 2 : 1;
			*o++ = ' ';
			memcpy(o, q, n);
			o += n;
			*o++ = ' ';
			q += n;
			prev = 'o';
		} else if (*q == '(' || *q == '~' || *q == '-') {
			*o++ = *q++;
			prev = 'o';
		} else if (*q == ')') {
			*o++ = *q++;
			prev = 'v';
		} else {
			while (q < b && (isalnum((unsigned char)*q) || *q == '_' || *q == '.'))
				*o++ = *q++;
			prev = 'v';
		}
	}
	*o = 0;
	return out;
}

static char *expr(struct ps *s)
{
	skipws(s);
	const char *a = s->p;
	if (!scan_expr(s, 0))
		return NULL;
	/* validate names now (no profile: caps.X is checked at resolve time) */
	char *t = canon(a, s->p), msg[160];
	uint64_t v;
	if (t && expr_eval(t, NULL, false, &v, msg, sizeof msg) != 0) {
		perr(s, a, "%s", msg);
		free(t);
		return NULL;
	}
	return t;
}

/* A whole string as one expression: its canonical text (malloc'd), or
 * NULL with a message.  The binary decoder holds decoded expressions to
 * exactly what the text parser would accept. */
char *case_expr_canon(const char *src, char *err, size_t errlen)
{
	struct ps s = { .path = "", .line0 = src, .p = src, .err = err, .errlen = errlen };
	char *t = expr(&s);
	if (t && (skipws(&s), *s.p)) {
		snprintf(err, errlen, "unexpected '%.20s' after the expression", s.p);
		free(t);
		return NULL;
	}
	if (!t && s.failed) {   /* drop the "file:line:col: error: " prefix */
		const char *m = strstr(err, "error: ");
		if (m)
			memmove(err, m + 7, strlen(m + 7) + 1);
	}
	return t;
}

bool case_name_ok(const char *name)
{
	if (!*name || strlen(name) >= CASE_NAME_MAX)
		return false;
	for (const char *q = name; *q; q++)
		if (!(islower((unsigned char)*q) || isdigit((unsigned char)*q) || strchr("._-", *q)))
			return false;
	return name[0] != '-';
}

bool case_word_ok(const char *w, size_t cap)
{
	size_t n = strlen(w);
	if (!n || n >= cap || w[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!word_char(w[i]))
			return false;
	return true;
}

/* ---- building the case ---- */

#define GROW(arr, n, cap) \
	((n) < (cap) ? true : ((arr) = realloc((arr), sizeof *(arr) * ((cap) = (cap) ? 2 * (cap) : 16))) != NULL)

static struct top *new_op(struct ps *s, uint16_t op)
{
	struct tcase *c = s->c;
	if (c->nops + c->nblk >= CASE_MAX_OPS) {
		perr(s, s->p, "too many operations in one case (max %d)", CASE_MAX_OPS);
		return NULL;
	}
	struct top *t;
	if (s->in_block) {
		if (c->ops[s->guest_op].nblk >= GUEST_BLOCK_MAX) {
			perr(s, s->p, "guest block longer than %d operations", GUEST_BLOCK_MAX);
			return NULL;
		}
		if (!GROW(c->blk, c->nblk, c->capblk))
			return NULL;
		t = &c->blk[c->nblk++];
		c->ops[s->guest_op].nblk++;
	} else {
		if (!GROW(c->ops, c->nops, c->capops))
			return NULL;
		t = &c->ops[c->nops++];
	}
	memset(t, 0, sizeof *t);
	t->op = op;
	t->line = s->line;
	return t;
}

static int find_op(const char *mnem, int ctx)
{
	for (int i = 0; i < OP_COUNT; i++)
		if (op_table[i].ctx == ctx && !strcmp(op_table[i].mnem, mnem))
			return i;
	return -1;
}

static void parse_operands(struct ps *s, struct top *t, const char *at)
{
	const char *args = op_table[t->op].args;
	for (int i = 0; args[i]; i++) {
		if (args[i] == 'o' && at_end(s))
			break;
		if (at_end(s)) {
			perr(s, s->p, "'%s' needs %d operand(s)", op_table[t->op].mnem, (int)strlen(args));
			return;
		}
		if (args[i] == 't') {
			char w[64];
			const char *wa = s->p;
			if (!word(s, w, sizeof w) || !template_exists(w)) {
				perr(s, wa, "unknown template '%s'", w);
				return;
			}
			t->arg[t->nargs++] = strdup(w);
			continue;
		}
		char *e = expr(s);
		if (!e)
			return;
		t->arg[t->nargs++] = e;
	}
	(void)at;
}

static void parse_mov_cr(struct ps *s, const char *at)
{
	skipws(s);
	if (strncmp(s->p, "cr", 2) || !isdigit((unsigned char)s->p[2])) {
		perr(s, s->p, "expected crN after 'mov'");
		return;
	}
	char n[8];
	snprintf(n, sizeof n, "%d", atoi(s->p + 2) & 0xff);
	s->p += 2;
	while (isdigit((unsigned char)*s->p))
		s->p++;
	struct top *t = new_op(s, OP_MOV_CR);
	if (!t)
		return;
	t->arg[t->nargs++] = strdup(n);
	char *e = at_end(s) ? NULL : expr(s);
	if (!e) {
		perr(s, at, "'mov crN' needs a value");
		return;
	}
	t->arg[t->nargs++] = e;
}

/* `gpr NAME`: kept as the register's number (case.h gpr_names). */
static void parse_gpr(struct ps *s, const char *at)
{
	char w[16], n[12];
	skipws(s);
	const char *wa = s->p;
	word(s, w, sizeof w);
	int r = gpr_by_name(w);
	if (r < 0) {
		perr(s, wa, "'gpr' takes rax, rbx, rcx, rdx, rsi, rdi, rbp or r8-r15 (after a VM exit RSP is HOST_RSP: vmread it)");
		return;
	}
	struct top *t = new_op(s, OP_GPR);
	if (!t)
		return;
	snprintf(n, sizeof n, "%d", r);
	t->arg[t->nargs++] = strdup(n);
	(void)at;
}

/* ---- outcomes ---- */

static bool parse_outcome(struct ps *s, struct tout *o)
{
	char w[32];
	const char *at = s->p;
	memset(o, 0, sizeof *o);
	word(s, w, sizeof w);
	if (!strcmp(w, "ok")) { o->kind = OUT_OK; return true; }
	if (!strcmp(w, "fail_invalid")) { o->kind = OUT_FAIL_INVALID; return true; }
	if (!strcmp(w, "fail_valid") || !strcmp(w, "entry_fail") || !strcmp(w, "abort") || !strcmp(w, "value")) {
		o->kind = w[0] == 'f' ? OUT_FAIL_VALID : w[0] == 'e' ? OUT_ENTRY_FAIL : w[0] == 'a' ? OUT_ABORT : OUT_VALUE;
		o->num = expr(s);
		if (!o->num)
			return false;
		if (o->kind != OUT_ENTRY_FAIL)
			return true;
	} else if (!strcmp(w, "fault")) {
		skipws(s);
		const char *va = s->p;
		if (*s->p++ != '#') {
			perr(s, va, "expected an exception like #UD or #GP(0)");
			return false;
		}
		char v[8];
		word(s, v, sizeof v);
		int vec = vector_by_name(v);
		if (vec < 0) {
			perr(s, va, "unknown exception '#%s'", v);
			return false;
		}
		o->kind = OUT_FAULT;
		o->vector = (uint8_t)vec;
		if (*s->p == '(') {
			s->p++;
			o->num = expr(s);
			if (!o->num)
				return false;
			skipws(s);
			if (*s->p++ != ')') {
				perr(s, s->p - 1, "expected ')'");
				return false;
			}
			o->have |= OUTF_ERRCODE;
		}
		return true;
	} else if (!strcmp(w, "exit")) {
		o->kind = OUT_EXIT;
		skipws(s);
		const char *na = s->p;
		char name[32];
		if (isalpha((unsigned char)*s->p) && word(s, name, sizeof name)) {
			int r = exit_reason_by_name(name);
			if (r < 0) {
				perr(s, na, "unknown exit reason '%s'", name);
				return false;
			}
			char num[12];
			snprintf(num, sizeof num, "%d", r);
			o->num = strdup(num);
		} else if (!(o->num = expr(s))) {
			return false;
		}
	} else {
		perr(s, at, "unknown outcome '%s'", w);
		return false;
	}
	/* exit/entry_fail fields: key=EXPR */
	while (!at_end(s) && *s->p != ',') {
		const char *ka = s->p;
		char k[16];
		word(s, k, sizeof k);
		int i = 0;
		while (i < NEXF && strcmp(exf_names[i], k))
			i++;
		skipws(s);
		if (i == NEXF || *s->p != '=') {
			perr(s, ka, "expected a field like qual=EXPR");
			return false;
		}
		s->p++;
		free(o->f[i]);
		if (!(o->f[i] = expr(s)))
			return false;
		o->have |= (uint16_t)(1u << i);
	}
	return true;
}

static void parse_expect(struct ps *s, const char *at)
{
	struct tcase *c = s->c;
	if (s->in_block || c->nops == 0) {
		perr(s, at, s->in_block ? "'expect' inside a guest block" : "'expect' before any operation");
		return;
	}
	if (!GROW(c->ex, c->nex, c->capex))
		return;
	struct texp *e = &c->ex[c->nex++];
	memset(e, 0, sizeof *e);
	e->op = c->nops - 1;
	e->line = s->line;
	e->col = (uint32_t)(at - s->line0) + 1;
	skipws(s);
	bool set = *s->p == '{';
	if (set)
		s->p++;
	do {
		skipws(s);
		if (e->nalt == EXPECT_MAX_ALT) {
			perr(s, s->p, "at most %d outcomes in a set", EXPECT_MAX_ALT);
			return;
		}
		if (!parse_outcome(s, &e->alt[e->nalt++]))
			return;
		skipws(s);
	} while (set && *s->p == ',' && s->p++);
	if (set && *s->p++ != '}')
		perr(s, s->p - 1, "expected '}' closing the outcome set");
}

/* ---- header lines ---- */

static void parse_case(struct ps *s, const char *at)
{
	char name[CASE_NAME_MAX + 1];
	skipws(s);
	const char *na = s->p;
	if (!word(s, name, sizeof name)) {
		perr(s, at, "'case' needs a name");
		return;
	}
	if (!case_name_ok(name)) {
		perr(s, na, strlen(name) >= CASE_NAME_MAX ? "case name longer than %d characters"
							 : "case names are [a-z0-9._-]+", CASE_NAME_MAX - 1);
		return;
	}
	if (s->in_block) {
		perr(s, at, "unterminated guest block before 'case'");
		return;
	}
	struct casefile *f = s->f;
	if (!GROW(f->c, f->n, f->cap))
		return;
	s->c = &f->c[f->n++];
	memset(s->c, 0, sizeof *s->c);
	s->c->name = strdup(name);
	s->c->profile = strdup("");
	s->c->line = s->line;
}

static void parse_header(struct ps *s, const char *kw, const char *at)
{
	struct tcase *c = s->c;
	char w[CASE_PROFILE_MAX + 1];
	if (!strcmp(kw, "profile")) {
		const char *wa = s->p;
		if (!word(s, w, sizeof w))
			perr(s, at, "'profile' needs a name");
		else if (strlen(w) >= CASE_PROFILE_MAX)
			perr(s, wa, "profile name longer than %d characters", CASE_PROFILE_MAX - 1);
		free(c->profile);
		c->profile = strdup(w);
		return;
	}
	bool checks = !strcmp(kw, "checks");
	while (!at_end(s) && !s->failed) {
		const char *wa = s->p;
		if (!word(s, w, sizeof w)) {
			perr(s, wa, "unexpected '%c'", *s->p);
			return;
		}
		if (checks) {
			int r = rule_by_name(w);
			if (r < 0)
				perr(s, wa, "unknown rule '%s'", w);
			else if (c->nchecks < 32)
				c->checks[c->nchecks++] = (uint16_t)r;
		} else {
			int ft = caps_feature_by_name(w);
			if (ft < 0)
				perr(s, wa, "unknown feature '%s'", w);
			else
				c->req[ft / 64] |= 1ULL << (ft % 64);
		}
	}
}

static void statement(struct ps *s)
{
	const char *at = s->p;
	if (*s->p == '}') {
		if (!s->in_block)
			perr(s, at, "'}' without an open guest block");
		s->in_block = false;
		s->p++;
		return;
	}
	char kw[32];
	if (!word(s, kw, sizeof kw)) {
		perr(s, at, "unexpected '%c'", *s->p);
		return;
	}
	if (!strcmp(kw, "case"))
		return parse_case(s, at);
	if (!s->c) {
		perr(s, at, "'%s' before the first 'case'", kw);
		return;
	}
	if (!s->in_block && (!strcmp(kw, "checks") || !strcmp(kw, "requires") || !strcmp(kw, "profile")))
		return parse_header(s, kw, at);
	if (!strcmp(kw, "expect"))
		return parse_expect(s, at);
	if (!s->in_block && !strcmp(kw, "mov"))
		return parse_mov_cr(s, at);
	if (!s->in_block && !strcmp(kw, "gpr"))
		return parse_gpr(s, at);
	if (!s->in_block && !strcmp(kw, "guest")) {
		skipws(s);
		if (*s->p != '{') {
			perr(s, s->p, "expected '{' after 'guest'");
			return;
		}
		s->p++;
		struct top *t = new_op(s, OP_GUEST);
		if (!t)
			return;
		t->blk = s->c->nblk;
		s->guest_op = s->c->nops - 1;
		s->in_block = true;
		s->open_line = s->line;
		s->open_col = (uint32_t)(at - s->line0) + 1;
		return;
	}
	int op = find_op(kw, s->in_block ? L2 : L1);
	if (op < 0) {
		int other = find_op(kw, s->in_block ? L1 : L2);
		perr(s, at, other >= 0 ? (s->in_block ? "'%s' is an L1 operation: not inside guest { }"
							: "'%s' is an L2 operation: only inside guest { }")
				       : "unknown operation '%s'", kw);
		return;
	}
	struct top *t = new_op(s, (uint16_t)op);
	if (t)
		parse_operands(s, t, at);
}

static void parse_line(struct ps *s)
{
	while (!s->failed) {
		skipws(s);
		if (*s->p == 0 || (*s->p == '#' && !isupper((unsigned char)s->p[1])))
			return;
		if (*s->p == ';') {
			s->p++;
			continue;
		}
		bool was_in_block = s->in_block;
		statement(s);
		if (s->failed)
			return;
		skipws(s);
		if (s->in_block && !was_in_block)
			continue;   /* ops may follow `guest {` on the same line */
		if (*s->p && *s->p != ';' && *s->p != '}' && *s->p != '#') {
			perr(s, s->p, "unexpected '%.20s'", s->p);
			return;
		}
		if (*s->p == '#' && !isupper((unsigned char)s->p[1]))
			return;
	}
}

int casefile_parse(const char *path, const char *text, size_t len,
		   struct casefile **out, char *err, size_t errlen)
{
	struct casefile *f = calloc(1, sizeof *f);
	char *buf = malloc(CASE_MAX_LINE + 1);
	struct ps s = { .path = path, .f = f, .err = err, .errlen = errlen };
	*out = NULL;
	if (!f || !buf) {
		free(f);
		free(buf);
		snprintf(err, errlen, "%s: error: out of memory", path);
		return -1;
	}
	f->path = strdup(path);
	for (size_t pos = 0; pos < len && !s.failed;) {
		size_t n = 0;
		while (pos + n < len && text[pos + n] != '\n')
			n++;
		s.line++;
		if (n > CASE_MAX_LINE) {
			s.line0 = s.p = "";
			perr(&s, s.p, "line longer than %d bytes", CASE_MAX_LINE);
			break;
		}
		memcpy(buf, text + pos, n);
		buf[n] = 0;
		if (memchr(buf, 0, n)) {
			s.line0 = s.p = buf;
			perr(&s, buf + strlen(buf), "NUL byte in text");
			break;
		}
		s.line0 = s.p = buf;
		parse_line(&s);
		pos += n + 1;
	}
	if (!s.failed && s.in_block) {
		s.failed = true;
		snprintf(err, errlen, "%s:%u:%u: error: guest block not closed with '}'", path, s.open_line,
			 s.open_col);
	}
	if (!s.failed && f->n == 0) {
		s.line0 = s.p = "";
		perr(&s, s.p, "no 'case' in file");
	}
	free(buf);
	if (s.failed) {
		casefile_free(f);
		return -1;
	}
	*out = f;
	return 0;
}

static void free_top(struct top *t)
{
	for (int i = 0; i < t->nargs; i++)
		free(t->arg[i]);
}

void tcase_free(struct tcase *c)
{
	for (uint32_t j = 0; j < c->nops; j++)
		free_top(&c->ops[j]);
	for (uint32_t j = 0; j < c->nblk; j++)
		free_top(&c->blk[j]);
	for (uint32_t j = 0; j < c->nex; j++)
		for (int a = 0; a < c->ex[j].nalt; a++) {
			free(c->ex[j].alt[a].num);
			for (int k = 0; k < NEXF; k++)
				free(c->ex[j].alt[a].f[k]);
		}
	free(c->ops);
	free(c->blk);
	free(c->ex);
	free(c->name);
	free(c->profile);
	memset(c, 0, sizeof *c);
}

void casefile_free(struct casefile *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++)
		tcase_free(&f->c[i]);
	free(f->c);
	free(f->path);
	free(f);
}

/* Text or binary, by the binary form's magic. */
int casefile_load(const char *path, struct casefile **out, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "rb");
	*out = NULL;
	if (!fp) {
		snprintf(err, errlen, "%s: error: cannot open", path);
		return -1;
	}
	size_t n = 0, cap = 0;
	char *buf = NULL;
	for (;;) {
		if (n == cap) {
			char *b = cap < CASE_MAX_FILE ? realloc(buf, cap = cap ? 2 * cap : 65536) : NULL;
			if (!b) {
				fclose(fp);
				free(buf);
				snprintf(err, errlen, "%s: error: %s", path,
					 cap >= CASE_MAX_FILE ? "file larger than 64 MiB" : "out of memory");
				return -1;
			}
			buf = b;
		}
		size_t got = fread(buf + n, 1, cap - n, fp);
		n += got;
		if (got == 0)
			break;
	}
	bool failed = ferror(fp);
	fclose(fp);
	int rc = -1;
	if (failed)
		snprintf(err, errlen, "%s: error: read error", path);
	else if (n >= 4 && !memcmp(buf, CASEBIN_MAGIC, 4))
		rc = casefile_decode(path, (const uint8_t *)buf, n, 1, out, err, errlen);
	else
		rc = casefile_parse(path, buf ? buf : "", n, out, err, errlen);
	free(buf);
	return rc;
}

size_t casefile_ncases(const struct casefile *f) { return f ? f->n : 0; }
const char *casefile_path(const struct casefile *f) { return f->path; }
const char *casefile_case_name(const struct casefile *f, size_t i) { return f->c[i].name; }
const char *casefile_case_profile(const struct casefile *f, size_t i) { return f->c[i].profile; }
uint32_t casefile_case_line(const struct casefile *f, size_t i) { return f->c[i].line; }
