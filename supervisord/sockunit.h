/*
 * sockunit.h - socket units: bound once at start-up and held for the
 * daemon's whole life, whatever their service does.
 *
 * States: LISTENING (every listener bound), FAILED (a bind failed: the error
 * names the address; listeners that did bind are closed again, so the unit
 * is all or nothing), STOPPED (closed on request or at exit).
 *
 * Watching: while its service is down, a listener is polled for readability;
 * the first connection or datagram starts the service, which then accepts it
 * itself. The daemon never reads from or accepts on a watched socket.
 */
#ifndef SUPD_SOCKUNIT_H
#define SUPD_SOCKUNIT_H

#include "unit.h"

/* Bind every listener (adopting the ones whose fd is already set, after a
 * re-exec or in rescue mode). Returns 0; 1 when a Condition*= was not met
 * (state STOPPED, error "skipped: ..."); -EPROTO when an Assert*= failed
 * (STOPPED, error set); or -errno (state FAILED, error set). */
int sockunit_open(uv_loop_t *loop, struct unit *u);
/* After a re-exec: watch the listener fds restored from the state. */
void sockunit_adopt(uv_loop_t *loop, struct unit *u);
/* Close every listener and remove socket paths. */
void sockunit_close(struct unit *u);
/* Start or stop watching for activity (no-op when already so). */
void sockunit_watch(struct unit *u, bool on);

/* `supctl start NAME.socket`: open it again (no-op when listening). */
int sockunit_start(uv_loop_t *loop, struct unit *u, char *err, size_t errlen);
/* `supctl stop NAME.socket`: stop its service, close it. */
void sockunit_stop(struct unit *u);

const char *sockunit_state_name(enum sock_state s);

/* Listener i's address, parsed from the unit's Listen*= line the first
 * time it is needed (a listener handed over by a re-exec may never need
 * it); NULL if it does not parse (logged). */
const struct listen_addr *sockunit_addr(struct unit *u, size_t i);
/* The name its fds are passed under: FileDescriptorName= or the unit's. */
const char *sockunit_fdname(const struct unit *u);

#endif
