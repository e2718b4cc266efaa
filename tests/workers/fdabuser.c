/*
 * fdabuser - a worker that mistreats the descriptors it inherits, then
 * behaves on its next run. Environment knobs:
 *
 *   FLAG=path     first run (no such file): create it, abuse the fds, sleep
 *                 ABUSE_MS (default 300) and exit 1. Later runs (the file
 *                 exists): serve "pid N" on the listening socket at fd 3
 *                 until SIGTERM, like sdworker.
 *   MODE=close    the abuse: close stdin, stdout, stderr and every
 *                 inherited socket (fds 3.. LISTEN_FDS)
 *   MODE=dup2     the abuse: dup2 /dev/null over stdout, stderr and every
 *                 inherited socket, and a copy of it high up
 *
 * The supervisor holds the originals, so neither kind of abuse may cost it
 * its listener, its log pipe, or a descriptor.
 */
#include <errno.h>
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

static volatile sig_atomic_t stopping;

static void on_term(int sig)
{
	stopping = 1;
}

static void abuse(const char *mode, int n)
{
	if (!strcmp(mode, "close")) {
		for (int fd = 0; fd < SD_LISTEN_FDS_START + n; fd++)
			close(fd);
		return;
	}
	int null = open("/dev/null", O_RDWR);
	if (null < 0)
		exit(5);
	for (int fd = 1; fd < SD_LISTEN_FDS_START + n; fd++)
		if (fd != null)
			dup2(null, fd);
	dup2(null, 200);
}

static void serve(int lfd)
{
	while (!stopping) {
		struct pollfd p = { .fd = lfd, .events = POLLIN };
		if (poll(&p, 1, 200) <= 0)
			continue;
		int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			continue;
		char buf[512];
		(void)!read(c, buf, sizeof buf);
		int len = snprintf(buf, sizeof buf, "HTTP/1.0 200 OK\r\n\r\npid %d\n", (int)getpid());
		(void)!write(c, buf, (size_t)len);
		close(c);
	}
}

int main(void)
{
	const char *flag = getenv("FLAG");
	const char *mode = getenv("MODE");
	if (!flag || !mode)
		return 2;
	struct sigaction sa = { .sa_handler = on_term };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	int n = sd_listen_fds(0);
	if (n < 1)
		return 3;
	if (access(flag, F_OK) == 0) {
		serve(SD_LISTEN_FDS_START);
		return 0;
	}
	FILE *f = fopen(flag, "w");
	if (!f)
		return 4;
	fprintf(f, "%d\n", (int)getpid());
	fclose(f);
	abuse(mode, n);
	const char *ms = getenv("ABUSE_MS");
	int wait = ms ? atoi(ms) : 300;
	struct timespec ts = { wait / 1000, (long)(wait % 1000) * 1000000L };
	nanosleep(&ts, NULL);
	return 1;
}
