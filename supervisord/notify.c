/*
 * notify.c - see notify.h.
 *
 * Why each drop rule (systemd's notify_recv() has the same ones): a
 * truncated payload or control buffer means we did not see the whole
 * message, and acting on part of it (READY=1 without the FDSTORE=1 that
 * came with it, or half of the fds) would be wrong; without credentials
 * there is no way to attribute it. The kernel has already installed every
 * fd that fit, so each one must be found in the control data and closed.
 */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "execplan.h"
#include "log.h"
#include "notify.h"
#include "notify_msg.h"
#include "svc_notify.h"

/* systemd raises the notify socket's receive buffer to 8 MiB so that a
 * burst of datagrams (with fds) from many services is not refused. */
#define NOTIFY_RCVBUF (8u << 20)

static int sock_fd = -1;
static uv_poll_t watch;
static bool watch_open;
static uv_loop_t *nloop;
static char sock_path[sizeof((struct sockaddr_un *)0)->sun_path];

static void close_fds(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* At most one warning a second for each reason (with the count of those
 * not logged): a flood of bad datagrams, or running out of descriptors
 * while a service sends its fds, must not flood the log. `why` is one of
 * the constant strings of recv_one(). */
static void log_drop(int pid, const char *why, size_t nfds)
{
	static struct {
		const char *why;
		uint64_t last_ms;
		unsigned quiet;
	} lim[8];
	size_t i = 0;
	while (i < sizeof lim / sizeof *lim - 1 && lim[i].why && lim[i].why != why)
		i++;
	lim[i].why = why;
	uint64_t now = nloop ? uv_now(nloop) : 0;
	if (lim[i].last_ms && now - lim[i].last_ms < 1000) {
		lim[i].quiet++;
		return;
	}
	if (lim[i].quiet)
		log_warn("notify: dropped a datagram from pid %d: %s; closed %zu descriptors (and %u more "
			 "datagrams dropped for this reason)",
			 pid, why, nfds, lim[i].quiet);
	else
		log_warn("notify: dropped a datagram from pid %d: %s; closed %zu descriptors", pid, why, nfds);
	lim[i].last_ms = now ? now : 1;
	lim[i].quiet = 0;
}

/* Read one datagram. Returns 1 when one was consumed (dispatched or
 * dropped), 0 when the queue is empty, -errno on a socket error. */
static int recv_one(void)
{
	static char buf[NOTIFY_BUFFER_MAX + 1];
	static union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int) * NOTIFY_FD_MAX)];
	} ctl;
	static int fds[sizeof ctl.b / sizeof(int)]; /* more than the buffer can carry */
	struct iovec iov = { .iov_base = buf, .iov_len = NOTIFY_BUFFER_MAX };
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl.b,
		.msg_controllen = sizeof ctl.b,
	};
	ssize_t n = recvmsg(sock_fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		return -errno;
	}

	size_t nfds = 0;
	const struct ucred *cred = NULL;
	struct ucred cbuf;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (c->cmsg_type == SCM_RIGHTS) {
			size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			/* The control buffer bounds what the kernel can deliver, so
			 * the array cannot overflow; the check keeps it obvious. */
			for (size_t i = 0; i < k; i++) {
				int fd;
				memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
				if (nfds < sizeof fds / sizeof *fds)
					fds[nfds++] = fd;
				else
					close(fd);
			}
		} else if (c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len == CMSG_LEN(sizeof(struct ucred))) {
			memcpy(&cbuf, CMSG_DATA(c), sizeof cbuf);
			cred = &cbuf;
		}
	}

	const char *why = NULL;
	if (mh.msg_flags & MSG_CTRUNC)
		why = "control data truncated (too many descriptors, or out of descriptors)";
	else if ((mh.msg_flags & MSG_TRUNC) || (size_t)n > NOTIFY_BUFFER_MAX)
		why = "message too long";
	else if (n == 0)
		why = "empty message";
	else if (memchr(buf, '\0', (size_t)n))
		why = "message contains a NUL byte";
	else if (!cred || cred->pid <= 0)
		why = "no sender credentials";
	if (why) {
		log_drop(cred ? (int)cred->pid : 0, why, nfds);
		close_fds(fds, nfds);
		return 1;
	}
	buf[n] = '\0';
	svc_notify_dispatch(nloop, cred, buf, (size_t)n, fds, nfds); /* fds now its own */
	return 1;
}

static void readable_cb(uv_poll_t *h, int status, int events)
{
	if (status < 0) {
		log_err("notify: poll: %s", uv_strerror(status));
		return;
	}
	/* Bounded, so one chatty service cannot starve the control socket and
	 * the reaper; level-triggered polling brings us back for the rest. */
	for (int i = 0; i < NOTIFY_BATCH; i++) {
		int r = recv_one();
		if (r == 0)
			return;
		if (r < 0) {
			log_err("notify: recvmsg: %s", strerror(-r));
			return;
		}
	}
}

void notify_drain(void)
{
	if (sock_fd < 0)
		return;
	/* A queue is at most max_dgram_qlen datagrams; this bound is only a
	 * guard against a sender that keeps up with us. */
	for (int i = 0; i < 16 * NOTIFY_BATCH; i++)
		if (recv_one() <= 0)
			return;
}

static void raise_rcvbuf(int fd)
{
	int v = (int)NOTIFY_RCVBUF, cur = 0;
	socklen_t l = sizeof cur;
	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &cur, &l) == 0 && cur >= v)
		return;
	/* SO_RCVBUF is capped by net.core.rmem_max; the FORCE variant is not
	 * (it needs CAP_NET_ADMIN, which a root daemon has). */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof v) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof v);
}

static int start_watch(uv_loop_t *loop, int fd, const char *path)
{
	int one = 1;
	if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) < 0)
		return -errno;
	raise_rcvbuf(fd);
	int r = uv_poll_init(loop, &watch, fd);
	if (r < 0)
		return r;
	watch_open = true;
	watch.data = NULL; /* not a unit's handle */
	r = uv_poll_start(&watch, UV_READABLE, readable_cb);
	if (r < 0) {
		uv_close((uv_handle_t *)&watch, NULL);
		watch_open = false;
		return r;
	}
	nloop = loop;
	sock_fd = fd; /* now owned by this module */
	snprintf(sock_path, sizeof sock_path, "%s", path);
	snprintf(execplan_notify_socket, sizeof execplan_notify_socket, "%s", path);
	return 0;
}

int notify_init(uv_loop_t *loop, const char *runtime_dir, char *err, size_t errlen)
{
	/*
	 * An abstract socket, "@supervisord<runtime dir>/notify": the runtime
	 * directory is 0700, and services running under another User= must
	 * still reach the socket. Who may say what is decided by the kernel
	 * credentials of each datagram, not by file modes. An abstract socket
	 * also vanishes with its last descriptor, so none is ever stale.
	 */
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char name[sizeof sa.sun_path + 1];
	if (snprintf(name, sizeof name, "@supervisord%s/notify", runtime_dir) >= (int)sizeof sa.sun_path) {
		snprintf(err, errlen, "%s: path too long for a notify socket name", runtime_dir);
		return -ENAMETOOLONG;
	}
	size_t nlen = strlen(name);
	memcpy(sa.sun_path, name, nlen);
	sa.sun_path[0] = '\0';
	socklen_t salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + nlen);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -errno;
	}
	int r;
	if (bind(fd, (struct sockaddr *)&sa, salen) < 0) {
		r = -errno;
		snprintf(err, errlen, "bind %s: %s", name, strerror(-r));
		goto fail;
	}
	r = start_watch(loop, fd, name);
	if (r < 0) {
		snprintf(err, errlen, "%s: %s", name, strerror(-r));
		goto fail;
	}
	/* MAINPID= may name a grandchild whose parent then exits. As a child
	 * subreaper we inherit it instead of init, so the reaper still sees
	 * the new main process end. Inherited across a re-exec. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		log_warn("notify: PR_SET_CHILD_SUBREAPER: %s", strerror(errno));
	log_debug("notify: listening on %s", name);
	return 0;
fail:
	close(fd);
	return r;
}

int notify_adopt(uv_loop_t *loop, int fd, const char *path)
{
	if (sock_fd >= 0)
		return -EBUSY;
	if (strlen(path) >= sizeof sock_path)
		return -ENAMETOOLONG;
	int fl = fcntl(fd, F_GETFD);
	if (fl < 0 || fcntl(fd, F_SETFD, fl | FD_CLOEXEC) < 0)
		return -errno;
	return start_watch(loop, fd, path);
}

int notify_fd(void)
{
	return sock_fd;
}

const char *notify_path(void)
{
	return sock_path;
}

void notify_close(void)
{
	if (watch_open) {
		uv_poll_stop(&watch);
		uv_close((uv_handle_t *)&watch, NULL);
		watch_open = false;
	}
	if (sock_fd >= 0) {
		close(sock_fd);
		sock_fd = -1;
	}
	if (sock_path[0] && sock_path[0] != '@')
		unlink(sock_path);
	sock_path[0] = '\0';
	execplan_notify_socket[0] = '\0';
}
