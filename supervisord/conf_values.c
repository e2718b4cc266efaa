/*
 * conf_values.c - scalar value syntax shared by all unit keys: timespans,
 * booleans, signals, unsigned numbers, modes, and the name checks for fd
 * names, unit names and environment variables.
 *
 * Each follows the systemd function of the same purpose (parse_sec(),
 * parse_boolean(), signal_from_string(), fdname_is_valid(), ...) so that a
 * unit file means the same thing here as under systemd. None allocates.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf_priv.h"

#define WHITESPACE " \t\n\r"
#define USEC_PER_SEC    1000000ULL
#define USEC_PER_MINUTE (60ULL * USEC_PER_SEC)
#define USEC_PER_HOUR   (60ULL * USEC_PER_MINUTE)
#define USEC_PER_DAY    (24ULL * USEC_PER_HOUR)
#define USEC_PER_WEEK   (7ULL * USEC_PER_DAY)
#define USEC_PER_MONTH  (2629800ULL * USEC_PER_SEC)  /* 30.44 days, as systemd */
#define USEC_PER_YEAR   (31557600ULL * USEC_PER_SEC) /* 365.25 days */

/* Order matters: the first prefix that matches wins ("ms" before "m",
 * "minutes" before "min" before "m"); this is systemd's table. */
static const struct {
	const char *suffix;
	uint64_t usec;
} time_units[] = {
	{ "seconds", USEC_PER_SEC }, { "second", USEC_PER_SEC }, { "sec", USEC_PER_SEC },
	{ "s", USEC_PER_SEC }, { "minutes", USEC_PER_MINUTE }, { "minute", USEC_PER_MINUTE },
	{ "min", USEC_PER_MINUTE }, { "months", USEC_PER_MONTH }, { "month", USEC_PER_MONTH },
	{ "M", USEC_PER_MONTH }, { "msec", 1000ULL }, { "ms", 1000ULL },
	{ "m", USEC_PER_MINUTE }, { "hours", USEC_PER_HOUR }, { "hour", USEC_PER_HOUR },
	{ "hr", USEC_PER_HOUR }, { "h", USEC_PER_HOUR }, { "days", USEC_PER_DAY },
	{ "day", USEC_PER_DAY }, { "d", USEC_PER_DAY }, { "weeks", USEC_PER_WEEK },
	{ "week", USEC_PER_WEEK }, { "w", USEC_PER_WEEK }, { "years", USEC_PER_YEAR },
	{ "year", USEC_PER_YEAR }, { "y", USEC_PER_YEAR }, { "usec", 1ULL },
	{ "us", 1ULL }, { "\xce\xbcs", 1ULL },
};

static const char *time_unit(const char *p, uint64_t *mult)
{
	for (size_t i = 0; i < sizeof(time_units) / sizeof(time_units[0]); i++) {
		size_t n = strlen(time_units[i].suffix);
		if (strncmp(p, time_units[i].suffix, n) == 0) {
			*mult = time_units[i].usec;
			return p + n;
		}
	}
	*mult = USEC_PER_SEC; /* a plain number is seconds */
	return p;
}

/* One "<number>[.<fraction>] [unit]" term; adds to *total. */
static int time_term(const char **pp, uint64_t *total)
{
	const char *p = *pp, *frac = NULL, *s;
	uint64_t whole = 0, mult, k, m;

	if (!isdigit((unsigned char)*p) && !(*p == '.' && isdigit((unsigned char)p[1])))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		if (whole > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		whole = whole * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		frac = ++p;
		while (isdigit((unsigned char)*p))
			p++;
		if (p == frac)
			return -EINVAL; /* "3." or "3.sec" */
	}
	s = time_unit(p + strspn(p, WHITESPACE), &mult);
	if (s == p && *s != '\0' && !strchr(WHITESPACE, *s))
		return -EINVAL; /* "12.34.56", "5x" */
	if (whole >= CONF_USEC_INFINITY / mult)
		return -EINVAL;
	k = whole * mult;
	if (k >= CONF_USEC_INFINITY - *total)
		return -EINVAL;
	*total += k;
	for (m = mult / 10; frac && isdigit((unsigned char)*frac); frac++, m /= 10) {
		k = (uint64_t)(*frac - '0') * m;
		if (k >= CONF_USEC_INFINITY - *total)
			return -EINVAL;
		*total += k;
	}
	*pp = s;
	return 0;
}

int conf_parse_timespan(const char *s, uint64_t *usec)
{
	const char *p = s + strspn(s, WHITESPACE);
	uint64_t total = 0;
	bool something = false;
	int r;

	if (strncmp(p, "infinity", 8) == 0) {
		p += 8;
		if (p[strspn(p, WHITESPACE)] != '\0')
			return -EINVAL;
		*usec = CONF_USEC_INFINITY;
		return 0;
	}
	for (;;) {
		p += strspn(p, WHITESPACE);
		if (*p == '\0')
			break;
		r = time_term(&p, &total);
		if (r < 0)
			return r;
		something = true;
	}
	if (!something)
		return -EINVAL;
	*usec = total;
	return 0;
}

int conf_parse_bool(const char *s, bool *b)
{
	static const char *const yes[] = { "1", "yes", "y", "true", "t", "on" };
	static const char *const no[] = { "0", "no", "n", "false", "f", "off" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*b = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*b = false;
			return 0;
		}
	}
	return -EINVAL;
}

static const char *const signal_names[] = {
	[SIGHUP] = "HUP", [SIGINT] = "INT", [SIGQUIT] = "QUIT", [SIGILL] = "ILL",
	[SIGTRAP] = "TRAP", [SIGABRT] = "ABRT", [SIGBUS] = "BUS", [SIGFPE] = "FPE",
	[SIGKILL] = "KILL", [SIGUSR1] = "USR1", [SIGSEGV] = "SEGV", [SIGUSR2] = "USR2",
	[SIGPIPE] = "PIPE", [SIGALRM] = "ALRM", [SIGTERM] = "TERM", [SIGSTKFLT] = "STKFLT",
	[SIGCHLD] = "CHLD", [SIGCONT] = "CONT", [SIGSTOP] = "STOP", [SIGTSTP] = "TSTP",
	[SIGTTIN] = "TTIN", [SIGTTOU] = "TTOU", [SIGURG] = "URG", [SIGXCPU] = "XCPU",
	[SIGXFSZ] = "XFSZ", [SIGVTALRM] = "VTALRM", [SIGPROF] = "PROF", [SIGWINCH] = "WINCH",
	[SIGIO] = "IO", [SIGPWR] = "PWR", [SIGSYS] = "SYS",
};

/* "RTMIN", "RTMIN+3", "RTMAX-1" (systemd accepts these too). */
static int rt_signal(const char *s, int *sig)
{
	unsigned off = 0;
	int base, dir;

	if (strncmp(s, "RTMIN", 5) == 0) {
		base = SIGRTMIN;
		dir = 1;
	} else if (strncmp(s, "RTMAX", 5) == 0) {
		base = SIGRTMAX;
		dir = -1;
	} else {
		return -EINVAL;
	}
	s += 5;
	if (*s != '\0') {
		if (*s != (dir > 0 ? '+' : '-') || conf_parse_unsigned(s + 1, 64, &off) < 0)
			return -EINVAL;
	}
	if ((int)off > SIGRTMAX - SIGRTMIN)
		return -EINVAL;
	*sig = base + dir * (int)off;
	return 0;
}

int conf_parse_signal(const char *s, int *sig)
{
	unsigned n;

	if (conf_parse_unsigned(s, _NSIG - 1, &n) == 0) {
		if (n == 0)
			return -EINVAL;
		*sig = (int)n;
		return 0;
	}
	if (strncmp(s, "SIG", 3) == 0)
		s += 3;
	for (size_t i = 1; i < sizeof(signal_names) / sizeof(signal_names[0]); i++) {
		if (signal_names[i] && strcmp(s, signal_names[i]) == 0) {
			*sig = (int)i;
			return 0;
		}
	}
	return rt_signal(s, sig);
}

/* Decimal only, no sign, no blanks; values above max are -EINVAL. */
int conf_parse_unsigned(const char *s, unsigned max, unsigned *out)
{
	unsigned long long v = 0;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return -EINVAL;
		v = v * 10 + (unsigned)(*s - '0');
		if (v > max)
			return -EINVAL;
	}
	*out = (unsigned)v;
	return 0;
}

/* systemd 252's exit status names (exit-status.c): libc, LSB, BSD's
 * sysexits.h and systemd's own, by code. */
static const char *const exit_names[256] = {
	[0] = "SUCCESS", [1] = "FAILURE",
	[2] = "INVALIDARGUMENT", [3] = "NOTIMPLEMENTED", [4] = "NOPERMISSION",
	[5] = "NOTINSTALLED", [6] = "NOTCONFIGURED", [7] = "NOTRUNNING",
	[64] = "USAGE", [65] = "DATAERR", [66] = "NOINPUT", [67] = "NOUSER", [68] = "NOHOST",
	[69] = "UNAVAILABLE", [70] = "SOFTWARE", [71] = "OSERR", [72] = "OSFILE", [73] = "CANTCREAT",
	[74] = "IOERR", [75] = "TEMPFAIL", [76] = "PROTOCOL", [77] = "NOPERM", [78] = "CONFIG",
	[200] = "CHDIR", [201] = "NICE", [202] = "FDS", [203] = "EXEC", [204] = "MEMORY",
	[205] = "LIMITS", [206] = "OOM_ADJUST", [207] = "SIGNAL_MASK", [208] = "STDIN",
	[209] = "STDOUT", [210] = "CHROOT", [211] = "IOPRIO", [212] = "TIMERSLACK",
	[213] = "SECUREBITS", [214] = "SETSCHEDULER", [215] = "CPUAFFINITY", [216] = "GROUP",
	[217] = "USER", [218] = "CAPABILITIES", [219] = "CGROUP", [220] = "SETSID",
	[221] = "CONFIRM", [222] = "STDERR", [224] = "PAM", [225] = "NETWORK",
	[226] = "NAMESPACE", [227] = "NO_NEW_PRIVILEGES", [228] = "SECCOMP",
	[229] = "SELINUX_CONTEXT", [230] = "PERSONALITY", [231] = "APPARMOR",
	[232] = "ADDRESS_FAMILIES", [233] = "RUNTIME_DIRECTORY", [235] = "CHOWN",
	[236] = "SMACK_PROCESS_LABEL", [237] = "KEYRING", [238] = "STATE_DIRECTORY",
	[239] = "CACHE_DIRECTORY", [240] = "LOGS_DIRECTORY", [241] = "CONFIGURATION_DIRECTORY",
	[242] = "NUMA_POLICY", [243] = "CREDENTIALS", [244] = "BPF", [255] = "EXCEPTION",
};

/* A name first, then a number, as systemd's exit_status_from_string(). */
int conf_parse_exit_status(const char *s, unsigned *code)
{
	for (unsigned i = 0; i < 256; i++) {
		if (exit_names[i] && strcmp(s, exit_names[i]) == 0) {
			*code = i;
			return 0;
		}
	}
	return conf_parse_unsigned(s, 255, code);
}

/* Octal file mode, at most 07777, as systemd's parse_mode(). */
int conf_parse_mode(const char *s, mode_t *out)
{
	unsigned v = 0;

	if (*s == '\0')
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '7')
			return -EINVAL;
		v = v * 8 + (unsigned)(*s - '0');
		if (v > 07777)
			return -EINVAL;
	}
	*out = (mode_t)v;
	return 0;
}

/* LISTEN_FDNAMES entries: printable ASCII without ':', 1..255 bytes.
 * systemd allows the empty name; we don't, since one empty name would
 * serialize as an empty variable. */
bool conf_fdname_valid(const char *s)
{
	size_t n = 0;

	for (; *s; s++, n++) {
		if (*s < ' ' || *s > '~' || *s == ':')
			return false;
	}
	return n >= 1 && n <= 255;
}

/* A unit name of any type ("network.target" is fine in After=): systemd's
 * character set, a non-empty prefix and a lowercase type suffix. */
bool conf_unit_name_valid(const char *s)
{
	const char *dot = strrchr(s, '.');
	size_t n = strlen(s);

	if (n == 0 || n > 255 || !dot || dot == s || dot[1] == '\0')
		return false;
	for (const char *p = s; *p; p++) {
		if (!isalnum((unsigned char)*p) && !strchr(":-_.\\@", *p))
			return false;
	}
	for (const char *p = dot + 1; *p; p++) {
		if (!islower((unsigned char)*p))
			return false;
	}
	return true;
}

bool conf_is_template(const char *name)
{
	return strstr(name, "@.") != NULL;
}

/* The first '@' up to the suffix is the instance, as systemd splits it. */
bool conf_template_of(const char *name, char *buf, size_t len)
{
	const char *at = strchr(name, '@');
	const char *dot = strrchr(name, '.');
	if (!at || !dot || dot <= at + 1)
		return false;
	int n = snprintf(buf, len, "%.*s%s", (int)(at - name + 1), name, dot);
	return n > 0 && (size_t)n < len;
}

bool conf_env_name_valid(const char *s, size_t n)
{
	if (n == 0 || isdigit((unsigned char)s[0]))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return false;
	}
	return true;
}

int conf_enum_lookup(const struct conf_enum *t, const char *s, int *out)
{
	for (; t->name; t++) {
		if (strcmp(t->name, s) == 0) {
			*out = t->value;
			return 0;
		}
	}
	return -EINVAL;
}
