/*
 * loadclient - HTTP load against 127.0.0.1:PORT from C threads, each in a
 * loop: connect, send "GET / HTTP/1.0", read to EOF. Runs until SIGTERM or
 * SIGINT, or MAX_SECONDS, whichever comes first, then prints one JSON line:
 * ok, failed (refused, reset, timed out or a wrong answer), requests per
 * second, and request latency (connect to EOF) p50/p99/max in microseconds,
 * every gap between answers of 20 ms or more, and every one of 1 ms or more
 * with the CLOCK_MONOTONIC time it ended ("slow_gaps": [[END_US, GAP_US]]).
 *
 *   loadclient PORT MAX_SECONDS [CONCURRENCY]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common.h"

#define MAX_SAMPLES 4000000
#define REQ_TIMEOUT_MS 10000

static int port;
static volatile sig_atomic_t stop;
static long long deadline;
static long long *samples;
static size_t nsamples;
static long failed;
static char first_error[160];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
/* The longest time without a successful answer: between two successive
 * completions (or from the start to the first one). With one connection at
 * a time this is the longest stall a client saw, outages included. */
static long long last_ok, max_gap;
/* Every gap of 20 ms or more (a restart, not a slow request), in order:
 * the figures report their spread, not only the longest. */
#define LONG_GAP_US 20000
#define MAX_LONG_GAPS 256
static long long long_gaps[MAX_LONG_GAPS];
static size_t n_long_gaps;
/* Every gap of 1 ms or more with the CLOCK_MONOTONIC time (us) it ended
 * at: a figure can tell the stalls a restart caused from the machine's
 * own hiccups by when they happened. */
#define SLOW_GAP_US 1000
#define MAX_SLOW 8192
static long long slow_end[MAX_SLOW], slow_gap[MAX_SLOW];
static size_t n_slow;
static long n_refused, n_reset, n_timeout, n_other;

static void on_sig(int s)
{
	(void)s;
	stop = 1;
}

static int wait_fd(int fd, short ev, long long end)
{
	for (;;) {
		long left = (long)((end - now_us()) / 1000);
		if (left <= 0)
			return -ETIMEDOUT;
		struct pollfd p = { .fd = fd, .events = ev };
		int r = poll(&p, 1, (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

/* One request: 0 or -errno (-EPROTO: a wrong answer). */
static int one(void)
{
	long long end = now_us() + REQ_TIMEOUT_MS * 1000LL;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int rc = 0;
	if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
		if (errno != EINPROGRESS) {
			rc = -errno;
			goto out;
		}
		if ((rc = wait_fd(fd, POLLOUT, end)) < 0)
			goto out;
		int err = 0;
		socklen_t el = sizeof err;
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
		if (err) {
			rc = -err;
			goto out;
		}
	}
	static const char req[] = "GET / HTTP/1.0\r\n\r\n";
	if (send(fd, req, sizeof req - 1, MSG_NOSIGNAL) < 0) {
		rc = -errno;
		goto out;
	}
	char buf[512];
	size_t got = 0;
	for (;;) {
		ssize_t r = recv(fd, buf + got, sizeof buf - 1 - got, 0);
		if (r > 0) {
			got += (size_t)r;
			if (got >= sizeof buf - 1)
				got = 16; /* keep the head only */
			continue;
		}
		if (r == 0)
			break;
		if (errno == EAGAIN) {
			if ((rc = wait_fd(fd, POLLIN, end)) < 0)
				goto out;
			continue;
		}
		if (errno == EINTR)
			continue;
		rc = -errno;
		goto out;
	}
	buf[got] = '\0';
	if (strncmp(buf, "HTTP/1.0 200", 12))
		rc = -EPROTO;
out:
	close(fd);
	return rc;
}

static void *run(void *arg)
{
	(void)arg;
	while (!stop && now_us() < deadline) {
		long long t0 = now_us();
		int rc = one();
		long long dt = now_us() - t0;
		pthread_mutex_lock(&mu);
		long long t1 = t0 + dt;
		if (rc == 0) {
			if (nsamples < MAX_SAMPLES)
				samples[nsamples++] = dt;
			if (t1 - last_ok > max_gap)
				max_gap = t1 - last_ok;
			if (t1 - last_ok >= LONG_GAP_US && n_long_gaps < MAX_LONG_GAPS)
				long_gaps[n_long_gaps++] = t1 - last_ok;
			if (t1 - last_ok >= SLOW_GAP_US && n_slow < MAX_SLOW) {
				slow_end[n_slow] = t1;
				slow_gap[n_slow++] = t1 - last_ok;
			}
			last_ok = t1;
		} else {
			if (rc == -ECONNREFUSED)
				n_refused++;
			else if (rc == -ECONNRESET || rc == -EPIPE)
				n_reset++;
			else if (rc == -ETIMEDOUT)
				n_timeout++;
			else
				n_other++;
			if (!failed)
				snprintf(first_error, sizeof first_error, "%s after %lld us", strerror(-rc), dt);
			failed++;
		}
		pthread_mutex_unlock(&mu);
		if (rc == -EADDRNOTAVAIL)
			sleep_ms(1);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		DIE("usage: loadclient PORT MAX_SECONDS [CONCURRENCY]");
	port = atoi(argv[1]);
	int conc = argc > 3 ? atoi(argv[3]) : 1;
	if (conc < 1 || conc > 64)
		DIE("concurrency 1..64");
	struct sigaction sa = { .sa_handler = on_sig };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	samples = malloc(sizeof *samples * MAX_SAMPLES);
	long long t0 = now_us();
	last_ok = t0;
	deadline = t0 + (long long)(atof(argv[2]) * 1e6);
	pthread_t th[64];
	for (int i = 0; i < conc; i++)
		pthread_create(&th[i], NULL, run, NULL);
	for (int i = 0; i < conc; i++)
		pthread_join(th[i], NULL);
	long long tend = now_us();
	if (tend - last_ok > max_gap)
		max_gap = tend - last_ok; /* still without an answer at the end */
	double secs = (double)(tend - t0) / 1e6;
	qsort(samples, nsamples, sizeof *samples, cmp_ll);
	long long mx = nsamples ? samples[nsamples - 1] : 0;
	printf("{\"ok\": %zu, \"failed\": %ld, \"seconds\": %.3f, \"rps\": %.1f, \"p50_us\": %lld, \"p99_us\": %lld, "
	       "\"max_us\": %lld, \"max_gap_us\": %lld, \"refused\": %ld, \"reset\": %ld, \"timeout\": %ld, "
	       "\"other\": %ld, \"first_error\": \"%s\", \"long_gaps_us\": [",
	       nsamples, failed, secs, (double)nsamples / secs, pct(samples, nsamples, 50), pct(samples, nsamples, 99),
	       mx, max_gap, n_refused, n_reset, n_timeout, n_other, first_error);
	for (size_t i = 0; i < n_long_gaps; i++)
		printf("%s%lld", i ? ", " : "", long_gaps[i]);
	printf("], \"slow_gaps\": [");
	for (size_t i = 0; i < n_slow; i++)
		printf("%s[%lld, %lld]", i ? ", " : "", slow_end[i], slow_gap[i]);
	printf("]}\n");
	return 0;
}
