/*
 * reexec.h - `supctl reexec [--binary PATH]`: replace the daemon's program
 * while keeping its process (same pid: every child stays a child) and every
 * descriptor it holds.
 *
 * Old image: check a new binary (it must start and declare that it reads
 * a state format we write; reexec_check.h, without blocking the loop),
 * serialize the state into a sealed memfd, clear
 * FD_CLOEXEC on exactly the fds the state names, block every signal (the
 * mask and pending signals survive execve, so no SIGCHLD is lost), exec.
 * If exec fails, everything is put back and the client gets the error.
 *
 * New image (main.c, with --deserialize FD): read and check the state; if
 * its format is not one this build reads, exec back into the binary that
 * wrote it (named in the state) with --no-fallback; if the state is
 * corrupt, exec ourselves in --rescue mode, which re-derives what it can
 * from the kernel (see rescue.h). Children and sockets are never lost.
 */
#ifndef SUPD_REEXEC_H
#define SUPD_REEXEC_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

struct client;

/* Handle a REEXEC request (binary "" = our own). Replies on failure; on
 * success the new image replies. Another binary is checked first, on the
 * loop; one reexec waits for its check at a time (others get EBUSY). */
void reexec_request(uv_loop_t *loop, struct client *c, uint32_t id, const char *binary);
/* The control server closes c: a reexec it asked for that is still being
 * checked is cancelled (its check child killed). */
void reexec_client_gone(struct client *c);

/* The line `supervisord --check-state-format` prints. */
#define REEXEC_CHECK_PREFIX "supervisord-state-formats"
void reexec_print_check(void);

/* main.c's restore path. Returns 0 when restored; otherwise it does not
 * return (it execs the fallback or rescue image) unless even that exec
 * failed, in which case it returns -errno. */
int reexec_restore(uv_loop_t *loop, int state_fd, bool allow_fallback);
/* First thing after a re-exec, before any descriptor is opened: map and
 * check the state and keep exactly the fds its "fds" record lists (closing
 * the rest), or, when it cannot tell, record every open fd (fdclaim_scan).
 * The mapping is kept for reexec_restore, and the unit files in it start
 * being parsed on a second thread (preparse.h). */
void reexec_claim_fds(int state_fd);

/* Exec our own binary in rescue mode, keeping every inherited fd. Returns
 * only if exec failed. */
int reexec_rescue_exec(void);

#endif
