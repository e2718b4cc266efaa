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
