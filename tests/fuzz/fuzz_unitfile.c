/*
 * fuzz_unitfile.c - conf_load_text() on arbitrary text, read once as a
 * service and once as a socket unit.
 *
 * The text is handed over in a buffer of exactly its size, with no NUL
 * after it, as conf_load_file() may: any read past `len` is an ASan error.
 * Success or failure, conf_free() must release everything (LeakSanitizer),
 * and a failed load must leave the struct empty.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

/* Touch every byte of a diagnostic, so that an unterminated one shows. */
static void diag(void *ctx, int is_error, const char *where, const char *msg)
{
	size_t *total = ctx;

	*total += strlen(where) + strlen(msg);
}

static void load(const char *name, const uint8_t *data, size_t size)
{
	struct unit_conf c;
	char err[512];
	size_t total = 0;
	char *text = malloc(size ? size : 1);

	if (!text)
		return;
	memcpy(text, data, size);
	int r = conf_load_text(name, "/fuzz/unit", text, size, &c, err, sizeof(err), diag, &total);
	if (r < 0 && (c.name || c.path))
		abort(); /* a failed load leaves nothing behind */
	if (r == 0 && (!c.name || !c.path))
		abort();
	(void)strlen(err);
	conf_free(&c);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	load("fuzz.service", data, size);
	load("fuzz.socket", data, size);
	return 0;
}
