/*
 * control_fds.c - runtime descriptor requests on the control socket:
 *   FDS_LIST  every descriptor the daemon holds (or would open) per unit;
 *   FD_GET    duplicates of a unit's descriptors, by name, over SCM_RIGHTS;
 *   FD_STORE  descriptors sent by a process, kept in its unit's fd store.
 *
 * What a unit "has" is what its main process gets in LISTEN_FDS, in the
 * same order: its socket units' listeners, its fd store, its OpenFile=
 * entries. OpenFile= files are not held by the daemon (execplan.c opens
 * them per start), so FD_GET opens them on demand and closes its copy once
 * the reply is sent; FDS_LIST shows their path without opening them.
 *
 * Access. The caller is who SO_PEERCRED said at accept (client->pid/uid).
 * Its unit is the service whose main process it is, or whose main process
 * leads its session or process group (services are started with setsid(),
 * so children stay in the main pid's session), or an ancestor's unit. Root
 * may name any unit; anyone else only its own (and that unit's sockets).
 * Only uid 0 counts as privileged: in a per-user daemon every client has
 * the daemon's uid, and the unit boundary is then the only one there is.
 *
 * Ownership: listener and fd-store descriptors are lent to ctl_send_fds
 * (which queues duplicates if it has to); OpenFile= descriptors opened here
 * are owned by the request's item list and closed when it is freed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control_priv.h"
#include "procfs.h"
#include "service.h"
#include "fdstore.h"
#include "listen.h"
#include "log.h"
#include "openfile.h"
#include "sockunit.h"
#include "unit.h"

/* One FD_GET answers at most this many descriptors: 33 frames, well under
 * control.c's cap of 64 queued frames for a client that reads slowly. */
#define FDS_MAX_PER_REQUEST 8192u
/* Names in one FD_GET / FD_STORE request; a frame cannot hold more anyway. */
#define FDS_MAX_NAMES 1024u
/* Ancestors walked to find a caller's unit (a child that called setsid). */
#define FDS_MAX_DEPTH 32

struct item {
	int fd;                       /* -1: an OpenFile= entry not opened (listing) */
	bool owned;                   /* opened for this request: closed by items_free */
	const char *unit;             /* the unit holding it (a socket unit for listeners) */
	const char *name;
	enum fd_origin origin;
	const struct open_file *of;   /* OpenFile= entries */
};

struct items {
	struct item *v;
	size_t n, cap;
};

static const char *const origin_names[FD_ORIGIN__MAX] = {
	[FD_ORIGIN_SOCKET] = "socket",
	[FD_ORIGIN_OPENFILE] = "openfile",
	[FD_ORIGIN_FDSTORE] = "fdstore",
};

static int items_push(struct items *it, const struct item *x)
{
	if (it->n == it->cap) {
		size_t cap = it->cap ? it->cap * 2 : 16;
		struct item *v = realloc(it->v, cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		it->v = v;
		it->cap = cap;
	}
	it->v[it->n++] = *x;
	return 0;
}

static void items_free(struct items *it)
{
	for (size_t i = 0; i < it->n; i++)
		if (it->v[i].owned && it->v[i].fd >= 0)
			close(it->v[i].fd);
	free(it->v);
	*it = (struct items){ 0 };
}

/* Everything unit u has, in LISTEN_FDS order. OpenFile= entries get fd -1. */
static int collect(struct unit *u, struct items *it)
{
	int r = 0;
	if (u->kind == UNIT_SOCKET) {
		for (size_t j = 0; j < u->sock.n && r == 0; j++)
			if (u->sock.l[j].fd >= 0)
				r = items_push(it, &(struct item){ .fd = u->sock.l[j].fd, .unit = u->name,
								   .name = sockunit_fdname(u),
								   .origin = FD_ORIGIN_SOCKET });
		return r;
	}
	struct service *s = &u->svc;
	for (size_t i = 0; i < s->n_sockets && r == 0; i++)
		r = collect(s->sockets[i], it);
	for (struct fdstore_entry *e = s->fdstore; e && r == 0; e = e->next)
		r = items_push(it, &(struct item){ .fd = e->fd, .unit = u->name, .name = e->name,
						   .origin = FD_ORIGIN_FDSTORE });
	if (u->conf)
		for (size_t i = 0; i < u->conf->svc.n_open_files && r == 0; i++) {
			const struct open_file *of = &u->conf->svc.open_files[i];
			r = items_push(it, &(struct item){ .fd = -1, .unit = u->name, .name = of->fdname,
							   .origin = FD_ORIGIN_OPENFILE, .of = of });
		}
	return r;
}

/* ---- who is asking ---- */

static int proc_ids(pid_t pid, pid_t *ppid, pid_t *pgrp, pid_t *sid)
{
	struct proc_ids ids;
	int r = proc_read_ids(pid, &ids);
	if (r < 0)
		return r;
	*ppid = ids.ppid;
	*pgrp = ids.pgrp;
	*sid = ids.session;
	return 0;
}

/* The unit of a process: the one whose main (or draining) process it is,
 * or whose main process leads its session or process group -- or the same
 * for one of its ancestors. */
static struct unit *unit_of_pid(pid_t pid)
{
	pid_t self = getpid();
	for (int depth = 0; depth < FDS_MAX_DEPTH && pid > 1 && pid != self; depth++) {
		pid_t ppid = 0, pgrp = 0, sid = 0;
		struct unit *u = svc_by_pid(pid);
		if (u)
			return u;
		if (proc_ids(pid, &ppid, &pgrp, &sid) < 0)
			return NULL;
		if ((u = svc_by_pid(sid)) || (u = svc_by_pid(pgrp)))
			return u;
		pid = ppid;
	}
	return NULL;
}

/*
 * The unit a FD_GET / FD_STORE is about: "" is the caller's own. Applies the
 * access rule. Returns the unit, or NULL after replying with the error.
 */
static struct unit *resolve_target(struct client *c, uint32_t id, const char *name)
{
	/* Root naming a unit needs no ancestry walk (/proc reads). */
	struct unit *own = c->uid == 0 && name[0] ? NULL : unit_of_pid(c->pid);
	if (!name[0]) {
		if (!own)
			ctl_reply_err(c, id, -ESRCH,
				      "process %d does not belong to any unit; name the unit (only root may)",
				      (int)c->pid);
		return own;
	}
	char canon[PROTO_MAX_NAME + 16];
	struct unit *u = unit_lookup(name, canon, sizeof canon);
	if (!u) {
		ctl_reply_err(c, id, -ENOENT, "unit %s not found", canon);
		return NULL;
	}
	bool mine = u == own || (own && u->kind == UNIT_SOCKET && u->sock.service == own);
	if (c->uid == 0 || mine)
		return u;
	if (own)
		ctl_reply_err(c, id, -EPERM, "process %d belongs to unit %s, not %s", (int)c->pid, own->name,
			      u->name);
	else
		ctl_reply_err(c, id, -EPERM,
			      "process %d (uid %u) belongs to no unit; only root may take the descriptors of %s",
			      (int)c->pid, (unsigned)c->uid, u->name);
	return NULL;
}

/* ---- replies ---- */

/* with_kind: also the kind and address (an fstat and a readlink per fd:
 * FDS_LIST shows them; FD_GET's caller holds the descriptors themselves). */
static void describe(const struct item *x, struct proto_fd_info *fi, bool with_kind)
{
	fi->unit[0] = fi->name[0] = fi->kind[0] = fi->origin[0] = fi->address[0] = '\0';
	snprintf(fi->unit, sizeof fi->unit, "%s", x->unit);
	snprintf(fi->name, sizeof fi->name, "%s", x->name);
	snprintf(fi->origin, sizeof fi->origin, "%s", origin_names[x->origin]);
	if (!with_kind)
		return;
	if (x->fd >= 0) {
		listen_describe_fd(x->fd, fi->kind, sizeof fi->kind, fi->address, sizeof fi->address);
		return;
	}
	/* An OpenFile= path the daemon opens only when a process starts. */
	struct stat st;
	const char *k = "file";
	if (stat(x->of->path, &st) == 0)
		k = S_ISSOCK(st.st_mode) ? "unix" : S_ISDIR(st.st_mode) ? "dir" :
		    S_ISFIFO(st.st_mode) ? "fifo" : (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) ? "dev" : "file";
	else
		k = "missing";
	snprintf(fi->kind, sizeof fi->kind, "%s", k);
	snprintf(fi->address, sizeof fi->address, "%s", x->of->path);
}

/* R_FDS frames: records packed until the payload or SCM_MAX_FD is full,
 * with exactly the frame's records' descriptors attached when with_fds
 * (and then kind and address left empty). */
static void send_items(struct client *c, uint32_t id, const struct items *it, bool with_fds)
{
	static uint8_t frame[PROTO_MAX_PAYLOAD], rec[PROTO_MAX_PAYLOAD];
	static struct proto_fd_info fi;
	int fds[PROTO_MAX_FDS_PER_MSG];
	size_t i = 0;
	do {
		struct proto_buf w;
		uint32_t k = 0;
		proto_buf_init_writer(&w, frame, sizeof frame);
		proto_put_u32(&w, 0); /* count, patched below */
		while (i < it->n && k < PROTO_MAX_FDS_PER_MSG) {
			struct proto_buf r;
			proto_buf_init_writer(&r, rec, sizeof rec);
			describe(&it->v[i], &fi, !with_fds);
			proto_put_fd_info(&r, &fi);
			if (w.len + r.len > w.cap)
				break;
			memcpy(w.data + w.len, r.data, r.len);
			w.len += r.len;
			fds[k++] = it->v[i++].fd;
		}
		memcpy(frame, &k, sizeof k);
		ctl_send_fds(c, PROTO_R_FDS, i < it->n ? PROTO_F_MORE : 0, id, w.data, w.len, with_fds ? fds : NULL,
			     with_fds ? k : 0);
	} while (i < it->n && !c->closing);
}

/* ---- requests ---- */

static void do_list(struct client *c, uint32_t id, struct proto_buf *b)
{
	char name[PROTO_MAX_NAME + 1], canon[PROTO_MAX_NAME + 16];
	struct items it = { 0 };
	int r = 0;
	if (proto_get_str(b, name, sizeof name) < 0 || proto_get_end(b) < 0) {
		ctl_reply_err(c, id, -EBADMSG, "malformed FDS_LIST");
		return;
	}
	if (name[0]) {
		struct unit *u = unit_lookup(name, canon, sizeof canon);
		if (!u) {
			ctl_reply_err(c, id, -ENOENT, "unit %s not found", canon);
			return;
		}
		r = collect(u, &it);
	} else {
		/* Every unit once: listeners under their socket unit, not
		 * again under each service that uses them. */
		for (size_t i = 0; i < unit_count() && r == 0; i++) {
			struct unit *u = unit_at(i);
			if (u->kind == UNIT_SOCKET) {
				r = collect(u, &it);
				continue;
			}
			for (struct fdstore_entry *e = u->svc.fdstore; e && r == 0; e = e->next)
				r = items_push(&it, &(struct item){ .fd = e->fd, .unit = u->name, .name = e->name,
								    .origin = FD_ORIGIN_FDSTORE });
			for (size_t k = 0; u->conf && k < u->conf->svc.n_open_files && r == 0; k++) {
				const struct open_file *of = &u->conf->svc.open_files[k];
				r = items_push(&it, &(struct item){ .fd = -1, .unit = u->name, .name = of->fdname,
								    .origin = FD_ORIGIN_OPENFILE, .of = of });
			}
		}
	}
	if (r < 0)
		ctl_reply_err(c, id, r, "out of memory");
	else
		send_items(c, id, &it, false);
	items_free(&it);
}

/* Open the OpenFile= entries among the selected items. A `graceful` entry
 * that fails is dropped, as at start; any other failure fails the request. */
static int open_selected(struct unit *u, struct items *sel, char *err, size_t errlen)
{
	size_t k = 0;
	for (size_t i = 0; i < sel->n; i++) {
		struct item x = sel->v[i];
		if (x.origin == FD_ORIGIN_OPENFILE) {
			char why[256];
			int fd = openfile_open(x.of, why, sizeof why);
			if (fd < 0 && (x.of->flags & OPENFILE_GRACEFUL))
				continue;
			if (fd < 0) {
				snprintf(err, errlen, "%s: OpenFile=%s: %s", u->name, x.of->path, why);
				sel->n = k; /* the opened ones so far are closed by items_free */
				return fd;
			}
			x.fd = fd; /* now owned by the item list */
			x.owned = true;
		}
		sel->v[k++] = x;
	}
	sel->n = k;
	return 0;
}

static void do_get(struct client *c, uint32_t id, struct proto_buf *b)
{
	char unit[PROTO_MAX_NAME + 1], name[PROTO_MAX_NAME + 1], err[PROTO_MAX_STR];
	struct items all = { 0 }, sel = { 0 };
	uint32_t n;
	int r;
	if (proto_get_str(b, unit, sizeof unit) < 0 || proto_get_u32(b, &n) < 0 || n > FDS_MAX_NAMES) {
		ctl_reply_err(c, id, -EBADMSG, "malformed FD_GET");
		return;
	}
	struct unit *u = resolve_target(c, id, unit);
	if (!u)
		return;
	if ((r = collect(u, &all)) < 0)
		goto oom;
	if (n == 0) {
		/* No names: everything, as the main process would get it. */
		sel = all;
		all = (struct items){ 0 };
	}
	for (uint32_t i = 0; i < n; i++) {
		if (proto_get_str(b, name, sizeof name) < 0) {
			ctl_reply_err(c, id, -EBADMSG, "malformed FD_GET");
			goto out;
		}
		size_t before = sel.n;
		for (size_t k = 0; k < all.n; k++)
			if (strcmp(all.v[k].name, name) == 0 && (r = items_push(&sel, &all.v[k])) < 0)
				goto oom;
		if (sel.n == before) {
			ctl_reply_err(c, id, -ENOENT, "unit %s has no descriptor named '%s'", u->name, name);
			goto out;
		}
	}
	if (proto_get_end(b) < 0) {
		ctl_reply_err(c, id, -EBADMSG, "malformed FD_GET");
		goto out;
	}
	if (sel.n > FDS_MAX_PER_REQUEST) {
		ctl_reply_err(c, id, -E2BIG, "%zu descriptors asked for; at most %u per request", sel.n,
			      FDS_MAX_PER_REQUEST);
		goto out;
	}
	if ((r = open_selected(u, &sel, err, sizeof err)) < 0) {
		ctl_reply_err(c, id, r, "%s", err);
		goto out;
	}
	send_items(c, id, &sel, true);
	log_debug("control: gave %zu descriptors of %s to pid %d", sel.n, u->name, (int)c->pid);
	goto out;
oom:
	ctl_reply_err(c, id, -ENOMEM, "out of memory");
out:
	items_free(&sel); /* closes the OpenFile= copies: the client has its own now */
	items_free(&all);
}

static void do_store(struct client *c, uint32_t id, struct proto_buf *b, int *fds, size_t nfds)
{
	char unit[PROTO_MAX_NAME + 1];
	static char names[PROTO_MAX_FDS_PER_MSG][PROTO_MAX_NAME + 1];
	uint32_t n;
	if (proto_get_str(b, unit, sizeof unit) < 0 || proto_get_u32(b, &n) < 0 || n != nfds) {
		ctl_reply_err(c, id, -EBADMSG, "malformed FD_STORE: one name per descriptor expected");
		return;
	}
	for (uint32_t i = 0; i < n; i++) {
		if (proto_get_str(b, names[i], sizeof names[i]) < 0 || !proto_fdname_valid(names[i])) {
			ctl_reply_err(c, id, -EINVAL, "FD_STORE: invalid descriptor name");
			return;
		}
	}
	if (proto_get_end(b) < 0 || !c->watch) {
		ctl_reply_err(c, id, -EBADMSG, "malformed FD_STORE");
		return;
	}
	struct unit *u = resolve_target(c, id, unit);
	if (!u)
		return;
	if (u->kind != UNIT_SERVICE || !u->conf) {
		ctl_reply_err(c, id, -EINVAL, "%s: %s", u->name,
			      u->conf ? "only services have an fd store" : "not loaded");
		return;
	}
	unsigned max = u->conf->svc.fdstore_max;
	if (max == 0) {
		ctl_reply_err(c, id, -EOPNOTSUPP, "%s has no fd store (FileDescriptorStoreMax=0)", u->name);
		return;
	}
	/* All or nothing per frame (duplicates, which fdstore_add folds, may
	 * make this stricter than needed). */
	if (u->svc.n_fdstore + n > max) {
		ctl_reply_err(c, id, -ENOSPC, "%s: fd store holds %u of FileDescriptorStoreMax=%u; %u more do not fit",
			      u->name, u->svc.n_fdstore, max, n);
		return;
	}
	for (uint32_t i = 0; i < n; i++) {
		int fd = fds[i];
		fds[i] = -1; /* now owned by the store (fdstore_add closes it on error) */
		int r = fdstore_add(c->watch->loop, u, fd, names[i], true);
		if (r < 0) {
			ctl_reply_err(c, id, r, "%s: storing '%s': %s (%u of %u stored)", u->name, names[i],
				      strerror(-r), i, n);
			return;
		}
	}
	log_debug("control: pid %d stored %u descriptors in %s", (int)c->pid, n, u->name);
	ctl_reply_ok(c, id, "");
}

void ctl_fds_handle(struct client *c, const struct proto_hdr *h, struct proto_buf *b, int *fds, size_t nfds)
{
	if (h->type != PROTO_FD_STORE && nfds) {
		ctl_reply_err(c, h->id, -EBADMSG, "%s carries no descriptors", proto_type_name(h->type));
		return; /* the caller closes them */
	}
	switch (h->type) {
	case PROTO_FDS_LIST:
		do_list(c, h->id, b);
		break;
	case PROTO_FD_GET:
		do_get(c, h->id, b);
		break;
	case PROTO_FD_STORE:
		do_store(c, h->id, b, fds, nfds);
		break;
	default:
		ctl_reply_err(c, h->id, -EOPNOTSUPP, "request %s not supported", proto_type_name(h->type));
		break;
	}
}
