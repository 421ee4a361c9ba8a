/* nestvmx caps: control-bit decoding against SDM Appendix A, the bit-name
 * table against features.def, profile loading, and --dump on fabricated
 * hosts (a regular file stands in for /dev/cpu/0/msr: RDMSR of MSR m reads
 * the 8 bytes at offset m, beyond the end is EIO = absent). */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "suites.h"
#include "harness/backend.h"
#include "harness/caps_cmd.h"
#include "harness/cmd.h"

/* SDM A.2: the default1 class, bits that read as 1 in the plain (non-TRUE)
 * control MSRs of a processor that has the TRUE ones. */
static const uint32_t sdm_default1[CTL_COUNT] = {
	[CTL_PIN] = 0x00000016, [CTL_PROC] = 0x0401e172, [CTL_EXIT] = 0x00036dff, [CTL_ENTRY] = 0x000011ff,
};

START_TEST(default1_table_matches_sdm_and_profiles)
{
	for (int k = 0; k < CTL_COUNT; k++) {
		uint32_t mask = 0;
		for (unsigned b = 0; b < 32; b++)
			if (ctl_bit_default1((enum ctl_kind)k, b))
				mask |= 1u << b;
		ck_assert_msg(mask == sdm_default1[k], "%s: 0x%x", caps_ctl_name((enum ctl_kind)k), mask);
	}
	static const uint32_t plain[CTL_COUNT] = { [CTL_PIN] = 0x481, [CTL_PROC] = 0x482, [CTL_EXIT] = 0x483, [CTL_ENTRY] = 0x484 };
	for (size_t i = 0; i < caps_builtin_count(); i++)
		for (int k = 0; k < CTL_COUNT; k++)
			if (plain[k])
				ck_assert_uint_eq((uint32_t)caps_msr(caps_builtin_at(i), plain[k]), sdm_default1[k]);
}
END_TEST

/* Every feature that is a control bit (features.def) has an SDM name. */
START_TEST(every_control_feature_has_a_bit_name)
{
	static const struct { enum cap_index idx; enum ctl_kind k; unsigned off; } map[] = {
		{ CAP_PINBASED, CTL_PIN, 32 }, { CAP_PROCBASED, CTL_PROC, 32 }, { CAP_PROCBASED2, CTL_PROC2, 32 },
		{ CAP_PROCBASED3, CTL_PROC3, 0 }, { CAP_EXIT, CTL_EXIT, 32 }, { CAP_ENTRY, CTL_ENTRY, 32 },
		{ CAP_EXIT2, CTL_EXIT2, 0 },
	};
	int checked = 0;
#define FEATURE(f_id, f_name, f_idx, f_bit) \
	for (size_t m = 0; m < sizeof map / sizeof map[0]; m++) \
		if (map[m].idx == (f_idx)) { \
			ck_assert_msg(ctl_bit_name(map[m].k, (unsigned)(f_bit) - map[m].off) != NULL, "%s", f_name); \
			checked++; \
		}
#include "refvmm/features.def"
#undef FEATURE
	ck_assert_int_gt(checked, 60);
	ck_assert_ptr_null(ctl_bit_name(CTL_COUNT, 0));
	ck_assert_ptr_null(ctl_bit_name(CTL_PIN, 64));
	ck_assert_uint_eq(caps_ctl_width(CTL_PROC3), 64);
	ck_assert_uint_eq(caps_ctl_width(CTL_ENTRY), 32);
}
END_TEST

/* Skylake TRUE_PINBASED 0x0000007f00000016, TRUE_PROCBASED 0xf7f9fffe04006172,
 * TRUE_EXIT 0x007fffff00036dfb (SDM A.3.1, A.3.2, A.4). */
START_TEST(bit_settings_skylake)
{
	const struct vmx_caps *c = caps_builtin("bochs-corei7_skylake_x");
	static const struct { enum ctl_kind k; unsigned bit; enum bit_setting s; } t[] = {
		{ CTL_PIN, 0, BIT_FLEXIBLE }, { CTL_PIN, 1, BIT_FIXED1 }, { CTL_PIN, 4, BIT_FIXED1 },
		{ CTL_PIN, 7, BIT_FIXED0 }, { CTL_PIN, 31, BIT_FIXED0 },
		{ CTL_PROC, 0, BIT_FIXED0 }, { CTL_PROC, 1, BIT_FIXED1 }, { CTL_PROC, 15, BIT_FLEXIBLE },
		{ CTL_PROC, 26, BIT_FIXED1 }, { CTL_PROC, 27, BIT_FIXED0 }, { CTL_PROC, 31, BIT_FLEXIBLE },
		{ CTL_EXIT, 2, BIT_FLEXIBLE }, { CTL_EXIT, 0, BIT_FIXED1 }, { CTL_EXIT, 23, BIT_FIXED0 },
		{ CTL_PROC2, 7, BIT_FLEXIBLE }, { CTL_PROC2, 15, BIT_FIXED0 }, { CTL_PROC3, 0, BIT_FIXED0 },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		ck_assert_msg(caps_bit_setting(c, t[i].k, t[i].bit) == t[i].s, "%s bit %u",
			      caps_ctl_name(t[i].k), t[i].bit);
	ck_assert_str_eq(caps_bit_setting_name(BIT_FLEXIBLE), "flexible");
	ck_assert_str_eq(ctl_bit_name(CTL_PROC2, 7), "unrestricted guest");
	ck_assert_str_eq(ctl_bit_name(CTL_ENTRY, 9), "IA-32e mode guest");
}
END_TEST

static char tmpdir[64];

static void mkroot(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/nestvmx-caps-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

static void rmroot(void)
{
	if (tmpdir[0])
		nftw(tmpdir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	tmpdir[0] = '\0';
}

static void put_file(const char *rel, const void *data, size_t len)
{
	char path[256], dir[256];
	snprintf(path, sizeof path, "%s/%s", tmpdir, rel);
	for (char *p = strchr(path + strlen(tmpdir) + 1, '/'); p; p = strchr(p + 1, '/')) {
		snprintf(dir, sizeof dir, "%.*s", (int)(p - path), path);
		mkdir(dir, 0755);
	}
	FILE *f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	fclose(f);
}

#define INTEL_CPUINFO "vendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 85\n" \
	"model name\t: Test Xeon\nstepping\t: 4\nflags\t\t: fpu vmx lm\n\n"

START_TEST(caps_load_builtin_file_and_errors)
{
	struct vmx_caps buf;
	char err[300];
	ck_assert_ptr_eq(caps_load("bochs-tigerlake", &buf, err, sizeof err), caps_builtin("bochs-tigerlake"));
	mkroot();
	static const char good[] = "[mine]\n0x480 0x00d8100000000004 IA32_VMX_BASIC\n";
	put_file("good.txt", good, sizeof good - 1);
	static const char bad[] = "[mine]\n0x480 0xzz\n";
	put_file("bad.txt", bad, sizeof bad - 1);
	char path[256];
	snprintf(path, sizeof path, "%s/good.txt", tmpdir);
	ck_assert_ptr_eq(caps_load(path, &buf, err, sizeof err), &buf);
	ck_assert_str_eq(buf.name, "mine");
	ck_assert_uint_eq(caps_revision(&buf), 4);
	snprintf(path, sizeof path, "%s/bad.txt", tmpdir);
	ck_assert_ptr_null(caps_load(path, &buf, err, sizeof err));
	char want[300];
	snprintf(want, sizeof want, "%s:2:7: ", path);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "%s", err);
	ck_assert_ptr_null(caps_load("/nonexistent/profile", &buf, err, sizeof err));
	ck_assert_ptr_nonnull(strstr(err, "neither a built-in profile nor a readable file"));
	rmroot();
}
END_TEST

/* --dump reads 0x3a and 0x480-0x493; the fake msr file holds byte k at
 * offset k, so MSR m reads as the little-endian bytes m..m+7, and the file
 * ends before the last MSR's 8 bytes: that one is absent. */
START_TEST(dump_reads_msrs_from_device)
{
	mkroot();
	put_file("proc/cpuinfo", INTEL_CPUINFO, sizeof INTEL_CPUINFO - 1);
	size_t n = 0x493 + 4;
	unsigned char *bytes = malloc(n);
	for (size_t k = 0; k < n; k++)
		bytes[k] = (unsigned char)(k * 7 + 1);
	put_file("dev/cpu/0/msr", bytes, n);
	struct vmx_caps c;
	char brand[64], why[400];
	ck_assert_int_eq(caps_dump_host(tmpdir, 0, &c, brand, sizeof brand, why, sizeof why), 0);
	ck_assert_str_eq(brand, "Test Xeon");
	ck_assert_str_eq(c.name, "host-f6-m85-s4");
	for (uint32_t m = 0x480; m <= 0x493; m++) {
		if (m + 8 > n) {
			ck_assert(!caps_msr_present(&c, m));
			continue;
		}
		uint64_t want = 0;
		for (int b = 7; b >= 0; b--)
			want = want << 8 | bytes[m + (unsigned)b];
		ck_assert(caps_msr_present(&c, m));
		ck_assert_uint_eq(caps_msr(&c, m), want);
	}
	uint64_t fc = 0;
	for (int b = 7; b >= 0; b--)
		fc = fc << 8 | bytes[0x3a + b];
	ck_assert_uint_eq(c.feature_control, fc);
	/* what --dump prints parses back to the same profile */
	char text[4096], err[128];
	struct vmx_caps back;
	caps_format(&c, text, sizeof text);
	ck_assert_msg(caps_parse(text, strlen(text), &back, err, sizeof err) == 0, "%s", err);
	ck_assert_mem_eq(back.msr, c.msr, sizeof c.msr);
	ck_assert_uint_eq(back.present, c.present);
	free(bytes);
	rmroot();
}
END_TEST

START_TEST(dump_refuses_with_status_3)
{
	struct vmx_caps c;
	char brand[64], why[400];
	/* AMD host */
	ck_assert_int_eq(caps_dump_host("harness/tests/fixtures/doctor/amd", 0, &c, brand, sizeof brand,
					why, sizeof why), EXIT_UNAVAILABLE);
	ck_assert_ptr_nonnull(strstr(why, "AuthenticAMD"));
	/* Intel in a VM without nested VT-x */
	ck_assert_int_eq(caps_dump_host("harness/tests/fixtures/doctor/intel-vm-no-vmx", 0, &c, brand,
					sizeof brand, why, sizeof why), EXIT_UNAVAILABLE);
	ck_assert_ptr_nonnull(strstr(why, "does not report VT-x"));
	/* Intel, VMX MSRs not exposed (the msr file ends before 0x480) */
	ck_assert_int_eq(caps_dump_host("harness/tests/fixtures/doctor/intel-nested", 0, &c, brand,
					sizeof brand, why, sizeof why), EXIT_UNAVAILABLE);
	ck_assert_ptr_nonnull(strstr(why, "IA32_VMX_BASIC cannot be read"));
	/* no msr driver */
	mkroot();
	put_file("proc/cpuinfo", INTEL_CPUINFO, sizeof INTEL_CPUINFO - 1);
	ck_assert_int_eq(caps_dump_host(tmpdir, 0, &c, brand, sizeof brand, why, sizeof why), EXIT_UNAVAILABLE);
	ck_assert_ptr_nonnull(strstr(why, "modprobe msr"));
	rmroot();
	/* no cpuinfo at all */
	ck_assert_int_eq(caps_dump_host("/nonexistent", 0, &c, brand, sizeof brand, why, sizeof why),
			 EXIT_UNAVAILABLE);
}
END_TEST

/* Sandy Bridge -> Haswell (bochs-caps.txt): PROCBASED2 allowed-1 0xff ->
 * 0x47fff, so bits 8-14 and 18 become flexible; VMFUNC appears. */
START_TEST(diff_of_two_models)
{
	const struct vmx_caps *snb = caps_builtin("bochs-corei7_sandy_bridge_2600k");
	const struct vmx_caps *hsw = caps_builtin("bochs-corei7_haswell_4770");
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	ck_assert_int_eq(caps_diff(f, snb, snb), 0);
	int n = caps_diff(f, snb, hsw);
	fclose(f);
	unsigned proc2_bits = (unsigned)__builtin_popcount(0xffu ^ 0x47fffu);
	ck_assert_uint_eq(proc2_bits, 8);
	ck_assert_ptr_nonnull(strstr(text, "proc2 bit 14 VMCS shadowing: fixed-0 -> flexible"));
	ck_assert_ptr_nonnull(strstr(text, "0x491 IA32_VMX_VMFUNC                absent"));
	ck_assert_ptr_nonnull(strstr(text, "+eptp_switching"));
	ck_assert_ptr_null(strstr(text, "proc bit"));   /* primary controls are equal */
	/* 5 MSRs (MISC, CR4_FIXED1, PROCBASED2, EPT_VPID_CAP, VMFUNC) + control bits + features */
	int features = 0;
	for (int i = 0; i < FEAT_COUNT; i++)
		features += caps_has(snb, (enum vmx_feature)i) != caps_has(hsw, (enum vmx_feature)i);
	ck_assert_int_eq(n, 5 + (int)proc2_bits + features);
	free(text);
}
END_TEST

static const struct command *find_cmd(const char *name)
{
	for (int i = 0; i < ncommands; i++)
		if (!strcmp(commands[i]->name, name))
			return commands[i];
	return NULL;
}

/* The registered command's exit statuses (output to /dev/null). */
START_TEST(command_exit_statuses)
{
	const struct command *cmd = find_cmd("caps");
	ck_assert_ptr_nonnull(cmd);
	ck_assert_ptr_nonnull(freopen("/dev/null", "w", stdout));
	ck_assert_ptr_nonnull(freopen("/dev/null", "w", stderr));
	char *list[] = { "caps", "--list", NULL };
	ck_assert_int_eq(cmd->run(2, list), EXIT_OK);
	char *show[] = { "caps", "--show", "bochs-broadwell_ult", "--json", NULL };
	ck_assert_int_eq(cmd->run(4, show), EXIT_OK);
	char *show_text[] = { "caps", "--show", "bochs-corei7_sandy_bridge_2600k", NULL };
	ck_assert_int_eq(cmd->run(3, show_text), EXIT_OK);
	char *bad[] = { "caps", "--show", "bochs-nonexistent", NULL };
	ck_assert_int_eq(cmd->run(3, bad), EXIT_USAGE);
	char *amd[] = { "caps", "--dump", "--root", "harness/tests/fixtures/doctor/amd", NULL };
	ck_assert_int_eq(cmd->run(4, amd), EXIT_UNAVAILABLE);
	char *diff_same[] = { "caps", "--diff", "bochs-tigerlake", "bochs-tigerlake", NULL };
	ck_assert_int_eq(cmd->run(4, diff_same), EXIT_OK);
	char *diff_other[] = { "caps", "--diff", "bochs-tigerlake", "bochs-corei7_icelake_u", NULL };
	ck_assert_int_eq(cmd->run(4, diff_other), EXIT_FAIL);
	char *help[] = { "caps", "--help", NULL };
	ck_assert_int_eq(cmd->run(2, help), EXIT_OK);
	char *none[] = { "caps", NULL };
	ck_assert_int_eq(cmd->run(1, none), EXIT_USAGE);
	const struct command *doc = find_cmd("doctor");
	ck_assert_ptr_nonnull(doc);
	char *d[] = { "doctor", "--root", "harness/tests/fixtures/doctor/amd", "--json", NULL };
	ck_assert_int_eq(doc->run(4, d), EXIT_OK);
	char *dbad[] = { "doctor", "--bogus", NULL };
	ck_assert_int_eq(doc->run(2, dbad), EXIT_USAGE);
}
END_TEST

static Suite *caps_cmd_suite(void)
{
	Suite *s = suite_create("caps_cmd");
	TCase *t = tcase_create("caps_cmd");
	tcase_add_test(t, default1_table_matches_sdm_and_profiles);
	tcase_add_test(t, every_control_feature_has_a_bit_name);
	tcase_add_test(t, bit_settings_skylake);
	tcase_add_test(t, caps_load_builtin_file_and_errors);
	tcase_add_test(t, dump_reads_msrs_from_device);
	tcase_add_test(t, dump_refuses_with_status_3);
	tcase_add_test(t, diff_of_two_models);
	tcase_add_test(t, command_exit_statuses);
	suite_add_tcase(s, t);
	return s;
}
SUITE_REGISTER(caps_cmd_suite);
