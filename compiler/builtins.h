/*
 * builtins.h - the compiler's view of the built-in functions: names,
 * parameter and return types, from runtime/builtin_list.h.
 */
#ifndef PYTAP_BUILTINS_H
#define PYTAP_BUILTINS_H

#include "ast.h"

struct builtin {
	const char *name;
	int id;			/* BI_* */
	enum type ret;		/* T_UNKNOWN: no value (void) */
	int nargs;
	enum type args[4];
	bool pure;		/* no side effects: a call whose value is
				   unused may be dropped */
};

/* The overload of NAME taking NARGS arguments, or NULL. */
const struct builtin *builtin_find(const char *name, int nargs);
/* Any overload of NAME (for "wrong number of arguments" messages). */
bool builtin_exists(const char *name);
/* The closest built-in name to NAME, for "did you mean", or NULL. */
const char *builtin_suggest(const char *name);
/* Names of kernel-only functions we reject with a clear message. */
bool builtin_is_kernel_only(const char *name);

#endif
