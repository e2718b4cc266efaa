/*
 * tty.h - a service's terminal (StandardInput=tty, StandardOutput=tty,
 * TTYPath=, TTYReset=, TTYVHangup=), as systemd.exec(5) describes it.
 *
 * The main process of a unit with StandardInput=tty* opens the terminal in
 * the spawned child, after setsid(), and makes it the controlling terminal
 * of its new session (TIOCSCTTY):
 *   tty       waits until no other session controls it;
 *   tty-force takes it from the session that does (CAP_SYS_ADMIN);
 *   tty-fail  fails the start with EPERM if another session controls it.
 * Every other process of the unit (ExecStartPre= and the like) gets
 * /dev/null as stdin, and the terminal, opened for writing, as the output
 * that inherits it, as in systemd.
 *
 * tty_acquire, tty_hangup and tty_reset are called in the spawned child:
 * only system calls, no allocation, no locks. That child is forked, never
 * vforked (spawn.c), as it may wait.
 */
#ifndef SUPD_TTY_H
#define SUPD_TTY_H

#include <stdbool.h>
#include <sys/types.h>

enum tty_mode { TTY_WAIT = 0, TTY_FORCE, TTY_TRY };

/* Open path and make it the caller's controlling terminal: the fd
 * (blocking, FD_CLOEXEC), or -errno. TTY_WAIT polls every 50 ms for as long
 * as it takes. */
int tty_acquire(const char *path, enum tty_mode mode);
/* TTYVHangup=: hang up every process that has path open. patient: when
 * the terminal is being closed, try again for up to a second (the spawned
 * child may wait; the daemon does not). */
int tty_hangup(const char *path, bool patient);
/* TTYReset=: systemd's sane settings (line discipline flags, control
 * characters), exclusive mode off, pending input and output dropped. */
int tty_reset_fd(int fd);
int tty_reset(const char *path, bool patient);
/* Open path for writing only, never as a controlling terminal, without
 * waiting for a carrier: the fd (blocking, FD_CLOEXEC), or -errno. */
int tty_open_output(const char *path);
/* After the main process: TTYVHangup= and TTYReset= again, and the owner
 * back to root when the start gave it to User=. Errors are ignored, as in
 * systemd's exec_context_revert_tty. */
void tty_revert(const char *path, bool hangup, bool reset, bool owner);

#endif
