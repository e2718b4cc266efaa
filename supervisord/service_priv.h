/*
 * service_priv.h - the state machine's internal steps, shared by the files
 * that extend it (svc_notify.c for sd_notify, state restore after re-exec).
 * Not for other modules: they use service.h.
 */
#ifndef SUPD_SERVICE_PRIV_H
#define SUPD_SERVICE_PRIV_H

#include "service.h"

/* Every transition goes through here: time stamp, socket watching, jobs. */
void svc_set_state(struct unit *u, enum svc_state st);
void svc_down_cleanup(struct unit *u, bool restarting);
/* The start is skipped (a Condition*= or ExecCondition= said so): the unit
 * ends up stopped, its start job succeeds with "skipped: why". teardown:
 * processes may be left (ExecCondition=), so go down the usual way. */
void svc_skip_start(struct unit *u, const char *why, bool teardown);
/* Type=forking (svc_pidfile.c): the start process exited successfully.
 * true when the daemon was found (and made the main process) or is being
 * waited for (PIDFile= not there yet, processes of the unit left); false
 * with result and error set when the start failed. */
bool svc_forking_started(struct unit *u);
/* Stop waiting for PIDFile= (leaving STARTING, or the unit goes). */
void svc_pidfile_stop(struct unit *u);
/* After a re-exec: resume a wait for PIDFile=. */
void svc_pidfile_restore(struct unit *u);
/* The unit's one state timer (start/stop timeout, restart delay). usec is
 * relative; CONF_USEC_INFINITY disarms. */
void svc_arm_timer(struct unit *u, enum svc_timer kind, uint64_t usec);
void svc_disarm_timer(struct unit *u);
void svc_timer_cb(uv_timer_t *t);
/* Signal the main process's group (then SIGCONT). */
void svc_kill_main(struct unit *u, int sig);
/* Watch the exec-status pipe in svc.exec_fd. */
void svc_watch_exec(struct unit *u);
/* KillSignal=, arm TimeoutStopSec=, state STOPPING. */
void svc_begin_stop(struct unit *u);

/* Start the main process (automatic: counts toward the start limit). */
void svc_spawn_main(struct unit *u, bool automatic);
/* The whole start: checks, ExecStartPre=, then the main process. */
void svc_begin_start(struct unit *u, bool automatic);
/* The exec-status pipe of the main process: read it, stop watching it. */
void svc_handle_exec_status(struct unit *u);
void svc_close_exec_watch(struct unit *u);
/* The same without the checks (after ExecStartPre=). */
void svc_spawn_main_now(struct unit *u);
/* The main process counts as started: ExecStartPost=, or RUNNING. */
void svc_main_ready(struct unit *u);
void svc_enter_running(struct unit *u);
/* A start failed after something ran: tear down (FINAL_SIGTERM), then
 * Restart= decides. */
void svc_start_failed(struct unit *u, enum svc_result res, const char *why);
/* Kill what KillMode= names with KillSignal=, then STOPPING (asked) or
 * FINAL_SIGTERM (its own exit), or straight on when nothing is left. */
void svc_enter_teardown(struct unit *u, enum svc_state st);
/* In a teardown: is everything gone? Then finish it. */
void svc_check_drained(struct unit *u);
/* The last ExecStopPost= command is done: the end it ran for goes on. */
void svc_stop_post_done(struct unit *u);
/* The delay before the next automatic restart (RestartSteps=). */
uint64_t svc_restart_delay(const struct unit *u);
/* Requests as deps.c carries them out (svc_start/svc_stop queue them). */
int svc_start_now(struct unit *u, bool automatic, char *err, size_t errlen);
void svc_stop_now(struct unit *u);
/* Fail a start because a unit it requires failed (message in msg). */
void svc_fail_dependency(struct unit *u, const char *msg);

/* svc_control.c: ExecStartPre=, ExecStartPost=, ExecReload=, ExecStop= */
/* Does the list for state st have commands? */
bool svc_control_has(const struct unit *u, enum svc_state st);
/* Run command idx of st's list and enter st; false when the list is done. */
bool svc_control_next(struct unit *u, enum svc_state st, unsigned idx);
void svc_control_exited(struct unit *u, int wait_status);
/* SIGKILL a control process that is no longer wanted; it is only reaped. */
void svc_control_abandon(struct unit *u);
/* Answer a waiting `supctl reload UNIT` (err 0: success). */
void svc_reload_reply(struct unit *u, int err, const char *msg);

/* svc_kill.c: KillMode= */
/* Signal the main process, the control process and (control-group, or
 * mixed when final) the leftovers. Returns how many were signalled. */
unsigned svc_kill_all(struct unit *u, int sig, bool final);
/* Leftover processes of the unit (descendants naming it in their
 * environment, other than its main and control process); signalled when
 * sig is not 0. Returns the count. */
unsigned svc_leftovers(struct unit *u, int sig);
/* Type=forking without a PID file: the one child of ours that carries
 * u's marker and is nobody's main or control process; 0 none, -1 more
 * than one. */
pid_t svc_guess_main(struct unit *u);
/* Between begin and end (nested), every leftover check shares one scan of
 * our process tree: used around batches that touch many units at once
 * (a round of reaped exits, a shutdown, dependency propagation). */
void svc_scan_begin(void);
void svc_scan_end(void);
/* Does a teardown wait for leftovers (control-group, mixed)? */
bool svc_waits_for_leftovers(const struct unit *u);

/* svc_overlap.c */
/* Begin an overlapping restart of a running service; -errno if it cannot. */
int svc_overlap_begin(struct unit *u, char *err, size_t errlen);
/* The new process may have become ready: stop the old one. */
void svc_overlap_check(struct unit *u);
/* The new main process died while the old one still serves: the old one
 * becomes the main process again. Returns true when it handled the exit. */
bool svc_overlap_new_died(struct unit *u, int wait_status);
/* The old process exited. */
void svc_overlap_old_exited(struct unit *u, int wait_status);
/* Stop the old process at once (service stop). */
void svc_overlap_stop_old(struct unit *u);
/* After a re-exec: re-arm the old process's stop timer. */
void svc_overlap_restore(struct unit *u);

#endif
