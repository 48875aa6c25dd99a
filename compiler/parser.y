/*
 * parser.y - the pytap (SystemTap) grammar: tokens from lexer.l in, AST
 * nodes (ast.h) out.
 *
 * The grammar follows SystemTap's recursive-descent parser (parse.cxx)
 * level by level, so precedence and the places that take only a literal
 * are the same.  Statement separators are optional in the language, which
 * makes "a - b" either one expression or two statements; like SystemTap
 * we always continue the expression.  Those shift/reduce choices are made
 * with %prec LOW on the rules that end an expression or statement (see
 * the precedence block), so the grammar has no unresolved conflicts.
 *
 * Errors: yyreport_syntax_error turns bison's expected-token set into
 * SystemTap's wording ("expected ')'", "expected statement", ...), adding
 * "(to close '(' at line N)" when the opener is on another line.  Recovery
 * is by `error` rules at statement and declaration level; the lexer then
 * skips to a sane restart point (ptlex_resync) so one mistake gives one
 * message.
 */

%code top {
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
}

%code requires {
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
	int nerrors;
	bool fatal;		/* give up: the lexer returns end of input and
				   the parser reports nothing more */
};

/* Errors per source after which parsing stops. */
#define PARSE_MAX_ERRORS 8

void pc_error(struct pcommon *pc, const struct loc *loc, const char *fmt, ...)
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

struct pparse;
struct list {
	void **v;
	int n;
};
}

%code provides {
int pt_parse(struct pparse *ps);
}

%code {
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

#define YYLLOC_DEFAULT(Cur, Rhs, N)					\
	do {								\
		if (N) {						\
			(Cur) = YYRHSLOC(Rhs, 1);			\
			const struct loc *l_ = &YYRHSLOC(Rhs, N);	\
			if (l_->src == (Cur).src &&			\
			    l_->off >= (Cur).off)			\
				(Cur).len = l_->off + l_->len -		\
					    (Cur).off;			\
		} else {						\
			(Cur) = YYRHSLOC(Rhs, 0);			\
			(Cur).off += (Cur).len;				\
			(Cur).col += (Cur).len;				\
			(Cur).len = 0;					\
		}							\
	} while (0)

static int yylex(PT_STYPE *lval, struct loc *lloc, struct pparse *ps);
static void pt_error(const struct loc *loc, struct pparse *ps,
		     const char *msg);

/* helpers (defined after the grammar) */
static struct list *L(struct pparse *ps);
static struct list *Lpush(struct pparse *ps, struct list *l, void *item);
static char *S(struct pparse *ps, const struct token *t);
static struct expr *E(struct pparse *ps, enum expr_kind k,
		      const struct loc *loc);
static struct stmt *ST(struct pparse *ps, enum stmt_kind k,
		       const struct loc *loc);
static struct expr *mk_num(struct pparse *ps, const struct token *t,
			   bool neg, const struct loc *loc);
static struct expr *mk_str(struct pparse *ps, const struct token *t);
static struct expr *mk_bin(struct pparse *ps, enum expr_kind k,
			   const struct token *op, struct expr *a,
			   struct expr *b);
static struct expr *mk_call(struct pparse *ps, const struct token *name,
			    struct list *args);
static struct expr *mk_dummy(struct pparse *ps, const struct loc *loc);
static void set_args(struct expr *e, struct list *l);
static void dwarf_error(struct pparse *ps, const struct loc *loc,
			const char *what);
static struct stmt *mk_block(struct pparse *ps, const struct loc *loc,
			     struct list *l);
static struct list *pp_single(struct pparse *ps, const struct token *name,
			      const struct loc *loc, struct expr *arg);
static struct list *pp_product(struct pparse *ps, struct list *a,
			       struct list *b);
static void pp_suffix(struct pparse *ps, struct list *pps, int mark,
		      const struct loc *markloc, struct expr *cond);
static void add_probe(struct pparse *ps, enum probe_kind kind,
		      const struct loc *loc, struct list *names,
		      struct list *targets, struct stmt *body,
		      struct stmt *epi, const struct loc *epiloc);
static void add_globals(struct pparse *ps, struct list *syms, bool privat);
static struct symbol *mk_global(struct pparse *ps, const struct token *name,
				bool wrap, struct expr *size,
				const struct loc *sizeloc, struct expr *init,
				const struct loc *initloc);
static void add_function(struct pparse *ps, struct function *fn,
			 struct stmt *body, bool privat);
static struct function *mk_function(struct pparse *ps,
				    const struct token *name, int rettype,
				    struct list *params, struct expr *prio,
				    const struct loc *prioloc);
struct fesort;
static struct stmt *mk_foreach(struct pparse *ps, const struct loc *loc,
			       struct list *head, struct expr *array,
			       struct list *slice, struct fesort *fs,
			       struct expr *limit, struct stmt *body);
static bool check_adjacent(struct pparse *ps, const struct token *t);
static bool is_print_name(const char *name);

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
}

%define api.pure full
%define api.prefix {pt_}
%define api.token.prefix {TOK_}
%define api.location.type {struct loc}
%define parse.error custom
%define parse.lac full
%locations
%expect 0
%parse-param {struct pparse *ps}
%lex-param {struct pparse *ps}

%union {
	struct token *tok;
	struct expr *expr;
	struct stmt *stmt;
	struct list *list;
	struct fevar *fevar;
	struct fesort *fesort;
	struct function *fn;
	struct symbol *sym;
	int num;
}

/* Tokens.  Single-character operators are their own character. */
%token END 0 "end of input"
%token <tok> IDENT "identifier"
%token <tok> CONTEXT "context variable"
%token <tok> NUMBER "number"
%token <tok> STRING "string literal"
%token <tok> EMBEDDED "embedded C"
%token <tok> PROBE "probe" GLOBAL "global" PRIVATE "private"
%token <tok> FUNCTION "function" IF "if" ELSE "else" FOR "for"
%token <tok> FOREACH "foreach" IN "in" LIMIT "limit" RETURN "return"
%token <tok> DELETE "delete" WHILE "while" BREAK "break"
%token <tok> CONTINUE "continue" NEXT "next" STRING_KW "string"
%token <tok> LONG_KW "long" TRY "try" CATCH "catch"
%token <tok> AT_STATOP "@count" AT_HIST_LOG "@hist_log"
%token <tok> AT_HIST_LINEAR "@hist_linear" AT_DEFINED "@defined"
%token <tok> AT_DWARF "@cast" AT_PROBEWRITE "@probewrite"
%token <tok> AT_UNKNOWN "@operator"
%token <tok> PLUS_ASSIGN "+=" ASSIGN_OP "assignment operator"
%token <tok> EQ "==" NE "!=" LE "<=" GE ">=" MATCH "=~" NMATCH "!~"
%token <tok> ANDAND "&&" OROR "||" INC "++" DEC "--" ARROW "->"
%token <tok> SHL "<<" SHR ">>" USHR ">>>"
%token <tok> '+' '-' '*' '/' '%' '<' '>' '!' '~' '&' '|' '^' '.' '?' ':'
%token <tok> ',' ';' '(' ')' '[' ']' '{' '}' '='
/* Lexer-internal tokens: the parser never sees them. */
%token PP_OPEN "%(" PP_THEN "%?" PP_ELSE "%:" PP_CLOSE "%)"
%token AT_DEFINE "@define" AT_WORD "@word"
%token ARG_DOLLAR "$N" ARG_AT "@N" ARGC_DOLLAR "$#" ARGC_AT "@#"
%token JUNK "junk"
%token START_SCRIPT START_PP

/*
 * Only for the "juxtaposed statements" choices: a rule marked LOW ends
 * an expression/statement, and loses against a token that can continue
 * it.  Everything else is plain LALR(1).
 */
%precedence LOW
%precedence ELSE
%precedence ';' '(' '[' '+' '-' INC DEC '&' '!' '~'
	    IDENT CONTEXT NUMBER STRING EMBEDDED
	    AT_STATOP AT_HIST_LOG AT_HIST_LINEAR AT_DEFINED AT_DWARF
	    AT_PROBEWRITE AT_UNKNOWN

%type <expr> expr assignment ternary lor land bor bxor band arrin cmp cmpchain
%type <expr> shift concat additive mult unary crement value primary
%type <expr> hist_op literal signed_number inkey idxarg opt_expr
%type <expr> opt_limit pp_cond
%type <tok> cmpop assignop pp_piece pp_cont opt_sort sort_req
%type <tok> fname
%type <fesort> fe_agg_sort
%type <expr> fe_array
%type <list> inkeys idxargs args pp_list pp_alt pp_comps pp_comp pp_name
%type <list> stmts fe_head fe_vars global_list params opt_params
%type <list> opt_slice
%type <stmt> stmt block simple opt_epi func_body
%type <fevar> fe_var
%type <sym> global_item param
%type <fn> func_head
%type <num> opt_type type pp_mark opt_wrap alias_op
%type <list> alias_names
%type <expr> opt_size opt_init opt_prio opt_catch

%start start

%%

start:
	  START_SCRIPT decls
	| START_PP pp_list
		{
			if ($2->n != 1) {
				pc_error(&ps->pc, &@2,
					 "expected a single probe point");
				ps->pp_result = NULL;
			} else {
				ps->pp_result = $2->v[0];
			}
		}
	;

decls:
	  %empty
	| decls decl
	;

decl:
	  probe_decl			{ ps->in_function = false; }
	| GLOBAL global_list opt_semi	{ add_globals(ps, $2, false); }
	| PRIVATE GLOBAL global_list opt_semi
					{ add_globals(ps, $3, true); }
	| PRIVATE global_list opt_semi	{ add_globals(ps, $2, true); }
	| FUNCTION func_head func_body
		{ add_function(ps, $2, $3, false); ps->in_function = false; }
	| PRIVATE FUNCTION func_head func_body
		{ add_function(ps, $3, $4, true); ps->in_function = false; }
	| EMBEDDED
		/* the lexer already said that %{ %} is not supported */
	| error
		{
			ps->in_function = false;
			yyclearin;
			yyerrok;
			ptlex_resync(ps->lx, true);
		}
	;

opt_semi:
	  %empty
	| ';'
	;

/* ---- probes and probe points ---------------------------------------- */

probe_decl:
	  PROBE pp_list block
		{ add_probe(ps, PROBE_PLAIN, &@1, NULL, $2, $3, NULL, NULL); }
	| PROBE alias_names pp_list block opt_epi
		{
			/* probe a = b = c {}: a and b are both aliases of c */
			enum probe_kind k = ps->alias_epi ? PROBE_ALIAS_EPI
							  : PROBE_ALIAS;
			for (int i = 0; i < $2->n; i++)
				add_probe(ps, k, &@1, $2->v[i], $3, $4, $5, &@5);
		}
	;

/* each item is the pp_list before one '=' or '+=' */
alias_names:
	  pp_list alias_op
		{
			ps->alias_epi = $2;
			$$ = Lpush(ps, L(ps), $1);
		}
	| alias_names pp_list alias_op
		{
			ps->alias_epi |= $3;
			$$ = Lpush(ps, $1, $2);
		}
	;

alias_op:
	  '='		{ $$ = 0; }
	| PLUS_ASSIGN	{ $$ = 1; }
	;

opt_epi:
	  %empty		{ $$ = NULL; }
	| ',' block		{ $$ = $2; }
	;

pp_list:
	  pp_alt		{ $$ = $1; }
	| pp_list ',' pp_alt
		{
			$$ = $1;
			for (int i = 0; i < $3->n; i++)
				Lpush(ps, $$, $3->v[i]);
		}
	;

pp_alt:
	  pp_comps pp_mark pp_cond
		{ $$ = $1; pp_suffix(ps, $$, $2, &@2, $3); }
	;

pp_mark:
	  %empty	{ $$ = 0; }
	| '?'		{ $$ = '?'; }
	| '!'		{ $$ = '!'; }
	;

pp_cond:
	  %empty			{ $$ = NULL; }
	| IF '(' expr ')'		{ $$ = $3; }
	;

pp_comps:
	  pp_comp			{ $$ = $1; }
	| pp_comps '.' pp_comp		{ $$ = pp_product(ps, $1, $3); }
	;

pp_comp:
	  pp_name
		{ $$ = pp_single(ps, $1->v[0], &@1, NULL); }
	| pp_name '(' literal ')'
		{ $$ = pp_single(ps, $1->v[0], &@1, $3); }
	| '{' pp_list '}'
		{ $$ = $2; }
	;

/* A component name is pieces that touch: sys*open, *, **, abc*. */
pp_name:
	  pp_piece
		{
			$$ = L(ps);
			Lpush(ps, $$, $1);
		}
	| pp_name pp_cont
		{
			$$ = $1;
			if (!check_adjacent(ps, $2))
				YYERROR;
			struct token *t0 = $$->v[0];
			struct token *nt = ast_alloc(ps->pc.tmp, sizeof *nt);
			*nt = *t0;
			size_t n = t0->textlen + $2->textlen;
			char *s = ast_alloc(ps->pc.tmp, n + 1);
			memcpy(s, t0->text, t0->textlen);
			memcpy(s + t0->textlen, $2->text, $2->textlen);
			nt->text = s;
			nt->textlen = n;
			$$->v[0] = nt;
		}
	;

pp_piece:
	  pp_cont	{ $$ = $1; }
	| IF		{ $$ = $1; }
	;

pp_cont:
	  IDENT | '*' | PROBE | GLOBAL | PRIVATE | FUNCTION | ELSE | FOR
	| FOREACH | IN | LIMIT | RETURN | DELETE | WHILE | BREAK | CONTINUE
	| NEXT | STRING_KW | LONG_KW | TRY | CATCH
	;

/* ---- globals and functions ------------------------------------------ */

global_list:
	  global_item			{ $$ = Lpush(ps, L(ps), $1); }
	| global_list ',' global_item	{ $$ = Lpush(ps, $1, $3); }
	;

global_item:
	  IDENT opt_wrap opt_size opt_init
		{ $$ = mk_global(ps, $1, $2, $3, &@3, $4, &@4); }
	;

opt_wrap:
	  %empty	{ $$ = 0; }
	| '%'		{ $$ = 1; }
	;

opt_size:
	  %empty			{ $$ = NULL; }
	| '[' signed_number ']'		{ $$ = $2; }
	;

opt_init:
	  %empty			{ $$ = NULL; }
	| '=' literal			{ $$ = $2; }
	;

func_head:
	  fname opt_type '(' opt_params ')' opt_prio
		{
			$$ = mk_function(ps, $1, $2, $4, $6, &@6);
			ps->in_function = true;
		}
	;

fname:
	  IDENT | STRING_KW | LONG_KW
	;

opt_type:
	  %empty	{ $$ = T_UNKNOWN; }
	| ':' type	{ $$ = $2; }
	;

type:
	  STRING_KW	{ $$ = T_STRING; }
	| LONG_KW	{ $$ = T_LONG; }
	;

opt_params:
	  %empty		{ $$ = L(ps); }
	| params		{ $$ = $1; }
	;

params:
	  param			{ $$ = Lpush(ps, L(ps), $1); }
	| params ',' param
		{
			$$ = $1;
			for (int i = 0; i < $$->n; i++) {
				struct symbol *p = $$->v[i];
				if (strcmp(p->name, $3->name) == 0) {
					pc_error(&ps->pc, &$3->loc,
						 "duplicate parameter names");
					break;
				}
			}
			Lpush(ps, $$, $3);
		}
	;

param:
	  IDENT opt_type
		{
			$$ = ast_alloc(ps->pc.a, sizeof *$$);
			$$->name = S(ps, $1);
			$$->loc = $1->loc;
			$$->kind = SYM_PARAM;
			$$->type = (enum type)$2;
		}
	;

opt_prio:
	  %empty		{ $$ = NULL; }
	| ':' literal		{ $$ = $2; }
	;

func_body:
	  block			{ $$ = $1; }
	| EMBEDDED		{ $$ = ST(ps, S_BLOCK, &@1); }
	;

/* ---- statements ------------------------------------------------------ */

block:
	  '{' stmts '}'		{ $$ = mk_block(ps, &@1, $2); }
	;

stmts:
	  %empty		{ $$ = L(ps); }
	| stmts stmt		{ $$ = Lpush(ps, $1, $2); }
	;

stmt:
	  ';'			{ $$ = ST(ps, S_NULL, &@1); }
	| block			{ $$ = $1; }
	| simple %prec LOW	{ $$ = $1; }
	| simple ';'		{ $$ = $1; }
	| IF '(' expr ')' stmt %prec LOW
		{
			$$ = ST(ps, S_IF, &@1);
			$$->e = $3;
			$$->then = $5;
		}
	| IF '(' expr ')' stmt ELSE stmt
		{
			$$ = ST(ps, S_IF, &@1);
			$$->e = $3;
			$$->then = $5;
			$$->els = $7;
		}
	| WHILE '(' expr ')' stmt
		{
			$$ = ST(ps, S_WHILE, &@1);
			$$->e = $3;
			$$->then = $5;
		}
	| FOR '(' opt_expr ';' opt_expr ';' opt_expr ')' stmt
		{
			$$ = ST(ps, S_FOR, &@1);
			if ($3) {
				$$->init = ST(ps, S_EXPR, &$3->loc);
				$$->init->e = $3;
			}
			$$->e = $5;
			if ($7) {
				$$->step = ST(ps, S_EXPR, &$7->loc);
				$$->step->e = $7;
			}
			$$->then = $9;
		}
	| FOREACH '(' fe_head IN fe_array opt_slice fe_agg_sort opt_limit ')'
	  stmt
		{
			$$ = mk_foreach(ps, &@1, $3, $5, $6, $7, $8, $10);
		}
	| TRY block CATCH opt_catch block
		{
			$$ = ST(ps, S_TRY, &@1);
			$$->then = $2;
			$$->catchvar = $4;
			$$->els = $5;
		}
	| error
		{
			$$ = ST(ps, S_NULL, &@1);
			yyclearin;
			yyerrok;
			ptlex_resync(ps->lx, false);
		}
	;

opt_catch:
	  %empty		{ $$ = NULL; }
	| '(' IDENT ')'
		{
			$$ = E(ps, E_SYM, &$2->loc);
			$$->name = S(ps, $2);
		}
	;

simple:
	  expr
		{
			$$ = ST(ps, S_EXPR, &@1);
			$$->e = $1;
		}
	| RETURN %prec LOW
		{
			$$ = ST(ps, S_RETURN, &@1);
			if (!ps->in_function)
				pc_error(&ps->pc, &@1,
				    "found 'return' not in function context");
		}
	| RETURN expr
		{
			$$ = ST(ps, S_RETURN, &@1);
			$$->e = $2;
			if (!ps->in_function)
				pc_error(&ps->pc, &@1,
				    "found 'return' not in function context");
		}
	| DELETE expr
		{
			$$ = ST(ps, S_DELETE, &@1);
			$$->e = $2;
			if ($2->kind != E_SYM && $2->kind != E_INDEX)
				pc_error(&ps->pc, &$2->loc,
				    "invalid operand of delete expression");
		}
	| BREAK			{ $$ = ST(ps, S_BREAK, &@1); }
	| CONTINUE		{ $$ = ST(ps, S_CONTINUE, &@1); }
	| NEXT			{ $$ = ST(ps, S_NEXT, &@1); }
	;

opt_expr:
	  %empty		{ $$ = NULL; }
	| expr			{ $$ = $1; }
	;

/* foreach ( [v =] key | [k1, k2..] in array [slice] [@agg+] [+|-]
 *           [limit e] ) */
fe_head:
	  fe_var			{ $$ = Lpush(ps, L(ps), $1); }
	| '[' fe_vars ']'		{ $$ = $2; }
	| fe_var '=' fe_var
		{
			$1->is_value = true;
			$$ = Lpush(ps, Lpush(ps, L(ps), $1), $3);
		}
	| fe_var '=' '[' fe_vars ']'
		{
			$1->is_value = true;
			$$ = Lpush(ps, L(ps), $1);
			for (int i = 0; i < $4->n; i++)
				Lpush(ps, $$, $4->v[i]);
		}
	;

fe_vars:
	  fe_var			{ $$ = Lpush(ps, L(ps), $1); }
	| fe_vars ',' fe_var		{ $$ = Lpush(ps, $1, $3); }
	;

fe_var:
	  IDENT opt_sort
		{
			$$ = ast_alloc(ps->pc.tmp, sizeof *$$);
			$$->sym = E(ps, E_SYM, &$1->loc);
			$$->sym->name = S(ps, $1);
			$$->dir = $2;
		}
	;

opt_sort:
	  %empty	{ $$ = NULL; }
	| '+'		{ $$ = $1; }
	| '-'		{ $$ = $1; }
	;

opt_slice:
	  %empty		{ $$ = NULL; }
	| '[' idxargs ']'	{ $$ = $2; }
	;

fe_array:
	  IDENT
		{
			$$ = E(ps, E_SYM, &@1);
			$$->name = S(ps, $1);
		}
	| hist_op
	;

fe_agg_sort:
	  %empty
		{ $$ = ast_alloc(ps->pc.tmp, sizeof *$$); }
	| sort_req
		{
			$$ = ast_alloc(ps->pc.tmp, sizeof *$$);
			$$->sort = $1;
		}
	| AT_STATOP sort_req
		{
			$$ = ast_alloc(ps->pc.tmp, sizeof *$$);
			$$->agg = $1;
			$$->aggdir = $2;
		}
	| AT_STATOP sort_req sort_req
		{
			$$ = ast_alloc(ps->pc.tmp, sizeof *$$);
			$$->agg = $1;
			$$->aggdir = $2;
			$$->sort = $3;
		}
	;

sort_req:
	  '+'
	| '-'
	;

opt_limit:
	  %empty		{ $$ = NULL; }
	| LIMIT expr		{ $$ = $2; }
	;

/* ---- expressions, lowest precedence first ---------------------------- */

expr:
	  assignment
	;

assignment:
	  ternary
	| ternary assignop expr
		{ $$ = mk_bin(ps, E_ASSIGN, $2, $1, $3); }
	;

assignop:
	  '=' | PLUS_ASSIGN | ASSIGN_OP
	;

ternary:
	  lor
	| lor '?' expr ':' ternary
		{
			$$ = E(ps, E_TERNARY, &$2->loc);
			$$->a = $1;
			$$->b = $3;
			$$->c = $5;
		}
	;

lor:
	  land
	| lor OROR land		{ $$ = mk_bin(ps, E_LOGICAL, $2, $1, $3); }
	;

land:
	  bor
	| land ANDAND bor	{ $$ = mk_bin(ps, E_LOGICAL, $2, $1, $3); }
	;

bor:
	  bxor
	| bor '|' bxor		{ $$ = mk_bin(ps, E_BINARY, $2, $1, $3); }
	;

bxor:
	  band %prec LOW
	| bxor '^' band %prec LOW
		{ $$ = mk_bin(ps, E_BINARY, $2, $1, $3); }
	;

band:
	  arrin
	| band '&' arrin	{ $$ = mk_bin(ps, E_BINARY, $2, $1, $3); }
	;

arrin:
	  cmp
	| cmp IN IDENT
		{
			$$ = E(ps, E_IN, &$2->loc);
			$$->name = S(ps, $3);
			struct list *l = Lpush(ps, L(ps), $1);
			set_args($$, l);
		}
	| '[' inkeys ']' IN IDENT
		{
			$$ = E(ps, E_IN, &$4->loc);
			$$->name = S(ps, $5);
			set_args($$, $2);
		}
	;

inkeys:
	  inkey			{ $$ = Lpush(ps, L(ps), $1); }
	| inkeys ',' inkey	{ $$ = Lpush(ps, $1, $3); }
	;

inkey:
	  cmp
	| '*'			{ $$ = E(ps, E_STAR, &@1); }
	;

/* comparisons chain; a regex match stands alone (as in SystemTap) */
cmp:
	  cmpchain
	| shift MATCH STRING
		{
			$$ = mk_bin(ps, E_REGEX, $2, $1, NULL);
			$$->str = ast_strndup(ps->pc.a, $3->str, $3->len);
			$$->len = $3->len;
		}
	| shift NMATCH STRING
		{
			$$ = mk_bin(ps, E_REGEX, $2, $1, NULL);
			$$->str = ast_strndup(ps->pc.a, $3->str, $3->len);
			$$->len = $3->len;
		}
	;

cmpchain:
	  shift
	| cmpchain cmpop shift	{ $$ = mk_bin(ps, E_BINARY, $2, $1, $3); }
	;

cmpop:
	  '<' | '>' | LE | GE | EQ | NE
	;

shift:
	  concat
	| shift SHL concat	{ $$ = mk_bin(ps, E_BINARY, $2, $1, $3); }
	| shift SHR concat	{ $$ = mk_bin(ps, E_BINARY, $2, $1, $3); }
	| shift USHR concat	{ $$ = mk_bin(ps, E_BINARY, $2, $1, $3); }
	;

concat:
	  additive %prec LOW
	| concat '.' additive %prec LOW
		{ $$ = mk_bin(ps, E_BINARY, $2, $1, $3); }
	;

additive:
	  mult
	| additive '+' mult	{ $$ = mk_bin(ps, E_BINARY, $2, $1, $3); }
	| additive '-' mult	{ $$ = mk_bin(ps, E_BINARY, $2, $1, $3); }
	;

mult:
	  unary
	| mult '*' unary	{ $$ = mk_bin(ps, E_BINARY, $2, $1, $3); }
	| mult '/' unary	{ $$ = mk_bin(ps, E_BINARY, $2, $1, $3); }
	| mult '%' unary	{ $$ = mk_bin(ps, E_BINARY, $2, $1, $3); }
	;

unary:
	  crement
	| '+' unary		{ $$ = mk_bin(ps, E_UNARY, $1, $2, NULL); }
	| '-' unary		{ $$ = mk_bin(ps, E_UNARY, $1, $2, NULL); }
	| '!' unary		{ $$ = mk_bin(ps, E_UNARY, $1, $2, NULL); }
	| '~' unary		{ $$ = mk_bin(ps, E_UNARY, $1, $2, NULL); }
	;

crement:
	  value %prec LOW
	| INC value		{ $$ = mk_bin(ps, E_PREINC, $1, $2, NULL); }
	| DEC value		{ $$ = mk_bin(ps, E_PREINC, $1, $2, NULL); }
	| value INC		{ $$ = mk_bin(ps, E_POSTINC, $2, $1, NULL); }
	| value DEC		{ $$ = mk_bin(ps, E_POSTINC, $2, $1, NULL); }
	| '&' value
		{
			dwarf_error(ps, &@1, "taking an address with '&'");
			$$ = $2;
		}
	;

/* Values, with the DWARF-only suffixes ($var->member, (e)[i]) refused. */
value:
	  primary
	| value arrow pp_cont		{ $$ = $1; }
	| '(' expr ')' %prec LOW	{ $$ = $2; }
	| '(' expr ')' '[' idxargs ']'
		{
			dwarf_error(ps, &@4, "indexing a value in parentheses "
				    "(an autocast)");
			$$ = $2;
		}
	| CONTEXT %prec LOW
		{
			$$ = E(ps, E_CONTEXT, &@1);
			$$->name = ast_strndup(ps->pc.a, $1->text + 1,
					       $1->textlen - 1);
		}
	| CONTEXT '[' idxargs ']'
		{
			dwarf_error(ps, &@2, "indexing a target variable");
			$$ = E(ps, E_CONTEXT, &@1);
			$$->name = ast_strndup(ps->pc.a, $1->text + 1,
					       $1->textlen - 1);
		}
	;

primary:
	  NUMBER		{ $$ = mk_num(ps, $1, false, &@1); }
	| STRING		{ $$ = mk_str(ps, $1); }
	| IDENT %prec LOW
		{
			$$ = E(ps, E_SYM, &@1);
			$$->name = S(ps, $1);
			if (is_print_name($$->name))
				pc_error(&ps->pc, &@1,
					 "expected '(' after '%s'",
					 $$->name);
		}
	| IDENT '[' idxargs ']'
		{
			$$ = E(ps, E_INDEX, &@1);
			$$->name = S(ps, $1);
			set_args($$, $3);
		}
	| IDENT '(' ')'			{ $$ = mk_call(ps, $1, L(ps)); }
	| IDENT '(' args ')'		{ $$ = mk_call(ps, $1, $3); }
	| IDENT '(' hist_op ')'
		{ $$ = mk_call(ps, $1, Lpush(ps, L(ps), $3)); }
	| AT_STATOP '(' expr ')'
		{
			$$ = E(ps, E_STATOP, &@1);
			$$->name = ast_strndup(ps->pc.a, $1->text + 1,
					       $1->textlen - 1);
			$$->a = $3;
		}
	| AT_STATOP '(' expr ',' signed_number ')'
		{
			$$ = E(ps, E_STATOP, &@1);
			$$->name = ast_strndup(ps->pc.a, $1->text + 1,
					       $1->textlen - 1);
			$$->a = $3;
			$$->b = $5;
			if (strcmp($$->name, "variance") != 0)
				pc_error(&ps->pc, &@4, "not more than 0 "
					 "parameters allowed for '@%s'",
					 $$->name);
			else if ($5->num < 0 || $5->num > 62)
				pc_error(&ps->pc, &@1, "bit shift (%lld"
					 ") out of range <0..62>", (long long)$5->num);
		}
	| hist_op '[' expr ']'
		{
			$$ = E(ps, E_HIST_INDEX, &@2);
			$$->a = $1;
			$$->b = $3;
		}
	| AT_DEFINED '(' expr ')'
		{
			$$ = E(ps, E_DEFINED, &@1);
			$$->a = $3;
		}
	| AT_DWARF '(' args ')'
		{
			dwarf_error(ps, &@1, $1->text);
			$$ = mk_dummy(ps, &@1);
		}
	| AT_PROBEWRITE '(' IDENT ')'
		{
			/* an E_DEFINED marked "@probewrite": resolve.c
			   makes it 1 or 0 per expanded handler */
			$$ = E(ps, E_DEFINED, &@1);
			$$->op = "@probewrite";
			$$->a = E(ps, E_SYM, &@3);
			$$->a->name = ast_strndup(ps->pc.a, $3->text,
						  $3->textlen);
		}
	| AT_UNKNOWN %prec LOW
		{
			pc_error(&ps->pc, &@1, "unknown operator %s", $1->text);
			$$ = mk_dummy(ps, &@1);
		}
	| AT_UNKNOWN '(' opt_args ')'
		{
			pc_error(&ps->pc, &@1, "unknown operator %s", $1->text);
			$$ = mk_dummy(ps, &@1);
		}
	| EMBEDDED
		/* reported by the lexer */
		{ $$ = mk_dummy(ps, &@1); }
	;

arrow:
	  ARROW		{ dwarf_error(ps, &@1, "member access with '->'"); }
	;

opt_args:
	  %empty
	| args
	;

hist_op:
	  AT_HIST_LOG '(' expr ')'
		{
			$$ = E(ps, E_HIST, &@1);
			$$->name = "hist_log";
			$$->a = $3;
		}
	| AT_HIST_LINEAR '(' expr ',' signed_number ',' signed_number ','
	  signed_number ')'
		{
			$$ = E(ps, E_HIST, &@1);
			$$->name = "hist_linear";
			$$->a = $3;
			struct list *l = L(ps);
			Lpush(ps, l, $5);
			Lpush(ps, l, $7);
			Lpush(ps, l, $9);
			set_args($$, l);
		}
	;

args:
	  expr			{ $$ = Lpush(ps, L(ps), $1); }
	| args ',' expr		{ $$ = Lpush(ps, $1, $3); }
	;

idxargs:
	  idxarg		{ $$ = Lpush(ps, L(ps), $1); }
	| idxargs ',' idxarg	{ $$ = Lpush(ps, $1, $3); }
	;

idxarg:
	  expr
	| '*'			{ $$ = E(ps, E_STAR, &@1); }
	;

/* Literals where SystemTap takes only a literal (strings are glued). */
literal:
	  STRING		{ $$ = mk_str(ps, $1); }
	| signed_number		{ $$ = $1; }
	;

signed_number:
	  NUMBER		{ $$ = mk_num(ps, $1, false, &@1); }
	| '-' NUMBER		{ $$ = mk_num(ps, $2, true, &@$); }
	;

%%

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

/* Lists become node arrays (block bodies, arguments): AST arena. */
static struct list *L(struct pparse *ps)
{
	return ast_alloc(ps->pc.a, sizeof(struct list));
}

static struct list *Lpush(struct pparse *ps, struct list *l, void *item)
{
	l->n = ast_push(ps->pc.a, &l->v, l->n, item);
	return l;
}

static char *S(struct pparse *ps, const struct token *t)
{
	return ast_strndup(ps->pc.a, t->text, t->textlen);
}

static struct expr *E(struct pparse *ps, enum expr_kind k,
		      const struct loc *loc)
{
	return ast_expr(ps->pc.a, k, loc);
}

static struct stmt *ST(struct pparse *ps, enum stmt_kind k,
		       const struct loc *loc)
{
	struct loc l = *loc;
	return ast_stmt(ps->pc.a, k, &l);
}

/* Copy a list into an expression's args (in the AST arena). */
static void set_args(struct expr *e, struct list *l)
{
	e->nargs = l ? l->n : 0;
	e->args = NULL;
	if (e->nargs)
		e->args = (struct expr **)l->v;
}

static struct expr *mk_num(struct pparse *ps, const struct token *t,
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

static struct expr *mk_str(struct pparse *ps, const struct token *t)
{
	struct expr *e = E(ps, E_STR, &t->loc);
	e->str = ast_strndup(ps->pc.a, t->str, t->len);
	e->len = t->len;
	return e;
}

static struct expr *mk_bin(struct pparse *ps, enum expr_kind k,
			   const struct token *op, struct expr *a,
			   struct expr *b)
{
	struct expr *e = E(ps, k, &op->loc);
	e->op = S(ps, op);
	e->a = a;
	e->b = b;
	return e;
}

static struct expr *mk_dummy(struct pparse *ps, const struct loc *loc)
{
	return E(ps, E_NUM, loc);
}

static void dwarf_error(struct pparse *ps, const struct loc *loc,
			const char *what)
{
	if (what[0] == '@')
		pc_error(&ps->pc, loc, "'%s' is a kernel/DWARF feature that "
			 "pytap does not support", what);
	else
		pc_error(&ps->pc, loc, "%s is a kernel/DWARF feature that "
			 "pytap does not support", what);
}

static const char *const print_names[] = {
	"print", "println", "printd", "printdln", "printf",
	"sprint", "sprintln", "sprintd", "sprintdln", "sprintf",
};

static bool is_print_name(const char *name)
{
	for (size_t i = 0; i < sizeof print_names / sizeof *print_names; i++)
		if (strcmp(name, print_names[i]) == 0)
			return true;
	return false;
}

static struct expr *mk_call(struct pparse *ps, const struct token *name,
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

static struct stmt *mk_block(struct pparse *ps, const struct loc *loc,
			     struct list *l)
{
	struct stmt *s = ST(ps, S_BLOCK, loc);
	s->nbody = l->n;
	s->body = (struct stmt **)l->v;
	return s;
}

/* ------------------------------------------------------------------ */
/* Probe points                                                       */

static bool check_adjacent(struct pparse *ps, const struct token *t)
{
	if (t->adjacent)
		return true;
	pc_error(&ps->pc, &t->loc, "expected one of ', { } = +='");
	return false;
}

static struct list *pp_single(struct pparse *ps, const struct token *name,
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

static struct list *pp_product(struct pparse *ps, struct list *a,
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

static void pp_suffix(struct pparse *ps, struct list *pps, int mark,
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

static void add_probe(struct pparse *ps, enum probe_kind kind,
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

static struct symbol *mk_global(struct pparse *ps, const struct token *name,
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

static void add_globals(struct pparse *ps, struct list *syms, bool privat)
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

static struct function *mk_function(struct pparse *ps,
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

static void add_function(struct pparse *ps, struct function *fn,
			 struct stmt *body, bool privat)
{
	fn->body = body;
	fn->privat = privat;
	*ps->func_tail = fn;
	ps->func_tail = &fn->next;
}

/* ------------------------------------------------------------------ */
/* foreach                                                            */

static struct stmt *mk_foreach(struct pparse *ps, const struct loc *loc,
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
	const struct token *sortdir = NULL;
	int i0 = 0;
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
	if (fs->agg) {
		if (sortdir)
			pc_error(&ps->pc, &fs->aggdir->loc,
				 "multiple sort directives");
		else {
			sortdir = fs->aggdir;
			fe->sort_col = -1;
			fe->sort_agg = ast_strndup(ps->pc.a, fs->agg->text + 1,
						   fs->agg->textlen - 1);
		}
	}
	if (fs->sort) {
		if (sortdir)
			pc_error(&ps->pc, &fs->sort->loc,
				 "multiple sort directives");
		else {
			sortdir = fs->sort;
			fe->sort_col = -1;
		}
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

/* ------------------------------------------------------------------ */
/* The lexer interface and syntax errors                              */

static int yylex(PT_STYPE *lval, struct loc *lloc, struct pparse *ps)
{
	struct token *t;
	int kind = ptlex_next(ps->lx, &t);
	lval->tok = t;
	*lloc = t->loc;
	return kind;
}

/* Only bison's own "memory exhausted" comes here. */
static void pt_error(const struct loc *loc, struct pparse *ps,
		     const char *msg)
{
	pc_error(&ps->pc, loc, "%s", msg);
}

/* How an expected token is named in a message. */
static const char *tok_display(yysymbol_kind_t k, char *buf, size_t n)
{
	switch (k) {
	case YYSYMBOL_YYEOF:
		return "end of input";
	case YYSYMBOL_IDENT:
		return "identifier";
	case YYSYMBOL_NUMBER:
		return "number";
	case YYSYMBOL_STRING:
		return "string";
	case YYSYMBOL_CONTEXT:
		return "context variable";
	case YYSYMBOL_ASSIGN_OP:
		return "assignment operator";
	default:
		break;
	}
	const char *name = yysymbol_name(k);
	if (name[0] == '\'' || name[0] == '"') {
		/* '+' or "probe": strip bison's quoting */
		size_t l = strlen(name);
		snprintf(buf, n, "'%.*s'", (int)(l - 2), name + 1);
	} else {
		snprintf(buf, n, "'%s'", name);
	}
	return buf;
}

/* Tokens that only continue an expression: left out of "expected ..." */
static bool is_continuation(yysymbol_kind_t k)
{
	switch (k) {
	case YYSYMBOL_PLUS_ASSIGN: case YYSYMBOL_ASSIGN_OP:
	case YYSYMBOL_EQ: case YYSYMBOL_NE: case YYSYMBOL_LE: case YYSYMBOL_GE:
	case YYSYMBOL_MATCH: case YYSYMBOL_NMATCH: case YYSYMBOL_ANDAND:
	case YYSYMBOL_OROR: case YYSYMBOL_INC: case YYSYMBOL_DEC:
	case YYSYMBOL_ARROW: case YYSYMBOL_SHL: case YYSYMBOL_SHR:
	case YYSYMBOL_USHR: case YYSYMBOL_IN: case YYSYMBOL_AT_STATOP:
	case YYSYMBOL_LIMIT:
	case YYSYMBOL_IF:
		return true;
	default:
		break;
	}
	const char *name = yysymbol_name(k);
	return name[0] == '\'' && name[1] && name[2] == '\'' &&
	       strchr("+-*/%<>&|^.?([=", name[1]) != NULL;
}

/* Whether K is the single-character token C. */
static bool is_char(yysymbol_kind_t k, char c)
{
	const char *name = yysymbol_name(k);
	return name[0] == '\'' && name[1] == c && name[2] == '\'' &&
	       name[3] == '\0';
}

static bool has_char(const yysymbol_kind_t *e, int n, char c)
{
	for (int i = 0; i < n; i++)
		if (is_char(e[i], c))
			return true;
	return false;
}

static bool has(const yysymbol_kind_t *e, int n, yysymbol_kind_t k)
{
	for (int i = 0; i < n; i++)
		if (e[i] == k)
			return true;
	return false;
}

static int yyreport_syntax_error(const yypcontext_t *ctx, struct pparse *ps)
{
	if (ps->pc.fatal)
		return 0;

	yysymbol_kind_t e[YYNTOKENS];
	int n = yypcontext_expected_tokens(ctx, e, YYNTOKENS);
	if (n < 0)
		n = 0;
	yysymbol_kind_t la = yypcontext_token(ctx);
	const struct token *lt = ptlex_last(ps->lx);
	struct loc loc = *yypcontext_location(ctx);
	if (lt)
		loc = lt->loc;

	bool eof = la == YYSYMBOL_YYEOF;
	bool la_toplevel = la == YYSYMBOL_PROBE || la == YYSYMBOL_GLOBAL ||
			   la == YYSYMBOL_FUNCTION || la == YYSYMBOL_PRIVATE;
	bool expr_start = has(e, n, YYSYMBOL_IDENT) &&
			  has(e, n, YYSYMBOL_NUMBER);
	const char *msg = NULL;
	char buf[512];

	/* the opener the error may leave unclosed */
	const struct token *open = ptlex_innermost_open(ps->lx);
	int want_close = 0;

	if (has(e, n, YYSYMBOL_IDENT) && has_char(e, n, '*') &&
	    has_char(e, n, '{') && !has(e, n, YYSYMBOL_NUMBER)) {
		msg = "expected identifier or '*' or '{'";
	} else if (has(e, n, YYSYMBOL_IDENT) && has(e, n, YYSYMBOL_PROBE) &&
		   !has(e, n, YYSYMBOL_NUMBER)) {
		msg = "expected identifier or keyword";
	} else if (has(e, n, YYSYMBOL_PROBE)) {
		msg = "expected 'probe', 'global', 'private', 'function', "
		      "or '%{'";
	} else if (la >= YYSYMBOL_AT_STATOP && la <= YYSYMBOL_AT_UNKNOWN &&
		   has(e, n, YYSYMBOL_AT_STATOP) &&
		   !has(e, n, YYSYMBOL_IDENT)) {
		msg = "expected statistical operation";
	} else if (n == 2 && has_char(e, n, '+') &&
		   has_char(e, n, '-')) {
		msg = "expected sort directive";
	} else if (has_char(e, n, ',') &&
		   (has_char(e, n, '{') ||
		    has_char(e, n, '}')) &&
		   !has(e, n, YYSYMBOL_IDENT) && !has(e, n, YYSYMBOL_NUMBER)) {
		msg = "expected one of ', { } = +='";
	} else if (has(e, n, YYSYMBOL_WHILE) && has(e, n, YYSYMBOL_FOREACH)) {
		if (has_char(e, n, '}') && (eof || la_toplevel)) {
			msg = "expected '}'";
			want_close = '{';
		} else {
			msg = "expected statement";
		}
	} else if (has(e, n, YYSYMBOL_AT_HIST_LOG) &&
		   has(e, n, YYSYMBOL_IDENT) && !has(e, n, YYSYMBOL_NUMBER)) {
		msg = "expected array name or histogram";
	} else if (expr_start) {
		msg = "expected expression";
	} else if (has(e, n, YYSYMBOL_NUMBER)) {
		msg = has(e, n, YYSYMBOL_STRING)
			? "expected literal string or number"
			: "expected number";
	} else if (has(e, n, YYSYMBOL_STRING) && !has(e, n, YYSYMBOL_IDENT)) {
		msg = "expected literal string";
	} else if (n == 1 && is_char(e[0], '[')) {
		msg = "expected '[': a histogram can only be printed or "
		      "indexed with [bucket]";
	} else {
		/* List what is left after the continuation operators. */
		yysymbol_kind_t r[YYNTOKENS];
		int m = 0;
		bool closer = has_char(e, n, ')') ||
			      has_char(e, n, ',') ||
			      has_char(e, n, '(');
		bool ident = has(e, n, YYSYMBOL_IDENT);
		if (ident)
			r[m++] = YYSYMBOL_IDENT;
		for (int i = 0; i < n; i++) {
			yysymbol_kind_t k = e[i];
			if (k == YYSYMBOL_IDENT)
				continue;
			if (is_continuation(k))
				continue;
			if (is_char(k, ':') && closer)
				continue;
			if (ident && (k == YYSYMBOL_STRING_KW ||
				      k == YYSYMBOL_LONG_KW))
				continue;
			r[m++] = k;
		}
		if (m == 0) {
			/* only continuations: name the ones that are not
			 * plain operators ('(', 'in', ...) */
			for (int i = 0; i < n; i++) {
				yysymbol_kind_t k = e[i];
				bool op = is_continuation(k) &&
					  !is_char(k, '(') && !is_char(k, '[') &&
					  k != YYSYMBOL_IN && k != YYSYMBOL_LIMIT &&
					  k != YYSYMBOL_IF &&
					  k != YYSYMBOL_AT_STATOP;
				if (op || (is_char(k, ':') && closer))
					continue;
				r[m++] = k;
			}
		}
		if (m == 0) {
			for (int i = 0; i < n && i < 8; i++)
				r[m++] = e[i];
		}
		char nb[3][64];
		size_t len = 0;
		buf[0] = '\0';
		if (m == 1) {
			snprintf(buf, sizeof buf, "expected %s",
				 tok_display(r[0], nb[0], sizeof nb[0]));
		} else if (m == 2) {
			snprintf(buf, sizeof buf, "expected %s or %s",
				 tok_display(r[0], nb[0], sizeof nb[0]),
				 tok_display(r[1], nb[1], sizeof nb[1]));
		} else if (m > 2) {
			len = (size_t)snprintf(buf, sizeof buf, "expected one of");
			for (int i = 0; i < m && len < sizeof buf - 80; i++)
				len += (size_t)snprintf(buf + len,
					sizeof buf - len, "%s %s",
					i ? "," : "",
					tok_display(r[i], nb[0], sizeof nb[0]));
		}
		msg = buf[0] ? buf : "syntax error";
		if (m >= 1) {
			if (is_char(r[m - 1], ')'))
				want_close = '(';
			else if (is_char(r[m - 1], ']'))
				want_close = '[';
			else if (is_char(r[m - 1], '}'))
				want_close = '{';
		}
	}

	if (want_close && open && open->kind == want_close &&
	    (eof || open->loc.line != loc.line ||
	     open->loc.src != loc.src)) {
		char full[640];
		snprintf(full, sizeof full, "%s (to close '%c' at line %d)",
			 msg, want_close, open->loc.line);
		if (want_close == '{' && strcmp(msg, "expected '}'") != 0)
			snprintf(full, sizeof full, "%s", msg);
		pc_error(&ps->pc, &loc, "%s", full);
	} else {
		pc_error(&ps->pc, &loc, "%s", msg);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Entry points                                                       */

static void pparse_init(struct pparse *ps, struct ast_arena *a,
			const struct source *src,
			const struct parse_opts *opts, struct diag *d)
{
	memset(ps, 0, sizeof *ps);
	ps->pc.d = d;
	ps->pc.a = a;
	ps->pc.tmp = ast_arena_new();
	ps->pc.src = src;
	ps->pc.opts = opts;
}

int parse_source(struct ast_arena *a, const struct source *src,
		 const struct parse_opts *opts, struct script *out,
		 struct diag *d)
{
	struct pparse ps;
	pparse_init(&ps, a, src, opts, d);
	ps.out = out;
	ps.probe_tail = &out->probes;
	while (*ps.probe_tail)
		ps.probe_tail = &(*ps.probe_tail)->next;
	ps.global_tail = &out->globals;
	while (*ps.global_tail)
		ps.global_tail = &(*ps.global_tail)->next;
	ps.func_tail = &out->functions;
	while (*ps.func_tail)
		ps.func_tail = &(*ps.func_tail)->next;

	ps.lx = ptlex_new(&ps.pc, TOK_START_SCRIPT);
	int r = pt_parse(&ps);
	if (r != 0 && ps.pc.nerrors == 0) {
		/* bison gave up (memory exhausted) without a message */
		pc_error(&ps.pc, NULL, "%s: cannot parse", src->name);
	}
	if (ps.pc.nerrors == 0 && !src->is_tapset &&
	    !ptlex_delivered_tokens(ps.lx)) {
		ps.pc.nerrors++;
		if (ptlex_saw_raw_tokens(ps.lx))
			diag_error(d, NULL, "input file '%s' is empty after "
				   "preprocessing", src->name);
		else
			diag_error(d, NULL, "input file '%s' is empty",
				   src->name);
	}
	ptlex_free(ps.lx);
	ast_arena_free(ps.pc.tmp);
	return ps.pc.nerrors;
}

struct probe_point *parse_probe_point(struct ast_arena *a,
				      const struct source *src,
				      struct diag *d)
{
	struct pparse ps;
	struct script dummy = { 0 };
	pparse_init(&ps, a, src, NULL, d);
	ps.out = &dummy;
	ps.probe_tail = &dummy.probes;
	ps.global_tail = &dummy.globals;
	ps.func_tail = &dummy.functions;
	ps.lx = ptlex_new(&ps.pc, TOK_START_PP);
	int r = pt_parse(&ps);
	if (r != 0 && ps.pc.nerrors == 0)
		pc_error(&ps.pc, NULL, "cannot parse probe point '%s'",
			 src->text);
	struct probe_point *pp = ps.pc.nerrors ? NULL : ps.pp_result;
	ptlex_free(ps.lx);
	ast_arena_free(ps.pc.tmp);
	return pp;
}
