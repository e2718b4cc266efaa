/*
 * chowntree.h - give a directory and everything in it to a user, as
 * systemd does for StateDirectory= and the like when User= changed: if
 * the top already belongs to uid:gid, nothing below is looked at;
 * otherwise every name is pinned with O_PATH|O_NOFOLLOW before it is
 * changed, so a symbolic link is re-owned itself and never followed.
 */
#ifndef SUPD_CHOWNTREE_H
#define SUPD_CHOWNTREE_H

#include <sys/types.h>

/* dfd: an open directory (not closed here). 0 when the top was already
 * uid:gid's, 1 when the tree was walked, -errno at the first failure
 * (what was changed before it stays changed). Access ACLs are dropped
 * from what is changed, and each mode is put back after the chown (which
 * clears set-user-ID and set-group-ID bits). */
int chowntree(int dfd, uid_t uid, gid_t gid);

#endif
