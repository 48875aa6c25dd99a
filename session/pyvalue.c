/*
 * pyvalue.c - repr() of the values the in-process agent sends (see
 * pyvalue.h and agent/ring.h, VALUE ENCODING).
 *
 * What repr() would print is rebuilt from the encoding: str bodies come
 * escaped by the agent (with the interpreter's own printable test), the
 * rest is Python's documented formatting: bytes escapes, the shortest
 * float that reads back, `(1,)`, `set()`, `frozenset({...})`, recursive
 * containers as `[...]`, `<TYPE object at 0x...>`.  What the agent did not
 * send (items beyond its limit, a container nested deeper than its depth,
 * a cut str) shows as `...`; so does a text longer than the caller's cap.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pyvalue.h"
#include "ring.h"

#define NEST_MAX 32

struct out {
	char *buf;
	size_t len, cap;
	bool full;
};

struct in {
	const uint8_t *p, *end;
	bool bad;		/* malformed or CUT: stop */
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->full)
		return;
	if (o->len + n > o->cap) {
		n = o->cap - o->len;
		o->full = true;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* Ends a cut text in "..." within the cap, not inside a UTF-8 sequence. */
static size_t finish(struct out *o)
{
	if (!o->full)
		return o->len;
	if (o->cap < 3)
		return o->len;
	o->len = o->cap - 3;
	while (o->len > 0 && ((unsigned char)o->buf[o->len] & 0xc0) == 0x80)
		o->len--;
	memcpy(o->buf + o->len, "...", 3);
	return o->len + 3;
}

static bool take(struct in *in, void *dst, size_t n)
{
	if (in->bad || (size_t)(in->end - in->p) < n) {
		in->bad = true;
		return false;
	}
	memcpy(dst, in->p, n);
	in->p += n;
	return true;
}

static uint32_t u32(struct in *in)
{
	uint32_t x = 0;

	take(in, &x, 4);
	return x;
}

static uint8_t u8(struct in *in)
{
	uint8_t x = 0;

	take(in, &x, 1);
	return x;
}

static const uint8_t *bytes(struct in *in, size_t n)
{
	const uint8_t *p = in->p;

	if (in->bad || (size_t)(in->end - in->p) < n) {
		in->bad = true;
		return NULL;
	}
	in->p += n;
	return p;
}

void pyval_float(double d, char *buf, size_t cap)
{
	char tmp[40], digits[24];
	int p, e = 0, nd = 0, decpt;
	size_t n = 0;
	char res[64];

	if (isnan(d)) {
		snprintf(buf, cap, "nan");
		return;
	}
	if (isinf(d)) {
		snprintf(buf, cap, d < 0 ? "-inf" : "inf");
		return;
	}
	for (p = 1; p <= 17; p++) {
		snprintf(tmp, sizeof(tmp), "%.*e", p - 1, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	/* tmp: [-]D[.DDD]e[+-]XX */
	{
		const char *s = tmp;

		if (*s == '-')
			res[n++] = '-', s++;
		for (; *s && *s != 'e'; s++)
			if (*s >= '0' && *s <= '9' && nd < (int)sizeof(digits) - 1)
				digits[nd++] = *s;
		digits[nd] = '\0';
		if (*s == 'e')
			e = atoi(s + 1);
	}
	while (nd > 1 && digits[nd - 1] == '0')
		digits[--nd] = '\0';
	decpt = e + 1;
	if (decpt <= -4 || decpt > 16) {
		/* d[.ddd]e+XX */
		res[n++] = digits[0];
		if (nd > 1) {
			res[n++] = '.';
			memcpy(res + n, digits + 1, (size_t)nd - 1);
			n += (size_t)nd - 1;
		}
		n += (size_t)snprintf(res + n, sizeof(res) - n, "e%c%02d",
				      e < 0 ? '-' : '+', e < 0 ? -e : e);
	} else if (decpt <= 0) {
		res[n++] = '0';
		res[n++] = '.';
		for (int i = 0; i < -decpt; i++)
			res[n++] = '0';
		memcpy(res + n, digits, (size_t)nd);
		n += (size_t)nd;
	} else if (decpt >= nd) {
		memcpy(res + n, digits, (size_t)nd);
		n += (size_t)nd;
		for (int i = nd; i < decpt; i++)
			res[n++] = '0';
		res[n++] = '.';
		res[n++] = '0';
	} else {
		memcpy(res + n, digits, (size_t)decpt);
		n += (size_t)decpt;
		res[n++] = '.';
		memcpy(res + n, digits + decpt, (size_t)(nd - decpt));
		n += (size_t)(nd - decpt);
	}
	res[n] = '\0';
	snprintf(buf, cap, "%s", res);
}

static void bytes_repr(struct out *o, uint8_t q, const uint8_t *s, size_t n)
{
	char c[8];

	put(o, "b", 1);
	put(o, (const char *)&q, 1);
	for (size_t i = 0; i < n && !o->full; i++) {
		uint8_t b = s[i];

		if (b == q || b == '\\')
			c[0] = '\\', c[1] = (char)b, put(o, c, 2);
		else if (b == '\t')
			put(o, "\\t", 2);
		else if (b == '\n')
			put(o, "\\n", 2);
		else if (b == '\r')
			put(o, "\\r", 2);
		else if (b < ' ' || b >= 0x7f)
			snprintf(c, sizeof(c), "\\x%02x", b), put(o, c, 4);
		else
			put(o, (const char *)&b, 1);
	}
	put(o, (const char *)&q, 1);
}

static const char *open_of(uint8_t tag)
{
	switch (tag) {
	case PYTAP_VAL_TUPLE: return "(";
	case PYTAP_VAL_LIST: return "[";
	case PYTAP_VAL_FROZENSET: return "frozenset({";
	default: return "{";
	}
}

static const char *close_of(uint8_t tag)
{
	switch (tag) {
	case PYTAP_VAL_TUPLE: return ")";
	case PYTAP_VAL_LIST: return "]";
	case PYTAP_VAL_FROZENSET: return "})";
	default: return "}";
	}
}

static void value(struct out *o, struct in *in, int nest);

/* The last component of "module.qualname": an exception's __name__. */
static void short_name(struct out *o, const uint8_t *s, size_t n)
{
	size_t i = n;

	while (i > 0 && s[i - 1] != '.')
		i--;
	put(o, (const char *)s + i, n - i);
}

static void container(struct out *o, struct in *in, uint8_t tag, int nest)
{
	uint32_t total = u32(in), sent = u32(in);

	if (in->bad)
		return;
	if (total == 0) {
		puts_(o, tag == PYTAP_VAL_SET ? "set()" :
			 tag == PYTAP_VAL_FROZENSET ? "frozenset()" :
			 tag == PYTAP_VAL_TUPLE ? "()" :
			 tag == PYTAP_VAL_LIST ? "[]" : "{}");
		return;
	}
	puts_(o, open_of(tag));
	for (uint32_t i = 0; i < sent && !in->bad && !o->full; i++) {
		if (i)
			put(o, ", ", 2);
		value(o, in, nest + 1);
		if (tag == PYTAP_VAL_DICT && !in->bad) {
			put(o, ": ", 2);
			value(o, in, nest + 1);
		}
	}
	if (in->bad || o->full)
		return;
	if (sent < total)
		puts_(o, sent ? ", ..." : "...");
	else if (tag == PYTAP_VAL_TUPLE && total == 1)
		put(o, ",", 1);
	puts_(o, close_of(tag));
}

static void value(struct out *o, struct in *in, int nest)
{
	uint8_t tag = u8(in);
	char buf[64];

	if (in->bad)
		return;
	if (nest > NEST_MAX) {
		in->bad = true;
		return;
	}
	switch (tag) {
	case PYTAP_VAL_NONE: puts_(o, "None"); break;
	case PYTAP_VAL_FALSE: puts_(o, "False"); break;
	case PYTAP_VAL_TRUE: puts_(o, "True"); break;
	case PYTAP_VAL_ELLIPSIS: puts_(o, "Ellipsis"); break;
	case PYTAP_VAL_INT: {
		int64_t x = 0;

		take(in, &x, 8);
		snprintf(buf, sizeof(buf), "%lld", (long long)x);
		puts_(o, buf);
		break;
	}
	case PYTAP_VAL_FLOAT: {
		double d = 0;

		take(in, &d, 8);
		pyval_float(d, buf, sizeof(buf));
		puts_(o, buf);
		break;
	}
	case PYTAP_VAL_BIGINT: {
		uint32_t full = u32(in), n = u32(in);
		const uint8_t *s = bytes(in, n);

		if (s) {
			put(o, (const char *)s, n);
			if (n < full)
				puts_(o, "...");
		}
		break;
	}
	case PYTAP_VAL_STR: {
		uint8_t q = u8(in);
		uint32_t full = u32(in), sent = u32(in), n = u32(in);
		const uint8_t *s = bytes(in, n);

		if (s) {
			put(o, (const char *)&q, 1);
			put(o, (const char *)s, n);
			put(o, (const char *)&q, 1);
			if (sent < full)
				puts_(o, "...");
		}
		break;
	}
	case PYTAP_VAL_BYTES: {
		uint8_t q = u8(in);
		uint32_t full = u32(in), n = u32(in);
		const uint8_t *s = bytes(in, n);

		if (s) {
			bytes_repr(o, q, s, n);
			if (n < full)
				puts_(o, "...");
		}
		break;
	}
	case PYTAP_VAL_TUPLE:
	case PYTAP_VAL_LIST:
	case PYTAP_VAL_SET:
	case PYTAP_VAL_FROZENSET:
	case PYTAP_VAL_DICT:
		container(o, in, tag, nest);
		break;
	case PYTAP_VAL_OTHER:
	case PYTAP_VAL_EXCEPTION: {
		uint64_t addr = 0;
		uint16_t n = 0;
		const uint8_t *s;

		take(in, &addr, 8);
		take(in, &n, 2);
		s = bytes(in, n);
		if (!s)
			break;
		if (tag == PYTAP_VAL_OTHER) {
			puts_(o, "<");
			put(o, (const char *)s, n);
			snprintf(buf, sizeof(buf), " object at 0x%llx>",
				 (unsigned long long)addr);
			puts_(o, buf);
			break;
		}
		/* BaseException.__repr__: Name(arg) or Name(a, b) */
		short_name(o, s, n);
		if (in->p < in->end && *in->p == PYTAP_VAL_TUPLE) {
			struct in t = *in;
			uint32_t total, sent;

			t.p++;
			total = u32(&t);
			sent = u32(&t);
			if (!t.bad && total == 1 && sent == 1) {
				*in = t;
				put(o, "(", 1);
				value(o, in, nest + 1);
				put(o, ")", 1);
				break;
			}
			if (!t.bad && total == 0) {
				*in = t;
				puts_(o, "()");
				break;
			}
		}
		value(o, in, nest + 1);
		break;
	}
	case PYTAP_VAL_DEPTH:
	case PYTAP_VAL_RECURSE: {
		uint8_t t = u8(in);

		if (in->bad)
			break;
		puts_(o, open_of(t));
		puts_(o, "...");
		puts_(o, close_of(t));
		break;
	}
	case PYTAP_VAL_ERROR:
		puts_(o, "?");
		break;
	case PYTAP_VAL_CUT:
	default:
		puts_(o, "...");
		in->bad = true;
		break;
	}
}

size_t pyval_parms(char *out, size_t cap, const uint8_t *names, size_t nameslen,
		   unsigned nparams, const uint8_t *vals, size_t vlen, uint32_t count)
{
	struct out o = { out, 0, cap, false };
	struct in in = { vals, vals + vlen, false };
	size_t np = 0;

	for (unsigned i = 0; i < nparams && !o.full; i++) {
		uint8_t l = np < nameslen ? names[np] : 0;

		if (np + 1 + l > nameslen)
			break;
		if (i)
			put(&o, " ", 1);
		put(&o, (const char *)names + np + 1, l);
		np += 1 + (size_t)l;
		put(&o, "=", 1);
		if (i < count && !in.bad)
			value(&o, &in, 0);
		else
			put(&o, "?", 1);
	}
	return finish(&o);
}

size_t pyval_repr1(char *out, size_t cap, const uint8_t *vals, size_t vlen, uint32_t count)
{
	struct out o = { out, 0, cap, false };
	struct in in = { vals, vals + vlen, false };

	if (count == 0)
		put(&o, "?", 1);
	else
		value(&o, &in, 0);
	return finish(&o);
}

int pyval_exception(const uint8_t *vals, size_t vlen, char *type, size_t tcap,
		    char *msg, size_t mcap)
{
	struct in in = { vals, vals + vlen, false };
	struct out o = { msg, 0, mcap ? mcap - 1 : 0, false };
	uint64_t addr;
	uint16_t n = 0;
	const uint8_t *s;

	if (tcap)
		type[0] = '\0';
	if (mcap)
		msg[0] = '\0';
	if (u8(&in) != PYTAP_VAL_EXCEPTION || !take(&in, &addr, 8) ||
	    !take(&in, &n, 2) || (s = bytes(&in, n)) == NULL)
		return -1;
	snprintf(type, tcap, "%.*s", (int)n, (const char *)s);
	if (!mcap)
		return 0;
	/* BaseException.__str__: '' for no args, str(arg) for one, else
	 * str(args) */
	if (in.p < in.end && *in.p == PYTAP_VAL_TUPLE) {
		struct in t = in;
		uint32_t total, sent;

		t.p++;
		total = u32(&t);
		sent = u32(&t);
		if (!t.bad && total == 0) {
			msg[0] = '\0';
			return 0;
		}
		if (!t.bad && total == 1 && sent == 1) {
			in = t;
			/* KeyError.__str__ is the repr of its key */
			if (in.p < in.end && *in.p == PYTAP_VAL_STR &&
			    strcmp(type, "KeyError") != 0) {
				/* str(s): the text itself, unescaped */
				uint8_t q;
				uint32_t full, snt, bn;
				const uint8_t *b;

				in.p++;
				q = u8(&in);
				full = u32(&in);
				snt = u32(&in);
				bn = u32(&in);
				b = bytes(&in, bn);
				if (b) {
					for (uint32_t i = 0; i < bn && !o.full; i++) {
						char c = (char)b[i];

						if (c == '\\' && i + 1 < bn) {
							char e = (char)b[++i];
							unsigned x;
							int k = e == 'x' ? 2 : e == 'u' ? 4 :
								e == 'U' ? 8 : 0;

							if (k && i + (uint32_t)k < bn) {
								char hex[9];

								memcpy(hex, b + i + 1, (size_t)k);
								hex[k] = '\0';
								x = (unsigned)strtoul(hex, NULL, 16);
								i += (uint32_t)k;
								if (x < 0x80) {
									c = (char)x;
									put(&o, &c, 1);
								} else {
									char u[4];
									int m;

									if (x < 0x800)
										u[0] = (char)(0xc0 | x >> 6), u[1] = (char)(0x80 | (x & 0x3f)), m = 2;
									else if (x < 0x10000)
										u[0] = (char)(0xe0 | x >> 12), u[1] = (char)(0x80 | ((x >> 6) & 0x3f)), u[2] = (char)(0x80 | (x & 0x3f)), m = 3;
									else
										u[0] = (char)(0xf0 | x >> 18), u[1] = (char)(0x80 | ((x >> 12) & 0x3f)), u[2] = (char)(0x80 | ((x >> 6) & 0x3f)), u[3] = (char)(0x80 | (x & 0x3f)), m = 4;
									put(&o, u, (size_t)m);
								}
								continue;
							}
							c = e == 't' ? '\t' : e == 'n' ? '\n' :
							    e == 'r' ? '\r' : e;
						}
						put(&o, &c, 1);
					}
					(void)q;
					if (snt < full)
						o.full = true;
				}
				o.len = finish(&o);
				msg[o.len] = '\0';
				return 0;
			}
			value(&o, &in, 0);
			o.len = finish(&o);
			msg[o.len] = '\0';
			return 0;
		}
	}
	value(&o, &in, 0);
	o.len = finish(&o);
	msg[o.len] = '\0';
	return 0;
}
