/* The command registry (see cmd.h). */
#include "cmd.h"

const struct command *commands[MAX_COMMANDS];
int ncommands;

void command_register(const struct command *c)
{
	if (ncommands < MAX_COMMANDS)
		commands[ncommands++] = c;
}
