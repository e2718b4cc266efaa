/*
 * fuzz_timespan.c - the scalar value parsers of unit files:
 * conf_parse_timespan() ("1min 30s", "infinity"), and with it
 * conf_parse_bool() and conf_parse_signal(), which see the same text.
 *
 * A timespan that parses is finite unless it is "infinity": the parser
 * must refuse a sum that reaches CONF_USEC_INFINITY rather than wrap.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t usec = 0;
	bool b;
	int sig;
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	if (conf_parse_timespan(s, &usec) == 0 && usec == CONF_USEC_INFINITY &&
	    !strstr(s, "infinity"))
		abort();
	(void)conf_parse_bool(s, &b);
	if (conf_parse_signal(s, &sig) == 0 && (sig <= 0 || sig >= 65))
		abort();
	free(s);
	return 0;
}
