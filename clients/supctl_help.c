/*
 * supctl_help.c - the help text: one entry per command with its options,
 * printed all together by `supctl --help` / `supctl help`, or one at a time
 * by `supctl help COMMAND` / `supctl COMMAND --help`.
 */
#include <stdio.h>
#include <string.h>

#include "supctl.h"

struct cmd_help {
	const char *name;
	const char *synopsis;
	const char *text; /* description and options, indented by the printer */
};

static const struct cmd_help cmds[] = {
	{ "status", "status [--json] [UNIT...]",
	  "Show units (all when none is named): unit, type, state, pid, uptime,\n"
	  "restarts and status text. Colours only when stdout is a terminal\n"
	  "(and NO_COLOR is unset).\n"
	  "  --json        one JSON array of objects (name, type, state, pid,\n"
	  "                restarts, since_usec, status, description)\n" },
	{ "start", "start [--no-block] UNIT...",
	  "Start units; wait until each runs (or fails).\n"
	  "  --no-block    return once the request is accepted\n" },
	{ "stop", "stop [--no-block] UNIT...",
	  "Stop units; wait until each has stopped.\n"
	  "  --no-block    return once the request is accepted\n" },
	{ "restart", "restart [--no-block] [--overlap] UNIT...",
	  "Restart units; wait until each runs again.\n"
	  "  --no-block    return once the request is accepted\n"
	  "  --overlap     start the new process before stopping the old one\n" },
	{ "kill", "kill [-s SIGNAL] UNIT...",
	  "Send a signal to the main process group of running services. The\n"
	  "state follows from what the process does. A unit that is not\n"
	  "running is an error.\n"
	  "  -s, --signal SIGNAL   name (TERM, SIGTERM, hup) or number; default TERM\n" },
	{ "reload", "reload [UNIT...]",
	  "Without UNIT: re-read the unit directory (as SIGHUP to supervisord):\n"
	  "new units load, removed ones stop and go, changed ones apply at their\n"
	  "next start. With UNIT: ask each service to reload (ExecReload=, or\n"
	  "ReloadSignal= for Type=notify-reload) and wait until it has.\n" },
	{ "reset-failed", "reset-failed [UNIT...]",
	  "Forget failures: a failed unit becomes stopped, its result, restart\n"
	  "counter and start-limit counter are cleared. All units when none is\n"
	  "named.\n" },
	{ "logs", "logs [-n N] [-f] UNIT",
	  "Show a service's output as supervisord keeps it.\n"
	  "  -n, --lines N  only the last N lines (default: all)\n"
	  "  -f, --follow   keep printing what it writes\n" },
	{ "fds", "fds [UNIT]",
	  "List the descriptors held for units: name, kind, address, origin.\n" },
	{ "exec-fds", "exec-fds [--unit UNIT] [NAME...] -- COMMAND [ARGS]",
	  "Fetch the unit's descriptors (all when no NAME) and exec COMMAND with\n"
	  "them at fd 3.. and LISTEN_FDS/LISTEN_PID/LISTEN_FDNAMES set.\n"
	  "  --unit UNIT   whose descriptors (default: the caller's own unit)\n" },
	{ "reexec", "reexec [--binary PATH]",
	  "Re-execute supervisord, keeping every service, socket and descriptor.\n"
	  "  --binary PATH  execute PATH (a new build) instead of the running binary\n" },
	{ "version", "version", "Show supctl's and the daemon's versions.\n" },
	{ "help", "help [COMMAND]", "Show this text, or one command's.\n" },
};

static void print_indented(FILE *f, const char *indent, const char *text)
{
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		fprintf(f, "%s%.*s\n", indent, (int)n, p);
		p += n + (nl ? 1 : 0);
	}
}

static void print_one(FILE *f, const struct cmd_help *c)
{
	fprintf(f, "  %s\n", c->synopsis);
	print_indented(f, "      ", c->text);
}

static const char footer[] =
	"\n"
	"UNIT is NAME (meaning NAME.service), NAME.service or NAME.socket.\n"
	"The runtime directory is found as supervisord finds it: --runtime-dir,\n"
	"else $SUPERVISORD_RUNTIME_DIR, else /run/supervisord as root or\n"
	"$XDG_RUNTIME_DIR/supervisord otherwise.\n"
	"\n"
	"Exit status:\n"
	"  0  success\n"
	"  1  the operation failed (a unit failed to start, is not running, ...)\n"
	"  2  usage error\n"
	"  3  cannot reach the daemon: not running, wrong runtime directory,\n"
	"     permission denied, too many connections\n"
	"  4  no such unit\n"
	"With several units, each is tried; the exit status is 4 if any unit\n"
	"was unknown, else 1 if any operation failed.\n";

void usage(FILE *f)
{
	fprintf(f, "usage: supctl [-r|--runtime-dir DIR] COMMAND [ARGS]\n"
		   "       supctl help COMMAND | supctl COMMAND --help\n\nCommands:\n");
	for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++)
		print_one(f, &cmds[i]);
	fputs(footer, f);
}

int usage_cmd(FILE *f, const char *name)
{
	for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++)
		if (!strcmp(cmds[i].name, name)) {
			fprintf(f, "usage: supctl [-r DIR] %s\n\n", cmds[i].synopsis);
			print_indented(f, "", cmds[i].text);
			return 0;
		}
	return -1;
}

bool command_known(const char *name)
{
	for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++)
		if (!strcmp(cmds[i].name, name))
			return true;
	return false;
}
