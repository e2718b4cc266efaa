/*
 * test_activation.c - on-demand start for every socket kind, Accept=yes,
 * socket units stopped and started, and bad input (floods, a service that
 * exits without accepting). Real daemon, real sockets, loopback only.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "harness.h"

#define DGRAMWORKER H_WORKERS "/dgramworker"
#define SDWORKER H_WORKERS "/sdworker"
#define CORRUPTOR H_WORKERS "/corruptor"

static bool file_has(const char *path, const char *needle, int ms)
{
	long long end = h_now_ms() + ms;
	do {
		FILE *f = fopen(path, "r");
		if (f) {
			char line[1024];
			while (fgets(line, sizeof line, f))
				if (strstr(line, needle)) {
					fclose(f);
					return true;
				}
			fclose(f);
		}
		h_msleep(10);
	} while (h_now_ms() < end);
	return false;
}

/* Does a status table list an instance (echo@N-...)? */
static bool has_instance(const char *out)
{
	for (const char *p = out; (p = strstr(p, "echo@")); p++)
		if (p[5] >= '0' && p[5] <= '9')
			return true;
	return false;
}

Test(activation, every_socket_kind_activates_on_first_message, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	int port = h_free_port();
	char report[400], dpath[400], spath[400], fpath[400];
	snprintf(report, sizeof report, "%s/report", d.dir);
	snprintf(dpath, sizeof dpath, "%s/d.sock", d.dir);
	snprintf(spath, sizeof spath, "%s/s.sock", d.dir);
	snprintf(fpath, sizeof fpath, "%s/fifo", d.dir);
	hd_unit(&d, "udp.socket", "[Socket]\nListenDatagram=127.0.0.1:%d\n", port);
	hd_unit(&d, "ud.socket", "[Socket]\nListenDatagram=%s\n", dpath);
	hd_unit(&d, "sp.socket", "[Socket]\nListenSequentialPacket=%s\n", spath);
	hd_unit(&d, "ff.socket", "[Socket]\nListenFIFO=%s\n", fpath);
	const char *svcs[] = { "udp", "ud", "sp", "ff" };
	for (int i = 0; i < 4; i++) {
		char name[64];
		snprintf(name, sizeof name, "%s.service", svcs[i]);
		hd_unit(&d, name, "[Service]\nExecStart=" DGRAMWORKER "\nEnvironment=REPORT=%s\n", report);
	}
	hd_start(&d);
	int daemon_fds = h_count_fds_settled(d.pid);
	char st[64];
	for (int i = 0; i < 4; i++) {
		char name[64];
		snprintf(name, sizeof name, "%s.service", svcs[i]);
		cr_assert_eq(hd_unit_info(&d, name, st, sizeof st, NULL, NULL, NULL, 0), 0);
		cr_expect_str_eq(st, "stopped", "%s runs before any message", name);
	}

	/* UDP */
	int u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	cr_assert_eq(sendto(u, "hello-udp", 9, 0, (struct sockaddr *)&sa, sizeof sa), 9);
	close(u);
	cr_expect(file_has(report, "udp hello-udp", 5000), "the first UDP datagram was not delivered");
	/* Unix datagram */
	int ud = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	snprintf(un.sun_path, sizeof un.sun_path, "%s", dpath);
	cr_assert_eq(sendto(ud, "hello-ud", 8, 0, (struct sockaddr *)&un, sizeof un), 8);
	close(ud);
	cr_expect(file_has(report, "unix-dgram hello-ud", 5000), "the first Unix datagram was not delivered");
	/* Sequential packet: also answered. */
	int sp = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	snprintf(un.sun_path, sizeof un.sun_path, "%s", spath);
	cr_assert_eq(connect(sp, (struct sockaddr *)&un, sizeof un), 0);
	cr_assert_eq(send(sp, "hello-sp", 8, 0), 8);
	char ans[128];
	cr_expect_gt(h_read_all(sp, ans, sizeof ans, 5000), 0);
	cr_expect(strstr(ans, "pid "), "seqpacket answer: %s", ans);
	close(sp);
	cr_expect(file_has(report, "seqpacket hello-sp", 5000));
	/* FIFO */
	int ff = open(fpath, O_WRONLY | O_CLOEXEC | O_NONBLOCK);
	cr_assert(ff >= 0, "open fifo: %s", strerror(errno));
	cr_assert_eq(write(ff, "hello-ff\n", 9), 9);
	close(ff);
	cr_expect(file_has(report, "fifo hello-ff", 5000), "the first FIFO write was not delivered");

	for (int i = 0; i < 4; i++) {
		char name[64];
		snprintf(name, sizeof name, "%s.service", svcs[i]);
		cr_expect_eq(hd_wait_state(&d, name, "running", 5000), 0, "%s did not start", name);
	}
	char fds[4096];
	h_list_fds(d.pid, fds, sizeof fds);
	cr_expect_eq(h_count_fds_settled(d.pid), daemon_fds, "daemon fds:\n%s", fds);
	cr_expect_eq(hd_stop(&d), 0);
}

Test(activation, accept_yes_inetd_one_process_per_connection, .timeout = 90)
{
	struct hd d;
	hd_init(&d);
	int port = h_free_port();
	hd_unit(&d, "echo.socket", "[Socket]\nListenStream=127.0.0.1:%d\nAccept=yes\nMaxConnections=64\n", port);
	/* Classic inetd: the connection is stdin and stdout. It names its pid
	 * and the peer, then echoes. */
	hd_unit(&d, "echo@.service",
		"[Service]\nStandardInput=socket\n"
		"ExecStart=/bin/sh -c 'echo \"pid $$$$ from $${REMOTE_ADDR}\"; exec cat'\n");
	hd_start(&d);
	int daemon_fds = h_count_fds_settled(d.pid);

	enum { N = 50 };
	int fds[N];
	for (int i = 0; i < N; i++) {
		fds[i] = h_connect_tcp(port);
		cr_assert_geq(fds[i], 0, "connect %d: %s", i, strerror(-fds[i]));
	}
	/* All 50 run at once, each visible in status. */
	char *out = malloc(1 << 20);
	long long end = h_now_ms() + 10000;
	int running = 0;
	while (h_now_ms() < end) {
		hd_ctl(&d, out, 1 << 20, "status", NULL);
		running = 0;
		for (char *p = out; (p = strstr(p, "echo@")); p++)
			if (strstr(p, "running") && strstr(p, "running") < strchr(p, '\n'))
				running++;
		if (running == N)
			break;
		h_msleep(50);
	}
	cr_expect_eq(running, N, "instances running: %d\n%s", running, out);
	int pids[N];
	for (int i = 0; i < N; i++) {
		char msg[64], ans[256];
		int m = snprintf(msg, sizeof msg, "hello %d\n", i);
		cr_assert_eq(write(fds[i], msg, (size_t)m), m);
		shutdown(fds[i], SHUT_WR);
		cr_assert_gt(h_read_all(fds[i], ans, sizeof ans, 5000), 0);
		cr_expect(strstr(ans, msg), "connection %d not echoed: %s", i, ans);
		cr_expect(strstr(ans, "from 127.0.0.1"), "REMOTE_ADDR missing: %s", ans);
		pids[i] = atoi(strstr(ans, "pid ") ? strstr(ans, "pid ") + 4 : "0");
		close(fds[i]);
		for (int k = 0; k < i; k++)
			cr_expect_neq(pids[k], pids[i], "connections %d and %d shared a process", k, i);
	}
	/* Instances are reaped and leave; the socket stays. */
	end = h_now_ms() + 10000;
	while (h_now_ms() < end) {
		hd_ctl(&d, out, 1 << 20, "status", NULL);
		if (!has_instance(out))
			break;
		h_msleep(50);
	}
	cr_expect(!has_instance(out), "instances left behind:\n%s", out);
	char st[64];
	cr_assert_eq(hd_unit_info(&d, "echo.socket", st, sizeof st, NULL, NULL, NULL, 0), 0);
	cr_expect_str_eq(st, "listening");
	char list[8192];
	h_list_fds(d.pid, list, sizeof list);
	cr_expect_eq(h_count_fds_settled(d.pid), daemon_fds, "daemon fds:\n%s", list);
	free(out);
	cr_expect_eq(hd_stop(&d), 0);
}

/* The instances of an Accept=yes template resolve %i, %n and the like to
 * their own names, as systemd's NAME@N-LOCAL-REMOTE.service; the others
 * (%p) stay the template's. */
Test(activation, accept_yes_instances_resolve_their_own_specifiers, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	int port = h_free_port();
	hd_unit(&d, "who.socket", "[Socket]\nListenStream=127.0.0.1:%d\nAccept=yes\n", port);
	hd_unit(&d, "who@.service",
		"[Service]\nStandardInput=socket\nEnvironment=INST=%%i\n"
		"ExecStart=/bin/sh -c 'echo \"i=%%i n=%%n p=%%p env=$${INST}.\"'\n");
	hd_start(&d);
	int daemon_fds = h_count_fds_settled(d.pid);
	for (int k = 0; k < 2; k++) {
		int fd = h_connect_tcp(port);
		cr_assert_geq(fd, 0);
		struct sockaddr_in me;
		socklen_t ml = sizeof me;
		cr_assert_eq(getsockname(fd, (struct sockaddr *)&me, &ml), 0);
		char inst[128], want[512], ans[512];
		snprintf(inst, sizeof inst, "%d-127.0.0.1:%d-127.0.0.1:%d", k, port, ntohs(me.sin_port));
		snprintf(want, sizeof want, "i=%s n=who@%s.service p=who env=%s.\n", inst, inst, inst);
		cr_assert_gt(h_read_all(fd, ans, sizeof ans, 5000), 0);
		cr_expect_str_eq(ans, want);
		close(fd);
	}
	char out[8192];
	long long end = h_now_ms() + 10000;
	do {
		hd_ctl(&d, out, sizeof out, "status", NULL);
		if (!strstr(out, "who@0-") && !strstr(out, "who@1-"))
			break;
		h_msleep(20);
	} while (h_now_ms() < end);
	cr_expect(!strstr(out, "who@0-") && !strstr(out, "who@1-"), "instances left behind:\n%s", out);
	cr_expect_eq(h_count_fds_settled(d.pid), daemon_fds);
	cr_expect_eq(hd_stop(&d), 0);
}

Test(activation, max_connections_refuses_the_excess, .timeout = 90)
{
	struct hd d;
	hd_init(&d);
	int port = h_free_port();
	hd_unit(&d, "lim.socket", "[Socket]\nListenStream=127.0.0.1:%d\nAccept=yes\nMaxConnections=5\n", port);
	hd_unit(&d, "lim@.service", "[Service]\nStandardInput=socket\nExecStart=/bin/sh -c 'echo up; exec cat'\n");
	hd_start(&d);
	int held[5];
	char ans[256];
	for (int i = 0; i < 5; i++) {
		held[i] = h_connect_tcp(port);
		cr_assert_geq(held[i], 0);
		cr_assert_gt(h_read_all(held[i], ans, 4, 5000), 0, "connection %d not served", i);
	}
	/* A flood beyond the limit: each is closed at once, nothing is served,
	 * and the daemon keeps answering. */
	for (int i = 0; i < 200; i++) {
		int fd = h_connect_tcp(port);
		if (fd < 0)
			continue;
		ssize_t n = h_read_all(fd, ans, sizeof ans, 2000);
		cr_expect_eq(n, 0, "excess connection %d was served: %s", i, ans);
		close(fd);
		if (n != 0)
			break;
	}
	long long t0 = h_now_ms();
	cr_expect_eq(hd_ctl(&d, NULL, 0, "status", NULL), 0);
	cr_expect_lt(h_now_ms() - t0, 2000);
	cr_expect(hd_log_has(&d, "MaxConnections=5 reached"));
	/* Room again once one is gone. */
	close(held[0]);
	long long end = h_now_ms() + 5000;
	bool served = false;
	while (!served && h_now_ms() < end) {
		int fd = h_connect_tcp(port);
		served = fd >= 0 && h_read_all(fd, ans, sizeof ans, 300) > 0;
		if (fd >= 0)
			close(fd);
	}
	cr_expect(served, "no connection served after one closed");
	for (int i = 1; i < 5; i++)
		close(held[i]);
	cr_expect_eq(hd_stop(&d), 0);
}

/* Clients that reconnect as soon as the processes that served them are
 * dead: a dead instance must not count against MaxConnections= just
 * because the daemon has not reaped it yet (an accept batch runs before
 * the loop reads SIGCHLD). */
Test(activation, max_connections_counts_live_processes_only, .timeout = 90)
{
	struct hd d;
	hd_init(&d);
	int port = h_free_port();
	hd_unit(&d, "seq.socket", "[Socket]\nListenStream=127.0.0.1:%d\nAccept=yes\nMaxConnections=2\n", port);
	hd_unit(&d, "seq@.service", "[Service]\nStandardInput=socket\nExecStart=/bin/sh -c 'echo $$$$'\n");
	hd_start(&d);
	int daemon_fds = h_count_fds_settled(d.pid);
	enum { N = 300, CONC = 2 };
	int refused = 0;
	for (int i = 0; i < N; i += CONC) {
		int fds[CONC];
		pid_t pids[CONC] = { 0 };
		char ans[64];
		for (int k = 0; k < CONC; k++)
			fds[k] = h_connect_tcp(port);
		for (int k = 0; k < CONC; k++) {
			cr_assert_geq(fds[k], 0);
			ssize_t n = h_read_all(fds[k], ans, sizeof ans - 1, 5000);
			if (n <= 0)
				refused++;
			else
				pids[k] = (pid_t)atoi(ans);
			close(fds[k]);
		}
		long long end = h_now_ms() + 5000;
		for (int k = 0; k < CONC; k++)
			while (pids[k] > 0 && h_alive(pids[k]) && h_now_ms() < end) /* dead: zombie or gone */
				h_msleep(1);
	}
	cr_expect_eq(refused, 0, "%d of %d connections refused; at most %d processes were alive at a time", refused, N,
		     CONC);
	cr_expect_eq(h_count_fds_settled(d.pid), daemon_fds);
	cr_expect_eq(hd_stop(&d), 0);
}

/* Socket activation starts the service as an operator's start would:
 * what it Requires= comes along, in After= order, while the client waits
 * in the backlog (systemd's activation job does the same). */
Test(activation, activation_pulls_requirements_in_order, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	int port = h_free_port();
	char marker[400];
	snprintf(marker, sizeof marker, "%s/dep-ready", d.dir);
	/* dep has a socket of its own, so nothing starts it at start-up. */
	hd_unit(&d, "dep.socket", "[Socket]\nListenStream=%s/dep.sock\n", d.dir);
	hd_unit(&d, "dep.service",
		"[Service]\nType=notify\nNotifyAccess=all\n"
		"ExecStart=/bin/sh -c 'sleep 0.3; touch %s; systemd-notify --ready; exec sleep 1000'\n", marker);
	hd_unit(&d, "web.socket", "[Socket]\nListenStream=127.0.0.1:%d\n", port);
	/* web refuses to run unless dep is ready first. */
	hd_unit(&d, "web.service",
		"[Unit]\nRequires=dep.service\nAfter=dep.service\n"
		"[Service]\nExecStart=/bin/sh -c 'test -e %s || exit 3; exec " SDWORKER "'\n", marker);
	hd_start(&d);
	char st[64];
	cr_assert_eq(hd_unit_info(&d, "dep.service", st, sizeof st, NULL, NULL, NULL, 0), 0);
	cr_expect_str_eq(st, "stopped", "dep started before any client");
	int daemon_fds = h_count_fds_settled(d.pid);

	char ans[1024];
	int r = h_http_get(port, ans, sizeof ans, 10000);
	cr_expect_gt(r, 0, "the first client was not served: %s", r < 0 ? strerror(-r) : "empty answer");
	cr_expect_eq(hd_wait_state(&d, "dep.service", "running", 5000), 0);
	cr_expect_eq(hd_wait_state(&d, "web.service", "running", 5000), 0);
	cr_expect(!hd_log_has(&d, "exited with status 3"), "web ran before dep was ready");
	cr_expect_eq(h_count_fds_settled(d.pid), daemon_fds);
	cr_expect_eq(hd_stop(&d), 0);
}

Test(activation, socket_stop_and_start, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	int port = h_free_port();
	hd_unit(&d, "web.socket", "[Socket]\nListenStream=127.0.0.1:%d\n", port);
	hd_unit(&d, "web.service", "[Service]\nExecStart=" SDWORKER "\n");
	hd_start(&d);
	char ans[512], out[1024];
	cr_assert_gt(h_http_get(port, ans, sizeof ans, 5000), 0);
	cr_assert_eq(hd_wait_state(&d, "web.service", "running", 5000), 0);
	int fds_running = h_count_fds_settled(d.pid);

	cr_assert_eq(hd_ctl(&d, out, sizeof out, "stop", "web.socket", NULL), 0, "%s", out);
	char st[64];
	cr_assert_eq(hd_unit_info(&d, "web.socket", st, sizeof st, NULL, NULL, NULL, 0), 0);
	cr_expect_str_eq(st, "stopped");
	cr_expect_eq(hd_wait_state(&d, "web.service", "stopped", 5000), 0, "the service was not stopped with its socket");
	int fd = h_connect_tcp(port);
	cr_expect_eq(fd, -ECONNREFUSED, "connect to a stopped socket: %d", fd);
	if (fd >= 0)
		close(fd);

	cr_assert_eq(hd_ctl(&d, out, sizeof out, "start", "web.socket", NULL), 0, "%s", out);
	cr_assert_eq(hd_unit_info(&d, "web.socket", st, sizeof st, NULL, NULL, NULL, 0), 0);
	cr_expect_str_eq(st, "listening");
	cr_expect_gt(h_http_get(port, ans, sizeof ans, 5000), 0, "not activated after the socket started again");
	cr_expect_eq(hd_wait_state(&d, "web.service", "running", 5000), 0);
	h_msleep(100);
	cr_expect_eq(h_count_fds_settled(d.pid), fds_running);
	cr_expect_eq(hd_stop(&d), 0);
}

Test(activation, service_that_never_accepts_does_not_spin, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	int port = h_free_port();
	hd_unit(&d, "bad.socket", "[Socket]\nListenStream=127.0.0.1:%d\n", port);
	/* Exits at once, leaving the connection pending. */
	hd_unit(&d, "bad.service", "[Service]\nExecStart=/bin/true\n");
	hd_start(&d);
	int fd = h_connect_tcp(port);
	cr_assert_geq(fd, 0);
	cr_expect_eq(hd_wait_state(&d, "bad.service", "failed", 10000), 0, "it keeps being started");
	char st[64], status[1024];
	hd_unit_info(&d, "bad.service", st, sizeof st, NULL, NULL, status, sizeof status);
	cr_expect(strstr(status, "too quickly"), "status: %s", status);
	/* And stays failed: the pending client no longer triggers it. */
	h_msleep(500);
	cr_assert_eq(hd_unit_info(&d, "bad.service", st, sizeof st, NULL, NULL, NULL, 0), 0);
	cr_expect_str_eq(st, "failed");
	long long t0 = h_now_ms();
	cr_expect_eq(hd_ctl(&d, NULL, 0, "status", NULL), 0);
	cr_expect_lt(h_now_ms() - t0, 2000);
	close(fd);
	cr_expect_eq(hd_stop(&d), 0);
}

/* Socket options set on the listener as systemd sets them, read back by
 * the service from its fd 3 (buffers doubled by the kernel, as getsockopt
 * reports them; SO_*BUFFORCE past the kernel's maximum, as root;
 * PassSecurity= only where the kernel has it, AF_UNIX; IPTOS= after
 * Priority=, so the kernel's priority for low-delay, 6, wins, as under
 * systemd, which sets them in the same order); a bad
 * one (an unknown congestion algorithm) fails that socket alone, naming it.
 * Symlinks= point at the one path in the file system while the socket
 * listens, and go with it. */
Test(activation, socket_options_and_symlinks, .timeout = 60)
{
	if (geteuid() != 0)
		cr_skip_test("needs root (SO_MARK, IP_TRANSPARENT, SO_RCVBUFFORCE)");
	struct hd d;
	hd_init(&d);
	char rep[400], out[1024], sock[400], link1[400], link2[400];
	int port = h_free_port(), port2 = h_free_port();
	snprintf(rep, sizeof rep, "%s/opts", d.dir);
	snprintf(sock, sizeof sock, "%s/app.sock", d.dir);
	snprintf(link1, sizeof link1, "%s/alias1.sock", d.dir);
	snprintf(link2, sizeof link2, "%s/alias2.sock", d.dir);
	hd_unit(&d, "opts.socket",
		"[Socket]\nListenStream=127.0.0.1:%d\nReceiveBuffer=8M\nSendBuffer=64K\nPriority=4\nMark=7\n"
		"Broadcast=yes\nPassSecurity=yes\nPassPacketInfo=yes\nTimestamping=ns\nDeferAcceptSec=3\n"
		"KeepAliveTimeSec=100\nKeepAliveIntervalSec=20\nKeepAliveProbes=5\nTransparent=yes\n"
		"IPTOS=low-delay\nIPTTL=42\nTCPCongestion=reno\nBindToDevice=lo\n",
		port);
	hd_unit(&d, "opts.service", "[Service]\nExecStart=" H_WORKERS "/sysprobe %s sockopts\n", rep);
	char rep2[400], rep3[400], fifo[400];
	snprintf(rep2, sizeof rep2, "%s/prio", d.dir);
	snprintf(rep3, sizeof rep3, "%s/pipe", d.dir);
	snprintf(fifo, sizeof fifo, "%s/app.fifo", d.dir);
	hd_unit(&d, "prio.socket", "[Socket]\nListenStream=127.0.0.1:%d\nPriority=4\n", h_free_port());
	hd_unit(&d, "prio.service", "[Service]\nExecStart=" H_WORKERS "/sysprobe %s sockopts\n[Install]\nWantedBy=multi-user.target\n", rep2);
	hd_unit(&d, "pipe.socket", "[Socket]\nListenFIFO=%s\nPipeSize=1M\n", fifo);
	hd_unit(&d, "pipe.service", "[Service]\nExecStart=" H_WORKERS "/sysprobe %s sockopts\n[Install]\nWantedBy=multi-user.target\n", rep3);
	hd_unit(&d, "badcc.socket", "[Socket]\nListenStream=127.0.0.1:%d\nTCPCongestion=no-such-algorithm\n", port2);
	hd_unit(&d, "badcc.service", "[Service]\nExecStart=/bin/sleep 1000\n");
	hd_unit(&d, "unix.socket", "[Socket]\nListenStream=%s\nSymlinks=%s %s\n", sock, link1, link2);
	hd_unit(&d, "unix.service", "[Service]\nExecStart=/bin/sleep 1000\n");
	hd_start(&d);
	char *p = h_wait_file(rep2, 5000);
	cr_expect(p && strstr(p, " prio=4 "), "Priority= alone: %s", p ? p : "(no report)");
	p = h_wait_file(rep3, 5000);
	cr_expect(p && strstr(p, " pipe=1048576"), "PipeSize=: %s", p ? p : "(no report)");
	char st[64], status[1024];
	cr_assert_eq(hd_unit_info(&d, "opts.socket", st, sizeof st, NULL, NULL, status, sizeof status), 0);
	cr_expect_str_eq(st, "listening", "%s", status);
	/* Data with the connection: DeferAcceptSec= wakes the listener only then. */
	int c = h_connect_tcp(port);
	cr_assert_geq(c, 0);
	cr_assert_eq(write(c, "x", 1), 1);
	char *t = h_wait_file(rep, 5000);
	close(c);
	cr_expect(t && !strcmp(t, "rcvbuf=16777216 sndbuf=131072 prio=6 mark=7 bcast=1 passsec=-1 pktinfo=1 tsns=1 "
				  "defer=3 idle=100 intvl=20 cnt=5 transparent=1 tos=16 ttl=42 cc=reno dev=lo pipe=-1\n"),
		  "the service's fd 3: %s", t ? t : "(no report)");
	/* An option the kernel refuses is a warning, as in systemd: the
	 * socket listens without it. */
	cr_assert_eq(hd_unit_info(&d, "badcc.socket", st, sizeof st, NULL, NULL, status, sizeof status), 0);
	cr_expect_str_eq(st, "listening", "%s", status);
	cr_expect(hd_log_has(&d, "badcc.socket: TCPCongestion=no-such-algorithm 127.0.0.1:"), "no warning");
	c = h_connect_tcp(port2);
	cr_expect_geq(c, 0, "badcc.socket does not take connections");
	if (c >= 0)
		close(c);
	char buf[400];
	ssize_t n = readlink(link1, buf, sizeof buf - 1);
	cr_expect(n > 0 && (buf[n] = '\0', !strcmp(buf, sock)), "%s -> %s", link1, n > 0 ? buf : "(none)");
	n = readlink(link2, buf, sizeof buf - 1);
	cr_expect(n > 0 && (buf[n] = '\0', !strcmp(buf, sock)), "%s -> %s", link2, n > 0 ? buf : "(none)");
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "stop", "unix.socket", NULL), 0, "%s", out);
	struct stat sb;
	cr_expect_neq(lstat(link1, &sb), 0, "a link outlived its socket");
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "start", "unix.socket", NULL), 0, "%s", out);
	cr_expect_eq(lstat(link2, &sb), 0, "the links come back with it");
	int fds = h_count_fds_settled(d.pid);
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "restart", "opts", NULL), 0, "%s", out);
	cr_expect_eq(h_count_fds_settled(d.pid), fds, "a restart left descriptors behind");
	cr_expect_eq(hd_stop(&d), 0);
}

/* Wait for a report file naming a pid other than old (0: any); free() it. */
static char *wait_report(const char *path, int old, int ms)
{
	long long end = h_now_ms() + ms;
	do {
		char *r = h_slurp(path); /* a static buffer */
		const char *p = r ? strstr(r, "pid=") : NULL;
		if (p && atoi(p + 4) != old)
			return strdup(r);
		h_msleep(20);
	} while (h_now_ms() < end);
	return NULL;
}

Test(activation, special_netlink_and_message_queue_listeners, .timeout = 90)
{
	struct hd d;
	hd_init(&d);
	char rep[400], nbrep[400], fifo[400], sock[400], nbfifo[400], nbsock[400], mq[64];
	snprintf(rep, sizeof rep, "%s/k.report", d.dir);
	snprintf(nbrep, sizeof nbrep, "%s/nb.report", d.dir);
	snprintf(fifo, sizeof fifo, "%s/k.fifo", d.dir);
	snprintf(sock, sizeof sock, "%s/k.sock", d.dir);
	snprintf(nbfifo, sizeof nbfifo, "%s/nb.fifo", d.dir);
	snprintf(nbsock, sizeof nbsock, "%s/nb.sock", d.dir);
	snprintf(mq, sizeof mq, "/%s", strrchr(d.dir, '/') + 1); /* unique: the test's directory */
	/* /dev/random is always readable: the socket activates its
	 * service at once, through the special file. */
	hd_unit(&d, "k.socket",
		"[Socket]\nListenSpecial=/dev/random\nListenNetlink=route 1\nListenMessageQueue=%s\n"
		"MessageQueueMaxMessages=4\nMessageQueueMessageSize=64\nSocketMode=0600\n"
		"ListenFIFO=%s\nListenStream=%s\nRemoveOnStop=yes\n",
		mq, fifo, sock);
	hd_unit(&d, "k.service", "[Service]\nExecStart=" SDWORKER "\nEnvironment=REPORT=%s\n", rep);
	int uport = h_free_port();
	hd_unit(&d, "nb.socket", "[Socket]\nListenStream=%s\nListenFIFO=%s\nListenDatagram=127.0.0.1:%d\n"
		"SocketProtocol=udplite\n", nbsock, nbfifo, uport);
	hd_unit(&d, "nb.service", "[Service]\nExecStart=" SDWORKER "\nEnvironment=REPORT=%s\nNonBlocking=yes\n",
		nbrep);
	setenv("REAL_DAEMON", H_DAEMON, 1); /* for the corruptor, below */
	setenv("CORRUPT_MODE", "flip", 1);
	hd_start(&d);

	char *r = wait_report(rep, 0, 10000);
	cr_assert(r, "k.service was not activated by its special file; log:\n%s", h_slurp(d.log));
	cr_expect(strstr(r, "n=5\n"), "%s", r);
	cr_expect(strstr(r, "fd3=k.socket:special\n"), "%s", r);
	cr_expect(strstr(r, "fd4=k.socket:netlink\n"), "%s", r);
	cr_expect(strstr(r, "fd5=k.socket:mqueue\n"), "%s", r);
	cr_expect(strstr(r, "fd6=k.socket:fifo\n"), "%s", r);
	cr_expect(strstr(r, "fd7=k.socket:unix-stream\n"), "%s", r);
	/* NonBlocking=no (the default): every one of them blocking, the
	 * FIFO, file and queue the daemon opened non-blocking included. */
	cr_expect(strstr(r, "nb3=0\nnb4=0\nnb5=0\nnb6=0\nnb7=0\n"), "%s", r);
	cr_expect(strstr(r, "open=0,1,2,3,4,5,6,7,\n"), "descriptors beyond 0-7:\n%s", r);
	int kpid = atoi(strstr(r, "pid=") + 4);
	free(r);

	/* The queue: SocketMode= and the two sizes, and it takes messages. */
	mqd_t q = mq_open(mq, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	cr_assert(q != (mqd_t)-1, "mq_open %s: %s", mq, strerror(errno));
	struct mq_attr at;
	cr_expect_eq(mq_getattr(q, &at), 0);
	cr_expect_eq(at.mq_maxmsg, 4);
	cr_expect_eq(at.mq_msgsize, 64);
	struct stat st;
	cr_expect_eq(fstat((int)q, &st), 0);
	cr_expect_eq(st.st_mode & 0777, 0600, "mode %o", (unsigned)(st.st_mode & 0777));
	cr_expect_eq(mq_send(q, "hello", 5, 0), 0, "mq_send: %s", strerror(errno));
	mq_close(q);

	/* NonBlocking=yes: set on every socket-activation fd. */
	char ans[256], out[4096];
	cr_expect_gt(h_unix_get(nbsock, ans, sizeof ans, 5000), 0);
	r = wait_report(nbrep, 0, 5000);
	cr_assert(r, "nb.service did not start");
	cr_expect(strstr(r, "fd3=nb.socket:unix-stream\nfd4=nb.socket:fifo\nfd5=nb.socket:dgram\n"), "%s", r);
	cr_expect(strstr(r, "nb3=1\nnb4=1\nnb5=1\n"), "%s", r);
	free(r);
	/* SocketProtocol=udplite: the datagram socket is UDP-Lite. */
	char want[64];
	snprintf(want, sizeof want, "127.0.0.1:%d\n", uport);
	cr_assert_eq(hd_ctl(&d, out, sizeof out, "fds", "nb.socket", NULL), 0, "%s", out);
	const char *row = strstr(out, want), *bol = row;
	while (bol && bol > out && bol[-1] != '\n')
		bol--;
	cr_expect(row && strstr(bol, " udplite ") && strstr(bol, " udplite ") < row, "no udplite row for %s in:\n%s",
		  want, out);

	cr_assert_eq(hd_ctl(&d, out, sizeof out, "fds", "k.socket", NULL), 0, "%s", out);
	cr_expect(strstr(out, "netlink route 1"), "%s", out);
	cr_expect(strstr(out, " mqueue ") && strstr(out, mq), "%s", out);
	cr_expect(strstr(out, "/dev/random"), "%s", out);

	/* Across a re-exec the five descriptors are kept, and checked before
	 * they are watched again: stopping the service re-arms the socket,
	 * and the special file starts it again. */
	int daemon_fds = h_count_fds_settled(d.pid);
	cr_assert_eq(hd_ctl(&d, out, sizeof out, "reexec", NULL), 0, "%s", out);
	cr_expect_eq(h_count_fds_settled(d.pid), daemon_fds);
	cr_assert_eq(hd_ctl(&d, out, sizeof out, "stop", "k.service", NULL), 0, "%s", out);
	r = wait_report(rep, kpid, 10000);
	cr_assert(r, "k.service was not activated again after the re-exec; log:\n%s", h_slurp(d.log));
	cr_expect(strstr(r, "fd3=k.socket:special\nfd4=k.socket:netlink\nfd5=k.socket:mqueue\n"), "%s", r);
	cr_expect(strstr(r, "open=0,1,2,3,4,5,6,7,\n"), "%s", r);
	free(r);
	cr_expect(!hd_log_has(&d, "not watched"), "a descriptor was refused after the re-exec");
	cr_expect(!hd_log_has(&d, "rescue"), "the re-exec went to rescue mode:\n%s", h_slurp(d.log));
	cr_expect_eq(h_count_fds_settled(d.pid), daemon_fds);

	/* A state the new image cannot use: rescue mode finds each of the
	 * five among the descriptors it inherited (netlink by protocol and
	 * groups, the queue by its name, the special file by its inode). */
	hd_ctl(&d, out, sizeof out, "reexec", "--binary", CORRUPTOR, NULL); /* the client may be cut off */
	long long end = h_now_ms() + 10000;
	while (h_now_ms() < end && !hd_log_has(&d, "rescue: closed") && !hd_log_has(&d, "rescue: k.service: adopted"))
		h_msleep(20);
	cr_assert(hd_log_wait(&d, "running, 4 units", 10000));
	cr_expect_eq(hd_log_count(&d, "rescue: k.socket: adopted fd"), 5, "log:\n%s", h_slurp(d.log));
	cr_expect(!hd_log_has(&d, "(/dev/random): nothing claims it"), "log:\n%s", h_slurp(d.log));
	cr_expect_eq(h_count_fds_settled(d.pid), daemon_fds);

	/* RemoveOnStop=yes: the queue goes with the daemon's socket. */
	cr_expect_eq(hd_stop(&d), 0);
	q = mq_open(mq, O_RDONLY | O_CLOEXEC);
	cr_expect(q == (mqd_t)-1 && errno == ENOENT, "the queue outlived its socket");
	if (q != (mqd_t)-1) {
		mq_close(q);
		mq_unlink(mq);
	}
}
