/*
 * resolve.c - pass 2: alias expansion, probe-point resolution, symbol
 * binding and type inference (see resolve.h); this file runs the steps
 * in order, the other resolve_*.c files hold them (resolve_int.h).
 *
 * Each user probe point is expanded through the alias table until only
 * base probe points remain; every (user probe, base point) pair becomes one
 * handler whose body is a fresh copy of
 *     { innermost prologue ... outermost prologue; user body;
 *       outermost epilogue ... innermost epilogue }
 * so that locals assigned by an alias prologue (funcname, filename, ...)
 * are the user's locals, exactly as in SystemTap.
 */
#include <stdio.h>
#include <string.h>

#include "resolve_int.h"

/*
 * A tapset file comes into the program whole once the script uses a global
 * it declares, as SystemTap pulls in tapset files: its plain probes (such
 * as argv.pytap's `probe init` that fills argv[]) are expanded then.  DONE
 * lists the files already pulled in (up to MAXPULL).  Returns how many
 * probes were expanded.
 */
#define MAXPULL 64
static int pull_tapset_probes(struct ctx *c, const struct source **done,
			      int *ndone)
{
	struct probe *p;
	int n = 0, i, k;

	for (p = c->lib->probes; p; p = p->next) {
		const struct source *src = p->loc.src;
		bool used = false, seen = false;

		if (p->kind != PROBE_PLAIN || !src)
			continue;
		for (k = 0; k < *ndone; k++)
			seen |= done[k] == src;
		if (seen)
			continue;
		for (i = 0; i < c->nglobals && !used; i++)
			used = c->globals[i]->loc.src == src;
		if (!used)
			continue;
		/* every plain probe of this file, now and never again */
		if (*ndone < MAXPULL)
			done[(*ndone)++] = src;
		for (struct probe *q = c->lib->probes; q; q = q->next) {
			if (q->kind != PROBE_PLAIN || q->loc.src != src)
				continue;
			for (i = 0; i < q->npoints; i++)
				n += res_expand(c, q->points[i]->comps,
						q->points[i]->ncomps,
						q->points[i], q, NULL, 0) > 0;
		}
	}
	return n;
}

int resolve_script(struct ast_arena *a, struct script *user,
		   struct script *lib, const struct resolve_opts *o,
		   struct resolved *out, struct diag *d)
{
	struct ctx c;
	struct probe *p;
	struct rhandler *h, *from;
	int errors0 = d->nerrors, i, round, k, kfrom = 0, npulled = 0;
	const struct source *pulled[MAXPULL];

	memset(out, 0, sizeof(*out));
	c = (struct ctx){ .a = a, .d = d, .o = o, .user = user, .lib = lib,
			  .out = out, .tail = &out->handlers };
	/* 0. what parsed but pytap refuses (DWARF, kernel, embedded C) */
	{
		struct script *scripts[2] = { user, lib };
		const struct refusal *r;

		for (k = 0; k < 2; k++)
			for (r = scripts[k]->refusals; r; r = r->next)
				diag_error(d, &r->loc, "%s", r->msg);
		if (d->nerrors != errors0)
			return d->nerrors - errors0;
	}
	res_collect_aliases(&c);

	/* 1. expand every user probe */
	for (p = user->probes; p; p = p->next) {
		if (p->kind != PROBE_PLAIN)
			continue;
		for (i = 0; i < p->npoints; i++) {
			struct probe_point *pp = p->points[i];

			if (pp->cond && !res_check_cond(&c, pp->cond))
				continue;
			/* '!': once it resolves, the rest of the list is
			   not tried */
			if (res_expand(&c, pp->comps, pp->ncomps, pp, p, NULL,
				       0) > 0 && pp->sufficient)
				break;
		}
	}
	if (!out->handlers && d->nerrors == errors0) {
		diag_error(d, NULL, "no probes found");
		return d->nerrors - errors0;
	}

	/* 2. bind symbols per handler, drop dead alias stores, check $vars;
	   again for the probes of tapset files whose globals were used */
	from = out->handlers;
bind_more:
	for (h = from; h; h = h->next) {
		c.locals = &h->locals;
		c.nlocals = &h->nlocals;
		c.curfn = NULL;
		c.curpt = &h->pt;
		if (!o->listing)
			res_agent_arity(&h->pt, h->body, o->no_agent);
		res_fold_defined(&h->pt, h->body);
		/* context errors are reported after elision */
		{
			struct diag quiet = *d;

			quiet.out = fopen("/dev/null", "w");
			c.d = &quiet;
			res_bind(&c, h->body);
			if (quiet.out)
				fclose(quiet.out);
			c.d = d;
		}
		if (!o->listing)
			res_elide_dead_stores(h, d);
		/* rebind for real now, reporting errors once */
		h->pt.values = false;
		h->pt.want_agent = false;
		h->locals = NULL;
		h->nlocals = 0;
		res_bind(&c, h->body);
		if (!o->listing)
			res_elide_dead_stores(h, d);
		res_warn_never_assigned(&c, h->locals);
	}
	for (k = kfrom; k < c.nfns; k++) {
		struct function *f = c.fns[k];

		c.curfn = f;
		c.curpt = NULL;
		f->locals = NULL;
		f->nlocals = 0;
		c.locals = &f->locals;
		c.nlocals = &f->nlocals;
		for (i = 0; i < f->nparams; i++) {
			struct symbol *ps = res_add_local(&c,
							  f->params[i]->name,
							  &f->params[i]->loc);

			ps->kind = SYM_PARAM;
			ps->type = f->params[i]->type;
			f->params[i] = ps;
		}
		res_bind(&c, f->body);
		res_warn_never_assigned(&c, f->locals);
	}
	c.curfn = NULL;
	kfrom = c.nfns;
	{
		struct rhandler **end = c.tail;

		if (pull_tapset_probes(&c, pulled, &npulled) && *end) {
			from = *end;
			goto bind_more;
		}
	}
	if (d->nerrors != errors0 && !o->listing)
		return d->nerrors - errors0;
	res_fe_checks(&c);

	/* 3. infer types to a fixed point */
	for (round = 0; round < 64; round++) {
		c.changed = false;
		res_global_init_types(&c);
		for (h = out->handlers; h; h = h->next) {
			c.curfn = NULL;
			res_infer(&c, h->body);
		}
		for (k = 0; k < c.nfns; k++) {
			c.curfn = c.fns[k];
			res_infer(&c, c.fns[k]->body);
		}
		if (!c.changed || (d->nerrors != errors0 && !o->listing))
			break;
	}
	if (d->nerrors != errors0)
		return d->nerrors - errors0;
	for (h = out->handlers; h; h = h->next)
		res_print_check(&c, h->body);
	for (k = 0; k < c.nfns; k++)
		res_print_check(&c, c.fns[k]->body);
	if (d->nerrors != errors0)
		return d->nerrors - errors0;
	for (h = out->handlers; h; h = h->next)
		res_check_unresolved(&c, h->locals);
	for (k = 0; k < c.nfns; k++) {
		struct function *f = c.fns[k];

		res_check_unresolved(&c, f->locals);
		if (f->has_value_return && f->rettype == T_UNKNOWN)
			diag_error(d, &f->loc,
				   "cannot infer the return type of function '%s'",
				   f->name);
	}
	for (i = 0; i < c.nglobals; i++) {
		struct symbol *g = c.globals[i];

		if (g->nkeys > 9) {	/* keytypes[] holds 9 */
			diag_error(d, &g->loc,
				   "array '%s' has %d indexes: at most 9 are supported",
				   g->name, g->nkeys);
			continue;
		}
		if (g->type == T_UNKNOWN)
			diag_error(d, &g->loc,
				   "cannot infer the type of global '%s'", g->name);
		for (k = 0; k < g->nkeys; k++)
			if (g->keytypes[k] == T_UNKNOWN)
				diag_error(d, &g->loc,
					   "cannot infer the type of index %d of '%s'",
					   k + 1, g->name);
	}
	if (d->nerrors == errors0 && !o->listing)
		res_warn_unused(&c);
	/* keep globals in declaration order: user's first, then tapsets' */
	{
		struct script *scripts[2] = { user, lib };
		int n = 0;

		for (k = 0; k < 2; k++) {
			struct symbol *g;

			for (g = scripts[k]->globals; g; g = g->next)
				for (i = 0; i < c.nglobals; i++)
					if (c.globals[i] == g)
						n = ast_push(a, (void ***)&out->globals,
							     n, g);
		}
		out->nglobals = n;
	}
	out->functions = c.fns;
	out->nfunctions = c.nfns;
	return d->nerrors - errors0;
}
