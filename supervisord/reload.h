/*
 * reload.h - `supctl reload` / SIGHUP: re-read the unit directory while
 * everything keeps running.
 *
 *   new file        loaded; a new socket unit is bound and listens, a new
 *                   service waits for its socket or `supctl start`
 *   file removed    its service is stopped, then dropped; a socket unit is
 *                   closed and dropped
 *   file changed    the new definition is used from the service's next
 *                   start; the running process is not touched. A socket
 *                   unit keeps every listener whose kind, address and
 *                   socket options are unchanged (same fd, same inode);
 *                   the others are closed and the new ones bound
 *   file broken     reported (log, and status text), old definition kept
 *   unchanged       untouched
 */
#ifndef SUPD_RELOAD_H
#define SUPD_RELOAD_H

#include <stddef.h>
#include <uv.h>

/* Returns 0 (msg: a summary) or -errno when the directory cannot be read.
 * Broken files do not make it fail: they are counted in the summary. */
int unit_reload_all(uv_loop_t *loop, char *msg, size_t msglen);

#endif
