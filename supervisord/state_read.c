/*
 * state_read.c - restore the daemon from a re-exec state; see state.h.
 *
 * The state is read as if it came from a stranger: every number is
 * range-checked, every pid must be a child of this process, every fd must
 * have been inherited and may be named once, names must be valid. Reading
 * builds units as it goes; if anything is wrong it returns -EBADMSG and the
 * caller execs away (fallback or rescue) without using what was built, so
 * nothing here changes an inherited fd's flags before the whole document
 * has been accepted.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "accept.h"
#include "control.h"
#include "fdstore.h"
#include "log.h"
#include "logpipe.h"
#include "daemon.h"
#include "deps.h"
#include "notify.h"
#include "proto.h"
#include "service.h"
#include "netns.h"
#include "privtmp.h"
#include "service_priv.h"
#include "svc_notify.h"
#include "sockunit.h"
#include "preparse.h"
#include "procfs.h"
#include "state.h"
#include "version.h"
#include "unit.h"

#define MAX_PENDING 4096
#define PID_MAX_LIMIT 4194304

const char *state_timer_name(enum svc_timer t);

/* Every key a state may hold, once: the enum and the name table are both
 * made from this list. */
#define STATE_KEYS(X) \
	X(ACCEPTED, "accepted") \
	X(BEGIN_UNIT, "begin-unit") \
	X(CLIENT, "client") \
	X(CONTROL_EXEC_FD, "control-exec-fd") \
	X(CONTROL_FD, "control-fd") \
	X(CONTROL_IDX, "control-idx") \
	X(CONTROL_PATH, "control-path") \
	X(CONTROL_PID, "control-pid") \
	X(DEP_AUTOMATIC, "dep-automatic") \
	X(DEP_START, "dep-start") \
	X(DEP_STOP, "dep-stop") \
	X(END_UNIT, "end-unit") \
	X(ERROR, "error") \
	X(EXEC_FD, "exec-fd") \
	X(FDS, "fds") \
	X(FDSTORE, "fdstore") \
	X(FLUSH_RESTARTS, "flush-restarts") \
	X(GENERATION, "generation") \
	X(INSTANCE_OF, "instance-of") \
	X(JOB, "job") \
	X(LISTENER, "listener") \
	X(LISTENERS, "listeners") \
	X(LOAD_ERROR, "load-error") \
	X(LOG_EPOLL, "log-epoll") \
	X(LOG_FILE, "log-file") \
	X(LOG_PARTIAL, "log-partial") \
	X(LOG_PIPE, "log-pipe") \
	X(MAIN_ENDED, "main-ended") \
	X(MAIN_IDX, "main-idx") \
	X(NOTIFY_ERRNO, "notify-errno") \
	X(NOTIFY_FD, "notify-fd") \
	X(NOTIFY_PATH, "notify-path") \
	X(NOTIFY_RELOADING, "notify-reloading") \
	X(NOTIFY_STOPPING, "notify-stopping") \
	X(OLD_DEADLINE, "old-deadline") \
	X(RUNTIME_DEADLINE, "runtime-deadline") \
	X(RELOAD_NOTIFY, "reload-notify") \
	X(RELOAD_BEGIN, "reload-begin") \
	X(PRIVATE_TMP, "private-tmp") \
	X(PRIVATE_VAR_TMP, "private-var-tmp") \
	X(NETNS_FD, "netns-fd") \
	X(OLD_PID, "old-pid") \
	X(OLD_SIGKILL, "old-sigkill") \
	X(OLD_SIGNALED, "old-signaled") \
	X(ONESHOT_DONE, "oneshot-done") \
	X(CONDITION_SKIPPED, "condition-skipped") \
	X(PATH, "path") \
	X(PID, "pid") \
	X(PREVIOUS_BINARY, "previous-binary") \
	X(REEXEC_REPLY, "reexec-reply") \
	X(REFUSED, "refused") \
	X(RELOAD_REPLY, "reload-reply") \
	X(REMOTE_ADDR, "remote-addr") \
	X(REMOTE_PORT, "remote-port") \
	X(RESTARTS, "restarts") \
	X(RESULT, "result") \
	X(SIGKILL_SENT, "sigkill-sent") \
	X(SINCE, "since") \
	X(SOCK_ERROR, "sock-error") \
	X(SOCK_SINCE, "sock-since") \
	X(SOCK_STATE, "sock-state") \
	X(START_RING, "start-ring") \
	X(STARTED_MONO, "started-mono") \
	X(STATE, "state") \
	X(STATUS_TEXT, "status-text") \
	X(STOP_POST_ASKED, "stop-post-asked") \
	X(STOP_POST_PENDING, "stop-post-pending") \
	X(STOP_REQUESTED, "stop-requested") \
	X(TEXT, "text") \
	X(TIMER, "timer") \
	X(VERSION, "version") \
	X(WAIT_STATUS, "wait-status") \
	X(WANT_UP, "want-up") \
	X(WATCHDOG_DEADLINE, "watchdog-deadline") \
	X(WATCHDOG_USEC, "watchdog-usec")

enum state_key {
	K__UNKNOWN = 0,
#define X(id, name) K_##id,
	STATE_KEYS(X)
#undef X
};

static const struct {
	const char *name;
	enum state_key id;
} state_keys[] = {
#define X(id, name) { name, K_##id },
	STATE_KEYS(X)
#undef X
};

#define KEY_SLOTS 256 /* a power of two, well above the number of keys */

static unsigned key_hash(const char *k)
{
	unsigned h = 2166136261u;
	for (; *k; k++)
		h = (h ^ (unsigned char)*k) * 16777619u;
	return h;
}

/* A record's key as a number: one hash and one strcmp per record (an
 * open-addressing table of state_keys, filled at the first call), then
 * integer comparisons instead of a chain of strcmp calls. */
static enum state_key key_id(const char *k)
{
	static unsigned char slot[KEY_SLOTS]; /* index into state_keys, plus one */
	static bool filled;
	size_t n = sizeof state_keys / sizeof state_keys[0];
	if (!filled) {
		for (size_t i = 0; i < n; i++) {
			unsigned h = key_hash(state_keys[i].name) & (KEY_SLOTS - 1);
			while (slot[h])
				h = (h + 1) & (KEY_SLOTS - 1);
			slot[h] = (unsigned char)(i + 1);
		}
		filled = true;
	}
	for (unsigned h = key_hash(k) & (KEY_SLOTS - 1); slot[h]; h = (h + 1) & (KEY_SLOTS - 1))
		if (!strcmp(state_keys[slot[h] - 1].name, k))
			return state_keys[slot[h] - 1].id;
	return K__UNKNOWN;
}

struct pending_job {
	int fd;
	uint32_t id, type;
	uint64_t gen0;
	char unit[PROTO_MAX_NAME + 1];
};

struct reader {
	uv_loop_t *loop;
	struct state_in *in;
	char *err;
	size_t errlen;
	/* the unit being read */
	char name[PROTO_MAX_NAME + 1];
	char *path;
	char *text;
	size_t text_len;
	char *load_error;
	bool have_text;
	struct unit *u;
	/* control and notify, adopted once both halves are known */
	int control_fd, notify_fd;
	int log_rfd, log_wfd;   /* a log pipe waiting for its log-partial line */
	int log_file_fd;        /* ... and its open log file, -1 none */
	uint64_t log_file_size;
	/* after the units */
	struct pending_job *jobs;
	size_t n_jobs;
	int reply_fd;
	uint32_t reply_id;
	bool have_reply;
	bool units_seen;
	enum state_key kid; /* the current record's key */
};

static int bad(struct reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(struct reader *r, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(r->err, r->errlen, "state line %u (%s): %s", r->in->line, r->in->key, msg);
	return -EBADMSG;
}

static int get_u64(struct reader *r, const char *s, uint64_t max, uint64_t *v)
{
	if (state_parse_u64(s, max, v) < 0)
		return bad(r, "'%s' is not a number in 0..%llu", s, (unsigned long long)max);
	return 0;
}

static int get_bool(struct reader *r, bool *b)
{
	uint64_t v;
	int e = get_u64(r, r->in->val, 1, &v);
	if (e == 0)
		*b = v != 0;
	return e;
}

static int claim(struct reader *r, const char *s, int *fd)
{
	uint64_t v;
	if (get_u64(r, s, 1u << 30, &v) < 0)
		return -EBADMSG;
	int e = fdclaim_take((int)v);
	if (e == -EBADF)
		return bad(r, "fd %llu was not inherited", (unsigned long long)v);
	if (e == -EEXIST)
		return bad(r, "fd %llu is named twice", (unsigned long long)v);
	*fd = (int)v;
	return 0;
}

/* Pids are checked to be our children with proc_is_child(): one waitid
 * per pid. (Reading our children from /proc/self/task/N/children instead
 * costs the kernel a walk of the children list per pid printed: quadratic
 * in the number of services.) */

static int lookup_name(const char *const *table, int n, const char *s)
{
	for (int i = 0; i < n; i++)
		if (table[i] && !strcmp(table[i], s))
			return i;
	return -1;
}

static bool has_suffix(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a > b && strcmp(s + a - b, suf) == 0;
}

/* ---- units ---- */

static void reset_unit(struct reader *r)
{
	free(r->path);
	free(r->text);
	free(r->load_error);
	r->path = r->text = r->load_error = NULL;
	r->text_len = 0;
	r->have_text = false;
	r->u = NULL;
	r->name[0] = '\0';
}

/* Create the unit from its text, once its identity is complete. */
static int make_unit(struct reader *r)
{
	if (r->u)
		return 0;
	if (!r->path && asprintf(&r->path, "%s/%s", daemon_units_dir, r->name) < 0) {
		r->path = NULL; /* format 2 leaves out the usual path */
		return bad(r, "out of memory");
	}
	if (!r->have_text && !r->load_error)
		return bad(r, "unit %s has neither text nor load-error", r->name);
	struct unit_conf *conf;
	char *error;
	if (r->have_text && preparse_take(r->name, r->path, &conf, &error))
		r->u = unit_new_parsed(r->loop, r->name, r->path, r->text, r->text_len, conf, error);
	else
		r->u = unit_new_from_text(r->loop, r->name, r->path, r->text, r->text_len,
					  r->have_text ? NULL : r->load_error);
	r->text = NULL; /* owned by the unit now (or freed) */
	if (!r->u)
		return bad(r, "out of memory");
	return 0;
}

static int service_key(struct reader *r, struct unit *u, const char *k, const char *v)
{
	struct service *s = &u->svc;
	uint64_t x;
	int64_t y;
	if (r->kid == K_STATE) {
		int i = -1;
		for (int j = 0; j < SVC__MAX; j++)
			if (!strcmp(svc_state_name((enum svc_state)j), v))
				i = j;
		if (i < 0)
			return bad(r, "unknown service state '%s'", v);
		s->state = (enum svc_state)i;
	} else if (r->kid == K_WANT_UP) {
		return get_bool(r, &s->want_up);
	} else if (r->kid == K_RESULT) {
		int i = -1;
		for (int j = 0; j < RES__MAX; j++)
			if (!strcmp(svc_result_name((enum svc_result)j), v))
				i = j;
		if (i < 0)
			return bad(r, "unknown result '%s'", v);
		s->result = (enum svc_result)i;
	} else if (r->kid == K_PID) {
		if (get_u64(r, v, PID_MAX_LIMIT, &x) < 0)
			return -EBADMSG;
		if (x == 1 || (x > 1 && !proc_is_child((pid_t)x)))
			return bad(r, "pid %llu of %s is not a child of this process", (unsigned long long)x, u->name);
		s->pid = (pid_t)x;
	} else if (r->kid == K_LOG_PIPE) {
		char a[16], b[16], tail;
		int rfd, wfd;
		if (s->log || sscanf(v, "%15s %15s%c", a, b, &tail) != 2)
			return bad(r, "bad log-pipe '%s'", v);
		if (claim(r, a, &rfd) < 0 || claim(r, b, &wfd) < 0)
			return -EBADMSG;
		r->log_rfd = rfd;
		r->log_wfd = wfd;
	} else if (r->kid == K_LOG_FILE) {
		char a[16], b[24], tail;
		int fd;
		uint64_t size;
		if (r->log_rfd < 0 || r->log_file_fd >= 0 || sscanf(v, "%15s %23s%c", a, b, &tail) != 2)
			return bad(r, "bad log-file '%s'", v);
		if (get_u64(r, b, UINT64_MAX, &size) < 0 || claim(r, a, &fd) < 0)
			return -EBADMSG;
		r->log_file_fd = fd;
		r->log_file_size = size;
	} else if (r->kid == K_LOG_PARTIAL) {
		if (r->log_rfd < 0 || r->in->val_len >= LOGPIPE_LINE_MAX)
			return bad(r, "log-partial without a log pipe, or too long");
		if (logpipe_adopt(r->loop, u, r->log_rfd, r->log_wfd, r->log_file_fd, r->log_file_size, v,
				  r->in->val_len) < 0)
			return bad(r, "cannot adopt the log pipe of %s", u->name);
		r->log_rfd = r->log_wfd = r->log_file_fd = -1;
	} else if (r->kid == K_OLD_PID) {
		if (get_u64(r, v, PID_MAX_LIMIT, &x) < 0)
			return -EBADMSG;
		if (x <= 1 || !proc_is_child((pid_t)x) || (pid_t)x == s->pid)
			return bad(r, "old pid %llu of %s is not a child of this process", (unsigned long long)x, u->name);
		s->old_pid = (pid_t)x;
	} else if (r->kid == K_CONTROL_PID) {
		if (get_u64(r, v, PID_MAX_LIMIT, &x) < 0)
			return -EBADMSG;
		if (x <= 1 || !proc_is_child((pid_t)x) || (pid_t)x == s->pid || (pid_t)x == s->old_pid)
			return bad(r, "control pid %llu of %s is not a child of this process", (unsigned long long)x,
				   u->name);
		s->control_pid = (pid_t)x;
	} else if (r->kid == K_CONTROL_IDX) {
		/* An index beyond the list (the file changed) makes the process
		 * count as abandoned when it ends: safe either way. */
		if (get_u64(r, v, 4096, &x) < 0)
			return -EBADMSG;
		s->control_idx = (unsigned)x;
	} else if (r->kid == K_CONTROL_EXEC_FD) {
		if (s->control_exec_fd >= 0)
			return bad(r, "control-exec-fd given twice");
		return claim(r, v, &s->control_exec_fd);
	} else if (r->kid == K_RELOAD_REPLY) {
		int fd;
		unsigned id;
		char tail;
		if (sscanf(v, "%d %u%c", &fd, &id, &tail) != 2 || fd < 0 || fd > (1 << 30))
			return bad(r, "bad reload-reply '%s'", v);
		s->reload_client_fd = fd;
		s->reload_req_id = id;
	} else if (r->kid == K_MAIN_IDX) {
		/* Checked against the list when the next command starts. */
		if (get_u64(r, v, 4096, &x) < 0)
			return -EBADMSG;
		s->main_idx = (unsigned)x;
	} else if (r->kid == K_ONESHOT_DONE) {
		return get_bool(r, &s->oneshot_done);
	} else if (r->kid == K_CONDITION_SKIPPED) {
		return get_bool(r, &s->condition_skipped);
	} else if (r->kid == K_MAIN_ENDED) {
		return get_bool(r, &s->main_ended);
	} else if (r->kid == K_STOP_POST_PENDING) {
		return get_bool(r, &s->stop_post_pending);
	} else if (r->kid == K_STOP_POST_ASKED) {
		return get_bool(r, &s->stop_post_asked);
	} else if (r->kid == K_FLUSH_RESTARTS) {
		return get_bool(r, &s->flush_restarts);
	} else if (r->kid == K_DEP_START) {
		return get_bool(r, &s->dep_start);
	} else if (r->kid == K_DEP_STOP) {
		return get_bool(r, &s->dep_stop);
	} else if (r->kid == K_DEP_AUTOMATIC) {
		return get_bool(r, &s->dep_automatic);
	} else if (r->kid == K_OLD_SIGNALED) {
		return get_bool(r, &s->old_signaled);
	} else if (r->kid == K_OLD_SIGKILL) {
		return get_bool(r, &s->old_sigkill);
	} else if (r->kid == K_OLD_DEADLINE) {
		return get_u64(r, v, UINT64_MAX, &s->old_deadline_mono);
	} else if (r->kid == K_RUNTIME_DEADLINE) {
		return get_u64(r, v, UINT64_MAX, &s->runtime_deadline_mono);
	} else if (r->kid == K_RELOAD_NOTIFY) {
		uint64_t n;
		int e = get_u64(r, v, 2, &n);
		s->reload_notify = (unsigned char)n;
		return e;
	} else if (r->kid == K_PRIVATE_TMP || r->kid == K_PRIVATE_VAR_TMP) {
		int which = r->kid == K_PRIVATE_VAR_TMP;
		char **p = &s->private_tmp[which];
		if (!privtmp_path_valid(v, which))
			return bad(r, "'%s' is not a PrivateTmp= directory", v);
		free(*p);
		return (*p = strdup(v)) ? 0 : -ENOMEM;
	} else if (r->kid == K_RELOAD_BEGIN) {
		return get_u64(r, v, UINT64_MAX, &s->reload_begin_mono);
	} else if (r->kid == K_WAIT_STATUS) {
		if (state_parse_i64(v, INT32_MIN, INT32_MAX, &y) < 0)
			return bad(r, "bad wait status '%s'", v);
		s->wait_status = (int)y;
	} else if (r->kid == K_RESTARTS) {
		if (get_u64(r, v, UINT32_MAX, &x) < 0)
			return -EBADMSG;
		s->restarts = (unsigned)x;
	} else if (r->kid == K_GENERATION) {
		return get_u64(r, v, UINT64_MAX, &s->generation);
	} else if (r->kid == K_SINCE) {
		return get_u64(r, v, UINT64_MAX, &s->since_usec);
	} else if (r->kid == K_STARTED_MONO) {
		return get_u64(r, v, UINT64_MAX, &s->started_mono);
	} else if (r->kid == K_EXEC_FD) {
		return claim(r, v, &s->exec_fd);
	} else if (r->kid == K_NETNS_FD) {
		if (s->netns_fd >= 0)
			return bad(r, "netns-fd given twice");
		if (claim(r, v, &s->netns_fd) < 0)
			return -EBADMSG;
		if (!netns_fd_valid(s->netns_fd))
			return bad(r, "fd %d is not a network namespace", s->netns_fd);
	} else if (r->kid == K_TIMER) {
		char kind[16];
		unsigned long long dl;
		char tail;
		if (sscanf(v, "%15s %llu%c", kind, &dl, &tail) != 2)
			return bad(r, "bad timer '%s'", v);
		static const char *const names[TMR__MAX] = { "none", "start", "stop", "restart", "runtime" };
		int i = lookup_name(names, TMR__MAX, kind);
		if (i <= 0)
			return bad(r, "unknown timer '%s'", kind);
		s->tkind = (enum svc_timer)i;
		s->deadline_mono = dl;
	} else if (r->kid == K_START_RING) {
		uint64_t t;
		int e = get_u64(r, v, UINT64_MAX, &t);
		if (e < 0)
			return e;
		if (s->start_ring_n >= START_LIMIT_MAX)
			return bad(r, "too many start-ring entries");
		if (svc_ring_push(s, t) < 0)
			return bad(r, "out of memory");
		return 0;
	} else if (r->kid == K_SIGKILL_SENT) {
		return get_bool(r, &s->sigkill_sent);
	} else if (r->kid == K_ERROR) {
		text_setf(&s->error, SVC_ERROR_MAX, "%s", v);
	} else if (r->kid == K_STATUS_TEXT) {
		text_setf(&s->status_text, SVC_STATUS_MAX, "%s", v);
	} else if (r->kid == K_WATCHDOG_DEADLINE) {
		return get_u64(r, v, UINT64_MAX, &s->watchdog_deadline_mono);
	} else if (r->kid == K_WATCHDOG_USEC) {
		return get_u64(r, v, UINT64_MAX, &s->watchdog_usec_override);
	} else if (r->kid == K_NOTIFY_ERRNO) {
		if (state_parse_i64(v, -4095, 4095, &y) < 0)
			return bad(r, "bad errno '%s'", v);
		s->notify_errno = (int)y;
	} else if (r->kid == K_NOTIFY_STOPPING) {
		return get_bool(r, &s->notify_stopping);
	} else if (r->kid == K_NOTIFY_RELOADING) {
		return get_bool(r, &s->notify_reloading);
	} else if (r->kid == K_STOP_REQUESTED) {
		return get_bool(r, &s->stop_requested);
	} else if (r->kid == K_FDSTORE) {
		/* "FD POLL NAME": the name is the rest, already unescaped. */
		char fdbuf[16];
		int poll, off = 0;
		if (sscanf(v, "%15s %d %n", fdbuf, &poll, &off) != 2 || off == 0 || (poll != 0 && poll != 1))
			return bad(r, "bad fdstore entry");
		const char *name = v + off;
		if (!proto_fdname_valid(name))
			return bad(r, "bad fd name in the fd store of %s", u->name);
		int fd;
		if (claim(r, fdbuf, &fd) < 0)
			return -EBADMSG;
		/* Stored fds are restored even beyond a lowered FileDescriptorStoreMax=:
		 * nothing the service parked is dropped by an upgrade. */
		struct fdstore_entry *e = calloc(1, sizeof *e);
		if (!e || !(e->name = strdup(name))) {
			free(e);
			return bad(r, "out of memory");
		}
		e->fd = fd;
		e->poll = poll;
		struct fdstore_entry **pp = &s->fdstore;
		while (*pp)
			pp = &(*pp)->next;
		*pp = e;
		s->n_fdstore++;
	} else {
		log_warn("re-exec state: unknown service key '%s' ignored", k);
	}
	return 0;
}

/* Listener i of u is the inherited fd named by s. */
static int adopt_listener(struct reader *r, struct unit *u, size_t i, const char *s)
{
	struct listener *l = &u->sock.l[i];
	if (l->fd >= 0)
		return bad(r, "listener %zu of %s given twice", i, u->name);
	int fd;
	if (claim(r, s, &fd) < 0)
		return -EBADMSG;
	/* Its kind (socket or FIFO) is checked when the daemon first
	 * watches it, and its address parsed when first needed (sockunit.c),
	 * not here: most of a thousand listeners belong to running services,
	 * which this image may never watch, and an fstat plus a parse each
	 * were a fifth of the restore. */
	l->fd = fd;
	l->unchecked = true;
	return 0;
}

static int socket_key(struct reader *r, struct unit *u, const char *k, const char *v)
{
	struct sockunit *su = &u->sock;
	if (r->kid == K_SOCK_STATE) {
		static const char *const names[SOCK__MAX] = { "stopped", "listening", "failed" };
		int i = lookup_name(names, SOCK__MAX, v);
		if (i < 0)
			return bad(r, "unknown socket state '%s'", v);
		su->state = (enum sock_state)i;
	} else if (r->kid == K_SOCK_ERROR) {
		text_setf(&su->error, SVC_ERROR_MAX, "%s", v);
	} else if (r->kid == K_SOCK_SINCE) {
		return get_u64(r, v, UINT64_MAX, &su->since_usec);
	} else if (r->kid == K_ACCEPTED || r->kid == K_REFUSED) {
		uint64_t x;
		if (get_u64(r, v, UINT32_MAX, &x) < 0)
			return -EBADMSG;
		*(r->kid == K_ACCEPTED ? &su->n_accepted : &su->n_refused) = (unsigned)x;
	} else if (r->kid == K_LISTENERS) {
		/* "12,13,-,15": one entry per Listen*= line of the unit. */
		const char *p = v;
		for (size_t i = 0; i < su->n; i++) {
			const char *end = strchr(p, ',');
			size_t n = end ? (size_t)(end - p) : strlen(p);
			if ((i + 1 < su->n) != (end != NULL) || n == 0 || n > 10)
				return bad(r, "listeners of %s: %zu entries expected", u->name, su->n);
			char fdbuf[16];
			memcpy(fdbuf, p, n);
			fdbuf[n] = '\0';
			p += n + (end ? 1 : 0);
			if (!strcmp(fdbuf, "-"))
				continue;
			int e = adopt_listener(r, u, i, fdbuf);
			if (e < 0)
				return e;
		}
		if (su->n == 0)
			return bad(r, "listeners for %s, which has none", u->name);
	} else if (r->kid == K_LISTENER) {
		char idx[16], fdbuf[16], tail;
		if (sscanf(v, "%15s %15s%c", idx, fdbuf, &tail) != 2)
			return bad(r, "bad listener '%s'", v);
		uint64_t i;
		if (get_u64(r, idx, su->n ? su->n - 1 : 0, &i) < 0 || su->n == 0)
			return bad(r, "listener index %s out of range for %s", idx, u->name);
		return adopt_listener(r, u, (size_t)i, fdbuf);
	} else {
		log_warn("re-exec state: unknown socket key '%s' ignored", k);
	}
	return 0;
}

static int unit_line(struct reader *r)
{
	const char *k = r->in->key, *v = r->in->val;
	if (r->kid == K_PATH) {
		free(r->path);
		r->path = strdup(v);
		return r->path ? 0 : bad(r, "out of memory");
	}
	if (r->kid == K_TEXT) {
		if (r->u)
			return bad(r, "text after runtime keys");
		if (r->have_text)
			return bad(r, "%s: text given twice", r->name);
		r->text = malloc(r->in->val_len + 1);
		if (!r->text)
			return bad(r, "out of memory");
		memcpy(r->text, v, r->in->val_len + 1);
		r->text_len = r->in->val_len;
		r->have_text = true;
		return 0;
	}
	if (r->kid == K_INSTANCE_OF) {
		struct unit *sock = unit_find(v);
		if (r->u || !sock || sock->kind != UNIT_SOCKET || !sock->conf || !sock->conf->sock.accept)
			return bad(r, "%s: instance of '%s', which is not an Accept=yes socket", r->name, v);
		r->u = accept_restore_instance(r->loop, sock, r->name);
		if (!r->u)
			return bad(r, "%s: cannot re-create the instance", r->name);
		return 0;
	}
	if (r->kid == K_REMOTE_ADDR || r->kid == K_REMOTE_PORT) {
		if (!r->u || !r->u->instance_of)
			return bad(r, "%s outside an instance", k);
		if (r->kid == K_REMOTE_ADDR)
			snprintf(r->u->svc.remote_addr, sizeof r->u->svc.remote_addr, "%s", v);
		else
			snprintf(r->u->svc.remote_port, sizeof r->u->svc.remote_port, "%s", v);
		return 0;
	}
	if (r->kid == K_LOAD_ERROR) {
		free(r->load_error);
		r->load_error = strdup(v);
		return r->load_error ? 0 : bad(r, "out of memory");
	}
	if (make_unit(r) < 0)
		return -EBADMSG;
	struct unit *u = r->u;
	if (!u->conf) {
		/* It no longer loads in this image: runtime keys have no unit to
		 * go to. A pid is still reaped by the reaper; say so. */
		if (r->kid == K_PID && strcmp(v, "0"))
			log_err("%s: does not load in this image; its process %s is no longer supervised", u->name, v);
		return 0;
	}
	return u->kind == UNIT_SERVICE ? service_key(r, u, k, v) : socket_key(r, u, k, v);
}

/* ---- top level ---- */

static int top_line(struct reader *r)
{
	const char *k = r->in->key, *v = r->in->val;
	if (r->kid == K_PREVIOUS_BINARY || r->kid == K_VERSION)
		return 0;
	if (r->kid == K_CONTROL_FD)
		return claim(r, v, &r->control_fd);
	if (r->kid == K_CONTROL_PATH) {
		if (r->control_fd < 0)
			return bad(r, "control-path without control-fd");
		int e = ctl_adopt_listener(r->loop, r->control_fd, v);
		return e < 0 ? bad(r, "control socket: %s", uv_strerror(e)) : 0;
	}
	if (r->kid == K_NOTIFY_FD)
		return claim(r, v, &r->notify_fd);
	if (r->kid == K_NOTIFY_PATH) {
		if (r->notify_fd < 0)
			return bad(r, "notify-path without notify-fd");
		int e = notify_adopt(r->loop, r->notify_fd, v);
		return e < 0 ? bad(r, "notify socket: %s", strerror(-e)) : 0;
	}
	if (r->kid == K_LOG_EPOLL) {
		int fd;
		if (r->units_seen)
			return bad(r, "log-epoll after the units");
		if (claim(r, v, &fd) < 0)
			return -EBADMSG;
		return logpipe_adopt_epoll(r->loop, fd) < 0 ? bad(r, "fd %d is not an epoll instance", fd) : 0;
	}
	if (r->kid == K_CLIENT) {
		char fdbuf[16];
		unsigned uid;
		int pid, hello;
		char tail;
		if (sscanf(v, "%15s %u %d %d%c", fdbuf, &uid, &pid, &hello, &tail) != 4 || pid < 0 ||
		    (hello != 0 && hello != 1))
			return bad(r, "bad client '%s'", v);
		int fd;
		if (claim(r, fdbuf, &fd) < 0)
			return -EBADMSG;
		return ctl_adopt_client(fd, uid, pid, hello) < 0 ? bad(r, "cannot adopt client") : 0;
	}
	if (r->kid == K_JOB) {
		struct pending_job j;
		char unit[PROTO_MAX_NAME + 2];
		unsigned long long gen0;
		char tail;
		if (r->n_jobs >= MAX_PENDING)
			return bad(r, "too many jobs");
		if (sscanf(v, "%d %u %u %llu %256s%c", &j.fd, &j.id, &j.type, &gen0, unit, &tail) != 5 ||
		    strlen(unit) > PROTO_MAX_NAME)
			return bad(r, "bad job '%s'", v);
		j.gen0 = gen0;
		snprintf(j.unit, sizeof j.unit, "%s", unit);
		struct pending_job *nj = realloc(r->jobs, (r->n_jobs + 1) * sizeof *nj);
		if (!nj)
			return bad(r, "out of memory");
		r->jobs = nj;
		r->jobs[r->n_jobs++] = j;
		return 0;
	}
	if (r->kid == K_REEXEC_REPLY) {
		char tail;
		if (sscanf(v, "%d %u%c", &r->reply_fd, &r->reply_id, &tail) != 2)
			return bad(r, "bad reexec-reply '%s'", v);
		r->have_reply = true;
		return 0;
	}
	if (r->kid == K_FDS)
		return 0; /* used before the loop existed (reexec_claim_fds); every fd is still claimed by its owner */
	log_warn("re-exec state: unknown key '%s' ignored", k);
	return 0;
}

/* Re-create what lives in libuv for one service. */
static void restore_handles(uv_loop_t *loop, struct unit *u)
{
	if (!u->conf)
		return;
	struct service *s = &u->svc;
	if (s->exec_fd >= 0)
		svc_watch_exec(u);
	if (s->tkind != TMR_NONE) {
		enum svc_timer kind = s->tkind;
		uint64_t now = now_mono_usec(), dl = s->deadline_mono;
		svc_arm_timer(u, kind, dl > now ? dl - now : 0);
		s->deadline_mono = dl; /* the same absolute deadline, not extended */
	}
	for (struct fdstore_entry *e = s->fdstore; e; e = e->next)
		fdstore_rewatch(loop, e);
	svc_overlap_restore(u);
	svc_watchdog_restore(u);
	svc_pidfile_restore(u);
}

int state_read(uv_loop_t *loop, struct state_in *in, char *err, size_t errlen)
{
	struct reader r = { .loop = loop, .in = in, .err = err, .errlen = errlen, .control_fd = -1,
			    .notify_fd = -1, .reply_fd = -1, .log_rfd = -1, .log_wfd = -1, .log_file_fd = -1 };
	int e;
	while ((e = si_next(in)) > 0) {
		r.kid = key_id(in->key);
		if (r.kid == K_BEGIN_UNIT) {
			if (r.name[0]) {
				e = bad(&r, "begin-unit inside %s", r.name);
				break;
			}
			if (!proto_unit_name_valid(in->val) ||
			    (!has_suffix(in->val, ".service") && !has_suffix(in->val, ".socket"))) {
				e = bad(&r, "bad unit name");
				break;
			}
			if (unit_find(in->val)) {
				e = bad(&r, "unit %s given twice", in->val);
				break;
			}
			snprintf(r.name, sizeof r.name, "%s", in->val);
			r.units_seen = true;
		} else if (r.kid == K_END_UNIT) {
			if (!r.name[0]) {
				e = bad(&r, "end-unit without begin-unit");
				break;
			}
			if ((e = make_unit(&r)) < 0)
				break;
			if (r.log_rfd >= 0) {
				e = bad(&r, "%s: log-pipe without log-partial", r.name);
				break;
			}
			reset_unit(&r);
		} else if (r.name[0]) {
			if ((e = unit_line(&r)) < 0)
				break;
		} else if ((e = top_line(&r)) < 0) {
			break;
		}
	}
	if (e == 0 && r.name[0])
		e = bad(&r, "unit %s not terminated", r.name);
	if (e < 0) {
		if (!err[0])
			snprintf(err, errlen, "state line %u: malformed", in->line);
		reset_unit(&r);
		free(r.jobs);
		return -EBADMSG;
	}
	if (r.control_fd < 0) {
		free(r.jobs);
		snprintf(err, errlen, "state has no control socket");
		return -EBADMSG;
	}

	unit_registry_finish();
	for (size_t i = 0; i < unit_count(); i++) {
		struct unit *u = unit_at(i);
		if (u->kind == UNIT_SOCKET && u->conf)
			sockunit_adopt(loop, u);
	}
	for (size_t i = 0; i < unit_count(); i++) {
		struct unit *u = unit_at(i);
		if (u->kind == UNIT_SERVICE)
			restore_handles(loop, u);
	}
	for (size_t i = 0; i < r.n_jobs; i++) {
		struct unit *u = unit_find(r.jobs[i].unit);
		if (!u || ctl_adopt_job(r.jobs[i].fd, r.jobs[i].id, (uint16_t)r.jobs[i].type, r.jobs[i].gen0, u) < 0)
			log_warn("re-exec state: job %u for %s dropped", r.jobs[i].id, r.jobs[i].unit);
	}
	free(r.jobs);
	/* Socket watching and waiting jobs follow from the restored states.
	 * Ordering waits are looked at once, by the caller (deps_run), not
	 * once per service: each look goes over every unit. */
	deps_defer(true);
	for (size_t i = 0; i < unit_count(); i++) {
		struct unit *u = unit_at(i);
		if (u->kind == UNIT_SERVICE && u->conf)
			svc_set_state(u, u->svc.state);
	}
	deps_defer(false);
	if (r.have_reply) {
		char msg[256];
		snprintf(msg, sizeof msg, "supervisord %s re-executed, pid %d", supervisord_version, (int)getpid());
		ctl_reply_by_fd(r.reply_fd, r.reply_id, 0, msg);
	}
	return 0;
}
