/*
 * userns.c - see userns.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>

#include "userns.h"

/* The helper's exit status when the child gave up before the namespace
 * existed: the child reports its own error then. */
#define HELPER_NOT_ASKED 255

static bool have_cap(int cap)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	if (syscall(SYS_capget, &hdr, data) < 0)
		return false;
	return data[cap / 32].effective >> (cap % 32) & 1;
}

bool userns_first(void)
{
	return !have_cap(CAP_SYS_ADMIN);
}

static int one_map(char *buf, size_t len, bool two, unsigned outer, unsigned inner)
{
	int n = two ? snprintf(buf, len, "%u %u 1\n%u %u 1\n", outer, outer, inner, inner)
		    : snprintf(buf, len, "%u %u 1\n", outer, outer);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int userns_maps(bool ids, uid_t uid, gid_t gid, char *uid_map, size_t ulen, char *gid_map, size_t glen)
{
	uid_t ou = getuid();
	gid_t og = getgid();
	/* A second line only where the daemon may map another ID. */
	int r = one_map(uid_map, ulen, ids && uid != ou && have_cap(CAP_SETUID), ou, uid);
	if (r == 0)
		r = one_map(gid_map, glen, ids && gid != og && have_cap(CAP_SETGID), og, gid);
	return r;
}

/* "/proc/PID/LEAF" into buf (no snprintf in the child). */
static void proc_path(char *buf, size_t len, long pid, const char *leaf)
{
	char digits[24];
	int n = 0;
	do {
		digits[n++] = (char)('0' + pid % 10);
		pid /= 10;
	} while (pid && n < (int)sizeof digits);
	size_t o = 0;
	for (const char *s = "/proc/"; *s && o + 1 < len; s++)
		buf[o++] = *s;
	while (n > 0 && o + 1 < len)
		buf[o++] = digits[--n];
	if (o + 1 < len)
		buf[o++] = '/';
	for (const char *s = leaf; *s && o + 1 < len; s++)
		buf[o++] = *s;
	buf[o] = '\0';
}

/* 0 or an errno value. */
static int write_file(long pid, const char *leaf, const char *text, bool missing_ok)
{
	char path[64];
	proc_path(path, sizeof path, pid, leaf);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return missing_ok && errno == ENOENT ? 0 : errno;
	size_t len = strlen(text);
	ssize_t n = write(fd, text, len);
	int e = n < 0 ? errno : (size_t)n != len ? EIO : 0;
	close(fd);
	return e;
}

/* The helper: outside the namespace, with the daemon's privileges. Waits
 * for the child to have entered it, then writes its maps. setgroups()
 * is denied first: the kernel wants that before an unprivileged gid_map,
 * and systemd keeps it denied for good. A kernel without the file (before
 * 3.19) has no such rule. */
static _Noreturn void helper(int go_fd, const char *uid_map, const char *gid_map)
{
	char go;
	if (read(go_fd, &go, 1) != 1)
		_exit(HELPER_NOT_ASKED);
	long parent = (long)getppid();
	int e = write_file(parent, "setgroups", "deny\n", true);
	if (!e)
		e = write_file(parent, "gid_map", gid_map, false);
	if (!e)
		e = write_file(parent, "uid_map", uid_map, false);
	_exit(e > 0 && e < HELPER_NOT_ASKED ? e : e ? EIO : 0);
}

int userns_enter(const char *uid_map, const char *gid_map)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	/* A plain fork by the raw system call: glibc's fork() would run its
	 * handlers in the memory this child shares with the daemon. The
	 * helper gets a copy of it and returns here on a copy of this stack. */
	long pid = syscall(SYS_clone, (long)SIGCHLD, 0L, 0L, 0L, 0L);
	if (pid < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		return -e;
	}
	if (pid == 0) {
		close(p[1]);
		helper(p[0], uid_map, gid_map);
	}
	close(p[0]);
	int err = unshare(CLONE_NEWUSER) < 0 ? errno : 0;
	if (!err && write(p[1], "x", 1) != 1)
		err = errno ? errno : EIO;
	close(p[1]); /* on error: EOF, the helper leaves without writing */
	int st = 0;
	while (waitpid((pid_t)pid, &st, 0) < 0) {
		if (errno != EINTR) {
			if (!err)
				err = errno;
			break;
		}
	}
	if (err)
		return -err;
	if (!WIFEXITED(st))
		return -EIO;
	int code = WEXITSTATUS(st);
	return code == 0 ? 0 : code == HELPER_NOT_ASKED ? -EIO : -code;
}
