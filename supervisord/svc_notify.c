/*
 * svc_notify.c - see svc_notify.h. The order in which one message's
 * assignments take effect follows systemd's service_notify_message():
 * MAINPID, readiness, status, errno, watchdog, timeout extension, then the
 * fd store (removal before addition).
 *
 * Every descriptor handed in is closed here unless the fd store took it.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fdstore.h"
#include "log.h"
#include "notify.h"
#include "notify_msg.h"
#include "service.h"
#include "service_priv.h"
#include "svc_notify.h"
#include "procfs.h"

static const char *const access_names[] = {
	[NOTIFY_UNSET] = "unset", [NOTIFY_NONE] = "none", [NOTIFY_MAIN] = "main",
	[NOTIFY_EXEC] = "exec",	  [NOTIFY_ALL] = "all",
};

static void close_fds(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0) {
			close(fds[i]);
			fds[i] = -1;
		}
}

enum notify_access svc_notify_access(const struct unit *u)
{
	if (!u->conf)
		return NOTIFY_NONE;
	const struct svc_conf *c = &u->conf->svc;
	if (c->notify_access != NOTIFY_UNSET)
		return c->notify_access;
	if (SVC_TYPE_IS_NOTIFY(c->type) || c->watchdog_usec > 0 || c->fdstore_max > 0)
		return NOTIFY_MAIN;
	return NOTIFY_NONE;
}

/* A zombie still names its session (and its pid cannot be reused before
 * it is reaped), so it can be attributed; alive says whether it runs. */
static int proc_ids(pid_t pid, pid_t *ppid, pid_t *pgrp, pid_t *sid, bool *alive)
{
	struct proc_ids ids;
	int r = proc_read_ids(pid, &ids);
	if (r < 0)
		return r;
	*ppid = ids.ppid, *pgrp = ids.pgrp, *sid = ids.session;
	*alive = proc_ids_alive(&ids);
	return 0;
}

/* Does pid run in the unit's session or process group? The main process
 * and every control process are started as session leaders, so their
 * pids name both. */
static bool in_unit(const struct unit *u, pid_t pid)
{
	pid_t mp = u->svc.pid, cp = u->svc.control_pid, pp, pg, sid, mpp, mpg, msid;
	bool alive;
	if ((mp <= 0 && cp <= 0) || proc_ids(pid, &pp, &pg, &sid, &alive) < 0)
		return false;
	if (mp > 0 && (sid == mp || pg == mp))
		return true;
	if (cp > 0 && (sid == cp || pg == cp))
		return true;
	/* After MAINPID= the main process need not lead anything: compare
	 * with the session it is in. */
	return mp > 0 && proc_ids(mp, &mpp, &mpg, &msid, &alive) == 0 && (sid == msid || pg == mpg);
}

enum sender { SENDER_MAIN, SENDER_CONTROL, SENDER_OTHER };
static const char *const sender_names[] = { "the main process", "a control process", "another process" };

/* The service a sender belongs to, and what it is there: its main
 * process, a control process (ExecStartPre= and the like: one of the
 * Exec*= commands itself), or another process of the unit. */
static struct unit *unit_of(pid_t pid, enum sender *who)
{
	struct unit *u = svc_by_pid(pid);
	*who = SENDER_MAIN;
	if (u)
		return u;
	*who = SENDER_CONTROL;
	for (size_t i = 0; i < unit_count(); i++) {
		struct unit *v = unit_at(i);
		if (v->kind == UNIT_SERVICE && v->conf && v->svc.control_pid == pid)
			return v;
	}
	*who = SENDER_OTHER;
	for (size_t i = 0; i < unit_count(); i++) {
		struct unit *v = unit_at(i);
		if (v->kind == UNIT_SERVICE && v->conf && (v->svc.pid > 0 || v->svc.control_pid > 0) &&
		    in_unit(v, pid))
			return v;
	}
	return NULL;
}

/* systemd's table: main is heard unless none; a control process with
 * exec or all; any other process of the unit with all only. */
static bool may_notify(enum notify_access a, enum sender who)
{
	switch (a) {
	case NOTIFY_MAIN:
		return who == SENDER_MAIN;
	case NOTIFY_EXEC:
		return who != SENDER_OTHER;
	case NOTIFY_ALL:
		return true;
	default:
		return false;
	}
}

/* MAINPID= (systemd's rules, TEST-20): 0 and 1 never, nor ourselves, nor
 * a pid that does not exist; a pid inside the unit from anyone allowed to
 * notify; one outside only from a privileged sender. */
static void set_main_pid(struct unit *u, const struct ucred *cred, pid_t pid)
{
	struct service *s = &u->svc;
	pid_t pp, pg, sid;
	bool alive = false;
	if (pid == s->pid)
		return;
	if (!svc_is_active(u) || s->pid <= 0) {
		log_warn("%s: MAINPID=%d ignored: the service is not running", u->name, (int)pid);
		return;
	}
	if (pid <= 1 || pid == getpid() || proc_ids(pid, &pp, &pg, &sid, &alive) < 0 || !alive) {
		log_warn("%s: MAINPID=%d ignored: not a process that can be a main process", u->name, (int)pid);
		return;
	}
	if (!in_unit(u, pid) && cred->uid != 0) {
		log_warn("%s: MAINPID=%d ignored: outside the service, and pid %d is not privileged", u->name,
			 (int)pid, (int)cred->pid);
		return;
	}
	if (svc_by_pid(pid)) {
		log_warn("%s: MAINPID=%d ignored: that is another service's main process", u->name, (int)pid);
		return;
	}
	log_info("%s: main process is now %d (was %d)", u->name, (int)pid, (int)s->pid);
	s->pid = pid;
}

static void extend_timeout(struct unit *u, uint64_t usec)
{
	struct service *s = &u->svc;
	if (s->tkind != TMR_START && s->tkind != TMR_STOP)
		return;
	uint64_t now = now_mono_usec();
	if (usec >= CONF_USEC_INFINITY - now) {
		svc_arm_timer(u, s->tkind, CONF_USEC_INFINITY);
		return;
	}
	/* Extends, never shortens: "at least usec from now". */
	if (now + usec > s->deadline_mono)
		svc_arm_timer(u, s->tkind, usec);
}

static void store_fds(uv_loop_t *loop, struct unit *u, const struct notify_msg *m, int *fds, size_t nfds)
{
	unsigned max = u->conf->svc.fdstore_max;
	char name[NOTIFY_FDNAME_MAX + 1] = "stored";
	if (max == 0) {
		/* sd_notify(3): "no error is returned ... but the service is not
		 * actually configured" - nothing to warn about. */
		log_debug("%s: FDSTORE=1 without FileDescriptorStoreMax=: closed %zu descriptors", u->name, nfds);
		close_fds(fds, nfds);
		return;
	}
	if (m->has_fdname)
		snprintf(name, sizeof name, "%.*s", (int)m->fdname.len, m->fdname.p);
	for (size_t i = 0; i < nfds; i++) {
		int fd = fds[i];
		fds[i] = -1; /* now the store's, which closes it on any error */
		int r = fdstore_add(loop, u, fd, name, !m->fdpoll_off);
		if (r == -ENOSPC) {
			log_warn("%s: cannot store more fds than FileDescriptorStoreMax=%u, closing remaining %zu",
				 u->name, max, nfds - i);
			close_fds(fds + i, nfds - i);
			return;
		}
		if (r < 0)
			log_warn("%s: storing fd '%s': %s", u->name, name, strerror(-r));
	}
}

static void apply(uv_loop_t *loop, struct unit *u, const struct ucred *cred, const struct notify_msg *m,
		  int *fds, size_t nfds)
{
	struct service *s = &u->svc;
	const struct svc_conf *c = &u->conf->svc;

	if (m->has_mainpid)
		set_main_pid(u, cred, m->mainpid);
	if (m->reloading && s->state == SVC_RUNNING)
		s->notify_reloading = true;
	/* Type=notify-reload: after ReloadSignal=, RELOADING=1 (not older than
	 * the signal by its MONOTONIC_USEC=), then READY=1 ends the reload.
	 * Unlike systemd, a RELOADING=1 without MONOTONIC_USEC= is taken too
	 * (older libraries send none, and systemd then waits out the timeout). */
	if (m->reloading && s->state == SVC_RELOADING && s->reload_notify == 1 &&
	    (!m->has_monotonic || m->monotonic_usec >= s->reload_begin_mono))
		s->reload_notify = 2;
	if (m->ready) {
		s->notify_reloading = false;
		if (SVC_TYPE_IS_NOTIFY(c->type) && s->state == SVC_STARTING) {
			log_info("%s: ready", u->name);
			svc_main_ready(u); /* ExecStartPost=, or RUNNING: completes waiting start jobs */
		} else if (s->state == SVC_RELOADING && s->reload_notify == 2) {
			s->reload_notify = 0;
			log_info("%s: reloaded", u->name);
			svc_reload_reply(u, 0, "");
			svc_enter_running(u);
		}
	}
	if (m->stopping)
		s->notify_stopping = true;
	if (m->has_status)
		text_setf(&s->status_text, SVC_STATUS_MAX, "%.*s", (int)m->status.len, m->status.p);
	else if (m->status_invalid)
		log_warn("%s: STATUS= from pid %d is not UTF-8, ignored", u->name, (int)cred->pid);
	if (m->has_errno)
		s->notify_errno = m->errno_value;
	if (m->has_exit_status)
		log_debug("%s: EXIT_STATUS=%d", u->name, m->exit_status);

	if (m->watchdog_trigger && svc_is_active(u))
		svc_watchdog_fire(u);
	else if (m->watchdog_ping)
		svc_watchdog_reset(u);
	if (m->has_watchdog_usec) {
		s->watchdog_usec_override = m->watchdog_usec;
		log_info("%s: watchdog interval set to %llu usec by the service", u->name,
			 (unsigned long long)m->watchdog_usec);
		svc_watchdog_reset(u);
	}
	if (m->has_extend_timeout)
		extend_timeout(u, m->extend_timeout_usec);

	if (m->fdname_invalid && (m->fdstore || m->fdstore_remove))
		log_warn("%s: FDNAME= from pid %d is not a valid name, ignored", u->name, (int)cred->pid);
	if (m->fdstore_remove) {
		char name[NOTIFY_FDNAME_MAX + 1];
		if (!m->has_fdname) {
			log_warn("%s: FDSTOREREMOVE=1 without a valid FDNAME=, ignored", u->name);
		} else {
			snprintf(name, sizeof name, "%.*s", (int)m->fdname.len, m->fdname.p);
			log_debug("%s: removed %u stored fds named '%s'", u->name, fdstore_remove(u, name), name);
		}
	}
	if (m->fdstore && nfds > 0)
		store_fds(loop, u, m, fds, nfds);
	/* sd_notify(3): fds "on a message without FDSTORE=1 are immediately
	 * closed on reception". */
	close_fds(fds, nfds);
}

void svc_notify_dispatch(uv_loop_t *loop, const struct ucred *cred, char *payload, size_t len, int *fds,
			 size_t nfds)
{
	struct notify_msg m;
	notify_msg_parse(payload, len, &m);

	/* BARRIER=1 is the manager's business, not a unit's: the sender waits
	 * for its fd to be closed, which tells it every earlier datagram has
	 * been processed (they are, in order). */
	if (m.barrier) {
		if (nfds != 1)
			log_warn("notify: BARRIER=1 from pid %d with %zu descriptors instead of 1, closing them",
				 (int)cred->pid, nfds);
		close_fds(fds, nfds);
		return;
	}

	enum sender who;
	struct unit *u = unit_of(cred->pid, &who);
	if (!u) {
		log_warn("notify: message from pid %d, which belongs to no running service: dropped%s", (int)cred->pid,
			 nfds ? " and its descriptors closed" : "");
		close_fds(fds, nfds);
		return;
	}
	enum notify_access a = svc_notify_access(u);
	if (!may_notify(a, who)) {
		log_warn("%s: notify message from pid %d refused (%s; NotifyAccess=%s, main pid %d): dropped%s",
			 u->name, (int)cred->pid, sender_names[who], access_names[a], (int)u->svc.pid,
			 nfds ? " and its descriptors closed" : "");
		close_fds(fds, nfds);
		return;
	}
	apply(loop, u, cred, &m, fds, nfds);
}

/* ---- hooks for service.c ---- */

void svc_notify_init(struct unit *u, uv_loop_t *loop)
{
	struct service *s = &u->svc;
	uv_timer_init(loop, &s->watchdog);
	s->watchdog.data = u;
}

void svc_notify_spawned(struct unit *u)
{
	struct service *s = &u->svc;
	svc_watchdog_stop(u);
	s->watchdog_usec_override = 0;
	s->notify_errno = 0;
	s->notify_stopping = false;
	s->notify_reloading = false;
}

/* FileDescriptorStorePreserve=: yes keeps the store until the daemon
 * exits; restart (the default) and no release it once the service is down
 * for good (no restart pending); no also on the stop half of a restart. */
static void release_fdstore(struct unit *u, const char *why)
{
	if (!u->svc.fdstore)
		return;
	log_info("%s: %s, releasing %u stored fds", u->name, why, u->svc.n_fdstore);
	fdstore_clear(u);
}

void svc_notify_state_changed(struct unit *u, enum svc_state old)
{
	struct service *s = &u->svc;
	/* systemd starts it with the running phase (ExecStartPost= included)
	 * and keeps it through a reload. */
	bool up = s->state == SVC_RUNNING || s->state == SVC_START_POST || s->state == SVC_RELOADING;
	bool was_up = old == SVC_RUNNING || old == SVC_START_POST || old == SVC_RELOADING;
	if (up && !was_up)
		svc_watchdog_reset(u);
	else if (!up && s->state != SVC_STARTING)
		svc_watchdog_stop(u);
	if ((s->state == SVC_STOPPED || s->state == SVC_FAILED) && u->conf && u->conf->svc.fdstore_preserve != 2)
		release_fdstore(u, s->state == SVC_STOPPED ? "stopped" : "failed");
}

void svc_notify_exited(struct unit *u)
{
	struct service *s = &u->svc;
	notify_drain(); /* while the pid still names the service */
	svc_watchdog_stop(u);
	if (s->state == SVC_STOPPING && s->want_up && u->conf && u->conf->svc.fdstore_preserve == 0)
		release_fdstore(u, "restarting with FileDescriptorStorePreserve=no");
}
