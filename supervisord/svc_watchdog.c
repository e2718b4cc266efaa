/*
 * svc_watchdog.c - WatchdogSec=: a service that stops sending WATCHDOG=1
 * for longer than the interval is aborted (SIGABRT, systemd's default
 * WatchdogSignal=), then killed if it outlives TimeoutStopSec= (systemd's
 * TimeoutAbortSec= default); its Restart= policy then applies to the
 * result "watchdog".
 *
 * The service stays in its state while the abort is under way (the result
 * RES_WATCHDOG marks it), so svc_on_exit sees an exit it did not ask for
 * and classifies it by that result. watchdog_deadline_mono always holds
 * the absolute CLOCK_MONOTONIC deadline of the armed timer (0 when not
 * armed): re-exec serializes it, so the countdown survives a re-exec
 * without being reset.
 */
#include <signal.h>
#include <stdio.h>

#include "log.h"
#include "service.h"
#include "service_priv.h"
#include "svc_notify.h"

static void watchdog_cb(uv_timer_t *t);

static const char *sig_name(int sig)
{
	const char *n = sigabbrev_np(sig);
	return n ? n : "?";
}

static void arm(struct unit *u, uint64_t usec)
{
	struct service *s = &u->svc;
	uint64_t now = now_mono_usec();
	s->watchdog_deadline_mono = now + usec;
	uv_timer_start(&s->watchdog, watchdog_cb, (usec + 999) / 1000, 0);
}

uint64_t svc_watchdog_usec(const struct unit *u)
{
	uint64_t v = u->svc.watchdog_usec_override;
	if (!v && u->conf)
		v = u->conf->svc.watchdog_usec;
	return v == CONF_USEC_INFINITY ? 0 : v;
}

void svc_watchdog_stop(struct unit *u)
{
	uv_timer_stop(&u->svc.watchdog);
	u->svc.watchdog_deadline_mono = 0;
}

void svc_watchdog_reset(struct unit *u)
{
	struct service *s = &u->svc;
	uint64_t usec = svc_watchdog_usec(u);
	if (s->result == RES_WATCHDOG && s->pid > 0)
		return; /* too late: the abort is under way */
	if (!usec || !svc_is_active(u) || s->state == SVC_STOPPING) {
		svc_watchdog_stop(u);
		return;
	}
	arm(u, usec);
}

void svc_watchdog_fire(struct unit *u)
{
	struct service *s = &u->svc;
	const struct svc_conf *c = &u->conf->svc;
	if (s->pid <= 0 || s->result == RES_WATCHDOG)
		return;
	s->result = RES_WATCHDOG; /* before the kill: svc_on_exit classifies by it */
	text_setf(&s->error, SVC_ERROR_MAX, "watchdog timeout (%llu ms without WATCHDOG=1)",
		 (unsigned long long)(svc_watchdog_usec(u) / 1000));
	log_err("%s: %s, aborting pid %d with SIG%s", u->name, s->error, (int)s->pid, sig_name(c->watchdog_signal));
	svc_kill_main(u, c->watchdog_signal);
	/* TimeoutAbortSec=, or TimeoutStopSec= when not given (systemd). */
	uint64_t t = c->timeout_abort_usec == CONF_USEC_UNSET ? c->timeout_stop_usec : c->timeout_abort_usec;
	if (t == CONF_USEC_INFINITY)
		svc_watchdog_stop(u);
	else
		arm(u, t); /* then FinalKillSignal= */
}

static void watchdog_cb(uv_timer_t *t)
{
	struct unit *u = t->data;
	struct service *s = &u->svc;
	s->watchdog_deadline_mono = 0;
	if (s->pid <= 0 || !u->conf)
		return;
	if (s->result != RES_WATCHDOG) {
		svc_watchdog_fire(u);
		return;
	}
	if (!u->conf->svc.send_sigkill)
		return;
	log_warn("%s: pid %d survived the watchdog's SIG%s, sending SIG%s", u->name, (int)s->pid,
		 sig_name(u->conf->svc.watchdog_signal), sig_name(u->conf->svc.final_kill_signal));
	s->sigkill_sent = true;
	svc_kill_main(u, u->conf->svc.final_kill_signal);
}

void svc_watchdog_restore(struct unit *u)
{
	struct service *s = &u->svc;
	uint64_t dl = s->watchdog_deadline_mono, now = now_mono_usec();
	if (!dl)
		return;
	uv_timer_start(&s->watchdog, watchdog_cb, dl > now ? (dl - now + 999) / 1000 : 0, 0);
	s->watchdog_deadline_mono = dl; /* the same absolute deadline, not extended */
}
