/*
 * unitfile.h - the syntax of a systemd unit file, with no meaning attached.
 *
 * uf_parse() turns the text of a unit file into an ordered list of
 * (section, key, value, line) entries following systemd.syntax(7):
 *
 *   - "[Section]" starts a section; keys before the first section are an error.
 *   - "Key=value": whitespace around the key and at both ends of the value is
 *     trimmed. A line in a section without '=' is an error.
 *   - Lines whose first non-blank character is '#' or ';' are comments, also
 *     in the middle of a continuation.
 *   - A line ending in an unescaped backslash continues on the next line; the
 *     backslash becomes a space, as systemd does. The entry keeps the number
 *     of its first line.
 *   - NUL bytes and physical lines longer than UF_LINE_MAX are errors.
 *
 * What keys and sections mean is conf.c's business: this module knows no
 * key names. Entries are in file order; duplicates are kept, because for
 * systemd a repeated key either accumulates or overrides, per key.
 */
#ifndef SUPD_UNITFILE_H
#define SUPD_UNITFILE_H

#include <stddef.h>

#define UF_LINE_MAX 65536 /* bytes per physical line and per joined line */

struct uf_entry {
	char *section;         /* "Service", without brackets */
	char *key;
	char *value;           /* trimmed; may be "" (an empty assignment) */
	unsigned line;         /* first line of the entry */
	unsigned section_line; /* line of the "[Section]" header it belongs to */
};

struct uf_file {
	struct uf_entry *entries;
	size_t n, cap;
	char *pool;            /* every entry's strings, in one block */
	size_t pool_len, pool_cap;
};

/*
 * Parse `len` bytes of `text`. On success fills `out` (which the caller
 * frees with uf_free) and returns 0. On a syntax error returns -EINVAL, sets
 * *errline and writes the reason (without the file:line prefix) into err;
 * out is left empty. -ENOMEM on allocation failure.
 */
int uf_parse(const char *text, size_t len, struct uf_file *out,
	     unsigned *errline, char *err, size_t errlen);

void uf_free(struct uf_file *f);

#endif
