/*
 * unitfile.c - systemd unit-file syntax (see unitfile.h for the rules).
 *
 * The text is walked one physical line at a time. A line ending in an
 * unescaped backslash is appended to a pending "logical" line instead of
 * being parsed; the pending line is parsed once a line without a trailing
 * backslash (or the end of the text) arrives. This is systemd's
 * config_parse() loop: in particular a comment line inside a continuation is
 * dropped, and the following line is appended as is (its leading whitespace
 * is kept, the final value is trimmed once at the end).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unitfile.h"

struct buf {
	char *p;
	size_t len, cap;
};

struct parser {
	struct uf_file *out;
	char *section;         /* current section (in the pool), NULL before the first header */
	unsigned section_line;
	unsigned *errline;
	char *err;
	size_t errlen;
};

static int fail(struct parser *ps, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct parser *ps, unsigned line, const char *fmt, ...)
{
	va_list ap;

	*ps->errline = line;
	if (ps->errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(ps->err, ps->errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int buf_append(struct buf *b, const char *s, size_t n)
{
	char *np;
	size_t ncap;

	if (b->len + n + 1 > b->cap) {
		ncap = b->cap ? b->cap : 128;
		while (ncap < b->len + n + 1)
			ncap *= 2;
		np = realloc(b->p, ncap);
		if (!np)
			return -ENOMEM;
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

static inline bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* A copy of s[0..n) in the pool, NUL-terminated. The pool is sized
 * before parsing for the whole text (uf_parse), so it never moves:
 * entries point into it. */
static char *pool_dup(struct uf_file *f, const char *s, size_t n)
{
	if (f->pool_len + n + 1 > f->pool_cap)
		return NULL; /* cannot happen: see uf_parse */
	char *d = f->pool + f->pool_len;
	memcpy(d, s, n);
	d[n] = '\0';
	f->pool_len += n + 1;
	return d;
}

/* Trim s[0..*n) at both ends; returns the new start. */
static const char *trim(const char *s, size_t *n)
{
	while (*n && is_ws(*s)) {
		s++;
		(*n)--;
	}
	while (*n && is_ws(s[*n - 1]))
		(*n)--;
	return s;
}

static int add_entry(struct parser *ps, const char *key, size_t klen, const char *value, size_t vlen,
		     unsigned line)
{
	struct uf_file *f = ps->out;
	struct uf_entry *e, *nv;
	size_t ncap;

	if (f->n == f->cap) {
		ncap = f->cap ? f->cap * 2 : 16;
		nv = realloc(f->entries, ncap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		f->entries = nv;
		f->cap = ncap;
	}
	e = &f->entries[f->n];
	e->section = ps->section; /* shared by the section's entries */
	e->key = pool_dup(f, key, klen);
	e->value = pool_dup(f, value, vlen);
	e->line = line;
	e->section_line = ps->section_line;
	if (!e->key || !e->value)
		return -ENOMEM;
	f->n++;
	return 0;
}

static int parse_header(struct parser *ps, const char *l, size_t k, unsigned line)
{
	if (k < 2 || l[k - 1] != ']')
		return fail(ps, line, "invalid section header '%.*s'", (int)k, l);
	const char *name = l + 1;
	size_t n = k - 2;
	if (n == 0)
		return fail(ps, line, "empty section name");
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if ((unsigned char)c < ' ' || c == 0x7f || c == '[' || c == ']' || c == '"' || c == '\'' || c == '\\')
			return fail(ps, line, "bad character in section header '[%.*s]'", (int)n, name);
	}
	ps->section = pool_dup(ps->out, name, n);
	if (!ps->section)
		return -ENOMEM;
	ps->section_line = line;
	return 0;
}

/* One logical line s[0..n): blank, a section header, or Key=value. Read in
 * place: only the pieces kept are copied (into the pool). */
static int parse_logical(struct parser *ps, const char *s, size_t n, unsigned line)
{
	const char *l = trim(s, &n);

	if (n == 0)
		return 0;
	if (*l == '[')
		return parse_header(ps, l, n, line);
	if (!ps->section)
		return fail(ps, line, "assignment outside of any section: '%.*s'", (int)n, l);
	const char *eq = memchr(l, '=', n);
	if (!eq)
		return fail(ps, line, "missing '=' in '%.*s'", (int)n, l);
	size_t klen = (size_t)(eq - l), vlen = n - klen - 1;
	const char *key = trim(l, &klen);
	const char *value = trim(eq + 1, &vlen);
	if (klen == 0)
		return fail(ps, line, "missing key name before '='");
	return add_entry(ps, key, klen, value, vlen, line);
}

/* Does the line end in a backslash that is not itself escaped? */
static bool ends_escaped(const char *s, size_t n)
{
	/* An odd run of backslashes at the end: the last one is not escaped. */
	size_t k = 0;
	while (k < n && s[n - 1 - k] == '\\')
		k++;
	return k % 2 == 1;
}

/* Length of the physical line at text[pos]; *next is where the next starts.
 * Line ends are "\n", "\r\n" and a lone "\r", as systemd's read_line(). */
static size_t next_line(const char *text, size_t len, size_t pos, size_t *next)
{
	const char *p = text + pos;
	size_t rem = len - pos;
	const char *nl = memchr(p, '\n', rem);
	size_t i = nl ? (size_t)(nl - p) : rem;
	const char *cr = memchr(p, '\r', i);
	if (cr)
		i = (size_t)(cr - p);
	*next = pos + i;
	if (i < rem) {
		*next = pos + i + 1;
		if (p[i] == '\r' && i + 1 < rem && p[i + 1] == '\n')
			*next = pos + i + 2;
	}
	return i;
}

static int parse_all(struct parser *ps, const char *text, size_t len)
{
	struct buf cont = { 0 };
	unsigned line = 0, cont_line = 0;
	size_t pos = 0, next, n;
	const char *l;
	int r = 0;

	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		pos = 3; /* UTF-8 byte order mark */
	while (pos < len) {
		l = text + pos;
		n = next_line(text, len, pos, &next);
		pos = next;
		line++;
		if (memchr(l, '\0', n)) {
			r = fail(ps, line, "NUL byte in line");
			goto out;
		}
		if (n > UF_LINE_MAX) {
			r = fail(ps, line, "line too long (%zu bytes, limit %d)", n, UF_LINE_MAX);
			goto out;
		}
		size_t lead = 0;
		while (lead < n && (l[lead] == ' ' || l[lead] == '\t'))
			lead++;
		if (lead < n && (l[lead] == '#' || l[lead] == ';'))
			continue;
		if (cont.len == 0)
			cont_line = line;
		if (cont.len + n > UF_LINE_MAX) {
			r = fail(ps, cont_line, "continued line too long (limit %d bytes)", UF_LINE_MAX);
			goto out;
		}
		bool more = ends_escaped(l, n);
		if (cont.len == 0 && !more) {
			/* The usual line, not continued: parsed where it is. */
			r = parse_logical(ps, l, n, line);
			if (r < 0)
				goto out;
			continue;
		}
		r = buf_append(&cont, l, n);
		if (r < 0)
			goto out;
		if (more) {
			cont.p[cont.len - 1] = ' ';
			continue;
		}
		r = parse_logical(ps, cont.p, cont.len, cont_line);
		if (r < 0)
			goto out;
		cont.len = 0;
	}
	if (cont.len > 0)
		r = parse_logical(ps, cont.p, cont.len, cont_line);
out:
	free(cont.p);
	return r;
}

int uf_parse(const char *text, size_t len, struct uf_file *out,
	     unsigned *errline, char *err, size_t errlen)
{
	struct parser ps = { .out = out, .errline = errline, .err = err, .errlen = errlen };
	unsigned dummy;
	int r;

	memset(out, 0, sizeof(*out));
	if (!errline)
		ps.errline = &dummy;
	*ps.errline = 0;
	if (errlen > 0)
		err[0] = '\0';
	/* Every string an entry or header keeps is a piece of one logical line
	 * (key, value, section name) plus its NUL, two per line at most, and a
	 * logical line is never longer than the physical lines it joins; a
	 * line takes at least one byte of text but the last: 3 x len + 2 bytes
	 * are enough, so the pool is allocated once and never moves. */
	out->pool_cap = 3 * len + 16;
	out->pool = malloc(out->pool_cap);
	if (!out->pool)
		return -ENOMEM;
	r = parse_all(&ps, text, len);
	if (r < 0)
		uf_free(out);
	return r;
}

void uf_free(struct uf_file *f)
{
	if (!f)
		return;
	free(f->entries);
	free(f->pool);
	memset(f, 0, sizeof(*f));
}
