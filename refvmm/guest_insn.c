/* Instructions that cause VM exits in VMX non-root operation, SDM 25.1.2
 * (unconditionally) and 25.1.3 (by VM-execution controls), with the exit
 * information of 27.2.1 (qualification), 27.2.4 (instruction information)
 * and 27.2.5 (instruction length). */
#include "ept.h"
#include "guest_priv.h"
#include "insn.h"

/* Instruction-information layouts (27.2.4, Tables 27-9..27-14), for the
 * fixed operands guest_code.c emits. */
#define II_ADDR64      (2u << 7)
#define II_REG         (1u << 10)
#define II_SEG_DS      (3u << 15)
#define II_NO_INDEX    (1u << 22)
#define II_BASE(r)     ((uint32_t)(r) << 23)
#define II_REG1(r)     ((uint32_t)(r) << 3)
#define II_REG2(r)     ((uint32_t)(r) << 28)
#define II_MEM(base)   (II_ADDR64 | II_SEG_DS | II_NO_INDEX | II_BASE(base))

enum gstep guest_insn_exit(struct refvmm *m, uint32_t reason, uint64_t qual,
			   uint16_t have, uint32_t info)
{
	struct exit_info e = {
		.reason = reason, .have = (uint16_t)(have | EXF_QUAL | EXF_LEN),
		.qual = qual, .len = guest_cur_len(m), .info = info,
	};
	vmexit(m, &e);
	return G_EXITED;
}

static enum gstep plain_exit(struct refvmm *m, uint32_t reason)
{
	return guest_insn_exit(m, reason, 0, 0, 0);
}

/* ---- unconditional exits, 25.1.2 ---- */

static enum gstep g_cpuid(struct refvmm *m, const struct rop *o)
{
	(void)o;
	CHECK(m, EXIT_CPUID_UNCONDITIONAL, false);
	return plain_exit(m, XR_CPUID);
}

static enum gstep g_vmcall(struct refvmm *m, const struct rop *o)
{
	(void)o;
	CHECK(m, EXIT_VMCALL_UNCONDITIONAL, false);
	return plain_exit(m, XR_VMCALL);
}

static enum gstep g_invd(struct refvmm *m, const struct rop *o)
{
	(void)o;
	CHECK(m, EXIT_INVD_UNCONDITIONAL, false);
	return plain_exit(m, XR_INVD);
}

static enum gstep g_xsetbv(struct refvmm *m, const struct rop *o)
{
	(void)o;
	if (!CHECK(m, EXIT_XSETBV_OSXSAVE, m->cpu.cr4 & 1u << 18))
		return guest_exception(m, 6, false, 0);
	CHECK(m, EXIT_XSETBV_UNCONDITIONAL, false);
	return plain_exit(m, XR_XSETBV);
}

/* GETSEC exits when CR4.SMXE = 1; otherwise it is #UD (25.1.2). */
static enum gstep g_getsec(struct refvmm *m, const struct rop *o)
{
	(void)o;
	if (CHECK(m, EXIT_GETSEC_SMXE, !(m->cpu.cr4 & 1u << 14)))
		return guest_exception(m, 6, false, 0);
	return plain_exit(m, XR_GETSEC);
}

/* VMX instructions exit unconditionally in non-root operation (25.1.2);
 * VMREAD/VMWRITE may be shadowed instead (25.1.3, 24.10). */
struct vmx_insn { uint8_t reason; uint32_t info; };
static const struct vmx_insn vmx_insns[OP_COUNT] = {
	[OP_G_VMCLEAR] = { XR_VMCLEAR, II_MEM(0) },   [OP_G_VMPTRLD] = { XR_VMPTRLD, II_MEM(0) },
	[OP_G_VMPTRST] = { XR_VMPTRST, II_MEM(0) },   [OP_G_VMXON] = { XR_VMXON, II_MEM(0) },
	[OP_G_VMLAUNCH] = { XR_VMLAUNCH, 0 },         [OP_G_VMRESUME] = { XR_VMRESUME, 0 },
	[OP_G_VMXOFF] = { XR_VMXOFF, 0 },
	[OP_G_INVEPT] = { XR_INVEPT, II_MEM(1) | II_REG2(0) },
	[OP_G_INVVPID] = { XR_INVVPID, II_MEM(1) | II_REG2(0) },
	/* vmread rax, rcx / vmwrite rcx, rax: reg1 = rax, reg2 = rcx */
	[OP_G_VMREAD] = { XR_VMREAD, II_REG | II_REG1(0) | II_REG2(1) },
	[OP_G_VMWRITE] = { XR_VMWRITE, II_REG | II_REG1(0) | II_REG2(1) },
};

/* 31.3 (each instruction's pseudocode): #UD with CR0.PE = 0, RFLAGS.VM = 1
 * or in compatibility mode comes before the VM exit. */
static bool vmx_mode_ud(struct refvmm *m)
{
	const struct cpu_state *c = &m->cpu;
	bool compat = (c->efer & 1u << 10) && !(c->seg[SEG_CS].ar & 1u << 13);
	return !CHECK(m, EXIT_VMX_INSN_MODE, (c->cr0 & 1) && !(c->rflags & 1u << 17) && !compat);
}

static enum gstep vmx_exit(struct refvmm *m, const struct rop *o)
{
	const struct vmx_insn *x = &vmx_insns[o->op];
	CHECK(m, EXIT_VMX_INSN_UNCONDITIONAL, false);
	return guest_insn_exit(m, x->reason, 0, x->info ? EXF_INFO : 0, x->info);
}

static enum gstep g_vmx(struct refvmm *m, const struct rop *o)
{
	return vmx_mode_ud(m) ? guest_exception(m, 6, false, 0) : vmx_exit(m, o);
}

/* 24.6.15: with VMCS shadowing, bit (encoding & 0x7fff) of the VMREAD /
 * VMWRITE bitmap decides; encodings above 0x7fff always exit. */
static bool shadow_bitmap_exits(struct refvmm *m, enum vmcs_field bitmap, uint64_t enc)
{
	if (!(proc2(m) & PROC2_SHADOW_VMCS) || enc >> 15)
		return true;
	uint8_t byte = 0;
	if (mem_read(&m->mem, gv(m, bitmap) + (enc >> 3), &byte, 1) != 0)
		return true;
	return byte >> (enc & 7) & 1;
}

/* VMsucceed / VMfailInvalid / VMfailValid in L2 (31.2): the arithmetic
 * flags of L2's RFLAGS; VMfailValid's error number goes to the current
 * (ordinary) VMCS, the one L1 reads after the next exit. */
#define RFLAGS_ARITH 0x8d5ull   /* CF PF AF ZF SF OF */
enum { VMFAIL_NONE = 0, VMFAIL_INVALID = 1 };

static enum gstep shadow_done(struct refvmm *m, uint32_t fail)
{
	m->cpu.rflags &= ~RFLAGS_ARITH;
	if (fail == VMFAIL_INVALID) {
		m->cpu.rflags |= 1;        /* CF */
	} else if (fail) {
		m->cpu.rflags |= 0x40;     /* ZF */
		gw(m, VF_VM_INSTRUCTION_ERROR, fail);
	}
	return G_NEXT;
}

/* A VMREAD or VMWRITE that VMCS shadowing lets through (31.3 VMREAD,
 * VMWRITE in VMX non-root operation): it acts on the shadow VMCS that the
 * VMCS link pointer references (24.10).  VM entry already checked that
 * pointer's revision and shadow-VMCS indicator (26.3.1.5), so here it is
 * either a shadow VMCS or FFFFFFFF_FFFFFFFFH.  vmread rax, rcx / vmwrite
 * rcx, rax: the encoding is a[0], the value a[1]. */
static enum gstep shadow_access(struct refvmm *m, const struct rop *o, bool write)
{
	uint64_t link = gv(m, VF_VMCS_LINK_POINTER);
	bool high = false;
	if (!CHECK(m, EXIT_SHADOW_VMCS_CPL, m->cpu.cpl == 0))
		return guest_exception(m, 13, true, 0);
	if (!CHECK(m, EXIT_SHADOW_VMCS_LINK, link != ~0ull))
		return shadow_done(m, VMFAIL_INVALID);
	int f = insn_vmcs_field(m, o->a[0], &high);
	if (!CHECK(m, EXIT_SHADOW_VMCS_UNSUPPORTED, f >= 0))
		return shadow_done(m, 12);
	if (write && !CHECK(m, EXIT_SHADOW_VMCS_READ_ONLY, insn_vmcs_writable(m, f)))
		return shadow_done(m, 13);
	CHECK(m, EXIT_SHADOW_VMCS_ACCESS, false);
	if (write)
		insn_vmcs_put(m, link, f, high, o->a[1]);
	else {
		m->cpu.gpr[RAX] = insn_vmcs_get(m, link, f, high);
		guest_gpr_computed(m, RAX);
	}
	return shadow_done(m, VMFAIL_NONE);
}

static enum gstep g_vmread(struct refvmm *m, const struct rop *o)
{
	m->cpu.gpr[RCX] = o->a[0];
	if (vmx_mode_ud(m))
		return guest_exception(m, 6, false, 0);
	if (!CHECK(m, EXIT_VMREAD_BITMAP, !shadow_bitmap_exits(m, VF_VMREAD_BITMAP, o->a[0])))
		return vmx_exit(m, o);
	return shadow_access(m, o, false);
}

static enum gstep g_vmwrite(struct refvmm *m, const struct rop *o)
{
	m->cpu.gpr[RCX] = o->a[0];
	m->cpu.gpr[RAX] = o->a[1];
	if (vmx_mode_ud(m))
		return guest_exception(m, 6, false, 0);
	if (!CHECK(m, EXIT_VMWRITE_BITMAP, !shadow_bitmap_exits(m, VF_VMWRITE_BITMAP, o->a[0])))
		return vmx_exit(m, o);
	return shadow_access(m, o, true);
}

/* VMFUNC: #UD unless "enable VM functions"; exits when the function is
 * not enabled in the VM-function controls (25.5.6). */
/* 25.5.6.3: EPTP switching (VM function 0): entry ECX of the EPTP list,
 * if ECX < 512 and the entry is an EPTP VM entry would accept, becomes
 * the EPTP (and, where #VE exists, ECX[15:0] the EPTP index); else the
 * VMFUNC exit (59). */
static enum gstep eptp_switch(struct refvmm *m, uint32_t index)
{
	if (!CHECK(m, EXIT_VMFUNC_EPTP_INDEX, index < 512))
		return plain_exit(m, XR_VMFUNC);
	uint64_t eptp = mem_read64(&m->mem, gv(m, VF_EPTP_LIST_ADDRESS) + 8ull * index);
	if (!CHECK(m, EXIT_VMFUNC_EPTP_VALID, eptp_faults(&m->caps, eptp) == 0))
		return plain_exit(m, XR_VMFUNC);
	CHECK(m, EXIT_VMFUNC_EPTP_SWITCH, false);
	gw(m, VF_EPT_POINTER, eptp);
	if (caps_has(&m->caps, FEAT_EPT_VE))
		gw(m, VF_EPTP_INDEX, index & 0xffff);
	return G_NEXT;
}

static enum gstep g_vmfunc(struct refvmm *m, const struct rop *o)
{
	if (!CHECK(m, EXIT_VMFUNC_ENABLE, proc2(m) & PROC2_VMFUNC))
		return guest_exception(m, 6, false, 0);
	uint64_t leaf = o->a[0] & 0xffffffff;
	bool on = leaf < 64 && gv(m, VF_VM_FUNCTION_CONTROL) >> leaf & 1;
	if (!CHECK(m, EXIT_VMFUNC_DISABLED_FUNCTION, on))
		return plain_exit(m, XR_VMFUNC);
	if (leaf != 0)
		return G_UNMODELLED;   /* no other VM function is defined */
	return eptp_switch(m, (uint32_t)o->a[1]);
}

/* ---- exits by primary controls, 25.1.3 ---- */

static enum gstep ctl_exit(struct refvmm *m, bool exits, uint32_t reason)
{
	return exits ? plain_exit(m, reason) : G_NEXT;
}

static enum gstep g_hlt(struct refvmm *m, const struct rop *o)
{
	(void)o;
	if (!CHECK(m, EXIT_HLT_CONTROL, !(proc(m) & PROC_HLT)))
		return plain_exit(m, XR_HLT);
	return apic_hlt(m);   /* a virtual interrupt ends it; else nothing would */
}

static enum gstep g_invlpg(struct refvmm *m, const struct rop *o)
{
	/* qualification: the linear-address operand (27.2.1) */
	if (!CHECK(m, EXIT_INVLPG_CONTROL, !(proc(m) & PROC_INVLPG)))
		return guest_insn_exit(m, XR_INVLPG, o->a[0], 0, 0);
	return G_NEXT;
}

static enum gstep g_rdpmc(struct refvmm *m, const struct rop *o)
{
	(void)o;
	return ctl_exit(m, !CHECK(m, EXIT_RDPMC_CONTROL, !(proc(m) & PROC_RDPMC)), XR_RDPMC);
}

/* What L2 reads as the TSC (25.3): with "use TSC scaling" the TSC times
 * the multiplier, shifted right by 48; then plus the offset. */
static void read_tsc(struct refvmm *m)
{
	uint64_t t = m->cpu.tsc;
	if (proc(m) & PROC_TSC_OFFSET) {
		if (proc2(m) & PROC2_TSC_SCALING)
			t = (uint64_t)(((unsigned __int128)t * gv(m, VF_TSC_MULTIPLIER)) >> 48);
		t += gv(m, VF_TSC_OFFSET);
	}
	m->cpu.gpr[RAX] = (uint32_t)t;
	m->cpu.gpr[RDX] = t >> 32;   /* (unknowable on a backend: not guest_gpr_computed) */
}

static enum gstep g_rdtsc(struct refvmm *m, const struct rop *o)
{
	(void)o;
	if (!CHECK(m, EXIT_RDTSC_CONTROL, !(proc(m) & PROC_RDTSC)))
		return plain_exit(m, XR_RDTSC);
	read_tsc(m);
	return G_NEXT;
}

/* RDTSCP: #UD unless "enable RDTSCP"; exits with RDTSC exiting (25.1.3). */
static enum gstep g_rdtscp(struct refvmm *m, const struct rop *o)
{
	(void)o;
	if (!CHECK(m, EXIT_RDTSCP_ENABLE, proc2(m) & PROC2_RDTSCP))
		return guest_exception(m, 6, false, 0);
	if (!CHECK(m, EXIT_RDTSCP_CONTROL, !(proc(m) & PROC_RDTSC)))
		return plain_exit(m, XR_RDTSCP);
	read_tsc(m);
	m->cpu.gpr[RCX] = (uint32_t)m->cpu.tsc_aux;
	return G_NEXT;
}

static enum gstep g_mwait(struct refvmm *m, const struct rop *o)
{
	(void)o;
	/* qualification bit 0: monitor armed; the model never arms it */
	return ctl_exit(m, !CHECK(m, EXIT_MWAIT_CONTROL, !(proc(m) & PROC_MWAIT)), XR_MWAIT);
}

static enum gstep g_monitor(struct refvmm *m, const struct rop *o)
{
	(void)o;
	return ctl_exit(m, !CHECK(m, EXIT_MONITOR_CONTROL, !(proc(m) & PROC_MONITOR)), XR_MONITOR);
}

/* PAUSE (25.1.3): "PAUSE exiting" exits at any CPL.  Else, at CPL 0,
 * "PAUSE-loop exiting" times PAUSEs in TSC ticks: the first PAUSE after
 * VM entry, and one more than PLE_Gap ticks after the previous PAUSE,
 * starts a loop; one more than PLE_Window ticks after its loop's start
 * exits.  The model knows only that two PAUSEs are more than 0 and less
 * than 2^32 ticks apart, so it decides where that suffices: PLE_Gap 0
 * (every PAUSE starts a loop) and PLE_Gap 2^32-1 with PLE_Window 0 (the
 * second PAUSE exits); other timings are unmodelled, never guessed. */
static enum gstep g_pause(struct refvmm *m, const struct rop *o)
{
	(void)o;
	if (!CHECK(m, EXIT_PAUSE_CONTROL, !(proc(m) & PROC_PAUSE)))
		return plain_exit(m, XR_PAUSE);
	if (!(proc2(m) & PROC2_PAUSE_LOOP) || m->cpu.cpl != 0)
		return G_NEXT;
	bool first = !m->vmx.pause_seen;
	m->vmx.pause_seen = true;
	uint32_t gap = (uint32_t)gv(m, VF_PLE_GAP), window = (uint32_t)gv(m, VF_PLE_WINDOW);
	if (first || gap == 0)
		return G_NEXT;
	if (gap != UINT32_MAX || window != 0)
		return G_UNMODELLED;
	CHECK(m, EXIT_PAUSE_LOOP_WINDOW, false);
	return plain_exit(m, XR_PAUSE);
}

/* ---- exits by secondary controls ---- */

static enum gstep g_wbinvd(struct refvmm *m, const struct rop *o)
{
	(void)o;
	return ctl_exit(m, !CHECK(m, EXIT_WBINVD_CONTROL, !(proc2(m) & PROC2_WBINVD)), XR_WBINVD);
}

/* RDRAND/RDSEED eax: info reg1 = rax, operand size 32 (bits 12:11 = 1). */
static enum gstep g_rdrand(struct refvmm *m, const struct rop *o)
{
	(void)o;
	if (!CHECK(m, EXIT_RDRAND_CONTROL, !(proc2(m) & PROC2_RDRAND)))
		return guest_insn_exit(m, XR_RDRAND, 0, EXF_INFO, II_REG1(0) | 1u << 11);
	return G_NEXT;
}

static enum gstep g_rdseed(struct refvmm *m, const struct rop *o)
{
	(void)o;
	if (!CHECK(m, EXIT_RDSEED_CONTROL, !(proc2(m) & PROC2_RDSEED)))
		return guest_insn_exit(m, XR_RDSEED, 0, EXF_INFO, II_REG1(0) | 1u << 11);
	return G_NEXT;
}

/* INVPCID: #UD unless "enable INVPCID"; exits with INVLPG exiting. */
static enum gstep g_invpcid(struct refvmm *m, const struct rop *o)
{
	(void)o;
	if (!CHECK(m, EXIT_INVPCID_ENABLE, proc2(m) & PROC2_INVPCID))
		return guest_exception(m, 6, false, 0);
	if (!CHECK(m, EXIT_INVPCID_CONTROL, !(proc(m) & PROC_INVLPG)))
		return guest_insn_exit(m, XR_INVPCID, 0, EXF_INFO, II_MEM(1) | II_REG2(0));
	return G_UNMODELLED;   /* descriptor checks (#GP) not modelled yet */
}

/* Descriptor-table exiting (25.1.3): identity in info bits 29:28. */
static enum gstep desc_exit(struct refvmm *m, uint32_t reason, uint32_t info)
{
	if (!CHECK(m, EXIT_DESC_TABLE_CONTROL, !(proc2(m) & PROC2_DESC_TABLE)))
		return guest_insn_exit(m, reason, 0, EXF_INFO, info);
	return G_UNMODELLED;   /* L2's descriptor tables are not modelled */
}

static enum gstep g_sgdt(struct refvmm *m, const struct rop *o) { (void)o; return desc_exit(m, XR_GDTR_IDTR, II_MEM(0) | II_REG2(0)); }
static enum gstep g_sidt(struct refvmm *m, const struct rop *o) { (void)o; return desc_exit(m, XR_GDTR_IDTR, II_MEM(0) | II_REG2(1)); }
static enum gstep g_lgdt(struct refvmm *m, const struct rop *o) { (void)o; return desc_exit(m, XR_GDTR_IDTR, II_MEM(0) | II_REG2(2)); }
static enum gstep g_lidt(struct refvmm *m, const struct rop *o) { (void)o; return desc_exit(m, XR_GDTR_IDTR, II_MEM(0) | II_REG2(3)); }
static enum gstep g_sldt(struct refvmm *m, const struct rop *o) { (void)o; return desc_exit(m, XR_LDTR_TR, II_REG | II_REG2(0)); }
static enum gstep g_str(struct refvmm *m, const struct rop *o)  { (void)o; return desc_exit(m, XR_LDTR_TR, II_REG | II_REG2(1)); }
static enum gstep g_lldt(struct refvmm *m, const struct rop *o) { (void)o; return desc_exit(m, XR_LDTR_TR, II_REG | II_REG2(2)); }
static enum gstep g_ltr(struct refvmm *m, const struct rop *o)  { (void)o; return desc_exit(m, XR_LDTR_TR, II_REG | II_REG2(3)); }

/* UMWAIT/TPAUSE: #UD unless "enable user wait and pause"; exit with RDTSC
 * exiting (25.1.3); info reg1 = rcx. */
static enum gstep user_wait(struct refvmm *m, uint32_t reason)
{
	if (!CHECK(m, EXIT_USER_WAIT_ENABLE, proc2(m) & PROC2_USER_WAIT))
		return guest_exception(m, 6, false, 0);
	if (!CHECK(m, EXIT_USER_WAIT_CONTROL, !(proc(m) & PROC_RDTSC)))
		return guest_insn_exit(m, reason, 0, EXF_INFO, II_REG1(1));
	return G_NEXT;
}

static enum gstep g_umwait(struct refvmm *m, const struct rop *o) { (void)o; return user_wait(m, XR_UMWAIT); }
static enum gstep g_tpause(struct refvmm *m, const struct rop *o) { (void)o; return user_wait(m, XR_TPAUSE); }

/* XSAVES/XRSTORS: #UD unless "enable XSAVES/XRSTORS"; then they exit when
 * EDX:EAX (all ones here) AND IA32_XSS AND the XSS-exiting bitmap is not
 * zero (25.1.3).  The model does not keep IA32_XSS yet. */
static enum gstep g_xsaves(struct refvmm *m, const struct rop *o)
{
	(void)o;
	if (!CHECK(m, EXIT_XSAVES_ENABLE, proc2(m) & PROC2_XSAVES))
		return guest_exception(m, 6, false, 0);
	return G_UNMODELLED;
}

/* RSM outside SMM is #UD (the test machine never enters SMM). */
static enum gstep g_rsm(struct refvmm *m, const struct rop *o)
{
	(void)o;
	return guest_exception(m, 6, false, 0);
}

static enum gstep g_nop(struct refvmm *m, const struct rop *o)
{
	(void)m; (void)o;
	return G_NEXT;
}

/* Instructions only CPL 0 may execute: each is #GP(0) at CPL > 0 (vol. 2),
 * and a fault based on privilege level comes before any VM exit the
 * instruction would cause (25.1.1).  Left to their handlers: those whose
 * #UD conditions come first (XSETBV, INVPCID, XSAVES/XRSTORS, ENCLS, MOV
 * to/from a reserved CR or DR4/DR5).  RDTSC/RDTSCP need CPL 0 only with
 * CR4.TSD, RDPMC without CR4.PCE, SGDT/SIDT/SLDT/STR with CR4.UMIP. */
static bool needs_cpl0(const struct refvmm *m, const struct rop *o)
{
	uint64_t cr4 = m->cpu.cr4, n = o->a[0] & 15;
	switch (o->op) {
	case OP_G_HLT: case OP_G_RDMSR: case OP_G_WRMSR: case OP_G_CLTS: case OP_G_LMSW:
	case OP_G_INVLPG: case OP_G_WBINVD: case OP_G_INVD: case OP_G_LGDT: case OP_G_LIDT:
	case OP_G_LLDT: case OP_G_LTR:
		return true;
	case OP_G_MOV_TO_CR: case OP_G_MOV_FROM_CR:
		return n == 0 || n == 2 || n == 3 || n == 4 || n == 8;
	case OP_G_MOV_DR: case OP_G_MOV_TO_DR:
		return (n & 7) != 4 && (n & 7) != 5;
	case OP_G_RDTSC: case OP_G_RDTSCP:
		return cr4 & (1u << 2);     /* TSD */
	case OP_G_RDPMC:
		return !(cr4 & (1u << 8));  /* PCE */
	case OP_G_SGDT: case OP_G_SIDT: case OP_G_SLDT: case OP_G_STR:
		return cr4 & (1u << 11);    /* UMIP */
	default:
		return false;
	}
}

enum gstep guest_cpl_check(struct refvmm *m, const struct rop *o)
{
	if (m->cpu.cpl == 0)
		return G_NEXT;
	/* MONITOR and MWAIT are #UD above CPL 0 (vol. 2), and an invalid
	 * opcode comes before a VM exit too */
	if (!CHECK(m, EXIT_PRIV_MONITOR_UD, o->op != OP_G_MONITOR && o->op != OP_G_MWAIT))
		return guest_exception(m, 6, false, 0);
	if (!needs_cpl0(m, o))
		return G_NEXT;
	CHECK(m, EXIT_PRIV_CPL, false);
	return guest_exception(m, 13, true, 0);
}

guest_op_fn *const guest_insn_ops[OP_COUNT] = {
	[OP_G_CPUID] = g_cpuid,     [OP_G_VMCALL] = g_vmcall,   [OP_G_INVD] = g_invd,
	[OP_G_XSETBV] = g_xsetbv,   [OP_G_GETSEC] = g_getsec,
	[OP_G_VMCLEAR] = g_vmx,     [OP_G_VMPTRLD] = g_vmx,     [OP_G_VMPTRST] = g_vmx,
	[OP_G_VMXON] = g_vmx,       [OP_G_VMLAUNCH] = g_vmx,    [OP_G_VMRESUME] = g_vmx,
	[OP_G_VMXOFF] = g_vmx,      [OP_G_INVEPT] = g_vmx,      [OP_G_INVVPID] = g_vmx,
	[OP_G_VMREAD] = g_vmread,   [OP_G_VMWRITE] = g_vmwrite, [OP_G_VMFUNC] = g_vmfunc,
	[OP_G_HLT] = g_hlt,         [OP_G_INVLPG] = g_invlpg,   [OP_G_RDPMC] = g_rdpmc,
	[OP_G_RDTSC] = g_rdtsc,     [OP_G_RDTSCP] = g_rdtscp,   [OP_G_MWAIT] = g_mwait,
	[OP_G_MONITOR] = g_monitor, [OP_G_PAUSE] = g_pause,     [OP_G_WBINVD] = g_wbinvd,
	[OP_G_RDRAND] = g_rdrand,   [OP_G_RDSEED] = g_rdseed,   [OP_G_INVPCID] = g_invpcid,
	[OP_G_SGDT] = g_sgdt,       [OP_G_SIDT] = g_sidt,       [OP_G_LGDT] = g_lgdt,
	[OP_G_LIDT] = g_lidt,       [OP_G_SLDT] = g_sldt,       [OP_G_STR] = g_str,
	[OP_G_LLDT] = g_lldt,       [OP_G_LTR] = g_ltr,         [OP_G_UMWAIT] = g_umwait,
	[OP_G_TPAUSE] = g_tpause,   [OP_G_RSM] = g_rsm,         [OP_G_NOP] = g_nop,
	[OP_G_XSAVES] = g_xsaves,   [OP_G_XRSTORS] = g_xsaves,
};
