/* Check suites register themselves; one main per test binary runs them
 * all (so adding a test file never edits a shared list). */
#ifndef NESTVMX_TEST_SUITES_H
#define NESTVMX_TEST_SUITES_H
#include <check.h>

void suite_register(Suite *(*make)(void));
#define SUITE_REGISTER(fn) \
	static void __attribute__((constructor)) reg_##fn(void) { suite_register(fn); }

#endif
