/*
 * state_codec.c - see state_codec.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state_codec.h"

static const char header_prefix[] = "supervisord-state ";

static uint64_t fnv1a(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* Format 2: four independent lanes over 8-byte words (the rounds of
 * xxHash64, not its exact output), then the tail, then an avalanche. A
 * guard against corruption, not against an adversary: the state comes
 * through a sealed memfd from our own previous image. */
#define K1 0x9e3779b185ebca87ull
#define K2 0xc2b2ae3d27d4eb4full
#define K3 0x165667b19e3779f9ull
#define K4 0x85ebca77c2b2ae63ull

static inline uint64_t rotl64(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

static inline uint64_t word(const char *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof v);
	return v;
}

static inline uint64_t lane(uint64_t acc, uint64_t w)
{
	return rotl64(acc + w * K2, 31) * K1;
}

static uint64_t words(const char *p, size_t n)
{
	uint64_t a = K1 + K2, b = K2, c = 0, d = -K1;
	size_t i = 0;
	for (; i + 32 <= n; i += 32) {
		a = lane(a, word(p + i));
		b = lane(b, word(p + i + 8));
		c = lane(c, word(p + i + 16));
		d = lane(d, word(p + i + 24));
	}
	uint64_t h = rotl64(a, 1) + rotl64(b, 7) + rotl64(c, 12) + rotl64(d, 18) + (uint64_t)n;
	for (; i + 8 <= n; i += 8)
		h = rotl64(h ^ lane(0, word(p + i)), 27) * K1 + K4;
	for (; i < n; i++)
		h = rotl64(h ^ ((unsigned char)p[i] * K3), 11) * K1;
	h ^= h >> 33;
	h *= K2;
	h ^= h >> 29;
	h *= K3;
	h ^= h >> 32;
	return h;
}

uint64_t state_checksum(unsigned format, const char *p, size_t n)
{
	return format <= 1 ? fnv1a(p, n) : words(p, n);
}

void so_init(struct state_out *o)
{
	memset(o, 0, sizeof *o);
	o->format = STATE_FORMAT;
}

void so_free(struct state_out *o)
{
	free(o->buf);
	memset(o, 0, sizeof *o);
}

static void grow(struct state_out *o, size_t more)
{
	if (o->err)
		return;
	if (o->len + more + 1 <= o->cap)
		return;
	size_t cap = o->cap ? o->cap : 4096;
	while (cap < o->len + more + 1)
		cap *= 2;
	if (cap > STATE_MAX_SIZE) {
		o->err = -EFBIG;
		return;
	}
	char *nb = realloc(o->buf, cap);
	if (!nb) {
		o->err = -ENOMEM;
		return;
	}
	o->buf = nb;
	o->cap = cap;
}

void so_reserve(struct state_out *o, size_t n)
{
	if (o->err)
		return;
	size_t cap = o->len + n + 1;
	if (cap > STATE_MAX_SIZE)
		cap = STATE_MAX_SIZE; /* a guess past the bound is no error: the writes decide */
	if (cap <= o->cap)
		return;
	char *nb = realloc(o->buf, cap);
	if (nb) { /* without it, the writes grow the buffer as usual */
		o->buf = nb;
		o->cap = cap;
	}
}

static void raw(struct state_out *o, const char *s, size_t n)
{
	grow(o, n);
	if (o->err)
		return;
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

#define ONES 0x0101010101010101ull
#define HIGH 0x8080808080808080ull

/* Has x a zero byte? (Exact as a yes/no: no false negatives.) */
static inline uint64_t has_zero(uint64_t x)
{
	return (x - ONES) & ~x & HIGH;
}

/* Are all eight bytes of x plain (0x20..0x7e, not '\\')? May say no for
 * a plain word; never says yes for one that is not. */
static inline bool word_is_plain(uint64_t x)
{
	uint64_t bad = x & HIGH;                    /* >= 0x80 */
	bad |= (x - 0x20 * ONES) & ~x & HIGH;       /* < 0x20 */
	bad |= has_zero(x ^ (0x7f * ONES));         /* 0x7f */
	bad |= has_zero(x ^ ((uint64_t)'\\' * ONES)); /* '\\' */
	return !bad;
}

/* A byte that goes into a value as it is. */
static inline bool plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '\\';
}

static void escaped(struct state_out *o, const char *v, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	grow(o, n * 4);
	if (o->err)
		return;
	char *w = o->buf + o->len;
	size_t i = 0;
	while (i < n) {
		/* Runs of plain bytes are copied whole (unit texts are mostly
		 * that, with a newline every few dozen bytes). */
		size_t j = i;
		while (j + 8 <= n) {
			uint64_t x;
			memcpy(&x, v + j, 8);
			if (!word_is_plain(x))
				break;
			j += 8;
		}
		while (j < n && plain((unsigned char)v[j]))
			j++;
		memcpy(w, v + i, j - i);
		w += j - i;
		if (j == n)
			break;
		unsigned char c = (unsigned char)v[j];
		if (c == '\\') {
			*w++ = '\\';
			*w++ = '\\';
		} else if (c == '\n') {
			*w++ = '\\';
			*w++ = 'n';
		} else {
			*w++ = '\\';
			*w++ = 'x';
			*w++ = hex[c >> 4];
			*w++ = hex[c & 15];
		}
		i = j + 1;
	}
	o->len = (size_t)(w - o->buf);
	o->buf[o->len] = '\0';
}

void so_put(struct state_out *o, const char *key, const char *val, size_t len)
{
	raw(o, key, strlen(key));
	raw(o, " ", 1);
	escaped(o, val ? val : "", val ? len : 0);
	raw(o, "\n", 1);
}

void so_str(struct state_out *o, const char *key, const char *val)
{
	so_put(o, key, val, val ? strlen(val) : 0);
}

size_t so_digits(char *p, uint64_t v)
{
	char t[20];
	size_t n = 0;
	do {
		t[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (size_t i = 0; i < n; i++)
		p[i] = t[n - 1 - i];
	return n;
}

/* "key digits\n" in one append: numbers are most of the records, and
 * vsnprintf for each was a third of the writing. */
static void number(struct state_out *o, const char *key, uint64_t v, bool neg)
{
	size_t kl = strlen(key);
	grow(o, kl + 24);
	if (o->err)
		return;
	char *w = o->buf + o->len;
	memcpy(w, key, kl);
	w += kl;
	*w++ = ' ';
	if (neg)
		*w++ = '-';
	w += so_digits(w, v);
	*w++ = '\n';
	*w = '\0';
	o->len = (size_t)(w - o->buf);
}

void so_u64(struct state_out *o, const char *key, uint64_t v)
{
	number(o, key, v, false);
}

void so_i64(struct state_out *o, const char *key, int64_t v)
{
	number(o, key, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v, v < 0);
}

void so_fmt(struct state_out *o, const char *key, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof buf) {
		o->err = o->err ? o->err : -EOVERFLOW;
		return;
	}
	raw(o, key, strlen(key));
	raw(o, " ", 1);
	raw(o, buf, (size_t)n);
	raw(o, "\n", 1);
}

void so_finish(struct state_out *o)
{
	if (o->err)
		return;
	char line[64];
	uint64_t h = state_checksum(o->format, o->buf, o->len);
	int n = snprintf(line, sizeof line, "checksum %016" PRIx64 "\n", h);
	raw(o, line, (size_t)n);
}

/* ---- reading ---- */

int si_open(struct state_in *in, const char *p, size_t len, unsigned *format, char *err, size_t errlen)
{
	memset(in, 0, sizeof *in);
	if (len < sizeof header_prefix || len > STATE_MAX_SIZE) {
		snprintf(err, errlen, "state of %zu bytes is not plausible", len);
		return -EBADMSG;
	}
	if (p[len - 1] != '\n') {
		snprintf(err, errlen, "state does not end with a newline (truncated?)");
		return -EBADMSG;
	}
	/* The checksum line is the last line. */
	size_t start = len - 1;
	while (start > 0 && p[start - 1] != '\n')
		start--;
	static const char ck[] = "checksum ";
	if (len - start != sizeof ck - 1 + 16 + 1 || memcmp(p + start, ck, sizeof ck - 1) != 0) {
		snprintf(err, errlen, "state has no checksum line");
		return -EBADMSG;
	}
	if (memcmp(p, header_prefix, sizeof header_prefix - 1) != 0) {
		snprintf(err, errlen, "not a supervisord state");
		return -EBADMSG;
	}
	size_t eol = sizeof header_prefix - 1;
	while (eol < start && p[eol] != '\n')
		eol++;
	char num[16];
	size_t nl = eol - (sizeof header_prefix - 1);
	if (nl == 0 || nl >= sizeof num) {
		snprintf(err, errlen, "bad state header");
		return -EBADMSG;
	}
	memcpy(num, p + sizeof header_prefix - 1, nl);
	num[nl] = '\0';
	uint64_t f;
	if (state_parse_u64(num, 1000000, &f) < 0 || f == 0) {
		snprintf(err, errlen, "bad state format number '%s'", num);
		return -EBADMSG;
	}
	/* The header names the checksum: format 1's, or (for 2 and every
	 * later one, which must keep it so that this image can still hand
	 * a state from the future back to its writer) the word hash. */
	char hexs[17];
	memcpy(hexs, p + start + sizeof ck - 1, 16);
	hexs[16] = '\0';
	char *end;
	errno = 0;
	uint64_t want = strtoull(hexs, &end, 16);
	if (errno || *end || state_checksum((unsigned)f, p, start) != want) {
		snprintf(err, errlen, "state checksum mismatch: the blob is corrupt");
		return -EBADMSG;
	}
	*format = (unsigned)f;
	in->p = p;
	in->len = len;
	in->pos = eol + 1;
	in->body_end = start;
	in->line = 1;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int si_next(struct state_in *in)
{
	if (in->pos >= in->body_end)
		return 0;
	in->line++;
	const char *l = in->p + in->pos;
	const char *nl = memchr(l, '\n', in->body_end - in->pos);
	if (!nl)
		return -EBADMSG;
	size_t n = (size_t)(nl - l);
	in->pos += n + 1;
	if (n > STATE_MAX_LINE)
		return -EBADMSG;
	const char *sp = memchr(l, ' ', n);
	size_t klen = sp ? (size_t)(sp - l) : n;
	if (klen == 0 || klen >= sizeof in->key)
		return -EBADMSG;
	for (size_t i = 0; i < klen; i++) {
		char c = l[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return -EBADMSG;
	}
	memcpy(in->key, l, klen);
	in->key[klen] = '\0';
	const char *v = sp ? sp + 1 : l + n;
	size_t vlen = (size_t)(l + n - v);
	if (vlen + 1 > in->val_cap) {
		char *nb = realloc(in->val, vlen + 1);
		if (!nb)
			return -ENOMEM;
		in->val = nb;
		in->val_cap = vlen + 1;
	}
	size_t w = 0;
	char *out = in->val;
	for (size_t i = 0; i < vlen; i++) {
		/* Eight plain bytes at a time while there are (unit texts are
		 * runs of them between escaped newlines). A word that may hold
		 * anything else goes a byte at a time below, which decides. */
		while (i + 8 <= vlen) {
			uint64_t x;
			memcpy(&x, v + i, 8);
			if (!word_is_plain(x))
				break;
			memcpy(out + w, &x, 8);
			w += 8;
			i += 8;
		}
		if (i >= vlen)
			break;
		unsigned char c = (unsigned char)v[i];
		if (c != '\\' && c >= 0x20 && c < 0x7f) {
			out[w++] = (char)c;
			continue;
		}
		if (c != '\\' || i + 1 >= vlen)
			return -EBADMSG; /* the writer escapes every other byte */
		char e = v[++i];
		if (e == '\\') {
			out[w++] = '\\';
		} else if (e == 'n') {
			out[w++] = '\n';
		} else if (e == 'x' && i + 2 < vlen && hexval(v[i + 1]) >= 0 && hexval(v[i + 2]) >= 0) {
			out[w++] = (char)(hexval(v[i + 1]) * 16 + hexval(v[i + 2]));
			i += 2;
		} else {
			return -EBADMSG;
		}
	}
	in->val[w] = '\0';
	in->val_len = w;
	return 1;
}

void si_close(struct state_in *in)
{
	free(in->val);
	in->val = NULL;
}

int state_parse_u64(const char *s, uint64_t max, uint64_t *v)
{
	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	char *end;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 10);
	if (errno || *end || x > max)
		return -EINVAL;
	*v = x;
	return 0;
}

int state_parse_i64(const char *s, int64_t min, int64_t max, int64_t *v)
{
	if (!s || !*s || *s == ' ' || *s == '+')
		return -EINVAL;
	char *end;
	errno = 0;
	long long x = strtoll(s, &end, 10);
	if (errno || *end || x < min || x > max)
		return -EINVAL;
	*v = x;
	return 0;
}
