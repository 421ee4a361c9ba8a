/* Outcomes as text (the trace format of DESIGN.md), and comparison:
 * of an actual outcome with an `expect`, and of a backend's outcome with
 * the set the model allows. */
#ifndef NESTVMX_OUTCOME_TEXT_H
#define NESTVMX_OUTCOME_TEXT_H
#include <stdbool.h>
#include <stddef.h>
#include "../refvmm/outcome.h"
#include "rcase.h"

/* "ok", "fail_valid 7", "fault #GP(0)", "value 0x10",
 * "exit CPUID qual=0x0 len=2", "entry_fail 33 qual=0x4", ... */
size_t outcome_format(const struct outcome *o, char *buf, size_t len);
/* A model result: "{ fail_valid 7, fail_valid 8 }" when several are allowed. */
size_t result_format(const struct result *r, char *buf, size_t len);
/* Parses one outcome (not a set); returns 0 or -1 with a message. */
int outcome_parse(const char *text, struct outcome *o, char *err, size_t errlen);

/* Does `actual` satisfy the expectation (one of its alternatives, exit
 * fields compared only where the alternative specifies them)? */
bool expect_holds(const struct expect *e, const struct outcome *actual);
/* Does a backend's outcome agree with the model's allowed set?  Fields are
 * compared only where both sides define them. */
bool result_allows(const struct result *model, const struct outcome *actual);

#endif
