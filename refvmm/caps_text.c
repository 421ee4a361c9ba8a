/* The capability profile text format (shared/reference/bochs-caps.txt):
 *
 *   [bochs-corei7_skylake_x]            a profile; name [A-Za-z0-9_.+-]{1,63}
 *   # CPUID.1.EAX = 0x00050654          comment; this exact shape is a fact
 *   0x480 0x00d810000000002b IA32_VMX_BASIC     MSR line (name optional,
 *   0x491 absent IA32_VMX_VMFUNC                checked when given)
 *
 * and two additions for facts the MSR dumps lack:
 *
 *   cpuid 0x80000008 eax 0x00003028     CPUID leaf (sub-leaf 0) register value
 *   0x3a 0x5 IA32_FEATURE_CONTROL       as firmware left it
 *
 * and one for profiles derived from another (corpora/caps/variants.txt):
 *
 *   from bochs-corei7_skylake_x         first line of a section: start as a
 *                                       copy of that profile (an earlier
 *                                       section, else a built-in); each
 *                                       line after it replaces one fact
 *
 * Kept CPUID facts: 1.EAX 1.ECX 1.EDX 7.EBX 7.ECX 80000008.EAX (bits 15:0:
 * MAXPHYADDR and linear-address width).  Input is hostile: every error is
 * reported as "line:col: message", nothing is trusted. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "caps.h"

enum cpuid_fact { CF_1_EAX, CF_1_ECX, CF_1_EDX, CF_7_EBX, CF_7_ECX, CF_80000008_EAX, CF_COUNT };

static const struct {
	uint32_t leaf;
	const char *reg;
} cpuid_facts[CF_COUNT] = {
	[CF_1_EAX] = { 1, "eax" }, [CF_1_ECX] = { 1, "ecx" }, [CF_1_EDX] = { 1, "edx" },
	[CF_7_EBX] = { 7, "ebx" }, [CF_7_ECX] = { 7, "ecx" },
	[CF_80000008_EAX] = { 0x80000008u, "eax" },
};

struct parser {
	const char *line, *end;        /* current line [line, end) */
	unsigned lineno;
	char *err;
	size_t errlen;
	/* per profile: what was already given, to refuse duplicates */
	uint32_t msr_seen, cpuid_seen;
	bool fc_seen, from_seen;
};

__attribute__((format(printf, 3, 4)))
static int fail(struct parser *p, const char *at, const char *fmt, ...)
{
	if (p->err && p->errlen) {
		int n = snprintf(p->err, p->errlen, "%u:%u: ", p->lineno,
				 (unsigned)(at - p->line) + 1);
		if (n >= 0 && (size_t)n < p->errlen) {
			va_list ap;
			va_start(ap, fmt);
			vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
			va_end(ap);
		}
		for (char *q = p->err; *q; q++)   /* messages quote hostile text */
			if ((unsigned char)*q < 0x20 || (unsigned char)*q >= 0x7f)
				*q = '?';
	}
	return -1;
}

static bool is_blank(char ch) { return ch == ' ' || ch == '\t' || ch == '\r'; }

static const char *skip_blank(const char *s, const char *end)
{
	while (s < end && is_blank(*s))
		s++;
	return s;
}

/* The next token at or after *s; advances *s past it.  Length 0 at end. */
static size_t token(const char **s, const char *end, const char **tok)
{
	const char *t = skip_blank(*s, end), *e = t;
	while (e < end && !is_blank(*e))
		e++;
	*tok = t;
	*s = e;
	return (size_t)(e - t);
}

static bool tok_is(const char *t, size_t n, const char *word)
{
	return strlen(word) == n && strncasecmp(t, word, n) == 0;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9') return ch - '0';
	if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
	return -1;
}

/* 0x-prefixed hex, or decimal; all n characters must be digits. */
static bool parse_u64(const char *t, size_t n, bool hex_default, uint64_t *out)
{
	unsigned base = hex_default ? 16 : 10;
	if (n > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) {
		base = 16;
		t += 2;
		n -= 2;
	}
	if (n == 0)
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		int d = hexval(t[i]);
		if (d < 0 || (unsigned)d >= base || v > (UINT64_MAX - (unsigned)d) / base)
			return false;
		v = v * base + (unsigned)d;
	}
	*out = v;
	return true;
}

static int cpuid_fact_index(uint32_t leaf, const char *reg, size_t n)
{
	for (int i = 0; i < CF_COUNT; i++)
		if (cpuid_facts[i].leaf == leaf && tok_is(reg, n, cpuid_facts[i].reg))
			return i;
	return -1;
}

static bool is_reg(const char *t, size_t n)
{
	return tok_is(t, n, "eax") || tok_is(t, n, "ebx") || tok_is(t, n, "ecx") || tok_is(t, n, "edx");
}

static int set_cpuid(struct parser *p, struct vmx_caps *c, int f, uint64_t v, const char *at)
{
	if (v > UINT32_MAX)
		return fail(p, at, "CPUID value 0x%" PRIx64 " exceeds 32 bits", v);
	if ((p->cpuid_seen >> f) & 1)
		return fail(p, at, "CPUID.%" PRIx32 ".%s given twice",
			    cpuid_facts[f].leaf, cpuid_facts[f].reg);
	p->cpuid_seen |= 1u << f;
	uint32_t x = (uint32_t)v;
	switch ((enum cpuid_fact)f) {
	case CF_1_EAX: c->cpuid1_eax = x; break;
	case CF_1_ECX: c->cpuid1_ecx = x; break;
	case CF_1_EDX: c->cpuid1_edx = x; break;
	case CF_7_EBX: c->cpuid7_ebx = x; break;
	case CF_7_ECX: c->cpuid7_ecx = x; break;
	case CF_80000008_EAX:   /* bits 31:16 are not kept */
		c->maxphyaddr = (uint8_t)x;
		c->linaddr = (uint8_t)(x >> 8);
		if (c->maxphyaddr > 52)   /* SDM 4.1.4: at most 52 */
			return fail(p, at, "MAXPHYADDR %u exceeds 52", c->maxphyaddr);
		break;
	case CF_COUNT: break;
	}
	return 0;
}

/* "# CPUID.<hex leaf>.<reg> = <value>" is a fact (the probe writes them so);
 * any other comment, or a fact this format does not keep, is ignored. */
static int comment_line(struct parser *p, struct vmx_caps *c, const char *s)
{
	const char *e = p->end;
	s = skip_blank(s + 1, e);
	if (e - s < 6 || strncmp(s, "CPUID.", 6) != 0)
		return 0;
	const char *lt = s + 6, *le = lt;
	while (le < e && *le != '.' && !is_blank(*le))
		le++;
	uint64_t leaf;
	if (le >= e || *le != '.' || !parse_u64(lt, (size_t)(le - lt), true, &leaf))
		return 0;
	const char *rt = le + 1, *re = rt;
	while (re < e && !is_blank(*re) && *re != '=')
		re++;
	const char *eq = skip_blank(re, e);
	if (!is_reg(rt, (size_t)(re - rt)) || eq >= e || *eq != '=')
		return 0;
	int f = leaf <= UINT32_MAX ? cpuid_fact_index((uint32_t)leaf, rt, (size_t)(re - rt)) : -1;
	if (f < 0)
		return 0;
	const char *vt, *s2 = eq + 1;
	size_t vn = token(&s2, e, &vt);
	uint64_t v;
	if (!parse_u64(vt, vn, false, &v))
		return fail(p, vt, "bad CPUID value '%.*s'", (int)(vn > 40 ? 40 : vn), vt);
	if (skip_blank(s2, e) < e)
		return fail(p, skip_blank(s2, e), "trailing text after CPUID value");
	return set_cpuid(p, c, f, v, vt);
}

/* "cpuid LEAF REG VALUE" */
static int cpuid_line(struct parser *p, struct vmx_caps *c, const char *s)
{
	const char *t[3], *e = p->end;
	size_t n[3];
	for (int i = 0; i < 3; i++)
		if ((n[i] = token(&s, e, &t[i])) == 0)
			return fail(p, t[i], "expected: cpuid LEAF REGISTER VALUE");
	uint64_t leaf, v;
	if (!parse_u64(t[0], n[0], false, &leaf) || leaf > UINT32_MAX)
		return fail(p, t[0], "bad CPUID leaf");
	if (!is_reg(t[1], n[1]))
		return fail(p, t[1], "expected eax, ebx, ecx or edx");
	int f = cpuid_fact_index((uint32_t)leaf, t[1], n[1]);
	if (f < 0)
		return fail(p, t[0], "CPUID fact not kept (kept: 1.eax 1.ecx 1.edx 7.ebx 7.ecx 80000008.eax)");
	if (!parse_u64(t[2], n[2], false, &v))
		return fail(p, t[2], "bad CPUID value");
	const char *rest = skip_blank(s, e);
	if (rest < e)
		return fail(p, rest, "trailing text");
	return set_cpuid(p, c, f, v, t[2]);
}

/* "0xMSR 0xVALUE [NAME]" or "0xMSR absent [NAME]" */
static int msr_line(struct parser *p, struct vmx_caps *c, const char *s)
{
	const char *mt, *vt, *nt, *e = p->end;
	size_t mn = token(&s, e, &mt), vn = token(&s, e, &vt), nn = token(&s, e, &nt);
	uint64_t msr, v = 0;
	if (!parse_u64(mt, mn, false, &msr))
		return fail(p, mt, "expected an MSR number, a [profile] or 'cpuid'");
	const char *name = msr <= UINT32_MAX ? caps_msr_name((uint32_t)msr) : NULL;
	if (!name)
		return fail(p, mt, "MSR 0x%" PRIx64 " is not part of a capability profile", msr);
	bool absent = tok_is(vt, vn, "absent");
	if (vn == 0)
		return fail(p, vt, "expected a value or 'absent' for %s", name);
	if (!absent && !parse_u64(vt, vn, false, &v))
		return fail(p, vt, "bad value for %s", name);
	if (nn && !(strlen(name) == nn && strncmp(nt, name, nn) == 0))
		return fail(p, nt, "MSR 0x%" PRIx64 " is %s, not '%.*s'", msr, name,
			    (int)(nn > 40 ? 40 : nn), nt);
	const char *rest = skip_blank(s, e);
	if (rest < e)
		return fail(p, rest, "trailing text");
	if (msr == MSR_IA32_FEATURE_CONTROL) {
		if (absent)
			return fail(p, vt, "IA32_FEATURE_CONTROL exists on every VMX processor");
		if (p->fc_seen)
			return fail(p, mt, "%s given twice", name);
		p->fc_seen = true;
		c->feature_control = v;
		return 0;
	}
	unsigned i = (unsigned)(msr - CAP_MSR_FIRST);
	if ((p->msr_seen >> i) & 1)
		return fail(p, mt, "%s given twice", name);
	p->msr_seen |= 1u << i;
	c->msr[i] = v;
	if (absent)
		c->present &= ~(1u << i);
	else
		c->present |= 1u << i;
	return 0;
}

static bool name_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '_' || ch == '-' || ch == '.' || ch == '+';
}

/* "[name]": starts profile *c. */
static int section_line(struct parser *p, struct vmx_caps *c, const char *s)
{
	const char *nt = s + 1, *ne = nt;
	while (ne < p->end && name_char(*ne))
		ne++;
	if (ne >= p->end || *ne != ']')
		return fail(p, ne, "expected ']' after a profile name of [A-Za-z0-9_.+-]");
	if (ne == nt || ne - nt >= (long)sizeof c->name)
		return fail(p, nt, "profile name must have 1-%zu characters", sizeof c->name - 1);
	const char *rest = skip_blank(ne + 1, p->end);
	if (rest < p->end)
		return fail(p, rest, "trailing text after [%.*s]", (int)(ne - nt), nt);
	memset(c, 0, sizeof *c);
	memcpy(c->name, nt, (size_t)(ne - nt));
	p->msr_seen = p->cpuid_seen = 0;
	p->fc_seen = p->from_seen = false;
	return 0;
}

static bool profile_started(const struct parser *p)
{
	return p->msr_seen || p->cpuid_seen || p->fc_seen || p->from_seen;
}

/* "from NAME": *c becomes a copy of profile NAME: one of the nearlier
 * profiles parsed before it (earlier[]), else a built-in; it keeps its
 * own name.  The facts it copies are not "seen": a later line may replace
 * each once. */
static int from_line(struct parser *p, struct vmx_caps *c, const char *s,
		     const struct vmx_caps *earlier, size_t nearlier)
{
	const char *nt, *e = p->end;
	size_t nn = token(&s, e, &nt);
	if (nn == 0)
		return fail(p, nt, "expected: from PROFILE");
	const char *rest = skip_blank(s, e);
	if (rest < e)
		return fail(p, rest, "trailing text");
	if (profile_started(p))
		return fail(p, nt, "'from' must be the first line of a profile");
	const struct vmx_caps *base = NULL;
	for (size_t i = 0; i < nearlier && !base; i++)
		if (strlen(earlier[i].name) == nn && strncmp(earlier[i].name, nt, nn) == 0)
			base = &earlier[i];
	char name[sizeof c->name];
	if (!base && nn < sizeof name) {
		memcpy(name, nt, nn);
		name[nn] = '\0';
		base = caps_builtin(name);
	}
	if (!base || (c->name[0] && strcmp(base->name, c->name) == 0))
		return fail(p, nt, "'from': no earlier or built-in profile '%.*s'",
			    (int)(nn > 40 ? 40 : nn), nt);
	memcpy(name, c->name, sizeof name);
	*c = *base;
	memcpy(c->name, name, sizeof name);
	p->from_seen = true;
	return 0;
}

/* One line of a profile body: "cpuid ...", "from ..." or an MSR line. */
static int body_line(struct parser *p, struct vmx_caps *c, const char *t,
		     const struct vmx_caps *earlier, size_t nearlier)
{
	const char *s = t, *w;
	size_t n = token(&s, p->end, &w);
	if (tok_is(w, n, "cpuid"))
		return cpuid_line(p, c, s);
	if (tok_is(w, n, "from"))
		return from_line(p, c, s, earlier, nearlier);
	return msr_line(p, c, t);
}

/* Shared by caps_parse and caps_parse_all.  With single, the text holds
 * one profile whose [name] header is optional (it must come first). */
static int parse_text(const char *text, size_t len, struct vmx_caps *out, size_t max,
		      bool single, char *err, size_t errlen)
{
	struct parser p = { .err = err, .errlen = errlen };
	const char *end = text ? text + len : NULL;
	size_t count = 0;
	if (err && errlen)
		err[0] = '\0';
	if (single) {
		memset(&out[0], 0, sizeof out[0]);
		count = 1;
	}
	for (const char *s = text; s && s < end; ) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		p.line = s;
		p.end = nl ? nl : end;
		p.lineno++;
		s = nl ? nl + 1 : end;
		const char *nul = memchr(p.line, '\0', (size_t)(p.end - p.line));
		if (nul)
			return fail(&p, nul, "NUL byte in profile text");
		const char *t = skip_blank(p.line, p.end);
		if (t == p.end)
			continue;
		if (*t == '#') {
			if (count && comment_line(&p, &out[count - 1], t) < 0)
				return -1;
			continue;
		}
		if (*t == '[') {
			size_t slot = single ? 0 : count;
			if (single && (out[0].name[0] || profile_started(&p)))
				return fail(&p, t, "a [profile] header must come first, and only one");
			if (slot == max)
				return fail(&p, t, "more than %zu profiles", max);
			if (section_line(&p, &out[slot], t) < 0)
				return -1;
			for (size_t i = 0; i < slot; i++)
				if (strcmp(out[i].name, out[slot].name) == 0)
					return fail(&p, t + 1, "profile [%s] given twice", out[i].name);
			count = slot + 1;
			continue;
		}
		if (count == 0)
			return fail(&p, t, "outside a [profile] section");
		if (body_line(&p, &out[count - 1], t, out, count - 1) < 0)
			return -1;
	}
	if (single && !out[0].name[0] && !profile_started(&p)) {
		if (err && errlen)
			snprintf(err, errlen, "%u:1: no profile in text", p.lineno + 1);
		return -1;
	}
	return (int)count;
}

int caps_parse(const char *text, size_t len, struct vmx_caps *out, char *err, size_t errlen)
{
	return parse_text(text, len, out, 1, true, err, errlen) < 0 ? -1 : 0;
}

int caps_parse_all(const char *text, size_t len, struct vmx_caps *out, size_t max,
		   char *err, size_t errlen)
{
	if (max > INT32_MAX)
		max = INT32_MAX;
	return parse_text(text, len, out, max, false, err, errlen);
}

/* ---- printing ---- */

struct sink {
	char *buf;
	size_t len, pos;
};

__attribute__((format(printf, 2, 3)))
static void put(struct sink *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *dst = o->pos < o->len ? o->buf + o->pos : NULL;
	int n = vsnprintf(dst, dst ? o->len - o->pos : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->pos += (size_t)n;
}

static uint32_t cpuid_value(const struct vmx_caps *c, int f)
{
	switch ((enum cpuid_fact)f) {
	case CF_1_EAX: return c->cpuid1_eax;
	case CF_1_ECX: return c->cpuid1_ecx;
	case CF_1_EDX: return c->cpuid1_edx;
	case CF_7_EBX: return c->cpuid7_ebx;
	case CF_7_ECX: return c->cpuid7_ecx;
	case CF_80000008_EAX: return c->maxphyaddr | (uint32_t)c->linaddr << 8;
	case CF_COUNT: break;
	}
	return 0;
}

/* Like snprintf: returns the length of the whole text, writes what fits
 * (always NUL-terminated when len > 0). */
size_t caps_format(const struct vmx_caps *c, char *buf, size_t len)
{
	struct sink o = { buf, len, 0 };
	if (buf && len)
		buf[0] = '\0';
	if (c->name[0])
		put(&o, "[%.*s]\n", (int)sizeof c->name, c->name);
	for (int f = 0; f < CF_COUNT; f++)
		put(&o, "cpuid 0x%08" PRIx32 " %s 0x%08" PRIx32 "\n", cpuid_facts[f].leaf,
		    cpuid_facts[f].reg, cpuid_value(c, f));
	put(&o, "0x%x 0x%016" PRIx64 " %s\n", MSR_IA32_FEATURE_CONTROL, c->feature_control,
	    caps_msr_name(MSR_IA32_FEATURE_CONTROL));
	for (uint32_t i = 0; i < CAP_NMSR; i++) {
		uint32_t msr = CAP_MSR_FIRST + i;
		if ((c->present >> i) & 1)
			put(&o, "0x%" PRIx32 " 0x%016" PRIx64 " %s\n", msr, c->msr[i], caps_msr_name(msr));
		else
			put(&o, "0x%" PRIx32 " absent %s\n", msr, caps_msr_name(msr));
	}
	return o.pos;
}
