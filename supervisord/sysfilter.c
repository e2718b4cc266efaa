/* sysfilter.c - see sysfilter.h. */
#include <errno.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "sysfilter.h"

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452 /* the same on every machine (Linux 6.6) */
#endif
#define TMPFILE_BIT 020000000 /* __O_TMPFILE without O_DIRECTORY */

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#define X32_BIT 0x40000000u
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#endif

int sysfilter_parse_namespaces(const char *v, unsigned long *allowed, bool *set, char *bad, size_t badlen)
{
	static const struct {
		const char *name;
		unsigned long flag;
	} names[] = {
		{ "cgroup", CLONE_NEWCGROUP }, { "ipc", CLONE_NEWIPC }, { "net", CLONE_NEWNET }, { "mnt", CLONE_NEWNS },
		{ "pid", CLONE_NEWPID },       { "user", CLONE_NEWUSER }, { "uts", CLONE_NEWUTS },
	};
	if (*v == '\0') {
		*set = false;
		*allowed = SYSF_NS_ALL;
		return 0;
	}
	bool invert = v[0] == '~';
	unsigned long flags = 0;
	for (const char *p = v + invert; *p;) {
		size_t n = strcspn(p, " \t");
		size_t k = 0;
		while (n && k < sizeof names / sizeof names[0] &&
		       (strlen(names[k].name) != n || strncmp(p, names[k].name, n) != 0))
			k++;
		if (n && k == sizeof names / sizeof names[0]) {
			snprintf(bad, badlen, "%.*s", (int)(n < 40 ? n : 40), p);
			return -EINVAL;
		}
		if (n)
			flags |= names[k].flag;
		p += n ? n : 1;
	}
	/* systemd's config_parse_restrict_namespaces: the first list sets,
	 * later ones add (or with "~", take away). */
	if (!*set)
		*allowed = invert ? SYSF_NS_ALL & ~flags : flags;
	else
		*allowed = invert ? *allowed & ~flags : *allowed | flags;
	*set = true;
	return 0;
}

bool sysfilter_supported(void)
{
#ifdef NATIVE_ARCH
	return true;
#else
	return false;
#endif
}

#ifdef NATIVE_ARCH
#define NR_OFF offsetof(struct seccomp_data, nr)
#define ARCH_OFF offsetof(struct seccomp_data, arch)
/* The low 32 bits of argument i (little-endian on both machines). */
#define ARG_OFF(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#define DENY (SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA))

struct prog {
	struct sock_filter f[256];
	unsigned short n;
};

static void put(struct prog *p, unsigned short code, unsigned k, unsigned char jt, unsigned char jf)
{
	p->f[p->n++] = (struct sock_filter){ code, jt, jf, k };
}

/* "if nr == sys: A = arg & mask; deny if (A == want) == deny_eq" in 6
 * instructions, falling through to the next rule otherwise. The number
 * is reloaded after, since A is overwritten. */
static void rule_masked(struct prog *p, unsigned sys, int arg, unsigned mask, unsigned want, bool deny_eq)
{
	put(p, BPF_JMP | BPF_JEQ | BPF_K, sys, 0, 5); /* past this rule's 6 */
	put(p, BPF_LD | BPF_W | BPF_ABS, (unsigned)ARG_OFF(arg), 0, 0);
	put(p, BPF_ALU | BPF_AND | BPF_K, mask, 0, 0);
	put(p, BPF_JMP | BPF_JEQ | BPF_K, want, deny_eq ? 0 : 1, deny_eq ? 1 : 0);
	put(p, BPF_RET | BPF_K, DENY, 0, 0);
	put(p, BPF_RET | BPF_K, SECCOMP_RET_ALLOW, 0, 0);
}

/* setns(fd, nstype): deny nstype 0 (any type) and a forbidden one. */
static void rule_setns(struct prog *p, unsigned sys, unsigned forbidden)
{
	put(p, BPF_JMP | BPF_JEQ | BPF_K, sys, 0, 6); /* past this rule's 7 */
	put(p, BPF_LD | BPF_W | BPF_ABS, (unsigned)ARG_OFF(1), 0, 0);
	put(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 2, 0);
	put(p, BPF_ALU | BPF_AND | BPF_K, forbidden, 0, 0);
	put(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0);
	put(p, BPF_RET | BPF_K, DENY, 0, 0);
	put(p, BPF_RET | BPF_K, SECCOMP_RET_ALLOW, 0, 0);
}

/* A creating open (O_CREAT or O_TMPFILE in arg flags) whose mode (arg
 * mode) has a bit of bits: denied. */
static void rule_creat_mode(struct prog *p, unsigned sys, int flags, int mode, unsigned bits)
{
	put(p, BPF_JMP | BPF_JEQ | BPF_K, sys, 0, 8); /* past this rule's 9 */
	put(p, BPF_LD | BPF_W | BPF_ABS, (unsigned)ARG_OFF(flags), 0, 0);
	put(p, BPF_ALU | BPF_AND | BPF_K, O_CREAT | TMPFILE_BIT, 0, 0);
	put(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 4, 0);
	put(p, BPF_LD | BPF_W | BPF_ABS, (unsigned)ARG_OFF(mode), 0, 0);
	put(p, BPF_ALU | BPF_AND | BPF_K, bits, 0, 0);
	put(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0);
	put(p, BPF_RET | BPF_K, DENY, 0, 0);
	put(p, BPF_RET | BPF_K, SECCOMP_RET_ALLOW, 0, 0);
}

/* "if nr == sys: allow if arg is one of ok[0..n), else deny". */
static void rule_one_of(struct prog *p, unsigned sys, int arg, const unsigned *ok, int n)
{
	put(p, BPF_JMP | BPF_JEQ | BPF_K, sys, 0, (unsigned char)(n + 3)); /* past this rule's n + 4 */
	put(p, BPF_LD | BPF_W | BPF_ABS, (unsigned)ARG_OFF(arg), 0, 0);
	for (int i = 0; i < n; i++)
		put(p, BPF_JMP | BPF_JEQ | BPF_K, ok[i], (unsigned char)(n - i), 0);
	put(p, BPF_RET | BPF_K, DENY, 0, 0);
	put(p, BPF_RET | BPF_K, SECCOMP_RET_ALLOW, 0, 0);
}

int sysfilter_apply(unsigned flags, unsigned long ns_forbidden)
{
	struct prog p = { .n = 0 };
	put(&p, BPF_LD | BPF_W | BPF_ABS, (unsigned)ARCH_OFF, 0, 0);
	put(&p, BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 1, 0);
	put(&p, BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS, 0, 0);
	put(&p, BPF_LD | BPF_W | BPF_ABS, (unsigned)NR_OFF, 0, 0);
#ifdef X32_BIT
	put(&p, BPF_JMP | BPF_JSET | BPF_K, X32_BIT, 0, 1);
	put(&p, BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS, 0, 0);
#endif
	/* Each rule that does not match its number jumps to the next rule,
	 * which starts with the number in A: rules that load an argument
	 * return on every path. */
	if (flags & SYSF_MDWE) {
		rule_masked(&p, SYS_mmap, 2, PROT_WRITE | PROT_EXEC, PROT_WRITE | PROT_EXEC, true);
		rule_masked(&p, SYS_mprotect, 2, PROT_EXEC, 0, false);
		rule_masked(&p, SYS_pkey_mprotect, 2, PROT_EXEC, 0, false);
		rule_masked(&p, SYS_shmat, 2, SHM_EXEC, 0, false);
	}
	if (flags & SYSF_REALTIME) {
		static const unsigned ok[] = { SCHED_OTHER, SCHED_BATCH, SCHED_IDLE };
		rule_one_of(&p, SYS_sched_setscheduler, 1, ok, 3);
	}
	if (flags & SYSF_PERSONALITY) {
		const unsigned ok[] = { 0xffffffffu, (unsigned)personality(0xffffffff) };
		rule_one_of(&p, SYS_personality, 0, ok, 2);
	}
	if (flags & SYSF_SUIDSGID) {
		const unsigned sx = S_ISUID | S_ISGID;
		rule_masked(&p, SYS_fchmod, 1, sx, 0, false);
		rule_masked(&p, SYS_fchmodat, 2, sx, 0, false);
		rule_masked(&p, SYS_fchmodat2, 2, sx, 0, false);
		rule_masked(&p, SYS_mkdirat, 2, sx, 0, false);
		rule_masked(&p, SYS_mknodat, 2, sx, 0, false);
		rule_creat_mode(&p, SYS_openat, 2, 3, sx);
#ifdef SYS_chmod /* the old calls, x86-64 only */
		rule_masked(&p, SYS_chmod, 1, sx, 0, false);
		rule_masked(&p, SYS_mkdir, 1, sx, 0, false);
		rule_masked(&p, SYS_mknod, 1, sx, 0, false);
		rule_masked(&p, SYS_creat, 1, sx, 0, false);
		rule_creat_mode(&p, SYS_open, 1, 2, sx);
#endif
		put(&p, BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1); /* its mode is in a struct */
		put(&p, BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS, 0, 0);
	}
	if (ns_forbidden) {
		unsigned nf = (unsigned)ns_forbidden;
		rule_masked(&p, SYS_unshare, 0, nf, 0, false);
		rule_masked(&p, SYS_clone, 0, nf, 0, false); /* flags first on both machines */
		rule_setns(&p, SYS_setns, nf);
		put(&p, BPF_JMP | BPF_JEQ | BPF_K, SYS_clone3, 0, 1);
		put(&p, BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS, 0, 0);
	}
	put(&p, BPF_RET | BPF_K, SECCOMP_RET_ALLOW, 0, 0);

	struct sock_fprog fp = { .len = p.n, .filter = p.f };
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp) == 0)
		return 0;
	/* A kernel without seccomp filters: skipped, as systemd skips. */
	if (errno == ENOSYS || errno == EINVAL)
		return 0;
	if (errno != EACCES)
		return -errno;
	/* No CAP_SYS_ADMIN (User=, a user's daemon): systemd implies
	 * NoNewPrivileges= for such filters. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp) < 0)
		return -errno;
	return 0;
}
#else
int sysfilter_apply(unsigned flags, unsigned long ns_forbidden)
{
	return flags || ns_forbidden ? -ENOSYS : 0;
}
#endif
