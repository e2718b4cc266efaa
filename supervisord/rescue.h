/*
 * rescue.h - start-up after a re-exec whose state could not be used.
 *
 * Nothing from the state is trusted. What the kernel still knows is
 * enough to keep every promise but the fd store: the listening sockets are
 * among our inherited fds (matched to socket units by family, type and
 * address, never re-bound), the control and notify sockets likewise (by
 * path), and the services' processes are still our children (found by
 * ppid, matched to units by the SUPERVISORD_UNIT variable every service is
 * started with). Lost: fd store contents, timers, client connections.
 */
#ifndef SUPD_RESCUE_H
#define SUPD_RESCUE_H

#include <uv.h>

/* After fdclaim_scan() and unit_load_dir(): claim and adopt the control
 * socket (returns 1 if adopted, else 0: bind it normally), */
int rescue_adopt_control(uv_loop_t *loop, const char *path);
/* the notify socket (same convention), */
int rescue_adopt_notify(uv_loop_t *loop, const char *path);
/* every listener that matches a socket unit, and every child that names
 * its unit. Logs what it adopted. */
void rescue_adopt_units(uv_loop_t *loop);

#endif
