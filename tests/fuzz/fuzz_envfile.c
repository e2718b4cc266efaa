/*
 * fuzz_envfile.c - envfile_parse(), the reader of EnvironmentFile= files.
 *
 * Every assignment it hands out is NAME=VALUE with a shell name before the
 * first '=', and a parse can only fail for lack of memory.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "envfile.h"

static int check(void *ctx, char *assign)
{
	(void)ctx;
	size_t n = strcspn(assign, "=");
	if (assign[n] != '=' || n == 0 || (assign[0] >= '0' && assign[0] <= '9'))
		abort();
	for (size_t i = 0; i < n; i++) {
		char c = assign[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
			abort();
	}
	free(assign);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned skipped;
	int r = envfile_parse((const char *)data, size, check, NULL, &skipped);
	if (r < 0 && r != -ENOMEM)
		abort();
	return 0;
}
