/* The backend registry (backend.h).  Backends add themselves from
 * constructors; the table keeps registration order, which is also the
 * order `conform --backend all` runs them in. */
#include <string.h>
#include "backend.h"

#define MAX_BACKENDS 16
static const struct backend *backends[MAX_BACKENDS];
static size_t nbackends;

void backend_register(const struct backend *b)
{
	if (nbackends < MAX_BACKENDS && !backend_find(b->name))
		backends[nbackends++] = b;
}

const struct backend *backend_find(const char *name)
{
	for (size_t i = 0; i < nbackends; i++)
		if (strcmp(backends[i]->name, name) == 0)
			return backends[i];
	return NULL;
}

size_t backend_count(void)
{
	return nbackends;
}

const struct backend *backend_at(size_t i)
{
	return i < nbackends ? backends[i] : NULL;
}
