/* Private to the L2/exit part of the model (guest*.c, exit.c, event.c):
 * VMCS access by the region layout of vcpu.h, exit reasons, control bits,
 * and the per-op handler interface. */
#ifndef NESTVMX_GUEST_PRIV_H
#define NESTVMX_GUEST_PRIV_H
#include "exit.h"
#include "guest.h"
#include "mem.h"
#include "vmcs_access.h"

enum exit_reason_no {
#define EXIT_REASON(n, name, text) XR_##name = n,
#include "exit_reasons.def"
#undef EXIT_REASON
};

/* The current VMCS, read and written by the layout of vcpu.h (fields at
 * 16 + 8*index, vmcs_access.h).  Entry already proved the current VMCS valid. */
static inline uint64_t gv(const struct refvmm *m, enum vmcs_field f)
{
	return vmcs_get(m, f);
}

static inline void gw(struct refvmm *m, enum vmcs_field f, uint64_t v)
{
	vmcs_put(m, f, v & vmcs_field_mask(f));
}

/* Primary processor-based controls, Table 24-6. */
enum {
	PROC_INTR_WINDOW = 1u << 2, PROC_TSC_OFFSET = 1u << 3, PROC_HLT = 1u << 7,
	PROC_INVLPG = 1u << 9, PROC_MWAIT = 1u << 10, PROC_RDPMC = 1u << 11,
	PROC_RDTSC = 1u << 12, PROC_CR3_LOAD = 1u << 15, PROC_CR3_STORE = 1u << 16,
	PROC_CR8_LOAD = 1u << 19, PROC_CR8_STORE = 1u << 20, PROC_TPR_SHADOW = 1u << 21,
	PROC_NMI_WINDOW = 1u << 22, PROC_MOV_DR = 1u << 23, PROC_UNCOND_IO = 1u << 24,
	PROC_IO_BITMAPS = 1u << 25, PROC_MTF = 1u << 27, PROC_MSR_BITMAPS = 1u << 28,
	PROC_MONITOR = 1u << 29, PROC_PAUSE = 1u << 30, PROC_SECONDARY = 1u << 31,
};
/* Secondary processor-based controls, Table 24-7. */
enum {
	PROC2_APIC_ACCESS = 1u << 0, PROC2_DESC_TABLE = 1u << 2, PROC2_RDTSCP = 1u << 3, PROC2_X2APIC_MODE = 1u << 4,
	PROC2_WBINVD = 1u << 6, PROC2_APIC_REG = 1u << 8, PROC2_VID = 1u << 9, PROC2_PAUSE_LOOP = 1u << 10,
	PROC2_RDRAND = 1u << 11, PROC2_INVPCID = 1u << 12, PROC2_VMFUNC = 1u << 13,
	PROC2_SHADOW_VMCS = 1u << 14, PROC2_ENCLS = 1u << 15, PROC2_RDSEED = 1u << 16,
	PROC2_XSAVES = 1u << 20, PROC2_TSC_SCALING = 1u << 25, PROC2_USER_WAIT = 1u << 26,
};
/* VM-exit controls, Table 24-13. */
enum {
	EXIT_SAVE_DEBUG = 1u << 2, EXIT_HOST_64 = 1u << 9, EXIT_LOAD_PERF = 1u << 12,
	EXIT_SAVE_PAT = 1u << 18, EXIT_LOAD_PAT = 1u << 19, EXIT_SAVE_EFER = 1u << 20,
	EXIT_LOAD_EFER = 1u << 21, EXIT_SAVE_TIMER = 1u << 22,
};

static inline uint32_t proc(const struct refvmm *m)
{
	return (uint32_t)gv(m, VF_CPU_BASED_VM_EXEC_CONTROL);
}

/* Secondary controls count only when "activate secondary controls" is 1. */
static inline uint32_t proc2(const struct refvmm *m)
{
	return proc(m) & PROC_SECONDARY ? (uint32_t)gv(m, VF_SECONDARY_VM_EXEC_CONTROL) : 0;
}

/* What running one L2 op did. */
enum gstep { G_NEXT, G_EXITED, G_JUMPED, G_UNMODELLED };
typedef enum gstep guest_op_fn(struct refvmm *m, const struct rop *o);

/* Handler tables by area (designated initializers over enum op_id). */
extern guest_op_fn *const guest_insn_ops[OP_COUNT];   /* guest_insn.c */
extern guest_op_fn *const guest_exc_ops[OP_COUNT];    /* guest_exc.c */
extern guest_op_fn *const guest_msr_ops[OP_COUNT];    /* guest_msr.c */
extern guest_op_fn *const guest_io_ops[OP_COUNT];     /* guest_io.c */
extern guest_op_fn *const guest_cr_ops[OP_COUNT];     /* guest_cr.c */
extern guest_op_fn *const guest_event_ops[OP_COUNT];  /* event.c */
extern guest_op_fn *const guest_mem_ops[OP_COUNT];    /* guest_mem.c */
extern guest_op_fn *const guest_task_ops[OP_COUNT];   /* guest_task.c */

/* An exit caused by executing the current op's exiting instruction:
 * reason, qualification, instruction length (27.2.5) and, when have has
 * EXF_INFO, the instruction-information field. */
enum gstep guest_insn_exit(struct refvmm *m, uint32_t reason, uint64_t qual,
			   uint16_t have, uint32_t info);
/* An exception raised by the current op (guest_exc.c): an exit when the
 * exception bitmap says so, otherwise delivery through L2's IDT. */
enum gstep guest_exception(struct refvmm *m, uint8_t vector, bool has_err, uint32_t err);
/* Interruption types, Table 24-16 / 27.2.2. */
enum { IT_EXT = 0, IT_NMI = 2, IT_HW_EXC = 3, IT_SW_INT = 4, IT_PRIV_SW_EXC = 5,
       IT_SW_EXC = 6, IT_OTHER = 7 };
/* An event being delivered through L2's IDT; ret is the RIP it pushes. */
struct gevent { uint8_t vector, type; bool has_err; uint32_t err; uint64_t ret; };
/* Delivery to the stub of e.vector (G_JUMPED), or the exit a fault
 * during delivery causes (G_EXITED). */
enum gstep guest_deliver(struct refvmm *m, struct gevent e);
/* event.c: injection and the exits before L2's first instruction (26.6,
 * 26.7); G_NEXT when L2 runs. */
enum gstep event_on_entry(struct refvmm *m);
/* event.c: MTF and window exits between instructions (after_insn) or
 * before the first one. */
enum gstep event_window(struct refvmm *m, bool after_insn);
/* guest_apic.c: MOV CR8 through the TPR shadow (29.3) once the CR8
 * exiting controls let it through, and the TPR-threshold exit after VM
 * entry (26.7.7; G_NEXT when none). */
enum gstep apic_cr8_store(struct refvmm *m);
enum gstep apic_cr8_load(struct refvmm *m, uint64_t v);
enum gstep apic_tpr_on_entry(struct refvmm *m);
/* guest_apic.c: delivery of a recognized virtual interrupt at an
 * instruction boundary (29.2.2); G_NEXT when there is none. */
enum gstep apic_virtual_intr(struct refvmm *m);
/* guest_apic.c: HLT without HLT exiting: G_NEXT when a virtual interrupt
 * ends it at once (29.2.2), G_UNMODELLED otherwise. */
enum gstep apic_hlt(struct refvmm *m);
/* guest_apic.c: RDMSR/WRMSR that the MSR bitmap lets through, when they
 * are virtualized x2APIC accesses (29.5); G_UNMODELLED otherwise. */
enum gstep apic_rdmsr(struct refvmm *m, uint32_t msr);
enum gstep apic_wrmsr(struct refvmm *m, uint32_t msr, uint64_t v);
/* guest_apic.c: a data access of `size` bytes at linear address la that
 * reached the APIC-access page with "use TPR shadow" (29.4.2, 29.4.3.1):
 * the APIC-access VM exit, or G_NEXT with *hpa redirected to the
 * virtual-APIC page; a virtualized write sets *vwrite to its page offset,
 * and once the store is done apic_write_emulation() completes it
 * (29.4.3.2).  vwrite NULL: the caller cannot emulate (G_UNMODELLED). */
enum gstep apic_data_access(struct refvmm *m, uint64_t la, uint8_t type, unsigned size,
			    uint64_t *hpa, int *vwrite);
enum gstep apic_write_emulation(struct refvmm *m, uint32_t offset);
/* guest_insn.c: #GP(0) for an instruction that needs CPL 0 at CPL > 0,
 * ahead of its VM exit (25.1.1); G_NEXT when it may run. */
enum gstep guest_cpl_check(struct refvmm *m, const struct rop *o);

/* msr.c: the value RDMSR returns in L2 for an MSR whose value every
 * backend agrees on (loaded from the VMCS, or fixed by the test machine
 * or the profile); false for any other MSR. */
bool msr_l2_value(struct refvmm *m, uint32_t msr, uint64_t *v);
/* msr.c: WRMSR in L2 of such an MSR: 1 written, 0 #GP(0), -1 not modelled. */
int msr_l2_write(struct refvmm *m, uint32_t msr, uint64_t v);

/* guest_mem.c: at VM entry, L2's PDPTE registers when it uses PAE paging;
 * the fetch of the current op's code (G_NEXT when it is fetchable); a
 * data read of `size` bytes at linear address la into out. */
void guest_mem_entry(struct refvmm *m);
enum gstep guest_fetch_op(struct refvmm *m);
/* The physical address of a linear access that paging and EPT allow,
 * setting the accessed/dirty flags it sets; false, with no exit and no
 * flag set, for one that would fault. */
bool guest_mem_translate(struct refvmm *m, uint64_t la, uint8_t type, unsigned size, uint64_t *hpa);
enum gstep guest_read(struct refvmm *m, uint64_t la, unsigned size, void *out);

/* L2's code size: 64 in 64-bit mode (IA32_EFER.LMA and CS.L), else 32
 * or 16 by CS.D (Vol. 3A 5.2.1; access rights bits 13 and 14). */
static inline unsigned l2_code_bits(const struct refvmm *m)
{
	uint32_t ar = m->cpu.seg[SEG_CS].ar;
	if ((m->cpu.efer & EFER_LMA) && (ar & (1u << 13)))
		return 64;
	return ar & (1u << 14) ? 32 : 16;
}

/* guest_gpr.c: what the model knows of L2's GPRs.  guest_gpr_entry() at
 * each VM entry (all 0 but RSP), guest_gpr_prelude() per prelude
 * instruction, guest_gpr_computed() from a handler that set result
 * register r, guest_gpr_completed() after an op's instruction completed;
 * guest_gpr_exit() / guest_gpr_entry_failed() snapshot what L1 finds
 * (guest_gpr_read(), guest.h). */
void guest_gpr_entry(struct refvmm *m);
void guest_gpr_prelude(struct refvmm *m, uint64_t rip);
void guest_gpr_computed(struct refvmm *m, unsigned r);
void guest_gpr_completed(struct refvmm *m, uint16_t op);
void guest_gpr_exit(struct refvmm *m);
void guest_gpr_entry_failed(struct refvmm *m);
/* GUEST_RIP of the current op's exiting instruction, its length. */
uint64_t guest_cur_rip(const struct refvmm *m);
uint8_t guest_cur_len(const struct refvmm *m);

#endif
