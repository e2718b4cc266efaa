/*
 * fdclaim.h - descriptors inherited across a re-exec.
 *
 * At start-up, before anything else opens a descriptor, every open fd >= 3
 * is recorded. Restoring code claims the ones the state names, by number,
 * each at most once (a state naming one fd twice is corrupt). Whatever is
 * left unclaimed is closed: an fd the daemon holds that no owner knows is a
 * leak. Claimed fds get FD_CLOEXEC back.
 *
 * The fd list kept for the exec (struct fdlist) is the other half: every
 * serializer adds the fds it hands over, and only those lose FD_CLOEXEC.
 */
#ifndef SUPD_FDCLAIM_H
#define SUPD_FDCLAIM_H

#include <stdbool.h>
#include <stddef.h>

void fdclaim_scan(void);
/* Instead of fdclaim_scan, when the state lists what the old image handed
 * over (fds: sorted, no duplicates): check that each is open (one F_DUPFD
 * per run of consecutive numbers: the lowest free fd lies past the run),
 * record them and close every other fd >= 3 but `also` (the state's own,
 * open, fd) at once -- nothing of this image may be open yet, and no other
 * thread may open one meanwhile. Cheaper than listing /proc/self/fd with
 * thousands of fds. 0, or -EBADF (one is not
 * open), -ENOSYS (no close_range), -ENOMEM: nothing was closed, call
 * fdclaim_scan. */
int fdclaim_keep_only(const int *fds, size_t n, int also);
/* 0, or -EBADF (not inherited) / -EEXIST (claimed twice). Flags are not
 * touched yet: a state that turns out bad must leave every fd as it came. */
int fdclaim_take(int fd);
/* Close an inherited fd that is used up (the state memfd) and take it off
 * the list, so that the sweep cannot close whatever reuses its number. */
void fdclaim_release(int fd);
/* The state was accepted: FD_CLOEXEC on every claimed fd, close every
 * inherited fd nobody claimed; returns how many were closed. */
unsigned fdclaim_close_rest(void);

struct fdlist {
	int *v;
	size_t n, cap;
	int err;
};

void fdlist_add(struct fdlist *l, int fd);   /* ignores fd < 0 */
void fdlist_free(struct fdlist *l);
/* The list sorted, without duplicates or negatives (in place). */
void fdlist_sort(struct fdlist *l);
/* Set or clear FD_CLOEXEC on every fd of the list; 0 or -errno. */
int fdlist_set_cloexec(const struct fdlist *l, bool on);

#endif
