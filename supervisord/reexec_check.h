/*
 * reexec_check.h - before `supctl reexec --binary PATH` execs PATH, ask it
 * whether it is a supervisord that reads a state format we write: run
 * `PATH --check-state-format` and read its answer, without blocking the
 * loop. Services, notify messages and other clients go on being served
 * while a target that hangs runs out its time.
 *
 * One check at a time. The child is killed through a pidfd (never by a pid
 * that may have been reused) when it runs out of time, when its answer is
 * in, and when the check is cancelled; the reaper reaps it like any
 * process no unit knows. Owned while a check runs: the pipe's read end,
 * the pidfd, a poll handle and a timer, all released before the callback.
 */
#ifndef SUPD_REEXEC_CHECK_H
#define SUPD_REEXEC_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#define REEXEC_CHECK_TIMEOUT_MS 5000

/* err: 0 with format set to the newest format both sides read; or -errno
 * with msg saying why (the target did not answer in time, is not a
 * supervisord, or reads none of our formats). */
typedef void (*reexec_check_cb)(void *arg, int err, unsigned format, const char *msg);

/* Start checking binary. 0: cb will be called once, from the loop, unless
 * the check is cancelled first. <0: nothing started, msg says why (a check
 * already running is -EBUSY). */
int reexec_check_start(uv_loop_t *loop, const char *binary, reexec_check_cb cb, void *arg, char *msg,
		       size_t msglen);
bool reexec_check_running(void);
/* Kill the child and release everything; cb is not called. */
void reexec_check_cancel(void);

/* The newest state format this build writes that the target's answer
 * (`supervisord-state-formats N N ...`) lists; 0 if none. For tests. */
unsigned reexec_check_common_format(const char *formats);

#endif
