/*
 * reap.h - the one reaper: a SIGCHLD handler that loops waitpid(-1, WNOHANG)
 * and hands each exit to the service whose main process it was. Exits of
 * processes no unit knows (orphans adopted as subreaper or pid 1) are reaped
 * and logged at debug level.
 *
 * Because it asks the kernel rather than libuv, it reaps children adopted
 * across a re-exec exactly like fresh ones; reap_now() runs the same loop
 * once, for exits that happened while no handler was installed.
 */
#ifndef SUPD_REAP_H
#define SUPD_REAP_H

#include <uv.h>

int reap_init(uv_loop_t *loop);
void reap_now(void);
void reap_close(void);

#endif
