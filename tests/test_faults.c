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
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	unsigned long ut, st;
	/* After the name: state ppid pgrp session tty tpgid flags minflt
	 * cminflt majflt cmajflt utime stime. */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
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

static int connect_tcp(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

/* Read until EOF or ms pass. */
static ssize_t read_all(int fd, char *buf, size_t len, int ms)
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

/* Lines of the daemon's log holding needle. */
static int log_count(struct hd *d, const char *needle)
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
		conn[i] = connect_tcp(port[i]);
		cr_assert_geq(conn[i], 0, "%s: connect: %s", mode[i], strerror(-conn[i]));
		static const char req[] = "GET / HTTP/1.0\r\n\r\n";
		cr_assert_eq(write(conn[i], req, sizeof req - 1), (ssize_t)(sizeof req - 1));
	}
	expect_answers(&d, "during the abuse");
	/* The restarted worker serves the connection that waited. */
	for (int i = 0; i < 2; i++) {
		char ans[512];
		cr_expect_gt(read_all(conn[i], ans, sizeof ans, 8000), 0, "%s: the waiting client was not served",
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
	hd_unit(&d, "web.service", "[Service]\nExecStart=" SDWORKER "\n[Install]\nWantedBy=multi-user.target\n");
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
		conn[i] = connect_tcp(echo);
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
	cr_expect_lt(log_count(&d, "control: accept"), 5, "accept warnings flood the log");
	cr_expect_lt(log_count(&d, "echo.socket: accept"), 5, "accept warnings flood the log");
	cr_expect_lt(log_count(&d, "notify: dropped"), 5, "notify warnings flood the log");

	/* Lift it: every waiting client is served. */
	set_nofile(d.pid, old.rlim_cur);
	for (int i = 0; i < NECHO; i++) {
		char ans[256];
		cr_expect_gt(read_all(conn[i], ans, sizeof ans, 5000), 0, "echo client %d was never served", i);
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
