/*
 * strbuf.h - a growable byte buffer (output buffering, sprintf results,
 * -p1/-p3 dumps).  The data is always NUL-terminated after len bytes; it
 * may also contain NUL bytes of its own (printf's %b, %m, %05s write them).
 *
 * Memory exhaustion is fatal: the functions print "pytap: out of memory"
 * and abort, so callers never check for it.
 */
#ifndef PYTAP_STRBUF_H
#define PYTAP_STRBUF_H

#include <stdarg.h>
#include <stdbool.h>
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

/* Append N copies of C. */
void sb_pad(struct strbuf *sb, char c, size_t n);
/* Cut the contents to LEN bytes (no-op if already shorter). */
void sb_truncate(struct strbuf *sb, size_t len);
/* When what follows BASE is longer than MAX bytes: cut it to end in "..."
   within MAX, never inside a UTF-8 sequence. */
void sb_cut_ellipsis(struct strbuf *sb, size_t base, size_t max);
/* S (N bytes) as a C string literal in double quotes.  Not ASCII (as
   stap -p1): the named escapes \" \\ \n \t \r \a \b \v \f, other control
   bytes and 0x7f in octal (\033), bytes from 0x80 up as they are (UTF-8
   stays readable).  ASCII (as the -p3 disassembler): only \" \\ \n \t \r
   named, every other byte outside 0x20..0x7e in octal. */
void sb_put_cstring(struct strbuf *sb, const char *s, size_t n, bool ascii);
/* Make room for N more bytes without changing len. */
void sb_reserve(struct strbuf *sb, size_t n);

#endif
