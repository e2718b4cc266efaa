/* sysfilter.c - see sysfilter.h. */
#include <errno.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/socket.h>
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

/* The machine's own architecture and the one other it runs (32-bit). */
#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#define NATIVE_BIT SYSF_ARCH_X86_64
#define COMPAT_ARCH AUDIT_ARCH_I386
#define COMPAT_BIT SYSF_ARCH_X86
#define X32_BIT 0x40000000u
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#define NATIVE_BIT SYSF_ARCH_ARM64
#define COMPAT_ARCH AUDIT_ARCH_ARM
#define COMPAT_BIT SYSF_ARCH_ARM
#else
#define NATIVE_BIT SYSF_ARCH_OTHER
#endif

/* The next blank-separated word of *p: its length (0 at the end), *p
 * moved to its start. */
static size_t next_word(const char **p)
{
	*p += strspn(*p, " \t");
	return strcspn(*p, " \t");
}

struct name {
	const char *name;
	unsigned long value;
};

/* The value of the word w (n bytes) in t[0..nt), or -1. */
static long find(const struct name *t, size_t nt, const char *w, size_t n)
{
	for (size_t i = 0; i < nt; i++)
		if (strlen(t[i].name) == n && strncmp(w, t[i].name, n) == 0)
			return (long)t[i].value;
	return -1;
}

static void note_unknown(int *count, const char *w, size_t n, char *unknown, size_t len)
{
	if ((*count)++ == 0)
		snprintf(unknown, len, "%.*s", (int)(n < 40 ? n : 40), w);
}

/* systemd's af_from_name(): the AF_* names of <sys/socket.h> but
 * AF_UNSPEC and AF_MAX. */
static int family_from_name(const char *w, size_t n)
{
#define F(x) { #x, x }
	static const struct name names[] = {
		F(AF_LOCAL),     F(AF_UNIX),     F(AF_FILE),      F(AF_INET),     F(AF_AX25),      F(AF_IPX),
		F(AF_APPLETALK), F(AF_NETROM),   F(AF_BRIDGE),    F(AF_ATMPVC),   F(AF_X25),       F(AF_INET6),
		F(AF_ROSE),      F(AF_DECnet),   F(AF_NETBEUI),   F(AF_SECURITY), F(AF_KEY),       F(AF_NETLINK),
		F(AF_ROUTE),     F(AF_PACKET),   F(AF_ASH),       F(AF_ECONET),   F(AF_ATMSVC),    F(AF_RDS),
		F(AF_SNA),       F(AF_IRDA),     F(AF_PPPOX),     F(AF_WANPIPE),  F(AF_LLC),       F(AF_IB),
		F(AF_MPLS),      F(AF_CAN),      F(AF_TIPC),      F(AF_BLUETOOTH), F(AF_IUCV),     F(AF_RXRPC),
		F(AF_ISDN),      F(AF_PHONET),   F(AF_IEEE802154), F(AF_CAIF),    F(AF_ALG),       F(AF_NFC),
		F(AF_VSOCK),     F(AF_KCM),      F(AF_QIPCRTR),   F(AF_SMC),      F(AF_XDP),       F(AF_MCTP),
	};
#undef F
	_Static_assert(AF_MAX <= 64, "address families fit a 64-bit set");
	return (int)find(names, sizeof names / sizeof names[0], w, n);
}

int sysfilter_parse_families(const char *v, struct sysf_families *f, char *unknown, size_t len)
{
	if (*v == '\0') {
		*f = (struct sysf_families){ 0 };
		return 0;
	}
	if (strcmp(v, "none") == 0) {
		*f = (struct sysf_families){ .on = true, .allow = true };
		return 0;
	}
	bool invert = v[0] == '~';
	if (!f->on)
		*f = (struct sysf_families){ .on = true, .allow = !invert };
	int bad = 0;
	size_t n;
	for (const char *p = v + invert; (n = next_word(&p)) > 0; p += n) {
		int af = family_from_name(p, n);
		if (af < 0) {
			note_unknown(&bad, p, n, unknown, len);
			continue;
		}
		/* A family refused before and allowed now is taken off the
		 * list of refused ones, and the other way round. */
		if (invert != f->allow)
			f->set |= UINT64_C(1) << af;
		else
			f->set &= ~(UINT64_C(1) << af);
	}
	return bad;
}

int sysfilter_parse_archs(const char *v, unsigned *archs, bool *on, char *unknown, size_t len)
{
	static const struct name names[] = {
		{ "native", NATIVE_BIT },     { "x86", SYSF_ARCH_X86 },     { "x86-64", SYSF_ARCH_X86_64 },
		{ "x32", SYSF_ARCH_X32 },     { "arm", SYSF_ARCH_ARM },     { "arm64", SYSF_ARCH_ARM64 },
		{ "loongarch64", SYSF_ARCH_OTHER }, { "mips", SYSF_ARCH_OTHER }, { "mips64", SYSF_ARCH_OTHER },
		{ "mips64-n32", SYSF_ARCH_OTHER }, { "mips-le", SYSF_ARCH_OTHER }, { "mips64-le", SYSF_ARCH_OTHER },
		{ "mips64-le-n32", SYSF_ARCH_OTHER }, { "parisc", SYSF_ARCH_OTHER }, { "parisc64", SYSF_ARCH_OTHER },
		{ "ppc", SYSF_ARCH_OTHER },   { "ppc64", SYSF_ARCH_OTHER }, { "ppc64-le", SYSF_ARCH_OTHER },
		{ "riscv64", SYSF_ARCH_OTHER }, { "s390", SYSF_ARCH_OTHER }, { "s390x", SYSF_ARCH_OTHER },
	};
	if (*v == '\0') {
		*archs = 0;
		*on = false;
		return 0;
	}
	int bad = 0;
	size_t n;
	for (const char *p = v; (n = next_word(&p)) > 0; p += n) {
		long bit = find(names, sizeof names / sizeof names[0], p, n);
		if (bit < 0) {
			note_unknown(&bad, p, n, unknown, len);
			continue;
		}
		*archs |= (unsigned)bit;
		*on = true;
	}
	return bad;
}

int sysfilter_parse_namespaces(const char *v, unsigned long *allowed, bool *set, char *bad, size_t badlen)
{
	static const struct name names[] = {
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
	size_t n;
	for (const char *p = v + invert; (n = next_word(&p)) > 0; p += n) {
		long flag = find(names, sizeof names / sizeof names[0], p, n);
		if (flag < 0) {
			snprintf(bad, badlen, "%.*s", (int)(n < 40 ? n : 40), p);
			return -EINVAL;
		}
		flags |= (unsigned long)flag;
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

bool sysfilter_wanted(const struct sysfilter_req *r)
{
	return r->flags || r->ns_forbidden || r->families.on || r->archs_on || r->calls;
}

#ifdef NATIVE_ARCH
#define NR_OFF offsetof(struct seccomp_data, nr)
#define ARCH_OFF offsetof(struct seccomp_data, arch)
/* The low 32 bits of argument i (little-endian on both machines). */
#define ARG_OFF(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#define DENY (SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA))

/* Room for the longest: SystemCallFilter='s two instructions per call. */
struct prog {
	struct sock_filter f[2 * SYSF_NR_MAX + 64];
	unsigned short n;
};

/* Past the end, only counted: sysfilter_apply() then refuses the program. */
static void put(struct prog *p, unsigned short code, unsigned k, unsigned char jt, unsigned char jf)
{
	if (p->n < sizeof p->f / sizeof p->f[0])
		p->f[p->n] = (struct sock_filter){ code, jt, jf, k };
	p->n++;
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

/* "if nr == sys: return match if arg is one of vals[0..n), else
 * otherwise". */
static void rule_one_of(struct prog *p, unsigned sys, int arg, const unsigned *vals, int n, unsigned match,
			unsigned otherwise)
{
	put(p, BPF_JMP | BPF_JEQ | BPF_K, sys, 0, (unsigned char)(n + 3)); /* past this rule's n + 4 */
	put(p, BPF_LD | BPF_W | BPF_ABS, (unsigned)ARG_OFF(arg), 0, 0);
	for (int i = 0; i < n; i++)
		put(p, BPF_JMP | BPF_JEQ | BPF_K, vals[i], (unsigned char)(n - i), 0);
	put(p, BPF_RET | BPF_K, otherwise, 0, 0);
	put(p, BPF_RET | BPF_K, match, 0, 0);
}

/* RestrictAddressFamilies=: socket()'s family (an int: the low 32 bits
 * are all the kernel reads) against the set. */
static void rule_families(struct prog *p, const struct sysf_families *f)
{
	unsigned vals[64];
	int n = 0;
	for (unsigned af = 0; af < 64; af++)
		if (f->set & (UINT64_C(1) << af))
			vals[n++] = af;
	const unsigned refuse = SECCOMP_RET_ERRNO | EAFNOSUPPORT;
	if (f->allow)
		rule_one_of(p, SYS_socket, 0, vals, n, SECCOMP_RET_ALLOW, refuse);
	else
		rule_one_of(p, SYS_socket, 0, vals, n, refuse, SECCOMP_RET_ALLOW);
}

/* What a call of another architecture (bit: its SYSF_ARCH_*) gets: the
 * kill when SystemCallArchitectures= leaves it out (libseccomp's
 * default for a filter's foreign architectures, which systemd keeps),
 * else ENOSYS when argument rules are loaded, whose numbers are the
 * native ones. */
static unsigned foreign(const struct sysfilter_req *r, unsigned bit, bool rules)
{
	if (r->archs_on && !(r->archs & bit))
		return SECCOMP_RET_KILL_PROCESS;
	return rules ? SECCOMP_RET_ERRNO | ENOSYS : SECCOMP_RET_ALLOW;
}

/* Every program starts by judging the architecture, and leaves the
 * call's number in A. rules: argument rules follow (numbers of this
 * machine only). */
static void preamble(struct prog *p, const struct sysfilter_req *r, bool rules)
{
	put(p, BPF_LD | BPF_W | BPF_ABS, (unsigned)ARCH_OFF, 0, 0);
	put(p, BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 3, 0);
	put(p, BPF_JMP | BPF_JEQ | BPF_K, COMPAT_ARCH, 0, 1);
	put(p, BPF_RET | BPF_K, foreign(r, COMPAT_BIT, rules), 0, 0);
	put(p, BPF_RET | BPF_K, foreign(r, SYSF_ARCH_OTHER, rules), 0, 0);
	put(p, BPF_LD | BPF_W | BPF_ABS, (unsigned)NR_OFF, 0, 0);
#ifdef X32_BIT
	put(p, BPF_JMP | BPF_JSET | BPF_K, X32_BIT, 0, 1);
	put(p, BPF_RET | BPF_K, foreign(r, SYSF_ARCH_X32, rules), 0, 0);
#endif
}

static int load(const struct prog *p)
{
	if (p->n > sizeof p->f / sizeof p->f[0])
		return -E2BIG;
	struct sock_fprog fp = { .len = p->n, .filter = (struct sock_filter *)p->f };
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

/* An answer of SystemCallErrorNumber= (or of one call): the kill, or an
 * errno. */
static unsigned refusal(int err)
{
	return err == SYSF_ERR_KILL ? SECCOMP_RET_KILL_PROCESS : SECCOMP_RET_ERRNO | ((unsigned)err & SECCOMP_RET_DATA);
}

/* SystemCallFilter=: every call listed, then the default. An allow list
 * answers calls above those systemd knows with ENOSYS, as systemd does
 * since 250, so that libc falls back from a call newer than the list. */
static void rule_calls(struct prog *p, const struct sysf_calls *c, int dflt_err)
{
	unsigned dflt = refusal(dflt_err);
	if (c->allow) {
		put(p, BPF_JMP | BPF_JGT | BPF_K, c->max_known, 0, 1);
		put(p, BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS, 0, 0);
	}
	for (unsigned nr = 0; nr < SYSF_NR_MAX; nr++) {
		if (!(c->set[nr / 64] & (UINT64_C(1) << (nr % 64))))
			continue;
		put(p, BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1);
		put(p, BPF_RET | BPF_K,
		    c->allow ? SECCOMP_RET_ALLOW : c->err[nr] == SYSF_ERR_DEFAULT ? dflt : refusal(c->err[nr]), 0, 0);
	}
	put(p, BPF_RET | BPF_K, c->allow ? dflt : SECCOMP_RET_ALLOW, 0, 0);
}

/* The argument rules (and SystemCallArchitectures=) as one program. */
static int apply_rules(const struct sysfilter_req *r, struct prog *p)
{
	bool rules = r->flags || r->ns_forbidden || r->families.on;
	unsigned flags = r->flags;
	p->n = 0;
	preamble(p, r, rules);
	/* Each rule that does not match its number jumps to the next rule,
	 * which starts with the number in A: rules that load an argument
	 * return on every path. */
	if (flags & SYSF_MDWE) {
		rule_masked(p, SYS_mmap, 2, PROT_WRITE | PROT_EXEC, PROT_WRITE | PROT_EXEC, true);
		rule_masked(p, SYS_mprotect, 2, PROT_EXEC, 0, false);
		rule_masked(p, SYS_pkey_mprotect, 2, PROT_EXEC, 0, false);
		rule_masked(p, SYS_shmat, 2, SHM_EXEC, 0, false);
	}
	if (flags & SYSF_REALTIME) {
		static const unsigned ok[] = { SCHED_OTHER, SCHED_BATCH, SCHED_IDLE };
		rule_one_of(p, SYS_sched_setscheduler, 1, ok, 3, SECCOMP_RET_ALLOW, DENY);
	}
	if (flags & SYSF_PERSONALITY) {
		const unsigned ok[] = { 0xffffffffu, (unsigned)personality(0xffffffff) };
		rule_one_of(p, SYS_personality, 0, ok, 2, SECCOMP_RET_ALLOW, DENY);
	}
	if (flags & SYSF_SUIDSGID) {
		const unsigned sx = S_ISUID | S_ISGID;
		rule_masked(p, SYS_fchmod, 1, sx, 0, false);
		rule_masked(p, SYS_fchmodat, 2, sx, 0, false);
		rule_masked(p, SYS_fchmodat2, 2, sx, 0, false);
		rule_masked(p, SYS_mkdirat, 2, sx, 0, false);
		rule_masked(p, SYS_mknodat, 2, sx, 0, false);
		rule_creat_mode(p, SYS_openat, 2, 3, sx);
#ifdef SYS_chmod /* the old calls, x86-64 only */
		rule_masked(p, SYS_chmod, 1, sx, 0, false);
		rule_masked(p, SYS_mkdir, 1, sx, 0, false);
		rule_masked(p, SYS_mknod, 1, sx, 0, false);
		rule_masked(p, SYS_creat, 1, sx, 0, false);
		rule_creat_mode(p, SYS_open, 1, 2, sx);
#endif
		put(p, BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1); /* its mode is in a struct */
		put(p, BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS, 0, 0);
	}
	if (r->ns_forbidden) {
		unsigned nf = (unsigned)r->ns_forbidden;
		rule_masked(p, SYS_unshare, 0, nf, 0, false);
		rule_masked(p, SYS_clone, 0, nf, 0, false); /* flags first on both machines */
		rule_setns(p, SYS_setns, nf);
		put(p, BPF_JMP | BPF_JEQ | BPF_K, SYS_clone3, 0, 1);
		put(p, BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS, 0, 0);
	}
	if (r->families.on)
		rule_families(p, &r->families);
	put(p, BPF_RET | BPF_K, SECCOMP_RET_ALLOW, 0, 0);
	return load(p);
}

int sysfilter_apply(const struct sysfilter_req *r)
{
	struct prog p;
	int e = 0;
	if (r->flags || r->ns_forbidden || r->families.on || (r->archs_on && !r->calls))
		e = apply_rules(r, &p);
	/* Last, as systemd loads it: an allow list may not let the loading
	 * of another filter through. */
	if (e == 0 && r->calls) {
		p.n = 0;
		preamble(&p, r, true);
		rule_calls(&p, r->calls, r->calls_errno);
		e = load(&p);
	}
	return e;
}
#else
int sysfilter_apply(const struct sysfilter_req *r)
{
	return sysfilter_wanted(r) ? -ENOSYS : 0;
}
#endif
