/*
 * conf_service.c - the [Service] section: keys, defaults, checks that need
 * the whole section (ExecStart= count against Type=), and freeing.
 *
 * Defaults are systemd's (systemd.service(5), systemd.kill(5),
 * systemd.exec(5)). Lists accumulate over repeated keys and an empty
 * assignment empties them; a scalar's empty assignment restores its
 * default.
 */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "caps.h"
#include "creds.h"
#include "dynuser.h"
#include "sysfilter.h"
#include "conf_priv.h"

#define SVC(field) offsetof(struct unit_conf, svc.field)

static const char *const type_names[] = {
	[SVC_TYPE_SIMPLE] = "simple", [SVC_TYPE_EXEC] = "exec",
	[SVC_TYPE_NOTIFY] = "notify", [SVC_TYPE_ONESHOT] = "oneshot",
	[SVC_TYPE_FORKING] = "forking", [SVC_TYPE_NOTIFY_RELOAD] = "notify-reload",
};

void conf_service_defaults(struct svc_conf *s)
{
	memset(s, 0, sizeof(*s));
	s->type = SVC_TYPE_SIMPLE;
	s->restart = RESTART_NO;
	s->restart_usec = 100000;
	s->restart_max_delay_usec = CONF_USEC_INFINITY;
	s->timeout_start_usec = 90000000;
	s->timeout_stop_usec = 90000000;
	s->runtime_max_usec = CONF_USEC_INFINITY;
	s->start_limit_interval_usec = 10000000;
	s->start_limit_burst = 5;
	s->kill_signal = SIGTERM;
	s->final_kill_signal = SIGKILL;
	s->watchdog_signal = SIGABRT;
	s->reload_signal = SIGHUP;
	s->timeout_abort_usec = CONF_USEC_UNSET;
	s->send_sigkill = true;
	s->kill_mode = KILL_CONTROL_GROUP;
	s->notify_access = NOTIFY_UNSET;
	s->fdstore_preserve = 1;
	s->std_input = STDIN_NULL;
	s->std_output = STDOUT_UNSET;
	s->std_error = STDOUT_UNSET;
	s->umask = 0022;
	s->ignore_sigpipe = true;
	s->syscall_errno = SYSF_ERR_KILL;
	for (int i = 0; i < EXECDIR__MAX; i++)
		s->exec_dir_mode[i] = 0755;
}

static void exec_list_free(struct exec_cmd **v, size_t *n)
{
	for (size_t i = 0; i < *n; i++)
		conf_exec_free(&(*v)[i]);
	free(*v);
	*v = NULL;
	*n = 0;
}

static void open_files_free(struct svc_conf *s)
{
	for (size_t i = 0; i < s->n_open_files; i++) {
		free(s->open_files[i].path);
		free(s->open_files[i].fdname);
	}
	free(s->open_files);
	s->open_files = NULL;
	s->n_open_files = 0;
}

void conf_service_free(struct svc_conf *s)
{
	exec_list_free(&s->exec_start, &s->n_exec_start);
	exec_list_free(&s->exec_condition, &s->n_exec_condition);
	exec_list_free(&s->exec_start_pre, &s->n_exec_start_pre);
	exec_list_free(&s->exec_start_post, &s->n_exec_start_post);
	exec_list_free(&s->exec_stop, &s->n_exec_stop);
	exec_list_free(&s->exec_stop_post, &s->n_exec_stop_post);
	exec_list_free(&s->exec_reload, &s->n_exec_reload);
	conf_strv_free(&s->environment, &s->n_environment);
	conf_strv_free(&s->environment_files, &s->n_environment_files);
	conf_strv_free(&s->pass_environment, &s->n_pass_environment);
	conf_strv_free(&s->unset_environment, &s->n_unset_environment);
	for (int i = 0; i < EXECDIR__MAX; i++)
		conf_strv_free(&s->exec_dirs[i], &s->n_exec_dirs[i]);
	conf_strv_free(&s->sockets, &s->n_sockets);
	open_files_free(s);
	free(s->working_directory);
	free(s->pid_file);
	free(s->limits);
	free(s->sched);
	free(s->calls);
	free(s->user);
	conf_strv_free(&s->supplementary_groups, &s->n_supplementary_groups);
	conf_strv_free(&s->read_write_paths, &s->n_read_write_paths);
	conf_strv_free(&s->read_only_paths, &s->n_read_only_paths);
	conf_strv_free(&s->noexec_paths, &s->n_noexec_paths);
	conf_strv_free(&s->exec_paths, &s->n_exec_paths);
	conf_strv_free(&s->bind_paths, &s->n_bind_paths);
	conf_strv_free(&s->bind_ro_paths, &s->n_bind_ro_paths);
	conf_strv_free(&s->temporary_fs, &s->n_temporary_fs);
	conf_strv_free(&s->credentials, &s->n_credentials);
	conf_strv_free(&s->inaccessible_paths, &s->n_inaccessible_paths);
	free(s->group);
	free(s->std_input_path);
	free(s->std_output_path);
	free(s->std_error_path);
	free(s->stdin_data);
	free(s->tty_path);
}

static int h_type(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	static const char *const unsupported[] = { "dbus", NULL };
	enum svc_type *f = CONF_FIELD(x, k, enum svc_type);

	x->type_set = *v != '\0';
	/* idle is simple with its output held back until the boot's other
	 * jobs are dispatched (at most 5 s): here, simple. */
	if (*v == '\0' || !strcmp(v, "idle")) {
		*f = SVC_TYPE_SIMPLE;
		return 0;
	}
	for (int t = 0; t < (int)(sizeof(type_names) / sizeof(type_names[0])); t++) {
		if (strcmp(v, type_names[t]) == 0) {
			*f = (enum svc_type)t;
			return 0;
		}
	}
	for (const char *const *u = unsupported; *u; u++) {
		if (strcmp(v, *u) == 0)
			return conf_why(x, "Type=%s is unsupported (use simple, exec, notify, notify-reload, oneshot or forking)", v);
	}
	return conf_why(x, "unknown service type");
}

/* ExecStart= and friends: each assignment appends one command. */
static int h_exec(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	struct exec_cmd **list = CONF_FIELD(x, k, struct exec_cmd *), cmd, *nv;
	size_t *n = CONF_FIELD2(x, k, size_t);
	int r;

	if (*v == '\0') {
		exec_list_free(list, n);
		return 0;
	}
	r = conf_parse_exec(v, &cmd, x->why, sizeof(x->why));
	if (r < 0)
		return r;
	cmd.line = x->e->line;
	nv = realloc(*list, (*n + 1) * sizeof(*nv));
	if (!nv) {
		conf_exec_free(&cmd);
		return -ENOMEM;
	}
	nv[(*n)++] = cmd; /* now owned by the list */
	*list = nv;
	return 0;
}

static int h_restart(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	x->restart_line = x->e->line;
	return conf_h_enum(x, k, v);
}

static int h_timeout_start(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	x->timeout_start_set = *v != '\0';
	return conf_h_timespan(x, k, v);
}

static int h_timeout_both(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	struct svc_conf *s = &x->c->svc;
	uint64_t t;

	x->timeout_start_set = *v != '\0';

	if (*v == '\0') {
		s->timeout_start_usec = x->def.svc.timeout_start_usec;
		s->timeout_stop_usec = x->def.svc.timeout_stop_usec;
		return 0;
	}
	if (conf_parse_timespan(v, &t) < 0)
		return conf_why(x, "invalid time span");
	s->timeout_start_usec = s->timeout_stop_usec = t == 0 ? CONF_USEC_INFINITY : t;
	return 0;
}

/* "1 2 8 DATAERR SIGKILL": exit statuses (numbers or systemd's names) and
 * signal names, added to the set; an empty assignment empties it. */
static int h_exit_set(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	struct exit_set *e = CONF_FIELD(x, k, struct exit_set);
	const char *p = v;
	char *w;
	int r;

	if (*v == '\0') {
		memset(e, 0, sizeof *e);
		return 0;
	}
	while ((r = conf_extract_word(&p, &w, x->why, sizeof(x->why))) > 0) {
		unsigned code;
		int sig;
		if (conf_parse_exit_status(w, &code) == 0) {
			e->status[code / 64] |= 1ull << (code % 64);
		} else if (w[0] >= '0' && w[0] <= '9') {
			r = conf_why(x, "'%.40s' is not an exit status (0 to 255)", w);
		} else if (conf_parse_signal(w, &sig) < 0 || sig > 64) {
			r = conf_why(x, "'%.40s' is neither an exit status nor a signal name", w);
		} else {
			e->signals |= 1ull << (sig - 1);
		}
		free(w);
		if (r < 0)
			return r;
	}
	return r;
}

static int h_signal(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	int *f = CONF_FIELD(x, k, int);

	if (*v == '\0') {
		*f = *CONF_DEFAULT(x, k, int);
		return 0;
	}
	if (conf_parse_signal(v, f) < 0)
		return conf_why(x, "unknown signal");
	return 0;
}

/* TimeoutAbortSec=: empty goes back to following TimeoutStopSec=; 0 and
 * infinity mean no limit, as for the other timeouts. */
static int h_timeout_abort(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	uint64_t t;
	if (*v == '\0') {
		x->c->svc.timeout_abort_usec = CONF_USEC_UNSET;
		return 0;
	}
	if (conf_parse_timespan(v, &t) < 0)
		return conf_why(x, "invalid time span");
	x->c->svc.timeout_abort_usec = t == 0 ? CONF_USEC_INFINITY : t;
	return 0;
}

/* Environment="A=b c" D=e: words as systemd splits them, each K=V. A later
 * assignment of the same name replaces the earlier one, as in systemd. */
static int env_set(struct svc_conf *s, const char *kv, size_t namelen)
{
	char *d;

	for (size_t i = 0; i < s->n_environment; i++) {
		if (strncmp(s->environment[i], kv, namelen + 1) == 0) {
			d = strdup(kv);
			if (!d)
				return -ENOMEM;
			free(s->environment[i]);
			s->environment[i] = d;
			return 0;
		}
	}
	return conf_strv_add(&s->environment, &s->n_environment, kv);
}

/* ---- the process's settings: Limit*=, UMask=, Nice=, *Environment= ---- */

enum limit_kind { LIM_NUMBER, LIM_BYTES, LIM_SECONDS, LIM_USEC, LIM_NICE };
#define LIMIT(res, kind) ((res) | ((kind) << 8))

/* One side of a limit: "infinity", a number, bytes with K/M/G/T/P/E
 * (1024-based), a time span (CPU: seconds, rounded up; RTTIME: usec), or
 * for LimitNICE= a nice level +N/-N (stored as 20 - N, as the kernel). */
static int parse_limit_value(const char *s, enum limit_kind kind, uint64_t *out)
{
	if (!strcmp(s, "infinity")) {
		*out = UINT64_MAX;
		return 0;
	}
	if (kind == LIM_SECONDS || kind == LIM_USEC) {
		uint64_t usec;
		if (conf_parse_timespan(s, &usec) < 0)
			return -EINVAL;
		if (usec == CONF_USEC_INFINITY)
			*out = UINT64_MAX;
		else
			*out = kind == LIM_USEC ? usec : (usec + 999999) / 1000000;
		return 0;
	}
	if (kind == LIM_NICE && (s[0] == '+' || s[0] == '-')) {
		unsigned n;
		if (conf_parse_unsigned(s + 1, 20, &n) < 0 || (s[0] == '+' && n > 19))
			return -EINVAL;
		*out = s[0] == '-' ? 20 + n : 20 - n;
		return 0;
	}
	char *e;
	errno = 0;
	if (s[0] < '0' || s[0] > '9')
		return -EINVAL;
	unsigned long long v = strtoull(s, &e, 10);
	if (errno)
		return -EINVAL;
	if (kind == LIM_BYTES && *e) {
		static const char units[] = "KMGTPE";
		const char *u = strchr(units, *e);
		if (!u || e[1])
			return -EINVAL;
		for (int i = 0; i <= u - units; i++) {
			if (v > UINT64_MAX / 1024)
				return -EINVAL;
			v *= 1024;
		}
	} else if (*e) {
		return -EINVAL;
	}
	if (kind == LIM_NICE && v > 40)
		return -EINVAL;
	*out = v;
	return 0;
}

/* LimitX=SOFT[:HARD]; one value sets both; empty unsets. */
static int h_limit(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	struct svc_conf *c = &x->c->svc;
	enum limit_kind kind = (enum limit_kind)(k->arg >> 8);
	if (*v == '\0') {
		if (c->limits)
			memset(&c->limits[k->arg & 0xff], 0, sizeof *c->limits);
		return 0;
	}
	/* Allocated at the first Limit*=: most services set none, and 16 of
	 * them in every service would cost 0.4 MB at 1000 services. */
	if (!c->limits && !(c->limits = calloc(CONF_RLIMITS, sizeof *c->limits)))
		return -ENOMEM;
	struct conf_rlimit *l = &c->limits[k->arg & 0xff];
	char soft[64], hard[64];
	const char *colon = strchr(v, ':');
	size_t n = colon ? (size_t)(colon - v) : strlen(v);
	if (n >= sizeof soft || (colon && strlen(colon + 1) >= sizeof hard))
		return conf_why(x, "too long");
	memcpy(soft, v, n);
	soft[n] = '\0';
	snprintf(hard, sizeof hard, "%s", colon ? colon + 1 : soft);
	uint64_t s, h;
	if (parse_limit_value(soft, kind, &s) < 0 || parse_limit_value(hard, kind, &h) < 0)
		return conf_why(x, "not a limit (a number%s, or infinity; SOFT:HARD for two)",
				kind == LIM_BYTES ? " with K/M/G/T/P/E" : kind == LIM_SECONDS || kind == LIM_USEC ?
				", a time span" : "");
	if (s > h)
		return conf_why(x, "the soft limit is above the hard one");
	l->set = true;
	l->soft = s;
	l->hard = h;
	return 0;
}

static int h_umask(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	if (*v == '\0') {
		x->c->svc.umask = 0022;
		return 0;
	}
	char *e;
	errno = 0;
	unsigned long m = strtoul(v, &e, 8);
	if (errno || *e || e == v || m > 0777)
		return conf_why(x, "not an octal mode (0000 to 0777)");
	x->c->svc.umask = (unsigned)m;
	return 0;
}

/* ProtectSystem=yes|full|strict and ProtectHome=yes|read-only|tmpfs
 * (k->arg 0 and 1); a boolean false is "no". */
static int h_protect(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	static const char *const names[2][4] = { { "", "", "full", "strict" }, { "", "", "read-only", "tmpfs" } };
	unsigned char *f = CONF_FIELD(x, k, unsigned char);
	bool b;
	if (*v == '\0' || conf_parse_bool(v, &b) == 0) {
		*f = *v && b ? 1 : 0;
		return 0;
	}
	for (unsigned char i = 2; i < 4; i++)
		if (!strcmp(v, names[k->arg][i])) {
			*f = i;
			return 0;
		}
	return conf_why(x, k->arg ? "not yes, no, read-only or tmpfs" : "not yes, no, full or strict");
}

static const char *absolute_path_bad(const struct conf_key *k, const char *w)
{
	return (w[0] == '-' ? w[1] : w[0]) == '/' ? NULL : "is not an absolute path";
}

/* BindPaths=/BindReadOnlyPaths=: [-]SRC[:DEST[:rbind|norbind]], both
 * absolute (no escaped colons). */
static const char *bind_bad(const struct conf_key *k, const char *w)
{
	const char *s = w[0] == '-' ? w + 1 : w;
	const char *c1 = strchr(s, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	if (s[0] != '/')
		return "does not start with an absolute source path";
	if (c1 && c1[1] != '/')
		return "has a destination that is not an absolute path";
	if (c2 && strchr(c2 + 1, ':'))
		return "has more than SOURCE:DESTINATION:OPTIONS";
	if (c2 && strcmp(c2 + 1, "rbind") != 0 && strcmp(c2 + 1, "norbind") != 0)
		return "has options other than rbind or norbind";
	return NULL;
}

/* TemporaryFileSystem=PATH[:OPTIONS]: OPTIONS are tmpfs's, comma-separated. */
static const char *tmpfs_bad(const struct conf_key *k, const char *w)
{
	const char *c = strchr(w, ':');
	if (w[0] != '/')
		return "is not an absolute path";
	if (c && (c[1] == '\0' || c[1] == ',' || strstr(c, ",,") || c[strlen(c) - 1] == ','))
		return "has an empty mount option";
	return NULL;
}

/* LoadCredential=ID:PATH and SetCredential=ID:VALUE (k->arg: set), one
 * per line, tagged "L" or "S" in one list; empty drops that kind's. */
static int h_creds(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	char ***l = CONF_FIELD(x, k, char **);
	size_t *n = CONF_FIELD2(x, k, size_t);
	char tag = k->arg ? 'S' : 'L';
	if (*v == '\0') {
		size_t keep = 0;
		for (size_t i = 0; i < *n; i++) {
			if ((*l)[i][0] == tag)
				free((*l)[i]);
			else
				(*l)[keep++] = (*l)[i];
		}
		*n = keep;
		if (*l)
			(*l)[keep] = NULL;
		return 0;
	}
	const char *why = creds_value_bad(k->arg, v);
	if (why)
		return conf_why(x, "%s", why);
	/* LoadCredential=ID is ID:ID, the daemon's own credential of that name. */
	bool bare = !strchr(v, ':');
	char *e = malloc(2 * strlen(v) + 3);
	if (!e)
		return -ENOMEM;
	e[0] = tag;
	strcpy(e + 1, v);
	if (bare)
		sprintf(e + 1 + strlen(v), ":%s", v);
	int r = conf_strv_add(l, n, e);
	free(e);
	return r;
}

static int h_binds(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	return conf_word_list(x, k, CONF_FIELD(x, k, char **), CONF_FIELD2(x, k, size_t), v, k->arg ? tmpfs_bad : bind_bad);
}

/* ReadWritePaths=/ReadOnlyPaths=/InaccessiblePaths=: absolute paths, each
 * may start with "-" (missing is fine). */
static int h_paths(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	return conf_word_list(x, k, CONF_FIELD(x, k, char **), CONF_FIELD2(x, k, size_t), v, absolute_path_bad);
}

static const char *group_bad(const struct conf_key *k, const char *w)
{
	bool ok = strlen(w) <= 255;
	for (const char *c = w; ok && *c; c++)
		ok = (unsigned char)*c > ' ' && *c != ':' && *c != '/' && *c != 0x7f;
	return ok ? NULL : "is not a group name or number";
}

/* SupplementaryGroups=a b 100: the names are resolved at each start, as
 * User= is. */
static int h_groups(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	struct svc_conf *s = &x->c->svc;
	return conf_word_list(x, k, &s->supplementary_groups, &s->n_supplementary_groups, v, group_bad);
}

/* CapabilityBoundingSet= and AmbientCapabilities= (k->arg: 1 for the
 * ambient set), systemd's syntax (caps.h). A word that names no capability
 * is skipped with a warning, as systemd does. */
static int h_caps(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	struct svc_conf *s = &x->c->svc;
	char bad[64];
	if (k->arg)
		caps_assign(v, &s->cap_ambient, &s->cap_ambient_set, bad, sizeof bad);
	else
		caps_assign(v, &s->cap_bounding, &s->cap_bounding_set, bad, sizeof bad);
	if (bad[0])
		conf_report(x, 0, x->e->line, "%s=: unknown capability '%s', ignoring it", k->name, bad);
	return 0;
}

/* CPUAffinity=, CPUScheduling*=, IOScheduling*= (k->arg: which); the
 * settings are allocated at the first (most services have none). */
enum { SCHED_K_AFFINITY, SCHED_K_POLICY, SCHED_K_PRIORITY, SCHED_K_RESET, SCHED_K_IO_CLASS, SCHED_K_IO_PRIORITY };
static int h_sched(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	struct cpusched **sp = CONF_FIELD(x, k, struct cpusched *);
	if (!*sp) {
		if (!(*sp = calloc(1, sizeof **sp)))
			return -ENOMEM;
		cpusched_parse_io_class(*sp, "", NULL, 0); /* the kernel's default: best-effort, 4 */
	}
	struct cpusched *s = *sp;
	bool b = false;
	switch (k->arg) {
	case SCHED_K_AFFINITY:
		if (!strcmp(v, "numa")) {
			conf_report(x, 0, x->e->line, "CPUAffinity=numa needs NUMAPolicy=, which is not supported; ignoring");
			return 0;
		}
		return cpusched_parse_affinity(s, v, x->why, sizeof x->why);
	case SCHED_K_POLICY:
		return cpusched_parse_policy(s, v, x->why, sizeof x->why);
	case SCHED_K_PRIORITY:
		return cpusched_parse_priority(s, v, x->why, sizeof x->why);
	case SCHED_K_RESET:
		if (*v && conf_parse_bool(v, &b) < 0)
			return conf_why(x, "not a boolean");
		return cpusched_parse_reset_on_fork(s, b);
	case SCHED_K_IO_CLASS:
		return cpusched_parse_io_class(s, v, x->why, sizeof x->why);
	default:
		return cpusched_parse_io_priority(s, v, x->why, sizeof x->why);
	}
}

/* RestrictNamespaces=: a boolean, or namespace types allowed ("~":
 * forbidden), merged over lines as systemd merges them. */
static int h_namespaces(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	char bad[48];
	bool b;
	if (*v && conf_parse_bool(v, &b) == 0) {
		*CONF_FIELD(x, k, unsigned long) = b ? 0 : SYSF_NS_ALL;
		*CONF_FIELD2(x, k, bool) = true;
		return 0;
	}
	if (sysfilter_parse_namespaces(v, CONF_FIELD(x, k, unsigned long), CONF_FIELD2(x, k, bool), bad, sizeof bad) < 0)
		return conf_why(x, "'%s' is not a namespace type (cgroup, ipc, net, mnt, pid, user, uts)", bad);
	return 0;
}

/* The warning for a list's words systemd would skip: n of them, the
 * first in bad, each not what. */
static void warn_skipped(struct conf_ctx *x, int n, const char *bad, const char *what)
{
	if (n > 0)
		conf_report(x, 0, x->e->line, "%s=: '%s'%s is not %s, ignoring", x->e->key, bad, n > 1 ? " (and more)" : "",
			    what);
}

/* RestrictAddressFamilies=: families allowed ("~": refused), merged
 * over lines as systemd merges them; a name systemd would not know is
 * skipped with a warning, as systemd skips it. */
static int h_families(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	char bad[48];
	int n = sysfilter_parse_families(v, CONF_FIELD(x, k, struct sysf_families), bad, sizeof bad);
	warn_skipped(x, n, bad, "an address family");
	return 0;
}

/* SystemCallArchitectures=: names add up; unknown ones are skipped with
 * a warning, as in systemd. */
static int h_archs(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	char bad[48];
	warn_skipped(x, sysfilter_parse_archs(v, CONF_FIELD(x, k, unsigned), CONF_FIELD2(x, k, bool), bad, sizeof bad),
		     bad, "an architecture");
	return 0;
}

/* SecureBits=: systemd's secure_bits_from_string, the last line winning
 * (its config_parse_exec_secure_bits); a word it would not know is
 * skipped, with a warning here. */
static int h_securebits(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	static const struct conf_enum names[] = {
		{ "noroot", 1 << 0 },	       { "noroot-locked", 1 << 1 },	       { "no-setuid-fixup", 1 << 2 },
		{ "no-setuid-fixup-locked", 1 << 3 }, { "keep-caps", 1 << 4 }, { "keep-caps-locked", 1 << 5 },
		{ NULL, 0 },
	}; /* SECBIT_NOROOT, ... (linux/securebits.h) */
	unsigned bits = 0;
	int bad = 0;
	char first[48] = "";
	for (const char *p = v + strspn(v, " \t"); *p; p += strspn(p, " \t")) {
		size_t n = strcspn(p, " \t");
		char w[48];
		int bit;
		snprintf(w, sizeof w, "%.*s", (int)(n < sizeof w - 1 ? n : sizeof w - 1), p);
		if (n < sizeof w && conf_enum_lookup(names, w, &bit) == 0)
			bits |= (unsigned)bit;
		else if (bad++ == 0)
			snprintf(first, sizeof first, "%.40s", w);
		p += n;
	}
	warn_skipped(x, bad, first, "a secure bit");
	*CONF_FIELD(x, k, unsigned) = bits;
	return 0;
}

/* SystemCallFilter=: merged over lines as systemd merges them; a word
 * systemd would skip is skipped with a warning. */
static int h_calls(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	char why[160];
	int n = sysfilter_parse_calls(v, CONF_FIELD(x, k, struct sysf_calls *), why, sizeof why);
	if (n == -ENOMEM)
		return n;
	if (n > 0)
		conf_report(x, 0, x->e->line, "SystemCallFilter=: %s, ignoring it%s", why,
			    n > 1 ? " and the other words systemd would skip" : "");
	return 0;
}

static int h_errno(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	if (sysfilter_parse_errno(v, CONF_FIELD(x, k, int)) < 0)
		return conf_why(x, "not an error name or number (0..4095), nor kill");
	return 0;
}

/* Nice= and OOMScoreAdjust=: an int within its range (k->arg picks it),
 * with its "set" flag in the second field; empty unsets. */
static int h_ranged_int(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	static const struct {
		long lo, hi;
		const char *what;
	} ranges[] = { { -20, 19, "a nice level" }, { -1000, 1000, "an OOM score adjustment" } };
	int *f = CONF_FIELD(x, k, int);
	bool *set = CONF_FIELD2(x, k, bool);
	if (*v == '\0') {
		*set = false;
		return 0;
	}
	char *e;
	errno = 0;
	long n = strtol(v, &e, 10);
	if (errno || *e || e == v || n < ranges[k->arg].lo || n > ranges[k->arg].hi)
		return conf_why(x, "not %s (%ld to %ld)", ranges[k->arg].what, ranges[k->arg].lo, ranges[k->arg].hi);
	*set = true;
	*f = (int)n;
	return 0;
}

/* k->arg: NAME=VALUE allowed (UnsetEnvironment=). */
static const char *env_name_bad(const struct conf_key *k, const char *w)
{
	const char *eq = strchr(w, '=');
	size_t nl = eq ? (size_t)(eq - w) : strlen(w);
	return !conf_env_name_valid(w, nl) || (eq && !k->arg) ? "is not a variable name" : NULL;
}

/* PassEnvironment=NAME... and UnsetEnvironment=NAME[=VALUE]... */
static int h_env_names(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	return conf_word_list(x, k, CONF_FIELD(x, k, char **), CONF_FIELD2(x, k, size_t), v, env_name_bad);
}

static const char *relative_path_bad(const struct conf_key *k, const char *w)
{
	bool ok = w[0] != '/' && w[0] != '\0' && strlen(w) < 256 && !strchr(w, ':');
	for (const char *c = w; ok && *c;) {
		size_t n = strcspn(c, "/");
		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			ok = false;
		c += n;
		if (*c == '/')
			c++;
	}
	return ok ? NULL : "is not a relative path without . or .. (and no ':')";
}

/* RuntimeDirectory=a b/c ...: relative paths without "." or ".."
 * components (k->arg is the kind). */
static int h_exec_dirs(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	struct svc_conf *s = &x->c->svc;
	return conf_word_list(x, k, &s->exec_dirs[k->arg], &s->n_exec_dirs[k->arg], v, relative_path_bad);
}

static int h_exec_dir_mode(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	unsigned *f = &x->c->svc.exec_dir_mode[k->arg];
	if (*v == '\0') {
		*f = 0755;
		return 0;
	}
	char *e;
	errno = 0;
	unsigned long m = strtoul(v, &e, 8);
	if (errno || *e || e == v || m > 07777)
		return conf_why(x, "not an octal mode");
	*f = (unsigned)m;
	return 0;
}

static int h_pid_file(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	if (*v && v[0] != '/')
		return conf_why(x, "not an absolute path");
	return conf_h_string(x, k, v);
}

/* EnvironmentFile=[-]/path or glob; read at each spawn (envfile.c). */
static int h_environment_file(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	struct svc_conf *s = &x->c->svc;
	if (*v == '\0') {
		conf_strv_free(&s->environment_files, &s->n_environment_files);
		return 0;
	}
	if (v[v[0] == '-'] != '/')
		return conf_why(x, "'%.100s' is not an absolute path", v);
	return conf_strv_add(&s->environment_files, &s->n_environment_files, v);
}

static int h_environment(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	struct svc_conf *s = &x->c->svc;
	const char *p = v, *eq;
	char *w;
	int r;

	if (*v == '\0') {
		conf_strv_free(&s->environment, &s->n_environment);
		return 0;
	}
	while ((r = conf_extract_word(&p, &w, x->why, sizeof(x->why))) > 0) {
		eq = strchr(w, '=');
		if (!eq || !conf_env_name_valid(w, (size_t)(eq - w)))
			r = conf_why(x, "'%.100s' is not a valid NAME=VALUE assignment", w);
		else
			r = env_set(s, w, (size_t)(eq - w));
		free(w);
		if (r < 0)
			return r;
	}
	return r;
}

static int h_workdir(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	struct svc_conf *s = &x->c->svc;
	bool missing_ok = false;
	char *d;

	if (*v == '-') {
		missing_ok = true;
		v++;
	}
	if (*v == '\0' && !missing_ok) {
		free(s->working_directory);
		s->working_directory = NULL;
		s->working_directory_missing_ok = false;
		return 0;
	}
	if (strcmp(v, "~") != 0 && v[0] != '/')
		return conf_why(x, "must be an absolute path or '~'");
	d = strdup(v);
	if (!d)
		return -ENOMEM;
	free(s->working_directory);
	s->working_directory = d;
	s->working_directory_missing_ok = missing_ok;
	return 0;
}

/* FileDescriptorStorePreserve=, RuntimeDirectoryPreserve=: no (0),
 * restart (1) or yes (2); empty gives the default, k->arg. */
static int h_preserve(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	int *f = CONF_FIELD(x, k, int);
	bool b;

	if (*v == '\0')
		*f = (int)k->arg;
	else if (strcmp(v, "restart") == 0)
		*f = 1;
	else if (conf_parse_bool(v, &b) == 0)
		*f = b ? 2 : 0;
	else
		return conf_why(x, "expected no, restart or yes");
	return 0;
}

/* The file name of an absolute path ("/proc/1/ns/mnt" -> "mnt"), ignoring
 * trailing slashes; NULL for "/" itself. */
static char *path_basename(const char *path)
{
	size_t end = strlen(path), start;

	while (end > 0 && path[end - 1] == '/')
		end--;
	if (end == 0)
		return NULL;
	start = end;
	while (start > 0 && path[start - 1] != '/')
		start--;
	return strndup(path + start, end - start);
}

static int open_file_options(struct conf_ctx *x, const char *opts, unsigned *flags)
{
	static const struct conf_enum names[] = {
		{ "read-only", OPENFILE_READ_ONLY }, { "append", OPENFILE_APPEND },
		{ "truncate", OPENFILE_TRUNCATE }, { "graceful", OPENFILE_GRACEFUL }, { NULL, 0 },
	};
	char word[32];
	int flag;

	while (*opts) {
		size_t n = strcspn(opts, ",");
		if (n == 0 || n >= sizeof(word))
			return conf_why(x, "invalid option list");
		memcpy(word, opts, n);
		word[n] = '\0';
		if (conf_enum_lookup(names, word, &flag) < 0)
			return conf_why(x, "unknown option '%s'", word);
		if (*flags & (unsigned)flag)
			return conf_why(x, "option '%s' given twice", word);
		*flags |= (unsigned)flag;
		opts += n + (opts[n] == ',');
	}
	if ((*flags & OPENFILE_READ_ONLY) && (*flags & (OPENFILE_APPEND | OPENFILE_TRUNCATE)))
		return conf_why(x, "read-only conflicts with append and truncate");
	return 0;
}

/* OpenFile=path[:fdname[:options]] (systemd's open_file_parse()). */
static int h_open_file(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	struct svc_conf *s = &x->c->svc;
	struct open_file of = { 0 }, *nv;
	const char *c1, *c2 = NULL;
	int r = -ENOMEM;

	if (*v == '\0') {
		open_files_free(s);
		return 0;
	}
	c1 = strchr(v, ':');
	if (c1)
		c2 = strchr(c1 + 1, ':');
	if (c2 && strchr(c2 + 1, ':'))
		return conf_why(x, "more than three ':'-separated fields");
	if (v[0] != '/')
		return conf_why(x, "path must be absolute");
	if (c2 && open_file_options(x, c2 + 1, &of.flags) < 0)
		return -EINVAL;
	of.path = c1 ? strndup(v, (size_t)(c1 - v)) : strdup(v);
	if (!of.path)
		goto fail;
	if (c1 && (c2 ? c2 : c1 + strlen(c1)) > c1 + 1)
		of.fdname = strndup(c1 + 1, c2 ? (size_t)(c2 - c1 - 1) : strlen(c1 + 1));
	else
		of.fdname = path_basename(of.path);
	if (!of.fdname) {
		r = strcmp(of.path, "/") == 0 ? conf_why(x, "no file name to use as fd name") : -ENOMEM;
		goto fail;
	}
	if (!conf_fdname_valid(of.fdname)) {
		r = conf_why(x, "invalid fd name '%.100s'", of.fdname);
		goto fail;
	}
	nv = realloc(s->open_files, (s->n_open_files + 1) * sizeof(*nv));
	if (!nv)
		goto fail;
	nv[s->n_open_files++] = of; /* now owned by the list */
	s->open_files = nv;
	return 0;
fail:
	free(of.path);
	free(of.fdname);
	return r;
}

/* StandardOutput=/StandardError=; off2 is the field for a file's path. */
static int h_restart_mode(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	/* "direct" (v254) only changes which state dependants see; for us it
	 * restarts like "normal". */
	if (*v == '\0' || strcmp(v, "normal") == 0 || strcmp(v, "direct") == 0)
		x->c->svc.restart_mode_overlap = 0;
	else if (strcmp(v, "overlap") == 0)
		x->c->svc.restart_mode_overlap = 1;
	else
		return conf_why(x, "expected normal, direct or overlap");
	return 0;
}

static const struct conf_enum restart_names[] = {
	{ "no", RESTART_NO }, { "always", RESTART_ALWAYS }, { "on-success", RESTART_ON_SUCCESS },
	{ "on-failure", RESTART_ON_FAILURE }, { "on-abnormal", RESTART_ON_ABNORMAL },
	{ "on-abort", RESTART_ON_ABORT }, { "on-watchdog", RESTART_ON_WATCHDOG }, { NULL, 0 },
};

static const struct conf_enum kill_mode_names[] = {
	{ "control-group", KILL_CONTROL_GROUP }, { "mixed", KILL_MIXED },
	{ "process", KILL_PROCESS }, { "none", KILL_NONE }, { NULL, 0 },
};

static const struct conf_enum notify_names[] = {
	{ "none", NOTIFY_NONE }, { "main", NOTIFY_MAIN }, { "exec", NOTIFY_EXEC },
	{ "all", NOTIFY_ALL }, { NULL, 0 },
};

static const struct conf_enum protect_proc_names[] = {
	{ "default", CONF_PROC_DEFAULT }, { "noaccess", CONF_PROC_NOACCESS }, { "invisible", CONF_PROC_INVISIBLE },
	{ "ptraceable", CONF_PROC_PTRACEABLE }, { NULL, 0 },
};

static const struct conf_enum keyring_names[] = {
	{ "inherit", CONF_KEYRING_INHERIT }, { "private", CONF_KEYRING_PRIVATE }, { "shared", CONF_KEYRING_SHARED },
	{ NULL, 0 },
};

static const struct conf_enum proc_subset_names[] = {
	{ "all", 0 }, { "pid", 1 }, { NULL, 0 },
};

#define KEY(name, fn, field, arg) { name, fn, SVC(field), 0, (intptr_t)(arg) }
#define LIST(name, fn, field, nfield, arg) { name, fn, SVC(field), SVC(nfield), (intptr_t)(arg) }

const struct conf_key conf_service_keys[] = {
	KEY("Type", h_type, type, 0),
	KEY("PIDFile", h_pid_file, pid_file, 0),
	LIST("ExecStart", h_exec, exec_start, n_exec_start, 0),
	LIST("ExecCondition", h_exec, exec_condition, n_exec_condition, 0),
	LIST("ExecStartPre", h_exec, exec_start_pre, n_exec_start_pre, 0),
	LIST("ExecStartPost", h_exec, exec_start_post, n_exec_start_post, 0),
	LIST("ExecStop", h_exec, exec_stop, n_exec_stop, 0),
	LIST("ExecStopPost", h_exec, exec_stop_post, n_exec_stop_post, 0),
	LIST("ExecReload", h_exec, exec_reload, n_exec_reload, 0),
	KEY("Restart", h_restart, restart, restart_names),
	KEY("RestartSec", conf_h_timespan, restart_usec, 0),
	KEY("RestartSteps", conf_h_unsigned, restart_steps, 0),
	KEY("RestartMaxDelaySec", conf_h_timespan, restart_max_delay_usec, 0),
	KEY("TimeoutStartSec", h_timeout_start, timeout_start_usec, CONF_T_ZERO_INFINITY),
	KEY("TimeoutStopSec", conf_h_timespan, timeout_stop_usec, CONF_T_ZERO_INFINITY),
	KEY("RuntimeMaxSec", conf_h_timespan, runtime_max_usec, CONF_T_ZERO_INFINITY),
	KEY("TimeoutSec", h_timeout_both, timeout_start_usec, 0),
	KEY("WatchdogSec", conf_h_timespan, watchdog_usec, 0),
	KEY("StartLimitInterval", conf_h_timespan, start_limit_interval_usec, 0),
	KEY("StartLimitBurst", conf_h_unsigned, start_limit_burst, 0),
	KEY("KillSignal", h_signal, kill_signal, 0),
	KEY("RestartKillSignal", h_signal, restart_kill_signal, 0),
	KEY("FinalKillSignal", h_signal, final_kill_signal, 0),
	KEY("WatchdogSignal", h_signal, watchdog_signal, 0),
	KEY("ReloadSignal", h_signal, reload_signal, 0),
	KEY("TimeoutAbortSec", h_timeout_abort, timeout_abort_usec, 0),
	KEY("SuccessExitStatus", h_exit_set, success_status, 0),
	KEY("RestartPreventExitStatus", h_exit_set, restart_prevent, 0),
	KEY("RestartForceExitStatus", h_exit_set, restart_force, 0),
	KEY("SendSIGKILL", conf_h_bool, send_sigkill, 0),
	KEY("SendSIGHUP", conf_h_bool, send_sighup, 0),
	KEY("KillMode", conf_h_enum, kill_mode, kill_mode_names),
	KEY("Environment", h_environment, environment, 0),
	KEY("EnvironmentFile", h_environment_file, environment_files, 0),
	LIST("PassEnvironment", h_env_names, pass_environment, n_pass_environment, 0),
	LIST("UnsetEnvironment", h_env_names, unset_environment, n_unset_environment, 1),
	KEY("UMask", h_umask, umask, 0),
	KEY("RuntimeDirectory", h_exec_dirs, exec_dirs, EXECDIR_RUNTIME),
	KEY("StateDirectory", h_exec_dirs, exec_dirs, EXECDIR_STATE),
	KEY("CacheDirectory", h_exec_dirs, exec_dirs, EXECDIR_CACHE),
	KEY("LogsDirectory", h_exec_dirs, exec_dirs, EXECDIR_LOGS),
	KEY("ConfigurationDirectory", h_exec_dirs, exec_dirs, EXECDIR_CONFIGURATION),
	KEY("RuntimeDirectoryMode", h_exec_dir_mode, exec_dir_mode, EXECDIR_RUNTIME),
	KEY("StateDirectoryMode", h_exec_dir_mode, exec_dir_mode, EXECDIR_STATE),
	KEY("CacheDirectoryMode", h_exec_dir_mode, exec_dir_mode, EXECDIR_CACHE),
	KEY("LogsDirectoryMode", h_exec_dir_mode, exec_dir_mode, EXECDIR_LOGS),
	KEY("ConfigurationDirectoryMode", h_exec_dir_mode, exec_dir_mode, EXECDIR_CONFIGURATION),
	KEY("RuntimeDirectoryPreserve", h_preserve, runtime_preserve, 0),
	LIST("Nice", h_ranged_int, nice, nice_set, 0),
	KEY("IgnoreSIGPIPE", conf_h_bool, ignore_sigpipe, 0),
	KEY("NonBlocking", conf_h_bool, non_blocking, 0),
	KEY("NoNewPrivileges", conf_h_bool, no_new_privileges, 0),
	KEY("CapabilityBoundingSet", h_caps, cap_bounding, 0),
	KEY("AmbientCapabilities", h_caps, cap_ambient, 1),
	LIST("OOMScoreAdjust", h_ranged_int, oom_score_adjust, oom_score_adjust_set, 1),
	KEY("SupplementaryGroups", h_groups, supplementary_groups, 0),
	KEY("MemoryDenyWriteExecute", conf_h_bool, memory_deny_write_execute, 0),
	KEY("RestrictRealtime", conf_h_bool, restrict_realtime, 0),
	KEY("LockPersonality", conf_h_bool, lock_personality, 0),
	KEY("RestrictSUIDSGID", conf_h_bool, restrict_suid_sgid, 0),
	LIST("RestrictNamespaces", h_namespaces, ns_allowed, restrict_namespaces_set, 0),
	KEY("RestrictAddressFamilies", h_families, families, 0),
	LIST("SystemCallArchitectures", h_archs, syscall_archs, syscall_archs_set, 0),
	KEY("SystemCallFilter", h_calls, calls, 0),
	KEY("SystemCallErrorNumber", h_errno, syscall_errno, 0),
	KEY("CPUAffinity", h_sched, sched, SCHED_K_AFFINITY),
	KEY("CPUSchedulingPolicy", h_sched, sched, SCHED_K_POLICY),
	KEY("CPUSchedulingPriority", h_sched, sched, SCHED_K_PRIORITY),
	KEY("CPUSchedulingResetOnFork", h_sched, sched, SCHED_K_RESET),
	KEY("IOSchedulingClass", h_sched, sched, SCHED_K_IO_CLASS),
	KEY("IOSchedulingPriority", h_sched, sched, SCHED_K_IO_PRIORITY),
	KEY("LimitCPU", h_limit, limits, LIMIT(RLIMIT_CPU, LIM_SECONDS)),
	KEY("LimitFSIZE", h_limit, limits, LIMIT(RLIMIT_FSIZE, LIM_BYTES)),
	KEY("LimitDATA", h_limit, limits, LIMIT(RLIMIT_DATA, LIM_BYTES)),
	KEY("LimitSTACK", h_limit, limits, LIMIT(RLIMIT_STACK, LIM_BYTES)),
	KEY("LimitCORE", h_limit, limits, LIMIT(RLIMIT_CORE, LIM_BYTES)),
	KEY("LimitRSS", h_limit, limits, LIMIT(RLIMIT_RSS, LIM_BYTES)),
	KEY("LimitNOFILE", h_limit, limits, LIMIT(RLIMIT_NOFILE, LIM_NUMBER)),
	KEY("LimitAS", h_limit, limits, LIMIT(RLIMIT_AS, LIM_BYTES)),
	KEY("LimitNPROC", h_limit, limits, LIMIT(RLIMIT_NPROC, LIM_NUMBER)),
	KEY("LimitMEMLOCK", h_limit, limits, LIMIT(RLIMIT_MEMLOCK, LIM_BYTES)),
	KEY("LimitLOCKS", h_limit, limits, LIMIT(RLIMIT_LOCKS, LIM_NUMBER)),
	KEY("LimitSIGPENDING", h_limit, limits, LIMIT(RLIMIT_SIGPENDING, LIM_NUMBER)),
	KEY("LimitMSGQUEUE", h_limit, limits, LIMIT(RLIMIT_MSGQUEUE, LIM_BYTES)),
	KEY("LimitNICE", h_limit, limits, LIMIT(RLIMIT_NICE, LIM_NICE)),
	KEY("LimitRTPRIO", h_limit, limits, LIMIT(RLIMIT_RTPRIO, LIM_NUMBER)),
	KEY("LimitRTTIME", h_limit, limits, LIMIT(RLIMIT_RTTIME, LIM_USEC)),
	KEY("WorkingDirectory", h_workdir, working_directory, 0),
	KEY("User", conf_h_user, user, 0),
	KEY("DynamicUser", conf_h_bool, dynamic_user, 0),
	KEY("SecureBits", h_securebits, securebits, 0),
	KEY("RemoveIPC", conf_h_bool, remove_ipc, 0),
	KEY("KeyringMode", conf_h_enum, keyring_mode, keyring_names),
	KEY("Group", conf_h_user, group, 0),
	LIST("Sockets", conf_h_units, sockets, n_sockets, ".socket"),
	KEY("NotifyAccess", conf_h_enum, notify_access, notify_names),
	/* No bound, as in systemd (journald asks for 4224). */
	KEY("FileDescriptorStoreMax", conf_h_unsigned, fdstore_max, 0),
	KEY("FileDescriptorStorePreserve", h_preserve, fdstore_preserve, 1),
	KEY("OpenFile", h_open_file, open_files, 0),
	LIST("StandardInput", conf_h_std_input, std_input, std_input_path, 0),
	LIST("StandardOutput", conf_h_std_output, std_output, std_output_path, 0),
	LIST("StandardError", conf_h_std_output, std_error, std_error_path, 1),
	KEY("StandardInputText", conf_h_stdin_text, stdin_data, 0),
	KEY("StandardInputData", conf_h_stdin_data, stdin_data, 0),
	KEY("TTYPath", conf_h_tty_path, tty_path, 0),
	KEY("TTYReset", conf_h_bool, tty_reset, 0),
	KEY("TTYVHangup", conf_h_bool, tty_vhangup, 0),
	KEY("RestartMode", h_restart_mode, restart_mode_overlap, 0),
	KEY("RemainAfterExit", conf_h_bool, remain_after_exit, 0),
	KEY("PrivateTmp", conf_h_bool, private_tmp, 0),
	KEY("ProtectSystem", h_protect, protect_system, 0),
	KEY("ProtectHome", h_protect, protect_home, 1),
	LIST("ReadWritePaths", h_paths, read_write_paths, n_read_write_paths, 0),
	LIST("ReadOnlyPaths", h_paths, read_only_paths, n_read_only_paths, 0),
	LIST("NoExecPaths", h_paths, noexec_paths, n_noexec_paths, 0),
	LIST("ExecPaths", h_paths, exec_paths, n_exec_paths, 0),
	LIST("InaccessiblePaths", h_paths, inaccessible_paths, n_inaccessible_paths, 0),
	LIST("BindPaths", h_binds, bind_paths, n_bind_paths, 0),
	LIST("BindReadOnlyPaths", h_binds, bind_ro_paths, n_bind_ro_paths, 0),
	LIST("TemporaryFileSystem", h_binds, temporary_fs, n_temporary_fs, 1),
	LIST("LoadCredential", h_creds, credentials, n_credentials, 0),
	LIST("SetCredential", h_creds, credentials, n_credentials, 1),
	KEY("ProtectKernelTunables", conf_h_bool, protect_kernel_tunables, 0),
	KEY("ProtectKernelModules", conf_h_bool, protect_kernel_modules, 0),
	KEY("ProtectKernelLogs", conf_h_bool, protect_kernel_logs, 0),
	KEY("ProtectControlGroups", conf_h_bool, protect_control_groups, 0),
	KEY("ProtectClock", conf_h_bool, protect_clock, 0),
	KEY("ProtectHostname", conf_h_bool, protect_hostname, 0),
	KEY("PrivateNetwork", conf_h_bool, private_network, 0),
	KEY("PrivateDevices", conf_h_bool, private_devices, 0),
	KEY("PrivateUsers", conf_h_bool, private_users, 0),
	KEY("ProtectProc", conf_h_enum, protect_proc, protect_proc_names),
	KEY("ProcSubset", conf_h_enum, proc_subset, proc_subset_names),
	{ NULL, NULL, 0, 0, 0 },
};

/* Keys systemd knows in [Service] that we accept with a warning. */
const char *const conf_service_unsupported[] = {
	"BusName", "GuessMainPID",
	"RuntimeRandomizedExtraSec",
	"TimeoutStartFailureMode", "TimeoutStopFailureMode", "RootDirectoryStartOnly",
	"OOMPolicy", "ExitType", "PermissionsStartOnly",
	"USBFunctionDescriptors", "USBFunctionStrings",
	"OpenFileDescriptorStoreMax",
	"RootDirectory", "RootImage",
	"TTYVTDisallocate",
	"SyslogIdentifier", "SyslogFacility", "SyslogLevel", "SyslogLevelPrefix", "LogLevelMax",
	"LogExtraFields", "LogRateLimitIntervalSec", "LogRateLimitBurst", "LogNamespace",
	"SystemCallLog", "Personality",
	"NUMAPolicy", "NUMAMask",
	"MountFlags", "UtmpIdentifier", "UtmpMode",
	"Slice", "Delegate", "DeviceAllow", "DevicePolicy", "TasksMax", "TasksAccounting",
	"IPAddressAllow", "IPAddressDeny", "SELinuxContext", "AppArmorProfile", "SmackProcessLabel",
	"Private*", "Protect*", "Restrict*", "Memory*", "CPU*", "IO*", "BlockIO*",
	"Credential*", "LoadCredential*", "SetCredential*",
	"ImportCredential*", "Mount*", "Timer*", NULL,
};

bool conf_svc_wants_mounts(const struct svc_conf *s)
{
	return s->protect_system || s->protect_home || s->n_read_only_paths || s->n_read_write_paths ||
	       s->n_noexec_paths || s->n_exec_paths ||
	       s->n_bind_paths || s->n_bind_ro_paths || s->n_temporary_fs ||
	       s->n_inaccessible_paths || s->protect_kernel_tunables || s->protect_kernel_modules ||
	       s->protect_kernel_logs || s->protect_control_groups || s->private_devices || s->protect_proc ||
	       s->proc_subset;
}

/* DynamicUser= without User=: systemd's user_from_unit_name, the unit's
 * prefix when it is a valid user name, else "_du" and a hash of it. */
static char *dynamic_user_name(const char *unit)
{
	size_t n = strcspn(unit, "@");
	if (!unit[n] && n > 8)
		n -= 8; /* ".service" */
	bool ok = n > 0 && n <= 31 && (isalpha((unsigned char)unit[0]) || unit[0] == '_');
	for (size_t i = 1; ok && i < n; i++)
		ok = isalnum((unsigned char)unit[i]) || unit[i] == '_' || unit[i] == '-';
	if (ok)
		return strndup(unit, n);
	char b[24];
	snprintf(b, sizeof b, "_du%016llx", (unsigned long long)dynuser_hash(unit, n));
	return strdup(b);
}

int conf_service_finish(struct conf_ctx *x)
{
	struct svc_conf *s = &x->c->svc;
	unsigned line = x->kind_line ? x->kind_line : 1;

	/* DynamicUser=: systemd's unit_patch_contexts, a sandbox that keeps
	 * the service's IDs out of the file system and IPC, not to be turned
	 * off. */
	if (s->dynamic_user) {
		/* Its group: the dynamic user's own, or a static user's. */
		if (!s->user && !(s->user = dynamic_user_name(x->c->name)))
			return -ENOMEM;
		s->private_tmp = true;
		s->remove_ipc = true;
		s->protect_system = 3;
		if (!s->protect_home)
			s->protect_home = 2;
		s->no_new_privileges = true;
		s->restrict_suid_sgid = true;
	}

	conf_stdio_finish(s);
	/* systemd's service_verify: no ExecStart= is for a oneshot (the type
	 * when none is given) that has ExecStop= or SuccessAction= to do;
	 * starting it runs ExecStartPre=/ExecStartPost= alone. */
	if (s->n_exec_start == 0 && !x->type_set)
		s->type = SVC_TYPE_ONESHOT;
	if (s->n_exec_start == 0 && s->n_exec_stop == 0 && x->c->success_action == CONF_ACTION_NONE)
		conf_report(x, 1, line, "service has no ExecStart=, ExecStop= or SuccessAction=");
	else if (s->n_exec_start == 0 && s->type != SVC_TYPE_ONESHOT)
		conf_report(x, 1, line, "service has no ExecStart=, which only Type=oneshot may lack");
	if (s->n_exec_start > 1 && s->type != SVC_TYPE_ONESHOT)
		conf_report(x, 1, s->exec_start[1].line, "more than one ExecStart= for Type=%s",
			    type_names[s->type]);
	/* systemd: a oneshot may take as long as it takes, unless told. */
	if (s->type == SVC_TYPE_ONESHOT && !x->timeout_start_set)
		s->timeout_start_usec = CONF_USEC_INFINITY;
	if (s->type == SVC_TYPE_ONESHOT &&
	    (s->restart == RESTART_ALWAYS || s->restart == RESTART_ON_SUCCESS))
		conf_report(x, 1, x->restart_line, "Restart=%s is not allowed for Type=oneshot",
			    s->restart == RESTART_ALWAYS ? "always" : "on-success");
	return 0;
}
