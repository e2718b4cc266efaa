/*
 * svc_pidfile.c - Type=forking: which process is the daemon the start
 * process left behind, and waiting for its PIDFile=.
 *
 * A daemon often writes its PID file after its launcher has exited (the
 * child writes it once it has daemonized). systemd then watches the path
 * (service_demand_pid_file) and the unit stays "starting" until the file
 * appears, TimeoutStartSec= passes, or no process of the unit is left. A
 * file naming a process that is not ours is taken for a stale one and
 * waited on the same way (systemd removes the file when the service goes
 * down, and so do we: svc_down_cleanup). We do the same by polling: the file every POLL_MS, the unit's processes
 * (a /proc scan) every LEFT_EVERY polls. The timer is allocated only while
 * waiting; leaving STARTING in any way stops it (svc_set_state).
 *
 * A re-exec needs no key of its own: a Type=forking service in STARTING
 * with PIDFile=, no main and no control process can only be waiting for its
 * file, so svc_pidfile_restore resumes the wait from that.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "procfs.h"
#include "service.h"
#include "service_priv.h"

#define POLL_MS 10
#define LEFT_EVERY 10

enum pidfile_read { PF_OK, PF_LATER, PF_BAD };

/* Read a PID file: PF_LATER when it does not exist yet or is still empty
 * (being written), PF_BAD with why set when it is unusable. */
static enum pidfile_read read_pidfile(const char *pf, pid_t *pid, char *why, size_t whylen)
{
	char buf[64];
	int fd = open(pf, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		snprintf(why, whylen, "PIDFile=%s: %s", pf, strerror(errno));
		return errno == ENOENT ? PF_LATER : PF_BAD;
	}
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n == 0) {
		snprintf(why, whylen, "PIDFile=%s is empty", pf);
		return PF_LATER;
	}
	char *e = NULL;
	long v = n > 0 ? (buf[n] = '\0', strtol(buf, &e, 10)) : 0;
	if (n < 0 || v <= 1 || v > 0x7fffffffL || (*e && *e != '\n' && *e != ' ')) {
		snprintf(why, whylen, "PIDFile=%s does not hold a pid", pf);
		return PF_BAD;
	}
	*pid = (pid_t)v;
	return PF_OK;
}

/* Why no daemon was found, and whether the PID file may still tell. */
enum later { LATER_NO, LATER_MISSING /* no file yet, or empty */, LATER_STALE /* names a stranger */ };

/* The daemon: PIDFile= when given (it must name a child of ours: as a
 * subreaper we adopt what the start process leaves behind), else the one
 * child of ours that carries the unit's marker. 0 with why set if none can
 * be told; *later says whether the PID file may still come. */
static pid_t forking_main(struct unit *u, enum later *later, char *why, size_t whylen)
{
	const char *pf = u->conf->svc.pid_file;
	*later = LATER_NO;
	if (pf) {
		pid_t pid = 0;
		enum pidfile_read r = read_pidfile(pf, &pid, why, whylen);
		if (r != PF_OK) {
			*later = r == PF_LATER ? LATER_MISSING : LATER_NO;
			return 0;
		}
		if (!proc_is_child(pid)) {
			/* Stale, most likely: the daemon has yet to write its
			 * own (systemd waits for the file to change then). */
			snprintf(why, whylen, "PIDFile=%s names pid %ld, which is not a process of this service", pf,
				 (long)pid);
			*later = LATER_STALE;
			return 0;
		}
		return pid;
	}
	pid_t g = svc_guess_main(u);
	if (g > 0)
		return g;
	snprintf(why, whylen, "its start process exited, and %s (set PIDFile=)",
		 g < 0 ? "several processes of the service remain: which is the main one?" :
			 "no process of the service is left");
	return 0;
}

/* Nothing more to wait for: a PID file that never came says so. */
static void give_up_why(struct unit *u, enum later later, bool waited, char *why, size_t whylen)
{
	if (later == LATER_MISSING)
		snprintf(why, whylen, "PIDFile=%s %s, and no process of the service is left", u->conf->svc.pid_file,
			 waited ? "did not appear" : "was not written");
}

static void adopt(struct unit *u, pid_t main)
{
	struct service *s = &u->svc;
	s->pid = main;
	s->main_ended = false;
	log_info("%s: main process is %d", u->name, (int)main);
	svc_main_ready(u);
}

void svc_pidfile_stop(struct unit *u)
{
	struct service *s = &u->svc;
	if (s->pidfile_timer) {
		uv_timer_stop(s->pidfile_timer);
		unit_close_free((uv_handle_t *)s->pidfile_timer);
		s->pidfile_timer = NULL;
	}
}

static void poll_cb(uv_timer_t *t)
{
	struct unit *u = t->data;
	struct service *s = &u->svc;
	char why[SVC_ERROR_MAX];
	enum later later;
	pid_t main = forking_main(u, &later, why, sizeof why);
	if (main > 0) {
		svc_pidfile_stop(u);
		adopt(u, main);
		return;
	}
	if (later != LATER_NO && (++s->pidfile_polls % LEFT_EVERY != 0 || svc_leftovers(u, 0) > 0))
		return;
	svc_pidfile_stop(u);
	give_up_why(u, later, true, why, sizeof why);
	log_err("%s: %s", u->name, why);
	svc_disarm_timer(u);
	svc_start_failed(u, RES_PROTOCOL, why);
}

static void wait_for_it(struct unit *u)
{
	struct service *s = &u->svc;
	svc_pidfile_stop(u);
	s->pidfile_timer = malloc(sizeof *s->pidfile_timer);
	if (!s->pidfile_timer) {
		svc_disarm_timer(u);
		svc_start_failed(u, RES_RESOURCES, "out of memory waiting for PIDFile=");
		return;
	}
	uv_timer_init(s->timer.loop, s->pidfile_timer);
	s->pidfile_timer->data = u;
	s->pidfile_polls = 0;
	uv_timer_start(s->pidfile_timer, poll_cb, POLL_MS, POLL_MS);
}

bool svc_forking_started(struct unit *u)
{
	char why[SVC_ERROR_MAX];
	enum later later;
	pid_t main = forking_main(u, &later, why, sizeof why);
	if (main > 0) {
		adopt(u, main);
		return true;
	}
	if (later != LATER_NO && svc_leftovers(u, 0) > 0) {
		log_info("%s: its start process exited; waiting for PIDFile=%s", u->name, u->conf->svc.pid_file);
		wait_for_it(u);
		return true;
	}
	give_up_why(u, later, false, why, sizeof why);
	u->svc.result = RES_PROTOCOL;
	text_setf(&u->svc.error, SVC_ERROR_MAX, "%s", why);
	log_err("%s: %s", u->name, why);
	return false;
}

void svc_pidfile_restore(struct unit *u)
{
	const struct service *s = &u->svc;
	if (u->conf && u->conf->svc.type == SVC_TYPE_FORKING && u->conf->svc.pid_file && s->state == SVC_STARTING &&
	    s->pid <= 0 && s->control_pid <= 0)
		wait_for_it(u);
}
