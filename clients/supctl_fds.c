/*
 * supctl_fds.c - `supctl fds` (the table of held descriptors) and
 * `supctl exec-fds` (fetch descriptors, then chain-load a program with them
 * the way systemd passes them, so any sd_listen_fds() program can use them).
 *
 * exec-fds goes through libsupfd rather than supctl's own connection: it is
 * the library's command-line form, and it must behave exactly like it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"
#include "supctl.h"
#include "supfd.h"

#define EXEC_FDS_TIMEOUT_MS 30000

/* ---- fds ---- */

static int width(int w, const char *s)
{
	int l = (int)strlen(s);
	return l > w ? l : w;
}

int cmd_fds(int argc, char **argv)
{
	if (argc > 1)
		die(EXIT_USAGE, "fds: at most one unit");
	if (argc == 1 && (argv[0][0] == '-' || strlen(argv[0]) > PROTO_MAX_NAME))
		die(EXIT_USAGE, "fds: bad unit name '%s'", argv[0]);
	uint8_t out[PROTO_MAX_NAME + 16];
	struct proto_buf b;
	proto_buf_init_writer(&b, out, sizeof out);
	proto_put_str(&b, argc ? argv[0] : "");
	uint32_t id;
	send_req(PROTO_FDS_LIST, &b, &id);

	struct proto_fd_info *v = NULL;
	size_t n = 0, cap = 0;
	for (;;) {
		struct proto_hdr h;
		char msg[PROTO_MAX_STR + 1];
		uint32_t cnt;
		int r = recv_reply(id, &h, &b, msg, sizeof msg);
		if (r < 0)
			die(code_for(r), "fds: %s", msg);
		if (h.type != PROTO_R_FDS || proto_get_u32(&b, &cnt) < 0)
			die(EXIT_FAIL, "malformed fds reply");
		for (uint32_t k = 0; k < cnt; k++) {
			if (n == cap) {
				cap = cap ? cap * 2 : 16;
				if (!(v = realloc(v, cap * sizeof *v)))
					die(EXIT_FAIL, "out of memory");
			}
			if (proto_get_fd_info(&b, &v[n++]) < 0)
				die(EXIT_FAIL, "malformed fds record");
		}
		if (proto_get_end(&b) < 0)
			die(EXIT_FAIL, "malformed fds reply");
		if (!(h.flags & PROTO_F_MORE))
			break;
	}

	int wu = 4, wn = 4, wk = 4, wo = 6;
	for (size_t k = 0; k < n; k++) {
		wu = width(wu, v[k].unit);
		wn = width(wn, v[k].name);
		wk = width(wk, v[k].kind);
		wo = width(wo, v[k].origin);
	}
	printf("%-*s  %-*s  %-*s  %-*s  %s\n", wu, "UNIT", wn, "NAME", wk, "KIND", wo, "ORIGIN", "ADDRESS");
	for (size_t k = 0; k < n; k++)
		printf("%-*s  %-*s  %-*s  %-*s  %s\n", wu, v[k].unit, wn, v[k].name, wk, v[k].kind, wo, v[k].origin,
		       v[k].address);
	free(v);
	return EXIT_OK;
}

/* ---- exec-fds ---- */

/* Put fds at 3.. without FD_CLOEXEC. They are first lifted above the target
 * range, so that no dup2() lands on one that has not been moved yet. */
static void place_fds(int *fds, size_t n)
{
	int base = 3 + (int)n;
	for (size_t i = 0; i < n; i++) {
		int t = fcntl(fds[i], F_DUPFD_CLOEXEC, base);
		if (t < 0)
			die(EXIT_FAIL, "exec-fds: cannot place %zu descriptors: %s (raise ulimit -n)", n,
			    strerror(errno));
		close(fds[i]);
		fds[i] = t;
	}
	for (size_t i = 0; i < n; i++) {
		if (dup2(fds[i], 3 + (int)i) < 0) /* dup2 leaves FD_CLOEXEC off */
			die(EXIT_FAIL, "exec-fds: dup2: %s", strerror(errno));
		close(fds[i]);
	}
}

static void set_listen_env(char **names, size_t n)
{
	unsetenv("LISTEN_PIDFDID"); /* would name another process */
	if (n == 0) {
		/* sd_listen_fds() treats LISTEN_FDS=0 as an error: say nothing. */
		unsetenv("LISTEN_FDS");
		unsetenv("LISTEN_PID");
		unsetenv("LISTEN_FDNAMES");
		return;
	}
	size_t len = 1;
	for (size_t i = 0; i < n; i++)
		len += strlen(names[i]) + 1;
	char *joined = malloc(len), *w = joined, num[32];
	if (!joined)
		die(EXIT_FAIL, "out of memory");
	for (size_t i = 0; i < n; i++) {
		if (i)
			*w++ = ':';
		w = stpcpy(w, names[i]);
	}
	*w = '\0';
	snprintf(num, sizeof num, "%zu", n);
	setenv("LISTEN_FDS", num, 1);
	/* exec keeps the pid: the program we exec is this process. */
	snprintf(num, sizeof num, "%d", (int)getpid());
	setenv("LISTEN_PID", num, 1);
	setenv("LISTEN_FDNAMES", joined, 1);
	free(joined);
}

int cmd_exec_fds(const char *rt, int argc, char **argv)
{
	const char *unit = NULL;
	int i = 0;
	for (; i < argc && argv[i][0] == '-' && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--unit") && i + 1 < argc)
			unit = argv[++i];
		else if (!strncmp(argv[i], "--unit=", 7))
			unit = argv[i] + 7;
		else
			die(EXIT_USAGE, "exec-fds: unknown option %s", argv[i]);
	}
	int first_name = i;
	while (i < argc && strcmp(argv[i], "--"))
		i++;
	if (i >= argc - 1)
		die(EXIT_USAGE, "exec-fds: usage: exec-fds [--unit UNIT] [NAME...] -- COMMAND [ARGS]");
	size_t n_names = (size_t)(i - first_name);
	char **cmd = argv + i + 1;

	int *fds = NULL;
	char **names = NULL;
	size_t n = 0;
	int r = supfd_set_runtime_dir(rt);
	if (r == 0)
		r = supfd_fetch(unit, (const char *const *)(argv + first_name), n_names, &fds, &names, &n,
				EXEC_FDS_TIMEOUT_MS);
	if (r < 0) {
		fprintf(stderr, "supctl: exec-fds%s%s: %s\n", unit ? " --unit " : "", unit ? unit : "",
			supfd_last_error());
		return code_for(r);
	}
	place_fds(fds, n);
	set_listen_env(names, n);
	free(fds);
	supfd_free_names(names, n);
	execvp(cmd[0], cmd);
	int e = errno;
	fprintf(stderr, "supctl: exec-fds: %s: %s\n", cmd[0], strerror(e));
	return e == ENOENT ? 127 : 126;
}
