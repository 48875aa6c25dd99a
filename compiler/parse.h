/*
 * parse.h - turning one source text into AST nodes (lexer.l + parser.y).
 */
#ifndef PYTAP_PARSE_H
#define PYTAP_PARSE_H

#include "ast.h"
#include "diag.h"

struct macro;

struct parse_opts {
	char **argv;		/* script arguments for $1..$N / @1..@N */
	int argc;
	bool guru;		/* -g: accepted, but %{ %} is still refused */
	struct macro *libmacros; /* the .stpm files' macros, seen by every
				    file after its own @defines */
};

/*
 * Parse SRC and append its probes, globals and functions to OUT, in source
 * order.  Errors go to D with locations; the parser recovers at statement
 * and top-level boundaries so several errors can be reported.  Returns the
 * number of errors found in this source (0 = success).
 */
int parse_source(struct ast_arena *a, const struct source *src,
		 const struct parse_opts *opts, struct script *out,
		 struct diag *d);

/*
 * Parse SRC, a library macro file (.stpm): nothing but `@define`s, maybe
 * under %( %) conditionals.  Its macros are added to OPTS->libmacros (kept
 * in A); a name another library file defined already is an error.
 * Returns the number of errors.
 */
int parse_macro_library(struct ast_arena *a, const struct source *src,
			struct parse_opts *opts, struct diag *d);

/*
 * Parse a probe point written on the command line (-l / -L patterns):
 * "python.*", "process(\"/usr/bin/python3.11\").mark(\"*\")".
 * Returns NULL after reporting an error.
 */
struct probe_point *parse_probe_point(struct ast_arena *a,
				      const struct source *src,
				      struct diag *d);

#endif
