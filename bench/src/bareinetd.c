/*
 * bareinetd - the bare fork+exec rate of figure 7: accept on
 * 127.0.0.1:PORT, fork, put the connection on fd 0 and 1, exec PROGRAM.
 * Children are reaped by the kernel (SIGCHLD ignored). SIGTERM ends it.
 *
 *   bareinetd PORT PROGRAM [ARGS...]
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common.h"

int main(int argc, char **argv)
{
	if (argc < 3)
		DIE("usage: bareinetd PORT PROGRAM [ARGS...]");
	signal(SIGCHLD, SIG_IGN);
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1])) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 128) < 0)
		DIE("bareinetd: %s", strerror(errno));
	for (;;) {
		int c = accept4(l, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			continue;
		pid_t p = fork();
		if (p == 0) {
			signal(SIGCHLD, SIG_DFL);
			dup2(c, 0);
			dup2(c, 1);
			execv(argv[2], argv + 2);
			_exit(127);
		}
		close(c);
	}
}
