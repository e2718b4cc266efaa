/*
 * mmhold.c - see mmhold.h.
 */
#include <errno.h>
#include <linux/close_range.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "mmhold.h"

#define STACK_SIZE (64 * 1024)

static struct {
	void *stack;
	pid_t pid;
	pid_t tid;     /* cleared (and futex-woken) by the kernel when the holder exits */
	int dropped;   /* set (and futex-woken) by the holder once its descriptor table is its own, empty */
	int go;        /* 1 while the holder must stay; 0 (and futex-woken) to let it leave */
	bool running;
} h;

/* System calls without libc: the holder shares the daemon's memory and
 * thread-local storage, so errno must not be written. */
#if defined(__x86_64__)
#define HAVE_RAW 1
__attribute__((no_sanitize("address", "undefined"))) static long raw4(long n, long a, long b, long c, long d)
{
	long r;
	register long r10 __asm__("r10") = d;
	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10) : "rcx", "r11", "memory");
	return r;
}
#elif defined(__aarch64__)
#define HAVE_RAW 1
__attribute__((no_sanitize("address", "undefined"))) static long raw4(long n, long a, long b, long c, long d)
{
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	__asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3) : "memory");
	return x0;
}
#else
#define HAVE_RAW 0
#endif

#if HAVE_RAW
__attribute__((no_sanitize("address", "undefined"))) static int holder(void *arg)
{
	(void)arg;
	/* A descriptor table of its own, empty: with the whole range and
	 * CLOSE_RANGE_UNSHARE the kernel copies no entry, so this costs the
	 * same at ten descriptors as at ten thousand (keeping one, as an
	 * earlier version did with a pipe's read end, copied and closed every
	 * descriptor below it: a quarter of a millisecond at a thousand,
	 * which the exec waited for). Without close_range it leaves at once. */
	if (raw4(SYS_close_range, 0, ~0L & 0xffffffffL, CLOSE_RANGE_UNSHARE, 0) != 0)
		return 0;
	/* One of the two words it writes in the memory it shares:
	 * mmhold_ready() waits for it. */
	__atomic_store_n(&h.dropped, 1, __ATOMIC_RELEASE);
	raw4(SYS_futex, (long)(intptr_t)&h.dropped, FUTEX_WAKE, 1, 0);
	/* Until `go` is 0: the exec clears it (it is the daemon's
	 * clear_child_tid word, which the kernel zeroes and wakes when the
	 * daemon lets go of the old memory: at the exec, or if it dies first),
	 * or mmhold_cancel does. Not a private futex: the kernel's wake is
	 * not one. */
	while (__atomic_load_n(&h.go, __ATOMIC_ACQUIRE) != 0)
		raw4(SYS_futex, (long)(intptr_t)&h.go, FUTEX_WAIT, 1, 0);
	return 0; /* the clone wrapper exits; the old image's memory goes with it */
}
#endif

int mmhold_start(void)
{
#if !HAVE_RAW
	return -ENOSYS;
#else
	if (h.running)
		return -EBUSY;
	void *stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED)
		return -errno;
	h.tid = 0;
	h.dropped = 0;
	h.go = 1;
	/* `go` becomes this thread's clear_child_tid word: the kernel zeroes
	 * it and wakes its waiters when this thread lets go of its memory,
	 * at the exec or at its death (killed before the exec, the daemon
	 * must not leave a holder waiting for ever). It stays so after a
	 * failed exec; the word lives as long as the daemon, and nothing
	 * joins this thread, which is all glibc's own word served. */
	syscall(SYS_set_tid_address, &h.go);
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	/* CLONE_FILES: no copy of a thousand descriptors on this side (the
	 * holder unshares an empty table on its own). SIGCHLD at exit, so
	 * that the reaper, here or in the new image, sees it. */
	int pid = clone(holder, (char *)stack + STACK_SIZE,
			CLONE_VM | CLONE_FILES | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD, NULL, &h.tid,
			NULL, &h.tid);
	int e = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		munmap(stack, STACK_SIZE);
		return -e;
	}
	h.pid = pid;
	h.stack = stack;
	h.running = true;
	return 0;
#endif
}

/* Release what the holder used once it is gone (tid cleared), or leave it
 * with a warning. */
static void release(void)
{
	h.running = false;
	if (__atomic_load_n(&h.tid, __ATOMIC_ACQUIRE) != 0) {
		log_warn("reexec: the memory holder did not leave in 2 s; its stack stays");
		return;
	}
	munmap(h.stack, STACK_SIZE);
	h.stack = NULL;
}

/* Until the holder is gone (the kernel clears tid at its exit), 2 s at most. */
static void wait_gone(void)
{
	pid_t t;
	for (int i = 0; i < 200 && (t = __atomic_load_n(&h.tid, __ATOMIC_ACQUIRE)) != 0; i++) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		syscall(SYS_futex, &h.tid, FUTEX_WAIT, t, &ts, NULL, 0);
	}
}

void mmhold_ready(void)
{
	if (!h.running)
		return;
	/* Usually long done: it started before the state was written. */
	for (int i = 0; i < 20; i++) {
		if (__atomic_load_n(&h.tid, __ATOMIC_ACQUIRE) == 0) {
			release(); /* it left (no close_range): nothing holds the memory */
			return;
		}
		if (__atomic_load_n(&h.dropped, __ATOMIC_ACQUIRE))
			return;
		struct timespec ts = { 0, 1000 * 1000 };
		syscall(SYS_futex, &h.dropped, FUTEX_WAIT, 0, &ts, NULL, 0);
	}
	/* Not scheduled in 20 ms (a loaded machine): it may not go into the
	 * exec still sharing our table, or the copy the exec leaves it
	 * would keep every socket open, their addresses bound, until it
	 * runs. Killed, and waited for until it is a zombie (its descriptors
	 * gone); the reaper reaps it. The exec then tears the memory down
	 * itself. */
	kill(h.pid, SIGKILL);
	siginfo_t si;
	while (waitid(P_PID, (id_t)h.pid, &si, WEXITED | WNOWAIT) < 0 && errno == EINTR)
		;
	wait_gone();
	log_info("reexec: the memory holder had not started in 20 ms; the exec tears the old image down itself");
	release();
}

void mmhold_cancel(void)
{
	if (!h.running)
		return;
	__atomic_store_n(&h.go, 0, __ATOMIC_RELEASE);
	syscall(SYS_futex, &h.go, FUTEX_WAKE, 1, NULL, NULL, 0);
	wait_gone();
	release();
}
