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

#endif
