/*
 * proto.h - the control protocol between supervisord and its clients
 * (supctl, the worker library).
 *
 * Transport: an AF_UNIX SOCK_SEQPACKET socket, so every message is one
 * datagram with reliable, ordered delivery, and descriptors ride along with
 * the message they belong to (SCM_RIGHTS). Host byte order throughout: both
 * ends are on the same machine.
 *
 * Frame: a fixed 16-byte header followed by `len` bytes of payload.
 *   u32 len      payload length, <= PROTO_MAX_PAYLOAD
 *   u16 type     enum proto_type
 *   u16 flags    PROTO_F_*
 *   u32 id       request id, echoed in every reply frame to that request
 *   u32 nfds     descriptors attached to this frame (<= PROTO_MAX_FDS_PER_MSG)
 * The receiver checks len against the datagram it got, nfds against the
 * descriptors that actually arrived, and closes every descriptor on every
 * error path.
 *
 * Payload: fields written with the proto_put_* cursor and read with
 * proto_get_*, which check the remaining length before every read. Strings
 * are u32 length + bytes (no NUL on the wire; at most PROTO_MAX_STR bytes;
 * an embedded NUL is an error). Decoders reject leftover bytes.
 *
 * Versioning: every connection starts with HELLO carrying PROTO_VERSION; the
 * daemon answers with its own protocol version and its version string. A
 * mismatch is a clear error on the client side. Message numbers are never
 * reused or renumbered.
 *
 * A reply that does not fit one frame is split: every frame but the last has
 * PROTO_F_MORE set.
 */
#ifndef SUPD_PROTO_H
#define SUPD_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PROTO_VERSION          1
#define PROTO_HDR_SIZE         16
#define PROTO_MAX_PAYLOAD      (60u * 1024u)  /* fits default SO_SNDBUF of a seqpacket socket */
#define PROTO_MAX_MSG          (PROTO_HDR_SIZE + PROTO_MAX_PAYLOAD)
#define PROTO_MAX_FDS_PER_MSG  253u           /* SCM_MAX_FD */
#define PROTO_MAX_STR          4096u
#define PROTO_MAX_NAME         255u           /* unit and fd names */

/* Message types. Requests are < 0x8000, replies >= 0x8000. Never renumber. */
enum proto_type {
	PROTO_HELLO       = 1,  /* u32 proto_version, str client_name */
	PROTO_STATUS      = 2,  /* u32 n, n x str unit (n = 0: every unit) */
	PROTO_START       = 3,  /* str unit, u32 flags (PROTO_JOB_*) */
	PROTO_STOP        = 4,  /* same */
	PROTO_RESTART     = 5,  /* same */
	PROTO_REEXEC      = 6,  /* str binary ("" = own binary) */
	PROTO_FDS_LIST    = 7,  /* str unit ("" = every unit) */
	PROTO_FD_GET      = 8,  /* str unit ("" = caller's own), u32 n, n x str fdname */
	PROTO_FD_STORE    = 9,  /* str unit ("" = caller's own), u32 n, n x str fdname; fds attached */
	PROTO_KILL        = 10, /* str unit, u32 signal */
	PROTO_RESET_FAILED = 11,/* str unit ("" = all) */
	PROTO_RELOAD      = 12, /* str unit ("" = daemon reload) */
	PROTO_LOGS        = 13, /* str unit, u32 lines, u32 follow */

	PROTO_R_OK        = 0x8001, /* str message (may be empty) */
	PROTO_R_ERROR     = 0x8002, /* i32 -errno, str message */
	PROTO_R_HELLO     = 0x8003, /* u32 proto_version, str daemon_version, u32 daemon_pid */
	PROTO_R_STATUS    = 0x8004, /* u32 n, n x struct proto_unit_status */
	PROTO_R_FDS       = 0x8005, /* u32 n, n x struct proto_fd_info; fds attached for FD_GET (whose records leave kind and address empty) */
};

#define PROTO_F_MORE 0x1u   /* more frames of this reply follow */

#define PROTO_JOB_NO_BLOCK 0x1u
#define PROTO_JOB_OVERLAP  0x2u

struct proto_hdr {
	uint32_t len;
	uint16_t type;
	uint16_t flags;
	uint32_t id;
	uint32_t nfds;
};

/* ---- cursor ---------------------------------------------------------- */

struct proto_buf {
	uint8_t *data;   /* writer: owns a fixed buffer of cap bytes */
	size_t len;      /* writer: bytes written; reader: bytes total */
	size_t cap;
	size_t pos;      /* reader position */
	int err;         /* sticky: first error (-EMSGSIZE on overflow, -EBADMSG on short read) */
};

void proto_buf_init_writer(struct proto_buf *b, void *mem, size_t cap);
void proto_buf_init_reader(struct proto_buf *b, const void *mem, size_t len);
void proto_put_u32(struct proto_buf *b, uint32_t v);
void proto_put_i32(struct proto_buf *b, int32_t v);
void proto_put_u64(struct proto_buf *b, uint64_t v);
void proto_put_str(struct proto_buf *b, const char *s);  /* NULL is written as "" */
void proto_put_bytes(struct proto_buf *b, const void *p, size_t n); /* u32 length + bytes */
int proto_get_u32(struct proto_buf *b, uint32_t *v);
int proto_get_i32(struct proto_buf *b, int32_t *v);
int proto_get_u64(struct proto_buf *b, uint64_t *v);
/* Copies into out (size outlen, NUL-terminated); a string longer than
 * outlen-1, or with an embedded NUL, is -EBADMSG. */
int proto_get_str(struct proto_buf *b, char *out, size_t outlen);
/* 0 when the whole buffer was consumed and no error is pending, else -EBADMSG. */
int proto_get_end(struct proto_buf *b);

/* ---- framing ---------------------------------------------------------- */

void proto_hdr_encode(const struct proto_hdr *h, uint8_t out[PROTO_HDR_SIZE]);
/* Checks len <= PROTO_MAX_PAYLOAD, nfds <= PROTO_MAX_FDS_PER_MSG and that
 * `avail` bytes (the datagram size) equal PROTO_HDR_SIZE + len. */
int proto_hdr_decode(const uint8_t *in, size_t avail, struct proto_hdr *h);

/*
 * Send one frame (header + payload + fds) with one sendmsg(MSG_NOSIGNAL).
 * nfds <= PROTO_MAX_FDS_PER_MSG. The fds are not closed. Returns 0 or -errno
 * (-EAGAIN on a non-blocking socket that is full).
 */
int proto_send(int sock, uint16_t type, uint16_t flags, uint32_t id,
	       const void *payload, size_t len, const int *fds, size_t nfds);

/*
 * Receive one frame. buf must hold PROTO_MAX_MSG bytes; fds must hold
 * PROTO_MAX_FDS_PER_MSG ints. Uses MSG_CMSG_CLOEXEC. On success the header is
 * decoded, *payload points into buf, and *nfds descriptors are stored in fds
 * (owned by the caller). On any error (short frame, bad header, MSG_TRUNC,
 * MSG_CTRUNC, fd count not matching the header) every received fd is
 * closed and a negative errno is returned. 0 bytes (peer closed) is -EPIPE.
 */
int proto_recv(int sock, uint8_t *buf, struct proto_hdr *h, const uint8_t **payload,
	       int *fds, size_t *nfds);

void proto_close_fds(int *fds, size_t n);

/* ---- messages ---------------------------------------------------------- */

enum proto_unit_type { PROTO_UNIT_SERVICE = 0, PROTO_UNIT_SOCKET = 1 };

struct proto_unit_status {
	char name[PROTO_MAX_NAME + 1];
	uint32_t type;            /* enum proto_unit_type */
	char state[32];           /* "running", "stopped", "failed", "starting", "listening", ... */
	uint32_t pid;
	uint32_t restarts;
	uint64_t since_usec;      /* CLOCK_REALTIME of the last state change, 0 unknown */
	char status[PROTO_MAX_STR + 1]; /* STATUS= text, or the error that failed the unit */
	char description[PROTO_MAX_STR + 1];
};

struct proto_fd_info {
	char unit[PROTO_MAX_NAME + 1];
	char name[PROTO_MAX_NAME + 1];
	char kind[32];            /* "tcp", "unix-stream", "memfd", ... */
	char origin[32];          /* "socket", "openfile", "fdstore" */
	char address[PROTO_MAX_STR + 1];
};

/* Append one unit status / fd info record to a payload. */
void proto_put_unit_status(struct proto_buf *b, const struct proto_unit_status *s);
int proto_get_unit_status(struct proto_buf *b, struct proto_unit_status *s);
void proto_put_fd_info(struct proto_buf *b, const struct proto_fd_info *f);
int proto_get_fd_info(struct proto_buf *b, struct proto_fd_info *f);

/* Name checks shared by every side: unit names ([A-Za-z0-9:_.@-], a known
 * suffix or none, 1..255 bytes) and fd names (printable ASCII without ':',
 * 1..255 bytes). Return 1 if valid. */
int proto_unit_name_valid(const char *s);
int proto_fdname_valid(const char *s);

/* Human-readable name of a message type, for logs ("STATUS"), or "?" */
const char *proto_type_name(uint16_t type);

#endif
