/*
 * dynuser.h - DynamicUser=: a user and group ID of a service's own while
 * it is up, from systemd's range (61184..65519), for a name no static
 * user has (User=, else the unit's name).
 *
 * The IDs are recorded in the daemon's runtime directory, one file per
 * name (dynamic-uid/NAME, the number in it), so that a re-exec'd daemon
 * keeps giving a running service the IDs it has. A new name gets, as
 * systemd picks: the owner of its state, cache or logs directory when
 * that number is free (its files stay its own), else a number from a
 * hash of the name, else the next free one. Free: no user or group has
 * it and no other name holds it. There is no name service here (systemd
 * has nss-systemd): getpwuid() inside the service finds nothing.
 */
#ifndef SUPD_DYNUSER_H
#define SUPD_DYNUSER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define DYNUSER_MIN 61184u
#define DYNUSER_MAX 65519u

/* FNV-1a of n bytes at s: a user ID's first candidate, and the "_du"
 * name of a unit whose own name is no user name. */
static inline uint64_t dynuser_hash(const char *s, size_t n)
{
	uint64_t h = 14695981039346656037u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211u;
	return h;
}

/* The IDs of name into *uid (the group ID is the same), recorded; hints:
 * directories whose owner is the preferred number (NULL-terminated, may
 * be NULL). 0 or -errno with err set. */
int dynuser_acquire(const char *name, const char *const *hints, uid_t *uid, char *err, size_t errlen);

/* The IDs recorded for name into *uid: 0, or -ENOENT. */
int dynuser_lookup(const char *name, uid_t *uid);

/* Forget name's IDs (the service is down). */
void dynuser_release(const char *name);

#endif
