/*
 * test_conf.c - unit-file syntax (unitfile.c) and its systemd meaning
 * (conf*.c): table tests, one case per directive at least, plus every error
 * path. Run under ASan: each test frees what it loads, so a leak in
 * conf_free() shows up as a failure.
 */
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <sched.h>
#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "caps.h"
#include "syscall_sets.h"
#include "sysfilter.h"
#include "conf.h"
#include "unitfile.h"

#define SEC 1000000ULL

struct diag_log {
	unsigned n_err, n_warn;
	char text[8192];
};

static void record(void *ctx, int is_error, const char *where, const char *msg)
{
	struct diag_log *d = ctx;
	size_t n = strlen(d->text);

	if (is_error)
		d->n_err++;
	else
		d->n_warn++;
	snprintf(d->text + n, sizeof(d->text) - n, "%s %s: %s\n", is_error ? "E" : "W", where, msg);
}

static struct diag_log dl;
static char err[512];

static int load(const char *name, const char *text, struct unit_conf *c)
{
	memset(&dl, 0, sizeof(dl));
	memset(err, 0, sizeof(err));
	return conf_load_text(name, "/u/x", text, strlen(text), c, err, sizeof(err), record, &dl);
}

/* Load a service made of `body` under [Service] plus an ExecStart. */
static void load_svc(const char *body, struct unit_conf *c)
{
	char text[4096];
	int r;

	snprintf(text, sizeof(text), "[Service]\nExecStart=/bin/true\n%s\n", body);
	r = load("a.service", text, c);
	cr_assert_eq(r, 0, "load of [%s] failed: %s", body, err);
	cr_assert_eq(dl.n_warn, 0, "unexpected warning: %s", dl.text);
}

static void load_sock(const char *body, struct unit_conf *c)
{
	char text[4096];
	int r;

	snprintf(text, sizeof(text), "[Socket]\nListenStream=8080\n%s\n", body);
	r = load("a.socket", text, c);
	cr_assert_eq(r, 0, "load of [%s] failed: %s", body, err);
	cr_assert_eq(dl.n_warn, 0, "unexpected warning: %s", dl.text);
}

/* A load that must fail with -EINVAL and an error starting with `prefix`. */
static void expect_fail(const char *name, const char *text, const char *prefix)
{
	struct unit_conf c;
	int r = load(name, text, &c);

	cr_expect_eq(r, -EINVAL, "'%s' loaded (r=%d)", text, r);
	if (r == 0)
		conf_free(&c);
	cr_expect(strncmp(err, prefix, strlen(prefix)) == 0, "err '%s' should start with '%s'", err, prefix);
	cr_expect_geq(dl.n_err, 1);
}

/* ---------------------------------------------------------------- syntax */

Test(unitfile, entries_and_lines, .timeout = 10)
{
	const char *t = "# comment\n; another\n\n[Unit]\n  Description  =  hello world  \n"
			"[Service]\nExecStart=/bin/a \\\n  b\nType=\n";
	struct uf_file f;
	unsigned line;
	char msg[128];

	cr_assert_eq(uf_parse(t, strlen(t), &f, &line, msg, sizeof(msg)), 0, "%s", msg);
	cr_assert_eq(f.n, 3);
	cr_expect_str_eq(f.entries[0].section, "Unit");
	cr_expect_str_eq(f.entries[0].key, "Description");
	cr_expect_str_eq(f.entries[0].value, "hello world");
	cr_expect_eq(f.entries[0].line, 5);
	cr_expect_eq(f.entries[0].section_line, 4);
	cr_expect_str_eq(f.entries[1].value, "/bin/a    b");
	cr_expect_eq(f.entries[1].line, 7);
	cr_expect_str_eq(f.entries[2].key, "Type");
	cr_expect_str_eq(f.entries[2].value, "");
	cr_expect_eq(f.entries[2].line, 9);
	uf_free(&f);
}

Test(unitfile, continuation_skips_comments, .timeout = 10)
{
	const char *t = "[S]\nK=a\\\n# inside\n; inside\nb\\\nc\nL=\\\\\nM=x\\";
	struct uf_file f;
	unsigned line;
	char msg[128];

	cr_assert_eq(uf_parse(t, strlen(t), &f, &line, msg, sizeof(msg)), 0, "%s", msg);
	cr_assert_eq(f.n, 3);
	cr_expect_str_eq(f.entries[0].value, "a b c");
	cr_expect_eq(f.entries[0].line, 2);
	cr_expect_str_eq(f.entries[1].value, "\\\\"); /* escaped backslash: no continuation */
	cr_expect_str_eq(f.entries[2].value, "x");    /* continuation at end of file */
	uf_free(&f);
}

Test(unitfile, crlf_bom_and_cr, .timeout = 10)
{
	const char *t = "\xef\xbb\xbf[S]\r\nA=1\r\nB=2\rC=3";
	struct uf_file f;
	unsigned line;
	char msg[128];

	cr_assert_eq(uf_parse(t, strlen(t), &f, &line, msg, sizeof(msg)), 0, "%s", msg);
	cr_assert_eq(f.n, 3);
	cr_expect_str_eq(f.entries[0].value, "1");
	cr_expect_eq(f.entries[2].line, 4);
	uf_free(&f);
}

static const struct {
	const char *text;
	size_t len; /* 0: strlen */
	unsigned line;
	const char *msg;
} syntax_errors[] = {
	{ "A=1\n[S]\n", 0, 1, "assignment outside" },
	{ "[S]\nA=1\njunk line\n", 0, 3, "missing '='" },
	{ "[S]\n=1\n", 0, 2, "missing key" },
	{ "[S\nA=1\n", 0, 1, "invalid section header" },
	{ "[]\nA=1\n", 0, 1, "empty section" },
	{ "[S]\nA=1\nB=\0x\n", 13, 3, "NUL byte" },
};

Test(unitfile, syntax_errors, .timeout = 10)
{
	for (size_t i = 0; i < sizeof(syntax_errors) / sizeof(syntax_errors[0]); i++) {
		const char *t = syntax_errors[i].text;
		size_t len = syntax_errors[i].len ? syntax_errors[i].len : strlen(t);
		struct uf_file f;
		unsigned line = 0;
		char msg[128];

		cr_expect_eq(uf_parse(t, len, &f, &line, msg, sizeof(msg)), -EINVAL, "case %zu", i);
		cr_expect_eq(line, syntax_errors[i].line, "case %zu: line %u", i, line);
		cr_expect(strstr(msg, syntax_errors[i].msg), "case %zu: '%s'", i, msg);
		cr_expect_eq(f.n, 0);
	}
}

Test(unitfile, long_lines, .timeout = 10)
{
	size_t n = UF_LINE_MAX + 100;
	char *t = malloc(n + 16);
	struct uf_file f;
	unsigned line;
	char msg[128];

	cr_assert(t);
	strcpy(t, "[S]\nA=");
	memset(t + 6, 'x', n - 6);
	t[n] = '\0';
	cr_expect_eq(uf_parse(t, n, &f, &line, msg, sizeof(msg)), -EINVAL);
	cr_expect_eq(line, 2);
	cr_expect(strstr(msg, "too long"), "%s", msg);

	/* Two halves under the limit each, over it once joined. */
	strcpy(t, "[S]\nA=");
	memset(t + 6, 'x', UF_LINE_MAX / 2 + 10);
	strcpy(t + 6 + UF_LINE_MAX / 2 + 10, "\\\n");
	size_t m = strlen(t);
	memset(t + m, 'y', UF_LINE_MAX / 2 + 10);
	t[m + UF_LINE_MAX / 2 + 10] = '\0';
	cr_expect_eq(uf_parse(t, strlen(t), &f, &line, msg, sizeof(msg)), -EINVAL);
	cr_expect(strstr(msg, "too long"), "%s", msg);
	free(t);
}

/* Through conf_load_text: syntax errors name file:line. */
Test(conf_errors, syntax_errors_name_file_line, .timeout = 10)
{
	struct unit_conf c;
	const char nul[] = "[Service]\nExecStart=/bin/true\nUser=a\0b\n";

	expect_fail("a.service", "ExecStart=/bin/true\n", "/u/x:1: assignment outside");
	expect_fail("a.service", "[Service]\nExecStart=/bin/true\nFoo\n", "/u/x:3: missing '='");
	memset(err, 0, sizeof(err));
	cr_expect_eq(conf_load_text("a.service", "/u/x", nul, sizeof(nul) - 1, &c, err, sizeof(err),
				    NULL, NULL), -EINVAL);
	cr_expect(strncmp(err, "/u/x:3: NUL", 11) == 0, "%s", err);
}

/* ---------------------------------------------------------------- values */

static const struct {
	const char *s;
	int r;
	uint64_t usec;
} timespans[] = {
	{ "0", 0, 0 },
	{ "5", 0, 5 * SEC },
	{ "100ms", 0, 100000 },
	{ "1.5s", 0, 1500000 },
	{ "1min 30s", 0, 90 * SEC },
	{ "1min30s", 0, 90 * SEC },
	{ "2h", 0, 7200 * SEC },
	{ "1hr", 0, 3600 * SEC },
	{ "3hours", 0, 3 * 3600 * SEC },
	{ "1d", 0, 86400 * SEC },
	{ "2 days", 0, 2 * 86400 * SEC },
	{ "1w", 0, 7 * 86400 * SEC },
	{ "5m", 0, 300 * SEC },
	{ "5min", 0, 300 * SEC },
	{ "2minutes", 0, 120 * SEC },
	{ "10sec", 0, 10 * SEC },
	{ "1second", 0, SEC },
	{ "20us", 0, 20 },
	{ "20usec", 0, 20 },
	{ "7msec", 0, 7000 },
	{ " 5s ", 0, 5 * SEC },
	{ ".5s", 0, 500000 },
	{ "0.25", 0, 250000 },
	{ "infinity", 0, CONF_USEC_INFINITY },
	{ "", -EINVAL, 0 },
	{ "-1s", -EINVAL, 0 },
	{ "abc", -EINVAL, 0 },
	{ "5x", -EINVAL, 0 },
	{ "5s x", -EINVAL, 0 },
	{ "3.", -EINVAL, 0 },
	{ "1.2.3", -EINVAL, 0 },
	{ "infinity 5", -EINVAL, 0 },
	{ "99999999999999999999", -EINVAL, 0 },
};

Test(values, timespan, .timeout = 10)
{
	for (size_t i = 0; i < sizeof(timespans) / sizeof(timespans[0]); i++) {
		uint64_t u = 42;
		int r = conf_parse_timespan(timespans[i].s, &u);

		cr_expect_eq(r, timespans[i].r, "'%s': r=%d", timespans[i].s, r);
		if (r == 0)
			cr_expect_eq(u, timespans[i].usec, "'%s': %llu", timespans[i].s,
				     (unsigned long long)u);
	}
}

Test(values, bool, .timeout = 10)
{
	static const char *const yes[] = { "1", "yes", "YES", "true", "True", "on", "y", "t" };
	static const char *const no[] = { "0", "no", "No", "false", "FALSE", "off", "n", "f" };
	static const char *const bad[] = { "", "2", "yess", "enable", " yes" };
	bool b;

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		b = false;
		cr_expect_eq(conf_parse_bool(yes[i], &b), 0, "%s", yes[i]);
		cr_expect(b, "%s", yes[i]);
		cr_expect_eq(conf_parse_bool(no[i], &b), 0, "%s", no[i]);
		cr_expect(!b, "%s", no[i]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(conf_parse_bool(bad[i], &b), -EINVAL, "'%s'", bad[i]);
}

Test(values, signal, .timeout = 10)
{
	static const struct {
		const char *s;
		int sig;
	} ok[] = {
		{ "SIGTERM", SIGTERM }, { "TERM", SIGTERM }, { "15", SIGTERM }, { "SIGKILL", SIGKILL },
		{ "HUP", SIGHUP }, { "SIGUSR2", SIGUSR2 }, { "SIGINT", SIGINT }, { "QUIT", SIGQUIT },
		{ "SIGWINCH", SIGWINCH }, { "9", 9 },
	};
	static const char *const bad[] = { "", "0", "SIGFOO", "sigterm", "65", "-1", "SIG" };
	int sig;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		cr_expect_eq(conf_parse_signal(ok[i].s, &sig), 0, "%s", ok[i].s);
		cr_expect_eq(sig, ok[i].sig, "%s", ok[i].s);
	}
	cr_expect_eq(conf_parse_signal("SIGRTMIN+2", &sig), 0);
	cr_expect_eq(sig, SIGRTMIN + 2);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(conf_parse_signal(bad[i], &sig), -EINVAL, "'%s'", bad[i]);
}

/* ------------------------------------------------------------ exec lines */

#define MAXW 6
static const struct {
	const char *line;
	const char *path;           /* NULL: must fail */
	const char *argv[MAXW + 1]; /* NULL-terminated */
	unsigned flags;
} execs[] = {
	{ "/bin/echo hello world", "/bin/echo", { "/bin/echo", "hello", "world" }, 0 },
	{ "  /bin/echo   a\tb  ", "/bin/echo", { "/bin/echo", "a", "b" }, 0 },
	{ "/bin/echo \"a b\" 'c d'", "/bin/echo", { "/bin/echo", "a b", "c d" }, 0 },
	{ "/bin/echo a\"b c\"d", "/bin/echo", { "/bin/echo", "ab cd" }, 0 },
	{ "/bin/echo 'it''s'", "/bin/echo", { "/bin/echo", "its" }, 0 },
	{ "/bin/echo \"\"", "/bin/echo", { "/bin/echo", "" }, 0 },
	{ "/bin/echo \"a\\\"b\"", "/bin/echo", { "/bin/echo", "a\"b" }, 0 },
	{ "/bin/echo 'a\\'b'", "/bin/echo", { "/bin/echo", "a'b" }, 0 },
	/* "\ " is no C escape: systemd warns and keeps it verbatim, one word. */
	{ "/bin/echo a\\ b", "/bin/echo", { "/bin/echo", "a\\ b" }, 0 },
	{ "/bin/echo \\n\\t\\\\", "/bin/echo", { "/bin/echo", "\n\t\\" }, 0 },
	{ "/bin/echo \\x41\\102\\s", "/bin/echo", { "/bin/echo", "AB " }, 0 },
	{ "/bin/echo \\u00e9", "/bin/echo", { "/bin/echo", "\xc3\xa9" }, 0 },
	{ "/bin/echo \\q \\x00", "/bin/echo", { "/bin/echo", "\\q", "\\x00" }, 0 },
	{ "/bin/echo $HOME ${USER}", "/bin/echo", { "/bin/echo", "$HOME", "${USER}" }, 0 },
	{ "/bin/echo \\;", "/bin/echo", { "/bin/echo", ";" }, 0 },
	{ "/bin/echo a;b", "/bin/echo", { "/bin/echo", "a;b" }, 0 },
	{ "-/bin/false", "/bin/false", { "/bin/false" }, EXEC_IGNORE_FAILURE },
	{ "@/bin/sh mysh -c x", "/bin/sh", { "mysh", "-c", "x" }, EXEC_ARGV0 },
	{ "-@/bin/sh mysh", "/bin/sh", { "mysh" }, EXEC_ARGV0 | EXEC_IGNORE_FAILURE },
	{ "+/bin/id", "/bin/id", { "/bin/id" }, EXEC_PRIVILEGED | EXEC_FULL_PRIVILEGE },
	{ "!/bin/id", "/bin/id", { "/bin/id" }, EXEC_PRIVILEGED },
	{ "!!/bin/id", "/bin/id", { "/bin/id" }, EXEC_PRIVILEGED },
	{ ":/bin/echo $X", "/bin/echo", { "/bin/echo", "$X" }, EXEC_NO_ENV_EXPAND },
	{ "-:+@/bin/sh sh", "/bin/sh", { "sh" },
	  EXEC_IGNORE_FAILURE | EXEC_NO_ENV_EXPAND | EXEC_PRIVILEGED | EXEC_FULL_PRIVILEGE | EXEC_ARGV0 },
	{ "\"/bin/my prog\" x", "/bin/my prog", { "/bin/my prog", "x" }, 0 },
	{ "echo hi", "echo", { "echo", "hi" }, 0 },
	{ "//usr//bin/./env", "/usr/bin/env", { "//usr//bin/./env" }, 0 },
	{ "", NULL, { NULL }, 0 },
	{ "   ", NULL, { NULL }, 0 },
	{ "-", NULL, { NULL }, 0 },
	{ "@/bin/sh", NULL, { NULL }, 0 },
	{ "bin/echo", NULL, { NULL }, 0 },
	{ "/bin/", NULL, { NULL }, 0 },
	{ "/bin/a\\tb", NULL, { NULL }, 0 },
	{ "\"/bin/it's\"", NULL, { NULL }, 0 },
	{ "/bin/echo \"unterminated", NULL, { NULL }, 0 },
	{ "/bin/echo 'x\\", NULL, { NULL }, 0 },
	{ "/bin/echo a ; /bin/echo b", NULL, { NULL }, 0 },
	{ "/bin/echo ;", NULL, { NULL }, 0 },
	{ "+!/bin/id", NULL, { NULL }, 0 },
	{ "!!!/bin/id", NULL, { NULL }, 0 },
};

Test(exec, split_table, .timeout = 10)
{
	for (size_t i = 0; i < sizeof(execs) / sizeof(execs[0]); i++) {
		struct exec_cmd cmd;
		char why[256] = "";
		int r = conf_parse_exec(execs[i].line, &cmd, why, sizeof(why));
		size_t n = 0;

		if (!execs[i].path) {
			cr_expect_eq(r, -EINVAL, "'%s' should fail", execs[i].line);
			cr_expect_neq(why[0], '\0', "'%s' gives no reason", execs[i].line);
			cr_expect_null(cmd.argv);
			continue;
		}
		cr_expect_eq(r, 0, "'%s': %s", execs[i].line, why);
		if (r < 0)
			continue;
		cr_expect_str_eq(cmd.path, execs[i].path, "'%s'", execs[i].line);
		cr_expect_eq(cmd.flags, execs[i].flags, "'%s': flags %#x", execs[i].line, cmd.flags);
		while (execs[i].argv[n])
			n++;
		cr_expect_eq(cmd.argc, n, "'%s': argc %zu", execs[i].line, cmd.argc);
		for (size_t j = 0; j < n && j < cmd.argc; j++)
			cr_expect_str_eq(cmd.argv[j], execs[i].argv[j], "'%s' argv[%zu]", execs[i].line, j);
		cr_expect_null(cmd.argv[cmd.argc]);
		conf_exec_free(&cmd);
	}
}

Test(exec, directives_accumulate_and_reset, .timeout = 10)
{
	struct unit_conf c;

	load_svc("ExecStartPre=/bin/a\nExecStartPre=-/bin/b x\nExecStartPost=/bin/c\n"
		 "ExecStop=/bin/d\nExecStop=\nExecStop=/bin/e\nExecReload=/bin/kill -HUP $MAINPID", &c);
	cr_expect_eq(c.svc.n_exec_start, 1);
	cr_expect_eq(c.svc.exec_start[0].line, 2);
	cr_assert_eq(c.svc.n_exec_start_pre, 2);
	cr_expect_str_eq(c.svc.exec_start_pre[1].argv[1], "x");
	cr_expect_eq(c.svc.exec_start_pre[1].flags, EXEC_IGNORE_FAILURE);
	cr_expect_eq(c.svc.exec_start_pre[1].line, 4);
	cr_expect_eq(c.svc.n_exec_start_post, 1);
	cr_assert_eq(c.svc.n_exec_stop, 1);
	cr_expect_str_eq(c.svc.exec_stop[0].path, "/bin/e");
	cr_assert_eq(c.svc.n_exec_reload, 1);
	cr_expect_str_eq(c.svc.exec_reload[0].argv[2], "$MAINPID");
	conf_free(&c);
}

Test(exec, specifiers, .timeout = 10)
{
	/* systemd.unit(5) "Specifiers": resolved in every value first. */
	struct unit_conf c;
	int r = conf_load_text("web-app@inst-a\\x2db.service", "/u/web-app@.service",
			       "[Service]\nExecStart=/bin/echo %n %N %p %P %i %I %j %J %f %% %y %Y 100%%\n",
			       strlen("[Service]\nExecStart=/bin/echo %n %N %p %P %i %I %j %J %f %% %y %Y 100%%\n"), &c,
			       err, sizeof(err), record, &dl);
	cr_assert_eq(r, 0, "%s", err);
	/* ExecStart= undoes C escapes after the specifiers, as in systemd:
	 * the \x2d that %n, %N and %i carry comes out as '-'. */
	const char *want[] = { "/bin/echo", "web-app@inst-a-b.service", "web-app@inst-a-b", "web-app",
			       "web/app", "inst-a-b", "inst/a-b", "app", "app", "/inst/a-b", "%",
			       "/u/web-app@.service", "/u", "100%" };
	cr_assert_eq(c.svc.exec_start[0].argc, sizeof want / sizeof want[0]);
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		cr_expect_str_eq(c.svc.exec_start[0].argv[i], want[i], "word %zu", i);
	conf_free(&c);

	/* Host and manager: %t is /run for root. */
	cr_assert_eq(load("a.service", "[Service]\nExecStart=/bin/echo %t %H %v %a %U\nEnvironment=D=%t/x\n", &c), 0,
		     "%s", err);
	if (geteuid() == 0) {
		cr_expect_str_eq(c.svc.exec_start[0].argv[1], "/run");
		cr_expect_str_eq(c.svc.environment[0], "D=/run/x");
	}
	char host[256] = "";
	gethostname(host, sizeof host - 1);
	cr_expect_str_eq(c.svc.exec_start[0].argv[2], host);
	char uid[16];
	snprintf(uid, sizeof uid, "%u", (unsigned)geteuid());
	cr_expect_str_eq(c.svc.exec_start[0].argv[5], uid);
	conf_free(&c);

	/* A plain unit: no instance, %f is the prefix. */
	cr_assert_eq(load("my-app.service", "[Service]\nExecStart=/bin/echo x%iy %f\n", &c), 0, "%s", err);
	cr_expect_str_eq(c.svc.exec_start[0].argv[1], "xy");
	cr_expect_str_eq(c.svc.exec_start[0].argv[2], "/my/app");
	conf_free(&c);

	/* Which templates must be parsed again for each instance: those
	 * whose values name the instance, not those that only look alike. */
	cr_assert_eq(load("t@.service", "[Service]\nExecStart=/bin/echo %p %t\nEnvironment=A=%%i\n", &c), 0, "%s", err);
	cr_expect(!c.per_instance, "%%p, %%t and a literal %%i do not differ between instances");
	conf_free(&c);
	cr_assert_eq(load("t@.service", "[Service]\nExecStart=/bin/echo\nEnvironment=A=%%%i\n", &c), 0, "%s", err);
	cr_expect(c.per_instance, "%%%%%%i holds a %%i");
	conf_free(&c);
	cr_assert_eq(load("t@.service", "[Service]\nExecStart=/bin/echo %N\n", &c), 0, "%s", err);
	cr_expect(c.per_instance);
	conf_free(&c);

	expect_fail("a.service", "[Service]\nExecStart=/bin/date +%Z\n", "/u/x:2: bad value for ExecStart=");
	cr_expect(strstr(err, "unknown specifier %Z (write %% for a %)"), "message: %s", err);
	expect_fail("a.service", "[Service]\nExecStart=/bin/echo 100%\n", "/u/x:2: bad value for ExecStart=");
	cr_expect(strstr(err, "a lone % at the end"), "message: %s", err);
}

Test(exec, oneshot_defaults, .timeout = 10)
{
	/* systemd: a oneshot's start has no time limit unless one is given;
	 * RemainAfterExit= keeps it active once done. */
	struct unit_conf c;
	cr_assert_eq(load("a.service", "[Service]\nType=oneshot\nExecStart=/bin/a\n", &c), 0, "%s", err);
	cr_expect_eq(c.svc.timeout_start_usec, CONF_USEC_INFINITY);
	cr_expect(!c.svc.remain_after_exit);
	conf_free(&c);
	cr_assert_eq(load("a.service", "[Service]\nType=oneshot\nExecStart=/bin/a\nTimeoutStartSec=5\nRemainAfterExit=yes\n",
			  &c), 0, "%s", err);
	cr_expect_eq(c.svc.timeout_start_usec, 5000000);
	cr_expect(c.svc.remain_after_exit);
	cr_expect_eq(dl.n_warn, 0, "warned: %s", dl.text);
	conf_free(&c);
	cr_assert_eq(load("a.service", "[Service]\nTimeoutSec=7\nType=oneshot\nExecStart=/bin/a\n", &c), 0, "%s", err);
	cr_expect_eq(c.svc.timeout_start_usec, 7000000);
	conf_free(&c);
	cr_assert_eq(load("a.service", "[Service]\nExecStart=/bin/a\n", &c), 0, "%s", err);
	cr_expect_eq(c.svc.timeout_start_usec, 90000000, "other types keep 90 s");
	conf_free(&c);
}

Test(exec, exec_start_rules, .timeout = 10)
{
	struct unit_conf c;

	/* Type=oneshot may have several; an empty assignment resets. */
	cr_assert_eq(load("a.service", "[Service]\nType=oneshot\nExecStart=/bin/a\nExecStart=/bin/b\n", &c), 0,
		     "%s", err);
	cr_expect_eq(c.svc.n_exec_start, 2);
	conf_free(&c);
	cr_assert_eq(load("a.service", "[Service]\nExecStart=/bin/a\nExecStart=\nExecStart=/bin/b\n", &c), 0,
		     "%s", err);
	cr_assert_eq(c.svc.n_exec_start, 1);
	cr_expect_str_eq(c.svc.exec_start[0].path, "/bin/b");
	conf_free(&c);

	expect_fail("a.service", "[Service]\nExecStart=/bin/a\nExecStart=/bin/b\n",
		    "/u/x:3: more than one ExecStart= for Type=simple");
	expect_fail("a.service", "[Service]\nExecStart=/bin/a\nExecStart=/bin/b\nType=notify\n",
		    "/u/x:3: more than one ExecStart= for Type=notify");
	expect_fail("a.service", "[Unit]\nDescription=x\n[Service]\nType=simple\n",
		    "/u/x:3: service has no ExecStart=");
	expect_fail("a.service", "[Service]\nExecStart=/bin/a\nExecStart=\n", "/u/x:1: service has no");
	expect_fail("a.service", "[Service]\nExecStart=bin/a\n", "/u/x:2: bad value for ExecStart=: 'bin/a'");
	expect_fail("a.service", "[Service]\nExecStart=/bin/a 'x\n", "/u/x:2: bad value for ExecStart=");
}

/* ---------------------------------------------------------- [Unit] etc. */

Test(unit, description_and_dependencies, .timeout = 10)
{
	struct unit_conf c;

	cr_assert_eq(load("web.service",
			  "[Unit]\nDescription=My web  server\nRequires=a.socket b.service\n"
			  "Requires=c.service\nWants=x.service\nWants=\nWants=y.service\n"
			  "After=network.target a.socket\nBefore=z.service\nBindsTo=b.service\n"
			  "PartOf=p.service\n[Service]\nExecStart=/bin/true\n"
			  "[Install]\nWantedBy=multi-user.target\nWantedBy=default.target\n"
			  "Alias=w.service\nRequiredBy=q.service\nAlso=web.socket\n", &c), 0, "%s", err);
	cr_expect_eq(dl.n_warn, 0, "%s", dl.text);
	cr_expect_str_eq(c.name, "web.service");
	cr_expect_str_eq(c.path, "/u/x");
	cr_expect_eq(c.kind, UNIT_SERVICE);
	cr_expect_str_eq(c.description, "My web  server");
	cr_assert_eq(c.n_requires, 3);
	cr_expect_str_eq(c.requires[0], "a.socket");
	cr_expect_str_eq(c.requires[2], "c.service");
	cr_expect_null(c.requires[3]);
	cr_assert_eq(c.n_wants, 1);
	cr_expect_str_eq(c.wants[0], "y.service");
	cr_assert_eq(c.n_after, 2);
	cr_expect_str_eq(c.after[0], "network.target");
	cr_expect_eq(c.n_before, 1);
	cr_expect_eq(c.n_binds_to, 1);
	cr_expect_eq(c.n_part_of, 1);
	cr_assert_eq(c.n_wanted_by, 2);
	cr_expect_str_eq(c.wanted_by[1], "default.target");
	conf_free(&c);

	expect_fail("a.service", "[Unit]\nAfter=not/a/unit\n[Service]\nExecStart=/bin/true\n",
		    "/u/x:2: bad value for After=: 'not/a/unit'");
}

Test(unit, start_limit, .timeout = 10)
{
	struct unit_conf c;

	cr_assert_eq(load("a.service", "[Unit]\nStartLimitIntervalSec=30s\nStartLimitBurst=3\n"
				       "[Service]\nExecStart=/bin/true\n", &c), 0, "%s", err);
	cr_expect_eq(c.svc.start_limit_interval_usec, 30 * SEC);
	cr_expect_eq(c.svc.start_limit_burst, 3);
	conf_free(&c);

	/* Accepted and ignored on sockets. */
	cr_assert_eq(load("a.socket", "[Unit]\nStartLimitIntervalSec=30s\nStartLimitBurst=3\n"
				      "[Socket]\nListenStream=80\n", &c), 0, "%s", err);
	cr_expect_eq(dl.n_warn, 0, "%s", dl.text);
	cr_expect_eq(c.sock.backlog, 4096);
	conf_free(&c);
	expect_fail("a.service", "[Unit]\nStartLimitBurst=x\n[Service]\nExecStart=/bin/true\n",
		    "/u/x:2: bad value for StartLimitBurst=: 'x'");
}

Test(unit, kind_from_name, .timeout = 10)
{
	struct unit_conf c;

	expect_fail("a.timer", "[Timer]\n", "/u/x: invalid unit name");
	expect_fail("service", "[Service]\nExecStart=/bin/true\n", "/u/x: invalid unit name");
	cr_expect_eq(load("a@b.service", "[Service]\nExecStart=/bin/true\n", &c), 0, "%s", err);
	conf_free(&c);
}

/* Documentation= and the settings about targets and isolation are taken
 * without a warning: there is nothing they could do here. RefuseManual*=
 * are read. */
Test(conf, silent_and_refuse_keys, .timeout = 10)
{
	struct unit_conf c;
	cr_assert_eq(load("a.service",
			  "[Unit]\nDocumentation=man:a(8) https://example.org\nDefaultDependencies=no\n"
			  "IgnoreOnIsolate=yes\nAllowIsolate=no\nRefuseManualStart=yes\nRefuseManualStop=no\n"
			  "[Service]\nExecStart=/bin/true\n", &c), 0, "%s", err);
	cr_expect_eq(dl.n_warn, 0, "%s", dl.text);
	cr_expect(c.refuse_manual_start && !c.refuse_manual_stop);
	cr_expect(c.success_action == CONF_ACTION_NONE && c.success_action_exit_status == -1, "the defaults");
	conf_free(&c);
	cr_assert_eq(load("a.service",
			  "[Unit]\nSuccessAction=exit\nFailureAction=poweroff-force\nFailureActionExitStatus=9\n"
			  "SuccessActionExitStatus=3\nSuccessActionExitStatus=\n[Service]\nExecStart=/bin/true\n", &c), 0,
		     "%s", err);
	cr_expect_eq(c.success_action, CONF_ACTION_EXIT);
	cr_expect_eq(c.failure_action, CONF_ACTION_MACHINE);
	cr_expect_eq(c.failure_action_exit_status, 9);
	cr_expect_eq(c.success_action_exit_status, -1, "an empty value: the default again");
	cr_expect_eq(dl.n_warn, 1, "the machine action is warned about: %s", dl.text);
	conf_free(&c);
	cr_expect_neq(load("a.service", "[Unit]\nFailureAction=explode\n[Service]\nExecStart=/bin/true\n", &c), 0);
	cr_expect_neq(load("a.service", "[Unit]\nFailureActionExitStatus=256\n[Service]\nExecStart=/bin/true\n", &c), 0);
}

/* OnFailure=/OnSuccess=/Conflicts=: unit lists with specifiers, as Wants=. */
Test(conf, on_failure_on_success, .timeout = 10)
{
	struct unit_conf c;
	cr_assert_eq(load("app.service",
			  "[Unit]\nOnFailure=notify@%n.service mail.service\nOnSuccess=done.service\nOnSuccess=\n"
			  "OnSuccess=after.service\nConflicts=other@%p.service\nRequisite=base.service\n"
			  "Upholds=kept.service\nStopWhenUnneeded=yes\nPropagatesReloadTo=r.service\n"
			  "StopPropagatedFrom=s.service\n"
			  "[Service]\nExecStart=/bin/true\n", &c), 0,
		     "%s", err);
	cr_assert_eq(c.n_on_failure, 2);
	cr_expect_str_eq(c.on_failure[0], "notify@app.service.service");
	cr_expect_str_eq(c.on_failure[1], "mail.service");
	cr_assert_eq(c.n_on_success, 1, "an empty assignment empties the list");
	cr_expect_str_eq(c.on_success[0], "after.service");
	cr_assert_eq(c.n_conflicts, 1);
	cr_expect_str_eq(c.conflicts[0], "other@app.service");
	cr_assert_eq(c.n_requisite, 1);
	cr_expect_str_eq(c.requisite[0], "base.service");
	cr_assert_eq(c.n_upholds, 1);
	cr_expect_str_eq(c.upholds[0], "kept.service");
	cr_expect(c.stop_when_unneeded);
	cr_expect(c.n_propagates_reload_to == 1 && !strcmp(c.propagates_reload_to[0], "r.service"));
	cr_expect(c.n_stop_propagated_from == 1 && !strcmp(c.stop_propagated_from[0], "s.service"));
	cr_expect_eq(dl.n_warn, 0, "%s", dl.text);
	conf_free(&c);
	cr_expect_neq(load("a.service", "[Unit]\nOnFailure=bad/name\n[Service]\nExecStart=/bin/true\n", &c), 0);
	/* DefaultInstance=, for a template. */
	cr_assert_eq(load("t@.service", "[Service]\nExecStart=/bin/true\n[Install]\nDefaultInstance=main-1\n", &c), 0, "%s",
		     err);
	cr_expect_str_eq(c.default_instance, "main-1");
	conf_free(&c);
	cr_expect_neq(load("t@.service", "[Service]\nExecStart=/bin/true\n[Install]\nDefaultInstance=a/b\n", &c), 0);
	cr_expect(strstr(err, "not a valid instance name"), "%s", err);
	/* A template itself reads "%i" as nothing: a value that names the
	 * instance is judged in each instance (Debian's systemd-fsck@.service
	 * has BindsTo=%i.device), and one that does not is judged here. */
	const char *deps = "[Unit]\nWants=%i.service\nAfter=x-%i.service\n[Service]\nExecStart=/bin/true\n";
	cr_assert_eq(load("t@.service", deps, &c), 0, "%s", err);
	cr_expect_eq(dl.n_warn, 0, "%s", dl.text);
	cr_expect_eq(c.n_wants, 0);
	conf_free(&c);
	cr_assert_eq(load("t@a.service", deps, &c), 0, "%s", err);
	cr_expect(c.n_wants == 1 && !strcmp(c.wants[0], "a.service"));
	conf_free(&c);
	cr_expect_neq(load("t@.service", "[Unit]\nWants=.service\n[Service]\nExecStart=/bin/true\n", &c), 0);
	cr_expect(strstr(err, "invalid unit name"), "%s", err);
	cr_expect_neq(load("t.service", "[Unit]\nWants=%i.service\n[Service]\nExecStart=/bin/true\n", &c), 0,
		      "not a template: an error");
}

/* The socket options: sizes with K/M/G, IPTOS= names, Timestamping=,
 * Symlinks= only with exactly one path in the file system. */
Test(conf, socket_options, .timeout = 10)
{
	struct unit_conf c;
	cr_assert_eq(load("a.socket",
			  "[Socket]\nListenStream=/run/a.sock\nReceiveBuffer=8M\nSendBuffer=65536\nPipeSize=1K\n"
			  "IPTOS=throughput\nIPTTL=3\nPriority=\nTimestamping=usec\nKeepAliveTimeSec=2min\n"
			  "Symlinks=/run/b.sock\nSymlinks=\nSymlinks=/run/c.sock /run/d.sock\n", &c), 0, "%s", err);
	cr_expect_eq(c.sock.receive_buffer, 8u << 20);
	cr_expect_eq(c.sock.send_buffer, 65536);
	cr_expect_eq(c.sock.pipe_size, 1024);
	cr_expect_eq(c.sock.ip_tos, 0x08);
	cr_expect_eq(c.sock.ip_ttl, 3);
	cr_expect_eq(c.sock.priority, 0, "unset");
	cr_expect_eq(c.sock.mark, 0, "unset");
	cr_expect_eq(c.sock.timestamping, 1);
	cr_expect_eq(c.sock.keep_alive_time_usec, 120000000u);
	cr_assert_eq(c.sock.n_symlinks, 2);
	cr_expect_str_eq(c.sock.symlinks[0], "/run/c.sock");
	conf_free(&c);
	const char *bad[] = { "ReceiveBuffer=lots", "ReceiveBuffer=3G", "IPTTL=256", "Timestamping=ms",
			      "Symlinks=relative", "BindToDevice=a/b" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char t[256];
		snprintf(t, sizeof t, "[Socket]\nListenStream=/run/a.sock\n%s\n", bad[i]);
		cr_expect_neq(load("a.socket", t, &c), 0, "%s was taken", bad[i]);
	}
	cr_expect_neq(load("a.socket", "[Socket]\nListenStream=80\nSymlinks=/run/x\n", &c), 0);
	cr_expect(strstr(err, "exactly one socket or FIFO"), "%s", err);
}

/* Template and instance names, as systemd splits them: the
 * first '@', up to the suffix. */
Test(conf, template_names, .timeout = 10)
{
	char t[64];
	cr_expect(conf_template_of("w@1.service", t, sizeof t) && !strcmp(t, "w@.service"), "%s", t);
	cr_expect(conf_template_of("a@b@c.socket", t, sizeof t) && !strcmp(t, "a@.socket"), "%s", t);
	cr_expect(!conf_template_of("w@.service", t, sizeof t), "a template has no instance");
	cr_expect(!conf_template_of("plain.service", t, sizeof t));
	cr_expect(!conf_template_of("w@1", t, sizeof t), "no suffix");
	cr_expect(!conf_template_of("w@1.service", t, 8), "too long for the buffer");
	cr_expect(conf_is_template("w@.service") && !conf_is_template("w@1.service"));
}

/* An empty file and a link to /dev/null are masked units, as in systemd:
 * not loaded, and the error says so (a file with only a comment is not). */
Test(conf, masked_units, .timeout = 10)
{
	struct unit_conf c;
	cr_expect_lt(load("a.service", "", &c), 0);
	cr_expect(strstr(err, "masked"), "%s", err);
	cr_expect_lt(load("a.socket", "", &c), 0);
	cr_expect(strstr(err, "masked"), "%s", err);
	cr_expect_lt(load("a.service", "# nothing\n", &c), 0);
	cr_expect(!strstr(err, "masked"), "%s", err);
	char dir[] = "/tmp/supd-mask-XXXXXX", link[64];
	cr_assert_not_null(mkdtemp(dir));
	snprintf(link, sizeof link, "%s/m.service", dir);
	cr_assert_eq(symlink("/dev/null", link), 0);
	cr_expect_lt(conf_load_file(link, &c, err, sizeof err, NULL, NULL), 0);
	cr_expect(strstr(err, "masked"), "%s", err);
	unlink(link);
	rmdir(dir);
}

/* ------------------------------------------------------------ warnings */

Test(conf_warnings, unknown_is_warning_not_error, .timeout = 10)
{
	struct unit_conf c;

	cr_assert_eq(load("a.service",
			  "[Unit]\nFoo=1\nJoinsNamespaceOf=x.service\nConditionControlGroupController=cpu\n"
			  "[Service]\nExecStart=/bin/true\nBar=2\nPrivateMounts=yes\nTasksMax=100\n"
			  "NUMAPolicy=default\nX-Mine=ok\n[Frob]\nA=1\nB=2\n[X-Tool]\nC=3\n"
			  "[Socket]\nListenStream=1\n", &c), 0, "%s", err);
	cr_expect_eq(dl.n_err, 0);
	cr_expect_eq(dl.n_warn, 9, "%s", dl.text);
	cr_expect(strstr(dl.text, "W /u/x:2: unknown key 'Foo' in section [Unit], ignoring\n"), "%s", dl.text);
	cr_expect(strstr(dl.text, "W /u/x:3: JoinsNamespaceOf= in section [Unit] is not supported, ignoring"),
		  "%s", dl.text);
	cr_expect(strstr(dl.text, "W /u/x:4: ConditionControlGroupController= in section [Unit] is not supported"),
		  "%s", dl.text);
	cr_expect(strstr(dl.text, "W /u/x:7: unknown key 'Bar' in section [Service], ignoring"), "%s", dl.text);
	cr_expect(strstr(dl.text, "W /u/x:8: PrivateMounts= in section [Service] is not supported, ignoring"),
		  "%s", dl.text);
	cr_expect(strstr(dl.text, "W /u/x:9: TasksMax= in section"), "%s", dl.text);
	cr_expect(strstr(dl.text, "W /u/x:10: NUMAPolicy= in section"), "%s", dl.text);
	cr_expect(strstr(dl.text, "W /u/x:12: unknown section [Frob], ignoring"), "%s", dl.text);
	cr_expect(strstr(dl.text, "W /u/x:17: unknown section [Socket], ignoring"), "%s", dl.text);
	cr_expect_eq(err[0], '\0');
	conf_free(&c);
}

/* CapabilityBoundingSet= and AmbientCapabilities=, systemd's rules:
 * lines add up (OR), "~" lines take away from what came before (AND with
 * the complement), "" empties, "~" alone fills; names in any case, with or
 * without CAP_; a word that names nothing is a warning, not an error. */
Test(conf_warnings, capability_sets, .timeout = 10)
{
	struct unit_conf c;
	const uint64_t bind = 1u << 10, raw = 1u << 13, admin = 1ull << 21, chown = 1;

	load_svc("CapabilityBoundingSet=CAP_NET_BIND_SERVICE\nCapabilityBoundingSet=net_raw CAP_SYS_ADMIN\n"
		 "AmbientCapabilities=cap_net_bind_service", &c);
	cr_expect(c.svc.cap_bounding_set);
	cr_expect_eq(c.svc.cap_bounding, bind | raw | admin);
	cr_expect(c.svc.cap_ambient_set);
	cr_expect_eq(c.svc.cap_ambient, bind);
	conf_free(&c);

	load_svc("CapabilityBoundingSet=~CAP_SYS_ADMIN\nCapabilityBoundingSet=~CAP_CHOWN", &c);
	cr_expect_eq(c.svc.cap_bounding, caps_all() & ~(admin | chown));
	conf_free(&c);

	load_svc("CapabilityBoundingSet=CAP_CHOWN\nCapabilityBoundingSet=\nCapabilityBoundingSet=CAP_NET_RAW", &c);
	cr_expect_eq(c.svc.cap_bounding, raw, "an empty assignment forgets earlier lines");
	conf_free(&c);

	load_svc("CapabilityBoundingSet=", &c);
	cr_expect(c.svc.cap_bounding_set && c.svc.cap_bounding == 0, "empty: no capability at all");
	conf_free(&c);

	load_svc("CapabilityBoundingSet=CAP_CHOWN\nCapabilityBoundingSet=~", &c);
	cr_expect_eq(c.svc.cap_bounding, caps_all());
	conf_free(&c);

	load_svc("", &c);
	cr_expect(!c.svc.cap_bounding_set && !c.svc.cap_ambient_set && c.svc.cap_ambient == 0,
		  "unset: the bounding set is left alone");
	conf_free(&c);

	cr_assert_eq(load("a.service", "[Service]\nExecStart=/bin/true\nAmbientCapabilities=CAP_NET_RAW CAP_FLY 40\n",
			  &c), 0, "%s", err);
	cr_expect_eq(dl.n_warn, 1, "%s", dl.text);
	cr_expect(strstr(dl.text, "W /u/x:3: AmbientCapabilities=: unknown capability 'CAP_FLY', ignoring it"), "%s",
		  dl.text);
	cr_expect_eq(c.svc.cap_ambient, raw | 1ull << 40);
	conf_free(&c);
}

/* LoadCredential= and SetCredential= keep their order in one tagged
 * list; an empty one drops only its own kind; %d names the directory. */
Test(service, credential_keys, .timeout = 10)
{
	struct unit_conf c;

	load_svc("SetCredential=nul:a\\x00b\\000c", &c);
	cr_expect_eq(c.svc.n_credentials, 1, "a NUL byte is a credential's to hold (systemd: UNESCAPE_ACCEPT_NUL)");
	conf_free(&c);

	load_svc("LoadCredential=a:/x\nSetCredential=b:v\\n\nLoadCredential=c:rel\nSetCredential=d:\n"
		 "LoadCredential=\nLoadCredential=e:/y\nLoadCredential=own\nEnvironment=CD=%d", &c);
	cr_assert_eq(c.svc.n_credentials, 4);
	cr_expect_str_eq(c.svc.credentials[0], "Sb:v\\n");
	cr_expect_str_eq(c.svc.credentials[1], "Sd:");
	cr_expect_str_eq(c.svc.credentials[2], "Le:/y");
	cr_expect_str_eq(c.svc.credentials[3], "Lown:own", "an ID alone names the daemon's own of that name");
	cr_expect_null(c.svc.credentials[4]);
	cr_assert_eq(c.svc.n_environment, 1);
	cr_expect(strstr(c.svc.environment[0], "/credentials/a.service"), "%s", c.svc.environment[0]);
	conf_free(&c);
}

/* CPUAffinity= and the scheduling keys, as systemd reads them: CPU lists
 * add up over lines and an empty one clears; a policy moves the priority
 * into its range; "none" is best-effort 4; nothing set, nothing kept. */
Test(service, scheduling_keys, .timeout = 10)
{
	struct unit_conf c;

	load_svc("", &c);
	cr_expect_null(c.svc.sched, "no scheduling key, nothing allocated");
	conf_free(&c);

	load_svc("CPUAffinity=0-2, 5\nCPUAffinity=7 64,65\nCPUSchedulingPolicy=fifo\n"
		 "IOSchedulingPriority=6", &c);
	cr_assert_not_null(c.svc.sched);
	const struct cpusched *s = c.svc.sched;
	cr_expect(s->affinity_set);
	cr_expect_eq(s->cpus[0], 0xa7u, "%#llx", (unsigned long long)s->cpus[0]);
	cr_expect_eq(s->cpus[1], 3u);
	cr_expect_eq(s->ncpu_words, 2);
	cr_expect(s->sched_set && s->policy == SCHED_FIFO && s->priority == 1, "fifo's priority starts at 1");
	cr_expect(s->io_set && s->io_class == 2 && s->io_priority == 6, "priority alone: best-effort");
	conf_free(&c);

	load_svc("CPUAffinity=1\nCPUAffinity=\nCPUSchedulingPriority=50\nCPUSchedulingPolicy=batch\n"
		 "IOSchedulingClass=none\nCPUSchedulingResetOnFork=yes", &c);
	s = c.svc.sched;
	cr_assert_not_null(s);
	cr_expect(!s->affinity_set && s->cpus[0] == 0, "an empty CPUAffinity= clears");
	cr_expect(s->policy == SCHED_BATCH && s->priority == 0 && s->reset_on_fork);
	cr_expect(s->io_set && s->io_class == 2 && s->io_priority == 4, "none means best-effort 4");
	conf_free(&c);

	load_svc("IOSchedulingClass=idle\nCPUSchedulingPolicy=3", &c);
	cr_expect(c.svc.sched->io_class == 3 && c.svc.sched->policy == SCHED_BATCH, "numbers name them too");
	conf_free(&c);
}

Test(conf_warnings, kernel_sandboxing_keys, .timeout = 10)
{
	struct unit_conf c;

	load_svc("ProtectKernelTunables=yes\nProtectKernelModules=true\nProtectKernelLogs=1\nProtectControlGroups=on\n"
		 "ProtectClock=yes\nProtectHostname=yes\nInaccessiblePaths=/a -/b\nInaccessiblePaths=/c", &c);
	cr_expect(c.svc.protect_kernel_tunables && c.svc.protect_kernel_modules && c.svc.protect_kernel_logs &&
		  c.svc.protect_control_groups && c.svc.protect_clock && c.svc.protect_hostname);
	cr_assert_eq(c.svc.n_inaccessible_paths, 3);
	cr_expect_str_eq(c.svc.inaccessible_paths[1], "-/b");
	cr_expect(conf_svc_wants_mounts(&c.svc));
	conf_free(&c);

	load_svc("BindPaths=-/a /b:/c:norbind\nBindReadOnlyPaths=/d\nTemporaryFileSystem=/e:ro,mode=0700", &c);
	cr_expect(c.svc.n_bind_paths == 2 && c.svc.n_bind_ro_paths == 1 && c.svc.n_temporary_fs == 1);
	cr_expect_str_eq(c.svc.bind_paths[1], "/b:/c:norbind");
	cr_expect_str_eq(c.svc.temporary_fs[0], "/e:ro,mode=0700");
	cr_expect(conf_svc_wants_mounts(&c.svc));
	conf_free(&c);

	load_svc("MemoryDenyWriteExecute=yes\nRestrictRealtime=true\nLockPersonality=1\nRestrictSUIDSGID=on", &c);
	cr_expect(c.svc.memory_deny_write_execute && c.svc.restrict_realtime && c.svc.lock_personality &&
		  c.svc.restrict_suid_sgid);
	cr_expect(!conf_svc_wants_mounts(&c.svc), "seccomp filters need no mount namespace");
	conf_free(&c);

	/* RestrictNamespaces=: the allowed set, merged as systemd merges. */
	struct {
		const char *text;
		unsigned long allowed;
	} ns[] = {
		{ "RestrictNamespaces=uts", CLONE_NEWUTS },
		{ "RestrictNamespaces=uts\nRestrictNamespaces=ipc net", CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET },
		{ "RestrictNamespaces=~net\nRestrictNamespaces=~user", SYSF_NS_ALL & ~(CLONE_NEWNET | CLONE_NEWUSER) },
		{ "RestrictNamespaces=~net\nRestrictNamespaces=net", SYSF_NS_ALL },
		{ "RestrictNamespaces=mnt\nRestrictNamespaces=yes", 0 },
		{ "RestrictNamespaces=no", SYSF_NS_ALL },
		{ "RestrictNamespaces=uts\nRestrictNamespaces=Y", 0 },
	};
	for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
		load_svc(ns[i].text, &c);
		cr_expect(c.svc.restrict_namespaces_set && c.svc.ns_allowed == ns[i].allowed, "%s: %#lx", ns[i].text,
			  c.svc.ns_allowed);
		conf_free(&c);
	}
	load_svc("RestrictNamespaces=yes\nRestrictNamespaces=", &c);
	cr_expect(!c.svc.restrict_namespaces_set, "an empty line unsets it");
	conf_free(&c);

	/* RestrictAddressFamilies=: merged as systemd's
	 * config_parse_address_families merges; unknown names skipped. */
#define B(af) (UINT64_C(1) << (af))
	struct {
		const char *text;
		bool allow;
		uint64_t set;
	} af[] = {
		{ "RestrictAddressFamilies=AF_UNIX AF_INET", true, B(AF_UNIX) | B(AF_INET) },
		{ "RestrictAddressFamilies=~AF_PACKET\nRestrictAddressFamilies=~AF_NETLINK", false,
		  B(AF_PACKET) | B(AF_NETLINK) },
		{ "RestrictAddressFamilies=AF_UNIX AF_INET\nRestrictAddressFamilies=~AF_INET AF_INET6", true, B(AF_UNIX) },
		{ "RestrictAddressFamilies=~AF_INET\nRestrictAddressFamilies=AF_INET AF_LOCAL", false, 0 },
		{ "RestrictAddressFamilies=AF_INET\nRestrictAddressFamilies=none", true, 0 },
		{ "RestrictAddressFamilies=none\nRestrictAddressFamilies=AF_FILE AF_ROUTE", true,
		  B(AF_UNIX) | B(AF_NETLINK) },
	};
	for (size_t i = 0; i < sizeof af / sizeof af[0]; i++) {
		load_svc(af[i].text, &c);
		const struct sysf_families *f = &c.svc.families;
		cr_expect(f->on && f->allow == af[i].allow && f->set == af[i].set, "%s: %d %#llx", af[i].text,
			  f->allow, (unsigned long long)f->set);
		conf_free(&c);
	}
	cr_assert_eq(load("a.service", "[Service]\nExecStart=/bin/true\nRestrictAddressFamilies=AF_UNSPEC AF_VSOCK AF_NOPE\n",
			  &c), 0, "%s", err);
	cr_expect(c.svc.families.on && c.svc.families.allow && c.svc.families.set == B(AF_VSOCK));
	cr_expect(dl.n_warn == 1 && strstr(dl.text, "W /u/x:3: RestrictAddressFamilies=: 'AF_UNSPEC' (and more) is not an "
						   "address family, ignoring"), "%s", dl.text);
	conf_free(&c);
#undef B
	load_svc("RestrictAddressFamilies=AF_UNIX\nRestrictAddressFamilies=", &c);
	cr_expect(!c.svc.families.on, "an empty line turns it off");
	conf_free(&c);

	/* SystemCallArchitectures=: names add up; unknown ones skipped. */
	load_svc("SystemCallArchitectures=x86-64\nSystemCallArchitectures=x86 x32 mips arm", &c);
	cr_expect(c.svc.syscall_archs_set);
	cr_expect_eq(c.svc.syscall_archs,
		     (unsigned)(SYSF_ARCH_X86_64 | SYSF_ARCH_X86 | SYSF_ARCH_X32 | SYSF_ARCH_OTHER | SYSF_ARCH_ARM));
	conf_free(&c);
	cr_assert_eq(load("a.service", "[Service]\nExecStart=/bin/true\nSystemCallArchitectures=sparc\n", &c), 0, "%s", err);
	cr_expect(!c.svc.syscall_archs_set, "only unknown names: no restriction (systemd's set stays empty)");
	cr_expect(strstr(dl.text, "W /u/x:3: SystemCallArchitectures=: 'sparc' is not an architecture, ignoring"), "%s",
		  dl.text);
	conf_free(&c);
	load_svc("SystemCallArchitectures=native\nSystemCallArchitectures=", &c);
	cr_expect(!c.svc.syscall_archs_set && c.svc.syscall_archs == 0, "an empty line clears it");
	conf_free(&c);

	/* SystemCallFilter=: an allow list starts from @default; "~" lines
	 * take away; a deny list's calls carry their own errno. */
#define HAS(cs, nr) (((cs)->set[(nr) / 64] >> ((nr) % 64)) & 1)
	load_svc("SystemCallFilter=read write\nSystemCallFilter=~write\nSystemCallErrorNumber=EPERM", &c);
	const struct sysf_calls *cs = c.svc.calls;
	cr_assert_not_null(cs);
	cr_expect(cs->allow && HAS(cs, SYS_read) && !HAS(cs, SYS_write), "read allowed, write taken away");
	cr_expect(HAS(cs, SYS_execve) && HAS(cs, SYS_exit_group) && HAS(cs, SYS_getpid), "@default comes with it");
	cr_expect(!HAS(cs, SYS_mount));
	cr_expect_eq(c.svc.syscall_errno, EPERM);
	conf_free(&c);
	load_svc("SystemCallFilter=~@mount:EACCES reboot:kill\nSystemCallFilter=umount2", &c);
	cs = c.svc.calls;
	cr_assert_not_null(cs);
	cr_expect(!cs->allow && HAS(cs, SYS_mount) && cs->err[SYS_mount] == EACCES);
	cr_expect(HAS(cs, SYS_reboot) && cs->err[SYS_reboot] == SYSF_ERR_KILL);
	cr_expect(!HAS(cs, SYS_umount2), "a later allowing line takes a call off the deny list");
	cr_expect(!HAS(cs, SYS_getpid), "no @default in a deny list");
	cr_expect_eq(c.svc.syscall_errno, SYSF_ERR_KILL, "the default answer is the kill");
	conf_free(&c);
	load_svc("SystemCallFilter=~@mount\nSystemCallFilter=", &c);
	cr_expect_null(c.svc.calls, "an empty line resets");
	conf_free(&c);
	cr_assert_eq(load("a.service", "[Service]\nExecStart=/bin/true\nSystemCallFilter=read:EPERM nosuchcall write\n", &c),
		     0, "%s", err);
	cr_expect(c.svc.calls && HAS(c.svc.calls, SYS_write) && !HAS(c.svc.calls, SYS_read));
	cr_expect(dl.n_warn == 1 && strstr(dl.text, "W /u/x:3: SystemCallFilter=: 'read:EPERM': an allowed call takes no "
						   "error number, ignoring it and the other words systemd would skip"), "%s", dl.text);
	conf_free(&c);
#undef HAS
	int e = 0;
	cr_expect(sysfilter_parse_errno("EACCES", &e) == 0 && e == EACCES);
	cr_expect(sysfilter_parse_errno("4095", &e) == 0 && e == 4095);
	cr_expect(sysfilter_parse_errno("kill", &e) == 0 && e == SYSF_ERR_KILL);
	cr_expect(sysfilter_parse_errno("4096", &e) < 0 && sysfilter_parse_errno("EWHAT", &e) < 0 &&
		  sysfilter_parse_errno("-1", &e) < 0);

	/* DynamicUser=: the unit's name as the user's, and systemd's sandbox
	 * (ProtectHome= only made stronger, never weaker). */
	load_svc("DynamicUser=yes\nProtectHome=tmpfs", &c);
	cr_expect_str_eq(c.svc.user, "a");
	cr_expect_null(c.svc.group, "its group is found at the start (the dynamic user's, or a static one's)");
	cr_expect(c.svc.private_tmp && c.svc.protect_system == 3 && c.svc.protect_home == 3 &&
		  c.svc.no_new_privileges && c.svc.restrict_suid_sgid && c.svc.remove_ipc);
	conf_free(&c);
	load_svc("DynamicUser=yes\nUser=web\nPrivateTmp=no", &c);
	cr_expect_str_eq(c.svc.user, "web");
	cr_expect(c.svc.private_tmp && c.svc.protect_home == 2, "not to be turned off; ProtectHome=read-only");
	conf_free(&c);
	const char *hashed[] = { "9lives@x.service", "a.b.service" };
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(load(hashed[i], "[Service]\nExecStart=/bin/true\nDynamicUser=yes\n", &c), 0, "%s", err);
		cr_expect(c.svc.user && !strncmp(c.svc.user, "_du", 3) && strlen(c.svc.user) == 19,
			  "%s: not a user name: _du and a hash (%s)", hashed[i], c.svc.user);
		conf_free(&c);
	}
	cr_assert_eq(load("web-1@x.service", "[Service]\nExecStart=/bin/true\nDynamicUser=yes\n", &c), 0, "%s", err);
	cr_expect_str_eq(c.svc.user, "web-1", "an instance: its template's prefix");
	conf_free(&c);

	load_svc("NoExecPaths=/ -/opt\nExecPaths=/usr/lib", &c);
	cr_expect(c.svc.n_noexec_paths == 2 && c.svc.n_exec_paths == 1 && !strcmp(c.svc.noexec_paths[1], "-/opt"));
	cr_expect(conf_svc_wants_mounts(&c.svc));
	conf_free(&c);
	load_svc("KeyringMode=shared", &c);
	cr_expect_eq(c.svc.keyring_mode, CONF_KEYRING_SHARED);
	conf_free(&c);
	load_svc("KeyringMode=inherit\nKeyringMode=", &c);
	cr_expect_eq(c.svc.keyring_mode, CONF_KEYRING_DEFAULT, "empty: the default (private for root's daemon)");
	conf_free(&c);

	/* SecureBits=: the last line wins (systemd assigns), empty resets. */
	load_svc("SecureBits=keep-caps\nSecureBits=noroot noroot-locked", &c);
	cr_expect_eq(c.svc.securebits, 3u);
	conf_free(&c);
	load_svc("SecureBits=no-setuid-fixup keep-caps-locked\nSecureBits=", &c);
	cr_expect_eq(c.svc.securebits, 0u);
	conf_free(&c);
	load_svc("SecureBits=no-setuid-fixup no-setuid-fixup-locked keep-caps keep-caps-locked", &c);
	cr_expect_eq(c.svc.securebits, 0x3cu);
	conf_free(&c);

	load_svc("ProtectProc=invisible\nProcSubset=pid", &c);
	cr_expect(c.svc.protect_proc == CONF_PROC_INVISIBLE && c.svc.proc_subset == 1);
	cr_expect(conf_svc_wants_mounts(&c.svc), "a procfs of its own needs a mount namespace");
	conf_free(&c);
	load_svc("ProtectProc=ptraceable\nProtectProc=\nProcSubset=pid\nProcSubset=all", &c);
	cr_expect(c.svc.protect_proc == CONF_PROC_DEFAULT && c.svc.proc_subset == 0, "empty and all: the defaults");
	cr_expect(!conf_svc_wants_mounts(&c.svc));
	conf_free(&c);

	load_svc("ProtectClock=yes\nProtectHostname=yes\nPrivateUsers=yes", &c);
	cr_expect(!conf_svc_wants_mounts(&c.svc), "no mount namespace for settings that make no mount");
	cr_expect(c.svc.private_users);
	conf_free(&c);

	cr_assert_neq(load("a.service", "[Service]\nExecStart=/bin/true\nInaccessiblePaths=relative/x\n", &c), 0);
	cr_expect(strstr(err, "relative/x"), "%s", err);
}

Test(conf_errors, bad_values_name_file_line_key_value, .timeout = 10)
{
	struct unit_conf c;

	cr_expect_eq(load("a.service", "[Service]\nExecStart=/bin/true\nRestart=sometimes\n"
				       "RestartSec=soon\nKillSignal=SIGNOPE\n", &c), -EINVAL);
	cr_expect_eq(dl.n_err, 3, "%s", dl.text);
	cr_expect(strncmp(err, "/u/x:3: bad value for Restart=: 'sometimes'", 43) == 0, "%s", err);
	cr_expect(strstr(dl.text, "E /u/x:4: bad value for RestartSec=: 'soon'"), "%s", dl.text);
	cr_expect(strstr(dl.text, "E /u/x:5: bad value for KillSignal=: 'SIGNOPE'"), "%s", dl.text);
}

Test(conf_errors, missing_file, .timeout = 10)
{
	struct unit_conf c;
	char e[256];

	cr_expect_eq(conf_load_file("/nonexistent/dir/a.service", &c, e, sizeof(e), NULL, NULL), -ENOENT);
	cr_expect_str_eq(e, "/nonexistent/dir/a.service: No such file or directory");
}

Test(conf_errors, load_file, .timeout = 10)
{
	char dir[] = "/tmp/test_conf.XXXXXX", path[256], e[256];
	struct unit_conf c;
	FILE *f;

	cr_assert(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/hello.socket", dir);
	f = fopen(path, "w");
	cr_assert(f);
	fputs("[Socket]\nListenStream=/run/hello.sock\n", f);
	fclose(f);
	cr_assert_eq(conf_load_file(path, &c, e, sizeof(e), NULL, NULL), 0, "%s", e);
	cr_expect_str_eq(c.name, "hello.socket");
	cr_expect_str_eq(c.path, path);
	cr_expect_eq(c.kind, UNIT_SOCKET);
	conf_free(&c);
	unlink(path);
	rmdir(dir);
}

/* ------------------------------------------------------------ [Service] */

Test(service, defaults, .timeout = 10)
{
	struct unit_conf c;

	load_svc("", &c);
	cr_expect_eq(c.svc.type, SVC_TYPE_SIMPLE);
	cr_expect_eq(c.svc.restart, RESTART_NO);
	cr_expect_eq(c.svc.restart_usec, 100000);
	cr_expect_eq(c.svc.restart_steps, 0);
	cr_expect_eq(c.svc.restart_max_delay_usec, CONF_USEC_INFINITY);
	cr_expect_eq(c.svc.timeout_start_usec, 90 * SEC);
	cr_expect_eq(c.svc.timeout_stop_usec, 90 * SEC);
	cr_expect_eq(c.svc.watchdog_usec, 0);
	cr_expect_eq(c.svc.start_limit_interval_usec, 10 * SEC);
	cr_expect_eq(c.svc.start_limit_burst, 5);
	cr_expect_eq(c.svc.kill_signal, SIGTERM);
	cr_expect(c.svc.send_sigkill);
	cr_expect_eq(c.svc.kill_mode, KILL_CONTROL_GROUP);
	cr_expect_null(c.svc.environment);
	cr_expect_null(c.svc.working_directory);
	cr_expect_null(c.svc.user);
	cr_expect_null(c.svc.group);
	cr_expect_eq(c.svc.n_sockets, 0);
	cr_expect_eq(c.svc.notify_access, NOTIFY_UNSET);
	cr_expect_eq(c.svc.fdstore_max, 0);
	cr_expect_eq(c.svc.fdstore_preserve, 1);
	cr_expect_eq(c.svc.n_open_files, 0);
	cr_expect_eq(c.svc.std_input, STDIN_NULL);
	cr_expect_eq(c.svc.std_output, STDOUT_UNSET);
	cr_expect_eq(c.svc.std_error, STDOUT_UNSET);
	cr_expect_eq(c.svc.restart_mode_overlap, 0);
	cr_expect_null(c.description);
	cr_expect_eq(c.n_wanted_by, 0);
	conf_free(&c);
}

/* One row per scalar directive: the text, and a check of the field. */
#define F(expr) (long long)(expr)
static const struct {
	const char *text;
	int field; /* index into the switch in scalar_value() */
	long long want;
} scalars[] = {
	{ "Type=simple", 0, SVC_TYPE_SIMPLE },
	{ "Type=exec", 0, SVC_TYPE_EXEC },
	{ "Type=notify", 0, SVC_TYPE_NOTIFY },
	{ "Type=oneshot", 0, SVC_TYPE_ONESHOT },
	{ "Type=notify\nType=", 0, SVC_TYPE_SIMPLE },
	{ "Restart=always", 1, RESTART_ALWAYS },
	{ "Restart=on-success", 1, RESTART_ON_SUCCESS },
	{ "Restart=on-failure", 1, RESTART_ON_FAILURE },
	{ "Restart=on-abnormal", 1, RESTART_ON_ABNORMAL },
	{ "Restart=on-abort", 1, RESTART_ON_ABORT },
	{ "Restart=on-watchdog", 1, RESTART_ON_WATCHDOG },
	{ "Restart=no", 1, RESTART_NO },
	{ "RestartSec=5", 2, F(5 * SEC) },
	{ "RestartSec=250ms", 2, 250000 },
	{ "RestartSec=5\nRestartSec=", 2, 100000 },
	{ "RestartSteps=4", 3, 4 },
	{ "RestartMaxDelaySec=1min", 4, F(60 * SEC) },
	{ "TimeoutStartSec=10s", 5, F(10 * SEC) },
	{ "TimeoutStartSec=0", 5, F(CONF_USEC_INFINITY) },
	{ "TimeoutStartSec=infinity", 5, F(CONF_USEC_INFINITY) },
	{ "TimeoutStopSec=3s", 6, F(3 * SEC) },
	{ "TimeoutStopSec=0", 6, F(CONF_USEC_INFINITY) },
	{ "TimeoutSec=7s", 5, F(7 * SEC) },
	{ "TimeoutSec=7s", 6, F(7 * SEC) },
	{ "TimeoutSec=0", 6, F(CONF_USEC_INFINITY) },
	{ "WatchdogSec=20s", 7, F(20 * SEC) },
	{ "KillSignal=SIGINT", 8, SIGINT },
	{ "KillSignal=HUP", 8, SIGHUP },
	{ "KillSignal=9", 8, 9 },
	{ "SendSIGKILL=no", 9, 0 },
	{ "SendSIGKILL=off\nSendSIGKILL=", 9, 1 },
	{ "KillMode=mixed", 10, KILL_MIXED },
	{ "KillMode=process", 10, KILL_PROCESS },
	{ "KillMode=none", 10, KILL_NONE },
	{ "KillMode=control-group", 10, KILL_CONTROL_GROUP },
	{ "NotifyAccess=none", 11, NOTIFY_NONE },
	{ "NotifyAccess=main", 11, NOTIFY_MAIN },
	{ "NotifyAccess=exec", 11, NOTIFY_EXEC },
	{ "NotifyAccess=all", 11, NOTIFY_ALL },
	{ "FileDescriptorStoreMax=16", 12, 16 },
	{ "FileDescriptorStoreMax=4096", 12, 4096 },
	{ "FileDescriptorStoreMax=4224", 12, 4224 },
	{ "FileDescriptorStorePreserve=no", 13, 0 },
	{ "FileDescriptorStorePreserve=restart", 13, 1 },
	{ "FileDescriptorStorePreserve=yes", 13, 2 },
	{ "FileDescriptorStorePreserve=false", 13, 0 },
	{ "FileDescriptorStorePreserve=on", 13, 2 },
	{ "StandardInput=socket", 14, STDIN_SOCKET },
	{ "StandardInput=null", 14, STDIN_NULL },
	{ "StandardOutput=null", 15, STDOUT_NULL },
	{ "StandardOutput=journal", 15, STDOUT_JOURNAL },
	{ "StandardOutput=journal+console", 15, STDOUT_JOURNAL },
	{ "StandardOutput=kmsg", 15, STDOUT_JOURNAL },
	{ "StandardOutput=socket", 15, STDOUT_SOCKET },
	/* systemd's service_fix_stdio: inherited from /dev/null is the journal. */
	{ "StandardOutput=inherit", 15, STDOUT_UNSET },
	{ "StandardInput=tty\nStandardOutput=inherit", 15, STDOUT_INHERIT },
	{ "StandardInput=socket\nStandardOutput=inherit", 15, STDOUT_INHERIT },
	{ "StandardInput=tty-force", 14, STDIN_TTY_FORCE },
	{ "StandardInput=tty-fail", 14, STDIN_TTY_FAIL },
	{ "StandardInput=tty", 14, STDIN_TTY },
	{ "StandardInput=data", 14, STDIN_DATA },
	{ "StandardOutput=tty", 15, STDOUT_TTY },
	{ "StandardError=tty", 16, STDOUT_TTY },
	{ "StandardError=null", 16, STDOUT_NULL },
	{ "StandardError=journal", 16, STDOUT_JOURNAL },
	{ "RestartMode=overlap", 17, 1 },
	{ "RestartMode=normal", 17, 0 },
	{ "RestartMode=direct", 17, 0 },
	{ "StartLimitInterval=5s", 18, F(5 * SEC) },
	{ "StartLimitBurst=9", 19, 9 },
};

static long long scalar_value(const struct svc_conf *s, int field)
{
	switch (field) {
	case 0: return s->type;
	case 1: return s->restart;
	case 2: return F(s->restart_usec);
	case 3: return s->restart_steps;
	case 4: return F(s->restart_max_delay_usec);
	case 5: return F(s->timeout_start_usec);
	case 6: return F(s->timeout_stop_usec);
	case 7: return F(s->watchdog_usec);
	case 8: return s->kill_signal;
	case 9: return s->send_sigkill;
	case 10: return s->kill_mode;
	case 11: return s->notify_access;
	case 12: return s->fdstore_max;
	case 13: return s->fdstore_preserve;
	case 14: return s->std_input;
	case 15: return s->std_output;
	case 16: return s->std_error;
	case 17: return s->restart_mode_overlap;
	case 18: return F(s->start_limit_interval_usec);
	case 19: return s->start_limit_burst;
	}
	return -1;
}

Test(service, scalar_directives, .timeout = 10)
{
	for (size_t i = 0; i < sizeof(scalars) / sizeof(scalars[0]); i++) {
		struct unit_conf c;

		load_svc(scalars[i].text, &c);
		cr_expect_eq(scalar_value(&c.svc, scalars[i].field), scalars[i].want, "'%s': got %lld",
			     scalars[i].text, scalar_value(&c.svc, scalars[i].field));
		conf_free(&c);
	}
}

static const struct {
	const char *text;
	const char *msg; /* part of the error */
} service_errors[] = {
	{ "Type=dbus", "bad value for Type=: 'dbus': Type=dbus is unsupported" },
	{ "Type=dbus", "unsupported" },
	{ "Type=weird", "bad value for Type=: 'weird'" },
	{ "Restart=maybe", "Restart=: 'maybe'" },
	{ "RestartSec=-1", "RestartSec=: '-1'" },
	{ "RestartSteps=x", "RestartSteps=: 'x'" },
	{ "RestartMaxDelaySec=x", "RestartMaxDelaySec=" },
	{ "TimeoutStartSec=1x", "TimeoutStartSec=" },
	{ "TimeoutStopSec=foo", "TimeoutStopSec=" },
	{ "TimeoutSec=foo", "TimeoutSec=" },
	{ "WatchdogSec=x", "WatchdogSec=" },
	{ "KillSignal=SIGFOO", "KillSignal=: 'SIGFOO'" },
	{ "KillSignal=0", "KillSignal=" },
	{ "SendSIGKILL=maybe", "SendSIGKILL=: 'maybe'" },
	{ "KillMode=all", "KillMode=: 'all'" },
	{ "NotifyAccess=some", "NotifyAccess=" },
	{ "FileDescriptorStoreMax=4294967296", "FileDescriptorStoreMax=: '4294967296'" },
	{ "FileDescriptorStoreMax=-1", "FileDescriptorStoreMax=" },
	{ "FileDescriptorStorePreserve=sometimes", "FileDescriptorStorePreserve=" },
	{ "StandardInput=fd:a:b", "StandardInput=: 'fd:a:b': not a valid descriptor name" },
	{ "StandardInput=file:rel", "StandardInput=: 'file:rel': file path must be absolute" },
	{ "StandardInput=ttyy", "StandardInput=: 'ttyy': unknown input" },
	{ "StandardOutput=fd:", "StandardOutput=: 'fd:': not a valid descriptor name" },
	{ "StandardInputData=!!!!", "StandardInputData=: '!!!!': not valid base64" },
	{ "StandardInputData=aGk=x", "StandardInputData=: 'aGk=x': not valid base64" },
	{ "StandardInputData=a", "StandardInputData=" },
	{ "StandardInputData=a===", "StandardInputData=" },
	{ "StandardInputText=\\q", "StandardInputText=" },
	{ "TTYPath=dev/tty1", "TTYPath=: 'dev/tty1': path must be absolute" },
	{ "StandardOutput=file:rel/path", "StandardOutput=: 'file:rel/path'" },
	{ "StandardError=wat", "StandardError=" },
	{ "RestartMode=fast", "RestartMode=" },
	{ "Environment=1A=b", "Environment=: '1A=b'" },
	{ "Environment=NOEQUALS", "Environment=" },
	{ "Environment=\"A=b", "Environment=" },
	{ "Environment=A-B=c", "Environment=" },
	{ "EnvironmentFile=relative.env", "EnvironmentFile=: 'relative.env'" },
	{ "LimitNOFILE=4096:1024", "the soft limit is above the hard one" },
	{ "LimitNOFILE=abc", "LimitNOFILE=: 'abc'" },
	{ "LimitAS=1Q", "LimitAS=: '1Q'" },
	{ "LimitNICE=+20", "LimitNICE=" },
	{ "UMask=0999", "not an octal mode" },
	{ "RuntimeDirectory=/abs", "RuntimeDirectory=: '/abs'" },
	{ "StateDirectory=a/../b", "StateDirectory=" },
	{ "CacheDirectory=./a", "CacheDirectory=" },
	{ "RuntimeDirectoryMode=0800", "RuntimeDirectoryMode=" },
	{ "RuntimeDirectoryPreserve=sometimes", "RuntimeDirectoryPreserve=" },
	{ "OOMScoreAdjust=1001", "OOMScoreAdjust=" },
	{ "TimeoutAbortSec=x", "TimeoutAbortSec=" },
	{ "ProtectSystem=tmpfs", "ProtectSystem=" },
	{ "ProtectHome=strict", "ProtectHome=" },
	{ "ReadWritePaths=relative", "ReadWritePaths=" },
	{ "WatchdogSignal=SIGNOPE", "WatchdogSignal=" },
	{ "OOMScoreAdjust=x", "OOMScoreAdjust=" },
	{ "SupplementaryGroups=a:b", "SupplementaryGroups=" },
	{ "NoNewPrivileges=maybe", "NoNewPrivileges=" },
	{ "InaccessiblePaths=-relative", "InaccessiblePaths=" },
	{ "ProtectKernelTunables=maybe", "ProtectKernelTunables=" },
	{ "ProtectHostname=2", "ProtectHostname=" },
	{ "PrivateNetwork=perhaps", "PrivateNetwork=" },
	{ "PrivateDevices=ja", "PrivateDevices=" },
	{ "PrivateUsers=maybe", "PrivateUsers=" },
	{ "ProtectProc=hidden", "ProtectProc=" },
	{ "ProcSubset=some", "ProcSubset=" },
	{ "SystemCallErrorNumber=ENOPE", "SystemCallErrorNumber=" },
	{ "KeyringMode=public", "KeyringMode=" },
	{ "NoExecPaths=relative", "NoExecPaths=" },
	{ "MemoryDenyWriteExecute=maybe", "MemoryDenyWriteExecute=" },
	{ "RestrictNamespaces=uts time", "'time' is not a namespace type" },
	{ "RestrictSUIDSGID=sometimes", "RestrictSUIDSGID=" },
	{ "RestrictRealtime=2", "RestrictRealtime=" },
	{ "LockPersonality=x86", "LockPersonality=" },
	{ "LoadCredential=a/b:/x", "does not start with a valid credential ID" },
	{ "LoadCredential=..:/x", "does not start with a valid credential ID" },
	{ "LoadCredential=key:a/b", "neither absolute nor a credential name" },
	{ "LoadCredential=key:", "has an empty path" },
	{ "SetCredential=key", "has no ':VALUE'" },
	{ "SetCredential=key:a\\qb", "has a bad escape in its value" },
	{ "SetCredential=key:\\x4", "has a bad escape in its value" },
	{ "SetCredential=key:\\ud800", "has a bad escape in its value" },
	{ "SetCredential=key:\\ufffe", "has a bad escape in its value" },
	{ "BindPaths=relative", "does not start with an absolute source path" },
	{ "BindPaths=/a:rel", "has a destination that is not an absolute path" },
	{ "BindReadOnlyPaths=/a:/b:ro", "has options other than rbind or norbind" },
	{ "BindPaths=/a:/b:rbind:x", "has more than SOURCE:DESTINATION:OPTIONS" },
	{ "TemporaryFileSystem=tmp", "'tmp' is not an absolute path" },
	{ "TemporaryFileSystem=/t:mode=0700,,", "has an empty mount option" },
	{ "CPUAffinity=0-8192", "is not a CPU (0 to 8191)" },
	{ "CPUAffinity=3-1", "the range ends before it starts" },
	{ "CPUAffinity=1-", "'1-' is not a CPU" },
	{ "CPUAffinity=00000000000000000000000000000000000000001", "is not a CPU" },
	{ "CPUAffinity=1 x", "'x' is not a CPU" },
	{ "CPUSchedulingPolicy=deadline", "is not a policy" },
	{ "CPUSchedulingPriority=100", "is not a priority (0 to 99)" },
	{ "CPUSchedulingResetOnFork=maybe", "CPUSchedulingResetOnFork=" },
	{ "IOSchedulingClass=fast", "is not an I/O class" },
	{ "IOSchedulingPriority=8", "is not an I/O priority (0 to 7)" },
	{ "Nice=20", "not a nice level" },
	{ "PassEnvironment=A=1", "'A=1' is not a variable name" },
	{ "UnsetEnvironment=1A", "UnsetEnvironment=" },
	{ "SuccessExitStatus=256", "'256' is not an exit status (0 to 255)" },
	{ "SuccessExitStatus=1 SIGBOGUS", "'SIGBOGUS' is neither an exit status nor a signal name" },
	{ "SuccessExitStatus=dataerr", "'dataerr' is neither an exit status nor a signal name" },
	{ "RestartPreventExitStatus=-1", "RestartPreventExitStatus=" },
	{ "RestartForceExitStatus=1x", "RestartForceExitStatus=" },
	{ "EnvironmentFile=-relative.env", "EnvironmentFile=" },
	{ "WorkingDirectory=relative", "WorkingDirectory=: 'relative'" },
	{ "WorkingDirectory=-relative", "WorkingDirectory=" },
	{ "User=a b", "User=: 'a b'" },
	{ "Group=a:b", "Group=" },
	{ "Sockets=a.service", "Sockets=: 'a.service'" },
	{ "OpenFile=relative", "OpenFile=: 'relative'" },
	{ "OpenFile=/a:b:c:d", "OpenFile=" },
	{ "OpenFile=/a:b:bogus", "OpenFile=" },
	{ "OpenFile=/a:b:append,append", "OpenFile=" },
	{ "OpenFile=/a:b:read-only,append", "OpenFile=" },
	{ "OpenFile=/a:b:read-only,truncate", "OpenFile=" },
	{ "OpenFile=/a:b\x01:", "OpenFile=" },
	{ "OpenFile=/", "OpenFile=" },
};

Test(service, bad_values, .timeout = 10)
{
	for (size_t i = 0; i < sizeof(service_errors) / sizeof(service_errors[0]); i++) {
		char text[512];
		struct unit_conf c;

		snprintf(text, sizeof(text), "[Service]\nExecStart=/bin/true\n%s\n", service_errors[i].text);
		if (load("a.service", text, &c) == 0) {
			cr_expect_fail("'%s' accepted", service_errors[i].text);
			conf_free(&c);
			continue;
		}
		cr_expect(strncmp(err, "/u/x:3: ", 8) == 0, "'%s': err '%s'", service_errors[i].text, err);
		cr_expect(strstr(err, service_errors[i].msg), "'%s': err '%s'", service_errors[i].text, err);
	}
	expect_fail("a.service", "[Service]\nExecStart=/bin/true\nRestart=always\nType=oneshot\n",
		    "/u/x:3: Restart=always is not allowed for Type=oneshot");
	expect_fail("a.service", "[Service]\nType=oneshot\nExecStart=/bin/true\nRestart=on-success\n",
		    "/u/x:4: Restart=on-success is not allowed for Type=oneshot");
}

Test(service, exit_status_sets, .timeout = 10)
{
	struct unit_conf c;

	load_svc("SuccessExitStatus=1 2 SIGKILL\nSuccessExitStatus=TERM 255\n"
		 "RestartPreventExitStatus=3\nRestartForceExitStatus=SIGSEGV 4", &c);
	const struct exit_set *ok = &c.svc.success_status;
	cr_expect(conf_exit_set_test(ok, 1 << 8));
	cr_expect(conf_exit_set_test(ok, 2 << 8));
	cr_expect(conf_exit_set_test(ok, 255 << 8));
	cr_expect(!conf_exit_set_test(ok, 3 << 8));
	cr_expect(!conf_exit_set_test(ok, 0), "0 is a success anyway, not by this list");
	cr_expect(conf_exit_set_test(ok, SIGKILL));
	cr_expect(conf_exit_set_test(ok, SIGTERM | 0x80), "with a core dump too");
	cr_expect(!conf_exit_set_test(ok, SIGSEGV));
	cr_expect(conf_exit_set_test(&c.svc.restart_prevent, 3 << 8));
	cr_expect(!conf_exit_set_test(&c.svc.restart_prevent, 4 << 8));
	cr_expect(conf_exit_set_test(&c.svc.restart_force, SIGSEGV));
	cr_expect(conf_exit_set_test(&c.svc.restart_force, 4 << 8));
	cr_expect_eq(dl.n_warn, 0, "%s", dl.text);
	conf_free(&c);
	load_svc("SuccessExitStatus=1\nSuccessExitStatus=", &c);
	cr_expect(!conf_exit_set_test(&c.svc.success_status, 1 << 8), "an empty assignment empties the set");
	conf_free(&c);
	/* systemd's names, as systemd-tmpfiles-setup.service has them. */
	load_svc("SuccessExitStatus=DATAERR CANTCREAT\nRestartPreventExitStatus=NOTINSTALLED EXEC BPF EXCEPTION", &c);
	cr_expect(conf_exit_set_test(&c.svc.success_status, 65 << 8));
	cr_expect(conf_exit_set_test(&c.svc.success_status, 73 << 8));
	cr_expect(!conf_exit_set_test(&c.svc.success_status, 74 << 8));
	for (int i = 0; i < 4; i++)
		cr_expect(conf_exit_set_test(&c.svc.restart_prevent, (int[]){ 5, 203, 244, 255 }[i] << 8));
	conf_free(&c);
}

Test(service, process_settings, .timeout = 10)
{
	struct unit_conf c;

	load_svc("RuntimeDirectory=a b/c\nRuntimeDirectoryMode=0700\nRuntimeDirectoryPreserve=restart\n"
		 "LogsDirectory=l\nLimitNOFILE=1024:4096\nLimitCORE=infinity\nLimitAS=1G\nLimitCPU=1min\nLimitRTTIME=5ms\n"
		 "LimitNICE=-5\nLimitMEMLOCK=64K:infinity\nUMask=0077\nNice=-5\nIgnoreSIGPIPE=no\n"
		 "PassEnvironment=A B\nUnsetEnvironment=C D=1\nNoNewPrivileges=yes\nOOMScoreAdjust=-900\n"
		 "SupplementaryGroups=x\nSupplementaryGroups=\nSupplementaryGroups=adm 100\nRuntimeMaxSec=1d\n"
		 "WatchdogSignal=SIGUSR1\nFinalKillSignal=9\nRestartKillSignal=HUP\nTimeoutAbortSec=5s", &c);
	cr_expect(c.svc.watchdog_signal == SIGUSR1 && c.svc.final_kill_signal == SIGKILL && c.svc.restart_kill_signal == SIGHUP);
	cr_expect_eq(c.svc.timeout_abort_usec, 5000000);
	cr_expect_eq(c.svc.runtime_max_usec, 86400ull * 1000000);
	const struct conf_rlimit *l = c.svc.limits;
	cr_assert_not_null(l);
	cr_expect(l[RLIMIT_NOFILE].set && l[RLIMIT_NOFILE].soft == 1024 && l[RLIMIT_NOFILE].hard == 4096);
	cr_expect(l[RLIMIT_CORE].set && l[RLIMIT_CORE].soft == UINT64_MAX && l[RLIMIT_CORE].hard == UINT64_MAX);
	cr_expect_eq(l[RLIMIT_AS].soft, 1ull << 30);
	cr_expect_eq(l[RLIMIT_CPU].soft, 60);
	cr_expect_eq(l[RLIMIT_RTTIME].soft, 5000);
	cr_expect_eq(l[RLIMIT_NICE].soft, 25);
	cr_expect(l[RLIMIT_MEMLOCK].soft == 65536 && l[RLIMIT_MEMLOCK].hard == UINT64_MAX);
	cr_expect(!l[RLIMIT_STACK].set);
	cr_assert_eq(c.svc.n_exec_dirs[EXECDIR_RUNTIME], 2);
	cr_expect_str_eq(c.svc.exec_dirs[EXECDIR_RUNTIME][1], "b/c");
	cr_expect_eq(c.svc.exec_dir_mode[EXECDIR_RUNTIME], 0700);
	cr_expect_eq(c.svc.runtime_preserve, 1);
	cr_expect_eq(c.svc.n_exec_dirs[EXECDIR_LOGS], 1);
	cr_expect_eq(c.svc.umask, 077);
	cr_expect(c.svc.nice_set && c.svc.nice == -5);
	cr_expect(!c.svc.ignore_sigpipe);
	cr_assert_eq(c.svc.n_pass_environment, 2);
	cr_expect_str_eq(c.svc.pass_environment[1], "B");
	cr_assert_eq(c.svc.n_unset_environment, 2);
	cr_expect_str_eq(c.svc.unset_environment[1], "D=1");
	cr_expect_eq(c.svc.exec_dir_mode[EXECDIR_STATE], 0755, "the default mode");
	cr_expect(c.svc.no_new_privileges);
	cr_expect(c.svc.oom_score_adjust_set && c.svc.oom_score_adjust == -900);
	cr_assert_eq(c.svc.n_supplementary_groups, 2, "the empty value resets the list");
	cr_expect_str_eq(c.svc.supplementary_groups[1], "100");
	cr_expect_eq(dl.n_warn, 0, "%s", dl.text);
	conf_free(&c);
	/* Defaults: systemd's 0022 and SIGPIPE ignored. */
	load_svc("", &c);
	cr_expect_eq(c.svc.runtime_max_usec, CONF_USEC_INFINITY);
	cr_expect_eq(c.svc.type, SVC_TYPE_SIMPLE);
	cr_expect(!c.svc.non_blocking);
	conf_free(&c);
	load_svc("NonBlocking=yes", &c);
	cr_expect(c.svc.non_blocking);
	conf_free(&c);
	load_svc("Type=idle", &c);
	cr_expect_eq(c.svc.type, SVC_TYPE_SIMPLE, "idle runs as simple");
	cr_expect_eq(c.svc.reload_signal, SIGHUP);
	conf_free(&c);
	load_svc("Type=notify-reload\nReloadSignal=SIGUSR2", &c);
	cr_expect_eq(c.svc.type, SVC_TYPE_NOTIFY_RELOAD);
	cr_expect_eq(c.svc.reload_signal, SIGUSR2);
	cr_expect(c.svc.watchdog_signal == SIGABRT && c.svc.final_kill_signal == SIGKILL && !c.svc.restart_kill_signal);
	cr_expect_eq(c.svc.timeout_abort_usec, CONF_USEC_UNSET, "follows TimeoutStopSec=");
	cr_expect_eq(c.svc.umask, 022);
	cr_expect(c.svc.ignore_sigpipe);
	cr_expect(!c.svc.nice_set);
	conf_free(&c);
}

Test(service, environment_file, .timeout = 10)
{
	struct unit_conf c;

	load_svc("EnvironmentFile=/etc/a.env\nEnvironmentFile=-/etc/b/*.env", &c);
	cr_assert_eq(c.svc.n_environment_files, 2);
	cr_expect_str_eq(c.svc.environment_files[0], "/etc/a.env");
	cr_expect_str_eq(c.svc.environment_files[1], "-/etc/b/*.env");
	cr_expect_eq(dl.n_warn, 0, "%s", dl.text);
	conf_free(&c);
	load_svc("EnvironmentFile=/etc/a.env\nEnvironmentFile=\nEnvironmentFile=/etc/c.env", &c);
	cr_assert_eq(c.svc.n_environment_files, 1);
	cr_expect_str_eq(c.svc.environment_files[0], "/etc/c.env");
	conf_free(&c);
}

Test(service, environment, .timeout = 10)
{
	struct unit_conf c;

	load_svc("Environment=\"A=b c\" D=e\nEnvironment=F='g h' I=\nEnvironment=D=replaced\n"
		 "Environment=J=\\x41\\n K=$HOME", &c);
	cr_assert_eq(c.svc.n_environment, 6);
	cr_expect_str_eq(c.svc.environment[0], "A=b c");
	cr_expect_str_eq(c.svc.environment[1], "D=replaced");
	cr_expect_str_eq(c.svc.environment[2], "F=g h");
	cr_expect_str_eq(c.svc.environment[3], "I=");
	cr_expect_str_eq(c.svc.environment[4], "J=A\n");
	cr_expect_str_eq(c.svc.environment[5], "K=$HOME");
	cr_expect_null(c.svc.environment[6]);
	conf_free(&c);

	load_svc("Environment=A=1\nEnvironment=\nEnvironment=B=2", &c);
	cr_assert_eq(c.svc.n_environment, 1);
	cr_expect_str_eq(c.svc.environment[0], "B=2");
	conf_free(&c);
}

Test(service, working_directory_user_group, .timeout = 10)
{
	struct unit_conf c;

	load_svc("WorkingDirectory=/srv/app\nUser=www-data\nGroup=1000", &c);
	cr_expect_str_eq(c.svc.working_directory, "/srv/app");
	cr_expect(!c.svc.working_directory_missing_ok);
	cr_expect_str_eq(c.svc.user, "www-data");
	cr_expect_str_eq(c.svc.group, "1000");
	conf_free(&c);

	load_svc("WorkingDirectory=-/maybe\nUser=nobody\nUser=", &c);
	cr_expect_str_eq(c.svc.working_directory, "/maybe");
	cr_expect(c.svc.working_directory_missing_ok);
	cr_expect_null(c.svc.user);
	conf_free(&c);

	load_svc("WorkingDirectory=~", &c);
	cr_expect_str_eq(c.svc.working_directory, "~");
	conf_free(&c);

	load_svc("WorkingDirectory=/x\nWorkingDirectory=", &c);
	cr_expect_null(c.svc.working_directory);
	conf_free(&c);
}

Test(service, sockets, .timeout = 10)
{
	struct unit_conf c;

	load_svc("Sockets=a.socket b.socket\nSockets=c.socket", &c);
	cr_assert_eq(c.svc.n_sockets, 3);
	cr_expect_str_eq(c.svc.sockets[2], "c.socket");
	cr_expect_null(c.svc.sockets[3]);
	conf_free(&c);
	load_svc("Sockets=a.socket\nSockets=\nSockets=d.socket", &c);
	cr_assert_eq(c.svc.n_sockets, 1);
	cr_expect_str_eq(c.svc.sockets[0], "d.socket");
	conf_free(&c);
}

Test(service, open_file, .timeout = 10)
{
	struct unit_conf c;

	load_svc("OpenFile=/etc/hosts\nOpenFile=/proc/1/ns/mnt\nOpenFile=/var/log/x.log:log:append,graceful\n"
		 "OpenFile=/dir/:d:read-only\nOpenFile=/data/db::truncate", &c);
	cr_assert_eq(c.svc.n_open_files, 5);
	cr_expect_str_eq(c.svc.open_files[0].path, "/etc/hosts");
	cr_expect_str_eq(c.svc.open_files[0].fdname, "hosts");
	cr_expect_eq(c.svc.open_files[0].flags, 0);
	cr_expect_str_eq(c.svc.open_files[1].fdname, "mnt");
	cr_expect_str_eq(c.svc.open_files[2].path, "/var/log/x.log");
	cr_expect_str_eq(c.svc.open_files[2].fdname, "log");
	cr_expect_eq(c.svc.open_files[2].flags, OPENFILE_APPEND | OPENFILE_GRACEFUL);
	cr_expect_eq(c.svc.open_files[3].flags, OPENFILE_READ_ONLY);
	cr_expect_str_eq(c.svc.open_files[4].fdname, "db");
	cr_expect_eq(c.svc.open_files[4].flags, OPENFILE_TRUNCATE);
	conf_free(&c);

	load_svc("OpenFile=/a\nOpenFile=\nOpenFile=/b", &c);
	cr_assert_eq(c.svc.n_open_files, 1);
	cr_expect_str_eq(c.svc.open_files[0].path, "/b");
	conf_free(&c);
}

Test(service, std_output_files, .timeout = 10)
{
	struct unit_conf c;

	load_svc("StandardOutput=file:/var/log/out\nStandardError=append:/var/log/err", &c);
	cr_expect_eq(c.svc.std_output, STDOUT_FILE);
	cr_expect_str_eq(c.svc.std_output_path, "/var/log/out");
	cr_expect_eq(c.svc.std_error, STDOUT_APPEND);
	cr_expect_str_eq(c.svc.std_error_path, "/var/log/err");
	conf_free(&c);

	load_svc("PrivateTmp=yes", &c);
	cr_expect(c.svc.private_tmp);
	conf_free(&c);
	load_svc("ProtectSystem=strict\nProtectHome=read-only\nReadWritePaths=/a -/b\nReadOnlyPaths=/c", &c);
	cr_expect(c.svc.protect_system == 3 && c.svc.protect_home == 2);
	cr_assert_eq(c.svc.n_read_write_paths, 2);
	cr_expect_str_eq(c.svc.read_write_paths[1], "-/b");
	conf_free(&c);
	load_svc("ProtectSystem=yes\nProtectSystem=false\nProtectHome=true", &c);
	cr_expect(c.svc.protect_system == 0 && c.svc.protect_home == 1);
	conf_free(&c);

	load_svc("StandardOutput=truncate:/var/log/t", &c);
	cr_expect_eq(c.svc.std_output, STDOUT_TRUNCATE);
	cr_expect_str_eq(c.svc.std_output_path, "/var/log/t");
	conf_free(&c);

	load_svc("StandardOutput=file:/x\nStandardOutput=null", &c);
	cr_expect_eq(c.svc.std_output, STDOUT_NULL);
	cr_expect_null(c.svc.std_output_path);
	conf_free(&c);
}

/* No ExecStart=: allowed for a oneshot (the type then, unless another is
 * given) with ExecStop= or SuccessAction= (systemd's service_verify). */
Test(service, without_exec_start, .timeout = 10)
{
	struct unit_conf c;
	cr_assert_eq(load("reboot.service", "[Unit]\nSuccessAction=exit-force\n", &c), 0, "%s", err);
	cr_expect_eq(c.svc.type, SVC_TYPE_ONESHOT);
	cr_expect_eq(c.svc.n_exec_start, 0);
	conf_free(&c);
	cr_assert_eq(load("s.service", "[Service]\nRemainAfterExit=yes\nExecStop=/bin/true\n", &c), 0, "%s", err);
	cr_expect_eq(c.svc.type, SVC_TYPE_ONESHOT);
	conf_free(&c);
	expect_fail("t.service", "[Service]\nType=simple\nExecStop=/bin/true\n",
		    "/u/x:1: service has no ExecStart=, which only Type=oneshot may lack");
	expect_fail("u.service", "[Service]\nType=oneshot\nExecStartPre=/bin/true\n",
		    "/u/x:1: service has no ExecStart=, ExecStop= or SuccessAction=");
}

/* StandardInputText= and StandardInputData= add up, in order, and imply
 * StandardInput=data (systemd's service_fix_stdio); an empty value of
 * either drops what came before. */
Test(service, std_input, .timeout = 10)
{
	struct unit_conf c;

	load_svc("StandardInputText=hello\\tthere\nStandardInputData=aGk=\n"
		 "StandardInputData= IQ==\nStandardInputText=end", &c);
	cr_expect_eq(c.svc.std_input, STDIN_DATA);
	cr_assert_eq(c.svc.stdin_data_len, 19);
	cr_expect_eq(memcmp(c.svc.stdin_data, "hello\tthere\nhi!end\n", 19), 0);
	cr_expect_eq(c.svc.std_output, STDOUT_UNSET, "output to the journal");
	conf_free(&c);

	load_svc("StandardInputText=a\nStandardInputText=\nStandardInputData=YmM", &c);
	cr_assert_eq(c.svc.stdin_data_len, 2);
	cr_expect_eq(memcmp(c.svc.stdin_data, "bc", 2), 0);
	conf_free(&c);

	/* Another input chosen: the data waits unused, as in systemd. */
	load_svc("StandardInput=tty\nStandardInputText=x", &c);
	cr_expect_eq(c.svc.std_input, STDIN_TTY);
	conf_free(&c);

	load_svc("StandardInput=file:/etc/hostname\nStandardOutput=inherit\nTTYPath=/dev/tty9\n"
		 "TTYReset=yes\nTTYVHangup=yes", &c);
	cr_expect_eq(c.svc.std_input, STDIN_FILE);
	cr_expect_str_eq(c.svc.std_input_path, "/etc/hostname");
	cr_expect_eq(c.svc.std_output, STDOUT_UNSET, "a file is not written back to");
	cr_expect_str_eq(c.svc.tty_path, "/dev/tty9");
	cr_expect(c.svc.tty_reset && c.svc.tty_vhangup);
	conf_free(&c);

	load_svc("StandardInput=fd\nStandardError=fd", &c);
	cr_expect_eq(c.svc.std_input, STDIN_FD);
	cr_expect_str_eq(c.svc.std_input_path, "stdin");
	cr_expect_eq(c.svc.std_output, STDOUT_UNSET, "follows the named fd at run time");
	cr_expect_eq(c.svc.std_error, STDOUT_FD);
	cr_expect_str_eq(c.svc.std_error_path, "stderr");
	conf_free(&c);
	load_svc("StandardOutput=fd:applog", &c);
	cr_expect_eq(c.svc.std_output, STDOUT_FD);
	cr_expect_str_eq(c.svc.std_output_path, "applog");
	conf_free(&c);

	load_svc("StandardInput=file:/x\nStandardInput=null", &c);
	cr_expect_eq(c.svc.std_input, STDIN_NULL);
	cr_expect_null(c.svc.std_input_path);
	conf_free(&c);
}

/* ------------------------------------------------------------- [Socket] */

Test(socket, defaults, .timeout = 10)
{
	struct unit_conf c;

	load_sock("", &c);
	cr_expect_eq(c.kind, UNIT_SOCKET);
	cr_assert_eq(c.sock.n_listen, 1);
	cr_expect_eq(c.sock.listen[0].kind, LISTEN_STREAM);
	cr_expect_str_eq(c.sock.listen[0].address, "8080");
	cr_expect_eq(c.sock.listen[0].line, 2);
	cr_expect_null(c.sock.fdname);
	cr_expect_null(c.sock.service);
	cr_expect_eq(c.sock.backlog, 4096);
	cr_expect_eq(c.sock.socket_mode, 0666);
	cr_expect_eq(c.sock.directory_mode, 0755);
	cr_expect_null(c.sock.socket_user);
	cr_expect(!c.sock.reuse_port && !c.sock.free_bind && !c.sock.keep_alive);
	cr_expect(!c.sock.no_delay && !c.sock.accept && !c.sock.pass_credentials);
	cr_expect_eq(c.sock.bind_ipv6_only, BIND_IPV6_DEFAULT);
	cr_expect_eq(c.sock.max_connections, 64);
	cr_expect_eq(c.sock.max_connections_per_source, 64);
	cr_expect_eq(c.sock.trigger_limit_interval_usec, 2 * SEC);
	cr_expect_eq(c.sock.trigger_limit_burst, 20);
	cr_expect(!c.sock.remove_on_stop);
	conf_free(&c);
}

Test(socket, listen_kinds_and_reset, .timeout = 10)
{
	struct unit_conf c;

	load_sock("ListenDatagram=127.0.0.1:53\nListenSequentialPacket=/run/x.sock\n"
		  "ListenFIFO=/run/x.fifo\nListenStream=[::1]:80\nListenStream=@abstract", &c);
	cr_assert_eq(c.sock.n_listen, 6);
	cr_expect_eq(c.sock.listen[1].kind, LISTEN_DATAGRAM);
	cr_expect_str_eq(c.sock.listen[1].address, "127.0.0.1:53");
	cr_expect_eq(c.sock.listen[1].line, 3);
	cr_expect_eq(c.sock.listen[2].kind, LISTEN_SEQPACKET);
	cr_expect_eq(c.sock.listen[3].kind, LISTEN_FIFO);
	cr_expect_str_eq(c.sock.listen[4].address, "[::1]:80");
	cr_expect_str_eq(c.sock.listen[5].address, "@abstract");
	conf_free(&c);

	/* An empty assignment of any Listen*= clears them all. */
	load_sock("ListenFIFO=/run/f\nListenDatagram=\nListenStream=9090", &c);
	cr_assert_eq(c.sock.n_listen, 1);
	cr_expect_str_eq(c.sock.listen[0].address, "9090");
	conf_free(&c);

	/* ListenSpecial=, ListenNetlink=, ListenMessageQueue= and their options. */
	load_sock("SocketProtocol=udplite", &c);
	cr_expect_eq(c.sock.socket_protocol, IPPROTO_UDPLITE);
	conf_free(&c);
	load_sock("SocketProtocol=sctp\nSocketProtocol=", &c);
	cr_expect_eq(c.sock.socket_protocol, 0, "reset");
	conf_free(&c);
	load_sock("ListenSpecial=/dev/kmsg\nListenNetlink=kobject-uevent 1\nListenNetlink=16\n"
		  "ListenMessageQueue=/q\nWritable=yes\nMessageQueueMaxMessages=8\nMessageQueueMessageSize=128", &c);
	cr_assert_eq(c.sock.n_listen, 5);
	cr_expect_eq(c.sock.listen[1].kind, LISTEN_SPECIAL);
	cr_expect_eq(c.sock.listen[2].kind, LISTEN_NETLINK);
	cr_expect_str_eq(c.sock.listen[2].address, "kobject-uevent 1");
	cr_expect_eq(c.sock.listen[3].kind, LISTEN_NETLINK);
	cr_expect_eq(c.sock.listen[4].kind, LISTEN_MQUEUE);
	cr_expect(c.sock.writable);
	cr_expect_eq(c.sock.socket_protocol, 0);
	cr_expect_eq(c.sock.mq_maxmsg, 8);
	cr_expect_eq(c.sock.mq_msgsize, 128);
	conf_free(&c);

	expect_fail("a.socket", "[Unit]\nDescription=x\n[Socket]\nBacklog=5\n", "/u/x:3: socket unit has no Listen");
	expect_fail("a.socket", "[Socket]\nListenStream=80\nListenStream=\n", "/u/x:1: socket unit has no Listen");
}

Test(socket, options, .timeout = 10)
{
	struct unit_conf c;

	load_sock("FileDescriptorName=web\nService=worker.service\nBacklog=128\nSocketMode=0600\n"
		  "DirectoryMode=0700\nSocketUser=www\nSocketGroup=www\nReusePort=yes\nFreeBind=true\n"
		  "KeepAlive=on\nNoDelay=1\nPassCredentials=yes\nBindIPv6Only=ipv6-only\n"
		  "MaxConnections=10\nTriggerLimitIntervalSec=5s\nTriggerLimitBurst=7\nRemoveOnStop=yes", &c);
	cr_expect_str_eq(c.sock.fdname, "web");
	cr_expect_str_eq(c.sock.service, "worker.service");
	cr_expect_eq(c.sock.backlog, 128);
	cr_expect_eq(c.sock.socket_mode, 0600);
	cr_expect_eq(c.sock.directory_mode, 0700);
	cr_expect_str_eq(c.sock.socket_user, "www");
	cr_expect_str_eq(c.sock.socket_group, "www");
	cr_expect(c.sock.reuse_port && c.sock.free_bind && c.sock.keep_alive);
	cr_expect(c.sock.no_delay && c.sock.pass_credentials && c.sock.remove_on_stop);
	cr_expect(!c.sock.accept);
	cr_expect_eq(c.sock.bind_ipv6_only, BIND_IPV6_ONLY);
	cr_expect_eq(c.sock.max_connections, 10);
	cr_expect_eq(c.sock.max_connections_per_source, 10);
	cr_expect_eq(c.sock.trigger_limit_interval_usec, 5 * SEC);
	cr_expect_eq(c.sock.trigger_limit_burst, 7);
	conf_free(&c);

	load_sock("BindIPv6Only=both\nMaxConnectionsPerSource=3", &c);
	cr_expect_eq(c.sock.bind_ipv6_only, BIND_IPV6_BOTH);
	cr_expect_eq(c.sock.max_connections_per_source, 3);
	conf_free(&c);

	load_sock("Accept=yes", &c);
	cr_expect(c.sock.accept);
	cr_expect_eq(c.sock.trigger_limit_burst, 200);
	conf_free(&c);

	load_sock("Accept=yes\nTriggerLimitBurst=30", &c);
	cr_expect_eq(c.sock.trigger_limit_burst, 30);
	conf_free(&c);

	load_sock("FileDescriptorName=x\nFileDescriptorName=", &c);
	cr_expect_null(c.sock.fdname);
	conf_free(&c);
}

static const struct {
	const char *text;
	const char *msg;
} socket_errors[] = {
	{ "ListenStream=0", "ListenStream=: '0'" },
	{ "ListenStream=70000", "ListenStream=" },
	{ "ListenStream=host:", "ListenStream=" },
	{ "ListenStream=[::1]", "ListenStream=" },
	{ "ListenStream=relative/path", "ListenStream=" },
	{ "ListenDatagram=:53", "ListenDatagram=" },
	{ "ListenSequentialPacket=127.0.0.1:80", "ListenSequentialPacket=" },
	{ "ListenFIFO=fifo", "ListenFIFO=: 'fifo'" },
	{ "ListenSpecial=dev/kmsg", "ListenSpecial=: 'dev/kmsg'" },
	{ "ListenNetlink=nosuchfamily 1", "unknown netlink family" },
	{ "ListenNetlink=route x", "not a netlink group" },
	{ "ListenNetlink=route 1 2", "expected \"FAMILY [GROUP]\"" },
	{ "ListenNetlink=route 4294967296", "not a netlink group" },
	{ "ListenMessageQueue=q", "a message queue is named /NAME" },
	{ "ListenMessageQueue=/a/b", "a message queue is named /NAME" },
	{ "ListenMessageQueue=/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	  "at most 107 bytes" },
	{ "ListenSpecial=/a/../b", "ListenSpecial=" },
	{ "Writable=x", "Writable=" },
	{ "SocketProtocol=tcp", "SocketProtocol=" },
	{ "MessageQueueMaxMessages=-1", "MessageQueueMaxMessages=" },
	{ "FileDescriptorName=a:b", "FileDescriptorName=: 'a:b'" },
	{ "FileDescriptorName=tab\there", "FileDescriptorName=" },
	{ "Service=worker.socket", "Service=: 'worker.socket'" },
	{ "Backlog=-5", "Backlog=" },
	{ "SocketMode=0999", "SocketMode=: '0999'" },
	{ "SocketMode=17777", "SocketMode=" },
	{ "DirectoryMode=rwx", "DirectoryMode=" },
	{ "SocketUser=a b", "SocketUser=" },
	{ "ReusePort=2", "ReusePort=" },
	{ "FreeBind=x", "FreeBind=" },
	{ "KeepAlive=x", "KeepAlive=" },
	{ "NoDelay=x", "NoDelay=" },
	{ "PassCredentials=x", "PassCredentials=" },
	{ "Accept=x", "Accept=" },
	{ "RemoveOnStop=x", "RemoveOnStop=" },
	{ "BindIPv6Only=never", "BindIPv6Only=" },
	{ "MaxConnections=0", "MaxConnections=" },
	{ "MaxConnectionsPerSource=x", "MaxConnectionsPerSource=" },
	{ "TriggerLimitIntervalSec=x", "TriggerLimitIntervalSec=" },
	{ "TriggerLimitBurst=x", "TriggerLimitBurst=" },
};

Test(socket, bad_values, .timeout = 10)
{
	for (size_t i = 0; i < sizeof(socket_errors) / sizeof(socket_errors[0]); i++) {
		char text[512];
		struct unit_conf c;

		snprintf(text, sizeof(text), "[Socket]\nListenStream=80\n%s\n", socket_errors[i].text);
		if (load("a.socket", text, &c) == 0) {
			cr_expect_fail("'%s' accepted", socket_errors[i].text);
			conf_free(&c);
			continue;
		}
		cr_expect(strncmp(err, "/u/x:3: ", 8) == 0, "'%s': err '%s'", socket_errors[i].text, err);
		cr_expect(strstr(err, socket_errors[i].msg), "'%s': err '%s'", socket_errors[i].text, err);
	}
	expect_fail("a.socket", "[Socket]\nListenStream=80\nAccept=yes\nService=x.service\n",
		    "/u/x:1: Service= cannot be used with Accept=yes");
	/* Accept=yes with something that cannot accept (systemd refuses it too). */
	expect_fail("a.socket", "[Socket]\nListenStream=80\nListenDatagram=127.0.0.1:53\nAccept=yes\n",
		    "/u/x:3: Accept=yes needs stream or sequential-packet sockets, and 127.0.0.1:53 cannot accept");
	expect_fail("a.socket", "[Socket]\nAccept=yes\nListenFIFO=/run/f\n",
		    "/u/x:3: Accept=yes needs stream");
}

Test(socket, service_keys_warn_in_socket, .timeout = 10)
{
	struct unit_conf c;

	cr_assert_eq(load("a.socket", "[Socket]\nListenStream=80\nExecStartPre=/bin/x\n[Service]\nType=simple\n",
			  &c), 0, "%s", err);
	cr_expect_eq(dl.n_warn, 2, "%s", dl.text);
	cr_expect(strstr(dl.text, "W /u/x:3: ExecStartPre= in section [Socket] is not supported"), "%s", dl.text);
	cr_expect(strstr(dl.text, "W /u/x:4: unknown section [Service]"), "%s", dl.text);
	conf_free(&c);
}

/* A realistic unit from end to end, with quoting and continuation. */
Test(service, full_unit, .timeout = 10)
{
	struct unit_conf c;

	cr_assert_eq(load("worker.service",
			  "# worker\n[Unit]\nDescription=Worker\nRequires=worker.socket\nAfter=worker.socket\n\n"
			  "[Service]\nType=notify\nExecStart=/usr/bin/worker --name \"my worker\" \\\n"
			  "    --level=3 \\\n"
			  "    # a comment in the middle\n"
			  "    '--path=/a b'\n"
			  "Environment=\"GREETING=hello world\" MODE=fast\nRestart=on-failure\nRestartSec=1.5s\n"
			  "FileDescriptorStoreMax=8\nNotifyAccess=main\nWatchdogSec=30s\n"
			  "[Install]\nWantedBy=multi-user.target\n", &c), 0, "%s", err);
	cr_assert_eq(c.svc.n_exec_start, 1);
	cr_expect_eq(c.svc.exec_start[0].line, 9);
	cr_assert_eq(c.svc.exec_start[0].argc, 5);
	cr_expect_str_eq(c.svc.exec_start[0].argv[2], "my worker");
	cr_expect_str_eq(c.svc.exec_start[0].argv[3], "--level=3");
	cr_expect_str_eq(c.svc.exec_start[0].argv[4], "--path=/a b");
	cr_expect_eq(c.svc.restart_usec, 1500000);
	cr_expect_eq(c.svc.type, SVC_TYPE_NOTIFY);
	cr_expect_eq(c.svc.n_environment, 2);
	conf_free(&c);
}

/* The generated tables (scripts/gen-syscall-sets): names sorted for the
 * binary search, every group member a known name or group, every number
 * within the filter's range, and @system-service what systemd means. */
Test(conf_values, syscall_tables_are_whole, .timeout = 10)
{
	for (size_t i = 1; i < n_syscall_names; i++)
		cr_expect_lt(strcmp(syscall_names[i - 1].name, syscall_names[i].name), 0, "%s before %s",
			     syscall_names[i - 1].name, syscall_names[i].name);
	for (size_t i = 0; i < n_syscall_names; i++)
		cr_expect(syscall_names[i].nr < SYSF_NR_MAX, "%s: %d", syscall_names[i].name, syscall_names[i].nr);
	for (size_t i = 0; i < n_syscall_sets; i++)
		for (const char *m = syscall_sets[i].members; *m; m += strlen(m) + 1) {
			bool found = false;
			for (size_t k = 0; !found && k < (m[0] == '@' ? n_syscall_sets : n_syscall_names); k++)
				found = !strcmp(m, m[0] == '@' ? syscall_sets[k].name : syscall_names[k].name);
			cr_expect(found, "%s: member %s", syscall_sets[i].name, m);
		}
	struct sysf_calls *c = NULL;
	char why[200];
	cr_assert_eq(sysfilter_parse_calls("@system-service", &c, why, sizeof why), 0, "%s", why);
#define HAS(nr) ((c->set[(nr) / 64] >> ((nr) % 64)) & 1)
	cr_expect(HAS(SYS_read) && HAS(SYS_openat) && HAS(SYS_mmap) && HAS(SYS_clone) && HAS(SYS_execve) &&
		  HAS(SYS_socket) && HAS(SYS_epoll_wait) && HAS(SYS_setresuid) && HAS(SYS_rt_sigaction));
	cr_expect(!HAS(SYS_mount) && !HAS(SYS_reboot) && !HAS(SYS_init_module) && !HAS(SYS_ptrace) && !HAS(SYS_swapon),
		  "@system-service leaves out @mount, @reboot, @module, @debug, @swap");
#undef HAS
	free(c);
}
