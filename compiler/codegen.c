/*
 * codegen.c - pass 3, typed AST to bytecode (runtime/opcodes.h): this
 * file does statements, functions and handlers and builds the program;
 * expressions are in codegen_expr.c, the instruction and constant layer
 * in codegen_emit.c (codegen_int.h).
 *
 * Every expression leaves exactly one slot on the stack, except the ones
 * with no value (printf, void built-ins, exit, error, <<<); gen_expr says
 * which.  Types were settled by resolve.c, so each operation is emitted in
 * its long or string form and the VM never checks a type.  Constant
 * arithmetic is folded.  Each statement is counted against MAXACTION by an
 * ACT instruction; runs of them in straight-line code are merged.
 *
 * Layout of the program: user functions first, then one function per
 * handler (index = nfunctions_user + handler number).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "codegen_int.h"
#include "walk.h"

/* ------------------------------------------------------------------ */
/* statements                                                         */

static void gen_stmt(struct cg *g, struct stmt *s);

static int sort_spec(struct cg *g, const struct foreach *fe)
{
	struct bc_program *p = g->p;
	struct bc_sort so;

	memset(&so, 0, sizeof(so));
	if (fe->sort_col > 0) {
		so.by = BS_KEY;
		so.key = fe->sort_col - 1;
	} else if (fe->sort_col < 0) {
		so.by = BS_VALUE;
	}
	so.dir = fe->sort_dir ? fe->sort_dir : 1;
	so.agg = fe->sort_agg ? cg_stat_op_code(fe->sort_agg) : 0;
	GROW(p->sorts, p->nsorts, g->cap_sort);
	p->sorts[p->nsorts] = so;
	return (int)p->nsorts++;
}

static void gen_loop_body(struct cg *g, struct stmt *body, struct loop *l)
{
	l->outer = g->loop;
	g->loop = l;
	gen_stmt(g, body);
	g->loop = l->outer;
}

/* Push a foreach's limit, clamped at 0: SystemTap stops once `limit`
 * elements were visited, so a limit <= 0 visits none (the VM takes -1 to
 * mean "no limit"). */
static void gen_limit(struct cg *g, struct expr *limit)
{
	uint32_t j;

	if (!limit) {
		cg_push_long(g, -1);
		return;
	}
	if (limit->kind == E_NUM) {
		cg_push_long(g, limit->num < 0 ? 0 : limit->num);
		return;
	}
	gen_value(g, limit);
	cg_emit(g, OP_DUP, 0, 0, 0);
	cg_push_long(g, 0);
	cg_emit(g, OP_LT, 0, 0, 0);
	j = cg_emit(g, OP_JZ, 0, 0, 0);
	cg_emit(g, OP_POP, 0, 0, 0);
	cg_push_long(g, 0);
	cg_patch(g, j, cg_pc(g));
}

/*
 * foreach: FEBEGIN snapshots the array (sorted as its sort spec says);
 * a slice a[*, k] pushes its fixed values (first column first) and sets
 * the spec's .fixed mask, so that the VM filters after counting the
 * limit, as SystemTap does; a histogram @hist_*(x[k]) pushes the keys of
 * its element and walks the buckets.
 */
static void gen_foreach(struct cg *g, struct stmt *s)
{
	struct foreach *fe = s->fe;
	struct expr *stat = fe->array->kind == E_HIST ? fe->array->a : NULL;
	struct symbol *arr = stat ? stat->sym : fe->array->sym;
	struct loop l = { { 0 }, { 0 }, NULL };
	uint32_t top, jdone, jend;
	int iter, i, so;

	if (!arr)
		return;
	iter = g->niters++;
	if (g->niters > g->maxiters)
		g->maxiters = g->niters;
	so = sort_spec(g, fe);
	if (stat) {
		g->p->sorts[so].hist = true;
		if (stat->kind == E_INDEX)
			gen_keys(g, stat->args, stat->nargs);
	} else if (fe->slice) {
		for (i = 0; i < fe->nkeys; i++)
			if (fe->slice[i]->kind != E_STAR) {
				g->p->sorts[so].fixed |= 1u << i;
				gen_value(g, fe->slice[i]);
			}
	}
	gen_limit(g, fe->limit);
	g->cur = &fe->array->loc;
	cg_emit(g, OP_FEBEGIN, iter, so, cg_gidx(arr));
	top = cg_pc(g);
	cg_label(g);
	g->cur = &s->loc;
	cg_emit_act(g);	/* every iteration counts */
	jdone = cg_emit(g, OP_FENEXT, 0, iter, 0);
	for (i = fe->nkeys - 1; i >= 0; i--)
		cg_emit(g, OP_STORE, 0, fe->keys[i]->sym->slot, 0);
	if (fe->value) {
		cg_emit(g, OP_FEVALUE, iter, 0, 0);
		cg_emit(g, OP_STORE, 0, fe->value->sym->slot, 0);
	}
	gen_loop_body(g, s->then, &l);
	cg_jl_patch(g, &l.cont, top);
	jend = cg_emit(g, OP_JMP, 0, 0, 0);
	cg_patch(g, jend, top);
	cg_patch(g, jdone, cg_pc(g));
	cg_jl_patch(g, &l.brk, cg_pc(g));
	cg_emit(g, OP_FEEND, iter, 0, 0);
	g->niters--;
}

static void gen_delete(struct cg *g, struct expr *e)
{
	const struct symbol *s = e->sym;

	if (!s)
		return;
	if (e->kind == E_INDEX) {
		int32_t mask = gen_keys(g, e->args, e->nargs);

		cg_emit(g, OP_ADEL, e->nargs, cg_gidx(s), mask);
	} else if (s->kind == SYM_GLOBAL) {
		cg_emit(g, s->nkeys ? OP_ACLEAR : OP_GCLEAR, 0, cg_gidx(s), 0);
	} else {
		if (s->type == T_STRING)
			cg_push_str(g, "", 0);
		else
			cg_push_long(g, 0);
		cg_emit(g, OP_STORE, 0, s->slot, 0);
	}
}

/* while (e) then; for (init; e; step) then.  `continue` goes back to the
 * condition in a while, to the step (after a label) in a for. */
static void gen_loop(struct cg *g, struct stmt *s)
{
	struct loop l = { { 0 }, { 0 }, NULL };
	struct jumplist jf = { NULL, 0 };
	uint32_t top, cont, j;

	if (s->init)
		gen_stmt(g, s->init);
	top = cg_pc(g);
	cg_label(g);
	g->cur = &s->loc;
	cg_emit_act(g);	/* every iteration counts */
	if (s->e)
		gen_branch(g, s->e, false, &jf);
	gen_loop_body(g, s->then, &l);
	cont = top;
	if (s->kind == S_FOR) {
		cont = cg_pc(g);
		cg_label(g);
		if (s->step)
			gen_stmt(g, s->step);
	}
	j = cg_emit(g, OP_JMP, 0, 0, 0);
	cg_patch(g, j, top);
	cg_jl_patch(g, &l.cont, cont);
	cg_jl_patch(g, &jf, cg_pc(g));
	cg_jl_patch(g, &l.brk, cg_pc(g));
}

static void gen_stmt(struct cg *g, struct stmt *s)
{
	uint32_t j1, j2;
	int i;

	if (!s)
		return;
	g->cur = &s->loc;
	if (s->kind != S_BLOCK && s->kind != S_NULL)
		cg_emit_act(g);
	switch (s->kind) {
	case S_NULL:
		break;
	case S_EXPR:
		gen_discard(g, s->e);
		break;
	case S_BLOCK:
		for (i = 0; i < s->nbody; i++)
			gen_stmt(g, s->body[i]);
		break;
	case S_IF: {
		struct jumplist jf = { NULL, 0 };
		int64_t cv;

		if (cg_const_long(s->e, &cv)) {	/* only one branch is live */
			gen_stmt(g, cv ? s->then : s->els);
			break;
		}
		gen_branch(g, s->e, false, &jf);
		gen_stmt(g, s->then);
		if (s->els) {
			j2 = cg_emit(g, OP_JMP, 0, 0, 0);
			cg_jl_patch(g, &jf, cg_pc(g));
			gen_stmt(g, s->els);
			cg_patch(g, j2, cg_pc(g));
		} else {
			cg_jl_patch(g, &jf, cg_pc(g));
		}
		break;
	}
	case S_WHILE:
	case S_FOR:
		gen_loop(g, s);
		break;
	case S_FOREACH:
		gen_foreach(g, s);
		break;
	case S_BREAK:
	case S_CONTINUE:
		if (!g->loop) {
			diag_error(g->d, &s->loc, "cannot '%s' outside loop",
				   s->kind == S_BREAK ? "break" : "continue");
			break;
		}
		j1 = cg_emit(g, OP_JMP, 0, 0, 0);
		cg_jl_add(s->kind == S_BREAK ? &g->loop->brk : &g->loop->cont,
			  j1);
		break;
	case S_NEXT:
		cg_emit(g, OP_NEXT, 0, 0, 0);
		break;
	case S_RETURN:
		if (s->e)
			gen_value(g, s->e);
		else
			cg_push_long(g, 0);
		cg_emit(g, OP_RET, 0, 0, 0);
		break;
	case S_DELETE:
		gen_delete(g, s->e);
		break;
	case S_TRY:
		j1 = cg_emit(g, OP_TRY, 0, 0, 0);
		gen_stmt(g, s->then);
		cg_emit(g, OP_ENDTRY, 0, 0, 0);
		j2 = cg_emit(g, OP_JMP, 0, 0, 0);
		cg_patch(g, j1, cg_pc(g));
		if (s->catchvar && s->catchvar->sym) {
			cg_emit(g, OP_CATCHMSG, 0, 0, 0);
			cg_emit(g, OP_STORE, 0, s->catchvar->sym->slot, 0);
		}
		gen_stmt(g, s->els);
		cg_patch(g, j2, cg_pc(g));
		break;
	}
}

/* ------------------------------------------------------------------ */

static void assign_slots(struct symbol *locals, int *n)
{
	struct symbol *s;

	*n = 0;
	for (s = locals; s; s = s->next)
		s->slot = (*n)++;
}

/* String locals start as "" (long slots are zeroed by the VM). */
static void init_string_locals(struct cg *g, struct symbol *locals)
{
	struct symbol *s;

	for (s = locals; s; s = s->next)
		if (s->type == T_STRING && s->kind == SYM_LOCAL) {
			cg_push_str(g, "", 0);
			cg_emit(g, OP_STORE, 0, s->slot, 0);
		}
}

static enum bc_type bt(enum type t)
{
	return t == T_LONG ? BT_LONG : t == T_STRING ? BT_STRING :
	       t == T_STATS ? BT_STATS : BT_NONE;
}

static void gen_function(struct cg *g, struct bc_function *bf,
			 struct symbol *locals, struct stmt *body,
			 const struct loc *endloc, bool is_handler,
			 enum type ret)
{
	int n;

	assign_slots(locals, &n);
	g->nslots = n;
	g->maxslots = n;
	g->niters = 0;
	g->maxiters = 0;
	g->loop = NULL;
	g->act_mergeable = false;
	bf->entry = cg_pc(g);
	g->cur = endloc;
	init_string_locals(g, locals);
	gen_stmt(g, body);
	g->cur = endloc;
	if (is_handler) {
		cg_emit(g, OP_HALT, 0, 0, 0);
	} else {
		if (ret == T_STRING)
			cg_push_str(g, "", 0);
		else
			cg_push_long(g, 0);
		cg_emit(g, OP_RET, 0, 0, 0);
	}
	bf->size = cg_pc(g) - bf->entry;
	bf->nlocals = g->maxslots;
	bf->niters = g->maxiters;
}

/*
 * SystemTap's default MAXNESTING, derived from the call graph: the longest
 * chain of function frames a probe can build, where a call that closes a
 * cycle counts as one frame more, plus 10 when any function is recursive
 * (stap 4.8 -p3: probe->f gives 1, probe->f->g 2, probe->f->f 13,
 * probe->a->b->a 14).
 */
/* How deep function calls nest: the default MAXNESTING. */
struct nest {
	struct walker w;
	struct function **stack;	/* the calls being followed */
	int n, cap;
	bool recursive;
	int depth;			/* deepest call met so far */
};

static int nest_body(struct nest *ns, struct stmt *body);

static int nest_call(struct nest *ns, struct function *f)
{
	int i, d;

	for (i = 0; i < ns->n; i++)
		if (ns->stack[i] == f) {
			ns->recursive = true;
			return 2;
		}
	if (ns->n >= 256)		/* deep enough for any real script */
		return 1;
	if (ns->n == ns->cap) {
		ns->cap = ns->cap ? ns->cap * 2 : 16;
		ns->stack = realloc(ns->stack, (size_t)ns->cap *
				    sizeof(*ns->stack));
		if (!ns->stack)
			abort();
	}
	ns->stack[ns->n++] = f;
	d = 1 + nest_body(ns, f->body);
	ns->n--;
	return d;
}

static enum walk_next nest_expr(struct walker *w, struct expr **slot,
				enum walk_role role)
{
	struct nest *ns = (struct nest *)w;
	const struct expr *e = *slot;
	int d;

	(void)role;
	if (e->kind == E_CALL && e->fn)
		d = nest_call(ns, e->fn);
	else if (e->kind == E_CALL && e->bi)
		d = 1;		/* a tapset function in SystemTap */
	else
		return WALK_CONTINUE;
	if (d > ns->depth)
		ns->depth = d;
	return WALK_CONTINUE;
}

/* The deepest call nesting in BODY (0: no calls). */
static int nest_body(struct nest *ns, struct stmt *body)
{
	int outer = ns->depth, d;

	ns->depth = 0;
	walk_stmt(&ns->w, &body);
	d = ns->depth;
	ns->depth = outer;
	return d;
}

static int64_t default_maxnesting(const struct resolved *r)
{
	struct nest ns = { .w = { .expr_pre = nest_expr } };
	const struct rhandler *h;
	int d = 1, x;

	for (h = r->handlers; h; h = h->next) {
		x = nest_body(&ns, h->body);
		d = x > d ? x : d;
	}
	free(ns.stack);
	return d + (ns.recursive ? 10 : 0);
}

int codegen(const struct resolved *r, const struct codegen_limits *lim,
	    struct bc_program *p, struct diag *d)
{
	struct cg g;
	int errors0 = d->nerrors, i, k;
	const struct rhandler *h;
	int nh = 0;

	memset(&g, 0, sizeof(g));
	g.p = p;
	g.d = d;
	g.r = r;
	p->maxaction = lim->maxaction ? lim->maxaction : 1000;
	p->maxaction_interruptible = lim->maxaction_interruptible ?
		lim->maxaction_interruptible : p->maxaction * 10;
	p->maxmapentries = lim->maxmapentries ? lim->maxmapentries : 2048;
	p->maxstringlen = lim->maxstringlen ? lim->maxstringlen : 512;
	p->maxnesting = lim->maxnesting ? lim->maxnesting
					 : default_maxnesting(r);
	p->maxerrors = lim->maxerrors;
	p->maxskipped = lim->maxskipped ? lim->maxskipped : 100;
	p->hist_elision = lim->hist_elision ? lim->hist_elision : 2;
	p->python311_line_sema = r->python311_line_sema;
	p->python311_path = r->python311_path ? strdup(r->python311_path)
					      : NULL;

	/* globals */
	p->nglobals = (size_t)r->nglobals;
	p->globals = calloc(p->nglobals ? p->nglobals : 1, sizeof(*p->globals));
	for (i = 0; i < r->nglobals; i++) {
		struct symbol *s = r->globals[i];
		struct bc_global *bg = &p->globals[i];

		s->slot = i;
		bg->name = strdup(s->name);
		bg->type = bt(s->type);
		bg->nkeys = s->nkeys;
		for (k = 0; k < s->nkeys && k < 9; k++)
			bg->keytypes[k] = bt(s->keytypes[k]);
		bg->maxsize = s->maxsize;
		bg->wrap = s->wrap;
		if (s->init) {
			bg->has_init = true;
			if (s->init->kind == E_STR)
				bg->init_str = strndup(s->init->str, s->init->len);
			else
				bg->init_long = s->init->num;
		}
		/* only the user's globals, as SystemTap */
		bg->autoprint = s->written && !s->read &&
				!(s->loc.src && s->loc.src->is_tapset);
		bg->hist = s->hist == 1 ? BH_LOG : s->hist == 2 ? BH_LINEAR
							       : BH_NONE;
		bg->hist_lo = s->hist_lo;
		bg->hist_hi = s->hist_hi;
		bg->hist_step = s->hist_step;
		bg->var_shift = s->var_shift;
		bg->loc = cg_add_loc(&g, &s->loc);
	}

	/* functions: user functions first, then one per handler */
	for (h = r->handlers; h; h = h->next)
		nh++;
	p->nfunctions = (size_t)(r->nfunctions + nh);
	p->functions = calloc(p->nfunctions ? p->nfunctions : 1,
			      sizeof(*p->functions));
	for (i = 0; i < r->nfunctions; i++)
		r->functions[i]->index = i;
	g.handler_base = r->nfunctions;
	for (i = 0; i < r->nfunctions; i++) {
		struct function *f = r->functions[i];
		struct bc_function *bf = &p->functions[i];

		bf->name = strdup(f->name);
		bf->nparams = f->nparams;
		for (k = 0; k < f->nparams && k < 32; k++)
			bf->params[k] = bt(f->params[k]->type);
		bf->ret = f->has_value_return ? bt(f->rettype) : BT_NONE;
		gen_function(&g, bf, f->locals, f->body, &f->loc, false,
			     f->rettype);
	}
	p->nprobes = (size_t)nh;
	p->probes = calloc(p->nprobes ? p->nprobes : 1, sizeof(*p->probes));
	for (h = r->handlers, i = 0; h; h = h->next, i++) {
		struct bc_function *bf = &p->functions[r->nfunctions + i];
		struct bc_probe *bp = &p->probes[i];

		bf->name = strdup(h->pt.pp);
		gen_function(&g, bf, h->locals, h->body, &h->body->loc, true,
			     T_UNKNOWN);
		bp->kind = h->pt.kind;
		bp->priority = h->pt.priority;
		bp->period_ns = h->pt.period_ns;
		bp->randomize_ns = h->pt.randomize_ns;
		bp->sdt_path = h->pt.path ? strdup(h->pt.path) : NULL;
		bp->sdt_provider = h->pt.provider ? strdup(h->pt.provider) : NULL;
		bp->sdt_name = h->pt.name ? strdup(h->pt.name) : NULL;
		bp->sdt_pid = h->pt.pid;
		bp->sdt_nargs = h->pt.nargs;
		bp->optional = h->pt.optional;
		bp->agent_only = h->pt.agent_only;
		bp->values = h->pt.values;
		bp->want_agent = h->pt.want_agent;
		bp->pp = strdup(h->pt.pp);
		bp->pn = h->pt.pn ? strdup(h->pt.pn) : NULL;
		if (h->pt.loc.src) {
			char lb[512];

			snprintf(lb, sizeof(lb), "%s:%d:%d", h->pt.loc.src->name,
				 h->pt.loc.line, h->pt.loc.col);
			bp->loc = strdup(lb);
		}
		bp->handler = r->nfunctions + i;
		bp->cond_global = -1;
	}
	/* a deep stack (a pool worker, a web request) is a few KB: stacks
	   keyed by pystack() keep their innermost frames without -D */
	if (!lim->maxstringlen && g.uses_pystack)
		p->maxstringlen = CODEGEN_PYSTACK_MAXSTRINGLEN;
	return d->nerrors - errors0;
}
