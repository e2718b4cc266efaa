/*
 * execdirs.h - RuntimeDirectory=, StateDirectory=, CacheDirectory=,
 * LogsDirectory= and ConfigurationDirectory=, as systemd.exec(5) has them.
 *
 * Each names directories relative to a base: /run, /var/lib, /var/cache,
 * /var/log and /etc when the daemon runs as root; $XDG_RUNTIME_DIR,
 * $XDG_STATE_HOME, $XDG_CACHE_HOME, $XDG_STATE_HOME/log and
 * $XDG_CONFIG_HOME (with the usual ~/.local/state, ~/.cache, ~/.config
 * defaults) otherwise. Before a process of the unit is spawned they are
 * created (parents root-owned 0755), given the unit's User=/Group= and
 * their *DirectoryMode= (default 0755), and named in $RUNTIME_DIRECTORY,
 * $STATE_DIRECTORY, ... (colon-separated). A symbolic link in their place
 * is refused. Runtime directories are removed, with what they hold, when
 * the service stops or fails, unless RuntimeDirectoryPreserve=yes; with
 * the default "no" also before an automatic restart.
 */
#ifndef SUPD_EXECDIRS_H
#define SUPD_EXECDIRS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "conf.h"

/* The base directory of kind into buf (/run, /var/lib, ... for root; the
 * XDG ones otherwise); -errno when it cannot be known. */
int execdirs_base(enum conf_execdir kind, char *buf, size_t len);

/* Create the unit's directories and fix their mode and owner: uid/gid
 * (when set_ids) are the unit's user, else root when the daemon is root;
 * a tree whose top is not the owner's is given to him whole (logged under
 * unit's name). Returns 0 or -errno with err set. */
int execdirs_prepare(const struct svc_conf *c, const char *unit, bool set_ids, uid_t uid, gid_t gid, char *err,
		     size_t errlen);

/* BASE/sub/rel into buf, BASE being kind's: a credentials directory
 * (RUNTIME, "credentials", unit), where DynamicUser= keeps a state, cache
 * or logs directory (kind, "private", rel; BASE/rel links to it). 0 or
 * -errno. */
int execdirs_path(enum conf_execdir kind, const char *sub, const char *rel, char *buf, size_t len);

/* "RUNTIME_DIRECTORY=/run/a:/run/b" for kind (malloc'd), or NULL when the
 * unit has none of that kind (or out of memory: *oom set). */
char *execdirs_env(const struct svc_conf *c, enum conf_execdir kind, bool *oom);

/* Remove the unit's runtime directories and their content (never following
 * a symbolic link). Errors are logged with the unit's name. */
void execdirs_remove_runtime(const struct svc_conf *c, const char *unit);

#endif
