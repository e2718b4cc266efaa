/*
 * envfile.h - EnvironmentFile=: files of KEY=VALUE lines, read as systemd
 * reads them (load_env_file), each time a process of the unit is spawned.
 *
 * Format: one assignment per line; leading whitespace is skipped, and so is
 * whitespace around the key and before the value. A line that starts with
 * # or ; is a comment. A value may be 'single-quoted' (literal),
 * "double-quoted" (\" \\ \` \$ escape those characters, backslash-newline
 * continues the line, any other backslash is kept), or bare (a backslash
 * escapes the next character, backslash-newline continues the line, and
 * trailing whitespace is dropped). Quoted and bare parts next to each other
 * join. A key must be a shell name ([A-Za-z_][A-Za-z0-9_]*); a line with an
 * invalid key, no '=', or a NUL byte is skipped and counted.
 */
#ifndef SUPD_ENVFILE_H
#define SUPD_ENVFILE_H

#include <stddef.h>

#define ENVFILE_MAX_BYTES (1u << 20) /* a bigger file is refused */

/* Called for each assignment with a malloc'd "KEY=VALUE" string, which
 * the callee owns (also when it fails). Returns 0, or <0 to stop. */
typedef int (*envfile_fn)(void *ctx, char *assign);

/* Parse text. Returns the number of assignments passed to fn, or the
 * first error (<0: -ENOMEM, or what fn returned). *skipped (may be NULL)
 * counts the lines that were skipped as invalid. */
int envfile_parse(const char *text, size_t len, envfile_fn fn, void *ctx, unsigned *skipped);

/* One EnvironmentFile= setting: an absolute path or glob, "-" in front to
 * ignore a missing file. Reads every matching file in order. Returns the
 * number of assignments, or -errno with err saying which file and why. */
int envfile_load(const char *setting, envfile_fn fn, void *ctx, char *err, size_t errlen);

#endif
