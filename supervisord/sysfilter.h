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
 * System calls of another architecture (a 32-bit int 0x80 from an
 * x86-64 process, an x32 call) cannot be checked by argument here, so
 * under any filter they fail with ENOSYS: a 32-bit program cannot run
 * under these settings, and none can slip past them that way.
 */
#ifndef SUPD_SYSFILTER_H
#define SUPD_SYSFILTER_H

#include <sched.h>
#include <stdbool.h>
#include <stddef.h>

enum {
	SYSF_MDWE = 1 << 0,
	SYSF_REALTIME = 1 << 1,
	SYSF_PERSONALITY = 1 << 2,
	SYSF_SUIDSGID = 1 << 3,
};

/* RestrictNamespaces=: the CLONE_NEW* flags systemd knows, in its order. */
#define SYSF_NS_ALL                                                                                           \
	(CLONE_NEWCGROUP | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUSER | CLONE_NEWUTS)

/* One RestrictNamespaces= list (types allowed, or with "~" forbidden)
 * into *allowed (CLONE_NEW* flags a service may still use; SYSF_NS_ALL
 * when unrestricted), merged with earlier lines as systemd merges them;
 * empty unsets. *set: any line given. 0 or -EINVAL with the bad word in
 * bad. The boolean form is the caller's (conf_parse_bool). */
int sysfilter_parse_namespaces(const char *v, unsigned long *allowed, bool *set, char *bad, size_t badlen);

/* Whether this build knows the machine's system call numbers. */
bool sysfilter_supported(void);

/* In the child (system calls only): load the filter for flags (SYSF_*)
 * and the namespaces forbidden (CLONE_NEW* flags; 0: none).
 * Without CAP_SYS_ADMIN, no_new_privs is set first (systemd implies
 * NoNewPrivileges= there too). 0 or -errno. */
int sysfilter_apply(unsigned flags, unsigned long ns_forbidden);

#endif
