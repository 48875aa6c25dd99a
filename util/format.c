/*
 * format.c - SystemTap's printf format language (see format.h).
 *
 * fmt_parse follows stap 4.8's string_to_components; the renderer follows
 * the C that stap 4.8 generates for a printf/sprintf call and the runtime
 * helpers it calls (number(), _stp_vsprint_char, _stp_vsprint_memory,
 * _stp_vsprint_binary in runtime/vsprintf.c).  Their quirks are kept on
 * purpose, because pytap's output must be byte-identical: see the
 * comments at each one.
 *
 * Output limit: SystemTap formats into a buffer of a known size and drops
 * whatever does not fit, conversion by conversion.  struct out models that
 * buffer: nothing is ever written past `limit` bytes.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "strbuf.h"

/* ---------------------------------------------------------------- parse */

static void set_err(char *err, size_t errlen, const char *msg)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", msg);
}

static const char msg_badconv[] = "invalid or missing conversion specifier";
static const char msg_trailing[] =
	"trailing incomplete print format conversion";

/* Growable arrays for the parser. */
struct pbuf {
	struct strbuf text;
	struct fmt_dir *dirs;
	size_t ndirs, capdirs;
	uint8_t *args;
	size_t nargs, capargs;
	bool oom;
};

static void *grow(void *p, size_t *cap, size_t n, size_t size, bool *oom)
{
	size_t ncap;
	void *q;

	if (n < *cap)
		return p;
	ncap = *cap ? *cap * 2 : 8;
	q = realloc(p, ncap * size);
	if (q == NULL) {
		*oom = true;
		return p;
	}
	*cap = ncap;
	return q;
}

static void add_arg(struct pbuf *pb, enum fmt_argtype t)
{
	pb->args = grow(pb->args, &pb->capargs, pb->nargs, 1, &pb->oom);
	if (!pb->oom)
		pb->args[pb->nargs++] = (uint8_t)t;
}

static void add_dir(struct pbuf *pb, struct fmt_dir *d, size_t lit_off)
{
	d->lit_off = (uint32_t)lit_off;
	d->lit_len = (uint32_t)(pb->text.len - lit_off);
	pb->dirs = grow(pb->dirs, &pb->capdirs, pb->ndirs, sizeof *pb->dirs,
			&pb->oom);
	if (!pb->oom)
		pb->dirs[pb->ndirs++] = *d;
}

/* Accumulate a decimal field as stap does: a C int, wrapping. */
static int32_t digits_to_int(const char *s, size_t len, size_t *i)
{
	uint32_t v = 0;

	while (*i < len && s[*i] >= '0' && s[*i] <= '9') {
		v = v * 10u + (uint32_t)(s[*i] - '0');
		(*i)++;
	}
	return (int32_t)v;
}

/* A width or a precision at *I: '*' (FMT_STAR), digits (0 if they wrapped
 * negative), or neither (FMT_UNSPEC, also at the end of FMT). */
static int32_t field(const char *fmt, size_t len, size_t *i)
{
	int32_t v;

	if (*i >= len)
		return FMT_UNSPEC;
	if (fmt[*i] == '*') {
		(*i)++;
		return FMT_STAR;
	}
	if (fmt[*i] < '0' || fmt[*i] > '9')
		return FMT_UNSPEC;
	v = digits_to_int(fmt, len, i);
	return v < 0 ? 0 : v;	/* wrapped: clamps to 0 */
}

/* The conversions stap 4.8 knows: the letter, what it converts, the base
 * of a number, the flags it implies. */
struct conv {
	char spec;
	uint8_t conv, base;
	unsigned flags;
};

static const struct conv convs[] = {
	{ 'b', FMT_BINARY, 0, 0 },
	{ 'c', FMT_CHAR, 0, 0 },
	{ 's', FMT_STRING, 0, 0 },
	{ 'm', FMT_MEMORY, 0, 0 },
	{ 'M', FMT_MEMHEX, 0, 0 },
	{ 'd', FMT_NUMBER, 10, FMT_SIGN },
	{ 'i', FMT_NUMBER, 10, FMT_SIGN },
	{ 'u', FMT_NUMBER, 10, 0 },
	{ 'o', FMT_NUMBER, 8, 0 },
	{ 'X', FMT_NUMBER, 16, FMT_LARGE },
	{ 'x', FMT_NUMBER, 16, 0 },
	{ 'p', FMT_POINTER, 16, FMT_SPECIAL },	/* since stap 1.3, %#x */
};

static const struct conv *conv_spec(char c)
{
	for (size_t k = 0; k < sizeof convs / sizeof convs[0]; k++)
		if (convs[k].spec == c)
			return &convs[k];
	return NULL;
}

int fmt_parse(const char *fmt, size_t len, struct fmt *out, char *err,
	      size_t errlen)
{
	struct pbuf pb;
	struct fmt_dir d;
	const struct conv *cs;
	size_t i = 0, lit_off = 0, err_off = 0;
	const char *msg = NULL;
	bool pending;		/* a conversion was cut short at the end */

	memset(&pb, 0, sizeof pb);
	memset(out, 0, sizeof *out);
	if (len > UINT32_MAX / 2) {
		set_err(err, errlen, "format string too long");
		return -1;
	}

	while (i < len) {
		if (fmt[i] != '%') {
			sb_putc(&pb.text, fmt[i]);
			i++;
			continue;
		}
		if (i + 1 < len && fmt[i + 1] == '%') {
			sb_putc(&pb.text, '%');
			i += 2;
			continue;
		}
		/* stap 4.8 rejects a lone '%' at the very end */
		if (i + 1 == len) {
			msg = msg_badconv;
			err_off = i;
			break;
		}

		memset(&d, 0, sizeof d);
		d.src_off = (uint32_t)i;
		d.width = FMT_UNSPEC;
		d.prec = FMT_UNSPEC;
		i++;
		pending = false;

		/* at most one flag */
		switch (fmt[i]) {
		case '0': d.flags |= FMT_ZEROPAD; i++; break;
		case '+': d.flags |= FMT_PLUS; i++; break;
		case '-': d.flags |= FMT_LEFT; i++; break;
		case ' ': d.flags |= FMT_SPACE; i++; break;
		case '#': d.flags |= FMT_SPECIAL; i++; break;
		default: break;
		}
		/* the end of FMT in any of these: cut (field() reads nothing) */
		d.width = field(fmt, len, &i);
		if (i < len && fmt[i] == '.') {
			i++;
			d.prec = field(fmt, len, &i);
		}
		if (i < len && fmt[i] == 'l')
			i++;
		if (i == len)
			goto cut;

		d.spec = fmt[i];
		cs = conv_spec(fmt[i]);
		if (cs == NULL) {
			msg = msg_badconv;
			err_off = i;
			goto fail;
		}
		d.conv = cs->conv;
		d.base = cs->base;
		d.flags |= cs->flags;
		i++;

		if (d.width == FMT_STAR)
			add_arg(&pb, FMT_ARG_LONG);
		if (d.prec == FMT_STAR)
			add_arg(&pb, FMT_ARG_LONG);
		add_arg(&pb, d.conv == FMT_STRING ? FMT_ARG_STRING :
			FMT_ARG_LONG);
		add_dir(&pb, &d, lit_off);
		lit_off = pb.text.len;
		continue;
cut:
		/*
		 * The format ended inside a conversion.  stap keeps quiet if
		 * nothing but an 'l' or a bare '.' was seen, and complains
		 * otherwise.
		 */
		pending = d.flags != 0 || d.width != FMT_UNSPEC ||
			  d.prec != FMT_UNSPEC;
		if (pending) {
			msg = msg_trailing;
			err_off = len;
			goto fail;
		}
		break;
	}
	if (msg != NULL)
		goto fail;

	if (pb.text.len > lit_off) {
		memset(&d, 0, sizeof d);
		d.conv = FMT_LITERAL;
		d.width = FMT_UNSPEC;
		d.prec = FMT_UNSPEC;
		d.src_off = (uint32_t)len;
		add_dir(&pb, &d, lit_off);
	}
	if (pb.oom) {
		msg = "out of memory";
		goto fail;
	}
	out->text = sb_steal(&pb.text);
	out->dirs = pb.dirs;
	out->ndirs = pb.ndirs;
	out->argtypes = pb.args;
	out->nargs = pb.nargs;
	return 0;

fail:
	set_err(err, errlen, msg);
	sb_free(&pb.text);
	free(pb.dirs);
	free(pb.args);
	memset(out, 0, sizeof *out);
	out->err_off = err_off;
	return -1;
}

void fmt_free(struct fmt *f)
{
	free(f->text);
	free(f->dirs);
	free(f->argtypes);
	memset(f, 0, sizeof *f);
}

/* --------------------------------------------------------------- output */

struct out {
	struct strbuf *sb;
	size_t pos;		/* bytes written by this render */
	size_t limit;		/* never write past this many */
};

static size_t room(const struct out *o)
{
	return o->pos < o->limit ? o->limit - o->pos : 0;
}

static void put(struct out *o, char c)
{
	if (o->pos < o->limit) {
		sb_putc(o->sb, c);
		o->pos++;
	}
}

static void put_n(struct out *o, char c, long n)
{
	size_t k;

	if (n <= 0)
		return;
	k = (size_t)n;
	if (k > room(o))
		k = room(o);
	sb_pad(o->sb, c, k);
	o->pos += k;
}

static void put_bytes(struct out *o, const char *p, size_t n)
{
	if (n > room(o))
		n = room(o);
	sb_append(o->sb, p, n);
	o->pos += n;
}

/* clamp_t(int, v, 0, hi) with hi = the room left, as the generated code
 * does for every width and precision. */
static int clamp_field(int64_t v, const struct out *o)
{
	int x = (int)(int32_t)(uint32_t)(uint64_t)v;	/* (int) cast */
	size_t r = room(o);
	int hi = r > INT32_MAX ? INT32_MAX : (int)r;

	if (x < 0)
		x = 0;
	if (x > hi)
		x = hi;
	return x;
}

/*
 * An integer, as the runtime's number() prints it.  SIZE is the field
 * width (-1: none), PREC the minimum number of digits (-1: none).
 */
static void put_number(struct out *o, uint64_t num, int base, int size,
		       int prec, unsigned flags)
{
	const char *digits = (flags & FMT_LARGE) ? "0123456789ABCDEF" :
						    "0123456789abcdef";
	char tmp[66];
	char sign = 0, padc;
	int i = 0;

	if (flags & FMT_LEFT)
		flags &= ~(unsigned)FMT_ZEROPAD;
	padc = (flags & FMT_ZEROPAD) ? '0' : ' ';
	if (flags & FMT_SIGN) {
		if ((int64_t)num < 0) {
			sign = '-';
			num = 0 - num;	/* LONG_MIN stays 2^63 */
			size--;
		} else if (flags & FMT_PLUS) {
			sign = '+';
			size--;
		} else if (flags & FMT_SPACE) {
			sign = ' ';
			size--;
		}
	}
	if (flags & FMT_SPECIAL) {
		if (base == 16)
			size -= 2;
		else if (base == 8)
			size--;
	}
	do {
		tmp[i++] = digits[num % (unsigned)base];
		num /= (unsigned)base;
	} while (num != 0);
	if (i > prec)
		prec = i;
	size -= prec;

	if (!(flags & (FMT_ZEROPAD | FMT_LEFT))) {
		put_n(o, ' ', size);
		size = 0;
	}
	if (sign)
		put(o, sign);
	/* '#' always adds the prefix, even to 0 ("0x0", "00") */
	if (flags & FMT_SPECIAL) {
		if (base == 8) {
			put(o, '0');
		} else if (base == 16) {
			put(o, '0');
			put(o, (flags & FMT_LARGE) ? 'X' : 'x');
		}
	}
	if (!(flags & FMT_LEFT)) {
		put_n(o, padc, size);
		size = 0;
	}
	put_n(o, '0', prec - i);
	while (i-- > 0)
		put(o, tmp[i]);
	put_n(o, ' ', size);
}

char fmt_escape_letter(int c, char quote)
{
	switch (c) {
	case '\a': return 'a';
	case '\b': return 'b';
	case '\f': return 'f';
	case '\n': return 'n';
	case '\r': return 'r';
	case '\t': return 't';
	case '\v': return 'v';
	case '\\': return '\\';
	default: return c == quote ? quote : 0;
	}
}

/* %c: one byte, padded; '#' escapes it the way C source would. */
static void put_char(struct out *o, unsigned char c, int width,
		     unsigned flags)
{
	char esc = 0;
	int size = 1;

	if ((flags & FMT_SPECIAL) &&
	    (c < 0x20 || c > 0x7e || c == '\'' || c == '\\')) {
		esc = fmt_escape_letter(c, '\'');
		size = esc ? 2 : 4;
	}

	if (!(flags & FMT_LEFT))
		put_n(o, ' ', (long)width - size);
	if (size == 1) {
		put(o, (char)c);
	} else {
		put(o, '\\');
		if (esc) {
			put(o, esc);
		} else {
			put(o, (char)('0' + ((c >> 6) & 3)));
			put(o, (char)('0' + ((c >> 3) & 7)));
			put(o, (char)('0' + (c & 7)));
		}
	}
	if (flags & FMT_LEFT)
		put_n(o, ' ', (long)width - size);
}

/* %s: PREC (-1: none) limits the length; '0' adds a NUL byte after it. */
static void put_string(struct out *o, const char *s, size_t slen, int width,
		       int prec, unsigned flags)
{
	size_t max = prec < 0 ? FMT_BUFFER_SIZE :
		     (prec > FMT_BUFFER_SIZE ? FMT_BUFFER_SIZE : (size_t)prec);
	size_t n;

	if (s == NULL) {
		s = "<NULL>";
		slen = 6;
	}
	if (slen > max)
		slen = max;
	n = strnlen(s, slen);

	if (!(flags & FMT_LEFT))
		put_n(o, ' ', (long)width - (long)n);
	put_bytes(o, s, n);
	if (flags & FMT_LEFT)
		put_n(o, ' ', (long)width - (long)n);
	if (flags & FMT_ZEROPAD)
		put(o, '\0');
}

/* %m / %M: PREC bytes (1 if none) of memory at ADDR, raw or as hex. */
static int put_memory(struct out *o, uint64_t addr, int width, int prec,
		      unsigned flags, bool hex, fmt_mem_reader rd, void *rdctx)
{
	static const char hexd[] = "0123456789abcdef";
	unsigned char buf[FMT_MAX_DUMP];
	size_t len = prec > 0 ? (size_t)prec : 1;
	size_t actlen = hex ? 2 * len : len;
	size_t n, i;

	if (!(flags & FMT_LEFT))
		put_n(o, ' ', (long)width - (long)actlen);

	/* only the bytes that fit are read, one pair per byte for %M */
	n = hex ? room(o) / 2 : room(o);
	if (n > len)
		n = len;
	if (n > sizeof buf)
		n = sizeof buf;
	if (n > 0) {
		if (rd == NULL || rd(rdctx, addr, buf, n,
				     (flags & FMT_SPECIAL) ? 1 : 0) != 0)
			return FMT_EFAULT;
		if (hex) {
			for (i = 0; i < n; i++) {
				put(o, hexd[buf[i] >> 4]);
				put(o, hexd[buf[i] & 15]);
			}
		} else {
			put_bytes(o, (const char *)buf, n);
		}
	}

	if (flags & FMT_LEFT)
		put_n(o, ' ', (long)width - (long)actlen);
	if (flags & FMT_ZEROPAD)
		put(o, '\0');
	return FMT_OK;
}

/* SystemTap accepts only 1, 2, 4 and 8 as a %b size. */
static int binary_size(int v)
{
	return (v == 1 || v == 2 || v == 4 || v == 8) ? v : -1;
}

/* %b: the value's low PREC bytes in memory order, NUL-padded to WIDTH. */
static void put_binary(struct out *o, int64_t num, int width, int prec,
		       unsigned flags)
{
	unsigned char bytes[8];

	prec = binary_size(prec);
	if (width < 0) {
		if (prec < 0) {
			width = 8;
			prec = 8;
		} else {
			width = prec;
		}
	} else if (prec < 0) {
		prec = binary_size(width);
		if (prec < 0)
			prec = 8;
	}

	if (!(flags & FMT_LEFT))
		put_n(o, '\0', (long)width - prec);
	/* the value is written whole or not at all */
	if ((size_t)prec <= room(o)) {
		switch (prec) {
		case 1: {
			int8_t v = (int8_t)num;
			memcpy(bytes, &v, 1);
			break;
		}
		case 2: {
			int16_t v = (int16_t)num;
			memcpy(bytes, &v, 2);
			break;
		}
		case 4: {
			int32_t v = (int32_t)num;
			memcpy(bytes, &v, 4);
			break;
		}
		default:
			memcpy(bytes, &num, 8);
			break;
		}
		put_bytes(o, (const char *)bytes, (size_t)prec);
	}
	if (flags & FMT_LEFT)
		put_n(o, '\0', (long)width - prec);
}

/* The length a %m/%M directive dumps, before clamping; -1 if not one. */
static int64_t dump_len(const struct fmt_dir *d, const struct fmt_arg *args,
			size_t nargs, size_t a)
{
	if (d->width == FMT_STAR)
		a++;
	if (d->prec == FMT_STAR)
		return a < nargs ? args[a].l : 1;
	if (d->prec >= 0)
		return d->prec;
	return 1;
}

static size_t dir_nargs(const struct fmt_dir *d)
{
	size_t n;

	if (d->conv == FMT_LITERAL)
		return 0;
	n = 1;
	if (d->width == FMT_STAR)
		n++;
	if (d->prec == FMT_STAR)
		n++;
	return n;
}

int64_t fmt_dump_len_error(const struct fmt *f, const struct fmt_arg *args,
			   size_t nargs)
{
	size_t i, a = 0;
	int64_t n;

	for (i = 0; i < f->ndirs; i++) {
		const struct fmt_dir *d = &f->dirs[i];

		if (d->conv == FMT_MEMORY || d->conv == FMT_MEMHEX) {
			n = dump_len(d, args, nargs, a);
			if (n > FMT_MAX_DUMP)
				return n;
		}
		a += dir_nargs(d);
	}
	return 0;
}

static int render(struct out *o, const struct fmt *f,
		  const struct fmt_arg *args, size_t nargs, fmt_mem_reader rd,
		  void *rdctx)
{
	size_t i, a = 0;
	int rc;

	if (nargs < f->nargs)
		return FMT_EARGS;
	if (fmt_dump_len_error(f, args, nargs) != 0)
		return FMT_EDUMPSIZE;

	for (i = 0; i < f->ndirs; i++) {
		const struct fmt_dir *d = &f->dirs[i];
		const struct fmt_arg *v;
		int width = -1, prec = -1;

		/* literal text is a C string in the generated code */
		put_bytes(o, f->text + d->lit_off,
			  strnlen(f->text + d->lit_off, d->lit_len));
		if (d->conv == FMT_LITERAL)
			continue;

		if (d->width == FMT_STAR)
			width = clamp_field(args[a++].l, o);
		else if (d->width >= 0)
			width = clamp_field(d->width, o);
		if (d->prec == FMT_STAR)
			prec = clamp_field(args[a++].l, o);
		else if (d->prec >= 0)
			prec = clamp_field(d->prec, o);
		v = &args[a++];

		switch (d->conv) {
		case FMT_NUMBER:
		case FMT_POINTER:
			put_number(o, (uint64_t)v->l, d->base, width, prec,
				   d->flags);
			break;
		case FMT_CHAR:
			/* (int) cast, then the runtime's char */
			put_char(o, (unsigned char)(uint64_t)v->l, width,
				 d->flags);
			break;
		case FMT_STRING:
			put_string(o, v->s, v->s ? v->len : 0, width, prec,
				   d->flags);
			break;
		case FMT_BINARY:
			put_binary(o, v->l, width, prec, d->flags);
			break;
		case FMT_MEMORY:
		case FMT_MEMHEX:
			rc = put_memory(o, (uint64_t)v->l, width, prec,
					d->flags, d->conv == FMT_MEMHEX, rd,
					rdctx);
			if (rc != FMT_OK)
				return rc;
			break;
		default:
			break;
		}
	}
	return FMT_OK;
}

int fmt_render_n(struct strbuf *out, const struct fmt *f,
		 const struct fmt_arg *args, size_t nargs,
		 fmt_mem_reader rd, void *rdctx, size_t limit)
{
	struct out o;
	size_t start = out->len;
	int rc;

	o.sb = out;
	o.pos = 0;
	o.limit = limit;
	rc = render(&o, f, args, nargs, rd, rdctx);
	if (rc != FMT_OK)
		sb_truncate(out, start);
	return rc;
}

/* ------------------------------------------------------------ size pass */

static int64_t clamp_buf(int64_t v)
{
	int x = (int)(int32_t)(uint32_t)(uint64_t)v;

	return x < 0 ? 0 : (x > FMT_BUFFER_SIZE ? FMT_BUFFER_SIZE : x);
}

static int64_t max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

/* number_size(): the length put_number would produce, unclipped. */
static int64_t number_len(uint64_t num, int base, int64_t size, int64_t prec,
			  unsigned flags)
{
	int64_t n = 0, i = 0;

	if (flags & FMT_LEFT)
		flags &= ~(unsigned)FMT_ZEROPAD;
	if ((flags & FMT_SIGN) && ((int64_t)num < 0 ||
				   (flags & (FMT_PLUS | FMT_SPACE)))) {
		n++;
		size--;
		if ((int64_t)num < 0)
			num = 0 - num;
	}
	if (flags & FMT_SPECIAL) {
		if (base == 16) {
			n += 2;
			size -= 2;
		} else if (base == 8) {
			n++;
			size--;
		}
	}
	do {
		i++;
		num /= (unsigned)base;
	} while (num != 0);
	prec = max64(prec, i);
	size -= prec;
	return n + prec + (size > 0 ? size : 0);
}

/*
 * The generated printf code first adds up what each conversion will need
 * (widths and precisions clamped to STP_BUFFER_SIZE), reserves that many
 * bytes (at most STP_BUFFER_SIZE), then renders into exactly that space,
 * clamping each width and precision to the room left.  That second clamp
 * can change what a conversion prints (a "%.7b" with 4 bytes of room left
 * writes 4 bytes), so printf renders with limit = this total.
 */
static size_t measure(const struct fmt *f, const struct fmt_arg *args)
{
	int64_t total = 0, width, prec, len;
	size_t i, a = 0;

	for (i = 0; i < f->ndirs; i++) {
		const struct fmt_dir *d = &f->dirs[i];
		const struct fmt_arg *v;

		total += (int64_t)strnlen(f->text + d->lit_off, d->lit_len);
		if (d->conv == FMT_LITERAL)
			continue;
		width = prec = -1;
		if (d->width == FMT_STAR)
			width = clamp_buf(args[a++].l);
		else if (d->width >= 0)
			width = clamp_buf(d->width);
		if (d->prec == FMT_STAR)
			prec = clamp_buf(args[a++].l);
		else if (d->prec >= 0)
			prec = clamp_buf(d->prec);
		v = &args[a++];

		switch (d->conv) {
		case FMT_NUMBER:
		case FMT_POINTER:
			total += number_len((uint64_t)v->l, d->base, width,
					    prec, d->flags);
			break;
		case FMT_CHAR: {
			unsigned char c = (unsigned char)(uint64_t)v->l;
			int64_t size = 1;

			if ((d->flags & FMT_SPECIAL) &&
			    (c < 0x20 || c > 0x7e || c == '\'' || c == '\\'))
				size = c != 0 &&
				       strchr("\a\b\f\n\r\t\v\'\\", c) ? 2 : 4;
			total += max64(size, width);
			break;
		}
		case FMT_STRING:
		case FMT_MEMORY:
		case FMT_MEMHEX:
			if (d->conv == FMT_STRING) {
				const char *s = v->s ? v->s : "<NULL>";
				size_t sl = v->s ? v->len : 6;
				size_t mx = prec < 0 ? FMT_BUFFER_SIZE :
					    (size_t)prec;

				len = (int64_t)strnlen(s, sl < mx ? sl : mx);
			} else {
				len = prec > 0 ? prec : 1;
				if (d->conv == FMT_MEMHEX)
					len *= 2;
			}
			total += max64(len, width) +
				 ((d->flags & FMT_ZEROPAD) ? 1 : 0);
			break;
		case FMT_BINARY: {
			int p = binary_size((int)prec);
			int64_t w = width;

			if (w < 0) {
				if (p < 0)
					w = p = 8;
				else
					w = p;
			} else if (p < 0) {
				p = binary_size((int)w);
				if (p < 0)
					p = 8;
			}
			total += max64(p, w);
			break;
		}
		default:
			break;
		}
	}
	return (size_t)(total > FMT_BUFFER_SIZE ? FMT_BUFFER_SIZE : total);
}

int fmt_render(struct strbuf *out, const struct fmt *f,
	       const struct fmt_arg *args, size_t nargs,
	       fmt_mem_reader rd, void *rdctx)
{
	if (nargs < f->nargs)
		return FMT_EARGS;
	if (fmt_dump_len_error(f, args, nargs) != 0)
		return FMT_EDUMPSIZE;
	return fmt_render_n(out, f, args, nargs, rd, rdctx,
			    measure(f, args));
}

int fmt_sprint(struct strbuf *out, const struct fmt *f,
	       const struct fmt_arg *args, size_t nargs,
	       fmt_mem_reader rd, void *rdctx, size_t maxlen)
{
	size_t start = out->len, n;
	int rc;

	if (maxlen == 0)
		return FMT_OK;
	rc = fmt_render_n(out, f, args, nargs, rd, rdctx, maxlen);
	if (rc != FMT_OK)
		return rc;
	/* the result is a C string of at most maxlen - 1 characters */
	n = out->len - start;
	if (n > maxlen - 1)
		n = maxlen - 1;
	n = strnlen(out->buf + start, n);
	sb_truncate(out, start + n);
	return FMT_OK;
}
