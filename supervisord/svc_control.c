/*
 * svc_control.c - control processes: ExecStartPre=, ExecStartPost=,
 * ExecReload=, ExecStop= and ExecStopPost=, and `supctl reload UNIT`.
 *
 * A control process runs one command of a list; the state says which list
 * (SVC_START_PRE, SVC_START_POST, SVC_RELOADING, SVC_STOP_CMD) and
 * control_idx which command. The commands of a list run one after the
 * other; each must exit 0 unless written with '-'. A control process gets
 * the main process's environment, credentials and output, but no
 * LISTEN_* and no descriptors (execplan_build with main_process=false), as
 * in systemd.
 *
 * What a finished command leads to:
 *   CONDITION   ok: next, then START_PRE           exit 1-254: the start is skipped
 *                                                  (as a Condition*=); else: it fails
 *   START_PRE   ok: next, then the main process   failed: the start fails
 *   START_POST  ok: next, then RUNNING             failed: the start fails
 *   RELOADING   ok: next, then RUNNING             failed: RUNNING, reload fails
 *   STOP_CMD    next, then KillSignal= (a failure is recorded as the result)
 *   STOP_POST   next, then the end it ran for (a failure is recorded as the result)
 * A control process whose state was left for another reason (the main
 * process died during ExecStartPost=) is SIGKILLed and is only reaped.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "control.h"
#include "control_priv.h"
#include "execplan.h"
#include "deps.h"
#include "log.h"
#include "service_priv.h"

static const char *const list_names[SVC__MAX] = {
	[SVC_CONDITION] = "ExecCondition",
	[SVC_START_PRE] = "ExecStartPre",
	[SVC_START_POST] = "ExecStartPost",
	[SVC_RELOADING] = "ExecReload",
	[SVC_STOP_CMD] = "ExecStop",
	[SVC_STOP_POST] = "ExecStopPost",
};

static const struct exec_cmd *list_for(const struct unit *u, enum svc_state st, size_t *n)
{
	const struct svc_conf *c = &u->conf->svc;
	switch (st) {
	case SVC_CONDITION:
		*n = c->n_exec_condition;
		return c->exec_condition;
	case SVC_START_PRE:
		*n = c->n_exec_start_pre;
		return c->exec_start_pre;
	case SVC_START_POST:
		*n = c->n_exec_start_post;
		return c->exec_start_post;
	case SVC_RELOADING:
		*n = c->n_exec_reload;
		return c->exec_reload;
	case SVC_STOP_CMD:
		*n = c->n_exec_stop;
		return c->exec_stop;
	case SVC_STOP_POST:
		*n = c->n_exec_stop_post;
		return c->exec_stop_post;
	default:
		*n = 0;
		return NULL;
	}
}

bool svc_control_has(const struct unit *u, enum svc_state st)
{
	size_t n;
	list_for(u, st, &n);
	return n > 0;
}

static void close_control_fd(struct service *s)
{
	if (s->control_exec_fd >= 0) {
		close(s->control_exec_fd);
		s->control_exec_fd = -1;
	}
}

void svc_reload_reply(struct unit *u, int err, const char *msg)
{
	struct service *s = &u->svc;
	if (s->reload_client_fd < 0)
		return;
	ctl_reply_by_fd(s->reload_client_fd, s->reload_req_id, err, msg);
	s->reload_client_fd = -1;
	s->reload_req_id = 0;
}

void svc_reload_client_gone(int client_fd)
{
	for (size_t i = 0; i < unit_count(); i++) {
		struct unit *u = unit_at(i);
		if (u->kind == UNIT_SERVICE && u->svc.reload_client_fd == client_fd) {
			u->svc.reload_client_fd = -1;
			u->svc.reload_req_id = 0;
		}
	}
}

void svc_control_abandon(struct unit *u)
{
	struct service *s = &u->svc;
	if (s->control_pid <= 0)
		return;
	log_warn("%s: killing control process %d, no longer needed", u->name, (int)s->control_pid);
	if (kill(-s->control_pid, SIGKILL) < 0)
		kill(s->control_pid, SIGKILL);
	if (s->state == SVC_RELOADING)
		svc_reload_reply(u, -EIO, "reload interrupted: the service changed state");
}

/* A command that could not even be started counts as a failed command. */
static void spawn_failed(struct unit *u, enum svc_state st, enum svc_result res, const char *why);

bool svc_control_next(struct unit *u, enum svc_state st, unsigned idx)
{
	struct service *s = &u->svc;
	const struct svc_conf *c = &u->conf->svc;
	size_t n;
	const struct exec_cmd *list = list_for(u, st, &n);
	if (idx >= n)
		return false;
	char err[SVC_ERROR_MAX], why[SVC_ERROR_MAX];
	struct exec_plan plan;
	s->control_idx = idx;
	unsigned flags = st == SVC_STOP_CMD || st == SVC_STOP_POST ? EXECPLAN_RESULT : 0;
	int r = execplan_build(u, &list[idx], flags, &plan, err, sizeof err);
	if (r < 0) {
		snprintf(why, sizeof why, "%s=%s: %s", list_names[st], list[idx].path, err);
		spawn_failed(u, st, r == -ENOMEM ? RES_RESOURCES : RES_EXEC, why);
		return true;
	}
	pid_t pid;
	int fd;
	r = spawn_start(&plan.req, &pid, &fd, NULL);
	execplan_free(&plan);
	if (r < 0) {
		snprintf(why, sizeof why, "%s=%s: fork: %s", list_names[st], list[idx].path, strerror(-r));
		spawn_failed(u, st, RES_RESOURCES, why);
		return true;
	}
	close_control_fd(s);
	s->control_pid = pid;
	s->control_exec_fd = fd; /* owned by the service; read when the process is reaped */
	log_info("%s: %s=%s started, pid %d", u->name, list_names[st], list[idx].path, (int)pid);
	if (st == SVC_STOP_CMD || st == SVC_STOP_POST)
		svc_arm_timer(u, TMR_STOP, c->timeout_stop_usec);
	else
		svc_arm_timer(u, TMR_START, c->timeout_start_usec);
	svc_set_state(u, st);
	return true;
}

/* What the command's end means for the state it ran in. ok: it succeeded
 * (or its failure is ignored); why: what went wrong, for the status. */
static void command_done(struct unit *u, enum svc_state st, bool ok, enum svc_result res, const char *why)
{
	struct service *s = &u->svc;
	unsigned next = s->control_idx + 1;
	if (!ok)
		log_err("%s: %s", u->name, why);
	switch (st) {
	case SVC_CONDITION:
		if (!ok)
			svc_start_failed(u, res, why);
		else if (!svc_control_next(u, st, next) && !svc_control_next(u, SVC_START_PRE, 0))
			svc_spawn_main_now(u);
		return;
	case SVC_START_PRE:
		if (!ok) {
			svc_start_failed(u, res, why);
		} else if (!svc_control_next(u, st, next)) {
			svc_spawn_main_now(u);
		}
		return;
	case SVC_START_POST:
		if (!ok)
			svc_start_failed(u, res, why);
		else if (!svc_control_next(u, st, next))
			svc_enter_running(u);
		return;
	case SVC_RELOADING:
		if (!ok) {
			svc_reload_reply(u, -EIO, why);
			svc_enter_running(u);
		} else if (!svc_control_next(u, st, next)) {
			log_info("%s: reloaded", u->name);
			svc_reload_reply(u, 0, "");
			svc_enter_running(u);
		}
		return;
	case SVC_STOP_CMD:
		if (!ok && s->result == RES_SUCCESS) {
			s->result = res;
			text_setf(&s->error, SVC_ERROR_MAX, "%s", why);
		}
		if (!svc_control_next(u, st, next))
			svc_enter_teardown(u, SVC_STOPPING);
		return;
	case SVC_STOP_POST:
		if (!ok && s->result == RES_SUCCESS) {
			s->result = res;
			text_setf(&s->error, SVC_ERROR_MAX, "%s", why);
		}
		if (!svc_control_next(u, st, next))
			svc_stop_post_done(u);
		return;
	default:
		return;
	}
}

static void spawn_failed(struct unit *u, enum svc_state st, enum svc_result res, const char *why)
{
	size_t n;
	const struct exec_cmd *list = list_for(u, st, &n);
	bool ignore = list[u->svc.control_idx].flags & EXEC_IGNORE_FAILURE;
	command_done(u, st, ignore, res, why);
}

void svc_control_exited(struct unit *u, int st)
{
	struct service *s = &u->svc;
	enum svc_state state = s->state;
	size_t n;
	const struct exec_cmd *list = list_for(u, state, &n);
	pid_t pid = s->control_pid;
	s->control_pid = 0;
	struct spawn_err e = { 0 };
	bool exec_failed = s->control_exec_fd >= 0 && spawn_read_status(s->control_exec_fd, &e) == 0;
	close_control_fd(s);
	if (!list || s->control_idx >= n) {
		/* Abandoned, or the teardown that killed it: only the count changes. */
		log_debug("%s: control process %d reaped", u->name, (int)pid);
		svc_check_drained(u);
		return;
	}
	const struct exec_cmd *cmd = &list[s->control_idx];
	char why[SVC_ERROR_MAX];
	enum svc_result res = RES_SUCCESS;
	if (exec_failed) {
		res = RES_EXEC;
		snprintf(why, sizeof why, "%s=%s: %s: %s", list_names[state], cmd->path, spawn_stage_name(e.stage),
			 strerror(e.err));
	} else if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		log_info("%s: %s=%s finished", u->name, list_names[state], cmd->path);
	} else if (WIFEXITED(st)) {
		res = RES_EXIT_CODE;
		snprintf(why, sizeof why, "%s=%s exited with status %d", list_names[state], cmd->path, WEXITSTATUS(st));
	} else {
		res = WIFSIGNALED(st) && WCOREDUMP(st) ? RES_CORE_DUMP : RES_SIGNAL;
		snprintf(why, sizeof why, "%s=%s killed by signal %d", list_names[state], cmd->path,
			 WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	}
	bool ok = res == RES_SUCCESS || (cmd->flags & EXEC_IGNORE_FAILURE);
	/* ExecCondition= exiting 1 to 254 skips the start, as a failed
	 * Condition*= does; 255, a signal or no exec is a failure. */
	if (state == SVC_CONDITION && !ok && res == RES_EXIT_CODE && WEXITSTATUS(st) < 255) {
		log_info("%s: %s", u->name, why);
		svc_skip_start(u, why, true);
		return;
	}
	if (res != RES_SUCCESS && ok)
		log_info("%s: %s (ignored: '-')", u->name, why);
	command_done(u, state, ok, res, why);
}

int svc_reload(struct unit *u, char *err, size_t errlen)
{
	if (u->kind != UNIT_SERVICE || !u->conf) {
		snprintf(err, errlen, "%s cannot be reloaded: %s", u->name,
			 u->conf ? "it is a socket unit" : "it did not load");
		return -EINVAL;
	}
	bool by_signal = u->conf->svc.type == SVC_TYPE_NOTIFY_RELOAD;
	if (!svc_control_has(u, SVC_RELOADING) && !by_signal) {
		snprintf(err, errlen, "%s has no ExecReload=", u->name);
		return -EOPNOTSUPP;
	}
	if (u->svc.state == SVC_RELOADING) {
		snprintf(err, errlen, "%s is already reloading", u->name);
		return -EBUSY;
	}
	if (u->svc.state != SVC_RUNNING) {
		snprintf(err, errlen, "%s is not running (%s)", u->name, unit_state_label(u));
		return -ENOTCONN;
	}
	if (by_signal) {
		/* As systemd's service_enter_reload: the signal first, then
		 * ExecReload= if there is one (the reload is its), else the
		 * service's RELOADING=1 and READY=1 (svc_notify.c). */
		struct service *s = &u->svc;
		const struct svc_conf *c = &u->conf->svc;
		s->reload_begin_mono = now_mono_usec();
		if (s->pid > 0 && kill(s->pid, c->reload_signal) == 0)
			kill(s->pid, SIGCONT);
		if (svc_control_has(u, SVC_RELOADING)) {
			s->reload_notify = 0;
			svc_control_next(u, SVC_RELOADING, 0);
			return 0;
		}
		s->reload_notify = 1;
		svc_arm_timer(u, TMR_START, c->timeout_start_usec);
		svc_set_state(u, SVC_RELOADING);
		return 0;
	}
	svc_control_next(u, SVC_RELOADING, 0);
	return 0;
}

/* `supctl reload UNIT` (PROTO_RELOAD with a name): answered once the
 * ExecReload= commands have finished. Replaces control.c's weak default. */
void ctl_unit_reload(struct client *c, uint32_t id, const char *name)
{
	char canon[256], err[SVC_ERROR_MAX];
	struct unit *u = unit_lookup(name, canon, sizeof canon);
	if (!u) {
		ctl_reply_err(c, id, -ENOENT, "unit %s not found", canon);
		return;
	}
	/* Known before the command starts: a command that cannot even be
	 * spawned answers through it at once. */
	struct service *s = u->kind == UNIT_SERVICE ? &u->svc : NULL;
	int old_fd = s ? s->reload_client_fd : -1;
	uint32_t old_id = s ? s->reload_req_id : 0;
	if (s && s->state == SVC_RUNNING) {
		s->reload_client_fd = c->fd;
		s->reload_req_id = id;
	}
	int r = svc_reload(u, err, sizeof err);
	if (r < 0) {
		if (s) {
			s->reload_client_fd = old_fd;
			s->reload_req_id = old_id;
		}
		ctl_reply_err(c, id, r, "%s", err);
		return;
	}
	deps_propagate_reload(u);
}
