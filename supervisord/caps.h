/*
 * caps.h - capability names and sets for CapabilityBoundingSet= and
 * AmbientCapabilities= (systemd.exec(5)).
 *
 * A set is a 64-bit mask, bit N for capability N. The names are the
 * kernel's (CAP_NET_BIND_SERVICE), in any case, with or without "CAP_"
 * as systemd's parser takes them; a number is taken too.
 */
#ifndef SUPD_CAPS_H
#define SUPD_CAPS_H

#include <stdbool.h>
#include <stdint.h>

/* Every capability this build knows the name of. */
uint64_t caps_all(void);
/* The capability a word names, or -1. */
int caps_from_name(const char *word);
/* One assignment of a capability-set key onto *set (*is_set: assigned
 * before). "" empties it, "~" fills it; "A B" adds A and B to what earlier
 * lines gave (or sets them, on the first line); "~A B" keeps everything but
 * A and B of what earlier lines gave (or all but them, on the first line).
 * Words that name no capability are skipped and the first is copied to
 * bad (bad[0] = '\0' if none). */
void caps_assign(const char *value, uint64_t *set, bool *is_set, char *bad, size_t badlen);

#endif
