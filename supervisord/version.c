/*
 * version.c - the version string, in a file of its own and outside the
 * supd library: a second daemon binary with another version string can be
 * linked from the same library (the re-exec upgrade test does that).
 */
#include "version.h"

const char supervisord_version[] = SUPERVISORD_VERSION;
