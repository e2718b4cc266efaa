/*
 * fetchbench - figure 6: descriptors per second fetched at run time.
 *
 *   fetchbench store RTDIR UNIT N        put N memfds into UNIT's fd store
 *   fetchbench lib RTDIR UNIT SECONDS    supfd_fetch(UNIT, everything) in a
 *                                        loop; close what comes back
 *   fetchbench bare N SECONDS            the same through a bare SCM_RIGHTS
 *                                        server: connect, one request byte,
 *                                        N fds back in one message, close
 *
 * Prints one JSON line: calls, fds, seconds, fds_per_s, us_per_call.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "supfd.h"

static void report(long calls, long fds, long long t0)
{
	double s = (double)(now_us() - t0) / 1e6;
	printf("{\"calls\": %ld, \"fds\": %ld, \"seconds\": %.3f, \"fds_per_s\": %.1f, \"us_per_call\": %.2f}\n", calls,
	       fds, s, fds / s, s * 1e6 / (double)calls);
}

static _Noreturn void bare_serve(int l, int n)
{
	int *fds = malloc(sizeof *fds * (size_t)n);
	for (int i = 0; i < n; i++)
		fds[i] = memfd_create("bare", MFD_CLOEXEC);
	size_t cl = CMSG_SPACE(sizeof(int) * (size_t)n);
	char *cbuf = calloc(1, cl);
	for (;;) {
		int c = accept4(l, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			continue;
		char b;
		if (read(c, &b, 1) == 1) {
			char one = 'f';
			struct iovec iov = { &one, 1 };
			struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = cl };
			struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
			memcpy(CMSG_DATA(cm), fds, sizeof(int) * (size_t)n);
			sendmsg(c, &m, MSG_NOSIGNAL);
		}
		close(c);
	}
}

static int bare_fetch(const struct sockaddr_un *a, int n, char *cbuf, size_t cl)
{
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (connect(s, (const struct sockaddr *)a, sizeof *a) < 0)
		DIE("connect: %m");
	if (write(s, "r", 1) != 1)
		DIE("write: %m");
	char one;
	struct iovec iov = { &one, 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = cl };
	if (recvmsg(s, &m, MSG_CMSG_CLOEXEC) != 1)
		DIE("recvmsg: %m");
	int got = 0;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm))
		if (cm->cmsg_type == SCM_RIGHTS) {
			int k = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			int *fd = (int *)CMSG_DATA(cm);
			for (int i = 0; i < k; i++)
				close(fd[i]);
			got += k;
		}
	close(s);
	if (got != n)
		DIE("bare: got %d fds, want %d", got, n);
	return got;
}

int main(int argc, char **argv)
{
	if (argc < 4)
		DIE("usage: see the comment at the top of fetchbench.c");
	if (!strcmp(argv[1], "store") && argc == 5) {
		supfd_set_runtime_dir(argv[2]);
		int n = atoi(argv[4]);
		int *fds = malloc(sizeof *fds * (size_t)n);
		for (int i = 0; i < n; i++)
			fds[i] = memfd_create("blob", MFD_CLOEXEC);
		int rc = supfd_store(argv[3], "blob", fds, (size_t)n, 10000);
		if (rc < 0)
			DIE("supfd_store: %s (%s)", strerror(-rc), supfd_last_error());
		return 0;
	}
	if (!strcmp(argv[1], "lib") && argc == 5) {
		supfd_set_runtime_dir(argv[2]);
		long long t0 = now_us(), end = t0 + (long long)(atof(argv[4]) * 1e6);
		long calls = 0, total = 0;
		while (now_us() < end) {
			int *fds;
			size_t n;
			int rc = supfd_fetch(argv[3], NULL, 0, &fds, NULL, &n, 10000);
			if (rc < 0)
				DIE("supfd_fetch: %s (%s)", strerror(-rc), supfd_last_error());
			for (size_t i = 0; i < n; i++)
				close(fds[i]);
			free(fds);
			calls++;
			total += (long)n;
		}
		report(calls, total, t0);
		return 0;
	}
	if (!strcmp(argv[1], "bare")) {
		int n = atoi(argv[2]);
		struct sockaddr_un a = { .sun_family = AF_UNIX };
		snprintf(a.sun_path + 1, sizeof a.sun_path - 1, "fetchbench-%d", (int)getpid());
		int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 64) < 0)
			DIE("bind: %m");
		pid_t srv = fork();
		if (srv == 0)
			bare_serve(l, n);
		close(l);
		size_t cl = CMSG_SPACE(sizeof(int) * (size_t)n);
		char *cbuf = malloc(cl);
		long long t0 = now_us(), end = t0 + (long long)(atof(argv[3]) * 1e6);
		long calls = 0, total = 0;
		while (now_us() < end) {
			total += bare_fetch(&a, n, cbuf, cl);
			calls++;
		}
		report(calls, total, t0);
		kill(srv, SIGKILL);
		waitpid(srv, NULL, 0);
		return 0;
	}
	DIE("bad mode %s", argv[1]);
}
