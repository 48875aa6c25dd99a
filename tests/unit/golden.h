/*
 * golden.h - access to SystemTap's golden output files in
 * ../shared/conformance for the unit tests (they are read in place, never
 * copied into this repository).
 */
#ifndef PYTAP_TESTS_GOLDEN_H
#define PYTAP_TESTS_GOLDEN_H

#include <stddef.h>

struct strbuf;

/* The conformance folder ($PYTAP_CONFORMANCE, $top_srcdir/../shared/...,
 * or ../shared/... up to three levels up), or NULL if there is none. */
const char *golden_dir(void);

/* DIR/NAME read whole (NUL-terminated, length in *LEN; caller frees), or
 * NULL if it cannot be read. */
char *golden_slurp(const char *dir, const char *name, size_t *len);

/* golden_dir(), or NULL after a skip (a failure under CI=true). */
const char *golden_dir_or_skip(void);

/* GOT is byte for byte the golden file DIR/NAME (a skip if it is
 * missing, a failure under CI=true). */
void golden_check(const char *dir, const char *name,
		  const struct strbuf *got);

#endif
