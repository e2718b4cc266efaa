/* reap.c - see reap.h. */
#include <errno.h>
#include <sys/wait.h>

#include "log.h"
#include "reap.h"
#include "service.h"
#include "service_priv.h"

static uv_signal_t sigchld;
static bool sigchld_init;

#define REAP_BATCH 256

/*
 * Reap everything that has exited first, then handle the exits. Handling
 * an exit may look for the unit's leftover processes, which means a walk
 * over our process tree; done once per batch (svc_scan_begin/end) instead
 * of once per exit, a thousand services stopping together cost one walk,
 * not a thousand. Reaping first also means the walk sees no process that
 * is already dead.
 */
void reap_now(void)
{
	struct {
		pid_t pid;
		int st;
	} batch[REAP_BATCH];
	for (;;) {
		size_t n = 0;
		while (n < REAP_BATCH) {
			int st;
			pid_t pid = waitpid(-1, &st, WNOHANG);
			if (pid < 0 && errno == EINTR)
				continue;
			if (pid <= 0)
				break;
			batch[n].pid = pid;
			batch[n].st = st;
			n++;
		}
		svc_scan_begin();
		for (size_t i = 0; i < n; i++)
			if (!svc_reaped(batch[i].pid, batch[i].st))
				log_debug("reaped process %d (an orphan, or a leftover of a unit)", (int)batch[i].pid);
		/* A leftover that died may have been the last of its unit. */
		svc_reap_settle();
		svc_scan_end();
		if (n < REAP_BATCH)
			break;
	}
}

static void sigchld_cb(uv_signal_t *h, int sig)
{
	reap_now();
}

int reap_init(uv_loop_t *loop)
{
	int r = uv_signal_init(loop, &sigchld);
	if (r < 0)
		return r;
	sigchld_init = true;
	return uv_signal_start(&sigchld, sigchld_cb, SIGCHLD);
}

void reap_close(void)
{
	if (sigchld_init) {
		uv_signal_stop(&sigchld);
		uv_close((uv_handle_t *)&sigchld, NULL);
		sigchld_init = false;
	}
}
