/*
 * test_fstree.c - the two tree walkers the daemon runs as root over
 * directories a service could write into: chowntree (StateDirectory= and
 * the like, given to User=) and rmtree (RuntimeDirectory=, PrivateTmp=).
 * Neither may follow a link a service planted, leak a descriptor, or
 * recurse without bound.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "chowntree.h"
#include "harness.h"
#include "rmtree.h"

static char dir[64];

static void mk(void)
{
	snprintf(dir, sizeof dir, "/tmp/supd-fstree-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void path(char *buf, size_t len, const char *rel)
{
	snprintf(buf, len, "%s/%s", dir, rel);
}

static uid_t owner(const char *rel)
{
	char p[256];
	path(p, sizeof p, rel);
	struct stat st;
	cr_assert_eq(lstat(p, &st), 0, "%s", p);
	return st.st_uid;
}

/* rm -rf dir: what rmtree leaves on purpose (too deep). */
static void rm_dir(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	cr_expect_eq(system(cmd), 0);
}

/* dir with a chain of `levels` directories "d/d/d...": dir open. */
static int deep_tree(int levels)
{
	mk();
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	int cur = dup(fd);
	for (int i = 0; i < levels; i++) {
		cr_assert_eq(mkdirat(cur, "d", 0755), 0);
		int next = openat(cur, "d", O_RDONLY | O_DIRECTORY);
		close(cur);
		cur = next;
	}
	close(cur);
	return fd;
}

/* systemd's shortcut: a top that is already the owner's means the tree
 * is not walked, even if something below belongs to another. */
Test(chowntree, an_owned_top_is_not_descended)
{
	if (geteuid() != 0)
		cr_skip_test("needs root to give files away");
	mk();
	char f[256];
	path(f, sizeof f, "f");
	cr_assert_eq(h_write_file(f, "x"), 0);
	cr_assert_eq(chown(f, 1, 1), 0);
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	cr_assert_eq(chowntree(fd, 0, 0), 0);
	cr_expect_eq(owner("f"), 1u);
	/* Another owner: all of it goes. */
	cr_assert_eq(chowntree(fd, 65534, 65534), 1);
	cr_expect_eq(owner("f"), 65534u);
	cr_expect_eq(owner("."), 65534u);
	close(fd);
	cr_expect_eq(rmtree(dir), 0);
}

/* A tree deeper than the walker goes fails, it does not overflow the
 * stack or run out of descriptors; none is left open. */
Test(chowntree, a_tree_too_deep_fails_and_leaks_nothing)
{
	if (geteuid() != 0)
		cr_skip_test("needs root to give files away");
	int fd = deep_tree(300);
	int before = h_count_fds(getpid());
	cr_expect_eq(chowntree(fd, 65534, 65534), -ELOOP);
	cr_expect_eq(h_count_fds(getpid()), before);
	close(fd);
	/* rmtree stops at the same depth: the top stays, and says so. */
	cr_expect_neq(rmtree(dir), 0);
	rm_dir();
}

/* The walk holds one descriptor per level: a 200-deep tree goes through
 * under a 300-descriptor limit (a daemon holding many for its services
 * must not fail a start with EMFILE). */
Test(chowntree, one_descriptor_per_level)
{
	if (geteuid() != 0)
		cr_skip_test("needs root to give files away");
	int fd = deep_tree(200);
	pid_t pid = fork();
	if (pid == 0) {
		struct rlimit rl = { 300, 300 };
		_exit(setrlimit(RLIMIT_NOFILE, &rl) == 0 && chowntree(fd, 65534, 65534) == 1 ? 0 : 1);
	}
	int st = 0;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the walk ran out of descriptors");
	close(fd);
	rm_dir();
}

/* Links are re-owned and removed themselves, never followed. */
Test(fstree, links_are_never_followed)
{
	if (geteuid() != 0)
		cr_skip_test("needs root to give files away");
	mk();
	char out[64], l[256], victim[128];
	snprintf(out, sizeof out, "/tmp/supd-fstree-out-XXXXXX");
	cr_assert_not_null(mkdtemp(out));
	snprintf(victim, sizeof victim, "%s/keep", out);
	cr_assert_eq(h_write_file(victim, "x"), 0);
	path(l, sizeof l, "dirlink");
	cr_assert_eq(symlink(out, l), 0);
	path(l, sizeof l, "filelink");
	cr_assert_eq(symlink(victim, l), 0);
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	cr_assert_eq(chowntree(fd, 65534, 65534), 1);
	close(fd);
	cr_expect_eq(owner("dirlink"), 65534u);
	cr_expect_eq(owner("filelink"), 65534u);
	struct stat st;
	cr_assert_eq(stat(victim, &st), 0);
	cr_expect_eq(st.st_uid, 0u, "a link was followed");
	cr_assert_eq(stat(out, &st), 0);
	cr_expect_eq(st.st_uid, 0u, "a link to a directory was followed");
	cr_expect_eq(rmtree(dir), 0);
	cr_expect_eq(access(victim, F_OK), 0, "rmtree followed a link");
	cr_expect_eq(rmtree(out), 0);
}
