/* Capability profiles: the built-ins equal the corpus they are generated
 * from, the text format round-trips, the queries follow SDM Appendix A,
 * and hostile profile text gets an error, never a crash. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "suites.h"
#include "refvmm/caps.h"

#define CORPUS "corpora/caps/bochs-caps.txt"
#define EXTRA  "corpora/caps/bochs-caps-extra.txt"
#define INTEL  "corpora/caps/intel-cpus.txt"
#define VARIANTS "corpora/caps/variants.txt"
#define NBOCHS 6   /* Bochs 2.7 models; the real CPUs, then the variants follow */
#define NINTEL 3

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s (run the tests from the top of the tree)", path);
	char *buf = NULL;
	size_t cap = 0, n = 0;
	for (;;) {
		if (n + 4096 > cap)
			ck_assert((buf = realloc(buf, cap = 2 * cap + 4096)) != NULL);
		size_t got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static void assert_same(const struct vmx_caps *a, const struct vmx_caps *b)
{
	ck_assert_str_eq(a->name, b->name);
	ck_assert_uint_eq(a->present, b->present);
	for (int i = 0; i < CAP_NMSR; i++)
		ck_assert_msg(a->msr[i] == b->msr[i], "%s MSR 0x%x: %#llx != %#llx", a->name,
			      CAP_MSR_FIRST + i, (unsigned long long)a->msr[i], (unsigned long long)b->msr[i]);
	ck_assert_uint_eq(a->feature_control, b->feature_control);
	ck_assert_uint_eq(a->cpuid1_eax, b->cpuid1_eax);
	ck_assert_uint_eq(a->cpuid1_ecx, b->cpuid1_ecx);
	ck_assert_uint_eq(a->cpuid1_edx, b->cpuid1_edx);
	ck_assert_uint_eq(a->cpuid7_ebx, b->cpuid7_ebx);
	ck_assert_uint_eq(a->cpuid7_ecx, b->cpuid7_ecx);
	ck_assert_uint_eq(a->maxphyaddr, b->maxphyaddr);
	ck_assert_uint_eq(a->linaddr, b->linaddr);
}

/* The test's own reading of the corpus, independent of caps_parse: every
 * "0x4xx VALUE NAME" line of every [section] against the built-in. */
START_TEST(builtins_match_corpus_numbers)
{
	size_t len;
	char *text = slurp(CORPUS, &len);
	const struct vmx_caps *c = NULL;
	size_t sections = 0, lines = 0;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		char name[64], val[32];
		unsigned msr;
		if (sscanf(line, "[%63[^]]]", name) == 1) {
			c = caps_builtin(name);
			ck_assert_msg(c != NULL, "no built-in profile %s", name);
			sections++;
		} else if (sscanf(line, "0x%x %31s", &msr, val) == 2 && msr >= 0x480) {
			ck_assert(c != NULL);
			if (strcmp(val, "absent") == 0) {
				ck_assert_msg(!caps_msr_present(c, msr), "%s 0x%x", c->name, msr);
				ck_assert_uint_eq(caps_msr(c, msr), 0);
			} else {
				ck_assert_msg(caps_msr_present(c, msr), "%s 0x%x", c->name, msr);
				ck_assert_uint_eq(caps_msr(c, msr), strtoull(val, NULL, 16));
			}
			lines++;
		}
	}
	ck_assert_uint_eq(sections, NBOCHS);
	ck_assert_uint_gt(caps_builtin_count(), sections);   /* + corpora/caps/variants.txt */
	ck_assert_uint_eq(lines, NBOCHS * 18);
	ck_assert_ptr_eq(caps_default(), caps_builtin("bochs-corei7_skylake_x"));
	ck_assert_ptr_null(caps_builtin("bochs-nonexistent"));
	ck_assert_ptr_null(caps_builtin_at(caps_builtin_count()));
	free(text);
}
END_TEST

/* caps_parse_all of the corpus + supplement gives the built-ins. */
START_TEST(builtins_equal_parsed_corpus)
{
	size_t len, xlen;
	char *text = slurp(CORPUS, &len), *extra = slurp(EXTRA, &xlen), err[128];
	struct vmx_caps main_p[16], extra_p[16];
	int n = caps_parse_all(text, len, main_p, 16, err, sizeof err);
	ck_assert_msg(n == 6, "%s", err);
	int m = caps_parse_all(extra, xlen, extra_p, 16, err, sizeof err);
	ck_assert_msg(m == 6, "%s", err);
	for (int i = 0; i < n; i++) {
		const struct vmx_caps *b = caps_builtin_at((size_t)i);
		ck_assert_str_eq(b->name, main_p[i].name);
		struct vmx_caps want = main_p[i];
		const struct vmx_caps *x = NULL;
		for (int j = 0; j < m; j++)
			if (strcmp(extra_p[j].name, want.name) == 0)
				x = &extra_p[j];
		ck_assert_msg(x != NULL, "no supplement for %s", want.name);
		ck_assert_uint_eq(x->cpuid1_eax, 0);   /* the supplement adds, never overrides */
		ck_assert_uint_eq(x->present, 0);
		want.maxphyaddr = x->maxphyaddr;
		want.linaddr = x->linaddr;
		want.feature_control = x->feature_control;
		want.cpuid1_edx = x->cpuid1_edx;
		want.cpuid7_ebx = x->cpuid7_ebx;
		want.cpuid7_ecx = x->cpuid7_ecx;
		assert_same(b, &want);
		/* Bochs 2.7: MAXPHYADDR 40, 48-bit linear, FEATURE_CONTROL 5 after its BIOS */
		ck_assert_uint_eq(b->maxphyaddr, 40);
		ck_assert_uint_eq(b->linaddr, 48);
		ck_assert_uint_eq(b->feature_control, 5);
		ck_assert_uint_ne(b->cpuid1_eax, 0);
		ck_assert(b->cpuid1_ecx & (1u << 5));   /* CPUID.1:ECX.VMX */
		ck_assert_uint_ne(b->cpuid1_edx, 0);
	}
	free(text);
	free(extra);
}
END_TEST

START_TEST(builtins_round_trip)
{
	for (size_t i = 0; i < caps_builtin_count(); i++) {
		const struct vmx_caps *c = caps_builtin_at(i);
		char buf[4096], err[128];
		size_t n = caps_format(c, buf, sizeof buf);
		ck_assert_uint_lt(n, sizeof buf);
		ck_assert_uint_eq(strlen(buf), n);
		struct vmx_caps back;
		ck_assert_msg(caps_parse(buf, n, &back, err, sizeof err) == 0, "%s: %s", c->name, err);
		assert_same(c, &back);
		/* a short buffer: same length reported, NUL-terminated prefix */
		char small[16];
		ck_assert_uint_eq(caps_format(c, small, sizeof small), n);
		ck_assert_uint_eq(strlen(small), sizeof small - 1);
		ck_assert_uint_eq(caps_format(c, NULL, 0), n);
	}
}
END_TEST

/* The test's own reading of variants.txt: each [section] names its base
 * with "from", is a built-in after the Bochs models, equals its base in
 * every MSR, CPUID fact and IA32_FEATURE_CONTROL it does not give, and
 * differs from it in at least one it does give. */
START_TEST(variants_match_their_bases)
{
	size_t len;
	char *text = slurp(VARIANTS, &len);
	const struct vmx_caps *v = NULL, *base = NULL;
	size_t sections = 0, differ = 0;
	uint32_t given = 0;       /* bit i: MSR 0x480 + i given */
	bool fc_given = false, cpuid_given = false;
	for (char *line = strtok(text, "\n"); ; line = strtok(NULL, "\n")) {
		char name[64], val[32];
		unsigned msr;
		bool header = line && sscanf(line, "[%63[^]]]", name) == 1;
		if ((header || !line) && v) {
			ck_assert_msg(base != NULL, "%s: no 'from' line", v->name);
			for (unsigned i = 0; i < CAP_NMSR; i++) {
				if ((given >> i) & 1)
					continue;
				ck_assert_msg(caps_msr_present(v, 0x480 + i) == caps_msr_present(base, 0x480 + i) &&
					      caps_msr(v, 0x480 + i) == caps_msr(base, 0x480 + i),
					      "%s: MSR 0x%x differs from %s", v->name, 0x480 + i, base->name);
			}
			if (!fc_given)
				ck_assert_uint_eq(v->feature_control, base->feature_control);
			if (!cpuid_given) {
				ck_assert_uint_eq(v->cpuid1_ecx, base->cpuid1_ecx);
				ck_assert_uint_eq(v->cpuid7_ebx, base->cpuid7_ebx);
				ck_assert_uint_eq(v->cpuid7_ecx, base->cpuid7_ecx);
			}
			ck_assert_uint_eq(v->cpuid1_eax, base->cpuid1_eax);
			ck_assert_uint_eq(v->cpuid1_edx, base->cpuid1_edx);
			ck_assert_uint_eq(v->maxphyaddr, base->maxphyaddr);
			ck_assert_msg(differ > 0, "%s: no fact differs from %s", v->name, base->name);
		}
		if (!line)
			break;
		if (header) {
			v = caps_builtin(name);
			ck_assert_msg(v != NULL, "no built-in profile %s", name);
			ck_assert_msg(strncmp(name, "variant-", 8) == 0, "%s: a variant's name starts with variant-", name);
			ck_assert_ptr_eq(v, caps_builtin_at(NBOCHS + NINTEL + sections));
			base = NULL;
			given = 0;
			differ = 0;
			fc_given = cpuid_given = false;
			sections++;
		} else if (sscanf(line, "from %63s", name) == 1) {
			base = caps_builtin(name);
			ck_assert_msg(base != NULL && base != v, "%s: bad base %s", v->name, name);
		} else if (sscanf(line, "0x%x %31s", &msr, val) == 2 && msr >= 0x480) {
			ck_assert(msr < 0x480 + CAP_NMSR && v && base);
			given |= 1u << (msr - 0x480);
			ck_assert_msg(caps_msr_present(v, msr), "%s 0x%x", v->name, msr);
			ck_assert_uint_eq(caps_msr(v, msr), strtoull(val, NULL, 16));
			differ += caps_msr(v, msr) != caps_msr(base, msr) || !caps_msr_present(base, msr);
		} else if (sscanf(line, "0x3a %31s", val) == 1) {
			ck_assert(v && base);
			fc_given = true;
			ck_assert_uint_eq(v->feature_control, strtoull(val, NULL, 16));
			differ += v->feature_control != base->feature_control;
		} else if (strncmp(line, "cpuid 7 ", 8) == 0 || strncmp(line, "cpuid 1 ecx ", 12) == 0) {
			ck_assert(v && base);
			cpuid_given = true;
			differ += v->cpuid1_ecx != base->cpuid1_ecx || v->cpuid7_ebx != base->cpuid7_ebx ||
				  v->cpuid7_ecx != base->cpuid7_ecx;
		} else {
			ck_assert_msg(line[0] == '#' || strncmp(line, "from ", 5) == 0,
				      "variants.txt: a line this test does not read: %s", line);
		}
	}
	ck_assert_uint_eq(caps_builtin_count(), NBOCHS + NINTEL + sections);
	free(text);
}
END_TEST

/* The test's own reading of intel-cpus.txt: every MSR line, CPUID line and
 * IA32_FEATURE_CONTROL of each [section] against the built-in, which
 * follows the Bochs models; every profile gives all 20 capability MSRs
 * and the six CPUID facts, and caps_parse_all of the file agrees. */
START_TEST(real_cpus_match_their_dumps)
{
	size_t len;
	char *text = slurp(INTEL, &len), err[128];
	struct vmx_caps parsed[8];
	int n = caps_parse_all(text, len, parsed, 8, err, sizeof err);
	ck_assert_msg(n == NINTEL, "%s", err);
	const struct vmx_caps *c = NULL;
	size_t sections = 0, msrs = 0, cpuids = 0;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		char name[64], reg[8], val[32];
		unsigned msr, leaf;
		if (sscanf(line, "[%63[^]]]", name) == 1) {
			c = caps_builtin(name);
			ck_assert_msg(c != NULL && strncmp(name, "intel-", 6) == 0, "%s", name);
			ck_assert_ptr_eq(c, caps_builtin_at(NBOCHS + sections));
			assert_same(c, &parsed[sections]);
			ck_assert_uint_eq(c->feature_control, 5);
			sections++;
		} else if (sscanf(line, "cpuid 0x%x %7s %31s", &leaf, reg, val) == 3) {
			uint32_t v = (uint32_t)strtoul(val, NULL, 16), got =
				leaf == 1 && !strcmp(reg, "eax") ? c->cpuid1_eax :
				leaf == 1 && !strcmp(reg, "ecx") ? c->cpuid1_ecx :
				leaf == 1 && !strcmp(reg, "edx") ? c->cpuid1_edx :
				leaf == 7 && !strcmp(reg, "ebx") ? c->cpuid7_ebx :
				leaf == 7 && !strcmp(reg, "ecx") ? c->cpuid7_ecx :
				(uint32_t)c->maxphyaddr | (uint32_t)c->linaddr << 8;
			ck_assert_msg(got == v, "%s CPUID 0x%x %s", c->name, leaf, reg);
			cpuids++;
		} else if (sscanf(line, "0x%x %31s", &msr, val) == 2 && msr >= 0x480) {
			if (strcmp(val, "absent") == 0)
				ck_assert_msg(!caps_msr_present(c, msr), "%s 0x%x", c->name, msr);
			else
				ck_assert_msg(caps_msr_present(c, msr) && caps_msr(c, msr) == strtoull(val, NULL, 16),
					      "%s 0x%x", c->name, msr);
			msrs++;
		}
	}
	ck_assert_uint_eq(sections, NINTEL);
	ck_assert_uint_eq(msrs, NINTEL * CAP_NMSR);
	ck_assert_uint_eq(cpuids, NINTEL * 6);
	free(text);
}
END_TEST

/* caps_parse_all of variants.txt alone gives the same profiles: its bases
 * are found among the built-ins. */
START_TEST(variants_equal_parsed_text)
{
	size_t len;
	char *text = slurp(VARIANTS, &len), err[128];
	struct vmx_caps out[32];
	int n = caps_parse_all(text, len, out, 32, err, sizeof err);
	ck_assert_msg(n > 0, "%s", err);
	ck_assert_uint_eq((size_t)n + NBOCHS + NINTEL, caps_builtin_count());
	for (int i = 0; i < n; i++)
		assert_same(caps_builtin_at(NBOCHS + NINTEL + (size_t)i), &out[i]);
	free(text);
}
END_TEST

/* "from": a copy of an earlier section or a built-in, each fact then
 * replaceable once. */
START_TEST(from_derives)
{
	static const char t[] =
		"[a]\nfrom bochs-tigerlake\n0x3a 0x4\n0x491 absent\ncpuid 7 ecx 0\n"
		"[b]\nfrom a\n0x480 0x1\n";
	struct vmx_caps out[2];
	char err[128];
	ck_assert_msg(caps_parse_all(t, sizeof t - 1, out, 2, err, sizeof err) == 2, "%s", err);
	const struct vmx_caps *tgl = caps_builtin("bochs-tigerlake");
	ck_assert_str_eq(out[0].name, "a");
	ck_assert_uint_eq(out[0].feature_control, 4);
	ck_assert(!caps_msr_present(&out[0], 0x491));
	ck_assert_uint_eq(out[0].cpuid7_ecx, 0);
	ck_assert_uint_eq(out[0].cpuid7_ebx, tgl->cpuid7_ebx);
	ck_assert_uint_eq(caps_msr(&out[0], 0x48b), caps_msr(tgl, 0x48b));
	ck_assert_str_eq(out[1].name, "b");
	ck_assert_uint_eq(caps_msr(&out[1], 0x480), 1);
	ck_assert_uint_eq(out[1].feature_control, 4);
	ck_assert_uint_eq(out[1].maxphyaddr, tgl->maxphyaddr);
	/* one profile: a built-in base */
	static const char one[] = "from bochs-tigerlake\n";
	ck_assert_msg(caps_parse(one, sizeof one - 1, out, err, sizeof err) == 0, "%s", err);
	struct vmx_caps want = *tgl;
	want.name[0] = '\0';
	assert_same(&out[0], &want);
}
END_TEST

/* Hand-decoded from the MSR values (SDM A.2-A.5): the TRUE_* MSRs govern
 * because IA32_VMX_BASIC[55] = 1 on every Bochs model. */
static const struct ctl_expect {
	const char *profile;
	enum ctl_kind k;
	uint64_t must1, may1;
} ctl_expect[] = {
	{ "bochs-corei7_skylake_x", CTL_PIN,   0x16,       0x7f },
	{ "bochs-corei7_skylake_x", CTL_PROC,  0x04006172, 0xf7f9fffe },  /* CR3 load/store (15,16) may be 0 */
	{ "bochs-corei7_skylake_x", CTL_PROC2, 0,          0x02177fff },
	{ "bochs-corei7_skylake_x", CTL_PROC3, 0,          0 },           /* PROC bit 17 may not be 1 */
	{ "bochs-corei7_skylake_x", CTL_EXIT,  0x00036dfb, 0x007fffff },  /* save debug controls (2) may be 0 */
	{ "bochs-corei7_skylake_x", CTL_EXIT2, 0,          0 },           /* EXIT bit 31 may not be 1 */
	{ "bochs-corei7_skylake_x", CTL_ENTRY, 0x000011fb, 0x0000ffff },  /* load debug controls (2) may be 0 */
	{ "bochs-corei7_sandy_bridge_2600k", CTL_PROC2, 0, 0xff },
	{ "bochs-corei7_sandy_bridge_2600k", CTL_PROC,  0x04006172, 0xf7f9fffe },
	{ "bochs-tigerlake", CTL_EXIT,  0x00036dfb, 0x107fffff },         /* load CET (28) */
	{ "bochs-tigerlake", CTL_ENTRY, 0x000011fb, 0x0010ffff },         /* load CET (20) */
	{ "bochs-corei7_icelake_u", CTL_PROC, 0x04006172, 0xfff9fffe },
};

START_TEST(ctl_queries_follow_sdm)
{
	const struct ctl_expect *e = &ctl_expect[_i];
	const struct vmx_caps *c = caps_builtin(e->profile);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(caps_ctl_must1(c, e->k), e->must1);
	ck_assert_uint_eq(caps_ctl_may1(c, e->k), e->may1);
	ck_assert(caps_ctl_allowed(c, e->k, e->must1));
	ck_assert(caps_ctl_allowed(c, e->k, e->may1) == ((e->may1 & e->must1) == e->must1));
	for (unsigned bit = 0; bit < 64; bit++) {
		ck_assert(caps_ctl_may_be1(c, e->k, bit) == ((e->may1 >> bit) & 1));
		ck_assert(caps_ctl_may_be0(c, e->k, bit) == !((e->must1 >> bit) & 1));
		if ((e->must1 >> bit) & 1)
			ck_assert(!caps_ctl_allowed(c, e->k, e->must1 & ~(1ull << bit)));
		if (!((e->may1 >> bit) & 1))
			ck_assert(!caps_ctl_allowed(c, e->k, e->must1 | (1ull << bit)));
	}
	ck_assert(!caps_ctl_may_be1(c, e->k, 64));
	ck_assert(!caps_ctl_may_be0(c, e->k, 64));
}
END_TEST

/* Without IA32_VMX_BASIC[55] the plain MSRs govern (SDM A.3.1). */
START_TEST(ctl_without_true_msrs)
{
	struct vmx_caps c = *caps_default();
	c.msr[CAP_BASIC] &= ~(1ull << 55);
	ck_assert_uint_eq(caps_ctl_must1(&c, CTL_PROC), 0x0401e172);
	ck_assert_uint_eq(caps_ctl_must1(&c, CTL_EXIT), 0x00036dff);
	ck_assert_uint_eq(caps_ctl_must1(&c, CTL_ENTRY), 0x000011ff);
	ck_assert(!caps_ctl_may_be0(&c, CTL_PROC, 15));
	ck_assert(!caps_has(&c, FEAT_TRUE_CTLS));
	ck_assert(caps_has(caps_default(), FEAT_TRUE_CTLS));
}
END_TEST

/* Secondary, tertiary and secondary-exit controls exist only when the
 * control activating them may be 1 (SDM A.3.3, A.3.4, A.4.2). */
START_TEST(ctl_dependencies)
{
	struct vmx_caps c = *caps_default();
	ck_assert(caps_has(&c, FEAT_EPT));
	ck_assert(caps_has(&c, FEAT_INVEPT));
	ck_assert(caps_has(&c, FEAT_EPTP_SWITCHING));
	c.msr[CAP_TRUE_PROCBASED] &= ~(1ull << (32 + 31));
	c.msr[CAP_PROCBASED] &= ~(1ull << (32 + 31));
	ck_assert_uint_eq(caps_ctl_may1(&c, CTL_PROC2), 0);
	ck_assert(!caps_has(&c, FEAT_EPT));
	ck_assert(!caps_has(&c, FEAT_INVEPT));          /* EPT_VPID_CAP needs EPT */
	ck_assert(!caps_has(&c, FEAT_INVVPID));         /* ... or VPID */
	ck_assert(!caps_has(&c, FEAT_EPTP_SWITCHING));  /* VMFUNC needs "enable VM functions" */
	ck_assert(caps_has(&c, FEAT_ALWAYS));

	/* a tertiary MSR is only honoured with PROC bit 17 */
	c = *caps_default();
	c.msr[CAP_PROCBASED3] = 0x1f;
	c.present |= 1u << CAP_PROCBASED3;
	ck_assert(!caps_has(&c, FEAT_IPI_VIRT));
	c.msr[CAP_PROCBASED] |= 1ull << (32 + 17);
	c.msr[CAP_TRUE_PROCBASED] |= 1ull << (32 + 17);
	ck_assert(caps_has(&c, FEAT_IPI_VIRT));
	ck_assert(caps_has(&c, FEAT_TERTIARY_CONTROLS));
	ck_assert_uint_eq(caps_ctl_may1(&c, CTL_PROC3), 0x1f);
	ck_assert_uint_eq(caps_ctl_must1(&c, CTL_PROC3), 0);
	ck_assert(caps_ctl_allowed(&c, CTL_PROC3, 0));
	ck_assert(!caps_ctl_allowed(&c, CTL_PROC3, 0x20));

	c = *caps_default();
	c.msr[CAP_EXIT2] = 0x3;
	c.present |= 1u << CAP_EXIT2;
	ck_assert_uint_eq(caps_ctl_may1(&c, CTL_EXIT2), 0);
	c.msr[CAP_TRUE_EXIT] |= 1ull << (32 + 31);
	c.msr[CAP_EXIT] |= 1ull << (32 + 31);
	ck_assert(caps_has(&c, FEAT_SECONDARY_EXIT_CONTROLS));
	ck_assert_uint_eq(caps_ctl_may1(&c, CTL_EXIT2), 0x3);
}
END_TEST

/* Feature bits, decoded by hand from the MSRs of two profiles. */
START_TEST(features_of_two_profiles)
{
	const struct vmx_caps *sky = caps_builtin("bochs-corei7_skylake_x");
	const struct vmx_caps *snb = caps_builtin("bochs-corei7_sandy_bridge_2600k");
	/* PROCBASED2 allowed-1: skylake 0x02177fff, sandy bridge 0x000000ff */
	ck_assert(caps_has(sky, FEAT_VMCS_SHADOWING));          /* bit 14 */
	ck_assert(!caps_has(snb, FEAT_VMCS_SHADOWING));
	ck_assert(caps_has(sky, FEAT_PML));                     /* bit 17 */
	ck_assert(caps_has(sky, FEAT_EPT_VE));                  /* bit 18 */
	ck_assert(!caps_has(sky, FEAT_ENCLS_EXITING));          /* bit 15 */
	ck_assert(!caps_has(sky, FEAT_PT_CONCEAL));             /* bit 19 */
	ck_assert(caps_has(sky, FEAT_TSC_SCALING));             /* bit 25 */
	ck_assert(caps_has(snb, FEAT_UNRESTRICTED_GUEST));      /* bit 7 */
	ck_assert(!caps_has(snb, FEAT_APIC_REG_VIRT));          /* bit 8 */
	/* IA32_VMX_VMFUNC absent on sandy bridge, and VMFUNC not allowed */
	ck_assert(!caps_msr_present(snb, 0x491));
	ck_assert(!caps_has(snb, FEAT_EPTP_SWITCHING));
	ck_assert(caps_has(sky, FEAT_EPTP_SWITCHING));
	/* EPT_VPID_CAP: skylake 0x00000f0106334141, sandy bridge 0x00000f0106114141 */
	ck_assert(caps_has(sky, FEAT_EPT_AD));                  /* bit 21 */
	ck_assert(!caps_has(snb, FEAT_EPT_AD));
	ck_assert(caps_has(sky, FEAT_EPT_1G));                  /* bit 17 */
	ck_assert(!caps_has(snb, FEAT_EPT_1G));
	ck_assert(!caps_has(sky, FEAT_EPT_PWL5));               /* bit 7 */
	ck_assert(caps_has(snb, FEAT_INVVPID_SINGLE_NG));       /* bit 43 */
	ck_assert(caps_has(sky, FEAT_EPT_EXECUTE_ONLY));        /* bit 0 */
	/* MISC: skylake 0x600401e0, sandy bridge 0x000401e0 */
	ck_assert(caps_has(sky, FEAT_VMWRITE_ANY_FIELD));       /* bit 29 */
	ck_assert(!caps_has(snb, FEAT_VMWRITE_ANY_FIELD));
	ck_assert(caps_has(snb, FEAT_ACTIVITY_HLT));            /* bit 6 */
	ck_assert(caps_has(snb, FEAT_ACTIVITY_WAIT_SIPI));      /* bit 8 */
	ck_assert(!caps_has(snb, FEAT_ENTRY_INJECT_SW_ZERO_LEN)); /* bit 30 */
	/* pin-based 0x7f: no posted interrupts (bit 7) */
	ck_assert(caps_has(sky, FEAT_PREEMPTION_TIMER));
	ck_assert(!caps_has(sky, FEAT_POSTED_INTERRUPTS));
	/* BASIC[56]: tigerlake only */
	ck_assert(caps_has(caps_builtin("bochs-tigerlake"), FEAT_NO_ERRCODE_CHECK));
	ck_assert(!caps_has(sky, FEAT_NO_ERRCODE_CHECK));
	ck_assert(!caps_has(sky, (enum vmx_feature)FEAT_COUNT));
}
END_TEST

START_TEST(feature_names)
{
	for (int f = 0; f < FEAT_COUNT; f++) {
		const char *n = caps_feature_name((enum vmx_feature)f);
		ck_assert_ptr_nonnull(n);
		ck_assert_int_eq(caps_feature_by_name(n), f);
	}
	ck_assert_int_eq(caps_feature_by_name("no_such_feature"), -1);
	ck_assert_int_eq(caps_feature_by_name(NULL), -1);
	ck_assert_ptr_null(caps_feature_name((enum vmx_feature)FEAT_COUNT));
}
END_TEST

/* CR0/CR4 fixed bits, SDM A.7/A.8; PE/PG relaxed by unrestricted guest (26.3.1.1). */
START_TEST(cr_fixed_bits)
{
	const struct vmx_caps *sky = caps_default();   /* CR0 fixed0 0x80000021, fixed1 0xffffffff */
	ck_assert(caps_cr0_allowed(sky, 0x80000031, false));
	ck_assert(!caps_cr0_allowed(sky, 0x00000030, false));       /* PE, PG clear */
	ck_assert(caps_cr0_allowed(sky, 0x00000030, true));
	ck_assert(!caps_cr0_allowed(sky, 0x80000011, true));        /* NE clear */
	ck_assert(!caps_cr0_allowed(sky, 0x180000031ull, false));   /* bit 32 */
	/* CR4 fixed0 0x2000 (VMXE); fixed1 skylake 0x3727ff, icelake 0x772fff */
	ck_assert(caps_cr4_allowed(sky, 0x2020));
	ck_assert(!caps_cr4_allowed(sky, 0x0020));                  /* VMXE clear */
	ck_assert(!caps_cr4_allowed(sky, 0x2820));                  /* UMIP (11) */
	ck_assert(caps_cr4_allowed(caps_builtin("bochs-corei7_icelake_u"), 0x2820));
	ck_assert(!caps_cr4_allowed(sky, 0x3020));                  /* LA57 (12) */
	ck_assert(caps_cr4_allowed(sky, 0x202020));                 /* SMAP (21) */
	ck_assert(!caps_cr4_allowed(caps_builtin("bochs-corei7_sandy_bridge_2600k"), 0x202020));
}
END_TEST

/* A CR4 bit may be 1 in VMX operation only if CPUID enumerates its
 * feature (SDM Vol. 3A 2.5 "Control Registers"; Vol. 2A CPUID): the MSR dump
 * and the measured CPUID must agree, for every built-in. */
static const struct { unsigned cr4_bit; uint32_t leaf; char reg; unsigned bit; const char *what; } cr4_cpuid[] = {
	{ 11, 7, 'c', 2,  "UMIP" },
	{ 12, 7, 'c', 16, "LA57" },
	{ 13, 1, 'c', 5,  "VMXE" },
	{ 14, 1, 'c', 6,  "SMXE" },
	{ 16, 7, 'b', 0,  "FSGSBASE" },
	{ 17, 1, 'c', 17, "PCIDE" },
	{ 18, 1, 'c', 26, "OSXSAVE" },
	{ 20, 7, 'b', 7,  "SMEP" },
	{ 21, 7, 'b', 20, "SMAP" },
	{ 22, 7, 'c', 3,  "PKE" },
	{ 23, 7, 'c', 7,  "CET" },
	{ 24, 7, 'c', 31, "PKS" },
};

START_TEST(cr4_fixed1_agrees_with_cpuid)
{
	for (size_t i = 0; i < caps_builtin_count(); i++) {
		const struct vmx_caps *c = caps_builtin_at(i);
		for (size_t j = 0; j < sizeof cr4_cpuid / sizeof cr4_cpuid[0]; j++) {
			uint32_t reg = cr4_cpuid[j].leaf == 1 ? c->cpuid1_ecx
				     : cr4_cpuid[j].reg == 'b' ? c->cpuid7_ebx : c->cpuid7_ecx;
			bool cpuid = (reg >> cr4_cpuid[j].bit) & 1;
			bool cr4 = (caps_msr(c, 0x489) >> cr4_cpuid[j].cr4_bit) & 1;
			ck_assert_msg(cpuid == cr4, "%s: CR4.%s fixed1=%d, CPUID=%d", c->name,
				      cr4_cpuid[j].what, cr4, cpuid);
		}
	}
}
END_TEST

/* Profiles the SDM does not allow (Appendix A), each mutation of skylake
 * with the number of problems it must cause. */
static void set_bit(struct vmx_caps *c, enum cap_index i, unsigned bit, bool v)
{
	c->msr[i] = v ? c->msr[i] | 1ull << bit : c->msr[i] & ~(1ull << bit);
}

START_TEST(check_finds_impossible_profiles)
{
	char err[1024];
	for (size_t i = 0; i < caps_builtin_count(); i++)
		ck_assert_msg(caps_check(caps_builtin_at(i), err, sizeof err) == 0, "%s: %s",
			      caps_builtin_at(i)->name, err);
	struct vmx_caps c = *caps_default();

	set_bit(&c, CAP_BASIC, 55, false);     /* TRUE_* present without BASIC[55] (A.2) */
	ck_assert_int_eq(caps_check(&c, err, sizeof err), 4);
	ck_assert_ptr_nonnull(strstr(err, "IA32_VMX_TRUE_PINBASED_CTLS: present, but IA32_VMX_BASIC[55] = 0"));

	c = *caps_default();                   /* no secondary controls, yet their MSRs (A.3.3, A.10, A.11) */
	set_bit(&c, CAP_PROCBASED, 63, false);
	set_bit(&c, CAP_TRUE_PROCBASED, 63, false);
	ck_assert_int_eq(caps_check(&c, err, sizeof err), 3);
	ck_assert_ptr_nonnull(strstr(err, "IA32_VMX_PROCBASED_CTLS2: present"));

	c = *caps_default();                   /* must be 1 but may not be 1 (A.3.1) */
	set_bit(&c, CAP_PINBASED, 8, true);
	ck_assert_int_eq(caps_check(&c, err, sizeof err), 1);
	ck_assert_ptr_nonnull(strstr(err, "IA32_VMX_PINBASED_CTLS: bits 0x100 must be 1 but may not be 1"));

	c = *caps_default();                   /* TRUE allowed-1 differs (A.3.1) */
	set_bit(&c, CAP_TRUE_PINBASED, 32 + 6, false);
	ck_assert_int_eq(caps_check(&c, err, sizeof err), 1);

	c = *caps_default();                   /* plain MSR drops default1 bit 26 (A.2) */
	set_bit(&c, CAP_PROCBASED, 26, false);
	ck_assert_int_eq(caps_check(&c, err, sizeof err), 2);   /* and TRUE now requires more */
	ck_assert_ptr_nonnull(strstr(err, "default1 bits 0x4000000 read as 0"));

	c = *caps_default();                   /* CR0.PE fixed to 1 and to 0 (A.7) */
	set_bit(&c, CAP_CR0_FIXED1, 0, false);
	ck_assert_int_eq(caps_check(&c, err, sizeof err), 1);

	c = *caps_default();                   /* VMCS size, memory type, bit 31 (A.1) */
	c.msr[CAP_BASIC] = (c.msr[CAP_BASIC] & ~(0x1fffull << 32 | 0xfull << 50)) | 3ull << 50 | 1ull << 31;
	ck_assert_int_eq(caps_check(&c, err, sizeof err), 3);

	c = *caps_default();                   /* IA32_VMX_MISC missing (A.6) */
	c.present &= ~(1u << CAP_MISC);
	ck_assert_int_eq(caps_check(&c, err, sizeof err), 1);

	/* sandy bridge has no VMFUNC: adding one is wrong (A.11) */
	c = *caps_builtin("bochs-corei7_sandy_bridge_2600k");
	c.present |= 1u << CAP_VMFUNC;
	ck_assert_int_eq(caps_check(&c, err, 8), 1);            /* short buffer: counted, truncated */
	ck_assert_uint_lt(strlen(err), 8);
	ck_assert_int_eq(caps_check(&c, NULL, 0), 1);
	struct vmx_caps empty = { .name = "empty" };
	ck_assert_int_ge(caps_check(&empty, err, sizeof err), 11);  /* 0x480-0x48a absent */
}
END_TEST

/* Case expressions name capability values (DESIGN: caps.pinbased.allowed0). */
START_TEST(named_values)
{
	const struct vmx_caps *c = caps_default();
	static const struct { const char *name; uint64_t want; } t[] = {
		{ "pinbased.allowed0", 0x16 },            /* IA32_VMX_PINBASED_CTLS 0x0000007f00000016 */
		{ "pinbased.allowed1", 0x7f },
		{ "procbased", 0xf7f9fffe0401e172ull },
		{ "true_procbased.allowed0", 0x04006172 },
		{ "procbased2.allowed1", 0x02177fff },
		{ "ept_vpid", 0x00000f0106334141ull },
		{ "cr4_fixed1", 0x3727ff },
		{ "exit2", 0 },                           /* absent */
		{ "proc.must1", 0x04006172 },             /* the TRUE MSR governs */
		{ "exit.must1", 0x00036dfb },
		{ "exit.allowed0", 0x00036dff },          /* the plain MSR's own half */
		{ "entry.may1", 0xffff },
		{ "proc3.may1", 0 },
		{ "revision", 0x2b },
		{ "maxphyaddr", 40 },
		{ "phys_mask", 0xffffff0000000000ull },
		{ "feature_control", 5 },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		uint64_t v = ~0ull;
		ck_assert_msg(caps_value(c, t[i].name, strlen(t[i].name), &v) == 0, "%s", t[i].name);
		ck_assert_msg(v == t[i].want, "%s = %#llx", t[i].name, (unsigned long long)v);
	}
	static const char *const bad[] = { "", "pinbased.", "pinbased.allowed2", "proc.allowed0x", "nosuch",
					   "pin", "revision.allowed0", "ept_vpid_cap", "true_pinbased_ctls", "exit.", ".may1" };
	uint64_t v;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(caps_value(c, bad[i], strlen(bad[i]), &v) == -1, "%s", bad[i]);
	/* the length bounds the name: "pinbased.allowed0" cut after "pinbased" */
	ck_assert_int_eq(caps_value(c, "pinbased.allowed0", 8, &v), 0);
	ck_assert_uint_eq(v, 0x0000007f00000016ull);
	/* the governing MSR */
	ck_assert_uint_eq(caps_ctl_msr(c, CTL_PIN), 0x48d);
	ck_assert_uint_eq(caps_ctl_msr(c, CTL_PROC2), 0x48b);
	struct vmx_caps plain = *c;
	plain.msr[CAP_BASIC] &= ~(1ull << 55);
	ck_assert_uint_eq(caps_ctl_msr(&plain, CTL_PIN), 0x481);
	ck_assert_uint_eq(caps_ctl_msr(c, CTL_COUNT), 0);
	ck_assert_uint_eq(caps_ctl_width(CTL_EXIT2), 64);
	ck_assert_str_eq(caps_ctl_name(CTL_PROC2), "proc2");
}
END_TEST

START_TEST(scalar_facts)
{
	ck_assert_uint_eq(caps_revision(caps_default()), 0x2b);
	ck_assert_uint_eq(caps_revision(caps_builtin("bochs-tigerlake")), 0x4);
	ck_assert_uint_eq(caps_phys_mask(caps_default()), 0xffffff0000000000ull);   /* MAXPHYADDR 40 */
	struct vmx_caps c = { .maxphyaddr = 0 };
	ck_assert_uint_eq(caps_phys_mask(&c), 0xfffffff000000000ull);   /* 36 when unstated */
	c.maxphyaddr = 52;
	ck_assert_uint_eq(caps_phys_mask(&c), 0xfff0000000000000ull);
	ck_assert_uint_eq(caps_vmx_addr_mask(&c), 0xfff0000000000000ull);
	c.msr[CAP_BASIC] = 1ull << 48;   /* A.1: VMX structures below 4 GiB */
	c.present = 1;
	ck_assert_uint_eq(caps_vmx_addr_mask(&c), 0xffffffff00000000ull);
	ck_assert_uint_eq(caps_vmx_addr_mask(caps_default()), 0xffffff0000000000ull);
	ck_assert_str_eq(caps_msr_name(0x480), "IA32_VMX_BASIC");
	ck_assert_str_eq(caps_msr_name(0x493), "IA32_VMX_EXIT_CTLS2");
	ck_assert_str_eq(caps_msr_name(0x3a), "IA32_FEATURE_CONTROL");
	ck_assert_ptr_null(caps_msr_name(0x494));
	ck_assert_ptr_null(caps_msr_name(0x47f));
	ck_assert(!caps_msr_present(caps_default(), 0x3a));
	ck_assert(!caps_msr_present(caps_default(), 0xffffffff));
}
END_TEST

/* The reference's own comment facts ("# CPUID.1.EAX = ...") and the
 * directive form mean the same. */
START_TEST(parse_forms)
{
	static const char a[] =
		"[p]\n# CPUID brand: x\n# CPUID.1.EAX = 0x0000000000050654\n"
		"# CPUID.1:ECX.VMX[5] = 1\n# CPUID.80000008.EAX = 0x3027\n"
		"0x480 0x00d810000000002b IA32_VMX_BASIC\n0x491 absent\n";
	static const char b[] =
		"[p]\r\n  cpuid 1 EAX 0x50654\r\ncpuid 0x80000008 eax 12327\n"
		"\t0x480\t0xd810000000002b\n0x491 absent IA32_VMX_VMFUNC\n";
	struct vmx_caps x, y;
	char err[128];
	ck_assert_msg(caps_parse(a, sizeof a - 1, &x, err, sizeof err) == 0, "%s", err);
	ck_assert_msg(caps_parse(b, sizeof b - 1, &y, err, sizeof err) == 0, "%s", err);
	assert_same(&x, &y);
	ck_assert_uint_eq(x.cpuid1_eax, 0x50654);
	ck_assert_uint_eq(x.maxphyaddr, 39);
	ck_assert_uint_eq(x.linaddr, 48);
	ck_assert_uint_eq(x.present, 1);
	/* no header: an unnamed profile */
	ck_assert(caps_parse("0x481 0x1", 9, &x, err, sizeof err) == 0);
	ck_assert_str_eq(x.name, "");
	ck_assert_uint_eq(caps_msr(&x, 0x481), 1);
}
END_TEST

static const struct bad {
	const char *text;
	const char *err;      /* expected prefix "line:col: " + words */
	bool all;             /* through caps_parse_all (max 2) */
} bad[] = {
	{ "0x480 0xzz", "1:7: bad value", false },
	{ "0x480", "1:6: expected a value", false },
	{ "0x480 0x1\n0x480 0x2", "2:1: IA32_VMX_BASIC given twice", false },
	{ "0x499 0x1", "1:1: MSR 0x499 is not part", false },
	{ "0x480 0x1 IA32_VMX_MISC", "1:11: MSR 0x480 is IA32_VMX_BASIC", false },
	{ "0x480 0x10000000000000000", "1:7: bad value", false },
	{ "0x480 0x1 IA32_VMX_BASIC extra", "1:26: trailing text", false },
	{ "0x480 0x1\n\n  0x481 0x1 \0", "3:13: NUL byte", false },
	{ "0x3a absent", "1:6: IA32_FEATURE_CONTROL exists", false },
	{ "cpuid 0x1 eax 0x100000000", "1:15: CPUID value", false },
	{ "cpuid 0x2 eax 0", "1:7: CPUID fact not kept", false },
	{ "cpuid 0x1 exx 0", "1:11: expected eax", false },
	{ "cpuid 0x1 eax", "1:14: expected: cpuid", false },
	{ "cpuid 0x80000008 eax 0x3035", "1:22: MAXPHYADDR 53 exceeds 52", false },
	{ "cpuid 1 eax 1\n# CPUID.1.EAX = 2", "2:17: CPUID.1.eax given twice", false },
	{ "# CPUID.1.EAX = junk", "1:17: bad CPUID value", false },
	{ "# CPUID.1.EAX = 1 2", "1:19: trailing text", false },
	{ "[a]\n[b]", "2:1: a [profile] header must come first", false },
	{ "0x480 0x1\n[a]", "2:1: a [profile] header must come first", false },
	{ "[bad name]", "1:5: expected ']'", false },
	{ "[]", "1:2: profile name must have", false },
	{ "[a] x", "1:5: trailing text", false },
	{ "[aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa]", "1:2: profile name", false },
	{ "", "1:1: no profile", false },
	{ "# only a comment\n", "2:1: no profile", false },
	{ "hello", "1:1: expected an MSR number", false },
	{ "0x480 0x1 \x1b[31m", "1:11: MSR 0x480 is IA32_VMX_BASIC, not '?[31m'", false },
	{ "0x480 0x1", "1:1: outside a [profile]", true },
	{ "[a]\n[a]", "2:2: profile [a] given twice", true },
	{ "[a]\n[b]\n[c]", "3:1: more than 2 profiles", true },
	{ "from bochs-nonexistent", "1:6: 'from': no earlier or built-in profile 'bochs-nonexistent'", false },
	{ "from", "1:5: expected: from PROFILE", false },
	{ "from bochs-tigerlake x", "1:22: trailing text", false },
	{ "0x480 0x1\nfrom bochs-tigerlake", "2:6: 'from' must be the first line", false },
	{ "from bochs-tigerlake\nfrom bochs-tigerlake", "2:6: 'from' must be the first line", false },
	{ "from bochs-tigerlake\n0x3a 0x4\n0x3a 0x5", "3:1: IA32_FEATURE_CONTROL given twice", false },
	{ "[bochs-tigerlake]\nfrom bochs-tigerlake", "2:6: 'from': no earlier", false },
	{ "[a]\nfrom b\n[b]", "2:6: 'from': no earlier", true },
};

START_TEST(hostile_text_gets_errors)
{
	const struct bad *b = &bad[_i];
	struct vmx_caps out[2];
	char err[160];
	size_t len = strlen(b->text);
	if (strstr(b->err, "NUL"))
		len += 1;   /* include the embedded NUL */
	int rc = b->all ? caps_parse_all(b->text, len, out, 2, err, sizeof err)
			: caps_parse(b->text, len, out, err, sizeof err);
	ck_assert_int_eq(rc, -1);
	ck_assert_msg(strncmp(err, b->err, strlen(b->err)) == 0, "text %d: got '%s', want '%s'", _i, err, b->err);
	/* tiny or absent error buffers are safe */
	char one[1];
	ck_assert_int_eq(b->all ? caps_parse_all(b->text, len, out, 2, one, 1)
				: caps_parse(b->text, len, out, one, 1), -1);
	ck_assert_int_eq(one[0], '\0');
	ck_assert_int_eq(b->all ? caps_parse_all(b->text, len, out, 2, NULL, 0)
				: caps_parse(b->text, len, out, NULL, 0), -1);
}
END_TEST

/* Deterministic mutations of the corpus: never a crash (ASan/UBSan), and
 * whatever parses round-trips. */
START_TEST(mutated_corpus_never_crashes)
{
	size_t len;
	char *text = slurp(CORPUS, &len);
	char *mut = malloc(len + 64);
	static const char alphabet[] = "0x[]#\n \t\rabsent9fFcpuid.=\0-";
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	struct vmx_caps out[8], back;
	char err[128], buf[4096];
	for (int iter = 0; iter < 3000; iter++) {
		memcpy(mut, text, len);
		size_t n = len;
		for (int k = 0; k < 1 + iter % 8; k++) {
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			size_t pos = (size_t)(seed >> 33) % n;
			char ch = alphabet[(seed >> 20) % (sizeof alphabet - 1)];
			if ((seed >> 12) % 3 == 0 && n > 1)
				n = pos + 1;              /* truncate */
			else
				mut[pos] = ch;
		}
		int got = caps_parse_all(mut, n, out, 8, err, sizeof err);
		for (int i = 0; i < got; i++) {
			size_t w = caps_format(&out[i], buf, sizeof buf);
			ck_assert_uint_lt(w, sizeof buf);
			ck_assert_msg(caps_parse(buf, w, &back, err, sizeof err) == 0, "%s", err);
			assert_same(&out[i], &back);
		}
		if (got < 0)
			ck_assert_msg(strchr(err, ':') != NULL, "error without position: %s", err);
	}
	free(mut);
	free(text);
}
END_TEST

static Suite *caps_suite(void)
{
	Suite *s = suite_create("caps");
	TCase *t = tcase_create("caps");
	tcase_add_test(t, builtins_match_corpus_numbers);
	tcase_add_test(t, builtins_equal_parsed_corpus);
	tcase_add_test(t, builtins_round_trip);
	tcase_add_test(t, real_cpus_match_their_dumps);
	tcase_add_test(t, variants_match_their_bases);
	tcase_add_test(t, variants_equal_parsed_text);
	tcase_add_test(t, from_derives);
	tcase_add_loop_test(t, ctl_queries_follow_sdm, 0, sizeof ctl_expect / sizeof ctl_expect[0]);
	tcase_add_test(t, ctl_without_true_msrs);
	tcase_add_test(t, ctl_dependencies);
	tcase_add_test(t, features_of_two_profiles);
	tcase_add_test(t, feature_names);
	tcase_add_test(t, cr_fixed_bits);
	tcase_add_test(t, cr4_fixed1_agrees_with_cpuid);
	tcase_add_test(t, check_finds_impossible_profiles);
	tcase_add_test(t, named_values);
	tcase_add_test(t, scalar_facts);
	tcase_add_test(t, parse_forms);
	tcase_add_loop_test(t, hostile_text_gets_errors, 0, sizeof bad / sizeof bad[0]);
	tcase_add_test(t, mutated_corpus_never_crashes);
	tcase_set_timeout(t, 30);
	suite_add_tcase(s, t);
	return s;
}
SUITE_REGISTER(caps_suite);
