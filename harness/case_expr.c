/* Expressions of the case language: numbers, symbolic addresses of the
 * test machine, VMCS field names (their encodings), caps.NAME values, and
 * | ^ & << >> + - ~ with C precedence.  Also the name tables that outcome
 * text uses (exit reasons, exception vectors). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "case_internal.h"
#include "../refvmm/testmachine.h"
#include "../refvmm/vmcs_fields.h"

/* Symbolic addresses: the TM_* names of testmachine.h without TM_. */
static const struct { const char *name; uint64_t v; } symbols[] = {
#define S(n) { #n, TM_##n }
	S(VMXON_REGION), S(VMCS0), S(VMCS1), S(SHADOW_VMCS), S(MSR_BITMAP), S(IO_BITMAP_A),
	S(IO_BITMAP_B), S(VMREAD_BITMAP), S(VMWRITE_BITMAP), S(MSR_AREA), S(VIRTUAL_APIC),
	S(APIC_ACCESS), S(PML_BUFFER), S(EPTP_LIST), S(VE_INFO), S(POSTED_INTR_DESC),
	S(EPT_ROOT), S(EPT_PDPT), S(EPT_PD), S(GDT), S(IDT), S(TSS), S(GUEST_IDT),
	S(GUEST_IDT_STUBS), S(PAGE_TABLES), S(HOST_RIP), S(HOST_RSP), S(GUEST_CODE),
	S(GUEST_STACK), S(SCRATCH), S(PT_4K), S(EPT_PT_4K), S(L1_PAE_PDPT),
#undef S
};

const char *const exf_names[NEXF] = { "qual", "gpa", "gla", "len", "info", "intr", "intr_err", "idt", "idt_err" };

static const struct { uint32_t n; const char *name; } exit_names[] = {
#define EXIT_REASON(n, name, text) { n, #name },
#include "../refvmm/exit_reasons.def"
#undef EXIT_REASON
};

const char *exit_reason_name(uint32_t n)
{
	for (size_t i = 0; i < sizeof exit_names / sizeof *exit_names; i++)
		if (exit_names[i].n == n)
			return exit_names[i].name;
	return NULL;
}

int exit_reason_by_name(const char *s)
{
	for (size_t i = 0; i < sizeof exit_names / sizeof *exit_names; i++)
		if (!strcasecmp(exit_names[i].name, s))
			return (int)exit_names[i].n;
	return -1;
}

/* Exception mnemonics, SDM vol. 3 Table 6-1. */
static const char *const vectors[32] = {
	[0] = "DE", [1] = "DB", [2] = "NMI", [3] = "BP", [4] = "OF", [5] = "BR", [6] = "UD",
	[7] = "NM", [8] = "DF", [10] = "TS", [11] = "NP", [12] = "SS", [13] = "GP", [14] = "PF",
	[16] = "MF", [17] = "AC", [18] = "MC", [19] = "XM", [20] = "VE", [21] = "CP",
};

const char *vector_name(unsigned v) { return v < 32 ? vectors[v] : NULL; }

int vector_by_name(const char *s)
{
	for (int v = 0; v < 32; v++)
		if (vectors[v] && !strcmp(vectors[v], s))
			return v;
	return -1;
}

/* ---- evaluation ---- */

struct ev {
	const char *p;
	const struct vmx_caps *caps;
	bool field_first;
	int depth;
	char *err;
	size_t errlen;
	bool failed;
};

static void ev_fail(struct ev *e, const char *msg, const char *what, size_t n)
{
	if (!e->failed)
		snprintf(e->err, e->errlen, "%s '%.*s'", msg, (int)(n > 64 ? 64 : n), what);
	e->failed = true;
}

static void skip(struct ev *e)
{
	while (*e->p == ' ' || *e->p == '\t')
		e->p++;
}

static bool ident_char(char c) { return isalnum((unsigned char)c) || c == '_' || c == '.'; }

static uint64_t ident_value(struct ev *e, const char *s, size_t n)
{
	char name[96];
	if (n >= sizeof name) {
		ev_fail(e, "name too long", s, n);
		return 0;
	}
	memcpy(name, s, n);
	name[n] = 0;
	uint64_t v = 0;
	if (n > 5 && !strncmp(name, "caps.", 5)) {
		if (!e->caps)
			return 0;   /* checked for syntax only */
		if (caps_value(e->caps, name + 5, n - 5, &v) != 0)
			ev_fail(e, "unknown capability value", s, n);
		return v;
	}
	int f = vmcs_field_by_name(name);
	if (f >= 0 && e->field_first)
		return vmcs_field_table[f].enc;
	for (size_t i = 0; i < sizeof symbols / sizeof *symbols; i++)
		if (!strcmp(symbols[i].name, name))
			return symbols[i].v;
	if (f >= 0)
		return vmcs_field_table[f].enc;
	ev_fail(e, "unknown name", s, n);
	return 0;
}

static uint64_t parse_or(struct ev *e);

static uint64_t primary(struct ev *e)
{
	skip(e);
	const char *s = e->p;
	if (++e->depth > EXPR_MAX_DEPTH) {
		ev_fail(e, "expression nested too deeply at", s, 1);
		return 0;
	}
	uint64_t v = 0;
	if (*s == '(') {
		e->p++;
		v = parse_or(e);
		skip(e);
		if (*e->p != ')')
			ev_fail(e, "expected ')' at", e->p, 1);
		else
			e->p++;
	} else if (*s == '~' || *s == '-') {
		e->p++;
		v = primary(e);
		v = *s == '~' ? ~v : (uint64_t)0 - v;
	} else if (isdigit((unsigned char)*s)) {
		char *end;
		errno = 0;
		unsigned long long x = strtoull(s, &end, 0);
		if (end == s || ident_char(*end) || errno == ERANGE)
			ev_fail(e, "bad number", s, (size_t)(end - s) + 1);
		v = x;
		e->p = end;
	} else if (isalpha((unsigned char)*s) || *s == '_') {
		while (ident_char(*e->p))
			e->p++;
		v = ident_value(e, s, (size_t)(e->p - s));
	} else {
		ev_fail(e, "expected a value at", s, *s ? 1 : 0);
	}
	e->depth--;
	return v;
}

static uint64_t parse_add(struct ev *e)
{
	uint64_t v = primary(e);
	for (;;) {
		skip(e);
		char c = *e->p;
		if (c != '+' && c != '-')
			return v;
		e->p++;
		uint64_t r = primary(e);
		v = c == '+' ? v + r : v - r;
	}
}

static uint64_t parse_shift(struct ev *e)
{
	uint64_t v = parse_add(e);
	for (;;) {
		skip(e);
		bool l = !strncmp(e->p, "<<", 2), r = !strncmp(e->p, ">>", 2);
		if (!l && !r)
			return v;
		e->p += 2;
		uint64_t n = parse_add(e);
		v = n > 63 ? 0 : l ? v << n : v >> n;
	}
}

#define BINOP(name, next, ch, expr) \
	static uint64_t name(struct ev *e) \
	{ \
		uint64_t v = next(e); \
		for (;;) { \
			skip(e); \
			if (*e->p != ch || (ch == '&' && e->p[1] == '&')) \
				return v; \
			e->p++; \
			uint64_t r = next(e); \
			v = expr; \
		} \
	}
BINOP(parse_and, parse_shift, '&', v & r)
BINOP(parse_xor, parse_and, '^', v ^ r)
BINOP(parse_or, parse_xor, '|', v | r)

int expr_eval(const char *src, const struct vmx_caps *caps, bool field_first,
	      uint64_t *out, char *err, size_t errlen)
{
	struct ev e = { src, caps, field_first, 0, err, errlen, false };
	uint64_t v = parse_or(&e);
	skip(&e);
	if (!e.failed && *e.p)
		ev_fail(&e, "unexpected", e.p, strlen(e.p));
	if (e.failed)
		return -1;
	*out = v;
	return 0;
}
