/*
 * resolve_types.c - type inference: every expression, variable, array
 * index and function result gets long, string or stats, to a fixed point,
 * with SystemTap's messages for conflicts.
 *
 * Statements are visited by the walker (walk.h); inside one, infer()
 * types an expression by its operator's own rule, passing down what each
 * operand is expected to be (the `want` that lets `x = y` type y from x),
 * which is why it calls itself on the operands rather than using the
 * walker's fixed order.
 */
#include <string.h>

#include "builtins.h"
#include "format.h"
#include "resolve_int.h"

/* ------------------------------------------------------------------ */
/* type inference                                                     */

const char *res_type_name(enum type t)
{
	switch (t) {
	case T_LONG: return "long";
	case T_STRING: return "string";
	case T_STATS: return "stats";
	default: return "unknown";
	}
}

/* Make *SLOT at least T; report a conflict at LOC. */
static void unify(struct ctx *c, enum type *slot, enum type t,
		  const struct loc *loc, const char *what)
{
	if (t == T_UNKNOWN)
		return;
	if (*slot == T_UNKNOWN) {
		*slot = t;
		c->changed = true;
		return;
	}
	/* SystemTap's words; WHAT is in the caret's line */
	(void)what;
	if (*slot != t)
		diag_error(c->d, loc, "type mismatch: expected %s but found %s",
			   res_type_name(*slot), res_type_name(t));
}

static enum type infer(struct ctx *c, struct expr *e, enum type want);

static char *what_sym(struct ctx *c, const struct symbol *s)
{
	struct strbuf sb = STRBUF_INIT;
	char *r;

	sb_printf(&sb, "identifier '%s'", s->name);
	r = ast_strndup(c->a, sb_str(&sb), sb.len);
	sb_free(&sb);
	return r;
}

static void infer_keys(struct ctx *c, struct expr *e, struct expr **args,
		       int n)
{
	int i;
	struct symbol *s = e->sym;

	if (!s)
		return;
	for (i = 0; i < n && i < 9; i++) {
		enum type t;

		if (args[i]->kind == E_STAR)
			continue;
		t = infer(c, args[i], s->keytypes[i]);
		if (t == T_STATS) {
			diag_error(c->d, &args[i]->loc,
				   "array index must be a long or a string");
			continue;
		}
		unify(c, &s->keytypes[i], t, &args[i]->loc,
		      what_sym(c, s));
	}
}

/* The stats symbol an @op or <<< refers to (E_SYM or E_INDEX). */
static void infer_stats_operand(struct ctx *c, struct expr *x)
{
	if (x->kind == E_SYM || x->kind == E_INDEX) {
		if (x->kind == E_INDEX)
			infer_keys(c, x, x->args, x->nargs);
		if (x->sym) {
			if (x->sym->kind != SYM_GLOBAL)
				diag_error(c->d, &x->loc,
					   "stat locals not supported, missing global declaration?");
			unify(c, &x->sym->type, T_STATS, &x->loc,
			      what_sym(c, x->sym));
		}
		x->type = T_STATS;
	} else {
		diag_error(c->d, &x->loc,
			   "expected a statistics variable or array element");
	}
}

static void infer_hist(struct ctx *c, struct expr *e)
{
	struct symbol *s;
	int kind = strcmp(e->name, "hist_log") == 0 ? 1 : 2;
	int64_t lo = 0, hi = 0, step = 0;
	int i;

	infer_stats_operand(c, e->a);
	for (i = 0; i < e->nargs; i++)
		infer(c, e->args[i], T_LONG);
	s = e->a->sym;
	if (kind == 2) {
		if (e->nargs != 3 || e->args[0]->kind != E_NUM ||
		    e->args[1]->kind != E_NUM || e->args[2]->kind != E_NUM) {
			diag_error(c->d, &e->loc,
				   "@hist_linear takes a statistic and three literal numbers (start, stop, interval)");
			return;
		}
		lo = e->args[0]->num;
		hi = e->args[1]->num;
		step = e->args[2]->num;
		if (step <= 0 || hi < lo) {
			diag_error(c->d, &e->loc,
				   "@hist_linear needs start <= stop and a positive interval");
			return;
		}
		if ((hi - lo) / step > 10000) {
			diag_error(c->d, &e->loc,
				   "@hist_linear: too many buckets ((stop - start) / interval > 10000)");
			return;
		}
	}
	e->type = T_UNKNOWN;
	if (!s)
		return;
	if (s->hist == 0) {
		s->hist = kind;
		s->hist_lo = lo;
		s->hist_hi = hi;
		s->hist_step = step;
	} else if (s->hist != kind || s->hist_lo != lo || s->hist_hi != hi ||
		   s->hist_step != step) {
		diag_error(c->d, &e->loc,
			   "multiple histogram types declared on '%s'", s->name);
	}
}

/* X and Y must have one type (the sides of a comparison, the branches
 * of ?:): each is inferred with what the other turned out to be, or WANT.
 * True when both are known and differ. */
static bool infer_alike(struct ctx *c, struct expr *x, struct expr *y,
			enum type want, enum type *tx, enum type *ty)
{
	*tx = infer(c, x, want);
	*ty = infer(c, y, *tx != T_UNKNOWN ? *tx : want);
	if (*tx == T_UNKNOWN && *ty != T_UNKNOWN)
		*tx = infer(c, x, *ty);
	return *tx != T_UNKNOWN && *ty != T_UNKNOWN && *tx != *ty;
}

/* X, an operand of the operator E, must be a number. */
static void number_operand(struct ctx *c, struct expr *e, struct expr *x)
{
	enum type t = infer(c, x, T_LONG);

	if (t != T_UNKNOWN && t != T_LONG)
		diag_error(c->d, &e->loc, "operator '%s' needs a number, not a %s",
			   e->op, res_type_name(t));
}

static enum type infer(struct ctx *c, struct expr *e, enum type want)
{
	enum type ta, tb;
	int i;

	if (!e)
		return T_UNKNOWN;
	switch (e->kind) {
	case E_NUM:
		e->type = T_LONG;
		break;
	case E_STR:
		e->type = T_STRING;
		break;
	case E_STAR:
		break;
	case E_CONTEXT:
		break;	/* set by check_context */
	case E_INDEX:	/* the keys, then the type as for a name */
		infer_keys(c, e, e->args, e->nargs);
		/* fall through */
	case E_SYM:
		if (e->sym) {
			if (want != T_UNKNOWN && e->sym->type == T_UNKNOWN)
				unify(c, &e->sym->type, want, &e->loc,
				      what_sym(c, e->sym));
			e->type = e->sym->type;
		}
		break;
	case E_BINARY:
		if (!strcmp(e->op, ".")) {
			infer(c, e->a, T_STRING);
			infer(c, e->b, T_STRING);
			if (e->a->type != T_UNKNOWN && e->a->type != T_STRING)
				diag_error(c->d, &e->loc,
					   "the operands of '.' must be strings (left is %s)",
					   res_type_name(e->a->type));
			if (e->b->type != T_UNKNOWN && e->b->type != T_STRING)
				diag_error(c->d, &e->loc,
					   "the operands of '.' must be strings (right is %s)",
					   res_type_name(e->b->type));
			e->type = T_STRING;
			break;
		}
		if (!strcmp(e->op, "<") || !strcmp(e->op, ">") ||
		    !strcmp(e->op, "<=") || !strcmp(e->op, ">=") ||
		    !strcmp(e->op, "==") || !strcmp(e->op, "!=")) {
			if (infer_alike(c, e->a, e->b, T_UNKNOWN, &ta, &tb))
				diag_error(c->d, &e->loc,
					   "cannot compare %s with %s",
					   res_type_name(ta), res_type_name(tb));
			else if (ta == T_STATS)
				diag_error(c->d, &e->loc,
					   "statistics cannot be compared; use @count, @sum, ...");
			e->type = T_LONG;
			break;
		}
		/* arithmetic */
		ta = infer(c, e->a, T_LONG);
		tb = infer(c, e->b, T_LONG);
		if (ta != T_UNKNOWN && ta != T_LONG)
			diag_error(c->d, &e->loc,
				   "operator '%s' needs numbers, the left operand is a %s",
				   e->op, res_type_name(ta));
		else if (tb != T_UNKNOWN && tb != T_LONG)
			diag_error(c->d, &e->loc,
				   "operator '%s' needs numbers, the right operand is a %s",
				   e->op, res_type_name(tb));
		e->type = T_LONG;
		break;
	case E_LOGICAL:
	case E_UNARY:
	case E_PREINC:
	case E_POSTINC:
		number_operand(c, e, e->a);
		if (e->kind == E_LOGICAL)
			number_operand(c, e, e->b);
		e->type = T_LONG;
		break;
	case E_REGEX:
		ta = infer(c, e->a, T_STRING);
		if (ta != T_UNKNOWN && ta != T_STRING)
			diag_error(c->d, &e->loc,
				   "regular expressions match strings, not a %s",
				   res_type_name(ta));
		e->type = T_LONG;
		break;
	case E_ASSIGN:
		if (!strcmp(e->op, "<<<")) {
			infer_stats_operand(c, e->a);
			tb = infer(c, e->b, T_LONG);
			if (tb != T_UNKNOWN && tb != T_LONG)
				diag_error(c->d, &e->b->loc,
					   "type mismatch: expected long but found %s",
					   res_type_name(tb));
			e->type = T_UNKNOWN;
			break;
		}
		if (!strcmp(e->op, "=")) {
			ta = infer(c, e->a, T_UNKNOWN);
			tb = infer(c, e->b, ta);
			if (e->a->sym) {
				unify(c, &e->a->sym->type, tb, &e->loc,
				      what_sym(c, e->a->sym));
				ta = e->a->sym->type;
			}
			if (ta == T_STATS)
				diag_error(c->d, &e->loc,
					   "statistics can only be added to with '<<<'");
			e->type = ta != T_UNKNOWN ? ta : tb;
			break;
		}
		{
			enum type t = !strcmp(e->op, ".=") ? T_STRING : T_LONG;

			ta = infer(c, e->a, t);
			tb = infer(c, e->b, t);
			if (e->a->sym)
				unify(c, &e->a->sym->type, t, &e->loc,
				      what_sym(c, e->a->sym));
			if (tb != T_UNKNOWN && tb != t)
				diag_error(c->d, &e->loc,
					   "operator '%s' needs a %s, not a %s", e->op,
					   res_type_name(t), res_type_name(tb));
			e->type = t;
		}
		break;
	case E_TERNARY:
		ta = infer(c, e->a, T_LONG);
		if (ta != T_UNKNOWN && ta != T_LONG)
			diag_error(c->d, &e->a->loc,
				   "the condition must be a number, not a %s",
				   res_type_name(ta));
		if (infer_alike(c, e->b, e->c, want, &ta, &tb))
			diag_error(c->d, &e->loc,
				   "the two branches of '?:' differ: %s vs. %s",
				   res_type_name(ta), res_type_name(tb));
		e->type = ta != T_UNKNOWN ? ta : tb;
		break;
	case E_CALL:
		if (e->fn) {
			struct function *f = e->fn, *g;

			for (i = 0; i < e->nargs && i < f->nparams; i++) {
				struct symbol *p = f->params[i];

				tb = infer(c, e->args[i], p->type);
				unify(c, &p->type, tb, &e->args[i]->loc,
				      what_sym(c, p));
			}
			/* the overloads take the same arguments and give
			   the same kind of result */
			for (g = f->next_overload; g; g = g->next_overload) {
				for (i = 0; i < e->nargs && i < g->nparams; i++)
					unify(c, &g->params[i]->type,
					      e->args[i]->type, &e->args[i]->loc,
					      what_sym(c, g->params[i]));
				if (g->has_value_return && f->has_value_return) {
					unify(c, &g->rettype, f->rettype,
					      &e->loc, "function result");
					unify(c, &f->rettype, g->rettype,
					      &e->loc, "function result");
				}
			}
			if (want != T_UNKNOWN && f->rettype == T_UNKNOWN &&
			    f->has_value_return)
				unify(c, &f->rettype, want, &e->loc, "function result");
			e->type = f->rettype;
			for (g = f->next_overload; g && e->type == T_UNKNOWN;
			     g = g->next_overload)
				e->type = g->rettype;
		} else if (e->bi) {
			for (i = 0; i < e->nargs; i++) {
				tb = infer(c, e->args[i], e->bi->args[i]);
				if (tb != T_UNKNOWN && tb != e->bi->args[i])
					/* SystemTap's words (and direction) */
					diag_error(c->d, &e->args[i]->loc,
						   "type mismatch: expected %s but found %s",
						   res_type_name(tb),
						   res_type_name(e->bi->args[i]));
			}
			e->type = e->bi->ret;
		} else if (!strcmp(e->name, "error")) {
			if (e->nargs == 1) {
				tb = infer(c, e->args[0], T_STRING);
				if (tb != T_UNKNOWN && tb != T_STRING)
					diag_error(c->d, &e->args[0]->loc,
						   "error() takes a string");
			}
		}
		break;
	case E_IN:
		infer_keys(c, e, e->args, e->nargs);
		e->type = T_LONG;
		break;
	case E_STATOP:
		infer_stats_operand(c, e->a);
		if (e->b) {
			tb = infer(c, e->b, T_LONG);
			if (e->b->kind != E_NUM || e->b->num < 0 || e->b->num > 62)
				diag_error(c->d, &e->b->loc,
					   "@variance's second argument must be a literal number from 0 to 62");
		}
		if (!strcmp(e->name, "variance") && e->a->sym &&
		    e->a->sym->kind == SYM_GLOBAL) {
			/* one shift per statistic, fixed at compile time;
			   var_loc.src marks "given" (the symbol's zeroed
			   var_shift alone cannot tell 0 from unused) */
			struct symbol *st = e->a->sym;
			int sh = e->b && e->b->kind == E_NUM ? (int)e->b->num : 0;

			if (!st->var_loc.src) {
				st->var_shift = sh;
				st->var_loc = e->loc;
			} else if (st->var_shift != sh &&
				   (st->var_loc.line != e->loc.line ||
				    st->var_loc.col != e->loc.col ||
				    st->var_loc.src != e->loc.src)) {
				diag_error(c->d, &e->loc,
					   "conflicting bit shifts declared (previously %d)",
					   st->var_shift);
			}
		}
		e->type = T_LONG;
		break;
	case E_HIST:
		infer_hist(c, e);
		break;
	case E_HIST_INDEX:
		infer_hist(c, e->a);
		tb = infer(c, e->b, T_LONG);
		if (tb != T_UNKNOWN && tb != T_LONG)
			diag_error(c->d, &e->b->loc,
				   "a histogram bucket index must be a number");
		e->type = T_LONG;
		break;
	case E_PRINT: {
		/* printf's format gives its arguments their types, as in
		   SystemTap: printf("%d", n) makes n a long */
		struct fmt f;
		bool have_fmt = (!strcmp(e->name, "printf") ||
				 !strcmp(e->name, "sprintf")) &&
				fmt_parse(e->str, e->len, &f, NULL, 0) == 0;

		for (i = 0; i < e->nargs; i++) {
			enum type w = T_UNKNOWN;

			if (have_fmt && (size_t)i < f.nargs)
				w = f.argtypes[i] == FMT_ARG_LONG ? T_LONG : T_STRING;
			if (e->args[i]->kind == E_HIST)
				infer_hist(c, e->args[i]);
			else
				infer(c, e->args[i], w);
		}
		if (have_fmt)
			fmt_free(&f);
		e->type = e->name[0] == 's' ? T_STRING : T_UNKNOWN;
		break;
	}
	case E_DEFINED:
		e->type = T_LONG;
		break;
	}
	return e->type;
}

/* The expressions of each statement; the walk goes on into the statements
 * inside it. */
static enum walk_next infer_stmt_pre(struct walker *w, struct stmt **slot)
{
	struct ctx *c = cw_ctx(w);
	struct stmt *s = *slot;
	int i;

	switch (s->kind) {
	case S_EXPR:
		/* `s` alone, s a statistics global: nothing can read it
		   (found by tests/fuzz/fuzz_compile) */
		if (infer(c, s->e, T_UNKNOWN) == T_STATS)
			diag_error(c->d, &s->e->loc,
				   "statistics can only be read with @count, @sum, @min, @max, @avg or @variance");
		break;
	case S_IF:
	case S_WHILE:
	case S_FOR:
		if (s->e) {
			enum type t = infer(c, s->e, T_LONG);

			if (t != T_UNKNOWN && t != T_LONG)
				diag_error(c->d, &s->e->loc,
					   "the condition must be a number, not a %s",
					   res_type_name(t));
		}
		break;
	case S_FOREACH: {
		struct foreach *fe = s->fe;
		struct symbol *arr = fe->array->sym;

		if (fe->array->kind == E_HIST) {
			infer_hist(c, fe->array);
			if (fe->nkeys != 1)
				diag_error(c->d, &fe->array->loc,
					   "foreach over a histogram takes one bucket variable");
			else
				unify(c, &fe->keys[0]->sym->type, T_LONG,
				      &fe->keys[0]->loc,
				      what_sym(c, fe->keys[0]->sym));
			if (fe->value)
				unify(c, &fe->value->sym->type, T_LONG,
				      &fe->value->loc,
				      what_sym(c, fe->value->sym));
		} else if (arr) {
			for (i = 0; i < fe->nkeys && i < 9; i++) {
				struct symbol *k = fe->keys[i]->sym;

				unify(c, &k->type, arr->keytypes[i],
				      &fe->keys[i]->loc, what_sym(c, k));
				unify(c, &arr->keytypes[i], k->type,
				      &fe->keys[i]->loc, what_sym(c, arr));
				if (fe->slice && fe->slice[i]->kind != E_STAR) {
					enum type t = infer(c, fe->slice[i],
							    arr->keytypes[i]);
					unify(c, &arr->keytypes[i], t,
					      &fe->slice[i]->loc, what_sym(c, arr));
				}
			}
			if (fe->value) {
				enum type vt = arr->type == T_STATS ? T_LONG
								    : arr->type;
				unify(c, &fe->value->sym->type, vt,
				      &fe->value->loc, what_sym(c, fe->value->sym));
			}
			if (fe->sort_agg && arr->type != T_UNKNOWN &&
			    arr->type != T_STATS)
				diag_error(c->d, &fe->array->loc,
					   "sorting by @%s needs an array of statistics",
					   fe->sort_agg);
		}
		if (fe->limit) {
			enum type t = infer(c, fe->limit, T_LONG);

			if (t != T_UNKNOWN && t != T_LONG)
				diag_error(c->d, &fe->limit->loc,
					   "limit must be a number");
		}
		break;
	}
	case S_RETURN:
		if (s->e && c->curfn) {
			enum type t = infer(c, s->e, c->curfn->rettype);

			unify(c, &c->curfn->rettype, t, &s->e->loc,
			      "the function's return value");
		}
		break;
	case S_DELETE:
		if (s->e->kind == E_INDEX)
			infer_keys(c, s->e, s->e->args, s->e->nargs);
		break;
	case S_TRY:
		/* the catch variable between the two blocks */
		walk_stmt(w, &s->then);
		if (s->catchvar && s->catchvar->sym)
			unify(c, &s->catchvar->sym->type, T_STRING,
			      &s->catchvar->loc, what_sym(c, s->catchvar->sym));
		walk_stmt(w, &s->els);
		return WALK_SKIP;
	default:
		break;
	}
	return WALK_CONTINUE;
}

void res_infer(struct ctx *c, struct stmt *s)
{
	cw_walk_stmt(c, (struct walker){ .stmt_pre = infer_stmt_pre }, s);
}

void res_global_init_types(struct ctx *c)
{
	int i;

	for (i = 0; i < c->nglobals; i++) {
		struct symbol *g = c->globals[i];

		if (g->init)
			unify(c, &g->type,
			      g->init->kind == E_STR ? T_STRING : T_LONG,
			      &g->loc, what_sym(c, g));
	}
}

void res_check_unresolved(struct ctx *c, struct symbol *list)
{
	struct symbol *s;

	for (s = list; s; s = s->next) {
		const char *sug;

		if (s->type != T_UNKNOWN)
			continue;
		sug = s->written ? NULL
				 : res_suggest_var(c, s->name, list, 0, &s->loc);
		if (sug)
			diag_error(c->d, &s->loc,
				   "cannot infer the type of '%s' (it is never given a value; did you mean '%s'?)",
				   s->name, sug);
		else
			diag_error(c->d, &s->loc,
				   "cannot infer the type of '%s' (it is never given a value)",
				   s->name);
	}
}
