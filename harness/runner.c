/* The runner (runner.h): suites of case files, running them on a
 * backend, and judging the results. */
#include <fnmatch.h>
#include <ftw.h>
#include <glob.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "outcome_text.h"
#include "runner.h"
#include "../refvmm/checks.h"
#include "../refvmm/vmcs_fields.h"

/* ---- loading ---- */

static int suite_add_file(struct suite *s, struct casefile *f)
{
	size_t n = casefile_ncases(f);
	struct casefile **files = realloc(s->files, (s->nfiles + 1) * sizeof *files);
	if (!files)
		return -1;
	s->files = files;
	s->files[s->nfiles++] = f;
	struct suite_case *cs = realloc(s->cases, (s->ncases + n + 1) * sizeof *cs);
	if (!cs)
		return -1;
	s->cases = cs;
	for (size_t i = 0; i < n; i++) {
		struct suite_case *c = &s->cases[s->ncases++];
		c->f = f;
		c->idx = i;
		snprintf(c->name, sizeof c->name, "%s", casefile_case_name(f, i));
	}
	return 0;
}

static int suite_add_one(struct suite *s, const char *path, char *err, size_t len)
{
	struct casefile *f = NULL;
	if (casefile_load(path, &f, err, len) != 0)
		return -1;
	if (suite_add_file(s, f) != 0) {
		casefile_free(f);
		snprintf(err, len, "%s: out of memory", path);
		return -1;
	}
	return 0;
}

int suite_add_text(struct suite *s, const char *path, const char *text, char *err, size_t len)
{
	struct casefile *f = NULL;
	if (casefile_parse(path, text, strlen(text), &f, err, len) != 0)
		return -1;
	if (suite_add_file(s, f) != 0) {
		casefile_free(f);
		snprintf(err, len, "%s: out of memory", path);
		return -1;
	}
	return 0;
}

/* nftw has no closure argument; a directory walk collects into this list
 * (the command layer is single-threaded). */
static struct { char **v; size_t n; } walk;

static int walk_one(const char *p, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	size_t l = strlen(p);
	if (type != FTW_F || l < 4 || strcmp(p + l - 4, ".vmx") != 0)
		return 0;
	char **v = realloc(walk.v, (walk.n + 1) * sizeof *v);
	if (!v)
		return -1;
	walk.v = v;
	if (!(walk.v[walk.n] = strdup(p)))
		return -1;
	walk.n++;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int suite_add_dir(struct suite *s, const char *dir, char *err, size_t len)
{
	walk.v = NULL;
	walk.n = 0;
	int rc = nftw(dir, walk_one, 16, FTW_PHYS);
	if (rc != 0)
		snprintf(err, len, "%s: cannot read directory", dir);
	qsort(walk.v, walk.n, sizeof *walk.v, cmp_str);
	for (size_t i = 0; i < walk.n; i++) {
		if (rc == 0 && suite_add_one(s, walk.v[i], err, len) != 0)
			rc = -1;
		free(walk.v[i]);
	}
	free(walk.v);
	walk.v = NULL;
	return rc ? -1 : 0;
}

int suite_add_path(struct suite *s, const char *path, char *err, size_t len)
{
	struct stat st;
	if (stat(path, &st) == 0)
		return S_ISDIR(st.st_mode) ? suite_add_dir(s, path, err, len) : suite_add_one(s, path, err, len);
	if (!strpbrk(path, "*?[")) {
		snprintf(err, len, "%s: no such file or directory", path);
		return -1;
	}
	glob_t g;
	if (glob(path, 0, NULL, &g) != 0) {
		snprintf(err, len, "%s: no file matches", path);
		return -1;
	}
	int rc = 0;
	for (size_t i = 0; i < g.gl_pathc && rc == 0; i++)
		rc = stat(g.gl_pathv[i], &st) == 0 && S_ISDIR(st.st_mode)
			? suite_add_dir(s, g.gl_pathv[i], err, len)
			: suite_add_one(s, g.gl_pathv[i], err, len);
	globfree(&g);
	return rc;
}

void suite_filter(struct suite *s, const char *const *pat, size_t npat)
{
	if (!npat)
		return;
	size_t k = 0;
	for (size_t i = 0; i < s->ncases; i++)
		for (size_t j = 0; j < npat; j++)
			if (fnmatch(pat[j], s->cases[i].name, 0) == 0) {
				s->cases[k++] = s->cases[i];
				break;
			}
	s->ncases = k;
}

void suite_free(struct suite *s)
{
	for (size_t i = 0; i < s->nfiles; i++)
		casefile_free(s->files[i]);
	free(s->files);
	free(s->cases);
	memset(s, 0, sizeof *s);
}

const char *runner_default_suite(char *buf, size_t len)
{
	struct stat st;
	const char *env = getenv("NESTVMX_SUITE");
	if (env && stat(env, &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(buf, len, "%s", env);
		return buf;
	}
	if (stat("conformance", &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(buf, len, "conformance");
		return buf;
	}
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return NULL;
	exe[n] = 0;
	char *dir = dirname(exe);
	static const char *const up[] = { "/../conformance", "/../../conformance", "/../share/nestvmx/conformance" };
	for (size_t i = 0; i < sizeof up / sizeof *up; i++) {
		snprintf(buf, len, "%s%s", dir, up[i]);
		if (stat(buf, &st) == 0 && S_ISDIR(st.st_mode))
			return buf;
	}
	return NULL;
}

/* ---- text ---- */

size_t runner_op_text(const struct rop *op, char *buf, size_t len)
{
	if (op->op >= OP_COUNT)
		return (size_t)snprintf(buf, len, "op%u", op->op);
	const struct op_info *in = &op_table[op->op];
	size_t at = (size_t)snprintf(buf, len, "%s", in->mnem);
	for (size_t i = 0; in->args[i] && i < 3 && at < len; i++) {
		bool high = false;
		int f = in->args[i] == 'f' ? vmcs_field_by_enc64(op->a[i], &high) : -1;
		if (f >= 0)
			at += (size_t)snprintf(buf + at, len - at, " %s%s", vmcs_field_table[f].name, high ? "_HIGH" : "");
		else if (in->args[i] == 'n' && (op->op == OP_MOV_CR || op->op == OP_G_MOV_TO_CR || op->op == OP_G_MOV_FROM_CR))
			at += (size_t)snprintf(buf + at, len - at, " cr%llu", (unsigned long long)op->a[i]);
		else if (op->op == OP_GPR && op->a[i] < 16)
			at += (size_t)snprintf(buf + at, len - at, " %s", gpr_names[op->a[i]]);
		else if (in->args[i] == 'n')
			at += (size_t)snprintf(buf + at, len - at, " %llu", (unsigned long long)op->a[i]);
		else if (in->args[i] != 't')
			at += (size_t)snprintf(buf + at, len - at, " 0x%llx", (unsigned long long)op->a[i]);
	}
	return at;
}

size_t runner_rules_text(const struct result *r, char *buf, size_t len)
{
	size_t at = 0;
	buf[0] = 0;
	for (unsigned i = 0; r && i < r->nrules && at < len; i++)
		at += (size_t)snprintf(buf + at, len - at, "%s%s", i ? ", " : "",
				       r->rules[i] < RULE_COUNT ? rule_table[r->rules[i]].id : "?");
	return at;
}

static size_t expect_text(const struct expect *e, char *buf, size_t len)
{
	size_t at = (size_t)snprintf(buf, len, "%s", e->nalt > 1 ? "{ " : "");
	for (unsigned i = 0; i < e->nalt && at < len; i++) {
		if (i)
			at += (size_t)snprintf(buf + at, len - at, ", ");
		if (at < len)
			at += outcome_format(&e->alt[i], buf + at, len - at);
	}
	if (e->nalt > 1 && at < len)
		at += (size_t)snprintf(buf + at, len - at, " }");
	return at;
}

/* ---- running ---- */

const char *run_case_file(const struct run_case *c)
{
	return c->sc && c->sc->f ? casefile_path(c->sc->f) : "";
}

const struct result *run_case_model(const struct run_case *c, uint32_t i)
{
	const struct case_result *m = c->model_is_res ? &c->res : &c->model;
	if (m->status != CS_RAN || !m->res || i >= m->nres)
		return NULL;
	return &m->res[i];
}

static const struct vmx_caps *case_caps(const struct suite_case *sc, const struct vmx_caps *dflt,
					char *err, size_t len)
{
	const char *p = casefile_case_profile(sc->f, sc->idx);
	if (!p || !p[0])
		return dflt;
	const struct vmx_caps *c = caps_builtin(p);
	if (!c)
		snprintf(err, len, "%s:%u: unknown profile '%s'", casefile_path(sc->f),
			 casefile_case_line(sc->f, sc->idx), p);
	return c;
}

static void resolve_all(const struct suite *s, const struct vmx_caps *dflt, struct run_set *rs)
{
	for (size_t i = 0; i < s->ncases; i++) {
		struct run_case *c = &rs->rc[i];
		c->sc = &s->cases[i];
		const struct vmx_caps *caps = case_caps(c->sc, dflt, c->msg, sizeof c->msg);
		if (caps && casefile_resolve(c->sc->f, c->sc->idx, caps, &c->rc, c->msg, sizeof c->msg) == 0)
			c->resolved = true;
		else
			c->verdict = V_ERROR;
	}
}

/* Runs the resolved cases of rs on b; results land in res (or model). */
static int run_on(const struct backend *b, const struct backend_opts *o, struct run_set *rs,
		  bool into_model)
{
	const struct rcase **v = calloc(rs->n + 1, sizeof *v);
	struct case_result *r = calloc(rs->n + 1, sizeof *r);
	size_t *back = calloc(rs->n + 1, sizeof *back);
	int rc = EXIT_BACKEND;
	if (!v || !r || !back)
		goto out;
	size_t k = 0;
	for (size_t i = 0; i < rs->n; i++)
		if (rs->rc[i].resolved) {
			back[k] = i;
			v[k++] = &rs->rc[i].rc;
		}
	rc = k ? b->run(o, v, k, r) : 0;
	for (size_t j = 0; j < k; j++) {
		struct run_case *c = &rs->rc[back[j]];
		if (into_model)
			c->model = r[j];
		else
			c->res = r[j];
	}
out:
	free(v);
	free(r);
	free(back);
	return rc;
}

int runner_run(const struct backend *b, const struct backend_opts *o, const struct suite *s,
	       struct run_set *out, char *err, size_t len)
{
	memset(out, 0, sizeof *out);
	out->b = b;
	if (b->available(o, err, len) != 0)
		return EXIT_UNAVAILABLE;
	const struct vmx_caps *dflt = b->profile(o, err, len);
	if (!dflt)
		return EXIT_UNAVAILABLE;
	out->rc = calloc(s->ncases + 1, sizeof *out->rc);
	if (!out->rc) {
		snprintf(err, len, "out of memory");
		return EXIT_BACKEND;
	}
	out->n = s->ncases;
	resolve_all(s, dflt, out);
	int rc = run_on(b, o, out, false);
	if (rc != 0) {
		snprintf(err, len, "backend %s failed (status %d)", b->name, rc);
		return rc;
	}
	const struct backend *ref = backend_find("ref");
	bool is_ref = b == ref;
	if (!is_ref && ref) {
		struct backend_opts mo = *o;
		mo.profile = dflt;
		(void)run_on(ref, &mo, out, true);
	}
	for (size_t i = 0; i < out->n; i++) {
		out->rc[i].model_is_res = is_ref;
		runner_judge(&out->rc[i]);
		int v = out->rc[i].verdict;
		if (v == V_PASS)
			out->npass++;
		else if (v == V_SKIP)
			out->nskip++;
		else
			out->nfail++;
	}
	return 0;
}

void run_set_free(struct run_set *rs)
{
	for (size_t i = 0; i < rs->n; i++) {
		struct run_case *c = &rs->rc[i];
		if (c->resolved)
			rcase_free(&c->rc);
		free(c->res.res);
		if (!c->model_is_res)
			free(c->model.res);
	}
	free(rs->rc);
	memset(rs, 0, sizeof *rs);
}

/* ---- judging ---- */

bool runner_expect_ok(const struct expect *e, const struct result *r, bool model)
{
	if (!r || r->nalt == 0)
		return false;
	if (!model)
		return expect_holds(e, &r->alt[0]);
	for (unsigned i = 0; i < r->nalt && i < RESULT_MAX_ALT; i++)
		if (r->alt[i].kind == OUT_UNMODELLED || !expect_holds(e, &r->alt[i]))
			return false;
	return true;
}

static void add_msg(struct run_case *c, const char *fmt_line)
{
	size_t at = strlen(c->msg), room = sizeof c->msg - 1;
	if (at && at + 2 < room) {
		memcpy(c->msg + at, "; ", 2);
		at += 2;
	}
	size_t n = strlen(fmt_line);
	if (n > room - at)
		n = room - at;
	memcpy(c->msg + at, fmt_line, n);
	c->msg[at + n] = 0;
}

static void judge_expect(struct run_case *c, const struct expect *e)
{
	const struct result *got = e->rop < c->res.nres ? &c->res.res[e->rop] : NULL;
	if (runner_expect_ok(e, got, c->model_is_res))
		return;
	char want[256], have[256] = "nothing", rules[256] = "", line[1024];
	expect_text(e, want, sizeof want);
	if (got && got->nalt) {
		if (c->model_is_res)
			result_format(got, have, sizeof have);
		else
			outcome_format(&got->alt[0], have, sizeof have);
	}
	runner_rules_text(run_case_model(c, e->rop), rules, sizeof rules);
	snprintf(line, sizeof line, "line %u: expected %s, got %s%s%s", e->line, want, have,
		 rules[0] ? " because " : "", rules);
	add_msg(c, line);
}

/* A single-outcome backend must stay inside the model's allowed set on
 * every recorded op, expected or not (the differential oracle). */
static void judge_vs_model(struct run_case *c)
{
	for (uint32_t i = 0; i < c->res.nres && i < c->rc.nops; i++) {
		const struct result *m = run_case_model(c, i), *b = &c->res.res[i];
		if (!m || !m->nalt || !b->nalt || m->alt[0].kind == OUT_UNMODELLED)
			continue;
		if (result_allows(m, &b->alt[0]))
			continue;
		char want[256], have[256], rules[256] = "", line[1024];
		result_format(m, want, sizeof want);
		outcome_format(&b->alt[0], have, sizeof have);
		runner_rules_text(m, rules, sizeof rules);
		snprintf(line, sizeof line, "line %u: model allows %s, got %s%s%s", c->rc.ops[i].line,
			 want, have, rules[0] ? " because " : "", rules);
		add_msg(c, line);
	}
}

void runner_judge(struct run_case *c)
{
	if (!c->resolved) {
		c->verdict = V_ERROR;
		return;
	}
	c->msg[0] = 0;
	switch (c->res.status) {
	case CS_SKIPPED:
		c->verdict = V_SKIP;
		snprintf(c->msg, sizeof c->msg, "%s", c->res.msg);
		return;
	case CS_FAULT:
	case CS_ERROR:
		c->verdict = V_ERROR;
		snprintf(c->msg, sizeof c->msg, "%s: %s", c->res.status == CS_FAULT ? "backend fault" : "error",
			 c->res.msg);
		return;
	}
	for (uint32_t i = 0; i < c->rc.nexpects; i++)
		judge_expect(c, &c->rc.expects[i]);
	if (!c->model_is_res)
		judge_vs_model(c);
	c->verdict = c->msg[0] ? V_FAIL : V_PASS;
}

const struct vmx_caps *runner_profile_arg(const char *arg, struct vmx_caps *buf, char *err, size_t len)
{
	const struct vmx_caps *c = caps_builtin(arg);
	if (c)
		return c;
	FILE *f = fopen(arg, "r");
	if (!f) {
		snprintf(err, len, "%s: not a built-in profile (nestvmx caps --list) nor a readable file", arg);
		return NULL;
	}
	char *text = NULL;
	size_t cap = 0;
	ssize_t n = getdelim(&text, &cap, 0, f);
	fclose(f);
	char msg[256];
	int rc = n > 0 ? caps_parse(text, (size_t)n, buf, msg, sizeof msg) : (snprintf(msg, sizeof msg, "empty"), -1);
	free(text);
	if (rc != 0) {
		snprintf(err, len, "%s:%.200s", arg, msg);
		return NULL;
	}
	return buf;
}

static size_t cat_rules(const struct result *m, bool explain, char *buf, size_t len)
{
	char rules[512];
	size_t at = 0;
	if (!m || !m->nrules)
		return 0;
	runner_rules_text(m, rules, sizeof rules);
	at += (size_t)snprintf(buf, len, "    because %s\n", rules);
	for (unsigned i = 0; explain && i < m->nrules && at < len; i++) {
		const struct rule_info *r = m->rules[i] < RULE_COUNT ? &rule_table[m->rules[i]] : NULL;
		if (r)
			at += (size_t)snprintf(buf + at, len - at, "      %s (SDM %s): %s\n", r->id, r->sdm, r->text);
	}
	return at;
}

size_t run_trace_text(const struct run_case *c, bool explain, char *buf, size_t len)
{
	size_t at = 0;
	buf[0] = 0;
	for (uint32_t i = 0; i < c->res.nres && i < c->rc.nops && at < len; i++) {
		const struct rop *op = &c->rc.ops[i];
		const struct result *r = &c->res.res[i];
		if ((op->flags & ROP_SILENT) || !r->nalt)
			continue;
		char txt[256], out[512];
		runner_op_text(op, txt, sizeof txt);
		if (c->model_is_res)
			result_format(r, out, sizeof out);
		else
			outcome_format(&r->alt[0], out, sizeof out);
		at += (size_t)snprintf(buf + at, len - at, "line %u: %s  => %s\n", op->line, txt, out);
		if (at < len)
			at += cat_rules(run_case_model(c, i), explain, buf + at, len - at);
	}
	return at < len ? at : len - 1;
}
