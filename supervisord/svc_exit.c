/*
 * svc_exit.c - the service state machine's ends: a process was reaped, a
 * timer fired, a teardown finished. The starts and requests are in
 * service.c; see service.h for the picture.
 *
 * A main process that exits on its own goes through a teardown of what it
 * left behind (FINAL_SIGTERM, KillMode=) before Restart= decides; a
 * requested stop (STOPPING) ends the same way. svc_down() is the one place
 * where a unit that has nothing left decides between AUTO_RESTART (with the
 * RestartSteps= delay), a new start, STOPPED and FAILED.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "log.h"
#include "service.h"
#include "service_priv.h"
#include "svc_notify.h"

/* How the main process ended, as systemd judges it: status 0, what
 * SuccessExitStatus= lists and (except for a oneshot) the "clean" signals
 * are a success. */
static enum svc_result classify_exit(const struct unit *u, int st)
{
	const struct svc_conf *c = &u->conf->svc;
	if (conf_exit_set_test(&c->success_status, st))
		return RES_SUCCESS;
	if (WIFEXITED(st))
		return WEXITSTATUS(st) == 0 ? RES_SUCCESS : RES_EXIT_CODE;
	if (WIFSIGNALED(st)) {
		switch (WTERMSIG(st)) {
		case SIGHUP:
		case SIGINT:
		case SIGTERM:
		case SIGPIPE:
			if (c->type != SVC_TYPE_ONESHOT)
				return RES_SUCCESS;
			/* fall through */
		default:
			return WCOREDUMP(st) ? RES_CORE_DUMP : RES_SIGNAL;
		}
	}
	return RES_SIGNAL;
}

static bool should_restart(const struct unit *u, enum svc_result res)
{
	const struct svc_conf *c = &u->conf->svc;
	if (u->instance_of)
		return false; /* Accept=yes instances are never restarted */
	if (res == RES_START_LIMIT)
		return false;
	/* systemd's order: RestartPreventExitStatus= wins, then
	 * RestartForceExitStatus=, then Restart=. Both look at how the main
	 * process last ended. */
	int st = u->svc.wait_status;
	if (res != RES_EXEC && conf_exit_set_test(&c->restart_prevent, st))
		return false;
	if (res != RES_EXEC && conf_exit_set_test(&c->restart_force, st))
		return true;
	switch (c->restart) {
	case RESTART_NO:
		return false;
	case RESTART_ALWAYS:
		return res != RES_START_LIMIT;
	case RESTART_ON_SUCCESS:
		return res == RES_SUCCESS;
	case RESTART_ON_FAILURE:
		return res != RES_SUCCESS && res != RES_START_LIMIT;
	case RESTART_ON_ABNORMAL:
		return res == RES_SIGNAL || res == RES_CORE_DUMP || res == RES_TIMEOUT || res == RES_WATCHDOG;
	case RESTART_ON_ABORT:
		return res == RES_SIGNAL || res == RES_CORE_DUMP;
	case RESTART_ON_WATCHDOG:
		return res == RES_WATCHDOG;
	}
	return false;
}

static void describe_exit(int st, char *buf, size_t len)
{
	if (WIFEXITED(st))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, len, "killed by signal %d (%s)%s", WTERMSIG(st), strsignal(WTERMSIG(st)),
			 WCOREDUMP(st) ? ", core dumped" : "");
	else
		snprintf(buf, len, "wait status 0x%x", (unsigned)st);
}

bool svc_reaped(pid_t pid, int st)
{
	struct unit *u = svc_by_pid(pid);
	if (u) {
		if (pid == u->svc.old_pid)
			svc_overlap_old_exited(u, st);
		else
			svc_on_exit(u, st);
		return true;
	}
	for (size_t i = 0; i < unit_count(); i++) {
		u = unit_at(i);
		if (u->kind == UNIT_SERVICE && u->conf && u->svc.control_pid == pid) {
			svc_control_exited(u, st);
			return true;
		}
	}
	return false;
}

/* systemd's RestartSteps=/RestartMaxDelaySec=: the delay before the
 * n-th automatic restart in a row grows exponentially from RestartSec=
 * to RestartMaxDelaySec= over RestartSteps= steps:
 *   delay(n) = RestartSec * (Max / RestartSec) ^ ((n - 1) / Steps)
 * and is Max from restart Steps + 1 on. */
uint64_t svc_restart_delay(const struct unit *u)
{
	const struct svc_conf *c = &u->conf->svc;
	unsigned next = u->svc.restarts + 1; /* `restarts` counts restarts already done */
	uint64_t base = c->restart_usec, max = c->restart_max_delay_usec;
	if (next <= 1 || c->restart_steps == 0 || base == 0 || max == CONF_USEC_INFINITY || base >= max)
		return base;
	if (next > c->restart_steps)
		return max;
	long double v = (long double)base *
			powl((long double)max / (long double)base, (long double)(next - 1) / c->restart_steps);
	return v >= (long double)max ? max : (uint64_t)v;
}

/* Everything of the unit is gone: restart, or stay down. asked: the stop
 * was requested (state STOPPING), not an exit of its own. */
static void svc_down(struct unit *u, bool asked)
{
	struct service *s = &u->svc;
	svc_disarm_timer(u);
	/* ExecStopPost= runs once everything is gone, after a stop, an exit
	 * or a failed start alike (systemd); the end resumes when it is done
	 * (svc_stop_post_done). */
	if (s->stop_post_pending && svc_control_has(u, SVC_STOP_POST)) {
		s->stop_post_pending = false;
		s->stop_post_asked = asked;
		if (svc_control_next(u, SVC_STOP_POST, 0))
			return;
	}
	enum svc_result res = s->result;
	if (asked && res == RES_SUCCESS) {
		if (s->want_up && !svc_shutting_down()) {
			svc_down_cleanup(u, true);
			svc_begin_start(u, false);
			return;
		}
		if (!s->condition_skipped)
			text_clear(&s->error); /* a skip keeps its reason */
		s->flush_restarts = true;
		svc_set_state(u, SVC_STOPPED);
		return;
	}
	/* An exit we did not ask for (or a failed stop). */
	if (!svc_shutting_down() && should_restart(u, res) && (s->want_up || !asked)) {
		s->want_up = true;
		uint64_t delay = svc_restart_delay(u);
		log_info("%s: restarting in %llu ms", u->name, (unsigned long long)(delay / 1000));
		svc_arm_timer(u, TMR_RESTART, delay);
		svc_set_state(u, SVC_AUTO_RESTART);
		return;
	}
	if (asked && s->want_up && !svc_shutting_down()) {
		svc_down_cleanup(u, true);
		svc_begin_start(u, false);
		return;
	}
	s->want_up = false;
	s->flush_restarts = true;
	svc_set_state(u, res == RES_SUCCESS ? SVC_STOPPED : SVC_FAILED);
}

/* Is anything of the unit left that its teardown must wait for? */
static bool drained(struct unit *u)
{
	const struct service *s = &u->svc;
	if (s->pid > 0 || s->control_pid > 0)
		return false;
	return !svc_waits_for_leftovers(u) || svc_leftovers(u, 0) == 0;
}

void svc_stop_post_done(struct unit *u)
{
	/* What ExecStopPost= left behind goes too; then the end as it was. */
	svc_enter_teardown(u, u->svc.stop_post_asked ? SVC_STOPPING : SVC_FINAL_SIGTERM);
}

void svc_check_drained(struct unit *u)
{
	struct service *s = &u->svc;
	if ((s->state == SVC_STOPPING || s->state == SVC_FINAL_SIGTERM) && drained(u))
		svc_down(u, s->state == SVC_STOPPING);
}

void svc_reap_settle(void)
{
	for (size_t i = 0; i < unit_count(); i++) {
		struct unit *u = unit_at(i);
		if (u->kind == UNIT_SERVICE && u->conf && !u->dead)
			svc_check_drained(u);
	}
}

void svc_enter_teardown(struct unit *u, enum svc_state st)
{
	struct service *s = &u->svc;
	const struct svc_conf *c = &u->conf->svc;
	if (c->kill_mode == KILL_NONE && s->pid > 0) {
		/* KillMode=none: nothing is killed; the process is left to itself. */
		log_warn("%s: KillMode=none: leaving pid %d running", u->name, (int)s->pid);
		s->pid = 0;
		svc_close_exec_watch(u);
	}
	/* With KillMode=mixed the remains of a main process that is gone get
	 * the final SIGKILL at once (systemd's final-sigkill). */
	bool mixed_remains = c->kill_mode == KILL_MIXED && s->pid <= 0;
	s->sigkill_sent = false;
	/* RestartKillSignal= when the stop is the first half of a restart. */
	bool restarting = st == SVC_STOPPING && s->want_up && c->restart_kill_signal;
	svc_kill_all(u, restarting ? c->restart_kill_signal : c->kill_signal, false);
	if (mixed_remains)
		svc_leftovers(u, c->final_kill_signal);
	if (drained(u)) {
		svc_down(u, st == SVC_STOPPING);
		return;
	}
	svc_arm_timer(u, TMR_STOP, c->timeout_stop_usec);
	svc_set_state(u, st);
}

void svc_on_exit(struct unit *u, int st)
{
	struct service *s = &u->svc;
	char how[128];

	svc_notify_exited(u); /* first: what it sent before dying is still its own */
	/* The exec-status pipe is complete once the child is gone: read it now
	 * so that an exec failure is known whatever order the events came in. */
	if (s->exec_fd >= 0)
		svc_handle_exec_status(u);
	svc_close_exec_watch(u);
	if (s->old_pid && svc_overlap_new_died(u, st))
		return;

	describe_exit(st, how, sizeof how);
	s->pid = 0;
	s->wait_status = st;
	s->main_ended = true;
	enum svc_state was = s->state;
	if (u->instance_of && WIFEXITED(st) && WEXITSTATUS(st) == 0)
		log_debug("%s: main process %s", u->name, how); /* one per connection */
	else
		log_info("%s: main process %s", u->name, how);

	switch (was) {
	case SVC_STOP_CMD:
		/* ExecStop= made it exit: expected. The teardown follows the
		 * command's end. */
		return;
	case SVC_STOPPING:
		/* Whatever its status, an exit on our stop signal is a stop:
		 * the result stays what the stop made it (timeout after SIGKILL). */
		svc_check_drained(u);
		return;
	case SVC_FINAL_SIGTERM:
		svc_check_drained(u);
		return;
	case SVC_START_POST:
	case SVC_RELOADING:
		svc_control_abandon(u);
		s->reload_notify = 0;
		svc_reload_reply(u, -EIO, "the main process exited during the reload");
		break;
	case SVC_STARTING:
		if (u->conf->svc.type == SVC_TYPE_FORKING && s->result == RES_SUCCESS &&
		    classify_exit(u, st) == RES_SUCCESS) {
			/* The start process has daemonized: find the daemon
			 * (svc_pidfile.c), or wait for its PIDFile=. */
			if (svc_forking_started(u))
				return;
		}
		/* A oneshot runs its ExecStart= one after another; after the
		 * last, ExecStartPost=, then it is done (svc_enter_running). */
		if (u->conf->svc.type == SVC_TYPE_ONESHOT && s->result == RES_SUCCESS &&
		    classify_exit(u, st) == RES_SUCCESS) {
			if (s->main_idx + 1 < u->conf->svc.n_exec_start) {
				s->main_idx++;
				svc_spawn_main_now(u);
			} else {
				svc_main_ready(u);
			}
			return;
		}
		break;
	case SVC_CONDITION:
	case SVC_START_PRE:
	case SVC_RUNNING:
	case SVC_STOPPED:
	case SVC_AUTO_RESTART:
	case SVC_FAILED:
	case SVC_EXITED:
	case SVC_STOP_POST:
	case SVC__MAX:
		break;
	}
	svc_disarm_timer(u);
	enum svc_result res = s->result;
	if (res == RES_SUCCESS)
		res = classify_exit(u, st);
	s->result = res;
	if (res != RES_SUCCESS && res != RES_EXEC && res != RES_TIMEOUT && res != RES_WATCHDOG)
		text_setf(&s->error, SVC_ERROR_MAX, "%s", how);
	/* What it left behind goes first (KillMode=), then Restart= decides. */
	svc_enter_teardown(u, SVC_FINAL_SIGTERM);
}

/* ---- timers ---- */

void svc_timer_cb(uv_timer_t *t)
{
	struct unit *u = t->data;
	struct service *s = &u->svc;
	enum svc_timer kind = s->tkind;
	const struct svc_conf *c = &u->conf->svc;
	s->tkind = TMR_NONE;

	switch (kind) {
	case TMR_START:
		if (s->state == SVC_RELOADING && s->reload_notify) {
			s->reload_notify = 0;
			log_err("%s: no RELOADING=1 and READY=1 within TimeoutStartSec=: reload failed", u->name);
			svc_reload_reply(u, -ETIMEDOUT, "reload timed out waiting for RELOADING=1 and READY=1");
			svc_enter_running(u);
			break;
		}
		if (s->state == SVC_RELOADING) {
			log_err("%s: ExecReload= timed out, killing it", u->name);
			svc_control_abandon(u);
			svc_enter_running(u);
			break;
		}
		if (s->state != SVC_STARTING && s->state != SVC_START_PRE && s->state != SVC_START_POST &&
		    s->state != SVC_CONDITION)
			break;
		/* As systemd (TimeoutStartFailureMode=terminate): torn down with
		 * the timeout as the result, then Restart= decides. */
		s->result = RES_TIMEOUT;
		text_setf(&s->error, SVC_ERROR_MAX, "start timed out after %llu ms",
			 (unsigned long long)(c->timeout_start_usec / 1000));
		log_err("%s: %s, stopping", u->name, s->error);
		svc_start_failed(u, RES_TIMEOUT, s->error);
		break;
	case TMR_STOP:
		if (s->state == SVC_STOP_POST) {
			log_err("%s: ExecStopPost= timed out, killing it", u->name);
			if (s->result == RES_SUCCESS)
				s->result = RES_TIMEOUT;
			text_setf(&s->error, SVC_ERROR_MAX, "ExecStopPost= timed out");
			svc_control_abandon(u);
			svc_stop_post_done(u);
			break;
		}
		if (s->state == SVC_STOP_CMD) {
			log_err("%s: ExecStop= timed out", u->name);
			if (s->result == RES_SUCCESS)
				s->result = RES_TIMEOUT;
			text_setf(&s->error, SVC_ERROR_MAX, "ExecStop= timed out");
			svc_enter_teardown(u, SVC_STOPPING);
			break;
		}
		if (s->state != SVC_STOPPING && s->state != SVC_FINAL_SIGTERM)
			break;
		if (!s->sigkill_sent && c->send_sigkill && c->kill_mode != KILL_NONE) {
			const char *fk = sigabbrev_np(c->final_kill_signal);
			log_warn("%s: did not stop within %llu ms, sending SIG%s", u->name,
				 (unsigned long long)(c->timeout_stop_usec / 1000), fk ? fk : "?");
			s->sigkill_sent = true;
			if (s->result == RES_SUCCESS && s->pid > 0)
				s->result = RES_TIMEOUT;
			if (s->pid > 0)
				text_setf(&s->error, SVC_ERROR_MAX, "stop timed out, killed");
			svc_kill_all(u, c->final_kill_signal, true);
			svc_arm_timer(u, TMR_STOP, c->timeout_stop_usec);
		} else if (s->pid > 0 || s->control_pid > 0) {
			log_err("%s: process %d still around after SIGKILL", u->name,
				(int)(s->pid > 0 ? s->pid : s->control_pid));
		} else {
			/* Only unreachable leftovers: stop waiting for them. */
			log_err("%s: %u leftover processes survive; giving up on them", u->name, svc_leftovers(u, 0));
			svc_down(u, s->state == SVC_STOPPING);
		}
		break;
	case TMR_RUNTIME:
		if (s->state != SVC_RUNNING)
			break;
		/* As systemd: stopped (ExecStop= included) with the result
		 * "timeout", and Restart= decides as for a failure. */
		s->result = RES_TIMEOUT;
		text_setf(&s->error, SVC_ERROR_MAX, "ran for RuntimeMaxSec=%llu ms", (unsigned long long)(c->runtime_max_usec / 1000));
		log_warn("%s: %s, stopping it", u->name, s->error);
		s->want_up = should_restart(u, RES_TIMEOUT);
		svc_begin_stop(u);
		break;
	case TMR_RESTART:
		if (s->state != SVC_AUTO_RESTART)
			break;
		s->restarts++;
		svc_begin_start(u, true);
		break;
	case TMR_NONE:
	case TMR__MAX:
		log_debug("%s: stray timer", u->name);
		break;
	}
}

