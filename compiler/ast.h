/*
 * ast.h - the syntax tree of a pytap (SystemTap language) script.
 *
 * The parser builds it, resolve*.c expand aliases into it and fill in
 * symbols and types, codegen*.c turn it into bytecode.  A pass that looks
 * through a whole tree does it with the one walker of walk.h, which knows
 * every child of every node.  Every node keeps the location of the token
 * that names it (for carets in diagnostics and for runtime "near ... at
 * FILE:L:C" messages).
 *
 * Memory: nodes are allocated from one arena per compilation (ast_alloc)
 * and freed all at once (ast_arena_free); nothing in the tree is freed on
 * its own.  Strings in nodes point into the arena too.
 */
#ifndef PYTAP_AST_H
#define PYTAP_AST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One source text: a script file, -e text, or a tapset. */
struct source {
	const char *name;	/* "input.pytap", "<command line>", ... */
	const char *text;	/* NUL-terminated */
	size_t len;
	bool is_tapset;
	int file_id;		/* for `private` scoping */
	int origin;		/* tapsets: 0 built-in, 1.. -I/$PYTAP_TAPSETS
				   directory order (later ones override an
				   alias an earlier origin defines) */
};

struct loc {
	const struct source *src;
	int line, col;		/* 1-based; col counts bytes */
	int off, len;		/* byte offset and length of the token */
};

/* Types, as SystemTap has them.  Arrays are globals with key types. */
enum type {
	T_UNKNOWN = 0,
	T_LONG,
	T_STRING,
	T_STATS,
};

/* ---------------------------------------------------------------- */
/* Expressions                                                      */

enum expr_kind {
	E_NUM,			/* num */
	E_STR,			/* str, len */
	E_SYM,			/* name: local, global scalar, parameter */
	E_INDEX,		/* name[args..]: array element (args = keys) */
	E_CONTEXT,		/* $arg1, $$name, $$provider, $$vars, $$parms:
				   name holds the text without '$' ("arg1",
				   "$name"); also non-SDT $var (rejected) */
	E_BINARY,		/* op, a, b: + - * / % << >> >>> & | ^ . and
				   comparisons < > <= >= == != */
	E_LOGICAL,		/* op '&&' or '||', a, b */
	E_UNARY,		/* op '-' '+' '!' '~', a */
	E_PREINC,		/* op "++" or "--", a (an lvalue) */
	E_POSTINC,		/* op "++" or "--", a (an lvalue) */
	E_ASSIGN,		/* op "=" "+=" ... ".=" "<<<", a (lvalue), b */
	E_TERNARY,		/* a ? b : c */
	E_CALL,			/* name(args..): user function or built-in */
	E_IN,			/* [args..] in name: args may hold E_STAR */
	E_REGEX,		/* a =~ str / a !~ str (op "=~" or "!~") */
	E_STATOP,		/* @count/@sum/@min/@max/@avg/@variance(a[, b])
				   name = "count", ...; a = E_SYM or E_INDEX */
	E_HIST,			/* @hist_log(a) / @hist_linear(a, lo, hi, step):
				   name = "hist_log"/"hist_linear", args */
	E_HIST_INDEX,		/* @hist_*(..)[b]: a = E_HIST, b = bucket */
	E_PRINT,		/* print family: name = "printf", "sprintf",
				   "print", "println", "sprint", "sprintln",
				   "printd", "printdln", "sprintd", "sprintdln";
				   fmt/delim literal in str; args */
	E_STAR,			/* '*' in a slice: a[*, k], [*, k] in a */
	E_DEFINED,		/* @defined(a): always false for unknowns;
				   op "@probewrite": @probewrite(a), a an
				   E_SYM (true when the user's body writes
				   it) */
};

struct expr {
	enum expr_kind kind;
	struct loc loc;		/* the operator or name token */
	enum type type;		/* filled by resolve */
	const char *op;		/* operator text */
	const char *name;	/* symbol / function / context name */
	int64_t num;		/* E_NUM */
	const char *str;	/* E_STR value, E_REGEX pattern, E_PRINT fmt
				   or delimiter; NUL-terminated */
	size_t len;		/* length of str (may hold NULs) */
	struct expr *a, *b, *c;
	struct expr **args;	/* E_CALL, E_INDEX, E_IN, E_HIST, E_PRINT */
	int nargs;
	/* filled by resolve: */
	struct symbol *sym;	/* E_SYM, E_INDEX, E_IN, and E_ASSIGN lvalues */
	struct function *fn;	/* E_CALL of a user function */
	const struct builtin *bi;	/* E_CALL of a built-in */
	void *aux;		/* pass-private data (e.g. parsed format) */
};

/* ---------------------------------------------------------------- */
/* Statements                                                       */

enum stmt_kind {
	S_NULL,			/* ';' */
	S_EXPR,			/* e */
	S_BLOCK,		/* body[nbody] */
	S_IF,			/* if (e) then [else els] */
	S_WHILE,		/* while (e) then */
	S_FOR,			/* for (init; e; step) then: init/step may be
				   NULL (S_EXPR otherwise), e may be NULL */
	S_FOREACH,		/* see struct foreach */
	S_BREAK,
	S_CONTINUE,
	S_NEXT,
	S_RETURN,		/* e may be NULL */
	S_DELETE,		/* delete e: E_SYM (array or scalar) or E_INDEX
				   (args may hold E_STAR) */
	S_TRY,			/* try then catch [(catchvar)] els */
};

struct foreach {
	struct expr *value;	/* `v = [k..] in a`: E_SYM or NULL */
	struct expr **keys;	/* E_SYM each, nkeys >= 1 */
	int nkeys;
	struct expr *array;	/* E_SYM (a global array) or E_HIST
				   (foreach bucket in @hist_log(x)) */
	struct expr **slice;	/* foreach (k in a[*, 5]): NULL or nkeys args */
	/* sort: sort_col = 0 none, -1 value, 1..nkeys the key column */
	int sort_col;
	int sort_dir;		/* +1 ascending, -1 descending */
	const char *sort_agg;	/* NULL or "count", "sum", ... for stats */
	struct expr *limit;	/* NULL or expression */
};

struct stmt {
	enum stmt_kind kind;
	struct loc loc;
	struct expr *e;
	struct stmt *then, *els;
	struct stmt *init, *step;	/* S_FOR */
	struct stmt **body;	/* S_BLOCK */
	int nbody;
	struct foreach *fe;	/* S_FOREACH */
	struct expr *catchvar;	/* S_TRY: E_SYM or NULL */
};

/* ---------------------------------------------------------------- */
/* Probe points, probes, aliases                                    */

struct pp_component {
	const char *name;	/* may contain '*' globs; "**" too */
	struct loc loc;
	bool has_arg;
	bool arg_is_str;
	const char *arg_str;	/* glued string literal */
	int64_t arg_num;
};

struct probe_point {
	struct pp_component *comps;
	int ncomps;
	bool optional;		/* '?' */
	bool sufficient;	/* '!' (implies optional) */
	struct expr *cond;	/* if (e) or NULL */
	struct loc loc;		/* first component */
};

enum probe_kind {
	PROBE_PLAIN,		/* probe a, b { body } */
	PROBE_ALIAS,		/* probe name = targets { prologue } */
	PROBE_ALIAS_EPI,	/* probe name += targets { epilogue } */
};

struct probe {
	enum probe_kind kind;
	struct loc loc;		/* the `probe` keyword */
	struct probe_point **points;	/* PLAIN: the probe points; ALIAS:
					   the targets */
	int npoints;
	struct probe_point *alias_name;	/* ALIAS: the new name */
	struct stmt *body;	/* the handler, prologue or epilogue */
	struct stmt *epilogue;	/* `= {pro}, {epi}` form, else NULL */
	bool privat;
	struct probe *next;
};

/* ---------------------------------------------------------------- */
/* Symbols, globals, functions                                      */

enum sym_kind { SYM_LOCAL, SYM_GLOBAL, SYM_PARAM };

struct symbol {
	const char *name;
	struct loc loc;		/* declaration or first use */
	enum sym_kind kind;
	enum type type;		/* value type (scalars and arrays) */
	int nkeys;		/* 0 = scalar, else array arity */
	enum type keytypes[9];
	int64_t maxsize;	/* global a[N]; 0 = MAXMAPENTRIES */
	bool wrap;		/* global a% */
	struct expr *init;	/* global x = literal */
	bool privat;
	bool read, written;	/* for auto-printing of write-only globals */
	int hist;		/* stats: 0 none, 1 @hist_log, 2 @hist_linear */
	int64_t hist_lo, hist_hi, hist_step;
	int var_shift;		/* stats: @variance(x, N)'s N, -1 unused */
	struct loc var_loc;	/* where var_shift was first given */
	int slot;		/* codegen: local slot or global index */
	struct symbol *next;
};

struct function {
	const char *name;
	struct loc loc;
	enum type rettype;	/* declared (T_UNKNOWN: inferred) */
	struct symbol **params;
	int nparams;
	struct stmt *body;
	bool privat;
	bool used;
	bool has_value_return;	/* some `return e` */
	struct symbol *locals;	/* resolve: params first, then locals */
	int nlocals;
	int index;		/* codegen: function number */
	struct function *next_overload;	/* resolve: the next definition
					   of the same name and arity, tried
					   when this one runs `next` */
	struct function *next;
};

/* A construct that parses but that pytap refuses (DWARF, kernel, embedded
 * C under -g): pass 1 accepts it, as SystemTap's does; resolve (pass 2)
 * reports it, located, as SystemTap reports what it cannot elaborate. */
struct refusal {
	struct loc loc;
	const char *msg;
	struct refusal *next;
};

/* A whole compilation unit: the user's files plus the tapsets pulled in. */
struct script {
	struct probe *probes;	/* user probes and aliases, in order */
	struct symbol *globals;
	struct function *functions;
	struct refusal *refusals;	/* in source order */
};

/* ---------------------------------------------------------------- */
/* Construction (arena allocation)                                  */

struct ast_arena;
struct ast_arena *ast_arena_new(void);
void ast_arena_free(struct ast_arena *a);
void *ast_alloc(struct ast_arena *a, size_t n);		/* zeroed */
char *ast_strndup(struct ast_arena *a, const char *s, size_t n);

/* Append to an arena-backed growing pointer array; returns new count. */
int ast_push(struct ast_arena *a, void ***arr, int n, void *item);
/* The same, unless ITEM is in the array already. */
int ast_push_once(struct ast_arena *a, void ***arr, int n, void *item);

struct expr *ast_expr(struct ast_arena *a, enum expr_kind k,
		      const struct loc *loc);
struct stmt *ast_stmt(struct ast_arena *a, enum stmt_kind k,
		      const struct loc *loc);

/* -p1: print the tree back as script text. */
struct strbuf;
void ast_dump_script(struct strbuf *out, const struct script *s);
void ast_dump_probe_point(struct strbuf *out, const struct probe_point *pp);
void ast_dump_expr(struct strbuf *out, const struct expr *e);
void ast_dump_stmt(struct strbuf *out, const struct stmt *s, int indent);

#endif
