/*
 * conf_socket.c - the [Socket] section: keys, defaults, and the checks that
 * need the whole section (at least one Listen*=, Accept= dependent limits).
 *
 * Addresses are stored as written; listen.c turns them into sockaddrs when
 * the socket is opened. Here we only reject what can never bind (no port,
 * port 0, a relative FIFO path), so that the error names file:line.
 */
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "conf_priv.h"
#include "listen.h"

#define SOCK(field) offsetof(struct unit_conf, sock.field)
#define UNIX_PATH_MAX_ (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

void conf_socket_defaults(struct sock_conf *s)
{
	memset(s, 0, sizeof(*s));
	s->backlog = 4096; /* SOMAXCONN on Linux >= 5.4 */
	s->socket_mode = 0666;
	s->directory_mode = 0755;
	s->bind_ipv6_only = BIND_IPV6_DEFAULT;
	s->max_connections = 64;
	s->max_connections_per_source = 64;
	s->trigger_limit_interval_usec = 2000000;
	s->trigger_limit_burst = 20;
}

static void listen_free(struct sock_conf *s)
{
	for (size_t i = 0; i < s->n_listen; i++)
		free(s->listen[i].address);
	free(s->listen);
	s->listen = NULL;
	s->n_listen = 0;
}

void conf_socket_free(struct sock_conf *s)
{
	listen_free(s);
	free(s->fdname);
	free(s->service);
	free(s->socket_user);
	free(s->socket_group);
	free(s->tcp_congestion);
	free(s->bind_to_device);
	conf_strv_free(&s->symlinks, &s->n_symlinks);
}

static bool valid_port(const char *p)
{
	unsigned port;

	return conf_parse_unsigned(p, 65535, &port) == 0 && port > 0;
}

/* "8080", "host:8080", "[v6]:8080", "[v6%if]:8080". */
static int check_inet(struct conf_ctx *x, const char *a)
{
	const char *colon;

	if (a[0] == '[') {
		colon = strstr(a, "]:");
		if (!colon || colon == a + 1 || !valid_port(colon + 2))
			return conf_why(x, "expected [ADDRESS]:PORT");
		return 0;
	}
	colon = strrchr(a, ':');
	if (!colon)
		return valid_port(a) ? 0 : conf_why(x, "not a port, address:port or path");
	if (colon == a || !valid_port(colon + 1))
		return conf_why(x, "expected ADDRESS:PORT with a port in 1..65535");
	return 0;
}

static int check_address(struct conf_ctx *x, enum listen_kind kind, const char *a)
{
	if (kind == LISTEN_FIFO)
		return a[0] == '/' ? 0 : conf_why(x, "FIFO path must be absolute");
	if (kind == LISTEN_SPECIAL || kind == LISTEN_MQUEUE || kind == LISTEN_NETLINK) {
		/* listen.c's own parser judges these (pure: no lookup). */
		const struct listen_spec spec = { .kind = kind, .address = (char *)a };
		struct listen_addr parsed;
		char why[sizeof parsed.path + 128];
		return listen_parse(&spec, &parsed, why, sizeof why) < 0 ? conf_why(x, "%s", why) : 0;
	}
	if (a[0] == '/' || a[0] == '@') {
		if (strlen(a) > UNIX_PATH_MAX_)
			return conf_why(x, "Unix socket path longer than %zu bytes", UNIX_PATH_MAX_);
		return 0;
	}
	if (kind == LISTEN_SEQPACKET)
		return conf_why(x, "ListenSequentialPacket= needs a Unix socket path");
	return check_inet(x, a);
}

/* ListenStream= etc.: arg is the listen_kind. An empty assignment of any of
 * them clears every Listen*= so far, as systemd does. */
static int h_listen(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	struct sock_conf *s = &x->c->sock;
	struct listen_spec *nv;
	char *d;
	int r;

	if (*v == '\0') {
		listen_free(s);
		return 0;
	}
	r = check_address(x, (enum listen_kind)k->arg, v);
	if (r < 0)
		return r;
	d = strdup(v);
	if (!d)
		return -ENOMEM;
	nv = realloc(s->listen, (s->n_listen + 1) * sizeof(*nv));
	if (!nv) {
		free(d);
		return -ENOMEM;
	}
	nv[s->n_listen].kind = (enum listen_kind)k->arg;
	nv[s->n_listen].address = d; /* now owned by the list */
	nv[s->n_listen].line = x->e->line;
	s->n_listen++;
	s->listen = nv;
	return 0;
}

static int h_fdname(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	if (*v && !conf_fdname_valid(v))
		return conf_why(x, "fd names are 1..255 printable ASCII characters without ':'");
	return conf_h_string(x, k, v);
}

static int h_service(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	size_t n = strlen(v);

	if (*v && (!conf_unit_name_valid(v) || n <= 8 || strcmp(v + n - 8, ".service") != 0))
		return conf_why(x, "must name a .service unit");
	return conf_h_string(x, k, v);
}

static int h_backlog(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	unsigned u;

	if (*v == '\0') {
		x->c->sock.backlog = x->def.sock.backlog;
		return 0;
	}
	if (conf_parse_unsigned(v, INT_MAX, &u) < 0)
		return conf_why(x, "not a number in 0..%d", INT_MAX);
	x->c->sock.backlog = (int)u;
	return 0;
}

static int h_mode(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	mode_t *f = CONF_FIELD(x, k, mode_t);

	if (*v == '\0') {
		*f = *CONF_DEFAULT(x, k, mode_t);
		return 0;
	}
	if (conf_parse_mode(v, f) < 0)
		return conf_why(x, "not an octal mode in 0..07777");
	return 0;
}

static int h_max_conn(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	unsigned *f = CONF_FIELD(x, k, unsigned);

	if (conf_h_unsigned(x, k, v) < 0)
		return -EINVAL;
	if (*f == 0)
		return conf_why(x, "must be at least 1");
	if (k->off == SOCK(max_connections_per_source))
		x->per_source_set = *v != '\0';
	return 0;
}

static int h_burst(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	x->burst_set = *v != '\0';
	return conf_h_unsigned(x, k, v);
}

/* ReceiveBuffer=, SendBuffer=, PipeSize=: bytes, with K, M, G, T
 * (1024-based), as systemd's parse_size(). */
static int h_size(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	uint64_t *f = CONF_FIELD(x, k, uint64_t);
	char *end;
	if (*v == '\0') {
		*f = 0;
		return 0;
	}
	errno = 0;
	unsigned long long n = strtoull(v, &end, 10);
	unsigned shift = 0;
	const char *u = *end ? strchr("KMGT", *end) : NULL;
	if (u && *u) {
		shift = 10u * (unsigned)(u - "KMGT" + 1);
		end++;
	}
	if (*end == 'B')
		end++;
	if (errno || end == v || *end || *v < '0' || *v > '9' || (shift && n > (UINT64_MAX >> shift)) ||
	    (n << shift) > INT_MAX)
		return conf_why(x, "not a size (bytes, or with K, M, G) up to 2G");
	*f = (uint64_t)n << shift;
	return 0;
}

/* IPTOS=: a number or systemd's names for the classic TOS bits. */
static int h_ip_tos(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	static const struct {
		const char *name;
		int tos;
	} names[] = { { "low-delay", 0x10 }, { "throughput", 0x08 }, { "reliability", 0x04 }, { "low-cost", 0x02 } };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (!strcmp(v, names[i].name)) {
			x->c->sock.ip_tos = (unsigned)names[i].tos;
			return 0;
		}
	return conf_h_unsigned(x, k, v);
}

static const struct conf_enum timestamping_names[] = {
	{ "off", 0 }, { "us", 1 }, { "usec", 1 }, { "\xc2\xb5s", 1 }, { "ns", 2 }, { "nsec", 2 }, { NULL, 0 },
};

/* systemd 252 takes these two (IPPROTO_UDPLITE, IPPROTO_SCTP). */
static const struct conf_enum protocol_names[] = {
	{ "udplite", IPPROTO_UDPLITE }, { "sctp", IPPROTO_SCTP }, { NULL, 0 },
};

static const char *symlink_bad(const struct conf_key *k, const char *w)
{
	return w[0] == '/' ? NULL : "is not an absolute path";
}

/* Symlinks=: absolute paths, accumulated; "" empties. */
static int h_symlinks(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	return conf_word_list(x, k, &x->c->sock.symlinks, &x->c->sock.n_symlinks, v, symlink_bad);
}

static int h_ifname(struct conf_ctx *x, const struct conf_key *k, const char *v)
{
	if (strlen(v) >= 16 || strpbrk(v, "/: \t"))
		return conf_why(x, "not a network interface name");
	return conf_h_string(x, k, v);
}

static const struct conf_enum ipv6_only_names[] = {
	{ "default", BIND_IPV6_DEFAULT }, { "both", BIND_IPV6_BOTH },
	{ "ipv6-only", BIND_IPV6_ONLY }, { NULL, 0 },
};

#define KEY(name, fn, field, arg) { name, fn, SOCK(field), 0, (intptr_t)(arg) }

const struct conf_key conf_socket_keys[] = {
	{ "ListenStream", h_listen, 0, 0, LISTEN_STREAM },
	{ "ListenDatagram", h_listen, 0, 0, LISTEN_DATAGRAM },
	{ "ListenSequentialPacket", h_listen, 0, 0, LISTEN_SEQPACKET },
	{ "ListenFIFO", h_listen, 0, 0, LISTEN_FIFO },
	{ "ListenSpecial", h_listen, 0, 0, LISTEN_SPECIAL },
	{ "ListenNetlink", h_listen, 0, 0, LISTEN_NETLINK },
	{ "ListenMessageQueue", h_listen, 0, 0, LISTEN_MQUEUE },
	KEY("Writable", conf_h_bool, writable, 0),
	KEY("SocketProtocol", conf_h_enum, socket_protocol, protocol_names),
	KEY("MessageQueueMaxMessages", conf_h_unsigned, mq_maxmsg, INT_MAX),
	KEY("MessageQueueMessageSize", conf_h_unsigned, mq_msgsize, INT_MAX),
	KEY("FileDescriptorName", h_fdname, fdname, 0),
	KEY("Service", h_service, service, 0),
	KEY("Backlog", h_backlog, backlog, 0),
	KEY("SocketMode", h_mode, socket_mode, 0),
	KEY("DirectoryMode", h_mode, directory_mode, 0),
	KEY("SocketUser", conf_h_user, socket_user, 0),
	KEY("SocketGroup", conf_h_user, socket_group, 0),
	KEY("ReusePort", conf_h_bool, reuse_port, 0),
	KEY("FreeBind", conf_h_bool, free_bind, 0),
	KEY("KeepAlive", conf_h_bool, keep_alive, 0),
	KEY("NoDelay", conf_h_bool, no_delay, 0),
	KEY("PassCredentials", conf_h_bool, pass_credentials, 0),
	KEY("Accept", conf_h_bool, accept, 0),
	KEY("BindIPv6Only", conf_h_enum, bind_ipv6_only, ipv6_only_names),
	KEY("MaxConnections", h_max_conn, max_connections, 0),
	KEY("MaxConnectionsPerSource", h_max_conn, max_connections_per_source, 0),
	KEY("TriggerLimitIntervalSec", conf_h_timespan, trigger_limit_interval_usec, 0),
	KEY("TriggerLimitBurst", h_burst, trigger_limit_burst, 0),
	KEY("RemoveOnStop", conf_h_bool, remove_on_stop, 0),
	KEY("ReceiveBuffer", h_size, receive_buffer, 0),
	KEY("SendBuffer", h_size, send_buffer, 0),
	KEY("PipeSize", h_size, pipe_size, 0),
	KEY("Priority", conf_h_unsigned, priority, INT_MAX),
	KEY("Mark", conf_h_unsigned, mark, INT_MAX),
	KEY("IPTOS", h_ip_tos, ip_tos, 255),
	KEY("IPTTL", conf_h_unsigned, ip_ttl, 255),
	KEY("Broadcast", conf_h_bool, broadcast, 0),
	KEY("PassSecurity", conf_h_bool, pass_security, 0),
	KEY("PassPacketInfo", conf_h_bool, pass_pktinfo, 0),
	KEY("Transparent", conf_h_bool, transparent, 0),
	KEY("Timestamping", conf_h_enum, timestamping, timestamping_names),
	KEY("DeferAcceptSec", conf_h_timespan, defer_accept_usec, 0),
	KEY("KeepAliveTimeSec", conf_h_timespan, keep_alive_time_usec, 0),
	KEY("KeepAliveIntervalSec", conf_h_timespan, keep_alive_interval_usec, 0),
	KEY("KeepAliveProbes", conf_h_unsigned, keep_alive_probes, 0),
	KEY("TCPCongestion", conf_h_string, tcp_congestion, 0),
	KEY("BindToDevice", h_ifname, bind_to_device, 0),
	KEY("Symlinks", h_symlinks, symlinks, 0),
	{ NULL, NULL, 0, 0, 0 },
};

/* Keys systemd knows in [Socket] that we accept with a warning. */
const char *const conf_socket_unsupported[] = {
	"ListenUSBFunction", "FlushPending", "SmackLabel", "SmackLabelIPIn",
	"SmackLabelIPOut", "SELinuxContextFromNet", "PassFileDescriptorsToExec",
	"ExecStartPre", "ExecStartPost", "ExecStopPre", "ExecStopPost", "TimeoutSec",
	"PollLimitIntervalSec", "PollLimitBurst", "DeferTrigger", "NonBlocking", "User", "Group",
	"SupplementaryGroups", "UMask", "WorkingDirectory", "Environment", "EnvironmentFile",
	"SELinuxContext", "AppArmorProfile", "Slice", "KillMode", "KillSignal", "SendSIGKILL",
	"Limit*", "Private*", "Protect*", "Restrict*", "Standard*", NULL,
};

int conf_socket_finish(struct conf_ctx *x)
{
	struct sock_conf *s = &x->c->sock;
	unsigned line = x->kind_line ? x->kind_line : 1;

	if (s->n_listen == 0)
		conf_report(x, 1, line, "socket unit has no Listen*= line (ListenStream=, ListenDatagram=, "
			    "ListenSequentialPacket=, ListenFIFO=, ListenSpecial=, ListenNetlink=, ListenMessageQueue=)");
	if (s->accept && s->service)
		conf_report(x, 1, line, "Service= cannot be used with Accept=yes");
	/* Accept=yes needs sockets that accept (systemd's socket_verify). */
	for (size_t i = 0; s->accept && i < s->n_listen; i++) {
		enum listen_kind k = s->listen[i].kind;
		if (k != LISTEN_STREAM && k != LISTEN_SEQPACKET) {
			conf_report(x, 1, s->listen[i].line ? s->listen[i].line : line,
				    "Accept=yes needs stream or sequential-packet sockets, and %s cannot accept",
				    s->listen[i].address);
			break;
		}
	}
	/* Symlinks= needs exactly one node in the file system (systemd):
	 * a FIFO or a Unix socket with a path, not a special file or queue. */
	size_t nodes = 0;
	for (size_t i = 0; i < s->n_listen; i++) {
		enum listen_kind k = s->listen[i].kind;
		nodes += k == LISTEN_FIFO ||
			 (k <= LISTEN_SEQPACKET && s->listen[i].address[0] == '/');
	}
	if (s->n_symlinks && nodes != 1)
		conf_report(x, 1, line, "Symlinks= needs exactly one socket or FIFO in the file system (there are %zu)",
			    nodes);
	if (s->accept && !x->burst_set)
		s->trigger_limit_burst = 200;
	if (!x->per_source_set)
		s->max_connections_per_source = s->max_connections;
	return 0;
}
