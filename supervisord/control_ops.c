/*
 * control_ops.c - the operator requests that act on units without a job to
 * wait for: KILL (a signal to a service's main process group) and
 * RESET_FAILED (forget a failure). Each is answered at once. (RELOAD is in
 * control.c.)
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "control_priv.h"
#include "svc_ops.h"
#include "unit.h"

static void do_kill(struct client *c, uint32_t id, struct proto_buf *b)
{
	char name[PROTO_MAX_NAME + 1], canon[PROTO_MAX_NAME + 16], err[512];
	uint32_t sig;
	if (proto_get_str(b, name, sizeof name) < 0 || proto_get_u32(b, &sig) < 0 || proto_get_end(b) < 0) {
		ctl_reply_err(c, id, -EBADMSG, "malformed KILL");
		return;
	}
	struct unit *u = unit_lookup(name, canon, sizeof canon);
	if (!u) {
		ctl_reply_err(c, id, -ENOENT, "unit %s not found", canon);
		return;
	}
	int r = unit_kill(u, sig > (uint32_t)NSIG ? 0 : (int)sig, err, sizeof err);
	if (r < 0)
		ctl_reply_err(c, id, r, "%s", err);
	else
		ctl_reply_ok(c, id, "");
}

static void do_reset_failed(struct client *c, uint32_t id, struct proto_buf *b)
{
	char name[PROTO_MAX_NAME + 1], canon[PROTO_MAX_NAME + 16];
	if (proto_get_str(b, name, sizeof name) < 0 || proto_get_end(b) < 0) {
		ctl_reply_err(c, id, -EBADMSG, "malformed RESET_FAILED");
		return;
	}
	if (!name[0]) {
		unsigned n = 0;
		/* Resetting does not add or remove units: the index stays valid. */
		for (size_t i = 0; i < unit_count(); i++)
			if (!unit_at(i)->dead && unit_reset_failed(unit_at(i)))
				n++;
		char msg[64];
		snprintf(msg, sizeof msg, "%u unit%s reset", n, n == 1 ? "" : "s");
		ctl_reply_ok(c, id, msg);
		return;
	}
	struct unit *u = unit_lookup(name, canon, sizeof canon);
	if (!u) {
		ctl_reply_err(c, id, -ENOENT, "unit %s not found", canon);
		return;
	}
	if (!u->conf) {
		ctl_reply_err(c, id, -ENOEXEC, "%s did not load (%s): fix the file and reload", u->name,
			      u->load_error ? u->load_error : "?");
		return;
	}
	unit_reset_failed(u);
	ctl_reply_ok(c, id, "");
}

void ctl_ops_handle(struct client *c, const struct proto_hdr *h, struct proto_buf *b)
{
	switch (h->type) {
	case PROTO_KILL:
		do_kill(c, h->id, b);
		break;
	case PROTO_RESET_FAILED:
		do_reset_failed(c, h->id, b);
		break;
	default:
		ctl_reply_err(c, h->id, -EOPNOTSUPP, "request %s not supported", proto_type_name(h->type));
		break;
	}
}
