/*
 * main.c - supervisord: arguments, the runtime directory, the event loop,
 * start-up and orderly shutdown.
 *
 * Start rule (as the product defines it): every socket unit is bound first;
 * then every service with no socket, and every service with
 * [Install] WantedBy=, is started. A socket-activated service waits for its
 * first client. Templates (NAME@.service) are never started directly.
 *
 * Services start in dependency order (deps.c: Requires=/Wants= pull units
 * in, After=/Before= order them).
 *
 * SIGTERM/SIGINT: stop every service in reverse dependency order
 * (ExecStop=, KillSignal=, then SIGKILL after TimeoutStopSec=), close the
 * sockets, remove their paths, exit 0 -- or, as a container's PID 1, 1 if
 * any service failed. As PID 1 the reaper also collects every orphan.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control.h"
#include "daemon.h"
#include "action.h"
#include "deps.h"
#include "template.h"
#include "fdclaim.h"
#include "fdstore.h"
#include "reexec.h"
#include "reload.h"
#include "rescue.h"
#include "log.h"
#include "logpipe.h"
#include "notify.h"
#include "reap.h"
#include "service.h"
#include "spawn.h"
#include "sockunit.h"
#include "unit.h"
#include "version.h"

const char *daemon_units_dir;
const char *daemon_log_dir;
uint64_t daemon_log_max;
const char *daemon_runtime_dir;
char daemon_self_exe[4096];
bool daemon_verbose;

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
		"  -l, --log-dir DIR      where service output is kept, one file per\n"
		"                         unit (default: RUNTIME-DIR/logs)\n"
		"      --log-max-size N   rotate a unit's log past N bytes (suffix K, M,\n"
		"                         G; default 8M); 3 rotated files are kept\n"
		"  -v, --verbose          log state changes too\n"
		"      --spawn-fork       start processes with fork(): slower with many\n"
		"                         services, but the daemon never waits on a\n"
		"                         child's exec (a hung file system)\n"
		"      --check-state-format  print the re-exec state formats this build\n"
		"                         reads, and exit (used before an upgrade)\n"
		"\n"
		"Internal, used by re-exec: --deserialize FD, --no-fallback, --rescue.\n");
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
		if (svc_has_processes(u))
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
		if (u->kind == UNIT_SOCKET && u->sock.state == SOCK_LISTENING)
			sockunit_watch(u, false);
	}
	/* In reverse dependency order: a unit ordered after another stops
	 * first (deps.c). */
	deps_shutdown();
	uv_timer_init(loop, &shutdown_timer);
	shutdown_timer_init = true;
	uv_timer_start(&shutdown_timer, shutdown_check, 0, 20);
}

static void signal_cb(uv_signal_t *h, int sig)
{
	if (sig == SIGHUP) {
		char msg[1024];
		log_info("SIGHUP: reloading the unit directory");
		if (unit_reload_all(loop, msg, sizeof msg) < 0)
			log_err("reload: %s", msg);
		return;
	}
	log_info("received %s", strsignal(sig));
	begin_shutdown();
}

static void start_units(void)
{
	for (size_t i = 0; i < unit_count(); i++) {
		struct unit *u = unit_at(i);
		if (u->kind == UNIT_SOCKET && u->conf)
			sockunit_open(loop, u);
	}
	/* A template with WantedBy= and DefaultInstance=: that instance, as
	 * `systemctl enable` would have it (made first: the loop below then
	 * sees it like any unit). */
	size_t n = unit_count();
	char **defaults = calloc(n + 1, sizeof *defaults);
	for (size_t i = 0; defaults && i < n; i++) {
		struct unit *u = unit_at(i);
		const char *at = strchr(u->name, '@');
		if (u->kind == UNIT_SERVICE && u->conf && conf_is_template(u->name) && u->conf->default_instance &&
		    u->conf->n_wanted_by > 0 &&
		    asprintf(&defaults[i], "%.*s@%s.service", (int)(at - u->name), u->name, u->conf->default_instance) < 0)
			defaults[i] = NULL;
	}
	for (size_t i = 0; defaults && i < n; i++) {
		if (defaults[i] && !template_find_or_make(defaults[i]))
			log_err("%s: DefaultInstance=: could not make %s", defaults[i], defaults[i]);
		free(defaults[i]);
	}
	free(defaults);
	/* Mark every unit to start first, then start them as After=/Before=
	 * allow (deps.c): marking one at a time would start a unit before the
	 * units it is ordered after were even asked for. */
	for (size_t i = 0; i < unit_count(); i++) {
		struct unit *u = unit_at(i);
		if (u->kind != UNIT_SERVICE || !u->conf || conf_is_template(u->name))
			continue;
		if (u->svc.n_sockets == 0 || u->conf->n_wanted_by > 0) {
			deps_mark_start(u);
		} else if (u->svc.state == SVC_STOPPED) {
			/* Socket-activated: watch its sockets until the first client. */
			for (size_t j = 0; j < u->svc.n_sockets; j++)
				sockunit_watch(u->svc.sockets[j], true);
		}
	}
	deps_run();
}

static int action_status = -1; /* SuccessAction=/FailureAction= exit's, if any */

static void on_action(int status, const char *why)
{
	if (svc_shutting_down())
		return;
	action_status = status;
	log_info("stopping every service: %s", why);
	begin_shutdown();
}

/*
 * As a container's PID 1 the exit status is the container's: 1 when any
 * service ended failed (including a stop that needed SIGKILL), else 0.
 * Otherwise a SIGTERM is an orderly stop and exits 0 whatever the units
 * did, as the supervisor of a host always has. An exit asked for by
 * SuccessAction=/FailureAction= has its own status, first.
 */
static int exit_status(void)
{
	if (action_status >= 0)
		return action_status;
	if (getpid() != 1)
		return 0;
	int failed = 0;
	for (size_t i = 0; i < unit_count(); i++) {
		struct unit *u = unit_at(i);
		if (u->kind == UNIT_SERVICE && u->conf && !u->dead && u->svc.state == SVC_FAILED) {
			log_err("%s: failed (%s): %s", u->name, svc_result_name(u->svc.result), u->svc.error);
			failed = 1;
		}
	}
	return failed;
}

static void close_walk_cb(uv_handle_t *h, void *arg)
{
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static void teardown(void)
{
	ctl_shutdown();
	notify_close();
	for (size_t i = 0; i < unit_count(); i++) {
		struct unit *u = unit_at(i);
		if (u->kind == UNIT_SOCKET)
			sockunit_close(u);
		else {
			fdstore_clear(u); /* stored fds, entries and their poll handles */
			logpipe_close(u); /* the last lines, then both ends */
		}
	}
	logpipe_shutdown();
	reap_close();
	/* What is left (service timers, signal handles) is embedded in static
	 * or unit memory that outlives the loop: close it without callbacks. */
	uv_walk(loop, close_walk_cb, NULL);
	uv_run(loop, UV_RUN_DEFAULT);
	unit_free_all();
	uv_loop_close(loop);
}

/*
 * The daemon holds every socket, stored fd and log pipe of every service:
 * raise its soft RLIMIT_NOFILE to the hard limit. Services get the limit
 * the daemon was started with. Across a re-exec the raised limit is what
 * is inherited, so the original is passed on in the environment.
 */
static void raise_nofile(void)
{
	struct rlimit rl, orig;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	orig = rl;
	const char *saved = getenv("SUPERVISORD_CHILD_NOFILE");
	unsigned long long cur;
	if (saved && sscanf(saved, "%llu", &cur) == 1 && cur <= rl.rlim_max)
		orig.rlim_cur = (rlim_t)cur;
	spawn_set_child_nofile(&orig);
	char buf[32];
	snprintf(buf, sizeof buf, "%llu", (unsigned long long)orig.rlim_cur);
	setenv("SUPERVISORD_CHILD_NOFILE", buf, 1);
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || v == 0)
		return -EINVAL;
	uint64_t mul = 1;
	if (*end == 'K' || *end == 'k')
		mul = 1024;
	else if (*end == 'M' || *end == 'm')
		mul = 1024 * 1024;
	else if (*end == 'G' || *end == 'g')
		mul = 1024ull * 1024 * 1024;
	else if (*end)
		return -EINVAL;
	if (*end && end[1])
		return -EINVAL;
	*out = v * mul;
	return 0;
}

static void read_self_exe(void)
{
	ssize_t n = readlink("/proc/self/exe", daemon_self_exe, sizeof daemon_self_exe - 1);
	if (n < 0)
		n = 0;
	daemon_self_exe[n] = '\0';
	/* An upgraded binary replaced on disk shows as "PATH (deleted)". */
	static const char del[] = " (deleted)";
	size_t l = strlen(daemon_self_exe);
	if (l > sizeof del - 1 && !strcmp(daemon_self_exe + l - (sizeof del - 1), del))
		daemon_self_exe[l - (sizeof del - 1)] = '\0';
}

/* A fresh start (or rescue): control socket, units, sockets, services. */
static int fresh_start(const char *control_path, bool rescue)
{
	char err[1024];
	int r;
	if (!(rescue && rescue_adopt_control(loop, control_path))) {
		r = ctl_listen(loop, control_path, err, sizeof err);
		if (r < 0) {
			fprintf(stderr, "supervisord: control socket: %s\n", err);
			return 1;
		}
	}
	/* NOTIFY_SOCKET for every service (sd_notify); before any unit runs. */
	char npath[4200];
	snprintf(npath, sizeof npath, "@supervisord%s/notify", daemon_runtime_dir);
	if (!(rescue && rescue_adopt_notify(loop, npath)) &&
	    notify_init(loop, daemon_runtime_dir, err, sizeof err) < 0) {
		fprintf(stderr, "supervisord: notify socket: %s\n", err);
		ctl_shutdown();
		return 1;
	}
	r = unit_load_dir(loop, daemon_units_dir);
	if (r < 0) {
		fprintf(stderr, "supervisord: unit directory %s: %s\n", daemon_units_dir, strerror(-r));
		ctl_shutdown();
		return 1;
	}
	if (rescue) {
		rescue_adopt_units(loop);
		unsigned closed = fdclaim_close_rest();
		log_info("rescue: closed %u descriptors nobody claimed", closed);
	}
	logpipe_prepare_all(loop);
	deps_check_cycles();
	log_info("supervisord %s running, %zu units from %s, control socket %s", supervisord_version, unit_count(),
		 daemon_units_dir, control_path);
	start_units();
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "units", required_argument, NULL, 'u' },
		{ "runtime-dir", required_argument, NULL, 'r' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ "check-state-format", no_argument, NULL, 'C' },
		{ "deserialize", required_argument, NULL, 'D' },
		{ "no-fallback", no_argument, NULL, 'F' },
		{ "rescue", no_argument, NULL, 'R' },
		{ "log-dir", required_argument, NULL, 'l' },
		{ "log-max-size", required_argument, NULL, 'M' },
		{ "spawn-fork", no_argument, NULL, 'S' },
		{ 0 },
	};
	const char *units_dir = "units";
	const char *runtime_dir = getenv("SUPERVISORD_RUNTIME_DIR");
	char rtbuf[4096];
	int state_fd = -1;
	bool allow_fallback = true, rescue = false;
	int c;
	const char *log_dir = NULL;
	uint64_t log_max = 0;
	while ((c = getopt_long(argc, argv, "u:r:l:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			log_dir = optarg;
			break;
		case 'M':
			if (parse_size(optarg, &log_max) < 0) {
				fprintf(stderr, "supervisord: bad --log-max-size '%s'\n", optarg);
				return 2;
			}
			break;
		case 'u':
			units_dir = optarg;
			break;
		case 'r':
			runtime_dir = optarg;
			break;
		case 'v':
			daemon_verbose = true;
			log_set_level(LOG_LVL_DEBUG);
			break;
		case 'V':
			printf("supervisord %s\n", supervisord_version);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		case 'C':
			reexec_print_check();
			return 0;
		case 'D': {
			char *end;
			long fd = strtol(optarg, &end, 10);
			if (*end || fd < 3 || fd > 1 << 20) {
				fprintf(stderr, "supervisord: bad --deserialize '%s'\n", optarg);
				return 2;
			}
			state_fd = (int)fd;
			break;
		}
		case 'F':
			allow_fallback = false;
			break;
		case 'R':
			rescue = true;
			break;
		case 'S':
			spawn_set_fork(true);
			break;
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
	/* After a re-exec, note every inherited descriptor before anything
	 * else opens one: the state (or rescue) claims them by number. */
	daemon_units_dir = units_dir; /* the re-exec's parse thread reads it */
	if (state_fd >= 0)
		reexec_claim_fds(state_fd);
	else if (rescue)
		fdclaim_scan();
	read_self_exe();
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
	daemon_runtime_dir = runtime_dir;
	char logbuf[4200];
	if (!log_dir) {
		snprintf(logbuf, sizeof logbuf, "%s/logs", runtime_dir);
		log_dir = logbuf;
	}
	daemon_log_dir = log_dir;
	daemon_log_max = log_max;
	logpipe_configure(log_dir, log_max);
	int r = make_runtime_dir(runtime_dir);
	if (r < 0) {
		fprintf(stderr, "supervisord: runtime directory %s: %s\n", runtime_dir, strerror(-r));
		return 1;
	}

	signal(SIGPIPE, SIG_IGN);
	raise_nofile();
	loop = uv_default_loop();
	r = reap_init(loop);
	if (r < 0) {
		fprintf(stderr, "supervisord: SIGCHLD handler: %s\n", uv_strerror(r));
		return 1;
	}
	uv_signal_init(loop, &sig_term);
	uv_signal_start(&sig_term, signal_cb, SIGTERM);
	uv_signal_init(loop, &sig_int);
	uv_signal_start(&sig_int, signal_cb, SIGINT);
	uv_signal_init(loop, &sig_hup);
	uv_signal_start(&sig_hup, signal_cb, SIGHUP);
	action_set_handler(on_action);

	char path[4096];
	snprintf(path, sizeof path, "%s/control.sock", runtime_dir);
	if (state_fd >= 0) {
		/* Does not return unless restored (or every fallback failed). */
		r = reexec_restore(loop, state_fd, allow_fallback);
		if (r < 0) {
			log_err("re-exec: restore failed and no fallback could be executed: %s", strerror(-r));
			return 1;
		}
		unsigned closed = fdclaim_close_rest();
		if (closed)
			log_warn("re-exec: closed %u inherited descriptors the state did not name", closed);
		logpipe_prepare_all(loop); /* units the previous image had no pipe for */
		deps_check_cycles();
		deps_run(); /* starts and stops that were waiting for ordering */
		log_info("supervisord %s running (re-executed), %zu units", supervisord_version, unit_count());
	} else if (fresh_start(path, rescue) != 0) {
		return 1;
	}

	/* Every handler is in place: what children reset. Noted here, not
	 * before the restore, whose answer would wait for its 64 queries; a
	 * child started before (at a fresh start) noted them itself. */
	spawn_note_signals();

	/* The signal mask may come blocked across a re-exec (on purpose: no
	 * SIGCHLD is lost in the window). Handlers are installed: unblock. */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	reap_now();

	uv_run(loop, UV_RUN_DEFAULT);

	int status = exit_status();
	log_info("every service stopped, exiting%s", status ? " (some units failed)" : "");
	teardown();
	return status;
}
