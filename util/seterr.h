/*
 * seterr.h - the one way pytap's modules report an error to a caller that
 * passed a message buffer (char *err, size_t errlen): the message is
 * formatted into it, cut to fit.  A NULL buffer or a zero length leaves
 * nothing to do.
 */
#ifndef PYTAP_SETERR_H
#define PYTAP_SETERR_H

#include <stddef.h>

void seterr(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
