/*
 * specifier.c - see specifier.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "creds.h"
#include "specifier.h"

struct out {
	char *p;
	size_t n, cap;
	bool oom;
};

static void add(struct out *o, const char *s, size_t n)
{
	if (o->oom)
		return;
	if (o->n + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 64;
		while (cap < o->n + n + 1)
			cap *= 2;
		char *p = realloc(o->p, cap);
		if (!p) {
			o->oom = true;
			return;
		}
		o->p = p;
		o->cap = cap;
	}
	memcpy(o->p + o->n, s, n);
	o->n += n;
	o->p[o->n] = '\0';
}

static void adds(struct out *o, const char *s)
{
	add(o, s, strlen(s));
}

/* systemd's unit name unescaping: '-' is '/', \xNN a byte. */
static void add_unescaped(struct out *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '-') {
			c = '/';
		} else if (c == '\\' && i + 3 < n && s[i + 1] == 'x') {
			char hex[3] = { s[i + 2], s[i + 3], 0 };
			char *e;
			unsigned long v = strtoul(hex, &e, 16);
			if (*e == '\0' && v > 0) {
				c = (char)v;
				i += 3;
			}
		}
		add(o, &c, 1);
	}
}

/* The first line of a small file, without its newline; false if none. */
bool spec_first_line(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return buf[0] != '\0';
}

/* KEY= from an os-release style file (quotes removed); "" when unset. */
static void os_release(const char *key, char *buf, size_t len)
{
	buf[0] = '\0';
	const char *files[] = { "/etc/os-release", "/usr/lib/os-release" };
	for (size_t f = 0; f < 2; f++) {
		FILE *fp = fopen(files[f], "re");
		if (!fp)
			continue;
		char line[512];
		size_t kl = strlen(key);
		while (fgets(line, sizeof line, fp)) {
			if (strncmp(line, key, kl) || line[kl] != '=')
				continue;
			char *v = line + kl + 1;
			v[strcspn(v, "\n")] = '\0';
			size_t vl = strlen(v);
			if (vl >= 2 && (v[0] == '"' || v[0] == '\'') && v[vl - 1] == v[0]) {
				v[vl - 1] = '\0';
				v++;
			}
			snprintf(buf, len, "%s", v);
			break;
		}
		fclose(fp);
		return;
	}
}

const char *spec_arch_name(const char *m)
{
	static const struct {
		const char *uname, *systemd;
	} map[] = {
		{ "x86_64", "x86-64" }, { "i386", "x86" },     { "i486", "x86" },       { "i586", "x86" },
		{ "i686", "x86" },      { "aarch64", "arm64" }, { "aarch64_be", "arm64-be" }, { "armv7l", "arm" },
		{ "armv6l", "arm" },    { "ppc64le", "ppc64-le" }, { "ppc64", "ppc64" }, { "riscv64", "riscv64" },
		{ "s390x", "s390x" },   { "mips64", "mips64" },  { "loongarch64", "loongarch64" },
	};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (!strcmp(m, map[i].uname))
			return map[i].systemd;
	return m;
}

/* A base directory: the system one as root, else $XDG_var or ~/suffix. */
static void base_dir(struct out *o, const char *system, const char *xdg, const char *home_suffix)
{
	if (geteuid() == 0) {
		adds(o, system);
		return;
	}
	const char *v = xdg ? getenv(xdg) : NULL;
	if (v && v[0] == '/') {
		adds(o, v);
		return;
	}
	const char *h = getenv("HOME");
	adds(o, h && *h ? h : "/");
	adds(o, home_suffix);
}

static int user_info(char which, struct out *o, char *why, size_t whylen)
{
	uid_t uid = geteuid();
	char buf[4096];
	if (which == 'U') {
		snprintf(buf, sizeof buf, "%u", (unsigned)uid);
		adds(o, buf);
		return 0;
	}
	if (which == 'G') {
		snprintf(buf, sizeof buf, "%u", (unsigned)getegid());
		adds(o, buf);
		return 0;
	}
	if (which == 'g') {
		struct group gr, *grp = NULL;
		if (getgrgid_r(getegid(), &gr, buf, sizeof buf, &grp) != 0 || !grp) {
			snprintf(why, whylen, "%%g: group %u has no name", (unsigned)getegid());
			return -EINVAL;
		}
		adds(o, grp->gr_name);
		return 0;
	}
	struct passwd pw, *pwp = NULL;
	if (getpwuid_r(uid, &pw, buf, sizeof buf, &pwp) != 0 || !pwp) {
		if (which == 'h' && getenv("HOME")) {
			adds(o, getenv("HOME"));
			return 0;
		}
		snprintf(why, whylen, "%%%c: user %u is not in the user database", which, (unsigned)uid);
		return -EINVAL;
	}
	adds(o, which == 'u' ? pwp->pw_name : which == 'h' ? pwp->pw_dir : pwp->pw_shell);
	return 0;
}

bool spec_per_instance(const char *in)
{
	for (const char *p = strchr(in, '%'); p && p[1]; p = strchr(p + 2, '%'))
		if (strchr("nNiIfd", p[1]))
			return true;
	return false;
}

int spec_expand(const char *name, const char *path, const char *in, char **out, char *why, size_t whylen)
{
	*out = NULL;
	if (!strchr(in, '%'))
		return 0;

	/* name = PREFIX[@INSTANCE].SUFFIX */
	const char *dot = strrchr(name, '.');
	size_t stem = dot ? (size_t)(dot - name) : strlen(name);
	const char *at = memchr(name, '@', stem);
	size_t prefix_len = at ? (size_t)(at - name) : stem;
	const char *inst = at ? at + 1 : name + stem;
	size_t inst_len = at ? stem - prefix_len - 1 : 0;
	const char *dash = NULL;
	for (const char *p = name; p < name + prefix_len; p++)
		if (*p == '-')
			dash = p;
	const char *last = dash ? dash + 1 : name;
	size_t last_len = prefix_len - (size_t)(last - name);

	struct out o = { 0 };
	struct utsname un;
	char buf[512];
	int r = 0;
	for (const char *p = in; *p && r == 0; p++) {
		if (*p != '%') {
			const char *q = strchr(p, '%');
			size_t n = q ? (size_t)(q - p) : strlen(p);
			add(&o, p, n);
			p += n - 1;
			continue;
		}
		char c = *++p;
		switch (c) {
		case '%': add(&o, "%", 1); break;
		case 'n': adds(&o, name); break;
		case 'N': add(&o, name, stem); break;
		case 'p': add(&o, name, prefix_len); break;
		case 'P': add_unescaped(&o, name, prefix_len); break;
		case 'i': add(&o, inst, inst_len); break;
		case 'I': add_unescaped(&o, inst, inst_len); break;
		case 'j': add(&o, last, last_len); break;
		case 'J': add_unescaped(&o, last, last_len); break;
		case 'f':
			add(&o, "/", 1);
			if (inst_len)
				add_unescaped(&o, inst, inst_len);
			else
				add_unescaped(&o, name, prefix_len);
			break;
		case 'y': adds(&o, path); break;
		case 'Y': {
			const char *slash = strrchr(path, '/');
			if (slash && slash != path)
				add(&o, path, (size_t)(slash - path));
			else
				adds(&o, slash ? "/" : ".");
			break;
		}
		case 't':
			if (geteuid() != 0 && !(getenv("XDG_RUNTIME_DIR") && getenv("XDG_RUNTIME_DIR")[0] == '/')) {
				snprintf(buf, sizeof buf, "/run/user/%u", (unsigned)geteuid());
				adds(&o, buf);
			} else {
				base_dir(&o, "/run", "XDG_RUNTIME_DIR", "");
			}
			break;
		case 'S': base_dir(&o, "/var/lib", "XDG_STATE_HOME", "/.local/state"); break;
		case 'C': base_dir(&o, "/var/cache", "XDG_CACHE_HOME", "/.cache"); break;
		case 'L':
			base_dir(&o, "/var/log", "XDG_STATE_HOME", "/.local/state");
			if (geteuid() != 0)
				adds(&o, "/log");
			break;
		case 'E': base_dir(&o, "/etc", "XDG_CONFIG_HOME", "/.config"); break;
		case 'T':
		case 'V': {
			const char *t = getenv("TMPDIR");
			adds(&o, t && t[0] == '/' ? t : c == 'T' ? "/tmp" : "/var/tmp");
			break;
		}
		case 'u':
		case 'U':
		case 'g':
		case 'G':
		case 'h':
		case 's':
			r = user_info(c, &o, why, whylen);
			break;
		case 'H':
		case 'l':
		case 'q':
			buf[0] = '\0';
			if (c == 'q') {
				FILE *fp = fopen("/etc/machine-info", "re");
				char line[512];
				while (fp && fgets(line, sizeof line, fp)) {
					if (!strncmp(line, "PRETTY_HOSTNAME=", 16)) {
						char *v = line + 16;
						v[strcspn(v, "\n")] = '\0';
						size_t vl = strlen(v);
						if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"') {
							v[vl - 1] = '\0';
							v++;
						}
						snprintf(buf, sizeof buf, "%s", v);
					}
				}
				if (fp)
					fclose(fp);
			}
			if (!buf[0] && gethostname(buf, sizeof buf - 1) < 0) {
				snprintf(why, whylen, "%%%c: no host name: %s", c, strerror(errno));
				r = -EINVAL;
				break;
			}
			buf[sizeof buf - 1] = '\0';
			if (c == 'l')
				buf[strcspn(buf, ".")] = '\0';
			adds(&o, buf);
			break;
		case 'm':
			if (!spec_first_line("/etc/machine-id", buf, sizeof buf)) {
				snprintf(why, whylen, "%%m: no machine ID (/etc/machine-id)");
				r = -EINVAL;
				break;
			}
			adds(&o, buf);
			break;
		case 'b':
			if (!spec_first_line("/proc/sys/kernel/random/boot_id", buf, sizeof buf)) {
				snprintf(why, whylen, "%%b: no boot ID");
				r = -EINVAL;
				break;
			}
			for (const char *q = buf; *q; q++)
				if (*q != '-')
					add(&o, q, 1);
			break;
		case 'v':
		case 'a':
			if (uname(&un) < 0) {
				snprintf(why, whylen, "%%%c: uname: %s", c, strerror(errno));
				r = -EINVAL;
				break;
			}
			adds(&o, c == 'v' ? un.release : spec_arch_name(un.machine));
			break;
		case 'o':
		case 'w':
		case 'W':
		case 'B':
		case 'A':
		case 'M':
			os_release(c == 'o' ? "ID" : c == 'w' ? "VERSION_ID" : c == 'W' ? "VARIANT_ID" :
				   c == 'B' ? "BUILD_ID" : c == 'A' ? "IMAGE_VERSION" : "IMAGE_ID", buf, sizeof buf);
			adds(&o, buf);
			break;
		case 'd':
			if (creds_dir(name, buf, sizeof buf) < 0) {
				snprintf(why, whylen, "%%d: no runtime directory to hold credentials");
				r = -EINVAL;
				break;
			}
			adds(&o, buf);
			break;
		case '\0':
			snprintf(why, whylen, "a lone %% at the end (write %%%% for a %%)");
			r = -EINVAL;
			p--; /* stop at the terminator */
			break;
		default:
			if ((unsigned char)c >= 0x20 && (unsigned char)c < 0x7f)
				snprintf(why, whylen, "unknown specifier %%%c (write %%%% for a %%)", c);
			else
				snprintf(why, whylen, "unknown specifier %% followed by byte 0x%02x", (unsigned char)c);
			r = -EINVAL;
			break;
		}
	}
	if (r == 0 && o.oom)
		r = -ENOMEM;
	if (r < 0) {
		free(o.p);
		return r;
	}
	if (!o.p) { /* everything resolved to nothing */
		o.p = strdup("");
		if (!o.p)
			return -ENOMEM;
	}
	*out = o.p;
	return 1;
}
