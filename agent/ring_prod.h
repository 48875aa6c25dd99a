/*
 * ring_prod.h - the producer side of the ring (agent/ring.h), for the
 * agent's files: the write position and the few functions that reserve,
 * publish or drop a record.  GIL held: a single producer.
 */
#ifndef PYTAP_RING_PROD_H
#define PYTAP_RING_PROD_H

#include <stdint.h>

#include "ring.h"

#ifndef UNLIKELY
#define UNLIKELY(x) __builtin_expect(!!(x), 0)
#endif

extern struct pytap_ring_hdr *g_hdr;
extern uint8_t *g_data;
extern uint64_t g_size, g_mask;
extern uint64_t g_wpos;         /* write position (not yet published) */
extern uint64_t g_tail;         /* last tail read */
extern uint64_t g_dropped, g_lost, g_codes_over, g_codes_live;

/* Room for SIZE contiguous bytes at the write position (a PAD record
 * first when they would cross the end), or NULL when the ring is full. */
static inline void *
ring_space(uint64_t size)
{
	uint64_t pos = g_wpos, off = pos & g_mask, contig = g_size - off;
	uint64_t need = size + (contig < size ? contig : 0);

	if (UNLIKELY(need > g_size - (pos - g_tail))) {
		g_tail = __atomic_load_n(&g_hdr->tail, __ATOMIC_ACQUIRE);
		if (need > g_size - (pos - g_tail))
			return NULL;
	}
	if (UNLIKELY(contig < size)) {
		struct pytap_rec *pad = (struct pytap_rec *)(g_data + off);
		pad->size = (uint32_t)contig;
		pad->kind = PYTAP_REC_PAD;
		pad->flags = 0;
		pos += contig;
		off = 0;
	}
	g_wpos = pos + size;
	return g_data + off;
}

static inline void
ring_drop(void)
{
	g_lost++;
	g_dropped++;
	__atomic_store_n(&g_hdr->dropped, g_dropped, __ATOMIC_RELAXED);
}

/* Space for one record of SIZE bytes (a multiple of 8), preceded by a LOST
 * record when records were dropped since the last one written. */
static inline void *
ring_alloc(uint32_t size)
{
	void *p;

	if (UNLIKELY(g_lost)) {
		uint64_t save = g_wpos;
		struct pytap_rec_lost *l = ring_space(sizeof *l);
		if (!l || !(p = ring_space(size))) {
			g_wpos = save;
			ring_drop();
			return NULL;
		}
		l->h.size = sizeof *l;
		l->h.kind = PYTAP_REC_LOST;
		l->h.flags = 0;
		l->count = g_lost;
		g_lost = 0;
		return p;
	}
	p = ring_space(size);
	if (UNLIKELY(!p))
		ring_drop();
	return p;
}

static inline void
ring_commit(void)
{
	__atomic_store_n(&g_hdr->head, g_wpos, __ATOMIC_RELEASE);
}

static inline void
ring_abandon(void)
{
	g_wpos = g_hdr->head;
}

#endif
