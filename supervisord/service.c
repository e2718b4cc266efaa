/*
 * service.c - the service state machine; see service.h for the picture.
 *
 * All transitions go through svc_set_state(), which records the time, updates
 * socket watching (a service's sockets are watched only while it is down)
 * and lets waiting control jobs complete.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "deps.h"
#include "execdirs.h"
#include "execplan.h"
#include "fdstore.h"
#include "log.h"
#include "cleanipc.h"
#include "creds.h"
#include "dynuser.h"
#include "netns.h"
#include "sysfilter.h"
#include "privtmp.h"
#include "service.h"
#include "service_priv.h"
#include "sockunit.h"
#include "tty.h"
#include "svc_notify.h"

static bool shutting_down;

static const char *const state_names[SVC__MAX] = {
	[SVC_STOPPED] = "stopped",
	[SVC_STARTING] = "starting",
	[SVC_RUNNING] = "running",
	[SVC_STOPPING] = "stopping",
	[SVC_AUTO_RESTART] = "auto-restart",
	[SVC_FAILED] = "failed",
	[SVC_START_PRE] = "start-pre",
	[SVC_CONDITION] = "condition",
	[SVC_START_POST] = "start-post",
	[SVC_RELOADING] = "reloading",
	[SVC_STOP_CMD] = "stop-cmd",
	[SVC_FINAL_SIGTERM] = "final-sigterm",
	[SVC_EXITED] = "exited",
	[SVC_STOP_POST] = "stop-post",
};

static const char *const result_names[RES__MAX] = {
	[RES_SUCCESS] = "success",
	[RES_EXIT_CODE] = "exit-code",
	[RES_SIGNAL] = "signal",
	[RES_CORE_DUMP] = "core-dump",
	[RES_EXEC] = "exec",
	[RES_TIMEOUT] = "timeout",
	[RES_WATCHDOG] = "watchdog",
	[RES_START_LIMIT] = "start-limit-hit",
	[RES_RESOURCES] = "resources",
	[RES_DEPENDENCY] = "dependency",
	[RES_PROTOCOL] = "protocol",
	[RES_ASSERT] = "assert",
};

const char *svc_state_name(enum svc_state s)
{
	return (unsigned)s < SVC__MAX ? state_names[s] : "unknown";
}

const char *svc_result_name(enum svc_result r)
{
	return (unsigned)r < RES__MAX ? result_names[r] : "unknown";
}

void svc_set_shutting_down(void)
{
	shutting_down = true;
}

bool svc_shutting_down(void)
{
	return shutting_down;
}

bool svc_is_active(const struct unit *u)
{
	switch (u->svc.state) {
	case SVC_CONDITION:
	case SVC_START_PRE:
	case SVC_STARTING:
	case SVC_START_POST:
	case SVC_RUNNING:
	case SVC_RELOADING:
	case SVC_STOP_CMD:
	case SVC_STOPPING:
	case SVC_FINAL_SIGTERM:
	case SVC_EXITED:
	case SVC_STOP_POST:
		return true;
	case SVC_STOPPED:
	case SVC_AUTO_RESTART:
	case SVC_FAILED:
	case SVC__MAX:
		break;
	}
	return false;
}

struct unit *svc_by_pid(pid_t pid)
{
	if (pid <= 0)
		return NULL;
	for (size_t i = 0; i < unit_count(); i++) {
		struct unit *u = unit_at(i);
		if (u->kind == UNIT_SERVICE && (u->svc.pid == pid || u->svc.old_pid == pid))
			return u;
	}
	return NULL;
}

/* ---- side effects ---- */

void svc_timer_cb(uv_timer_t *t);

void svc_arm_timer(struct unit *u, enum svc_timer kind, uint64_t usec)
{
	struct service *s = &u->svc;
	uv_timer_stop(&s->timer);
	s->tkind = TMR_NONE;
	if (usec == CONF_USEC_INFINITY)
		return;
	s->tkind = kind;
	s->deadline_mono = now_mono_usec() + usec;
	uv_timer_start(&s->timer, svc_timer_cb, (usec + 999) / 1000, 0);
}

void svc_disarm_timer(struct unit *u)
{
	uv_timer_stop(&u->svc.timer);
	u->svc.tkind = TMR_NONE;
	u->svc.deadline_mono = 0;
}

/* Is this service down in a way that lets its sockets start it again?
 * Past a start limit, only the operator starts it. After a failed
 * dependency, once every socket it needs listens again (one that a
 * condition skipped, or that failed to bind, was started later); a
 * connection then starts it and what it requires, as in systemd. */
bool svc_socket_watch_wanted(const struct unit *u)
{
	const struct service *s = &u->svc;
	if (shutting_down || s->n_sockets == 0 || s->dep_start)
		return false; /* (a start waiting for its ordering is on its way) */
	if (s->state == SVC_STOPPED)
		return true;
	if (s->state != SVC_FAILED || s->result == RES_START_LIMIT)
		return false;
	for (size_t i = 0; s->result == RES_DEPENDENCY && i < s->n_sockets; i++)
		if (s->sockets[i]->sock.state != SOCK_LISTENING)
			return false;
	return true;
}

/* RemoveIPC=, once the last service running as the same user is down. */
static void remove_ipc(const struct unit *u, const struct svc_conf *c)
{
	for (size_t i = 0; i < unit_count(); i++) {
		const struct unit *o = unit_at(i);
		if (o != u && svc_has_processes(o) && o->conf && o->conf->svc.user && c->user &&
		    !strcmp(o->conf->svc.user, c->user))
			return;
	}
	uid_t uid;
	gid_t gid;
	execplan_run_ids(c, &uid, &gid);
	int n = cleanipc(uid, gid, u->name);
	if (n > 0)
		log_info("%s: RemoveIPC=: %d IPC object%s removed", u->name, n, n == 1 ? "" : "s");
}

/* What goes when the service is down, as in systemd's service_enter_dead:
 * the PIDFile= (so that the next start cannot read a stale pid), and
 * RuntimeDirectory= (execdirs.h; unit_destroy_runtime_data): for good
 * unless RuntimeDirectoryPreserve=yes, and before a restart too
 * (automatic or asked for) with =no. An Accept=yes instance shares its
 * template's directories. */
void svc_down_cleanup(struct unit *u, bool restarting)
{
	const struct svc_conf *c = u->conf ? &u->conf->svc : NULL;
	if (!c)
		return;
	if (c->pid_file && c->type == SVC_TYPE_FORKING)
		unlink(c->pid_file);
	privtmp_remove(u->svc.private_tmp); /* flushed on a restart too, as in systemd */
	if (c->n_credentials)
		creds_remove(u->name); /* systemd: gone with the service, made anew at its next start */
	if (c->remove_ipc && (c->user || c->group))
		remove_ipc(u, c);
	/* DynamicUser=: the IDs go with the service (kept over a restart;
	 * the instances of an Accept=yes socket share their template's). */
	if (c->dynamic_user && !restarting && !u->instance_of)
		dynuser_release(c->user);
	/* The terminal as the next user finds it (systemd's
	 * exec_context_revert_tty). */
	if (conf_svc_uses_tty(c))
		tty_revert(conf_svc_tty_path(c), c->tty_vhangup, c->tty_reset,
			   conf_stdin_tty(c->std_input) && (c->user || c->dynamic_user));
	if (u->svc.netns_fd >= 0) {
		/* The namespace goes with the last process in it. */
		close(u->svc.netns_fd);
		u->svc.netns_fd = -1;
	}
	if (!c->n_exec_dirs[EXECDIR_RUNTIME] || u->instance_of)
		return;
	if (restarting ? c->runtime_preserve == 0 : c->runtime_preserve != 2)
		execdirs_remove_runtime(c, u->name);
}

void svc_set_state(struct unit *u, enum svc_state st)
{
	struct service *s = &u->svc;
	enum svc_state old = s->state;
	if (s->state != st) {
		log_debug("%s: %s -> %s", u->name, svc_state_name(s->state), svc_state_name(st));
		s->state = st;
		s->since_usec = now_real_usec();
		svc_notify_state_changed(u, old); /* watchdog, fd store release */
		if (st != SVC_STARTING)
			svc_pidfile_stop(u);
		if (st != SVC_RELOADING && s->reload_notify) {
			/* A notify-reload reload cut short (a stop, say). */
			s->reload_notify = 0;
			svc_reload_reply(u, -EIO, "reload interrupted: the service changed state");
		}
		if (st == SVC_STOPPED || st == SVC_FAILED || st == SVC_AUTO_RESTART)
			svc_down_cleanup(u, st == SVC_AUTO_RESTART);
	}
	deps_state_changed(u); /* ordering waits, BindsTo= */
	deps_on_transition(u, old, st); /* OnFailure=, OnSuccess= */
	bool watch = svc_socket_watch_wanted(u);
	for (size_t i = 0; i < s->n_sockets; i++)
		sockunit_watch(s->sockets[i], watch);
	if (s->old_pid)
		svc_overlap_check(u);
	unit_state_changed(u);
}

void svc_close_exec_watch(struct unit *u)
{
	struct service *s = &u->svc;
	if (s->exec_watch) {
		uv_poll_stop(s->exec_watch);
		unit_close_free((uv_handle_t *)s->exec_watch);
		s->exec_watch = NULL;
	}
	if (s->exec_fd >= 0) {
		close(s->exec_fd);
		s->exec_fd = -1;
	}
}

/* Signal the main process's process group (it has a session of its own),
 * falling back to the pid if the group is already gone. */
void svc_kill_main(struct unit *u, int sig)
{
	pid_t pid = u->svc.pid;
	if (pid <= 0)
		return;
	if (kill(-pid, sig) < 0 && kill(pid, sig) < 0 && errno != ESRCH)
		log_warn("%s: kill %d with signal %d: %s", u->name, (int)pid, sig, strerror(errno));
	if (sig != SIGKILL && sig != SIGCONT)
		kill(-pid, SIGCONT); /* a stopped process must wake to see it */
}

static void fail_start(struct unit *u, enum svc_result res, const char *msg)
{
	struct service *s = &u->svc;
	s->result = res;
	text_setf(&s->error, SVC_ERROR_MAX, "%s", msg);
	log_err("%s: failed to start: %s", u->name, msg);
	if (res == RES_EXEC || res == RES_RESOURCES) {
		/* As in systemd, a start that fails to exec or to fork is a failure
		 * like any other: Restart= decides, throttled by the start limit. */
		svc_start_failed(u, res, msg);
		return;
	}
	s->want_up = false;
	s->flush_restarts = true;
	svc_set_state(u, SVC_FAILED);
}

void svc_fail_dependency(struct unit *u, const char *msg)
{
	u->svc.dep_start = false;
	fail_start(u, RES_DEPENDENCY, msg);
}

/* A start that failed after something ran (ExecStartPre=, ExecStartPost=):
 * what is left of the unit is torn down, then Restart= decides. */
void svc_start_failed(struct unit *u, enum svc_result res, const char *why)
{
	struct service *s = &u->svc;
	if (s->result == RES_SUCCESS)
		s->result = res;
	text_setf(&s->error, SVC_ERROR_MAX, "%s", why);
	svc_enter_teardown(u, SVC_FINAL_SIGTERM);
}

/* ---- start ---- */

static void exec_watch_cb(uv_poll_t *h, int status, int events);
static void exec_outcome(struct unit *u, const struct spawn_err *failed);

/* Start-rate limit (StartLimitIntervalSec=/StartLimitBurst=): returns true
 * and records this start if it is allowed. Unlike systemd, only automatic
 * starts (Restart= and socket activation) count: an operator may restart a
 * service as often as they like, which zero-loss restarts rely on. */
static bool start_limit_ok(struct unit *u)
{
	struct service *s = &u->svc;
	const struct svc_conf *c = &u->conf->svc;
	if (c->start_limit_interval_usec == 0 || c->start_limit_burst == 0)
		return true;
	uint64_t now = now_mono_usec();
	unsigned keep = 0;
	for (unsigned i = 0; i < s->start_ring_n; i++)
		if (now - s->start_ring[i] < c->start_limit_interval_usec)
			s->start_ring[keep++] = s->start_ring[i];
	s->start_ring_n = keep;
	unsigned burst = c->start_limit_burst < START_LIMIT_MAX ? c->start_limit_burst : START_LIMIT_MAX;
	if (keep >= burst)
		return false;
	svc_ring_push(s, now); /* out of memory: this start goes uncounted */
	return true;
}

int svc_ring_push(struct service *s, uint64_t t)
{
	if (s->start_ring_n == s->start_ring_cap) {
		if (s->start_ring_cap >= START_LIMIT_MAX)
			return -ENOSPC;
		unsigned cap = s->start_ring_cap ? s->start_ring_cap * 2 : 4;
		if (cap > START_LIMIT_MAX)
			cap = START_LIMIT_MAX;
		uint64_t *r = realloc(s->start_ring, cap * sizeof *r);
		if (!r)
			return -ENOMEM;
		s->start_ring = r;
		s->start_ring_cap = cap;
	}
	s->start_ring[s->start_ring_n++] = t;
	return 0;
}

/* Condition*= and Assert*= (condition.h), as systemd's unit_start: a
 * failed condition skips the start (stopped, the start job succeeds), a
 * failed assertion refuses it (stopped, result "assert"). */
static bool conditions_hold(struct unit *u)
{
	struct service *s = &u->svc;
	char why[SVC_ERROR_MAX - 16];
	s->condition_skipped = false;
	int r = cond_check(u->conf->conds, u->conf->n_conds, why, sizeof why);
	if (r == 0)
		return true;
	s->generation++; /* a waiting start job sees this attempt */
	if (r > 0) {
		log_info("%s: skipped: %s", u->name, why);
		svc_skip_start(u, why, false);
		return false;
	}
	s->want_up = false;
	s->dep_start = false;
	s->result = RES_ASSERT;
	text_setf(&s->error, SVC_ERROR_MAX, "%s", why);
	log_err("%s: not starting: %s", u->name, why);
	svc_set_state(u, SVC_STOPPED);
	return false;
}

void svc_skip_start(struct unit *u, const char *why, bool teardown)
{
	struct service *s = &u->svc;
	s->want_up = false;
	s->dep_start = false;
	s->result = RES_SUCCESS;
	s->condition_skipped = true;
	text_setf(&s->error, SVC_ERROR_MAX, "skipped: %s", why);
	if (teardown)
		svc_enter_teardown(u, SVC_STOPPING); /* what ExecCondition= left; ExecStopPost= */
	else
		svc_set_state(u, SVC_STOPPED);
}

/* What every start needs before anything runs: its conditions, the rate
 * limit for automatic starts, and listening sockets. false: it was
 * skipped or failed. */
static bool start_checks(struct unit *u, bool automatic)
{
	struct service *s = &u->svc;
	char err[SVC_ERROR_MAX];
	if (!conditions_hold(u))
		return false;
	if (automatic && !start_limit_ok(u)) {
		fail_start(u, RES_START_LIMIT, "start request repeated too quickly (StartLimitBurst=)");
		return false;
	}
	for (size_t i = 0; i < s->n_sockets; i++) {
		if (s->sockets[i]->sock.state != SOCK_LISTENING) {
			snprintf(err, sizeof err, "socket %s is not listening: %s", s->sockets[i]->name,
				 s->sockets[i]->sock.error ? s->sockets[i]->sock.error : "stopped");
			fail_start(u, RES_DEPENDENCY, err);
			return false;
		}
	}
	return true;
}

void svc_spawn_main_now(struct unit *u)
{
	struct service *s = &u->svc;
	const struct svc_conf *c = &u->conf->svc;
	char err[SVC_ERROR_MAX];

	struct exec_plan plan;
	if (c->n_exec_start == 0) {
		/* A oneshot without ExecStart=: nothing to run, started. */
		s->generation++;
		s->started_mono = now_mono_usec();
		s->result = RES_SUCCESS;
		text_clear(&s->error);
		svc_set_state(u, SVC_STARTING);
		svc_main_ready(u);
		return;
	}
	if (s->main_idx >= c->n_exec_start)
		s->main_idx = 0; /* the file changed under a re-exec: start over */
	int r = execplan_build(u, &c->exec_start[s->main_idx], EXECPLAN_MAIN, &plan, err, sizeof err);
	if (r < 0) {
		fail_start(u, r == -ENOMEM ? RES_RESOURCES : RES_EXEC, err);
		return;
	}
	pid_t pid;
	int status_fd;
	struct spawn_err now;
	r = spawn_start(&plan.req, &pid, &status_fd, &now);
	execplan_free(&plan);
	if (s->conn_fd >= 0) {
		/* An Accept=yes connection: the child has its copy now. */
		close(s->conn_fd);
		s->conn_fd = -1;
	}
	if (r < 0) {
		snprintf(err, sizeof err, "fork: %s", strerror(-r));
		fail_start(u, RES_RESOURCES, err);
		return;
	}

	s->pid = pid;
	s->main_ended = false;
	s->generation++;
	s->started_mono = now_mono_usec();
	s->result = RES_SUCCESS;
	text_clear(&s->error);
	text_clear(&s->status_text);
	deps_cycle_note(u); /* an ordering cycle stays visible in the status */
	s->sigkill_sent = false;
	s->exec_fd = status_fd; /* now owned by the service; -1: the outcome is in `now` */
	if (status_fd >= 0)
		svc_watch_exec(u);
	svc_notify_spawned(u);
	if (u->instance_of)
		log_debug("%s: started, pid %d", u->name, (int)pid); /* one per connection */
	else
		log_info("%s: started, pid %d", u->name, (int)pid);

	/* Known already (status_fd -1): a failure is recorded before any job
	 * looks at the state, so none takes the start for a success; the
	 * exit follows. */
	bool known = status_fd < 0, failed = known && now.stage != STAGE_NONE;
	if (failed)
		exec_outcome(u, &now);
	if (c->type == SVC_TYPE_SIMPLE) {
		svc_main_ready(u);
	} else {
		svc_arm_timer(u, TMR_START, c->timeout_start_usec);
		svc_set_state(u, SVC_STARTING);
	}
	if (known && !failed)
		exec_outcome(u, NULL);
}

void svc_spawn_main(struct unit *u, bool automatic)
{
	if (start_checks(u, automatic))
		svc_spawn_main_now(u);
}

/* The whole start: ExecStartPre= commands, then the main process. */
void svc_begin_start(struct unit *u, bool automatic)
{
	struct service *s = &u->svc;
	if (!start_checks(u, automatic))
		return;
	s->main_idx = 0;
	s->oneshot_done = false;
	s->stop_post_pending = true;
	const struct svc_conf *sc = &u->conf->svc;
	if (sc->n_credentials)
		creds_remove(u->name); /* what a daemon that died left: this start makes them anew */
	if ((sc->memory_deny_write_execute || sc->restrict_realtime || sc->lock_personality ||
	     sc->restrict_namespaces_set || sc->restrict_suid_sgid || sc->families.on || sc->syscall_archs_set ||
	     sc->calls) &&
	    !sysfilter_supported())
		log_warn("%s: MemoryDenyWriteExecute=, RestrictRealtime=, LockPersonality=, RestrictNamespaces=, "
			 "RestrictSUIDSGID=, RestrictAddressFamilies=, SystemCallArchitectures= and SystemCallFilter= "
			 "need a system call table this build lacks (x86-64 and arm64 only): not applied", u->name);
	/* BindPaths= and TemporaryFileSystem= give the service something it
	 * needs, not a restriction: without them it fails (systemd's
	 * insist_on_sandboxing), where the others are skipped. */
	if ((sc->n_bind_paths || sc->n_bind_ro_paths || sc->n_temporary_fs) && !privtmp_mountns_supported()) {
		fail_start(u, RES_RESOURCES,
			   "BindPaths=, BindReadOnlyPaths= and TemporaryFileSystem= need mount namespaces, which this "
			   "supervisord cannot make (no CAP_SYS_ADMIN?)");
		return;
	}
	if (conf_svc_wants_mounts(sc) && !privtmp_mountns_supported())
		log_warn("%s: ProtectSystem=, ProtectHome=, ProtectKernel*=, ProtectControlGroups=, PrivateDevices= and "
			 "*Paths= need mount namespaces, which this supervisord cannot make (no CAP_SYS_ADMIN?): not "
			 "applied", u->name);
	if (sc->private_network && s->netns_fd < 0) {
		char err[SVC_ERROR_MAX];
		int r = netns_create(&s->netns_fd, err, sizeof err);
		if (r == -EPERM || r == -EINVAL || r == -ENOSYS)
			log_warn("%s: PrivateNetwork=yes, but this supervisord cannot make network namespaces (%s): the "
				 "service shares the host's network", u->name, err);
		else if (r < 0) {
			fail_start(u, RES_RESOURCES, err);
			return;
		}
	}
	if (u->conf->svc.private_tmp && !s->private_tmp[0]) {
		char err[SVC_ERROR_MAX];
		if (!privtmp_mountns_supported())
			log_warn("%s: PrivateTmp=yes, but this supervisord cannot make mount namespaces (no "
				 "CAP_SYS_ADMIN?): the service shares /tmp", u->name);
		else if (privtmp_create(u->name, s->private_tmp, err, sizeof err) < 0) {
			fail_start(u, RES_RESOURCES, err);
			return;
		}
	}
	if (s->flush_restarts) {
		/* systemd: the counter of a unit that went down for good is
		 * kept for inspection and zeroed by the next start. */
		s->restarts = 0;
		s->flush_restarts = false;
	}
	/* ExecCondition= first (systemd), then ExecStartPre= (svc_control.c
	 * goes on from one to the other), then the main process. */
	enum svc_state first = svc_control_has(u, SVC_CONDITION) ? SVC_CONDITION : SVC_START_PRE;
	if (svc_control_has(u, first)) {
		s->result = RES_SUCCESS;
		text_clear(&s->error);
		s->generation++; /* a waiting restart job sees this attempt */
		svc_control_next(u, first, 0);
		return;
	}
	svc_spawn_main_now(u);
}

void svc_main_ready(struct unit *u)
{
	/* ExecStartPost= runs once the main process counts as started (for a
	 * oneshot: once its last ExecStart= has exited successfully). */
	if (svc_control_has(u, SVC_START_POST) && svc_control_next(u, SVC_START_POST, 0))
		return;
	svc_enter_running(u);
}

/* A oneshot ran every command successfully. As systemd: with
 * RemainAfterExit=yes it stays active ("exited") until stopped; without,
 * what it left behind is stopped and it is down, having succeeded (units
 * ordered after it start; a start job on it succeeds). */
static void oneshot_done(struct unit *u)
{
	struct service *s = &u->svc;
	s->oneshot_done = true;
	if (u->conf->svc.remain_after_exit) {
		log_info("%s: finished, active (RemainAfterExit=yes)", u->name);
		svc_set_state(u, SVC_EXITED);
		return;
	}
	log_info("%s: finished", u->name);
	svc_enter_teardown(u, SVC_FINAL_SIGTERM);
}

void svc_enter_running(struct unit *u)
{
	struct service *s = &u->svc;
	svc_disarm_timer(u);
	if (u->conf->svc.type == SVC_TYPE_ONESHOT && (s->state == SVC_STARTING || s->state == SVC_START_POST)) {
		oneshot_done(u);
		return;
	}
	/* RuntimeMaxSec= counts from when the service became active; a
	 * reload does not restart the count. */
	uint64_t max = u->conf->svc.runtime_max_usec;
	if (s->state != SVC_RELOADING || !s->runtime_deadline_mono)
		s->runtime_deadline_mono = max == CONF_USEC_INFINITY ? 0 : now_mono_usec() + max;
	svc_set_state(u, SVC_RUNNING);
	if (s->runtime_deadline_mono) {
		uint64_t now = now_mono_usec(), dl = s->runtime_deadline_mono;
		svc_arm_timer(u, TMR_RUNTIME, dl > now ? dl - now : 0);
	}
}

/* The exec-status pipe said something: exec succeeded (EOF) or failed. */
void svc_handle_exec_status(struct unit *u)
{
	struct spawn_err e;
	int r = spawn_read_status(u->svc.exec_fd, &e);
	if (r == -EAGAIN)
		return;
	svc_close_exec_watch(u);
	exec_outcome(u, r == 0 ? &e : NULL);
}

/* The main process's exec succeeded (failed == NULL) or failed. */
static void exec_outcome(struct unit *u, const struct spawn_err *failed)
{
	struct service *s = &u->svc;
	if (failed) {
		s->result = RES_EXEC;
		text_setf(&s->error, SVC_ERROR_MAX, "%s %s: %s", spawn_stage_name(failed->stage),
			 u->conf->svc.exec_start[s->main_idx < u->conf->svc.n_exec_start ? s->main_idx : 0].path,
			 strerror(failed->err));
		log_err("%s: %s", u->name, s->error);
		return; /* the child exits 127; svc_on_exit finishes the job */
	}
	if (s->state == SVC_STARTING && u->conf->svc.type == SVC_TYPE_EXEC) {
		svc_main_ready(u);
	} else {
		if (s->old_pid)
			svc_overlap_check(u);
		unit_state_changed(u); /* a start job may have waited for exec */
	}
}

static void exec_watch_cb(uv_poll_t *h, int status, int events)
{
	struct unit *u = h->data;
	svc_handle_exec_status(u);
}

void svc_watch_exec(struct unit *u)
{
	struct service *s = &u->svc;
	/* If the watch cannot be set up, the exit still drains the pipe. */
	s->exec_watch = malloc(sizeof *s->exec_watch);
	if (s->exec_watch && uv_poll_init(u->svc.timer.loop, s->exec_watch, s->exec_fd) == 0) {
		s->exec_watch->data = u;
		uv_poll_start(s->exec_watch, UV_READABLE | UV_DISCONNECT, exec_watch_cb);
	} else {
		free(s->exec_watch);
		s->exec_watch = NULL;
	}
}

static int start_request(struct unit *u, bool automatic, char *err, size_t errlen)
{
	struct service *s = &u->svc;
	if (!u->conf) {
		snprintf(err, errlen, "%s: not loaded: %s", u->name, u->load_error ? u->load_error : "?");
		return -ENOEXEC;
	}
	if (shutting_down) {
		snprintf(err, errlen, "supervisord is shutting down");
		return -ESHUTDOWN;
	}
	s->want_up = true;
	s->dep_start = false;
	switch (s->state) {
	case SVC_STOPPED:
	case SVC_FAILED:
		/* An explicit start is the operator's decision: it clears the rate
		 * limit that a crash loop may have hit. */
		if (s->result == RES_START_LIMIT && !automatic)
			s->start_ring_n = 0;
		svc_begin_start(u, automatic);
		return 0;
	case SVC_AUTO_RESTART:
		svc_disarm_timer(u);
		svc_begin_start(u, automatic);
		return 0;
	case SVC_CONDITION:
	case SVC_START_PRE:
	case SVC_STARTING:
	case SVC_START_POST:
	case SVC_RUNNING:
	case SVC_RELOADING:
	case SVC_STOP_CMD:
	case SVC_STOPPING:
	case SVC_FINAL_SIGTERM: /* want_up makes the end start it again */
	case SVC_STOP_POST:
	case SVC_EXITED:        /* a oneshot that is done and stays active */
		return 0;
	case SVC__MAX:
		break;
	}
	snprintf(err, errlen, "%s: unexpected state", u->name);
	return -EINVAL;
}

int svc_start_now(struct unit *u, bool automatic, char *err, size_t errlen)
{
	return start_request(u, automatic, err, errlen);
}

int svc_start(struct unit *u, char *err, size_t errlen)
{
	if (!u->conf) {
		snprintf(err, errlen, "%s: not loaded: %s", u->name, u->load_error ? u->load_error : "?");
		return -ENOEXEC;
	}
	if (shutting_down) {
		snprintf(err, errlen, "supervisord is shutting down");
		return -ESHUTDOWN;
	}
	return deps_request_start(u, err, errlen);
}

void svc_begin_stop(struct unit *u)
{
	struct service *s = &u->svc;
	/* ExecStop= only for a service that started (systemd's rule): its main
	 * process runs, or it is a oneshot that finished (RemainAfterExit=). */
	if ((((s->state == SVC_RUNNING || s->state == SVC_RELOADING) && s->pid > 0) || s->state == SVC_EXITED) &&
	    svc_control_has(u, SVC_STOP_CMD)) {
		svc_control_abandon(u); /* an ExecReload= still running */
		if (svc_control_next(u, SVC_STOP_CMD, 0))
			return;
	}
	svc_enter_teardown(u, SVC_STOPPING);
}

void svc_stop_now(struct unit *u)
{
	struct service *s = &u->svc;
	s->want_up = false;
	s->dep_start = false;
	s->dep_stop = false;
	if (!u->conf)
		return;
	if (s->old_pid)
		svc_overlap_stop_old(u);
	switch (s->state) {
	case SVC_CONDITION:
	case SVC_START_PRE:
	case SVC_STARTING:
	case SVC_START_POST:
	case SVC_RUNNING:
	case SVC_RELOADING:
	case SVC_EXITED:
		svc_begin_stop(u);
		break;
	case SVC_FINAL_SIGTERM:
		/* Already going down: make it a requested stop (no restart). */
		svc_set_state(u, SVC_STOPPING);
		break;
	case SVC_AUTO_RESTART:
		svc_disarm_timer(u);
		s->flush_restarts = true;
		svc_set_state(u, SVC_STOPPED);
		break;
	case SVC_STOP_POST:
		s->stop_post_asked = true; /* what comes after it is a stop, not a restart */
		svc_set_state(u, s->state);
		break;
	case SVC_STOP_CMD:
	case SVC_STOPPING:
	case SVC_STOPPED:
	case SVC_FAILED:
	case SVC__MAX:
		svc_set_state(u, s->state); /* lets a waiting stop job see it is done */
		break;
	}
}

int svc_stop(struct unit *u)
{
	if (!u->conf || u->kind != UNIT_SERVICE) {
		u->svc.want_up = false;
		return 0;
	}
	deps_request_stop(u);
	return 0;
}

int svc_restart(struct unit *u, char *err, size_t errlen)
{
	struct service *s = &u->svc;
	if (!u->conf)
		return svc_start(u, err, errlen);
	switch (s->state) {
	case SVC_CONDITION:
	case SVC_START_PRE:
	case SVC_STARTING:
	case SVC_START_POST:
	case SVC_RUNNING:
	case SVC_RELOADING:
		if (shutting_down)
			return svc_start(u, err, errlen);
		if (u->conf->svc.restart_mode_overlap && s->state == SVC_RUNNING && !s->old_pid)
			return svc_overlap_begin(u, err, errlen);
		s->want_up = true;
		svc_begin_stop(u);
		return 0;
	case SVC_EXITED:
		if (shutting_down)
			return svc_start(u, err, errlen);
		s->want_up = true;
		svc_begin_stop(u);
		return 0;
	case SVC_STOP_CMD:
	case SVC_STOPPING:
	case SVC_FINAL_SIGTERM:
	case SVC_STOP_POST:
	case SVC_STOPPED:
	case SVC_FAILED:
	case SVC_AUTO_RESTART:
	case SVC__MAX:
		break;
	}
	return svc_start(u, err, errlen);
}

int svc_restart_overlap(struct unit *u, char *err, size_t errlen)
{
	if (u->conf && u->svc.state == SVC_RUNNING && !u->svc.old_pid && !shutting_down)
		return svc_overlap_begin(u, err, errlen);
	return svc_restart(u, err, errlen);
}

void svc_refresh(struct unit *u)
{
	svc_set_state(u, u->svc.state);
}

bool svc_has_processes(const struct unit *u)
{
	return u->kind == UNIT_SERVICE && (u->svc.pid > 0 || u->svc.old_pid > 0 || u->svc.control_pid > 0);
}

void svc_on_activation(struct unit *u)
{
	if (!u->conf || svc_is_active(u) || u->svc.state == SVC_AUTO_RESTART || u->svc.dep_start)
		return;
	log_info("%s: activated by its socket", u->name);
	if (shutting_down) {
		log_err("%s: not started: supervisord is shutting down", u->name);
		return;
	}
	/* As an operator's start: what it Requires=/Wants= comes along, in
	 * After= order; the client waits in the backlog meanwhile. */
	u->svc.dep_automatic = true;
	deps_mark_start(u);
	deps_run();
}

void svc_init(struct unit *u, uv_loop_t *loop)
{
	struct service *s = &u->svc;
	s->exec_fd = -1;
	s->conn_fd = -1;
	s->control_exec_fd = -1;
	s->reload_client_fd = -1;
	s->netns_fd = -1;
	s->state = SVC_STOPPED;
	s->since_usec = now_real_usec();
	uv_timer_init(loop, &s->timer);
	s->timer.data = u;
	svc_notify_init(u, loop);
}

const char *unit_state_label(const struct unit *u)
{
	if (!u->conf)
		return "failed";
	if (u->kind == UNIT_SOCKET)
		return sockunit_state_name(u->sock.state);
	return svc_state_name(u->svc.state);
}
