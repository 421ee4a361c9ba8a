/* Architectural state of the modelled logical processor and the machine
 * context that every refvmm function takes.  No globals: everything hangs
 * off struct refvmm, with refvmm_reset() back to the fixed test machine. */
#ifndef NESTVMX_VCPU_H
#define NESTVMX_VCPU_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "arch.h"
#include "caps.h"
#include "checks.h"
#include "mem.h"
#include "ops.h"
#include "outcome.h"
#include "vmcs_fields.h"

enum seg_reg { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_LDTR, SEG_TR, SEG_COUNT };

struct seg {
	uint16_t sel;
	uint64_t base;
	uint32_t limit;
	uint32_t ar;     /* VMX access-rights format (SDM 24.4.1), bit 16 = unusable */
};

struct dtr { uint64_t base; uint32_t limit; };

enum gpr { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 };

/* IA32_PAT: every entry a memory type PAT supports, 0, 1, 4, 5, 6 or 7
 * (SDM vol. 3A, "Programming the PAT").  WRMSR, VM entry's host and guest
 * checks and the MSR-load area all hold PAT values to this. */
static inline bool pat_valid(uint64_t pat)
{
	for (int i = 0; i < 8; i++) {
		unsigned t = (pat >> (8 * i)) & 0xff;
		if (t == 2 || t == 3 || t > 7)
			return false;
	}
	return true;
}

/* A PAE page-directory-pointer-table entry (4.4.1, Table 4-8): a present
 * one sets none of the reserved bits 2:1 and 8:5 nor any bit at or above
 * MAXPHYADDR.  MOV to CR0/CR3/CR4 loading the PDPTEs (insn_misc.c) and VM
 * entry's PDPTE checks (26.3.1.6) hold PDPTEs to this. */
static inline bool pae_pdpte_valid(const struct vmx_caps *caps, uint64_t e)
{
	return !(e & 1) || !(e & (0x1e6ull | caps_phys_mask(caps)));
}

/* Interruptibility-state bits (Table 24-3). */
#define BLOCK_STI    1u
#define BLOCK_MOVSS  2u
#define BLOCK_NMI    8u

struct cpu_state {
	uint64_t gpr[16];   /* first: VM entries and exits copy the state after them */
	uint64_t rip, rflags;
	uint64_t cr0, cr2, cr3, cr4, cr8;
	uint64_t dr[8];
	uint64_t xcr0;
	struct seg seg[SEG_COUNT];
	struct dtr gdtr, idtr;
	uint8_t cpl;
	/* MSRs the model knows (SDM volume 4 numbers in msr.c) */
	uint64_t efer, pat, debugctl, perf_global_ctrl, bndcfgs, rtit_ctl, lbr_ctl;
	uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
	uint64_t s_cet, ssp, ist_addr, pkrs;
	uint64_t fs_base_msr_unused;   /* FS/GS base live in seg[] */
	uint64_t kernel_gs_base, star, lstar, cstar, fmask, tsc_aux, spec_ctrl;
	uint64_t feature_control;
	uint64_t tsc;
	/* event-blocking state (SDM 24.4.2) while in VMX non-root operation */
	uint32_t interruptibility, activity;   /* BLOCK_* below; activity state */
	uint64_t pending_dbg;
	bool nmi_blocked;
};
#define CPU_STATE_GPR_BYTES (16 * sizeof(uint64_t))
_Static_assert(offsetof(struct cpu_state, rip) == CPU_STATE_GPR_BYTES, "gpr[] leads struct cpu_state");

/* VMX operation state (SDM 23, 31). */
struct vmx_state {
	bool on;            /* in VMX operation */
	bool nonroot;       /* running L2 (only during an entry op) */
	uint64_t vmxon_ptr;
	uint64_t current;   /* current-VMCS pointer; VMCS_NONE when invalid */
	uint8_t next_cpl;   /* from a `cpl N` op; applies to the next op only */
	bool cpl_pending;
	bool movss_pending; /* from a `mov_ss` op: the next op has blocking by MOV SS */
	/* the guest { } block armed for the next VM entry, and where L2 is in it */
	struct rop block[GUEST_BLOCK_MAX + 1];   /* + implicit vmcall */
	uint32_t nblock;
	uint32_t block_rip[GUEST_BLOCK_MAX + 1]; /* linear address of each op's exiting insn */
	uint8_t block_len[GUEST_BLOCK_MAX + 1];  /* its length in bytes */
	uint32_t pc;        /* index of the next guest op to run */
	bool guest_rip_written;  /* the case wrote GUEST_RIP since the last exit */
	bool pause_seen;    /* a PAUSE at CPL 0 since the last VM entry (PAUSE-loop exiting) */
	uint8_t exit_advance;    /* length of the last instruction exit: the resume advance (guest.c) */
	/* L2's general-purpose registers (guest_gpr.c): bit r set = the model
	 * does not know GPR r, while L2 runs and as the last VM exit left it
	 * for L1 (zero-initialized: all known, all 0); gpr_set = the result
	 * registers the current op's handler computed */
	uint16_t gpr_unknown, gpr_set, exit_gpr_unknown;
	uint64_t l2_pdpte[4];   /* L2's PDPTE registers under PAE paging (guest_mem.c) */
	int32_t prelude_pc;     /* the op whose operand loads ran since the VM entry; -1 none (guest.c) */
};
#define VMCS_NONE 0xffffffffffffffffULL

/* VMCS region layout in the model (implementation-specific, SDM 24.2):
 * 0: revision identifier [30:0], shadow-VMCS indicator [31]
 * 4: VMX-abort indicator
 * 8: launch state (VMCS_CLEAR / VMCS_LAUNCHED / VMCS_LAUNCHED_THEN_VMXOFF)
 * 16 + 8*i: value of field i of vmcs_fields.def */
#define VMCS_OFF_LAUNCH 8
#define VMCS_OFF_FIELDS 16
enum {
	VMCS_CLEAR = 0, VMCS_LAUNCHED = 1,
	VMCS_LAUNCHED_THEN_VMXOFF = 2,   /* launched, then VMXOFF without VMCLEAR: undefined (24.11.1) */
};

/* A direct pointer to the current VMCS region (vmcs_access.h): usable
 * while pa == vmx.current and gen == mem.gen, else field access goes
 * through the memory hash.  A cache only: a zeroed one is simply empty.
 * pinned: the same pointer, held for the length of one VM-entry op
 * (vmentry, entry.c), where neither the current VMCS nor its private
 * page can change; NULL outside. */
struct vmcs_cache { uint64_t pa, gen; uint8_t *data, *pinned; };

struct refvmm {
	struct vmx_caps caps;
	struct cpu_state cpu;       /* L1 state in root operation; L2 state in non-root */
	struct cpu_state host;      /* L1 state saved across an L2 run */
	struct mem mem;
	struct vmx_state vmx;
	uint64_t steps;             /* guest ops run in this op; bounded */
	/* the outcome being built for the current op */
	struct result *res;
	/* coverage: how often each rule was evaluated / fired since create */
	uint32_t rule_evals[RULE_COUNT];
	uint32_t rule_fires[RULE_COUNT];
	uint32_t class_fires[RC_COUNT];   /* the same summed by rule class (checks.c) */
	struct vmcs_cache vcache;
	/* what the entry checks derive from caps (caps.h): invalidated at
	 * reset, filled at first use (entry_priv.h) */
	struct caps_cache caps_cache;
	/* revision identifier of the test-machine memory snapshot that
	 * refvmm_reset rewinds to (mem.nbase == 0: none yet) */
	uint32_t mem_snap_rev;
};

#define REFVMM_STEP_LIMIT 4096

/* The size n, hidden from the optimizer: memset/memcpy of a known size of
 * a few hundred bytes is otherwise expanded inline as a string instruction
 * (rep stos/movs), whose start-up costs more than the C library's vector
 * loop; the model copies machine states and clears results on every op. */
static inline size_t opaque_size(size_t n)
{
#if defined(__GNUC__)
	__asm__("" : "+r"(n));
#endif
	return n;
}

/* The body of CHECK() (checks.h): rule_eval with the passing case inline. */
static inline bool rule_check(struct refvmm *m, enum rule_id r, bool ok)
{
	if (!ok)
		return rule_eval(m, r, false);
	m->rule_evals[r]++;
	return true;
}

#endif
