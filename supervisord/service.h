/*
 * service.h - the service state machine.
 *
 * Requests (start/stop/restart) set `want_up` and act according to the
 * current state; events (exec result, exit, timer, socket activity) move the
 * state. Every (state, event) pair is decided in service.c; an unexpected
 * pair logs and does nothing.
 *
 *            start                         exec ok / READY=1
 *   STOPPED ----> [START_PRE] ----> STARTING -------------> [START_POST] --> RUNNING
 *      ^           ExecStartPre=      (simple: at once)      ExecStartPost=   |  ^
 *      |                                                           reload  v  |
 *      |                                                       [RELOADING] ExecReload=
 *      |   stop (RUNNING): [STOP_CMD] ExecStop=, then STOPPING: KillSignal=
 *      |   to what KillMode= names, TimeoutStopSec=, SIGKILL; done when the
 *      |   main, control and leftover processes are all gone
 *      |   main exits on its own: FINAL_SIGTERM (the same for its leftovers)
 *      |   then Restart= decides: AUTO_RESTART --delay (RestartSteps=)--> start
 *      `---------------------------------------------- STOPPED / FAILED
 *
 * Starts and stops requested from outside go through deps.c first, which
 * pulls in Requires=/Wants= and holds them until After=/Before= allow.
 */
#ifndef SUPD_SERVICE_H
#define SUPD_SERVICE_H

#include "unit.h"

/* Record a start time in the StartLimit ring (grown on demand). 0 or -errno. */
int svc_ring_push(struct service *s, uint64_t t);
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

/* Run the ExecReload= commands of a running service (`supctl reload
 * UNIT`). 0 when they started, -errno with a message in err. */
int svc_reload(struct unit *u, char *err, size_t errlen);
/* The control connection on client_fd is closing: a reload it waits for
 * answers nobody (the fd number may soon be another client's). */
void svc_reload_client_gone(int client_fd);

/* Events. svc_reaped dispatches a reaped pid (main, draining or control
 * process); false when no service knows it. */
bool svc_reaped(pid_t pid, int wait_status);
/* After a round of reaping: teardowns waiting for leftover processes
 * (KillMode=control-group) look again. */
void svc_reap_settle(void);
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
