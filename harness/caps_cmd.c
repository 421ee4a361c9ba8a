/* `nestvmx caps`: list the built-in capability profiles, show one decoded
 * (every MSR; every control bit as fixed-0 / fixed-1 / flexible with its SDM
 * name), print JSON, or dump the host's own MSRs in the profile format.
 * SDM Vol. 3D Appendix A. */
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "backend.h"
#include "caps_cmd.h"
#include "cmd.h"

/* ---- control bits: names from refvmm/ctl_bits.def ---- */

static const char *const bit_names[CTL_COUNT][64] = {
#define CTL_BIT(k, b, n) [k][b] = n,
#include "refvmm/ctl_bits.def"
#undef CTL_BIT
};

static const bool default1[CTL_COUNT][64] = {
#define CTL_BIT(k, b, n)
#define DEFAULT1(k, b) [k][b] = true,
#include "refvmm/ctl_bits.def"
#undef CTL_BIT
};

/* How each control field is presented (the facts are in refvmm/caps.c). */
static const struct {
	const char *title, *sdm;
} kinds[CTL_COUNT] = {
	[CTL_PIN]   = { "Pin-based VM-execution controls", "24.6.1, A.3.1" },
	[CTL_PROC]  = { "Primary processor-based VM-execution controls", "24.6.2, A.3.2" },
	[CTL_PROC2] = { "Secondary processor-based VM-execution controls", "24.6.2, A.3.3" },
	[CTL_PROC3] = { "Tertiary processor-based VM-execution controls", "24.6.2, A.3.4" },
	[CTL_EXIT]  = { "Primary VM-exit controls", "24.7.1, A.4.1" },
	[CTL_ENTRY] = { "VM-entry controls", "24.8.1, A.5" },
	[CTL_EXIT2] = { "Secondary VM-exit controls", "24.7.1, A.4.2" },
};

const char *ctl_bit_name(enum ctl_kind k, unsigned bit)
{
	return (unsigned)k < CTL_COUNT && bit < 64 ? bit_names[k][bit] : NULL;
}

bool ctl_bit_default1(enum ctl_kind k, unsigned bit)
{
	return (unsigned)k < CTL_COUNT && bit < 64 && default1[k][bit];
}

enum bit_setting caps_bit_setting(const struct vmx_caps *c, enum ctl_kind k, unsigned bit)
{
	if (!caps_ctl_may_be1(c, k, bit))
		return BIT_FIXED0;
	return caps_ctl_may_be0(c, k, bit) ? BIT_FLEXIBLE : BIT_FIXED1;
}

const char *caps_bit_setting_name(enum bit_setting s)
{
	static const char *const names[] = {
		[BIT_FIXED0] = "fixed-0", [BIT_FIXED1] = "fixed-1", [BIT_FLEXIBLE] = "flexible",
	};
	return (unsigned)s < 3 ? names[s] : "?";
}

/* ---- loading ---- */

const struct vmx_caps *caps_load(const char *arg, struct vmx_caps *buf, char *err, size_t errlen)
{
	const struct vmx_caps *c = caps_builtin(arg);
	if (c)
		return c;
	FILE *f = fopen(arg, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: neither a built-in profile nor a readable file (%s)",
			 arg, strerror(errno));
		return NULL;
	}
	enum { MAX = 1 << 20 };
	char *text = malloc(MAX);
	size_t n = text ? fread(text, 1, MAX, f) : 0;
	bool big = text && n == MAX;
	fclose(f);
	char perr[200] = "";
	int rc = !text || big ? -1 : caps_parse(text, n, buf, perr, sizeof perr);
	free(text);
	if (rc < 0) {
		snprintf(err, errlen, "%s:%s", arg, !text ? " out of memory" : big ? " file too large" : perr);
		return NULL;
	}
	if (!buf->name[0])
		snprintf(buf->name, sizeof buf->name, "file");
	return buf;
}

/* ---- text ---- */

static void show_msrs(FILE *f, const struct vmx_caps *c)
{
	fprintf(f, "MSRs:\n  0x%03x %-30s 0x%016" PRIx64 "  lock=%d vmx-in-smx=%d vmx-outside-smx=%d\n",
		MSR_IA32_FEATURE_CONTROL, caps_msr_name(MSR_IA32_FEATURE_CONTROL), c->feature_control,
		(int)(c->feature_control & 1), (int)((c->feature_control >> 1) & 1),
		(int)((c->feature_control >> 2) & 1));
	for (uint32_t msr = CAP_MSR_FIRST; msr < CAP_MSR_FIRST + CAP_NMSR; msr++) {
		if (caps_msr_present(c, msr))
			fprintf(f, "  0x%03x %-30s 0x%016" PRIx64 "\n", msr, caps_msr_name(msr), caps_msr(c, msr));
		else
			fprintf(f, "  0x%03x %-30s absent\n", msr, caps_msr_name(msr));
	}
}

static const char *memtype_name(unsigned t)
{
	return t == 0 ? "UC" : t == 6 ? "WB" : "reserved";
}

/* IA32_VMX_BASIC (A.1) and IA32_VMX_MISC (A.6) fields. */
static void show_basic_misc(FILE *f, const struct vmx_caps *c)
{
	uint64_t b = caps_msr(c, 0x480), m = caps_msr(c, 0x485);
	fprintf(f, "\nIA32_VMX_BASIC (A.1): revision 0x%" PRIx32 ", VMCS region %u bytes, "
		"memory type %u (%s), 32-bit addresses only %d, dual-monitor SMM %d,\n"
		"  INS/OUTS exit info %d, TRUE_* controls %d, any exception error code %d\n",
		caps_revision(c), (unsigned)((b >> 32) & 0x1fff), (unsigned)((b >> 50) & 0xf),
		memtype_name((unsigned)((b >> 50) & 0xf)), (int)((b >> 48) & 1), (int)((b >> 49) & 1),
		(int)((b >> 54) & 1), (int)((b >> 55) & 1), (int)((b >> 56) & 1));
	fprintf(f, "IA32_VMX_MISC (A.6): preemption timer = TSC >> %u, EFER.LMA stored %d, "
		"activity HLT %d shutdown %d wait-for-SIPI %d,\n  PT in VMX %d, RDMSR SMBASE %d, "
		"CR3 targets %u, MSR list max %u, VMWRITE any field %d, zero-length inject %d, MSEG rev %u\n",
		(unsigned)(m & 0x1f), (int)((m >> 5) & 1), (int)((m >> 6) & 1), (int)((m >> 7) & 1),
		(int)((m >> 8) & 1), (int)((m >> 14) & 1), (int)((m >> 15) & 1),
		(unsigned)((m >> 16) & 0x1ff), 512u * (unsigned)(((m >> 25) & 7) + 1),
		(int)((m >> 29) & 1), (int)((m >> 30) & 1), (unsigned)(m >> 32));
	fprintf(f, "IA32_VMX_VMCS_ENUM (A.9): highest field index %u\n",
		(unsigned)((caps_msr(c, 0x48a) >> 1) & 0x1ff));
	fprintf(f, "CPUID: 1.EAX 0x%08" PRIx32 " 1.ECX 0x%08" PRIx32 " 1.EDX 0x%08" PRIx32
		" 7.EBX 0x%08" PRIx32 " 7.ECX 0x%08" PRIx32 "; MAXPHYADDR %u%s, linear %u\n",
		c->cpuid1_eax, c->cpuid1_ecx, c->cpuid1_edx, c->cpuid7_ebx, c->cpuid7_ecx,
		c->maxphyaddr ? c->maxphyaddr : 36, c->maxphyaddr ? "" : " (unstated: 36)", c->linaddr);
}

/* CR0/CR4 bits in VMX operation (A.7, A.8): which must be 1, which must be 0. */
static void show_cr(FILE *f, const char *name, uint64_t fixed0, uint64_t fixed1)
{
	fprintf(f, "%s (A.7/A.8): must be 1:", name);
	for (unsigned i = 0; i < 64; i++)
		if ((fixed0 >> i) & 1)
			fprintf(f, " %u", i);
	fprintf(f, "; may be 1: 0x%" PRIx64 "\n", fixed1);
}

static void show_ctl(FILE *f, const struct vmx_caps *c, enum ctl_kind k)
{
	fprintf(f, "\n%s (SDM %s)", kinds[k].title, kinds[k].sdm);
	if (caps_ctl_may1(c, k) == 0 && caps_ctl_must1(c, k) == 0 &&
	    (k == CTL_PROC2 || k == CTL_PROC3 || k == CTL_EXIT2)) {
		fprintf(f, ": not available (its activating control may not be 1, or MSR 0x%x absent)\n",
			caps_ctl_msr(c, k));
		return;
	}
	fprintf(f, " from %s: must-be-1 0x%" PRIx64 ", may-be-1 0x%" PRIx64 "\n",
		caps_msr_name(caps_ctl_msr(c, k)), caps_ctl_must1(c, k), caps_ctl_may1(c, k));
	for (unsigned bit = 0; bit < caps_ctl_width((enum ctl_kind)k); bit++) {
		const char *n = ctl_bit_name(k, bit);
		enum bit_setting s = caps_bit_setting(c, k, bit);
		if (!n && s == BIT_FIXED0 && !ctl_bit_default1(k, bit)) {
			/* a run of reserved fixed-0 bits says one thing: print it once */
			unsigned last = bit;
			while (last + 1 < caps_ctl_width((enum ctl_kind)k) && !ctl_bit_name(k, last + 1) &&
			       caps_bit_setting(c, k, last + 1) == BIT_FIXED0 && !ctl_bit_default1(k, last + 1))
				last++;
			if (last > bit)
				fprintf(f, "  bits %u-%u fixed-0  reserved\n", bit, last);
			else
				fprintf(f, "  bit %2u  fixed-0   reserved\n", bit);
			bit = last;
			continue;
		}
		fprintf(f, "  bit %2u  %-8s  %s%s\n", bit, caps_bit_setting_name(s),
			n ? n : "reserved", ctl_bit_default1(k, bit) ? " (default1)" : "");
	}
}

static void show_features(FILE *f, const struct vmx_caps *c)
{
	fprintf(f, "\nFeatures (refvmm/features.def):\n");
	int col = 0;
	for (int i = 0; i < FEAT_COUNT; i++) {
		col += fprintf(f, "  %s%s", caps_has(c, (enum vmx_feature)i) ? "+" : "-",
			       caps_feature_name((enum vmx_feature)i));
		if (col > 60) {
			fputc('\n', f);
			col = 0;
		}
	}
	if (col)
		fputc('\n', f);
}

void caps_show_text(FILE *f, const struct vmx_caps *c)
{
	char problems[2048];
	int n = caps_check(c, problems, sizeof problems);
	fprintf(f, "profile %s\n", c->name);
	if (n)
		fprintf(f, "WARNING: %d inconsistencies with SDM Appendix A:\n%s", n, problems);
	show_msrs(f, c);
	show_basic_misc(f, c);
	show_cr(f, "CR0", caps_msr(c, 0x486), caps_msr(c, 0x487));
	show_cr(f, "CR4", caps_msr(c, 0x488), caps_msr(c, 0x489));
	for (int k = 0; k < CTL_COUNT; k++)
		show_ctl(f, c, (enum ctl_kind)k);
	show_features(f, c);
}

/* ---- JSON ---- */

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static void json_ctl(FILE *f, const struct vmx_caps *c, enum ctl_kind k)
{
	fprintf(f, "    \"%s\": {\"must1\": \"0x%" PRIx64 "\", \"may1\": \"0x%" PRIx64 "\", \"bits\": [",
		caps_ctl_name((enum ctl_kind)k), caps_ctl_must1(c, k), caps_ctl_may1(c, k));
	const char *sep = "";
	for (unsigned bit = 0; bit < caps_ctl_width((enum ctl_kind)k); bit++) {
		const char *n = ctl_bit_name(k, bit);
		enum bit_setting s = caps_bit_setting(c, k, bit);
		if (!n && s == BIT_FIXED0 && caps_ctl_width((enum ctl_kind)k) == 64)
			continue;
		fprintf(f, "%s\n      {\"bit\": %u, \"setting\": \"%s\", \"name\": ", sep, bit,
			caps_bit_setting_name(s));
		if (n)
			json_str(f, n);
		else
			fputs("null", f);
		fputc('}', f);
		sep = ",";
	}
	fprintf(f, "]}%s\n", k + 1 < CTL_COUNT ? "," : "");
}

void caps_show_json(FILE *f, const struct vmx_caps *c)
{
	fputs("{\"name\": ", f);
	json_str(f, c->name);
	fprintf(f, ", \"revision\": %" PRIu32 ", \"maxphyaddr\": %u, \"linaddr\": %u,\n"
		" \"cpuid\": {\"1.eax\": \"0x%08" PRIx32 "\", \"1.ecx\": \"0x%08" PRIx32 "\", "
		"\"1.edx\": \"0x%08" PRIx32 "\", \"7.ebx\": \"0x%08" PRIx32 "\", \"7.ecx\": \"0x%08" PRIx32 "\"},\n"
		" \"msrs\": {\"0x3a\": \"0x%" PRIx64 "\"",
		caps_revision(c), c->maxphyaddr, c->linaddr, c->cpuid1_eax, c->cpuid1_ecx,
		c->cpuid1_edx, c->cpuid7_ebx, c->cpuid7_ecx, c->feature_control);
	for (uint32_t msr = CAP_MSR_FIRST; msr < CAP_MSR_FIRST + CAP_NMSR; msr++) {
		if (caps_msr_present(c, msr))
			fprintf(f, ", \"0x%x\": \"0x%016" PRIx64 "\"", msr, caps_msr(c, msr));
		else
			fprintf(f, ", \"0x%x\": null", msr);
	}
	fputs("},\n \"controls\": {\n", f);
	for (int k = 0; k < CTL_COUNT; k++)
		json_ctl(f, c, (enum ctl_kind)k);
	fputs(" },\n \"features\": {", f);
	for (int i = 0; i < FEAT_COUNT; i++)
		fprintf(f, "%s\"%s\": %s", i ? ", " : "", caps_feature_name((enum vmx_feature)i),
			caps_has(c, (enum vmx_feature)i) ? "true" : "false");
	char problems[2048];
	caps_check(c, problems, sizeof problems);
	fputs("},\n \"problems\": [", f);
	const char *sep = "";
	for (char *line = problems, *nl; *line; line = nl + 1) {
		if (!(nl = strchr(line, '\n')))
			break;
		*nl = '\0';
		fputs(sep, f);
		json_str(f, line);
		sep = ", ";
	}
	fputs("]}\n", f);
}

/* ---- differences between two profiles ---- */

__attribute__((format(printf, 3, 4)))
static void diff_line(FILE *f, int *n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	++*n;
}

int caps_diff(FILE *f, const struct vmx_caps *a, const struct vmx_caps *b)
{
	int n = 0;
	for (uint32_t msr = CAP_MSR_FIRST; msr < CAP_MSR_FIRST + CAP_NMSR; msr++) {
		bool pa = caps_msr_present(a, msr), pb = caps_msr_present(b, msr);
		char va[24] = "absent", vb[24] = "absent";
		if (pa)
			snprintf(va, sizeof va, "0x%016" PRIx64, caps_msr(a, msr));
		if (pb)
			snprintf(vb, sizeof vb, "0x%016" PRIx64, caps_msr(b, msr));
		if (strcmp(va, vb) != 0)
			diff_line(f, &n, "0x%03x %-30s %-18s -> %s\n", msr, caps_msr_name(msr), va, vb);
	}
	if (a->maxphyaddr != b->maxphyaddr || a->linaddr != b->linaddr)
		diff_line(f, &n, "MAXPHYADDR/linear %u/%u -> %u/%u\n", a->maxphyaddr, a->linaddr,
			  b->maxphyaddr, b->linaddr);
	for (int k = 0; k < CTL_COUNT; k++)
		for (unsigned bit = 0; bit < caps_ctl_width((enum ctl_kind)k); bit++) {
			enum bit_setting sa = caps_bit_setting(a, (enum ctl_kind)k, bit);
			enum bit_setting sb = caps_bit_setting(b, (enum ctl_kind)k, bit);
			const char *name = ctl_bit_name((enum ctl_kind)k, bit);
			if (sa != sb)
				diff_line(f, &n, "%s bit %u %s: %s -> %s\n", caps_ctl_name((enum ctl_kind)k), bit,
					  name ? name : "reserved", caps_bit_setting_name(sa),
					  caps_bit_setting_name(sb));
		}
	for (int i = 0; i < FEAT_COUNT; i++) {
		bool ha = caps_has(a, (enum vmx_feature)i), hb = caps_has(b, (enum vmx_feature)i);
		if (ha != hb)
			diff_line(f, &n, "%c%s\n", hb ? '+' : '-', caps_feature_name((enum vmx_feature)i));
	}
	return n;
}

/* ---- the command ---- */

static int usage(FILE *f)
{
	fprintf(f,
		"usage: nestvmx caps --list [--json]\n"
		"       nestvmx caps --show NAME|FILE [--json]\n"
		"       nestvmx caps --dump [-o FILE] [--cpu N] [--root DIR]\n"
		"       nestvmx caps --diff A B\n"
		"Capability profiles: the IA32_VMX_* MSRs (SDM Appendix A) every expectation\n"
		"is derived from.\n"
		"  --list         the built-in profiles (Bochs 2.7 CPU models, real Intel CPUs, variants)\n"
		"  --show P       every MSR of a built-in profile or profile file, each control\n"
		"                 bit as fixed-0 / fixed-1 / flexible with its SDM name, and the\n"
		"                 features the model derives from it\n"
		"  --json         machine-readable output for --list/--show\n"
		"  --dump         read this host's VMX MSRs (/dev/cpu/N/msr, needs root and the\n"
		"                 msr module) and print them as a profile (-o FILE to save);\n"
		"                 exit status 3 where the host cannot tell (not Intel, no VMX,\n"
		"                 no msr driver, no permission)\n"
		"  --diff A B     what differs from profile A to profile B: MSRs, control-bit\n"
		"                 settings, features (exit status 0 when none, 1 otherwise)\n"
		"  --cpu N        logical CPU to read (default 0)\n"
		"  --root DIR     prefix for /proc and /dev (tests)\n");
	return f == stdout ? EXIT_OK : EXIT_USAGE;
}

static int list(bool json)
{
	if (json)
		fputs("[", stdout);
	for (size_t i = 0; i < caps_builtin_count(); i++) {
		const struct vmx_caps *c = caps_builtin_at(i);
		if (json)
			printf("%s\n {\"name\": \"%s\", \"revision\": %" PRIu32 ", \"cpuid1_eax\": \"0x%08" PRIx32
			       "\", \"default\": %s}", i ? "," : "", c->name, caps_revision(c), c->cpuid1_eax,
			       c == caps_default() ? "true" : "false");
		else
			printf("%-34s revision 0x%02" PRIx32 "  CPUID.1.EAX 0x%08" PRIx32 "%s\n", c->name,
			       caps_revision(c), c->cpuid1_eax, c == caps_default() ? "  (default)" : "");
	}
	if (json)
		puts("\n]");
	return EXIT_OK;
}

static int show(const char *arg, bool json)
{
	struct vmx_caps buf;
	char err[300];
	const struct vmx_caps *c = caps_load(arg, &buf, err, sizeof err);
	if (!c) {
		fprintf(stderr, "nestvmx caps: %s\n", err);
		return EXIT_USAGE;
	}
	if (json)
		caps_show_json(stdout, c);
	else
		caps_show_text(stdout, c);
	return EXIT_OK;
}

static int diff(const char *a, const char *b)
{
	struct vmx_caps ba, bb;
	char err[300];
	const struct vmx_caps *ca = caps_load(a, &ba, err, sizeof err), *cb = NULL;
	if (ca)
		cb = caps_load(b, &bb, err, sizeof err);
	if (!ca || !cb) {
		fprintf(stderr, "nestvmx caps: %s\n", err);
		return EXIT_USAGE;
	}
	printf("--- %s\n+++ %s\n", ca->name, cb->name);
	return caps_diff(stdout, ca, cb) ? EXIT_FAIL : EXIT_OK;
}

static int dump(const char *root, int cpu, const char *out)
{
	struct vmx_caps c;
	char brand[64] = "", why[400];
	int rc = caps_dump_host(root, cpu, &c, brand, sizeof brand, why, sizeof why);
	if (rc) {
		fprintf(stderr, "nestvmx caps --dump: %s\n", why);
		return rc;
	}
	char problems[2048];
	if (caps_check(&c, problems, sizeof problems))
		fprintf(stderr, "nestvmx caps --dump: warning: this CPU's MSRs contradict SDM Appendix A:\n%s",
			problems);
	FILE *f = out ? fopen(out, "w") : stdout;
	if (!f) {
		fprintf(stderr, "nestvmx caps --dump: %s: %s\n", out, strerror(errno));
		return EXIT_FAIL;
	}
	char text[4096];
	caps_format(&c, text, sizeof text);
	fprintf(f, "# VMX capability MSRs of this host, read from /dev/cpu/%d/msr by nestvmx caps --dump.\n"
		"# CPUID brand: %s\n%s", cpu, brand, text);
	int bad = ferror(f);
	if (out)
		bad |= fclose(f);
	return bad ? EXIT_FAIL : EXIT_OK;
}

static int caps_run(int argc, char **argv)
{
	enum { NONE, LIST, SHOW, DUMP, DIFF } mode = NONE;
	const char *arg = NULL, *arg2 = NULL, *out = NULL, *root = "";
	bool json = false;
	int cpu = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool has_val = i + 1 < argc;
		if (!strcmp(a, "--help") || !strcmp(a, "-h"))
			return usage(stdout);
		else if (!strcmp(a, "--list"))
			mode = LIST;
		else if (!strcmp(a, "--json"))
			json = true;
		else if (!strcmp(a, "--dump"))
			mode = DUMP;
		else if (!strcmp(a, "--show") && has_val)
			mode = SHOW, arg = argv[++i];
		else if (!strcmp(a, "--diff") && i + 2 < argc)
			mode = DIFF, arg = argv[i + 1], arg2 = argv[i + 2], i += 2;
		else if (!strcmp(a, "-o") && has_val)
			out = argv[++i];
		else if (!strcmp(a, "--root") && has_val)
			root = argv[++i];
		else if (!strcmp(a, "--cpu") && has_val) {
			char *end;
			long v = strtol(argv[++i], &end, 10);
			if (*end || v < 0 || v > 65535) {
				fprintf(stderr, "nestvmx caps: bad --cpu '%s'\n", argv[i]);
				return EXIT_USAGE;
			}
			cpu = (int)v;
		} else {
			fprintf(stderr, "nestvmx caps: unexpected argument '%s'\n", a);
			return usage(stderr);
		}
	}
	switch (mode) {
	case LIST: return list(json);
	case SHOW: return show(arg, json);
	case DUMP: return dump(root, cpu, out);
	case DIFF: return diff(arg, arg2);
	case NONE: break;
	}
	return usage(stderr);
}

static const struct command caps_cmd = {
	.name = "caps",
	.summary = "list, show (decoded) or dump VMX capability profiles",
	.run = caps_run,
};
COMMAND_REGISTER(caps_cmd)
