/*
 * preparse.h - a re-exec's unit files, parsed on a second thread.
 *
 * Restoring a state re-parses every unit's text, which is most of the
 * restore's own work (about 0.4 ms for 200 units on a 2-core machine).
 * The text is in the state, checked by its checksum before anything else
 * happens, so a second thread can parse it while the first claims the
 * inherited descriptors and sets up the loop. state_read takes the result
 * for each unit in order, waiting when the thread is behind; whatever the
 * thread did not parse (it could not start, it met a record it does not
 * expect, a name does not match) is parsed by the first thread as before.
 *
 * The thread only reads the mapped state and calls unit_parse_text (which
 * allocates and may log); it touches no unit, loop or registry, and is
 * joined before the restore goes on (preparse_finish), so the daemon is
 * single-threaded again before it spawns anything. It may open a file for
 * a specifier (%m reads /etc/machine-id, %b the boot ID), so it is started
 * only once every inherited descriptor is recorded and the others closed
 * (reexec_claim_fds): its descriptors are then never taken for inherited
 * ones, nor closed as such.
 */
#ifndef SUPD_PREPARSE_H
#define SUPD_PREPARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "state_codec.h"
#include "unit.h"

/* Start the thread on a state already opened (si_open) and of a format
 * this build reads. `in` (its mapping) must stay until preparse_finish.
 * A unit the state gives no path for is in daemon_units_dir, which must be
 * set before. Nothing happens if the thread cannot be created. */
void preparse_start(const struct state_in *in);

/* The parse of the next unit with a text, which must be `name` at
 * `path`: true with *conf or *error set (owned by the caller), false when
 * the thread has none for it (the caller parses it). Waits for the thread
 * when it has not got that far. */
bool preparse_take(const char *name, const char *path, struct unit_conf **conf, char **error);

/* Stop the thread (if running), join it and free what was not taken.
 * How many units it parsed that were taken is logged at debug level. */
void preparse_finish(void);

/* How many units the second thread has parsed so far (tests). */
size_t preparse_parsed(void);

#endif
