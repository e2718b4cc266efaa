/*
 * conf_exec.c - splitting command lines (ExecStart= and friends) and
 * Environment= values into words, as systemd does.
 *
 * Word splitting is systemd's extract_first_word() with EXTRACT_UNQUOTE |
 * EXTRACT_CUNESCAPE, in the form extract_first_word_and_warn() finally
 * accepts:
 *   - words are separated by runs of blanks (" \t\n\r");
 *   - a single or double quote anywhere in a word opens a quoted part that
 *     runs to the same quote character; blanks inside it don't split, and
 *     the quotes themselves are dropped ("a'b c'd" is one word "ab cd");
 *   - a backslash escape (C style: \n \t \\ \" \' \s \xNN \NNN \uNNNN
 *     \UNNNNNNNN ...) is decoded inside and outside quotes; an escape that
 *     does not decode is kept verbatim, backslash included (systemd warns
 *     and does the same);
 *   - an unterminated quote, or a backslash at the very end inside a quote,
 *     is an error.
 * "$VAR" and "${VAR}" are left as written: the daemon expands them at exec
 * time, when the environment is known.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_priv.h"

#define WHITESPACE " \t\n\r"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool unichar_valid(uint32_t c)
{
	if (c == 0 || c >= 0x110000 || (c & 0xFFFFF800) == 0xD800)
		return false;
	if ((c >= 0xFDD0 && c <= 0xFDEF) || (c & 0xFFFE) == 0xFFFE)
		return false;
	return true;
}

static size_t utf8_put(char *out, uint32_t c)
{
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (char)(0xC0 | (c >> 6));
		out[1] = (char)(0x80 | (c & 0x3F));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (char)(0xE0 | (c >> 12));
		out[1] = (char)(0x80 | ((c >> 6) & 0x3F));
		out[2] = (char)(0x80 | (c & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (c >> 18));
	out[1] = (char)(0x80 | ((c >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((c >> 6) & 0x3F));
	out[3] = (char)(0x80 | (c & 0x3F));
	return 4;
}

/* Hex digits for \u and \U; -1 if any is missing or not hex. */
static long hexn(const char *p, int n)
{
	long v = 0;

	for (int i = 0; i < n; i++) {
		int d = hexval(p[i]);
		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/*
 * Decode the escape at p (just after the backslash) into out. Returns the
 * number of input characters consumed and sets *outlen, or -EINVAL if the
 * escape is unknown or would produce a NUL byte unless accept_nul
 * (systemd's cunescape_one).
 */
static int unescape_one(const char *p, char *out, size_t *outlen, bool accept_nul)
{
	static const char simple_in[] = "abfnrtv\\\"'s";
	static const char simple_out[] = "\a\b\f\n\r\t\v\\\"' ";
	const char *hit = *p ? strchr(simple_in, *p) : NULL;
	long v;

	*outlen = 1;
	if (hit) {
		out[0] = simple_out[hit - simple_in];
		return 1;
	}
	switch (*p) {
	case 'x':
		v = hexn(p + 1, 2);
		if (v < 0 || (v == 0 && !accept_nul))
			return -EINVAL;
		out[0] = (char)v;
		return 3;
	case 'u':
	case 'U':
		v = hexn(p + 1, *p == 'u' ? 4 : 8);
		if (v < 0 || !(v == 0 ? accept_nul : unichar_valid((uint32_t)v)))
			return -EINVAL;
		*outlen = utf8_put(out, (uint32_t)v);
		return *p == 'u' ? 5 : 9;
	case '0': case '1': case '2': case '3':
	case '4': case '5': case '6': case '7':
		if (p[1] < '0' || p[1] > '7' || p[2] < '0' || p[2] > '7')
			return -EINVAL;
		v = (p[0] - '0') * 64 + (p[1] - '0') * 8 + (p[2] - '0');
		if ((v == 0 && !accept_nul) || v > 255)
			return -EINVAL;
		out[0] = (char)v;
		return 3;
	default:
		return -EINVAL;
	}
}

long conf_cunescape(const char *in, char *out, bool accept_nul)
{
	size_t o = 0;
	for (const char *p = in; *p; p++) {
		if (*p != '\\') {
			out[o++] = *p;
			continue;
		}
		size_t k;
		int r = unescape_one(p + 1, out + o, &k, accept_nul);
		if (r < 0)
			return -EINVAL;
		o += k;
		p += r;
	}
	return (long)o;
}

static int why(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int why(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (len > 0) {
		va_start(ap, fmt);
		vsnprintf(buf, len, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

int conf_extract_word(const char **pp, char **word, char *whybuf, size_t whylen)
{
	const char *p = *pp + strspn(*pp, WHITESPACE);
	char quote = 0, *s;
	size_t n = 0, k;
	int r;

	*word = NULL;
	if (*p == '\0') {
		*pp = p;
		return 0;
	}
	/* Decoding never makes text longer: every escape yields at most as many
	 * bytes as it is written with. */
	s = malloc(strlen(p) + 1);
	if (!s)
		return -ENOMEM;
	for (; *p; p++) {
		if (*p == '\\') {
			if (p[1] == '\0') {
				if (quote)
					break; /* reported below as unbalanced */
				s[n++] = '\\';
				continue;
			}
			r = unescape_one(p + 1, s + n, &k, false);
			if (r < 0) {
				s[n++] = '\\';
				s[n++] = p[1];
				p++;
			} else {
				n += k;
				p += r;
			}
		} else if (quote) {
			if (*p == quote)
				quote = 0;
			else
				s[n++] = *p;
		} else if (*p == '\'' || *p == '"') {
			quote = *p;
		} else if (strchr(WHITESPACE, *p)) {
			break;
		} else {
			s[n++] = *p;
		}
	}
	if (quote) {
		free(s);
		return why(whybuf, whylen, "unbalanced quoting");
	}
	s[n] = '\0';
	*pp = p + strspn(p, WHITESPACE);
	*word = s;
	return 1;
}

static int argv_add(struct exec_cmd *cmd, char *w)
{
	char **nv = realloc(cmd->argv, (cmd->argc + 2) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	cmd->argv = nv;
	nv[cmd->argc++] = w; /* now owned by cmd */
	nv[cmd->argc] = NULL;
	return 0;
}

/* Strip '-', '@', ':', '+', '!' and '!!' in any order, each once; '+'
 * excludes '!'. This is systemd's loop: the first character that does not
 * fit ends the prefix, even if it is a prefix character seen before. */
static const char *strip_prefix(const char *f, unsigned *flags)
{
	int priv = 0; /* 0 none, 1 '+', 2 '!', 3 '!!' */

	for (;; f++) {
		if (*f == '-' && !(*flags & EXEC_IGNORE_FAILURE))
			*flags |= EXEC_IGNORE_FAILURE;
		else if (*f == '@' && !(*flags & EXEC_ARGV0))
			*flags |= EXEC_ARGV0;
		else if (*f == ':' && !(*flags & EXEC_NO_ENV_EXPAND))
			*flags |= EXEC_NO_ENV_EXPAND;
		else if (*f == '+' && priv == 0)
			priv = 1;
		else if (*f == '!' && priv == 0)
			priv = 2;
		else if (*f == '!' && priv == 2)
			priv = 3;
		else
			break;
	}
	if (priv)
		*flags |= EXEC_PRIVILEGED;
	if (priv == 1)
		*flags |= EXEC_FULL_PRIVILEGE;
	return f;
}

/* Collapse "//" and drop "." components, as systemd's path_simplify(). */
static void path_simplify(char *path)
{
	char *r = path, *w = path;

	while (*r) {
		if (r[0] == '/' && (r[1] == '/' || (r[1] == '.' && (r[2] == '/' || r[2] == '\0')))) {
			r += r[1] == '/' ? 1 : 2;
			continue;
		}
		*w++ = *r++;
	}
	if (w == path)
		*w++ = '/';
	*w = '\0';
}

static int check_path(const char *path, char *err, size_t errlen)
{
	size_t n = strlen(path);

	if (n == 0)
		return why(err, errlen, "empty executable path");
	for (const char *c = path; *c; c++) {
		/* systemd's string_is_safe() */
		if ((unsigned char)*c < ' ' || *c == 0x7f || *c == '\\' || *c == '"' || *c == '\'')
			return why(err, errlen, "executable path contains special characters");
	}
	if (path[0] == '/') {
		if (path[n - 1] == '/')
			return why(err, errlen, "executable path '%s' is a directory", path);
		if (n >= 4096)
			return why(err, errlen, "executable path too long");
		return 0;
	}
	if (strchr(path, '/') || strcmp(path, ".") == 0 || strcmp(path, "..") == 0 || n > 255)
		return why(err, errlen, "'%s' is neither an absolute path nor a command name", path);
	return 0;
}

/* The words after the first; a lone unquoted ';' would start a second
 * command in old systemd, which we don't support. "\;" is a literal ';'. */
static int parse_args(const char *p, struct exec_cmd *cmd, char *err, size_t errlen)
{
	char *w;
	int r;

	for (;;) {
		p += strspn(p, WHITESPACE);
		if (*p == '\0')
			return 0;
		if (p[0] == ';' && (p[1] == '\0' || strchr(WHITESPACE, p[1])))
			return why(err, errlen, "';' between commands is not supported");
		if (p[0] == '\\' && p[1] == ';' && (p[2] == '\0' || strchr(WHITESPACE, p[2]))) {
			w = strdup(";");
			p += 2;
			r = w ? 1 : -ENOMEM;
		} else {
			r = conf_extract_word(&p, &w, err, errlen);
		}
		if (r <= 0)
			return r;
		r = argv_add(cmd, w);
		if (r < 0) {
			free(w);
			return r;
		}
	}
}

int conf_parse_exec(const char *s, struct exec_cmd *cmd, char *err, size_t errlen)
{
	const char *p = s, *f;
	char *first = NULL, *w;
	int r;

	memset(cmd, 0, sizeof(*cmd));
	if (errlen > 0)
		err[0] = '\0';
	r = conf_extract_word(&p, &first, err, errlen);
	if (r == 0)
		r = why(err, errlen, "empty command line");
	if (r < 0)
		goto fail;
	f = strip_prefix(first, &cmd->flags);
	cmd->path = strdup(f);
	if (!cmd->path) {
		r = -ENOMEM;
		goto fail;
	}
	if (!(cmd->flags & EXEC_ARGV0)) {
		w = strdup(f);
		if (!w || argv_add(cmd, w) < 0) {
			free(w);
			r = -ENOMEM;
			goto fail;
		}
	}
	r = parse_args(p, cmd, err, errlen);
	if (r < 0)
		goto fail;
	r = check_path(cmd->path, err, errlen);
	if (r < 0)
		goto fail;
	if (cmd->argc == 0) {
		r = why(err, errlen, "'@' given but no argv[0] follows the path");
		goto fail;
	}
	path_simplify(cmd->path);
	free(first);
	return 0;
fail:
	if (r == -ENOMEM)
		why(err, errlen, "out of memory");
	free(first);
	conf_exec_free(cmd);
	return r;
}

void conf_exec_free(struct exec_cmd *cmd)
{
	if (!cmd)
		return;
	for (size_t i = 0; i < cmd->argc; i++)
		free(cmd->argv[i]);
	free(cmd->argv);
	free(cmd->path);
	memset(cmd, 0, sizeof(*cmd));
}
