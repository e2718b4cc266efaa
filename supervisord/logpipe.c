/*
 * logpipe.c - see logpipe.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "logpipe.h"

static char log_dir[4096];
static uint64_t max_size = 8u << 20;

void logpipe_configure(const char *dir, uint64_t max)
{
	snprintf(log_dir, sizeof log_dir, "%s", dir);
	if (max)
		max_size = max;
}

void logpipe_path(const struct unit *u, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s.log", log_dir, u->name);
}

static void warn_dropped(struct unit *u, struct logpipe *lp, int err)
{
	uint64_t now = now_mono_usec();
	if (lp->last_warn_mono && now - lp->last_warn_mono < 60u * 1000000u)
		return;
	lp->last_warn_mono = now;
	log_warn("%s: cannot write its log in %s: %s (%llu lines dropped so far)", u->name, log_dir, strerror(err),
		 (unsigned long long)lp->dropped);
}

static int open_file(struct unit *u, struct logpipe *lp)
{
	char path[4400];
	logpipe_path(u, path, sizeof path);
	mkdir(log_dir, 0750);
	/* No close-on-exec: it crosses re-execs (as the pipe does); children
	 * close it before their exec (spawn.c). */
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOCTTY, 0640);
	if (fd < 0)
		return -errno;
	struct stat st;
	lp->file_size = fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0;
	lp->file_fd = fd;
	return 0;
}

static void rotate(struct unit *u, struct logpipe *lp)
{
	char from[4400], to[4400], base[4400];
	logpipe_path(u, base, sizeof base);
	close(lp->file_fd);
	lp->file_fd = -1;
	for (int i = LOGPIPE_KEEP - 1; i >= 1; i--) {
		snprintf(from, sizeof from, "%s.%d", base, i);
		snprintf(to, sizeof to, "%s.%d", base, i + 1);
		rename(from, to);
	}
	snprintf(to, sizeof to, "%s.1", base);
	rename(base, to);
}

/* One complete line (without its newline). */
static void emit(struct unit *u, struct logpipe *lp, const char *line, size_t n)
{
	if (lp->file_fd < 0) {
		int r = open_file(u, lp);
		if (r < 0) {
			lp->dropped++;
			warn_dropped(u, lp, -r);
			return;
		}
	}
	char stamp[64];
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	size_t sl = strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
	sl += (size_t)snprintf(stamp + sl, sizeof stamp - sl, ".%06ld ", ts.tv_nsec / 1000);
	char buf[LOGPIPE_LINE_MAX + 80];
	memcpy(buf, stamp, sl);
	memcpy(buf + sl, line, n);
	buf[sl + n] = '\n';
	size_t total = sl + n + 1;
	ssize_t w = write(lp->file_fd, buf, total);
	if (w != (ssize_t)total) {
		lp->dropped++;
		warn_dropped(u, lp, w < 0 ? errno : ENOSPC);
		/* Reopen next time: the directory may have been fixed. */
		close(lp->file_fd);
		lp->file_fd = -1;
		return;
	}
	lp->file_size += total;
	if (lp->dropped != lp->dropped_told) {
		/* The directory works again: say what was lost, and warn at once
		 * the next time it fails. */
		log_info("%s: writing its log again; %llu lines dropped while it could not", u->name,
			 (unsigned long long)(lp->dropped - lp->dropped_told));
		lp->dropped_told = lp->dropped;
		lp->last_warn_mono = 0;
	}
	if (lp->file_size >= max_size)
		rotate(u, lp);
}

static void partial_done(struct logpipe *lp)
{
	lp->plen = 0;
	free(lp->partial);
	lp->partial = NULL;
}

/*
 * Split what was read into lines. A whole line is written straight from
 * the read buffer; only a line cut by the end of a read is kept, in a
 * buffer that exists while there is such a line -- most services never
 * need one, and it would cost every service 4 KiB.
 */
static void consume(struct unit *u, struct logpipe *lp, const char *data, size_t n)
{
	while (n) {
		const char *nl = memchr(data, '\n', n);
		size_t take = nl ? (size_t)(nl - data) : n;
		if (lp->plen == 0 && nl && take < LOGPIPE_LINE_MAX) {
			emit(u, lp, data, take);
			data += take + 1;
			n -= take + 1;
			continue;
		}
		if (!lp->partial && !(lp->partial = malloc(LOGPIPE_LINE_MAX))) {
			lp->dropped++; /* out of memory: this line is lost, the next ones are not */
			return;
		}
		if (lp->plen + take >= LOGPIPE_LINE_MAX) {
			/* Too long for one line: emit what fits as a line of its own. */
			size_t fit = LOGPIPE_LINE_MAX - 1 - lp->plen;
			memcpy(lp->partial + lp->plen, data, fit);
			emit(u, lp, lp->partial, LOGPIPE_LINE_MAX - 1);
			partial_done(lp);
			data += fit;
			n -= fit;
			continue;
		}
		memcpy(lp->partial + lp->plen, data, take);
		lp->plen += take;
		data += take;
		n -= take;
		if (nl) {
			emit(u, lp, lp->partial, lp->plen);
			partial_done(lp);
			data++;
			n--;
		}
	}
}

void logpipe_drain(struct unit *u)
{
	struct logpipe *lp = u->svc.log;
	if (!lp)
		return;
	char buf[65536];
	/* Bounded per call, so one chatty service cannot starve the loop. */
	for (int i = 0; i < 16; i++) {
		ssize_t n = read(lp->rfd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		consume(u, lp, buf, (size_t)n);
		if ((size_t)n < sizeof buf)
			return;
	}
}

/*
 * Every log pipe's read end sits in one epoll instance of our own, which the
 * loop polls as a single handle. A pipe costs one epoll_ctl to register
 * (a libuv poll handle per pipe cost four syscalls), and the instance is
 * handed over across a re-exec with its registrations intact: the new
 * image only checks each one (EPOLL_CTL_MOD) instead of building them all
 * again. Events carry the read end's fd; `owner` maps it back to its unit.
 */
static int ep_fd = -1;
static bool ep_adopted;          /* ep_fd came from the previous image */
static uv_poll_t ep_watch;
static bool ep_watching;
static struct unit **owner;
static size_t n_owner;

static void ep_readable_cb(uv_poll_t *h, int status, int events)
{
	struct epoll_event ev[64];
	int n = epoll_wait(ep_fd, ev, 64, 0);
	for (int i = 0; i < n; i++) {
		int fd = ev[i].data.fd;
		struct unit *u = fd >= 0 && (size_t)fd < n_owner ? owner[fd] : NULL;
		if (!u || !u->svc.log || u->svc.log->rfd != fd) {
			/* Nobody's: a registration left by an fd that is gone. */
			epoll_ctl(ep_fd, EPOLL_CTL_DEL, fd, NULL);
			continue;
		}
		logpipe_drain(u);
	}
}

static int ep_start(uv_loop_t *loop)
{
	if (ep_fd < 0) {
		/* Inheritable, as the pipes: it crosses re-execs (spawn.c
		 * closes it in every child). */
		ep_fd = epoll_create1(0);
		if (ep_fd < 0)
			return -errno;
		ep_adopted = false;
	}
	if (!ep_watching) {
		int r = uv_poll_init(loop, &ep_watch, ep_fd);
		if (r < 0)
			return r;
		uv_poll_start(&ep_watch, UV_READABLE, ep_readable_cb);
		ep_watching = true;
	}
	return 0;
}

int logpipe_adopt_epoll(uv_loop_t *loop, int fd)
{
	struct epoll_event ev;
	if (ep_fd >= 0 || epoll_wait(fd, &ev, 1, 0) < 0)
		return -EINVAL; /* one only, and an epoll instance */
	ep_fd = fd;
	ep_adopted = true;
	int r = ep_start(loop);
	if (r < 0) {
		ep_fd = -1; /* the caller still owns fd */
		ep_adopted = false;
	}
	return r;
}

int logpipe_epoll_fd(void)
{
	return ep_fd;
}

void logpipe_shutdown(void)
{
	if (ep_watching)
		uv_poll_stop(&ep_watch); /* the handle itself is closed with the loop's */
	if (ep_fd >= 0)
		close(ep_fd);
	ep_fd = -1;
	free(owner);
	owner = NULL;
	n_owner = 0;
}

static int watch(uv_loop_t *loop, struct unit *u, struct logpipe *lp, bool adopted)
{
	int r = ep_start(loop);
	if (r < 0)
		return r;
	if ((size_t)lp->rfd >= n_owner) {
		size_t n = n_owner ? n_owner : 64;
		while (n <= (size_t)lp->rfd)
			n *= 2;
		struct unit **no = realloc(owner, n * sizeof *no);
		if (!no)
			return -ENOMEM;
		memset(no + n_owner, 0, (n - n_owner) * sizeof *no);
		owner = no;
		n_owner = n;
	}
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = lp->rfd };
	/* Handed over: the registration should be there already; MOD proves
	 * it (and sets it as we want it), ADD covers a state that lacks it. */
	if (!(adopted && ep_adopted && epoll_ctl(ep_fd, EPOLL_CTL_MOD, lp->rfd, &ev) == 0) &&
	    epoll_ctl(ep_fd, EPOLL_CTL_ADD, lp->rfd, &ev) < 0)
		return -errno;
	owner[lp->rfd] = u;
	return 0;
}

static void unwatch(struct logpipe *lp)
{
	epoll_ctl(ep_fd, EPOLL_CTL_DEL, lp->rfd, NULL);
	if ((size_t)lp->rfd < n_owner)
		owner[lp->rfd] = NULL;
}

static struct logpipe *new_logpipe(void)
{
	struct logpipe *lp = calloc(1, sizeof *lp);
	if (lp) {
		lp->rfd = lp->wfd = lp->file_fd = -1;
	}
	return lp;
}

int logpipe_writer(uv_loop_t *loop, struct unit *u)
{
	struct logpipe *lp = u->svc.log;
	if (lp)
		return lp->wfd;
	lp = new_logpipe();
	if (!lp)
		return -ENOMEM;
	int p[2];
	if (pipe2(p, 0) < 0) { /* inheritable, as the log file */
		int r = -errno;
		free(lp);
		return r;
	}
	lp->rfd = p[0];
	lp->wfd = p[1];
	fcntl(lp->rfd, F_SETFL, O_NONBLOCK);
	/* Room for a burst while we re-exec (tens of ms): 256 KiB holds
	 * seconds of a chatty service. Not more: the ring costs kernel memory
	 * per service, and pipe-user-pages-soft caps unprivileged users. */
	fcntl(lp->rfd, F_SETPIPE_SZ, 256 << 10);
	int r = watch(loop, u, lp, false);
	if (r < 0) {
		close(p[0]);
		close(p[1]);
		free(lp);
		return r;
	}
	u->svc.log = lp; /* now owned by the service */
	/* The file is opened (created) at the first line: a service that never
	 * writes costs no inode and no descriptor, and starting a thousand
	 * of them does not wait on a thousand file creations. */
	return lp->wfd;
}

int logpipe_adopt(uv_loop_t *loop, struct unit *u, int rfd, int wfd, int file_fd, uint64_t file_size,
		  const char *partial, size_t plen)
{
	struct logpipe *lp = new_logpipe();
	if (!lp)
		return -ENOMEM;
	lp->rfd = rfd;
	lp->wfd = wfd;
	if (plen >= LOGPIPE_LINE_MAX)
		plen = LOGPIPE_LINE_MAX - 1;
	if (plen && (lp->partial = malloc(LOGPIPE_LINE_MAX))) {
		memcpy(lp->partial, partial, plen);
		lp->plen = plen;
	}
	/* Still O_NONBLOCK: a file status flag, it survives the exec. */
	int r = watch(loop, u, lp, true);
	if (r < 0) {
		free(lp->partial);
		free(lp);
		return r;
	}
	u->svc.log = lp;
	/* No file yet: the service has not written a line; it is opened at
	 * the first one, as before the re-exec. */
	if (file_fd >= 0) {
		lp->file_fd = file_fd; /* now owned by the log pipe */
		lp->file_size = file_size;
	}
	return 0;
}

void logpipe_close(struct unit *u)
{
	struct logpipe *lp = u->svc.log;
	if (!lp)
		return;
	logpipe_drain(u);
	if (lp->plen)
		emit(u, lp, lp->partial, lp->plen);
	free(lp->partial);
	unwatch(lp);
	close(lp->rfd);
	close(lp->wfd);
	if (lp->file_fd >= 0)
		close(lp->file_fd);
	free(lp);
	u->svc.log = NULL;
}

void logpipe_prepare_all(uv_loop_t *loop)
{
	for (size_t i = 0; i < unit_count(); i++) {
		struct unit *u = unit_at(i);
		if (u->kind != UNIT_SERVICE || !u->conf || u->instance_of || u->svc.log)
			continue;
		const struct svc_conf *c = &u->conf->svc;
		bool journal = c->std_output == STDOUT_UNSET || c->std_output == STDOUT_JOURNAL ||
			       c->std_error == STDOUT_JOURNAL;
		if (c->std_output == STDOUT_UNSET &&
		    (c->std_input == STDIN_SOCKET || c->std_input == STDIN_FD || conf_stdin_tty(c->std_input)) &&
		    c->std_error != STDOUT_JOURNAL)
			journal = false; /* inetd mode, a named fd or a terminal: output goes there */
		if (journal && logpipe_writer(loop, u) < 0)
			log_warn("%s: cannot set up its log pipe: %s", u->name, strerror(errno));
	}
}
