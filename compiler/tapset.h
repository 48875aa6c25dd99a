/*
 * tapset.h - the tapset library: probe aliases and functions written in the
 * language itself.  Built-in tapsets (the .pytap files of tapsets/) are embedded in the
 * binary at build time (tapsets_builtin.c, generated); more come from
 * $PYTAP_TAPSETS and -I directories, which can override built-in aliases.
 */
#ifndef PYTAP_TAPSET_H
#define PYTAP_TAPSET_H

#include <stddef.h>

#include "ast.h"
#include "diag.h"
#include "parse.h"

struct builtin_tapset {
	const char *name;	/* "python.pytap" */
	const char *text;
	size_t len;
};
extern const struct builtin_tapset builtin_tapsets[];
extern const size_t n_builtin_tapsets;

/*
 * Parse every tapset file (LIB NULL: every macro file, as
 * tapset_load_macros): the default set first (the directories of
 * $PYTAP_TAPSETS, colon-separated, when it is set; else PYTAP_TAPSET_DIR
 * for the installed binary; else the embedded copies), then each -I DIR,
 * in that order.  Probes, functions and globals are appended to LIB.
 * Returns the number of errors.
 */
int tapset_load(struct ast_arena *a, char **dirs, int ndirs,
		struct parse_opts *po, struct script *lib,
		struct diag *d, int verbose);

/*
 * The library macro files (*.stpm) of the same places, in the same order:
 * their macros go to PO->libmacros.  Call it before parsing anything else.
 * Returns the number of errors.
 */
int tapset_load_macros(struct ast_arena *a, char **dirs, int ndirs,
		       struct parse_opts *po, struct diag *d, int verbose);

#endif
