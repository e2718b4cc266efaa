/*
 * openfile.c - see openfile.h. Follows systemd's get_open_file_fd(): look at
 * the path with O_PATH first; a socket is connect()ed (trying stream, then
 * datagram, then seqpacket until the type fits), anything else is reopened
 * through the O_PATH fd with the access mode the options ask for.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "openfile.h"

static int connect_unix(const char *path, bool read_only)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof sa.sun_path)
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	static const int types[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET };
	int r = -EPROTOTYPE;
	for (size_t i = 0; i < sizeof types / sizeof *types; i++) {
		int fd = socket(AF_UNIX, types[i] | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
			if (read_only)
				shutdown(fd, SHUT_WR);
			return fd;
		}
		r = -errno;
		close(fd);
		if (r != -EPROTOTYPE)
			break;
	}
	return r;
}

/* systemd's fd_reopen(): open the very inode the O_PATH fd names, through
 * /proc/self/fd, so a path swapped in between cannot redirect us. */
static int reopen(int pfd, int flags)
{
	char p[64];
	snprintf(p, sizeof p, "/proc/self/fd/%d", pfd);
	int fd = open(p, flags);
	return fd < 0 ? -errno : fd;
}

int openfile_open(const struct open_file *of, char *err, size_t errlen)
{
	int r;
	int pfd = open(of->path, O_PATH | O_CLOEXEC);
	if (pfd < 0) {
		r = -errno;
		snprintf(err, errlen, "open: %s", strerror(errno));
		return r;
	}
	struct stat st;
	if (fstat(pfd, &st) < 0) {
		r = -errno;
		close(pfd);
		snprintf(err, errlen, "stat: %s", strerror(-r));
		return r;
	}
	if (S_ISSOCK(st.st_mode)) {
		close(pfd);
		r = connect_unix(of->path, of->flags & OPENFILE_READ_ONLY);
		if (r < 0)
			snprintf(err, errlen, "connect: %s", strerror(-r));
		return r;
	}
	/* As systemd's get_open_file_fd(): read-only or read-write, plus
	 * O_APPEND or O_TRUNC (the parser refuses read-only with either). A
	 * directory opens only read-only: read-write fails with EISDIR there
	 * too. */
	int flags = (of->flags & OPENFILE_READ_ONLY) ? O_RDONLY : O_RDWR;
	if (of->flags & OPENFILE_APPEND)
		flags |= O_APPEND;
	else if (of->flags & OPENFILE_TRUNCATE)
		flags |= O_TRUNC;
	r = reopen(pfd, flags | O_NOCTTY | O_CLOEXEC);
	close(pfd);
	if (r < 0)
		snprintf(err, errlen, "open: %s", strerror(-r));
	return r;
}
