/*
 * resolve_check.c - the checks and rewrites around binding: @defined
 * folded per handler, dead alias stores dropped, arrays modified inside
 * their own foreach, printf formats against argument types, and what a
 * probe condition may use.
 */
#include <stdlib.h>
#include <string.h>

#include "builtins.h"
#include "format.h"
#include "resolve_int.h"

/* ------------------------------------------------------------------ */
/* @defined($argN): folded per handler, before binding                */

/*
 * As in SystemTap, @defined(E) is a compile-time constant: 1 when the
 * context variable E exists at this probe point ($argN within the mark's
 * arity, $$name and friends at any mark), else 0.  A ternary or an if
 * whose condition folds that way keeps only the branch that can run, so
 * `@defined($arg4) ? user_string2($arg4, "") : ""` compiles against a
 * 3-argument mark.  An unknown arity (-L without a target) counts as
 * defined.  The folded literal is tagged with op "@defined": other
 * constant conditions written by the user are left alone.
 */
static bool folded_const(const struct expr *e)
{
	return e && e->kind == E_NUM && e->op && !strcmp(e->op, "@defined");
}

struct defined_fold {
	struct walker w;
	const struct rpoint *pt;
};

static void fold_expr(struct walker *w, struct expr **slot,
		      enum walk_role role)
{
	const struct rpoint *pt = ((struct defined_fold *)w)->pt;
	struct expr *e = *slot;

	(void)role;
	if (e->kind == E_DEFINED) {
		const struct expr *x = e->a;
		int64_t v = 0;

		if (x && x->kind == E_CONTEXT && pt && pt->kind == BP_SDT) {
			const char *n = x->name;

			if (!strncmp(n, "arg", 3) && n[3] &&
			    strspn(n + 3, "0123456789") == strlen(n + 3)) {
				int k = atoi(n + 3);

				v = k >= 1 && (pt->nargs < 0 || k <= pt->nargs);
			} else {
				v = !strcmp(n, "$name") || !strcmp(n, "$provider") ||
				    !strcmp(n, "$vars") || !strcmp(n, "$parms") ||
				    (!strcmp(n, "$return") && pt->name &&
				     !strcmp(pt->name, "function__return"));
			}
		}
		e->kind = E_NUM;
		e->num = v;
		e->op = "@defined";
		e->a = NULL;
	} else if (e->kind == E_UNARY && !strcmp(e->op, "!") &&
		   folded_const(e->a)) {
		e->kind = E_NUM;
		e->num = !e->a->num;
		e->op = "@defined";
		e->a = NULL;
	} else if (e->kind == E_TERNARY && folded_const(e->a)) {
		*e = e->a->num ? *e->b : *e->c;
	}
}

static void fold_if(struct walker *w, struct stmt **slot)
{
	struct stmt *s = *slot;

	(void)w;
	if (s->kind == S_IF && folded_const(s->e)) {
		struct stmt *keep = s->e->num ? s->then : s->els;

		if (keep) {
			*s = *keep;
		} else {
			s->kind = S_NULL;
			s->e = NULL;
			s->then = s->els = NULL;
		}
	}
}

struct values_scan {
	struct walker w;
	bool found;
};

static enum walk_next scan_values(struct walker *w, struct expr **slot,
				  enum walk_role role)
{
	const struct expr *e = *slot;

	(void)role;
	if (e->kind == E_CONTEXT && e->name &&
	    (!strcmp(e->name, "$parms") || !strcmp(e->name, "$return"))) {
		((struct values_scan *)w)->found = true;
		return WALK_STOP;
	}
	return WALK_CONTINUE;
}

/* 3.11's function markers have 3 arguments, no module: a handler that
 * reads $$parms or $$return is served by the in-process agent, which
 * gives $arg4 (the module) too. */
void res_agent_arity(struct rpoint *pt, struct stmt *s, bool no_agent)
{
	struct values_scan v = { { scan_values, NULL, NULL, NULL, NULL,
				   false }, false };

	if (no_agent || pt->kind != BP_SDT || pt->nargs != 3 || !pt->name ||
	    (pt->provider && strcmp(pt->provider, "python")) ||
	    (strcmp(pt->name, "function__entry") &&
	     strcmp(pt->name, "function__return")))
		return;
	walk_stmt(&v.w, &s);
	if (v.found)
		pt->nargs = 4;
}

void res_fold_defined(const struct rpoint *pt, struct stmt *s)
{
	struct defined_fold f = { { NULL, fold_expr, NULL, fold_if, NULL,
				    false }, pt };

	walk_stmt(&f.w, &s);
}

/* ------------------------------------------------------------------ */
/* arrays modified inside their own foreach (SystemTap's pass-2 check) */

#define MAX_FE_NEST 16

struct fe_check {
	struct walker w;
	struct ctx *c;
	struct symbol *arrs[MAX_FE_NEST];	/* arrays being iterated */
	int n;
	struct function **seen;			/* fn_writes recursion guard */
	int nseen;
};

static bool is_store(enum walk_role role)
{
	return role == WALK_WRITE || role == WALK_UPDATE;
}

/* Does a function F (or one it calls) write global G? */
struct global_writes {
	struct walker w;
	struct fe_check *k;
	const struct symbol *g;
};

static bool fn_writes(struct fe_check *k, struct function *f,
		      const struct symbol *g);

static enum walk_next global_writes_pre(struct walker *w, struct expr **slot,
					enum walk_role role)
{
	struct global_writes *x = (struct global_writes *)w;
	const struct expr *e = *slot;

	if (is_store(role) && e->sym == x->g)
		return WALK_STOP;
	if (e->kind == E_CALL && e->fn && fn_writes(x->k, e->fn, x->g))
		return WALK_STOP;
	return WALK_CONTINUE;
}

static bool fn_writes(struct fe_check *k, struct function *f,
		      const struct symbol *g)
{
	struct global_writes x = { .w = { .expr_pre = global_writes_pre },
				   .k = k, .g = g };
	int i, n0 = k->nseen;
	bool r;

	for (i = 0; i < k->nseen; i++)
		if (k->seen[i] == f)
			return false;
	k->nseen = ast_push(k->c->a, (void ***)&k->seen, k->nseen, f);
	r = !walk_stmt(&x.w, &f->body);
	k->nseen = n0;
	return r;
}

static enum walk_next fe_check_expr(struct walker *w, struct expr **slot,
				    enum walk_role role)
{
	struct fe_check *k = (struct fe_check *)w;
	struct expr *e = *slot;
	int i;

	for (i = 0; i < k->n; i++) {
		struct symbol *g = k->arrs[i];

		if (is_store(role) && e->sym == g)
			diag_error(k->c->d, &e->loc,
				   "variable '%s' modified during 'foreach' iteration",
				   g->name);
		else if (e->kind == E_CALL && e->fn) {
			k->nseen = 0;
			if (fn_writes(k, e->fn, g))
				diag_error(k->c->d, &e->loc,
					   "function call modifies var '%s' during 'foreach' iteration",
					   g->name);
		}
	}
	return WALK_CONTINUE;
}

/* A foreach's body is walked with its array on the stack. */
static enum walk_next fe_check_stmt(struct walker *w, struct stmt **slot)
{
	struct fe_check *k = (struct fe_check *)w;
	struct stmt *s = *slot;
	struct symbol *arr;

	if (s->kind != S_FOREACH)
		return WALK_CONTINUE;
	arr = s->fe->array->kind == E_HIST ? s->fe->array->a->sym
					   : s->fe->array->sym;
	if (!arr || k->n >= MAX_FE_NEST)
		return WALK_CONTINUE;
	walk_foreach_head(w, s);
	k->arrs[k->n++] = arr;
	walk_stmt(w, &s->then);
	k->n--;
	return WALK_SKIP;
}

/* ------------------------------------------------------------------ */
/* dead stores of alias prologues                                     */

static enum walk_next impure_pre(struct walker *w, struct expr **slot,
				 enum walk_role role)
{
	const struct expr *e = *slot;

	(void)w;
	(void)role;
	switch (e->kind) {
	case E_ASSIGN:
	case E_PREINC:
	case E_POSTINC:
	case E_PRINT:
		return WALK_STOP;
	case E_CALL:
		return e->bi && e->bi->pure ? WALK_CONTINUE : WALK_STOP;
	default:
		return WALK_CONTINUE;
	}
}

static bool expr_pure(struct expr *e)
{
	struct walker w = { .expr_pre = impure_pre };

	return walk_expr(&w, &e, WALK_READ);
}

/* Count reads of locals (for elision).  `delete x` counts as one: the
 * stores into x must stay for x to have a type. */
static enum walk_next count_reads(struct walker *w, struct expr **slot,
				  enum walk_role role)
{
	struct expr *e = *slot;

	if (e->kind == E_SYM && e->sym &&
	    e->sym->kind != SYM_GLOBAL &&	/* globals: bind's business */
	    ((role != WALK_WRITE && role != WALK_BIND) ||
	     (w->stmt && w->stmt->kind == S_DELETE && w->stmt->e == e)))
		e->sym->read = true;
	return WALK_CONTINUE;
}

/* Turn `x = pure` into ';' where x is a local nobody reads and the
 * statement comes from a tapset.  Returns how many were removed. */
/* x <<< v (or x <<< y <<< v) into locals nothing reads, v pure */
static bool dead_stat_store(struct expr *e)
{
	return e && e->kind == E_ASSIGN && !strcmp(e->op, "<<<") &&
	       e->a->kind == E_SYM && e->a->sym &&
	       e->a->sym->kind == SYM_LOCAL && !e->a->sym->read &&
	       (expr_pure(e->b) || dead_stat_store(e->b));
}

struct elider {
	struct walker w;
	struct diag *d;
	int n;
};

static enum walk_next elide_stmt(struct walker *w, struct stmt **slot)
{
	struct elider *el = (struct elider *)w;
	struct stmt *s = *slot;

	/* a statistic in a local that nothing reads: SystemTap elides it
	   (with this warning) instead of refusing a local statistic */
	if (s->kind == S_EXPR && dead_stat_store(s->e)) {
		diag_warning(el->d, &s->e->loc, "Eliding assignment to '%s'",
			     s->e->a->name);
		s->kind = S_NULL;
		s->e = NULL;
		el->n++;
		return WALK_SKIP;
	}
	if (s->kind == S_EXPR && s->e && s->e->kind == E_ASSIGN &&
	    !strcmp(s->e->op, "=") && s->e->a->kind == E_SYM && s->e->a->sym &&
	    s->e->a->sym->kind == SYM_LOCAL && !s->e->a->sym->read &&
	    s->loc.src && s->loc.src->is_tapset && expr_pure(s->e->b)) {
		s->kind = S_NULL;
		s->e = NULL;
		el->n++;
		return WALK_SKIP;
	}
	return WALK_CONTINUE;
}

void res_elide_dead_stores(struct rhandler *h, struct diag *d)
{
	struct walker reads = { .expr_pre = count_reads };
	struct elider el = { .w = { .stmt_pre = elide_stmt }, .d = d };
	struct symbol *s;
	int rounds;

	for (rounds = 0; rounds < 8; rounds++) {
		for (s = h->locals; s; s = s->next)
			s->read = false;
		walk_stmt(&reads, &h->body);
		el.n = 0;
		walk_stmt(&el.w, &h->body);
		if (!el.n)
			break;
	}
}

/* ------------------------------------------------------------------ */
/* printf formats, checked once types are known (SystemTap's messages) */

static enum walk_next print_check_expr(struct walker *w, struct expr **slot,
				       enum walk_role role)
{
	struct ctx *c = cw_ctx(w);
	struct expr *e = *slot;

	(void)role;
	if (e->kind == E_PRINT && (!strcmp(e->name, "printf") ||
				   !strcmp(e->name, "sprintf"))) {
		struct fmt f;
		char err[256];
		size_t k;

		if (fmt_parse(e->str, e->len, &f, err, sizeof(err)) != 0) {
			diag_error(c->d, &e->loc, "%s", err);
		} else {
			if (f.nargs != (size_t)e->nargs)
				diag_error(c->d, &e->loc,
					   "Wrong number of args to formatted print operator");
			for (k = 0; k < f.nargs && k < (size_t)e->nargs; k++) {
				enum type want = f.argtypes[k] == FMT_ARG_LONG ?
					T_LONG : T_STRING;
				enum type got = e->args[k]->type;

				if (got != want && got != T_UNKNOWN)
					diag_error(c->d, &e->args[k]->loc,
						   "type mismatch: expected %s but found %s",
						   res_type_name(want),
						   res_type_name(got));
			}
			fmt_free(&f);
		}
	}
	return WALK_CONTINUE;
}

void res_print_check(struct ctx *c, struct stmt *s)
{
	cw_walk_stmt(c, (struct walker){ .expr_pre = print_check_expr }, s);
}

/* foreach bodies that modify their array, wrapping scalars */
void res_fe_checks(struct ctx *c)
{
	struct fe_check fk;
	struct rhandler *h;
	int i;

	memset(&fk, 0, sizeof(fk));
	fk.w.expr_pre = fe_check_expr;
	fk.w.stmt_pre = fe_check_stmt;
	fk.c = c;
	for (h = c->out->handlers; h; h = h->next)
		walk_stmt(&fk.w, &h->body);
	for (i = 0; i < c->nfns; i++)
		walk_stmt(&fk.w, &c->fns[i]->body);
	for (i = 0; i < c->nglobals; i++)
		if (c->globals[i]->wrap && c->globals[i]->nkeys == 0)
			diag_error(c->d, &c->globals[i]->loc,
				   "wrapping not supported for scalars");
}

/* probe PP if (COND): COND may read globals only (SystemTap's rules and
 * messages); a write is reported at the whole condition. */
static enum walk_next cond_check_pre(struct walker *w, struct expr **slot,
				     enum walk_role role)
{
	struct ctx *c = cw_ctx(w);
	struct expr *e = *slot;

	(void)role;
	switch (e->kind) {
	case E_SYM:
	case E_INDEX:
	case E_IN:
		if (e->kind == E_SYM || e->kind == E_INDEX ||
		    (e->name && e->kind == E_IN)) {
			if (!res_find_global(c, e->name, &e->loc)) {
				diag_error(c->d, &e->loc,
					   "probe condition must not reference undeclared global");
				return WALK_STOP;
			}
		}
		break;
	case E_CALL:
	case E_PRINT:
		diag_error(c->d, &e->loc,
			   "probe condition must not reference function");
		return WALK_STOP;
	case E_ASSIGN:
	case E_PREINC:
	case E_POSTINC:
		diag_error(c->d, &c->cond_top->loc,
			   "probe condition must not modify any variables");
		return WALK_STOP;
	case E_CONTEXT:
		diag_error(c->d, &e->loc,
			   "probe condition must not reference context variables");
		return WALK_STOP;
	default:
		break;
	}
	return WALK_CONTINUE;
}

bool res_check_cond(struct ctx *c, struct expr *e)
{
	c->cond_top = e;
	return cw_walk_expr(c, (struct walker){ .expr_pre = cond_check_pre },
			    e);
}

/* ------------------------------------------------------------------ */
/* pass-2 warnings (-W makes them errors, -w silences them)           */

static enum walk_next find_next(struct walker *w, struct stmt **slot)
{
	if ((*slot)->kind == S_NEXT)
		return WALK_STOP;
	(void)w;
	return WALK_CONTINUE;
}

static bool has_next(struct function *f)
{
	struct walker w = { .stmt_pre = find_next };

	return !walk_stmt(&w, &f->body);
}

/*
 * What SystemTap warns about once the script is elaborated: a global of
 * the script that nothing uses (it is elided), and a function overload
 * that can never run because the definition before it never says `next`.
 */
void res_warn_unused(struct ctx *c)
{
	struct symbol *g;
	int i, k;

	for (g = c->user->globals; g; g = g->next) {
		for (i = 0; i < c->nglobals && c->globals[i] != g; i++)
			;
		if (i == c->nglobals && g->loc.src && !g->loc.src->is_tapset)
			diag_warning(c->d, &g->loc,
				     "Eliding unused variable '%s'", g->name);
	}
	for (k = 0; k < c->nfns; k++) {
		struct function *f = c->fns[k], *h;

		if (!f->next_overload || has_next(f))
			continue;
		/* warn once per chain: only if F is the first that stops */
		for (i = 0; i < c->nfns; i++) {
			h = c->fns[i];
			if (h->next_overload == f && !has_next(h))
				break;
		}
		if (i < c->nfns)
			continue;
		diag_warning(c->d, &f->next_overload->loc,
			     "this definition of '%s' is never reached: the one before it never runs 'next'",
			     f->name);
		diag_note(c->d, &f->loc, "the definition that runs instead");
	}
}
