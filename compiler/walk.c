/*
 * walk.c - the one traversal of the syntax tree, and the deep copy built
 * on it (see walk.h for the order and the roles).
 */
#include <string.h>

#include "walk.h"

static bool walks_exprs(const struct walker *w)
{
	return w->expr_pre || w->expr_post;
}

/* After a pre callback: go into the node? */
static bool enter(struct walker *w, enum walk_next nx)
{
	if (nx == WALK_STOP)
		w->stopped = true;
	return nx == WALK_CONTINUE;
}

enum walk_role walk_target_role(const struct expr *e)
{
	if (e->kind == E_ASSIGN &&
	    (!strcmp(e->op, "=") || !strcmp(e->op, "<<<")))
		return WALK_WRITE;
	return WALK_UPDATE;
}

static void expr_children(struct walker *w, struct expr *e)
{
	enum walk_role ra = WALK_READ;
	int i;

	if (e->kind == E_ASSIGN || e->kind == E_PREINC || e->kind == E_POSTINC)
		ra = walk_target_role(e);
	walk_expr(w, &e->a, ra);
	walk_expr(w, &e->b, WALK_READ);
	walk_expr(w, &e->c, WALK_READ);
	for (i = 0; i < e->nargs; i++)
		walk_expr(w, &e->args[i], WALK_READ);
}

bool walk_expr(struct walker *w, struct expr **slot, enum walk_role role)
{
	if (w->stopped || !*slot)
		return !w->stopped;
	if (!w->expr_pre || enter(w, w->expr_pre(w, slot, role))) {
		/* *slot again: the pre callback may have replaced it */
		expr_children(w, *slot);
		if (w->expr_post && !w->stopped)
			w->expr_post(w, slot, role);
	}
	return !w->stopped;
}

/* An expression part of statement S. */
static void walk_part(struct walker *w, struct stmt *s, struct expr **slot,
		      enum walk_role role)
{
	struct stmt *outer = w->stmt;

	if (!walks_exprs(w))
		return;
	w->stmt = s;
	walk_expr(w, slot, role);
	w->stmt = outer;
}

bool walk_foreach_head(struct walker *w, struct stmt *s)
{
	struct foreach *fe = s->fe;
	int i;

	walk_part(w, s, &fe->array, WALK_ITERATE);
	for (i = 0; fe->slice && i < fe->nkeys; i++)
		walk_part(w, s, &fe->slice[i], WALK_READ);
	for (i = 0; i < fe->nkeys; i++)
		walk_part(w, s, &fe->keys[i], WALK_BIND);
	walk_part(w, s, &fe->value, WALK_BIND);
	walk_part(w, s, &fe->limit, WALK_READ);
	return !w->stopped;
}

static void stmt_children(struct walker *w, struct stmt *s)
{
	int i;

	walk_stmt(w, &s->init);
	if (s->fe)
		walk_foreach_head(w, s);
	walk_part(w, s, &s->e, s->kind == S_DELETE ? WALK_WRITE : WALK_READ);
	walk_stmt(w, &s->then);
	walk_part(w, s, &s->catchvar, WALK_BIND);
	walk_stmt(w, &s->els);
	walk_stmt(w, &s->step);
	for (i = 0; i < s->nbody; i++)
		walk_stmt(w, &s->body[i]);
}

bool walk_stmt(struct walker *w, struct stmt **slot)
{
	if (w->stopped || !*slot)
		return !w->stopped;
	if (!w->stmt_pre || enter(w, w->stmt_pre(w, slot))) {
		stmt_children(w, *slot);
		if (w->stmt_post && !w->stopped)
			w->stmt_post(w, slot);
	}
	return !w->stopped;
}

/* ------------------------------------------------------------------ */
/* deep copies: each node is copied before the walk goes into it, so the
   walk then replaces the copy's children with copies of their own       */

struct cloner {
	struct walker w;
	struct ast_arena *a;
};

static void *dup_array(struct ast_arena *a, void *arr, int n)
{
	void *r;

	if (!arr)
		return NULL;
	r = ast_alloc(a, sizeof(void *) * (size_t)(n ? n : 1));
	memcpy(r, arr, sizeof(void *) * (size_t)n);
	return r;
}

static enum walk_next clone_expr_pre(struct walker *w, struct expr **slot,
				     enum walk_role role)
{
	struct ast_arena *a = ((struct cloner *)w)->a;
	struct expr *r = ast_alloc(a, sizeof(*r));

	(void)role;
	*r = **slot;
	/* what resolve fills in is the copy's own to fill */
	r->type = T_UNKNOWN;
	r->sym = NULL;
	r->args = dup_array(a, r->args, r->nargs);
	r->fn = NULL;
	r->bi = NULL;
	r->aux = NULL;
	*slot = r;
	return WALK_CONTINUE;
}

static enum walk_next clone_stmt_pre(struct walker *w, struct stmt **slot)
{
	struct ast_arena *a = ((struct cloner *)w)->a;
	struct stmt *r = ast_alloc(a, sizeof(*r));

	*r = **slot;
	r->body = dup_array(a, r->body, r->nbody);
	if (r->fe) {
		struct foreach *f = ast_alloc(a, sizeof(*f));

		*f = *r->fe;
		f->keys = dup_array(a, f->keys, f->nkeys);
		f->slice = dup_array(a, f->slice, f->nkeys);
		r->fe = f;
	}
	*slot = r;
	return WALK_CONTINUE;
}

struct expr *ast_clone_expr(struct ast_arena *a, const struct expr *e)
{
	struct cloner c = { { clone_expr_pre, NULL, clone_stmt_pre, NULL,
			      NULL, false }, a };
	struct expr *r = (struct expr *)e;

	walk_expr(&c.w, &r, WALK_READ);
	return r;
}

struct stmt *ast_clone_stmt(struct ast_arena *a, const struct stmt *s)
{
	struct cloner c = { { clone_expr_pre, NULL, clone_stmt_pre, NULL,
			      NULL, false }, a };
	struct stmt *r = (struct stmt *)s;

	walk_stmt(&c.w, &r);
	return r;
}
