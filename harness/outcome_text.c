/* Outcomes as trace text, and the two comparisons: an outcome against an
 * `expect`, and a backend's outcome against the model's allowed set. */
#include <stdio.h>
#include <string.h>
#include "case_internal.h"
#include "outcome_text.h"

static size_t fields(const struct outcome *o, char *buf, size_t len, size_t at)
{
	const uint64_t v[NEXF] = { o->qual, o->gpa, o->gla, o->len, o->info, o->intr, o->intr_err, o->idt, o->idt_err };
	for (int i = 0; i < NEXF; i++)
		if (o->have & (1u << i) && at < len)
			at += (size_t)snprintf(buf + at, len - at, " %s=%#llx", exf_names[i], (unsigned long long)v[i]);
	return at;
}

size_t outcome_format(const struct outcome *o, char *buf, size_t len)
{
	int n = 0;
	const char *name;
	switch (o->kind) {
	case OUT_NONE: n = snprintf(buf, len, "none"); break;
	case OUT_OK: n = snprintf(buf, len, "ok"); break;
	case OUT_FAIL_INVALID: n = snprintf(buf, len, "fail_invalid"); break;
	case OUT_FAIL_VALID: n = snprintf(buf, len, "fail_valid %u", o->num); break;
	case OUT_FAULT:
		name = vector_name(o->vector);
		n = o->have & OUTF_ERRCODE ? snprintf(buf, len, "fault #%s(%#x)", name ? name : "?", o->num)
					   : snprintf(buf, len, "fault #%s", name ? name : "?");
		break;
	case OUT_VALUE: n = snprintf(buf, len, "value %#llx", (unsigned long long)o->value); break;
	case OUT_EXIT:
		name = exit_reason_name(o->num);
		n = name ? snprintf(buf, len, "exit %s", name) : snprintf(buf, len, "exit %u", o->num);
		break;
	case OUT_ENTRY_FAIL: n = snprintf(buf, len, "entry_fail %u", o->num); break;
	case OUT_ABORT: n = snprintf(buf, len, "abort %u", o->num); break;
	case OUT_UNMODELLED: n = snprintf(buf, len, "unmodelled"); break;
	default: n = snprintf(buf, len, "backend_fault"); break;
	}
	size_t at = n < 0 ? 0 : (size_t)n;
	if (o->kind == OUT_EXIT || o->kind == OUT_ENTRY_FAIL)
		at = fields(o, buf, len, at);
	return at;
}

size_t result_format(const struct result *r, char *buf, size_t len)
{
	if (r->nalt <= 1)
		return r->nalt ? outcome_format(&r->alt[0], buf, len) : (size_t)snprintf(buf, len, "none");
	size_t at = (size_t)snprintf(buf, len, "{ ");
	for (int i = 0; i < r->nalt && at < len; i++) {
		if (i)
			at += (size_t)snprintf(buf + at, len - at, ", ");
		if (at < len)
			at += outcome_format(&r->alt[i], buf + at, len - at);
	}
	if (at < len)
		at += (size_t)snprintf(buf + at, len - at, " }");
	return at;
}

int outcome_parse(const char *text, struct outcome *o, char *err, size_t errlen)
{
	struct casefile *f;
	size_t n = strlen(text);
	char src[512];
	if (n > 400) {
		snprintf(err, errlen, "outcome too long");
		return -1;
	}
	snprintf(src, sizeof src, "case x\nvmcall\nexpect %s\n", text);
	if (casefile_parse("outcome", src, strlen(src), &f, err, errlen) != 0)
		return -1;
	struct rcase rc;
	int rcode = casefile_resolve(f, 0, caps_default(), &rc, err, errlen);
	if (rcode == 0) {
		*o = rc.expects[0].alt[0];
		rcase_free(&rc);
	}
	casefile_free(f);
	return rcode;
}

/* Bits of the VM-exit instruction-information field the SDM defines, per
 * exit reason where it leaves others undefined (27.2.5): RDRAND/RDSEED
 * (Table 27-14: destination register 6:3, operand size 12:11). */
static uint32_t info_defined(uint32_t reason)
{
	switch (reason) {
	case 57: case 61: return 0x1878;
	default: return 0xffffffff;
	}
}

static bool fields_match(const struct outcome *a, const struct outcome *b, uint16_t mask)
{
	uint32_t im = a->kind == OUT_EXIT ? info_defined(a->num) : 0xffffffff;
	const uint64_t va[NEXF] = { a->qual, a->gpa, a->gla, a->len, a->info & im, a->intr, a->intr_err, a->idt, a->idt_err };
	const uint64_t vb[NEXF] = { b->qual, b->gpa, b->gla, b->len, b->info & im, b->intr, b->intr_err, b->idt, b->idt_err };
	for (int i = 0; i < NEXF; i++)
		if (mask & (1u << i) && va[i] != vb[i])
			return false;
	return true;
}

/* Kind, number, vector, value: the parts every comparison checks. */
static bool same_head(const struct outcome *want, const struct outcome *got)
{
	if (want->kind != got->kind)
		return false;
	switch (want->kind) {
	case OUT_FAIL_VALID: case OUT_EXIT: case OUT_ENTRY_FAIL: case OUT_ABORT:
		return want->num == got->num;
	case OUT_FAULT:
		return want->vector == got->vector &&
		       (!(want->have & OUTF_ERRCODE) || !(got->have & OUTF_ERRCODE) || want->num == got->num);
	case OUT_VALUE:
		return want->value == got->value;
	default:
		return true;
	}
}

bool expect_holds(const struct expect *e, const struct outcome *actual)
{
	for (int i = 0; i < e->nalt; i++) {
		const struct outcome *w = &e->alt[i];
		if (same_head(w, actual) && fields_match(w, actual, w->have & 0x1ff & actual->have))
			if ((w->have & 0x1ff & ~actual->have) == 0)
				return true;
	}
	return false;
}

bool result_allows(const struct result *model, const struct outcome *actual)
{
	for (int i = 0; i < model->nalt; i++) {
		const struct outcome *m = &model->alt[i];
		if (m->kind == OUT_UNMODELLED)
			return true;
		if (same_head(m, actual) && fields_match(m, actual, m->have & actual->have & 0x1ff))
			return true;
	}
	return false;
}
