/*
 * svc_ops.c - see svc_ops.h.
 *
 * The signal goes to the process group (services run in a session of their
 * own), as `systemctl kill --kill-whom=main` would miss the children a shell
 * wrapper forked. Unlike svc_kill_main, no SIGCONT follows: `kill -s STOP`
 * must leave the service stopped.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "service_priv.h"
#include "svc_ops.h"

int unit_kill(struct unit *u, int sig, char *err, size_t errlen)
{
	if (u->kind != UNIT_SERVICE) {
		snprintf(err, errlen, "%s is a socket unit: it has no process to signal", u->name);
		return -EINVAL;
	}
	if (sig <= 0 || sig >= NSIG) {
		snprintf(err, errlen, "invalid signal number %d", sig);
		return -EINVAL;
	}
	pid_t pid = u->svc.pid;
	if (pid <= 0) {
		snprintf(err, errlen, "%s is not running (%s)", u->name, unit_state_label(u));
		return -ESRCH;
	}
	if (kill(-pid, sig) < 0 && kill(pid, sig) < 0) {
		int r = -errno;
		snprintf(err, errlen, "%s: kill %d with signal %d: %s", u->name, (int)pid, sig, strerror(errno));
		return r;
	}
	log_info("%s: sent signal %d (%s) to process group %d", u->name, sig, strsignal(sig), (int)pid);
	return 0;
}

bool unit_reset_failed(struct unit *u)
{
	if (!u->conf)
		return false;
	if (u->kind == UNIT_SOCKET) {
		if (u->sock.state != SOCK_FAILED)
			return false;
		text_clear(&u->sock.error);
		u->sock.state = SOCK_STOPPED;
		u->sock.since_usec = now_real_usec();
		unit_state_changed(u);
		return true;
	}
	struct service *s = &u->svc;
	bool was_failed = s->state == SVC_FAILED;
	s->restarts = 0;
	s->start_ring_n = 0;
	if (s->state != SVC_STOPPED && s->state != SVC_FAILED)
		return false; /* the result of a live process is still being decided */
	s->result = RES_SUCCESS;
	text_clear(&s->error);
	if (was_failed) {
		log_info("%s: failure reset", u->name);
		svc_set_state(u, SVC_STOPPED); /* socket activation watches again */
	}
	return was_failed;
}
