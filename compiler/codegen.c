/*
 * codegen.c - typed AST to bytecode (runtime/opcodes.h).
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

#include "builtin_list.h"
#include "builtins.h"
#include "codegen.h"
#include "format.h"
#include "strbuf.h"

#define MAX_TEMPS 64

struct jumplist {
	uint32_t *pcs;
	size_t n;
};

struct loop {
	struct jumplist brk, cont;
	struct loop *outer;
};

struct cg {
	struct bc_program *p;
	struct diag *d;
	const struct resolved *r;
	size_t cap_code, cap_l, cap_s, cap_f, cap_re, cap_sort, cap_loc,
		cap_line;
	/* current function */
	int nslots;		/* locals + temps in use */
	int maxslots;
	int niters, maxiters;
	struct loop *loop;
	const struct loc *cur;	/* location of the instruction being made */
	uint32_t last_act;	/* pc of the last ACT, if still mergeable */
	bool act_mergeable;
	int handler_base;	/* index of the first handler function */
	bool uses_pystack;	/* pystack()/pystacks() are called */
};

#define GROW(arr, n, cap)						\
	do {								\
		if ((n) >= (cap)) {					\
			(cap) = (cap) ? (cap) * 2 : 16;			\
			(arr) = realloc((arr), (cap) * sizeof(*(arr)));	\
			if (!(arr))					\
				abort();				\
		}							\
	} while (0)

/* ------------------------------------------------------------------ */
/* locations                                                          */

static const char *const keywords[] = {
	"probe", "global", "private", "function", "if", "else", "for",
	"foreach", "in", "limit", "return", "delete", "while", "break",
	"continue", "next", "string", "long", "try", "catch",
};

static char *near_text(const struct loc *l)
{
	struct strbuf sb = STRBUF_INIT;
	const char *t;
	int n;
	size_t i;

	if (!l || !l->src || l->off < 0 || (size_t)l->off >= l->src->len)
		return strdup("?");
	t = l->src->text + l->off;
	n = l->len > 0 ? l->len : 1;
	if ((size_t)(l->off + n) > l->src->len)
		n = (int)(l->src->len - (size_t)l->off);
	if (t[0] == '"')
		sb_puts(&sb, "string ");
	else if (t[0] >= '0' && t[0] <= '9')
		sb_puts(&sb, "number ");
	else if ((t[0] >= 'a' && t[0] <= 'z') || (t[0] >= 'A' && t[0] <= 'Z') ||
		 t[0] == '_' || t[0] == '$') {
		const char *kind = "identifier ";

		/* the token only: a call's location may span "f(...)" */
		for (i = 1; i < (size_t)n; i++)
			if (!((t[i] >= 'a' && t[i] <= 'z') ||
			      (t[i] >= 'A' && t[i] <= 'Z') ||
			      (t[i] >= '0' && t[i] <= '9') || t[i] == '_' ||
			      t[i] == '$'))
				break;
		n = (int)i;
		for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
			if ((size_t)n == strlen(keywords[i]) &&
			    !strncmp(t, keywords[i], (size_t)n))
				kind = "keyword ";
		sb_puts(&sb, kind);
	} else
		sb_puts(&sb, "operator ");
	sb_putc(&sb, '\'');
	sb_append(&sb, t, (size_t)n);
	sb_putc(&sb, '\'');
	return sb_steal(&sb);
}

static uint32_t add_loc(struct cg *g, const struct loc *l)
{
	struct bc_program *p = g->p;
	struct bc_loc *x;

	GROW(p->locs, p->nlocs, g->cap_loc);
	x = &p->locs[p->nlocs];
	x->near = near_text(l);
	x->file = strdup(l && l->src ? l->src->name : "?");
	x->line = l ? l->line : 0;
	x->col = l ? l->col : 0;
	return (uint32_t)p->nlocs++;
}

/* ------------------------------------------------------------------ */
/* emission                                                           */

static uint32_t pc(struct cg *g)
{
	return (uint32_t)g->p->ncode;
}

static uint32_t emit(struct cg *g, enum bc_op op, int x, int a, int32_t b)
{
	struct bc_program *p = g->p;
	struct bc_insn *in;

	/* record where this instruction came from, when it changes */
	if (g->cur) {
		const struct bc_loc *lastl = p->nlines ?
			&p->locs[p->lines[p->nlines - 1].loc] : NULL;

		if (!lastl || lastl->line != g->cur->line ||
		    lastl->col != g->cur->col ||
		    strcmp(lastl->file, g->cur->src ? g->cur->src->name : "?")) {
			uint32_t li = add_loc(g, g->cur);

			GROW(p->lines, p->nlines, g->cap_line);
			p->lines[p->nlines].pc = pc(g);
			p->lines[p->nlines].loc = li;
			p->nlines++;
		}
	}
	GROW(p->code, p->ncode, g->cap_code);
	in = &p->code[p->ncode];
	in->op = (uint8_t)op;
	in->x = (uint8_t)x;
	in->a = (uint16_t)a;
	in->b = b;
	/* a jump ends the straight-line run an ACT counts for (so does a
	   jump target: label()) */
	switch (op) {
	case OP_JMP: case OP_JZ: case OP_JNZ: case OP_TRY: case OP_ENDTRY:
	case OP_RET: case OP_NEXT: case OP_HALT: case OP_FEBEGIN:
	case OP_FENEXT:
		g->act_mergeable = false;
		break;
	default:
		break;
	}
	return (uint32_t)p->ncode++;
}

/* Count one statement against MAXACTION: one ACT per straight-line run
 * (no jump and no jump target in between) counts all of its statements
 * at the start of the run, as SystemTap checks a straight-line handler
 * once with a static count. */
static void emit_act(struct cg *g)
{
	if (g->act_mergeable) {
		g->p->code[g->last_act].b++;
		return;
	}
	g->last_act = emit(g, OP_ACT, 0, 0, 1);
	g->act_mergeable = true;
}

/* A jump target: no ACT merging across it. */
static void label(struct cg *g)
{
	g->act_mergeable = false;
}

static void patch(struct cg *g, uint32_t at, uint32_t target)
{
	g->p->code[at].b = (int32_t)target - (int32_t)at - 1;
	label(g);
}

static void jl_add(struct jumplist *j, uint32_t at)
{
	j->pcs = realloc(j->pcs, (j->n + 1) * sizeof(*j->pcs));
	j->pcs[j->n++] = at;
}

static void jl_patch(struct cg *g, struct jumplist *j, uint32_t target)
{
	size_t i;

	for (i = 0; i < j->n; i++)
		patch(g, j->pcs[i], target);
	free(j->pcs);
	j->pcs = NULL;
	j->n = 0;
}

static int lconst(struct cg *g, int64_t v)
{
	struct bc_program *p = g->p;
	size_t i;

	for (i = 0; i < p->nlconst; i++)
		if (p->lconst[i] == v)
			return (int)i;
	GROW(p->lconst, p->nlconst, g->cap_l);
	p->lconst[p->nlconst] = v;
	return (int)p->nlconst++;
}

static int sconst(struct cg *g, const char *s, size_t len)
{
	struct bc_program *p = g->p;
	size_t i;

	for (i = 0; i < p->nsconst; i++)
		if (p->sconst_len[i] == len && !memcmp(p->sconst[i], s, len))
			return (int)i;
	if (p->nsconst >= g->cap_s) {
		g->cap_s = g->cap_s ? g->cap_s * 2 : 16;
		p->sconst = realloc(p->sconst, g->cap_s * sizeof(*p->sconst));
		p->sconst_len = realloc(p->sconst_len,
					g->cap_s * sizeof(*p->sconst_len));
	}
	p->sconst[p->nsconst] = malloc(len + 1);
	memcpy(p->sconst[p->nsconst], s, len);
	p->sconst[p->nsconst][len] = 0;
	p->sconst_len[p->nsconst] = (uint32_t)len;
	return (int)p->nsconst++;
}

static int add_format(struct cg *g, const char *s, size_t len)
{
	struct bc_program *p = g->p;
	size_t i;

	for (i = 0; i < p->nformats; i++)
		if (p->format_len[i] == len && !memcmp(p->formats[i], s, len))
			return (int)i;
	if (p->nformats >= g->cap_f) {
		g->cap_f = g->cap_f ? g->cap_f * 2 : 16;
		p->formats = realloc(p->formats, g->cap_f * sizeof(*p->formats));
		p->format_len = realloc(p->format_len,
					g->cap_f * sizeof(*p->format_len));
	}
	p->formats[p->nformats] = malloc(len + 1);
	memcpy(p->formats[p->nformats], s, len);
	p->formats[p->nformats][len] = 0;
	p->format_len[p->nformats] = (uint32_t)len;
	return (int)p->nformats++;
}

static int add_regex(struct cg *g, const char *re)
{
	struct bc_program *p = g->p;
	size_t i;

	for (i = 0; i < p->nregexes; i++)
		if (!strcmp(p->regexes[i], re))
			return (int)i;
	GROW(p->regexes, p->nregexes, g->cap_re);
	p->regexes[p->nregexes] = strdup(re);
	return (int)p->nregexes++;
}

static void push_long(struct cg *g, int64_t v)
{
	if (v >= INT32_MIN && v <= INT32_MAX)
		emit(g, OP_PUSHI, 0, 0, (int32_t)v);
	else
		emit(g, OP_PUSHL, 0, 0, lconst(g, v));
}

static void push_str(struct cg *g, const char *s, size_t len)
{
	emit(g, OP_PUSHS, 0, 0, sconst(g, s, len));
}

static int temp(struct cg *g)
{
	int t = g->nslots++;

	if (g->nslots > g->maxslots)
		g->maxslots = g->nslots;
	return t;
}

/* ------------------------------------------------------------------ */
/* expressions                                                        */

static bool gen_expr(struct cg *g, struct expr *e);
static void gen_discard(struct cg *g, struct expr *e);
static void gen_branch(struct cg *g, struct expr *e, bool jump_if,
		       struct jumplist *out);

static void gen_value(struct cg *g, struct expr *e)
{
	if (!gen_expr(g, e)) {
		diag_error(g->d, &e->loc, "this expression has no value");
		push_long(g, 0);
	}
}

static int gidx(const struct symbol *s)
{
	return s->slot;
}

/* Push the keys of E (E_INDEX/E_IN args); returns the wildcard mask. */
static int32_t gen_keys(struct cg *g, struct expr **args, int n)
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

static bool const_long(const struct expr *e, int64_t *out);

/* Constant folding of long arithmetic and comparisons, with the VM's
 * semantics (wrap-around, shift counts & 63; division by zero and
 * INT64_MIN / -1 are left to the VM's runtime checks). */
static bool fold_binary(const struct expr *e, int64_t *out)
{
	int64_t a, b;
	const char *op = e->op;

	if (e->a->type == T_STRING || e->b->type == T_STRING ||
	    !const_long(e->a, &a) || !const_long(e->b, &b))
		return false;
	if (!strcmp(op, "+"))
		*out = (int64_t)((uint64_t)a + (uint64_t)b);
	else if (!strcmp(op, "-"))
		*out = (int64_t)((uint64_t)a - (uint64_t)b);
	else if (!strcmp(op, "*"))
		*out = (int64_t)((uint64_t)a * (uint64_t)b);
	else if (!strcmp(op, "/") && b != 0 && !(a == INT64_MIN && b == -1))
		*out = a / b;
	else if (!strcmp(op, "%") && b != 0 && !(a == INT64_MIN && b == -1))
		*out = a % b;
	else if (!strcmp(op, "&"))
		*out = a & b;
	else if (!strcmp(op, "|"))
		*out = a | b;
	else if (!strcmp(op, "^"))
		*out = a ^ b;
	else if (!strcmp(op, "<<"))
		*out = (int64_t)((uint64_t)a << (b & 63));
	else if (!strcmp(op, ">>"))
		*out = a >> (b & 63);
	else if (!strcmp(op, ">>>"))
		*out = (int64_t)((uint64_t)a >> (b & 63));
	else if (!strcmp(op, "<"))
		*out = a < b;
	else if (!strcmp(op, ">"))
		*out = a > b;
	else if (!strcmp(op, "<="))
		*out = a <= b;
	else if (!strcmp(op, ">="))
		*out = a >= b;
	else if (!strcmp(op, "=="))
		*out = a == b;
	else if (!strcmp(op, "!="))
		*out = a != b;
	else
		return false;
	return true;
}

/* The value of E when it is a constant long expression. */
static bool const_long(const struct expr *e, int64_t *out)
{
	int64_t x, y;

	switch (e->kind) {
	case E_NUM:
		*out = e->num;
		return true;
	case E_UNARY:
		if (!const_long(e->a, &x))
			return false;
		*out = e->op[0] == '-' ? (int64_t)(0 - (uint64_t)x) :
		       e->op[0] == '!' ? !x : e->op[0] == '~' ? ~x : x;
		return true;
	case E_BINARY:
		return strcmp(e->op, ".") != 0 && fold_binary(e, out);
	case E_LOGICAL:
		if (!const_long(e->a, &x) || !const_long(e->b, &y))
			return false;
		*out = !strcmp(e->op, "&&") ? (x && y) : (x || y);
		return true;
	case E_TERNARY:
		if (e->type != T_LONG || !const_long(e->a, &x))
			return false;
		return const_long(x ? e->b : e->c, out);
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
		{ "+", OP_ADD }, { "-", OP_SUB }, { "*", OP_MUL },
		{ "/", OP_DIV }, { "%", OP_MOD }, { "<<", OP_SHL },
		{ ">>", OP_SHR }, { ">>>", OP_USHR }, { "&", OP_BAND },
		{ "|", OP_BOR }, { "^", OP_BXOR }, { "<", OP_LT },
		{ "<=", OP_LE }, { ">", OP_GT }, { ">=", OP_GE },
		{ "==", OP_EQ }, { "!=", OP_NE },
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

static void load_sym(struct cg *g, const struct symbol *s)
{
	if (s->kind != SYM_GLOBAL)
		emit(g, OP_LOAD, 0, s->slot, 0);
	else
		emit(g, s->type == T_STRING ? OP_GLOADS : OP_GLOADL, 0,
		     gidx(s), 0);
}

static void store_sym(struct cg *g, const struct symbol *s)
{
	if (s->kind != SYM_GLOBAL)
		emit(g, OP_STORE, 0, s->slot, 0);
	else
		emit(g, s->type == T_STRING ? OP_GSTORES : OP_GSTOREL, 0,
		     gidx(s), 0);
}

/* Keys of an array lvalue evaluated once into temps; returns the first
 * temp.  Used when an element is both read and written. */
static int keys_to_temps(struct cg *g, struct expr *e)
{
	int first = g->nslots, i;

	for (i = 0; i < e->nargs; i++) {
		int t = temp(g);

		gen_value(g, e->args[i]);
		emit(g, OP_STORE, 0, t, 0);
	}
	return first;
}

static void load_temps(struct cg *g, int first, int n)
{
	int i;

	for (i = 0; i < n; i++)
		emit(g, OP_LOAD, 0, first + i, 0);
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
		push_long(g, delta);
		g->cur = &lv->loc;
		emit(g, OP_AINCR, lv->nargs, gidx(s), 0);
	} else if (s->kind == SYM_GLOBAL) {
		push_long(g, delta);
		emit(g, OP_GINCR, 0, gidx(s), 0);
	} else {
		emit(g, OP_LOAD, 0, s->slot, 0);
		push_long(g, delta);
		emit(g, OP_ADD, 0, 0, 0);
		emit(g, OP_DUP, 0, 0, 0);
		emit(g, OP_STORE, 0, s->slot, 0);
	}
	if (post) {
		push_long(g, delta);
		emit(g, OP_SUB, 0, 0, 0);
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
		emit(g, OP_STATADD, lv->kind == E_INDEX ? lv->nargs : 0,
		     gidx(s), 0);
		return false;
	}
	if (!strcmp(e->op, "=")) {
		if (lv->kind == E_INDEX) {
			int t = -1;

			gen_keys(g, lv->args, lv->nargs);
			gen_value(g, e->b);
			if (want) {
				t = temp(g);
				emit(g, OP_DUP, 0, 0, 0);
				emit(g, OP_STORE, 0, t, 0);
			}
			g->cur = &lv->loc;
			emit(g, is_str ? OP_ASETS : OP_ASETL, lv->nargs,
			     gidx(s), 0);
			if (want)
				emit(g, OP_LOAD, 0, t, 0);
			return want;
		}
		gen_value(g, e->b);
		if (want)
			emit(g, OP_DUP, 0, 0, 0);
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
				emit(g, OP_NEG, 0, 0, 0);
			g->cur = &lv->loc;
			emit(g, OP_AINCR, lv->nargs, gidx(s), 0);
			if (!want)
				emit(g, OP_POP, 0, 0, 0);
			return want;
		}
		first = keys_to_temps(g, lv);
		load_temps(g, first, lv->nargs);
		emit(g, is_str ? OP_AGETS : OP_AGETL, lv->nargs, gidx(s), 0);
		gen_value(g, e->b);
		emit(g, is_str ? OP_CONCAT : compound_op(e->op), 0, 0, 0);
		t = temp(g);
		emit(g, OP_STORE, 0, t, 0);
		load_temps(g, first, lv->nargs);
		emit(g, OP_LOAD, 0, t, 0);
		g->cur = &lv->loc;
		emit(g, is_str ? OP_ASETS : OP_ASETL, lv->nargs, gidx(s), 0);
		if (want)
			emit(g, OP_LOAD, 0, t, 0);
		return want;
	}
	if (s->kind == SYM_GLOBAL && !is_str &&
	    (!strcmp(e->op, "+=") || !strcmp(e->op, "-="))) {
		gen_value(g, e->b);
		if (e->op[0] == '-')
			emit(g, OP_NEG, 0, 0, 0);
		emit(g, OP_GINCR, 0, gidx(s), 0);
		if (!want)
			emit(g, OP_POP, 0, 0, 0);
		return want;
	}
	load_sym(g, s);
	gen_value(g, e->b);
	emit(g, is_str ? OP_CONCAT : compound_op(e->op), 0, 0, 0);
	if (want)
		emit(g, OP_DUP, 0, 0, 0);
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

static int stat_op_code(const char *n)
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
	emit(g, to_string ? OP_HISTSTR : OP_HISTPRINT,
	     st->kind == E_INDEX ? st->nargs : 0, gidx(st->sym), 0);
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
		fi = add_format(g, e->str, e->len);
		emit(g, to_string ? OP_SPRINTF : OP_PRINTF, e->nargs, fi, 0);
		return to_string;
	}
	/* print / println / printd / printdln: a format made here */
	if (!is_d && e->nargs == 1 && e->args[0]->kind == E_HIST) {
		bool v = gen_hist_print(g, e->args[0], to_string);

		if (ln) {
			fi = add_format(g, "\n", 1);
			if (to_string) {
				emit(g, OP_SPRINTF, 0, fi, 0);
				emit(g, OP_CONCAT, 0, 0, 0);
			} else {
				emit(g, OP_PRINTF, 0, fi, 0);
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
	fi = add_format(g, sb_str(&fmt), fmt.len);
	sb_free(&fmt);
	emit(g, to_string ? OP_SPRINTF : OP_PRINTF, e->nargs, fi, 0);
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
		int t = temp(g);

		gen_value(g, e->args[i]);
		emit(g, OP_STORE, 0, t, 0);
	}
	g->cur = &e->loc;
	for (f = e->fn; f; f = f->next_overload) {
		load_temps(g, first, e->nargs);
		emit(g, OP_CALL, f->next_overload ? 1 : 0, f->index, 0);
		if (f->next_overload)
			jl_add(&end, emit(g, OP_JMP, 0, 0, 0));
	}
	jl_patch(g, &end, pc(g));
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
		push_long(g, e->num);
		break;
	case E_STR:
		push_str(g, e->str, e->len);
		break;
	case E_STAR:
		push_long(g, 0);
		break;
	case E_SYM:
		if (e->sym)
			load_sym(g, e->sym);
		break;
	case E_INDEX:
		if (!e->sym)
			break;
		gen_keys(g, e->args, e->nargs);
		emit(g, e->sym->type == T_STRING ? OP_AGETS : OP_AGETL,
		     e->nargs, gidx(e->sym), 0);
		break;
	case E_CONTEXT:
		if (!strncmp(e->name, "arg", 3))
			emit(g, OP_CTX, 0, atoi(e->name + 3), 0);
		else
			emit(g, OP_CTXS, 0,
			     !strcmp(e->name, "$name") ? 0 :
			     !strcmp(e->name, "$provider") ? 1 :
			     !strcmp(e->name, "$vars") ? 2 : 3, 0);
		break;
	case E_BINARY:
		if (fold_binary(e, &v)) {
			push_long(g, v);
			break;
		}
		if (!strcmp(e->op, ".")) {
			struct strbuf sb = STRBUF_INIT;

			if (const_str(e, &sb)) {
				push_str(g, sb.buf ? sb.buf : "", sb.len);
				sb_free(&sb);
				break;
			}
			sb_free(&sb);
			gen_value(g, e->a);
			gen_value(g, e->b);
			g->cur = &e->loc;
			emit(g, OP_CONCAT, 0, 0, 0);
			break;
		}
		gen_value(g, e->a);
		gen_value(g, e->b);
		g->cur = &e->loc;
		if (e->a->type == T_STRING)
			emit(g, str_cmp_op(e->op), 0, 0, 0);
		else
			emit(g, arith_op(e->op), 0, 0, 0);
		break;
	case E_LOGICAL: {
		uint32_t j1, j2, jend;
		bool and = !strcmp(e->op, "&&");

		if (const_long(e, &v)) {
			push_long(g, v);
			break;
		}

		gen_value(g, e->a);
		j1 = emit(g, and ? OP_JZ : OP_JNZ, 0, 0, 0);
		gen_value(g, e->b);
		j2 = emit(g, and ? OP_JZ : OP_JNZ, 0, 0, 0);
		push_long(g, and ? 1 : 0);
		jend = emit(g, OP_JMP, 0, 0, 0);
		patch(g, j1, pc(g));
		patch(g, j2, pc(g));
		push_long(g, and ? 0 : 1);
		patch(g, jend, pc(g));
		break;
	}
	case E_UNARY:
		if (const_long(e, &v)) {
			push_long(g, v);
			break;
		}
		gen_value(g, e->a);
		if (e->op[0] == '-')
			emit(g, OP_NEG, 0, 0, 0);
		else if (e->op[0] == '!')
			emit(g, OP_LNOT, 0, 0, 0);
		else if (e->op[0] == '~')
			emit(g, OP_BNOT, 0, 0, 0);
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

		if (const_long(e->a, &cv)) {	/* only one branch is live */
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
		jend = emit(g, OP_JMP, 0, 0, 0);
		jl_patch(g, &jelse, pc(g));
		if (none)
			gen_discard(g, e->c);
		else
			gen_value(g, e->c);
		patch(g, jend, pc(g));
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
				emit(g, OP_POP, 0, 0, 0);
			break;
		}
		for (i = 0; i < e->nargs; i++)
			gen_value(g, e->args[i]);
		g->cur = &e->loc;
		if (e->fn) {
			emit(g, OP_CALL, 0, e->fn->index, 0);
			r = e->fn->has_value_return;
			if (!r)
				emit(g, OP_POP, 0, 0, 0);
		} else if (e->bi) {
			emit(g, OP_BUILTIN, e->nargs, e->bi->id, 0);
			r = e->bi->ret != T_UNKNOWN;
			g->uses_pystack |= e->bi->id == BI_pystack0 ||
					   e->bi->id == BI_pystack1 ||
					   e->bi->id == BI_pystacks;
		} else if (!strcmp(e->name, "exit")) {
			emit(g, OP_EXIT, 0, 0, 0);
			r = false;
		} else if (!strcmp(e->name, "error")) {
			emit(g, OP_ERROR, 0, 0, 0);
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
		emit(g, OP_AEXISTS, e->nargs, gidx(e->sym), mask);
		break;
	}
	case E_REGEX:
		gen_value(g, e->a);
		g->cur = &e->loc;
		emit(g, OP_REGEX, !strcmp(e->op, "!~"), add_regex(g, e->str), 0);
		break;
	case E_STATOP: {
		struct expr *st = e->a;
		int op = stat_op_code(e->name);

		if (st->kind == E_INDEX)
			gen_keys(g, st->args, st->nargs);
		if (op == 5)
			push_long(g, e->b ? e->b->num : 0);
		g->cur = &e->loc;
		emit(g, OP_STATOP, st->kind == E_INDEX ? st->nargs : 0,
		     gidx(st->sym), op);
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
		emit(g, OP_HISTBUCKET, st->kind == E_INDEX ? st->nargs : 0,
		     gidx(st->sym), 0);
		break;
	}
	case E_PRINT:
		r = gen_print(g, e);
		break;
	case E_DEFINED:
		push_long(g, 0);
		break;
	}
	g->cur = saved;
	return r;
}

/*
 * Jump to OUT when the truth of condition E is JUMP_IF, else fall through:
 * && || ! and constants become jumps, without making a 0/1 value.
 */
static void gen_branch(struct cg *g, struct expr *e, bool jump_if,
		       struct jumplist *out)
{
	const struct loc *saved = g->cur;
	struct jumplist skip = { NULL, 0 };
	int64_t v;

	g->cur = &e->loc;
	if (const_long(e, &v)) {
		if ((v != 0) == jump_if)
			jl_add(out, emit(g, OP_JMP, 0, 0, 0));
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
			jl_patch(g, &skip, pc(g));
		}
	} else {
		gen_value(g, e);
		jl_add(out, emit(g, jump_if ? OP_JNZ : OP_JZ, 0, 0, 0));
	}
	g->cur = saved;
}

static void gen_discard(struct cg *g, struct expr *e)
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
		emit(g, OP_LOAD, 0, e->a->sym->slot, 0);
		push_long(g, delta);
		emit(g, OP_ADD, 0, 0, 0);
		emit(g, OP_STORE, 0, e->a->sym->slot, 0);
		return;
	}
	if (e->kind == E_POSTINC && e->a->sym) {
		/* the old value is not needed: skip the SUB */
		struct expr pre = *e;

		pre.kind = E_PREINC;
		if (gen_expr(g, &pre))
			emit(g, OP_POP, 0, 0, 0);
		return;
	}
	if (gen_expr(g, e))
		emit(g, OP_POP, 0, 0, 0);
}

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
	so.agg = fe->sort_agg ? stat_op_code(fe->sort_agg) : 0;
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
		push_long(g, -1);
		return;
	}
	if (limit->kind == E_NUM) {
		push_long(g, limit->num < 0 ? 0 : limit->num);
		return;
	}
	gen_value(g, limit);
	emit(g, OP_DUP, 0, 0, 0);
	push_long(g, 0);
	emit(g, OP_LT, 0, 0, 0);
	j = emit(g, OP_JZ, 0, 0, 0);
	emit(g, OP_POP, 0, 0, 0);
	push_long(g, 0);
	patch(g, j, pc(g));
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
	emit(g, OP_FEBEGIN, iter, so, gidx(arr));
	top = pc(g);
	label(g);
	g->cur = &s->loc;
	emit_act(g);	/* every iteration counts */
	jdone = emit(g, OP_FENEXT, 0, iter, 0);
	for (i = fe->nkeys - 1; i >= 0; i--)
		emit(g, OP_STORE, 0, fe->keys[i]->sym->slot, 0);
	if (fe->value) {
		emit(g, OP_FEVALUE, iter, 0, 0);
		emit(g, OP_STORE, 0, fe->value->sym->slot, 0);
	}
	gen_loop_body(g, s->then, &l);
	jl_patch(g, &l.cont, top);
	jend = emit(g, OP_JMP, 0, 0, 0);
	patch(g, jend, top);
	patch(g, jdone, pc(g));
	jl_patch(g, &l.brk, pc(g));
	emit(g, OP_FEEND, iter, 0, 0);
	g->niters--;
}

static void gen_delete(struct cg *g, struct expr *e)
{
	const struct symbol *s = e->sym;

	if (!s)
		return;
	if (e->kind == E_INDEX) {
		int32_t mask = gen_keys(g, e->args, e->nargs);

		emit(g, OP_ADEL, e->nargs, gidx(s), mask);
	} else if (s->kind == SYM_GLOBAL) {
		emit(g, s->nkeys ? OP_ACLEAR : OP_GCLEAR, 0, gidx(s), 0);
	} else {
		if (s->type == T_STRING)
			push_str(g, "", 0);
		else
			push_long(g, 0);
		emit(g, OP_STORE, 0, s->slot, 0);
	}
}

static void gen_stmt(struct cg *g, struct stmt *s)
{
	uint32_t j1, j2, top;
	int i;

	if (!s)
		return;
	g->cur = &s->loc;
	if (s->kind != S_BLOCK && s->kind != S_NULL)
		emit_act(g);
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

		if (const_long(s->e, &cv)) {	/* only one branch is live */
			gen_stmt(g, cv ? s->then : s->els);
			break;
		}
		gen_branch(g, s->e, false, &jf);
		gen_stmt(g, s->then);
		if (s->els) {
			j2 = emit(g, OP_JMP, 0, 0, 0);
			jl_patch(g, &jf, pc(g));
			gen_stmt(g, s->els);
			patch(g, j2, pc(g));
		} else {
			jl_patch(g, &jf, pc(g));
		}
		break;
	}
	case S_WHILE: {
		struct loop l = { { 0 }, { 0 }, NULL };
		struct jumplist jf = { NULL, 0 };

		top = pc(g);
		label(g);
		g->cur = &s->loc;
		emit_act(g);	/* every iteration counts */
		gen_branch(g, s->e, false, &jf);
		gen_loop_body(g, s->then, &l);
		j2 = emit(g, OP_JMP, 0, 0, 0);
		patch(g, j2, top);
		jl_patch(g, &l.cont, top);
		jl_patch(g, &jf, pc(g));
		jl_patch(g, &l.brk, pc(g));
		break;
	}
	case S_FOR: {
		struct loop l = { { 0 }, { 0 }, NULL };
		struct jumplist jf = { NULL, 0 };
		uint32_t cont;

		if (s->init)
			gen_stmt(g, s->init);
		top = pc(g);
		label(g);
		g->cur = &s->loc;
		emit_act(g);	/* every iteration counts */
		if (s->e)
			gen_branch(g, s->e, false, &jf);
		gen_loop_body(g, s->then, &l);
		cont = pc(g);
		label(g);
		if (s->step)
			gen_stmt(g, s->step);
		j2 = emit(g, OP_JMP, 0, 0, 0);
		patch(g, j2, top);
		jl_patch(g, &l.cont, cont);
		jl_patch(g, &jf, pc(g));
		jl_patch(g, &l.brk, pc(g));
		break;
	}
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
		j1 = emit(g, OP_JMP, 0, 0, 0);
		jl_add(s->kind == S_BREAK ? &g->loop->brk : &g->loop->cont, j1);
		break;
	case S_NEXT:
		emit(g, OP_NEXT, 0, 0, 0);
		break;
	case S_RETURN:
		if (s->e)
			gen_value(g, s->e);
		else
			push_long(g, 0);
		emit(g, OP_RET, 0, 0, 0);
		break;
	case S_DELETE:
		gen_delete(g, s->e);
		break;
	case S_TRY:
		j1 = emit(g, OP_TRY, 0, 0, 0);
		gen_stmt(g, s->then);
		emit(g, OP_ENDTRY, 0, 0, 0);
		j2 = emit(g, OP_JMP, 0, 0, 0);
		patch(g, j1, pc(g));
		if (s->catchvar && s->catchvar->sym) {
			emit(g, OP_CATCHMSG, 0, 0, 0);
			emit(g, OP_STORE, 0, s->catchvar->sym->slot, 0);
		}
		gen_stmt(g, s->els);
		patch(g, j2, pc(g));
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
			push_str(g, "", 0);
			emit(g, OP_STORE, 0, s->slot, 0);
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
	bf->entry = pc(g);
	g->cur = endloc;
	init_string_locals(g, locals);
	gen_stmt(g, body);
	g->cur = endloc;
	if (is_handler) {
		emit(g, OP_HALT, 0, 0, 0);
	} else {
		if (ret == T_STRING)
			push_str(g, "", 0);
		else
			push_long(g, 0);
		emit(g, OP_RET, 0, 0, 0);
	}
	bf->size = pc(g) - bf->entry;
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
struct nest {
	struct function **stack;
	int n, cap;
	bool recursive;
};

static int nest_stmt(struct nest *ns, const struct stmt *s);

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
	d = 1 + nest_stmt(ns, f->body);
	ns->n--;
	return d;
}

static int nest_expr(struct nest *ns, const struct expr *e)
{
	int d = 0, x, i;

	if (!e)
		return 0;
	if (e->kind == E_CALL && e->fn)
		d = nest_call(ns, e->fn);
	else if (e->kind == E_CALL && e->bi)
		d = 1;		/* a tapset function in SystemTap */
	x = nest_expr(ns, e->a);
	d = x > d ? x : d;
	x = nest_expr(ns, e->b);
	d = x > d ? x : d;
	x = nest_expr(ns, e->c);
	d = x > d ? x : d;
	for (i = 0; i < e->nargs; i++) {
		x = nest_expr(ns, e->args[i]);
		d = x > d ? x : d;
	}
	return d;
}

static int nest_stmt(struct nest *ns, const struct stmt *s)
{
	int d, x, i;

	if (!s)
		return 0;
	d = nest_expr(ns, s->e);
	x = nest_stmt(ns, s->then);
	d = x > d ? x : d;
	x = nest_stmt(ns, s->els);
	d = x > d ? x : d;
	x = nest_stmt(ns, s->init);
	d = x > d ? x : d;
	x = nest_stmt(ns, s->step);
	d = x > d ? x : d;
	for (i = 0; i < s->nbody; i++) {
		x = nest_stmt(ns, s->body[i]);
		d = x > d ? x : d;
	}
	if (s->fe) {
		x = nest_expr(ns, s->fe->limit);
		d = x > d ? x : d;
	}
	return d;
}

static int64_t default_maxnesting(const struct resolved *r)
{
	struct nest ns = { NULL, 0, 0, false };
	const struct rhandler *h;
	int d = 1, x;

	for (h = r->handlers; h; h = h->next) {
		x = nest_stmt(&ns, h->body);
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
		bg->autoprint = s->written && !s->read;
		bg->hist = s->hist == 1 ? BH_LOG : s->hist == 2 ? BH_LINEAR
							       : BH_NONE;
		bg->hist_lo = s->hist_lo;
		bg->hist_hi = s->hist_hi;
		bg->hist_step = s->hist_step;
		bg->var_shift = s->var_shift;
		bg->loc = add_loc(&g, &s->loc);
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
		bp->pp = strdup(h->pt.pp);
		bp->pn = h->pt.pn ? strdup(h->pt.pn) : NULL;
		bp->handler = r->nfunctions + i;
		bp->cond_global = -1;
	}
	/* a deep stack (a pool worker, a web request) is a few KB: stacks
	   keyed by pystack() keep their innermost frames without -D */
	if (!lim->maxstringlen && g.uses_pystack)
		p->maxstringlen = CODEGEN_PYSTACK_MAXSTRINGLEN;
	return d->nerrors - errors0;
}
