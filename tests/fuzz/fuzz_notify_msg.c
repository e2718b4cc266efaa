/*
 * fuzz_notify_msg.c - the text of one sd_notify datagram:
 * notify_msg_parse(), and the two validators it uses on values.
 *
 * The payload sits in a buffer of exactly its size, with no NUL after it,
 * as notify_recv hands it over. Oracle beyond the sanitizers: every string
 * value points inside the payload, and what the struct claims was checked
 * (a kept FDNAME= is a valid name, a kept STATUS= valid UTF-8, MAINPID
 * positive, ERRNO non-negative).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "notify_msg.h"

static void check_str(const struct notify_str *s, const char *buf, size_t len)
{
	if (s->len == 0)
		return;
	if (!s->p || s->p < buf || s->len > len || s->p + s->len > buf + len)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct notify_msg m;
	char *buf = malloc(size ? size : 1);

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	memset(&m, 0x5a, sizeof(m)); /* the parser must not rely on a zeroed struct */
	notify_msg_parse(buf, size, &m);
	if (m.has_status) {
		check_str(&m.status, buf, size);
		if (!m.status_invalid && !notify_utf8_valid(m.status.p, m.status.len))
			abort();
	}
	if (m.has_fdname) {
		check_str(&m.fdname, buf, size);
		if (!notify_fdname_valid(m.fdname.p, m.fdname.len))
			abort();
	}
	if ((m.has_mainpid && m.mainpid <= 0) || (m.has_errno && m.errno_value < 0))
		abort();
	(void)notify_fdname_valid(buf, size);
	(void)notify_utf8_valid(buf, size);
	free(buf);
	return 0;
}
