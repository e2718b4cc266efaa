/*
 * deps.c - see deps.h.
 *
 * Relations are read from the units' configurations each time (by name),
 * so a reload that swaps a configuration needs nothing here but a new
 * deps_check_cycles(). The registry is small (units are counted in tens or
 * hundreds), so the quadratic scans below cost nothing worth a cache.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "action.h"
#include "deps.h"
#include "template.h"
#include "log.h"
#include "service.h"
#include "service_priv.h"

static char cycle_list[SVC_STATUS_MAX / 2]; /* the units on cycles, for their status */

static bool is_service(const struct unit *u)
{
	return u && u->kind == UNIT_SERVICE && u->conf && !u->dead;
}

/* Does `list` name u? "b" is accepted for "b.service". */
static bool names(char *const *list, size_t n, const struct unit *u)
{
	size_t l = strlen(u->name);
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(list[i], u->name))
			return true;
		size_t k = strlen(list[i]);
		if (l == k + 8 && !strncmp(list[i], u->name, k) && !strcmp(u->name + k, ".service"))
			return true;
	}
	return false;
}

/* The unit a dependency names; NULL for kinds we do not have (targets).
 * *missing is set when it should exist and does not (or did not load). */
static struct unit *resolve_in(const char *name, bool *missing, bool make)
{
	char canon[300];
	*missing = false;
	size_t l = strlen(name);
	bool ours = (l > 8 && !strcmp(name + l - 8, ".service")) || (l > 7 && !strcmp(name + l - 7, ".socket")) ||
		    !strchr(name, '.');
	if (!ours)
		return NULL;
	struct unit *u = unit_lookup(name, canon, sizeof canon);
	if (!u && make)
		u = template_find_or_make(canon);
	if (!u || !u->conf || u->dead) {
		*missing = true;
		return NULL;
	}
	return u;
}

static struct unit *resolve(const char *name, bool *missing)
{
	return resolve_in(name, missing, false);
}

/* Is a ordered after b (a's After= or b's Before=)? Raw: cycles included. */
static bool after_raw(const struct unit *a, const struct unit *b)
{
	if (a == b || !a->conf || !b->conf)
		return false;
	return names(a->conf->after, a->conf->n_after, b) || names(b->conf->before, b->conf->n_before, a);
}

/* The same with the ordering inside a cycle ignored. */
static bool ordered_after(const struct unit *a, const struct unit *b)
{
	if (a->kind == UNIT_SERVICE && b->kind == UNIT_SERVICE && a->svc.dep_cycle && b->svc.dep_cycle)
		return false;
	return after_raw(a, b);
}

static bool starting(const struct unit *v)
{
	enum svc_state st = v->svc.state;
	return v->svc.dep_start || st == SVC_CONDITION || st == SVC_START_PRE || st == SVC_STARTING || st == SVC_START_POST;
}

static bool stopping(const struct unit *v)
{
	enum svc_state st = v->svc.state;
	return v->svc.dep_stop || st == SVC_STOP_CMD || st == SVC_STOPPING || st == SVC_FINAL_SIGTERM ||
	       st == SVC_STOP_POST;
}

/* Up, or on its way up (marked to start, or waiting to restart). */
static bool up_or_coming(const struct unit *v)
{
	return svc_is_active(v) || v->svc.dep_start || v->svc.state == SVC_AUTO_RESTART;
}

/* Down for good: failed, or stopped with nobody wanting it up. */
static bool down_for_good(const struct unit *v)
{
	const struct service *s = &v->svc;
	return !s->dep_start && !s->want_up && (s->state == SVC_FAILED || s->state == SVC_STOPPED);
}

/* A Requires=/BindsTo= unit that u is ordered after and that failed. */
static struct unit *failed_requirement(struct unit *u)
{
	char *const *lists[2] = { u->conf->requires, u->conf->binds_to };
	size_t ns[2] = { u->conf->n_requires, u->conf->n_binds_to };
	for (int l = 0; l < 2; l++)
		for (size_t i = 0; i < ns[l]; i++) {
			bool missing;
			struct unit *v = resolve(lists[l][i], &missing);
			/* A oneshot that ran to its end without RemainAfterExit=
			 * is stopped, and its start succeeded: systemd's
			 * Requires= is met by the successful start job. So is
			 * a start skipped by a Condition*=. */
			if (is_service(v) && ordered_after(u, v) && down_for_good(v) && !v->svc.oneshot_done &&
			    !v->svc.condition_skipped)
				return v;
		}
	return NULL;
}

/* The name of a Requisite= unit that is not loaded, or neither up nor on
 * its way up (it is never pulled in: the start fails at once, as in
 * systemd); *loaded says which. */
static const char *missing_requisite(struct unit *u, bool *loaded)
{
	for (size_t i = 0; i < u->conf->n_requisite; i++) {
		bool missing;
		struct unit *v = resolve(u->conf->requisite[i], &missing);
		*loaded = !missing;
		if (missing || (is_service(v) && !svc_is_active(v) && !starting(v)))
			return u->conf->requisite[i];
	}
	return NULL;
}

/* Does any loaded unit say Conflicts=? (Set by deps_check_cycles, which
 * runs whenever the registry changes: most setups have none, and the
 * checks below then cost nothing.) */
static bool any_conflicts;
/* The same for Upholds= and StopWhenUnneeded=. */
static bool any_upholds, any_unneeded;

/* Conflicts=, either way round. */
static bool in_conflict(const struct unit *a, const struct unit *b)
{
	return any_conflicts && a != b && a->conf && b->conf &&
	       (names(a->conf->conflicts, a->conf->n_conflicts, b) || names(b->conf->conflicts, b->conf->n_conflicts, a));
}

static bool start_blocked(struct unit *u)
{
	for (size_t i = 0; i < unit_count(); i++) {
		struct unit *v = unit_at(i);
		if (v != u && is_service(v) && starting(v) && ordered_after(u, v))
			return true;
		/* A unit it conflicts with goes down first, ordered or not: they
		 * are rarely meant to run side by side even for a moment (the
		 * same port, say). */
		if (is_service(v) && stopping(v) && in_conflict(u, v))
			return true;
	}
	return false;
}

static bool stop_blocked(struct unit *u)
{
	for (size_t i = 0; i < unit_count(); i++) {
		struct unit *w = unit_at(i);
		if (w != u && is_service(w) && stopping(w) && svc_has_processes(w) && ordered_after(w, u))
			return true;
		if (w != u && is_service(w) && w->svc.dep_stop && ordered_after(w, u))
			return true;
	}
	return false;
}

static bool deferred;

void deps_defer(bool on)
{
	deferred = on;
}

void deps_run(void)
{
	static bool running, again;
	if (deferred)
		return; /* whoever deferred it runs it when done */
	if (running) {
		/* Called back from a transition we caused: the loop below
		 * looks again instead of recursing. */
		again = true;
		return;
	}
	running = true;
	svc_scan_begin(); /* one process-tree scan for every unit stopped here */
	do {
		again = false;
		for (size_t i = 0; i < unit_count(); i++) {
			struct unit *u = unit_at(i);
			if (!is_service(u))
				continue;
			struct service *s = &u->svc;
			if (s->dep_stop) {
				if (!stop_blocked(u)) {
					svc_stop_now(u);
					again = true;
				}
			} else if (s->dep_start) {
				struct unit *v;
				const char *req;
				bool loaded;
				char err[SVC_ERROR_MAX];
				if (svc_shutting_down()) {
					s->dep_start = false;
				} else if ((v = failed_requirement(u))) {
					snprintf(err, sizeof err, "dependency failed: %s %s", v->name,
						 v->svc.state == SVC_FAILED ? "failed" : "is stopped");
					svc_fail_dependency(u, err);
					again = true;
				} else if (!start_blocked(u) && (req = missing_requisite(u, &loaded))) {
					snprintf(err, sizeof err, "dependency failed: %s %s (Requisite=)", req,
						 loaded ? "is not active" : "not found or not loaded");
					svc_fail_dependency(u, err);
					again = true;
				} else if (!start_blocked(u)) {
					bool automatic = s->dep_automatic;
					s->dep_automatic = false;
					if (svc_start_now(u, automatic, err, sizeof err) < 0)
						log_err("%s", err);
					s->dep_start = false;
					again = true;
				}
			}
		}
	} while (again);
	svc_scan_end();
	running = false;
}

/* A queue of units (each enters once), sized for the whole registry and
 * grown when the walk makes instances of templates. */
struct uqueue {
	struct unit **v;
	size_t head, tail, cap;
};

static int uq_init(struct uqueue *q)
{
	q->head = q->tail = 0;
	q->cap = unit_count() + 1;
	q->v = calloc(q->cap, sizeof *q->v);
	return q->v ? 0 : -ENOMEM;
}

static bool uq_push(struct uqueue *q, struct unit *u)
{
	if (q->tail == q->cap) {
		struct unit **nv = realloc(q->v, 2 * q->cap * sizeof *nv);
		if (!nv)
			return false;
		q->v = nv;
		q->cap *= 2;
	}
	q->v[q->tail++] = u;
	return true;
}

static void mark_stop(struct unit *root);

void deps_mark_start(struct unit *root)
{
	struct uqueue q;
	if (!is_service(root))
		return;
	if (uq_init(&q) < 0) {
		/* No memory for the walk: start this one unit at least. */
		root->svc.dep_start = root->svc.want_up = true;
		return;
	}
	root->svc.dep_start = root->svc.want_up = true;
	q.v[q.tail++] = root;
	while (q.head < q.tail) {
		struct unit *u = q.v[q.head++];
		const struct unit_conf *c = u->conf;
		char *const *lists[4] = { c->requires, c->binds_to, c->wants, c->upholds };
		size_t ns[4] = { c->n_requires, c->n_binds_to, c->n_wants, c->n_upholds };
		for (int l = 0; l < 4; l++)
			for (size_t i = 0; i < ns[l]; i++) {
				bool missing;
				/* An instance of a template is made here if need be. */
				struct unit *v = resolve_in(lists[l][i], &missing, true);
				if (missing && l < 2) {
					char err[SVC_ERROR_MAX];
					snprintf(err, sizeof err, "dependency failed: %s not found or not loaded",
						 lists[l][i]);
					svc_fail_dependency(u, err);
					continue;
				}
				if (!is_service(v) || v->svc.dep_start || svc_is_active(v) || conf_is_template(v->name) ||
				    !uq_push(&q, v))
					continue;
				v->svc.dep_start = v->svc.want_up = true;
			}
	}
	/* Conflicts=: what the units on their way up conflict with goes down
	 * (in one request, the unit asked for later wins). */
	for (size_t k = 0; any_conflicts && k < q.tail; k++) {
		struct unit *u = q.v[k];
		for (size_t i = 0; u->svc.dep_start && i < unit_count(); i++) {
			struct unit *v = unit_at(i);
			if (!is_service(v) || v->svc.dep_stop || !in_conflict(u, v) || !up_or_coming(v))
				continue;
			log_info("%s: stopping, it conflicts with %s", v->name, u->name);
			mark_stop(v);
		}
	}
	free(q.v);
}

int deps_request_start(struct unit *u, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	deps_mark_start(u);
	deps_run();
	return 0;
}

/* Does w need u (Requires=, BindsTo=, PartOf=, Requisite=)? */
static bool needs(const struct unit *w, const struct unit *u)
{
	const struct unit_conf *c = w->conf;
	return names(c->requires, c->n_requires, u) || names(c->binds_to, c->n_binds_to, u) ||
	       names(c->part_of, c->n_part_of, u) || names(c->requisite, c->n_requisite, u);
}

/* PropagatesStopTo=/StopPropagatedFrom=: does a stop of u reach w? */
static bool stop_propagates(const struct unit *u, const struct unit *w)
{
	return names(u->conf->propagates_stop_to, u->conf->n_propagates_stop_to, w) ||
	       names(w->conf->stop_propagated_from, w->conf->n_stop_propagated_from, u);
}

static void mark_stop(struct unit *root)
{
	struct uqueue q;
	root->svc.dep_stop = true;
	root->svc.dep_start = false;
	if (uq_init(&q) < 0)
		return;
	q.v[q.tail++] = root;
	while (q.head < q.tail) {
		struct unit *u = q.v[q.head++];
		for (size_t i = 0; i < unit_count() && q.tail <= unit_count(); i++) {
			struct unit *w = unit_at(i);
			if (!is_service(w) || w->svc.dep_stop || !(needs(w, u) || stop_propagates(u, w)) || !up_or_coming(w))
				continue;
			log_info("%s: stopping too, %s %s", w->name, needs(w, u) ? "it depends on" : "a stop propagates from",
				 u->name);
			w->svc.dep_stop = true;
			w->svc.dep_start = false;
			q.v[q.tail++] = w;
		}
	}
	free(q.v);
}

void deps_request_stop(struct unit *u)
{
	mark_stop(u);
	deps_run();
}

void deps_shutdown(void)
{
	for (size_t i = 0; i < unit_count(); i++) {
		struct unit *u = unit_at(i);
		if (u->kind != UNIT_SERVICE)
			continue;
		u->svc.dep_start = false;
		if (u->conf)
			u->svc.dep_stop = true;
		else
			u->svc.want_up = false;
	}
	deps_run();
}

void deps_state_changed(struct unit *u)
{
	if (is_service(u) && down_for_good(u)) {
		/* BindsTo=: what is bound to a unit goes down with it. */
		for (size_t i = 0; i < unit_count(); i++) {
			struct unit *w = unit_at(i);
			if (!is_service(w) || w->svc.dep_stop || !names(w->conf->binds_to, w->conf->n_binds_to, u))
				continue;
			if (!svc_is_active(w) && w->svc.state != SVC_AUTO_RESTART)
				continue;
			log_info("%s: stopping, the unit it is bound to (%s) is down", w->name, u->name);
			mark_stop(w);
		}
	}
	deps_run();
}

unsigned deps_check_cycles(void)
{
	size_t n = unit_count();
	any_conflicts = any_upholds = any_unneeded = false;
	for (size_t a = 0; a < n; a++) {
		const struct unit_conf *c = unit_at(a)->conf;
		any_conflicts = any_conflicts || (c && c->n_conflicts);
		any_upholds = any_upholds || (c && c->n_upholds);
		any_unneeded = any_unneeded || (c && c->stop_when_unneeded);
	}
	bool *edge = calloc(n * n + 1, 1); /* edge[a*n+b]: a is ordered after b */
	bool *alive = calloc(n + 1, 1);
	if (!edge || !alive) {
		free(edge);
		free(alive);
		return 0;
	}
	for (size_t a = 0; a < n; a++) {
		struct unit *ua = unit_at(a);
		if (ua->kind == UNIT_SERVICE)
			ua->svc.dep_cycle = false;
		alive[a] = is_service(ua);
	}
	for (size_t a = 0; a < n; a++)
		for (size_t b = 0; b < n; b++)
			edge[a * n + b] = alive[a] && alive[b] && after_raw(unit_at(a), unit_at(b));
	/* Peel off units with nothing alive before them, then those with
	 * nothing alive after them: what remains lies on a cycle (or between
	 * two), and is all that must give up its ordering. */
	for (bool changed = true; changed;) {
		changed = false;
		for (size_t a = 0; a < n; a++) {
			if (!alive[a])
				continue;
			bool has_pred = false, has_succ = false;
			for (size_t b = 0; b < n && !(has_pred && has_succ); b++) {
				if (!alive[b])
					continue;
				has_pred |= edge[a * n + b];
				has_succ |= edge[b * n + a];
			}
			if (!has_pred || !has_succ) {
				alive[a] = false;
				changed = true;
			}
		}
	}
	unsigned count = 0;
	size_t len = 0;
	cycle_list[0] = '\0';
	for (size_t a = 0; a < n; a++) {
		if (!alive[a])
			continue;
		struct unit *u = unit_at(a);
		u->svc.dep_cycle = true;
		count++;
		int w = snprintf(cycle_list + len, sizeof cycle_list - len, "%s%s", len ? " " : "", u->name);
		if (w > 0 && (size_t)w < sizeof cycle_list - len)
			len += (size_t)w;
	}
	free(edge);
	free(alive);
	if (count) {
		log_err("ordering cycle between %s: the ordering between them is ignored", cycle_list);
		for (size_t a = 0; a < n; a++)
			deps_cycle_note(unit_at(a));
	}
	return count;
}

void deps_cycle_note(struct unit *u)
{
	if (u->kind != UNIT_SERVICE || !u->svc.dep_cycle)
		return;
	text_setf(&u->svc.status_text, SVC_STATUS_MAX, "ordering cycle: %s (ordering ignored)",
		 cycle_list);
}

/* Does w want u up, in any way (StopWhenUnneeded=)? */
static bool uses(const struct unit *w, const struct unit *u)
{
	const struct unit_conf *c = w->conf;
	return c && (names(c->requires, c->n_requires, u) || names(c->wants, c->n_wants, u) ||
		     names(c->binds_to, c->n_binds_to, u) || names(c->requisite, c->n_requisite, u) ||
		     names(c->upholds, c->n_upholds, u));
}

/* StopWhenUnneeded=: v goes down once no unit that is up (or on its way)
 * wants it any more. True when it was marked to stop. */
static bool stop_if_unneeded(struct unit *v)
{
	/* A socket's service is its socket's to keep (it triggers it). */
	if (!is_service(v) || !v->conf->stop_when_unneeded || !svc_is_active(v) || v->svc.dep_stop ||
	    v->svc.n_sockets > 0 || v->instance_of)
		return false;
	for (size_t i = 0; i < unit_count(); i++) {
		struct unit *w = unit_at(i);
		if (w != v && is_service(w) && up_or_coming(w) && !w->svc.dep_stop && uses(w, v))
			return false;
	}
	log_info("%s: stopping, no unit needs it any more (StopWhenUnneeded=)", v->name);
	mark_stop(v);
	return true;
}

/* Upholds=, StopWhenUnneeded=: what a unit going down or coming up means
 * for the others. */
static void upholds_and_unneeded(struct unit *u, enum svc_state st)
{
	bool down = st == SVC_STOPPED || st == SVC_FAILED;
	bool changed = false;
	if (any_upholds && down) {
		/* Upheld: started again at once while an upholder is up
		 * (automatic: the start limit applies). */
		for (size_t i = 0; i < unit_count(); i++) {
			struct unit *w = unit_at(i);
			if (w == u || !is_service(w) || !svc_is_active(w) || w->svc.dep_stop ||
			    !names(w->conf->upholds, w->conf->n_upholds, u))
				continue;
			log_info("%s: starting again, %s upholds it (Upholds=)", u->name, w->name);
			u->svc.dep_automatic = true;
			deps_mark_start(u);
			changed = true;
			break;
		}
	}
	if (any_unneeded && down) {
		/* What u used may be unneeded now. */
		for (size_t i = 0; i < unit_count(); i++) {
			struct unit *v = unit_at(i);
			if (v != u && is_service(v) && uses(u, v))
				changed |= stop_if_unneeded(v);
		}
	} else if (any_unneeded && (st == SVC_RUNNING || st == SVC_EXITED)) {
		/* Started by hand with nobody needing it: down again, as in
		 * systemd. */
		changed |= stop_if_unneeded(u);
	}
	if (changed)
		deps_run();
}

/* OnFailure=/OnSuccess= and FailureAction=/SuccessAction= (systemd's
 * unit_notify): on entering "failed" (not on the way to a restart: that is
 * auto-restart here; not for a dependency that failed it, which systemd
 * does not count as the unit failing), or "stopped" from anything but
 * failed. Upholds= and StopWhenUnneeded= first. */
void deps_on_transition(struct unit *u, enum svc_state old, enum svc_state st)
{
	const struct unit_conf *c = u->conf;
	if (!c || old == st || svc_shutting_down())
		return;
	upholds_and_unneeded(u, st);
	char *const *list;
	size_t n;
	const char *key;
	bool success;
	if (st == SVC_FAILED && u->svc.result != RES_DEPENDENCY) {
		list = c->on_failure, n = c->n_on_failure, key = "OnFailure=", success = false;
	} else if (st == SVC_STOPPED && old != SVC_FAILED) {
		list = c->on_success, n = c->n_on_success, key = "OnSuccess=", success = true;
	} else {
		return;
	}
	for (size_t i = 0; i < n; i++) {
		bool missing;
		struct unit *v = resolve_in(list[i], &missing, true);
		if (!is_service(v)) {
			if (missing)
				log_warn("%s: %s%s: no such unit", u->name, key, list[i]);
			continue;
		}
		log_info("%s: %s starting %s", u->name, key, v->name);
		deps_mark_start(v);
	}
	if (n)
		deps_run();
	action_run(u, success);
}

void deps_propagate_reload(struct unit *u)
{
	if (!is_service(u))
		return;
	for (size_t i = 0; i < unit_count(); i++) {
		struct unit *v = unit_at(i);
		if (v == u || !is_service(v) || v->svc.state != SVC_RUNNING ||
		    !(names(u->conf->propagates_reload_to, u->conf->n_propagates_reload_to, v) ||
		      names(v->conf->reload_propagated_from, v->conf->n_reload_propagated_from, u)))
			continue;
		char err[SVC_ERROR_MAX];
		if (svc_reload(v, err, sizeof err) < 0) {
			log_warn("%s: reload propagated from %s: %s", v->name, u->name, err);
			continue;
		}
		log_info("%s: reloading too, with %s (PropagatesReloadTo=)", v->name, u->name);
		deps_propagate_reload(v); /* a cycle ends at a unit already reloading */
	}
}
