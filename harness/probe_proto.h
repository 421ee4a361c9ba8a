/* The probe protocol: the batch the harness hands the probe kernel, and the
 * outcome stream the probe prints.  One definition for both sides: the
 * freestanding probe (harness/probe/) includes this header; the harness
 * encodes batches and parses streams with probe_proto.c.
 *
 * Batch (little-endian, loaded at PROBE_BATCH_ADDR by the boot path):
 *   struct probe_batch_hdr, then ncases x (struct probe_case_hdr,
 *   nops x struct probe_op).  An OP_GUEST op is followed by its nblock L2
 *   ops (also struct probe_op), which do not count in nops.
 *
 * Stream (port 0xE9, and COM1 when booted by a multiboot loader), one
 * line each, numbers in hex without 0x:
 *   I vendor <12 chars>            I cpuid1 <eax> <ecx> <edx>
 *   I cpuid7 <ebx> <ecx>           I cpuid80000008 <eax>
 *   P <msr> <value>|absent         (0x3a, 0x480-0x493: the profile)
 *   B <ncases>                     (batch accepted)
 *   C <case> begin                 C <case> end
 *   O <case> <op> <kind> [fields]  kinds:
 *       ok | fi | fv <n> | flt <vector> <errcode|-> | val <x> | none
 *       exit <reason> <qual> <gla> <gpa> <len> <info> <intr> <intr_err> <idt> <idt_err>
 *       unsup            (the probe cannot run this op)
 *   E <text>                       (probe-level error; the run ends)
 *   DONE
 */
#ifndef NESTVMX_PROBE_PROTO_H
#define NESTVMX_PROBE_PROTO_H
#include "../refvmm/testmachine.h"

#define PROBE_BATCH_ADDR   0x01000000u   /* 16 MiB; above every TM_ region */
#define PROBE_BATCH_MAX    0x00f00000u
#define PROBE_MAGIC        0x4258564eu   /* "NVXB" */
#define PROBE_CASE_MAGIC   0x45534143u   /* "CASE" */
#define PROBE_VERSION      1u
#define PROBE_MSR_FIRST    0x480u
#define PROBE_MSR_LAST     0x493u

/* Boot by the Bochs ROM stub: EAX holds this instead of the multiboot magic. */
#define PROBE_ROM_BOOT     0x524f4d21   /* "!MOR" */
/* The Bochs ROM: its top 64 KiB are rom.S; the batch sits below, and
 * two dwords at PROBE_ROM_PATCH (batch address, length) tell the reset
 * stub where.  ROM size: a power of two from 64 KiB to PROBE_ROM_MAX. */
#define PROBE_ROM_STUB     0x10000
#define PROBE_ROM_PATCH    0xffffffe0
#define PROBE_ROM_MAX      0x400000

#ifndef __ASSEMBLER__
#include <stdint.h>

struct probe_batch_hdr {
	uint32_t magic, version;
	uint32_t size;        /* bytes, header included */
	uint32_t ncases;
	uint32_t flags;       /* PROBE_F_* */
	uint32_t reserved[3];
};
enum { PROBE_F_PROFILE_ONLY = 1 };   /* report the profile, run nothing */

struct probe_case_hdr {
	uint32_t magic;       /* PROBE_CASE_MAGIC */
	uint32_t id;          /* the harness's case number, echoed in C/O lines */
	uint32_t nops;
	uint32_t reserved;
};

struct probe_op {
	uint16_t op;          /* enum op_id */
	uint16_t flags;       /* enum rop_flags */
	uint32_t nblock;      /* OP_GUEST: L2 ops that follow */
	uint64_t a[3];
};

_Static_assert(sizeof(struct probe_batch_hdr) == 32, "batch header layout");
_Static_assert(sizeof(struct probe_case_hdr) == 16, "case header layout");
_Static_assert(sizeof(struct probe_op) == 32, "op layout");

/* Which exit-information fields the SDM defines for a VM exit (27.2.1-27.2.5),
 * as enum outcome_have bits.  The probe reports every field raw; the harness
 * keeps only these.  The probe also uses the EXF_LEN bit to decide whether
 * `vmresume` advances GUEST_RIP (DESIGN.md).  No shared model table exists
 * yet (refvmm/exit.c); this is the one place for it until one does. */
#define PX_Q   0x0001u   /* EXF_QUAL */
#define PX_GA  0x0002u   /* EXF_GPA */
#define PX_GL  0x0004u   /* EXF_GLA */
#define PX_L   0x0008u   /* EXF_LEN */
#define PX_I   0x0010u   /* EXF_INFO */
#define PX_IN  0x0020u   /* EXF_INTR */
static const uint16_t probe_exit_fields[78] = {
	[0] = PX_Q | PX_IN,                  /* exception/NMI: qual for #DB/#PF */
	[1] = PX_IN,                         /* external interrupt */
	[9] = PX_Q | PX_L,                   /* task switch (len for CALL/JMP/IRET) */
	[10] = PX_L, [11] = PX_L, [12] = PX_L, [13] = PX_L,
	[14] = PX_Q | PX_L, [15] = PX_L, [16] = PX_L, [17] = PX_L, [18] = PX_L,
	[19] = PX_Q | PX_L | PX_I, [20] = PX_L, [21] = PX_Q | PX_L | PX_I,
	[22] = PX_Q | PX_L | PX_I, [23] = PX_Q | PX_L | PX_I, [24] = PX_L,
	[25] = PX_Q | PX_L | PX_I, [26] = PX_L, [27] = PX_Q | PX_L | PX_I,
	[28] = PX_Q | PX_L, [29] = PX_Q | PX_L, [30] = PX_Q | PX_L | PX_GL,
	[31] = PX_L, [32] = PX_L, [33] = PX_Q, [34] = PX_Q, [36] = PX_L,
	[37] = 0, [39] = PX_L, [40] = PX_L, [44] = PX_Q, [45] = PX_Q,
	[46] = PX_Q | PX_L | PX_I, [47] = PX_Q | PX_L | PX_I,
	[48] = PX_Q | PX_GA | PX_GL, [49] = PX_GA,
	[50] = PX_Q | PX_L | PX_I, [51] = PX_L, [53] = PX_Q | PX_L | PX_I,
	[54] = PX_L, [55] = PX_L, [56] = PX_Q, [57] = PX_L | PX_I,
	[58] = PX_Q | PX_L | PX_I, [59] = PX_L, [60] = PX_L, [61] = PX_L | PX_I,
	[63] = PX_Q | PX_L | PX_I, [64] = PX_Q | PX_L | PX_I, [65] = PX_L,
	[67] = PX_L | PX_I, [68] = PX_L | PX_I, [69] = PX_L | PX_I, [70] = PX_L,
};

/* Does this exit (basic reason, interruption info) define the instruction
 * length?  Exception exits define it for software exceptions and software
 * interrupts (interruption types 4, 5, 6; SDM 27.2.5). */
static inline int probe_exit_has_len(uint32_t reason, uint32_t intr)
{
	uint32_t basic = reason & 0xffff;
	if (reason & 0x80000000u)
		return 0;
	if (basic == 0) {
		uint32_t type = intr >> 8 & 7;
		return (intr >> 31) && (type == 4 || type == 5 || type == 6);
	}
	return basic < 78 && (probe_exit_fields[basic] & PX_L);
}


/* Does `vmresume` advance GUEST_RIP past the exiting instruction (DESIGN.md:
 * after an exit caused by an instruction the guest executed)?  Not after
 * exceptions, task switches, EPT violations or APIC accesses, whose length
 * (when defined) is not an instruction a hypervisor skips.  Mirrors
 * advances() in refvmm/exit.c: keep the two in step. */
static inline int probe_exit_advances(uint32_t reason, uint32_t intr)
{
	uint32_t basic = reason & 0xffff;
	return probe_exit_has_len(reason, intr) && basic != 0 && basic != 9 && basic != 44 && basic != 48;
}

#ifndef PROBE_KERNEL
/* ---- the harness side (probe_proto.c) ---- */
#include <stdbool.h>
#include <stddef.h>
#include "rcase.h"

/* Why the probe kernel cannot run case c, or NULL when it can.  The one
 * place that vets cases for the probe: the backends that boot it (bochs,
 * kvm, metal) skip a case with this reason instead of sending it. */
const char *probe_case_unsupported(const struct rcase *c);
/* Encodes cases[0..n) as one batch; case k carries id ids[k] (NULL: k).
 * Returns a malloc'd buffer and its size in *len, or NULL with a reason
 * (a guest block too long, an operand the probe cannot carry, no memory). */
uint8_t *probe_batch_encode(const struct rcase *const *cases, const uint32_t *ids, size_t n,
			    uint32_t flags, size_t *len, char *why, size_t whylen);
/* Decodes a batch back into its cases' ops (tests; `nestvmx collect`).
 * Returns the number of cases, or -1 when malformed.  Each out[k] gets
 * malloc'd ops/blocks; free with probe_case_free(). */
int probe_batch_decode(const uint8_t *buf, size_t len, struct rcase *out, uint32_t *ids, size_t max);
void probe_case_free(struct rcase *c);

/* What a probe said about itself. */
struct probe_report {
	struct vmx_caps caps;       /* from the I and P lines */
	char vendor[13];
	bool have_profile;          /* every P line 0x480-0x493 and 0x3a seen */
	bool batch_seen;            /* a B line */
	bool done;                  /* DONE */
	char error[160];            /* the first E line */
};

/* Parses a probe's output stream for the batch cases[0..n) (case ids
 * 0..n-1 of this batch).  A case with `begin` and `end` becomes CS_RAN;
 * the case that began and never ended becomes CS_FAULT (the probe hung,
 * triple-faulted or Bochs stopped in it); a case that never began keeps
 * status -1 (run it in a new boot).  Lines that are not the protocol's are
 * ignored (Bochs prints its own).  results[k].status must be -1 and
 * results[k].res NULL on entry.  Returns the number of cases decided. */
size_t probe_stream_parse(const char *text, size_t len, const struct rcase *const *cases,
			  size_t n, struct case_result *results, struct probe_report *rep);

/* One outcome line's payload ("exit 0xa ...") to an outcome; -1 if malformed. */
int probe_outcome_parse(const char *s, struct outcome *o);
/* Keeps only the exit-information fields the SDM defines for this exit. */
void probe_exit_defined(struct outcome *o);
#endif
#endif /* __ASSEMBLER__ */
#endif
