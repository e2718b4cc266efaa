/*
 * control_fds.c - runtime descriptor requests: list, fetch, store.
 * (Placeholder until the descriptor services land.)
 */
#include <errno.h>

#include "control_priv.h"

void ctl_fds_handle(struct client *c, const struct proto_hdr *h, struct proto_buf *b, int *fds, size_t nfds)
{
	ctl_reply_err(c, h->id, -EOPNOTSUPP, "%s is not implemented yet", proto_type_name(h->type));
}
