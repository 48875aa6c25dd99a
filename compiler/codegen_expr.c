/*
 * codegen_expr.c - expressions to bytecode: values, conditions as
 * branches, assignments and ++/--, calls and overloads, statistics and
 * histograms, the print family; constant arithmetic is folded here.
 * Every expression leaves exactly one slot on the stack, except the ones
 * with no value (gen_expr says which).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "builtin_list.h"
#include "builtins.h"
#include "codegen_int.h"
#include "format.h"
#include "strbuf.h"

/* ------------------------------------------------------------------ */
/* expressions                                                        */

static bool gen_expr(struct cg *g, struct expr *e);
void gen_discard(struct cg *g, struct expr *e);
void gen_branch(struct cg *g, struct expr *e, bool jump_if,
		struct jumplist *out);

void gen_value(struct cg *g, struct expr *e)
{
	if (!gen_expr(g, e)) {
		diag_error(g->d, &e->loc, "this expression has no value");
		cg_push_long(g, 0);
	}
}

int cg_gidx(const struct symbol *s)
{
	return s->slot;
}

/* Push the keys of E (E_INDEX/E_IN args); returns the wildcard mask. */
int32_t gen_keys(struct cg *g, struct expr **args, int n)
{
	int32_t mask = 0;
	int i;

	for (i = 0; i < n; i++) {
		if (args[i]->kind == E_STAR)
			mask |= 1 << i;
		else
			gen_value(g, args[i]);
	}
	return mask;
}

bool cg_const_long(const struct expr *e, int64_t *out);

static enum bc_op arith_op(const char *op);

/* Constant folding of long arithmetic and comparisons, with the VM's
 * semantics (wrap-around, shift counts & 63; division by zero and
 * INT64_MIN / -1 are left to the VM's runtime checks). */
static bool fold_binary(const struct expr *e, int64_t *out)
{
	int64_t x, y;
	enum bc_op op = arith_op(e->op);

	if (e->a->type == T_STRING || e->b->type == T_STRING ||
	    !cg_const_long(e->a, &x) || !cg_const_long(e->b, &y))
		return false;
	switch (op) {
#define FOLD(name, sym, expr) \
	case OP_##name: { \
		uint64_t a = (uint64_t)x, b = (uint64_t)y; \
		*out = (int64_t)(expr); \
		return true; \
	}
	BC_LONG_BINOPS(FOLD)
#undef FOLD
	case OP_DIV:
	case OP_MOD:
		if (y == 0 || (x == INT64_MIN && y == -1))
			return false;
		*out = op == OP_DIV ? x / y : x % y;
		return true;
	default:
		return false;
	}
}

/* The value of E when it is a constant long expression. */
bool cg_const_long(const struct expr *e, int64_t *out)
{
	int64_t x, y;

	switch (e->kind) {
	case E_NUM:
		*out = e->num;
		return true;
	case E_UNARY:
		if (!cg_const_long(e->a, &x))
			return false;
		*out = e->op[0] == '-' ? (int64_t)(0 - (uint64_t)x) :
		       e->op[0] == '!' ? !x : e->op[0] == '~' ? ~x : x;
		return true;
	case E_BINARY:
		return strcmp(e->op, ".") != 0 && fold_binary(e, out);
	case E_LOGICAL:
		if (!cg_const_long(e->a, &x) || !cg_const_long(e->b, &y))
			return false;
		*out = !strcmp(e->op, "&&") ? (x && y) : (x || y);
		return true;
	case E_TERNARY:
		if (e->type != T_LONG || !cg_const_long(e->a, &x))
			return false;
		return cg_const_long(x ? e->b : e->c, out);
	default:
		return false;
	}
}

/* The value of E when it is a constant string (literals glued by '.'),
 * appended to SB. */
static bool const_str(const struct expr *e, struct strbuf *sb)
{
	if (e->kind == E_STR) {
		sb_append(sb, e->str, e->len);
		return true;
	}
	if (e->kind == E_BINARY && !strcmp(e->op, "."))
		return const_str(e->a, sb) && const_str(e->b, sb);
	return false;
}

static enum bc_op arith_op(const char *op)
{
	static const struct { const char *s; enum bc_op op; } t[] = {
#define OP_NAME(name, sym, expr) { sym, OP_##name },
		BC_LONG_BINOPS(OP_NAME)
#undef OP_NAME
		{ "/", OP_DIV }, { "%", OP_MOD },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(t[i].s, op))
			return t[i].op;
	return OP_NOP;
}

static enum bc_op str_cmp_op(const char *op)
{
	if (!strcmp(op, "<")) return OP_SLT;
	if (!strcmp(op, "<=")) return OP_SLE;
	if (!strcmp(op, ">")) return OP_SGT;
	if (!strcmp(op, ">=")) return OP_SGE;
	if (!strcmp(op, "==")) return OP_SEQ;
	return OP_SNE;
}

/* compound assignment operator "+=" -> "+" */
static enum bc_op compound_op(const char *op)
{
	char base[4] = { 0 };
	size_t n = strlen(op);

	if (n < 2 || n > 4)
		return OP_NOP;
	memcpy(base, op, n - 1);
	return arith_op(base);
}

/* Push symbol S, or (STORE) pop into it: a local slot or a global. */
static void sym_access(struct cg *g, const struct symbol *s, bool store)
{
	static const enum bc_op global_op[2][2] = {
		{ OP_GLOADL, OP_GLOADS }, { OP_GSTOREL, OP_GSTORES },
	};

	if (s->kind != SYM_GLOBAL)
		cg_emit(g, store ? OP_STORE : OP_LOAD, 0, s->slot, 0);
	else
		cg_emit(g, global_op[store][s->type == T_STRING], 0,
			cg_gidx(s), 0);
}

static void load_sym(struct cg *g, const struct symbol *s)
{
	sym_access(g, s, false);
}

static void store_sym(struct cg *g, const struct symbol *s)
{
	sym_access(g, s, true);
}

/* Keys of an array lvalue evaluated once into temps; returns the first
 * temp.  Used when an element is both read and written. */
static int keys_to_temps(struct cg *g, struct expr *e)
{
	int first = g->nslots, i;

	for (i = 0; i < e->nargs; i++) {
		int t = cg_temp(g);

		gen_value(g, e->args[i]);
		cg_emit(g, OP_STORE, 0, t, 0);
	}
	return first;
}

static void load_temps(struct cg *g, int first, int n)
{
	int i;

	for (i = 0; i < n; i++)
		cg_emit(g, OP_LOAD, 0, first + i, 0);
}

/* x++ / ++x / x-- / --x: pushes the old or the new value */
static void gen_incdec(struct cg *g, struct expr *e, bool post)
{
	struct expr *lv = e->a;
	int delta = e->op[0] == '+' ? 1 : -1;
	const struct symbol *s = lv->sym;

	if (!s)
		return;
	if (lv->kind == E_INDEX) {
		gen_keys(g, lv->args, lv->nargs);
		cg_push_long(g, delta);
		g->cur = &lv->loc;
		cg_emit(g, OP_AINCR, lv->nargs, cg_gidx(s), 0);
	} else if (s->kind == SYM_GLOBAL) {
		cg_push_long(g, delta);
		cg_emit(g, OP_GINCR, 0, cg_gidx(s), 0);
	} else {
		cg_emit(g, OP_LOAD, 0, s->slot, 0);
		cg_push_long(g, delta);
		cg_emit(g, OP_ADD, 0, 0, 0);
		cg_emit(g, OP_DUP, 0, 0, 0);
		cg_emit(g, OP_STORE, 0, s->slot, 0);
	}
	if (post) {
		cg_push_long(g, delta);
		cg_emit(g, OP_SUB, 0, 0, 0);
	}
}

/* Assignment; WANT: leave the assigned value on the stack. */
static bool gen_assign(struct cg *g, struct expr *e, bool want)
{
	struct expr *lv = e->a;
	const struct symbol *s = lv->sym;
	bool is_str = lv->type == T_STRING || e->type == T_STRING;

	if (!s)
		return false;
	if (!strcmp(e->op, "<<<")) {
		if (lv->kind == E_INDEX)
			gen_keys(g, lv->args, lv->nargs);
		gen_value(g, e->b);
		g->cur = &lv->loc;
		cg_emit(g, OP_STATADD, lv->kind == E_INDEX ? lv->nargs : 0,
		     cg_gidx(s), 0);
		return false;
	}
	if (!strcmp(e->op, "=")) {
		if (lv->kind == E_INDEX) {
			int t = -1;

			gen_keys(g, lv->args, lv->nargs);
			gen_value(g, e->b);
			if (want) {
				t = cg_temp(g);
				cg_emit(g, OP_DUP, 0, 0, 0);
				cg_emit(g, OP_STORE, 0, t, 0);
			}
			g->cur = &lv->loc;
			cg_emit(g, is_str ? OP_ASETS : OP_ASETL, lv->nargs,
			     cg_gidx(s), 0);
			if (want)
				cg_emit(g, OP_LOAD, 0, t, 0);
			return want;
		}
		gen_value(g, e->b);
		if (want)
			cg_emit(g, OP_DUP, 0, 0, 0);
		store_sym(g, s);
		return want;
	}
	/* compound */
	if (lv->kind == E_INDEX) {
		int first, t;
		bool plus = !strcmp(e->op, "+="), minus = !strcmp(e->op, "-=");

		if (plus || minus) {
			gen_keys(g, lv->args, lv->nargs);
			gen_value(g, e->b);
			if (minus)
				cg_emit(g, OP_NEG, 0, 0, 0);
			g->cur = &lv->loc;
			cg_emit(g, OP_AINCR, lv->nargs, cg_gidx(s), 0);
			if (!want)
				cg_emit(g, OP_POP, 0, 0, 0);
			return want;
		}
		first = keys_to_temps(g, lv);
		load_temps(g, first, lv->nargs);
		cg_emit(g, is_str ? OP_AGETS : OP_AGETL, lv->nargs, cg_gidx(s),
			0);
		gen_value(g, e->b);
		cg_emit(g, is_str ? OP_CONCAT : compound_op(e->op), 0, 0, 0);
		t = cg_temp(g);
		cg_emit(g, OP_STORE, 0, t, 0);
		load_temps(g, first, lv->nargs);
		cg_emit(g, OP_LOAD, 0, t, 0);
		g->cur = &lv->loc;
		cg_emit(g, is_str ? OP_ASETS : OP_ASETL, lv->nargs, cg_gidx(s),
			0);
		if (want)
			cg_emit(g, OP_LOAD, 0, t, 0);
		return want;
	}
	if (s->kind == SYM_GLOBAL && !is_str &&
	    (!strcmp(e->op, "+=") || !strcmp(e->op, "-="))) {
		gen_value(g, e->b);
		if (e->op[0] == '-')
			cg_emit(g, OP_NEG, 0, 0, 0);
		cg_emit(g, OP_GINCR, 0, cg_gidx(s), 0);
		if (!want)
			cg_emit(g, OP_POP, 0, 0, 0);
		return want;
	}
	load_sym(g, s);
	gen_value(g, e->b);
	cg_emit(g, is_str ? OP_CONCAT : compound_op(e->op), 0, 0, 0);
	if (want)
		cg_emit(g, OP_DUP, 0, 0, 0);
	store_sym(g, s);
	return want;
}

/* Escape '%' for a format built from literal text. */
static void fmt_lit(struct strbuf *sb, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '%')
			sb_putc(sb, '%');
		sb_putc(sb, s[i]);
	}
}

static const char *tname(enum type t)
{
	return t == T_LONG ? "long" : t == T_STRING ? "string" :
	       t == T_STATS ? "stats" : "no value";
}

int cg_stat_op_code(const char *n)
{
	static const char *const ops[] = { "count", "sum", "min", "max",
					   "avg", "variance" };
	int i;

	for (i = 0; i < 6; i++)
		if (!strcmp(ops[i], n))
			return i;
	return 0;
}

/* print(@hist_log(x)) and friends */
static bool gen_hist_print(struct cg *g, struct expr *h, bool to_string)
{
	struct expr *st = h->a;

	if (st->kind == E_INDEX)
		gen_keys(g, st->args, st->nargs);
	cg_emit(g, to_string ? OP_HISTSTR : OP_HISTPRINT,
	     st->kind == E_INDEX ? st->nargs : 0, cg_gidx(st->sym), 0);
	return to_string;
}

static bool gen_print(struct cg *g, struct expr *e)
{
	const char *n = e->name;
	bool to_string = n[0] == 's';
	bool is_printf = !strcmp(n, "printf") || !strcmp(n, "sprintf");
	bool is_d = strstr(n, "printd") != NULL;
	bool ln = strstr(n, "ln") != NULL;
	struct strbuf fmt = STRBUF_INIT;
	int i, fi;

	if (is_printf) {
		struct fmt f;
		char err[256];
		size_t k;

		if (fmt_parse(e->str, e->len, &f, err, sizeof(err)) != 0) {
			struct loc l = e->loc;

			diag_error(g->d, &l, "%s format: %s", n, err);
			return to_string;
		}
		if (f.nargs != (size_t)e->nargs) {
			diag_error(g->d, &e->loc,
				   "%s: the format needs %zu argument%s, %d given",
				   n, f.nargs, f.nargs == 1 ? "" : "s", e->nargs);
			fmt_free(&f);
			return to_string;
		}
		for (k = 0; k < f.nargs; k++) {
			enum type want = f.argtypes[k] == FMT_ARG_LONG ? T_LONG
								      : T_STRING;
			enum type got = e->args[k]->type;

			if (got != want)
				diag_error(g->d, &e->args[k]->loc,
					   "%s: argument %zu is a %s, the format expects a %s",
					   n, k + 1, tname(got), tname(want));
		}
		fmt_free(&f);
		for (i = 0; i < e->nargs; i++)
			gen_value(g, e->args[i]);
		fi = cg_add_format(g, e->str, e->len);
		cg_emit(g, to_string ? OP_SPRINTF : OP_PRINTF, e->nargs, fi, 0);
		return to_string;
	}
	/* print / println / printd / printdln: a format made here */
	if (!is_d && e->nargs == 1 && e->args[0]->kind == E_HIST) {
		bool v = gen_hist_print(g, e->args[0], to_string);

		if (ln) {
			fi = cg_add_format(g, "\n", 1);
			if (to_string) {
				cg_emit(g, OP_SPRINTF, 0, fi, 0);
				cg_emit(g, OP_CONCAT, 0, 0, 0);
			} else {
				cg_emit(g, OP_PRINTF, 0, fi, 0);
			}
		}
		return v;
	}
	for (i = 0; i < e->nargs; i++) {
		struct expr *a = e->args[i];

		if (a->kind == E_HIST) {
			diag_error(g->d, &a->loc,
				   "a histogram can only be printed on its own: print(@hist_log(x))");
			continue;
		}
		if (i && is_d)
			fmt_lit(&fmt, e->str, e->len);
		if (a->type == T_LONG)
			sb_puts(&fmt, "%d");
		else if (a->type == T_STRING)
			sb_puts(&fmt, "%s");
		else
			diag_error(g->d, &a->loc,
				   "print format actual argument evaluation type unsupported");
		gen_value(g, a);
	}
	if (ln)
		sb_putc(&fmt, '\n');
	fi = cg_add_format(g, sb_str(&fmt), fmt.len);
	sb_free(&fmt);
	cg_emit(g, to_string ? OP_SPRINTF : OP_PRINTF, e->nargs, fi, 0);
	return to_string;
}

/*
 * A call of a function with overloads of the same arity (SystemTap's
 * overloading by `next`): the arguments are evaluated once, then
 *	LOAD args; CALL f0 (x = 1); JMP end
 *	LOAD args; CALL f1 (x = 1); JMP end	<- f0 ran `next`
 *	...
 *	LOAD args; CALL fn (x = 0)		<- `next` here: "all functions
 * end:					   exhausted"
 * A CALL with x = 1 resumes after its JMP when the callee runs `next`.
 */
static void gen_overloads(struct cg *g, struct expr *e)
{
	struct jumplist end = { NULL, 0 };
	const struct function *f;
	int first = g->nslots, i;

	for (i = 0; i < e->nargs; i++) {
		int t = cg_temp(g);

		gen_value(g, e->args[i]);
		cg_emit(g, OP_STORE, 0, t, 0);
	}
	g->cur = &e->loc;
	for (f = e->fn; f; f = f->next_overload) {
		load_temps(g, first, e->nargs);
		cg_emit(g, OP_CALL, f->next_overload ? 1 : 0, f->index, 0);
		if (f->next_overload)
			cg_jl_add(&end, cg_emit(g, OP_JMP, 0, 0, 0));
	}
	cg_jl_patch(g, &end, cg_pc(g));
}

static bool gen_expr(struct cg *g, struct expr *e)
{
	const struct loc *saved = g->cur;
	bool r = true;
	int64_t v;
	int i;

	g->cur = &e->loc;
	switch (e->kind) {
	case E_NUM:
		cg_push_long(g, e->num);
		break;
	case E_STR:
		cg_push_str(g, e->str, e->len);
		break;
	case E_STAR:
		cg_push_long(g, 0);
		break;
	case E_SYM:
		if (e->sym)
			load_sym(g, e->sym);
		break;
	case E_INDEX:
		if (!e->sym)
			break;
		gen_keys(g, e->args, e->nargs);
		cg_emit(g, e->sym->type == T_STRING ? OP_AGETS : OP_AGETL,
		     e->nargs, cg_gidx(e->sym), 0);
		break;
	case E_CONTEXT:
		if (!strncmp(e->name, "arg", 3))
			cg_emit(g, OP_CTX, 0, atoi(e->name + 3), 0);
		else if (!strcmp(e->name, "$unwound"))
			cg_emit(g, OP_CTX, 0, 0, 0);
		else
			cg_emit(g, OP_CTXS, 0,
			     !strcmp(e->name, "$name") ? 0 :
			     !strcmp(e->name, "$provider") ? 1 :
			     !strcmp(e->name, "$vars") ? 2 :
			     !strcmp(e->name, "$return") ? 6 : 3, 0);
		break;
	case E_BINARY:
		if (fold_binary(e, &v)) {
			cg_push_long(g, v);
			break;
		}
		if (!strcmp(e->op, ".")) {
			struct strbuf sb = STRBUF_INIT;

			if (const_str(e, &sb)) {
				cg_push_str(g, sb.buf ? sb.buf : "", sb.len);
				sb_free(&sb);
				break;
			}
			sb_free(&sb);
			gen_value(g, e->a);
			gen_value(g, e->b);
			g->cur = &e->loc;
			cg_emit(g, OP_CONCAT, 0, 0, 0);
			break;
		}
		gen_value(g, e->a);
		gen_value(g, e->b);
		g->cur = &e->loc;
		if (e->a->type == T_STRING)
			cg_emit(g, str_cmp_op(e->op), 0, 0, 0);
		else
			cg_emit(g, arith_op(e->op), 0, 0, 0);
		break;
	case E_LOGICAL: {
		uint32_t j1, j2, jend;
		bool and = !strcmp(e->op, "&&");

		if (cg_const_long(e, &v)) {
			cg_push_long(g, v);
			break;
		}

		gen_value(g, e->a);
		j1 = cg_emit(g, and ? OP_JZ : OP_JNZ, 0, 0, 0);
		gen_value(g, e->b);
		j2 = cg_emit(g, and ? OP_JZ : OP_JNZ, 0, 0, 0);
		cg_push_long(g, and ? 1 : 0);
		jend = cg_emit(g, OP_JMP, 0, 0, 0);
		cg_patch(g, j1, cg_pc(g));
		cg_patch(g, j2, cg_pc(g));
		cg_push_long(g, and ? 0 : 1);
		cg_patch(g, jend, cg_pc(g));
		break;
	}
	case E_UNARY:
		if (cg_const_long(e, &v)) {
			cg_push_long(g, v);
			break;
		}
		gen_value(g, e->a);
		if (e->op[0] == '-')
			cg_emit(g, OP_NEG, 0, 0, 0);
		else if (e->op[0] == '!')
			cg_emit(g, OP_LNOT, 0, 0, 0);
		else if (e->op[0] == '~')
			cg_emit(g, OP_BNOT, 0, 0, 0);
		break;
	case E_PREINC:
		gen_incdec(g, e, false);
		break;
	case E_POSTINC:
		gen_incdec(g, e, true);
		break;
	case E_ASSIGN:
		r = gen_assign(g, e, true);
		break;
	case E_TERNARY: {
		struct jumplist jelse = { NULL, 0 };
		uint32_t jend;
		/* c ? printf(..) : printf(..): SystemTap allows branches
		   with no value where the value is not used */
		bool none = e->type == T_UNKNOWN;
		int64_t cv;

		if (cg_const_long(e->a, &cv)) {	/* only one branch is live */
			if (none)
				gen_discard(g, cv ? e->b : e->c);
			else
				gen_value(g, cv ? e->b : e->c);
			r = !none;
			break;
		}
		gen_branch(g, e->a, false, &jelse);
		if (none)
			gen_discard(g, e->b);
		else
			gen_value(g, e->b);
		jend = cg_emit(g, OP_JMP, 0, 0, 0);
		cg_jl_patch(g, &jelse, cg_pc(g));
		if (none)
			gen_discard(g, e->c);
		else
			gen_value(g, e->c);
		cg_patch(g, jend, cg_pc(g));
		r = !none;
		break;
	}
	case E_CALL:
		if (e->fn && e->fn->next_overload) {
			const struct function *f;

			gen_overloads(g, e);
			r = false;
			for (f = e->fn; f; f = f->next_overload)
				r = r || f->has_value_return;
			if (!r)
				cg_emit(g, OP_POP, 0, 0, 0);
			break;
		}
		for (i = 0; i < e->nargs; i++)
			gen_value(g, e->args[i]);
		g->cur = &e->loc;
		if (e->fn) {
			cg_emit(g, OP_CALL, 0, e->fn->index, 0);
			r = e->fn->has_value_return;
			if (!r)
				cg_emit(g, OP_POP, 0, 0, 0);
		} else if (e->bi) {
			cg_emit(g, OP_BUILTIN, e->nargs, e->bi->id, 0);
			r = e->bi->ret != T_UNKNOWN;
			g->uses_pystack |= e->bi->id == BI_pystack0 ||
					   e->bi->id == BI_pystack1 ||
					   e->bi->id == BI_pystacks;
		} else if (!strcmp(e->name, "exit")) {
			cg_emit(g, OP_EXIT, 0, 0, 0);
			r = false;
		} else if (!strcmp(e->name, "error")) {
			cg_emit(g, OP_ERROR, 0, 0, 0);
			r = false;
		} else {
			r = false;
		}
		break;
	case E_IN: {
		int32_t mask;

		if (!e->sym)
			break;
		mask = gen_keys(g, e->args, e->nargs);
		cg_emit(g, OP_AEXISTS, e->nargs, cg_gidx(e->sym), mask);
		break;
	}
	case E_REGEX:
		gen_value(g, e->a);
		g->cur = &e->loc;
		cg_emit(g, OP_REGEX, !strcmp(e->op, "!~"),
			cg_add_regex(g, e->str), 0);
		break;
	case E_STATOP: {
		struct expr *st = e->a;
		int op = cg_stat_op_code(e->name);

		if (st->kind == E_INDEX)
			gen_keys(g, st->args, st->nargs);
		if (op == 5)
			cg_push_long(g, e->b ? e->b->num : 0);
		g->cur = &e->loc;
		cg_emit(g, OP_STATOP, st->kind == E_INDEX ? st->nargs : 0,
		     cg_gidx(st->sym), op);
		break;
	}
	case E_HIST:
		diag_error(g->d, &e->loc,
			   "a histogram can only be printed (print(@%s(...))) or indexed (@%s(...)[N])",
			   e->name, e->name);
		r = false;
		break;
	case E_HIST_INDEX: {
		struct expr *st = e->a->a;

		if (st->kind == E_INDEX)
			gen_keys(g, st->args, st->nargs);
		gen_value(g, e->b);
		g->cur = &e->loc;
		cg_emit(g, OP_HISTBUCKET, st->kind == E_INDEX ? st->nargs : 0,
		     cg_gidx(st->sym), 0);
		break;
	}
	case E_PRINT:
		r = gen_print(g, e);
		break;
	case E_DEFINED:
		cg_push_long(g, 0);
		break;
	}
	g->cur = saved;
	return r;
}

/*
 * Jump to OUT when the truth of condition E is JUMP_IF, else fall through:
 * && || ! and constants become jumps, without making a 0/1 value.
 */
void gen_branch(struct cg *g, struct expr *e, bool jump_if,
		struct jumplist *out)
{
	const struct loc *saved = g->cur;
	struct jumplist skip = { NULL, 0 };
	int64_t v;

	g->cur = &e->loc;
	if (cg_const_long(e, &v)) {
		if ((v != 0) == jump_if)
			cg_jl_add(out, cg_emit(g, OP_JMP, 0, 0, 0));
	} else if (e->kind == E_UNARY && e->op[0] == '!') {
		gen_branch(g, e->a, !jump_if, out);
	} else if (e->kind == E_LOGICAL) {
		bool and = !strcmp(e->op, "&&");

		if (and != jump_if) {
			/* a && b false / a || b true: either one decides */
			gen_branch(g, e->a, jump_if, out);
			gen_branch(g, e->b, jump_if, out);
		} else {
			gen_branch(g, e->a, !jump_if, &skip);
			gen_branch(g, e->b, jump_if, out);
			cg_jl_patch(g, &skip, cg_pc(g));
		}
	} else {
		gen_value(g, e);
		cg_jl_add(out, cg_emit(g, jump_if ? OP_JNZ : OP_JZ, 0, 0, 0));
	}
	g->cur = saved;
}

void gen_discard(struct cg *g, struct expr *e)
{
	if (e->kind == E_ASSIGN) {
		const struct loc *saved = g->cur;

		g->cur = &e->loc;
		gen_assign(g, e, false);
		g->cur = saved;
		return;
	}
	if ((e->kind == E_POSTINC || e->kind == E_PREINC) && e->a->sym &&
	    e->a->kind == E_SYM && e->a->sym->kind != SYM_GLOBAL) {
		/* i++ as a statement: load, add, store */
		int delta = e->op[0] == '+' ? 1 : -1;

		g->cur = &e->loc;
		cg_emit(g, OP_LOAD, 0, e->a->sym->slot, 0);
		cg_push_long(g, delta);
		cg_emit(g, OP_ADD, 0, 0, 0);
		cg_emit(g, OP_STORE, 0, e->a->sym->slot, 0);
		return;
	}
	if (e->kind == E_POSTINC && e->a->sym) {
		/* the old value is not needed: skip the SUB */
		struct expr pre = *e;

		pre.kind = E_PREINC;
		if (gen_expr(g, &pre))
			cg_emit(g, OP_POP, 0, 0, 0);
		return;
	}
	if (gen_expr(g, e))
		cg_emit(g, OP_POP, 0, 0, 0);
}
