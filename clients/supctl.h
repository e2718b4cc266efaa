/*
 * supctl.h - the pieces of supctl shared by its command files: one blocking
 * connection to the daemon, request/reply helpers, exit codes.
 */
#ifndef SUPCTL_H
#define SUPCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "proto.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_CONNECT = 3, EXIT_NOUNIT = 4 };

#define RECV_ANY UINT32_MAX

extern int sock;  /* the connection, after HELLO */

void die(int code, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));
/* Exit code for a -errno from the daemon. */
int code_for(int err);
void send_req(uint16_t type, const struct proto_buf *b, uint32_t *id);
/* Next frame of the reply to id (RECV_ANY: of any request; h->id says
 * which); R_ERROR becomes its -errno with the
 * message in msg. b reads the frame's payload. */
int recv_reply(uint32_t id, struct proto_hdr *h, struct proto_buf *b, char *msg, size_t msglen);
/* Same, keeping the descriptors that came with the frame (fds_out must hold
 * PROTO_MAX_FDS_PER_MSG; the caller owns what is returned). */
int recv_reply_fds(uint32_t id, struct proto_hdr *h, struct proto_buf *b, char *msg, size_t msglen,
		   int *fds_out, size_t *nfds_out);

/* supctl_fds.c. cmd_exec_fds connects by itself (rt: the runtime dir). */
int cmd_fds(int argc, char **argv);
int cmd_exec_fds(const char *rt, int argc, char **argv);

int cmd_logs(int argc, char **argv);

/* supctl_ops.c */
int cmd_kill(int argc, char **argv);
/* reset-failed, reload: one request per unit, or one with "" when none. */
int cmd_units_or_all(uint16_t type, const char *verb, int argc, char **argv);
/* A signal by name or number ("TERM", "SIGHUP", "9", "RTMIN+1"), or -1. */
int parse_signal(const char *s);

/* supctl_help.c */
void usage(FILE *f);
/* One command's help; -1 when there is no such command. */
int usage_cmd(FILE *f, const char *name);
bool command_known(const char *name);

#endif
