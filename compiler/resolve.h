/*
 * resolve.h - pass 2: from parsed probes to concrete, typed handlers.
 *
 *  - expands probe aliases (prologues, epilogues, suffixes, wildcards),
 *    pulling them from the tapset library;
 *  - turns each base probe point into an rpoint (begin/end/error/never/
 *    timer/SDT mark), finding SDT marks in the target binaries and
 *    explaining why when none match;
 *  - binds every identifier to a local, a global or a function, drops
 *    dead alias stores (`frameptr = $arg4` when frameptr is never read),
 *    checks $argN against the mark's arity;
 *  - infers every type, reporting conflicts with their locations.
 */
#ifndef PYTAP_RESOLVE_H
#define PYTAP_RESOLVE_H

#include "ast.h"
#include "bytecode.h"
#include "diag.h"
#include "target.h"

struct resolve_opts {
	struct target_set *ts;	/* binaries known at compile time */
	bool have_target;	/* -c or -x given */
	int verbose;
	/* -L: keep every alias store (no dead-store elision), report no
	   errors, leave what cannot be typed unknown; a bare process mark
	   without a target resolves with an unknown arity */
	bool listing;
	/* --no-agent: breakpoints only ($$return and the exception probes
	   are compile errors at their use) */
	bool no_agent;
};

/* A concrete probe point. */
struct rpoint {
	enum bc_probe_kind kind;
	int64_t priority;
	int64_t period_ns, randomize_ns;
	char *path;		/* SDT: object path, NULL = target objects */
	char *provider, *name;	/* SDT: exact (after matching notes) */
	int64_t pid;
	int nargs;		/* SDT arity, -1 unknown */
	bool agent_only;	/* SDT: only the in-process agent's marks
				   matched (a Python without markers) */
	bool optional;
	bool values;		/* SDT python function mark whose handler
				   reads $$parms or $$return: the agent
				   serves it and sends the values */
	bool want_agent;	/* ... reads unwound: the agent serves it
				   (no values needed) */
	char *pp;		/* text for pp() */
	char *pn;		/* pn(): the alias the user's probe point
				   matched ("python.function.entry"), NULL =
				   pp */
	struct loc loc;		/* where the user wrote it */
};

/* One handler: a derived probe point and its combined body. */
struct rhandler {
	struct rpoint pt;
	struct stmt *body;	/* prologues, user body, epilogues */
	struct symbol *locals;	/* this handler's locals */
	int nlocals;
	struct rhandler *next;
};

struct resolved {
	struct rhandler *handlers;
	struct symbol **globals;	/* used globals, declaration order */
	int nglobals;
	struct function **functions;	/* used functions */
	int nfunctions;
	bool python311_line_sema;
	char *python311_path;	/* its Python (for -v), arena */
	/* Set when the target binaries have no SDT notes at all: not a
	   script error but a runtime problem, reported as one line (the
	   CLI exits with PYTAP_EXIT_TRACE). */
	char *no_probes;
};

/* Returns the number of errors (0 = success). */
int resolve_script(struct ast_arena *a, struct script *user,
		   struct script *lib, const struct resolve_opts *o,
		   struct resolved *out, struct diag *d);

/* -p2: the resolved probes, their handlers' locals and the globals. */
struct strbuf;
void resolve_dump(struct strbuf *out, const struct resolved *r);

/* "process(\"/usr/bin/python3.11\").mark(\"function__entry\")" etc. */
void resolve_pp_text(struct strbuf *out, const struct probe_point *pp);

/* -l / -L: list the probe points matching PP (aliases and marks). */
int resolve_list(struct ast_arena *a, struct script *lib,
		 const struct probe_point *pp, const struct resolve_opts *o,
		 bool with_vars, struct strbuf *out, struct diag *d);

#endif
