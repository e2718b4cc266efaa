#ifndef SUPD_VERSION_H
#define SUPD_VERSION_H
/* Defined by the executable (version.c), not by the supd library. */
extern const char supervisord_version[];
#endif
