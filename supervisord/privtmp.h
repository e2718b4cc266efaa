/*
 * privtmp.h - PrivateTmp=: a service's own /tmp and /var/tmp.
 *
 * As systemd does, two directories are made when the service starts,
 * /tmp/supervisord-private-UNIT-XXXXXX/tmp and the same under /var/tmp
 * (the outer one 0700, the inner one 01777), and every process of the
 * start (ExecStartPre= ... ExecStopPost=) runs in a mount namespace of its
 * own where they are bind-mounted over /tmp and /var/tmp. They go when the
 * service goes down, a restart included (systemd flushes them too).
 *
 * Mount namespaces need CAP_SYS_ADMIN; a container often lacks it. That
 * is probed once: without it, PrivateTmp=yes is skipped with a warning at
 * each start and the service shares /tmp, rather than failing.
 */
#ifndef SUPD_PRIVTMP_H
#define SUPD_PRIVTMP_H

#include <stdbool.h>
#include <stddef.h>

/* Can this daemon give a child a mount namespace? (probed once; PrivateTmp=
 * and ProtectSystem= and friends both need it) */
bool privtmp_mountns_supported(void);
/* An empty regular file, mode 000, in the runtime directory (checked at
 * each call, made again if missing or anything else stands there): InaccessiblePaths= and friends
 * bind it over a file they hide, as systemd binds its inaccessible nodes.
 * NULL if it cannot be made (the reason is logged). */
const char *privtmp_inaccessible_file(void);
/* Make the two directories for unit `name`: 0 with paths[0] (for /tmp)
 * and paths[1] (for /var/tmp) malloc'd, or -errno with err set. */
int privtmp_create(const char *name, char *paths[2], char *err, size_t errlen);
/* Is path one privtmp_create could have made, for /tmp (which 0) or
 * /var/tmp (1)? A re-exec state names them, and privtmp_remove deletes
 * whatever it is given: nothing else may pass. */
bool privtmp_path_valid(const char *path, int which);
/* Remove what privtmp_create made (the inner paths' parents, whole),
 * without following a symbolic link a service may have left there; frees
 * and clears paths. */
void privtmp_remove(char *paths[2]);

#endif
