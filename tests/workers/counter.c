/*
 * counter - prints a numbered line every millisecond on stdout, each
 * run carrying on from where its previous run
 * stopped: the next number is kept in STATE (env) on SIGTERM. So across any
 * number of restarts its output is one sequence 0, 1, 2, ... and a test can
 * check that the supervisor's log holds every line once, in order.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stopping;

static void on_term(int sig)
{
	stopping = 1;
}

int main(void)
{
	const char *state = getenv("STATE");
	if (!state)
		return 2;
	unsigned long long n = 0;
	FILE *f = fopen(state, "r");
	if (f) {
		if (fscanf(f, "%llu", &n) != 1)
			n = 0;
		fclose(f);
	}
	struct sigaction sa = { .sa_handler = on_term };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	char line[64];
	while (!stopping) {
		int len = snprintf(line, sizeof line, "line %llu\n", n);
		/* One write per line: whole lines or nothing reach the pipe. */
		if (write(STDOUT_FILENO, line, (size_t)len) != len)
			return 3;
		n++;
		struct timespec ts = { 0, 1000000L };
		nanosleep(&ts, NULL);
	}
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp", state);
	f = fopen(tmp, "w");
	if (!f)
		return 4;
	fprintf(f, "%llu\n", n);
	fclose(f);
	rename(tmp, state);
	return 0;
}
