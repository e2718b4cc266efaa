/*
 * supervisord-hello - a tiny socket-activated HTTP/1.0 demo service.
 *
 * It never binds anything itself: supervisord (or systemd) binds the
 * sockets named in hello.socket and passes them at exec time, following
 * sd_listen_fds(3):
 *
 *   LISTEN_PID      must equal our pid, otherwise the variables were meant
 *                   for another process (an ancestor) and we ignore them;
 *   LISTEN_FDS      how many fds were passed, starting at fd 3;
 *   LISTEN_FDNAMES  colon-separated names, one per fd (optional).
 *
 * The check is written out here, without libsystemd, to show how little
 * it takes. Every passed listening stream socket is polled; each client
 * gets one answer and the connection is closed. A slow or silent client
 * is bounded (4 KiB, 2 s), so it delays the others by at most 2 s: fine
 * for a demo, not for production.
 *
 * SIGTERM (and SIGINT) end the loop and the program exits 0, which is what
 * supervisord expects from KillSignal=SIGTERM.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* accept4 */
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FIRST_FD 3
#define MAX_FDS 64
#define REQ_MAX 4096
#define REQ_TIMEOUT_MS 2000

struct listener {
	int fd;
	char name[256];
};

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* Parse a decimal that must fill the whole string. */
static int parse_int(const char *s, long *out)
{
	char *end;
	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || v < 0)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Copy the i-th colon-separated field of names into buf ("" if absent). */
static void fd_name(const char *names, int i, char *buf, size_t len)
{
	buf[0] = '\0';
	if (!names)
		return;
	const char *p = names;
	for (; i > 0 && p; i--) {
		p = strchr(p, ':');
		if (p)
			p++;
	}
	if (!p)
		return;
	size_t n = strcspn(p, ":");
	if (n >= len)
		n = len - 1;
	memcpy(buf, p, n);
	buf[n] = '\0';
}

static int is_listening_stream(int fd)
{
	int type, acc;
	socklen_t l1 = sizeof type, l2 = sizeof acc;
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l1) < 0)
		return 0;
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &l2) < 0)
		return 0;
	return type == SOCK_STREAM && acc;
}

/*
 * The sd_listen_fds() check. Returns the number of usable listeners put
 * in ls[], or -1 with a message on stderr when nothing was passed to us.
 */
static int listen_fds(struct listener *ls, int max)
{
	long pid, n;
	if (parse_int(getenv("LISTEN_PID"), &pid) < 0 || parse_int(getenv("LISTEN_FDS"), &n) < 0) {
		fprintf(stderr, "supervisord-hello: no sockets were passed (LISTEN_PID/LISTEN_FDS unset); "
				"run me from supervisord with units/hello.socket, "
				"e.g. supervisord -u units\n");
		return -1;
	}
	if (pid != (long)getpid()) {
		fprintf(stderr, "supervisord-hello: LISTEN_PID=%ld is not my pid %ld: the sockets "
				"were meant for another process\n", pid, (long)getpid());
		return -1;
	}
	if (n == 0 || n > INT_MAX - FIRST_FD) {
		fprintf(stderr, "supervisord-hello: LISTEN_FDS=%ld: no usable sockets\n", n);
		return -1;
	}
	const char *names = getenv("LISTEN_FDNAMES");
	int count = 0;
	for (int i = 0; i < (int)n; i++) {
		int fd = FIRST_FD + i;
		/* As sd_listen_fds() does: keep passed fds away from our children. */
		if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
			fprintf(stderr, "supervisord-hello: fd %d: %s\n", fd, strerror(errno));
			continue;
		}
		char name[256];
		fd_name(names, i, name, sizeof name);
		if (!is_listening_stream(fd)) {
			fprintf(stderr, "supervisord-hello: fd %d '%s' is not a listening stream "
					"socket, ignoring it\n", fd, name);
			continue;
		}
		if (count == max) {
			fprintf(stderr, "supervisord-hello: more than %d sockets, ignoring fd %d\n", max, fd);
			continue;
		}
		ls[count].fd = fd;
		snprintf(ls[count].name, sizeof ls[count].name, "%s", name[0] ? name : "unknown");
		count++;
	}
	/* Our own children must not think the sockets are theirs. */
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (count == 0) {
		fprintf(stderr, "supervisord-hello: none of the %ld passed fds is a listening stream "
				"socket\n", n);
		return -1;
	}
	return count;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Read the request head until the blank line, 4 KiB or 2 s, whichever
 * comes first. We answer the same thing to any request, so its content
 * does not matter; reading it first keeps clients from seeing a reset.
 */
static void read_request(int fd)
{
	char buf[REQ_MAX + 1];
	size_t have = 0;
	long long deadline = now_ms() + REQ_TIMEOUT_MS;
	while (have < REQ_MAX && !stop_requested) {
		long long left = deadline - now_ms();
		if (left <= 0)
			break;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int r = poll(&p, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		ssize_t got = read(fd, buf + have, REQ_MAX - have);
		if (got < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (got <= 0)
			break;
		have += (size_t)got;
		buf[have] = '\0';
		if (strstr(buf, "\r\n\r\n") || strstr(buf, "\n\n"))
			break;
	}
}

static void write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		len -= (size_t)w;
	}
}

static void serve(const struct listener *l)
{
	int c = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
			fprintf(stderr, "supervisord-hello: accept on fd %d: %s\n", l->fd, strerror(errno));
		return;
	}
	read_request(c);
	char body[512], head[256];
	int blen = snprintf(body, sizeof body,
			    "Hello from supervisord-hello (pid %ld), socket-activated via fd %d '%s'\n",
			    (long)getpid(), l->fd, l->name);
	int hlen = snprintf(head, sizeof head,
			    "HTTP/1.0 200 OK\r\n"
			    "Content-Type: text/plain; charset=utf-8\r\n"
			    "Content-Length: %d\r\n"
			    "Connection: close\r\n"
			    "\r\n", blen);
	write_all(c, head, (size_t)hlen);
	write_all(c, body, (size_t)blen);
	close(c);
}

int main(void)
{
	struct listener ls[MAX_FDS];
	struct pollfd pfd[MAX_FDS];

	struct sigaction sa = { .sa_handler = on_stop };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	int n = listen_fds(ls, MAX_FDS);
	if (n < 0)
		return 1;
	/*
	 * The listening sockets stay as they were passed. Their file status
	 * flags (O_NONBLOCK) are shared with supervisord, which keeps the same
	 * open file description, so we don't change them. We are the only
	 * process accepting while we run, so after POLLIN accept() has a
	 * connection to return.
	 */
	for (int i = 0; i < n; i++) {
		pfd[i] = (struct pollfd){ .fd = ls[i].fd, .events = POLLIN };
		fprintf(stderr, "supervisord-hello: serving on fd %d '%s'\n", ls[i].fd, ls[i].name);
	}

	while (!stop_requested) {
		int r = poll(pfd, (nfds_t)n, -1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "supervisord-hello: poll: %s\n", strerror(errno));
			return 1;
		}
		for (int i = 0; i < n && !stop_requested; i++)
			if (pfd[i].revents & POLLIN)
				serve(&ls[i]);
	}
	fprintf(stderr, "supervisord-hello: stopping\n");
	return 0;
}
