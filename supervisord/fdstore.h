/*
 * fdstore.h - a service's file descriptor store (sd_notify FDSTORE=1).
 *
 * Entries keep the order they were stored in; they are passed back at the
 * service's next start after its socket fds. A pollable entry is watched for
 * POLLHUP/POLLERR and dropped when it fires, unless stored with FDPOLL=0.
 * The store owns every fd in it; fdstore_remove/fdstore_clear close them.
 */
#ifndef SUPD_FDSTORE_H
#define SUPD_FDSTORE_H

#include "unit.h"

/* Take ownership of fd (closed on error). Duplicates of an entry already
 * stored (same object and flags) are closed and not added again. Returns 0,
 * -ENOSPC when FileDescriptorStoreMax= is reached, or another -errno. */
int fdstore_add(uv_loop_t *loop, struct unit *u, int fd, const char *name, bool poll);
/* Remove and close every entry named name; returns how many. */
unsigned fdstore_remove(struct unit *u, const char *name);
void fdstore_clear(struct unit *u);
/* After a re-exec: poll a restored entry again (hang-up detection). */
void fdstore_rewatch(uv_loop_t *loop, struct fdstore_entry *e);

#endif
