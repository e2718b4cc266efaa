/*
 * reexec.c - see reexec.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control_priv.h"
#include "daemon.h"
#include "fdclaim.h"
#include "log.h"
#include "mmhold.h"
#include "preparse.h"
#include "reexec.h"
#include "reexec_check.h"
#include "service.h"
#include "spawn.h"
#include "state.h"
#include "version.h"

extern char **environ;

void reexec_print_check(void)
{
	printf("%s", REEXEC_CHECK_PREFIX);
	for (int f = STATE_FORMAT; f >= STATE_FORMAT_MIN; f--)
		printf(" %d", f);
	printf("\nversion %s\n", supervisord_version);
}

static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* Does this build read (and write) state format f? */
static bool known_format(unsigned long f)
{
	return f >= STATE_FORMAT_MIN && f <= STATE_FORMAT;
}

static int make_memfd(const struct state_out *o, char *err, size_t errlen)
{
	int fd = memfd_create("supervisord-state", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0) {
		snprintf(err, errlen, "memfd_create: %s", strerror(errno));
		return -errno;
	}
	size_t off = 0;
	while (off < o->len) {
		ssize_t n = write(fd, o->buf + off, o->len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;
			close(fd);
			snprintf(err, errlen, "writing state: %s", strerror(e));
			return -e;
		}
		off += (size_t)n;
	}
	/* Sealed: nothing can change the state between the two images. */
	fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
	lseek(fd, 0, SEEK_SET);
	return fd;
}

static void build_argv(const char *binary, const char *fdarg, const char *extra, const char **argv)
{
	int n = 0;
	argv[n++] = binary;
	if (fdarg) {
		argv[n++] = "--deserialize";
		argv[n++] = fdarg;
	}
	if (extra)
		argv[n++] = extra;
	argv[n++] = "--units";
	argv[n++] = daemon_units_dir;
	argv[n++] = "--runtime-dir";
	argv[n++] = daemon_runtime_dir;
	argv[n++] = "--log-dir";
	argv[n++] = daemon_log_dir;
	static char maxbuf[32];
	if (daemon_log_max) {
		snprintf(maxbuf, sizeof maxbuf, "%llu", (unsigned long long)daemon_log_max);
		argv[n++] = "--log-max-size";
		argv[n++] = maxbuf;
	}
	if (daemon_verbose)
		argv[n++] = "--verbose";
	if (spawn_forks())
		argv[n++] = "--spawn-fork";
	argv[n] = NULL;
}

/* The request whose target is being checked (reexec_check.h); c is NULL
 * when there is none. */
static struct {
	struct client *c;
	uint32_t id;
	char target[4096];
} pending;

static void go(struct client *c, uint32_t id, const char *target, unsigned format);

static void checked_cb(void *arg, int err, unsigned format, const char *msg)
{
	(void)arg;
	struct client *c = pending.c;
	pending.c = NULL;
	if (!c)
		return;
	if (err) {
		log_err("reexec refused: %s", msg);
		ctl_reply_err(c, pending.id, err, "reexec refused: %s", msg);
	} else if (svc_shutting_down()) {
		ctl_reply_err(c, pending.id, -ESHUTDOWN, "reexec: the daemon is stopping every service");
	} else {
		go(c, pending.id, pending.target, format);
	}
}

void reexec_client_gone(struct client *c)
{
	if (!pending.c || pending.c != c)
		return;
	reexec_check_cancel();
	pending.c = NULL;
	log_info("reexec of %s cancelled: the client that asked for it went away", pending.target);
}

void reexec_request(uv_loop_t *loop, struct client *c, uint32_t id, const char *binary)
{
	char err[1024];
	const char *target = binary && *binary ? binary : daemon_self_exe;
	int r;

	if (target[0] != '/') {
		ctl_reply_err(c, id, -EINVAL, "reexec: --binary must be an absolute path: %s", target);
		return;
	}
	if (access(target, X_OK) < 0) {
		r = -errno;
		ctl_reply_err(c, id, r, "reexec: %s: %s", target, strerror(-r));
		return;
	}
	if (pending.c || reexec_check_running()) {
		ctl_reply_err(c, id, -EBUSY, "reexec: another reexec (of %s) is waiting for its binary's answer",
			      pending.target);
		return;
	}
	if (svc_shutting_down()) {
		ctl_reply_err(c, id, -ESHUTDOWN, "reexec: the daemon is stopping every service");
		return;
	}
	if (same_file(target, daemon_self_exe)) {
		go(c, id, target, STATE_FORMAT);
		return;
	}
	if (strlen(target) >= sizeof pending.target) {
		ctl_reply_err(c, id, -ENAMETOOLONG, "reexec: binary path too long");
		return;
	}
	r = reexec_check_start(loop, target, checked_cb, NULL, err, sizeof err);
	if (r < 0) {
		log_err("reexec refused: %s", err);
		ctl_reply_err(c, id, r, "reexec refused: %s", err);
		return;
	}
	pending.c = c;
	pending.id = id;
	strcpy(pending.target, target);
}

/* Serialize, exec target; on failure put everything back and reply. */
static void go(struct client *c, uint32_t id, const char *target, unsigned format)
{
	char err[1024];
	int r;

	struct state_out o;
	struct fdlist keep = { 0 }, toggle = { 0 };
	/* Started first: it sets itself up while the state is written. */
	int held = mmhold_start();
	if (held < 0 && held != -ENOSYS)
		log_debug("reexec: no memory holder (%s); the exec tears the old image down itself", strerror(-held));
	so_init(&o);
	o.format = format; /* an older target gets the newest format it reads */
	r = state_write(&o, &keep, &toggle, daemon_self_exe, c, id);
	if (r < 0) {
		ctl_reply_err(c, id, r, "reexec: serializing state: %s", strerror(-r));
		goto out;
	}
	int memfd = make_memfd(&o, err, sizeof err);
	if (memfd < 0) {
		ctl_reply_err(c, id, memfd, "reexec: %s", err);
		goto out;
	}
	fdlist_add(&keep, memfd);
	fdlist_add(&toggle, memfd);
	if (keep.err || toggle.err) {
		close(memfd);
		ctl_reply_err(c, id, keep.err ? keep.err : toggle.err, "reexec: out of memory");
		goto out;
	}

	char fdarg[16], envfd[48];
	snprintf(fdarg, sizeof fdarg, "%d", memfd);
	snprintf(envfd, sizeof envfd, "SUPERVISORD_DESERIALIZE_FD=%d", memfd);
	const char *argv[24];
	build_argv(target, fdarg, NULL, argv);
	setenv("SUPERVISORD_DESERIALIZE_FD", fdarg, 1);

	log_info("re-executing %s (state: %zu bytes, %zu descriptors kept)", target, o.len, keep.n);
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	r = fdlist_set_cloexec(&toggle, false);
	if (r == 0) {
		mmhold_ready();
		execve(target, (char *const *)argv, environ);
		r = -errno;
	}
	/* Still here: put everything back as it was, and say why. */
	fdlist_set_cloexec(&toggle, true);
	sigprocmask(SIG_SETMASK, &old, NULL);
	unsetenv("SUPERVISORD_DESERIALIZE_FD");
	close(memfd);
	log_err("reexec of %s failed: %s", target, strerror(-r));
	ctl_reply_err(c, id, r, "reexec: exec %s: %s; still running the old image", target, strerror(-r));
out:
	mmhold_cancel();
	fdlist_free(&keep);
	fdlist_free(&toggle);
	so_free(&o);
}

static int exec_with(const char *binary, int state_fd, const char *extra)
{
	char fdarg[16];
	const char *argv[24];
	snprintf(fdarg, sizeof fdarg, "%d", state_fd);
	build_argv(binary, state_fd >= 0 ? fdarg : NULL, extra, argv);
	if (state_fd >= 0)
		fcntl(state_fd, F_SETFD, 0);
	execve(binary, (char *const *)argv, environ);
	return -errno;
}

int reexec_rescue_exec(void)
{
	unsetenv("SUPERVISORD_DESERIALIZE_FD");
	return exec_with(daemon_self_exe, -1, "--rescue");
}

/* The previous binary named in an intact document. */
static void find_previous(struct state_in *in, char *out, size_t len)
{
	struct state_in copy = *in;
	copy.val = NULL;
	copy.val_cap = 0;
	out[0] = '\0';
	while (si_next(&copy) > 0) {
		if (!strcmp(copy.key, "previous-binary")) {
			snprintf(out, len, "%s", copy.val);
			break;
		}
	}
	si_close(&copy);
}

/* The state as reexec_claim_fds mapped and checked it. */
static struct {
	char *blob;
	size_t len;
	struct state_in in;
	unsigned format;
	bool opened;
} early;

/* "3-7,9,12-40" into a sorted list; -EBADMSG if it is anything else. */
static int parse_fd_ranges(const char *p, const char *end, struct fdlist *l)
{
	while (p < end) {
		char *e;
		long a = strtol(p, &e, 10), b = a;
		if (e == p || a < 0 || a > INT32_MAX)
			return -EBADMSG;
		p = e;
		if (p < end && *p == '-') {
			b = strtol(p + 1, &e, 10);
			if (e == p + 1 || b < a || b > INT32_MAX || b - a > (1 << 24))
				return -EBADMSG;
			p = e;
		}
		for (long fd = a; fd <= b; fd++)
			fdlist_add(l, (int)fd);
		if (p < end && *p++ != ',')
			return -EBADMSG;
	}
	return l->err;
}

void reexec_claim_fds(int state_fd)
{
	struct stat st;
	char err[256];
	struct fdlist l = { 0 };
	if (fstat(state_fd, &st) < 0 || st.st_size <= 0 || (uint64_t)st.st_size > STATE_MAX_SIZE)
		goto scan;
	early.len = (size_t)st.st_size;
	early.blob = mmap(NULL, early.len, PROT_READ, MAP_PRIVATE, state_fd, 0);
	if (early.blob == MAP_FAILED) {
		early.blob = NULL;
		goto scan;
	}
	if (si_open(&early.in, early.blob, early.len, &early.format, err, sizeof err) < 0)
		goto scan; /* reexec_restore says why */
	early.opened = true;
	if (!known_format(early.format) || early.in.body_end < 2)
		goto scan; /* handed back to the image that wrote it, or rescued */
	/* The last line of the body: "fds RANGES" (digits need no escaping). */
	const char *body = early.blob, *end = body + early.in.body_end - 1, *line = end;
	while (line > body && line[-1] != '\n')
		line--;
	if (end - line < 4 || memcmp(line, "fds ", 4) != 0 || parse_fd_ranges(line + 4, end, &l) < 0) {
		log_info("re-exec: the state does not list its descriptors; reading /proc/self/fd");
		goto scan;
	}
	int r = fdclaim_keep_only(l.v, l.n, state_fd);
	if (r < 0) {
		log_info("re-exec: the descriptors the state lists cannot be kept as they are (%s); reading "
			 "/proc/self/fd", strerror(-r));
		goto scan;
	}
	fdlist_free(&l);
	goto parse;
scan:
	fdlist_free(&l);
	fdclaim_scan();
parse:
	/* The unit files are parsed on a second thread while this one sets up
	 * the loop (preparse.h). Only now: a specifier there may open a file
	 * (%m, %b), which the descriptor sweep above would have closed under
	 * it, or recorded as inherited and closed later as nobody's. */
	if (early.opened && known_format(early.format) && early.in.body_end >= 2)
		preparse_start(&early.in);
}

int reexec_restore(uv_loop_t *loop, int state_fd, bool allow_fallback)
{
	char err[1024];
	char *blob = early.blob;
	int r = -EBADMSG;
	struct state_in in = early.in;
	unsigned format = early.format;
	err[0] = '\0';

	if (!blob) {
		snprintf(err, sizeof err, "state fd %d unusable", state_fd);
		goto rescue;
	}
	if (!early.opened && si_open(&in, blob, early.len, &format, err, sizeof err) < 0)
		goto rescue;
	if (!known_format(format)) {
		char prev[4096];
		find_previous(&in, prev, sizeof prev);
		log_err("re-exec: state format %u is not one this build (%s) reads", format, supervisord_version);
		if (allow_fallback && prev[0] == '/' && !same_file(prev, daemon_self_exe)) {
			log_err("re-exec: handing over back to %s", prev);
			munmap(blob, early.len);
			r = exec_with(prev, state_fd, "--no-fallback");
			log_err("re-exec: exec %s: %s", prev, strerror(-r));
			return reexec_rescue_exec();
		}
		snprintf(err, sizeof err, "unsupported state format %u", format);
		goto rescue;
	}
	r = state_read(loop, &in, err, sizeof err);
	preparse_finish(); /* before the state is unmapped */
	si_close(&in);
	if (r < 0)
		goto rescue;
	munmap(blob, early.len);
	fdclaim_release(state_fd);
	unsetenv("SUPERVISORD_DESERIALIZE_FD");
	return 0;
rescue:
	preparse_finish();
	log_err("re-exec: cannot use the state (%s); restarting in rescue mode, which keeps every child and "
		"socket", err);
	if (blob)
		munmap(blob, early.len);
	close(state_fd);
	return reexec_rescue_exec();
}
