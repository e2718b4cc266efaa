/*
 * benchworker - the HTTP worker of figure 1, the same binary under every
 * supervisor. It answers "pid N" to each request, one at a time.
 *
 * Sockets: LISTEN_FDS/LISTEN_PID (systemd-style, as supervisord passes them)
 * when set for this process; otherwise it binds 127.0.0.1:$PORT itself
 * (SO_REUSEADDR), as a worker under s6, runit or the Python supervisor must.
 *
 *   START_DELAY_MS=n  initialise for n ms before serving (a slow start-up;
 *                     a self-binding worker binds after it, as most servers
 *                     do: they open their port once ready to serve)
 *   NOTIFY_READY=1    sd_notify READY=1 once serving
 *
 * SIGTERM: finish the request in hand, exit 0.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "common.h"

static volatile sig_atomic_t stopping;
static void on_term(int s)
{
	(void)s;
	stopping = 1;
}

static void serve_one(int lfd)
{
	int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		return;
	char buf[2048];
	size_t got = 0;
	buf[0] = '\0';
	long long end = now_us() + 2000000;
	while (got < sizeof buf - 1 && !strstr(buf, "\r\n\r\n")) {
		long left = (long)((end - now_us()) / 1000);
		if (left <= 0)
			break;
		struct pollfd p = { .fd = c, .events = POLLIN };
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

int main(void)
{
	struct sigaction sa = { .sa_handler = on_term };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	const char *d = getenv("START_DELAY_MS");
	int n = sd_listen_fds(0);
	if (d)
		sleep_ms(atol(d));
	int lfd;
	if (n >= 1) {
		lfd = SD_LISTEN_FDS_START;
	} else {
		const char *ps = getenv("PORT");
		if (!ps)
			DIE("benchworker: no LISTEN_FDS and no PORT");
		lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		int one = 1;
		setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(ps)) };
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		/* The previous instance may still hold the port for a moment. */
		long long end = now_us() + 5000000;
		while (bind(lfd, (struct sockaddr *)&a, sizeof a) < 0) {
			if (errno != EADDRINUSE || now_us() > end || stopping)
				DIE("benchworker: bind %s: %s", ps, strerror(errno));
			sleep_ms(1);
		}
		if (listen(lfd, 128) < 0)
			DIE("benchworker: listen: %s", strerror(errno));
	}
	if (getenv("NOTIFY_READY"))
		sd_notify(0, "READY=1");
	struct pollfd p = { .fd = lfd, .events = POLLIN };
	while (!stopping) {
		if (poll(&p, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 4;
		}
		if (p.revents & POLLIN)
			serve_one(lfd);
	}
	return 0;
}
