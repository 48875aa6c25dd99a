/*
 * mem.h - freeing the many buffers of a structure in one statement:
 *
 *	free_all(w->raw, w->codes, w->iov, w->buf);
 *
 * frees each pointer (NULL ones too, as free() does).  The arguments are
 * pointers to data; a const one needs a cast, as it would for free().
 */
#ifndef PYTAP_MEM_H
#define PYTAP_MEM_H

#include <stddef.h>
#include <stdlib.h>

static inline void free_each(void *const *ptrs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(ptrs[i]);
}

#define free_all(...)                                           \
	free_each((void *const[]){ __VA_ARGS__ },               \
		  sizeof((void *const[]){ __VA_ARGS__ }) / sizeof(void *))

#endif
