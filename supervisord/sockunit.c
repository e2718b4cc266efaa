/*
 * sockunit.c - see sockunit.h.
 *
 * A hazard: uv_poll_init() switches the fd to non-blocking mode, and the
 * O_NONBLOCK flag lives in the open file description that the service
 * shares. systemd passes sockets blocking (NonBlocking=no), and a worker
 * doing a blocking accept() would otherwise get EAGAIN. So sockets are set
 * back to blocking after uv_poll_init(); epoll does not care. FIFOs stay
 * non-blocking, as systemd opens them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

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

static void set_blocking(int fd)
{
	int off = 0;
	ioctl(fd, FIONBIO, &off);
}

static void set_state(struct unit *u, enum sock_state st)
{
	u->sock.state = st;
	u->sock.since_usec = now_real_usec();
	unit_state_changed(u);
}

static void activity_cb(uv_poll_t *h, int status, int events)
{
	struct unit *u = h->data;
	struct unit *svc = u->sock.service;
	/* Stop watching first: the service will accept this client itself. */
	sockunit_watch(u, false);
	if (!svc) {
		log_warn("%s: activity but no service to activate", u->name);
		return;
	}
	svc_on_activation(svc);
}

void sockunit_close(struct unit *u)
{
	struct sockunit *su = &u->sock;
	for (size_t i = 0; i < su->n; i++) {
		struct listener *l = &su->l[i];
		if (l->watch_init) {
			uv_poll_stop(&l->watch);
			u->handles_open++;
			uv_close((uv_handle_t *)&l->watch, unit_handle_closed);
			l->watch_init = false;
			l->watching = false;
		}
		if (l->fd >= 0) {
			close(l->fd);
			l->fd = -1;
			listen_unlink(&l->addr);
		}
	}
	if (su->state == SOCK_LISTENING)
		set_state(u, SOCK_STOPPED);
}

int sockunit_open(uv_loop_t *loop, struct unit *u)
{
	struct sockunit *su = &u->sock;
	const struct sock_conf *c = &u->conf->sock;
	char err[SVC_ERROR_MAX];
	int r = 0;

	for (size_t i = 0; i < su->n; i++) {
		struct listener *l = &su->l[i];
		if (l->fd >= 0) {
			/* Adopted (rescue after a failed re-exec): not re-bound. */
			sockunit_adopt(loop, u);
			continue;
		}
		r = listen_parse(&c->listen[i], &l->addr, err, sizeof err);
		if (r < 0)
			goto fail;
		r = listen_open(&l->addr, c, err, sizeof err);
		if (r < 0)
			goto fail;
		l->fd = r; /* now owned by the listener */
		r = uv_poll_init(loop, &l->watch, l->fd);
		if (r < 0) {
			snprintf(err, sizeof err, "watch: %s", uv_strerror(r));
			goto fail;
		}
		l->watch.data = u;
		l->watch_init = true;
		if (l->addr.type != 0)
			set_blocking(l->fd);
		char where[256];
		listen_format(&l->addr, where, sizeof where);
		log_info("%s: listening on %s", u->name, where);
	}
	su->error[0] = '\0';
	set_state(u, SOCK_LISTENING);
	return 0;
fail:
	snprintf(su->error, sizeof su->error, "%s", err);
	log_err("%s: %s", u->name, err);
	sockunit_close(u);
	set_state(u, SOCK_FAILED);
	return r < 0 ? r : -EINVAL;
}

void sockunit_watch(struct unit *u, bool on)
{
	struct sockunit *su = &u->sock;
	if (su->state != SOCK_LISTENING)
		on = false;
	for (size_t i = 0; i < su->n; i++) {
		struct listener *l = &su->l[i];
		if (!l->watch_init || l->watching == on)
			continue;
		if (on)
			uv_poll_start(&l->watch, UV_READABLE, activity_cb);
		else
			uv_poll_stop(&l->watch);
		l->watching = on;
	}
}

/* After a re-exec: the listeners' fds were restored from the state (never
 * re-bound: same sockets, same inodes); set up their watches again. */
void sockunit_adopt(uv_loop_t *loop, struct unit *u)
{
	struct sockunit *su = &u->sock;
	for (size_t i = 0; i < su->n; i++) {
		struct listener *l = &su->l[i];
		if (l->fd < 0 || l->watch_init)
			continue;
		if (uv_poll_init(loop, &l->watch, l->fd) < 0) {
			log_err("%s: cannot watch restored fd %d", u->name, l->fd);
			continue;
		}
		l->watch.data = u;
		l->watch_init = true;
		l->watching = false;
		if (l->addr.type != 0)
			set_blocking(l->fd);
	}
}
