/*
 * check.h - what the unit test programs share: counted checks that print
 * "FAIL what: ..." on a mismatch, skips that fail under CI=true, and the
 * closing "N passed, N failed" line with automake's exit status.
 */
#ifndef PYTAP_TESTS_CHECK_H
#define PYTAP_TESTS_CHECK_H

#include <stddef.h>

struct strbuf;

extern int check_passed, check_failed;

/* GOT == EXP. */
void check_int(const char *what, long long got, long long exp);

/* The GOTLEN bytes at GOT are the EXPLEN bytes at EXP; a mismatch shows
 * the first differing byte and both texts, escaped (up to 2000 bytes). */
void check_str(const char *what, const char *got, size_t gotlen,
	       const char *exp, size_t explen);

/* SB holds exactly the NUL-terminated EXP. */
void check_sb(const char *what, const struct strbuf *sb, const char *exp);

/* A failure found by the caller: "FAIL " and the message. */
void check_fail(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* Something could not be checked here (no data, no permission): "skip "
 * and the message; under CI=true a skip is a failure ("FAIL (CI=true)").
 * Returns true when it was counted as a failure. */
int check_skip(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* CI=true in the environment: the run must not skip anything. */
int check_ci(void);

/* Prints "N passed, N failed"; the exit status: 0 all passed, 1 not. */
int check_done(void);

/* COND, or a failure "FAIL file:line: ..." on stderr. */
#define CHECK(cond, ...) \
	check_at(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
/* The string GOT (may be NULL) is WANT. */
#define CHECK_STR(got, want) \
	check_str_at((got), (want), __FILE__, __LINE__)

void check_at(int ok, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void check_str_at(const char *got, const char *want, const char *file,
		  int line);

#endif
