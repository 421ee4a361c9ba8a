/* Capability profiles: built-ins and the queries every part of the model
 * derives its expectations from.  SDM Vol. 3D Appendix A.  The text format
 * (parse/print) lives in caps_text.c. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "arch.h"
#include "caps.h"
#include "caps_data.h"
#include "vmcs_fields.h"

/* ---- built-in profiles (const table generated from the corpus) ---- */

size_t caps_builtin_count(void)
{
	return caps_builtin_table_n;
}

const struct vmx_caps *caps_builtin_at(size_t i)
{
	return i < caps_builtin_table_n ? &caps_builtin_table[i] : NULL;
}

const struct vmx_caps *caps_builtin(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < caps_builtin_table_n; i++)
		if (strcmp(caps_builtin_table[i].name, name) == 0)
			return &caps_builtin_table[i];
	return NULL;
}

const struct vmx_caps *caps_default(void)
{
	return caps_builtin("bochs-corei7_skylake_x");
}

/* ---- MSRs ---- */

static const char *const msr_names[CAP_NMSR] = {
	[CAP_BASIC]          = "IA32_VMX_BASIC",
	[CAP_PINBASED]       = "IA32_VMX_PINBASED_CTLS",
	[CAP_PROCBASED]      = "IA32_VMX_PROCBASED_CTLS",
	[CAP_EXIT]           = "IA32_VMX_EXIT_CTLS",
	[CAP_ENTRY]          = "IA32_VMX_ENTRY_CTLS",
	[CAP_MISC]           = "IA32_VMX_MISC",
	[CAP_CR0_FIXED0]     = "IA32_VMX_CR0_FIXED0",
	[CAP_CR0_FIXED1]     = "IA32_VMX_CR0_FIXED1",
	[CAP_CR4_FIXED0]     = "IA32_VMX_CR4_FIXED0",
	[CAP_CR4_FIXED1]     = "IA32_VMX_CR4_FIXED1",
	[CAP_VMCS_ENUM]      = "IA32_VMX_VMCS_ENUM",
	[CAP_PROCBASED2]     = "IA32_VMX_PROCBASED_CTLS2",
	[CAP_EPT_VPID]       = "IA32_VMX_EPT_VPID_CAP",
	[CAP_TRUE_PINBASED]  = "IA32_VMX_TRUE_PINBASED_CTLS",
	[CAP_TRUE_PROCBASED] = "IA32_VMX_TRUE_PROCBASED_CTLS",
	[CAP_TRUE_EXIT]      = "IA32_VMX_TRUE_EXIT_CTLS",
	[CAP_TRUE_ENTRY]     = "IA32_VMX_TRUE_ENTRY_CTLS",
	[CAP_VMFUNC]         = "IA32_VMX_VMFUNC",
	[CAP_PROCBASED3]     = "IA32_VMX_PROCBASED_CTLS3",
	[CAP_EXIT2]          = "IA32_VMX_EXIT_CTLS2",
};
_Static_assert(sizeof msr_names / sizeof msr_names[0] == CAP_NMSR, "one name per MSR");

const char *caps_msr_name(uint32_t msr)
{
	if (msr == MSR_IA32_FEATURE_CONTROL)
		return "IA32_FEATURE_CONTROL";
	if (msr < CAP_MSR_FIRST || msr - CAP_MSR_FIRST >= CAP_NMSR)
		return NULL;
	return msr_names[msr - CAP_MSR_FIRST];
}

bool caps_msr_present(const struct vmx_caps *c, uint32_t msr)
{
	if (msr < CAP_MSR_FIRST || msr - CAP_MSR_FIRST >= CAP_NMSR)
		return false;
	return (c->present >> (msr - CAP_MSR_FIRST)) & 1;
}

uint64_t caps_msr(const struct vmx_caps *c, uint32_t msr)
{
	return caps_msr_present(c, msr) ? c->msr[msr - CAP_MSR_FIRST] : 0;
}

static uint64_t msr_at(const struct vmx_caps *c, enum cap_index i)
{
	return caps_msr(c, CAP_MSR_FIRST + (uint32_t)i);
}

static bool present_at(const struct vmx_caps *c, enum cap_index i)
{
	return caps_msr_present(c, CAP_MSR_FIRST + (uint32_t)i);
}

/* ---- control settings, SDM A.3-A.5 ---- */

/* The MSR reporting each control's settings, and its TRUE_ twin (A.3.1,
 * A.3.2, A.4, A.5), or the MSR itself where there is no twin. */
static const struct {
	enum cap_index msr, true_msr;
	bool wide;          /* 64-bit allowed-1 only, no allowed-0 half (A.3.4, A.4.2) */
} ctl_msrs[CTL_COUNT] = {
	[CTL_PIN]   = { CAP_PINBASED,   CAP_TRUE_PINBASED,  false },
	[CTL_PROC]  = { CAP_PROCBASED,  CAP_TRUE_PROCBASED, false },
	[CTL_PROC2] = { CAP_PROCBASED2, CAP_PROCBASED2,     false },
	[CTL_PROC3] = { CAP_PROCBASED3, CAP_PROCBASED3,     true },
	[CTL_EXIT]  = { CAP_EXIT,       CAP_TRUE_EXIT,      false },
	[CTL_ENTRY] = { CAP_ENTRY,      CAP_TRUE_ENTRY,     false },
	[CTL_EXIT2] = { CAP_EXIT2,      CAP_EXIT2,          true },
};

#define PROC_ACTIVATE_TERTIARY 17   /* SDM 24.6.2 Table 24-6 */
#define PROC_ACTIVATE_SECONDARY 31
#define EXIT_ACTIVATE_SECONDARY 31  /* SDM 24.7.1 Table 24-13 */

static uint64_t allowed1_32(const struct vmx_caps *c, enum ctl_kind k);

/* A secondary/tertiary control field exists only when the control that
 * activates it may be 1 (SDM A.3.3, A.3.4, A.4.2); otherwise the
 * processor treats the whole field as 0. */
static bool ctl_exists(const struct vmx_caps *c, enum ctl_kind k)
{
	if ((unsigned)k >= CTL_COUNT || !present_at(c, ctl_msrs[k].msr))
		return false;
	switch (k) {
	case CTL_PROC2:
		return (allowed1_32(c, CTL_PROC) >> PROC_ACTIVATE_SECONDARY) & 1;
	case CTL_PROC3:
		return (allowed1_32(c, CTL_PROC) >> PROC_ACTIVATE_TERTIARY) & 1;
	case CTL_EXIT2:
		return (allowed1_32(c, CTL_EXIT) >> EXIT_ACTIVATE_SECONDARY) & 1;
	default:
		return true;
	}
}

/* The MSR that governs a 32-bit control: the TRUE_ one when
 * IA32_VMX_BASIC[55] = 1 (SDM A.2; its allowed-1 half equals the plain
 * MSR's, its allowed-0 half may clear default-1 bits). */
static uint64_t ctl_msr(const struct vmx_caps *c, enum ctl_kind k)
{
	return caps_msr(c, caps_ctl_msr(c, k));
}

static uint64_t allowed1_32(const struct vmx_caps *c, enum ctl_kind k)
{
	return ctl_msr(c, k) >> 32;
}

uint64_t caps_ctl_must1(const struct vmx_caps *c, enum ctl_kind k)
{
	if (!ctl_exists(c, k) || ctl_msrs[k].wide)
		return 0;
	return (uint32_t)ctl_msr(c, k);
}

uint64_t caps_ctl_may1(const struct vmx_caps *c, enum ctl_kind k)
{
	if (!ctl_exists(c, k))
		return 0;
	if (ctl_msrs[k].wide)
		return msr_at(c, ctl_msrs[k].msr);
	return allowed1_32(c, k);
}

bool caps_ctl_allowed(const struct vmx_caps *c, enum ctl_kind k, uint64_t value)
{
	uint64_t must1 = caps_ctl_must1(c, k), may1 = caps_ctl_may1(c, k);
	return (value & must1) == must1 && (value & ~may1) == 0;
}

bool caps_ctl_may_be1(const struct vmx_caps *c, enum ctl_kind k, unsigned bit)
{
	return bit < 64 && ((caps_ctl_may1(c, k) >> bit) & 1);
}

bool caps_ctl_may_be0(const struct vmx_caps *c, enum ctl_kind k, unsigned bit)
{
	return bit < 64 && !((caps_ctl_must1(c, k) >> bit) & 1);
}

/* ---- features (features.def) ---- */

static const struct {
	const char *name;
	enum cap_index idx;
	int bit;
} features[FEAT_COUNT] = {
#define FEATURE(id, nm, ix, b) [FEAT_##id] = { nm, ix, b },
#include "features.def"
#undef FEATURE
};

/* Which control field a capability MSR reports (by either twin), or
 * CTL_COUNT for the MSRs that are plain bit sets. */
static enum ctl_kind ctl_of(enum cap_index i)
{
	for (int k = 0; k < CTL_COUNT; k++)
		if (ctl_msrs[k].msr == i || ctl_msrs[k].true_msr == i)
			return (enum ctl_kind)k;
	return CTL_COUNT;
}

static bool plain_msr_exists(const struct vmx_caps *c, enum cap_index i, int bit)
{
	if (!present_at(c, i))
		return false;
	switch (i) {
	case CAP_EPT_VPID:
		/* A.10: the MSR exists if EPT or VPID may be 1; bits 31:0 are
		 * EPT facts, bits 63:32 VPID facts. */
		return bit < 32 ? caps_ctl_may_be1(c, CTL_PROC2, 1)
				: caps_ctl_may_be1(c, CTL_PROC2, 5);
	case CAP_VMFUNC:
		/* A.11: exists only if "enable VM functions" may be 1. */
		return caps_ctl_may_be1(c, CTL_PROC2, 13);
	default:
		return true;
	}
}

bool caps_has(const struct vmx_caps *c, enum vmx_feature f)
{
	if ((unsigned)f >= FEAT_COUNT)
		return false;
	int bit = features[f].bit;
	enum cap_index i = features[f].idx;
	if (bit < 0)
		return true;   /* ALWAYS */
	enum ctl_kind k = ctl_of(i);
	if (k != CTL_COUNT)
		return caps_ctl_may_be1(c, k, ctl_msrs[k].wide ? (unsigned)bit : (unsigned)bit - 32);
	return plain_msr_exists(c, i, bit) && ((msr_at(c, i) >> bit) & 1);
}

const char *caps_feature_name(enum vmx_feature f)
{
	return (unsigned)f < FEAT_COUNT ? features[f].name : NULL;
}

int caps_feature_by_name(const char *name)
{
	if (!name)
		return -1;
	for (int f = 0; f < FEAT_COUNT; f++)
		if (strcmp(features[f].name, name) == 0)
			return f;
	return -1;
}

/* ---- CR0/CR4 in VMX operation, SDM A.7, A.8 ---- */


/* With "unrestricted guest", PE and PG may be 0 (SDM 26.3.1.1).  The
 * guest-state check also exempts CR0.NW/CD (26.3.1.1); that exception is
 * the entry code's, since host state and VMXON have none. */
static uint64_t cr0_fixed0(const struct vmx_caps *c, bool unrestricted)
{
	uint64_t fixed0 = msr_at(c, CAP_CR0_FIXED0);
	return unrestricted ? fixed0 & ~(CR0_PE | CR0_PG) : fixed0;
}

bool caps_cr0_allowed(const struct vmx_caps *c, uint64_t cr0, bool unrestricted)
{
	return caps_fixed_ok(cr0, cr0_fixed0(c, unrestricted), msr_at(c, CAP_CR0_FIXED1));
}

bool caps_cr4_allowed(const struct vmx_caps *c, uint64_t cr4)
{
	return caps_fixed_ok(cr4, msr_at(c, CAP_CR4_FIXED0), msr_at(c, CAP_CR4_FIXED1));
}

/* ---- scalar facts ---- */

uint32_t caps_revision(const struct vmx_caps *c)
{
	return (uint32_t)msr_at(c, CAP_BASIC) & 0x7fffffffu;   /* A.1: bit 31 is 0 */
}

/* Bits above MAXPHYADDR.  A profile that does not state MAXPHYADDR gets
 * 36, the width the SDM (4.1.4) gives when CPUID.80000008H is absent. */
uint64_t caps_phys_mask(const struct vmx_caps *c)
{
	unsigned w = c->maxphyaddr ? c->maxphyaddr : 36;
	return w >= 64 ? 0 : ~0ull << w;
}

uint64_t caps_vmx_addr_mask(const struct vmx_caps *c)
{
	uint64_t m = caps_phys_mask(c);
	if ((msr_at(c, CAP_BASIC) >> 48) & 1)
		m |= ~0ull << 32;
	return m;
}

void caps_cache_fill(const struct vmx_caps *c, struct caps_cache *cc)
{
	for (int k = 0; k < CTL_COUNT; k++) {
		cc->must1[k] = caps_ctl_must1(c, (enum ctl_kind)k);
		cc->may1[k] = caps_ctl_may1(c, (enum ctl_kind)k);
	}
	cc->cr0_fixed0[0] = cr0_fixed0(c, false);
	cc->cr0_fixed0[1] = cr0_fixed0(c, true);
	cc->cr0_fixed1 = msr_at(c, CAP_CR0_FIXED1);
	cc->cr4_fixed0 = msr_at(c, CAP_CR4_FIXED0);
	cc->cr4_fixed1 = msr_at(c, CAP_CR4_FIXED1);
	cc->phys_mask = caps_phys_mask(c);
	cc->vmx_addr_mask = caps_vmx_addr_mask(c);
	memset(cc->vmcs_fields, 0, sizeof cc->vmcs_fields);
	for (int f = 0; f < VF_COUNT; f++)
		if (vmcs_field_supported(c, (enum vmcs_field)f))
			cc->vmcs_fields[f / 64] |= 1ull << (f % 64);
	cc->from = *c;
	cc->valid = true;
}

void caps_cache_reset(const struct vmx_caps *c, struct caps_cache *cc)
{
	const struct vmx_caps *f = &cc->from;
	if (cc->valid && (c->present != f->present || c->maxphyaddr != f->maxphyaddr ||
			  memcmp(c->msr, f->msr, sizeof c->msr)))
		cc->valid = false;
}

/* ---- consistency with Appendix A ---- */

struct problems {
	char *buf;
	size_t len, pos;
	int n;
};

__attribute__((format(printf, 2, 3)))
static void problem(struct problems *p, const char *fmt, ...)
{
	p->n++;
	if (!p->buf || p->pos + 1 >= p->len)
		return;
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(p->buf + p->pos, p->len - p->pos, fmt, ap);
	va_end(ap);
	if (w > 0)
		p->pos += (size_t)w < p->len - p->pos ? (size_t)w : p->len - p->pos - 1;
	if (p->pos + 1 < p->len) {
		p->buf[p->pos++] = '\n';
		p->buf[p->pos] = '\0';
	}
}

/* The default1 class of each 32-bit control (SDM A.2), from ctl_bits.def. */
static uint32_t default1_mask(enum ctl_kind k)
{
	return 0
#define CTL_BIT(kind, bit, name)
#define DEFAULT1(kind, bit) | ((kind) == k ? 1u << (bit) : 0u)
#include "ctl_bits.def"
#undef CTL_BIT
	;
}

/* Which MSRs exist depends on other MSRs (A.1-A.11). */
static void check_presence(const struct vmx_caps *c, struct problems *p)
{
	for (int i = CAP_BASIC; i <= CAP_VMCS_ENUM; i++)
		if (!present_at(c, (enum cap_index)i))
			problem(p, "%s: absent, but every VMX processor has it (A.1-A.9)", msr_names[i]);
	bool true_ctls = (msr_at(c, CAP_BASIC) >> 55) & 1;
	static const enum cap_index twins[] = { CAP_TRUE_PINBASED, CAP_TRUE_PROCBASED, CAP_TRUE_EXIT, CAP_TRUE_ENTRY };
	for (size_t i = 0; i < sizeof twins / sizeof twins[0]; i++)
		if (present_at(c, twins[i]) != true_ctls)
			problem(p, "%s: %s, but IA32_VMX_BASIC[55] = %d (A.2)", msr_names[twins[i]],
				true_ctls ? "absent" : "present", true_ctls);
	static const struct { enum cap_index i; enum ctl_kind k; unsigned bit; const char *why; } dep[] = {
		{ CAP_PROCBASED2, CTL_PROC, PROC_ACTIVATE_SECONDARY, "primary bit 31 (A.3.3)" },
		{ CAP_PROCBASED3, CTL_PROC, PROC_ACTIVATE_TERTIARY, "primary bit 17 (A.3.4)" },
		{ CAP_EXIT2, CTL_EXIT, EXIT_ACTIVATE_SECONDARY, "exit bit 31 (A.4.2)" },
	};
	for (size_t i = 0; i < sizeof dep / sizeof dep[0]; i++) {
		bool may = (allowed1_32(c, dep[i].k) >> dep[i].bit) & 1;
		if (present_at(c, dep[i].i) != may)
			problem(p, "%s: %s, but %s %s be 1", msr_names[dep[i].i],
				may ? "absent" : "present", dep[i].why, may ? "may" : "may not");
	}
	bool vmfunc = caps_ctl_may_be1(c, CTL_PROC2, 13);
	if (present_at(c, CAP_VMFUNC) != vmfunc)
		problem(p, "%s: %s, but \"enable VM functions\" %s be 1 (A.11)", msr_names[CAP_VMFUNC],
			vmfunc ? "absent" : "present", vmfunc ? "may" : "may not");
	bool ept_vpid = caps_ctl_may_be1(c, CTL_PROC2, 1) || caps_ctl_may_be1(c, CTL_PROC2, 5);
	if (present_at(c, CAP_EPT_VPID) != ept_vpid)
		problem(p, "%s: %s (A.10)", msr_names[CAP_EPT_VPID], ept_vpid
			? "absent, but \"enable EPT\" or \"enable VPID\" may be 1"
			: "present, but neither \"enable EPT\" nor \"enable VPID\" may be 1");
}

/* allowed-0 within allowed-1; TRUE_* twins agree with the plain MSRs (A.2-A.5). */
static void check_controls(const struct vmx_caps *c, struct problems *p)
{
	for (int k = 0; k < CTL_COUNT; k++) {
		if (ctl_msrs[k].wide)
			continue;
		enum cap_index m = ctl_msrs[k].msr, t = ctl_msrs[k].true_msr;
		uint64_t plain = msr_at(c, m), tru = msr_at(c, t);
		if (present_at(c, m) && ((uint32_t)plain & ~(uint32_t)(plain >> 32)))
			problem(p, "%s: bits 0x%" PRIx32 " must be 1 but may not be 1 (A.3)", msr_names[m],
				(uint32_t)plain & ~(uint32_t)(plain >> 32));
		if (t == m || !present_at(c, t) || !present_at(c, m))
			continue;
		if ((uint32_t)tru & ~(uint32_t)(tru >> 32))
			problem(p, "%s: bits 0x%" PRIx32 " must be 1 but may not be 1 (A.3)", msr_names[t],
				(uint32_t)tru & ~(uint32_t)(tru >> 32));
		if ((tru >> 32) != (plain >> 32))
			problem(p, "%s: allowed-1 differs from %s's (A.3.1)", msr_names[t], msr_names[m]);
		if ((uint32_t)tru & ~(uint32_t)plain)
			problem(p, "%s: requires bits 0x%" PRIx32 " that %s does not (A.2)", msr_names[t],
				(uint32_t)tru & ~(uint32_t)plain, msr_names[m]);
		uint32_t d1 = default1_mask((enum ctl_kind)k);
		if (((uint32_t)plain & d1) != d1)
			problem(p, "%s: default1 bits 0x%" PRIx32 " read as 0 (A.2)", msr_names[m],
				d1 & ~(uint32_t)plain);
	}
}

static void check_basic_cr(const struct vmx_caps *c, struct problems *p)
{
	uint64_t b = msr_at(c, CAP_BASIC);
	unsigned size = (unsigned)((b >> 32) & 0x1fff), type = (unsigned)((b >> 50) & 0xf);
	if (present_at(c, CAP_BASIC)) {
		if ((b >> 31) & 1)
			problem(p, "IA32_VMX_BASIC: bit 31 is 1 (A.1: always 0)");
		if (size == 0 || size > 4096)
			problem(p, "IA32_VMX_BASIC: VMCS region size %u outside 1-4096 (A.1)", size);
		if (type != 0 && type != 6)
			problem(p, "IA32_VMX_BASIC: VMCS memory type %u is neither UC (0) nor WB (6) (A.1)", type);
	}
	static const enum cap_index cr[][2] = { { CAP_CR0_FIXED0, CAP_CR0_FIXED1 }, { CAP_CR4_FIXED0, CAP_CR4_FIXED1 } };
	for (int i = 0; i < 2; i++) {
		uint64_t f0 = msr_at(c, cr[i][0]), f1 = msr_at(c, cr[i][1]);
		if (f0 & ~f1)
			problem(p, "%s: bits 0x%" PRIx64 " fixed to 1 but not allowed to be 1 by %s (A.7, A.8)",
				msr_names[cr[i][0]], f0 & ~f1, msr_names[cr[i][1]]);
	}
}

int caps_check(const struct vmx_caps *c, char *err, size_t errlen)
{
	struct problems p = { err, errlen, 0, 0 };
	if (err && errlen)
		err[0] = '\0';
	check_presence(c, &p);
	check_controls(c, &p);
	check_basic_cr(c, &p);
	return p.n;
}

/* ---- named values for case expressions ---- */

static const char *const ctl_names[CTL_COUNT] = {
	[CTL_PIN] = "pin", [CTL_PROC] = "proc", [CTL_PROC2] = "proc2", [CTL_PROC3] = "proc3",
	[CTL_EXIT] = "exit", [CTL_ENTRY] = "entry", [CTL_EXIT2] = "exit2",
};

const char *caps_ctl_name(enum ctl_kind k)
{
	return (unsigned)k < CTL_COUNT ? ctl_names[k] : NULL;
}

uint32_t caps_ctl_msr(const struct vmx_caps *c, enum ctl_kind k)
{
	if ((unsigned)k >= CTL_COUNT)
		return 0;
	enum cap_index t = ctl_msrs[k].true_msr;
	bool twin = ((msr_at(c, CAP_BASIC) >> 55) & 1) && present_at(c, t);
	return CAP_MSR_FIRST + (uint32_t)(twin ? t : ctl_msrs[k].msr);
}

unsigned caps_ctl_width(enum ctl_kind k)
{
	return (unsigned)k >= CTL_COUNT ? 0 : ctl_msrs[k].wide ? 64 : 32;
}

static bool span_is(const char *s, size_t n, const char *word)
{
	return strlen(word) == n && memcmp(s, word, n) == 0;
}

/* "IA32_VMX_PINBASED_CTLS" -> "pinbased", "IA32_VMX_EPT_VPID_CAP" ->
 * "ept_vpid": the short MSR name derived from msr_names. */
static bool msr_short_is(enum cap_index i, const char *s, size_t n)
{
	const char *full = msr_names[i] + strlen("IA32_VMX_");
	char buf[40];
	size_t k = 0;
	for (const char *p = full; *p && k + 1 < sizeof buf; p++) {
		if (!strncmp(p, "_CTLS", 5) || !strncmp(p, "_CAP", 4)) {
			p += p[2] == 'T' ? 4 : 3;   /* skip the suffix, keep a trailing digit */
			continue;
		}
		buf[k++] = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
	}
	return k == n && memcmp(buf, s, n) == 0;
}

static int scalar_value(const struct vmx_caps *c, const char *s, size_t n, uint64_t *out)
{
	if (span_is(s, n, "revision"))
		*out = caps_revision(c);
	else if (span_is(s, n, "maxphyaddr"))
		*out = c->maxphyaddr ? c->maxphyaddr : 36;
	else if (span_is(s, n, "phys_mask"))
		*out = caps_phys_mask(c);
	else if (span_is(s, n, "feature_control"))
		*out = c->feature_control;
	else
		return -1;
	return 0;
}

int caps_value(const struct vmx_caps *c, const char *name, size_t len, uint64_t *out)
{
	const char *dot = memchr(name, '.', len);
	size_t head = dot ? (size_t)(dot - name) : len;
	const char *tail = dot ? dot + 1 : NULL;
	size_t tn = dot ? len - head - 1 : 0;
	if (!dot)
		if (scalar_value(c, name, len, out) == 0)
			return 0;
	bool half0 = dot && span_is(tail, tn, "allowed0"), half1 = dot && span_is(tail, tn, "allowed1");
	for (int i = 0; i < CAP_NMSR && (!dot || half0 || half1); i++) {
		if (!msr_short_is((enum cap_index)i, name, head))
			continue;
		uint64_t v = msr_at(c, (enum cap_index)i);
		*out = half0 ? (uint32_t)v : half1 ? v >> 32 : v;
		return 0;
	}
	for (int k = 0; k < CTL_COUNT && dot; k++) {
		if (!span_is(name, head, ctl_names[k]))
			continue;
		if (span_is(tail, tn, "must1"))
			*out = caps_ctl_must1(c, (enum ctl_kind)k);
		else if (span_is(tail, tn, "may1"))
			*out = caps_ctl_may1(c, (enum ctl_kind)k);
		else
			return -1;
		return 0;
	}
	return -1;
}
