/*
 * state_codec.h - the text encoding of the re-exec state, with no I/O.
 *
 * The state is a sequence of lines "KEY VALUE\n". KEY is [a-z0-9-]+;
 * VALUE is escaped so that it never contains a newline: '\\' -> "\\\\",
 * '\n' -> "\\n", other bytes below 0x20, 0x7f and above -> "\\xNN". A line
 * can therefore never inject another record (CVE-2018-15686 was exactly
 * that). The first line is "supervisord-state FORMAT"; the last line is
 * "checksum HEX16", a 64-bit hash of every byte before it: FNV-1a 64 in
 * format 1, state_checksum's word hash from format 2 on (the body is the
 * same; format 2 exists because hashing a byte at a time cost ~0.1 ms per
 * 100 KB on each side of a re-exec). Readers check the checksum before
 * trusting anything past the header.
 */
#ifndef SUPD_STATE_CODEC_H
#define SUPD_STATE_CODEC_H

#include <stddef.h>
#include <stdint.h>

#define STATE_FORMAT     2          /* the format this build writes */
#define STATE_FORMAT_MIN 1          /* the oldest it reads (and writes, for an older target) */
#define STATE_MAX_SIZE   (64u << 20)
#define STATE_MAX_LINE   (4u << 20) /* a unit file's text is one line */

struct state_out {
	char *buf;
	size_t len, cap;
	int err;                         /* sticky -ENOMEM */
	unsigned format;                 /* STATE_FORMAT unless the target reads only older */
};

void so_init(struct state_out *o);
void so_free(struct state_out *o);
/* Room for about n more bytes at once (a size known ahead saves the
 * copies of growing). A hint: capped at STATE_MAX_SIZE, and never an
 * error (the writes still check the bound and report running out). */
void so_reserve(struct state_out *o, size_t n);
/* "key value\n" with value escaped; len bytes (may contain NUL). */
void so_put(struct state_out *o, const char *key, const char *val, size_t len);
void so_str(struct state_out *o, const char *key, const char *val);
void so_u64(struct state_out *o, const char *key, uint64_t v);
void so_i64(struct state_out *o, const char *key, int64_t v);
/* Raw formatted value (callers use it for "N N name" tuples; the escaped
 * parts must have been escaped with so_escape). */
void so_fmt(struct state_out *o, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The decimal digits of v at p (at most 20, no NUL); returns how many:
 * for values built by hand, without vsnprintf. */
size_t so_digits(char *p, uint64_t v);
/* Append the checksum line (o->format's). */
void so_finish(struct state_out *o);

/* The checksum of format `format` (1: FNV-1a 64; 2 and later: words). The
 * state never leaves the host, so native byte order is fine. */
uint64_t state_checksum(unsigned format, const char *p, size_t n);

struct state_in {
	const char *p;   /* the whole document */
	size_t len;
	size_t pos;
	size_t body_end; /* offset of the checksum line */
	unsigned line;
	char *val;       /* unescaped value of the current line (owned, NUL-terminated) */
	size_t val_len;
	size_t val_cap;
	char key[32];
};

/* Check the checksum and header; 0, or -EBADMSG with a reason in err.
 * On success *format is the document's format number. */
int si_open(struct state_in *in, const char *p, size_t len, unsigned *format, char *err, size_t errlen);
/* Next line: 1 with key/val set, 0 at the end of the body, -EBADMSG on a
 * malformed line (bad key, bad escape, overlong). */
int si_next(struct state_in *in);
void si_close(struct state_in *in);

/* Strict number parsing: the whole string, in range. 0 or -EINVAL. */
int state_parse_u64(const char *s, uint64_t max, uint64_t *v);
int state_parse_i64(const char *s, int64_t min, int64_t max, int64_t *v);

#endif
