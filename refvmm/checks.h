/* The rule catalogue (checks.def) and the CHECK() one-liner that every
 * rule's check site uses. */
#ifndef NESTVMX_CHECKS_H
#define NESTVMX_CHECKS_H
#include <stdbool.h>
#include <stdint.h>

/* Rule classes, in the order the SDM evaluates them for a VM entry
 * (26.1 instruction checks, 26.2 controls and host state (unordered among
 * themselves), 26.3 guest state, 26.4 MSR loading). */
enum rule_class {
	RC_INSN,        /* VMX instruction preconditions (chapter 31) */
	RC_ENTRY_CTL,   /* 26.2.1 */
	RC_ENTRY_HOST,  /* 26.2.2-26.2.4 */
	RC_ENTRY_GUEST, /* 26.3.1 */
	RC_ENTRY_MSR,   /* 26.4 */
	RC_EVENT,       /* 26.6 event injection, chapter 25 event handling */
	RC_EPT,         /* 28.3 */
	RC_EXIT,        /* chapters 25, 27 */
	RC_COUNT
};

/* Outcome when a rule fails. */
enum rule_outcome {
	RO_UD,            /* #UD */
	RO_GP0,           /* #GP(0) */
	RO_SS0,           /* #SS(0) */
	RO_PF,            /* #PF */
	RO_FAIL_INVALID,  /* VMfailInvalid */
	RO_FAIL_VALID,    /* VMfailValid(arg) */
	RO_ENTRY_FAIL,    /* VM-entry failure exit: reason 33 with qualification arg */
	RO_MSR_LOAD_FAIL, /* VM-entry failure exit: reason 34, qualification = entry index */
	RO_EXIT,          /* a VM exit with basic reason arg */
	RO_ABORT,         /* VMX abort, indicator arg */
	RO_BEHAVIOUR,     /* not a failure: a rule of how the CPU behaves */
	RO_GP_SEL,        /* #GP(selector): error code = selector with RPL cleared */
	RO_NP_SEL,        /* #NP(selector) */
};

/* RULE(ID, "ID.STRING", "SDM section", class, outcome, arg, "what it requires")
 * The C token is the string with '.' replaced by '_' (a test proves it). */
enum rule_id {
#define RULE(id, str, sdm, cls, out, arg, text) R_##id,
#include "checks.def"
#undef RULE
	RULE_COUNT
};

struct rule_info {
	const char *id, *sdm, *text;
	uint8_t cls, out;
	uint32_t arg;
};
extern const struct rule_info rule_table[RULE_COUNT];   /* refvmm/checks.c */

int rule_by_name(const char *id);   /* -1 if unknown */

struct refvmm;
/* Records that rule `r` was evaluated, and that it failed when !ok.
 * Returns ok.  Defined in checks.c.  Cold: CHECK() calls it only for a
 * fired rule, and keeping those calls out of line keeps the hundred-odd
 * inlined checks of an entry small (instruction cache). */
bool rule_eval(struct refvmm *m, enum rule_id r, bool ok) __attribute__((cold));

/* The one-line check: CHECK(m, ENTRY_CTL_PIN_ALLOWED0, cond) is true when
 * cond holds; otherwise the rule is recorded as fired. */
#define CHECK(m, id, cond) rule_check((m), R_##id, !!(cond))
/* The same with a computed ID, for a check site in a loop over registers
 * whose rule IDs come from a table indexed by register (entry_seg.c): the
 * table names each ID once, and the loop is its one check site. */
#define CHECK_ID(m, rid, cond) rule_check((m), (rid), !!(cond))
/* (rule_check is rule_eval with the passing case inline, vcpu.h: an entry
 * evaluates over a hundred rules.) */

#endif
