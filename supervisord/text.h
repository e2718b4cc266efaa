/*
 * text.h - short optional strings a unit keeps (why it failed, STATUS=):
 * NULL means empty, so the thousands of units that have none cost a
 * pointer each instead of a fixed buffer. text_setf formats into a bounded
 * buffer first, so the old value may be one of its arguments.
 */
#ifndef SUPD_TEXT_H
#define SUPD_TEXT_H

#include <stddef.h>

/* The string, "" when none. */
static inline const char *text_str(const char *t)
{
	return t ? t : "";
}

/* Replace *t with the formatted string, cut to max - 1 bytes (max <= 4096);
 * an empty result frees it. Out of memory leaves it empty. */
void text_setf(char **t, size_t max, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void text_clear(char **t);

#endif
