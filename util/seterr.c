/*
 * seterr.c - an error message into the caller's buffer (seterr.h).
 */
#include <stdarg.h>
#include <stdio.h>

#include "seterr.h"

void seterr(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}
