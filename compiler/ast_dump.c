/*
 * ast_dump.c - pytap -p1: the tree printed back as script text.
 *
 * The output is valid pytap input that parses to the same tree: binary
 * operations are fully parenthesized, every simple statement ends in ';'
 * (statement separators are optional in the language, so "a" followed by
 * "++b" on the next line would otherwise read as "a++ b"), and numbers that
 * wrapped past 2^63 are printed unsigned so they read back the same.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ast.h"
#include "strbuf.h"

static void dump_expr(struct strbuf *out, const struct expr *e, bool paren);

static void indent(struct strbuf *out, int n)
{
	for (int i = 0; i < n; i++)
		sb_puts(out, "    ");
}

static void dump_string(struct strbuf *out, const char *s, size_t n)
{
	sb_put_cstring(out, s, n, false);	/* as stap -p1 */
}

/* A literal where a sign is allowed (global init, probe point argument,
 * histogram and @variance parameters). */
static void dump_literal(struct strbuf *out, const struct expr *e)
{
	if (e->kind == E_STR)
		dump_string(out, e->str, e->len);
	else if (e->kind == E_NUM)
		sb_printf(out, "%" PRId64, e->num);
	else
		dump_expr(out, e, true);
}

static bool compound(const struct expr *e)
{
	switch (e->kind) {
	case E_BINARY: case E_LOGICAL: case E_UNARY: case E_PREINC:
	case E_ASSIGN: case E_TERNARY: case E_IN: case E_REGEX:
		return true;
	default:
		return false;
	}
}

static void dump_args(struct strbuf *out, struct expr *const *args, int n,
		      bool comma_first)
{
	for (int i = 0; i < n; i++) {
		if (i || comma_first)
			sb_puts(out, ", ");
		dump_expr(out, args[i], false);
	}
}

static void dump_expr(struct strbuf *out, const struct expr *e, bool paren)
{
	if (!e) {
		sb_puts(out, "0");
		return;
	}
	bool wrap = paren && compound(e);
	if (wrap)
		sb_putc(out, '(');
	switch (e->kind) {
	case E_NUM:
		sb_printf(out, "%" PRIu64, (uint64_t)e->num);
		break;
	case E_STR:
		dump_string(out, e->str, e->len);
		break;
	case E_SYM:
		sb_puts(out, e->name);
		break;
	case E_INDEX:
		sb_printf(out, "%s[", e->name);
		dump_args(out, e->args, e->nargs, false);
		sb_putc(out, ']');
		break;
	case E_CONTEXT:
		sb_printf(out, "$%s", e->name);
		break;
	case E_BINARY:
	case E_LOGICAL:
	case E_ASSIGN:		/* its right side needs no parentheses */
		dump_expr(out, e->a, true);
		sb_printf(out, " %s ", e->op);
		dump_expr(out, e->b, e->kind != E_ASSIGN);
		break;
	case E_UNARY:
	case E_PREINC:
		sb_puts(out, e->op);
		dump_expr(out, e->a, true);
		break;
	case E_POSTINC:
		dump_expr(out, e->a, true);
		sb_puts(out, e->op);
		break;
	case E_TERNARY:
		dump_expr(out, e->a, true);
		sb_puts(out, " ? ");
		dump_expr(out, e->b, false);
		sb_puts(out, " : ");
		dump_expr(out, e->c, e->c && e->c->kind != E_TERNARY);
		break;
	case E_CALL:
		sb_printf(out, "%s(", e->name);
		dump_args(out, e->args, e->nargs, false);
		sb_putc(out, ')');
		break;
	case E_IN:
		if (e->nargs == 1 && e->args[0]->kind != E_STAR) {
			dump_expr(out, e->args[0], true);
		} else {
			sb_putc(out, '[');
			for (int i = 0; i < e->nargs; i++) {
				if (i)
					sb_puts(out, ", ");
				dump_expr(out, e->args[i], true);
			}
			sb_putc(out, ']');
		}
		sb_printf(out, " in %s", e->name);
		break;
	case E_REGEX:
		dump_expr(out, e->a, true);
		sb_printf(out, " %s ", e->op);
		dump_string(out, e->str, e->len);
		break;
	case E_STATOP:		/* @variance(s, N): N in b */
	case E_HIST:		/* @hist_linear(s, lo, hi, step): in args */
		sb_printf(out, "@%s(", e->name);
		dump_expr(out, e->a, false);
		if (e->b) {
			sb_puts(out, ", ");
			dump_literal(out, e->b);
		}
		for (int i = 0; i < e->nargs; i++) {
			sb_puts(out, ", ");
			dump_literal(out, e->args[i]);
		}
		sb_putc(out, ')');
		break;
	case E_HIST_INDEX:
		dump_expr(out, e->a, false);
		sb_putc(out, '[');
		dump_expr(out, e->b, false);
		sb_putc(out, ']');
		break;
	case E_PRINT:
		sb_printf(out, "%s(", e->name);
		if (e->str) {
			dump_string(out, e->str, e->len);
			dump_args(out, e->args, e->nargs, true);
		} else {
			dump_args(out, e->args, e->nargs, false);
		}
		sb_putc(out, ')');
		break;
	case E_STAR:
		sb_putc(out, '*');
		break;
	case E_DEFINED:
		sb_puts(out, e->op && !strcmp(e->op, "@probewrite") ?
			"@probewrite(" : "@defined(");
		dump_expr(out, e->a, false);
		sb_putc(out, ')');
		break;
	}
	if (wrap)
		sb_putc(out, ')');
}

void ast_dump_expr(struct strbuf *out, const struct expr *e)
{
	dump_expr(out, e, false);
}

static void dump_stmt(struct strbuf *out, const struct stmt *s, int ind,
		      bool lead);

/* The body of if/while/for/foreach: a block stays on the line. */
static void dump_body(struct strbuf *out, const struct stmt *s, int ind)
{
	if (s && s->kind == S_BLOCK) {
		sb_putc(out, ' ');
		dump_stmt(out, s, ind, false);
	} else {
		sb_putc(out, '\n');
		dump_stmt(out, s, ind + 1, true);
	}
}

static void dump_foreach(struct strbuf *out, const struct foreach *fe)
{
	sb_puts(out, "foreach (");
	if (fe->value)
		sb_printf(out, "%s = ", fe->value->name);
	const char *dir = fe->sort_dir < 0 ? "-" : "+";
	bool brackets = fe->nkeys != 1;
	if (brackets)
		sb_putc(out, '[');
	for (int i = 0; i < fe->nkeys; i++) {
		if (i)
			sb_puts(out, ", ");
		sb_puts(out, fe->keys[i]->name);
		if (fe->sort_col == i + 1)
			sb_puts(out, dir);
	}
	if (brackets)
		sb_putc(out, ']');
	sb_puts(out, " in ");
	dump_expr(out, fe->array, false);
	if (fe->slice) {
		sb_putc(out, '[');
		dump_args(out, fe->slice, fe->nkeys, false);
		sb_putc(out, ']');
	}
	if (fe->sort_col == -1) {
		if (fe->sort_agg)
			sb_printf(out, " @%s", fe->sort_agg);
		sb_puts(out, dir);
	}
	if (fe->limit) {
		sb_puts(out, " limit ");
		dump_expr(out, fe->limit, false);
	}
	sb_putc(out, ')');
}

static void dump_stmt(struct strbuf *out, const struct stmt *s, int ind,
		      bool lead)
{
	if (lead)
		indent(out, ind);
	if (!s) {
		sb_puts(out, ";\n");
		return;
	}
	switch (s->kind) {
	case S_NULL:
		sb_puts(out, ";\n");
		break;
	case S_EXPR:
		dump_expr(out, s->e, false);
		sb_puts(out, ";\n");
		break;
	case S_BLOCK:
		sb_puts(out, "{\n");
		for (int i = 0; i < s->nbody; i++)
			dump_stmt(out, s->body[i], ind + 1, true);
		indent(out, ind);
		sb_puts(out, "}\n");
		break;
	case S_IF:
		sb_puts(out, "if (");
		dump_expr(out, s->e, false);
		sb_putc(out, ')');
		dump_body(out, s->then, ind);
		if (s->els) {
			indent(out, ind);
			sb_puts(out, "else");
			if (s->els->kind == S_IF) {
				sb_putc(out, ' ');
				dump_stmt(out, s->els, ind, false);
			} else {
				dump_body(out, s->els, ind);
			}
		}
		break;
	case S_WHILE:
		sb_puts(out, "while (");
		dump_expr(out, s->e, false);
		sb_putc(out, ')');
		dump_body(out, s->then, ind);
		break;
	case S_FOR:
		sb_puts(out, "for (");
		if (s->init)
			dump_expr(out, s->init->e, false);
		sb_puts(out, "; ");
		if (s->e)
			dump_expr(out, s->e, false);
		sb_puts(out, "; ");
		if (s->step)
			dump_expr(out, s->step->e, false);
		sb_putc(out, ')');
		dump_body(out, s->then, ind);
		break;
	case S_FOREACH:
		dump_foreach(out, s->fe);
		dump_body(out, s->then, ind);
		break;
	case S_BREAK:
		sb_puts(out, "break;\n");
		break;
	case S_CONTINUE:
		sb_puts(out, "continue;\n");
		break;
	case S_NEXT:
		sb_puts(out, "next;\n");
		break;
	case S_RETURN:
		sb_puts(out, "return");
		if (s->e) {
			sb_putc(out, ' ');
			dump_expr(out, s->e, false);
		}
		sb_puts(out, ";\n");
		break;
	case S_DELETE:
		sb_puts(out, "delete ");
		dump_expr(out, s->e, false);
		sb_puts(out, ";\n");
		break;
	case S_TRY:
		sb_puts(out, "try ");
		dump_stmt(out, s->then, ind, false);
		indent(out, ind);
		sb_puts(out, "catch ");
		if (s->catchvar)
			sb_printf(out, "(%s) ", s->catchvar->name);
		dump_stmt(out, s->els, ind, false);
		break;
	}
}

void ast_dump_stmt(struct strbuf *out, const struct stmt *s, int ind)
{
	dump_stmt(out, s, ind, true);
}

void ast_dump_probe_point(struct strbuf *out, const struct probe_point *pp)
{
	for (int i = 0; i < pp->ncomps; i++) {
		const struct pp_component *c = &pp->comps[i];
		if (i)
			sb_putc(out, '.');
		sb_puts(out, c->name);
		if (c->has_arg) {
			sb_putc(out, '(');
			if (c->arg_is_str)
				dump_string(out, c->arg_str,
					    strlen(c->arg_str));
			else
				sb_printf(out, "%" PRId64, c->arg_num);
			sb_putc(out, ')');
		}
	}
	if (pp->sufficient)
		sb_putc(out, '!');
	else if (pp->optional)
		sb_putc(out, '?');
	if (pp->cond) {
		sb_puts(out, " if (");
		dump_expr(out, pp->cond, false);
		sb_putc(out, ')');
	}
}

static void dump_body_block(struct strbuf *out, const struct stmt *s)
{
	if (s && s->kind == S_BLOCK) {
		dump_stmt(out, s, 0, false);
	} else {
		sb_puts(out, "{\n");
		if (s)
			dump_stmt(out, s, 1, true);
		sb_puts(out, "}\n");
	}
}

void ast_dump_script(struct strbuf *out, const struct script *s)
{
	bool any = false;
	for (const struct symbol *g = s->globals; g; g = g->next) {
		if (g->privat)
			sb_puts(out, "private ");
		sb_printf(out, "global %s", g->name);
		if (g->wrap)
			sb_putc(out, '%');
		if (g->maxsize)
			sb_printf(out, "[%" PRId64 "]", g->maxsize);
		if (g->init) {
			sb_puts(out, " = ");
			dump_literal(out, g->init);
		}
		sb_putc(out, '\n');
		any = true;
	}
	for (const struct probe *p = s->probes; p; p = p->next) {
		if (any)
			sb_putc(out, '\n');
		any = true;
		sb_puts(out, "probe ");
		if (p->kind != PROBE_PLAIN && p->alias_name) {
			ast_dump_probe_point(out, p->alias_name);
			sb_puts(out, p->kind == PROBE_ALIAS_EPI ? " += "
								: " = ");
		}
		for (int i = 0; i < p->npoints; i++) {
			if (i)
				sb_puts(out, ", ");
			ast_dump_probe_point(out, p->points[i]);
		}
		sb_putc(out, ' ');
		if (p->epilogue) {
			struct strbuf pro = STRBUF_INIT;
			dump_body_block(&pro, p->body);
			/* "{...}\n" without its newline, then ", {...}" */
			sb_append(out, sb_str(&pro), pro.len ? pro.len - 1 : 0);
			sb_free(&pro);
			sb_puts(out, ", ");
			dump_body_block(out, p->epilogue);
		} else {
			dump_body_block(out, p->body);
		}
	}
	for (const struct function *f = s->functions; f; f = f->next) {
		if (any)
			sb_putc(out, '\n');
		any = true;
		if (f->privat)
			sb_puts(out, "private ");
		sb_printf(out, "function %s", f->name);
		if (f->rettype == T_LONG)
			sb_puts(out, ":long");
		else if (f->rettype == T_STRING)
			sb_puts(out, ":string");
		sb_putc(out, '(');
		for (int i = 0; i < f->nparams; i++) {
			const struct symbol *p = f->params[i];
			if (i)
				sb_puts(out, ", ");
			sb_puts(out, p->name);
			if (p->type == T_LONG)
				sb_puts(out, ":long");
			else if (p->type == T_STRING)
				sb_puts(out, ":string");
		}
		sb_puts(out, ") ");
		dump_body_block(out, f->body);
	}
}
