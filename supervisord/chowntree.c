/* chowntree.c - see chowntree.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "chowntree.h"

/* Deeper than this, a tree keeps the old owner at its bottom and the
 * walk fails with ELOOP (rmtree stops at the same depth). */
#define MAX_DEPTH 256

/* One inode, pinned as fd (O_PATH or not): ACLs off, owner, then its
 * mode again (not for a link, which has none of its own). */
static int chown_one(int fd, const struct stat *st, uid_t uid, gid_t gid)
{
	char self[32];
	snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
	if (!S_ISLNK(st->st_mode)) {
		static const char *const acl[] = { "system.posix_acl_access", "system.posix_acl_default" };
		for (size_t i = 0; i < sizeof acl / sizeof acl[0]; i++)
			if (removexattr(self, acl[i]) < 0 && errno != ENODATA && errno != EOPNOTSUPP &&
			    errno != ENOTSUP)
				return -errno;
	}
	if (fchownat(fd, "", uid, gid, AT_EMPTY_PATH) < 0)
		return -errno;
	if (!S_ISLNK(st->st_mode) && chmod(self, st->st_mode & 07777) < 0)
		return -errno;
	return 0;
}

/* dfd is the walk's (closed here): one descriptor per level open at a
 * time, so a deep tree costs the daemon few. */
static int walk(int dfd, const struct stat *st, uid_t uid, gid_t gid, int depth)
{
	DIR *d = depth > MAX_DEPTH ? NULL : fdopendir(dfd);
	if (!d) {
		int e = depth > MAX_DEPTH ? ELOOP : errno;
		close(dfd);
		return -e;
	}
	int r = 0;
	struct dirent *e;
	while (r == 0 && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		int fd = openat(dirfd(d), e->d_name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		struct stat est;
		if (fd < 0) {
			r = errno == ENOENT ? 0 : -errno; /* gone meanwhile: nothing to give */
			continue;
		}
		if (fstat(fd, &est) < 0) {
			r = -errno;
		} else if (S_ISDIR(est.st_mode)) {
			int sub = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			close(fd);
			fd = -1;
			r = sub < 0 ? -errno : walk(sub, &est, uid, gid, depth + 1);
		} else {
			r = chown_one(fd, &est, uid, gid);
		}
		if (fd >= 0)
			close(fd);
	}
	if (r == 0)
		r = chown_one(dirfd(d), st, uid, gid);
	closedir(d);
	return r;
}

int chowntree(int dfd, uid_t uid, gid_t gid)
{
	struct stat st;
	if (fstat(dfd, &st) < 0)
		return -errno;
	if (st.st_uid == uid && st.st_gid == gid)
		return 0;
	int own = fcntl(dfd, F_DUPFD_CLOEXEC, 3);
	if (own < 0)
		return -errno;
	int r = walk(own, &st, uid, gid, 0);
	return r < 0 ? r : 1;
}
