/*
 * accept.h - Accept=yes: the daemon accepts each connection itself and
 * runs one instance of the template NAME@.service per connection, as
 * systemd does (inetd style).
 *
 * Instance name: NAME@N-LOCAL-REMOTE.service (N counts connections of the
 * socket). The connection is fd 3 with LISTEN_FDS=1 and the name
 * "connection", or fd 0 and 1 with StandardInput=socket (then no LISTEN_*).
 * REMOTE_ADDR/REMOTE_PORT are set for IP peers. Instances borrow the
 * template's configuration, are never restarted, and leave the registry
 * when they exit. MaxConnections= and MaxConnectionsPerSource= bound the
 * running instances: an excess connection is closed at once and counted.
 * EMFILE/ENFILE pause accepting briefly instead of spinning.
 */
#ifndef SUPD_ACCEPT_H
#define SUPD_ACCEPT_H

#include "unit.h"

/* The listener is readable: accept what is pending (bounded per call). */
void accept_connections(struct unit *sock, struct listener *l);
/* Cancel a pause after EMFILE (socket closing). */
void accept_stop_backoff(struct unit *sock);
/* Stop every running instance of the socket. */
void accept_stop_instances(struct unit *sock);
/* An instance finished: count it out and let it be collected. */
void accept_instance_done(struct unit *inst);
/* Re-exec: create an instance unit named `name` of socket `sock` again
 * (its process and state are then restored by the caller). NULL on error. */
struct unit *accept_restore_instance(uv_loop_t *loop, struct unit *sock, const char *name);

#endif
