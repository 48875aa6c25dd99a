/*
 * tapset.c - loading the tapset library.
 *
 * Order and precedence (as SystemTap's $SYSTEMTAP_TAPSET and -I):
 *   1. the default set: the files of $PYTAP_TAPSETS (colon-separated
 *      directories) when it is set; else, for the installed binary
 *      ($(bindir)/pytap), the installed tapsets ($(pkgdatadir)/tapsets,
 *      which an administrator may edit, as SystemTap's); else the tapsets
 *      embedded in the binary (a build tree's pytap);
 *   2. each -I DIR in command-line order.
 * Every file becomes a `struct source` with is_tapset set and an `origin`
 * rank (0 for the default set, 1.. for -I), which resolve_points.c uses
 * to let a user tapset replace a built-in alias of the same name.
 *
 * The same places hold library macro files (*.stpm, SystemTap's name):
 * tapset_load_macros reads them first, before the script and the other
 * tapset files, whose `@NAME` can then use their macros.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tapset.h"

static int next_file_id = 1000;

static bool has_suffix(const char *n, const char *suf)
{
	size_t l = strlen(n), k = strlen(suf);

	return l > k && strcmp(n + l - k, suf) == 0;
}

/* Put the probes, globals and functions of ONE after those of LIB. */
static void append_script(struct script *lib, struct script *one)
{
	struct probe **p = &lib->probes;
	struct symbol **g = &lib->globals;
	struct function **f = &lib->functions;
	struct refusal **r = &lib->refusals;

	while (*p)
		p = &(*p)->next;
	*p = one->probes;
	while (*g)
		g = &(*g)->next;
	*g = one->globals;
	while (*f)
		f = &(*f)->next;
	*f = one->functions;
	while (*r)
		r = &(*r)->next;
	*r = one->refusals;
}

/* LIB NULL: a macro file (PO->libmacros gets its macros). */
static int load_text(struct ast_arena *a, const char *name, const char *text,
		     size_t len, int origin, struct parse_opts *po,
		     struct script *lib, struct diag *d)
{
	struct source *src = ast_alloc(a, sizeof(*src));
	struct script one;
	int errors0 = d->nerrors, errs;

	memset(&one, 0, sizeof(one));
	src->name = ast_strndup(a, name, strlen(name));
	src->text = ast_strndup(a, text, len);
	src->len = len;
	src->is_tapset = true;
	src->file_id = next_file_id++;
	src->origin = origin;
	if (!lib) {
		errs = parse_macro_library(a, src, po, d);
	} else {
		errs = parse_source(a, src, po, &one, d);
		if (!errs)
			append_script(lib, &one);
	}
	if (!errs || d->werror)
		return errs;
	/* SystemTap's rule: a tapset file with errors is left out, with a
	   warning after its errors; only -W makes them fatal */
	d->nerrors = errors0;
	diag_warning(d, NULL, "%s '%s' has errors, and will be skipped",
		     lib ? "tapset" : "macro tapset", name);
	return 0;
}

static int cmp_names(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* LIB NULL: a macro file, *.stpm; else *.pytap or *.stp. */
static bool is_tapset_name(const char *n, const struct script *lib)
{
	if (!lib)
		return has_suffix(n, ".stpm");
	return has_suffix(n, ".pytap") || has_suffix(n, ".stp");
}

/* Load every *.pytap / *.stp file (LIB NULL: *.stpm) of DIR (sorted, not
 * recursive). */
static int load_dir(struct ast_arena *a, const char *dir, int origin,
		    struct parse_opts *po, struct script *lib,
		    struct diag *d, int verbose)
{
	DIR *dp = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, i;
	int errs = 0;

	if (!dp) {
		diag_error(d, NULL, "cannot read tapset directory '%s': %s",
			   dir, strerror(errno));
		return 1;
	}
	while ((de = readdir(dp))) {
		if (de->d_name[0] == '.' || !is_tapset_name(de->d_name, lib))
			continue;
		names = realloc(names, (n + 1) * sizeof(*names));
		names[n++] = strdup(de->d_name);
	}
	closedir(dp);
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_names);
	for (i = 0; i < n; i++) {
		char path[4096];
		FILE *f;
		char *text = NULL;
		size_t len = 0;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		f = fopen(path, "r");
		if (!f) {
			diag_error(d, NULL, "cannot read tapset '%s': %s", path,
				   strerror(errno));
			errs++;
		} else {
			FILE *m = open_memstream(&text, &len);
			char buf[8192];
			size_t got;

			while ((got = fread(buf, 1, sizeof(buf), f)) > 0)
				fwrite(buf, 1, got, m);
			fclose(m);
			fclose(f);
			if (verbose >= 2)
				fprintf(stderr, "pytap: tapset %s\n", path);
			errs += load_text(a, path, text, len, origin, po, lib, d);
			free(text);
		}
		free(names[i]);
	}
	free(names);
	return errs;
}

/* Is this the installed binary, with the installed tapsets readable? */
static bool running_installed(void)
{
#if defined(PYTAP_BINDIR) && defined(PYTAP_TAPSET_DIR)
	char self[PATH_MAX], *inst;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	bool same;

	if (n <= 0)
		return false;
	self[n] = 0;
	inst = realpath(PYTAP_BINDIR "/pytap", NULL);
	same = inst && strcmp(inst, self) == 0;
	free(inst);
	return same && access(PYTAP_TAPSET_DIR, R_OK | X_OK) == 0;
#else
	return false;
#endif
}

int tapset_load_macros(struct ast_arena *a, char **dirs, int ndirs,
		       struct parse_opts *po, struct diag *d, int verbose)
{
	return tapset_load(a, dirs, ndirs, po, NULL, d, verbose);
}

int tapset_load(struct ast_arena *a, char **dirs, int ndirs,
		struct parse_opts *po, struct script *lib,
		struct diag *d, int verbose)
{
	const char *env = getenv("PYTAP_TAPSETS");
	int errs = 0, i;

	if (env && *env) {
		char *copy = strdup(env), *save = NULL, *dir;

		for (dir = strtok_r(copy, ":", &save); dir;
		     dir = strtok_r(NULL, ":", &save))
			errs += load_dir(a, dir, 0, po, lib, d, verbose);
		free(copy);
	} else if (running_installed()) {
		if (verbose >= 2)
			fprintf(stderr, "pytap: the installed tapsets of %s\n",
				PYTAP_TAPSET_DIR);
		errs += load_dir(a, PYTAP_TAPSET_DIR, 0, po, lib, d, verbose);
	} else {
		size_t k;

		for (k = 0; k < n_builtin_tapsets; k++) {
			char name[256];

			if (!is_tapset_name(builtin_tapsets[k].name, lib))
				continue;
			snprintf(name, sizeof(name), "<tapset>/%s",
				 builtin_tapsets[k].name);
			errs += load_text(a, name, builtin_tapsets[k].text,
					  builtin_tapsets[k].len, 0, po, lib, d);
		}
	}
	for (i = 0; i < ndirs; i++)
		errs += load_dir(a, dirs[i], i + 1, po, lib, d, verbose);
	return errs;
}
