/*
 * conf_stdio.c - a service's standard input and output: StandardInput=,
 * StandardOutput=, StandardError=, StandardInputText=, StandardInputData=,
 * and the fix-up systemd's service_fix_stdio makes once the section is read.
 *
 * The values are systemd.exec(5)'s. Where they go at run time is
 * execplan.c's (setup_stdio) and, for a terminal, tty.c's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf_priv.h"

/* "fd" or "fd:NAME": the name (dflt when none is given) into *d. */
static int fd_name(struct conf_ctx *x, const char *v, const char *dflt, char **d)
{
	const char *name = v[2] == ':' ? v + 3 : dflt;
	if (!conf_fdname_valid(name))
		return conf_why(x, "not a valid descriptor name");
	return (*d = strdup(name)) ? 0 : -ENOMEM;
}

/* The path after "file:" and the like: absolute, copied into *d. */
static int file_path(struct conf_ctx *x, const char *p, char **d)
{
	if (p[0] != '/')
		return conf_why(x, "file path must be absolute");
	return (*d = strdup(p)) ? 0 : -ENOMEM;
}

int conf_h_std_input(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	static const struct conf_enum plain[] = {
		{ "null", STDIN_NULL },		  { "socket", STDIN_SOCKET },
		{ "tty", STDIN_TTY },		  { "tty-force", STDIN_TTY_FORCE },
		{ "tty-fail", STDIN_TTY_FAIL },	  { "data", STDIN_DATA },
		{ NULL, 0 },
	};
	enum std_input *f = CONF_FIELD(x, k, enum std_input);
	char **path = CONF_FIELD2(x, k, char *), *d = NULL;
	int mode;

	if (*v == '\0') {
		mode = STDIN_NULL;
	} else if (conf_enum_lookup(plain, v, &mode) == 0) {
		;
	} else if (strncmp(v, "file:", 5) == 0) {
		mode = STDIN_FILE;
		int r = file_path(x, v + 5, &d);
		if (r < 0)
			return r;
	} else if (strcmp(v, "fd") == 0 || strncmp(v, "fd:", 3) == 0) {
		mode = STDIN_FD;
		int r = fd_name(x, v, "stdin", &d);
		if (r < 0)
			return r;
	} else {
		return conf_why(x, "unknown input");
	}
	free(*path);
	*path = d;
	*f = (enum std_input)mode;
	return 0;
}

int conf_h_std_output(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	static const struct conf_enum plain[] = {
		{ "inherit", STDOUT_INHERIT }, { "null", STDOUT_NULL }, { "socket", STDOUT_SOCKET },
		{ "tty", STDOUT_TTY },
		{ "journal", STDOUT_JOURNAL }, { "journal+console", STDOUT_JOURNAL },
		{ "kmsg", STDOUT_JOURNAL }, { "kmsg+console", STDOUT_JOURNAL },
		{ "syslog", STDOUT_JOURNAL }, { "syslog+console", STDOUT_JOURNAL }, { NULL, 0 },
	};
	enum std_output *f = CONF_FIELD(x, k, enum std_output);
	char **path = CONF_FIELD2(x, k, char *), *d = NULL;
	int mode;

	if (*v == '\0') {
		mode = STDOUT_UNSET; /* empty assignment: back to the default */
	} else if (conf_enum_lookup(plain, v, &mode) == 0) {
		;
	} else if (strncmp(v, "file:", 5) == 0 || strncmp(v, "append:", 7) == 0 || strncmp(v, "truncate:", 9) == 0) {
		mode = v[0] == 'f' ? STDOUT_FILE : v[0] == 'a' ? STDOUT_APPEND : STDOUT_TRUNCATE;
		int r = file_path(x, strchr(v, ':') + 1, &d);
		if (r < 0)
			return r;
	} else if (strcmp(v, "fd") == 0 || strncmp(v, "fd:", 3) == 0) {
		mode = STDOUT_FD;
		int r = fd_name(x, v, k->arg ? "stderr" : "stdout", &d);
		if (r < 0)
			return r;
	} else {
		return conf_why(x, "unknown output");
	}
	free(*path);
	*path = d;
	*f = (enum std_output)mode;
	return 0;
}

/* TTYPath=: an absolute path ("" back to /dev/console). */
int conf_h_tty_path(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	if (*v && *v != '/')
		return conf_why(x, "path must be absolute");
	return conf_h_string(x, k, v);
}

/* Append n bytes to the unit's input data, within systemd's bound. */
static int data_append(struct conf_ctx *x, const char *p, size_t n)
{
	struct svc_conf *s = &x->c->svc;
	if (n > CONF_STDIN_DATA_MAX - s->stdin_data_len)
		return conf_why(x, "standard input data over %u bytes", CONF_STDIN_DATA_MAX);
	char *nd = realloc(s->stdin_data, s->stdin_data_len + n + 1);
	if (!nd)
		return -ENOMEM;
	memcpy(nd + s->stdin_data_len, p, n);
	s->stdin_data = nd;
	s->stdin_data_len += n;
	return 0;
}

static int data_reset(struct conf_ctx *x)
{
	struct svc_conf *s = &x->c->svc;
	free(s->stdin_data);
	s->stdin_data = NULL;
	s->stdin_data_len = 0;
	return 0;
}

/* StandardInputText=: C escapes decoded, a newline after each line. */
int conf_h_stdin_text(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	(void)k;
	if (*v == '\0')
		return data_reset(x);
	size_t len = strlen(v);
	char *t = malloc(len + 2);
	if (!t)
		return -ENOMEM;
	long n = conf_cunescape(v, t, false);
	int r = n < 0 ? conf_why(x, "bad escape") : 0;
	if (r == 0) {
		t[n] = '\n';
		r = data_append(x, t, (size_t)n + 1);
	}
	free(t);
	return r;
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

long conf_unbase64(const char *in, char *out)
{
	unsigned acc = 0, bits = 0;
	size_t n = 0, pad = 0, chars = 0;
	for (const char *p = in; *p; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			continue;
		if (*p == '=') {
			pad++;
			continue;
		}
		int d = b64_value(*p);
		if (d < 0 || pad)
			return -EINVAL; /* not base64, or data after the padding */
		acc = (acc << 6) | (unsigned)d;
		bits += 6;
		chars++;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (char)(acc >> bits & 0xff);
		}
	}
	/* A lone sixth of a byte, leftover bits set, or padding that does
	 * not complete the last group: not what an encoder writes. */
	if (chars % 4 == 1 || (acc & ((1u << bits) - 1)) != 0 || (pad && (chars + pad) % 4 != 0) || pad > 2)
		return -EINVAL;
	return (long)n;
}

/* StandardInputData=: base64, whitespace ignored, appended as it decodes. */
int conf_h_stdin_data(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	(void)k;
	if (*v == '\0')
		return data_reset(x);
	char *t = malloc(strlen(v) / 4 * 3 + 3);
	if (!t)
		return -ENOMEM;
	long n = conf_unbase64(v, t);
	int r = n < 0 ? conf_why(x, "not valid base64") : data_append(x, t, (size_t)n);
	free(t);
	return r;
}

/* systemd's service_fix_stdio: text or data given means StandardInput=data
 * unless another input was chosen. Inherited output is stdin's only when
 * that is a terminal, a socket or a named descriptor (stdout then shares
 * it, execplan.c); from
 * anything else (/dev/null, a file, data) it goes to the journal, as an
 * unset one does. systemd cannot tell "inherit" written from its default,
 * and so neither do we. */
void conf_stdio_finish(struct svc_conf *s)
{
	if (s->std_input == STDIN_NULL && s->stdin_data_len > 0)
		s->std_input = STDIN_DATA;
	if (conf_stdin_tty(s->std_input) || s->std_input == STDIN_SOCKET || s->std_input == STDIN_FD)
		return;
	if (s->std_output == STDOUT_INHERIT)
		s->std_output = STDOUT_UNSET;
}

bool conf_svc_uses_tty(const struct svc_conf *s)
{
	return conf_stdin_tty(s->std_input) || s->std_output == STDOUT_TTY || s->std_error == STDOUT_TTY;
}

const char *conf_svc_tty_path(const struct svc_conf *s)
{
	return s->tty_path ? s->tty_path : "/dev/console";
}
