/*
 * buf.c - the payload cursor.
 *
 * A writer appends fields to a fixed buffer the caller owns; a reader walks
 * a received payload. Both keep a sticky error: the first failure is stored
 * in b->err and every later put/get is a no-op that reports it, so an
 * encoder or decoder can issue all its calls and check once at the end.
 *
 * Every read checks the remaining length before it touches the buffer, and
 * every multi-byte field goes through memcpy: the payload sits at offset 16
 * of a byte buffer and may be unaligned for the host, so casting a pointer
 * into it would be undefined behaviour (and a trap on some CPUs).
 *
 * These functions are pure (no I/O, no allocation) so they can be fuzzed.
 */
#include <errno.h>
#include <string.h>

#include "proto.h"

void proto_buf_init_writer(struct proto_buf *b, void *mem, size_t cap)
{
	b->data = mem;
	b->len = 0;
	b->cap = cap;
	b->pos = 0;
	b->err = 0;
}

void proto_buf_init_reader(struct proto_buf *b, const void *mem, size_t len)
{
	/* The reader never writes through data; the cast only drops const so
	 * one struct can serve both directions. */
	b->data = (uint8_t *)mem;
	b->len = len;
	b->cap = len;
	b->pos = 0;
	b->err = 0;
}

/* Append n bytes, or set the sticky -EMSGSIZE and append nothing. */
static void put_raw(struct proto_buf *b, const void *p, size_t n)
{
	if (b->err)
		return;
	if (n > b->cap - b->len) {
		b->err = -EMSGSIZE;
		return;
	}
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
}

void proto_put_u32(struct proto_buf *b, uint32_t v)
{
	put_raw(b, &v, sizeof v);
}

void proto_put_i32(struct proto_buf *b, int32_t v)
{
	put_raw(b, &v, sizeof v);
}

void proto_put_u64(struct proto_buf *b, uint64_t v)
{
	put_raw(b, &v, sizeof v);
}

void proto_put_bytes(struct proto_buf *b, const void *p, size_t n)
{
	if (b->err)
		return;
	/* The length must fit its u32, and the length field and the bytes
	 * must both fit: check the total first so a too-long blob leaves no
	 * dangling length behind. */
	if (n > UINT32_MAX || n + sizeof(uint32_t) > b->cap - b->len) {
		b->err = -EMSGSIZE;
		return;
	}
	proto_put_u32(b, (uint32_t)n);
	put_raw(b, p, n);
}

void proto_put_str(struct proto_buf *b, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (b->err)
		return;
	/* Never emit what every decoder would reject. */
	if (n > PROTO_MAX_STR) {
		b->err = -EMSGSIZE;
		return;
	}
	proto_put_bytes(b, s, n);
}

/* Claim n bytes of the reader: *p points at them, or the sticky -EBADMSG
 * is set and nothing is consumed. */
static int get_raw(struct proto_buf *b, size_t n, const uint8_t **p)
{
	if (b->err)
		return b->err;
	if (b->pos > b->len || n > b->len - b->pos) {
		b->err = -EBADMSG;
		return b->err;
	}
	*p = b->data + b->pos;
	b->pos += n;
	return 0;
}

int proto_get_u32(struct proto_buf *b, uint32_t *v)
{
	const uint8_t *p;
	int r = get_raw(b, sizeof *v, &p);

	if (r == 0)
		memcpy(v, p, sizeof *v);
	return r;
}

int proto_get_i32(struct proto_buf *b, int32_t *v)
{
	const uint8_t *p;
	int r = get_raw(b, sizeof *v, &p);

	if (r == 0)
		memcpy(v, p, sizeof *v);
	return r;
}

int proto_get_u64(struct proto_buf *b, uint64_t *v)
{
	const uint8_t *p;
	int r = get_raw(b, sizeof *v, &p);

	if (r == 0)
		memcpy(v, p, sizeof *v);
	return r;
}

int proto_get_str(struct proto_buf *b, char *out, size_t outlen)
{
	const uint8_t *p;
	uint32_t n;
	int r;

	if (out && outlen)
		out[0] = '\0';
	r = proto_get_u32(b, &n);
	if (r)
		return r;
	/* Check the declared length against every limit before reading:
	 * the wire maximum, what is left in the frame, and the caller's
	 * buffer (which needs room for the terminating NUL). */
	if (n > PROTO_MAX_STR || n > b->len - b->pos || !out || n >= outlen) {
		b->err = -EBADMSG;
		return b->err;
	}
	r = get_raw(b, n, &p);
	if (r)
		return r;
	if (memchr(p, '\0', n)) {
		b->err = -EBADMSG;
		return b->err;
	}
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

int proto_get_end(struct proto_buf *b)
{
	if (b->err || b->pos != b->len)
		return -EBADMSG;
	return 0;
}
