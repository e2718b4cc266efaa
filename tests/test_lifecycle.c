/*
 * test_lifecycle.c - restart back-off, KillMode=, ExecStartPre=/Post=/
 * Stop=/Reload=, dependencies and ordering, supervisord as a container's
 * PID 1, and all of it across `supctl reexec`. The real daemon runs real
 * shell commands; services write what they did to files, which the tests
 * read. Every wait is bounded; only pids the test started are signalled.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/shm.h>
#include <sys/sem.h>
#include <sys/msg.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/keyctl.h>
#include <linux/netlink.h>

#include "harness.h"

static char *slurp(const char *path, char *buf, size_t len)
{
	buf[0] = '\0';
	FILE *f = fopen(path, "r");
	if (!f)
		return buf;
	size_t n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

/* Wait until the file holds `needle` (bounded). */
static bool wait_text(const char *path, const char *needle, int ms)
{
	char buf[8192];
	long long end = h_now_ms() + ms;
	do {
		if (strstr(slurp(path, buf, sizeof buf), needle))
			return true;
		h_msleep(20);
	} while (h_now_ms() < end);
	return false;
}

static bool wait_gone(pid_t pid, int ms)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d", (int)pid);
	long long end = h_now_ms() + ms;
	do {
		if (access(path, F_OK) != 0)
			return true; /* not even a zombie: reaped */
		h_msleep(20);
	} while (h_now_ms() < end);
	return false;
}

/* Parent pid and state of pid. */
static int proc_stat(pid_t pid, pid_t *ppid, char *state)
{
	char buf[1024];
	const char *f = h_proc_stat(pid, buf, sizeof buf);
	int pp;
	if (!f || sscanf(f, "%c %d", state, &pp) != 2)
		return -1;
	*ppid = pp;
	return 0;
}

static int read_pid(const char *path, int ms)
{
	char buf[64];
	long long end = h_now_ms() + ms;
	do {
		int pid = atoi(slurp(path, buf, sizeof buf));
		if (pid > 0)
			return pid;
		h_msleep(20);
	} while (h_now_ms() < end);
	return -1;
}

Test(lifecycle, restart_backoff_grows, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	char log[400];
	snprintf(log, sizeof log, "%s/starts", d.dir);
	/* RestartSec=100ms growing to 800ms over 3 steps: 100, 200, 400, 800, 800. */
	hd_unit(&d, "crash.service",
		"[Unit]\nStartLimitIntervalSec=0\n"
		"[Service]\nExecStart=/bin/sh -c 'date +%%%%s%%%%N >> %s; exit 1'\n"
		"Restart=always\nRestartSec=100ms\nRestartSteps=3\nRestartMaxDelaySec=800ms\n",
		log);
	hd_start(&d);
	int daemon_fds = -1;
	long long end = h_now_ms() + 15000;
	long long t[8];
	int n = 0;
	while (h_now_ms() < end && n < 6) {
		char buf[4096];
		slurp(log, buf, sizeof buf);
		n = 0;
		for (char *p = buf; *p && n < 8; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p))
			t[n++] = atoll(p) / 1000000;
		if (daemon_fds < 0 && n >= 1)
			daemon_fds = h_count_fds_settled(d.pid);
		h_msleep(50);
	}
	cr_assert_geq(n, 6, "only %d starts", n);
	long long g[5];
	for (int i = 0; i < 5; i++)
		g[i] = t[i + 1] - t[i];
	cr_log_info("restart gaps: %lld %lld %lld %lld %lld ms", g[0], g[1], g[2], g[3], g[4]);
	cr_expect(g[0] >= 90 && g[0] < 190, "1st gap %lld, want ~100", g[0]);
	cr_expect(g[1] >= 180 && g[1] < 330, "2nd gap %lld, want ~200", g[1]);
	cr_expect(g[2] >= 370 && g[2] < 600, "3rd gap %lld, want ~400", g[2]);
	cr_expect(g[3] >= 770 && g[3] < 1100, "4th gap %lld, want ~800", g[3]);
	cr_expect(g[4] >= 770 && g[4] < 1100, "5th gap %lld, want ~800 (the maximum)", g[4]);

	/* An operator's start after a stop begins the series again. */
	cr_expect_eq(hd_ctl(&d, NULL, 0, "stop", "crash", NULL), 0);
	int restarts = -1;
	hd_unit_info(&d, "crash.service", NULL, 0, NULL, &restarts, NULL, 0);
	cr_expect_geq(restarts, 5);
	hd_ctl(&d, NULL, 0, "start", "--no-block", "crash", NULL);
	h_msleep(50);
	hd_ctl(&d, NULL, 0, "stop", "crash", NULL);
	hd_unit_info(&d, "crash.service", NULL, 0, NULL, &restarts, NULL, 0);
	cr_expect_leq(restarts, 1, "restarts not reset by a start: %d", restarts);
	cr_expect_eq(h_count_fds_settled(d.pid), daemon_fds);
	cr_expect_eq(hd_stop(&d), 0);
}

Test(lifecycle, control_group_kills_double_forked_grandchild, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	char gfile[400];
	snprintf(gfile, sizeof gfile, "%s/grandchild", d.dir);
	/* The grandchild leaves the session (setsid) and its parent exits: it
	 * is an orphan, re-parented to the daemon (a child subreaper). */
	hd_unit(&d, "dbl.service",
		"[Service]\nExecStart=/bin/sh -c '(setsid sh -c \"echo \\$\\$ > %s; exec sleep 1000\" &); exec sleep 1000'\n",
		gfile);
	hd_start(&d);
	cr_assert_eq(hd_wait_state(&d, "dbl.service", "running", 5000), 0);
	int gpid = read_pid(gfile, 5000);
	cr_assert_gt(gpid, 0, "the grandchild did not report its pid");
	int daemon_fds = h_count_fds_settled(d.pid);
	pid_t pp = 0;
	char st = 0;
	long long end = h_now_ms() + 3000;
	while (h_now_ms() < end && (proc_stat(gpid, &pp, &st) < 0 || pp != d.pid))
		h_msleep(20);
	cr_expect_eq(pp, d.pid, "the orphan was not re-parented to the daemon (ppid %d)", (int)pp);

	int mpid = 0;
	hd_unit_info(&d, "dbl.service", NULL, 0, &mpid, NULL, NULL, 0);
	cr_assert_eq(hd_ctl(&d, NULL, 0, "stop", "dbl", NULL), 0);
	cr_expect(wait_gone(gpid, 5000), "grandchild %d survived the stop, or is a zombie", gpid);
	cr_expect(wait_gone(mpid, 5000), "main process %d survived", mpid);
	cr_expect_eq(h_count_fds_settled(d.pid), daemon_fds);
	cr_expect_eq(hd_stop(&d), 0);
}

Test(lifecycle, leftovers_killed_when_main_exits, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	char gfile[400];
	snprintf(gfile, sizeof gfile, "%s/left", d.dir);
	/* The main process exits on its own and leaves a child behind. */
	hd_unit(&d, "left.service",
		"[Service]\nExecStart=/bin/sh -c 'sh -c \"echo \\$\\$ > %s; exec sleep 1000\" & sleep 0.5; exit 0'\n",
		gfile);
	hd_start(&d);
	int lpid = read_pid(gfile, 5000);
	cr_assert_gt(lpid, 0);
	cr_expect_eq(hd_wait_state(&d, "left.service", "stopped", 5000), 0);
	cr_expect(wait_gone(lpid, 5000), "leftover %d survived its main process", lpid);
	cr_expect_eq(hd_stop(&d), 0);
}

/* SendSIGHUP=: a stop sends SIGHUP after KillSignal=, so that a shell
 * learns its terminal is gone; without it, KillSignal= alone. */
#define HUP_UNIT                                                                                       \
	"[Service]\n%sExecStart=/bin/sh -c \"trap 'echo term >> %s' TERM; trap 'echo hup >> %s' HUP; "    \
	"echo > %s.tmp; mv %s.tmp %s; sleep 1000 & wait; sleep 0.3 & wait; exit 0\"\n"
Test(lifecycle, send_sighup, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	char hf[400], nf[400], hr[400], nr[400], buf[256];
	snprintf(hf, sizeof hf, "%s/hup.out", d.dir);
	snprintf(nf, sizeof nf, "%s/nohup.out", d.dir);
	snprintf(hr, sizeof hr, "%s/hup.ready", d.dir);
	snprintf(nr, sizeof nr, "%s/nohup.ready", d.dir);
	hd_unit(&d, "hup.service", HUP_UNIT, "SendSIGHUP=yes\n", hf, hf, hr, hr, hr);
	hd_unit(&d, "nohup.service", HUP_UNIT, "", nf, nf, nr, nr, nr);
	hd_start(&d);
	int daemon_fds = h_count_fds_settled(d.pid);
	cr_assert(h_wait_file(hr, 5000) && h_wait_file(nr, 5000), "the shells never set their traps");
	char reply[1024];
	cr_expect_eq(hd_ctl(&d, reply, sizeof reply, "stop", "hup", "nohup", NULL), 0, "%s", reply);
	slurp(hf, buf, sizeof buf);
	cr_expect(strstr(buf, "term\n") && strstr(buf, "hup\n"), "SendSIGHUP=yes: '%s'", buf);
	cr_expect_str_eq(slurp(nf, buf, sizeof buf), "term\n");
	cr_expect_eq(h_count_fds_settled(d.pid), daemon_fds);
	cr_expect_eq(hd_stop(&d), 0);
}

Test(lifecycle, exec_start_pre_post_order_and_failure, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	char f[400], f2[400];
	snprintf(f, sizeof f, "%s/order", d.dir);
	snprintf(f2, sizeof f2, "%s/never", d.dir);
	hd_unit(&d, "ok.service",
		"[Service]\n"
		"ExecStartPre=/bin/sh -c 'echo pre1 >> %s'\n"
		"ExecStartPre=-/bin/false\n"
		"ExecStartPre=/bin/sh -c 'echo pre2 >> %s'\n"
		"ExecStart=/bin/sh -c 'echo main >> %s; exec sleep 1000'\n"
		"ExecStartPost=/bin/sh -c 'sleep 0.3; echo post >> %s'\n",
		f, f, f, f);
	hd_unit(&d, "badpre.service",
		"[Service]\nExecStartPre=/bin/false\nExecStart=/bin/sh -c 'echo main >> %s; exec sleep 1000'\n", f2);
	hd_unit(&d, "badpost.service",
		"[Service]\nExecStart=/bin/sleep 1000\nExecStartPost=/bin/sh -c 'exit 7'\n");
	hd_start(&d);
	cr_assert_eq(hd_wait_state(&d, "ok.service", "running", 5000), 0);
	char buf[1024];
	cr_expect_str_eq(slurp(f, buf, sizeof buf), "pre1\npre2\nmain\npost\n");

	char status[1024];
	cr_assert_eq(hd_wait_state(&d, "badpre.service", "failed", 5000), 0);
	hd_unit_info(&d, "badpre.service", NULL, 0, NULL, NULL, status, sizeof status);
	cr_expect(strstr(status, "ExecStartPre=/bin/false exited with status 1"), "status: %s", status);
	cr_expect_neq(access(f2, F_OK), 0, "the main process ran after a failed ExecStartPre=");

	cr_assert_eq(hd_wait_state(&d, "badpost.service", "failed", 5000), 0);
	int pid = -1;
	hd_unit_info(&d, "badpost.service", NULL, 0, &pid, NULL, status, sizeof status);
	cr_expect(strstr(status, "exited with status 7"), "status: %s", status);
	cr_expect_eq(pid, 0);
	/* A failed start reported to the operator. */
	char out[1024];
	cr_expect_neq(hd_ctl(&d, out, sizeof out, "start", "badpre", NULL), 0);
	cr_expect_eq(hd_stop(&d), 0);
}

Test(lifecycle, exec_stop_and_exec_reload, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	char f[400];
	snprintf(f, sizeof f, "%s/log", d.dir);
	hd_unit(&d, "w.service",
		"[Service]\nExecStart=/bin/sleep 1000\n"
		"ExecReload=/bin/sh -c 'echo reload $MAINPID >> %s'\n"
		"ExecStop=/bin/sh -c 'echo stop $MAINPID >> %s; kill $MAINPID'\n",
		f, f);
	hd_unit(&d, "plain.service", "[Service]\nExecStart=/bin/sleep 1000\n");
	hd_unit(&d, "badreload.service", "[Service]\nExecStart=/bin/sleep 1000\nExecReload=/bin/false\n");
	hd_start(&d);
	cr_assert_eq(hd_wait_state(&d, "w.service", "running", 5000), 0);
	cr_assert_eq(hd_wait_state(&d, "badreload.service", "running", 5000), 0);
	int daemon_fds = h_count_fds_settled(d.pid);
	int pid = 0;
	hd_unit_info(&d, "w.service", NULL, 0, &pid, NULL, NULL, 0);
	char out[1024], want[64];
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "reload", "w", NULL), 0, "reload: %s", out);
	snprintf(want, sizeof want, "reload %d\n", pid);
	cr_expect(wait_text(f, want, 100), "ExecReload= did not run (before the reply) with $MAINPID");
	int pid2 = 0;
	char st[64];
	hd_unit_info(&d, "w.service", st, sizeof st, &pid2, NULL, NULL, 0);
	cr_expect_str_eq(st, "running");
	cr_expect_eq(pid2, pid);
	cr_expect_neq(hd_ctl(&d, out, sizeof out, "reload", "plain", NULL), 0, "no ExecReload=: %s", out);
	cr_expect_neq(hd_ctl(&d, out, sizeof out, "reload", "badreload", NULL), 0, "failing reload: %s", out);
	cr_expect_eq(hd_wait_state(&d, "badreload.service", "running", 2000), 0);

	cr_expect_eq(hd_ctl(&d, out, sizeof out, "stop", "w", NULL), 0, "stop: %s", out);
	snprintf(want, sizeof want, "stop %d\n", pid);
	cr_expect(wait_text(f, want, 100), "ExecStop= did not run");
	cr_expect(!hd_log_has(&d, "w.service: did not stop"), "ExecStop= did not stop it first");
	cr_expect_eq(h_count_fds_settled(d.pid), daemon_fds);
	cr_expect_eq(hd_stop(&d), 0);
}

Test(lifecycle, a_reload_reply_reaches_no_other_client, .timeout = 60)
{
	/* A client that asked for a reload leaves before ExecReload= ends; the
	 * next client gets the same fd number in the daemon, and (like every
	 * supctl) the same request id. The reload's answer must not be taken
	 * for the answer to that client's own request. */
	struct hd d;
	hd_init(&d);
	hd_unit(&d, "r.service", "[Service]\nExecStart=/bin/sleep 1000\nExecReload=/bin/sleep 1.5\n");
	hd_unit(&d, "slow.service", "[Service]\nExecStartPre=/bin/sleep 3\nExecStart=/bin/sleep 1000\n");
	hd_start(&d);
	cr_assert_eq(hd_wait_state(&d, "r.service", "running", 5000), 0);
	cr_assert_eq(hd_wait_state(&d, "slow.service", "running", 8000), 0);
	char out[1024];
	cr_assert_eq(hd_ctl(&d, out, sizeof out, "stop", "slow", NULL), 0, "stop: %s", out);
	int daemon_fds = h_count_fds_settled(d.pid);

	pid_t a = fork();
	cr_assert_geq(a, 0);
	if (a == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		dup2(null, 2);
		execl(H_SUPCTL, H_SUPCTL, "-r", d.rt, "reload", "r", (char *)NULL);
		_exit(127);
	}
	h_msleep(300);
	kill(a, SIGKILL);
	int st;
	cr_assert_eq(waitpid(a, &st, 0), a);
	h_msleep(50); /* the daemon has seen it go */
	long long t0 = h_now_ms();
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "start", "slow", NULL), 0, "start: %s", out);
	long long took = h_now_ms() - t0;
	cr_expect_geq(took, 2500, "start returned after %lld ms, before ExecStartPre= ended: it took another "
		      "client's reload reply", took);
	char state[64];
	hd_unit_info(&d, "slow.service", state, sizeof state, NULL, NULL, NULL, 0);
	cr_expect_str_eq(state, "running");
	cr_expect_eq(hd_wait_state(&d, "r.service", "running", 3000), 0, "r did not finish its reload");
	cr_expect_eq(h_count_fds_settled(d.pid), daemon_fds);
	cr_expect_eq(hd_stop(&d), 0);
}

/* Type=oneshot as systemd runs it: every ExecStart= in turn, then
 * ExecStartPost=; "exited" (active) with RemainAfterExit=yes, stopped
 * without; a unit that Requires= and is ordered After= it starts once it
 * is done; a start job returns when it is done; a failing command fails
 * it and stops the rest. */
Test(lifecycle, oneshot_runs_every_command_before_its_dependents, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	char f[400], f2[400], f3[400], buf[8192], out[1024], state[64];
	snprintf(f, sizeof f, "%s/setup.log", d.dir);
	snprintf(f2, sizeof f2, "%s/job.log", d.dir);
	snprintf(f3, sizeof f3, "%s/fail.log", d.dir);
	hd_unit(&d, "setup.service",
		"[Service]\nType=oneshot\nRemainAfterExit=yes\n"
		"ExecStartPre=/bin/sh -c 'echo pre >> %s'\n"
		"ExecStart=/bin/sh -c 'sleep 0.5; echo one >> %s'\n"
		"ExecStart=/bin/sh -c 'echo two >> %s'\n"
		"ExecStartPost=/bin/sh -c 'echo post >> %s'\n"
		"ExecStop=/bin/sh -c 'echo stop >> %s'\n",
		f, f, f, f, f);
	hd_unit(&d, "app.service",
		"[Unit]\nRequires=setup.service\nAfter=setup.service\n"
		"[Service]\nExecStart=/bin/sh -c 'echo app >> %s; exec sleep 1000'\n", f);
	hd_unit(&d, "job.service", "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'sleep 0.3; echo job >> %s'\n", f2);
	hd_unit(&d, "app2.service",
		"[Unit]\nRequires=job.service\nAfter=job.service\n"
		"[Service]\nExecStart=/bin/sh -c 'echo app2 >> %s; exec sleep 1000'\n", f2);
	hd_unit(&d, "fail.service",
		"[Service]\nType=oneshot\nExecStart=/bin/false\nExecStart=/bin/sh -c 'echo never >> %s'\n", f3);
	hd_unit(&d, "dep.service",
		"[Unit]\nRequires=fail.service\nAfter=fail.service\n[Service]\nExecStart=/bin/sleep 1000\n");
	hd_start(&d);

	cr_assert_eq(hd_wait_state(&d, "app.service", "running", 10000), 0);
	/* "running" comes at the exec; app's shell writes its line after. */
	cr_expect(wait_text(f, "app\n", 5000));
	cr_expect_str_eq(slurp(f, buf, sizeof buf), "pre\none\ntwo\npost\napp\n");
	cr_assert_eq(hd_unit_info(&d, "setup.service", state, sizeof state, NULL, NULL, NULL, 0), 0);
	cr_expect_str_eq(state, "exited");
	cr_assert_eq(hd_wait_state(&d, "app2.service", "running", 10000), 0);
	cr_expect(wait_text(f2, "app2\n", 5000));
	cr_expect_str_eq(slurp(f2, buf, sizeof buf), "job\napp2\n");
	cr_assert_eq(hd_unit_info(&d, "job.service", state, sizeof state, NULL, NULL, NULL, 0), 0);
	cr_expect_str_eq(state, "stopped", "without RemainAfterExit= a finished oneshot is stopped");
	cr_expect_eq(hd_wait_state(&d, "fail.service", "failed", 5000), 0);
	cr_expect_eq(hd_wait_state(&d, "dep.service", "failed", 5000), 0);
	cr_expect(access(f3, F_OK) != 0, "a command ran after a failed one");
	int daemon_fds = h_count_fds_settled(d.pid);

	/* A start job waits for the end, and says how it went. */
	long long t0 = h_now_ms();
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "start", "job", NULL), 0, "start job: %s", out);
	cr_expect_geq(h_now_ms() - t0, 250, "start returned before the oneshot ended");
	cr_expect(wait_text(f2, "job\napp2\njob\n", 100));
	cr_expect_neq(hd_ctl(&d, out, sizeof out, "start", "fail", NULL), 0, "start of a failing oneshot: %s", out);
	/* Already done and active: nothing to do. */
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "start", "setup", NULL), 0, "%s", out);
	cr_expect_str_eq(slurp(f, buf, sizeof buf), "pre\none\ntwo\npost\napp\n");

	/* Stopping it runs ExecStop= and takes what requires it along. */
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "stop", "setup", NULL), 0, "stop setup: %s", out);
	cr_expect(wait_text(f, "app\nstop\n", 2000), "ExecStop= did not run: %s", slurp(f, buf, sizeof buf));
	cr_expect_eq(hd_wait_state(&d, "app.service", "stopped", 5000), 0);
	cr_expect_eq(hd_wait_state(&d, "setup.service", "stopped", 5000), 0);
	cr_expect_eq(h_count_fds_settled(d.pid), daemon_fds);
	cr_expect_eq(hd_stop(&d), 0);
}

/* EnvironmentFile=: read at every start, over Environment=, in order;
 * "-" tolerates a missing file, and without it the start fails naming
 * the file. ExecStartPre= sees it too. */
Test(lifecycle, environment_files_are_read_at_each_start, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	char env1[400], env2[400], out[400], pre[400], buf[1024], msg[1024], status[512];
	snprintf(env1, sizeof env1, "%s/one.env", d.dir);
	snprintf(env2, sizeof env2, "%s/two.env", d.dir);
	snprintf(out, sizeof out, "%s/out", d.dir);
	snprintf(pre, sizeof pre, "%s/pre", d.dir);
	FILE *f = fopen(env1, "w");
	cr_assert_not_null(f);
	fputs("# settings\nA=from-file\nB=\"two words\"\nC='single $x'\nD=con\\\ntinued\n", f);
	fclose(f);
	f = fopen(env2, "w");
	cr_assert_not_null(f);
	fputs("D=second-file\n", f);
	fclose(f);
	hd_unit(&d, "e.service",
		"[Service]\nEnvironment=A=from-unit E=unit-only\nEnvironmentFile=%s\n"
		"EnvironmentFile=-%s/missing.env\nEnvironmentFile=%s\n"
		"ExecStartPre=/bin/sh -c 'echo \"$A\" > %s'\n"
		"ExecStart=/bin/sh -c 'echo \"$A|$B|$C|$D|$E\" > %s.tmp && mv %s.tmp %s; exec sleep 1000'\n",
		env1, d.dir, env2, pre, out, out, out);
	hd_unit(&d, "m.service", "[Service]\nEnvironmentFile=%s/missing.env\nExecStart=/bin/sleep 1000\n", d.dir);
	hd_start(&d);
	cr_assert_eq(hd_wait_state(&d, "e.service", "running", 5000), 0);
	char *t = h_wait_file(out, 5000);
	cr_assert_not_null(t);
	cr_expect_str_eq(t, "from-file|two words|single $x|second-file|unit-only\n");
	t = h_slurp(pre);
	cr_expect(t && !strcmp(t, "from-file\n"), "ExecStartPre= saw %s", t ? t : "nothing");
	cr_expect_eq(hd_wait_state(&d, "m.service", "failed", 5000), 0);
	cr_assert_eq(hd_unit_info(&d, "m.service", NULL, 0, NULL, NULL, status, sizeof status), 0);
	snprintf(msg, sizeof msg, "EnvironmentFile=%s/missing.env: No such file or directory", d.dir);
	cr_expect(hd_log_has(&d, msg), "the failure does not name the file (%s)", msg);
	int daemon_fds = h_count_fds_settled(d.pid);

	/* Read again at the next start. */
	f = fopen(env1, "w");
	cr_assert_not_null(f);
	fputs("A=changed\n", f);
	fclose(f);
	unlink(out);
	cr_assert_eq(hd_ctl(&d, buf, sizeof buf, "restart", "e", NULL), 0, "%s", buf);
	t = h_wait_file(out, 5000);
	cr_assert_not_null(t);
	cr_expect_str_eq(t, "changed|||second-file|unit-only\n");
	cr_expect_eq(h_count_fds_settled(d.pid), daemon_fds);
	cr_expect_eq(hd_stop(&d), 0);
}

/* SuccessExitStatus=, RestartPreventExitStatus=, RestartForceExitStatus=,
 * and a oneshot killed by SIGTERM, as systemd judges them. */
Test(lifecycle, exit_status_settings_decide_success_and_restart, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	char mark[400], st[64], out[1024];
	int restarts = -1;
	snprintf(mark, sizeof mark, "%s/forced-once", d.dir);
	/* Exit 3 counts as success: stopped, not failed, and no restart. */
	hd_unit(&d, "ok3.service",
		"[Service]\nExecStart=/bin/sh -c 'exit 3'\nSuccessExitStatus=3 SIGUSR1\nRestart=on-failure\n");
	/* By systemd's name, as systemd-tmpfiles-setup.service writes it. */
	hd_unit(&d, "named.service",
		"[Service]\nExecStart=/bin/sh -c 'exit 65'\nSuccessExitStatus=DATAERR CANTCREAT\nRestart=on-failure\n");
	/* A failure, but the status forbids a restart whatever Restart= says. */
	hd_unit(&d, "prevent.service",
		"[Service]\nExecStart=/bin/sh -c 'exit 4'\nRestart=always\nRestartSec=50ms\n"
		"RestartPreventExitStatus=4\n");
	/* Restart=no, but status 5 forces one: the second run stays up. */
	hd_unit(&d, "force.service",
		"[Service]\nExecStart=/bin/sh -c 'if [ -e %s ]; then exec sleep 1000; fi; touch %s; exit 5'\n"
		"RestartSec=50ms\nRestartForceExitStatus=5\n",
		mark, mark);
	/* SIGTERM is "clean" for a service, not for a oneshot. */
	hd_unit(&d, "term.service", "[Service]\nExecStart=/bin/sh -c 'kill -TERM $$$$; sleep 5'\n");
	hd_unit(&d, "termshot.service", "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'kill -TERM $$$$; sleep 5'\n");
	hd_start(&d);

	cr_expect_eq(hd_wait_state(&d, "ok3.service", "stopped", 5000), 0);
	cr_expect_eq(hd_wait_state(&d, "prevent.service", "failed", 5000), 0);
	cr_expect_eq(hd_wait_state(&d, "force.service", "running", 5000), 0);
	cr_expect_eq(hd_wait_state(&d, "term.service", "stopped", 5000), 0);
	cr_expect_eq(hd_wait_state(&d, "termshot.service", "failed", 5000), 0);
	h_msleep(300); /* a restart that should not come would have come */
	cr_assert_eq(hd_unit_info(&d, "ok3.service", st, sizeof st, NULL, &restarts, NULL, 0), 0);
	cr_expect_str_eq(st, "stopped");
	cr_expect_eq(restarts, 0);
	cr_expect_eq(hd_wait_state(&d, "named.service", "stopped", 5000), 0);
	cr_assert_eq(hd_unit_info(&d, "named.service", st, sizeof st, NULL, &restarts, NULL, 0), 0);
	cr_expect_str_eq(st, "stopped");
	cr_expect_eq(restarts, 0);
	cr_assert_eq(hd_unit_info(&d, "prevent.service", st, sizeof st, NULL, &restarts, NULL, 0), 0);
	cr_expect_str_eq(st, "failed");
	cr_expect_eq(restarts, 0, "RestartPreventExitStatus= did not prevent the restart");
	cr_assert_eq(hd_unit_info(&d, "force.service", st, sizeof st, NULL, &restarts, NULL, 0), 0);
	cr_expect_eq(restarts, 1, "RestartForceExitStatus= did not force a restart");
	cr_expect_neq(hd_ctl(&d, out, sizeof out, "start", "termshot", NULL), 0, "%s", out);
	cr_expect_eq(hd_stop(&d), 0);
}

Test(lifecycle, specifiers_reach_the_process, .timeout = 30)
{
	struct hd d;
	hd_init(&d);
	char out[400];
	snprintf(out, sizeof out, "%s/out", d.dir);
	hd_unit(&d, "spec-x.service",
		"[Service]\nEnvironment=P=%%P\n"
		"ExecStart=/bin/sh -c 'echo \"%%n %%N %%j $P 100%%%%\" > %s.tmp && mv %s.tmp %s; exec sleep 1000'\n",
		out, out, out);
	hd_unit(&d, "bad.service", "[Service]\nExecStart=/bin/echo %%Q\n");
	hd_start(&d);
	char *t = h_wait_file(out, 5000);
	cr_assert_not_null(t);
	cr_expect_str_eq(t, "spec-x.service spec-x x spec/x 100%\n");
	char st[64];
	cr_assert_eq(hd_unit_info(&d, "bad.service", st, sizeof st, NULL, NULL, NULL, 0), 0);
	cr_expect_str_eq(st, "failed"); /* it did not load */
	cr_expect(hd_log_has(&d, "unknown specifier %Q"), "the bad specifier is not named in the log");
	cr_expect_eq(hd_stop(&d), 0);
}

/* ExecStopPost= runs once the service is gone, whether it exited, was
 * stopped or failed to start, with $SERVICE_RESULT, $EXIT_CODE and
 * $EXIT_STATUS; a restart runs it between the two runs. */
Test(lifecycle, exec_stop_post_runs_after_every_end, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	char f[400], out[1024], buf[4096];
	snprintf(f, sizeof f, "%s/post.log", d.dir);
#define POST "ExecStopPost=/bin/sh -c 'echo \"%s $SERVICE_RESULT $EXIT_CODE $EXIT_STATUS\" >> %s'\n"
	hd_unit(&d, "exits.service", "[Service]\nExecStart=/bin/sh -c 'exit 3'\n" POST, "exits", f);
	hd_unit(&d, "stopped.service", "[Service]\nExecStart=/bin/sleep 1000\n" POST, "stopped", f);
	hd_unit(&d, "prefail.service", "[Service]\nExecStartPre=/bin/false\nExecStart=/bin/sleep 1000\n" POST,
		"prefail", f);
	hd_unit(&d, "bad.service",
		"[Service]\nExecStart=/bin/sleep 1000\nExecStopPost=/bin/sh -c 'exit 7'\nExecStopPost=-/bin/false\n");
#undef POST
	hd_start(&d);
	cr_expect_eq(hd_wait_state(&d, "exits.service", "failed", 5000), 0);
	cr_expect_eq(hd_wait_state(&d, "prefail.service", "failed", 5000), 0);
	cr_assert_eq(hd_wait_state(&d, "stopped.service", "running", 5000), 0);
	cr_assert_eq(hd_wait_state(&d, "bad.service", "running", 5000), 0);
	int daemon_fds = h_count_fds_settled(d.pid);

	cr_expect_eq(hd_ctl(&d, out, sizeof out, "restart", "stopped", NULL), 0, "%s", out);
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "stop", "stopped", NULL), 0, "%s", out);
	cr_expect_eq(hd_wait_state(&d, "stopped.service", "stopped", 5000), 0);
	/* A failing ExecStopPost= fails the unit; a '-' one does not. */
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "stop", "bad", NULL), 0, "%s", out);
	cr_expect_eq(hd_wait_state(&d, "bad.service", "failed", 5000), 0);
	slurp(f, buf, sizeof buf);
	cr_expect(strstr(buf, "exits exit-code exited 3\n"), "log:\n%s", buf);
	cr_expect(strstr(buf, "prefail exit-code  \n"), "log:\n%s", buf);
	const char *two = strstr(buf, "stopped success killed TERM\n");
	cr_expect(two && strstr(two + 1, "stopped success killed TERM\n"), "one per stop, restart included:\n%s", buf);
	cr_expect(hd_log_has(&d, "bad.service: ExecStopPost=/bin/sh exited with status 7"), "the failure is not logged");
	cr_expect_eq(h_count_fds_settled(d.pid), daemon_fds);
	cr_expect_eq(hd_stop(&d), 0);
}

/* Limit*=, UMask=, Nice=, IgnoreSIGPIPE= (default yes, as systemd),
 * PassEnvironment= and UnsetEnvironment= reach the process. */
Test(lifecycle, process_settings_reach_the_process, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	char f[400], g[400];
	snprintf(f, sizeof f, "%s/settings", d.dir);
	snprintf(g, sizeof g, "%s/pipe", d.dir);
#define REPORT                                                                                             \
	"ExecStart=/bin/sh -c '{ ulimit -Sn; ulimit -Hn; umask; awk \"{print \\$$19}\" /proc/$$$$/stat; "   \
	"grep SigIgn /proc/$$$$/status; echo \"$PASSME|$GONE|$KEEP\"; } > %s.tmp && mv %s.tmp %s; exec sleep 1000'\n"
	hd_unit(&d, "set.service",
		"[Service]\nLimitNOFILE=1000:2000\nUMask=0077\nNice=5\nPassEnvironment=PASSME NOTSET\n"
		"Environment=GONE=1 KEEP=2\nUnsetEnvironment=GONE\n" REPORT, f, f, f);
	hd_unit(&d, "pipe.service", "[Service]\nIgnoreSIGPIPE=no\n" REPORT, g, g, g);
#undef REPORT
	setenv("PASSME", "from-daemon", 1);
	hd_start(&d);
	unsetenv("PASSME");
	char *t = h_wait_file(f, 5000);
	cr_assert_not_null(t);
	char want[256];
	/* SIGPIPE is signal 13: bit 12 of SigIgn. */
	snprintf(want, sizeof want, "1000\n2000\n0077\n5\nSigIgn:\t0000000000001000\nfrom-daemon||2\n");
	cr_expect_str_eq(t, want);
	t = h_wait_file(g, 5000);
	cr_assert_not_null(t);
	cr_expect(strstr(t, "SigIgn:\t0000000000000000\n"), "IgnoreSIGPIPE=no still ignores it:\n%s", t);
	cr_expect_eq(hd_stop(&d), 0);
}

/* SupplementaryGroups=, NoNewPrivileges= and OOMScoreAdjust= reach the
 * process, with User= and without; an unknown group fails the start,
 * naming it. */
Test(lifecycle, privilege_settings_reach_the_process, .timeout = 60)
{
	if (geteuid() != 0)
		cr_skip_test("needs root (User=, SupplementaryGroups=, a negative OOMScoreAdjust=)");
	struct hd d;
	hd_init(&d);
	char f[400], g[400], out[1024];
	snprintf(f, sizeof f, "%s/privs", d.dir);
	snprintf(g, sizeof g, "%s/root", d.dir);
	/* nobody writes its report into the test's directory. */
	chmod(d.dir, 0777);
#define REPORT                                                                                           \
	"ExecStart=/bin/sh -c '{ id -u; id -G; grep NoNewPrivs /proc/$$$$/status; cat /proc/$$$$/oom_score_adj; } " \
	"> %s.tmp && mv %s.tmp %s; exec sleep 1000'\n"
	/* '+' runs with the daemon's privileges, User= or not (systemd). */
	char plus[400];
	snprintf(plus, sizeof plus, "%s/plus", d.dir);
	hd_unit(&d, "privs.service",
		"[Service]\nUser=nobody\nGroup=nogroup\nSupplementaryGroups=daemon 4242\nNoNewPrivileges=yes\n"
		"OOMScoreAdjust=500\nExecStartPre=+/bin/sh -c '{ id -u; grep NoNewPrivs /proc/$$$$/status; } > %s'\n" REPORT,
		plus, f, f, f);
	hd_unit(&d, "rootgroups.service", "[Service]\nSupplementaryGroups=4243\nOOMScoreAdjust=-10\n" REPORT, g, g, g);
#undef REPORT
	hd_unit(&d, "nogroup.service", "[Service]\nSupplementaryGroups=no-such-group-here\nExecStart=/bin/sleep 1000\n");
	hd_start(&d);
	char *t = h_wait_file(f, 5000);
	cr_assert_not_null(t, "privs.service did not report");
	struct group *gr = getgrnam("daemon");
	cr_assert_not_null(gr);
	unsigned daemon_gid = (unsigned)gr->gr_gid;
	cr_assert_not_null(gr = getgrnam("nogroup"));
	char want[256];
	snprintf(want, sizeof want, "65534\n%u %u 4242\nNoNewPrivs:\t1\n500\n", (unsigned)gr->gr_gid, daemon_gid);
	cr_expect_str_eq(t, want);
	t = h_slurp(plus);
	cr_expect(t && !strcmp(t, "0\nNoNewPrivs:\t0\n"), "ExecStartPre=+ did not run as root: %s", t ? t : "(nothing)");
	t = h_wait_file(g, 5000);
	cr_assert_not_null(t, "rootgroups.service did not report");
	/* Lowering the score needs CAP_SYS_RESOURCE, which containers often
	 * drop: then it is skipped, as systemd does, and the start goes on. */
	cr_expect(!strcmp(t, "0\n0 4243\nNoNewPrivs:\t0\n-10\n") || !strcmp(t, "0\n0 4243\nNoNewPrivs:\t0\n0\n"),
		  "%s", t);
	cr_expect_eq(hd_wait_state(&d, "nogroup.service", "failed", 5000), 0);
	hd_ctl(&d, out, sizeof out, "status", "nogroup", NULL);
	cr_expect(strstr(out, "SupplementaryGroups=no-such-group-here: no such group"), "%s", out);
	cr_expect(hd_log_has(&d, "SupplementaryGroups=no-such-group-here: no such group"), "the group is not named");
	int fds = h_count_fds_settled(d.pid);
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "restart", "privs", NULL), 0, "%s", out);
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "start", "nogroup", NULL), 1, "%s", out);
	cr_expect_eq(h_count_fds_settled(d.pid), fds, "a start and a failed start left descriptors behind");
	cr_expect_eq(hd_stop(&d), 0);
}

/* This process's capability bounding set: the daemon's, whose parent it
 * is, and so what a service's is narrowed from. */
static unsigned long long own_cap_bnd(void)
{
	char *mine = h_slurp("/proc/self/status");
	char *b = mine ? strstr(mine, "CapBnd:") : NULL;
	unsigned long long bnd = 0;
	cr_assert(b && sscanf(b + 7, "%llx", &bnd) == 1, "no CapBnd in /proc/self/status");
	return bnd;
}

/* The kernel's last capability (a user namespace starts with all of
 * them in its bounding set). */
static int own_last_cap(void)
{
	char *t = h_slurp("/proc/sys/kernel/cap_last_cap");
	int last = t ? atoi(t) : 0;
	cr_assert(last > 0, "no /proc/sys/kernel/cap_last_cap");
	return last;
}

/* A port below 1024 on the loopback that nothing listens on, or -1. */
static int free_low_port(void)
{
	for (int port = 600 + getpid() % 300; port < 1000; port++) {
		int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		int ok = s >= 0 && bind(s, (struct sockaddr *)&a, sizeof a) == 0;
		if (s >= 0)
			close(s);
		if (ok)
			return port;
	}
	return -1;
}

/* The end of a test whose unit `failing` cannot start: it is "failed"
 * and its status names the stage; a restart of `healthy` afterwards
 * leaves the daemon no descriptor more; the daemon stops cleanly. */
static void fails_at_stage_then_restarts_clean(struct hd *d, const char *failing, const char *stage,
					       const char *healthy)
{
	char out[1024], unit[128];
	snprintf(unit, sizeof unit, "%s.service", failing);
	hd_ctl(d, out, sizeof out, "start", failing, NULL);
	cr_expect_eq(hd_wait_state(d, unit, "failed", 5000), 0, "%s did not fail", unit);
	hd_ctl(d, out, sizeof out, "status", failing, NULL);
	cr_expect(strstr(out, stage), "the failed stage (%s) is not named: %s", stage, out);
	int fds = h_count_fds_settled(d->pid);
	cr_expect_eq(hd_ctl(d, out, sizeof out, "restart", healthy, NULL), 0, "%s", out);
	cr_expect_eq(h_count_fds_settled(d->pid), fds, "a restart left descriptors behind");
	cr_expect_eq(hd_stop(d), 0);
}

/* CapabilityBoundingSet= and AmbientCapabilities= reach the process: a
 * User=nobody service given CAP_NET_BIND_SERVICE binds a port below 1024
 * itself (systemd-socket-activate does the binding), and without it the
 * same service fails; a root service sees only its bounding set; '+' runs
 * with the daemon's; an ambient capability the bounding set lacks fails
 * the start, naming the stage. */
Test(lifecycle, capabilities_reach_the_process, .timeout = 60)
{
	if (geteuid() != 0)
		cr_skip_test("needs root (User=, capabilities to hand out)");
	struct hd d;
	hd_init(&d);
	chmod(d.dir, 0777);
	char amb[400], bnd[400], plus[400], out[1024];
	snprintf(amb, sizeof amb, "%s/amb", d.dir);
	snprintf(bnd, sizeof bnd, "%s/bnd", d.dir);
	snprintf(plus, sizeof plus, "%s/plus", d.dir);
	int port = free_low_port();
	cr_assert_gt(port, 0, "no free port below 1024 on the loopback");
#define CAPS "grep -E \"^Cap(Prm|Eff|Bnd|Amb)\" /proc/$$$$/status"
	hd_unit(&d, "amb.service",
		"[Service]\nUser=nobody\nAmbientCapabilities=CAP_NET_BIND_SERVICE net_raw\n"
		"ExecStartPre=/bin/sh -c '{ id -u; " CAPS "; } > %s'\n"
		"ExecStart=/usr/bin/systemd-socket-activate --accept --inetd -l 127.0.0.1:%d /bin/echo hello\n",
		amb, port);
	hd_unit(&d, "noamb.service",
		"[Service]\nUser=nobody\nExecStart=/usr/bin/systemd-socket-activate --accept --inetd -l 127.0.0.1:%d /bin/echo hello\n",
		port);
	hd_unit(&d, "bnd.service",
		"[Service]\nCapabilityBoundingSet=CAP_SETUID CAP_SETGID\nCapabilityBoundingSet=CAP_NET_BIND_SERVICE\n"
		"ExecStartPre=+/bin/sh -c '" CAPS " > %s'\n"
		"ExecStart=/bin/sh -c '" CAPS " > %s; exec sleep 1000'\n",
		plus, bnd);
	hd_unit(&d, "outside.service",
		"[Service]\nUser=nobody\nCapabilityBoundingSet=CAP_CHOWN\nAmbientCapabilities=CAP_NET_RAW\n"
		"ExecStart=/bin/sleep 1000\n");
#undef CAPS
	hd_start(&d);

	cr_assert_eq(hd_ctl(&d, out, sizeof out, "start", "amb", NULL), 0, "%s", out);
	char *t = h_wait_file(amb, 5000);
	cr_assert_not_null(t, "amb.service did not report");
	cr_expect(strstr(t, "CapPrm:\t0000000000002400\nCapEff:\t0000000000002400\n"), "%s", t);
	cr_expect(strstr(t, "CapAmb:\t0000000000002400\n"), "%s", t);
	cr_expect(!strncmp(t, "65534\n", 6), "%s", t);
	int fd = -1;
	for (int i = 0; i < 100 && (fd = h_connect_tcp(port)) < 0; i++)
		h_msleep(20);
	cr_assert_geq(fd, 0, "nobody with CAP_NET_BIND_SERVICE did not listen on port %d", port);
	char ans[64];
	h_read_all(fd, ans, sizeof ans, 5000);
	close(fd);
	cr_expect_str_eq(ans, "hello\n");
	cr_assert_eq(hd_ctl(&d, out, sizeof out, "stop", "amb", NULL), 0, "%s", out);

	/* The same without the capability: the bind is refused. */
	hd_ctl(&d, out, sizeof out, "start", "noamb", NULL);
	cr_expect_eq(hd_wait_state(&d, "noamb.service", "failed", 5000), 0, "nobody bound port %d without it", port);

	cr_assert_eq(hd_ctl(&d, out, sizeof out, "start", "bnd", NULL), 0, "%s", out);
	t = h_wait_file(bnd, 5000);
	cr_assert_not_null(t, "bnd.service did not report");
	/* Root gets its bounding set: CAP_SETGID 6, CAP_SETUID 7, CAP_NET_BIND_SERVICE 10. */
	cr_expect_str_eq(t, "CapPrm:\t00000000000004c0\nCapEff:\t00000000000004c0\nCapBnd:\t00000000000004c0\n"
			    "CapAmb:\t0000000000000000\n");
	char b[64];
	snprintf(b, sizeof b, "CapBnd:\t%016llx\n", own_cap_bnd());
	char *p = h_slurp(plus);
	cr_assert_not_null(p);
	cr_expect(strstr(p, b), "ExecStartPre=+ did not keep the daemon's bounding set (%s): %s", b, p);

	fails_at_stage_then_restarts_clean(&d, "outside", "capabilities", "bnd");
}

/* 0 when this process may make a mount namespace (PrivateTmp= tests). */
static int unshare_probe_flags(int flags)
{
	pid_t p = fork();
	if (p == 0)
		_exit(unshare(flags) == 0 ? 0 : 1);
	int st = 1;
	waitpid(p, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

static int unshare_probe(void)
{
	return unshare_probe_flags(CLONE_NEWNS);
}

/* PrivateTmp=yes: the service's /tmp and /var/tmp are its own, shared by
 * all its commands, unseen from outside, and gone after the stop. */
Test(lifecycle, private_tmp, .timeout = 60)
{
	if (geteuid() != 0 || unshare_probe() != 0)
		cr_skip_test("needs mount namespaces (root with CAP_SYS_ADMIN)");
	struct hd d;
	hd_init(&d);
	char f[400], out[1024], mark[64];
	/* Outside /tmp, where the test's directory is: the service sees its
	 * own /tmp there. */
	snprintf(f, sizeof f, "/run/supd-ptmp-%d.seen", (int)getpid());
	snprintf(mark, sizeof mark, "supd-ptmp-%d", (int)getpid());
	hd_unit(&d, "pt.service", "[Service]\nPrivateTmp=yes\nExecStartPre=/bin/sh -c 'echo pre > /tmp/%s'\n"
		"ExecStart=/bin/sh -c 'cat /tmp/%s > %s; touch /var/tmp/%s; exec sleep 1000'\n", mark, mark, f, mark);
	hd_start(&d);
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "start", "pt", NULL), 0, "%s", out);
	char *t = h_wait_file(f, 5000);
	cr_expect(t && !strcmp(t, "pre\n"), "ExecStart= did not see ExecStartPre='s /tmp: %s", t ? t : "(nothing)");
	char host[128];
	snprintf(host, sizeof host, "/tmp/%s", mark);
	cr_expect_neq(access(host, F_OK), 0, "the service's /tmp file is on the host's /tmp");
	snprintf(host, sizeof host, "/var/tmp/%s", mark);
	cr_expect_neq(access(host, F_OK), 0, "the service's /var/tmp file is on the host's /var/tmp");
	/* The directory exists beside, and goes with the stop. */
	char cmd[256];
	snprintf(cmd, sizeof cmd, "ls -d /tmp/supervisord-private-pt.service-*/tmp/%s >/dev/null 2>&1", mark);
	cr_expect_eq(system(cmd), 0, "no private directory holds the file");
	/* Across a re-exec the daemon still knows the directories: the stop
	 * after it removes them. */
	int fds = h_count_fds_settled(d.pid);
	cr_assert_eq(hd_ctl(&d, out, sizeof out, "reexec", NULL), 0, "%s", out);
	cr_expect_eq(h_count_fds_settled(d.pid), fds);
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "stop", "pt", NULL), 0, "%s", out);
	cr_expect_neq(system(cmd), 0, "the private directory outlived the stop");
	unlink(f);
	cr_expect_eq(hd_stop(&d), 0);
}

/* ProtectSystem=strict with ReadWritePaths= and a StateDirectory=,
 * ProtectHome=yes, ReadOnlyPaths=: what the service may write is exactly
 * what the settings leave it, even as root; ProtectSystem=full leaves
 * /var writable and /etc not. */
Test(lifecycle, protect_system_and_home, .timeout = 60)
{
	if (geteuid() != 0 || unshare_probe() != 0)
		cr_skip_test("needs mount namespaces (root with CAP_SYS_ADMIN)");
	struct hd d;
	hd_init(&d);
	char rw[128], ro[160], state[128], rep[200], rep2[200], out[1024];
	snprintf(rw, sizeof rw, "/run/supd-rw-%d", (int)getpid());
	snprintf(ro, sizeof ro, "%s/ro", rw);
	snprintf(state, sizeof state, "/var/lib/supd-ps-%d", (int)getpid());
	snprintf(rep, sizeof rep, "%s/strict", rw);
	snprintf(rep2, sizeof rep2, "%s/full", rw);
	cr_assert_eq(mkdir(rw, 0755), 0);
	cr_assert_eq(mkdir(ro, 0755), 0);
	/* Each probe prints ok or no: can it create a file there? */
#define TRY(path) "f=" path "/supd-probe; if touch $$f 2>/dev/null; then echo ok; rm -f $$f; else echo no; fi; "
	hd_unit(&d, "strict.service",
		"[Service]\nProtectSystem=strict\nProtectHome=yes\nReadWritePaths=%s -/nonexistent/x\nReadOnlyPaths=%s\n"
		"StateDirectory=supd-ps-%d\n"
		"ExecStart=/bin/sh -c '{ " TRY("/usr") TRY("/etc") TRY("/var/tmp") TRY("%s") TRY("%s") TRY("%s")
		"ls -A /root | wc -l; } > %s.tmp; mv %s.tmp %s; exec sleep 1000'\n",
		rw, ro, (int)getpid(), rw, ro, state, rep, rep, rep);
	hd_unit(&d, "full.service",
		"[Service]\nProtectSystem=full\nReadWritePaths=%s\n"
		"ExecStart=/bin/sh -c '{ " TRY("/usr") TRY("/etc") TRY("/var/tmp") "} > %s.tmp; mv %s.tmp %s; exec sleep 1000'\n",
		rw, rep2, rep2, rep2);
#undef TRY
	hd_start(&d);
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "start", "strict", "full", NULL), 0, "%s", out);
	char *t = h_wait_file(rep, 5000);
	/* /usr /etc /var/tmp: read-only; ReadWritePaths=: writable; inside it
	 * ReadOnlyPaths=: not; StateDirectory=: writable; /root: empty. */
	cr_expect(t && !strcmp(t, "no\nno\nno\nok\nno\nok\n0\n"), "strict: %s", t ? t : "(no report)");
	t = h_wait_file(rep2, 5000);
	cr_expect(t && !strcmp(t, "no\nno\nok\n"), "full: %s", t ? t : "(no report)");
	/* Nothing of it reached the host. */
	cr_expect_eq(access("/usr", W_OK), 0);
	int fd = open("/etc/supd-host-probe", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	cr_expect_geq(fd, 0, "the host's /etc became read-only");
	if (fd >= 0) {
		close(fd);
		unlink("/etc/supd-host-probe");
	}
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "stop", "strict", "full", NULL), 0, "%s", out);
	cr_expect_eq(hd_stop(&d), 0);
	unlink(rep);
	unlink(rep2);
	rmdir(ro);
	rmdir(rw);
	rmdir(state);
}

/* BindPaths=, BindReadOnlyPaths=, TemporaryFileSystem=: the pattern
 * systemd documents (an empty read-only /var/lib, one directory of the
 * host's /var/lib bound back into it, writable), a read-only bind inside a
 * ReadWritePaths= tree, a missing mount point made, a file bound, a
 * tmpfs of its own; nothing written inside reaches the host but through
 * a bind; a '+' command gets the binds too (not the restrictions); a
 * missing source fails the start unless it is "-" optional. */
Test(lifecycle, bind_paths_and_temporary_file_system, .timeout = 60)
{
	if (geteuid() != 0 || unshare_probe() != 0)
		cr_skip_test("needs mount namespaces (root with CAP_SYS_ADMIN)");
	struct hd d;
	hd_init(&d);
	char base[128], src[160], srcro[160], file[160], rep[160], host_tmp[160], out[1024], p[256];
	snprintf(base, sizeof base, "/run/supd-bind-%d", (int)getpid());
	snprintf(src, sizeof src, "/var/lib/supd-bind-%d", (int)getpid()); /* under the TemporaryFileSystem= */
	snprintf(srcro, sizeof srcro, "%s/srcro", base);
	snprintf(file, sizeof file, "%s/file.txt", base);
	snprintf(rep, sizeof rep, "%s/rep", base);
	snprintf(host_tmp, sizeof host_tmp, "%s/tmp", base);
	cr_assert(mkdir(base, 0755) == 0 && mkdir(src, 0755) == 0 && mkdir(srcro, 0755) == 0);
	snprintf(p, sizeof p, "%s/data", src);
	cr_assert_eq(h_write_file(p, "hello\n"), 0);
	cr_assert_eq(h_write_file(file, "file\n"), 0);
#define TRY(path) "f=" path "/supd-probe; if touch $$f 2>/dev/null; then echo ok; rm -f $$f; else echo no; fi; "
	hd_unit(&d, "bound.service",
		"[Service]\nProtectSystem=strict\nReadWritePaths=%s\nTemporaryFileSystem=/var/lib:ro\n"
		"BindPaths=%s\nBindReadOnlyPaths=%s -/nonexistent/zz\nBindPaths=%s:%s/dst/in/file.txt:norbind\n"
		"TemporaryFileSystem=%s:mode=0700,size=1m\n"
		"ExecStartPre=+/bin/sh -c 'cat %s/dst/in/file.txt > %s/plus'\n"
		"ExecStart=/bin/sh -c '{ cat %s/data; " TRY("%s") TRY("/var/lib") TRY("%s")
		"ls /var/lib | wc -l; cat %s/dst/in/file.txt; " TRY("%s") "stat -c %%%%a %s; echo w > %s/w; "
		"echo t > %s/t; } > %s.tmp; mv %s.tmp %s; exec sleep 1000'\n",
		base, src, srcro, file, base, host_tmp, base, base, src, src, srcro, base, host_tmp, host_tmp, src, host_tmp,
		rep, rep, rep);
#undef TRY
	hd_unit(&d, "badbind.service", "[Service]\nBindPaths=/nonexistent/q:/mnt\nExecStart=/bin/sleep 1000\n");
	hd_start(&d);
	char *t = h_wait_file(rep, 5000);
	cr_expect(t && !strcmp(t, "hello\nok\nno\nno\n1\nfile\nok\n700\n"), "in the service: %s",
		  t ? t : "(no report)");
	snprintf(p, sizeof p, "%s/w", src);
	cr_expect_eq(access(p, F_OK), 0, "a write through BindPaths= did not reach the host");
	snprintf(p, sizeof p, "%s/t", host_tmp);
	cr_expect_neq(access(p, F_OK), 0, "a write into TemporaryFileSystem= reached the host");
	struct stat st;
	snprintf(p, sizeof p, "%s/dst/in/file.txt", base);
	cr_expect(stat(p, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0,
		  "the missing mount point of a file was not made as an empty file");
	cr_expect_eq(access("/var/lib/dpkg", F_OK), 0, "the host's /var/lib was covered");
	snprintf(p, sizeof p, "%s/plus", base);
	t = h_slurp(p);
	cr_expect(t && !strcmp(t, "file\n"), "ExecStartPre=+ did not see BindPaths= (systemd binds for it too): %s",
		  t ? t : "(nothing)");

	fails_at_stage_then_restarts_clean(&d, "badbind", "namespace", "bound");
	snprintf(out, sizeof out, "rm -rf %s %s", base, src);
	cr_expect_eq(system(out), 0);
}

/* The word for "Seccomp:" and "NoNewPrivs:" in /proc/PID/status. */
/* A restart of unit, then the daemon's stop: the restart may leave no
 * descriptor behind in the daemon. */
static void restart_then_stop(struct hd *d, const char *unit)
{
	char out[1024];
	int fds = h_count_fds_settled(d->pid);
	cr_expect_eq(hd_ctl(d, out, sizeof out, "restart", unit, NULL), 0, "%s", out);
	cr_expect_eq(h_count_fds_settled(d->pid), fds, "a restart of %s left descriptors behind", unit);
	cr_expect_eq(hd_stop(d), 0);
}

static int status_field(pid_t pid, const char *key)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	const char *t = h_slurp(path);
	const char *k = t ? strstr(t, key) : NULL;
	return k ? atoi(k + strlen(key)) : -1;
}

/* The lines of a file that several processes append to, sorted, once
 * they are want (waiting at most 5 s); what they are then, in buf. */
static void wait_sorted(const char *path, const char *want, char *buf, size_t len)
{
	long long end = h_now_ms() + 5000;
	do {
		char cmd[600];
		snprintf(cmd, sizeof cmd, "sort %s 2>/dev/null", path);
		FILE *f = popen(cmd, "r");
		size_t n = f ? fread(buf, 1, len - 1, f) : 0;
		buf[n] = '\0';
		if (f)
			pclose(f);
		if (!strcmp(buf, want))
			return;
		h_msleep(20);
	} while (h_now_ms() < end);
}

/* OnFailure=, OnSuccess=: the units listed start when the unit fails, or
 * ends well (a clean exit, a stop), here instances of a template named after
 * it (%n), the usual way to get notified. A unit that Restart= brings back
 * has not failed until its start limit ends the restarts, so it notifies
 * once; a unit failed by a dependency has not failed itself (systemd). */
Test(lifecycle, on_failure_and_on_success, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	char log[400], out[1024];
	snprintf(log, sizeof log, "%s/notified", d.dir);
	hd_unit(&d, "notify@.service", "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'echo %%i >> %s'\n", log);
	hd_unit(&d, "crash.service", "[Unit]\nOnFailure=notify@%%n.service\n[Service]\nExecStart=/bin/sh -c 'exit 3'\n");
	hd_unit(&d, "again.service",
		"[Unit]\nOnFailure=notify@%%n.service\nStartLimitBurst=3\nStartLimitIntervalSec=30s\n"
		"[Service]\nExecStart=/bin/sh -c 'exit 4'\nRestart=on-failure\nRestartSec=20ms\n");
	hd_unit(&d, "good.service",
		"[Unit]\nOnSuccess=notify@%%n.service\nOnFailure=notify@fail-%%n.service\n"
		"[Service]\nType=oneshot\nExecStart=/bin/true\n");
	hd_unit(&d, "longrun.service", "[Unit]\nOnSuccess=notify@%%n.service\n[Service]\nExecStart=/bin/sleep 1000\n");
	hd_unit(&d, "depfail.service",
		"[Unit]\nRequires=absent.service\nOnFailure=notify@%%n.service\n[Service]\nExecStart=/bin/sleep 1000\n");
	hd_start(&d);
	cr_expect_eq(hd_wait_state(&d, "again.service", "failed", 10000), 0);
	cr_expect_eq(hd_wait_state(&d, "longrun.service", "running", 5000), 0);
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "stop", "longrun", NULL), 0, "%s", out);
	const char *want = "again.service\ncrash.service\ngood.service\nlongrun.service\n";
	char sorted[256];
	wait_sorted(log, want, sorted, sizeof sorted);
	h_msleep(300); /* a notification that should not come would have come */
	char *t = h_slurp(log);
	cr_expect_str_eq(sorted, want, "notified (sorted): %s", t ? t : "(nothing)");
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "status", "notify@fail-good.service", NULL), 4, "%s", out);
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "status", "notify@depfail.service", NULL), 4, "%s", out);
	restart_then_stop(&d, "longrun");
}

/* Conflicts=: starting a unit stops the units it conflicts with, and the
 * units that conflict with it (either side may say it); the start waits
 * until they are down, here one that takes 300 ms to stop. At start-up,
 * of two that conflict, the one asked for later (in name order) runs. */
Test(lifecycle, conflicts, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	char pidf[400], rep[400], out[1024], st[64];
	snprintf(pidf, sizeof pidf, "%s/slow.pid", d.dir);
	snprintf(rep, sizeof rep, "%s/report", d.dir);
	hd_unit(&d, "a.service", "[Service]\nExecStart=/bin/sleep 1000\n");
	hd_unit(&d, "b.service", "[Unit]\nConflicts=a.service\n[Service]\nExecStart=/bin/sleep 1000\n");
	hd_unit(&d, "slow.service",
		"[Service]\nExecStart=/bin/sh -c 'echo $$$$ > %s; trap \"sleep 0.3; exit 0\" TERM; "
		"while :; do sleep 0.05; done'\n", pidf);
	hd_unit(&d, "fast.service",
		"[Unit]\nConflicts=slow.service\n[Service]\nType=oneshot\nRemainAfterExit=yes\n"
		"ExecStart=/bin/sh -c '{ kill -0 $$(cat %s) 2>/dev/null && echo overlap || echo alone; } > %s.tmp; "
		"mv %s.tmp %s'\n",
		pidf, rep, rep, rep);
	hd_start(&d);
	/* At start-up: b (later) won over a; fast (earlier) lost to slow. */
	cr_expect_eq(hd_wait_state(&d, "b.service", "running", 5000), 0);
	cr_expect_eq(hd_wait_state(&d, "slow.service", "running", 5000), 0);
	cr_assert_eq(hd_unit_info(&d, "a.service", st, sizeof st, NULL, NULL, NULL, 0), 0);
	cr_expect_str_eq(st, "stopped");
	/* Either way round. */
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "start", "a", NULL), 0, "%s", out);
	cr_expect_eq(hd_wait_state(&d, "b.service", "stopped", 5000), 0);
	cr_expect_eq(hd_wait_state(&d, "a.service", "running", 5000), 0);
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "start", "b", NULL), 0, "%s", out);
	cr_expect_eq(hd_wait_state(&d, "a.service", "stopped", 5000), 0);
	cr_expect_eq(hd_wait_state(&d, "b.service", "running", 5000), 0);
	/* The start waits for the conflicting unit to be gone. */
	cr_assert_not_null(h_wait_file(pidf, 5000));
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "start", "fast", NULL), 0, "%s", out);
	char *t = h_wait_file(rep, 5000);
	cr_expect(t && !strcmp(t, "alone\n"), "fast.service saw: %s", t ? t : "(no report)");
	cr_assert_eq(hd_unit_info(&d, "slow.service", st, sizeof st, NULL, NULL, NULL, 0), 0);
	cr_expect_str_eq(st, "stopped");
	restart_then_stop(&d, "b");
}

/* RefuseManualStart=, RefuseManualStop=: the operator's start, stop or
 * restart is refused, naming the setting; what other units pull in (Wants=)
 * or take down (PartOf=) still happens, as in systemd. */
Test(lifecycle, refuse_manual_start_and_stop, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	char out[1024], st[64];
	hd_unit(&d, "pinned.service",
		"[Unit]\nRefuseManualStop=yes\nPartOf=owner.service\n[Service]\nExecStart=/bin/sleep 1000\n");
	hd_unit(&d, "owner.service", "[Unit]\nWants=pinned.service pulled.service\n[Service]\nExecStart=/bin/sleep 1000\n");
	hd_unit(&d, "pulled.service", "[Unit]\nRefuseManualStart=yes\n[Service]\nExecStart=/bin/sleep 1000\n"
		"[Install]\nWantedBy=nothing.target\n");
	hd_start(&d);
	cr_expect_eq(hd_wait_state(&d, "pinned.service", "running", 5000), 0);
	cr_expect_eq(hd_wait_state(&d, "pulled.service", "running", 5000), 0, "pulled in by Wants=");
	cr_expect_neq(hd_ctl(&d, out, sizeof out, "stop", "pinned", NULL), 0, "%s", out);
	cr_expect(strstr(out, "RefuseManualStop=yes"), "%s", out);
	cr_expect_neq(hd_ctl(&d, out, sizeof out, "restart", "pinned", NULL), 0, "%s", out);
	cr_assert_eq(hd_unit_info(&d, "pinned.service", st, sizeof st, NULL, NULL, NULL, 0), 0);
	cr_expect_str_eq(st, "running");
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "stop", "pulled", NULL), 0, "%s", out);
	cr_expect_neq(hd_ctl(&d, out, sizeof out, "start", "pulled", NULL), 0, "%s", out);
	cr_expect(strstr(out, "RefuseManualStart=yes"), "%s", out);
	/* Taken down with what it is part of. */
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "stop", "owner", NULL), 0, "%s", out);
	cr_expect_eq(hd_wait_state(&d, "pinned.service", "stopped", 5000), 0);
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "start", "owner", NULL), 0, "%s", out);
	cr_expect_eq(hd_wait_state(&d, "pulled.service", "running", 5000), 0, "pulled in again");
	restart_then_stop(&d, "owner");
}

/* Requisite=: the unit starts only if the other is up already; it is never
 * pulled in, and the start fails at once, naming it. A stop of the other
 * takes the unit down too, as for Requires=. */
Test(lifecycle, requisite, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	char out[1024], st[64];
	hd_unit(&d, "base.service", "[Service]\nExecStart=/bin/sleep 1000\n");
	hd_unit(&d, "needy.service", "[Unit]\nRequisite=base.service\nAfter=base.service\n"
		"[Service]\nExecStart=/bin/sleep 1000\n");
	hd_start(&d);
	cr_expect_eq(hd_wait_state(&d, "needy.service", "running", 5000), 0, "both up at start-up, in order");
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "stop", "base", NULL), 0, "%s", out);
	cr_expect_eq(hd_wait_state(&d, "needy.service", "stopped", 5000), 0, "taken down with it");
	cr_expect_neq(hd_ctl(&d, out, sizeof out, "start", "needy", NULL), 0, "%s", out);
	cr_expect(strstr(out, "base.service is not active (Requisite=)"), "%s", out);
	cr_assert_eq(hd_unit_info(&d, "base.service", st, sizeof st, NULL, NULL, NULL, 0), 0);
	cr_expect_str_eq(st, "stopped", "pulled in");
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "start", "base", NULL), 0, "%s", out);
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "start", "needy", NULL), 0, "%s", out);
	cr_expect_eq(hd_wait_state(&d, "needy.service", "running", 5000), 0);
	restart_then_stop(&d, "needy");
}

/* Upholds=: while the upholder is up, the upheld unit is started again
 * whenever it is found down (killed, stopped), the start limit bounding
 * it; StopWhenUnneeded=: a unit goes down once no unit that is up wants
 * it, and at once when started by hand with nobody wanting it (systemd). */
Test(lifecycle, upholds_and_stop_when_unneeded, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	char out[1024];
	int pid = 0, pid2 = 0;
	hd_unit(&d, "keeper.service", "[Unit]\nUpholds=kept.service\n[Service]\nExecStart=/bin/sleep 1000\n");
	hd_unit(&d, "kept.service", "[Service]\nExecStart=/bin/sleep 1000\n");
	hd_unit(&d, "user.service", "[Unit]\nWants=helper.service\n[Service]\nExecStart=/bin/sleep 1000\n");
	hd_unit(&d, "helper.service", "[Unit]\nStopWhenUnneeded=yes\n[Service]\nExecStart=/bin/sleep 1000\n");
	hd_start(&d);
	cr_expect_eq(hd_wait_state(&d, "kept.service", "running", 5000), 0);
	cr_expect_eq(hd_wait_state(&d, "helper.service", "running", 5000), 0, "wanted: it stays");
	/* Killed: back at once (no Restart= of its own). */
	hd_unit_info(&d, "kept.service", NULL, 0, &pid, NULL, NULL, 0);
	cr_assert_gt(pid, 0);
	int fds = h_count_fds_settled(d.pid);
	kill(pid, SIGKILL);
	long long end = h_now_ms() + 5000;
	while (h_now_ms() < end && (pid2 == 0 || pid2 == pid)) {
		hd_unit_info(&d, "kept.service", NULL, 0, &pid2, NULL, NULL, 0);
		h_msleep(20);
	}
	cr_expect(pid2 > 0 && pid2 != pid, "not started again: pid %d, was %d", pid2, pid);
	cr_expect_eq(h_count_fds_settled(d.pid), fds, "the restart by Upholds= left descriptors behind");
	/* The upholder down: no more upholding. */
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "stop", "keeper", NULL), 0, "%s", out);
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "stop", "kept", NULL), 0, "%s", out);
	h_msleep(300);
	char st[64];
	cr_assert_eq(hd_unit_info(&d, "kept.service", st, sizeof st, NULL, NULL, NULL, 0), 0);
	cr_expect_str_eq(st, "stopped");
	/* Its user down: the helper goes too. */
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "stop", "user", NULL), 0, "%s", out);
	cr_expect_eq(hd_wait_state(&d, "helper.service", "stopped", 5000), 0, "unneeded, still running");
	/* Started by hand, nobody wanting it: down again. */
	hd_ctl(&d, out, sizeof out, "start", "helper", NULL);
	cr_expect(hd_log_wait(&d, "helper.service: stopping, no unit needs it any more", 5000));
	cr_expect_eq(hd_wait_state(&d, "helper.service", "stopped", 5000), 0);
	cr_expect_eq(hd_stop(&d), 0);
}

/* PropagatesReloadTo=/ReloadPropagatedFrom=: reloading a unit reloads the
 * running units it reaches, either side naming the other, each once even
 * on a cycle; PropagatesStopTo=/StopPropagatedFrom=: stopping it stops
 * them, and nothing else. */
Test(lifecycle, propagated_reload_and_stop, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	char log[400], out[1024], st[64];
	snprintf(log, sizeof log, "%s/reloads", d.dir);
#define RELOADS(tag) "ExecStart=/bin/sleep 1000\nExecReload=/bin/sh -c 'echo " tag " >> %s'\n"
	hd_unit(&d, "a.service", "[Unit]\nPropagatesReloadTo=b.service\nPropagatesStopTo=c.service\n[Service]\n" RELOADS("a"),
		log);
	hd_unit(&d, "b.service", "[Unit]\nPropagatesReloadTo=a.service\n[Service]\n" RELOADS("b"), log);
	hd_unit(&d, "d.service", "[Unit]\nReloadPropagatedFrom=a.service\n[Service]\n" RELOADS("d"), log);
#undef RELOADS
	hd_unit(&d, "c.service", "[Service]\nExecStart=/bin/sleep 1000\n");
	hd_unit(&d, "e.service", "[Unit]\nStopPropagatedFrom=a.service\n[Service]\nExecStart=/bin/sleep 1000\n");
	hd_start(&d);
	const char *all[5] = { "a.service", "b.service", "c.service", "d.service", "e.service" };
	for (int i = 0; i < 5; i++)
		cr_expect_eq(hd_wait_state(&d, all[i], "running", 5000), 0, "%s", all[i]);
	int fds = h_count_fds_settled(d.pid);
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "reload", "a", NULL), 0, "%s", out);
	char sorted[64];
	wait_sorted(log, "a\nb\nd\n", sorted, sizeof sorted);
	h_msleep(200); /* a second round, on the cycle, would have come */
	char *t = h_slurp(log);
	cr_expect(t && strlen(t) == 6, "each once: %s", t ? t : "(none)");
	cr_expect_str_eq(sorted, "a\nb\nd\n");
	cr_expect_eq(h_count_fds_settled(d.pid), fds, "the reloads left descriptors behind");
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "stop", "a", NULL), 0, "%s", out);
	cr_expect_eq(hd_wait_state(&d, "c.service", "stopped", 5000), 0);
	cr_expect_eq(hd_wait_state(&d, "e.service", "stopped", 5000), 0);
	const char *kept[2] = { "b.service", "d.service" };
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(hd_unit_info(&d, kept[i], st, sizeof st, NULL, NULL, NULL, 0), 0);
		cr_expect_str_eq(st, "running", "%s", kept[i]);
	}
	cr_expect_eq(hd_stop(&d), 0);
}

/* A oneshot without ExecStart= (systemd's pattern for "run this at
 * shutdown"): with RemainAfterExit=yes it is active at once, and its
 * ExecStop= runs when it is stopped. */
Test(lifecycle, oneshot_without_exec_start, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	char f[400], buf[256], reply[1024], st[64];
	snprintf(f, sizeof f, "%s/trail", d.dir);
	hd_unit(&d, "atstop.service", "[Service]\nRemainAfterExit=yes\nExecStartPost=/bin/sh -c 'echo post >> %s'\n"
		"ExecStop=/bin/sh -c 'echo stop >> %s'\n", f, f);
	hd_start(&d);
	int daemon_fds = h_count_fds_settled(d.pid);
	cr_expect_eq(hd_wait_state(&d, "atstop.service", "exited", 5000), 0);
	cr_expect_str_eq(slurp(f, buf, sizeof buf), "post\n");
	cr_expect_eq(hd_ctl(&d, reply, sizeof reply, "stop", "atstop", NULL), 0, "%s", reply);
	cr_expect_str_eq(slurp(f, buf, sizeof buf), "post\nstop\n");
	cr_assert_eq(hd_unit_info(&d, "atstop.service", st, sizeof st, NULL, NULL, NULL, 0), 0);
	cr_expect_str_eq(st, "stopped");
	cr_expect_eq(h_count_fds_settled(d.pid), daemon_fds);
	cr_expect_eq(hd_stop(&d), 0);
}

/* SuccessAction=, FailureAction=: "exit" stops every service and ends the
 * daemon with ...ActionExitStatus=, or else the unit's main process's exit
 * status (systemd's emergency_action, as for a container's manager); a
 * machine action (reboot, ...) ends the daemon too, with a warning at load;
 * a unit that Restart= brings back has not failed until its start limit. */
Test(lifecycle, success_and_failure_actions, .timeout = 60)
{
	const struct {
		const char *unit;
		int status;
	} cases[4] = {
		{ "[Unit]\nSuccessAction=exit\nSuccessActionExitStatus=7\n[Service]\nType=oneshot\nExecStart=/bin/sleep 0.3\n", 7 },
		/* No ExecStart= (systemd-exit.service's way): a oneshot that is
		 * done as soon as it is started. */
		{ "[Unit]\nSuccessAction=exit\nSuccessActionExitStatus=5\n[Service]\nExecStartPre=/bin/sleep 0.3\n", 5 },
		{ "[Unit]\nFailureAction=exit-force\n[Service]\nExecStart=/bin/sh -c 'sleep 0.2; exit 3'\n", 3 },
		{ "[Unit]\nFailureAction=reboot\nStartLimitBurst=3\nStartLimitIntervalSec=30s\n"
		  "[Service]\nExecStart=/bin/sh -c 'exit 4'\nRestart=on-failure\nRestartSec=20ms\n", 4 },
	};
	for (int i = 0; i < 4; i++) {
		struct hd d;
		hd_init(&d);
		hd_unit(&d, "job.service", "%s", cases[i].unit);
		hd_unit(&d, "other.service", "[Service]\nExecStart=/bin/sleep 1000\n");
		hd_start(&d);
		int other = 0;
		long long end = h_now_ms() + 5000;
		while (!other && h_now_ms() < end) {
			hd_unit_info(&d, "other.service", NULL, 0, &other, NULL, NULL, 0);
			h_msleep(5);
		}
		int rc = h_wait_exit(d.pid, 10000); /* the daemon ends by itself */
		if (rc >= 0)
			d.pid = 0;
		cr_expect_eq(rc, cases[i].status, "case %d: the daemon's exit status %d", i, rc);
		cr_expect(other > 0 && !h_alive(other), "case %d: other.service was not stopped", i);
		if (i == 3) {
			cr_expect(hd_log_has(&d, "FailureAction=reboot: the daemon exits instead"), "no warning at load");
			cr_expect(hd_log_has(&d, "job.service: start request repeated too quickly") ||
					  hd_log_has(&d, "StartLimitBurst"),
				  "it did not wait for the start limit");
		}
		hd_stop(&d); /* its directory; the daemon too, if it did not end */
	}
}

/* MemoryDenyWriteExecute=, RestrictRealtime=, LockPersonality=: the
 * worker's tries fail with EPERM where an unfiltered one's pass, what
 * they allow still works, a 32-bit system call fails (ENOSYS), and with
 * User= (no CAP_SYS_ADMIN) NoNewPrivileges= is implied, as in systemd;
 * a '+' command is not filtered. */
Test(lifecycle, memory_deny_write_execute_and_friends, .timeout = 60)
{
#if !defined(__x86_64__) && !defined(__aarch64__)
	cr_skip_test("no system call table for this machine");
#endif
	struct hd d;
	hd_init(&d);
	char rep[4][400];
	const char *names[4] = { "plain", "locked", "lockeduser", "pluslocked" };
	for (int i = 0; i < 4; i++)
		snprintf(rep[i], sizeof rep[i], "%s/%s.rep", d.dir, names[i]);
	cr_assert_eq(chmod(d.dir, 0777), 0);
#define LOCKS "MemoryDenyWriteExecute=yes\nRestrictRealtime=yes\nLockPersonality=yes\n"
	hd_unit(&d, "plain.service", "[Service]\nExecStart=" H_WORKERS "/sysprobe %s\n", rep[0]);
	hd_unit(&d, "locked.service", "[Service]\n" LOCKS "ExecStart=" H_WORKERS "/sysprobe %s\n", rep[1]);
	hd_unit(&d, "lockeduser.service", "[Service]\n%s" LOCKS "ExecStart=" H_WORKERS "/sysprobe %s\n",
		geteuid() == 0 ? "User=nobody\n" : "", rep[2]);
	hd_unit(&d, "pluslocked.service", "[Service]\n" LOCKS "ExecStart=+" H_WORKERS "/sysprobe %s\n", rep[3]);
#undef LOCKS
	hd_start(&d);
#if defined(__x86_64__)
	const char *want = "EPERM EPERM ok EPERM ok EPERM ok ENOSYS \n";
#else
	const char *want = "EPERM EPERM ok EPERM ok EPERM ok n/a \n";
#endif
	char *t = h_wait_file(rep[0], 5000);
	cr_assert_not_null(t);
	cr_expect(!strncmp(t, "ok ok ok ", 9), "unfiltered, W+X memory is refused already: %s", t);
	for (int i = 1; i < 3; i++) {
		t = h_wait_file(rep[i], 5000);
		cr_expect(t && !strcmp(t, want), "%s: %s", names[i], t ? t : "(no report)");
	}
	t = h_wait_file(rep[3], 5000);
	cr_expect(t && !strncmp(t, "ok ok ok ", 9), "'+' was filtered: %s", t ? t : "(no report)");
	int pid = 0;
	cr_assert_eq(hd_unit_info(&d, "locked.service", NULL, 0, &pid, NULL, NULL, 0), 0);
	cr_expect_eq(status_field(pid, "Seccomp:"), 2);
	if (geteuid() == 0)
		cr_expect_eq(status_field(pid, "NoNewPrivs:"), 0, "root with CAP_SYS_ADMIN needs no no_new_privs");
	cr_assert_eq(hd_unit_info(&d, "lockeduser.service", NULL, 0, &pid, NULL, NULL, 0), 0);
	cr_expect_eq(status_field(pid, "Seccomp:"), 2);
	if (geteuid() == 0)
		cr_expect_eq(status_field(pid, "NoNewPrivs:"), 1, "User=: NoNewPrivileges= is implied");
	cr_assert_eq(hd_unit_info(&d, "plain.service", NULL, 0, &pid, NULL, NULL, 0), 0);
	cr_expect_eq(status_field(pid, "Seccomp:"), 0);
	restart_then_stop(&d, "locked");
}

/* RestrictSUIDSGID=: a root service cannot make a set-user-ID or
 * set-group-ID file or directory (chmod, mkdir -m, install -m through
 * open with O_CREAT), and still makes plain ones; without it, it can. */
Test(lifecycle, restrict_suid_sgid, .timeout = 60)
{
#if !defined(__x86_64__) && !defined(__aarch64__)
	cr_skip_test("no system call table for this machine");
#endif
	struct hd d;
	hd_init(&d);
	char script[400], rep[2][400], unit[64];
	snprintf(script, sizeof script, "%s/try.sh", d.dir);
	/* Exit codes of: chmod u+s, chmod g+s, mkdir -m 2755, a creating
	 * open with mode 4755 (python-free: perl may be missing, so the
	 * probe worker does it), then a plain chmod 644 and mkdir. */
	cr_assert_eq(h_write_file(script,
				  "cd \"$2\" && touch f && r=\"\"\n"
				  "for c in \"chmod u+s f\" \"chmod g+s f\" \"mkdir -m 2755 sd\" \"" H_WORKERS
				  "/sysprobe $2/o suidfile\" \"chmod 644 f\" \"mkdir pd\"; do\n"
				  "  if $c >/dev/null 2>&1; then r=\"$r 0\"; else r=\"$r 1\"; fi\n"
				  "done\n"
				  "echo $r > \"$1.tmp\"; mv \"$1.tmp\" \"$1\"\n"),
		     0);
	const char *names[2] = { "free", "nosuid" };
	const char *want[2] = { "0 0 0 0 0 0\n", "1 1 1 1 0 0\n" };
	for (int i = 0; i < 2; i++) {
		char work[420];
		snprintf(rep[i], sizeof rep[i], "%s/%s.rep", d.dir, names[i]);
		snprintf(work, sizeof work, "%s/%s.d", d.dir, names[i]);
		cr_assert_eq(mkdir(work, 0755), 0);
		snprintf(unit, sizeof unit, "%s.service", names[i]);
		hd_unit(&d, unit, "[Service]\nType=oneshot\n%sExecStart=/bin/sh %s %s %s\n",
			i ? "RestrictSUIDSGID=yes\n" : "", script, rep[i], work);
	}
	hd_start(&d);
	for (int i = 0; i < 2; i++) {
		char *t = h_wait_file(rep[i], 5000);
		cr_expect(t && !strcmp(t, want[i]), "%s: %s (wanted %s)", names[i], t ? t : "(no report)", want[i]);
	}
	cr_expect_eq(hd_stop(&d), 0);
}

/* RestrictNamespaces=: unshare(), clone() and setns() for a forbidden
 * type fail, the allowed ones work, lines merge as in systemd (a list,
 * "~" a list, yes); threads and forks still work (clone3 gets ENOSYS,
 * libc falls back), and clone3 cannot be the way around. Root, so that without the filter all of it works. */
Test(lifecycle, restrict_namespaces, .timeout = 60)
{
#if !defined(__x86_64__) && !defined(__aarch64__)
	cr_skip_test("no system call table for this machine");
#endif
	if (geteuid() != 0 || unshare_probe() != 0)
		cr_skip_test("needs root with CAP_SYS_ADMIN (to make namespaces at all)");
	struct hd d;
	hd_init(&d);
	/* Exit codes of: unshare uts, net, user; setns into a net namespace;
	 * a fork (the pipe). */
	char script[400];
	snprintf(script, sizeof script, "%s/try.sh", d.dir);
	cr_assert_eq(h_write_file(script,
				  "r=\"\"\n"
				  "for c in \"unshare --uts true\" \"unshare --net true\" \"unshare --user true\" "
				  "\"nsenter --net=/proc/self/ns/net true\"; do\n"
				  "  if $c >/dev/null 2>&1; then r=\"$r 0\"; else r=\"$r 1\"; fi\n"
				  "done\n"
				  "if [ \"$(echo x | cat)\" = x ]; then r=\"$r 0\"; else r=\"$r 1\"; fi\n"
				  "echo $r > \"$1.tmp\"; mv \"$1.tmp\" \"$1\"\n"),
		     0);
	const char *names[4] = { "free", "utsonly", "nonet", "none" };
	const char *settings[4] = { "", "RestrictNamespaces=uts\n", "RestrictNamespaces=~net\nRestrictNamespaces=~user\n",
				    "RestrictNamespaces=ipc\nRestrictNamespaces=yes\n" };
	const char *want[4] = { "0 0 0 0 0\n", "0 1 1 1 0\n", "0 1 1 1 0\n", "1 1 1 1 0\n" };
	char rep[4][400], thr[4][400], unit[64];
	for (int i = 0; i < 4; i++) {
		snprintf(rep[i], sizeof rep[i], "%s/%s.rep", d.dir, names[i]);
		snprintf(thr[i], sizeof thr[i], "%s/%s.thread", d.dir, names[i]);
		snprintf(unit, sizeof unit, "%s.service", names[i]);
		hd_unit(&d, unit, "[Service]\n%sExecStartPre=/bin/sh %s %s\nExecStart=" H_WORKERS "/sysprobe %s thread\n",
			settings[i], script, rep[i], thr[i]);
	}
	hd_start(&d);
	for (int i = 0; i < 4; i++) {
		char *t = h_wait_file(rep[i], 5000);
		cr_expect(t && !strcmp(t, want[i]), "%s: %s (wanted %s)", names[i], t ? t : "(no report)", want[i]);
		t = h_wait_file(thr[i], 5000);
		cr_expect(t && !strcmp(t, i == 0 ? "ok ok \n" : "ok ENOSYS \n"), "%s: a thread, clone3(CLONE_NEWUTS): %s",
			  names[i], t ? t : "(no report)");
	}
	cr_expect_eq(hd_stop(&d), 0);
}

/* n units NAME.service, each running "sysprobe d.dir/NAME.rep mode"
 * with its settings (the one named "plus" as a '+' command); the report
 * paths into rep. */
static void probe_units(struct hd *d, int n, const char *const *names, const char *const *settings, const char *mode,
			char (*rep)[400])
{
	for (int i = 0; i < n; i++) {
		char unit[64];
		snprintf(rep[i], 400, "%s/%s.rep", d->dir, names[i]);
		snprintf(unit, sizeof unit, "%s.service", names[i]);
		hd_unit(d, unit, "[Service]\n%sExecStart=%s" H_WORKERS "/sysprobe %s %s\n", settings[i],
			!strcmp(names[i], "plus") ? "+" : "", rep[i], mode);
	}
}

/* What socket(family) gives this (unfiltered) process: "ok" or the
 * word sysprobe would write. */
static const char *own_socket(int family, int type, int proto)
{
	int fd = socket(family, type | SOCK_CLOEXEC, proto);
	if (fd >= 0)
		close(fd);
	return fd >= 0 ? "ok" : errno == EAFNOSUPPORT ? "EAFNOSUPPORT" : "other";
}

/* RestrictAddressFamilies=: socket() of a family left out gets
 * EAFNOSUPPORT, the others work as unfiltered; "~" refuses, lines merge
 * as in systemd, "none" refuses all, empty resets; socketpair() is left
 * alone; an unknown name is skipped with a warning naming it; '+' is not
 * filtered. */
Test(lifecycle, restrict_address_families, .timeout = 60)
{
#if !defined(__x86_64__) && !defined(__aarch64__)
	cr_skip_test("no system call table for this machine");
#endif
	struct hd d;
	hd_init(&d);
	const char *un = own_socket(AF_UNIX, SOCK_STREAM, 0), *in = own_socket(AF_INET, SOCK_STREAM, 0),
		   *in6 = own_socket(AF_INET6, SOCK_STREAM, 0), *nl = own_socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	const char *no = "EAFNOSUPPORT";
	enum { N = 7 };
	const char *names[N] = { "free", "allow", "refuse", "merged", "none", "reset", "plus" };
	const char *settings[N] = {
		"",
		"RestrictAddressFamilies=AF_UNIX AF_INET AF_BOGUS\n",
		"RestrictAddressFamilies=~AF_INET\n",
		"RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6\nRestrictAddressFamilies=~AF_INET AF_NETLINK\n",
		"RestrictAddressFamilies=none\n",
		"RestrictAddressFamilies=AF_UNIX\nRestrictAddressFamilies=\n",
		"RestrictAddressFamilies=none\n",
	};
	const char *want[N][4] = {
		{ un, in, in6, nl }, { un, in, no, no }, { un, no, in6, nl }, { un, no, in6, no },
		{ no, no, no, no },  { un, in, in6, nl }, { un, in, in6, nl },
	};
	char rep[N][400];
	probe_units(&d, N, names, settings, "families", rep);
	hd_start(&d);
	for (int i = 0; i < N; i++) {
		char w[200];
		snprintf(w, sizeof w, "%s %s %s %s ok \n", want[i][0], want[i][1], want[i][2], want[i][3]);
		char *t = h_wait_file(rep[i], 5000);
		cr_expect(t && !strcmp(t, w), "%s: %s (wanted %s)", names[i], t ? t : "(no report)", w);
	}
	cr_expect(hd_log_has(&d, "allow.service:2: RestrictAddressFamilies=: 'AF_BOGUS' is not an address family"),
		  "the unknown name is named, with its line");
	restart_then_stop(&d, "allow");
}

/* SystemCallArchitectures=: a 32-bit system call from an x86-64 worker
 * kills it (SIGSYS) when only the native architecture is listed, and
 * passes when x86 is listed too; with another filter loaded it gets
 * ENOSYS instead (that filter judges native numbers only). An unknown
 * name is skipped with a warning; '+' is not filtered. */
Test(lifecycle, system_call_architectures, .timeout = 60)
{
#if !defined(__x86_64__)
	cr_skip_test("the 32-bit probe is x86-64's int 0x80");
#endif
	struct hd d;
	hd_init(&d);
	enum { N = 6 };
	const char *names[N] = { "free", "native", "withx86", "filtered", "unknown", "plus" };
	const char *settings[N] = {
		"",
		"SystemCallArchitectures=native\nLimitCORE=0\n",
		"SystemCallArchitectures=native\nSystemCallArchitectures=x86\n",
		"SystemCallArchitectures=x86-64 x86\nLockPersonality=yes\n",
		"SystemCallArchitectures=sparc64\n",
		"SystemCallArchitectures=native\n",
	};
	const char *want[N] = { "ok \n", NULL, "ok \n", "ENOSYS \n", "ok \n", "ok \n" };
	char rep[N][400];
	probe_units(&d, N, names, settings, "int80", rep);
	hd_start(&d);
	for (int i = 0; i < N; i++) {
		if (!want[i])
			continue;
		char *t = h_wait_file(rep[i], 5000);
		cr_expect(t && !strcmp(t, want[i]), "%s: %s (wanted %s)", names[i], t ? t : "(no report)", want[i]);
	}
	cr_expect_eq(hd_wait_state(&d, "native.service", "failed", 5000), 0);
	cr_expect(hd_log_has(&d, "killed by signal 31"), "the 32-bit call killed it with SIGSYS");
	cr_expect(access(rep[1], F_OK) != 0, "the killed worker wrote nothing");
	cr_expect(hd_log_has(&d, "unknown.service:2: SystemCallArchitectures=: 'sparc64' is not an architecture"),
		  "the unknown name is named, with its line");
	cr_expect_eq(hd_stop(&d), 0);
}

/* SystemCallFilter=: an allow list (@system-service, which starts from
 * @default) refuses a call outside it with SystemCallErrorNumber=, or
 * kills by default; calls newer than systemd's list get ENOSYS; a deny
 * list refuses what it names, with a call's own errno ("~@mount:EACCES");
 * lines merge, empty resets; a shell and coreutils run under
 * @system-service; an unknown name is skipped with a warning; '+' is not
 * filtered. Each report: mincore, umount2, statmount, getppid. */
Test(lifecycle, system_call_filter, .timeout = 60)
{
#if !defined(__x86_64__) && !defined(__aarch64__)
	cr_skip_test("no system call table for this machine");
#endif
	if (geteuid() != 0)
		cr_skip_test("umount2 answers ENOENT (not EPERM) only for root");
	struct hd d;
	hd_init(&d);
	enum { N = 7 };
	const char *names[N] = { "free", "allow", "deny", "merged", "reset", "plus", "killed" };
	const char *settings[N] = {
		"",
		"SystemCallFilter=@system-service frobnicate\nSystemCallErrorNumber=EPERM\n",
		"SystemCallFilter=~@mount:EACCES\nSystemCallFilter=~mincore\nSystemCallErrorNumber=EPERM\n",
		"SystemCallFilter=@system-service mincore umount2\nSystemCallFilter=~umount2\nSystemCallErrorNumber=1\n",
		"SystemCallFilter=~@mount\nSystemCallFilter=\n",
		"SystemCallFilter=@default\n",
		"SystemCallFilter=@system-service\nLimitCORE=0\n",
	};
	/* NULL: what statmount() answers unfiltered (EFAULT; ENOSYS before
	 * Linux 6.8). The last unit is killed. */
	const char *want[N][4] = {
		{ "ok", "ENOENT", NULL, "ok" },	  { "EPERM", "EPERM", "ENOSYS", "ok" }, { "EPERM", "EACCES", NULL, "ok" },
		{ "ok", "EPERM", "ENOSYS", "ok" }, { "ok", "ENOENT", NULL, "ok" },	  { "ok", "ENOENT", NULL, "ok" },
	};
	char rep[N][400];
	probe_units(&d, N, names, settings, "calls", rep);
	char shrep[400];
	snprintf(shrep, sizeof shrep, "%s/shell.rep", d.dir);
	hd_unit(&d, "shell.service",
		"[Service]\nSystemCallFilter=@system-service\nExecStart=/bin/sh -c 'ls / | wc -l >/dev/null && "
		"sed -n \"s/^Seccomp:[[:space:]]*//p\" /proc/self/status > %s.tmp && mv %s.tmp %s; exec sleep 1000'\n",
		shrep, shrep, shrep);
	hd_start(&d);
	char *t = h_wait_file(rep[0], 5000);
	cr_assert_not_null(t, "free.service did not report");
	const char *sm = strstr(t, "ENOSYS") ? "ENOSYS" : "EFAULT";
	for (int i = 0; i < N - 1; i++) {
		char w[100];
		snprintf(w, sizeof w, "%s %s %s %s \n", want[i][0], want[i][1], want[i][2] ? want[i][2] : sm, want[i][3]);
		t = h_wait_file(rep[i], 5000);
		cr_expect(t && !strcmp(t, w), "%s: %s (wanted %s)", names[i], t ? t : "(no report)", w);
	}
	t = h_wait_file(shrep, 5000);
	cr_expect(t && !strcmp(t, "2\n"), "a shell and coreutils under @system-service, Seccomp: %s",
		  t ? t : "(no report)");
	cr_expect_eq(hd_wait_state(&d, "killed.service", "failed", 5000), 0);
	cr_expect(hd_log_has(&d, "killed by signal 31"), "mincore, outside the allow list, killed it");
	cr_expect(access(rep[N - 1], F_OK) != 0, "the killed worker wrote nothing");
	cr_expect(hd_log_has(&d, "allow.service:2: SystemCallFilter=: 'frobnicate' is not a system call or group systemd knows, "
			      "ignoring it\n"),
		  "the unknown name is named, with its line");
	int pid = 0;
	cr_assert_eq(hd_unit_info(&d, "shell.service", NULL, 0, &pid, NULL, NULL, 0), 0);
	cr_expect_eq(status_field(pid, "Seccomp_filters:"), 1, "one filter, SystemCallFilter='s own");
	restart_then_stop(&d, "shell");
}

/* SecureBits=: the bits a service runs with, for root and for another
 * user (set after the switch, CAP_SETPCAP kept for it); keep-caps is
 * cleared by the exec, as the kernel clears it; the last line wins, empty
 * resets; an unknown word is skipped with a warning; '+' is left alone. */
Test(lifecycle, secure_bits, .timeout = 60)
{
	if (geteuid() != 0)
		cr_skip_test("needs root (CAP_SETPCAP and User=nobody)");
	struct hd d;
	hd_init(&d);
	cr_assert_eq(chmod(d.dir, 0777), 0);
	enum { N = 6 };
	const char *names[N] = { "free", "noroot", "user", "keep", "last", "plus" };
	const char *settings[N] = {
		"",
		"SecureBits=noroot noroot-locked\n",
		"User=nobody\nSecureBits=noroot noroot-locked no-setuid-fixup-locked bogus\n",
		"SecureBits=keep-caps noroot\n",
		"SecureBits=noroot\nSecureBits=\nSecureBits=no-setuid-fixup\n",
		"SecureBits=noroot\n",
	};
	const char *want[N] = { "0 \n", "3 \n", "11 \n", "1 \n", "4 \n", "0 \n" };
	char rep[N][400];
	probe_units(&d, N, names, settings, "securebits", rep);
	hd_start(&d);
	for (int i = 0; i < N; i++) {
		char *t = h_wait_file(rep[i], 5000);
		cr_expect(t && !strcmp(t, want[i]), "%s: %s (wanted %s)", names[i], t ? t : "(no report)", want[i]);
	}
	cr_expect(hd_log_has(&d, "user.service:3: SecureBits=: 'bogus' is not a secure bit, ignoring"));
	restart_then_stop(&d, "user");
}

/* System V IPC objects (shm, sem, msg) and /dev/shm entries owned by
 * uid; with rm, removed (only the test's own IDs are ever passed). */
static int ipc_objects(uid_t uid, bool rm)
{
	static const struct {
		const char *table;
		int uid_col;
	} t[] = { { "shm", 7 }, { "sem", 4 }, { "msg", 7 } };
	int n = 0;
	for (int k = 0; k < 3; k++) {
		char path[64], line[512];
		snprintf(path, sizeof path, "/proc/sysvipc/%s", t[k].table);
		FILE *f = fopen(path, "re");
		if (!f)
			continue;
		while (fgets(line, sizeof line, f)) {
			long v[10];
			char *p = line, *end;
			int c = 0;
			for (; c < 10; c++, p = end) {
				v[c] = strtol(p, &end, 10);
				if (end == p)
					break;
			}
			if (c <= t[k].uid_col || (uid_t)v[t[k].uid_col] != uid)
				continue;
			n++;
			if (rm)
				k == 0 ? shmctl((int)v[1], IPC_RMID, NULL) : k == 1 ? semctl((int)v[1], 0, IPC_RMID)
										  : msgctl((int)v[1], IPC_RMID, NULL);
		}
		fclose(f);
	}
	DIR *d = opendir("/dev/shm");
	for (struct dirent *e; d && (e = readdir(d));) {
		struct stat st;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_uid == uid && e->d_name[0] != '.') {
			n++;
			if (rm)
				unlinkat(dirfd(d), e->d_name, 0);
		}
	}
	if (d)
		closedir(d);
	return n;
}

/* RemoveIPC=: what a service's user made in System V IPC and /dev/shm
 * goes when its service stops, but only once no other service of that
 * user runs; without it, it stays. Numeric users no one has, so that
 * nothing but the test's own objects is in reach. */
Test(lifecycle, remove_ipc, .timeout = 60)
{
	if (geteuid() != 0)
		cr_skip_test("needs root (User= of other IDs)");
	struct hd d;
	hd_init(&d);
	cr_assert_eq(chmod(d.dir, 0777), 0);
	uid_t base = 3000000 + (uid_t)(getpid() % 100000) * 4;
	const char *names[4] = { "rm", "keep", "shared1", "shared2" };
	uid_t uid[4] = { base, base + 1, base + 2, base + 2 };
	char rep[4][400], unit[64];
	for (int i = 0; i < 4; i++) {
		cr_assert_null(getpwuid(uid[i]), "uid %u is taken", (unsigned)uid[i]);
		snprintf(rep[i], sizeof rep[i], "%s/%s.rep", d.dir, names[i]);
		snprintf(unit, sizeof unit, "%s.service", names[i]);
		hd_unit(&d, unit,
			"[Service]\nUser=%u\nRemoveIPC=%s\nExecStart=/bin/sh -c '%stouch /dev/shm/supd-ipc-%d-%s; "
			"echo ok > %s.tmp; mv %s.tmp %s; exec sleep 1000'\n",
			(unsigned)uid[i], i == 1 ? "no" : "yes",
			i == 3 ? "" : "ipcmk -M 4096 >/dev/null && ipcmk -S 1 >/dev/null && ipcmk -Q >/dev/null && ",
			(int)getpid(), names[i], rep[i], rep[i], rep[i]);
	}
	hd_start(&d);
	for (int i = 0; i < 4; i++)
		cr_assert_not_null(h_wait_file(rep[i], 5000), "%s did not report", names[i]);
	cr_expect_eq(ipc_objects(base, false), 4, "shm, sem, msg and /dev/shm");
	cr_expect_eq(ipc_objects(base + 2, false), 5);
	char out[1024];
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "stop", "rm", NULL), 0, "%s", out);
	cr_expect_eq(ipc_objects(base, false), 0, "RemoveIPC=yes: gone with the stop");
	cr_expect(hd_log_has(&d, "rm.service: RemoveIPC=: 4 IPC objects removed"));
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "stop", "keep", NULL), 0, "%s", out);
	cr_expect_eq(ipc_objects(base + 1, false), 4, "RemoveIPC=no: kept");
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "stop", "shared1", NULL), 0, "%s", out);
	cr_expect_eq(ipc_objects(base + 2, false), 5, "another service of the user still runs");
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "stop", "shared2", NULL), 0, "%s", out);
	cr_expect_eq(ipc_objects(base + 2, false), 0, "the last one stopped");
	cr_expect_eq(hd_stop(&d), 0);
	for (uid_t u = base; u < base + 3; u++)
		ipc_objects(u, true);
}

/* KeyringMode=: by default (root's daemon: systemd's system manager) each
 * service gets a session keyring of its own, owned by the user it runs
 * as; "shared" links that user's keyring into it; "inherit" keeps the
 * daemon's. Each report: the keyring's ID, its owner, the user keyring
 * linked or not. */
Test(lifecycle, keyring_mode, .timeout = 60)
{
	if (geteuid() != 0)
		cr_skip_test("the default is private only for root's daemon");
	long own = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, (long)KEY_SPEC_SESSION_KEYRING, 0L);
	if (own < 0)
		cr_skip_test("no kernel keyrings here");
	struct hd d;
	hd_init(&d);
	cr_assert_eq(chmod(d.dir, 0777), 0);
	enum { N = 5 };
	const char *names[N] = { "priv1", "priv2", "inherit", "user", "shared" };
	const char *settings[N] = { "", "KeyringMode=private\n", "KeyringMode=inherit\n", "User=nobody\n",
				    "User=nobody\nKeyringMode=shared\n" };
	char rep[N][400];
	probe_units(&d, N, names, settings, "keyring", rep);
	hd_start(&d);
	long id[N];
	for (int i = 0; i < N; i++) {
		char *t = h_wait_file(rep[i], 5000);
		cr_assert_not_null(t, "%s did not report", names[i]);
		char owner[16], linked[8];
		cr_assert_eq(sscanf(t, "%ld %15s %7s", &id[i], owner, linked), 3, "%s", t);
		/* The inherited one is whatever this test runs in. */
		const char *want_owner = i >= 3 ? "65534" : "0", *want_linked = i == 4 ? "yes" : i == 2 ? linked : "no";
		cr_expect(!strcmp(owner, want_owner) && !strcmp(linked, want_linked), "%s: %s (owner %s, linked %s wanted)",
			  names[i], t, want_owner, want_linked);
	}
	cr_expect(id[0] != own && id[1] != own && id[3] != own && id[4] != own, "a session keyring of its own");
	cr_expect(id[0] != id[1] && id[3] != id[4], "one per service");
	cr_expect_eq(id[2], own, "inherit: the daemon's");
	restart_then_stop(&d, "priv1");
}

/* LoadCredential=, SetCredential=: files of their own in
 * $CREDENTIALS_DIRECTORY (also %d), owned by User= and readable by it
 * only, from a source only root may read; SetCredential= stands in for
 * a load that fails; C escapes; the directory goes with the service. A
 * missing source fails the start naming it, a FIFO is refused without
 * stalling the daemon, and more than 1 MiB in all is refused. */
Test(lifecycle, credentials, .timeout = 60)
{
	if (geteuid() != 0)
		cr_skip_test("needs root (User=nobody and a root-only source)");
	struct hd d;
	hd_init(&d);
	char base[128], secret[160], fifo[160], outdir[160], rep[200], out[1024], dir[300];
	snprintf(base, sizeof base, "/run/supd-cred-%d", (int)getpid());
	snprintf(secret, sizeof secret, "%s/secret", base);
	snprintf(fifo, sizeof fifo, "%s/fifo", base);
	snprintf(outdir, sizeof outdir, "%s/out", base);
	snprintf(rep, sizeof rep, "%s/rep", outdir);
	snprintf(dir, sizeof dir, "/run/credentials/cred.service");
	cr_assert(mkdir(base, 0711) == 0 && mkdir(outdir, 0777) == 0 && chmod(outdir, 0777) == 0 &&
		  h_write_file(secret, "s3cret") == 0 && chmod(secret, 0600) == 0 && mkfifo(fifo, 0600) == 0);
	hd_unit(&d, "cred.service",
		"[Service]\nUser=nobody\nLoadCredential=secret:%s\nLoadCredential=missing:/nonexistent/x\n"
		"SetCredential=missing:fallback\\x21\nSetCredential=greet:hello\\nworld\n"
		"ExecStart=/bin/sh -c 'cd $CREDENTIALS_DIRECTORY && { echo \"$CREDENTIALS_DIRECTORY|%%d\"; cat secret; echo; "
		"cat missing; echo; cat greet; echo; stat -c \"%%%%U %%%%a\" . secret; ls | wc -l; } > %s.tmp; "
		"mv %s.tmp %s; exec sleep 1000'\n",
		secret, rep, rep, rep);
	hd_unit(&d, "nosrc.service", "[Service]\nLoadCredential=x:/nonexistent/y\nExecStart=/bin/sleep 1000\n");
	hd_unit(&d, "fifo.service", "[Service]\nLoadCredential=f:%s\nExecStart=/bin/sleep 1000\n", fifo);
	/* Each of two just over half a MiB fits, both do not (systemd's
	 * total). */
	char big[160];
	snprintf(big, sizeof big, "%s/big", base);
	int bfd = open(big, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	cr_assert(bfd >= 0 && ftruncate(bfd, 512 * 1024 + 1) == 0);
	close(bfd);
	hd_unit(&d, "big.service", "[Service]\nLoadCredential=a:%s\nLoadCredential=b:%s\nExecStart=/bin/sleep 1000\n",
		big, big);
	hd_start(&d);
	char *t = h_wait_file(rep, 5000);
	char want[1024];
	snprintf(want, sizeof want, "%s|%s\ns3cret\nfallback!\nhello\nworld\nnobody 500\nnobody 400\n3\n", dir, dir);
	cr_expect(t && !strcmp(t, want), "in the service:\n%s\nwanted:\n%s", t ? t : "(no report)", want);
	cr_expect_eq(hd_wait_state(&d, "nosrc.service", "failed", 5000), 0);
	hd_ctl(&d, out, sizeof out, "status", "nosrc", NULL);
	cr_expect(strstr(out, "LoadCredential=x: /nonexistent/y: No such file or directory"), "%s", out);
	cr_expect_eq(hd_wait_state(&d, "fifo.service", "failed", 5000), 0);
	hd_ctl(&d, out, sizeof out, "status", "fifo", NULL);
	cr_expect(strstr(out, "not a regular file"), "%s", out);
	cr_expect_eq(hd_wait_state(&d, "big.service", "failed", 5000), 0);
	hd_ctl(&d, out, sizeof out, "status", "big", NULL);
	cr_expect(strstr(out, "LoadCredential=b:") && strstr(out, "credentials over 1 MiB"), "%s", out);
	cr_expect_neq(access("/run/credentials/big.service", F_OK), 0, "a refused start left its credentials");
	cr_expect_neq(access("/run/credentials/nosrc.service", F_OK), 0, "a failed start left its credentials");
	/* A re-exec leaves them to the running service. */
	cr_assert_eq(hd_ctl(&d, out, sizeof out, "reexec", NULL), 0, "%s", out);
	snprintf(want, sizeof want, "%s/secret", dir);
	t = h_slurp(want);
	cr_expect(t && !strcmp(t, "s3cret"), "after a re-exec: %s", t ? t : "(gone)");

	int fds = h_count_fds_settled(d.pid);
	unlink(rep);
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "restart", "cred", NULL), 0, "%s", out);
	cr_expect_not_null(h_wait_file(rep, 5000), "not restarted");
	cr_expect_eq(h_count_fds_settled(d.pid), fds, "descriptors left behind");
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "stop", "cred", NULL), 0, "%s", out);
	cr_expect_neq(access(dir, F_OK), 0, "the credentials outlived the service");
	cr_expect_eq(hd_stop(&d), 0);
	snprintf(out, sizeof out, "rm -rf %s", base);
	cr_expect_eq(system(out), 0);
}

/* LoadCredential=ID and LoadCredential=ID:NAME: the daemon's own
 * credentials (its $CREDENTIALS_DIRECTORY, as when it runs under systemd
 * or a container runtime that passes some), by the same name or another;
 * one the daemon does not have is skipped, not an error, and a
 * SetCredential= of the same ID stands in, as in systemd. */
Test(lifecycle, credentials_from_the_daemons_own, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	char own[400], f[450], rep[400], out[1024];
	snprintf(own, sizeof own, "%s/own-creds", d.dir);
	snprintf(rep, sizeof rep, "%s/report", d.dir);
	cr_assert_eq(mkdir(own, 0700), 0);
	snprintf(f, sizeof f, "%s/dbpass", own);
	cr_assert_eq(h_write_file(f, "pw1"), 0);
	snprintf(f, sizeof f, "%s/other", own);
	cr_assert_eq(h_write_file(f, "pw2"), 0);
	cr_assert_eq(setenv("CREDENTIALS_DIRECTORY", own, 1), 0); /* this test's process only */
	hd_unit(&d, "own.service",
		"[Service]\nLoadCredential=dbpass\nLoadCredential=alias:other\nLoadCredential=absent\n"
		"LoadCredential=absent2:nothere\nSetCredential=absent2:fallback\n"
		"ExecStart=/bin/sh -c 'cd $CREDENTIALS_DIRECTORY && for c in *; do echo \"$c=$$(cat $c)\"; done > %s.tmp; "
		"mv %s.tmp %s; exec sleep 1000'\n",
		rep, rep, rep);
	hd_start(&d);
	unsetenv("CREDENTIALS_DIRECTORY");
	char *t = h_wait_file(rep, 5000);
	cr_expect(t && !strcmp(t, "absent2=fallback\nalias=pw2\ndbpass=pw1\n"), "in the service:\n%s",
		  t ? t : "(no report)");
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "status", "own", NULL), 0, "%s", out);
	restart_then_stop(&d, "own");
}

/* A daemon that cannot make mount namespaces (root without CAP_SYS_ADMIN,
 * as in many containers) skips ProtectSystem= with a warning, but fails a
 * start that needs BindPaths= or TemporaryFileSystem=, naming them. */
Test(lifecycle, bind_paths_without_mount_namespaces_fail_the_start, .timeout = 60)
{
	if (geteuid() != 0)
		cr_skip_test("needs root (to start the daemon without CAP_SYS_ADMIN)");
	struct hd d;
	hd_init(&d);
	d.no_sys_admin = true;
	char out[1024];
	hd_unit(&d, "bound.service", "[Service]\nTemporaryFileSystem=/var/lib\nExecStart=/bin/sleep 1000\n");
	hd_unit(&d, "strict.service", "[Service]\nProtectSystem=strict\nExecStart=/bin/sleep 1000\n");
	hd_start(&d);
	cr_expect_eq(hd_wait_state(&d, "strict.service", "running", 5000), 0);
	cr_expect(hd_log_wait(&d, "strict.service: ProtectSystem=, ProtectHome=", 2000), "no warning for the skip");
	cr_expect_eq(hd_wait_state(&d, "bound.service", "failed", 5000), 0);
	hd_ctl(&d, out, sizeof out, "status", "bound", NULL);
	cr_expect(strstr(out, "TemporaryFileSystem= need mount namespaces"), "%s", out);
	cr_expect_eq(hd_stop(&d), 0);
}

/* Writable for root here? "w" or "r" (access(W_OK) says EROFS on a
 * read-only mount, whoever asks). */
static char host_w(const char *path)
{
	return access(path, W_OK) == 0 ? 'w' : 'r';
}

/* ProtectProc=, ProcSubset=: a procfs of the unit's own with hidepid=
 * and subset=pid. As nobody: "invisible" hides the daemon's directory,
 * "noaccess" shows it but keeps it shut; "pid" leaves only the process
 * directories (no /proc/meminfo, no /proc/sys); under ProtectSystem=strict
 * and ProtectKernelTunables= the new /proc still has a read-only
 * /proc/sys (the operations inside it come after it). Each line: the
 * daemon's directory there, its status readable, /proc/meminfo there,
 * /proc/sys/kernel writable (w, r, - absent), the /proc mount's options. */
Test(lifecycle, protect_proc_and_proc_subset, .timeout = 60)
{
	if (geteuid() != 0 || unshare_probe() != 0)
		cr_skip_test("needs mount namespaces and User=nobody (root with CAP_SYS_ADMIN)");
	struct hd d;
	hd_init(&d);
	cr_assert_eq(chmod(d.dir, 0777), 0);
	enum { N = 5 };
	const char *names[N] = { "free", "invisible", "noaccess", "subset", "strict" };
	const char *settings[N] = {
		"User=nobody\n",
		"User=nobody\nProtectProc=invisible\n",
		"User=nobody\nProtectProc=noaccess\n",
		"ProcSubset=pid\n",
		"ProtectSystem=strict\nProtectKernelTunables=yes\nProtectProc=invisible\nReadWritePaths=/tmp\n",
	};
	const char *want[N] = { "y y y r \n", "n n y r hidepid=invisible \n", "y n y r hidepid=noaccess \n",
				"y y n - subset=pid \n", "y y y r hidepid=invisible \n" };
	char rep[N][400], unit[64];
	/* The shell's parent ($PPID, "$$" in a unit file) is the daemon. */
	for (int i = 0; i < N; i++) {
		snprintf(rep[i], sizeof rep[i], "%s/%s.rep", d.dir, names[i]);
		snprintf(unit, sizeof unit, "%s.service", names[i]);
		hd_unit(&d, unit,
			"[Service]\n%sExecStart=/bin/sh -c '{ "
			"[ -d /proc/$$PPID ] && echo y || echo n; cat /proc/$$PPID/status >/dev/null 2>&1 && echo y || echo n; "
			"[ -e /proc/meminfo ] && echo y || echo n; "
			"if [ ! -e /proc/sys ]; then echo -; elif [ -w /proc/sys/kernel ]; then echo w; else echo r; fi; "
			"grep \"^proc /proc proc\" /proc/self/mounts | tail -n 1 | grep -o -E \"hidepid=[a-z]+|subset=pid\"; "
			"} | tr \"\\n\" \" \" > %s.tmp; echo >> %s.tmp; mv %s.tmp %s; exec sleep 1000'\n",
			settings[i], rep[i], rep[i], rep[i], rep[i]);
	}
	hd_start(&d);
	for (int i = 0; i < N; i++) {
		char *t = h_wait_file(rep[i], 5000);
		cr_expect(t && !strcmp(t, want[i]), "%s: '%s' (wanted '%s')", names[i], t ? t : "(no report)", want[i]);
	}
	restart_then_stop(&d, "invisible");
}

/* The first line of path's content as a number, or -1. */
static long file_number(const char *path)
{
	const char *t = h_slurp(path);
	return t ? strtol(t, NULL, 10) : -1;
}

/* DynamicUser=: a user and group ID of the service's own from systemd's
 * range, a different one for another service, the static user when the
 * name has one; USER and HOME as nss-systemd says; the implied sandbox
 * (read-only /usr, no_new_privs, its own /tmp); StateDirectory= in /var/lib/private (0700)
 * behind a link, the service seeing only its own there; the ID kept over
 * a restart and a re-exec, given up at the stop; at a start, the owner
 * of its state directory is the ID it takes. */
Test(lifecycle, dynamic_user, .timeout = 90)
{
	if (geteuid() != 0 || unshare_probe() != 0)
		cr_skip_test("needs root and mount namespaces");
	struct hd d;
	hd_init(&d);
	cr_assert_eq(chmod(d.dir, 0777), 0);
	char name[3][40], state[3][64], link[3][128], real[3][128], rep[3][400], reg[3][400], unit[64];
	const char *static_user[3] = { "", "", "User=nobody\n" };
	struct stat st;
	bool had_private = stat("/var/lib/private", &st) == 0;
	for (int i = 0; i < 3; i++) {
		snprintf(name[i], sizeof name[i], "supdyn%d%c", (int)getpid(), 'a' + i);
		snprintf(state[i], sizeof state[i], "supd-dyn-%d-%d", (int)getpid(), i);
		snprintf(link[i], sizeof link[i], "/var/lib/%s", state[i]);
		snprintf(real[i], sizeof real[i], "/var/lib/private/%s", state[i]);
		/* PrivateTmp= is implied: the report goes to the state directory. */
		snprintf(rep[i], sizeof rep[i], "%s/rep", real[i]);
		snprintf(reg[i], sizeof reg[i], "%s/dynamic-uid/%s", d.rt, i == 2 ? "nobody" : name[i]);
		snprintf(unit, sizeof unit, "%s.service", name[i]);
		hd_unit(&d, unit,
			"[Service]\nDynamicUser=yes\n%sStateDirectory=%s\nExecStart=/bin/sh -c '"
			"echo $$(id -u) $$(id -g) $$USER $$HOME > $$STATE_DIRECTORY/who; { cat $$STATE_DIRECTORY/who; "
			"[ -w /usr ] && echo w || echo r; grep ^NoNewPrivs /proc/self/status | tr -d \"\\t\"; "
			"ls -A /var/lib/private; } > $$STATE_DIRECTORY/rep.tmp; mv $$STATE_DIRECTORY/rep.tmp $$STATE_DIRECTORY/rep; "
			"exec sleep 1000'\n",
			static_user[i], state[i]);
	}
	hd_start(&d);
	long uid[3];
	for (int i = 0; i < 3; i++) {
		char *t = h_wait_file(rep[i], 5000);
		cr_assert_not_null(t, "%s did not report", name[i]);
		uid[i] = strtol(t, NULL, 10);
		char want[512];
		if (i < 2)
			snprintf(want, sizeof want, "%ld %ld %s /\nr\nNoNewPrivs:1\n%s\n", uid[i], uid[i], name[i], state[i]);
		else
			snprintf(want, sizeof want, "65534 %d nobody /nonexistent\nr\nNoNewPrivs:1\n%s\n", (int)getgrnam("nogroup")->gr_gid,
				 state[i]);
		cr_expect_str_eq(t, want, "%s", name[i]);
	}
	cr_expect(uid[0] >= 61184 && uid[0] <= 65519 && uid[1] >= 61184 && uid[1] <= 65519 && uid[0] != uid[1],
		  "two services, two IDs of the range: %ld %ld", uid[0], uid[1]);
	char target[256] = "";
	cr_expect(readlink(link[0], target, sizeof target - 1) > 0 && !strcmp(target, real[0]), "%s -> %s", link[0],
		  target);
	cr_expect(stat("/var/lib/private", &st) == 0 && (st.st_mode & 07777) == 0700);
	char who[200];
	snprintf(who, sizeof who, "%s/who", real[0]);
	cr_expect(stat(who, &st) == 0 && (long)st.st_uid == uid[0], "the state is the service's own");
	cr_expect_eq(file_number(reg[0]), uid[0], "recorded in the runtime directory");

	char out[1024];
	unlink(rep[0]);
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "restart", name[0], NULL), 0, "%s", out);
	cr_expect_not_null(h_wait_file(rep[0], 5000));
	cr_expect_eq(file_number(who), uid[0], "the same ID after a restart");
	cr_assert_eq(hd_ctl(&d, out, sizeof out, "reexec", NULL), 0, "%s", out);
	unlink(rep[0]);
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "restart", name[0], NULL), 0, "%s", out);
	cr_expect_not_null(h_wait_file(rep[0], 5000));
	cr_expect_eq(file_number(who), uid[0], "the same ID after a re-exec");
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "stop", name[0], NULL), 0, "%s", out);
	cr_expect_neq(access(reg[0], F_OK), 0, "the ID is given up at the stop");
	/* Its state directory's owner is the number it prefers: give the
	 * directory another free one, as if an earlier run had had it. */
	long other = 61184 + (uid[0] - 61184 + 1000) % (65519 - 61184 + 1);
	while (other == uid[1] || getpwuid((uid_t)other) || getgrgid((gid_t)other))
		other = other == 65519 ? 61184 : other + 1;
	char cmd[300];
	snprintf(cmd, sizeof cmd, "chown -R %ld:%ld %s", other, other, real[0]);
	cr_assert_eq(system(cmd), 0);
	unlink(rep[0]);
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "start", name[0], NULL), 0, "%s", out);
	cr_expect_not_null(h_wait_file(rep[0], 5000));
	cr_expect_eq(file_number(who), other, "the ID its state directory's owner has");
	cr_expect(stat(who, &st) == 0 && (long)st.st_uid == other, "written by it");
	/* A record that does not hold a number of the range (damaged, or
	 * written by hand) is not trusted: the ID is found again from the
	 * state directory's owner and recorded anew. */
	cr_assert_eq(h_write_file(reg[1], "70000\n"), 0);
	char who1[200];
	snprintf(who1, sizeof who1, "%s/who", real[1]);
	unlink(rep[1]);
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "restart", name[1], NULL), 0, "%s", out);
	cr_expect_not_null(h_wait_file(rep[1], 5000));
	cr_expect_eq(file_number(who1), uid[1], "the same ID, from its state directory");
	cr_expect_eq(file_number(reg[1]), uid[1], "recorded anew");
	restart_then_stop(&d, name[1]);
	for (int i = 0; i < 3; i++) {
		unlink(link[i]);
		snprintf(cmd, sizeof cmd, "rm -rf %s", real[i]);
		cr_expect_eq(system(cmd), 0);
	}
	if (!had_private)
		rmdir("/var/lib/private");
}

/* NoExecPaths=, ExecPaths=: a script under a noexec path does not run
 * (126 from the shell), one under an ExecPaths= exception inside it does,
 * writing there still works (noexec is not read-only), a missing "-"
 * path is skipped; '+' is not restricted; the host keeps its flags. */
Test(lifecycle, noexec_paths, .timeout = 60)
{
	if (geteuid() != 0 || unshare_probe() != 0)
		cr_skip_test("needs mount namespaces (root with CAP_SYS_ADMIN)");
	struct hd d;
	hd_init(&d);
	char top[300], ok[320], script[2][400], rep[2][400];
	snprintf(top, sizeof top, "%s/tree", d.dir);
	snprintf(ok, sizeof ok, "%s/allowed", top);
	cr_assert(mkdir(top, 0755) == 0 && mkdir(ok, 0755) == 0);
	snprintf(script[0], sizeof script[0], "%s/denied.sh", top);
	snprintf(script[1], sizeof script[1], "%s/ok.sh", ok);
	for (int i = 0; i < 2; i++)
		cr_assert(h_write_file(script[i], "#!/bin/sh\nexit 0\n") == 0 && chmod(script[i], 0755) == 0);
	const char *names[2] = { "limited", "plus" };
	for (int i = 0; i < 2; i++) {
		char unit[64];
		snprintf(rep[i], sizeof rep[i], "%s/%s.rep", d.dir, names[i]);
		snprintf(unit, sizeof unit, "%s.service", names[i]);
		hd_unit(&d, unit,
			"[Service]\nNoExecPaths=%s -/nonexistent/supd-x\nExecPaths=%s\nExecStart=%s/bin/sh -c '%s; a=$$?; %s; "
			"b=$$?; touch %s/written && w=w || w=r; echo $$a $$b $$w > %s.tmp; mv %s.tmp %s; exec sleep 1000'\n",
			top, ok, i ? "+" : "", script[0], script[1], top, rep[i], rep[i], rep[i]);
	}
	hd_start(&d);
	const char *want[2] = { "126 0 w\n", "0 0 w\n" };
	for (int i = 0; i < 2; i++) {
		char *t = h_wait_file(rep[i], 5000);
		cr_expect(t && !strcmp(t, want[i]), "%s: %s (wanted %s)", names[i], t ? t : "(no report)", want[i]);
	}
	cr_expect_eq(system(script[0]), 0, "the host can still run it");
	restart_then_stop(&d, "limited");
}

/* The kernel-facing sandboxing settings: ProtectKernelTunables= makes
 * /proc/sys and /sys read-only, ProtectControlGroups= cgroupfs,
 * ProtectKernelModules= hides the module trees, ProtectKernelLogs= the
 * kernel log (an empty mode-000 file over /proc/kmsg and /dev/kmsg), and
 * they, with ProtectClock=, take their capabilities out of the bounding
 * set; ProtectHostname= keeps a change of host name inside;
 * InaccessiblePaths= hides a file and a directory ("-": may be missing,
 * otherwise a missing path fails the start). Nothing reaches the host. */
Test(lifecycle, protect_kernel_and_inaccessible_paths, .timeout = 60)
{
	if (geteuid() != 0 || unshare_probe() != 0)
		cr_skip_test("needs mount namespaces (root with CAP_SYS_ADMIN)");
	struct hd d;
	hd_init(&d);
	char dir[400], file[400], rep[400], host[256], out[1024];
	snprintf(dir, sizeof dir, "%s/hidden", d.dir);
	snprintf(file, sizeof file, "%s/secret", d.dir);
	snprintf(rep, sizeof rep, "%s/report", d.dir);
	cr_assert_eq(mkdir(dir, 0755), 0);
	cr_assert_eq(h_write_file(file, "secret\n"), 0);
	char inside[400];
	snprintf(inside, sizeof inside, "%s/x", dir);
	cr_assert_eq(h_write_file(inside, "x\n"), 0);
	cr_assert_eq(gethostname(host, sizeof host), 0);
#define W(path) "[ -w " path " ] && echo w || echo r; "
	hd_unit(&d, "k.service",
		"[Service]\nProtectKernelTunables=yes\nProtectKernelModules=yes\nProtectKernelLogs=yes\n"
		"ProtectControlGroups=yes\nProtectClock=yes\nProtectHostname=yes\n"
		"InaccessiblePaths=%s -/nonexistent/supd-x\nInaccessiblePaths=%s\n"
		"ExecStart=/bin/sh -c '{ " W("/proc/sys/kernel") W("/sys/kernel") W("/sys/fs/cgroup")
		"[ -e /lib/modules ] && ls -A /lib/modules | wc -l || echo 0; stat -c %%%%a /proc/kmsg; "
		"[ -e /dev/kmsg ] && stat -c %%%%a /dev/kmsg || echo 0; cat %s | wc -c; stat -c %%%%a %s; ls -A %s | wc -l; "
		"hostname supd-test-uts && hostname; grep CapBnd /proc/$$$$/status; } > %s.tmp; mv %s.tmp %s; "
		"exec sleep 1000'\n",
		file, dir, file, file, dir, rep, rep, rep);
	/* Without ProtectControlGroups=, cgroupfs stays as it was under the
	 * read-only /sys. */
	char rep2[400];
	snprintf(rep2, sizeof rep2, "%s/report2", d.dir);
	hd_unit(&d, "t.service", "[Service]\nProtectKernelTunables=yes\n"
		"ExecStart=/bin/sh -c '{ " W("/sys/kernel") W("/sys/fs/cgroup") "} > %s.tmp; mv %s.tmp %s; exec sleep 1000'\n",
		rep2, rep2, rep2);
#undef W
	hd_unit(&d, "missing.service", "[Service]\nInaccessiblePaths=/nonexistent/supd-y\nExecStart=/bin/sleep 1000\n");
	hd_start(&d);
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "start", "t", NULL), 0, "%s", out);
	char *t2 = h_wait_file(rep2, 5000);
	char want2[8] = { 'r', '\n', host_w("/sys/fs/cgroup"), '\n', 0 };
	cr_expect(t2 && !strcmp(t2, want2), "ProtectKernelTunables= alone: %s (cgroupfs here: %c)", t2 ? t2 : "(none)",
		  want2[2]);
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "start", "k", NULL), 0, "%s", out);
	char *t = h_wait_file(rep, 5000);
	cr_assert_not_null(t, "k.service did not report");
	t = strdup(t); /* h_slurp's buffer is static */
	/* CAP_SYS_MODULE 16, CAP_SYS_TIME 25, CAP_SYSLOG 34, CAP_WAKE_ALARM 35. */
	unsigned long long bnd = own_cap_bnd() & ~(1ull << 16 | 1ull << 25 | 1ull << 34 | 1ull << 35);
	char want[512];
	snprintf(want, sizeof want, "r\nr\nr\n0\n0\n0\n0\n0\n0\nsupd-test-uts\nCapBnd:\t%016llx\n", bnd);
	cr_expect_str_eq(t, want);
	free(t);
	/* Nothing of it reached the host. */
	char now[256];
	cr_assert_eq(gethostname(now, sizeof now), 0);
	cr_expect_str_eq(now, host, "the host name changed");
	char *sec = h_slurp(file);
	cr_expect(sec && !strcmp(sec, "secret\n"));
	cr_expect_eq(access(inside, F_OK), 0);
	hd_ctl(&d, out, sizeof out, "start", "missing", NULL);
	cr_expect_eq(hd_wait_state(&d, "missing.service", "failed", 5000), 0);
	hd_ctl(&d, out, sizeof out, "status", "missing", NULL);
	cr_expect(strstr(out, "namespace"), "the failed stage is not named: %s", out);
	restart_then_stop(&d, "k");
}

/* PrivateUsers=: the service's root is root only in a user namespace of its
 * own: root and User= map to themselves, everything else is nobody's, so a
 * file of another owner (mode 0600) is out of reach and shows as 65534;
 * setgroups() is denied; CapabilityBoundingSet= still holds inside (it is
 * applied after the namespace, which starts with a full set); a '+' command
 * runs on the host's IDs; the mount namespace (ProtectSystem=) is the
 * host's root's, so the service cannot make / writable again. */
Test(lifecycle, private_users, .timeout = 60)
{
	if (geteuid() != 0 || unshare_probe() != 0 || unshare_probe_flags(CLONE_NEWUSER) != 0)
		cr_skip_test("needs mount and user namespaces (root with CAP_SYS_ADMIN)");
	struct hd d;
	hd_init(&d);
	char secret[400], mine[400], rep[3][400], pre[400], out[1024];
	snprintf(secret, sizeof secret, "%s/secret", d.dir);
	snprintf(mine, sizeof mine, "%s/mine", d.dir);
	snprintf(pre, sizeof pre, "%s/pre", d.dir);
	cr_assert_eq(h_write_file(secret, "secret\n"), 0);
	cr_assert_eq(chown(secret, 1234, 1234), 0);
	cr_assert_eq(chmod(secret, 0600), 0);
	cr_assert_eq(h_write_file(mine, "mine\n"), 0);
	cr_assert_eq(chown(mine, 4321, 4321), 0);
	cr_assert_eq(chmod(mine, 0600), 0);
	cr_assert_eq(chmod(d.dir, 0777), 0);
	for (int i = 0; i < 3; i++)
		snprintf(rep[i], sizeof rep[i], "%s/report%d", d.dir, i);
#define PROBE "awk \"{print \\$$1, \\$$2, \\$$3}\" /proc/self/uid_map /proc/self/gid_map; cat /proc/self/setgroups; " \
	"id -u; stat -c %%%%u %s %s; cat %s %s 2>/dev/null; grep CapBnd /proc/$$$$/status; "
	hd_unit(&d, "root.service",
		"[Service]\nPrivateUsers=yes\nCapabilityBoundingSet=CAP_CHOWN\nProtectSystem=strict\nReadWritePaths=%s\n"
		"ExecStartPre=+/bin/sh -c 'awk \"{print \\$$1, \\$$2, \\$$3}\" /proc/self/uid_map > %s'\n"
		"ExecStart=/bin/sh -c '{ " PROBE "mount -o remount,rw / 2>/dev/null && echo remounted || echo ro; "
		"} > %s.tmp; mv %s.tmp %s; exec sleep 1000'\n",
		d.dir, pre, secret, mine, secret, mine, rep[0], rep[0], rep[0]);
	hd_unit(&d, "user.service",
		"[Service]\nPrivateUsers=yes\nUser=4321\nGroup=4321\n"
		"ExecStart=/bin/sh -c '{ " PROBE "} > %s.tmp; mv %s.tmp %s; exec sleep 1000'\n",
		secret, mine, secret, mine, rep[1], rep[1], rep[1]);
	hd_unit(&d, "host.service",
		"[Service]\nExecStart=/bin/sh -c '{ " PROBE "} > %s.tmp; mv %s.tmp %s; exec sleep 1000'\n",
		secret, mine, secret, mine, rep[2], rep[2], rep[2]);
#undef PROBE
	hd_start(&d);
	const char *names[3] = { "root", "user", "host" };
	char want[3][512];
	unsigned long long host_bnd = own_cap_bnd();
	/* CAP_CHOWN is 0. */
	snprintf(want[0], sizeof want[0],
		 "0 0 1\n0 0 1\ndeny\n0\n65534\n65534\nCapBnd:\t%016llx\nro\n", 1ull);
	snprintf(want[1], sizeof want[1],
		 "0 0 1\n4321 4321 1\n0 0 1\n4321 4321 1\ndeny\n4321\n65534\n4321\nmine\nCapBnd:\t%016llx\n",
		 (1ull << (own_last_cap() + 1)) - 1);
	snprintf(want[2], sizeof want[2],
		 "0 0 4294967295\n0 0 4294967295\nallow\n0\n1234\n4321\nsecret\nmine\nCapBnd:\t%016llx\n", host_bnd);
	for (int i = 0; i < 3; i++) {
		cr_expect_eq(hd_ctl(&d, out, sizeof out, "start", names[i], NULL), 0, "%s: %s", names[i], out);
		char *t = h_wait_file(rep[i], 5000);
		cr_expect(t && !strcmp(t, want[i]), "%s.service:\n%s\nwanted:\n%s", names[i], t ? t : "(no report)",
			  want[i]);
	}
	char *t = h_slurp(pre);
	cr_expect(t && !strcmp(t, "0 0 4294967295\n"), "the '+' command: %s", t ? t : "(no report)");
	restart_then_stop(&d, "root");
}

/* PrivateUsers= for a daemon without CAP_SYS_ADMIN (a container's, say):
 * the user namespace is made first, as systemd does for a user's manager,
 * with the same maps and setgroups() denied. */
Test(lifecycle, private_users_without_sys_admin, .timeout = 60)
{
	if (geteuid() != 0 || unshare_probe_flags(CLONE_NEWUSER) != 0)
		cr_skip_test("needs root and user namespaces");
	struct hd d;
	hd_init(&d);
	d.no_sys_admin = true;
	char rep[400];
	snprintf(rep, sizeof rep, "%s/report", d.dir);
	hd_unit(&d, "u.service",
		"[Service]\nPrivateUsers=yes\nExecStart=/bin/sh -c '{ awk \"{print \\$$1, \\$$2, \\$$3}\" /proc/self/uid_map; "
		"cat /proc/self/setgroups; grep CapEff /proc/$$$$/status; } > %s.tmp; mv %s.tmp %s; exec sleep 1000'\n",
		rep, rep, rep);
	char want[128];
	/* Root inside its own namespace: every capability there. */
	snprintf(want, sizeof want, "0 0 1\ndeny\nCapEff:\t%016llx\n", (1ull << (own_last_cap() + 1)) - 1);
	hd_start(&d);
	char *t = h_wait_file(rep, 5000); /* h_slurp's buffer: read last */
	cr_expect(t && !strcmp(t, want), "in the service:\n%s\nwanted:\n%s", t ? t : "(no report)", want);
	restart_then_stop(&d, "u");
}

/* PrivateDevices=: /dev is a tmpfs with the API devices, devpts, shm and
 * the usual links, and no physical device (the loop devices and kvm this
 * machine has are gone); the devices work; CAP_MKNOD and CAP_SYS_RAWIO
 * leave the bounding set; the host's /dev is untouched. */
Test(lifecycle, private_devices, .timeout = 60)
{
	if (geteuid() != 0 || unshare_probe() != 0)
		cr_skip_test("needs mount namespaces (root with CAP_SYS_ADMIN)");
	struct hd d;
	hd_init(&d);
	char rep[400];
	snprintf(rep, sizeof rep, "%s/dev", d.dir);
	hd_unit(&d, "pd.service",
		"[Service]\nPrivateDevices=yes\nProtectSystem=strict\nReadWritePaths=%s\nExecStart=/bin/sh -c '{ ls -A /dev | tr \"\\n\" \" \"; echo; "
		"echo x > /dev/null && echo null-ok; head -c 4 /dev/urandom | wc -c; readlink /dev/fd; "
		"grep CapBnd /proc/$$$$/status; } > %s.tmp; mv %s.tmp %s; exec sleep 1000'\n",
		d.dir, rep, rep, rep);
	hd_start(&d);
	char *t = h_wait_file(rep, 5000);
	cr_assert_not_null(t, "pd.service did not report");
	t = strdup(t);
	char *list = strtok(t, "\n");
	cr_assert_not_null(list);
	const char *want[] = { "null", "zero", "full", "random", "urandom", "tty", "pts", "ptmx", "shm", "fd",
			       "stdin", "stdout", "stderr" };
	char padded[1024];
	snprintf(padded, sizeof padded, " %s", list);
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		char w[32];
		snprintf(w, sizeof w, " %s ", want[i]);
		cr_expect(strstr(padded, w), "no /dev/%s in: %s", want[i], list);
	}
	cr_expect(!strstr(padded, " loop0 ") && !strstr(padded, " kvm ") && !strstr(padded, " console "),
		  "a physical device in the private /dev: %s", list);
	char *rest = list + strlen(list) + 1;
	unsigned long long bnd = own_cap_bnd() & ~(1ull << 17 | 1ull << 27); /* CAP_SYS_RAWIO, CAP_MKNOD */
	char tail[256];
	snprintf(tail, sizeof tail, "null-ok\n4\n/proc/self/fd\nCapBnd:\t%016llx\n", bnd);
	cr_expect_str_eq(rest, tail);
	free(t);
	cr_expect_eq(access("/dev/null", W_OK), 0, "the host's /dev/null is gone");
	restart_then_stop(&d, "pd");
}

/* The network namespace of a process, as readlink shows it. */
static void netns_of(const char *pid, char *buf, size_t len)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%s/ns/net", pid);
	ssize_t n = readlink(path, buf, len - 1);
	buf[n > 0 ? n : 0] = '\0';
}

/* 0 when this process may make a network namespace. */
static int netns_probe(void)
{
	pid_t p = fork();
	if (p == 0)
		_exit(unshare(CLONE_NEWNET) == 0 ? 0 : 1);
	int st = 1;
	waitpid(p, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

/* CPUAffinity=, CPUSchedulingPolicy=, IOSchedulingClass=: the main
 * process runs where and how they say (read from outside, by pid), its
 * children inherit it, and a CPU that does not exist fails the start,
 * naming the stage. Policies that need no privilege, so this holds for a
 * user's daemon too. */
Test(lifecycle, cpu_and_io_scheduling, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	char kid[400];
	snprintf(kid, sizeof kid, "%s/kid", d.dir);
	hd_unit(&d, "pinned.service",
		"[Service]\nCPUAffinity=0\nCPUSchedulingPolicy=batch\nIOSchedulingClass=idle\n"
		"ExecStart=/bin/sh -c 'sleep 1000 & echo $! > %s.tmp; mv %s.tmp %s; wait'\n", kid, kid, kid);
	hd_unit(&d, "plain.service", "[Service]\nExecStart=/bin/sleep 1000\n");
	hd_unit(&d, "nowhere.service", "[Service]\nCPUAffinity=4095\nExecStart=/bin/sleep 1000\n");
	hd_start(&d);
	cr_assert_eq(hd_wait_state(&d, "pinned.service", "running", 5000), 0);
	cr_assert_eq(hd_wait_state(&d, "plain.service", "running", 5000), 0);
	char *t = h_wait_file(kid, 5000);
	cr_assert_not_null(t, "the main process did not start its child");
	pid_t pids[3] = { 0, (pid_t)atoi(t), 0 };
	cr_assert_eq(hd_unit_info(&d, "pinned.service", NULL, 0, &pids[0], NULL, NULL, 0), 0);
	cr_assert_eq(hd_unit_info(&d, "plain.service", NULL, 0, &pids[2], NULL, NULL, 0), 0);
	for (int i = 0; i < 3; i++) {
		bool set = i < 2;
		cpu_set_t cs;
		CPU_ZERO(&cs);
		cr_assert_eq(sched_getaffinity(pids[i], sizeof cs, &cs), 0, "pid %d", (int)pids[i]);
		if (set)
			cr_expect(CPU_COUNT(&cs) == 1 && CPU_ISSET(0, &cs), "pid %d runs on %d CPUs", (int)pids[i],
				  CPU_COUNT(&cs));
		int pol = sched_getscheduler(pids[i]);
		cr_expect_eq(pol, set ? SCHED_BATCH : SCHED_OTHER, "pid %d: policy %d", (int)pids[i], pol);
		long io = syscall(SYS_ioprio_get, 1 /* IOPRIO_WHO_PROCESS */, pids[i]);
		cr_expect(set ? io >> 13 == 3 : io >> 13 != 3, "pid %d: I/O priority %#lx", (int)pids[i], io);
	}

	fails_at_stage_then_restarts_clean(&d, "nowhere", "scheduling", "pinned");
}

/* PrivateNetwork=yes: the unit's processes (ExecStartPre=, '+' ones too,
 * the main process, ExecReload=, after a re-exec too) share one network namespace
 * with only lo, up; the host's loopback listeners are out of reach; a
 * socket-activated listener made outside still serves; a restart makes a
 * new namespace, and nothing is left behind. */
Test(lifecycle, private_network, .timeout = 60)
{
	if (geteuid() != 0 || netns_probe() != 0)
		cr_skip_test("needs network namespaces (root with CAP_SYS_ADMIN)");
	struct hd d;
	hd_init(&d);
	char pre[400], pre2[400], rel[400], rep[400], out[1024], host_ns[128], ns[128], buf[128];
	snprintf(pre, sizeof pre, "%s/pre", d.dir);
	snprintf(pre2, sizeof pre2, "%s/pre2", d.dir);
	snprintf(rel, sizeof rel, "%s/reload", d.dir);
	snprintf(rep, sizeof rep, "%s/probe", d.dir);
	/* A listener of the test's own on the host's loopback. */
	int lsn = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t al = sizeof a;
	cr_assert(lsn >= 0 && bind(lsn, (struct sockaddr *)&a, sizeof a) == 0 && listen(lsn, 8) == 0 &&
		  getsockname(lsn, (struct sockaddr *)&a, &al) == 0);
	int host_port = ntohs(a.sin_port), port = h_free_port();
	hd_unit(&d, "web.socket", "[Socket]\nListenStream=127.0.0.1:%d\n", port);
	hd_unit(&d, "web.service",
		"[Service]\nPrivateNetwork=yes\nExecStartPre=/bin/sh -c 'readlink /proc/self/ns/net > %s'\n"
		"ExecStartPre=+/bin/sh -c 'readlink /proc/self/ns/net > %s'\n"
		"ExecStart=" H_WORKERS "/sdworker\nExecReload=/bin/sh -c 'readlink /proc/self/ns/net > %s'\n",
		pre, pre2, rel);
	/* In the namespace: which devices, and what a connect to the host's
	 * listener meets ("refused": lo is up and nobody listens there). */
	hd_unit(&d, "probe.service",
		"[Service]\nPrivateNetwork=yes\nExecStart=/bin/bash -c '{ tail -n +3 /proc/net/dev | cut -d: -f1 | "
		"tr -d \" \"; (echo > /dev/tcp/127.0.0.1/%d) 2>&1 | grep -o -m1 \"refused\\|unreachable\" || echo reached; } "
		"> %s.tmp; mv %s.tmp %s; exec sleep 1000'\n",
		host_port, rep, rep, rep);
	hd_start(&d);
	/* probe.service starts with the daemon: the count is taken without it. */
	cr_assert_eq(hd_ctl(&d, out, sizeof out, "stop", "probe", NULL), 0, "%s", out);
	unlink(rep);
	int fds = h_count_fds_settled(d.pid);
	netns_of("self", host_ns, sizeof host_ns);

	char ans[512];
	cr_assert_gt(h_http_get(port, ans, sizeof ans, 5000), 0, "the socket-activated service does not answer");
	int pid = 0;
	cr_assert_eq(hd_unit_info(&d, "web.service", NULL, 0, &pid, NULL, NULL, 0), 0);
	char pidbuf[16];
	snprintf(pidbuf, sizeof pidbuf, "%d", pid);
	netns_of(pidbuf, ns, sizeof ns);
	cr_expect_str_neq(ns, host_ns, "the main process is in the host's network namespace");
	char *t = h_wait_file(pre, 5000);
	cr_expect(t && !strncmp(t, ns, strlen(ns)), "ExecStartPre= ran in %s, the main process in %s", t ? t : "?", ns);
	t = h_wait_file(pre2, 5000);
	cr_expect(t && !strncmp(t, ns, strlen(ns)), "ExecStartPre=+ ran in %s, the main process in %s", t ? t : "?", ns);

	cr_assert_eq(hd_ctl(&d, out, sizeof out, "reexec", NULL), 0, "%s", out);
	cr_assert_eq(hd_ctl(&d, out, sizeof out, "reload", "web", NULL), 0, "%s", out);
	t = h_wait_file(rel, 5000);
	cr_expect(t && !strncmp(t, ns, strlen(ns)), "ExecReload= after a re-exec ran in %s, not %s", t ? t : "?", ns);
	cr_expect_gt(h_http_get(port, ans, sizeof ans, 5000), 0);

	cr_assert_eq(hd_ctl(&d, out, sizeof out, "start", "probe", NULL), 0, "%s", out);
	t = h_wait_file(rep, 5000);
	cr_expect(t && !strcmp(t, "lo\nrefused\n"), "in the namespace: %s", t ? t : "(no report)");

	cr_assert_eq(hd_ctl(&d, out, sizeof out, "restart", "web", NULL), 0, "%s", out);
	cr_assert_gt(h_http_get(port, ans, sizeof ans, 5000), 0);
	cr_assert_eq(hd_unit_info(&d, "web.service", NULL, 0, &pid, NULL, NULL, 0), 0);
	snprintf(pidbuf, sizeof pidbuf, "%d", pid);
	netns_of(pidbuf, buf, sizeof buf);
	cr_expect(strcmp(buf, ns) && strcmp(buf, host_ns), "after a restart: %s (was %s, host %s)", buf, ns, host_ns);
	cr_assert_eq(hd_ctl(&d, out, sizeof out, "stop", "web", "probe", NULL), 0, "%s", out);
	char fdl[8192];
	h_list_fds(d.pid, fdl, sizeof fdl);
	cr_expect_eq(h_count_fds_settled(d.pid), fds, "a namespace's descriptor outlived its service:\n%s", fdl);
	cr_expect_eq(hd_stop(&d), 0);
	close(lsn);
}

/* RuntimeMaxSec=: a service that runs longer is stopped with the result
 * "timeout"; Restart= then decides as for a failure (the periodic restart
 * people use it for), and without Restart= it stays failed. */
Test(lifecycle, runtime_max_sec_stops_and_restart_decides, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	hd_unit(&d, "cycle.service", "[Service]\nRuntimeMaxSec=300ms\nRestart=always\nRestartSec=50ms\n"
		"ExecStart=/bin/sleep 1000\n[Install]\nWantedBy=multi-user.target\n");
	hd_unit(&d, "once.service", "[Service]\nRuntimeMaxSec=200ms\nExecStart=/bin/sleep 1000\n"
		"[Install]\nWantedBy=multi-user.target\n");
	hd_start(&d);
	int daemon_fds = h_count_fds_settled(d.pid);
	int p1 = 0, p2 = 0, restarts = 0;
	cr_assert_eq(hd_wait_state(&d, "cycle.service", "running", 5000), 0);
	cr_assert_eq(hd_unit_info(&d, "cycle.service", NULL, 0, &p1, NULL, NULL, 0), 0);
	long long end = h_now_ms() + 5000;
	while (h_now_ms() < end) {
		if (hd_unit_info(&d, "cycle.service", NULL, 0, &p2, &restarts, NULL, 0) == 0 && restarts >= 2 && p2 > 0 &&
		    p2 != p1)
			break;
		h_msleep(20);
	}
	cr_expect_geq(restarts, 2, "not restarted after RuntimeMaxSec=");
	cr_expect_neq(p2, p1);
	cr_expect(!h_alive(p1), "the first process outlived its RuntimeMaxSec=");
	cr_expect(hd_log_has(&d, "cycle.service: ran for RuntimeMaxSec=300 ms, stopping it"));

	cr_expect_eq(hd_wait_state(&d, "once.service", "failed", 5000), 0);
	char out[2048];
	hd_ctl(&d, out, sizeof out, "status", "once", NULL);
	cr_expect(strstr(out, "ran for RuntimeMaxSec=200 ms"), "%s", out);
	cr_expect_eq(h_count_fds_settled(d.pid), daemon_fds);
	cr_expect_eq(hd_stop(&d), 0);
}

/* RuntimeDirectory= and StateDirectory=: made before the start, owned by
 * User=, with their mode, named in $RUNTIME_DIRECTORY/$STATE_DIRECTORY;
 * the runtime ones go when the service stops, the state one stays. A
 * state directory someone else owns is given to User= whole, as systemd
 * does (links re-owned, not followed; modes kept); an existing
 * ConfigurationDirectory= is left alone. */
Test(lifecycle, runtime_and_state_directories, .timeout = 60)
{
	if (geteuid() != 0)
		cr_skip_test("needs root (/run, /var/lib and User=)");
	struct hd d;
	hd_init(&d);
	char top[128], rt1[160], rt2[160], state[160], env[200], want[512];
	snprintf(top, sizeof top, "/run/supd-test-%d", (int)getpid());
	snprintf(rt1, sizeof rt1, "%s/one", top);
	snprintf(rt2, sizeof rt2, "%s/two", top);
	snprintf(state, sizeof state, "/var/lib/supd-test-%d", (int)getpid());
	snprintf(env, sizeof env, "%s/env", rt1);
	/* What a former User= left: root's tree, a set-user-ID file, a link
	 * out of it, and root's configuration directory. */
	char sub[200], subf[220], suid[200], lnk[200], conf[128];
	snprintf(sub, sizeof sub, "%s/sub", state);
	snprintf(subf, sizeof subf, "%s/f", sub);
	snprintf(suid, sizeof suid, "%s/suid", state);
	snprintf(lnk, sizeof lnk, "%s/link", state);
	snprintf(conf, sizeof conf, "/etc/supd-test-%d", (int)getpid());
	cr_assert(mkdir(state, 0700) == 0 && mkdir(sub, 0711) == 0 && h_write_file(subf, "x") == 0 &&
		  h_write_file(suid, "x") == 0 && chmod(suid, 04755) == 0 && symlink("/etc/hostname", lnk) == 0 &&
		  mkdir(conf, 0700) == 0);
	struct stat host_before;
	cr_assert_eq(stat("/etc/hostname", &host_before), 0);
	hd_unit(&d, "dirs.service",
		"[Service]\nUser=nobody\nRuntimeDirectory=supd-test-%d/one supd-test-%d/two\nRuntimeDirectoryMode=0750\n"
		"StateDirectory=supd-test-%d\nConfigurationDirectory=supd-test-%d\n"
		"ExecStart=/bin/sh -c 'echo \"$RUNTIME_DIRECTORY|$STATE_DIRECTORY\" > $${RUNTIME_DIRECTORY%%%%:*}/env; "
		"exec sleep 1000'\n",
		(int)getpid(), (int)getpid(), (int)getpid(), (int)getpid());
	hd_unit(&d, "keep.service", "[Service]\nRuntimeDirectory=supd-test-%d/keep\nRuntimeDirectoryPreserve=restart\n"
		"ExecStart=/bin/sleep 1000\n", (int)getpid());
	hd_start(&d);
	cr_assert_eq(hd_wait_state(&d, "dirs.service", "running", 5000), 0);
	char *t = h_wait_file(env, 5000);
	cr_assert_not_null(t, "the service could not write into its runtime directory");
	snprintf(want, sizeof want, "%s:%s|%s\n", rt1, rt2, state);
	cr_expect_str_eq(t, want);
	struct stat st;
	cr_assert_eq(stat(rt1, &st), 0);
	cr_expect_eq(st.st_mode & 07777, 0750);
	cr_expect_eq(st.st_uid, 65534u, "owner %u", (unsigned)st.st_uid);
	cr_assert_eq(stat(top, &st), 0);
	cr_expect_eq(st.st_uid, 0u, "a parent belongs to root");
	cr_expect_eq(st.st_mode & 07777, 0755);
	cr_assert_eq(stat(state, &st), 0);
	cr_expect_eq(st.st_uid, 65534u);
	cr_expect_eq(st.st_mode & 07777, 0755, "StateDirectoryMode= (default 0755) not applied: %o", st.st_mode & 07777);
	const char *given[] = { sub, subf, suid, lnk };
	for (size_t i = 0; i < sizeof given / sizeof given[0]; i++) {
		cr_assert_eq(lstat(given[i], &st), 0, "%s", given[i]);
		cr_expect_eq(st.st_uid, 65534u, "%s belongs to %u", given[i], (unsigned)st.st_uid);
	}
	cr_assert_eq(lstat(suid, &st), 0);
	cr_expect_eq(st.st_mode & 07777, 04755, "the chown cost %s its mode: %o", suid, st.st_mode & 07777);
	cr_assert_eq(lstat(sub, &st), 0);
	cr_expect_eq(st.st_mode & 07777, 0711);
	cr_assert_eq(stat("/etc/hostname", &st), 0);
	cr_expect(st.st_uid == host_before.st_uid && st.st_gid == host_before.st_gid, "a link was followed");
	cr_assert_eq(stat(conf, &st), 0);
	cr_expect(st.st_uid == 0 && (st.st_mode & 07777) == 0700, "ConfigurationDirectory= changed: %u %o",
		  (unsigned)st.st_uid, st.st_mode & 07777);
	cr_expect(hd_log_wait(&d, "and everything in it given to 65534:65534", 1000), "the chown is not logged");

	/* A restart: RuntimeDirectoryPreserve=no (the default) makes it anew,
	 * =restart keeps it (systemd's unit_destroy_runtime_data). */
	char out[1024], mark[200], kmark[200];
	snprintf(mark, sizeof mark, "%s/mark", rt1);
	snprintf(kmark, sizeof kmark, "%s/keep/mark", top);
	cr_assert_eq(hd_wait_state(&d, "keep.service", "running", 5000), 0);
	cr_assert_eq(h_write_file(mark, "x"), 0);
	cr_assert_eq(h_write_file(kmark, "x"), 0);
	unlink(env);
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "restart", "dirs", NULL), 0, "%s", out);
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "restart", "keep", NULL), 0, "%s", out);
	cr_expect_not_null(h_wait_file(env, 5000), "not restarted");
	cr_expect_neq(access(mark, F_OK), 0, "RuntimeDirectoryPreserve=no kept the directory across a restart");
	cr_expect_eq(access(kmark, F_OK), 0, "RuntimeDirectoryPreserve=restart lost the directory in a restart");
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "stop", "keep", NULL), 0, "%s", out);
	cr_expect_neq(access(kmark, F_OK), 0, "RuntimeDirectoryPreserve=restart kept it after a stop");

	cr_expect_eq(hd_ctl(&d, out, sizeof out, "stop", "dirs", NULL), 0, "%s", out);
	cr_expect_neq(access(rt1, F_OK), 0, "the runtime directory outlived the stop");
	cr_expect_neq(access(rt2, F_OK), 0);
	cr_expect_eq(access(state, F_OK), 0, "the state directory went too");
	cr_expect_eq(hd_stop(&d), 0);
	unlink(lnk);
	unlink(suid);
	unlink(subf);
	rmdir(sub);
	rmdir(state);
	rmdir(conf);
	rmdir(top);
}

/* Type=forking: the start process daemonizes and exits; the daemon (from
 * PIDFile=, or the one process of the unit left) becomes the main process
 * and is supervised: stopped, reaped, restarted. */
Test(lifecycle, type_forking_finds_and_supervises_the_daemon, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	char pidf[400], out[1024], st[64];
	snprintf(pidf, sizeof pidf, "%s/daemon.pid", d.dir);
	hd_unit(&d, "pidfile.service",
		"[Service]\nType=forking\nPIDFile=%s\n"
		"ExecStart=/bin/sh -c 'sleep 1000 & echo $$! > %s'\n", pidf, pidf);
	/* The start processes linger a moment, as a daemon's launcher does
	 * while its child initialises: a child caught in the middle of its
	 * own execve() has no environment to read, so no marker. */
	hd_unit(&d, "guess.service", "[Service]\nType=forking\nExecStart=/bin/sh -c 'setsid sleep 1000 & sleep 0.2'\n");
	hd_unit(&d, "two.service",
		"[Service]\nType=forking\nExecStart=/bin/sh -c 'sleep 1000 & sleep 1000 & sleep 0.2'\n");
	hd_unit(&d, "none.service", "[Service]\nType=forking\nExecStart=/bin/true\n");
	hd_start(&d);

	cr_assert_eq(hd_wait_state(&d, "pidfile.service", "running", 5000), 0);
	int pid = 0;
	cr_assert_eq(hd_unit_info(&d, "pidfile.service", NULL, 0, &pid, NULL, NULL, 0), 0);
	char *t = h_slurp(pidf);
	cr_assert_not_null(t);
	cr_expect_eq(pid, atoi(t), "main pid %d, PID file says %s", pid, t);
	cr_expect(h_alive(pid));

	cr_assert_eq(hd_wait_state(&d, "guess.service", "running", 5000), 0);
	int gpid = 0;
	cr_assert_eq(hd_unit_info(&d, "guess.service", NULL, 0, &gpid, NULL, NULL, 0), 0);
	char stat[512];
	cr_expect(gpid > 0 && h_proc_stat(gpid, stat, sizeof stat), "guess.service's main %d is not alive", gpid);

	cr_expect_eq(hd_wait_state(&d, "two.service", "failed", 5000), 0);
	cr_expect(hd_log_has(&d, "two.service: its start process exited, and several processes"), "no reason logged");
	cr_expect_eq(hd_wait_state(&d, "none.service", "failed", 5000), 0);
	cr_assert_eq(hd_unit_info(&d, "none.service", st, sizeof st, NULL, NULL, out, sizeof out), 0);

	/* Supervised: a stop stops the daemon; a crash is seen. */
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "stop", "pidfile", NULL), 0, "%s", out);
	cr_expect(!h_alive(pid), "the daemon outlived the stop");
	kill(gpid, SIGKILL);
	cr_expect_eq(hd_wait_state(&d, "guess.service", "failed", 5000), 0, "the daemon's death went unseen");
	cr_expect_eq(hd_stop(&d), 0);
}

/* Type=forking whose daemon writes PIDFile= after its launcher has exited:
 * the unit stays "starting" until the file comes (across a re-exec too),
 * and fails, naming the file, when it cannot come any more. */
Test(lifecycle, type_forking_waits_for_a_late_pid_file, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	char late[400], lpid[400], never[400], npid[400], out[1024], st[64];
	snprintf(late, sizeof late, "%s/late.sh", d.dir);
	snprintf(lpid, sizeof lpid, "%s/late.pid", d.dir);
	snprintf(never, sizeof never, "%s/never.sh", d.dir);
	snprintf(npid, sizeof npid, "%s/never.pid", d.dir);
	char script[1024];
	/* The daemon (a shell that execs sleep) writes its own pid a second
	 * after its launcher exited. */
	snprintf(script, sizeof script,
		 "#!/bin/sh\n( sleep 1; exec /bin/sh -c 'echo $$ > %s.tmp; mv %s.tmp %s; exec sleep 1000' ) &\nexit 0\n",
		 lpid, lpid, lpid);
	cr_assert_eq(h_write_file(late, script), 0);
	cr_assert_eq(h_write_file(never, "#!/bin/sh\n( sleep 0.3 ) &\nexit 0\n"), 0);
	/* A stale file from an earlier run: the test's pid is no process of
	 * the daemon's. */
	char stale[32];
	snprintf(stale, sizeof stale, "%d\n", (int)getpid());
	cr_assert_eq(h_write_file(lpid, stale), 0);
	chmod(late, 0755);
	chmod(never, 0755);
	hd_unit(&d, "late.service", "[Service]\nType=forking\nPIDFile=%s\nExecStart=%s\n", lpid, late);
	hd_unit(&d, "never.service", "[Service]\nType=forking\nPIDFile=%s\nExecStart=%s\n", npid, never);
	hd_start(&d);

	cr_assert(hd_log_wait(&d, "late.service: its start process exited; waiting for PIDFile=", 5000),
		  "late.service did not wait for its PID file");
	cr_assert_eq(hd_unit_info(&d, "late.service", st, sizeof st, NULL, NULL, NULL, 0), 0);
	cr_expect_str_eq(st, "starting");
	/* A re-exec while it waits: the wait goes on in the new image. */
	cr_assert_eq(hd_ctl(&d, out, sizeof out, "reexec", NULL), 0, "reexec: %s", out);
	cr_assert_eq(hd_wait_state(&d, "late.service", "running", 5000), 0, "the late PID file was not picked up");
	int pid = 0;
	cr_assert_eq(hd_unit_info(&d, "late.service", NULL, 0, &pid, NULL, NULL, 0), 0);
	char *t = h_slurp(lpid);
	cr_assert_not_null(t);
	cr_expect_eq(pid, atoi(t), "main pid %d, PID file says %s", pid, t);

	cr_expect_eq(hd_wait_state(&d, "never.service", "failed", 5000), 0);
	cr_expect(hd_log_has(&d, "never.service: PIDFile="), "no reason logged");
	cr_expect(hd_log_has(&d, "did not appear, and no process of the service is left") ||
		  hd_log_has(&d, "was not written, and no process of the service is left"), "the reason is not the one expected");
	int fds = h_count_fds_settled(d.pid);
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "start", "never", NULL), 1, "%s", out);
	cr_expect_eq(h_count_fds_settled(d.pid), fds, "a failed forking start left descriptors behind");

	cr_expect_eq(hd_ctl(&d, out, sizeof out, "stop", "late", NULL), 0, "%s", out);
	cr_expect(!h_alive(pid), "the daemon outlived the stop");
	cr_expect_neq(access(lpid, F_OK), 0, "the PID file outlived the stop (systemd removes it)");
	cr_expect_eq(hd_stop(&d), 0);
}

/* Three services in a chain: c after b after a; each logs its start
 * (ExecStartPre=) and its stop (ExecStop=) to one file. */
#define CHAIN_TMPL                                                                                  \
	"[Unit]\n%s\n[Service]\nExecStartPre=/bin/sh -c 'sleep 0.1; echo start-%s >> %s'\n"            \
	"ExecStart=/bin/sleep 1000\nExecStop=/bin/sh -c 'sleep 0.1; echo stop-%s >> %s; kill $MAINPID'\n"
static void chain_units(struct hd *d, const char *f)
{
	hd_unit(d, "a.service", CHAIN_TMPL, "", "a", f, "a", f);
	hd_unit(d, "b.service", CHAIN_TMPL, "Requires=a.service\nAfter=a.service", "b", f, "b", f);
	/* Before= on the other side orders the same way. */
	hd_unit(d, "c.service", CHAIN_TMPL, "Wants=b.service", "c", f, "c", f);
	char path[400];
	snprintf(path, sizeof path, "%s/b.service", d->units);
	FILE *fp = fopen(path, "a");
	fprintf(fp, "[Unit]\nBefore=c.service\n");
	fclose(fp);
}

/* Condition*= skips a start (the job succeeds, the unit stays stopped,
 * units that require it start); Assert*= refuses it; both are checked at
 * every start, so a condition met later lets the next start run. */
Test(deps, conditions_skip_and_assertions_refuse, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	char flag[400], out[2048], st[64], err[512];
	snprintf(flag, sizeof flag, "%s/flag", d.dir);
	hd_unit(&d, "gated.service", "[Unit]\nConditionPathExists=%s\n[Service]\nExecStart=/bin/sleep 1000\n"
		"[Install]\nWantedBy=multi-user.target\n", flag);
	hd_unit(&d, "needs.service", "[Unit]\nRequires=gated.service\nAfter=gated.service\n"
		"[Service]\nExecStart=/bin/sleep 1000\n");
	hd_unit(&d, "either.service", "[Unit]\nConditionPathExists=|/nonexistent/x\nConditionPathIsDirectory=|/\n"
		"ConditionUser=!4000000\nConditionCapability=CAP_KILL\n"
		"[Service]\nExecStart=/bin/sleep 1000\n[Install]\nWantedBy=multi-user.target\n");
	hd_unit(&d, "cred.service", "[Unit]\nConditionCredential=not-one-of-ours\n[Service]\nExecStart=/bin/sleep 1000\n"
		"[Install]\nWantedBy=multi-user.target\n");
	hd_unit(&d, "asserted.service", "[Unit]\nAssertPathExists=/nonexistent/y\n[Service]\nExecStart=/bin/sleep 1000\n");
	/* Socket-activated and skipped: the client stays in the backlog, so
	 * the socket would trigger again and again; its trigger limit fails
	 * it instead of letting the daemon spin (systemd's trigger-limit-hit). */
	int port = h_free_port();
	hd_unit(&d, "act.socket", "[Socket]\nListenStream=127.0.0.1:%d\n", port);
	hd_unit(&d, "act.service", "[Unit]\nConditionPathExists=/nonexistent/z\n[Service]\nExecStart=/bin/sleep 1000\n");
	hd_start(&d);
	int daemon_fds = h_count_fds_settled(d.pid);

	cr_expect_eq(hd_wait_state(&d, "either.service", "running", 5000), 0, "a triggering condition held");
	cr_expect(hd_log_wait(&d, "gated.service: skipped: ConditionPathExists=", 5000), "no skip logged at boot");
	cr_expect(hd_log_wait(&d, "cred.service: skipped: ConditionCredential=not-one-of-ours", 5000));
	cr_assert_eq(hd_unit_info(&d, "gated.service", st, sizeof st, NULL, NULL, err, sizeof err), 0);
	cr_expect_str_eq(st, "stopped");

	/* A start job on it succeeds, saying why nothing ran. */
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "start", "gated", NULL), 0, "%s", out);
	cr_expect(strstr(out, "skipped: ConditionPathExists="), "no reason given: %s", out);
	/* What requires it starts all the same, as in systemd. */
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "start", "needs", NULL), 0, "%s", out);
	cr_expect_eq(hd_wait_state(&d, "needs.service", "running", 5000), 0);
	cr_assert_eq(hd_unit_info(&d, "gated.service", st, sizeof st, NULL, NULL, NULL, 0), 0);
	cr_expect_str_eq(st, "stopped");

	/* Checked again at the next start. */
	cr_assert_eq(h_write_file(flag, ""), 0);
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "start", "gated", NULL), 0, "%s", out);
	cr_expect_eq(hd_wait_state(&d, "gated.service", "running", 5000), 0);

	cr_expect_neq(hd_ctl(&d, out, sizeof out, "start", "asserted", NULL), 0, "an assertion that fails must fail the start");
	cr_expect(strstr(out, "AssertPathExists=/nonexistent/y failed"), "%s", out);
	cr_assert_eq(hd_unit_info(&d, "asserted.service", st, sizeof st, NULL, NULL, NULL, 0), 0);
	cr_expect_str_eq(st, "stopped", "an assertion leaves the unit stopped, not failed");

	int cfd = h_connect_tcp(port);
	cr_assert_geq(cfd, 0);
	cr_expect_eq(hd_wait_state(&d, "act.socket", "failed", 5000), 0, "the socket kept triggering");
	cr_expect(hd_log_has(&d, "act.socket: trigger limit hit: activated more than 20 times within 2000 ms"));
	close(cfd);
	cr_expect_eq(hd_wait_state(&d, "gated.service", "running", 1000), 0, "the others are undisturbed");

	char list[4096];
	h_list_fds(d.pid, list, sizeof list);
	cr_expect_eq(h_count_fds_settled(d.pid), daemon_fds - 1, "the failed socket's listener closed, nothing else:\n%s",
		     list);
	cr_expect_eq(hd_stop(&d), 0);
}

/* Condition*= and Assert*= in a socket unit, as systemd checks them for
 * every kind of unit: a condition not met leaves the socket unbound and
 * stopped (starting it succeeds, and binds once the condition holds); an
 * assertion refuses the start. */
Test(deps, socket_conditions, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	char flag[400], out[2048], st[64], err[512];
	snprintf(flag, sizeof flag, "%s/flag", d.dir);
	int gport = h_free_port(), aport = h_free_port(), pport = h_free_port();
	hd_unit(&d, "gated.socket", "[Unit]\nConditionPathExists=%s\n[Socket]\nListenStream=127.0.0.1:%d\n", flag,
		gport);
	hd_unit(&d, "gated.service", "[Service]\nExecStart=/bin/sleep 1000\n");
	hd_unit(&d, "asserted.socket", "[Unit]\nAssertPathExists=/nonexistent/q\n[Socket]\nListenStream=127.0.0.1:%d\n",
		aport);
	hd_unit(&d, "asserted.service", "[Service]\nExecStart=/bin/sleep 1000\n");
	hd_unit(&d, "plain.socket", "[Unit]\nConditionPathIsDirectory=/\n[Socket]\nListenStream=127.0.0.1:%d\n", pport);
	hd_unit(&d, "plain.service", "[Service]\nExecStart=/bin/sleep 1000\n");
	hd_start(&d);
	int daemon_fds = h_count_fds_settled(d.pid);

	cr_expect_eq(hd_wait_state(&d, "plain.socket", "listening", 5000), 0, "a condition that holds");
	cr_expect(hd_log_wait(&d, "gated.socket: skipped: ConditionPathExists=", 5000), "no skip logged at boot");
	cr_expect(hd_log_wait(&d, "asserted.socket: not starting: AssertPathExists=/nonexistent/q failed", 5000));
	cr_assert_eq(hd_unit_info(&d, "gated.socket", st, sizeof st, NULL, NULL, err, sizeof err), 0);
	cr_expect_str_eq(st, "stopped");
	int cfd = h_connect_tcp(gport);
	cr_expect_lt(cfd, 0, "a skipped socket must not be bound");
	if (cfd >= 0)
		close(cfd);
	cr_expect(hd_log_count(&d, "listening on 127.0.0.1:") == 1, "only plain.socket binds");

	/* Starting it is no error; what needs it fails, naming why. */
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "start", "gated.socket", NULL), 0, "%s", out);
	cr_expect_neq(hd_ctl(&d, out, sizeof out, "start", "gated.service", NULL), 0, "%s", out);
	cr_expect(strstr(out, "socket gated.socket is not listening: skipped: ConditionPathExists="), "%s", out);

	/* Checked again at the next start. */
	cr_assert_eq(h_write_file(flag, ""), 0);
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "start", "gated.socket", NULL), 0, "%s", out);
	cr_expect_eq(hd_wait_state(&d, "gated.socket", "listening", 5000), 0);
	cfd = h_connect_tcp(gport);
	cr_expect_geq(cfd, 0, "bound once its condition holds");
	cr_expect_eq(hd_wait_state(&d, "gated.service", "running", 5000), 0, "and it activates its service");
	if (cfd >= 0)
		close(cfd);

	cr_expect_neq(hd_ctl(&d, out, sizeof out, "start", "asserted.socket", NULL), 0, "a failed assertion fails the start");
	cr_expect(strstr(out, "AssertPathExists=/nonexistent/q failed"), "%s", out);
	cr_assert_eq(hd_unit_info(&d, "asserted.socket", st, sizeof st, NULL, NULL, NULL, 0), 0);
	cr_expect_str_eq(st, "stopped", "an assertion leaves the socket stopped, not failed");

	char list[4096];
	h_list_fds(d.pid, list, sizeof list);
	cr_expect_eq(h_count_fds_settled(d.pid), daemon_fds + 1, "gated.socket's listener, nothing else:\n%s", list);
	cr_expect_eq(hd_stop(&d), 0);
}

/* ExecCondition=: exit 0 goes on (to ExecStartPre=), 1-254 skips the
 * start as a Condition*= does (ExecStopPost= still runs, as in systemd),
 * 255 fails it; '-' makes any end a success. */
Test(deps, exec_condition, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	char pre[400], post[400], out[2048], st[64];
	snprintf(pre, sizeof pre, "%s/pre", d.dir);
	snprintf(post, sizeof post, "%s/post", d.dir);
	hd_unit(&d, "ok.service", "[Service]\nExecCondition=/bin/true\nExecCondition=-/bin/false\n"
		"ExecStartPre=/bin/sh -c 'echo pre > %s'\nExecStart=/bin/sleep 1000\n", pre);
	hd_unit(&d, "skip.service", "[Service]\nExecCondition=/bin/sh -c 'exit 1'\nExecStart=/bin/sleep 1000\n"
		"ExecStopPost=/bin/sh -c 'echo post > %s'\n", post);
	hd_unit(&d, "bad.service", "[Service]\nExecCondition=/bin/sh -c 'exit 255'\nExecStart=/bin/sleep 1000\n");
	char slow[400];
	snprintf(slow, sizeof slow, "%s/slow", d.dir);
	hd_unit(&d, "crashy.service", "[Unit]\nStartLimitBurst=3\n[Service]\nExecCondition=/bin/sh -c '[ ! -e %s ] || sleep 2'\n"
		"ExecStart=/bin/sh -c 'exit 1'\nRestart=on-failure\nRestartSec=10ms\n[Install]\nWantedBy=multi-user.target\n",
		slow);
	hd_start(&d);
	int daemon_fds = h_count_fds_settled(d.pid);

	cr_expect_eq(hd_ctl(&d, out, sizeof out, "start", "ok", NULL), 0, "%s", out);
	cr_expect_eq(hd_wait_state(&d, "ok.service", "running", 5000), 0);
	cr_expect_not_null(h_slurp(pre), "ExecStartPre= did not run after ExecCondition=");

	cr_expect_eq(hd_ctl(&d, out, sizeof out, "start", "skip", NULL), 0, "%s", out);
	cr_expect(strstr(out, "skipped: ExecCondition=/bin/sh exited with status 1"), "%s", out);
	cr_assert_eq(hd_unit_info(&d, "skip.service", st, sizeof st, NULL, NULL, NULL, 0), 0);
	cr_expect_str_eq(st, "stopped");
	cr_expect_not_null(h_wait_file(post, 2000), "ExecStopPost= did not run after a skip");

	cr_expect_eq(hd_ctl(&d, out, sizeof out, "start", "bad", NULL), 1, "%s", out);
	cr_expect(strstr(out, "ExecCondition=/bin/sh exited with status 255"), "%s", out);
	cr_expect_eq(hd_wait_state(&d, "bad.service", "failed", 5000), 0);

	/* A start after going down for good zeroes the restart counter, with
	 * ExecCondition= as without (seen while the condition runs). */
	cr_expect_eq(hd_wait_state(&d, "crashy.service", "failed", 5000), 0);
	int restarts = 0;
	cr_assert_eq(hd_unit_info(&d, "crashy.service", NULL, 0, NULL, &restarts, NULL, 0), 0);
	cr_expect_geq(restarts, 2);
	cr_assert_eq(h_write_file(slow, ""), 0);
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "start", "--no-block", "crashy", NULL), 0, "%s", out);
	cr_assert_eq(hd_unit_info(&d, "crashy.service", st, sizeof st, NULL, &restarts, NULL, 0), 0);
	cr_expect_str_eq(st, "condition");
	cr_expect_eq(restarts, 0, "the restart counter of the failed start was kept");

	cr_expect_eq(hd_ctl(&d, out, sizeof out, "stop", "ok", "crashy", NULL), 0, "%s", out);
	cr_expect_eq(h_count_fds_settled(d.pid), daemon_fds);
	cr_expect_eq(hd_stop(&d), 0);
}

Test(deps, start_and_stop_order, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	char f[300];
	snprintf(f, sizeof f, "/tmp/supd-order-%d", (int)getpid());
	unlink(f);
	chain_units(&d, f);
	hd_start(&d);
	cr_assert_eq(hd_wait_state(&d, "c.service", "running", 5000), 0);
	char buf[1024];
	cr_expect_str_eq(slurp(f, buf, sizeof buf), "start-a\nstart-b\nstart-c\n");

	/* Stopping a stops b (Requires=) first; c only Wants= b: it stays. */
	char out[512];
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "stop", "a", NULL), 0, "%s", out);
	cr_expect_str_eq(slurp(f, buf, sizeof buf), "start-a\nstart-b\nstart-c\nstop-b\nstop-a\n");
	char st[64];
	hd_unit_info(&d, "b.service", st, sizeof st, NULL, NULL, NULL, 0);
	cr_expect_str_eq(st, "stopped");
	hd_unit_info(&d, "c.service", st, sizeof st, NULL, NULL, NULL, 0);
	cr_expect_str_eq(st, "running");

	/* Starting b pulls a in first (Requires=, After=). */
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "start", "b", NULL), 0, "%s", out);
	cr_expect_eq(hd_wait_state(&d, "a.service", "running", 100), 0);
	/* Shutdown: reverse order. */
	cr_expect_eq(hd_stop(&d), 0);
	cr_expect_str_eq(slurp(f, buf, sizeof buf),
			 "start-a\nstart-b\nstart-c\nstop-b\nstop-a\nstart-a\nstart-b\nstop-c\nstop-b\nstop-a\n");
	unlink(f);
}

Test(deps, cycle_is_reported_and_broken, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	hd_unit(&d, "x.service", "[Unit]\nAfter=y.service\n[Service]\nExecStart=/bin/sleep 1000\n");
	hd_unit(&d, "y.service", "[Unit]\nAfter=z.service\n[Service]\nExecStart=/bin/sleep 1000\n");
	hd_unit(&d, "z.service", "[Unit]\nAfter=x.service\n[Service]\nExecStart=/bin/sleep 1000\n");
	hd_unit(&d, "free.service", "[Unit]\nAfter=x.service\n[Service]\nExecStart=/bin/sleep 1000\n");
	hd_start(&d);
	cr_expect_eq(hd_wait_state(&d, "x.service", "running", 5000), 0);
	cr_expect_eq(hd_wait_state(&d, "y.service", "running", 5000), 0);
	cr_expect_eq(hd_wait_state(&d, "z.service", "running", 5000), 0);
	cr_expect_eq(hd_wait_state(&d, "free.service", "running", 5000), 0);
	cr_expect(hd_log_has(&d, "ordering cycle between x.service y.service z.service"), "no cycle in the log");
	char status[1024];
	hd_unit_info(&d, "y.service", NULL, 0, NULL, NULL, status, sizeof status);
	cr_expect(strstr(status, "ordering cycle: x.service y.service z.service"), "status: %s", status);
	hd_unit_info(&d, "free.service", NULL, 0, NULL, NULL, status, sizeof status);
	cr_expect(!strstr(status, "cycle"), "free.service is on no cycle: %s", status);
	cr_expect_eq(hd_stop(&d), 0);
}

Test(deps, failed_requirement_fails_dependants, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	char f[400];
	snprintf(f, sizeof f, "%s/ran", d.dir);
	hd_unit(&d, "base.service", "[Service]\nExecStartPre=/bin/false\nExecStart=/bin/sleep 1000\n");
	hd_unit(&d, "app.service",
		"[Unit]\nRequires=base.service\nAfter=base.service\n"
		"[Service]\nExecStart=/bin/sh -c 'echo ran > %s; exec sleep 1000'\n",
		f);
	hd_unit(&d, "bound.service",
		"[Unit]\nBindsTo=keep.service\nAfter=keep.service\n[Service]\nExecStart=/bin/sleep 1000\n");
	hd_unit(&d, "keep.service", "[Service]\nExecStart=/bin/sleep 1000\n");
	hd_start(&d);
	cr_assert_eq(hd_wait_state(&d, "app.service", "failed", 5000), 0);
	char status[1024];
	hd_unit_info(&d, "app.service", NULL, 0, NULL, NULL, status, sizeof status);
	cr_expect(strstr(status, "dependency failed: base.service failed"), "status: %s", status);
	cr_expect_neq(access(f, F_OK), 0, "app ran although base failed");

	/* BindsTo=: keep's death takes bound down. */
	cr_assert_eq(hd_wait_state(&d, "bound.service", "running", 5000), 0);
	int kpid = 0;
	hd_unit_info(&d, "keep.service", NULL, 0, &kpid, NULL, NULL, 0);
	cr_assert_gt(kpid, 0);
	kill(kpid, SIGKILL); /* our daemon's child, started by this test */
	cr_expect_eq(hd_wait_state(&d, "bound.service", "stopped", 5000), 0);
	cr_expect_eq(hd_stop(&d), 0);
}

/* ---- PID 1 ---- */

/* Run the daemon as pid 1 of a new pid namespace. Returns unshare's pid;
 * *init gets the daemon's pid as seen from here. */
static pid_t start_pid1(struct hd *d, pid_t *init)
{
	int logfd = open(d->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		dup2(logfd, 2);
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(null, 1);
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
		execlp("unshare", "unshare", "--pid", "--fork", "--mount-proc", "--kill-child", H_DAEMON, "-v", "-u",
		       d->units, "-r", d->rt, (char *)NULL);
		_exit(127);
	}
	close(logfd);
	long long end = h_now_ms() + 10000;
	*init = 0;
	while (h_now_ms() < end) {
		char path[128], buf[256];
		snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)pid, (int)pid);
		int c = atoi(slurp(path, buf, sizeof buf));
		if (c > 0 && hd_ctl(d, NULL, 0, "status", NULL) == 0) {
			*init = c;
			return pid;
		}
		h_msleep(20);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	cr_assert_fail("supervisord as pid 1 did not come up; see %s", d->log);
	return -1;
}

static int stop_pid1(pid_t unshare_pid, pid_t init)
{
	kill(init, SIGTERM);
	long long end = h_now_ms() + 15000;
	int st;
	while (h_now_ms() < end) {
		if (waitpid(unshare_pid, &st, WNOHANG) == unshare_pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		h_msleep(20);
	}
	kill(unshare_pid, SIGKILL);
	waitpid(unshare_pid, &st, 0);
	return -1;
}

/* Children of pid that are zombies. */
static int zombies_of(pid_t parent)
{
	char path[128], buf[4096];
	snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)parent, (int)parent);
	slurp(path, buf, sizeof buf);
	int n = 0;
	for (char *p = buf; *p;) {
		int c = (int)strtol(p, &p, 10);
		pid_t pp;
		char st;
		if (c > 0 && proc_stat(c, &pp, &st) == 0 && st == 'Z')
			n++;
		while (*p == ' ')
			p++;
		if (c <= 0)
			break;
	}
	return n;
}

Test(pid1, reaps_orphans_and_stops_in_order, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	char f[300];
	snprintf(f, sizeof f, "/tmp/supd-pid1-%d", (int)getpid());
	unlink(f);
	chain_units(&d, f);
	/* An orphan that exits soon: re-parented to pid 1, which must reap it. */
	hd_unit(&d, "orphans.service",
		"[Service]\nExecStart=/bin/sh -c 'for i in 1 2 3; do (sleep 0.2 &); done; exec sleep 1000'\n");
	pid_t init, up = start_pid1(&d, &init);
	cr_assert_eq(hd_wait_state(&d, "c.service", "running", 5000), 0);
	cr_assert_eq(hd_wait_state(&d, "orphans.service", "running", 5000), 0);
	h_msleep(800);
	cr_expect_eq(zombies_of(init), 0, "pid 1 left zombies");
	cr_expect(hd_log_has(&d, "reaped process"), "no orphan was reaped");
	cr_expect_eq(stop_pid1(up, init), 0, "exit status after a clean stop");
	char buf[1024];
	cr_expect_str_eq(slurp(f, buf, sizeof buf), "start-a\nstart-b\nstart-c\nstop-c\nstop-b\nstop-a\n");
	unlink(f);
	hd_stop(&d);
}

Test(pid1, exit_status_reports_failed_units, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	hd_unit(&d, "ok.service", "[Service]\nExecStart=/bin/sleep 1000\n");
	hd_unit(&d, "broken.service", "[Service]\nType=exec\nExecStart=/bin/false\n");
	pid_t init, up = start_pid1(&d, &init);
	cr_assert_eq(hd_wait_state(&d, "broken.service", "failed", 5000), 0);
	cr_expect_eq(stop_pid1(up, init), 1, "exit status with a failed unit");
	hd_stop(&d);
}

/* ---- across re-exec ---- */

Test(lifecycle_reexec, start_post_and_backoff_survive, .timeout = 90)
{
	struct hd d;
	hd_init(&d);
	char f[400], c[400];
	snprintf(f, sizeof f, "%s/post", d.dir);
	snprintf(c, sizeof c, "%s/crashes", d.dir);
	hd_unit(&d, "slowpost.service",
		"[Service]\nExecStart=/bin/sleep 1000\nExecStartPost=/bin/sh -c 'sleep 1.5; echo post >> %s'\n", f);
	hd_unit(&d, "crashy.service",
		"[Unit]\nStartLimitIntervalSec=0\n"
		"[Service]\nExecStart=/bin/sh -c 'date +%%%%s%%%%N >> %s; exit 1'\nRestart=always\nRestartSec=1500ms\n",
		c);
	hd_start(&d);
	cr_assert_eq(hd_wait_state(&d, "slowpost.service", "start-post", 3000), 0);
	cr_assert_eq(hd_wait_state(&d, "crashy.service", "auto-restart", 3000), 0);
	int daemon_fds = h_count_fds_settled(d.pid);
	char out[1024];
	cr_assert_eq(hd_ctl(&d, out, sizeof out, "reexec", NULL), 0, "reexec: %s", out);
	char st[64];
	hd_unit_info(&d, "slowpost.service", st, sizeof st, NULL, NULL, NULL, 0);
	cr_expect_str_eq(st, "start-post");
	hd_unit_info(&d, "crashy.service", st, sizeof st, NULL, NULL, NULL, 0);
	cr_expect_str_eq(st, "auto-restart");
	cr_expect_eq(hd_wait_state(&d, "slowpost.service", "running", 5000), 0);
	cr_expect(wait_text(f, "post\n", 100));
	/* The pending restart happened once its delay was over: a second start. */
	long long end = h_now_ms() + 5000;
	int restarts = 0;
	while (h_now_ms() < end && restarts < 1) {
		hd_unit_info(&d, "crashy.service", NULL, 0, NULL, &restarts, NULL, 0);
		h_msleep(50);
	}
	cr_expect_geq(restarts, 1, "the back-off timer was lost in the re-exec");
	char buf[1024];
	slurp(c, buf, sizeof buf);
	long long t0 = atoll(buf) / 1000000, t1 = atoll(strchr(buf, '\n') + 1) / 1000000;
	cr_expect(t1 - t0 >= 1400 && t1 - t0 < 2500, "restart after %lld ms, want ~1500", t1 - t0);
	cr_expect(!hd_log_has(&d, "control process"), "the control process was not recognized after the re-exec");
	/* Only the ExecStartPost= command's exec-status pipe is gone. */
	cr_expect_eq(h_count_fds_settled(d.pid), daemon_fds - 1);
	cr_expect_eq(hd_stop(&d), 0);
}
