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
	{ "READY=1", { .ready = true } },
	{ "READY=1\n", { .ready = true } },
	{ "READY=0", { 0 } },
	{ "READY=1 ", { 0 } },            /* exact lines only, as strv_contains */
	{ " READY=1", { 0 } },
	{ "ready=1", { 0 } },
	{ "RELOADING=1\nMONOTONIC_USEC=123", { .reloading = true, .has_monotonic = true, .monotonic_usec = 123 } },
	{ "STOPPING=1", { .stopping = true } },
	{ "WATCHDOG=1", { .watchdog_ping = true } },
	{ "WATCHDOG=trigger", { .watchdog_trigger = true } },
	{ "WATCHDOG=2", { 0 } },
	{ "FDSTORE=1\nFDNAME=stash", { .fdstore = true, .has_fdname = true }, NULL, "stash" },
	{ "FDSTOREREMOVE=1\nFDNAME=a b", { .fdstore_remove = true, .has_fdname = true }, NULL, "a b" },
	{ "FDSTORE=1\nFDNAME=a:b", { .fdstore = true, .fdname_invalid = true } },
	{ "FDSTORE=1\nFDNAME=", { .fdstore = true, .fdname_invalid = true } },
	{ "FDNAME=tab\there", { .fdname_invalid = true } },
	{ "FDNAME=caf\xc3\xa9", { .fdname_invalid = true } },
	{ "FDNAME=first\nFDNAME=second", { .has_fdname = true }, NULL, "first" },
	{ "FDPOLL=0", { .fdpoll_off = true } },
	{ "FDPOLL=no", { .fdpoll_off = true } },
	{ "FDPOLL=1", { 0 } },
	{ "FDPOLL=maybe", { .n_bad = 1 } },
	{ "BARRIER=1", { .barrier = true } },
	{ "STATUS=serving 3 clients", { .has_status = true }, "serving 3 clients" },
	{ "STATUS=", { .has_status = true }, "" },
	{ "STATUS=first\nSTATUS=second", { .has_status = true }, "first" },
	{ "STATUS=caf\xc3\xa9 \xe2\x9c\x93", { .has_status = true }, "caf\xc3\xa9 \xe2\x9c\x93" },
	{ "STATUS=bad \xff", { .status_invalid = true } },
	{ "STATUS=overlong \xc0\xaf", { .status_invalid = true } },
	{ "STATUS=surrogate \xed\xa0\x80", { .status_invalid = true } },
	{ "STATUS=cut \xe2\x9c", { .status_invalid = true } },
	{ "ERRNO=2", { .has_errno = true, .errno_value = 2 } },
	{ "ERRNO=-1", { .n_bad = 1 } },
	{ "ERRNO=x", { .n_bad = 1 } },
	{ "ERRNO=99999999999", { .n_bad = 1 } },
	{ "MAINPID=4242", { .has_mainpid = true, .mainpid = 4242 } },
	{ "MAINPID=0", { .n_bad = 1 } },
	{ "MAINPID=", { .n_bad = 1 } },
	{ "MAINPID=12a", { .n_bad = 1 } },
	{ "MAINPID=1\nMAINPID=2", { .has_mainpid = true, .mainpid = 1 } },
	{ "WATCHDOG_USEC=5000000", { .has_watchdog_usec = true, .watchdog_usec = 5000000 } },
	{ "WATCHDOG_USEC=18446744073709551615", { .has_watchdog_usec = true, .watchdog_usec = UINT64_MAX } },
	{ "WATCHDOG_USEC=18446744073709551616", { .n_bad = 1 } },
	{ "EXTEND_TIMEOUT_USEC=1000", { .has_extend_timeout = true, .extend_timeout_usec = 1000 } },
	{ "EXIT_STATUS=3", { .has_exit_status = true, .exit_status = 3 } },
	{ "EXIT_STATUS=256", { .n_bad = 1 } },
	{ "X_CUSTOM=1\nFOO\n=\n\n\nBUSERROR=x", { 0 } },
	{ "", { 0 } },
	{ "\n\n", { 0 } },
	{ "READY=1\nSTATUS=up\nMAINPID=7\nWATCHDOG=1\nFDSTORE=1\nFDNAME=s\nFDPOLL=0\nX=1",
	  { .ready = true, .has_status = true, .has_mainpid = true, .mainpid = 7, .watchdog_ping = true,
	    .fdstore = true, .has_fdname = true, .fdpoll_off = true },
	  "up", "s" },
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
