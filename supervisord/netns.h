/*
 * netns.h - PrivateNetwork=: a network namespace of the unit's own.
 *
 * As in systemd, every process of one start of the unit (ExecStartPre= to
 * ExecStopPost=) joins the same namespace, in which only the loopback
 * device exists, up. Sockets the daemon passes in (socket activation)
 * were made outside it and keep working: the classic way to give a
 * service a listener and nothing else of the network.
 *
 * The namespace is made by a short-lived thread (unshare(CLONE_NEWNET)
 * moves only the calling thread), which leaves behind a descriptor for it.
 * The service owns that descriptor while it is up (a re-exec hands it
 * over, "netns-fd"); each spawn joins it with setns() before anything
 * else. Without CAP_SYS_ADMIN (a container), nothing can be made: the
 * start goes on in the daemon's namespace with a warning, as systemd does.
 */
#ifndef SUPD_NETNS_H
#define SUPD_NETNS_H

#include <stdbool.h>
#include <stddef.h>

/* A new network namespace with lo up: 0 with *fd (O_CLOEXEC) set, or
 * -errno with err saying why (-EPERM: namespaces cannot be made here). */
int netns_create(int *fd, char *err, size_t errlen);
/* Is fd a network namespace? (a re-exec state names it) */
bool netns_fd_valid(int fd);

#endif
