/*
 * frame.c - one frame = one SOCK_SEQPACKET datagram: a 16-byte header, the
 * payload, and up to PROTO_MAX_FDS_PER_MSG descriptors in SCM_RIGHTS.
 *
 * Ownership: proto_send lends its fds (the kernel dups them into the
 * message; the caller still owns and closes its copies). proto_recv hands
 * every descriptor it returns to the caller, and on every error path closes
 * each descriptor the kernel installed, so a malformed or truncated frame
 * cannot leak fds into the daemon.
 *
 * The header codec is pure (no I/O) so it can be fuzzed.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "proto.h"

/* Header field offsets; all fields are host byte order. */
enum {
	OFF_LEN = 0,
	OFF_TYPE = 4,
	OFF_FLAGS = 6,
	OFF_ID = 8,
	OFF_NFDS = 12,
};

void proto_hdr_encode(const struct proto_hdr *h, uint8_t out[PROTO_HDR_SIZE])
{
	memcpy(out + OFF_LEN, &h->len, sizeof h->len);
	memcpy(out + OFF_TYPE, &h->type, sizeof h->type);
	memcpy(out + OFF_FLAGS, &h->flags, sizeof h->flags);
	memcpy(out + OFF_ID, &h->id, sizeof h->id);
	memcpy(out + OFF_NFDS, &h->nfds, sizeof h->nfds);
}

int proto_hdr_decode(const uint8_t *in, size_t avail, struct proto_hdr *h)
{
	if (avail < PROTO_HDR_SIZE)
		return -EBADMSG;
	memcpy(&h->len, in + OFF_LEN, sizeof h->len);
	memcpy(&h->type, in + OFF_TYPE, sizeof h->type);
	memcpy(&h->flags, in + OFF_FLAGS, sizeof h->flags);
	memcpy(&h->id, in + OFF_ID, sizeof h->id);
	memcpy(&h->nfds, in + OFF_NFDS, sizeof h->nfds);
	/* len is checked against the maximum before it is used in any sum,
	 * so PROTO_HDR_SIZE + len cannot wrap. */
	if (h->len > PROTO_MAX_PAYLOAD)
		return -EBADMSG;
	if (avail != PROTO_HDR_SIZE + (size_t)h->len)
		return -EBADMSG;
	if (h->nfds > PROTO_MAX_FDS_PER_MSG)
		return -EBADMSG;
	return 0;
}

void proto_close_fds(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
}

/* Control buffers: a union with struct cmsghdr gives the alignment
 * CMSG_FIRSTHDR/CMSG_DATA assume; a plain char array would not. */
#define FDS_SPACE  CMSG_SPACE(PROTO_MAX_FDS_PER_MSG * sizeof(int))
/* Room for SCM_CREDENTIALS too: a socket with SO_PASSCRED gets one on every
 * message, and without the room it would cost us MSG_CTRUNC. */
#define CRED_SPACE CMSG_SPACE(sizeof(struct ucred))

union send_cbuf {
	struct cmsghdr align;
	char buf[FDS_SPACE];
};

union recv_cbuf {
	struct cmsghdr align;
	char buf[FDS_SPACE + CRED_SPACE];
};

int proto_send(int sock, uint16_t type, uint16_t flags, uint32_t id,
	       const void *payload, size_t len, const int *fds, size_t nfds)
{
	uint8_t hdr[PROTO_HDR_SIZE];
	struct proto_hdr h;
	union send_cbuf cbuf;
	struct iovec iov[2];
	struct msghdr msg;
	ssize_t n;

	if (nfds > PROTO_MAX_FDS_PER_MSG || (nfds && !fds) || (len && !payload))
		return -EINVAL;
	if (len > PROTO_MAX_PAYLOAD)
		return -EMSGSIZE;

	h = (struct proto_hdr){
		.len = (uint32_t)len, .type = type, .flags = flags,
		.id = id, .nfds = (uint32_t)nfds,
	};
	proto_hdr_encode(&h, hdr);

	iov[0] = (struct iovec){ .iov_base = hdr, .iov_len = sizeof hdr };
	iov[1] = (struct iovec){ .iov_base = (void *)payload, .iov_len = len };
	memset(&msg, 0, sizeof msg);
	msg.msg_iov = iov;
	msg.msg_iovlen = len ? 2 : 1;

	if (nfds) {
		struct cmsghdr *c;

		memset(&cbuf, 0, sizeof cbuf);
		msg.msg_control = cbuf.buf;
		msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	}

	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	/* A seqpacket send is all or nothing; anything else is a surprise. */
	if ((size_t)n != sizeof hdr + len)
		return -EIO;
	return 0;
}

/*
 * Move every SCM_RIGHTS descriptor into fds. The kernel sends at most
 * SCM_MAX_FD per message and our buffer only has room for that, but if more
 * ever show up they are closed here and reported so the frame is dropped.
 */
static int collect_fds(struct msghdr *msg, int *fds, size_t *nfds)
{
	int overflow = 0;

	*nfds = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		size_t k;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue; /* SCM_CREDENTIALS and friends: ignored */
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
			if (*nfds < PROTO_MAX_FDS_PER_MSG) {
				fds[(*nfds)++] = fd;
			} else {
				close(fd);
				overflow = 1;
			}
		}
	}
	return overflow ? -EBADMSG : 0;
}

int proto_recv(int sock, uint8_t *buf, struct proto_hdr *h, const uint8_t **payload,
	       int *fds, size_t *nfds)
{
	union recv_cbuf cbuf;
	struct iovec iov = { .iov_base = buf, .iov_len = PROTO_MAX_MSG };
	struct msghdr msg;
	ssize_t n;
	int r;

	*nfds = 0;
	*payload = NULL;
	memset(&msg, 0, sizeof msg);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf.buf;
	msg.msg_controllen = sizeof cbuf.buf;

	/* ECONNRESET: the peer closed with something of ours unread (a
	 * daemon refusing a client that pipelined its request behind HELLO).
	 * The kernel reports that flag first, and clears it by reporting it;
	 * what the peer sent before closing is still queued, and comes next
	 * (then end-of-file). */
	bool reset = false;
	for (;;) {
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
		if (n >= 0 || (errno != EINTR && (errno != ECONNRESET || reset)))
			break;
		reset = reset || errno == ECONNRESET;
	}
	if (n < 0)
		return -errno;

	/* From here on the kernel may have installed descriptors: collect
	 * them first so every error path below can close them. */
	r = collect_fds(&msg, fds, nfds);
	if (r)
		goto fail;
	if (n == 0) {
		r = -EPIPE;
		goto fail;
	}
	if (msg.msg_flags & MSG_TRUNC) {
		r = -EMSGSIZE;
		goto fail;
	}
	if (msg.msg_flags & MSG_CTRUNC) {
		r = -EBADMSG;
		goto fail;
	}
	r = proto_hdr_decode(buf, (size_t)n, h);
	if (r)
		goto fail;
	if (h->nfds != *nfds) {
		r = -EBADMSG;
		goto fail;
	}
	*payload = buf + PROTO_HDR_SIZE;
	return 0;

fail:
	proto_close_fds(fds, *nfds);
	*nfds = 0;
	return r;
}
