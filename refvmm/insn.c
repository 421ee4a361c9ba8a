/* VMXON, VMXOFF, VMCLEAR, VMPTRLD, VMPTRST, VMREAD, VMWRITE, VMLAUNCH and
 * VMRESUME in VMX root operation, in the order of the SDM's pseudocode
 * (31.3): #UD, then #GP, then VMfail. */
#include "entry.h"
#include "insn.h"
#include "vmcs_access.h"


void insn_ok(struct refvmm *m)
{
	m->res->nalt = 1;
	m->res->alt[0] = (struct outcome){ .kind = OUT_OK };
}

static void set_error(struct refvmm *m, uint32_t n)
{
	vmcs_put(m, VF_VM_INSTRUCTION_ERROR, n);
}

void insn_fail(struct refvmm *m, enum rule_id r)
{
	const struct rule_info *ri = &rule_table[r];
	struct outcome o = { .kind = OUT_FAULT };
	switch (ri->out) {
	case RO_UD: o.vector = 6; break;
	case RO_GP0: o.vector = 13; o.have = OUTF_ERRCODE; break;
	case RO_FAIL_INVALID: o.kind = OUT_FAIL_INVALID; break;
	case RO_FAIL_VALID:   /* the SDM's VMfail(n) */
		if (m->vmx.current == VMCS_NONE) {
			o.kind = OUT_FAIL_INVALID;
		} else {
			o.kind = OUT_FAIL_VALID;
			o.num = ri->arg;
			set_error(m, ri->arg);
		}
		break;
	default: o.kind = OUT_UNMODELLED; break;
	}
	m->res->nalt = 1;
	m->res->alt[0] = o;
}

static bool addr_ok_width(const struct refvmm *m, uint64_t a)
{
	return (a & caps_vmx_addr_mask(&m->caps)) == 0;
}

void insn_vmxon(struct refvmm *m, const struct rop *op)
{
	struct cpu_state *c = &m->cpu;
	uint64_t a = op->a[0];
	REQUIRE(m, INSN_VMXON_CR4_VMXE, c->cr4 & (1u << 13));
	REQUIRE(m, INSN_VMXON_CPL, c->cpl == 0);
	REQUIRE(m, INSN_VMXON_IN_ROOT, !m->vmx.on);
	REQUIRE(m, INSN_VMXON_CR0_FIXED, caps_cr0_allowed(&m->caps, c->cr0, false));
	REQUIRE(m, INSN_VMXON_CR4_FIXED, caps_cr4_allowed(&m->caps, c->cr4));
	REQUIRE(m, INSN_VMXON_FEATURE_CONTROL_LOCK, c->feature_control & 1);
	REQUIRE(m, INSN_VMXON_FEATURE_CONTROL_OUTSIDE_SMX, c->feature_control & 4);
	REQUIRE(m, INSN_VMXON_ADDR_ALIGN, (a & 0xfff) == 0);
	REQUIRE(m, INSN_VMXON_ADDR_WIDTH, addr_ok_width(m, a));
	uint32_t rev = mem_read32(&m->mem, a);
	REQUIRE(m, INSN_VMXON_REVISION, (rev & 0x7fffffff) == caps_revision(&m->caps));
	REQUIRE(m, INSN_VMXON_SHADOW_BIT, !(rev & 0x80000000u));
	m->vmx.on = true;
	m->vmx.vmxon_ptr = a;
	m->vmx.current = VMCS_NONE;
	insn_ok(m);
}

void insn_vmxoff(struct refvmm *m, const struct rop *op)
{
	(void)op;
	REQUIRE(m, INSN_VMXOFF_NOT_VMX, m->vmx.on);
	REQUIRE(m, INSN_VMXOFF_CPL, m->cpu.cpl == 0);
	/* software must VMCLEAR first (24.11.1): a launched current VMCS is
	 * now undefined, and VMRESUME of it may give error 6 */
	uint64_t cur = m->vmx.current;
	if (cur != VMCS_NONE && mem_read32(&m->mem, cur + VMCS_OFF_LAUNCH) == VMCS_LAUNCHED)
		(void)mem_write32(&m->mem, cur + VMCS_OFF_LAUNCH, VMCS_LAUNCHED_THEN_VMXOFF);
	m->vmx.on = false;
	insn_ok(m);
}

void insn_vmclear(struct refvmm *m, const struct rop *op)
{
	uint64_t a = op->a[0];
	REQUIRE(m, INSN_VMCLEAR_NOT_VMX, m->vmx.on);
	REQUIRE(m, INSN_VMCLEAR_CPL, m->cpu.cpl == 0);
	REQUIRE(m, INSN_VMCLEAR_ADDR_ALIGN, (a & 0xfff) == 0);
	REQUIRE(m, INSN_VMCLEAR_ADDR_WIDTH, addr_ok_width(m, a));
	REQUIRE(m, INSN_VMCLEAR_VMXON_PTR, a != m->vmx.vmxon_ptr);
	(void)mem_write32(&m->mem, a + VMCS_OFF_LAUNCH, VMCS_CLEAR);
	if (a == m->vmx.current)
		m->vmx.current = VMCS_NONE;
	insn_ok(m);
}

void insn_vmptrld(struct refvmm *m, const struct rop *op)
{
	uint64_t a = op->a[0];
	REQUIRE(m, INSN_VMPTRLD_NOT_VMX, m->vmx.on);
	REQUIRE(m, INSN_VMPTRLD_CPL, m->cpu.cpl == 0);
	REQUIRE(m, INSN_VMPTRLD_ADDR_ALIGN, (a & 0xfff) == 0);
	REQUIRE(m, INSN_VMPTRLD_ADDR_WIDTH, addr_ok_width(m, a));
	REQUIRE(m, INSN_VMPTRLD_VMXON_PTR, a != m->vmx.vmxon_ptr);
	uint32_t rev = mem_read32(&m->mem, a);
	REQUIRE(m, INSN_VMPTRLD_REVISION, (rev & 0x7fffffff) == caps_revision(&m->caps));
	REQUIRE(m, INSN_VMPTRLD_SHADOW_UNSUPPORTED,
		!(rev & 0x80000000u) || caps_has(&m->caps, FEAT_VMCS_SHADOWING));
	m->vmx.current = a;
	insn_ok(m);
}

void insn_vmptrst(struct refvmm *m, const struct rop *op)
{
	(void)op;
	REQUIRE(m, INSN_VMPTRST_NOT_VMX, m->vmx.on);
	REQUIRE(m, INSN_VMPTRST_CPL, m->cpu.cpl == 0);
	m->res->nalt = 1;
	m->res->alt[0] = (struct outcome){ .kind = OUT_VALUE, .value = m->vmx.current };
}

/* The field an encoding names on this processor, or -1 (error 12). */
int insn_vmcs_field(const struct refvmm *m, uint64_t enc, bool *high)
{
	int f = vmcs_field_by_enc64(enc, high);
	return f >= 0 && vmcs_field_exists(m, (enum vmcs_field)f) ? f : -1;
}

/* VMWRITE may write a read-only (exit-information) field only with
 * IA32_VMX_MISC[29] (31.3 VMWRITE, A.6). */
bool insn_vmcs_writable(const struct refvmm *m, int f)
{
	return vmcs_field_table[f].type != T_RO || caps_has(&m->caps, FEAT_VMWRITE_ANY_FIELD);
}

/* Field f of the VMCS region at `region` (the model's layout, vcpu.h);
 * `high` is the high access type of a 64-bit field (24.11.2). */
uint64_t insn_vmcs_get(const struct refvmm *m, uint64_t region, int f, bool high)
{
	uint64_t v = region == m->vmx.current ? vmcs_get(m, (enum vmcs_field)f)
		: mem_read64(&m->mem, region + VMCS_OFF_FIELDS + 8u * (uint64_t)f);
	return high ? v >> 32 : v;
}

void insn_vmcs_put(struct refvmm *m, uint64_t region, int f, bool high, uint64_t v)
{
	uint64_t slot = region + VMCS_OFF_FIELDS + 8u * (uint64_t)f;
	if (high)   /* the high access type writes bits 63:32 */
		v = (insn_vmcs_get(m, region, f, false) & 0xffffffffULL) | v << 32;
	v &= vmcs_width_mask((enum vmcs_width)vmcs_field_table[f].width);
	if (region == m->vmx.current)
		vmcs_put(m, (enum vmcs_field)f, v);
	else
		(void)mem_write64(&m->mem, slot, v);
}

/* Outside 64-bit mode VMREAD and VMWRITE have 32-bit operands (31.3):
 * the field-encoding register is 32 bits; VMREAD of a longer field reads
 * only its bits 31:0; VMWRITE to a longer field writes bits 31:0 and
 * clears the rest (a 64-bit field's bits 63:32 are its high access type's,
 * 24.11.2, 31.9.2).  l1_reg() cuts a register operand to that size. */
void insn_vmread(struct refvmm *m, const struct rop *op)
{
	bool high = false;
	REQUIRE(m, INSN_VMREAD_NOT_VMX, m->vmx.on);
	REQUIRE(m, INSN_VMREAD_CPL, m->cpu.cpl == 0);
	REQUIRE(m, INSN_VMREAD_NO_CURRENT, m->vmx.current != VMCS_NONE);
	int f = insn_vmcs_field(m, l1_reg(&m->cpu, op->a[0]), &high);
	REQUIRE(m, INSN_VMREAD_UNSUPPORTED, f >= 0);
	m->res->nalt = 1;
	m->res->alt[0] = (struct outcome){ .kind = OUT_VALUE,
		.value = l1_reg(&m->cpu, insn_vmcs_get(m, m->vmx.current, f, high)) };
}

void insn_vmwrite(struct refvmm *m, const struct rop *op)
{
	bool high = false;
	REQUIRE(m, INSN_VMWRITE_NOT_VMX, m->vmx.on);
	REQUIRE(m, INSN_VMWRITE_CPL, m->cpu.cpl == 0);
	REQUIRE(m, INSN_VMWRITE_NO_CURRENT, m->vmx.current != VMCS_NONE);
	int f = insn_vmcs_field(m, l1_reg(&m->cpu, op->a[0]), &high);
	REQUIRE(m, INSN_VMWRITE_UNSUPPORTED, f >= 0);
	REQUIRE(m, INSN_VMWRITE_READ_ONLY, insn_vmcs_writable(m, f));
	insn_vmcs_put(m, m->vmx.current, f, high, l1_reg(&m->cpu, op->a[1]));
	if (f == VF_GUEST_RIP)
		m->vmx.guest_rip_written = true;
	insn_ok(m);
}

void insn_vmlaunch(struct refvmm *m, const struct rop *op)
{
	bool launch = op->op == OP_VMLAUNCH;
	REQUIRE(m, INSN_VMLAUNCH_NOT_VMX, m->vmx.on);
	REQUIRE(m, INSN_VMLAUNCH_CPL, m->cpu.cpl == 0);
	REQUIRE(m, INSN_VMLAUNCH_NO_CURRENT, m->vmx.current != VMCS_NONE);
	/* 24.10, 26.1: a shadow VMCS cannot be entered; CF, not ZF, though
	 * there is a current VMCS */
	REQUIRE(m, INSN_VMLAUNCH_SHADOW_VMCS, !(vmcs_region_get32(m, 0) & 0x80000000u));
	REQUIRE(m, INSN_VMLAUNCH_MOV_SS, !(m->cpu.interruptibility & 2));
	uint32_t state = vmcs_region_get32(m, VMCS_OFF_LAUNCH);
	if (launch)
		REQUIRE(m, INSN_VMLAUNCH_NOT_CLEAR, state == VMCS_CLEAR);
	else
		REQUIRE(m, INSN_VMRESUME_NOT_LAUNCHED, state != VMCS_CLEAR);
	if (launch)   /* the resume convention applies to VMRESUME only */
		m->vmx.exit_advance = 0;
	if (state != VMCS_LAUNCHED_THEN_VMXOFF || launch) {
		vmentry(m, launch);
		return;
	}
	/* VMRESUME after VMXOFF without VMCLEAR (Table 31-1 error 6): the
	 * region is undefined (24.11.1).  The model resumes as if it still
	 * said launched; a CPU may also report error 6 or find it clear (5). */
	(void)mem_write32(&m->mem, m->vmx.current + VMCS_OFF_LAUNCH, VMCS_LAUNCHED);
	CHECK(m, INSN_VMRESUME_AFTER_VMXOFF, false);
	vmentry(m, false);
	result_add_alt(m, (struct outcome){ .kind = OUT_FAIL_VALID, .num = 6 });
	result_add_alt(m, (struct outcome){ .kind = OUT_FAIL_VALID, .num = 5 });
}
