/* fdclaim.c - see fdclaim.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/close_range.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "fdclaim.h"
#include "log.h"
#include "procfs.h"
#include <stdio.h>

struct inherited {
	int fd;
	bool claimed;
};

static struct inherited *inh;
static size_t n_inh;

/* fd -> its index in inh, plus one (0: not inherited); built at the first
 * lookup, since a restore claims every one of a thousand or more. */
static uint32_t *slot;
static size_t n_slot;

static void drop_index(void)
{
	free(slot);
	slot = NULL;
	n_slot = 0;
}

static int cmp_int(const void *a, const void *b)
{
	return ((const struct inherited *)a)->fd - ((const struct inherited *)b)->fd;
}

void fdclaim_scan(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return;
	int self = dirfd(d);
	size_t cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		char *end;
		long fd = strtol(e->d_name, &end, 10);
		if (*end || e->d_name[0] == '.' || fd < 3 || fd == self)
			continue;
		if (n_inh == cap) {
			cap = cap ? cap * 2 : 64;
			struct inherited *ni = realloc(inh, cap * sizeof *ni);
			if (!ni)
				break;
			inh = ni;
		}
		inh[n_inh++] = (struct inherited){ .fd = (int)fd };
	}
	closedir(d);
	qsort(inh, n_inh, sizeof *inh, cmp_int);
	drop_index();
}

static int cmp_fd(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

/* Close [lo, hi]; hi -1: to the end. close_range is known to work. */
static void close_between(int lo, int hi)
{
	if ((unsigned)lo <= (unsigned)hi)
		syscall(SYS_close_range, (unsigned)lo, (unsigned)hi, 0);
}

/* Is every fd of the sorted list open? For each run of consecutive numbers
 * [a, b], the lowest free fd >= a (what F_DUPFD returns) must lie past b:
 * one fcntl and one close per run, where a poll() of every fd touched each
 * file (a third of the restore's own time at a thousand listeners). What
 * F_DUPFD cannot answer (a run at or past RLIMIT_NOFILE, a failure other
 * than "none free") is asked of poll(), fd by fd. `probe`: an open fd. */
static int all_open(const int *fds, size_t n, int probe)
{
	struct pollfd *p = NULL;
	size_t np = 0;
	int r = 0;
	for (size_t i = 0; i < n && r == 0;) {
		size_t j = i;
		while (j + 1 < n && fds[j + 1] == fds[j] + 1)
			j++;
		int lowest = fcntl(probe, F_DUPFD_CLOEXEC, fds[i]);
		if (lowest >= 0) {
			close(lowest);
			if (lowest <= fds[j])
				r = -EBADF; /* a number in the run is free: not open */
		} else if (errno != EMFILE) {
			/* Not answered (EINVAL: at or past the limit). EMFILE means
			 * every fd from fds[i] to the limit is open; past the limit
			 * it says nothing either. */
			if (!p && !(p = calloc(n, sizeof *p)))
				r = -ENOMEM;
			for (size_t k = i; r == 0 && k <= j; k++)
				p[np++] = (struct pollfd){ .fd = fds[k] };
		} else {
			struct rlimit rl;
			if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
				rl.rlim_cur = 0;
			for (size_t k = i; k <= j; k++) {
				if ((rlim_t)fds[k] < rl.rlim_cur)
					continue;
				if (!p && !(p = calloc(n, sizeof *p))) {
					r = -ENOMEM;
					break;
				}
				p[np++] = (struct pollfd){ .fd = fds[k] };
			}
		}
		i = j + 1;
	}
	/* No events asked: only POLLNVAL (not open) can come back. */
	if (r == 0 && np > 0 && poll(p, (nfds_t)np, 0) != 0)
		r = -EBADF;
	free(p);
	return r;
}

int fdclaim_keep_only(const int *fds, size_t n, int also)
{
	if (syscall(SYS_close_range, ~0u, ~0u, 0) < 0)
		return -errno; /* kernel < 5.9 */
	for (size_t i = 0; i < n; i++)
		if (fds[i] < 3 || (i && fds[i] <= fds[i - 1]))
			return -EBADF;
	int r = all_open(fds, n, also);
	if (r < 0)
		return r;
	struct inherited *v = calloc(n + 1, sizeof *v);
	if (!v)
		return -ENOMEM;
	/* fds is sorted (checked above): merge `also` in at its place
	 * instead of sorting a thousand entries again. */
	size_t k = 0;
	bool have_also = also < 3;
	for (size_t i = 0; i < n; i++) {
		if (!have_also && also < fds[i]) {
			v[k++] = (struct inherited){ .fd = also };
			have_also = true;
		}
		v[k++] = (struct inherited){ .fd = fds[i] };
		have_also = have_also || fds[i] == also;
	}
	if (!have_also)
		v[k++] = (struct inherited){ .fd = also };
	int prev = 2;
	for (size_t i = 0; i < k; i++) {
		close_between(prev + 1, v[i].fd - 1);
		prev = v[i].fd;
	}
	close_between(prev + 1, -1);
	free(inh);
	drop_index();
	inh = v;
	n_inh = k;
	return 0;
}

static struct inherited *find(int fd)
{
	if (!slot && n_inh && inh[n_inh - 1].fd >= 0 && inh[n_inh - 1].fd < (1 << 20)) {
		n_slot = (size_t)inh[n_inh - 1].fd + 1;
		slot = calloc(n_slot, sizeof *slot);
		for (size_t i = 0; slot && i < n_inh; i++)
			if (inh[i].fd >= 0)
				slot[inh[i].fd] = (uint32_t)i + 1;
		if (!slot)
			n_slot = 0;
	}
	if (slot)
		return fd >= 0 && (size_t)fd < n_slot && slot[fd] ? &inh[slot[fd] - 1] : NULL;
	size_t lo = 0, hi = n_inh;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (inh[mid].fd == fd)
			return &inh[mid];
		if (inh[mid].fd < fd)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int fdclaim_take(int fd)
{
	struct inherited *i = find(fd);
	if (!i)
		return -EBADF;
	if (i->claimed)
		return -EEXIST;
	i->claimed = true;
	return 0;
}

void fdclaim_release(int fd)
{
	struct inherited *i = find(fd);
	if (i && !i->claimed) {
		i->claimed = true;
		i->fd = -1; /* closed here, so the sweep must not touch the number */
		close(fd);
	}
}

unsigned fdclaim_close_rest(void)
{
	unsigned n = 0;
	/* Claimed fds keep the flags they came with (no close-on-exec: they
	 * just crossed an exec). That is what the next re-exec needs, and no
	 * child sees them: spawn.c closes what it does not pass. */
	for (size_t i = 0; i < n_inh; i++) {
		if (!inh[i].claimed) {
			char target[256];
			proc_fd_link(0, inh[i].fd, target, sizeof target);
			log_warn("closing inherited fd %d (%s): nothing claims it", inh[i].fd, target);
			close(inh[i].fd);
			n++;
		}
	}
	free(inh);
	drop_index();
	inh = NULL;
	n_inh = 0;
	return n;
}

void fdlist_add(struct fdlist *l, int fd)
{
	if (fd < 0 || l->err)
		return;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		int *nv = realloc(l->v, cap * sizeof *nv);
		if (!nv) {
			l->err = -ENOMEM;
			return;
		}
		l->v = nv;
		l->cap = cap;
	}
	l->v[l->n++] = fd;
}

void fdlist_sort(struct fdlist *l)
{
	if (!l->n)
		return;
	qsort(l->v, l->n, sizeof *l->v, cmp_fd);
	size_t k = 0;
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i] >= 0 && (k == 0 || l->v[i] != l->v[k - 1]))
			l->v[k++] = l->v[i];
	l->n = k;
}

void fdlist_free(struct fdlist *l)
{
	free(l->v);
	memset(l, 0, sizeof *l);
}

int fdlist_set_cloexec(const struct fdlist *l, bool on)
{
	int r = 0;
	for (size_t i = 0; i < l->n; i++)
		if (fcntl(l->v[i], F_SETFD, on ? FD_CLOEXEC : 0) < 0 && !r)
			r = -errno;
	return r;
}
