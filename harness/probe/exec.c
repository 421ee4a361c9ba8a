/* Running one case operation with the real instruction and printing its
 * outcome: VMfail decoded from RFLAGS (CF: VMfailInvalid; ZF: VMfailValid
 * with the VM-instruction error, SDM 30.2), exceptions caught by the host
 * IDT, VM exits reported with every exit-information field raw. */
#include "probe.h"
#include "../../refvmm/guest.h"

struct ctx rec;
volatile int rec_armed, trap_kind;
volatile uint64_t trap_vec, trap_err;

static struct xop xop;          /* in .bss: reachable at CPL 3 */
static unsigned next_cpl;
static int next_movss;          /* a `mov_ss` op came just before */
static struct {
	int has_len;             /* the last exit defined an instruction length */
	uint32_t len;
	int rip_written;         /* the case wrote GUEST_RIP since that exit */
} resume;

#define F_CF 0x1
#define F_ZF 0x40

static void arm_guest(const struct probe_op *op, const struct probe_op *block, int *ok);

/* Each case starts as the model's reset leaves it (refvmm.c): an empty
 * guest block armed, so an entry without `guest { }` runs the implicit
 * vmcall, never code a previous case left. */
void case_reset(void)
{
	static const struct probe_op empty = { .op = OP_GUEST };
	int ok;
	arm_guest(&empty, NULL, &ok);
	next_cpl = 0;
	next_movss = 0;
	resume.has_len = 0;
	resume.rip_written = 0;
	memset(guest_gprs, 0, sizeof guest_gprs);   /* before any exit: all 0 */
}

static int vmread(uint64_t field, uint64_t *v)
{
	uint64_t fl;
	__asm__ volatile("vmread %2, %0; pushfq; popq %1" : "=r"(*v), "=r"(fl) : "r"(field) : "cc");
	return !(fl & (F_CF | F_ZF));
}

static void vmwrite(uint64_t field, uint64_t v)
{
	__asm__ volatile("vmwrite %0, %1" :: "r"(v), "r"(field) : "cc");
}

static void mov_cr(unsigned n, uint64_t v)
{
	switch (n) {
	case 0: __asm__ volatile("mov %0, %%cr0" :: "r"(v) : "memory"); break;
	case 2: __asm__ volatile("mov %0, %%cr2" :: "r"(v) : "memory"); break;
	case 3: __asm__ volatile("mov %0, %%cr3" :: "r"(v) : "memory"); break;
	case 4: __asm__ volatile("mov %0, %%cr4" :: "r"(v) : "memory"); break;
	case 8: __asm__ volatile("mov %0, %%cr8" :: "r"(v) : "memory"); break;
	/* CR1, CR5-7, CR9-15 do not exist: the CPU raises #UD */
	default: __asm__ volatile(".byte 0x0f, 0x22, 0xc8" :: "a"(v) : "memory"); break;
	}
}

#define FLAGS(insn, ...) __asm__ volatile(insn "; pushfq; popq %0" : "=r"(x->rflags) __VA_ARGS__)

/* The instruction itself; runs at CPL 0 or 3, so it only touches *x and
 * the operands the case names. */
void exec_raw(struct xop *x)
{
	uint32_t lo, hi;
	switch (x->op) {
	case OP_VMXON: FLAGS("vmxon %1", : "m"(x->mem) : "cc", "memory"); break;
	case OP_VMXOFF: FLAGS("vmxoff", :: "cc", "memory"); break;
	case OP_VMCLEAR: FLAGS("vmclear %1", : "m"(x->mem) : "cc", "memory"); break;
	case OP_VMPTRLD: FLAGS("vmptrld %1", : "m"(x->mem) : "cc", "memory"); break;
	case OP_VMPTRST: FLAGS("vmptrst %1", , "=m"(x->mem) :: "cc", "memory"); break;
	case OP_VMREAD: FLAGS("vmread %2, %1", , "=r"(x->val) : "r"(x->a[0]) : "cc"); break;
	case OP_VMWRITE: FLAGS("vmwrite %1, %2", : "r"(x->a[1]), "r"(x->a[0]) : "cc", "memory"); break;
	case OP_VMLAUNCH: x->enter = vmx_enter(x->movss << 1); break;
	case OP_VMRESUME: x->enter = vmx_enter(1 | x->movss << 1); break;
	case OP_INVEPT: FLAGS("invept (%1), %2", : "r"((uint64_t)TM_SCRATCH), "r"(x->a[0]) : "cc", "memory"); break;
	case OP_INVVPID: FLAGS("invvpid (%1), %2", : "r"((uint64_t)TM_SCRATCH), "r"(x->a[0]) : "cc", "memory"); break;
	case OP_VMFUNC: FLAGS(".byte 0x0f, 0x01, 0xd4", : "a"(x->a[0]), "c"(x->a[1]) : "cc", "memory"); break;
	case OP_VMCALL: FLAGS("vmcall", :: "cc", "memory"); break;
	case OP_RDMSR:
		__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"((uint32_t)x->a[0]));
		x->val = (uint64_t)hi << 32 | lo;
		break;
	case OP_WRMSR:
		__asm__ volatile("wrmsr" :: "c"((uint32_t)x->a[0]), "a"((uint32_t)x->a[1]),
				 "d"((uint32_t)(x->a[1] >> 32)) : "memory");
		break;
	case OP_MOV_CR: mov_cr((unsigned)x->a[0], x->a[1]); break;
	case OP_WRITE32: *(volatile uint32_t *)(uintptr_t)x->a[0] = (uint32_t)x->a[1]; break;
	case OP_WRITE64: *(volatile uint64_t *)(uintptr_t)x->a[0] = x->a[1]; break;
	default: break;
	}
}

static void prepare(struct xop *x)
{
	x->mem = x->a[0];
	x->rflags = 0;
	x->val = 0;
	x->enter = 0;
	if (x->op == OP_INVEPT || x->op == OP_INVVPID) {
		/* descriptor (SDM 30.3): INVEPT {EPTP, 0}; INVVPID {VPID, linear address} */
		volatile uint64_t *d = (volatile uint64_t *)(uintptr_t)TM_SCRATCH;
		d[0] = x->a[1];
		d[1] = x->op == OP_INVVPID ? x->a[2] : 0;
	}
	switch (x->op) {   /* what the operation may write (machine.c restores it) */
	case OP_VMXON: case OP_VMCLEAR: case OP_VMPTRLD: tm_dirty(x->a[0] & ~0xfffULL, 0x2000); break;
	case OP_INVEPT: case OP_INVVPID: tm_dirty(TM_SCRATCH, 16); break;
	case OP_WRITE32: case OP_WRITE64: tm_dirty(x->a[0], 8); break;
	case OP_VMLAUNCH: case OP_VMRESUME: tm_dirty_all(); break;
	default: break;
	}
	if (x->op == OP_VMRESUME && resume.has_len && !resume.rip_written) {
		uint64_t rip;
		if (vmread(0x681e, &rip))
			vmwrite(0x681e, rip + resume.len);
	}
	if (x->op == OP_VMLAUNCH || x->op == OP_VMRESUME)
		resume.has_len = 0;
	if (x->op == OP_VMWRITE && x->a[0] == 0x681e)
		resume.rip_written = 1;
}

/* Runs x at `cpl`; returns 1 when it completed, 0 on a fault (trap_vec). */
static int run_guarded(struct xop *x, unsigned cpl)
{
	trap_kind = TRAP_NONE;
	rec_armed = 1;
	if (ctx_save(&rec) == 0) {
		if (cpl == 3) {
			tm_user_pages(1);
			user_call(x);
		}
		exec_raw(x);
		rec_armed = 0;
		return 1;
	}
	tm_dirty(TM_HOST_RSP - 0x1000, 0x1000);   /* the fault's frame, at CPL 3 */
	if (cpl == 3) {
		tm_user_pages(0);
		__asm__ volatile("movw %w0, %%ds; movw %w0, %%es; movw %w0, %%fs; movw %w0, %%gs"
				 :: "r"(TM_SEL_DATA));
	}
	return trap_kind == TRAP_USER_DONE;
}

void trap(struct trap_frame *f)
{
	if (rec_armed) {
		rec_armed = 0;
		if (f->vec == 6 && f->rip == (uint64_t)(uintptr_t)user_done) {
			trap_kind = TRAP_USER_DONE;
		} else {
			trap_kind = TRAP_FAULT;
			trap_vec = f->vec;
			trap_err = f->err;
		}
		ctx_restore(&rec, 1);
	}
	con_puts("E unexpected exception");
	con_hex(f->vec);
	con_hex(f->err);
	con_hex(f->rip);
	con_nl();
	probe_shutdown();
}

static void out_head(uint32_t id, uint32_t i, const char *kind)
{
	con_putc('O');
	con_hex(id);
	con_hex(i);
	con_putc(' ');
	con_puts(kind);
}

static int has_errcode(uint64_t v)
{
	return v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30;
}

static void out_exit(uint32_t id, uint32_t i)
{
	static const uint16_t fields[] = {
		0x4402, 0x6400, 0x640a, 0x2400, 0x440c, 0x440e, 0x4404, 0x4406, 0x4408, 0x440a,
	};
	uint64_t v[10] = { 0 };
	for (unsigned k = 0; k < 10; k++)
		vmread(fields[k], &v[k]);
	out_head(id, i, "exit");
	for (unsigned k = 0; k < 10; k++)
		con_hex(v[k]);
	con_nl();
	resume.has_len = probe_exit_advances((uint32_t)v[0], (uint32_t)v[6]);
	resume.len = (uint32_t)v[4];
	resume.rip_written = 0;
}

static int is_vmx_insn(uint16_t op)
{
	return op <= OP_VMRESUME || op == OP_INVEPT ||
	       op == OP_INVVPID || op == OP_VMCALL || op == OP_VMFUNC;
}

static void out_result(uint32_t id, uint32_t i, const struct xop *x)
{
	uint64_t err;
	if (x->op == OP_VMLAUNCH || x->op == OP_VMRESUME) {
		if (x->enter == VMX_EXITED) {
			out_exit(id, i);
			return;
		}
	}
	if (is_vmx_insn(x->op) && (x->op == OP_VMLAUNCH || x->op == OP_VMRESUME ? x->enter : x->rflags) & (F_CF | F_ZF)) {
		uint64_t fl = x->op == OP_VMLAUNCH || x->op == OP_VMRESUME ? x->enter : x->rflags;
		if (fl & F_CF) {
			out_head(id, i, "fi");
		} else {
			out_head(id, i, "fv");
			con_hex(vmread(0x4400, &err) ? err : ~0ULL);
		}
		con_nl();
		return;
	}
	switch (x->op) {
	case OP_VMREAD: case OP_RDMSR:
		out_head(id, i, "val");
		con_hex(x->val);
		break;
	case OP_VMPTRST:
		out_head(id, i, "val");
		con_hex(x->mem);
		break;
	default:
		out_head(id, i, "ok");
		break;
	}
	con_nl();
}

static void arm_guest(const struct probe_op *op, const struct probe_op *block, int *ok)
{
	static struct rop r[GUEST_BLOCK_MAX];
	static uint32_t offs[GUEST_BLOCK_MAX + 1];
	static uint8_t lens[GUEST_BLOCK_MAX + 1];
	uint32_t n = op->nblock;
	*ok = 0;
	if (n > GUEST_BLOCK_MAX)
		return;
	for (uint32_t k = 0; k < n; k++) {
		r[k] = (struct rop){ .op = block[k].op, .flags = block[k].flags };
		memcpy(r[k].a, block[k].a, sizeof r[k].a);
	}
	tm_dirty(TM_GUEST_CODE, TM_GUEST_CODE_SIZE);
	*ok = guest_layout(r, n, (uint8_t *)(uintptr_t)TM_GUEST_CODE, TM_GUEST_CODE_SIZE, offs, lens) != 0;
}

void op_run(uint32_t id, uint32_t i, const struct probe_op *op, const struct probe_op *block)
{
	int silent = op->flags & ROP_SILENT;
	if (op_is_prefix(op->op) || op->op == OP_GUEST) {
		int ok = 1;
		if (op->op == OP_CPL) {
			ok = op->a[0] == 0 || op->a[0] == 3;
			next_cpl = (unsigned)op->a[0];
		} else if (op->op == OP_MOV_SS) {
			next_movss = 1;   /* only VMLAUNCH/VMRESUME observe it (error 26) */
		} else {
			arm_guest(op, block, &ok);
		}
		if (!silent) {
			out_head(id, i, ok ? "none" : "unsup");
			con_nl();
		}
		return;
	}
	if (op->op == OP_GPR) {
		if (!silent) {
			out_head(id, i, op->a[0] < 16 && op->a[0] != 4 ? "val" : "unsup");
			if (op->a[0] < 16 && op->a[0] != 4)
				con_hex(guest_gprs[op->a[0]]);
			con_nl();
		}
		return;
	}
	if (op->op > OP_WRITE64 || op->op == OP_SETUP) {
		out_head(id, i, "unsup");
		con_nl();
		return;
	}
	unsigned cpl = next_cpl;
	next_cpl = 0;
	xop.movss = next_movss;
	next_movss = 0;
	xop.op = op->op;
	memcpy(xop.a, op->a, sizeof xop.a);
	prepare(&xop);
	if (!run_guarded(&xop, cpl)) {
		if (silent)
			return;
		out_head(id, i, "flt");
		con_hex(trap_vec);
		if (has_errcode(trap_vec))
			con_hex(trap_err);
		else
			con_puts(" -");
		con_nl();
		return;
	}
	if (!silent)
		out_result(id, i, &xop);
}
