/* privtmp.c - see privtmp.h. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "privtmp.h"
#include "rmtree.h"

const char *privtmp_inaccessible_file(void)
{
	static char path[4096];
	if (!daemon_runtime_dir || snprintf(path, sizeof path, "%s/inaccessible", daemon_runtime_dir) >= (int)sizeof path)
		return NULL;
	struct stat st;
	if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0 && st.st_size == 0 &&
	    st.st_uid == geteuid())
		return path;
	unlink(path); /* anything else of that name: made again */
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0);
	if (fd < 0 || fchmod(fd, 0) < 0) {
		log_err("cannot make %s, which InaccessiblePaths= binds over files: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	close(fd);
	return path;
}

bool privtmp_mountns_supported(void)
{
	static int known = -1;
	if (known >= 0)
		return known;
	pid_t pid = fork();
	if (pid == 0)
		_exit(unshare(CLONE_NEWNS) == 0 ? 0 : 1);
	int st = 0;
	known = pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
	return known;
}

static int make_one(const char *base, const char *name, char **out, char *err, size_t errlen)
{
	char outer[512];
	/* A unit name may hold '@', ':' and '\\': keep it readable, not raw. */
	char clean[128];
	size_t k = 0;
	for (const char *p = name; *p && k < sizeof clean - 1; p++)
		clean[k++] = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
				     *p == '.' || *p == '-' || *p == '_' ?
			     *p :
			     '_';
	clean[k] = '\0';
	snprintf(outer, sizeof outer, "%s/supervisord-private-%s-XXXXXX", base, clean);
	if (!mkdtemp(outer)) { /* 0700 */
		int e = errno;
		snprintf(err, errlen, "PrivateTmp=: %s: %s", base, strerror(e));
		return -e;
	}
	size_t n = strlen(outer) + 5;
	char *inner = malloc(n);
	if (!inner) {
		rmdir(outer);
		return -ENOMEM;
	}
	snprintf(inner, n, "%s/tmp", outer);
	if (mkdir(inner, 01777) < 0 || chmod(inner, 01777) < 0) {
		int e = errno;
		snprintf(err, errlen, "PrivateTmp=: %s: %s", inner, strerror(e));
		rmdir(inner);
		rmdir(outer);
		free(inner);
		return -e;
	}
	*out = inner;
	return 0;
}

bool privtmp_path_valid(const char *path, int which)
{
	const char *base = which ? "/var/tmp/supervisord-private-" : "/tmp/supervisord-private-";
	size_t bl = strlen(base);
	if (strncmp(path, base, bl) != 0)
		return false;
	const char *slash = strchr(path + bl, '/'); /* one component, then its "tmp" */
	return slash && slash > path + bl && !strcmp(slash, "/tmp");
}

int privtmp_create(const char *name, char *paths[2], char *err, size_t errlen)
{
	paths[0] = paths[1] = NULL;
	int r = make_one("/tmp", name, &paths[0], err, errlen);
	if (r == 0 && (r = make_one("/var/tmp", name, &paths[1], err, errlen)) < 0)
		privtmp_remove(paths);
	return r;
}

void privtmp_remove(char *paths[2])
{
	for (int i = 0; i < 2; i++) {
		if (!paths[i])
			continue;
		char *slash = strrchr(paths[i], '/');
		if (slash) {
			*slash = '\0'; /* the outer directory, ours and 0700 */
			int r = rmtree(paths[i]);
			if (r < 0 && r != -ENOENT)
				log_warn("PrivateTmp=: cannot remove %s: %s", paths[i], strerror(-r));
		}
		free(paths[i]);
		paths[i] = NULL;
	}
}
