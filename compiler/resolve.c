/*
 * resolve.c - pass 2: alias expansion, probe-point resolution, symbol
 * binding and type inference (see resolve.h).
 *
 * Each user probe point is expanded through the alias table until only
 * base probe points remain; every (user probe, base point) pair becomes one
 * handler whose body is a fresh copy of
 *     { innermost prologue ... outermost prologue; user body;
 *       outermost epilogue ... innermost epilogue }
 * so that locals assigned by an alias prologue (funcname, filename, ...)
 * are the user's locals, exactly as in SystemTap.
 */
#include <ctype.h>
#include <fnmatch.h>
#include <glob.h>
#include <regex.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "builtins.h"
#include "format.h"
#include "resolve.h"
#include "strbuf.h"

#define MAX_ALIAS_DEPTH 32

struct alias_def {
	struct probe *p;		/* PROBE_ALIAS or PROBE_ALIAS_EPI */
	struct alias_def *next;
};

/* One alias body met on the way down to a base point. */
struct chain {
	struct probe *alias;
	const struct chain *outer;
};

struct ctx {
	struct ast_arena *a;
	struct diag *d;
	const struct resolve_opts *o;
	struct script *user, *lib;
	struct alias_def *aliases;
	struct resolved *out;
	struct rhandler **tail;
	/* used functions, work list */
	struct function **fns;
	int nfns;
	struct symbol **globals;
	int nglobals;
	/* binding scope */
	struct symbol **locals;		/* list head being built */
	int *nlocals;
	struct function *curfn;
	const struct rpoint *curpt;
	bool changed;			/* type inference progress */
	int loop_depth;
	struct expr *cond;		/* if (...) of the point being expanded */
	struct expr *stmt_top;		/* the expression of an S_EXPR (its
					   value is not used) */
};

/* ------------------------------------------------------------------ */
/* probe point text                                                   */

static void put_quoted(struct strbuf *sb, const char *s)
{
	sb_putc(sb, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			sb_putc(sb, '\\');
		sb_putc(sb, *s);
	}
	sb_putc(sb, '"');
}

static void comps_text(struct strbuf *sb, const struct pp_component *c, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		if (i)
			sb_putc(sb, '.');
		sb_puts(sb, c[i].name);
		if (c[i].has_arg) {
			sb_putc(sb, '(');
			if (c[i].arg_is_str)
				put_quoted(sb, c[i].arg_str);
			else
				sb_printf(sb, "%" PRId64, c[i].arg_num);
			sb_putc(sb, ')');
		}
	}
}

void resolve_pp_text(struct strbuf *out, const struct probe_point *pp)
{
	comps_text(out, pp->comps, pp->ncomps);
	if (pp->sufficient)
		sb_putc(out, '!');
	else if (pp->optional)
		sb_putc(out, '?');
}

static char *comps_str(struct ctx *c, const struct pp_component *comps, int n)
{
	struct strbuf sb = STRBUF_INIT;
	char *r;

	comps_text(&sb, comps, n);
	r = ast_strndup(c->a, sb_str(&sb), sb.len);
	sb_free(&sb);
	return r;
}

/* ------------------------------------------------------------------ */
/* deep copies (each handler owns its body)                           */

static struct expr *clone_expr(struct ast_arena *a, const struct expr *e);

static struct expr **clone_args(struct ast_arena *a, struct expr **args,
				int n)
{
	struct expr **r;
	int i;

	if (!args)
		return NULL;
	r = ast_alloc(a, sizeof(*r) * (size_t)(n ? n : 1));
	for (i = 0; i < n; i++)
		r[i] = clone_expr(a, args[i]);
	return r;
}

static struct expr *clone_expr(struct ast_arena *a, const struct expr *e)
{
	struct expr *r;

	if (!e)
		return NULL;
	r = ast_alloc(a, sizeof(*r));
	*r = *e;
	r->sym = NULL;
	r->fn = NULL;
	r->bi = NULL;
	r->aux = NULL;
	r->type = T_UNKNOWN;
	r->a = clone_expr(a, e->a);
	r->b = clone_expr(a, e->b);
	r->c = clone_expr(a, e->c);
	r->args = clone_args(a, e->args, e->nargs);
	return r;
}

static struct stmt *clone_stmt(struct ast_arena *a, const struct stmt *s)
{
	struct stmt *r;
	int i;

	if (!s)
		return NULL;
	r = ast_alloc(a, sizeof(*r));
	*r = *s;
	r->e = clone_expr(a, s->e);
	r->then = clone_stmt(a, s->then);
	r->els = clone_stmt(a, s->els);
	r->init = clone_stmt(a, s->init);
	r->step = clone_stmt(a, s->step);
	r->catchvar = clone_expr(a, s->catchvar);
	if (s->body) {
		r->body = ast_alloc(a, sizeof(*r->body) *
				    (size_t)(s->nbody ? s->nbody : 1));
		for (i = 0; i < s->nbody; i++)
			r->body[i] = clone_stmt(a, s->body[i]);
	}
	if (s->fe) {
		struct foreach *f = ast_alloc(a, sizeof(*f));

		*f = *s->fe;
		f->value = clone_expr(a, s->fe->value);
		f->keys = clone_args(a, s->fe->keys, s->fe->nkeys);
		f->array = clone_expr(a, s->fe->array);
		f->slice = clone_args(a, s->fe->slice, s->fe->nkeys);
		f->limit = clone_expr(a, s->fe->limit);
		r->fe = f;
	}
	return r;
}

/* ------------------------------------------------------------------ */
/* aliases                                                            */

static char *alias_key(struct ctx *c, const struct probe *p)
{
	return comps_str(c, p->alias_name->comps, p->alias_name->ncomps);
}

/*
 * Collect alias definitions.  A name defined in the user's files, or in a
 * tapset of a higher origin (-I), replaces definitions of lower origins:
 * SystemTap would expand all of them and double every event.
 */
static void collect_aliases(struct ctx *c)
{
	struct script *scripts[2] = { c->lib, c->user };
	struct alias_def *all = NULL, **tail = &all, *x, *y;
	int i;

	for (i = 0; i < 2; i++) {
		struct probe *p;

		for (p = scripts[i]->probes; p; p = p->next) {
			if (p->kind == PROBE_PLAIN)
				continue;
			x = ast_alloc(c->a, sizeof(*x));
			x->p = p;
			*tail = x;
			tail = &x->next;
		}
	}
	/* drop definitions shadowed by a higher origin */
	tail = &c->aliases;
	for (x = all; x; x = x->next) {
		const struct source *sx = x->p->loc.src;
		int ox = sx->is_tapset ? sx->origin : 1 << 20;
		bool shadowed = false;
		char *kx = alias_key(c, x->p);

		for (y = all; y; y = y->next) {
			const struct source *sy = y->p->loc.src;
			int oy = sy->is_tapset ? sy->origin : 1 << 20;

			if (oy > ox && strcmp(kx, alias_key(c, y->p)) == 0) {
				shadowed = true;
				if (c->o->verbose)
					fprintf(stderr,
						"pytap: alias '%s' from %s replaces the one in %s\n",
						kx, sy->name, sx->name);
				break;
			}
		}
		if (shadowed)
			continue;
		y = ast_alloc(c->a, sizeof(*y));
		y->p = x->p;
		*tail = y;
		tail = &y->next;
	}
}

/* Does the user pattern U[0..nu) match alias name A[0..na)?  Returns the
 * number of user components consumed (the rest is a suffix), or -1. */
static int match_comps(const struct pp_component *u, int nu,
		       const struct pp_component *al, int na)
{
	int i;

	if (na == 0)
		return 0;
	if (nu == 0)
		return -1;
	if (strcmp(u[0].name, "**") == 0) {
		/* ** eats one or more alias components */
		for (i = 1; i <= na; i++) {
			int r = match_comps(u + 1, nu - 1, al + i, na - i);

			if (r >= 0)
				return r + 1;
		}
		return -1;
	}
	if (fnmatch(u[0].name, al[0].name, 0) != 0)
		return -1;
	if (u[0].has_arg != al[0].has_arg)
		return -1;
	if (u[0].has_arg) {
		if (u[0].arg_is_str != al[0].arg_is_str)
			return -1;
		if (u[0].arg_is_str ? strcmp(u[0].arg_str, al[0].arg_str) != 0
				    : u[0].arg_num != al[0].arg_num)
			return -1;
	}
	i = match_comps(u + 1, nu - 1, al + 1, na - 1);
	return i < 0 ? -1 : i + 1;
}

/* ------------------------------------------------------------------ */
/* base probe points                                                  */

static bool is_kernel_family(const char *n)
{
	static const char *const k[] = {
		"kernel", "module", "syscall", "nd_syscall", "kprobe",
		"kprocess", "scheduler", "vfs", "netfilter", "tcp", "udp",
		"signal", "perf", "procfs", "netdev", "ioblock", "socket",
		"nfs", "nfsd", "sunrpc", "irq", "softirq", "workqueue",
		"memory", "vm", "generic", "hrtimer", "scsi", "tty", "lsm",
		"sysc", "stap", "nd_syscalls", "syscall_any",
	};
	size_t i;

	for (i = 0; i < sizeof(k) / sizeof(k[0]); i++)
		if (strcmp(k[i], n) == 0)
			return true;
	return false;
}

/* Does S assign the variable NAME (=, compound, ++/--, <<<, foreach,
 * catch, delete)? */
static bool stmt_writes_name(const struct stmt *s, const char *name);

static bool expr_writes_name(const struct expr *e, const char *name)
{
	int i;

	if (!e)
		return false;
	if ((e->kind == E_ASSIGN || e->kind == E_PREINC ||
	     e->kind == E_POSTINC) && e->a && e->a->kind == E_SYM &&
	    !strcmp(e->a->name, name))
		return true;
	if (expr_writes_name(e->a, name) || expr_writes_name(e->b, name) ||
	    expr_writes_name(e->c, name))
		return true;
	for (i = 0; i < e->nargs; i++)
		if (expr_writes_name(e->args[i], name))
			return true;
	return false;
}

static bool stmt_writes_name(const struct stmt *s, const char *name)
{
	int i;

	if (!s)
		return false;
	if (s->kind == S_DELETE && s->e && s->e->kind == E_SYM &&
	    !strcmp(s->e->name, name))
		return true;
	if (s->catchvar && !strcmp(s->catchvar->name, name))
		return true;
	if (s->fe) {
		if (s->fe->value && !strcmp(s->fe->value->name, name))
			return true;
		for (i = 0; i < s->fe->nkeys; i++)
			if (!strcmp(s->fe->keys[i]->name, name))
				return true;
	}
	if (expr_writes_name(s->e, name) || stmt_writes_name(s->then, name) ||
	    stmt_writes_name(s->els, name) || stmt_writes_name(s->init, name) ||
	    stmt_writes_name(s->step, name))
		return true;
	for (i = 0; i < s->nbody; i++)
		if (stmt_writes_name(s->body[i], name))
			return true;
	return false;
}

/* @probewrite(v) in an alias body: 1 when the user's body writes v. */
static void fold_probewrite_expr(struct expr *e, const struct stmt *user)
{
	int i;

	if (!e)
		return;
	if (e->kind == E_DEFINED && e->op && !strcmp(e->op, "@probewrite")) {
		e->kind = E_NUM;
		e->num = stmt_writes_name(user, e->a->name);
		e->a = NULL;
		return;
	}
	fold_probewrite_expr(e->a, user);
	fold_probewrite_expr(e->b, user);
	fold_probewrite_expr(e->c, user);
	for (i = 0; i < e->nargs; i++)
		fold_probewrite_expr(e->args[i], user);
}

static void fold_probewrite(struct stmt *s, const struct stmt *user)
{
	int i;

	if (!s)
		return;
	fold_probewrite_expr(s->e, user);
	fold_probewrite(s->then, user);
	fold_probewrite(s->els, user);
	fold_probewrite(s->init, user);
	fold_probewrite(s->step, user);
	for (i = 0; i < s->nbody; i++)
		fold_probewrite(s->body[i], user);
	if (s->fe)
		fold_probewrite_expr(s->fe->limit, user);
}

static struct rhandler *new_handler(struct ctx *c, const struct rpoint *pt,
				    struct probe *user, const struct chain *ch)
{
	struct rhandler *h = ast_alloc(c->a, sizeof(*h));
	struct stmt *blk = ast_stmt(c->a, S_BLOCK, &user->loc);
	const struct chain *x;
	struct stmt **list = NULL;
	int n = 0, depth = 0, i;
	const struct chain *stack[MAX_ALIAS_DEPTH];

	h->pt = *pt;
	/* the chain runs innermost-first (closest to the base point) */
	for (x = ch; x && depth < MAX_ALIAS_DEPTH; x = x->outer)
		stack[depth++] = x;
	/* probe PP if (COND): like SystemTap's insert_condition_statement,
	   `if (!(COND)) next` goes before the whole handler */
	if (c->cond) {
		struct stmt *ifs = ast_stmt(c->a, S_IF, &c->cond->loc);
		struct expr *neg = ast_expr(c->a, E_UNARY, &c->cond->loc);

		neg->op = "!";
		neg->a = clone_expr(c->a, c->cond);
		ifs->e = neg;
		ifs->then = ast_stmt(c->a, S_NEXT, &c->cond->loc);
		n = ast_push(c->a, (void ***)&list, n, ifs);
	}
	for (i = 0; i < depth; i++) {
		struct probe *al = stack[i]->alias;

		if (al->kind == PROBE_ALIAS && al->body)
			n = ast_push(c->a, (void ***)&list, n,
				     clone_stmt(c->a, al->body));
	}
	n = ast_push(c->a, (void ***)&list, n, clone_stmt(c->a, user->body));
	for (i = depth - 1; i >= 0; i--) {
		struct probe *al = stack[i]->alias;
		struct stmt *epi = al->kind == PROBE_ALIAS_EPI ? al->body
							       : al->epilogue;

		if (epi)
			n = ast_push(c->a, (void ***)&list, n,
				     clone_stmt(c->a, epi));
	}
	blk->body = list;
	blk->nbody = n;
	for (i = 0; i < n; i++)	/* the alias bodies' @probewrite(v) */
		fold_probewrite(list[i], user->body);
	h->body = blk;
	/* pn(): the outermost alias, the one the user named */
	for (x = ch; x && x->outer; x = x->outer)
		;
	if (x)
		h->pt.pn = alias_key(c, x->alias);
	*c->tail = h;
	c->tail = &h->next;
	return h;
}

static const char *comp_str_arg(const struct pp_component *cp)
{
	return cp->has_arg && cp->arg_is_str ? cp->arg_str : NULL;
}

/* The nearest name among the marks of the objects, for "did you mean". */
static const char *suggest_mark(struct target_obj **objs, size_t n,
				const char *want)
{
	const char *best = NULL;
	int bestd = 4;
	size_t i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < objs[i]->sdt.nprobes; j++) {
			const char *nm = objs[i]->sdt.probes[j].name;
			int d = diag_distance(want, nm);

			if (d < bestd) {
				bestd = d;
				best = nm;
			}
		}
	return best;
}

static void list_marks(struct strbuf *sb, struct target_obj **objs, size_t n)
{
	size_t i, j, k, shown = 0;

	for (i = 0; i < n; i++)
		for (j = 0; j < objs[i]->sdt.nprobes; j++) {
			const char *nm = objs[i]->sdt.probes[j].name;
			bool dup = false;

			for (k = 0; k < j; k++)
				if (strcmp(objs[i]->sdt.probes[k].name, nm) == 0)
					dup = true;
			if (dup)
				continue;
			if (shown == 8) {
				sb_puts(sb, ", ...");
				return;
			}
			sb_puts(sb, shown++ ? ", " : "");
			sb_puts(sb, nm);
		}
}

/* The objects searched, for messages: "'/a'", "'/a' or '/b'", "'/a', '/b'
 * or '/c'"; libraries without SDT notes are left out. */
static void objs_text(struct strbuf *sb, struct target_obj **objs, size_t n)
{
	size_t i, m = 0, k = 0;

	for (i = 0; i < n; i++)
		m += i == 0 || objs[i]->sdt.nprobes;
	for (i = 0; i < n; i++) {
		if (i > 0 && !objs[i]->sdt.nprobes)
			continue;
		sb_printf(sb, "%s'%s'", k == 0 ? "" : k + 1 == m ? " or " : ", ",
			  objs[i]->path);
		k++;
	}
}

/* Does any object have a mark of PROVIDER?  Else, in OTHER, the providers
 * they have ("libstdcxx"). */
static bool have_provider(struct target_obj **objs, size_t n,
			  const char *provider, struct strbuf *other)
{
	size_t i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < objs[i]->sdt.nprobes; j++) {
			const char *pv = objs[i]->sdt.probes[j].provider;

			if (fnmatch(provider, pv, 0) == 0)
				return true;
			if (!strstr(sb_str(other), pv))
				sb_printf(other, "%s%s", other->len ? ", " : "",
					  pv);
		}
	return false;
}

/* Is NAME one of CPython's markers (python.pytap binds to them)? */
static bool is_cpython_mark(const char *provider, const char *name)
{
	return (provider && !strcmp(provider, "python")) ||
	       !strcmp(name, "function__entry") ||
	       !strcmp(name, "function__return") || !strcmp(name, "line");
}

/*
 * Explain why no SDT mark matched, naming the objects searched and the
 * reason: no notes at all (a Python built without --with-dtrace, a #!
 * script's interpreter, a program that only starts a Python), CPython
 * 3.12 to 3.14 (no function or line markers), a misspelt name (did you
 * mean), or the marks there are.  SCRIPT is the #! script a process("NAME")
 * path turned out to be, or NULL.  A target without any notes is not the
 * script's fault: it is reported as one line (resolved.no_probes).
 */
static void explain_no_mark(struct ctx *c, const struct loc *loc,
			    struct target_obj **objs, size_t n,
			    const char *provider, const char *name,
			    const char *script)
{
	size_t i, total = 0;
	struct strbuf sb = STRBUF_INIT, where = STRBUF_INIT;
	const char *sug;
	const char *of = provider ? " of provider " : "";

	for (i = 0; i < n; i++)
		total += objs[i]->sdt.nprobes;
	objs_text(&where, objs, n);
	if (total == 0) {
		struct target_obj *o = n ? objs[0] : NULL;
		const struct target_set *ts = c->o->ts;
		const char *desc = ts->target_desc;
		bool is_target = o && ts->ntarget && o == ts->target[0];

		/* an SDT Python that exists here (not python3.12 on
		   Debian 12) */
		char *alt = o && o->py_major ?
			target_sdt_python(c->o->ts, o->py_minor) : NULL;

		if (o && o->py_major)
			sb_printf(&sb,
				  "%s (CPython %d.%d) has no SDT probes: it was built without --with-dtrace; use a Python with SystemTap markers, %s%s",
				  o->path, o->py_major, o->py_minor,
				  alt ? "e.g. Debian's " : "one built --with-dtrace (Debian's python3.X packages are)",
				  alt ? alt : "");
		else if (o && desc && is_target && ts->target_script)
			sb_printf(&sb,
				  "%s has no SDT probes: it is the interpreter of the #! script %s that %s runs; point %s at the traced program itself (e.g. /usr/bin/python3.11 script.py)",
				  o->path, ts->target_script, desc,
				  desc[1] == 'c' ? "-c" : "-x");
		else if (o && script)
			sb_printf(&sb,
				  "%s has no SDT probes: it is the interpreter of the #! script %s; name the traced program's binary itself (e.g. process(\"/usr/bin/python3.11\"))",
				  o->path, script);
		else if (o && is_target && is_cpython_mark(provider, name))
			sb_printf(&sb,
				  "%s has no SDT probes%s: the python probes must be in the traced program itself; trace the Python directly (-c \"/usr/bin/python3.11 script.py\") or name it: process(\"/usr/bin/python3.11\").mark(\"%s\")",
				  o->path,
				  n > 1 ? ", nor do the libraries it loads" : "",
				  name);
		else
			sb_printf(&sb, "%s has no SDT probes (.note.stapsdt)%s",
				  o ? o->path : "the target",
				  n > 1 ? ", nor do the libraries it loads" : "");
		free(alt);
		if (!c->out->no_probes)
			c->out->no_probes = ast_strndup(c->a, sb_str(&sb), sb.len);
		sb_free(&sb);
		sb_free(&where);
		c->d->nerrors++;
		return;
	}
	for (i = 0; i < n; i++) {
		struct target_obj *o = objs[i];

		if (o->py_major == 3 && o->py_minor >= 12 && o->py_minor <= 14 &&
		    (fnmatch(name, "function__entry", 0) == 0 ||
		     fnmatch(name, "function__return", 0) == 0 ||
		     fnmatch(name, "line", 0) == 0)) {
			diag_error(c->d, loc,
				   "CPython %d.%d ('%s') has no '%s' marker: CPython 3.12 to 3.14 have no function or line markers (python.gc.*, python.import.* and python.audit still work)",
				   o->py_major, o->py_minor, o->path, name);
			sb_free(&where);
			return;
		}
	}
	if (provider && !have_provider(objs, n, provider, &sb)) {
		diag_error(c->d, loc,
			   "no marks of provider '%s' in %s (the marks there are of provider %s)",
			   provider, sb_str(&where), sb_str(&sb));
		sb_free(&sb);
		sb_free(&where);
		return;
	}
	sug = suggest_mark(objs, n, name);
	list_marks(&sb, objs, n);
	if (sug)
		diag_error(c->d, loc, "no mark '%s'%s%s in %s (did you mean '%s'?)",
			   name, of, provider ? provider : "", sb_str(&where),
			   sug);
	else
		diag_error(c->d, loc, "no mark '%s'%s%s in %s (marks: %s)", name,
			   of, provider ? provider : "", sb_str(&where),
			   sb_str(&sb));
	sb_free(&sb);
	sb_free(&where);
}

/* process(...)[.provider(P)][.library(L)].mark(N) */
static int base_sdt(struct ctx *c, const struct pp_component *cp, int n,
		    const struct probe_point *up, struct probe *user,
		    const struct chain *ch)
{
	const char *path_arg = NULL, *provider = NULL, *lib = NULL, *mark;
	int64_t pid = 0;
	struct target_obj *objs_buf[64], **objs = objs_buf;
	size_t nobj = 0, i, j;
	char err[512];
	char *exe = NULL;
	const char *script = NULL;	/* process("NAME") is this #! script */
	bool bare = !cp[0].has_arg;
	int k, made = 0;
	struct rpoint pt;

	if (cp[0].has_arg) {
		if (cp[0].arg_is_str)
			path_arg = cp[0].arg_str;
		else
			pid = cp[0].arg_num;
	}
	for (k = 1; k < n - 1; k++) {
		if (strcmp(cp[k].name, "provider") == 0 && comp_str_arg(&cp[k]))
			provider = cp[k].arg_str;
		else if (strcmp(cp[k].name, "library") == 0 &&
			 comp_str_arg(&cp[k]))
			lib = cp[k].arg_str;
		else
			goto unsupported;
	}
	if (strcmp(cp[n - 1].name, "mark") != 0 || !comp_str_arg(&cp[n - 1]))
		goto unsupported;
	mark = cp[n - 1].arg_str;

	if (path_arg) {
		glob_t g;
		size_t gi;

		if (strpbrk(path_arg, "*?[") && path_arg[0] == '/' &&
		    glob(path_arg, 0, NULL, &g) == 0) {
			for (gi = 0; gi < g.gl_pathc && nobj < 64; gi++) {
				struct target_obj *o =
					target_get(c->o->ts, g.gl_pathv[gi], err,
						   sizeof(err));
				if (o)
					objs[nobj++] = o;
			}
			globfree(&g);
		} else {
			char *sm = NULL;

			exe = target_resolve_exec2(path_arg, &sm, err,
						   sizeof(err));
			if (sm) {	/* NAME was a #! script */
				script = ast_strndup(c->a, sm, strlen(sm));
				free(sm);
			}
			if (!exe) {
				/* a library named directly */
				struct target_obj *o = NULL;

				if (strchr(path_arg, '/'))
					o = target_get(c->o->ts, path_arg, err,
						       sizeof(err));
				if (!o) {
					diag_error(c->d, &cp[0].loc,
						   "process(\"%s\"): %s",
						   path_arg, err);
					return -1;
				}
				objs[nobj++] = o;
			}
		}
		if (exe && lib) {
			char *lp = target_find_library(c->o->ts, exe, lib);
			struct target_obj *o;

			if (!lp) {
				diag_error(c->d, &cp[1].loc,
					   "library '%s' not found for '%s'",
					   lib, exe);
				free(exe);
				return -1;
			}
			o = target_get(c->o->ts, lp, err, sizeof(err));
			free(lp);
			if (!o) {
				diag_error(c->d, &cp[1].loc, "%s", err);
				free(exe);
				return -1;
			}
			objs[nobj++] = o;
		} else if (exe) {
			/* the executable, then the libraries it needs: a
			   shared libpython holds the python markers */
			struct target_set tmp = { 0 };
			struct target_obj *o;

			tmp.objs = c->o->ts->objs;
			if (target_add_exec(&tmp, exe, err, sizeof(err)) != 0) {
				diag_error(c->d, &cp[0].loc, "%s", err);
				free(exe);
				return -1;
			}
			c->o->ts->objs = tmp.objs;
			for (i = 0; i < tmp.ntarget && nobj < 64; i++) {
				o = tmp.target[i];
				if (i == 0 || o->sdt.nprobes)
					objs[nobj++] = o;
			}
			free(tmp.target);
		}
	} else if (bare || pid) {
		if (!c->o->ts->ntarget && c->o->listing && ch) {
			/* -L without a target: the alias's variables, with
			   an arity nobody knows yet */
			memset(&pt, 0, sizeof(pt));
			pt.kind = BP_SDT;
			pt.provider = provider ? ast_strndup(c->a, provider,
							     strlen(provider))
					       : NULL;
			pt.name = ast_strndup(c->a, mark, strlen(mark));
			pt.nargs = -1;
			pt.pp = comps_str(c, cp, n);
			pt.loc = up->loc;
			new_handler(c, &pt, user, ch);
			return 1;
		}
		if (!c->o->ts->ntarget && ch) {
			/* an alias (python.function.entry): say it at the
			   user's probe point */
			struct strbuf sb = STRBUF_INIT;

			resolve_pp_text(&sb, up);
			diag_error(c->d, &up->loc,
				   "'%s' needs a target process: give -c CMD or -x PID (its probes are in the traced program)",
				   sb_str(&sb));
			sb_free(&sb);
			return -1;
		}
		if (!c->o->ts->ntarget) {
			diag_error(c->d, &cp[0].loc,
				   "a process probe without a path needs a target process: give -c CMD or -x PID");
			return -1;
		}
		for (i = 0; i < c->o->ts->ntarget && nobj < 64; i++)
			objs[nobj++] = c->o->ts->target[i];
		if (lib) {
			size_t keep = 0;

			for (i = 0; i < nobj; i++) {
				const char *b = strrchr(objs[i]->path, '/');

				if (fnmatch(lib, b ? b + 1 : objs[i]->path, 0) == 0 ||
				    fnmatch(lib, objs[i]->path, 0) == 0)
					objs[keep++] = objs[i];
			}
			if (!keep) {
				diag_error(c->d, &cp[1].loc,
					   "library '%s' is not loaded by the target",
					   lib);
				return -1;
			}
			nobj = keep;
		}
	}

	/* one handler per distinct (object, provider, name) */
	for (i = 0; i < nobj; i++) {
		struct target_obj *o = objs[i];

		for (j = 0; j < o->sdt.nprobes; j++) {
			const struct sdt_probe *sp = &o->sdt.probes[j];
			size_t m;
			bool seen = false;
			int nargs = sp->nargs;
			struct strbuf sb = STRBUF_INIT;

			if (fnmatch(mark, sp->name, 0) != 0)
				continue;
			if (provider && fnmatch(provider, sp->provider, 0) != 0)
				continue;
			for (m = 0; m < j; m++)
				if (strcmp(o->sdt.probes[m].name, sp->name) == 0 &&
				    strcmp(o->sdt.probes[m].provider,
					   sp->provider) == 0)
					seen = true;
			if (seen)
				continue;
			for (m = j + 1; m < o->sdt.nprobes; m++)
				if (strcmp(o->sdt.probes[m].name, sp->name) == 0 &&
				    strcmp(o->sdt.probes[m].provider,
					   sp->provider) == 0 &&
				    o->sdt.probes[m].nargs < nargs)
					nargs = o->sdt.probes[m].nargs;
			memset(&pt, 0, sizeof(pt));
			pt.kind = BP_SDT;
			pt.path = (bare || pid) ? NULL
					 : ast_strndup(c->a, o->path,
						       strlen(o->path));
			pt.provider = ast_strndup(c->a, sp->provider,
						  strlen(sp->provider));
			pt.name = ast_strndup(c->a, sp->name, strlen(sp->name));
			pt.pid = pid;
			pt.nargs = nargs;
			pt.optional = up->optional;
			pt.loc = up->loc;
			sb_puts(&sb, "process(");
			if (pid)
				sb_printf(&sb, "%" PRId64, pid);
			else
				put_quoted(&sb, o->path);
			sb_puts(&sb, ")");
			if (provider) {
				sb_puts(&sb, ".provider(");
				put_quoted(&sb, sp->provider);
				sb_puts(&sb, ")");
			}
			sb_puts(&sb, ".mark(");
			put_quoted(&sb, sp->name);
			sb_puts(&sb, ")");
			pt.pp = ast_strndup(c->a, sb_str(&sb), sb.len);
			sb_free(&sb);
			if (o->py_major == 3 && o->py_minor == 11 &&
			    strcmp(sp->provider, "python") == 0 &&
			    strcmp(sp->name, "function__entry") == 0) {
				if (!c->out->python311_line_sema && c->o->verbose)
					fprintf(stderr,
						"pytap: CPython 3.11 fires function__entry only on its tracing path, so the 'line' semaphore of %s is raised too (the traced Python runs slower)\n",
						o->path);
				c->out->python311_line_sema = true;
			}
			new_handler(c, &pt, user, ch);
			made++;
		}
	}
	free(exe);
	if (made == 0 && !up->optional) {
		if (nobj == 0) {
			diag_error(c->d, &cp[0].loc, "no binary to search for mark '%s'",
				   mark);
			return -1;
		}
		explain_no_mark(c, &up->loc, objs, nobj, provider, mark,
				script);
		return -1;
	}
	return made;

unsupported:
	diag_error(c->d, &cp[0].loc,
		   "unsupported process probe point '%s': pytap supports process(\"PATH\"|PID)[.provider(\"P\")][.library(\"LIB\")].mark(\"NAME\")",
		   comps_str(c, cp, n));
	return -1;
}

static int64_t timer_unit_ns(const char *u)
{
	if (!strcmp(u, "s") || !strcmp(u, "sec"))
		return 1000000000;
	if (!strcmp(u, "ms") || !strcmp(u, "msec"))
		return 1000000;
	if (!strcmp(u, "us") || !strcmp(u, "usec"))
		return 1000;
	if (!strcmp(u, "ns") || !strcmp(u, "nsec"))
		return 1;
	if (!strcmp(u, "jiffies"))
		return 4000000;	/* HZ = 250, Debian's default */
	return 0;
}

/*
 * process[("PATH"|PID)].begin / .end / .thread.begin / .thread.end: the
 * tracer reports these events for the processes it traces.  PATH names
 * the executable (looked up as for marks), PID one process; with neither
 * the probe covers the -c/-x target and its followed children (SystemTap
 * would probe every process on the system: pytap asks for a target).
 */
static int base_proc(struct ctx *c, const struct pp_component *cp, int n,
		     const struct probe_point *up, struct probe *user,
		     const struct chain *ch)
{
	struct rpoint pt;
	bool thread = n == 3;
	bool begin = !strcmp(cp[n - 1].name, "begin");
	struct strbuf sb = STRBUF_INIT;
	char err[512];

	memset(&pt, 0, sizeof(pt));
	pt.loc = up->loc;
	pt.optional = up->optional;
	pt.kind = thread ? (begin ? BP_THREAD_BEGIN : BP_THREAD_END)
			 : (begin ? BP_PROC_BEGIN : BP_PROC_END);
	if (cp[1].has_arg || (thread && cp[2].has_arg)) {
		diag_error(c->d, &cp[cp[1].has_arg ? 1 : 2].loc,
			   "'%s' takes no argument", cp[cp[1].has_arg ? 1 : 2].name);
		return -1;
	}
	sb_puts(&sb, "process");
	if (cp[0].has_arg && cp[0].arg_is_str) {
		char *exe = target_resolve_exec(cp[0].arg_str, err,
						sizeof(err));

		if (!exe) {
			diag_error(c->d, &cp[0].loc, "process(\"%s\"): %s",
				   cp[0].arg_str, err);
			sb_free(&sb);
			return -1;
		}
		pt.path = ast_strndup(c->a, exe, strlen(exe));
		free(exe);
		sb_puts(&sb, "(");
		put_quoted(&sb, pt.path);
		sb_puts(&sb, ")");
	} else if (cp[0].has_arg) {
		if (cp[0].arg_num <= 0) {
			diag_error(c->d, &cp[0].loc,
				   "process(%" PRId64 "): not a process id",
				   cp[0].arg_num);
			sb_free(&sb);
			return -1;
		}
		pt.pid = cp[0].arg_num;
		sb_printf(&sb, "(%" PRId64 ")", pt.pid);
	} else if (!c->o->have_target) {
		diag_error(c->d, &cp[0].loc,
			   "'%s' without a path or pid would trace every process on the system: give -c CMD or -x PID, or name the program: process(\"PATH\").%s",
			   comps_str(c, cp, n), thread ? (begin ? "thread.begin" :
							  "thread.end") :
			   (begin ? "begin" : "end"));
		sb_free(&sb);
		return -1;
	}
	sb_puts(&sb, thread ? ".thread" : "");
	sb_puts(&sb, begin ? ".begin" : ".end");
	pt.pp = ast_strndup(c->a, sb_str(&sb), sb.len);
	sb_free(&sb);
	new_handler(c, &pt, user, ch);
	return 1;
}

/*
 * sample.hz(N)[.all], sample.ms(N)[.all]: a pytap extension (SystemTap's
 * timer.profile samples the kernel).  Every period, the traced threads
 * on a CPU or runnable (with .all: all of them) stop, the handler runs
 * once per such thread, then they run on.
 */
static int sample_point(struct ctx *c, const struct pp_component *cp, int n,
			struct rpoint *pt, struct probe *user,
			const struct chain *ch)
{
	bool hz = n >= 2 && !strcmp(cp[1].name, "hz");
	bool ms = n >= 2 && !strcmp(cp[1].name, "ms");
	bool all = n == 3 && !strcmp(cp[2].name, "all") && !cp[2].has_arg;

	if ((!hz && !ms) || !cp[1].has_arg || cp[1].arg_is_str || n > 3 ||
	    (n == 3 && !all)) {
		diag_error(c->d, &cp[n > 1 ? 1 : 0].loc,
			   "bad sample probe point '%s': use sample.hz(N) or sample.ms(N), optionally followed by .all",
			   pt->pp);
		return -1;
	}
	if (cp[1].arg_num <= 0) {
		diag_error(c->d, &cp[1].loc, "sample rate must be positive");
		return -1;
	}
	pt->period_ns = hz ? 1000000000 / cp[1].arg_num
			   : cp[1].arg_num * 1000000;
	if (pt->period_ns < 1000000) {
		diag_error(c->d, &cp[1].loc,
			   "sampling more often than 1000 times a second is not supported");
		return -1;
	}
	if (!c->o->have_target) {
		diag_error(c->d, &cp[0].loc,
			   "'%s' samples traced processes: use -c CMD or -x PID",
			   pt->pp);
		return -1;
	}
	pt->kind = all ? BP_SAMPLE_ALL : BP_SAMPLE;
	new_handler(c, pt, user, ch);
	return 1;
}

/* Returns handlers made, 0 if the point is no base point, -1 on error. */
static int base_point(struct ctx *c, const struct pp_component *cp, int n,
		      const struct probe_point *up, struct probe *user,
		      const struct chain *ch);

/*
 * Wildcards over the built-in families, as SystemTap matches them against
 * its probe-point registry: probe be* is begin, probe timer.m*(N) is
 * timer.ms and timer.msec.  Returns the handlers made (0: no wildcard
 * here, or nothing matched), -1 on error.
 */
static int glob_base_point(struct ctx *c, const struct pp_component *cp,
			   int n, const struct probe_point *up,
			   struct probe *user, const struct chain *ch)
{
	static const char *const fams[] = { "begin", "end", "error", "never",
					    "timer" };
	static const char *const units[] = { "s", "sec", "ms", "msec", "us",
					     "usec", "ns", "nsec", "hz",
					     "jiffies" };
	struct pp_component *nc;
	int col, made = 0, r;
	size_t i, nw;
	const char *const *words;

	if (strchr(cp[0].name, '*'))
		col = 0, words = fams, nw = sizeof(fams) / sizeof(fams[0]);
	else if (n >= 2 && !strcmp(cp[0].name, "timer") &&
		 strchr(cp[1].name, '*'))
		col = 1, words = units, nw = sizeof(units) / sizeof(units[0]);
	else
		return 0;
	nc = ast_alloc(c->a, sizeof(*nc) * (size_t)n);
	for (i = 0; i < nw; i++) {
		if (fnmatch(cp[col].name, words[i], 0) != 0)
			continue;
		/* a family with the wrong shape is not a match */
		if (col == 0 && strcmp(words[i], "timer") != 0 && n != 1)
			continue;
		if (col == 0 && !strcmp(words[i], "timer") && n < 2)
			continue;
		memcpy(nc, cp, sizeof(*nc) * (size_t)n);
		nc[col].name = words[i];
		r = col == 0 && !strcmp(words[i], "timer") ?
			glob_base_point(c, nc, n, up, user, ch) : 0;
		if (r == 0)
			r = base_point(c, nc, n, up, user, ch);
		if (r < 0)
			return -1;
		made += r;
		nc = ast_alloc(c->a, sizeof(*nc) * (size_t)n);
	}
	return made;
}

static int base_point(struct ctx *c, const struct pp_component *cp, int n,
		      const struct probe_point *up, struct probe *user,
		      const struct chain *ch)
{
	struct rpoint pt;
	const char *n0 = cp[0].name;

	memset(&pt, 0, sizeof(pt));
	pt.loc = up->loc;
	pt.optional = up->optional;
	pt.nargs = 0;
	pt.pp = comps_str(c, cp, n);
	if (n == 1 && (!strcmp(n0, "begin") || !strcmp(n0, "end") ||
		       !strcmp(n0, "error") || !strcmp(n0, "never"))) {
		if (cp[0].has_arg && (cp[0].arg_is_str || !strcmp(n0, "never"))) {
			diag_error(c->d, &cp[0].loc,
				   "'%s' takes a number (its order), not a string",
				   n0);
			return -1;
		}
		pt.kind = !strcmp(n0, "begin") ? BP_BEGIN :
			  !strcmp(n0, "end") ? BP_END :
			  !strcmp(n0, "error") ? BP_ERROR : BP_NEVER;
		pt.priority = cp[0].has_arg ? cp[0].arg_num : 0;
		new_handler(c, &pt, user, ch);
		return 1;
	}
	if (!strcmp(n0, "timer") && !cp[0].has_arg && n >= 2) {
		int64_t unit = timer_unit_ns(cp[1].name);
		bool hz = !strcmp(cp[1].name, "hz");

		if ((!unit && !hz) || !cp[1].has_arg || cp[1].arg_is_str ||
		    n > 3 || (n == 3 && (strcmp(cp[2].name, "randomize") ||
					 !cp[2].has_arg || cp[2].arg_is_str ||
					 hz))) {
			if (!strcmp(cp[1].name, "profile"))
				diag_error(c->d, &cp[1].loc,
					   "timer.profile is a kernel probe point pytap does not support");
			else
				diag_error(c->d, &cp[1].loc,
					   "bad timer probe point '%s': use timer.{s,ms,us,ns,hz,jiffies}(N)[.randomize(M)]",
					   pt.pp);
			return -1;
		}
		if (cp[1].arg_num <= 0) {
			diag_error(c->d, &cp[1].loc,
				   "timer interval must be positive");
			return -1;
		}
		pt.kind = BP_TIMER;
		pt.period_ns = hz ? 1000000000 / cp[1].arg_num
				  : cp[1].arg_num * unit;
		if (n == 3) {
			pt.randomize_ns = cp[2].arg_num * unit;
			if (cp[2].arg_num < 0 || cp[2].arg_num > cp[1].arg_num) {
				diag_error(c->d, &cp[2].loc,
					   "randomize value must be between 0 and the interval");
				return -1;
			}
		}
		if (pt.period_ns < 100000) {
			diag_error(c->d, &cp[1].loc,
				   "timer interval too short (%" PRId64 " ns): the minimum is 100 us",
				   pt.period_ns);
			return -1;
		}
		new_handler(c, &pt, user, ch);
		return 1;
	}
	if (!strcmp(n0, "sample") && !cp[0].has_arg)
		return sample_point(c, cp, n, &pt, user, ch);
	if (!strcmp(n0, "process")) {
		if (n >= 2 && (!strcmp(cp[n - 1].name, "mark") ||
			       !strcmp(cp[1].name, "provider") ||
			       !strcmp(cp[1].name, "library")))
			return base_sdt(c, cp, n, up, user, ch);
		if (n >= 2 && (!strcmp(cp[1].name, "function") ||
			       !strcmp(cp[1].name, "statement") ||
			       !strcmp(cp[1].name, "plt"))) {
			diag_error(c->d, &cp[1].loc,
				   "process().%s probes need DWARF debug information, which pytap does not support; use SDT marks (.mark(\"NAME\"))",
				   cp[1].name);
			return -1;
		}
		if ((n == 2 && (!strcmp(cp[1].name, "begin") ||
				!strcmp(cp[1].name, "end"))) ||
		    (n == 3 && !strcmp(cp[1].name, "thread") &&
		     (!strcmp(cp[2].name, "begin") ||
		      !strcmp(cp[2].name, "end"))))
			return base_proc(c, cp, n, up, user, ch);
		diag_error(c->d, &cp[n > 1 ? 1 : 0].loc,
			   "process probe point '%s' is not supported: pytap supports process(...).mark(\"NAME\"), .begin, .end, .thread.begin and .thread.end",
			   pt.pp);
		return -1;
	}
	if (is_kernel_family(n0)) {
		diag_error(c->d, &cp[0].loc,
			   "'%s' is a kernel probe point; pytap traces user-space SDT probes only",
			   pt.pp);
		return -1;
	}
	return 0;
}

/* The alias name closest to the probe point, for "did you mean". */
static char *suggest_alias(struct ctx *c, const char *want)
{
	struct alias_def *x;
	char *best = NULL;
	int bestd = 4;

	for (x = c->aliases; x; x = x->next) {
		char *k = alias_key(c, x->p);
		int d = diag_distance(want, k);

		if (d < bestd) {
			bestd = d;
			best = k;
		}
	}
	return best;
}

static int expand(struct ctx *c, const struct pp_component *cp, int n,
		  const struct probe_point *up, struct probe *user,
		  const struct chain *ch, int depth)
{
	struct alias_def *x;
	int made = 0, matched = 0, r;
	bool exact = false;

	if (depth > MAX_ALIAS_DEPTH) {
		diag_error(c->d, &up->loc, "probe alias expansion too deep (recursive alias?)");
		return -1;
	}
	/* an alias that matches the whole point wins; suffixes are only
	   tried when none does (SystemTap's alias_suffixes02) */
	for (x = c->aliases; x; x = x->next) {
		const struct probe_point *an = x->p->alias_name;

		if (match_comps(cp, n, an->comps, an->ncomps) == n) {
			exact = true;
			break;
		}
	}
	for (x = c->aliases; x; x = x->next) {
		const struct probe_point *an = x->p->alias_name;
		int used = match_comps(cp, n, an->comps, an->ncomps);
		int t;
		struct chain link;

		if (used < 0 || (exact && used != n))
			continue;
		matched++;
		link.alias = x->p;
		link.outer = ch;
		for (t = 0; t < x->p->npoints; t++) {
			const struct probe_point *tp = x->p->points[t];
			int nn = tp->ncomps + (n - used);
			struct pp_component *nc =
				ast_alloc(c->a, sizeof(*nc) * (size_t)nn);
			struct probe_point sub = *up;

			memcpy(nc, tp->comps, sizeof(*nc) * (size_t)tp->ncomps);
			memcpy(nc + tp->ncomps, cp + used,
			       sizeof(*nc) * (size_t)(n - used));
			/* optional targets of an alias stay optional */
			sub.optional = up->optional || tp->optional;
			/* and conditions add up */
			if (tp->cond && up->cond) {
				struct expr *both = ast_expr(c->a, E_LOGICAL,
							     &up->cond->loc);

				both->op = "&&";
				both->a = tp->cond;
				both->b = up->cond;
				sub.cond = both;
			} else if (tp->cond) {
				sub.cond = tp->cond;
			}
			r = expand(c, nc, nn, &sub, user, &link, depth + 1);
			if (r < 0)
				return -1;
			made += r;
		}
	}
	if (matched)
		return made;
	c->cond = up->cond;
	r = glob_base_point(c, cp, n, up, user, ch);
	if (r == 0)
		r = base_point(c, cp, n, up, user, ch);
	c->cond = NULL;
	if (r != 0)
		return r;
	if (!up->optional) {
		char *text = comps_str(c, cp, n);
		char *sug = suggest_alias(c, text);

		if (sug)
			diag_error(c->d, &up->loc,
				   "no probe point matches '%s' (did you mean '%s'?)",
				   text, sug);
		else
			diag_error(c->d, &up->loc,
				   "no probe point matches '%s'", text);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* symbols                                                            */

static struct symbol *find_global(struct ctx *c, const char *name,
				  const struct loc *use)
{
	struct script *scripts[2] = { c->user, c->lib };
	int i;

	for (i = 0; i < 2; i++) {
		struct symbol *s;

		for (s = scripts[i]->globals; s; s = s->next) {
			if (strcmp(s->name, name) != 0)
				continue;
			if (s->privat && use && use->src &&
			    s->loc.src != use->src)
				continue;
			return s;
		}
	}
	return NULL;
}

static void use_global(struct ctx *c, struct symbol *s)
{
	int i;

	for (i = 0; i < c->nglobals; i++)
		if (c->globals[i] == s)
			return;
	c->nglobals = ast_push(c->a, (void ***)&c->globals, c->nglobals, s);
}

static struct symbol *find_local(struct ctx *c, const char *name)
{
	struct symbol *s;

	for (s = *c->locals; s; s = s->next)
		if (strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

static struct symbol *add_local(struct ctx *c, const char *name,
				const struct loc *loc)
{
	struct symbol *s = ast_alloc(c->a, sizeof(*s)), **p;

	s->name = name;
	s->loc = *loc;
	s->kind = SYM_LOCAL;
	for (p = c->locals; *p; p = &(*p)->next)
		;
	*p = s;
	(*c->nlocals)++;
	return s;
}

/* A scalar name: local, parameter or global.  CREATE: an assignment. */
static struct symbol *bind_scalar(struct ctx *c, struct expr *e, bool create)
{
	struct symbol *s = find_local(c, e->name);

	if (!s) {
		s = find_global(c, e->name, &e->loc);
		if (s)
			use_global(c, s);
	}
	if (!s)
		s = add_local(c, e->name, &e->loc);
	(void)create;
	e->sym = s;
	return s;
}

static struct function *find_function(struct ctx *c, const char *name,
				      int nargs, bool *name_exists,
				      const struct loc *use)
{
	struct script *scripts[2] = { c->user, c->lib };
	int i;

	for (i = 0; i < 2; i++) {
		struct function *f;

		for (f = scripts[i]->functions; f; f = f->next) {
			if (strcmp(f->name, name) != 0)
				continue;
			if (f->privat && use && use->src &&
			    f->loc.src != use->src)
				continue;
			*name_exists = true;
			if (f->nparams == nargs)
				return f;
		}
	}
	return NULL;
}

static void use_function(struct ctx *c, struct function *f)
{
	if (f->used)
		return;
	f->used = true;
	c->nfns = ast_push(c->a, (void ***)&c->fns, c->nfns, f);
}

/* Functions of F's name and arity defined after F, in order: a `next` in
 * one of them moves on to the following one (SystemTap's overloading by
 * next).  All of them are used. */
static void link_overloads(struct ctx *c, struct function *f,
			   const struct loc *use)
{
	struct script *scripts[2] = { c->user, c->lib };
	struct function *g, *last = f;
	bool after = false;
	int i;

	for (i = 0; i < 2; i++)
		for (g = scripts[i]->functions; g; g = g->next) {
			if (g == f) {
				after = true;
				continue;
			}
			if (!after || strcmp(g->name, f->name) != 0 ||
			    g->nparams != f->nparams ||
			    (g->privat && use && use->src &&
			     g->loc.src != use->src))
				continue;
			last->next_overload = g;
			last = g;
			use_function(c, g);
		}
}

static void bind_expr(struct ctx *c, struct expr *e, bool lvalue);
static void bind_stmt(struct ctx *c, struct stmt *s);

static void bind_array(struct ctx *c, struct expr *e, int nkeys)
{
	struct symbol *s = find_global(c, e->name, &e->loc);

	if (!s) {
		if (find_local(c, e->name))
			diag_error(c->d, &e->loc,
				   "'%s' is a local variable, not an array: arrays must be declared global",
				   e->name);
		else
			diag_error(c->d, &e->loc,
				   "unresolved arity-%d global array %s, missing global declaration?",
				   nkeys, e->name);
		return;
	}
	use_global(c, s);
	if (s->nkeys == 0 && s->init == NULL && nkeys > 0 && !s->read &&
	    !s->written)
		s->nkeys = nkeys;
	if (s->nkeys != nkeys)	/* SystemTap's words */
		diag_error(c->d, &e->loc, "inconsistent arity (%d vs %d)",
			   s->nkeys, nkeys);
	e->sym = s;
}

static void check_context(struct ctx *c, struct expr *e)
{
	const char *n = e->name;
	const struct rpoint *pt = c->curpt;

	if (!strncmp(n, "arg", 3) && n[3] && strspn(n + 3, "0123456789") ==
	    strlen(n + 3)) {
		int k = atoi(n + 3);

		e->type = T_LONG;
		if (c->curfn || !pt || pt->kind != BP_SDT) {
			diag_error(c->d, &e->loc,
				   "$%s is only available in process().mark() probe handlers",
				   n);
			return;
		}
		if (k < 1 || (pt->nargs >= 0 && k > pt->nargs)) {
			if (c->o->listing)
				e->type = T_UNKNOWN;	/* -L: frameptr:unknown */
			if (pt->nargs == 0)
				diag_error(c->d, &e->loc,
					   "$%s: mark '%s' has no arguments",
					   n, pt->name);
			else
				diag_error(c->d, &e->loc,
					   "$%s: mark '%s' has only %d argument%s ($arg1..$arg%d)",
					   n, pt->name, pt->nargs,
					   pt->nargs == 1 ? "" : "s", pt->nargs);
		}
		return;
	}
	if (!strcmp(n, "$name") || !strcmp(n, "$provider") ||
	    !strcmp(n, "$vars") || !strcmp(n, "$parms") ||
	    !strcmp(n, "$locals")) {
		e->type = T_STRING;
		if (c->curfn || !pt || pt->kind != BP_SDT)
			diag_error(c->d, &e->loc,
				   "$%s is only available in process().mark() probe handlers",
				   n);
		return;
	}
	diag_error(c->d, &e->loc,
		   "$%s: target variables need DWARF debug information, which pytap does not support (SDT probes give $arg1..$argN, $$name, $$provider, $$vars, $$parms)",
		   n);
}

/* SystemTap warns about a local that is read but never given a value: it
 * is usually a missing `global` declaration. */
static void warn_never_assigned(struct ctx *c, struct symbol *locals)
{
	struct symbol *s;

	for (s = locals; s; s = s->next)
		if (s->kind == SYM_LOCAL && !s->written)
			diag_warning(c->d, &s->loc,
				     "never-assigned local variable '%s' (a missing 'global %s'?)",
				     s->name, s->name);
}

static bool is_special_call(const char *n)
{
	return !strcmp(n, "exit") || !strcmp(n, "error");
}

static void bind_call(struct ctx *c, struct expr *e)
{
	bool exists = false;
	struct function *f;
	const struct builtin *bi;
	int i;

	for (i = 0; i < e->nargs; i++)
		bind_expr(c, e->args[i], false);
	f = find_function(c, e->name, e->nargs, &exists, &e->loc);
	if (f) {
		e->fn = f;
		use_function(c, f);
		link_overloads(c, f, &e->loc);
		return;
	}
	if (is_special_call(e->name)) {
		int want = strcmp(e->name, "exit") ? 1 : 0;

		if (e->nargs != want)
			diag_error(c->d, &e->loc,
				   "function '%s' takes %d argument%s, %d given",
				   e->name, want, want == 1 ? "" : "s", e->nargs);
		return;
	}
	bi = builtin_find(e->name, e->nargs);
	if (bi) {
		e->bi = bi;
		return;
	}
	if (exists || builtin_exists(e->name)) {
		diag_error(c->d, &e->loc,
			   "no overload of function '%s' takes %d argument%s",
			   e->name, e->nargs, e->nargs == 1 ? "" : "s");
		return;
	}
	if (builtin_is_kernel_only(e->name)) {
		diag_error(c->d, &e->loc,
			   "'%s' is a kernel or symbol-table function pytap does not support",
			   e->name);
		return;
	}
	{
		const char *sug = builtin_suggest(e->name);
		struct script *scripts[2] = { c->user, c->lib };
		int k, bestd = sug ? diag_distance(e->name, sug) : 3;

		for (k = 0; k < 2; k++) {
			struct function *g;

			for (g = scripts[k]->functions; g; g = g->next) {
				int dd = diag_distance(e->name, g->name);

				if (g->privat && g->loc.src != e->loc.src)
					continue;	/* not visible here */
				if (dd < bestd) {
					bestd = dd;
					sug = g->name;
				}
			}
		}
		if (sug)
			diag_error(c->d, &e->loc,
				   "unknown function '%s' (did you mean '%s'?)",
				   e->name, sug);
		else
			diag_error(c->d, &e->loc, "unknown function '%s'",
				   e->name);
	}
}

static void bind_expr(struct ctx *c, struct expr *e, bool lvalue)
{
	int i;

	if (!e)
		return;
	switch (e->kind) {
	case E_NUM:
	case E_STR:
	case E_STAR:
		break;
	case E_SYM:
		bind_scalar(c, e, lvalue);
		if (e->sym->kind == SYM_GLOBAL && e->sym->nkeys == 0 &&
		    e->sym->maxsize > 0) {
			/* global a[10] is an array, whatever its arity */
			diag_error(c->d, &e->sym->loc, "inconsistent arity");
		} else if (e->sym->kind == SYM_GLOBAL && e->sym->nkeys > 0) {
			/* a bare array name is only valid in special places */
			diag_error(c->d, &e->loc,
				   "inconsistent arity (%d vs 0)", e->sym->nkeys);
		}
		if (lvalue)
			e->sym->written = true;
		else
			e->sym->read = true;
		break;
	case E_INDEX:
		for (i = 0; i < e->nargs; i++)
			bind_expr(c, e->args[i], false);
		bind_array(c, e, e->nargs);
		if (e->sym) {
			if (lvalue)
				e->sym->written = true;
			else
				e->sym->read = true;
		}
		break;
	case E_CONTEXT:
		check_context(c, e);
		break;
	case E_BINARY:
	case E_LOGICAL:
		bind_expr(c, e->a, false);
		bind_expr(c, e->b, false);
		break;
	case E_REGEX: {
		/* the pattern is compiled as the VM will (POSIX ERE) */
		regex_t re;
		int rc = regcomp(&re, e->str, REG_EXTENDED);

		if (rc != 0) {
			char msg[128];

			regerror(rc, &re, msg, sizeof(msg));
			diag_error(c->d, &e->loc, "regex compilation error: %s",
				   msg);
		} else {
			regfree(&re);
		}
		bind_expr(c, e->a, false);
		break;
	}
	case E_UNARY:
		bind_expr(c, e->a, false);
		break;
	case E_PREINC:
	case E_POSTINC:
		bind_expr(c, e->a, true);
		/* x++ whose value is used reads x (no autoprint) */
		if (e != c->stmt_top && e->a->sym)
			e->a->sym->read = true;
		break;
	case E_ASSIGN:
		bind_expr(c, e->b, false);
		if (e->a->kind == E_SYM || e->a->kind == E_INDEX) {
			bind_expr(c, e->a, true);
			if (e != c->stmt_top && e->a->sym &&
			    strcmp(e->op, "=") && strcmp(e->op, "<<<"))
				e->a->sym->read = true;
		} else {
			diag_error(c->d, &e->a->loc,
				   "the left side of '%s' must be a variable or an array element",
				   e->op);
		}
		break;
	case E_TERNARY:
		bind_expr(c, e->a, false);
		bind_expr(c, e->b, false);
		bind_expr(c, e->c, false);
		break;
	case E_CALL:
		bind_call(c, e);
		break;
	case E_IN:
		for (i = 0; i < e->nargs; i++)
			bind_expr(c, e->args[i], false);
		bind_array(c, e, e->nargs);
		if (e->sym)
			e->sym->read = true;
		break;
	case E_STATOP:
	case E_HIST:
		if (e->kind == E_HIST)
			for (i = 0; i < e->nargs; i++)
				bind_expr(c, e->args[i], false);
		bind_expr(c, e->a, false);
		if (e->b)
			bind_expr(c, e->b, false);
		break;
	case E_HIST_INDEX:
		bind_expr(c, e->a, false);
		bind_expr(c, e->b, false);
		break;
	case E_PRINT:
		for (i = 0; i < e->nargs; i++)
			bind_expr(c, e->args[i], false);
		break;
	case E_DEFINED:
		break;
	}
}

static void bind_stmt(struct ctx *c, struct stmt *s)
{
	int i;

	if (!s)
		return;
	switch (s->kind) {
	case S_NULL:
	case S_BREAK:
	case S_CONTINUE:
	case S_NEXT:
		if ((s->kind == S_BREAK || s->kind == S_CONTINUE) &&
		    c->loop_depth == 0)
			diag_error(c->d, &s->loc, "cannot '%s' outside loop",
				   s->kind == S_BREAK ? "break" : "continue");
		break;
	case S_EXPR:
		c->stmt_top = s->e;
		bind_expr(c, s->e, false);
		c->stmt_top = NULL;
		break;
	case S_BLOCK:
		for (i = 0; i < s->nbody; i++)
			bind_stmt(c, s->body[i]);
		break;
	case S_IF:
		bind_expr(c, s->e, false);
		bind_stmt(c, s->then);
		bind_stmt(c, s->els);
		break;
	case S_WHILE:
		bind_expr(c, s->e, false);
		c->loop_depth++;
		bind_stmt(c, s->then);
		c->loop_depth--;
		break;
	case S_FOR:
		bind_stmt(c, s->init);
		bind_expr(c, s->e, false);
		c->loop_depth++;
		bind_stmt(c, s->then);
		c->loop_depth--;
		bind_stmt(c, s->step);
		break;
	case S_FOREACH: {
		struct foreach *fe = s->fe;

		if (fe->array->kind == E_HIST)
			bind_expr(c, fe->array, false);
		else {
			bind_array(c, fe->array, fe->nkeys);
			if (fe->array->sym)
				fe->array->sym->read = true;
		}
		if (fe->slice)
			for (i = 0; i < fe->nkeys; i++)
				bind_expr(c, fe->slice[i], false);
		for (i = 0; i < fe->nkeys; i++) {
			bind_scalar(c, fe->keys[i], true);
			fe->keys[i]->sym->written = true;
		}
		if (fe->value) {
			bind_scalar(c, fe->value, true);
			fe->value->sym->written = true;
		}
		bind_expr(c, fe->limit, false);
		c->loop_depth++;
		bind_stmt(c, s->then);
		c->loop_depth--;
		break;
	}
	case S_RETURN:
		if (!c->curfn)
			diag_error(c->d, &s->loc,
				   "found 'return' not in function context");
		else if (s->e)
			c->curfn->has_value_return = true;
		bind_expr(c, s->e, false);
		break;
	case S_DELETE:
		if (s->e->kind == E_SYM) {
			struct symbol *g = find_global(c, s->e->name, &s->e->loc);

			if (g && g->nkeys > 0) {
				use_global(c, g);
				s->e->sym = g;
				g->written = true;
			} else {
				bind_scalar(c, s->e, true);
				s->e->sym->written = true;
			}
		} else if (s->e->kind == E_INDEX) {
			bind_expr(c, s->e, true);
		} else {
			diag_error(c->d, &s->e->loc,
				   "delete needs a variable, an array or an array element");
		}
		break;
	case S_TRY:
		bind_stmt(c, s->then);
		if (s->catchvar) {
			bind_scalar(c, s->catchvar, true);
			s->catchvar->sym->written = true;
		}
		bind_stmt(c, s->els);
		break;
	}
}

/* ------------------------------------------------------------------ */
/* @defined($argN): folded per handler, before binding                */

/*
 * As in SystemTap, @defined(E) is a compile-time constant: 1 when the
 * context variable E exists at this probe point ($argN within the mark's
 * arity, $$name and friends at any mark), else 0.  A ternary or an if
 * whose condition folds that way keeps only the branch that can run, so
 * `@defined($arg4) ? user_string2($arg4, "") : ""` compiles against a
 * 3-argument mark.  An unknown arity (-L without a target) counts as
 * defined.  The folded literal is tagged with op "@defined": other
 * constant conditions written by the user are left alone.
 */
static bool folded_const(const struct expr *e)
{
	return e && e->kind == E_NUM && e->op && !strcmp(e->op, "@defined");
}

static void fold_expr(const struct rpoint *pt, struct expr *e)
{
	int i;

	if (!e)
		return;
	fold_expr(pt, e->a);
	fold_expr(pt, e->b);
	fold_expr(pt, e->c);
	for (i = 0; i < e->nargs; i++)
		fold_expr(pt, e->args[i]);
	if (e->kind == E_DEFINED) {
		const struct expr *x = e->a;
		int64_t v = 0;

		if (x && x->kind == E_CONTEXT && pt && pt->kind == BP_SDT) {
			const char *n = x->name;

			if (!strncmp(n, "arg", 3) && n[3] &&
			    strspn(n + 3, "0123456789") == strlen(n + 3)) {
				int k = atoi(n + 3);

				v = k >= 1 && (pt->nargs < 0 || k <= pt->nargs);
			} else {
				v = !strcmp(n, "$name") || !strcmp(n, "$provider") ||
				    !strcmp(n, "$vars") || !strcmp(n, "$parms");
			}
		}
		e->kind = E_NUM;
		e->num = v;
		e->op = "@defined";
		e->a = NULL;
	} else if (e->kind == E_UNARY && !strcmp(e->op, "!") &&
		   folded_const(e->a)) {
		e->kind = E_NUM;
		e->num = !e->a->num;
		e->op = "@defined";
		e->a = NULL;
	} else if (e->kind == E_TERNARY && folded_const(e->a)) {
		*e = e->a->num ? *e->b : *e->c;
	}
}

static void fold_defined(const struct rpoint *pt, struct stmt *s)
{
	int i;

	if (!s)
		return;
	fold_expr(pt, s->e);
	fold_defined(pt, s->then);
	fold_defined(pt, s->els);
	fold_defined(pt, s->init);
	fold_defined(pt, s->step);
	for (i = 0; i < s->nbody; i++)
		fold_defined(pt, s->body[i]);
	if (s->fe) {
		fold_expr(pt, s->fe->limit);
		for (i = 0; s->fe->slice && i < s->fe->nkeys; i++)
			fold_expr(pt, s->fe->slice[i]);
	}
	if (s->kind == S_IF && folded_const(s->e)) {
		struct stmt *keep = s->e->num ? s->then : s->els;

		if (keep) {
			*s = *keep;
		} else {
			s->kind = S_NULL;
			s->e = NULL;
			s->then = s->els = NULL;
		}
	}
}

/* ------------------------------------------------------------------ */
/* arrays modified inside their own foreach (SystemTap's pass-2 check) */

#define MAX_FE_NEST 16

struct fe_check {
	struct ctx *c;
	struct symbol *arrs[MAX_FE_NEST];	/* arrays being iterated */
	int n;
	struct function **seen;			/* fn_writes recursion guard */
	int nseen;
};

static bool fn_writes(struct fe_check *k, struct function *f,
		      const struct symbol *g);

/* Does E (or a function it calls) write global G? */
static bool expr_writes(struct fe_check *k, const struct expr *e,
			const struct symbol *g)
{
	int i;

	if (!e)
		return false;
	if ((e->kind == E_ASSIGN || e->kind == E_PREINC ||
	     e->kind == E_POSTINC) && e->a && e->a->sym == g)
		return true;
	if (e->kind == E_CALL && e->fn && fn_writes(k, e->fn, g))
		return true;
	if (expr_writes(k, e->a, g) || expr_writes(k, e->b, g) ||
	    expr_writes(k, e->c, g))
		return true;
	for (i = 0; i < e->nargs; i++)
		if (expr_writes(k, e->args[i], g))
			return true;
	return false;
}

static bool stmt_writes(struct fe_check *k, const struct stmt *s,
			const struct symbol *g)
{
	int i;

	if (!s)
		return false;
	if (s->kind == S_DELETE && s->e && s->e->sym == g)
		return true;
	if (expr_writes(k, s->e, g) || stmt_writes(k, s->then, g) ||
	    stmt_writes(k, s->els, g) || stmt_writes(k, s->init, g) ||
	    stmt_writes(k, s->step, g))
		return true;
	for (i = 0; i < s->nbody; i++)
		if (stmt_writes(k, s->body[i], g))
			return true;
	if (s->fe && expr_writes(k, s->fe->limit, g))
		return true;
	return false;
}

static bool fn_writes(struct fe_check *k, struct function *f,
		      const struct symbol *g)
{
	int i, n0 = k->nseen;
	bool r;

	for (i = 0; i < k->nseen; i++)
		if (k->seen[i] == f)
			return false;
	k->nseen = ast_push(k->c->a, (void ***)&k->seen, k->nseen, f);
	r = stmt_writes(k, f->body, g);
	k->nseen = n0;
	return r;
}

static void fe_check_expr(struct fe_check *k, struct expr *e)
{
	int i;

	if (!e)
		return;
	for (i = 0; i < k->n; i++) {
		struct symbol *g = k->arrs[i];

		if ((e->kind == E_ASSIGN || e->kind == E_PREINC ||
		     e->kind == E_POSTINC) && e->a && e->a->sym == g)
			diag_error(k->c->d, &e->a->loc,
				   "variable '%s' modified during 'foreach' iteration",
				   g->name);
		else if (e->kind == E_CALL && e->fn) {
			k->nseen = 0;
			if (fn_writes(k, e->fn, g))
				diag_error(k->c->d, &e->loc,
					   "function call modifies var '%s' during 'foreach' iteration",
					   g->name);
		}
	}
	fe_check_expr(k, e->a);
	fe_check_expr(k, e->b);
	fe_check_expr(k, e->c);
	for (i = 0; i < e->nargs; i++)
		fe_check_expr(k, e->args[i]);
}

static void fe_check_stmt(struct fe_check *k, struct stmt *s)
{
	int i;

	if (!s)
		return;
	if (s->kind == S_DELETE && s->e && s->e->sym)
		for (i = 0; i < k->n; i++)
			if (s->e->sym == k->arrs[i])
				diag_error(k->c->d, &s->e->loc,
					   "variable '%s' modified during 'foreach' iteration",
					   k->arrs[i]->name);
	fe_check_expr(k, s->e);
	if (s->kind == S_FOREACH) {
		struct symbol *arr = s->fe->array->kind == E_HIST ?
			s->fe->array->a->sym : s->fe->array->sym;

		fe_check_expr(k, s->fe->limit);
		for (i = 0; s->fe->slice && i < s->fe->nkeys; i++)
			fe_check_expr(k, s->fe->slice[i]);
		if (arr && k->n < MAX_FE_NEST) {
			k->arrs[k->n++] = arr;
			fe_check_stmt(k, s->then);
			k->n--;
			return;
		}
	}
	fe_check_stmt(k, s->init);
	fe_check_stmt(k, s->then);
	fe_check_stmt(k, s->els);
	fe_check_stmt(k, s->step);
	for (i = 0; i < s->nbody; i++)
		fe_check_stmt(k, s->body[i]);
}

/* ------------------------------------------------------------------ */
/* dead stores of alias prologues                                     */

static bool expr_pure(const struct expr *e)
{
	int i;

	if (!e)
		return true;
	switch (e->kind) {
	case E_ASSIGN:
	case E_PREINC:
	case E_POSTINC:
	case E_PRINT:
		return false;
	case E_CALL:
		if (!e->bi || !e->bi->pure)
			return false;
		break;
	default:
		break;
	}
	if (!expr_pure(e->a) || !expr_pure(e->b) || !expr_pure(e->c))
		return false;
	for (i = 0; i < e->nargs; i++)
		if (!expr_pure(e->args[i]))
			return false;
	return true;
}

/* Count reads of locals (for elision). */
static void count_reads(struct expr *e, bool lvalue)
{
	int i;

	if (!e)
		return;
	if (e->kind == E_SYM && e->sym && !lvalue &&
	    e->sym->kind != SYM_GLOBAL)	/* globals: bind_expr's business */
		e->sym->read = true;
	if (e->kind == E_ASSIGN) {
		count_reads(e->b, false);
		/* compound assignments read their target (<<< does not) */
		count_reads(e->a, strcmp(e->op, "=") == 0 ||
				  strcmp(e->op, "<<<") == 0);
		return;
	}
	count_reads(e->a, false);
	count_reads(e->b, false);
	count_reads(e->c, false);
	for (i = 0; i < e->nargs; i++)
		count_reads(e->args[i], false);
}

static void count_reads_stmt(struct stmt *s)
{
	int i;

	if (!s)
		return;
	count_reads(s->e, false);
	count_reads_stmt(s->then);
	count_reads_stmt(s->els);
	count_reads_stmt(s->init);
	count_reads_stmt(s->step);
	for (i = 0; i < s->nbody; i++)
		count_reads_stmt(s->body[i]);
	if (s->fe) {
		for (i = 0; s->fe->slice && i < s->fe->nkeys; i++)
			count_reads(s->fe->slice[i], false);
		count_reads(s->fe->limit, false);
	}
}

/* Turn `x = pure` into ';' where x is a local nobody reads and the
 * statement comes from a tapset.  Returns how many were removed. */
/* x <<< v (or x <<< y <<< v) into locals nothing reads, v pure */
static bool dead_stat_store(const struct expr *e)
{
	return e && e->kind == E_ASSIGN && !strcmp(e->op, "<<<") &&
	       e->a->kind == E_SYM && e->a->sym &&
	       e->a->sym->kind == SYM_LOCAL && !e->a->sym->read &&
	       (expr_pure(e->b) || dead_stat_store(e->b));
}

static int elide_stmt(struct stmt *s, struct diag *d)
{
	int i, n = 0;

	if (!s)
		return 0;
	/* a statistic in a local that nothing reads: SystemTap elides it
	   (with this warning) instead of refusing a local statistic */
	if (s->kind == S_EXPR && dead_stat_store(s->e)) {
		diag_warning(d, &s->e->loc, "Eliding assignment to '%s'",
			     s->e->a->name);
		s->kind = S_NULL;
		s->e = NULL;
		return 1;
	}
	if (s->kind == S_EXPR && s->e && s->e->kind == E_ASSIGN &&
	    !strcmp(s->e->op, "=") && s->e->a->kind == E_SYM && s->e->a->sym &&
	    s->e->a->sym->kind == SYM_LOCAL && !s->e->a->sym->read &&
	    s->loc.src && s->loc.src->is_tapset && expr_pure(s->e->b)) {
		s->kind = S_NULL;
		s->e = NULL;
		return 1;
	}
	n += elide_stmt(s->then, d);
	n += elide_stmt(s->els, d);
	for (i = 0; i < s->nbody; i++)
		n += elide_stmt(s->body[i], d);
	return n;
}

static void elide_dead_stores(struct rhandler *h, struct diag *d)
{
	struct symbol *s;
	int rounds;

	for (rounds = 0; rounds < 8; rounds++) {
		for (s = h->locals; s; s = s->next)
			s->read = false;
		count_reads_stmt(h->body);
		if (!elide_stmt(h->body, d))
			break;
	}
}

/* ------------------------------------------------------------------ */
/* type inference                                                     */

static const char *type_name(enum type t)
{
	switch (t) {
	case T_LONG: return "long";
	case T_STRING: return "string";
	case T_STATS: return "stats";
	default: return "unknown";
	}
}

/* Make *SLOT at least T; report a conflict at LOC. */
static void unify(struct ctx *c, enum type *slot, enum type t,
		  const struct loc *loc, const char *what)
{
	if (t == T_UNKNOWN)
		return;
	if (*slot == T_UNKNOWN) {
		*slot = t;
		c->changed = true;
		return;
	}
	/* SystemTap's words; WHAT is in the caret's line */
	(void)what;
	if (*slot != t)
		diag_error(c->d, loc, "type mismatch: expected %s but found %s",
			   type_name(*slot), type_name(t));
}

static enum type infer(struct ctx *c, struct expr *e, enum type want);

static char *what_sym(struct ctx *c, const struct symbol *s)
{
	struct strbuf sb = STRBUF_INIT;
	char *r;

	sb_printf(&sb, "identifier '%s'", s->name);
	r = ast_strndup(c->a, sb_str(&sb), sb.len);
	sb_free(&sb);
	return r;
}

static void infer_keys(struct ctx *c, struct expr *e, struct expr **args,
		       int n)
{
	int i;
	struct symbol *s = e->sym;

	if (!s)
		return;
	for (i = 0; i < n && i < 9; i++) {
		enum type t;

		if (args[i]->kind == E_STAR)
			continue;
		t = infer(c, args[i], s->keytypes[i]);
		if (t == T_STATS) {
			diag_error(c->d, &args[i]->loc,
				   "array index must be a long or a string");
			continue;
		}
		unify(c, &s->keytypes[i], t, &args[i]->loc,
		      what_sym(c, s));
	}
}

/* The stats symbol an @op or <<< refers to (E_SYM or E_INDEX). */
static void infer_stats_operand(struct ctx *c, struct expr *x)
{
	if (x->kind == E_SYM || x->kind == E_INDEX) {
		if (x->kind == E_INDEX)
			infer_keys(c, x, x->args, x->nargs);
		if (x->sym) {
			if (x->sym->kind != SYM_GLOBAL)
				diag_error(c->d, &x->loc,
					   "stat locals not supported, missing global declaration?");
			unify(c, &x->sym->type, T_STATS, &x->loc,
			      what_sym(c, x->sym));
		}
		x->type = T_STATS;
	} else {
		diag_error(c->d, &x->loc,
			   "expected a statistics variable or array element");
	}
}

static void infer_hist(struct ctx *c, struct expr *e)
{
	struct symbol *s;
	int kind = strcmp(e->name, "hist_log") == 0 ? 1 : 2;
	int64_t lo = 0, hi = 0, step = 0;
	int i;

	infer_stats_operand(c, e->a);
	for (i = 0; i < e->nargs; i++)
		infer(c, e->args[i], T_LONG);
	s = e->a->sym;
	if (kind == 2) {
		if (e->nargs != 3 || e->args[0]->kind != E_NUM ||
		    e->args[1]->kind != E_NUM || e->args[2]->kind != E_NUM) {
			diag_error(c->d, &e->loc,
				   "@hist_linear takes a statistic and three literal numbers (start, stop, interval)");
			return;
		}
		lo = e->args[0]->num;
		hi = e->args[1]->num;
		step = e->args[2]->num;
		if (step <= 0 || hi <= lo) {
			diag_error(c->d, &e->loc,
				   "@hist_linear needs start < stop and a positive interval");
			return;
		}
		if ((hi - lo) / step > 10000) {
			diag_error(c->d, &e->loc,
				   "@hist_linear: too many buckets ((stop - start) / interval > 10000)");
			return;
		}
	}
	e->type = T_UNKNOWN;
	if (!s)
		return;
	if (s->hist == 0) {
		s->hist = kind;
		s->hist_lo = lo;
		s->hist_hi = hi;
		s->hist_step = step;
	} else if (s->hist != kind || s->hist_lo != lo || s->hist_hi != hi ||
		   s->hist_step != step) {
		diag_error(c->d, &e->loc,
			   "multiple histogram types declared on '%s'", s->name);
	}
}

static enum type infer(struct ctx *c, struct expr *e, enum type want)
{
	enum type ta, tb;
	int i;

	if (!e)
		return T_UNKNOWN;
	switch (e->kind) {
	case E_NUM:
		e->type = T_LONG;
		break;
	case E_STR:
		e->type = T_STRING;
		break;
	case E_STAR:
		break;
	case E_CONTEXT:
		break;	/* set by check_context */
	case E_SYM:
		if (e->sym) {
			if (want != T_UNKNOWN && e->sym->type == T_UNKNOWN)
				unify(c, &e->sym->type, want, &e->loc,
				      what_sym(c, e->sym));
			e->type = e->sym->type;
		}
		break;
	case E_INDEX:
		infer_keys(c, e, e->args, e->nargs);
		if (e->sym) {
			if (want != T_UNKNOWN && e->sym->type == T_UNKNOWN)
				unify(c, &e->sym->type, want, &e->loc,
				      what_sym(c, e->sym));
			e->type = e->sym->type;
		}
		break;
	case E_BINARY:
		if (!strcmp(e->op, ".")) {
			infer(c, e->a, T_STRING);
			infer(c, e->b, T_STRING);
			if (e->a->type != T_UNKNOWN && e->a->type != T_STRING)
				diag_error(c->d, &e->loc,
					   "the operands of '.' must be strings (left is %s)",
					   type_name(e->a->type));
			if (e->b->type != T_UNKNOWN && e->b->type != T_STRING)
				diag_error(c->d, &e->loc,
					   "the operands of '.' must be strings (right is %s)",
					   type_name(e->b->type));
			e->type = T_STRING;
			break;
		}
		if (!strcmp(e->op, "<") || !strcmp(e->op, ">") ||
		    !strcmp(e->op, "<=") || !strcmp(e->op, ">=") ||
		    !strcmp(e->op, "==") || !strcmp(e->op, "!=")) {
			ta = infer(c, e->a, T_UNKNOWN);
			tb = infer(c, e->b, ta);
			if (ta == T_UNKNOWN && tb != T_UNKNOWN)
				ta = infer(c, e->a, tb);
			if (ta != T_UNKNOWN && tb != T_UNKNOWN && ta != tb)
				diag_error(c->d, &e->loc,
					   "cannot compare %s with %s", type_name(ta),
					   type_name(tb));
			else if (ta == T_STATS)
				diag_error(c->d, &e->loc,
					   "statistics cannot be compared; use @count, @sum, ...");
			e->type = T_LONG;
			break;
		}
		/* arithmetic */
		ta = infer(c, e->a, T_LONG);
		tb = infer(c, e->b, T_LONG);
		if (ta != T_UNKNOWN && ta != T_LONG)
			diag_error(c->d, &e->loc,
				   "operator '%s' needs numbers, the left operand is a %s",
				   e->op, type_name(ta));
		else if (tb != T_UNKNOWN && tb != T_LONG)
			diag_error(c->d, &e->loc,
				   "operator '%s' needs numbers, the right operand is a %s",
				   e->op, type_name(tb));
		e->type = T_LONG;
		break;
	case E_LOGICAL:
	case E_UNARY:
		ta = infer(c, e->a, T_LONG);
		if (ta != T_UNKNOWN && ta != T_LONG)
			diag_error(c->d, &e->loc,
				   "operator '%s' needs a number, not a %s", e->op,
				   type_name(ta));
		if (e->kind == E_LOGICAL) {
			tb = infer(c, e->b, T_LONG);
			if (tb != T_UNKNOWN && tb != T_LONG)
				diag_error(c->d, &e->loc,
					   "operator '%s' needs a number, not a %s",
					   e->op, type_name(tb));
		}
		e->type = T_LONG;
		break;
	case E_PREINC:
	case E_POSTINC:
		ta = infer(c, e->a, T_LONG);
		if (ta != T_UNKNOWN && ta != T_LONG)
			diag_error(c->d, &e->loc,
				   "operator '%s' needs a number, not a %s", e->op,
				   type_name(ta));
		e->type = T_LONG;
		break;
	case E_REGEX:
		ta = infer(c, e->a, T_STRING);
		if (ta != T_UNKNOWN && ta != T_STRING)
			diag_error(c->d, &e->loc,
				   "regular expressions match strings, not a %s",
				   type_name(ta));
		e->type = T_LONG;
		break;
	case E_ASSIGN:
		if (!strcmp(e->op, "<<<")) {
			infer_stats_operand(c, e->a);
			tb = infer(c, e->b, T_LONG);
			if (tb != T_UNKNOWN && tb != T_LONG)
				diag_error(c->d, &e->b->loc,
					   "type mismatch: expected long but found %s",
					   type_name(tb));
			e->type = T_UNKNOWN;
			break;
		}
		if (!strcmp(e->op, "=")) {
			ta = infer(c, e->a, T_UNKNOWN);
			tb = infer(c, e->b, ta);
			if (e->a->sym) {
				unify(c, &e->a->sym->type, tb, &e->loc,
				      what_sym(c, e->a->sym));
				ta = e->a->sym->type;
			}
			if (ta == T_STATS)
				diag_error(c->d, &e->loc,
					   "statistics can only be added to with '<<<'");
			e->type = ta != T_UNKNOWN ? ta : tb;
			break;
		}
		{
			enum type t = !strcmp(e->op, ".=") ? T_STRING : T_LONG;

			ta = infer(c, e->a, t);
			tb = infer(c, e->b, t);
			if (e->a->sym)
				unify(c, &e->a->sym->type, t, &e->loc,
				      what_sym(c, e->a->sym));
			if (tb != T_UNKNOWN && tb != t)
				diag_error(c->d, &e->loc,
					   "operator '%s' needs a %s, not a %s", e->op,
					   type_name(t), type_name(tb));
			e->type = t;
		}
		break;
	case E_TERNARY:
		ta = infer(c, e->a, T_LONG);
		if (ta != T_UNKNOWN && ta != T_LONG)
			diag_error(c->d, &e->a->loc,
				   "the condition must be a number, not a %s",
				   type_name(ta));
		ta = infer(c, e->b, want);
		tb = infer(c, e->c, ta != T_UNKNOWN ? ta : want);
		if (ta == T_UNKNOWN && tb != T_UNKNOWN)
			ta = infer(c, e->b, tb);
		if (ta != T_UNKNOWN && tb != T_UNKNOWN && ta != tb)
			diag_error(c->d, &e->loc,
				   "the two branches of '?:' differ: %s vs. %s",
				   type_name(ta), type_name(tb));
		e->type = ta != T_UNKNOWN ? ta : tb;
		break;
	case E_CALL:
		if (e->fn) {
			struct function *f = e->fn, *g;

			for (i = 0; i < e->nargs && i < f->nparams; i++) {
				struct symbol *p = f->params[i];

				tb = infer(c, e->args[i], p->type);
				unify(c, &p->type, tb, &e->args[i]->loc,
				      what_sym(c, p));
			}
			/* the overloads take the same arguments and give
			   the same kind of result */
			for (g = f->next_overload; g; g = g->next_overload) {
				for (i = 0; i < e->nargs && i < g->nparams; i++)
					unify(c, &g->params[i]->type,
					      e->args[i]->type, &e->args[i]->loc,
					      what_sym(c, g->params[i]));
				if (g->has_value_return && f->has_value_return) {
					unify(c, &g->rettype, f->rettype,
					      &e->loc, "function result");
					unify(c, &f->rettype, g->rettype,
					      &e->loc, "function result");
				}
			}
			if (want != T_UNKNOWN && f->rettype == T_UNKNOWN &&
			    f->has_value_return)
				unify(c, &f->rettype, want, &e->loc, "function result");
			e->type = f->rettype;
			for (g = f->next_overload; g && e->type == T_UNKNOWN;
			     g = g->next_overload)
				e->type = g->rettype;
		} else if (e->bi) {
			for (i = 0; i < e->nargs; i++) {
				tb = infer(c, e->args[i], e->bi->args[i]);
				if (tb != T_UNKNOWN && tb != e->bi->args[i])
					/* SystemTap's words (and direction) */
					diag_error(c->d, &e->args[i]->loc,
						   "type mismatch: expected %s but found %s",
						   type_name(tb),
						   type_name(e->bi->args[i]));
			}
			e->type = e->bi->ret;
		} else if (!strcmp(e->name, "error")) {
			if (e->nargs == 1) {
				tb = infer(c, e->args[0], T_STRING);
				if (tb != T_UNKNOWN && tb != T_STRING)
					diag_error(c->d, &e->args[0]->loc,
						   "error() takes a string");
			}
		}
		break;
	case E_IN:
		infer_keys(c, e, e->args, e->nargs);
		e->type = T_LONG;
		break;
	case E_STATOP:
		infer_stats_operand(c, e->a);
		if (e->b) {
			tb = infer(c, e->b, T_LONG);
			if (e->b->kind != E_NUM || e->b->num < 0 || e->b->num > 62)
				diag_error(c->d, &e->b->loc,
					   "@variance's second argument must be a literal number from 0 to 62");
		}
		if (!strcmp(e->name, "variance") && e->a->sym &&
		    e->a->sym->kind == SYM_GLOBAL) {
			/* one shift per statistic, fixed at compile time;
			   var_loc.src marks "given" (the symbol's zeroed
			   var_shift alone cannot tell 0 from unused) */
			struct symbol *st = e->a->sym;
			int sh = e->b && e->b->kind == E_NUM ? (int)e->b->num : 0;

			if (!st->var_loc.src) {
				st->var_shift = sh;
				st->var_loc = e->loc;
			} else if (st->var_shift != sh &&
				   (st->var_loc.line != e->loc.line ||
				    st->var_loc.col != e->loc.col ||
				    st->var_loc.src != e->loc.src)) {
				diag_error(c->d, &e->loc,
					   "conflicting bit shifts declared (previously %d)",
					   st->var_shift);
			}
		}
		e->type = T_LONG;
		break;
	case E_HIST:
		infer_hist(c, e);
		break;
	case E_HIST_INDEX:
		infer_hist(c, e->a);
		tb = infer(c, e->b, T_LONG);
		if (tb != T_UNKNOWN && tb != T_LONG)
			diag_error(c->d, &e->b->loc,
				   "a histogram bucket index must be a number");
		e->type = T_LONG;
		break;
	case E_PRINT: {
		/* printf's format gives its arguments their types, as in
		   SystemTap: printf("%d", n) makes n a long */
		struct fmt f;
		bool have_fmt = (!strcmp(e->name, "printf") ||
				 !strcmp(e->name, "sprintf")) &&
				fmt_parse(e->str, e->len, &f, NULL, 0) == 0;

		for (i = 0; i < e->nargs; i++) {
			enum type w = T_UNKNOWN;

			if (have_fmt && (size_t)i < f.nargs)
				w = f.argtypes[i] == FMT_ARG_LONG ? T_LONG : T_STRING;
			if (e->args[i]->kind == E_HIST)
				infer_hist(c, e->args[i]);
			else
				infer(c, e->args[i], w);
		}
		if (have_fmt)
			fmt_free(&f);
		e->type = e->name[0] == 's' ? T_STRING : T_UNKNOWN;
		break;
	}
	case E_DEFINED:
		e->type = T_LONG;
		break;
	}
	return e->type;
}

static void infer_stmt(struct ctx *c, struct stmt *s)
{
	int i;

	if (!s)
		return;
	switch (s->kind) {
	case S_EXPR:
		infer(c, s->e, T_UNKNOWN);
		break;
	case S_IF:
	case S_WHILE:
	case S_FOR:
		if (s->e) {
			enum type t = infer(c, s->e, T_LONG);

			if (t != T_UNKNOWN && t != T_LONG)
				diag_error(c->d, &s->e->loc,
					   "the condition must be a number, not a %s",
					   type_name(t));
		}
		infer_stmt(c, s->init);
		infer_stmt(c, s->then);
		infer_stmt(c, s->els);
		infer_stmt(c, s->step);
		break;
	case S_BLOCK:
		for (i = 0; i < s->nbody; i++)
			infer_stmt(c, s->body[i]);
		break;
	case S_FOREACH: {
		struct foreach *fe = s->fe;
		struct symbol *arr = fe->array->sym;

		if (fe->array->kind == E_HIST) {
			infer_hist(c, fe->array);
			if (fe->nkeys != 1)
				diag_error(c->d, &fe->array->loc,
					   "foreach over a histogram takes one bucket variable");
			else
				unify(c, &fe->keys[0]->sym->type, T_LONG,
				      &fe->keys[0]->loc,
				      what_sym(c, fe->keys[0]->sym));
			if (fe->value)
				unify(c, &fe->value->sym->type, T_LONG,
				      &fe->value->loc,
				      what_sym(c, fe->value->sym));
		} else if (arr) {
			for (i = 0; i < fe->nkeys && i < 9; i++) {
				struct symbol *k = fe->keys[i]->sym;

				unify(c, &k->type, arr->keytypes[i],
				      &fe->keys[i]->loc, what_sym(c, k));
				unify(c, &arr->keytypes[i], k->type,
				      &fe->keys[i]->loc, what_sym(c, arr));
				if (fe->slice && fe->slice[i]->kind != E_STAR) {
					enum type t = infer(c, fe->slice[i],
							    arr->keytypes[i]);
					unify(c, &arr->keytypes[i], t,
					      &fe->slice[i]->loc, what_sym(c, arr));
				}
			}
			if (fe->value) {
				enum type vt = arr->type == T_STATS ? T_LONG
								    : arr->type;
				unify(c, &fe->value->sym->type, vt,
				      &fe->value->loc, what_sym(c, fe->value->sym));
			}
			if (fe->sort_agg && arr->type != T_UNKNOWN &&
			    arr->type != T_STATS)
				diag_error(c->d, &fe->array->loc,
					   "sorting by @%s needs an array of statistics",
					   fe->sort_agg);
		}
		if (fe->limit) {
			enum type t = infer(c, fe->limit, T_LONG);

			if (t != T_UNKNOWN && t != T_LONG)
				diag_error(c->d, &fe->limit->loc,
					   "limit must be a number");
		}
		infer_stmt(c, s->then);
		break;
	}
	case S_RETURN:
		if (s->e && c->curfn) {
			enum type t = infer(c, s->e, c->curfn->rettype);

			unify(c, &c->curfn->rettype, t, &s->e->loc,
			      "the function's return value");
		}
		break;
	case S_DELETE:
		if (s->e->kind == E_INDEX)
			infer_keys(c, s->e, s->e->args, s->e->nargs);
		break;
	case S_TRY:
		infer_stmt(c, s->then);
		if (s->catchvar && s->catchvar->sym)
			unify(c, &s->catchvar->sym->type, T_STRING,
			      &s->catchvar->loc, what_sym(c, s->catchvar->sym));
		infer_stmt(c, s->els);
		break;
	default:
		break;
	}
}

/* ------------------------------------------------------------------ */
/* printf formats, checked once types are known (SystemTap's messages) */

static void print_check_expr(struct ctx *c, struct expr *e)
{
	int i;

	if (!e)
		return;
	if (e->kind == E_PRINT && (!strcmp(e->name, "printf") ||
				   !strcmp(e->name, "sprintf"))) {
		struct fmt f;
		char err[256];
		size_t k;

		if (fmt_parse(e->str, e->len, &f, err, sizeof(err)) != 0) {
			diag_error(c->d, &e->loc, "%s", err);
		} else {
			if (f.nargs != (size_t)e->nargs)
				diag_error(c->d, &e->loc,
					   "Wrong number of args to formatted print operator");
			for (k = 0; k < f.nargs && k < (size_t)e->nargs; k++) {
				enum type want = f.argtypes[k] == FMT_ARG_LONG ?
					T_LONG : T_STRING;
				enum type got = e->args[k]->type;

				if (got != want && got != T_UNKNOWN)
					diag_error(c->d, &e->args[k]->loc,
						   "type mismatch: expected %s but found %s",
						   type_name(want), type_name(got));
			}
			fmt_free(&f);
		}
	}
	print_check_expr(c, e->a);
	print_check_expr(c, e->b);
	print_check_expr(c, e->c);
	for (i = 0; i < e->nargs; i++)
		print_check_expr(c, e->args[i]);
}

static void print_check_stmt(struct ctx *c, struct stmt *s)
{
	int i;

	if (!s)
		return;
	print_check_expr(c, s->e);
	print_check_stmt(c, s->init);
	print_check_stmt(c, s->then);
	print_check_stmt(c, s->els);
	print_check_stmt(c, s->step);
	for (i = 0; i < s->nbody; i++)
		print_check_stmt(c, s->body[i]);
	if (s->fe) {
		print_check_expr(c, s->fe->limit);
		for (i = 0; s->fe->slice && i < s->fe->nkeys; i++)
			print_check_expr(c, s->fe->slice[i]);
	}
}

/* ------------------------------------------------------------------ */

static void global_init_types(struct ctx *c)
{
	int i;

	for (i = 0; i < c->nglobals; i++) {
		struct symbol *g = c->globals[i];

		if (g->init)
			unify(c, &g->type,
			      g->init->kind == E_STR ? T_STRING : T_LONG,
			      &g->loc, what_sym(c, g));
	}
}

static void check_unresolved(struct ctx *c, struct symbol *list)
{
	struct symbol *s;

	for (s = list; s; s = s->next)
		if (s->type == T_UNKNOWN)
			diag_error(c->d, &s->loc,
				   "cannot infer the type of '%s' (it is never given a value)",
				   s->name);
}

/* foreach bodies that modify their array, wrapping scalars */
static void fe_checks(struct ctx *c)
{
	struct fe_check fk;
	struct rhandler *h;
	int i;

	memset(&fk, 0, sizeof(fk));
	fk.c = c;
	for (h = c->out->handlers; h; h = h->next)
		fe_check_stmt(&fk, h->body);
	for (i = 0; i < c->nfns; i++)
		fe_check_stmt(&fk, c->fns[i]->body);
	for (i = 0; i < c->nglobals; i++)
		if (c->globals[i]->wrap && c->globals[i]->nkeys == 0)
			diag_error(c->d, &c->globals[i]->loc,
				   "wrapping not supported for scalars");
}

/* probe PP if (COND): COND may read globals only (SystemTap's rules and
 * messages); TOP is the whole condition, where a write is reported. */
static bool check_cond(struct ctx *c, struct expr *e, struct expr *top)
{
	int i;
	bool ok = true;

	if (!e)
		return true;
	switch (e->kind) {
	case E_SYM:
	case E_INDEX:
	case E_IN:
		if (e->kind == E_SYM || e->kind == E_INDEX ||
		    (e->name && e->kind == E_IN)) {
			if (!find_global(c, e->name, &e->loc)) {
				diag_error(c->d, &e->loc,
					   "probe condition must not reference undeclared global");
				return false;
			}
		}
		break;
	case E_CALL:
	case E_PRINT:
		diag_error(c->d, &e->loc,
			   "probe condition must not reference function");
		return false;
	case E_ASSIGN:
	case E_PREINC:
	case E_POSTINC:
		diag_error(c->d, &top->loc,
			   "probe condition must not modify any variables");
		return false;
	case E_CONTEXT:
		diag_error(c->d, &e->loc,
			   "probe condition must not reference context variables");
		return false;
	default:
		break;
	}
	ok = check_cond(c, e->a, top) && check_cond(c, e->b, top) &&
	     check_cond(c, e->c, top);
	for (i = 0; ok && i < e->nargs; i++)
		ok = check_cond(c, e->args[i], top);
	return ok;
}

int resolve_script(struct ast_arena *a, struct script *user,
		   struct script *lib, const struct resolve_opts *o,
		   struct resolved *out, struct diag *d)
{
	struct ctx c;
	struct probe *p;
	struct rhandler *h;
	int errors0 = d->nerrors, i, round, k;

	memset(&c, 0, sizeof(c));
	memset(out, 0, sizeof(*out));
	c.a = a;
	c.d = d;
	c.o = o;
	c.user = user;
	c.lib = lib;
	c.out = out;
	c.tail = &out->handlers;
	collect_aliases(&c);

	/* 1. expand every user probe */
	for (p = user->probes; p; p = p->next) {
		if (p->kind != PROBE_PLAIN)
			continue;
		for (i = 0; i < p->npoints; i++) {
			struct probe_point *pp = p->points[i];

			if (pp->cond && !check_cond(&c, pp->cond, pp->cond))
				continue;
			/* '!': once it resolves, the rest of the list is
			   not tried */
			if (expand(&c, pp->comps, pp->ncomps, pp, p, NULL, 0) > 0 &&
			    pp->sufficient)
				break;
		}
	}
	if (!out->handlers && d->nerrors == errors0) {
		diag_error(d, NULL, "no probes found");
		return d->nerrors - errors0;
	}

	/* 2. bind symbols per handler, drop dead alias stores, check $vars */
	for (h = out->handlers; h; h = h->next) {
		c.locals = &h->locals;
		c.nlocals = &h->nlocals;
		c.curfn = NULL;
		c.curpt = &h->pt;
		fold_defined(&h->pt, h->body);
		/* context errors are reported after elision */
		{
			struct diag quiet = *d;

			quiet.out = fopen("/dev/null", "w");
			c.d = &quiet;
			bind_stmt(&c, h->body);
			if (quiet.out)
				fclose(quiet.out);
			c.d = d;
		}
		if (!o->listing)
			elide_dead_stores(h, d);
		/* rebind for real now, reporting errors once */
		h->locals = NULL;
		h->nlocals = 0;
		bind_stmt(&c, h->body);
		if (!o->listing)
			elide_dead_stores(h, d);
		warn_never_assigned(&c, h->locals);
	}
	for (k = 0; k < c.nfns; k++) {
		struct function *f = c.fns[k];

		c.curfn = f;
		c.curpt = NULL;
		f->locals = NULL;
		f->nlocals = 0;
		c.locals = &f->locals;
		c.nlocals = &f->nlocals;
		for (i = 0; i < f->nparams; i++) {
			struct symbol *ps = add_local(&c, f->params[i]->name,
						      &f->params[i]->loc);

			ps->kind = SYM_PARAM;
			ps->type = f->params[i]->type;
			f->params[i] = ps;
		}
		bind_stmt(&c, f->body);
		warn_never_assigned(&c, f->locals);
	}
	c.curfn = NULL;
	if (d->nerrors != errors0 && !o->listing)
		return d->nerrors - errors0;
	fe_checks(&c);

	/* 3. infer types to a fixed point */
	for (round = 0; round < 64; round++) {
		c.changed = false;
		global_init_types(&c);
		for (h = out->handlers; h; h = h->next) {
			c.curfn = NULL;
			infer_stmt(&c, h->body);
		}
		for (k = 0; k < c.nfns; k++) {
			c.curfn = c.fns[k];
			infer_stmt(&c, c.fns[k]->body);
		}
		if (!c.changed || (d->nerrors != errors0 && !o->listing))
			break;
	}
	if (d->nerrors != errors0)
		return d->nerrors - errors0;
	for (h = out->handlers; h; h = h->next)
		print_check_stmt(&c, h->body);
	for (k = 0; k < c.nfns; k++)
		print_check_stmt(&c, c.fns[k]->body);
	if (d->nerrors != errors0)
		return d->nerrors - errors0;
	for (h = out->handlers; h; h = h->next)
		check_unresolved(&c, h->locals);
	for (k = 0; k < c.nfns; k++) {
		struct function *f = c.fns[k];

		check_unresolved(&c, f->locals);
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
		sb_printf(out, " %s:%s", s->name, type_name(s->type));
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

			sb_printf(out, "%s:%s", g->name, type_name(g->type));
			if (g->nkeys) {
				sb_putc(out, ' ');
				sb_putc(out, '[');
				for (k = 0; k < g->nkeys; k++)
					sb_printf(out, "%s%s", k ? ", " : "",
						  type_name(g->keytypes[k]));
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
				  f->has_value_return ? type_name(f->rettype)
						      : "void");
			for (k = 0; k < f->nparams; k++)
				sb_printf(out, "%s%s:%s", k ? ", " : "",
					  f->params[k]->name,
					  type_name(f->params[k]->type));
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
	int r = match_comps(u, nu, al, na);

	if (r == nu)
		return true;
	/* listing: "python.*" also lists python.function.entry */
	if (nu > 0 && nu <= na && strcmp(u[nu - 1].name, "*") == 0)
		return match_comps(u, nu - 1, al, nu - 1) == nu - 1;
	return false;
}

/* One -L line: the handler's locals (an alias's variables), then the
 * mark's $argN, as stap -L prints them. */
static void list_vars(struct strbuf *sb, const struct rhandler *h)
{
	const struct symbol *s;
	int i;

	for (s = h->locals; s; s = s->next)
		sb_printf(sb, " %s:%s", s->name, type_name(s->type));
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
	memset(&c, 0, sizeof(c));
	memset(&empty, 0, sizeof(empty));
	c.a = a;
	c.d = d;
	c.o = o;
	c.user = &empty;
	c.lib = lib;
	collect_aliases(&c);
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
			sb_puts(&sb, alias_key(&c, x->p));
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
