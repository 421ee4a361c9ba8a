/* Runs every registered Check suite of this test binary. */
#include <stdio.h>
#include <stdlib.h>
#include "suites.h"

#define MAX_SUITES 128
static Suite *(*makers[MAX_SUITES])(void);
static int nmakers;

void suite_register(Suite *(*make)(void))
{
	if (nmakers < MAX_SUITES)
		makers[nmakers++] = make;
}

int main(void)
{
	if (nmakers == 0) {
		fprintf(stderr, "no test suites registered\n");
		return 1;
	}
	SRunner *sr = srunner_create(makers[0]());
	for (int i = 1; i < nmakers; i++)
		srunner_add_suite(sr, makers[i]());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
