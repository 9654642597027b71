/* Runs a Check suite and turns its result into the test's exit status. */
#ifndef ECSIM_TEST_CHECK_RUN_H
#define ECSIM_TEST_CHECK_RUN_H

#include <check.h>

static inline int
check_run(Suite *s)
{
	SRunner	*sr = srunner_create(s);
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}

#endif
