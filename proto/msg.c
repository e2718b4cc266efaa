/*
 * msg.c - record codecs (unit status, fd info), the name rules every side
 * shares, and message type names for logs.
 *
 * Decoders validate what they read, so the daemon, supctl and the worker
 * library can trust a record once proto_get_* returned 0: unit names pass
 * proto_unit_name_valid, enums are in range, required strings are set.
 * Field order on the wire is fixed; never reorder, only append new records.
 */
#include <errno.h>
#include <string.h>

#include "proto.h"

void proto_put_unit_status(struct proto_buf *b, const struct proto_unit_status *s)
{
	proto_put_str(b, s->name);
	proto_put_u32(b, s->type);
	proto_put_str(b, s->state);
	proto_put_u32(b, s->pid);
	proto_put_u32(b, s->restarts);
	proto_put_u64(b, s->since_usec);
	proto_put_str(b, s->status);
	proto_put_str(b, s->description);
}

/* Mark the reader broken: a field decoded but failed validation. */
static int bad(struct proto_buf *b)
{
	if (!b->err)
		b->err = -EBADMSG;
	return b->err;
}

int proto_get_unit_status(struct proto_buf *b, struct proto_unit_status *s)
{
	proto_get_str(b, s->name, sizeof s->name);
	proto_get_u32(b, &s->type);
	proto_get_str(b, s->state, sizeof s->state);
	proto_get_u32(b, &s->pid);
	proto_get_u32(b, &s->restarts);
	proto_get_u64(b, &s->since_usec);
	proto_get_str(b, s->status, sizeof s->status);
	proto_get_str(b, s->description, sizeof s->description);
	/* The sticky error makes the calls above safe to chain: after the
	 * first failure they read nothing. */
	if (b->err)
		return b->err;
	if (!proto_unit_name_valid(s->name) || s->type > PROTO_UNIT_SOCKET ||
	    s->state[0] == '\0')
		return bad(b);
	return 0;
}

void proto_put_fd_info(struct proto_buf *b, const struct proto_fd_info *f)
{
	proto_put_str(b, f->unit);
	proto_put_str(b, f->name);
	proto_put_str(b, f->kind);
	proto_put_str(b, f->origin);
	proto_put_str(b, f->address);
}

int proto_get_fd_info(struct proto_buf *b, struct proto_fd_info *f)
{
	proto_get_str(b, f->unit, sizeof f->unit);
	proto_get_str(b, f->name, sizeof f->name);
	proto_get_str(b, f->kind, sizeof f->kind);
	proto_get_str(b, f->origin, sizeof f->origin);
	proto_get_str(b, f->address, sizeof f->address);
	if (b->err)
		return b->err;
	if (!proto_unit_name_valid(f->unit) || !proto_fdname_valid(f->name))
		return bad(b);
	return 0;
}

/*
 * Unit names end up in paths, log lines, environment variables and
 * supctl's output: keep them to a plain character set with no '/', no
 * whitespace, and no leading '.' (hidden files, "..") or '-' (looks like
 * an option on a command line).
 */
int proto_unit_name_valid(const char *s)
{
	size_t n;

	if (!s)
		return 0;
	n = strlen(s);
	if (n == 0 || n > PROTO_MAX_NAME || s[0] == '.' || s[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || strchr(":_.@-", c)))
			return 0;
	}
	return 1;
}

/* fd names travel in LISTEN_FDNAMES, which is ':'-separated. */
int proto_fdname_valid(const char *s)
{
	size_t n;

	if (!s)
		return 0;
	n = strlen(s);
	if (n == 0 || n > PROTO_MAX_NAME)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c > 0x7e || c == ':')
			return 0;
	}
	return 1;
}

/* Requests and replies live in two ranges; one table each keeps the reply
 * table from spanning 0x8000 empty slots. */
static const char *const request_names[] = {
	[PROTO_HELLO] = "HELLO",
	[PROTO_STATUS] = "STATUS",
	[PROTO_START] = "START",
	[PROTO_STOP] = "STOP",
	[PROTO_RESTART] = "RESTART",
	[PROTO_REEXEC] = "REEXEC",
	[PROTO_FDS_LIST] = "FDS_LIST",
	[PROTO_FD_GET] = "FD_GET",
	[PROTO_FD_STORE] = "FD_STORE",
	[PROTO_KILL] = "KILL",
	[PROTO_RESET_FAILED] = "RESET_FAILED",
	[PROTO_RELOAD] = "RELOAD",
	[PROTO_LOGS] = "LOGS",
};

#define REPLY_BASE 0x8000u
static const char *const reply_names[] = {
	[PROTO_R_OK - REPLY_BASE] = "R_OK",
	[PROTO_R_ERROR - REPLY_BASE] = "R_ERROR",
	[PROTO_R_HELLO - REPLY_BASE] = "R_HELLO",
	[PROTO_R_STATUS - REPLY_BASE] = "R_STATUS",
	[PROTO_R_FDS - REPLY_BASE] = "R_FDS",
};

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

const char *proto_type_name(uint16_t type)
{
	const char *name = NULL;

	if (type < REPLY_BASE) {
		if (type < N_ELEMS(request_names))
			name = request_names[type];
	} else if (type - REPLY_BASE < N_ELEMS(reply_names)) {
		name = reply_names[type - REPLY_BASE];
	}
	return name ? name : "?";
}
