/*
 * svc_kill.c - KillMode=: which processes of a service get a signal, and
 * whether any of them is still around.
 *
 * A service's processes are its main process (and its process group: the
 * main process is a session leader), its control process (ExecStartPre= and
 * friends, also session leaders) and every other descendant of the daemon
 * that carries SUPERVISORD_UNIT=<unit> in /proc/PID/environ (execplan sets
 * it for every process it starts) and does not live under another unit's
 * main or control process (a process there is that unit's, whatever its
 * environment says; this keeps a stop from reading every service's tree). We have no cgroup, so this is how a
 * double-forked daemon that called setsid() is still found: the daemon is
 * a child subreaper (notify.c), so an orphan is re-parented to us and stays
 * our descendant.
 *
 * Only descendants of this daemon count: another supervisord on the host
 * (a test running next to this one) may run a unit of the same name. And
 * if /proc is not our pid namespace's (`unshare --pid` without a new /proc)
 * the pids we would read are not the pids kill() takes: the scan is then
 * switched off rather than risk signalling a stranger.
 *
 *   KillMode=      KillSignal= goes to               SIGKILL (timeout) to
 *   control-group  main group, control, leftovers    all of them
 *   mixed          main process only, control        all of them
 *   process        main process only, control        main process, control
 *   none           nobody                            nobody
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "procfs.h"
#include "service_priv.h"

#define ENVIRON_MAX (64 * 1024)  /* read no more of a process's environment */

struct proc {
	pid_t pid, ppid;
	struct unit *owner;     /* set when pid is a unit's main, control or draining process */
	/* Its SUPERVISORD_UNIT=, read at most once per scan: "" none, NULL
	 * not read yet (or could not be). */
	char *unit;
	bool unit_read;
};

/* Is /proc the view of our own pid namespace? */
static bool proc_is_ours(void)
{
	static int known = -1;
	if (known >= 0)
		return known;
	char buf[32];
	ssize_t n = readlink("/proc/self", buf, sizeof buf - 1);
	known = 0;
	if (n > 0) {
		buf[n] = '\0';
		known = atoi(buf) == (int)getpid();
	}
	if (!known)
		log_warn("/proc does not show this pid namespace: leftover processes of services cannot be found");
	return known;
}

/* Does pid's environment hold exactly SUPERVISORD_UNIT=name? */
/* The unit a process was started for: the value of SUPERVISORD_UNIT= in
 * its environment (malloc'd; "" when it has none), NULL if unreadable. */
static char *env_unit(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/environ", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	char *buf = malloc(ENVIRON_MAX + 1);
	size_t len = 0;
	if (buf) {
		ssize_t n;
		while (len < ENVIRON_MAX && (n = read(fd, buf + len, ENVIRON_MAX - len)) > 0)
			len += (size_t)n;
	}
	close(fd);
	if (!buf)
		return NULL;
	buf[len] = '\0';
	char *unit = NULL;
	for (size_t i = 0; i < len && !unit; i += strlen(buf + i) + 1)
		if (!strncmp(buf + i, "SUPERVISORD_UNIT=", 17))
			unit = strdup(buf + i + 17);
	free(buf);
	return unit ? unit : strdup("");
}

static bool proc_names_unit(struct proc *p, const char *name)
{
	if (!p->unit_read) {
		p->unit = env_unit(p->pid);
		p->unit_read = true;
	}
	return p->unit && !strcmp(p->unit, name);
}

static void free_procs(struct proc *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i].unit);
	free(v);
}

/* Append the children of every thread of pid (procfs.c). */
static void add_children(pid_t pid, struct proc **v, size_t *n, size_t *cap)
{
	static pid_t *kids; /* scratch, kept between calls */
	static size_t kcap;
	size_t nk = 0;
	proc_children(pid, &kids, &nk, &kcap); /* on an error, what it read */
	for (size_t i = 0; i < nk; i++) {
		if (*n == *cap) {
			size_t nc = *cap ? *cap * 2 : 64;
			struct proc *np = realloc(*v, nc * sizeof *np);
			if (!np)
				return;
			*v = np;
			*cap = nc;
		}
		(*v)[(*n)++] = (struct proc){ .pid = kids[i], .ppid = pid };
	}
}

/* The old way: every process in /proc, ancestry resolved in memory. */
static struct proc *descendants_by_scan(size_t *n)
{
	DIR *d = opendir("/proc");
	if (!d)
		return NULL;
	struct proc *all = NULL;
	size_t nall = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		struct proc_ids ids;
		if (*end || pid <= 1 || proc_read_ids((pid_t)pid, &ids) < 0 || !proc_ids_alive(&ids))
			continue;
		pid_t pp = ids.ppid;
		if (nall == cap) {
			cap = cap ? cap * 2 : 256;
			struct proc *np = realloc(all, cap * sizeof *np);
			if (!np)
				break;
			all = np;
		}
		all[nall++] = (struct proc){ .pid = (pid_t)pid, .ppid = pp };
	}
	closedir(d);
	pid_t self = getpid();
	size_t keep = 0;
	for (size_t i = 0; i < nall; i++) {
		pid_t p = all[i].ppid;
		bool ours = false;
		for (size_t depth = 0; depth <= nall && p > 1 && !ours; depth++) {
			if (p == self) {
				ours = true;
				break;
			}
			pid_t next = 0;
			for (size_t j = 0; j < nall; j++)
				if (all[j].pid == p) {
					next = all[j].ppid;
					break;
				}
			p = next;
		}
		if (ours)
			all[keep++] = all[i];
	}
	*n = keep;
	return all;
}

/* ---- the processes units know (main, control, draining): pid -> unit ---- */

struct root {
	pid_t pid;
	struct unit *u;
};

static int root_cmp(const void *a, const void *b)
{
	pid_t x = ((const struct root *)a)->pid, y = ((const struct root *)b)->pid;
	return (x > y) - (x < y);
}

static struct root *known_roots(size_t *n)
{
	size_t cap = 0;
	struct root *r = NULL;
	*n = 0;
	for (size_t i = 0; i < unit_count(); i++) {
		struct unit *u = unit_at(i);
		if (u->kind != UNIT_SERVICE)
			continue;
		pid_t pids[3] = { u->svc.pid, u->svc.control_pid, u->svc.old_pid };
		for (int k = 0; k < 3; k++) {
			if (pids[k] <= 0)
				continue;
			if (*n == cap) {
				size_t nc = cap ? cap * 2 : 64;
				struct root *nr = realloc(r, nc * sizeof *nr);
				if (!nr)
					return r; /* fewer known: the walk reads more, nothing is missed */
				r = nr;
				cap = nc;
			}
			r[(*n)++] = (struct root){ pids[k], u };
		}
	}
	if (*n)
		qsort(r, *n, sizeof *r, root_cmp);
	return r;
}

static struct unit *root_owner(const struct root *r, size_t n, pid_t pid)
{
	const struct root key = { pid, NULL }, *hit = n ? bsearch(&key, r, n, sizeof *r, root_cmp) : NULL;
	return hit ? hit->u : NULL;
}

/*
 * This daemon's descendants, minus the subtrees of units' known processes
 * (their main, control and draining processes are listed, with their
 * owner, but not walked into): what is left are orphans re-parented to us
 * (the subreaper) and their children. Walks down our own process tree
 * through the kernel's children lists, so the cost follows the number of
 * our children and orphans, not of every process on the machine nor of
 * every service's process tree: this runs on each exit and each stop.
 * A unit's own subtree is walked by svc_leftovers for that unit only: a
 * process under another unit's main process belongs to that unit.
 *
 * Zombies are not filtered here: a zombie's environment reads as empty, so
 * it never names a unit.
 */
static struct proc *descendants(size_t *n, bool *full)
{
	*n = 0;
	*full = false;
	if (!proc_is_ours())
		return NULL;
	if (!proc_lists_children()) {
		*full = true; /* every descendant, own subtrees included */
		return descendants_by_scan(n);
	}
	size_t nroots;
	struct root *roots = known_roots(&nroots);
	struct proc *v = NULL;
	size_t nv = 0, cap = 0;
	add_children(getpid(), &v, &nv, &cap);
	/* Breadth first: v grows as each entry's children are appended. A
	 * bound on the walk guards against a pid reused into a loop. */
	for (size_t i = 0; i < nv && i < 65536; i++) {
		if ((v[i].owner = root_owner(roots, nroots, v[i].pid)))
			continue;
		add_children(v[i].pid, &v, &nv, &cap);
	}
	free(roots);
	*n = nv;
	return v;
}

/* A scan shared by everything handled in one batch (see svc_scan_begin). */
static struct proc *scan_cache;
static size_t scan_n;
static bool scan_full;
static unsigned scan_depth;
static bool scan_valid;

void svc_scan_begin(void)
{
	scan_depth++;
}

void svc_scan_end(void)
{
	if (scan_depth && --scan_depth == 0) {
		free_procs(scan_cache, scan_n);
		scan_cache = NULL;
		scan_valid = false;
	}
}

/* Our descendants: the batch's shared scan when inside one, else a fresh
 * one (*owned: the caller frees it). */
static struct proc *get_descendants(size_t *n, bool *owned, bool *full)
{
	if (scan_depth) {
		if (!scan_valid) {
			scan_cache = descendants(&scan_n, &scan_full);
			scan_valid = true;
		}
		*owned = false;
		*n = scan_n;
		*full = scan_full;
		return scan_cache;
	}
	*owned = true;
	return descendants(n, full);
}

/* Count (and signal) one candidate leftover of u. */
static unsigned leftover(struct unit *u, struct proc *p, int sig)
{
	const struct service *s = &u->svc;
	if (p->pid == s->pid || p->pid == s->control_pid || p->pid == s->old_pid || !proc_names_unit(p, u->name))
		return 0;
	if (sig) {
		log_debug("%s: signal %d to leftover process %d", u->name, sig, (int)p->pid);
		kill(p->pid, sig);
		if (sig != SIGKILL)
			kill(p->pid, SIGCONT);
	}
	return 1;
}

unsigned svc_leftovers(struct unit *u, int sig)
{
	size_t n;
	bool owned, full;
	struct proc *ds = get_descendants(&n, &owned, &full);
	unsigned count = 0;
	/* Orphans (and, in a full scan, everything). */
	for (size_t i = 0; i < n; i++)
		if (full || !ds[i].owner)
			count += leftover(u, &ds[i], sig);
	/* The subtrees of u's own processes, walked for u alone. */
	if (!full) {
		struct proc *v = NULL;
		size_t nv = 0, cap = 0;
		for (size_t i = 0; i < n; i++)
			if (ds[i].owner == u)
				add_children(ds[i].pid, &v, &nv, &cap);
		for (size_t i = 0; i < nv && i < 65536; i++)
			add_children(v[i].pid, &v, &nv, &cap);
		for (size_t i = 0; i < nv; i++)
			count += leftover(u, &v[i], sig);
		free_procs(v, nv);
	}
	if (owned)
		free_procs(ds, n);
	return count;
}

/* kill(-pid) reaches a process group; if the group is gone, the pid. */
static void signal_group(struct unit *u, pid_t pid, int sig, bool group)
{
	if (pid <= 0)
		return;
	if ((!group || kill(-pid, sig) < 0) && kill(pid, sig) < 0 && errno != ESRCH)
		log_warn("%s: kill %d with signal %d: %s", u->name, (int)pid, sig, strerror(errno));
	if (sig != SIGKILL && sig != SIGCONT) {
		/* A stopped process must wake to see it. */
		if (!group || kill(-pid, SIGCONT) < 0)
			kill(pid, SIGCONT);
	}
}

unsigned svc_kill_all(struct unit *u, int sig, bool final)
{
	struct service *s = &u->svc;
	enum kill_mode mode = u->conf->svc.kill_mode;
	unsigned n = 0;
	if (mode == KILL_NONE)
		return 0;
	/* The main process's group, except where only the process is meant
	 * (mixed until the final SIGKILL, process always). */
	bool main_group = mode == KILL_CONTROL_GROUP || (mode == KILL_MIXED && final);
	if (s->pid > 0) {
		signal_group(u, s->pid, sig, main_group);
		n++;
	}
	if (s->control_pid > 0) {
		signal_group(u, s->control_pid, sig, mode != KILL_PROCESS);
		n++;
	}
	if (mode == KILL_CONTROL_GROUP || (mode == KILL_MIXED && final))
		n += svc_leftovers(u, sig);
	/* SendSIGHUP=: then SIGHUP to the same processes, as systemd's
	 * unit_kill_context, so that shells see their terminal gone. */
	if (!final && sig != SIGHUP && u->conf->svc.send_sighup) {
		signal_group(u, s->pid, SIGHUP, main_group);
		signal_group(u, s->control_pid, SIGHUP, mode != KILL_PROCESS);
		if (mode == KILL_CONTROL_GROUP)
			svc_leftovers(u, SIGHUP);
	}
	return n;
}

bool svc_waits_for_leftovers(const struct unit *u)
{
	enum kill_mode m = u->conf->svc.kill_mode;
	return m == KILL_CONTROL_GROUP || m == KILL_MIXED;
}

pid_t svc_guess_main(struct unit *u)
{
	size_t n;
	bool owned, full;
	struct proc *ds = get_descendants(&n, &owned, &full);
	pid_t self = getpid(), found = 0;
	for (size_t i = 0; i < n && found >= 0; i++) {
		struct proc *p = &ds[i];
		if (p->ppid != self || p->owner || !proc_names_unit(p, u->name))
			continue;
		found = found ? -1 : p->pid;
	}
	if (owned)
		free_procs(ds, n);
	return found;
}
