/*
 * spawn.c - see spawn.h.
 *
 * After fork only async-signal-safe calls are made: everything the child
 * needs (argv, envp, resolved path, fd list) is built before fork. The parent
 * blocks every signal across fork so that the child cannot run libuv's signal
 * handler before it has reset the dispositions.
 *
 * The child is made with clone(CLONE_VM | CLONE_VFORK), as posix_spawn does:
 * it shares the daemon's memory until it execs (the daemon waits that long),
 * so no page table is copied for it -- with thousands of services that copy
 * was a large part of every start. The child therefore writes nothing but
 * its own stack (a dedicated one) and the request's pid slots, takes no
 * lock, and changes ids with raw syscalls (glibc's set*id wrappers may try
 * to reach the daemon's other threads). Sanitizer builds use fork(): their
 * runtimes do not expect a second process in the same memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/keyctl.h>
#include <linux/securebits.h>
#include <linux/close_range.h>
#include <sys/syscall.h>

#include "cpusched.h"
#include "spawn.h"
#include "sysfilter.h"
#include "tty.h"
#include "userns.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const char *const stage_names[] = {
	[STAGE_NONE] = "none",
	[STAGE_FDS] = "descriptors",
	[STAGE_STDIO] = "stdio",
	[STAGE_SESSION] = "setsid",
	[STAGE_CHDIR] = "chdir",
	[STAGE_GROUPS] = "setgroups",
	[STAGE_GID] = "setgid",
	[STAGE_UID] = "setuid",
	[STAGE_SIGNALS] = "signals",
	[STAGE_EXEC] = "exec",
	[STAGE_LIMITS] = "limits",
	[STAGE_OOM_ADJUST] = "oom-score-adjust",
	[STAGE_NO_NEW_PRIVS] = "no-new-privileges",
	[STAGE_NAMESPACE] = "namespace",
	[STAGE_CAPS] = "capabilities",
	[STAGE_SCHED] = "scheduling",
	[STAGE_SECCOMP] = "seccomp",
	[STAGE_SECUREBITS] = "securebits",
	[STAGE_KEYRING] = "keyring",
	[STAGE_USERNS] = "user-namespace",
	[STAGE_TTY] = "tty",
};

const char *spawn_stage_name(int stage)
{
	if (stage < 0 || stage >= STAGE__MAX)
		return "unknown";
	return stage_names[stage];
}

char *spawn_resolve(const char *name)
{
	if (!name || !*name) {
		errno = ENOENT;
		return NULL;
	}
	if (strchr(name, '/'))
		return strdup(name);
	char buf[4096];
	const char *p = DEFAULT_PATH;
	int last_err = ENOENT;
	while (*p) {
		const char *end = strchr(p, ':');
		size_t dlen = end ? (size_t)(end - p) : strlen(p);
		int n = snprintf(buf, sizeof buf, "%.*s/%s", (int)dlen, p, name);
		if (n > 0 && (size_t)n < sizeof buf) {
			if (access(buf, X_OK) == 0)
				return strdup(buf);
			if (errno != ENOENT)
				last_err = errno;
		}
		p += dlen;
		if (*p == ':')
			p++;
	}
	errno = last_err;
	return NULL;
}

/* Write v in decimal, NUL-terminated, into SPAWN_PID_SLOT bytes at slot
 * (the child may not call snprintf): a pid into its slot, a descriptor
 * into a path. */
static void put_uint(char *slot, unsigned v)
{
	char tmp[SPAWN_PID_SLOT];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v && n < SPAWN_PID_SLOT - 1);
	for (int i = 0; i < n; i++)
		slot[i] = tmp[n - 1 - i];
	slot[n] = '\0';
}

/* Signals whose disposition is not the default in the daemon (libuv's
 * handlers, SIGPIPE ignored), noted before the first child is started. */
static int nondefault[NSIG];
static int n_nondefault = -1;

void spawn_note_signals(void)
{
	n_nondefault = 0;
	for (int s = 1; s < NSIG; s++) {
		struct sigaction sa;
		if (sigaction(s, NULL, &sa) == 0 && sa.sa_handler != SIG_DFL)
			nondefault[n_nondefault++] = s;
	}
}

/* The file limit services get: the daemon's limit as it was at start-up
 * (the daemon raises its own soft limit to hold many descriptors; systemd
 * likewise gives services the default soft limit, not its own). */
static struct rlimit child_nofile;
static bool child_nofile_set;

void spawn_set_child_nofile(const struct rlimit *rl)
{
	child_nofile = *rl;
	child_nofile_set = true;
}

/* The child reports a failure on the status pipe or, sharing our memory
 * (status_fd -1), straight into the caller's struct. Passed along, not a
 * global: the compiler may drop a store to a static it never sees read. */
struct report {
	int status_fd;
	struct spawn_err *shared;
};

static void child_fail(const struct report *rep, int stage, int err)
{
	struct spawn_err e = { .stage = stage, .err = err };
	if (rep->status_fd < 0) {
		*rep->shared = e;
	} else {
		ssize_t w = write(rep->status_fd, &e, sizeof e);
		(void)w;
	}
	_exit(127);
}

/* Move fd to a number >= floor, keeping it close-on-exec. */
static int move_above(int fd, int floor)
{
	return fcntl(fd, F_DUPFD_CLOEXEC, floor);
}

/* mkdir -p path (dir) or its parents and an empty file (not dir), in
 * the child: a bind's or a tmpfs's mount point that is missing is made,
 * as systemd makes it. 0 or -1 with errno. */
static int make_mount_point(const char *path, bool dir)
{
	char b[4096];
	size_t n = strlen(path);
	if (n >= sizeof b) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(b, path, n + 1);
	for (char *s = b + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(b, 0755) < 0 && errno != EEXIST)
			return -1;
		*s = '/';
	}
	if (dir)
		return mkdir(b, 0755) < 0 && errno != EEXIST ? -1 : 0;
	int fd = open(b, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

/* Pass 1: one mount_op's mount, in the child (system calls only). A path
 * made read-only or writable is first bound onto itself, a mount point
 * of its own whose flags can differ from those around it. tree: a bind's
 * source, cloned before any operation (-1 otherwise). *skip: nothing was
 * there to change (an optional path), so pass 2 leaves it too. */
static int mount_one(const struct mount_op *m, const char *inaccessible_file, int tree, bool *skip)
{
	struct stat st;
	*skip = false;
	if (m->kind == MOP_PROCFS) {
		if (mount("proc", m->path, "proc", MS_NOSUID | MS_NOEXEC | MS_NODEV, m->data) == 0)
			return 0;
		/* A kernel before 5.8 knows no hidepid= names (nor a hidepid=
		 * per instance): a plain procfs, as systemd falls back. */
		if (errno == EINVAL && mount("proc", m->path, "proc", MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL) == 0)
			return 0;
		/* No right to mount one (a container's user namespace): the
		 * /proc there stays, as systemd keeps it. */
		*skip = errno == EPERM;
		return *skip ? 0 : -1;
	}
	if (m->kind == MOP_BIND || m->kind == MOP_BIND_RO || m->kind == MOP_TMPFS) {
		bool dir = true;
		if (tree >= 0 && fstat(tree, &st) == 0)
			dir = S_ISDIR(st.st_mode);
		if (stat(m->path, &st) < 0 && (errno != ENOENT || make_mount_point(m->path, dir) < 0))
			return -1;
		if (m->kind == MOP_TMPFS)
			return mount("tmpfs", m->path, "tmpfs", m->flags, m->data);
		return (int)syscall(SYS_move_mount, tree, "", AT_FDCWD, m->path, MOVE_MOUNT_F_EMPTY_PATH);
	}
	if (stat(m->path, &st) < 0) {
		*skip = m->optional && errno == ENOENT;
		return *skip ? 0 : -1;
	}
	if (m->kind == MOP_KEEP)
		return 0;
	if ((m->kind == MOP_INACCESSIBLE || m->kind == MOP_EMPTY) && S_ISDIR(st.st_mode))
		return mount("tmpfs", m->path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
			     m->kind == MOP_INACCESSIBLE ? "mode=000" : "mode=0755");
	if (m->kind == MOP_INACCESSIBLE || m->kind == MOP_EMPTY) {
		/* A file, a device, a socket: an empty mode-000 file over it. */
		if (!inaccessible_file) {
			errno = ENOENT;
			return -1;
		}
		return mount(inaccessible_file, m->path, NULL, MS_BIND, NULL);
	}
	if (strcmp(m->path, "/") != 0)
		return mount(m->path, m->path, NULL, MS_BIND | MS_REC, NULL);
	return 0;
}

/* Pass 2: its read-only flag, outermost first, so an inner path's own
 * setting wins. was_ro: for MOP_KEEP, whether the path was read-only
 * before any operation (statvfs, taken first). */
static int flag_one(const struct mount_op *m, bool was_ro)
{
	struct mount_attr a = { 0 };
	if (m->kind == MOP_PROCFS)
		return 0; /* as it was mounted */
	if (m->kind == MOP_NOEXEC || m->kind == MOP_EXEC) {
		a.attr_set = m->kind == MOP_NOEXEC ? MOUNT_ATTR_NOEXEC : 0;
		a.attr_clr = m->kind == MOP_EXEC ? MOUNT_ATTR_NOEXEC : 0;
		return mount_setattr(AT_FDCWD, m->path, AT_RECURSIVE, &a, sizeof a);
	}
	if (m->kind == MOP_KEEP) {
		/* Writable again only if it was; a mount we may not change
		 * (locked by a container) stays as the others left it. */
		a.attr_clr = MOUNT_ATTR_RDONLY;
		if (!was_ro)
			mount_setattr(AT_FDCWD, m->path, AT_RECURSIVE, &a, sizeof a);
		return 0;
	}
	bool ro = m->kind == MOP_RO || m->kind == MOP_INACCESSIBLE || m->kind == MOP_EMPTY ||
		  m->kind == MOP_BIND_RO || (m->kind == MOP_TMPFS && m->ro);
	if (ro)
		a.attr_set = MOUNT_ATTR_RDONLY;
	else
		a.attr_clr = MOUNT_ATTR_RDONLY;
	return mount_setattr(AT_FDCWD, m->path, AT_RECURSIVE, &a, sizeof a);
}

/* dir + "/" + name into buf (the child may not call snprintf's locale
 * machinery); false if it does not fit. */
static bool join(char *buf, size_t len, const char *dir, const char *name)
{
	size_t a = strlen(dir), b = strlen(name);
	if (a + 1 + b + 1 > len)
		return false;
	memcpy(buf, dir, a);
	buf[a] = '/';
	memcpy(buf + a + 1, name, b + 1);
	return true;
}

/* PrivateDevices=: a /dev of its own, as systemd makes it: a tmpfs with
 * the API devices (null, zero, full, random, urandom, tty) bound from the
 * real /dev, its devpts (and ptmx), shm and mqueue, and the usual links;
 * no physical device. The real /dev is reached through a descriptor taken
 * before it is covered. -1 with errno on failure. */
static int private_dev(void)
{
	static const struct {
		const char *name;
		bool dir;
	} entries[] = { { "null", false },   { "zero", false }, { "full", false },  { "random", false },
			{ "urandom", false }, { "tty", false },  { "pts", true },    { "shm", true },
			{ "mqueue", true } };
	static const char *const links[][2] = { { "fd", "/proc/self/fd" }, { "stdin", "/proc/self/fd/0" },
						 { "stdout", "/proc/self/fd/1" }, { "stderr", "/proc/self/fd/2" },
						 { "ptmx", "pts/ptmx" } };
	char old[sizeof "/proc/self/fd/" + SPAWN_PID_SLOT] = "/proc/self/fd/", src[128], dst[64];
	int fd = open("/dev", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	put_uint(old + strlen(old), (unsigned)fd);
	int e = 0;
	if (mount("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC | MS_STRICTATIME, "mode=0755") < 0) {
		e = errno;
		goto out;
	}
	for (size_t i = 0; i < sizeof entries / sizeof entries[0]; i++) {
		struct stat st;
		bool dir = entries[i].dir;
		if (!join(src, sizeof src, old, entries[i].name) || !join(dst, sizeof dst, "/dev", entries[i].name)) {
			e = ENAMETOOLONG;
			goto out;
		}
		if (stat(src, &st) < 0 || !(dir ? S_ISDIR(st.st_mode) : S_ISCHR(st.st_mode)))
			continue; /* not there (a container): not given either */
		int f = dir ? mkdir(dst, st.st_mode & 07777) : open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (f < 0 || (!dir && close(f) < 0) || mount(src, dst, NULL, MS_BIND | (dir ? MS_REC : 0), NULL) < 0) {
			e = errno;
			goto out;
		}
	}
	for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
		if (!join(dst, sizeof dst, "/dev", links[i][0])) {
			e = ENAMETOOLONG;
			goto out;
		}
		if (symlink(links[i][1], dst) < 0) {
			e = errno;
			goto out;
		}
	}
	/* /dev/log: the same link, or the socket itself. */
	char target[256];
	ssize_t n;
	struct stat lst;
	if (join(src, sizeof src, old, "log") && lstat(src, &lst) == 0) {
		if (S_ISLNK(lst.st_mode) && (n = readlink(src, target, sizeof target - 1)) > 0) {
			target[n] = '\0';
			symlink(target, "/dev/log");
		} else if (S_ISSOCK(lst.st_mode)) {
			int f = open("/dev/log", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
			if (f >= 0) {
				close(f);
				mount(src, "/dev/log", NULL, MS_BIND, NULL);
			}
		}
	}
out:
	close(fd);
	errno = e;
	return e ? -1 : 0;
}

/* Default dispositions and an empty mask: the parent blocked all signals
 * around fork, and libuv's handlers must not run here. Only the signals
 * the daemon handles or ignores need it (the rest are at their default
 * already): a few syscalls, not 64. */
static int default_signals(const struct spawn_req *r)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	for (int i = 0; i < n_nondefault; i++)
		sigaction(nondefault[i], &sa, NULL);
	/* IgnoreSIGPIPE= (systemd's default: yes): ignored across exec. */
	sa.sa_handler = r->ignore_sigpipe ? SIG_IGN : SIG_DFL;
	sigaction(SIGPIPE, &sa, NULL);
	sigset_t none;
	sigemptyset(&none);
	return sigprocmask(SIG_SETMASK, &none, NULL);
}

/* StandardInput=tty*: TTYVHangup=, TTYReset=, then the terminal as this
 * new session's controlling one, on stdin and on the outputs that follow
 * it. Returns true when it waited for the terminal: then only the status
 * pipe is left of the daemon's descriptors, and the signals are the
 * program's (a stop's SIGTERM ends the wait). */
static bool child_tty(const struct spawn_req *r, struct report *rep, int floor)
{
	bool wait = r->tty_acquire && r->tty_mode == TTY_WAIT;
	if (wait) {
		/* Forked, not sharing our memory (can_share): it may wait long,
		 * and must not keep a socket the daemon closes meanwhile. */
		int sfd = rep->status_fd;
		if (sfd > floor)
			syscall(SYS_close_range, (unsigned)floor, (unsigned)sfd - 1, 0u);
		syscall(SYS_close_range, (unsigned)(sfd >= floor ? sfd + 1 : floor), ~0u, 0u);
		if (default_signals(r) < 0)
			child_fail(rep, STAGE_SIGNALS, errno);
	}
	/* systemd applies both to the main process's terminal whether or not
	 * it reads from it (StandardOutput=tty alone). */
	if (r->tty_hangup)
		tty_hangup(r->tty_path, true);
	if (r->tty_reset)
		tty_reset(r->tty_path, true);
	if (!r->tty_acquire)
		return wait;
	int t = tty_acquire(r->tty_path, (enum tty_mode)r->tty_mode);
	if (t < 0)
		child_fail(rep, STAGE_TTY, -t);
	if (r->tty_chown && (fchown(t, r->uid, (gid_t)-1) < 0 || fchmod(t, 0620) < 0))
		child_fail(rep, STAGE_TTY, errno);
	if (dup2(t, 0) < 0 || (r->stdout_fd == SPAWN_STDIO_TTY && dup2(t, 1) < 0) ||
	    (r->stderr_fd == SPAWN_STDIO_TTY && dup2(t, 2) < 0))
		child_fail(rep, STAGE_TTY, errno);
	close(t); /* above the passed descriptors: 0..floor-1 are taken */
	return wait;
}

static void child(const struct spawn_req *r, int status_fd, struct spawn_err *shared)
{
	struct report rep = { status_fd, shared };
	int se;
	size_t n = r->nfds;
	int floor = 3 + (int)n;
	int fds[n ? n : 1];

	/* 0. PrivateNetwork=: join the unit's namespace first, before the
	 *    descriptors move (its own may be in the way). */
	if (r->netns_fd >= 0 && setns(r->netns_fd, CLONE_NEWNET) < 0)
		child_fail(&rep, STAGE_NAMESPACE, errno);

	/* 1. Get the status pipe and every source fd out of the target range
	 *    0..3+n-1, so that the dup2 calls below cannot clobber them. */
	if (status_fd >= 0 && status_fd < floor) {
		status_fd = rep.status_fd = move_above(status_fd, floor);
		if (status_fd < 0)
			_exit(127);
	}
	for (size_t i = 0; i < n; i++) {
		fds[i] = r->fds[i];
		if (fds[i] < floor) {
			fds[i] = move_above(fds[i], floor);
			if (fds[i] < 0)
				child_fail(&rep, STAGE_FDS, errno);
		}
	}
	int in = r->stdin_fd, out = r->stdout_fd, er = r->stderr_fd;
	if (in >= 0 && in < floor && (in = move_above(in, floor)) < 0)
		child_fail(&rep, STAGE_STDIO, errno);
	if (out >= 0 && out < floor && out != 1 && (out = move_above(out, floor)) < 0)
		child_fail(&rep, STAGE_STDIO, errno);
	if (er >= 0 && er < floor && er != 2 && (er = move_above(er, floor)) < 0)
		child_fail(&rep, STAGE_STDIO, errno);

	/* 2. stdio. */
	if (in < 0) {
		in = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (in < 0)
			child_fail(&rep, STAGE_STDIO, errno);
	}
	if (dup2(in, 0) < 0)
		child_fail(&rep, STAGE_STDIO, errno);
	if (out >= 0 && out != 1 && dup2(out, 1) < 0)
		child_fail(&rep, STAGE_STDIO, errno);
	if (er >= 0 && er != 2 && dup2(er, 2) < 0)
		child_fail(&rep, STAGE_STDIO, errno);
	for (int i = 0; i < 3; i++) {
		int fl = fcntl(i, F_GETFD);
		if (fl >= 0 && (fl & FD_CLOEXEC))
			fcntl(i, F_SETFD, fl & ~FD_CLOEXEC);
	}

	/* 3. The passed descriptors at 3.., without FD_CLOEXEC. dup2() clears
	 *    the flag on the new descriptor. */
	for (size_t i = 0; i < n; i++)
		if (dup2(fds[i], 3 + (int)i) < 0)
			child_fail(&rep, STAGE_FDS, errno);
	/* NonBlocking= on the socket-activation descriptors (systemd's
	 * flags_fds): the flag lives in the open file description, which the
	 * daemon only ever polls. */
	for (size_t i = 0; i < r->nsocket_fds && i < n; i++) {
		int fl = fcntl(3 + (int)i, F_GETFL);
		int want = r->nonblock ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
		if (fl >= 0 && want != fl && fcntl(3 + (int)i, F_SETFL, want) < 0)
			child_fail(&rep, STAGE_FDS, errno);
	}

	/* 4. Nothing else crosses exec: mark everything above as close-on-exec
	 *    (descriptors the daemon itself inherited included). */
	if (syscall(SYS_close_range, (unsigned)floor, ~0u, CLOSE_RANGE_CLOEXEC) < 0) {
		for (int fd = floor; fd < 65536; fd++)
			if (fd != status_fd)
				fcntl(fd, F_SETFD, FD_CLOEXEC);
	}

	if (setsid() < 0)
		child_fail(&rep, STAGE_SESSION, errno);
	bool waited = r->tty_path && child_tty(r, &rep, floor);

	/* PrivateUsers= for a daemon without CAP_SYS_ADMIN: the user namespace
	 * first, so that the mount namespace below can be made in it. */
	bool userns = r->userns_uid_map[0] != '\0';
	if (userns && r->userns_first && (se = userns_enter(r->userns_uid_map, r->userns_gid_map)) < 0)
		child_fail(&rep, STAGE_USERNS, -se);

	/* A mount namespace of its own (mounts made in it do not reach the
	 * host: slave) for ProtectSystem= and friends, then PrivateTmp='s
	 * directories over /tmp and /var/tmp, writable whatever is read-only
	 * around them. Before the switch of user: it needs CAP_SYS_ADMIN. */
	bool ptmp = r->private_tmp[0] && r->private_tmp[1];
	if (ptmp || r->nmounts || r->private_devices) {
		if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
			child_fail(&rep, STAGE_NAMESPACE, errno);
		/* MOP_KEEP paths: read-only or not before anything changed
		 * (on this stack: the child writes nothing else). */
		bool was_ro[r->nmounts ? r->nmounts : 1];
		for (size_t i = 0; i < r->nmounts; i++) {
			struct statvfs sv;
			was_ro[i] = r->mounts[i].kind == MOP_KEEP && statvfs(r->mounts[i].path, &sv) == 0 &&
				    (sv.f_flag & ST_RDONLY);
		}
		/* Bind sources are cloned first, as they are on the host: a
		 * TemporaryFileSystem= over /var must not hide the /var/lib/x a
		 * BindPaths= brings back into it (systemd reaches the same by
		 * building the tree under a staging root). */
		int tree[r->nmounts ? r->nmounts : 1];
		bool skip[r->nmounts ? r->nmounts : 1];
		for (size_t i = 0; i < r->nmounts; i++) {
			const struct mount_op *m = &r->mounts[i];
			tree[i] = -1;
			skip[i] = false;
			if (m->kind != MOP_BIND && m->kind != MOP_BIND_RO)
				continue;
			tree[i] = (int)syscall(SYS_open_tree, AT_FDCWD, m->source,
					       OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (m->recursive ? AT_RECURSIVE : 0));
			if (tree[i] < 0 && !(m->optional && errno == ENOENT))
				child_fail(&rep, STAGE_NAMESPACE, errno);
			skip[i] = tree[i] < 0;
		}
		for (size_t i = 0; i < r->nmounts; i++)
			if (!skip[i] && mount_one(&r->mounts[i], r->inaccessible_file, tree[i], &skip[i]) < 0)
				child_fail(&rep, STAGE_NAMESPACE, errno);
		for (size_t i = 0; i < r->nmounts; i++) {
			if (tree[i] >= 0)
				close(tree[i]);
			if (!skip[i] && flag_one(&r->mounts[i], was_ro[i]) < 0)
				child_fail(&rep, STAGE_NAMESPACE, errno);
		}
		if (r->private_devices && private_dev() < 0)
			child_fail(&rep, STAGE_NAMESPACE, errno);
		static const char *const tmps[2] = { "/tmp", "/var/tmp" };
		struct mount_attr rw = { .attr_clr = MOUNT_ATTR_RDONLY };
		for (int i = 0; ptmp && i < 2; i++)
			if (mount(r->private_tmp[i], tmps[i], NULL, MS_BIND | MS_REC, NULL) < 0 ||
			    mount_setattr(AT_FDCWD, tmps[i], AT_RECURSIVE, &rw, sizeof rw) < 0)
				child_fail(&rep, STAGE_NAMESPACE, errno);
	}

	/* ProtectHostname=: a UTS namespace of its own, so that a change of
	 * host name stays inside. Skipped where the kernel refuses it (no
	 * CAP_SYS_ADMIN), as systemd does. */
	if (r->new_uts && unshare(CLONE_NEWUTS) < 0 && errno != EPERM && errno != EINVAL)
		child_fail(&rep, STAGE_NAMESPACE, errno);

	/* Limits and priority before the user changes: raising a hard limit
	 * or lowering the nice level needs the daemon's privileges. */
	if (child_nofile_set)
		setrlimit(RLIMIT_NOFILE, &child_nofile);
	for (int i = 0; r->limits && i < CONF_RLIMITS; i++) {
		if (!r->limits[i].set)
			continue;
		struct rlimit rl = {
			r->limits[i].soft == UINT64_MAX ? RLIM_INFINITY : (rlim_t)r->limits[i].soft,
			r->limits[i].hard == UINT64_MAX ? RLIM_INFINITY : (rlim_t)r->limits[i].hard,
		};
		if (setrlimit(i, &rl) < 0)
			child_fail(&rep, STAGE_LIMITS, errno);
	}
	if (r->nice_set && setpriority(PRIO_PROCESS, 0, r->nice) < 0)
		child_fail(&rep, STAGE_LIMITS, errno);
	if (r->oom_score_adjust_set) {
		/* Refused for want of privilege (a container without
		 * CAP_SYS_RESOURCE, a user namespace): skipped, as systemd
		 * does; any other error fails the start. */
		int ofd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
		size_t olen = strlen(r->oom_score_adjust);
		if (ofd < 0 || write(ofd, r->oom_score_adjust, olen) != (ssize_t)olen) {
			if (errno != EPERM && errno != EACCES)
				child_fail(&rep, STAGE_OOM_ADJUST, errno);
		}
		if (ofd >= 0)
			close(ofd);
	}

	/* Scheduling before the switch of user too: a real-time policy or
	 * I/O class needs CAP_SYS_NICE / CAP_SYS_ADMIN. */
	if (r->sched && (se = cpusched_apply(r->sched)) < 0)
		child_fail(&rep, STAGE_SCHED, -se);

	/* The groups before PrivateUsers=, which denies setgroups() (systemd
	 * drops them as early, in enforce_groups). */
	if (r->set_ids) {
		if (syscall(SYS_setgroups, (long)r->ngroups, r->groups) < 0)
			child_fail(&rep, STAGE_GROUPS, errno);
		if (syscall(SYS_setresgid, (long)r->gid, (long)r->gid, (long)r->gid) < 0)
			child_fail(&rep, STAGE_GID, errno);
	}
	/* PrivateUsers=: the user namespace after the others, which the host's
	 * root then owns (the service cannot undo their mounts), and after
	 * everything that needs the host's privileges (limits, priority). The
	 * kernel gives a new namespace a full bounding set and clears the
	 * securebits: they are set below, inside it. */
	if (userns && !r->userns_first && (se = userns_enter(r->userns_uid_map, r->userns_gid_map)) < 0)
		child_fail(&rep, STAGE_USERNS, -se);
	/* CapabilityBoundingSet=: before the switch of user, which takes the
	 * CAP_SETPCAP a drop needs. One already out of the set is not
	 * dropped again, so a daemon without CAP_SETPCAP fails only when it
	 * has to drop one; EINVAL: past the kernel's last capability. */
	if (r->cap_bounding_set) {
		for (int cap = 0; cap < 64; cap++) {
			if (r->cap_bounding >> cap & 1)
				continue;
			int has = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
			if (has < 0 && errno == EINVAL)
				break;
			if (has > 0 && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
				child_fail(&rep, STAGE_CAPS, errno);
		}
	}
	/* AmbientCapabilities= for another user: its permitted set must
	 * survive setresuid (keep-caps; cleared again by the exec). */
	bool ambient = r->cap_ambient != 0;
	if (ambient && r->set_ids && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		child_fail(&rep, STAGE_CAPS, errno);
	/* SecureBits= for another user: set with keep-caps before the
	 * switch (systemd's enforce_user), so that CAP_SETPCAP is still
	 * permitted after it to set them as asked. */
	if (r->securebits && r->set_ids && r->uid != 0 &&
	    prctl(PR_SET_SECUREBITS, r->securebits | SECBIT_KEEP_CAPS, 0, 0, 0) < 0)
		child_fail(&rep, STAGE_SECUREBITS, errno);
	if (r->set_ids && syscall(SYS_setresuid, (long)r->uid, (long)r->uid, (long)r->uid) < 0)
		child_fail(&rep, STAGE_UID, errno);
	if (ambient) {
		/* A capability can enter the ambient set only when it is both
		 * permitted and inheritable: add it to the inheritable set,
		 * then raise it. The exec makes the ambient set the new
		 * program's permitted and effective sets (a program without
		 * file capabilities, as a service's usually is). A capability
		 * the daemon does not hold, or that the bounding set lacks,
		 * fails the start (EPERM), as in systemd. */
		struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
		struct __user_cap_data_struct data[2];
		if (syscall(SYS_capget, &hdr, data) < 0)
			child_fail(&rep, STAGE_CAPS, errno);
		data[0].inheritable |= (uint32_t)r->cap_ambient;
		data[1].inheritable |= (uint32_t)(r->cap_ambient >> 32);
		if (syscall(SYS_capset, &hdr, data) < 0)
			child_fail(&rep, STAGE_CAPS, errno);
		for (int cap = 0; cap < 64; cap++)
			if (r->cap_ambient >> cap & 1 &&
			    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
				child_fail(&rep, STAGE_CAPS, errno);
	}
	/* KeyringMode=: a session keyring of its own, made as the user it
	 * runs as (so his), with his user keyring linked in for "shared"
	 * (systemd's setup_keyring). A kernel without keyrings, or one that
	 * refuses them, is no reason to fail, as in systemd. */
	if (r->keyring != CONF_KEYRING_INHERIT) {
		if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, 0L, 0L, 0L, 0L) < 0) {
			if (errno != ENOSYS && errno != EPERM && errno != EACCES && errno != EDQUOT)
				child_fail(&rep, STAGE_KEYRING, errno);
		} else if (r->keyring == CONF_KEYRING_SHARED &&
			   syscall(SYS_keyctl, KEYCTL_LINK, (long)KEY_SPEC_USER_KEYRING, (long)KEY_SPEC_SESSION_KEYRING, 0L,
				   0L) < 0) {
			child_fail(&rep, STAGE_KEYRING, errno);
		}
	}
	if (r->securebits && prctl(PR_GET_SECUREBITS, 0, 0, 0, 0) != (int)r->securebits) {
		/* CAP_SETPCAP, permitted still, into the effective set (the
		 * exec sets that anew), then the bits as asked. */
		struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
		struct __user_cap_data_struct data[2];
		if (syscall(SYS_capget, &hdr, data) == 0 && (data[0].permitted & (1u << CAP_SETPCAP))) {
			data[0].effective |= 1u << CAP_SETPCAP;
			syscall(SYS_capset, &hdr, data);
		}
		if (prctl(PR_SET_SECUREBITS, r->securebits, 0, 0, 0) < 0)
			child_fail(&rep, STAGE_SECUREBITS, errno);
	}
	if (r->cwd) {
		if (chdir(r->cwd) < 0 && !(r->cwd_missing_ok && errno == ENOENT))
			child_fail(&rep, STAGE_CHDIR, errno);
	} else if (chdir("/") < 0) {
		child_fail(&rep, STAGE_CHDIR, errno);
	}
	umask((mode_t)r->umask);

	pid_t self = getpid();
	for (int i = 0; i < 2; i++)
		if (r->pid_slots[i])
			put_uint(r->pid_slots[i], (unsigned)self);

	/* 5. Default dispositions and an empty mask (done already when the
	 *    terminal was waited for). */
	if (!waited && default_signals(r) < 0)
		child_fail(&rep, STAGE_SIGNALS, errno);

	/* NoNewPrivileges=: last, so that nothing above is refused by it. */
	if (r->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		child_fail(&rep, STAGE_NO_NEW_PRIVS, errno);
	/* Last: the filters would also judge the setup's own calls. */
	if (sysfilter_wanted(&r->sysfilter) && (se = sysfilter_apply(&r->sysfilter)) < 0)
		child_fail(&rep, STAGE_SECCOMP, -se);

	execve(r->path, r->argv, r->envp);
	child_fail(&rep, STAGE_EXEC, errno);
}

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SPAWN_FORK 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define SPAWN_FORK 1
#endif
#endif

#ifndef SPAWN_FORK
/* The vfork child's stack: one at a time (the daemon waits for the exec),
 * reserved once. The child keeps an int per passed fd on it. */
#define CHILD_STACK (1u << 20)
#define CHILD_GUARD 4096u
#define CHILD_MAX_FDS 65536
static char *child_stack;

struct child_arg {
	const struct spawn_req *r;
	int status_fd, other_end; /* -1 when reporting through `shared` */
	struct spawn_err *shared;
};

static int child_main(void *p)
{
	struct child_arg *a = p;
	if (a->other_end >= 0)
		close(a->other_end); /* the child's own fd table: the daemon's copy stays */
	child(a->r, a->status_fd, a->shared);
	_exit(127); /* not reached */
}
#endif

static bool always_fork;

void spawn_set_fork(bool on)
{
	always_fork = on;
}

bool spawn_forks(void)
{
#ifdef SPAWN_FORK
	return true;
#else
	return always_fork;
#endif
}

/* Can the child share our memory (and report through it)? */
static bool can_share(const struct spawn_req *r)
{
#ifndef SPAWN_FORK
	if (always_fork)
		return false;
	if (!child_stack) {
		/* A guard page below: an overflow faults instead of writing
		 * into whatever the daemon mapped there. */
		char *m = mmap(NULL, CHILD_GUARD + CHILD_STACK, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE, -1, 0);
		if (m != MAP_FAILED && mprotect(m, CHILD_GUARD, PROT_NONE) == 0)
			child_stack = m + CHILD_GUARD;
		else if (m != MAP_FAILED)
			munmap(m, CHILD_GUARD + CHILD_STACK);
	}
	/* A terminal may keep the child waiting: as long as it takes for
	 * StandardInput=tty, up to a second when it is being hung up. The
	 * daemon must not wait with it (a page-table copy, for few units). */
	return child_stack && r->nfds <= CHILD_MAX_FDS && !r->tty_path;
#else
	(void)r;
	return false;
#endif
}

/* p: the status pipe, or {-1, -1} to report into *shared. */
static pid_t start_child(const struct spawn_req *r, int p[2], bool share, struct spawn_err *shared)
{
#ifndef SPAWN_FORK
	if (share) {
		struct child_arg a = { r, p[1], p[0], shared };
		return clone(child_main, child_stack + CHILD_STACK, CLONE_VM | CLONE_VFORK | SIGCHLD, &a);
	}
#else
	(void)share;
#endif
	pid_t c = fork();
	if (c == 0) {
		close(p[0]);
		child(r, p[1], NULL);
		_exit(127); /* not reached */
	}
	return c;
}

int spawn_start(const struct spawn_req *r, pid_t *pid, int *status_fd, struct spawn_err *now)
{
	if (n_nondefault < 0)
		spawn_note_signals();
	int p[2] = { -1, -1 };
	bool share = can_share(r);
	if (share && now) {
		/* The child runs in our memory until it has exec'd or died: when
		 * clone returns, *now holds what happened. */
		*now = (struct spawn_err){ .stage = STAGE_NONE };
	} else if (pipe2(p, O_CLOEXEC) < 0) {
		return -errno;
	}

	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid_t c = start_child(r, p, share, now);
	int saved = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (p[0] < 0) {
		if (c < 0)
			return -saved;
		*pid = c;
		*status_fd = -1;
		return 0;
	}
	close(p[1]);
	if (c < 0) {
		close(p[0]);
		return -saved;
	}
	int fl = fcntl(p[0], F_GETFL);
	if (fl >= 0)
		fcntl(p[0], F_SETFL, fl | O_NONBLOCK);
	*pid = c;
	*status_fd = p[0];
	return 0;
}

int spawn_read_status(int status_fd, struct spawn_err *e)
{
	ssize_t n;
	do
		n = read(status_fd, e, sizeof *e);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return 1;
	if (n < 0)
		return errno == EAGAIN ? -EAGAIN : 1;
	if ((size_t)n != sizeof *e) {
		/* A short report cannot happen with PIPE_BUF atomic writes; treat
		 * it as an exec failure of unknown kind rather than trust it. */
		e->stage = STAGE_EXEC;
		e->err = EIO;
	}
	return 0;
}
