/*
 * fuzz_state_codec.c - the re-exec state reader: si_open() and si_next()
 * over a whole document, and the number parsers state_read.c applies to
 * the values.
 *
 * Each input is tried twice: as it is (si_open must refuse nearly all of
 * it, on the checksum), and as a body to which the harness appends a
 * correct "checksum" line, so that the line reader sees what a
 * checksum-valid but hostile or buggy writer could hand it.
 *
 * Oracle beyond the sanitizers: the records read back from a document are
 * written again with so_put() and read a second time; both readings must
 * give the same keys and values (state.h promises the round trip).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state_codec.h"

#define MAX_RECORDS 4096

struct rec {
	char key[32];
	char *val;
	size_t len;
};

/* Read every record of p; returns the count (the reader stops at the first
 * malformed line), or -1 if si_open refused the document. */
static long read_doc(const char *p, size_t len, unsigned *format, struct rec *recs)
{
	struct state_in in;
	char err[256];
	uint64_t u;
	int64_t i;
	long n = 0;
	int r;

	if (si_open(&in, p, len, format, err, sizeof(err)) < 0) {
		(void)strlen(err);
		si_close(&in);
		return -1;
	}
	while ((r = si_next(&in)) > 0) {
		if (strlen(in.key) == 0 || in.val[in.val_len] != '\0')
			abort();
		(void)state_parse_u64(in.val, UINT64_MAX, &u);
		(void)state_parse_i64(in.val, INT64_MIN, INT64_MAX, &i);
		if (recs && n < MAX_RECORDS) {
			memcpy(recs[n].key, in.key, sizeof(recs[n].key));
			recs[n].val = malloc(in.val_len + 1);
			if (!recs[n].val)
				abort();
			memcpy(recs[n].val, in.val, in.val_len + 1);
			recs[n].len = in.val_len;
			n++;
		}
		if (in.pos > in.body_end)
			abort();
	}
	si_close(&in);
	return n;
}

static void free_recs(struct rec *recs, long n)
{
	for (long i = 0; i < n; i++)
		free(recs[i].val);
}

/* Write recs as a document and check it reads back the same. */
static void roundtrip(unsigned format, const struct rec *recs, long n)
{
	static struct rec again[MAX_RECORDS];
	struct state_out o;
	unsigned format2 = 0;
	long n2;

	so_init(&o);
	o.format = format;
	so_fmt(&o, "supervisord-state", "%u", format);
	for (long i = 0; i < n; i++)
		so_put(&o, recs[i].key, recs[i].val, recs[i].len);
	so_finish(&o);
	if (o.err) {
		so_free(&o);
		return;
	}
	n2 = read_doc(o.buf, o.len, &format2, again);
	if (n2 != n || format2 != format)
		abort();
	for (long i = 0; i < n; i++) {
		if (strcmp(recs[i].key, again[i].key) != 0 || recs[i].len != again[i].len ||
		    memcmp(recs[i].val, again[i].val, recs[i].len) != 0)
			abort();
	}
	free_recs(again, n2);
	so_free(&o);
}

/* The format number a header would give (its checksum depends on it). */
static unsigned header_format(const char *doc, size_t size)
{
	static const char pre[] = "supervisord-state ";
	unsigned f = 0;
	if (size < sizeof pre || memcmp(doc, pre, sizeof pre - 1) != 0)
		return 1;
	for (size_t i = sizeof pre - 1; i < size && doc[i] >= '0' && doc[i] <= '9' && f < 1000000; i++)
		f = f * 10 + (unsigned)(doc[i] - '0');
	return f;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rec recs[MAX_RECORDS];
	unsigned format = 0;
	char *doc;
	long n;

	/* As given, in a buffer of exactly its size. */
	doc = malloc(size ? size : 1);
	if (!doc)
		return 0;
	memcpy(doc, data, size);
	n = read_doc(doc, size, &format, NULL);
	free(doc);

	/* With a valid checksum line appended. */
	doc = malloc(size + 32);
	if (!doc)
		return 0;
	memcpy(doc, data, size);
	int k = snprintf(doc + size, 32, "checksum %016" PRIx64 "\n", state_checksum(header_format(doc, size), doc, size));
	n = read_doc(doc, size + (size_t)k, &format, recs);
	if (n >= 0 && n < MAX_RECORDS)
		roundtrip(format, recs, n);
	if (n > 0)
		free_recs(recs, n);
	free(doc);
	return 0;
}
