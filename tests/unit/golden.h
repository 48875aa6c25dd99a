/*
 * golden.h - access to SystemTap's golden output files in
 * ../shared/conformance for the unit tests (they are read in place, never
 * copied into this repository).
 */
#ifndef PYTAP_TESTS_GOLDEN_H
#define PYTAP_TESTS_GOLDEN_H

#include <stddef.h>

/* The conformance folder ($PYTAP_CONFORMANCE, $top_srcdir/../shared/...,
 * or ../shared/... up to three levels up), or NULL if there is none. */
const char *golden_dir(void);

/* DIR/NAME read whole (NUL-terminated, length in *LEN; caller frees), or
 * NULL if it cannot be read. */
char *golden_slurp(const char *dir, const char *name, size_t *len);

#endif
