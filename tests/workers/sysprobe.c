/*
 * sysprobe - tries what MemoryDenyWriteExecute=, RestrictRealtime= and
 * LockPersonality= refuse, and prints one word per try ("ok" or the
 * errno's name), space-separated, to the file named by argv[1], then
 * sleeps until stopped.
 *
 *   mmap-wx mprotect-x mmap-x sched-fifo sched-batch personality query int80
 *
 * "sysprobe FILE suidfile": creates FILE with open(O_CREAT, 04755) and
 * exits 0, or exits 1 if that fails (RestrictSUIDSGID=).
 *
 * "sysprobe FILE thread": whether a thread can be made (libc tries clone3
 * first), then whether clone3() makes a process in a new UTS namespace:
 * "ok" or the errno's name for each.
 *
 * "sysprobe FILE families": socket() of AF_UNIX, AF_INET, AF_INET6 and
 * AF_NETLINK, then socketpair(AF_UNIX) (RestrictAddressFamilies=).
 *
 * "sysprobe FILE int80": only the 32-bit system call, "n/a" where there
 * is none (SystemCallArchitectures=).
 *
 * "sysprobe FILE calls": mincore() (in no group of systemd's but
 * @known), umount2() of a path that is not there (@mount), statmount()
 * (Linux 6.8, newer than systemd 252's list), getppid() (@default)
 * (SystemCallFilter=).
 *
 * "sysprobe FILE securebits": the secure bits, a number (SecureBits=).
 *
 * "sysprobe FILE sockopts": the socket options of fd 3, NAME=VALUE each
 * (socket units' ReceiveBuffer=, Priority= and the like).
 *
 * "sysprobe FILE keyring": the session keyring's ID, its owner, and
 * whether the user keyring is linked into it: "ID UID yes|no"
 * (KeyringMode=).
 */
#include <linux/sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <linux/keyctl.h>
#include <linux/netlink.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

static void word(FILE *f, int ok)
{
	static const struct {
		int e;
		const char *name;
	} names[] = { { EPERM, "EPERM" }, { ENOSYS, "ENOSYS" }, { EINVAL, "EINVAL" }, { EAFNOSUPPORT, "EAFNOSUPPORT" },
			{ ENOENT, "ENOENT" }, { EACCES, "EACCES" }, { EFAULT, "EFAULT" } };
	const char *w = ok ? "ok" : "other";
	for (size_t i = 0; !ok && i < sizeof names / sizeof names[0]; i++)
		if (names[i].e == errno)
			w = names[i].name;
	fprintf(f, "%s ", w);
}

static void try_socket(FILE *f, int family, int type, int proto)
{
	int fd = socket(family, type | SOCK_CLOEXEC, proto);
	word(f, fd >= 0);
	if (fd >= 0)
		close(fd);
}

/* getpid through the 32-bit entry (i386 number 20). */
static void int80(FILE *f)
{
#if defined(__x86_64__)
	long ret;
	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory");
	errno = ret < 0 ? (int)-ret : 0;
	word(f, ret == getpid());
#else
	fprintf(f, "n/a ");
#endif
}

static void *nothing(void *a)
{
	return a;
}

static int opt(int level, int name)
{
	int v = -1;
	socklen_t l = sizeof v;
	return getsockopt(3, level, name, &v, &l) == 0 ? v : -1;
}

/* The options of fd 3, an IPv4 TCP listener or a FIFO (socket units' options). */
static void sockopts(FILE *f)
{
	char cc[32] = "", dev[32] = "";
	socklen_t l = sizeof cc;
	getsockopt(3, IPPROTO_TCP, TCP_CONGESTION, cc, &l);
	l = sizeof dev;
	getsockopt(3, SOL_SOCKET, SO_BINDTODEVICE, dev, &l);
	fprintf(f, "rcvbuf=%d sndbuf=%d prio=%d mark=%d bcast=%d passsec=%d pktinfo=%d tsns=%d defer=%d idle=%d "
		   "intvl=%d cnt=%d transparent=%d tos=%d ttl=%d cc=%s dev=%s pipe=%d",
		opt(SOL_SOCKET, SO_RCVBUF), opt(SOL_SOCKET, SO_SNDBUF), opt(SOL_SOCKET, SO_PRIORITY),
		opt(SOL_SOCKET, SO_MARK), opt(SOL_SOCKET, SO_BROADCAST), opt(SOL_SOCKET, SO_PASSSEC),
		opt(IPPROTO_IP, IP_PKTINFO), opt(SOL_SOCKET, SO_TIMESTAMPNS), opt(IPPROTO_TCP, TCP_DEFER_ACCEPT),
		opt(IPPROTO_TCP, TCP_KEEPIDLE), opt(IPPROTO_TCP, TCP_KEEPINTVL), opt(IPPROTO_TCP, TCP_KEEPCNT),
		opt(IPPROTO_IP, IP_TRANSPARENT), opt(IPPROTO_IP, IP_TOS), opt(IPPROTO_IP, IP_TTL), cc, dev,
		fcntl(3, F_GETPIPE_SZ));
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	if (argc > 2 && !strcmp(argv[2], "suidfile")) {
		int fd = open(argv[1], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 04755);
		return fd < 0 ? 1 : 0;
	}
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp", argv[1]);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return 1;
	if (argc > 2 && !strcmp(argv[2], "thread")) {
		pthread_t t;
		int e = pthread_create(&t, NULL, nothing, NULL);
		errno = e;
		word(f, e == 0 && pthread_join(t, NULL) == 0);
		struct clone_args ca = { .flags = CLONE_NEWUTS, .exit_signal = SIGCHLD };
		long pid = syscall(SYS_clone3, &ca, sizeof ca);
		if (pid == 0)
			_exit(0);
		word(f, pid > 0 && waitpid((pid_t)pid, NULL, 0) == pid);
		goto done;
	}
	if (argc > 2 && !strcmp(argv[2], "families")) {
		try_socket(f, AF_UNIX, SOCK_STREAM, 0);
		try_socket(f, AF_INET, SOCK_STREAM, 0);
		try_socket(f, AF_INET6, SOCK_STREAM, 0);
		try_socket(f, AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
		int sv[2];
		int ok = socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0;
		word(f, ok);
		if (ok) {
			close(sv[0]);
			close(sv[1]);
		}
		goto done;
	}
	if (argc > 2 && !strcmp(argv[2], "calls")) {
		static unsigned char vec[1];
		word(f, mincore(vec - ((unsigned long)vec % 4096), 4096, vec) == 0);
		word(f, umount2("/nonexistent/supd-probe", 0) == 0);
		word(f, syscall(457, NULL, NULL, 0, 0) == 0); /* statmount */
		word(f, getppid() > 0);
		goto done;
	}
	if (argc > 2 && !strcmp(argv[2], "securebits")) {
		fprintf(f, "%d ", prctl(PR_GET_SECUREBITS, 0, 0, 0, 0));
		goto done;
	}
	if (argc > 2 && !strcmp(argv[2], "keyring")) {
		long sid = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, (long)KEY_SPEC_SESSION_KEYRING, 0L);
		long uid_ring = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, (long)KEY_SPEC_USER_KEYRING, 1L);
		char desc[256] = "";
		long n = syscall(SYS_keyctl, KEYCTL_DESCRIBE, sid, desc, (long)sizeof desc - 1);
		const char *owner = n > 0 ? strchr(desc, ';') : NULL; /* "keyring;UID;GID;PERM;NAME" */
		int32_t ids[256];
		long got = syscall(SYS_keyctl, KEYCTL_READ, sid, ids, (long)sizeof ids);
		bool linked = false;
		for (long i = 0; got > 0 && i < got / 4 && i < 256; i++)
			linked = linked || ids[i] == uid_ring;
		fprintf(f, "%ld %d %s ", sid, owner ? atoi(owner + 1) : -1, linked ? "yes" : "no");
		goto done;
	}
	if (argc > 2 && !strcmp(argv[2], "sockopts")) {
		sockopts(f);
		goto done;
	}
	if (argc > 2 && !strcmp(argv[2], "int80")) {
		int80(f);
		goto done;
	}
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	word(f, p != MAP_FAILED);
	void *q = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	word(f, q != MAP_FAILED && mprotect(q, 4096, PROT_READ | PROT_EXEC) == 0);
	void *x = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	word(f, x != MAP_FAILED);
	struct sched_param sp = { .sched_priority = 1 };
	int fifo = sched_setscheduler(0, SCHED_FIFO, &sp) == 0;
	word(f, fifo);
	sp.sched_priority = 0;
	if (fifo)
		sched_setscheduler(0, SCHED_OTHER, &sp);
	word(f, sched_setscheduler(0, SCHED_BATCH, &sp) == 0);
	int old = personality(0xffffffff);
	int r = personality(PER_LINUX32);
	word(f, r != -1);
	if (r != -1)
		personality((unsigned long)old);
	word(f, personality(0xffffffff) != -1);
	int80(f);
done:
	fprintf(f, "\n");
	fclose(f);
	rename(tmp, argv[1]);
	for (;;)
		pause();
}
