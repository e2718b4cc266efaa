#include <dirent.h>
#include <stdio.h>
#include "harness.h"

int harness_count_fds(int pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/fd", pid);
	DIR *d = opendir(path);
	if (!d)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the DIR's own fd when pid is us; callers compare deltas */
}
