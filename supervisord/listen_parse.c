/*
 * listen_parse.c - the text side of listen.h: Listen*= address text to
 * struct listen_addr and back (listen_parse, listen_format), and the
 * description of any fd for `supctl fds` (listen_describe_fd).
 *
 * Follows socket_address_parse() of systemd: no name resolution, a port must
 * be 1..65535, a bare port means the IPv6 any-address (the IPv4 fallback is
 * decided when the socket is opened, since IPv6 support can only be probed
 * by trying), "@name" is an abstract socket whose address length excludes a
 * trailing NUL, and a file system path must fit in sun_path with its NUL.
 *
 * Parsing is pure apart from if_nametoindex() for an IPv6 "%scope", which
 * systemd also resolves when it reads the unit.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netlink.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "listen.h"
#include "procfs.h"

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* Decimal digits only, 1..65535. "0" and "65536" are out of range. */
static int parse_port(const char *s, size_t n, unsigned *port)
{
	unsigned long v = 0;

	if (n == 0 || n > 5)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v < 1 || v > 65535)
		return -ERANGE;
	*port = (unsigned)v;
	return 0;
}

static int all_digits(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* An interface scope: a name known to the kernel, or a positive number. */
static int parse_scope(const char *s, size_t n, unsigned *index)
{
	char name[IF_NAMESIZE];
	unsigned long v;

	if (n == 0 || n >= sizeof(name))
		return -EINVAL;
	memcpy(name, s, n);
	name[n] = '\0';
	if (all_digits(name)) {
		if (n > 10)
			return -EINVAL;
		v = strtoul(name, NULL, 10);
		if (v == 0 || v > 0x7fffffffUL)
			return -EINVAL;
		*index = (unsigned)v;
		return 0;
	}
	*index = if_nametoindex(name);
	return *index ? 0 : -ENODEV;
}

static int port_error(const char *spec, const char *p, size_t n, int r, char *err, size_t errlen)
{
	if (r == -ERANGE)
		return fail(err, errlen, "%s: port %.*s out of range (1..65535)", spec, (int)n, p);
	return fail(err, errlen, "%s: invalid port \"%.*s\"", spec, (int)n, p);
}

/* "[addr]:port", "[addr%scope]:port" or systemd's "[addr]:port%scope". */
static int parse_ipv6(const char *s, struct listen_addr *out, char *err, size_t errlen)
{
	char host[INET6_ADDRSTRLEN];
	const char *close, *pct, *port, *scope = NULL;
	size_t hostlen, portlen, scopelen = 0;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&out->sa;
	unsigned portnum, index = 0;
	int r;

	close = strchr(s, ']');
	if (!close || close[1] != ':')
		return fail(err, errlen, "%s: expected \"[IPv6]:port\"", s);
	hostlen = (size_t)(close - (s + 1));
	pct = memchr(s + 1, '%', hostlen);
	if (pct) {
		scope = pct + 1;
		scopelen = (size_t)(close - scope);
		hostlen = (size_t)(pct - (s + 1));
	}
	port = close + 2;
	pct = strchr(port, '%');
	portlen = pct ? (size_t)(pct - port) : strlen(port);
	if (pct) {
		if (scope)
			return fail(err, errlen, "%s: interface scope given twice", s);
		scope = pct + 1;
		scopelen = strlen(scope);
	}
	if (hostlen == 0 || hostlen >= sizeof(host))
		return fail(err, errlen, "%s: invalid IPv6 address", s);
	memcpy(host, s + 1, hostlen);
	host[hostlen] = '\0';
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
		return fail(err, errlen, "%s: invalid IPv6 address \"%s\"", s, host);
	r = parse_port(port, portlen, &portnum);
	if (r < 0)
		return port_error(s, port, portlen, r, err, errlen);
	if (scope && parse_scope(scope, scopelen, &index) < 0)
		return fail(err, errlen, "%s: unknown interface \"%.*s\"", s, (int)scopelen, scope);
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons((uint16_t)portnum);
	sin6->sin6_scope_id = index;
	out->family = AF_INET6;
	out->salen = sizeof(*sin6);
	return 0;
}

/* "a.b.c.d:port". Anything else with a colon is a hostname or bad IPv6. */
static int parse_ipv4(const char *s, struct listen_addr *out, char *err, size_t errlen)
{
	char host[INET_ADDRSTRLEN];
	const char *colon = strrchr(s, ':');
	struct sockaddr_in *sin = (struct sockaddr_in *)&out->sa;
	size_t hostlen, portlen;
	unsigned portnum;
	int r;

	if (!colon)
		return fail(err, errlen, "%s: not a port, address:port, [IPv6]:port or absolute path", s);
	hostlen = (size_t)(colon - s);
	if (memchr(s, ':', hostlen))
		return fail(err, errlen, "%s: IPv6 addresses must be written as [address]:port", s);
	if (memchr(colon + 1, '%', strlen(colon + 1)))
		return fail(err, errlen, "%s: an interface scope is only supported for IPv6", s);
	if (hostlen == 0 || hostlen >= sizeof(host) || strspn(s, "0123456789.") != hostlen)
		return fail(err, errlen, "%s: not an IPv4 address (host names are not resolved)", s);
	memcpy(host, s, hostlen);
	host[hostlen] = '\0';
	if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
		return fail(err, errlen, "%s: invalid IPv4 address \"%s\"", s, host);
	portlen = strlen(colon + 1);
	r = parse_port(colon + 1, portlen, &portnum);
	if (r < 0)
		return port_error(s, colon + 1, portlen, r, err, errlen);
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)portnum);
	out->family = AF_INET;
	out->salen = sizeof(*sin);
	return 0;
}

static int parse_bare_port(const char *s, struct listen_addr *out, char *err, size_t errlen)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&out->sa;
	unsigned portnum;
	int r;

	r = parse_port(s, strlen(s), &portnum);
	if (r < 0)
		return port_error(s, s, strlen(s), r, err, errlen);
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons((uint16_t)portnum);
	sin6->sin6_addr = in6addr_any;
	out->family = AF_INET6;
	out->salen = sizeof(*sin6);
	out->bare_port = 1;
	return 0;
}

/*
 * Normalise an absolute path into out: collapse "//", drop "." components
 * and a trailing slash. ".." is refused, as systemd refuses non-normalised
 * paths, because it would make the path mean something else after a
 * symlink. out must hold outlen bytes including the NUL.
 */
static int simplify_path(const char *in, char *out, size_t outlen, char *err, size_t errlen)
{
	size_t o = 0;
	const char *p = in;

	if (*p != '/')
		return fail(err, errlen, "%s: path is not absolute", in);
	while (*p) {
		const char *c;
		size_t n;

		while (*p == '/')
			p++;
		c = p;
		while (*p && *p != '/')
			p++;
		n = (size_t)(p - c);
		if (n == 0 || (n == 1 && c[0] == '.'))
			continue;
		if (n == 2 && c[0] == '.' && c[1] == '.')
			return fail(err, errlen, "%s: path contains \"..\"", in);
		if (o + 1 + n + 1 > outlen)
			return fail(err, errlen, "%s: path too long (max %zu bytes)", in, outlen - 1);
		out[o++] = '/';
		memcpy(out + o, c, n);
		o += n;
	}
	if (o == 0)
		return fail(err, errlen, "%s: path names the root directory", in);
	out[o] = '\0';
	return 0;
}

static int parse_unix(const char *s, struct listen_addr *out, char *err, size_t errlen)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)&out->sa;
	size_t l = strlen(s);
	int r;

	sun->sun_family = AF_UNIX;
	out->family = AF_UNIX;
	if (s[0] == '@') {
		/* Leading NUL, then the name; like systemd, insist that the
		 * name plus a NUL fits, but leave the NUL out of salen so that
		 * peers connecting with the conventional length match. */
		if (l < 2)
			return fail(err, errlen, "%s: empty abstract socket name", s);
		if (l + 1 > sizeof(sun->sun_path))
			return fail(err, errlen, "%s: abstract name too long (max %zu bytes)", s,
				    sizeof(sun->sun_path) - 2);
		sun->sun_path[0] = '\0';
		memcpy(sun->sun_path + 1, s + 1, l - 1);
		out->salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + l);
		memcpy(out->path, s, l + 1);
		return 0;
	}
	r = simplify_path(s, sun->sun_path, sizeof(sun->sun_path), err, errlen);
	if (r < 0)
		return r;
	l = strlen(sun->sun_path);
	out->salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + l + 1);
	memcpy(out->path, sun->sun_path, l + 1);
	return 0;
}

static const int kind_type[] = {
	[LISTEN_STREAM] = SOCK_STREAM,
	[LISTEN_DATAGRAM] = SOCK_DGRAM,
	[LISTEN_SEQPACKET] = SOCK_SEQPACKET,
	[LISTEN_FIFO] = 0,
	[LISTEN_SPECIAL] = 0,
	[LISTEN_NETLINK] = SOCK_RAW,
	[LISTEN_MQUEUE] = 0,
};

/* systemd's netlink_family_table: the names of <linux/netlink.h>. */
static const char *const netlink_names[] = {
	[NETLINK_ROUTE] = "route",
	[NETLINK_FIREWALL] = "firewall",
	[NETLINK_INET_DIAG] = "inet-diag",
	[NETLINK_NFLOG] = "nflog",
	[NETLINK_XFRM] = "xfrm",
	[NETLINK_SELINUX] = "selinux",
	[NETLINK_ISCSI] = "iscsi",
	[NETLINK_AUDIT] = "audit",
	[NETLINK_FIB_LOOKUP] = "fib-lookup",
	[NETLINK_CONNECTOR] = "connector",
	[NETLINK_NETFILTER] = "netfilter",
	[NETLINK_IP6_FW] = "ip6-fw",
	[NETLINK_DNRTMSG] = "dnrtmsg",
	[NETLINK_KOBJECT_UEVENT] = "kobject-uevent",
	[NETLINK_GENERIC] = "generic",
	[NETLINK_SCSITRANSPORT] = "scsitransport",
	[NETLINK_ECRYPTFS] = "ecryptfs",
	[NETLINK_RDMA] = "rdma",
};
#define N_NETLINK_NAMES (sizeof(netlink_names) / sizeof(netlink_names[0]))

/* The n bytes at s (a token, not NUL-terminated) as conf_parse_unsigned
 * reads them: decimal digits only, at most max; and at most 10 digits. */
static int parse_uint(const char *s, size_t n, unsigned max, unsigned *v)
{
	char buf[11];
	if (n == 0 || n >= sizeof buf)
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return conf_parse_unsigned(buf, max, v);
}

/* ListenNetlink=: "FAMILY [GROUP]" to the protocol number and group mask. */
static int parse_netlink(const char *s, int *protocol, unsigned *groups, char *err, size_t errlen)
{
	static const char ws[] = " \t\n";
	unsigned v;
	size_t n;

	s += strspn(s, ws);
	n = strcspn(s, ws);
	if (n == 0)
		return fail(err, errlen, "empty netlink family");
	*protocol = -1;
	for (size_t i = 0; i < N_NETLINK_NAMES; i++)
		if (netlink_names[i] && strlen(netlink_names[i]) == n && !memcmp(netlink_names[i], s, n))
			*protocol = (int)i;
	if (*protocol < 0) {
		if (parse_uint(s, n, INT_MAX, &v) < 0)
			return fail(err, errlen, "%.*s: unknown netlink family (route, audit, kobject-uevent, "
				    "generic, ... or a number)", (int)n, s);
		*protocol = (int)v;
	}
	s += n;
	s += strspn(s, ws);
	*groups = 0;
	n = strcspn(s, ws);
	if (n == 0)
		return 0;
	if (s[n + strspn(s + n, ws)] != '\0')
		return fail(err, errlen, "%s: expected \"FAMILY [GROUP]\"", s);
	if (parse_uint(s, n, UINT_MAX, &v) < 0)
		return fail(err, errlen, "%.*s: not a netlink group (0..%u)", (int)n, s, UINT_MAX);
	*groups = v;
	return 0;
}

static const char *netlink_name(int protocol)
{
	return protocol >= 0 && (size_t)protocol < N_NETLINK_NAMES ? netlink_names[protocol] : NULL;
}

int listen_parse(const struct listen_spec *spec, struct listen_addr *out, char *err, size_t errlen)
{
	const char *s;
	int r;

	if (err && errlen > 0)
		err[0] = '\0';
	memset(out, 0, sizeof(*out));
	if (!spec || !spec->address || !spec->address[0])
		return fail(err, errlen, "empty address");
	if ((unsigned)spec->kind >= sizeof(kind_type) / sizeof(kind_type[0]))
		return fail(err, errlen, "%s: unknown listen kind %d", spec->address, (int)spec->kind);
	s = spec->address;
	out->kind = spec->kind;

	if (spec->kind == LISTEN_FIFO || spec->kind == LISTEN_SPECIAL) {
		r = simplify_path(s, out->path, sizeof(out->path), err, errlen);
		if (r < 0)
			goto fail; /* simplify_path may have written part of the path */
		return 0;
	}
	if (spec->kind == LISTEN_MQUEUE) {
		/* mq_open(3): "/NAME", one component; the name must also fit
		 * the path buffer (shorter than NAME_MAX). */
		size_t l = strlen(s);
		if (s[0] != '/' || l < 2 || strchr(s + 1, '/') || l > NAME_MAX || l >= sizeof(out->path)) {
			r = fail(err, errlen, "%s: a message queue is named /NAME (one component, at most %zu bytes)",
				 s, sizeof(out->path) - 2);
			goto fail;
		}
		memcpy(out->path, s, l + 1);
		return 0;
	}
	out->type = kind_type[spec->kind];
	if (spec->kind == LISTEN_NETLINK) {
		struct sockaddr_nl *nl = (struct sockaddr_nl *)&out->sa;
		unsigned groups;
		r = parse_netlink(s, &out->protocol, &groups, err, errlen);
		if (r < 0)
			goto fail;
		nl->nl_family = AF_NETLINK;
		nl->nl_groups = groups;
		out->family = AF_NETLINK;
		out->salen = sizeof(*nl);
		return 0;
	}

	if (s[0] == '/' || s[0] == '@')
		r = parse_unix(s, out, err, errlen);
	else if (strncmp(s, "vsock:", 6) == 0)
		r = fail(err, errlen, "%s: AF_VSOCK addresses are not supported", s);
	else if (s[0] == '[')
		r = parse_ipv6(s, out, err, errlen);
	else if (all_digits(s))
		r = parse_bare_port(s, out, err, errlen);
	else
		r = parse_ipv4(s, out, err, errlen);
	if (r < 0)
		goto fail;
	if (out->family != AF_UNIX && out->type == SOCK_SEQPACKET) {
		r = fail(err, errlen, "%s: ListenSequentialPacket= needs a Unix socket", s);
		goto fail;
	}
	return 0;
fail:
	/* Don't leave a half-filled address behind for a careless caller. */
	memset(out, 0, sizeof(*out));
	return r;
}

struct listen_addr *listen_parse_new(const struct listen_spec *spec, char *err, size_t errlen)
{
	struct listen_addr *a = malloc(sizeof *a);
	if (!a) {
		fail(err, errlen, "out of memory");
		return NULL;
	}
	if (listen_parse(spec, a, err, errlen) < 0) {
		free(a);
		errno = EINVAL;
		return NULL;
	}
	return a;
}

static void format_inet(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN], ifname[IF_NAMESIZE];
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

	if (ss->ss_family == AF_INET) {
		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, ntohs(sin->sin_port));
		return;
	}
	inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
	if (sin6->sin6_scope_id == 0)
		snprintf(buf, len, "[%s]:%u", host, ntohs(sin6->sin6_port));
	else if (if_indextoname(sin6->sin6_scope_id, ifname))
		snprintf(buf, len, "[%s%%%s]:%u", host, ifname, ntohs(sin6->sin6_port));
	else
		snprintf(buf, len, "[%s%%%u]:%u", host, sin6->sin6_scope_id, ntohs(sin6->sin6_port));
}

static void format_sockaddr(const struct sockaddr_storage *ss, socklen_t salen, char *buf, size_t len)
{
	const struct sockaddr_un *sun = (const struct sockaddr_un *)ss;
	size_t off = offsetof(struct sockaddr_un, sun_path), n, o = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	switch (ss->ss_family) {
	case AF_INET:
	case AF_INET6:
		format_inet(ss, buf, len);
		return;
	case AF_UNIX:
		if (salen <= off) {
			snprintf(buf, len, "unnamed");
			return;
		}
		n = salen - off;
		if (n > sizeof(sun->sun_path))
			n = sizeof(sun->sun_path);
		if (sun->sun_path[0] != '\0') {
			snprintf(buf, len, "%.*s", (int)strnlen(sun->sun_path, n), sun->sun_path);
			return;
		}
		/* Abstract: print NULs as '@' and other control bytes as '?'
		 * so that the result stays one printable line. */
		for (size_t i = 0; i < n && o + 1 < len; i++) {
			unsigned char c = (unsigned char)sun->sun_path[i];
			buf[o++] = c == 0 ? '@' : (isprint(c) ? (char)c : '?');
		}
		buf[o] = '\0';
		return;
	default:
		snprintf(buf, len, "family %d", ss->ss_family);
	}
}

/* "netlink route 1", as ListenNetlink= writes it. */
static void format_netlink(int protocol, unsigned groups, char *buf, size_t len)
{
	const char *name = netlink_name(protocol);
	if (name)
		snprintf(buf, len, "netlink %s %u", name, groups);
	else
		snprintf(buf, len, "netlink %d %u", protocol, groups);
}

void listen_format(const struct listen_addr *a, char *buf, size_t len)
{
	if (len == 0)
		return;
	if (a->family == AF_INET || a->family == AF_INET6)
		format_sockaddr(&a->sa, a->salen, buf, len);
	else if (a->family == AF_NETLINK)
		format_netlink(a->protocol, ((const struct sockaddr_nl *)&a->sa)->nl_groups, buf, len);
	else if (a->kind == LISTEN_MQUEUE)
		snprintf(buf, len, "message queue %s", a->path);
	else
		snprintf(buf, len, "%s", a->path);
}

static const char *socket_kind(int domain, int type, int proto)
{
	int tcp = type == SOCK_STREAM && (proto == 0 || proto == IPPROTO_TCP);
	int udp = type == SOCK_DGRAM && (proto == 0 || proto == IPPROTO_UDP);
	int udplite = type == SOCK_DGRAM && proto == IPPROTO_UDPLITE;
	int sctp = proto == IPPROTO_SCTP;

	switch (domain) {
	case AF_INET:
		return tcp ? "tcp" : udp ? "udp" : udplite ? "udplite" : sctp ? "sctp" : "other";
	case AF_INET6:
		return tcp ? "tcp6" : udp ? "udp6" : udplite ? "udplite6" : sctp ? "sctp6" : "other";
	case AF_UNIX:
		return type == SOCK_STREAM ? "unix-stream" :
		       type == SOCK_DGRAM ? "unix-dgram" :
		       type == SOCK_SEQPACKET ? "unix-seqpacket" : "other";
	case AF_NETLINK:
		return "netlink";
	default:
		return "other";
	}
}

static void describe_socket(int fd, char *kind, size_t kindlen, char *addr, size_t addrlen)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss), ol = sizeof(int);
	int domain = -1, type = -1, proto = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &ol) < 0)
		domain = -1;
	ol = sizeof(int);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &ol) < 0)
		type = -1;
	ol = sizeof(int);
	if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &ol) < 0)
		proto = 0;
	snprintf(kind, kindlen, "%s", socket_kind(domain, type, proto));
	memset(&ss, 0, sizeof(ss));
	if (domain == AF_NETLINK) {
		struct sockaddr_nl nl = { 0 };
		socklen_t nll = sizeof(nl);
		if (getsockname(fd, (struct sockaddr *)&nl, &nll) < 0)
			nl.nl_groups = 0;
		format_netlink(proto, nl.nl_groups, addr, addrlen);
		return;
	}
	if (domain != AF_INET && domain != AF_INET6 && domain != AF_UNIX) {
		proc_fd_link(0, fd, addr, addrlen);
		return;
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) < 0) {
		snprintf(addr, addrlen, "getsockname: %s", strerror(errno));
		return;
	}
	if (sslen > sizeof(ss))
		sslen = sizeof(ss);
	format_sockaddr(&ss, sslen, addr, addrlen);
}

void listen_describe_fd(int fd, char *kind, size_t kindlen, char *addr, size_t addrlen)
{
	char link[PATH_MAX];
	struct stat st;
	struct statfs sfs;
	const char *k;

	/* Write into locals first so that a zero-length buffer is never
	 * touched and a short one is always terminated. */
	char kbuf[32], abuf[PATH_MAX + 32];

	kbuf[0] = abuf[0] = '\0';
	if (fstat(fd, &st) < 0) {
		snprintf(kbuf, sizeof(kbuf), "other");
		snprintf(abuf, sizeof(abuf), "fstat: %s", strerror(errno));
		goto out;
	}
	if (S_ISSOCK(st.st_mode)) {
		describe_socket(fd, kbuf, sizeof(kbuf), abuf, sizeof(abuf));
		goto out;
	}
	proc_fd_link(0, fd, link, sizeof(link));
	if (S_ISFIFO(st.st_mode))
		k = strncmp(link, "pipe:", 5) == 0 ? "pipe" : "fifo";
	else if (S_ISREG(st.st_mode) && fstatfs(fd, &sfs) == 0 && sfs.f_type == MQUEUE_MAGIC)
		k = "mqueue"; /* the link is the queue's name, "/NAME" */
	else if (S_ISREG(st.st_mode))
		k = strncmp(link, "/memfd:", 7) == 0 ? "memfd" : "file";
	else if (S_ISDIR(st.st_mode))
		k = "dir";
	else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
		k = "dev";
	else
		k = "other";
	snprintf(kbuf, sizeof(kbuf), "%s", k);
	snprintf(abuf, sizeof(abuf), "%s", link);
out:
	if (kindlen > 0)
		snprintf(kind, kindlen, "%s", kbuf);
	if (addrlen > 0)
		snprintf(addr, addrlen, "%s", abuf);
}
