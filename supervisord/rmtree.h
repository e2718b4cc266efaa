/*
 * rmtree.h - remove a directory and what it holds, by descriptors: every
 * name below it is opened with O_NOFOLLOW, so a symbolic link a service
 * swapped in is removed, never followed, and a file system mounted inside
 * is not entered (RuntimeDirectory=, PrivateTmp=).
 */
#ifndef SUPD_RMTREE_H
#define SUPD_RMTREE_H

/* Remove path (a directory, not followed if it is a link) with its
 * content. 0, or -errno of the final rmdir (-ENOENT when it was gone). */
int rmtree(const char *path);

#endif
