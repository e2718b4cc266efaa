/*
 * sleeper - the service of figures 3 and 4: says it runs by writing one
 * byte to $READY_FIFO (when set), then waits for a signal. SIGTERM ends it.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

int main(void)
{
	const char *f = getenv("READY_FIFO");
	if (f) {
		int fd = open(f, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd >= 0) {
			if (write(fd, "r", 1) < 0) {
			}
			close(fd);
		}
	}
	for (;;)
		pause();
}
