/* `nestvmx caps`: capability profiles for people (show, list, JSON) and
 * from the host (dump).  The pieces are exposed so that other commands can
 * load profiles the same way and tests can check data, not text. */
#ifndef NESTVMX_CAPS_CMD_H
#define NESTVMX_CAPS_CMD_H
#include <stdbool.h>
#include <stdio.h>
#include "refvmm/caps.h"

/* A built-in profile by name, else a profile file (caps_parse format).
 * NULL with a one-line reason ("FILE:LINE:COL: message") in err. */
const struct vmx_caps *caps_load(const char *arg, struct vmx_caps *buf, char *err, size_t errlen);

/* How a profile constrains one control bit (SDM A.3-A.5). */
enum bit_setting { BIT_FIXED0, BIT_FIXED1, BIT_FLEXIBLE };
enum bit_setting caps_bit_setting(const struct vmx_caps *c, enum ctl_kind k, unsigned bit);
const char *caps_bit_setting_name(enum bit_setting s);   /* "fixed-0", "fixed-1", "flexible" */
/* SDM name of a control bit (refvmm/ctl_bits.def), NULL if reserved/unknown. */
const char *ctl_bit_name(enum ctl_kind k, unsigned bit);
bool ctl_bit_default1(enum ctl_kind k, unsigned bit);

void caps_show_text(FILE *f, const struct vmx_caps *c);
void caps_show_json(FILE *f, const struct vmx_caps *c);
/* Print what differs from a to b (MSRs, control-bit settings, features),
 * one line each; returns the number of lines. */
int caps_diff(FILE *f, const struct vmx_caps *a, const struct vmx_caps *b);

/* Read the host's VMX capability MSRs (0x3a, 0x480-0x493) through
 * ROOT/dev/cpu/CPU/msr and CPUID into *out.  root "" or "/" is the real
 * host.  Returns 0, or EXIT_UNAVAILABLE with the reason and the fix in why
 * (not Intel, no VMX, no msr driver, no permission). */
int caps_dump_host(const char *root, int cpu, struct vmx_caps *out, char *brand, size_t brandlen,
		   char *why, size_t whylen);

#endif
