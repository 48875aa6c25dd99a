/*
 * ast.c - arena allocation and node constructors for the syntax tree.
 *
 * The arena is a list of large chunks; ast_alloc carves zeroed, aligned
 * pieces out of the current chunk and starts a new one when it is full.
 * Nothing is freed until ast_arena_free, which releases every chunk.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ast.h"

#define CHUNK_SIZE	(64 * 1024)
#define ALIGN		16

struct chunk {
	struct chunk *next;
	size_t used, size;
	_Alignas(ALIGN) unsigned char data[];
};

struct ast_arena {
	struct chunk *chunks;	/* newest first */
};

static void *xmalloc(size_t n)
{
	void *p = malloc(n);
	if (!p) {
		fputs("pytap: out of memory\n", stderr);
		abort();
	}
	return p;
}

struct ast_arena *ast_arena_new(void)
{
	struct ast_arena *a = xmalloc(sizeof *a);
	a->chunks = NULL;
	return a;
}

void ast_arena_free(struct ast_arena *a)
{
	if (!a)
		return;
	struct chunk *c = a->chunks;
	while (c) {
		struct chunk *next = c->next;
		free(c);
		c = next;
	}
	free(a);
}

void *ast_alloc(struct ast_arena *a, size_t n)
{
	n = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	if (n == 0)
		n = ALIGN;
	struct chunk *c = a->chunks;
	if (!c || c->size - c->used < n) {
		if (n > CHUNK_SIZE / 4) {
			/* A big block gets a chunk of its own, kept behind
			 * the current one so the rest of it stays usable. */
			struct chunk *big = xmalloc(sizeof *big + n);
			big->size = big->used = n;
			if (c) {
				big->next = c->next;
				c->next = big;
			} else {
				big->next = NULL;
				a->chunks = big;
			}
			memset(big->data, 0, n);
			return big->data;
		}
		c = xmalloc(sizeof *c + CHUNK_SIZE);
		c->size = CHUNK_SIZE;
		c->used = 0;
		c->next = a->chunks;
		a->chunks = c;
	}
	void *p = c->data + c->used;
	c->used += n;
	memset(p, 0, n);
	return p;
}

char *ast_strndup(struct ast_arena *a, const char *s, size_t n)
{
	char *p = ast_alloc(a, n + 1);
	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/*
 * Growing arrays: the capacity is not stored, it is the smallest power of
 * two (at least 4) that holds n; when n reaches it, the array moves to a
 * block twice as big.  The old block stays in the arena.
 */
int ast_push(struct ast_arena *a, void ***arr, int n, void *item)
{
	int cap = 4;
	while (cap < n)
		cap *= 2;
	if (!*arr || n == cap) {
		int ncap = *arr ? cap * 2 : cap;
		if (n >= ncap)	/* *arr was NULL with n > 0: be safe */
			while (ncap <= n)
				ncap *= 2;
		void **na = ast_alloc(a, sizeof(void *) * (size_t)ncap);
		if (*arr && n)
			memcpy(na, *arr, sizeof(void *) * (size_t)n);
		*arr = na;
	}
	(*arr)[n] = item;
	return n + 1;
}

int ast_push_once(struct ast_arena *a, void ***arr, int n, void *item)
{
	int i;

	for (i = 0; i < n; i++)
		if ((*arr)[i] == item)
			return n;
	return ast_push(a, arr, n, item);
}

struct expr *ast_expr(struct ast_arena *a, enum expr_kind k,
		      const struct loc *loc)
{
	struct expr *e = ast_alloc(a, sizeof *e);

	*e = (struct expr){ .kind = k, .loc = loc ? *loc : (struct loc){ 0 } };
	return e;
}

struct stmt *ast_stmt(struct ast_arena *a, enum stmt_kind k,
		      const struct loc *loc)
{
	struct stmt *s = ast_alloc(a, sizeof *s);

	*s = (struct stmt){ .kind = k, .loc = loc ? *loc : (struct loc){ 0 } };
	return s;
}
