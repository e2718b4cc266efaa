/*
 * sysfilter.h - the seccomp filters of the sandboxing settings, built as
 * classic BPF programs (no libseccomp) and loaded by the child just
 * before its exec, after the user changed, as systemd loads them: one
 * program for the rules below, then one for SystemCallFilter= (its
 * groups: syscall_sets.h), whose allow list might not let the loading of
 * another filter through. The kernel runs both; the stricter answer wins.
 *
 * What each refuses with EPERM, as systemd's seccomp-util.c does:
 *   MemoryDenyWriteExecute=  mmap() writable and executable at once,
 *                            mprotect()/pkey_mprotect() to executable,
 *                            shmat() with SHM_EXEC;
 *   RestrictRealtime=        sched_setscheduler() to any policy but
 *                            SCHED_OTHER, SCHED_BATCH and SCHED_IDLE;
 *   LockPersonality=         personality() to anything but the current
 *                            one (0xffffffff, the query, passes);
 *   RestrictNamespaces=      unshare() and clone() with a flag of a
 *                            forbidden namespace, setns() into one (or
 *                            of any type, nstype 0); clone3() gets
 *                            ENOSYS, its flags being out of reach, so
 *                            libc falls back to clone();
 *   RestrictSUIDSGID=        chmod() and its kin, mkdir(), mknod() and
 *                            a creating open() with a set-user-ID or
 *                            set-group-ID bit; openat2() gets ENOSYS.
 *   RestrictAddressFamilies= socket() of a family not allowed (or
 *                            listed with "~") gets EAFNOSUPPORT;
 *                            socketpair() is left alone, as in systemd.
 *   SystemCallArchitectures= a system call of an architecture not
 *                            listed kills the process (SIGSYS); the
 *                            native one is always allowed.
 * System calls of another architecture (a 32-bit int 0x80 from an
 * x86-64 process, an x32 call) cannot be checked by argument here, so
 * under any filter but SystemCallArchitectures= they fail with ENOSYS
 * (even when that setting lists their architecture): a 32-bit program
 * cannot run under these settings, and none can slip past them that way.
 */
#ifndef SUPD_SYSFILTER_H
#define SUPD_SYSFILTER_H

#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	SYSF_MDWE = 1 << 0,
	SYSF_REALTIME = 1 << 1,
	SYSF_PERSONALITY = 1 << 2,
	SYSF_SUIDSGID = 1 << 3,
};

/* RestrictNamespaces=: the CLONE_NEW* flags systemd knows, in its order. */
#define SYSF_NS_ALL                                                                                           \
	(CLONE_NEWCGROUP | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUSER | CLONE_NEWUTS)

/* RestrictAddressFamilies=: off, or a set of address families allowed
 * (allow) or refused, bit N for family N (every AF_* is below 64). */
struct sysf_families {
	bool on;
	bool allow;
	uint64_t set;
};

/* SystemCallArchitectures=: each name systemd knows has a bit; those of
 * other machines share SYSF_ARCH_OTHER ("native" is this machine's). */
enum {
	SYSF_ARCH_X86_64 = 1 << 0,
	SYSF_ARCH_X86 = 1 << 1,
	SYSF_ARCH_X32 = 1 << 2,
	SYSF_ARCH_ARM64 = 1 << 3,
	SYSF_ARCH_ARM = 1 << 4,
	SYSF_ARCH_OTHER = 1 << 5,
};

/* SystemCallFilter=: the calls listed (by this machine's numbers, all
 * below SYSF_NR_MAX), allowed or refused. */
#define SYSF_NR_MAX 512
enum { SYSF_ERR_DEFAULT = -1, SYSF_ERR_KILL = -2 };
struct sysf_calls {
	bool allow;                    /* an allow list (else a deny list) */
	unsigned short max_known;      /* the highest number of a call systemd knows, here */
	uint64_t set[SYSF_NR_MAX / 64];
	short err[SYSF_NR_MAX];        /* a refused call's own answer: SYSF_ERR_*, or an errno */
};

/* What the child loads: everything off is no filter at all. */
struct sysfilter_req {
	unsigned flags;             /* SYSF_* */
	unsigned long ns_forbidden; /* RestrictNamespaces=: CLONE_NEW* flags refused (0: none) */
	struct sysf_families families;
	bool archs_on;              /* SystemCallArchitectures= given */
	unsigned archs;             /* ... SYSF_ARCH_* allowed besides the native one */
	const struct sysf_calls *calls; /* SystemCallFilter=, NULL: none */
	int calls_errno;            /* SystemCallErrorNumber=: an errno, or SYSF_ERR_KILL */
};

/* One RestrictAddressFamilies= line into *f, merged with earlier lines
 * as systemd's config_parse_address_families merges them: the first
 * list (or "none") sets allow or refuse, later lists add or take away;
 * empty turns it off. Names systemd would not know (AF_UNSPEC, typos)
 * are skipped: returns how many, the first in unknown. */
int sysfilter_parse_families(const char *v, struct sysf_families *f, char *unknown, size_t len);

/* One SystemCallArchitectures= line added to *archs (SYSF_ARCH_*),
 * *on set once any known name was given; empty clears both. Unknown
 * names are skipped: returns how many, the first in unknown. */
int sysfilter_parse_archs(const char *v, unsigned *archs, bool *on, char *unknown, size_t len);

/* One SystemCallFilter= line merged into *cp as systemd's
 * config_parse_syscall_filter merges: the first line makes an allow list
 * (starting with @default) or, with "~", a deny list, and later lines add
 * to it or take from it; "NAME:ERRNO" (or ":kill") gives a refused call
 * its own answer; empty frees *cp (no filter). *cp is allocated by the
 * first line. Words systemd skips with a warning (an unknown call or
 * group, an error number in an allow list, a bad error number) are
 * skipped: returns how many, the first one's warning in why; or -ENOMEM.
 * (sysfilter_calls.c) */
int sysfilter_parse_calls(const char *v, struct sysf_calls **cp, char *why, size_t len);

/* SystemCallErrorNumber=: an errno name or number (0..4095) into *err,
 * or "kill" (SYSF_ERR_KILL, also for empty); -EINVAL otherwise. */
int sysfilter_parse_errno(const char *v, int *err);

/* One RestrictNamespaces= list (types allowed, or with "~" forbidden)
 * into *allowed (CLONE_NEW* flags a service may still use; SYSF_NS_ALL
 * when unrestricted), merged with earlier lines as systemd merges them;
 * empty unsets. *set: any line given. 0 or -EINVAL with the bad word in
 * bad. The boolean form is the caller's (conf_parse_bool). */
int sysfilter_parse_namespaces(const char *v, unsigned long *allowed, bool *set, char *bad, size_t badlen);

/* Whether this build knows the machine's system call numbers. */
bool sysfilter_supported(void);

/* Whether r asks for any filter. */
bool sysfilter_wanted(const struct sysfilter_req *r);

/* In the child (system calls only): load the filter r describes.
 * Without CAP_SYS_ADMIN, no_new_privs is set first (systemd implies
 * NoNewPrivileges= there too). 0 or -errno. */
int sysfilter_apply(const struct sysfilter_req *r);

#endif
