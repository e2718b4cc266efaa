/*
 * listen.c - create, configure, bind and listen on what listen_parse() read.
 *
 * Each listen_open() call owns what it creates until it returns: on failure
 * it closes its socket and removes a socket path or FIFO it created itself,
 * never a file that was there before. On success the fd belongs to the
 * caller and the file system path stays until listen_unlink().
 *
 * Socket options follow systemd's socket_address_listen() and
 * socket_apply_socket_options(): SO_REUSEADDR and IPV6_V6ONLY must take, as
 * the address means something else without them; any other option the
 * kernel refuses (Mark= without CAP_NET_ADMIN, an unknown TCPCongestion=)
 * is reported through the caller's warning function and the socket listens
 * without it, so that a unit that works under systemd works here.
 *
 * Modes: bind() and mkfifo() run under umask(~mode & 0777) so the path never
 * exists with wider permissions than SocketMode= (umask is process-wide; the
 * daemon is single-threaded). An explicit chmod follows anyway, as for a
 * FIFO that already existed.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <mqueue.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "listen.h"

#ifndef IPV6_FREEBIND
#define IPV6_FREEBIND 78
#endif

/* getpwnam_r/getgrnam_r buffers grow on ERANGE up to this size. */
#define LISTEN_PWBUF_MAX (1u << 20)

static int fail(int r, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Format "<what>: <strerror(-r)>" into err and return r (a -errno). */
static int fail(int r, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (err && errlen > 0) {
		va_start(ap, fmt);
		n = vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < errlen)
			snprintf(err + n, errlen - (size_t)n, ": %s", strerror(-r));
	}
	return r;
}

static int set_int(int fd, int level, int opt, int val)
{
	return setsockopt(fd, level, opt, &val, sizeof(val)) < 0 ? -errno : 0;
}

/* Where an option the kernel refused is reported. */
struct warner {
	listen_warn_fn fn;
	void *ctx;
};

/* An option that did not take (r < 0): "<what> <name>: <strerror>",
 * ignoring. */
static void refused(const struct warner *w, int r, const char *what, const char *name)
{
	char msg[512];
	if (r >= 0 || !w->fn)
		return;
	snprintf(msg, sizeof msg, "%s %s: %s, ignoring", what, name, strerror(-r));
	w->fn(w->ctx, msg);
}

/* A string option (BindToDevice=, TCPCongestion=), reported as
 * "KEY=value" when refused. */
static void set_string(int fd, int level, int opt, const char *key, const char *value, const char *name,
		       const struct warner *w)
{
	int r = setsockopt(fd, level, opt, value, (socklen_t)strlen(value)) < 0 ? -errno : 0;
	char what[64];
	snprintf(what, sizeof what, "%s%.40s", key, value);
	refused(w, r, what, name);
}

/* "mkdir -p" of the parent of path; directories we create get mode. */
static int mkdir_parents(const char *path, mode_t mode, char *err, size_t errlen)
{
	char buf[sizeof(((struct listen_addr *)0)->path)];
	size_t len = strlen(path);
	char *slash;

	if (len >= sizeof(buf))
		return fail(-ENAMETOOLONG, err, errlen, "mkdir %s", path);
	memcpy(buf, path, len + 1);
	slash = strrchr(buf, '/');
	if (!slash || slash == buf)
		return 0;
	*slash = '\0';
	for (char *p = buf + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(buf, mode) == 0) {
			/* mkdir() is subject to the umask; DirectoryMode= is not. */
			if (chmod(buf, mode) < 0)
				return fail(-errno, err, errlen, "chmod %s", buf);
		} else if (errno != EEXIST) {
			return fail(-errno, err, errlen, "mkdir %s", buf);
		}
		*p = c;
		if (c == '\0')
			break;
	}
	return 0;
}

/*
 * An existing path where a Unix socket is to be bound: a socket nobody
 * accepts on (connect gives ECONNREFUSED) is stale and removed; a live one
 * is EADDRINUSE; anything else is EEXIST, because it is not ours to delete.
 */
static int clear_stale_socket(const struct listen_addr *a, char *err, size_t errlen)
{
	struct stat st;
	int fd, r = 0;

	if (lstat(a->path, &st) < 0)
		return errno == ENOENT ? 0 : fail(-errno, err, errlen, "stat %s", a->path);
	if (!S_ISSOCK(st.st_mode))
		return fail(-EEXIST, err, errlen, "%s: exists and is not a socket", a->path);
	fd = socket(AF_UNIX, a->type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return fail(-errno, err, errlen, "socket %s", a->path);
	if (connect(fd, (const struct sockaddr *)&a->sa, a->salen) == 0) {
		r = fail(-EADDRINUSE, err, errlen, "%s: socket path in use", a->path);
		goto out;
	}
	switch (errno) {
	case ECONNREFUSED:
		if (unlink(a->path) < 0 && errno != ENOENT)
			r = fail(-errno, err, errlen, "unlink stale socket %s", a->path);
		break;
	case EAGAIN:       /* a listener with a full backlog */
	case EINPROGRESS:
	case EPROTOTYPE:   /* a live socket of another type */
		r = fail(-EADDRINUSE, err, errlen, "%s: socket path in use", a->path);
		break;
	default:
		r = fail(-errno, err, errlen, "probe %s", a->path);
	}
out:
	close(fd);
	return r;
}

/* A decimal id that is not the (uid_t)-1 "unchanged" marker. */
static int parse_id(const char *s, unsigned long *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return 0;
	errno = 0;
	*v = strtoul(s, &end, 10);
	return *end == '\0' && errno == 0 && *v < (unsigned long)(uid_t)-1;
}

/* Numeric id, or a name through the r-variant lookups; *gid gets the
 * user's primary group when the user is known, as systemd's SocketUser=
 * does. */
static int resolve_user(const char *name, uid_t *uid, gid_t *gid)
{
	struct passwd pw, *res = NULL;
	size_t size = 1024;
	char *buf = NULL;
	unsigned long v = 0;
	int numeric = parse_id(name, &v), r;

	for (;;) {
		char *nb = realloc(buf, size);
		if (!nb) {
			r = -ENOMEM;
			goto out;
		}
		buf = nb;
		if (numeric)
			r = getpwuid_r((uid_t)v, &pw, buf, size, &res);
		else
			r = getpwnam_r(name, &pw, buf, size, &res);
		if (r != ERANGE || size >= LISTEN_PWBUF_MAX)
			break;
		size *= 2;
	}
	if (res) {
		*uid = pw.pw_uid;
		*gid = pw.pw_gid;
		r = 0;
	} else if (numeric) {
		*uid = (uid_t)v;   /* a number need not be in passwd */
		r = 0;
	} else {
		r = r > 0 ? -r : -ESRCH;
	}
out:
	free(buf);
	return r;
}

static int resolve_group(const char *name, gid_t *gid)
{
	struct group gr, *res = NULL;
	size_t size = 1024;
	char *buf = NULL;
	unsigned long v = 0;
	int r;

	if (parse_id(name, &v)) {
		*gid = (gid_t)v;
		return 0;
	}
	for (;;) {
		char *nb = realloc(buf, size);
		if (!nb) {
			r = -ENOMEM;
			goto out;
		}
		buf = nb;
		r = getgrnam_r(name, &gr, buf, size, &res);
		if (r != ERANGE || size >= LISTEN_PWBUF_MAX)
			break;
		size *= 2;
	}
	if (res) {
		*gid = gr.gr_gid;
		r = 0;
	} else {
		r = r > 0 ? -r : -ESRCH;
	}
out:
	free(buf);
	return r;
}

static int resolve_owner(const struct sock_conf *sc, uid_t *uid, gid_t *gid, char *err, size_t errlen)
{
	int r;

	*uid = (uid_t)-1;
	*gid = (gid_t)-1;
	if (sc->socket_user && sc->socket_user[0]) {
		r = resolve_user(sc->socket_user, uid, gid);
		if (r < 0)
			return fail(r, err, errlen, "SocketUser=%s", sc->socket_user);
	}
	if (sc->socket_group && sc->socket_group[0]) {
		r = resolve_group(sc->socket_group, gid);
		if (r < 0)
			return fail(r, err, errlen, "SocketGroup=%s", sc->socket_group);
	}
	return 0;
}

/* An option the kernel may refuse: reported (w) and skipped. */
#define OPT(cond, level, opt, val, what) \
	if (cond) \
		refused(w, set_int(fd, level, opt, (int)(val)), what, name);

/* Options that apply before bind(). */
static int apply_options(int fd, const struct listen_addr *a, const struct sock_conf *sc,
			 const char *name, const struct warner *w, char *err, size_t errlen)
{
	int inet = a->family == AF_INET || a->family == AF_INET6;
	int r;

	if (inet && (r = set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1)) < 0)
		return fail(r, err, errlen, "SO_REUSEADDR %s", name);
	if (a->family == AF_INET6) {
		/* Unset BindIPv6Only= leaves the kernel default for an
		 * explicit address; a bare port is dual-stack. */
		int only = -1;
		if (sc->bind_ipv6_only == BIND_IPV6_ONLY)
			only = 1;
		else if (sc->bind_ipv6_only == BIND_IPV6_BOTH || a->bare_port)
			only = 0;
		if (only >= 0 && (r = set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, only)) < 0)
			return fail(r, err, errlen, "IPV6_V6ONLY %s", name);
	}
	OPT(sc->reuse_port, SOL_SOCKET, SO_REUSEPORT, 1, "ReusePort=")
	OPT(sc->free_bind && a->family == AF_INET, IPPROTO_IP, IP_FREEBIND, 1, "FreeBind=")
	OPT(sc->free_bind && a->family == AF_INET6, IPPROTO_IPV6, IPV6_FREEBIND, 1, "FreeBind=")
	OPT(sc->keep_alive, SOL_SOCKET, SO_KEEPALIVE, 1, "KeepAlive=")
	OPT(sc->no_delay && inet && a->type == SOCK_STREAM, IPPROTO_TCP, TCP_NODELAY, 1, "NoDelay=")
	OPT(sc->pass_credentials && (a->family == AF_UNIX || a->family == AF_NETLINK), SOL_SOCKET, SO_PASSCRED, 1,
	    "PassCredentials=")
	OPT(sc->transparent && a->family == AF_INET, IPPROTO_IP, IP_TRANSPARENT, 1, "Transparent=")
	OPT(sc->transparent && a->family == AF_INET6, IPPROTO_IPV6, IPV6_TRANSPARENT, 1, "Transparent=")
	if (sc->bind_to_device)
		set_string(fd, SOL_SOCKET, SO_BINDTODEVICE, "BindToDevice=", sc->bind_to_device, name, w);
	return 0;
}

/* A buffer size as systemd's fd_set_rcvbuf() sets it: SO_RCVBUF, and
 * where the kernel's maximum cut it short, SO_RCVBUFFORCE (privileged). */
static int set_buffer(int fd, int opt, int force, uint64_t n)
{
	int v = 0;
	socklen_t l = sizeof v;
	int r = set_int(fd, SOL_SOCKET, opt, (int)n);
	if (r < 0)
		return r;
	if (getsockopt(fd, SOL_SOCKET, opt, &v, &l) == 0 && (uint64_t)v >= 2 * n)
		return 0;
	return set_int(fd, SOL_SOCKET, force, (int)n);
}

/* Options that apply once the socket listens (socket_apply_socket_options):
 * each one the kernel refuses is reported and skipped. */
static void apply_after(int fd, const struct listen_addr *a, const struct sock_conf *sc, const char *name,
			const struct warner *w)
{
	int inet = a->family == AF_INET || a->family == AF_INET6;
	int tcp = inet && a->type == SOCK_STREAM;
	OPT(tcp && sc->keep_alive_time_usec, IPPROTO_TCP, TCP_KEEPIDLE, sc->keep_alive_time_usec / 1000000,
	    "KeepAliveTimeSec=")
	OPT(tcp && sc->keep_alive_interval_usec, IPPROTO_TCP, TCP_KEEPINTVL, sc->keep_alive_interval_usec / 1000000,
	    "KeepAliveIntervalSec=")
	OPT(tcp && sc->keep_alive_probes, IPPROTO_TCP, TCP_KEEPCNT, sc->keep_alive_probes, "KeepAliveProbes=")
	OPT(tcp && sc->defer_accept_usec, IPPROTO_TCP, TCP_DEFER_ACCEPT, sc->defer_accept_usec / 1000000,
	    "DeferAcceptSec=")
	OPT(sc->broadcast, SOL_SOCKET, SO_BROADCAST, 1, "Broadcast=")
	OPT(sc->pass_security && a->family == AF_UNIX, SOL_SOCKET, SO_PASSSEC, 1, "PassSecurity=")
	OPT(sc->pass_pktinfo && a->family == AF_INET, IPPROTO_IP, IP_PKTINFO, 1, "PassPacketInfo=")
	OPT(sc->pass_pktinfo && a->family == AF_INET6, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, "PassPacketInfo=")
	OPT(sc->timestamping == 1, SOL_SOCKET, SO_TIMESTAMP, 1, "Timestamping=")
	OPT(sc->timestamping == 2, SOL_SOCKET, SO_TIMESTAMPNS, 1, "Timestamping=")
	OPT(sc->priority > 0, SOL_SOCKET, SO_PRIORITY, sc->priority, "Priority=")
	OPT(sc->mark > 0, SOL_SOCKET, SO_MARK, sc->mark, "Mark=")
	OPT(sc->ip_tos > 0 && a->family == AF_INET, IPPROTO_IP, IP_TOS, sc->ip_tos, "IPTOS=")
	OPT(sc->ip_ttl > 0 && a->family == AF_INET, IPPROTO_IP, IP_TTL, sc->ip_ttl, "IPTTL=")
	OPT(sc->ip_ttl > 0 && a->family == AF_INET6, IPPROTO_IPV6, IPV6_UNICAST_HOPS, sc->ip_ttl, "IPTTL=")
	if (sc->receive_buffer)
		refused(w, set_buffer(fd, SO_RCVBUF, SO_RCVBUFFORCE, sc->receive_buffer), "ReceiveBuffer=", name);
	if (sc->send_buffer)
		refused(w, set_buffer(fd, SO_SNDBUF, SO_SNDBUFFORCE, sc->send_buffer), "SendBuffer=", name);
	if (tcp && sc->tcp_congestion)
		set_string(fd, IPPROTO_TCP, TCP_CONGESTION, "TCPCongestion=", sc->tcp_congestion, name, w);
}

static int open_fifo(const struct listen_addr *a, const struct sock_conf *sc, const struct warner *w, char *err,
		     size_t errlen)
{
	struct stat st;
	mode_t mode = sc->socket_mode & 07777, old;
	uid_t uid;
	gid_t gid;
	int fd = -1, r, created = 0;

	r = resolve_owner(sc, &uid, &gid, err, errlen);
	if (r < 0)
		return r;
	r = mkdir_parents(a->path, sc->directory_mode, err, errlen);
	if (r < 0)
		return r;
	old = umask(~mode & 0777);
	r = mkfifo(a->path, mode);
	umask(old);
	if (r == 0) {
		created = 1;
	} else if (errno != EEXIST) {
		return fail(-errno, err, errlen, "mkfifo %s", a->path);
	} else if (lstat(a->path, &st) < 0) {
		return fail(-errno, err, errlen, "stat %s", a->path);
	} else if (!S_ISFIFO(st.st_mode)) {
		return fail(-EEXIST, err, errlen, "%s: exists and is not a FIFO", a->path);
	}
	/* O_RDWR keeps a writer open so readers never see EOF; O_NOFOLLOW
	 * and the fstat close the race with a path swapped after lstat. */
	fd = open(a->path, O_RDWR | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW); /* inheritable: see listen.h */
	if (fd < 0) {
		r = fail(-errno, err, errlen, "open %s", a->path);
		goto fail;
	}
	if (fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode)) {
		r = fail(-EEXIST, err, errlen, "%s: exists and is not a FIFO", a->path);
		goto fail;
	}
	if (fchmod(fd, mode) < 0) {
		r = fail(-errno, err, errlen, "chmod %s", a->path);
		goto fail;
	}
	if ((uid != (uid_t)-1 || gid != (gid_t)-1) && fchown(fd, uid, gid) < 0) {
		r = fail(-errno, err, errlen, "chown %s", a->path);
		goto fail;
	}
	if (sc->pipe_size)
		refused(w, fcntl(fd, F_SETPIPE_SZ, (int)sc->pipe_size) < 0 ? -errno : 0, "PipeSize=", a->path);
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	if (created)
		unlink(a->path);
	return r;
}

/* ListenSpecial=: an existing regular file or character device, never
 * created (systemd's special_address_create). */
static int open_special(const struct listen_addr *a, const struct sock_conf *sc, char *err, size_t errlen)
{
	struct stat st;
	int fd = open(a->path, (sc->writable ? O_RDWR : O_RDONLY) | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW);
	if (fd < 0)
		return fail(-errno, err, errlen, "open %s", a->path);
	if (fstat(fd, &st) < 0 || (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode))) {
		close(fd);
		return fail(-EEXIST, err, errlen, "%s: not a regular file or character device", a->path);
	}
	return fd; /* inheritable: see listen.h */
}

/* ListenMessageQueue=: created with SocketMode= (under umask, as for a
 * FIFO) if missing, opened read-only; an existing queue must have that mode
 * and be the daemon's (systemd's mq_address_create). */
static int open_mq(const struct listen_addr *a, const struct sock_conf *sc, char *err, size_t errlen)
{
	mode_t mode = sc->socket_mode & 0777, old;
	struct mq_attr attr = { .mq_flags = O_NONBLOCK, .mq_maxmsg = sc->mq_maxmsg, .mq_msgsize = sc->mq_msgsize };
	struct stat st;
	old = umask(~mode & 0777);
	mqd_t q = mq_open(a->path, O_RDONLY | O_NONBLOCK | O_CREAT, mode,
			  sc->mq_maxmsg > 0 && sc->mq_msgsize > 0 ? &attr : NULL);
	umask(old);
	if (q == (mqd_t)-1)
		return fail(-errno, err, errlen, "mq_open %s", a->path);
	int fd = (int)q;
	/* glibc's mq_open forces O_CLOEXEC: take it off, so that the queue
	 * crosses a re-exec like every other listener. */
	if (fcntl(fd, F_SETFD, 0) < 0) {
		close(fd);
		return fail(-errno, err, errlen, "fcntl %s", a->path);
	}
	if (fstat(fd, &st) < 0 || (st.st_mode & 0777) != mode || st.st_uid != geteuid() || st.st_gid != getegid()) {
		close(fd);
		return fail(-EEXIST, err, errlen, "message queue %s exists with another mode or owner", a->path);
	}
	return fd;
}

/* The file-system half of a Unix socket: make room for it before bind. */
static int prepare_unix_path(const struct listen_addr *a, const struct sock_conf *sc,
			     char *err, size_t errlen)
{
	int r = mkdir_parents(a->path, sc->directory_mode, err, errlen);

	return r < 0 ? r : clear_stale_socket(a, err, errlen);
}

/* ... and after bind: SocketMode=, SocketUser=, SocketGroup=. */
static int finish_unix_path(const struct listen_addr *a, const struct sock_conf *sc,
			    uid_t uid, gid_t gid, char *err, size_t errlen)
{
	if (chmod(a->path, sc->socket_mode & 07777) < 0)
		return fail(-errno, err, errlen, "chmod %s", a->path);
	if ((uid != (uid_t)-1 || gid != (gid_t)-1) && lchown(a->path, uid, gid) < 0)
		return fail(-errno, err, errlen, "chown %s", a->path);
	return 0;
}

int listen_open(const struct listen_addr *a_in, const struct sock_conf *sc, listen_warn_fn warn, void *warn_ctx,
		char *err, size_t errlen)
{
	const struct warner w = { warn, warn_ctx };
	struct listen_addr a = *a_in;
	char name[sizeof(a.path) + 64];
	int fsock = a.family == AF_UNIX && a.path[0] == '/';
	int fd = -1, r, bound = 0, backlog;
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;
	mode_t old = 0;

	if (err && errlen > 0)
		err[0] = '\0';
	if (a.kind == LISTEN_FIFO)
		return open_fifo(&a, sc, &w, err, errlen);
	if (a.kind == LISTEN_SPECIAL)
		return open_special(&a, sc, err, errlen);
	if (a.kind == LISTEN_MQUEUE)
		return open_mq(&a, sc, err, errlen);
	if (a.family != AF_INET && a.family != AF_INET6 && a.family != AF_UNIX && a.family != AF_NETLINK)
		return fail(-EAFNOSUPPORT, err, errlen, "listen family %d", a.family);

	/* Without close-on-exec, deliberately: a listener crosses every re-exec,
	 * and a thousand fcntl calls each time add up. Children never see it
	 * unless passed: spawn.c sets close-on-exec on every fd above the ones
	 * a child gets (close_range) before its exec. */
	/* SocketProtocol=: SCTP for streams, UDP-Lite for datagrams, over IP
	 * (systemd's socket_open_fds applies each to its socket type). */
	if ((a.family == AF_INET || a.family == AF_INET6) &&
	    ((a.type == SOCK_STREAM && sc->socket_protocol == IPPROTO_SCTP) ||
	     (a.type == SOCK_DGRAM && sc->socket_protocol == IPPROTO_UDPLITE)))
		a.protocol = sc->socket_protocol;
	fd = socket(a.family, a.type | SOCK_NONBLOCK, a.protocol);
	if (fd < 0 && a.bare_port && errno == EAFNOSUPPORT) {
		/* No IPv6 in this kernel: a bare port means 0.0.0.0, as in
		 * systemd's socket_address_parse(). */
		struct sockaddr_in *sin = (struct sockaddr_in *)&a.sa;
		in_port_t port = ((struct sockaddr_in6 *)&a_in->sa)->sin6_port;

		memset(&a.sa, 0, sizeof(a.sa));
		sin->sin_family = AF_INET;
		sin->sin_port = port;
		sin->sin_addr.s_addr = htonl(INADDR_ANY);
		a.family = AF_INET;
		a.salen = sizeof(*sin);
		fd = socket(a.family, a.type | SOCK_NONBLOCK, a.protocol);
	}
	listen_format(&a, name, sizeof(name));
	if (fd < 0)
		return fail(-errno, err, errlen, "socket %s", name);

	r = apply_options(fd, &a, sc, name, &w, err, errlen);
	if (r < 0)
		goto fail;
	if (fsock) {
		r = resolve_owner(sc, &uid, &gid, err, errlen);
		if (r < 0)
			goto fail;
		r = prepare_unix_path(&a, sc, err, errlen);
		if (r < 0)
			goto fail;
	}
	if (fsock)
		old = umask(~sc->socket_mode & 0777);
	r = bind(fd, (const struct sockaddr *)&a.sa, a.salen) < 0 ? -errno : 0;
	if (fsock)
		umask(old);
	if (r < 0) {
		r = fail(r, err, errlen, "bind %s", name);
		goto fail;
	}
	bound = 1;
	if (fsock) {
		r = finish_unix_path(&a, sc, uid, gid, err, errlen);
		if (r < 0)
			goto fail;
	}
	if (a.type == SOCK_STREAM || a.type == SOCK_SEQPACKET) {
		backlog = sc->backlog > 0 ? sc->backlog : SOMAXCONN;
		if (listen(fd, backlog) < 0) {
			r = fail(-errno, err, errlen, "listen %s", name);
			goto fail;
		}
	}
	apply_after(fd, &a, sc, name, &w);
	return fd;
fail:
	close(fd);
	if (bound && fsock)
		unlink(a.path);   /* ours: the stale check ran before bind */
	return r;
}

void listen_unlink(const struct listen_addr *a)
{
	if (LISTEN_HAS_NODE(a))
		(void)unlink(a->path);
}
