/* Known-divergence lists (diverge.h). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "diverge.h"

static const char *const kind_names[DK_COUNT] = {
	[DK_ERRATUM] = "erratum",
	[DK_EMULATOR_BUG] = "emulator-bug",
	[DK_UNORDERED_CHECKS] = "unordered-checks",
	[DK_MODEL_GAP] = "model-gap",
};

const char *diverge_kind_name(enum div_kind k)
{
	return k < DK_COUNT ? kind_names[k] : "?";
}

static int kind_by_name(const char *s, size_t n)
{
	for (int k = 0; k < DK_COUNT; k++)
		if (strlen(kind_names[k]) == n && strncmp(kind_names[k], s, n) == 0)
			return k;
	return -1;
}

static size_t word(const char *p)
{
	size_t n = 0;
	while (p[n] && !isspace((unsigned char)p[n]))
		n++;
	return n;
}

static const char *skip_space(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static bool name_ok(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!(islower((unsigned char)p[i]) || isdigit((unsigned char)p[i]) || strchr("._-", p[i])))
			return false;
	return n > 0 && n < sizeof ((struct divergence *)0)->name;
}

/* One non-comment line into d; returns an error message or NULL. */
static const char *parse_line(const char *p, struct divergence *d)
{
	size_t n = word(p);
	if (!name_ok(p, n))
		return "expected a case name ([a-z0-9._-]+)";
	memcpy(d->name, p, n);
	d->name[n] = 0;
	p = skip_space(p + n);
	n = word(p);
	int k = kind_by_name(p, n);
	if (k < 0)
		return "expected a reason kind: erratum, emulator-bug, unordered-checks or model-gap";
	d->kind = (uint8_t)k;
	p = skip_space(p + n);
	if (!*p)
		return "a known divergence needs a reason in free text";
	snprintf(d->text, sizeof d->text, "%s", p);
	return NULL;
}

int diverge_parse(const char *path, const char *text, struct divergences *out, char *err, size_t len)
{
	memset(out, 0, sizeof *out);
	uint32_t lineno = 0;
	for (const char *p = text; *p; ) {
		const char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p) : strlen(p);
		char buf[512];
		lineno++;
		if (l >= sizeof buf) {
			snprintf(err, len, "%s:%u: error: line too long", path, lineno);
			goto fail;
		}
		memcpy(buf, p, l);
		buf[l] = 0;
		p += l + (nl ? 1 : 0);
		char *hash = strchr(buf, '#');
		if (hash)
			*hash = 0;
		for (char *e = buf + strlen(buf); e > buf && isspace((unsigned char)e[-1]); )
			*--e = 0;
		const char *q = skip_space(buf);
		if (!*q)
			continue;
		struct divergence d = { .line = lineno };
		const char *msg = parse_line(q, &d);
		if (!msg && diverge_find(out, d.name))
			msg = "case listed twice";
		if (msg) {
			snprintf(err, len, "%s:%u: error: %s", path, lineno, msg);
			goto fail;
		}
		struct divergence *v = realloc(out->v, (out->n + 1) * sizeof *v);
		if (!v) {
			snprintf(err, len, "%s: out of memory", path);
			goto fail;
		}
		out->v = v;
		out->v[out->n++] = d;
	}
	return 0;
fail:
	diverge_free(out);
	return -1;
}

int diverge_load(const char *suite, const char *backend, struct divergences *out, char *err, size_t len)
{
	char path[4096];
	memset(out, 0, sizeof *out);
	snprintf(path, sizeof path, "%s/known-divergences/%s", suite, backend);
	FILE *f = fopen(path, "r");
	if (!f)
		return errno == ENOENT ? 0 : (snprintf(err, len, "%s: %s", path, strerror(errno)), -1);
	char *text = NULL;
	size_t cap = 0;
	ssize_t n = getdelim(&text, &cap, 0, f);
	fclose(f);
	int rc = diverge_parse(path, n > 0 ? text : "", out, err, len);
	free(text);
	return rc;
}

const struct divergence *diverge_find(const struct divergences *d, const char *name)
{
	for (size_t i = 0; d && i < d->n; i++)
		if (strcmp(d->v[i].name, name) == 0)
			return &d->v[i];
	return NULL;
}

void diverge_apply(const struct divergences *d, struct run_set *rs)
{
	rs->npass = rs->nfail = rs->nskip = 0;
	for (size_t i = 0; i < rs->n; i++) {
		struct run_case *c = &rs->rc[i];
		const struct divergence *k = diverge_find(d, c->sc->name);
		if (k && (c->verdict == V_FAIL || c->verdict == V_ERROR)) {
			char was[sizeof c->msg];
			snprintf(was, sizeof was, "%s", c->msg);
			snprintf(c->msg, sizeof c->msg, "known divergence (%s): %s [%.700s]",
				 diverge_kind_name((enum div_kind)k->kind), k->text, was);
			c->verdict = V_KNOWN;
		} else if (k && c->verdict == V_PASS) {
			snprintf(c->msg, sizeof c->msg, "fixed: remove from list (known-divergences/%s line %u)",
				 rs->b ? rs->b->name : "?", k->line);
			c->verdict = V_FIXED;
		}
		if (c->verdict == V_PASS)
			rs->npass++;
		else if (c->verdict == V_SKIP || c->verdict == V_KNOWN)
			rs->nskip++;
		else
			rs->nfail++;
	}
}

size_t diverge_stale(const struct divergences *d, const struct run_set *rs, const char *list, FILE *f)
{
	size_t n = 0;
	for (size_t i = 0; i < d->n; i++) {
		bool found = false;
		for (size_t k = 0; k < rs->n && !found; k++)
			found = strcmp(rs->rc[k].sc->name, d->v[i].name) == 0;
		if (!found) {
			fprintf(f, "FAIL %s:%u: no case named %s: remove from list\n", list, d->v[i].line, d->v[i].name);
			n++;
		}
	}
	return n;
}

void diverge_free(struct divergences *d)
{
	free(d->v);
	memset(d, 0, sizeof *d);
}
