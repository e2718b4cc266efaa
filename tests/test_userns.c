/*
 * test_userns.c - PrivateUsers='s maps and the entry into a user namespace
 * (userns.c); the daemon's use of them is in test_lifecycle.c.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <grp.h>

#include "harness.h"
#include "userns.h"

Test(userns, maps)
{
	char u[USERNS_MAP_MAX], g[USERNS_MAP_MAX], want[USERNS_MAP_MAX];
	unsigned ou = (unsigned)getuid(), og = (unsigned)getgid();
	cr_assert_eq(userns_maps(false, 0, 0, u, sizeof u, g, sizeof g), 0);
	snprintf(want, sizeof want, "%u %u 1\n", ou, ou);
	cr_expect_str_eq(u, want, "without User=, the daemon's own ID only");
	snprintf(want, sizeof want, "%u %u 1\n", og, og);
	cr_expect_str_eq(g, want);

	cr_assert_eq(userns_maps(true, ou, og, u, sizeof u, g, sizeof g), 0);
	snprintf(want, sizeof want, "%u %u 1\n", ou, ou);
	cr_expect_str_eq(u, want, "User= the daemon's own: one line");

	cr_assert_eq(userns_maps(true, 4294967294u, 4294967294u, u, sizeof u, g, sizeof g), 0);
	if (geteuid() == 0) {
		snprintf(want, sizeof want, "%u %u 1\n4294967294 4294967294 1\n", ou, ou);
		cr_expect_str_eq(u, want, "root maps User= too, the longest ID fits");
		snprintf(want, sizeof want, "%u %u 1\n4294967294 4294967294 1\n", og, og);
		cr_expect_str_eq(g, want);
	}
	char small[8];
	cr_expect_eq(userns_maps(true, 4321, 4321, small, sizeof small, g, sizeof g), -ENAMETOOLONG);
	cr_expect_eq(userns_maps(true, 4321, 4321, u, sizeof u, small, sizeof small), -ENAMETOOLONG);
}

/* Run fn in a forked child (criterion's own process may have threads);
 * its exit status. */
static int in_child(int (*fn)(void))
{
	pid_t p = fork();
	cr_assert_geq(p, 0);
	if (p == 0)
		_exit(fn());
	int r = h_wait_exit(p, 10000);
	if (r < 0) {
		kill(p, SIGKILL);
		waitpid(p, NULL, 0);
		cr_assert_fail("the child did not finish");
	}
	return r;
}

/* Nobody, as a user's daemon is: dumpable again after the change of IDs
 * (which clears it), so that its /proc files are its own. */
static int become_nobody(void)
{
	return setgroups(0, NULL) == 0 && setresgid(65534, 65534, 65534) == 0 &&
			       setresuid(65534, 65534, 65534) == 0 && prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) == 0
		       ? 0
		       : -1;
}

static int probe_unprivileged(void)
{
	return become_nobody() == 0 && unshare(CLONE_NEWUSER) == 0 ? 0 : 1;
}

/* 0 when the maps and setgroups read back as written. */
static int enter_as_nobody(void)
{
	if (become_nobody() < 0)
		return 2;
	int r = userns_enter("65534 65534 1\n", "65534 65534 1\n");
	if (r < 0)
		return 3;
	char *m = h_slurp("/proc/self/uid_map");
	unsigned a, b, c;
	if (!m || sscanf(m, "%u %u %u", &a, &b, &c) != 3 || a != 65534 || b != 65534 || c != 1)
		return 4;
	m = h_slurp("/proc/self/setgroups");
	if (!m || strcmp(m, "deny\n") != 0)
		return 5;
	/* The helper is gone: nothing left to reap. */
	if (waitpid(-1, NULL, WNOHANG) != -1 || errno != ECHILD)
		return 6;
	return getuid() == 65534 ? 0 : 7;
}

/* The helper writes the maps from outside; an unprivileged caller can map
 * just its own ID, which is what a daemon without CAP_SYS_ADMIN does. */
Test(userns, enter_unprivileged, .timeout = 30)
{
	if (geteuid() != 0 || in_child(probe_unprivileged) != 0)
		cr_skip_test("needs root to become nobody, and unprivileged user namespaces");
	int rc = in_child(enter_as_nobody);
	cr_expect_eq(rc, 0, "step %d failed", rc);
}

static void *idle(void *arg)
{
	pause();
	return arg;
}

/* A threaded caller cannot enter a user namespace (EINVAL): the error comes
 * back, and the helper, told nothing, is gone. */
static int enter_threaded(void)
{
	pthread_t t;
	if (pthread_create(&t, NULL, idle, NULL) != 0)
		return 2;
	int r = userns_enter("0 0 1\n", "0 0 1\n");
	if (r != -EINVAL)
		return 3;
	if (waitpid(-1, NULL, WNOHANG) != -1 || errno != ECHILD)
		return 4;
	return 0;
}

Test(userns, error_reaches_caller, .timeout = 30)
{
	cr_expect_eq(in_child(enter_threaded), 0);
}
