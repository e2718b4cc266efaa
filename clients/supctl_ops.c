/*
 * supctl_ops.c - the commands that send one request per unit and print the
 * daemon's answer: kill, reset-failed, reload. Each unit named is tried in
 * turn; a failure is reported naming the unit and the others still run.
 */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "supctl.h"

/* "TERM", "SIGTERM", "term", "15", "RTMIN+2". Returns the number or -1. */
int parse_signal(const char *s)
{
	char *end;
	if (isdigit((unsigned char)s[0])) {
		long v = strtol(s, &end, 10);
		return (*end || v <= 0 || v >= NSIG) ? -1 : (int)v;
	}
	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	if (!strncasecmp(s, "RTMIN", 5) || !strncasecmp(s, "RTMAX", 5)) {
		bool min = !strncasecmp(s, "RTMIN", 5);
		long off = 0;
		if (s[5]) {
			if (s[5] != (min ? '+' : '-'))
				return -1;
			off = strtol(s + 6, &end, 10);
			if (*end || !s[6] || off < 0)
				return -1;
		}
		long v = min ? SIGRTMIN + off : SIGRTMAX - off;
		return v < SIGRTMIN || v > SIGRTMAX ? -1 : (int)v;
	}
	for (int sig = 1; sig < SIGRTMIN; sig++) {
		const char *abbr = sigabbrev_np(sig);
		if (abbr && !strcasecmp(s, abbr))
			return sig;
	}
	return -1;
}

/* Send one request with `unit` (and an optional u32) and wait for its
 * answer. Prints the daemon's message (stdout on success when non-empty,
 * stderr naming the unit on failure) and returns an exit code. */
static int one_request(uint16_t type, const char *verb, const char *unit, const uint32_t *arg)
{
	uint8_t out[PROTO_MAX_NAME + 64];
	struct proto_buf b;
	proto_buf_init_writer(&b, out, sizeof out);
	if (strlen(unit) > PROTO_MAX_NAME)
		die(EXIT_USAGE, "%s: unit name too long", verb);
	proto_put_str(&b, unit);
	if (arg)
		proto_put_u32(&b, *arg);
	uint32_t id;
	send_req(type, &b, &id);
	struct proto_hdr h;
	char msg[PROTO_MAX_STR + 1];
	int r = recv_reply(id, &h, &b, msg, sizeof msg);
	if (r < 0) {
		if (unit[0])
			fprintf(stderr, "supctl: %s %s: %s\n", verb, unit, msg);
		else
			fprintf(stderr, "supctl: %s: %s\n", verb, msg);
		return code_for(r);
	}
	if (h.type != PROTO_R_OK || proto_get_str(&b, msg, sizeof msg) < 0 || proto_get_end(&b) < 0)
		die(EXIT_FAIL, "malformed %s reply", verb);
	if (msg[0])
		printf("%s\n", msg);
	return EXIT_OK;
}

/* Fold the result of one unit into the command's: "no such unit" wins,
 * then "failed". */
static int merge(int rc, int c)
{
	if (c == EXIT_OK)
		return rc;
	if (rc == EXIT_OK || c == EXIT_NOUNIT)
		return c;
	return rc;
}

int cmd_kill(int argc, char **argv)
{
	int sig = SIGTERM, i = 0;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *val = NULL;
		if ((!strcmp(argv[i], "-s") || !strcmp(argv[i], "--signal")) && i + 1 < argc)
			val = argv[++i];
		else if (!strncmp(argv[i], "--signal=", 9))
			val = argv[i] + 9;
		else if (!strncmp(argv[i], "-s", 2) && argv[i][2])
			val = argv[i] + 2;
		else
			die(EXIT_USAGE, "kill: unknown option %s (see supctl kill --help)", argv[i]);
		sig = parse_signal(val);
		if (sig < 0)
			die(EXIT_USAGE, "kill: unknown signal '%s'", val);
	}
	if (i == argc)
		die(EXIT_USAGE, "kill: name at least one unit");
	uint32_t arg = (uint32_t)sig;
	int rc = EXIT_OK;
	for (; i < argc; i++)
		rc = merge(rc, one_request(PROTO_KILL, "kill", argv[i], &arg));
	return rc;
}

/* reset-failed and reload: no unit means "all" / "the daemon" (""). */
int cmd_units_or_all(uint16_t type, const char *verb, int argc, char **argv)
{
	for (int i = 0; i < argc; i++)
		if (argv[i][0] == '-' || !argv[i][0])
			die(EXIT_USAGE, "%s: unknown option %s (see supctl %s --help)", verb, argv[i], verb);
	if (argc == 0)
		return one_request(type, verb, "", NULL);
	int rc = EXIT_OK;
	for (int i = 0; i < argc; i++)
		rc = merge(rc, one_request(type, verb, argv[i], NULL));
	return rc;
}
