/* L1 outside IA-32e mode: leave_ia32e (SDM vol. 3A 10.8.5.4), VMREAD and
 * VMWRITE with 32-bit operands (31.3, 31.9.2), and the host-state rules
 * of 26.2.3-26.2.4 that only a 32-bit L1 can break, each alone, from the
 * `setup vmcs32` baseline. */
#include <string.h>
#include "../guest_priv.h"
#include "../refvmm.h"
#include "../vmcs_access.h"
#include "../../harness/templates.h"
#include "suites.h"

#define OPX(o, ...) ((struct rop){ .op = OP_##o, .a = { __VA_ARGS__ } })
#define EFER_LME_LMA 0x500ULL

static struct result run(struct refvmm *m, struct rop op)
{
	struct result r;
	refvmm_run(m, &op, &r);
	return r;
}

static void run_ok(struct refvmm *m, struct rop op)
{
	struct result r = run(m, op);
	ck_assert_msg(r.nalt == 0 || r.alt[0].kind == OUT_OK || r.alt[0].kind == OUT_VALUE,
		      "op %u: kind %u", op.op, r.alt[0].kind);
}

static bool fired_only(const struct result *r, enum rule_id id)
{
	return r->nrules == 1 && r->rules[0] == id;
}

static void is_gp(const struct result *r, uint32_t err)
{
	ck_assert_uint_eq(r->nalt, 1);
	ck_assert_uint_eq(r->alt[0].kind, OUT_FAULT);
	ck_assert_uint_eq(r->alt[0].vector, 13);
	ck_assert_uint_eq(r->alt[0].num, err);
}

/* The test machine's L1 is in 64-bit mode (testmachine.h). */
static void in_64bit_mode(const struct cpu_state *c)
{
	ck_assert_uint_eq(c->seg[SEG_CS].sel, TM_SEL_CODE64);
	ck_assert_uint_eq(c->efer, TM_L1_EFER);
	ck_assert_uint_eq(c->cr3, TM_L1_CR3);
}

/* 10.8.5.4: CS a 32-bit code segment, EFER.LME = LMA = 0, CR0.PG = 1 with
 * CR4.PAE = 1 and CR3 the PAE PDPT: 32-bit protected mode, PAE paging. */
START_TEST(test_leave_state)
{
	struct refvmm *m = refvmm_create(caps_default());
	struct result r = run(m, OPX(LEAVE_IA32E));
	ck_assert(r.nalt == 1 && r.alt[0].kind == OUT_OK && r.nrules == 0);
	const struct cpu_state *c = &m->cpu;
	ck_assert_uint_eq(c->seg[SEG_CS].sel, 0x18);
	ck_assert_uint_eq(c->seg[SEG_CS].ar, 0xc09b);   /* L = 0, D = 1 */
	ck_assert_uint_eq(c->efer & EFER_LME_LMA, 0);
	ck_assert_uint_eq(c->cr0, 0x80000031);
	ck_assert_uint_eq(c->cr4, 0x2020);
	ck_assert_uint_eq(c->cr3, 0x427000);
	/* the PDPT: entry 0 -> the 1-GiB identity PD, present, no reserved bit */
	ck_assert_uint_eq(mem_read64(&m->mem, 0x427000), 0x42a001);
	/* again from protected mode: the same state */
	run_ok(m, OPX(LEAVE_IA32E));
	ck_assert_uint_eq(c->seg[SEG_CS].sel, 0x18);
	ck_assert_uint_eq(c->cr3, 0x427000);
	refvmm_destroy(m);
}
END_TEST

/* CR4.PCIDE = 1 is cleared on the way (clearing CR0.PG with it set is
 * #GP, vol. 2 MOV CR), and cannot be set again outside IA-32e mode
 * (4.10.1). */
START_TEST(test_leave_clears_pcide)
{
	struct refvmm *m = refvmm_create(caps_default());
	run_ok(m, OPX(MOV_CR, 4, 0x22020));
	ck_assert_uint_eq(m->cpu.cr4, 0x22020);
	run_ok(m, OPX(LEAVE_IA32E));
	ck_assert_uint_eq(m->cpu.cr4, 0x2020);
	struct result r = run(m, OPX(MOV_CR, 4, 0x22020));
	is_gp(&r, 0);
	ck_assert(fired_only(&r, R_INSN_MOVCR_CR4_PCIDE_LEGACY));
	refvmm_destroy(m);
}
END_TEST

/* The op is atomic in the model: a faulting step leaves L1 as it was.
 * In VMX operation clearing CR0.PG violates IA32_VMX_CR0_FIXED0 (23.8);
 * at CPL 3 the far jump to selector 18H is #GP(18H); a present PDPTE
 * with a reserved bit fails the final MOV to CR0 (4.4.1). */
START_TEST(test_leave_faults)
{
	struct refvmm *m = refvmm_create(caps_default());
	run_ok(m, OPX(VMXON, TM_VMXON_REGION));
	struct result r = run(m, OPX(LEAVE_IA32E));
	is_gp(&r, 0);
	ck_assert(fired_only(&r, R_INSN_MOVCR_CR0_FIXED));
	in_64bit_mode(&m->cpu);
	run_ok(m, OPX(VMXOFF));

	run_ok(m, OPX(CPL, 3));
	r = run(m, OPX(LEAVE_IA32E));
	is_gp(&r, 0x18);
	ck_assert(fired_only(&r, R_INSN_LEAVE_IA32E_CPL));
	in_64bit_mode(&m->cpu);

	run_ok(m, OPX(WRITE64, 0x427018, 0x1 | 0x100));   /* PDPTE 3: bit 8 reserved */
	r = run(m, OPX(LEAVE_IA32E));
	is_gp(&r, 0);
	ck_assert(fired_only(&r, R_INSN_MOVCR_PAE_PDPTE));
	in_64bit_mode(&m->cpu);
	run_ok(m, OPX(WRITE64, 0x427018, 0x1ULL << 40));   /* not present: never checked */
	run_ok(m, OPX(LEAVE_IA32E));
	refvmm_destroy(m);
}
END_TEST

/* 4.4.1: with PAE paging MOV to CR3 loads the PDPTEs; bits beyond
 * MAXPHYADDR are reserved too. */
START_TEST(test_mov_cr3_pdptes)
{
	struct refvmm *m = refvmm_create(caps_default());
	run_ok(m, OPX(LEAVE_IA32E));
	run_ok(m, OPX(WRITE64, TM_SCRATCH, 0x42a001 | 1ULL << m->caps.maxphyaddr));
	struct result r = run(m, OPX(MOV_CR, 3, TM_SCRATCH));
	is_gp(&r, 0);
	ck_assert(fired_only(&r, R_INSN_MOVCR_PAE_PDPTE));
	ck_assert_uint_eq(m->cpu.cr3, 0x427000);
	run_ok(m, OPX(WRITE64, TM_SCRATCH, 0x42a001));
	run_ok(m, OPX(MOV_CR, 3, TM_SCRATCH));
	ck_assert_uint_eq(m->cpu.cr3, TM_SCRATCH);
	refvmm_destroy(m);
}
END_TEST

/* From 32-bit protected mode, real mode (CR0.PE = 0) and entering IA-32e
 * mode again (CR0.PG = 1 with EFER.LME = 1, 10.8.5) are not modelled:
 * unmodelled, never a verdict, and L1 unchanged. */
START_TEST(test_unmodelled_modes)
{
	struct refvmm *m = refvmm_create(caps_default());
	run_ok(m, OPX(LEAVE_IA32E));
	struct result r = run(m, OPX(MOV_CR, 0, 0x30));
	ck_assert(r.nalt == 1 && r.alt[0].kind == OUT_UNMODELLED);
	ck_assert_uint_eq(m->cpu.cr0, 0x80000031);
	run_ok(m, OPX(MOV_CR, 0, 0x31));
	run_ok(m, OPX(WRMSR, 0xc0000080, 0x100));
	r = run(m, OPX(MOV_CR, 0, 0x80000031));
	ck_assert(r.nalt == 1 && r.alt[0].kind == OUT_UNMODELLED);
	ck_assert_uint_eq(m->cpu.cr0, 0x31);
	ck_assert_uint_eq(m->cpu.efer, 0x100);
	refvmm_destroy(m);
}
END_TEST

/* A machine in VMX operation with VMCS0 current, L1 in 32-bit mode when
 * leave, and `setup vmcs32` written when vmcs32. */
static struct refvmm *machine(bool leave, bool vmcs32)
{
	const struct vmx_caps *c = caps_default();
	struct refvmm *m = refvmm_create(c);
	ck_assert_ptr_nonnull(m);
	if (leave)
		run_ok(m, OPX(LEAVE_IA32E));
	run_ok(m, OPX(VMXON, TM_VMXON_REGION));
	run_ok(m, OPX(VMPTRLD, TM_VMCS0));
	if (vmcs32) {
		struct rop t[256];
		int n = template_expand("vmcs32", c, 0, t, 256);
		ck_assert_int_gt(n, 0);
		for (int i = 0; i < n; i++)
			run_ok(m, t[i]);
	}
	return m;
}

static uint64_t vmread_value(struct refvmm *m, uint64_t enc)
{
	struct result r = run(m, OPX(VMREAD, enc));
	ck_assert(r.nalt == 1 && r.alt[0].kind == OUT_VALUE);
	return r.alt[0].value;
}

/* 31.3 VMWRITE/VMREAD outside 64-bit mode: 32-bit operands.  TSC offset
 * is 64-bit (full 0x2010, high 0x2011); GUEST_RSP natural-width. */
START_TEST(test_vmwrite_vmread_32bit)
{
	struct refvmm *m = machine(true, false);
	/* VMWRITE of the full encoding: bits 31:0 from the operand, 63:32 cleared */
	gw(m, VF_TSC_OFFSET, 0xffffffffffffffffULL);
	run_ok(m, OPX(VMWRITE, 0x2010, 0xaaaaaaaa12345678ULL));
	ck_assert_uint_eq(gv(m, VF_TSC_OFFSET), 0x12345678);
	/* the high access type writes bits 63:32 and keeps 31:0 */
	run_ok(m, OPX(VMWRITE, 0x2011, 0x9abcdef0));
	ck_assert_uint_eq(gv(m, VF_TSC_OFFSET), 0x9abcdef012345678ULL);
	/* VMREAD of the full encoding reads bits 31:0 only; high reads 63:32 */
	ck_assert_uint_eq(vmread_value(m, 0x2010), 0x12345678);
	ck_assert_uint_eq(vmread_value(m, 0x2011), 0x9abcdef0);
	/* natural width: a 32-bit VMWRITE clears bits 63:32; VMREAD gives 31:0 */
	gw(m, VF_GUEST_RSP, 0xffff800000001000ULL);
	ck_assert_uint_eq(vmread_value(m, vmcs_field_table[VF_GUEST_RSP].enc), 0x1000);
	run_ok(m, OPX(VMWRITE, vmcs_field_table[VF_GUEST_RSP].enc, 0x1122334455667788ULL));
	ck_assert_uint_eq(gv(m, VF_GUEST_RSP), 0x55667788);
	/* 16- and 32-bit fields as in 64-bit mode */
	run_ok(m, OPX(VMWRITE, vmcs_field_table[VF_HOST_CS_SELECTOR].enc, 0x10018));
	ck_assert_uint_eq(gv(m, VF_HOST_CS_SELECTOR), 0x18);
	refvmm_destroy(m);
}
END_TEST

/* The field-encoding register has 32 bits outside 64-bit mode, so its
 * bits 63:32 do not exist; in 64-bit mode they must be 0 (error 12). */
START_TEST(test_encoding_register)
{
	uint64_t enc = (1ULL << 32) | 0x2010;
	struct refvmm *m = machine(false, false);
	struct result r = run(m, OPX(VMREAD, enc));
	ck_assert(r.alt[0].kind == OUT_FAIL_VALID && r.alt[0].num == 12);
	refvmm_destroy(m);
	m = machine(true, false);
	gw(m, VF_TSC_OFFSET, 0x0102030405060708ULL);
	ck_assert_uint_eq(vmread_value(m, enc), 0x05060708);
	run_ok(m, OPX(VMWRITE, enc, 7));
	ck_assert_uint_eq(gv(m, VF_TSC_OFFSET), 7);
	refvmm_destroy(m);
}
END_TEST

/* The baseline: entry from a 32-bit L1 and an exit to a 32-bit host
 * (27.5.1-27.5.2): CS = host selector with L = 0, EFER.LMA = LME = 0
 * without "load IA32_EFER", CR3 the host's PAE PDPT. */
START_TEST(test_baseline_entry_exit)
{
	struct refvmm *m = machine(true, true);
	m->cpu.efer |= 0x1;   /* SCE: kept, only LMA and LME are loaded */
	struct result r = run(m, OPX(VMLAUNCH));
	ck_assert_msg(r.nalt == 1 && r.alt[0].kind == OUT_EXIT && r.alt[0].num == 18,
		      "kind %u num %u", r.alt[0].kind, r.alt[0].num);
	const struct cpu_state *c = &m->cpu;
	ck_assert_uint_eq(c->seg[SEG_CS].sel, TM_SEL_CODE32);
	ck_assert_uint_eq(c->seg[SEG_CS].ar & (1u << 13), 0);
	ck_assert_uint_eq(c->efer, 0x1);
	ck_assert_uint_eq(c->cr3, TM_L1_PAE_PDPT);
	ck_assert_uint_eq(c->rip, TM_HOST_RIP);
	/* L2 ran in 32-bit protected mode with PAE paging */
	ck_assert_uint_eq(gv(m, VF_GUEST_CS_AR_BYTES), TM_AR_CODE32);
	ck_assert_uint_eq(gv(m, VF_GUEST_CR3), TM_L1_PAE_PDPT);
	ck_assert_uint_eq(gv(m, VF_VMCS_LINK_POINTER), ~0ULL);   /* written as two halves */
	refvmm_destroy(m);
}
END_TEST

/* Each 26.2.3-26.2.4 rule of a host address-space size 0, broken alone
 * from the baseline: VMfailValid(8) and only that rule. */
static const struct {
	enum rule_id rule;
	enum vmcs_field f;
	uint64_t or_bits, value;   /* value when or_bits == 0 */
} host_cases[] = {
	{ R_ENTRY_HOST_HOST64_NOT_IA32E, VF_VM_EXIT_CONTROLS, 1u << 9, 0 },
	{ R_ENTRY_HOST_IA32E_GUEST_NEEDS_HOST64, VF_VM_ENTRY_CONTROLS, 1u << 9, 0 },
	{ R_ENTRY_HOST_SEL_SS_NULL, VF_HOST_SS_SELECTOR, 0, 0 },
	{ R_ENTRY_HOST_CR4_PCIDE, VF_HOST_CR4, 1u << 17, 0 },
	{ R_ENTRY_HOST_RIP_HIGH, VF_HOST_RIP, 1ULL << 32, 0 },
};

START_TEST(test_host_rule)
{
	struct refvmm *m = machine(true, true);
	uint64_t v = host_cases[_i].or_bits ? gv(m, host_cases[_i].f) | host_cases[_i].or_bits
					    : host_cases[_i].value;
	gw(m, host_cases[_i].f, v);
	struct result r = run(m, OPX(VMLAUNCH));
	const char *id = rule_table[host_cases[_i].rule].id;
	ck_assert_msg(r.nalt == 1 && r.alt[0].kind == OUT_FAIL_VALID && r.alt[0].num == 8, "%s", id);
	ck_assert_msg(fired_only(&r, host_cases[_i].rule), "%s alone", id);
	refvmm_destroy(m);
}
END_TEST

/* The same VMCS from a 64-bit L1 breaks ADDR_SPACE_IA32E instead, and
 * HOST_RIP's high half survives VMCLEAR/VMXOFF/leave_ia32e/VMXON/VMPTRLD
 * in memory (24.11.1) to break RIP_HIGH. */
START_TEST(test_rip_high_across_vmxoff)
{
	struct refvmm *m = machine(false, true);
	struct result r = run(m, OPX(VMLAUNCH));
	ck_assert(r.alt[0].kind == OUT_FAIL_VALID && fired_only(&r, R_ENTRY_HOST_ADDR_SPACE_IA32E));
	run_ok(m, OPX(VMWRITE, vmcs_field_table[VF_HOST_RIP].enc, (1ULL << 32) | TM_HOST_RIP));
	run_ok(m, OPX(VMCLEAR, TM_VMCS0));
	run_ok(m, OPX(VMXOFF));
	run_ok(m, OPX(LEAVE_IA32E));
	run_ok(m, OPX(VMXON, TM_VMXON_REGION));
	run_ok(m, OPX(VMPTRLD, TM_VMCS0));
	ck_assert_uint_eq(gv(m, VF_HOST_RIP), (1ULL << 32) | TM_HOST_RIP);
	r = run(m, OPX(VMLAUNCH));
	ck_assert(r.alt[0].kind == OUT_FAIL_VALID && r.alt[0].num == 8);
	ck_assert(fired_only(&r, R_ENTRY_HOST_RIP_HIGH));
	refvmm_destroy(m);
}
END_TEST

/* 27.5.4: an exit to a PAE host checks the PDPTEs at host CR3: must when
 * CR3 changes (VMX abort 2, indicator in the VMCS region), may when L2
 * used PAE paging with the same CR3 (the exit, or abort 2). */
START_TEST(test_exit_host_pdptes)
{
	struct refvmm *m = machine(true, true);
	run_ok(m, OPX(WRITE64, TM_SCRATCH, 0x42a001));
	run_ok(m, OPX(WRITE64, TM_SCRATCH + 16, 0x21));   /* PDPTE 2: bit 5 reserved */
	gw(m, VF_HOST_CR3, TM_SCRATCH);
	struct result r = run(m, OPX(VMLAUNCH));
	ck_assert(r.nalt == 1 && r.alt[0].kind == OUT_ABORT && r.alt[0].num == 2);
	ck_assert_uint_eq(mem_read32(&m->mem, TM_VMCS0 + 4), 2);
	refvmm_destroy(m);

	m = machine(true, true);
	run_ok(m, OPX(WRITE64, TM_SCRATCH, 0x42a001));
	run_ok(m, OPX(WRITE64, TM_SCRATCH + 16, 0x21));
	gw(m, VF_HOST_CR3, TM_SCRATCH);
	gw(m, VF_GUEST_CR3, TM_SCRATCH);
	/* L2 on the same CR3 without EPT: the entry's own PDPTE check fails
	 * first (26.3.1.6, exit 33 qualification 2), and its host-state load
	 * then changes CR3 from L1's: must check, abort */
	r = run(m, OPX(VMLAUNCH));
	ck_assert(r.nalt == 1 && r.alt[0].kind == OUT_ABORT && r.alt[0].num == 2);
	refvmm_destroy(m);

	/* with EPT L2's PDPTEs come from the guest PDPTE fields, so L2 runs
	 * in PAE paging on the bad CR3, and the exit to that same CR3 may
	 * check: the exit (the model's primary) or abort 2 */
	m = machine(true, true);
	run_ok(m, OPX(WRITE64, TM_SCRATCH, 0x42a001));
	run_ok(m, OPX(WRITE64, TM_SCRATCH + 16, 0x21));
	gw(m, VF_CPU_BASED_VM_EXEC_CONTROL, gv(m, VF_CPU_BASED_VM_EXEC_CONTROL) | 1u << 31);
	gw(m, VF_SECONDARY_VM_EXEC_CONTROL, 1u << 1);
	gw(m, VF_EPT_POINTER, TM_EPT_ROOT | 0x1e);
	gw(m, VF_GUEST_PDPTR0, 0x42a001);
	gw(m, VF_HOST_CR3, TM_SCRATCH);
	gw(m, VF_GUEST_CR3, TM_SCRATCH);
	r = run(m, OPX(VMLAUNCH));
	ck_assert_uint_eq(r.nalt, 2);
	ck_assert(r.alt[0].kind == OUT_EXIT && r.alt[0].num == 18);
	ck_assert(r.alt[1].kind == OUT_ABORT && r.alt[1].num == 2);
	ck_assert_uint_eq(m->cpu.cr3, TM_SCRATCH);
	/* and with a good PDPT there the exit alone */
	run_ok(m, OPX(WRITE64, TM_SCRATCH + 16, 0));
	run_ok(m, OPX(VMCLEAR, TM_VMCS0));
	run_ok(m, OPX(VMPTRLD, TM_VMCS0));
	m->cpu.cr3 = TM_L1_PAE_PDPT;
	r = run(m, OPX(VMLAUNCH));
	ck_assert(r.nalt == 1 && r.alt[0].kind == OUT_EXIT && r.alt[0].num == 18);
	refvmm_destroy(m);
}
END_TEST

static Suite *l1_mode_suite(void)
{
	Suite *s = suite_create("l1_mode");
	TCase *t = tcase_create("core");
	tcase_add_test(t, test_leave_state);
	tcase_add_test(t, test_leave_clears_pcide);
	tcase_add_test(t, test_leave_faults);
	tcase_add_test(t, test_mov_cr3_pdptes);
	tcase_add_test(t, test_unmodelled_modes);
	tcase_add_test(t, test_vmwrite_vmread_32bit);
	tcase_add_test(t, test_encoding_register);
	tcase_add_test(t, test_baseline_entry_exit);
	tcase_add_loop_test(t, test_host_rule, 0, (int)(sizeof host_cases / sizeof *host_cases));
	tcase_add_test(t, test_rip_high_across_vmxoff);
	tcase_add_test(t, test_exit_host_pdptes);
	suite_add_tcase(s, t);
	return s;
}
SUITE_REGISTER(l1_mode_suite)
