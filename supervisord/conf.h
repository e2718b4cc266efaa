/*
 * conf.h - the configuration of one unit, as read from its unit file.
 *
 * A unit file is parsed in two steps: unitfile.c turns text into a list of
 * (section, key, value, line) entries with systemd's syntax rules, and
 * conf.c maps those entries onto the structs below with systemd's meaning
 * (defaults, list accumulation, "empty assignment resets the list").
 *
 * A conf struct is immutable once loaded: a running unit points at the conf
 * it was started with, and a reload swaps in a new one. Everything is owned
 * by the struct and released by conf_free().
 *
 * Times are microseconds; CONF_USEC_INFINITY means "no limit".
 */
#ifndef SUPD_CONF_H
#define SUPD_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "condition.h"
#include "cpusched.h"
#include "sysfilter.h"

#define CONF_USEC_INFINITY UINT64_MAX

/* Callback for warnings and errors; `where` is "file:line". */
typedef void (*conf_diag_fn)(void *ctx, int is_error, const char *where, const char *msg);

enum unit_kind { UNIT_SERVICE = 0, UNIT_SOCKET = 1 };

enum svc_type {
	SVC_TYPE_SIMPLE = 0,
	SVC_TYPE_EXEC = 1,
	SVC_TYPE_NOTIFY = 2,
	SVC_TYPE_ONESHOT = 3,
	SVC_TYPE_FORKING = 4,
	SVC_TYPE_NOTIFY_RELOAD = 5, /* notify, and a reload is ReloadSignal= then RELOADING=1 ... READY=1 */
};

/* Ready when it says READY=1. */
#define SVC_TYPE_IS_NOTIFY(t) ((t) == SVC_TYPE_NOTIFY || (t) == SVC_TYPE_NOTIFY_RELOAD)

enum svc_restart {
	RESTART_NO = 0,
	RESTART_ALWAYS,
	RESTART_ON_SUCCESS,
	RESTART_ON_FAILURE,
	RESTART_ON_ABNORMAL,
	RESTART_ON_ABORT,
	RESTART_ON_WATCHDOG,
};

enum notify_access { NOTIFY_UNSET = 0, NOTIFY_NONE, NOTIFY_MAIN, NOTIFY_EXEC, NOTIFY_ALL };

enum kill_mode { KILL_CONTROL_GROUP = 0, KILL_MIXED, KILL_PROCESS, KILL_NONE };

/* STDOUT_UNSET: not given; stdout then goes to the journal (the daemon's
 * log pipe), or to the socket with StandardInput=socket, and stderr to
 * wherever stdout goes -- systemd's defaults. */
enum std_output { STDOUT_INHERIT = 0, STDOUT_NULL, STDOUT_FILE, STDOUT_APPEND, STDOUT_JOURNAL, STDOUT_SOCKET,
		  STDOUT_UNSET, STDOUT_TRUNCATE, STDOUT_TTY, STDOUT_FD };
/* StandardInput=: tty, tty-force and tty-fail make the terminal at
 * TTYPath= the main process's controlling one (conf_stdin_tty); data is
 * StandardInputText=/StandardInputData=; file: a path; fd:NAME (and
 * StandardOutput=fd:NAME) a descriptor the service is passed, by its
 * name, kept where a file's path is. */
enum std_input { STDIN_NULL = 0, STDIN_SOCKET, STDIN_TTY, STDIN_TTY_FORCE, STDIN_TTY_FAIL, STDIN_FILE, STDIN_DATA,
		 STDIN_FD };
#define CONF_STDIN_DATA_MAX (64u << 20) /* systemd's EXEC_STDIN_DATA_MAX */
static inline bool conf_stdin_tty(enum std_input i)
{
	return i == STDIN_TTY || i == STDIN_TTY_FORCE || i == STDIN_TTY_FAIL;
}

/* ExecStart= and friends. Prefix characters ('-', '@', '+', '!', ':') are
 * stripped into flags. argv is NULL-terminated; path is argv[0] unless '@'
 * gave a separate argv[0]. */
#define EXEC_IGNORE_FAILURE 0x1u /* '-' */
#define EXEC_ARGV0          0x2u /* '@' */
#define EXEC_PRIVILEGED     0x4u /* '+' (and '!', '!!') */
#define EXEC_NO_ENV_EXPAND  0x8u /* ':' */
#define EXEC_FULL_PRIVILEGE 0x10u /* '+' alone: no User=/Group=, no sandboxing, no NoNewPrivileges= */
struct exec_cmd {
	char *path;
	char **argv;
	size_t argc;
	unsigned flags;
	unsigned line;
};

/* OpenFile=path[:fdname[:options]] */
#define OPENFILE_READ_ONLY 0x1u
#define OPENFILE_APPEND    0x2u
#define OPENFILE_TRUNCATE  0x4u
#define OPENFILE_GRACEFUL  0x8u
struct open_file {
	char *path;
	char *fdname; /* defaults to basename(path) */
	unsigned flags;
};

/* RuntimeDirectory= and its siblings (execdirs.h). */
enum conf_execdir { EXECDIR_RUNTIME, EXECDIR_STATE, EXECDIR_CACHE, EXECDIR_LOGS, EXECDIR_CONFIGURATION, EXECDIR__MAX };

/* Limit*=: one resource limit, set when given. */
#define CONF_RLIMITS 16 /* RLIMIT_NLIMITS on Linux */
struct conf_rlimit {
	bool set;
	uint64_t soft, hard; /* UINT64_MAX: infinity */
};

/* SuccessExitStatus=, RestartPreventExitStatus=, RestartForceExitStatus=:
 * exit statuses 0-255 and signals 1-64. */
struct exit_set {
	uint64_t status[4];
	uint64_t signals;              /* bit n-1: signal n */
};

/* Does a waitpid() status match the set? */
static inline bool conf_exit_set_test(const struct exit_set *e, int wait_status)
{
	if ((wait_status & 0x7f) == 0) { /* exited */
		unsigned code = ((unsigned)wait_status >> 8) & 0xff;
		return (e->status[code / 64] >> (code % 64)) & 1;
	}
	unsigned sig = (unsigned)wait_status & 0x7f;
	return sig != 0x7f && sig >= 1 && sig <= 64 && ((e->signals >> (sig - 1)) & 1);
}

#define CONF_USEC_UNSET (UINT64_MAX - 1) /* TimeoutAbortSec= not given */

struct svc_conf {
	enum svc_type type;
	struct exec_cmd *exec_start;     size_t n_exec_start;
	struct exec_cmd *exec_condition; size_t n_exec_condition;
	struct exec_cmd *exec_start_pre; size_t n_exec_start_pre;
	struct exec_cmd *exec_start_post; size_t n_exec_start_post;
	struct exec_cmd *exec_stop;      size_t n_exec_stop;
	struct exec_cmd *exec_stop_post; size_t n_exec_stop_post;
	struct exec_cmd *exec_reload;    size_t n_exec_reload;
	enum svc_restart restart;
	uint64_t restart_usec;          /* RestartSec=, default 100ms */
	unsigned restart_steps;         /* RestartSteps=, default 0 */
	uint64_t restart_max_delay_usec; /* RestartMaxDelaySec=, default infinity */
	uint64_t timeout_start_usec;    /* TimeoutStartSec=, default 90s */
	uint64_t timeout_stop_usec;     /* TimeoutStopSec=, default 90s */
	uint64_t runtime_max_usec;      /* RuntimeMaxSec=, default infinity */
	uint64_t watchdog_usec;         /* WatchdogSec=, default 0 (off) */
	uint64_t start_limit_interval_usec; /* [Unit] StartLimitIntervalSec=, default 10s */
	unsigned start_limit_burst;     /* [Unit] StartLimitBurst=, default 5 */
	int kill_signal;                /* KillSignal=, default SIGTERM */
	int restart_kill_signal;        /* RestartKillSignal=, 0: KillSignal= */
	int final_kill_signal;          /* FinalKillSignal=, default SIGKILL */
	int watchdog_signal;            /* WatchdogSignal=, default SIGABRT */
	int reload_signal;              /* ReloadSignal=, default SIGHUP (Type=notify-reload) */
	uint64_t timeout_abort_usec;    /* TimeoutAbortSec=, CONF_USEC_UNSET: TimeoutStopSec= */
	struct exit_set success_status, restart_prevent, restart_force;
	struct conf_rlimit *limits;     /* LimitCPU= ... LimitRTTIME=, CONF_RLIMITS by RLIMIT_*; NULL when none is given */
	unsigned umask;                 /* UMask=, default 0022 */
	bool nice_set;
	int nice;                       /* Nice= */
	bool ignore_sigpipe;            /* IgnoreSIGPIPE=, default yes */
	bool no_new_privileges;         /* NoNewPrivileges= */
	bool cap_bounding_set;          /* CapabilityBoundingSet= given (else the bounding set is left alone) */
	uint64_t cap_bounding;          /* ... its capabilities, bit N for capability N (caps.h) */
	bool cap_ambient_set;
	uint64_t cap_ambient;           /* AmbientCapabilities= */
	bool memory_deny_write_execute; /* MemoryDenyWriteExecute= (sysfilter.h) */
	bool restrict_realtime;         /* RestrictRealtime= */
	bool lock_personality;          /* LockPersonality= */
	bool restrict_suid_sgid;        /* RestrictSUIDSGID= */
	bool restrict_namespaces_set;   /* RestrictNamespaces= given */
	unsigned long ns_allowed;       /* ... the CLONE_NEW* flags still allowed */
	struct sysf_families families;  /* RestrictAddressFamilies= */
	bool syscall_archs_set;         /* SystemCallArchitectures= given (a known name) */
	unsigned syscall_archs;         /* ... SYSF_ARCH_* */
	struct sysf_calls *calls;       /* SystemCallFilter=, NULL when not given */
	int syscall_errno;              /* SystemCallErrorNumber=: an errno, or SYSF_ERR_KILL (the default) */
	struct cpusched *sched;         /* CPUAffinity=, CPUScheduling*=, IOScheduling*=; NULL when none is given */
	bool oom_score_adjust_set;
	int oom_score_adjust;           /* OOMScoreAdjust=, -1000..1000 */
	char **supplementary_groups;    /* SupplementaryGroups=: names or numbers */
	size_t n_supplementary_groups;
	char **pass_environment;        /* PassEnvironment=: names taken from the daemon's environment */
	size_t n_pass_environment;
	char **unset_environment;       /* UnsetEnvironment=: NAME or NAME=VALUE, removed last */
	size_t n_unset_environment;
	char **exec_dirs[EXECDIR__MAX]; /* RuntimeDirectory= ...: relative paths */
	size_t n_exec_dirs[EXECDIR__MAX];
	unsigned exec_dir_mode[EXECDIR__MAX]; /* *DirectoryMode=, default 0755 */
	int runtime_preserve;           /* RuntimeDirectoryPreserve=: 0 no, 1 restart, 2 yes */
	bool send_sigkill;              /* SendSIGKILL=, default yes */
	bool send_sighup;               /* SendSIGHUP=: SIGHUP after KillSignal= too */
	enum kill_mode kill_mode;
	char **environment;             /* Environment=, "K=V" strings, NULL-terminated */
	char **environment_files;       /* EnvironmentFile=, paths or globs, "-" in front if optional */
	size_t n_environment_files;
	size_t n_environment;
	char *working_directory;        /* NULL: "/" as systemd; "~" allowed */
	char *pid_file;                 /* PIDFile= (Type=forking): absolute */
	bool working_directory_missing_ok; /* '-' prefix */
	char *user, *group;             /* NULL: the daemon's own */
	char **sockets;                 /* Sockets= unit names, NULL-terminated */
	size_t n_sockets;
	enum notify_access notify_access; /* NOTIFY_UNSET: resolved at use (main if notify/watchdog/fdstore) */
	unsigned fdstore_max;           /* FileDescriptorStoreMax=, default 0 */
	bool non_blocking;              /* NonBlocking=: O_NONBLOCK on the socket-activation fds (else cleared) */
	int fdstore_preserve;           /* 0 no, 1 restart (default), 2 yes */
	struct open_file *open_files;   size_t n_open_files;
	enum std_input std_input;
	enum std_output std_output, std_error;
	char *std_input_path, *std_output_path, *std_error_path;
	char *stdin_data;               /* StandardInputText=/StandardInputData=, decoded */
	size_t stdin_data_len;
	char *tty_path;                 /* TTYPath=, NULL: /dev/console */
	bool tty_reset, tty_vhangup;    /* TTYReset=, TTYVHangup= */
	bool remain_after_exit;         /* RemainAfterExit= (Type=oneshot: active once done) */
	bool private_tmp;               /* PrivateTmp= (privtmp.h) */
	unsigned char protect_system;   /* ProtectSystem=: 0 no, 1 yes, 2 full, 3 strict */
	unsigned char protect_home;     /* ProtectHome=: 0 no, 1 yes, 2 read-only, 3 tmpfs */
	char **read_write_paths;        /* ReadWritePaths= ("-" prefix: may be missing) */
	size_t n_read_write_paths;
	char **read_only_paths;         /* ReadOnlyPaths= */
	size_t n_read_only_paths;
	char **noexec_paths;            /* NoExecPaths= ("-" prefix: may be missing) */
	size_t n_noexec_paths;
	char **exec_paths;              /* ExecPaths=: exceptions under NoExecPaths= */
	size_t n_exec_paths;
	char **inaccessible_paths;      /* InaccessiblePaths= ("-" prefix: may be missing) */
	size_t n_inaccessible_paths;
	char **bind_paths;              /* BindPaths=: "[-]SRC[:DEST[:OPTS]]" as given */
	size_t n_bind_paths;
	char **bind_ro_paths;           /* BindReadOnlyPaths=: the same */
	size_t n_bind_ro_paths;
	char **temporary_fs;            /* TemporaryFileSystem=: "PATH[:OPTIONS]" */
	size_t n_temporary_fs;
	char **credentials;             /* LoadCredential= "L" + "ID:PATH", SetCredential= "S" + "ID:VALUE" (escaped) */
	size_t n_credentials;
	bool protect_kernel_tunables;   /* ProtectKernelTunables= */
	bool protect_kernel_modules;    /* ProtectKernelModules= */
	bool protect_kernel_logs;       /* ProtectKernelLogs= */
	bool protect_control_groups;    /* ProtectControlGroups= */
	bool protect_clock;             /* ProtectClock= (the bounding set only) */
	bool protect_hostname;          /* ProtectHostname= */
	bool private_network;           /* PrivateNetwork= (netns.h) */
	bool private_devices;           /* PrivateDevices= */
	bool private_users;             /* PrivateUsers= */
	bool dynamic_user;              /* DynamicUser= (dynuser.h): user (and group) the name to allocate */
	unsigned securebits;            /* SecureBits=: SECBIT_* (linux/securebits.h), set before the exec */
	bool remove_ipc;                /* RemoveIPC= (cleanipc.h); implied by DynamicUser= */
	int keyring_mode;               /* KeyringMode=: CONF_KEYRING_*, default: private for root's daemon */
	int protect_proc;               /* ProtectProc=: CONF_PROC_* (hidepid= of a /proc of its own) */
	int proc_subset;                /* ProcSubset=: 0 all, 1 pid (subset=pid) */
	int restart_mode_overlap;       /* RestartMode=overlap */
};

/* KeyringMode=. */
enum { CONF_KEYRING_DEFAULT, CONF_KEYRING_INHERIT, CONF_KEYRING_PRIVATE, CONF_KEYRING_SHARED };

/* ProtectProc=, as the kernel names its hidepid= values. */
enum { CONF_PROC_DEFAULT, CONF_PROC_NOACCESS, CONF_PROC_INVISIBLE, CONF_PROC_PTRACEABLE };

enum listen_kind {
	LISTEN_STREAM = 0, LISTEN_DATAGRAM = 1, LISTEN_SEQPACKET = 2, LISTEN_FIFO = 3,
	LISTEN_SPECIAL = 4,   /* ListenSpecial=: an existing file or character device, opened */
	LISTEN_NETLINK = 5,   /* ListenNetlink=: "FAMILY [GROUP]" */
	LISTEN_MQUEUE = 6,    /* ListenMessageQueue=: a POSIX message queue "/name" */
};

struct listen_spec {
	enum listen_kind kind;
	char *address;  /* as written: "127.0.0.1:8080", "[::1]:80", "8080", "/path", "@abstract",
			 * "route 1" (netlink), "/queue" (message queue) */
	unsigned line;
};

enum bind_ipv6_only { BIND_IPV6_DEFAULT = 0, BIND_IPV6_BOTH, BIND_IPV6_ONLY };

struct sock_conf {
	struct listen_spec *listen;     size_t n_listen;
	char *fdname;                   /* FileDescriptorName=; NULL = the unit's full name */
	char *service;                  /* Service=; NULL = same base name + ".service" */
	int backlog;                    /* Backlog=, default SOMAXCONN (4096 on Debian 12) */
	mode_t socket_mode;             /* SocketMode=, default 0666 */
	mode_t directory_mode;          /* DirectoryMode=, default 0755 */
	char *socket_user, *socket_group;
	bool reuse_port, free_bind, keep_alive, no_delay, accept, pass_credentials;
	enum bind_ipv6_only bind_ipv6_only;
	unsigned max_connections;       /* default 64 */
	unsigned max_connections_per_source; /* default = max_connections */
	uint64_t trigger_limit_interval_usec; /* default 2s */
	unsigned trigger_limit_burst;   /* default 20 (200 with Accept=yes) */
	bool remove_on_stop;
	/* Options set after listen(), in the order of systemd's
	 * socket_apply_socket_options(); 0 / NULL: not set (the kernel's own
	 * value is left). */
	uint64_t receive_buffer, send_buffer; /* ReceiveBuffer=, SendBuffer= (bytes) */
	uint64_t pipe_size;             /* PipeSize= (FIFOs) */
	unsigned priority, mark, ip_tos, ip_ttl; /* Priority=, Mark=, IPTOS=, IPTTL= */
	bool broadcast, pass_security, pass_pktinfo, transparent; /* Broadcast=, PassSecurity=, PassPacketInfo=, Transparent= */
	int timestamping;               /* Timestamping=: 0 off, 1 us, 2 ns */
	uint64_t defer_accept_usec;     /* DeferAcceptSec= */
	uint64_t keep_alive_time_usec, keep_alive_interval_usec; /* KeepAliveTimeSec=, KeepAliveIntervalSec= */
	unsigned keep_alive_probes;     /* KeepAliveProbes= */
	char *tcp_congestion;           /* TCPCongestion= */
	char *bind_to_device;           /* BindToDevice= (before bind: a failure fails the socket) */
	char **symlinks;                /* Symlinks=: links to the one file-system socket or FIFO */
	size_t n_symlinks;
	bool writable;                  /* Writable=: ListenSpecial= files opened read-write */
	unsigned mq_maxmsg, mq_msgsize; /* MessageQueueMaxMessages=, MessageQueueMessageSize= (0: the kernel's) */
	int socket_protocol;            /* SocketProtocol=: IPPROTO_UDPLITE (datagram) or IPPROTO_SCTP (stream), 0 */
};

enum conf_action {
	CONF_ACTION_NONE = 0,
	CONF_ACTION_EXIT,       /* exit, exit-force */
	CONF_ACTION_MACHINE,    /* reboot, poweroff, halt, kexec...: the daemon exits (action.h) */
};

struct unit_conf {
	char *name;          /* "worker.service" */
	char *path;          /* file it came from */
	enum unit_kind kind;
	bool per_instance;   /* a value uses %n %N %i %I or %f: each instance of a template parses it anew */
	char *description;
	char *default_instance; /* [Install] DefaultInstance= (templates) */
	char **wanted_by;    /* [Install] WantedBy= */
	size_t n_wanted_by;
	char **requires, **wants, **after, **before, **binds_to, **part_of;
	size_t n_requires, n_wants, n_after, n_before, n_binds_to, n_part_of;
	char **on_failure, **on_success; /* OnFailure=, OnSuccess=: started when it fails / ends well */
	size_t n_on_failure, n_on_success;
	char **conflicts;                /* Conflicts=: stopped when this one starts, and the reverse */
	size_t n_conflicts;
	char **requisite;                /* Requisite=: must be up already, never pulled in */
	size_t n_requisite;
	char **upholds;                  /* Upholds=: started whenever found down while this one is up */
	size_t n_upholds;
	char **propagates_reload_to, **reload_propagated_from; /* PropagatesReloadTo=, ReloadPropagatedFrom= */
	size_t n_propagates_reload_to, n_reload_propagated_from;
	char **propagates_stop_to, **stop_propagated_from;     /* PropagatesStopTo=, StopPropagatedFrom= */
	size_t n_propagates_stop_to, n_stop_propagated_from;
	bool stop_when_unneeded;         /* StopWhenUnneeded= */
	bool refuse_manual_start, refuse_manual_stop; /* RefuseManualStart=, RefuseManualStop= */
	int success_action, failure_action; /* SuccessAction=, FailureAction=: CONF_ACTION_* (action.h) */
	int success_action_exit_status, failure_action_exit_status; /* ...ExitStatus=: 0..255, -1 unset */
	struct cond *conds;  /* [Unit] Condition*= and Assert*= (condition.h), in file order */
	size_t n_conds;
	union {
		struct svc_conf svc;
		struct sock_conf sock;
	};
};

/*
 * Load a unit from text (already read from `path`). `name` is the unit's
 * file name ("worker.service"); its suffix selects the kind. Unknown keys and
 * sections produce warnings through diag; bad values produce errors and make
 * the whole load fail with -EINVAL (the first error's message is also copied
 * into err). On success *out is filled and owns its memory.
 */
int conf_load_text(const char *name, const char *path, const char *text, size_t len,
		   struct unit_conf *out, char *err, size_t errlen,
		   conf_diag_fn diag, void *diag_ctx);

/* Read `path` and call conf_load_text(). */
int conf_load_file(const char *path, struct unit_conf *out, char *err, size_t errlen,
		   conf_diag_fn diag, void *diag_ctx);

void conf_free(struct unit_conf *c);

/* Value parsers, exposed for tests and for other modules. Each returns 0 or -EINVAL. */
int conf_parse_timespan(const char *s, uint64_t *usec);      /* "100ms", "1min 30s", "infinity", "5" (=s) */
int conf_parse_bool(const char *s, bool *b);                 /* yes/no/true/false/on/off/1/0 */
int conf_parse_signal(const char *s, int *sig);              /* "SIGTERM", "TERM", "15" */
int conf_parse_unsigned(const char *s, unsigned max, unsigned *out); /* decimal, no sign, at most max */
bool conf_unit_name_valid(const char *s);                     /* "name.service": systemd's characters */
/* A template's name ("w@.service")? */
bool conf_is_template(const char *name);
/* The template of an instance: "w@1.service" -> "w@.service" into buf;
 * false when name names no instance (or buf is too small). */
bool conf_template_of(const char *name, char *buf, size_t len);
int conf_parse_exit_status(const char *s, unsigned *code);     /* "DATAERR", "203", 0..255 */
/* systemd's cunescape: every backslash escape of in decoded into out (at
 * least as long as in: no escape grows); the length, or -EINVAL for an
 * escape that does not decode (or gives a NUL byte, unless accept_nul). */
long conf_cunescape(const char *in, char *out, bool accept_nul);
/* Base64 (whitespace ignored) decoded into out, which has room for
 * strlen(in) / 4 * 3 + 2 bytes: the length, or -EINVAL. */
long conf_unbase64(const char *in, char *out);
/* Split a command line as systemd does (quotes, backslash escapes, prefix
 * characters). Fills cmd; returns 0 or -EINVAL with a reason in err. */
int conf_parse_exec(const char *s, struct exec_cmd *cmd, char *err, size_t errlen);
void conf_exec_free(struct exec_cmd *cmd);

/* Does any setting of s make its processes a mount namespace of their
 * own (ProtectSystem=, ProtectHome=, *Paths=, ProtectKernel*=,
 * ProtectControlGroups=, PrivateDevices=)? PrivateTmp= is counted apart
 * (privtmp.h). */
bool conf_svc_wants_mounts(const struct svc_conf *s);
/* Does s read from or write to its terminal (StandardInput=tty*,
 * StandardOutput=tty, StandardError=tty)? And which one it is: TTYPath=,
 * else /dev/console. */
bool conf_svc_uses_tty(const struct svc_conf *s);
const char *conf_svc_tty_path(const struct svc_conf *s);

#endif
