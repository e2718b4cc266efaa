/*
 * state.h - the daemon's whole state, written before a re-exec and read by
 * the new image. The encoding is in state_codec.h; this is the content.
 *
 * Formats 1 and 2 (they differ only in the checksum, and in format 2's
 * `listeners` record), in order (every value escaped, see state_codec.h):
 *   supervisord-state N
 *   previous-binary PATH        the image that wrote it (fallback target)
 *   version STRING              its version, for logs
 *   control-fd N / control-path P
 *   notify-fd N / notify-path P (when a notify socket exists)
 *   log-epoll N                 the epoll instance every log pipe's read end
 *                               is registered in (before the units)
 *   client FD UID PID HELLO     one per control connection
 *   begin-unit NAME             then the unit's keys, then end-unit:
 *     path P / text T           the unit file as loaded (re-parsed); format 2
 *                               leaves out a path that is UNITS_DIR/NAME
 *     [service] state S, want-up B, result R, pid N, wait-status N,
 *       restarts N, generation N, since N, started-mono N, exec-fd N,
 *       timer KIND DEADLINE (absolute CLOCK_MONOTONIC usec), start-ring
 *       N..., sigkill-sent B, error T, status-text T, watchdog-deadline N,
 *       watchdog-usec N, notify-errno N, notify-stopping B,
 *       notify-reloading B, stop-requested B, fdstore FD POLL NAME,
 *       control-pid N, control-idx N, control-exec-fd N (ExecStartPre=
 *       and friends), reload-reply CLIENT-FD ID, flush-restarts B,
 *       dep-start B, dep-stop B, dep-automatic B (requests waiting for
 *       ordering; automatic: a socket activation),
 *       log-pipe RFD WFD, log-file FD SIZE, log-partial T,
 *       private-tmp P, private-var-tmp P (PrivateTmp= directories, checked
 *       to be ones privtmp_create makes), netns-fd N (PrivateNetwork=:
 *       checked to be a network namespace)
 *     [socket] sock-state S, sock-error T, sock-since N, accepted N,
 *       refused N, and its listeners' fds: format 2 "listeners FD,-,FD"
 *       (one entry per Listen*= line, "-" for one not open), format 1
 *       "listener INDEX FD" per open one
 *     A number or flag that is 0 may be left out: a unit is created with
 *     every one of them 0 before its keys are read.
 *   end-unit
 *   job CLIENT-FD ID TYPE GEN0 UNIT   waiting control jobs
 *   reexec-reply CLIENT-FD ID         the request the new image answers
 *   fds RANGES                  every fd named above, sorted: "3-7,9,12-40"
 *                               (read before anything else: fdclaim)
 *   checksum HEX16
 * Unknown keys are logged and skipped (an older image can hand over to a
 * newer one). Every number is range-checked, every fd must have been
 * inherited and may be named once, every name must be valid.
 */
#ifndef SUPD_STATE_H
#define SUPD_STATE_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "fdclaim.h"
#include "state_codec.h"

struct client;

/* Serialize into o. On return `keep` lists every fd handed over (sorted;
 * the "fds" record), and `toggle` the subset that may be close-on-exec
 * and must have FD_CLOEXEC cleared for the exec. The rest (listeners, log
 * pipes and files) are made without it and stay so: every child the daemon
 * starts closes what it does not pass (close_range CLOEXEC before exec). */
int state_write(struct state_out *o, struct fdlist *keep, struct fdlist *toggle, const char *prev_binary,
		const struct client *req, uint32_t req_id);

/* Read a state into the (empty) registry and adopt everything.
 * On failure (-EBADMSG, message in err) the process must not continue
 * with what was built: the caller execs away (fallback or rescue), and
 * every inherited fd is still open with the flags it came with. */
int state_read(uv_loop_t *loop, struct state_in *in, char *err, size_t errlen);

#endif
