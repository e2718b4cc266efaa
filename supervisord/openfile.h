/*
 * openfile.h - OpenFile=: the daemon opens a file (or connects to a Unix
 * socket) on behalf of a service, so a worker can be handed something it
 * could not open itself. Opened anew at every start, as systemd does.
 */
#ifndef SUPD_OPENFILE_H
#define SUPD_OPENFILE_H

#include <stddef.h>
#include "conf.h"

/* Returns an O_CLOEXEC fd or -errno with the reason in err. */
int openfile_open(const struct open_file *of, char *err, size_t errlen);

#endif
