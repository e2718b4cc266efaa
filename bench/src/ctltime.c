/*
 * ctltime - figure 2's request-to-answer time, measured inside the client:
 * from connecting to the answer read, so that neither client's own
 * start-up (supctl's is ~0.15 ms longer than bareexec's on a 2-core VM)
 * is counted as re-exec time. Runs are 10 ms apart (outside the timing),
 * so that a request does not wait for the previous image's last steps.
 *
 *   ctltime supd CTLSOCK N reexec|ping   supervisord's control socket:
 *                                        HELLO + REEXEC as supctl sends
 *                                        them, or HELLO alone (`supctl
 *                                        version`); a fresh connection each
 *   ctltime bare CTLSOCK N exec|ping     a bareexec server (bareexec.c)
 *
 * Prints one JSON line as timecmd does (n, failed, min/p10/median/p90/mean
 * in microseconds, and every run in order).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common.h"
#include "proto.h"

static int connect_to(const char *path, int type)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof a.sun_path)
		DIE("ctltime: path too long: %s", path);
	strcpy(a.sun_path, path);
	int s = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof a) < 0) {
		if (s >= 0)
			close(s);
		return -1;
	}
	return s;
}

/* 0 when the last request (HELLO is 1, REEXEC 2) was answered, REEXEC
 * with R_OK. */
static int supd_once(const char *path, bool reexec)
{
	static uint8_t buf[PROTO_MAX_MSG];
	int s = connect_to(path, SOCK_SEQPACKET);
	if (s < 0)
		return -1;
	uint8_t out[64];
	struct proto_buf b;
	proto_buf_init_writer(&b, out, sizeof out);
	proto_put_u32(&b, PROTO_VERSION);
	proto_put_str(&b, "ctltime");
	int r = proto_send(s, PROTO_HELLO, 0, 1, out, b.len, NULL, 0);
	uint32_t want = 1;
	if (r == 0 && reexec) {
		proto_buf_init_writer(&b, out, sizeof out);
		proto_put_str(&b, ""); /* its own binary */
		r = proto_send(s, PROTO_REEXEC, 0, 2, out, b.len, NULL, 0);
		want = 2;
	}
	while (r == 0) {
		struct proto_hdr h;
		const uint8_t *payload;
		int fds[PROTO_MAX_FDS_PER_MSG];
		size_t nfds = 0;
		r = proto_recv(s, buf, &h, &payload, fds, &nfds);
		proto_close_fds(fds, nfds);
		if (r < 0)
			break;
		if (h.id == want) { /* HELLO's answer is its own type; REEXEC's R_OK */
			if (want == 2 && h.type != PROTO_R_OK)
				r = -1;
			break;
		}
	}
	close(s);
	return r < 0 ? -1 : 0;
}

static int bare_once(const char *path, char req)
{
	int s = connect_to(path, SOCK_STREAM);
	if (s < 0)
		return -1;
	char buf[256];
	size_t got = 0;
	if (write(s, &req, 1) == 1) {
		/* "ok\n", or the first line of `supervisord --check-state-format` */
		ssize_t n;
		while (got < 3 && (n = read(s, buf + got, sizeof buf - got)) > 0)
			got += (size_t)n;
	}
	close(s);
	return got >= 3 ? 0 : -1;
}

int main(int argc, char **argv)
{
	if (argc != 5)
		DIE("usage: ctltime supd|bare CTLSOCK N reexec|exec|ping");
	bool supd = !strcmp(argv[1], "supd");
	if (!supd && strcmp(argv[1], "bare"))
		DIE("ctltime: supd or bare, not %s", argv[1]);
	int n = atoi(argv[3]);
	bool ping = !strcmp(argv[4], "ping");
	if (n < 1 || (!ping && strcmp(argv[4], supd ? "reexec" : "exec")))
		DIE("ctltime: bad N or request");
	long long *t = malloc(sizeof *t * (size_t)n), *sorted = malloc(sizeof *t * (size_t)n);
	int bad = 0;
	long long sum = 0;
	for (int i = 0; i < n; i++) {
		if (i)
			sleep_ms(10);
		long long t0 = now_ns();
		int r = supd ? supd_once(argv[2], !ping) : bare_once(argv[2], ping ? 'p' : 'x');
		t[i] = now_ns() - t0;
		sum += t[i];
		bad += r < 0;
	}
	memcpy(sorted, t, sizeof *t * (size_t)n);
	qsort(sorted, (size_t)n, sizeof *t, cmp_ll);
	printf("{\"n\": %d, \"failed\": %d, \"min_us\": %.1f, \"p10_us\": %.1f, \"median_us\": %.1f, \"p90_us\": %.1f, "
	       "\"mean_us\": %.1f, \"runs_us\": [",
	       n, bad, sorted[0] / 1e3, pct(sorted, (size_t)n, 10) / 1e3, pct(sorted, (size_t)n, 50) / 1e3,
	       pct(sorted, (size_t)n, 90) / 1e3, (double)sum / n / 1e3);
	for (int i = 0; i < n; i++)
		printf("%s%.1f", i ? ", " : "", t[i] / 1e3);
	printf("]}\n");
	return 0;
}
