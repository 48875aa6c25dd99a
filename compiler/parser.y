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
#include "parser_int.h"
}

%code provides {
int pt_parse(struct pparse *ps);
}

%code {
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
			/* an E_DEFINED marked "@probewrite": resolve_points.c
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

	ps.pc.refusals = &out->refusals;
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

int parse_macro_library(struct ast_arena *a, const struct source *src,
			struct parse_opts *opts, struct diag *d)
{
	struct pparse ps;
	pparse_init(&ps, a, src, opts, d);
	/* the macros outlive this parse: their tokens go to A */
	ast_arena_free(ps.pc.tmp);
	ps.pc.tmp = a;
	ps.lx = ptlex_new(&ps.pc, TOK_START_SCRIPT);
	ptlex_macro_library(ps.lx, &opts->libmacros);
	ptlex_free(ps.lx);
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
