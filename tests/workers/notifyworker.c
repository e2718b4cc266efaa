/*
 * notifyworker - a Type=notify test worker written against libsystemd,
 * unmodified, as a user's program would be. Every knob is an environment
 * variable (Environment= in the test's unit):
 *
 *   REPORT=path        written (atomically) before READY=1: pid, the
 *                      descriptors received (sd_listen_fds_with_names), the
 *                      stash token, the OpenFile= text, and /proc/self/fd
 *   STASH=1            with a received fd named "stash": read its token
 *                      ("fetched=T"); without: store a memfd holding a new
 *                      token with sd_pid_notify_with_fds(0, 0,
 *                      "FDSTORE=1\nFDNAME=stash", &fd, 1) ("stored=T")
 *   READY_FILE=path    wait (bounded) for the file before sending READY=1
 *   NO_READY=1         never send READY=1
 *   STATUS_TEXT=s      send STATUS=s after READY=1
 *   CHILD_STATUS=s     after READY=1, a forked child (not the main pid)
 *                      sends STATUS=s, then waits on sd_notify_barrier();
 *                      REPORT.child says both were done
 *   STOP_PING=path     ping the watchdog (WATCHDOG_USEC/4) until that file
 *                      holds this worker's pid
 *   OPENFILE_NAME=n    read the fd named n ("openfile=TEXT") and try to
 *   OPENFILE_PATH=p    open p directly ("direct_open=ERRNO-NAME")
 *   RELOAD_LOG=path    on SIGHUP, as a Type=notify-reload service does:
 *                      RELOADING=1 with MONOTONIC_USEC=, a line "reload N"
 *                      appended to path, then READY=1 (with RELOAD_MUTE=1
 *                      it only appends the line and never answers;
 *                      RELOAD_DELAY_MS=n waits n ms in the middle, default 50)
 *
 * Then it idles until SIGTERM and exits 0.
 *
 * notifyworker --send MESSAGE sends one message, waits for it to be
 * processed (sd_notify_barrier) and exits: 0 if it was sent.
 */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stopping, hups;

static void on_term(int sig)
{
	stopping = 1;
}

static void on_hup(int sig)
{
	hups++;
}

static void msleep(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* RELOAD_LOG=: one reload per SIGHUP, told the way systemd 253 wants. */
static void reload_if_asked(void)
{
	static sig_atomic_t done;
	const char *log = getenv("RELOAD_LOG");
	while (log && done < hups) {
		done++;
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		char msg[128];
		snprintf(msg, sizeof msg, "RELOADING=1\nMONOTONIC_USEC=%llu",
			 (unsigned long long)ts.tv_sec * 1000000ull + (unsigned long long)ts.tv_nsec / 1000ull);
		if (!getenv("RELOAD_MUTE"))
			sd_notify(0, msg);
		msleep(getenv("RELOAD_DELAY_MS") ? atoi(getenv("RELOAD_DELAY_MS")) : 50);
		FILE *f = fopen(log, "ae");
		if (f) {
			fprintf(f, "reload %d\n", (int)done);
			fclose(f);
		}
		if (!getenv("RELOAD_MUTE"))
			sd_notify(0, "READY=1");
	}
}

/* Append "key=value\n" to the report being built. */
static char rep[8192];
static void add(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void add(const char *fmt, ...)
{
	va_list ap;
	size_t l = strlen(rep);
	va_start(ap, fmt);
	vsnprintf(rep + l, sizeof rep - l, fmt, ap);
	va_end(ap);
}

static void write_file(const char *path, const char *text)
{
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f)
		exit(3);
	fputs(text, f);
	fclose(f);
	rename(tmp, path);
}

static void read_fd_text(int fd, char *buf, size_t len)
{
	ssize_t n = pread(fd, buf, len - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
}

static void stash(int n, char **names)
{
	char tok[128];
	for (int i = 0; i < n; i++) {
		if (names && names[i] && strcmp(names[i], "stash") == 0) {
			read_fd_text(SD_LISTEN_FDS_START + i, tok, sizeof tok);
			add("fetched=%s\n", tok);
			return;
		}
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(tok, sizeof tok, "tok-%d-%ld", (int)getpid(), ts.tv_nsec);
	int fd = memfd_create("stash", MFD_CLOEXEC);
	if (fd < 0 || write(fd, tok, strlen(tok)) != (ssize_t)strlen(tok))
		exit(4);
	int r = sd_pid_notify_with_fds(0, 0, "FDSTORE=1\nFDNAME=stash", &fd, 1);
	close(fd);
	add("stored=%s\nstore_result=%d\n", tok, r);
}

static void openfile(int n, char **names, const char *want, const char *path)
{
	char text[256] = "(none)";
	for (int i = 0; i < n; i++)
		if (names && names[i] && strcmp(names[i], want) == 0)
			read_fd_text(SD_LISTEN_FDS_START + i, text, sizeof text);
	add("openfile=%s\n", text);
	if (path) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		add("direct_open=%s\n", fd >= 0 ? "ok" : strerrorname_np(errno));
		if (fd >= 0)
			close(fd);
	}
}

static void list_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	add("open=");
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.' && atoi(e->d_name) != dirfd(d))
			add("%s,", e->d_name);
	add("\n");
	if (d)
		closedir(d);
}

static void child_status(const char *text, const char *report)
{
	pid_t c = fork();
	if (c == 0) {
		char msg[512], path[4200], out[128];
		snprintf(msg, sizeof msg, "STATUS=%s", text);
		int r = sd_notify(0, msg);
		/* Processed (or refused) before we exit: after the exit the
		 * daemon could no longer tell whose process we were. */
		int b = sd_notify_barrier(0, 5 * 1000000ULL);
		snprintf(out, sizeof out, "child=%d\nresult=%d\nbarrier=%d\n", (int)getpid(), r, b);
		snprintf(path, sizeof path, "%s.child", report ? report : "/dev/null");
		if (report)
			write_file(path, out);
		_exit(0);
	}
	if (c > 0)
		waitpid(c, NULL, 0);
}

static int told_to_stop(const char *path)
{
	char buf[32] = "";
	FILE *f = path ? fopen(path, "r") : NULL;
	if (!f)
		return 0;
	if (!fgets(buf, sizeof buf, f))
		buf[0] = '\0';
	fclose(f);
	return atoi(buf) == (int)getpid();
}

int main(int argc, char **argv)
{
	/* notifyworker --send MESSAGE: one sd_notify() from this process, then
	 * wait until it was processed (exit 0) or not sent (exit 1). What an
	 * ExecReload= or a forked helper would do. */
	if (argc == 3 && !strcmp(argv[1], "--send"))
		return sd_notify(0, argv[2]) > 0 && sd_notify_barrier(0, 5000000) >= 0 ? 0 : 1;
	struct sigaction sa = { .sa_handler = on_term };
	sigaction(SIGTERM, &sa, NULL);
	struct sigaction sh = { .sa_handler = on_hup };
	sigaction(SIGHUP, &sh, NULL);
	struct rlimit nocore = { 0, 0 };
	setrlimit(RLIMIT_CORE, &nocore); /* a watchdog SIGABRT leaves no core file */

	const char *report = getenv("REPORT");
	char **names = NULL;
	int n = sd_listen_fds_with_names(0, &names);
	add("pid=%d\nn=%d\nnames=", (int)getpid(), n);
	for (int i = 0; i < n; i++)
		add("%s%s", i ? ":" : "", names && names[i] ? names[i] : "?");
	add("\n");
	if (getenv("STASH"))
		stash(n, names);
	if (getenv("OPENFILE_NAME"))
		openfile(n, names, getenv("OPENFILE_NAME"), getenv("OPENFILE_PATH"));
	for (int i = 0; names && i < n; i++)
		free(names[i]);
	free(names); /* nothing leaks: LeakSanitizer reports would end up in the log */
	list_fds();
	if (report)
		write_file(report, rep);

	const char *ready_file = getenv("READY_FILE");
	for (int i = 0; ready_file && i < 3000 && access(ready_file, F_OK) != 0 && !stopping; i++)
		msleep(10);
	if (!getenv("NO_READY"))
		sd_notify(0, "READY=1");
	if (getenv("STATUS_TEXT")) {
		char msg[512];
		snprintf(msg, sizeof msg, "STATUS=%s", getenv("STATUS_TEXT"));
		sd_notify(0, msg);
	}
	if (getenv("CHILD_STATUS"))
		child_status(getenv("CHILD_STATUS"), report);

	uint64_t wd = 0;
	const char *stop_ping = getenv("STOP_PING");
	if (sd_watchdog_enabled(0, &wd) <= 0)
		wd = 0;
	while (!stopping) {
		reload_if_asked();
		if (wd && !told_to_stop(stop_ping))
			sd_notify(0, "WATCHDOG=1");
		msleep(wd ? (int)(wd / 4000) : 50);
	}
	return 0;
}
