/*
 * logpipe.h - service output held by the supervisor.
 *
 * Each service whose output goes to the journal (the default) writes into
 * one pipe for stdout and stderr together. The daemon holds both ends for
 * the service's whole life: the read end to collect, the write end so the
 * pipe never sees EOF between two runs. A line written just before a
 * restart, or while the daemon re-execs, waits in the pipe and is collected
 * afterwards: nothing is lost. Both ends and an unfinished line cross a
 * re-exec.
 *
 * Lines are written to LOGDIR/UNIT.log as "TIMESTAMP LINE". When the file
 * passes the size limit it is rotated (UNIT.log.1 .. UNIT.log.N). If the
 * log directory is full or read-only, lines are counted as dropped and the
 * pipe keeps being drained: a service is never blocked on its output.
 */
#ifndef SUPD_LOGPIPE_H
#define SUPD_LOGPIPE_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "unit.h"

#define LOGPIPE_LINE_MAX 4096     /* longer lines are split */
#define LOGPIPE_KEEP 3            /* rotated files kept */

struct logpipe {
	int rfd, wfd;                /* owned; rfd registered in the shared log epoll */
	char *partial;               /* an unfinished line; allocated only while there is one */
	size_t plen;
	int file_fd;                 /* the open log file, -1 until first line */
	uint64_t file_size;
	uint64_t dropped;            /* lines lost to a failing log directory */
	uint64_t dropped_told;       /* ...of which the log has been told (on recovery) */
	uint64_t last_warn_mono;
};

void logpipe_configure(const char *dir, uint64_t max_size);

/* The write end to give a service's stdout/stderr (the pipe is created on
 * first use). Returns the fd (borrowed) or -errno. */
int logpipe_writer(uv_loop_t *loop, struct unit *u);
/* Create the pipe of every loaded service whose output goes to the log,
 * so the daemon's descriptors are fixed once units are loaded. */
void logpipe_prepare_all(uv_loop_t *loop);
/* Collect what is in the pipe now. */
void logpipe_drain(struct unit *u);
/* The path of a unit's log file. */
void logpipe_path(const struct unit *u, char *buf, size_t len);
/* Drain, close both ends and the file (daemon exit). */
void logpipe_close(struct unit *u);

/* Re-exec: take over the pipe ends, the open log file (-1: open it again)
 * and its size, and an unfinished line. */
/* The epoll instance holding every read end: handed over across re-execs
 * (-1 before the first pipe). Adopting one must come before the pipes. */
int logpipe_epoll_fd(void);
int logpipe_adopt_epoll(uv_loop_t *loop, int fd);
/* At exit, after every logpipe_close(). */
void logpipe_shutdown(void);

int logpipe_adopt(uv_loop_t *loop, struct unit *u, int rfd, int wfd, int file_fd, uint64_t file_size,
		  const char *partial, size_t plen);

#endif
