/*
 * spawn.h - fork and exec one process with an exact descriptor layout.
 *
 * We never use uv_spawn: libuv reaps its own children and would steal exit
 * statuses from our waitpid(-1) reaper, and it fixes the environment before
 * fork, so LISTEN_PID could not be the child's pid. Children adopted after a
 * re-exec are handled exactly like fresh ones because nothing about a child
 * lives in libuv.
 *
 * The child reports failure on a close-on-exec pipe: it writes one
 * struct spawn_err and exits 127; EOF without data means exec succeeded.
 * The caller owns the read end (*status_fd) and watches it from the loop.
 * When the child shares our memory until its exec (spawn.c), the outcome
 * is known as soon as spawn_start returns: given somewhere to put it
 * (`now`), it needs no pipe at all.
 */
#ifndef SUPD_SPAWN_H
#define SUPD_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "conf.h"
#include "userns.h"

enum spawn_stage {
	STAGE_NONE = 0,
	STAGE_FDS,        /* moving descriptors into place */
	STAGE_STDIO,
	STAGE_SESSION,    /* setsid */
	STAGE_CHDIR,
	STAGE_GROUPS,
	STAGE_GID,
	STAGE_UID,
	STAGE_SIGNALS,
	STAGE_EXEC,
	STAGE_LIMITS,     /* Limit*=, Nice= (appended: numbers cross a re-exec) */
	STAGE_OOM_ADJUST, /* OOMScoreAdjust= */
	STAGE_NO_NEW_PRIVS, /* NoNewPrivileges= */
	STAGE_NAMESPACE,  /* PrivateTmp= */
	STAGE_CAPS,       /* CapabilityBoundingSet=, AmbientCapabilities= */
	STAGE_SCHED,      /* CPUAffinity=, CPUScheduling*=, IOScheduling*= */
	STAGE_SECCOMP,    /* MemoryDenyWriteExecute=, RestrictRealtime=, LockPersonality= */
	STAGE_SECUREBITS, /* SecureBits= */
	STAGE_KEYRING,    /* KeyringMode= */
	STAGE_USERNS,     /* PrivateUsers= */
	STAGE_TTY,        /* StandardInput=tty*, TTYPath= */
	STAGE__MAX
};

struct spawn_err {
	int32_t stage;
	int32_t err;
};

/* One change to the child's mount namespace (ProtectSystem=, ProtectHome=,
 * ReadOnlyPaths=, ReadWritePaths=, BindPaths=, TemporaryFileSystem=...),
 * applied in order: first every mount, then every read-only flag. */
enum mount_op_kind {
	MOP_RO,          /* the tree at path read-only (recursively) */
	MOP_RW,          /* ... writable again (an exception under a read-only one) */
	MOP_INACCESSIBLE, /* an empty read-only tmpfs, mode 000, over it (a file: inaccessible_file) */
	MOP_EMPTY,       /* an empty read-only tmpfs, mode 0755, over it */
	MOP_KEEP,        /* writable again if it was before the others (cgroupfs under a read-only /sys) */
	MOP_BIND,        /* source bound at path, writable (BindPaths=) */
	MOP_BIND_RO,     /* ... read-only (BindReadOnlyPaths=) */
	MOP_TMPFS,       /* a tmpfs at path with data as its options (TemporaryFileSystem=) */
	MOP_PROCFS,      /* a procfs of its own at path, data its options (ProtectProc=, ProcSubset=) */
	MOP_NOEXEC,      /* the tree at path noexec (recursively; its read-only flag left as it is) */
	MOP_EXEC,        /* ... executable again (an exception under a noexec one) */
};
struct mount_op {
	const char *path;
	unsigned char kind;
	bool optional;   /* a missing path (a bind's source) is skipped (else the start fails) */
	bool recursive;  /* MOP_BIND*: submounts too (rbind, the default) */
	bool ro;         /* MOP_TMPFS: read-only */
	unsigned long flags; /* MOP_TMPFS: MS_NOSUID and the like */
	const char *source; /* MOP_BIND*: what is bound (seen as before any operation) */
	const char *data;   /* MOP_TMPFS, MOP_PROCFS: its options for mount(2) */
};

struct spawn_req {
	const char *path;          /* resolved absolute path */
	char *const *argv;
	char *const *envp;
	const int *fds;            /* placed at 3.. without FD_CLOEXEC */
	size_t nfds;
	size_t nsocket_fds;        /* the first nsocket_fds come from socket activation: */
	bool nonblock;             /* O_NONBLOCK set on them, or cleared (NonBlocking=) */
	int stdin_fd, stdout_fd, stderr_fd; /* -1: /dev/null for stdin, the daemon's for out/err;
					     * SPAWN_STDIO_TTY for out/err: the terminal stdin acquires */
	/* StandardInput=tty* (tty.h): the terminal at tty_path, acquired after
	 * setsid() as stdin (tty_acquire set); TTYVHangup= and TTYReset= on it
	 * first; given to uid (tty_chown) as systemd's chown_terminal does. */
	const char *tty_path;
	bool tty_acquire;
	unsigned char tty_mode;     /* enum tty_mode */
	bool tty_hangup, tty_reset, tty_chown;
	const char *cwd;           /* NULL: stay in "/" */
	bool cwd_missing_ok;
	bool set_ids;              /* switch to uid/gid/groups */
	uid_t uid;
	gid_t gid;
	const gid_t *groups;
	size_t ngroups;
	/* Slots inside envp strings the child fills with its own pid, each
	 * SPAWN_PID_SLOT bytes of spaces (NULL when unused). */
	char *pid_slots[2];
	/* Limit*=: soft/hard per RLIMIT_* when set (NULL: none set). Applied
	 * before the switch of user, so a hard limit can be raised. */
	const struct conf_rlimit *limits;
	unsigned umask;             /* UMask= */
	bool nice_set;
	int nice;                   /* Nice= */
	bool ignore_sigpipe;        /* IgnoreSIGPIPE= */
	bool no_new_privileges;     /* NoNewPrivileges= */
	bool cap_bounding_set;      /* CapabilityBoundingSet=: drop every capability not in cap_bounding */
	uint64_t cap_bounding;
	uint64_t cap_ambient;       /* AmbientCapabilities=: raised in the ambient set (kept across the user switch) */
	unsigned securebits;        /* SecureBits=: SECBIT_*, set after the user switch (0: left alone) */
	int keyring;                /* KeyringMode=: CONF_KEYRING_INHERIT, _PRIVATE or _SHARED */
	bool oom_score_adjust_set;
	char oom_score_adjust[8];   /* OOMScoreAdjust=, as written to /proc/self/oom_score_adj ("-1000\n") */
	const char *private_tmp[2]; /* PrivateTmp=: bound over /tmp and /var/tmp in a mount namespace of its own */
	const struct mount_op *mounts; /* applied in that namespace too */
	size_t nmounts;
	const char *inaccessible_file; /* an empty file, mode 000: bound over a file MOP_INACCESSIBLE hides */
	bool new_uts;               /* ProtectHostname=: a UTS namespace of its own */
	/* PrivateUsers=: a user namespace of its own with these maps (userns.h;
	 * "": none), made before the other namespaces when userns_first. */
	char userns_uid_map[USERNS_MAP_MAX], userns_gid_map[USERNS_MAP_MAX];
	bool userns_first;
	bool private_devices;       /* PrivateDevices=: a /dev of its own (in the mount namespace) */
	int netns_fd;               /* PrivateNetwork=: the network namespace to join, -1 none */
	const struct cpusched *sched; /* CPUAffinity= and the like, NULL: left as the daemon's */
	struct sysfilter_req sysfilter; /* seccomp filters loaded just before the exec (sysfilter.h) */
};

#define SPAWN_PID_SLOT 12   /* digits of a pid_t plus NUL */
#define SPAWN_STDIO_TTY (-4097) /* below every -errno */

/* Returns 0 and sets *pid and *status_fd (O_CLOEXEC, O_NONBLOCK), or -errno
 * if the fork or the pipe failed (nothing is left open). With now != NULL,
 * *status_fd may come back -1: then the outcome is in *now already (stage
 * STAGE_NONE: the exec succeeded). */
int spawn_start(const struct spawn_req *r, pid_t *pid, int *status_fd, struct spawn_err *now);

/* Read the status pipe without blocking. Returns 1 when exec succeeded
 * (EOF), 0 when the child reported *e, -EAGAIN when nothing is known yet. */
int spawn_read_status(int status_fd, struct spawn_err *e);

const char *spawn_stage_name(int stage);

struct rlimit;
/* The RLIMIT_NOFILE every child gets (set once at start-up). */
void spawn_set_child_nofile(const struct rlimit *rl);
/* Use fork() for every child, as sanitizer builds do, instead of a child
 * that shares our memory until its exec. That child keeps the daemon
 * waiting until the exec has happened: a binary or WorkingDirectory= on a
 * file system that hangs would hang the daemon too (--spawn-fork). */
void spawn_set_fork(bool on);
/* Note which signals the daemon handles or ignores: children reset just
 * those. Call it again after installing a handler once children run (it
 * is called before the first one otherwise). */
void spawn_note_signals(void);
bool spawn_forks(void);

/* Find `name` in the default search path when it is not absolute (systemd's
 * rule). Returns a malloc'd path or NULL with errno set. */
char *spawn_resolve(const char *name);

#endif
