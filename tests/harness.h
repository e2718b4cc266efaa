/*
 * harness.h - helpers for integration tests: run the real supervisord in a
 * temporary runtime directory, drive it with the real supctl, and check
 * processes and descriptors through /proc.
 *
 * Every wait is bounded. Processes are started and killed by pid only.
 */
#ifndef TESTS_HARNESS_H
#define TESTS_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define H_DAEMON   BUILD_DIR "/supervisord/supervisord"
#define H_SUPCTL   BUILD_DIR "/clients/supctl"
#define H_WORKERS  BUILD_DIR "/tests/workers"

struct hd {
	pid_t pid;
	char dir[256];      /* temporary top directory */
	char units[300];    /* dir/units */
	char rt[300];       /* dir/rt: runtime directory */
	char log[300];      /* daemon stderr */
	bool no_sys_admin;  /* start the daemon without CAP_SYS_ADMIN (out of its bounding set) */
};

/* Create the temporary directories (no daemon yet). */
void hd_init(struct hd *d);
/* Write dir/units/NAME with printf-style contents. */
void hd_unit(struct hd *d, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Start the daemon and wait (bounded) until its control socket answers. */
void hd_start(struct hd *d);
/* The same with another daemon binary. */
void hd_start_with(struct hd *d, const char *daemon);
/* The same with extra daemon arguments (a NULL-terminated array, may be
 * NULL), e.g. { "--log-dir", path, NULL }. */
void hd_start_args(struct hd *d, const char *daemon, const char *const *extra);
/* SIGTERM, wait bounded for exit; returns the exit status (or -1 on
 * timeout, after SIGKILL). Removes the temporary directory. */
int hd_stop(struct hd *d);

/* Run supctl -r RT ARGS...; capture stdout+stderr into out (may be NULL).
 * Returns the exit status, or -1 on timeout. NULL-terminated args. */
int hd_ctl(struct hd *d, char *out, size_t outlen, ...) __attribute__((sentinel));

/* From `supctl status --json UNIT`: the unit's state, pid and restarts.
 * Returns 0 or -1 when the unit could not be read. */
int hd_unit_info(struct hd *d, const char *unit, char *state, size_t statelen, int *pid, int *restarts,
		 char *status, size_t statuslen);
/* Wait until the unit is in `state` (bounded by ms). Returns 0 or -1. */
int hd_wait_state(struct hd *d, const char *unit, const char *state, int ms);

/* Whether the daemon's log contains `needle`. */
bool hd_log_has(struct hd *d, const char *needle);
/* The same once it is there, waiting at most ms. */
bool hd_log_wait(struct hd *d, const char *needle, int ms);
/* How many lines of the daemon's log hold needle. */
int hd_log_count(struct hd *d, const char *needle);

/* A TCP port on 127.0.0.1 that nothing listens on right now. */
int h_free_port(void);
/* Number of open descriptors of pid (from /proc/PID/fd), -1 on error. A
 * service log file (.../logs/NAME.log), opened at the service's first line,
 * is not counted; a second descriptor for the same file is. */
int h_count_fds(pid_t pid);
/* The same once the count has stopped moving (a just-closed control
 * connection is gone). Use it for the daemon's baselines and checks. */
int h_count_fds_settled(pid_t pid);
/* Describe the fds of pid into buf as "N:target" lines (for messages). */
void h_list_fds(pid_t pid, char *buf, size_t len);
/* Processes whose parent is pid (zombies included); the settled form waits
 * until two readings 50 ms apart agree (bounded, 2 s). */
int h_count_children(pid_t pid);
int h_count_children_settled(pid_t pid);
/* One request to 127.0.0.1:port: connect, send "GET / HTTP/1.0\r\n\r\n",
 * read the answer until EOF into out. Returns bytes read, or -errno. Bounded
 * by timeout_ms. */
int h_http_get(int port, char *out, size_t outlen, int timeout_ms);
/* Same over a Unix stream socket at path. */
int h_unix_get(const char *path, char *out, size_t outlen, int timeout_ms);
/* A small file's text (static buffer of 64 KiB, overwritten by the next
 * call), NULL when it does not exist. */
char *h_slurp(const char *path);
/* Create or truncate path with text: 0, or -errno. */
int h_write_file(const char *path, const char *text);
/* The same once the file exists and has been written (non-empty, or empty
 * for 200 ms), waiting at most ms; NULL when it never appeared. */
char *h_wait_file(const char *path, int ms);
/* A blocking TCP connection to 127.0.0.1:port: the fd, or -errno. */
int h_connect_tcp(int port);
/* Read fd until EOF or ms pass, NUL-terminated; returns bytes read. */
ssize_t h_read_all(int fd, char *buf, size_t len, int ms);
/* Sleep ms milliseconds. */
void h_msleep(int ms);
/* Milliseconds on CLOCK_MONOTONIC. */
long long h_now_ms(void);
/* Reap the child pid, waiting at most ms: its exit status (128 + the
 * signal if killed), or -1 if it is still running. */
int h_wait_exit(pid_t pid, int ms);
/* Is a process alive (and not a zombie)? */
bool h_alive(pid_t pid);
/* The fields of /proc/PID/stat after the command name (state first) in
 * buf, or NULL when pid is gone. */
const char *h_proc_stat(pid_t pid, char *buf, size_t len);

/* A load client: a child process that loops connect+request+read against
 * 127.0.0.1:port until told to stop (or max_ms passes), counting successes
 * and failures, and the longest single request. */
struct h_load {
	pid_t pid;
	int result_fd;
};
struct h_load_result {
	long ok, failed;
	long max_latency_us;
	char first_error[128];
};
void h_load_start(struct h_load *l, int port, int max_ms);
void h_load_stop(struct h_load *l, struct h_load_result *res);

#endif
