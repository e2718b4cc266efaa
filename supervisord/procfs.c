/* procfs.c - see procfs.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "procfs.h"

int proc_read_ids(pid_t pid, struct proc_ids *out)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	char state;
	int a, b, c;
	if (!p || sscanf(p + 1, " %c %d %d %d", &state, &a, &b, &c) != 4)
		return -EIO;
	out->state = state;
	out->ppid = a;
	out->pgrp = b;
	out->session = c;
	return 0;
}

bool proc_ids_alive(const struct proc_ids *p)
{
	return p->state != 'Z' && p->state != 'X';
}
