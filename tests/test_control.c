/*
 * test_control.c - the control socket against the real daemon: who may use
 * it, what hostile or broken clients cost (malformed frames, idle and
 * never-reading connections, a flood up to the client cap), and the
 * operator commands (kill, reset-failed, several units at once, --no-block,
 * the exit code of every error class). Every test checks that the daemon's
 * descriptors come back to their baseline.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "proto.h"

#define NOBODY 65534

/* ---- raw clients ---- */

static int raw_connect(struct hd *d)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s/control.sock", d->rt);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	cr_assert(fd >= 0);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0, "connect: %s", strerror(errno));
	/* Never block a test forever on a daemon that does not answer. */
	struct timeval tv = { .tv_sec = 5 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	return fd;
}

/* Receive one frame; returns its type, or -errno (-EPIPE: closed). */
static int raw_recv(int fd, struct proto_hdr *h, struct proto_buf *b)
{
	static uint8_t buf[PROTO_MAX_MSG];
	const uint8_t *payload;
	int fds[PROTO_MAX_FDS_PER_MSG];
	size_t nfds = 0;
	int r = proto_recv(fd, buf, h, &payload, fds, &nfds);
	if (r < 0)
		return r;
	proto_close_fds(fds, nfds);
	proto_buf_init_reader(b, payload, h->len);
	return h->type;
}

static void raw_hello(int fd)
{
	uint8_t out[64];
	struct proto_buf b;
	proto_buf_init_writer(&b, out, sizeof out);
	proto_put_u32(&b, PROTO_VERSION);
	proto_put_str(&b, "test");
	cr_assert_eq(proto_send(fd, PROTO_HELLO, 0, 1, b.data, b.len, NULL, 0), 0);
	struct proto_hdr h;
	cr_assert_eq(raw_recv(fd, &h, &b), PROTO_R_HELLO);
}

/* HELLO + STATUS (all units) on a fresh connection, every frame of the
 * answer read; returns the round trip in microseconds. */
static long status_round_trip_us(struct hd *d)
{
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int fd = raw_connect(d);
	raw_hello(fd);
	uint8_t out[16];
	struct proto_buf b;
	proto_buf_init_writer(&b, out, sizeof out);
	proto_put_u32(&b, 0);
	cr_assert_eq(proto_send(fd, PROTO_STATUS, 0, 2, b.data, b.len, NULL, 0), 0);
	struct proto_hdr h;
	do
		cr_assert_eq(raw_recv(fd, &h, &b), PROTO_R_STATUS);
	while (h.flags & PROTO_F_MORE);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	close(fd);
	return (t1.tv_sec - t0.tv_sec) * 1000000L + (t1.tv_nsec - t0.tv_nsec) / 1000;
}

/* Wait (bounded) until the daemon holds exactly `want` descriptors. */
static int fds_back_to(pid_t pid, int want, int ms)
{
	long long end = h_now_ms() + ms;
	int n;
	while ((n = h_count_fds(pid)) != want && h_now_ms() < end)
		h_msleep(20);
	return n;
}

/* Has the daemon closed fd (EOF or reset) within ms? Reads and drops
 * whatever frames come first. */
static bool closed_within(int fd, int ms)
{
	long long end = h_now_ms() + ms;
	static uint8_t buf[PROTO_MAX_MSG];
	while (h_now_ms() < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 50) <= 0)
			continue;
		ssize_t r = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
		if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
			return true;
	}
	return false;
}

/* Run supctl as uid/gid NOBODY; output (stdout+stderr) into out. */
static int ctl_as_nobody(struct hd *d, char *out, size_t outlen, const char *a1, const char *a2)
{
	int p[2];
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		if (setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 || setuid(NOBODY) < 0)
			_exit(126);
		execl(H_SUPCTL, "supctl", "-r", d->rt, a1, a2, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	size_t got = 0;
	ssize_t r;
	while (got + 1 < outlen && (r = read(p[0], out + got, outlen - 1 - got)) > 0)
		got += (size_t)r;
	out[got] = '\0';
	close(p[0]);
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* ---- access ---- */

Test(control, non_root_is_refused, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	hd_unit(&d, "x.service", "[Service]\nExecStart=/bin/sleep 1000\n");
	hd_start(&d);
	cr_assert_eq(hd_wait_state(&d, "x.service", "running", 5000), 0);
	int base = h_count_fds_settled(d.pid);
	char out[2048];

	/* As installed: the 0700 runtime directory keeps others out. */
	struct stat st;
	cr_assert_eq(stat(d.rt, &st), 0);
	cr_expect_eq(st.st_mode & 0777, 0700, "runtime dir mode %o", st.st_mode & 0777);
	char sock[400];
	snprintf(sock, sizeof sock, "%s/control.sock", d.rt);
	cr_assert_eq(stat(sock, &st), 0);
	cr_expect_eq(st.st_mode & 0777, 0600, "control.sock mode %o", st.st_mode & 0777);
	int rc = ctl_as_nobody(&d, out, sizeof out, "stop", "x");
	cr_expect_eq(rc, 3, "rc %d: %s", rc, out);
	cr_expect(strstr(out, "ermission denied"), "message: %s", out);

	/* Even if the path is opened up, SO_PEERCRED refuses: a clear message
	 * from the daemon, exit 3. */
	cr_assert_eq(chmod(d.dir, 0711), 0);
	cr_assert_eq(chmod(d.rt, 0711), 0);
	cr_assert_eq(chmod(sock, 0666), 0);
	rc = ctl_as_nobody(&d, out, sizeof out, "stop", "x");
	cr_expect_eq(rc, 3, "rc %d: %s", rc, out);
	cr_expect(strstr(out, "permission denied: only root or the daemon's user"), "message: %s", out);
	rc = ctl_as_nobody(&d, out, sizeof out, "status", NULL);
	cr_expect_eq(rc, 3, "rc %d: %s", rc, out);
	cr_expect(hd_log_has(&d, "refused uid 65534"), "no log line for the refusal");

	char state[64];
	cr_assert_eq(hd_unit_info(&d, "x.service", state, sizeof state, NULL, NULL, NULL, 0), 0);
	cr_expect_str_eq(state, "running", "a refused stop stopped the unit");
	cr_expect_eq(fds_back_to(d.pid, base, 3000), base);
	cr_expect_eq(hd_stop(&d), 0);
}

/* ---- hostile clients ---- */

/* Send one raw datagram: a header claiming (len, type, nfds) and `body`
 * bytes of payload, with `nattach` descriptors (of /dev/null) attached. */
static void send_raw(int fd, uint32_t len, uint16_t type, uint32_t id, uint32_t nfds, const void *body,
		     size_t bodylen, int nattach)
{
	uint8_t buf[PROTO_HDR_SIZE + 256];
	struct proto_hdr h = { .len = len, .type = type, .id = id, .nfds = nfds };
	proto_hdr_encode(&h, buf);
	if (bodylen > 256)
		bodylen = 256;
	if (bodylen)
		memcpy(buf + PROTO_HDR_SIZE, body, bodylen);
	struct iovec iov = { .iov_base = buf, .iov_len = PROTO_HDR_SIZE + bodylen };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int) * 4)];
	} cm;
	int nulls[4];
	if (nattach) {
		for (int i = 0; i < nattach; i++)
			nulls[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
		m.msg_control = cm.b;
		m.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nattach);
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nattach);
		memcpy(CMSG_DATA(c), nulls, sizeof(int) * (size_t)nattach);
	}
	sendmsg(fd, &m, MSG_NOSIGNAL); /* the daemon may have hung up already */
	for (int i = 0; i < nattach; i++)
		close(nulls[i]);
}

/* One of many kinds of bad input, chosen by k. Some need a HELLO first. */
static void one_bad_client(struct hd *d, int k)
{
	int fd = raw_connect(d);
	uint8_t p[128];
	struct proto_buf b;
	proto_buf_init_writer(&b, p, sizeof p);
	switch (k % 14) {
	case 0: /* shorter than a header */
		send(fd, "\x01\x02\x03", 3, MSG_NOSIGNAL);
		break;
	case 1: /* len larger than the datagram */
		send_raw(fd, 100, PROTO_HELLO, 1, 0, "abc", 3, 0);
		break;
	case 2: /* len beyond the maximum */
		send_raw(fd, PROTO_MAX_PAYLOAD + 1, PROTO_STATUS, 1, 0, NULL, 0, 0);
		break;
	case 3: /* nfds claimed, none attached */
		proto_put_u32(&b, 0);
		send_raw(fd, (uint32_t)b.len, PROTO_STATUS, 1, 3, b.data, b.len, 0);
		break;
	case 4: /* descriptors attached, none declared */
		proto_put_u32(&b, 0);
		send_raw(fd, (uint32_t)b.len, PROTO_STATUS, 1, 0, b.data, b.len, 2);
		break;
	case 5: /* a request before HELLO (answered, connection kept) */
		proto_put_u32(&b, 0);
		send_raw(fd, (uint32_t)b.len, PROTO_STATUS, 1, 0, b.data, b.len, 0);
		break;
	case 6: /* HELLO of another protocol version */
		proto_put_u32(&b, PROTO_VERSION + 7);
		proto_put_str(&b, "x");
		send_raw(fd, (uint32_t)b.len, PROTO_HELLO, 1, 0, b.data, b.len, 0);
		break;
	default: {
		raw_hello(fd);
		switch (k % 14) {
		case 7: /* unknown type */
			send_raw(fd, 0, (uint16_t)(0x7000 + k % 100), 2, 0, NULL, 0, 0);
			break;
		case 8: { /* a string with an embedded NUL */
			proto_put_u32(&b, 1);
			proto_put_bytes(&b, "ab\0c", 4);
			send_raw(fd, (uint32_t)b.len, PROTO_STATUS, 2, 0, b.data, b.len, 0);
			break;
		}
		case 9: /* truncated: string length beyond the payload */
			proto_put_u32(&b, 200);
			proto_put_u32(&b, 0);
			send_raw(fd, (uint32_t)b.len, PROTO_START, 2, 0, b.data, b.len, 0);
			break;
		case 10: /* trailing bytes */
			proto_put_str(&b, "x");
			proto_put_u32(&b, 15);
			proto_put_u32(&b, 99);
			send_raw(fd, (uint32_t)b.len, PROTO_KILL, 2, 0, b.data, b.len, 0);
			break;
		case 11: /* absurd values: huge signal, bad unit name */
			proto_put_str(&b, "../../etc/passwd");
			proto_put_u32(&b, 0xffffffffu);
			send_raw(fd, (uint32_t)b.len, PROTO_KILL, 2, 0, b.data, b.len, 0);
			break;
		case 12: /* a reply type sent as a request, fds attached */
			proto_put_str(&b, "");
			send_raw(fd, (uint32_t)b.len, PROTO_R_OK, 2, 1, b.data, b.len, 1);
			break;
		default: /* STATUS claiming 4 billion names */
			proto_put_u32(&b, 0xfffffff0u);
			send_raw(fd, (uint32_t)b.len, PROTO_STATUS, 2, 0, b.data, b.len, 0);
			break;
		}
	}
	}
	/* Half of them wait for what the daemon says; the others just go. */
	if (k % 2) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		poll(&pf, 1, 200);
	}
	close(fd);
}

Test(control, malformed_frames_and_idle_connections, .timeout = 120)
{
	unsetenv("SUPERVISORD_CLIENT_IDLE_MS");
	struct hd d;
	hd_init(&d);
	hd_unit(&d, "x.service", "[Service]\nExecStart=/bin/sleep 1000\n");
	hd_unit(&d, "y.service", "[Service]\nExecStart=/bin/sleep 1000\n");
	hd_start(&d);
	cr_assert_eq(hd_wait_state(&d, "x.service", "running", 5000), 0);
	int base = h_count_fds_settled(d.pid);

	enum { N_IDLE = 200, N_BAD = 1000 };
	static int idle[N_IDLE];
	for (int i = 0; i < N_IDLE; i++) {
		idle[i] = raw_connect(&d);
		if (i % 2)
			raw_hello(idle[i]); /* half said HELLO, half nothing at all */
	}
	for (int k = 0; k < N_BAD; k++)
		one_bad_client(&d, k);

	/* With the idle connections open, a real request is answered fast. */
	long worst = 0;
	for (int i = 0; i < 20; i++) {
		long us = status_round_trip_us(&d);
		if (us > worst)
			worst = us;
	}
	cr_log_info("HELLO+STATUS with %d idle connections: worst of 20 %ld us", N_IDLE, worst);
	cr_expect_lt(worst, 100000, "status took %ld us", worst);
	long long t0 = h_now_ms();
	char out[4096];
	int rc = hd_ctl(&d, out, sizeof out, "status", NULL);
	cr_log_info("supctl status: %lld ms", h_now_ms() - t0);
	cr_expect_eq(rc, 0, "rc %d: %s", rc, out);
	cr_expect(strstr(out, "x.service") && strstr(out, "running"), "status: %s", out);
	cr_expect(hd_log_has(&d, "invalid frame"), "malformed frames were not logged");
	cr_expect(h_alive(d.pid));

	/* The idle connections were kept (no timeout yet): 200 more fds. */
	cr_expect_eq(h_count_fds_settled(d.pid), base + N_IDLE);
	for (int i = 0; i < N_IDLE; i++)
		close(idle[i]);
	char fds[8192];
	int n = fds_back_to(d.pid, base, 5000);
	h_list_fds(d.pid, fds, sizeof fds);
	cr_expect_eq(n, base, "daemon fds %d, baseline %d:\n%s", n, base, fds);
	cr_expect_eq(hd_stop(&d), 0);
}

Test(control, never_reading_client_is_dropped, .timeout = 60)
{
	unsetenv("SUPERVISORD_CLIENT_IDLE_MS");
	struct hd d;
	hd_init(&d);
	/* Twenty units, so that each STATUS answer is a few kilobytes. */
	for (int i = 0; i < 20; i++) {
		char name[32];
		snprintf(name, sizeof name, "u%02d.service", i);
		hd_unit(&d, name, "[Unit]\nDescription=unit number %d of twenty\n[Service]\nExecStart=/bin/true\n", i);
	}
	hd_start(&d);
	int base = h_count_fds_settled(d.pid);

	int fd = raw_connect(&d);
	raw_hello(fd);
	uint8_t out[16];
	struct proto_buf b;
	proto_buf_init_writer(&b, out, sizeof out);
	proto_put_u32(&b, 0);
	/* Ask and ask, never read: the daemon must give up on us, not block. */
	int sent = 0;
	for (; sent < 1000; sent++)
		if (proto_send(fd, PROTO_STATUS, 0, (uint32_t)(10 + sent), b.data, b.len, NULL, 0) < 0)
			break;
	long us = status_round_trip_us(&d);
	cr_expect_lt(us, 100000, "status took %ld us while a client does not read", us);
	cr_expect(closed_within(fd, 5000), "the daemon kept a client that never reads (%d sent)", sent);
	close(fd);
	cr_expect(hd_log_has(&d, "does not read its replies"));
	cr_expect_eq(fds_back_to(d.pid, base, 3000), base);
	cr_expect_eq(hd_stop(&d), 0);
}

Test(control, connection_flood_is_refused_quickly, .timeout = 120)
{
	unsetenv("SUPERVISORD_CLIENT_IDLE_MS");
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < 1400 && rl.rlim_max >= 1400) {
		rl.rlim_cur = 1400;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	cr_assert_geq(rl.rlim_cur, 1400, "RLIMIT_NOFILE %llu too low for this test", (unsigned long long)rl.rlim_cur);
	struct hd d;
	hd_init(&d);
	hd_unit(&d, "x.service", "[Service]\nExecStart=/bin/sleep 1000\n");
	hd_start(&d);
	int base = h_count_fds_settled(d.pid);

	enum { N = 1100 };
	static int c[N];
	for (int i = 0; i < N; i++)
		c[i] = raw_connect(&d);
	/* The ones over the cap are told why and closed at once. */
	int refused = 0;
	h_msleep(300);
	for (int i = 0; i < N; i++) {
		struct pollfd p = { .fd = c[i], .events = POLLIN };
		if (poll(&p, 1, 0) <= 0)
			continue;
		struct proto_hdr h;
		struct proto_buf b;
		int32_t err;
		char msg[256];
		if (raw_recv(c[i], &h, &b) == PROTO_R_ERROR && proto_get_i32(&b, &err) == 0 &&
		    proto_get_str(&b, msg, sizeof msg) == 0 && err == -EUSERS)
			refused++;
	}
	cr_expect_geq(refused, N - 1024, "refused %d of %d", refused, N);
	char out[2048];
	long long t0 = h_now_ms();
	int rc = hd_ctl(&d, out, sizeof out, "status", NULL);
	cr_expect_eq(rc, 3, "at the cap: rc %d: %s", rc, out);
	cr_expect(strstr(out, "too many"), "message: %s", out);
	cr_expect_lt(h_now_ms() - t0, 2000);
	/* Refusals are logged, but not one line each. */
	int lines = hd_log_count(&d, "too many clients");
	cr_expect(lines >= 1 && lines <= 10, "%d log lines for refusals", lines);

	for (int i = 0; i < N; i++)
		close(c[i]);
	cr_expect_eq(fds_back_to(d.pid, base, 5000), base);
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "status", NULL), 0, "after the flood: %s", out);
	cr_expect_eq(hd_stop(&d), 0);
}

Test(control, idle_client_is_closed, .timeout = 60)
{
	setenv("SUPERVISORD_CLIENT_IDLE_MS", "300", 1);
	struct hd d;
	hd_init(&d);
	hd_unit(&d, "slow.service",
		"[Service]\nExecStart=/bin/sh -c 'trap \"\" TERM; while :; do sleep 0.05; done'\n"
		"TimeoutStopSec=1200ms\n");
	hd_start(&d);
	unsetenv("SUPERVISORD_CLIENT_IDLE_MS");
	cr_assert_eq(hd_wait_state(&d, "slow.service", "running", 5000), 0);
	int base = h_count_fds_settled(d.pid);

	/* Silent from the start, and silent after HELLO: both closed. */
	int a = raw_connect(&d);
	int b = raw_connect(&d);
	raw_hello(b);
	long long t0 = h_now_ms();
	cr_expect(closed_within(a, 3000), "a silent client was kept");
	cr_expect(closed_within(b, 3000), "an idle client was kept");
	long long took = h_now_ms() - t0;
	cr_expect_geq(took, 250, "closed too early (%lld ms)", took);
	close(a);
	close(b);

	/* A client waiting for a job is not idle: this stop takes ~1.2 s. */
	char out[1024];
	t0 = h_now_ms();
	int rc = hd_ctl(&d, out, sizeof out, "stop", "slow", NULL);
	cr_expect_eq(rc, 0, "rc %d: %s", rc, out);
	cr_expect_geq(h_now_ms() - t0, 1000);
	cr_expect_eq(fds_back_to(d.pid, base, 3000), base);
	cr_expect_eq(hd_stop(&d), 0);
}

/* ---- operator commands ---- */

static char *slurp(const char *path)
{
	static char buf[4096];
	FILE *f = fopen(path, "r");
	if (!f)
		return "";
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

Test(control, kill_sends_signals, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	char mark[400];
	snprintf(mark, sizeof mark, "%s/mark", d.dir);
	/* The group gets it: the shell and its sleep child. */
	hd_unit(&d, "trap.service",
		"[Service]\nExecStart=/bin/sh -c 'trap \"echo hup >> %s\" HUP; trap \"echo usr1 >> %s\" USR1; "
		"while :; do sleep 0.05; done'\n",
		mark, mark);
	hd_unit(&d, "idle.service", "[Service]\nExecStart=/bin/sleep 1000\n");
	hd_unit(&d, "off.service", "[Service]\nExecStart=/bin/sleep 1000\n");
	hd_unit(&d, "s.socket", "[Socket]\nListenStream=127.0.0.1:%d\n", h_free_port());
	hd_unit(&d, "s.service", "[Service]\nExecStart=/bin/sleep 1000\n");
	hd_start(&d);
	cr_assert_eq(hd_wait_state(&d, "trap.service", "running", 5000), 0);
	cr_assert_eq(hd_wait_state(&d, "idle.service", "running", 5000), 0);
	cr_assert_eq(hd_ctl(&d, NULL, 0, "stop", "off", NULL), 0);
	int base = h_count_fds_settled(d.pid);
	int pid;
	hd_unit_info(&d, "trap.service", NULL, 0, &pid, NULL, NULL, 0);

	char out[2048];
	int rc = hd_ctl(&d, out, sizeof out, "kill", "-s", "HUP", "trap", NULL);
	cr_expect_eq(rc, 0, "rc %d: %s", rc, out);
	rc = hd_ctl(&d, out, sizeof out, "kill", "--signal", "SIGUSR1", "trap.service", NULL);
	cr_expect_eq(rc, 0, "rc %d: %s", rc, out);
	long long end = h_now_ms() + 3000;
	while (h_now_ms() < end && !(strstr(slurp(mark), "hup") && strstr(slurp(mark), "usr1")))
		h_msleep(20);
	cr_expect(strstr(slurp(mark), "hup\n") && strstr(slurp(mark), "usr1\n"), "mark: %s", slurp(mark));
	char st[64];
	int pid2;
	cr_assert_eq(hd_unit_info(&d, "trap.service", st, sizeof st, &pid2, NULL, NULL, 0), 0);
	cr_expect_str_eq(st, "running");
	cr_expect_eq(pid2, pid, "a handled signal changed the main process");

	/* Several units, a number: SIGKILL is not a clean exit. */
	rc = hd_ctl(&d, out, sizeof out, "kill", "-s", "9", "trap", "idle", NULL);
	cr_expect_eq(rc, 0, "rc %d: %s", rc, out);
	cr_expect_eq(hd_wait_state(&d, "trap.service", "failed", 5000), 0);
	cr_expect_eq(hd_wait_state(&d, "idle.service", "failed", 5000), 0);
	cr_expect(!h_alive(pid));

	/* Error classes. */
	rc = hd_ctl(&d, out, sizeof out, "kill", "off", NULL);
	cr_expect_eq(rc, 1, "not running: rc %d: %s", rc, out);
	cr_expect(strstr(out, "off.service is not running"), "message: %s", out);
	rc = hd_ctl(&d, out, sizeof out, "kill", "s.socket", NULL);
	cr_expect_eq(rc, 1, "socket: rc %d: %s", rc, out);
	rc = hd_ctl(&d, out, sizeof out, "kill", "nosuch", "off", NULL);
	cr_expect_eq(rc, 4, "unknown unit wins: rc %d: %s", rc, out);
	cr_expect(strstr(out, "nosuch.service"), "message: %s", out);
	rc = hd_ctl(&d, out, sizeof out, "kill", "-s", "NOSUCHSIG", "off", NULL);
	cr_expect_eq(rc, 2, "bad signal: rc %d: %s", rc, out);
	rc = hd_ctl(&d, out, sizeof out, "kill", "-s", "0", "off", NULL);
	cr_expect_eq(rc, 2, "signal 0: rc %d: %s", rc, out);
	rc = hd_ctl(&d, out, sizeof out, "kill", NULL);
	cr_expect_eq(rc, 2, "no unit: rc %d: %s", rc, out);

	cr_expect_eq(fds_back_to(d.pid, base, 3000), base);
	cr_expect_eq(hd_stop(&d), 0);
}

Test(control, reset_failed, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	/* Hits its start limit: 3 starts in 10 s. */
	hd_unit(&d, "crashy.service",
		"[Service]\nType=exec\nExecStart=/bin/sh -c 'exit 3'\nRestart=always\nRestartSec=20ms\n"
		"[Unit]\nStartLimitBurst=3\nStartLimitIntervalSec=10s\n");
	hd_unit(&d, "once.service", "[Service]\nType=exec\nExecStart=/bin/sh -c 'exit 1'\n");
	hd_unit(&d, "ok.service", "[Service]\nExecStart=/bin/sleep 1000\n");
	hd_start(&d);
	cr_assert_eq(hd_wait_state(&d, "crashy.service", "failed", 5000), 0);
	cr_assert_eq(hd_wait_state(&d, "once.service", "failed", 5000), 0);
	cr_assert_eq(hd_wait_state(&d, "ok.service", "running", 5000), 0);
	int base = h_count_fds_settled(d.pid);
	char st[64], status[1024];
	int restarts = -1;
	cr_assert_eq(hd_unit_info(&d, "crashy.service", st, sizeof st, NULL, &restarts, status, sizeof status), 0);
	cr_expect_gt(restarts, 0);

	char out[2048];
	int rc = hd_ctl(&d, out, sizeof out, "reset-failed", "crashy", NULL);
	cr_expect_eq(rc, 0, "rc %d: %s", rc, out);
	cr_assert_eq(hd_unit_info(&d, "crashy.service", st, sizeof st, NULL, &restarts, status, sizeof status), 0);
	cr_expect_str_eq(st, "stopped");
	cr_expect_eq(restarts, 0);
	cr_expect_str_eq(status, "", "result kept: %s", status);
	cr_assert_eq(hd_unit_info(&d, "once.service", st, sizeof st, NULL, NULL, NULL, 0), 0);
	cr_expect_str_eq(st, "failed", "only the unit named is reset");

	/* The start-limit counter is clear: it gets its full burst again. */
	cr_expect_eq(hd_ctl(&d, NULL, 0, "start", "--no-block", "crashy", NULL), 0);
	cr_expect_eq(hd_wait_state(&d, "crashy.service", "failed", 5000), 0);
	cr_assert_eq(hd_unit_info(&d, "crashy.service", NULL, 0, NULL, &restarts, status, sizeof status), 0);
	cr_expect_geq(restarts, 2, "restarts after reset: %d (%s)", restarts, status);

	/* No unit: every failed one; a running one is untouched. */
	rc = hd_ctl(&d, out, sizeof out, "reset-failed", NULL);
	cr_expect_eq(rc, 0, "rc %d: %s", rc, out);
	cr_expect(strstr(out, "2 units reset"), "out: %s", out);
	cr_assert_eq(hd_unit_info(&d, "once.service", st, sizeof st, NULL, NULL, NULL, 0), 0);
	cr_expect_str_eq(st, "stopped");
	cr_assert_eq(hd_unit_info(&d, "ok.service", st, sizeof st, NULL, NULL, NULL, 0), 0);
	cr_expect_str_eq(st, "running");

	rc = hd_ctl(&d, out, sizeof out, "reset-failed", "ok", "nosuch", NULL);
	cr_expect_eq(rc, 4, "rc %d: %s", rc, out);
	rc = hd_ctl(&d, out, sizeof out, "reset-failed", "--bogus", NULL);
	cr_expect_eq(rc, 2, "rc %d: %s", rc, out);
	cr_expect_eq(fds_back_to(d.pid, base, 3000), base);
	cr_expect_eq(hd_stop(&d), 0);
}

Test(control, several_units_no_block_and_exit_codes, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	for (int i = 0; i < 12; i++) {
		char name[32];
		snprintf(name, sizeof name, "w%02d.service", i);
		hd_unit(&d, name, "[Service]\nType=exec\nExecStart=/bin/sleep 1000\n");
	}
	hd_unit(&d, "noexec.service", "[Service]\nType=exec\nExecStart=/nonexistent/bin\n");
	hd_unit(&d, "stubborn.service",
		"[Service]\nExecStart=/bin/sh -c 'trap \"\" TERM; while :; do sleep 0.05; done'\n"
		"TimeoutStopSec=1500ms\n");
	hd_start(&d);
	cr_assert_eq(hd_wait_state(&d, "stubborn.service", "running", 5000), 0);
	char out[8192];
	/* Twelve units at once (more than supctl keeps in flight). */
	int rc = hd_ctl(&d, out, sizeof out, "stop", "w00", "w01", "w02", "w03", "w04", "w05", "w06", "w07",
			"w08", "w09", "w10", "w11", NULL);
	cr_expect_eq(rc, 0, "rc %d: %s", rc, out);
	int base = h_count_fds_settled(d.pid);
	for (int i = 0; i < 12; i++) {
		char name[32], st[64];
		snprintf(name, sizeof name, "w%02d.service", i);
		cr_assert_eq(hd_unit_info(&d, name, st, sizeof st, NULL, NULL, NULL, 0), 0);
		cr_expect_str_eq(st, "stopped", "%s", name);
	}
	rc = hd_ctl(&d, out, sizeof out, "start", "w00", "w01", "w02", "w03", "w04", "w05", "w06", "w07", "w08",
		    "w09", "w10", "w11", NULL);
	cr_expect_eq(rc, 0, "rc %d: %s", rc, out);
	for (int i = 0; i < 12; i++) {
		char name[32], st[64];
		snprintf(name, sizeof name, "w%02d.service", i);
		cr_assert_eq(hd_unit_info(&d, name, st, sizeof st, NULL, NULL, NULL, 0), 0);
		cr_expect_str_eq(st, "running", "%s", name);
	}

	/* One failure among good ones: 1, each failure named, the rest run. */
	cr_expect_eq(hd_ctl(&d, NULL, 0, "stop", "w00", "w01", NULL), 0);
	rc = hd_ctl(&d, out, sizeof out, "start", "w00", "noexec", "w01", NULL);
	cr_expect_eq(rc, 1, "rc %d: %s", rc, out);
	cr_expect(strstr(out, "start noexec"), "message: %s", out);
	cr_expect_eq(hd_wait_state(&d, "w00.service", "running", 100), 0);
	cr_expect_eq(hd_wait_state(&d, "w01.service", "running", 100), 0);
	/* An unknown unit among them: 4. */
	rc = hd_ctl(&d, out, sizeof out, "restart", "w02", "nosuch", "noexec", NULL);
	cr_expect_eq(rc, 4, "rc %d: %s", rc, out);

	/* --no-block returns before the unit has settled. */
	long long t0 = h_now_ms();
	rc = hd_ctl(&d, out, sizeof out, "stop", "--no-block", "stubborn", NULL);
	long long took = h_now_ms() - t0;
	cr_expect_eq(rc, 0, "rc %d: %s", rc, out);
	cr_expect_lt(took, 1000, "--no-block waited %lld ms", took);
	char st[64];
	cr_assert_eq(hd_unit_info(&d, "stubborn.service", st, sizeof st, NULL, NULL, NULL, 0), 0);
	cr_expect_str_eq(st, "stopping");
	/* SIGKILL after TimeoutStopSec=: stopped or failed, but down. */
	long long end = h_now_ms() + 5000;
	do {
		h_msleep(50);
		cr_assert_eq(hd_unit_info(&d, "stubborn.service", st, sizeof st, NULL, NULL, NULL, 0), 0);
	} while (!strcmp(st, "stopping") && h_now_ms() < end);
	cr_expect(!strcmp(st, "stopped") || !strcmp(st, "failed"), "state %s", st);
	/* Without it, start waits for the failure and reports it. */
	rc = hd_ctl(&d, out, sizeof out, "start", "--no-block", "noexec", NULL);
	cr_expect_eq(rc, 0, "--no-block start of a broken unit: rc %d: %s", rc, out);

	/* Usage errors: 2. Cannot reach the daemon: 3. */
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "start", NULL), 2, "%s", out);
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "start", "--bogus", "w00", NULL), 2, "%s", out);
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "frobnicate", NULL), 2, "%s", out);
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "help", "nosuchcmd", NULL), 2, "%s", out);
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "help", "kill", NULL), 0, "%s", out);
	cr_expect(strstr(out, "--signal"), "help kill: %s", out);
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "restart", "--help", NULL), 0, "%s", out);
	cr_expect(strstr(out, "--no-block") && strstr(out, "--overlap"), "restart --help: %s", out);
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "--help", NULL), 0, "%s", out);
	cr_expect(strstr(out, "reset-failed") && strstr(out, "4  no such unit"), "--help: %s", out);
	char cmd[600];
	snprintf(cmd, sizeof cmd, "%s -r %s/nowhere status >/dev/null 2>&1", H_SUPCTL, d.dir);
	rc = system(cmd);
	cr_expect(WIFEXITED(rc) && WEXITSTATUS(rc) == 3, "no daemon: status 0x%x", rc);

	cr_expect_eq(fds_back_to(d.pid, base, 3000), base);
	cr_expect_eq(hd_stop(&d), 0);
}
