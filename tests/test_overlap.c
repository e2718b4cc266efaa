/*
 * test_overlap.c - the zero-gap overlapping restart: under continuous load,
 * `supctl restart --overlap` of a slow-starting Type=notify worker refuses
 * nothing and makes no client wait for a process to start. A plain restart
 * of the same worker is measured beside it, to show what is avoided.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"

#define SDWORKER H_WORKERS "/sdworker"
#define START_DELAY_MS 300

static void setup(struct hd *d, int *port, const char *extra)
{
	hd_init(d);
	*port = h_free_port();
	hd_unit(d, "web.socket", "[Socket]\nListenStream=127.0.0.1:%d\n", *port);
	hd_unit(d, "web.service",
		"[Service]\nType=notify\nExecStart=" SDWORKER "\n"
		"Environment=START_DELAY_MS=%d NOTIFY_READY=1\n%s"
		"[Install]\nWantedBy=multi-user.target\n",
		START_DELAY_MS, extra);
	hd_start(d);
	cr_assert_eq(hd_wait_state(d, "web.service", "running", 10000), 0);
}

/* The longest request of a quiet second: the worker's ordinary latency. */
static long baseline_us(int port)
{
	struct h_load load;
	struct h_load_result res;
	h_load_start(&load, port, 1000);
	h_msleep(1000);
	h_load_stop(&load, &res);
	cr_assert_eq(res.failed, 0);
	return res.max_latency_us;
}

static void restarts_under_load(struct hd *d, int port, const char *flag, struct h_load_result *res)
{
	struct h_load load;
	h_load_start(&load, port, 60000);
	h_msleep(200);
	int prev = 0;
	hd_unit_info(d, "web.service", NULL, 0, &prev, NULL, NULL, 0);
	for (int i = 0; i < 5; i++) {
		char out[1024];
		int rc = flag ? hd_ctl(d, out, sizeof out, "restart", flag, "web", NULL)
			      : hd_ctl(d, out, sizeof out, "restart", "web", NULL);
		cr_assert_eq(rc, 0, "restart %d: %s", i + 1, out);
		int pid = 0;
		char st[64];
		hd_unit_info(d, "web.service", st, sizeof st, &pid, NULL, NULL, 0);
		cr_expect_str_eq(st, "running");
		cr_expect_neq(pid, prev, "restart %d kept pid %d", i + 1, pid);
		prev = pid;
		h_msleep(150);
	}
	h_load_stop(&load, res);
}

Test(overlap, five_overlapping_restarts_no_wait, .timeout = 120)
{
	struct hd d;
	int port;
	setup(&d, &port, "");
	int fds = h_count_fds_settled(d.pid);
	long base = baseline_us(port);
	struct h_load_result res;
	restarts_under_load(&d, port, "--overlap", &res);
	cr_log_info("overlap: baseline longest request %ld us; during 5 restarts --overlap: %ld ok, %ld failed, "
		    "longest %ld us (worker start-up %d ms)",
		    base, res.ok, res.failed, res.max_latency_us, START_DELAY_MS);
	fprintf(stderr, "overlap: baseline %ld us, longest during restarts %ld us, %ld requests, %ld failed\n", base,
		res.max_latency_us, res.ok, res.failed);
	cr_expect_eq(res.failed, 0, "%ld failed (first: %s)", res.failed, res.first_error);
	cr_expect_gt(res.ok, 20);
	/* Nobody waited for a process to start: the longest request stays within
	 * ordinary latency plus scheduling noise (well under the start-up). */
	cr_expect_lt(res.max_latency_us, base + 50000, "a request waited %ld us (baseline %ld us)",
		     res.max_latency_us, base);
	cr_expect_lt(res.max_latency_us, START_DELAY_MS * 1000L / 2);
	/* Old processes drained and were reaped. */
	h_msleep(300);
	char list[4096];
	h_list_fds(d.pid, list, sizeof list);
	cr_expect_eq(h_count_fds_settled(d.pid), fds, "daemon fds:\n%s", list);
	cr_expect_eq(hd_stop(&d), 0);
}

Test(overlap, restart_mode_overlap_setting_and_plain_restart_contrast, .timeout = 120)
{
	/* A plain restart of the same worker: no failures (the socket is held)
	 * but clients wait for the new process to start. */
	struct hd d;
	int port;
	setup(&d, &port, "");
	struct h_load_result plain;
	restarts_under_load(&d, port, NULL, &plain);
	cr_expect_eq(plain.failed, 0);
	cr_expect_geq(plain.max_latency_us, START_DELAY_MS * 1000L * 8 / 10,
		      "a plain restart should make some client wait for the start-up");
	cr_expect_eq(hd_stop(&d), 0);

	/* RestartMode=overlap makes a plain `restart` overlap. */
	setup(&d, &port, "RestartMode=overlap\n");
	struct h_load_result ov;
	restarts_under_load(&d, port, NULL, &ov);
	fprintf(stderr, "plain restart: longest %ld us; RestartMode=overlap: longest %ld us\n", plain.max_latency_us,
		ov.max_latency_us);
	cr_expect_eq(ov.failed, 0);
	cr_expect_lt(ov.max_latency_us, START_DELAY_MS * 1000L / 2, "RestartMode=overlap: a request waited %ld us",
		     ov.max_latency_us);
	cr_expect_eq(hd_stop(&d), 0);
}

Test(overlap, new_process_dying_keeps_the_old_one, .timeout = 60)
{
	struct hd d;
	int port;
	hd_init(&d);
	port = h_free_port();
	char flag[400];
	snprintf(flag, sizeof flag, "%s/broken", d.dir);
	hd_unit(&d, "web.socket", "[Socket]\nListenStream=127.0.0.1:%d\n", port);
	/* Starts fine the first time; once the flag file exists, a new
	 * instance dies at once. */
	hd_unit(&d, "web.service",
		"[Service]\nType=notify\nNotifyAccess=all\n"
		"ExecStart=/bin/sh -c 'test -e %s && exit 7; exec " SDWORKER "'\n"
		"Environment=NOTIFY_READY=1\n[Install]\nWantedBy=multi-user.target\n",
		flag);
	hd_start(&d);
	cr_assert_eq(hd_wait_state(&d, "web.service", "running", 10000), 0);
	int pid0 = 0;
	hd_unit_info(&d, "web.service", NULL, 0, &pid0, NULL, NULL, 0);
	FILE *f = fopen(flag, "w");
	fclose(f);
	char out[1024];
	int rc = hd_ctl(&d, out, sizeof out, "restart", "--overlap", "web", NULL);
	cr_expect_eq(rc, 1, "the failed overlapping restart reported success: %s", out);
	char st[64];
	int pid = 0;
	cr_assert_eq(hd_unit_info(&d, "web.service", st, sizeof st, &pid, NULL, NULL, 0), 0);
	cr_expect_str_eq(st, "running");
	cr_expect_eq(pid, pid0, "the old process should carry on");
	char ans[256];
	cr_expect_gt(h_http_get(port, ans, sizeof ans, 5000), 0);
	cr_expect_eq(hd_stop(&d), 0);
}
