/*
 * preparse.c - see preparse.h.
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "log.h"
#include "preparse.h"
#include "proto.h"

struct parsed {
	char *name, *path;
	struct unit_conf *conf; /* or error */
	char *error;
	bool ready;
};

/* Everything below `mu` is shared with the thread and read or written
 * only with it held; `started` and `in` belong to the first thread.
 *
 * Units are numbered in state order (those with a text only). The first
 * thread takes them in that order; one the second has not parsed yet, and
 * is not parsing, it parses itself (rather than wait), and the second skips
 * what the first has passed: the two share the work, whichever is free
 * takes the next unit. */
static struct {
	bool started;            /* created, not yet joined */
	pthread_t thread;
	struct state_in in;      /* the opened state; the thread walks a copy */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct parsed *v;        /* [i]: unit i, once ready */
	size_t cap;
	size_t next;             /* the unit the first thread takes next */
	size_t busy;             /* the unit the second is parsing, or SIZE_MAX */
	size_t parsed, used;     /* how many it parsed; how many of those were taken */
	bool stop;               /* asked to stop (finish, or a take did not match) */
} pp = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER, .busy = SIZE_MAX };

static void parsed_free(struct parsed *p)
{
	free(p->name);
	free(p->path);
	unit_conf_free(p->conf);
	free(p->error);
	memset(p, 0, sizeof *p);
}

/* May the thread parse unit i? Marks it busy if so. */
static bool claim(size_t i)
{
	pthread_mutex_lock(&pp.mu);
	bool ok = !pp.stop && i >= pp.next;
	if (ok && i >= pp.cap) {
		size_t cap = pp.cap ? pp.cap * 2 : 64;
		while (cap <= i)
			cap *= 2;
		struct parsed *nv = realloc(pp.v, cap * sizeof *nv);
		if (nv) {
			memset(nv + pp.cap, 0, (cap - pp.cap) * sizeof *nv);
			pp.v = nv;
			pp.cap = cap;
		}
		ok = nv != NULL;
	}
	if (ok)
		pp.busy = i;
	pthread_mutex_unlock(&pp.mu);
	return ok;
}

/* Hand unit i over (p is moved). */
static void publish(size_t i, struct parsed *p)
{
	pthread_mutex_lock(&pp.mu);
	p->ready = true;
	pp.v[i] = *p;
	pp.busy = SIZE_MAX;
	pp.parsed++;
	pthread_cond_broadcast(&pp.cv);
	pthread_mutex_unlock(&pp.mu);
}

static bool stopped(void)
{
	pthread_mutex_lock(&pp.mu);
	bool s = pp.stop;
	pthread_mutex_unlock(&pp.mu);
	return s;
}

/* glibc's default: the free space at the top of a heap beyond which a
 * free() hands memory back to the kernel. */
#define TRIM_THRESHOLD_DEFAULT (128 * 1024)

/* None handed back while the thread runs, which reserve_heap below would
 * otherwise cause at once: with two threads, each trim (madvise or a brk
 * shrink) flushes the TLB of the other CPU too, an interrupt the first
 * thread takes in the middle of its own restore (five of them, about
 * 0.15 ms of the re-exec on a 2-core VM). The room is handed back later,
 * by the first free() at the top of a heap after preparse_finish. (Setting
 * it at all also fixes glibc's mmap threshold at its 128 KiB default,
 * which it would otherwise raise after large blocks are freed: larger
 * blocks then stay mapped apart and go back whole when freed.) */
static void hold_trim(bool hold)
{
	mallopt(M_TRIM_THRESHOLD, hold ? 64 * 1024 * 1024 : TRIM_THRESHOLD_DEFAULT);
}

/* glibc grows a thread's own heap by exactly what an allocation lacks,
 * with one mprotect() per step: parsing went 4 KiB at a time, about a
 * hundred calls for a hundred units, each taking the address space's lock
 * that the first thread's page faults wait on (together a quarter of a
 * millisecond of the re-exec). Blocks allocated and freed at once make
 * the room in a few steps, and it stays made: freeing gives the pages back
 * (they were never touched) but keeps the heap's accessible size. About
 * four bytes of parsed units per byte of state, at most 4 MiB. */
static void reserve_heap(size_t state_len)
{
	enum { BLOCK = 64 * 1024 - 64, MAX_BLOCKS = 64 };
	void *b[MAX_BLOCKS];
	size_t n = state_len * 4 / BLOCK + 1, i;
	if (n > MAX_BLOCKS)
		n = MAX_BLOCKS;
	for (i = 0; i < n && (b[i] = malloc(BLOCK)); i++)
		;
	while (i-- > 0) /* last first: each joins the free top of the heap */
		free(b[i]);
}

/* The records state_read reads too, in the same order: a unit's text
 * follows its begin-unit and (when given) its path. Anything unexpected
 * ends the walk; state_read then parses the rest, and says what is wrong. */
static void *run(void *arg)
{
	(void)arg;
	reserve_heap(pp.in.len);
	struct state_in it = pp.in;
	it.val = NULL;
	it.val_cap = 0;
	char name[PROTO_MAX_NAME + 1] = "";
	char *path = NULL;
	size_t i = 0;
	while (si_next(&it) > 0) {
		if (!strcmp(it.key, "begin-unit")) {
			if (name[0] || strlen(it.val) > PROTO_MAX_NAME)
				break;
			memcpy(name, it.val, strlen(it.val) + 1);
		} else if (!strcmp(it.key, "end-unit")) {
			name[0] = '\0';
			free(path);
			path = NULL;
		} else if (name[0] && !strcmp(it.key, "path")) {
			free(path);
			if (!(path = strdup(it.val)))
				break;
		} else if (name[0] && !strcmp(it.key, "text")) {
			size_t me = i++;
			if (!claim(me)) {
				if (stopped())
					break;
				continue; /* the first thread has passed it */
			}
			struct parsed p = { .path = path };
			path = NULL;
			if (!p.path && asprintf(&p.path, "%s/%s", daemon_units_dir, name) < 0)
				p.path = NULL;
			if (!p.path || !(p.name = strdup(name)) ||
			    unit_parse_text(name, p.path, it.val, it.val_len, &p.conf, &p.error) < 0)
				parsed_free(&p); /* published empty: the first thread parses it */
			publish(me, &p);
		}
	}
	free(path);
	si_close(&it);
	pthread_mutex_lock(&pp.mu);
	pp.stop = true; /* nothing more: the first thread parses what is left */
	pthread_cond_broadcast(&pp.cv);
	pthread_mutex_unlock(&pp.mu);
	return NULL;
}

void preparse_start(const struct state_in *in)
{
	if (pp.started)
		return;
	pp.in = *in;
	pp.next = pp.parsed = pp.used = 0;
	pp.busy = SIZE_MAX;
	pp.stop = false;
	/* On another CPU than this one, when there is one: a new thread may
	 * otherwise be queued behind its creator, which does not sleep during
	 * the restore, and would start when there is nothing left to parse
	 * (seen: about half the re-execs on 2 cores). */
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	cpu_set_t cpus;
	int here = sched_getcpu();
	if (here >= 0 && sched_getaffinity(0, sizeof cpus, &cpus) == 0 && CPU_ISSET(here, &cpus) &&
	    CPU_COUNT(&cpus) > 1) {
		CPU_CLR(here, &cpus);
		pthread_attr_setaffinity_np(&attr, sizeof cpus, &cpus);
	}
	hold_trim(true); /* single-threaded still: mallopt is not for a running heap */
	/* No signal is ever delivered to it: the first thread handles them all. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int e = pthread_create(&pp.thread, &attr, run, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (e != 0) {
		hold_trim(false);
		log_debug("re-exec: no second thread for the unit files (%s); parsing them in turn", strerror(e));
		return;
	}
	pp.started = true;
}

bool preparse_take(const char *name, const char *path, struct unit_conf **conf, char **error)
{
	if (!pp.started)
		return false;
	bool ok = false;
	pthread_mutex_lock(&pp.mu);
	size_t me = pp.next++;
	while (pp.busy == me)
		pthread_cond_wait(&pp.cv, &pp.mu);
	if (me < pp.cap && pp.v[me].ready) {
		struct parsed *p = &pp.v[me];
		if (p->name && !strcmp(p->name, name) && !strcmp(p->path, path) && (p->conf || p->error)) {
			*conf = p->conf;
			*error = p->error;
			p->conf = NULL;
			p->error = NULL;
			pp.used++;
			ok = true;
		} else if (p->name) {
			pp.stop = true; /* out of step: the caller parses the rest */
		}
	}
	pthread_mutex_unlock(&pp.mu);
	return ok;
}

void preparse_finish(void)
{
	if (!pp.started)
		return;
	pthread_mutex_lock(&pp.mu);
	pp.stop = true;
	pthread_mutex_unlock(&pp.mu);
	pthread_join(pp.thread, NULL);
	pp.started = false;
	hold_trim(false);
	log_debug("re-exec: %zu of %zu unit files came parsed from the second thread (it parsed %zu)", pp.used, pp.next,
		  pp.parsed);
	for (size_t i = 0; i < pp.cap; i++)
		parsed_free(&pp.v[i]);
	free(pp.v);
	pp.v = NULL;
	pp.cap = pp.next = pp.parsed = pp.used = 0;
	pp.busy = SIZE_MAX;
}

size_t preparse_parsed(void)
{
	pthread_mutex_lock(&pp.mu);
	size_t n = pp.parsed;
	pthread_mutex_unlock(&pp.mu);
	return n;
}
