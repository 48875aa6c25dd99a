/*
 * parser_build.c - the node builders of the grammar's actions (parser.y):
 * numbers, strings, calls and print forms, blocks, probe point lists and
 * their products, probes and aliases, globals, functions and foreach,
 * with the checks SystemTap's parser makes while building them; and the
 * error/warning reporting the lexer and the parser share.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parser_int.h"

/* ------------------------------------------------------------------ */
/* Diagnostics shared with the lexer                                  */

void pc_error(struct pcommon *pc, const struct loc *loc, const char *fmt, ...)
{
	if (pc->fatal)
		return;
	pc->nerrors++;
	va_list ap;
	va_start(ap, fmt);
	diag_verror(pc->d, "error", loc, fmt, ap);
	va_end(ap);
	if (pc->nerrors >= PARSE_MAX_ERRORS)
		pc->fatal = true;
}

void pc_refuse(struct pcommon *pc, const struct loc *loc, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (!pc->refusals) {
		pc_error(pc, loc, "%s", buf);
		return;
	}
	struct refusal *r = ast_alloc(pc->a, sizeof *r);
	r->loc = *loc;
	r->msg = ast_strndup(pc->a, buf, strlen(buf));
	while (*pc->refusals)
		pc->refusals = &(*pc->refusals)->next;
	*pc->refusals = r;
}

void pc_warning(struct pcommon *pc, const struct loc *loc, const char *fmt, ...)
{
	if (pc->fatal)
		return;
	va_list ap;
	va_start(ap, fmt);
	diag_verror(pc->d, "warning", loc, fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------------ */
/* Construction helpers                                               */

struct expr *mk_num(struct pparse *ps, const struct token *t,
		    bool neg, const struct loc *loc)
{
	struct expr *e = E(ps, E_NUM, loc);
	uint64_t v = (uint64_t)t->num;
	if (neg) {
		if (v > (uint64_t)1 << 63)
			pc_error(&ps->pc, loc, "number invalid or out of range");
		e->num = (int64_t)(0 - v);
	} else {
		e->num = t->num;
	}
	return e;
}

struct expr *mk_str(struct pparse *ps, const struct token *t)
{
	struct expr *e = E(ps, E_STR, &t->loc);
	e->str = ast_strndup(ps->pc.a, t->str, t->len);
	e->len = t->len;
	return e;
}

struct expr *mk_bin(struct pparse *ps, enum expr_kind k,
		    const struct token *op, struct expr *a,
		    struct expr *b)
{
	struct expr *e = E(ps, k, &op->loc);
	e->op = S(ps, op);
	e->a = a;
	e->b = b;
	return e;
}

struct expr *mk_dummy(struct pparse *ps, const struct loc *loc)
{
	return E(ps, E_NUM, loc);
}

void dwarf_error(struct pparse *ps, const struct loc *loc,
		 const char *what)
{
	bool guru = ps->pc.opts && ps->pc.opts->guru;

	/* the kernel's memory and registers: stap -p1 wants -g for them */
	if (!guru && (!strcmp(what, "@kderef") || !strcmp(what, "@kregister")))
		pc_error(&ps->pc, loc, "'%s' is a kernel/DWARF feature that "
			 "pytap does not support", what);
	else if (what[0] == '@')
		pc_refuse(&ps->pc, loc, "'%s' is a kernel/DWARF feature that "
			  "pytap does not support", what);
	else
		pc_refuse(&ps->pc, loc, "%s is a kernel/DWARF feature that "
			  "pytap does not support", what);
}

static const char *const print_names[] = {
	"print", "println", "printd", "printdln", "printf",
	"sprint", "sprintln", "sprintd", "sprintdln", "sprintf",
};

bool is_print_name(const char *name)
{
	for (size_t i = 0; i < sizeof print_names / sizeof *print_names; i++)
		if (strcmp(name, print_names[i]) == 0)
			return true;
	return false;
}

struct expr *mk_call(struct pparse *ps, const struct token *name,
		     struct list *args)
{
	char *n = S(ps, name);
	bool hist = args->n == 1 &&
		    ((struct expr *)args->v[0])->kind == E_HIST;

	if (!is_print_name(n)) {
		struct expr *e = E(ps, E_CALL, &name->loc);
		e->name = n;
		set_args(e, args);
		if (hist)
			pc_error(&ps->pc, &e->args[0]->loc, "a histogram can "
				 "only be printed or indexed with [bucket]");
		return e;
	}

	struct expr *e = E(ps, E_PRINT, &name->loc);
	e->name = n;
	bool with_fmt = strcmp(n, "printf") == 0 || strcmp(n, "sprintf") == 0;
	bool with_delim = strstr(n, "printd") != NULL;
	bool newline = strstr(n, "ln") != NULL;

	if (hist && (with_fmt || with_delim)) {
		pc_error(&ps->pc, &((struct expr *)args->v[0])->loc,
			 "expected literal string");
	} else if (with_fmt || with_delim) {
		struct expr *first = args->n ? args->v[0] : NULL;
		if (!first || first->kind != E_STR) {
			pc_error(&ps->pc, first ? &first->loc : &name->loc,
				 "expected literal string");
		} else {
			e->str = first->str;
			e->len = first->len;
		}
		if (with_delim && args->n < 3 && first &&
		    first->kind == E_STR)
			pc_error(&ps->pc, &name->loc, "'%s' needs a delimiter "
				 "and at least two values", n);
		struct list rest = { NULL, 0 };
		if (args->n > 1) {
			rest.v = args->v + 1;
			rest.n = args->n - 1;
		}
		set_args(e, &rest);
		return e;
	} else if (!newline && args->n == 0) {
		pc_error(&ps->pc, &name->loc, "'%s' needs at least one value",
			 n);
	}
	set_args(e, args);
	return e;
}

struct stmt *mk_block(struct pparse *ps, const struct loc *loc,
		      struct list *l)
{
	struct stmt *s = ST(ps, S_BLOCK, loc);
	s->nbody = l->n;
	s->body = (struct stmt **)l->v;
	return s;
}

/* ------------------------------------------------------------------ */
/* Probe points                                                       */

bool check_adjacent(struct pparse *ps, const struct token *t)
{
	if (t->adjacent)
		return true;
	pc_error(&ps->pc, &t->loc, "expected one of ', { } = +='");
	return false;
}

struct list *pp_single(struct pparse *ps, const struct token *name,
		       const struct loc *loc, struct expr *arg)
{
	struct probe_point *pp = ast_alloc(ps->pc.a, sizeof *pp);
	pp->comps = ast_alloc(ps->pc.a, sizeof *pp->comps);
	pp->ncomps = 1;
	struct pp_component *c = &pp->comps[0];
	c->name = S(ps, name);
	c->loc = name->loc;
	c->loc.len = (int)name->textlen;
	(void)loc;
	if (arg) {
		c->has_arg = true;
		if (arg->kind == E_STR) {
			c->arg_is_str = true;
			c->arg_str = arg->str;
		} else {
			c->arg_num = arg->num;
		}
	}
	pp->loc = c->loc;
	return Lpush(ps, L(ps), pp);
}

struct list *pp_product(struct pparse *ps, struct list *a,
			struct list *b)
{
	struct list *out = L(ps);
	for (int i = 0; i < a->n; i++) {
		struct probe_point *x = a->v[i];
		if (x->optional || x->sufficient || x->cond) {
			pc_error(&ps->pc, &x->comps[0].loc, "'?', '!' or "
				 "condition must only be specified in suffix");
			/* keep going with the flags dropped */
		}
		for (int j = 0; j < b->n; j++) {
			struct probe_point *y = b->v[j];
			struct probe_point *pp = ast_alloc(ps->pc.a, sizeof *pp);
			pp->ncomps = x->ncomps + y->ncomps;
			pp->comps = ast_alloc(ps->pc.a, sizeof *pp->comps *
					      (size_t)pp->ncomps);
			memcpy(pp->comps, x->comps,
			       sizeof *pp->comps * (size_t)x->ncomps);
			memcpy(pp->comps + x->ncomps, y->comps,
			       sizeof *pp->comps * (size_t)y->ncomps);
			pp->optional = y->optional;
			pp->sufficient = y->sufficient;
			pp->cond = y->cond;
			pp->loc = x->loc;
			Lpush(ps, out, pp);
		}
		if (x->optional || x->sufficient || x->cond)
			break;	/* one message is enough */
	}
	return out;
}

void pp_suffix(struct pparse *ps, struct list *pps, int mark,
	       const struct loc *markloc, struct expr *cond)
{
	for (int i = 0; i < pps->n; i++) {
		struct probe_point *pp = pps->v[i];
		if (mark) {
			if (pp->optional || pp->sufficient) {
				pc_error(&ps->pc, markloc,
					 "'?' or '!' respecified");
				return;
			}
			pp->optional = true;
			pp->sufficient = mark == '!';
		}
		if (cond) {
			if (pp->cond) {
				pc_error(&ps->pc, &cond->loc,
					 "condition respecified");
				return;
			}
			pp->cond = cond;
		}
	}
}

void add_probe(struct pparse *ps, enum probe_kind kind,
	       const struct loc *loc, struct list *names,
	       struct list *targets, struct stmt *body,
	       struct stmt *epi, const struct loc *epiloc)
{
	struct probe *p = ast_alloc(ps->pc.a, sizeof *p);
	p->kind = kind;
	p->loc = *loc;
	p->loc.len = 5;
	p->npoints = targets->n;
	p->points = ast_alloc(ps->pc.a, sizeof *p->points *
			      (size_t)(targets->n ? targets->n : 1));
	memcpy(p->points, targets->v, sizeof *p->points * (size_t)targets->n);
	p->body = body;
	if (names) {
		if (names->n != 1) {
			pc_error(&ps->pc, &((struct probe_point *)names->v[1])->loc,
				 "an alias must name a single probe point");
		}
		struct probe_point *n = names->v[0];
		if (n->optional || n->sufficient)
			pc_error(&ps->pc, &n->comps[0].loc, "probe point alias "
				 "name cannot be optional nor sufficient");
		else if (n->cond)
			pc_error(&ps->pc, &n->cond->loc, "probe point alias "
				 "name cannot have a condition");
		p->alias_name = n;
	}
	if (epi) {
		if (kind == PROBE_ALIAS_EPI)
			pc_error(&ps->pc, epiloc, "Combined prologue and "
				 "epilogue cannot be defined with '+='");
		else
			p->epilogue = epi;
	}
	*ps->probe_tail = p;
	ps->probe_tail = &p->next;
}

/* ------------------------------------------------------------------ */
/* Globals and functions                                              */

struct symbol *mk_global(struct pparse *ps, const struct token *name,
			 bool wrap, struct expr *size,
			 const struct loc *sizeloc, struct expr *init,
			 const struct loc *initloc)
{
	struct symbol *s = ast_alloc(ps->pc.a, sizeof *s);
	s->name = S(ps, name);
	s->loc = name->loc;
	s->kind = SYM_GLOBAL;
	s->wrap = wrap;
	if (size) {
		if (size->num <= 0 || size->num > INT_MAX)
			pc_error(&ps->pc, sizeloc, "array size out of range");
		else
			s->maxsize = size->num;
	}
	if (init) {
		if (size) {
			pc_error(&ps->pc, initloc,
				 "only scalar globals can be initialized");
		} else {
			s->init = init;
			s->type = init->kind == E_STR ? T_STRING : T_LONG;
		}
	}
	return s;
}

void add_globals(struct pparse *ps, struct list *syms, bool privat)
{
	for (int i = 0; i < syms->n; i++) {
		struct symbol *s = syms->v[i];
		s->privat = privat;
		bool dup = false;
		for (int j = 0; j < ps->globals.n; j++) {
			struct symbol *o = ps->globals.v[j];
			if (strcmp(o->name, s->name) != 0)
				continue;
			if (o->privat == s->privat)
				pc_error(&ps->pc, &s->loc,
					 "duplicate global name");
			else
				pc_error(&ps->pc, &s->loc, "global versus "
					 "private variable declaration "
					 "conflict");
			dup = true;
			break;
		}
		if (dup)
			continue;
		Lpush(ps, &ps->globals, s);
		*ps->global_tail = s;
		ps->global_tail = &s->next;
	}
}

struct function *mk_function(struct pparse *ps,
			     const struct token *name, int rettype,
			     struct list *params, struct expr *prio,
			     const struct loc *prioloc)
{
	struct function *fn = ast_alloc(ps->pc.a, sizeof *fn);
	fn->name = S(ps, name);
	fn->loc = name->loc;
	fn->rettype = (enum type)rettype;
	fn->nparams = params->n;
	fn->params = (struct symbol **)params->v;
	if (prio) {
		/* The priority orders tapset overloads; the AST has no
		 * place for it, so it is checked and dropped. */
		if (prio->kind != E_NUM)
			pc_error(&ps->pc, prioloc, "expected literal number");
		else if (prio->num < 1)
			pc_error(&ps->pc, prioloc,
				 "specified priority must be > 0");
	}
	return fn;
}

void add_function(struct pparse *ps, struct function *fn,
		  struct stmt *body, bool privat)
{
	fn->body = body;
	fn->privat = privat;
	*ps->func_tail = fn;
	ps->func_tail = &fn->next;
}

/* ------------------------------------------------------------------ */
/* foreach                                                            */

struct stmt *mk_foreach(struct pparse *ps, const struct loc *loc,
			struct list *head, struct expr *array,
			struct list *slice, struct fesort *fs,
			struct expr *limit, struct stmt *body)
{
	struct stmt *s = ST(ps, S_FOREACH, loc);
	struct foreach *fe = ast_alloc(ps->pc.a, sizeof *fe);
	s->fe = fe;
	s->then = body;
	fe->array = array;
	fe->limit = limit;
	const struct token *sortdir = NULL, *byvalue[2];
	int i0 = 0, k;
	struct fevar *v0 = head->v[0];
	if (v0->is_value) {
		fe->value = v0->sym;
		i0 = 1;
		if (v0->dir) {
			sortdir = v0->dir;
			fe->sort_col = -1;
		}
	}
	fe->nkeys = head->n - i0;
	fe->keys = ast_alloc(ps->pc.a, sizeof *fe->keys *
			     (size_t)(fe->nkeys ? fe->nkeys : 1));
	for (int i = i0; i < head->n; i++) {
		struct fevar *v = head->v[i];
		fe->keys[i - i0] = v->sym;
		if (v->dir) {
			if (sortdir) {
				pc_error(&ps->pc, &v->dir->loc,
					 "multiple sort directives");
				continue;
			}
			sortdir = v->dir;
			fe->sort_col = i - i0 + 1;
		}
	}
	/* `@agg+` and a plain `+` after the array both sort by value */
	byvalue[0] = fs->agg ? fs->aggdir : NULL;
	byvalue[1] = fs->sort;
	for (k = 0; k < 2; k++) {
		if (!byvalue[k])
			continue;
		if (sortdir) {
			pc_error(&ps->pc, &byvalue[k]->loc,
				 "multiple sort directives");
			continue;
		}
		sortdir = byvalue[k];
		fe->sort_col = -1;
		if (k == 0)
			fe->sort_agg = ast_strndup(ps->pc.a, fs->agg->text + 1,
						   fs->agg->textlen - 1);
	}
	if (sortdir)
		fe->sort_dir = sortdir->text[0] == '+' ? 1 : -1;
	else
		fe->sort_col = 0;
	if (slice) {
		if (slice->n != fe->nkeys)
			pc_error(&ps->pc, &((struct expr *)slice->v[0])->loc,
				 "the slice has %d index%s but the loop has "
				 "%d key%s", slice->n,
				 slice->n == 1 ? "" : "es", fe->nkeys,
				 fe->nkeys == 1 ? "" : "s");
		fe->slice = (struct expr **)slice->v;
	}
	return s;
}

