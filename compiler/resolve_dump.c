/*
 * resolve_dump.c - what pass 2 shows: the -p2 listing of probes, locals,
 * globals and functions, and the -l / -L probe point listings.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resolve_int.h"

/* ------------------------------------------------------------------ */
/* -p2                                                                */

static const char *kind_name(enum bc_probe_kind k)
{
	switch (k) {
	case BP_BEGIN: return "begin";
	case BP_END: return "end";
	case BP_ERROR: return "error";
	case BP_TIMER: return "timer";
	case BP_SDT: return "sdt";
	case BP_NEVER: return "never";
	case BP_PROC_BEGIN: return "process.begin";
	case BP_PROC_END: return "process.end";
	case BP_THREAD_BEGIN: return "process.thread.begin";
	case BP_THREAD_END: return "process.thread.end";
	case BP_SAMPLE: return "sample";
	case BP_SAMPLE_ALL: return "sample.all";
	}
	return "?";
}

static void dump_syms(struct strbuf *out, const char *title,
		      const struct symbol *s)
{
	bool first = true;

	for (; s; s = s->next) {
		if (first)
			sb_printf(out, "  %s:", title);
		sb_printf(out, " %s:%s", s->name, res_type_name(s->type));
		first = false;
	}
	if (!first)
		sb_putc(out, '\n');
}

void resolve_dump(struct strbuf *out, const struct resolved *r)
{
	const struct rhandler *h;
	int i, k;

	if (r->nglobals) {
		sb_puts(out, "# globals\n");
		for (i = 0; i < r->nglobals; i++) {
			const struct symbol *g = r->globals[i];

			sb_printf(out, "%s:%s", g->name,
				  res_type_name(g->type));
			if (g->nkeys) {
				sb_putc(out, ' ');
				sb_putc(out, '[');
				for (k = 0; k < g->nkeys; k++)
					sb_printf(out, "%s%s", k ? ", " : "",
						  res_type_name(g->keytypes[k]));
				sb_putc(out, ']');
			}
			sb_putc(out, '\n');
		}
	}
	if (r->nfunctions) {
		sb_puts(out, "# functions\n");
		for (i = 0; i < r->nfunctions; i++) {
			const struct function *f = r->functions[i];

			sb_printf(out, "%s:%s (", f->name,
				  f->has_value_return ?
				  res_type_name(f->rettype) : "void");
			for (k = 0; k < f->nparams; k++)
				sb_printf(out, "%s%s:%s", k ? ", " : "",
					  f->params[k]->name,
					  res_type_name(f->params[k]->type));
			sb_puts(out, ")\n");
		}
	}
	sb_puts(out, "# probes\n");
	for (h = r->handlers; h; h = h->next) {
		sb_printf(out, "%s", h->pt.pp);
		if (h->pt.kind == BP_SDT) {
			sb_printf(out, " /* %s:%s in %s, %d arg%s */",
				  h->pt.provider, h->pt.name,
				  h->pt.path ? h->pt.path : "the target",
				  h->pt.nargs, h->pt.nargs == 1 ? "" : "s");
		} else if (h->pt.kind == BP_TIMER) {
			sb_printf(out, " /* every %" PRId64 " ns", h->pt.period_ns);
			if (h->pt.randomize_ns)
				sb_printf(out, " +- %" PRId64, h->pt.randomize_ns);
			sb_puts(out, " */");
		} else if (h->pt.kind == BP_SAMPLE ||
			   h->pt.kind == BP_SAMPLE_ALL) {
			sb_printf(out, " /* every %" PRId64 " ns, %s */",
				  h->pt.period_ns, h->pt.kind == BP_SAMPLE
				  ? "threads on a CPU" : "every thread");
		} else if (h->pt.kind >= BP_PROC_BEGIN) {
			sb_printf(out, " /* %s of ", kind_name(h->pt.kind));
			if (h->pt.path)
				sb_printf(out, "%s */", h->pt.path);
			else if (h->pt.pid)
				sb_printf(out, "pid %" PRId64 " */", h->pt.pid);
			else
				sb_puts(out, "the target and its children */");
		} else {
			sb_printf(out, " /* %s, order %" PRId64 " */",
				  kind_name(h->pt.kind), h->pt.priority);
		}
		sb_putc(out, '\n');
		dump_syms(out, "locals", h->locals);
	}
	if (r->python311_line_sema)
		sb_puts(out, "# CPython 3.11: the 'line' semaphore is raised with function__entry\n");
}

/* ------------------------------------------------------------------ */
/* -l / -L                                                            */

static bool list_prefix_match(const struct pp_component *u, int nu,
			      const struct pp_component *al, int na)
{
	int r = res_match_comps(u, nu, al, na);

	if (r == nu)
		return true;
	/* listing: "python.*" also lists python.function.entry */
	if (nu > 0 && nu <= na && strcmp(u[nu - 1].name, "*") == 0)
		return res_match_comps(u, nu - 1, al, nu - 1) == nu - 1;
	return false;
}

/* One -L line: the handler's locals (an alias's variables), then the
 * mark's $argN, as stap -L prints them. */
static void list_vars(struct strbuf *sb, const struct rhandler *h)
{
	const struct symbol *s;
	int i;

	for (s = h->locals; s; s = s->next)
		sb_printf(sb, " %s:%s", s->name, res_type_name(s->type));
	if (h->pt.kind == BP_SDT)
		for (i = 1; i <= h->pt.nargs; i++)
			sb_printf(sb, " $arg%d:long", i);
}

/* A probe with an empty body at POINT, for resolving one listed item. */
static struct script *list_probe(struct ast_arena *a, struct probe_point *point)
{
	struct script *u = ast_alloc(a, sizeof(*u));
	struct probe *up = ast_alloc(a, sizeof(*up));

	up->kind = PROBE_PLAIN;
	up->loc = point->loc;
	up->points = ast_alloc(a, sizeof(*up->points));
	up->points[0] = point;
	up->npoints = 1;
	up->body = ast_stmt(a, S_BLOCK, &point->loc);
	u->probes = up;
	return u;
}

static int cmp_lines(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/*
 * -l / -L.  Aliases whose name matches PP (a trailing '*' also matches
 * longer names: 'python.*' lists python.function.entry, a pytap
 * extension), then, for a process(...) pattern, the marks it matches.
 * -L resolves each item with an empty handler in listing mode (nothing
 * elided, errors silent) and prints the alias's variables and the mark's
 * $argN with their types; without a target a bare process mark has an
 * unknown arity, so only the alias's variables are shown.  Output is
 * sorted and each line printed once, as stap does.
 */
int resolve_list(struct ast_arena *a, struct script *lib,
		 const struct probe_point *pp, const struct resolve_opts *o,
		 bool with_vars, struct strbuf *out, struct diag *d)
{
	struct ctx c;
	struct script empty;
	struct alias_def *x;
	struct resolve_opts lo = *o;
	struct diag quiet = *d;
	char **lines = NULL;
	int nlines = 0, n = 0, i, errors0 = d->nerrors;
	struct resolved r;
	struct rhandler *h;
	bool no_notes = false;

	lo.listing = true;
	quiet.out = fopen("/dev/null", "w");
	memset(&empty, 0, sizeof(empty));
	c = (struct ctx){ .a = a, .d = d, .o = o, .user = &empty, .lib = lib };
	res_collect_aliases(&c);
	for (x = c.aliases; x; x = x->next) {
		const struct probe_point *an = x->p->alias_name;
		struct strbuf sb = STRBUF_INIT;
		struct probe_point *point;

		if (!list_prefix_match(pp->comps, pp->ncomps, an->comps,
				       an->ncomps))
			continue;
		/* listed if it resolves (as stap -l): against the target
		   when there is one, so that -c PYTHON shows what that
		   Python has */
		point = ast_alloc(a, sizeof(*point));
		*point = *an;
		quiet.nerrors = 0;
		resolve_script(a, list_probe(a, point), lib, &lo, &r, &quiet);
		for (h = r.handlers; h; h = h->next) {
			sb_reset(&sb);
			sb_puts(&sb, res_alias_key(&c, x->p));
			if (with_vars)
				list_vars(&sb, h);
			nlines = ast_push(a, (void ***)&lines, nlines,
					  ast_strndup(a, sb_str(&sb), sb.len));
		}
		sb_free(&sb);
	}
	/* process(...).mark(...) patterns: every mark they match */
	if (pp->ncomps >= 2 && !strcmp(pp->comps[0].name, "process")) {
		struct probe_point *point = ast_alloc(a, sizeof(*point));
		struct strbuf sb = STRBUF_INIT;

		*point = *pp;
		/* errors here are the user's (a missing binary, no such mark,
		   a bad form) and say why nothing is listed */
		resolve_script(a, list_probe(a, point), &empty, &lo, &r, d);
		if (r.no_probes) {
			/* a runtime-like problem, not a compile error */
			fprintf(d->out, "pytap: %s\n", r.no_probes);
			d->nerrors = errors0;
			no_notes = true;
		}
		for (h = r.handlers; h; h = h->next) {
			sb_reset(&sb);
			sb_puts(&sb, h->pt.pp);
			if (with_vars)
				list_vars(&sb, h);
			nlines = ast_push(a, (void ***)&lines, nlines,
					  ast_strndup(a, sb_str(&sb), sb.len));
		}
		sb_free(&sb);
	}
	if (quiet.out)
		fclose(quiet.out);
	if (!nlines && d->nerrors == errors0 && !no_notes) {
		struct strbuf sb = STRBUF_INIT;

		resolve_pp_text(&sb, pp);
		fprintf(d->out, "pytap: no probe point matches '%s'\n",
			sb_str(&sb));
		sb_free(&sb);
	}
	if (nlines)
		qsort(lines, (size_t)nlines, sizeof(*lines), cmp_lines);
	for (i = 0; i < nlines; i++) {
		if (i && !strcmp(lines[i], lines[i - 1]))
			continue;
		sb_printf(out, "%s\n", lines[i]);
		n++;
	}
	return d->nerrors != errors0 || no_notes ? -1 : n;
}
