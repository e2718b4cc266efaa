/*
 * cleanipc.h - RemoveIPC=: what a user or group leaves in IPC when its
 * last service stops, removed as systemd's clean-ipc.c removes it: System
 * V shared memory segments no process is attached to, semaphore sets and
 * message queues (/proc/sysvipc), and POSIX shared memory (/dev/shm: a
 * file, or a directory with what is in it) and message queues
 * (/dev/mqueue) at the top of those file systems. Root's are never
 * touched.
 */
#ifndef SUPD_CLEANIPC_H
#define SUPD_CLEANIPC_H

#include <sys/types.h>

/* Remove what uid or gid owns ((uid_t)-1 / (gid_t)-1: no such ID, 0:
 * root, skipped); each failure is logged under unit. Returns how many
 * objects went. */
int cleanipc(uid_t uid, gid_t gid, const char *unit);

#endif
