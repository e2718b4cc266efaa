/*
 * fuzz_listen_parse.c - Listen*= address text: listen_parse() for each
 * listen kind (stream, datagram, seqpacket, FIFO, special file, netlink,
 * message queue), then listen_format() of
 * what it accepted. No socket is opened.
 *
 * Oracle beyond the sanitizers: an accepted address is self-consistent
 * (family and length agree, a Unix path fits sun_path, the formatted text
 * is NUL-terminated), and a refused one is left zeroed.
 */
#include <linux/netlink.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "listen.h"

static void check(const struct listen_addr *a, enum listen_kind kind)
{
	switch (a->family) {
	case AF_INET:
		if (a->salen != sizeof(struct sockaddr_in))
			abort();
		break;
	case AF_INET6:
		if (a->salen != sizeof(struct sockaddr_in6))
			abort();
		break;
	case AF_UNIX:
		if (a->salen > sizeof(struct sockaddr_un) || a->salen <= offsetof(struct sockaddr_un, sun_path))
			abort();
		break;
	case AF_NETLINK:
		if (kind != LISTEN_NETLINK || a->type != SOCK_RAW || a->salen != sizeof(struct sockaddr_nl) ||
		    a->protocol < 0)
			abort();
		break;
	case 0:
		if ((kind != LISTEN_FIFO && kind != LISTEN_SPECIAL && kind != LISTEN_MQUEUE) || a->path[0] != '/')
			abort();
		if (kind == LISTEN_MQUEUE && strchr(a->path + 1, '/'))
			abort();
		break;
	default:
		abort();
	}
	if (memchr(a->path, '\0', sizeof(a->path)) == NULL)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct listen_addr zero;
	struct listen_addr a;
	struct listen_spec spec = { .line = 1 };
	char err[256], buf[256];
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	spec.address = s;
	for (int k = LISTEN_STREAM; k <= LISTEN_MQUEUE; k++) {
		spec.kind = (enum listen_kind)k;
		if (listen_parse(&spec, &a, err, sizeof(err)) == 0) {
			check(&a, spec.kind);
			listen_format(&a, buf, sizeof(buf));
			if (strlen(buf) >= sizeof(buf))
				abort();
		} else if (memcmp(&a, &zero, sizeof(a)) != 0) {
			abort();
		}
		(void)strlen(err);
	}
	free(s);
	return 0;
}
