/* cpusched.c - see cpusched.h. */
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "conf.h"
#include "cpusched.h"

/* linux/ioprio.h, not in every libc's headers. */
enum { IOPRIO_CLASS_NONE, IOPRIO_CLASS_RT, IOPRIO_CLASS_BE, IOPRIO_CLASS_IDLE };
#define IOPRIO_CLASS_SHIFT 13
#define IOPRIO_WHO_PROCESS 1

__attribute__((format(printf, 3, 4))) static int why_fail(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* A whole decimal number up to max, or -1 (conf_parse_unsigned). */
static long number(const char *s, unsigned max)
{
	unsigned v;
	return conf_parse_unsigned(s, max, &v) < 0 ? -1 : (long)v;
}

/* systemd's parse_cpu_set_extend: words N or N-M between spaces or
 * commas, added to what earlier lines gave; empty clears. A bad word
 * refuses the whole line. */
int cpusched_parse_affinity(struct cpusched *s, const char *v, char *why, size_t whylen)
{
	if (*v == '\0') {
		s->affinity_set = false;
		s->ncpu_words = 0;
		memset(s->cpus, 0, sizeof s->cpus);
		return 0;
	}
	uint64_t add[CPUSCHED_WORDS] = { 0 };
	size_t words = 0;
	for (const char *p = v; *p;) {
		size_t n = strcspn(p, " \t,");
		if (n == 0) {
			p++;
			continue;
		}
		char w[40], lo[40];
		snprintf(w, sizeof w, "%.*s", (int)(n < 39 ? n : 39), p);
		char *dash = strchr(strcpy(lo, w), '-');
		if (dash)
			*dash = '\0';
		long a = n < sizeof w ? number(lo, CPUSCHED_MAX_CPU) : -1; /* longer: no CPU number */
		long b = dash ? number(dash + 1, CPUSCHED_MAX_CPU) : a;
		if (a < 0 || b < 0)
			return why_fail(why, whylen, "'%s' is not a CPU (0 to %d) or a range of them", w, CPUSCHED_MAX_CPU);
		if (b < a)
			return why_fail(why, whylen, "'%s': the range ends before it starts", w);
		for (long c = a; c <= b; c++)
			add[c / 64] |= UINT64_C(1) << (c % 64);
		if ((size_t)(b / 64 + 1) > words)
			words = (size_t)(b / 64 + 1);
		p += n;
	}
	for (size_t i = 0; i < words; i++)
		s->cpus[i] |= add[i];
	if (words > s->ncpu_words)
		s->ncpu_words = words;
	s->affinity_set = true;
	return 0;
}

static const struct {
	const char *name;
	int value;
} policies[] = {
	{ "other", SCHED_OTHER }, { "batch", SCHED_BATCH }, { "idle", SCHED_IDLE },
	{ "fifo", SCHED_FIFO },   { "rr", SCHED_RR },
};

static bool realtime(int policy)
{
	return policy == SCHED_FIFO || policy == SCHED_RR;
}

int cpusched_parse_policy(struct cpusched *s, const char *v, char *why, size_t whylen)
{
	if (*v == '\0') {
		s->sched_set = false;
		s->policy = SCHED_OTHER;
		s->priority = 0;
		return 0;
	}
	int p = -1;
	for (size_t i = 0; i < sizeof policies / sizeof policies[0]; i++)
		if (!strcmp(v, policies[i].name) || number(v, 9) == policies[i].value)
			p = policies[i].value;
	if (p < 0)
		return why_fail(why, whylen, "'%s' is not a policy (other, batch, idle, fifo or rr)", v);
	s->policy = p;
	/* As systemd: the priority moves into the new policy's range. */
	if (realtime(p) && s->priority < 1)
		s->priority = 1;
	if (!realtime(p))
		s->priority = 0;
	s->sched_set = true;
	return 0;
}

/* CPUSchedulingPriority= and IOSchedulingPriority=: 0 to max into *out,
 * marking the group *set; empty puts dflt back and leaves *set. */
static int priority(const char *v, unsigned max, int dflt, const char *what, int *out, bool *set, char *why,
		    size_t whylen)
{
	long n = *v ? number(v, max) : dflt;
	if (n < 0)
		return why_fail(why, whylen, "'%s' is not %s (0 to %u)", v, what, max);
	*out = (int)n;
	if (*v)
		*set = true;
	return 0;
}

int cpusched_parse_priority(struct cpusched *s, const char *v, char *why, size_t whylen)
{
	return priority(v, 99, realtime(s->policy) ? 1 : 0, "a priority", &s->priority, &s->sched_set, why, whylen);
}

int cpusched_parse_reset_on_fork(struct cpusched *s, bool v)
{
	s->reset_on_fork = v;
	s->sched_set = true;
	return 0;
}

int cpusched_parse_io_class(struct cpusched *s, const char *v, char *why, size_t whylen)
{
	static const char *const names[] = { "none", "realtime", "best-effort", "idle" };
	if (*v == '\0') {
		s->io_set = false;
		s->io_class = IOPRIO_CLASS_BE;
		s->io_priority = 4;
		return 0;
	}
	long c = number(v, 3);
	for (int i = 0; i < 4; i++)
		if (!strcmp(v, names[i]))
			c = i;
	if (c < 0)
		return why_fail(why, whylen, "'%s' is not an I/O class (none, realtime, best-effort or idle)", v);
	if (c == IOPRIO_CLASS_NONE) { /* what "none" means: systemd's ioprio_normalize */
		s->io_class = IOPRIO_CLASS_BE;
		s->io_priority = 4;
	} else {
		s->io_class = (int)c;
	}
	s->io_set = true;
	return 0;
}

int cpusched_parse_io_priority(struct cpusched *s, const char *v, char *why, size_t whylen)
{
	return priority(v, 7, 4, "an I/O priority", &s->io_priority, &s->io_set, why, whylen);
}

bool cpusched_any(const struct cpusched *s)
{
	return s->affinity_set || s->sched_set || s->io_set;
}

int cpusched_apply(const struct cpusched *s)
{
	if (s->affinity_set && syscall(SYS_sched_setaffinity, 0, s->ncpu_words * sizeof(uint64_t), s->cpus) < 0)
		return -errno;
	if (s->sched_set) {
		struct sched_param p = { .sched_priority = s->priority };
		if (syscall(SYS_sched_setscheduler, 0, s->policy | (s->reset_on_fork ? SCHED_RESET_ON_FORK : 0), &p) < 0)
			return -errno;
	}
	if (s->io_set &&
	    syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, s->io_class << IOPRIO_CLASS_SHIFT | s->io_priority) < 0)
		return -errno;
	return 0;
}
