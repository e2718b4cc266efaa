/*
 * forkexec - the bare fork+exec loop of figure 4 (the limit a supervisor
 * can approach): fork and exec N copies of PROGRAM as fast as it can, keep
 * them, and on SIGTERM kill each by pid, reap them and exit.
 *
 *   forkexec N PROGRAM [ARGS...]
 */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

static volatile sig_atomic_t stop;
static void on_term(int s)
{
	(void)s;
	stop = 1;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		DIE("usage: forkexec N PROGRAM [ARGS...]");
	int n = atoi(argv[1]);
	pid_t *pids = calloc((size_t)n, sizeof *pids);
	struct sigaction sa = { .sa_handler = on_term };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	for (int i = 0; i < n && !stop; i++) {
		pid_t p = fork();
		if (p == 0) {
			signal(SIGTERM, SIG_DFL);
			signal(SIGINT, SIG_DFL);
			execv(argv[2], argv + 2);
			_exit(127);
		}
		pids[i] = p;
	}
	while (!stop)
		pause();
	for (int i = 0; i < n; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGTERM);
	for (int i = 0; i < n; i++)
		if (pids[i] > 0)
			waitpid(pids[i], NULL, 0);
	return 0;
}
