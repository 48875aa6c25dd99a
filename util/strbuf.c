/*
 * strbuf.c - the growable byte buffer of strbuf.h.
 *
 * Invariant: when buf is not NULL, buf[len] == '\0' and len < cap.  The
 * capacity grows geometrically, so appending N bytes one at a time costs
 * O(N) overall.  Running out of memory aborts (see strbuf.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

static void oom(void)
{
	fputs("pytap: out of memory\n", stderr);
	abort();
}

void sb_reserve(struct strbuf *sb, size_t n)
{
	size_t need, cap;
	char *p;

	if (n > (size_t)-1 - sb->len - 1)
		oom();
	need = sb->len + n + 1;
	if (sb->buf != NULL && need <= sb->cap)
		return;
	cap = sb->cap ? sb->cap : 64;
	while (cap < need) {
		if (cap > (size_t)-1 / 2) {
			cap = need;
			break;
		}
		cap *= 2;
	}
	p = realloc(sb->buf, cap);
	if (p == NULL)
		oom();
	if (sb->buf == NULL)
		p[0] = '\0';
	sb->buf = p;
	sb->cap = cap;
}

void sb_append(struct strbuf *sb, const char *s, size_t n)
{
	sb_reserve(sb, n);
	if (n)
		memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void sb_puts(struct strbuf *sb, const char *s)
{
	sb_append(sb, s, strlen(s));
}

void sb_putc(struct strbuf *sb, char c)
{
	sb_reserve(sb, 1);
	sb->buf[sb->len++] = c;
	sb->buf[sb->len] = '\0';
}

void sb_pad(struct strbuf *sb, char c, size_t n)
{
	sb_reserve(sb, n);
	memset(sb->buf + sb->len, c, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void sb_vprintf(struct strbuf *sb, const char *fmt, va_list ap)
{
	va_list aq;
	int n;

	sb_reserve(sb, 64);
	va_copy(aq, ap);
	n = vsnprintf(sb->buf + sb->len, sb->cap - sb->len, fmt, aq);
	va_end(aq);
	if (n < 0) {
		/* an encoding error: keep what was there */
		sb->buf[sb->len] = '\0';
		return;
	}
	if ((size_t)n >= sb->cap - sb->len) {
		sb_reserve(sb, (size_t)n);
		va_copy(aq, ap);
		vsnprintf(sb->buf + sb->len, sb->cap - sb->len, fmt, aq);
		va_end(aq);
	}
	sb->len += (size_t)n;
}

void sb_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sb_vprintf(sb, fmt, ap);
	va_end(ap);
}

void sb_reset(struct strbuf *sb)
{
	sb->len = 0;
	if (sb->buf != NULL)
		sb->buf[0] = '\0';
}

void sb_truncate(struct strbuf *sb, size_t len)
{
	if (len < sb->len) {
		sb->len = len;
		sb->buf[len] = '\0';
	}
}

void sb_cut_ellipsis(struct strbuf *sb, size_t base, size_t max)
{
	size_t keep = max > 3 ? max - 3 : 0;

	if (sb->len <= base || sb->len - base <= max)
		return;
	while (keep > 0 && ((unsigned char)sb->buf[base + keep] & 0xc0) == 0x80)
		keep--;
	sb_truncate(sb, base + keep);
	sb_append(sb, "...", max > 3 ? 3 : max);
}

void sb_free(struct strbuf *sb)
{
	free(sb->buf);
	sb->buf = NULL;
	sb->len = 0;
	sb->cap = 0;
}

char *sb_steal(struct strbuf *sb)
{
	char *p = sb->buf;

	if (p == NULL) {
		p = malloc(1);
		if (p == NULL)
			oom();
		p[0] = '\0';
	}
	sb->buf = NULL;
	sb->len = 0;
	sb->cap = 0;
	return p;
}

const char *sb_str(const struct strbuf *sb)
{
	return sb->buf != NULL ? sb->buf : "";
}

void sb_put_cstring(struct strbuf *sb, const char *s, size_t n, bool ascii)
{
	static const char named[] = "\"\\\n\t\r\a\b\v\f", as[] = "\"\\ntrabvf";

	sb_putc(sb, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *k = c ? strchr(named, c) : NULL;

		if (k && (!ascii || k - named < 5)) {
			sb_putc(sb, '\\');
			sb_putc(sb, as[k - named]);
		} else if (c < 0x20 || c == 0x7f || (ascii && c > 0x7f)) {
			sb_printf(sb, "\\%03o", c);
		} else {
			sb_putc(sb, (char)c);
		}
	}
	sb_putc(sb, '"');
}
