/*
 * netns.c - see netns.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netns.h"

struct job {
	int fd;
	int err;
	const char *what;
};

/* lo, as systemd's loopback_setup() leaves it: up (its addresses come
 * with it). */
static int loopback_up(void)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
	int r = 0;
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		r = -errno;
	else if (!(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
			r = -errno;
	}
	close(s);
	return r;
}

/* On its own thread: the namespace it moves into goes with it. */
static void *make(void *arg)
{
	struct job *j = arg;
	if (unshare(CLONE_NEWNET) < 0) {
		j->err = -errno;
		j->what = "unshare(CLONE_NEWNET)";
		return NULL;
	}
	int fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		j->err = -errno;
		j->what = "/proc/thread-self/ns/net";
		return NULL;
	}
	int r = loopback_up();
	if (r < 0) {
		close(fd);
		j->err = r;
		j->what = "bringing lo up";
		return NULL;
	}
	j->fd = fd;
	return NULL;
}

int netns_create(int *fd, char *err, size_t errlen)
{
	struct job j = { .fd = -1 };
	pthread_t t;
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old); /* no signal is delivered to it */
	int e = pthread_create(&t, NULL, make, &j);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e != 0) {
		snprintf(err, errlen, "PrivateNetwork=: no thread to make the namespace: %s", strerror(e));
		return -e;
	}
	pthread_join(t, NULL);
	if (j.fd < 0) {
		snprintf(err, errlen, "PrivateNetwork=: %s: %s", j.what, strerror(-j.err));
		return j.err;
	}
	*fd = j.fd;
	return 0;
}

bool netns_fd_valid(int fd)
{
	return ioctl(fd, NS_GET_NSTYPE) == CLONE_NEWNET;
}
