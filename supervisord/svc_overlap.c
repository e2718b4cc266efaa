/*
 * svc_overlap.c - the zero-gap overlapping restart (RestartMode=overlap,
 * `supctl restart --overlap`).
 *
 * The running main process becomes the "old" process and keeps serving;
 * a new main process is started with the same held sockets and fd store
 * (both accept from the same listening socket: the kernel hands each
 * connection to one of them). When the new one is ready -- READY=1 for
 * Type=notify, exec done for the others -- the old one gets KillSignal=
 * and drains; TimeoutStopSec= later, SIGKILL. So some process is always
 * accepting, and no client waits for a process to start.
 *
 * If the new process dies before it is ready, the old one becomes the main
 * process again and the restart fails: nothing is lost.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "log.h"
#include "service.h"
#include "service_priv.h"

static void old_timer_cb(uv_timer_t *t);

static void old_timer_stop(struct service *s)
{
	if (s->old_timer) {
		uv_timer_stop(s->old_timer);
		unit_close_free((uv_handle_t *)s->old_timer);
		s->old_timer = NULL;
	}
	s->old_deadline_mono = 0;
}

static void old_timer_arm(struct unit *u, uint64_t usec)
{
	struct service *s = &u->svc;
	old_timer_stop(s);
	if (usec == CONF_USEC_INFINITY)
		return;
	s->old_timer = malloc(sizeof *s->old_timer);
	if (!s->old_timer)
		return;
	uv_timer_init(u->svc.timer.loop, s->old_timer);
	s->old_timer->data = u;
	s->old_deadline_mono = now_mono_usec() + usec;
	uv_timer_start(s->old_timer, old_timer_cb, (usec + 999) / 1000, 0);
}

static void signal_old(struct unit *u, int sig)
{
	pid_t pid = u->svc.old_pid;
	if (pid <= 0)
		return;
	if (kill(-pid, sig) < 0)
		kill(pid, sig);
	if (sig != SIGKILL)
		kill(-pid, SIGCONT);
}

static void old_timer_cb(uv_timer_t *t)
{
	struct unit *u = t->data;
	struct service *s = &u->svc;
	s->old_deadline_mono = 0;
	if (!s->old_pid || s->old_sigkill)
		return;
	int fk = u->conf ? u->conf->svc.final_kill_signal : SIGKILL;
	const char *fkn = sigabbrev_np(fk);
	log_warn("%s: old process %d did not stop within TimeoutStopSec=, sending SIG%s", u->name, (int)s->old_pid,
		 fkn ? fkn : "?");
	s->old_sigkill = true;
	signal_old(u, fk);
}

int svc_overlap_begin(struct unit *u, char *err, size_t errlen)
{
	struct service *s = &u->svc;
	if (s->state != SVC_RUNNING || s->pid <= 0 || s->old_pid) {
		snprintf(err, errlen, "%s: an overlapping restart needs a running service", u->name);
		return -EBUSY;
	}
	log_info("%s: overlapping restart: pid %d serves until its successor is ready", u->name, (int)s->pid);
	s->old_pid = s->pid;
	s->old_signaled = false;
	s->old_sigkill = false;
	s->pid = 0;
	s->want_up = true;
	svc_spawn_main(u, false);
	if (s->pid == 0) {
		/* Could not even start: the old one carries on as before. */
		s->pid = s->old_pid;
		s->old_pid = 0;
		snprintf(err, errlen, "%s: overlapping restart failed: %s", u->name, text_str(s->error));
		s->state = SVC_RUNNING;
		svc_set_state(u, SVC_RUNNING);
		return -EIO;
	}
	return 0;
}

void svc_overlap_check(struct unit *u)
{
	struct service *s = &u->svc;
	if (!s->old_pid || s->old_signaled)
		return;
	bool ready = s->state == SVC_RUNNING && s->exec_fd < 0 && s->result != RES_EXEC;
	if (!ready)
		return;
	log_info("%s: pid %d is ready, stopping pid %d", u->name, (int)s->pid, (int)s->old_pid);
	s->old_signaled = true;
	signal_old(u, u->conf->svc.kill_signal);
	old_timer_arm(u, u->conf->svc.timeout_stop_usec);
}

bool svc_overlap_new_died(struct unit *u, int st)
{
	struct service *s = &u->svc;
	if (!s->old_pid || s->old_signaled)
		return false; /* the old one is already going: an ordinary exit */
	log_err("%s: new process %d died before it was ready; pid %d carries on", u->name, (int)s->pid,
		(int)s->old_pid);
	svc_disarm_timer(u);
	s->pid = s->old_pid;
	s->old_pid = 0;
	s->wait_status = st;
	if (s->result == RES_SUCCESS)
		s->result = RES_EXIT_CODE;
	if (!s->error)
		text_setf(&s->error, SVC_ERROR_MAX, "overlapping restart: the new process exited before it was ready");
	/* Bump the generation so a waiting restart job sees a fresh failure. */
	s->generation++;
	s->state = SVC_AUTO_RESTART; /* transient: lets the restart job fail */
	svc_set_state(u, SVC_AUTO_RESTART);
	svc_set_state(u, SVC_RUNNING);
	return true;
}

void svc_overlap_old_exited(struct unit *u, int st)
{
	struct service *s = &u->svc;
	log_info("%s: old process %d finished (%s %d)", u->name, (int)s->old_pid,
		 WIFEXITED(st) ? "status" : "signal", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	s->old_pid = 0;
	s->old_signaled = false;
	s->old_sigkill = false;
	old_timer_stop(s);
	unit_state_changed(u);
}

void svc_overlap_stop_old(struct unit *u)
{
	struct service *s = &u->svc;
	if (!s->old_pid)
		return;
	if (!s->old_signaled) {
		s->old_signaled = true;
		signal_old(u, u->conf->svc.kill_signal);
		old_timer_arm(u, u->conf->svc.timeout_stop_usec);
	}
}

void svc_overlap_restore(struct unit *u)
{
	struct service *s = &u->svc;
	if (!s->old_pid || !s->old_deadline_mono || s->old_sigkill)
		return;
	uint64_t now = now_mono_usec(), dl = s->old_deadline_mono;
	old_timer_arm(u, dl > now ? dl - now : 0);
	s->old_deadline_mono = dl;
}
