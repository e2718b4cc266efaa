/*
 * execplan.h - what one service process gets: resolved path, argv with
 * $VAR expansion, the environment (LISTEN_*, NOTIFY_SOCKET, Environment=),
 * the descriptors to place at 3.., and the credentials to switch to.
 *
 * A plan is built in the parent before fork and freed right after it. The
 * descriptors in `fds` are borrowed from their owners (socket units, the fd
 * store), except those in `owned` (opened for this start, e.g. OpenFile=),
 * which execplan_free closes.
 */
#ifndef SUPD_EXECPLAN_H
#define SUPD_EXECPLAN_H

#include "spawn.h"
#include "unit.h"

struct exec_plan {
	struct spawn_req req;
	char *path;
	char **argv;
	char **envp;
	int *fds;
	char **fdnames;
	size_t nfds;
	size_t nsocket_fds;      /* the first ones: from socket activation (NonBlocking=) */
	int *owned;
	size_t nowned;
	gid_t *groups;
	struct mount_op *mounts; /* ProtectSystem= and friends (req.mounts) */
	size_t nmounts;
	char **mount_paths;      /* what mounts[] points into that the plan owns */
	size_t nmount_paths;
};

/* Build the plan for running `cmd` of service unit u. EXECPLAN_MAIN: the
 * main process, which alone gets descriptors and LISTEN_* (as in systemd).
 * EXECPLAN_RESULT: ExecStop=/ExecStopPost=, which get $SERVICE_RESULT,
 * and $EXIT_CODE/$EXIT_STATUS once the main process has ended. Returns 0,
 * or -errno with "stage: reason" in err. */
#define EXECPLAN_MAIN   1u
#define EXECPLAN_RESULT 2u
int execplan_build(struct unit *u, const struct exec_cmd *cmd, unsigned flags, struct exec_plan *p, char *err,
		   size_t errlen);
void execplan_free(struct exec_plan *p);

/* RemoveIPC=: the IDs c's processes ran as, found again as a spawn finds
 * them (a dynamic user's from its record, not acquired); 0 where unknown
 * or not given. */
void execplan_run_ids(const struct svc_conf *c, uid_t *uid, gid_t *gid);

/* Expand $VAR and ${VAR} in argv the way systemd does, against envp.
 * Exposed for tests. Returns a NULL-terminated malloc'd vector or NULL. */
char **execplan_expand_argv(char *const *argv, char *const *envp);

/* Path of the notify socket, set once at start-up ("" when none). */
extern char execplan_notify_socket[108];

#endif
