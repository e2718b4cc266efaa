/*
 * mmhold.c - see mmhold.h.
 */
#include <errno.h>
#include <fcntl.h>
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
	int rfd, wfd;
	void *stack;
	pid_t pid;
	pid_t tid;     /* cleared (and futex-woken) by the kernel when the holder exits */
	int dropped;   /* set (and futex-woken) by the holder once it holds only its pipe's read end */
	bool running;
} h = { .rfd = -1, .wfd = -1 };

/* System calls without libc: the holder shares the daemon's memory and
 * thread-local storage, so errno must not be written. */
#if defined(__x86_64__)
#define HAVE_RAW 1
__attribute__((no_sanitize("address", "undefined"))) static long raw3(long n, long a, long b, long c)
{
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
	return r;
}
#elif defined(__aarch64__)
#define HAVE_RAW 1
__attribute__((no_sanitize("address", "undefined"))) static long raw3(long n, long a, long b, long c)
{
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	__asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
	return x0;
}
#else
#define HAVE_RAW 0
#endif

#if HAVE_RAW
static char sink; /* the one byte the holder writes, and only if the pipe carries one */

__attribute__((no_sanitize("address", "undefined"))) static int holder(void *arg)
{
	long rfd = (long)(intptr_t)arg;
	/* A descriptor table of its own with rfd and those below it, then
	 * only rfd: the write end (above rfd) must close everywhere for the
	 * end-of-file to come, and the daemon's descriptors must not outlive
	 * it here. Without close_range it leaves at once. */
	if (raw3(SYS_close_range, rfd + 1, ~0L & 0xffffffffL, CLOSE_RANGE_UNSHARE) != 0)
		return 0;
	if (rfd > 0)
		raw3(SYS_close_range, 0, rfd - 1, 0);
	/* The one word it writes in the memory it shares: mmhold_ready()
	 * waits for it. */
	__atomic_store_n(&h.dropped, 1, __ATOMIC_RELEASE);
	raw3(SYS_futex, (long)(intptr_t)&h.dropped, FUTEX_WAKE, 1);
	while (raw3(SYS_read, rfd, (long)(intptr_t)&sink, 1) == -EINTR)
		;
	return 0; /* the clone wrapper exits */
}
#endif

int mmhold_start(void)
{
#if !HAVE_RAW
	return -ENOSYS;
#else
	if (h.running)
		return -EBUSY;
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	/* The read end is below the write end (pipe2 takes the lowest free
	 * numbers in turn): the holder keeps only what lies at or below it. */
	if (p[0] > p[1]) {
		close(p[0]);
		close(p[1]);
		return -EINVAL;
	}
	void *stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED) {
		int e = -errno;
		close(p[0]);
		close(p[1]);
		return e;
	}
	h.tid = 0;
	h.dropped = 0;
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	/* CLONE_FILES: no copy of a thousand descriptors on this side (the
	 * holder unshares an almost empty table on its own). SIGCHLD at exit,
	 * so that the reaper, here or in the new image, sees it. */
	int pid = clone(holder, (char *)stack + STACK_SIZE,
			CLONE_VM | CLONE_FILES | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD,
			(void *)(intptr_t)p[0], &h.tid, NULL, &h.tid);
	int e = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		munmap(stack, STACK_SIZE);
		close(p[0]);
		close(p[1]);
		return -e;
	}
	h.pid = pid;
	h.rfd = p[0];
	h.wfd = p[1];
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
		log_warn("reexec: the memory holder did not leave in 2 s; its pipe and stack stay");
		return;
	}
	if (h.wfd >= 0)
		close(h.wfd);
	close(h.rfd);
	h.rfd = h.wfd = -1;
	munmap(h.stack, STACK_SIZE);
	h.stack = NULL;
}

void mmhold_ready(void)
{
	if (!h.running)
		return;
	/* Usually long done: it started before the state was written. */
	for (int i = 0; i < 20; i++) {
		if (__atomic_load_n(&h.dropped, __ATOMIC_ACQUIRE) || __atomic_load_n(&h.tid, __ATOMIC_ACQUIRE) == 0)
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
	for (int i = 0; i < 200 && __atomic_load_n(&h.tid, __ATOMIC_ACQUIRE) != 0; i++) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		syscall(SYS_futex, &h.tid, FUTEX_WAIT, h.tid, &ts, NULL, 0);
	}
	log_info("reexec: the memory holder had not started in 20 ms; the exec tears the old image down itself");
	release();
}

void mmhold_cancel(void)
{
	if (!h.running)
		return;
	/* End-of-file for the holder. The read end stays open until it has
	 * left: before its first step it shares our table, and a number we
	 * closed and reused there could be read from in its place. */
	close(h.wfd);
	h.wfd = -1;
	for (int i = 0; i < 200; i++) {
		pid_t t = __atomic_load_n(&h.tid, __ATOMIC_ACQUIRE);
		if (t == 0)
			break;
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		syscall(SYS_futex, &h.tid, FUTEX_WAIT, t, &ts, NULL, 0);
	}
	release();
}
