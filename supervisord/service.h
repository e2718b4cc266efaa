/*
 * service.h - the service state machine.
 *
 * Requests (start/stop/restart) set `want_up` and act according to the
 * current state; events (exec result, exit, timer, socket activity) move the
 * state. Every (state, event) pair is decided in service.c; an unexpected
 * pair logs and does nothing.
 *
 *            start                 exec ok / READY=1
 *   STOPPED -------> STARTING ----------------------> RUNNING
 *      ^  \            |  exit                          | exit (Restart= says yes)
 *      |   \ (simple)  v                                v
 *      |    `------> RUNNING                       AUTO_RESTART --RestartSec--> spawn
 *      |                                                | exit (no restart)
 *      |   stop: KillSignal, TimeoutStopSec, SIGKILL    v
 *      `------------------- STOPPING <----------- STOPPED / FAILED
 */
#ifndef SUPD_SERVICE_H
#define SUPD_SERVICE_H

#include "unit.h"

void svc_init(struct unit *u, uv_loop_t *loop);

/* Requests. Each returns 0, or -errno with a message in err when the
 * request cannot even begin (unknown state, unit not loaded). */
int svc_start(struct unit *u, char *err, size_t errlen);
int svc_stop(struct unit *u);
int svc_restart(struct unit *u, char *err, size_t errlen);
/* Restart with the new process started before the old one is stopped
 * (RestartMode=overlap, supctl restart --overlap). Falls back to a plain
 * restart when the service is not running. */
int svc_restart_overlap(struct unit *u, char *err, size_t errlen);
/* Re-apply the consequences of the current state (socket watching, waiting
 * jobs), e.g. after its sockets changed in a reload. */
void svc_refresh(struct unit *u);
/* Does the service have any process (main or draining)? */
bool svc_has_processes(const struct unit *u);

/* Events. svc_reaped dispatches a reaped pid (main or draining process). */
void svc_reaped(pid_t pid, int wait_status);
void svc_on_exit(struct unit *u, int wait_status);
void svc_on_activation(struct unit *u);   /* a socket of it became readable */

/* Is it down in a way that lets its sockets activate it (stopped, or
 * failed for a reason other than the start limit)? */
bool svc_socket_watch_wanted(const struct unit *u);

/* Is the service's main process alive (or being started)? */
bool svc_is_active(const struct unit *u);

/* The service that has `pid` as its main process, or NULL. */
struct unit *svc_by_pid(pid_t pid);

/* Daemon shutdown: stop everything, restart nothing. */
void svc_set_shutting_down(void);
bool svc_shutting_down(void);

const char *svc_state_name(enum svc_state s);
const char *svc_result_name(enum svc_result r);

/* The state shown to users: "failed" for units that did not load. */
const char *unit_state_label(const struct unit *u);

#endif
