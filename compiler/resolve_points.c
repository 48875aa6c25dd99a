/*
 * resolve_points.c - probe points: their text, the alias table, alias
 * expansion (prologues, epilogues, suffixes, wildcards, conditions,
 * @probewrite) and the base points other than SDT marks (begin, end,
 * error, never, timer.*, sample.*, process.begin/end and threads).
 */
#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resolve_int.h"

/* ------------------------------------------------------------------ */
/* probe point text                                                   */

void res_put_quoted(struct strbuf *sb, const char *s)
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
				res_put_quoted(sb, c[i].arg_str);
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

char *res_comps_str(struct ctx *c, const struct pp_component *comps, int n)
{
	struct strbuf sb = STRBUF_INIT;
	char *r;

	comps_text(&sb, comps, n);
	r = ast_strndup(c->a, sb_str(&sb), sb.len);
	sb_free(&sb);
	return r;
}

/* ------------------------------------------------------------------ */
/* aliases                                                            */

char *res_alias_key(struct ctx *c, const struct probe *p)
{
	return res_comps_str(c, p->alias_name->comps, p->alias_name->ncomps);
}

/*
 * Collect alias definitions.  A name defined in the user's files, or in a
 * tapset of a higher origin (-I), replaces definitions of lower origins:
 * SystemTap would expand all of them and double every event.
 */
void res_collect_aliases(struct ctx *c)
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
		char *kx = res_alias_key(c, x->p);

		for (y = all; y; y = y->next) {
			const struct source *sy = y->p->loc.src;
			int oy = sy->is_tapset ? sy->origin : 1 << 20;

			if (oy > ox &&
			    strcmp(kx, res_alias_key(c, y->p)) == 0) {
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
int res_match_comps(const struct pp_component *u, int nu,
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
			int r = res_match_comps(u + 1, nu - 1, al + i, na - i);

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
	i = res_match_comps(u + 1, nu - 1, al + 1, na - 1);
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
struct name_writes {
	struct walker w;
	const char *name;
};

static enum walk_next name_writes_pre(struct walker *w, struct expr **slot,
				      enum walk_role role)
{
	const struct expr *e = *slot;

	if (role != WALK_READ && role != WALK_ITERATE && e->kind == E_SYM &&
	    !strcmp(e->name, ((struct name_writes *)w)->name))
		return WALK_STOP;
	return WALK_CONTINUE;
}

static bool stmt_writes_name(struct stmt *s, const char *name)
{
	struct name_writes nw = { .w = { .expr_pre = name_writes_pre },
				  .name = name };

	return !walk_stmt(&nw.w, &s);
}

/* @probewrite(v) in an alias body: 1 when the user's body writes v. */
struct probewrite_fold {
	struct walker w;
	struct stmt *user;
};

static enum walk_next probewrite_pre(struct walker *w, struct expr **slot,
				     enum walk_role role)
{
	struct expr *e = *slot;

	(void)role;
	if (e->kind == E_DEFINED && e->op && !strcmp(e->op, "@probewrite")) {
		e->kind = E_NUM;
		e->num = stmt_writes_name(((struct probewrite_fold *)w)->user,
					  e->a->name);
		e->a = NULL;
		return WALK_SKIP;
	}
	return WALK_CONTINUE;
}

static void fold_probewrite(struct stmt *s, struct stmt *user)
{
	struct probewrite_fold pf = { .w = { .expr_pre = probewrite_pre },
				      .user = user };

	walk_stmt(&pf.w, &s);
}

struct rhandler *res_new_handler(struct ctx *c, const struct rpoint *pt,
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
		neg->a = ast_clone_expr(c->a, c->cond);
		ifs->e = neg;
		ifs->then = ast_stmt(c->a, S_NEXT, &c->cond->loc);
		n = ast_push(c->a, (void ***)&list, n, ifs);
	}
	for (i = 0; i < depth; i++) {
		struct probe *al = stack[i]->alias;

		if (al->kind == PROBE_ALIAS && al->body)
			n = ast_push(c->a, (void ***)&list, n,
				     ast_clone_stmt(c->a, al->body));
	}
	n = ast_push(c->a, (void ***)&list, n, ast_clone_stmt(c->a, user->body));
	for (i = depth - 1; i >= 0; i--) {
		struct probe *al = stack[i]->alias;
		struct stmt *epi = al->kind == PROBE_ALIAS_EPI ? al->body
							       : al->epilogue;

		if (epi)
			n = ast_push(c->a, (void ***)&list, n,
				     ast_clone_stmt(c->a, epi));
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
		h->pt.pn = res_alias_key(c, x->alias);
	*c->tail = h;
	c->tail = &h->next;
	return h;
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
		res_put_quoted(&sb, pt.path);
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
			   res_comps_str(c, cp, n),
			   thread ? (begin ? "thread.begin" : "thread.end")
				  : (begin ? "begin" : "end"));
		sb_free(&sb);
		return -1;
	}
	sb_puts(&sb, thread ? ".thread" : "");
	sb_puts(&sb, begin ? ".begin" : ".end");
	pt.pp = ast_strndup(c->a, sb_str(&sb), sb.len);
	sb_free(&sb);
	res_new_handler(c, &pt, user, ch);
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
	res_new_handler(c, pt, user, ch);
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
	pt.pp = res_comps_str(c, cp, n);
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
		res_new_handler(c, &pt, user, ch);
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
		res_new_handler(c, &pt, user, ch);
		return 1;
	}
	if (!strcmp(n0, "sample") && !cp[0].has_arg)
		return sample_point(c, cp, n, &pt, user, ch);
	if (!strcmp(n0, "process")) {
		if (n >= 2 && (!strcmp(cp[n - 1].name, "mark") ||
			       !strcmp(cp[1].name, "provider") ||
			       !strcmp(cp[1].name, "library")))
			return res_base_sdt(c, cp, n, up, user, ch);
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

/* The probe points pytap itself knows, by their names. */
static const char *const base_names[] = {
	"begin", "end", "error", "never", "timer.s", "timer.sec", "timer.ms",
	"timer.msec", "timer.us", "timer.usec", "timer.ns", "timer.nsec",
	"timer.hz", "timer.jiffies", "process.mark", "process.provider.mark",
	"process.library.mark",
};

/* The point's component names, without their arguments. */
static char *comp_names(struct ctx *c, const struct pp_component *cp, int n)
{
	struct strbuf sb = STRBUF_INIT;
	char *r;
	int i;

	for (i = 0; i < n; i++)
		sb_printf(&sb, "%s%s", i ? "." : "", cp[i].name);
	r = ast_strndup(c->a, sb_str(&sb), sb.len);
	sb_free(&sb);
	return r;
}

/* The alias or built-in probe point closest to the point, for "did you
 * mean" (compared by name, without the arguments). */
static const char *suggest_point(struct ctx *c, const struct pp_component *cp,
				 int n)
{
	struct diag_suggest sg;
	struct alias_def *x;
	size_t i;

	diag_suggest_init(&sg, comp_names(c, cp, n));
	for (x = c->aliases; x; x = x->next) {
		const struct probe_point *an = x->p->alias_name;

		diag_suggest_try(&sg, comp_names(c, an->comps, an->ncomps));
	}
	for (i = 0; i < sizeof(base_names) / sizeof(base_names[0]); i++)
		diag_suggest_try(&sg, base_names[i]);
	return sg.best;
}

int res_expand(struct ctx *c, const struct pp_component *cp, int n,
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

		if (res_match_comps(cp, n, an->comps, an->ncomps) == n) {
			exact = true;
			break;
		}
	}
	for (x = c->aliases; x; x = x->next) {
		const struct probe_point *an = x->p->alias_name;
		int used = res_match_comps(cp, n, an->comps, an->ncomps);
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
			r = res_expand(c, nc, nn, &sub, user, &link, depth + 1);
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
		char *text = res_comps_str(c, cp, n);
		const char *sug = suggest_point(c, cp, n);

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
