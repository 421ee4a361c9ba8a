/* From a parsed case to what backends run (struct rcase): expressions
 * evaluated against the profile, templates expanded; and the canonical
 * text printer. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "case_internal.h"
#include "templates.h"
#include "../refvmm/checks.h"

#define TEMPLATE_MAX 512

static int eval(const char *src, const struct vmx_caps *caps, bool field, uint64_t *v,
		const char *path, uint32_t line, char *err, size_t errlen)
{
	char msg[160];
	if (expr_eval(src, caps, field, v, msg, sizeof msg) == 0)
		return 0;
	snprintf(err, errlen, "%s:%u: error: %s (profile %s)", path, line, msg, caps->name);
	return -1;
}

/* `gpr NAME`: the 64-bit register names in encoding order (Vol. 2 2.1.5);
 * parsed cases keep the number, in decimal.  RSP has no name here: after
 * a VM exit it is HOST_RSP. */
const char *const gpr_names[16] = {
	"rax", "rcx", "rdx", "rbx", "(rsp)", "rbp", "rsi", "rdi",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};

int gpr_number(const char *s)
{
	size_t n = strspn(s, "0123456789");
	if (!n || n > 2 || s[n] || (n == 2 && s[0] == '0'))
		return -1;
	int r = atoi(s);
	return r < 16 && r != 4 ? r : -1;
}

int gpr_by_name(const char *name)
{
	for (int r = 0; r < 16; r++)
		if (r != 4 && !strcmp(name, gpr_names[r]))
			return r;
	return -1;
}

static int resolve_op(const struct top *t, const struct vmx_caps *caps, struct rop *r,
		      const char *path, char *err, size_t errlen)
{
	const struct op_info *oi = &op_table[t->op];
	memset(r, 0, sizeof *r);
	r->op = t->op;
	r->line = t->line;
	for (int i = 0; oi->args[i] && i < 3; i++) {
		if (i >= t->nargs) {
			r->a[i] = oi->def;
			continue;
		}
		if (eval(t->arg[i], caps, oi->args[i] == 'f', &r->a[i], path, t->line, err, errlen))
			return -1;
	}
	return 0;
}

static int resolve_outcome(const struct tout *o, const struct vmx_caps *caps, struct outcome *out,
			   const char *path, uint32_t line, char *err, size_t errlen)
{
	uint64_t v = 0;
	memset(out, 0, sizeof *out);
	out->kind = o->kind;
	out->vector = o->vector;
	out->have = o->have;
	if (o->num && eval(o->num, caps, false, &v, path, line, err, errlen))
		return -1;
	if (o->kind == OUT_VALUE)
		out->value = v;
	else
		out->num = (uint32_t)v;
	uint64_t *w64[] = { &out->qual, &out->gpa, &out->gla };
	uint32_t *w32[] = { &out->len, &out->info, &out->intr, &out->intr_err, &out->idt, &out->idt_err };
	for (int i = 0; i < NEXF; i++) {
		if (!o->f[i])
			continue;
		if (eval(o->f[i], caps, false, &v, path, line, err, errlen))
			return -1;
		if (i < 3)
			*w64[i] = v;
		else
			*w32[i - 3] = (uint32_t)v;
	}
	return 0;
}

static int push(struct rcase *rc, uint32_t *cap, const struct rop *r)
{
	if (rc->nops == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		struct rop *n = realloc(rc->ops, sizeof *n * *cap);
		if (!n)
			return -1;
		rc->ops = n;
	}
	rc->ops[rc->nops++] = *r;
	return 0;
}

int casefile_resolve(const struct casefile *f, size_t i, const struct vmx_caps *caps,
		     struct rcase *rc, char *err, size_t errlen)
{
	const struct tcase *c = &f->c[i];
	memset(rc, 0, sizeof *rc);
	snprintf(rc->name, sizeof rc->name, "%s", c->name);
	snprintf(rc->profile, sizeof rc->profile, "%s", c->profile);
	rc->file = f->path;
	memcpy(rc->requires, c->req, sizeof rc->requires);
	rc->nchecks = c->nchecks;
	memcpy(rc->checks, c->checks, sizeof rc->checks);
	uint32_t cap = 0, *index = calloc(c->nops + 1, sizeof *index);   /* tcase op -> rcase op */
	rc->blocks = calloc(c->nblk + 1, sizeof *rc->blocks);
	rc->expects = calloc(c->nex + 1, sizeof *rc->expects);
	struct rop *tmp = malloc(sizeof *tmp * TEMPLATE_MAX);
	if (!index || !rc->blocks || !rc->expects || !tmp)
		goto oom;
	for (uint32_t j = 0; j < c->nblk; j++)
		if (resolve_op(&c->blk[j], caps, &rc->blocks[j], f->path, err, errlen))
			goto fail;
	rc->nblocks = c->nblk;
	for (uint32_t j = 0; j < c->nops; j++) {
		const struct top *t = &c->ops[j];
		if (t->op == OP_SETUP) {
			int n = template_expand(t->arg[0], caps, t->line, tmp, TEMPLATE_MAX);
			if (n < 0) {
				snprintf(err, errlen, "%s:%u: error: template '%s' cannot be expanded", f->path,
					 t->line, t->arg[0]);
				goto fail;
			}
			for (int k = 0; k < n; k++)
				if (push(rc, &cap, &tmp[k]))
					goto oom;
			index[j] = rc->nops ? rc->nops - 1 : 0;
			continue;
		}
		struct rop r;
		if (resolve_op(t, caps, &r, f->path, err, errlen))
			goto fail;
		if (t->op == OP_GUEST) {
			r.block = rc->blocks + t->blk;
			r.nblock = t->nblk;
		}
		if (push(rc, &cap, &r))
			goto oom;
		index[j] = rc->nops - 1;
	}
	/* blocks may have moved with realloc: ops point into rc->blocks, which did not */
	for (uint32_t j = 0; j < c->nex; j++) {
		const struct texp *e = &c->ex[j];
		struct expect *x = &rc->expects[rc->nexpects++];
		x->rop = index[e->op];
		x->line = e->line;
		x->col = e->col;
		x->nalt = e->nalt;
		for (int a = 0; a < e->nalt; a++)
			if (resolve_outcome(&e->alt[a], caps, &x->alt[a], f->path, e->line, err, errlen))
				goto fail;
	}
	free(index);
	free(tmp);
	return 0;
oom:
	snprintf(err, errlen, "%s: error: out of memory", f->path);
fail:
	free(index);
	free(tmp);
	rcase_free(rc);
	return -1;
}

void rcase_free(struct rcase *c)
{
	free(c->ops);
	free(c->blocks);
	free(c->expects);
	c->ops = c->blocks = NULL;
	c->expects = NULL;
	c->nops = c->nblocks = c->nexpects = 0;
}

void case_result_free(struct case_result *r)
{
	free(r->res);
	r->res = NULL;
	r->nres = 0;
}

/* ---- canonical text ---- */

struct sb { char *s; size_t n, cap; };

static void put(struct sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct sb *b, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		va_start(ap, fmt);
		int n = vsnprintf(b->s ? b->s + b->n : NULL, b->s ? b->cap - b->n : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if (b->s && b->n + (size_t)n < b->cap) {
			b->n += (size_t)n;
			return;
		}
		size_t cap = (b->cap + (size_t)n + 1) * 2;
		char *s = realloc(b->s, cap);
		if (!s)
			return;
		b->s = s;
		b->cap = cap;
	}
}

static void print_op(struct sb *b, const struct top *t)
{
	if (t->op == OP_MOV_CR) {
		put(b, "mov cr%s %s", t->arg[0], t->arg[1]);
		return;
	}
	int r = t->op == OP_GPR && t->nargs == 1 ? gpr_number(t->arg[0]) : -1;
	if (r >= 0) {
		put(b, "gpr %s", gpr_names[r]);
		return;
	}
	put(b, "%s", op_table[t->op].mnem);
	for (int i = 0; i < t->nargs; i++)
		put(b, " %s", t->arg[i]);
}

static void print_outcome(struct sb *b, const struct tout *o)
{
	static const char *const kw[] = { [OUT_OK] = "ok", [OUT_FAIL_INVALID] = "fail_invalid",
		[OUT_FAIL_VALID] = "fail_valid", [OUT_FAULT] = "fault", [OUT_VALUE] = "value",
		[OUT_EXIT] = "exit", [OUT_ENTRY_FAIL] = "entry_fail", [OUT_ABORT] = "abort" };
	put(b, "%s", kw[o->kind] ? kw[o->kind] : "?");
	if (o->kind == OUT_FAULT) {
		put(b, " #%s", vector_name(o->vector));
		if (o->num)
			put(b, "(%s)", o->num);
	} else if (o->kind == OUT_EXIT && o->num) {
		/* a reason written by name is kept as its decimal number */
		bool dec = o->num[strspn(o->num, "0123456789")] == 0 && strlen(o->num) < 6;
		const char *n = dec ? exit_reason_name((uint32_t)strtoul(o->num, NULL, 10)) : NULL;
		put(b, " %s", n ? n : o->num);
	} else if (o->num) {
		put(b, " %s", o->num);
	}
	for (int i = 0; i < NEXF; i++)
		if (o->f[i])
			put(b, " %s=%s", exf_names[i], o->f[i]);
}

char *casefile_print(const struct casefile *f)
{
	struct sb b = { 0 };
	put(&b, "%s", "");
	for (size_t i = 0; i < f->n; i++) {
		const struct tcase *c = &f->c[i];
		put(&b, "%scase %s\n", i ? "\n" : "", c->name);
		if (c->nchecks) {
			put(&b, "checks");
			for (int k = 0; k < c->nchecks; k++)
				put(&b, " %s", rule_table[c->checks[k]].id);
			put(&b, "\n");
		}
		if (c->req[0] | c->req[1]) {
			put(&b, "requires");
			for (int ft = 0; ft < FEAT_COUNT; ft++)
				if (c->req[ft / 64] >> (ft % 64) & 1)
					put(&b, " %s", caps_feature_name((enum vmx_feature)ft));
			put(&b, "\n");
		}
		if (c->profile[0])
			put(&b, "profile %s\n", c->profile);
		for (uint32_t j = 0, e = 0; j < c->nops; j++) {
			const struct top *t = &c->ops[j];
			if (t->op == OP_GUEST) {
				put(&b, "guest {");
				for (uint32_t k = 0; k < t->nblk; k++) {
					put(&b, k ? "; " : " ");
					print_op(&b, &c->blk[t->blk + k]);
				}
				put(&b, " }\n");
			} else {
				print_op(&b, t);
				put(&b, "\n");
			}
			for (; e < c->nex && c->ex[e].op == j; e++) {
				const struct texp *x = &c->ex[e];
				put(&b, "expect ");
				if (x->nalt > 1)
					put(&b, "{ ");
				for (int a = 0; a < x->nalt; a++) {
					if (a)
						put(&b, ", ");
					print_outcome(&b, &x->alt[a]);
				}
				put(&b, x->nalt > 1 ? " }\n" : "\n");
			}
		}
	}
	return b.s;
}
