/*
 * test_fdfetch.c - descriptors fetched and stored at run time: libsupfd
 * (through the fetchworker program, which links it as a user would),
 * `supctl fds` and `supctl exec-fds`, against the real daemon.
 *
 * Every test compares the daemon's descriptor count before and after: the
 * daemon's temporary duplicates and OpenFile= copies must all be closed.
 * The fetching processes report their own counts (fetch_leak=0).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define FETCHWORKER H_WORKERS "/fetchworker"
#define SDWORKER    H_WORKERS "/sdworker"

/* ---- helpers ---- */

/* The value of "key=..." in a report ("" when absent). */
static const char *rep_get(const char *rep, const char *key)
{
	static char val[4096];
	size_t kl = strlen(key);
	val[0] = '\0';
	for (const char *p = rep; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (!strncmp(p, key, kl) && p[kl] == '=') {
			const char *e = strchr(p, '\n');
			size_t n = e ? (size_t)(e - p - kl - 1) : strlen(p + kl + 1);
			snprintf(val, sizeof val, "%.*s", (int)n, p + kl + 1);
			break;
		}
	}
	return val;
}

/* Fork and exec argv with extra "K=V" environment, descriptors 3+ closed.
 * Returns the pid. */
static pid_t spawn_env(char *const argv[], char *const env[])
{
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
		for (size_t i = 0; env && env[i]; i++)
			putenv(env[i]);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

/* Wait (bounded) for pid; its exit status, or -1 (killed) on timeout. */
static int wait_exit(pid_t pid, int ms)
{
	int r = h_wait_exit(pid, ms);
	if (r < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	return r;
}

/* Run fetchworker directly (outside any unit) and return its report. */
static char *run_fetchworker(struct hd *d, const char *tag, char *const extra[])
{
	static char report[400], rt[400];
	char *env[16], pub[400];
	size_t n = 0;
	/* Reports go where a worker that dropped to nobody can write. */
	snprintf(pub, sizeof pub, "%s/pub", d->dir);
	if (mkdir(pub, 0777) == 0)
		chmod(pub, 01777);
	snprintf(report, sizeof report, "REPORT=%s/%s.report", pub, tag);
	snprintf(rt, sizeof rt, "SUPERVISORD_RUNTIME_DIR=%s", d->rt);
	env[n++] = report;
	env[n++] = rt;
	for (size_t i = 0; extra[i] && n < 15; i++)
		env[n++] = extra[i];
	env[n] = NULL;
	char *argv[] = { FETCHWORKER, NULL };
	int rc = wait_exit(spawn_env(argv, env), 30000);
	cr_assert_eq(rc, 0, "fetchworker %s exited with %d", tag, rc);
	return h_slurp(report + strlen("REPORT="));
}

/* The test runner and the daemon it starts need room for ~1000 descriptors
 * each (plus the fetch): raise the soft limit if the hard one allows. */
static void need_nofile(rlim_t want)
{
	struct rlimit rl;
	cr_assert_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur >= want)
		return;
	if (rl.rlim_max < want)
		cr_skip_test("RLIMIT_NOFILE hard limit %llu < %llu", (unsigned long long)rl.rlim_max,
			     (unsigned long long)want);
	rl.rlim_cur = want;
	cr_assert_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");
	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	fputs(text, f);
	fclose(f);
}

/* A row of `supctl fds` with exactly these columns. */
static bool has_row(const char *out, const char *unit, const char *name, const char *kind, const char *origin,
		    const char *address)
{
	char want[1024], line[1024];
	snprintf(want, sizeof want, "%s|%s|%s|%s|%s", unit, name, kind, origin, address);
	for (const char *p = out; *p;) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		char raw[1024], *save, *tok;
		snprintf(raw, sizeof raw, "%.*s", (int)n, p);
		line[0] = '\0';
		/* The first four columns have no spaces; the address is the rest. */
		int col = 0;
		for (tok = strtok_r(raw, " ", &save); tok && col < 4; tok = strtok_r(NULL, " ", &save), col++)
			snprintf(line + strlen(line), sizeof line - strlen(line), "%s|", tok);
		if (tok)
			snprintf(line + strlen(line), sizeof line - strlen(line), "%s%s%s", tok, *save ? " " : "",
				 save);
		if (!strcmp(line, want))
			return true;
		p += n + (e ? 1 : 0);
	}
	return false;
}

/* The daemon holds exactly want descriptors; if not, show them (but the
 * stored memfds, which are many and alike). */
static void expect_daemon_fds(struct hd *d, int want, const char *what)
{
	static char list[262144], shown[16384];
	/* The daemon closes a finished client's socket when its loop gets to
	 * it: allow it a moment. */
	int n = h_count_fds(d->pid);
	for (long long end = h_now_ms() + 3000; n != want && h_now_ms() < end; n = h_count_fds(d->pid))
		h_msleep(20);
	if (n == want)
		return;
	h_list_fds(d->pid, list, sizeof list);
	shown[0] = '\0';
	for (char *save, *l = strtok_r(list, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		if (!strstr(l, "memfd:blob") && strlen(shown) + strlen(l) + 2 < sizeof shown)
			strcat(strcat(shown, l), "\n");
	cr_expect_eq(n, want, "%s: daemon holds %d fds, expected %d:\n%s", what, n, want, shown);
}

/* The daemon's descriptor count once the harness's own supctl connections
 * are gone: the same for 200 ms. */
static int settled_fds(struct hd *d)
{
	int n = h_count_fds(d->pid), same = 0;
	for (long long end = h_now_ms() + 5000; same < 10 && h_now_ms() < end; same++) {
		h_msleep(20);
		int m = h_count_fds(d->pid);
		if (m != n)
			same = -1;
		n = m;
	}
	return n;
}

/* ---- tests ---- */

Test(fdfetch, thousand_descriptors_in_one_call, .timeout = 120)
{
	need_nofile(4096);
	struct hd d;
	hd_init(&d);
	char cfg[400], report[400];
	snprintf(cfg, sizeof cfg, "%s/cfg.txt", d.dir);
	snprintf(report, sizeof report, "%s/fetch.report", d.dir);
	write_file(cfg, "config text\n");
	hd_unit(&d, "fetch.socket",
		"[Socket]\nListenStream=%s/s0.sock\nListenStream=%s/s1.sock\n"
		"ListenStream=%s/s2.sock\nListenStream=%s/s3.sock\n",
		d.dir, d.dir, d.dir, d.dir);
	/* 4 listeners + 995 stored memfds + 1 OpenFile= = 1000. */
	hd_unit(&d, "fetch.service",
		"[Service]\nExecStart=" FETCHWORKER "\n"
		"FileDescriptorStoreMax=1000\nOpenFile=%s:cfg\n"
		"Environment=SUPERVISORD_RUNTIME_DIR=%s REPORT=%s STORE_N=995 "
		"FETCH_NAMES=fetch.socket:cfg:blob OPENFILE_TEXT=config LOW_NOFILE=64 STAY=1\n",
		cfg, d.rt, report);
	hd_start(&d);
	int daemon_fds = settled_fds(&d);

	char out[4096];
	int rc = hd_ctl(&d, out, sizeof out, "start", "fetch", NULL);
	cr_assert_eq(rc, 0, "start: %s", out);
	char *rep = h_wait_file(report, 30000);
	cr_assert_not_null(rep, "no report from the worker");
	cr_expect_str_eq(rep_get(rep, "store"), "0", "store: %s", rep_get(rep, "store_msg"));
	cr_assert_str_eq(rep_get(rep, "fetch"), "0", "fetch: %s", rep_get(rep, "fetch_msg"));
	cr_expect_str_eq(rep_get(rep, "fetch_n"), "1000", "report:\n%s", rep);
	cr_expect_str_eq(rep_get(rep, "fetch_verified"), "1000", "%s", rep_get(rep, "fetch_bad"));
	cr_expect_str_eq(rep_get(rep, "fetch_blobs"), "995", "stored fds out of order or missing");
	cr_expect_str_eq(rep_get(rep, "fetch_first"), "fetch.socket", "names are asked for in order");
	cr_expect_str_eq(rep_get(rep, "fetch_open_delta"), "1000", "the worker got more or fewer fds");
	cr_expect_str_eq(rep_get(rep, "fetch_leak"), "0", "the library left descriptors open");

	/* Too low a limit: a clear error, and nothing half-received stays. */
	cr_expect_str_eq(rep_get(rep, "low"), "-24", "low limit: %s", rep_get(rep, "low_msg"));
	cr_expect(strstr(rep_get(rep, "low_msg"), "RLIMIT_NOFILE"), "low limit message: %s",
		  rep_get(rep, "low_msg"));
	cr_expect_str_eq(rep_get(rep, "low_leak"), "0", "descriptors left after the failed fetch");

	/* The daemon holds the 995 stored fds and nothing else new: no
	 * duplicate and no OpenFile= copy survived the replies. */
	expect_daemon_fds(&d, daemon_fds + 995, "after the worker's fetches");

	/* Root, outside every unit, naming the unit: everything, in order. */
	char *extra[] = { "FETCH_UNIT=fetch.service", "FETCH_NAMES=", "OPENFILE_TEXT=config", NULL };
	rep = run_fetchworker(&d, "root", extra);
	cr_assert_not_null(rep);
	cr_expect_str_eq(rep_get(rep, "fetch"), "0", "root fetch: %s", rep_get(rep, "fetch_msg"));
	cr_expect_str_eq(rep_get(rep, "fetch_n"), "1000");
	cr_expect_str_eq(rep_get(rep, "fetch_verified"), "1000", "%s", rep_get(rep, "fetch_bad"));
	cr_expect_str_eq(rep_get(rep, "fetch_leak"), "0");
	expect_daemon_fds(&d, daemon_fds + 995, "daemon fds after the root fetch");

	cr_expect_eq(hd_stop(&d), 0);
}

Test(fdfetch, another_unit_is_refused, .timeout = 60)
{
	/* Only uid 0 may name other units, and a root daemon admits only
	 * root: the unit boundary shows in a per-user daemon. So this whole
	 * test (a forked criterion worker) runs as nobody. */
	struct passwd *pw = getpwnam("nobody");
	if (!pw || geteuid() != 0)
		cr_skip_test("needs root and a 'nobody' user");
	cr_assert_eq(setgroups(0, NULL), 0);
	cr_assert_eq(setgid(pw->pw_gid), 0);
	cr_assert_eq(setuid(pw->pw_uid), 0);

	struct hd d;
	hd_init(&d);
	char a_txt[400], b_txt[400], report[400];
	snprintf(a_txt, sizeof a_txt, "%s/a.txt", d.dir);
	snprintf(b_txt, sizeof b_txt, "%s/b.txt", d.dir);
	snprintf(report, sizeof report, "%s/a.report", d.dir);
	write_file(a_txt, "a-data\n");
	write_file(b_txt, "b-secret\n");
	hd_unit(&d, "a.service",
		"[Service]\nExecStart=" FETCHWORKER "\nOpenFile=%s:mine\n"
		"Environment=SUPERVISORD_RUNTIME_DIR=%s REPORT=%s FETCH_NAMES=mine OPENFILE_TEXT=a-data "
		"OTHER_UNIT=b.service OTHER_NAMES=data STAY=1\n"
		"[Install]\nWantedBy=multi-user.target\n",
		a_txt, d.rt, report);
	hd_unit(&d, "b.service",
		"[Service]\nExecStart=/bin/sleep 1000\nOpenFile=%s:data\n"
		"[Install]\nWantedBy=multi-user.target\n",
		b_txt);
	hd_start(&d);
	cr_assert_eq(hd_wait_state(&d, "b.service", "running", 5000), 0);
	char *rep = h_wait_file(report, 15000);
	cr_assert_not_null(rep, "no report from a.service; log:\n%s", h_slurp(d.log));
	int apid = atoi(rep_get(rep, "pid"));

	/* Its own descriptors: yes. */
	cr_expect_str_eq(rep_get(rep, "uid"), "65534");
	cr_expect_str_eq(rep_get(rep, "fetch"), "0", "own unit: %s", rep_get(rep, "fetch_msg"));
	cr_expect_str_eq(rep_get(rep, "fetch_verified"), "1", "%s", rep_get(rep, "fetch_bad"));
	/* Another unit's: refused, and the message says why. */
	char want[256];
	snprintf(want, sizeof want, "process %d belongs to unit a.service, not b.service", apid);
	cr_expect_str_eq(rep_get(rep, "other"), "-1", "other unit: %s", rep_get(rep, "other_msg"));
	cr_expect_str_eq(rep_get(rep, "other_msg"), want);
	cr_expect_str_eq(rep_get(rep, "other_leak"), "0");

	int daemon_fds = settled_fds(&d);
	/* A process of no unit: no unit of its own, and may not name one. */
	char *named[] = { "FETCH_UNIT=b.service", "FETCH_NAMES=data", NULL };
	rep = run_fetchworker(&d, "outsider", named);
	cr_expect_str_eq(rep_get(rep, "fetch"), "-1", "outsider: %s", rep_get(rep, "fetch_msg"));
	cr_expect(strstr(rep_get(rep, "fetch_msg"), "belongs to no unit"), "%s", rep_get(rep, "fetch_msg"));
	char *own[] = { "FETCH_NAMES=data", NULL };
	rep = run_fetchworker(&d, "own", own);
	cr_expect_str_eq(rep_get(rep, "fetch"), "-3", "no unit: %s", rep_get(rep, "fetch_msg"));
	cr_expect(strstr(rep_get(rep, "fetch_msg"), "does not belong to any unit"), "%s", rep_get(rep, "fetch_msg"));
	expect_daemon_fds(&d, daemon_fds, "daemon fds after refusals");
	cr_expect_eq(hd_stop(&d), 0);
}

Test(fdfetch, errors_are_clear, .timeout = 60)
{
	if (geteuid() != 0 || !getpwnam("nobody"))
		cr_skip_test("needs root and a 'nobody' user");
	struct hd d;
	hd_init(&d);
	chmod(d.dir, 0711); /* nobody gets as far as the runtime directory */
	char cfg[400];
	snprintf(cfg, sizeof cfg, "%s/cfg.txt", d.dir);
	write_file(cfg, "x\n");
	hd_unit(&d, "a.service", "[Service]\nExecStart=/bin/sleep 1000\nOpenFile=%s:cfg\n", cfg);
	hd_start(&d);
	int daemon_fds = settled_fds(&d);

	/* Another uid: the control socket is root's. */
	char *nobody[] = { "RUN_AS=nobody", "FETCH_UNIT=a.service", "FETCH_NAMES=cfg", NULL };
	char *rep = run_fetchworker(&d, "nobody", nobody);
	cr_expect_str_eq(rep_get(rep, "uid"), "65534");
	cr_expect_str_eq(rep_get(rep, "fetch"), "-13", "other uid: %s", rep_get(rep, "fetch_msg"));
	cr_expect(strstr(rep_get(rep, "fetch_msg"), "permission denied"), "%s", rep_get(rep, "fetch_msg"));

	char *noname[] = { "FETCH_UNIT=a.service", "FETCH_NAMES=nope", NULL };
	rep = run_fetchworker(&d, "noname", noname);
	cr_expect_str_eq(rep_get(rep, "fetch"), "-2");
	cr_expect_str_eq(rep_get(rep, "fetch_msg"), "unit a.service has no descriptor named 'nope'");

	char *nounit[] = { "FETCH_UNIT=zzz", "FETCH_NAMES=cfg", NULL };
	rep = run_fetchworker(&d, "nounit", nounit);
	cr_expect_str_eq(rep_get(rep, "fetch"), "-2");
	cr_expect_str_eq(rep_get(rep, "fetch_msg"), "unit zzz.service not found");

	/* Root outside every unit, naming none. */
	char *mine[] = { "FETCH_NAMES=cfg", NULL };
	rep = run_fetchworker(&d, "mine", mine);
	cr_expect_str_eq(rep_get(rep, "fetch"), "-3");

	/* Storing: into no unit, and into a unit without an fd store. */
	char *store[] = { "STORE_N=1", NULL };
	rep = run_fetchworker(&d, "store", store);
	cr_expect_str_eq(rep_get(rep, "store"), "-3", "no unit of its own: %s", rep_get(rep, "store_msg"));
	char *nostore[] = { "STORE_UNIT=a.service", "STORE_N=1", NULL };
	rep = run_fetchworker(&d, "nostore", nostore);
	cr_expect_str_eq(rep_get(rep, "store"), "-95", "%s", rep_get(rep, "store_msg"));
	cr_expect_str_eq(rep_get(rep, "store_msg"), "a.service has no fd store (FileDescriptorStoreMax=0)");

	expect_daemon_fds(&d, daemon_fds, "daemon fds after errors");
	cr_expect_eq(hd_stop(&d), 0);
}

Test(fdfetch, supctl_fds_lists_every_descriptor, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	int port = h_free_port();
	char cfg[400], report[400], dg[400], fifo[400], addr[64];
	snprintf(cfg, sizeof cfg, "%s/cfg.txt", d.dir);
	snprintf(report, sizeof report, "%s/l.report", d.dir);
	snprintf(dg, sizeof dg, "%s/dg.sock", d.dir);
	snprintf(fifo, sizeof fifo, "%s/fifo", d.dir);
	write_file(cfg, "cfg\n");
	hd_unit(&d, "l.socket", "[Socket]\nListenStream=127.0.0.1:%d\nListenDatagram=%s\nListenFIFO=%s\n", port,
		dg, fifo);
	hd_unit(&d, "l.service",
		"[Service]\nExecStart=" FETCHWORKER "\nFileDescriptorStoreMax=4\nOpenFile=%s:cfg\n"
		"Environment=SUPERVISORD_RUNTIME_DIR=%s REPORT=%s STORE_N=2 STORE_NAME=state STAY=1\n"
		"[Install]\nWantedBy=multi-user.target\n",
		cfg, d.rt, report);
	hd_start(&d);
	char *rep = h_wait_file(report, 15000);
	cr_assert_not_null(rep, "no report from l.service");
	cr_assert_str_eq(rep_get(rep, "store"), "0", "store: %s", rep_get(rep, "store_msg"));
	int daemon_fds = settled_fds(&d);

	char out[16384];
	int rc = hd_ctl(&d, out, sizeof out, "fds", NULL);
	cr_assert_eq(rc, 0, "fds: %s", out);
	snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
	cr_expect(!strncmp(out, "UNIT ", 5) && strstr(out, "ADDRESS"), "no header:\n%s", out);
	cr_expect(has_row(out, "l.socket", "l.socket", "tcp", "socket", addr), "tcp row:\n%s", out);
	cr_expect(has_row(out, "l.socket", "l.socket", "unix-dgram", "socket", dg), "unix row:\n%s", out);
	cr_expect(has_row(out, "l.socket", "l.socket", "fifo", "socket", fifo), "fifo row:\n%s", out);
	cr_expect(has_row(out, "l.service", "state", "memfd", "fdstore", "/memfd:blob (deleted)"),
		  "fd store row:\n%s", out);
	cr_expect(has_row(out, "l.service", "cfg", "file", "openfile", cfg), "OpenFile= row:\n%s", out);

	/* One unit: a service shows its sockets' listeners too. */
	rc = hd_ctl(&d, out, sizeof out, "fds", "l", NULL);
	cr_assert_eq(rc, 0, "fds l: %s", out);
	cr_expect(has_row(out, "l.socket", "l.socket", "tcp", "socket", addr), "fds l:\n%s", out);
	cr_expect(has_row(out, "l.service", "cfg", "file", "openfile", cfg), "fds l:\n%s", out);
	rc = hd_ctl(&d, out, sizeof out, "fds", "nosuch", NULL);
	cr_expect_eq(rc, 4, "fds nosuch: rc %d: %s", rc, out);
	cr_expect(strstr(out, "nosuch.service not found"), "%s", out);

	expect_daemon_fds(&d, daemon_fds, "listing changed the daemon's fds");
	cr_expect_eq(hd_stop(&d), 0);
}

Test(fdfetch, exec_fds_chain_loads_an_sd_listen_fds_program, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	char cfg[400], wsock[400], report[400];
	snprintf(cfg, sizeof cfg, "%s/cfg.txt", d.dir);
	snprintf(wsock, sizeof wsock, "%s/w.sock", d.dir);
	snprintf(report, sizeof report, "%s/sd.report", d.dir);
	write_file(cfg, "cfg\n");
	hd_unit(&d, "w.socket", "[Socket]\nListenStream=%s\n", wsock);
	/* Running, so the daemon does not watch the socket itself. */
	hd_unit(&d, "w.service",
		"[Service]\nExecStart=/bin/sleep 1000\nOpenFile=%s:cfg\n[Install]\nWantedBy=multi-user.target\n", cfg);
	hd_start(&d);
	cr_assert_eq(hd_wait_state(&d, "w.service", "running", 5000), 0);
	int daemon_fds = settled_fds(&d);

	char rep_env[450];
	snprintf(rep_env, sizeof rep_env, "REPORT=%s", report);
	/* sdworker keeps libsystemd's name array for its whole life; under
	 * ASan that would turn its clean exit into a leak report. */
	char *env[] = { rep_env, "EXIT_AFTER=1", "LISTEN_FDS=7", "ASAN_OPTIONS=detect_leaks=0", NULL };
	char *argv[] = { H_SUPCTL, "-r", d.rt, "exec-fds", "--unit", "w", "w.socket", "cfg", "--", SDWORKER, NULL };
	pid_t pid = spawn_env(argv, env);
	char *rep = h_wait_file(report, 10000);
	cr_assert_not_null(rep, "no report from sdworker");
	char want[64];
	snprintf(want, sizeof want, "listen_pid=%d\n", (int)pid);
	cr_expect(strstr(rep, want), "LISTEN_PID is not the exec'd process:\n%s", rep);
	cr_expect(strstr(rep, "n=2\n"), "sd_listen_fds did not return 2:\n%s", rep);
	cr_expect(strstr(rep, "fd3=w.socket:unix-stream\n"), "fd 3:\n%s", rep);
	cr_expect(strstr(rep, "fd4=cfg:special\n"), "fd 4 (a regular file: sd_is_special):\n%s", rep);
	cr_expect(strstr(rep, "open=0,1,2,3,4,\n"), "descriptors beyond 0-4:\n%s", rep);

	/* The fetched listener works: sdworker answers on it, then exits. */
	char ans[1024];
	int r = h_unix_get(wsock, ans, sizeof ans, 5000);
	cr_expect_gt(r, 0, "request over the fetched socket: %s", strerror(-r));
	char pidtxt[32];
	snprintf(pidtxt, sizeof pidtxt, "pid %d", (int)pid);
	cr_expect(r > 0 && strstr(ans, pidtxt), "answered by someone else: %s", ans);
	int st = wait_exit(pid, 5000);
	cr_expect_eq(st, 0, "sdworker did not exit cleanly: %d", st);

	/* A command that does not exist: 127, as a shell says. */
	char *bad[] = { H_SUPCTL, "-r", d.rt, "exec-fds", "--unit", "w", "cfg", "--", "/nonexistent/cmd", NULL };
	cr_expect_eq(wait_exit(spawn_env(bad, NULL), 10000), 127);
	/* No COMMAND: usage. */
	char out[1024];
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "exec-fds", "cfg", NULL), 2, "%s", out);

	expect_daemon_fds(&d, daemon_fds, "exec-fds changed the daemon's fds");
	cr_expect_eq(hd_stop(&d), 0);
}
