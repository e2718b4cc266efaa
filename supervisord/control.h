/*
 * control.h - the control socket (control.sock): supctl and the worker
 * library talk to the daemon here, with proto/ frames.
 *
 * Each accepted connection is a client with its own poll handle and an
 * outgoing queue (a reply never blocks the loop). A request that must wait
 * for a unit to settle (start, stop, restart without --no-block) becomes a
 * job; ctl_jobs_update() is called on every unit state change and answers
 * the jobs that are done. A client that goes away drops its jobs.
 *
 * Access: the peer's SO_PEERCRED uid must be root or the daemon's own uid.
 */
#ifndef SUPD_CONTROL_H
#define SUPD_CONTROL_H

#include <uv.h>

struct unit;

/* Bind control.sock at path (0600) and start accepting. Returns 0 or -errno
 * with a message in err. A live daemon already on the path is -EADDRINUSE. */
int ctl_listen(uv_loop_t *loop, const char *path, char *err, size_t errlen);
/* Close the listener and every client; remove the socket path. */
void ctl_shutdown(void);
void ctl_jobs_update(struct unit *u);
/* A unit leaves the registry: forget the jobs waiting on it. */
void ctl_jobs_drop_unit(struct unit *u);

/* Re-exec. ctl_serialize writes the listener and clients and adds their
 * fds to keep; ctl_serialize_jobs (after the units, which jobs name) the
 * waiting jobs and the pending reexec reply (req may be NULL). The adopt
 * functions rebuild them in the new image from claimed fds. */
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
struct state_out;
struct fdlist;
struct client;
void ctl_serialize(struct state_out *o, struct fdlist *keep);
void ctl_serialize_jobs(struct state_out *o, const struct client *req, uint32_t req_id);
int ctl_adopt_listener(uv_loop_t *loop, int fd, const char *path);
int ctl_adopt_client(int fd, uid_t uid, pid_t pid, bool hello);
int ctl_adopt_job(int client_fd, uint32_t id, uint16_t type, uint64_t gen0, struct unit *u);
/* Answer request id of the client on fd (err 0: R_OK with msg). */
void ctl_reply_by_fd(int client_fd, uint32_t id, int err, const char *msg);

#endif
