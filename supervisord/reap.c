/* reap.c - see reap.h. */
#include <errno.h>
#include <sys/wait.h>

#include "log.h"
#include "reap.h"
#include "service.h"

static uv_signal_t sigchld;
static bool sigchld_init;

void reap_now(void)
{
	for (;;) {
		int st;
		pid_t pid = waitpid(-1, &st, WNOHANG);
		if (pid <= 0) {
			if (pid < 0 && errno == EINTR)
				continue;
			break;
		}
		if (!svc_reaped(pid, st))
			log_debug("reaped process %d (an orphan, or a leftover of a unit)", (int)pid);
	}
	/* A leftover that died may have been the last of its unit. */
	svc_reap_settle();
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
