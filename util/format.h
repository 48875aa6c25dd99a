/*
 * format.h - SystemTap's printf format language: parsing (for the
 * compiler's checks and the VM's load step) and rendering (printf,
 * sprintf).  Self-contained: it knows nothing of the VM or of processes;
 * memory dumps (%m, %M) read through a callback.
 *
 * Grammar (SystemTap's print_format::string_to_components):
 *	%[flag][width][.prec][l]conv
 * with at most ONE flag of "- + space # 0", width digits or '*', precision
 * '.' followed by digits or '*', one optional 'l' (ignored), and conv one
 * of "d i u o x X p c s b m M".  "%%" is a literal '%'.  A format that ends
 * in "%", "%l", "%." or "%.l" with nothing else set is silently cut there,
 * as stap 4.8 does (a lone trailing '%' is an error, though).
 *
 * Rendering follows the code stap 4.8 generates for printf/sprintf (its
 * runtime's number(), _stp_vsprint_char/_memory/_binary): 64-bit numbers;
 * %p is %#x; %#o and %#x always prefix "0"/"0x", even for 0; '*' widths
 * and precisions are cut to int and clamped to [0, room left] (so a
 * negative '*' width does NOT left-justify); %05s appends a NUL byte;
 * %c takes the low byte, %#c escapes it like C; %b writes the raw
 * native-endian bytes.
 */
#ifndef PYTAP_FORMAT_H
#define PYTAP_FORMAT_H

#include <stddef.h>
#include <stdint.h>

struct strbuf;

/* SystemTap's limits that printing depends on. */
#define FMT_BUFFER_SIZE	8192	/* STP_BUFFER_SIZE: printf output */
#define FMT_MAX_DUMP	4096	/* PAGE_SIZE: longest %m/%M */

enum fmt_conv {
	FMT_LITERAL = 0,	/* no conversion: only the literal text */
	FMT_NUMBER,		/* d i u o x X */
	FMT_POINTER,		/* p */
	FMT_CHAR,		/* c */
	FMT_STRING,		/* s */
	FMT_BINARY,		/* b */
	FMT_MEMORY,		/* m */
	FMT_MEMHEX,		/* M */
};

/* Flag bits (the values of SystemTap's enum print_flag). */
#define FMT_ZEROPAD	0x01
#define FMT_SIGN	0x02	/* d, i */
#define FMT_PLUS	0x04
#define FMT_SPACE	0x08
#define FMT_LEFT	0x10
#define FMT_SPECIAL	0x20	/* '#'; always set for p */
#define FMT_LARGE	0x40	/* X */

/* Width and precision values besides ">= 0". */
#define FMT_UNSPEC	(-1)	/* not given */
#define FMT_STAR	(-2)	/* '*': from the next (long) argument */

/* Argument types (the same numbers as bytecode.h's BT_LONG/BT_STRING). */
enum fmt_argtype { FMT_ARG_LONG = 1, FMT_ARG_STRING = 2 };

/*
 * One directive: the literal text before it, then one conversion (or
 * none: FMT_LITERAL, for text after the last conversion).
 */
struct fmt_dir {
	uint32_t lit_off;	/* literal text: f->text[lit_off..+lit_len) */
	uint32_t lit_len;	/* ('%%' already turned into '%') */
	uint32_t src_off;	/* byte offset of the '%' in the source */
	uint8_t conv;		/* enum fmt_conv */
	uint8_t flags;		/* FMT_* flag bits */
	uint8_t base;		/* 8, 10, 16 for FMT_NUMBER/FMT_POINTER */
	char spec;		/* the conversion letter as written */
	int32_t width;		/* >= 0, FMT_UNSPEC or FMT_STAR */
	int32_t prec;		/* >= 0, FMT_UNSPEC or FMT_STAR */
};

/* A parsed format.  Owns text, dirs and argtypes (fmt_free). */
struct fmt {
	char *text;		/* all literal text, concatenated */
	struct fmt_dir *dirs;
	size_t ndirs;
	uint8_t *argtypes;	/* enum fmt_argtype of each argument, in
				   order ('*' takes a long before its
				   conversion's own argument) */
	size_t nargs;
	size_t err_off;		/* after a failed fmt_parse: the byte
				   offset of the error in the format */
};

/*
 * Parse LEN bytes of FMT (the string literal's value, escapes already
 * decoded) into OUT.  Returns 0, or -1 with SystemTap's message in ERR
 * ("invalid or missing conversion specifier", "trailing incomplete print
 * format conversion") and the byte offset in OUT->err_off; OUT then owns
 * nothing.  ERR may be NULL.
 */
int fmt_parse(const char *fmt, size_t len, struct fmt *out, char *err,
	      size_t errlen);
void fmt_free(struct fmt *f);

/* One argument: l for FMT_ARG_LONG, s/len for FMT_ARG_STRING (s is read up
 * to len bytes or its first NUL; NULL prints "<NULL>"). */
struct fmt_arg {
	int64_t l;
	const char *s;
	size_t len;
};

/*
 * Read LEN bytes at ADDR for %m/%M into BUF; USER is 1 for the '#' forms
 * (%#m: user memory in SystemTap), else 0.  Returns 0, or -1 if the memory
 * is unreadable (the callback reports its own error through CTX).
 */
typedef int (*fmt_mem_reader)(void *ctx, uint64_t addr, void *buf,
			      size_t len, int user);

/* Return codes of fmt_render. */
#define FMT_OK		0
#define FMT_EFAULT	(-1)	/* the reader failed (or there is none) */
#define FMT_EDUMPSIZE	(-2)	/* a %m/%M length > FMT_MAX_DUMP */
#define FMT_EARGS	(-3)	/* too few arguments for the format */

/*
 * printf: render F with ARGS, appending to OUT, as SystemTap's printf
 * does.  Like the code stap generates, it first adds up the room every
 * conversion needs (at most FMT_BUFFER_SIZE in all), then renders into
 * exactly that room, clamping each width and precision to what is left.
 * Returns FMT_OK or a negative FMT_E* code; on error nothing is appended.
 * RD may be NULL if the format has no %m/%M.
 */
int fmt_render(struct strbuf *out, const struct fmt *f,
	       const struct fmt_arg *args, size_t nargs,
	       fmt_mem_reader rd, void *rdctx);

/* Render into a buffer of LIMIT bytes (> 0), as the generated code does
 * (no sizing pass, no C-string cut: see fmt_sprint for sprintf). */
int fmt_render_n(struct strbuf *out, const struct fmt *f,
		 const struct fmt_arg *args, size_t nargs,
		 fmt_mem_reader rd, void *rdctx, size_t limit);

/*
 * sprintf: render into a C string of MAXLEN bytes, as stap's sprintf does
 * (MAXLEN = MAXSTRINGLEN): at most MAXLEN-1 characters, and cut at the
 * first NUL byte a conversion wrote (%b, %m, %05s).
 */
int fmt_sprint(struct strbuf *out, const struct fmt *f,
	       const struct fmt_arg *args, size_t nargs,
	       fmt_mem_reader rd, void *rdctx, size_t maxlen);

/*
 * The first %m/%M length above FMT_MAX_DUMP, in directive order, or 0.
 * SystemTap checks this before printing anything; its message is
 * "%lld is too many bytes for a memory dump".
 */
int64_t fmt_dump_len_error(const struct fmt *f, const struct fmt_arg *args,
			   size_t nargs);

/*
 * The letter of C's one-letter escape of character C (\a \b \f \n \r \t
 * \v \\, and QUOTE, the quote of the literal being written: '\'' for %#c,
 * '"' for text_str()), or 0 when C has none (an octal or hex escape).
 */
char fmt_escape_letter(int c, char quote);

#endif
