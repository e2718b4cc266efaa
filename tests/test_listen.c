/*
 * test_listen.c - listen_parse/listen_open/listen_describe_fd.
 *
 * Parsing is table-driven. The open tests create real sockets on loopback
 * and in a fresh temporary directory (removed in the fixture's fini, which
 * criterion runs even after a failed assertion). Ports are found by binding
 * a probe to port 0 and closing it, since a port of 0 is not a valid
 * Listen*= address. Every test ends by checking that the number of open
 * fds is back to what it was at the start.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <mqueue.h>
#include <unistd.h>
#include <linux/netlink.h>

#include "listen.h"
#include "procfs.h"

static char tmpdir[64];
static int fds_at_start;

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_listen.XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
	fds_at_start = count_fds();
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path) < 0 ? -1 : 0;
}

static void teardown(void)
{
	if (tmpdir[0])
		nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void check_fds(void)
{
	cr_assert_eq(count_fds(), fds_at_start, "fd leak: %d open, %d at start", count_fds(),
		     fds_at_start);
}

static struct sock_conf default_conf(void)
{
	struct sock_conf sc;

	memset(&sc, 0, sizeof(sc));
	sc.backlog = SOMAXCONN;
	sc.socket_mode = 0666;
	sc.directory_mode = 0755;
	return sc;
}

static int parse(enum listen_kind kind, const char *addr, struct listen_addr *a, char *err, size_t errlen)
{
	struct listen_spec spec = { .kind = kind, .address = (char *)addr, .line = 1 };

	return listen_parse(&spec, a, err, errlen);
}

/* Parse and open; fails the test on error. */
static int open_ok(enum listen_kind kind, const char *addr, const struct sock_conf *sc, struct listen_addr *a)
{
	char err[256];
	int r = parse(kind, addr, a, err, sizeof(err));

	cr_assert_eq(r, 0, "parse %s: %s", addr, err);
	r = listen_open(a, sc, NULL, NULL, err, sizeof(err));
	cr_assert_geq(r, 0, "open %s: %d %s", addr, r, err);
	return r;
}

/* A port nobody holds right now: bind port 0 and read back the choice. */
static unsigned free_port(int family)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	unsigned port;

	cr_assert_geq(fd, 0);
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = (sa_family_t)family;
	if (family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)&ss, family == AF_INET ? sizeof(struct sockaddr_in)
									  : sizeof(struct sockaddr_in6)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	port = family == AF_INET ? ntohs(((struct sockaddr_in *)&ss)->sin_port)
				 : ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	close(fd);
	return port;
}

static int getint(int fd, int level, int opt)
{
	int v = -1;
	socklen_t l = sizeof(v);

	cr_assert_eq(getsockopt(fd, level, opt, &v, &l), 0);
	return v;
}

static void assert_fd_flags(int fd)
{
	/* Held across re-execs without close-on-exec (listen.h). */
	cr_assert(!(fcntl(fd, F_GETFD) & FD_CLOEXEC), "listener is close-on-exec");
	cr_assert(fcntl(fd, F_GETFL) & O_NONBLOCK, "fd not non-blocking");
}

static int connect_to(const struct listen_addr *a)
{
	int fd = socket(a->sa.ss_family, a->type | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	if (connect(fd, (const struct sockaddr *)&a->sa, a->salen) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

static int connect_inet4(unsigned port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

TestSuite(listen, .init = setup, .fini = teardown);

/* ---- parsing ---- */

struct parse_ok {
	enum listen_kind kind;
	const char *in;
	int family, type, bare;
	const char *formatted;
};

static const struct parse_ok valid[] = {
	{ LISTEN_STREAM, "127.0.0.1:8080", AF_INET, SOCK_STREAM, 0, "127.0.0.1:8080" },
	{ LISTEN_STREAM, "0.0.0.0:1", AF_INET, SOCK_STREAM, 0, "0.0.0.0:1" },
	{ LISTEN_STREAM, "[::1]:8080", AF_INET6, SOCK_STREAM, 0, "[::1]:8080" },
	{ LISTEN_STREAM, "[::]:65535", AF_INET6, SOCK_STREAM, 0, "[::]:65535" },
	{ LISTEN_STREAM, "[fe80::1%lo]:80", AF_INET6, SOCK_STREAM, 0, "[fe80::1%lo]:80" },
	{ LISTEN_STREAM, "[fe80::1]:80%lo", AF_INET6, SOCK_STREAM, 0, "[fe80::1%lo]:80" },
	{ LISTEN_STREAM, "[fe80::1%1]:80", AF_INET6, SOCK_STREAM, 0, "[fe80::1%lo]:80" },
	{ LISTEN_STREAM, "8080", AF_INET6, SOCK_STREAM, 1, "[::]:8080" },
	{ LISTEN_STREAM, "08080", AF_INET6, SOCK_STREAM, 1, "[::]:8080" },
	{ LISTEN_DATAGRAM, "53", AF_INET6, SOCK_DGRAM, 1, "[::]:53" },
	{ LISTEN_DATAGRAM, "127.0.0.1:53", AF_INET, SOCK_DGRAM, 0, "127.0.0.1:53" },
	{ LISTEN_STREAM, "/run/x.sock", AF_UNIX, SOCK_STREAM, 0, "/run/x.sock" },
	{ LISTEN_STREAM, "//run/./a//x.sock/", AF_UNIX, SOCK_STREAM, 0, "/run/a/x.sock" },
	{ LISTEN_DATAGRAM, "/run/d.sock", AF_UNIX, SOCK_DGRAM, 0, "/run/d.sock" },
	{ LISTEN_SEQPACKET, "/run/s.sock", AF_UNIX, SOCK_SEQPACKET, 0, "/run/s.sock" },
	{ LISTEN_SEQPACKET, "@seq", AF_UNIX, SOCK_SEQPACKET, 0, "@seq" },
	{ LISTEN_STREAM, "@abstract", AF_UNIX, SOCK_STREAM, 0, "@abstract" },
	{ LISTEN_FIFO, "/run/x.fifo", 0, 0, 0, "/run/x.fifo" },
	{ LISTEN_SPECIAL, "/dev//kmsg", 0, 0, 0, "/dev/kmsg" },
	{ LISTEN_MQUEUE, "/queue", 0, 0, 0, "message queue /queue" },
	{ LISTEN_NETLINK, "route 1", AF_NETLINK, SOCK_RAW, 0, "netlink route 1" },
	{ LISTEN_NETLINK, " kobject-uevent\t 2 ", AF_NETLINK, SOCK_RAW, 0, "netlink kobject-uevent 2" },
	{ LISTEN_NETLINK, "audit", AF_NETLINK, SOCK_RAW, 0, "netlink audit 0" },
	{ LISTEN_NETLINK, "30 7", AF_NETLINK, SOCK_RAW, 0, "netlink 30 7" },
};

Test(listen, parse_valid, .timeout = 10)
{
	char err[256], buf[256];
	struct listen_addr a;

	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		const struct parse_ok *t = &valid[i];
		int r = parse(t->kind, t->in, &a, err, sizeof(err));

		cr_assert_eq(r, 0, "%s: %s", t->in, err);
		cr_expect_eq(a.family, t->family, "%s: family %d", t->in, a.family);
		cr_expect_eq(a.type, t->type, "%s: type %d", t->in, a.type);
		cr_expect_eq(a.bare_port, t->bare, "%s: bare_port", t->in);
		listen_format(&a, buf, sizeof(buf));
		cr_expect_str_eq(buf, t->formatted, "%s", t->in);
		if (a.family)
			cr_expect_eq(a.sa.ss_family, a.family, "%s: sa family", t->in);
	}
	check_fds();
}

Test(listen, parse_sockaddr_details, .timeout = 10)
{
	char err[256];
	struct listen_addr a;
	struct sockaddr_un *sun = (struct sockaddr_un *)&a.sa;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a.sa;
	size_t off = offsetof(struct sockaddr_un, sun_path);
	char path[200];

	cr_assert_eq(parse(LISTEN_STREAM, "@abstract", &a, err, sizeof(err)), 0);
	cr_expect_eq(sun->sun_path[0], '\0');
	cr_expect_eq(memcmp(sun->sun_path + 1, "abstract", 8), 0);
	cr_expect_eq(a.salen, off + 1 + strlen("abstract"), "abstract salen has no NUL");
	cr_expect_str_eq(a.path, "@abstract");

	cr_assert_eq(parse(LISTEN_STREAM, "/run/x.sock", &a, err, sizeof(err)), 0);
	cr_expect_str_eq(sun->sun_path, "/run/x.sock");
	cr_expect_eq(a.salen, off + strlen("/run/x.sock") + 1);

	cr_assert_eq(parse(LISTEN_STREAM, "8080", &a, err, sizeof(err)), 0);
	cr_expect_eq(memcmp(&sin6->sin6_addr, &in6addr_any, sizeof(in6addr_any)), 0);
	cr_expect_eq(ntohs(sin6->sin6_port), 8080);
	cr_expect_eq(a.salen, sizeof(struct sockaddr_in6));

	cr_assert_eq(parse(LISTEN_STREAM, "[fe80::1%lo]:80", &a, err, sizeof(err)), 0);
	cr_expect_eq(sin6->sin6_scope_id, if_nametoindex("lo"));

	cr_assert_eq(parse(LISTEN_STREAM, "127.0.0.1:8080", &a, err, sizeof(err)), 0);
	cr_expect_eq(a.salen, sizeof(struct sockaddr_in));
	cr_expect_eq(((struct sockaddr_in *)&a.sa)->sin_addr.s_addr, htonl(INADDR_LOOPBACK));

	/* sun_path holds 108 bytes: a path of 107 plus its NUL is the limit. */
	memset(path, 'a', sizeof(path));
	path[0] = '/';
	path[sizeof(sun->sun_path) - 1] = '\0';
	cr_expect_eq(parse(LISTEN_STREAM, path, &a, err, sizeof(err)), 0, "107 bytes: %s", err);
	path[sizeof(sun->sun_path) - 1] = 'a';
	path[sizeof(sun->sun_path)] = '\0';
	cr_expect_eq(parse(LISTEN_STREAM, path, &a, err, sizeof(err)), -EINVAL, "108 bytes");
	path[0] = '@';
	cr_expect_eq(parse(LISTEN_STREAM, path, &a, err, sizeof(err)), -EINVAL, "@ + 107 bytes");
	path[sizeof(sun->sun_path) - 1] = '\0';
	cr_expect_eq(parse(LISTEN_STREAM, path, &a, err, sizeof(err)), 0, "@ + 106: %s", err);
	check_fds();
}

struct parse_bad {
	enum listen_kind kind;
	const char *in;
};

static const struct parse_bad invalid[] = {
	{ LISTEN_STREAM, "" },
	{ LISTEN_STREAM, "0" },
	{ LISTEN_STREAM, "65536" },
	{ LISTEN_STREAM, "999999" },
	{ LISTEN_STREAM, "-1" },
	{ LISTEN_STREAM, "+80" },
	{ LISTEN_STREAM, " 80" },
	{ LISTEN_STREAM, "80 " },
	{ LISTEN_STREAM, "0x50" },
	{ LISTEN_STREAM, "localhost:80" },
	{ LISTEN_STREAM, "example.com:80" },
	{ LISTEN_STREAM, "127.0.0.1" },
	{ LISTEN_STREAM, "127.0.0.1:" },
	{ LISTEN_STREAM, "127.0.0.1:0" },
	{ LISTEN_STREAM, "127.0.0.1:65536" },
	{ LISTEN_STREAM, "127.0.0.1:http" },
	{ LISTEN_STREAM, "127.0.0.1:80%lo" },
	{ LISTEN_STREAM, "1.2.3:80" },
	{ LISTEN_STREAM, "256.1.1.1:80" },
	{ LISTEN_STREAM, ":80" },
	{ LISTEN_STREAM, "::1:80" },
	{ LISTEN_STREAM, "[::1]" },
	{ LISTEN_STREAM, "[::1]:" },
	{ LISTEN_STREAM, "[::1]80" },
	{ LISTEN_STREAM, "[::1:80" },
	{ LISTEN_STREAM, "[]:80" },
	{ LISTEN_STREAM, "[zz::1]:80" },
	{ LISTEN_STREAM, "[127.0.0.1]:80" },
	{ LISTEN_STREAM, "[::1]:0" },
	{ LISTEN_STREAM, "[fe80::1%nosuchif0]:80" },
	{ LISTEN_STREAM, "[fe80::1%]:80" },
	{ LISTEN_STREAM, "[fe80::1%lo]:80%lo" },
	{ LISTEN_STREAM, "relative/path" },
	{ LISTEN_STREAM, "/" },
	{ LISTEN_STREAM, "/a/../b" },
	{ LISTEN_STREAM, "@" },
	{ LISTEN_STREAM, "vsock:2:80" },
	{ LISTEN_SEQPACKET, "127.0.0.1:80" },
	{ LISTEN_SEQPACKET, "[::1]:80" },
	{ LISTEN_SEQPACKET, "8080" },
	{ LISTEN_FIFO, "relative" },
	{ LISTEN_FIFO, "@abstract" },
	{ LISTEN_FIFO, "127.0.0.1:80" },
	{ LISTEN_FIFO, "/" },
	{ LISTEN_FIFO, "/x/../y" },
	{ (enum listen_kind)42, "/x" },
};

Test(listen, parse_invalid, .timeout = 10)
{
	char err[256];
	struct listen_addr a;

	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		const struct parse_bad *t = &invalid[i];

		err[0] = '\0';
		cr_expect_eq(parse(t->kind, t->in, &a, err, sizeof(err)), -EINVAL, "\"%s\" accepted", t->in);
		cr_expect_neq(err[0], '\0', "\"%s\": no reason given", t->in);
		cr_expect_eq(a.family, 0, "\"%s\": address left filled", t->in);
	}
	/* A reason is given, and a small or absent buffer is safe. */
	cr_assert_eq(parse(LISTEN_STREAM, "localhost:80", &a, err, sizeof(err)), -EINVAL);
	cr_expect(strstr(err, "not resolved") != NULL, "%s", err);
	cr_assert_eq(parse(LISTEN_STREAM, "127.0.0.1:0", &a, err, sizeof(err)), -EINVAL);
	cr_expect(strstr(err, "range") != NULL, "%s", err);
	cr_expect_eq(parse(LISTEN_STREAM, "nonsense", &a, err, 4), -EINVAL);
	cr_expect_eq(strlen(err), 3);
	cr_expect_eq(parse(LISTEN_STREAM, "nonsense", &a, NULL, 0), -EINVAL);
	cr_expect_eq(listen_parse(NULL, &a, err, sizeof(err)), -EINVAL);
	check_fds();
}

/* Found by fuzz_listen_parse: a FIFO path refused after its first
 * components were copied (a later "..", or too long) left them in a.path,
 * which a careless caller could have used. A FIFO's family is 0 either
 * way, so parse_invalid's check did not see it. */
Test(listen, parse_invalid_fifo_leaves_nothing, .timeout = 10)
{
	static const struct listen_addr zero;
	char err[256], longpath[300];
	struct listen_addr a;

	memset(&a, 0x55, sizeof(a));
	cr_assert_eq(parse(LISTEN_FIFO, "/././/./..", &a, err, sizeof(err)), -EINVAL);
	cr_expect(memcmp(&a, &zero, sizeof(a)) == 0, "half-filled address: path \"%s\"", a.path);
	memset(&a, 0x55, sizeof(a));
	cr_assert_eq(parse(LISTEN_FIFO, "/run/x/../y", &a, err, sizeof(err)), -EINVAL);
	cr_expect(memcmp(&a, &zero, sizeof(a)) == 0, "half-filled address: path \"%s\"", a.path);
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[10] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	memset(&a, 0x55, sizeof(a));
	cr_assert_eq(parse(LISTEN_FIFO, longpath, &a, err, sizeof(err)), -EINVAL);
	cr_expect(memcmp(&a, &zero, sizeof(a)) == 0, "half-filled address: path \"%s\"", a.path);
	check_fds();
}

/* ---- opening: inet ---- */

Test(listen, tcp4_loopback, .timeout = 10)
{
	struct sock_conf sc = default_conf();
	struct listen_addr a;
	char addr[64];
	int fd, c;

	sc.keep_alive = sc.no_delay = sc.reuse_port = sc.free_bind = true;
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", free_port(AF_INET));
	fd = open_ok(LISTEN_STREAM, addr, &sc, &a);
	assert_fd_flags(fd);
	cr_expect_eq(getint(fd, SOL_SOCKET, SO_ACCEPTCONN), 1);
	cr_expect_eq(getint(fd, SOL_SOCKET, SO_REUSEADDR), 1);
	cr_expect_eq(getint(fd, SOL_SOCKET, SO_REUSEPORT), 1);
	cr_expect_eq(getint(fd, SOL_SOCKET, SO_KEEPALIVE), 1);
	cr_expect_eq(getint(fd, IPPROTO_TCP, TCP_NODELAY), 1);
	cr_expect_eq(getint(fd, IPPROTO_IP, IP_FREEBIND), 1);
	c = connect_to(&a);
	cr_expect_geq(c, 0, "connect: %s", strerror(-c));
	if (c >= 0)
		close(c);
	close(fd);
	check_fds();
}

Test(listen, tcp6_loopback, .timeout = 10)
{
	struct sock_conf sc = default_conf();
	struct listen_addr a;
	char addr[64];
	int fd, c;

	sc.bind_ipv6_only = BIND_IPV6_ONLY;
	snprintf(addr, sizeof(addr), "[::1]:%u", free_port(AF_INET6));
	fd = open_ok(LISTEN_STREAM, addr, &sc, &a);
	assert_fd_flags(fd);
	cr_expect_eq(getint(fd, SOL_SOCKET, SO_ACCEPTCONN), 1);
	cr_expect_eq(getint(fd, IPPROTO_IPV6, IPV6_V6ONLY), 1);
	cr_expect_eq(getint(fd, SOL_SOCKET, SO_REUSEPORT), 0);
	c = connect_to(&a);
	cr_expect_geq(c, 0, "connect: %s", strerror(-c));
	if (c >= 0)
		close(c);
	close(fd);
	check_fds();
}

Test(listen, port_in_use, .timeout = 10)
{
	struct sock_conf sc = default_conf();
	struct listen_addr a;
	char addr[64], err[256], want[128];
	int fd, r;

	snprintf(addr, sizeof(addr), "127.0.0.1:%u", free_port(AF_INET));
	fd = open_ok(LISTEN_STREAM, addr, &sc, &a);
	r = listen_open(&a, &sc, NULL, NULL, err, sizeof(err));
	cr_expect_eq(r, -EADDRINUSE, "second open: %d %s", r, err);
	snprintf(want, sizeof(want), "bind %s: Address already in use", addr);
	cr_expect_str_eq(err, want);
	if (r >= 0)
		close(r);
	close(fd);
	check_fds();
}

Test(listen, bare_port_dual_stack, .timeout = 10)
{
	struct sock_conf sc = default_conf();
	struct listen_addr a;
	char addr[16];
	int fd, c;

	snprintf(addr, sizeof(addr), "%u", free_port(AF_INET6));
	fd = open_ok(LISTEN_STREAM, addr, &sc, &a);
	cr_expect(a.bare_port);
	cr_expect_eq(getint(fd, SOL_SOCKET, SO_DOMAIN), AF_INET6);
	cr_expect_eq(getint(fd, IPPROTO_IPV6, IPV6_V6ONLY), 0);
	c = connect_inet4((unsigned)atoi(addr));
	cr_expect_geq(c, 0, "IPv4 connect to a bare port: %s", strerror(-c));
	if (c >= 0)
		close(c);
	close(fd);

	/* BindIPv6Only=ipv6-only takes IPv4 away. */
	sc.bind_ipv6_only = BIND_IPV6_ONLY;
	fd = open_ok(LISTEN_STREAM, addr, &sc, &a);
	cr_expect_eq(getint(fd, IPPROTO_IPV6, IPV6_V6ONLY), 1);
	c = connect_inet4((unsigned)atoi(addr));
	cr_expect_eq(c, -ECONNREFUSED, "IPv4 connect to an ipv6-only port");
	if (c >= 0)
		close(c);
	close(fd);
	check_fds();
}

Test(listen, udp4_datagram, .timeout = 10)
{
	struct sock_conf sc = default_conf();
	struct listen_addr a;
	char addr[64], buf[16];
	int fd, c;

	snprintf(addr, sizeof(addr), "127.0.0.1:%u", free_port(AF_INET));
	fd = open_ok(LISTEN_DATAGRAM, addr, &sc, &a);
	assert_fd_flags(fd);
	cr_expect_eq(getint(fd, SOL_SOCKET, SO_TYPE), SOCK_DGRAM);
	cr_expect_eq(getint(fd, SOL_SOCKET, SO_ACCEPTCONN), 0);
	c = connect_to(&a);
	cr_assert_geq(c, 0);
	cr_expect_eq(send(c, "ping", 4, 0), 4);
	cr_expect_eq(recv(fd, buf, sizeof(buf), 0), 4);
	close(c);
	close(fd);
	check_fds();
}

/* ---- opening: Unix sockets ---- */

Test(listen, unix_stream_modes, .timeout = 10)
{
	struct sock_conf sc = default_conf();
	struct listen_addr a;
	struct stat st;
	char path[128], dir[96];
	int fd, c;

	sc.socket_mode = 0600;
	sc.directory_mode = 0750;
	sc.pass_credentials = true;
	snprintf(dir, sizeof(dir), "%s/a/b", tmpdir);
	snprintf(path, sizeof(path), "%s/s.sock", dir);
	fd = open_ok(LISTEN_STREAM, path, &sc, &a);
	assert_fd_flags(fd);
	cr_expect_eq(getint(fd, SOL_SOCKET, SO_ACCEPTCONN), 1);
	cr_expect_eq(getint(fd, SOL_SOCKET, SO_PASSCRED), 1);
	cr_assert_eq(lstat(path, &st), 0);
	cr_expect(S_ISSOCK(st.st_mode));
	cr_expect_eq(st.st_mode & 07777, 0600, "socket mode %o", st.st_mode & 07777);
	cr_assert_eq(stat(dir, &st), 0);
	cr_expect_eq(st.st_mode & 07777, 0750, "directory mode %o", st.st_mode & 07777);
	c = connect_to(&a);
	cr_expect_geq(c, 0, "connect: %s", strerror(-c));
	if (c >= 0)
		close(c);
	close(fd);
	listen_unlink(&a);
	cr_expect_eq(lstat(path, &st), -1, "listen_unlink left the path");
	check_fds();
}

Test(listen, unix_owner, .timeout = 10)
{
	struct sock_conf sc = default_conf();
	struct listen_addr a;
	struct stat st;
	char path[128], err[256];
	int fd;

	if (geteuid() != 0)
		cr_skip_test("needs root for chown");
	snprintf(path, sizeof(path), "%s/own.sock", tmpdir);
	sc.socket_user = "1234";
	sc.socket_group = "4321";
	fd = open_ok(LISTEN_STREAM, path, &sc, &a);
	cr_assert_eq(lstat(path, &st), 0);
	cr_expect_eq(st.st_uid, 1234);
	cr_expect_eq(st.st_gid, 4321);
	close(fd);

	/* By name; the user's primary group applies without SocketGroup=. */
	sc.socket_user = "root";
	sc.socket_group = NULL;
	fd = open_ok(LISTEN_STREAM, path, &sc, &a);
	cr_assert_eq(lstat(path, &st), 0);
	cr_expect_eq(st.st_uid, 0);
	cr_expect_eq(st.st_gid, 0);
	close(fd);

	sc.socket_user = "no-such-user-xyz";
	cr_expect_lt(listen_open(&a, &sc, NULL, NULL, err, sizeof(err)), 0);
	cr_expect(strstr(err, "SocketUser=no-such-user-xyz") != NULL, "%s", err);
	sc.socket_user = NULL;
	sc.socket_group = "no-such-group-xyz";
	cr_expect_lt(listen_open(&a, &sc, NULL, NULL, err, sizeof(err)), 0);
	cr_expect(strstr(err, "SocketGroup=no-such-group-xyz") != NULL, "%s", err);
	listen_unlink(&a);
	check_fds();
}

Test(listen, unix_stale_socket_replaced, .timeout = 10)
{
	struct sock_conf sc = default_conf();
	struct listen_addr a;
	char path[128], err[256];
	int old, fd, c;

	snprintf(path, sizeof(path), "%s/stale.sock", tmpdir);
	cr_assert_eq(parse(LISTEN_STREAM, path, &a, err, sizeof(err)), 0);
	/* A bound socket whose owner went away leaves the file behind. */
	old = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_eq(bind(old, (struct sockaddr *)&a.sa, a.salen), 0);
	close(old);
	fd = listen_open(&a, &sc, NULL, NULL, err, sizeof(err));
	cr_assert_geq(fd, 0, "stale socket not replaced: %s", err);
	c = connect_to(&a);
	cr_expect_geq(c, 0);
	if (c >= 0)
		close(c);
	close(fd);
	listen_unlink(&a);
	check_fds();
}

Test(listen, unix_live_socket_refused, .timeout = 10)
{
	struct sock_conf sc = default_conf();
	struct listen_addr a;
	struct stat st;
	char path[128], err[256];
	int live, r, c;

	snprintf(path, sizeof(path), "%s/live.sock", tmpdir);
	live = open_ok(LISTEN_STREAM, path, &sc, &a);
	r = listen_open(&a, &sc, NULL, NULL, err, sizeof(err));
	cr_expect_eq(r, -EADDRINUSE, "live socket path: %d %s", r, err);
	cr_expect(strstr(err, "socket path in use") != NULL, "%s", err);
	if (r >= 0)
		close(r);
	/* The refused open must not have removed the live one's path. */
	cr_expect_eq(lstat(path, &st), 0);
	c = connect_to(&a);
	cr_expect_geq(c, 0, "live socket lost its path");
	if (c >= 0)
		close(c);
	close(live);
	listen_unlink(&a);
	check_fds();
}

Test(listen, unix_path_not_socket, .timeout = 10)
{
	struct sock_conf sc = default_conf();
	struct listen_addr a;
	struct stat st;
	char path[128], err[256];
	int f, r;

	snprintf(path, sizeof(path), "%s/plain", tmpdir);
	f = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	cr_assert_geq(f, 0);
	close(f);
	cr_assert_eq(parse(LISTEN_STREAM, path, &a, err, sizeof(err)), 0);
	r = listen_open(&a, &sc, NULL, NULL, err, sizeof(err));
	cr_expect_eq(r, -EEXIST, "%d %s", r, err);
	cr_expect(strstr(err, "not a socket") != NULL, "%s", err);
	if (r >= 0)
		close(r);
	cr_expect_eq(lstat(path, &st), 0);
	cr_expect(S_ISREG(st.st_mode), "regular file was touched");
	unlink(path);
	check_fds();
}

Test(listen, abstract_socket, .timeout = 10)
{
	struct sock_conf sc = default_conf();
	struct listen_addr a;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char name[64], kind[32], addr[128];
	socklen_t len;
	int fd, c;

	snprintf(name, sizeof(name), "@test_listen-%d", (int)getpid());
	fd = open_ok(LISTEN_STREAM, name, &sc, &a);
	assert_fd_flags(fd);
	cr_expect_eq(getint(fd, SOL_SOCKET, SO_ACCEPTCONN), 1);
	/* Connect the way other programs do: NUL, name, no trailing NUL. */
	memcpy(sun.sun_path + 1, name + 1, strlen(name + 1));
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(name));
	c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(c, 0);
	cr_expect_eq(connect(c, (struct sockaddr *)&sun, len), 0, "connect: %s", strerror(errno));
	close(c);
	listen_describe_fd(fd, kind, sizeof(kind), addr, sizeof(addr));
	cr_expect_str_eq(kind, "unix-stream");
	cr_expect_str_eq(addr, name);
	listen_unlink(&a); /* no-op */
	close(fd);
	check_fds();
}

Test(listen, unix_seqpacket, .timeout = 10)
{
	struct sock_conf sc = default_conf();
	struct listen_addr a;
	char path[128], buf[16];
	int fd, c, s;

	snprintf(path, sizeof(path), "%s/seq.sock", tmpdir);
	fd = open_ok(LISTEN_SEQPACKET, path, &sc, &a);
	assert_fd_flags(fd);
	cr_expect_eq(getint(fd, SOL_SOCKET, SO_TYPE), SOCK_SEQPACKET);
	cr_expect_eq(getint(fd, SOL_SOCKET, SO_ACCEPTCONN), 1);
	c = connect_to(&a);
	cr_assert_geq(c, 0);
	s = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
	cr_assert_geq(s, 0);
	cr_expect_eq(send(c, "one", 3, 0), 3);
	cr_expect_eq(send(c, "two!", 4, 0), 4);
	cr_expect_eq(recv(s, buf, sizeof(buf), 0), 3, "message boundaries kept");
	cr_expect_eq(recv(s, buf, sizeof(buf), 0), 4);
	close(s);
	close(c);
	close(fd);
	listen_unlink(&a);
	check_fds();
}

Test(listen, unix_datagram, .timeout = 10)
{
	struct sock_conf sc = default_conf();
	struct listen_addr a;
	char path[128], buf[16];
	int fd, c;

	snprintf(path, sizeof(path), "%s/dgram.sock", tmpdir);
	fd = open_ok(LISTEN_DATAGRAM, path, &sc, &a);
	assert_fd_flags(fd);
	cr_expect_eq(getint(fd, SOL_SOCKET, SO_TYPE), SOCK_DGRAM);
	c = connect_to(&a);
	cr_assert_geq(c, 0);
	cr_expect_eq(send(c, "hello", 5, 0), 5);
	cr_expect_eq(recv(fd, buf, sizeof(buf), 0), 5);
	close(c);
	close(fd);
	/* A datagram socket nobody holds is stale too. */
	fd = open_ok(LISTEN_DATAGRAM, path, &sc, &a);
	close(fd);
	listen_unlink(&a);
	check_fds();
}

/* ---- FIFOs ---- */

Test(listen, fifo, .timeout = 10)
{
	struct sock_conf sc = default_conf();
	struct listen_addr a;
	struct stat st;
	char path[128], buf[16], err[256];
	int fd, w, r;

	sc.socket_mode = 0620;
	snprintf(path, sizeof(path), "%s/sub/x.fifo", tmpdir);
	fd = open_ok(LISTEN_FIFO, path, &sc, &a);
	assert_fd_flags(fd);
	cr_assert_eq(lstat(path, &st), 0);
	cr_expect(S_ISFIFO(st.st_mode));
	cr_expect_eq(st.st_mode & 07777, 0620, "fifo mode %o", st.st_mode & 07777);
	/* Nothing written yet: EAGAIN, not EOF, because we hold a writer. */
	cr_expect_eq(read(fd, buf, sizeof(buf)), -1);
	cr_expect_eq(errno, EAGAIN);
	w = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	cr_assert_geq(w, 0);
	cr_expect_eq(write(w, "data", 4), 4);
	close(w);
	cr_expect_eq(read(fd, buf, sizeof(buf)), 4);
	cr_expect_eq(memcmp(buf, "data", 4), 0);
	close(fd);

	/* An existing FIFO is reused, and gets SocketMode= again. */
	sc.socket_mode = 0600;
	fd = open_ok(LISTEN_FIFO, path, &sc, &a);
	cr_assert_eq(lstat(path, &st), 0);
	cr_expect_eq(st.st_mode & 07777, 0600);
	close(fd);
	listen_unlink(&a);
	cr_expect_eq(lstat(path, &st), -1, "listen_unlink left the FIFO");

	/* A regular file in the way is an error and is left alone. */
	w = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	cr_assert_geq(w, 0);
	close(w);
	r = listen_open(&a, &sc, NULL, NULL, err, sizeof(err));
	cr_expect_eq(r, -EEXIST, "%d %s", r, err);
	if (r >= 0)
		close(r);
	cr_expect_eq(lstat(path, &st), 0);
	cr_expect(S_ISREG(st.st_mode));
	unlink(path);
	check_fds();
}

/* ---- describing fds ---- */

static void expect_describe(int fd, const char *kind, const char *addr)
{
	char k[32], ad[PATH_MAX];

	listen_describe_fd(fd, k, sizeof(k), ad, sizeof(ad));
	cr_expect_str_eq(k, kind, "fd %d: kind %s, want %s", fd, k, kind);
	if (addr)
		cr_expect_str_eq(ad, addr, "fd %d: addr %s, want %s", fd, ad, addr);
}

Test(listen, describe_sockets, .timeout = 10)
{
	struct sock_conf sc = default_conf();
	struct listen_addr a;
	char addr[64], want[64], path[128];
	unsigned port;
	int fd, sp[2];

	port = free_port(AF_INET);
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", port);
	fd = open_ok(LISTEN_STREAM, addr, &sc, &a);
	expect_describe(fd, "tcp", addr);
	close(fd);
	fd = open_ok(LISTEN_DATAGRAM, addr, &sc, &a);
	expect_describe(fd, "udp", addr);
	close(fd);

	port = free_port(AF_INET6);
	snprintf(addr, sizeof(addr), "[::1]:%u", port);
	fd = open_ok(LISTEN_STREAM, addr, &sc, &a);
	expect_describe(fd, "tcp6", addr);
	close(fd);
	snprintf(addr, sizeof(addr), "%u", port);
	snprintf(want, sizeof(want), "[::]:%u", port);
	fd = open_ok(LISTEN_DATAGRAM, addr, &sc, &a);
	expect_describe(fd, "udp6", want);
	close(fd);

	snprintf(path, sizeof(path), "%s/d.sock", tmpdir);
	fd = open_ok(LISTEN_STREAM, path, &sc, &a);
	expect_describe(fd, "unix-stream", path);
	close(fd);
	listen_unlink(&a);
	fd = open_ok(LISTEN_SEQPACKET, path, &sc, &a);
	expect_describe(fd, "unix-seqpacket", path);
	close(fd);
	listen_unlink(&a);
	fd = open_ok(LISTEN_DATAGRAM, path, &sc, &a);
	expect_describe(fd, "unix-dgram", path);
	close(fd);
	listen_unlink(&a);

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
	expect_describe(sp[0], "unix-stream", "unnamed");
	close(sp[0]);
	close(sp[1]);
	check_fds();
}

Test(listen, describe_files, .timeout = 10)
{
	char path[128], kind[32], addr[PATH_MAX];
	int fd, p[2];

	fd = memfd_create("supd-test", MFD_CLOEXEC);
	cr_assert_geq(fd, 0);
	listen_describe_fd(fd, kind, sizeof(kind), addr, sizeof(addr));
	cr_expect_str_eq(kind, "memfd");
	cr_expect(strncmp(addr, "/memfd:supd-test", 16) == 0, "%s", addr);
	close(fd);

	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	listen_describe_fd(p[0], kind, sizeof(kind), addr, sizeof(addr));
	cr_expect_str_eq(kind, "pipe");
	cr_expect(strncmp(addr, "pipe:[", 6) == 0, "%s", addr);
	close(p[0]);
	close(p[1]);

	snprintf(path, sizeof(path), "%s/file", tmpdir);
	fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0);
	expect_describe(fd, "file", path);
	close(fd);
	unlink(path);

	cr_assert_eq(mkfifo(path, 0600), 0);
	fd = open(path, O_RDWR | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	expect_describe(fd, "fifo", path);
	close(fd);
	unlink(path);

	fd = open(tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	expect_describe(fd, "dir", tmpdir);
	close(fd);

	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	expect_describe(fd, "dev", "/dev/null");
	close(fd);

	/* A closed fd, and short or empty output buffers, are safe. */
	listen_describe_fd(1000, kind, sizeof(kind), addr, sizeof(addr));
	cr_expect_str_eq(kind, "other");
	cr_expect_neq(addr[0], '\0');
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	listen_describe_fd(fd, kind, 3, addr, 4);
	cr_expect_str_eq(kind, "de");
	cr_expect_str_eq(addr, "/de");
	listen_describe_fd(fd, kind, 0, addr, 0);
	close(fd);
	check_fds();
}

Test(listen, format, .timeout = 10)
{
	struct listen_addr a;
	char err[128], buf[64];

	cr_assert_eq(parse(LISTEN_STREAM, "[::1]:8080", &a, err, sizeof(err)), 0);
	listen_format(&a, buf, sizeof(buf));
	cr_expect_str_eq(buf, "[::1]:8080");
	listen_format(&a, buf, 4);
	cr_expect_str_eq(buf, "[::");
	listen_format(&a, buf, 0);
	cr_assert_eq(parse(LISTEN_STREAM, "@name", &a, err, sizeof(err)), 0);
	listen_format(&a, buf, sizeof(buf));
	cr_expect_str_eq(buf, "@name");
	check_fds();
}

/* ---- SocketProtocol= ---- */

Test(listen, socket_protocol, .timeout = 10)
{
	struct sock_conf sc = default_conf();
	struct listen_addr a;
	char kind[32], addr[PATH_MAX + 32], name[64], err[256];

	sc.socket_protocol = IPPROTO_UDPLITE;
	snprintf(name, sizeof name, "127.0.0.1:%u", free_port(AF_INET));
	int fd = open_ok(LISTEN_DATAGRAM, name, &sc, &a);
	cr_expect_eq(getint(fd, SOL_SOCKET, SO_PROTOCOL), IPPROTO_UDPLITE);
	listen_describe_fd(fd, kind, sizeof kind, addr, sizeof addr);
	cr_expect_str_eq(kind, "udplite");
	cr_expect_str_eq(addr, name);
	close(fd);
	/* Only datagrams take UDP-Lite: a stream stays TCP. */
	snprintf(name, sizeof name, "127.0.0.1:%u", free_port(AF_INET));
	fd = open_ok(LISTEN_STREAM, name, &sc, &a);
	cr_expect_eq(getint(fd, SOL_SOCKET, SO_PROTOCOL), IPPROTO_TCP);
	close(fd);
	/* SCTP for streams, where the kernel has it. */
	sc.socket_protocol = IPPROTO_SCTP;
	cr_assert_eq(parse(LISTEN_STREAM, name, &a, err, sizeof err), 0);
	fd = listen_open(&a, &sc, NULL, NULL, err, sizeof err);
	if (fd >= 0) {
		cr_expect_eq(getint(fd, SOL_SOCKET, SO_PROTOCOL), IPPROTO_SCTP);
		close(fd);
	} else {
		cr_expect(fd == -EPROTONOSUPPORT || fd == -ESOCKTNOSUPPORT, "%d %s", fd, err);
		cr_expect(strstr(err, name), "the error names the address: %s", err);
	}
	check_fds();
}

/* ---- ListenSpecial=, ListenNetlink=, ListenMessageQueue= ---- */

Test(listen, special_file, .timeout = 10)
{
	struct sock_conf sc = default_conf();
	struct listen_addr a;
	char kind[32], addr[PATH_MAX + 32], err[256], path[128];

	int fd = open_ok(LISTEN_SPECIAL, "/dev/null", &sc, &a);
	cr_expect(!(fcntl(fd, F_GETFD) & FD_CLOEXEC), "special file is close-on-exec");
	cr_expect_eq(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY, "read-only without Writable=");
	listen_describe_fd(fd, kind, sizeof kind, addr, sizeof addr);
	cr_expect_str_eq(kind, "dev");
	cr_expect_str_eq(addr, "/dev/null");
	close(fd);
	sc.writable = true;
	fd = open_ok(LISTEN_SPECIAL, "/dev/null", &sc, &a);
	cr_expect_eq(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR, "Writable=yes");
	close(fd);
	/* A regular file is taken; a directory or a missing file is not, and
	 * nothing is created or removed. */
	snprintf(path, sizeof path, "%s/file", tmpdir);
	close(open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
	fd = open_ok(LISTEN_SPECIAL, path, &sc, &a);
	close(fd);
	listen_unlink(&a);
	cr_expect_eq(access(path, F_OK), 0, "listen_unlink removed a special file");
	sc.writable = false; /* a directory opened read-write fails with EISDIR */
	cr_assert_eq(parse(LISTEN_SPECIAL, tmpdir, &a, err, sizeof err), 0);
	cr_expect_eq(listen_open(&a, &sc, NULL, NULL, err, sizeof err), -EEXIST);
	cr_expect(strstr(err, "not a regular file or character device"), "%s", err);
	snprintf(path, sizeof path, "%s/missing", tmpdir);
	cr_assert_eq(parse(LISTEN_SPECIAL, path, &a, err, sizeof err), 0);
	cr_expect_eq(listen_open(&a, &sc, NULL, NULL, err, sizeof err), -ENOENT);
	cr_expect_eq(access(path, F_OK), -1);
	check_fds();
}

Test(listen, netlink, .timeout = 10)
{
	struct sock_conf sc = default_conf();
	struct listen_addr a;
	char kind[32], addr[PATH_MAX + 32];

	sc.pass_credentials = true;
	int fd = open_ok(LISTEN_NETLINK, "route 1", &sc, &a);
	assert_fd_flags(fd);
	cr_expect_eq(getint(fd, SOL_SOCKET, SO_DOMAIN), AF_NETLINK);
	cr_expect_eq(getint(fd, SOL_SOCKET, SO_TYPE), SOCK_RAW);
	cr_expect_eq(getint(fd, SOL_SOCKET, SO_PROTOCOL), NETLINK_ROUTE);
	cr_expect_eq(getint(fd, SOL_SOCKET, SO_PASSCRED), 1, "PassCredentials= on a netlink socket");
	struct sockaddr_nl nl;
	socklen_t l = sizeof nl;
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&nl, &l), 0);
	cr_expect_eq(nl.nl_groups, 1u);
	listen_describe_fd(fd, kind, sizeof kind, addr, sizeof addr);
	cr_expect_str_eq(kind, "netlink");
	cr_expect_str_eq(addr, "netlink route 1");
	close(fd);
	check_fds();
}

Test(listen, message_queue, .timeout = 10)
{
	struct sock_conf sc = default_conf();
	struct listen_addr a;
	char kind[32], addr[PATH_MAX + 32], err[256], name[64];

	snprintf(name, sizeof name, "/%s", strrchr(tmpdir, '/') + 1);
	sc.socket_mode = 0640;
	sc.mq_maxmsg = 3;
	sc.mq_msgsize = 32;
	int fd = open_ok(LISTEN_MQUEUE, name, &sc, &a);
	assert_fd_flags(fd); /* glibc's O_CLOEXEC taken off: it crosses a re-exec */
	struct mq_attr at;
	cr_assert_eq(mq_getattr((mqd_t)fd, &at), 0);
	cr_expect(at.mq_maxmsg == 3 && at.mq_msgsize == 32, "%ld %ld", at.mq_maxmsg, at.mq_msgsize);
	cr_expect_eq(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	struct stat st;
	cr_assert_eq(fstat(fd, &st), 0);
	cr_expect_eq(st.st_mode & 0777, 0640);
	listen_describe_fd(fd, kind, sizeof kind, addr, sizeof addr);
	cr_expect_str_eq(kind, "mqueue");
	cr_expect_str_eq(addr, name);
	/* Open again: the same queue. With another mode: refused. */
	int fd2 = open_ok(LISTEN_MQUEUE, name, &sc, &a);
	close(fd2);
	sc.socket_mode = 0600;
	cr_expect_eq(listen_open(&a, &sc, NULL, NULL, err, sizeof err), -EEXIST);
	cr_expect(strstr(err, "another mode or owner"), "%s", err);
	close(fd);
	cr_expect_eq(mq_unlink(name), 0);
	check_fds();
}

/* proc_fd_link (procfs.c), which the descriptions above and rescue mode
 * read descriptors with: a pipe, a path, another process's fd, and "" for
 * a closed number; a short buffer keeps its NUL. */
Test(listen, proc_fd_link_names_what_a_descriptor_is, .timeout = 10)
{
	int p[2];
	cr_assert_eq(pipe(p), 0);
	char buf[128], want[64];
	struct stat st;
	cr_assert_eq(fstat(p[0], &st), 0);
	snprintf(want, sizeof want, "pipe:[%lu]", (unsigned long)st.st_ino);
	cr_expect_eq(proc_fd_link(0, p[0], buf, sizeof buf), strlen(want));
	cr_expect_str_eq(buf, want);
	cr_expect_eq(proc_fd_link(getpid(), p[1], buf, sizeof buf), strlen(want), "by pid, as for a child");
	cr_expect_str_eq(buf, want);
	int fd = open("/dev/null", O_RDONLY);
	cr_assert_geq(fd, 0);
	cr_expect_eq(proc_fd_link(0, fd, buf, sizeof buf), strlen("/dev/null"));
	cr_expect_str_eq(buf, "/dev/null");
	cr_expect_eq(proc_fd_link(0, fd, buf, 5), 4, "cut to the buffer");
	cr_expect_str_eq(buf, "/dev");
	close(fd);
	cr_expect_eq(proc_fd_link(0, fd, buf, sizeof buf), 0);
	cr_expect_str_eq(buf, "");
	close(p[0]);
	close(p[1]);
}
