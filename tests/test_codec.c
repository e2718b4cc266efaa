/*
 * test_codec.c - the re-exec state's text encoding (state_codec.c) as a
 * unit: values that must come back byte for byte, and raw bytes the writer
 * never leaves unescaped, which the reader must refuse wherever they sit
 * (the reader checks eight bytes at a time, so every position in a word
 * and every offset of the word in the value is tried).
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "state_codec.h"

/* A whole document: header, one record "k VALUE" (raw, unescaped), checksum. */
static size_t doc_with(char *doc, size_t cap, const char *value, size_t vlen)
{
	size_t n = (size_t)snprintf(doc, cap, "supervisord-state %d\nk ", STATE_FORMAT);
	memcpy(doc + n, value, vlen);
	n += vlen;
	doc[n++] = '\n';
	n += (size_t)snprintf(doc + n, cap - n, "checksum %016" PRIx64 "\n", state_checksum(STATE_FORMAT, doc, n));
	return n;
}

/* si_next's verdict on the single record of a document. */
static int read_one(const char *doc, size_t len, struct state_in *in)
{
	unsigned format;
	char err[128];
	cr_assert_eq(si_open(in, doc, len, &format, err, sizeof err), 0, "%s", err);
	return si_next(in);
}

/* A whole document as the writer makes it: header, "k VALUE", checksum. */
static void write_one(struct state_out *o, const char *value, size_t vlen)
{
	so_init(o);
	so_fmt(o, "supervisord-state", "%d", STATE_FORMAT);
	so_put(o, "k", value, vlen);
	so_finish(o);
	cr_assert_eq(o->err, 0);
}

Test(codec, every_byte_value_round_trips)
{
	char value[300];
	for (int i = 0; i < 256; i++)
		value[i] = (char)i;
	memcpy(value + 256, "\\n\\x41 plain text\\", 18);
	struct state_out o;
	write_one(&o, value, sizeof value);
	struct state_in in;
	cr_assert_eq(read_one(o.buf, o.len, &in), 1);
	cr_assert_eq(in.val_len, sizeof value);
	cr_assert(!memcmp(in.val, value, sizeof value), "the value did not come back as written");
	si_close(&in);
	so_free(&o);
}

Test(codec, the_writer_escapes_a_byte_anywhere_in_a_word)
{
	/* The writer, too, skips plain bytes eight at a time: each byte it
	 * must escape, at each of 24 positions, is escaped and comes back. */
	const unsigned char odd[] = { 0x00, 0x0a, 0x1f, '\\', 0x7f, 0x80, 0xff };
	for (size_t b = 0; b < sizeof odd; b++) {
		for (size_t pos = 0; pos < 24; pos++) {
			char value[24];
			memset(value, 'c', sizeof value);
			value[pos] = (char)odd[b];
			struct state_out o;
			write_one(&o, value, sizeof value);
			const char *rec = strstr(o.buf, "\nk ") + 3;
			for (const char *c = rec; *c != '\n'; c++)
				cr_assert(*c >= 0x20 && *c < 0x7f, "byte 0x%02x at %zu written raw", odd[b], pos);
			struct state_in in;
			cr_assert_eq(read_one(o.buf, o.len, &in), 1);
			cr_expect_eq(in.val_len, sizeof value);
			cr_expect(!memcmp(in.val, value, sizeof value), "byte 0x%02x at %zu did not come back", odd[b],
				  pos);
			si_close(&in);
			so_free(&o);
		}
	}
}

Test(codec, a_reserve_is_a_hint_not_a_bound)
{
	/* state_write reserves a guess; one past the size bound must not
	 * fail a state that fits. */
	struct state_out o;
	so_init(&o);
	so_reserve(&o, (size_t)STATE_MAX_SIZE * 2);
	cr_expect_eq(o.err, 0, "a guess past the bound failed the state");
	so_fmt(&o, "supervisord-state", "%d", STATE_FORMAT);
	so_put(&o, "k", "v", 1);
	so_finish(&o);
	cr_assert_eq(o.err, 0);
	struct state_in in;
	cr_assert_eq(read_one(o.buf, o.len, &in), 1);
	cr_expect_str_eq(in.val, "v");
	si_close(&in);
	so_free(&o);
}

Test(codec, raw_bytes_the_writer_escapes_are_refused_anywhere)
{
	/* Each bad byte at each of 24 positions of a 24-byte plain value. */
	const unsigned char bad[] = { 0x00, 0x01, 0x09, 0x1f, 0x7f, 0x80, 0xc3, 0xff };
	char doc[256];
	for (size_t b = 0; b < sizeof bad; b++) {
		for (size_t pos = 0; pos < 24; pos++) {
			char value[24];
			memset(value, 'a', sizeof value);
			value[pos] = (char)bad[b];
			size_t len = doc_with(doc, sizeof doc, value, sizeof value);
			struct state_in in;
			int r = read_one(doc, len, &in);
			cr_expect_lt(r, 0, "byte 0x%02x at %zu was accepted", bad[b], pos);
			si_close(&in);
		}
	}
}

Test(codec, escapes_anywhere_in_a_word_are_decoded)
{
	/* "\\\\" and "\\n" at every offset of a 24-byte value. */
	char doc[256];
	const char *esc[] = { "\\\\", "\\n", "\\x7e" };
	const char want[] = { '\\', '\n', '~' };
	for (size_t e = 0; e < 3; e++) {
		for (size_t pos = 0; pos + strlen(esc[e]) <= 24; pos++) {
			char value[24];
			memset(value, 'b', sizeof value);
			memcpy(value + pos, esc[e], strlen(esc[e]));
			size_t len = doc_with(doc, sizeof doc, value, sizeof value);
			struct state_in in;
			cr_assert_eq(read_one(doc, len, &in), 1, "escape %s at %zu refused", esc[e], pos);
			size_t vlen = 24 - strlen(esc[e]) + 1;
			cr_expect_eq(in.val_len, vlen);
			cr_expect_eq(in.val[pos], want[e], "escape %s at %zu decoded as 0x%02x", esc[e], pos,
				     (unsigned char)in.val[pos]);
			for (size_t i = 0; i < vlen; i++)
				if (i != pos)
					cr_expect_eq(in.val[i], 'b', "byte %zu changed (escape at %zu)", i, pos);
			si_close(&in);
		}
	}
}

Test(codec, both_formats_checksums_are_checked)
{
	char doc[256];
	for (unsigned f = 1; f <= STATE_FORMAT; f++) {
		size_t n = (size_t)snprintf(doc, sizeof doc, "supervisord-state %u\nk v\n", f);
		n += (size_t)snprintf(doc + n, sizeof doc - n, "checksum %016" PRIx64 "\n", state_checksum(f, doc, n));
		struct state_in in;
		unsigned format;
		char err[128];
		cr_assert_eq(si_open(&in, doc, n, &format, err, sizeof err), 0, "format %u: %s", f, err);
		cr_expect_eq(format, f);
		si_close(&in);
		doc[n / 2] ^= 1; /* one bit anywhere before the checksum */
		cr_expect_lt(si_open(&in, doc, n, &format, err, sizeof err), 0, "format %u: a flipped bit passed", f);
	}
	/* Format 1's checksum under a format 2 header is refused. */
	size_t n = (size_t)snprintf(doc, sizeof doc, "supervisord-state 2\nk v\n");
	n += (size_t)snprintf(doc + n, sizeof doc - n, "checksum %016" PRIx64 "\n", state_checksum(1, doc, n));
	struct state_in in;
	unsigned format;
	char err[128];
	cr_expect_lt(si_open(&in, doc, n, &format, err, sizeof err), 0, "format 2 accepted format 1's checksum");
}

Test(codec, numbers_are_written_as_printf_would)
{
	const int64_t is[] = { 0, 1, -1, 42, -4095, INT32_MIN, INT64_MAX, INT64_MIN };
	const uint64_t us[] = { 0, 7, 10, 1000000, UINT32_MAX, UINT64_MAX };
	struct state_out o;
	char want[512];
	size_t n = 0;
	so_init(&o);
	for (size_t i = 0; i < sizeof is / sizeof is[0]; i++) {
		so_i64(&o, "i", is[i]);
		n += (size_t)snprintf(want + n, sizeof want - n, "i %" PRId64 "\n", is[i]);
	}
	for (size_t i = 0; i < sizeof us / sizeof us[0]; i++) {
		so_u64(&o, "u", us[i]);
		n += (size_t)snprintf(want + n, sizeof want - n, "u %" PRIu64 "\n", us[i]);
	}
	cr_assert_eq(o.err, 0);
	cr_expect_str_eq(o.buf, want);
	char d[24];
	d[so_digits(d, 18446744073709551615ull)] = '\0';
	cr_expect_str_eq(d, "18446744073709551615");
	so_free(&o);
}
