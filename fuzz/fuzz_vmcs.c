/* Fuzz target: a valid 64-bit VMCS (`setup vmcs64`) with fuzzer-chosen
 * VMWRITEs on top, then VMLAUNCH into a guest that runs CPUID.
 * Input: byte 0 picks the profile; then records of 10 bytes
 * (field index u16 LE, value u64 LE).
 * Oracles: the VMLAUNCH outcome agrees with the catalogue classes of the
 * rules that fired (SDM 26.2 controls/host -> VMfailValid 7/8, 26.3 guest
 * -> exit 33, 26.4 -> exit 34, none -> the entry succeeded), the error
 * field holds the reported number, and the run is deterministic. */
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "harness/templates.h"
#include "refvmm/refvmm.h"

#define MAX_OPS 512

static int build(const uint8_t *d, size_t n, const struct vmx_caps *caps, struct rop *ops,
		 struct rop *guest)
{
	int k = 0;
	ops[k++] = (struct rop){ .op = OP_VMXON, .a = { TM_VMXON_REGION } };
	int t = template_expand("vmcs64", caps, 0, ops + k, MAX_OPS / 2);
	if (t < 0)
		return -1;
	k += t;
	for (size_t i = 0; i + 10 <= n && k < MAX_OPS - 4; i += 10) {
		uint16_t f = (uint16_t)(d[i] | d[i + 1] << 8) % VF_COUNT;
		uint64_t v;
		memcpy(&v, d + i + 2, 8);
		ops[k++] = (struct rop){ .op = OP_VMWRITE, .a = { vmcs_field_table[f].enc, v } };
	}
	guest[0] = (struct rop){ .op = OP_G_CPUID };
	ops[k++] = (struct rop){ .op = OP_GUEST, .block = guest, .nblock = 1 };
	ops[k++] = (struct rop){ .op = OP_VMLAUNCH };
	ops[k++] = (struct rop){ .op = OP_VMREAD, .a = { 0x4400 } };   /* VM_INSTRUCTION_ERROR */
	return k;
}

static bool fired_class(const struct result *r, uint8_t cls)
{
	for (unsigned i = 0; i < r->nrules; i++)
		if (rule_table[r->rules[i]].cls == cls)
			return true;
	return false;
}

static void check_launch(const struct result *launch, const struct result *err)
{
	const struct outcome *o = &launch->alt[0];
	bool ctl = fired_class(launch, RC_ENTRY_CTL), host = fired_class(launch, RC_ENTRY_HOST);
	bool guest = fired_class(launch, RC_ENTRY_GUEST), msr = fired_class(launch, RC_ENTRY_MSR);
	switch (o->kind) {
	case OUT_FAIL_VALID:
		ORACLE(ctl || host);
		ORACLE(o->num == (ctl ? 7u : 8u));   /* error 7 first when both classes fired */
		ORACLE(err->alt[0].kind == OUT_VALUE && err->alt[0].value == o->num);
		break;
	case OUT_ENTRY_FAIL:
		ORACLE(!ctl && !host);
		ORACLE((o->num == 33 && guest) || (o->num == 34 && msr && !guest));
		break;
	case OUT_EXIT:
		ORACLE(!ctl && !host && !guest && !msr);
		break;
	default:
		break;   /* unmodelled areas are not a verdict */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const struct vmx_caps *caps = caps_builtin_at(data[0] % caps_builtin_count());
	static struct rop ops[MAX_OPS], guest[1];   /* harness-side scratch, not model state */
	int n = build(data + 1, size - 1, caps, ops, guest);
	if (n < 0)
		return 0;
	struct refvmm *m = refvmm_create(caps);
	struct result *r1 = calloc((size_t)n, sizeof *r1), *r2 = calloc((size_t)n, sizeof *r2);
	if (m && r1 && r2) {
		for (int pass = 0; pass < 2; pass++) {
			struct result *r = pass ? r2 : r1;
			refvmm_reset(m);
			for (int i = 0; i < n; i++)
				refvmm_run(m, &ops[i], &r[i]);
		}
		ORACLE(memcmp(r1, r2, (size_t)n * sizeof *r1) == 0);
		check_launch(&r1[n - 2], &r1[n - 1]);
	}
	free(r1);
	free(r2);
	refvmm_destroy(m);
	return 0;
}
