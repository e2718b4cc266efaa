/*
 * userns.h - PrivateUsers=: a user namespace of the service's own, as
 * systemd's setup_private_users makes it.
 *
 * The daemon's own user and group map to themselves, the service's User=
 * and Group= to themselves too (when the daemon may map them: CAP_SETUID,
 * CAP_SETGID), and every other ID to the overflow ID ("nobody"). setgroups()
 * is denied inside. The namespace's root has no privilege over the host's
 * objects: files of unmapped owners are nobody's, the host's network and
 * mounts are out of reach.
 *
 * A process cannot write more than its own ID into the map of a namespace it
 * has just entered, so a helper that stays outside (forked first, waiting on
 * a pipe) writes the maps, as in systemd.
 */
#ifndef SUPD_USERNS_H
#define SUPD_USERNS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define USERNS_MAP_MAX 64 /* two lines of "ID ID 1\n" and a NUL */

/* The uid_map and gid_map text for a service running as uid/gid (ids:
 * User=/Group= switch to them; otherwise it keeps the daemon's). Returns 0,
 * or -ENAMETOOLONG if a buffer is too small. */
int userns_maps(bool ids, uid_t uid, gid_t gid, char *uid_map, size_t ulen, char *gid_map, size_t glen);

/* Whether the daemon must make the namespace before the others: without
 * CAP_SYS_ADMIN it can make a mount namespace only inside a user namespace
 * of its own (systemd does the same for a user's manager). */
bool userns_first(void);

/* In the child, async-signal-safe and writing nothing but its own stack:
 * enter a new user namespace with these maps. Returns 0 or -errno. */
int userns_enter(const char *uid_map, const char *gid_map);

#endif
