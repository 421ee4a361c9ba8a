/* nestvmx: a test-and-fuzz harness for Intel VT-x and nested VT-x. */
#include <stdio.h>
#include <string.h>
#include "backend.h"
#include "cmd.h"

static int usage(FILE *f)
{
	fprintf(f, "usage: nestvmx COMMAND [ARGS...]   (nestvmx COMMAND --help for each)\n\ncommands:\n");
	for (int i = 0; i < ncommands; i++)
		fprintf(f, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
	return f == stdout ? EXIT_OK : EXIT_USAGE;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage(stderr);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help"))
		return usage(stdout);
	for (int i = 0; i < ncommands; i++)
		if (!strcmp(argv[1], commands[i]->name))
			return commands[i]->run(argc - 1, argv + 1);
	fprintf(stderr, "nestvmx: unknown command '%s'\n", argv[1]);
	return usage(stderr);
}
