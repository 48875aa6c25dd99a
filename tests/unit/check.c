/*
 * check.c - see check.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "strbuf.h"

int check_passed, check_failed;

void check_int(const char *what, long long got, long long exp)
{
	if (got == exp) {
		check_passed++;
		return;
	}
	check_failed++;
	printf("FAIL %s: got %lld, expected %lld\n", what, got, exp);
}

/* S[0..N) as a C string literal, at most 2000 bytes of it. */
static void show(const char *s, size_t n)
{
	size_t i;

	putchar('"');
	for (i = 0; i < n && i < 2000; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\\' || c == '"')
			printf("\\%c", c);
		else if (c == '\n')
			printf("\\n\"\n  \"");
		else if (c >= 0x20 && c < 0x7f)
			putchar(c);
		else
			printf("\\%03o", c);
	}
	printf(i < n ? "\"...\n" : "\"\n");
}

void check_str(const char *what, const char *got, size_t gotlen,
	       const char *exp, size_t explen)
{
	size_t i;

	if (gotlen == explen && memcmp(got, exp, explen) == 0) {
		check_passed++;
		return;
	}
	check_failed++;
	for (i = 0; i < gotlen && i < explen && got[i] == exp[i]; i++)
		;
	printf("FAIL %s: differs at byte %zu\n  got      ", what, i);
	show(got, gotlen);
	printf("  expected ");
	show(exp, explen);
}

void check_sb(const char *what, const struct strbuf *sb, const char *exp)
{
	check_str(what, sb->buf ? sb->buf : "", sb->len, exp, strlen(exp));
}

void check_fail(const char *fmt, ...)
{
	va_list ap;

	check_failed++;
	printf("FAIL ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

int check_ci(void)
{
	const char *ci = getenv("CI");

	return ci != NULL && strcmp(ci, "true") == 0;
}

int check_skip(const char *fmt, ...)
{
	va_list ap;
	int ci = check_ci();

	if (ci)
		check_failed++;
	printf(ci ? "FAIL (CI=true) skip " : "skip ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	return ci;
}

int check_done(void)
{
	printf("%d passed, %d failed\n", check_passed, check_failed);
	return check_failed ? 1 : 0;
}

void check_at(int ok, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		check_passed++;
		return;
	}
	check_failed++;
	fflush(stdout);
	fprintf(stderr, "FAIL %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void check_str_at(const char *got, const char *want, const char *file,
		  int line)
{
	check_at(got != NULL && strcmp(got, want) == 0, file, line,
		 "got [%s], want [%s]", got ? got : "(null)", want);
}
