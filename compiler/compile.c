/*
 * compile.c - the passes in order (compile.h).
 */
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "tapset.h"

int compile_script(struct ast_arena *a, const struct source *src,
		   struct compile_opts *o, struct compiled *out,
		   struct diag *d)
{
	int last = o->last_pass ? o->last_pass : 3;

	memset(out, 0, sizeof(*out));
	/* the library macros first (SystemTap's order: .stpm files, the
	   script, the tapsets); every pass reads the tapsets, as stap -p1
	   does, so that -p1 reports an error in one */
	if (tapset_load_macros(a, o->incdirs, o->nincdirs, &o->po, d,
			       o->verbose) ||
	    parse_source(a, src, &o->po, &out->user, d) ||
	    tapset_load(a, o->incdirs, o->nincdirs, &o->po, &out->lib, d,
			o->verbose) ||
	    d->nerrors)
		return 1;
	if (last == 1)
		return 0;
	if (resolve_script(a, &out->user, &out->lib, &o->ro, &out->r, d))
		return 2;
	if (last == 2)
		return 0;
	out->prog = calloc(1, sizeof(*out->prog));
	if (out->prog == NULL) {
		diag_error(d, NULL, "out of memory");
		return 3;
	}
	if (codegen(&out->r, &o->lim, out->prog, d)) {
		bc_program_free(out->prog);
		out->prog = NULL;
		return 3;
	}
	return 0;
}
