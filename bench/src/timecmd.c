/*
 * timecmd - run a command N times in a row (fork, exec, wait; stdout and
 * stderr to /dev/null) and print one JSON line of wall times in
 * microseconds: min, p10, median, p90, mean, and how many runs failed.
 *
 *   timecmd N PROGRAM [ARGS...]
 */
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

int main(int argc, char **argv)
{
	if (argc < 3)
		DIE("usage: timecmd N PROGRAM [ARGS...]");
	int n = atoi(argv[1]);
	if (n < 1)
		DIE("N >= 1");
	long long *t = malloc(sizeof *t * (size_t)n);
	int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	int bad = 0, lastrc = 0;
	long long sum = 0;
	for (int i = 0; i < n; i++) {
		long long t0 = now_ns();
		pid_t p = fork();
		if (p == 0) {
			dup2(devnull, 1);
			dup2(devnull, 2);
			execv(argv[2], argv + 2);
			_exit(127);
		}
		int st;
		waitpid(p, &st, 0);
		t[i] = now_ns() - t0;
		sum += t[i];
		if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			bad++;
			lastrc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		}
	}
	qsort(t, (size_t)n, sizeof *t, cmp_ll);
	printf("{\"n\": %d, \"failed\": %d, \"last_rc\": %d, \"min_us\": %.1f, \"p10_us\": %.1f, \"median_us\": %.1f, "
	       "\"p90_us\": %.1f, \"mean_us\": %.1f}\n",
	       n, bad, lastrc, t[0] / 1e3, pct(t, (size_t)n, 10) / 1e3, pct(t, (size_t)n, 50) / 1e3,
	       pct(t, (size_t)n, 90) / 1e3, (double)sum / n / 1e3);
	return 0;
}
