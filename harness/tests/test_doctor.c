/* nestvmx doctor on fabricated hosts (harness/tests/fixtures/doctor/NAME:
 * proc/, sys/, dev/, usr/ and bin/ for PATH).  Each fixture states a host;
 * the expected verdicts follow from what that host has. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "suites.h"
#include "harness/doctor.h"

#define FIX "harness/tests/fixtures/doctor/"

static struct doctor_report rep;

static const struct doctor_report *run(const char *name)
{
	char root[256], bin[256];
	snprintf(root, sizeof root, FIX "%s", name);
	snprintf(bin, sizeof bin, FIX "%s/bin", name);
	doctor_check(root, bin, &rep);
	ck_assert_msg(rep.cpuinfo_ok, "fixture %s: no proc/cpuinfo (run from the top of the tree)", name);
	return &rep;
}

static bool has_fix(const struct doctor_item *it, const char *cmd)
{
	return !strcmp(it->fix[0], cmd) || !strcmp(it->fix[1], cmd);
}

static bool no_fix(const struct doctor_item *it)
{
	return !it->fix[0][0] && !it->fix[1][0];
}

START_TEST(intel_with_nesting_runs_everything_but_metal)
{
	const struct doctor_report *r = run("intel-nested");
	ck_assert(r->intel && r->vmx);
	ck_assert_str_eq(r->cpu.vendor, "GenuineIntel");
	ck_assert_uint_eq(r->cpu.family, 6);
	ck_assert_uint_eq(r->cpu.model_no, 85);
	for (int i = 0; i < DI_COUNT; i++) {
		ck_assert_msg(r->item[i].st == DS_OK, "%s: %s %s", doctor_item_key((enum doctor_item_id)i),
			      doctor_status_name(r->item[i].st), r->item[i].detail);
		ck_assert(no_fix(&r->item[i]));
	}
	ck_assert(r->can_run[DB_REF] && !r->can_run[DB_NESTED] && r->can_run[DB_BOCHS] && r->can_run[DB_KVM]);
	ck_assert(!r->can_run[DB_METAL]);
	ck_assert_ptr_nonnull(strstr(r->why[DB_METAL], "booted from our image"));
	ck_assert_ptr_nonnull(strstr(r->item[DI_FEATURE_CONTROL].detail, "locked, VMX enabled"));
	ck_assert_ptr_nonnull(strstr(r->item[DI_BOCHS].detail, FIX "intel-nested/bin/bochs"));
}
END_TEST

START_TEST(intel_without_nesting)
{
	const struct doctor_report *r = run("intel-no-nested");
	ck_assert(r->vmx);
	ck_assert_int_eq(r->item[DI_KVM_INTEL].st, DS_OK);
	ck_assert_int_eq(r->item[DI_KVM_NESTED].st, DS_FAIL);
	ck_assert_str_eq(r->item[DI_KVM_NESTED].detail, "nested=N");
	ck_assert(has_fix(&r->item[DI_KVM_NESTED], "modprobe -r kvm_intel && modprobe kvm_intel nested=1"));
	ck_assert(has_fix(&r->item[DI_KVM_NESTED], "echo \"options kvm_intel nested=1\" > /etc/modprobe.d/kvm.conf"));
	ck_assert(!r->can_run[DB_KVM]);
	ck_assert_ptr_nonnull(strstr(r->why[DB_KVM], "nested"));
	ck_assert(r->can_run[DB_REF] && !r->can_run[DB_NESTED] && r->can_run[DB_BOCHS]);
	ck_assert(!r->can_run[DB_METAL]);
}
END_TEST

START_TEST(amd_host_has_no_vtx)
{
	const struct doctor_report *r = run("amd");
	ck_assert(!r->intel && !r->vmx);
	ck_assert(r->cpu.svm);
	ck_assert_int_eq(r->item[DI_CPU_VENDOR].st, DS_FAIL);
	ck_assert_int_eq(r->item[DI_CPU_VMX].st, DS_FAIL);
	ck_assert_ptr_nonnull(strstr(r->item[DI_CPU_VMX].detail, "VT-x absent"));
	ck_assert(no_fix(&r->item[DI_CPU_VMX]));   /* nothing on this host can fix it */
	for (int i = DI_FEATURE_CONTROL; i <= DI_KVM_UG; i++)
		ck_assert_int_eq(r->item[i].st, DS_SKIP);
	ck_assert_int_eq(r->item[DI_QEMU].st, DS_WARN);   /* missing, but no backend here needs it */
	ck_assert(has_fix(&r->item[DI_QEMU], "apt-get install qemu-system-x86"));
	ck_assert(r->can_run[DB_REF] && !r->can_run[DB_NESTED] && r->can_run[DB_BOCHS]);
	ck_assert(!r->can_run[DB_KVM] && !r->can_run[DB_METAL]);
	ck_assert_ptr_nonnull(strstr(r->why[DB_KVM], "Intel"));
	ck_assert_ptr_nonnull(strstr(r->why[DB_METAL], "needs an Intel host booted from our image"));

	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	doctor_print_text(f, r);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(text, "VT-x is absent on this host"));
	free(text);
}
END_TEST

START_TEST(intel_without_dev_kvm)
{
	const struct doctor_report *r = run("intel-no-dev-kvm");
	ck_assert(r->vmx);
	ck_assert_int_eq(r->item[DI_KVM_NESTED].st, DS_OK);
	ck_assert_int_eq(r->item[DI_DEV_KVM].st, DS_FAIL);
	ck_assert(has_fix(&r->item[DI_DEV_KVM], "modprobe kvm_intel nested=1"));
	ck_assert(!r->can_run[DB_KVM]);
	ck_assert_ptr_nonnull(strstr(r->why[DB_KVM], "/dev/kvm"));
	/* this host has no Bochs either */
	ck_assert_int_eq(r->item[DI_BOCHS].st, DS_FAIL);
	ck_assert(has_fix(&r->item[DI_BOCHS], "apt-get install bochs bochsbios vgabios bochs-term"));
	ck_assert_int_eq(r->item[DI_BOCHS_BIOS].st, DS_WARN);
	ck_assert(!r->can_run[DB_BOCHS]);
	/* ... and no msr driver: the firmware setting cannot be read */
	ck_assert_int_eq(r->item[DI_FEATURE_CONTROL].st, DS_WARN);
	ck_assert(has_fix(&r->item[DI_FEATURE_CONTROL], "modprobe msr && sudo nestvmx doctor"));
	ck_assert(r->can_run[DB_REF] && !r->can_run[DB_NESTED]);
}
END_TEST

/* IA32_FEATURE_CONTROL = 1: locked with VMX outside SMX clear (SDM 23.7). */
START_TEST(intel_vtx_locked_off_by_firmware)
{
	const struct doctor_report *r = run("intel-vtx-locked-off");
	ck_assert_int_eq(r->item[DI_FEATURE_CONTROL].st, DS_FAIL);
	ck_assert_ptr_nonnull(strstr(r->item[DI_FEATURE_CONTROL].fix[0], "firmware setup"));
	ck_assert_int_eq(r->item[DI_KVM_INTEL].st, DS_FAIL);
	ck_assert(has_fix(&r->item[DI_KVM_INTEL], "modprobe kvm_intel nested=1"));
	ck_assert_int_eq(r->item[DI_KVM_NESTED].st, DS_SKIP);
	ck_assert_int_eq(r->item[DI_MEMORY].st, DS_WARN);   /* 300000 kB available */
	ck_assert(!r->can_run[DB_KVM]);
	ck_assert_str_eq(r->why[DB_KVM], "VT-x disabled by firmware");
}
END_TEST

START_TEST(intel_vm_without_nested_vtx)
{
	const struct doctor_report *r = run("intel-vm-no-vmx");
	ck_assert(r->intel && !r->vmx && r->cpu.hypervisor);
	ck_assert_int_eq(r->item[DI_CPU_VMX].st, DS_FAIL);
	ck_assert_ptr_nonnull(strstr(r->item[DI_CPU_VMX].fix[0],
				     "on the L0 host: modprobe -r kvm_intel && modprobe kvm_intel nested=1"));
	ck_assert_int_eq(r->item[DI_FEATURE_CONTROL].st, DS_SKIP);
	ck_assert(!r->can_run[DB_KVM]);
	ck_assert(r->can_run[DB_BOCHS]);
}
END_TEST

START_TEST(missing_root_is_reported_not_fatal)
{
	doctor_check(FIX "no-such-host", FIX "no-such-host/bin", &rep);
	ck_assert(!rep.cpuinfo_ok);
	ck_assert_int_eq(rep.item[DI_CPU_VENDOR].st, DS_FAIL);
	ck_assert(rep.can_run[DB_REF] && !rep.can_run[DB_NESTED]);
	ck_assert(!rep.can_run[DB_KVM] && !rep.can_run[DB_BOCHS]);
}
END_TEST

/* The JSON carries every item and backend (checked by key, not by layout). */
START_TEST(json_names_every_item)
{
	const struct doctor_report *r = run("intel-no-nested");
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	doctor_print_json(f, r);
	fclose(f);
	char key[64];
	for (int i = 0; i < DI_COUNT; i++) {
		snprintf(key, sizeof key, "\"id\": \"%s\"", doctor_item_key((enum doctor_item_id)i));
		ck_assert_msg(strstr(text, key) != NULL, "%s", key);
	}
	for (int b = 0; b < DB_COUNT; b++) {
		snprintf(key, sizeof key, "\"%s\": {\"can_run\": %s", doctor_backend_name((enum doctor_backend)b),
			 r->can_run[b] ? "true" : "false");
		ck_assert_msg(strstr(text, key) != NULL, "%s", key);
	}
	ck_assert_ptr_nonnull(strstr(text, "\"echo \\\"options kvm_intel nested=1\\\" > /etc/modprobe.d/kvm.conf\""));
	free(text);
}
END_TEST

START_TEST(host_helpers)
{
	char buf[64];
	ck_assert_str_eq(host_path(buf, sizeof buf, "", "/proc/x"), "/proc/x");
	ck_assert_str_eq(host_path(buf, sizeof buf, "/", "/proc/x"), "/proc/x");
	ck_assert_str_eq(host_path(buf, sizeof buf, "/r//", "/proc/x"), "/r/proc/x");
	ck_assert(!host_which(FIX "amd/bin", "qemu-system-x86_64", buf, sizeof buf));
	ck_assert(host_which("/nonexistent:" FIX "amd/bin", "bochs", buf, sizeof buf));
	ck_assert(!host_which(FIX "amd/bin", ".keep", buf, sizeof buf));   /* not executable */
	uint64_t v;
	ck_assert_int_eq(host_rdmsr(FIX "intel-nested", 0, 0x3a, &v), 0);
	ck_assert_uint_eq(v, 5);
	ck_assert_int_lt(host_rdmsr(FIX "intel-nested", 0, 0x480, &v), 0);   /* beyond: absent */
	ck_assert_int_lt(host_rdmsr(FIX "amd", 0, 0x3a, &v), 0);
}
END_TEST

static Suite *doctor_suite(void)
{
	Suite *s = suite_create("doctor");
	TCase *t = tcase_create("doctor");
	tcase_add_test(t, intel_with_nesting_runs_everything_but_metal);
	tcase_add_test(t, intel_without_nesting);
	tcase_add_test(t, amd_host_has_no_vtx);
	tcase_add_test(t, intel_without_dev_kvm);
	tcase_add_test(t, intel_vtx_locked_off_by_firmware);
	tcase_add_test(t, intel_vm_without_nested_vtx);
	tcase_add_test(t, missing_root_is_reported_not_fatal);
	tcase_add_test(t, json_names_every_item);
	tcase_add_test(t, host_helpers);
	suite_add_tcase(s, t);
	return s;
}
SUITE_REGISTER(doctor_suite);
