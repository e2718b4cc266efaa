/*
 * fuzz_exec.c - ExecStart= word splitting: conf_parse_exec() and the word
 * extractor Environment= uses (conf_extract_word).
 *
 * Checks beyond ASan/UBSan/LSan: a parsed command has a path, an argv of
 * argc entries ending in NULL, and no word longer than the input (escapes
 * never grow text).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf_priv.h"

static void check_cmd(const struct exec_cmd *cmd, size_t inlen)
{
	if (!cmd->path || !cmd->argv || cmd->argc == 0 || cmd->argv[cmd->argc])
		abort();
	if (strlen(cmd->path) > inlen)
		abort();
	for (size_t i = 0; i < cmd->argc; i++) {
		if (!cmd->argv[i] || strlen(cmd->argv[i]) > inlen)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct exec_cmd cmd;
	char err[256];
	char *s = malloc(size + 1);
	const char *p;
	char *w;
	int r;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	r = conf_parse_exec(s, &cmd, err, sizeof(err));
	if (r == 0)
		check_cmd(&cmd, size);
	else if (cmd.path || cmd.argv || cmd.argc)
		abort(); /* a failure leaves cmd empty */
	(void)strlen(err);
	conf_exec_free(&cmd);
	conf_exec_free(&cmd); /* freeing twice is allowed: the first one clears */

	p = s;
	while ((r = conf_extract_word(&p, &w, err, sizeof(err))) > 0) {
		if (strlen(w) > size || p < s || p > s + size)
			abort();
		free(w);
	}
	free(s);
	return 0;
}
