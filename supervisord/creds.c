/* creds.c - see creds.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "creds.h"
#include "execdirs.h"
#include "rmtree.h"

static bool id_valid(const char *id, size_t n)
{
	if (n == 0 || n > 248 || (n == 1 && id[0] == '.') || (n == 2 && id[0] == '.' && id[1] == '.'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (id[i] == '/' || (unsigned char)id[i] < 0x20 || id[i] == 0x7f)
			return false;
	return true;
}

bool creds_name_valid(const char *id)
{
	return id_valid(id, strlen(id));
}

const char *creds_value_bad(bool set, const char *v)
{
	const char *colon = strchr(v, ':');
	if (!id_valid(v, colon ? (size_t)(colon - v) : strlen(v)))
		return "does not start with a valid credential ID (a file name)";
	if (!colon)
		return set ? "has no ':VALUE'" : NULL; /* LoadCredential=ID: the daemon's own ID */
	if (set) {
		char *tmp = malloc(strlen(colon) + 1);
		long n = tmp ? conf_cunescape(colon + 1, tmp, true) : 0;
		free(tmp);
		return n < 0 ? "has a bad escape in its value" : NULL;
	}
	if (!colon[1])
		return "has an empty path";
	/* Not absolute: the name of one of the daemon's own credentials. */
	return colon[1] == '/' || id_valid(colon + 1, strlen(colon + 1)) ? NULL
								: "has a source neither absolute nor a credential name";
}

int creds_dir(const char *unit, char *buf, size_t len)
{
	return execdirs_path(EXECDIR_RUNTIME, "credentials", unit, buf, len);
}

/* A LoadCredential= source into *data; a relative path names one of the
 * daemon's own credentials, in its $CREDENTIALS_DIRECTORY (it may be a
 * service itself): missing, it is skipped (1), as in systemd. */
static int load(const char *path, char **data, size_t *len, size_t room)
{
	char full[4096];
	if (path[0] != '/') {
		const char *own = getenv("CREDENTIALS_DIRECTORY");
		if (!own || own[0] != '/')
			return 1;
		if ((size_t)snprintf(full, sizeof full, "%s/%s", own, path) >= sizeof full)
			return -ENAMETOOLONG;
		path = full;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return errno == ENOENT && path == full ? 1 : -errno;
	struct stat st;
	int r = 0;
	if (fstat(fd, &st) < 0)
		r = -errno;
	else if (!S_ISREG(st.st_mode))
		r = -EINVAL;
	else if ((size_t)st.st_size > room)
		r = -EFBIG;
	char *b = r ? NULL : malloc((size_t)st.st_size + 1);
	if (!r && !b)
		r = -ENOMEM;
	size_t got = 0;
	while (!r) {
		ssize_t n = read(fd, b + got, (size_t)st.st_size + 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = -errno;
		else if (n == 0)
			break;
		else if ((got += (size_t)n) > room || got > (size_t)st.st_size)
			r = -EFBIG; /* it grew while read */
	}
	close(fd);
	if (r) {
		free(b);
		return r;
	}
	*data = b;
	*len = got;
	return 0;
}

static int write_one(int dfd, const char *id, const char *data, size_t len, bool set_ids, uid_t uid, gid_t gid)
{
	unlinkat(dfd, id, 0); /* an earlier line of the same ID: the last wins */
	int fd = openat(dfd, id, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0400);
	if (fd < 0)
		return -errno;
	int r = 0;
	for (size_t off = 0; !r && off < len;) {
		ssize_t n = write(fd, data + off, len - off);
		if (n < 0 && errno != EINTR)
			r = -errno;
		else if (n > 0)
			off += (size_t)n;
	}
	if (!r && set_ids && fchown(fd, uid, gid) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* Whether an entry tagged tag (of those marked in only, if given) names
 * the credential whose "ID:" is id (n bytes, colon included). */
static bool listed(const struct svc_conf *c, const char *id, size_t n, char tag, const bool *only)
{
	for (size_t j = 0; j < c->n_credentials; j++)
		if (c->credentials[j][0] == tag && (!only || only[j]) && !strncmp(c->credentials[j] + 1, id, n))
			return true;
	return false;
}

int creds_prepare(const struct svc_conf *c, const char *unit, bool set_ids, uid_t uid, gid_t gid, char *err,
		  size_t errlen)
{
	char dir[4096], parent[4096];
	if (c->n_credentials == 0)
		return 0;
	int r = creds_dir(unit, dir, sizeof dir);
	struct stat st;
	if (r < 0) {
		snprintf(err, errlen, "credentials: %s", strerror(-r));
		return r;
	}
	if (lstat(dir, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	snprintf(parent, sizeof parent, "%.*s", (int)(strrchr(dir, '/') - dir), dir);
	if ((mkdir(parent, 0755) < 0 && errno != EEXIST) || (mkdir(dir, 0700) < 0)) {
		r = -errno;
		snprintf(err, errlen, "credentials: %s: %s", dir, strerror(-r));
		return r;
	}
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		r = -errno;
		snprintf(err, errlen, "credentials: %s: %s", dir, strerror(-r));
		rmdir(dir);
		return r;
	}
	/* Loads first; a set value only for an ID no load gave. */
	bool *loaded = calloc(c->n_credentials, sizeof *loaded);
	size_t total = 0;
	if (!loaded)
		r = -ENOMEM;
	for (int pass = 0; !r && pass < 2; pass++) {
		for (size_t i = 0; !r && i < c->n_credentials; i++) {
			const char *e = c->credentials[i];
			bool set = e[0] == 'S';
			if (set != (pass == 1))
				continue;
			const char *id = e + 1, *colon = strchr(id, ':');
			char name[256];
			snprintf(name, sizeof name, "%.*s", (int)(colon - id), id);
			size_t idn = (size_t)(colon - id) + 1;
			if (set && listed(c, id, idn, 'L', loaded))
				continue;
			char *data = NULL;
			size_t len = 0;
			if (set) {
				data = malloc(strlen(colon) + 1);
				long n = data ? conf_cunescape(colon + 1, data, true) : -1;
				r = !data ? -ENOMEM : n < 0 ? -EINVAL : 0;
				len = n < 0 ? 0 : (size_t)n;
			} else {
				r = load(colon + 1, &data, &len, CREDS_SIZE_MAX - total);
				if (r == 1) {
					r = 0; /* not among the daemon's own: none, no error */
					continue;
				}
				if (r < 0) {
					/* A SetCredential= of the same ID stands in. */
					if (listed(c, id, idn, 'S', NULL)) {
						r = 0;
						continue;
					}
					snprintf(err, errlen, "LoadCredential=%s: %s: %s", name, colon + 1,
						 r == -EINVAL ? "not a regular file" : r == -EFBIG ? "credentials over 1 MiB" :
						 strerror(-r));
				}
				loaded[i] = r == 0;
			}
			if (!r && (total += len) > CREDS_SIZE_MAX) {
				r = -EFBIG;
				snprintf(err, errlen, "%sCredential=%s: credentials over 1 MiB", set ? "Set" : "Load", name);
			}
			if (!r && (r = write_one(dfd, name, data, len, set_ids, uid, gid)) < 0)
				snprintf(err, errlen, "credential %s: %s", name, strerror(-r));
			free(data);
		}
	}
	free(loaded);
	if (!r && ((set_ids && fchown(dfd, uid, gid) < 0) || fchmod(dfd, 0500) < 0)) {
		r = -errno;
		snprintf(err, errlen, "credentials: %s: %s", dir, strerror(-r));
	}
	close(dfd);
	if (r < 0)
		creds_remove(unit);
	return r;
}

void creds_remove(const char *unit)
{
	char dir[4096];
	struct stat st;
	if (creds_dir(unit, dir, sizeof dir) == 0 && lstat(dir, &st) == 0 && S_ISDIR(st.st_mode)) {
		chmod(dir, 0700); /* a user's daemon may not unlink in its 0500 directory */
		rmtree(dir);
	}
}
