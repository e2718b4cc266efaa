/*
 * text.c - see text.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

#define TEXT_MAX 4096

void text_clear(char **t)
{
	free(*t);
	*t = NULL;
}

void text_setf(char **t, size_t max, const char *fmt, ...)
{
	char buf[TEXT_MAX];
	va_list ap;
	if (max > sizeof buf)
		max = sizeof buf;
	va_start(ap, fmt);
	int n = vsnprintf(buf, max, fmt, ap);
	va_end(ap);
	text_clear(t);
	if (n > 0 && buf[0])
		*t = strdup(buf);
}
