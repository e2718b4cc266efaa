/*
 * test_notify.c - sd_notify end to end: the real supervisord, workers
 * linked against the real libsystemd (notifyworker), systemd-notify from a
 * shell script, and raw datagrams at the notify socket from this process.
 *
 * Covered: the fd store across `supctl restart`, a crash with automatic
 * restart, and `stop` + `start`; READY=1 gating "starting"; a start that
 * never becomes ready; NotifyAccess=main vs all; STATUS= in supctl status;
 * the watchdog; OpenFile= for a worker that could not open the file; and
 * malformed or hostile datagrams. Every test checks the daemon's
 * descriptor count, and the worker's where it means something.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "harness.h"

#define WORKER H_WORKERS "/notifyworker"

/* The value of "key=" in a report, copied into a static buffer. */
static const char *field(const char *report, const char *key)
{
	static char v[512];
	char k[64];
	snprintf(k, sizeof k, "%s=", key);
	const char *p = report;
	while (p && (p = strstr(p, k)) && p != report && p[-1] != '\n')
		p += strlen(k);
	if (!p)
		return "";
	p += strlen(k);
	size_t l = strcspn(p, "\n");
	snprintf(v, sizeof v, "%.*s", (int)l, p);
	return v;
}

/* Wait (bounded) until the daemon holds exactly want descriptors. */
static int wait_fds(pid_t pid, int want, int ms)
{
	long long end = h_now_ms() + ms;
	int n;
	do {
		n = h_count_fds(pid);
		if (n == want)
			return n;
		h_msleep(20);
	} while (h_now_ms() < end);
	return n;
}

/* The daemon's descriptor count once it has settled (an exec-status pipe
 * or a supctl connection may still be open for a moment). */
static int settled_fds(pid_t pid)
{
	int last = h_count_fds(pid), same = 0;
	for (int i = 0; i < 60 && same < 4; i++) {
		h_msleep(50);
		int n = h_count_fds(pid);
		same = n == last ? same + 1 : 0;
		last = n;
	}
	return last;
}

static void expect_fds(struct hd *d, int want, const char *when)
{
	int n = wait_fds(d->pid, want, 2000);
	if (n != want) {
		char list[4096];
		h_list_fds(d->pid, list, sizeof list);
		cr_expect_eq(n, want, "%s: daemon has %d fds, expected %d:\n%s", when, n, want, list);
	}
}

static int wait_log(struct hd *d, const char *needle, int ms)
{
	long long end = h_now_ms() + ms;
	do {
		if (hd_log_has(d, needle))
			return 0;
		h_msleep(20);
	} while (h_now_ms() < end);
	return -1;
}

/* Wait for a new worker report (the test removed the old one). */
static char *new_report(const char *path)
{
	char *r = h_wait_file(path, 10000);
	cr_assert_not_null(r, "no report at %s", path);
	return r;
}

/* (1) the fd store: kept across restart and crash, released by stop. */
Test(notify, fdstore_restart_crash_stop, .timeout = 90)
{
	struct hd d;
	hd_init(&d);
	char report[400];
	snprintf(report, sizeof report, "%s/report", d.dir);
	hd_unit(&d, "st.service",
		"[Service]\nType=notify\nExecStart=" WORKER "\nEnvironment=REPORT=%s STASH=1\n"
		"FileDescriptorStoreMax=4\nRestart=on-failure\nRestartSec=100ms\n",
		report);
	hd_start(&d);
	cr_assert_eq(hd_wait_state(&d, "st.service", "running", 10000), 0);
	char *r = new_report(report);
	char token[128];
	snprintf(token, sizeof token, "%s", field(r, "stored"));
	cr_assert(strncmp(token, "tok-", 4) == 0, "first start stores a token: %s", r);
	cr_expect_str_eq(field(r, "store_result"), "1");
	cr_expect_str_eq(field(r, "open"), "0,1,2,", "the worker holds only stdio: %s", r);
	int with_store = settled_fds(d.pid);

	/* supctl restart: the new worker gets it back, named. */
	unlink(report);
	cr_assert_eq(hd_ctl(&d, NULL, 0, "restart", "st", NULL), 0);
	r = new_report(report);
	cr_expect_str_eq(field(r, "names"), "stash");
	cr_expect_str_eq(field(r, "fetched"), token, "after restart: %s", r);
	cr_expect_str_eq(field(r, "open"), "0,1,2,3,", "exactly one fd passed: %s", r);
	expect_fds(&d, with_store, "after restart");

	/* A crash and the automatic restart. */
	int pid = atoi(field(r, "pid"));
	cr_assert_gt(pid, 1);
	unlink(report);
	kill(pid, SIGKILL);
	r = new_report(report);
	cr_expect_str_eq(field(r, "fetched"), token, "after a crash: %s", r);
	cr_assert_eq(hd_wait_state(&d, "st.service", "running", 5000), 0);
	int restarts = -1;
	cr_assert_eq(hd_unit_info(&d, "st.service", NULL, 0, NULL, &restarts, NULL, 0), 0);
	cr_expect_eq(restarts, 1);
	expect_fds(&d, with_store, "after the automatic restart");

	/* stop releases it; the next start stores a new token. */
	cr_assert_eq(hd_ctl(&d, NULL, 0, "stop", "st", NULL), 0);
	cr_assert_eq(hd_wait_state(&d, "st.service", "stopped", 5000), 0);
	expect_fds(&d, with_store - 1, "after stop");
	unlink(report);
	cr_assert_eq(hd_ctl(&d, NULL, 0, "start", "st", NULL), 0);
	r = new_report(report);
	cr_expect_str_eq(field(r, "fetched"), "", "nothing comes back after stop: %s", r);
	cr_expect(strncmp(field(r, "stored"), "tok-", 4) == 0);
	cr_expect_str_neq(field(r, "stored"), token);
	cr_expect_str_eq(field(r, "open"), "0,1,2,");
	cr_assert_eq(hd_wait_state(&d, "st.service", "running", 5000), 0);
	expect_fds(&d, with_store, "after stop and start");
	cr_expect_eq(hd_stop(&d), 0);
}

/* FileDescriptorStorePreserve=yes keeps the store across stop + start. */
Test(notify, fdstore_preserve_yes, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	char report[400];
	snprintf(report, sizeof report, "%s/report", d.dir);
	hd_unit(&d, "st.service",
		"[Service]\nType=notify\nExecStart=" WORKER "\nEnvironment=REPORT=%s STASH=1\n"
		"FileDescriptorStoreMax=1\nFileDescriptorStorePreserve=yes\n",
		report);
	hd_start(&d);
	cr_assert_eq(hd_wait_state(&d, "st.service", "running", 10000), 0);
	char token[128];
	snprintf(token, sizeof token, "%s", field(new_report(report), "stored"));
	int n = settled_fds(d.pid);
	cr_assert_eq(hd_ctl(&d, NULL, 0, "stop", "st", NULL), 0);
	expect_fds(&d, n, "stopped, store preserved");
	unlink(report);
	cr_assert_eq(hd_ctl(&d, NULL, 0, "start", "st", NULL), 0);
	cr_expect_str_eq(field(new_report(report), "fetched"), token);
	cr_expect_eq(hd_stop(&d), 0);
}

/* (2) READY=1 ends "starting"; supctl start returns once it is running. */
Test(notify, ready_gates_starting, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	char report[400], trigger[400], out[4096];
	snprintf(report, sizeof report, "%s/report", d.dir);
	snprintf(trigger, sizeof trigger, "%s/go", d.dir);
	hd_unit(&d, "n.service",
		"[Service]\nType=notify\nExecStart=" WORKER "\nEnvironment=REPORT=%s READY_FILE=%s "
		"STATUS_TEXT=serving\n",
		report, trigger);
	hd_start(&d);
	int base = settled_fds(d.pid);
	new_report(report);
	char st[64], status[256];
	for (int i = 0; i < 5; i++) {
		cr_assert_eq(hd_unit_info(&d, "n.service", st, sizeof st, NULL, NULL, NULL, 0), 0);
		cr_expect_str_eq(st, "starting", "no READY=1 yet");
		h_msleep(60);
	}
	FILE *f = fopen(trigger, "w");
	cr_assert_not_null(f);
	fclose(f);
	cr_assert_eq(hd_wait_state(&d, "n.service", "running", 5000), 0);
	long long end = h_now_ms() + 3000;
	do {
		cr_assert_eq(hd_unit_info(&d, "n.service", NULL, 0, NULL, NULL, status, sizeof status), 0);
	} while (strcmp(status, "serving") && h_now_ms() < end && (h_msleep(20), 1));
	cr_expect_str_eq(status, "serving", "STATUS= is shown");
	cr_assert_eq(hd_ctl(&d, out, sizeof out, "status", NULL), 0);
	cr_expect(strstr(out, "serving") != NULL, "supctl status shows STATUS=: %s", out);
	expect_fds(&d, base, "ready");
	cr_expect_eq(hd_stop(&d), 0);
}

/* (2) no READY=1 within TimeoutStartSec=: failed, process gone. */
Test(notify, start_timeout_without_ready, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	char report[400];
	snprintf(report, sizeof report, "%s/report", d.dir);
	hd_unit(&d, "n.service",
		"[Service]\nType=notify\nExecStart=" WORKER "\nEnvironment=REPORT=%s NO_READY=1\n"
		"TimeoutStartSec=1s\nTimeoutStopSec=2s\n",
		report);
	hd_start(&d);
	int base = settled_fds(d.pid);
	int pid = atoi(field(new_report(report), "pid"));
	long long t0 = h_now_ms();
	cr_assert_eq(hd_wait_state(&d, "n.service", "failed", 8000), 0);
	cr_expect_geq(h_now_ms() - t0, 500, "not before the timeout");
	char status[256];
	cr_assert_eq(hd_unit_info(&d, "n.service", NULL, 0, NULL, NULL, status, sizeof status), 0);
	cr_expect(strstr(status, "timed out") != NULL, "status: %s", status);
	cr_expect(!h_alive(pid));
	expect_fds(&d, base, "after the failed start");
	cr_expect_eq(hd_stop(&d), 0);
}

/* A start timeout is a failure like any other: Restart=on-failure starts
 * the service again (systemd's TimeoutStartFailureMode=terminate). */
Test(notify, start_timeout_then_restart_on_failure, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	char report[400];
	snprintf(report, sizeof report, "%s/report", d.dir);
	hd_unit(&d, "n.service",
		"[Service]\nType=notify\nExecStart=" WORKER "\nEnvironment=REPORT=%s NO_READY=1\n"
		"TimeoutStartSec=300ms\nTimeoutStopSec=2s\nRestart=on-failure\nRestartSec=100ms\n",
		report);
	hd_start(&d);
	int first = atoi(field(new_report(report), "pid"));
	unlink(report); /* the next process writes a new one */
	int restarts = 0;
	long long end = h_now_ms() + 10000;
	while (restarts < 1 && h_now_ms() < end) {
		hd_unit_info(&d, "n.service", NULL, 0, NULL, &restarts, NULL, 0);
		h_msleep(20);
	}
	cr_expect_geq(restarts, 1, "no restart after the start timeout");
	cr_expect(hd_log_has(&d, "start timed out"));
	int second = atoi(field(new_report(report), "pid"));
	cr_expect_neq(second, first, "the same process after the restart");
	cr_expect(!h_alive(first), "the timed-out process survived");
	cr_expect_eq(hd_stop(&d), 0);
}

/* (2) systemd-notify --ready from a shell script (in a subshell, so the
 * sender is neither the main process nor its child's parent). */
Test(notify, systemd_notify_from_shell, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	hd_unit(&d, "sh.service",
		"[Service]\nType=notify\nNotifyAccess=all\n"
		"ExecStart=/bin/sh -c '(sleep 0.3; systemd-notify --ready --status=\"shell ready\"); "
		"exec sleep 600'\n");
	hd_start(&d);
	char st[64], status[256];
	cr_assert_eq(hd_unit_info(&d, "sh.service", st, sizeof st, NULL, NULL, NULL, 0), 0);
	cr_expect_str_eq(st, "starting");
	cr_assert_eq(hd_wait_state(&d, "sh.service", "running", 10000), 0);
	cr_assert_eq(hd_unit_info(&d, "sh.service", NULL, 0, NULL, NULL, status, sizeof status), 0);
	cr_expect_str_eq(status, "shell ready");
	cr_expect_eq(hd_stop(&d), 0);
}

/* (3) NotifyAccess=main: a child's STATUS= changes nothing; with all it
 * does. */
Test(notify, access_main_refuses_child, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	char rm[400], ra[400], child[420], status[256], pidstr[64];
	snprintf(rm, sizeof rm, "%s/main.report", d.dir);
	snprintf(ra, sizeof ra, "%s/all.report", d.dir);
	hd_unit(&d, "m.service",
		"[Service]\nType=notify\nNotifyAccess=main\nExecStart=" WORKER "\n"
		"Environment=REPORT=%s STATUS_TEXT=from-main CHILD_STATUS=from-child\n",
		rm);
	hd_unit(&d, "a.service",
		"[Service]\nType=notify\nNotifyAccess=all\nExecStart=" WORKER "\n"
		"Environment=REPORT=%s STATUS_TEXT=from-main CHILD_STATUS=from-child\n",
		ra);
	hd_start(&d);
	cr_assert_eq(hd_wait_state(&d, "m.service", "running", 10000), 0);
	cr_assert_eq(hd_wait_state(&d, "a.service", "running", 10000), 0);
	int base = settled_fds(d.pid);

	snprintf(child, sizeof child, "%s.child", rm);
	char *c = h_wait_file(child, 5000);
	cr_assert_not_null(c);
	cr_expect_str_eq(field(c, "result"), "1", "the child's sd_notify was sent");
	cr_expect_str_eq(field(c, "barrier"), "1", "and the barrier released: it has been processed");
	snprintf(pidstr, sizeof pidstr, "from pid %s refused", field(c, "child"));
	cr_expect_eq(wait_log(&d, pidstr, 3000), 0, "the refusal is logged with the pid (%s)", pidstr);
	cr_assert_eq(hd_unit_info(&d, "m.service", NULL, 0, NULL, NULL, status, sizeof status), 0);
	cr_expect_str_eq(status, "from-main");

	snprintf(child, sizeof child, "%s.child", ra);
	c = h_wait_file(child, 5000);
	cr_assert_not_null(c);
	cr_expect_str_eq(field(c, "barrier"), "1");
	long long end = h_now_ms() + 3000;
	do {
		cr_assert_eq(hd_unit_info(&d, "a.service", NULL, 0, NULL, NULL, status, sizeof status), 0);
	} while (strcmp(status, "from-child") && h_now_ms() < end && (h_msleep(20), 1));
	cr_expect_str_eq(status, "from-child", "NotifyAccess=all takes the child's STATUS=");
	expect_fds(&d, base, "after the children's messages");
	cr_expect_eq(hd_stop(&d), 0);
}

/* The status text of unit, "" when it has none. */
static const char *status_of(struct hd *d, const char *unit)
{
	static char status[256];
	cr_assert_eq(hd_unit_info(d, unit, NULL, 0, NULL, NULL, status, sizeof status), 0);
	return status;
}

/* (3b) NotifyAccess=exec, systemd's table: the main process and the
 * control processes (ExecReload= here) are heard, their children are not;
 * with all, the children are too; with main, control processes do not even
 * get NOTIFY_SOCKET. The sender (notifyworker --send, libsystemd's
 * sd_notify) waits on a barrier until its message was processed.
 * (systemd-notify would not do: it sends as its parent.) */
Test(notify, access_exec_hears_control_processes_not_their_children, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	char rx[400], child[420], pidstr[64], envfile[400], out[1024];
	snprintf(rx, sizeof rx, "%s/x.report", d.dir);
	snprintf(envfile, sizeof envfile, "%s/w.env", d.dir);
	hd_unit(&d, "x.service",
		"[Service]\nType=notify\nNotifyAccess=exec\nExecStart=" WORKER "\n"
		"Environment=REPORT=%s STATUS_TEXT=from-main CHILD_STATUS=from-child\n"
		"ExecReload=" WORKER " --send STATUS=from-control\n",
		rx);
	hd_unit(&d, "y.service",
		"[Service]\nNotifyAccess=exec\nExecStart=/bin/sleep 100000\n"
		"ExecReload=/bin/sh -c '" WORKER " --send STATUS=from-grandchild; true'\n");
	hd_unit(&d, "z.service",
		"[Service]\nNotifyAccess=all\nExecStart=/bin/sleep 100000\n"
		"ExecReload=/bin/sh -c '" WORKER " --send STATUS=from-grandchild; true'\n");
	hd_unit(&d, "w.service",
		"[Service]\nNotifyAccess=main\nExecStart=/bin/sleep 100000\n"
		"ExecReload=/bin/sh -c 'echo \"notify=$NOTIFY_SOCKET\" > %s'\n",
		envfile);
	hd_start(&d);
	const char *units[] = { "x.service", "y.service", "z.service", "w.service" };
	for (int i = 0; i < 4; i++)
		cr_assert_eq(hd_wait_state(&d, units[i], "running", 10000), 0, "%s", units[i]);
	int base = settled_fds(d.pid);

	/* The main process's child is refused under exec. */
	snprintf(child, sizeof child, "%s.child", rx);
	char *c = h_wait_file(child, 5000);
	cr_assert_not_null(c);
	cr_expect_str_eq(field(c, "barrier"), "1");
	snprintf(pidstr, sizeof pidstr, "from pid %s refused", field(c, "child"));
	cr_expect_eq(wait_log(&d, pidstr, 3000), 0, "the child's message was not refused (%s)", pidstr);
	cr_expect_str_eq(status_of(&d, "x.service"), "from-main");

	/* A control process is heard. */
	cr_assert_eq(hd_ctl(&d, out, sizeof out, "reload", "x", NULL), 0, "reload x: %s", out);
	cr_expect_str_eq(status_of(&d, "x.service"), "from-control");
	/* Its child is not under exec, and is under all. */
	cr_assert_eq(hd_ctl(&d, out, sizeof out, "reload", "y", NULL), 0, "reload y: %s", out);
	cr_expect_str_eq(status_of(&d, "y.service"), "");
	cr_expect_eq(wait_log(&d, "y.service: notify message from pid", 3000), 0, "y's refusal is not logged");
	cr_assert_eq(hd_ctl(&d, out, sizeof out, "reload", "z", NULL), 0, "reload z: %s", out);
	cr_expect_str_eq(status_of(&d, "z.service"), "from-grandchild");
	/* Under main, a control process has no socket to send to. */
	cr_assert_eq(hd_ctl(&d, out, sizeof out, "reload", "w", NULL), 0, "reload w: %s", out);
	char *env = h_wait_file(envfile, 3000);
	cr_expect(env && !strcmp(env, "notify=\n"), "w's ExecReload= got %s", env ? env : "nothing");
	expect_fds(&d, base, "after the control processes' messages");
	cr_expect_eq(hd_stop(&d), 0);
}

/* ---- raw datagrams ---- */

/* Send payload with fds; with pid > 0, claim that sender pid (root may). */
static int send_raw(const char *path, const void *buf, size_t len, const int *fds, size_t nfds, pid_t pid)
{
	int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	int big = 1 << 20;
	setsockopt(s, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
	/* NOTIFY_SOCKET's form: "@name" is the abstract namespace, as libsystemd
	 * reads it (the daemon's socket is abstract). */
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	socklen_t salen = sizeof sa;
	if (path[0] == '@') {
		sa.sun_path[0] = '\0';
		salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
	}
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	static char cbuf[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int) * 253)];
	memset(cbuf, 0, sizeof cbuf);
	struct msghdr mh = { .msg_name = &sa, .msg_namelen = salen, .msg_iov = &iov, .msg_iovlen = 1 };
	size_t cl = 0;
	if (nfds) {
		struct cmsghdr *c = (struct cmsghdr *)cbuf;
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
		cl += CMSG_SPACE(sizeof(int) * nfds);
	}
	if (pid > 0) {
		struct cmsghdr *c = (struct cmsghdr *)(cbuf + cl);
		struct ucred uc = { .pid = pid, .uid = 0, .gid = 0 };
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_CREDENTIALS;
		c->cmsg_len = CMSG_LEN(sizeof uc);
		memcpy(CMSG_DATA(c), &uc, sizeof uc);
		cl += CMSG_SPACE(sizeof uc);
	}
	mh.msg_control = cl ? cbuf : NULL;
	mh.msg_controllen = cl;
	int r = sendmsg(s, &mh, MSG_NOSIGNAL) < 0 ? -errno : 0;
	close(s);
	return r;
}

/* n fresh memfds (distinct objects), to send and then close. */
static void make_fds(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		fds[i] = memfd_create("t", MFD_CLOEXEC);
		cr_assert_geq(fds[i], 0);
	}
}

static void close_all(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		close(fds[i]);
}

static void send_and_close(const char *path, const char *text, size_t nfds, pid_t pid)
{
	int fds[253];
	make_fds(fds, nfds);
	cr_expect_eq(send_raw(path, text, strlen(text), fds, nfds, pid), 0, "send '%s'", text);
	close_all(fds, nfds);
}

static void status_answers(struct hd *d, const char *when)
{
	char st[64];
	cr_expect_eq(hd_unit_info(d, "w.service", st, sizeof st, NULL, NULL, NULL, 0), 0, "%s", when);
	cr_expect_str_eq(st, "running", "%s", when);
}

/* (5) hostile and malformed datagrams: every fd is closed or stored. */
Test(notify, bad_datagrams, .timeout = 90)
{
	struct hd d;
	hd_init(&d);
	char report[400], sock[400];
	snprintf(report, sizeof report, "%s/report", d.dir);
	hd_unit(&d, "w.service",
		"[Service]\nType=notify\nExecStart=" WORKER "\nEnvironment=REPORT=%s\n"
		"FileDescriptorStoreMax=4\n",
		report);
	hd_start(&d);
	snprintf(sock, sizeof sock, "@supervisord%s/notify", d.rt);
	cr_assert_eq(hd_wait_state(&d, "w.service", "running", 10000), 0);
	int wpid = -1;
	cr_assert_eq(hd_unit_info(&d, "w.service", NULL, 0, &wpid, NULL, NULL, 0), 0);
	int base = settled_fds(d.pid);

	/* Over 4096 bytes, with fds: truncated, dropped. */
	static char big[5000];
	memset(big, 'A', sizeof big);
	memcpy(big, "FDSTORE=1\nX=", 12);
	int fds[253];
	make_fds(fds, 3);
	cr_expect_eq(send_raw(sock, big, sizeof big, fds, 3, wpid), 0);
	close_all(fds, 3);
	cr_expect_eq(wait_log(&d, "message too long", 3000), 0);
	expect_fds(&d, base, "oversized datagram");
	status_answers(&d, "after oversized");

	/* Empty, embedded NUL, unknown pid (ours): dropped, fds closed. */
	make_fds(fds, 2);
	cr_expect_eq(send_raw(sock, "", 0, fds, 2, wpid), 0);
	cr_expect_eq(send_raw(sock, "FDSTORE=1\0x", 11, fds, 2, wpid), 0);
	cr_expect_eq(send_raw(sock, "FDSTORE=1", 9, fds, 2, 0), 0);
	close_all(fds, 2);
	cr_expect_eq(wait_log(&d, "empty message", 3000), 0);
	cr_expect_eq(wait_log(&d, "NUL byte", 3000), 0);
	char mine[64];
	snprintf(mine, sizeof mine, "from pid %d, which belongs to no", (int)getpid());
	cr_expect_eq(wait_log(&d, mine, 3000), 0);
	expect_fds(&d, base, "empty/NUL/unknown");

	/* Unknown assignments, and fds without FDSTORE=1: closed. */
	send_and_close(sock, "X_FOO=1\nBUSERROR=a.b\nWHATEVER\n=\nREADY=2", 5, wpid);
	expect_fds(&d, base, "unknown assignments");

	/* More than FileDescriptorStoreMax=4: four kept, the rest closed. */
	send_and_close(sock, "FDSTORE=1\nFDNAME=many", 10, wpid);
	cr_expect_eq(wait_log(&d, "cannot store more fds than FileDescriptorStoreMax=4", 3000), 0);
	expect_fds(&d, base + 4, "store full");
	send_and_close(sock, "FDSTOREREMOVE=1\nFDNAME=many", 0, wpid);
	expect_fds(&d, base, "FDSTOREREMOVE");

	/* Malformed FDNAME=: the fd is stored under the default name, which
	 * the next start shows in LISTEN_FDNAMES. */
	send_and_close(sock, "FDSTORE=1\nFDNAME=bad:name", 1, wpid);
	cr_expect_eq(wait_log(&d, "FDNAME= from pid", 3000), 0);
	expect_fds(&d, base + 1, "malformed FDNAME");
	unlink(report);
	cr_assert_eq(hd_ctl(&d, NULL, 0, "restart", "w", NULL), 0);
	char *r = new_report(report);
	cr_expect_str_eq(field(r, "names"), "stored", "%s", r);
	cr_expect_str_eq(field(r, "open"), "0,1,2,3,", "%s", r);
	cr_assert_eq(hd_wait_state(&d, "w.service", "running", 5000), 0);
	wpid = atoi(field(r, "pid"));
	send_and_close(sock, "FDSTOREREMOVE=1\nFDNAME=stored", 0, wpid);
	expect_fds(&d, base, "removed the default-named fd");

	/* MSG_CTRUNC: lower the daemon's RLIMIT_NOFILE so the kernel cannot
	 * install every fd; the ones it did install must be closed. */
	struct rlimit old, low;
	cr_assert_eq(prlimit(d.pid, RLIMIT_NOFILE, NULL, &old), 0);
	low = old;
	low.rlim_cur = (rlim_t)base + 20;
	cr_assert_eq(prlimit(d.pid, RLIMIT_NOFILE, &low, NULL), 0);
	send_and_close(sock, "FDSTORE=1\nFDNAME=flood", 200, wpid);
	int ok = wait_log(&d, "control data truncated", 3000);
	cr_assert_eq(prlimit(d.pid, RLIMIT_NOFILE, &old, NULL), 0);
	cr_expect_eq(ok, 0, "MSG_CTRUNC was seen and logged");
	expect_fds(&d, base, "truncated control data");

	/* BARRIER=1 with its one fd: closed at once (the sender's poll ends). */
	int p[2];
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	cr_expect_eq(send_raw(sock, "BARRIER=1", 9, &p[1], 1, wpid), 0);
	close(p[1]);
	char c;
	cr_expect_eq(read(p[0], &c, 1), 0, "EOF: the daemon closed its copy");
	close(p[0]);

	status_answers(&d, "after everything");
	expect_fds(&d, base, "at the end");
	cr_expect_eq(hd_stop(&d), 0);
}

/* FDSTORE=1 without FileDescriptorStoreMax=: closed without a warning. */
Test(notify, fdstore_not_configured, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	char report[400], sock[400];
	snprintf(report, sizeof report, "%s/report", d.dir);
	hd_unit(&d, "w.service", "[Service]\nType=notify\nExecStart=" WORKER "\nEnvironment=REPORT=%s STASH=1\n",
		report);
	hd_start(&d);
	cr_assert_eq(hd_wait_state(&d, "w.service", "running", 10000), 0);
	int base = settled_fds(d.pid);
	snprintf(sock, sizeof sock, "@supervisord%s/notify", d.rt);
	int wpid = atoi(field(new_report(report), "pid"));
	send_and_close(sock, "FDSTORE=1", 5, wpid);
	expect_fds(&d, base, "no store configured");
	cr_expect(!hd_log_has(&d, "cannot store"));
	status_answers(&d, "after");
	cr_expect_eq(hd_stop(&d), 0);
}

/* Watchdog: pings keep it alive; silence means SIGABRT and Restart=. */
Test(notify, watchdog_abort_restart, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	char report[400], stop[400];
	snprintf(report, sizeof report, "%s/report", d.dir);
	snprintf(stop, sizeof stop, "%s/stop-ping", d.dir);
	hd_unit(&d, "wd.service",
		"[Service]\nType=notify\nExecStart=" WORKER "\nEnvironment=REPORT=%s STOP_PING=%s\n"
		"WatchdogSec=600ms\nRestart=on-failure\nRestartSec=100ms\n",
		report, stop);
	hd_start(&d);
	cr_assert_eq(hd_wait_state(&d, "wd.service", "running", 10000), 0);
	int base = settled_fds(d.pid);
	int pid = atoi(field(new_report(report), "pid"));
	h_msleep(1500); /* well past the interval: pings keep it */
	int p2 = -1, restarts = -1;
	cr_assert_eq(hd_unit_info(&d, "wd.service", NULL, 0, &p2, &restarts, NULL, 0), 0);
	cr_expect_eq(p2, pid);
	cr_expect_eq(restarts, 0);

	unlink(report);
	FILE *f = fopen(stop, "w");
	cr_assert_not_null(f);
	fprintf(f, "%d\n", pid);
	fclose(f);
	char *r = new_report(report);
	cr_expect_neq(atoi(field(r, "pid")), pid);
	cr_assert_eq(hd_wait_state(&d, "wd.service", "running", 5000), 0);
	cr_assert_eq(hd_unit_info(&d, "wd.service", NULL, 0, &p2, &restarts, NULL, 0), 0);
	cr_expect_eq(restarts, 1);
	cr_expect(hd_log_has(&d, "watchdog timeout"));
	cr_expect(hd_log_has(&d, "killed by signal 6"), "SIGABRT");
	cr_expect(!h_alive(pid));
	expect_fds(&d, base, "after the watchdog restart");
	cr_expect_eq(hd_stop(&d), 0);
}

/* WatchdogSignal=, TimeoutAbortSec=, FinalKillSignal= and
 * RestartKillSignal= replace SIGABRT, TimeoutStopSec=, SIGKILL and
 * KillSignal= where systemd uses them. The shells log what they get. */
Test(notify, watchdog_and_kill_signals, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	char f[400], g[400], out[1024];
	snprintf(f, sizeof f, "%s/wd.log", d.dir);
	snprintf(g, sizeof g, "%s/rs.log", d.dir);
	hd_unit(&d, "wd.service",
		"[Service]\nWatchdogSec=200ms\nWatchdogSignal=SIGUSR1\nTimeoutAbortSec=300ms\nFinalKillSignal=SIGINT\n"
		"ExecStart=/bin/sh -c 'trap \"echo usr1 >> %s\" USR1; trap \"echo int >> %s; exit 3\" INT; "
		"while :; do sleep 0.05; done'\n[Install]\nWantedBy=multi-user.target\n", f, f);
	hd_unit(&d, "rs.service",
		"[Service]\nRestartKillSignal=SIGUSR2\n"
		"ExecStart=/bin/sh -c 'trap \"echo usr2 >> %s; exit 0\" USR2; trap \"echo term >> %s; exit 0\" TERM; "
		"touch %s.ready; while :; do sleep 0.05; done'\n[Install]\nWantedBy=multi-user.target\n", g, g, g);
	hd_start(&d);
	cr_expect_eq(hd_wait_state(&d, "wd.service", "failed", 5000), 0);
	char *t = h_slurp(f);
	cr_expect(t && !strcmp(t, "usr1\nint\n"), "%s", t ? t : "(no log)");
	cr_expect(hd_log_has(&d, "aborting pid"), "no watchdog abort logged");
	cr_expect(hd_log_has(&d, "survived the watchdog's SIGUSR1, sending SIGINT"), "no final kill logged");
	cr_expect(hd_log_has(&d, "wd.service: main process exited with status 3"));

	cr_assert_eq(hd_wait_state(&d, "rs.service", "running", 5000), 0);
	int base = settled_fds(d.pid);
	/* A simple service is running at its exec, before its shell has set
	 * the traps: the stop waits for the new one to say it has. */
	char ready[420];
	snprintf(ready, sizeof ready, "%s.ready", g);
	cr_assert_not_null(h_wait_file(ready, 5000));
	unlink(ready);
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "restart", "rs", NULL), 0, "%s", out);
	cr_expect_not_null(h_wait_file(ready, 5000), "the restarted shell did not set its traps");
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "stop", "rs", NULL), 0, "%s", out);
	t = h_slurp(g);
	cr_expect(t && !strcmp(t, "usr2\nterm\n"), "a restart must use RestartKillSignal=, a stop KillSignal=: %s",
		  t ? t : "(no log)");
	expect_fds(&d, base, "after the restart and the stop");
	cr_expect_eq(hd_stop(&d), 0);
}

/* Type=notify-reload (systemd 253): `supctl reload` sends ReloadSignal=
 * (SIGHUP) and answers once the service has said RELOADING=1 and then
 * READY=1; a service that never says so fails the reload after
 * TimeoutStartSec= and keeps running. */
Test(notify, notify_reload, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	char f[400], g[400], out[1024], st[64];
	snprintf(f, sizeof f, "%s/nr.log", d.dir);
	snprintf(g, sizeof g, "%s/mute.log", d.dir);
	hd_unit(&d, "nr.service", "[Service]\nType=notify-reload\nExecStart=" WORKER "\nEnvironment=RELOAD_LOG=%s\n"
		"[Install]\nWantedBy=multi-user.target\n", f);
	hd_unit(&d, "mute.service", "[Service]\nType=notify-reload\nTimeoutStartSec=500ms\nExecStart=" WORKER "\n"
		"Environment=RELOAD_LOG=%s RELOAD_MUTE=1\n[Install]\nWantedBy=multi-user.target\n", g);
	hd_start(&d);
	cr_assert_eq(hd_wait_state(&d, "nr.service", "running", 5000), 0, "READY=1 starts it, as Type=notify");
	cr_assert_eq(hd_wait_state(&d, "mute.service", "running", 5000), 0);
	int base = settled_fds(d.pid), pid = 0, pid2 = 0;
	cr_assert_eq(hd_unit_info(&d, "nr.service", NULL, 0, &pid, NULL, NULL, 0), 0);

	cr_expect_eq(hd_ctl(&d, out, sizeof out, "reload", "nr", NULL), 0, "%s", out);
	/* Answered after READY=1, which the worker sends after writing. */
	char *t = h_slurp(f);
	cr_expect(t && !strcmp(t, "reload 1\n"), "the reload was answered before the service had done it: %s",
		  t ? t : "(nothing)");
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "reload", "nr", NULL), 0, "%s", out);
	t = h_slurp(f);
	cr_expect(t && !strcmp(t, "reload 1\nreload 2\n"), "%s", t ? t : "(nothing)");
	cr_assert_eq(hd_unit_info(&d, "nr.service", st, sizeof st, &pid2, NULL, NULL, 0), 0);
	cr_expect_str_eq(st, "running");
	cr_expect_eq(pid2, pid, "a reload is not a restart");

	long long t0 = h_now_ms();
	cr_expect_neq(hd_ctl(&d, out, sizeof out, "reload", "mute", NULL), 0, "a reload nobody confirms must fail");
	cr_expect(strstr(out, "reload timed out"), "%s", out);
	cr_expect_geq(h_now_ms() - t0, 400, "answered before TimeoutStartSec=");
	cr_expect_not_null(h_wait_file(g, 2000), "the signal did not reach the service");
	cr_assert_eq(hd_unit_info(&d, "mute.service", st, sizeof st, NULL, NULL, NULL, 0), 0);
	cr_expect_str_eq(st, "running", "a failed reload leaves the service running");
	expect_fds(&d, base, "after the reloads");
	cr_expect_eq(hd_stop(&d), 0);
}

/* OpenFile=: a worker running as nobody gets a root-only file. */
Test(notify, openfile_for_nobody, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	char pub[400], report[420], secret[400];
	snprintf(pub, sizeof pub, "%s/pub", d.dir);
	snprintf(report, sizeof report, "%s/report", pub);
	snprintf(secret, sizeof secret, "%s/secret.txt", d.dir);
	cr_assert_eq(chmod(d.dir, 0711), 0);
	cr_assert_eq(mkdir(pub, 0777), 0);
	cr_assert_eq(chmod(pub, 0777), 0);
	int fd = open(secret, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "s3cret", 6), 6);
	close(fd);
	hd_unit(&d, "of.service",
		"[Service]\nExecStart=" WORKER "\nUser=nobody\nOpenFile=%s:secret:read-only\n"
		"OpenFile=%s\nEnvironment=REPORT=%s OPENFILE_NAME=secret OPENFILE_PATH=%s\n",
		secret, secret, report, secret);
	hd_start(&d);
	int base = settled_fds(d.pid);
	char *r = new_report(report);
	cr_expect_str_eq(field(r, "openfile"), "s3cret", "%s", r);
	cr_expect_str_eq(field(r, "direct_open"), "EACCES", "nobody cannot open it itself: %s", r);
	cr_expect_str_eq(field(r, "names"), "secret:secret.txt", "default name is the basename: %s", r);
	cr_expect_str_eq(field(r, "open"), "0,1,2,3,4,", "%s", r);
	cr_assert_eq(hd_wait_state(&d, "of.service", "running", 5000), 0);
	expect_fds(&d, base, "OpenFile= fds are not kept by the daemon");
	cr_expect_eq(hd_stop(&d), 0);
}

Test(notify, other_user_can_notify, .timeout = 30)
{
	/* The runtime directory is 0700 (root's); a User= service must still
	 * reach NOTIFY_SOCKET, as under systemd. */
	struct hd d;
	hd_init(&d);
	hd_unit(&d, "nob.service",
		"[Service]\nType=notify\nNotifyAccess=all\nUser=nobody\nTimeoutStartSec=10s\n"
		"ExecStart=/bin/sh -c 'systemd-notify --ready --status=as-nobody; exec sleep 1000'\n");
	hd_start(&d);
	cr_expect_eq(hd_wait_state(&d, "nob.service", "running", 8000), 0, "a User=nobody service could not notify");
	char st[64], status[256];
	int pid = 0;
	cr_assert_eq(hd_unit_info(&d, "nob.service", st, sizeof st, &pid, NULL, status, sizeof status), 0);
	cr_expect_str_eq(status, "as-nobody");
	cr_expect_eq(hd_stop(&d), 0);
}
