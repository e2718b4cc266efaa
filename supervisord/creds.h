/*
 * creds.h - LoadCredential= and SetCredential=: systemd's credentials, as
 * files of their own under %t/credentials/UNIT ($CREDENTIALS_DIRECTORY,
 * %d), readable by the service's user only, made when a start runs its
 * first command and removed when the service is down.
 *
 * The daemon reads a LoadCredential= source as root, so a service whose
 * User= may not read the file still gets its content; only regular files
 * are read (a FIFO must not stall the daemon), 1 MiB at most in all
 * (systemd's limits). A SetCredential= of the same ID is the fallback
 * when the load fails, as in systemd.
 */
#ifndef SUPD_CREDS_H
#define SUPD_CREDS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "conf.h"

#define CREDS_SIZE_MAX (1024 * 1024)

/* One unit file value: "ID[:PATH]" (LoadCredential=; PATH absolute, or
 * the name of one of the daemon's own credentials) or "ID:VALUE"
 * (SetCredential=, C escapes). NULL if good, else why not. */
const char *creds_value_bad(bool set, const char *v);

/* A credential's name: a file name of up to 248 bytes (systemd's rule). */
bool creds_name_valid(const char *id);

/* The directory of unit's credentials into buf; -errno if unknown. */
int creds_dir(const char *unit, char *buf, size_t len);

/* Make the directory with every credential, owned by uid:gid when
 * set_ids; nothing if it is there already (a later command of the same
 * start, or the same start after a re-exec). 0, or -errno with err set
 * and nothing left behind. */
int creds_prepare(const struct svc_conf *c, const char *unit, bool set_ids, uid_t uid, gid_t gid, char *err,
		  size_t errlen);

/* Remove it (at a start, what a crashed daemon left; when down). */
void creds_remove(const char *unit);

#endif
