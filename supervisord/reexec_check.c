/*
 * reexec_check.c - see reexec_check.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/close_range.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "reexec.h"
#include "reexec_check.h"
#include "state_codec.h"

struct check {
	uv_poll_t watch;
	uv_timer_t timer;
	int fd;                /* the pipe's read end; owned */
	int pidfd;             /* owned; -1 if the kernel has no pidfds */
	pid_t pid;
	int open_handles;      /* freed when the last is closed */
	reexec_check_cb cb;
	void *arg;
	size_t got;
	char buf[512];
	char binary[4096];
};

static struct check *cur;

bool reexec_check_running(void)
{
	return cur != NULL;
}

unsigned reexec_check_common_format(const char *formats)
{
	unsigned best = 0;
	const char *p = formats;
	while (*p && *p != '\n') {
		p += strspn(p, " ");
		char *e;
		unsigned long f = strtoul(p, &e, 10);
		if (e == p)
			break;
		if (f >= STATE_FORMAT_MIN && f <= STATE_FORMAT && f > best)
			best = (unsigned)f;
		p = e;
	}
	return best;
}

static void handle_closed(uv_handle_t *h)
{
	struct check *k = h->data;
	if (--k->open_handles == 0)
		free(k);
}

/* Kill the child (if it is still there: a pidfd cannot name another
 * process) and release everything. */
static void release(struct check *k)
{
	if (k->pidfd >= 0) {
		syscall(SYS_pidfd_send_signal, k->pidfd, SIGKILL, NULL, 0);
		close(k->pidfd);
		k->pidfd = -1;
	} else if (k->pid > 0 && kill(k->pid, 0) == 0) {
		/* No pidfd: the child is not reaped before the loop runs the
		 * reaper, and this runs from the loop. */
		kill(k->pid, SIGKILL);
	}
	uv_poll_stop(&k->watch);
	uv_timer_stop(&k->timer);
	close(k->fd);
	k->fd = -1;
	uv_close((uv_handle_t *)&k->watch, handle_closed);
	uv_close((uv_handle_t *)&k->timer, handle_closed);
	if (cur == k)
		cur = NULL;
}

static void finish(struct check *k, int err, const char *msg)
{
	unsigned format = 0;
	char why[700];
	if (!err) {
		k->buf[k->got] = '\0';
		if (strncmp(k->buf, REEXEC_CHECK_PREFIX " ", sizeof REEXEC_CHECK_PREFIX) != 0) {
			snprintf(why, sizeof why, "%s is not a supervisord that can take over (its --check-state-format said: %.80s)",
				 k->binary, k->got ? k->buf : "nothing");
			err = -ENOEXEC;
		} else if (!(format = reexec_check_common_format(k->buf + sizeof REEXEC_CHECK_PREFIX))) {
			snprintf(why, sizeof why, "%s reads none of the state formats %d to %d", k->binary,
				 STATE_FORMAT_MIN, STATE_FORMAT);
			err = -EPROTONOSUPPORT;
		}
		msg = why;
	}
	reexec_check_cb cb = k->cb;
	void *arg = k->arg;
	release(k);
	cb(arg, err, format, err ? msg : "");
}

static void readable_cb(uv_poll_t *w, int status, int events)
{
	struct check *k = w->data;
	for (;;) {
		ssize_t n = read(k->fd, k->buf + k->got, sizeof k->buf - 1 - k->got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n > 0) {
			k->got += (size_t)n;
			if (k->got < sizeof k->buf - 1)
				continue;
		}
		/* End of its output, a read error, or as much as we read. */
		finish(k, 0, NULL);
		return;
	}
}

static void timeout_cb(uv_timer_t *t)
{
	struct check *k = t->data;
	char msg[4200];
	snprintf(msg, sizeof msg, "%s --check-state-format did not answer within %d ms", k->binary,
		 REEXEC_CHECK_TIMEOUT_MS);
	finish(k, -ETIMEDOUT, msg);
}

int reexec_check_start(uv_loop_t *loop, const char *binary, reexec_check_cb cb, void *arg, char *msg,
		       size_t msglen)
{
	if (cur) {
		snprintf(msg, msglen, "another reexec is being checked (%s)", cur->binary);
		return -EBUSY;
	}
	if (strlen(binary) >= sizeof cur->binary) {
		snprintf(msg, msglen, "binary path too long");
		return -ENAMETOOLONG;
	}
	struct check *k = calloc(1, sizeof *k);
	if (!k) {
		snprintf(msg, msglen, "out of memory");
		return -ENOMEM;
	}
	strcpy(k->binary, binary);
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		int e = errno;
		free(k);
		snprintf(msg, msglen, "pipe: %s", strerror(e));
		return -e;
	}
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		free(k);
		snprintf(msg, msglen, "fork: %s", strerror(e));
		return -e;
	}
	if (pid == 0) {
		dup2(p[1], 1);
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null >= 0)
			dup2(null, 0);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		/* Listeners and log pipes are held without close-on-exec. */
		syscall(SYS_close_range, 3u, ~0u, CLOSE_RANGE_CLOEXEC);
		execl(binary, binary, "--check-state-format", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	/* Before the loop runs again, so the child cannot have been reaped:
	 * a zombie still has its pidfd. */
	k->pidfd = (int)syscall(SYS_pidfd_open, pid, 0); /* close-on-exec, always */
	k->pid = pid;
	k->fd = p[0];
	k->cb = cb;
	k->arg = arg;
	fcntl(k->fd, F_SETFL, fcntl(k->fd, F_GETFL) | O_NONBLOCK);
	int r = uv_poll_init(loop, &k->watch, k->fd);
	if (r < 0) {
		/* Nothing to close but what we opened. */
		if (k->pidfd >= 0) {
			syscall(SYS_pidfd_send_signal, k->pidfd, SIGKILL, NULL, 0);
			close(k->pidfd);
		} else {
			kill(pid, SIGKILL);
		}
		close(k->fd);
		free(k);
		snprintf(msg, msglen, "watching the check's pipe: %s", uv_strerror(r));
		return r;
	}
	uv_timer_init(loop, &k->timer);
	k->watch.data = k->timer.data = k;
	k->open_handles = 2;
	uv_poll_start(&k->watch, UV_READABLE | UV_DISCONNECT, readable_cb);
	uv_timer_start(&k->timer, timeout_cb, REEXEC_CHECK_TIMEOUT_MS, 0);
	cur = k;
	log_debug("reexec: asking %s (pid %d) which state formats it reads", binary, (int)pid);
	return 0;
}

void reexec_check_cancel(void)
{
	if (cur)
		release(cur);
}
