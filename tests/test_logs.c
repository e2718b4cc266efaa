/*
 * test_logs.c - service output held by the supervisor: every line a service
 * writes reaches its log file, in order and once, through restarts and
 * re-execs; supctl logs shows it; output settings are honoured; and what
 * services read: data, a file, a terminal.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define COUNTER H_WORKERS "/counter"

/* Check the log holds "line 0" .. "line N-1" once each, in order. Returns N. */
static long check_sequence(const char *path)
{
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f, "no log file %s", path);
	char line[512];
	long expect = 0, bad = 0;
	while (fgets(line, sizeof line, f)) {
		char *p = strstr(line, " line ");
		if (!p)
			continue;
		long n = atol(p + 6);
		if (n != expect) {
			if (bad++ < 5)
				cr_log_error("expected line %ld, found line %ld", expect, n);
		}
		expect = n + 1;
	}
	fclose(f);
	cr_expect_eq(bad, 0, "%ld lines out of order, missing or repeated", bad);
	return expect;
}

Test(logs, every_line_through_restarts_and_reexecs, .timeout = 180)
{
	struct hd d;
	hd_init(&d);
	char state[400];
	snprintf(state, sizeof state, "%s/counter.state", d.dir);
	hd_unit(&d, "count.service", "[Service]\nExecStart=" COUNTER "\nEnvironment=STATE=%s\n", state);
	hd_start(&d);
	cr_assert_eq(hd_wait_state(&d, "count.service", "running", 5000), 0);
	char out[1024];
	for (int i = 0; i < 20; i++) {
		h_msleep(30);
		cr_assert_eq(hd_ctl(&d, out, sizeof out, "restart", "count", NULL), 0, "restart %d: %s", i, out);
		if (i % 4 == 3)
			cr_assert_eq(hd_ctl(&d, out, sizeof out, "reexec", NULL), 0, "reexec: %s", out);
	}
	h_msleep(50);
	cr_assert_eq(hd_ctl(&d, out, sizeof out, "stop", "count", NULL), 0, "%s", out);
	/* supctl logs drains the pipe before it answers. */
	static char tail[1 << 16];
	cr_assert_eq(hd_ctl(&d, tail, sizeof tail, "logs", "-n", "3", "count", NULL), 0, "%s", tail);
	unsigned long long last = 0;
	FILE *sf = fopen(state, "r");
	cr_assert_not_null(sf);
	cr_assert_eq(fscanf(sf, "%llu", &last), 1);
	fclose(sf);
	char want[64];
	snprintf(want, sizeof want, "line %llu\n", last - 1);
	cr_expect(strstr(tail, want), "the last line written (%s) is not the last logged:\n%s", want, tail);
	int nl = 0;
	for (char *p = tail; *p; p++)
		nl += *p == '\n';
	cr_expect_eq(nl, 3, "-n 3 printed %d lines", nl);

	char path[600];
	snprintf(path, sizeof path, "%s/logs/count.service.log", d.rt);
	long n = check_sequence(path);
	cr_log_info("%ld lines logged through 20 restarts and 5 re-execs", n);
	cr_expect_eq((unsigned long long)n, last, "the log has %ld lines, the service wrote %llu", n, last);
	cr_expect_gt(n, 100);
	cr_expect_eq(hd_stop(&d), 0);
}

Test(logs, output_settings_and_rotation, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	char file[400], app[400], trunc[400];
	snprintf(file, sizeof file, "%s/out.txt", d.dir);
	snprintf(app, sizeof app, "%s/app.txt", d.dir);
	snprintf(trunc, sizeof trunc, "%s/trunc.txt", d.dir);
	FILE *f = fopen(app, "w");
	fputs("kept\n", f);
	fclose(f);
	f = fopen(trunc, "w");
	fputs("a much longer line that must go\n", f);
	fclose(f);
	hd_unit(&d, "totrunc.service", "[Service]\nType=oneshot\nExecStart=/bin/echo fresh\nStandardOutput=truncate:%s\n",
		trunc);
	hd_unit(&d, "tofile.service",
		"[Service]\nType=oneshot\nExecStart=/bin/sh -c 'echo to-file; echo err-too >&2'\nStandardOutput=file:%s\n",
		file);
	hd_unit(&d, "toappend.service",
		"[Service]\nType=oneshot\nExecStart=/bin/echo appended\nStandardOutput=append:%s\n", app);
	hd_unit(&d, "tonull.service", "[Service]\nType=oneshot\nExecStart=/bin/echo nothing\nStandardOutput=null\n");
	hd_unit(&d, "big.service",
		"[Service]\nType=oneshot\nExecStart=/bin/sh -c 'i=0; while [ $$i -lt 3000 ]; do echo "
		"\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx $$i\"; i=$$((i+1)); done'\n");
	hd_start(&d);
	h_msleep(1500);
	char buf[4096] = "";
	f = fopen(file, "r");
	cr_assert_not_null(f);
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	cr_expect(strstr(buf, "to-file\n") && strstr(buf, "err-too\n"), "file: got '%s'", buf);
	f = fopen(app, "r");
	n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	cr_expect_str_eq(buf, "kept\nappended\n");
	f = fopen(trunc, "r");
	n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	cr_expect_str_eq(buf, "fresh\n", "truncate: kept the old content");
	char path[600];
	snprintf(path, sizeof path, "%s/logs/tonull.service.log", d.rt);
	cr_expect_neq(access(path, F_OK), 0, "StandardOutput=null still logged");
	snprintf(path, sizeof path, "%s/logs/big.service.log", d.rt);
	static char all[1 << 20];
	cr_assert_eq(hd_ctl(&d, all, sizeof all, "logs", "big", NULL), 0);
	cr_expect(strstr(all, " 2999\n"), "the last line is missing from supctl logs");
	cr_expect_eq(hd_stop(&d), 0);
}

/* Count "line N" entries across the log and its rotated files. */
static long count_lines(const char *base, long *max_seen)
{
	long n = 0;
	*max_seen = -1;
	for (int i = 0; i <= 3; i++) {
		char path[700];
		if (i)
			snprintf(path, sizeof path, "%s.%d", base, i);
		else
			snprintf(path, sizeof path, "%s", base);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		char line[256];
		while (fgets(line, sizeof line, f)) {
			char *p = strstr(line, " line ");
			if (!p)
				continue;
			long v = atol(p + 6);
			if (v > *max_seen)
				*max_seen = v;
			n++;
		}
		fclose(f);
	}
	return n;
}

Test(logs, rotation_and_follow, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	hd_unit(&d, "burst.service",
		"[Service]\nType=oneshot\nExecStart=/bin/sh -c 'i=0; while [ $$i -lt 300 ]; do echo \"line $$i\"; "
		"i=$$((i+1)); done'\n");
	hd_unit(&d, "slow.service",
		"[Service]\nExecStart=/bin/sh -c 'i=0; while :; do echo \"tick $$i\"; i=$$((i+1)); sleep 0.05; done'\n");
	const char *args[] = { "--log-max-size", "4K", NULL };
	hd_start_args(&d, H_DAEMON, args);
	/* 300 lines of ~40 bytes through a 4 KiB limit: rotated, nothing lost
	 * while the kept files hold it all. */
	char base[600];
	snprintf(base, sizeof base, "%s/logs/burst.service.log", d.rt);
	long n = 0, max = -1;
	long long end = h_now_ms() + 10000;
	while (h_now_ms() < end && max < 299) {
		n = count_lines(base, &max);
		h_msleep(50);
	}
	char rotated[700];
	snprintf(rotated, sizeof rotated, "%s.1", base);
	cr_expect_eq(access(rotated, F_OK), 0, "no rotated file");
	cr_expect_eq(max, 299, "the last line is missing");
	cr_expect_eq(n, 300, "%ld lines across the rotated files", n);

	/* supctl logs -f follows new lines as they come. */
	int p[2];
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	pid_t f = fork();
	if (f == 0) {
		dup2(p[1], 1);
		execl(H_SUPCTL, H_SUPCTL, "-r", d.rt, "logs", "-n", "1", "-f", "slow", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	int first = -1, last = -1;
	char buf[4096];
	size_t got = 0;
	end = h_now_ms() + 10000;
	while (h_now_ms() < end && (first < 0 || last < first + 10)) {
		struct pollfd pfd = { .fd = p[0], .events = POLLIN };
		if (poll(&pfd, 1, 200) <= 0)
			continue;
		ssize_t r = read(p[0], buf + got, sizeof buf - 1 - got);
		if (r <= 0)
			break;
		got += (size_t)r;
		buf[got] = '\0';
		for (char *q = buf; (q = strstr(q, "tick ")); q++) {
			int v = atoi(q + 5);
			if (first < 0)
				first = v;
			last = v;
		}
		if (got > sizeof buf / 2) {
			got = 0;
			buf[0] = '\0';
		}
	}
	kill(f, SIGTERM);
	waitpid(f, NULL, 0);
	close(p[0]);
	cr_expect_geq(last, first + 10, "logs -f did not follow (first %d, last %d)", first, last);
	cr_expect_eq(hd_stop(&d), 0);
}

Test(logs, unfinished_line_crosses_a_reexec, .timeout = 60)
{
	/* Half a line before the re-exec, the rest after: one line in the log. */
	struct hd d;
	hd_init(&d);
	hd_unit(&d, "half.service",
		"[Service]\nExecStart=/bin/sh -c 'printf first-half; sleep 1; printf \" second-half\\\\n\"; "
		"exec sleep 1000'\n");
	hd_start(&d);
	cr_assert_eq(hd_wait_state(&d, "half.service", "running", 5000), 0);
	h_msleep(300);
	char out[1024];
	cr_assert_eq(hd_ctl(&d, out, sizeof out, "reexec", NULL), 0, "%s", out);
	static char all[8192];
	long long end = h_now_ms() + 5000;
	bool found = false;
	while (!found && h_now_ms() < end) {
		hd_ctl(&d, all, sizeof all, "logs", "half", NULL);
		found = strstr(all, " first-half second-half\n") != NULL;
		h_msleep(50);
	}
	cr_expect(found, "the line was split or lost across the re-exec:\n%s", all);
	cr_expect_eq(hd_stop(&d), 0);
}

Test(logs, file_created_at_first_line_and_kept_across_reexec, .timeout = 60)
{
	/* A service that has said nothing has no log file and costs the daemon
	 * no descriptor for one; its first line creates it; a re-exec hands
	 * the open file over (same file, same descriptor count). */
	struct hd d;
	hd_init(&d);
	char go[400], path[400];
	snprintf(go, sizeof go, "%s/go", d.dir);
	hd_unit(&d, "late.service",
		"[Service]\nExecStart=/bin/sh -c 'while [ ! -e %s ]; do sleep 0.05; done; echo first; "
		"while [ ! -e %s.2 ]; do sleep 0.05; done; echo second; exec sleep 1000'\n",
		go, go);
	hd_start(&d);
	cr_assert_eq(hd_wait_state(&d, "late.service", "running", 5000), 0);
	snprintf(path, sizeof path, "%s/logs/late.service.log", d.rt);
	cr_expect_neq(access(path, F_OK), 0, "a log file exists before the first line");
	char fds[8192];
	h_list_fds(d.pid, fds, sizeof fds);
	cr_expect(!strstr(fds, "late.service.log"), "the daemon holds a log file already:\n%s", fds);
	/* A re-exec before the first line keeps it that way. */
	char out[1024];
	int quiet = h_count_fds_settled(d.pid);
	cr_assert_eq(hd_ctl(&d, out, sizeof out, "reexec", NULL), 0, "%s", out);
	cr_expect_eq(h_count_fds_settled(d.pid), quiet, "a re-exec added descriptors to a silent service");
	cr_expect_neq(access(path, F_OK), 0, "the re-exec created the log file before the first line");
	h_list_fds(d.pid, fds, sizeof fds);
	cr_expect(!strstr(fds, "late.service.log"), "the re-exec opened the log file:\n%s", fds);

	FILE *f = fopen(go, "w");
	cr_assert(f);
	fclose(f);
	const char *text = h_wait_file(path, 5000); /* h_slurp's buffer: not ours to free */
	long long end = h_now_ms() + 5000;
	while ((!text || !strstr(text, " first\n")) && h_now_ms() < end) {
		h_msleep(20);
		text = h_wait_file(path, 100);
	}
	cr_expect(text && strstr(text, " first\n"), "first line not in %s: %s", path, text ? text : "(none)");
	int before = h_count_fds_settled(d.pid);
	cr_assert_eq(hd_ctl(&d, out, sizeof out, "reexec", NULL), 0, "%s", out);
	cr_expect_eq(h_count_fds_settled(d.pid), before);
	h_list_fds(d.pid, fds, sizeof fds);
	cr_expect(strstr(fds, "late.service.log"), "the log file was not handed over:\n%s", fds);

	char go2[420];
	snprintf(go2, sizeof go2, "%s.2", go);
	f = fopen(go2, "w");
	cr_assert(f);
	fclose(f);
	text = NULL;
	end = h_now_ms() + 5000;
	while ((!text || !strstr(text, " second\n")) && h_now_ms() < end) {
		h_msleep(20);
		text = h_wait_file(path, 100);
	}
	cr_expect(text && strstr(text, " first\n") && strstr(text, " second\n"), "log after the re-exec: %s",
		  text ? text : "(none)");
	cr_expect_eq(hd_stop(&d), 0);
}

/* ---- standard input (StandardInput=, StandardInputText=/Data=) ---- */

/* Read fd (a FIFO, a terminal's master side) until needle shows up (or
 * ms pass), keeping what came in acc. On a terminal's master, EIO only
 * means no slave is open right now. */
static bool wait_for_text(int fd, char *acc, size_t cap, const char *needle, int ms)
{
	size_t have = strlen(acc);
	for (int waited = 0; waited <= ms; waited += 20) {
		if (strstr(acc, needle))
			return true;
		struct pollfd pfd = { fd, POLLIN, 0 };
		if (poll(&pfd, 1, 20) == 1 && (pfd.revents & POLLIN)) {
			ssize_t n = read(fd, acc + have, cap - 1 - have);
			if (n > 0) {
				have += (size_t)n;
				acc[have] = '\0';
			}
		} else if (pfd.revents & (POLLHUP | POLLERR)) {
			h_msleep(20);
		}
	}
	return strstr(acc, needle) != NULL;
}

/* Data (to every process of the unit, each from its start), a file, a
 * Unix socket named as an output file, and a FIFO nobody reads, which
 * must fail the start rather than stall the daemon. */
Test(stdio, input_data_file_and_socket_outputs, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	char in[400], out[400], pre[400], fin[400], sock[400], fifo[400], buf[1024], reply[2048];
	snprintf(in, sizeof in, "%s/in.txt", d.dir);
	snprintf(out, sizeof out, "%s/data.out", d.dir);
	snprintf(pre, sizeof pre, "%s/pre.out", d.dir);
	snprintf(fin, sizeof fin, "%s/file.out", d.dir);
	snprintf(sock, sizeof sock, "%s/out.sock", d.dir);
	snprintf(fifo, sizeof fifo, "%s/fifo", d.dir);
	cr_assert_eq(h_write_file(in, "from a file\n"), 0);
	cr_assert_eq(mkfifo(fifo, 0600), 0);
	/* "c2Vjb25kCg==" is "second\n". */
	hd_unit(&d, "data.service",
		"[Service]\nType=oneshot\nStandardInputText=first \\x41\nStandardInputData=c2Vjb25kCg==\n"
		"ExecStartPre=/bin/sh -c 'cat > %s.tmp && mv %s.tmp %s'\n"
		"ExecStart=/bin/sh -c 'cat > %s.tmp && mv %s.tmp %s'\n",
		pre, pre, pre, out, out, out);
	hd_unit(&d, "file.service",
		"[Service]\nType=oneshot\nStandardInput=file:%s\nExecStart=/bin/sh -c 'cat > %s.tmp && mv %s.tmp %s'\n",
		in, fin, fin, fin);
	int ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock);
	cr_assert_eq(bind(ls, (struct sockaddr *)&sa, sizeof sa), 0);
	cr_assert_eq(listen(ls, 4), 0);
	hd_unit(&d, "tosock.service",
		"[Service]\nType=oneshot\nExecStart=/bin/echo through a socket\nStandardOutput=file:%s\n", sock);
	hd_unit(&d, "tofifo.service", "[Unit]\nConditionPathExists=%s/go\n[Service]\nType=oneshot\n"
		"ExecStart=/bin/echo lost\nStandardOutput=file:%s\n", d.dir, fifo);
	/* StandardOutput=fd:NAME: a FIFO the supervisor holds, by its name. */
	char named[400];
	snprintf(named, sizeof named, "%s/named.fifo", d.dir);
	hd_unit(&d, "named.socket", "[Socket]\nListenFIFO=%s\nFileDescriptorName=applog\n", named);
	hd_unit(&d, "named.service", "[Service]\nStandardOutput=fd:applog\nExecStartPre=/bin/echo pre-to-the-fifo\n"
		"ExecStart=/bin/sh -c 'echo to-the-fifo; exec sleep 1000'\n");
	hd_unit(&d, "nodir.service", "[Unit]\nConditionPathExists=%s/go\n[Service]\nStandardOutput=file:%s/no/such/x\n"
		"ExecStart=/bin/sleep 1000\n", d.dir, d.dir);
	hd_unit(&d, "unnamed.service", "[Unit]\nConditionPathExists=%s/go\n[Service]\nStandardOutput=fd:nosuch\n"
		"ExecStart=/bin/sleep 1000\n", d.dir);
	hd_start(&d);
	int daemon_fds = h_count_fds_settled(d.pid);

	const char *got = h_wait_file(out, 5000);
	cr_expect_str_eq(got ? got : "(none)", "first A\nsecond\n");
	got = h_wait_file(pre, 5000);
	cr_expect_str_eq(got ? got : "(none)", "first A\nsecond\n", "ExecStartPre= reads the same data from its start");
	got = h_wait_file(fin, 5000);
	cr_expect_str_eq(got ? got : "(none)", "from a file\n");

	struct pollfd pfd = { ls, POLLIN, 0 };
	cr_assert_eq(poll(&pfd, 1, 5000), 1, "no connection to the output socket");
	int c = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
	cr_assert_geq(c, 0);
	cr_expect_gt(h_read_all(c, buf, sizeof buf, 5000), 0);
	cr_expect_str_eq(buf, "through a socket\n");
	close(c);
	close(ls);

	char go[420];
	snprintf(go, sizeof go, "%s/go", d.dir);
	cr_assert_eq(h_write_file(go, ""), 0);
	cr_expect_neq(hd_ctl(&d, reply, sizeof reply, "start", "tofifo", NULL), 0, "a FIFO without a reader");
	cr_expect(strstr(reply, "file: ") && strstr(reply, "fifo"), "the error names the output: %s", reply);
	cr_expect_eq(hd_ctl(&d, reply, sizeof reply, "status", NULL), 0, "the daemon still answers");

	cr_expect_eq(hd_ctl(&d, reply, sizeof reply, "start", "named.service", NULL), 0, "%s", reply);
	int rf = open(named, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	cr_assert_geq(rf, 0);
	char got2[256] = "";
	wait_for_text(rf, got2, sizeof got2, "\nto-the-fifo\n", 5000);
	close(rf);
	cr_expect_str_eq(got2, "pre-to-the-fifo\nto-the-fifo\n");
	cr_expect_neq(hd_ctl(&d, reply, sizeof reply, "start", "unnamed", NULL), 0, "fd:nosuch: %s", reply);
	cr_expect(strstr(reply, "fd:nosuch: the service is passed no descriptor of that name"), "%s", reply);
	cr_expect_eq(hd_ctl(&d, reply, sizeof reply, "stop", "named.service", NULL), 0, "%s", reply);
	/* ENOENT is an error like any other (it once meant "the terminal"). */
	cr_expect_neq(hd_ctl(&d, reply, sizeof reply, "start", "nodir", NULL), 0, "a missing directory: %s", reply);
	cr_expect(strstr(reply, "No such file or directory"), "%s", reply);

	char list[4096];
	h_list_fds(d.pid, list, sizeof list);
	cr_expect_eq(h_count_fds_settled(d.pid), daemon_fds, "descriptors left behind:\n%s", list);
	cr_expect_eq(hd_stop(&d), 0);
}

static uid_t tty_owner(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? st.st_uid : (uid_t)-1;
}

/* StandardInput=tty on a pseudo-terminal: the main process gets it as its
 * controlling terminal (tty), after TTYVHangup= and TTYReset=; another
 * unit's tty-fail is refused, its tty waits (and can be stopped while it
 * waits), its tty-force takes it (with TTYVHangup=, which ends the session
 * that had it); ExecStartPre= reads /dev/null and writes to the terminal;
 * User= owns the terminal while it runs. */
Test(stdio, terminal, .timeout = 90)
{
	struct hd d;
	hd_init(&d);
	int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	cr_assert_geq(master, 0);
	cr_assert_eq(grantpt(master), 0);
	cr_assert_eq(unlockpt(master), 0);
	char pts[128], reply[2048], acc[8192] = "";
	snprintf(pts, sizeof pts, "%s", ptsname(master));
	struct passwd *nobody = getpwnam("nobody");
	cr_assert_not_null(nobody);
	uid_t nobody_uid = nobody->pw_uid;

	/* Started by hand only: each waits for its flag. */
#define TTY_UNIT "[Unit]\nConditionPathExists=%s/go\n[Service]\nTTYPath=%s\n"
	hd_unit(&d, "first.service", TTY_UNIT "StandardInput=tty\nTTYReset=yes\n"
		"ExecStart=/bin/sh -c 'if : </dev/tty; then echo first-ctty; fi; read l; echo got:$$l; exec sleep 1000'\n",
		d.dir, pts);
	hd_unit(&d, "fail.service", TTY_UNIT "StandardInput=tty-fail\nExecStart=/bin/sleep 1000\n", d.dir, pts);
	hd_unit(&d, "waiter.service", TTY_UNIT "StandardInput=tty\n"
		"ExecStartPre=/bin/sh -c '[ -t 0 ] || echo pre-reads-null'\n"
		"ExecStart=/bin/sh -c ': </dev/tty && echo waiter-ctty; exec sleep 1000'\n", d.dir, pts);
	hd_unit(&d, "thief.service", TTY_UNIT "StandardInput=tty-force\nUser=nobody\nTTYVHangup=yes\n"
		"ExecStart=/bin/sh -c ': </dev/tty && echo thief-ctty; exec sleep 1000'\n", d.dir, pts);
	hd_start(&d);
	int daemon_fds = h_count_fds_settled(d.pid);
	char go[420];
	snprintf(go, sizeof go, "%s/go", d.dir);
	cr_assert_eq(h_write_file(go, ""), 0);

	/* A terminal left in raw mode, held open by someone else. */
	int held = open(pts, O_RDWR | O_NOCTTY | O_CLOEXEC);
	cr_assert_geq(held, 0);
	struct termios t;
	cr_assert_eq(tcgetattr(held, &t), 0);
	t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	cr_assert_eq(tcsetattr(held, TCSANOW, &t), 0);

	cr_expect_eq(hd_ctl(&d, reply, sizeof reply, "start", "first", NULL), 0, "%s", reply);
	cr_expect(wait_for_text(master, acc, sizeof acc, "first-ctty", 5000), "not its controlling terminal: '%s'", acc);
	cr_assert_eq(tcgetattr(held, &t), 0);
	cr_expect((t.c_lflag & (ICANON | ECHO)) == (ICANON | ECHO), "TTYReset= left the terminal raw");
	cr_assert_eq(write(master, "hello\n", 6), 6);
	cr_expect(wait_for_text(master, acc, sizeof acc, "got:hello", 5000), "stdin is not the terminal: '%s'", acc);
	int pid = 0;
	char st[64];
	cr_assert_eq(hd_unit_info(&d, "first.service", st, sizeof st, &pid, NULL, NULL, 0), 0);
	cr_expect_eq(h_count_fds(pid), 3, "the service holds more than its stdio");

	cr_expect_neq(hd_ctl(&d, reply, sizeof reply, "start", "fail", NULL), 0, "tty-fail took a busy terminal");
	cr_expect(strstr(reply, "tty") && strstr(reply, "Operation not permitted"), "%s", reply);

	/* tty waits; a stop ends the wait at once. */
	cr_expect_eq(hd_ctl(&d, reply, sizeof reply, "start", "--no-block", "waiter", NULL), 0, "%s", reply);
	cr_expect(wait_for_text(master, acc, sizeof acc, "pre-reads-null", 5000), "ExecStartPre=: '%s'", acc);
	h_msleep(300);
	cr_expect(!strstr(acc, "waiter-ctty"), "waiter took a terminal another session controls");
	cr_expect_eq(hd_ctl(&d, reply, sizeof reply, "stop", "waiter", NULL), 0, "%s", reply);
	cr_expect_eq(hd_wait_state(&d, "waiter.service", "stopped", 3000), 0, "a waiting start did not stop");
	cr_expect_eq(hd_ctl(&d, reply, sizeof reply, "start", "--no-block", "waiter", NULL), 0, "%s", reply);
	h_msleep(300);
	cr_expect_eq(hd_ctl(&d, reply, sizeof reply, "stop", "first", NULL), 0, "%s", reply);
	cr_expect(wait_for_text(master, acc, sizeof acc, "waiter-ctty", 5000), "the waiter never got it: '%s'", acc);
	cr_expect_eq(hd_wait_state(&d, "waiter.service", "running", 3000), 0);

	cr_expect_eq(tty_owner(pts), 0);
	cr_expect_eq(hd_ctl(&d, reply, sizeof reply, "start", "thief", NULL), 0, "%s", reply);
	cr_expect(wait_for_text(master, acc, sizeof acc, "thief-ctty", 5000), "tty-force: '%s'", acc);
	cr_expect_lt(write(held, "x", 1), 0, "TTYVHangup= left an old descriptor working");
	close(held);
	/* The hangup ended the waiter's session, as it ends a login's. */
	cr_expect_eq(hd_wait_state(&d, "waiter.service", "stopped", 3000), 0);
	cr_expect_eq(tty_owner(pts), nobody_uid, "User= does not own its terminal");
	cr_expect_eq(hd_ctl(&d, reply, sizeof reply, "stop", "thief", NULL), 0, "%s", reply);
	cr_expect_eq(tty_owner(pts), 0, "the terminal was not given back");

	char list[4096];
	h_list_fds(d.pid, list, sizeof list);
	cr_expect_eq(h_count_fds_settled(d.pid), daemon_fds, "descriptors left behind:\n%s", list);
	cr_expect_eq(hd_stop(&d), 0);
	close(master);
}
