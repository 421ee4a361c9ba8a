/* The built-in profiles, generated at build time from
 * corpora/caps/bochs-caps.txt + bochs-caps-extra.txt by refvmm/caps_gen.awk
 * (see the "generated: built-in capability profiles" Makefile section). */
#ifndef NESTVMX_CAPS_DATA_H
#define NESTVMX_CAPS_DATA_H
#include <stddef.h>
#include "caps.h"

extern const struct vmx_caps caps_builtin_table[];
extern const size_t caps_builtin_table_n;

#endif
