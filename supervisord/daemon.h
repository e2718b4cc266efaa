/*
 * daemon.h - the daemon's start-up configuration, set once in main.c and
 * read by the modules that must hand it on (re-exec passes it to the new
 * image).
 */
#ifndef SUPD_DAEMON_H
#define SUPD_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

extern const char *daemon_units_dir;
extern const char *daemon_runtime_dir;
extern const char *daemon_log_dir;
extern uint64_t daemon_log_max;     /* 0: the default */
extern char daemon_self_exe[4096];  /* our own binary, read at start-up */
extern bool daemon_verbose;

#endif
