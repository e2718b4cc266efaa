/*
 * stashworker - a Type=notify worker written against libsystemd that keeps
 * a token in the supervisor's fd store: on a start without a "stash" fd it
 * creates a memfd holding a fresh token and stores it with
 * sd_pid_notify_with_fds("FDSTORE=1\nFDNAME=stash"); on a start with one it
 * reads the token back. Either way it writes REPORT (env) as
 * "stored=TOKEN" or "fetched=TOKEN", then sends READY=1 (after the store,
 * so READY implies the store was processed) and idles until SIGTERM.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stopping;

static void on_term(int sig)
{
	stopping = 1;
}

static void report(const char *what, const char *token)
{
	const char *path = getenv("REPORT");
	if (!path)
		return;
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f)
		exit(3);
	fprintf(f, "%s=%s\npid=%d\n", what, token, (int)getpid());
	fclose(f);
	rename(tmp, path);
}

int main(void)
{
	char **names = NULL;
	int n = sd_listen_fds_with_names(0, &names);
	char token[128] = "";
	int stash = -1;
	for (int i = 0; i < n; i++)
		if (names && names[i] && !strcmp(names[i], "stash"))
			stash = SD_LISTEN_FDS_START + i;
	for (int i = 0; names && i < n; i++)
		free(names[i]);
	free(names); /* nothing leaks: LeakSanitizer reports would end up in the log */
	if (stash >= 0) {
		ssize_t r = pread(stash, token, sizeof token - 1, 0);
		token[r > 0 ? r : 0] = '\0';
		report("fetched", token);
	} else {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		snprintf(token, sizeof token, "token-%d-%ld", (int)getpid(), ts.tv_nsec);
		int fd = memfd_create("stash", MFD_CLOEXEC);
		if (fd < 0 || write(fd, token, strlen(token)) != (ssize_t)strlen(token))
			return 2;
		int r = sd_pid_notify_with_fds(0, 0, "FDSTORE=1\nFDNAME=stash", &fd, 1);
		if (r <= 0) {
			fprintf(stderr, "stashworker: FDSTORE: %s\n", r < 0 ? strerror(-r) : "no NOTIFY_SOCKET");
			return 2;
		}
		close(fd);
		report("stored", token);
	}
	struct sigaction sa = { .sa_handler = on_term };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sd_notify(0, "READY=1\nSTATUS=holding a token");
	while (!stopping)
		pause();
	return 0;
}
