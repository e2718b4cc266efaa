/*
 * notify_msg.c - see notify_msg.h.
 *
 * Numbers are parsed strictly (decimal digits only, no sign, no spaces, no
 * overflow): a value that does not parse leaves its has_ flag false and
 * counts in n_bad, as systemd logs and ignores it.
 */
#include <string.h>

#include "notify_msg.h"

/* Decimal digits only, at most max. */
static bool parse_u64(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

/* systemd's parse_boolean() words. Returns 1, 0, or -1 when neither. */
static int parse_bool(const char *s, size_t len)
{
	static const char *const yes[] = { "1", "yes", "y", "true", "t", "on" };
	static const char *const no[] = { "0", "no", "n", "false", "f", "off" };
	for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
		if (strlen(yes[i]) == len && strncasecmp(s, yes[i], len) == 0)
			return 1;
		if (strlen(no[i]) == len && strncasecmp(s, no[i], len) == 0)
			return 0;
	}
	return -1;
}

bool notify_fdname_valid(const char *s, size_t len)
{
	if (len == 0 || len > NOTIFY_FDNAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c > 0x7e || c == ':')
			return false;
	}
	return true;
}

bool notify_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < len) {
		unsigned c = p[i];
		size_t n;
		uint32_t cp, min;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			n = 1, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2, cp = c & 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return false;
		}
		if (len - i - 1 < n)
			return false;
		for (size_t k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false; /* overlong, out of range, or a surrogate */
		i += n + 1;
	}
	return true;
}

/* Is the line exactly "key" (a flag such as READY=1)? */
static bool line_is(const char *l, size_t len, const char *key)
{
	return strlen(key) == len && memcmp(l, key, len) == 0;
}

/* If the line starts with prefix ("STATUS="), the value after it. */
static bool line_value(const char *l, size_t len, const char *prefix, struct notify_str *v)
{
	size_t pl = strlen(prefix);
	if (len < pl || memcmp(l, prefix, pl) != 0)
		return false;
	v->p = l + pl;
	v->len = len - pl;
	return true;
}

/* A numeric variable: on its first occurrence parse it into *out and set
 * *has; a value that does not parse counts as bad. */
static void number(const struct notify_str *v, uint64_t max, bool *has, uint64_t *out, unsigned *n_bad)
{
	if (!(*has = parse_u64(v->p, v->len, max, out)))
		(*n_bad)++;
}

/* One variable with a value; first occurrence wins (seen tracks that). */
static void parse_valued(const char *l, size_t len, struct notify_msg *m, unsigned *seen)
{
	enum { S_STATUS = 1, S_ERRNO = 2, S_MAINPID = 4, S_WDUSEC = 8, S_EXTEND = 16, S_MONO = 32,
	       S_EXIT = 64, S_FDNAME = 128, S_FDPOLL = 256 };
	static const struct {
		const char *prefix;
		unsigned bit;
	} vars[] = {
		{ "STATUS=", S_STATUS },	  { "ERRNO=", S_ERRNO },   { "MAINPID=", S_MAINPID },
		{ "WATCHDOG_USEC=", S_WDUSEC },	  { "EXTEND_TIMEOUT_USEC=", S_EXTEND },
		{ "MONOTONIC_USEC=", S_MONO },	  { "EXIT_STATUS=", S_EXIT }, { "FDNAME=", S_FDNAME },
		{ "FDPOLL=", S_FDPOLL },
	};
	struct notify_str v;
	unsigned bit = 0;
	for (size_t i = 0; i < sizeof vars / sizeof *vars && !bit; i++)
		if (line_value(l, len, vars[i].prefix, &v))
			bit = vars[i].bit;
	if (!bit || (*seen & bit))
		return; /* unknown, or not the first occurrence */
	*seen |= bit;

	uint64_t n = 0;
	switch (bit) {
	case S_STATUS:
		m->status = v;
		m->has_status = notify_utf8_valid(v.p, v.len);
		m->status_invalid = !m->has_status;
		break;
	case S_ERRNO:
		number(&v, INT32_MAX, &m->has_errno, &n, &m->n_bad);
		m->errno_value = (int)n;
		break;
	case S_MAINPID:
		number(&v, INT32_MAX, &m->has_mainpid, &n, &m->n_bad);
		if (m->has_mainpid && n == 0) {
			m->has_mainpid = false; /* parse_pid() refuses 0 */
			m->n_bad++;
		}
		m->mainpid = (pid_t)n;
		break;
	case S_WDUSEC:
		number(&v, UINT64_MAX, &m->has_watchdog_usec, &m->watchdog_usec, &m->n_bad);
		break;
	case S_EXTEND:
		number(&v, UINT64_MAX, &m->has_extend_timeout, &m->extend_timeout_usec, &m->n_bad);
		break;
	case S_MONO:
		number(&v, UINT64_MAX, &m->has_monotonic, &m->monotonic_usec, &m->n_bad);
		break;
	case S_EXIT:
		number(&v, 255, &m->has_exit_status, &n, &m->n_bad);
		m->exit_status = (int)n;
		break;
	case S_FDNAME:
		m->has_fdname = notify_fdname_valid(v.p, v.len);
		m->fdname_invalid = !m->has_fdname;
		if (m->has_fdname)
			m->fdname = v;
		break;
	case S_FDPOLL: {
		int b = parse_bool(v.p, v.len);
		if (b < 0)
			m->n_bad++;
		m->fdpoll_off = b == 0;
		break;
	}
	}
}

void notify_msg_parse(const char *buf, size_t len, struct notify_msg *m)
{
	unsigned seen = 0;
	memset(m, 0, sizeof *m);
	size_t i = 0;
	while (i < len) {
		const char *nl = memchr(buf + i, '\n', len - i);
		size_t l = nl ? (size_t)(nl - (buf + i)) : len - i;
		const char *line = buf + i;
		i += l + 1;
		if (line_is(line, l, "READY=1"))
			m->ready = true;
		else if (line_is(line, l, "RELOADING=1"))
			m->reloading = true;
		else if (line_is(line, l, "STOPPING=1"))
			m->stopping = true;
		else if (line_is(line, l, "WATCHDOG=1"))
			m->watchdog_ping = true;
		else if (line_is(line, l, "WATCHDOG=trigger"))
			m->watchdog_trigger = true;
		else if (line_is(line, l, "FDSTORE=1"))
			m->fdstore = true;
		else if (line_is(line, l, "FDSTOREREMOVE=1"))
			m->fdstore_remove = true;
		else if (line_is(line, l, "BARRIER=1"))
			m->barrier = true;
		else
			parse_valued(line, l, m, &seen);
	}
}
