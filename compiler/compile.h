/*
 * compile.h - the compiler's passes in their order, as one call: script
 * text -> AST (pass 1, with the tapset library) -> resolved handlers
 * (pass 2) -> bytecode (pass 3).  The command line, the VM benchmark and
 * the compiler's fuzzer all compile through it, so they compile alike.
 */
#ifndef PYTAP_COMPILE_H
#define PYTAP_COMPILE_H

#include "ast.h"
#include "bytecode.h"
#include "codegen.h"
#include "diag.h"
#include "parse.h"
#include "resolve.h"

struct compile_opts {
	struct parse_opts po;		/* $1..$N, -g; gets the .stpm macros */
	char **incdirs;			/* -I DIR ... */
	int nincdirs;
	int verbose;
	struct resolve_opts ro;		/* ro.ts: the target binaries */
	struct codegen_limits lim;	/* -D NAME=VAL; zero: defaults */
	int last_pass;			/* 1, 2 or 3 (0: 3) */
};

struct compiled {
	struct script user, lib;	/* pass 1: the script, the tapsets */
	struct resolved r;		/* pass 2 */
	struct bc_program *prog;	/* pass 3; the caller frees it */
};

/*
 * Run the passes on SRC up to O->last_pass, into OUT (its trees live in
 * A).  Returns 0, or the number of the pass that failed: its errors went
 * to D, except when pass 2 finds no probe points in the target binaries at
 * all (OUT->r.no_probes says why, as one line: not the script's fault).
 */
int compile_script(struct ast_arena *a, const struct source *src,
		   struct compile_opts *o, struct compiled *out,
		   struct diag *d);

#endif
