/* cleanipc.c - see cleanipc.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanipc.h"
#include "log.h"
#include "rmtree.h"

static bool owned(uid_t ou, gid_t og, uid_t uid, gid_t gid)
{
	return (uid != (uid_t)-1 && uid != 0 && ou == uid) || (gid != (gid_t)-1 && gid != 0 && og == gid);
}

/* One /proc/sysvipc table: the id in column id_col, the owner in
 * uid_col and the next; for shm, column 6 (nattch) must be 0. */
static int sysv(const char *table, int id_col, int uid_col, const char *unit, uid_t uid, gid_t gid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/sysvipc/%s", table);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	char line[512];
	int n = 0;
	bool shm = !strcmp(table, "shm");
	if (!fgets(line, sizeof line, f)) { /* the header */
		fclose(f);
		return 0;
	}
	while (fgets(line, sizeof line, f)) {
		unsigned long v[10] = { 0 };
		char *p = line, *end;
		int k = 0;
		for (; k < 10; k++, p = end) {
			v[k] = strtoul(p, &end, 10);
			if (end == p)
				break;
		}
		if (k <= uid_col + 1 || !owned((uid_t)v[uid_col], (gid_t)v[uid_col + 1], uid, gid) || (shm && v[6] != 0))
			continue;
		int id = (int)v[id_col];
		int r = shm ? shmctl(id, IPC_RMID, NULL) : !strcmp(table, "sem") ? semctl(id, 0, IPC_RMID) : msgctl(id, IPC_RMID, NULL);
		if (r == 0)
			n++;
		else if (errno != EIDRM && errno != EINVAL)
			log_warn("%s: RemoveIPC=: %s %d: %s", unit, table, id, strerror(errno));
	}
	fclose(f);
	return n;
}

/* The top of a POSIX IPC file system: what uid or gid owns goes. */
static int posix(const char *dir, const char *unit, uid_t uid, gid_t gid)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	int n = 0;
	for (struct dirent *e; (e = readdir(d));) {
		struct stat st;
		if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !owned(st.st_uid, st.st_gid, uid, gid))
			continue;
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		int r = S_ISDIR(st.st_mode) ? rmtree(path) : unlinkat(dirfd(d), e->d_name, 0) < 0 ? -errno : 0;
		if (r == 0)
			n++;
		else if (r != -ENOENT)
			log_warn("%s: RemoveIPC=: %s: %s", unit, path, strerror(-r));
	}
	closedir(d);
	return n;
}

int cleanipc(uid_t uid, gid_t gid, const char *unit)
{
	if ((uid == (uid_t)-1 || uid == 0) && (gid == (gid_t)-1 || gid == 0))
		return 0;
	/* Columns: shm "key shmid perms size cpid lpid nattch uid gid",
	 * sem "key semid perms nsems uid gid", msg "key msqid perms cbytes
	 * qnum lspid lrpid uid gid". */
	return sysv("shm", 1, 7, unit, uid, gid) + sysv("sem", 1, 4, unit, uid, gid) + sysv("msg", 1, 7, unit, uid, gid) +
	       posix("/dev/shm", unit, uid, gid) + posix("/dev/mqueue", unit, uid, gid);
}
