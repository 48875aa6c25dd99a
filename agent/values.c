/*
 * values.c - the agent's value capture (ring.h, VALUES): the arguments,
 * return values and exceptions of function events, encoded from the
 * objects themselves, never through their __repr__ (value_encode), and
 * how the hooks collect them (capture_args, capture_value).
 *
 * Only objects of the exact built-in types None, bool, int, float, str,
 * bytes, tuple, list, dict, set, frozenset and Ellipsis are looked into;
 * everything else (subclasses too) is sent as its type name and address,
 * which pytap prints as `<TYPE object at 0x...>`.  The calls made on them
 * run no Python code: exact-type checks by identity, PyDict_Next and
 * _PySet_NextEntry (no iterator object), the int's own decimal conversion
 * for ints beyond 64 bits.  Nothing tracked by the cyclic GC is allocated
 * here, so no collection (and no finalizer) can run in the middle;
 * container items are held by a reference while they are encoded anyway.
 */
#include <dlfcn.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_int.h"
#include "ring.h"

static struct {
	PyObject *type_t, *bool_t, *long_t, *float_t, *str_t, *bytes_t;
	PyObject *tuple_t, *list_t, *dict_t, *set_t, *frozenset_t;
	PyObject *false_o, *true_o, *ellipsis_o, *none_o;
	long long (*Long_AsLongLongAndOverflow)(PyObject *, int *);
	double (*Float_AsDouble)(PyObject *);
	PyObject *(*Object_Repr)(PyObject *);
	PyObject *(*Unicode_AsEncodedString)(PyObject *, const char *, const char *);
	Py_ssize_t (*Tuple_Size)(PyObject *);
	PyObject *(*Tuple_GetItem)(PyObject *, Py_ssize_t);
	Py_ssize_t (*List_Size)(PyObject *);
	PyObject *(*List_GetItem)(PyObject *, Py_ssize_t);
	Py_ssize_t (*Dict_Size)(PyObject *);
	int (*Dict_Next)(PyObject *, Py_ssize_t *, PyObject **, PyObject **);
	Py_ssize_t (*Set_Size)(PyObject *);
	int (*Set_NextEntry)(PyObject *, Py_ssize_t *, PyObject **, Py_ssize_t *);
	PyObject *(*Type_GetQualName)(PyObject *);
	Py_ssize_t (*Unicode_GetLength)(PyObject *);
	uint32_t (*Unicode_ReadChar)(PyObject *, Py_ssize_t);
	Py_ssize_t (*Unicode_FindChar)(PyObject *, uint32_t, Py_ssize_t, Py_ssize_t, int);
	int (*Unicode_IsPrintable)(uint32_t);
	PyObject *module_name;  /* "__module__", interned */
} v;

static const struct { const char *name; size_t off; } vsyms[] = {
#define V(f, n) { n, offsetof(__typeof__(v), f) }
	V(type_t, "PyType_Type"), V(bool_t, "PyBool_Type"), V(long_t, "PyLong_Type"),
	V(float_t, "PyFloat_Type"), V(str_t, "PyUnicode_Type"), V(bytes_t, "PyBytes_Type"),
	V(tuple_t, "PyTuple_Type"), V(list_t, "PyList_Type"), V(dict_t, "PyDict_Type"),
	V(set_t, "PySet_Type"), V(frozenset_t, "PyFrozenSet_Type"),
	V(false_o, "_Py_FalseStruct"), V(true_o, "_Py_TrueStruct"),
	V(ellipsis_o, "_Py_EllipsisObject"), V(none_o, "_Py_NoneStruct"),
	V(Long_AsLongLongAndOverflow, "PyLong_AsLongLongAndOverflow"),
	V(Float_AsDouble, "PyFloat_AsDouble"), V(Object_Repr, "PyObject_Repr"),
	V(Unicode_AsEncodedString, "PyUnicode_AsEncodedString"),
	V(Tuple_Size, "PyTuple_Size"), V(Tuple_GetItem, "PyTuple_GetItem"),
	V(List_Size, "PyList_Size"), V(List_GetItem, "PyList_GetItem"),
	V(Dict_Size, "PyDict_Size"), V(Dict_Next, "PyDict_Next"),
	V(Set_Size, "PySet_Size"), V(Set_NextEntry, "_PySet_NextEntry"),
	V(Type_GetQualName, "PyType_GetQualName"),
	V(Unicode_GetLength, "PyUnicode_GetLength"), V(Unicode_ReadChar, "PyUnicode_ReadChar"),
	V(Unicode_FindChar, "PyUnicode_FindChar"),
	V(Unicode_IsPrintable, "_PyUnicode_IsPrintable"),
#undef V
};

/* 0, or -1 when a symbol is missing (its name into MISSING): values are
 * then refused. */
int
values_resolve(char *missing, size_t cap)
{
	for (size_t i = 0; i < sizeof vsyms / sizeof vsyms[0]; i++) {
		void *p = dlsym(RTLD_DEFAULT, vsyms[i].name);
		if (!p) {
			snprintf(missing, cap, "%s", vsyms[i].name);
			return -1;
		}
		*(void **)((char *)&v + vsyms[i].off) = p;
	}
	/* made again at every start: a new interpreter may have come */
	v.module_name = api.Unicode_InternFromString("__module__");
	if (!v.module_name) {
		api.Err_Clear();
		snprintf(missing, cap, "%s", "PyUnicode_InternFromString");
		return -1;
	}
	return 0;
}

struct enc {
	uint8_t *buf;
	size_t len, cap;        /* cap keeps one byte for PYTAP_VAL_CUT */
	int cut;
	const struct value_limits *lim;
	PyObject *path[16];     /* containers being encoded (recursion) */
	unsigned depth;
};

static int
put(struct enc *e, const void *p, size_t n)
{
	if (e->cut || e->len + n > e->cap) {
		if (!e->cut) {
			e->buf[e->len++] = PYTAP_VAL_CUT;
			e->cut = 1;
		}
		return -1;
	}
	memcpy(e->buf + e->len, p, n);
	e->len += n;
	return 0;
}

static int
put8(struct enc *e, uint8_t b)
{
	return put(e, &b, 1);
}

static int
put32(struct enc *e, uint32_t x)
{
	return put(e, &x, 4);
}

/* tag, u32 full length, u32 n, n bytes */
static int
put_text(struct enc *e, uint8_t tag, const char *s, size_t n)
{
	size_t m = n > e->lim->max_string ? e->lim->max_string : n;
	if (put8(e, tag) < 0 || put32(e, (uint32_t)n) < 0 || put32(e, (uint32_t)m) < 0)
		return -1;
	return put(e, s, m);
}

/* "module.qualname" of type T as object.__repr__ shows it (no module for
 * builtins); the module only when T's metaclass is type itself. */
static void
type_name(PyObject *t, char *out, size_t cap)
{
	PyObject *qn = v.Type_GetQualName(t), *mt = api.Object_Type(t), *mod = NULL;
	Py_ssize_t n = 0, mn = 0;
	const char *s = NULL, *ms = NULL;

	if (mt == v.type_t)     /* a metaclass could compute __module__ */
		mod = api.Object_GetAttr(t, v.module_name);
	if (mt)
		api.DecRef(mt);
	if (mod) {
		PyObject *mt2 = api.Object_Type(mod);
		if (mt2 == v.str_t)
			ms = api.Unicode_AsUTF8AndSize(mod, &mn);
		if (mt2)
			api.DecRef(mt2);
	}
	if (qn)
		s = api.Unicode_AsUTF8AndSize(qn, &n);
	api.Err_Clear();
	if (!s)
		s = "?", n = 1;
	if (ms && !(mn == 8 && memcmp(ms, "builtins", 8) == 0))
		snprintf(out, cap, "%.*s.%.*s", (int)mn, ms, (int)n, s);
	else
		snprintf(out, cap, "%.*s", (int)n, s);
	if (qn)
		api.DecRef(qn);
	if (mod)
		api.DecRef(mod);
}

static int
put_other(struct enc *e, PyObject *o, PyObject *t)
{
	char name[256];
	uint64_t addr = (uint64_t)(uintptr_t)o;
	uint16_t n;

	type_name(t, name, sizeof name);
	n = (uint16_t)strlen(name);
	if (put8(e, PYTAP_VAL_OTHER) < 0 || put(e, &addr, 8) < 0 || put(e, &n, 2) < 0)
		return -1;
	return put(e, name, n);
}


/* Python's quote for a repr: ' unless the text has ' and no ". */
static uint8_t
quote_of(int has_single, int has_double)
{
	return has_single && !has_double ? '"' : '\'';
}

/* BYTES: tag, u8 quote, u32 full length, u32 n, n raw bytes (the quote
 * is chosen on the whole object, as bytes.__repr__ does). */
static int
put_bytes(struct enc *e, const char *s, size_t n)
{
	size_t m = n > e->lim->max_string ? e->lim->max_string : n;
	uint8_t q = quote_of(memchr(s, '\'', n) != NULL, memchr(s, '"', n) != NULL);

	if (put8(e, PYTAP_VAL_BYTES) < 0 || put8(e, q) < 0 || put32(e, (uint32_t)n) < 0 ||
	    put32(e, (uint32_t)m) < 0)
		return -1;
	return put(e, s, m);
}

#define STR_SCAN_MAX (1u << 20)  /* quote choice: the whole str up to this */

/* STR: tag, u8 quote, u32 length (code points), u32 code points sent,
 * u32 n, n bytes: the escaped body of str.__repr__ for those code points
 * (UTF-8, quotes not included), at most max_string bytes.  Escapes are
 * computed here with the interpreter's own printable test, so the text is
 * exactly repr()'s. */
static int
put_str(struct enc *e, PyObject *o)
{
	Py_ssize_t len = v.Unicode_GetLength(o), scan, i;
	char buf[16];
	size_t start, body = 0, maxb = e->lim->max_string;
	uint32_t sent = 0;
	uint8_t q;
	int hs, hd;

	if (len < 0) {
		api.Err_Clear();
		return put8(e, PYTAP_VAL_ERROR);
	}
	scan = len > (Py_ssize_t)STR_SCAN_MAX ? (Py_ssize_t)STR_SCAN_MAX : len;
	hs = v.Unicode_FindChar(o, '\'', 0, scan, 1) >= 0;
	hd = v.Unicode_FindChar(o, '"', 0, scan, 1) >= 0;
	api.Err_Clear();
	q = quote_of(hs, hd);
	if (put8(e, PYTAP_VAL_STR) < 0 || put8(e, q) < 0 || put32(e, (uint32_t)len) < 0)
		return -1;
	start = e->len;         /* sent and n go here, filled at the end */
	if (put32(e, 0) < 0 || put32(e, 0) < 0)
		return -1;
	for (i = 0; i < len; i++) {
		uint32_t c = v.Unicode_ReadChar(o, i);
		size_t k;
		if (c == q || c == '\\')
			buf[0] = '\\', buf[1] = (char)c, k = 2;
		else if (c == '\t')
			memcpy(buf, "\\t", 2), k = 2;
		else if (c == '\n')
			memcpy(buf, "\\n", 2), k = 2;
		else if (c == '\r')
			memcpy(buf, "\\r", 2), k = 2;
		else if (c < ' ' || c == 0x7f)
			k = (size_t)snprintf(buf, sizeof buf, "\\x%02x", c);
		else if (c < 0x7f)
			buf[0] = (char)c, k = 1;
		else if (v.Unicode_IsPrintable(c)) {
			if (c < 0x800)
				buf[0] = (char)(0xc0 | c >> 6), buf[1] = (char)(0x80 | (c & 0x3f)), k = 2;
			else if (c < 0x10000)
				buf[0] = (char)(0xe0 | c >> 12), buf[1] = (char)(0x80 | ((c >> 6) & 0x3f)),
				buf[2] = (char)(0x80 | (c & 0x3f)), k = 3;
			else
				buf[0] = (char)(0xf0 | c >> 18), buf[1] = (char)(0x80 | ((c >> 12) & 0x3f)),
				buf[2] = (char)(0x80 | ((c >> 6) & 0x3f)), buf[3] = (char)(0x80 | (c & 0x3f)), k = 4;
		} else if (c <= 0xff)
			k = (size_t)snprintf(buf, sizeof buf, "\\x%02x", c);
		else if (c <= 0xffff)
			k = (size_t)snprintf(buf, sizeof buf, "\\u%04x", c);
		else
			k = (size_t)snprintf(buf, sizeof buf, "\\U%08x", c);
		if (body + k > maxb)
			break;
		if (put(e, buf, k) < 0)
			return -1;
		body += k;
		sent++;
	}
	api.Err_Clear();
	memcpy(e->buf + start, &sent, 4);
	{
		uint32_t nb = (uint32_t)body;
		memcpy(e->buf + start + 4, &nb, 4);
	}
	return 0;
}

static int encode(struct enc *e, PyObject *o);

static int
encode_seq(struct enc *e, PyObject *o, uint8_t tag, int is_tuple)
{
	Py_ssize_t n = is_tuple ? v.Tuple_Size(o) : v.List_Size(o);
	uint32_t m = (uint32_t)(n > (Py_ssize_t)e->lim->max_items ? e->lim->max_items : (size_t)n);

	if (put8(e, tag) < 0 || put32(e, (uint32_t)n) < 0 || put32(e, m) < 0)
		return -1;
	for (uint32_t i = 0; i < m; i++) {
		PyObject *it = is_tuple ? v.Tuple_GetItem(o, i) : v.List_GetItem(o, i);
		int rc;
		if (!it) {      /* the list shrank: say so, keep the count */
			api.Err_Clear();
			if (put8(e, PYTAP_VAL_ERROR) < 0)
				return -1;
			continue;
		}
		api.IncRef(it);
		rc = encode(e, it);
		api.DecRef(it);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int
encode_dict(struct enc *e, PyObject *o)
{
	Py_ssize_t n = v.Dict_Size(o), pos = 0;
	uint32_t m = (uint32_t)(n > (Py_ssize_t)e->lim->max_items ? e->lim->max_items : (size_t)n);
	PyObject *k, *val;
	uint32_t i = 0;

	if (put8(e, PYTAP_VAL_DICT) < 0 || put32(e, (uint32_t)n) < 0 || put32(e, m) < 0)
		return -1;
	while (i < m && v.Dict_Next(o, &pos, &k, &val)) {
		int rc;
		api.IncRef(k);
		api.IncRef(val);
		rc = encode(e, k);
		if (rc == 0)
			rc = encode(e, val);
		api.DecRef(k);
		api.DecRef(val);
		if (rc < 0)
			return -1;
		i++;
	}
	for (; i < m; i++)      /* fewer than counted: cannot happen under the GIL */
		if (put8(e, PYTAP_VAL_ERROR) < 0 || put8(e, PYTAP_VAL_ERROR) < 0)
			return -1;
	return 0;
}

static int
encode_set(struct enc *e, PyObject *o, uint8_t tag)
{
	Py_ssize_t n = v.Set_Size(o), pos = 0, hash;
	uint32_t m = (uint32_t)(n > (Py_ssize_t)e->lim->max_items ? e->lim->max_items : (size_t)n);
	PyObject *k;
	uint32_t i = 0;

	if (put8(e, tag) < 0 || put32(e, (uint32_t)n) < 0 || put32(e, m) < 0)
		return -1;
	while (i < m && v.Set_NextEntry(o, &pos, &k, &hash)) {
		int rc;
		api.IncRef(k);          /* borrowed from the set */
		rc = encode(e, k);
		api.DecRef(k);
		if (rc < 0)
			return -1;
		i++;
	}
	for (; i < m; i++)
		if (put8(e, PYTAP_VAL_ERROR) < 0)
			return -1;
	return 0;
}

static int
encode(struct enc *e, PyObject *o)
{
	PyObject *t;
	int rc;

	if (e->cut)
		return -1;
	if (o == v.none_o)
		return put8(e, PYTAP_VAL_NONE);
	if (o == v.false_o)
		return put8(e, PYTAP_VAL_FALSE);
	if (o == v.true_o)
		return put8(e, PYTAP_VAL_TRUE);
	if (o == v.ellipsis_o)
		return put8(e, PYTAP_VAL_ELLIPSIS);
	t = api.Object_Type(o);
	if (!t) {
		api.Err_Clear();
		return put8(e, PYTAP_VAL_ERROR);
	}
	api.DecRef(t);  /* o keeps its type alive */
	if (t == v.long_t) {
		int over = 0;
		long long x = v.Long_AsLongLongAndOverflow(o, &over);
		if (!over) {
			int64_t y = x;
			if (put8(e, PYTAP_VAL_INT) < 0)
				return -1;
			return put(e, &y, 8);
		}
		/* beyond 64 bits: the int's own decimal text (C code); more
		 * digits than sys.get_int_max_str_digits() fail: OTHER */
		PyObject *r = v.Object_Repr(o);
		if (r) {
			Py_ssize_t n = 0;
			const char *s = api.Unicode_AsUTF8AndSize(r, &n);
			rc = s ? put_text(e, PYTAP_VAL_BIGINT, s, (size_t)n) : put8(e, PYTAP_VAL_ERROR);
			api.DecRef(r);
			return rc;
		}
		api.Err_Clear();
		return put_other(e, o, t);
	}
	if (t == v.float_t) {
		double d = v.Float_AsDouble(o);
		if (put8(e, PYTAP_VAL_FLOAT) < 0)
			return -1;
		return put(e, &d, 8);
	}
	if (t == v.str_t)
		return put_str(e, o);
	if (t == v.bytes_t) {
		char *s = NULL;
		Py_ssize_t n = 0;
		if (api.Bytes_AsStringAndSize(o, &s, &n) < 0) {
			api.Err_Clear();
			return put8(e, PYTAP_VAL_ERROR);
		}
		return put_bytes(e, s, (size_t)n);
	}
	uint8_t tag = t == v.tuple_t ? PYTAP_VAL_TUPLE : t == v.list_t ? PYTAP_VAL_LIST :
		t == v.dict_t ? PYTAP_VAL_DICT : t == v.set_t ? PYTAP_VAL_SET :
		t == v.frozenset_t ? PYTAP_VAL_FROZENSET : 0;
	if (!tag)
		return put_other(e, o, t);
	for (unsigned i = 0; i < e->depth; i++)
		if (e->path[i] == o) {
			if (put8(e, PYTAP_VAL_RECURSE) < 0)
				return -1;
			return put8(e, tag);
		}
	if (e->depth >= e->lim->depth || e->depth >= sizeof e->path / sizeof e->path[0]) {
		if (put8(e, PYTAP_VAL_DEPTH) < 0)
			return -1;
		return put8(e, tag);
	}
	e->path[e->depth++] = o;
	if (tag == PYTAP_VAL_TUPLE || tag == PYTAP_VAL_LIST)
		rc = encode_seq(e, o, tag, tag == PYTAP_VAL_TUPLE);
	else if (tag == PYTAP_VAL_DICT)
		rc = encode_dict(e, o);
	else
		rc = encode_set(e, o, tag);
	e->depth--;
	return rc;
}

/* O's encoding, or an ERROR value where there is no object. */
static void
encode_or_error(struct enc *e, PyObject *o)
{
	if (o)
		encode(e, o);
	else
		put8(e, PYTAP_VAL_ERROR);
}

size_t
value_encode(PyObject *o, uint8_t *buf, size_t cap, const struct value_limits *lim, int *cut)
{
	struct enc e = { .buf = buf, .len = 0, .cap = cap ? cap - 1 : 0, .lim = lim };

	if (!cap) {
		*cut = 1;
		return 0;
	}
	encode_or_error(&e, o);
	*cut = e.cut;
	return e.len;
}

size_t
value_encode_exception(PyObject *exc, PyObject *args, uint8_t *buf, size_t cap,
		       const struct value_limits *lim, int *cut)
{
	struct enc e = { .buf = buf, .len = 0, .cap = cap ? cap - 1 : 0, .lim = lim };
	PyObject *t = api.Object_Type(exc);
	char name[256];
	uint64_t addr = (uint64_t)(uintptr_t)exc;
	uint16_t n;

	if (!cap || !t) {
		if (!t)
			api.Err_Clear();
		*cut = !cap;
		return cap ? (buf[0] = PYTAP_VAL_ERROR, 1) : 0;
	}
	type_name(t, name, sizeof name);
	api.DecRef(t);
	n = (uint16_t)strlen(name);
	if (put8(&e, PYTAP_VAL_EXCEPTION) == 0 && put(&e, &addr, 8) == 0 &&
	    put(&e, &n, 2) == 0 && put(&e, name, n) == 0) {
		encode_or_error(&e, args);
	}
	*cut = e.cut;
	return e.len;
}

/* ---- capture (moved here from agent.c: GIL held, hooks only) ---------- */

long
long_attr(PyObject *code, const char *name)
{
	PyObject *o = api.Object_GetAttrString(code, name);
	long v;

	if (!o) {
		api.Err_Clear();
		return 0;
	}
	v = api.Long_AsLong(o);
	api.DecRef(o);
	if (v == -1)
		api.Err_Clear();
	return v;
}

/* How many parameters CODE has, and how co_varnames orders them
 * (positional, keyword only, *args, **kwargs): packed as nparams |
 * star << 8 | kwonly << 16, star being the signature position of *args
 * when keyword-only parameters follow it (0xff: co_varnames order is the
 * signature's already). */
uint32_t
nparams_of(PyObject *code, uint32_t co_flags)
{
	long a = long_attr(code, "co_argcount"), k = long_attr(code, "co_kwonlyargcount");
	long n = a + k;
	unsigned star = 0xff;

	n += (co_flags & 0x04) != 0;    /* CO_VARARGS */
	n += (co_flags & 0x08) != 0;    /* CO_VARKEYWORDS */
	n = n < 0 ? 0 : n > 255 ? 255 : n;
	if ((co_flags & 0x04) && k > 0 && a + k < 255)
		star = (unsigned)a;
	else
		k = 0;
	return (uint32_t)n | star << 8 | (uint32_t)k << 16;
}

/* The co_varnames index of the parameter at signature position I
 * (SHAPE from nparams_of): def f(a, *rest, k) is a, rest, k. */
unsigned
param_index(unsigned i, uint32_t shape)
{
	unsigned star = (shape >> 8) & 0xff, k = (shape >> 16) & 0xff;

	if (star == 0xff || i < star || i > star + k)
		return i;
	return i == star ? star + k : i - 1;
}

/* Value capture: the parameter count of each id of this session, so that
 * a call needs no attribute lookup (grows with the ids, freed at start). */
uint32_t *g_nparams;
size_t g_nparams_cap;

void
nparams_keep(uint32_t id, uint32_t shape)
{
	if (!g_values)
		return;
	if (id >= g_nparams_cap) {
		size_t cap = g_nparams_cap ? g_nparams_cap : 4096;
		uint32_t *p;
		while (cap <= id)
			cap *= 2;
		p = realloc(g_nparams, cap * sizeof *p);
		if (!p)
			return;         /* capture_args looks it up then */
		memset(p + g_nparams_cap, 0xff, (cap - g_nparams_cap) * sizeof *p);
		g_nparams = p;
		g_nparams_cap = cap;
	}
	g_nparams[id] = shape;
}

/* Value capture (PYTAP_OPT_VALUES): encoded here first, then copied into
 * the ring right behind the event, in one allocation. */
struct value_limits g_vlim;
uint8_t g_vbuf[PYTAP_VALUE_MAX];
size_t g_vlen;
uint32_t g_vcount;
uint16_t g_vflags;

/* The arguments of a fresh call of CODE running in FRAME into g_vbuf. */
void
capture_args(PyObject *frame, PyObject *code, uint32_t id)
{
	PyObject *et, *ev, *etb, *locals, *names;
	uint32_t shape;
	unsigned n;
	int cut = 0;

	g_vlen = 0;
	g_vcount = 0;
	g_vflags = 0;
	api.Err_Fetch(&et, &ev, &etb);
	if (id < g_nparams_cap && g_nparams[id] != 0xffffffffu)
		shape = g_nparams[id];
	else
		shape = nparams_of(code, (uint32_t)long_attr(code, "co_flags"));
	n = shape & 0xff;
	/* 3.12+: PyFrame_GetVar reads the variable in place; 3.11 makes the
	 * frame's locals dict (as frame.f_locals does) */
	locals = frame && !api.Frame_GetVar ? api.Frame_GetLocals(frame) : NULL;
	names = api.Code_GetVarnames(code);
	api.Err_Clear();
	for (unsigned i = 0; i < n && !cut; i++) {
		PyObject *nm = names ? api.Tuple_GetItem(names,
							 (Py_ssize_t)param_index(i, shape)) : NULL;
		PyObject *val = !nm || !frame ? NULL :
			api.Frame_GetVar ? api.Frame_GetVar(frame, nm) :
			locals ? api.Object_GetItem(locals, nm) : NULL;
		if (!val)
			api.Err_Clear();
		g_vlen += value_encode(val, g_vbuf + g_vlen, sizeof g_vbuf - g_vlen, &g_vlim, &cut);
		g_vcount++;
		if (val)
			api.DecRef(val);
	}
	if (locals)
		api.DecRef(locals);
	if (names)
		api.DecRef(names);
	api.Err_Clear();
	api.Err_Restore(et, ev, etb);
}

/* 3.11 has no PyException_GetArgs: exc.args, only where that is
 * BaseException's own descriptor found by BaseException's own (generic)
 * attribute lookup (no property, no __getattribute__ of the class:
 * nothing runs); else
 * NULL. */
static PyObject *
exc_args311(PyObject *exc)
{
	static PyObject *(*type_lookup)(PyObject *, PyObject *);
	static PyObject *base_exc, *args_s, *getattribute_s;
	PyObject *t, *r = NULL;

	if (!type_lookup) {
		PyObject **be = dlsym(RTLD_DEFAULT, "PyExc_BaseException");
		type_lookup = (PyObject *(*)(PyObject *, PyObject *))dlsym(RTLD_DEFAULT, "_PyType_Lookup");
		base_exc = be ? *be : NULL;
		args_s = api.Unicode_InternFromString("args");
		getattribute_s = api.Unicode_InternFromString("__getattribute__");
		if (!type_lookup || !base_exc || !args_s || !getattribute_s) {
			api.Err_Clear();
			type_lookup = NULL;
			return NULL;
		}
	}
	t = api.Object_Type(exc);
	if (t && type_lookup(t, args_s) == type_lookup(base_exc, args_s) &&
	    type_lookup(t, getattribute_s) == type_lookup(base_exc, getattribute_s))
		r = api.Object_GetAttr(exc, args_s);
	if (t)
		api.DecRef(t);
	api.Err_Clear();
	return r;
}

/* A returned/yielded value (exc 0) or an exception (exc 1) into g_vbuf. */
void
capture_value(PyObject *o, int exc)
{
	PyObject *et, *ev, *etb;
	int cut = 0;

	g_vlen = 0;
	g_vcount = 0;
	g_vflags = 0;
	if (!o)
		return;
	api.Err_Fetch(&et, &ev, &etb);
	if (exc) {
		PyObject *args = api.Exception_GetArgs ? api.Exception_GetArgs(o) : exc_args311(o);
		g_vlen = value_encode_exception(o, args, g_vbuf, sizeof g_vbuf, &g_vlim, &cut);
		if (args)
			api.DecRef(args);
		g_vflags = PYTAP_F_VALUE_EXC;
	} else {
		g_vlen = value_encode(o, g_vbuf, sizeof g_vbuf, &g_vlim, &cut);
	}
	g_vcount = 1;
	api.Err_Clear();
	api.Err_Restore(et, ev, etb);
}
