/*
 * test_foundation.c - the real supervisord, real workers, real sockets:
 * exec-time descriptor passing (sd_listen_fds), socket activation, restart
 * under load, bad input, and shutdown. Every test checks the descriptors of
 * the daemon and of its workers.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"

#define SDWORKER H_WORKERS "/sdworker"

/* The pid in a worker's answer "pid N". */
static int answer_pid(const char *answer)
{
	const char *p = strstr(answer, "pid ");
	return p ? atoi(p + 4) : -1;
}

/* A /proc/PID/status mask line ("SigIgn:", "SigBlk:") is all zeros. */
/* The mask of /proc/PID/status field ("SigIgn:"), ~0 if unreadable. */
static unsigned long long mask_of(pid_t pid, const char *field)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "re");
	unsigned long long m = ~0ull;
	if (!f)
		return m;
	while (fgets(line, sizeof line, f))
		if (!strncmp(line, field, strlen(field)))
			m = strtoull(line + strlen(field), NULL, 16);
	fclose(f);
	return m;
}

/* As under systemd (IgnoreSIGPIPE=yes): SIGPIPE ignored, nothing else. */
static bool ignores_only_sigpipe(pid_t pid)
{
	return mask_of(pid, "SigIgn:") == 1ull << (SIGPIPE - 1);
}

static bool mask_empty(pid_t pid, const char *field)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	bool empty = false;
	while (fgets(line, sizeof line, f))
		if (!strncmp(line, field, strlen(field))) {
			const char *p = line + strlen(field);
			empty = true;
			for (; *p && *p != '\n'; p++)
				if (*p != '0' && *p != '\t' && *p != ' ')
					empty = false;
		}
	fclose(f);
	return empty;
}

Test(foundation, sd_listen_fds_exact_layout, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	int port = h_free_port();
	char report[400], upath[400];
	snprintf(report, sizeof report, "%s/report", d.dir);
	snprintf(upath, sizeof upath, "%s/w.sock", d.dir);
	hd_unit(&d, "w.socket",
		"[Socket]\n"
		"ListenStream=127.0.0.1:%d\n"
		"ListenStream=%s\n",
		port, upath);
	hd_unit(&d, "w.service",
		"[Unit]\nDescription=sd_listen_fds worker\n"
		"[Service]\nExecStart=" SDWORKER "\nEnvironment=REPORT=%s\n",
		report);
	hd_start(&d);
	int daemon_fds = h_count_fds_settled(d.pid);

	/* Socket-activated: nothing runs before the first client. */
	char st[64];
	int pid = -1;
	cr_assert_eq(hd_unit_info(&d, "w.service", st, sizeof st, &pid, NULL, NULL, 0), 0);
	cr_expect_str_eq(st, "stopped");
	cr_expect_eq(pid, 0);
	cr_assert_eq(hd_unit_info(&d, "w.socket", st, sizeof st, NULL, NULL, NULL, 0), 0);
	cr_expect_str_eq(st, "listening");

	/* The first client is served by the service it starts. */
	char ans[1024];
	int r = h_http_get(port, ans, sizeof ans, 5000);
	cr_assert_gt(r, 0, "first connection: %s", strerror(-r));
	int wpid = answer_pid(ans);
	cr_assert_gt(wpid, 0, "answer: %s", ans);
	cr_assert_eq(hd_wait_state(&d, "w.service", "running", 5000), 0);
	cr_assert_eq(hd_unit_info(&d, "w.service", st, sizeof st, &pid, NULL, NULL, 0), 0);
	cr_expect_eq(pid, wpid);

	/* And over the Unix socket, by the same process. */
	r = h_unix_get(upath, ans, sizeof ans, 5000);
	cr_assert_gt(r, 0, "unix connection: %s", strerror(-r));
	cr_expect_eq(answer_pid(ans), wpid);

	/* What libsystemd saw. */
	char *rep = h_wait_file(report, 5000);
	cr_assert_not_null(rep, "no report from the worker");
	char want[128];
	snprintf(want, sizeof want, "listen_pid=%d\n", wpid);
	cr_expect(strstr(rep, want), "LISTEN_PID is not the worker's pid:\n%s", rep);
	cr_expect(strstr(rep, "n=2\n"), "sd_listen_fds did not return 2:\n%s", rep);
	cr_expect(strstr(rep, "fd3=w.socket:tcp4\n"), "fd 3:\n%s", rep);
	cr_expect(strstr(rep, "fd4=w.socket:unix-stream\n"), "fd 4:\n%s", rep);
	cr_expect(strstr(rep, "open=0,1,2,3,4,\n"), "descriptors beyond 0-4:\n%s", rep);

	/* Signals as systemd leaves them: SIGPIPE ignored (IgnoreSIGPIPE=yes),
	 * nothing else ignored, nothing blocked (the daemon's own handlers
	 * and its mask around a spawn do not leak). */
	cr_expect(ignores_only_sigpipe(wpid), "ignored signals: %llx", mask_of(wpid, "SigIgn:"));
	cr_expect(mask_empty(wpid, "SigBlk:"), "the worker inherited blocked signals");

	/* From outside too: the worker holds exactly 0-4. */
	char fds[4096];
	h_list_fds(wpid, fds, sizeof fds);
	cr_expect_eq(h_count_fds(wpid), 5, "worker fds:\n%s", fds);

	/* The daemon holds no more than before (the exec pipe is gone). */
	h_list_fds(d.pid, fds, sizeof fds);
	cr_expect_eq(h_count_fds_settled(d.pid), daemon_fds, "daemon fds:\n%s", fds);

	cr_expect_eq(hd_stop(&d), 0);
	cr_expect(!h_alive(wpid), "worker survived the daemon's shutdown");
	cr_expect_neq(access(upath, F_OK), 0, "Unix socket path left behind");
}

Test(foundation, restart_under_load_refuses_nothing, .timeout = 120)
{
	struct hd d;
	hd_init(&d);
	int port = h_free_port();
	hd_unit(&d, "web.socket", "[Socket]\nListenStream=127.0.0.1:%d\n", port);
	hd_unit(&d, "web.service",
		"[Service]\nExecStart=" SDWORKER "\n"
		"[Install]\nWantedBy=multi-user.target\n");
	hd_start(&d);
	cr_assert_eq(hd_wait_state(&d, "web.service", "running", 5000), 0);
	int daemon_fds = h_count_fds_settled(d.pid);

	struct h_load load;
	h_load_start(&load, port, 60000);
	h_msleep(200);

	int last = -1, pids[6];
	hd_unit_info(&d, "web.service", NULL, 0, &last, NULL, NULL, 0);
	pids[0] = last;
	for (int i = 1; i <= 5; i++) {
		char out[1024];
		int rc = hd_ctl(&d, out, sizeof out, "restart", "web", NULL);
		cr_assert_eq(rc, 0, "restart %d: rc %d: %s", i, rc, out);
		char st[64];
		int pid;
		cr_assert_eq(hd_unit_info(&d, "web.service", st, sizeof st, &pid, NULL, NULL, 0), 0);
		cr_expect_str_eq(st, "running");
		for (int k = 0; k < i; k++)
			cr_expect_neq(pid, pids[k], "restart %d kept pid %d", i, pid);
		pids[i] = pid;
		h_msleep(100);
	}

	struct h_load_result res;
	h_load_stop(&load, &res);
	cr_log_info("restart under load: %ld ok, %ld failed, longest request %ld us", res.ok, res.failed,
		    res.max_latency_us);
	cr_expect_eq(res.failed, 0, "%ld failed connections (first: %s)", res.failed, res.first_error);
	cr_expect_gt(res.ok, 10);

	char fds[4096];
	h_list_fds(d.pid, fds, sizeof fds);
	cr_expect_eq(h_count_fds_settled(d.pid), daemon_fds, "daemon fds:\n%s", fds);
	cr_expect_eq(h_count_fds(pids[5]), 4, "worker should hold 0-3 only");
	cr_expect_eq(hd_stop(&d), 0);
}

Test(foundation, bad_units_do_not_disturb_good_ones, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	int port = h_free_port();
	/* Occupy a port so that one socket unit cannot bind. */
	int blocker = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int busy = h_free_port();
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)busy),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	cr_assert_eq(bind(blocker, (struct sockaddr *)&sa, sizeof sa), 0);
	cr_assert_eq(listen(blocker, 1), 0);

	hd_unit(&d, "broken.service", "[Service]\nExecStart=/bin/true\nthis line has no equals sign\n");
	hd_unit(&d, "noexec.service", "[Service]\nExecStart=/nonexistent/binary --flag\n");
	hd_unit(&d, "busy.socket", "[Socket]\nListenStream=127.0.0.1:%d\n", busy);
	hd_unit(&d, "busy.service", "[Service]\nExecStart=" SDWORKER "\n");
	hd_unit(&d, "good.socket", "[Socket]\nListenStream=127.0.0.1:%d\n", port);
	hd_unit(&d, "good.service", "[Service]\nExecStart=" SDWORKER "\nUnknownKey=1\n");
	hd_unit(&d, "idle.service", "[Service]\nExecStart=/bin/sleep 1000\n");
	/* Masked as systemd masks: a link to /dev/null, an empty file. */
	char masked[400];
	snprintf(masked, sizeof masked, "%s/masked.service", d.units);
	cr_assert_eq(symlink("/dev/null", masked), 0);
	snprintf(masked, sizeof masked, "%s/empty.service", d.units);
	cr_assert_eq(h_write_file(masked, ""), 0);
	hd_start(&d);

	char st[64], status[4096];
	const char *masks[2] = { "masked.service", "empty.service" };
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(hd_unit_info(&d, masks[i], st, sizeof st, NULL, NULL, status, sizeof status), 0);
		cr_expect_str_eq(st, "failed");
		cr_expect(strstr(status, "masked"), "%s: status text: %s", masks[i], status);
		char out[1024];
		cr_expect_eq(hd_ctl(&d, out, sizeof out, "start", masks[i], NULL), 1, "%s", out);
		cr_expect(strstr(out, "masked"), "%s: %s", masks[i], out);
	}
	/* The malformed unit: failed, its error names file:line. */
	cr_assert_eq(hd_unit_info(&d, "broken.service", st, sizeof st, NULL, NULL, status, sizeof status), 0);
	cr_expect_str_eq(st, "failed");
	cr_expect(strstr(status, "broken.service:3"), "status text: %s", status);
	cr_expect(hd_log_has(&d, "broken.service:3"), "the daemon's log does not name broken.service:3");
	/* The unknown key: a warning naming file:line, and the unit loads. */
	cr_expect(hd_log_has(&d, "good.service:3"), "no warning naming good.service:3");

	/* The missing binary: failed with the exec error visible. */
	cr_assert_eq(hd_wait_state(&d, "noexec.service", "failed", 5000), 0);
	cr_assert_eq(hd_unit_info(&d, "noexec.service", st, sizeof st, NULL, NULL, status, sizeof status), 0);
	cr_expect(strstr(status, "No such file or directory"), "status text: %s", status);
	cr_expect(strstr(status, "/nonexistent/binary"), "status text: %s", status);

	/* The busy port: that socket fails with the error, the rest run. */
	cr_assert_eq(hd_unit_info(&d, "busy.socket", st, sizeof st, NULL, NULL, status, sizeof status), 0);
	cr_expect_str_eq(st, "failed");
	cr_expect(strstr(status, "Address already in use"), "status text: %s", status);
	cr_assert_eq(hd_unit_info(&d, "good.socket", st, sizeof st, NULL, NULL, NULL, 0), 0);
	cr_expect_str_eq(st, "listening");
	cr_assert_eq(hd_wait_state(&d, "idle.service", "running", 5000), 0);

	char ans[1024];
	cr_expect_gt(h_http_get(port, ans, sizeof ans, 5000), 0, "the good service does not answer");

	/* Unknown units: non-zero exit and a message naming them. */
	char out[1024];
	int rc = hd_ctl(&d, out, sizeof out, "status", "nosuchunit", NULL);
	cr_expect_eq(rc, 4, "rc %d: %s", rc, out);
	cr_expect(strstr(out, "nosuchunit.service"), "message: %s", out);
	rc = hd_ctl(&d, out, sizeof out, "start", "nosuchunit", NULL);
	cr_expect_eq(rc, 4, "rc %d: %s", rc, out);
	cr_expect(strstr(out, "nosuchunit"), "message: %s", out);
	/* Starting the broken ones fails with a reason, and the daemon runs on. */
	rc = hd_ctl(&d, out, sizeof out, "start", "noexec", NULL);
	cr_expect_eq(rc, 1, "rc %d: %s", rc, out);
	cr_expect(strstr(out, "No such file or directory"), "message: %s", out);
	rc = hd_ctl(&d, out, sizeof out, "start", "broken.service", NULL);
	cr_expect_eq(rc, 1, "rc %d: %s", rc, out);
	rc = hd_ctl(&d, out, sizeof out, "start", "busy", NULL);
	cr_expect_eq(rc, 1, "rc %d: %s", rc, out);
	cr_expect(strstr(out, "busy.socket"), "message: %s", out);
	cr_expect_eq(hd_ctl(&d, NULL, 0, "status", NULL), 0);

	cr_expect_eq(hd_stop(&d), 0);
	close(blocker);
}

Test(foundation, stop_start_and_crash_restart, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	hd_unit(&d, "crashy.service",
		"[Service]\nType=exec\nExecStart=/bin/sh -c 'sleep 0.2; exit 3'\n"
		"Restart=on-failure\nRestartSec=50ms\n"
		"[Unit]\nStartLimitBurst=100\n");
	hd_unit(&d, "plain.service", "[Service]\nExecStart=/bin/sleep 1000\n");
	hd_start(&d);
	int daemon_fds = h_count_fds_settled(d.pid);

	/* Restart=on-failure: it keeps coming back, and the counter grows. */
	long long end = h_now_ms() + 10000;
	int restarts = 0;
	while (h_now_ms() < end && restarts < 3) {
		hd_unit_info(&d, "crashy.service", NULL, 0, NULL, &restarts, NULL, 0);
		h_msleep(50);
	}
	cr_expect_geq(restarts, 3, "restarts: %d", restarts);

	/* stop returns once it is stopped; start once it runs again. */
	int pid1 = 0, pid2 = 0;
	cr_assert_eq(hd_wait_state(&d, "plain.service", "running", 5000), 0);
	hd_unit_info(&d, "plain.service", NULL, 0, &pid1, NULL, NULL, 0);
	cr_assert_eq(hd_ctl(&d, NULL, 0, "stop", "plain", "crashy", NULL), 0);
	char st[64];
	cr_assert_eq(hd_unit_info(&d, "plain.service", st, sizeof st, NULL, NULL, NULL, 0), 0);
	cr_expect_str_eq(st, "stopped");
	cr_expect(!h_alive(pid1), "stopped service still alive");
	cr_assert_eq(hd_unit_info(&d, "crashy.service", st, sizeof st, NULL, NULL, NULL, 0), 0);
	cr_expect_str_eq(st, "stopped");
	cr_assert_eq(hd_ctl(&d, NULL, 0, "start", "plain.service", NULL), 0);
	cr_assert_eq(hd_unit_info(&d, "plain.service", st, sizeof st, &pid2, NULL, NULL, 0), 0);
	cr_expect_str_eq(st, "running");
	cr_expect(pid2 > 0 && pid2 != pid1);

	char fds[4096];
	h_list_fds(d.pid, fds, sizeof fds);
	cr_expect_eq(h_count_fds_settled(d.pid), daemon_fds, "daemon fds:\n%s", fds);
	cr_expect_eq(h_count_fds(pid2), 3, "a service without sockets holds 0-2 only");
	cr_expect_eq(hd_stop(&d), 0);
	cr_expect(!h_alive(pid2));
}

Test(foundation, stop_escalates_to_sigkill, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	/* Ignores SIGTERM: must be killed after TimeoutStopSec. */
	hd_unit(&d, "stubborn.service",
		"[Service]\nExecStart=/bin/sh -c 'trap \"\" TERM; while :; do sleep 0.05; done'\n"
		"TimeoutStopSec=300ms\n");
	hd_start(&d);
	cr_assert_eq(hd_wait_state(&d, "stubborn.service", "running", 5000), 0);
	int pid;
	hd_unit_info(&d, "stubborn.service", NULL, 0, &pid, NULL, NULL, 0);
	long long t0 = h_now_ms();
	cr_assert_eq(hd_ctl(&d, NULL, 0, "stop", "stubborn", NULL), 0);
	long long took = h_now_ms() - t0;
	cr_expect_geq(took, 250, "stopped too early (%lld ms)", took);
	cr_expect(!h_alive(pid));
	cr_expect(hd_log_has(&d, "SIGKILL"));
	cr_expect_eq(hd_stop(&d), 0);
}

/* --spawn-fork: the same layout and the same exec-failure report through
 * fork() and the status pipe, and the flag survives a re-exec. */
Test(foundation, spawn_fork_mode, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	int port = h_free_port();
	char report[400];
	snprintf(report, sizeof report, "%s/report", d.dir);
	hd_unit(&d, "w.socket", "[Socket]\nListenStream=127.0.0.1:%d\n", port);
	hd_unit(&d, "w.service", "[Service]\nExecStart=" SDWORKER "\nEnvironment=REPORT=%s\n", report);
	hd_unit(&d, "noexec.service", "[Service]\nExecStart=/nonexistent/prog\n");
	const char *args[] = { "--spawn-fork", NULL };
	hd_start_args(&d, H_DAEMON, args);
	int daemon_fds = h_count_fds_settled(d.pid);

	char ans[1024];
	int r = h_http_get(port, ans, sizeof ans, 5000);
	cr_assert_gt(r, 0, "first connection: %s", strerror(-r));
	int wpid = answer_pid(ans);
	char *rep = h_wait_file(report, 5000);
	cr_assert_not_null(rep, "no report from the worker");
	char want[128];
	snprintf(want, sizeof want, "listen_pid=%d\n", wpid);
	cr_expect(strstr(rep, want), "LISTEN_PID is not the worker's pid:\n%s", rep);
	cr_expect(strstr(rep, "open=0,1,2,3,\n"), "descriptors beyond 0-3:\n%s", rep);
	cr_expect(ignores_only_sigpipe(wpid), "ignored signals: %llx", mask_of(wpid, "SigIgn:"));
	cr_expect(mask_empty(wpid, "SigBlk:"), "the worker inherited blocked signals");

	char out[1024];
	r = hd_ctl(&d, out, sizeof out, "start", "noexec", NULL);
	cr_expect_eq(r, 1, "rc %d: %s", r, out);
	cr_expect(strstr(out, "No such file or directory"), "message: %s", out);

	cr_assert_eq(hd_ctl(&d, out, sizeof out, "reexec", NULL), 0, "%s", out);
	char path[64], cmd[4096];
	snprintf(path, sizeof path, "/proc/%d/cmdline", (int)d.pid);
	FILE *f = fopen(path, "re");
	cr_assert(f);
	size_t n = fread(cmd, 1, sizeof cmd - 1, f);
	fclose(f);
	bool found = false;
	for (size_t i = 0; i < n; i += strlen(cmd + i) + 1)
		found = found || !strcmp(cmd + i, "--spawn-fork");
	cr_expect(found, "--spawn-fork lost across the re-exec");
	cr_expect_eq(h_count_fds_settled(d.pid), daemon_fds);
	cr_expect_eq(hd_stop(&d), 0);
}
