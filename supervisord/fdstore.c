/*
 * fdstore.c - see fdstore.h.
 *
 * Duplicates are detected as systemd's same_fd() does: the kernel is asked
 * first whether both fds share one open file description (F_DUPFD_QUERY,
 * else kcmp); where it cannot say, same device and inode and the same
 * F_GETFL access mode (to tell the two ends of a pipe apart), device nodes
 * never being equal.
 *
 * As in systemd's service_add_fd_store(), a full store refuses before the
 * duplicate check.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fdstore.h"
#include "log.h"

#ifndef F_DUPFD_QUERY
#define F_DUPFD_QUERY 1027 /* Linux 6.10 */
#endif
#define KCMP_FILE 0

static bool same_fd(int a, int b)
{
	struct stat sa, sb;
	if (a == b)
		return true;
	int r = fcntl(a, F_DUPFD_QUERY, b);
	if (r >= 0)
		return r > 0;
#ifdef SYS_kcmp
	r = (int)syscall(SYS_kcmp, getpid(), getpid(), KCMP_FILE, a, b);
	if (r >= 0)
		return r == 0;
#endif
	if (fstat(a, &sa) < 0 || fstat(b, &sb) < 0)
		return false;
	if (S_ISCHR(sa.st_mode) || S_ISBLK(sa.st_mode))
		return false;
	if (sa.st_dev != sb.st_dev || sa.st_ino != sb.st_ino)
		return false;
	int fa = fcntl(a, F_GETFL), fb = fcntl(b, F_GETFL);
	return fa >= 0 && fb >= 0 && (fa & O_ACCMODE) == (fb & O_ACCMODE);
}

static void entry_unwatch(struct fdstore_entry *e)
{
	if (e->watch) {
		uv_poll_stop(e->watch);
		unit_close_free((uv_handle_t *)e->watch);
		e->watch = NULL;
	}
}

static void entry_free(struct fdstore_entry *e)
{
	entry_unwatch(e);
	if (e->fd >= 0)
		close(e->fd);
	free(e->name);
	free(e);
}


static void hup_cb(uv_poll_t *h, int status, int events)
{
	struct fdstore_entry *e = h->data;
	struct unit *u = NULL;
	/* Find the owner: the entry is linked in exactly one service. */
	for (size_t i = 0; i < unit_count() && !u; i++) {
		struct unit *v = unit_at(i);
		if (v->kind != UNIT_SERVICE)
			continue;
		for (struct fdstore_entry *x = v->svc.fdstore; x; x = x->next)
			if (x == e) {
				u = v;
				break;
			}
	}
	if (!u)
		return;
	/* libuv reports EPOLLRDHUP (the peer shut down writing) the same way
	 * as a hang-up; systemd drops an entry only on EPOLLHUP/EPOLLERR. A
	 * half-closed socket stays stored, unwatched (level-triggered RDHUP
	 * would fire forever). */
	struct pollfd p = { .fd = e->fd, .events = 0 };
	if (status == 0 && !(poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR | POLLNVAL)))) {
		entry_unwatch(e);
		return;
	}
	log_info("%s: stored fd '%s' hung up, dropping it", u->name, e->name);
	for (struct fdstore_entry **pp = &u->svc.fdstore; *pp; pp = &(*pp)->next)
		if (*pp == e) {
			*pp = e->next;
			u->svc.n_fdstore--;
			entry_free(e);
			return;
		}
}

static void entry_watch(uv_loop_t *loop, struct fdstore_entry *e)
{
	struct stat st;
	if (!e->poll || fstat(e->fd, &st) < 0 || S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))
		return; /* regular files and memfds cannot hang up */
	/* uv_poll_init would make the shared file description non-blocking:
	 * remember and restore the flag the service gave it. */
	int fl = fcntl(e->fd, F_GETFL);
	e->watch = malloc(sizeof *e->watch);
	if (!e->watch)
		return;
	if (uv_poll_init(loop, e->watch, e->fd) < 0) {
		free(e->watch);
		e->watch = NULL;
		return;
	}
	if (fl >= 0)
		fcntl(e->fd, F_SETFL, fl);
	e->watch->data = e;
	/* Only hang-up and error matter; a readable socket is the service's. */
	uv_poll_start(e->watch, UV_DISCONNECT, hup_cb);
}

int fdstore_add(uv_loop_t *loop, struct unit *u, int fd, const char *name, bool poll)
{
	struct service *s = &u->svc;
	unsigned max = u->conf ? u->conf->svc.fdstore_max : 0;
	if (s->n_fdstore >= max) {
		close(fd);
		return -ENOSPC;
	}
	for (struct fdstore_entry *e = s->fdstore; e; e = e->next) {
		if (same_fd(e->fd, fd)) {
			log_debug("%s: fd '%s' is already stored, not storing it twice", u->name, name);
			close(fd);
			return 0;
		}
	}
	struct fdstore_entry *e = calloc(1, sizeof *e);
	if (!e || !(e->name = strdup(name))) {
		free(e);
		close(fd);
		return -ENOMEM;
	}
	e->fd = fd; /* now owned by the store */
	e->poll = poll;
	struct fdstore_entry **pp = &s->fdstore;
	while (*pp)
		pp = &(*pp)->next;
	*pp = e;
	s->n_fdstore++;
	entry_watch(loop, e);
	return 0;
}

unsigned fdstore_remove(struct unit *u, const char *name)
{
	unsigned n = 0;
	for (struct fdstore_entry **pp = &u->svc.fdstore; *pp;) {
		struct fdstore_entry *e = *pp;
		if (strcmp(e->name, name) == 0) {
			*pp = e->next;
			u->svc.n_fdstore--;
			entry_free(e);
			n++;
		} else {
			pp = &e->next;
		}
	}
	return n;
}

void fdstore_clear(struct unit *u)
{
	while (u->svc.fdstore) {
		struct fdstore_entry *e = u->svc.fdstore;
		u->svc.fdstore = e->next;
		entry_free(e);
	}
	u->svc.n_fdstore = 0;
}


void fdstore_rewatch(uv_loop_t *loop, struct fdstore_entry *e)
{
	if (!e->watch)
		entry_watch(loop, e);
}
