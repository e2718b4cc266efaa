/*
 * supfd.h - libsupfd: ask a running supervisord for descriptors at run time.
 *
 * A process started by supervisord gets its unit's descriptors at exec time
 * (LISTEN_FDS). This library fetches them again later, or from a helper
 * process, by name, as fresh duplicates over SCM_RIGHTS; and it puts
 * descriptors into the unit's fd store (FileDescriptorStoreMax=).
 *
 * What a unit has, in this order: the listening sockets of its socket units
 * (named by FileDescriptorName=, default the socket unit's name), its fd
 * store entries (named when stored; names need not be unique), and its
 * OpenFile= entries (opened by the daemon for each fetch, as at start).
 *
 * Access: the daemon identifies the caller by SO_PEERCRED. A process gets
 * the descriptors of the unit it belongs to (its service's main process, or
 * a process in that process's session). Only root may name another unit; a
 * process of another unit is refused with -EPERM. The control socket itself
 * admits only root and the daemon's own user (-EACCES otherwise).
 *
 * Every call is blocking, opens its own connection, and gives up at its
 * deadline (timeout_ms; negative = no limit) with -ETIMEDOUT. Every call
 * returns 0 or a negative errno; a message for the last error of the
 * calling thread is in supfd_last_error(). Descriptors returned are
 * close-on-exec and belong to the caller. Link with `pkg-config --libs supfd`.
 */
#ifndef SUPFD_H
#define SUPFD_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Use dir as supervisord's runtime directory (where control.sock is), or
 * NULL to go back to the default: $SUPERVISORD_RUNTIME_DIR, else
 * /run/supervisord as root, else $XDG_RUNTIME_DIR/supervisord. Process-wide;
 * not thread-safe against concurrent calls. Returns 0 or -ENAMETOOLONG.
 */
int supfd_set_runtime_dir(const char *dir);

/*
 * Fetch descriptors of unit (NULL or "": the caller's own unit) by name.
 * Each name may match several descriptors (a socket unit with several
 * listeners, repeated fd store names): all matches are returned, names in
 * the order asked, matches in the unit's order. n_names == 0 fetches
 * everything the unit has. Any number of descriptors comes back in one
 * call (the daemon splits them into messages of at most 253).
 *
 * On success *fds_out is a malloc'd array of *n_out descriptors (free() it
 * and close the fds when done) and, if names_out is not NULL, *names_out a
 * matching array of names (free with supfd_free_names). On error nothing is
 * returned and every descriptor received so far has been closed.
 *
 * Errors include -ENOENT (unit or name unknown), -EPERM (another unit's),
 * -ESRCH (caller belongs to no unit and named none), -EACCES (control socket
 * not accessible), -ECONNREFUSED (daemon not running), -EMFILE (RLIMIT_NOFILE
 * too low to receive them), -ETIMEDOUT.
 */
int supfd_fetch(const char *unit, const char *const *names, size_t n_names, int **fds_out,
		char ***names_out, size_t *n_out, int timeout_ms);

/*
 * Store n descriptors under name in unit's fd store (NULL or "": the
 * caller's own unit). The descriptors are duplicated by the kernel: the
 * caller keeps (and still owns) its own. The unit needs
 * FileDescriptorStoreMax= room for them: -EOPNOTSUPP if it has no store,
 * -ENOSPC if they do not fit. More than 253 are sent in several messages;
 * if a later one fails, the earlier ones stay stored.
 */
int supfd_store(const char *unit, const char *name, const int *fds, size_t n, int timeout_ms);

/* Free an array of names from supfd_fetch (NULL is fine). */
void supfd_free_names(char **names, size_t n);

/* The message for the calling thread's last error ("" if none). */
const char *supfd_last_error(void);

#ifdef __cplusplus
}
#endif

#endif
