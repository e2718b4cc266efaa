/*
 * condition.c - Condition*= and Assert*= checks; see condition.h. Each
 * check follows systemd's condition.c for the same key.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <sys/socket.h>
#include <linux/netlink.h>

#include "caps.h"
#include "conf.h"
#include "condition.h"
#include "creds.h"
#include "specifier.h"
#include "virt.h"

extern char **environ;

static const char *const names[COND__MAX] = {
	[COND_PATH_EXISTS] = "PathExists",
	[COND_PATH_EXISTS_GLOB] = "PathExistsGlob",
	[COND_PATH_IS_DIRECTORY] = "PathIsDirectory",
	[COND_PATH_IS_SYMBOLIC_LINK] = "PathIsSymbolicLink",
	[COND_PATH_IS_MOUNT_POINT] = "PathIsMountPoint",
	[COND_PATH_IS_READ_WRITE] = "PathIsReadWrite",
	[COND_DIRECTORY_NOT_EMPTY] = "DirectoryNotEmpty",
	[COND_FILE_NOT_EMPTY] = "FileNotEmpty",
	[COND_FILE_IS_EXECUTABLE] = "FileIsExecutable",
	[COND_USER] = "User",
	[COND_GROUP] = "Group",
	[COND_HOST] = "Host",
	[COND_KERNEL_COMMAND_LINE] = "KernelCommandLine",
	[COND_ENVIRONMENT] = "Environment",
	[COND_ARCHITECTURE] = "Architecture",
	[COND_CPUS] = "CPUs",
	[COND_MEMORY] = "Memory",
	[COND_CAPABILITY] = "Capability",
	[COND_CREDENTIAL] = "Credential",
	[COND_AC_POWER] = "ACPower",
	[COND_FIRST_BOOT] = "FirstBoot",
	[COND_NEEDS_UPDATE] = "NeedsUpdate",
	[COND_SECURITY] = "Security",
	[COND_VIRTUALIZATION] = "Virtualization",
};

int cond_lookup(const char *key, enum cond_type *type, bool *assert)
{
	const char *rest;
	if (!strncmp(key, "Condition", 9)) {
		rest = key + 9;
		*assert = false;
	} else if (!strncmp(key, "Assert", 6)) {
		rest = key + 6;
		*assert = true;
	} else {
		return -ENOENT;
	}
	for (int i = 0; i < COND__MAX; i++)
		if (!strcmp(rest, names[i])) {
			*type = (enum cond_type)i;
			return 0;
		}
	return -ENOENT;
}

static bool is_path_check(enum cond_type t)
{
	return t <= COND_FILE_IS_EXECUTABLE;
}

/* "<=N", ">N", "N" (=): the operator and what follows it. */
enum cmp { CMP_LT, CMP_LE, CMP_EQ, CMP_NE, CMP_GE, CMP_GT };

static const char *parse_cmp(const char *s, enum cmp *op)
{
	static const struct {
		const char *text;
		enum cmp op;
	} ops[] = { { "<=", CMP_LE }, { ">=", CMP_GE }, { "!=", CMP_NE }, { "<", CMP_LT }, { ">", CMP_GT }, { "=", CMP_EQ } };
	while (*s == ' ')
		s++;
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
		if (!strncmp(s, ops[i].text, strlen(ops[i].text))) {
			*op = ops[i].op;
			s += strlen(ops[i].text);
			while (*s == ' ')
				s++;
			return s;
		}
	*op = CMP_EQ;
	return s;
}

/* A number, with K/M/G/T (1024-based) for Memory=. */
static int parse_amount(const char *s, bool sizes, uint64_t *out)
{
	char *e;
	errno = 0;
	if (*s < '0' || *s > '9')
		return -EINVAL;
	unsigned long long v = strtoull(s, &e, 10);
	if (errno || e == s)
		return -EINVAL;
	unsigned shift = 0;
	if (sizes && *e) {
		const char *u = strchr("KMGT", *e);
		if (!u || e[1])
			return -EINVAL;
		shift = 10u * (unsigned)(u - "KMGT" + 1);
		e++;
	}
	if (*e || (shift && v > (UINT64_MAX >> shift)))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

static bool compare(uint64_t have, enum cmp op, uint64_t want)
{
	switch (op) {
	case CMP_LT: return have < want;
	case CMP_LE: return have <= want;
	case CMP_EQ: return have == want;
	case CMP_NE: return have != want;
	case CMP_GE: return have >= want;
	case CMP_GT: return have > want;
	}
	return false;
}

int cond_parse(enum cond_type type, bool assert, const char *value, struct cond *out, char *why, size_t whylen)
{
	memset(out, 0, sizeof *out);
	out->type = type;
	out->assert = assert;
	const char *p = value;
	if (*p == '|') {
		out->trigger = true;
		p++;
	}
	if (*p == '!') {
		out->negate = true;
		p++;
	}
	if (!*p) {
		snprintf(why, whylen, "nothing to check after '|' or '!'");
		return -EINVAL;
	}
	if (is_path_check(type) && *p != '/') {
		snprintf(why, whylen, "'%s' is not an absolute path", p);
		return -EINVAL;
	}
	if (type == COND_CPUS || type == COND_MEMORY) {
		enum cmp op;
		uint64_t v;
		if (parse_amount(parse_cmp(p, &op), type == COND_MEMORY, &v) < 0) {
			snprintf(why, whylen, "not a comparison such as '>=2'%s", type == COND_MEMORY ? " or '<1G'" : "");
			return -EINVAL;
		}
	}
	if (type == COND_CAPABILITY && caps_from_name(p) < 0) {
		snprintf(why, whylen, "'%s' is not a capability", p);
		return -EINVAL;
	}
	bool b;
	if ((type == COND_AC_POWER || type == COND_FIRST_BOOT) && conf_parse_bool(p, &b) < 0) {
		snprintf(why, whylen, "'%s' is not a boolean", p);
		return -EINVAL;
	}
	out->param = strdup(p);
	return out->param ? 0 : -ENOMEM;
}

static bool dir_not_empty(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return false;
	bool found = false;
	struct dirent *de;
	/* systemd ignores hidden and backup files here. */
	while (!found && (de = readdir(d))) {
		size_t n = strlen(de->d_name);
		found = de->d_name[0] != '.' && de->d_name[n - 1] != '~';
	}
	closedir(d);
	return found;
}

static bool is_mount_point(const char *path)
{
	struct statx sx;
	if (statx(AT_FDCWD, path, 0, STATX_BASIC_STATS, &sx) < 0)
		return false;
	if (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT)
		return (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
	/* Older kernels: a different device than the parent's. */
	char parent[PATH_MAX];
	if (snprintf(parent, sizeof parent, "%s/..", path) >= (int)sizeof parent)
		return false;
	struct stat a, b;
	if (stat(path, &a) < 0 || stat(parent, &b) < 0)
		return false;
	return a.st_dev != b.st_dev || a.st_ino == b.st_ino;
}

/* A user or group given as a number. */
static bool numeric_id(const char *s, unsigned long *id)
{
	char *e;
	*id = strtoul(s, &e, 10);
	return *s >= '0' && *s <= '9' && !*e;
}

static bool name_to_uid(const char *s, uid_t *uid)
{
	unsigned long n;
	struct passwd pw, *res = NULL;
	char buf[4096];
	if (numeric_id(s, &n))
		*uid = (uid_t)n;
	else if (getpwnam_r(s, &pw, buf, sizeof buf, &res) == 0 && res)
		*uid = pw.pw_uid;
	else
		return false;
	return true;
}

static bool name_to_gid(const char *s, gid_t *gid)
{
	unsigned long n;
	struct group gr, *res = NULL;
	char buf[4096];
	if (numeric_id(s, &n))
		*gid = (gid_t)n;
	else if (getgrnam_r(s, &gr, buf, sizeof buf, &res) == 0 && res)
		*gid = gr.gr_gid;
	else
		return false;
	return true;
}

#define SYSTEM_ID_MAX 999 /* systemd's SYSTEM_UID_MAX/SYSTEM_GID_MAX on Debian */

static bool test_user(const char *p)
{
	if (!strcmp(p, "@system"))
		return getuid() <= SYSTEM_ID_MAX || geteuid() <= SYSTEM_ID_MAX;
	uid_t u;
	return name_to_uid(p, &u) && (u == getuid() || u == geteuid());
}

static bool test_group(const char *p)
{
	if (!strcmp(p, "@system"))
		return getgid() <= SYSTEM_ID_MAX || getegid() <= SYSTEM_ID_MAX;
	gid_t g;
	if (!name_to_gid(p, &g))
		return false;
	if (g == getgid() || g == getegid())
		return true;
	gid_t list[256];
	int n = getgroups(256, list);
	for (int i = 0; i < n; i++)
		if (list[i] == g)
			return true;
	return false;
}

static bool test_host(const char *p)
{
	/* A machine ID (32 hex digits) is compared with /etc/machine-id. */
	if (strlen(p) == 32 && strspn(p, "0123456789abcdefABCDEF") == 32) {
		char id[64];
		return spec_first_line("/etc/machine-id", id, sizeof id) && !strcasecmp(id, p);
	}
	char host[256];
	if (gethostname(host, sizeof host) < 0)
		return false;
	host[sizeof host - 1] = '\0';
	return fnmatch(p, host, FNM_CASEFOLD) == 0;
}

static bool test_cmdline(const char *p)
{
	char line[8192];
	if (!spec_first_line("/proc/cmdline", line, sizeof line))
		return false;
	bool with_value = strchr(p, '=') != NULL;
	size_t pl = strlen(p);
	for (char *save = NULL, *w = strtok_r(line, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		if (!strcmp(w, p))
			return true;
		if (!with_value && !strncmp(w, p, pl) && w[pl] == '=')
			return true;
	}
	return false;
}

static bool test_environment(const char *p)
{
	bool with_value = strchr(p, '=') != NULL;
	size_t pl = strlen(p);
	for (char **e = environ; e && *e; e++) {
		if (with_value ? !strcmp(*e, p) : (!strncmp(*e, p, pl) && (*e)[pl] == '='))
			return true;
	}
	return false;
}

static bool test_architecture(const char *p)
{
	struct utsname un;
	if (!strcmp(p, "native"))
		return true;
	return uname(&un) == 0 && !strcmp(spec_arch_name(un.machine), p);
}

static bool test_amount(enum cond_type t, const char *p)
{
	enum cmp op;
	uint64_t want, have;
	if (parse_amount(parse_cmp(p, &op), t == COND_MEMORY, &want) < 0)
		return false;
	if (t == COND_CPUS) {
		cpu_set_t set;
		if (sched_getaffinity(0, sizeof set, &set) < 0)
			return false;
		have = (uint64_t)CPU_COUNT(&set);
	} else {
		long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
		if (pages <= 0 || size <= 0)
			return false;
		have = (uint64_t)pages * (uint64_t)size;
	}
	return compare(have, op, want);
}

/* The number after key on the first line of path that starts with it (in
 * base): true and *v. */
static bool scan_file(const char *path, const char *key, int base, unsigned long long *v)
{
	char line[256], *end;
	size_t n = strlen(key);
	FILE *f = fopen(path, "re");
	bool found = false;
	while (f && !found && fgets(line, sizeof line, f)) {
		if (strncmp(line, key, n) != 0)
			continue;
		errno = 0;
		*v = strtoull(line + n, &end, base);
		found = !errno && end != line + n;
	}
	if (f)
		fclose(f);
	return found;
}

/* In the bounding set of the daemon (systemd reads CapBnd: too). */
static bool test_capability(const char *p)
{
	int cap = caps_from_name(p);
	unsigned long long bnd = 0;
	return cap >= 0 && scan_file("/proc/self/status", "CapBnd:", 16, &bnd) && (bnd >> cap & 1);
}

/* One of the daemon's own credentials (or encrypted ones), by name. */
static bool test_credential(const char *p)
{
	static const char *const vars[2] = { "CREDENTIALS_DIRECTORY", "ENCRYPTED_CREDENTIALS_DIRECTORY" };
	if (!creds_name_valid(p))
		return false;
	for (int i = 0; i < 2; i++) {
		const char *dir = getenv(vars[i]);
		char path[PATH_MAX];
		struct stat st;
		if (dir && dir[0] == '/' && snprintf(path, sizeof path, "%s/%s", dir, p) < (int)sizeof path &&
		    lstat(path, &st) == 0)
			return true;
	}
	return false;
}

/* systemd's on_ac_power(): a mains supply online, or none known offline. */
static bool on_ac_power(void)
{
	bool online = false, offline = false;
	DIR *d = opendir("/sys/class/power_supply");
	struct dirent *de;
	while (d && (de = readdir(d))) {
		char path[PATH_MAX], v[64];
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "/sys/class/power_supply/%s/type", de->d_name);
		if (!spec_first_line(path, v, sizeof v) || strcmp(v, "Mains") != 0)
			continue;
		snprintf(path, sizeof path, "/sys/class/power_supply/%s/online", de->d_name);
		if (!spec_first_line(path, v, sizeof v))
			continue;
		if (!strcmp(v, "1"))
			online = true;
		else if (!strcmp(v, "0"))
			offline = true;
	}
	if (d)
		closedir(d);
	return online || !offline;
}

/* /etc or /var older than /usr (its .updated stamp, as systemd-update-done
 * writes it: the mtime, or TIMESTAMP_NSEC= inside when that has no
 * nanoseconds). Anything missing: an update is needed. */
static bool test_needs_update(const char *p)
{
	if (strcmp(p, "/etc") != 0 && strcmp(p, "/var") != 0)
		return false;
	char path[64];
	struct stat usr, upd;
	snprintf(path, sizeof path, "%s/.updated", p);
	if (lstat(path, &upd) < 0 || stat("/usr/", &usr) < 0)
		return true;
	if (usr.st_mtim.tv_sec != upd.st_mtim.tv_sec)
		return usr.st_mtim.tv_sec > upd.st_mtim.tv_sec;
	uint64_t u = (uint64_t)usr.st_mtim.tv_sec * 1000000000u + (uint64_t)usr.st_mtim.tv_nsec;
	if (upd.st_mtim.tv_nsec > 0)
		return u > (uint64_t)upd.st_mtim.tv_sec * 1000000000u + (uint64_t)upd.st_mtim.tv_nsec;
	unsigned long long stamp = 0;
	return !scan_file(path, "TIMESTAMP_NSEC=", 10, &stamp) || u > stamp;
}

static bool file_is(const char *path, const char *want)
{
	char v[64];
	return spec_first_line(path, v, sizeof v) && !strcmp(v, want);
}

/* The kernel's security frameworks, found where systemd looks for them. */
static bool test_security(const char *p)
{
	if (!strcmp(p, "selinux"))
		return access("/sys/fs/selinux/enforce", F_OK) == 0;
	if (!strcmp(p, "apparmor"))
		return file_is("/sys/module/apparmor/parameters/enabled", "Y");
	if (!strcmp(p, "tomoyo"))
		return access("/sys/kernel/security/tomoyo/version", F_OK) == 0;
	if (!strcmp(p, "ima"))
		return access("/sys/kernel/security/ima/", F_OK) == 0;
	if (!strcmp(p, "smack"))
		return access("/sys/fs/smackfs/", F_OK) == 0;
	if (!strcmp(p, "audit")) {
		int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);
		if (fd >= 0)
			close(fd);
		return fd >= 0 || (errno != EAFNOSUPPORT && errno != EPROTONOSUPPORT && errno != EPERM);
	}
	if (!strcmp(p, "uefi-secureboot")) {
		/* 4 bytes of attributes, then the value. */
		unsigned char b[5];
		int fd = open("/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c",
			      O_RDONLY | O_CLOEXEC);
		ssize_t n = fd >= 0 ? read(fd, b, sizeof b) : -1;
		if (fd >= 0)
			close(fd);
		return n == 5 && b[4] == 1;
	}
	if (!strcmp(p, "tpm2"))
		return dir_not_empty("/sys/class/tpmrm");
	return false;
}

static bool test_raw(const struct cond *c)
{
	const char *p = c->param;
	struct stat st;
	switch (c->type) {
	case COND_PATH_EXISTS:
		return access(p, F_OK) == 0;
	case COND_PATH_EXISTS_GLOB: {
		glob_t g;
		int r = glob(p, GLOB_NOSORT | GLOB_BRACE, NULL, &g);
		if (r == 0)
			globfree(&g);
		return r == 0;
	}
	case COND_PATH_IS_DIRECTORY:
		return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
	case COND_PATH_IS_SYMBOLIC_LINK:
		return lstat(p, &st) == 0 && S_ISLNK(st.st_mode);
	case COND_PATH_IS_MOUNT_POINT:
		return is_mount_point(p);
	case COND_PATH_IS_READ_WRITE: {
		struct statvfs sv;
		return statvfs(p, &sv) == 0 && !(sv.f_flag & ST_RDONLY);
	}
	case COND_DIRECTORY_NOT_EMPTY:
		return dir_not_empty(p);
	case COND_FILE_NOT_EMPTY:
		return stat(p, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
	case COND_FILE_IS_EXECUTABLE:
		return stat(p, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
	case COND_USER:
		return test_user(p);
	case COND_GROUP:
		return test_group(p);
	case COND_HOST:
		return test_host(p);
	case COND_KERNEL_COMMAND_LINE:
		return test_cmdline(p);
	case COND_ENVIRONMENT:
		return test_environment(p);
	case COND_ARCHITECTURE:
		return test_architecture(p);
	case COND_CPUS:
	case COND_MEMORY:
		return test_amount(c->type, p);
	case COND_CAPABILITY:
		return test_capability(p);
	case COND_CREDENTIAL:
		return test_credential(p);
	case COND_AC_POWER: {
		bool b = false;
		conf_parse_bool(p, &b);
		return on_ac_power() == b;
	}
	case COND_FIRST_BOOT: {
		bool b = false;
		conf_parse_bool(p, &b);
		return (access("/run/systemd/first-boot", F_OK) == 0) == b;
	}
	case COND_NEEDS_UPDATE:
		return test_needs_update(p);
	case COND_SECURITY:
		return test_security(p);
	case COND_VIRTUALIZATION:
		return virt_condition(p);
	case COND__MAX:
		break;
	}
	return false;
}

bool cond_test(const struct cond *c)
{
	return test_raw(c) != c->negate;
}

bool cond_list_test(const struct cond *v, size_t n, bool assert, const struct cond **failed)
{
	const struct cond *last_trigger = NULL;
	bool triggered = false;
	*failed = NULL;
	for (size_t i = 0; i < n; i++) {
		if (v[i].assert != assert)
			continue;
		bool ok = cond_test(&v[i]);
		if (v[i].trigger) {
			last_trigger = &v[i];
			triggered |= ok;
		} else if (!ok) {
			*failed = &v[i];
			return false;
		}
	}
	if (last_trigger && !triggered) {
		*failed = last_trigger;
		return false;
	}
	return true;
}

int cond_check(const struct cond *v, size_t n, char *why, size_t len)
{
	const struct cond *bad;
	char what[512];
	if (!n)
		return 0;
	bool met = cond_list_test(v, n, false, &bad);
	if (met && cond_list_test(v, n, true, &bad))
		return 0;
	cond_describe(bad, what, sizeof what);
	snprintf(why, len, "%s %s", what, met ? "failed" : "was not met");
	return met ? -1 : 1;
}

void cond_describe(const struct cond *c, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s=%s%s%s", c->assert ? "Assert" : "Condition", c->type < COND__MAX ? names[c->type] : "?",
		 c->trigger ? "|" : "", c->negate ? "!" : "", c->param ? c->param : "");
}
