/*
 * control.h - the control socket (control.sock): supctl and the worker
 * library talk to the daemon here, with proto/ frames.
 *
 * Each accepted connection is a client with its own poll handle and an
 * outgoing queue (a reply never blocks the loop). A request that must wait
 * for a unit to settle (start, stop, restart without --no-block) becomes a
 * job; ctl_jobs_update() is called on every unit state change and answers
 * the jobs that are done. A client that goes away drops its jobs.
 *
 * Access: the peer's SO_PEERCRED uid must be root or the daemon's own uid.
 */
#ifndef SUPD_CONTROL_H
#define SUPD_CONTROL_H

#include <uv.h>

struct unit;

/* Bind control.sock at path (0600) and start accepting. Returns 0 or -errno
 * with a message in err. A live daemon already on the path is -EADDRINUSE. */
int ctl_listen(uv_loop_t *loop, const char *path, char *err, size_t errlen);
/* Close the listener and every client; remove the socket path. */
void ctl_shutdown(void);
void ctl_jobs_update(struct unit *u);

#endif
