/* VM entry, SDM chapter 26 after the instruction checks (26.1): the
 * control and host-state checks (26.2: all evaluated, VMfailValid 7/8),
 * the guest-state checks (26.3.1: exit 33), loading guest state (26.3.2),
 * MSR loading (26.4: exit 34), then L2 runs (guest_run). */
#include <string.h>
#include "entry_priv.h"

/* Fires of rules of one class so far (modulo 2^32: only differences
 * count): tells whether a check pass fired any rule without the check
 * functions threading a count. */
static uint32_t class_fires(const struct refvmm *m, enum rule_class cls)
{
	return m->class_fires[cls];
}

void result_add_alt(struct refvmm *m, struct outcome o)
{
	struct result *res = m->res;
	if (!res || res->nalt >= RESULT_MAX_ALT)
		return;
	for (unsigned i = 0; i < res->nalt; i++)
		if (res->alt[i].kind == o.kind && res->alt[i].num == o.num && res->alt[i].qual == o.qual)
			return;
	res->alt[res->nalt++] = o;
}

/* 26.2: VMfailValid with error 7 when a control rule fired (alt[0]), and
 * error 8 as well when a host rule fired: the SDM leaves their order to
 * the processor.  Nothing but the VM-instruction error field changes. */
static void fail_valid(struct refvmm *m, bool ctl, bool host)
{
	uint32_t err = ctl ? 7 : 8;
	gw(m, VF_VM_INSTRUCTION_ERROR, err);
	if (m->res)
		m->res->nalt = 0;
	if (ctl)
		result_add_alt(m, (struct outcome){ .kind = OUT_FAIL_VALID, .num = 7 });
	if (host)
		result_add_alt(m, (struct outcome){ .kind = OUT_FAIL_VALID, .num = 8 });
}

/* 26.3.1 / 26.8: a guest-state failure is exit 33 with the qualification
 * of the fired rule (0 most, 2 PDPTE, 3 NMI injection, 4 link pointer);
 * when rules of different qualifications fired, each is allowed. */
static void entry_fail(struct refvmm *m, unsigned first_rule)
{
	struct result *res = m->res;
	uint64_t qual = 0;
	if (res)
		for (unsigned i = first_rule; i < res->nrules; i++)
			if (rule_table[res->rules[i]].cls == RC_ENTRY_GUEST) {
				qual = rule_table[res->rules[i]].arg;
				break;
			}
	m->host = m->cpu;
	vmexit_entry_fail(m, 33, qual);   /* alt[0]: the first fired rule's */
	if (!res || res->nalt == 0 || res->alt[0].kind != OUT_ENTRY_FAIL)
		return;
	struct outcome o = res->alt[0];
	for (unsigned i = first_rule; i < res->nrules; i++)
		if (rule_table[res->rules[i]].cls == RC_ENTRY_GUEST) {
			o.qual = rule_table[res->rules[i]].arg;
			result_add_alt(m, o);
		}
}

static void entry_op(struct refvmm *m, bool launch)
{
	uint32_t c0 = class_fires(m, RC_ENTRY_CTL), h0 = class_fires(m, RC_ENTRY_HOST);
	entry_check_controls(m);
	entry_check_host(m);
	bool ctl = class_fires(m, RC_ENTRY_CTL) != c0, host = class_fires(m, RC_ENTRY_HOST) != h0;
	if (ctl || host) {
		fail_valid(m, ctl, host);
		return;
	}
	unsigned first = m->res ? m->res->nrules : 0;
	uint32_t g0 = class_fires(m, RC_ENTRY_GUEST), nmi0 = m->rule_fires[R_ENTRY_GUEST_INTR_NMI_STI];
	entry_check_guest(m);
	uint32_t gfired = class_fires(m, RC_ENTRY_GUEST) - g0;
	/* 26.3.1.5: injecting an NMI with blocking by STI fails (qualification
	 * 3) only on some processors: alone, it allows both the failure and
	 * the entry */
	bool nmi_sti = m->rule_fires[R_ENTRY_GUEST_INTR_NMI_STI] != nmi0;
	/* L1's state for the exit, also after a guest-state failure (26.7);
	 * not its GPRs, which no exit loads (L1 finds L2's, guest_gpr.c) */
	memcpy(&m->host.rip, &m->cpu.rip, opaque_size(sizeof m->cpu - CPU_STATE_GPR_BYTES));
	if (gfired && !(gfired == 1 && nmi_sti)) {
		entry_fail(m, first);
		return;
	}
	entry_load_guest(m);
	uint32_t bad = entry_load_msrs(m);
	if (bad) {
		vmexit_entry_fail(m, 34, bad);
		return;
	}
	if (launch)
		vmcs_region_put32(m, VMCS_OFF_LAUNCH, VMCS_LAUNCHED);
	guest_run(m);
	if (nmi_sti)
		result_add_alt(m, (struct outcome){ .kind = OUT_ENTRY_FAIL, .num = 33, .have = EXF_QUAL, .qual = 3 });
}

/* The whole entry op with the current VMCS's page pinned (vmcs_access.h):
 * its fields are read and written in place, checks and exit alike. */
void vmentry(struct refvmm *m, bool launch)
{
	vmcs_pin(m);
	entry_op(m, launch);
	vmcs_unpin(m);
}
