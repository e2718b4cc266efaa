/*
 * sdworker - a test worker written against libsystemd, unmodified, as a
 * user's program would be: it takes its sockets with
 * sd_listen_fds_with_names() and serves a one-line HTTP answer naming its pid
 * on every listening stream socket.
 *
 * Environment knobs (set with Environment= in the test's unit):
 *   REPORT=path   write what it received: LISTEN_PID check, fd names and
 *                 kinds, O_NONBLOCK of each, and its /proc/self/fd listing,
 *                 then serve
 *   START_DELAY_MS=n  sleep before serving (a slow start-up)
 *   EXIT_AFTER=n  exit 0 after serving n requests
 *   NOTIFY_READY=1    send READY=1 (sd_notify) once it serves, after the delay
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

static void write_report(const char *path, int n, char **names)
{
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f)
		exit(3);
	const char *lp = getenv("LISTEN_PID");
	fprintf(f, "pid=%d\n", (int)getpid());
	fprintf(f, "listen_pid=%s\n", lp ? lp : "(unset)");
	fprintf(f, "n=%d\n", n);
	for (int i = 0; i < n; i++) {
		int fd = SD_LISTEN_FDS_START + i;
		const char *kind = "other";
		if (sd_is_socket_inet(fd, AF_INET, SOCK_STREAM, 1, 0) > 0)
			kind = "tcp4";
		else if (sd_is_socket_inet(fd, AF_INET6, SOCK_STREAM, 1, 0) > 0)
			kind = "tcp6";
		else if (sd_is_socket_unix(fd, SOCK_STREAM, 1, NULL, 0) > 0)
			kind = "unix-stream";
		else if (sd_is_socket(fd, AF_UNSPEC, SOCK_DGRAM, -1) > 0)
			kind = "dgram";
		else if (sd_is_socket(fd, AF_NETLINK, SOCK_RAW, -1) > 0)
			kind = "netlink";
		else if (sd_is_fifo(fd, NULL) > 0)
			kind = "fifo";
		else if (sd_is_mq(fd, NULL) > 0)
			kind = "mqueue";
		else if (sd_is_special(fd, NULL) > 0)
			kind = "special";
		fprintf(f, "fd%d=%s:%s\n", fd, names && names[i] ? names[i] : "?", kind);
	}
	/* O_NONBLOCK of each, as NonBlocking= left it. */
	for (int i = 0; i < n; i++) {
		int fl = fcntl(SD_LISTEN_FDS_START + i, F_GETFL);
		fprintf(f, "nb%d=%d\n", SD_LISTEN_FDS_START + i, fl < 0 ? -1 : !!(fl & O_NONBLOCK));
	}
	/* Every descriptor open in this process, but the DIR's and the report's own. */
	DIR *d = opendir("/proc/self/fd");
	int self = d ? dirfd(d) : -1;
	struct dirent *e;
	fprintf(f, "open=");
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.' || atoi(e->d_name) == self || atoi(e->d_name) == fileno(f))
			continue;
		fprintf(f, "%s,", e->d_name);
	}
	fprintf(f, "\n");
	if (d)
		closedir(d);
	fclose(f);
	rename(tmp, path);
}

/* SIGTERM: finish the request in hand, then exit 0, as a well-behaved
 * server does. Connections still in the backlog belong to the listening
 * socket, which the supervisor keeps: the next instance serves them. */
static volatile sig_atomic_t stopping;

static void on_term(int sig)
{
	stopping = 1;
}

static void serve_one(int lfd)
{
	int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		return;
	/* Read the whole request head, bounded in size and time. Closing with
	 * unread bytes would make the kernel answer with RST, so a signal does
	 * not cut the read short. */
	char buf[2048];
	size_t got = 0;
	struct pollfd p = { .fd = c, .events = POLLIN };
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	buf[0] = '\0';
	while (got < sizeof buf - 1 && !strstr(buf, "\r\n\r\n")) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		long left = 2000 - ((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0)
			break;
		int pr = poll(&p, 1, (int)left);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			break;
		ssize_t r = recv(c, buf + got, sizeof buf - 1 - got, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
		buf[got] = '\0';
	}
	char out[128];
	int n = snprintf(out, sizeof out, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\npid %d\n", (int)getpid());
	send(c, out, (size_t)n, MSG_NOSIGNAL);
	close(c);
}

/* sd_listen_fds_with_names() hands over an allocated vector. */
static void free_names(char **names, int n)
{
	for (int i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
}

int main(void)
{
	char **names = NULL;
	int n = sd_listen_fds_with_names(0, &names);
	if (n < 0) {
		fprintf(stderr, "sdworker: sd_listen_fds_with_names: %s\n", strerror(-n));
		return 2;
	}
	const char *report = getenv("REPORT");
	if (report)
		write_report(report, n, names);
	free_names(names, n); /* nothing leaks: LeakSanitizer reports would end up in the log */
	const char *delay = getenv("START_DELAY_MS");
	if (delay) {
		int ms = atoi(delay);
		struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
		nanosleep(&ts, NULL);
	}
	struct sigaction sa = { .sa_handler = on_term };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL); /* no SA_RESTART: poll() returns EINTR */
	if (getenv("NOTIFY_READY"))
		sd_notify(0, "READY=1\nSTATUS=serving");
	const char *ea = getenv("EXIT_AFTER");
	long exit_after = ea ? atol(ea) : -1;

	struct pollfd pfd[64];
	int np = 0;
	for (int i = 0; i < n && np < 64; i++) {
		int fd = SD_LISTEN_FDS_START + i;
		if (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) > 0)
			pfd[np++] = (struct pollfd){ .fd = fd, .events = POLLIN };
	}
	if (np == 0) {
		/* Nothing to serve: idle until stopped. */
		while (!stopping)
			pause();
		return 0;
	}
	long served = 0;
	while (!stopping) {
		if (poll(pfd, (nfds_t)np, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 4;
		}
		for (int i = 0; i < np; i++) {
			if (pfd[i].revents & POLLIN) {
				serve_one(pfd[i].fd);
				if (exit_after > 0 && ++served >= exit_after)
					return 0;
			}
		}
	}
	return 0;
}
