/* sysfilter_calls.c - SystemCallFilter= and SystemCallErrorNumber= read
 * into a struct sysf_calls (sysfilter.h); the filter is built from it in
 * sysfilter.c. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "syscall_sets.h"
#include "sysfilter.h"

_Static_assert(sizeof(((struct sysf_calls *)0)->err[0]) * 8 > 12, "an errno up to 4095 fits err[]");

/* The number of the call named w (n bytes) here: >= 0, -1 (systemd
 * knows it, this machine has none) or -2 (unknown). */
static int call_number(const char *w, size_t n)
{
	size_t lo = 0, hi = n_syscall_names;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *m = syscall_names[mid].name;
		int c = strncmp(w, m, n);
		if (c == 0 && m[n] != '\0')
			c = -1; /* w is a prefix of m */
		if (c == 0)
			return syscall_names[mid].nr;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -2;
}

static const struct syscall_set *find_set(const char *w, size_t n)
{
	for (size_t i = 0; i < n_syscall_sets; i++)
		if (strlen(syscall_sets[i].name) == n && strncmp(w, syscall_sets[i].name, n) == 0)
			return &syscall_sets[i];
	return NULL;
}

int sysfilter_parse_errno(const char *v, int *err)
{
	if (*v == '\0' || strcmp(v, "kill") == 0) {
		*err = SYSF_ERR_KILL;
		return 0;
	}
	char *end;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (*v >= '0' && *v <= '9' && *end == '\0' && errno == 0) {
		if (n > 4095)
			return -EINVAL;
		*err = (int)n;
		return 0;
	}
	for (int e = 1; e < 4096; e++) {
		const char *name = strerrorname_np(e);
		if (name && strcmp(name, v) == 0) {
			*err = e;
			return 0;
		}
	}
	return -EINVAL;
}

/* Add (or take away) the call nr with its answer. */
static void mark(struct sysf_calls *c, int nr, bool add, int err)
{
	if (nr < 0 || nr >= SYSF_NR_MAX)
		return;
	uint64_t bit = UINT64_C(1) << (nr % 64);
	if (add)
		c->set[nr / 64] |= bit;
	else
		c->set[nr / 64] &= ~bit;
	c->err[nr] = (short)(add ? err : SYSF_ERR_DEFAULT);
}

/* A name or "@group" (n bytes at w), groups within groups as systemd
 * nests them (depth-bounded). 0, or -1 if w names nothing known. */
static int apply(struct sysf_calls *c, const char *w, size_t n, bool add, int err, int depth)
{
	if (n > 0 && w[0] == '@') {
		const struct syscall_set *s = find_set(w, n);
		if (!s || depth > 8)
			return -1;
		for (const char *m = s->members; *m; m += strlen(m) + 1)
			apply(c, m, strlen(m), add, err, depth + 1);
		return 0;
	}
	int nr = call_number(w, n);
	if (nr == -2)
		return -1;
	mark(c, nr, add, err);
	return 0;
}

/* Count a skipped word; the first one's warning goes into why. */
__attribute__((format(printf, 4, 5))) static void warn(int *count, char *why, size_t len, const char *fmt, ...)
{
	if ((*count)++ > 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
}

int sysfilter_parse_calls(const char *v, struct sysf_calls **cp, char *why, size_t len)
{
	if (*v == '\0') {
		free(*cp);
		*cp = NULL;
		return 0;
	}
	bool invert = v[0] == '~';
	struct sysf_calls *c = *cp;
	if (!c) {
		if (!(c = *cp = calloc(1, sizeof *c)))
			return -ENOMEM;
		for (size_t i = 0; i < SYSF_NR_MAX; i++)
			c->err[i] = SYSF_ERR_DEFAULT;
		for (size_t i = 0; i < n_syscall_names; i++)
			if (syscall_names[i].nr > c->max_known && syscall_names[i].nr < SYSF_NR_MAX)
				c->max_known = (unsigned short)syscall_names[i].nr;
		c->allow = !invert;
		if (c->allow)
			apply(c, "@default", 8, true, SYSF_ERR_DEFAULT, 0);
	}
	bool add = invert != c->allow;
	int bad = 0;
	const char *p = v + invert;
	for (;;) {
		p += strspn(p, " \t");
		size_t n = strcspn(p, " \t");
		if (n == 0)
			break;
		const char *colon = memchr(p, ':', n);
		size_t name_n = colon ? (size_t)(colon - p) : n;
		int err = SYSF_ERR_DEFAULT;
		if (colon) {
			char e[64];
			size_t en = n - name_n - 1;
			if (!invert) {
				warn(&bad, why, len, "'%.*s': an allowed call takes no error number", (int)(n < 60 ? n : 60), p);
				p += n;
				continue;
			}
			snprintf(e, sizeof e, "%.*s", (int)(en < 63 ? en : 63), colon + 1);
			if (en == 0 || en > 63 || sysfilter_parse_errno(e, &err) < 0) {
				warn(&bad, why, len, "'%.*s': not an error number", (int)(n < 60 ? n : 60), p);
				p += n;
				continue;
			}
		}
		if (apply(c, p, name_n, add, err, 0) < 0)
			warn(&bad, why, len, "'%.*s' is not a system call or group systemd knows", (int)(name_n < 60 ? name_n : 60),
			     p);
		p += n;
	}
	return bad;
}
