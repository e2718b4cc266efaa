/*
 * dgramworker - a socket-activated worker for the non-stream kinds,
 * written against libsystemd: it serves every descriptor it is given and
 * appends what arrives to REPORT (env), one line per message:
 * "KIND DATA pid=N". Datagram sockets (UDP, Unix) are read as they are;
 * a sequential-packet listener is accepted and each packet is answered
 * with "pid N"; a FIFO is read. It idles until SIGTERM.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

static volatile sig_atomic_t stopping;

static void on_term(int sig)
{
	stopping = 1;
}

static void report(const char *kind, const char *data, size_t n)
{
	const char *path = getenv("REPORT");
	FILE *f = path ? fopen(path, "a") : NULL;
	if (!f)
		return;
	while (n && (data[n - 1] == '\n' || data[n - 1] == '\0'))
		n--;
	fprintf(f, "%s %.*s pid=%d\n", kind, (int)n, data, (int)getpid());
	fclose(f);
}

int main(void)
{
	int n = sd_listen_fds(0);
	if (n <= 0)
		return 2;
	struct sigaction sa = { .sa_handler = on_term };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	struct pollfd pfd[32];
	const char *kind[32];
	int np = 0;
	for (int i = 0; i < n && np < 32; i++) {
		int fd = SD_LISTEN_FDS_START + i;
		pfd[np].fd = fd;
		pfd[np].events = POLLIN;
		if (sd_is_fifo(fd, NULL) > 0)
			kind[np] = "fifo";
		else if (sd_is_socket(fd, AF_UNIX, SOCK_SEQPACKET, 1) > 0)
			kind[np] = "seqpacket";
		else if (sd_is_socket(fd, AF_UNIX, SOCK_DGRAM, -1) > 0)
			kind[np] = "unix-dgram";
		else if (sd_is_socket(fd, AF_UNSPEC, SOCK_DGRAM, -1) > 0)
			kind[np] = "udp";
		else
			continue;
		np++;
	}
	char buf[4096];
	while (!stopping) {
		if (poll(pfd, (nfds_t)np, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 3;
		}
		for (int i = 0; i < np; i++) {
			if (!(pfd[i].revents & POLLIN))
				continue;
			if (!strcmp(kind[i], "seqpacket")) {
				int c = accept4(pfd[i].fd, NULL, NULL, SOCK_CLOEXEC);
				if (c < 0)
					continue;
				ssize_t r = recv(c, buf, sizeof buf, 0);
				if (r > 0) {
					report(kind[i], buf, (size_t)r);
					char out[64];
					int m = snprintf(out, sizeof out, "pid %d", (int)getpid());
					send(c, out, (size_t)m, MSG_NOSIGNAL);
				}
				close(c);
			} else {
				ssize_t r = read(pfd[i].fd, buf, sizeof buf);
				if (r > 0)
					report(kind[i], buf, (size_t)r);
			}
		}
	}
	return 0;
}
