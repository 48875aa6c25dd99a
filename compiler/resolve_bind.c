/*
 * resolve_bind.c - symbols: every name of a handler or function bound to
 * a local, a parameter, a global or a function (user, tapset or
 * built-in), with the arity, context-variable and loop checks that
 * come with it.
 */
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "builtins.h"
#include "resolve_int.h"

/* ------------------------------------------------------------------ */
/* symbols                                                            */

/* Does a definition DNAME at DLOC (private: PRIVAT) answer to NAME used
 * at USE?  A private one only in its own file. */
static bool visible(const char *dname, bool privat, const struct loc *dloc,
		    const char *name, const struct loc *use)
{
	return !strcmp(dname, name) &&
	       !(privat && use && use->src && dloc->src != use->src);
}

struct symbol *res_find_global(struct ctx *c, const char *name,
			       const struct loc *use)
{
	struct script *scripts[2] = { c->user, c->lib };
	struct symbol *s;
	int i;

	for (i = 0; i < 2; i++)
		for (s = scripts[i]->globals; s; s = s->next)
			if (visible(s->name, s->privat, &s->loc, name, use))
				return s;
	return NULL;
}

static void use_global(struct ctx *c, struct symbol *s)
{
	c->nglobals = ast_push_once(c->a, (void ***)&c->globals, c->nglobals,
				    s);
}

static struct symbol *find_local(struct ctx *c, const char *name)
{
	struct symbol *s;

	for (s = *c->locals; s; s = s->next)
		if (strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

struct symbol *res_add_local(struct ctx *c, const char *name,
			     const struct loc *loc)
{
	struct symbol *s = ast_alloc(c->a, sizeof(*s)), **p;

	s->name = name;
	s->loc = *loc;
	s->kind = SYM_LOCAL;
	for (p = c->locals; *p; p = &(*p)->next)
		;
	*p = s;
	(*c->nlocals)++;
	return s;
}

/* A scalar name: local, parameter or global.  CREATE: an assignment. */
static struct symbol *bind_scalar(struct ctx *c, struct expr *e, bool create)
{
	struct symbol *s = find_local(c, e->name);

	if (!s) {
		s = res_find_global(c, e->name, &e->loc);
		if (s)
			use_global(c, s);
	}
	if (!s)
		s = res_add_local(c, e->name, &e->loc);
	(void)create;
	e->sym = s;
	return s;
}

static struct function *find_function(struct ctx *c, const char *name,
				      int nargs, bool *name_exists,
				      const struct loc *use)
{
	struct script *scripts[2] = { c->user, c->lib };
	struct function *f;
	int i;

	for (i = 0; i < 2; i++)
		for (f = scripts[i]->functions; f; f = f->next) {
			if (!visible(f->name, f->privat, &f->loc, name, use))
				continue;
			*name_exists = true;
			if (f->nparams == nargs)
				return f;
		}
	return NULL;
}

static void use_function(struct ctx *c, struct function *f)
{
	if (f->used)
		return;
	f->used = true;
	c->nfns = ast_push(c->a, (void ***)&c->fns, c->nfns, f);
}

/* Functions of F's name and arity defined after F, in order: a `next` in
 * one of them moves on to the following one (SystemTap's overloading by
 * next).  All of them are used. */
static void link_overloads(struct ctx *c, struct function *f,
			   const struct loc *use)
{
	struct script *scripts[2] = { c->user, c->lib };
	struct function *g, *last = f;
	bool after = false;
	int i;

	for (i = 0; i < 2; i++)
		for (g = scripts[i]->functions; g; g = g->next) {
			if (g == f) {
				after = true;
				continue;
			}
			if (!after || g->nparams != f->nparams ||
			    !visible(g->name, g->privat, &g->loc, f->name, use))
				continue;
			last->next_overload = g;
			last = g;
			use_function(c, g);
		}
}

/*
 * The variable nearest to NAME, for "did you mean": the scalars of LOCALS
 * (a scope's locals and parameters) that are given a value, and the
 * globals visible at USE: scalars when NKEYS is 0, else arrays (or globals
 * whose arity is not known yet).  NULL when none is near enough.
 */
const char *res_suggest_var(struct ctx *c, const char *name,
			    const struct symbol *locals, int nkeys,
			    const struct loc *use)
{
	struct script *scripts[2] = { c->user, c->lib };
	struct diag_suggest sg;
	const struct symbol *s;
	int i;

	diag_suggest_init(&sg, name);
	if (nkeys == 0)
		for (s = locals; s; s = s->next)
			if (s->kind == SYM_PARAM || s->written)
				diag_suggest_try(&sg, s->name);
	for (i = 0; i < 2; i++)
		for (s = scripts[i]->globals; s; s = s->next) {
			if (s->privat && s->loc.src != use->src)
				continue;
			if (s->name[0] == '_' && name[0] != '_')
				continue;	/* a tapset's internals */
			if (nkeys == 0 ? s->nkeys > 0
				       : s->nkeys > 0 && s->nkeys != nkeys)
				continue;
			if (nkeys > 0 && s->nkeys == 0 &&
			    (s->init || s->read || s->written))
				continue;	/* a scalar in use */
			diag_suggest_try(&sg, s->name);
		}
	return sg.best;
}

static void bind_array(struct ctx *c, struct expr *e, int nkeys)
{
	struct symbol *s = res_find_global(c, e->name, &e->loc);

	if (!s) {
		const char *sug = res_suggest_var(c, e->name, NULL, nkeys,
						  &e->loc);

		if (find_local(c, e->name) && sug)
			diag_error(c->d, &e->loc,
				   "'%s' is a local variable, not an array (did you mean '%s'?)",
				   e->name, sug);
		else if (find_local(c, e->name))
			diag_error(c->d, &e->loc,
				   "'%s' is a local variable, not an array: arrays must be declared global",
				   e->name);
		else if (sug)
			diag_error(c->d, &e->loc,
				   "unresolved arity-%d global array %s (did you mean '%s'?)",
				   nkeys, e->name, sug);
		else
			diag_error(c->d, &e->loc,
				   "unresolved arity-%d global array %s, missing global declaration?",
				   nkeys, e->name);
		return;
	}
	use_global(c, s);
	if (s->nkeys == 0 && s->init == NULL && nkeys > 0 && !s->read &&
	    !s->written)
		s->nkeys = nkeys;
	if (s->nkeys != nkeys)	/* SystemTap's words */
		diag_error(c->d, &e->loc, "inconsistent arity (%d vs %d)",
			   s->nkeys, nkeys);
	e->sym = s;
}

/* PT is the python provider's mark NAME (python.function.*). */
static bool python_fn_mark(const struct rpoint *pt, const char *name)
{
	return pt->kind == BP_SDT && pt->name && !strcmp(pt->name, name) &&
	       (!pt->provider || !strcmp(pt->provider, "python"));
}

static void check_context(struct ctx *c, struct expr *e)
{
	const char *n = e->name;
	struct rpoint *pt = c->curpt;

	if (!strncmp(n, "arg", 3) && n[3] && strspn(n + 3, "0123456789") ==
	    strlen(n + 3)) {
		int k = atoi(n + 3);

		e->type = T_LONG;
		if (c->curfn || !pt || pt->kind != BP_SDT) {
			diag_error(c->d, &e->loc,
				   "$%s is only available in process().mark() probe handlers",
				   n);
			return;
		}
		if (k < 1 || (pt->nargs >= 0 && k > pt->nargs)) {
			if (c->o->listing)
				e->type = T_UNKNOWN;	/* -L: frameptr:unknown */
			if (pt->nargs == 0)
				diag_error(c->d, &e->loc,
					   "$%s: mark '%s' has no arguments",
					   n, pt->name);
			else
				diag_error(c->d, &e->loc,
					   "$%s: mark '%s' has only %d argument%s ($arg1..$arg%d)",
					   n, pt->name, pt->nargs,
					   pt->nargs == 1 ? "" : "s", pt->nargs);
		}
		return;
	}
	if (!strcmp(n, "$return") || !strcmp(n, "$unwound")) {
		bool ret = n[1] == 'r';

		e->type = ret ? T_STRING : T_LONG;
		if (c->curfn || !pt || !python_fn_mark(pt, "function__return")) {
			diag_error(c->d, &e->loc,
				   "$%s is only available in python.function.return probe handlers",
				   n);
			return;
		}
		if (c->o->no_agent) {
			diag_error(c->d, &e->loc,
				   ret ? "$$return needs the in-process agent (a breakpoint on the marker sees no return value)"
				       : "'unwound' needs the in-process agent (a breakpoint on the marker cannot tell a return from an exception)");
			if (!ret)
				diag_note(c->d, &pt->loc, "read by this probe");
			diag_note(c->d, NULL,
				  "run without --no-agent (or with --agent) to read return values");
			return;
		}
		if (ret)
			pt->values = true;
		else
			pt->want_agent = true;
		return;
	}
	if (!strcmp(n, "$parms") && pt && !c->curfn &&
	    python_fn_mark(pt, "function__entry")) {
		e->type = T_STRING;
		/* breakpoints read the frame (--no-agent), the agent sends
		   them */
		if (!c->o->no_agent)
			pt->values = true;
		return;
	}
	if (!strcmp(n, "$name") || !strcmp(n, "$provider") ||
	    !strcmp(n, "$vars") || !strcmp(n, "$parms") ||
	    !strcmp(n, "$locals")) {
		e->type = T_STRING;
		if (c->curfn || !pt || pt->kind != BP_SDT)
			diag_error(c->d, &e->loc,
				   "$%s is only available in process().mark() probe handlers",
				   n);
		return;
	}
	diag_error(c->d, &e->loc,
		   "$%s: target variables need DWARF debug information, which pytap does not support (SDT probes give $arg1..$argN, $$name, $$provider, $$vars, $$parms)",
		   n);
}

/* SystemTap warns about a local that is read but never given a value: it
 * is usually a missing `global` declaration. */
void res_warn_never_assigned(struct ctx *c, struct symbol *locals)
{
	struct symbol *s;

	for (s = locals; s; s = s->next) {
		const char *sug;

		if (s->kind != SYM_LOCAL || s->written)
			continue;
		sug = res_suggest_var(c, s->name, locals, 0, &s->loc);
		if (sug)
			diag_warning(c->d, &s->loc,
				     "never-assigned local variable '%s' (did you mean '%s'?)",
				     s->name, sug);
		else
			diag_warning(c->d, &s->loc,
				     "never-assigned local variable '%s' (a missing 'global %s'?)",
				     s->name, s->name);
	}
}

static bool is_special_call(const char *n)
{
	return !strcmp(n, "exit") || !strcmp(n, "error");
}

static void bind_call(struct ctx *c, struct expr *e)
{
	bool exists = false;
	struct function *f;
	const struct builtin *bi;

	f = find_function(c, e->name, e->nargs, &exists, &e->loc);
	if (f) {
		e->fn = f;
		use_function(c, f);
		link_overloads(c, f, &e->loc);
		return;
	}
	if (is_special_call(e->name)) {
		int want = strcmp(e->name, "exit") ? 1 : 0;

		if (e->nargs != want)
			diag_error(c->d, &e->loc,
				   "function '%s' takes %d argument%s, %d given",
				   e->name, want, want == 1 ? "" : "s", e->nargs);
		return;
	}
	bi = builtin_find(e->name, e->nargs);
	if (bi) {
		e->bi = bi;
		return;
	}
	if (exists || builtin_exists(e->name)) {
		diag_error(c->d, &e->loc,
			   "no overload of function '%s' takes %d argument%s",
			   e->name, e->nargs, e->nargs == 1 ? "" : "s");
		return;
	}
	if (builtin_is_kernel_only(e->name)) {
		diag_error(c->d, &e->loc,
			   "'%s' is a kernel or symbol-table function pytap does not support",
			   e->name);
		return;
	}
	{
		const char *sug = builtin_suggest(e->name);
		struct script *scripts[2] = { c->user, c->lib };
		int k, bestd = sug ? diag_distance(e->name, sug) : 3;

		for (k = 0; k < 2; k++) {
			struct function *g;

			for (g = scripts[k]->functions; g; g = g->next) {
				int dd = diag_distance(e->name, g->name);

				if (g->privat && g->loc.src != e->loc.src)
					continue;	/* not visible here */
				if (dd < bestd) {
					bestd = dd;
					sug = g->name;
				}
			}
		}
		if (sug)
			diag_error(c->d, &e->loc,
				   "unknown function '%s' (did you mean '%s'?)",
				   e->name, sug);
		else
			diag_error(c->d, &e->loc, "unknown function '%s'",
				   e->name);
	}
}

/* A name as an expression: a scalar read or stored, a foreach or catch
 * variable (ROLE WALK_BIND), or the array a foreach iterates. */
static void bind_sym(struct walker *w, struct expr *e, enum walk_role role)
{
	struct ctx *c = cw_ctx(w);

	if (role == WALK_ITERATE) {
		bind_array(c, e, w->stmt->fe->nkeys);
		if (e->sym)
			e->sym->read = true;
		return;
	}
	bind_scalar(c, e, role != WALK_READ);
	if (role == WALK_BIND) {
		e->sym->written = true;
		return;
	}
	if (e->sym->kind == SYM_GLOBAL && e->sym->nkeys == 0 &&
	    e->sym->maxsize > 0) {
		/* global a[10] is an array, whatever its arity */
		diag_error(c->d, &e->sym->loc, "inconsistent arity");
	} else if (e->sym->kind == SYM_GLOBAL && e->sym->nkeys > 0) {
		/* a bare array name is only valid in special places */
		diag_error(c->d, &e->loc,
			   "inconsistent arity (%d vs 0)", e->sym->nkeys);
	}
	if (role != WALK_READ)
		e->sym->written = true;
	else
		e->sym->read = true;
}

static enum walk_next bind_expr_pre(struct walker *w, struct expr **slot,
				    enum walk_role role)
{
	struct ctx *c = cw_ctx(w);
	struct expr *e = *slot;

	switch (e->kind) {
	case E_SYM:
		bind_sym(w, e, role);
		return WALK_SKIP;
	case E_CONTEXT:
		check_context(c, e);
		return WALK_SKIP;
	case E_DEFINED:
		return WALK_SKIP;
	case E_REGEX: {
		/* the pattern is compiled as the VM will (POSIX ERE) */
		regex_t re;
		int rc = regcomp(&re, e->str, REG_EXTENDED);

		if (rc != 0) {
			char msg[128];

			regerror(rc, &re, msg, sizeof(msg));
			diag_error(c->d, &e->loc, "regex compilation error: %s",
				   msg);
		} else {
			regfree(&re);
		}
		return WALK_CONTINUE;
	}
	case E_ASSIGN:
		/* the value first: its locals come first */
		walk_expr(w, &e->b, WALK_READ);
		if (e->a->kind == E_SYM || e->a->kind == E_INDEX) {
			walk_expr(w, &e->a, walk_target_role(e));
			if (e != c->stmt_top && e->a->sym &&
			    strcmp(e->op, "=") && strcmp(e->op, "<<<"))
				e->a->sym->read = true;
		} else {
			diag_error(c->d, &e->a->loc,
				   "the left side of '%s' must be a variable or an array element",
				   e->op);
		}
		return WALK_SKIP;
	default:
		return WALK_CONTINUE;
	}
}

static void bind_expr_post(struct walker *w, struct expr **slot,
			   enum walk_role role)
{
	struct ctx *c = cw_ctx(w);
	struct expr *e = *slot;

	switch (e->kind) {
	case E_INDEX:
		/* a[*, k] names a slice: only delete takes one as an
		   element ([*, k] in a and foreach slices are not E_INDEX);
		   elsewhere it compiled into bytecode the verifier rejects
		   (found by tests/fuzz/fuzz_compile) */
		if (!(w->stmt && w->stmt->kind == S_DELETE && w->stmt->e == e))
			for (int i = 0; i < e->nargs; i++)
				if (e->args[i]->kind == E_STAR) {
					diag_error(c->d, &e->args[i]->loc,
						   "'*' can index an array only in 'delete', 'in' and 'foreach'");
					break;
				}
		bind_array(c, e, e->nargs);
		if (e->sym) {
			if (role != WALK_READ)
				e->sym->written = true;
			else
				e->sym->read = true;
		}
		break;
	case E_IN:
		bind_array(c, e, e->nargs);
		if (e->sym)
			e->sym->read = true;
		break;
	case E_CALL:
		bind_call(c, e);
		break;
	case E_PREINC:
	case E_POSTINC:
		/* 10++ or f()++: nothing to store into (found by
		   tests/fuzz/fuzz_compile: it compiled into bytecode the
		   verifier rejects) */
		if (e->a->kind != E_SYM && e->a->kind != E_INDEX) {
			diag_error(c->d, &e->a->loc,
				   "the operand of '%s' must be a variable or an array element",
				   e->op);
			break;
		}
		/* x++ whose value is used reads x (no autoprint) */
		if (e != c->stmt_top && e->a->sym)
			e->a->sym->read = true;
		break;
	default:
		break;
	}
}

static enum walk_next bind_stmt_pre(struct walker *w, struct stmt **slot)
{
	struct ctx *c = cw_ctx(w);
	struct stmt *s = *slot;

	switch (s->kind) {
	case S_BREAK:
	case S_CONTINUE:
		if (c->loop_depth == 0)
			diag_error(c->d, &s->loc, "cannot '%s' outside loop",
				   s->kind == S_BREAK ? "break" : "continue");
		break;
	case S_EXPR:
		c->stmt_top = s->e;
		break;
	case S_WHILE:
	case S_FOR:
	case S_FOREACH:
		c->loop_depth++;
		break;
	case S_RETURN:
		if (!c->curfn)
			diag_error(c->d, &s->loc,
				   "found 'return' not in function context");
		else if (s->e)
			c->curfn->has_value_return = true;
		break;
	case S_DELETE:
		if (s->e->kind == E_SYM) {
			struct symbol *g = res_find_global(c, s->e->name,
							   &s->e->loc);

			if (g && g->nkeys > 0) {
				use_global(c, g);
				s->e->sym = g;
				g->written = true;
			} else {
				bind_scalar(c, s->e, true);
				s->e->sym->written = true;
			}
			return WALK_SKIP;
		}
		if (s->e->kind != E_INDEX) {
			diag_error(c->d, &s->e->loc,
				   "delete needs a variable, an array or an array element");
			return WALK_SKIP;
		}
		break;
	default:
		break;
	}
	return WALK_CONTINUE;
}

static void bind_stmt_post(struct walker *w, struct stmt **slot)
{
	struct ctx *c = cw_ctx(w);

	switch ((*slot)->kind) {
	case S_EXPR:
		c->stmt_top = NULL;
		break;
	case S_WHILE:
	case S_FOR:
	case S_FOREACH:
		c->loop_depth--;
		break;
	default:
		break;
	}
}

/* Bind every name in S to a local, a parameter, a global or a function. */
void res_bind(struct ctx *c, struct stmt *s)
{
	cw_walk_stmt(c, (struct walker){ bind_expr_pre, bind_expr_post,
					 bind_stmt_pre, bind_stmt_post, NULL,
					 false }, s);
}
