/*
 * conf.c - loading a unit: entries from unitfile.c mapped onto struct
 * unit_conf with systemd's meaning.
 *
 * This file owns the load loop, the [Unit] and [Install] sections, the
 * handlers shared by all sections, and conf_free(). The [Service] and
 * [Socket] keys live in conf_service.c and conf_socket.c.
 *
 * Error policy, as systemd's: an unknown section or key is a warning and is
 * skipped; so is a key systemd knows but we don't implement. A value we
 * cannot parse is an error. Unlike systemd (which ignores the line), any
 * error fails the whole load, because running a service with half of its
 * configuration is worse than not running it. Every error is reported
 * through diag before the load fails, so one pass shows all of them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "conf_priv.h"
#include "specifier.h"

#define CONF_FILE_MAX (16u * 1024 * 1024) /* a unit file larger than this is a mistake */

_Static_assert(sizeof(enum svc_type) == sizeof(int), "enum fields are written as int");

void conf_report(struct conf_ctx *x, int is_error, unsigned line, const char *fmt, ...)
{
	char where[512], msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Line 0: about the unit as a whole (its name), not one line of it. */
	if (line == 0)
		snprintf(where, sizeof(where), "%s", x->path);
	else
		snprintf(where, sizeof(where), "%s:%u", x->path, line);
	if (is_error) {
		if (x->n_errors++ == 0 && x->errlen > 0)
			snprintf(x->err, x->errlen, "%s: %s", where, msg);
	}
	if (x->diag)
		x->diag(x->diag_ctx, is_error, where, msg);
}

int conf_why(struct conf_ctx *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(x->why, sizeof(x->why), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int conf_strv_add(char ***v, size_t *n, const char *s)
{
	char **nv, *d = strdup(s);

	if (!d)
		return -ENOMEM;
	nv = realloc(*v, (*n + 2) * sizeof(*nv));
	if (!nv) {
		free(d);
		return -ENOMEM;
	}
	nv[(*n)++] = d;
	nv[*n] = NULL;
	*v = nv;
	return 0;
}

void conf_strv_free(char ***v, size_t *n)
{
	for (size_t i = 0; i < *n; i++)
		free((*v)[i]);
	free(*v);
	*v = NULL;
	*n = 0;
}

int conf_h_string(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	char **f = CONF_FIELD(x, k, char *), *d = NULL;

	if (*v) {
		d = strdup(v);
		if (!d)
			return -ENOMEM;
	}
	free(*f);
	*f = d;
	return 0;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && strcmp(s + n - m, suffix) == 0;
}

/* Space-separated unit names (arg: a required suffix, or 0); accumulates, and "" empties the list. */
int conf_h_units(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	char ***list = CONF_FIELD(x, k, char **), *w;
	size_t *n = CONF_FIELD2(x, k, size_t);
	const char *p = v;
	int r;

	if (*v == '\0') {
		conf_strv_free(list, n);
		return 0;
	}
	while ((r = conf_extract_word(&p, &w, x->why, sizeof(x->why))) > 0) {
		if (!conf_unit_name_valid(w) || (k->arg && !has_suffix(w, (const char *)k->arg))) {
			r = conf_why(x, "invalid unit name '%s'", w);
			free(w);
			return r;
		}
		r = conf_strv_add(list, n, w);
		free(w);
		if (r < 0)
			return r;
	}
	return r;
}

int conf_word_list(struct conf_ctx *x, const struct conf_key *k, char ***list, size_t *n, const char *v,
		   conf_word_check bad)
{
	const char *p = v;
	char *w;
	int r;
	if (*v == '\0') {
		conf_strv_free(list, n);
		return 0;
	}
	while ((r = conf_extract_word(&p, &w, x->why, sizeof(x->why))) > 0) {
		const char *why = bad(k, w);
		r = why ? conf_why(x, "'%.100s' %s", w, why) : conf_strv_add(list, n, w);
		free(w);
		if (r < 0)
			return r;
	}
	return r;
}

int conf_h_timespan(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	uint64_t *f = CONF_FIELD(x, k, uint64_t), t;

	if (*v == '\0') {
		*f = *CONF_DEFAULT(x, k, uint64_t);
		return 0;
	}
	if (conf_parse_timespan(v, &t) < 0)
		return conf_why(x, "invalid time span");
	if (t == 0 && (k->arg & CONF_T_ZERO_INFINITY))
		t = CONF_USEC_INFINITY;
	*f = t;
	return 0;
}

int conf_h_bool(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	bool *f = CONF_FIELD(x, k, bool);

	if (*v == '\0') {
		*f = *CONF_DEFAULT(x, k, bool);
		return 0;
	}
	if (conf_parse_bool(v, f) < 0)
		return conf_why(x, "not a boolean");
	return 0;
}

/* arg: the largest value allowed, 0 for UINT_MAX. */
int conf_h_unsigned(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	unsigned *f = CONF_FIELD(x, k, unsigned);
	unsigned max = k->arg ? (unsigned)k->arg : ~0u;

	if (*v == '\0') {
		*f = *CONF_DEFAULT(x, k, unsigned);
		return 0;
	}
	if (conf_parse_unsigned(v, max, f) < 0)
		return conf_why(x, "not an unsigned number in 0..%u", max);
	return 0;
}

/* arg: a NULL-terminated struct conf_enum table. */
int conf_h_enum(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	int *f = CONF_FIELD(x, k, int);

	if (*v == '\0') {
		*f = *CONF_DEFAULT(x, k, int);
		return 0;
	}
	if (conf_enum_lookup((const struct conf_enum *)k->arg, v, f) < 0)
		return conf_why(x, "unknown value");
	return 0;
}

/* User=/Group=/SocketUser=/SocketGroup=: a name or a number; the daemon
 * resolves it when it needs it. Reject what can never name a user. */
int conf_h_user(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	for (const char *p = v; *p; p++) {
		if ((unsigned char)*p <= ' ' || *p == ':' || *p == '/' || *p == 0x7f)
			return conf_why(x, "invalid user or group name");
	}
	if (strlen(v) > 255)
		return conf_why(x, "user or group name too long");
	return conf_h_string(x, k, v);
}

/* StartLimit*= belong to services; a socket unit accepts and ignores them. */
static int h_start_interval(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	uint64_t t;

	if (x->c->kind == UNIT_SERVICE)
		return conf_h_timespan(x, k, v);
	if (*v && conf_parse_timespan(v, &t) < 0)
		return conf_why(x, "invalid time span");
	return 0;
}

static int h_start_burst(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	unsigned u;

	if (x->c->kind == UNIT_SERVICE)
		return conf_h_unsigned(x, k, v);
	if (*v && conf_parse_unsigned(v, ~0u, &u) < 0)
		return conf_why(x, "not an unsigned number");
	return 0;
}

static int h_ignore(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	return 0;
}

/* SuccessAction=/FailureAction=: systemd's names (emergency-action.c). */
static int h_action(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	static const char *const machine[] = { "reboot", "reboot-force", "reboot-immediate", "poweroff",
					       "poweroff-force", "poweroff-immediate", "halt", "halt-force",
					       "halt-immediate", "kexec", "kexec-force", "soft-reboot",
					       "soft-reboot-force", NULL };
	int *f = CONF_FIELD(x, k, int);
	if (!*v || !strcmp(v, "none")) {
		*f = CONF_ACTION_NONE;
		return 0;
	}
	if (!strcmp(v, "exit") || !strcmp(v, "exit-force")) {
		*f = CONF_ACTION_EXIT;
		return 0;
	}
	for (size_t i = 0; machine[i]; i++)
		if (!strcmp(v, machine[i])) {
			*f = CONF_ACTION_MACHINE;
			conf_report(x, 0, x->e->line, "%s=%s: the daemon exits instead (it does not act on the machine)",
				    k->name, v);
			return 0;
		}
	return conf_why(x, "'%s' is not an action (none, exit, exit-force, reboot, poweroff, ...)", v);
}

/* ...ExitStatus=: 0..255, or "" for the default (-1). */
static int h_action_status(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	int *f = CONF_FIELD(x, k, int);
	unsigned u;
	if (!*v) {
		*f = -1;
		return 0;
	}
	if (conf_parse_unsigned(v, 255, &u) < 0)
		return conf_why(x, "not an exit status (0 to 255)");
	*f = (int)u;
	return 0;
}

#define UNITS(key, field) \
	{ key, conf_h_units, offsetof(struct unit_conf, field), offsetof(struct unit_conf, n_##field), 0 }

static const struct conf_key unit_keys[] = {
	{ "Description", conf_h_string, offsetof(struct unit_conf, description), 0, 0 },
	UNITS("Requires", requires),
	UNITS("Wants", wants),
	UNITS("After", after),
	UNITS("Before", before),
	UNITS("BindsTo", binds_to),
	UNITS("PartOf", part_of),
	UNITS("OnFailure", on_failure),
	UNITS("OnSuccess", on_success),
	UNITS("Conflicts", conflicts),
	UNITS("Requisite", requisite),
	UNITS("Upholds", upholds),
	UNITS("PropagatesReloadTo", propagates_reload_to),
	UNITS("ReloadPropagatedFrom", reload_propagated_from),
	UNITS("PropagatesStopTo", propagates_stop_to),
	UNITS("StopPropagatedFrom", stop_propagated_from),
	{ "StopWhenUnneeded", conf_h_bool, offsetof(struct unit_conf, stop_when_unneeded), 0, 0 },
	{ "SuccessAction", h_action, offsetof(struct unit_conf, success_action), 0, 0 },
	{ "FailureAction", h_action, offsetof(struct unit_conf, failure_action), 0, 0 },
	{ "SuccessActionExitStatus", h_action_status, offsetof(struct unit_conf, success_action_exit_status), 0, 0 },
	{ "FailureActionExitStatus", h_action_status, offsetof(struct unit_conf, failure_action_exit_status), 0, 0 },
	{ "RefuseManualStart", conf_h_bool, offsetof(struct unit_conf, refuse_manual_start), 0, 0 },
	{ "RefuseManualStop", conf_h_bool, offsetof(struct unit_conf, refuse_manual_stop), 0, 0 },
	/* Metadata, and settings about targets and isolation, which do not
	 * exist here: taken without a word, having nothing to do. */
	{ "Documentation", h_ignore, 0, 0, 0 },
	{ "DefaultDependencies", h_ignore, 0, 0, 0 },
	{ "IgnoreOnIsolate", h_ignore, 0, 0, 0 },
	{ "AllowIsolate", h_ignore, 0, 0, 0 },
	{ "StartLimitIntervalSec", h_start_interval,
	  offsetof(struct unit_conf, svc.start_limit_interval_usec), 0, 0 },
	{ "StartLimitInterval", h_start_interval, /* the pre-v230 spelling */
	  offsetof(struct unit_conf, svc.start_limit_interval_usec), 0, 0 },
	{ "StartLimitBurst", h_start_burst, offsetof(struct unit_conf, svc.start_limit_burst), 0, 0 },
	{ NULL, NULL, 0, 0, 0 },
};

/* DefaultInstance=: an instance name (systemd's unit_instance_is_valid:
 * what may stand between '@' and the suffix). */
static int h_default_instance(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	char name[300];
	if (*v && (strlen(v) > 200 || snprintf(name, sizeof name, "x@%s.service", v) < 0 || !conf_unit_name_valid(name)))
		return conf_why(x, "'%s' is not a valid instance name", v);
	return conf_h_string(x, k, v);
}

static const struct conf_key install_keys[] = {
	UNITS("WantedBy", wanted_by),
	{ "Alias", h_ignore, 0, 0, 0 },
	{ "RequiredBy", h_ignore, 0, 0, 0 },
	{ "UpheldBy", h_ignore, 0, 0, 0 },
	{ "Also", h_ignore, 0, 0, 0 },
	{ "DefaultInstance", h_default_instance, offsetof(struct unit_conf, default_instance), 0, 0 },
	{ NULL, NULL, 0, 0, 0 },
};

static const char *const unit_unsupported[] = {
	"OnSuccessJobMode",
	"JoinsNamespaceOf", "RequiresMountsFor", "WantsMountsFor", "OnFailureJobMode",
	"SurviveFinalKillSignal", "CollectMode",
	"JobTimeoutSec", "JobRunningTimeoutSec", "JobTimeoutAction", "JobTimeoutRebootArgument",
	"StartLimitAction", "RebootArgument", "SourcePath",
	"Condition*", "Assert*", NULL, /* checks we don't do */
};

struct section {
	const char *name;
	const struct conf_key *keys;
	const char *const *unsupported;
};

static const struct section service_sections[] = {
	{ "Unit", unit_keys, unit_unsupported },
	{ "Install", install_keys, NULL },
	{ "Service", conf_service_keys, conf_service_unsupported },
	{ NULL, NULL, NULL },
};

static const struct section socket_sections[] = {
	{ "Unit", unit_keys, unit_unsupported },
	{ "Install", install_keys, NULL },
	{ "Socket", conf_socket_keys, conf_socket_unsupported },
	{ NULL, NULL, NULL },
};

/* A pattern ending in '*' matches by prefix ("Limit*" is LimitNOFILE= ...). */
static bool unsupported_key(const struct section *sec, const char *key)
{
	for (const char *const *l = sec->unsupported; l && *l; l++) {
		size_t n = strlen(*l);
		if (n > 0 && (*l)[n - 1] == '*' ? strncmp(*l, key, n - 1) == 0 : strcmp(*l, key) == 0)
			return true;
	}
	return false;
}

/* Condition*=/Assert*= in a service's [Unit]: appended in file order; an
 * empty value drops every condition (or every assertion) so far. */
static int h_condition(struct conf_ctx *x, enum cond_type type, bool assert, const char *v)
{
	struct unit_conf *c = x->c;
	if (*v == '\0') {
		size_t k = 0;
		for (size_t i = 0; i < c->n_conds; i++) {
			if (c->conds[i].assert == assert)
				free(c->conds[i].param);
			else
				c->conds[k++] = c->conds[i];
		}
		c->n_conds = k;
		return 0;
	}
	struct cond *nv = realloc(c->conds, (c->n_conds + 1) * sizeof *nv);
	if (!nv)
		return -ENOMEM;
	c->conds = nv;
	int r = cond_parse(type, assert, v, &c->conds[c->n_conds], x->why, sizeof x->why);
	if (r == 0)
		c->n_conds++;
	return r;
}

/* Returns -ENOMEM only; a bad value is reported and counted in x->n_errors. */
static int apply_entry(struct conf_ctx *x, const struct section *secs, unsigned *warned_line)
{
	const struct uf_entry *e = x->e;
	const struct section *sec = secs;
	const struct conf_key *k;
	int r;

	while (sec->name && strcmp(sec->name, e->section) != 0)
		sec++;
	if (!sec->name) {
		/* "X-" sections are for other tools; systemd ignores them silently. */
		if (strncmp(e->section, "X-", 2) != 0 && *warned_line != e->section_line)
			conf_report(x, 0, e->section_line, "unknown section [%s], ignoring", e->section);
		*warned_line = e->section_line;
		return 0;
	}
	if (sec->keys == conf_service_keys || sec->keys == conf_socket_keys) {
		if (x->kind_line == 0)
			x->kind_line = e->section_line;
	}
	for (k = sec->keys; k->name && (k->name[0] != e->key[0] || strcmp(k->name, e->key) != 0); k++)
		;
	enum cond_type ctype;
	bool cassert;
	bool is_cond = !k->name && sec->keys == unit_keys && cond_lookup(e->key, &ctype, &cassert) == 0;
	if (!k->name && !is_cond) {
		if (strncmp(e->key, "X-", 2) == 0)
			return 0;
		if (unsupported_key(sec, e->key))
			conf_report(x, 0, e->line, "%s= in section [%s] is not supported, ignoring",
				    e->key, sec->name);
		else
			conf_report(x, 0, e->line, "unknown key '%s' in section [%s], ignoring",
				    e->key, sec->name);
		return 0;
	}
	x->why[0] = '\0';
	/* Specifiers first, in every value, as systemd resolves them. */
	char *expanded;
	if (spec_per_instance(e->value))
		x->c->per_instance = true;
	r = spec_expand(x->c->name, x->path, e->value, &expanded, x->why, sizeof(x->why));
	if (r >= 0) {
		const char *val = expanded ? expanded : e->value;
		r = is_cond ? h_condition(x, ctype, cassert, val) : k->fn(x, k, val);
		free(expanded);
	}
	if (r == -ENOMEM)
		return r;
	/* A template itself is never started: a value that names the
	 * instance ("Wants=%i.service" reads ".service" here) is judged in
	 * each instance, which parses the text again under its own name. */
	if (r < 0 && x->template_itself && spec_per_instance(e->value))
		return 0;
	if (r < 0)
		conf_report(x, 1, e->line, "bad value for %s=: '%.200s'%s%s", e->key, e->value,
			    x->why[0] ? ": " : "", x->why);
	return 0;
}

static int kind_from_name(const char *name, enum unit_kind *kind)
{
	size_t n = strlen(name);

	if (n > 8 && strcmp(name + n - 8, ".service") == 0)
		*kind = UNIT_SERVICE;
	else if (n > 7 && strcmp(name + n - 7, ".socket") == 0)
		*kind = UNIT_SOCKET;
	else
		return -EINVAL;
	return conf_unit_name_valid(name) ? 0 : -EINVAL;
}

static int init_unit(struct unit_conf *c, const char *name, const char *path, enum unit_kind kind)
{
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->success_action_exit_status = c->failure_action_exit_status = -1;
	if (kind == UNIT_SERVICE)
		conf_service_defaults(&c->svc);
	else
		conf_socket_defaults(&c->sock);
	c->name = strdup(name);
	c->path = strdup(path);
	return c->name && c->path ? 0 : -ENOMEM;
}

int conf_load_text(const char *name, const char *path, const char *text, size_t len,
		   struct unit_conf *out, char *err, size_t errlen,
		   conf_diag_fn diag, void *diag_ctx)
{
	struct conf_ctx x = { .c = out, .path = path, .diag = diag, .diag_ctx = diag_ctx,
			      .err = err, .errlen = errlen };
	struct uf_file f = { 0 };
	enum unit_kind kind;
	unsigned errline = 0, warned_line = 0;
	char msg[300];
	int r;

	if (errlen > 0)
		err[0] = '\0';
	memset(out, 0, sizeof(*out));
	if (kind_from_name(name, &kind) < 0) {
		conf_report(&x, 1, 0, "invalid unit name '%s' (must end in .service or .socket)", name);
		return -EINVAL;
	}
	/* Masked, as systemd has it: an empty file, or a link to /dev/null
	 * (which reads as one). */
	if (len == 0) {
		conf_report(&x, 1, 0, "masked (the file is empty or a link to /dev/null): not loaded");
		return -ENOEXEC;
	}
	r = init_unit(out, name, path, kind);
	if (r < 0)
		goto out;
	x.template_itself = conf_is_template(name);
	/* def only ever holds the default scalars, never owned memory */
	x.def.kind = kind;
	if (kind == UNIT_SERVICE)
		conf_service_defaults(&x.def.svc);
	else
		conf_socket_defaults(&x.def.sock);
	r = uf_parse(text, len, &f, &errline, msg, sizeof(msg));
	if (r == -EINVAL)
		conf_report(&x, 1, errline, "%s", msg);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < f.n; i++) {
		x.e = &f.entries[i];
		r = apply_entry(&x, kind == UNIT_SERVICE ? service_sections : socket_sections, &warned_line);
		if (r < 0)
			goto out;
	}
	r = kind == UNIT_SERVICE ? conf_service_finish(&x) : conf_socket_finish(&x);
	if (r == 0 && x.n_errors > 0)
		r = -EINVAL;
out:
	uf_free(&f);
	if (r == -ENOMEM && x.n_errors == 0 && errlen > 0)
		snprintf(err, errlen, "%s: out of memory", path);
	if (r < 0)
		conf_free(out);
	return r;
}

static int read_all(int fd, char **buf, size_t *len)
{
	struct stat st;
	size_t cap, n = 0;
	ssize_t got;
	char *b, *nb;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3)) {
		*buf = NULL; /* /dev/null: a masked unit, read as empty */
		*len = 0;
		return 0;
	}
	if (!S_ISREG(st.st_mode))
		return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
	if ((unsigned long long)st.st_size > CONF_FILE_MAX)
		return -EFBIG;
	cap = (size_t)st.st_size + 1;
	b = malloc(cap);
	if (!b)
		return -ENOMEM;
	for (;;) {
		if (n + 1 == cap) { /* the file grew while we read it */
			if (cap > CONF_FILE_MAX) {
				free(b);
				return -EFBIG;
			}
			nb = realloc(b, cap * 2);
			if (!nb) {
				free(b);
				return -ENOMEM;
			}
			b = nb;
			cap *= 2;
		}
		got = read(fd, b + n, cap - n - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			int e = -errno;
			free(b);
			return e;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

int conf_load_file(const char *path, struct unit_conf *out, char *err, size_t errlen,
		   conf_diag_fn diag, void *diag_ctx)
{
	const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	char *text = NULL;
	size_t len = 0;
	int fd, r;

	memset(out, 0, sizeof(*out));
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		r = -errno;
		goto fail;
	}
	r = read_all(fd, &text, &len);
	close(fd);
	if (r < 0)
		goto fail;
	r = conf_load_text(name, path, text, len, out, err, errlen, diag, diag_ctx);
	free(text);
	return r;
fail:
	if (errlen > 0)
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
	if (diag)
		diag(diag_ctx, 1, path, strerror(-r));
	return r;
}

void conf_free(struct unit_conf *c)
{
	if (!c)
		return;
	free(c->name);
	free(c->path);
	free(c->description);
	free(c->default_instance);
	conf_strv_free(&c->wanted_by, &c->n_wanted_by);
	conf_strv_free(&c->requires, &c->n_requires);
	conf_strv_free(&c->wants, &c->n_wants);
	conf_strv_free(&c->after, &c->n_after);
	conf_strv_free(&c->before, &c->n_before);
	conf_strv_free(&c->binds_to, &c->n_binds_to);
	conf_strv_free(&c->part_of, &c->n_part_of);
	conf_strv_free(&c->on_failure, &c->n_on_failure);
	conf_strv_free(&c->on_success, &c->n_on_success);
	conf_strv_free(&c->conflicts, &c->n_conflicts);
	conf_strv_free(&c->requisite, &c->n_requisite);
	conf_strv_free(&c->upholds, &c->n_upholds);
	conf_strv_free(&c->propagates_reload_to, &c->n_propagates_reload_to);
	conf_strv_free(&c->reload_propagated_from, &c->n_reload_propagated_from);
	conf_strv_free(&c->propagates_stop_to, &c->n_propagates_stop_to);
	conf_strv_free(&c->stop_propagated_from, &c->n_stop_propagated_from);
	for (size_t i = 0; i < c->n_conds; i++)
		free(c->conds[i].param);
	free(c->conds);
	if (c->kind == UNIT_SERVICE)
		conf_service_free(&c->svc);
	else
		conf_socket_free(&c->sock);
	memset(c, 0, sizeof(*c));
}
