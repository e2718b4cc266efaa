/*
 * control_priv.h - what the request handlers in other files of the
 * control server (control_fds.c, the re-exec request) need: the client
 * record and the reply functions. Not for modules outside control.
 */
#ifndef SUPD_CONTROL_PRIV_H
#define SUPD_CONTROL_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "proto.h"

struct outframe;

struct client {
	struct client *next;
	int fd;                  /* owned; -1 once closed */
	uv_poll_t *watch;
	uid_t uid;               /* SO_PEERCRED at accept */
	pid_t pid;
	bool hello;
	bool closing;
	struct outframe *out, **out_tail;
	unsigned n_out;
	uint64_t last_active_ms; /* uv_now of the last frame read or sent (idle timeout) */
};

void ctl_reply_ok(struct client *c, uint32_t id, const char *msg);
void ctl_reply_err(struct client *c, uint32_t id, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Send one frame with descriptors (borrowed: the caller still owns them;
 * if the frame must be queued, duplicates are queued). */
void ctl_send_fds(struct client *c, uint16_t type, uint16_t flags, uint32_t id, const void *payload,
		  size_t len, const int *fds, size_t nfds);

/* control_fds.c: PROTO_FDS_LIST, PROTO_FD_GET, PROTO_FD_STORE. fds are the
 * descriptors that came with the request; a handler that keeps one sets its
 * slot to -1, the caller closes the rest. */
void ctl_fds_handle(struct client *c, const struct proto_hdr *h, struct proto_buf *b, int *fds, size_t nfds);

/* PROTO_RELOAD with a unit name: run its ExecReload= (svc_control.c). */
void ctl_unit_reload(struct client *c, uint32_t id, const char *name);

/* control_ops.c: PROTO_KILL, PROTO_RESET_FAILED. */
void ctl_ops_handle(struct client *c, const struct proto_hdr *h, struct proto_buf *b);

#endif
