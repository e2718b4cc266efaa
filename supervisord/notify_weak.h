/* Temporary: notify.c is being written; until then these resolve to NULL. */
#ifndef SUPD_NOTIFY_WEAK_H
#define SUPD_NOTIFY_WEAK_H
#include <stdio.h>
#include <uv.h>
#include "daemon.h"
int notify_fd(void) __attribute__((weak));
int notify_adopt(uv_loop_t *loop, int fd, const char *path) __attribute__((weak));
static inline const char *notify_path_of(void)
{
	static char p[4200];
	snprintf(p, sizeof p, "%s/notify.sock", daemon_runtime_dir);
	return p;
}
#define notify_fd() (notify_fd ? notify_fd() : -1)
#define notify_adopt(l, f, p) (notify_adopt ? notify_adopt(l, f, p) : -ENOSYS)
#endif
