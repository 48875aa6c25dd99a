/*
 * pyrepr.c - a short, bounded repr() of an object in a traced CPython,
 * read from its memory: str, bytes, int (any size Python itself would
 * print), float, bool, None, tuple, list and dict as Python's repr() writes
 * them, and set, frozenset, bytearray, complex, range, type, module and
 * function objects too; any other object (and subclasses of those types)
 * as "<TYPE object at 0xADDR>".
 *
 * Bounds: the text stops growing at MAX bytes and is then cut to end in
 * "..."; containers nest at most MAX_DEPTH deep ("..." below that) and a
 * container that contains itself prints as Python prints it ([...]).
 * Only as many elements are read as can show.  Children's heads are read
 * in one batch per container.
 *
 * Differences from Python: non-ASCII characters are kept unless they are
 * controls, separators, format characters, surrogates or private use
 * (Python consults the full Unicode database for isprintable()).
 *
 * A pointer that does not lead to a readable object is an error (-1 with
 * c->err), never a crash.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpython_int.h"

#define MAX_DEPTH 8
#define MIN_HEAD 40		/* bytes every repr_* may use from the head:
				   str's state, list's item pointer */
#define HEAD 128		/* bytes of an object read speculatively */
#define MAX_INT_DIGITS 1500	/* 30-bit digits: past Python's 4300
				   decimal digits */

struct rctx {
	struct py_ctx *c;
	struct strbuf *out;
	size_t max;
	uint64_t stack[MAX_DEPTH];	/* containers being printed */
	int depth;
	bool bytearray;		/* escape ' whatever the quote (as
				   bytearray_repr does) */
};

static bool full(const struct rctx *r)
{
	return r->out->len > r->max;
}

static int invalid(struct rctx *r, uint64_t addr, const char *what)
{
	snprintf(r->c->err, sizeof(r->c->err),
		 "0x%" PRIx64 " is not a valid %s object", addr, what);
	return -1;
}

/* ---- str and bytes ------------------------------------------------------ */

/* Python's isprintable(), approximately (see the top of the file). */
static bool printable(uint32_t cp)
{
	if (cp < 0x20 || cp == 0x7f)
		return false;
	if (cp < 0x7f)
		return true;
	if (cp <= 0xa0 || cp == 0xad)
		return false;
	if ((cp >= 0x2000 && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202f) ||
	    (cp >= 0x205f && cp <= 0x206f) || cp == 0x3000 || cp == 0xfeff ||
	    cp == 0x1680 || (cp >= 0xd800 && cp <= 0xf8ff) ||
	    (cp >= 0xfff9 && cp <= 0xfffb) || cp >= 0xf0000 ||
	    (cp >= 0xe0000 && cp <= 0xe007f))
		return false;
	return true;
}

/* One character of a str or bytes literal quoted with Q. */
static void put_escaped(struct strbuf *sb, uint32_t cp, char q, bool bytes)
{
	if (cp == (uint32_t)q || cp == '\\') {
		sb_putc(sb, '\\');
		sb_putc(sb, (char)cp);
	} else if (cp == '\t') {
		sb_puts(sb, "\\t");
	} else if (cp == '\n') {
		sb_puts(sb, "\\n");
	} else if (cp == '\r') {
		sb_puts(sb, "\\r");
	} else if (bytes ? (cp < 0x20 || cp >= 0x7f) : !printable(cp)) {
		if (cp < 0x100)
			sb_printf(sb, "\\x%02x", cp);
		else if (cp < 0x10000)
			sb_printf(sb, "\\u%04x", cp);
		else
			sb_printf(sb, "\\U%08x", cp);
	} else {
		py_put_utf8(sb, cp);
	}
}

/* The code point I of data of KIND (1, 2, 4 bytes each). */
static uint32_t cp_at(const unsigned char *d, unsigned kind, size_t i)
{
	if (kind == 1)
		return d[i];
	if (kind == 2)
		return (uint32_t)d[2 * i] | (uint32_t)d[2 * i + 1] << 8;
	return py_u32(d, (int)(4 * i));
}

/* Python's quote choice: ' unless the text has ' and no ". */
static char quote_for(const unsigned char *d, unsigned kind, size_t n)
{
	bool sq = false, dq = false;

	for (size_t i = 0; i < n; i++) {
		uint32_t cp = cp_at(d, kind, i);

		sq |= cp == '\'';
		dq |= cp == '"';
	}
	return sq && !dq ? '"' : '\'';
}

static void put_literal(struct rctx *r, const unsigned char *d, unsigned kind,
			size_t n, bool bytes)
{
	char q = quote_for(d, kind, n);

	if (bytes)
		sb_putc(r->out, 'b');
	sb_putc(r->out, q);
	for (size_t i = 0; i < n && !full(r); i++)
		put_escaped(r->out, cp_at(d, kind, i),
			    r->bytearray ? '\'' : q, bytes);
	sb_putc(r->out, q);
}

/* The data of a str or bytes object: LEN items of KIND bytes at DATA
 * (in HEAD when HEAD holds them), at most as many as can show. */
static int put_data(struct rctx *r, const unsigned char *head, size_t have,
		    size_t start, uint64_t dataddr, uint64_t len,
		    unsigned kind, bool bytes)
{
	size_t n = len > r->max ? r->max : (size_t)len;
	size_t nbytes = n * kind;
	unsigned char *buf;

	if (head && start + nbytes <= have) {
		put_literal(r, head + start, kind, n, bytes);
		return 0;
	}
	buf = malloc(nbytes + 1);
	if (buf == NULL)
		return -1;
	if (nbytes && py_read1(r->c, dataddr, buf, nbytes) < 0) {
		free(buf);
		return -1;
	}
	put_literal(r, buf, kind, n, bytes);
	free(buf);
	return 0;
}

static int repr_str(struct rctx *r, uint64_t addr, const unsigned char *h,
		    size_t have)
{
	const struct py_layout *L = r->c->L;
	uint64_t len = py_u64(h, L->str_length);
	uint32_t st = py_u32(h, L->str_state);
	unsigned kind = (st >> L->str_kind_shift) & 7;
	bool compact = (st >> L->str_compact_bit) & 1;
	bool ascii = (st >> L->str_ascii_bit) & 1;
	size_t start = (size_t)(ascii ? L->str_ascii_data : L->str_compact_data);

	if ((kind != 1 && kind != 2 && kind != 4) || len > (1ull << 40))
		return invalid(r, addr, "str");
	if (!compact)
		return put_data(r, NULL, 0, 0, py_u64(h, L->str_data_ptr), len,
				kind, false);
	return put_data(r, h, have, start, addr + start, len, kind, false);
}

static int repr_bytes(struct rctx *r, uint64_t addr, const unsigned char *h,
		      size_t have)
{
	const struct py_layout *L = r->c->L;
	uint64_t len = py_u64(h, L->ob_size);

	if (len > (1ull << 40))
		return invalid(r, addr, "bytes");
	return put_data(r, h, have, (size_t)L->bytes_data,
			addr + (uint64_t)L->bytes_data, len, 1, true);
}

/* ---- numbers ------------------------------------------------------------- */

static int repr_int(struct rctx *r, uint64_t addr, const unsigned char *h,
		    size_t have)
{
	const struct py_layout *L = r->c->L;
	uint64_t tag = py_u64(h, L->long_tag), nd;
	bool neg;
	uint32_t *d;
	char *dec;
	size_t nbytes, n, i, ndec = 0;

	nd = py_long_digits(L, tag, &neg);
	if (nd == 0) {
		sb_putc(r->out, '0');
		return 0;
	}
	if (nd > MAX_INT_DIGITS) {
		/* Python refuses too: "Exceeds the limit (4300 digits)" */
		sb_printf(r->out, "<int object at 0x%" PRIx64 ">", addr);
		return 0;
	}
	n = (size_t)nd;
	nbytes = n * 4;
	d = malloc(nbytes);
	/* 30-bit digits: at most 10 decimal digits per 3 bytes */
	dec = malloc(n * 10 + 2);
	if (d == NULL || dec == NULL) {
		free(d);
		free(dec);
		return -1;
	}
	if ((size_t)L->long_digits + nbytes <= have) {
		memcpy(d, h + L->long_digits, nbytes);
	} else if (py_read1(r->c, addr + (uint64_t)L->long_digits, d,
			    nbytes) < 0) {
		free(d);
		free(dec);
		return -1;
	}
	/* repeated division by 10^9 of the base-2^30 number */
	while (n > 0) {
		uint64_t rem = 0;

		for (i = n; i-- > 0;) {
			uint64_t cur = (rem << 30) | (d[i] & 0x3fffffff);

			d[i] = (uint32_t)(cur / 1000000000u);
			rem = cur % 1000000000u;
		}
		while (n > 0 && d[n - 1] == 0)
			n--;
		for (int k = 0; k < 9 && (n > 0 || rem > 0 || k == 0); k++) {
			dec[ndec++] = (char)('0' + rem % 10);
			rem /= 10;
		}
	}
	while (ndec > 1 && dec[ndec - 1] == '0')
		ndec--;
	if (neg)
		sb_putc(r->out, '-');
	for (i = ndec; i-- > 0 && !full(r);)
		sb_putc(r->out, dec[i]);
	free(d);
	free(dec);
	return 0;
}

/* repr(float): the shortest digits that read back as V, laid out as
 * Python's float_repr_style 'short' does.  DOT0: an integral value ends
 * in ".0" (float's repr; complex's parts have none); SIGN: a "+" before
 * a positive value (complex's imaginary part). */
static void put_float_as(struct strbuf *sb, double v, bool dot0, bool sign)
{
	char buf[64], digits[32];
	int prec, exp, nd = 0, decpt;
	const char *p;

	if (sign && !signbit(v))
		sb_putc(sb, '+');
	if (isnan(v)) {
		sb_puts(sb, "nan");
		return;
	}
	if (isinf(v)) {
		sb_puts(sb, v < 0 ? "-inf" : "inf");
		return;
	}
	if (v == 0) {
		sb_puts(sb, signbit(v) ? "-0" : "0");
		if (dot0)
			sb_puts(sb, ".0");
		return;
	}
	for (prec = 1; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*e", prec - 1, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	/* buf: [-]d[.ddd]e[+-]XX */
	p = buf;
	if (*p == '-') {
		sb_putc(sb, '-');
		p++;
	}
	for (; *p && *p != 'e'; p++)
		if (*p != '.')
			digits[nd++] = *p;
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	exp = atoi(p + 1);
	decpt = exp + 1;	/* v = 0.DIGITS * 10^decpt */
	if (decpt <= -4 || decpt > 16) {
		sb_putc(sb, digits[0]);
		if (nd > 1) {
			sb_putc(sb, '.');
			sb_append(sb, digits + 1, (size_t)nd - 1);
		}
		sb_printf(sb, "e%c%02d", exp < 0 ? '-' : '+',
			  exp < 0 ? -exp : exp);
	} else if (decpt <= 0) {
		sb_puts(sb, "0.");
		for (int i = decpt; i < 0; i++)
			sb_putc(sb, '0');
		sb_append(sb, digits, (size_t)nd);
	} else if (decpt >= nd) {
		sb_append(sb, digits, (size_t)nd);
		for (int i = nd; i < decpt; i++)
			sb_putc(sb, '0');
		if (dot0)
			sb_puts(sb, ".0");
	} else {
		sb_append(sb, digits, (size_t)decpt);
		sb_putc(sb, '.');
		sb_append(sb, digits + decpt, (size_t)(nd - decpt));
	}
}

static void put_float(struct strbuf *sb, double v)
{
	put_float_as(sb, v, true, false);
}

/* repr(complex): "(1+2j)", or "2j" when the real part is +0. */
static void put_complex(struct strbuf *sb, double re, double im)
{
	if (re == 0 && !signbit(re)) {
		put_float_as(sb, im, false, false);
		sb_putc(sb, 'j');
		return;
	}
	sb_putc(sb, '(');
	put_float_as(sb, re, false, false);
	put_float_as(sb, im, false, true);
	sb_puts(sb, "j)");
}

/* ---- containers ------------------------------------------------------------ */

static int repr_obj(struct rctx *r, uint64_t addr, const unsigned char *h,
		    size_t have);

/* repr() of the N objects at ADDRS, separated by SEP (dicts: PAIRS, keys
 * and values alternate, "k: v"), their heads read in one batch. */
static int repr_items(struct rctx *r, const uint64_t *addrs, size_t n,
		      bool pairs)
{
	struct py_iov *v = malloc((n + 1) * sizeof(*v));
	unsigned char *heads = malloc(n * HEAD + 1);
	int rc = 0;

	if (v == NULL || heads == NULL) {
		free(v);
		free(heads);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		v[i] = (struct py_iov){ addrs[i], heads + i * HEAD, HEAD,
					false };
	py_readv(r->c, v, n);
	for (size_t i = 0; i < n && rc == 0 && !full(r); i++) {
		if (i > 0)
			sb_puts(r->out, pairs && (i & 1) ? ": " : ", ");
		rc = repr_obj(r, addrs[i], v[i].ok ? heads + i * HEAD : NULL,
			      v[i].ok ? HEAD : 0);
	}
	free(v);
	free(heads);
	return rc;
}

/* Elements worth reading: each shows as at least one byte plus ", ". */
static size_t cap_items(const struct rctx *r, uint64_t n)
{
	size_t most = r->max / 3 + 2;

	return n > most ? most : (size_t)n;
}

static int repr_seq(struct rctx *r, uint64_t addr, const unsigned char *h,
		    bool tuple)
{
	const struct py_layout *L = r->c->L;
	uint64_t len = py_u64(h, L->ob_size), items;
	size_t n;
	uint64_t *a;
	int rc;

	if (len > (1ull << 40))
		return invalid(r, addr, tuple ? "tuple" : "list");
	n = cap_items(r, len);
	a = malloc((n + 1) * sizeof(*a));
	if (a == NULL)
		return -1;
	if (tuple) {
		items = addr + (uint64_t)L->tuple_items;
	} else {
		items = py_u64(h, L->list_items);
		if (items == 0 && len > 0) {
			free(a);
			return invalid(r, addr, "list");
		}
	}
	if (n && py_read1(r->c, items, a, n * 8) < 0) {
		free(a);
		return -1;
	}
	sb_putc(r->out, tuple ? '(' : '[');
	rc = repr_items(r, a, n, false);
	if (tuple && len == 1)
		sb_putc(r->out, ',');
	sb_putc(r->out, tuple ? ')' : ']');
	free(a);
	return rc;
}

static int repr_dict(struct rctx *r, uint64_t addr)
{
	size_t max = cap_items(r, 1u << 20) / 2 + 1, n, i;
	uint64_t *k = malloc(max * sizeof(*k)), *v = malloc(max * sizeof(*v));
	uint64_t *kv = malloc(2 * max * sizeof(*kv)), total;
	int rc = -1;

	if (k == NULL || v == NULL || kv == NULL)
		goto out;
	if (py_dict_items(r->c, addr, k, v, max, &n, &total) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		kv[2 * i] = k[i];
		kv[2 * i + 1] = v[i];
	}
	sb_putc(r->out, '{');
	rc = repr_items(r, kv, 2 * n, true);
	sb_putc(r->out, '}');
out:
	free(k);
	free(v);
	free(kv);
	return rc;
}

static int type_names(struct rctx *r, uint64_t addr, struct strbuf *mod,
		      struct strbuf *name);

/* "<TYPE object at 0xADDR>" as object.__repr__ writes it: TYPE is
 * module.qualname (the qualname alone for builtins). */
static int repr_other(struct rctx *r, uint64_t addr, uint64_t type)
{
	struct strbuf mod = STRBUF_INIT, name = STRBUF_INIT;
	int rc = type_names(r, type, &mod, &name);
	size_t i;

	for (i = 0; rc == 0 && i < name.len; i++)
		if ((unsigned char)name.buf[i] < 0x20 || name.buf[i] == 0x7f)
			rc = -1;
	if (rc == 0 && name.len) {
		sb_puts(r->out, "<");
		if (mod.len && strcmp(sb_str(&mod), "builtins") != 0)
			sb_printf(r->out, "%s.", sb_str(&mod));
		sb_printf(r->out, "%s object at 0x%" PRIx64 ">", sb_str(&name),
			  addr);
	} else {
		rc = invalid(r, addr, "Python");
	}
	sb_free(&mod);
	sb_free(&name);
	return rc;
}

/* ---- set, bytearray, range, type, function, module ---------------------- */

/* Fields the same in CPython 3.11 to 3.13 (Include/cpython/setobject.h,
 * bytearrayobject.h, funcobject.h, Objects/rangeobject.c; PyTypeObject). */
#define SET_USED 24		/* PySetObject.used */
#define SET_MASK 32
#define SET_TABLE 40		/* setentry *table: {key, hash} */
#define BYTEARRAY_START 40	/* char *ob_start; ob_size is the length */
#define COMPLEX_REAL 16		/* Py_complex cval */
#define RANGE_START 16		/* start, stop, step (int objects) */
#define FUNC_QUALNAME 40	/* after globals, builtins, name */
#define TYPE_DICT 264		/* PyTypeObject.tp_dict */
#define TPFLAG_HEAPTYPE (1ul << 9)

/* {a, b} in table order, as set_repr iterates; "set()" / "frozenset()"
 * when empty, "frozenset({...})". */
static int repr_set(struct rctx *r, uint64_t addr, const unsigned char *h,
		    bool frozen)
{
	uint64_t used = py_u64(h, SET_USED), mask = py_u64(h, SET_MASK);
	uint64_t table = py_u64(h, SET_TABLE), *ent, *keys;
	size_t n = 0, want = cap_items(r, used), i;
	int rc;

	if (used > (1ull << 40) || mask > (1ull << 40) || used > mask + 1 ||
	    (mask & (mask + 1)) != 0)
		return invalid(r, addr, frozen ? "frozenset" : "set");
	if (used == 0) {
		sb_puts(r->out, frozen ? "frozenset()" : "set()");
		return 0;
	}
	/* read the table in pieces until WANT keys are found */
	keys = malloc((want + 1) * sizeof(*keys));
	ent = malloc(2 * 256 * sizeof(*ent));
	if (keys == NULL || ent == NULL) {
		free(keys);
		free(ent);
		return -1;
	}
	for (i = 0; i <= mask && n < want;) {
		size_t k = mask + 1 - i > 256 ? 256 : (size_t)(mask + 1 - i);

		if (py_read1(r->c, table + 16 * i, ent, 16 * k) < 0) {
			free(keys);
			free(ent);
			return -1;
		}
		for (size_t j = 0; j < k && n < want; j++)
			/* NULL: unused; hash -1: a deleted key (the dummy) */
			if (ent[2 * j] && ent[2 * j + 1] != (uint64_t)-1)
				keys[n++] = ent[2 * j];
		i += k;
	}
	free(ent);
	sb_puts(r->out, frozen ? "frozenset({" : "{");
	rc = repr_items(r, keys, n, false);
	sb_puts(r->out, frozen ? "})" : "}");
	free(keys);
	return rc;
}

static int repr_bytearray(struct rctx *r, uint64_t addr,
			  const unsigned char *h)
{
	const struct py_layout *L = r->c->L;
	uint64_t len = py_u64(h, L->ob_size);
	int rc;

	if (len > (1ull << 40))
		return invalid(r, addr, "bytearray");
	sb_puts(r->out, "bytearray(");
	r->bytearray = true;
	rc = put_data(r, NULL, 0, 0, py_u64(h, BYTEARRAY_START), len, 1, true);
	r->bytearray = false;
	sb_putc(r->out, ')');
	return rc;
}

/* range(start, stop) or range(start, stop, step) */
static int repr_range(struct rctx *r, const unsigned char *h)
{
	uint64_t a[3] = { py_u64(h, RANGE_START), py_u64(h, RANGE_START + 8),
			  py_u64(h, RANGE_START + 16) }, step;
	bool neg;
	int rc;

	sb_puts(r->out, "range(");
	rc = repr_items(r, a, 2, false);
	if (rc == 0 && (py_long_small(r->c, a[2], NULL, &step, &neg) < 0 ||
			neg || step != 1)) {
		sb_puts(r->out, ", ");
		rc = repr_obj(r, a[2], NULL, 0);
	}
	sb_putc(r->out, ')');
	return rc;
}

/* The text of the str object at ADDR into SB (at most 1 KB): 0, or -1. */
static int str_of(struct rctx *r, uint64_t addr, struct strbuf *sb)
{
	sb_reset(sb);
	return addr ? py_str_text(r->c, addr, NULL, 0, sb, 1024) : -1;
}

/* The module and qualname of the type at ADDR, as type.__module__ and
 * type.__qualname__ give them: a heap type's __qualname__ and its dict's
 * __module__; a static type's tp_name split at its last dot (no dot:
 * builtins).  0, or -1. */
static int type_names(struct rctx *r, uint64_t addr, struct strbuf *mod,
		      struct strbuf *name)
{
	const struct py_layout *L = r->c->L;
	unsigned char h[256];
	unsigned long flags;
	int rc = 0;

	if ((size_t)L->tp_flags + 8 > sizeof(h) ||
	    py_read1(r->c, addr, h, (size_t)L->tp_flags + 8) < 0)
		return -1;
	flags = (unsigned long)py_u64(h, L->tp_flags);

	if (flags & TPFLAG_HEAPTYPE) {
		uint64_t qual, dict, m = 0;

		if (L->tp_flags != 168 ||
		    py_read1(r->c, addr + (uint64_t)L->ht_cached_keys - 8,
			     &qual, 8) < 0 || str_of(r, qual, name) < 0 ||
		    py_read1(r->c, addr + TYPE_DICT, &dict, 8) < 0 ||
		    py_dict_get_str(r->c, dict, "__module__", &m) < 0)
			rc = -1;
		else if (m && str_of(r, m, mod) < 0)
			sb_reset(mod);	/* __module__ not a str */
	} else {
		uint64_t tp = py_u64(h, L->tp_name);
		char buf[256];
		const char *dot;

		memset(buf, 0, sizeof(buf));
		if (py_read1(r->c, tp, buf, 1) < 0 ||
		    (py_read1(r->c, tp, buf, sizeof(buf) - 1) < 0 &&
		     py_read1(r->c, tp, buf, 64) < 0)) {
			rc = -1;
		} else {
			buf[sizeof(buf) - 1] = 0;
			dot = strrchr(buf, '.');
			if (dot) {
				sb_append(mod, buf, (size_t)(dot - buf));
				sb_puts(name, dot + 1);
			} else {
				sb_puts(name, buf);
			}
		}
	}
	return rc;
}

/* <class 'module.qualname'>, or <class 'qualname'> for builtins */
static int repr_type(struct rctx *r, uint64_t addr)
{
	struct strbuf mod = STRBUF_INIT, name = STRBUF_INIT;
	int rc = type_names(r, addr, &mod, &name);

	if (rc == 0) {
		sb_puts(r->out, "<class '");
		if (mod.len && strcmp(sb_str(&mod), "builtins") != 0)
			sb_printf(r->out, "%s.", sb_str(&mod));
		sb_printf(r->out, "%s'>", sb_str(&name));
	} else {
		rc = invalid(r, addr, "type");
	}
	sb_free(&mod);
	sb_free(&name);
	return rc;
}

static int repr_function(struct rctx *r, uint64_t addr,
			 const unsigned char *h)
{
	struct strbuf q = STRBUF_INIT;

	if (str_of(r, py_u64(h, FUNC_QUALNAME), &q) < 0) {
		sb_free(&q);
		return invalid(r, addr, "function");
	}
	sb_printf(r->out, "<function %s at 0x%" PRIx64 ">", sb_str(&q), addr);
	sb_free(&q);
	return 0;
}

/* As importlib's _module_repr: from the module's __spec__ (name, origin,
 * has_location), else its __name__ and __file__. */
static int repr_module(struct rctx *r, uint64_t addr)
{
	const struct py_layout *L = r->c->L;
	const struct py_proc *pp = r->c->pp;
	uint64_t md, spec = 0, name = 0, origin = 0, loc = 0, file = 0;
	struct strbuf o = STRBUF_INIT;
	int rc = 0;

	if (py_read1(r->c, addr + (uint64_t)L->module_dict, &md, 8) < 0 ||
	    py_dict_get_str(r->c, md, "__spec__", &spec) < 0)
		return invalid(r, addr, "module");
	if (spec && spec != pp->sym[PYS_NONE]) {
		if (py_instance_attr(r->c, spec, "name", &name) < 0 ||
		    py_instance_attr(r->c, spec, "origin", &origin) < 0 ||
		    py_instance_attr(r->c, spec, "_set_fileattr", &loc) < 0)
			return invalid(r, addr, "module");
		if (origin == pp->sym[PYS_NONE])
			origin = 0;
	} else {
		if (py_dict_get_str(r->c, md, "__name__", &name) < 0 ||
		    py_dict_get_str(r->c, md, "__file__", &file) < 0)
			return invalid(r, addr, "module");
		origin = file;
		loc = pp->sym[PYS_TRUE];
	}
	sb_puts(r->out, "<module ");
	if (name)
		rc = repr_obj(r, name, NULL, 0);
	else
		sb_puts(r->out, "'?'");
	if (rc == 0 && origin && loc == pp->sym[PYS_TRUE]) {
		sb_puts(r->out, " from ");
		rc = repr_obj(r, origin, NULL, 0);
	} else if (rc == 0 && origin) {
		if (str_of(r, origin, &o) == 0)
			sb_printf(r->out, " (%s)", sb_str(&o));
	}
	sb_putc(r->out, '>');
	sb_free(&o);
	return rc;
}

static int repr_obj(struct rctx *r, uint64_t addr, const unsigned char *h,
		    size_t have)
{
	const struct py_layout *L = r->c->L;
	const struct py_proc *pp = r->c->pp;
	unsigned char own[HEAD];
	uint64_t type;
	double dv;
	int rc, k;
	bool seq;

	if (full(r))
		return 0;
	if (addr != 0 && addr == pp->sym[PYS_NONE]) {
		sb_puts(r->out, "None");
		return 0;
	}
	if (addr != 0 && addr == pp->sym[PYS_ELLIPSIS]) {
		sb_puts(r->out, "Ellipsis");
		return 0;
	}
	if (addr != 0 && (addr == pp->sym[PYS_TRUE] ||
			  addr == pp->sym[PYS_FALSE])) {
		sb_puts(r->out, addr == pp->sym[PYS_TRUE] ? "True" : "False");
		return 0;
	}
	if (h == NULL || have < MIN_HEAD) {
		/* not readable speculatively: the fixed part, or at least
		 * the header of any object */
		have = (size_t)(L->str_compact_data + 8);
		if (addr == 0 || (py_read1(r->c, addr, own, have) < 0 &&
				  py_read1(r->c, addr, own, have = MIN_HEAD) < 0)) {
			snprintf(r->c->err, sizeof(r->c->err),
				 "cannot read a Python object at 0x%" PRIx64,
				 addr);
			return -1;
		}
		h = own;
	}
	type = py_u64(h, L->ob_type);
	if (type == 0)
		return invalid(r, addr, "Python");
	if (py_is(pp, type, PYS_STR_TYPE))
		return repr_str(r, addr, h, have);
	if (py_is(pp, type, PYS_BYTES_TYPE))
		return repr_bytes(r, addr, h, have);
	if (py_is(pp, type, PYS_INT_TYPE))
		return repr_int(r, addr, h, have);
	if (py_is(pp, type, PYS_FLOAT_TYPE)) {
		memcpy(&dv, h + L->float_value, sizeof(dv));
		put_float(r->out, dv);
		return 0;
	}
	if (py_is(pp, type, PYS_COMPLEX_TYPE)) {
		double re, im;

		memcpy(&re, h + COMPLEX_REAL, sizeof(re));
		memcpy(&im, h + COMPLEX_REAL + 8, sizeof(im));
		put_complex(r->out, re, im);
		return 0;
	}
	if (py_is(pp, type, PYS_BYTEARRAY_TYPE))
		return repr_bytearray(r, addr, h);
	if (py_is(pp, type, PYS_FUNCTION_TYPE))
		return repr_function(r, addr, h);
	if (py_is(pp, type, PYS_TYPE_TYPE))
		return repr_type(r, addr);
	seq = py_is(pp, type, PYS_TUPLE_TYPE) || py_is(pp, type, PYS_LIST_TYPE);
	if (!seq && !py_is(pp, type, PYS_DICT_TYPE) &&
	    !py_is(pp, type, PYS_SET_TYPE) &&
	    !py_is(pp, type, PYS_FROZENSET_TYPE) &&
	    !py_is(pp, type, PYS_RANGE_TYPE) &&
	    !py_is(pp, type, PYS_MODULE_TYPE))
		return repr_other(r, addr, type);
	/* a container: cycles print as Python prints them, depth is bound */
	for (k = 0; k < r->depth; k++)
		if (r->stack[k] == addr) {
			sb_puts(r->out, py_is(pp, type, PYS_TUPLE_TYPE) ? "(...)" :
					py_is(pp, type, PYS_LIST_TYPE) ? "[...]"
								      : "{...}");
			return 0;
		}
	if (r->depth == MAX_DEPTH) {
		sb_puts(r->out, "...");
		return 0;
	}
	r->stack[r->depth++] = addr;
	if (seq)
		rc = repr_seq(r, addr, h, py_is(pp, type, PYS_TUPLE_TYPE));
	else if (py_is(pp, type, PYS_SET_TYPE) ||
		 py_is(pp, type, PYS_FROZENSET_TYPE))
		rc = repr_set(r, addr, h, py_is(pp, type, PYS_FROZENSET_TYPE));
	else if (py_is(pp, type, PYS_RANGE_TYPE))
		rc = repr_range(r, h);
	else if (py_is(pp, type, PYS_MODULE_TYPE))
		rc = repr_module(r, addr);
	else
		rc = repr_dict(r, addr);
	r->depth--;
	return rc;
}

int py_repr(struct py_ctx *c, struct py_proc *pp, const struct py_mem *m,
	    uint64_t addr, struct strbuf *out, size_t max)
{
	struct rctx r;
	size_t base = out->len;

	if (py_begin(c, pp, m) < 0)
		return -1;
	memset(&r, 0, sizeof(r));
	r.c = c;
	r.out = out;
	r.max = base + max;
	if (repr_obj(&r, addr, NULL, 0) < 0) {
		sb_truncate(out, base);
		return -1;
	}
	sb_cut_ellipsis(out, base, max);
	return 0;
}
