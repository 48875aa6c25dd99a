/*
 * target.h - finding the ELF files a probe point names, at compile time:
 * $PATH lookup, "#!" interpreters, DT_NEEDED libraries, and which CPython
 * version a binary is.  It reads files only; it never touches a process
 * (the CLI turns -x PID into a list of files before compiling).
 */
#ifndef PYTAP_TARGET_H
#define PYTAP_TARGET_H

#include <stdbool.h>
#include <stddef.h>

#include "sdt.h"

/* The argstr of the python function marks that the in-process agent
 * provides in CPython 3.11-3.13 builds without markers (pc 0). */
#define TARGET_AGENT_ARGSTR "agent"

/* One ELF object with its SDT notes, cached for the whole compilation. */
struct target_obj {
	char *path;		/* resolved absolute path */
	struct sdt_file sdt;	/* nprobes may be 0 */
	int py_major, py_minor;	/* CPython version, 0 if not a CPython */
	struct target_obj *next;
};

struct target_set {
	struct target_obj *objs;	/* read so far, any order */
	/* The -c/-x target's objects (executable first, then its
	   libraries), or none. */
	struct target_obj **target;
	size_t ntarget;
	char *target_desc;	/* "-c 'CMD'" / "-x 1234", for messages */
	char *target_script;	/* -c ran a #! script: its path, else NULL */
	char *launched;		/* -c runs a launcher (env, timeout, nice,
				   sh -c ...): the Python it starts, whose
				   objects come first in target[]; else NULL */
};

/*
 * Resolve NAME as a shell would run it: a name without '/' is searched in
 * $PATH; the result is absolute with symlinks resolved; a "#!" script is
 * replaced by its interpreter (through /usr/bin/env too).  Returns a
 * malloc'd path, or NULL with a one-line reason in ERR.
 */
char *target_resolve_exec(const char *name, char *err, size_t errlen);
/* The same, also returning (malloc'd) the #! script that was replaced by
 * its interpreter, or NULL. */
char *target_resolve_exec2(const char *name, char **script, char *err,
			   size_t errlen);

/* The object at PATH (resolved), read and cached; NULL + ERR on failure. */
struct target_obj *target_get(struct target_set *ts, const char *path,
			      char *err, size_t errlen);

/* Add PATH and, for executables, the libraries it needs (DT_NEEDED, found
 * as the dynamic loader would) to the target list. */
int target_add_exec(struct target_set *ts, const char *path, char *err,
		    size_t errlen);
/* Add exactly PATH (for -x: every file mapped in the process). */
int target_add_file(struct target_set *ts, const char *path, char *err,
		    size_t errlen);

/* The library named LIB (a glob, e.g. "libpython3*.so*") needed by or
 * mapped with EXE: its path, or NULL. */
char *target_find_library(struct target_set *ts, const char *exe,
			  const char *lib);

/* Is O a CPython (its version is known, or it has "python" marks)? */
bool target_is_python(const struct target_obj *o);

/*
 * -c ARGV runs a launcher rather than a Python (env, timeout, nice, sh -c
 * '...', a #! script of one of those): the Python it will exec, found
 * among the later words (a word with blanks, such as sh -c's string, is
 * split into words and searched too; `#!` scripts are followed).  Returns
 * a malloc'd absolute path, or NULL if no word names a Python.
 */
char *target_launched_python(struct target_set *ts, char *const argv[]);

/* An installed Python with CPython's SDT markers, for messages: Debian's
 * /usr/bin/python3.MINOR if it has them, else another /usr/bin/python3.X
 * that does; a malloc'd path, or NULL if there is none. */
char *target_sdt_python(struct target_set *ts, int minor);

void target_set_free(struct target_set *ts);

#endif
