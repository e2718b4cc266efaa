/*
 * supctl logs UNIT [-n N] [-f]: show a service's output as the daemon keeps
 * it. The daemon first collects what is waiting in the service's pipe, then
 * names the log file; supctl reads the file itself (following it across
 * rotation with -f), so a slow reader never holds the daemon up.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "supctl.h"

static void write_all(const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(STDOUT_FILENO, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			exit(EXIT_OK); /* stdout went away (a pager quit): done */
		p += w;
		n -= (size_t)w;
	}
}

/* Print the last `lines` lines of fd (all when lines == 0); leaves the
 * offset at the end. */
static void print_tail(int fd, unsigned lines)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return;
	size_t len = (size_t)st.st_size;
	char *buf = malloc(len ? len : 1);
	if (!buf)
		die(EXIT_FAIL, "out of memory");
	size_t got = 0;
	while (got < len) {
		ssize_t r = pread(fd, buf + got, len - got, (off_t)got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	size_t start = 0;
	if (lines) {
		unsigned seen = 0;
		size_t i = got;
		if (i && buf[i - 1] == '\n')
			i--;
		while (i > 0) {
			if (buf[i - 1] == '\n' && ++seen == lines)
				break;
			i--;
		}
		start = i;
	}
	write_all(buf + start, got - start);
	free(buf);
	lseek(fd, (off_t)got, SEEK_SET);
}

static void follow(const char *path, int fd)
{
	char buf[65536];
	for (;;) {
		ssize_t r = read(fd, buf, sizeof buf);
		if (r > 0) {
			write_all(buf, (size_t)r);
			continue;
		}
		/* At the end: rotated away? Then the new file takes over. */
		struct stat a, b;
		if (stat(path, &a) == 0 && fstat(fd, &b) == 0 && (a.st_ino != b.st_ino || a.st_dev != b.st_dev)) {
			int nfd = open(path, O_RDONLY | O_CLOEXEC);
			if (nfd >= 0) {
				close(fd);
				fd = nfd;
				continue;
			}
		}
		struct timespec ts = { 0, 100 * 1000000L };
		nanosleep(&ts, NULL);
	}
}

int cmd_logs(int argc, char **argv)
{
	const char *unit = NULL;
	unsigned lines = 0;
	bool fol = false;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-f") || !strcmp(argv[i], "--follow")) {
			fol = true;
		} else if ((!strcmp(argv[i], "-n") || !strcmp(argv[i], "--lines")) && i + 1 < argc) {
			char *end;
			long v = strtol(argv[++i], &end, 10);
			if (*end || v < 0)
				die(EXIT_USAGE, "logs: bad line count '%s'", argv[i]);
			lines = (unsigned)v;
		} else if (argv[i][0] == '-') {
			die(EXIT_USAGE, "logs: unknown option %s", argv[i]);
		} else if (!unit) {
			unit = argv[i];
		} else {
			die(EXIT_USAGE, "logs: name one unit");
		}
	}
	if (!unit)
		die(EXIT_USAGE, "logs: name a unit");
	uint8_t out[PROTO_MAX_NAME + 64];
	struct proto_buf b;
	proto_buf_init_writer(&b, out, sizeof out);
	if (strlen(unit) > PROTO_MAX_NAME)
		die(EXIT_USAGE, "logs: unit name too long");
	proto_put_str(&b, unit);
	proto_put_u32(&b, lines);
	proto_put_u32(&b, fol);
	uint32_t id;
	send_req(PROTO_LOGS, &b, &id);
	struct proto_hdr h;
	char msg[PROTO_MAX_STR + 1];
	int r = recv_reply(id, &h, &b, msg, sizeof msg);
	if (r < 0)
		die(code_for(r), "logs %s: %s", unit, msg);
	char path[PROTO_MAX_STR + 1];
	if (h.type != PROTO_R_OK || proto_get_str(&b, path, sizeof path) < 0)
		die(EXIT_FAIL, "malformed logs reply");
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno != ENOENT)
		die(EXIT_FAIL, "logs %s: %s: %s", unit, path, strerror(errno));
	if (fd >= 0)
		print_tail(fd, lines);
	if (!fol)
		return EXIT_OK;
	signal(SIGPIPE, SIG_DFL);
	while (fd < 0) { /* nothing logged yet: wait for the file */
		struct timespec ts = { 0, 100 * 1000000L };
		nanosleep(&ts, NULL);
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	follow(path, fd);
	return EXIT_OK;
}
