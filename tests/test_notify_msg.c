/*
 * test_notify_msg.c - table tests of the sd_notify payload parser: one row
 * per assignment systemd understands, plus the malformed and unknown ones
 * it ignores.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "notify_msg.h"

/* What a row expects; fields not named keep their zero value. */
struct row {
	const char *in;
	struct notify_msg want;
	const char *status;  /* expected status text when has_status */
	const char *fdname;  /* expected name when has_fdname */
};

static const struct row rows[] = {
	{ .in = "READY=1", .want = { .ready = true } },
	{ .in = "READY=1\n", .want = { .ready = true } },
	{ .in = "READY=0", .want = { 0 } },
	{ .in = "READY=1 ", .want = { 0 } },            /* exact lines only, as strv_contains */
	{ .in = " READY=1", .want = { 0 } },
	{ .in = "ready=1", .want = { 0 } },
	{ .in = "RELOADING=1\nMONOTONIC_USEC=123", .want = { .reloading = true, .has_monotonic = true, .monotonic_usec = 123 } },
	{ .in = "STOPPING=1", .want = { .stopping = true } },
	{ .in = "WATCHDOG=1", .want = { .watchdog_ping = true } },
	{ .in = "WATCHDOG=trigger", .want = { .watchdog_trigger = true } },
	{ .in = "WATCHDOG=2", .want = { 0 } },
	{ .in = "FDSTORE=1\nFDNAME=stash", .want = { .fdstore = true, .has_fdname = true }, .fdname = "stash" },
	{ .in = "FDSTOREREMOVE=1\nFDNAME=a b", .want = { .fdstore_remove = true, .has_fdname = true }, .fdname = "a b" },
	{ .in = "FDSTORE=1\nFDNAME=a:b", .want = { .fdstore = true, .fdname_invalid = true } },
	{ .in = "FDSTORE=1\nFDNAME=", .want = { .fdstore = true, .fdname_invalid = true } },
	{ .in = "FDNAME=tab\there", .want = { .fdname_invalid = true } },
	{ .in = "FDNAME=caf\xc3\xa9", .want = { .fdname_invalid = true } },
	{ .in = "FDNAME=first\nFDNAME=second", .want = { .has_fdname = true }, .fdname = "first" },
	{ .in = "FDPOLL=0", .want = { .fdpoll_off = true } },
	{ .in = "FDPOLL=no", .want = { .fdpoll_off = true } },
	{ .in = "FDPOLL=1", .want = { 0 } },
	{ .in = "FDPOLL=maybe", .want = { .n_bad = 1 } },
	{ .in = "BARRIER=1", .want = { .barrier = true } },
	{ .in = "STATUS=serving 3 clients", .want = { .has_status = true }, .status = "serving 3 clients" },
	{ .in = "STATUS=", .want = { .has_status = true }, .status = "" },
	{ .in = "STATUS=first\nSTATUS=second", .want = { .has_status = true }, .status = "first" },
	{ .in = "STATUS=caf\xc3\xa9 \xe2\x9c\x93", .want = { .has_status = true }, .status = "caf\xc3\xa9 \xe2\x9c\x93" },
	{ .in = "STATUS=bad \xff", .want = { .status_invalid = true } },
	{ .in = "STATUS=overlong \xc0\xaf", .want = { .status_invalid = true } },
	{ .in = "STATUS=surrogate \xed\xa0\x80", .want = { .status_invalid = true } },
	{ .in = "STATUS=cut \xe2\x9c", .want = { .status_invalid = true } },
	{ .in = "ERRNO=2", .want = { .has_errno = true, .errno_value = 2 } },
	{ .in = "ERRNO=-1", .want = { .n_bad = 1 } },
	{ .in = "ERRNO=x", .want = { .n_bad = 1 } },
	{ .in = "ERRNO=99999999999", .want = { .n_bad = 1 } },
	{ .in = "MAINPID=4242", .want = { .has_mainpid = true, .mainpid = 4242 } },
	{ .in = "MAINPID=0", .want = { .n_bad = 1 } },
	{ .in = "MAINPID=", .want = { .n_bad = 1 } },
	{ .in = "MAINPID=12a", .want = { .n_bad = 1 } },
	{ .in = "MAINPID=1\nMAINPID=2", .want = { .has_mainpid = true, .mainpid = 1 } },
	{ .in = "WATCHDOG_USEC=5000000", .want = { .has_watchdog_usec = true, .watchdog_usec = 5000000 } },
	{ .in = "WATCHDOG_USEC=18446744073709551615", .want = { .has_watchdog_usec = true, .watchdog_usec = UINT64_MAX } },
	{ .in = "WATCHDOG_USEC=18446744073709551616", .want = { .n_bad = 1 } },
	{ .in = "EXTEND_TIMEOUT_USEC=1000", .want = { .has_extend_timeout = true, .extend_timeout_usec = 1000 } },
	{ .in = "EXIT_STATUS=3", .want = { .has_exit_status = true, .exit_status = 3 } },
	{ .in = "EXIT_STATUS=256", .want = { .n_bad = 1 } },
	{ .in = "X_CUSTOM=1\nFOO\n=\n\n\nBUSERROR=x", .want = { 0 } },
	{ .in = "", .want = { 0 } },
	{ .in = "\n\n", .want = { 0 } },
	{ .in = "READY=1\nSTATUS=up\nMAINPID=7\nWATCHDOG=1\nFDSTORE=1\nFDNAME=s\nFDPOLL=0\nX=1",
	  .want = { .ready = true, .has_status = true, .has_mainpid = true, .mainpid = 7, .watchdog_ping = true,
	    .fdstore = true, .has_fdname = true, .fdpoll_off = true },
	  .status = "up", .fdname = "s" },
};

static void check_row(const struct row *r)
{
	struct notify_msg m;
	notify_msg_parse(r->in, strlen(r->in), &m);
	const struct notify_msg *w = &r->want;
#define EQ(f) cr_expect_eq(m.f, w->f, "'%s': " #f " is %lld, want %lld", r->in, (long long)m.f, (long long)w->f)
	EQ(ready); EQ(reloading); EQ(stopping); EQ(watchdog_ping); EQ(watchdog_trigger);
	EQ(fdstore); EQ(fdstore_remove); EQ(barrier); EQ(has_status); EQ(status_invalid);
	EQ(has_errno); EQ(has_mainpid); EQ(has_watchdog_usec); EQ(has_extend_timeout);
	EQ(has_monotonic); EQ(has_exit_status); EQ(has_fdname); EQ(fdname_invalid); EQ(fdpoll_off);
	EQ(n_bad);
	if (w->has_errno) EQ(errno_value);
	if (w->has_mainpid) EQ(mainpid);
	if (w->has_watchdog_usec) EQ(watchdog_usec);
	if (w->has_extend_timeout) EQ(extend_timeout_usec);
	if (w->has_monotonic) EQ(monotonic_usec);
	if (w->has_exit_status) EQ(exit_status);
#undef EQ
	if (r->status && m.has_status) {
		cr_expect_eq(m.status.len, strlen(r->status), "'%s': status length", r->in);
		cr_expect(memcmp(m.status.p, r->status, m.status.len) == 0, "'%s': status text", r->in);
	}
	if (r->fdname && m.has_fdname) {
		cr_expect_eq(m.fdname.len, strlen(r->fdname), "'%s': fdname length", r->in);
		cr_expect(memcmp(m.fdname.p, r->fdname, m.fdname.len) == 0, "'%s': fdname", r->in);
	}
}

Test(notify_msg, table)
{
	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++)
		check_row(&rows[i]);
}

/* The parser reads exactly len bytes: a payload that is not NUL-terminated
 * (the receive buffer's last byte) is fine, and bytes past len are unseen. */
Test(notify_msg, length_bounded)
{
	char buf[] = { 'R', 'E', 'A', 'D', 'Y', '=', '1', 'X' };
	struct notify_msg m;
	notify_msg_parse(buf, 7, &m);
	cr_expect(m.ready);
	notify_msg_parse(buf, 8, &m);
	cr_expect(!m.ready);
	notify_msg_parse(buf, 0, &m);
	cr_expect(!m.ready);
}

Test(notify_msg, fdname_rules)
{
	char name[300];
	memset(name, 'a', sizeof name);
	cr_expect(notify_fdname_valid(name, 255));
	cr_expect(!notify_fdname_valid(name, 256));
	cr_expect(!notify_fdname_valid("", 0));
	cr_expect(notify_fdname_valid("~ !", 3));
	cr_expect(!notify_fdname_valid("a\x7f", 2));
	cr_expect(!notify_fdname_valid("a\n", 2));
}

/* Every byte value in every position: no crash, and a full buffer. */
Test(notify_msg, all_bytes)
{
	char buf[NOTIFY_BUFFER_MAX];
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (char)(i * 7 + 3);
	struct notify_msg m;
	notify_msg_parse(buf, sizeof buf, &m);
	cr_expect(!m.ready);
}
