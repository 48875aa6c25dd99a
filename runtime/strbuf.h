/*
 * strbuf.h - a growable byte buffer (output buffering, sprintf results,
 * -p1/-p3 dumps).  The data is always NUL-terminated after len bytes.
 */
#ifndef PYTAP_STRBUF_H
#define PYTAP_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
	char *buf;		/* NULL until the first append */
	size_t len;
	size_t cap;
};

#define STRBUF_INIT { NULL, 0, 0 }

void sb_append(struct strbuf *sb, const char *s, size_t n);
void sb_puts(struct strbuf *sb, const char *s);
void sb_putc(struct strbuf *sb, char c);
void sb_printf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void sb_vprintf(struct strbuf *sb, const char *fmt, va_list ap);
void sb_reset(struct strbuf *sb);	/* len = 0, keeps the memory */
void sb_free(struct strbuf *sb);
/* Detach the buffer (caller frees); sb is empty afterwards. */
char *sb_steal(struct strbuf *sb);
/* The contents ("" when empty, never NULL). */
const char *sb_str(const struct strbuf *sb);

#endif
