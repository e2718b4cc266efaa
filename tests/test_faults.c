/*
 * test_faults.c - fault injection against the real daemon. Each case hurts
 * the daemon or its workers the way a bad day would (SIGKILL loops, workers
 * that wreck their descriptors, no descriptors left, no fork, a full or
 * read-only log directory, a stopped worker, clients that hang up at the
 * worst moment, re-exec in the middle of a storm) and ends the same way:
 * the daemon answers, every healthy service runs, and the daemon holds
 * exactly the descriptors it held before.
 *
 * "Never spins" is measured: the daemon's CPU time (utime + stime from
 * /proc/PID/stat) over a window while the fault lasts.
 *
 * A corrupt re-exec state blob is covered by test_reexec.c
 * (reexec::corrupt_state_keeps_children_and_sockets and
 * reexec::future_state_format_keeps_children_and_sockets).
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "proto.h"

#define SDWORKER H_WORKERS "/sdworker"
#define FDABUSER H_WORKERS "/fdabuser"
#define COUNTER H_WORKERS "/counter"
#define NOTIFYWORKER H_WORKERS "/notifyworker"

/* ---- helpers ---- */

/* utime + stime of pid, in clock ticks (-1 on error). */
static long cpu_ticks(pid_t pid)
{
	char buf[1024];
	const char *f = h_proc_stat(pid, buf, sizeof buf);
	unsigned long ut, st;
	/* From the state: state ppid pgrp session tty tpgid flags minflt
	 * cminflt majflt cmajflt utime stime. */
	if (!f || sscanf(f, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	return (long)(ut + st);
}

/* The share of one CPU pid used over the next ms milliseconds. */
static double cpu_share(pid_t pid, int ms)
{
	long t0 = cpu_ticks(pid);
	long long w0 = h_now_ms();
	h_msleep(ms);
	long t1 = cpu_ticks(pid);
	double wall = (double)(h_now_ms() - w0) / 1000.0;
	if (t0 < 0 || t1 < 0)
		return 1.0;
	return (double)(t1 - t0) / (double)sysconf(_SC_CLK_TCK) / wall;
}

/* The daemon answers supctl status, quickly. */
static void expect_answers(struct hd *d, const char *when)
{
	long long t0 = h_now_ms();
	char out[8192];
	int rc = hd_ctl(d, out, sizeof out, "status", NULL);
	cr_expect_eq(rc, 0, "%s: supctl status rc %d: %s", when, rc, out);
	cr_expect_lt(h_now_ms() - t0, 2000, "%s: supctl status took %lld ms", when, h_now_ms() - t0);
}

static void expect_running(struct hd *d, const char *unit, const char *when)
{
	cr_expect_eq(hd_wait_state(d, unit, "running", 5000), 0, "%s: %s is not running", when, unit);
}

/* The daemon holds exactly `base` descriptors (settled; bounded wait for
 * instances and closing connections to go). */
static void expect_fds(struct hd *d, int base, const char *when)
{
	int now = -1;
	long long end = h_now_ms() + 5000;
	do {
		now = h_count_fds_settled(d->pid);
		if (now == base)
			return;
		h_msleep(50);
	} while (h_now_ms() < end);
	char list[16384];
	h_list_fds(d->pid, list, sizeof list);
	cr_expect_eq(now, base, "%s: daemon holds %d fds, %d before:\n%s", when, now, base, list);
}

static int expect_http(int port, const char *when)
{
	char ans[1024];
	int r = h_http_get(port, ans, sizeof ans, 5000);
	cr_expect_gt(r, 0, "%s: 127.0.0.1:%d: %s", when, port, r < 0 ? strerror(-r) : "");
	const char *p = r > 0 ? strstr(ans, "pid ") : NULL;
	cr_expect_not_null(p, "%s: answer: %s", when, r > 0 ? ans : "");
	return p ? atoi(p + 4) : -1;
}

static int connect_control(struct hd *d)
{
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s/control.sock", d->rt);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return -e;
	}
	return fd;
}

static int send_hello(int fd)
{
	uint8_t buf[256];
	struct proto_buf b;
	proto_buf_init_writer(&b, buf, sizeof buf);
	proto_put_u32(&b, PROTO_VERSION);
	proto_put_str(&b, "test_faults");
	return proto_send(fd, PROTO_HELLO, 0, 1, b.data, b.len, NULL, 0);
}

static int send_job(int fd, uint16_t type, const char *unit)
{
	uint8_t buf[512];
	struct proto_buf b;
	proto_buf_init_writer(&b, buf, sizeof buf);
	proto_put_str(&b, unit);
	proto_put_u32(&b, 0);
	return proto_send(fd, type, 0, 2, b.data, b.len, NULL, 0);
}

/* ---- SIGKILL in a loop ---- */

Test(faults, workers_sigkilled_in_a_loop, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	int port = h_free_port();
	hd_unit(&d, "web.socket", "[Socket]\nListenStream=127.0.0.1:%d\n", port);
	hd_unit(&d, "web.service",
		"[Unit]\nStartLimitBurst=0\n"
		"[Service]\nExecStart=" SDWORKER "\nRestart=always\nRestartSec=20ms\n"
		"[Install]\nWantedBy=multi-user.target\n");
	hd_unit(&d, "plain.service", "[Service]\nExecStart=/bin/sleep 100000\n");
	hd_start(&d);
	expect_running(&d, "web.service", "start");
	expect_running(&d, "plain.service", "start");
	int base = h_count_fds_settled(d.pid);
	int plain_pid = 0;
	hd_unit_info(&d, "plain.service", NULL, 0, &plain_pid, NULL, NULL, 0);

	struct h_load load;
	h_load_start(&load, port, 30000);

	/* Each kill waits for the next process... */
	int kills = 0, last = 0;
	for (int i = 0; i < 15; i++) {
		int pid = 0;
		long long end = h_now_ms() + 5000;
		char st[64] = "";
		while (h_now_ms() < end) {
			if (hd_unit_info(&d, "web.service", st, sizeof st, &pid, NULL, NULL, 0) == 0 &&
			    !strcmp(st, "running") && pid > 0 && pid != last)
				break;
			h_msleep(10);
		}
		cr_assert(pid > 0 && pid != last, "kill %d: no new process (state %s)", i, st);
		cr_assert_eq(kill(pid, SIGKILL), 0);
		last = pid;
		kills++;
	}
	/* ...then blind kills, some landing while it restarts. */
	for (int i = 0; i < 30; i++) {
		int pid = 0;
		if (hd_unit_info(&d, "web.service", NULL, 0, &pid, NULL, NULL, 0) == 0 && pid > 0 && pid != last &&
		    kill(pid, SIGKILL) == 0) {
			last = pid;
			kills++;
		}
		h_msleep(15);
	}
	expect_running(&d, "web.service", "after the kills");
	struct h_load_result res;
	h_load_stop(&load, &res);
	cr_log_info("%d SIGKILLs; load: %ld ok, %ld failed (%s)", kills, res.ok, res.failed, res.first_error);
	cr_expect_gt(res.ok, 0);
	int restarts = 0;
	hd_unit_info(&d, "web.service", NULL, 0, NULL, &restarts, NULL, 0);
	cr_expect_geq(restarts, kills, "restarts %d < kills %d", restarts, kills);

	expect_answers(&d, "after the kills");
	expect_http(port, "after the kills");
	int pid = 0;
	hd_unit_info(&d, "plain.service", NULL, 0, &pid, NULL, NULL, 0);
	cr_expect_eq(pid, plain_pid, "plain.service was disturbed");
	expect_fds(&d, base, "after the kills");
	cr_expect_eq(hd_stop(&d), 0);
}

/* ---- a worker that closes or dup2s over its inherited fds ---- */

Test(faults, worker_closes_or_dup2s_its_fds, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	int port[2] = { h_free_port(), 0 };
	do
		port[1] = h_free_port();
	while (port[1] == port[0]);
	const char *mode[2] = { "close", "dup2" };
	char flag[2][400];
	for (int i = 0; i < 2; i++) {
		snprintf(flag[i], sizeof flag[i], "%s/%s.flag", d.dir, mode[i]);
		hd_unit(&d, i ? "b.socket" : "a.socket", "[Socket]\nListenStream=127.0.0.1:%d\n", port[i]);
		hd_unit(&d, i ? "b.service" : "a.service",
			"[Service]\nExecStart=" FDABUSER "\nEnvironment=FLAG=%s MODE=%s ABUSE_MS=500\n"
			"Restart=on-failure\nRestartSec=100ms\n"
			"[Install]\nWantedBy=multi-user.target\n",
			flag[i], mode[i]);
	}
	hd_unit(&d, "plain.service", "[Service]\nExecStart=/bin/sleep 100000\n");
	hd_start(&d);
	int base = h_count_fds_settled(d.pid);

	/* While the first runs sit on their wrecked fds, clients connect: the
	 * daemon's listeners queue them. */
	int first[2], conn[2];
	for (int i = 0; i < 2; i++) {
		long long end = h_now_ms() + 5000;
		while (access(flag[i], F_OK) != 0 && h_now_ms() < end)
			h_msleep(10);
		FILE *f = fopen(flag[i], "r");
		cr_assert_not_null(f, "%s: the worker did not start", mode[i]);
		cr_assert_eq(fscanf(f, "%d", &first[i]), 1);
		fclose(f);
		conn[i] = h_connect_tcp(port[i]);
		cr_assert_geq(conn[i], 0, "%s: connect: %s", mode[i], strerror(-conn[i]));
		static const char req[] = "GET / HTTP/1.0\r\n\r\n";
		cr_assert_eq(write(conn[i], req, sizeof req - 1), (ssize_t)(sizeof req - 1));
	}
	expect_answers(&d, "during the abuse");
	/* The restarted worker serves the connection that waited. */
	for (int i = 0; i < 2; i++) {
		char ans[512];
		cr_expect_gt(h_read_all(conn[i], ans, sizeof ans, 8000), 0, "%s: the waiting client was not served",
			     mode[i]);
		const char *p = strstr(ans, "pid ");
		cr_expect(p && atoi(p + 4) != first[i], "%s: answer '%s' (first run was pid %d)", mode[i], ans,
			  first[i]);
		close(conn[i]);
		char unit[32];
		snprintf(unit, sizeof unit, "%s.service", i ? "b" : "a");
		expect_running(&d, unit, mode[i]);
		int restarts = -1;
		hd_unit_info(&d, unit, NULL, 0, NULL, &restarts, NULL, 0);
		cr_expect_eq(restarts, 1, "%s: %d restarts", mode[i], restarts);
		expect_http(port[i], mode[i]);
	}
	expect_running(&d, "plain.service", "after the abuse");
	expect_answers(&d, "after the abuse");
	expect_fds(&d, base, "after the abuse");
	cr_expect_eq(hd_stop(&d), 0);
}

/* ---- out of descriptors: accept, recvmsg ---- */

static struct rlimit set_nofile(pid_t pid, rlim_t soft)
{
	struct rlimit old, now;
	cr_assert_eq(prlimit(pid, RLIMIT_NOFILE, NULL, &old), 0, "prlimit: %s", strerror(errno));
	now = old;
	now.rlim_cur = soft;
	cr_assert_eq(prlimit(pid, RLIMIT_NOFILE, &now, NULL), 0, "prlimit: %s", strerror(errno));
	return old;
}

/* NOTIFY_SOCKET as a worker got it (from /proc/PID/environ). */
static socklen_t notify_addr(pid_t worker, struct sockaddr_un *sa)
{
	char path[64], env[16384];
	snprintf(path, sizeof path, "/proc/%d/environ", (int)worker);
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f);
	size_t n = fread(env, 1, sizeof env - 1, f);
	fclose(f);
	env[n] = '\0';
	memset(sa, 0, sizeof *sa);
	sa->sun_family = AF_UNIX;
	for (size_t i = 0; i < n; i += strlen(env + i) + 1) {
		if (strncmp(env + i, "NOTIFY_SOCKET=", 14))
			continue;
		const char *v = env + i + 14;
		snprintf(sa->sun_path, sizeof sa->sun_path, "%s", v);
		if (v[0] == '@')
			sa->sun_path[0] = '\0'; /* abstract */
		return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(v) + (v[0] == '@' ? 0 : 1));
	}
	cr_assert_fail("no NOTIFY_SOCKET in the environment of pid %d", (int)worker);
	return 0;
}

/* One datagram to the notify socket carrying a descriptor. */
static void notify_with_fd(const struct sockaddr_un *sa, socklen_t salen, int fd)
{
	int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	char text[] = "FDSTORE=1\nFDNAME=x";
	struct iovec iov = { .iov_base = text, .iov_len = sizeof text - 1 };
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct msghdr mh = { .msg_name = (void *)sa, .msg_namelen = salen, .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = ctl.b, .msg_controllen = sizeof ctl.b };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof fd);
	struct timeval tv = { .tv_sec = 2 };
	setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	ssize_t sent = sendmsg(s, &mh, MSG_NOSIGNAL);
	cr_expect_gt(sent, 0, "notify sendmsg: %s", strerror(errno));
	close(s);
}

Test(faults, out_of_descriptors_degrades_and_recovers, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	int web = h_free_port(), echo;
	do
		echo = h_free_port();
	while (echo == web);
	hd_unit(&d, "web.socket", "[Socket]\nListenStream=127.0.0.1:%d\n", web);
	hd_unit(&d, "web.service", "[Service]\nNotifyAccess=main\nExecStart=" SDWORKER "\n[Install]\nWantedBy=multi-user.target\n");
	hd_unit(&d, "echo.socket", "[Socket]\nListenStream=127.0.0.1:%d\nAccept=yes\n", echo);
	hd_unit(&d, "echo@.service", "[Service]\nStandardInput=socket\nExecStart=/bin/sh -c 'echo \"pid $$$$\"'\n");
	hd_unit(&d, "plain.service", "[Service]\nExecStart=/bin/sleep 100000\n");
	hd_start(&d);
	expect_running(&d, "web.service", "start");
	expect_running(&d, "plain.service", "start");
	/* An established control connection, for a request made during the fault. */
	int held = connect_control(&d);
	cr_assert_geq(held, 0);
	cr_assert_eq(send_hello(held), 0);
	struct sockaddr_un nsa;
	int web_pid = 0;
	hd_unit_info(&d, "web.service", NULL, 0, &web_pid, NULL, NULL, 0);
	socklen_t nlen = notify_addr(web_pid, &nsa);
	int base = h_count_fds_settled(d.pid);

	/* Not one descriptor more. */
	struct rlimit old = set_nofile(d.pid, (rlim_t)base);
	enum { NCTL = 20, NECHO = 5, NNOTIFY = 50 };
	int ctl[NCTL], conn[NECHO];
	for (int i = 0; i < NCTL; i++) {
		ctl[i] = connect_control(&d); /* queued in the backlog */
		cr_assert_geq(ctl[i], 0, "control connect %d: %s", i, strerror(-ctl[i]));
	}
	for (int i = 0; i < NECHO; i++) {
		conn[i] = h_connect_tcp(echo);
		cr_assert_geq(conn[i], 0, "echo connect %d: %s", i, strerror(-conn[i]));
	}
	int p[2];
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	for (int i = 0; i < NNOTIFY; i++)
		notify_with_fd(&nsa, nlen, p[0]);
	/* A frame with a descriptor on the established connection. */
	uint8_t buf[64];
	struct proto_buf b;
	proto_buf_init_writer(&b, buf, sizeof buf);
	proto_put_str(&b, "");
	proto_put_u32(&b, 1);
	proto_put_str(&b, "x");
	cr_assert_eq(proto_send(held, PROTO_FD_STORE, 0, 3, b.data, b.len, &p[0], 1), 0);
	close(p[0]);
	close(p[1]);

	double share = cpu_share(d.pid, 1000);
	cr_log_info("daemon CPU while out of descriptors: %.1f%%", share * 100);
	cr_expect_lt(share, 0.2, "the daemon spins while out of descriptors: %.0f%% CPU", share * 100);
	/* The worker has descriptors of its own: it still serves. */
	expect_http(web, "during the fault");
	cr_expect_lt(hd_log_count(&d, "control: accept"), 5, "accept warnings flood the log");
	cr_expect_lt(hd_log_count(&d, "echo.socket: accept"), 5, "accept warnings flood the log");
	cr_expect_lt(hd_log_count(&d, "notify: dropped"), 5, "notify warnings flood the log");

	/* Lift it: every waiting client is served. */
	set_nofile(d.pid, old.rlim_cur);
	for (int i = 0; i < NECHO; i++) {
		char ans[256];
		cr_expect_gt(h_read_all(conn[i], ans, sizeof ans, 5000), 0, "echo client %d was never served", i);
		cr_expect(strstr(ans, "pid "), "echo client %d: '%s'", i, ans);
		close(conn[i]);
	}
	for (int i = 0; i < NCTL; i++) {
		cr_expect_eq(send_hello(ctl[i]), 0);
		struct pollfd pf = { .fd = ctl[i], .events = POLLIN };
		cr_expect_eq(poll(&pf, 1, 5000), 1, "control client %d got no answer", i);
		close(ctl[i]);
	}
	close(held);
	expect_answers(&d, "after the fault");
	expect_running(&d, "web.service", "after the fault");
	expect_running(&d, "plain.service", "after the fault");
	expect_http(web, "after the fault");
	expect_fds(&d, base - 1, "after the fault"); /* less the held connection */
	cr_expect_eq(hd_stop(&d), 0);
}

/* ---- fork failing ----
 * RLIMIT_NPROC does not bind root (the kernel exempts it), and the daemon
 * runs as root here, so fork is made to fail with a pids cgroup holding the
 * daemon at its current task count: fork() then fails with EAGAIN, as it
 * does under RLIMIT_NPROC. Skipped where no pids controller is writable. */

static char cg_dir[128];
static pid_t cg_pid;

static int write_file(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int write_file(const char *path, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = write(fd, buf, (size_t)n) == n ? 0 : -errno;
	close(fd);
	return r;
}

static void cg_release(void)
{
	if (!cg_dir[0])
		return;
	if (cg_pid > 0)
		write_file("/sys/fs/cgroup/pids/cgroup.procs", "%d\n", (int)cg_pid);
	rmdir(cg_dir);
	cg_dir[0] = '\0';
	cg_pid = 0;
}

/* Runs even when an assertion ends the test early. */
static void cg_fini(void)
{
	cg_release();
}

static bool cg_hold(pid_t pid)
{
	snprintf(cg_dir, sizeof cg_dir, "/sys/fs/cgroup/pids/supd-faults-%d", (int)getpid());
	char path[256];
	if (mkdir(cg_dir, 0755) < 0) {
		cg_dir[0] = '\0';
		return false;
	}
	snprintf(path, sizeof path, "%s/cgroup.procs", cg_dir);
	if (write_file(path, "%d\n", (int)pid) < 0) {
		rmdir(cg_dir);
		cg_dir[0] = '\0';
		return false;
	}
	cg_pid = pid;
	char cur[32] = "";
	snprintf(path, sizeof path, "%s/pids.current", cg_dir);
	FILE *f = fopen(path, "r");
	if (f) {
		if (!fgets(cur, sizeof cur, f))
			cur[0] = '\0';
		fclose(f);
	}
	snprintf(path, sizeof path, "%s/pids.max", cg_dir);
	return atoi(cur) > 0 && write_file(path, "%d\n", atoi(cur)) == 0;
}

Test(faults, fork_failing_degrades_and_recovers, .timeout = 60, .fini = cg_fini)
{
	struct hd d;
	hd_init(&d);
	int web = h_free_port(), lazy;
	do
		lazy = h_free_port();
	while (lazy == web);
	hd_unit(&d, "web.socket", "[Socket]\nListenStream=127.0.0.1:%d\n", web);
	hd_unit(&d, "web.service",
		"[Service]\nExecStart=" SDWORKER "\nRestart=always\nRestartSec=100ms\n"
		"[Install]\nWantedBy=multi-user.target\n");
	hd_unit(&d, "lazy.socket", "[Socket]\nListenStream=127.0.0.1:%d\n", lazy);
	hd_unit(&d, "lazy.service", "[Service]\nExecStart=" SDWORKER "\n");
	hd_unit(&d, "plain.service", "[Service]\nExecStart=/bin/sleep 100000\n");
	hd_start(&d);
	expect_running(&d, "web.service", "start");
	expect_running(&d, "plain.service", "start");
	int base = h_count_fds_settled(d.pid);
	int web_pid = 0, plain_pid = 0;
	hd_unit_info(&d, "web.service", NULL, 0, &web_pid, NULL, NULL, 0);
	hd_unit_info(&d, "plain.service", NULL, 0, &plain_pid, NULL, NULL, 0);

	if (!cg_hold(d.pid)) {
		cg_release();
		hd_stop(&d);
		cr_skip_test("no writable pids cgroup: cannot make fork fail");
	}
	/* A crash to restart, and a client to activate a service for. */
	cr_assert_eq(kill(web_pid, SIGKILL), 0);
	int conn = h_connect_tcp(lazy);
	cr_assert_geq(conn, 0);
	static const char req[] = "GET / HTTP/1.0\r\n\r\n";
	cr_assert_eq(write(conn, req, sizeof req - 1), (ssize_t)(sizeof req - 1));
	h_msleep(300);
	double share = cpu_share(d.pid, 1000);
	cr_log_info("daemon CPU while fork fails: %.1f%%", share * 100);
	cr_expect_lt(share, 0.2, "the daemon spins while fork fails: %.0f%% CPU", share * 100);
	expect_answers(&d, "while fork fails");
	char st[64], status[512];
	hd_unit_info(&d, "web.service", st, sizeof st, NULL, NULL, status, sizeof status);
	cr_log_info("web.service while fork fails: %s (%s)", st, status);
	cr_expect(hd_log_has(&d, "fork: Resource temporarily unavailable"), "no failed fork was logged");
	int pid = 0;
	hd_unit_info(&d, "plain.service", st, sizeof st, &pid, NULL, NULL, 0);
	cr_expect_str_eq(st, "running");
	cr_expect_eq(pid, plain_pid);

	/* Lifted: the operator starts what failed; the waiting client is
	 * served (the daemon never let go of its listener). */
	cg_release();
	char out[1024];
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "start", "web", "lazy", NULL), 0, "start: %s", out);
	expect_running(&d, "web.service", "after the fault");
	expect_running(&d, "lazy.service", "after the fault");
	char ans[512];
	cr_expect_gt(h_read_all(conn, ans, sizeof ans, 5000), 0, "the client that waited was not served");
	cr_expect(strstr(ans, "pid "), "answer: '%s'", ans);
	close(conn);
	expect_http(web, "after the fault");
	expect_answers(&d, "after the fault");
	expect_fds(&d, base, "after the fault");
	cr_expect_eq(hd_stop(&d), 0);
}

/* ---- a log directory that is read-only, then full ----
 * A small tmpfs as the log directory (--log-dir), mounted read-only at
 * first, then read-write, then filled up with a file of the test's. */

static char mnt_dir[400];

static void mnt_fini(void)
{
	if (mnt_dir[0])
		umount2(mnt_dir, MNT_DETACH);
	mnt_dir[0] = '\0';
}

/* The last "line N" in a log file (-1 if none). */
static long last_line(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	char line[512];
	long last = -1;
	while (fgets(line, sizeof line, f)) {
		char *p = strstr(line, " line ");
		if (p)
			last = atol(p + 6);
	}
	fclose(f);
	return last;
}

static long wait_growth(const char *path, long beyond, int ms)
{
	long long end = h_now_ms() + ms;
	long n;
	do {
		n = last_line(path);
		if (n > beyond)
			return n;
		h_msleep(20);
	} while (h_now_ms() < end);
	return n;
}

Test(faults, log_dir_read_only_then_full, .timeout = 60, .fini = mnt_fini)
{
	struct hd d;
	hd_init(&d);
	snprintf(mnt_dir, sizeof mnt_dir, "%s/logs", d.dir);
	cr_assert_eq(mkdir(mnt_dir, 0755), 0);
	if (mount("tmpfs", mnt_dir, "tmpfs", MS_RDONLY, "size=256k") < 0) {
		int e = errno;
		mnt_dir[0] = '\0';
		hd_stop(&d);
		cr_skip_test("cannot mount a tmpfs: %s", strerror(e));
	}
	char state[400], logf[600], filler[600];
	snprintf(state, sizeof state, "%s/counter.state", d.dir);
	snprintf(logf, sizeof logf, "%s/count.service.log", mnt_dir);
	snprintf(filler, sizeof filler, "%s/filler", mnt_dir);
	hd_unit(&d, "count.service", "[Service]\nExecStart=" COUNTER "\nEnvironment=STATE=%s\n", state);
	hd_unit(&d, "plain.service", "[Service]\nExecStart=/bin/sleep 100000\n");
	const char *args[] = { "--log-dir", mnt_dir, NULL };
	hd_start_args(&d, H_DAEMON, args);
	expect_running(&d, "count.service", "start");
	expect_running(&d, "plain.service", "start");
	int count_pid = 0;
	hd_unit_info(&d, "count.service", NULL, 0, &count_pid, NULL, NULL, 0);

	/* Read-only: every line is dropped, nothing blocks. */
	double share = cpu_share(d.pid, 1000);
	cr_log_info("daemon CPU with a read-only log dir: %.1f%%", share * 100);
	cr_expect_lt(share, 0.2, "%.0f%% CPU with a read-only log dir", share * 100);
	expect_answers(&d, "read-only log dir");
	cr_expect(hd_log_has(&d, "cannot write its log"), "the dropped lines were not reported");
	cr_expect_eq(hd_log_count(&d, "cannot write its log"), 1, "the warning is not rate-limited");
	cr_expect_neq(access(logf, F_OK), 0, "a log file on a read-only file system?");

	/* Writable: logging starts. */
	cr_assert_eq(mount(NULL, mnt_dir, NULL, MS_REMOUNT, "size=256k"), 0, "remount rw: %s", strerror(errno));
	long first = wait_growth(logf, -1, 5000);
	cr_expect_gt(first, 500, "logging did not resume (last line %ld), or lines were not dropped", first);
	cr_expect(hd_log_has(&d, "count.service: writing its log again"), "the recovery was not logged");
	int base = h_count_fds_settled(d.pid);

	/* Full: the test takes what is left. */
	int ff = open(filler, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	cr_assert_geq(ff, 0);
	static char block[4096];
	memset(block, 'f', sizeof block);
	while (write(ff, block, sizeof block) > 0)
		;
	close(ff);
	long before = last_line(logf);
	share = cpu_share(d.pid, 1000);
	cr_log_info("daemon CPU with a full log dir: %.1f%%", share * 100);
	cr_expect_lt(share, 0.2, "%.0f%% CPU with a full log dir", share * 100);
	expect_answers(&d, "full log dir");
	long stuck = last_line(logf);
	cr_expect_lt(stuck - before, 100, "the log kept growing on a full file system (%ld -> %ld)", before, stuck);
	int pid = 0;
	char st[64];
	hd_unit_info(&d, "count.service", st, sizeof st, &pid, NULL, NULL, 0);
	cr_expect_str_eq(st, "running");
	cr_expect_eq(pid, count_pid, "the service was restarted");

	/* Room again: logging resumes, and the counter never stopped (the
	 * gap is what was dropped, the service was not blocked). */
	cr_assert_eq(unlink(filler), 0);
	long resumed = wait_growth(logf, stuck + 500, 5000);
	cr_expect_gt(resumed, stuck + 500, "logging did not resume (last line %ld)", resumed);
	cr_expect_eq(hd_log_count(&d, "cannot write its log"), 2, "read-only, then full: two warnings");
	cr_expect_eq(hd_log_count(&d, "writing its log again"), 2, "two recoveries");
	hd_unit_info(&d, "count.service", st, sizeof st, &pid, NULL, NULL, 0);
	cr_expect_str_eq(st, "running");
	cr_expect_eq(pid, count_pid, "the service was restarted");
	expect_running(&d, "plain.service", "after the fault");
	expect_fds(&d, base, "after the fault");
	mnt_fini(); /* detached: the daemon's open log file keeps it until it exits */
	cr_expect_eq(hd_stop(&d), 0);
}

/* ---- a SIGSTOPped worker at stop time ---- */

Test(faults, stopped_worker_at_stop_time, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	/* One that dies of SIGTERM once woken, one that ignores it (SIGKILL
	 * after TimeoutStopSec=), one left for the daemon's own shutdown. */
	hd_unit(&d, "sleepy.service", "[Service]\nExecStart=/bin/sleep 100000\nTimeoutStopSec=10s\n");
	hd_unit(&d, "stubborn.service",
		"[Service]\nExecStart=/bin/sh -c 'trap \"\" TERM; while :; do sleep 1; done'\nTimeoutStopSec=1s\n");
	hd_unit(&d, "last.service", "[Service]\nExecStart=/bin/sleep 100000\nTimeoutStopSec=10s\n");
	hd_unit(&d, "plain.service", "[Service]\nExecStart=/bin/sleep 100000\n");
	hd_start(&d);
	const char *units[] = { "sleepy.service", "stubborn.service", "last.service", "plain.service" };
	int pids[4];
	for (int i = 0; i < 4; i++) {
		expect_running(&d, units[i], "start");
		hd_unit_info(&d, units[i], NULL, 0, &pids[i], NULL, NULL, 0);
	}
	int base = h_count_fds_settled(d.pid);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(kill(pids[i], SIGSTOP), 0);

	/* Woken by the SIGCONT that follows the stop signal: well before
	 * TimeoutStopSec=. */
	long long t0 = h_now_ms();
	char out[1024];
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "stop", "sleepy", NULL), 0, "stop sleepy: %s", out);
	long long took = h_now_ms() - t0;
	cr_expect_lt(took, 5000, "a stopped worker took %lld ms to stop", took);
	cr_expect(!h_alive(pids[0]), "sleepy survived");

	/* Stopped and ignoring SIGTERM: SIGKILL after 1 s; the daemon answers
	 * meanwhile. */
	t0 = h_now_ms();
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "stop", "--no-block", "stubborn", NULL), 0, "%s", out);
	expect_answers(&d, "while stopping a stopped worker");
	/* As systemd: a stop that timed out leaves the unit failed. */
	char st[64] = "", status[256] = "";
	long long end = h_now_ms() + 5000;
	while (h_now_ms() < end) {
		hd_unit_info(&d, "stubborn.service", st, sizeof st, NULL, NULL, status, sizeof status);
		if (!strcmp(st, "stopped") || !strcmp(st, "failed"))
			break;
		h_msleep(20);
	}
	took = h_now_ms() - t0;
	cr_expect(!strcmp(st, "stopped") || (!strcmp(st, "failed") && strstr(status, "timed out")),
		  "stubborn.service is %s (%s)", st, status);
	cr_expect(took >= 900 && took < 5000, "stubborn stopped after %lld ms", took);
	cr_expect(!h_alive(pids[1]), "stubborn survived");

	expect_running(&d, "last.service", "after the stops");
	expect_running(&d, "plain.service", "after the stops");
	int pid = 0;
	hd_unit_info(&d, "plain.service", NULL, 0, &pid, NULL, NULL, 0);
	cr_expect_eq(pid, pids[3]);
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "start", "sleepy", "stubborn", NULL), 0, "start: %s", out);
	expect_fds(&d, base, "after the stops");
	/* The daemon's own shutdown with a stopped worker. */
	t0 = h_now_ms();
	cr_expect_eq(hd_stop(&d), 0);
	cr_expect_lt(h_now_ms() - t0, 5000, "shutdown with a stopped worker took %lld ms", h_now_ms() - t0);
	cr_expect(!h_alive(pids[2]), "the stopped worker survived the shutdown");
}

/* ---- clients that disconnect mid-request ---- */

static pid_t spawn_supctl(struct hd *d, const char *cmd, const char *unit)
{
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 1);
		dup2(null, 2);
		execl(H_SUPCTL, H_SUPCTL, "-r", d->rt, cmd, unit, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* One child's share of hostile clients: a request that waits, then gone;
 * half a frame; a frame and gone; nothing at all. */
static void hostile_clients(struct hd *d, int n)
{
	for (int i = 0; i < n; i++) {
		int fd = connect_control(d);
		if (fd < 0)
			continue;
		switch (i % 4) {
		case 0:
			send_hello(fd);
			send_job(fd, PROTO_START, "slow.service");
			break;
		case 1: {
			static const uint8_t half[7] = { 0x40, 0, 0, 0, 3, 0, 0 };
			(void)!send(fd, half, sizeof half, MSG_NOSIGNAL);
			break;
		}
		case 2:
			send_hello(fd);
			break;
		default:
			break;
		}
		close(fd);
	}
}

Test(faults, clients_disconnect_mid_request, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	char ready[400];
	snprintf(ready, sizeof ready, "%s/ready", d.dir);
	hd_unit(&d, "slow.service",
		"[Service]\nType=notify\nExecStart=" NOTIFYWORKER "\nEnvironment=READY_FILE=%s\nTimeoutStartSec=60s\n",
		ready);
	hd_unit(&d, "plain.service", "[Service]\nExecStart=/bin/sleep 100000\n");
	hd_start(&d);
	expect_running(&d, "plain.service", "start");
	cr_assert_eq(hd_wait_state(&d, "slow.service", "starting", 5000), 0);
	int base = h_count_fds_settled(d.pid);

	/* supctl start that waits for the slow service, killed while waiting. */
	enum { NCTL = 20, NCHILD = 8 };
	pid_t waiting[NCTL];
	for (int i = 0; i < NCTL; i++)
		waiting[i] = spawn_supctl(&d, "start", "slow");
	h_msleep(300);
	for (int i = 0; i < NCTL; i++) {
		int st;
		cr_expect_eq(waitpid(waiting[i], &st, WNOHANG), 0, "supctl start %d did not wait", i);
		kill(waiting[i], SIGKILL);
		waitpid(waiting[i], &st, 0);
	}
	/* Raw clients, from several processes at once. */
	pid_t kids[NCHILD];
	for (int k = 0; k < NCHILD; k++) {
		kids[k] = fork();
		cr_assert(kids[k] >= 0);
		if (kids[k] == 0) {
			hostile_clients(&d, 100);
			_exit(0);
		}
	}
	for (int k = 0; k < NCHILD; k++) {
		int st;
		long long end = h_now_ms() + 20000;
		while (waitpid(kids[k], &st, WNOHANG) == 0 && h_now_ms() < end)
			h_msleep(10);
		if (h_now_ms() >= end) {
			kill(kids[k], SIGKILL);
			waitpid(kids[k], &st, 0);
		}
	}
	expect_answers(&d, "after the hostile clients");
	char st[64];
	cr_assert_eq(hd_unit_info(&d, "slow.service", st, sizeof st, NULL, NULL, NULL, 0), 0);
	cr_expect_str_eq(st, "starting");
	expect_fds(&d, base, "after the hostile clients");

	/* The jobs whose clients left finish without them. */
	int fd = open(ready, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	close(fd);
	char out[1024];
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "start", "slow", NULL), 0, "start slow: %s", out);
	expect_running(&d, "slow.service", "after ready");
	expect_running(&d, "plain.service", "after ready");
	expect_answers(&d, "after ready");
	expect_fds(&d, base, "after ready");
	cr_expect_eq(hd_stop(&d), 0);
}

/* ---- re-exec during a storm of restarts and connections ---- */

Test(faults, reexec_during_restart_and_connection_storm, .timeout = 90)
{
	struct hd d;
	hd_init(&d);
	int web = h_free_port(), echo;
	do
		echo = h_free_port();
	while (echo == web);
	hd_unit(&d, "web.socket", "[Socket]\nListenStream=127.0.0.1:%d\n", web);
	hd_unit(&d, "web.service",
		"[Unit]\nStartLimitBurst=0\n"
		"[Service]\nExecStart=" SDWORKER "\nRestart=always\nRestartSec=10ms\n"
		"[Install]\nWantedBy=multi-user.target\n");
	hd_unit(&d, "echo.socket", "[Socket]\nListenStream=127.0.0.1:%d\nAccept=yes\nMaxConnections=256\n", echo);
	/* Reads the whole request first (18 bytes), so closing sends no RST. */
	hd_unit(&d, "echo@.service",
		"[Service]\nStandardInput=socket\n"
		"ExecStart=/bin/sh -c 'head -c 18 >/dev/null; echo \"pid $$$$\"'\n");
	hd_unit(&d, "plain.service", "[Service]\nExecStart=/bin/sleep 100000\n");
	hd_start(&d);
	expect_running(&d, "web.service", "start");
	expect_running(&d, "plain.service", "start");
	int base = h_count_fds_settled(d.pid);
	int plain_pid = 0;
	hd_unit_info(&d, "plain.service", NULL, 0, &plain_pid, NULL, NULL, 0);
	pid_t daemon = d.pid;

	struct h_load lw, le;
	h_load_start(&lw, web, 60000);
	h_load_start(&le, echo, 60000);
	int reexecs = 0, kills = 0, last = 0;
	for (int i = 0; i < 40; i++) {
		int pid = 0;
		if (hd_unit_info(&d, "web.service", NULL, 0, &pid, NULL, NULL, 0) == 0 && pid > 0 && pid != last &&
		    kill(pid, SIGKILL) == 0) {
			last = pid;
			kills++;
		}
		if (i % 5 == 2) {
			char out[1024];
			int rc = hd_ctl(&d, out, sizeof out, "reexec", NULL);
			cr_expect_eq(rc, 0, "reexec %d: rc %d: %s", reexecs, rc, out);
			reexecs++;
		}
		h_msleep(20);
	}
	struct h_load_result rw, re;
	h_load_stop(&le, &re);
	h_load_stop(&lw, &rw);
	cr_log_info("%d re-execs, %d SIGKILLs; web %ld ok %ld failed (%s); echo %ld ok %ld failed (%s)", reexecs,
		    kills, rw.ok, rw.failed, rw.first_error, re.ok, re.failed, re.first_error);
	cr_expect_eq(d.pid, daemon);
	cr_expect(h_alive(daemon), "the daemon is gone");
	cr_expect_gt(rw.ok, 0);
	/* Killing web's worker may cut its requests; nothing cuts echo's. */
	cr_expect_gt(re.ok, 0);
	cr_expect_eq(re.failed, 0, "Accept=yes connections failed across re-execs: %s", re.first_error);

	expect_answers(&d, "after the storm");
	expect_running(&d, "web.service", "after the storm");
	expect_http(web, "after the storm");
	int pid = 0;
	char st[64];
	hd_unit_info(&d, "plain.service", st, sizeof st, &pid, NULL, NULL, 0);
	cr_expect_str_eq(st, "running");
	cr_expect_eq(pid, plain_pid, "plain.service was disturbed");
	cr_assert_eq(hd_unit_info(&d, "echo.socket", st, sizeof st, NULL, NULL, NULL, 0), 0);
	cr_expect_str_eq(st, "listening");
	expect_fds(&d, base, "after the storm");
	cr_expect_eq(hd_stop(&d), 0);
}
