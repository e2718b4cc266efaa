/*
 * execplan.c - see execplan.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/capability.h>

#include "creds.h"
#include "dynuser.h"
#include "envfile.h"
#include "execdirs.h"
#include "execplan.h"
#include "privtmp.h"
#include "fdstore.h"
#include "logpipe.h"
#include "openfile.h"
#include "sockunit.h"
#include "service.h"
#include "svc_notify.h"
#include "sysfilter.h"
#include "tty.h"
#include "userns.h"

char execplan_notify_socket[108];

struct strvec {
	char **v;
	size_t n, cap;
	int oom;
};

static void vec_push(struct strvec *s, char *str)
{
	if (!str) {
		s->oom = 1;
		return;
	}
	if (s->n + 2 > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		char **nv = realloc(s->v, cap * sizeof *nv);
		if (!nv) {
			free(str);
			s->oom = 1;
			return;
		}
		s->v = nv;
		s->cap = cap;
	}
	s->v[s->n++] = str;
	s->v[s->n] = NULL;
}

static void vec_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

/* Set NAME=value in the vector, replacing an earlier assignment. */
static void env_set(struct strvec *e, char *assign)
{
	if (!assign) {
		e->oom = 1;
		return;
	}
	size_t klen = strcspn(assign, "=");
	for (size_t i = 0; i < e->n; i++) {
		if (strncmp(e->v[i], assign, klen) == 0 && e->v[i][klen] == '=') {
			free(e->v[i]);
			e->v[i] = assign;
			return;
		}
	}
	vec_push(e, assign);
}

/* systemd's $SERVICE_RESULT, $EXIT_CODE and $EXIT_STATUS. */
static void result_env(const struct service *s, struct strvec *env)
{
	enum svc_result r = s->result;
	env_set(env, xasprintf("SERVICE_RESULT=%s", r == RES_EXEC ? "exit-code" : svc_result_name(r)));
	if (!s->main_ended)
		return;
	int st = s->wait_status;
	if (WIFEXITED(st)) {
		env_set(env, strdup("EXIT_CODE=exited"));
		env_set(env, xasprintf("EXIT_STATUS=%d", WEXITSTATUS(st)));
	} else if (WIFSIGNALED(st)) {
		const char *name = sigabbrev_np(WTERMSIG(st));
		env_set(env, strdup(WCOREDUMP(st) ? "EXIT_CODE=dumped" : "EXIT_CODE=killed"));
		env_set(env, name ? xasprintf("EXIT_STATUS=%s", name) : xasprintf("EXIT_STATUS=%d", WTERMSIG(st)));
	}
}

static int envfile_set(void *ctx, char *assign)
{
	struct strvec *e = ctx;
	env_set(e, assign);
	return e->oom ? -ENOMEM : 0;
}

/* UnsetEnvironment=: NAME removes the variable, NAME=VALUE only that
 * assignment. The unit's marker stays (it is how its processes are found). */
static void env_unset(struct strvec *e, const char *spec)
{
	size_t klen = strcspn(spec, "=");
	bool exact = spec[klen] == '=';
	if (klen == sizeof "SUPERVISORD_UNIT" - 1 && !strncmp(spec, "SUPERVISORD_UNIT", klen))
		return;
	for (size_t i = 0; i < e->n; i++) {
		if (exact ? strcmp(e->v[i], spec) : strncmp(e->v[i], spec, klen) || e->v[i][klen] != '=')
			continue;
		free(e->v[i]);
		memmove(&e->v[i], &e->v[i + 1], (e->n - i) * sizeof e->v[0]); /* the NULL too */
		e->n--;
		return;
	}
}

static const char *env_get(char *const *envp, const char *name, size_t nlen)
{
	for (; envp && *envp; envp++)
		if (strncmp(*envp, name, nlen) == 0 && (*envp)[nlen] == '=')
			return *envp + nlen + 1;
	return NULL;
}

static int is_var_char(char c, int first)
{
	return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (!first && c >= '0' && c <= '9');
}

/* A string buffer for building one expanded word. */
struct sbuf {
	char *p;
	size_t n, cap;
	int oom;
};

static void sb_add(struct sbuf *b, const char *s, size_t len)
{
	if (b->oom)
		return;
	if (b->n + len + 1 > b->cap) {
		size_t cap = (b->n + len + 1) * 2;
		char *np = realloc(b->p, cap);
		if (!np) {
			b->oom = 1;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, len);
	b->n += len;
	b->p[b->n] = '\0';
}

/*
 * systemd's rules: "${FOO}" is replaced inline, as one word; a word that is
 * exactly "$FOO" is replaced by the value split on whitespace into several
 * words (none when empty or unset); "$$" is a literal "$".
 */
char **execplan_expand_argv(char *const *argv, char *const *envp)
{
	struct strvec out = { 0 };
	for (char *const *a = argv; a && *a; a++) {
		const char *w = *a;
		if (w[0] == '$' && is_var_char(w[1], 1)) {
			size_t k = 1;
			while (is_var_char(w[k], 0))
				k++;
			if (w[k] == '\0') {
				const char *v = env_get(envp, w + 1, k - 1);
				while (v && *v) {
					v += strspn(v, " \t\n");
					size_t l = strcspn(v, " \t\n");
					if (l)
						vec_push(&out, strndup(v, l));
					v += l;
				}
				continue;
			}
		}
		struct sbuf b = { 0 };
		sb_add(&b, "", 0);
		for (const char *p = w; *p;) {
			if (p[0] == '$' && p[1] == '$') {
				sb_add(&b, "$", 1);
				p += 2;
			} else if (p[0] == '$' && p[1] == '{') {
				const char *end = strchr(p + 2, '}');
				if (!end) {
					sb_add(&b, p, strlen(p));
					break;
				}
				const char *v = env_get(envp, p + 2, (size_t)(end - p - 2));
				if (v)
					sb_add(&b, v, strlen(v));
				p = end + 1;
			} else {
				/* "$VAR" inside a word is left alone, as systemd does. */
				size_t l = strcspn(p + 1, "$") + 1;
				sb_add(&b, p, l);
				p += l;
			}
		}
		if (b.oom) {
			free(b.p);
			out.oom = 1;
		} else {
			vec_push(&out, b.p);
		}
	}
	if (out.oom || !out.v) {
		if (!out.oom && !out.v) {
			/* empty argv: keep an empty vector */
			out.v = calloc(1, sizeof *out.v);
			if (out.v)
				return out.v;
		}
		vec_free(out.v);
		return NULL;
	}
	return out.v;
}

static int add_fd(struct exec_plan *p, size_t *cap, int fd, const char *name)
{
	if (p->nfds + 1 > *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		int *nf = realloc(p->fds, nc * sizeof *nf);
		if (!nf)
			return -ENOMEM;
		p->fds = nf;
		char **nn = realloc(p->fdnames, nc * sizeof *nn);
		if (!nn)
			return -ENOMEM;
		p->fdnames = nn;
		*cap = nc;
	}
	p->fds[p->nfds] = fd;
	p->fdnames[p->nfds] = (char *)name;
	p->nfds++;
	return 0;
}

static int collect_fds(struct unit *u, struct exec_plan *p, char *err, size_t errlen)
{
	struct service *s = &u->svc;
	size_t cap = 0;
	int r;
	for (size_t i = 0; i < s->n_sockets; i++) {
		struct sockunit *su = &s->sockets[i]->sock;
		for (size_t j = 0; j < su->n; j++) {
			if (su->l[j].fd < 0)
				continue;
			if ((r = add_fd(p, &cap, su->l[j].fd, sockunit_fdname(s->sockets[i]))) < 0)
				goto oom;
		}
	}
	p->nsocket_fds = p->nfds;
	for (struct fdstore_entry *e = s->fdstore; e; e = e->next)
		if ((r = add_fd(p, &cap, e->fd, e->name)) < 0)
			goto oom;
	const struct svc_conf *c = &u->conf->svc;
	for (size_t i = 0; i < c->n_open_files; i++) {
		char why[256];
		int fd = openfile_open(&c->open_files[i], why, sizeof why);
		if (fd < 0) {
			if (c->open_files[i].flags & OPENFILE_GRACEFUL)
				continue;
			snprintf(err, errlen, "OpenFile=%s: %s", c->open_files[i].path, why);
			return fd;
		}
		int *no = realloc(p->owned, (p->nowned + 1) * sizeof *no);
		if (!no) {
			close(fd);
			goto oom;
		}
		p->owned = no;
		p->owned[p->nowned++] = fd; /* now owned by the plan */
		if ((r = add_fd(p, &cap, fd, c->open_files[i].fdname)) < 0)
			goto oom;
	}
	return 0;
oom:
	snprintf(err, errlen, "descriptors: %s", strerror(ENOMEM));
	return -ENOMEM;
}

/* DynamicUser=: the IDs of c->user, a name no static user has; the
 * owner of its private state, cache or logs directory is the number it
 * prefers. */
static int dynamic_ids(const struct svc_conf *c, uid_t *uid, char *err, size_t errlen)
{
	static const enum conf_execdir kinds[] = { EXECDIR_STATE, EXECDIR_CACHE, EXECDIR_LOGS };
	char paths[4][4096];
	const char *hints[5] = { NULL };
	size_t n = 0;
	for (size_t k = 0; k < 3 && n < 4; k++)
		for (size_t i = 0; i < c->n_exec_dirs[kinds[k]] && n < 4; i++)
			if (execdirs_path(kinds[k], "private", c->exec_dirs[kinds[k]][i], paths[n], sizeof paths[n]) == 0) {
				hints[n] = paths[n];
				n++;
			}
	return dynuser_acquire(c->user, hints, uid, err, errlen);
}

/* User= and Group= as IDs into *uid and *gid (0 where not given), the
 * user's entry in *pwp when he has one (pw and buf hold it), *dyn when
 * he is DynamicUser='s own: his IDs acquired (acquire) or only looked up
 * in their record. -ESRCH (or dynuser_acquire's error) with err set when
 * a name has no IDs; *uid and *gid hold what was found by then. */
static int user_ids(const struct svc_conf *c, bool acquire, struct passwd *pw, char *buf, size_t buflen,
		    struct passwd **pwp, uid_t *uid, gid_t *gid, bool *dyn, char *err, size_t errlen)
{
	*pwp = NULL;
	*uid = 0;
	*gid = 0;
	*dyn = false;
	if (c->user) {
		char *end;
		unsigned long n = strtoul(c->user, &end, 10);
		if (*c->user && !*end) {
			*uid = (uid_t)n;
			getpwuid_r(*uid, pw, buf, buflen, pwp);
		} else {
			getpwnam_r(c->user, pw, buf, buflen, pwp);
			/* DynamicUser=: a static user of the name is used as
			 * it is (systemd); else the name gets IDs of its own. */
			if (*pwp) {
				*uid = (*pwp)->pw_uid;
			} else if (c->dynamic_user && acquire) {
				int r = dynamic_ids(c, uid, err, errlen);
				if (r < 0)
					return r;
			} else if (!c->dynamic_user || dynuser_lookup(c->user, uid) < 0) {
				snprintf(err, errlen, "User=%s: no such user", c->user);
				return -ESRCH;
			}
			*dyn = !*pwp;
		}
		*gid = *pwp ? (*pwp)->pw_gid : (gid_t)*uid;
	}
	/* A dynamic user's own group has its number (set above). */
	if (c->group && !(*dyn && !strcmp(c->group, c->user))) {
		char gbuf[16384], *end;
		struct group gr, *grp = NULL;
		unsigned long n = strtoul(c->group, &end, 10);
		if (*c->group && !*end) {
			*gid = (gid_t)n;
		} else {
			getgrnam_r(c->group, &gr, gbuf, sizeof gbuf, &grp);
			if (!grp) {
				snprintf(err, errlen, "Group=%s: no such group", c->group);
				return -ESRCH;
			}
			*gid = grp->gr_gid;
		}
	}
	return 0;
}

void execplan_run_ids(const struct svc_conf *c, uid_t *uid, gid_t *gid)
{
	char buf[16384], err[256];
	struct passwd pw, *pwp;
	bool dyn;
	user_ids(c, false, &pw, buf, sizeof buf, &pwp, uid, gid, &dyn, err, sizeof err);
}

static int resolve_user(const struct svc_conf *c, struct exec_plan *p, struct strvec *env,
			char *err, size_t errlen)
{
	if (!c->user && !c->group && !c->n_supplementary_groups)
		return 0;
	if (geteuid() != 0) {
		snprintf(err, errlen, "User=/Group=/SupplementaryGroups= need the daemon to run as root");
		return -EPERM;
	}
	char buf[16384];
	struct passwd pw, *pwp;
	struct group gr, *grp = NULL;
	uid_t uid;
	gid_t gid;
	bool dyn;
	int r = user_ids(c, true, &pw, buf, sizeof buf, &pwp, &uid, &gid, &dyn, err, errlen);
	if (r < 0)
		return r;
	if (pwp) {
		env_set(env, xasprintf("USER=%s", pwp->pw_name));
		env_set(env, xasprintf("LOGNAME=%s", pwp->pw_name));
		env_set(env, xasprintf("HOME=%s", pwp->pw_dir));
		env_set(env, xasprintf("SHELL=%s", pwp->pw_shell));
	} else if (dyn) { /* what systemd's nss-systemd says of one */
		env_set(env, xasprintf("USER=%s", c->user));
		env_set(env, xasprintf("LOGNAME=%s", c->user));
		env_set(env, xasprintf("HOME=/"));
		env_set(env, xasprintf("SHELL=/usr/sbin/nologin"));
	}
	int ng = 64;
	p->groups = calloc((size_t)ng, sizeof *p->groups);
	if (!p->groups)
		return -ENOMEM;
	if (pwp) {
		if (getgrouplist(pwp->pw_name, gid, p->groups, &ng) < 0) {
			gid_t *g = realloc(p->groups, (size_t)ng * sizeof *g);
			if (!g)
				return -ENOMEM;
			p->groups = g;
			getgrouplist(pwp->pw_name, gid, p->groups, &ng);
		}
	} else {
		p->groups[0] = gid;
		ng = 1;
	}
	/* SupplementaryGroups=: added to those of User= (systemd). */
	if (c->n_supplementary_groups) {
		gid_t *g = realloc(p->groups, ((size_t)ng + c->n_supplementary_groups) * sizeof *g);
		if (!g)
			return -ENOMEM;
		p->groups = g;
		for (size_t i = 0; i < c->n_supplementary_groups; i++) {
			const char *name = c->supplementary_groups[i];
			char gbuf[16384], *end;
			unsigned long n = strtoul(name, &end, 10);
			if (*name >= '0' && *name <= '9' && !*end) {
				g[ng++] = (gid_t)n;
				continue;
			}
			getgrnam_r(name, &gr, gbuf, sizeof gbuf, &grp);
			if (!grp) {
				snprintf(err, errlen, "SupplementaryGroups=%s: no such group", name);
				return -ESRCH;
			}
			g[ng++] = grp->gr_gid;
		}
	}
	p->req.set_ids = true;
	p->req.uid = uid;
	p->req.gid = gid;
	p->req.groups = p->groups;
	p->req.ngroups = (size_t)ng;
	return 0;
}

static unsigned path_depth(const char *path)
{
	unsigned n = 0;
	for (const char *s = path; *s; s++)
		n += s[0] == '/' && s[1] && s[1] != '/';
	return n;
}

/* A copy of s the plan owns (freed with it); NULL when out of memory. */
static char *own_str(struct exec_plan *p, const char *s)
{
	char **np = realloc(p->mount_paths, (p->nmount_paths + 1) * sizeof *np);
	if (!np)
		return NULL;
	p->mount_paths = np;
	char *d = strdup(s);
	if (d)
		p->mount_paths[p->nmount_paths++] = d;
	return d;
}

static int add_mount(struct exec_plan *p, const char *path, unsigned char kind, bool optional, bool own)
{
	struct mount_op *nm = realloc(p->mounts, (p->nmounts + 1) * sizeof *nm);
	if (!nm)
		return -ENOMEM;
	p->mounts = nm;
	if (own && !(path = own_str(p, path)))
		return -ENOMEM;
	p->mounts[p->nmounts++] = (struct mount_op){ .path = path, .kind = kind, .optional = optional };
	return 0;
}

/* BindPaths=/BindReadOnlyPaths= entries: [-]SRC[:DEST[:rbind|norbind]]
 * (checked when the unit was read). */
static int add_binds(struct exec_plan *p, char *const *list, size_t n, unsigned char kind)
{
	for (size_t i = 0; i < n; i++) {
		bool optional = list[i][0] == '-';
		char *src = own_str(p, list[i] + optional), *dest, *opts = NULL;
		if (!src)
			return -ENOMEM;
		if ((dest = strchr(src, ':'))) {
			*dest++ = '\0';
			if ((opts = strchr(dest, ':')))
				*opts++ = '\0';
		}
		int r = add_mount(p, dest ? dest : src, kind, optional, false);
		if (r < 0)
			return r;
		p->mounts[p->nmounts - 1].source = src;
		p->mounts[p->nmounts - 1].recursive = !opts || strcmp(opts, "norbind") != 0;
	}
	return 0;
}

/* TemporaryFileSystem=PATH[:OPTIONS]: systemd's defaults (nodev,
 * strictatime, mode=0755), then the options: flag words become mount
 * flags, the rest goes to tmpfs (a later mode= wins). */
static int add_tmpfs(struct exec_plan *p, char *const *list, size_t n)
{
	static const struct {
		const char *name;
		unsigned long set, clr;
	} words[] = {
		{ "nosuid", MS_NOSUID, 0 }, { "suid", 0, MS_NOSUID },	    { "nodev", MS_NODEV, 0 },
		{ "dev", 0, MS_NODEV },	    { "noexec", MS_NOEXEC, 0 },	    { "exec", 0, MS_NOEXEC },
		{ "noatime", MS_NOATIME, MS_STRICTATIME }, { "strictatime", MS_STRICTATIME, MS_NOATIME },
	};
	for (size_t i = 0; i < n; i++) {
		char *path = own_str(p, list[i]), *opts;
		if (!path)
			return -ENOMEM;
		char data[4096] = "mode=0755";
		unsigned long flags = MS_NODEV | MS_STRICTATIME;
		bool ro = false;
		if ((opts = strchr(path, ':')))
			*opts++ = '\0';
		for (char *save = NULL, *w = opts ? strtok_r(opts, ",", &save) : NULL; w; w = strtok_r(NULL, ",", &save)) {
			size_t k = 0;
			while (k < sizeof words / sizeof words[0] && strcmp(w, words[k].name) != 0)
				k++;
			if (k < sizeof words / sizeof words[0])
				flags = (flags | words[k].set) & ~words[k].clr;
			else if (!strcmp(w, "ro") || !strcmp(w, "rw"))
				ro = w[1] == 'o';
			else if (strlen(data) + 1 + strlen(w) < sizeof data)
				strcat(strcat(data, ","), w);
			else
				return -E2BIG;
		}
		const char *d = own_str(p, data);
		int r = d ? add_mount(p, path, MOP_TMPFS, false, false) : -ENOMEM;
		if (r < 0)
			return r;
		p->mounts[p->nmounts - 1].data = d;
		p->mounts[p->nmounts - 1].flags = flags;
		p->mounts[p->nmounts - 1].ro = ro;
	}
	return 0;
}

/* Every path of a NULL-terminated list, optional (missing is fine). */
static int add_fixed(struct exec_plan *p, const char *const *paths, unsigned char kind)
{
	int r = 0;
	for (const char *const *s = paths; !r && *s; s++)
		r = add_mount(p, *s, kind, true, false);
	return r;
}

/* The paths of a *Paths= setting: optional when written with "-". */
static int add_listed(struct exec_plan *p, char *const *paths, size_t n, unsigned char kind)
{
	int r = 0;
	for (size_t i = 0; !r && i < n; i++) {
		const char *s = paths[i];
		r = add_mount(p, s[0] == '-' ? s + 1 : s, kind, s[0] == '-', false);
	}
	return r;
}

/* DynamicUser=: BASE/private (0700 on the host) seen as an empty tmpfs
 * with only the unit's own directories bound into it, as systemd shows
 * it, so that the service reaches them (and nothing else there). */
static int add_private_dirs(const struct svc_conf *c, struct exec_plan *p)
{
	static const enum conf_execdir kinds[] = { EXECDIR_STATE, EXECDIR_CACHE, EXECDIR_LOGS };
	int r = 0;
	for (size_t k = 0; !r && k < 3; k++) {
		enum conf_execdir kind = kinds[k];
		char base[4096], path[4096];
		if (!c->n_exec_dirs[kind] || execdirs_base(kind, base, sizeof base) < 0)
			continue;
		snprintf(path, sizeof path, "%s/private", base);
		r = add_mount(p, path, MOP_EMPTY, false, true);
		for (size_t i = 0; !r && i < c->n_exec_dirs[kind]; i++) {
			if ((r = execdirs_path(kind, "private", c->exec_dirs[kind][i], path, sizeof path)) < 0 ||
			    (r = add_mount(p, path, MOP_BIND, false, true)) < 0)
				break;
			p->mounts[p->nmounts - 1].source = p->mounts[p->nmounts - 1].path;
			p->mounts[p->nmounts - 1].recursive = true;
		}
	}
	return r;
}

/* ProtectSystem=, ProtectHome=, ReadOnlyPaths=, ReadWritePaths= as mount
 * operations (systemd.exec(5)): read-only trees, writable exceptions
 * (ReadWritePaths=, and with strict the API file systems and the unit's
 * state, cache, logs and runtime directories) and ProtectHome='s cover,
 * applied outermost first, so the innermost setting of a path wins. */
static int build_restrictions(const struct svc_conf *c, struct exec_plan *p)
{
	static const char *const sys[] = { "/usr", "/boot", "/efi", NULL };
	static const char *const api[] = { "/dev", "/proc", "/sys", NULL };
	static const char *const home[] = { "/home", "/root", "/run/user", NULL };
	static const char *const hidepid[] = { "off", "noaccess", "invisible", "ptraceable" };
	int r = 0;
	/* ProtectProc=, ProcSubset=: a procfs of its own over /proc, before
	 * the operations on paths inside it (systemd's namespace.c). */
	if (c->protect_proc || c->proc_subset) {
		char data[64];
		snprintf(data, sizeof data, "hidepid=%s%s", hidepid[c->protect_proc], c->proc_subset ? ",subset=pid" : "");
		const char *d = own_str(p, data);
		r = d ? add_mount(p, "/proc", MOP_PROCFS, false, false) : -ENOMEM;
		if (!r)
			p->mounts[p->nmounts - 1].data = d;
	}
	if (!r && c->protect_system == 3)
		r = add_mount(p, "/", MOP_RO, false, false);
	if (!r && c->protect_system && c->protect_system < 3)
		r = add_fixed(p, sys, MOP_RO);
	if (!r && c->protect_system == 2)
		r = add_mount(p, "/etc", MOP_RO, true, false);
	if (!r)
		r = add_listed(p, c->read_only_paths, c->n_read_only_paths, MOP_RO);
	if (!r && c->protect_system == 3)
		r = add_fixed(p, api, MOP_RW);
	for (int k = 0; !r && c->protect_system == 3 && k < EXECDIR__MAX; k++) {
		bool oom = false;
		char *e = k == EXECDIR_CONFIGURATION ? NULL : execdirs_env(c, (enum conf_execdir)k, &oom);
		if (oom)
			return -ENOMEM;
		for (char *save = NULL, *d = e ? strtok_r(strchr(e, '=') + 1, ":", &save) : NULL; !r && d;
		     d = strtok_r(NULL, ":", &save))
			r = add_mount(p, d, MOP_RW, true, true);
		free(e);
	}
	if (!r)
		r = add_listed(p, c->read_write_paths, c->n_read_write_paths, MOP_RW);
	/* NoExecPaths=, then ExecPaths= (on the same path the latter wins). */
	if (!r)
		r = add_listed(p, c->noexec_paths, c->n_noexec_paths, MOP_NOEXEC);
	if (!r)
		r = add_listed(p, c->exec_paths, c->n_exec_paths, MOP_EXEC);
	if (!r && c->protect_home)
		r = add_fixed(p, home,
			      c->protect_home == 1 ? MOP_INACCESSIBLE : c->protect_home == 2 ? MOP_RO : MOP_EMPTY);
	/* ProtectKernelTunables=: systemd's tables (namespace.c). cgroupfs is
	 * left as it was under the read-only /sys, unless
	 * ProtectControlGroups= makes it read-only too. */
	static const char *const tun_ro[] = { "/proc/acpi", "/proc/apm", "/proc/asound", "/proc/bus", "/proc/fs",
					      "/proc/irq", "/proc/latency_stats", "/proc/mtrr", "/proc/scsi",
					      "/proc/sys", "/proc/sysrq-trigger", "/proc/timer_stats", "/sys", NULL };
	static const char *const tun_hide[] = { "/proc/kallsyms", "/proc/kcore", "/sys/fs/bpf", "/sys/kernel/debug",
						"/sys/kernel/tracing", NULL };
	static const char *const modules[] = { "/lib/modules", "/usr/lib/modules", NULL };
	static const char *const logs[] = { "/proc/kmsg", "/dev/kmsg", NULL };
	if (!r && c->protect_kernel_tunables)
		r = add_fixed(p, tun_ro, MOP_RO);
	if (!r && c->protect_kernel_tunables)
		r = add_fixed(p, tun_hide, MOP_INACCESSIBLE);
	if (!r && (c->protect_control_groups || c->protect_kernel_tunables))
		r = add_mount(p, "/sys/fs/cgroup", c->protect_control_groups ? MOP_RO : MOP_KEEP, true, false);
	if (!r && c->protect_kernel_modules)
		r = add_fixed(p, modules, MOP_INACCESSIBLE);
	if (!r && c->protect_kernel_logs)
		r = add_fixed(p, logs, MOP_INACCESSIBLE);
	if (!r)
		r = add_listed(p, c->inaccessible_paths, c->n_inaccessible_paths, MOP_INACCESSIBLE);
	if (!r && c->dynamic_user)
		r = add_private_dirs(c, p);
	return r;
}

/* The restrictions (not for a '+' command), then what the unit adds to
 * its view: TemporaryFileSystem=, BindPaths=, BindReadOnlyPaths= (for
 * every command: systemd compiles them whatever the prefix). */
static int build_mounts(const struct svc_conf *c, struct exec_plan *p, bool full)
{
	int r = full ? 0 : build_restrictions(c, p);
	if (!r)
		r = add_tmpfs(p, c->temporary_fs, c->n_temporary_fs);
	if (!r)
		r = add_binds(p, c->bind_paths, c->n_bind_paths, MOP_BIND);
	if (!r)
		r = add_binds(p, c->bind_ro_paths, c->n_bind_ro_paths, MOP_BIND_RO);
	/* Outer paths first (a stable sort by depth): an operation on a
	 * tree must not undo one made on a path inside it. */
	for (size_t i = 1; !r && i < p->nmounts; i++) {
		struct mount_op m = p->mounts[i];
		size_t j = i;
		for (; j > 0 && path_depth(p->mounts[j - 1].path) > path_depth(m.path); j--)
			p->mounts[j] = p->mounts[j - 1];
		p->mounts[j] = m;
	}
	return r;
}

static int own_fd(struct exec_plan *p, int fd)
{
	int *no = realloc(p->owned, (p->nowned + 1) * sizeof *no);
	if (!no) {
		close(fd);
		return -ENOMEM;
	}
	p->owned = no;
	p->owned[p->nowned++] = fd; /* now owned by the plan */
	return fd;
}

/* A file for stdio (file:, append:, truncate:), or the AF_UNIX stream
 * socket at that path, as systemd's acquire_path: opened without blocking
 * (a FIFO without its other end must not stall the daemon), then made
 * blocking for the program. */
static int open_stdio_path(const char *path, int flags)
{
	int fd = open(path, flags | O_NOCTTY | O_CLOEXEC | O_NONBLOCK, 0644);
	if (fd < 0 && errno == ENXIO && strlen(path) < sizeof(((struct sockaddr_un *)0)->sun_path)) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		strcpy(sa.sun_path, path);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
			close(fd);
			errno = ENXIO; /* the error of the open, not of this guess */
			return -errno;
		}
		int acc = flags & O_ACCMODE;
		if (acc != O_RDWR)
			shutdown(fd, acc == O_RDONLY ? SHUT_WR : SHUT_RD);
		return fd;
	}
	if (fd < 0)
		return -errno;
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	return fd;
}

/* StandardInput=/Output=/Error=fd:NAME: the descriptor of that name among
 * those the main process is passed, or for another process among the
 * service's sockets and fd store (systemd fails such a process instead).
 * Made blocking, as systemd does before handing it over. */
static int named_fd(struct unit *u, const struct exec_plan *p, const char *name, char *err, size_t errlen)
{
	const struct service *s = &u->svc;
	int fd = -1;
	for (size_t i = 0; fd < 0 && i < p->nfds; i++)
		if (strcmp(p->fdnames[i], name) == 0)
			fd = p->fds[i];
	for (size_t i = 0; fd < 0 && i < s->n_sockets; i++) {
		const struct sockunit *su = &s->sockets[i]->sock;
		for (size_t j = 0; fd < 0 && j < su->n; j++)
			if (su->l[j].fd >= 0 && strcmp(sockunit_fdname(s->sockets[i]), name) == 0)
				fd = su->l[j].fd;
	}
	for (const struct fdstore_entry *e = s->fdstore; fd < 0 && e; e = e->next)
		if (strcmp(e->name, name) == 0)
			fd = e->fd;
	if (fd < 0) {
		snprintf(err, errlen, "fd:%s: the service is passed no descriptor of that name", name);
		return -ENOENT;
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0 && (fl & O_NONBLOCK))
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	return fd;
}

/* How stdin relates to the terminal: not at all, the main process acquires
 * it in the child, or another process of a unit whose stdin is a
 * terminal (its stdin is /dev/null; outputs that follow stdin write to the
 * terminal). */
enum tty_in { TTY_IN_NONE, TTY_IN_ACQUIRED, TTY_IN_OTHER };

/* The descriptor for one output setting; -1 means /dev/null in the child
 * only for stdin, so /dev/null is opened here when asked for. */
static int output_fd(struct unit *u, struct exec_plan *p, enum std_output mode, const char *path, int stdin_fd,
		     enum tty_in tty_in, char *err, size_t errlen)
{
	const char *tty = conf_svc_tty_path(&u->conf->svc);
	int fd;
	switch (mode) {
	case STDOUT_UNSET:
	case STDOUT_JOURNAL:
		/* Accept=yes instances write to their template's log. */
		fd = logpipe_writer(u->svc.timer.loop, u->template_unit ? u->template_unit : u);
		if (fd < 0)
			snprintf(err, errlen, "log pipe: %s", strerror(-fd));
		return fd;
	case STDOUT_SOCKET:
	case STDOUT_INHERIT:
		if (tty_in != TTY_IN_NONE)
			goto tty;
		if (stdin_fd >= 0)
			return stdin_fd;
		__attribute__((fallthrough)); /* stdin is /dev/null */
	case STDOUT_NULL:
		fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (fd < 0) {
			int e = errno;
			snprintf(err, errlen, "/dev/null: %s", strerror(e));
			return -e;
		}
		break;
	case STDOUT_FD:
		return named_fd(u, p, path, err, errlen); /* the socket's or the store's, not the plan's */
	case STDOUT_TTY:
	tty:
		if (tty_in == TTY_IN_ACQUIRED)
			return SPAWN_STDIO_TTY; /* the terminal the child makes its own */
		/* Written to, not taken: systemd does not reset it for that. */
		if ((fd = tty_open_output(tty)) < 0) {
			snprintf(err, errlen, "tty %s: %s", tty, strerror(-fd));
			return fd;
		}
		break;
	case STDOUT_FILE:
	case STDOUT_APPEND:
	case STDOUT_TRUNCATE:
		/* As systemd: file: writes from the start over what is there,
		 * append: at the end, truncate: into an emptied file. */
		fd = open_stdio_path(path, O_WRONLY | O_CREAT | (mode == STDOUT_APPEND ? O_APPEND : 0) |
						   (mode == STDOUT_TRUNCATE ? O_TRUNC : 0));
		if (fd < 0) {
			snprintf(err, errlen, "%s %s: %s",
				 mode == STDOUT_APPEND ? "append:" : mode == STDOUT_TRUNCATE ? "truncate:" : "file:", path,
				 strerror(-fd));
			return fd;
		}
		break;
	default:
		return -EINVAL;
	}
	return own_fd(p, fd);
}

/* StandardInput=data: a sealed memfd holding StandardInputText= and
 * StandardInputData=, read from its start, as systemd's. */
static int data_fd(const struct svc_conf *c, char *err, size_t errlen)
{
	int fd = memfd_create("exec-input", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		goto fail;
	for (size_t off = 0; off < c->stdin_data_len;) {
		ssize_t n = write(fd, c->stdin_data + off, c->stdin_data_len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			errno = EIO;
		if (n <= 0)
			goto fail;
		off += (size_t)n;
	}
	if (lseek(fd, 0, SEEK_SET) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
		goto fail;
	return fd;
fail:;
	int e = errno;
	if (fd >= 0)
		close(fd);
	snprintf(err, errlen, "standard input data: %s", strerror(e));
	return -e;
}

/*
 * stdin, stdout and stderr as systemd sets them: stdin is /dev/null, the
 * Accept=yes connection (StandardInput=socket), a file, the data of
 * StandardInputText=, or for the main process the terminal, which the
 * child acquires (tty.h); stdout by default goes to the journal -- here
 * the daemon's log pipe -- or, with a connection or a terminal as stdin, to
 * that; "inherit" means stdin's descriptor; stderr by default goes
 * wherever stdout goes.
 */
static int setup_stdio(struct unit *u, struct exec_plan *p, bool main_process, char *err, size_t errlen)
{
	const struct svc_conf *c = &u->conf->svc;
	int in = -1;
	enum tty_in tty_in = TTY_IN_NONE;
	switch (c->std_input) {
	case STDIN_SOCKET:
		in = u->svc.conn_fd; /* -1 without one: /dev/null */
		break;
	case STDIN_FILE: {
		/* Read and written when an output names the same file. */
		bool rw = (c->std_output == STDOUT_FILE && strcmp(c->std_input_path, c->std_output_path) == 0) ||
			  (c->std_error == STDOUT_FILE && strcmp(c->std_input_path, c->std_error_path) == 0);
		if ((in = open_stdio_path(c->std_input_path, rw ? O_RDWR | O_CREAT : O_RDONLY)) < 0) {
			snprintf(err, errlen, "file:%s: %s", c->std_input_path, strerror(-in));
			return in;
		}
		if ((in = own_fd(p, in)) < 0)
			return in;
		break;
	}
	case STDIN_DATA:
		if ((in = data_fd(c, err, errlen)) < 0 || (in = own_fd(p, in)) < 0)
			return in;
		break;
	case STDIN_FD:
		if ((in = named_fd(u, p, c->std_input_path, err, errlen)) < 0)
			return in;
		break;
	case STDIN_TTY:
	case STDIN_TTY_FORCE:
	case STDIN_TTY_FAIL:
		tty_in = main_process ? TTY_IN_ACQUIRED : TTY_IN_OTHER;
		break;
	case STDIN_NULL:
		break;
	}
	if (main_process && conf_svc_uses_tty(c) && (tty_in || c->tty_reset || c->tty_vhangup)) {
		p->req.tty_path = conf_svc_tty_path(c);
		p->req.tty_acquire = tty_in == TTY_IN_ACQUIRED;
		p->req.tty_mode = c->std_input == STDIN_TTY_FORCE ? TTY_FORCE
				  : c->std_input == STDIN_TTY_FAIL ? TTY_TRY
								   : TTY_WAIT;
		p->req.tty_hangup = c->tty_vhangup;
		p->req.tty_reset = c->tty_reset;
		p->req.tty_chown = tty_in && p->req.set_ids;
	}
	enum std_output om = c->std_output;
	if (om == STDOUT_UNSET && (((c->std_input == STDIN_SOCKET || c->std_input == STDIN_FD) && in >= 0) || tty_in))
		om = STDOUT_INHERIT;
	int out = output_fd(u, p, om, c->std_output_path, in, tty_in, err, errlen);
	if (out < 0 && out != SPAWN_STDIO_TTY)
		return out;
	int er;
	if (c->std_error == STDOUT_UNSET || c->std_error == STDOUT_INHERIT)
		er = out;
	else if ((er = output_fd(u, p, c->std_error, c->std_error_path, in, tty_in, err, errlen)) < 0 &&
		 er != SPAWN_STDIO_TTY)
		return er;
	p->req.stdin_fd = in;
	p->req.stdout_fd = out;
	p->req.stderr_fd = er;
	return 0;
}

/* Find the placeholder we put after "NAME=" and return a pointer to it. */
static char *pid_slot(char **envp, const char *prefix)
{
	size_t l = strlen(prefix);
	for (char **e = envp; e && *e; e++)
		if (strncmp(*e, prefix, l) == 0)
			return *e + l;
	return NULL;
}

int execplan_build(struct unit *u, const struct exec_cmd *cmd, unsigned flags, struct exec_plan *p, char *err,
		   size_t errlen)
{
	bool main_process = flags & EXECPLAN_MAIN;
	const struct svc_conf *c = &u->conf->svc;
	struct strvec env = { 0 };
	int r;
	memset(p, 0, sizeof *p);
	p->req.stdin_fd = p->req.stdout_fd = p->req.stderr_fd = -1;

	env_set(&env, strdup("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"));
	const char *lang = getenv("LANG");
	if (lang)
		env_set(&env, xasprintf("LANG=%s", lang));
	/* Names the unit in /proc/PID/environ: if a re-exec ever has to fall
	 * back to rescue mode, this is how it finds which child is whose. */
	env_set(&env, xasprintf("SUPERVISORD_UNIT=%s", u->name));
	if ((r = resolve_user(c, p, &env, err, errlen)) < 0)
		goto fail;
	/* '+': run with the daemon's full privileges (systemd.service(5)):
	 * User=/Group= and the sandboxing below do not apply to it (its
	 * directories still belong to User=). */
	bool full = cmd->flags & EXEC_FULL_PRIVILEGE;
	for (int k = 0; k < EXECDIR__MAX; k++) {
		if (c->n_exec_dirs[k] == 0)
			continue;
		if ((r = execdirs_prepare(c, u->name, p->req.set_ids, p->req.uid, p->req.gid, err, errlen)) < 0)
			goto fail;
		for (int j = 0; j < EXECDIR__MAX; j++) {
			bool oom = false;
			char *e = execdirs_env(c, (enum conf_execdir)j, &oom);
			if (e || oom)
				env_set(&env, e);
		}
		break;
	}
	/* Credentials belong to User= as the directories do, '+' or not. */
	if (c->n_credentials) {
		char dir[4096];
		if ((r = creds_prepare(c, u->name, p->req.set_ids, p->req.uid, p->req.gid, err, errlen)) < 0 ||
		    (r = creds_dir(u->name, dir, sizeof dir)) < 0)
			goto fail;
		env_set(&env, xasprintf("CREDENTIALS_DIRECTORY=%s", dir));
	}
	if (full)
		p->req.set_ids = false;
	if (!c->user && geteuid() != 0) {
		/* A user-mode daemon's services run as that user: give them a HOME. */
		const char *home = getenv("HOME");
		if (home)
			env_set(&env, xasprintf("HOME=%s", home));
	}
	/* PassEnvironment= first: systemd lays Environment= and the files
	 * over it. */
	for (size_t i = 0; i < c->n_pass_environment; i++) {
		const char *v = getenv(c->pass_environment[i]);
		if (v)
			env_set(&env, xasprintf("%s=%s", c->pass_environment[i], v));
	}
	for (size_t i = 0; i < c->n_environment; i++)
		env_set(&env, strdup(c->environment[i]));
	/* systemd: read at every spawn, in order, over Environment=. */
	for (size_t i = 0; i < c->n_environment_files; i++) {
		r = envfile_load(c->environment_files[i], envfile_set, &env, err, errlen);
		if (r < 0)
			goto fail;
	}
	/* Control commands (ExecReload=/bin/kill -HUP $MAINPID) name the main process. */
	if (!main_process && u->svc.pid > 0)
		env_set(&env, xasprintf("MAINPID=%d", (int)u->svc.pid));
	if (flags & EXECPLAN_RESULT)
		result_env(&u->svc, &env);

	if (main_process && u->svc.conn_fd >= 0) {
		/* Accept=yes: the connection is the only descriptor. */
		size_t cap = 0;
		if ((r = add_fd(p, &cap, u->svc.conn_fd, "connection")) < 0) {
			snprintf(err, errlen, "descriptors: %s", strerror(ENOMEM));
			goto fail;
		}
		p->nsocket_fds = 1;
		if (c->std_input == STDIN_SOCKET)
			p->nfds = 0; /* inetd mode: the connection is stdio, no LISTEN_* */
		if (u->svc.remote_addr[0]) {
			env_set(&env, xasprintf("REMOTE_ADDR=%s", u->svc.remote_addr));
			env_set(&env, xasprintf("REMOTE_PORT=%s", u->svc.remote_port));
		}
	} else if (main_process && (r = collect_fds(u, p, err, errlen)) < 0) {
		goto fail;
	}
	if (main_process) {
		if (p->nfds > 0 && c->std_input != STDIN_SOCKET) {
			size_t total = 0;
			for (size_t i = 0; i < p->nfds; i++)
				total += strlen(p->fdnames[i]) + 1;
			char *names = malloc(total + sizeof "LISTEN_FDNAMES=");
			if (names) {
				char *w = stpcpy(names, "LISTEN_FDNAMES=");
				for (size_t i = 0; i < p->nfds; i++) {
					if (i)
						*w++ = ':';
					w = stpcpy(w, p->fdnames[i]);
				}
			}
			env_set(&env, names);
			env_set(&env, xasprintf("LISTEN_FDS=%zu", p->nfds));
			env_set(&env, xasprintf("LISTEN_PID=%*s", SPAWN_PID_SLOT - 1, ""));
		}
		if (c->watchdog_usec > 0 && c->watchdog_usec != CONF_USEC_INFINITY) {
			env_set(&env, xasprintf("WATCHDOG_USEC=%llu", (unsigned long long)c->watchdog_usec));
			env_set(&env, xasprintf("WATCHDOG_PID=%*s", SPAWN_PID_SLOT - 1, ""));
		}
	}
	/* systemd's rule: the socket goes to the main process unless
	 * NotifyAccess=none, and to control processes with exec or all, the
	 * settings under which their messages are taken. */
	enum notify_access na = svc_notify_access(u);
	if (execplan_notify_socket[0] &&
	    (main_process ? na != NOTIFY_NONE : na == NOTIFY_EXEC || na == NOTIFY_ALL)) {
		env_set(&env, xasprintf("NOTIFY_SOCKET=%s", execplan_notify_socket));
		if (c->fdstore_max > 0)
			env_set(&env, xasprintf("FDSTORE=%u", c->fdstore_max));
	}
	for (size_t i = 0; i < c->n_unset_environment; i++)
		env_unset(&env, c->unset_environment[i]);
	if (env.oom || !env.v) {
		r = -ENOMEM;
		snprintf(err, errlen, "environment: %s", strerror(ENOMEM));
		goto fail;
	}
	if ((r = setup_stdio(u, p, main_process, err, errlen)) < 0)
		goto fail;
	p->envp = env.v;
	env.v = NULL;
	p->req.pid_slots[0] = pid_slot(p->envp, "LISTEN_PID=");
	p->req.pid_slots[1] = pid_slot(p->envp, "WATCHDOG_PID=");

	p->argv = execplan_expand_argv(cmd->argv, p->envp);
	if (!p->argv || !p->argv[0]) {
		r = p->argv ? -EINVAL : -ENOMEM;
		snprintf(err, errlen, "exec: %s", p->argv ? "command expands to nothing" : strerror(ENOMEM));
		goto fail;
	}
	if (cmd->flags & EXEC_ARGV0) {
		/* '@': path is cmd->path, argv[0] is the second word, already in argv. */
		p->path = spawn_resolve(cmd->path);
	} else {
		p->path = spawn_resolve(p->argv[0]);
	}
	if (!p->path) {
		r = -errno;
		snprintf(err, errlen, "exec %s: %s", cmd->path, strerror(errno));
		goto fail;
	}

	p->req.path = p->path;
	p->req.argv = p->argv;
	p->req.envp = p->envp;
	p->req.fds = p->fds;
	p->req.nfds = p->nfds;
	p->req.nsocket_fds = p->nsocket_fds;
	p->req.nonblock = c->non_blocking;
	p->req.cwd = c->working_directory;
	p->req.cwd_missing_ok = c->working_directory_missing_ok;
	p->req.limits = c->limits;
	p->req.sched = c->sched && cpusched_any(c->sched) ? c->sched : NULL;
	/* Not for '+' (systemd applies them with the sandboxing). */
	if (!full && sysfilter_supported()) {
		struct sysfilter_req *f = &p->req.sysfilter;
		f->flags = (c->memory_deny_write_execute ? SYSF_MDWE : 0) | (c->restrict_realtime ? SYSF_REALTIME : 0) |
			   (c->lock_personality ? SYSF_PERSONALITY : 0) | (c->restrict_suid_sgid ? SYSF_SUIDSGID : 0);
		f->ns_forbidden = c->restrict_namespaces_set ? SYSF_NS_ALL & ~c->ns_allowed : 0;
		f->families = c->families;
		f->archs_on = c->syscall_archs_set;
		f->archs = c->syscall_archs;
		f->calls = c->calls;
		f->calls_errno = c->syscall_errno;
	}
	p->req.umask = c->umask;
	p->req.nice_set = c->nice_set;
	p->req.nice = c->nice;
	p->req.ignore_sigpipe = c->ignore_sigpipe;
	p->req.no_new_privileges = c->no_new_privileges && !full;
	/* '+' is free of them too (systemd.service(5)). */
	p->req.cap_bounding_set = c->cap_bounding_set && !full;
	p->req.cap_bounding = c->cap_bounding;
	p->req.cap_ambient = full ? 0 : c->cap_ambient;
	p->req.securebits = full ? 0 : c->securebits;
	/* systemd's default: private for the system's manager, inherit for
	 * a user's. */
	p->req.keyring = c->keyring_mode != CONF_KEYRING_DEFAULT ? c->keyring_mode
				 : geteuid() == 0 ? CONF_KEYRING_PRIVATE : CONF_KEYRING_INHERIT;
	p->req.private_tmp[0] = full ? NULL : u->svc.private_tmp[0];
	p->req.private_tmp[1] = full ? NULL : u->svc.private_tmp[1];
	bool adds = c->n_temporary_fs || c->n_bind_paths || c->n_bind_ro_paths;
	if ((adds || (!full && conf_svc_wants_mounts(c))) && privtmp_mountns_supported()) {
		if ((r = build_mounts(c, p, full)) < 0) {
			snprintf(err, errlen, "mount settings (ProtectSystem=, BindPaths=...): %s", strerror(-r));
			goto fail;
		}
		p->req.mounts = p->mounts;
		p->req.nmounts = p->nmounts;
		/* Only when something may be hidden: the file is checked (and
		 * made) each time it is asked for. */
		bool hides = false;
		for (size_t i = 0; i < p->nmounts; i++)
			hides = hides || p->mounts[i].kind == MOP_INACCESSIBLE || p->mounts[i].kind == MOP_EMPTY;
		if (hides)
			p->req.inaccessible_file = privtmp_inaccessible_file();
		p->req.private_devices = !full && c->private_devices;
	}
	/* ProtectKernelModules=, ProtectKernelLogs=, ProtectClock= take their
	 * capabilities out of the bounding set too (systemd.exec(5)). */
#define CAPBIT(c) (UINT64_C(1) << (c))
	uint64_t drop = (c->protect_kernel_modules ? CAPBIT(CAP_SYS_MODULE) : 0) |
			(c->protect_kernel_logs ? CAPBIT(CAP_SYSLOG) : 0) |
			(c->protect_clock ? CAPBIT(CAP_SYS_TIME) | CAPBIT(CAP_WAKE_ALARM) : 0) |
			(c->private_devices ? CAPBIT(CAP_MKNOD) | CAPBIT(CAP_SYS_RAWIO) : 0);
#undef CAPBIT
	if (!full && drop) {
		p->req.cap_bounding = (p->req.cap_bounding_set ? p->req.cap_bounding : UINT64_MAX) & ~drop;
		p->req.cap_bounding_set = true;
	}
	p->req.new_uts = !full && c->protect_hostname;
	if (!full && c->private_users) {
		uid_t uid = p->req.set_ids ? p->req.uid : getuid();
		gid_t gid = p->req.set_ids ? p->req.gid : getgid();
		if ((r = userns_maps(p->req.set_ids, uid, gid, p->req.userns_uid_map, sizeof p->req.userns_uid_map,
				     p->req.userns_gid_map, sizeof p->req.userns_gid_map)) < 0) {
			snprintf(err, errlen, "PrivateUsers=: %s", strerror(-r));
			goto fail;
		}
		p->req.userns_first = userns_first();
	}
	/* '+' leaves the file-system sandboxing and the ids, not the unit's
	 * network namespace: systemd joins it for every command alike. */
	p->req.netns_fd = u->svc.netns_fd;
	p->req.oom_score_adjust_set = c->oom_score_adjust_set;
	snprintf(p->req.oom_score_adjust, sizeof p->req.oom_score_adjust, "%d\n", c->oom_score_adjust);
	if (c->working_directory && strcmp(c->working_directory, "~") == 0) {
		const char *home = getenv("HOME");
		p->req.cwd = home ? home : "/";
	}
	return 0;
fail:
	vec_free(env.v);
	execplan_free(p);
	return r;
}

void execplan_free(struct exec_plan *p)
{
	free(p->path);
	vec_free(p->argv);
	vec_free(p->envp);
	free(p->fds);
	free(p->fdnames);
	for (size_t i = 0; i < p->nowned; i++)
		close(p->owned[i]);
	free(p->owned);
	free(p->groups);
	free(p->mounts);
	for (size_t i = 0; i < p->nmount_paths; i++)
		free(p->mount_paths[i]);
	free(p->mount_paths);
	memset(p, 0, sizeof *p);
}
