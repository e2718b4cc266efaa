/*
 * unit.h - the unit registry and the runtime state of every unit.
 *
 * A unit is a service or a socket, loaded from NAME.service / NAME.socket.
 * A unit whose file failed to load stays in the registry with `conf == NULL`
 * and its error in `load_error`, so that `supctl status` can show why; it is
 * never started.
 *
 * Units are allocated when loaded and freed only after every libuv handle
 * they embed has been closed (unit_free_all at exit).
 *
 * Service model (service.c holds every transition):
 *   state   what the process is doing now (enum svc_state)
 *   want_up what was asked for last (start/restart: 1, stop: 0)
 *   result  why it last stopped (kept apart from state, as dinit does)
 * Socket model (sockunit.c): bound listeners held for the daemon's whole
 * life; while the service is not running they are watched for activity.
 *
 * Every descriptor a unit holds is a field here, -1 when empty; only the
 * unit's own code closes it.
 */
#ifndef SUPD_UNIT_H
#define SUPD_UNIT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "conf.h"
#include "listen.h"
#include "text.h"

enum svc_state {
	SVC_STOPPED = 0,
	SVC_STARTING,      /* forked; waiting for exec (Type=exec) or READY=1 (Type=notify) */
	SVC_RUNNING,
	SVC_STOPPING,      /* KillSignal sent; waiting for exit (SIGKILL on timeout) */
	SVC_AUTO_RESTART,  /* exited; waiting RestartSec before starting again */
	SVC_FAILED,
	/* Appended (names, not numbers, reach the re-exec state). */
	SVC_START_PRE,     /* ExecStartPre= command control_idx runs; no main process yet */
	SVC_START_POST,    /* main process up; ExecStartPost= command control_idx runs */
	SVC_RELOADING,     /* main process up; ExecReload= command control_idx runs */
	SVC_STOP_CMD,      /* ExecStop= command control_idx runs, before KillSignal= */
	SVC_FINAL_SIGTERM, /* main exited on its own; leftovers got KillSignal=, SIGKILL on timeout */
	SVC_EXITED,        /* Type=oneshot, RemainAfterExit=yes: every command done; active, no main process */
	SVC_STOP_POST,     /* everything gone; ExecStopPost= command control_idx runs, then the end */
	SVC_CONDITION,     /* ExecCondition= command control_idx runs, before ExecStartPre= */
	SVC__MAX
};

enum svc_result {
	RES_SUCCESS = 0,
	RES_EXIT_CODE,     /* exited non-zero */
	RES_SIGNAL,        /* killed by a signal that is not a clean one */
	RES_CORE_DUMP,
	RES_EXEC,          /* could not be started (stage + errno in error) */
	RES_TIMEOUT,       /* start or stop timeout */
	RES_WATCHDOG,
	RES_START_LIMIT,   /* started too often */
	RES_RESOURCES,     /* fork or descriptor setup failed in the daemon */
	RES_DEPENDENCY,    /* a socket or a Requires=/BindsTo= unit it needs is not available */
	RES_PROTOCOL,      /* Type=forking: no main process could be found after the start process */
	RES_ASSERT,        /* an Assert*= did not hold: the start was refused */
	RES__MAX
};

enum svc_timer { TMR_NONE = 0, TMR_START, TMR_STOP, TMR_RESTART, TMR_RUNTIME, TMR__MAX };

enum sock_state { SOCK_STOPPED = 0, SOCK_LISTENING, SOCK_FAILED, SOCK__MAX };

enum fd_origin { FD_ORIGIN_SOCKET = 0, FD_ORIGIN_OPENFILE, FD_ORIGIN_FDSTORE, FD_ORIGIN__MAX };

#define SVC_ERROR_MAX 512
#define SVC_STATUS_MAX 1024
#define START_LIMIT_MAX 64  /* entries in the start-time ring buffer */

struct unit;
struct logpipe;

/* One descriptor held in a service's fd store. */
struct fdstore_entry {
	int fd;
	char *name;
	bool poll;               /* FDPOLL: drop on POLLHUP/POLLERR */
	uv_poll_t *watch;        /* allocated while polled; freed in its close_cb */
	struct fdstore_entry *next;
};

struct service {
	enum svc_state state;
	bool want_up;
	enum svc_result result;
	pid_t pid;               /* main process, 0 when none */
	int wait_status;         /* last raw waitpid status */
	unsigned restarts;       /* automatic restarts (systemd's NRestarts) */
	uint64_t generation;     /* incremented on every spawn; jobs wait on it */
	uint64_t since_usec;     /* CLOCK_REALTIME of the last state change */
	uint64_t started_mono;   /* CLOCK_MONOTONIC usec of the last spawn */
	unsigned main_idx;       /* Type=oneshot: the ExecStart= that runs (they run one after another) */
	bool oneshot_done;       /* Type=oneshot: the last start ran every command successfully */
	bool condition_skipped;  /* the last start was skipped: a Condition*= did not hold (error says which) */
	char *private_tmp[2];    /* PrivateTmp=: this start's /tmp and /var/tmp (privtmp.h), NULL none */
	int netns_fd;            /* PrivateNetwork=: this start's network namespace (netns.h), -1 none */
	bool stop_post_pending;  /* a start began: ExecStopPost= is to run at its end */
	bool stop_post_asked;    /* ... and the end it runs for was a requested stop */
	bool main_ended;         /* the main process of this start has exited (wait_status is its) */

	int exec_fd;             /* read end of the exec-status pipe, -1 when none */
	uv_poll_t *exec_watch;   /* allocated per spawn, freed by its close_cb */

	uv_timer_t *pidfile_timer; /* Type=forking waiting for PIDFile= (svc_pidfile.c), else NULL */
	unsigned pidfile_polls;
	uv_timer_t timer;        /* one timer: its meaning is `tkind` */
	enum svc_timer tkind;
	uint64_t deadline_mono;  /* absolute CLOCK_MONOTONIC usec of the armed timer */
	uint64_t runtime_deadline_mono; /* RuntimeMaxSec= of this start (kept across a reload), 0 none */

	uint64_t *start_ring;    /* monotonic usec of recent starts, grown up to START_LIMIT_MAX */
	unsigned start_ring_n, start_ring_cap;

	bool sigkill_sent;
	char *error;             /* why it failed, for status (text.h: NULL is empty) */
	char *status_text;       /* STATUS= (text.h) */

	struct unit **sockets;   /* socket units whose fds it gets, in order */
	size_t n_sockets;
	bool socket_activated;   /* has sockets and no WantedBy=: starts on demand */

	struct fdstore_entry *fdstore;
	unsigned n_fdstore;

	/* sd_notify state (notify.c / svc_notify.c). */
	uv_timer_t watchdog;     /* WatchdogSec= deadline */
	uint64_t watchdog_deadline_mono; /* 0 when not armed */
	uint64_t watchdog_usec_override; /* WATCHDOG_USEC= from the service, 0 none */
	int notify_errno;        /* ERRNO= */
	bool notify_stopping;    /* STOPPING=1 seen */
	bool notify_reloading;   /* RELOADING=1 seen, until READY=1 */
	bool stop_requested;     /* the last stop was asked for by an operator (fd store release) */

	struct logpipe *log;     /* output held by the daemon (logpipe.c), NULL until used */

	/* Overlapping restart (svc_overlap.c): the previous main process keeps
	 * serving until the new one is ready, then gets its stop signal. */
	pid_t old_pid;           /* 0 when no overlap is under way */
	bool old_signaled;       /* KillSignal sent to it */
	bool old_sigkill;        /* SIGKILL sent to it */
	uv_timer_t *old_timer;   /* its TimeoutStopSec=, allocated while armed */
	uint64_t old_deadline_mono;

	/* Accept=yes instances: the connection (owned until the spawn has
	 * duplicated it into the child) and its peer. */
	int conn_fd;
	char remote_addr[64];
	char remote_port[8];

	/* Control processes (svc_control.c): ExecStartPre=, ExecStartPost=,
	 * ExecReload=, ExecStop=. Which list control_idx indexes follows from
	 * the state; a control process left behind by a state change (the main
	 * process died during ExecStartPost=) is SIGKILLed and only reaped. */
	pid_t control_pid;       /* 0 when none */
	unsigned control_idx;    /* the command of the current list that runs */
	int control_exec_fd;     /* its exec-status pipe, read when it is reaped; -1 none */
	int reload_client_fd;    /* `supctl reload UNIT` waiting for ExecReload=, -1 none */
	/* Type=notify-reload without ExecReload=: 1 ReloadSignal= sent, waiting
	 * for RELOADING=1; 2 then waiting for READY=1; 0 not reloading so. */
	unsigned char reload_notify;
	uint64_t reload_begin_mono; /* when the signal went (RELOADING=1's MONOTONIC_USEC must not be older) */
	uint32_t reload_req_id;
	bool flush_restarts;     /* it went down for good: the next start zeroes `restarts` */

	/* Dependencies (deps.c): requests waiting for ordering (After=/Before=). */
	bool dep_start;          /* start wanted once the units it is ordered after settle */
	bool dep_stop;           /* stop wanted once the units ordered after it are down */
	bool dep_cycle;          /* part of an ordering cycle found at load: ordering ignored */
	bool dep_automatic;      /* the marked start is automatic (socket activation): it counts
				  * toward StartLimitBurst= */
};

struct listener {
	struct listen_addr *addr;  /* parsed from the conf when first needed (sockunit_addr); NULL before */
	int fd;
	uv_poll_t *watch;        /* allocated while the fd is open; freed in its close_cb */
	bool watching;
	bool unchecked;          /* handed over by a re-exec: its kind is checked before it is first watched */
};

struct sockunit {
	enum sock_state state;
	struct listener *l;
	size_t n;
	struct unit *service;    /* the service it activates (the template with Accept=yes) */
	char *error;             /* why it failed (text.h: NULL is empty) */
	uint64_t since_usec;
	/* Accept=yes */
	unsigned n_accepted;     /* connections accepted so far (instance numbers) */
	unsigned n_conn;         /* instances running now */
	unsigned n_refused;      /* closed at once: MaxConnections=/...PerSource= */
	uv_timer_t *backoff;     /* accept paused after EMFILE; NULL when not */
	/* TriggerLimitIntervalSec=/TriggerLimitBurst= (activations, not Accept=yes) */
	uint64_t trig_begin;     /* CLOCK_MONOTONIC usec the current interval began, 0 none */
	unsigned trig_count;     /* activations in it */
};

struct unit {
	char *name;              /* "worker.service" */
	enum unit_kind kind;
	struct unit_conf *conf;  /* NULL when the file failed to load */
	char *load_error;        /* "file:line: message" when conf == NULL */
	char *path;              /* the file it was loaded from */
	struct unit *instance_of; /* Accept=yes instance: the socket that accepted its connection */
	struct unit *template_unit; /* ... and its template (NAME@.service), which holds its log */
	bool conf_borrowed;      /* conf belongs to the template (instances) */
	bool dead;               /* finished instance, freed by the registry's collector */
	bool removing;           /* its file is gone (reload): dropped once stopped */
	char *text;              /* the unit file as loaded (re-exec re-parses it) */
	size_t text_len;
	unsigned handles_open;   /* handles still closing while the collector frees it */
	union {
		struct service svc;
		struct sockunit sock;
	};
};

/* ---- registry ---- */

/* Load every *.service and *.socket file in dir; bad files become units
 * with load_error set. Then link sockets and services. Returns 0 or -errno
 * if the directory itself cannot be read. */
int unit_load_dir(uv_loop_t *loop, const char *dir);

/* Add one unit parsed from text (owned by the unit afterwards; NULL when
 * read_error says why there is none). Call unit_registry_finish() after the
 * last one. Returns NULL only when out of memory. */
struct unit *unit_new_from_text(uv_loop_t *loop, const char *fname, const char *path, char *text,
				size_t text_len, const char *read_error);
/* The parse of unit_new_from_text alone, touching nothing shared (it may
 * run on another thread: preparse.c): *conf, or NULL and *error saying why
 * (both owned by the caller). -ENOMEM when neither could be made. */
int unit_parse_text(const char *fname, const char *path, const char *text, size_t text_len,
		    struct unit_conf **conf, char **error);
/* Free a configuration made by unit_parse_text (contents and struct); NULL is fine. */
void unit_conf_free(struct unit_conf *c);
/* unit_new_from_text with the parse done: exactly one of conf and error is
 * set; the unit owns text, conf and error afterwards (freed on failure). */
struct unit *unit_new_parsed(uv_loop_t *loop, const char *fname, const char *path, char *text,
			     size_t text_len, struct unit_conf *conf, char *error);
/* Sort the registry and link sockets to services. */
void unit_registry_finish(void);
/* Recompute every socket-service link (after a reload). */
void unit_relink(void);
/* Read a unit file (bounded) into a NUL-terminated buffer. 0 or -errno. */
int unit_read_file(const char *path, char **out, size_t *len);
/* A configuration replaced by a reload: kept until exit (instances may
 * still borrow it). */
void unit_retire_conf(struct unit_conf *c);
/* Add a unit created at run time (an Accept=yes instance), keeping the
 * registry sorted. 0 or -ENOMEM. */
int unit_insert(struct unit *u);
/* Drop a finished instance: it leaves the registry now and is freed once
 * its handles have closed. */
void unit_discard(struct unit *u);

struct unit *unit_find(const char *name);
/* Accepts "worker", "worker.service", "x.socket". */
struct unit *unit_lookup(const char *name, char *canon, size_t canonlen);
size_t unit_count(void);
struct unit *unit_at(size_t i);
/* Close every libuv handle of every unit, then free them once closed. */
void unit_free_all(void);
/* uv_close() a handle that was malloc'd, and free it in the close_cb. */
void unit_close_free(uv_handle_t *h);

/* Called by service.c / sockunit.c on every state change: lets waiting
 * control jobs finish. */
void unit_state_changed(struct unit *u);

/* Time helpers, microseconds. */
uint64_t now_mono_usec(void);
uint64_t now_real_usec(void);

#endif
