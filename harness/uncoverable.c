/* <suite>/uncoverable: the catalogue rules that no case can break alone
 * under any built-in profile, each with why (see the file's header).  The
 * coverage check exempts them; a listed rule that a case names is stale,
 * so the list only shrinks. */
#include <stdio.h>
#include <string.h>
#include "report.h"

static const char *const kinds[] = { "no-profile", "l1-mode", "case-language" };

static bool kind_ok(const char *k)
{
	for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
		if (!strcmp(k, kinds[i]))
			return true;
	return false;
}

/* One line: "" or a comment, else RULE.ID KIND TEXT.  -1 with err set. */
static int parse_line(struct uncoverable *u, char *l, uint32_t line, char *err, size_t errlen)
{
	char id[96], kind[32];
	int at = 0, n = 0;
	l[strcspn(l, "\r\n")] = 0;
	while (l[at] == ' ' || l[at] == '\t')
		at++;
	if (!l[at] || l[at] == '#')
		return 0;
	if (sscanf(l + at, "%95s %31s %n", id, kind, &n) < 2 || !l[at + n]) {
		snprintf(err, errlen, "%s:%u:%d: error: expected 'RULE.ID reason-kind text'", u->path, line, at + 1);
		return -1;
	}
	int r = rule_by_name(id);
	if (r < 0 || !kind_ok(kind)) {
		snprintf(err, errlen, "%s:%u:%d: error: %s '%s'", u->path, line,
			 r < 0 ? at + 1 : (int)(strstr(l + at, kind) - l) + 1, r < 0 ? "unknown rule" : "unknown reason-kind",
			 r < 0 ? id : kind);
		return -1;
	}
	if (u->line[r]) {
		snprintf(err, errlen, "%s:%u:%d: error: rule %s already listed at line %u", u->path, line, at + 1, id,
			 u->line[r]);
		return -1;
	}
	u->line[r] = line;
	return 0;
}

int uncoverable_load(const char *suite_dir, struct uncoverable *u, char *err, size_t errlen)
{
	memset(u, 0, sizeof *u);
	snprintf(u->path, sizeof u->path, "%s/uncoverable", suite_dir);
	FILE *f = fopen(u->path, "r");
	if (!f)
		return 0;   /* no list: every rule needs a case */
	char l[1024];
	int rc = 0;
	for (uint32_t line = 1; rc == 0 && fgets(l, sizeof l, f); line++)
		rc = parse_line(u, l, line, err, errlen);
	fclose(f);
	return rc;
}
