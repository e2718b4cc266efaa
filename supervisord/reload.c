/*
 * reload.c - see reload.h.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "deps.h"
#include "log.h"
#include "logpipe.h"
#include "reload.h"
#include "template.h"
#include "service.h"
#include "sockunit.h"
#include "unit.h"

struct tally {
	unsigned added, removed, changed, broken, kept;
	char first_error[512];
};

static void diag(void *ctx, int is_error, const char *where, const char *msg)
{
	if (is_error)
		log_err("reload: %s: %s", where, msg);
	else
		log_warn("reload: %s: %s", where, msg);
}

static bool unit_file_name(const char *n)
{
	size_t l = strlen(n);
	if (n[0] == '.')
		return false;
	return (l > 8 && !strcmp(n + l - 8, ".service")) || (l > 7 && !strcmp(n + l - 7, ".socket"));
}

/* Socket options that shape the socket itself: a listener is kept only if
 * none of them changed. */
static bool same_socket_options(const struct sock_conf *a, const struct sock_conf *b)
{
	return a->backlog == b->backlog && a->socket_mode == b->socket_mode && a->reuse_port == b->reuse_port &&
	       a->free_bind == b->free_bind && a->keep_alive == b->keep_alive && a->no_delay == b->no_delay &&
	       a->pass_credentials == b->pass_credentials && a->accept == b->accept &&
	       a->bind_ipv6_only == b->bind_ipv6_only && a->receive_buffer == b->receive_buffer &&
	       a->send_buffer == b->send_buffer && a->pipe_size == b->pipe_size && a->priority == b->priority &&
	       a->mark == b->mark && a->ip_tos == b->ip_tos && a->ip_ttl == b->ip_ttl && a->broadcast == b->broadcast &&
	       a->pass_security == b->pass_security && a->pass_pktinfo == b->pass_pktinfo &&
	       a->transparent == b->transparent && a->timestamping == b->timestamping &&
	       a->defer_accept_usec == b->defer_accept_usec && a->keep_alive_time_usec == b->keep_alive_time_usec &&
	       a->keep_alive_interval_usec == b->keep_alive_interval_usec &&
	       a->keep_alive_probes == b->keep_alive_probes && a->writable == b->writable &&
	       a->mq_maxmsg == b->mq_maxmsg && a->mq_msgsize == b->mq_msgsize &&
	       a->socket_protocol == b->socket_protocol &&
	       !strcmp(a->tcp_congestion ? a->tcp_congestion : "", b->tcp_congestion ? b->tcp_congestion : "") &&
	       !strcmp(a->bind_to_device ? a->bind_to_device : "", b->bind_to_device ? b->bind_to_device : "") &&
	       !strcmp(a->socket_user ? a->socket_user : "", b->socket_user ? b->socket_user : "") &&
	       !strcmp(a->socket_group ? a->socket_group : "", b->socket_group ? b->socket_group : "");
}

static bool same_address(const struct listen_addr *a, const struct listen_addr *b)
{
	return a->kind == b->kind && a->family == b->family && a->type == b->type && a->protocol == b->protocol &&
	       a->salen == b->salen &&
	       !memcmp(&a->sa, &b->sa, a->salen) && !strcmp(a->path, b->path) && a->bare_port == b->bare_port;
}

/* Give a changed socket unit its new listeners, keeping the ones that did
 * not change. Returns the number kept. */
static unsigned swap_listeners(struct unit *u, const struct unit_conf *oldc, const struct unit_conf *newc)
{
	struct sockunit *su = &u->sock;
	size_t n = newc->sock.n_listen;
	struct listener *nl = calloc(n ? n : 1, sizeof *nl);
	if (!nl)
		return 0;
	bool options_same = same_socket_options(&oldc->sock, &newc->sock);
	unsigned kept = 0;
	for (size_t i = 0; i < n; i++) {
		nl[i].fd = -1;
		char why[256];
		struct listen_addr *a = listen_parse_new(&newc->sock.listen[i], why, sizeof why);
		if (!a)
			continue; /* sockunit_open reports it */
		nl[i].addr = a;
		for (size_t j = 0; options_same && j < su->n; j++) {
			struct listener *ol = &su->l[j];
			const struct listen_addr *oa;
			if (ol->fd < 0 || newc->sock.listen[i].kind != oldc->sock.listen[j].kind ||
			    !(oa = sockunit_addr(u, j)) || !same_address(oa, a))
				continue;
			nl[i].fd = ol->fd; /* moved: same socket, same inode */
			nl[i].watch = ol->watch;
			nl[i].watching = ol->watching;
			if (nl[i].watch)
				nl[i].watch->data = u;
			ol->fd = -1;
			ol->watch = NULL;
			kept++;
			break;
		}
	}
	/* What was not carried over is closed; the old array goes. */
	sockunit_close(u); /* frees the old listeners' addresses */
	free(su->l);
	su->l = nl;
	su->n = n;
	return kept;
}

static void change_unit(uv_loop_t *loop, struct unit *u, char *text, size_t len, struct tally *t)
{
	char err[1024] = "";
	struct unit_conf *c = calloc(1, sizeof *c);
	int r = c ? conf_load_text(u->name, u->path, text, len, c, err, sizeof err, diag, NULL) : -ENOMEM;
	if (r < 0) {
		free(c);
		free(text);
		t->broken++;
		if (!t->first_error[0])
			snprintf(t->first_error, sizeof t->first_error, "%s", err);
		if (u->conf) {
			/* Keep running on the old definition, and say why. */
			free(u->load_error);
			if (asprintf(&u->load_error, "reload failed, old definition kept: %s", err) < 0)
				u->load_error = NULL;
		}
		log_err("reload: %s: %s; %s", u->name, err, u->conf ? "keeping the old definition" : "still not loaded");
		return;
	}
	struct unit_conf *old = u->conf;
	if (u->kind == UNIT_SOCKET) {
		if (old) {
			unsigned kept = swap_listeners(u, old, c);
			log_info("reload: %s: %u listener(s) kept, %zu in all", u->name, kept, c->sock.n_listen);
		} else {
			u->sock.l = calloc(c->sock.n_listen ? c->sock.n_listen : 1, sizeof *u->sock.l);
			u->sock.n = u->sock.l ? c->sock.n_listen : 0;
			for (size_t i = 0; i < u->sock.n; i++)
				u->sock.l[i].fd = -1;
		}
	}
	u->conf = c;
	if (old)
		unit_retire_conf(old);
	free(u->load_error);
	u->load_error = NULL;
	free(u->text);
	u->text = text; /* now owned by the unit */
	u->text_len = len;
	t->changed++;
	log_info("reload: %s changed%s", u->name, u->kind == UNIT_SERVICE ? "; it takes effect at its next start" : "");
}

int unit_reload_all(uv_loop_t *loop, char *msg, size_t msglen)
{
	struct tally t = { 0 };
	DIR *d = opendir(daemon_units_dir);
	if (!d) {
		int r = -errno;
		snprintf(msg, msglen, "unit directory %s: %s", daemon_units_dir, strerror(errno));
		return r;
	}
	/* Mark, then sweep: every unit whose file is still there is seen. */
	bool *seen = calloc(unit_count() + 1, sizeof *seen);
	struct unit **before = malloc((unit_count() + 1) * sizeof *before);
	size_t n_before = unit_count();
	if (!seen || !before) {
		free(seen);
		free(before);
		closedir(d);
		snprintf(msg, msglen, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < n_before; i++)
		before[i] = unit_at(i);

	struct dirent *e;
	while ((e = readdir(d))) {
		if (!unit_file_name(e->d_name))
			continue;
		char path[4400], *text = NULL;
		size_t len = 0;
		snprintf(path, sizeof path, "%s/%s", daemon_units_dir, e->d_name);
		int r = unit_read_file(path, &text, &len);
		struct unit *u = unit_find(e->d_name);
		if (u && !u->instance_of) {
			for (size_t i = 0; i < n_before; i++)
				if (before[i] == u)
					seen[i] = true;
			if (r < 0) {
				t.broken++;
				log_err("reload: %s: %s; keeping the old definition", path, strerror(-r));
			} else if (u->text && u->text_len == len && !memcmp(u->text, text, len) && u->conf) {
				free(text);
				t.kept++;
			} else {
				change_unit(loop, u, text, len, &t);
			}
			continue;
		}
		char rerr[4500];
		if (r < 0)
			snprintf(rerr, sizeof rerr, "%s: %s", path, strerror(-r));
		struct unit *nu = unit_new_from_text(loop, e->d_name, path, text, len, r < 0 ? rerr : NULL);
		if (!nu) {
			log_err("reload: %s: out of memory", e->d_name);
			continue;
		}
		if (!nu->conf) {
			t.broken++;
			if (!t.first_error[0])
				snprintf(t.first_error, sizeof t.first_error, "%s", nu->load_error ? nu->load_error : "?");
		}
		t.added++;
		log_info("reload: %s added", e->d_name);
	}
	closedir(d);

	/* Instances made from a template follow it: its new text, or away
	 * with it. */
	for (size_t i = 0; i < n_before; i++) {
		struct unit *u = before[i], *tu;
		char tname[512];
		if (seen[i] || u->dead || !template_made(u) || !conf_template_of(u->name, tname, sizeof tname) ||
		    !(tu = unit_find(tname)) || !tu->text)
			continue;
		bool template_gone = false; /* still registered, its file not seen: removed below */
		for (size_t j = 0; j < n_before; j++)
			template_gone = template_gone || (before[j] == tu && !seen[j]);
		if (template_gone)
			continue;
		seen[i] = true;
		if (u->text && u->text_len == tu->text_len && !memcmp(u->text, tu->text, tu->text_len) && u->conf) {
			t.kept++;
			continue;
		}
		char *text = template_text(tu);
		if (!text) {
			log_err("reload: %s: out of memory, keeping the old definition", u->name);
			continue;
		}
		change_unit(loop, u, text, tu->text_len, &t);
	}

	for (size_t i = 0; i < n_before; i++) {
		struct unit *u = before[i];
		if (seen[i] || u->instance_of || u->dead)
			continue;
		t.removed++;
		log_info("reload: %s removed", u->name);
		u->removing = true;
		if (u->kind == UNIT_SOCKET) {
			sockunit_close(u);
			unit_discard(u);
		} else {
			svc_stop(u); /* dropped once it is down (unit_state_changed) */
		}
	}
	free(seen);
	free(before);

	unit_relink();
	/* A changed file may have closed an ordering cycle: report and break it
	 * as at start-up. */
	deps_check_cycles();
	/* New and changed sockets listen; watching follows each service's state. */
	for (size_t i = 0; i < unit_count(); i++) {
		struct unit *u = unit_at(i);
		if (u->dead || !u->conf || u->removing)
			continue;
		if (u->kind == UNIT_SOCKET && u->sock.state != SOCK_LISTENING) {
			char err[SVC_ERROR_MAX];
			sockunit_start(loop, u, err, sizeof err);
		}
	}
	for (size_t i = 0; i < unit_count(); i++) {
		struct unit *u = unit_at(i);
		if (u->kind == UNIT_SERVICE && !u->dead && u->conf)
			svc_refresh(u);
	}
	logpipe_prepare_all(loop);

	snprintf(msg, msglen, "reloaded: %u added, %u removed, %u changed, %u unchanged, %u broken%s%s", t.added,
		 t.removed, t.changed, t.kept, t.broken, t.first_error[0] ? " (first: " : "",
		 t.first_error[0] ? t.first_error : "");
	if (t.first_error[0] && strlen(msg) + 2 < msglen)
		strcat(msg, ")");
	log_info("%s", msg);
	return 0;
}
