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
 * CORRUPT_MODE=fdlie makes it name an fd that is not open.
 * REAL_DAEMON names the daemon to exec.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static uint64_t fnv(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

int main(int argc, char **argv)
{
	const char *real = getenv("REAL_DAEMON");
	if (!real)
		return 100;
	if (argc > 1 && !strcmp(argv[1], "--check-state-format")) {
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
	const char *mode = getenv("CORRUPT_MODE");
	if (mode && !strcmp(mode, "format")) {
		/* "supervisord-state 1\n" -> "supervisord-state 99\n", new checksum. */
		char *nl = memchr(buf, '\n', len);
		char *ck = buf + len - (sizeof "checksum 0123456789abcdef\n" - 1);
		size_t body = (size_t)(ck - (nl + 1));
		char *out = malloc(len + 64);
		int h = snprintf(out, 64, "supervisord-state 99\n");
		memcpy(out + h, nl + 1, body);
		size_t n = (size_t)h + body;
		n += (size_t)sprintf(out + n, "checksum %016" PRIx64 "\n", fnv(out, n));
		free(buf);
		buf = out;
		len = n;
	} else if (mode && !strcmp(mode, "stranger")) {
		/* The first "pid N" line (N > 0) becomes "pid 1", new checksum. */
		char *ck = buf + len - (sizeof "checksum 0123456789abcdef\n" - 1);
		char *p = buf;
		while ((p = memmem(p, (size_t)(ck - p), "\npid ", 5)) && p[5] == '0')
			p += 5;
		if (!p)
			return 108;
		char *eol = memchr(p + 5, '\n', (size_t)(ck - p - 5));
		char *out = malloc(len + 64);
		size_t n = (size_t)(p + 5 - buf);
		memcpy(out, buf, n);
		out[n++] = '1';
		memcpy(out + n, eol, (size_t)(ck - eol));
		n += (size_t)(ck - eol);
		n += (size_t)sprintf(out + n, "checksum %016" PRIx64 "\n", fnv(out, n));
		free(buf);
		buf = out;
		len = n;
	} else if (mode && (!strcmp(mode, "nofds") || !strcmp(mode, "fdlie"))) {
		/* The last record "fds RANGES": dropped (as an older image writes
		 * its state), or naming one more fd that is not open; new
		 * checksum. Both must restore normally, without rescue. */
		char *ck = buf + len - (sizeof "checksum 0123456789abcdef\n" - 1);
		char *line = ck - 1;
		while (line > buf && line[-1] != '\n')
			line--;
		if (strncmp(line, "fds ", 4))
			return 109;
		char *out = malloc(len + 64);
		size_t n = (size_t)(line - buf);
		memcpy(out, buf, n);
		if (!strcmp(mode, "fdlie")) {
			memcpy(out + n, line, (size_t)(ck - 1 - line));
			n += (size_t)(ck - 1 - line);
			n += (size_t)sprintf(out + n, ",65000\n");
		}
		n += (size_t)sprintf(out + n, "checksum %016" PRIx64 "\n", fnv(out, n));
		free(buf);
		buf = out;
		len = n;
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
