/*
 * unit.c - the unit registry; see unit.h.
 *
 * The registry is an array of pointers, sorted by name once loading is
 * done, so lookups are a binary search and `supctl status` lists units in a
 * stable order.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "accept.h"
#include "control.h"
#include "fdstore.h"
#include "service.h"
#include "sockunit.h"
#include "log.h"
#include "logpipe.h"

static struct unit **units;
static size_t n_units, cap_units;

uint64_t now_mono_usec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t now_real_usec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

size_t unit_count(void)
{
	return n_units;
}

struct unit *unit_at(size_t i)
{
	return i < n_units ? units[i] : NULL;
}

static int cmp_units(const void *a, const void *b)
{
	return strcmp((*(struct unit *const *)a)->name, (*(struct unit *const *)b)->name);
}

struct unit *unit_find(const char *name)
{
	size_t lo = 0, hi = n_units;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(name, units[mid]->name);
		if (c == 0)
			return units[mid]->dead ? NULL : units[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static bool has_suffix(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && strcmp(s + a - b, suf) == 0;
}

struct unit *unit_lookup(const char *name, char *canon, size_t canonlen)
{
	if (has_suffix(name, ".service") || has_suffix(name, ".socket"))
		snprintf(canon, canonlen, "%s", name);
	else
		snprintf(canon, canonlen, "%s.service", name);
	return unit_find(canon);
}

static int add_unit(struct unit *u)
{
	if (n_units == cap_units) {
		size_t cap = cap_units ? cap_units * 2 : 32;
		struct unit **nu = realloc(units, cap * sizeof *nu);
		if (!nu)
			return -ENOMEM;
		units = nu;
		cap_units = cap;
	}
	units[n_units++] = u;
	return 0;
}

static void diag(void *ctx, int is_error, const char *where, const char *msg)
{
	if (is_error)
		log_err("%s: %s", where, msg);
	else
		log_warn("%s: %s", where, msg);
}

#define UNIT_FILE_MAX (1u << 20)

/* Read a whole unit file (bounded) into a NUL-terminated buffer. */
int unit_read_file(const char *path, char **out, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1);
	int r = 0;
	while (buf) {
		if (n == cap) {
			if (cap >= UNIT_FILE_MAX) {
				r = -EFBIG;
				break;
			}
			cap *= 2;
			char *nb = realloc(buf, cap + 1);
			if (!nb)
				break;
			buf = nb;
		}
		ssize_t got = read(fd, buf + n, cap - n);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		if (got == 0) {
			/* Kept as long as the unit (re-exec re-parses it): no
			 * slack, or 1000 small units hold 4 MiB of it. */
			char *fit = realloc(buf, n + 1);
			if (fit)
				buf = fit;
			buf[n] = '\0';
			close(fd);
			*out = buf;
			*len = n;
			return 0;
		}
		n += (size_t)got;
	}
	close(fd);
	free(buf);
	return r ? r : -ENOMEM;
}

static void free_unit(struct unit *u);

void unit_conf_free(struct unit_conf *c)
{
	if (c) {
		conf_free(c);
		free(c);
	}
}

int unit_parse_text(const char *fname, const char *path, const char *text, size_t text_len,
		    struct unit_conf **conf, char **error)
{
	char err[1024];
	struct unit_conf *c = calloc(1, sizeof *c);
	*conf = NULL;
	*error = NULL;
	if (!c)
		return -ENOMEM;
	err[0] = '\0';
	int r = conf_load_text(fname, path, text, text_len, c, err, sizeof err, diag, NULL);
	if (r < 0) {
		free(c);
		*error = strdup(err[0] ? err : strerror(-r));
		return *error ? 0 : -ENOMEM;
	}
	*conf = c;
	return 0;
}

struct unit *unit_new_from_text(uv_loop_t *loop, const char *fname, const char *path, char *text,
				size_t text_len, const char *read_error)
{
	struct unit_conf *c = NULL;
	char *error = NULL;
	if (read_error)
		error = strdup(read_error);
	else
		unit_parse_text(fname, path, text, text_len, &c, &error); /* neither set: out of memory */
	if (!c && !error) {
		free(text);
		return NULL;
	}
	return unit_new_parsed(loop, fname, path, text, text_len, c, error);
}

struct unit *unit_new_parsed(uv_loop_t *loop, const char *fname, const char *path, char *text,
			     size_t text_len, struct unit_conf *c, char *error)
{
	struct unit *u = calloc(1, sizeof *u);
	if (!u || !(u->name = strdup(fname)) || !(u->path = strdup(path))) {
		if (u)
			free(u->name);
		free(u);
		unit_conf_free(c);
		free(error);
		free(text);
		return NULL;
	}
	u->kind = has_suffix(fname, ".socket") ? UNIT_SOCKET : UNIT_SERVICE;
	u->text = text; /* now owned by the unit */
	u->text_len = text_len;
	if (c) {
		u->conf = c;
		free(error);
	} else {
		u->load_error = error;
		log_err("%s: not loaded: %s", fname, error ? error : "?");
	}
	if (u->kind == UNIT_SERVICE) {
		svc_init(u, loop);
	} else {
		u->sock.since_usec = now_real_usec();
		if (u->conf) {
			size_t n = u->conf->sock.n_listen;
			u->sock.l = calloc(n ? n : 1, sizeof *u->sock.l);
			u->sock.n = u->sock.l ? n : 0;
			for (size_t i = 0; i < u->sock.n; i++)
				u->sock.l[i].fd = -1;
		}
	}
	/* Sorted at once: lookups may follow straight away (reload). */
	if (unit_insert(u) < 0) {
		free_unit(u);
		return NULL;
	}
	return u;
}

static struct unit *load_one(uv_loop_t *loop, const char *dir, const char *fname)
{
	char path[4096], rerr[4200];
	char *text = NULL;
	size_t len = 0;
	snprintf(path, sizeof path, "%s/%s", dir, fname);
	int r = unit_read_file(path, &text, &len);
	if (r < 0)
		snprintf(rerr, sizeof rerr, "%s: %s", path, strerror(-r));
	return unit_new_from_text(loop, fname, path, text, len, r < 0 ? rerr : NULL);
}

/* The service a socket unit activates: Service= or the same base name. */
static struct unit *socket_service(struct unit *su)
{
	char name[512];
	if (su->conf->sock.service) {
		snprintf(name, sizeof name, "%s", su->conf->sock.service);
	} else {
		size_t base = strlen(su->name) - strlen(".socket");
		snprintf(name, sizeof name, "%.*s.service", (int)base, su->name);
	}
	struct unit *s = unit_find(name);
	if (!s || s->kind != UNIT_SERVICE)
		return NULL;
	return s;
}

static int add_socket_to(struct unit *svc, struct unit *sock)
{
	struct service *s = &svc->svc;
	for (size_t i = 0; i < s->n_sockets; i++)
		if (s->sockets[i] == sock)
			return 0;
	struct unit **ns = realloc(s->sockets, (s->n_sockets + 1) * sizeof *ns);
	if (!ns)
		return -ENOMEM;
	s->sockets = ns;
	s->sockets[s->n_sockets++] = sock;
	return 0;
}

/*
 * Sockets= lists come first, in their order; then every socket unit that
 * names the service (Service= or same base name), in name order. That is
 * the order of the fds at 3.. as well.
 */
static void link_units(void)
{
	for (size_t i = 0; i < n_units; i++) {
		struct unit *u = units[i];
		if (u->kind != UNIT_SERVICE || !u->conf)
			continue;
		const struct svc_conf *c = &u->conf->svc;
		for (size_t j = 0; j < c->n_sockets; j++) {
			struct unit *su = unit_find(c->sockets[j]);
			if (!su || su->kind != UNIT_SOCKET) {
				log_warn("%s: Sockets=%s: no such socket unit", u->name, c->sockets[j]);
				continue;
			}
			if (su->conf)
				add_socket_to(u, su);
		}
	}
	for (size_t i = 0; i < n_units; i++) {
		struct unit *su = units[i];
		if (su->kind != UNIT_SOCKET || !su->conf)
			continue;
		if (su->conf->sock.accept) {
			/* Accept=yes: it runs instances of NAME@.service, found when a
			 * connection comes; the template holds no socket of its own. */
			char tmpl[512];
			snprintf(tmpl, sizeof tmpl, "%.*s@.service", (int)(strlen(su->name) - strlen(".socket")), su->name);
			su->sock.service = unit_find(tmpl);
			if (!su->sock.service)
				log_warn("%s: Accept=yes but no template %s", su->name, tmpl);
			continue;
		}
		struct unit *svc = socket_service(su);
		if (!svc) {
			log_warn("%s: no service %s to activate", su->name,
				 su->conf->sock.service ? su->conf->sock.service : "of the same name");
			continue;
		}
		su->sock.service = svc;
		if (svc->conf)
			add_socket_to(svc, su);
	}
	for (size_t i = 0; i < n_units; i++) {
		struct unit *u = units[i];
		if (u->kind == UNIT_SERVICE && u->conf)
			u->svc.socket_activated = u->svc.n_sockets > 0 && u->conf->n_wanted_by == 0;
	}
}

int unit_load_dir(uv_loop_t *loop, const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return -errno;
	struct dirent *e;
	int r = 0;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (!has_suffix(e->d_name, ".service") && !has_suffix(e->d_name, ".socket"))
			continue;
		if (!load_one(loop, dir, e->d_name)) {
			r = -ENOMEM;
			break;
		}
	}
	closedir(d);
	unit_registry_finish();
	return r;
}

void unit_registry_finish(void)
{
	/* Usually sorted already (unit_insert keeps it so; a re-exec state
	 * lists units in order): check before sorting. */
	size_t i = 1;
	while (i < n_units && cmp_units(&units[i - 1], &units[i]) <= 0)
		i++;
	if (i < n_units)
		qsort(units, n_units, sizeof *units, cmp_units);
	link_units();
}

void unit_relink(void)
{
	for (size_t i = 0; i < n_units; i++) {
		struct unit *u = units[i];
		if (u->kind == UNIT_SERVICE) {
			free(u->svc.sockets);
			u->svc.sockets = NULL;
			u->svc.n_sockets = 0;
		} else {
			u->sock.service = NULL;
		}
	}
	unit_registry_finish();
}

/* Configurations replaced by a reload while Accept=yes instances may still
 * borrow them: freed only at exit. */
static struct unit_conf **retired;
static size_t n_retired;

void unit_retire_conf(struct unit_conf *c)
{
	struct unit_conf **nr = realloc(retired, (n_retired + 1) * sizeof *nr);
	if (!nr)
		return; /* kept alive, unreferenced: a leak, never a dangling pointer */
	retired = nr;
	retired[n_retired++] = c;
}

void unit_state_changed(struct unit *u)
{
	ctl_jobs_update(u);
	if (u->kind == UNIT_SERVICE && !u->dead && !svc_has_processes(u) &&
	    (u->svc.state == SVC_STOPPED || u->svc.state == SVC_FAILED)) {
		if (u->instance_of)
			accept_instance_done(u);
		else if (u->removing)
			unit_discard(u); /* its file is gone (reload) and it has stopped */
	}
}

int unit_insert(struct unit *u)
{
	if (add_unit(u) < 0)
		return -ENOMEM;
	/* Move it to its sorted place (the array is sorted but for the last). */
	size_t i = n_units - 1;
	while (i > 0 && strcmp(units[i - 1]->name, u->name) > 0) {
		units[i] = units[i - 1];
		i--;
	}
	units[i] = u;
	return 0;
}

/*
 * Discarded units are collected from a check handle, after the callback
 * that discarded them has unwound: callers up the stack may still hold the
 * pointer, and loops over the registry must not see it shift under them.
 */
static uv_check_t collector;
static bool collector_on;
static struct unit **discarded;
static size_t n_discarded;

static void unit_freed_cb(uv_handle_t *h)
{
	struct unit *u = h->data;
	if (--u->handles_open == 0)
		free_unit(u);
}

static void collect_cb(uv_check_t *h)
{
	for (size_t k = 0; k < n_discarded; k++) {
		struct unit *u = discarded[k];
		for (size_t i = 0; i < n_units; i++)
			if (units[i] == u) {
				memmove(&units[i], &units[i + 1], (n_units - i - 1) * sizeof *units);
				n_units--;
				break;
			}
		ctl_jobs_drop_unit(u);
		u->handles_open = 0;
		if (u->kind == UNIT_SOCKET) {
			sockunit_close(u); /* listeners and their handles */
			free_unit(u);
			continue;
		}
		logpipe_close(u); /* instances log through their template: normally none */
		fdstore_clear(u);
		if (u->svc.pidfile_timer) { /* allocated: closed and freed on its own */
			unit_close_free((uv_handle_t *)u->svc.pidfile_timer);
			u->svc.pidfile_timer = NULL;
		}
		/* Its handles: the state timer and, if set up, the watchdog. */
		uv_handle_t *hs[] = { (uv_handle_t *)&u->svc.timer, (uv_handle_t *)&u->svc.watchdog };
		for (size_t j = 0; j < 2; j++) {
			if (hs[j]->type != UV_TIMER || uv_is_closing(hs[j]))
				continue;
			hs[j]->data = u;
			u->handles_open++;
			uv_close(hs[j], unit_freed_cb);
		}
		if (u->handles_open == 0)
			free_unit(u);
	}
	n_discarded = 0;
	uv_check_stop(h);
	collector_on = false;
}

void unit_discard(struct unit *u)
{
	if (u->dead)
		return;
	u->dead = true;
	struct unit **nd = realloc(discarded, (n_discarded + 1) * sizeof *nd);
	if (!nd)
		return; /* leaked rather than freed under someone's feet */
	discarded = nd;
	discarded[n_discarded++] = u;
	if (!collector_on) {
		if (!collector.loop)
			uv_check_init(u->svc.timer.loop, &collector);
		uv_check_start(&collector, collect_cb);
		collector_on = true;
	}
}

static void free_cb(uv_handle_t *h)
{
	free(h);
}

void unit_close_free(uv_handle_t *h)
{
	uv_close(h, free_cb);
}

static void free_unit(struct unit *u)
{
	if (u->kind == UNIT_SERVICE) {
		free(u->svc.sockets);
		free(u->svc.start_ring);
		free(u->svc.error);
		free(u->svc.status_text);
		free(u->svc.private_tmp[0]); /* the directories stay for a re-exec or go with the stop */
		free(u->svc.private_tmp[1]);
		if (u->svc.netns_fd >= 0)
			close(u->svc.netns_fd);
	} else {
		free(u->sock.error);
		for (size_t i = 0; i < u->sock.n; i++)
			free(u->sock.l[i].addr);
		free(u->sock.l);
	}
	if (!u->conf_borrowed)
		unit_conf_free(u->conf);
	free(u->load_error);
	free(u->text);
	free(u->path);
	free(u->name);
	free(u);
}

void unit_free_all(void)
{
	for (size_t i = 0; i < n_retired; i++)
		unit_conf_free(retired[i]);
	free(retired);
	retired = NULL;
	n_retired = 0;
	free(discarded);
	discarded = NULL;
	n_discarded = 0;
	for (size_t i = 0; i < n_units; i++)
		free_unit(units[i]);
	free(units);
	units = NULL;
	n_units = cap_units = 0;
}
