/* Generated control-field cases (gen_cases.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gen_cases.h"
#include "templates.h"
#include "../refvmm/checks.h"
#include "../refvmm/vmcs_fields.h"

/* The 32-bit control fields and the catalogue's names for their two
 * rules (allowed-0 settings violated / allowed-1 settings violated). */
static const struct gen_ctl {
	enum ctl_kind k;
	const char *field, *rule;
} gen_ctls[] = {
	{ CTL_PIN,   "PIN_BASED_VM_EXEC_CONTROL", "ENTRY.CTL.PIN" },
	{ CTL_PROC,  "CPU_BASED_VM_EXEC_CONTROL", "ENTRY.CTL.PROC" },
	{ CTL_PROC2, "SECONDARY_VM_EXEC_CONTROL", "ENTRY.CTL.PROC2" },
	{ CTL_EXIT,  "VM_EXIT_CONTROLS",          "ENTRY.CTL.EXIT" },
	{ CTL_ENTRY, "VM_ENTRY_CONTROLS",         "ENTRY.CTL.ENTRY" },
};

#define PROC_ACTIVATE_SECONDARY (1u << 31)   /* SDM Table 24-6 */

/* The value `setup vmcs64` writes to a field; must1 when it writes none. */
static uint64_t template_value(const struct rop *ops, int n, const char *field, uint64_t dflt)
{
	int f = vmcs_field_by_name(field);
	for (int i = 0; f >= 0 && i < n; i++)
		if (ops[i].op == OP_VMWRITE && ops[i].a[0] == vmcs_field_table[f].enc)
			return ops[i].a[1];
	return dflt;
}

struct buf { char *p; size_t len, cap; };

static void put(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		if (!b->p)
			return;
		va_start(ap, fmt);
		int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		char *q = realloc(b->p, b->cap * 2 + (size_t)n);
		if (!q) {
			free(b->p);
			b->p = NULL;
			return;
		}
		b->p = q;
		b->cap = b->cap * 2 + (size_t)n;
	}
}

static void gen_one(struct buf *b, const struct gen_ctl *g, unsigned bit, bool must1,
		    uint64_t value, uint64_t proc)
{
	char rule[64];
	snprintf(rule, sizeof rule, "%s_ALLOWED%d", g->rule, must1 ? 0 : 1);
	put(b, "case gen.ctl.%s.bit%u.%s\n", caps_ctl_name(g->k), bit, must1 ? "must1" : "must0");
	if (rule_by_name(rule) >= 0)
		put(b, "checks %s\n", rule);
	put(b, "vmxon\nsetup vmcs64\n");
	if (g->k == CTL_PROC2)
		put(b, "vmwrite CPU_BASED_VM_EXEC_CONTROL 0x%llx\n", (unsigned long long)proc);
	/* "load IA32_EFER" (exit bit 21) where the CPU lacks it also makes the
	 * host EFER checks apply (26.2.2) to a field it does not have, and the
	 * SDM does not order control against host-state checks (26.2) */
	bool host_too = g->k == CTL_EXIT && bit == 21 && !must1;
	put(b, "vmwrite %s 0x%llx\nvmlaunch\nexpect %s\n\n", g->field, (unsigned long long)value,
	    host_too ? "{ fail_valid 7, fail_valid 8 }" : "fail_valid 7");
}

char *gen_ctl_cases(const struct vmx_caps *c, size_t *n)
{
	static struct rop ops[4096];
	int nops = template_expand("vmcs64", c, 0, ops, sizeof ops / sizeof *ops);
	struct buf b = { malloc(4096), 0, 4096 };
	*n = 0;
	if (b.p)
		b.p[0] = 0;
	put(&b, "# generated from profile %s by harness/gen_cases.c\n\n", c->name);
	if (nops < 0)
		nops = 0;
	uint64_t proc = template_value(ops, nops, "CPU_BASED_VM_EXEC_CONTROL", caps_ctl_must1(c, CTL_PROC));
	for (size_t i = 0; i < sizeof gen_ctls / sizeof *gen_ctls; i++) {
		const struct gen_ctl *g = &gen_ctls[i];
		if (g->k == CTL_PROC2 && !caps_ctl_may_be1(c, CTL_PROC, 31))
			continue;   /* no secondary controls: the field does not exist */
		uint64_t base = template_value(ops, nops, g->field, caps_ctl_must1(c, g->k));
		for (unsigned bit = 0; bit < 32; bit++) {
			bool must1 = !caps_ctl_may_be0(c, g->k, bit), must0 = !caps_ctl_may_be1(c, g->k, bit);
			if (must1 && !must0)
				gen_one(&b, g, bit, true, base & ~(1ull << bit), proc | PROC_ACTIVATE_SECONDARY);
			else if (must0 && !must1)
				gen_one(&b, g, bit, false, base | 1ull << bit, proc | PROC_ACTIVATE_SECONDARY);
			else
				continue;
			++*n;
		}
	}
	return b.p;
}
