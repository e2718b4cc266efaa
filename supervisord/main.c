/*
 * main.c - supervisord: arguments, the runtime directory, the event loop,
 * start-up and orderly shutdown.
 *
 * Start rule (as the product defines it): every socket unit is bound first;
 * then every service with no socket, and every service with
 * [Install] WantedBy=, is started. A socket-activated service waits for its
 * first client. Templates (NAME@.service) are never started directly.
 *
 * SIGTERM/SIGINT: stop every service (KillSignal=, then SIGKILL after
 * TimeoutStopSec=), close the sockets, remove their paths, exit 0.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control.h"
#include "log.h"
#include "reap.h"
#include "service.h"
#include "sockunit.h"
#include "unit.h"
#include "version.h"

static uv_loop_t *loop;
static uv_signal_t sig_term, sig_int, sig_hup;
static uv_timer_t shutdown_timer;
static bool shutdown_timer_init;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: supervisord [-u|--units DIR] [-r|--runtime-dir DIR] [-v|--verbose]\n"
		"       supervisord --version\n"
		"\n"
		"Runs the services described by the unit files in DIR (NAME.service,\n"
		"NAME.socket), holding their sockets. Stays in the foreground and logs\n"
		"to stderr.\n"
		"\n"
		"  -u, --units DIR        unit directory (default: ./units)\n"
		"  -r, --runtime-dir DIR  runtime directory, holds control.sock\n"
		"                         (env SUPERVISORD_RUNTIME_DIR; default\n"
		"                         /run/supervisord as root, else\n"
		"                         $XDG_RUNTIME_DIR/supervisord)\n"
		"  -v, --verbose          log state changes too\n");
}

/* mkdir -p, then make the last component 0700 and ours. */
static int make_runtime_dir(const char *dir)
{
	char tmp[4096];
	if (snprintf(tmp, sizeof tmp, "%s", dir) >= (int)sizeof tmp)
		return -ENAMETOOLONG;
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
		return -errno;
	struct stat st;
	if (stat(tmp, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (st.st_uid != geteuid())
		return -EPERM;
	if (chmod(tmp, 0700) < 0)
		return -errno;
	return 0;
}

static bool all_services_down(void)
{
	for (size_t i = 0; i < unit_count(); i++) {
		struct unit *u = unit_at(i);
		if (u->kind == UNIT_SERVICE && u->svc.pid > 0)
			return false;
	}
	return true;
}

static void shutdown_check(uv_timer_t *t)
{
	if (all_services_down())
		uv_stop(loop);
}

static void begin_shutdown(void)
{
	if (svc_shutting_down())
		return;
	log_info("stopping every service");
	svc_set_shutting_down();
	for (size_t i = 0; i < unit_count(); i++) {
		struct unit *u = unit_at(i);
		if (u->kind == UNIT_SERVICE)
			svc_stop(u);
		else if (u->sock.state == SOCK_LISTENING)
			sockunit_watch(u, false);
	}
	uv_timer_init(loop, &shutdown_timer);
	shutdown_timer_init = true;
	uv_timer_start(&shutdown_timer, shutdown_check, 0, 20);
}

static void signal_cb(uv_signal_t *h, int sig)
{
	if (sig == SIGHUP) {
		log_warn("SIGHUP: reload is not implemented yet, ignoring");
		return;
	}
	log_info("received %s", strsignal(sig));
	begin_shutdown();
}

static bool is_template(const char *name)
{
	return strstr(name, "@.") != NULL;
}

static void start_units(void)
{
	char err[SVC_ERROR_MAX];
	for (size_t i = 0; i < unit_count(); i++) {
		struct unit *u = unit_at(i);
		if (u->kind == UNIT_SOCKET && u->conf)
			sockunit_open(loop, u);
	}
	for (size_t i = 0; i < unit_count(); i++) {
		struct unit *u = unit_at(i);
		if (u->kind != UNIT_SERVICE || !u->conf || is_template(u->name))
			continue;
		if (u->svc.n_sockets == 0 || u->conf->n_wanted_by > 0) {
			if (svc_start(u, err, sizeof err) < 0)
				log_err("%s", err);
		} else {
			/* Socket-activated: watch its sockets until the first client. */
			for (size_t j = 0; j < u->svc.n_sockets; j++)
				sockunit_watch(u->svc.sockets[j], true);
		}
	}
}

static void close_walk_cb(uv_handle_t *h, void *arg)
{
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static void teardown(void)
{
	ctl_shutdown();
	for (size_t i = 0; i < unit_count(); i++) {
		struct unit *u = unit_at(i);
		if (u->kind == UNIT_SOCKET)
			sockunit_close(u);
	}
	reap_close();
	/* What is left (service timers, signal handles) is embedded in static
	 * or unit memory that outlives the loop: close it without callbacks. */
	uv_walk(loop, close_walk_cb, NULL);
	uv_run(loop, UV_RUN_DEFAULT);
	unit_free_all();
	uv_loop_close(loop);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "units", required_argument, NULL, 'u' },
		{ "runtime-dir", required_argument, NULL, 'r' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *units_dir = "units";
	const char *runtime_dir = getenv("SUPERVISORD_RUNTIME_DIR");
	char rtbuf[4096];
	int c;
	while ((c = getopt_long(argc, argv, "u:r:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'u':
			units_dir = optarg;
			break;
		case 'r':
			runtime_dir = optarg;
			break;
		case 'v':
			log_set_level(LOG_LVL_DEBUG);
			break;
		case 'V':
			printf("supervisord %s\n", supervisord_version);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "supervisord: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (!runtime_dir || !*runtime_dir) {
		const char *xdg = getenv("XDG_RUNTIME_DIR");
		if (geteuid() == 0) {
			runtime_dir = "/run/supervisord";
		} else if (xdg && *xdg) {
			snprintf(rtbuf, sizeof rtbuf, "%s/supervisord", xdg);
			runtime_dir = rtbuf;
		} else {
			fprintf(stderr, "supervisord: no runtime directory: use --runtime-dir or set "
					"XDG_RUNTIME_DIR\n");
			return 1;
		}
	}
	int r = make_runtime_dir(runtime_dir);
	if (r < 0) {
		fprintf(stderr, "supervisord: runtime directory %s: %s\n", runtime_dir, strerror(-r));
		return 1;
	}

	signal(SIGPIPE, SIG_IGN);
	loop = uv_default_loop();

	char path[4096], err[1024];
	snprintf(path, sizeof path, "%s/control.sock", runtime_dir);
	r = ctl_listen(loop, path, err, sizeof err);
	if (r < 0) {
		fprintf(stderr, "supervisord: control socket: %s\n", err);
		return 1;
	}
	r = reap_init(loop);
	if (r < 0) {
		fprintf(stderr, "supervisord: SIGCHLD handler: %s\n", uv_strerror(r));
		return 1;
	}
	r = unit_load_dir(loop, units_dir);
	if (r < 0) {
		fprintf(stderr, "supervisord: unit directory %s: %s\n", units_dir, strerror(-r));
		ctl_shutdown();
		return 1;
	}
	uv_signal_init(loop, &sig_term);
	uv_signal_start(&sig_term, signal_cb, SIGTERM);
	uv_signal_init(loop, &sig_int);
	uv_signal_start(&sig_int, signal_cb, SIGINT);
	uv_signal_init(loop, &sig_hup);
	uv_signal_start(&sig_hup, signal_cb, SIGHUP);

	log_info("supervisord %s running, %zu units from %s, control socket %s", supervisord_version,
		 unit_count(), units_dir, path);
	start_units();
	reap_now();

	uv_run(loop, UV_RUN_DEFAULT);

	log_info("every service stopped, exiting");
	teardown();
	return 0;
}
