/*
 * procfs.h - what the daemon reads about a process from /proc/PID/stat:
 * its state, parent, process group and session. Used to attribute a
 * process to a unit (notify, fd fetch), to check that a pid named by a
 * re-exec state is really our child, and to find children in rescue mode.
 * Also the list of our own children.
 */
#ifndef SUPD_PROCFS_H
#define SUPD_PROCFS_H

#include <stdbool.h>
#include <sys/types.h>

struct proc_ids {
	char state;     /* 'R', 'S', 'Z', ... */
	pid_t ppid, pgrp, session;
};

/* 0, or -errno (-ENOENT: no such process). The comm field may hold spaces
 * and parentheses, so fields are read after the last ')'. */
int proc_read_ids(pid_t pid, struct proc_ids *out);
/* Is pid a child of ours (alive or a zombie not yet reaped)? waitid with
 * WNOWAIT|WNOHANG neither reaps nor blocks, and fails with ECHILD for
 * anyone else's process. */
bool proc_is_child(pid_t pid);
/* Alive and not a zombie. */
bool proc_ids_alive(const struct proc_ids *p);
/* Does the kernel list children (CONFIG_PROC_CHILDREN)? Asked once. */
bool proc_lists_children(void);
/* Append the children of every thread of pid (zombies included) to *v,
 * which holds *n of *cap (grown with realloc). A process or thread that
 * ends meanwhile adds nothing. 0, or -errno (-ENOMEM: *v keeps what was
 * read). */
int proc_children(pid_t pid, pid_t **v, size_t *n, size_t *cap);
/* The target of /proc/PID/fd/FD (pid 0: this process), NUL-terminated in
 * buf: a path, "pipe:[ino]", "socket:[ino]", "anon_inode:[eventfd]",
 * "/memfd:name (deleted)"; "" when it cannot be read. Its length. */
size_t proc_fd_link(pid_t pid, int fd, char *buf, size_t len);

#endif
