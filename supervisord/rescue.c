/*
 * rescue.c - see rescue.h.
 */
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/netlink.h>

#include "control.h"
#include "fdclaim.h"
#include "log.h"
#include "logpipe.h"
#include "daemon.h"
#include "notify.h"
#include "procfs.h"
#include "rescue.h"
#include "service.h"
#include "service_priv.h"
#include "sockunit.h"
#include "template.h"
#include "unit.h"

/* Every inherited fd is a candidate; fdclaim_take() fails on claimed ones. */
static int inherited_max(void)
{
	return 65536;
}

static bool sock_matches(int fd, int family, int type, int protocol, const struct sockaddr *want, socklen_t wantlen)
{
	int t, f;
	socklen_t l = sizeof t;
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &t, &l) < 0 || t != type)
		return false;
	l = sizeof f;
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &f, &l) < 0 || f != family)
		return false;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		return false;
	if (family == AF_NETLINK) {
		/* The kernel gave it a port id when it was bound: compare
		 * the protocol and the groups only. */
		int p;
		l = sizeof p;
		return getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &p, &l) == 0 && p == protocol &&
		       sl >= sizeof(struct sockaddr_nl) &&
		       ((struct sockaddr_nl *)&ss)->nl_groups == ((const struct sockaddr_nl *)want)->nl_groups;
	}
	if (family == AF_UNIX) {
		/* Compare the path (or abstract name) bytes only. */
		size_t off = offsetof(struct sockaddr_un, sun_path);
		size_t a = sl > off ? sl - off : 0, b = wantlen > off ? wantlen - off : 0;
		const char *pa = ((struct sockaddr_un *)&ss)->sun_path, *pb = ((const struct sockaddr_un *)want)->sun_path;
		if (a && pa[0] != '\0')
			a = strnlen(pa, a);
		if (b && pb[0] != '\0')
			b = strnlen(pb, b);
		return a == b && memcmp(pa, pb, a) == 0;
	}
	return sl == wantlen && memcmp(&ss, want, sl) == 0;
}

/* The first inherited fd that `match` accepts, claimed; -1 when none.
 * Every number up to inherited_max() is tried (fdclaim_take() refuses one
 * already claimed); past 4096 the scan ends at the first closed number. */
static int find_inherited(bool (*match)(int fd, const void *want), const void *want)
{
	for (int fd = 3; fd < inherited_max(); fd++) {
		if (fcntl(fd, F_GETFD) < 0) {
			if (fd > 4096)
				break;
			continue;
		}
		if (match(fd, want) && fdclaim_take(fd) == 0)
			return fd;
	}
	return -1;
}

struct want_sock {
	int family, type, protocol;
	const struct sockaddr *sa;
	socklen_t salen;
};

static bool match_sock(int fd, const void *want)
{
	const struct want_sock *w = want;
	return sock_matches(fd, w->family, w->type, w->protocol, w->sa, w->salen);
}

static int find_fd(int family, int type, int protocol, const struct sockaddr *sa, socklen_t salen)
{
	const struct want_sock w = { family, type, protocol, sa, salen };
	return find_inherited(match_sock, &w);
}

struct want_file {
	struct stat st; /* of the path */
	bool fifo;      /* a FIFO, else a regular file or character device */
};

static bool match_file(int fd, const void *want)
{
	const struct want_file *w = want;
	struct stat st;
	if (fstat(fd, &st) < 0 || (w->fifo ? !S_ISFIFO(st.st_mode) : !S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode)))
		return false;
	return st.st_dev == w->st.st_dev && st.st_ino == w->st.st_ino;
}

/* A FIFO or special file: the inherited fd open on the file at path. */
static int find_file(const char *path, bool fifo)
{
	struct want_file w = { .fifo = fifo };
	if (stat(path, &w.st) < 0)
		return -1;
	return find_inherited(match_file, &w);
}

/* A message queue "/NAME": an fd of the mqueue file system whose
 * /proc/self/fd link is that name. */
static bool match_mqueue(int fd, const void *name)
{
	struct statfs sfs;
	char link[300];
	return fstatfs(fd, &sfs) == 0 && sfs.f_type == MQUEUE_MAGIC && proc_fd_link(0, fd, link, sizeof link) &&
	       !strcmp(link, name);
}

static int find_mqueue(const char *name)
{
	return find_inherited(match_mqueue, name);
}

/* path: a file system path, or "@name" for the abstract namespace. */
static int find_unix(int type, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t n = strlen(path);
	if (n >= sizeof sa.sun_path)
		return -1;
	memcpy(sa.sun_path, path, n);
	socklen_t len = (socklen_t)sizeof sa;
	if (path[0] == '@') {
		sa.sun_path[0] = '\0';
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	}
	return find_fd(AF_UNIX, type, 0, (struct sockaddr *)&sa, len);
}

int rescue_adopt_control(uv_loop_t *loop, const char *path)
{
	int fd = find_unix(SOCK_SEQPACKET, path);
	if (fd < 0)
		return 0;
	if (ctl_adopt_listener(loop, fd, path) < 0)
		return 0;
	log_info("rescue: adopted the control socket (fd %d)", fd);
	return 1;
}

int rescue_adopt_notify(uv_loop_t *loop, const char *path)
{
	int fd = find_unix(SOCK_DGRAM, path);
	if (fd < 0)
		return 0;
	if (notify_adopt(loop, fd, path) < 0)
		return 0;
	log_info("rescue: adopted the notify socket (fd %d)", fd);
	return 1;
}

static void adopt_listeners(uv_loop_t *loop, struct unit *u)
{
	struct sockunit *su = &u->sock;
	for (size_t i = 0; i < su->n; i++) {
		struct listener *l = &su->l[i];
		const struct listen_addr *a = sockunit_addr(u, i);
		if (!a)
			continue;
		int fd;
		if (a->kind == LISTEN_MQUEUE)
			fd = find_mqueue(a->path);
		else if (LISTEN_IS_FILE(a))
			fd = find_file(a->path, a->kind == LISTEN_FIFO);
		else
			fd = find_fd(a->family, a->type, a->protocol, (const struct sockaddr *)&a->sa, a->salen);
		if (fd < 0)
			continue;
		l->fd = fd; /* now owned by the listener */
		char where[256];
		listen_format(a, where, sizeof where);
		log_info("rescue: %s: adopted fd %d for %s", u->name, fd, where);
	}
}

/* The SUPERVISORD_UNIT= value in /proc/PID/environ, if any. */
static bool child_unit(pid_t pid, char *unit, size_t len)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/environ", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	static char buf[65536];
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	static const char key[] = "SUPERVISORD_UNIT=";
	for (char *p = buf; p < buf + n; p += strlen(p) + 1) {
		if (!strncmp(p, key, sizeof key - 1)) {
			snprintf(unit, len, "%s", p + sizeof key - 1);
			return true;
		}
	}
	return false;
}

static pid_t parent_of(pid_t pid)
{
	struct proc_ids ids;
	return proc_read_ids(pid, &ids) == 0 ? ids.ppid : -1;
}

/* The pipe behind the child's stdout, if it is one we hold both ends of:
 * without it the child would get SIGPIPE once the ends were closed. */
static void adopt_log_pipe(struct unit *u, pid_t pid)
{
	char target[64];
	if (!proc_fd_link(pid, 1, target, sizeof target))
		return;
	unsigned long ino;
	if (sscanf(target, "pipe:[%lu]", &ino) != 1)
		return;
	int rfd = -1, wfd = -1;
	for (int fd = 3; fd < 4096 && (rfd < 0 || wfd < 0); fd++) {
		struct stat st;
		if (fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode) || st.st_ino != ino)
			continue;
		int fl = fcntl(fd, F_GETFL);
		if ((fl & O_ACCMODE) == O_RDONLY && rfd < 0)
			rfd = fd;
		else if ((fl & O_ACCMODE) == O_WRONLY && wfd < 0)
			wfd = fd;
	}
	if (rfd < 0 || wfd < 0 || fdclaim_take(rfd) < 0 || fdclaim_take(wfd) < 0)
		return;
	if (logpipe_adopt(u->svc.timer.loop, u, rfd, wfd, -1, 0, "", 0) == 0)
		log_info("rescue: %s: adopted its log pipe", u->name);
}

static void adopt_children(void)
{
	DIR *d = opendir("/proc");
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (*end || pid <= 1 || parent_of((pid_t)pid) != getpid())
			continue;
		char name[256];
		if (!child_unit((pid_t)pid, name, sizeof name)) {
			log_warn("rescue: child %ld names no unit; it will be reaped when it exits", pid);
			continue;
		}
		struct unit *u = template_find_or_make(name); /* an instance of a template: made again */
		if (!u || u->kind != UNIT_SERVICE || !u->conf || u->svc.pid) {
			log_warn("rescue: child %ld of unit %s cannot be adopted", pid, name);
			continue;
		}
		u->svc.pid = (pid_t)pid;
		adopt_log_pipe(u, (pid_t)pid);
		u->svc.want_up = true;
		u->svc.generation++;
		u->svc.started_mono = now_mono_usec();
		svc_set_state(u, SVC_RUNNING);
		log_info("rescue: %s: adopted its main process %ld", u->name, pid);
	}
	closedir(d);
}

void rescue_adopt_units(uv_loop_t *loop)
{
	for (size_t i = 0; i < unit_count(); i++) {
		struct unit *u = unit_at(i);
		if (u->kind == UNIT_SOCKET && u->conf)
			adopt_listeners(loop, u);
	}
	adopt_children();
}
