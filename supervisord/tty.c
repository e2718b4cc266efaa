/*
 * tty.c - see tty.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "tty.h"

static void nap_ms(long ms)
{
	struct timespec ts = { 0, ms * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Opened without waiting for a carrier, then made blocking, as the
 * program expects its stdio. EIO: the terminal is being closed (a hangup
 * in progress); systemd's open_terminal tries again for up to a second,
 * which the spawned child may do (patient), the daemon not. */
static int open_tty(const char *path, int flags, bool patient)
{
	int fd = -1;
	for (int i = 0; i < (patient ? 20 : 1); i++) {
		fd = open(path, flags | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
		if (fd >= 0 || errno != EIO || !patient)
			break;
		nap_ms(50);
	}
	if (fd < 0)
		return -errno;
	if (!isatty(fd)) {
		close(fd);
		return -ENOTTY;
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

int tty_acquire(const char *path, enum tty_mode mode)
{
	for (;;) {
		int fd = open_tty(path, O_RDWR, true);
		if (fd < 0)
			return fd;
		if (ioctl(fd, TIOCSCTTY, mode == TTY_FORCE ? 1 : 0) == 0)
			return fd;
		int e = errno;
		close(fd);
		/* EPERM: another session's controlling terminal. */
		if (e != EPERM || mode != TTY_WAIT)
			return -e;
		nap_ms(50);
	}
}

int tty_hangup(const char *path, bool patient)
{
	int fd = open_tty(path, O_RDWR, patient);
	if (fd < 0)
		return fd;
	int r = ioctl(fd, TIOCVHANGUP) < 0 ? -errno : 0;
	close(fd);
	return r;
}

int tty_reset_fd(int fd)
{
	struct termios t;
	ioctl(fd, TIOCNXCL); /* exclusive mode off */
	if (tcgetattr(fd, &t) < 0)
		return -errno;
	t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | ISTRIP | INLCR | IGNCR | IUCLC);
	t.c_iflag |= ICRNL | IMAXBEL | IUTF8;
	t.c_oflag |= ONLCR | OPOST;
	t.c_cflag |= CREAD;
	t.c_lflag = ISIG | ICANON | IEXTEN | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE;
	static const struct { int i; cc_t v; } cc[] = {
		{ VINTR, 003 },	 { VQUIT, 034 },  { VERASE, 0177 },  { VKILL, 025 },  { VEOF, 004 },
		{ VSTART, 021 }, { VSTOP, 023 },  { VSUSP, 032 },    { VLNEXT, 026 }, { VWERASE, 027 },
		{ VREPRINT, 022 }, { VEOL, 0 },	  { VEOL2, 0 },	     { VTIME, 0 },    { VMIN, 1 },
	};
	for (size_t i = 0; i < sizeof cc / sizeof cc[0]; i++)
		t.c_cc[cc[i].i] = cc[i].v;
	int r = tcsetattr(fd, TCSANOW, &t) < 0 ? -errno : 0;
	tcflush(fd, TCIOFLUSH);
	return r;
}

int tty_reset(const char *path, bool patient)
{
	int fd = open_tty(path, O_RDWR, patient);
	if (fd < 0)
		return fd;
	int r = tty_reset_fd(fd);
	close(fd);
	return r;
}

int tty_open_output(const char *path)
{
	return open_tty(path, O_WRONLY, false);
}

void tty_revert(const char *path, bool hangup, bool reset, bool owner)
{
	if (hangup)
		tty_hangup(path, false);
	if (reset)
		tty_reset(path, false);
	if (owner) {
		int fd = open_tty(path, O_RDONLY, false);
		if (fd >= 0) {
			if (fchown(fd, 0, (gid_t)-1) == 0)
				fchmod(fd, 0620);
			close(fd);
		}
	}
}
