/*
 * handler - a one-connection HTTP handler for figure 7 (Accept=yes and the
 * inetd-style peers). The connection is fd 3 when LISTEN_FDS=1 is set
 * (supervisord's Accept=yes instances, as systemd passes it), else fd 0/1
 * (tcpserver, systemd-socket-activate --inetd, bareinetd).
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	const char *lf = getenv("LISTEN_FDS");
	int in = 0, out = 1;
	if (lf && atoi(lf) >= 1)
		in = out = 3;
	char buf[1024];
	size_t got = 0;
	buf[0] = '\0';
	while (got < sizeof buf - 1 && !strstr(buf, "\r\n\r\n")) {
		struct pollfd p = { .fd = in, .events = POLLIN };
		if (poll(&p, 1, 2000) <= 0)
			break;
		ssize_t r = read(in, buf + got, sizeof buf - 1 - got);
		if (r <= 0)
			break;
		got += (size_t)r;
		buf[got] = '\0';
	}
	static const char ans[] = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nhello\n";
	if (write(out, ans, sizeof ans - 1) < 0)
		return 1;
	return 0;
}
