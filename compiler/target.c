/*
 * target.c - the binaries behind probe points, found at compile time.
 *
 * Every object is read once (SDT notes via sdt.c, CPython version via the
 * exported Py_Version word or, for older builds, the file name) and cached
 * in the target_set for the whole compilation.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <gelf.h>
#include <glob.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wordexp.h>

#include "target.h"

static char *search_path(const char *name)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX];

	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		const char *end = strchr(path, ':');
		size_t n = end ? (size_t)(end - path) : strlen(path);

		if (n == 0)
			snprintf(buf, sizeof(buf), "./%s", name);
		else
			snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, path,
				 name);
		if (access(buf, X_OK) == 0) {
			struct stat st;

			if (stat(buf, &st) == 0 && S_ISREG(st.st_mode))
				return strdup(buf);
		}
		if (!end)
			break;
		path = end + 1;
	}
	return NULL;
}

/* "#!/usr/bin/env python3.11 -u" -> "python3.11"; NULL if no #!. */
static char *read_shebang(const char *path)
{
	char line[512];
	FILE *f = fopen(path, "r");
	char *p, *q, *word;

	if (!f)
		return NULL;
	if (!fgets(line, sizeof(line), f) || strncmp(line, "#!", 2) != 0) {
		fclose(f);
		return NULL;
	}
	fclose(f);
	p = line + 2;
	while (*p == ' ' || *p == '\t')
		p++;
	for (q = p; *q && !isspace((unsigned char)*q); q++)
		;
	word = strndup(p, (size_t)(q - p));
	if (strcmp(word, "/usr/bin/env") == 0 || strcmp(word, "/bin/env") == 0) {
		free(word);
		p = q;
		while (*p == ' ' || *p == '\t')
			p++;
		/* env -S "python3 -u" */
		if (strncmp(p, "-S", 2) == 0 && isspace((unsigned char)p[2]))
			for (p += 2; *p == ' ' || *p == '\t'; p++)
				;
		for (q = p; *q && !isspace((unsigned char)*q); q++)
			;
		if (q == p)
			return NULL;
		word = strndup(p, (size_t)(q - p));
	}
	return word;
}

static bool is_elf(const char *path)
{
	unsigned char m[4];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool ok;

	if (fd < 0)
		return false;
	ok = read(fd, m, 4) == 4 && memcmp(m, "\177ELF", 4) == 0;
	close(fd);
	return ok;
}

static char *resolve_depth(const char *name, char **script, int depth,
			   char *err, size_t errlen)
{
	char *found, *real, *interp, *r;

	if (depth > 4) {
		snprintf(err, errlen, "too many levels of #! interpreters");
		return NULL;
	}
	found = strchr(name, '/') ? strdup(name) : search_path(name);
	if (!found) {
		snprintf(err, errlen, "cannot find '%s' in $PATH", name);
		return NULL;
	}
	real = realpath(found, NULL);
	if (!real) {
		snprintf(err, errlen, "cannot open '%s': %s", found,
			 strerror(errno));
		free(found);
		return NULL;
	}
	free(found);
	if (is_elf(real))
		return real;
	interp = read_shebang(real);
	if (!interp) {
		snprintf(err, errlen,
			 "'%s' is neither an ELF binary nor a #! script", real);
		free(real);
		return NULL;
	}
	if (script && !*script)
		*script = strdup(real);
	free(real);
	r = resolve_depth(interp, script, depth + 1, err, errlen);
	free(interp);
	return r;
}

char *target_resolve_exec2(const char *name, char **script, char *err,
			   size_t errlen)
{
	if (script)
		*script = NULL;
	return resolve_depth(name, script, 0, err, errlen);
}

char *target_resolve_exec(const char *name, char *err, size_t errlen)
{
	return resolve_depth(name, NULL, 0, err, errlen);
}

/* CPython version from the exported Py_Version (3.11+): 0xMMmmpp.. */
static void read_py_version(struct target_obj *o)
{
	int fd = open(o->path, O_RDONLY | O_CLOEXEC);
	Elf *e;
	Elf_Scn *scn = NULL;
	const char *base;
	int maj, min;

	if (fd < 0)
		return;
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ, NULL);
	while (e && (scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		size_t i, n;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM)
			continue;
		d = elf_getdata(scn, NULL);
		n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
		for (i = 0; d && i < n; i++) {
			GElf_Sym sym;
			const char *nm;
			Elf_Scn *s2;
			GElf_Shdr sh2;
			Elf_Data *d2;
			uint64_t off;
			uint32_t v;

			if (!gelf_getsym(d, (int)i, &sym))
				continue;
			nm = elf_strptr(e, sh.sh_link, sym.st_name);
			if (!nm || strcmp(nm, "Py_Version") != 0 ||
			    sym.st_shndx == SHN_UNDEF)
				continue;
			s2 = elf_getscn(e, sym.st_shndx);
			if (!s2 || !gelf_getshdr(s2, &sh2) ||
			    sh2.sh_type != SHT_PROGBITS)
				continue;
			d2 = elf_getdata(s2, NULL);
			/* a symbol before its section (off wraps) or in its
			   last 3 bytes: no version there */
			off = sym.st_value - sh2.sh_addr;
			if (!d2 || d2->d_size < 4 || off > d2->d_size - 4)
				continue;
			memcpy(&v, (char *)d2->d_buf + off, 4);
			o->py_major = (int)((v >> 24) & 0xff);
			o->py_minor = (int)((v >> 16) & 0xff);
		}
	}
	if (e)
		elf_end(e);
	close(fd);
	if (o->py_major)
		return;
	/* older builds: python3.9, libpython3.10.so.1.0 */
	base = strrchr(o->path, '/');
	base = base ? base + 1 : o->path;
	if (sscanf(base, "python%d.%d", &maj, &min) == 2 ||
	    sscanf(base, "libpython%d.%d", &maj, &min) == 2) {
		o->py_major = maj;
		o->py_minor = min;
	}
}

/*
 * The python function marks of a CPython 3.11-3.13 interpreter core (a
 * static python3.X or libpython3.X.so, the object that defines
 * _PyEval_EvalFrameDefault) that has none of its own: the in-process
 * agent provides them (session/agent_src.c).  They are notes with pc 0
 * and argstr "agent", four arguments as the newest markers have:
 * filename, funcname, lineno, module.
 */
static void add_agent_marks(struct target_obj *o)
{
	static const char *const marks[] = { "function__entry",
					      "function__return" };
	const char *names[1] = { "_PyEval_EvalFrameDefault" };
	uint64_t v[1] = { 0 };
	struct sdt_probe *np;
	size_t n = o->sdt.nprobes;

	if (o->py_major != 3 || o->py_minor < 11 || o->py_minor > 13)
		return;
	for (size_t i = 0; i < n; i++)
		if (strcmp(o->sdt.probes[i].name, marks[0]) == 0 ||
		    strcmp(o->sdt.probes[i].name, marks[1]) == 0)
			return;		/* real markers: breakpoints or agent */
	if (sdt_file_symbols(o->path, names, v, 1) < 0 || v[0] == 0)
		return;
	np = realloc(o->sdt.probes, (n + 2) * sizeof(*np));
	if (np == NULL)
		return;
	o->sdt.probes = np;
	for (size_t k = 0; k < 2; k++) {
		struct sdt_probe *p = &np[n + k];

		memset(p, 0, sizeof(*p));
		p->provider = strdup("python");
		p->name = strdup(marks[k]);
		p->argstr = strdup(TARGET_AGENT_ARGSTR);
		p->nargs = 4;
		for (int a = 0; a < 4; a++) {
			p->args[a].size = 8;
			p->args[a].is_signed = a == 2;
			p->args[a].kind = SDT_OP_CONST;
		}
	}
	o->sdt.nprobes = n + 2;
}

struct target_obj *target_get(struct target_set *ts, const char *path,
			      char *err, size_t errlen)
{
	struct target_obj *o;
	char *real;

	/* a file in another process's root or mount namespace: realpath()
	   would resolve /proc/PID/root into ours (/proc/PID/maps names are
	   canonical already) */
	if (strncmp(path, "/proc/", 6) == 0 && strstr(path, "/root/"))
		real = strdup(path);
	else
		real = realpath(path, NULL);
	if (!real) {
		snprintf(err, errlen, "cannot open '%s': %s", path,
			 strerror(errno));
		return NULL;
	}
	for (o = ts->objs; o; o = o->next)
		if (strcmp(o->path, real) == 0) {
			free(real);
			return o;
		}
	o = calloc(1, sizeof(*o));
	if (!o) {
		free(real);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (sdt_file_read(real, &o->sdt, err, errlen) != 0) {
		free(real);
		free(o);
		return NULL;
	}
	o->path = real;
	read_py_version(o);
	add_agent_marks(o);
	o->next = ts->objs;
	ts->objs = o;
	return o;
}

static void push_target(struct target_set *ts, struct target_obj *o)
{
	size_t i;

	for (i = 0; i < ts->ntarget; i++)
		if (ts->target[i] == o)
			return;
	ts->target = realloc(ts->target, (ts->ntarget + 1) * sizeof(*ts->target));
	ts->target[ts->ntarget++] = o;
}

int target_add_file(struct target_set *ts, const char *path, char *err,
		    size_t errlen)
{
	struct target_obj *o = target_get(ts, path, err, errlen);

	if (!o)
		return -1;
	push_target(ts, o);
	return 0;
}

/* DT_NEEDED and DT_RUNPATH/DT_RPATH of an ELF file. */
static int read_dynamic(const char *path, char ***needed, size_t *nneeded,
			char **runpath)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf *e;
	Elf_Scn *scn = NULL;

	*needed = NULL;
	*nneeded = 0;
	*runpath = NULL;
	if (fd < 0)
		return -1;
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ, NULL);
	while (e && (scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		size_t i, n;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNAMIC)
			continue;
		d = elf_getdata(scn, NULL);
		n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
		for (i = 0; d && i < n; i++) {
			GElf_Dyn dyn;
			const char *s;

			if (!gelf_getdyn(d, (int)i, &dyn))
				continue;
			if (dyn.d_tag != DT_NEEDED && dyn.d_tag != DT_RUNPATH &&
			    dyn.d_tag != DT_RPATH)
				continue;
			s = elf_strptr(e, sh.sh_link, dyn.d_un.d_val);
			if (!s)
				continue;
			if (dyn.d_tag == DT_NEEDED) {
				*needed = realloc(*needed, (*nneeded + 1) *
						  sizeof(char *));
				(*needed)[(*nneeded)++] = strdup(s);
			} else if (!*runpath) {
				*runpath = strdup(s);
			}
		}
	}
	if (e)
		elf_end(e);
	close(fd);
	return 0;
}

static char *find_in_dirs(const char *dirs, const char *origin,
			  const char *lib)
{
	char buf[PATH_MAX];

	while (dirs && *dirs) {
		const char *end = strchr(dirs, ':');
		size_t n = end ? (size_t)(end - dirs) : strlen(dirs);

		if (n >= 7 && strncmp(dirs, "$ORIGIN", 7) == 0)
			snprintf(buf, sizeof(buf), "%s%.*s/%s", origin,
				 (int)(n - 7), dirs + 7, lib);
		else
			snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, dirs, lib);
		if (n && access(buf, R_OK) == 0)
			return realpath(buf, NULL);
		if (!end)
			break;
		dirs = end + 1;
	}
	return NULL;
}

static const char default_libdirs[] =
	"/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu:/lib64:/usr/lib64:"
	"/usr/local/lib:/lib:/usr/lib";

int target_add_exec(struct target_set *ts, const char *path, char *err,
		    size_t errlen)
{
	char **needed, *runpath, origin[PATH_MAX];
	size_t n, i;
	char *slash;

	if (target_add_file(ts, path, err, errlen) != 0)
		return -1;
	if (read_dynamic(path, &needed, &n, &runpath) != 0)
		return 0;
	snprintf(origin, sizeof(origin), "%s", path);
	slash = strrchr(origin, '/');
	if (slash)
		*slash = 0;
	for (i = 0; i < n; i++) {
		char *lib = NULL;
		char e2[256];

		if (strchr(needed[i], '/'))
			lib = realpath(needed[i], NULL);
		if (!lib && runpath)
			lib = find_in_dirs(runpath, origin, needed[i]);
		if (!lib && getenv("LD_LIBRARY_PATH"))
			lib = find_in_dirs(getenv("LD_LIBRARY_PATH"), origin,
					   needed[i]);
		if (!lib)
			lib = find_in_dirs(default_libdirs, origin, needed[i]);
		if (lib)
			target_add_file(ts, lib, e2, sizeof(e2));
		free(lib);
		free(needed[i]);
	}
	free(needed);
	free(runpath);
	return 0;
}

char *target_find_library(struct target_set *ts, const char *exe,
			  const char *lib)
{
	size_t i;
	char **needed, *runpath, origin[PATH_MAX], *slash, *found = NULL;
	size_t n;

	/* first the target's own objects (-x: what is mapped) */
	for (i = 0; i < ts->ntarget; i++) {
		const char *p = ts->target[i]->path;
		const char *base = strrchr(p, '/');

		base = base ? base + 1 : p;
		if (fnmatch(lib, p, 0) == 0 || fnmatch(lib, base, 0) == 0)
			return strdup(p);
	}
	if (lib[0] == '/') {
		glob_t g;

		if (glob(lib, 0, NULL, &g) == 0 && g.gl_pathc > 0)
			found = realpath(g.gl_pathv[0], NULL);
		globfree(&g);
		return found;
	}
	if (!exe || read_dynamic(exe, &needed, &n, &runpath) != 0)
		return NULL;
	snprintf(origin, sizeof(origin), "%s", exe);
	slash = strrchr(origin, '/');
	if (slash)
		*slash = 0;
	for (i = 0; i < n; i++) {
		if (!found && fnmatch(lib, needed[i], 0) == 0) {
			if (runpath)
				found = find_in_dirs(runpath, origin, needed[i]);
			if (!found)
				found = find_in_dirs(default_libdirs, origin,
						     needed[i]);
		}
		free(needed[i]);
	}
	free(needed);
	free(runpath);
	if (!found && !strpbrk(lib, "*?[")) {
		found = find_in_dirs(default_libdirs, origin, lib);
	}
	return found;
}

bool target_is_python(const struct target_obj *o)
{
	size_t i;

	if (o->py_major)
		return true;
	for (i = 0; i < o->sdt.nprobes; i++)
		if (!strcmp(o->sdt.probes[i].provider, "python"))
			return true;
	return false;
}

/* Is the executable at PATH (resolved) a Python, itself or through the
 * libpython it needs? */
static bool exec_is_python(struct target_set *ts, const char *path)
{
	char err[256], **needed, *runpath;
	struct target_obj *o = target_get(ts, path, err, sizeof(err));
	size_t n, i;
	bool py = false;

	if (!o)
		return false;
	if (target_is_python(o))
		return true;
	if (read_dynamic(path, &needed, &n, &runpath) != 0)
		return false;
	for (i = 0; i < n; i++) {
		py = py || !strncmp(needed[i], "libpython", 9);
		free(needed[i]);
	}
	free(needed);
	free(runpath);
	return py;
}

static char *launched_depth(struct target_set *ts, char *const words[],
			    size_t n, int depth)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const char *w = words[i];
		char err[256], *exe;

		if (strpbrk(w, " \t\n")) {
			/* sh -c 'STRING', env -S 'python3 -u': its words */
			wordexp_t we;
			char *r = NULL;

			char *cp = strdup(w), *q;

			/* "cd /srv && exec python3 app.py": the shell's
			   operators separate words too */
			for (q = cp; *q; q++)
				if (strchr("|&;<>(){}\n", *q))
					*q = ' ';
			if (depth < 4 && wordexp(cp, &we, WRDE_NOCMD) == 0) {
				r = launched_depth(ts, we.we_wordv, we.we_wordc,
						   depth + 1);
				wordfree(&we);
			}
			free(cp);
			if (r)
				return r;
			continue;
		}
		if (!*w || *w == '-' || strchr(w, '='))
			continue;	/* an option, VAR=value */
		exe = target_resolve_exec(w, err, sizeof(err));
		if (exe && exec_is_python(ts, exe))
			return exe;
		free(exe);
	}
	return NULL;
}

char *target_launched_python(struct target_set *ts, char *const argv[])
{
	size_t n = 0;

	while (argv[n])
		n++;
	return n > 1 ? launched_depth(ts, argv + 1, n - 1, 0) : NULL;
}

static bool has_python_marks(struct target_set *ts, const char *path)
{
	char err[256];
	struct target_obj *o;
	size_t i;

	if (access(path, X_OK) != 0 || !is_elf(path))
		return false;
	o = target_get(ts, path, err, sizeof(err));
	for (i = 0; o && i < o->sdt.nprobes; i++)
		if (!strcmp(o->sdt.probes[i].provider, "python"))
			return true;
	return false;
}

char *target_sdt_python(struct target_set *ts, int minor)
{
	char want[64];
	glob_t g;
	char *found = NULL;
	size_t i;

	snprintf(want, sizeof(want), "/usr/bin/python3.%d", minor);
	if (has_python_marks(ts, want))
		return strdup(want);
	if (glob("/usr/bin/python3.[0-9]*", 0, NULL, &g) != 0)
		return NULL;
	for (i = g.gl_pathc; i-- > 0 && !found;) {
		int m;
		char tail;

		if (sscanf(g.gl_pathv[i], "/usr/bin/python3.%d%c", &m,
			   &tail) == 1 && has_python_marks(ts, g.gl_pathv[i]))
			found = strdup(g.gl_pathv[i]);
	}
	globfree(&g);
	return found;
}

void target_set_free(struct target_set *ts)
{
	struct target_obj *o, *next;

	for (o = ts->objs; o; o = next) {
		next = o->next;
		sdt_file_free(&o->sdt);
		free(o->path);
		free(o);
	}
	free(ts->target);
	free(ts->target_desc);
	free(ts->target_script);
	free(ts->launched);
	memset(ts, 0, sizeof(*ts));
}
