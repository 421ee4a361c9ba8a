/* The outcome of one operation, the same on every backend (DESIGN.md).
 * Backends produce one outcome; the model produces the set of outcomes the
 * SDM allows plus the catalogue rules that decided it. */
#ifndef NESTVMX_OUTCOME_H
#define NESTVMX_OUTCOME_H
#include <stdint.h>

enum outcome_kind {
	OUT_NONE = 0,       /* nothing recorded (silent template op) */
	OUT_OK,             /* VMsucceed, or a plain op that completed */
	OUT_FAIL_INVALID,   /* VMfailInvalid */
	OUT_FAIL_VALID,     /* VMfailValid(num) */
	OUT_FAULT,          /* exception `vector`, error code `num` if OUTF_ERRCODE */
	OUT_VALUE,          /* vmread, vmptrst, rdmsr, mov from cr: `value` */
	OUT_EXIT,           /* VM exit with basic reason `num` and fields */
	OUT_ENTRY_FAIL,     /* VM-entry failure exit (bit 31): reason 33/34/41 in num */
	OUT_ABORT,          /* VMX abort with indicator `num` */
	OUT_UNMODELLED,     /* the model does not cover this; never a verdict */
	OUT_BACKEND_FAULT,  /* backend hung, crashed or lost the case */
};

/* Which exit-information fields an exit outcome carries (or a pattern
 * compares).  Fields the SDM leaves undefined for an exit are not set. */
enum outcome_have {
	EXF_QUAL = 1 << 0, EXF_GPA = 1 << 1, EXF_GLA = 1 << 2, EXF_LEN = 1 << 3,
	EXF_INFO = 1 << 4, EXF_INTR = 1 << 5, EXF_INTR_ERR = 1 << 6,
	EXF_IDT = 1 << 7, EXF_IDT_ERR = 1 << 8,
	OUTF_ERRCODE = 1 << 15,   /* OUT_FAULT: num is an error code */
};

struct outcome {
	uint8_t kind;        /* enum outcome_kind */
	uint8_t vector;      /* OUT_FAULT */
	uint16_t have;       /* enum outcome_have */
	uint32_t num;
	uint64_t value;
	uint64_t qual, gpa, gla;
	uint32_t len, info, intr, intr_err, idt, idt_err;
};

#define RESULT_MAX_ALT 4
#define RESULT_MAX_RULES 16

struct result {
	uint8_t nalt;                          /* 0 = nothing recorded */
	struct outcome alt[RESULT_MAX_ALT];    /* alt[0]: the model's primary */
	uint8_t nrules;
	uint16_t rules[RESULT_MAX_RULES];      /* enum rule_id, in firing order */
};

#endif
