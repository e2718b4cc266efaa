/*
 * test_preparse.c - a re-exec's unit files parsed on a second thread
 * (preparse.c), as a unit: what the first thread takes must be exactly what
 * it would have parsed itself, unit by unit, whoever parsed it; a take out
 * of step or a stop half-way must leave the caller parsing, and nothing
 * leaked (the sanitizer build checks that).
 *
 * The end-to-end path (a real daemon re-executing with the thread) is run
 * by every test in test_reexec.c.
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "daemon.h"
#include "preparse.h"
#include "state_codec.h"
#include "unit.h"

#include "daemon_globals.h"

static const char svc_text[] = "[Unit]\nDescription=a\n[Service]\nExecStart=/bin/sleep 1000\nUnknownKey=1\n";
static const char sock_text[] = "[Socket]\nListenStream=127.0.0.1:8080\nListenStream=/run/b.sock\n";
static const char bad_text[] = "[Service]\nType=bogus\nExecStart=/bin/true\n";

struct doc {
	struct state_out o;
	struct state_in in;
	unsigned format;
};

/* One unit's records: begin-unit, its path when given, one key, end-unit. */
static void unit_rec(struct state_out *o, const char *name, const char *path, const char *key, const char *val)
{
	so_str(o, "begin-unit", name);
	if (path)
		so_str(o, "path", path);
	so_str(o, key, val);
	so_str(o, "end-unit", "");
}

/* A state with: a service, a socket with its own path, a unit that does
 * not load, an Accept=yes instance (no text) and a load error (no text),
 * then `extra` more services. */
static void make_doc(struct doc *d, int extra)
{
	struct state_out *o = &d->o;
	so_init(o);
	so_fmt(o, "supervisord-state", "%d", STATE_FORMAT);
	unit_rec(o, "a.service", NULL, "text", svc_text);
	unit_rec(o, "b.socket", "/elsewhere/b.socket", "text", sock_text);
	unit_rec(o, "bad.service", NULL, "text", bad_text);
	unit_rec(o, "c@1.service", NULL, "instance-of", "c.socket");
	unit_rec(o, "d.service", NULL, "load-error", "d.service: no such file");
	for (int i = 0; i < extra; i++) {
		char name[32];
		snprintf(name, sizeof name, "e%d.service", i);
		unit_rec(o, name, NULL, "text", svc_text);
	}
	so_finish(o);
	cr_assert_eq(o->err, 0);
	char err[128];
	cr_assert_eq(si_open(&d->in, o->buf, o->len, &d->format, err, sizeof err), 0, "%s", err);
}

static void free_doc(struct doc *d)
{
	si_close(&d->in);
	so_free(&d->o);
}

/* Take `name` and check it is what unit_parse_text makes of `text`. */
static void take_and_compare(const char *name, const char *path, const char *text)
{
	struct unit_conf *want = NULL, *got = NULL;
	char *want_err = NULL, *got_err = NULL;
	cr_assert_eq(unit_parse_text(name, path, text, strlen(text), &want, &want_err), 0);
	if (!preparse_take(name, path, &got, &got_err)) {
		unit_conf_free(want);
		free(want_err);
		cr_assert_fail("%s: not handed over by the second thread", name);
	}
	cr_assert_eq(!got, !want, "%s: loaded on one side only", name);
	if (want_err)
		cr_assert_str_eq(got_err, want_err);
	if (want) {
		cr_assert_str_eq(got->name, want->name);
		cr_assert_str_eq(got->path, want->path);
		cr_assert_eq(got->kind, want->kind);
		if (want->kind == UNIT_SERVICE) {
			cr_assert_eq(got->svc.n_exec_start, want->svc.n_exec_start);
			cr_assert_str_eq(got->svc.exec_start[0].path, want->svc.exec_start[0].path);
			cr_assert_eq(got->svc.exec_start[0].argc, want->svc.exec_start[0].argc);
			cr_assert_str_eq(got->description, want->description);
		} else {
			cr_assert_eq(got->sock.n_listen, want->sock.n_listen);
			for (size_t i = 0; i < want->sock.n_listen; i++)
				cr_assert_str_eq(got->sock.listen[i].address, want->sock.listen[i].address);
		}
	}
	unit_conf_free(want);
	unit_conf_free(got);
	free(want_err);
	free(got_err);
}

/* Bounded wait until the thread has parsed n units. */
static void wait_parsed(size_t n)
{
	for (int i = 0; i < 5000 && preparse_parsed() < n; i++)
		nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
	cr_assert_eq(preparse_parsed(), n, "the second thread parsed %zu of %zu units in 5 s", preparse_parsed(), n);
}

Test(preparse, the_second_thread_parses_each_unit_as_the_first_would)
{
	struct doc d;
	make_doc(&d, 0);
	preparse_start(&d.in);
	wait_parsed(3); /* a.service, b.socket, bad.service: the ones with a text */
	take_and_compare("a.service", "/units/a.service", svc_text);
	take_and_compare("b.socket", "/elsewhere/b.socket", sock_text);
	take_and_compare("bad.service", "/units/bad.service", bad_text);
	preparse_finish();
	free_doc(&d);
}

Test(preparse, what_the_first_thread_passed_is_skipped_and_the_rest_shared)
{
	/* Taken at once, without waiting: any unit the second thread has not
	 * reached is the caller's to parse (false), and whatever it hands over
	 * is still the right unit. Every unit is accounted for either way. */
	enum { EXTRA = 300 };
	struct doc d;
	make_doc(&d, EXTRA);
	preparse_start(&d.in);
	size_t mine = 0, theirs = 0;
	for (int i = -3; i < EXTRA; i++) {
		char name[32], path[64];
		if (i == -3)
			snprintf(name, sizeof name, "a.service");
		else if (i == -2)
			snprintf(name, sizeof name, "b.socket");
		else if (i == -1)
			snprintf(name, sizeof name, "bad.service");
		else
			snprintf(name, sizeof name, "e%d.service", i);
		snprintf(path, sizeof path, i == -2 ? "/elsewhere/%s" : "/units/%s", name);
		struct unit_conf *c = NULL;
		char *e = NULL;
		if (preparse_take(name, path, &c, &e)) {
			theirs++;
			cr_assert(c || e);
			if (c)
				cr_assert_str_eq(c->name, name);
			unit_conf_free(c);
			free(e);
		} else {
			mine++;
		}
	}
	cr_assert_eq(mine + theirs, EXTRA + 3);
	preparse_finish();
	free_doc(&d);
}

Test(preparse, a_take_out_of_step_leaves_the_caller_parsing)
{
	struct doc d;
	make_doc(&d, 0);
	preparse_start(&d.in);
	wait_parsed(3);
	struct unit_conf *c = NULL;
	char *e = NULL;
	/* Not the unit the state has first: nothing is handed over, and the
	 * thread's parse of a.service is dropped, not given to another name. */
	cr_assert(!preparse_take("zz.service", "/units/zz.service", &c, &e));
	cr_assert_null(c);
	cr_assert_null(e);
	preparse_finish(); /* frees the two parses never taken */
	free_doc(&d);
}

Test(preparse, stopped_half_way_frees_everything)
{
	struct doc d;
	make_doc(&d, 2000);
	preparse_start(&d.in);
	preparse_finish(); /* most likely mid-walk: joined, and nothing left behind */
	struct unit_conf *c = NULL;
	char *e = NULL;
	cr_assert(!preparse_take("a.service", "/units/a.service", &c, &e), "a take after finish got something");
	free_doc(&d);
}

Test(preparse, nothing_is_handed_over_when_not_started)
{
	struct unit_conf *c = NULL;
	char *e = NULL;
	cr_assert(!preparse_take("a.service", "/units/a.service", &c, &e));
	preparse_finish();
}
