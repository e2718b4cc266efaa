/*
 * notify_msg.h - the text of one sd_notify datagram, parsed.
 *
 * The payload is a newline-separated list of VARIABLE=value assignments
 * (sd_notify(3); "a trailing newline is implied"). Like systemd, a flag such
 * as READY=1 counts only when a line is exactly that text, and for a
 * variable with a value the first line wins (systemd's
 * strv_find_startswith). Unknown assignments are ignored.
 *
 * The parser is pure: no I/O, no allocation, no libuv. String values point
 * into the caller's buffer, which must outlive the struct. That keeps it
 * small enough to table-test and fuzz. What the values mean for a service
 * is decided in svc_notify.c.
 */
#ifndef SUPD_NOTIFY_MSG_H
#define SUPD_NOTIFY_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define NOTIFY_BUFFER_MAX 4096   /* systemd's NOTIFY_BUFFER_MAX (PIPE_BUF) */
#define NOTIFY_FD_MAX     768    /* systemd's NOTIFY_FD_MAX: fds accepted per datagram */
#define NOTIFY_FDNAME_MAX 255    /* FDNAME= length limit (systemd.socket(5)) */

/* A value that points into the payload; len excludes any terminator. */
struct notify_str {
	const char *p;
	size_t len;
};

struct notify_msg {
	bool ready;              /* READY=1 */
	bool reloading;          /* RELOADING=1 */
	bool stopping;           /* STOPPING=1 */
	bool watchdog_ping;      /* WATCHDOG=1 */
	bool watchdog_trigger;   /* WATCHDOG=trigger */
	bool fdstore;            /* FDSTORE=1 */
	bool fdstore_remove;     /* FDSTOREREMOVE=1 */
	bool barrier;            /* BARRIER=1 */

	bool has_status;         /* STATUS= (empty clears) */
	bool status_invalid;     /* STATUS= was not valid UTF-8: ignored */
	struct notify_str status;

	bool has_errno;          /* ERRNO=n, n >= 0 */
	int errno_value;

	bool has_mainpid;        /* MAINPID=n, n > 0 */
	pid_t mainpid;

	bool has_watchdog_usec;  /* WATCHDOG_USEC=n */
	uint64_t watchdog_usec;

	bool has_extend_timeout; /* EXTEND_TIMEOUT_USEC=n */
	uint64_t extend_timeout_usec;

	bool has_monotonic;      /* MONOTONIC_USEC=n (goes with RELOADING=1) */
	uint64_t monotonic_usec;

	bool has_exit_status;    /* EXIT_STATUS=n (informational) */
	int exit_status;

	bool has_fdname;         /* FDNAME= present and valid */
	bool fdname_invalid;     /* FDNAME= present but not a valid name: ignored */
	struct notify_str fdname;

	bool fdpoll_off;         /* FDPOLL=<false>: do not watch stored fds for hang-up */

	unsigned n_bad;          /* recognised variables with unparsable values (ignored) */
};

/* Parse len bytes at buf (no NUL needed; an embedded NUL is the caller's
 * business: notify_recv drops such datagrams). Never fails: what it cannot
 * use it ignores. */
void notify_msg_parse(const char *buf, size_t len, struct notify_msg *m);

/* Is s (len bytes) a valid fd name: 1..255 printable ASCII, no ':'?
 * systemd's fdname_is_valid() also accepts "", which would make an empty
 * element in LISTEN_FDNAMES; we refuse it. */
bool notify_fdname_valid(const char *s, size_t len);

/* Is s (len bytes) valid UTF-8 (shortest form, no surrogates)? systemd
 * ignores a STATUS= that is not. */
bool notify_utf8_valid(const char *s, size_t len);

#endif
