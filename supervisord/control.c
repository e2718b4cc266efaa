/*
 * control.c - see control.h.
 *
 * Client life cycle: accepted -> (HELLO) -> requests... -> closed. A client
 * is freed only in its poll handle's close_cb, and only after its jobs were
 * dropped, so a job never points at freed memory. A client that sends a
 * malformed frame gets an error reply and is disconnected; nothing it sends
 * can stop the daemon.
 *
 * Hostile or broken clients cost bounded resources: a frame is at most
 * PROTO_MAX_MSG (SEQPACKET delivers whole frames, so there is no half-read
 * request to wait for); at most CTL_MAX_CLIENTS connections (beyond that a
 * connection is accepted, told why, and closed at once); at most
 * CTL_MAX_QUEUED unread replies; and a client that has nothing in progress
 * (no job waiting) and sends or reads nothing for the idle time
 * (SUPERVISORD_CLIENT_IDLE_MS, default 30 s, 0 = never) is closed. One
 * timer sweeps every client; it runs only while there are clients.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"
#include "template.h"
#include "control_priv.h"
#include "fdclaim.h"
#include "state_codec.h"
#include "log.h"
#include "logpipe.h"
#include "proto.h"
#include "reexec.h"
#include "reload.h"
#include "service.h"
#include "sockunit.h"
#include "unit.h"
#include "version.h"

#define CTL_MAX_CLIENTS 1024 /* main.c raises RLIMIT_NOFILE well above this */
#define CTL_MAX_QUEUED  64   /* frames queued for one slow client before it is dropped */
#define CTL_IDLE_MS_DEFAULT 30000u

struct outframe {
	struct outframe *next;
	uint16_t type, flags;
	uint32_t id;
	size_t len;
	uint8_t *payload;
	int *fds;        /* duplicates owned by the frame, closed once sent */
	size_t nfds;
};

struct job {
	struct job *next;
	struct client *c;
	uint32_t id;
	uint16_t type;
	struct unit *u;
	uint64_t gen0;
};

static uv_loop_t *ctl_loop;
static int listen_fd = -1;
static uv_poll_t listen_watch;
static bool listen_watch_init;
static char listen_path[108];
static struct client *clients;
static unsigned n_clients;
static struct job *jobs;
static uv_timer_t idle_timer;
static bool idle_timer_init;
static uint64_t idle_ms = CTL_IDLE_MS_DEFAULT;

static void client_close(struct client *c);
static void clients_changed(void);

/* ---- output ---- */

static void flush_out(struct client *c);
static void client_cb(uv_poll_t *w, int status, int events);

static void client_poll_update(struct client *c)
{
	if (c->closing || !c->watch)
		return;
	int ev = UV_READABLE | UV_DISCONNECT;
	if (c->out)
		ev |= UV_WRITABLE;
	uv_poll_start(c->watch, ev, client_cb);
}

static void outframe_free(struct outframe *f)
{
	proto_close_fds(f->fds, f->nfds);
	free(f->fds);
	free(f->payload);
	free(f);
}

void ctl_send_fds(struct client *c, uint16_t type, uint16_t flags, uint32_t id, const void *payload,
		  size_t len, const int *fds, size_t nfds)
{
	if (c->closing)
		return;
	if (!c->out) {
		int r = proto_send(c->fd, type, flags, id, payload, len, fds, nfds);
		if (r == 0)
			return;
		if (r != -EAGAIN) {
			log_debug("control: client pid %d: send: %s", (int)c->pid, strerror(-r));
			client_close(c);
			return;
		}
	}
	if (c->n_out >= CTL_MAX_QUEUED) {
		log_warn("control: client pid %d does not read its replies, disconnecting", (int)c->pid);
		client_close(c);
		return;
	}
	struct outframe *f = calloc(1, sizeof *f);
	if (!f || (len && !(f->payload = malloc(len))) || (nfds && !(f->fds = calloc(nfds, sizeof *f->fds)))) {
		if (f)
			outframe_free(f);
		client_close(c);
		return;
	}
	if (len)
		memcpy(f->payload, payload, len);
	for (size_t i = 0; i < nfds; i++) {
		/* The caller keeps its descriptors: queue duplicates. */
		f->fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
		if (f->fds[i] < 0) {
			f->nfds = i;
			outframe_free(f);
			client_close(c);
			return;
		}
		f->nfds = i + 1;
	}
	f->type = type;
	f->flags = flags;
	f->id = id;
	f->len = len;
	*c->out_tail = f;
	c->out_tail = &f->next;
	c->n_out++;
	client_poll_update(c);
}

static void flush_out(struct client *c)
{
	while (c->out) {
		struct outframe *f = c->out;
		int r = proto_send(c->fd, f->type, f->flags, f->id, f->payload, f->len, f->fds, f->nfds);
		if (r == -EAGAIN)
			break;
		if (r < 0) {
			client_close(c);
			return;
		}
		c->out = f->next;
		if (!c->out)
			c->out_tail = &c->out;
		c->n_out--;
		outframe_free(f);
		c->last_active_ms = uv_now(ctl_loop);
	}
	client_poll_update(c);
}

static void send_frame(struct client *c, uint16_t type, uint16_t flags, uint32_t id,
		       const void *payload, size_t len)
{
	ctl_send_fds(c, type, flags, id, payload, len, NULL, 0);
}

void ctl_reply_ok(struct client *c, uint32_t id, const char *msg)
{
	uint8_t buf[PROTO_MAX_STR + 16];
	struct proto_buf b;
	proto_buf_init_writer(&b, buf, sizeof buf);
	proto_put_str(&b, msg);
	send_frame(c, PROTO_R_OK, 0, id, b.data, b.len);
}

void ctl_reply_err(struct client *c, uint32_t id, int err, const char *fmt, ...)
{
	char msg[PROTO_MAX_STR];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	uint8_t buf[PROTO_MAX_STR + 16];
	struct proto_buf b;
	proto_buf_init_writer(&b, buf, sizeof buf);
	proto_put_i32(&b, err);
	proto_put_str(&b, msg);
	send_frame(c, PROTO_R_ERROR, 0, id, b.data, b.len);
}

/* ---- jobs ---- */

static void job_free(struct job **pp)
{
	struct job *j = *pp;
	*pp = j->next;
	free(j);
}

static void drop_jobs_of(struct client *c)
{
	for (struct job **pp = &jobs; *pp;) {
		if ((*pp)->c == c)
			job_free(pp);
		else
			pp = &(*pp)->next;
	}
}

/* Returns 1 when the job is finished (and answered), 0 to keep waiting. */
static int job_check(struct job *j)
{
	struct unit *u = j->u;
	struct service *s = &u->svc;
	if (j->type == PROTO_STOP) {
		if (s->state == SVC_STOPPED || s->state == SVC_FAILED) {
			ctl_reply_ok(j->c, j->id, "");
			return 1;
		}
		return 0;
	}
	/* start / restart. A Type=simple service is "running" from fork on, but
	 * the job waits until exec has succeeded (the status pipe closed), so
	 * that a missing binary fails the start instead of reporting success. */
	bool fresh = s->generation > j->gen0;
	bool exec_known = s->exec_fd < 0 && s->result != RES_EXEC;
	if (s->state == SVC_RUNNING && exec_known && (fresh || j->type == PROTO_START)) {
		ctl_reply_ok(j->c, j->id, "");
		return 1;
	}
	/* A oneshot has started once it has run to its end (systemd). */
	bool done = s->state == SVC_EXITED || (s->state == SVC_STOPPED && s->oneshot_done);
	if (done && (fresh || (j->type == PROTO_START && s->state == SVC_EXITED))) {
		ctl_reply_ok(j->c, j->id, "");
		return 1;
	}
	/* Skipped by a Condition*=: a start that succeeded, as in systemd. */
	if (s->state == SVC_STOPPED && s->condition_skipped && fresh) {
		ctl_reply_ok(j->c, j->id, s->error ? s->error : "");
		return 1;
	}
	if (s->state == SVC_FAILED || (s->state == SVC_STOPPED && !s->want_up) ||
	    (s->state == SVC_AUTO_RESTART && fresh)) {
		ctl_reply_err(j->c, j->id, -EIO, "%s failed to start (%s): %s", u->name,
			  svc_result_name(s->result), s->error ? s->error : "stopped");
		return 1;
	}
	return 0;
}

void ctl_jobs_drop_unit(struct unit *u)
{
	for (struct job **pp = &jobs; *pp;) {
		if ((*pp)->u == u)
			job_free(pp);
		else
			pp = &(*pp)->next;
	}
}

void ctl_jobs_update(struct unit *u)
{
	for (struct job **pp = &jobs; *pp;) {
		struct job *j = *pp;
		if (j->u == u && !j->c->closing && job_check(j))
			job_free(pp);
		else
			pp = &(*pp)->next;
	}
}

/* ---- requests ---- */

static void do_hello(struct client *c, uint32_t id, struct proto_buf *b)
{
	uint32_t ver;
	char name[PROTO_MAX_NAME + 1];
	if (proto_get_u32(b, &ver) < 0 || proto_get_str(b, name, sizeof name) < 0 || proto_get_end(b) < 0) {
		ctl_reply_err(c, id, -EBADMSG, "malformed HELLO");
		return;
	}
	if (ver != PROTO_VERSION) {
		ctl_reply_err(c, id, -EPROTONOSUPPORT, "protocol version %u not supported (daemon speaks %u)",
			  ver, PROTO_VERSION);
		return;
	}
	c->hello = true;
	uint8_t out[256];
	struct proto_buf w;
	proto_buf_init_writer(&w, out, sizeof out);
	proto_put_u32(&w, PROTO_VERSION);
	proto_put_str(&w, supervisord_version);
	proto_put_u32(&w, (uint32_t)getpid());
	send_frame(c, PROTO_R_HELLO, 0, id, w.data, w.len);
}

static void fill_status(const struct unit *u, struct proto_unit_status *st)
{
	memset(st, 0, sizeof *st);
	snprintf(st->name, sizeof st->name, "%s", u->name);
	st->type = u->kind == UNIT_SOCKET ? PROTO_UNIT_SOCKET : PROTO_UNIT_SERVICE;
	snprintf(st->state, sizeof st->state, "%s", unit_state_label(u));
	if (u->conf && u->conf->description)
		snprintf(st->description, sizeof st->description, "%s", u->conf->description);
	if (!u->conf) {
		snprintf(st->status, sizeof st->status, "bad unit file: %s", u->load_error ? u->load_error : "?");
		return;
	}
	if (u->load_error) {
		/* A reload found the file broken: the old definition runs on. */
		snprintf(st->status, sizeof st->status, "%s", u->load_error);
		if (u->kind == UNIT_SERVICE) {
			st->pid = (uint32_t)u->svc.pid;
			st->restarts = u->svc.restarts;
			st->since_usec = u->svc.since_usec;
		}
		return;
	}
	if (u->kind == UNIT_SERVICE) {
		const struct service *s = &u->svc;
		st->pid = (uint32_t)s->pid;
		st->restarts = s->restarts;
		st->since_usec = s->since_usec;
		if (s->error && (s->state == SVC_FAILED || s->state == SVC_AUTO_RESTART || !s->status_text))
			snprintf(st->status, sizeof st->status, "%s", s->error);
		else
			snprintf(st->status, sizeof st->status, "%s", text_str(s->status_text));
	} else {
		st->since_usec = u->sock.since_usec;
		snprintf(st->status, sizeof st->status, "%s", text_str(u->sock.error));
	}
}

static void do_status(struct client *c, uint32_t id, struct proto_buf *b)
{
	uint32_t n;
	if (proto_get_u32(b, &n) < 0 || n > 4096) {
		ctl_reply_err(c, id, -EBADMSG, "malformed STATUS");
		return;
	}
	struct unit **list = NULL;
	size_t count = 0;
	if (n == 0) {
		list = malloc((unit_count() ? unit_count() : 1) * sizeof *list);
		if (!list)
			goto oom;
		for (size_t i = 0; i < unit_count(); i++)
			if (!unit_at(i)->dead)
				list[count++] = unit_at(i);
	} else {
		list = malloc(n * sizeof *list);
		if (!list)
			goto oom;
		for (uint32_t i = 0; i < n; i++) {
			char name[PROTO_MAX_NAME + 1], canon[PROTO_MAX_NAME + 16];
			if (proto_get_str(b, name, sizeof name) < 0) {
				free(list);
				ctl_reply_err(c, id, -EBADMSG, "malformed STATUS");
				return;
			}
			struct unit *u = unit_lookup(name, canon, sizeof canon);
			if (!u) {
				free(list);
				ctl_reply_err(c, id, -ENOENT, "unit %s not found", canon);
				return;
			}
			list[count++] = u;
		}
	}
	if (proto_get_end(b) < 0) {
		free(list);
		ctl_reply_err(c, id, -EBADMSG, "malformed STATUS");
		return;
	}

	/* Pack records into frames; every frame but the last has F_MORE. */
	static uint8_t frame[PROTO_MAX_PAYLOAD];
	static uint8_t rec[PROTO_MAX_PAYLOAD];
	static struct proto_unit_status st;
	size_t i = 0;
	do {
		struct proto_buf w;
		proto_buf_init_writer(&w, frame, sizeof frame);
		proto_put_u32(&w, 0); /* count, patched below */
		uint32_t in_frame = 0;
		while (i < count) {
			struct proto_buf r;
			proto_buf_init_writer(&r, rec, sizeof rec);
			fill_status(list[i], &st);
			proto_put_unit_status(&r, &st);
			if (w.len + r.len > w.cap)
				break;
			memcpy(w.data + w.len, r.data, r.len);
			w.len += r.len;
			in_frame++;
			i++;
		}
		memcpy(frame, &in_frame, sizeof in_frame);
		send_frame(c, PROTO_R_STATUS, i < count ? PROTO_F_MORE : 0, id, w.data, w.len);
	} while (i < count && !c->closing);
	free(list);
	return;
oom:
	ctl_reply_err(c, id, -ENOMEM, "out of memory");
}

static void do_job(struct client *c, uint32_t id, uint16_t type, struct proto_buf *b)
{
	char name[PROTO_MAX_NAME + 1], canon[PROTO_MAX_NAME + 16], err[SVC_ERROR_MAX];
	uint32_t flags;
	if (proto_get_str(b, name, sizeof name) < 0 || proto_get_u32(b, &flags) < 0 || proto_get_end(b) < 0) {
		ctl_reply_err(c, id, -EBADMSG, "malformed %s", proto_type_name(type));
		return;
	}
	struct unit *u = unit_lookup(name, canon, sizeof canon);
	if (!u && type != PROTO_STOP)
		u = template_find_or_make(canon); /* NAME@INSTANCE from NAME@.service */
	if (!u) {
		ctl_reply_err(c, id, -ENOENT, "unit %s not found", canon);
		return;
	}
	if (type != PROTO_STOP && conf_is_template(u->name)) {
		ctl_reply_err(c, id, -EINVAL, "%s is a template: start an instance of it (%.*s@NAME%s)", u->name,
			      (int)(strchr(u->name, '@') - u->name), u->name, strrchr(u->name, '.'));
		return;
	}
	/* RefuseManualStart=/RefuseManualStop=: what other units pull in or
	 * stop still happens; the operator's own request is refused, a
	 * restart when either is set (it is a stop and a start). */
	if (u->conf && ((u->conf->refuse_manual_start && type != PROTO_STOP) ||
			(u->conf->refuse_manual_stop && type != PROTO_START))) {
		bool start = u->conf->refuse_manual_start && type != PROTO_STOP;
		ctl_reply_err(c, id, -EPERM, "%s may not be %s by hand (RefuseManual%s=yes)", u->name,
			      start ? "started" : "stopped", start ? "Start" : "Stop");
		return;
	}
	if (u->kind == UNIT_SOCKET) {
		/* Socket units open and close at once: no job to wait for. */
		int r = 0;
		err[0] = '\0';
		if (type == PROTO_STOP) {
			sockunit_stop(u);
		} else {
			if (type == PROTO_RESTART)
				sockunit_stop(u);
			r = sockunit_start(ctl_loop, u, err, sizeof err);
		}
		if (r < 0)
			ctl_reply_err(c, id, r, "%s", err);
		else
			ctl_reply_ok(c, id, "");
		return;
	}
	if (!u->conf) {
		ctl_reply_err(c, id, -ENOEXEC, "%s is not loaded: %s", u->name, u->load_error);
		return;
	}
	struct job *j = NULL;
	if (!(flags & PROTO_JOB_NO_BLOCK)) {
		j = calloc(1, sizeof *j);
		if (!j) {
			ctl_reply_err(c, id, -ENOMEM, "out of memory");
			return;
		}
		j->c = c;
		j->id = id;
		j->type = type;
		j->u = u;
		j->gen0 = u->svc.generation;
		j->next = jobs;
		jobs = j;
	}
	int r;
	err[0] = '\0';
	if (type == PROTO_START)
		r = svc_start(u, err, sizeof err);
	else if (type == PROTO_STOP)
		r = svc_stop(u);
	else if (flags & PROTO_JOB_OVERLAP)
		r = svc_restart_overlap(u, err, sizeof err);
	else
		r = svc_restart(u, err, sizeof err);
	if (r < 0) {
		if (j) {
			for (struct job **pp = &jobs; *pp; pp = &(*pp)->next)
				if (*pp == j) {
					job_free(pp);
					break;
				}
		}
		ctl_reply_err(c, id, r, "%s", err[0] ? err : strerror(-r));
		return;
	}
	if (j)
		ctl_jobs_update(u); /* it may be done already */
	else
		ctl_reply_ok(c, id, "");
}

/* fds: what arrived with the frame. A handler that keeps some sets their
 * slots to -1; whatever is left is closed by the caller. */
static void handle_frame(struct client *c, const struct proto_hdr *h, const uint8_t *payload, int *fds,
			 size_t nfds)
{
	struct proto_buf b;
	proto_buf_init_reader(&b, payload, h->len);
	if (h->type != PROTO_HELLO && !c->hello) {
		ctl_reply_err(c, h->id, -EPROTO, "HELLO expected first");
		return;
	}
	switch (h->type) {
	case PROTO_FDS_LIST:
	case PROTO_FD_GET:
	case PROTO_FD_STORE:
		ctl_fds_handle(c, h, &b, fds, nfds);
		break;
	case PROTO_LOGS: {
		char name[PROTO_MAX_NAME + 1], canon[PROTO_MAX_NAME + 16], path[PROTO_MAX_STR];
		uint32_t lines, follow;
		if (proto_get_str(&b, name, sizeof name) < 0 || proto_get_u32(&b, &lines) < 0 ||
		    proto_get_u32(&b, &follow) < 0 || proto_get_end(&b) < 0) {
			ctl_reply_err(c, h->id, -EBADMSG, "malformed LOGS");
			break;
		}
		struct unit *u = unit_lookup(name, canon, sizeof canon);
		if (!u || u->kind != UNIT_SERVICE) {
			ctl_reply_err(c, h->id, -ENOENT, "unit %s not found", canon);
			break;
		}
		/* Everything written so far is in the file before we answer. */
		struct unit *owner = u->template_unit ? u->template_unit : u;
		logpipe_drain(owner);
		logpipe_path(owner, path, sizeof path);
		ctl_reply_ok(c, h->id, path);
		break;
	}
	case PROTO_RELOAD: {
		char name[PROTO_MAX_NAME + 1], msg[PROTO_MAX_STR];
		if (proto_get_str(&b, name, sizeof name) < 0 || proto_get_end(&b) < 0) {
			ctl_reply_err(c, h->id, -EBADMSG, "malformed RELOAD");
			break;
		}
		if (name[0]) {
			ctl_unit_reload(c, h->id, name); /* ExecReload= of one unit */
			break;
		}
		int r = unit_reload_all(ctl_loop, msg, sizeof msg);
		if (r < 0)
			ctl_reply_err(c, h->id, r, "%s", msg);
		else
			ctl_reply_ok(c, h->id, msg);
		break;
	}
	case PROTO_REEXEC: {
		char binary[PROTO_MAX_STR + 1];
		if (proto_get_str(&b, binary, sizeof binary) < 0 || proto_get_end(&b) < 0) {
			ctl_reply_err(c, h->id, -EBADMSG, "malformed REEXEC");
			break;
		}
		reexec_request(ctl_loop, c, h->id, binary);
		break;
	}
	case PROTO_HELLO:
		do_hello(c, h->id, &b);
		break;
	case PROTO_STATUS:
		do_status(c, h->id, &b);
		break;
	case PROTO_START:
	case PROTO_STOP:
	case PROTO_RESTART:
		do_job(c, h->id, h->type, &b);
		break;
	case PROTO_KILL:
	case PROTO_RESET_FAILED:
		ctl_ops_handle(c, h, &b);
		break;
	default:
		ctl_reply_err(c, h->id, -EOPNOTSUPP, "request %s (%u) not supported", proto_type_name(h->type),
			  h->type);
		break;
	}
}

/* ---- connections ---- */

static void client_close_cb(uv_handle_t *h)
{
	struct client *c = h->data;
	while (c->out) {
		struct outframe *f = c->out;
		c->out = f->next;
		outframe_free(f);
	}
	free(h);
	free(c);
}

static void client_close(struct client *c)
{
	if (c->closing)
		return;
	c->closing = true;
	drop_jobs_of(c);
	reexec_client_gone(c);
	svc_reload_client_gone(c->fd);
	for (struct client **pp = &clients; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	n_clients--;
	clients_changed();
	if (c->watch) {
		uv_poll_stop(c->watch);
		uv_close((uv_handle_t *)c->watch, client_close_cb);
	}
	close(c->fd);
	c->fd = -1;
	if (!c->watch)
		client_close_cb(NULL);
}

static void client_cb(uv_poll_t *w, int status, int events)
{
	struct client *c = w->data;
	static uint8_t buf[PROTO_MAX_MSG];
	int fds[PROTO_MAX_FDS_PER_MSG];

	if (status < 0) {
		client_close(c);
		return;
	}
	if (events & UV_WRITABLE) {
		flush_out(c);
		if (c->closing)
			return;
	}
	if (!(events & (UV_READABLE | UV_DISCONNECT)))
		return;
	/* A bounded number of frames per wake-up, so one chatty client cannot
	 * starve the others. */
	for (int i = 0; i < 16 && !c->closing; i++) {
		struct proto_hdr h;
		const uint8_t *payload;
		size_t nfds = 0;
		int r = proto_recv(c->fd, buf, &h, &payload, fds, &nfds);
		if (r == -EAGAIN)
			return;
		if (r == -EPIPE || r == -ECONNRESET) {
			/* Gone; a reset means it left our reply unread. */
			client_close(c);
			return;
		}
		if (r < 0) {
			log_warn("control: client pid %d sent an invalid frame (%s), disconnecting", (int)c->pid,
				 strerror(-r));
			ctl_reply_err(c, 0, r, "invalid frame: %s", strerror(-r));
			client_close(c);
			return;
		}
		c->last_active_ms = uv_now(ctl_loop);
		handle_frame(c, &h, payload, fds, nfds);
		proto_close_fds(fds, nfds); /* whatever the handler did not take */
	}
}

/* Refusals are logged at most once a second (with the count of those not
 * logged), so a flood of connections cannot flood the log. */
static void log_refusal(const char *why, unsigned uid, int pid)
{
	static uint64_t last_ms;
	static unsigned quiet;
	uint64_t now = uv_now(ctl_loop);
	if (last_ms && now - last_ms < 1000) {
		quiet++;
		return;
	}
	if (quiet)
		log_warn("control: refused uid %u (pid %d): %s (and %u more refusals)", uid, pid, why, quiet);
	else
		log_warn("control: refused uid %u (pid %d): %s", uid, pid, why);
	last_ms = now;
	quiet = 0;
}

/* Tell a refused peer why (one non-blocking send, no queue), then close. */
static void refuse(int fd, int err, const char *msg)
{
	uint8_t buf[256];
	struct proto_buf b;
	proto_buf_init_writer(&b, buf, sizeof buf);
	proto_put_i32(&b, err);
	proto_put_str(&b, msg);
	proto_send(fd, PROTO_R_ERROR, 0, 0, b.data, b.len, NULL, 0);
	close(fd);
}

/* Out of descriptors (or memory), accept() fails while the connection
 * stays queued, so the listener stays readable and polling on would spin.
 * Stop watching it for a moment instead, as accept.c does for Accept=yes;
 * the warning is rate-limited. */
#define CTL_ACCEPT_PAUSE_MS 100
static uv_timer_t accept_pause;
static bool accept_pause_init;

static void accept_cb(uv_poll_t *w, int status, int events);

static void accept_resume_cb(uv_timer_t *t)
{
	(void)t;
	if (listen_watch_init)
		uv_poll_start(&listen_watch, UV_READABLE, accept_cb);
}

static void accept_pause_for(int err)
{
	static uint64_t last_log_ms;
	uint64_t now = uv_now(ctl_loop);
	if (!last_log_ms || now - last_log_ms >= 10000) {
		log_warn("control: accept: %s; pausing new connections for %d ms", strerror(err),
			 CTL_ACCEPT_PAUSE_MS);
		last_log_ms = now;
	}
	if (!accept_pause_init) {
		if (uv_timer_init(ctl_loop, &accept_pause) < 0)
			return;
		accept_pause_init = true;
	}
	uv_poll_stop(&listen_watch);
	uv_timer_start(&accept_pause, accept_resume_cb, CTL_ACCEPT_PAUSE_MS, 0);
}

/* A connection becomes a client: accepted now, or carried across a
 * re-exec. Takes fd on success; 0 or -ENOMEM. */
static int client_add(int fd, uid_t uid, pid_t pid, bool hello)
{
	struct client *c = calloc(1, sizeof *c);
	uv_poll_t *pw = malloc(sizeof *pw);
	if (!c || !pw || uv_poll_init(ctl_loop, pw, fd) < 0) {
		free(c);
		free(pw);
		return -ENOMEM;
	}
	c->fd = fd; /* now owned by the client */
	c->uid = uid;
	c->pid = pid;
	c->hello = hello;
	c->watch = pw;
	pw->data = c;
	c->out_tail = &c->out;
	c->last_active_ms = uv_now(ctl_loop);
	c->next = clients;
	clients = c;
	n_clients++;
	clients_changed();
	client_poll_update(c);
	return 0;
}

static void accept_cb(uv_poll_t *w, int status, int events)
{
	for (int i = 0; i < 16; i++) {
		int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
				accept_pause_for(errno);
			else if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				log_warn("control: accept: %s", strerror(errno));
			return;
		}
		struct ucred cred;
		socklen_t cl = sizeof cred;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0) {
			close(fd);
			continue;
		}
		if (cred.uid != 0 && cred.uid != geteuid()) {
			log_refusal("permission denied", (unsigned)cred.uid, (int)cred.pid);
			refuse(fd, -EACCES,
			       "permission denied: only root or the daemon's user may use the control socket");
			continue;
		}
		if (n_clients >= CTL_MAX_CLIENTS) {
			log_refusal("too many clients", (unsigned)cred.uid, (int)cred.pid);
			refuse(fd, -EUSERS, "supervisord has too many control connections open; try again");
			continue;
		}
		if (client_add(fd, cred.uid, cred.pid, false) < 0)
			close(fd);
	}
}

/* ---- idle clients ---- */

static bool client_busy(const struct client *c)
{
	for (const struct job *j = jobs; j; j = j->next)
		if (j->c == c)
			return true;
	return false;
}

static void idle_cb(uv_timer_t *t)
{
	(void)t;
	uint64_t now = uv_now(ctl_loop);
	for (struct client *c = clients, *next; c; c = next) {
		next = c->next; /* client_close unlinks c */
		if (c->closing || client_busy(c) || now - c->last_active_ms < idle_ms)
			continue;
		log_debug("control: client pid %d idle for %llu ms, closing", (int)c->pid,
			  (unsigned long long)(now - c->last_active_ms));
		client_close(c);
	}
}

static void idle_setup(uv_loop_t *loop)
{
	const char *e = getenv("SUPERVISORD_CLIENT_IDLE_MS");
	if (e && *e) {
		char *end;
		unsigned long long v = strtoull(e, &end, 10);
		if (*end == '\0' && v <= 24ull * 3600 * 1000)
			idle_ms = v;
		else
			log_warn("control: ignoring SUPERVISORD_CLIENT_IDLE_MS=%s", e);
	}
	if (!idle_timer_init && uv_timer_init(loop, &idle_timer) == 0) {
		idle_timer_init = true;
		uv_unref((uv_handle_t *)&idle_timer); /* clients keep the loop alive, not this */
	}
}

/* The sweep runs only while a client is connected: an idle daemon does not
 * wake up for it. Its period is a quarter of the idle time (at most 1 s), so a
 * client is closed between idle_ms and 1.25 idle_ms after its last activity. */
static void clients_changed(void)
{
	if (!idle_timer_init || idle_ms == 0)
		return;
	if (n_clients == 0) {
		uv_timer_stop(&idle_timer);
	} else if (!uv_is_active((uv_handle_t *)&idle_timer)) {
		uint64_t period = idle_ms / 4 < 1000 ? idle_ms / 4 : 1000;
		uv_timer_start(&idle_timer, idle_cb, period ? period : 1, period ? period : 1);
	}
}

int ctl_listen(uv_loop_t *loop, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int r;
	ctl_loop = loop;
	if (strlen(path) >= sizeof sa.sun_path) {
		snprintf(err, errlen, "%s: path too long", path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return r;
	}
	/* A socket file left by a dead daemon is replaced; a live one is not. */
	int probe = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (probe >= 0) {
		if (connect(probe, (struct sockaddr *)&sa, sizeof sa) == 0) {
			close(probe);
			close(fd);
			snprintf(err, errlen, "%s: another supervisord is running there", path);
			return -EADDRINUSE;
		}
		close(probe);
	}
	unlink(path);
	mode_t old = umask(0177);
	r = bind(fd, (struct sockaddr *)&sa, sizeof sa);
	umask(old);
	if (r < 0 || chmod(path, 0600) < 0 || listen(fd, 128) < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return r;
	}
	r = uv_poll_init(loop, &listen_watch, fd);
	if (r < 0) {
		snprintf(err, errlen, "%s: %s", path, uv_strerror(r));
		close(fd);
		unlink(path);
		return r;
	}
	listen_watch_init = true;
	listen_fd = fd;
	snprintf(listen_path, sizeof listen_path, "%s", path);
	uv_poll_start(&listen_watch, UV_READABLE, accept_cb);
	idle_setup(loop);
	return 0;
}

void ctl_shutdown(void)
{
	while (clients)
		client_close(clients);
	if (listen_watch_init) {
		uv_poll_stop(&listen_watch);
		uv_close((uv_handle_t *)&listen_watch, NULL);
		listen_watch_init = false;
	}
	if (idle_timer_init) {
		uv_timer_stop(&idle_timer);
		uv_close((uv_handle_t *)&idle_timer, NULL);
		idle_timer_init = false;
	}
	if (accept_pause_init) {
		uv_timer_stop(&accept_pause);
		uv_close((uv_handle_t *)&accept_pause, NULL);
		accept_pause_init = false;
	}
	if (listen_fd >= 0) {
		close(listen_fd);
		listen_fd = -1;
		unlink(listen_path);
	}
}

/* ---- re-exec ----
 * Serialized: the listener, every client connection (so no supctl is cut
 * off), every waiting job, and the reexec request itself, which the new
 * image answers. A client's queued output is lost: a client that has not
 * read its previous replies does not get them. */

void ctl_serialize(struct state_out *o, struct fdlist *keep)
{
	so_i64(o, "control-fd", listen_fd);
	so_str(o, "control-path", listen_path);
	fdlist_add(keep, listen_fd);
	for (struct client *c = clients; c; c = c->next) {
		if (c->closing || c->fd < 0)
			continue;
		if (c->out)
			log_warn("control: client pid %d has %u unread replies; they are dropped by the re-exec",
				 (int)c->pid, c->n_out);
		so_fmt(o, "client", "%d %u %d %d", c->fd, (unsigned)c->uid, (int)c->pid, c->hello ? 1 : 0);
		fdlist_add(keep, c->fd);
	}
}

void ctl_serialize_jobs(struct state_out *o, const struct client *req, uint32_t req_id)
{
	for (struct job *j = jobs; j; j = j->next)
		if (!j->c->closing)
			so_fmt(o, "job", "%d %u %u %llu %s", j->c->fd, j->id, j->type, (unsigned long long)j->gen0,
			       j->u->name);
	if (req)
		so_fmt(o, "reexec-reply", "%d %u", req->fd, req_id);
}

int ctl_adopt_listener(uv_loop_t *loop, int fd, const char *path)
{
	ctl_loop = loop;
	int r = uv_poll_init(loop, &listen_watch, fd);
	if (r < 0)
		return r;
	listen_watch_init = true;
	listen_fd = fd; /* now owned by the control server */
	snprintf(listen_path, sizeof listen_path, "%s", path);
	uv_poll_start(&listen_watch, UV_READABLE, accept_cb);
	idle_setup(loop);
	clients_changed(); /* clients may have been adopted before the listener */
	return 0;
}

int ctl_adopt_client(int fd, uid_t uid, pid_t pid, bool hello)
{
	return client_add(fd, uid, pid, hello);
}

static struct client *client_by_fd(int fd)
{
	for (struct client *c = clients; c; c = c->next)
		if (c->fd == fd && !c->closing)
			return c;
	return NULL;
}

int ctl_adopt_job(int client_fd, uint32_t id, uint16_t type, uint64_t gen0, struct unit *u)
{
	struct client *c = client_by_fd(client_fd);
	if (!c || (type != PROTO_START && type != PROTO_STOP && type != PROTO_RESTART) || u->kind != UNIT_SERVICE)
		return -EINVAL;
	struct job *j = calloc(1, sizeof *j);
	if (!j)
		return -ENOMEM;
	j->c = c;
	j->id = id;
	j->type = type;
	j->u = u;
	j->gen0 = gen0;
	j->next = jobs;
	jobs = j;
	return 0;
}

void ctl_reply_by_fd(int client_fd, uint32_t id, int err, const char *msg)
{
	struct client *c = client_by_fd(client_fd);
	if (!c)
		return;
	if (err)
		ctl_reply_err(c, id, err, "%s", msg);
	else
		ctl_reply_ok(c, id, msg);
}

