/* dynuser.c - see dynuser.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "dynuser.h"

static int registry(char *buf, size_t len, const char *name)
{
	int n = snprintf(buf, len, "%s/dynamic-uid%s%s", daemon_runtime_dir, name ? "/" : "", name ? name : "");
	return n > 0 && (size_t)n < len ? 0 : -ENAMETOOLONG;
}

/* The number recorded in the file at dfd/name, or 0. */
static uid_t recorded(int dfd, const char *name)
{
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0;
	char b[16];
	ssize_t n = read(fd, b, sizeof b - 1);
	close(fd);
	if (n <= 0)
		return 0;
	b[n] = '\0';
	unsigned long v = strtoul(b, NULL, 10);
	return v >= DYNUSER_MIN && v <= DYNUSER_MAX ? (uid_t)v : 0;
}

/* Whether uid is free for name: no user or group has it, and no other
 * name's file records it. */
static bool is_free(int dfd, const char *name, uid_t uid)
{
	char buf[4096];
	struct passwd pw, *pwp = NULL;
	struct group gr, *grp = NULL;
	getpwuid_r(uid, &pw, buf, sizeof buf, &pwp);
	if (pwp)
		return false;
	getgrgid_r((gid_t)uid, &gr, buf, sizeof buf, &grp);
	if (grp)
		return false;
	int d2 = dup(dfd);
	DIR *dir = d2 >= 0 ? fdopendir(d2) : NULL;
	if (!dir) {
		if (d2 >= 0)
			close(d2);
		return false;
	}
	rewinddir(dir);
	bool free_ = true;
	for (struct dirent *e; free_ && (e = readdir(dir));)
		if (e->d_name[0] != '.' && strcmp(e->d_name, name) != 0 && recorded(dfd, e->d_name) == uid)
			free_ = false;
	closedir(dir);
	return free_;
}

static int record(int dfd, const char *name, uid_t uid)
{
	char tmp[300], b[16];
	snprintf(tmp, sizeof tmp, ".%s.tmp", name);
	int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	int n = snprintf(b, sizeof b, "%u\n", (unsigned)uid);
	int r = write(fd, b, (size_t)n) == n ? 0 : -EIO;
	close(fd);
	if (r == 0 && renameat(dfd, tmp, dfd, name) < 0)
		r = -errno;
	if (r < 0)
		unlinkat(dfd, tmp, 0);
	return r;
}

int dynuser_acquire(const char *name, const char *const *hints, uid_t *uid, char *err, size_t errlen)
{
	char dir[4096];
	int r = registry(dir, sizeof dir, NULL);
	if (r == 0 && mkdir(dir, 0755) < 0 && errno != EEXIST)
		r = -errno;
	int dfd = r < 0 ? -1 : open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		r = r < 0 ? r : -errno;
		snprintf(err, errlen, "DynamicUser=: %s: %s", dir, strerror(-r));
		return r;
	}
	uid_t u = recorded(dfd, name);
	for (size_t i = 0; !u && hints && hints[i]; i++) {
		struct stat st;
		if (stat(hints[i], &st) == 0 && st.st_uid >= DYNUSER_MIN && st.st_uid <= DYNUSER_MAX &&
		    is_free(dfd, name, st.st_uid))
			u = st.st_uid;
	}
	if (!u) {
		uint32_t span = DYNUSER_MAX - DYNUSER_MIN + 1;
		uint32_t h = (uint32_t)(dynuser_hash(name, strlen(name)) % span);
		for (uint32_t k = 0; !u && k < span; k++) {
			uid_t c = (uid_t)(DYNUSER_MIN + (h + k) % span);
			if (is_free(dfd, name, c))
				u = c;
		}
	}
	r = u ? record(dfd, name, u) : -EUSERS;
	close(dfd);
	if (r < 0) {
		snprintf(err, errlen, "DynamicUser=%s: %s", name, u ? strerror(-r) : "no free user ID left");
		return r;
	}
	*uid = u;
	return 0;
}

int dynuser_lookup(const char *name, uid_t *uid)
{
	char dir[4096];
	int dfd = registry(dir, sizeof dir, NULL) < 0 ? -1 : open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	uid_t u = dfd < 0 ? 0 : recorded(dfd, name);
	if (dfd >= 0)
		close(dfd);
	if (!u)
		return -ENOENT;
	*uid = u;
	return 0;
}

void dynuser_release(const char *name)
{
	char path[4096];
	if (registry(path, sizeof path, name) == 0)
		unlink(path);
}
