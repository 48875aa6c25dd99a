/*
 * diag.h - compile-time diagnostics: "file:line:col: error: message", the
 * source line, and a caret line under the offending token, GNU style:
 *
 *   input.pytap:1:15: error: unknown function 'prinf' (did you mean 'printf'?)
 *       probe begin { prinf("%d\n", 1) }
 *                     ^~~~~
 *
 * The source line is printed indented by four spaces with tabs kept, and
 * the caret line reproduces the tabs so the caret lines up.  The caret is
 * '^' followed by '~' for the rest of the token (loc->len bytes, at least
 * one, never past the end of the line).
 */
#ifndef PYTAP_DIAG_H
#define PYTAP_DIAG_H

#include <stdarg.h>
#include <stdio.h>

#include "ast.h"

#ifndef ATTRIBUTE_FORMAT
#define ATTRIBUTE_FORMAT(a, b) __attribute__((format(printf, a, b)))
#endif

struct diag {
	FILE *out;		/* stderr normally */
	int nerrors;
	int nwarnings;
	int max_errors;		/* stop reporting (not counting) past this */
	bool no_warnings;	/* -w */
	bool werror;		/* -W: warnings count as errors */
};

void diag_init(struct diag *d, FILE *out);

/* LOC may be NULL (no position: "pytap: error: ..."). */
void diag_error(struct diag *d, const struct loc *loc, const char *fmt, ...)
	ATTRIBUTE_FORMAT(3, 4);
void diag_warning(struct diag *d, const struct loc *loc, const char *fmt, ...)
	ATTRIBUTE_FORMAT(3, 4);
/* A note attached to the previous message ("note: alias defined here"). */
void diag_note(struct diag *d, const struct loc *loc, const char *fmt, ...)
	ATTRIBUTE_FORMAT(3, 4);
void diag_verror(struct diag *d, const char *kind, const struct loc *loc,
		 const char *fmt, va_list ap);

/* LOC for line LINE, column COL of SRC (NULL: none), its length that of
 * the token quoted in NEAR ("identifier '$arg1'"), else 1: for places
 * known by line and column alone (the bytecode's locations). */
void diag_locate(struct loc *loc, const struct source *src, int line,
		 int col, const char *near);

/* "pytap: N compile error(s)" on d->out when there were errors. */
void diag_summary(const struct diag *d);

/* Edit distance for "did you mean" (case-sensitive, bytes). */
int diag_distance(const char *a, const char *b);

/* "did you mean": offer each candidate with diag_suggest_try; best is the
 * closest one within two edits that is not all edits (a one-letter `x`
 * never suggests `y`), NULL if none.  Ties keep the first offered. */
struct diag_suggest {
	const char *want;
	const char *best;
	int bestd;
};
void diag_suggest_init(struct diag_suggest *s, const char *want);
void diag_suggest_try(struct diag_suggest *s, const char *cand);

#endif
