/*
 * action.h - SuccessAction= and FailureAction=: what the daemon itself does
 * when a unit ends well or fails (systemd's emergency_action).
 *
 * "exit" and "exit-force" end the daemon, in order (every service stopped
 * as at a SIGTERM), with SuccessActionExitStatus=/FailureActionExitStatus=
 * as its exit status, or else the exit status of the unit's main process:
 * as a container's PID 1, the container's. The actions on the machine
 * (reboot, poweroff, halt, kexec and their -force/-immediate forms) end the
 * daemon the same way: a supervisor does not reboot the host it runs on,
 * and for a container's PID 1 that is what they come to.
 */
#ifndef SUPD_ACTION_H
#define SUPD_ACTION_H

#include <stdbool.h>

struct unit;

/* main.c's way to end the daemon with a status (-1: its usual one). */
void action_set_handler(void (*fn)(int status, const char *why));
/* u entered "failed" (success false) or ended well (true): carry out its
 * action, if it has one. */
void action_run(struct unit *u, bool success);

#endif
