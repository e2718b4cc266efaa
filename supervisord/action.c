/*
 * action.c - see action.h.
 */
#include <stdio.h>
#include <sys/wait.h>

#include "action.h"
#include "conf.h"
#include "log.h"
#include "unit.h"

static void (*handler)(int status, const char *why);

void action_set_handler(void (*fn)(int status, const char *why))
{
	handler = fn;
}

void action_run(struct unit *u, bool success)
{
	const struct unit_conf *c = u->conf;
	if (!c || !handler)
		return;
	int action = success ? c->success_action : c->failure_action;
	int status = success ? c->success_action_exit_status : c->failure_action_exit_status;
	if (action == CONF_ACTION_NONE)
		return;
	/* By default the unit's main process's own exit status (systemd). */
	if (status < 0 && u->kind == UNIT_SERVICE && u->svc.main_ended && WIFEXITED(u->svc.wait_status))
		status = WEXITSTATUS(u->svc.wait_status);
	char why[300];
	snprintf(why, sizeof why, "%s %s (%sAction=)", u->name, success ? "ended well" : "failed",
		 success ? "Success" : "Failure");
	log_info("%s: the daemon exits, status %d", why, status < 0 ? 0 : status);
	handler(status, why);
}
