/*
 * supctl - the command-line client of supervisord.
 *
 * One connection per invocation: HELLO (checks the protocol version), then
 * one request per unit named; the first request goes out right behind HELLO
 * and HELLO's answer is checked before any other is read (recv_reply), so a
 * command costs one round trip, not two (start/stop/restart pipeline them, so several
 * units move together). All decoding goes through proto/; supctl never
 * parses bytes itself. The commands' help is in supctl_help.c.
 *
 * Exit codes (also in --help and the README):
 *   0  success
 *   1  the operation failed (a unit failed to start, the daemon refused)
 *   2  usage error
 *   3  cannot reach the daemon (not running, wrong runtime directory,
 *      permission denied)
 *   4  no such unit
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "proto.h"

#include "supctl.h"

int sock = -1;
static uint32_t next_id = 1;
static char daemon_version[PROTO_MAX_STR + 1];
static uint32_t daemon_pid;
static uint32_t hello_id;
static bool hello_pending; /* HELLO sent, its answer not read yet */
static void hello_check(void);
static uint8_t rbuf[PROTO_MAX_MSG];

void die(int code, const char *fmt, ...)
{
	va_list ap;
	fputs("supctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

int code_for(int err)
{
	if (err == -ENOENT)
		return EXIT_NOUNIT;
	if (err == -EACCES || err == -EPERM || err == -EUSERS)
		return EXIT_CONNECT;
	return EXIT_FAIL;
}

/* The daemon closed the connection: if it said why first (a refused
 * client gets one R_ERROR, then the close), that is the message. */
static void __attribute__((noreturn)) die_closed(const char *what, int r)
{
	struct proto_hdr h;
	const uint8_t *payload;
	int fds[PROTO_MAX_FDS_PER_MSG];
	size_t nfds = 0;
	if (proto_recv(sock, rbuf, &h, &payload, fds, &nfds) == 0) {
		proto_close_fds(fds, nfds);
		struct proto_buf b;
		int32_t err;
		char msg[PROTO_MAX_STR + 1];
		proto_buf_init_reader(&b, payload, h.len);
		if (h.type == PROTO_R_ERROR && proto_get_i32(&b, &err) == 0 && proto_get_str(&b, msg, sizeof msg) == 0)
			die(code_for(err) == EXIT_CONNECT ? EXIT_CONNECT : EXIT_FAIL, "%s", msg);
	}
	if (r == -EPIPE)
		die(EXIT_CONNECT, "supervisord closed the connection");
	die(EXIT_CONNECT, "%s supervisord: %s", what, strerror(-r));
}

void send_req(uint16_t type, const struct proto_buf *b, uint32_t *id)
{
	*id = next_id++;
	int r = proto_send(sock, type, 0, *id, b->data, b->len, NULL, 0);
	if (r < 0)
		die_closed("sending to", r);
}

int recv_reply(uint32_t id, struct proto_hdr *h, struct proto_buf *b, char *msg, size_t msglen)
{
	return recv_reply_fds(id, h, b, msg, msglen, NULL, NULL);
}

int recv_reply_fds(uint32_t id, struct proto_hdr *h, struct proto_buf *b, char *msg, size_t msglen,
		   int *fds_out, size_t *nfds_out)
{
	hello_check();
	for (;;) {
		const uint8_t *payload;
		int fds[PROTO_MAX_FDS_PER_MSG];
		size_t nfds = 0;
		if (nfds_out)
			*nfds_out = 0;
		int r = proto_recv(sock, rbuf, h, &payload, fds, &nfds);
		if (r < 0)
			die_closed("reading from", r);
		bool mine = id == RECV_ANY || h->id == id;
		if (fds_out && mine && h->type != PROTO_R_ERROR) {
			memcpy(fds_out, fds, nfds * sizeof *fds);
			*nfds_out = nfds;
		} else {
			proto_close_fds(fds, nfds);
		}
		proto_buf_init_reader(b, payload, h->len);
		if (h->type == PROTO_R_ERROR) {
			int32_t err;
			if (proto_get_i32(b, &err) < 0 || proto_get_str(b, msg, msglen) < 0)
				die(EXIT_FAIL, "malformed error reply from supervisord");
			if (!mine && h->id != 0)
				continue;
			return err < 0 ? err : -EIO;
		}
		if (!mine)
			continue; /* not ours: ignore */
		return 0;
	}
}

static const char *runtime_dir(const char *opt, char *buf, size_t len)
{
	if (opt)
		return opt;
	const char *e = getenv("SUPERVISORD_RUNTIME_DIR");
	if (e && *e)
		return e;
	if (geteuid() == 0)
		return "/run/supervisord";
	e = getenv("XDG_RUNTIME_DIR");
	if (e && *e) {
		snprintf(buf, len, "%s/supervisord", e);
		return buf;
	}
	die(EXIT_CONNECT, "no runtime directory: use --runtime-dir or set XDG_RUNTIME_DIR");
}

static void connect_daemon(const char *dir)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if ((size_t)snprintf(sa.sun_path, sizeof sa.sun_path, "%s/control.sock", dir) >= sizeof sa.sun_path)
		die(EXIT_USAGE, "runtime directory path too long: %s", dir);
	sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (sock < 0)
		die(EXIT_CONNECT, "socket: %s", strerror(errno));
	if (connect(sock, (struct sockaddr *)&sa, sizeof sa) < 0)
		die(EXIT_CONNECT, "cannot connect to supervisord at %s: %s", sa.sun_path, strerror(errno));

	uint8_t out[256];
	struct proto_buf b;
	proto_buf_init_writer(&b, out, sizeof out);
	proto_put_u32(&b, PROTO_VERSION);
	proto_put_str(&b, "supctl");
	send_req(PROTO_HELLO, &b, &hello_id);
	hello_pending = true;
}

/* HELLO's answer: refused, or a daemon that does not speak our protocol,
 * ends supctl here. The daemon answers in order, so it comes first. */
static void hello_check(void)
{
	struct proto_hdr h;
	struct proto_buf b;
	char msg[PROTO_MAX_STR + 1];
	if (!hello_pending)
		return;
	hello_pending = false;
	int r = recv_reply(hello_id, &h, &b, msg, sizeof msg);
	if (r < 0)
		die(code_for(r) == EXIT_CONNECT ? EXIT_CONNECT : EXIT_FAIL, "%s", msg);
	uint32_t ver, pid;
	if (h.type != PROTO_R_HELLO || proto_get_u32(&b, &ver) < 0 ||
	    proto_get_str(&b, daemon_version, sizeof daemon_version) < 0 || proto_get_u32(&b, &pid) < 0 ||
	    proto_get_end(&b) < 0)
		die(EXIT_FAIL, "unexpected answer to HELLO from supervisord");
	if (ver != PROTO_VERSION)
		die(EXIT_FAIL, "supervisord speaks protocol %u, supctl speaks %u", ver, PROTO_VERSION);
	daemon_pid = pid;
}

/* ---- status ---- */

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch == '\n')
			fputs("\\n", stdout);
		else if (ch == '\t')
			fputs("\\t", stdout);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static void fmt_uptime(uint64_t since_usec, const char *state, char *buf, size_t len)
{
	if (!since_usec || (strcmp(state, "running") && strcmp(state, "listening"))) {
		snprintf(buf, len, "-");
		return;
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t now = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
	uint64_t s = now > since_usec ? (now - since_usec) / 1000000u : 0;
	if (s < 60)
		snprintf(buf, len, "%llus", (unsigned long long)s);
	else if (s < 3600)
		snprintf(buf, len, "%llum%llus", (unsigned long long)(s / 60), (unsigned long long)(s % 60));
	else if (s < 86400)
		snprintf(buf, len, "%lluh%llum", (unsigned long long)(s / 3600), (unsigned long long)(s % 3600 / 60));
	else
		snprintf(buf, len, "%llud%lluh", (unsigned long long)(s / 86400), (unsigned long long)(s % 86400 / 3600));
}

static int cmd_status(int argc, char **argv)
{
	bool json = false;
	int i = 0;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else
			die(EXIT_USAGE, "status: unknown option %s", argv[i]);
	}
	static uint8_t out[PROTO_MAX_PAYLOAD];
	struct proto_buf b;
	proto_buf_init_writer(&b, out, sizeof out);
	proto_put_u32(&b, (uint32_t)(argc - i));
	for (int k = i; k < argc; k++)
		proto_put_str(&b, argv[k]);
	if (b.err)
		die(EXIT_USAGE, "status: too many unit names");
	uint32_t id;
	send_req(PROTO_STATUS, &b, &id);

	size_t n = 0, cap = 0;
	struct proto_unit_status *v = NULL;
	for (;;) {
		struct proto_hdr h;
		char msg[PROTO_MAX_STR + 1];
		int r = recv_reply(id, &h, &b, msg, sizeof msg);
		if (r < 0)
			die(code_for(r), "%s", msg);
		uint32_t cnt;
		if (h.type != PROTO_R_STATUS || proto_get_u32(&b, &cnt) < 0)
			die(EXIT_FAIL, "malformed status reply");
		for (uint32_t k = 0; k < cnt; k++) {
			if (n == cap) {
				cap = cap ? cap * 2 : 16;
				v = realloc(v, cap * sizeof *v);
				if (!v)
					die(EXIT_FAIL, "out of memory");
			}
			if (proto_get_unit_status(&b, &v[n]) < 0)
				die(EXIT_FAIL, "malformed status record");
			n++;
		}
		if (proto_get_end(&b) < 0)
			die(EXIT_FAIL, "malformed status reply");
		if (!(h.flags & PROTO_F_MORE))
			break;
	}

	if (json) {
		putchar('[');
		for (size_t k = 0; k < n; k++) {
			printf("%s{\"name\":", k ? "," : "");
			json_str(v[k].name);
			printf(",\"type\":\"%s\",\"state\":", v[k].type == PROTO_UNIT_SOCKET ? "socket" : "service");
			json_str(v[k].state);
			printf(",\"pid\":%u,\"restarts\":%u,\"since_usec\":%llu,\"status\":", v[k].pid, v[k].restarts,
			       (unsigned long long)v[k].since_usec);
			json_str(v[k].status);
			printf(",\"description\":");
			json_str(v[k].description);
			putchar('}');
		}
		puts("]");
		free(v);
		return EXIT_OK;
	}

	int wname = 4, wstate = 5;
	for (size_t k = 0; k < n; k++) {
		int l = (int)strlen(v[k].name);
		if (l > wname)
			wname = l;
		l = (int)strlen(v[k].state);
		if (l > wstate)
			wstate = l;
	}
	bool color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
	printf("%-*s  %-7s  %-*s  %7s  %8s  %8s  %s\n", wname, "UNIT", "TYPE", wstate, "STATE", "PID", "UPTIME",
	       "RESTARTS", "STATUS");
	for (size_t k = 0; k < n; k++) {
		char up[32], pid[16];
		fmt_uptime(v[k].since_usec, v[k].state, up, sizeof up);
		if (v[k].pid)
			snprintf(pid, sizeof pid, "%u", v[k].pid);
		else
			snprintf(pid, sizeof pid, "-");
		const char *on = "", *off = "";
		if (color) {
			off = "\033[0m";
			if (!strcmp(v[k].state, "running") || !strcmp(v[k].state, "listening"))
				on = "\033[32m";
			else if (!strcmp(v[k].state, "failed"))
				on = "\033[31m";
			else if (strcmp(v[k].state, "stopped"))
				on = "\033[33m";
			else
				off = "";
		}
		printf("%-*s  %-7s  %s%-*s%s  %7s  %8s  %8u  %s\n", wname, v[k].name,
		       v[k].type == PROTO_UNIT_SOCKET ? "socket" : "service", on, wstate, v[k].state, off, pid, up,
		       v[k].restarts, v[k].status);
	}
	/* Which daemon answered: after `reexec --binary` the version changes,
	 * the pid does not. */
	printf("\nsupervisord %s, pid %u, %zu unit%s\n", daemon_version, daemon_pid, n, n == 1 ? "" : "s");
	free(v);
	return EXIT_OK;
}

/* ---- start / stop / restart ---- */

static int cmd_job(uint16_t type, const char *verb, int argc, char **argv)
{
	uint32_t flags = 0;
	int i = 0;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--no-block") == 0)
			flags |= PROTO_JOB_NO_BLOCK;
		else if (strcmp(argv[i], "--overlap") == 0 && type == PROTO_RESTART)
			flags |= PROTO_JOB_OVERLAP;
		else
			die(EXIT_USAGE, "%s: unknown option %s", verb, argv[i]);
	}
	if (i == argc)
		die(EXIT_USAGE, "%s: name at least one unit", verb);
	/* The requests are pipelined, so that the units start (or stop)
	 * together rather than one after the other; answers come in any order.
	 * At most JOB_WINDOW are in flight: the daemon drops a client whose
	 * unread replies pile up. */
	enum { JOB_WINDOW = 8 };
	int first = i, n = argc - i, sent = 0, done = 0, rc = EXIT_OK;
	uint32_t *ids = calloc((size_t)n, sizeof *ids);
	bool *answered = calloc((size_t)n, sizeof *answered);
	if (!ids || !answered)
		die(EXIT_FAIL, "out of memory");
	while (done < n) {
		while (sent < n && sent - done < JOB_WINDOW) {
			uint8_t out[PROTO_MAX_NAME + 64];
			struct proto_buf b;
			proto_buf_init_writer(&b, out, sizeof out);
			if (strlen(argv[first + sent]) > PROTO_MAX_NAME)
				die(EXIT_USAGE, "%s: unit name too long: %s", verb, argv[first + sent]);
			proto_put_str(&b, argv[first + sent]);
			proto_put_u32(&b, flags);
			send_req(type, &b, &ids[sent]);
			sent++;
		}
		struct proto_hdr h;
		struct proto_buf b;
		char msg[PROTO_MAX_STR + 1];
		int r = recv_reply(RECV_ANY, &h, &b, msg, sizeof msg);
		int k = 0;
		while (k < sent && (ids[k] != h.id || answered[k]))
			k++;
		if (k == sent) {
			if (r < 0 && h.id == 0) /* about the connection, not a request */
				die(code_for(r) == EXIT_CONNECT ? EXIT_CONNECT : EXIT_FAIL, "%s", msg);
			continue; /* not ours */
		}
		answered[k] = true;
		done++;
		if (r == 0) {
			/* A note with the success (a start skipped by a
			 * Condition*= says which). */
			char note[PROTO_MAX_STR + 1];
			if (proto_get_str(&b, note, sizeof note) == 0 && note[0])
				printf("%s: %s\n", argv[first + k], note);
		} else {
			fprintf(stderr, "supctl: %s %s: %s\n", verb, argv[first + k], msg);
			int c = code_for(r);
			if (rc == EXIT_OK || c == EXIT_NOUNIT)
				rc = c;
		}
	}
	free(ids);
	free(answered);
	return rc;
}

static int cmd_reexec(int argc, char **argv)
{
	const char *binary = "";
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--binary") && i + 1 < argc)
			binary = argv[++i];
		else if (!strncmp(argv[i], "--binary=", 9))
			binary = argv[i] + 9;
		else
			die(EXIT_USAGE, "reexec: unknown argument %s", argv[i]);
	}
	uint8_t out[PROTO_MAX_STR + 16];
	struct proto_buf b;
	proto_buf_init_writer(&b, out, sizeof out);
	proto_put_str(&b, binary);
	if (b.err)
		die(EXIT_USAGE, "reexec: path too long");
	uint32_t id;
	send_req(PROTO_REEXEC, &b, &id);
	struct proto_hdr h;
	char msg[PROTO_MAX_STR + 1];
	int r = recv_reply(id, &h, &b, msg, sizeof msg);
	if (r < 0) {
		fprintf(stderr, "supctl: reexec: %s\n", msg);
		return code_for(r);
	}
	if (h.type != PROTO_R_OK || proto_get_str(&b, msg, sizeof msg) < 0)
		die(EXIT_FAIL, "malformed reexec reply");
	printf("%s\n", msg);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "runtime-dir", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	const char *rt = NULL;
	char rtbuf[4096];
	int c;
	/* '+': stop at the command, so that its own options are not taken here. */
	while ((c = getopt_long(argc, argv, "+r:h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			rt = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("supctl %s\n", SUPERVISORD_VERSION);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *cmd = argv[optind];
	int cargc = argc - optind - 1;
	char **cargv = argv + optind + 1;
	if (!command_known(cmd)) {
		fprintf(stderr, "supctl: unknown command '%s' (see supctl --help)\n", cmd);
		return EXIT_USAGE;
	}
	if (!strcmp(cmd, "help")) {
		if (cargc == 0) {
			usage(stdout);
			return EXIT_OK;
		}
		if (usage_cmd(stdout, cargv[0]) < 0)
			die(EXIT_USAGE, "help: unknown command '%s'", cargv[0]);
		return EXIT_OK;
	}
	/* COMMAND --help, before the command's own arguments ("--" ends them). */
	for (int k = 0; k < cargc && strcmp(cargv[k], "--"); k++)
		if (!strcmp(cargv[k], "--help") || !strcmp(cargv[k], "-h")) {
			usage_cmd(stdout, cmd);
			return EXIT_OK;
		}
	if (!strcmp(cmd, "exec-fds")) /* its own connection, through libsupfd */
		return cmd_exec_fds(runtime_dir(rt, rtbuf, sizeof rtbuf), cargc, cargv);

	connect_daemon(runtime_dir(rt, rtbuf, sizeof rtbuf));
	if (!strcmp(cmd, "status"))
		return cmd_status(cargc, cargv);
	if (!strcmp(cmd, "start"))
		return cmd_job(PROTO_START, "start", cargc, cargv);
	if (!strcmp(cmd, "stop"))
		return cmd_job(PROTO_STOP, "stop", cargc, cargv);
	if (!strcmp(cmd, "restart"))
		return cmd_job(PROTO_RESTART, "restart", cargc, cargv);
	if (!strcmp(cmd, "reexec"))
		return cmd_reexec(cargc, cargv);
	if (!strcmp(cmd, "logs"))
		return cmd_logs(cargc, cargv);
	if (!strcmp(cmd, "fds"))
		return cmd_fds(cargc, cargv);
	if (!strcmp(cmd, "kill"))
		return cmd_kill(cargc, cargv);
	if (!strcmp(cmd, "reset-failed"))
		return cmd_units_or_all(PROTO_RESET_FAILED, "reset-failed", cargc, cargv);
	if (!strcmp(cmd, "reload"))
		return cmd_units_or_all(PROTO_RELOAD, "reload", cargc, cargv);
	/* version */
	hello_check();
	printf("supctl %s\nsupervisord %s\n", SUPERVISORD_VERSION, daemon_version);
	return EXIT_OK;
}
