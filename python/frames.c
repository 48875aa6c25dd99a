/*
 * frames.c - the stacks of a CPython process's threads: walking
 * interpreters -> thread states -> frames, decoding the code objects of
 * the frames (qualified name, file name, current line) in as few reads as
 * possible, and threading's names of the threads (py_stack, py_threads;
 * the reading context py_ctx).
 *
 * Reading one thread's stack costs a handful of batched reads, whatever
 * its depth:
 *   1. _PyRuntime's head (and Py_Version, to check the cached facts)
 *   2. the thread state (3.11: gilstate.tstate_current is the GIL holder,
 *      so at a probe hit the right one comes first; else the list is walked)
 *   3. the current frame pointer and the thread's current data-stack chunk,
 *      where its frames live: frames are then decoded from the local copy
 *      (frames elsewhere - generators, older chunks - are read one by one)
 *   4. every distinct code object of the stack, in one process_vm_readv
 *   5. their qualname and filename str objects and line tables, speculatively
 *      (a fixed number of bytes each), again in one process_vm_readv; the rare
 *      longer ones are read afterwards.
 * Lines come from the location table (linetable.c).  Nothing is cached
 * between calls but the per-process facts of py_proc and, within one stop
 * of every thread (a sample tick), the list of thread states.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "cpython_int.h"

/* ---- one walk: frames and code objects ---------------------------------- */

#define SPEC_STR 192		/* bytes read speculatively per str */
#define SPEC_LTAB 512		/* ... per line table */
#define MAX_CHUNK (4u << 20)	/* biggest data-stack chunk copied */
#define MAX_LTAB (1u << 20)	/* biggest line table read */
#define NCHUNKS 16

struct chunk {
	uint64_t lo, hi;	/* [lo, hi) of the target */
	unsigned char *mem;
	size_t cap;
	uint64_t prev;		/* _PyStackChunk.previous */
};

struct rawframe {
	uint64_t code;
	uint64_t instr;
	uint32_t ci;		/* index into codes */
};

struct codeinfo {
	uint64_t addr;
	bool ok;
	int firstlineno;
	uint64_t qual, file, ltab;
	size_t qual_off, file_off;	/* into c->text */
	unsigned char *lt;	/* line table bytes (malloc, lt_cap) */
	size_t lt_len, lt_cap;
	bool lt_ok;		/* lt holds this code's table */
};

struct py_walk {
	struct chunk chunks[NCHUNKS];
	size_t nchunks;
	struct rawframe *raw;
	size_t nraw, capraw;
	struct codeinfo *codes;
	size_t ncodes, capcodes;
	struct py_iov *iov;
	size_t capiov;
	unsigned char *buf;	/* code headers and speculative reads */
	size_t capbuf;
	uint32_t *hash;		/* code address -> index + 1 */
	size_t hashcap;
	/* frame texts of the current results, as offsets */
	size_t *qoff, *foff;
	size_t capqoff, capfoff;
	size_t *names;		/* per thread: name offset + 1, 0 = none */
	size_t capnames;
};

void py_ctx_init(struct py_ctx *c)
{
	memset(c, 0, sizeof(*c));
}

void py_ctx_free(struct py_ctx *c)
{
	struct py_walk *w = c->w;

	if (w) {
		for (size_t i = 0; i < NCHUNKS; i++)
			free(w->chunks[i].mem);
		for (size_t i = 0; i < w->capcodes; i++)
			free(w->codes[i].lt);
		free_all(w->raw, w->codes, w->iov, w->buf, w->hash, w->qoff,
			 w->foff, w->names, w);
	}
	free_all(c->threads, c->frames, c->snap_tids, c->snap_addrs);
	sb_free(&c->text);
	memset(c, 0, sizeof(*c));
}

static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap ? *cap : 16;
	void *q;

	if (need <= *cap)
		return p;
	while (n < need)
		n *= 2;
	q = realloc(p, n * elem);
	if (q == NULL) {
		fprintf(stderr, "pytap: out of memory\n");
		abort();
	}
	memset((char *)q + *cap * elem, 0, (n - *cap) * elem);
	*cap = n;
	return q;
}

static struct py_iov *iovs(struct py_walk *w, size_t n)
{
	w->iov = grow(w->iov, &w->capiov, n, sizeof(*w->iov));
	return w->iov;
}

static unsigned char *scratch(struct py_walk *w, size_t n)
{
	w->buf = grow(w->buf, &w->capbuf, n, 1);
	return w->buf;
}

int py_begin(struct py_ctx *c, struct py_proc *pp, const struct py_mem *m)
{
	c->m = m;
	c->pp = pp;
	c->L = pp->L;
	c->err[0] = '\0';
	if (c->w == NULL) {
		c->w = calloc(1, sizeof(*c->w));
		if (c->w == NULL) {
			CERR(c, "out of memory");
			return -1;
		}
	}
	c->nthreads = 0;
	c->nframes = 0;
	sb_reset(&c->text);
	c->w->ncodes = 0;
	c->w->nchunks = 0;
	if (c->w->hash)
		memset(c->w->hash, 0, c->w->hashcap * sizeof(*c->w->hash));
	return 0;
}

/* Copy [lo, hi) of the target into chunk slot K. */
static int load_chunk(struct py_ctx *c, uint64_t lo, uint64_t hi,
		      struct py_iov *v)
{
	struct py_walk *w = c->w;
	struct chunk *ch;

	if (w->nchunks == NCHUNKS || hi <= lo || hi - lo > MAX_CHUNK)
		return -1;
	ch = &w->chunks[w->nchunks];
	ch->mem = grow(ch->mem, &ch->cap, (size_t)(hi - lo), 1);
	ch->lo = lo;
	ch->hi = hi;
	v->addr = lo;
	v->buf = ch->mem;
	v->len = (size_t)(hi - lo);
	return 0;
}

static const unsigned char *in_chunks(struct py_walk *w, uint64_t a,
				      size_t len)
{
	for (size_t i = 0; i < w->nchunks; i++) {
		const struct chunk *ch = &w->chunks[i];

		if (a >= ch->lo && a + len <= ch->hi && a + len > a)
			return ch->mem + (a - ch->lo);
	}
	return NULL;
}

/* Load the chunk before the oldest one loaded, if any: 0 if one was
 * loaded. */
static int older_chunk(struct py_ctx *c)
{
	struct py_walk *w = c->w;
	const struct py_layout *L = c->L;
	unsigned char hdr[24];
	uint64_t prev, top;
	struct py_iov v;

	if (w->nchunks == 0 || w->nchunks == NCHUNKS)
		return -1;
	prev = w->chunks[w->nchunks - 1].prev;
	if (prev == 0 || py_read1(c, prev, hdr, sizeof(hdr)) < 0)
		return -1;
	top = py_u64(hdr, 16);	/* _PyStackChunk.top: slots in use */
	if (top > MAX_CHUNK / 8 ||
	    load_chunk(c, prev, prev + (uint64_t)L->chunk_data + top * 8,
		       &v) < 0)
		return -1;
	if (py_readv(c, &v, 1) != 1)
		return -1;
	w->chunks[w->nchunks].prev = py_u64(hdr, 0);
	w->nchunks++;
	return 0;
}

/*
 * The frames of the thread state TS (its bytes), innermost first, into
 * w->raw.  Returns 0 (TRUNC set when the walk stopped on an unreadable
 * frame or at PY_MAX_FRAMES), or -1 if the thread's frame pointer is
 * unreadable.
 */
static int raw_frames(struct py_ctx *c, const unsigned char *ts, bool *trunc)
{
	const struct py_layout *L = c->L;
	struct py_walk *w = c->w;
	struct py_iov v[2];
	uint64_t cur = 0, f, chunk, top;
	size_t nv = 0;
	bool have_chunk = false;
	int tried_older = 0;

	w->nraw = 0;
	w->nchunks = 0;
	*trunc = false;
	if (L->ts_cframe >= 0) {
		uint64_t cf = py_u64(ts, L->ts_cframe);

		if (cf == 0)
			return 0;
		v[nv++] = (struct py_iov){ cf + (uint64_t)L->cf_current_frame,
					   &cur, sizeof(cur), false };
	} else {
		cur = py_u64(ts, L->ts_current_frame);
	}
	chunk = py_u64(ts, L->ts_datastack_chunk);
	top = py_u64(ts, L->ts_datastack_top);
	if (chunk && top > chunk && load_chunk(c, chunk, top, &v[nv]) == 0) {
		nv++;
		have_chunk = true;
	}
	if (nv)
		py_readv(c, v, nv);
	if (L->ts_cframe >= 0 && !v[0].ok) {
		CERR(c, "cannot read the current frame of the thread");
		return -1;
	}
	if (have_chunk && v[nv - 1].ok) {
		w->chunks[0].prev = py_u64(w->chunks[0].mem, 0);
		w->nchunks = 1;
	}
	f = cur;
	while (f) {
		const unsigned char *fb;
		unsigned char own[128];

		if (w->nraw >= PY_MAX_FRAMES) {
			*trunc = true;
			break;
		}
		fb = in_chunks(w, f, (size_t)L->fr_size);
		while (fb == NULL && tried_older < NCHUNKS &&
		       older_chunk(c) == 0) {
			tried_older++;
			fb = in_chunks(w, f, (size_t)L->fr_size);
		}
		if (fb == NULL) {
			tried_older = NCHUNKS;	/* no more chunk loading */
			if (py_read1(c, f, own, (size_t)L->fr_size) < 0) {
				*trunc = true;
				break;
			}
			fb = own;
		}
		if (L->fr_owner_cstack < 0 ||
		    fb[L->fr_owner] != L->fr_owner_cstack) {
			w->raw = grow(w->raw, &w->capraw, w->nraw + 1,
				      sizeof(*w->raw));
			w->raw[w->nraw].code = py_u64(fb, L->fr_code);
			w->raw[w->nraw].instr = py_u64(fb, L->fr_instr);
			w->nraw++;
		}
		f = py_u64(fb, L->fr_previous);
	}
	return 0;
}

static uint32_t code_index(struct py_walk *w, uint64_t addr)
{
	size_t h, i;

	if (w->ncodes * 2 >= w->hashcap) {
		size_t ncap = w->hashcap ? w->hashcap * 2 : 256;

		free(w->hash);
		w->hash = calloc(ncap, sizeof(*w->hash));
		if (w->hash == NULL) {
			fprintf(stderr, "pytap: out of memory\n");
			abort();
		}
		w->hashcap = ncap;
		for (i = 0; i < w->ncodes; i++) {
			h = (size_t)((w->codes[i].addr >> 4) *
				     0x9E3779B97F4A7C15ull) & (ncap - 1);
			while (w->hash[h])
				h = (h + 1) & (ncap - 1);
			w->hash[h] = (uint32_t)i + 1;
		}
	}
	h = (size_t)((addr >> 4) * 0x9E3779B97F4A7C15ull) & (w->hashcap - 1);
	while (w->hash[h]) {
		if (w->codes[w->hash[h] - 1].addr == addr)
			return w->hash[h] - 1;
		h = (h + 1) & (w->hashcap - 1);
	}
	w->codes = grow(w->codes, &w->capcodes, w->ncodes + 1,
			sizeof(*w->codes));
	i = w->ncodes++;
	w->codes[i].addr = addr;
	w->codes[i].ok = false;
	w->codes[i].lt_len = 0;
	w->codes[i].lt_ok = false;
	w->hash[h] = (uint32_t)i + 1;
	return (uint32_t)i;
}

/* Append S and a NUL to c->text; its offset. */
static size_t text_add(struct py_ctx *c, const char *s, size_t n)
{
	size_t off = c->text.len;

	sb_append(&c->text, s, n);
	sb_putc(&c->text, '\0');
	return off;
}

/* Decode the code objects w->codes[FROM..]: names and line tables. */
static void decode_codes(struct py_ctx *c, size_t from)
{
	const struct py_layout *L = c->L;
	struct py_walk *w = c->w;
	size_t n = w->ncodes - from, i, per = 3;
	size_t hsz = (size_t)L->co_size;
	struct py_iov *v;
	unsigned char *b;
	struct strbuf tmp = STRBUF_INIT;
	static const char unknown[] = "?";

	if (n == 0)
		return;
	/* round 1: the code objects */
	b = scratch(w, n * hsz);
	v = iovs(w, n);
	for (i = 0; i < n; i++)
		v[i] = (struct py_iov){ w->codes[from + i].addr, b + i * hsz,
					hsz, false };
	py_readv(c, v, n);
	for (i = 0; i < n; i++) {
		struct codeinfo *ci = &w->codes[from + i];
		const unsigned char *h = b + i * hsz;

		ci->ok = v[i].ok && ci->addr != 0 &&
			 (!c->pp->sym[PYS_CODE_TYPE] ||
			  py_u64(h, L->ob_type) == c->pp->sym[PYS_CODE_TYPE]);
		if (!ci->ok)
			continue;
		ci->firstlineno = (int)py_u32(h, L->co_firstlineno);
		ci->qual = py_u64(h, L->co_qualname);
		ci->file = py_u64(h, L->co_filename);
		ci->ltab = py_u64(h, L->co_linetable);
	}
	/* round 2: their names and line tables, speculatively */
	{
		size_t slot = SPEC_STR * 2 + SPEC_LTAB;

		b = scratch(w, n * slot);
		v = iovs(w, n * per);
		for (i = 0; i < n; i++) {
			const struct codeinfo *ci = &w->codes[from + i];
			unsigned char *s = b + i * slot;

			v[i * per] = (struct py_iov){ ci->ok ? ci->qual : 0, s,
						      SPEC_STR, false };
			v[i * per + 1] = (struct py_iov){ ci->ok ? ci->file : 0,
							  s + SPEC_STR,
							  SPEC_STR, false };
			v[i * per + 2] = (struct py_iov){ ci->ok ? ci->ltab : 0,
							  s + 2 * SPEC_STR,
							  SPEC_LTAB, false };
		}
		py_readv(c, v, n * per);
		for (i = 0; i < n; i++) {
			struct codeinfo *ci = &w->codes[from + i];
			unsigned char *s = b + i * slot;
			const unsigned char *lh;
			unsigned char lhdr[64];
			uint64_t len;

			ci->qual_off = ci->file_off = (size_t)-1;
			if (!ci->ok)
				continue;
			sb_reset(&tmp);
			if (py_str_text(c, ci->qual, v[i * per].ok ? s : NULL,
					v[i * per].ok ? SPEC_STR : 0, &tmp,
					1024) == 0)
				ci->qual_off = text_add(c, sb_str(&tmp), tmp.len);
			sb_reset(&tmp);
			if (py_str_text(c, ci->file,
					v[i * per + 1].ok ? s + SPEC_STR : NULL,
					v[i * per + 1].ok ? SPEC_STR : 0, &tmp,
					4096) == 0)
				ci->file_off = text_add(c, sb_str(&tmp), tmp.len);
			/* the line table: a bytes object */
			lh = s + 2 * SPEC_STR;
			if (!v[i * per + 2].ok) {
				if (py_read1(c, ci->ltab, lhdr,
					     (size_t)L->bytes_data) < 0)
					continue;
				lh = lhdr;
			}
			if (c->pp->sym[PYS_BYTES_TYPE] &&
			    py_u64(lh, L->ob_type) != c->pp->sym[PYS_BYTES_TYPE])
				continue;
			len = py_u64(lh, L->ob_size);
			if (len > MAX_LTAB)
				continue;
			if (len + 1 > ci->lt_cap) {
				unsigned char *nl = realloc(ci->lt, len + 1);

				if (nl == NULL)
					continue;
				ci->lt = nl;
				ci->lt_cap = len + 1;
			}
			if (v[i * per + 2].ok &&
			    (size_t)L->bytes_data + len <= SPEC_LTAB)
				memcpy(ci->lt, lh + L->bytes_data, len);
			else if (len && py_read1(c, ci->ltab +
						 (uint64_t)L->bytes_data,
						 ci->lt, len) < 0)
				continue;
			ci->lt_len = len;
			ci->lt_ok = true;
		}
	}
	sb_free(&tmp);
	for (i = 0; i < n; i++) {
		struct codeinfo *ci = &w->codes[from + i];

		if (ci->qual_off == (size_t)-1)
			ci->qual_off = text_add(c, unknown, 1);
		if (ci->file_off == (size_t)-1)
			ci->file_off = text_add(c, unknown, 1);
	}
}

/* The frames of w->raw as results appended to c->frames (texts as offsets
 * in w->qoff/w->foff until fix_pointers()). */
static void add_frames(struct py_ctx *c)
{
	const struct py_layout *L = c->L;
	struct py_walk *w = c->w;
	size_t from = w->ncodes, i;

	for (i = 0; i < w->nraw; i++)
		w->raw[i].ci = code_index(w, w->raw[i].code);
	decode_codes(c, from);
	c->frames = grow(c->frames, &c->capframes, c->nframes + w->nraw,
			 sizeof(*c->frames));
	w->qoff = grow(w->qoff, &w->capqoff, c->nframes + w->nraw,
		       sizeof(*w->qoff));
	w->foff = grow(w->foff, &w->capfoff, c->nframes + w->nraw,
		       sizeof(*w->foff));
	for (i = 0; i < w->nraw; i++) {
		const struct codeinfo *ci = &w->codes[w->raw[i].ci];
		struct py_frame *fr = &c->frames[c->nframes];
		int64_t lasti;

		w->qoff[c->nframes] = ci->qual_off;
		w->foff[c->nframes] = ci->file_off;
		fr->line = -1;
		if (ci->ok) {
			lasti = ((int64_t)w->raw[i].instr -
				 (int64_t)(ci->addr +
					   (uint64_t)L->co_code_adaptive)) / 2;
			if (lasti < -1 || lasti > (1 << 28))
				fr->line = -1;
			else if (ci->lt_ok)
				fr->line = py_linetable_line(ci->lt, ci->lt_len,
							     ci->firstlineno,
							     (int)lasti * 2);
		}
		c->nframes++;
	}
}

/* Text offsets -> pointers, once c->text stops growing. */
static void fix_pointers(struct py_ctx *c)
{
	struct py_walk *w = c->w;
	const char *base = sb_str(&c->text);
	size_t i, k = 0;

	for (i = 0; i < c->nframes; i++) {
		c->frames[i].qualname = base + w->qoff[i];
		c->frames[i].filename = base + w->foff[i];
	}
	for (i = 0; i < c->nthreads; i++) {
		struct py_thread *t = &c->threads[i];

		t->frames = c->frames + k;
		k += t->nframes;
		t->name = w->names[i] ? base + w->names[i] - 1 : NULL;
	}
}

static struct py_thread *new_thread(struct py_ctx *c, uint64_t tsaddr,
				    const unsigned char *ts)
{
	const struct py_layout *L = c->L;
	struct py_thread *t;

	c->threads = grow(c->threads, &c->capthreads, c->nthreads + 1,
			  sizeof(*c->threads));
	c->w->names = grow(c->w->names, &c->w->capnames, c->nthreads + 1,
			   sizeof(*c->w->names));
	c->w->names[c->nthreads] = 0;
	t = &c->threads[c->nthreads++];
	memset(t, 0, sizeof(*t));
	t->tstate = tsaddr;
	t->thread_id = py_u64(ts, L->ts_thread_id);
	t->native_id = (pid_t)py_u64(ts, L->ts_native_id);
	return t;
}

/* Read the thread state at TSADDR and its stack as the next result. */
static int add_thread(struct py_ctx *c, uint64_t tsaddr,
		      const unsigned char *ts)
{
	struct py_thread *t;
	bool trunc;
	size_t before = c->nframes;

	if (raw_frames(c, ts, &trunc) < 0)
		return -1;
	add_frames(c);
	t = new_thread(c, tsaddr, ts);
	t->nframes = c->nframes - before;
	t->truncated = trunc;
	return 0;
}

/* _PyRuntime's head, checking that the cached facts still hold.
 * RT gets L->rt_size bytes. */
static int read_runtime(struct py_ctx *c, unsigned char *rt)
{
	struct py_proc *pp = c->pp;
	unsigned long ver = 0;
	struct py_iov v[2] = {
		{ pp->sym[PYS_RUNTIME], rt, (size_t)c->L->rt_size, false },
		{ pp->sym[PYS_VERSION], &ver, sizeof(ver), false },
	};
	size_t n = pp->sym[PYS_VERSION] ? 2 : 1;

	py_readv(c, v, n);
	if (!v[0].ok || (n == 2 && (!v[1].ok || ver != pp->hexversion))) {
		CERR(c, "the CPython runtime of process %d is gone (exec?)",
		     (int)pp->pid);
		return -1;
	}
	return 0;
}

/* Every thread state of every interpreter: addresses into *OUT (malloc),
 * their bytes into *BYTES (malloc, L->ts_size each), oldest first per
 * interpreter.  Returns the count, or -1. */
static long all_tstates(struct py_ctx *c, const unsigned char *rt,
			uint64_t **out, unsigned char **bytes,
			uint64_t *main_interp)
{
	const struct py_layout *L = c->L;
	size_t tsz = (size_t)L->ts_size, n = 0, cap = 0, bcap = 0;
	uint64_t *list = NULL;
	unsigned char *mem = NULL, *is = malloc((size_t)L->is_size);
	uint64_t interp = py_u64(rt, L->rt_interp_head);
	int ni = 0;

	*main_interp = 0;
	if (is == NULL)
		return -1;
	if (interp == 0) {
		CERR(c, "the interpreter of process %d is not initialized",
		     (int)c->pp->pid);
		free(is);
		return -1;
	}
	while (interp && ni++ < PY_MAX_INTERPS) {
		uint64_t t;
		size_t first = n, k = 0;

		if (py_read1(c, interp, is, (size_t)L->is_size) < 0)
			break;
		/* the main interpreter is the last of the list */
		*main_interp = interp;
		t = py_u64(is, L->is_threads_head);
		while (t && k++ < PY_MAX_THREADS) {
			list = grow(list, &cap, n + 1, sizeof(*list));
			mem = grow(mem, &bcap, (n + 1) * tsz, 1);
			if (py_read1(c, t, mem + n * tsz, tsz) < 0)
				break;
			list[n++] = t;
			t = py_u64(mem + (n - 1) * tsz, L->ts_next);
		}
		/* newest first in CPython's list: reverse */
		for (size_t a = first, b = n; a + 1 < b; a++, b--) {
			uint64_t x = list[a];
			unsigned char tmp[1024];

			list[a] = list[b - 1];
			list[b - 1] = x;
			if (tsz <= sizeof(tmp)) {
				memcpy(tmp, mem + a * tsz, tsz);
				memcpy(mem + a * tsz, mem + (b - 1) * tsz, tsz);
				memcpy(mem + (b - 1) * tsz, tmp, tsz);
			}
		}
		interp = py_u64(is, L->is_next);
	}
	free(is);
	*out = list;
	*bytes = mem;
	return (long)n;
}

/* Remember the thread states of a walk for EPOCH. */
static void snap_keep(struct py_ctx *c, uint64_t epoch, const uint64_t *list,
		      const unsigned char *bytes, long n)
{
	const struct py_layout *L = c->L;

	c->snap_epoch = 0;
	if (epoch == 0)
		return;
	c->snap_tids = grow(c->snap_tids, &c->snap_cap, (size_t)n + 1,
			    sizeof(*c->snap_tids));
	c->snap_addrs = realloc(c->snap_addrs,
				c->snap_cap * sizeof(*c->snap_addrs));
	if (c->snap_addrs == NULL) {
		free(c->snap_tids);
		c->snap_tids = NULL;
		c->snap_cap = 0;
		return;
	}
	for (long i = 0; i < n; i++) {
		c->snap_tids[i] = (pid_t)py_u64(bytes + (size_t)i *
						(size_t)L->ts_size,
						L->ts_native_id);
		c->snap_addrs[i] = list[i];
	}
	c->snap_n = (size_t)n;
	c->snap_pid = c->pp->pid;
	c->snap_epoch = epoch;
}

int py_stack(struct py_ctx *c, struct py_proc *pp, const struct py_mem *m,
	     pid_t tid, uint64_t epoch, const struct py_thread **out)
{
	const struct py_layout *L = pp->L;
	unsigned char rt[1024], ts[1024];
	uint64_t cur = 0, *list = NULL, main_interp;
	unsigned char *bytes = NULL;
	long n, i;
	int rc = -1;

	if (py_begin(c, pp, m) < 0)
		return -1;
	if ((size_t)L->rt_size > sizeof(rt) || (size_t)L->ts_size > sizeof(ts))
		return -1;
	if (epoch && c->snap_epoch == epoch && c->snap_pid == pp->pid) {
		/* every thread stopped since the list was read: it holds */
		for (size_t k = 0; k < c->snap_n; k++) {
			if (c->snap_tids[k] != tid)
				continue;
			if (py_read1(c, c->snap_addrs[k], ts,
				     (size_t)L->ts_size) < 0 ||
			    add_thread(c, c->snap_addrs[k], ts) < 0)
				return -1;
			fix_pointers(c);
			*out = &c->threads[0];
			return 0;
		}
		CERR(c, "thread %d of process %d has no Python thread state",
		     (int)tid, (int)pp->pid);
		return 1;
	}
	if (read_runtime(c, rt) < 0)
		return -1;
	/* 3.11: the GIL holder first (at a probe hit, the hit thread) */
	if (L->rt_tstate_current >= 0)
		cur = py_u64(rt, L->rt_tstate_current);
	if (cur && py_read1(c, cur, ts, (size_t)L->ts_size) == 0 &&
	    (pid_t)py_u64(ts, L->ts_native_id) == tid) {
		if (add_thread(c, cur, ts) < 0)
			return -1;
		fix_pointers(c);
		*out = &c->threads[0];
		return 0;
	}
	if (py_u64(rt, L->rt_interp_head) == 0) {
		CERR(c, "the interpreter of process %d is not initialized",
		     (int)pp->pid);
		return 1;
	}
	n = all_tstates(c, rt, &list, &bytes, &main_interp);
	if (n < 0)
		goto out;
	snap_keep(c, epoch, list, bytes, n);
	for (i = 0; i < n; i++) {
		const unsigned char *b = bytes + (size_t)i * (size_t)L->ts_size;

		if ((pid_t)py_u64(b, L->ts_native_id) != tid)
			continue;
		if (add_thread(c, list[i], b) < 0)
			goto out;
		fix_pointers(c);
		*out = &c->threads[0];
		rc = 0;
		goto out;
	}
	CERR(c, "thread %d of process %d has no Python thread state",
	     (int)tid, (int)pp->pid);
	rc = 1;
out:
	free(list);
	free(bytes);
	return rc;
}

static void thread_names(struct py_ctx *c, uint64_t interp)
{
	const struct py_layout *L = c->L;
	uint64_t modules = 0, mod, mdict, active, ks[256], vs[256], total;
	unsigned char ob[16];
	size_t n, i, k;
	struct strbuf s = STRBUF_INIT;
	char err[sizeof(c->err)];

	if (interp == 0)
		return;
	memcpy(err, c->err, sizeof(err));
	if (py_read1(c, interp + (uint64_t)L->is_modules, &modules, 8) < 0 ||
	    py_dict_get_str(c, modules, "threading", &mod) < 0 || mod == 0 ||
	    py_read1(c, mod, ob, sizeof(ob)) < 0 ||
	    (c->pp->sym[PYS_MODULE_TYPE] &&
	     py_u64(ob, L->ob_type) != c->pp->sym[PYS_MODULE_TYPE]) ||
	    py_read1(c, mod + (uint64_t)L->module_dict, &mdict, 8) < 0 ||
	    py_dict_get_str(c, mdict, "_active", &active) < 0 || active == 0 ||
	    py_dict_items(c, active, ks, vs, 256, &n, &total) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		uint64_t ident, name;
		bool neg;

		if (py_long_small(c, ks[i], NULL, &ident, &neg) < 0 || neg)
			continue;
		for (k = 0; k < c->nthreads; k++)
			if (c->threads[k].thread_id == ident)
				break;
		if (k == c->nthreads || c->w->names[k])
			continue;
		if (py_instance_attr(c, vs[i], "_name", &name) < 0 || name == 0)
			continue;
		sb_reset(&s);
		if (py_str_text(c, name, NULL, 0, &s, 256) < 0)
			continue;
		c->w->names[k] = text_add(c, sb_str(&s), s.len) + 1;
	}
out:
	sb_free(&s);
	memcpy(c->err, err, sizeof(err));	/* names are best effort */
}

int py_global(struct py_ctx *c, struct py_proc *pp, const struct py_mem *m,
	      const char *module, const char *name, uint64_t *addr)
{
	const struct py_layout *L = pp->L;
	unsigned char rt[1024], ob[16];
	uint64_t interp, next, modules = 0, mod = 0, mdict = 0, v = 0;
	int ni = 0;

	if (py_begin(c, pp, m) < 0)
		return -1;
	if ((size_t)L->rt_size > sizeof(rt) || read_runtime(c, rt) < 0)
		return -1;
	/* the main interpreter is the last of the list */
	interp = py_u64(rt, L->rt_interp_head);
	while (interp && ni++ < PY_MAX_INTERPS) {
		if (py_read1(c, interp + (uint64_t)L->is_next, &next, 8) < 0)
			return -1;
		if (next == 0)
			break;
		interp = next;
	}
	if (interp == 0) {
		CERR(c, "the interpreter of process %d is not initialized",
		     (int)pp->pid);
		return -1;
	}
	if (py_read1(c, interp + (uint64_t)L->is_modules, &modules, 8) < 0)
		return -1;
	if (modules == 0) {
		CERR(c, "process %d has no sys.modules yet", (int)pp->pid);
		return -1;
	}
	if (py_dict_get_str(c, modules, module, &mod) < 0)
		return -1;
	if (mod == 0) {
		CERR(c, "no module '%s' in sys.modules of process %d", module,
		     (int)pp->pid);
		return -1;
	}
	if (py_read1(c, mod, ob, sizeof(ob)) < 0)
		return -1;
	if (pp->sym[PYS_MODULE_TYPE] &&
	    py_u64(ob, L->ob_type) != pp->sym[PYS_MODULE_TYPE]) {
		CERR(c, "sys.modules['%s'] of process %d is not a module object",
		     module, (int)pp->pid);
		return -1;
	}
	if (py_read1(c, mod + (uint64_t)L->module_dict, &mdict, 8) < 0 ||
	    py_dict_get_str(c, mdict, name, &v) < 0)
		return -1;
	if (v == 0) {
		CERR(c, "module '%s' of process %d has no global '%s'", module,
		     (int)pp->pid, name);
		return -1;
	}
	*addr = v;
	return 0;
}

#define CO_FAST_CELL 0x40
#define CO_VARARGS 0x04
#define CO_VARKEYWORDS 0x08
#define ARGS_MAX 255

int py_frame_args(struct py_ctx *c, struct py_proc *pp, const struct py_mem *m,
		  pid_t tid, struct strbuf *out, size_t max)
{
	const struct py_layout *L = pp->L;
	unsigned char rt[1024], ts[1024], fb[128], co[256], kinds[ARGS_MAX];
	uint64_t tsa = 0, cur = 0, code, names[ARGS_MAX], vals[ARGS_MAX];
	uint64_t *list = NULL, main_interp;
	unsigned char *bytes = NULL;
	struct strbuf nm = STRBUF_INIT;
	size_t base = out->len;
	long n, i;
	int argc, kwonly, flags, np, star = -1;

	if (py_begin(c, pp, m) < 0)
		return -1;
	if ((size_t)L->rt_size > sizeof(rt) || (size_t)L->ts_size > sizeof(ts) ||
	    (size_t)L->fr_size > sizeof(fb) || (size_t)L->co_size > sizeof(co) ||
	    read_runtime(c, rt) < 0)
		return -1;
	/* the thread state: 3.11's GIL holder (the hit thread), else the
	   list */
	if (L->rt_tstate_current >= 0)
		tsa = py_u64(rt, L->rt_tstate_current);
	if (!(tsa && py_read1(c, tsa, ts, (size_t)L->ts_size) == 0 &&
	      (pid_t)py_u64(ts, L->ts_native_id) == tid)) {
		tsa = 0;
		n = all_tstates(c, rt, &list, &bytes, &main_interp);
		for (i = 0; i < n; i++)
			if ((pid_t)py_u64(bytes + (size_t)i * (size_t)L->ts_size,
					  L->ts_native_id) == tid) {
				tsa = list[i];
				memcpy(ts, bytes + (size_t)i * (size_t)L->ts_size,
				       (size_t)L->ts_size);
				break;
			}
		free(list);
		free(bytes);
		if (tsa == 0) {
			CERR(c, "thread %d of process %d has no Python thread state",
			     (int)tid, (int)pp->pid);
			return -1;
		}
	}
	if (L->ts_cframe >= 0) {
		uint64_t cf = py_u64(ts, L->ts_cframe);

		if (cf == 0 || py_read1(c, cf + (uint64_t)L->cf_current_frame,
					&cur, 8) < 0)
			cur = 0;
	} else {
		cur = py_u64(ts, L->ts_current_frame);
	}
	if (cur == 0 || py_read1(c, cur, fb, (size_t)L->fr_size) < 0) {
		CERR(c, "thread %d of process %d runs no Python function",
		     (int)tid, (int)pp->pid);
		return -1;
	}
	code = py_u64(fb, L->fr_code);
	if (py_read1(c, code, co, (size_t)L->co_size) < 0) {
		CERR(c, "cannot read the code object of the current frame");
		return -1;
	}
	argc = (int)py_u32(co, L->co_argcount);
	kwonly = (int)py_u32(co, L->co_kwonlyargcount);
	flags = (int)py_u32(co, L->co_flags);
	if (argc < 0 || kwonly < 0 || argc + kwonly > ARGS_MAX - 2) {
		CERR(c, "the current frame's code object is not readable");
		return -1;
	}
	np = argc + kwonly + !!(flags & CO_VARARGS) + !!(flags & CO_VARKEYWORDS);
	if ((flags & CO_VARARGS) && kwonly)
		star = argc;	/* co_varnames: a, k, rest; signature: a, rest, k */
	if (np == 0)
		return 0;
	{
		struct py_iov v[3] = {
			{ py_u64(co, L->co_localsplusnames) + (uint64_t)L->tuple_items,
			  names, (size_t)np * 8, false },
			{ py_u64(co, L->co_localspluskinds) + (uint64_t)L->bytes_data,
			  kinds, (size_t)np, false },
			{ cur + (uint64_t)L->fr_size, vals, (size_t)np * 8, false },
		};

		py_readv(c, v, 3);
		if (!v[0].ok || !v[1].ok || !v[2].ok) {
			CERR(c, "cannot read the arguments of the current frame");
			return -1;
		}
	}
	for (i = 0; i < np; i++) {
		int k = (int)i;
		uint64_t val;

		if (star >= 0 && k >= star && k <= star + kwonly)
			k = k == star ? star + kwonly : k - 1;
		val = vals[k];
		if (out->len - base + 8 > max) {
			sb_append(out, "...", 3);
			break;
		}
		if (i)
			sb_puts(out, " ");
		sb_reset(&nm);
		if (py_str_text(c, names[k], NULL, 0, &nm, 256) < 0)
			sb_puts(&nm, "?");
		sb_printf(out, "%s=", sb_str(&nm));
		/* a parameter a closure captured: the cell's content */
		if (val && (kinds[k] & CO_FAST_CELL) &&
		    py_read1(c, val + 16, &val, 8) < 0)
			val = 0;
		if (val == 0 || out->len - base >= max ||
		    py_repr(c, pp, m, val, out, max - (out->len - base)) < 0)
			sb_puts(out, "?");
	}
	sb_free(&nm);
	sb_cut_ellipsis(out, base, max);
	return 0;
}

int py_threads(struct py_ctx *c, struct py_proc *pp, const struct py_mem *m,
	       const struct py_thread **out, size_t *nout)
{
	const struct py_layout *L = pp->L;
	unsigned char rt[1024];
	uint64_t *list = NULL, main_interp = 0;
	unsigned char *bytes = NULL;
	long n, i;

	if (py_begin(c, pp, m) < 0)
		return -1;
	if ((size_t)L->rt_size > sizeof(rt) || read_runtime(c, rt) < 0)
		return -1;
	n = all_tstates(c, rt, &list, &bytes, &main_interp);
	if (n < 0)
		return -1;
	for (i = 0; i < n; i++) {
		const unsigned char *b = bytes + (size_t)i * (size_t)L->ts_size;

		if (add_thread(c, list[i], b) < 0) {
			/* an unreadable thread: listed without frames */
			struct py_thread *t = new_thread(c, list[i], b);

			t->truncated = true;
		}
	}
	free(list);
	free(bytes);
	thread_names(c, main_interp);
	fix_pointers(c);
	*out = c->threads;
	*nout = c->nthreads;
	return 0;
}
