/*
 * cpusched.h - where and how a service's processes are scheduled:
 * CPUAffinity=, CPUSchedulingPolicy=, CPUSchedulingPriority=,
 * CPUSchedulingResetOnFork=, IOSchedulingClass=, IOSchedulingPriority=,
 * parsed as systemd parses them and applied in the child before its
 * user changes (a real-time policy needs the daemon's privileges).
 */
#ifndef SUPD_CPUSCHED_H
#define SUPD_CPUSCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* systemd's CPU_SET_MAX: an index past it is refused. */
#define CPUSCHED_MAX_CPU 8191
#define CPUSCHED_WORDS ((CPUSCHED_MAX_CPU + 1) / 64)

struct cpusched {
	bool affinity_set;
	size_t ncpu_words;          /* words of cpus in use (up to the highest CPU given) */
	uint64_t cpus[CPUSCHED_WORDS]; /* CPUAffinity=, bit N for CPU N */
	bool sched_set;             /* any CPUScheduling*= given */
	int policy;                 /* SCHED_OTHER ... SCHED_IDLE */
	int priority;               /* 0, or 1..99 for fifo and rr */
	bool reset_on_fork;
	bool io_set;
	int io_class;               /* IOPRIO_CLASS_RT, _BE, _IDLE */
	int io_priority;            /* 0..7 */
};

/* Each returns 0 or -EINVAL with why filled. Empty resets the setting. */
int cpusched_parse_affinity(struct cpusched *s, const char *v, char *why, size_t whylen);
int cpusched_parse_policy(struct cpusched *s, const char *v, char *why, size_t whylen);
int cpusched_parse_priority(struct cpusched *s, const char *v, char *why, size_t whylen);
int cpusched_parse_reset_on_fork(struct cpusched *s, bool v);
int cpusched_parse_io_class(struct cpusched *s, const char *v, char *why, size_t whylen);
int cpusched_parse_io_priority(struct cpusched *s, const char *v, char *why, size_t whylen);

/* Whether any setting is given (else the struct need not be kept). */
bool cpusched_any(const struct cpusched *s);

/* In the child: raw system calls only, no allocation. 0 or -errno. */
int cpusched_apply(const struct cpusched *s);

#endif
