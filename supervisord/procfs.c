/* procfs.c - see procfs.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "procfs.h"

int proc_read_ids(pid_t pid, struct proc_ids *out)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	char state;
	int a, b, c;
	if (!p || sscanf(p + 1, " %c %d %d %d", &state, &a, &b, &c) != 4)
		return -EIO;
	out->state = state;
	out->ppid = a;
	out->pgrp = b;
	out->session = c;
	return 0;
}

bool proc_ids_alive(const struct proc_ids *p)
{
	return p->state != 'Z' && p->state != 'X';
}

static int push_pid(pid_t **v, size_t *n, size_t *cap, pid_t pid)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 256;
		pid_t *nv = realloc(*v, nc * sizeof *nv);
		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = nc;
	}
	(*v)[(*n)++] = pid;
	return 0;
}

/* Append the pids listed in a thread's children file ("12 345 "). */
static int read_children(int dirfd_task, const char *tid, pid_t **v, size_t *n, size_t *cap)
{
	char path[64], buf[4096];
	snprintf(path, sizeof path, "%s/children", tid);
	int fd = openat(dirfd_task, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t got;
	long pid = -1; /* digits so far; a number may span two reads */
	int r = 0;
	while (r == 0 && (got = read(fd, buf, sizeof buf)) > 0)
		for (ssize_t i = 0; i < got && r == 0; i++) {
			if (buf[i] >= '0' && buf[i] <= '9') {
				pid = (pid < 0 ? 0 : pid) * 10 + (buf[i] - '0');
				if (pid > 1 << 30)
					r = -EINVAL;
			} else if (pid >= 0) {
				r = push_pid(v, n, cap, (pid_t)pid);
				pid = -1;
			}
		}
	if (r == 0 && pid >= 0)
		r = push_pid(v, n, cap, (pid_t)pid);
	close(fd);
	return r;
}

bool proc_lists_children(void)
{
	static int known = -1;
	if (known < 0) {
		char path[64];
		snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)getpid(), (int)getpid());
		known = access(path, R_OK) == 0;
	}
	return known;
}

int proc_children(pid_t pid, pid_t **v, size_t *n, size_t *cap)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
	int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return errno == ENOENT || errno == ESRCH ? 0 : -errno; /* gone: no children */
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return -errno;
	}
	int r = 0;
	struct dirent *e;
	while (r == 0 && (e = readdir(d)))
		if (e->d_name[0] != '.' && (r = read_children(dfd, e->d_name, v, n, cap)) < 0 &&
		    (r == -ENOENT || r == -ESRCH))
			r = 0; /* a thread that ended meanwhile */
	closedir(d);
	return r;
}

bool proc_is_child(pid_t pid)
{
	siginfo_t si;
	memset(&si, 0, sizeof si);
	return pid > 0 && waitid(P_PID, (id_t)pid, &si, WEXITED | WSTOPPED | WCONTINUED | WNOHANG | WNOWAIT) == 0;
}

size_t proc_fd_link(pid_t pid, int fd, char *buf, size_t len)
{
	char proc[64];
	if (pid > 0)
		snprintf(proc, sizeof proc, "/proc/%d/fd/%d", (int)pid, fd);
	else
		snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
	ssize_t n = len ? readlink(proc, buf, len - 1) : -1;
	if (n < 0)
		n = 0;
	if (len)
		buf[n] = '\0';
	return (size_t)n;
}
