/*
 * bareexec - the bare re-exec of figure 2: a server that holds N listening
 * Unix sockets (abstract names) and, on request, execs itself carrying all
 * of them plus the requester's connection; the new image answers. This is
 * the least any re-exec that keeps its descriptors can cost.
 *
 * With --as BINARY it execs BINARY instead, carrying the same descriptors,
 * as `BINARY --check-state-format` with the requester's connection as its
 * standard output: a bare exec of the supervisord binary itself (its
 * loader, libraries and start-up), which answers and exits without
 * restoring anything. One request per server, then.
 *
 *   bareexec serve CTLPATH N [--as BINARY]   listen on CTLPATH (foreground)
 *   bareexec exec CTLPATH         client: ask for a re-exec, wait for the answer
 *   bareexec ping CTLPATH         client: ask for an answer without re-exec
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common.h"

static void addr_of(const char *path, struct sockaddr_un *a)
{
	memset(a, 0, sizeof *a);
	a->sun_family = AF_UNIX;
	snprintf(a->sun_path, sizeof a->sun_path, "%s", path);
}

static const char *as_binary; /* --as */

static int loop(int ctl, int nheld, char *self)
{
	for (;;) {
		int c = accept(ctl, NULL, NULL); /* not CLOEXEC: carried across exec */
		if (c < 0)
			continue;
		char b;
		if (read(c, &b, 1) != 1) {
			close(c);
			continue;
		}
		if (b == 'x' && as_binary) {
			if (dup2(c, 1) < 0)
				DIE("bareexec: dup2: %m");
			char *av[] = { (char *)as_binary, "--check-state-format", NULL };
			execv(as_binary, av);
			DIE("bareexec: exec %s: %m", as_binary);
		}
		if (b == 'x') {
			char cs[16], ls[16], ns[16];
			snprintf(cs, sizeof cs, "%d", c);
			snprintf(ls, sizeof ls, "%d", ctl);
			snprintf(ns, sizeof ns, "%d", nheld);
			char *av[] = { self, "resume", ls, cs, ns, NULL };
			execv("/proc/self/exe", av);
			DIE("bareexec: exec: %m");
		}
		if (write(c, "ok\n", 3) < 0) {
		}
		close(c);
	}
}

static int client(const char *path, char req)
{
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un a;
	addr_of(path, &a);
	if (connect(s, (struct sockaddr *)&a, sizeof a) < 0)
		DIE("bareexec: connect %s: %m", path);
	if (write(s, &req, 1) != 1)
		return 1;
	char buf[256];
	ssize_t r = read(s, buf, sizeof buf); /* "ok\n", or the --as binary's first output */
	return r >= 3 ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		DIE("usage: bareexec serve CTLPATH N | exec CTLPATH | ping CTLPATH");
	if (!strcmp(argv[1], "exec"))
		return client(argv[2], 'x');
	if (!strcmp(argv[1], "ping"))
		return client(argv[2], 'p');
	if (!strcmp(argv[1], "resume")) {
		int ctl = atoi(argv[2]), c = atoi(argv[3]);
		if (write(c, "ok\n", 3) < 0) {
		}
		close(c);
		return loop(ctl, atoi(argv[4]), argv[0]);
	}
	if (strcmp(argv[1], "serve") || argc < 4)
		DIE("bad mode");
	int n = atoi(argv[3]);
	if (argc >= 6 && !strcmp(argv[4], "--as"))
		as_binary = argv[5];
	for (int i = 0; i < n; i++) {
		int s = socket(AF_UNIX, SOCK_STREAM, 0); /* kept across exec */
		struct sockaddr_un a = { .sun_family = AF_UNIX };
		int len = snprintf(a.sun_path + 1, sizeof a.sun_path - 1, "bareexec-%d-%d", (int)getpid(), i);
		if (bind(s, (struct sockaddr *)&a, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len)) < 0 ||
		    listen(s, 16) < 0)
			DIE("bareexec: socket %d: %m", i);
	}
	if (as_binary) {
		/* BINARY exits right after answering; if its exit closed the
		 * last reference to a thousand sockets, tearing them down would
		 * run beside the timed client and slow it (they contend in the
		 * kernel). A child holds them too, and lets go some time after
		 * this process is gone, outside the timing. */
		pid_t parent = getpid();
		if (fork() == 0) {
			while (getppid() == parent)
				usleep(20000);
			usleep(100000);
			_exit(0);
		}
	}
	int ctl = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un a;
	addr_of(argv[2], &a);
	unlink(argv[2]);
	if (bind(ctl, (struct sockaddr *)&a, sizeof a) < 0 || listen(ctl, 64) < 0)
		DIE("bareexec: %s: %m", argv[2]);
	return loop(ctl, n, argv[0]);
}
