/*
 * resolve_int.h - what the files of pass 2 (resolve*.c) share: the resolve
 * context and the entry points of each step.  Not for use outside
 * resolve*.c; the pass's interface is resolve.h.
 *
 *   resolve.c         the driver: the steps below, in order
 *   resolve_points.c  alias expansion and the base probe points
 *   resolve_sdt.c     process(...).mark(...): SDT marks in the binaries
 *   resolve_bind.c    names to locals, globals and functions
 *   resolve_check.c   @defined folding, dead alias stores, foreach
 *                     mutation, printf formats, probe conditions
 *   resolve_types.c   type inference
 *   resolve_dump.c    -p2 output and -l / -L listings
 *
 * Every step that looks through statements and expressions does it with
 * the one walker of walk.h.
 */
#ifndef PYTAP_RESOLVE_INT_H
#define PYTAP_RESOLVE_INT_H

#include "resolve.h"
#include "strbuf.h"
#include "walk.h"

#define MAX_ALIAS_DEPTH 32

struct alias_def {
	struct probe *p;		/* PROBE_ALIAS or PROBE_ALIAS_EPI */
	struct alias_def *next;
};

/* One alias body met on the way down to a base point. */
struct chain {
	struct probe *alias;
	const struct chain *outer;
};

struct ctx {
	struct ast_arena *a;
	struct diag *d;
	const struct resolve_opts *o;
	struct script *user, *lib;
	struct alias_def *aliases;
	struct resolved *out;
	struct rhandler **tail;
	/* used functions, work list */
	struct function **fns;
	int nfns;
	struct symbol **globals;
	int nglobals;
	/* binding scope */
	struct symbol **locals;		/* list head being built */
	int *nlocals;
	struct function *curfn;
	struct rpoint *curpt;
	bool changed;			/* type inference progress */
	int loop_depth;
	struct expr *cond;		/* if (...) of the point being expanded */
	struct expr *stmt_top;		/* the expression of an S_EXPR (its
					   value is not used) */
	struct expr *cond_top;		/* check_cond: the whole condition */
};

/* A walk (walk.h) that works on the resolve context. */
struct cwalk {
	struct walker w;
	struct ctx *c;
};

static inline struct ctx *cw_ctx(struct walker *w)
{
	return ((struct cwalk *)w)->c;
}

/* Walk S, or E, with W's callbacks over the context C. */
static inline bool cw_walk_stmt(struct ctx *c, struct walker w,
				struct stmt *s)
{
	struct cwalk cw = { w, c };

	return walk_stmt(&cw.w, &s);
}

static inline bool cw_walk_expr(struct ctx *c, struct walker w,
				struct expr *e)
{
	struct cwalk cw = { w, c };

	return walk_expr(&cw.w, &e, WALK_READ);
}

/* resolve_points.c */
void res_put_quoted(struct strbuf *sb, const char *s);
/* The components as probe point text, in the arena. */
char *res_comps_str(struct ctx *c, const struct pp_component *comps, int n);
char *res_alias_key(struct ctx *c, const struct probe *p);
void res_collect_aliases(struct ctx *c);
/* Does the user pattern U[0..nu) match alias name A[0..na)?  Returns the
 * number of user components consumed (the rest is a suffix), or -1. */
int res_match_comps(const struct pp_component *u, int nu,
		    const struct pp_component *al, int na);
/* A handler for PT: the user's body wrapped in the chain's prologues and
 * epilogues, appended to the output. */
struct rhandler *res_new_handler(struct ctx *c, const struct rpoint *pt,
				 struct probe *user, const struct chain *ch);
/* Expand one probe point through the aliases down to base points; returns
 * the handlers made, or -1 after an error. */
int res_expand(struct ctx *c, const struct pp_component *cp, int n,
	       const struct probe_point *up, struct probe *user,
	       const struct chain *ch, int depth);

/* resolve_sdt.c: process(...)[.provider(P)][.library(L)].mark(N) */
int res_base_sdt(struct ctx *c, const struct pp_component *cp, int n,
		 const struct probe_point *up, struct probe *user,
		 const struct chain *ch);

/* resolve_bind.c */
struct symbol *res_find_global(struct ctx *c, const char *name,
			       const struct loc *use);
struct symbol *res_add_local(struct ctx *c, const char *name,
			     const struct loc *loc);
void res_warn_never_assigned(struct ctx *c, struct symbol *locals);
/* Bind every name in S to a local, a parameter, a global or a function. */
void res_bind(struct ctx *c, struct stmt *s);

/* resolve_check.c */
void res_fold_defined(const struct rpoint *pt, struct stmt *s);
void res_agent_arity(struct rpoint *pt, struct stmt *s, bool no_agent);
void res_elide_dead_stores(struct rhandler *h, struct diag *d);
void res_fe_checks(struct ctx *c);
void res_print_check(struct ctx *c, struct stmt *s);
bool res_check_cond(struct ctx *c, struct expr *e);

/* resolve_types.c */
const char *res_type_name(enum type t);
void res_global_init_types(struct ctx *c);
/* One round of inference over S (the caller repeats to a fixed point). */
void res_infer(struct ctx *c, struct stmt *s);
void res_check_unresolved(struct ctx *c, struct symbol *list);

/* resolve_bind.c: the variable nearest to NAME, for "did you mean" */
const char *res_suggest_var(struct ctx *c, const char *name,
			    const struct symbol *locals, int nkeys,
			    const struct loc *use);

/* resolve_check.c: unused globals, unreachable overloads (warnings) */
void res_warn_unused(struct ctx *c);

#endif
