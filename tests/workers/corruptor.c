/*
 * corruptor - stands between two daemon images in the re-exec tests, to
 * hand the new one a state it cannot use. Used as
 * `supctl reexec --binary .../corruptor`:
 *   --check-state-format   answer as the real daemon would (so the old
 *                          image agrees to exec it)
 *   otherwise              read the state at --deserialize FD, damage it,
 *                          put the damaged copy in a new memfd at the same
 *                          fd number and exec the real daemon with the same
 *                          arguments.
 * CORRUPT_MODE=flip (default) flips a byte in the middle (checksum fails);
 * CORRUPT_MODE=stranger names pid 1 as a service's main process, with a
 * valid checksum (a well-formed state that lies: the reader must check it);
 * CORRUPT_MODE=format rewrites the header to format 99 with a valid
 * checksum (a state from the future).
 * CORRUPT_MODE=nofds drops the final "fds" record (an older image's state);
 * CORRUPT_MODE=fdlie makes it name an fd that is not open;
 * CORRUPT_MODE=fdgarbage makes it unparsable ("fds 3-x,,").
 * CORRUPT_MODE=fdhole adds to it the lowest fd that is not open, written
 * as part of a run ("3-5,7-9" with 6 closed becomes "3-9"): the new image
 * must see that one number of a run is not open.
 * CORRUPT_MODE=nopartial drops the first "log-partial" record, leaving a
 * log-pipe without it (the reader must refuse the state).
 * CORRUPT_MODE=nologepoll drops the "log-epoll" record (the new image must
 * register every log pipe in an epoll instance of its own).
 * CORRUPT_MODE=listenerlie opens a pipe at fd 19000 (without close-on-exec),
 * makes the first "listeners" record name it instead of its first socket,
 * and adds it to the "fds" record: a well-formed state that lies about a
 * listener's kind (the new image must refuse to watch it).
 * CORRUPT_MODE=listenerscount gives the first "listeners" record one entry
 * more than its unit has Listen*= lines; CORRUPT_MODE=epollpipe names a
 * pipe at fd 19000 as the log epoll instance (both: refused, rescue).
 * CORRUPT_MODE=privtmp gives the first service a "private-tmp /etc" record
 * (the new image would remove it when the service stops: refused, rescue).
 * CORRUPT_MODE=netnspipe gives the first service a "netns-fd" record
 * naming a pipe at fd 19000 (refused, rescue).
 * CORRUPT_MODE=twotexts repeats the first unit's "text" record (a unit
 * given twice over: refused, rescue).
 * CORRUPT_MODE=format1 plays an older build that reads only format 1: its
 * --check-state-format says so, and the state it is handed passes through
 * unchanged if it is format 1 (damaged otherwise, which shows as rescue).
 * CORRUPT_MODE=noformat plays a build that reads no format we write.
 * REAL_DAEMON names the daemon to exec. CORRUPT_MODE_FILE, when set, names
 * a file whose first line is the mode instead (the daemon's environment is
 * fixed when it starts; a file lets one test change modes).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state_codec.h" /* state_checksum: linked from the daemon's codec */

/* The checksum a document needs: its header's format decides which. */
static uint64_t resign(const char *p, size_t n)
{
	unsigned f = 1;
	if (sscanf(p, "supervisord-state %u", &f) != 1)
		f = 1;
	return state_checksum(f, p, n);
}

/* Where the checksum line starts: everything before it is the body. */
static size_t body_len(size_t len)
{
	return len - (sizeof "checksum 0123456789abcdef\n" - 1);
}

/* The body with [from, to) replaced by `with`, and a checksum that fits
 * it; buf is freed, *len updated. */
static char *resplice(char *buf, size_t *len, size_t from, size_t to, const char *with)
{
	size_t end = body_len(*len), wl = strlen(with);
	char *out = malloc(end - (to - from) + wl + 64);
	if (!out)
		exit(111);
	memcpy(out, buf, from);
	memcpy(out + from, with, wl);
	memcpy(out + from + wl, buf + to, end - to);
	size_t n = from + wl + end - to;
	n += (size_t)sprintf(out + n, "checksum %016" PRIx64 "\n", resign(out, n));
	free(buf);
	*len = n;
	return out;
}

/* The fds record's ranges (n bytes at r) with the lowest fd >= 3 that is
 * neither open here nor `state_fd` added, written again as runs; NULL if
 * they do not parse. The new image inherits what is open here. */
static char *fds_with_a_hole(const char *r, size_t n, int state_fd)
{
	enum { MAXFD = 1 << 16 };
	static unsigned char listed[MAXFD + 2];
	char *text = strndup(r, n), *save = NULL;
	if (!text)
		return NULL;
	for (char *t = strtok_r(text, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		long a, b;
		int k;
		if (sscanf(t, "%ld-%ld%n", &a, &b, &k) == 2 && t[k] == '\0')
			;
		else if (sscanf(t, "%ld%n", &a, &k) == 1 && t[k] == '\0')
			b = a;
		else
			a = -1, b = -2;
		if (a < 3 || b < a || b >= MAXFD) {
			free(text);
			return NULL;
		}
		for (long f = a; f <= b; f++)
			listed[f] = 1;
	}
	free(text);
	int hole = 3;
	while (hole < MAXFD && (listed[hole] || hole == state_fd || fcntl(hole, F_GETFD) >= 0))
		hole++;
	if (hole >= MAXFD)
		return NULL;
	listed[hole] = 1;
	char *out = malloc(16 * MAXFD);
	size_t w = 0;
	for (int f = 3; out && f < MAXFD; f++) {
		if (!listed[f] || listed[f - 1])
			continue;
		int e = f;
		while (listed[e + 1])
			e++;
		w += (size_t)sprintf(out + w, w ? ",%d" : "%d", f);
		if (e > f)
			w += (size_t)sprintf(out + w, "-%d", e);
	}
	return out;
}

/* The end of the first line starting with `key` (which begins with "\n"),
 * or NULL. */
static char *record_end(char *buf, size_t len, const char *key)
{
	char *rec = memmem(buf, body_len(len), key, strlen(key));
	return rec ? memchr(rec + 1, '\n', body_len(len) - (size_t)(rec + 1 - buf)) : NULL;
}

/* A pipe's read end at fd 19000, without close-on-exec, listed in the
 * fds record (the last): the new image inherits it as a named fd. */
static char *pipe_at_19000(char *buf, size_t *len)
{
	int p[2];
	if (pipe(p) < 0 || dup2(p[0], 19000) < 0)
		exit(112);
	close(p[0]);
	close(p[1]);
	size_t end = body_len(*len);
	return resplice(buf, len, end - 1, end - 1, ",19000");
}

int main(int argc, char **argv)
{
	const char *real = getenv("REAL_DAEMON");
	if (!real)
		return 100;
	const char *mode = getenv("CORRUPT_MODE");
	static char modebuf[64];
	const char *mf = getenv("CORRUPT_MODE_FILE");
	FILE *mfp = mf ? fopen(mf, "r") : NULL;
	if (mfp) {
		if (fgets(modebuf, sizeof modebuf, mfp)) {
			modebuf[strcspn(modebuf, "\n")] = '\0';
			mode = modebuf;
		}
		fclose(mfp);
	}
	if (argc > 1 && !strcmp(argv[1], "--check-state-format")) {
		if (mode && !strcmp(mode, "format1")) {
			printf("supervisord-state-formats 1\nversion 0.0.1-corruptor\n");
			return 0;
		}
		if (mode && !strcmp(mode, "noformat")) {
			printf("supervisord-state-formats 99\nversion 9.9.9-corruptor\n");
			return 0;
		}
		execl(real, real, "--check-state-format", (char *)NULL);
		return 101;
	}
	int fd = -1;
	for (int i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], "--deserialize"))
			fd = atoi(argv[i + 1]);
	if (fd < 0)
		return 102;
	struct stat st;
	if (fstat(fd, &st) < 0)
		return 103;
	size_t len = (size_t)st.st_size;
	char *buf = malloc(len + 64);
	if (!buf || pread(fd, buf, len, 0) != (ssize_t)len)
		return 104;
	if (mode && !strcmp(mode, "format1")) {
		if (len > 20 && !memcmp(buf, "supervisord-state 1\n", 20)) {
			fprintf(stderr, "corruptor: passing a format-1 state on unchanged\n");
		} else {
			fprintf(stderr, "corruptor: was handed a format this build does not read\n");
			buf[len / 2] ^= 0x20;
		}
	} else if (mode && (!strcmp(mode, "nopartial") || !strcmp(mode, "nologepoll"))) {
		/* The first such record goes (from its line's start to its end). */
		const char *rec = !strcmp(mode, "nopartial") ? "\nlog-partial " : "\nlog-epoll ";
		char *p = memmem(buf, body_len(len), rec, strlen(rec));
		if (!p)
			return 110;
		char *eol = memchr(p + 1, '\n', body_len(len) - (size_t)(p + 1 - buf));
		buf = resplice(buf, &len, (size_t)(p - buf), (size_t)(eol - buf), "");
	} else if (mode && !strcmp(mode, "format")) {
		/* "supervisord-state 2\n" -> "supervisord-state 99\n". */
		char *nl = memchr(buf, '\n', len);
		buf = resplice(buf, &len, 0, (size_t)(nl + 1 - buf), "supervisord-state 99\n");
	} else if (mode && !strcmp(mode, "stranger")) {
		/* The first "pid N" line (N > 0) becomes "pid 1". */
		char *p = buf;
		while ((p = memmem(p, body_len(len) - (size_t)(p - buf), "\npid ", 5)) && p[5] == '0')
			p += 5;
		if (!p)
			return 108;
		char *eol = memchr(p + 5, '\n', body_len(len) - (size_t)(p + 5 - buf));
		buf = resplice(buf, &len, (size_t)(p + 5 - buf), (size_t)(eol - buf), "1");
	} else if (mode && (!strcmp(mode, "privtmp") || !strcmp(mode, "netnspipe"))) {
		/* A record after the first service's "state". */
		char *eol = record_end(buf, len, "\nstate ");
		if (!eol)
			return 115;
		bool netns = !strcmp(mode, "netnspipe");
		buf = resplice(buf, &len, (size_t)(eol - buf), (size_t)(eol - buf),
			       netns ? "\nnetns-fd 19000" : "\nprivate-tmp /etc");
		if (netns)
			buf = pipe_at_19000(buf, &len);
	} else if (mode && !strcmp(mode, "twotexts")) {
		char *rec = memmem(buf, body_len(len), "\ntext ", 6);
		if (!rec)
			return 114;
		char *eol = memchr(rec + 1, '\n', body_len(len) - (size_t)(rec + 1 - buf));
		size_t n = (size_t)(eol - rec);
		char *copy = strndup(rec, n);
		if (!copy)
			return 104;
		buf = resplice(buf, &len, (size_t)(eol - buf), (size_t)(eol - buf), copy);
		free(copy);
	} else if (mode && !strcmp(mode, "listenerscount")) {
		char *eol = record_end(buf, len, "\nlisteners ");
		if (!eol)
			return 113;
		buf = resplice(buf, &len, (size_t)(eol - buf), (size_t)(eol - buf), ",7");
	} else if (mode && (!strcmp(mode, "listenerlie") || !strcmp(mode, "epollpipe"))) {
		const char *what = !strcmp(mode, "listenerlie") ? "\nlisteners " : "\nlog-epoll ";
		char *rec = memmem(buf, body_len(len), what, strlen(what));
		if (!rec)
			return 113;
		size_t from = (size_t)(rec + strlen(what) - buf), to = from;
		while (buf[to] >= '0' && buf[to] <= '9')
			to++;
		buf = resplice(buf, &len, from, to, "19000");
		buf = pipe_at_19000(buf, &len);
	} else if (mode && (!strcmp(mode, "nofds") || !strcmp(mode, "fdlie") || !strcmp(mode, "fdgarbage") ||
			     !strcmp(mode, "fdhole"))) {
		/* The last record "fds RANGES": dropped (as an older image writes
		 * its state), naming one more fd that is not open, or garbage.
		 * All must restore normally, without rescue. */
		size_t end = body_len(len), line = end - 1;
		while (line > 0 && buf[line - 1] != '\n')
			line--;
		if (strncmp(buf + line, "fds ", 4))
			return 109;
		if (!strcmp(mode, "fdlie"))
			buf = resplice(buf, &len, end - 1, end - 1, ",65000");
		else if (!strcmp(mode, "fdhole")) {
			char *ranges = fds_with_a_hole(buf + line + 4, end - 1 - (line + 4), fd);
			if (!ranges)
				return 116;
			buf = resplice(buf, &len, line + 4, end - 1, ranges);
			free(ranges);
		} else
			buf = resplice(buf, &len, line, end, !strcmp(mode, "fdgarbage") ? "fds 3-x,,\n" : "");
	} else {
		buf[len / 2] ^= 0x20;
	}
	int m = memfd_create("corrupt-state", 0);
	if (m < 0 || write(m, buf, len) != (ssize_t)len)
		return 105;
	lseek(m, 0, SEEK_SET);
	if (dup2(m, fd) < 0)
		return 106;
	close(m);
	argv[0] = (char *)real;
	execv(real, argv);
	return 107;
}
