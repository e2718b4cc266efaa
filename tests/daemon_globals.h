/*
 * daemon_globals.h - the daemon's globals, as main.c sets them, for unit
 * tests that link the daemon's code (libsupd) without its main.c. Include
 * it once, in the test's one source file.
 */
#ifndef TESTS_DAEMON_GLOBALS_H
#define TESTS_DAEMON_GLOBALS_H

#include <stdbool.h>
#include <stdint.h>

const char supervisord_version[] = "test"; /* as version.h declares it */
const char *daemon_units_dir = "/units";
const char *daemon_runtime_dir = "/run/test";
const char *daemon_log_dir = "/run/test/logs";
uint64_t daemon_log_max;
char daemon_self_exe[4096];
bool daemon_verbose;

#endif
