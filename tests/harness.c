/*
 * harness.c - see harness.h.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

void h_msleep(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

long long h_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *h_proc_stat(pid_t pid, char *buf, size_t len)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	size_t n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p + 2 : NULL;
}

bool h_alive(pid_t pid)
{
	char buf[1024];
	const char *f = h_proc_stat(pid, buf, sizeof buf);
	return f && *f != 'Z' && *f != 'X';
}

void hd_init(struct hd *d)
{
	memset(d, 0, sizeof *d);
	snprintf(d->dir, sizeof d->dir, "/tmp/supd-test-XXXXXX");
	cr_assert_not_null(mkdtemp(d->dir), "mkdtemp: %s", strerror(errno));
	snprintf(d->units, sizeof d->units, "%s/units", d->dir);
	snprintf(d->rt, sizeof d->rt, "%s/rt", d->dir);
	snprintf(d->log, sizeof d->log, "%s/daemon.log", d->dir);
	cr_assert_eq(mkdir(d->units, 0755), 0);
}

void hd_unit(struct hd *d, const char *name, const char *fmt, ...)
{
	char path[600];
	snprintf(path, sizeof path, "%s/%s", d->units, name);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	va_list ap;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
}

void hd_start(struct hd *d)
{
	hd_start_with(d, H_DAEMON);
}

void hd_start_with(struct hd *d, const char *daemon)
{
	hd_start_args(d, daemon, NULL);
}

void hd_start_args(struct hd *d, const char *daemon, const char *const *extra)
{
	const char *argv[32];
	int argc = 0;
	argv[argc++] = daemon;
	argv[argc++] = "-u";
	argv[argc++] = d->units;
	argv[argc++] = "-r";
	argv[argc++] = d->rt;
	for (int i = 0; extra && extra[i] && argc < 31; i++)
		argv[argc++] = extra[i];
	argv[argc] = NULL;
	int logfd = open(d->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	cr_assert(logfd >= 0);
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		/* A failed assertion ends the test before hd_stop(): the daemon
		 * must not outlive it (SIGTERM stops its services too). */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() == 1)
			_exit(127);
		dup2(logfd, 2);
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(null, 1);
		/* The test runner's descriptors must not reach the daemon. */
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		/* A container's daemon: root without CAP_SYS_ADMIN cannot make
		 * namespaces (exec takes the capability from the bounding set). */
		if (d->no_sys_admin && prctl(PR_CAPBSET_DROP, 21 /* CAP_SYS_ADMIN */, 0, 0, 0) < 0)
			_exit(126);
		execv(daemon, (char *const *)argv);
		_exit(127);
	}
	close(logfd);
	d->pid = pid;
	char sock[400];
	snprintf(sock, sizeof sock, "%s/control.sock", d->rt);
	long long end = h_now_ms() + 10000;
	while (h_now_ms() < end) {
		if (access(sock, F_OK) == 0 && hd_ctl(d, NULL, 0, "status", NULL) == 0)
			return;
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			d->pid = 0;
			cr_assert_fail("supervisord exited during start-up (status 0x%x); see %s", st, d->log);
		}
		h_msleep(20);
	}
	cr_assert_fail("supervisord did not answer within 10 s; see %s", d->log);
}

static void rm_rf(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		DIR *dir = opendir(path);
		if (dir) {
			struct dirent *e;
			while ((e = readdir(dir))) {
				if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
					continue;
				char sub[1024];
				snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
				rm_rf(sub);
			}
			closedir(dir);
		}
		rmdir(path);
	} else {
		unlink(path);
	}
}

int h_wait_exit(pid_t pid, int ms)
{
	long long end = h_now_ms() + ms;
	do {
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		h_msleep(10);
	} while (h_now_ms() < end);
	return -1;
}

int hd_stop(struct hd *d)
{
	int result = -1;
	if (d->pid > 0) {
		kill(d->pid, SIGTERM);
		int st;
		result = h_wait_exit(d->pid, 15000);
		if (result < 0) {
			/* It did not stop: show why before killing it. */
			fprintf(stderr, "supervisord %d did not stop within 15 s; the end of %s:\n", (int)d->pid, d->log);
			char cmd[700];
			snprintf(cmd, sizeof cmd, "tail -n 40 '%s' >&2; ps -o pid,ppid,stat,cmd --ppid %d >&2", d->log,
				 (int)d->pid);
			int rc = system(cmd);
			(void)rc;
			kill(d->pid, SIGKILL);
			waitpid(d->pid, &st, 0);
		}
		d->pid = 0;
	}
	if (getenv("SUPD_TEST_KEEP")) {
		fprintf(stderr, "keeping %s\n", d->dir);
		return result;
	}
	rm_rf(d->dir);
	return result;
}

int hd_ctl(struct hd *d, char *out, size_t outlen, ...)
{
	const char *argv[64];
	int n = 0;
	argv[n++] = H_SUPCTL;
	argv[n++] = "-r";
	argv[n++] = d->rt;
	va_list ap;
	va_start(ap, outlen);
	const char *a;
	while ((a = va_arg(ap, const char *)) && n < 62)
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;

	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		execv(H_SUPCTL, (char *const *)argv);
		_exit(127);
	}
	close(p[1]);
	size_t got = 0;
	char sink[4096];
	long long end = h_now_ms() + 30000;
	for (;;) {
		int left = (int)(end - h_now_ms());
		if (left <= 0)
			break;
		struct pollfd pfd = { .fd = p[0], .events = POLLIN };
		if (poll(&pfd, 1, left) <= 0)
			break;
		ssize_t r;
		if (out && got + 1 < outlen)
			r = read(p[0], out + got, outlen - got - 1);
		else
			r = read(p[0], sink, sizeof sink);
		if (r <= 0)
			break;
		if (out && got + 1 < outlen)
			got += (size_t)r;
	}
	if (out && outlen)
		out[got] = '\0';
	close(p[0]);
	int st;
	while (h_now_ms() < end) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		h_msleep(5);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

/* Find "key": in a flat JSON object text and copy its value. */
static int json_field(const char *obj, const char *key, char *out, size_t outlen)
{
	char pat[64];
	snprintf(pat, sizeof pat, "\"%s\":", key);
	const char *p = strstr(obj, pat);
	if (!p)
		return -1;
	p += strlen(pat);
	size_t n = 0;
	if (*p == '"') {
		p++;
		while (*p && *p != '"' && n + 1 < outlen) {
			if (*p == '\\' && p[1])
				p++;
			out[n++] = *p++;
		}
	} else {
		while (*p && *p != ',' && *p != '}' && n + 1 < outlen)
			out[n++] = *p++;
	}
	out[n] = '\0';
	return 0;
}

int hd_unit_info(struct hd *d, const char *unit, char *state, size_t statelen, int *pid, int *restarts,
		 char *status, size_t statuslen)
{
	static char out[65536];
	if (hd_ctl(d, out, sizeof out, "status", "--json", unit, NULL) != 0)
		return -1;
	char tmp[64];
	if (state && json_field(out, "state", state, statelen) < 0)
		return -1;
	if (pid) {
		if (json_field(out, "pid", tmp, sizeof tmp) < 0)
			return -1;
		*pid = atoi(tmp);
	}
	if (restarts) {
		if (json_field(out, "restarts", tmp, sizeof tmp) < 0)
			return -1;
		*restarts = atoi(tmp);
	}
	if (status && json_field(out, "status", status, statuslen) < 0)
		return -1;
	return 0;
}

int hd_wait_state(struct hd *d, const char *unit, const char *state, int ms)
{
	long long end = h_now_ms() + ms;
	char st[64];
	do {
		if (hd_unit_info(d, unit, st, sizeof st, NULL, NULL, NULL, 0) == 0 && !strcmp(st, state))
			return 0;
		h_msleep(20);
	} while (h_now_ms() < end);
	return -1;
}

int hd_log_count(struct hd *d, const char *needle)
{
	FILE *f = fopen(d->log, "r");
	if (!f)
		return 0;
	char line[4096];
	int n = 0;
	while (fgets(line, sizeof line, f))
		n += strstr(line, needle) != NULL;
	fclose(f);
	return n;
}

bool hd_log_has(struct hd *d, const char *needle)
{
	return hd_log_count(d, needle) > 0;
}

bool hd_log_wait(struct hd *d, const char *needle, int ms)
{
	long long end = h_now_ms() + ms;
	while (!hd_log_has(d, needle)) {
		if (h_now_ms() >= end)
			return false;
		h_msleep(10);
	}
	return true;
}

int h_free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t l = sizeof sa;
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &l) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return ntohs(sa.sin_port);
}

/* Is this /proc/PID/fd target a service log file (RT/logs/NAME.log)? */
static bool is_log_file(const char *t)
{
	size_t n = strlen(t);
	return strstr(t, "/logs/") && n > 4 && !strcmp(t + n - 4, ".log");
}

/* Call fn(number, link target, ctx) for each fd of pid; how many fds, or
 * -1 when /proc/PID/fd cannot be read. fn returns false to stop early. */
static int each_fd(pid_t pid, bool (*fn)(const char *num, const char *target, void *ctx), void *ctx)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
	DIR *dir = opendir(path);
	if (!dir)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(dir))) {
		if (e->d_name[0] == '.')
			continue;
		char link[600], target[512];
		snprintf(link, sizeof link, "%s/%s", path, e->d_name);
		ssize_t l = readlink(link, target, sizeof target - 1);
		target[l > 0 ? l : 0] = '\0';
		n++;
		if (fn && !fn(e->d_name, target, ctx))
			break;
	}
	closedir(dir);
	return n;
}

struct log_seen {
	char path[64][256];
	int n;     /* distinct log files */
	int first; /* first descriptors of log files: not counted */
};

static bool note_log(const char *num, const char *target, void *ctx)
{
	struct log_seen *ls = ctx;
	(void)num;
	if (!is_log_file(target))
		return true;
	for (int i = 0; i < ls->n; i++)
		if (!strcmp(ls->path[i], target))
			return true; /* a second descriptor for the same file: counted */
	if (ls->n < 64) {
		snprintf(ls->path[ls->n++], sizeof ls->path[0], "%s", target);
		ls->first++;
	}
	return true;
}

int h_count_fds(pid_t pid)
{
	/* Service log files are opened at a service's first line, so whether
	 * they are open depends on what the workers wrote: each counts once
	 * whatever its number, and only a second descriptor for the same file
	 * (a leak) adds to the count. */
	static struct log_seen ls;
	ls.n = ls.first = 0;
	int n = each_fd(pid, note_log, &ls);
	if (n < 0)
		return -1;
	n -= ls.first;
	if (pid == getpid())
		n--; /* the DIR's own descriptor */
	return n;
}

/* count(pid) once two readings 50 ms apart agree (bounded: 2 s). */
static int settled(int (*count)(pid_t), pid_t pid)
{
	int last = count(pid);
	for (int i = 0; i < 40; i++) {
		h_msleep(50);
		int now = count(pid);
		if (now == last)
			return now;
		last = now;
	}
	return last;
}

int h_count_fds_settled(pid_t pid)
{
	/* The daemon closes a finished supctl connection on its next loop
	 * turn. */
	return settled(h_count_fds, pid);
}

/* Processes whose parent is pid, zombies included. */
int h_count_children(pid_t pid)
{
	DIR *d = opendir("/proc");
	if (!d)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		char path[64], buf[512];
		snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		size_t got = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
		buf[got] = '\0';
		/* "pid (comm) state ppid ...": comm may hold anything but ends
		 * at the last ')'. */
		char *rp = strrchr(buf, ')');
		int ppid;
		char st;
		if (rp && sscanf(rp + 1, " %c %d", &st, &ppid) == 2 && ppid == pid)
			n++;
	}
	closedir(d);
	return n;
}

int h_count_children_settled(pid_t pid)
{
	return settled(h_count_children, pid);
}

struct fd_text {
	char *buf;
	size_t len, used;
};

static bool add_fd_line(const char *num, const char *target, void *ctx)
{
	struct fd_text *t = ctx;
	int w = snprintf(t->buf + t->used, t->len - t->used, "%s:%s\n", num, target);
	if (w < 0 || (size_t)w >= t->len - t->used)
		return false;
	t->used += (size_t)w;
	return true;
}

void h_list_fds(pid_t pid, char *buf, size_t len)
{
	struct fd_text t = { buf, len, 0 };
	buf[0] = '\0';
	each_fd(pid, add_fd_line, &t);
}

static int do_request(int fd, const struct sockaddr *sa, socklen_t salen, char *out, size_t outlen,
		      int timeout_ms)
{
	long long end = h_now_ms() + timeout_ms;
	int r = connect(fd, sa, salen);
	if (r < 0 && errno != EINPROGRESS)
		return -errno;
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	if (r < 0) {
		if (poll(&pfd, 1, timeout_ms) <= 0)
			return -ETIMEDOUT;
		int err = 0;
		socklen_t el = sizeof err;
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
		if (err)
			return -err;
	}
	static const char req[] = "GET / HTTP/1.0\r\n\r\n";
	if (send(fd, req, sizeof req - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof req - 1))
		return -errno ? -errno : -EIO;
	size_t got = 0;
	for (;;) {
		int left = (int)(end - h_now_ms());
		if (left <= 0)
			return -ETIMEDOUT;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, left) <= 0)
			return -ETIMEDOUT;
		ssize_t n = recv(fd, out + got, outlen - got - 1, 0);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got + 1 >= outlen)
			break;
	}
	out[got] = '\0';
	return got ? (int)got : -ECONNRESET;
}

int h_http_get(int port, char *out, size_t outlen, int timeout_ms)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int r = do_request(fd, (struct sockaddr *)&sa, sizeof sa, out, outlen, timeout_ms);
	close(fd);
	return r;
}

int h_unix_get(const char *path, char *out, size_t outlen, int timeout_ms)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	int r = do_request(fd, (struct sockaddr *)&sa, sizeof sa, out, outlen, timeout_ms);
	close(fd);
	return r;
}

static volatile sig_atomic_t load_stop;

static void load_stop_handler(int sig)
{
	load_stop = 1;
}

void h_load_start(struct h_load *l, int port, int max_ms)
{
	int p[2];
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(p[0]);
		signal(SIGUSR1, load_stop_handler);
		struct h_load_result res = { 0 };
		long long end = h_now_ms() + max_ms;
		char buf[1024];
		while (!load_stop && h_now_ms() < end) {
			struct timespec a, b;
			clock_gettime(CLOCK_MONOTONIC, &a);
			int r = h_http_get(port, buf, sizeof buf, 5000);
			clock_gettime(CLOCK_MONOTONIC, &b);
			long us = (b.tv_sec - a.tv_sec) * 1000000L + (b.tv_nsec - a.tv_nsec) / 1000;
			if (load_stop && r < 0)
				break; /* interrupted by the stop signal: not a failure */
			if (r > 0 && strstr(buf, "pid")) {
				res.ok++;
			} else {
				if (!res.failed)
					snprintf(res.first_error, sizeof res.first_error, "%s",
						 r < 0 ? strerror(-r) : "bad answer");
				res.failed++;
			}
			if (us > res.max_latency_us)
				res.max_latency_us = us;
		}
		ssize_t w = write(p[1], &res, sizeof res);
		_exit(w == (ssize_t)sizeof res ? 0 : 1);
	}
	close(p[1]);
	l->pid = pid;
	l->result_fd = p[0];
}

void h_load_stop(struct h_load *l, struct h_load_result *res)
{
	memset(res, 0, sizeof *res);
	kill(l->pid, SIGUSR1);
	struct pollfd pfd = { .fd = l->result_fd, .events = POLLIN };
	if (poll(&pfd, 1, 20000) > 0) {
		ssize_t n = read(l->result_fd, res, sizeof *res);
		if (n != (ssize_t)sizeof *res)
			res->failed = -1;
	} else {
		res->failed = -1;
		kill(l->pid, SIGKILL);
	}
	int st;
	waitpid(l->pid, &st, 0);
	close(l->result_fd);
}

char *h_slurp(const char *path)
{
	static char buf[65536];
	FILE *f = fopen(path, "re");
	if (!f)
		return NULL;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

int h_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");
	if (!f)
		return -errno;
	size_t n = strlen(text);
	bool ok = fwrite(text, 1, n, f) == n;
	if (fclose(f) != 0 || !ok)
		return -EIO;
	return 0;
}

char *h_wait_file(const char *path, int ms)
{
	long long end = h_now_ms() + ms, empty_since = -1;
	struct stat st;
	do {
		if (stat(path, &st) == 0) {
			if (st.st_size > 0)
				return h_slurp(path);
			/* Created, not written yet: a shell's "> f" opens the file
			 * before the command writes (seen once under load, an
			 * empty read of what was about to be written). Empty is
			 * the answer only once it stayed so for 200 ms. */
			long long now = h_now_ms();
			if (empty_since < 0)
				empty_since = now;
			else if (now - empty_since >= 200)
				return h_slurp(path);
		}
		h_msleep(10);
	} while (h_now_ms() < end);
	return stat(path, &st) == 0 ? h_slurp(path) : NULL;
}

int h_connect_tcp(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

ssize_t h_read_all(int fd, char *buf, size_t len, int ms)
{
	size_t got = 0;
	long long end = h_now_ms() + ms;
	while (got + 1 < len) {
		int left = (int)(end - h_now_ms());
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (left <= 0 || poll(&p, 1, left) <= 0)
			break;
		ssize_t r = read(fd, buf + got, len - got - 1);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	buf[got] = '\0';
	return (ssize_t)got;
}
