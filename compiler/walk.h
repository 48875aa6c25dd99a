/*
 * walk.h - the one traversal of the syntax tree (ast.h).
 *
 * Every pass that looks at a whole statement or expression tree (the
 * resolve passes, codegen's nesting count, the deep copy below) walks it
 * with walk_stmt() / walk_expr() and a struct walker of callbacks, so all
 * of them see the same children in the same order:
 *
 *   expressions  a, b, c, then args[0..nargs)
 *   S_EXPR, S_RETURN, S_DELETE   e
 *   S_BLOCK      body[0..nbody)
 *   S_IF         e, then, els          S_WHILE  e, then
 *   S_FOR        init, e, then, step   S_TRY    then, catchvar, els
 *   S_FOREACH    array, slice[], keys[], value, limit (walk_foreach_head),
 *                then
 *
 * Each expression is visited with its role (enum walk_role), so a pass
 * can tell a read from a store without knowing the parent.  Callbacks get
 * the slot that holds the node and may replace the node there.  A pass
 * that must treat one kind of node its own way (another order, some
 * state around a loop body) returns WALK_SKIP from its pre callback and
 * walks that node's children itself with walk_expr / walk_stmt /
 * walk_foreach_head.
 */
#ifndef PYTAP_WALK_H
#define PYTAP_WALK_H

#include "ast.h"

enum walk_role {
	WALK_READ,	/* its value is used */
	WALK_WRITE,	/* stored into: the left of = and <<<, the operand
			   of delete */
	WALK_UPDATE,	/* read and stored: the left of += .= ..., the
			   operand of ++ and -- */
	WALK_BIND,	/* a variable a statement sets: foreach keys and value,
			   the catch variable */
	WALK_ITERATE,	/* what a foreach iterates: an array or @hist_*() */
};

enum walk_next {
	WALK_CONTINUE,	/* visit the node's children, then its post callback */
	WALK_SKIP,	/* neither its children nor its post callback */
	WALK_STOP,	/* end the whole walk (w->stopped is set) */
};

struct walker {
	/* Any callback may be NULL.  With neither expression callback, the
	   walk does not go into expressions at all (a statement walk). */
	enum walk_next (*expr_pre)(struct walker *w, struct expr **slot,
				   enum walk_role role);
	void (*expr_post)(struct walker *w, struct expr **slot,
			  enum walk_role role);
	enum walk_next (*stmt_pre)(struct walker *w, struct stmt **slot);
	void (*stmt_post)(struct walker *w, struct stmt **slot);
	/* Maintained by the walk: the statement whose expressions are being
	   visited (NULL at the top of walk_expr), and whether a callback
	   returned WALK_STOP. */
	struct stmt *stmt;
	bool stopped;
};

/* Walk the tree at *SLOT (NULL is fine).  Return false once stopped. */
bool walk_expr(struct walker *w, struct expr **slot, enum walk_role role);
bool walk_stmt(struct walker *w, struct stmt **slot);

/* The parts of a foreach before its body, in the order above. */
bool walk_foreach_head(struct walker *w, struct stmt *s);

/* The role of an assignment's or ++/--'s operand E->a. */
enum walk_role walk_target_role(const struct expr *e);

/* Deep copies (a probe handler owns its body).  The copies' resolve
   results (type, sym, fn, bi, aux) are cleared. */
struct expr *ast_clone_expr(struct ast_arena *a, const struct expr *e);
struct stmt *ast_clone_stmt(struct ast_arena *a, const struct stmt *s);

#endif
