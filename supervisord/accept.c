/*
 * accept.c - see accept.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "accept.h"
#include "log.h"
#include "reap.h"
#include "service.h"
#include "sockunit.h"

#define ACCEPT_BATCH 32        /* connections per wake-up: others get their turn */
#define EMFILE_PAUSE_MS 100

static struct unit *template_of(struct unit *sock)
{
	char name[512];
	size_t base = strlen(sock->name) - strlen(".socket");
	snprintf(name, sizeof name, "%.*s@.service", (int)base, sock->name);
	struct unit *t = unit_find(name);
	return t && t->kind == UNIT_SERVICE ? t : NULL;
}

static void format_peer(const struct sockaddr_storage *ss, char *addr, size_t alen, char *port, size_t plen)
{
	addr[0] = port[0] = '\0';
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &s4->sin_addr, addr, (socklen_t)alen);
		snprintf(port, plen, "%u", ntohs(s4->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
			inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], addr, (socklen_t)alen);
		else
			inet_ntop(AF_INET6, &s6->sin6_addr, addr, (socklen_t)alen);
		snprintf(port, plen, "%u", ntohs(s6->sin6_port));
	}
}

static unsigned count_from(struct unit *sock, const char *addr)
{
	unsigned n = 0;
	for (size_t i = 0; i < unit_count(); i++) {
		struct unit *u = unit_at(i);
		if (u->instance_of == sock && !u->dead && !strcmp(u->svc.remote_addr, addr))
			n++;
	}
	return n;
}

static struct unit *new_instance(uv_loop_t *loop, struct unit *sock, struct unit *tmpl, const char *name)
{
	struct unit *u = calloc(1, sizeof *u);
	if (!u || !(u->name = strdup(name)) || !(u->path = strdup(tmpl->path ? tmpl->path : ""))) {
		if (u)
			free(u->name);
		free(u);
		return NULL;
	}
	u->kind = UNIT_SERVICE;
	u->conf = tmpl->conf;
	u->conf_borrowed = true;
	/* A template whose values name the instance (%i, %n, ...) is parsed
	 * again under the instance's name, as systemd loads each instance;
	 * the others share their template's settings. */
	if (tmpl->conf && tmpl->conf->per_instance && tmpl->text) {
		struct unit_conf *c = calloc(1, sizeof *c);
		char err[512];
		if (c && conf_load_text(name, u->path, tmpl->text, tmpl->text_len, c, err, sizeof err, NULL, NULL) == 0) {
			u->conf = c;
			u->conf_borrowed = false;
		} else {
			free(c);
			log_warn("%s: %s; it gets its template's settings", name,
				 c ? err : "out of memory parsing the instance");
		}
	}
	u->instance_of = sock;
	u->template_unit = tmpl;
	svc_init(u, loop);
	u->svc.conn_fd = -1;
	if (unit_insert(u) < 0) {
		unit_discard(u);
		return NULL;
	}
	sock->sock.n_conn++;
	return u;
}

static void pause_cb(uv_timer_t *t)
{
	struct unit *sock = t->data;
	accept_stop_backoff(sock);
	sockunit_watch(sock, true);
}

static void pause_accepting(struct unit *sock, struct listener *l, int err)
{
	if (sock->sock.backoff)
		return;
	/* The fault usually lasts: one warning every 10 s, not one a pause. */
	static uint64_t last_warn;
	static unsigned quiet;
	uint64_t now = now_mono_usec();
	if (last_warn && now - last_warn < 10u * 1000000u) {
		quiet++;
	} else {
		if (quiet)
			log_warn("%s: accept: %s; pausing for %d ms (%u pauses since the last warning)",
				 sock->name, strerror(err), EMFILE_PAUSE_MS, quiet);
		else
			log_warn("%s: accept: %s; pausing for %d ms", sock->name, strerror(err), EMFILE_PAUSE_MS);
		last_warn = now;
		quiet = 0;
	}
	uv_timer_t *t = malloc(sizeof *t);
	if (!t)
		return;
	uv_timer_init(l->watch->loop, t); /* the listener that fired has a watch */
	t->data = sock;
	sock->sock.backoff = t;
	sockunit_watch(sock, false);
	uv_timer_start(t, pause_cb, EMFILE_PAUSE_MS, 0);
}

void accept_stop_backoff(struct unit *sock)
{
	uv_timer_t *t = sock->sock.backoff;
	if (!t)
		return;
	sock->sock.backoff = NULL;
	uv_timer_stop(t);
	unit_close_free((uv_handle_t *)t);
}

static void one_connection(struct unit *sock, struct listener *l, int fd, struct sockaddr_storage *peer)
{
	const struct sock_conf *c = &sock->conf->sock;
	char addr[64], port[8], local[96], name[512];
	format_peer(peer, addr, sizeof addr, port, sizeof port);

	if (sock->sock.n_conn >= c->max_connections) {
		/* Finished instances may be waiting to be reaped: a busy accept
		 * batch runs before the loop reads SIGCHLD. Reap, count again. */
		reap_now();
		if (!l->watch || l->fd < 0) { /* reaping stopped the socket */
			close(fd);
			return;
		}
	}
	if (sock->sock.n_conn >= c->max_connections) {
		sock->sock.n_refused++;
		log_warn("%s: MaxConnections=%u reached, refusing a connection from %s", sock->name,
			 c->max_connections, addr[0] ? addr : "a local peer");
		close(fd);
		return;
	}
	if (addr[0] && count_from(sock, addr) >= c->max_connections_per_source) {
		sock->sock.n_refused++;
		log_warn("%s: MaxConnectionsPerSource=%u reached for %s, refusing", sock->name,
			 c->max_connections_per_source, addr);
		close(fd);
		return;
	}
	struct unit *tmpl = template_of(sock);
	if (!tmpl || !tmpl->conf) {
		log_err("%s: no loaded template for its connections (%s)", sock->name,
			tmpl ? tmpl->load_error : "NAME@.service missing");
		close(fd);
		return;
	}

	/* NAME@N-LOCAL-REMOTE.service, as systemd names them. */
	unsigned n = sock->sock.n_accepted++;
	size_t base = strlen(sock->name) - strlen(".socket");
	if (addr[0]) {
		struct sockaddr_storage ls;
		socklen_t ll = sizeof ls;
		char la[64] = "", lp[8] = "";
		if (getsockname(fd, (struct sockaddr *)&ls, &ll) == 0)
			format_peer(&ls, la, sizeof la, lp, sizeof lp);
		snprintf(local, sizeof local, "%s:%s-%s:%s", la, lp, addr, port);
	} else {
		struct ucred cr;
		socklen_t cl = sizeof cr;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) == 0)
			snprintf(local, sizeof local, "%d-%u", (int)cr.pid, (unsigned)cr.uid);
		else
			snprintf(local, sizeof local, "unix");
	}
	snprintf(name, sizeof name, "%.*s@%u-%s.service", (int)base, sock->name, n, local);

	struct unit *u = new_instance(l->watch->loop, sock, tmpl, name);
	if (!u) {
		log_err("%s: out of memory for a connection instance", sock->name);
		close(fd);
		return;
	}
	u->svc.conn_fd = fd; /* now owned by the instance until it is spawned */
	snprintf(u->svc.remote_addr, sizeof u->svc.remote_addr, "%s", addr);
	snprintf(u->svc.remote_port, sizeof u->svc.remote_port, "%s", port);
	char err[SVC_ERROR_MAX];
	if (svc_start(u, err, sizeof err) < 0)
		log_err("%s", err);
}

void accept_connections(struct unit *sock, struct listener *l)
{
	for (int i = 0; i < ACCEPT_BATCH; i++) {
		struct sockaddr_storage peer;
		socklen_t pl = sizeof peer;
		memset(&peer, 0, sizeof peer);
		int fd = accept4(l->fd, (struct sockaddr *)&peer, &pl, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
				pause_accepting(sock, l, errno);
			else if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				log_warn("%s: accept: %s", sock->name, strerror(errno));
			return;
		}
		one_connection(sock, l, fd, &peer);
		if (!l->watch || l->fd < 0)
			return; /* stopped meanwhile */
	}
}

void accept_stop_instances(struct unit *sock)
{
	for (size_t i = 0; i < unit_count(); i++) {
		struct unit *u = unit_at(i);
		if (u->instance_of == sock && !u->dead)
			svc_stop(u);
	}
}

void accept_instance_done(struct unit *inst)
{
	if (inst->dead)
		return;
	if (inst->instance_of && inst->instance_of->sock.n_conn)
		inst->instance_of->sock.n_conn--;
	if (inst->svc.conn_fd >= 0) {
		close(inst->svc.conn_fd);
		inst->svc.conn_fd = -1;
	}
	unit_discard(inst);
}

struct unit *accept_restore_instance(uv_loop_t *loop, struct unit *sock, const char *name)
{
	struct unit *tmpl = template_of(sock);
	if (!tmpl || !tmpl->conf)
		return NULL;
	return new_instance(loop, sock, tmpl, name);
}
