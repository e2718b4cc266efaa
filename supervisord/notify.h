/*
 * notify.h - the NOTIFY_SOCKET every service is given: one AF_UNIX datagram
 * socket at RUNTIME_DIR/notify.sock, read on the loop.
 *
 * Reception follows systemd's notify_recv(): SO_PASSCRED so that the kernel
 * attaches the sender's credentials to every datagram; a 4096-byte payload
 * and room for 768 descriptors; a datagram that was truncated (payload or
 * control data), is empty, holds a NUL, or lacks credentials is dropped and
 * every descriptor that came with it closed. What is left goes to
 * svc_notify_dispatch(), which takes the descriptors.
 *
 * The module owns the socket fd and the path. Re-exec carries the fd across
 * exec (notify_fd) and hands it back to the new image (notify_adopt), so
 * that services keep the same NOTIFY_SOCKET and nothing sent in between is
 * lost: it waits in the socket's queue.
 */
#ifndef SUPD_NOTIFY_H
#define SUPD_NOTIFY_H

#include <stddef.h>
#include <uv.h>

/* Datagrams read per wake-up before yielding to the rest of the loop. */
#define NOTIFY_BATCH 64

/* Bind RUNTIME_DIR/notify.sock (replacing a stale one) and start reading.
 * Sets execplan_notify_socket. Returns 0 or -errno with a message in err. */
int notify_init(uv_loop_t *loop, const char *runtime_dir, char *err, size_t errlen);
/* Take over an already bound socket (after re-exec). Returns 0 or -errno;
 * on error fd is still the caller's. */
int notify_adopt(uv_loop_t *loop, int fd, const char *path);
/* Read and dispatch every datagram already queued (bounded). The service
 * state machine calls this when a main process has exited, before it
 * forgets the pid: whatever the process sent before dying (a last
 * FDSTORE=1, say) is then still attributed to it, as systemd ensures by
 * giving its notify source priority over SIGCHLD. */
void notify_drain(void);
/* The socket, or -1. Still owned by this module. */
int notify_fd(void);
/* Its address as NOTIFY_SOCKET gives it ("@...": abstract), "" when none. */
const char *notify_path(void);
/* Stop reading, close the socket and remove its path. */
void notify_close(void);

#endif
