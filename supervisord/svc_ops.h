/*
 * svc_ops.h - operator actions on a unit that are not part of its start/stop
 * cycle: `supctl kill` and `supctl reset-failed`.
 *
 * kill sends one signal to a running service's main process group and
 * changes no state: whatever the signal does (an exit, a reload, nothing)
 * arrives through the reaper like any other event. reset-failed forgets a
 * failure: FAILED becomes STOPPED (so socket activation watches again), the
 * result and error are cleared, and so are the restart counter and the
 * start-limit ring (systemd's reset-failed does the same).
 */
#ifndef SUPD_SVC_OPS_H
#define SUPD_SVC_OPS_H

#include <stdbool.h>
#include <stddef.h>

struct unit;

/* Signal the main process group of a running service (kill(-pid, sig),
 * falling back to the pid when the group is gone). 0, or -errno with a
 * message in err: -ESRCH when it is not running, -EINVAL for a socket unit
 * or a bad signal number. */
int unit_kill(struct unit *u, int sig, char *err, size_t errlen);

/* Reset a failed unit (service or socket). Returns true when it was failed.
 * A unit that did not load stays failed: its file must be fixed. */
bool unit_reset_failed(struct unit *u);

#endif
