/*
 * sockunit.c - see sockunit.h.
 *
 * A hazard: uv_poll_init() switches the fd to non-blocking mode, and the
 * O_NONBLOCK flag lives in the open file description that the service
 * shares. systemd passes sockets blocking (NonBlocking=no), and a worker
 * doing a blocking accept() would otherwise get EAGAIN. So sockets are set
 * back to blocking after uv_poll_init(); epoll does not care. FIFOs,
 * special files and queues stay as opened (non-blocking). Either way the
 * service's child sets O_NONBLOCK on what it is passed as NonBlocking= says
 * before its exec (spawn.c), as systemd does. Accept=yes sockets are never
 * handed to a service, so the daemon keeps them non-blocking and accepts itself.
 *
 * Each listener's poll handle is allocated with the fd and freed in its
 * close callback, so a socket unit can be closed and opened again at once.
 */
#include <errno.h>
#include <limits.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "accept.h"
#include "condition.h"
#include "log.h"
#include "service.h"
#include "sockunit.h"

static const char *const sock_state_names[SOCK__MAX] = {
	[SOCK_STOPPED] = "stopped",
	[SOCK_LISTENING] = "listening",
	[SOCK_FAILED] = "failed",
};

const char *sockunit_state_name(enum sock_state s)
{
	return (unsigned)s < SOCK__MAX ? sock_state_names[s] : "unknown";
}

static bool accepting(const struct unit *u)
{
	return u->conf && u->conf->sock.accept;
}

static void set_nonblock(int fd, bool on)
{
	int v = on;
	ioctl(fd, FIONBIO, &v);
}

static void set_state(struct unit *u, enum sock_state st)
{
	u->sock.state = st;
	u->sock.since_usec = now_real_usec();
	unit_state_changed(u);
}

/* TriggerLimitIntervalSec=/TriggerLimitBurst=, systemd's rate limit on a
 * socket's activations: past it the socket fails and closes, as systemd's
 * "trigger-limit-hit", rather than spin on a service that never takes its
 * client (one skipped by a Condition*=, or one that exits at once). Not
 * for Accept=yes, whose connections MaxConnections= bounds instead. */
static bool trigger_ok(struct unit *u)
{
	const struct sock_conf *c = &u->conf->sock;
	struct sockunit *su = &u->sock;
	if (c->trigger_limit_interval_usec == 0 || c->trigger_limit_burst == 0)
		return true;
	uint64_t now = now_mono_usec();
	if (!su->trig_begin || now - su->trig_begin >= c->trigger_limit_interval_usec) {
		su->trig_begin = now;
		su->trig_count = 0;
	}
	if (++su->trig_count <= c->trigger_limit_burst)
		return true;
	text_setf(&su->error, SVC_ERROR_MAX, "trigger limit hit: activated more than %u times within %llu ms",
		  c->trigger_limit_burst, (unsigned long long)(c->trigger_limit_interval_usec / 1000));
	log_err("%s: %s; closing it", u->name, su->error);
	sockunit_close(u);
	set_state(u, SOCK_FAILED);
	return false;
}

static void activity_cb(uv_poll_t *h, int status, int events)
{
	struct unit *u = h->data;
	struct listener *l = NULL;
	for (size_t i = 0; i < u->sock.n; i++)
		if (u->sock.l[i].watch == h)
			l = &u->sock.l[i];
	if (!l)
		return;
	if (accepting(u)) {
		accept_connections(u, l);
		return;
	}
	/* Stop watching first: the service will accept this client itself. */
	sockunit_watch(u, false);
	if (!u->sock.service) {
		log_warn("%s: activity but no service to activate", u->name);
		return;
	}
	if (trigger_ok(u))
		svc_on_activation(u->sock.service);
}

const struct listen_addr *sockunit_addr(struct unit *u, size_t i)
{
	struct listener *l = &u->sock.l[i];
	if (l->addr)
		return l->addr;
	char why[256];
	if (!(l->addr = listen_parse_new(&u->conf->sock.listen[i], why, sizeof why)))
		log_err("%s: %s", u->name, why);
	return l->addr;
}

const char *sockunit_fdname(const struct unit *u)
{
	return u->conf && u->conf->sock.fdname ? u->conf->sock.fdname : u->name;
}

/* The Listen*= kind of listener l of u, known from its line, unparsed. */
static enum listen_kind kind_of(const struct unit *u, const struct listener *l)
{
	return u->conf->sock.listen[l - u->sock.l].kind;
}

/* Is listener l a socket (rather than a FIFO, special file or queue)? */
static bool is_socket(const struct unit *u, const struct listener *l)
{
	enum listen_kind k = kind_of(u, l);
	return k != LISTEN_FIFO && k != LISTEN_SPECIAL && k != LISTEN_MQUEUE;
}

/* Is st what a listener of kind k opens? A message queue is a regular
 * file of the mqueue file system. */
static bool file_type_fits(enum listen_kind k, const struct stat *st, const char **what)
{
	switch (k) {
	case LISTEN_FIFO:
		*what = "FIFO";
		return S_ISFIFO(st->st_mode);
	case LISTEN_SPECIAL:
		*what = "regular file or character device";
		return S_ISREG(st->st_mode) || S_ISCHR(st->st_mode);
	case LISTEN_MQUEUE:
		*what = "message queue";
		return S_ISREG(st->st_mode);
	default:
		*what = "socket";
		return S_ISSOCK(st->st_mode);
	}
}

/* The loop the daemon runs; socket units are created before any watch. */
static uv_loop_t *sock_loop;

/* Give an open listener its poll handle. Created only when the socket is
 * first watched: uv_poll_init costs two epoll_ctl calls (libuv checks the
 * fd is pollable), which adds up over a thousand held sockets whose
 * services are running and which nobody needs to watch -- at start-up and
 * at every re-exec. */
static int attach(struct unit *u, struct listener *l)
{
	if (l->watch)
		return 0;
	if (l->unchecked) {
		/* Handed over by a re-exec: make sure it is what the unit says
		 * before polling it (a FIFO or file where a socket should be
		 * would make every accept fail). */
		struct stat st;
		const char *what = "socket";
		if (fstat(l->fd, &st) < 0 || !file_type_fits(kind_of(u, l), &st, &what)) {
			log_err("%s: fd %d from the previous image is not a %s; not watched", u->name, l->fd, what);
			return -ENOTSOCK;
		}
		l->unchecked = false;
	}
	l->watch = malloc(sizeof *l->watch);
	if (!l->watch)
		return -ENOMEM;
	int r = uv_poll_init(sock_loop, l->watch, l->fd);
	if (r < 0) {
		free(l->watch);
		l->watch = NULL;
		return r;
	}
	l->watch->data = u;
	l->watching = false;
	/* uv_poll_init made the shared file description non-blocking: put
	 * back what the service expects (blocking), unless the daemon itself
	 * accepts (Accept=yes). */
	if (is_socket(u, l))
		set_nonblock(l->fd, accepting(u));
	return 0;
}

/* An open listener's mode, without a watch yet. */
static void settle_mode(struct unit *u, struct listener *l)
{
	if (is_socket(u, l))
		set_nonblock(l->fd, accepting(u));
}

static void detach(struct listener *l)
{
	if (!l->watch)
		return;
	uv_poll_stop(l->watch);
	unit_close_free((uv_handle_t *)l->watch);
	l->watch = NULL;
	l->watching = false;
}

/* The one path in the file system (socket or FIFO) Symlinks= points at. */
static const char *node_path(struct unit *u)
{
	for (size_t i = 0; i < u->sock.n; i++) {
		const struct listen_addr *a = sockunit_addr(u, i);
		if (a && LISTEN_HAS_NODE(a))
			return a->path;
	}
	return NULL;
}

static bool links_to(const char *link, const char *target)
{
	char buf[PATH_MAX];
	ssize_t n = readlink(link, buf, sizeof buf - 1);
	if (n < 0)
		return false;
	buf[n] = '\0';
	return !strcmp(buf, target);
}

/* Symlinks=: made once the unit listens; one that is in the way is
 * replaced only with RemoveOnStop= (systemd's socket_symlink), and a
 * failure is a warning, not a failed socket. */
static void make_symlinks(struct unit *u)
{
	const struct sock_conf *c = &u->conf->sock;
	const char *target = node_path(u);
	for (size_t i = 0; target && i < c->n_symlinks; i++) {
		const char *link = c->symlinks[i];
		if (links_to(link, target))
			continue;
		int r = symlink(target, link);
		if (r < 0 && errno == EEXIST && c->remove_on_stop && unlink(link) == 0)
			r = symlink(target, link);
		if (r < 0)
			log_warn("%s: Symlinks=%s: %s", u->name, link, strerror(errno));
	}
}

static void remove_symlinks(struct unit *u)
{
	const char *target = u->conf ? node_path(u) : NULL;
	for (size_t i = 0; target && i < u->conf->sock.n_symlinks; i++)
		if (links_to(u->conf->sock.symlinks[i], target))
			unlink(u->conf->sock.symlinks[i]);
}

void sockunit_close(struct unit *u)
{
	struct sockunit *su = &u->sock;
	bool open = false;
	for (size_t i = 0; i < su->n; i++)
		open = open || su->l[i].fd >= 0;
	if (open)
		remove_symlinks(u); /* with the path they point to (below) */
	for (size_t i = 0; i < su->n; i++) {
		struct listener *l = &su->l[i];
		detach(l);
		if (l->fd >= 0) {
			close(l->fd);
			l->fd = -1;
			const struct listen_addr *a = sockunit_addr(u, i);
			if (a)
				listen_unlink(a);
			/* A queue holds messages: removed only when asked (systemd). */
			if (a && a->kind == LISTEN_MQUEUE && u->conf && u->conf->sock.remove_on_stop)
				(void)mq_unlink(a->path);
		}
		free(l->addr);
		l->addr = NULL;
	}
	accept_stop_backoff(u);
	if (su->state == SOCK_LISTENING)
		set_state(u, SOCK_STOPPED);
}

/* listen_open's warning: the unit's name before it. */
static void option_refused(void *ctx, const char *msg)
{
	log_warn("%s: %s", ((struct unit *)ctx)->name, msg);
}

/* Condition*= and Assert*= before anything is bound, as systemd's
 * unit_start checks them for every kind of unit: 0 when they hold; 1 when
 * a condition was not met (the socket stays stopped, and that is no
 * error); -EPROTO when an assertion failed. */
static int conditions_hold(struct unit *u)
{
	char why[SVC_ERROR_MAX - 16];
	int r = cond_check(u->conf->conds, u->conf->n_conds, why, sizeof why);
	if (r == 0)
		return 0;
	if (r > 0) {
		text_setf(&u->sock.error, SVC_ERROR_MAX, "skipped: %s", why);
		log_info("%s: skipped: %s", u->name, why);
	} else {
		text_setf(&u->sock.error, SVC_ERROR_MAX, "%s", why);
		log_err("%s: not starting: %s", u->name, why);
	}
	set_state(u, SOCK_STOPPED);
	return r > 0 ? 1 : -EPROTO;
}

int sockunit_open(uv_loop_t *loop, struct unit *u)
{
	sock_loop = loop;
	struct sockunit *su = &u->sock;
	const struct sock_conf *c = &u->conf->sock;
	char err[SVC_ERROR_MAX];
	int r = 0;

	/* Listeners a reload carried over were judged when they were bound. */
	bool fresh = true;
	for (size_t i = 0; i < su->n; i++)
		fresh = fresh && su->l[i].fd < 0;
	if (fresh && (r = conditions_hold(u)) != 0)
		return r;
	for (size_t i = 0; i < su->n; i++) {
		struct listener *l = &su->l[i];
		if (l->fd < 0) {
			/* Parsed already when a reload carried it over. */
			if (!l->addr && !(l->addr = listen_parse_new(&c->listen[i], err, sizeof err))) {
				r = -errno;
				goto fail;
			}
			r = listen_open(l->addr, c, option_refused, u, err, sizeof err);
			if (r < 0)
				goto fail;
			l->fd = r; /* now owned by the listener */
			char where[256];
			listen_format(l->addr, where, sizeof where);
			log_info("%s: listening on %s", u->name, where);
		} /* else adopted after a re-exec or in rescue mode: never re-bound */
		settle_mode(u, l);
	}
	text_clear(&su->error);
	su->trig_begin = 0;
	make_symlinks(u);
	set_state(u, SOCK_LISTENING);
	if (accepting(u))
		sockunit_watch(u, true);
	return 0;
fail:
	text_setf(&su->error, SVC_ERROR_MAX, "%s", err);
	log_err("%s: %s", u->name, err);
	sockunit_close(u);
	set_state(u, SOCK_FAILED);
	return r < 0 ? r : -EINVAL;
}

void sockunit_adopt(uv_loop_t *loop, struct unit *u)
{
	struct sockunit *su = &u->sock;
	sock_loop = loop;
	/* Nothing to do per fd: O_NONBLOCK lives in the file description,
	 * which crossed the exec as the previous image left it. */
	if (accepting(u) && su->state == SOCK_LISTENING)
		sockunit_watch(u, true);
}

void sockunit_watch(struct unit *u, bool on)
{
	struct sockunit *su = &u->sock;
	if (accepting(u))
		on = su->backoff == NULL; /* the daemon accepts: always, unless paused */
	if (su->state != SOCK_LISTENING)
		on = false;
	for (size_t i = 0; i < su->n; i++) {
		struct listener *l = &su->l[i];
		if (l->fd < 0 || l->watching == on)
			continue;
		int r;
		if (on && (r = attach(u, l)) < 0) {
			const struct listen_addr *a = sockunit_addr(u, i);
			char where[256] = "?";
			if (a)
				listen_format(a, where, sizeof where);
			/* epoll refuses files without poll support: a regular
			 * file, /dev/null, /dev/urandom (but not /dev/random). */
			log_err("%s: cannot watch %s (fd %d) for activity: %s", u->name, where, l->fd, strerror(-r));
			continue;
		}
		if (on)
			uv_poll_start(l->watch, UV_READABLE, activity_cb);
		else
			uv_poll_stop(l->watch);
		l->watching = on;
	}
}

int sockunit_start(uv_loop_t *loop, struct unit *u, char *err, size_t errlen)
{
	if (!u->conf) {
		snprintf(err, errlen, "%s is not loaded: %s", u->name, u->load_error ? u->load_error : "?");
		return -ENOEXEC;
	}
	if (u->sock.state == SOCK_LISTENING)
		return 0;
	int r = sockunit_open(loop, u);
	if (r == 1)
		return 0; /* skipped by a condition: started, as systemctl says */
	if (r < 0) {
		snprintf(err, errlen, "%s: %s", u->name, text_str(u->sock.error));
		return r;
	}
	/* Watch for the first client if its service is down. */
	struct unit *svc = u->sock.service;
	if (!accepting(u) && svc && svc->conf)
		sockunit_watch(u, svc_socket_watch_wanted(svc));
	return 0;
}

void sockunit_stop(struct unit *u)
{
	/* systemd stops the service a socket triggers with the socket. */
	if (!accepting(u) && u->sock.service && u->sock.service->conf)
		svc_stop(u->sock.service);
	else if (accepting(u))
		accept_stop_instances(u);
	sockunit_close(u);
}
