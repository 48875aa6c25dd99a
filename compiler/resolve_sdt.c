/*
 * resolve_sdt.c - process(...)[.provider(P)][.library(L)].mark(N): the SDT
 * marks of the target binaries (target.h) a point matches, one handler
 * each, and the message that says why none match.
 */
#include <fnmatch.h>
#include <glob.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resolve_int.h"

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
		for (size_t j = 0; j < objs[i]->sdt.nprobes; j++)
			total += !objs[i]->sdt.probes[j].argstr ||
				 strcmp(objs[i]->sdt.probes[j].argstr,
					TARGET_AGENT_ARGSTR) != 0;
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

		if (o && o->py_major == 3 && o->py_minor >= 14 &&
		    name && strncmp(name, "function__", 10) == 0)
			sb_printf(&sb,
				  "%s (CPython %d.%d) has no function markers, and the in-process agent that serves python.function.* without them supports CPython 3.11 to 3.13 only (pytap does not implement PEP 768, the remote debugging interface of 3.14); use a Python with SystemTap markers%s%s",
				  o->path, o->py_major, o->py_minor,
				  alt ? ", e.g. Debian's " : "", alt ? alt : "");
		else if (o && o->py_major)
			sb_printf(&sb,
				  "%s (CPython %d.%d) has no SDT probes: it was built without --with-dtrace; use a Python with SystemTap markers, %s%s%s",
				  o->path, o->py_major, o->py_minor,
				  alt ? "e.g. Debian's " : "one built --with-dtrace (Debian's python3.X packages are)",
				  alt ? alt : "",
				  o->sdt.nprobes > 0
					? " (python.function.* work without them, through the in-process agent)"
					: "");
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

		if (o->py_major == 3 && o->py_minor >= 12 &&
		    (fnmatch(name, "function__entry", 0) == 0 ||
		     fnmatch(name, "function__return", 0) == 0 ||
		     fnmatch(name, "line", 0) == 0)) {
			diag_error(c->d, loc,
				   "CPython %d.%d ('%s') has no '%s' marker: CPython 3.12 and later have no function or line markers (python.gc.*, python.import.* and python.audit still work)%s",
				   o->py_major, o->py_minor, o->path, name,
				   o->py_minor >= 14 && fnmatch(name, "line", 0) != 0
				   ? "; the in-process agent, which serves python.function.* without them, supports 3.11 to 3.13 only (pytap does not implement PEP 768, the remote debugging interface of 3.14)"
				   : "");
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
int res_base_sdt(struct ctx *c, const struct pp_component *cp, int n,
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
			pt.pp = res_comps_str(c, cp, n);
			pt.loc = up->loc;
			res_new_handler(c, &pt, user, ch);
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
			pt.agent_only = sp->argstr &&
				strcmp(sp->argstr, TARGET_AGENT_ARGSTR) == 0;
			if (pt.agent_only && c->o->no_agent &&
			    strncmp(sp->name, "exception__", 11) == 0) {
				diag_error(c->d, &up->loc,
					   "the exception probes need the in-process agent (CPython has no exception markers)");
				diag_note(c->d, NULL,
					  "run without --no-agent (or with --agent)");
				free(exe);
				return -1;
			}
			pt.optional = up->optional;
			pt.loc = up->loc;
			sb_puts(&sb, "process(");
			if (pid)
				sb_printf(&sb, "%" PRId64, pid);
			else
				res_put_quoted(&sb, o->path);
			sb_puts(&sb, ")");
			if (provider) {
				sb_puts(&sb, ".provider(");
				res_put_quoted(&sb, sp->provider);
				sb_puts(&sb, ")");
			}
			sb_puts(&sb, ".mark(");
			res_put_quoted(&sb, sp->name);
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
			res_new_handler(c, &pt, user, ch);
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
		   res_comps_str(c, cp, n));
	return -1;
}
