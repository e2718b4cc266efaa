/*
 * specifier.h - systemd's unit file specifiers (%n, %i, %t, %%, ...),
 * resolved in every value of a unit file before the value is read, as
 * systemd resolves them (systemd.unit(5), "Specifiers").
 *
 * Unit names: %n %N %p %P %i %I %j %J %f, and %y %Y (the file). Manager
 * and host: %t %S %C %L %E %T %V (the system paths when the daemon runs as
 * root, the XDG ones otherwise), %u %U %g %G %h %s (the daemon's user),
 * %H %l %q %m %b %v %a, and %o %w %W %B %A %M from os-release. %% is a %.
 * Anything else after % is an error naming it, and so is a specifier whose
 * source is missing (no /etc/machine-id for %m) or unsupported (%d).
 *
 * Thread-safe (the re-exec restore parses units on a second thread):
 * nothing is cached, and users are looked up with the _r functions.
 */
#ifndef SUPD_SPECIFIER_H
#define SUPD_SPECIFIER_H

#include <stdbool.h>
#include <stddef.h>

/* Resolve the specifiers of in, for the unit file `path` named `name`.
 * Returns 0 when in has no '%' (*out is NULL: use in), 1 with *out a
 * malloc'd result, or -EINVAL (why says which specifier and why) or
 * -ENOMEM. */
int spec_expand(const char *name, const char *path, const char *in, char **out, char *why, size_t whylen);

/* The first line of a small file, without its newline; false if there is
 * none or it is empty (%m, %b, ConditionHost=, ConditionKernelCommandLine=). */
bool spec_first_line(const char *path, char *buf, size_t len);

/* systemd's name for a uname machine ("x86_64" -> "x86-64"; %a). */
const char *spec_arch_name(const char *machine);

/* Does in use a specifier that differs between the instances of one
 * template (%n %N %i %I %f)? */
bool spec_per_instance(const char *in);

#endif
