/*
 * fetchworker - a test worker that uses libsupfd at run time: it stores
 * descriptors in its unit's fd store, fetches descriptors back in one call,
 * checks every one, and writes what happened to a report file. The test
 * reads the report; the worker never decides pass or fail itself, except
 * for the per-descriptor checks, whose first failure it describes.
 *
 * Environment (all optional but REPORT):
 *   REPORT=path         where to write "key=value" lines (atomically)
 *   RUN_AS=user         drop to this user first (when run directly as root)
 *   STORE_N=k           create k memfds holding "blob <i>" and store them...
 *   STORE_NAME=name     ...under this name (default "blob")
 *   STORE_UNIT=unit     ...in this unit's store (default: own unit)
 *   FETCH_NAMES=a:b     names to fetch in one call ("" = everything)
 *   FETCH_UNIT=unit     whose descriptors (default: own unit)
 *   OPENFILE_TEXT=s     what a fetched OpenFile= file must start with
 *   LOW_NOFILE=n        then lower RLIMIT_NOFILE to n and fetch again
 *   OTHER_UNIT=u, OTHER_NAMES=a:b   then try to fetch another unit's
 *   STAY=1              after the report, wait for SIGTERM
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "supfd.h"

#define TIMEOUT_MS 20000

static FILE *rep;

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;
	struct dirent *e;
	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the DIR's own */
}

/* Split a ':'-list into a NULL-terminated vector (modifies s). */
static size_t split(char *s, char **v, size_t max)
{
	size_t n = 0;
	for (char *tok = strtok(s, ":"); tok && n < max; tok = strtok(NULL, ":"))
		v[n++] = tok;
	return n;
}

static const char *env(const char *k, const char *dflt)
{
	const char *v = getenv(k);
	return v ? v : dflt;
}

/* Check one fetched descriptor; returns NULL or what is wrong. */
static const char *check_fd(int fd, const char *name, const char *store_name, long *next_blob)
{
	static char why[256];
	int fl = fcntl(fd, F_GETFD);
	if (fl < 0)
		return "not open";
	if (!(fl & FD_CLOEXEC))
		return "not close-on-exec";
	if (!strcmp(name, store_name)) {
		char buf[64] = { 0 }, want[64];
		if (pread(fd, buf, sizeof buf - 1, 0) <= 0)
			return "stored memfd unreadable";
		snprintf(want, sizeof want, "blob %ld", *next_blob);
		if (strcmp(buf, want)) {
			snprintf(why, sizeof why, "stored fd holds '%s', expected '%s'", buf, want);
			return why;
		}
		(*next_blob)++;
		return NULL;
	}
	if (strstr(name, ".socket")) {
		int acc = 0, dom = 0;
		socklen_t l = sizeof acc;
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &l) < 0 || !acc)
			return "socket fd is not a listening socket";
		l = sizeof dom;
		if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &l) < 0 || dom != AF_UNIX)
			return "socket fd is not AF_UNIX";
		return NULL;
	}
	const char *text = getenv("OPENFILE_TEXT");
	if (text) {
		char buf[256] = { 0 };
		if (pread(fd, buf, sizeof buf - 1, 0) < 0 || strncmp(buf, text, strlen(text)))
			return "OpenFile= fd does not hold the file's text";
	}
	return NULL;
}

static void do_store(void)
{
	long n = atol(env("STORE_N", "0"));
	const char *name = env("STORE_NAME", "blob");
	if (n <= 0)
		return;
	int *fds = calloc((size_t)n, sizeof *fds);
	for (long i = 0; i < n; i++) {
		char text[64];
		fds[i] = memfd_create("blob", MFD_CLOEXEC);
		int len = snprintf(text, sizeof text, "blob %ld", i);
		if (fds[i] < 0 || write(fds[i], text, (size_t)len) != len) {
			fprintf(rep, "store=-1\nstore_msg=memfd %ld: %s\n", i, strerror(errno));
			exit(1);
		}
	}
	int r = supfd_store(getenv("STORE_UNIT"), name, fds, (size_t)n, TIMEOUT_MS);
	fprintf(rep, "store=%d\nstore_msg=%s\n", r, supfd_last_error());
	for (long i = 0; i < n; i++)
		close(fds[i]); /* the store holds its own duplicates */
	free(fds);
}

/* One fetch; with verify, check every descriptor. Closes what it got. */
static void do_fetch(const char *key, const char *unit, const char *list, int verify)
{
	char buf[4096], *names[512];
	snprintf(buf, sizeof buf, "%s", list);
	size_t nn = split(buf, names, 512);
	int *fds = NULL;
	char **got = NULL;
	size_t n = 0;
	int before = count_fds();
	int r = supfd_fetch(unit, (const char *const *)names, nn, &fds, &got, &n, TIMEOUT_MS);
	fprintf(rep, "%s=%d\n%s_msg=%s\n", key, r, key, supfd_last_error());
	if (r == 0) {
		long next_blob = 0, ok = 0;
		const char *bad = NULL;
		fprintf(rep, "%s_n=%zu\n", key, n);
		for (size_t i = 0; i < n && verify; i++) {
			const char *why = check_fd(fds[i], got[i], env("STORE_NAME", "blob"), &next_blob);
			if (!why)
				ok++;
			else if (!bad)
				fprintf(rep, "%s_bad=fd %d (#%zu, %s): %s\n", key, fds[i], i, got[i], (bad = why));
		}
		if (verify)
			fprintf(rep, "%s_verified=%ld\n%s_blobs=%ld\n", key, ok, key, next_blob);
		fprintf(rep, "%s_first=%s\n%s_open_delta=%d\n", key, n ? got[0] : "", key, count_fds() - before);
		for (size_t i = 0; i < n; i++)
			close(fds[i]);
		free(fds);
		supfd_free_names(got, n);
	}
	fprintf(rep, "%s_leak=%d\n", key, count_fds() - before);
}

int main(void)
{
	const char *path = getenv("REPORT");
	char tmp[4096];
	if (!path)
		return 2;
	const char *user = getenv("RUN_AS");
	if (user) {
		struct passwd *pw = getpwnam(user);
		if (!pw || setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0)
			return 3;
	}
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	if (!(rep = fopen(tmp, "we")))
		return 4;
	fprintf(rep, "pid=%d\nuid=%d\n", (int)getpid(), (int)getuid());
	do_store();
	if (getenv("FETCH_NAMES"))
		do_fetch("fetch", getenv("FETCH_UNIT"), getenv("FETCH_NAMES"), 1);
	if (getenv("LOW_NOFILE")) {
		struct rlimit rl;
		getrlimit(RLIMIT_NOFILE, &rl);
		rl.rlim_cur = (rlim_t)atol(getenv("LOW_NOFILE"));
		setrlimit(RLIMIT_NOFILE, &rl);
		do_fetch("low", getenv("FETCH_UNIT"), env("FETCH_NAMES", ""), 0);
	}
	if (getenv("OTHER_UNIT"))
		do_fetch("other", getenv("OTHER_UNIT"), env("OTHER_NAMES", ""), 0);
	fprintf(rep, "done=1\n");
	fclose(rep);
	rename(tmp, path);
	if (getenv("STAY"))
		for (;;)
			pause();
	return 0;
}
