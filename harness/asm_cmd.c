/* `nestvmx asm FILE -o OUT` and `nestvmx disasm FILE`: between the text
 * and the binary case form (case_bin.h).  Both read either form, so
 * `asm` of a binary file re-encodes it and `disasm` of a text file prints
 * its canonical text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "backend.h"
#include "case.h"
#include "cmd.h"

static int asm_usage(FILE *f)
{
	fprintf(f, "usage: nestvmx asm FILE -o OUT\n"
		"  Encodes the cases of FILE (text or binary) in the binary case form, a\n"
		"  compact versioned encoding of the same operations; `nestvmx run` and\n"
		"  `nestvmx disasm` read it.  OUT '-' writes to stdout.  Exit: 0, or 2 on\n"
		"  malformed input (file:line:col: error: ...) or a write error.\n");
	return f == stdout ? EXIT_OK : EXIT_USAGE;
}

static int disasm_usage(FILE *f)
{
	fprintf(f, "usage: nestvmx disasm FILE [-o OUT]\n"
		"  Prints the cases of FILE (binary or text) as canonical text; text ->\n"
		"  asm -> disasm gives the canonical text back.  Binary errors read\n"
		"  \"FILE: offset N: error: ...\".  Exit: 0, or 2 on malformed input.\n");
	return f == stdout ? EXIT_OK : EXIT_USAGE;
}

/* FILE [-o OUT]; 1 when --help was asked, -1 on a usage error. */
static int args(int argc, char **argv, const char **in, const char **out)
{
	*in = *out = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return 1;
		if (!strcmp(argv[i], "-o") && i + 1 < argc)
			*out = argv[++i];
		else if (argv[i][0] == '-' && argv[i][1])
			return fprintf(stderr, "nestvmx %s: unknown option %s\n", argv[0], argv[i]), -1;
		else if (!*in)
			*in = argv[i];
		else
			return fprintf(stderr, "nestvmx %s: one input file only\n", argv[0]), -1;
	}
	return *in ? 0 : -1;
}

static int write_out(const char *cmd, const char *path, const void *buf, size_t n)
{
	FILE *f = !path || !strcmp(path, "-") ? stdout : fopen(path, "wb");
	if (!f) {
		fprintf(stderr, "nestvmx %s: cannot write %s\n", cmd, path);
		return EXIT_USAGE;
	}
	bool ok = fwrite(buf, 1, n, f) == n;
	ok = (f == stdout ? fflush(f) : fclose(f)) == 0 && ok;
	if (!ok)
		fprintf(stderr, "nestvmx %s: error writing %s\n", cmd, path ? path : "stdout");
	return ok ? EXIT_OK : EXIT_USAGE;
}

static struct casefile *load(const char *path)
{
	struct casefile *f;
	char err[512];
	if (casefile_load(path, &f, err, sizeof err) != 0) {
		fprintf(stderr, "%s\n", err);
		return NULL;
	}
	return f;
}

static int asm_run(int argc, char **argv)
{
	const char *in, *out;
	int a = args(argc, argv, &in, &out);
	if (a)
		return asm_usage(a > 0 ? stdout : stderr);
	if (!out)
		return fprintf(stderr, "nestvmx asm: -o OUT is required\n"), EXIT_USAGE;
	struct casefile *f = load(in);
	if (!f)
		return EXIT_USAGE;
	uint8_t *buf = NULL;
	size_t n;
	int rc = casefile_encode(f, &buf, &n) == 0 ? write_out("asm", out, buf, n)
		 : (fprintf(stderr, "nestvmx asm: out of memory\n"), EXIT_USAGE);
	free(buf);
	casefile_free(f);
	return rc;
}

static int disasm_run(int argc, char **argv)
{
	const char *in, *out;
	int a = args(argc, argv, &in, &out);
	if (a)
		return disasm_usage(a > 0 ? stdout : stderr);
	struct casefile *f = load(in);
	if (!f)
		return EXIT_USAGE;
	char *text = casefile_print(f);
	int rc = text ? write_out("disasm", out, text, strlen(text))
		 : (fprintf(stderr, "nestvmx disasm: out of memory\n"), EXIT_USAGE);
	free(text);
	casefile_free(f);
	return rc;
}

static const struct command asm_cmd = { "asm", "encode cases in the binary case form", asm_run };
static const struct command disasm_cmd = { "disasm", "print any case file (binary or text) as text", disasm_run };
COMMAND_REGISTER(asm_cmd);
COMMAND_REGISTER(disasm_cmd);
