/*
 * execdirs.c - see execdirs.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chowntree.h"
#include "execdirs.h"
#include "rmtree.h"
#include "log.h"

static const char *const env_names[EXECDIR__MAX] = {
	"RUNTIME_DIRECTORY", "STATE_DIRECTORY", "CACHE_DIRECTORY", "LOGS_DIRECTORY", "CONFIGURATION_DIRECTORY",
};

int execdirs_base(enum conf_execdir kind, char *buf, size_t len)
{
	static const char *const system[EXECDIR__MAX] = { "/run", "/var/lib", "/var/cache", "/var/log", "/etc" };
	if (geteuid() == 0) {
		snprintf(buf, len, "%s", system[kind]);
		return 0;
	}
	static const char *const xdg[EXECDIR__MAX] = { "XDG_RUNTIME_DIR", "XDG_STATE_HOME", "XDG_CACHE_HOME",
						       "XDG_STATE_HOME", "XDG_CONFIG_HOME" };
	static const char *const home_rel[EXECDIR__MAX] = { NULL, "/.local/state", "/.cache", "/.local/state",
							    "/.config" };
	const char *v = getenv(xdg[kind]);
	int n;
	if (v && v[0] == '/') {
		n = snprintf(buf, len, "%s%s", v, kind == EXECDIR_LOGS ? "/log" : "");
	} else if (kind == EXECDIR_RUNTIME) {
		n = snprintf(buf, len, "/run/user/%u", (unsigned)geteuid());
	} else {
		const char *h = getenv("HOME");
		if (!h || h[0] != '/')
			return -ENOENT;
		n = snprintf(buf, len, "%s%s%s", h, home_rel[kind], kind == EXECDIR_LOGS ? "/log" : "");
	}
	return n > 0 && (size_t)n < len ? 0 : -ENAMETOOLONG;
}

/* mkdir -p for the parents of path (root-owned 0755 as made), then the
 * leaf with mode; a symbolic link anywhere on the way is refused. The
 * leaf, open, into *leaf_fd; *made says whether it is new. */
static int make_dir(const char *path, unsigned mode, int *leaf_fd, bool *made)
{
	char p[4096];
	snprintf(p, sizeof p, "%s", path);
	for (char *s = strchr(p + 1, '/');; s = strchr(s + 1, '/')) {
		bool leaf = s == NULL;
		if (!leaf)
			*s = '\0';
		int r = mkdir(p, leaf ? mode : 0755);
		if (r < 0 && errno != EEXIST)
			return -errno;
		*made = r == 0;
		struct stat st;
		if (lstat(p, &st) < 0)
			return -errno;
		if (!S_ISDIR(st.st_mode))
			return S_ISLNK(st.st_mode) ? -ELOOP : -ENOTDIR;
		if (leaf)
			break;
		*s = '/';
	}
	*leaf_fd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return *leaf_fd < 0 ? -errno : 0;
}

/* systemd's setup_exec_directory: the mode on the top, then the whole
 * tree to the owner when the top is not his (User= changed, or the
 * directory was made by hand). A ConfigurationDirectory= that exists is
 * left as it is: a service reads it, it is not its to own. */
static int own_dir(enum conf_execdir kind, const char *path, unsigned mode, bool chown, uid_t uid, gid_t gid,
		   const char *unit)
{
	int fd = -1;
	bool made = false;
	int r = make_dir(path, mode, &fd, &made);
	if (r < 0 || (kind == EXECDIR_CONFIGURATION && !made))
		goto out;
	if (fchmod(fd, (mode_t)mode) < 0) {
		r = -errno;
		goto out;
	}
	if (chown) {
		r = chowntree(fd, uid, gid);
		if (r > 0)
			log_info("%s: %s and everything in it given to %u:%u", unit, path, (unsigned)uid, (unsigned)gid);
		r = r < 0 ? r : 0;
	}
out:
	if (fd >= 0)
		close(fd);
	return r;
}

/* DynamicUser= keeps state, cache and logs in BASE/private (0700: no
 * user whose number is used again later reaches them) and links
 * BASE/rel to them, as systemd does. */
static bool is_private(const struct svc_conf *c, enum conf_execdir kind)
{
	return c->dynamic_user && (kind == EXECDIR_STATE || kind == EXECDIR_CACHE || kind == EXECDIR_LOGS);
}

int execdirs_path(enum conf_execdir kind, const char *sub, const char *rel, char *buf, size_t len)
{
	char base[4096];
	int r = execdirs_base(kind, base, sizeof base);
	if (r < 0)
		return r;
	int n = snprintf(buf, len, "%s/%s/%s", base, sub, rel);
	return n > 0 && (size_t)n < len ? 0 : -ENAMETOOLONG;
}

/* BASE/private (0700) and the link at path to real in it; a directory
 * at path (the service ran without DynamicUser= before) is moved there
 * first, as systemd moves it. */
static int private_dir(const char *base, const char *path, const char *real)
{
	char priv[4096];
	int fd = -1;
	bool made = false;
	snprintf(priv, sizeof priv, "%s/private", base);
	int r = make_dir(priv, 0700, &fd, &made);
	if (r == 0 && fchmod(fd, 0700) < 0)
		r = -errno;
	if (fd >= 0)
		close(fd);
	if (r < 0)
		return r;
	struct stat st, rst;
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
		char target[4096];
		ssize_t n = readlink(path, target, sizeof target - 1);
		if (n >= 0 && (target[n] = '\0', strcmp(target, real) == 0))
			return 0;
		if (unlink(path) < 0)
			return -errno;
	} else if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode) && lstat(real, &rst) < 0 && errno == ENOENT) {
		char parent[4096];
		snprintf(parent, sizeof parent, "%s", real);
		*strrchr(parent, '/') = '\0';
		if (strcmp(parent, priv) != 0 && ((r = make_dir(parent, 0755, &fd, &made)) < 0 || close(fd) < 0))
			return r < 0 ? r : -errno;
		if (rename(path, real) < 0)
			return -errno;
	} else if (lstat(path, &st) == 0) {
		return -EEXIST; /* a directory both here and in private/, or a file: not ours to choose */
	}
	char parent[4096];
	snprintf(parent, sizeof parent, "%s", path);
	*strrchr(parent, '/') = '\0';
	if ((r = make_dir(parent, 0755, &fd, &made)) < 0)
		return r;
	close(fd);
	return symlink(real, path) < 0 ? -errno : 0;
}

int execdirs_prepare(const struct svc_conf *c, const char *unit, bool set_ids, uid_t uid, gid_t gid, char *err,
		     size_t errlen)
{
	/* Without User=, root's services get root's directories (systemd's
	 * EXEC_CHOWN_DIRECTORIES); a user's daemon changes no owner. */
	bool chown = set_ids || geteuid() == 0;
	if (!set_ids) {
		uid = 0;
		gid = 0;
	}
	for (int k = 0; k < EXECDIR__MAX; k++) {
		if (c->n_exec_dirs[k] == 0)
			continue;
		char base[4096], path[4096];
		int r = execdirs_base((enum conf_execdir)k, base, sizeof base);
		if (r < 0) {
			snprintf(err, errlen, "%s: no base directory (%s)", env_names[k], strerror(-r));
			return r;
		}
		for (size_t i = 0; i < c->n_exec_dirs[k]; i++) {
			if ((size_t)snprintf(path, sizeof path, "%s/%s", base, c->exec_dirs[k][i]) >= sizeof path) {
				snprintf(err, errlen, "%s: path too long", env_names[k]);
				return -ENAMETOOLONG;
			}
			const char *dir = path;
			char real[4096];
			if (is_private(c, (enum conf_execdir)k)) {
				r = execdirs_path((enum conf_execdir)k, "private", c->exec_dirs[k][i], real, sizeof real);
				if (r == 0)
					r = private_dir(base, path, real);
				if (r < 0) {
					snprintf(err, errlen, "%s %s: %s", env_names[k], path, strerror(-r));
					return r;
				}
				dir = real;
			}
			r = own_dir((enum conf_execdir)k, dir, c->exec_dir_mode[k], chown, uid, gid, unit);
			if (r < 0) {
				snprintf(err, errlen, "%s %s: %s", env_names[k], path, strerror(-r));
				return r;
			}
		}
	}
	return 0;
}

char *execdirs_env(const struct svc_conf *c, enum conf_execdir kind, bool *oom)
{
	if (c->n_exec_dirs[kind] == 0)
		return NULL;
	char base[4096];
	if (execdirs_base(kind, base, sizeof base) < 0)
		return NULL;
	size_t len = strlen(env_names[kind]) + 2;
	for (size_t i = 0; i < c->n_exec_dirs[kind]; i++)
		len += strlen(base) + 1 + strlen(c->exec_dirs[kind][i]) + 1;
	char *s = malloc(len);
	if (!s) {
		*oom = true;
		return NULL;
	}
	char *w = stpcpy(stpcpy(s, env_names[kind]), "=");
	for (size_t i = 0; i < c->n_exec_dirs[kind]; i++) {
		if (i)
			*w++ = ':';
		w += sprintf(w, "%s/%s", base, c->exec_dirs[kind][i]);
	}
	return s;
}

void execdirs_remove_runtime(const struct svc_conf *c, const char *unit)
{
	char base[4096], path[4096];
	if (c->n_exec_dirs[EXECDIR_RUNTIME] == 0 || execdirs_base(EXECDIR_RUNTIME, base, sizeof base) < 0)
		return;
	for (size_t i = 0; i < c->n_exec_dirs[EXECDIR_RUNTIME]; i++) {
		snprintf(path, sizeof path, "%s/%s", base, c->exec_dirs[EXECDIR_RUNTIME][i]);
		struct stat st;
		if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode))
			continue; /* gone already, or not ours to follow */
		int r = rmtree(path);
		if (r < 0 && r != -ENOENT)
			log_warn("%s: removing %s: %s", unit, path, strerror(-r));
	}
}
