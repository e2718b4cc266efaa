/*
 * envfile.c - see envfile.h. A state machine over the bytes, as systemd's
 * parse_env_file_internal(), building each key and value in one buffer.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "envfile.h"

enum st {
	PRE_KEY,
	KEY,
	PRE_VALUE,
	VALUE,
	VALUE_ESCAPE,
	SQUOTE,
	DQUOTE,
	DQUOTE_ESCAPE,
	COMMENT,
	COMMENT_ESCAPE,
};

struct buf {
	char *p;
	size_t n, cap;
	bool oom;
};

static void put(struct buf *b, char c)
{
	if (b->oom)
		return;
	if (b->n + 1 >= b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	b->p[b->n++] = c;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static bool name_ok(const char *k, size_t n)
{
	if (n == 0 || (k[0] >= '0' && k[0] <= '9'))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = k[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

struct parser {
	struct buf b;       /* "KEY=VALUE" being built */
	size_t key_end;     /* b.n after the key's last non-space byte */
	size_t value_end;   /* b.n after the value's last byte that is not trailing bare whitespace */
	bool nul;           /* a NUL byte in this line */
	envfile_fn fn;
	void *ctx;
	int count;
	unsigned skipped;
};

/* The line's assignment is complete: b holds KEY (up to key_end), '=',
 * and the value (up to value_end). */
static int push(struct parser *x)
{
	struct buf *b = &x->b;
	if (b->oom)
		return -ENOMEM;
	const char *eq = memchr(b->p, '=', b->n);
	if (x->nul || !eq || !name_ok(b->p, x->key_end) || (size_t)(eq - b->p) != x->key_end) {
		x->skipped++;
		return 0;
	}
	char *s = malloc(x->value_end + 1);
	if (!s)
		return -ENOMEM;
	memcpy(s, b->p, x->value_end);
	s[x->value_end] = '\0';
	int r = x->fn(x->ctx, s);
	if (r < 0)
		return r;
	x->count++;
	return 0;
}

static void new_line(struct parser *x)
{
	x->b.n = 0;
	x->key_end = x->value_end = 0;
	x->nul = false;
}

int envfile_parse(const char *text, size_t len, envfile_fn fn, void *ctx, unsigned *skipped)
{
	struct parser x = { .fn = fn, .ctx = ctx };
	struct buf *b = &x.b;
	enum st st = PRE_KEY;
	int r = 0;

	for (size_t i = 0; i < len && r == 0; i++) {
		char c = text[i];
		if (c == '\0' && st != COMMENT && st != COMMENT_ESCAPE)
			x.nul = true;
		switch (st) {
		case PRE_KEY:
			if (c == '#' || c == ';')
				st = COMMENT;
			else if (c == '\n')
				new_line(&x);
			else if (!is_space(c)) {
				st = KEY;
				put(b, c);
				x.key_end = b->n;
			}
			break;
		case KEY:
			if (c == '\n') {
				/* A key without '=': nothing to set. */
				x.skipped++;
				new_line(&x);
				st = PRE_KEY;
			} else if (c == '=') {
				b->n = x.key_end; /* whitespace before '=' goes */
				put(b, '=');
				x.value_end = b->n;
				st = PRE_VALUE;
			} else {
				put(b, c);
				if (!is_space(c))
					x.key_end = b->n;
			}
			break;
		case PRE_VALUE:
			if (c == '\n') {
				r = push(&x);
				new_line(&x);
				st = PRE_KEY;
			} else if (c == '\'') {
				st = SQUOTE;
			} else if (c == '"') {
				st = DQUOTE;
			} else if (c == '\\') {
				st = VALUE_ESCAPE;
			} else if (!is_space(c)) {
				put(b, c);
				x.value_end = b->n;
				st = VALUE;
			}
			break;
		case VALUE:
			if (c == '\n') {
				r = push(&x); /* trailing whitespace is not in value_end */
				new_line(&x);
				st = PRE_KEY;
			} else if (c == '\\') {
				st = VALUE_ESCAPE;
			} else {
				put(b, c);
				if (!is_space(c))
					x.value_end = b->n;
			}
			break;
		case VALUE_ESCAPE:
			st = VALUE;
			if (c != '\n') { /* backslash-newline continues the line */
				put(b, c);
				x.value_end = b->n;
			}
			break;
		case SQUOTE:
			if (c == '\'') {
				st = PRE_VALUE;
			} else {
				put(b, c);
				x.value_end = b->n;
			}
			break;
		case DQUOTE:
			if (c == '"') {
				st = PRE_VALUE;
			} else if (c == '\\') {
				st = DQUOTE_ESCAPE;
			} else {
				put(b, c);
				x.value_end = b->n;
			}
			break;
		case DQUOTE_ESCAPE:
			st = DQUOTE;
			if (c == '"' || c == '\\' || c == '`' || c == '$') {
				put(b, c);
			} else if (c != '\n') {
				put(b, '\\');
				put(b, c);
			}
			x.value_end = b->n;
			break;
		case COMMENT:
			if (c == '\\')
				st = COMMENT_ESCAPE;
			else if (c == '\n') {
				new_line(&x);
				st = PRE_KEY;
			}
			break;
		case COMMENT_ESCAPE:
			st = COMMENT;
			break;
		}
		if (b->oom)
			r = -ENOMEM;
	}
	if (r == 0) {
		switch (st) {
		case PRE_VALUE:
		case VALUE:
		case VALUE_ESCAPE:
		case SQUOTE:
		case DQUOTE:
		case DQUOTE_ESCAPE:
			r = push(&x); /* the last line, without its newline */
			break;
		case KEY:
			x.skipped++;
			break;
		case PRE_KEY:
		case COMMENT:
		case COMMENT_ESCAPE:
			break;
		}
	}
	free(b->p);
	if (skipped)
		*skipped = x.skipped;
	return r < 0 ? r : x.count;
}

/* The whole file, bounded; -errno. */
static int read_file(const char *path, char **out, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
	}
	size_t cap = (size_t)st.st_size + 1, n = 0;
	if (cap > ENVFILE_MAX_BYTES + 1)
		cap = ENVFILE_MAX_BYTES + 1;
	char *p = malloc(cap);
	if (!p) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		if (n == cap) {
			if (cap > ENVFILE_MAX_BYTES) {
				free(p);
				close(fd);
				return -EFBIG;
			}
			size_t ncap = cap * 2 > ENVFILE_MAX_BYTES + 1 ? ENVFILE_MAX_BYTES + 1 : cap * 2;
			char *q = realloc(p, ncap);
			if (!q) {
				free(p);
				close(fd);
				return -ENOMEM;
			}
			p = q;
			cap = ncap;
		}
		ssize_t r = read(fd, p + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(p);
			close(fd);
			return -e;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (n > ENVFILE_MAX_BYTES) {
		free(p);
		return -EFBIG;
	}
	*out = p;
	*len = n;
	return 0;
}

static int load_one(const char *path, envfile_fn fn, void *ctx, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	int r = read_file(path, &text, &len);
	if (r < 0) {
		snprintf(err, errlen, "EnvironmentFile=%s: %s", path,
			 r == -EFBIG ? "larger than 1 MiB" : strerror(-r));
		return r;
	}
	unsigned skipped = 0;
	r = envfile_parse(text, len, fn, ctx, &skipped);
	free(text);
	if (r < 0)
		snprintf(err, errlen, "EnvironmentFile=%s: %s", path, strerror(-r));
	return r;
}

int envfile_load(const char *setting, envfile_fn fn, void *ctx, char *err, size_t errlen)
{
	bool optional = setting[0] == '-';
	const char *pattern = setting + optional;
	if (pattern[0] != '/') {
		snprintf(err, errlen, "EnvironmentFile=%s: not an absolute path", pattern);
		return -EINVAL;
	}
	if (!strpbrk(pattern, "*?[")) {
		int r = load_one(pattern, fn, ctx, err, errlen);
		return r == -ENOENT && optional ? 0 : r;
	}
	glob_t g;
	int gr = glob(pattern, 0, NULL, &g); /* sorted, as systemd reads them */
	if (gr == GLOB_NOMATCH) {
		globfree(&g);
		if (optional)
			return 0;
		snprintf(err, errlen, "EnvironmentFile=%s: no file matches", pattern);
		return -ENOENT;
	}
	if (gr != 0) {
		globfree(&g);
		snprintf(err, errlen, "EnvironmentFile=%s: %s", pattern, gr == GLOB_NOSPACE ? "out of memory" : "unreadable");
		return gr == GLOB_NOSPACE ? -ENOMEM : -EIO;
	}
	int total = 0;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		int r = load_one(g.gl_pathv[i], fn, ctx, err, errlen);
		if (r < 0 && !(r == -ENOENT && optional)) {
			globfree(&g);
			return r;
		}
		if (r > 0)
			total += r;
	}
	globfree(&g);
	return total;
}
