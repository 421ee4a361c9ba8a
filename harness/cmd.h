/* Subcommands of `nestvmx` register themselves (one file per command),
 * so adding a command never edits a shared list. */
#ifndef NESTVMX_CMD_H
#define NESTVMX_CMD_H

struct command {
	const char *name;
	const char *summary;     /* one line for `nestvmx --help` */
	int (*run)(int argc, char **argv);   /* argv[0] is the command name; handles --help */
};

void command_register(const struct command *c);
#define COMMAND_REGISTER(var) \
	static void __attribute__((constructor)) reg_##var(void) { command_register(&var); }

#endif
