/*
 * test_reexec.c - `supctl reexec` with the real daemon: everything retained
 * under load (same pid, same children, same socket inodes, fd store kept),
 * upgrade to another binary, exec failure, unreadable state, and no
 * descriptor leak across 100 re-execs.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define SDWORKER H_WORKERS "/sdworker"
#define STASHWORKER H_WORKERS "/stashworker"
#define CORRUPTOR H_WORKERS "/corruptor"
#define NEXT_DAEMON BUILD_DIR "/tests/supervisord-next"

/* Inode of the socket listening on 127.0.0.1:port, from /proc/net/tcp. */
static unsigned long listen_inode(int port)
{
	FILE *f = fopen("/proc/net/tcp", "r");
	if (!f)
		return 0;
	char line[512];
	unsigned long found = 0;
	while (fgets(line, sizeof line, f)) {
		unsigned la, lp, ra, rp, st;
		unsigned long inode;
		if (sscanf(line, " %*d: %x:%x %x:%x %x %*s %*s %*s %*s %*s %lu", &la, &lp, &ra, &rp, &st, &inode) == 6 &&
		    (int)lp == port && st == 0x0A)
			found = inode;
	}
	fclose(f);
	return found;
}

/* Does pid hold socket:[inode]? */
static bool holds_inode(pid_t pid, unsigned long inode)
{
	char fds[16384], want[64];
	h_list_fds(pid, fds, sizeof fds);
	snprintf(want, sizeof want, "socket:[%lu]", inode);
	return strstr(fds, want) != NULL;
}

static const char *read_report(const char *path, const char *key, char *out, size_t len, int ms)
{
	long long end = h_now_ms() + ms;
	do {
		FILE *f = fopen(path, "r");
		if (f) {
			char line[256];
			while (fgets(line, sizeof line, f)) {
				size_t kl = strlen(key);
				if (!strncmp(line, key, kl) && line[kl] == '=') {
					snprintf(out, len, "%s", line + kl + 1);
					out[strcspn(out, "\n")] = '\0';
					fclose(f);
					return out;
				}
			}
			fclose(f);
		}
		h_msleep(20);
	} while (h_now_ms() < end);
	return NULL;
}

struct world {
	struct hd d;
	int port;
	char report[400];
	int web_pid, note_pid, plain_pid, inst_pid;
	unsigned long inode;
	char token[128];
};

/* Three services: a socket-activated TCP worker, a Type=notify worker with
 * a stored fd, a plain worker; and the instance of a template that the
 * plain one wants. */
static void world_start(struct world *w, const char *daemon)
{
	hd_init(&w->d);
	w->port = h_free_port();
	snprintf(w->report, sizeof w->report, "%s/stash.report", w->d.dir);
	hd_unit(&w->d, "web.socket", "[Socket]\nListenStream=127.0.0.1:%d\n", w->port);
	hd_unit(&w->d, "web.service", "[Service]\nExecStart=" SDWORKER "\n");
	hd_unit(&w->d, "note.service",
		"[Service]\nType=notify\nExecStart=" STASHWORKER "\nEnvironment=REPORT=%s\n"
		"FileDescriptorStoreMax=4\nRestart=on-failure\n",
		w->report);
	hd_unit(&w->d, "plain.service", "[Unit]\nWants=inst@w.service\n[Service]\nExecStart=/bin/sleep 100000\n");
	hd_unit(&w->d, "inst@.service", "[Service]\nExecStart=/bin/sleep 100001\n");
	hd_start_with(&w->d, daemon);
	char ans[512];
	cr_assert_gt(h_http_get(w->port, ans, sizeof ans, 5000), 0, "web does not answer");
	cr_assert_eq(hd_wait_state(&w->d, "web.service", "running", 5000), 0);
	cr_assert_eq(hd_wait_state(&w->d, "note.service", "running", 5000), 0);
	cr_assert_eq(hd_wait_state(&w->d, "plain.service", "running", 5000), 0);
	cr_assert_not_null(read_report(w->report, "stored", w->token, sizeof w->token, 5000));
	hd_unit_info(&w->d, "web.service", NULL, 0, &w->web_pid, NULL, NULL, 0);
	hd_unit_info(&w->d, "note.service", NULL, 0, &w->note_pid, NULL, NULL, 0);
	hd_unit_info(&w->d, "plain.service", NULL, 0, &w->plain_pid, NULL, NULL, 0);
	cr_assert_eq(hd_wait_state(&w->d, "inst@w.service", "running", 5000), 0);
	hd_unit_info(&w->d, "inst@w.service", NULL, 0, &w->inst_pid, NULL, NULL, 0);
	w->inode = listen_inode(w->port);
	cr_assert(w->inode && holds_inode(w->d.pid, w->inode), "daemon does not hold the listener");
}

/* Everything is as world_start left it. */
static void world_check(struct world *w, const char *when)
{
	int pid, restarts;
	char st[64];
	const struct {
		const char *unit;
		int pid;
	} svc[] = { { "web.service", w->web_pid },
		    { "note.service", w->note_pid },
		    { "plain.service", w->plain_pid },
		    { "inst@w.service", w->inst_pid } };
	for (size_t i = 0; i < 4; i++) {
		cr_assert_eq(hd_unit_info(&w->d, svc[i].unit, st, sizeof st, &pid, &restarts, NULL, 0), 0,
			     "%s: status of %s", when, svc[i].unit);
		cr_expect_str_eq(st, "running", "%s: %s is %s", when, svc[i].unit, st);
		cr_expect_eq(pid, svc[i].pid, "%s: %s pid %d, was %d", when, svc[i].unit, pid, svc[i].pid);
		cr_expect_eq(restarts, 0, "%s: %s restarted", when, svc[i].unit);
		cr_expect(h_alive(svc[i].pid), "%s: %s's process is gone", when, svc[i].unit);
	}
	cr_expect_eq(listen_inode(w->port), w->inode, "%s: the listening socket changed", when);
	cr_expect(holds_inode(w->d.pid, w->inode), "%s: the daemon no longer holds the listener", when);
}

/* After everything: a restart of the notify worker gets its token back. */
static void check_token_survives(struct world *w)
{
	unlink(w->report);
	char out[1024];
	int rc = hd_ctl(&w->d, out, sizeof out, "restart", "note", NULL);
	cr_assert_eq(rc, 0, "restart note: %s", out);
	char tok[128];
	cr_assert_not_null(read_report(w->report, "fetched", tok, sizeof tok, 5000),
			   "the restarted worker did not get its stored fd back");
	cr_expect_str_eq(tok, w->token);
}

Test(reexec, ten_reexecs_under_load_keep_everything, .timeout = 180)
{
	struct world w;
	world_start(&w, H_DAEMON);
	pid_t dpid = w.d.pid;
	int fds_before = h_count_fds_settled(dpid);

	struct h_load load;
	h_load_start(&load, w.port, 120000);
	h_msleep(200);
	for (int i = 0; i < 10; i++) {
		char out[1024];
		int rc = hd_ctl(&w.d, out, sizeof out, "reexec", NULL);
		cr_assert_eq(rc, 0, "reexec %d: rc %d: %s", i + 1, rc, out);
		cr_expect(strstr(out, "re-executed"), "reexec %d said: %s", i + 1, out);
		h_msleep(50);
	}
	struct h_load_result res;
	h_load_stop(&load, &res);
	cr_log_info("10 re-execs under load: %ld requests ok, %ld failed, longest %ld us", res.ok, res.failed,
		    res.max_latency_us);
	cr_expect_eq(res.failed, 0, "%ld failed connections (first: %s)", res.failed, res.first_error);
	cr_expect_gt(res.ok, 10);
	cr_expect(h_alive(dpid));
	world_check(&w, "after 10 re-execs");
	char fds[8192];
	h_list_fds(dpid, fds, sizeof fds);
	cr_expect_eq(h_count_fds_settled(dpid), fds_before, "daemon fds:\n%s", fds);
	check_token_survives(&w);
	cr_expect_eq(hd_stop(&w.d), 0);
}

Test(reexec, upgrade_to_another_binary, .timeout = 120)
{
	struct world w;
	world_start(&w, H_DAEMON);
	char out[1024];
	cr_assert_eq(hd_ctl(&w.d, out, sizeof out, "version", NULL), 0);
	cr_expect(strstr(out, "supervisord 0.") && !strstr(out, "-next"), "before: %s", out);

	struct h_load load;
	h_load_start(&load, w.port, 60000);
	h_msleep(100);
	int rc = hd_ctl(&w.d, out, sizeof out, "reexec", "--binary", NEXT_DAEMON, NULL);
	cr_assert_eq(rc, 0, "reexec --binary: %s", out);
	cr_expect(strstr(out, "-next"), "the reply does not come from the new image: %s", out);
	h_msleep(100);
	struct h_load_result res;
	h_load_stop(&load, &res);
	cr_expect_eq(res.failed, 0, "%ld failed connections (first: %s)", res.failed, res.first_error);

	cr_assert_eq(hd_ctl(&w.d, out, sizeof out, "version", NULL), 0);
	cr_expect(strstr(out, "-next"), "after: %s", out);
	world_check(&w, "after the upgrade");
	/* And back again. */
	rc = hd_ctl(&w.d, out, sizeof out, "reexec", "--binary", H_DAEMON, NULL);
	cr_assert_eq(rc, 0, "reexec back: %s", out);
	cr_assert_eq(hd_ctl(&w.d, out, sizeof out, "version", NULL), 0);
	cr_expect(!strstr(out, "-next"), "after going back: %s", out);
	world_check(&w, "after going back");
	check_token_survives(&w);
	cr_expect_eq(hd_stop(&w.d), 0);
}

Test(reexec, exec_failure_keeps_the_running_image, .timeout = 120)
{
	struct world w;
	world_start(&w, H_DAEMON);
	int fds_before = h_count_fds_settled(w.d.pid);
	char path[400], out[1024];

	/* Not executable. */
	snprintf(path, sizeof path, "%s/not-executable", w.d.dir);
	FILE *f = fopen(path, "w");
	fputs("#!/bin/sh\nexit 0\n", f);
	fclose(f);
	int rc = hd_ctl(&w.d, out, sizeof out, "reexec", "--binary", path, NULL);
	cr_expect_neq(rc, 0, "a non-executable binary was accepted: %s", out);
	cr_expect(strstr(out, "Permission denied"), "message: %s", out);
	/* Executable, but not a supervisord: refused by the check. */
	rc = hd_ctl(&w.d, out, sizeof out, "reexec", "--binary", "/bin/true", NULL);
	cr_expect_neq(rc, 0, "/bin/true was accepted: %s", out);
	cr_expect(strstr(out, "not a supervisord"), "message: %s", out);
	/* Missing. */
	rc = hd_ctl(&w.d, out, sizeof out, "reexec", "--binary", "/nonexistent/supervisord", NULL);
	cr_expect_neq(rc, 0);
	cr_expect(strstr(out, "No such file"), "message: %s", out);

	world_check(&w, "after failed re-execs");
	cr_expect_eq(h_count_fds_settled(w.d.pid), fds_before);
	cr_assert_eq(hd_ctl(&w.d, out, sizeof out, "reexec", NULL), 0, "a good reexec after the failures: %s", out);
	world_check(&w, "after a good re-exec");
	cr_expect_eq(hd_stop(&w.d), 0);
}

/* supctl -r RT ARGS... in the background, stdout and stderr into
 * out_path. Returns its pid. */
static pid_t ctl_async(struct world *w, const char *out_path, const char *const *args)
{
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0)
			_exit(126);
		dup2(fd, 1);
		dup2(fd, 2);
		const char *argv[16] = { H_SUPCTL, "-r", w->d.rt };
		int n = 3;
		while (*args && n < 15)
			argv[n++] = *args++;
		argv[n] = NULL;
		execv(H_SUPCTL, (char *const *)argv);
		_exit(127);
	}
	return pid;
}

/* Reap pid, waiting at most ms: its exit status, or -1 (still running). */
static bool gone_within(pid_t pid, int ms)
{
	long long end = h_now_ms() + ms;
	while (h_alive(pid) && h_now_ms() < end)
		h_msleep(10);
	return !h_alive(pid);
}

/* A target that never answers --check-state-format: it records its pid in
 * DIR/hang.pid, then sleeps with the answer pipe open. */
static void write_hanging_binary(struct world *w, char *path, size_t len)
{
	snprintf(path, len, "%s/hang", w->d.dir);
	FILE *f = fopen(path, "w");
	cr_assert(f);
	fprintf(f, "#!/bin/sh\necho $$ > %s/hang.pid.tmp && mv %s/hang.pid.tmp %s/hang.pid\nexec sleep 60\n",
		w->d.dir, w->d.dir, w->d.dir);
	fclose(f);
	chmod(path, 0755);
}

static pid_t hanging_pid(struct world *w)
{
	char path[400];
	snprintf(path, sizeof path, "%s/hang.pid", w->d.dir);
	char *t = h_wait_file(path, 5000);
	cr_assert_not_null(t, "the check never ran the target");
	return (pid_t)atoi(t);
}

/* The world, and `supctl reexec --binary` of a target that never answers
 * its check, in the background (output in outp). Returns supctl's pid;
 * *hpid is the target's, once it runs. */
static pid_t start_hanging_reexec(struct world *w, int *fds_before, char *outp, size_t outlen, pid_t *hpid)
{
	static char hang[400];
	world_start(w, H_DAEMON);
	*fds_before = h_count_fds_settled(w->d.pid);
	write_hanging_binary(w, hang, sizeof hang);
	snprintf(outp, outlen, "%s/reexec.out", w->d.dir);
	const char *args[] = { "reexec", "--binary", hang, NULL };
	pid_t ctl = ctl_async(w, outp, args);
	*hpid = hanging_pid(w);
	return ctl;
}

/* The exec itself fails after the target passed its check: a target that
 * answers the check like the real binary and then takes away its own
 * execute permission. The daemon must go on as it was: the memory holder
 * it started for the exec (mmhold.h) let go and reaped, no descriptor
 * left, and the next re-exec fine. */
Test(reexec, an_exec_that_fails_after_the_check_keeps_the_running_image, .timeout = 120)
{
	struct world w;
	world_start(&w, H_DAEMON);
	int fds_before = h_count_fds_settled(w.d.pid);
	int children = h_count_children_settled(w.d.pid);
	char path[400], out[1024], script[1024];
	snprintf(path, sizeof path, "%s/vanishing", w.d.dir);
	snprintf(script, sizeof script, "#!/bin/sh\n%s --check-state-format\nchmod a-x \"$0\"\n", H_DAEMON);
	cr_assert_eq(h_write_file(path, script), 0);
	cr_assert_eq(chmod(path, 0755), 0);
	int rc = hd_ctl(&w.d, out, sizeof out, "reexec", "--binary", path, NULL);
	cr_expect_neq(rc, 0, "the exec of a non-executable file succeeded: %s", out);
	cr_expect(strstr(out, "still running the old image"), "message: %s", out);
	world_check(&w, "after the failed exec");
	cr_expect_eq(h_count_fds_settled(w.d.pid), fds_before);
	cr_expect_eq(h_count_children_settled(w.d.pid), children, "a helper of the failed exec is left");
	cr_assert_eq(hd_ctl(&w.d, out, sizeof out, "reexec", NULL), 0, "a good reexec after the failure: %s", out);
	world_check(&w, "after a good re-exec");
	cr_expect_eq(h_count_children_settled(w.d.pid), children);
	cr_expect_eq(hd_stop(&w.d), 0);
}

Test(reexec, a_target_that_never_answers_stalls_nothing, .timeout = 120)
{
	/* The daemon asks a new binary whether it can take over. While the
	 * binary takes its time, everything else is served: the check runs on
	 * the loop, not in front of it. */
	struct world w;
	int fds_before;
	char outp[400], out[1024];
	pid_t hpid;
	long long t0 = h_now_ms();
	pid_t ctl = start_hanging_reexec(&w, &fds_before, outp, sizeof outp, &hpid);

	for (int i = 0; i < 5; i++) {
		long long t = h_now_ms();
		cr_assert_eq(hd_ctl(&w.d, out, sizeof out, "status", "web", NULL), 0, "status: %s", out);
		cr_expect_lt(h_now_ms() - t, 2000, "status took %lld ms while a reexec was being checked",
			     h_now_ms() - t);
	}
	char ans[512];
	cr_expect_gt(h_http_get(w.port, ans, sizeof ans, 2000), 0);
	/* One reexec at a time. */
	cr_expect_neq(hd_ctl(&w.d, out, sizeof out, "reexec", NULL), 0, "a second reexec went ahead: %s", out);
	cr_expect(strstr(out, "another reexec"), "message: %s", out);
	cr_expect_lt(h_now_ms() - t0, 4500, "the loop was blocked");

	int rc = h_wait_exit(ctl, 15000);
	cr_expect_gt(rc, 0, "the reexec of a binary that never answers succeeded (rc %d)", rc);
	cr_expect_geq(h_now_ms() - t0, 4500, "answered before the check's time ran out");
	char *text = h_slurp(outp);
	cr_expect(text && strstr(text, "did not answer within 5000 ms"), "message: %s", text ? text : "");
	cr_expect(gone_within(hpid, 3000), "the check's process %d was left running", (int)hpid);
	world_check(&w, "after the refused re-exec");
	cr_expect_eq(h_count_fds_settled(w.d.pid), fds_before);
	cr_assert_eq(hd_ctl(&w.d, out, sizeof out, "reexec", NULL), 0, "a good reexec after it: %s", out);
	world_check(&w, "after a good re-exec");
	cr_expect_eq(hd_stop(&w.d), 0);
}

Test(reexec, a_check_whose_client_leaves_is_cancelled, .timeout = 120)
{
	struct world w;
	int fds_before;
	char outp[400], out[1024];
	pid_t hpid;
	pid_t ctl = start_hanging_reexec(&w, &fds_before, outp, sizeof outp, &hpid);
	kill(ctl, SIGKILL);
	cr_expect_eq(h_wait_exit(ctl, 5000), 128 + SIGKILL);
	cr_expect(gone_within(hpid, 3000), "the check's process %d outlived its client", (int)hpid);
	long long end = h_now_ms() + 3000;
	while (!hd_log_has(&w.d, "cancelled: the client that asked for it went away") && h_now_ms() < end)
		h_msleep(20);
	cr_expect(hd_log_has(&w.d, "cancelled: the client that asked for it went away"));
	/* Nothing is left waiting: the next reexec is checked at once. */
	cr_expect_neq(hd_ctl(&w.d, out, sizeof out, "reexec", "--binary", "/bin/true", NULL), 0, "%s", out);
	cr_expect(strstr(out, "not a supervisord"), "message: %s", out);
	world_check(&w, "after the cancelled re-exec");
	cr_expect_eq(h_count_fds_settled(w.d.pid), fds_before);
	cr_expect_eq(hd_stop(&w.d), 0);
}

/* The world, with the corruptor (REAL_DAEMON) told what to do through
 * var=value (CORRUPT_MODE, or CORRUPT_MODE_FILE naming a file). */
static void corruptor_world(struct world *w, const char *var, const char *value)
{
	setenv("REAL_DAEMON", H_DAEMON, 1);
	setenv(var, value, 1);
	world_start(w, H_DAEMON);
}

static void unreadable_state(const char *mode, const char *expect_log)
{
	struct world w;
	corruptor_world(&w, "CORRUPT_MODE", mode);
	pid_t dpid = w.d.pid;
	char out[1024];
	/* The requesting client may lose its connection (rescue mode does not
	 * keep clients); what matters is what the daemon does after. */
	hd_ctl(&w.d, out, sizeof out, "reexec", "--binary", CORRUPTOR, NULL);
	long long end = h_now_ms() + 10000;
	while (h_now_ms() < end && !hd_log_has(&w.d, "rescue: adopted its main process"))
		h_msleep(20);
	cr_expect(hd_log_has(&w.d, expect_log), "no '%s' in the daemon's log", expect_log);
	cr_assert_eq(hd_ctl(&w.d, out, sizeof out, "status", NULL), 0, "daemon does not answer: %s", out);
	cr_expect(h_alive(dpid));
	cr_expect_eq(w.d.pid, dpid);
	/* Every service still runs, with the same process, supervised. */
	int pid;
	char st[64];
	const char *units[] = { "web.service", "note.service", "plain.service", "inst@w.service" };
	int pids[] = { w.web_pid, w.note_pid, w.plain_pid, w.inst_pid };
	for (int i = 0; i < 4; i++) {
		cr_assert_eq(hd_unit_info(&w.d, units[i], st, sizeof st, &pid, NULL, NULL, 0), 0);
		cr_expect_str_eq(st, "running", "%s is %s", units[i], st);
		cr_expect_eq(pid, pids[i], "%s: pid %d, was %d", units[i], pid, pids[i]);
	}
	cr_expect_eq(listen_inode(w.port), w.inode, "the listener was re-bound");
	char ans[512];
	cr_expect_gt(h_http_get(w.port, ans, sizeof ans, 5000), 0);
	/* Supervised: a stop really stops the adopted process. */
	cr_assert_eq(hd_ctl(&w.d, out, sizeof out, "stop", "plain", NULL), 0, "stop plain: %s", out);
	cr_expect(!h_alive(w.plain_pid));
	cr_expect_eq(hd_stop(&w.d), 0);
	cr_expect(!h_alive(w.web_pid));
	cr_expect(!h_alive(w.note_pid));
	cr_expect(!h_alive(w.inst_pid), "the template's instance was not adopted");
}

Test(reexec, corrupt_state_keeps_children_and_sockets, .timeout = 120)
{
	unreadable_state("flip", "checksum mismatch");
}

Test(reexec, future_state_format_keeps_children_and_sockets, .timeout = 120)
{
	unreadable_state("format", "state format 99");
}

Test(reexec, state_naming_a_foreign_private_tmp_is_refused, .timeout = 120)
{
	/* A state whose PrivateTmp= directory is /etc: the stop would remove
	 * it. Refused, rescue, and /etc is still there. */
	unreadable_state("privtmp", "is not a PrivateTmp= directory");
	cr_expect_eq(access("/etc/passwd", F_OK), 0);
}

Test(reexec, state_naming_a_pipe_as_a_network_namespace_is_refused, .timeout = 120)
{
	/* Every process of that service would join it (PrivateNetwork=). */
	unreadable_state("netnspipe", "is not a network namespace");
}

Test(reexec, state_naming_a_stranger_is_refused, .timeout = 120)
{
	/* A well-formed state (checksum fine) that names pid 1 as a main
	 * process: read as if from a stranger, it is refused, and rescue mode
	 * keeps every child and socket. */
	unreadable_state("stranger", "is not a child of this process");
}

/* The new image closes every fd the state's "fds" record does not list.
 * Without that record (an older image's state), or when it names an fd
 * that is not open, it falls back to listing /proc/self/fd: the re-exec
 * still succeeds normally, no rescue, nothing lost or leaked. */
static void fds_record_fallback(const char *mode, const char *expect_log)
{
	struct world w;
	corruptor_world(&w, "CORRUPT_MODE", mode);
	int fds_before = h_count_fds_settled(w.d.pid);
	char out[1024];
	cr_assert_eq(hd_ctl(&w.d, out, sizeof out, "reexec", "--binary", CORRUPTOR, NULL), 0, "%s", out);
	world_check(&w, "after the re-exec");
	cr_expect(!hd_log_has(&w.d, "rescue"), "the state went to rescue mode");
	cr_expect(hd_log_has(&w.d, expect_log), "no '%s' in the daemon's log", expect_log);
	cr_expect_eq(h_count_fds_settled(w.d.pid), fds_before);
	cr_expect_eq(hd_stop(&w.d), 0);
}

Test(reexec, state_without_fds_record_restores, .timeout = 120)
{
	fds_record_fallback("nofds", "the state does not list its descriptors");
}

Test(reexec, fds_record_naming_a_closed_fd_restores, .timeout = 120)
{
	fds_record_fallback("fdlie", "cannot be kept as they are (Bad file descriptor)");
}

Test(reexec, fds_record_with_a_closed_fd_inside_a_run_restores, .timeout = 120)
{
	fds_record_fallback("fdhole", "cannot be kept as they are (Bad file descriptor)");
}

Test(reexec, unparsable_fds_record_restores, .timeout = 120)
{
	fds_record_fallback("fdgarbage", "the state does not list its descriptors");
}

Test(reexec, listeners_record_with_too_many_entries_is_refused, .timeout = 120)
{
	unreadable_state("listenerscount", "listeners of web.socket: 1 entries expected");
}

Test(reexec, a_unit_text_given_twice_is_refused, .timeout = 120)
{
	/* Which text would the unit run? Neither: and the parse thread, which
	 * counts texts, would be a unit out of step with the restore. */
	unreadable_state("twotexts", "text given twice");
}

Test(reexec, log_epoll_that_is_not_an_epoll_instance_is_refused, .timeout = 120)
{
	unreadable_state("epollpipe", "fd 19000 is not an epoll instance");
}

Test(reexec, log_pipe_without_its_partial_line_is_refused, .timeout = 120)
{
	/* Both ends of a log pipe would be claimed with no owner: the reader
	 * refuses the state, and rescue mode keeps everything. */
	unreadable_state("nopartial", "log-pipe without log-partial");
}

static int count_lines(const char *text)
{
	int n = 0;
	for (const char *p = text; p && *p; p++)
		n += *p == '\n';
	return n;
}

/* Lines in a service's log file, waiting up to ms for more than `above`. */
static int wait_log_lines(const char *path, int above, int ms)
{
	long long end = h_now_ms() + ms;
	int n = 0;
	do {
		n = count_lines(h_wait_file(path, 100));
		if (n > above)
			break;
		h_msleep(20);
	} while (h_now_ms() < end);
	return n;
}

Test(reexec, state_without_log_epoll_registers_the_pipes_again, .timeout = 120)
{
	/* The log pipes' read ends are handed over registered in one epoll
	 * instance. A state without it (an older image's) still works: the new
	 * image registers every pipe in one of its own, and output keeps
	 * reaching the log. The instance the old image listed is closed. */
	setenv("REAL_DAEMON", H_DAEMON, 1);
	setenv("CORRUPT_MODE", "nologepoll", 1);
	struct hd d;
	hd_init(&d);
	hd_unit(&d, "ticker.service",
		"[Service]\nExecStart=/bin/sh -c 'i=0; while :; do echo tick $i; i=$((i+1)); sleep 0.05; done'\n");
	hd_start(&d);
	cr_assert_eq(hd_wait_state(&d, "ticker.service", "running", 5000), 0);
	char path[400], out[1024];
	snprintf(path, sizeof path, "%s/logs/ticker.service.log", d.rt);
	cr_assert_geq(wait_log_lines(path, 2, 5000), 3, "no output in %s", path);
	int fds_before = h_count_fds_settled(d.pid);
	cr_assert_eq(hd_ctl(&d, out, sizeof out, "reexec", "--binary", CORRUPTOR, NULL), 0, "%s", out);
	cr_expect(!hd_log_has(&d, "rescue"), "the state went to rescue mode");
	/* Closed after the reply (with the other unclaimed fds): wait for it. */
	long long until = h_now_ms() + 5000;
	while (!hd_log_has(&d, "eventpoll") && h_now_ms() < until)
		h_msleep(20);
	cr_expect(hd_log_has(&d, "eventpoll"), "the unclaimed epoll instance was not closed");
	int after = count_lines(h_wait_file(path, 100));
	cr_expect_geq(wait_log_lines(path, after + 3, 5000), after + 4, "output stopped reaching the log");
	cr_expect_eq(h_count_fds_settled(d.pid), fds_before);
	/* And a normal re-exec from there hands the new instance over. */
	cr_assert_eq(hd_ctl(&d, out, sizeof out, "reexec", NULL), 0, "%s", out);
	after = count_lines(h_wait_file(path, 100));
	cr_expect_geq(wait_log_lines(path, after + 3, 5000), after + 4, "output stopped after the second re-exec");
	cr_expect_eq(h_count_fds_settled(d.pid), fds_before);
	cr_expect_eq(hd_stop(&d), 0);
}

static ino_t inode_of(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISSOCK(st.st_mode) ? st.st_ino : 0;
}

Test(reexec, handed_over_listeners_still_unlink_rebind_and_reload, .timeout = 120)
{
	/* A listener handed over by a re-exec has its address worked out only
	 * when it is first needed: stopping the socket unit must still remove
	 * its paths, starting it must bind them again, and a reload must keep
	 * an unchanged listener (same inode) and replace a changed one. */
	struct hd d;
	hd_init(&d);
	char p1[400], p2[400], p3[400], out[1024];
	snprintf(p1, sizeof p1, "%s/a1.sock", d.dir);
	snprintf(p2, sizeof p2, "%s/a2.sock", d.dir);
	snprintf(p3, sizeof p3, "%s/a3.sock", d.dir);
	hd_unit(&d, "a.socket", "[Socket]\nListenStream=%s\nListenStream=%s\n", p1, p2);
	hd_unit(&d, "a.service", "[Service]\nExecStart=" SDWORKER "\n");
	hd_start(&d);
	cr_assert_eq(hd_wait_state(&d, "a.socket", "listening", 5000), 0);
	ino_t i1 = inode_of(p1);
	cr_assert(i1 && inode_of(p2), "not listening on %s and %s", p1, p2);
	int fds = h_count_fds_settled(d.pid);

	cr_assert_eq(hd_ctl(&d, out, sizeof out, "reexec", NULL), 0, "%s", out);
	cr_assert_eq(hd_ctl(&d, out, sizeof out, "stop", "a.socket", NULL), 0, "%s", out);
	cr_expect(access(p1, F_OK) != 0 && access(p2, F_OK) != 0, "stopping the socket left its paths");
	cr_assert_eq(hd_ctl(&d, out, sizeof out, "start", "a.socket", NULL), 0, "%s", out);
	cr_expect(inode_of(p1) && inode_of(p2), "starting the socket did not bind its paths");
	i1 = inode_of(p1);
	cr_expect_eq(h_count_fds_settled(d.pid), fds);

	cr_assert_eq(hd_ctl(&d, out, sizeof out, "reexec", NULL), 0, "%s", out);
	hd_unit(&d, "a.socket", "[Socket]\nListenStream=%s\nListenStream=%s\n", p1, p3);
	kill(d.pid, SIGHUP);
	long long end = h_now_ms() + 5000;
	while (h_now_ms() < end && !hd_log_has(&d, "reloaded:"))
		h_msleep(20);
	cr_expect(hd_log_has(&d, "a.socket: 1 listener(s) kept"), "the unchanged listener was not kept");
	cr_expect_eq(inode_of(p1), i1, "the unchanged listener was bound again");
	cr_expect(inode_of(p3), "the new listener is not there");
	cr_expect(access(p2, F_OK) != 0, "the removed listener's path is still there");
	char ans[512];
	cr_expect_gt(h_unix_get(p3, ans, sizeof ans, 5000), 0, "no answer through the new listener");
	cr_expect_eq(h_count_fds_settled(d.pid), fds);
	cr_expect_eq(hd_stop(&d), 0);
}

Test(reexec, a_listener_that_is_not_a_socket_is_not_watched, .timeout = 120)
{
	/* The kind of a handed-over listener is checked when the daemon first
	 * watches it. A state that names a pipe as the listener of a socket
	 * whose service is not running (so it is watched at once) gets that
	 * listener refused, loudly, and everything else goes on. */
	setenv("REAL_DAEMON", H_DAEMON, 1);
	setenv("CORRUPT_MODE", "listenerlie", 1);
	struct hd d;
	hd_init(&d);
	char idle[400], out[1024];
	snprintf(idle, sizeof idle, "%s/idle.sock", d.dir);
	int port = h_free_port();
	hd_unit(&d, "a-idle.socket", "[Socket]\nListenStream=%s\n", idle);
	hd_unit(&d, "a-idle.service", "[Service]\nExecStart=" SDWORKER "\n");
	hd_unit(&d, "web.socket", "[Socket]\nListenStream=127.0.0.1:%d\n", port);
	hd_unit(&d, "web.service", "[Service]\nExecStart=" SDWORKER "\n[Install]\nWantedBy=multi-user.target\n");
	hd_start(&d);
	cr_assert_eq(hd_wait_state(&d, "web.service", "running", 5000), 0);
	cr_assert_eq(hd_wait_state(&d, "a-idle.socket", "listening", 5000), 0);
	cr_assert_eq(hd_ctl(&d, out, sizeof out, "reexec", "--binary", CORRUPTOR, NULL), 0, "%s", out);
	cr_expect(!hd_log_has(&d, "rescue"), "the state went to rescue mode");
	cr_expect(hd_log_has(&d, "a-idle.socket: fd 19000 from the previous image is not a socket; not watched"),
		  "the pipe named as a listener was not refused");
	char ans[512];
	cr_expect_gt(h_http_get(port, ans, sizeof ans, 5000), 0, "web no longer answers");
	cr_assert_eq(hd_ctl(&d, out, sizeof out, "status", NULL), 0, "%s", out);
	cr_expect(!strstr(out, "a-idle.service  service  running"), "the pipe activated the service:\n%s", out);
	cr_expect_eq(hd_stop(&d), 0);
}

static void set_mode(const char *file, const char *mode)
{
	FILE *f = fopen(file, "w");
	cr_assert(f);
	fprintf(f, "%s\n", mode);
	fclose(f);
}

Test(reexec, older_binary_gets_the_format_it_reads, .timeout = 120)
{
	/* A target whose --check-state-format lists only format 1 (an older
	 * build) is handed a format-1 state, which this build also reads: no
	 * rescue, nothing lost. A target that lists no format we write is
	 * refused before anything changes. */
	char modefile[] = "/tmp/supd-test-mode-XXXXXX";
	int mfd = mkstemp(modefile);
	cr_assert_geq(mfd, 0);
	close(mfd);
	struct world w;
	corruptor_world(&w, "CORRUPT_MODE_FILE", modefile);
	int fds_before = h_count_fds_settled(w.d.pid);
	char out[1024];
	set_mode(modefile, "noformat");
	cr_expect_neq(hd_ctl(&w.d, out, sizeof out, "reexec", "--binary", CORRUPTOR, NULL), 0, "%s", out);
	cr_expect(strstr(out, "reads none of the state formats"), "message: %s", out);
	world_check(&w, "after the refused re-exec");
	set_mode(modefile, "format1");
	cr_assert_eq(hd_ctl(&w.d, out, sizeof out, "reexec", "--binary", CORRUPTOR, NULL), 0, "%s", out);
	world_check(&w, "after the format-1 re-exec");
	cr_expect(hd_log_has(&w.d, "passing a format-1 state on unchanged"), "the state was not format 1");
	cr_expect(!hd_log_has(&w.d, "rescue"), "the format-1 state went to rescue mode");
	cr_expect_eq(h_count_fds_settled(w.d.pid), fds_before);
	/* And on from format 1 to this build's own format. */
	cr_assert_eq(hd_ctl(&w.d, out, sizeof out, "reexec", NULL), 0, "%s", out);
	world_check(&w, "after the next re-exec");
	cr_expect_eq(hd_stop(&w.d), 0);
	unlink(modefile);
}

Test(reexec, hundred_reexecs_leak_nothing, .timeout = 300)
{
	struct world w;
	world_start(&w, H_DAEMON);
	char out[1024];
	cr_assert_eq(hd_ctl(&w.d, out, sizeof out, "reexec", NULL), 0, "%s", out);
	int before = h_count_fds_settled(w.d.pid);
	/* Each re-exec leaves a helper holding the old image's memory
	 * (mmhold.h) until the exec is done: it must leave, and be reaped. */
	int children = h_count_children_settled(w.d.pid);
	for (int i = 0; i < 100; i++) {
		int rc = hd_ctl(&w.d, out, sizeof out, "reexec", NULL);
		cr_assert_eq(rc, 0, "reexec %d: %s", i + 1, out);
	}
	char fds[8192];
	h_list_fds(w.d.pid, fds, sizeof fds);
	cr_expect_eq(h_count_fds_settled(w.d.pid), before, "daemon fds after 100 re-execs:\n%s", fds);
	cr_expect_eq(h_count_children_settled(w.d.pid), children, "the daemon's children after 100 re-execs");
	world_check(&w, "after 100 re-execs");
	cr_expect_eq(hd_stop(&w.d), 0);
}

Test(reexec, timers_keep_their_deadlines, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	/* Crashes at once and restarts after 1.5 s: a re-exec in between must
	 * neither reset nor extend that delay. */
	hd_unit(&d, "crashy.service",
		"[Service]\nExecStart=/bin/sh -c 'exit 1'\nRestart=on-failure\nRestartSec=1500ms\n"
		"[Unit]\nStartLimitBurst=100\n");
	hd_start(&d);
	cr_assert_eq(hd_wait_state(&d, "crashy.service", "auto-restart", 5000), 0);
	long long t0 = h_now_ms();
	h_msleep(700);
	char out[1024];
	cr_assert_eq(hd_ctl(&d, out, sizeof out, "reexec", NULL), 0, "%s", out);
	int restarts = 0;
	while (h_now_ms() - t0 < 5000) {
		hd_unit_info(&d, "crashy.service", NULL, 0, NULL, &restarts, NULL, 0);
		if (restarts >= 1)
			break;
		h_msleep(10);
	}
	long long took = h_now_ms() - t0;
	cr_expect_geq(restarts, 1);
	cr_expect(took >= 1300 && took < 2100, "restart came %lld ms after the crash, expected ~1500", took);
	cr_expect_eq(hd_stop(&d), 0);
}

Test(reexec, a_oneshot_goes_on_with_its_next_command, .timeout = 60)
{
	/* Re-exec while the second of three ExecStart= runs: the third (and
	 * only it) runs after it, and the unit ends "exited", done. */
	struct hd d;
	hd_init(&d);
	char f[400], out[1024], state[64];
	snprintf(f, sizeof f, "%s/oneshot.log", d.dir);
	hd_unit(&d, "setup.service",
		"[Service]\nType=oneshot\nRemainAfterExit=yes\n"
		"ExecStart=/bin/sh -c 'echo one >> %s'\nExecStart=/bin/sh -c 'sleep 1; echo two >> %s'\n"
		"ExecStart=/bin/sh -c 'echo three >> %s'\n", f, f, f);
	hd_start(&d);
	cr_assert_not_null(h_wait_file(f, 5000));
	h_msleep(200);
	cr_assert_eq(hd_ctl(&d, out, sizeof out, "reexec", NULL), 0, "%s", out);
	cr_assert_eq(hd_wait_state(&d, "setup.service", "exited", 5000), 0);
	char *t = h_slurp(f);
	cr_expect(t && !strcmp(t, "one\ntwo\nthree\n"), "ran: %s", t ? t : "nothing");
	cr_assert_eq(hd_ctl(&d, out, sizeof out, "reexec", NULL), 0, "%s", out);
	cr_assert_eq(hd_unit_info(&d, "setup.service", state, sizeof state, NULL, NULL, NULL, 0), 0);
	cr_expect_str_eq(state, "exited", "the state did not survive a re-exec");
	cr_expect_eq(hd_stop(&d), 0);
}

/* A re-exec in the middle of this session's states: ExecCondition=
 * running (then passing, or skipping), a Type=notify-reload reload waiting
 * for READY=1 with its client waiting for the answer, and RuntimeMaxSec=
 * counting. Each goes on in the new image as if nothing happened. */
Test(reexec, condition_reload_and_runtime_states_go_on, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	char log[400], out[1024], st[64];
	snprintf(log, sizeof log, "%s/reload.log", d.dir);
	hd_unit(&d, "cond.service", "[Service]\nExecCondition=/bin/sh -c 'sleep 1'\nExecStart=/bin/sleep 1000\n"
		"[Install]\nWantedBy=multi-user.target\n");
	hd_unit(&d, "skipc.service", "[Service]\nExecCondition=/bin/sh -c 'sleep 1; exit 1'\nExecStart=/bin/sleep 1000\n"
		"[Install]\nWantedBy=multi-user.target\n");
	hd_unit(&d, "nr.service", "[Service]\nType=notify-reload\nExecStart=" H_WORKERS "/notifyworker\n"
		"Environment=RELOAD_LOG=%s RELOAD_DELAY_MS=1000\n[Install]\nWantedBy=multi-user.target\n", log);
	hd_unit(&d, "runtime.service", "[Service]\nRuntimeMaxSec=1500ms\nExecStart=/bin/sleep 1000\n"
		"[Install]\nWantedBy=multi-user.target\n");
	hd_start(&d);
	long long t0 = h_now_ms();
	cr_assert_eq(hd_wait_state(&d, "nr.service", "running", 5000), 0);
	cr_assert_eq(hd_unit_info(&d, "cond.service", st, sizeof st, NULL, NULL, NULL, 0), 0);
	cr_expect_str_eq(st, "condition");

	/* The reload's client waits in a child of ours meanwhile. */
	pid_t c = fork();
	cr_assert_geq(c, 0);
	if (c == 0) {
		char o[1024];
		_exit(hd_ctl(&d, o, sizeof o, "reload", "nr", NULL) == 0 ? 0 : 1);
	}
	h_msleep(300);
	cr_assert_eq(hd_unit_info(&d, "nr.service", st, sizeof st, NULL, NULL, NULL, 0), 0);
	cr_expect_str_eq(st, "reloading");
	cr_assert_eq(hd_ctl(&d, out, sizeof out, "reexec", NULL), 0, "%s", out);

	int status = -1;
	for (int i = 0; i < 500 && waitpid(c, &status, WNOHANG) == 0; i++)
		h_msleep(10);
	if (!WIFEXITED(status)) {
		kill(c, SIGKILL);
		waitpid(c, &status, 0);
	}
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the reload's answer did not cross the re-exec");
	char *t = h_slurp(log);
	cr_expect(t && !strcmp(t, "reload 1\n"), "%s", t ? t : "(nothing)");
	cr_expect_eq(hd_wait_state(&d, "nr.service", "running", 3000), 0);

	cr_expect_eq(hd_wait_state(&d, "cond.service", "running", 3000), 0, "ExecCondition= did not go on");
	cr_expect_eq(hd_wait_state(&d, "skipc.service", "stopped", 3000), 0);
	hd_ctl(&d, out, sizeof out, "status", "skipc", NULL);
	cr_expect(strstr(out, "skipped: ExecCondition="), "%s", out);

	cr_expect_eq(hd_wait_state(&d, "runtime.service", "failed", 4000), 0);
	long long took = h_now_ms() - t0;
	cr_expect(took >= 1300 && took < 2600, "RuntimeMaxSec=1500ms ended it after %lld ms", took);
	int fds = h_count_fds_settled(d.pid);
	cr_assert_eq(hd_ctl(&d, out, sizeof out, "reexec", NULL), 0, "%s", out);
	cr_expect_eq(h_count_fds_settled(d.pid), fds, "a re-exec in a settled state changed the descriptors");
	cr_expect_eq(hd_stop(&d), 0);
}

/* Unit files are parsed again on a second thread during a re-exec
 * (preparse.h), and a specifier may open a file there: %m reads
 * /etc/machine-id, %b the boot ID. The new image also records the
 * descriptors it inherited (from the state's list, or by listing
 * /proc/self/fd when the state has none) and closes those nobody claims.
 * Were the thread running meanwhile, its file could be closed under it (the
 * unit fails to load in the new image, its process goes unsupervised), or
 * be recorded as inherited and its number, reused by the daemon for a
 * descriptor of its own, closed later as unclaimed. Many units and many
 * held listeners make that window wide; every unit must come through every
 * re-exec loaded, running, with its own process. `mode`: NULL for a plain
 * re-exec, or the corruptor's mode ("nofds": a state without its list). */
static void specifier_units_reexec(const char *mode)
{
	enum { UNITS = 60, LISTENERS = 1000 };
	struct hd d;
	if (mode) {
		setenv("REAL_DAEMON", H_DAEMON, 1);
		setenv("CORRUPT_MODE", mode, 1);
	}
	hd_init(&d);
	char out[4096], name[64];
	size_t cap = 64 + LISTENERS * (strlen(d.dir) + 32), n = 0;
	char *sock = malloc(cap);
	cr_assert_not_null(sock);
	n += (size_t)snprintf(sock + n, cap - n, "[Socket]\n");
	for (int i = 0; i < LISTENERS; i++)
		n += (size_t)snprintf(sock + n, cap - n, "ListenStream=%s/l%d.sock\n", d.dir, i);
	hd_unit(&d, "zheld.socket", "%s", sock);
	free(sock);
	for (int i = 0; i < UNITS; i++) {
		snprintf(name, sizeof name, "spec%d.service", i);
		hd_unit(&d, name, "[Service]\nExecStart=/bin/sleep 1000\nEnvironment=M=%%m B=%%b H=%%H\n"
			"[Install]\nWantedBy=multi-user.target\n");
	}
	hd_start(&d);
	int pids[UNITS];
	for (int i = 0; i < UNITS; i++) {
		snprintf(name, sizeof name, "spec%d.service", i);
		cr_assert_eq(hd_wait_state(&d, name, "running", 5000), 0, "%s", name);
		cr_assert_eq(hd_unit_info(&d, name, NULL, 0, &pids[i], NULL, NULL, 0), 0);
	}
	int fds = h_count_fds_settled(d.pid);
	for (int round = 0; round < 10; round++) {
		int rc = mode ? hd_ctl(&d, out, sizeof out, "reexec", "--binary", CORRUPTOR, NULL)
			      : hd_ctl(&d, out, sizeof out, "reexec", NULL);
		cr_assert_eq(rc, 0, "re-exec %d: %s", round + 1, out);
		for (int i = 0; i < UNITS; i++) {
			char st[64];
			int pid;
			snprintf(name, sizeof name, "spec%d.service", i);
			cr_assert_eq(hd_unit_info(&d, name, st, sizeof st, &pid, NULL, NULL, 0), 0,
				     "re-exec %d: no status of %s", round + 1, name);
			cr_assert_str_eq(st, "running", "re-exec %d: %s is %s", round + 1, name, st);
			cr_assert_eq(pid, pids[i], "re-exec %d: %s has pid %d, had %d", round + 1, name, pid, pids[i]);
		}
	}
	cr_expect(!hd_log_has(&d, "does not load in this image"), "a unit failed to load after a re-exec");
	cr_expect(!hd_log_has(&d, "rescue"), "a re-exec went to rescue mode");
	if (mode)
		cr_expect(hd_log_has(&d, "the state does not list its descriptors"));
	cr_expect_eq(h_count_fds_settled(d.pid), fds);
	cr_expect_eq(hd_stop(&d), 0);
}

Test(reexec, specifiers_that_read_files_survive_the_descriptor_sweep, .timeout = 120)
{
	specifier_units_reexec(NULL);
}

Test(reexec, specifiers_that_read_files_survive_a_descriptor_scan, .timeout = 120)
{
	specifier_units_reexec("nofds");
}
