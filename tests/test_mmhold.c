/*
 * test_mmhold.c - the re-exec's memory holder (mmhold.c) as a unit: a
 * process that starts one (standing in for the daemon) and then execs, or
 * dies before it can, must not leave the holder behind. This process is a
 * subreaper, so the orphaned holder comes to it and its end can be waited
 * for, bounded. The daemon's own re-execs (and a failed exec) are covered
 * end to end by test_reexec.c.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "mmhold.h"

#include "daemon_globals.h"

/* In the forked stand-in: the holder it started (its only child), or 0. */
static pid_t only_child(void)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/self/task/%d/children", (int)getpid());
	FILE *f = fopen(path, "r");
	int pid = 0;
	if (f) {
		if (fscanf(f, "%d", &pid) != 1)
			pid = 0;
		fclose(f);
	}
	return (pid_t)pid;
}

/* Fork a stand-in that starts a holder and then does `then`; returns the
 * holder's pid once the stand-in has ended (0: no holder on this system). */
static pid_t run_stand_in(void (*then)(void))
{
	cr_assert_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	int p[2];
	cr_assert_eq(pipe(p), 0);
	pid_t c = fork();
	cr_assert_geq(c, 0);
	if (c == 0) {
		close(p[0]);
		pid_t holder = mmhold_start() == 0 ? only_child() : 0;
		if (write(p[1], &holder, sizeof holder) != sizeof holder)
			_exit(1);
		close(p[1]);
		then();
		_exit(0);
	}
	close(p[1]);
	pid_t holder = 0;
	cr_assert_eq(read(p[0], &holder, sizeof holder), (ssize_t)sizeof holder);
	close(p[0]);
	int st;
	cr_assert_eq(waitpid(c, &st, 0), c);
	return holder;
}

/* Bounded (2 s) wait for the orphaned holder; killed (by pid) if it stays. */
static bool holder_left(pid_t holder)
{
	int st;
	for (int i = 0; i < 200; i++) {
		if (waitpid(holder, &st, WNOHANG) == holder)
			return true;
		nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
	}
	kill(holder, SIGKILL);
	waitpid(holder, &st, 0);
	return false;
}

static void die_before_the_exec(void)
{
	/* As if killed while writing the state: no mmhold_ready, no exec. */
	nanosleep(&(struct timespec){ .tv_nsec = 20 * 1000 * 1000 }, NULL);
	raise(SIGKILL);
}

static void exec_true(void)
{
	mmhold_ready();
	execl("/bin/true", "true", (char *)NULL);
	_exit(127);
}

Test(mmhold, a_holder_leaves_when_its_starter_dies_before_the_exec)
{
	pid_t holder = run_stand_in(die_before_the_exec);
	if (!holder)
		cr_skip_test("no memory holder on this system (architecture or close_range)");
	cr_assert(holder_left(holder), "the holder outlived the process that started it by 2 s");
}

Test(mmhold, a_holder_leaves_at_the_exec)
{
	pid_t holder = run_stand_in(exec_true);
	if (!holder)
		cr_skip_test("no memory holder on this system (architecture or close_range)");
	cr_assert(holder_left(holder), "the holder stayed 2 s after the exec");
}
