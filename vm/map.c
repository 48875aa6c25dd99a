/*
 * map.c - SystemTap associative arrays (see map.h for the semantics).
 *
 * Layout.  Elements live in fixed-size slots, allocated in chunks of
 * CHUNK slots so that element pointers never move; slot 0 is the sentinel
 * of the element list, a circular doubly linked list (prev/next are slot
 * numbers) that gives the iteration order.  Freed slots go on a LIFO free
 * list and their generation number is bumped, so a foreach snapshot
 * (slot, generation) can tell a deleted element from a reused slot.
 * Lookup is an open-addressing hash table of slot numbers (linear probing,
 * backward-shift deletion, at most half full), keyed by a 64-bit hash of
 * the normalized key tuple; lookups never allocate.
 *
 * Sorting reproduces stap 4.8's runtime/map.c: a stable merge sort, or,
 * for a foreach limit of 1..30, its bubble-then-insertion partial sort,
 * run step for step on a scratch list so that the resulting order (which
 * persists for long/string maps) is the same.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "map.h"
#include "strbuf.h"

#define CHUNK_SHIFT	6
#define CHUNK		(1u << CHUNK_SHIFT)
#define HEAD		0u	/* the list sentinel's slot */
#define MAX_SLOTS	(UINT32_MAX - 2 * CHUNK)

struct mstr {
	char *p;		/* NUL-terminated, or NULL for "" */
	uint32_t len, cap;
};

union cell {
	int64_t l;
	struct mstr s;
};

struct map_entry {
	uint32_t prev, next;	/* element list (slot numbers) */
	uint32_t gen;		/* bumped when the slot is freed */
	uint32_t hash;		/* low bits of the key hash */
	uint32_t live;		/* in the map */
	uint32_t slot;		/* own slot number */
	union {
		int64_t l;
		struct mstr s;
		struct stat_agg st;
	} v;
	union cell k[];		/* the key columns */
};

struct map {
	int nkeys;
	enum map_type kt[MAP_MAX_KEYS];
	enum map_type vt;
	uint64_t maxentries;
	bool wrap;
	size_t maxstrlen;
	const struct stat_cfg *cfg;
	struct stat_cfg defcfg;

	size_t esize;		/* bytes per slot */
	char **chunks;
	uint32_t nchunks, capchunks;
	uint32_t nslots;	/* slots handed out, sentinel included */
	uint32_t freelist;	/* first free slot, HEAD if none */
	size_t count;

	uint32_t *tab;		/* slot numbers, HEAD = empty */
	size_t tabsize;		/* power of two, or 0 */

	/* sorting scratch, grown on demand (bounded by maxentries) */
	uint32_t *sarr, *stmp, *sprev, *snext;
	size_t scap;
};

/* A key column, normalized: strings cut to maxstrlen and at a NUL. */
struct nkey {
	int64_t l;
	const char *s;
	size_t len;
};

static struct map_entry *entry_at(const struct map *m, uint32_t slot)
{
	return (struct map_entry *)(m->chunks[slot >> CHUNK_SHIFT] +
				    (size_t)(slot & (CHUNK - 1)) * m->esize);
}

/* ---------------------------------------------------------------- create */

struct map *map_new(int nkeys, const enum map_type *key_types,
		    enum map_type value_type, int64_t maxentries, bool wrap)
{
	struct map *m;
	int i;

	if (nkeys < 1 || nkeys > MAP_MAX_KEYS || maxentries < 1)
		return NULL;
	if (value_type != MAP_LONG && value_type != MAP_STRING &&
	    value_type != MAP_STATS)
		return NULL;
	for (i = 0; i < nkeys; i++)
		if (key_types[i] != MAP_LONG && key_types[i] != MAP_STRING)
			return NULL;

	m = calloc(1, sizeof *m);
	if (m == NULL)
		return NULL;
	m->nkeys = nkeys;
	for (i = 0; i < nkeys; i++)
		m->kt[i] = key_types[i];
	m->vt = value_type;
	m->maxentries = (uint64_t)maxentries;
	if (m->maxentries > MAX_SLOTS - 1)
		m->maxentries = MAX_SLOTS - 1;
	m->wrap = wrap;
	m->maxstrlen = MAP_DEFAULT_STRLEN;
	stat_cfg_init(&m->defcfg, false, 0);
	m->cfg = &m->defcfg;
	m->esize = offsetof(struct map_entry, k) +
		   (size_t)nkeys * sizeof(union cell);
	m->esize = (m->esize + 7) & ~(size_t)7;
	m->freelist = HEAD;
	return m;
}

/* Make the sentinel exist (the first chunk). */
static int ensure_chunk0(struct map *m)
{
	struct map_entry *h;

	if (m->nchunks > 0)
		return 0;
	m->chunks = calloc(4, sizeof *m->chunks);
	if (m->chunks == NULL)
		return -1;
	m->capchunks = 4;
	m->chunks[0] = calloc(CHUNK, m->esize);
	if (m->chunks[0] == NULL)
		return -1;
	m->nchunks = 1;
	m->nslots = 1;
	h = entry_at(m, HEAD);
	h->prev = h->next = HEAD;
	return 0;
}

void map_set_maxstrlen(struct map *m, size_t n)
{
	if (n > UINT32_MAX - 1)
		n = UINT32_MAX - 1;
	m->maxstrlen = n;
}

void map_set_stat_cfg(struct map *m, const struct stat_cfg *cfg)
{
	m->cfg = cfg != NULL ? cfg : &m->defcfg;
}

int map_nkeys(const struct map *m)
{
	return m->nkeys;
}

enum map_type map_key_type(const struct map *m, int col)
{
	return m->kt[col];
}

enum map_type map_value_type(const struct map *m)
{
	return m->vt;
}

size_t map_count(const struct map *m)
{
	return m->count;
}

int64_t map_maxentries(const struct map *m)
{
	return (int64_t)m->maxentries;
}

/* ---------------------------------------------------------------- hashing */

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static void normalize(const struct map *m, const struct map_key *keys,
		      struct nkey *nk)
{
	int i;

	for (i = 0; i < m->nkeys; i++) {
		nk[i].l = keys[i].l;
		nk[i].s = NULL;
		nk[i].len = 0;
		if (m->kt[i] == MAP_STRING && !keys[i].wild &&
		    keys[i].s != NULL) {
			size_t n = keys[i].len;

			if (n > m->maxstrlen)
				n = m->maxstrlen;
			nk[i].s = keys[i].s;
			nk[i].len = strnlen(keys[i].s, n);
		}
	}
}

static uint32_t hash_keys(const struct map *m, const struct nkey *nk)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL;
	size_t j;
	int i;

	for (i = 0; i < m->nkeys; i++) {
		if (m->kt[i] == MAP_LONG) {
			h = mix64(h ^ (uint64_t)nk[i].l);
		} else {
			uint64_t f = 0xcbf29ce484222325ULL;

			for (j = 0; j < nk[i].len; j++) {
				f ^= (unsigned char)nk[i].s[j];
				f *= 0x100000001b3ULL;
			}
			h = mix64(h ^ f ^ nk[i].len);
		}
	}
	return (uint32_t)h;
}

static bool same_keys(const struct map *m, const struct map_entry *e,
		      const struct nkey *nk)
{
	int i;

	for (i = 0; i < m->nkeys; i++) {
		if (m->kt[i] == MAP_LONG) {
			if (e->k[i].l != nk[i].l)
				return false;
		} else {
			if (e->k[i].s.len != nk[i].len)
				return false;
			if (nk[i].len != 0 &&
			    memcmp(e->k[i].s.p, nk[i].s, nk[i].len) != 0)
				return false;
		}
	}
	return true;
}

static struct map_entry *lookup(const struct map *m, const struct nkey *nk,
				uint32_t h)
{
	size_t mask, i;
	struct map_entry *e;

	if (m->tabsize == 0)
		return NULL;
	mask = m->tabsize - 1;
	for (i = h & mask; m->tab[i] != HEAD; i = (i + 1) & mask) {
		e = entry_at(m, m->tab[i]);
		if (e->hash == h && same_keys(m, e, nk))
			return e;
	}
	return NULL;
}

static void tab_insert(struct map *m, struct map_entry *e)
{
	size_t mask = m->tabsize - 1, i;

	for (i = e->hash & mask; m->tab[i] != HEAD; i = (i + 1) & mask)
		;
	m->tab[i] = e->slot;
}

/* Remove E's slot, shifting later members of its probe run back. */
static void tab_remove(struct map *m, const struct map_entry *e)
{
	size_t mask = m->tabsize - 1, i, j, home;

	for (i = e->hash & mask; m->tab[i] != e->slot; i = (i + 1) & mask)
		;
	j = i;
	for (;;) {
		j = (j + 1) & mask;
		if (m->tab[j] == HEAD)
			break;
		home = entry_at(m, m->tab[j])->hash & mask;
		/* can tab[j] move to the hole at i? */
		if ((j > i && (home <= i || home > j)) ||
		    (j < i && (home <= i && home > j))) {
			m->tab[i] = m->tab[j];
			i = j;
		}
	}
	m->tab[i] = HEAD;
}

/* Room in the table for one more element. */
static int tab_reserve(struct map *m)
{
	size_t ns = m->tabsize ? m->tabsize : 16;
	uint32_t *old = m->tab, s;
	size_t oldsize = m->tabsize, i;

	while ((m->count + 1) * 2 > ns)
		ns *= 2;
	if (ns == oldsize)
		return 0;
	m->tab = calloc(ns, sizeof *m->tab);
	if (m->tab == NULL) {
		m->tab = old;
		return -1;
	}
	m->tabsize = ns;
	for (i = 0; i < oldsize; i++) {
		s = old[i];
		if (s != HEAD)
			tab_insert(m, entry_at(m, s));
	}
	free(old);
	return 0;
}

/* ----------------------------------------------------------------- slots */

static uint32_t slot_alloc(struct map *m)
{
	uint32_t s;
	struct map_entry *e;

	if (m->freelist != HEAD) {
		s = m->freelist;
		m->freelist = entry_at(m, s)->next;
		return s;
	}
	if (m->nslots == m->nchunks * CHUNK) {
		if (m->nchunks == m->capchunks) {
			uint32_t nc = m->capchunks * 2;
			char **p = realloc(m->chunks, nc * sizeof *p);

			if (p == NULL)
				return HEAD;
			m->chunks = p;
			m->capchunks = nc;
		}
		m->chunks[m->nchunks] = calloc(CHUNK, m->esize);
		if (m->chunks[m->nchunks] == NULL)
			return HEAD;
		m->nchunks++;
	}
	s = m->nslots++;
	e = entry_at(m, s);
	e->slot = s;
	return s;
}

static void slot_release(struct map *m, struct map_entry *e)
{
	e->live = 0;
	e->gen++;
	e->next = m->freelist;
	m->freelist = e->slot;
}

static void link_tail(struct map *m, struct map_entry *e)
{
	struct map_entry *h = entry_at(m, HEAD);

	e->prev = h->prev;
	e->next = HEAD;
	entry_at(m, h->prev)->next = e->slot;
	h->prev = e->slot;
}

static void unlink_entry(struct map *m, struct map_entry *e)
{
	entry_at(m, e->prev)->next = e->next;
	entry_at(m, e->next)->prev = e->prev;
}

/* Copy S (LEN bytes, no NUL among them) into MS. */
static int mstr_set(struct mstr *ms, const char *s, size_t len)
{
	if (len > ms->cap || ms->p == NULL) {
		size_t cap = len < 15 ? 15 : len;
		char *p = realloc(ms->p, cap + 1);

		if (p == NULL)
			return -1;
		ms->p = p;
		ms->cap = (uint32_t)cap;
	}
	if (len)
		memcpy(ms->p, s, len);
	ms->p[len] = '\0';
	ms->len = (uint32_t)len;
	return 0;
}

static void free_contents(struct map *m, struct map_entry *e)
{
	int i;

	for (i = 0; i < m->nkeys; i++)
		if (m->kt[i] == MAP_STRING) {
			free(e->k[i].s.p);
			e->k[i].s.p = NULL;
		}
	if (m->vt == MAP_STRING) {
		free(e->v.s.p);
		e->v.s.p = NULL;
	} else if (m->vt == MAP_STATS) {
		stat_free(&e->v.st);
	}
}

static void delete_entry(struct map *m, struct map_entry *e)
{
	tab_remove(m, e);
	unlink_entry(m, e);
	free_contents(m, e);
	slot_release(m, e);
	m->count--;
}

/* ---------------------------------------------------------------- access */

struct map_entry *map_find(struct map *m, const struct map_key *keys)
{
	struct nkey nk[MAP_MAX_KEYS];

	normalize(m, keys, nk);
	return lookup(m, nk, hash_keys(m, nk));
}

struct map_entry *map_get(struct map *m, const struct map_key *keys,
			  int *err)
{
	struct nkey nk[MAP_MAX_KEYS];
	struct map_entry *e;
	uint32_t h, s;
	int i;

	normalize(m, keys, nk);
	h = hash_keys(m, nk);
	e = lookup(m, nk, h);
	if (e != NULL)
		return e;

	if (m->count >= m->maxentries) {
		if (!m->wrap) {
			if (err != NULL)
				*err = MAP_EFULL;
			return NULL;
		}
		/* `%` arrays drop the element at the head of the list */
		delete_entry(m, entry_at(m, entry_at(m, HEAD)->next));
	}
	if (ensure_chunk0(m) != 0 || tab_reserve(m) != 0)
		goto nomem;
	s = slot_alloc(m);
	if (s == HEAD)
		goto nomem;
	e = entry_at(m, s);
	memset(&e->v, 0, sizeof e->v);
	for (i = 0; i < m->nkeys; i++)
		memset(&e->k[i], 0, sizeof e->k[i]);
	for (i = 0; i < m->nkeys; i++) {
		if (m->kt[i] == MAP_LONG) {
			e->k[i].l = nk[i].l;
		} else if (mstr_set(&e->k[i].s, nk[i].s, nk[i].len) != 0) {
			free_contents(m, e);
			slot_release(m, e);
			goto nomem;
		}
	}
	if (m->vt == MAP_STATS && stat_init(&e->v.st, m->cfg) != 0) {
		free_contents(m, e);
		slot_release(m, e);
		goto nomem;
	}
	e->hash = h;
	e->live = 1;
	link_tail(m, e);
	tab_insert(m, e);
	m->count++;
	return e;

nomem:
	if (err != NULL)
		*err = MAP_ENOMEM;
	return NULL;
}

bool map_delete(struct map *m, const struct map_key *keys)
{
	struct map_entry *e = map_find(m, keys);

	if (e == NULL)
		return false;
	delete_entry(m, e);
	return true;
}

void map_clear(struct map *m)
{
	struct map_entry *h, *e;
	uint32_t s, next;

	if (m->nchunks == 0)
		return;
	h = entry_at(m, HEAD);
	for (s = h->next; s != HEAD; s = next) {
		e = entry_at(m, s);
		next = e->next;
		free_contents(m, e);
		slot_release(m, e);
	}
	h->next = h->prev = HEAD;
	if (m->tab != NULL)
		memset(m->tab, 0, m->tabsize * sizeof *m->tab);
	m->count = 0;
}

void map_free(struct map *m)
{
	uint32_t i;

	if (m == NULL)
		return;
	map_clear(m);
	for (i = 0; i < m->nchunks; i++)
		free(m->chunks[i]);
	free_all(m->chunks, m->tab, m->sarr, m->stmp, m->sprev, m->snext, m);
}

int64_t map_entry_key_long(const struct map_entry *e, int col)
{
	return e->k[col].l;
}

const char *map_entry_key_str(const struct map_entry *e, int col,
			      size_t *len)
{
	if (len != NULL)
		*len = e->k[col].s.len;
	return e->k[col].s.p != NULL ? e->k[col].s.p : "";
}

int64_t map_entry_long(const struct map_entry *e)
{
	return e->v.l;
}

void map_entry_set_long(struct map_entry *e, int64_t v)
{
	e->v.l = v;
}

int64_t map_entry_add_long(struct map_entry *e, int64_t d)
{
	e->v.l = (int64_t)((uint64_t)e->v.l + (uint64_t)d);
	return e->v.l;
}

const char *map_entry_str(const struct map_entry *e, size_t *len)
{
	if (len != NULL)
		*len = e->v.s.len;
	return e->v.s.p != NULL ? e->v.s.p : "";
}

int map_entry_set_str(struct map *m, struct map_entry *e, const char *s,
		      size_t len)
{
	if (s == NULL)
		len = 0;
	if (len > m->maxstrlen)
		len = m->maxstrlen;
	if (len)
		len = strnlen(s, len);
	return mstr_set(&e->v.s, s, len);
}

struct stat_agg *map_entry_stat(struct map_entry *e)
{
	return &e->v.st;
}

/* ---------------------------------------------------------------- slices */

bool map_slice_match(const struct map *m, const struct map_entry *e,
		     const struct map_key *keys)
{
	struct nkey nk[MAP_MAX_KEYS];
	int i;

	normalize(m, keys, nk);
	for (i = 0; i < m->nkeys; i++) {
		if (keys[i].wild)
			continue;
		if (m->kt[i] == MAP_LONG) {
			if (e->k[i].l != nk[i].l)
				return false;
		} else if (e->k[i].s.len != nk[i].len ||
			   (nk[i].len != 0 &&
			    memcmp(e->k[i].s.p, nk[i].s, nk[i].len) != 0)) {
			return false;
		}
	}
	return true;
}

static bool no_wild(const struct map *m, const struct map_key *keys)
{
	int i;

	for (i = 0; i < m->nkeys; i++)
		if (keys[i].wild)
			return false;
	return true;
}

bool map_slice_exists(struct map *m, const struct map_key *keys)
{
	uint32_t s;
	struct map_entry *e;

	if (no_wild(m, keys))
		return map_find(m, keys) != NULL;
	if (m->nchunks == 0)
		return false;
	for (s = entry_at(m, HEAD)->next; s != HEAD; s = e->next) {
		e = entry_at(m, s);
		if (map_slice_match(m, e, keys))
			return true;
	}
	return false;
}

size_t map_delete_slice(struct map *m, const struct map_key *keys)
{
	uint32_t s, next;
	struct map_entry *e;
	size_t n = 0;

	if (no_wild(m, keys))
		return map_delete(m, keys) ? 1 : 0;
	if (m->nchunks == 0)
		return 0;
	for (s = entry_at(m, HEAD)->next; s != HEAD; s = next) {
		e = entry_at(m, s);
		next = e->next;
		if (map_slice_match(m, e, keys)) {
			delete_entry(m, e);
			n++;
		}
	}
	return n;
}

/* --------------------------------------------------------------- sorting */

static int cmp_i64(int64_t a, int64_t b)
{
	return a < b ? -1 : a > b;
}

static int64_t stat_key(const struct stat_agg *st, enum stat_op agg)
{
	switch (agg) {
	case STAT_SUM:
		return st->sum;
	case STAT_MIN:
		return st->min;
	case STAT_MAX:
		return st->max;
	case STAT_AVG:
		return stat_avg(st);
	case STAT_COUNT:
	case STAT_VARIANCE:	/* stap 4.8 emits SORT_COUNT for it */
	default:
		return st->count;
	}
}

/* Order of A against B on the sort column (<0, 0, >0). */
static int sort_cmp(const struct map *m, const struct map_sort *so,
		    uint32_t a, uint32_t b)
{
	const struct map_entry *x = entry_at(m, a), *y = entry_at(m, b);

	if (so->by == MAP_SORT_KEY) {
		int c = so->key;

		if (m->kt[c] == MAP_LONG)
			return cmp_i64(x->k[c].l, y->k[c].l);
		return strcmp(x->k[c].s.p ? x->k[c].s.p : "",
			      y->k[c].s.p ? y->k[c].s.p : "");
	}
	switch (m->vt) {
	case MAP_LONG:
		return cmp_i64(x->v.l, y->v.l);
	case MAP_STRING:
		return strcmp(x->v.s.p ? x->v.s.p : "",
			      y->v.s.p ? y->v.s.p : "");
	default:
		return cmp_i64(stat_key(&x->v.st, so->agg),
			       stat_key(&y->v.st, so->agg));
	}
}

/* _stp_cmp: must A come after B? */
static bool after(const struct map *m, const struct map_sort *so, uint32_t a,
		  uint32_t b)
{
	int c = sort_cmp(m, so, a, b);

	return so->dir > 0 ? c > 0 : c < 0;
}

static int scratch(struct map *m, size_t n)
{
	size_t cap = m->scap;
	uint32_t *p;

	if (n + 1 <= cap)
		return 0;
	if (cap == 0)
		cap = 16;
	while (cap < n + 1)
		cap *= 2;
#define GROW(f) do { \
		p = realloc(m->f, cap * sizeof *p); \
		if (p == NULL) \
			return -1; \
		m->f = p; \
	} while (0)
	GROW(sarr);
	GROW(stmp);
	GROW(sprev);
	GROW(snext);
#undef GROW
	m->scap = cap;
	return 0;
}

/* Stable bottom-up merge sort of m->sarr[0..n). */
static void merge_sort(struct map *m, const struct map_sort *so, size_t n)
{
	uint32_t *a = m->sarr, *t = m->stmp, *sw;
	size_t w, lo, mid, hi, i, j, k;

	for (w = 1; w < n; w *= 2) {
		for (lo = 0; lo < n; lo += 2 * w) {
			mid = lo + w < n ? lo + w : n;
			hi = lo + 2 * w < n ? lo + 2 * w : n;
			i = lo;
			j = mid;
			k = lo;
			while (i < mid && j < hi) {
				/* the left run wins ties */
				if (!after(m, so, a[i], a[j]))
					t[k++] = a[i++];
				else
					t[k++] = a[j++];
			}
			while (i < mid)
				t[k++] = a[i++];
			while (j < hi)
				t[k++] = a[j++];
		}
		sw = a;
		a = t;
		t = sw;
	}
	if (a != m->sarr)
		memcpy(m->sarr, a, n * sizeof *a);
}

/*
 * The runtime's _stp_map_sortn for 0 < N <= 30 (or N < 0): bubble sort
 * passes over the first N list elements until no swap, then an insertion
 * pass that keeps the best N at the front.  Run on a scratch list: node p
 * (1..n) stands for slot sarr[p-1], node 0 is the head.
 */
static void partial_sort(struct map *m, const struct map_sort *so, size_t n,
			 int limit)
{
	uint32_t *nx = m->snext, *pv = m->sprev, *arr = m->sarr;
	uint32_t a, b, c, last, tmp;
	size_t i;
	int num, swaps;

#define AFTER(p, q) after(m, so, arr[(p) - 1], arr[(q) - 1])
#define UNLINK(p) do { nx[pv[p]] = nx[p]; pv[nx[p]] = pv[p]; } while (0)
#define ADD_AFTER(p, q) do { \
		nx[p] = nx[q]; pv[p] = (q); pv[nx[q]] = (p); nx[q] = (p); \
	} while (0)

	if (n == 0)
		return;
	for (i = 0; i <= n; i++) {
		nx[i] = (uint32_t)(i == n ? 0 : i + 1);
		pv[i] = (uint32_t)(i == 0 ? n : i - 1);
	}

	a = nx[0];
	swaps = 1;
	while (swaps) {
		num = limit;
		swaps = 0;
		a = nx[0];
		c = nx[nx[a]];
		while (nx[a] != 0 && --num > 0) {
			b = nx[a];
			if (AFTER(a, b)) {
				swaps++;
				UNLINK(a);
				ADD_AFTER(a, b);
			}
			a = pv[c];
			c = nx[c];
		}
	}

	last = a;
	a = nx[a];
	while (a != 0) {
		tmp = nx[a];
		c = last;
		while (c != 0 && AFTER(c, a))
			c = pv[c];
		if (c != last) {
			UNLINK(a);
			ADD_AFTER(a, c);
			last = pv[last];
		}
		a = tmp;
	}

	for (i = 0, a = nx[0]; a != 0; a = nx[a])
		m->stmp[i++] = arr[a - 1];
	memcpy(arr, m->stmp, n * sizeof *arr);
#undef AFTER
#undef UNLINK
#undef ADD_AFTER
}

/*
 * Put the map's elements, in foreach order, into m->sarr[0..count).
 * Long/string maps are relinked in that order (SystemTap sorts them in
 * place); statistics maps are sorted in the scratch only.
 */
static int order(struct map *m, const struct map_sort *so, bool has_limit,
		 int64_t limit)
{
	size_t n = m->count, i;
	uint32_t s;
	int nlimit;

	if (scratch(m, n) != 0)
		return -1;
	if (n == 0)
		return 0;
	for (i = 0, s = entry_at(m, HEAD)->next; s != HEAD;
	     s = entry_at(m, s)->next)
		m->sarr[i++] = s;
	if (so == NULL || so->by == MAP_SORT_NONE)
		return 0;

	/* the runtime takes the limit as a C int */
	nlimit = has_limit ? (int)(int32_t)(uint32_t)(uint64_t)limit : 0;
	if (nlimit == 0 || nlimit > 30)
		merge_sort(m, so, n);
	else
		partial_sort(m, so, n, nlimit);

	if (m->vt != MAP_STATS) {
		struct map_entry *h = entry_at(m, HEAD), *e;
		uint32_t prev = HEAD;

		for (i = 0; i < n; i++) {
			e = entry_at(m, m->sarr[i]);
			e->prev = prev;
			entry_at(m, prev)->next = e->slot;
			prev = e->slot;
		}
		entry_at(m, prev)->next = HEAD;
		h->prev = prev;
	}
	return 0;
}

int map_sort(struct map *m, const struct map_sort *sort, bool has_limit,
	     int64_t limit)
{
	return order(m, sort, has_limit, limit);
}

int map_snap_take(struct map *m, struct map_snap *s,
		  const struct map_sort *sort, bool has_limit, int64_t limit,
		  const struct map_key *slice)
{
	size_t n, i, take;
	struct map_entry *e;

	s->n = 0;
	s->pos = 0;
	if (order(m, sort, has_limit, limit) != 0)
		return -1;
	n = m->count;
	take = n;
	if (has_limit)
		take = limit <= 0 ? 0 :
		       (uint64_t)limit < n ? (size_t)limit : n;
	if (take > s->cap) {
		struct map_ref *r = realloc(s->refs, take * sizeof *r);

		if (r == NULL)
			return -1;
		s->refs = r;
		s->cap = take;
	}
	for (i = 0; i < take; i++) {
		e = entry_at(m, m->sarr[i]);
		/* SystemTap counts the limit before it filters the slice */
		if (slice != NULL && !map_slice_match(m, e, slice))
			continue;
		s->refs[s->n].slot = e->slot;
		s->refs[s->n].gen = e->gen;
		s->n++;
	}
	return 0;
}

struct map_entry *map_snap_next(struct map *m, struct map_snap *s)
{
	struct map_entry *e;

	while (s->pos < s->n) {
		const struct map_ref *r = &s->refs[s->pos++];

		if (r->slot >= m->nslots)
			continue;
		e = entry_at(m, r->slot);
		if (e->live && e->gen == r->gen)
			return e;
	}
	return NULL;
}

void map_snap_free(struct map_snap *s)
{
	free(s->refs);
	s->refs = NULL;
	s->n = s->cap = s->pos = 0;
}

/* -------------------------------------------------------------- autoprint */

int map_autoprint(struct strbuf *out, const char *name, struct map *m)
{
	struct map_sort so = { MAP_SORT_VALUE, 0, -1, STAT_COUNT };
	struct strbuf line = STRBUF_INIT;
	struct map_entry *e;
	size_t i;
	int c;

	if (order(m, &so, false, 0) != 0)
		return -1;
	for (i = 0; i < m->count; i++) {
		e = entry_at(m, m->sarr[i]);
		sb_reset(&line);
		sb_puts(&line, name);
		sb_putc(&line, '[');
		for (c = 0; c < m->nkeys; c++) {
			if (c > 0)
				sb_putc(&line, ',');
			if (m->kt[c] == MAP_LONG)
				sb_printf(&line, "%lld", (long long)e->k[c].l);
			else
				sb_printf(&line, "\"%s\"",
					  map_entry_key_str(e, c, NULL));
		}
		sb_putc(&line, ']');
		switch (m->vt) {
		case MAP_LONG:
			sb_printf(out, "%s=%lld\n", sb_str(&line),
				  (long long)e->v.l);
			break;
		case MAP_STRING:
			sb_printf(out, "%s=\"%s\"\n", sb_str(&line),
				  map_entry_str(e, NULL));
			break;
		default:
			stat_print_summary(out, sb_str(&line), &e->v.st);
			break;
		}
	}
	sb_free(&line);
	return 0;
}
