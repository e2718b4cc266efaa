/*
 * template.c - see template.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "deps.h"
#include "log.h"
#include "template.h"
#include "unit.h"

bool template_made(const struct unit *u)
{
	char t[512];
	const char *base = u->path ? strrchr(u->path, '/') : NULL;
	base = base ? base + 1 : u->path;
	return !u->instance_of && base && strcmp(base, u->name) != 0 && conf_template_of(u->name, t, sizeof t) &&
	       strcmp(base, t) == 0;
}

char *template_text(const struct unit *t)
{
	char *text = malloc(t->text_len + 1);
	if (text) {
		memcpy(text, t->text, t->text_len);
		text[t->text_len] = '\0';
	}
	return text;
}

struct unit *template_find_or_make(const char *name)
{
	struct unit *u = unit_find(name);
	char tname[512];
	if (u || !conf_template_of(name, tname, sizeof tname) || !conf_unit_name_valid(name))
		return u;
	struct unit *t = unit_find(tname);
	/* Services only: a socket instance would need its own listeners. */
	if (!t || t->kind != UNIT_SERVICE || !t->text || t->instance_of)
		return NULL;
	char *text = template_text(t);
	if (!text)
		return NULL;
	u = unit_new_from_text(t->svc.timer.loop, name, t->path, text, t->text_len, NULL);
	if (!u)
		return NULL;
	log_info("%s: made from %s", name, tname);
	unit_relink();
	deps_check_cycles();
	return u;
}
