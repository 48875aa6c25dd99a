/*
 * diag.c - compile-time diagnostics (see diag.h for the format).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

void diag_init(struct diag *d, FILE *out)
{
	memset(d, 0, sizeof *d);
	d->out = out ? out : stderr;
	d->max_errors = 0;	/* 0: report every error */
}

/* Whether the message just before was printed (for diag_note). */
static bool last_shown = true;

/* Print the source line holding LOC and a caret line under the token. */
static void show_source(FILE *out, const struct loc *loc)
{
	const struct source *src = loc->src;
	if (!src || !src->text)
		return;
	size_t len = src->len;
	size_t off = loc->off < 0 ? 0 : (size_t)loc->off;
	if (off > len)
		off = len;
	size_t start = off;
	while (start > 0 && src->text[start - 1] != '\n')
		start--;
	size_t end = off;
	while (end < len && src->text[end] != '\n')
		end++;
	/* A token at the very end of a file that ends in a newline: show
	 * the last line rather than an empty one. */
	if (start == end && off == len && start > 0) {
		end = start - 1;
		start = end;
		while (start > 0 && src->text[start - 1] != '\n')
			start--;
		off = end;
	}
	const char *line = src->text + start;
	size_t linelen = end - start;
	if (linelen && line[linelen - 1] == '\r')
		linelen--;

	fputs("    ", out);
	fwrite(line, 1, linelen, out);
	fputc('\n', out);

	fputs("    ", out);
	size_t col = off - start;
	for (size_t i = 0; i < col && i < linelen; i++) {
		unsigned char c = (unsigned char)line[i];
		if (c == '\t')
			fputc('\t', out);
		else if ((c & 0xC0) == 0x80)
			;	/* UTF-8 continuation byte: no column */
		else
			fputc(' ', out);
	}
	if (col > linelen)
		for (size_t i = linelen; i < col; i++)
			fputc(' ', out);
	fputc('^', out);
	size_t n = loc->len > 1 ? (size_t)loc->len : 1;
	for (size_t i = col + 1; i < col + n && i < linelen; i++) {
		if (((unsigned char)line[i] & 0xC0) != 0x80)
			fputc('~', out);
	}
	fputc('\n', out);
}

void diag_verror(struct diag *d, const char *kind, const struct loc *loc,
		 const char *fmt, va_list ap)
{
	bool is_note = strcmp(kind, "note") == 0;
	bool is_warning = strcmp(kind, "warning") == 0;

	if (is_note) {
		if (!last_shown)
			return;
	} else if (is_warning) {
		if (d->no_warnings) {	/* -w wins over -W, as in stap */
			last_shown = false;
			return;
		}
		if (d->werror) {
			d->nerrors++;
			kind = "error";
		} else {
			d->nwarnings++;
		}
		if (d->werror && d->max_errors > 0 &&
		    d->nerrors > d->max_errors) {
			last_shown = false;
			return;
		}
	} else {
		d->nerrors++;
		if (d->max_errors > 0 && d->nerrors > d->max_errors) {
			last_shown = false;
			return;
		}
	}
	last_shown = true;

	FILE *out = d->out ? d->out : stderr;
	if (loc && loc->src && loc->src->name)
		fprintf(out, "%s:%d:%d: %s: ", loc->src->name, loc->line,
			loc->col, kind);
	else
		fprintf(out, "pytap: %s: ", kind);
	vfprintf(out, fmt, ap);
	fputc('\n', out);
	if (loc && loc->src && loc->line > 0)
		show_source(out, loc);
	fflush(out);
}

/* diag_error(), diag_warning(), diag_note(): diag_verror of one kind. */
#define DIAG_KIND(fn, kind)                                             \
	void fn(struct diag *d, const struct loc *loc, const char *fmt, ...) \
	{                                                               \
		va_list ap;                                             \
		va_start(ap, fmt);                                      \
		diag_verror(d, kind, loc, fmt, ap);                     \
		va_end(ap);                                             \
	}
DIAG_KIND(diag_error, "error")
DIAG_KIND(diag_warning, "warning")
DIAG_KIND(diag_note, "note")

void diag_summary(const struct diag *d)
{
	if (d->nerrors <= 0)
		return;
	FILE *out = d->out ? d->out : stderr;
	fprintf(out, "pytap: %d compile error%s\n", d->nerrors,
		d->nerrors == 1 ? "" : "s");
	fflush(out);
}

int diag_distance(const char *a, const char *b)
{
	/* Levenshtein distance over bytes, two rows. */
	size_t la = strlen(a), lb = strlen(b);
	int *prev = malloc(sizeof(int) * (lb + 1));
	int *cur = malloc(sizeof(int) * (lb + 1));
	if (!prev || !cur) {
		free(prev);
		free(cur);
		return (int)(la > lb ? la : lb);
	}
	for (size_t j = 0; j <= lb; j++)
		prev[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int cost = a[i - 1] == b[j - 1] ? 0 : 1;
			int v = prev[j - 1] + cost;
			if (prev[j] + 1 < v)
				v = prev[j] + 1;
			if (cur[j - 1] + 1 < v)
				v = cur[j - 1] + 1;
			cur[j] = v;
		}
		int *t = prev;
		prev = cur;
		cur = t;
	}
	int r = prev[lb];
	free(prev);
	free(cur);
	return r;
}

void diag_suggest_init(struct diag_suggest *s, const char *want)
{
	s->want = want;
	s->best = NULL;
	s->bestd = 3;
}

void diag_suggest_try(struct diag_suggest *s, const char *cand)
{
	int d;

	if (!cand || !*cand || strcmp(cand, s->want) == 0)
		return;
	d = diag_distance(s->want, cand);
	if (d < s->bestd && (size_t)d < strlen(s->want) &&
	    (size_t)d < strlen(cand)) {
		s->bestd = d;
		s->best = cand;
	}
}

void diag_locate(struct loc *loc, const struct source *src, int line,
		 int col, const char *near)
{
	const char *q = near ? strchr(near, '\'') : NULL;
	size_t off = 0;

	memset(loc, 0, sizeof(*loc));
	if (src == NULL || src->text == NULL || line < 1 || col < 1)
		return;
	for (int l = 1; l < line && off < src->len; off++)
		if (src->text[off] == '\n')
			l++;
	off += (size_t)col - 1;
	if (off > src->len)
		return;
	loc->src = src;
	loc->line = line;
	loc->col = col;
	loc->off = (int)off;
	loc->len = q && strrchr(q + 1, '\'') ?
		   (int)(strrchr(q + 1, '\'') - q - 1) : 1;
}
