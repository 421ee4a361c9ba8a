/* Subcommands of `nestvmx` register themselves (one file per command),
 * so adding a command never edits a shared list. */
#ifndef NESTVMX_CMD_H
#define NESTVMX_CMD_H

struct command {
	const char *name;
	const char *summary;     /* one line for `nestvmx --help` */
	int (*run)(int argc, char **argv);   /* argv[0] is the command name; handles --help */
};

#define MAX_COMMANDS 64
extern const struct command *commands[MAX_COMMANDS];
extern int ncommands;
void command_register(const struct command *c);
#define COMMAND_REGISTER(var) \
	static void __attribute__((constructor)) reg_##var(void) { command_register(&var); }

#endif
