/*
 * objects.c - reading a CPython process's memory (py_read1, py_readv:
 * batched, bounded, errors in the context) and the objects that both the
 * frame walk (frames.c) and repr() (pyrepr.c) need: the text of str
 * objects, small ints, dicts (their items in insertion order, a str key
 * looked up), and the attributes of instances with a managed dict.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cpython_int.h"

/* ---- reading ---------------------------------------------------------- */

size_t py_readv(struct py_ctx *c, struct py_iov *v, size_t n)
{
	size_t ok = 0;

	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		v[i].ok = false;
	c->m->readv(c->m->ud, c->m->pid, v, n);
	for (size_t i = 0; i < n; i++)
		ok += v[i].ok;
	return ok;
}

int py_read1(struct py_ctx *c, uint64_t addr, void *buf, size_t len)
{
	struct py_iov v = { addr, buf, len, false };

	if (addr == 0) {
		CERR(c, "NULL pointer");
		return -1;
	}
	if (py_readv(c, &v, 1) == 1)
		return 0;
	CERR(c, "cannot read %zu bytes at 0x%" PRIx64, len, addr);
	return -1;
}

/* ---- str objects ------------------------------------------------------- */

/* Append code point CP as UTF-8 (U+FFFD past U+10FFFF). */
void py_put_utf8(struct strbuf *out, uint32_t cp)
{
	char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		if (cp > 0x10ffff)
			cp = 0xfffd;
		b[0] = (char)(0xf0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	sb_append(out, b, n);
}

int py_str_text(struct py_ctx *c, uint64_t addr, const unsigned char *head,
		size_t have, struct strbuf *out, size_t max)
{
	const struct py_layout *L = c->L;
	unsigned char hdr[128];
	unsigned char *data = NULL;
	const unsigned char *src;
	uint64_t len, dataddr;
	uint32_t state, kind;
	bool compact, ascii;
	size_t need = (size_t)L->str_compact_data + 8, nbytes, start;
	int rc = -1;

	if (head == NULL || have < need) {
		if (py_read1(c, addr, hdr, need) < 0)
			return -1;
		head = hdr;
		have = need;
	}
	if (c->pp->sym[PYS_STR_TYPE] &&
	    py_u64(head, L->ob_type) != c->pp->sym[PYS_STR_TYPE]) {
		CERR(c, "0x%" PRIx64 " is not a str object", addr);
		return -1;
	}
	len = py_u64(head, L->str_length);
	state = py_u32(head, L->str_state);
	kind = (state >> L->str_kind_shift) & 7;
	compact = (state >> L->str_compact_bit) & 1;
	ascii = (state >> L->str_ascii_bit) & 1;
	if ((kind != 1 && kind != 2 && kind != 4) || len > (1ull << 40)) {
		CERR(c, "0x%" PRIx64 " is not a valid str object", addr);
		return -1;
	}
	/* at most MAX code points are needed for MAX bytes of UTF-8 */
	if (len > max)
		len = max;
	nbytes = (size_t)len * kind;
	if (compact)
		start = (size_t)(ascii ? L->str_ascii_data
				       : L->str_compact_data);
	else
		start = 0;
	if (compact && start + nbytes <= have) {
		src = head + start;
	} else {
		dataddr = compact ? addr + start : py_u64(head, L->str_data_ptr);
		data = malloc(nbytes ? nbytes : 1);
		if (data == NULL) {
			CERR(c, "out of memory");
			return -1;
		}
		if (nbytes && py_read1(c, dataddr, data, nbytes) < 0)
			goto out;
		src = data;
	}
	{
		size_t base = out->len;

		for (size_t i = 0; i < len; i++) {
			uint32_t cp = kind == 1 ? src[i] :
				      kind == 2 ? (uint32_t)src[2 * i] |
						  (uint32_t)src[2 * i + 1] << 8
						: py_u32(src, (int)(4 * i));
			size_t before = out->len;

			py_put_utf8(out, cp);
			if (out->len - base > max) {
				sb_truncate(out, before);
				break;
			}
		}
	}
	rc = 0;
out:
	free(data);
	return rc;
}

/* ---- dicts, ints, attributes (for thread names; pyrepr.c too) --------- */

/* The value of a small int object (|v| < 2^64): 0, or -1 if ADDR is not
 * an int or too big.  HEAD: its first 40 bytes if already read. */
int py_long_small(struct py_ctx *c, uint64_t addr, const unsigned char *head,
		  uint64_t *val, bool *neg)
{
	const struct py_layout *L = c->L;
	unsigned char b[48];
	uint64_t tag, nd, v = 0;

	if (head == NULL) {
		if (py_read1(c, addr, b, sizeof(b)) < 0)
			return -1;
		head = b;
	}
	tag = py_u64(head, L->long_tag);
	nd = py_long_digits(L, tag, neg);
	if (nd > 3)
		return -1;
	for (uint64_t i = nd; i-- > 0;) {
		uint32_t d = py_u32(head, L->long_digits + (int)(4 * i));

		if (i == 2 && d >= 16)
			return -1;	/* 60 + 4 bits at most */
		v = (v << 30) | (d & 0x3fffffff);
	}
	*val = v;
	return 0;
}

/* Read the dict header of DICT and its entries: 0 or -1.  ENT gets
 * nentries entries (malloc), *ESIZE their size, *VALUES the split
 * values array (0 = combined). */
static int dict_entries(struct py_ctx *c, uint64_t dict,
			unsigned char **ent, size_t *nent, size_t *esize,
			uint64_t *values, uint64_t *used)
{
	const struct py_layout *L = c->L;
	unsigned char d[64], k[40];
	uint64_t keys, nentries;
	unsigned log2_index;
	int kind;
	size_t bytes;

	*ent = NULL;
	if (py_read1(c, dict, d, (size_t)L->dict_values + 8) < 0)
		return -1;
	if (c->pp->sym[PYS_DICT_TYPE] &&
	    py_u64(d, L->ob_type) != c->pp->sym[PYS_DICT_TYPE]) {
		CERR(c, "0x%" PRIx64 " is not a dict", dict);
		return -1;
	}
	*used = py_u64(d, L->dict_used);
	keys = py_u64(d, L->dict_keys);
	*values = py_u64(d, L->dict_values);
	if (py_read1(c, keys, k, (size_t)L->dk_indices) < 0)
		return -1;
	log2_index = k[L->dk_log2_index_bytes];
	kind = k[L->dk_kind];
	nentries = py_u64(k, L->dk_nentries);
	if (log2_index > 40 || nentries > (1u << 20)) {
		CERR(c, "0x%" PRIx64 " is not a valid dict", dict);
		return -1;
	}
	*esize = (size_t)(kind == 0 ? L->dk_entry_general
				    : L->dk_entry_unicode);
	bytes = (size_t)nentries * *esize;
	*nent = (size_t)nentries;
	*ent = malloc(bytes ? bytes : 1);
	if (*ent == NULL)
		return -1;
	if (bytes && py_read1(c, keys + (uint64_t)L->dk_indices +
			      (1ull << log2_index), *ent, bytes) < 0) {
		free(*ent);
		*ent = NULL;
		return -1;
	}
	return 0;
}

/*
 * The items of DICT in insertion order: at most MAX keys and values (object
 * addresses), *N of them; *TOTAL = len(dict).  0, or -1.
 */
int py_dict_items(struct py_ctx *c, uint64_t dict, uint64_t *keys,
		  uint64_t *vals, size_t max, size_t *n, uint64_t *total)
{
	unsigned char *ent, order[256], sz = 0;
	size_t nent, esize, i, cnt = 0;
	uint64_t values, *sv = NULL;
	int koff;

	*n = 0;
	if (dict_entries(c, dict, &ent, &nent, &esize, &values, total) < 0)
		return -1;
	koff = esize == 24 ? 8 : 0;	/* general entries start with the hash */
	if (values) {
		/* split table: values[ix], insertion order in the bytes
		 * before the array (_PyDictValues_AddToInsertionOrder: the
		 * count at values[-2], the i-th index at values[-3 - i]) */
		struct py_iov v[2];
		size_t nv = 0;

		uint64_t order_at, cap = nent;

		if (c->L->dict_values_header) {
			/* 3.13: capacity, size, embedded, valid; values[];
			 * then the order */
			unsigned char h[8];

			if (py_read1(c, values, h, sizeof(h)) < 0)
				goto fail;
			cap = h[0];
			sz = h[1];
			values += 8;
			order_at = values + cap * 8;
			if (nent > cap)
				nent = (size_t)cap;
		} else {
			if (py_read1(c, values - 2, &sz, 1) < 0)
				goto fail;
			order_at = values - 2 - sz;
		}
		sv = calloc(nent ? nent : 1, sizeof(*sv));
		if (sv == NULL)
			goto fail;
		if (nent)
			v[nv++] = (struct py_iov){ values, sv, nent * 8, false };
		if (sz)
			v[nv++] = (struct py_iov){ order_at, order, sz, false };
		if (py_readv(c, v, nv) != nv) {
			CERR(c, "cannot read the values of dict 0x%" PRIx64,
			     dict);
			goto fail;
		}
		for (i = 0; i < sz && cnt < max; i++) {
			size_t ix = c->L->dict_values_header ? order[i]
							     : order[sz - 1 - i];

			if (ix >= nent || sv[ix] == 0)
				continue;
			keys[cnt] = py_u64(ent + ix * esize, koff);
			vals[cnt] = sv[ix];
			cnt++;
		}
	} else {
		for (i = 0; i < nent && cnt < max; i++) {
			uint64_t k = py_u64(ent + i * esize, koff);
			uint64_t v = py_u64(ent + i * esize, koff + 8);

			if (k == 0 || v == 0)
				continue;
			keys[cnt] = k;
			vals[cnt] = v;
			cnt++;
		}
	}
	*n = cnt;
	free(sv);
	free(ent);
	return 0;
fail:
	free(sv);
	free(ent);
	return -1;
}

/* Does the str at ADDR equal KEY?  1, 0, or -1 (unreadable). */
static int str_eq(struct py_ctx *c, uint64_t addr, const char *key)
{
	struct strbuf s = STRBUF_INIT;
	size_t kl = strlen(key);
	int r;

	if (py_str_text(c, addr, NULL, 0, &s, kl + 1) < 0) {
		sb_free(&s);
		return -1;
	}
	r = s.len == kl && memcmp(sb_str(&s), key, kl) == 0;
	sb_free(&s);
	return r;
}

/* The index of the str equal to KEY among the N objects at KS, or -1
 * (-2: nothing readable).  Compact ASCII keys compare in one batched
 * read of their heads. */
static long find_key(struct py_ctx *c, const uint64_t *ks, size_t n,
		     const char *key)
{
	const struct py_layout *L = c->L;
	size_t kl = strlen(key), i;
	size_t hsz = (size_t)L->str_ascii_data + kl + 1;
	unsigned char *heads = malloc(n * hsz + 1);
	struct py_iov *v = malloc((n + 1) * sizeof(*v));
	long found = -1;

	if (heads == NULL || v == NULL) {
		free(heads);
		free(v);
		return -2;
	}
	for (i = 0; i < n; i++)
		v[i] = (struct py_iov){ ks[i], heads + i * hsz, hsz, false };
	py_readv(c, v, n);
	for (i = 0; i < n && found < 0; i++) {
		const unsigned char *h = heads + i * hsz;
		uint32_t st;

		if (ks[i] == 0)
			continue;
		if (v[i].ok && (!c->pp->sym[PYS_STR_TYPE] ||
				py_u64(h, L->ob_type) ==
				c->pp->sym[PYS_STR_TYPE])) {
			st = py_u32(h, L->str_state);
			if (((st >> L->str_compact_bit) & 1) &&
			    ((st >> L->str_ascii_bit) & 1)) {
				if (py_u64(h, L->str_length) == kl &&
				    memcmp(h + L->str_ascii_data, key, kl) == 0)
					found = (long)i;
				continue;
			}
		}
		if (str_eq(c, ks[i], key) == 1)
			found = (long)i;
	}
	free(heads);
	free(v);
	return found;
}

int py_dict_get_str(struct py_ctx *c, uint64_t dict, const char *key,
		    uint64_t *val)
{
	uint64_t *ks, *vs, total;
	size_t n = 0, max = 4096;
	long i;
	int rc = -1;

	*val = 0;
	ks = calloc(max, sizeof(*ks));
	vs = calloc(max, sizeof(*vs));
	if (ks && vs && py_dict_items(c, dict, ks, vs, max, &n, &total) == 0) {
		rc = 0;
		i = find_key(c, ks, n, key);
		if (i >= 0)
			*val = vs[i];
	}
	free(ks);
	free(vs);
	return rc;
}

/* The attribute NAME of an instance whose class keeps a managed dict
 * (every Python class without __slots__): *VAL or 0.  0, or -1. */
int py_instance_attr(struct py_ctx *c, uint64_t obj, const char *name,
		     uint64_t *val)
{
	const struct py_layout *L = c->L;
	unsigned char o[16], t[256];
	uint64_t type, slot, values = 0, keys;
	unsigned long flags;

	*val = 0;
	if ((size_t)L->tp_flags + 8 > sizeof(t) ||
	    py_read1(c, obj, o, sizeof(o)) < 0)
		return -1;
	type = py_u64(o, L->ob_type);
	if (py_read1(c, type, t, (size_t)L->tp_flags + 8) < 0)
		return -1;
	flags = (unsigned long)py_u64(t, L->tp_flags);
	if (!(flags & L->tpflag_managed_dict))
		return 0;
	if (py_read1(c, obj + (uint64_t)(int64_t)L->obj_managed_dict, &slot,
		     8) < 0)
		return -1;
	if (L->obj_inline_values) {
		/* 3.13: values at tp_basicsize, unless the dict took them */
		uint64_t basic;
		unsigned char h[8];

		if (slot == 0) {
			if (py_read1(c, type + (uint64_t)L->tp_basicsize, &basic,
				     8) < 0 || basic > 4096 ||
			    py_read1(c, obj + basic, h, sizeof(h)) < 0)
				return -1;
			if (h[3])	/* valid */
				values = obj + basic + 8;
		}
	} else if (L->obj_managed_values == 0) {
		/* 3.12: the slot holds the dict, or values - 1 (odd) */
		if (slot & 1) {
			values = slot + 1;
			slot = 0;
		}
	} else if (slot == 0 &&
		   py_read1(c, obj + (uint64_t)(int64_t)L->obj_managed_values,
			    &values, 8) < 0) {
		return -1;
	}
	if (slot)
		return py_dict_get_str(c, slot, name, val);
	if (values == 0)
		return 0;
	/* inline values: the keys are the class's shared keys */
	if (py_read1(c, type + (uint64_t)L->ht_cached_keys, &keys, 8) < 0)
		return -1;
	if (keys == 0)
		return 0;
	{
		unsigned char k[40], *ent;
		uint64_t nentries, ix = 0, *ksa;
		unsigned log2_index;
		size_t esize, i;
		long found;

		if (py_read1(c, keys, k, (size_t)L->dk_indices) < 0)
			return -1;
		log2_index = k[L->dk_log2_index_bytes];
		nentries = py_u64(k, L->dk_nentries);
		esize = (size_t)(k[L->dk_kind] == 0 ? L->dk_entry_general
						    : L->dk_entry_unicode);
		if (log2_index > 40 || nentries > 4096)
			return -1;
		ent = malloc(nentries * esize + 1);
		if (ent == NULL)
			return -1;
		if (nentries && py_read1(c, keys + (uint64_t)L->dk_indices +
					 (1ull << log2_index), ent,
					 nentries * esize) < 0) {
			free(ent);
			return -1;
		}
		ksa = calloc(nentries + 1, sizeof(*ksa));
		if (ksa == NULL) {
			free(ent);
			return -1;
		}
		for (i = 0; i < nentries; i++)
			ksa[i] = py_u64(ent + i * esize, esize == 24 ? 8 : 0);
		found = find_key(c, ksa, (size_t)nentries, name);
		free(ksa);
		free(ent);
		if (found < 0)
			return 0;
		ix = (uint64_t)found;
		return py_read1(c, values + 8 * ix, val, 8);
	}
}

/* threading's name of every thread in c->threads (best effort: threads
 * that threading does not know keep no name). */
