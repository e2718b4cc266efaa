/* rmtree.c - see rmtree.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rmtree.h"

/* Empty the directory open as dfd (closed here), staying on the file
 * system dev (a mount inside is left alone, as nftw's FTW_MOUNT would).
 * Depth-bounded: a tree deeper than that keeps its bottom, and the final
 * rmdir says so. */
static void empty_dir(int dfd, dev_t dev, int depth)
{
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return;
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) == 0 || errno != EISDIR)
			continue;
		int sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		struct stat st;
		if (sub >= 0 && depth < 256 && fstat(sub, &st) == 0 && st.st_dev == dev)
			empty_dir(sub, dev, depth + 1);
		else if (sub >= 0)
			close(sub);
		unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR);
	}
	closedir(d);
}

int rmtree(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (fd >= 0 && fstat(fd, &st) == 0)
		empty_dir(fd, st.st_dev, 0);
	else if (fd >= 0)
		close(fd);
	return rmdir(path) < 0 ? -errno : 0;
}
