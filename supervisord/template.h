/*
 * template.h - instances of template units: NAME@INSTANCE.service made from
 * NAME@.service when something asks for it (`supctl start NAME@x`, a
 * Wants=/Requires= of another unit), as systemd instantiates them.
 *
 * The instance is parsed from the template's text under its own name, so
 * %i, %I and the other specifiers name the instance; it then is a unit like
 * any other (status, stop, restart, re-exec: its path is the template's,
 * its text a copy). A reload gives it the template's new text, or removes it
 * with the template. A template itself is never started. An instance with a
 * file of its own in the unit directory (NAME@x.service, or a link to the
 * template) is loaded from that file instead, as in systemd. The names
 * are split by conf_template_of() (conf.h).
 */
#ifndef SUPD_TEMPLATE_H
#define SUPD_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

struct unit;

/* The unit called name (canonical: with its suffix), made from its template
 * service when there is none yet. NULL when neither exists. */
struct unit *template_find_or_make(const char *name);
/* A copy of the template t's text for an instance, NUL-terminated (NULL:
 * out of memory). */
char *template_text(const struct unit *t);
/* Was u made from a template here (no file of its own)? */
bool template_made(const struct unit *u);

#endif
