/* `nestvmx fields`: print the VMCS field table (refvmm/vmcs_fields.def),
 * optionally with whether each field exists under a capability profile. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "backend.h"
#include "cmd.h"
#include "refvmm/caps.h"
#include "refvmm/vmcs_fields.h"

static const char *const width_name[] = { [W16] = "16", [W64] = "64", [W32] = "32", [WNAT] = "natural" };
static const char *const type_name[] = { [T_CTL] = "control", [T_RO] = "read-only", [T_GUEST] = "guest", [T_HOST] = "host" };

static int usage(FILE *f)
{
	fprintf(f,
		"usage: nestvmx fields [--json] [--profile NAME|FILE]\n"
		"Print every VMCS field the model knows (SDM Appendix B): name, encoding,\n"
		"width, type and the feature that makes it exist.  With --profile, also\n"
		"whether the field exists under that capability profile (a built-in name\n"
		"or a file in the bochs-caps.txt format).\n"
		"  --json           one JSON object instead of a table\n"
		"  --profile P      built-in profile name or profile file\n"
		"built-in profiles:");
	for (size_t i = 0; i < caps_builtin_count(); i++)
		fprintf(f, " %s", caps_builtin_at(i)->name);
	fprintf(f, "\n");
	return f == stdout ? EXIT_OK : EXIT_USAGE;
}

/* A built-in profile, else a profile file; NULL after printing why. */
static const struct vmx_caps *load_profile(const char *arg, struct vmx_caps *buf)
{
	const struct vmx_caps *c = caps_builtin(arg);
	if (c)
		return c;
	FILE *f = fopen(arg, "r");
	if (!f) {
		fprintf(stderr, "nestvmx fields: '%s' is neither a built-in profile nor a readable file\n", arg);
		return NULL;
	}
	static const size_t max = 1 << 20;
	char *text = malloc(max);
	size_t n = text ? fread(text, 1, max, f) : 0;
	bool too_big = text && n == max;
	fclose(f);
	char err[256] = "";
	int rc = !text || too_big ? -1 : caps_parse(text, n, buf, err, sizeof(err));
	free(text);
	if (rc < 0) {
		fprintf(stderr, "%s:%s\n", arg, too_big ? " file too large" : !text ? " out of memory" : err);
		return NULL;
	}
	return buf;
}

static void print_table(const struct vmx_caps *c)
{
	printf("%-30s %-8s %-7s %-9s %-*s%s\n", "NAME", "ENCODING", "WIDTH", "TYPE",
	       c ? 28 : 0, "FEATURE", c ? " SUPPORTED" : "");
	for (int i = 0; i < VF_COUNT; i++) {
		const struct vmcs_field_info *f = &vmcs_field_table[i];
		printf("%-30s 0x%04x   %-7s %-9s %-*s", f->name, f->enc, width_name[f->width],
		       type_name[f->type], c ? 28 : 0, caps_feature_name(f->feature));
		if (c)
			printf(" %s", vmcs_field_supported(c, (enum vmcs_field)i) ? "yes" : "no");
		printf("\n");
	}
}

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static void print_json(const struct vmx_caps *c)
{
	printf("{\"count\": %d, \"profile\": ", VF_COUNT);
	if (c)
		json_string(c->name);
	else
		printf("null");
	printf(", \"fields\": [\n");
	for (int i = 0; i < VF_COUNT; i++) {
		const struct vmcs_field_info *f = &vmcs_field_table[i];
		printf("  {\"name\": \"%s\", \"encoding\": \"0x%04x\", \"width\": \"%s\", "
		       "\"type\": \"%s\", \"feature\": \"%s\"", f->name, f->enc,
		       width_name[f->width], type_name[f->type], caps_feature_name(f->feature));
		if (c)
			printf(", \"supported\": %s",
			       vmcs_field_supported(c, (enum vmcs_field)i) ? "true" : "false");
		printf("}%s\n", i + 1 < VF_COUNT ? "," : "");
	}
	printf("]}\n");
}

static int fields_run(int argc, char **argv)
{
	bool json = false;
	const char *profile = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return usage(stdout);
		else if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!strcmp(argv[i], "--profile")) {
			if (i + 1 == argc) {
				fprintf(stderr, "nestvmx fields: --profile needs a NAME or FILE\n");
				return usage(stderr);
			}
			profile = argv[++i];
		} else {
			fprintf(stderr, "nestvmx fields: unexpected argument '%s'\n", argv[i]);
			return usage(stderr);
		}
	}
	struct vmx_caps buf;
	const struct vmx_caps *c = NULL;
	if (profile && !(c = load_profile(profile, &buf)))
		return EXIT_USAGE;
	if (json)
		print_json(c);
	else
		print_table(c);
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
}

static const struct command fields_cmd = {
	.name = "fields",
	.summary = "print the VMCS field table (and which fields a profile has)",
	.run = fields_run,
};
COMMAND_REGISTER(fields_cmd)
