/*
 * sysfilter.h - the seccomp filters of MemoryDenyWriteExecute=,
 * RestrictRealtime= and LockPersonality=, built as a classic BPF program
 * (no libseccomp) and loaded by the child just before its exec, after
 * the user changed, as systemd loads them.
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

/* What the child loads: everything off is no filter at all. */
struct sysfilter_req {
	unsigned flags;             /* SYSF_* */
	unsigned long ns_forbidden; /* RestrictNamespaces=: CLONE_NEW* flags refused (0: none) */
	struct sysf_families families;
	bool archs_on;              /* SystemCallArchitectures= given */
	unsigned archs;             /* ... SYSF_ARCH_* allowed besides the native one */
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
