/*
 * state_write.c - serialize the daemon; see state.h for the format.
 * Writing has no side effects on the daemon (only the fd list is built),
 * so a re-exec that fails afterwards leaves the running image as it was.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "logpipe.h"
#include "daemon.h"
#include "notify.h"
#include "service.h"
#include "sockunit.h"
#include "state.h"
#include "version.h"
#include "unit.h"

static const char *const timer_names[TMR__MAX] = {
	[TMR_NONE] = "none",
	[TMR_START] = "start",
	[TMR_STOP] = "stop",
	[TMR_RESTART] = "restart",
	[TMR_RUNTIME] = "runtime",
};

const char *state_timer_name(enum svc_timer t)
{
	return (unsigned)t < TMR__MAX ? timer_names[t] : "none";
}

/* What goes across the exec: fds that may be close-on-exec (`keep`, made
 * by libuv or received from a peer), and those the daemon makes without
 * it (`inh`: listeners, log pipes and log files, the thousands). */
struct handover {
	struct fdlist *keep, *inh;
};

/* Numbers and flags that are 0 are left out: the reader's unit starts
 * with every one of them 0 (state.h). */
static void so_u64_nz(struct state_out *o, const char *key, uint64_t v)
{
	if (v)
		so_u64(o, key, v);
}

static void so_i64_nz(struct state_out *o, const char *key, int64_t v)
{
	if (v)
		so_i64(o, key, v);
}

static void write_service(struct state_out *o, struct handover *h, const struct unit *u)
{
	struct fdlist *keep = h->keep;
	const struct service *s = &u->svc;
	so_str(o, "state", svc_state_name(s->state));
	so_u64_nz(o, "want-up", s->want_up);
	so_str(o, "result", svc_result_name(s->result));
	so_i64_nz(o, "pid", s->pid);
	so_i64_nz(o, "wait-status", s->wait_status);
	so_u64_nz(o, "restarts", s->restarts);
	so_u64_nz(o, "generation", s->generation);
	so_u64(o, "since", s->since_usec);
	so_u64_nz(o, "started-mono", s->started_mono);
	so_u64_nz(o, "main-idx", s->main_idx);
	so_u64_nz(o, "oneshot-done", s->oneshot_done);
	so_u64_nz(o, "condition-skipped", s->condition_skipped);
	so_u64_nz(o, "main-ended", s->main_ended);
	so_u64_nz(o, "stop-post-pending", s->stop_post_pending);
	so_u64_nz(o, "stop-post-asked", s->stop_post_asked);
	if (s->exec_fd >= 0) {
		so_i64(o, "exec-fd", s->exec_fd);
		fdlist_add(keep, s->exec_fd);
	}
	so_u64_nz(o, "runtime-deadline", s->runtime_deadline_mono);
	so_u64_nz(o, "reload-notify", s->reload_notify);
	if (s->private_tmp[0] && s->private_tmp[1]) {
		so_str(o, "private-tmp", s->private_tmp[0]);
		so_str(o, "private-var-tmp", s->private_tmp[1]);
	}
	if (s->netns_fd >= 0) {
		so_i64(o, "netns-fd", s->netns_fd);
		fdlist_add(keep, s->netns_fd); /* close-on-exec: toggled */
	}
	so_u64_nz(o, "reload-begin", s->reload_begin_mono);
	if (s->tkind != TMR_NONE)
		so_fmt(o, "timer", "%s %llu", state_timer_name(s->tkind), (unsigned long long)s->deadline_mono);
	for (unsigned i = 0; i < s->start_ring_n; i++)
		so_u64(o, "start-ring", s->start_ring[i]);
	so_u64_nz(o, "sigkill-sent", s->sigkill_sent);
	if (s->error)
		so_str(o, "error", s->error);
	if (s->status_text)
		so_str(o, "status-text", s->status_text);
	so_u64_nz(o, "watchdog-deadline", s->watchdog_deadline_mono);
	so_u64_nz(o, "watchdog-usec", s->watchdog_usec_override);
	so_i64_nz(o, "notify-errno", s->notify_errno);
	so_u64_nz(o, "notify-stopping", s->notify_stopping);
	so_u64_nz(o, "notify-reloading", s->notify_reloading);
	so_u64_nz(o, "stop-requested", s->stop_requested);
	if (s->old_pid) {
		so_i64(o, "old-pid", s->old_pid);
		so_u64(o, "old-signaled", s->old_signaled);
		so_u64(o, "old-sigkill", s->old_sigkill);
		so_u64(o, "old-deadline", s->old_deadline_mono);
	}
	/* Control processes, dependency marks, restart counting (svc_control.c,
	 * deps.c). The reload client is a number naming a control connection
	 * (its fd is the control module's), as jobs are. */
	if (s->control_pid) {
		so_i64(o, "control-pid", s->control_pid);
		so_u64(o, "control-idx", s->control_idx);
	}
	if (s->control_exec_fd >= 0) {
		so_i64(o, "control-exec-fd", s->control_exec_fd);
		fdlist_add(keep, s->control_exec_fd);
	}
	if (s->reload_client_fd >= 0)
		so_fmt(o, "reload-reply", "%d %u", s->reload_client_fd, (unsigned)s->reload_req_id);
	so_u64_nz(o, "flush-restarts", s->flush_restarts);
	so_u64_nz(o, "dep-start", s->dep_start);
	so_u64_nz(o, "dep-stop", s->dep_stop);
	so_u64_nz(o, "dep-automatic", s->dep_automatic);
	if (s->log) {
		/* Both ends (unread output stays in the pipe) and an unfinished line. */
		so_fmt(o, "log-pipe", "%d %d", s->log->rfd, s->log->wfd);
		if (s->log->file_fd >= 0) {
			so_fmt(o, "log-file", "%d %llu", s->log->file_fd, (unsigned long long)s->log->file_size);
			fdlist_add(h->inh, s->log->file_fd);
		}
		so_put(o, "log-partial", s->log->partial, s->log->plen);
		fdlist_add(h->inh, s->log->rfd);
		fdlist_add(h->inh, s->log->wfd);
	}
	for (const struct fdstore_entry *e = s->fdstore; e; e = e->next) {
		struct state_out name;
		so_init(&name);
		so_put(&name, "n", e->name, strlen(e->name)); /* escaped as "n VALUE\n" */
		if (name.err) {
			o->err = name.err;
			so_free(&name);
			return;
		}
		name.buf[name.len - 1] = '\0';
		so_fmt(o, "fdstore", "%d %d %s", e->fd, e->poll ? 1 : 0, name.buf + 2);
		so_free(&name);
		fdlist_add(keep, e->fd);
	}
}

static void write_socket(struct state_out *o, struct handover *h, const struct unit *u)
{
	const struct sockunit *su = &u->sock;
	so_str(o, "sock-state", sockunit_state_name(su->state));
	if (su->error)
		so_str(o, "sock-error", su->error);
	so_u64(o, "sock-since", su->since_usec);
	so_u64_nz(o, "accepted", su->n_accepted);
	so_u64_nz(o, "refused", su->n_refused);
	bool any = false;
	for (size_t i = 0; i < su->n; i++) {
		if (su->l[i].fd < 0)
			continue;
		any = true;
		fdlist_add(h->inh, su->l[i].fd);
		if (o->format < 2)
			so_fmt(o, "listener", "%zu %d", i, su->l[i].fd);
	}
	if (any && o->format >= 2) {
		/* One record for all of them: "12,13,-,15", in Listen*= order. */
		char *buf = malloc(su->n * 12 + 1);
		if (!buf) {
			o->err = -ENOMEM;
			return;
		}
		size_t len = 0;
		for (size_t i = 0; i < su->n; i++) {
			if (i)
				buf[len++] = ',';
			if (su->l[i].fd < 0)
				buf[len++] = '-';
			else
				len += so_digits(buf + len, (uint64_t)su->l[i].fd);
		}
		so_put(o, "listeners", buf, len);
		free(buf);
	}
}

/* Last record: every fd handed over, as sorted ranges ("3-7,9,12-1011"),
 * so the new image can close all others without listing /proc/self/fd. */
static void write_fds(struct state_out *o, struct fdlist *keep)
{
	fdlist_sort(keep);
	size_t cap = 16 + keep->n * 24, len = 0;
	char *buf = malloc(cap);
	if (!buf) {
		o->err = -ENOMEM;
		return;
	}
	for (size_t i = 0; i < keep->n;) {
		size_t j = i;
		while (j + 1 < keep->n && keep->v[j + 1] == keep->v[j] + 1)
			j++;
		len += (size_t)snprintf(buf + len, cap - len, j > i ? "%s%d-%d" : "%s%d", len ? "," : "", keep->v[i],
					keep->v[j]);
		i = j + 1;
	}
	so_put(o, "fds", buf, len);
	free(buf);
}

int state_write(struct state_out *o, struct fdlist *keep, struct fdlist *toggle, const char *prev_binary,
		const struct client *req, uint32_t req_id)
{
	struct fdlist inh = { 0 };
	struct handover h = { .keep = keep, .inh = &inh };
	/* One allocation for about the whole state: the unit texts (a little
	 * more when escaped) and a few hundred bytes of records per unit. */
	size_t guess = 4096;
	for (size_t i = 0; i < unit_count(); i++)
		guess += unit_at(i)->text_len + unit_at(i)->text_len / 16 + 512;
	so_reserve(o, guess);
	so_fmt(o, "supervisord-state", "%u", o->format);
	so_str(o, "previous-binary", prev_binary);
	so_str(o, "version", supervisord_version);
	ctl_serialize(o, keep);
	if (notify_fd() >= 0) {
		so_i64(o, "notify-fd", notify_fd());
		so_str(o, "notify-path", notify_path());
		fdlist_add(keep, notify_fd());
	}
	if (logpipe_epoll_fd() >= 0) {
		/* Before the units: their log pipes are registered in it. */
		so_i64(o, "log-epoll", logpipe_epoll_fd());
		fdlist_add(&inh, logpipe_epoll_fd());
	}
	size_t dl = strlen(daemon_units_dir);
	for (size_t i = 0; i < unit_count(); i++) {
		const struct unit *u = unit_at(i);
		if (u->dead)
			continue;
		so_str(o, "begin-unit", u->name);
		if (u->instance_of) {
			/* Accept=yes instance: re-created from its socket's template. */
			so_str(o, "instance-of", u->instance_of->name);
			if (u->svc.remote_addr[0]) {
				so_str(o, "remote-addr", u->svc.remote_addr);
				so_str(o, "remote-port", u->svc.remote_port);
			}
		} else {
			/* Format 2 leaves out the usual path (UNITS_DIR/NAME). */
			if (o->format < 2 || strncmp(u->path, daemon_units_dir, dl) || u->path[dl] != '/' ||
			    strcmp(u->path + dl + 1, u->name))
				so_str(o, "path", u->path);
			if (u->text)
				so_put(o, "text", u->text, u->text_len);
			else
				so_str(o, "load-error", u->load_error);
		}
		if (u->conf) {
			if (u->kind == UNIT_SERVICE)
				write_service(o, &h, u);
			else
				write_socket(o, &h, u);
		}
		so_str(o, "end-unit", "");
	}
	ctl_serialize_jobs(o, req, req_id);
	for (size_t i = 0; i < keep->n; i++)
		fdlist_add(toggle, keep->v[i]);
	for (size_t i = 0; i < inh.n; i++)
		fdlist_add(keep, inh.v[i]);
	int err = inh.err ? inh.err : toggle->err;
	fdlist_free(&inh);
	write_fds(o, keep);
	so_finish(o);
	if (err)
		return err;
	if (keep->err)
		return keep->err;
	return o->err;
}
