/*
 * test_envfile.c - EnvironmentFile= parsing (envfile.c) against what
 * systemd's load_env_file() makes of the same text, and loading files,
 * globs and "-" paths.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "envfile.h"

struct got {
	char *v[32];
	int n;
};

static int collect(void *ctx, char *assign)
{
	struct got *g = ctx;
	cr_assert_lt(g->n, 32);
	g->v[g->n++] = assign;
	return 0;
}

static void got_free(struct got *g)
{
	for (int i = 0; i < g->n; i++)
		free(g->v[i]);
	g->n = 0;
}

/* Parse text (len bytes) and expect exactly the assignments in want. */
static void expect_parse(const char *text, size_t len, const char *const *want, unsigned skipped_want)
{
	struct got g = { 0 };
	unsigned skipped = 99;
	int n = envfile_parse(text, len, collect, &g, &skipped);
	int nw = 0;
	while (want[nw])
		nw++;
	cr_expect_eq(n, nw, "%d assignments, want %d, from: %s", n, nw, text);
	for (int i = 0; i < g.n && i < nw; i++)
		cr_expect_str_eq(g.v[i], want[i], "assignment %d", i);
	cr_expect_eq(skipped, skipped_want, "skipped %u, want %u, from: %s", skipped, skipped_want, text);
	got_free(&g);
}

#define EXPECT(text, skipped, ...)                                            \
	do {                                                                  \
		const char *const w_[] = { __VA_ARGS__, NULL };               \
		expect_parse(text, sizeof(text) - 1, w_, skipped);            \
	} while (0)

Test(envfile, bare_values_escapes_and_continuations)
{
	/* systemd's test-env-file.c, env_file_1. */
	EXPECT("a=a\n"
	       "b=b\\\n"
	       "c\n"
	       "d= d\\\n"
	       "\\\n"
	       "e  \\\n"
	       "f  \n"
	       "g=g\\ \n"
	       "h= \xc4\x85\xc4\x99\xc3\xb3\xc5\x82\\ \xc5\x9b\xc4\x87\n"
	       "i=i\\",
	       0, "a=a", "b=bc", "d=de  f", "g=g ", "h=\xc4\x85\xc4\x99\xc3\xb3\xc5\x82 \xc5\x9b\xc4\x87", "i=i");
}

Test(envfile, quotes)
{
	/* A quote opens a quoted part only where a value starts (or right
	 * after another quoted part); inside a bare value it is a byte. */
	EXPECT("a=\"a b\"\n"
	       "b='c d'\n"
	       "c=\"e\\\"f\"\n"
	       "d=\"g\\h\"\n"
	       "e=x\"y\"'z'\n"
	       "f=\"multi\n"
	       "line\"\n"
	       "g='$HOME \\n'\n"
	       "h=\"\\$\\`\\\\\"\n"
	       "i=\"con\\\n"
	       "tinued\"\n"
	       "j=\"y\"z 'w'\n",
	       0, "a=a b", "b=c d", "c=e\"f", "d=g\\h", "e=x\"y\"'z'", "f=multi\nline", "g=$HOME \\n", "h=$`\\",
	       "i=continued", "j=yz 'w'");
}

Test(envfile, comments_blanks_and_whitespace)
{
	EXPECT("# a comment\n"
	       "; another\n"
	       "\n"
	       "   \t\n"
	       "  K  =  v  \n"
	       "x=1 # not a comment\n"
	       "E=\n"
	       "CR=1\r\n"
	       "last=no-newline",
	       0, "K=v", "x=1 # not a comment", "E=", "CR=1", "last=no-newline");
}

Test(envfile, invalid_lines_are_skipped)
{
	EXPECT("1A=x\n"
	       "B C=y\n"
	       "noequals\n"
	       "-X=1\n"
	       "GOOD=1\n"
	       "A=1\n"
	       "A=2\n"
	       "tail",
	       5, "GOOD=1", "A=1", "A=2");
	/* A NUL byte spoils its line only. */
	EXPECT("A=x\0y\nB=2\n", 1, "B=2");
	EXPECT("", 0, NULL);
}

static int stop_at_two(void *ctx, char *assign)
{
	int *n = ctx;
	free(assign);
	return ++*n == 2 ? -ECANCELED : 0;
}

Test(envfile, a_callback_error_stops_the_parse)
{
	int n = 0;
	const char t[] = "A=1\nB=2\nC=3\n";
	cr_expect_eq(envfile_parse(t, sizeof t - 1, stop_at_two, &n, NULL), -ECANCELED);
	cr_expect_eq(n, 2);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

Test(envfile, load_files_globs_and_optional_paths)
{
	char dir[] = "/tmp/supd-envfile-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	char a[300], b[300], set[320], err[512];
	snprintf(a, sizeof a, "%s/10-a.env", dir);
	snprintf(b, sizeof b, "%s/20-b.env", dir);
	write_file(a, "A=1\nB=from-a\n");
	write_file(b, "B=from-b\n");
	struct got g = { 0 };

	cr_expect_eq(envfile_load(a, collect, &g, err, sizeof err), 2, "%s", err);
	got_free(&g);
	/* A glob reads the files in sorted order. */
	snprintf(set, sizeof set, "%s/*.env", dir);
	cr_assert_eq(envfile_load(set, collect, &g, err, sizeof err), 3, "%s", err);
	cr_expect_str_eq(g.v[2], "B=from-b");
	got_free(&g);
	/* Missing: an error naming the file, unless "-". */
	snprintf(set, sizeof set, "%s/missing", dir);
	cr_expect_eq(envfile_load(set, collect, &g, err, sizeof err), -ENOENT);
	cr_expect(strstr(err, set) && strstr(err, "No such file"), "message: %s", err);
	snprintf(set, sizeof set, "-%s/missing", dir);
	cr_expect_eq(envfile_load(set, collect, &g, err, sizeof err), 0);
	snprintf(set, sizeof set, "-%s/*.none", dir);
	cr_expect_eq(envfile_load(set, collect, &g, err, sizeof err), 0);
	snprintf(set, sizeof set, "%s/*.none", dir);
	cr_expect_eq(envfile_load(set, collect, &g, err, sizeof err), -ENOENT);
	cr_expect_eq(envfile_load("relative.env", collect, &g, err, sizeof err), -EINVAL);
	/* A directory, and a file over the limit, are refused. */
	cr_expect_eq(envfile_load(dir, collect, &g, err, sizeof err), -EISDIR);
	char big[300];
	snprintf(big, sizeof big, "%s/big", dir);
	FILE *f = fopen(big, "w");
	cr_assert_not_null(f);
	for (unsigned i = 0; i <= ENVFILE_MAX_BYTES / 8; i++)
		fputs("#comment", f);
	fclose(f);
	cr_expect_eq(envfile_load(big, collect, &g, err, sizeof err), -EFBIG);
	cr_expect(strstr(err, "larger than 1 MiB"), "message: %s", err);
	cr_expect_eq(g.n, 0);
	unlink(a);
	unlink(b);
	unlink(big);
	rmdir(dir);
}
