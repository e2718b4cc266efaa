/*
 * condition.h - [Unit] Condition*= and Assert*= (systemd.unit(5)), checked
 * each time a service is about to start, and before a socket unit binds.
 *
 * A failed condition skips the start: the service stays stopped, the start
 * job succeeds, and units that need it proceed, as in systemd. A socket
 * skipped so stays stopped, and a service that needs it fails to start,
 * naming it. A failed assertion fails the start job instead (result
 * "assert"); the unit stays stopped, not failed. Within one list every
 * plain check must hold; of the checks marked with a leading '|'
 * (triggering) at least one must. A leading '!' (after any '|') negates a
 * check. An empty value resets the list (every Condition*=, or every
 * Assert*=).
 *
 * Checked here: PathExists, PathExistsGlob, PathIsDirectory,
 * PathIsSymbolicLink, PathIsMountPoint, PathIsReadWrite, DirectoryNotEmpty,
 * FileNotEmpty, FileIsExecutable (absolute paths); User, Group (the
 * daemon's own ids: a name, a number or @system); Host (hostname glob or
 * machine ID); KernelCommandLine; Environment (the daemon's environment);
 * Architecture; CPUs and Memory (with <, <=, =, !=, >=, >); Capability
 * (in the daemon's bounding set); Credential (one of the daemon's own, in
 * its $CREDENTIALS_DIRECTORY); ACPower; FirstBoot (/run/systemd/first-boot,
 * which systemd makes); NeedsUpdate (/etc or /var older than /usr);
 * Security (selinux, apparmor, tomoyo, ima, smack, audit, uefi-secureboot,
 * tpm2); Virtualization (virt.h).
 */
#ifndef SUPD_CONDITION_H
#define SUPD_CONDITION_H

#include <stdbool.h>
#include <stddef.h>

enum cond_type {
	COND_PATH_EXISTS,
	COND_PATH_EXISTS_GLOB,
	COND_PATH_IS_DIRECTORY,
	COND_PATH_IS_SYMBOLIC_LINK,
	COND_PATH_IS_MOUNT_POINT,
	COND_PATH_IS_READ_WRITE,
	COND_DIRECTORY_NOT_EMPTY,
	COND_FILE_NOT_EMPTY,
	COND_FILE_IS_EXECUTABLE,
	COND_USER,
	COND_GROUP,
	COND_HOST,
	COND_KERNEL_COMMAND_LINE,
	COND_ENVIRONMENT,
	COND_ARCHITECTURE,
	COND_CPUS,
	COND_MEMORY,
	COND_CAPABILITY,
	COND_CREDENTIAL,
	COND_AC_POWER,
	COND_FIRST_BOOT,
	COND_NEEDS_UPDATE,
	COND_SECURITY,
	COND_VIRTUALIZATION,
	COND__MAX
};

struct cond {
	enum cond_type type;
	bool assert;   /* Assert*= */
	bool trigger;  /* '|' */
	bool negate;   /* '!' */
	char *param;
};

/* The type for a key ("ConditionPathExists", "AssertUser"): 0 and *type,
 * *assert set, or -ENOENT when it is not one we check. */
int cond_lookup(const char *key, enum cond_type *type, bool *assert);
/* Parse a non-empty value into *out (param malloc'd): 0, -EINVAL with why
 * set, or -ENOMEM. */
int cond_parse(enum cond_type type, bool assert, const char *value, struct cond *out, char *why, size_t whylen);
/* Test one check as written (negation applied): true when it holds. */
bool cond_test(const struct cond *c);
/* Test the conditions (assert=false) or assertions (assert=true) of a
 * list: true when the list holds; otherwise *failed names the first check
 * that failed (or the last triggering one, when none of them held). */
bool cond_list_test(const struct cond *v, size_t n, bool assert, const struct cond **failed);
/* A unit's whole check before it starts, as systemd's unit_start: its
 * conditions, then its assertions. 0 when all hold; 1 when a condition was
 * not met (why: "ConditionX=... was not met"); -1 when an assertion failed
 * (why: "AssertX=... failed"). */
int cond_check(const struct cond *v, size_t n, char *why, size_t len);
/* "ConditionPathExists=!/x" into buf, for messages. */
void cond_describe(const struct cond *c, char *buf, size_t len);

#endif
