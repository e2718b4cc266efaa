/*
 * caps.c - see caps.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "caps.h"

/* Index = capability number (linux/capability.h). */
static const char *const names[] = {
	"CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
	"SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
	"IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
	"SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD",
	"LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG",
	"WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
};
#define N_NAMES (int)(sizeof names / sizeof names[0])

uint64_t caps_all(void)
{
	return N_NAMES >= 64 ? UINT64_MAX : (UINT64_C(1) << N_NAMES) - 1;
}

int caps_from_name(const char *w)
{
	if (w[0] >= '0' && w[0] <= '9') {
		char *end;
		long n = strtol(w, &end, 10);
		return *end == '\0' && n >= 0 && n < 64 ? (int)n : -1;
	}
	if (!strncasecmp(w, "CAP_", 4))
		w += 4;
	for (int i = 0; i < N_NAMES; i++)
		if (!strcasecmp(w, names[i]))
			return i;
	return -1;
}

void caps_assign(const char *v, uint64_t *set, bool *is_set, char *bad, size_t badlen)
{
	bad[0] = '\0';
	while (*v == ' ' || *v == '\t')
		v++;
	bool invert = *v == '~';
	if (invert)
		v++;
	uint64_t sum = 0;
	bool any = false;
	const char *p = v;
	while (*p) {
		while (*p == ' ' || *p == '\t')
			p++;
		size_t n = strcspn(p, " \t");
		if (n == 0)
			break;
		char word[64];
		snprintf(word, sizeof word, "%.*s", (int)(n < sizeof word ? n : sizeof word - 1), p);
		int c = n < sizeof word ? caps_from_name(word) : -1;
		if (c < 0) {
			if (!bad[0])
				snprintf(bad, badlen, "%.*s", (int)n, p);
		} else {
			sum |= UINT64_C(1) << c;
		}
		any = true;
		p += n;
	}
	if (!any) {
		/* "" empties the set, "~" fills it; earlier lines are forgotten. */
		*set = invert ? caps_all() : 0;
		*is_set = true;
		return;
	}
	if (invert)
		sum = caps_all() & ~sum;
	if (!*is_set)
		*set = sum;
	else if (invert)
		*set &= sum;
	else
		*set |= sum;
	*is_set = true;
}
