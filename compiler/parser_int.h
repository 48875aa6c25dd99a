/*
 * parser_int.h - what the lexer (lexer.l), the grammar (parser.y) and the
 * node builders of its actions (parser_build.c) share: tokens, the
 * per-source state, and the builders.  Not for use outside the parser;
 * its interface is parse.h.
 */
#ifndef PYTAP_PARSER_INT_H
#define PYTAP_PARSER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ast.h"
#include "diag.h"
#include "parse.h"

/* A token as the lexer hands it to the parser (allocated in a scratch
 * arena that lives for one parse_source call). */
struct token {
	int kind;		/* the parser's token kind (TOK_*, a char) */
	const char *text;	/* source text, NUL-terminated */
	size_t textlen;
	const char *str;	/* STRING: decoded value (may hold NULs) */
	size_t len;
	int64_t num;		/* NUMBER value; $N/@N index */
	struct loc loc;
	bool adjacent;		/* nothing (blank, comment) before it */
	bool bol;		/* first token on its line */
	bool synthetic;		/* made by error recovery */
	const char *msg;	/* error to report when the token is used */
};

/* What the lexer and the parser share for one source. */
struct pcommon {
	struct diag *d;
	struct ast_arena *a;		/* the AST's arena */
	struct ast_arena *tmp;		/* tokens; freed after the parse */
	const struct source *src;
	const struct parse_opts *opts;
	struct refusal **refusals;	/* where pc_refuse appends; NULL:
					   refusals are errors at once */
	int nerrors;
	bool fatal;		/* give up: the lexer returns end of input and
				   the parser reports nothing more */
};

/* Errors per source after which parsing stops. */
#define PARSE_MAX_ERRORS 8

void pc_error(struct pcommon *pc, const struct loc *loc, const char *fmt, ...)
	ATTRIBUTE_FORMAT(3, 4);
/* A refusal, reported by pass 2 (see struct refusal). */
void pc_refuse(struct pcommon *pc, const struct loc *loc, const char *fmt, ...)
	ATTRIBUTE_FORMAT(3, 4);
void pc_warning(struct pcommon *pc, const struct loc *loc,
		const char *fmt, ...) ATTRIBUTE_FORMAT(3, 4);

/* lexer.l: the token stream (arguments, macros, conditionals applied). */
struct ptlex;
struct ptlex *ptlex_new(struct pcommon *pc, int start_kind);
void ptlex_free(struct ptlex *lx);
int ptlex_next(struct ptlex *lx, struct token **tokp);
void ptlex_resync(struct ptlex *lx, bool toplevel);
const struct token *ptlex_last(const struct ptlex *lx);
const struct token *ptlex_innermost_open(const struct ptlex *lx);
bool ptlex_saw_raw_tokens(const struct ptlex *lx);
bool ptlex_delivered_tokens(const struct ptlex *lx);
/* A library macro file: its macros, added to *LIB. */
void ptlex_macro_library(struct ptlex *lx, struct macro **lib);

struct list {
	void **v;
	int n;
};

/* The parser's state for one parse_source / parse_probe_point call. */
struct pparse {
	struct pcommon pc;
	struct ptlex *lx;
	struct script *out;
	struct probe **probe_tail;
	struct symbol **global_tail;
	struct function **func_tail;
	struct list globals;		/* declared in this source */
	bool in_function;
	bool alias_epi;			/* this alias used '+=' */
	struct probe_point *pp_result;	/* parse_probe_point */
};

/* foreach's "@agg+" and "+"/"-" after the array. */
struct fesort {
	const struct token *agg, *aggdir, *sort;
};

/* A foreach variable with its optional sort mark. */
struct fevar {
	struct expr *sym;
	const struct token *dir;	/* '+' / '-' or NULL */
	bool is_value;			/* the `v =` variable */
};

/* Small constructors in the AST arena, used all over the actions.  Lists
 * become node arrays (block bodies, arguments). */
static inline struct list *L(struct pparse *ps)
{
	return ast_alloc(ps->pc.a, sizeof(struct list));
}

static inline struct list *Lpush(struct pparse *ps, struct list *l, void *item)
{
	l->n = ast_push(ps->pc.a, &l->v, l->n, item);
	return l;
}

static inline char *S(struct pparse *ps, const struct token *t)
{
	return ast_strndup(ps->pc.a, t->text, t->textlen);
}

static inline struct expr *E(struct pparse *ps, enum expr_kind k,
			     const struct loc *loc)
{
	return ast_expr(ps->pc.a, k, loc);
}

static inline struct stmt *ST(struct pparse *ps, enum stmt_kind k,
			      const struct loc *loc)
{
	struct loc l = *loc;
	return ast_stmt(ps->pc.a, k, &l);
}

/* Copy a list into an expression's args (in the AST arena). */
static inline void set_args(struct expr *e, struct list *l)
{
	e->nargs = l ? l->n : 0;
	e->args = NULL;
	if (e->nargs)
		e->args = (struct expr **)l->v;
}

/* parser_build.c: nodes from the grammar's pieces, with the checks
 * SystemTap's parser makes while it builds them. */
struct expr *mk_num(struct pparse *ps, const struct token *t,
		    bool neg, const struct loc *loc);
struct expr *mk_str(struct pparse *ps, const struct token *t);
struct expr *mk_bin(struct pparse *ps, enum expr_kind k,
		    const struct token *op, struct expr *a,
		    struct expr *b);
struct expr *mk_call(struct pparse *ps, const struct token *name,
		     struct list *args);
struct expr *mk_dummy(struct pparse *ps, const struct loc *loc);
void dwarf_error(struct pparse *ps, const struct loc *loc,
		 const char *what);
struct stmt *mk_block(struct pparse *ps, const struct loc *loc,
		      struct list *l);
struct list *pp_single(struct pparse *ps, const struct token *name,
		       const struct loc *loc, struct expr *arg);
struct list *pp_product(struct pparse *ps, struct list *a,
			struct list *b);
void pp_suffix(struct pparse *ps, struct list *pps, int mark,
	       const struct loc *markloc, struct expr *cond);
void add_probe(struct pparse *ps, enum probe_kind kind,
	       const struct loc *loc, struct list *names,
	       struct list *targets, struct stmt *body,
	       struct stmt *epi, const struct loc *epiloc);
void add_globals(struct pparse *ps, struct list *syms, bool privat);
struct symbol *mk_global(struct pparse *ps, const struct token *name,
			 bool wrap, struct expr *size,
			 const struct loc *sizeloc, struct expr *init,
			 const struct loc *initloc);
void add_function(struct pparse *ps, struct function *fn,
		  struct stmt *body, bool privat);
struct function *mk_function(struct pparse *ps,
			     const struct token *name, int rettype,
			     struct list *params, struct expr *prio,
			     const struct loc *prioloc);
struct stmt *mk_foreach(struct pparse *ps, const struct loc *loc,
			struct list *head, struct expr *array,
			struct list *slice, struct fesort *fs,
			struct expr *limit, struct stmt *body);
bool check_adjacent(struct pparse *ps, const struct token *t);
bool is_print_name(const char *name);

#endif
