/*
 * mmhold.h - take the old image's memory off a re-exec's path.
 *
 * execve() tears down the memory of the image that calls it before the
 * new image runs: every page the daemon has mapped is unmapped, on the
 * re-exec's critical path (about 0.15 ms at a hundred services, the larger
 * part of what a re-exec costs over a bare exec of the same binary). A
 * process that shares that memory keeps it alive: execve() then only drops
 * a reference, and the teardown happens when the sharer exits, on its own
 * time and CPU.
 *
 * mmhold_start() creates such a sharer (clone with CLONE_VM): it gives up
 * its share of the descriptor table for an empty one of its own (an
 * unshare that copies nothing, whatever the daemon holds), and waits on a
 * futex word that the exec clears: the daemon makes that word its thread's
 * clear_child_tid, which the kernel zeroes and wakes when the thread lets
 * go of the old memory (at the exec, or at its death if it is killed
 * first, so no holder outlives it). It runs only raw system calls on a
 * stack of its own, with every signal blocked. It is a child of the
 * daemon: the new image reaps it like any process no unit knows. Where
 * any step is not available (another architecture, a kernel without
 * close_range), nothing is started and the exec tears the memory down
 * itself, as before.
 *
 * The holder writes one word of the memory it shares: the flag that says
 * its descriptor table is its own, which the exec waits for
 * (mmhold_ready). Found by a rescue-mode test on a loaded machine: a holder
 * that had not run yet kept the notify socket's abstract address bound,
 * and the rescue image could not bind it again.
 *
 * Owned while a holder runs: the holder's stack.
 */
#ifndef SUPD_MMHOLD_H
#define SUPD_MMHOLD_H

/* Start a holder; 0, or -errno (nothing started: the exec works as ever). */
int mmhold_start(void);
/* Right before the exec: wait (20 ms at most) until the holder has
 * dropped its share of the descriptor table. One that has not run by
 * then is killed and waited for (the exec then tears the memory down as
 * before): a holder that went into the exec sharing the table would keep
 * a copy of every descriptor, sockets and their addresses included, until
 * it ran. */
void mmhold_ready(void);
/* The exec failed (or never happened): let the holder go, wait for it
 * (bounded) and release what it used. Nothing if none runs. */
void mmhold_cancel(void);

#endif
