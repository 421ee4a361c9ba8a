/* The machine code of a guest { } block: one fixed x86-64 sequence per L2
 * op, shared by the model (which lays it into memory so EPT and exec cases
 * see real bytes) and the probe kernel (which runs it on real VT-x).
 * Freestanding: no libc, only <stdint.h>/<stddef.h>.
 *
 * Each op is a short prelude that loads its operands, then the one
 * exiting instruction whose address an exit reports as GUEST_RIP
 * (offs[i]) and whose length is the VM-exit instruction length (lens[i]).
 * Encodings: SDM Vol. 2 opcode tables (Appendix A).
 *
 * Registers (deterministic, nothing else is touched):
 *   rax  operand value / address / leaf / VMCS value; result of reads
 *   rcx  MSR number, XCR, CPUID subleaf (0), VMCS field, descriptor address
 *   rdx  I/O port, high half of wrmsr/xsetbv values
 *   rsi  OUTS source (GUEST_SCR_IO), rdi  INS destination (GUEST_SCR_IO)
 * Immediates that can exceed 32 bits are always loaded with a 10-byte
 * `mov r64, imm64`, so each op's layout does not depend on its operands
 * (only I/O size and the CR/DR number change an exiting instruction).
 * Memory operands live at the top of SCRATCH (guest.h GUEST_SCR_*). */
#include <stddef.h>
#include <stdint.h>
#include "guest.h"

struct emit {
	uint8_t *p;
	size_t n, cap;
	int ovf;
};

static void b(struct emit *e, uint8_t v)
{
	if (e->n >= e->cap) {
		e->ovf = 1;
		return;
	}
	e->p[e->n++] = v;
}

static void bytes(struct emit *e, const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		b(e, s[i]);
}

static void imm(struct emit *e, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		b(e, (uint8_t)(v >> (8 * i)));
}

/* mov r32, imm32 (B8+r id): zero-extends into r64.  reg < 8. */
static void mov32(struct emit *e, int reg, uint64_t v)
{
	b(e, (uint8_t)(0xb8 + reg));
	imm(e, v, 4);
}

/* mov r64, imm64 (REX.W B8+r io). reg < 8. */
static void mov64(struct emit *e, int reg, uint64_t v)
{
	b(e, 0x48);
	b(e, (uint8_t)(0xb8 + reg));
	imm(e, v, 8);
}

/* xor r32, r32 (31 /r) */
static void zero(struct emit *e, int reg)
{
	b(e, 0x31);
	b(e, (uint8_t)(0xc0 | reg << 3 | reg));
}

/* mov [rcx+disp8], rax (REX.W 89 /r, mod 01) */
static void store_rax_rcx(struct emit *e, uint8_t disp)
{
	static const uint8_t s[] = { 0x48, 0x89, 0x41 };
	bytes(e, s, sizeof s);
	b(e, disp);
}

enum { RAX_ = 0, RCX_ = 1, RDX_ = 2, RSI_ = 6, RDI_ = 7 };

/* The exiting instruction: remembered by the caller via e->n before. */
#define X(...) do { static const uint8_t x_[] = { __VA_ARGS__ }; bytes(e, x_, sizeof x_); } while (0)

typedef void emit_fn(struct emit *e, const struct rop *o, size_t *at);

/* Mark the exiting instruction's start. */
#define AT() (*at = e->n)

static void g_cpuid(struct emit *e, const struct rop *o, size_t *at)
{
	mov32(e, RAX_, o->a[0]);
	zero(e, RCX_);
	AT(); X(0x0f, 0xa2);
}

static void g_hlt(struct emit *e, const struct rop *o, size_t *at)
{
	(void)o;
	AT(); X(0xf4);
}

static void g_vmcall(struct emit *e, const struct rop *o, size_t *at)
{
	(void)o;
	AT(); X(0x0f, 0x01, 0xc1);
}

static void g_rdmsr(struct emit *e, const struct rop *o, size_t *at)
{
	mov32(e, RCX_, o->a[0]);
	AT(); X(0x0f, 0x32);
}

static void g_wrmsr(struct emit *e, const struct rop *o, size_t *at)
{
	mov32(e, RCX_, o->a[0]);
	mov32(e, RAX_, o->a[1]);
	mov32(e, RDX_, o->a[1] >> 32);
	AT(); X(0x0f, 0x30);
}

/* Port I/O always uses the DX form (exit qualification bit 6 = 0).
 * Size 2 takes the 66 prefix; sizes other than 1/2/4 become 1. */
static void io_insn(struct emit *e, uint64_t size, uint8_t byteop, size_t *at)
{
	AT();
	if (size == 2)
		b(e, 0x66);
	b(e, (uint8_t)(size == 2 || size == 4 ? byteop + 1 : byteop));
}

static void g_in(struct emit *e, const struct rop *o, size_t *at)
{
	mov32(e, RDX_, o->a[0] & 0xffff);
	io_insn(e, o->a[1], 0xec, at);
}

static void g_out(struct emit *e, const struct rop *o, size_t *at)
{
	mov32(e, RDX_, o->a[0] & 0xffff);
	zero(e, RAX_);
	io_insn(e, o->a[1], 0xee, at);
}

static void g_ins(struct emit *e, const struct rop *o, size_t *at)
{
	mov32(e, RDX_, o->a[0] & 0xffff);
	mov32(e, RDI_, GUEST_SCR_IO);
	io_insn(e, o->a[1], 0x6c, at);
}

static void g_outs(struct emit *e, const struct rop *o, size_t *at)
{
	mov32(e, RDX_, o->a[0] & 0xffff);
	mov32(e, RSI_, GUEST_SCR_IO);
	io_insn(e, o->a[1], 0x6e, at);
}

/* mov crN/drN <-> rax: 0F 20/22 (CR), 0F 21/23 (DR), ModRM 11 N 000;
 * CR8 needs REX.R (44).  N is taken mod 16. */
static void crdr(struct emit *e, uint8_t opc, uint64_t n, size_t *at)
{
	AT();
	if (n & 8)
		b(e, 0x44);
	b(e, 0x0f);
	b(e, opc);
	b(e, (uint8_t)(0xc0 | (n & 7) << 3));
}

static void g_mov_to_cr(struct emit *e, const struct rop *o, size_t *at)
{
	mov64(e, RAX_, o->a[1]);
	crdr(e, 0x22, o->a[0] & 15, at);
}

static void g_mov_from_cr(struct emit *e, const struct rop *o, size_t *at)
{
	crdr(e, 0x20, o->a[0] & 15, at);
}

static void g_mov_dr(struct emit *e, const struct rop *o, size_t *at)
{
	crdr(e, 0x21, o->a[0] & 7, at);
}

static void g_mov_to_dr(struct emit *e, const struct rop *o, size_t *at)
{
	mov64(e, RAX_, o->a[1]);
	crdr(e, 0x23, o->a[0] & 7, at);
}

static void g_clts(struct emit *e, const struct rop *o, size_t *at)
{
	(void)o;
	AT(); X(0x0f, 0x06);
}

static void g_lmsw(struct emit *e, const struct rop *o, size_t *at)
{
	mov32(e, RAX_, o->a[0] & 0xffff);
	AT(); X(0x0f, 0x01, 0xf0);               /* lmsw ax */
}

static void g_read(struct emit *e, const struct rop *o, size_t *at)
{
	mov64(e, RAX_, o->a[0]);
	AT(); X(0x48, 0x8b, 0x00);               /* mov rax, [rax] */
}

static void g_write(struct emit *e, const struct rop *o, size_t *at)
{
	mov64(e, RAX_, o->a[0]);
	mov64(e, RCX_, o->a[1]);
	AT(); X(0x48, 0x89, 0x08);               /* mov [rax], rcx */
}

static void g_read32(struct emit *e, const struct rop *o, size_t *at)
{
	mov64(e, RAX_, o->a[0]);
	AT(); X(0x8b, 0x00);                     /* mov eax, [rax] */
}

static void g_write32(struct emit *e, const struct rop *o, size_t *at)
{
	mov64(e, RAX_, o->a[0]);
	mov64(e, RCX_, o->a[1]);
	AT(); X(0x89, 0x08);                     /* mov [rax], ecx */
}

static void g_jmp_far(struct emit *e, const struct rop *o, size_t *at)
{
	mov32(e, RAX_, o->a[0]);
	AT(); X(0xff, 0x28);                     /* jmp far [eax/rax], m16:32 */
}

static void g_call_far(struct emit *e, const struct rop *o, size_t *at)
{
	mov32(e, RAX_, o->a[0]);
	AT(); X(0xff, 0x18);                     /* call far [eax/rax], m16:32 */
}

static void g_exec(struct emit *e, const struct rop *o, size_t *at)
{
	mov64(e, RAX_, o->a[0]);
	AT(); X(0xff, 0xd0);                     /* call rax */
}

static void g_int3(struct emit *e, const struct rop *o, size_t *at)
{
	(void)o;
	AT(); X(0xcc);
}

static void g_intn(struct emit *e, const struct rop *o, size_t *at)
{
	AT(); X(0xcd);
	b(e, (uint8_t)o->a[0]);
}

static void g_ud2(struct emit *e, const struct rop *o, size_t *at)
{
	(void)o;
	AT(); X(0x0f, 0x0b);
}

static void g_invlpg(struct emit *e, const struct rop *o, size_t *at)
{
	mov64(e, RAX_, o->a[0]);
	AT(); X(0x0f, 0x01, 0x38);               /* invlpg [rax] */
}

static void g_rdtsc(struct emit *e, const struct rop *o, size_t *at)
{
	(void)o;
	AT(); X(0x0f, 0x31);
}

static void g_rdtscp(struct emit *e, const struct rop *o, size_t *at)
{
	(void)o;
	AT(); X(0x0f, 0x01, 0xf9);
}

static void g_rdpmc(struct emit *e, const struct rop *o, size_t *at)
{
	mov32(e, RCX_, o->a[0]);
	AT(); X(0x0f, 0x33);
}

static void g_pause(struct emit *e, const struct rop *o, size_t *at)
{
	(void)o;
	AT(); X(0xf3, 0x90);
}

static void g_xsetbv(struct emit *e, const struct rop *o, size_t *at)
{
	mov32(e, RCX_, o->a[0]);
	mov32(e, RAX_, o->a[1]);
	mov32(e, RDX_, o->a[1] >> 32);
	AT(); X(0x0f, 0x01, 0xd1);
}

static void g_wbinvd(struct emit *e, const struct rop *o, size_t *at)
{
	(void)o;
	AT(); X(0x0f, 0x09);
}

static void g_invd(struct emit *e, const struct rop *o, size_t *at)
{
	(void)o;
	AT(); X(0x0f, 0x08);
}

static void g_rdrand(struct emit *e, const struct rop *o, size_t *at)
{
	(void)o;
	AT(); X(0x0f, 0xc7, 0xf0);               /* rdrand eax */
}

static void g_rdseed(struct emit *e, const struct rop *o, size_t *at)
{
	(void)o;
	AT(); X(0x0f, 0xc7, 0xf8);               /* rdseed eax */
}

static void g_monitor(struct emit *e, const struct rop *o, size_t *at)
{
	(void)o;
	mov32(e, RAX_, GUEST_SCR_MONITOR);
	zero(e, RCX_);
	zero(e, RDX_);
	AT(); X(0x0f, 0x01, 0xc8);
}

static void g_mwait(struct emit *e, const struct rop *o, size_t *at)
{
	(void)o;
	zero(e, RAX_);
	zero(e, RCX_);
	AT(); X(0x0f, 0x01, 0xc9);
}

static void g_getsec(struct emit *e, const struct rop *o, size_t *at)
{
	(void)o;
	zero(e, RAX_);                           /* CAPABILITIES */
	AT(); X(0x0f, 0x37);
}

static void g_invpcid(struct emit *e, const struct rop *o, size_t *at)
{
	mov64(e, RAX_, o->a[0]);
	mov64(e, RCX_, o->a[1]);
	AT(); X(0x66, 0x0f, 0x38, 0x82, 0x01);   /* invpcid rax, [rcx] */
}

/* Descriptor-table ops use the pseudo-descriptor at GUEST_SCR_DTR (rax).
 * LGDT/LIDT first store L2's own table (TM_GDT / TM_GUEST_IDT) there, so
 * without an exit they change nothing. */
static void dtr_load(struct emit *e, uint64_t base, uint64_t limit, uint8_t modrm, size_t *at)
{
	mov32(e, RCX_, GUEST_SCR_DTR);
	mov64(e, RAX_, limit | base << 16);
	store_rax_rcx(e, 0);
	mov64(e, RAX_, base >> 48);
	store_rax_rcx(e, 8);
	mov32(e, RAX_, GUEST_SCR_DTR);
	AT(); X(0x0f, 0x01);
	b(e, modrm);
}

static void g_sgdt(struct emit *e, const struct rop *o, size_t *at)
{
	(void)o;
	mov32(e, RAX_, GUEST_SCR_DTR);
	AT(); X(0x0f, 0x01, 0x00);               /* sgdt [rax] */
}

static void g_sidt(struct emit *e, const struct rop *o, size_t *at)
{
	(void)o;
	mov32(e, RAX_, GUEST_SCR_DTR);
	AT(); X(0x0f, 0x01, 0x08);               /* sidt [rax] */
}

static void g_lgdt(struct emit *e, const struct rop *o, size_t *at)
{
	(void)o;
	dtr_load(e, TM_GDT, TM_GDT_LIMIT, 0x10, at);        /* lgdt [rax] */
}

static void g_lidt(struct emit *e, const struct rop *o, size_t *at)
{
	(void)o;
	dtr_load(e, TM_GUEST_IDT, TM_IDT_LIMIT, 0x18, at);  /* lidt [rax] */
}

static void g_sldt(struct emit *e, const struct rop *o, size_t *at)
{
	(void)o;
	AT(); X(0x0f, 0x00, 0xc0);               /* sldt ax */
}

static void g_str(struct emit *e, const struct rop *o, size_t *at)
{
	(void)o;
	AT(); X(0x0f, 0x00, 0xc8);               /* str ax */
}

static void g_lldt(struct emit *e, const struct rop *o, size_t *at)
{
	(void)o;
	zero(e, RAX_);                           /* null selector: no LDT */
	AT(); X(0x0f, 0x00, 0xd0);               /* lldt ax */
}

static void g_ltr(struct emit *e, const struct rop *o, size_t *at)
{
	(void)o;
	mov32(e, RAX_, TM_SEL_TSS);              /* busy: #GP unless it exits */
	AT(); X(0x0f, 0x00, 0xd8);               /* ltr ax */
}

/* XSAVES/XRSTORS: area GUEST_SCR_XSAVE (rcx), requested-feature bitmap
 * EDX:EAX all ones. */
static void xs(struct emit *e, uint8_t modrm, size_t *at)
{
	mov32(e, RCX_, GUEST_SCR_XSAVE);
	mov32(e, RAX_, 0xffffffff);
	mov32(e, RDX_, 0xffffffff);
	AT(); X(0x0f, 0xc7);
	b(e, modrm);
}

static void g_xsaves(struct emit *e, const struct rop *o, size_t *at)
{
	(void)o;
	xs(e, 0x29, at);                         /* xsaves [rcx] */
}

static void g_xrstors(struct emit *e, const struct rop *o, size_t *at)
{
	(void)o;
	xs(e, 0x19, at);                         /* xrstors [rcx] */
}

static void g_encls(struct emit *e, const struct rop *o, size_t *at)
{
	(void)o;
	zero(e, RAX_);                           /* ECREATE */
	AT(); X(0x0f, 0x01, 0xcf);
}

/* UMWAIT/TPAUSE ecx (C0.2 request 0), deadline EDX:EAX = 0: returns at once. */
static void g_umwait(struct emit *e, const struct rop *o, size_t *at)
{
	(void)o;
	zero(e, RAX_);
	zero(e, RCX_);
	zero(e, RDX_);
	AT(); X(0xf2, 0x0f, 0xae, 0xf1);
}

static void g_tpause(struct emit *e, const struct rop *o, size_t *at)
{
	(void)o;
	zero(e, RAX_);
	zero(e, RCX_);
	zero(e, RDX_);
	AT(); X(0x66, 0x0f, 0xae, 0xf1);
}

static void g_rsm(struct emit *e, const struct rop *o, size_t *at)
{
	(void)o;
	AT(); X(0x0f, 0xaa);
}

static void g_sti(struct emit *e, const struct rop *o, size_t *at)
{
	(void)o;
	AT(); X(0xfb);
}

static void g_cli(struct emit *e, const struct rop *o, size_t *at)
{
	(void)o;
	AT(); X(0xfa);
}

static void g_nop(struct emit *e, const struct rop *o, size_t *at)
{
	(void)o;
	AT(); X(0x90);
}

static void g_mov_ss(struct emit *e, const struct rop *o, size_t *at)
{
	(void)o;
	mov32(e, RAX_, TM_SEL_DATA);
	AT(); X(0x8e, 0xd0);                     /* mov ss, eax */
}

/* VMX instructions with a 64-bit memory operand at GUEST_SCR_VMX (rax). */
static void vmx_m64(struct emit *e, uint64_t ptr, const uint8_t *insn, size_t n, size_t *at)
{
	mov32(e, RCX_, GUEST_SCR_VMX);
	mov64(e, RAX_, ptr);
	store_rax_rcx(e, 0);
	mov32(e, RAX_, GUEST_SCR_VMX);
	AT();
	bytes(e, insn, n);
}

static void g_vmxon(struct emit *e, const struct rop *o, size_t *at)
{
	static const uint8_t i[] = { 0xf3, 0x0f, 0xc7, 0x30 };   /* vmxon [rax] */
	vmx_m64(e, o->a[0], i, sizeof i, at);
}

static void g_vmclear(struct emit *e, const struct rop *o, size_t *at)
{
	static const uint8_t i[] = { 0x66, 0x0f, 0xc7, 0x30 };   /* vmclear [rax] */
	vmx_m64(e, o->a[0], i, sizeof i, at);
}

static void g_vmptrld(struct emit *e, const struct rop *o, size_t *at)
{
	static const uint8_t i[] = { 0x0f, 0xc7, 0x30 };         /* vmptrld [rax] */
	vmx_m64(e, o->a[0], i, sizeof i, at);
}

static void g_vmptrst(struct emit *e, const struct rop *o, size_t *at)
{
	(void)o;
	mov32(e, RAX_, GUEST_SCR_VMX);
	AT(); X(0x0f, 0xc7, 0x38);               /* vmptrst [rax] */
}

static void g_vmxoff(struct emit *e, const struct rop *o, size_t *at)
{
	(void)o;
	AT(); X(0x0f, 0x01, 0xc4);
}

static void g_vmlaunch(struct emit *e, const struct rop *o, size_t *at)
{
	(void)o;
	AT(); X(0x0f, 0x01, 0xc2);
}

static void g_vmresume(struct emit *e, const struct rop *o, size_t *at)
{
	(void)o;
	AT(); X(0x0f, 0x01, 0xc3);
}

static void g_vmread(struct emit *e, const struct rop *o, size_t *at)
{
	mov64(e, RCX_, o->a[0]);
	AT(); X(0x0f, 0x78, 0xc8);               /* vmread rax, rcx */
}

static void g_vmwrite(struct emit *e, const struct rop *o, size_t *at)
{
	mov64(e, RCX_, o->a[0]);
	mov64(e, RAX_, o->a[1]);
	AT(); X(0x0f, 0x79, 0xc8);               /* vmwrite rcx, rax */
}

/* INVEPT/INVVPID: type in rax, 16-byte descriptor at GUEST_SCR_DESC (rcx). */
static void inv_desc(struct emit *e, uint64_t lo, uint64_t hi, uint64_t type, uint8_t opc, size_t *at)
{
	mov32(e, RCX_, GUEST_SCR_DESC);
	mov64(e, RAX_, lo);
	store_rax_rcx(e, 0);
	mov64(e, RAX_, hi);
	store_rax_rcx(e, 8);
	mov64(e, RAX_, type);
	AT(); X(0x66, 0x0f, 0x38);
	b(e, opc);
	b(e, 0x01);                              /* rax, [rcx] */
}

static void g_invept(struct emit *e, const struct rop *o, size_t *at)
{
	inv_desc(e, o->a[1], 0, o->a[0], 0x80, at);
}

static void g_invvpid(struct emit *e, const struct rop *o, size_t *at)
{
	inv_desc(e, o->a[1] & 0xffff, o->a[2], o->a[0], 0x81, at);
}

static void g_vmfunc(struct emit *e, const struct rop *o, size_t *at)
{
	mov32(e, RAX_, o->a[0]);
	mov32(e, RCX_, o->a[1]);
	AT(); X(0x0f, 0x01, 0xd4);
}

static emit_fn *const emitters[OP_COUNT] = {
	[OP_G_CPUID] = g_cpuid,       [OP_G_HLT] = g_hlt,           [OP_G_VMCALL] = g_vmcall,
	[OP_G_RDMSR] = g_rdmsr,       [OP_G_WRMSR] = g_wrmsr,       [OP_G_IN] = g_in,
	[OP_G_OUT] = g_out,           [OP_G_INS] = g_ins,           [OP_G_OUTS] = g_outs,
	[OP_G_MOV_TO_CR] = g_mov_to_cr, [OP_G_MOV_FROM_CR] = g_mov_from_cr,
	[OP_G_CLTS] = g_clts,         [OP_G_LMSW] = g_lmsw,         [OP_G_MOV_DR] = g_mov_dr,
	[OP_G_MOV_TO_DR] = g_mov_to_dr, [OP_G_READ] = g_read,       [OP_G_WRITE] = g_write,
	[OP_G_EXEC] = g_exec,         [OP_G_INT3] = g_int3,         [OP_G_INTN] = g_intn,
	[OP_G_UD2] = g_ud2,           [OP_G_INVLPG] = g_invlpg,     [OP_G_RDTSC] = g_rdtsc,
	[OP_G_RDTSCP] = g_rdtscp,     [OP_G_RDPMC] = g_rdpmc,       [OP_G_PAUSE] = g_pause,
	[OP_G_XSETBV] = g_xsetbv,     [OP_G_WBINVD] = g_wbinvd,     [OP_G_INVD] = g_invd,
	[OP_G_RDRAND] = g_rdrand,     [OP_G_RDSEED] = g_rdseed,     [OP_G_MONITOR] = g_monitor,
	[OP_G_MWAIT] = g_mwait,       [OP_G_GETSEC] = g_getsec,     [OP_G_INVPCID] = g_invpcid,
	[OP_G_SGDT] = g_sgdt,         [OP_G_SIDT] = g_sidt,         [OP_G_LGDT] = g_lgdt,
	[OP_G_LIDT] = g_lidt,         [OP_G_SLDT] = g_sldt,         [OP_G_STR] = g_str,
	[OP_G_LLDT] = g_lldt,         [OP_G_LTR] = g_ltr,           [OP_G_XSAVES] = g_xsaves,
	[OP_G_XRSTORS] = g_xrstors,   [OP_G_ENCLS] = g_encls,       [OP_G_UMWAIT] = g_umwait,
	[OP_G_TPAUSE] = g_tpause,     [OP_G_RSM] = g_rsm,           [OP_G_STI] = g_sti,
	[OP_G_CLI] = g_cli,           [OP_G_NOP] = g_nop,           [OP_G_MOV_SS] = g_mov_ss,
	[OP_G_READ32] = g_read32,     [OP_G_WRITE32] = g_write32,   [OP_G_JMP_FAR] = g_jmp_far,
	[OP_G_CALL_FAR] = g_call_far,
	[OP_G_VMXON] = g_vmxon,       [OP_G_VMXOFF] = g_vmxoff,     [OP_G_VMCLEAR] = g_vmclear,
	[OP_G_VMPTRLD] = g_vmptrld,   [OP_G_VMPTRST] = g_vmptrst,   [OP_G_VMREAD] = g_vmread,
	[OP_G_VMWRITE] = g_vmwrite,   [OP_G_VMLAUNCH] = g_vmlaunch, [OP_G_VMRESUME] = g_vmresume,
	[OP_G_INVEPT] = g_invept,     [OP_G_INVVPID] = g_invvpid,   [OP_G_VMFUNC] = g_vmfunc,
};

/* The code sizes in which an op's bytes mean what they mean in 64-bit
 * mode: REX prefixes (mov r64, imm64; 48 ...) decode as INC/DEC outside
 * it, and mov r32, imm32 as mov r16, imm16 plus two stray bytes in 16-bit
 * code.  Ops without prelude or REX run in all three; those whose
 * preludes are mov r32, imm32 or xor r32, r32, in 32 and 64. */
#define M16 1u
#define M32 2u
#define M64 4u
#define ANY (M16 | M32 | M64)
static const uint8_t code_sizes[OP_COUNT] = {
	[OP_G_HLT] = ANY, [OP_G_VMCALL] = ANY, [OP_G_CLTS] = ANY, [OP_G_RDTSC] = ANY,
	[OP_G_RDTSCP] = ANY, [OP_G_PAUSE] = ANY, [OP_G_WBINVD] = ANY, [OP_G_INVD] = ANY,
	[OP_G_INT3] = ANY, [OP_G_INTN] = ANY, [OP_G_UD2] = ANY, [OP_G_STI] = ANY,
	[OP_G_CLI] = ANY, [OP_G_NOP] = ANY, [OP_G_RSM] = ANY, [OP_G_VMXOFF] = ANY,
	[OP_G_VMLAUNCH] = ANY, [OP_G_VMRESUME] = ANY,
	[OP_G_CPUID] = M32 | M64, [OP_G_RDMSR] = M32 | M64, [OP_G_WRMSR] = M32 | M64,
	[OP_G_IN] = M32 | M64, [OP_G_OUT] = M32 | M64, [OP_G_RDPMC] = M32 | M64,
	[OP_G_LMSW] = M32 | M64, [OP_G_LTR] = M32 | M64, [OP_G_LLDT] = M32 | M64,
	[OP_G_SLDT] = M32 | M64, [OP_G_STR] = M32 | M64, [OP_G_GETSEC] = M32 | M64,
	[OP_G_ENCLS] = M32 | M64, [OP_G_MOV_SS] = M32 | M64, [OP_G_VMPTRST] = M32 | M64,
	[OP_G_RDRAND] = M32 | M64, [OP_G_RDSEED] = M32 | M64, [OP_G_JMP_FAR] = M32 | M64,
	[OP_G_CALL_FAR] = M32 | M64,
};

bool guest_code_runs_in(uint16_t op, unsigned bits)
{
	unsigned m = bits == 64 ? M64 : bits == 32 ? M32 : M16;
	return op < OP_COUNT && (bits == 64 || (code_sizes[op] & m));
}

/* An op that is not an L2 op (the parser never produces one in a block)
 * becomes ud2, so the block still has a defined meaning. */
size_t guest_layout(const struct rop *ops, uint32_t n, uint8_t *code, size_t cap,
		    uint32_t *offs, uint8_t *lens)
{
	static const struct rop trailing = { .op = OP_G_VMCALL };
	struct emit em = { .p = code, .cap = cap }, *e = &em;
	for (uint32_t i = 0; i <= n; i++) {
		const struct rop *o = i < n ? &ops[i] : &trailing;
		emit_fn *f = o->op < OP_COUNT && emitters[o->op] ? emitters[o->op] : g_ud2;
		size_t at = 0;
		f(e, o, &at);
		offs[i] = (uint32_t)at;
		lens[i] = (uint8_t)(e->n - at);
	}
	/* jmp rel8 back to the trailing vmcall (EB FB): resuming past the end
	 * of a block exits with VMCALL again instead of running off. */
	b(e, 0xeb);
	b(e, (uint8_t)-(int8_t)(lens[n] + 2));
	return e->ovf ? 0 : e->n;
}
