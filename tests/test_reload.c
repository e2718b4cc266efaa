/*
 * test_reload.c - re-reading the unit directory (SIGHUP) while services
 * serve under load: added units load, removed ones stop and go, changed
 * ones take effect at their next start, unchanged sockets keep their bound
 * fd, a broken file keeps the old definition, and nothing is refused.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define SDWORKER H_WORKERS "/sdworker"

static bool wait_log(struct hd *d, const char *needle, int ms)
{
	long long end = h_now_ms() + ms;
	while (h_now_ms() < end) {
		if (hd_log_has(d, needle))
			return true;
		h_msleep(20);
	}
	return false;
}

static void reload(struct hd *d, int n)
{
	char want[64];
	kill(d->pid, SIGHUP);
	/* Each reload logs one summary line; wait for the n-th. */
	snprintf(want, sizeof want, "reloaded:");
	long long end = h_now_ms() + 5000;
	while (h_now_ms() < end) {
		FILE *f = fopen(d->log, "r");
		int count = 0;
		char line[2048];
		while (f && fgets(line, sizeof line, f))
			count += strstr(line, want) != NULL;
		if (f)
			fclose(f);
		if (count >= n)
			return;
		h_msleep(20);
	}
	cr_assert_fail("reload %d did not finish", n);
}

Test(reload, add_remove_change_under_load, .timeout = 120)
{
	struct hd d;
	hd_init(&d);
	int port = h_free_port(), port2 = h_free_port();
	hd_unit(&d, "web.socket", "[Socket]\nListenStream=127.0.0.1:%d\n", port);
	hd_unit(&d, "web.service", "[Service]\nExecStart=" SDWORKER "\n[Install]\nWantedBy=multi-user.target\n");
	hd_unit(&d, "keep.service", "[Service]\nExecStart=/bin/sleep 100000\n");
	hd_unit(&d, "gone.service", "[Service]\nExecStart=/bin/sleep 100000\n");
	hd_unit(&d, "changes.service", "[Service]\nExecStart=/bin/sleep 100000\nEnvironment=V=1\n");
	hd_start(&d);
	cr_assert_eq(hd_wait_state(&d, "web.service", "running", 5000), 0);
	cr_assert_eq(hd_wait_state(&d, "gone.service", "running", 5000), 0);
	int web = 0, keep = 0, gone = 0, changes = 0;
	hd_unit_info(&d, "web.service", NULL, 0, &web, NULL, NULL, 0);
	hd_unit_info(&d, "keep.service", NULL, 0, &keep, NULL, NULL, 0);
	hd_unit_info(&d, "gone.service", NULL, 0, &gone, NULL, NULL, 0);
	hd_unit_info(&d, "changes.service", NULL, 0, &changes, NULL, NULL, 0);
	char fds[8192];
	h_list_fds(d.pid, fds, sizeof fds);

	struct h_load load;
	h_load_start(&load, port, 60000);
	h_msleep(200);

	/* Add a socket + service, remove one, change one, and touch the socket
	 * unit in a way that keeps its address and options. */
	hd_unit(&d, "new.socket", "[Socket]\nListenStream=127.0.0.1:%d\n", port2);
	hd_unit(&d, "new.service", "[Service]\nExecStart=" SDWORKER "\n");
	char path[600];
	snprintf(path, sizeof path, "%s/gone.service", d.units);
	unlink(path);
	hd_unit(&d, "changes.service", "[Service]\nExecStart=/bin/sleep 100000\nEnvironment=V=2\n");
	hd_unit(&d, "web.socket", "[Unit]\nDescription=now with a description\n[Socket]\nListenStream=127.0.0.1:%d\n",
		port);
	reload(&d, 1);

	/* Unchanged (and changed-but-running) services keep their pids. */
	int pid;
	hd_unit_info(&d, "web.service", NULL, 0, &pid, NULL, NULL, 0);
	cr_expect_eq(pid, web, "web was restarted by the reload");
	hd_unit_info(&d, "keep.service", NULL, 0, &pid, NULL, NULL, 0);
	cr_expect_eq(pid, keep);
	hd_unit_info(&d, "changes.service", NULL, 0, &pid, NULL, NULL, 0);
	cr_expect_eq(pid, changes, "a changed service must keep running until its next start");
	/* The removed one is stopped and dropped. */
	long long end = h_now_ms() + 5000;
	char out[4096];
	while (h_now_ms() < end && hd_ctl(&d, out, sizeof out, "status", "gone", NULL) != 4)
		h_msleep(20);
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "status", "gone", NULL), 4, "gone.service is still there: %s", out);
	cr_expect(!h_alive(gone), "the removed service's process survived");
	/* The added socket listens and activates its service. */
	char ans[512];
	cr_expect_gt(h_http_get(port2, ans, sizeof ans, 5000), 0, "the new socket does not answer");
	/* The changed service takes the new definition at its next start. */
	cr_assert_eq(hd_ctl(&d, out, sizeof out, "restart", "changes", NULL), 0, "%s", out);
	hd_unit_info(&d, "changes.service", NULL, 0, &pid, NULL, NULL, 0);
	char envp[64], env[4096] = "";
	snprintf(envp, sizeof envp, "/proc/%d/environ", pid);
	FILE *f = fopen(envp, "r");
	if (f) {
		size_t n = fread(env, 1, sizeof env - 1, f);
		for (size_t i = 0; i < n; i++)
			if (!env[i])
				env[i] = ' ';
		env[n] = '\0';
		fclose(f);
	}
	cr_expect(strstr(env, "V=2"), "the new definition is not used: %s", env);

	/* A broken file: reported, the old definition kept and working. */
	hd_unit(&d, "keep.service", "[Service]\nExecStart=/bin/sleep 100000\nthis is not a key value line\n");
	reload(&d, 2);
	cr_expect(wait_log(&d, "keeping the old definition", 2000));
	char st[64], status[2048];
	hd_unit_info(&d, "keep.service", st, sizeof st, &pid, NULL, status, sizeof status);
	cr_expect_str_eq(st, "running");
	cr_expect_eq(pid, keep);
	cr_assert_eq(hd_ctl(&d, out, sizeof out, "restart", "keep", NULL), 0, "the old definition should still start: %s",
		     out);

	struct h_load_result res;
	h_load_stop(&load, &res);
	cr_log_info("reload under load: %ld ok, %ld failed", res.ok, res.failed);
	cr_expect_eq(res.failed, 0, "%ld failed (first: %s)", res.failed, res.first_error);
	cr_expect(wait_log(&d, "web.socket: 1 listener(s) kept", 100), "the unchanged listener was not kept");
	cr_expect_eq(hd_stop(&d), 0);
}

Test(reload, changed_socket_address_is_rebound, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	int p1 = h_free_port(), p2 = h_free_port();
	hd_unit(&d, "w.socket", "[Socket]\nListenStream=127.0.0.1:%d\n", p1);
	hd_unit(&d, "w.service", "[Service]\nExecStart=" SDWORKER "\n");
	hd_start(&d);
	int base = h_count_fds_settled(d.pid);
	char ans[256];
	cr_assert_gt(h_http_get(p1, ans, sizeof ans, 5000), 0);
	cr_assert_eq(hd_ctl(&d, NULL, 0, "stop", "w", NULL), 0);
	hd_unit(&d, "w.socket", "[Socket]\nListenStream=127.0.0.1:%d\n", p2);
	reload(&d, 1);
	cr_expect_lt(h_http_get(p1, ans, sizeof ans, 1000), 0, "the old address still answers");
	cr_expect_gt(h_http_get(p2, ans, sizeof ans, 5000), 0, "the new address does not answer");
	cr_expect_eq(hd_wait_state(&d, "w.service", "running", 5000), 0);
	cr_expect_eq(h_count_fds_settled(d.pid), base, "descriptors leaked by the reload");
	cr_expect_eq(hd_stop(&d), 0);
}

/* Templates: NAME@INSTANCE.service is made from NAME@.service when it is
 * asked for, by `supctl start` or by another unit's Wants=, with %i and %I
 * naming the instance; a template itself does not start; instances live
 * through a re-exec, take the template's new text at a reload (used at
 * their next start) and go with it when it is removed. An instance file of
 * its own (a link to the template) is loaded from that file, and a template
 * with WantedBy= and DefaultInstance= starts that instance, as in systemd. */
Test(reload, template_instances, .timeout = 60)
{
	struct hd d;
	hd_init(&d);
	char out[1024], rep[400], path[600];
/* The report is written whole, then renamed: a reader never sees it half-made. */
#define TEMPLATE(tag) \
	"[Unit]\nDescription=worker %%i\n[Service]\nExecStart=/bin/sh -c 'echo \"" tag " %%i %%I %%n\" > %s/%%i.tmp; " \
	"mv %s/%%i.tmp %s/%%i.out; exec sleep 1000'\n"
	hd_unit(&d, "w@.service", TEMPLATE("v1"), d.dir, d.dir, d.dir);
	hd_unit(&d, "app.service", "[Unit]\nWants=w@dep.service\n[Service]\nExecStart=/bin/sleep 1000\n");
	snprintf(path, sizeof path, "%s/w@linked.service", d.units);
	cr_assert_eq(symlink("w@.service", path), 0);
	/* Enabled with a default instance: that one starts with the daemon. */
	hd_unit(&d, "def@.service", "[Service]\nExecStart=/bin/sleep 1000\n[Install]\nWantedBy=multi-user.target\n"
		"DefaultInstance=main\n");
	hd_start(&d);
	cr_expect_eq(hd_wait_state(&d, "def@main.service", "running", 5000), 0);
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "status", "def@", NULL), 0, "%s", out);
	cr_expect(strstr(out, "stopped"), "the template itself: %s", out);

	snprintf(rep, sizeof rep, "%s/dep.out", d.dir);
	char *t = h_wait_file(rep, 5000);
	cr_expect(t && !strcmp(t, "v1 dep dep w@dep.service\n"), "made by Wants=: %s", t ? t : "(no report)");
	snprintf(rep, sizeof rep, "%s/linked.out", d.dir);
	t = h_wait_file(rep, 5000);
	cr_expect(t && !strcmp(t, "v1 linked linked w@linked.service\n"), "its own link: %s", t ? t : "(no report)");
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "start", "w@a-b", NULL), 0, "%s", out);
	snprintf(rep, sizeof rep, "%s/a-b.out", d.dir);
	t = h_wait_file(rep, 5000);
	cr_expect(t && !strcmp(t, "v1 a-b a/b w@a-b.service\n"), "made by start: %s", t ? t : "(no report)");
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "status", "w@a-b", NULL), 0, "%s", out);
	cr_expect(strstr(out, "running"), "%s", out);

	/* The template itself, and names that make no instance. */
	cr_expect_neq(hd_ctl(&d, out, sizeof out, "start", "w@", NULL), 0, "%s", out);
	cr_expect(strstr(out, "template"), "%s", out);
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "start", "nosuch@x", NULL), 4, "%s", out);
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "start", "w@x y", NULL), 4, "%s", out);
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "status", "w@never", NULL), 4, "status makes no instance: %s", out);

	/* A re-exec keeps them, processes and all. */
	int before = 0, after = 0;
	cr_assert_eq(hd_unit_info(&d, "w@a-b.service", NULL, 0, &before, NULL, NULL, 0), 0);
	cr_assert_eq(hd_ctl(&d, out, sizeof out, "reexec", NULL), 0, "%s", out);
	cr_assert_eq(hd_unit_info(&d, "w@a-b.service", NULL, 0, &after, NULL, NULL, 0), 0);
	cr_expect(before > 0 && after == before, "pid %d before the re-exec, %d after", before, after);

	/* A changed template: the instance takes it at its next start. */
	hd_unit(&d, "w@.service", TEMPLATE("v2"), d.dir, d.dir, d.dir);
	reload(&d, 1);
	unlink(rep);
	cr_expect_eq(hd_ctl(&d, out, sizeof out, "restart", "w@a-b", NULL), 0, "%s", out);
	t = h_wait_file(rep, 5000);
	cr_expect(t && !strcmp(t, "v2 a-b a/b w@a-b.service\n"), "after the reload: %s", t ? t : "(no report)");
	int fds = h_count_fds_settled(d.pid);

	/* The template removed: its instances stop and go (the linked one
	 * has a file of its own, now a dangling link, and fails to load). */
	snprintf(path, sizeof path, "%s/w@.service", d.units);
	cr_assert_eq(unlink(path), 0);
	reload(&d, 2);
	const char *gone[2] = { "w@a-b", "w@dep" };
	for (int i = 0; i < 2; i++) {
		long long end = h_now_ms() + 5000;
		while (h_now_ms() < end && hd_ctl(&d, out, sizeof out, "status", gone[i], NULL) != 4)
			h_msleep(20);
		cr_expect_eq(hd_ctl(&d, out, sizeof out, "status", gone[i], NULL), 4, "%s", out);
	}
	cr_expect(!h_alive(after), "the removed instance's process survived");
	cr_expect_leq(h_count_fds_settled(d.pid), fds, "descriptors left behind");
	cr_expect_eq(hd_stop(&d), 0);
#undef TEMPLATE
}
