/*
 * svc_notify.h - what sd_notify messages mean for a service: readiness,
 * status, main pid, the watchdog and the fd store (sd_notify(3),
 * systemd.service(5)).
 *
 * A datagram is attributed by the sender's kernel credentials: to the
 * service whose main process sent it, or else to the service whose session
 * (the main process calls setsid) or process group the sender is in. Then
 * NotifyAccess= decides: none drops everything, main only the main pid,
 * exec and all also the other processes of the unit's session.
 *
 * The service state machine (service.c) calls the hooks below at its
 * transitions; nothing else in service.c knows about notifications.
 */
#ifndef SUPD_SVC_NOTIFY_H
#define SUPD_SVC_NOTIFY_H

#include <stdbool.h>
#include <sys/socket.h>

#include "unit.h"

/* One received datagram: payload (len bytes, NUL-terminated at len) and
 * fds, all owned by the callee from here on (closed unless stored). */
void svc_notify_dispatch(uv_loop_t *loop, const struct ucred *cred, char *payload, size_t len, int *fds,
			 size_t nfds);

/* NotifyAccess= with the implicit default resolved: main when Type=notify,
 * WatchdogSec= or FileDescriptorStoreMax= is set, else none. */
enum notify_access svc_notify_access(const struct unit *u);

/* ---- hooks for service.c ---- */

/* svc_init: set up the watchdog timer. */
void svc_notify_init(struct unit *u, uv_loop_t *loop);
/* A new main process was forked: forget the last one's notify state. */
void svc_notify_spawned(struct unit *u);
/* svc_set_state changed the state from `old` (watchdog, fd store release). */
void svc_notify_state_changed(struct unit *u, enum svc_state old);
/* The main process is gone; called before the exit is classified. */
void svc_notify_exited(struct unit *u);

/* ---- watchdog (svc_watchdog.c) ---- */

/* The interval in force: WATCHDOG_USEC= if the service set one, else
 * WatchdogSec=; 0 when off. */
uint64_t svc_watchdog_usec(const struct unit *u);
/* (Re)start the countdown from now; stops it when the interval is 0. */
void svc_watchdog_reset(struct unit *u);
void svc_watchdog_stop(struct unit *u);
/* WATCHDOG=trigger: act as if it had expired now. */
void svc_watchdog_fire(struct unit *u);
/* After a re-exec: arm the timer for watchdog_deadline_mono as restored
 * (an absolute CLOCK_MONOTONIC deadline, so the countdown is not reset). */
void svc_watchdog_restore(struct unit *u);

#endif
