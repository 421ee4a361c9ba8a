/* `setup TEMPLATE`: silent operations that build a VMCS from the profile.
 * Every backend runs the same expansion, so the model and the probe start
 * L2 from identical state.  The values are the fixed test machine's
 * (refvmm/testmachine.h); the controls are the profile's required-1 bits
 * (SDM A.3-A.5) plus the few each template needs. */
#include <string.h>
#include "templates.h"
#include "../refvmm/vmcs_fields.h"

/* Control bits the templates set (SDM 24.6-24.8). */
#define PROC_SECONDARY   (1u << 31)
#define PROC2_EPT        (1u << 1)
#define PROC2_UNRESTRICT (1u << 7)
#define EXIT_HOST_64     (1u << 9)
#define ENTRY_IA32E      (1u << 9)
#define EPTP_WB_4LEVEL   (6u | (3u << 3))   /* 28.2.6: memory type WB, walk length 4 */

struct tvals { enum vmcs_field f; uint64_t v; };

/* Host state: the test machine's L1 state (26.2.2-26.2.4 hold for it). */
static const struct tvals host_state[] = {
	{ VF_HOST_CR0, TM_L1_CR0 }, { VF_HOST_CR3, TM_L1_CR3 }, { VF_HOST_CR4, TM_L1_CR4 },
	{ VF_HOST_ES_SELECTOR, TM_SEL_DATA }, { VF_HOST_CS_SELECTOR, TM_SEL_CODE64 },
	{ VF_HOST_SS_SELECTOR, TM_SEL_DATA }, { VF_HOST_DS_SELECTOR, TM_SEL_DATA },
	{ VF_HOST_FS_SELECTOR, TM_SEL_DATA }, { VF_HOST_GS_SELECTOR, TM_SEL_DATA },
	{ VF_HOST_TR_SELECTOR, TM_SEL_TSS },
	{ VF_HOST_FS_BASE, 0 }, { VF_HOST_GS_BASE, 0 }, { VF_HOST_TR_BASE, TM_TSS },
	{ VF_HOST_GDTR_BASE, TM_GDT }, { VF_HOST_IDTR_BASE, TM_IDT },
	{ VF_HOST_IA32_SYSENTER_CS, 0 }, { VF_HOST_IA32_SYSENTER_ESP, 0 },
	{ VF_HOST_IA32_SYSENTER_EIP, 0 },
	{ VF_HOST_IA32_EFER, TM_L1_EFER }, { VF_HOST_IA32_PAT, TM_L1_PAT },
	{ VF_HOST_RSP, TM_HOST_RSP }, { VF_HOST_RIP, TM_HOST_RIP },
};

/* Guest state of a flat 64-bit L2 sharing L1's page tables (26.3.1). */
static const struct tvals guest64_state[] = {
	{ VF_GUEST_CR0, TM_L1_CR0 }, { VF_GUEST_CR3, TM_L1_CR3 }, { VF_GUEST_CR4, TM_L1_CR4 },
	{ VF_GUEST_DR7, TM_L1_DR7 }, { VF_GUEST_IA32_DEBUGCTL, 0 },
	{ VF_GUEST_RSP, TM_GUEST_STACK }, { VF_GUEST_RIP, TM_GUEST_CODE },
	{ VF_GUEST_RFLAGS, TM_L1_RFLAGS },
	{ VF_GUEST_ES_SELECTOR, TM_SEL_DATA }, { VF_GUEST_CS_SELECTOR, TM_SEL_CODE64 },
	{ VF_GUEST_SS_SELECTOR, TM_SEL_DATA }, { VF_GUEST_DS_SELECTOR, TM_SEL_DATA },
	{ VF_GUEST_FS_SELECTOR, TM_SEL_DATA }, { VF_GUEST_GS_SELECTOR, TM_SEL_DATA },
	{ VF_GUEST_LDTR_SELECTOR, 0 }, { VF_GUEST_TR_SELECTOR, TM_SEL_TSS },
	{ VF_GUEST_ES_BASE, 0 }, { VF_GUEST_CS_BASE, 0 }, { VF_GUEST_SS_BASE, 0 },
	{ VF_GUEST_DS_BASE, 0 }, { VF_GUEST_FS_BASE, 0 }, { VF_GUEST_GS_BASE, 0 },
	{ VF_GUEST_LDTR_BASE, 0 }, { VF_GUEST_TR_BASE, TM_TSS },
	{ VF_GUEST_ES_LIMIT, 0xffffffff }, { VF_GUEST_CS_LIMIT, 0xffffffff },
	{ VF_GUEST_SS_LIMIT, 0xffffffff }, { VF_GUEST_DS_LIMIT, 0xffffffff },
	{ VF_GUEST_FS_LIMIT, 0xffffffff }, { VF_GUEST_GS_LIMIT, 0xffffffff },
	{ VF_GUEST_LDTR_LIMIT, 0 }, { VF_GUEST_TR_LIMIT, TM_TSS_LIMIT },
	{ VF_GUEST_ES_AR_BYTES, TM_AR_DATA }, { VF_GUEST_CS_AR_BYTES, TM_AR_CODE64 },
	{ VF_GUEST_SS_AR_BYTES, TM_AR_DATA }, { VF_GUEST_DS_AR_BYTES, TM_AR_DATA },
	{ VF_GUEST_FS_AR_BYTES, TM_AR_DATA }, { VF_GUEST_GS_AR_BYTES, TM_AR_DATA },
	{ VF_GUEST_LDTR_AR_BYTES, TM_AR_UNUSABLE }, { VF_GUEST_TR_AR_BYTES, TM_AR_TSS64_BUSY },
	{ VF_GUEST_GDTR_BASE, TM_GDT }, { VF_GUEST_GDTR_LIMIT, TM_GDT_LIMIT },
	{ VF_GUEST_IDTR_BASE, TM_GUEST_IDT }, { VF_GUEST_IDTR_LIMIT, TM_IDT_LIMIT },
	{ VF_GUEST_SYSENTER_CS, 0 }, { VF_GUEST_SYSENTER_ESP, 0 }, { VF_GUEST_SYSENTER_EIP, 0 },
	{ VF_GUEST_IA32_EFER, TM_L1_EFER }, { VF_GUEST_IA32_PAT, TM_L1_PAT },
	{ VF_VMCS_LINK_POINTER, ~0ULL },
	{ VF_GUEST_INTERRUPTIBILITY_INFO, 0 }, { VF_GUEST_ACTIVITY_STATE, 0 },
	{ VF_GUEST_PENDING_DBG_EXCEPTIONS, 0 },
};

/* Unrestricted guest (26.3.1.1, 26.3.1.2): CR0.PE = CR0.PG = 0, flat
 * 4 GiB segments ("big real mode"), a 32-bit busy TSS.  The guest block's
 * code then runs as 16-bit code: use this template for entry checks. */
static const struct tvals guest_real_state[] = {
	{ VF_GUEST_CR0, 0x30 },   /* NE | ET */
	{ VF_GUEST_CR4, 0x2000 }, /* VMXE */
	{ VF_GUEST_CR3, 0 },
	{ VF_GUEST_ES_SELECTOR, 0 }, { VF_GUEST_CS_SELECTOR, 0 }, { VF_GUEST_SS_SELECTOR, 0 },
	{ VF_GUEST_DS_SELECTOR, 0 }, { VF_GUEST_FS_SELECTOR, 0 }, { VF_GUEST_GS_SELECTOR, 0 },
	{ VF_GUEST_ES_AR_BYTES, 0x8093 }, { VF_GUEST_CS_AR_BYTES, 0x809b },
	{ VF_GUEST_SS_AR_BYTES, 0x8093 }, { VF_GUEST_DS_AR_BYTES, 0x8093 },
	{ VF_GUEST_FS_AR_BYTES, 0x8093 }, { VF_GUEST_GS_AR_BYTES, 0x8093 },
	{ VF_GUEST_TR_AR_BYTES, 0x008b },
	{ VF_GUEST_IA32_EFER, 0 },
};

/* A 32-bit host in 32-bit protected mode with PAE paging, as L1 is after
 * leave_ia32e (host address-space size 0, 26.2.4; 27.5: CS.L = 0,
 * IA32_EFER.LMA = LME = 0), and a 32-bit protected-mode L2 with PAE
 * paging through the same PDPT (26.3.1.1: IA-32e mode guest = 0, so
 * CR4.PAE may be 1 and the PDPTEs are checked, 26.3.1.6).  L2's IDT is
 * the 64-bit one: use it for entry and exit, not for event delivery. */
static const struct tvals host32_state[] = {
	{ VF_HOST_CR3, TM_L1_PAE_CR3 }, { VF_HOST_CS_SELECTOR, TM_SEL_CODE32 },
	{ VF_HOST_IA32_EFER, 0 },
};
static const struct tvals guest32_state[] = {
	{ VF_GUEST_CR3, TM_L1_PAE_CR3 }, { VF_GUEST_CS_SELECTOR, TM_SEL_CODE32 },
	{ VF_GUEST_CS_AR_BYTES, TM_AR_CODE32 }, { VF_GUEST_IA32_EFER, 0 },
};

struct out { struct rop *r; size_t n, max; uint32_t line; bool split; };

static void emit(struct out *o, uint16_t op, uint64_t a0, uint64_t a1)
{
	if (o->n < o->max)
		o->r[o->n] = (struct rop){ .op = op, .flags = ROP_SILENT, .line = o->line, .a = { a0, a1 } };
	o->n++;
}

/* For a 32-bit L1 (o->split), a 64-bit field takes two VMWRITEs: the
 * full encoding writes bits 31:0 and clears 63:32, the high access type
 * (encoding | 1) then writes bits 63:32 (24.11.2, 31.9.2.2). */
static void vmwrite(struct out *o, enum vmcs_field f, uint64_t v)
{
	uint32_t enc = vmcs_field_table[f].enc;
	if (!o->split || vmcs_field_table[f].width != W64) {
		emit(o, OP_VMWRITE, enc, v);
		return;
	}
	emit(o, OP_VMWRITE, enc, v & 0xffffffffu);
	emit(o, OP_VMWRITE, enc | 1, v >> 32);
}

/* Fields a profile lacks (e.g. GUEST_IA32_EFER without the EFER controls)
 * are skipped: VMWRITE would fail with error 12 and change nothing. */
static void write_all(struct out *o, const struct vmx_caps *c, const struct tvals *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (vmcs_field_supported(c, t[i].f))
			vmwrite(o, t[i].f, t[i].v);
}

static void base(struct out *o, const struct vmx_caps *c, uint32_t proc, uint32_t proc2,
		 uint32_t exit, uint32_t entry)
{
	emit(o, OP_VMCLEAR, TM_VMCS0, 0);
	emit(o, OP_VMPTRLD, TM_VMCS0, 0);
	vmwrite(o, VF_PIN_BASED_VM_EXEC_CONTROL, caps_ctl_must1(c, CTL_PIN));
	vmwrite(o, VF_CPU_BASED_VM_EXEC_CONTROL, caps_ctl_must1(c, CTL_PROC) | proc);
	if (proc & PROC_SECONDARY)
		vmwrite(o, VF_SECONDARY_VM_EXEC_CONTROL, caps_ctl_must1(c, CTL_PROC2) | proc2);
	vmwrite(o, VF_VM_EXIT_CONTROLS, caps_ctl_must1(c, CTL_EXIT) | exit);
	vmwrite(o, VF_VM_ENTRY_CONTROLS, caps_ctl_must1(c, CTL_ENTRY) | entry);
	write_all(o, c, host_state, sizeof host_state / sizeof *host_state);
	write_all(o, c, guest64_state, sizeof guest64_state / sizeof *guest64_state);
	if (proc2 & PROC2_EPT)
		vmwrite(o, VF_EPT_POINTER, TM_EPT_ROOT | EPTP_WB_4LEVEL);
}

static void base64(struct out *o, const struct vmx_caps *c, uint32_t proc, uint32_t proc2, uint32_t entry)
{
	base(o, c, proc, proc2, EXIT_HOST_64, entry);
}

static void t_vmcs64(struct out *o, const struct vmx_caps *c)
{
	base64(o, c, 0, 0, ENTRY_IA32E);
}

static void t_vmcs64_ept(struct out *o, const struct vmx_caps *c)
{
	base64(o, c, PROC_SECONDARY, PROC2_EPT, ENTRY_IA32E);
}

static void t_vmcs_unrestricted(struct out *o, const struct vmx_caps *c)
{
	base64(o, c, PROC_SECONDARY, PROC2_EPT | PROC2_UNRESTRICT, 0);
	write_all(o, c, guest_real_state, sizeof guest_real_state / sizeof *guest_real_state);
}

static void t_vmcs32(struct out *o, const struct vmx_caps *c)
{
	o->split = true;
	base(o, c, 0, 0, 0, 0);
	write_all(o, c, host32_state, sizeof host32_state / sizeof *host32_state);
	write_all(o, c, guest32_state, sizeof guest32_state / sizeof *guest32_state);
}

/* A 64-bit host and the 32-bit protected-mode PAE L2 of vmcs32 (IA-32e
 * mode guest = 0), as a 64-bit VMM runs a 32-bit guest.  Only ops whose
 * code means the same in 32-bit code run there (guest_code_runs_in), and
 * L2's IDT is the 64-bit one: catch its exceptions in the bitmap. */
static void t_vmcs64_guest32(struct out *o, const struct vmx_caps *c)
{
	base64(o, c, 0, 0, 0);
	write_all(o, c, guest32_state, sizeof guest32_state / sizeof *guest32_state);
}

static void t_ept_identity(struct out *o, const struct vmx_caps *c)
{
	(void)c;
	vmwrite(o, VF_EPT_POINTER, TM_EPT_ROOT | EPTP_WB_4LEVEL);
}

static const struct {
	const char *name;
	void (*expand)(struct out *o, const struct vmx_caps *c);
} templates[] = {
	{ "vmcs64", t_vmcs64 },
	{ "vmcs64_ept", t_vmcs64_ept },
	{ "vmcs_unrestricted", t_vmcs_unrestricted },
	{ "vmcs32", t_vmcs32 },
	{ "vmcs64_guest32", t_vmcs64_guest32 },
	{ "ept_identity", t_ept_identity },
};
#define NTEMPLATES (sizeof templates / sizeof *templates)

int template_expand(const char *name, const struct vmx_caps *c, uint32_t line,
		    struct rop *out, size_t max)
{
	for (size_t i = 0; i < NTEMPLATES; i++) {
		if (strcmp(templates[i].name, name) != 0)
			continue;
		struct out o = { out, 0, max, line, false };
		templates[i].expand(&o, c);
		return o.n > max ? -2 : (int)o.n;
	}
	return -1;
}

bool template_exists(const char *name)
{
	for (size_t i = 0; i < NTEMPLATES; i++)
		if (strcmp(templates[i].name, name) == 0)
			return true;
	return false;
}

size_t template_count(void) { return NTEMPLATES; }
const char *template_name(size_t i) { return i < NTEMPLATES ? templates[i].name : NULL; }
