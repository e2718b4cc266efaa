/*
 * test_proto.c - proto/: cursor round trips, record codecs, malformed
 * frames (pure decoder and over a real SOCK_SEQPACKET pair), and fd
 * passing including the error paths that must close received fds.
 *
 * Every test compares the number of open fds at its end with its start:
 * the framing layer's main promise is that no path leaks a descriptor.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "proto.h"

/* ---- helpers ------------------------------------------------------------ */

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the DIR's own fd */
}

#define FD_BEGIN() int fd_count_at_start = count_fds()
#define FD_END() cr_assert_eq(count_fds(), fd_count_at_start, "fd leak: %d at start, %d now", \
			      fd_count_at_start, count_fds())

static void seqpair(int sv[2])
{
	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
}

/* Send raw bytes plus fds, bypassing proto_send, to forge bad frames. */
static void raw_send(int sock, const void *p, size_t n, const int *fds, size_t nfds)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(PROTO_MAX_FDS_PER_MSG * sizeof(int))];
	} cbuf;
	struct iovec iov = { .iov_base = (void *)p, .iov_len = n };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (nfds) {
		memset(&cbuf, 0, sizeof cbuf);
		msg.msg_control = cbuf.buf;
		msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	}
	cr_assert_eq(sendmsg(sock, &msg, MSG_NOSIGNAL), (ssize_t)n, "sendmsg: %s", strerror(errno));
}

/* Build a header + payload datagram into out; returns its size. */
static size_t forge(uint8_t *out, uint32_t len, uint32_t nfds, const void *payload, size_t plen)
{
	struct proto_hdr h = { .len = len, .type = PROTO_STATUS, .id = 7, .nfds = nfds };

	proto_hdr_encode(&h, out);
	if (plen)
		memcpy(out + PROTO_HDR_SIZE, payload, plen);
	return PROTO_HDR_SIZE + plen;
}

static int make_memfd(void)
{
	int fd = memfd_create("proto-test", MFD_CLOEXEC);

	cr_assert_geq(fd, 0);
	return fd;
}

/* ---- cursor ------------------------------------------------------------- */

Test(proto, primitives_round_trip, .timeout = 10)
{
	FD_BEGIN();
	uint8_t mem[256];
	struct proto_buf w, r;
	uint32_t u32;
	int32_t i32;
	uint64_t u64;
	char s[64];

	/* Start at an odd offset so every field is misaligned: memcpy, not casts. */
	proto_buf_init_writer(&w, mem + 1, sizeof mem - 1);
	proto_put_u32(&w, 0xdeadbeefu);
	proto_put_i32(&w, -ENOENT);
	proto_put_u64(&w, 0x0123456789abcdefull);
	proto_put_str(&w, "hello");
	proto_put_str(&w, NULL);
	proto_put_str(&w, "");
	proto_put_bytes(&w, "abc", 3);
	proto_put_u32(&w, 0);
	cr_assert_eq(w.err, 0);
	cr_assert_eq(w.len, 4 + 4 + 8 + (4 + 5) + 4 + 4 + (4 + 3) + 4);

	proto_buf_init_reader(&r, mem + 1, w.len);
	cr_assert_eq(proto_get_u32(&r, &u32), 0);
	cr_assert_eq(u32, 0xdeadbeefu);
	cr_assert_eq(proto_get_i32(&r, &i32), 0);
	cr_assert_eq(i32, -ENOENT);
	cr_assert_eq(proto_get_u64(&r, &u64), 0);
	cr_assert_eq(u64, 0x0123456789abcdefull);
	cr_assert_eq(proto_get_str(&r, s, sizeof s), 0);
	cr_assert_str_eq(s, "hello");
	cr_assert_eq(proto_get_str(&r, s, sizeof s), 0);
	cr_assert_str_eq(s, "");
	cr_assert_eq(proto_get_str(&r, s, sizeof s), 0);
	cr_assert_str_eq(s, "");
	cr_assert_eq(proto_get_str(&r, s, sizeof s), 0);
	cr_assert_str_eq(s, "abc");
	cr_assert_eq(proto_get_end(&r), -EBADMSG, "a u32 is still unread");
	cr_assert_eq(proto_get_u32(&r, &u32), 0);
	cr_assert_eq(proto_get_end(&r), 0);
	FD_END();
}

Test(proto, max_string_round_trip, .timeout = 10)
{
	FD_BEGIN();
	static char big[PROTO_MAX_STR + 2], out[PROTO_MAX_STR + 1];
	static uint8_t mem[2 * PROTO_MAX_STR];
	struct proto_buf w, r;

	memset(big, 'x', PROTO_MAX_STR);
	proto_buf_init_writer(&w, mem, sizeof mem);
	proto_put_str(&w, big);
	cr_assert_eq(w.err, 0);
	proto_buf_init_reader(&r, mem, w.len);
	cr_assert_eq(proto_get_str(&r, out, sizeof out), 0);
	cr_assert_eq(strlen(out), PROTO_MAX_STR);
	cr_assert_eq(proto_get_end(&r), 0);

	/* A declared length over PROTO_MAX_STR is refused even when the
	 * bytes are all there and the output buffer is big enough. */
	static char huge[PROTO_MAX_STR + 2];
	uint32_t over = PROTO_MAX_STR + 1;
	memcpy(mem, &over, 4);
	memset(mem + 4, 'y', over);
	proto_buf_init_reader(&r, mem, 4 + over);
	cr_assert_eq(proto_get_str(&r, huge, sizeof huge), -EBADMSG);

	/* One byte over: the writer refuses rather than emit a bad frame. */
	big[PROTO_MAX_STR] = 'x';
	proto_buf_init_writer(&w, mem, sizeof mem);
	proto_put_str(&w, big);
	cr_assert_eq(w.err, -EMSGSIZE);
	cr_assert_eq(w.len, 0);
	FD_END();
}

Test(proto, writer_overflow_is_sticky, .timeout = 10)
{
	FD_BEGIN();
	uint8_t mem[10];
	struct proto_buf w;

	proto_buf_init_writer(&w, mem, sizeof mem);
	proto_put_u64(&w, 1);
	cr_assert_eq(w.err, 0);
	proto_put_u32(&w, 2);          /* needs 4, 2 left */
	cr_assert_eq(w.err, -EMSGSIZE);
	cr_assert_eq(w.len, 8);
	proto_put_i32(&w, 3);          /* would not fit either: stays put */
	cr_assert_eq(w.len, 8);

	/* A string whose length fits but whose bytes don't writes nothing. */
	proto_buf_init_writer(&w, mem, sizeof mem);
	proto_put_str(&w, "0123456789");
	cr_assert_eq(w.err, -EMSGSIZE);
	cr_assert_eq(w.len, 0);
	proto_put_u32(&w, 1);          /* would fit, but the error is sticky */
	cr_assert_eq(w.len, 0);
	FD_END();
}

Test(proto, reader_short_is_sticky, .timeout = 10)
{
	FD_BEGIN();
	uint8_t mem[6] = { 0 };
	struct proto_buf r;
	uint32_t u32;
	uint64_t u64;

	proto_buf_init_reader(&r, mem, sizeof mem);
	cr_assert_eq(proto_get_u64(&r, &u64), -EBADMSG);
	cr_assert_eq(r.pos, 0);
	/* 4 bytes would be there, but the first error sticks. */
	cr_assert_eq(proto_get_u32(&r, &u32), -EBADMSG);
	cr_assert_eq(proto_get_end(&r), -EBADMSG);

	proto_buf_init_reader(&r, NULL, 0);
	cr_assert_eq(proto_get_end(&r), 0, "an empty payload is complete");
	FD_END();
}

/* ---- malformed payloads ------------------------------------------------- */

struct bad_payload {
	const char *what;
	uint8_t bytes[32];
	size_t len;
	size_t outlen;
	int nstr;           /* strings to read before proto_get_end */
};

/* Write a u32 length in host order into a table entry. */
static size_t put_len(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
	return 4;
}

Test(proto, malformed_strings, .timeout = 10)
{
	FD_BEGIN();
	struct bad_payload cases[] = {
		{ .what = "truncated length", .len = 3, .outlen = 16, .nstr = 1 },
		{ .what = "truncated bytes", .len = 4 + 3, .outlen = 16, .nstr = 1 },
		{ .what = "embedded NUL", .len = 4 + 3, .outlen = 16, .nstr = 1 },
		{ .what = "too long for outlen", .len = 4 + 8, .outlen = 8, .nstr = 1 },
		{ .what = "trailing bytes", .len = 4 + 2 + 1, .outlen = 16, .nstr = 1 },
		{ .what = "length > MAX_STR", .len = 4 + 4, .outlen = 16, .nstr = 1 },
		{ .what = "zero outlen", .len = 4, .outlen = 0, .nstr = 1 },
	};
	put_len(cases[0].bytes, 0); /* only 3 of its 4 bytes are in the payload */
	put_len(cases[1].bytes, 5);
	memcpy(cases[1].bytes + 4, "abc", 3);
	put_len(cases[2].bytes, 3);
	memcpy(cases[2].bytes + 4, "a\0c", 3);
	put_len(cases[3].bytes, 8);
	memcpy(cases[3].bytes + 4, "12345678", 8);
	put_len(cases[4].bytes, 2);
	memcpy(cases[4].bytes + 4, "okX", 3);
	put_len(cases[5].bytes, PROTO_MAX_STR + 1);
	memcpy(cases[5].bytes + 4, "abcd", 4);
	put_len(cases[6].bytes, 0);

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct proto_buf r;
		char out[16];
		int rc = 0;

		proto_buf_init_reader(&r, cases[i].bytes, cases[i].len);
		for (int k = 0; k < cases[i].nstr && rc == 0; k++)
			rc = proto_get_str(&r, out, cases[i].outlen);
		/* A failed get leaves an empty string, never a partial one. */
		if (rc && cases[i].outlen)
			cr_expect_eq(out[0], '\0', "case '%s' left output", cases[i].what);
		if (rc == 0)
			rc = proto_get_end(&r);
		cr_expect_eq(rc, -EBADMSG, "case '%s' returned %d", cases[i].what, rc);
		cr_expect_eq(proto_get_end(&r), -EBADMSG, "case '%s': end", cases[i].what);
	}
	FD_END();
}

/* ---- records ------------------------------------------------------------ */

static void fill_status(struct proto_unit_status *s)
{
	memset(s, 0, sizeof *s);
	strcpy(s->name, "web@1.service");
	s->type = PROTO_UNIT_SOCKET;
	strcpy(s->state, "listening");
	s->pid = 4242;
	s->restarts = 3;
	s->since_usec = 1700000000123456ull;
	strcpy(s->status, "Ready: 3 connections");
	memset(s->description, 'd', PROTO_MAX_STR);
}

Test(proto, unit_status_round_trip, .timeout = 10)
{
	FD_BEGIN();
	static uint8_t mem[PROTO_MAX_PAYLOAD];
	static struct proto_unit_status a, b;
	struct proto_buf w, r;

	fill_status(&a);
	proto_buf_init_writer(&w, mem, sizeof mem);
	proto_put_u32(&w, 2);
	proto_put_unit_status(&w, &a);
	proto_put_unit_status(&w, &a);
	cr_assert_eq(w.err, 0);

	proto_buf_init_reader(&r, mem, w.len);
	uint32_t n;
	cr_assert_eq(proto_get_u32(&r, &n), 0);
	cr_assert_eq(n, 2);
	for (uint32_t i = 0; i < n; i++) {
		memset(&b, 0x55, sizeof b);
		cr_assert_eq(proto_get_unit_status(&r, &b), 0);
		cr_assert_str_eq(b.name, a.name);
		cr_assert_eq(b.type, a.type);
		cr_assert_str_eq(b.state, a.state);
		cr_assert_eq(b.pid, a.pid);
		cr_assert_eq(b.restarts, a.restarts);
		cr_assert_eq(b.since_usec, a.since_usec);
		cr_assert_str_eq(b.status, a.status);
		cr_assert_str_eq(b.description, a.description);
	}
	cr_assert_eq(proto_get_end(&r), 0);
	FD_END();
}

/* Encode a (possibly invalid) record and check that decoding refuses it. */
static int status_decode_rc(const struct proto_unit_status *s)
{
	static uint8_t mem[PROTO_MAX_PAYLOAD];
	static struct proto_unit_status out;
	struct proto_buf w, r;

	proto_buf_init_writer(&w, mem, sizeof mem);
	proto_put_unit_status(&w, s);
	cr_assert_eq(w.err, 0);
	proto_buf_init_reader(&r, mem, w.len);
	return proto_get_unit_status(&r, &out);
}

Test(proto, unit_status_validation, .timeout = 10)
{
	FD_BEGIN();
	static struct proto_unit_status s;

	fill_status(&s);
	cr_assert_eq(status_decode_rc(&s), 0);
	strcpy(s.name, "../etc");
	cr_expect_eq(status_decode_rc(&s), -EBADMSG, "bad name");
	fill_status(&s);
	s.name[0] = '\0';
	cr_expect_eq(status_decode_rc(&s), -EBADMSG, "empty name");
	fill_status(&s);
	s.type = 2;
	cr_expect_eq(status_decode_rc(&s), -EBADMSG, "type out of range");
	fill_status(&s);
	s.state[0] = '\0';
	cr_expect_eq(status_decode_rc(&s), -EBADMSG, "empty state");

	/* A state longer than the struct's 31 chars is a bad message too. */
	static uint8_t mem[256];
	struct proto_buf w, r;
	proto_buf_init_writer(&w, mem, sizeof mem);
	proto_put_str(&w, "a.service");
	proto_put_u32(&w, 0);
	proto_put_str(&w, "an-overly-long-state-name-of-40-chars-xx");
	cr_assert_eq(w.err, 0);
	proto_buf_init_reader(&r, mem, w.len);
	cr_expect_eq(proto_get_unit_status(&r, &s), -EBADMSG);
	/* A record cut short anywhere fails. */
	proto_buf_init_writer(&w, mem, sizeof mem);
	fill_status(&s);
	s.description[0] = '\0';
	proto_put_unit_status(&w, &s);
	for (size_t cut = 0; cut < w.len; cut++) {
		proto_buf_init_reader(&r, mem, cut);
		cr_expect_eq(proto_get_unit_status(&r, &s), -EBADMSG, "cut at %zu", cut);
	}
	FD_END();
}

Test(proto, fd_info_round_trip, .timeout = 10)
{
	FD_BEGIN();
	static uint8_t mem[PROTO_MAX_PAYLOAD];
	static struct proto_fd_info a, b;
	struct proto_buf w, r;

	strcpy(a.unit, "web.socket");
	strcpy(a.name, "http listener");
	strcpy(a.kind, "tcp");
	strcpy(a.origin, "socket");
	strcpy(a.address, "[::]:8080");
	proto_buf_init_writer(&w, mem, sizeof mem);
	proto_put_fd_info(&w, &a);
	cr_assert_eq(w.err, 0);
	proto_buf_init_reader(&r, mem, w.len);
	cr_assert_eq(proto_get_fd_info(&r, &b), 0);
	cr_assert_eq(proto_get_end(&r), 0);
	cr_assert_str_eq(b.unit, a.unit);
	cr_assert_str_eq(b.name, a.name);
	cr_assert_str_eq(b.kind, a.kind);
	cr_assert_str_eq(b.origin, a.origin);
	cr_assert_str_eq(b.address, a.address);

	strcpy(a.name, "a:b");
	proto_buf_init_writer(&w, mem, sizeof mem);
	proto_put_fd_info(&w, &a);
	proto_buf_init_reader(&r, mem, w.len);
	cr_assert_eq(proto_get_fd_info(&r, &b), -EBADMSG, "':' in an fd name");
	FD_END();
}

/* ---- names -------------------------------------------------------------- */

Test(proto, unit_names, .timeout = 10)
{
	FD_BEGIN();
	static const char *good[] = {
		"a", "web.service", "getty@tty1.service", "x:y_z-1.socket", "A9",
	};
	static const char *bad[] = {
		"", ".hidden", "-opt", "a/b", "a b", "tab\t", "..", "caf\xc3\xa9", "a\nb",
	};
	char longname[PROTO_MAX_NAME + 2];

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		cr_expect(proto_unit_name_valid(good[i]), "'%s' should be valid", good[i]);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_expect(!proto_unit_name_valid(bad[i]), "'%s' should be invalid", bad[i]);
	cr_expect(!proto_unit_name_valid(NULL));
	memset(longname, 'a', PROTO_MAX_NAME);
	longname[PROTO_MAX_NAME] = '\0';
	cr_expect(proto_unit_name_valid(longname));
	longname[PROTO_MAX_NAME] = 'a';
	longname[PROTO_MAX_NAME + 1] = '\0';
	cr_expect(!proto_unit_name_valid(longname));
	FD_END();
}

Test(proto, fd_names, .timeout = 10)
{
	FD_BEGIN();
	char longname[PROTO_MAX_NAME + 2];

	cr_expect(proto_fdname_valid("http"));
	cr_expect(proto_fdname_valid("with space ~!"));
	cr_expect(!proto_fdname_valid(""));
	cr_expect(!proto_fdname_valid("a:b"));
	cr_expect(!proto_fdname_valid("tab\there"));
	cr_expect(!proto_fdname_valid("del\x7f"));
	cr_expect(!proto_fdname_valid("caf\xc3\xa9"));
	cr_expect(!proto_fdname_valid(NULL));
	memset(longname, 'n', PROTO_MAX_NAME);
	longname[PROTO_MAX_NAME] = '\0';
	cr_expect(proto_fdname_valid(longname));
	longname[PROTO_MAX_NAME] = 'n';
	longname[PROTO_MAX_NAME + 1] = '\0';
	cr_expect(!proto_fdname_valid(longname));
	FD_END();
}

Test(proto, type_names, .timeout = 10)
{
	FD_BEGIN();
	cr_expect_str_eq(proto_type_name(PROTO_HELLO), "HELLO");
	cr_expect_str_eq(proto_type_name(PROTO_STATUS), "STATUS");
	cr_expect_str_eq(proto_type_name(PROTO_LOGS), "LOGS");
	cr_expect_str_eq(proto_type_name(PROTO_R_OK), "R_OK");
	cr_expect_str_eq(proto_type_name(PROTO_R_FDS), "R_FDS");
	cr_expect_str_eq(proto_type_name(0), "?");
	cr_expect_str_eq(proto_type_name(14), "?");
	cr_expect_str_eq(proto_type_name(0x8000), "?");
	cr_expect_str_eq(proto_type_name(0x8006), "?");
	cr_expect_str_eq(proto_type_name(0xffff), "?");
	FD_END();
}

/* ---- header codec (pure) ------------------------------------------------ */

Test(proto, header_round_trip, .timeout = 10)
{
	FD_BEGIN();
	uint8_t buf[PROTO_HDR_SIZE + 4];
	struct proto_hdr h = { .len = 4, .type = PROTO_R_ERROR, .flags = PROTO_F_MORE,
			       .id = 0xa5a5a5a5u, .nfds = 253 }, d;

	proto_hdr_encode(&h, buf);
	cr_assert_eq(proto_hdr_decode(buf, sizeof buf, &d), 0);
	cr_assert_eq(d.len, h.len);
	cr_assert_eq(d.type, h.type);
	cr_assert_eq(d.flags, h.flags);
	cr_assert_eq(d.id, h.id);
	cr_assert_eq(d.nfds, h.nfds);
	FD_END();
}

Test(proto, header_malformed_table, .timeout = 10)
{
	FD_BEGIN();
	static uint8_t buf[PROTO_MAX_MSG + 16];
	struct {
		const char *what;
		uint32_t len, nfds;
		size_t avail;
	} cases[] = {
		{ "short header", 0, 0, PROTO_HDR_SIZE - 1 },
		{ "empty datagram", 0, 0, 0 },
		{ "len too big", PROTO_MAX_PAYLOAD + 1, 0, PROTO_HDR_SIZE + PROTO_MAX_PAYLOAD + 1 },
		{ "len huge (16 + len wraps in u32)", UINT32_MAX, 0, PROTO_HDR_SIZE - 1 },
		{ "len > datagram", 10, 0, PROTO_HDR_SIZE + 9 },
		{ "len < datagram", 10, 0, PROTO_HDR_SIZE + 11 },
		{ "nfds 254", 0, 254, PROTO_HDR_SIZE },
		{ "nfds huge", 0, UINT32_MAX, PROTO_HDR_SIZE },
	};
	struct proto_hdr h, d;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		h = (struct proto_hdr){ .len = cases[i].len, .type = 1, .nfds = cases[i].nfds };
		proto_hdr_encode(&h, buf);
		cr_expect_eq(proto_hdr_decode(buf, cases[i].avail, &d), -EBADMSG,
			     "case '%s' accepted", cases[i].what);
	}
	h = (struct proto_hdr){ .len = PROTO_MAX_PAYLOAD, .type = 1 };
	proto_hdr_encode(&h, buf);
	cr_expect_eq(proto_hdr_decode(buf, PROTO_MAX_MSG, &d), 0, "max payload is fine");
	FD_END();
}

/* ---- over a real socket ------------------------------------------------- */

static uint8_t rbuf[PROTO_MAX_MSG];
static int rfds[PROTO_MAX_FDS_PER_MSG];

Test(proto, send_recv_no_fds, .timeout = 10)
{
	FD_BEGIN();
	int sv[2];
	uint8_t mem[64];
	struct proto_buf w, r;
	struct proto_hdr h;
	const uint8_t *payload;
	size_t nfds;
	char s[32];

	seqpair(sv);
	proto_buf_init_writer(&w, mem, sizeof mem);
	proto_put_u32(&w, PROTO_VERSION);
	proto_put_str(&w, "supctl");
	cr_assert_eq(proto_send(sv[0], PROTO_HELLO, 0, 99, mem, w.len, NULL, 0), 0);
	cr_assert_eq(proto_send(sv[0], PROTO_STATUS, PROTO_F_MORE, 100, NULL, 0, NULL, 0), 0);

	cr_assert_eq(proto_recv(sv[1], rbuf, &h, &payload, rfds, &nfds), 0);
	cr_assert_eq(h.type, PROTO_HELLO);
	cr_assert_eq(h.id, 99);
	cr_assert_eq(h.len, w.len);
	cr_assert_eq(nfds, 0);
	proto_buf_init_reader(&r, payload, h.len);
	uint32_t v;
	cr_assert_eq(proto_get_u32(&r, &v), 0);
	cr_assert_eq(v, PROTO_VERSION);
	cr_assert_eq(proto_get_str(&r, s, sizeof s), 0);
	cr_assert_str_eq(s, "supctl");
	cr_assert_eq(proto_get_end(&r), 0);

	cr_assert_eq(proto_recv(sv[1], rbuf, &h, &payload, rfds, &nfds), 0);
	cr_assert_eq(h.type, PROTO_STATUS);
	cr_assert_eq(h.flags, PROTO_F_MORE);
	cr_assert_eq(h.len, 0);

	/* Nothing queued on a non-blocking socket: -EAGAIN. */
	cr_assert_eq(fcntl(sv[1], F_SETFL, O_NONBLOCK), 0);
	cr_assert_eq(proto_recv(sv[1], rbuf, &h, &payload, rfds, &nfds), -EAGAIN);
	/* Peer gone: -EPIPE on both sides. */
	close(sv[0]);
	cr_assert_eq(proto_recv(sv[1], rbuf, &h, &payload, rfds, &nfds), -EPIPE);
	cr_assert_eq(proto_send(sv[1], PROTO_R_OK, 0, 1, NULL, 0, NULL, 0), -EPIPE);
	close(sv[1]);
	FD_END();
}

/* A peer that answers and closes while our next request is still unread
 * on its side (the daemon refusing a client after HELLO, when supctl has
 * sent its request behind it): the kernel flags our end ECONNRESET, which
 * recvmsg reports before what is queued. The answer must still be read,
 * then end-of-file. (Seen as "supervisord closed the connection" instead
 * of the refusal's message, once, under ASan.) */
Test(proto, recv_reads_the_answer_of_a_peer_that_reset, .timeout = 10)
{
	FD_BEGIN();
	int sv[2];
	struct proto_hdr h;
	const uint8_t *payload;
	size_t nfds;

	seqpair(sv);
	cr_assert_eq(proto_send(sv[1], PROTO_STATUS, 0, 2, NULL, 0, NULL, 0), 0); /* unread by sv[0] */
	uint8_t mem[64];
	struct proto_buf w;
	proto_buf_init_writer(&w, mem, sizeof mem);
	proto_put_i32(&w, -EACCES);
	proto_put_str(&w, "permission denied");
	cr_assert_eq(proto_send(sv[0], PROTO_R_ERROR, 0, 1, mem, w.len, NULL, 0), 0);
	close(sv[0]);

	cr_assert_eq(proto_recv(sv[1], rbuf, &h, &payload, rfds, &nfds), 0);
	cr_assert_eq(h.type, PROTO_R_ERROR);
	cr_assert_eq(h.id, 1);
	cr_assert_eq(proto_recv(sv[1], rbuf, &h, &payload, rfds, &nfds), -EPIPE);
	close(sv[1]);
	FD_END();
}

Test(proto, send_recv_one_fd, .timeout = 10)
{
	FD_BEGIN();
	int sv[2], p[2];
	struct proto_hdr h;
	const uint8_t *payload;
	size_t nfds;
	char c = 0;

	seqpair(sv);
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	cr_assert_eq(proto_send(sv[0], PROTO_R_FDS, 0, 5, "x", 1, &p[1], 1), 0);
	close(p[1]); /* the kernel holds its own reference until received */

	cr_assert_eq(proto_recv(sv[1], rbuf, &h, &payload, rfds, &nfds), 0);
	cr_assert_eq(nfds, 1);
	cr_assert_eq(h.nfds, 1);
	cr_assert_eq(payload[0], 'x');
	cr_assert(fcntl(rfds[0], F_GETFD) & FD_CLOEXEC, "MSG_CMSG_CLOEXEC not applied");
	cr_assert_eq(write(rfds[0], "!", 1), 1);
	cr_assert_eq(read(p[0], &c, 1), 1);
	cr_assert_eq(c, '!');
	proto_close_fds(rfds, nfds);
	cr_assert_eq(rfds[0], -1);
	close(p[0]);
	close(sv[0]);
	close(sv[1]);
	FD_END();
}

Test(proto, send_recv_max_fds, .timeout = 10)
{
	FD_BEGIN();
	int sv[2], fds[PROTO_MAX_FDS_PER_MSG + 1];
	struct proto_hdr h;
	const uint8_t *payload;
	size_t nfds;

	seqpair(sv);
	/* One memfd per slot, each with its own size, so we can tell that
	 * order is preserved. */
	for (size_t i = 0; i < PROTO_MAX_FDS_PER_MSG + 1; i++) {
		fds[i] = make_memfd();
		cr_assert_eq(ftruncate(fds[i], (off_t)i + 1), 0);
	}
	cr_assert_eq(proto_send(sv[0], PROTO_R_FDS, 0, 1, NULL, 0, fds, PROTO_MAX_FDS_PER_MSG + 1),
		     -EINVAL);
	cr_assert_eq(proto_send(sv[0], PROTO_R_FDS, 0, 1, NULL, 0, fds, PROTO_MAX_FDS_PER_MSG), 0);
	cr_assert_eq(proto_recv(sv[1], rbuf, &h, &payload, rfds, &nfds), 0);
	cr_assert_eq(nfds, PROTO_MAX_FDS_PER_MSG);
	for (size_t i = 0; i < nfds; i++) {
		off_t size = lseek(rfds[i], 0, SEEK_END);
		cr_assert_eq(size, (off_t)i + 1, "fd %zu out of order", i);
	}
	proto_close_fds(rfds, nfds);
	proto_close_fds(fds, PROTO_MAX_FDS_PER_MSG + 1);
	close(sv[0]);
	close(sv[1]);
	FD_END();
}

Test(proto, passcred_socket_still_works, .timeout = 10)
{
	FD_BEGIN();
	int sv[2], one = 1, fd;
	struct proto_hdr h;
	const uint8_t *payload;
	size_t nfds;

	seqpair(sv);
	cr_assert_eq(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof one), 0);
	fd = make_memfd();
	cr_assert_eq(proto_send(sv[0], PROTO_FD_STORE, 0, 3, NULL, 0, &fd, 1), 0);
	cr_assert_eq(proto_recv(sv[1], rbuf, &h, &payload, rfds, &nfds), 0,
		     "credentials must not cause MSG_CTRUNC");
	cr_assert_eq(nfds, 1);
	proto_close_fds(rfds, nfds);
	close(fd);
	close(sv[0]);
	close(sv[1]);
	FD_END();
}

/* Malformed frames over the wire, each carrying one fd that proto_recv must
 * close. */
Test(proto, recv_malformed_frames_close_fds, .timeout = 10)
{
	FD_BEGIN();
	static uint8_t dgram[PROTO_MAX_MSG + 64];
	struct {
		const char *what;
		uint32_t hdr_len, hdr_nfds;
		size_t send_len;
		size_t send_nfds;
		int want;
	} cases[] = {
		{ "short header", 0, 1, PROTO_HDR_SIZE - 6, 1, -EBADMSG },
		{ "len too big", PROTO_MAX_PAYLOAD + 1, 1, PROTO_HDR_SIZE + 8, 1, -EBADMSG },
		{ "len > datagram", 20, 1, PROTO_HDR_SIZE + 19, 1, -EBADMSG },
		{ "len < datagram", 20, 1, PROTO_HDR_SIZE + 21, 1, -EBADMSG },
		{ "header says 2 fds, 1 sent", 4, 2, PROTO_HDR_SIZE + 4, 1, -EBADMSG },
		{ "header says 0 fds, 1 sent", 4, 0, PROTO_HDR_SIZE + 4, 1, -EBADMSG },
		{ "header says 1 fd, 0 sent", 4, 1, PROTO_HDR_SIZE + 4, 0, -EBADMSG },
		{ "nfds 254 in header", 0, 254, PROTO_HDR_SIZE, 1, -EBADMSG },
		{ "datagram > PROTO_MAX_MSG", PROTO_MAX_PAYLOAD, 1, PROTO_MAX_MSG + 64, 1, -EMSGSIZE },
	};
	int sv[2], fd;
	struct proto_hdr h;
	const uint8_t *payload;
	size_t nfds;

	seqpair(sv);
	fd = make_memfd();
	int base = count_fds();
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		memset(dgram, 'p', sizeof dgram);
		forge(dgram, cases[i].hdr_len, cases[i].hdr_nfds, NULL, 0);
		raw_send(sv[0], dgram, cases[i].send_len, &fd, cases[i].send_nfds);
		nfds = 99;
		int rc = proto_recv(sv[1], rbuf, &h, &payload, rfds, &nfds);
		cr_expect_eq(rc, cases[i].want, "case '%s' returned %d", cases[i].what, rc);
		cr_expect_eq(nfds, 0, "case '%s' left %zu fds", cases[i].what, nfds);
		cr_expect_eq(count_fds(), base, "case '%s' leaked the received fd", cases[i].what);
	}
	/* The stream is still usable after every rejected frame. */
	cr_assert_eq(proto_send(sv[0], PROTO_R_OK, 0, 1, NULL, 0, NULL, 0), 0);
	cr_assert_eq(proto_recv(sv[1], rbuf, &h, &payload, rfds, &nfds), 0);
	cr_assert_eq(h.type, PROTO_R_OK);
	close(fd);
	close(sv[0]);
	close(sv[1]);
	FD_END();
}

/*
 * MSG_CTRUNC: our control buffer has room for SCM_MAX_FD, so the way to
 * provoke it is RLIMIT_NOFILE: the kernel stops installing fds when the
 * table is full, closes the rest and sets MSG_CTRUNC. Done in a child so
 * the lowered limit cannot disturb criterion's own plumbing.
 * Child exit codes: 0 ok, 10+ which check failed.
 */
static int ctrunc_child(void)
{
	enum { N = 6 };
	int sv[2], fds[N], before, rc;
	struct proto_hdr h;
	const uint8_t *payload;
	size_t nfds;
	struct rlimit rl;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return 10;
	for (int i = 0; i < N; i++)
		if ((fds[i] = memfd_create("ctrunc", MFD_CLOEXEC)) < 0)
			return 11;
	if (proto_send(sv[0], PROTO_R_FDS, 0, 1, NULL, 0, fds, N) < 0)
		return 12;
	for (int i = 0; i < N; i++)
		close(fds[i]);

	/* Pick the lowest limit that leaves exactly 3 free slots (holes
	 * below the limit count as free), so 3 of the N fds get installed
	 * and the kernel closes the rest and sets MSG_CTRUNC. */
	before = count_fds();
	if (before < 0 || getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 13;
	int free_slots = 0, limit = 0;
	while (free_slots < 3) {
		if (fcntl(limit, F_GETFD) < 0)
			free_slots++;
		limit++;
	}
	rl.rlim_cur = (rlim_t)limit;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 15;

	nfds = 99;
	rc = proto_recv(sv[1], rbuf, &h, &payload, rfds, &nfds);
	if (rc != -EBADMSG)
		return 16;
	if (nfds != 0)
		return 17;
	if (count_fds() != before)
		return 18;
	close(sv[0]);
	close(sv[1]);
	return 0;
}

Test(proto, recv_ctrunc_closes_partial_fds, .timeout = 10)
{
	FD_BEGIN();
	int status;
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0)
		_exit(ctrunc_child());
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status), "child died");
	cr_assert_eq(WEXITSTATUS(status), 0, "child check %d failed", WEXITSTATUS(status));
	FD_END();
}
