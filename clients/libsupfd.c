/*
 * libsupfd.c - see supfd.h.
 *
 * Shape (as s6's fdholder client): each call opens a connection, says HELLO,
 * sends one request (or one per frame for large stores) without waiting for
 * HELLO's answer, checks that answer, collects the reply frames and closes. No state survives a call but the runtime directory
 * override, so a forked child can use the library at once.
 *
 * Deadline: the socket is non-blocking and every wait is a poll() bounded
 * by what is left of timeout_ms.
 *
 * Descriptors: proto_recv receives with MSG_CMSG_CLOEXEC and closes a
 * frame's descriptors itself on a framing error. Everything collected so
 * far belongs to struct got until the call returns it to the caller;
 * got_free closes it on every error path.
 *
 * Running out of descriptors: if a reply's descriptors do not fit under
 * RLIMIT_NOFILE the kernel installs what it can, closes the rest and sets
 * MSG_CTRUNC; proto_recv then drops the frame as -EBADMSG. We tell that case
 * apart by counting the free slots below the limit: fewer than one frame's
 * worth means it was the limit, and the error says so.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "proto.h"
#include "supfd.h"

#define RT_MAX sizeof(((struct sockaddr_un *)0)->sun_path)

static char rt_override[RT_MAX];
static __thread char last_error[PROTO_MAX_STR + 256];

struct conn {
	int fd;
	uint32_t next_id;
	uint32_t hello_id;      /* conn_open's HELLO, answered before anything else */
	long long deadline_ms;  /* CLOCK_MONOTONIC; -1: none */
	uint8_t *buf;           /* PROTO_MAX_MSG */
	char path[RT_MAX + 16];
};

struct got {
	int *fds;
	char **names;
	size_t n, cap;
};

static int fail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(last_error, sizeof last_error, fmt, ap);
	va_end(ap);
	return err;
}

const char *supfd_last_error(void)
{
	return last_error;
}

int supfd_set_runtime_dir(const char *dir)
{
	if (!dir) {
		rt_override[0] = '\0';
		return 0;
	}
	/* Room for "/control.sock" is checked at connect time. */
	if (strlen(dir) >= sizeof rt_override)
		return fail(-ENAMETOOLONG, "runtime directory path too long: %s", dir);
	snprintf(rt_override, sizeof rt_override, "%s", dir);
	return 0;
}

void supfd_free_names(char **names, size_t n)
{
	if (!names)
		return;
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for events on the connection until the deadline. */
static int wait_io(struct conn *c, short events)
{
	for (;;) {
		int ms = -1;
		if (c->deadline_ms >= 0) {
			long long left = c->deadline_ms - now_ms();
			if (left <= 0)
				return fail(-ETIMEDOUT, "supervisord did not answer in time");
			ms = left > 1000000 ? 1000000 : (int)left;
		}
		struct pollfd p = { .fd = c->fd, .events = events };
		int r = poll(&p, 1, ms);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return fail(-errno, "poll: %s", strerror(errno));
	}
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->buf);
	c->buf = NULL;
}

static int conn_send(struct conn *c, uint16_t type, const struct proto_buf *b, const int *fds, size_t nfds,
		     uint32_t *id)
{
	*id = c->next_id++;
	for (;;) {
		int r = proto_send(c->fd, type, 0, *id, b->data, b->len, fds, nfds);
		if (r == 0)
			return 0;
		if (r != -EAGAIN)
			return fail(r, "sending %s to supervisord: %s", proto_type_name(type), strerror(-r));
		if ((r = wait_io(c, POLLOUT)) < 0)
			return r;
	}
}

/* Free slots below the RLIMIT_NOFILE soft limit (a probe per slot: only
 * on an error path, and it needs no /proc). */
static long free_fd_slots(struct rlimit *rl)
{
	if (getrlimit(RLIMIT_NOFILE, rl) < 0)
		return -1;
	long lim = rl->rlim_cur > 1048576 ? 1048576 : (long)rl->rlim_cur, n = 0;
	for (long fd = 0; fd < lim; fd++)
		if (fcntl((int)fd, F_GETFD) < 0 && errno == EBADF)
			n++;
	return n;
}

/*
 * Next frame answering id. Descriptors of a frame for id are handed to
 * fds/nfds (caller's); anything else is closed. R_ERROR becomes its errno
 * and message. held: descriptors the caller holds already (for messages).
 */
static int conn_recv(struct conn *c, uint32_t id, struct proto_hdr *h, struct proto_buf *b, int *fds,
		     size_t *nfds, size_t held)
{
	int tmp[PROTO_MAX_FDS_PER_MSG];
	if (!fds)
		fds = tmp; /* none expected: closed below if any came */
	for (;;) {
		const uint8_t *payload;
		size_t n = 0;
		int r = wait_io(c, POLLIN);
		if (r < 0)
			return r;
		r = proto_recv(c->fd, c->buf, h, &payload, fds, &n);
		if (r == -EAGAIN)
			continue;
		if (r == -EPIPE)
			return fail(-ECONNRESET, "supervisord closed the connection");
		if (r == -EBADMSG) {
			struct rlimit rl;
			long room = free_fd_slots(&rl);
			if (room >= 0 && room < (long)PROTO_MAX_FDS_PER_MSG)
				return fail(-EMFILE,
					    "too many open files to receive the descriptors: RLIMIT_NOFILE is %llu, "
					    "%zu received so far, room for %ld more; raise the limit (ulimit -n, "
					    "setrlimit) above the number fetched plus those already open",
					    (unsigned long long)rl.rlim_cur, held, room);
			return fail(r, "malformed frame from supervisord");
		}
		if (r < 0)
			return fail(r, "reading from supervisord: %s", strerror(-r));
		proto_buf_init_reader(b, payload, h->len);
		if (h->type == PROTO_R_ERROR && (h->id == id || h->id == 0)) {
			int32_t err;
			proto_close_fds(fds, n);
			if (proto_get_i32(b, &err) < 0 || proto_get_str(b, last_error, sizeof last_error) < 0)
				return fail(-EBADMSG, "malformed error reply from supervisord");
			return err < 0 ? err : -EIO;
		}
		if (h->id != id) {
			proto_close_fds(fds, n); /* not ours */
			continue;
		}
		if (fds == tmp) {
			proto_close_fds(fds, n);
			n = 0;
		}
		*nfds = n;
		return 0;
	}
}

static int conn_open(struct conn *c, int timeout_ms)
{
	const char *dir = rt_override[0] ? rt_override : getenv("SUPERVISORD_RUNTIME_DIR");
	char xdg[RT_MAX];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	*c = (struct conn){ .fd = -1, .next_id = 1, .deadline_ms = timeout_ms < 0 ? -1 : now_ms() + timeout_ms };
	if (!dir || !*dir) {
		const char *e = getenv("XDG_RUNTIME_DIR");
		if (geteuid() == 0)
			dir = "/run/supervisord";
		else if (e && *e && (size_t)snprintf(xdg, sizeof xdg, "%s/supervisord", e) < sizeof xdg)
			dir = xdg;
		else
			return fail(-ENOENT, "no supervisord runtime directory: set SUPERVISORD_RUNTIME_DIR "
					     "or XDG_RUNTIME_DIR, or call supfd_set_runtime_dir()");
	}
	if ((size_t)snprintf(c->path, sizeof c->path, "%s/control.sock", dir) >= sizeof sa.sun_path)
		return fail(-ENAMETOOLONG, "runtime directory path too long: %s", dir);
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", c->path);
	if (!(c->buf = malloc(PROTO_MAX_MSG)))
		return fail(-ENOMEM, "out of memory");
	c->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd < 0)
		return fail(-errno, "socket: %s", strerror(errno));
	/* A Unix connect either completes or fails at once; EAGAIN means
	 * the listen backlog is full: retry until the deadline. */
	while (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		int e = errno;
		if (e == EINTR)
			continue;
		if (e == EAGAIN && (c->deadline_ms < 0 || now_ms() < c->deadline_ms)) {
			poll(NULL, 0, 10);
			continue;
		}
		if (e == EACCES || e == EPERM)
			return fail(-EACCES, "cannot connect to supervisord at %s: permission denied "
					     "(only root and the daemon's user may use it; this is uid %u)",
				    c->path, (unsigned)geteuid());
		if (e == ENOENT || e == ECONNREFUSED)
			return fail(-ECONNREFUSED, "supervisord is not running (nothing listens at %s)", c->path);
		return fail(-e, "cannot connect to supervisord at %s: %s", c->path, strerror(e));
	}

	uint8_t out[64];
	struct proto_buf b;
	proto_buf_init_writer(&b, out, sizeof out);
	proto_put_u32(&b, PROTO_VERSION);
	proto_put_str(&b, "libsupfd");
	return conn_send(c, PROTO_HELLO, &b, NULL, 0, &c->hello_id);
}

/* The answer to conn_open's HELLO. The first request may be sent before it
 * (saving a round trip): the daemon answers in order, and one that does not
 * speak our version refuses the request too. */
static int conn_hello_wait(struct conn *c)
{
	struct proto_buf b;
	struct proto_hdr h;
	uint32_t ver, pid;
	size_t n;
	char version[PROTO_MAX_STR + 1];
	int r;
	if ((r = conn_recv(c, c->hello_id, &h, &b, NULL, &n, 0)) < 0)
		return r;
	if (h.type != PROTO_R_HELLO || proto_get_u32(&b, &ver) < 0 ||
	    proto_get_str(&b, version, sizeof version) < 0 || proto_get_u32(&b, &pid) < 0 || proto_get_end(&b) < 0)
		return fail(-EBADMSG, "unexpected answer to HELLO from supervisord");
	if (ver != PROTO_VERSION)
		return fail(-EPROTONOSUPPORT, "supervisord %s speaks protocol %u, libsupfd speaks %u", version, ver,
			    PROTO_VERSION);
	return 0;
}

static void got_free(struct got *g)
{
	proto_close_fds(g->fds, g->n);
	supfd_free_names(g->names, g->n);
	free(g->fds);
	*g = (struct got){ 0 };
}

/* Take one received descriptor and its name (fd closed on failure). */
static int got_add(struct got *g, int fd, const char *name)
{
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 64;
		int *f = realloc(g->fds, cap * sizeof *f);
		if (f)
			g->fds = f;
		char **nm = f ? realloc(g->names, cap * sizeof *nm) : NULL;
		if (nm)
			g->names = nm;
		if (!f || !nm) {
			close(fd);
			return fail(-ENOMEM, "out of memory");
		}
		g->cap = cap;
	}
	char *s = strdup(name);
	if (!s) {
		close(fd);
		return fail(-ENOMEM, "out of memory");
	}
	g->fds[g->n] = fd; /* now owned by g */
	g->names[g->n++] = s;
	return 0;
}

static int check_unit(const char *unit)
{
	if (unit && *unit && !proto_unit_name_valid(unit))
		return fail(-EINVAL, "invalid unit name '%s'", unit);
	return 0;
}

/* The R_FDS frames of one FD_GET, into g. */
static int fetch_collect(struct conn *c, uint32_t id, struct got *g)
{
	struct proto_fd_info *fi = malloc(sizeof *fi); /* ~5 KiB: not on the stack */
	int r;
	if (!fi)
		return fail(-ENOMEM, "out of memory");
	for (;;) {
		int fds[PROTO_MAX_FDS_PER_MSG];
		size_t nfds = 0;
		struct proto_hdr h;
		struct proto_buf b;
		uint32_t cnt;
		r = conn_recv(c, id, &h, &b, fds, &nfds, g->n);
		if (r < 0)
			break;
		if (h.type != PROTO_R_FDS || proto_get_u32(&b, &cnt) < 0 || cnt != nfds) {
			proto_close_fds(fds, nfds);
			r = fail(-EBADMSG, "malformed descriptor reply from supervisord");
			break;
		}
		for (size_t i = 0; i < nfds; i++) {
			if (r == 0 && proto_get_fd_info(&b, fi) < 0)
				r = fail(-EBADMSG, "malformed descriptor record from supervisord");
			if (r == 0)
				r = got_add(g, fds[i], fi->name); /* closes fds[i] on failure */
			else
				close(fds[i]);
		}
		if (r == 0 && proto_get_end(&b) < 0)
			r = fail(-EBADMSG, "malformed descriptor reply from supervisord");
		if (r < 0 || !(h.flags & PROTO_F_MORE))
			break;
	}
	free(fi);
	return r;
}

int supfd_fetch(const char *unit, const char *const *names, size_t n_names, int **fds_out, char ***names_out,
		size_t *n_out, int timeout_ms)
{
	struct proto_buf b;
	struct conn c;
	struct got g = { 0 };
	uint32_t id;
	int r;
	last_error[0] = '\0';
	if (!fds_out || !n_out || (n_names && !names))
		return fail(-EINVAL, "supfd_fetch: fds_out, n_out and names are required");
	if ((r = check_unit(unit)) < 0)
		return r;
	uint8_t *out = malloc(PROTO_MAX_PAYLOAD);
	if (!out)
		return fail(-ENOMEM, "out of memory");
	proto_buf_init_writer(&b, out, PROTO_MAX_PAYLOAD);
	proto_put_str(&b, unit ? unit : "");
	proto_put_u32(&b, (uint32_t)n_names);
	for (size_t i = 0; i < n_names && r == 0; i++) {
		if (!proto_fdname_valid(names[i]))
			r = fail(-EINVAL, "invalid descriptor name '%s'", names[i] ? names[i] : "(null)");
		proto_put_str(&b, names[i]);
	}
	if (r == 0 && (b.err || n_names > UINT32_MAX))
		r = fail(-E2BIG, "too many names for one request");
	if (r < 0) {
		free(out);
		return r;
	}
	if ((r = conn_open(&c, timeout_ms)) == 0 && (r = conn_send(&c, PROTO_FD_GET, &b, NULL, 0, &id)) == 0 &&
	    (r = conn_hello_wait(&c)) == 0)
		r = fetch_collect(&c, id, &g);
	conn_close(&c);
	free(out);
	if (r < 0) {
		got_free(&g); /* nothing half-fetched stays open */
		return r;
	}
	*fds_out = g.fds ? g.fds : calloc(1, sizeof(int));
	if (!*fds_out) {
		got_free(&g);
		return fail(-ENOMEM, "out of memory");
	}
	*n_out = g.n;
	if (names_out)
		*names_out = g.names;
	else
		supfd_free_names(g.names, g.n);
	return 0;
}

int supfd_store(const char *unit, const char *name, const int *fds, size_t n, int timeout_ms)
{
	uint8_t *out;
	struct conn c;
	int r;
	last_error[0] = '\0';
	if ((r = check_unit(unit)) < 0)
		return r;
	if (!proto_fdname_valid(name))
		return fail(-EINVAL, "invalid descriptor name '%s'", name ? name : "(null)");
	if (n && !fds)
		return fail(-EINVAL, "supfd_store: no descriptors");
	if (n == 0)
		return 0;
	/* Per frame: at most SCM_MAX_FD descriptors, and their names (one
	 * per descriptor on the wire) must fit the payload. */
	size_t fixed = 2 * sizeof(uint32_t) + (unit ? strlen(unit) : 0);
	size_t per = (PROTO_MAX_PAYLOAD - fixed) / (sizeof(uint32_t) + strlen(name));
	if (per > PROTO_MAX_FDS_PER_MSG)
		per = PROTO_MAX_FDS_PER_MSG;

	if (!(out = malloc(PROTO_MAX_PAYLOAD)))
		return fail(-ENOMEM, "out of memory");
	if ((r = conn_open(&c, timeout_ms)) < 0 || (r = conn_hello_wait(&c)) < 0) {
		conn_close(&c);
		free(out);
		return r;
	}
	for (size_t done = 0; done < n && r == 0;) {
		size_t k = n - done < per ? n - done : per;
		struct proto_buf b;
		struct proto_hdr h;
		uint32_t id;
		size_t nfds;
		proto_buf_init_writer(&b, out, PROTO_MAX_PAYLOAD);
		proto_put_str(&b, unit ? unit : "");
		proto_put_u32(&b, (uint32_t)k);
		for (size_t i = 0; i < k; i++)
			proto_put_str(&b, name);
		if (b.err) {
			r = fail(-E2BIG, "store request too large");
			break;
		}
		if ((r = conn_send(&c, PROTO_FD_STORE, &b, fds + done, k, &id)) < 0 ||
		    (r = conn_recv(&c, id, &h, &b, NULL, &nfds, 0)) < 0)
			break;
		if (h.type != PROTO_R_OK)
			r = fail(-EBADMSG, "unexpected answer to FD_STORE from supervisord");
		done += k;
	}
	conn_close(&c);
	free(out);
	return r;
}
