/*
 * fuzz_proto_frame.c - a received control-protocol frame: proto_hdr_decode()
 * on the datagram, then the payload of its message type decoded through the
 * proto_get_* cursor as the daemon, supctl and the worker library read it
 * (strings, u32/i32/u64 fields, unit status and fd info records).
 *
 * A frame whose header is refused still has its payload decoded under the
 * type it claims, so the record decoders get inputs of every length.
 *
 * Oracle beyond the sanitizers: every field or record that decodes is
 * encoded again with proto_put_* and must give back exactly the bytes it
 * was read from; the cursor never runs past the payload.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

static uint8_t scratch[PROTO_MAX_MSG];

/* Re-encode what put() writes and compare with payload[from, b->pos). */
#define ROUNDTRIP(b, from, put)                                              \
	do {                                                                 \
		struct proto_buf w_;                                         \
		proto_buf_init_writer(&w_, scratch, sizeof(scratch));        \
		put;                                                         \
		if (w_.err || w_.len != (b)->pos - (from) ||                 \
		    memcmp(scratch, (b)->data + (from), w_.len) != 0)        \
			abort();                                             \
	} while (0)

static void get_str(struct proto_buf *b, size_t outlen)
{
	char s[PROTO_MAX_STR + 1];
	size_t from = b->pos;

	if (proto_get_str(b, s, outlen) == 0)
		ROUNDTRIP(b, from, proto_put_str(&w_, s));
}

static void get_u32(struct proto_buf *b)
{
	uint32_t v;
	size_t from = b->pos;

	if (proto_get_u32(b, &v) == 0)
		ROUNDTRIP(b, from, proto_put_u32(&w_, v));
}

static void get_i32(struct proto_buf *b)
{
	int32_t v;
	size_t from = b->pos;

	if (proto_get_i32(b, &v) == 0)
		ROUNDTRIP(b, from, proto_put_i32(&w_, v));
}

/* u32 n, then n strings (n capped so a huge count can't spin). */
static void get_names(struct proto_buf *b)
{
	uint32_t n = 0;

	if (proto_get_u32(b, &n) < 0)
		return;
	for (uint32_t i = 0; i < n && !b->err; i++)
		get_str(b, PROTO_MAX_NAME + 1);
}

static void get_status_records(struct proto_buf *b)
{
	static struct proto_unit_status s;
	uint32_t n = 0;

	if (proto_get_u32(b, &n) < 0)
		return;
	for (uint32_t i = 0; i < n && !b->err; i++) {
		size_t from = b->pos;

		if (proto_get_unit_status(b, &s) == 0)
			ROUNDTRIP(b, from, proto_put_unit_status(&w_, &s));
	}
}

static void get_fd_records(struct proto_buf *b)
{
	static struct proto_fd_info f;
	uint32_t n = 0;

	if (proto_get_u32(b, &n) < 0)
		return;
	for (uint32_t i = 0; i < n && !b->err; i++) {
		size_t from = b->pos;

		if (proto_get_fd_info(b, &f) == 0)
			ROUNDTRIP(b, from, proto_put_fd_info(&w_, &f));
	}
}

/* The payload layouts of proto.h's enum proto_type. */
static void decode_payload(uint16_t type, const uint8_t *p, size_t len)
{
	struct proto_buf b;

	proto_buf_init_reader(&b, p, len);
	switch (type) {
	case PROTO_HELLO:
		get_u32(&b);
		get_str(&b, PROTO_MAX_NAME + 1);
		break;
	case PROTO_STATUS:
		get_names(&b);
		break;
	case PROTO_START:
	case PROTO_STOP:
	case PROTO_RESTART:
	case PROTO_KILL:
		get_str(&b, PROTO_MAX_NAME + 1);
		get_u32(&b);
		break;
	case PROTO_REEXEC:
		get_str(&b, PROTO_MAX_STR + 1);
		break;
	case PROTO_FDS_LIST:
	case PROTO_RESET_FAILED:
	case PROTO_RELOAD:
		get_str(&b, PROTO_MAX_NAME + 1);
		break;
	case PROTO_FD_GET:
	case PROTO_FD_STORE:
		get_str(&b, PROTO_MAX_NAME + 1);
		get_names(&b);
		break;
	case PROTO_LOGS:
		get_str(&b, PROTO_MAX_NAME + 1);
		get_u32(&b);
		get_u32(&b);
		break;
	case PROTO_R_OK:
		get_str(&b, PROTO_MAX_STR + 1);
		break;
	case PROTO_R_ERROR:
		get_i32(&b);
		get_str(&b, PROTO_MAX_STR + 1);
		break;
	case PROTO_R_HELLO:
		get_u32(&b);
		get_str(&b, PROTO_MAX_STR + 1);
		get_u32(&b);
		break;
	case PROTO_R_STATUS:
		get_status_records(&b);
		break;
	case PROTO_R_FDS:
		get_fd_records(&b);
		break;
	default:
		/* Unknown type: exercise the bare cursor with small strings. */
		while (!b.err && b.pos < b.len)
			get_str(&b, 32);
		break;
	}
	if (b.pos > b.len)
		abort();
	if (proto_get_end(&b) == 0 && (b.err || b.pos != len))
		abort();
	(void)proto_type_name(type);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_hdr h;
	uint8_t enc[PROTO_HDR_SIZE];

	if (proto_hdr_decode(data, size, &h) == 0) {
		if (h.len > PROTO_MAX_PAYLOAD || size != PROTO_HDR_SIZE + h.len ||
		    h.nfds > PROTO_MAX_FDS_PER_MSG)
			abort();
		proto_hdr_encode(&h, enc);
		if (memcmp(enc, data, PROTO_HDR_SIZE) != 0)
			abort();
		decode_payload(h.type, data + PROTO_HDR_SIZE, h.len);
	} else if (size >= PROTO_HDR_SIZE) {
		uint16_t type;

		memcpy(&type, data + 4, sizeof(type));
		decode_payload(type, data + PROTO_HDR_SIZE, size - PROTO_HDR_SIZE);
	}
	return 0;
}
