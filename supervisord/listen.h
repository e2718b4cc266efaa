/*
 * listen.h - turning a socket unit's Listen*= lines into bound descriptors.
 *
 * Pure system-call code, no libuv: parse an address the way systemd.socket(5)
 * reads it, then create, configure, bind and listen. The returned fd is
 * owned by the caller, and deliberately NOT close-on-exec: listeners cross
 * every re-exec as they are (no fcntl per fd each time), and no child sees
 * one it is not given, since every child marks all fds above the ones it
 * gets close-on-exec before its exec (spawn.c).
 *
 * Address forms (ListenStream=, ListenDatagram=, ListenSequentialPacket=):
 *   "127.0.0.1:8080"  IPv4
 *   "[::1]:8080"      IPv6 (with optional %scope)
 *   "8080"            bare port: IPv6 any-address, dual-stack (IPV6_V6ONLY=0)
 *                     unless BindIPv6Only=ipv6-only; IPv4 if no IPv6 support
 *   "/abs/path"       Unix socket in the file system
 *   "@name"           Unix socket in the abstract namespace
 * ListenFIFO= takes an absolute path; the FIFO is created if missing (mkfifo
 * with SocketMode=) and opened O_RDWR|O_NONBLOCK so it never sees EOF.
 * ListenSpecial= opens an existing regular file or character device
 * (/dev/kmsg, /proc/...) read-only, or read-write with Writable=.
 * ListenNetlink= is "FAMILY [GROUP]": a raw netlink socket of that protocol
 * ("route", "kobject-uevent", ... or a number) bound to that group mask.
 * ListenMessageQueue= is a POSIX message queue "/NAME", created if missing
 * with SocketMode= and MessageQueueMaxMessages=/MessageQueueMessageSize=,
 * opened read-only. All as systemd's socket.c does.
 */
#ifndef SUPD_LISTEN_H
#define SUPD_LISTEN_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "conf.h"

struct listen_addr {
	enum listen_kind kind;       /* the Listen*= it came from */
	int family;                  /* AF_INET, AF_INET6, AF_UNIX, AF_NETLINK; 0 for a FIFO, special file or queue */
	int type;                    /* SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET, SOCK_RAW (netlink); 0 otherwise */
	int protocol;                /* netlink: NETLINK_ROUTE, ...; 0 otherwise */
	struct sockaddr_storage sa;
	socklen_t salen;
	int bare_port;               /* 1 when given as a bare port (dual-stack) */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path) + 1]; /* Unix/FIFO/special path, "@..." for
									 * abstract, "/NAME" of a queue */
};

/* Is it something other than a socket: a FIFO, special file or message queue? */
#define LISTEN_IS_FILE(a) ((a)->family == 0)
/* Does it have a node in the file system that Symlinks= may point at and
 * that is removed with the socket: a Unix socket path or a FIFO? */
#define LISTEN_HAS_NODE(a) \
	((((a)->family == AF_UNIX) || (a)->kind == LISTEN_FIFO) && (a)->path[0] == '/')

/* statfs(2) f_type of a message queue (the kernel's ipc/mqueue.c; not in
 * the uapi headers). */
#ifndef MQUEUE_MAGIC
#define MQUEUE_MAGIC 0x19800202
#endif

/* Parse `spec` (kind + address text). Returns 0, or -EINVAL with a reason in err. */
int listen_parse(const struct listen_spec *spec, struct listen_addr *out, char *err, size_t errlen);
/* The same into a new allocation (free() it); NULL with the reason in err
 * and errno EINVAL (or ENOMEM). */
struct listen_addr *listen_parse_new(const struct listen_spec *spec, char *err, size_t errlen);

/*
 * Create the socket/FIFO described by `a` with the options of `sc`
 * (SocketProtocol= for an IP stream or datagram socket, Backlog=,
 * SocketMode=, ReusePort=, FreeBind=, BindIPv6Only=, KeepAlive=, NoDelay=,
 * PassCredentials=, SocketUser=/SocketGroup=), bind it and, for
 * stream and seqpacket, listen. A stale Unix socket path (a socket nobody
 * listens on) is unlinked first; any other existing file is an error.
 * Returns the fd (>= 0, O_NONBLOCK, without FD_CLOEXEC) or -errno with a reason in err
 * (e.g. "bind 127.0.0.1:8080: Address already in use"). An option the
 * kernel refuses, other than SO_REUSEADDR and IPV6_V6ONLY, goes to warn
 * (when not NULL: "Mark= 127.0.0.1:80: Operation not permitted, ignoring")
 * and the socket is made without it, as systemd does.
 */
typedef void (*listen_warn_fn)(void *ctx, const char *msg);
int listen_open(const struct listen_addr *a, const struct sock_conf *sc, listen_warn_fn warn, void *warn_ctx,
		char *err, size_t errlen);

/* Remove the file system path of a Unix socket or FIFO at exit (no-op for
 * inet, abstract, netlink, special files and message queues). */
void listen_unlink(const struct listen_addr *a);

/* Describe an fd for `supctl fds`: kind ("tcp", "tcp6", "udp", "udp6",
 * "udplite", "udplite6", "sctp", "sctp6", "unix-stream", "unix-dgram",
 * "unix-seqpacket", "netlink", "fifo", "file",
 * "memfd", "mqueue", "pipe", "dir", "dev", "other") and its address or path. Works on any fd. */
void listen_describe_fd(int fd, char *kind, size_t kindlen, char *addr, size_t addrlen);

/* Format a listen_addr for log lines: "127.0.0.1:8080", "[::]:8080", "/run/x.sock". */
void listen_format(const struct listen_addr *a, char *buf, size_t len);

#endif
