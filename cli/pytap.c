/*
 * pytap.c - the command line: options, the compile passes (-p1 parse,
 * -p2 resolve, -p3 bytecode), -l/-L listing, and handing the program to the
 * session.  Exit codes: see enum pytap_exit in runtime/session.h.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <wordexp.h>

#include "ast.h"
#include "bytecode.h"
#include "codegen.h"
#include "compile.h"
#include "diag.h"
#include "mem.h"
#include "parse.h"
#include "procfs.h"
#include "resolve.h"
#include "session.h"
#include "strbuf.h"
#include "tapset.h"
#include "target.h"
#include "vm.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0.1"
#endif

struct options {
	const char *script_text;	/* -e */
	const char *script_file;	/* FILE or "-" */
	char **args;			/* script arguments */
	int nargs;
	const char *cmd;		/* -c */
	pid_t pid;			/* -x */
	int pass;			/* -p: 1..5 */
	const char *list;		/* -l / -L pattern */
	bool list_vars;
	int verbose;
	char **incdirs;
	int nincdirs;
	char **globals;			/* -G */
	int nglobals;
	struct codegen_limits lim;
	int64_t timeout_ms;
	const char *outfile;
	bool no_pin;
	bool no_follow;
	enum agent_mode agent_mode;	/* --agent / --no-agent */
	bool guru;
	bool no_warn;
	bool werror;
	bool timing;			/* -t */
	bool suppress_errors;		/* --suppress-handler-errors */
	const char **notes;		/* accepted options without effect,
					   said under -v */
	int nnotes;
};

/* --help: one 80x24 screen; pytap(1) has the rest. */
static void usage(FILE *f)
{
	fputs(
"Usage: pytap [OPTIONS] FILE|-e SCRIPT [ARGS...]   run a script\n"
"       pytap [OPTIONS] -l|-L PATTERN              list probe points\n"
"Options may come anywhere before '--'; the words after the script are ARGS.\n"
"\n"
"  -c CMD       run CMD and trace it (pytap ends when it ends); through\n"
"               env/timeout/nice/sh -c, python.* binds to the Python it runs\n"
"  -x PID       trace the running process PID (it runs on afterwards)\n"
"  -e SCRIPT    the script text instead of a FILE\n"
"  -l/-L PAT    list the probe points matching PAT ('python.*'), -L with\n"
"               their variables; with -c/-x, what that program has\n"
"  -p N         stop after pass N: 1 parse, 2 resolve, 3 bytecode, 4 verify\n"
"  -I DIR       more tapsets (their aliases replace built-in ones)\n"
"  -D NAME=VAL  a limit: MAXACTION MAXMAPENTRIES MAXSTRINGLEN MAXNESTING\n"
"               MAXERRORS MAXSKIPPED HIST_ELISION\n"
"  -G NAME=VAL  set a global   -T SECS  stop after SECS   -o FILE  output\n"
"  -v           say what is searched and armed (-vv: more)\n"
"  -t           at the end, each probe's hits and handler time (ns)\n"
"  -w / -W      no warnings / warnings are errors   -g  accepted, no effect\n"
"  --no-pin     leave the CPUs alone   --no-follow-forks  not the children\n"
"  --suppress-time-limits  no MAXACTION   -q -k -b -s N -m --ldd...: no-ops\n"
"  --agent / --no-agent  python.function.*: in-process only / breakpoints only\n"
"Exit: 0 ok (also Ctrl-C), 1 compile error, 2 usage, 3 runtime errors,\n"
"4 cannot trace.  Probes: pytap -L 'python.*'.  -h help, -V version.\n",
	      f);
}

static void die_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "pytap: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'pytap --help' for more information.\n");
	exit(PYTAP_EXIT_USAGE);
}

static int64_t parse_num(const char *s, const char *what)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 0);
	if (errno || end == s || *end)
		die_usage(what, s);
	return v;
}

static void set_limit(struct options *o, const char *def)
{
	static const struct {
		const char *name;
		size_t off;
	} names[] = {
		{ "MAXACTION", offsetof(struct codegen_limits, maxaction) },
		{ "MAXACTION_INTERRUPTIBLE",
		  offsetof(struct codegen_limits, maxaction_interruptible) },
		{ "MAXMAPENTRIES", offsetof(struct codegen_limits, maxmapentries) },
		{ "MAXSTRINGLEN", offsetof(struct codegen_limits, maxstringlen) },
		{ "MAXNESTING", offsetof(struct codegen_limits, maxnesting) },
		{ "MAXERRORS", offsetof(struct codegen_limits, maxerrors) },
		{ "MAXSKIPPED", offsetof(struct codegen_limits, maxskipped) },
		{ "HIST_ELISION", offsetof(struct codegen_limits, hist_elision) },
	};
	const char *eq = strchr(def, '=');
	size_t i, n = eq ? (size_t)(eq - def) : strlen(def);

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strlen(names[i].name) == n && !strncmp(names[i].name, def, n)) {
			int64_t v;

			if (!eq)
				die_usage("-D %s needs a value (NAME=VALUE)", def);
			v = parse_num(eq + 1, "-D: '%s' is not a number");
			if (v < 0 || (v == 0 && strcmp(names[i].name, "MAXERRORS") &&
				      strcmp(names[i].name, "HIST_ELISION")))
				die_usage("-D %s: the value must be positive", def);
			if (!strcmp(names[i].name, "MAXSTRINGLEN") && v > 65536)
				die_usage("-D %s: at most 65536", def);
			*(int64_t *)((char *)&o->lim + names[i].off) = v;
			return;
		}
	}
	/* SystemTap accepts any C macro; we only know the limits */
	fprintf(stderr, "pytap: warning: -D %s: not a limit pytap knows, ignored\n",
		def);
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	char *text = NULL, buf[8192];
	size_t got;
	FILE *m;

	if (!f)
		return NULL;
	m = open_memstream(&text, len);
	while ((got = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, got, m);
	fclose(m);
	if (f != stdin)
		fclose(f);
	return text;
}

/* The state letter of process PID (/proc/PID/stat), '?' if unknown. */
static char proc_state(pid_t pid)
{
	char buf[512];
	const char *p = procfs_stat(pid, 0, buf, sizeof(buf));

	return p && p[0] == ' ' ? p[1] : '?';
}

/* The maps of a live thread of PID (its main thread has exited), opened;
 * PATH gets the file name.  NULL if there is none. */
static FILE *live_thread_maps(pid_t pid, char *path, size_t len)
{
	char dir[64];
	struct dirent *de;
	FILE *f = NULL;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/task", (int)pid);
	d = opendir(dir);
	while (d && !f && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, len, "/proc/%d/task/%.16s/maps", (int)pid,
			 de->d_name);
		f = fopen(path, "r");
		if (f && fgetc(f) == EOF) {
			fclose(f);
			f = NULL;
		} else if (f) {
			rewind(f);
		}
	}
	if (d)
		closedir(d);
	return f;
}

/* -c runs a launcher (env, timeout, nice, sh -c '...'): the Python it
 * starts goes first in the target list, so that python.* (bare process
 * probes) bind to it; the process is followed through its forks and execs
 * and armed when it maps that Python. */
static void add_launched_python(struct target_set *ts, char **argv)
{
	struct target_obj **old;
	size_t i, n = ts->ntarget;
	char err[512];

	for (i = 0; i < n; i++)
		if (target_is_python(ts->target[i]))
			return;
	ts->launched = target_launched_python(ts, argv);
	if (!ts->launched)
		return;
	old = ts->target;
	ts->target = NULL;
	ts->ntarget = 0;
	if (target_add_exec(ts, ts->launched, err, sizeof(err)) != 0) {
		free(ts->target);
		ts->target = old;
		ts->ntarget = n;
		free(ts->launched);
		ts->launched = NULL;
		return;
	}
	for (i = 0; i < n; i++)
		target_add_file(ts, old[i]->path, err, sizeof(err));
	free(old);
}

/* How long -x waits for the exec of a fork child that is not Python yet
 * (`python3.11 app.py & pytap -x $!` may come before the shell's exec). */
#define EXEC_WAIT_MS 1000

/* Said instead of "no probes" when -x waited for an exec in vain. */
static char prexec_note[PATH_MAX + 256];

/* Does PID map an object named python* or libpython* (its executable or
 * a library)?  With NEED, does it map the file NEED and another one (the
 * dynamic loader, mapped after the executable: its exec is far enough)? */
struct maps_has_ctx {
	const char *need;
	bool exe, other;
};

static int maps_has_one(void *ctx, const struct procfs_map *m)
{
	struct maps_has_ctx *c = ctx;
	const char *base = strrchr(m->path, '/') + 1;

	if (c->need == NULL)
		return strncmp(base, "python", 6) == 0 ||
		       strncmp(base, "libpython", 9) == 0;
	if (strcmp(m->path, c->need) == 0)
		c->exe = true;
	else
		c->other = true;
	return c->exe && c->other;
}

static bool maps_has(pid_t pid, const char *need)
{
	struct maps_has_ctx c = { need, false, false };

	return procfs_each_file_map(pid, maps_has_one, &c) > 0;
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/*
 * -x PID of a process that runs no Python and the same executable as its
 * parent: a fork child (of a shell: `python3.11 app.py & pytap -x $!`)
 * that may be about to exec.  Wait up to EXEC_WAIT_MS for the exec; if
 * none comes, prexec_note says so.
 */
static void wait_exec(const struct options *o)
{
	char self[64], parent[64], exe[PATH_MAX] = "?";
	struct stat a, b, c;
	long ppid = -1;
	char v[64];
	ssize_t n;

	if (procfs_status(o->pid, 0, "PPid", v, sizeof(v)) == 0)
		ppid = strtol(v, NULL, 10);
	snprintf(self, sizeof(self), "/proc/%d/exe", (int)o->pid);
	snprintf(parent, sizeof(parent), "/proc/%ld/exe", ppid);
	if (ppid <= 0 || stat(self, &a) < 0 || stat(parent, &b) < 0 ||
	    !same_file(&a, &b) || maps_has(o->pid, NULL))
		return;
	n = readlink(self, exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 1] = '\0';
	if (o->verbose >= 1)
		fprintf(stderr, "pytap: -x %d runs %s as its parent %ld does, and no Python: waiting up to %d ms for an exec\n",
			(int)o->pid, exe, ppid, EXEC_WAIT_MS);
	for (int ms = 0; ms < EXEC_WAIT_MS; ms += 2) {
		struct timespec ts = { 0, 2 * 1000000L };
		char now[PATH_MAX];

		nanosleep(&ts, NULL);
		if (stat(self, &c) < 0)
			return;		/* gone: said later */
		if (same_file(&a, &c))
			continue;
		/* exec'd: the new image and its loader are mapped a moment
		   later (a static executable has no loader: it is looked
		   at when the time is up) */
		n = readlink(self, now, sizeof(now) - 1);
		if (n <= 0)
			return;
		now[n] = '\0';
		if (!maps_has(o->pid, now) && ms + 2 < EXEC_WAIT_MS)
			continue;
		if (o->verbose >= 1)
			fprintf(stderr, "pytap: -x %d exec'd %s\n",
				(int)o->pid, now);
		return;
	}
	snprintf(prexec_note, sizeof(prexec_note),
		 "-x %d is not Python (yet): it runs %s as its parent %ld does, and did not exec within %d ms; give -x the pid once it runs Python, or start the program with -c",
		 (int)o->pid, exe, ppid, EXEC_WAIT_MS);
}

/* The -c/-x target's ELF files, for compile-time probe resolution. */
static int collect_targets(const struct options *o, struct target_set *ts,
			   char ***argv_out)
{
	char err[512];

	if (o->cmd) {
		wordexp_t we;
		char *exe;
		size_t i;

		if (wordexp(o->cmd, &we, WRDE_NOCMD) != 0 || we.we_wordc == 0) {
			fprintf(stderr, "pytap: -c '%s': cannot split the command into words\n",
				o->cmd);
			return PYTAP_EXIT_USAGE;
		}
		*argv_out = calloc(we.we_wordc + 1, sizeof(char *));
		for (i = 0; i < we.we_wordc; i++)
			(*argv_out)[i] = strdup(we.we_wordv[i]);
		wordfree(&we);
		exe = target_resolve_exec2((*argv_out)[0], &ts->target_script,
					   err, sizeof(err));
		ts->target_desc = malloc(strlen(o->cmd) + 8);
		sprintf(ts->target_desc, "-c '%s'", o->cmd);
		if (!exe) {
			fprintf(stderr, "pytap: -c: %s\n", err);
			return PYTAP_EXIT_TRACE;
		}
		if (target_add_exec(ts, exe, err, sizeof(err)) != 0) {
			fprintf(stderr, "pytap: -c: %s\n", err);
			free(exe);
			return PYTAP_EXIT_TRACE;
		}
		free(exe);
		add_launched_python(ts, *argv_out);
	} else if (o->pid) {
		char path[64], line[4096], rootdir[64];
		struct stat rst, ourst;
		bool other_root;
		FILE *f;

		ts->target_desc = malloc(32);
		sprintf(ts->target_desc, "-x %d", (int)o->pid);
		wait_exec(o);
		snprintf(path, sizeof(path), "/proc/%d/maps", (int)o->pid);
		f = fopen(path, "r");
		if (f && fgetc(f) == EOF) {
			/* no memory: a zombie or kernel thread, or a process
			   whose main thread exited: read a live thread's */
			fclose(f);
			f = live_thread_maps(o->pid, path, sizeof(path));
			if (!f)
				f = fopen("/dev/null", "r");
		} else if (f) {
			rewind(f);
		}
		if (!f) {
			if (errno == ENOENT)
				fprintf(stderr, "pytap: -x %d: no such process\n",
					(int)o->pid);
			else
				fprintf(stderr, "pytap: -x %d: not permitted to trace it (cannot read %s: %s): run pytap as root or with CAP_SYS_PTRACE\n",
					(int)o->pid, path, strerror(errno));
			return PYTAP_EXIT_TRACE;
		}
		snprintf(rootdir, sizeof(rootdir), "/proc/%d/root/", (int)o->pid);
		other_root = stat(rootdir, &rst) == 0 && stat("/", &ourst) == 0 &&
			     (rst.st_dev != ourst.st_dev ||
			      rst.st_ino != ourst.st_ino);
		if (!other_root) {
			/* same root, but another mount namespace may hide
			   the files from us */
			char ns1[64] = "", ns2[64] = "";

			snprintf(rootdir, sizeof(rootdir), "/proc/%d/ns/mnt",
				 (int)o->pid);
			if (readlink(rootdir, ns1, sizeof(ns1) - 1) > 0 &&
			    readlink("/proc/self/ns/mnt", ns2, sizeof(ns2) - 1) > 0)
				other_root = strcmp(ns1, ns2) != 0;
		}
		while (fgets(line, sizeof(line), f)) {
			struct procfs_map m;
			char *file, rooted[PATH_MAX + 64];

			if (procfs_map_parse(line, &m) < 0 ||
			    m.path[0] != '/' || strstr(m.path, " (deleted)"))
				continue;
			file = m.path;
			/* a process with a root of its own (a container, a
			   mount namespace): its files through that root */
			if (other_root)
				snprintf(rooted, sizeof(rooted),
					 "/proc/%d/root%s", (int)o->pid, file);
			else
				snprintf(rooted, sizeof(rooted), "%s", file);
			target_add_file(ts, rooted, err, sizeof(err));
		}
		fclose(f);
		if (!ts->ntarget) {
			char comm[64] = "?";
			FILE *cf;

			snprintf(path, sizeof(path), "/proc/%d/comm", (int)o->pid);
			cf = fopen(path, "r");
			if (cf) {
				if (fgets(comm, sizeof(comm), cf))
					comm[strcspn(comm, "\n")] = 0;
				fclose(cf);
			}
			if (proc_state(o->pid) == 'Z')
				fprintf(stderr, "pytap: -x %d (%s) is a zombie: it has exited and waits for its parent to reap it; nothing to trace\n",
					(int)o->pid, comm);
			else
				fprintf(stderr, "pytap: -x %d (%s) is a kernel thread: pytap traces user-space processes\n",
					(int)o->pid, comm);
			return PYTAP_EXIT_TRACE;
		}
	}
	return 0;
}

/* stap's options that mean nothing to pytap: accepted, and said under -v
 * (kernel-only ones that would mislead are refused in parse_args). */
static void note(struct options *o, const char *text)
{
	o->notes = realloc(o->notes, (size_t)(o->nnotes + 1) * sizeof(char *));
	o->notes[o->nnotes++] = text;
}

static void refuse(const char *opt, const char *why)
{
	fprintf(stderr, "pytap: %s: %s\n", opt, why);
	exit(PYTAP_EXIT_USAGE);
}

enum {
	OPT_NO_PIN = 256, OPT_NO_FOLLOW, OPT_AGENT, OPT_NO_AGENT, OPT_SUPPRESS_TIME_LIMITS, OPT_LDD,
	OPT_ALL_MODULES, OPT_VP, OPT_COMPATIBLE, OPT_CHECK_VERSION,
	OPT_CACHE, OPT_CLEAN_CACHE, OPT_TMPDIR, OPT_PRIVILEGE,
	OPT_UNPRIVILEGED, OPT_SKIP_BADVARS, OPT_REMOTE, OPT_MODINFO,
	OPT_KELF, OPT_RUNTIME, OPT_DYNINST, OPT_USE_SERVER,
	OPT_SUPPRESS_HANDLER_ERRORS,
};

/*
 * The options of stap that mean nothing to pytap: accepted without effect
 * (the note is printed with -v), or refused with the reason and exit
 * status 1.
 */
static const struct stap_opt {
	int c;
	const char *refused;	/* the option as named if refused, or NULL */
	const char *text;	/* the note, or why it is refused */
} stap_opts[] = {
	{ 'u', NULL, "-u: accepted, no effect (pytap still folds constants and drops dead stores)" },
	{ 'q', NULL, "-q: accepted, no effect (tapset coverage data: pytap keeps none)" },
	{ 'k', NULL, "-k: accepted, no effect (pytap builds in memory: no temporary directory)" },
	{ 'b', NULL, "-b: accepted, no effect (bulk per-CPU transport: pytap writes its output directly)" },
	{ 's', NULL, "-s: accepted, no effect (pytap has no kernel transport buffer)" },
	{ 'm', NULL, "-m: accepted, no effect (pytap builds no kernel module to name)" },
	{ 'P', NULL, "-P: accepted, no effect (function prologue searching is for DWARF probes)" },
	{ 'd', NULL, "-d: accepted, no effect (pytap reads the symbols of the objects it needs itself)" },
	{ OPT_LDD, NULL, "--ldd: accepted, no effect (pytap reads the symbols of the objects it needs itself)" },
	{ 'R', NULL, "-R: accepted, no effect (pytap has no C runtime directory)" },
	{ OPT_COMPATIBLE, NULL, "--compatible: accepted, no effect (pytap speaks one version of the language)" },
	{ OPT_CHECK_VERSION, NULL, "--check-version: accepted, no effect" },
	{ OPT_CACHE, NULL, "--disable-cache/--poison-cache: accepted, no effect (pytap keeps no cache)" },
	{ OPT_TMPDIR, NULL, "--tmpdir: accepted, no effect (pytap writes no temporary files)" },
	{ OPT_PRIVILEGE, NULL, "--privilege/--unprivileged: accepted, no effect (pytap needs only the right to ptrace the target)" },
	{ OPT_UNPRIVILEGED, NULL, "--privilege/--unprivileged: accepted, no effect (pytap needs only the right to ptrace the target)" },
	{ OPT_SKIP_BADVARS, NULL, "--skip-badvars: accepted, no effect (pytap has no DWARF variables to skip)" },
	{ OPT_RUNTIME, NULL, "--runtime/--dyninst: accepted, no effect (pytap has one runtime: ptrace in user space)" },
	{ OPT_DYNINST, NULL, "--runtime/--dyninst: accepted, no effect (pytap has one runtime: ptrace in user space)" },
	{ OPT_USE_SERVER, NULL, "--use-server: accepted, no effect (pytap compiles locally)" },
#define KMOD "a kernel-module option; pytap traces user space and builds no kernel module (drop it)"
	{ 'r', "-r", KMOD },
	{ 'a', "-a", KMOD },
	{ 'B', "-B", KMOD },
	{ OPT_MODINFO, "--modinfo", KMOD },
	{ OPT_KELF, "--kelf/--kmap", KMOD },
	{ OPT_ALL_MODULES, "--all-modules", KMOD },
#undef KMOD
	{ OPT_REMOTE, "--remote", "pytap runs on this machine only: run pytap on the remote host (ssh HOST pytap ...)" },
	{ 'F', "-F", "pytap has no flight-recorder mode: run it in the background with -o FILE" },
	{ 'S', "-S", "pytap does not rotate output files: give one -o FILE" },
	{ 'E', "-E", "extra scripts are not supported: put the probes in one file (or in a tapset directory given with -I)" },
};

/* Option C if it is one of stap_opts: its note, or its refusal (no
 * return).  False if it is not. */
static bool stap_only(struct options *o, int c)
{
	for (size_t i = 0; i < sizeof(stap_opts) / sizeof(stap_opts[0]); i++) {
		const struct stap_opt *so = &stap_opts[i];

		if (so->c != c)
			continue;
		if (so->refused)
			refuse(so->refused, so->text);
		note(o, so->text);
		return true;
	}
	return false;
}

/* Append WORD to the list *V of *N words, kept NULL-terminated. */
static void push_word(char ***v, int *n, char *word)
{
	*v = realloc(*v, (size_t)(*n + 2) * sizeof(char *));
	(*v)[(*n)++] = word;
	(*v)[*n] = NULL;
}

/* The options that set one flag of struct options. */
static const struct flag_opt {
	int c;
	size_t off;
} flag_opts[] = {
	{ 'w', offsetof(struct options, no_warn) },
	{ 'W', offsetof(struct options, werror) },
	{ 'g', offsetof(struct options, guru) },
	{ 't', offsetof(struct options, timing) },
	{ OPT_SUPPRESS_HANDLER_ERRORS, offsetof(struct options, suppress_errors) },
	{ OPT_NO_PIN, offsetof(struct options, no_pin) },
	{ OPT_NO_FOLLOW, offsetof(struct options, no_follow) },
};

/* Option C if it is one of flag_opts: its flag set.  False if not. */
static bool flag_opt(struct options *o, int c)
{
	for (size_t i = 0; i < sizeof(flag_opts) / sizeof(flag_opts[0]); i++)
		if (flag_opts[i].c == c) {
			*(bool *)((char *)o + flag_opts[i].off) = true;
			return true;
		}
	return false;
}

/*
 * The command line, as stap reads it: GNU getopt with permutation, so
 * options may come anywhere before "--" (`pytap -g x.stp -c CMD`); the
 * first word that is not an option is the script (unless -e or -l/-L gave
 * one) and the words after it are the script's arguments; "--" ends the
 * options, so `pytap x.stp -v -- -x two` has @1 = "-x".
 */
static void parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "no-pin", no_argument, NULL, OPT_NO_PIN },
		{ "no-follow-forks", no_argument, NULL, OPT_NO_FOLLOW },
		{ "agent", no_argument, NULL, OPT_AGENT },
		{ "no-agent", no_argument, NULL, OPT_NO_AGENT },
		{ "suppress-time-limits", no_argument, NULL,
		  OPT_SUPPRESS_TIME_LIMITS },
		{ "suppress-handler-errors", no_argument, NULL,
		  OPT_SUPPRESS_HANDLER_ERRORS },
		{ "ldd", no_argument, NULL, OPT_LDD },
		{ "all-modules", no_argument, NULL, OPT_ALL_MODULES },
		{ "vp", required_argument, NULL, OPT_VP },
		{ "compatible", required_argument, NULL, OPT_COMPATIBLE },
		{ "check-version", no_argument, NULL, OPT_CHECK_VERSION },
		{ "disable-cache", no_argument, NULL, OPT_CACHE },
		{ "poison-cache", no_argument, NULL, OPT_CACHE },
		{ "clean-cache", no_argument, NULL, OPT_CLEAN_CACHE },
		{ "tmpdir", required_argument, NULL, OPT_TMPDIR },
		{ "privilege", required_argument, NULL, OPT_PRIVILEGE },
		{ "unprivileged", no_argument, NULL, OPT_UNPRIVILEGED },
		{ "skip-badvars", no_argument, NULL, OPT_SKIP_BADVARS },
		{ "remote", required_argument, NULL, OPT_REMOTE },
		{ "modinfo", required_argument, NULL, OPT_MODINFO },
		{ "kelf", no_argument, NULL, OPT_KELF },
		{ "kmap", optional_argument, NULL, OPT_KELF },
		{ "runtime", required_argument, NULL, OPT_RUNTIME },
		{ "dyninst", no_argument, NULL, OPT_DYNINST },
		{ "use-server", optional_argument, NULL, OPT_USE_SERVER },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->pass = 5;
	/* "-" first: no reordering by $POSIXLY_CORRECT; non-options come
	   back as 1, in order, as stap's getopt permutation has them */
	while ((c = getopt_long(argc, argv,
				"-e:c:x:p:l:L:I:D:G:T:o:vwWghVutqkbs:m:Pd:R:r:a:B:FS:E:",
				longopts, NULL)) != -1) {
		switch (c) {
		case 1:
			push_word(&o->args, &o->nargs, optarg);
			break;
		case 'e':
			if (o->script_text)
				die_usage("%s", "only one script can be given with -e");
			o->script_text = optarg;
			break;
		case 'c':
			o->cmd = optarg;
			break;
		case 'x':
			o->pid = (pid_t)parse_num(optarg, "-x: '%s' is not a process id");
			if (o->pid <= 0)
				die_usage("-x: '%s' is not a process id", optarg);
			break;
		case 'p':
			o->pass = (int)parse_num(optarg, "-p: '%s' is not a number");
			if (o->pass < 1 || o->pass > 5)
				die_usage("%s", "invalid pass number (should be 1-5)");
			break;
		case 'l':
		case 'L':
			o->list = optarg;
			o->list_vars = c == 'L';
			break;
		case 'I':
			push_word(&o->incdirs, &o->nincdirs, optarg);
			break;
		case 'D':
			set_limit(o, optarg);
			break;
		case 'G':
			push_word(&o->globals, &o->nglobals, optarg);
			break;
		case 'T':
			o->timeout_ms = (int64_t)(strtod(optarg, NULL) * 1000);
			if (o->timeout_ms <= 0)
				die_usage("-T: '%s' is not a positive number of seconds",
					  optarg);
			break;
		case 'o':
			o->outfile = optarg;
			break;
		case 'v':
			o->verbose++;
			break;
		case OPT_VP: {
			/* per-pass verbosity: pytap has one level, the
			   highest asked for */
			const char *q;

			for (q = optarg; *q; q++) {
				if (!isdigit((unsigned char)*q) || q - optarg >= 5)
					die_usage("--vp '%s': give up to 5 digits, one per pass",
						  optarg);
				if (*q - '0' > o->verbose)
					o->verbose = *q - '0';
			}
			break;
		}
		case OPT_SUPPRESS_TIME_LIMITS:
			/* stap: no MAXACTION, no overload check (pytap has
			   none: a handler runs between two stops anyway) */
			o->lim.maxaction = INT64_MAX / 2;
			o->lim.maxaction_interruptible = INT64_MAX / 2;
			break;
		case 's':
			if (parse_num(optarg, "-s: '%s' is not a number of megabytes") <= 0)
				die_usage("-s: '%s' is not a number of megabytes", optarg);
			stap_only(o, c);
			break;
		case OPT_CLEAN_CACHE:
			/* stap cleans its cache and exits */
			exit(0);
		case OPT_RUNTIME:
			if (strcmp(optarg, "dyninst") &&
			    strcmp(optarg, "kernel") && strcmp(optarg, "bpf"))
				die_usage("--runtime '%s': kernel, dyninst or bpf", optarg);
			stap_only(o, c);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("pytap %s (SystemTap script language for user-space SDT probes)\n",
			       PACKAGE_VERSION);
			exit(0);
		case OPT_AGENT:
			o->agent_mode = AGENT_MODE_ON;
			break;
		case OPT_NO_AGENT:
			o->agent_mode = AGENT_MODE_OFF;
			break;
		default:
			if (flag_opt(o, c) || stap_only(o, c))
				break;
			fprintf(stderr, "Try 'pytap --help' for more information.\n");
			exit(PYTAP_EXIT_USAGE);
		}
	}
	/* after "--": all the rest are words */
	while (optind < argc) {
		push_word(&o->args, &o->nargs, argv[optind++]);
	}
	if (o->cmd && o->pid)
		die_usage("%s", "you can't give -c and -x together");
	if (!o->script_text && !o->list) {
		if (o->nargs == 0)
			die_usage("%s", "no script: give a FILE, - (stdin) or -e SCRIPT");
		o->script_file = o->args[0];
		memmove(o->args, o->args + 1,
			(size_t)(o->nargs - 1) * sizeof(char *));
		o->nargs--;
	}
	if (o->verbose) {
		int i;

		for (i = 0; i < o->nnotes; i++)
			fprintf(stderr, "pytap: %s\n", o->notes[i]);
	}
}

static int do_list(struct options *o, struct ast_arena *a,
		   struct parse_opts *po, struct diag *d,
		   struct target_set *ts)
{
	struct source *src = ast_alloc(a, sizeof(*src));
	struct script lib;
	struct probe_point *pp;
	struct resolve_opts ro;
	struct strbuf out = STRBUF_INIT;
	int n;

	memset(&lib, 0, sizeof(lib));
	src->name = "<command line>";
	src->text = o->list;
	src->len = strlen(o->list);
	pp = parse_probe_point(a, src, d);
	if (!pp)
		return PYTAP_EXIT_COMPILE;
	if (tapset_load_macros(a, o->incdirs, o->nincdirs, po, d, o->verbose) ||
	    tapset_load(a, o->incdirs, o->nincdirs, po, &lib, d, o->verbose))
		return PYTAP_EXIT_COMPILE;
	memset(&ro, 0, sizeof(ro));
	ro.ts = ts;
	ro.have_target = ts->ntarget > 0;
	ro.verbose = o->verbose;
	n = resolve_list(a, &lib, pp, &ro, o->list_vars, &out, d);
	fwrite(out.buf ? out.buf : "", 1, out.len, stdout);
	sb_free(&out);
	return n > 0 ? 0 : 1;
}

/* What -p1, -p2 and -p3 print: SB on stdout; SB is freed.  Exit status 0. */
static int print_pass(struct strbuf *sb)
{
	fwrite(sb->buf ? sb->buf : "", 1, sb->len, stdout);
	sb_free(sb);
	return 0;
}

/* The source named NAME among those P was compiled from: the script, or
 * a tapset a handler's statements or a function came from. */
static const struct source *source_named(const struct compiled *c,
					 const struct source *user,
					 const char *name)
{
	if (name == NULL)
		return NULL;
	if (!strcmp(user->name, name))
		return user;
	for (const struct rhandler *h = c->r.handlers; h; h = h->next)
		for (int k = 0; h->body && k < h->body->nbody; k++) {
			const struct source *s = h->body->body[k]->loc.src;

			if (s && s->name && !strcmp(s->name, name))
				return s;
		}
	for (int k = 0; k < c->r.nfunctions; k++) {
		const struct source *s = c->r.functions[k]->loc.src;

		if (s && s->name && !strcmp(s->name, name))
			return s;
	}
	return NULL;
}

/* --agent: a python.function probe the agent cannot serve is the script's
 * error, reported where the handler needs the stopped thread (while the
 * source text is still here).  Returns the number of such probes. */
static int agent_refusals(const struct bc_program *p,
			  const struct compiled *c, const struct source *user,
			  struct diag *d)
{
	int n = 0;

	for (size_t i = 0; i < p->nprobes; i++) {
		uint32_t pc = 0;
		const char *why = session_agent_refuses(p, i, &pc);
		const struct bc_loc *l;
		struct loc at = { 0 };

		if (why == NULL)
			continue;
		l = bc_loc_at(p, pc);
		if (l)
			diag_locate(&at, source_named(c, user, l->file),
				    l->line, l->col, l->near);
		diag_error(d, at.src ? &at : NULL,
			   "%s needs the thread stopped at the event, which the in-process agent does not give (%s): run without --agent to serve it with breakpoints",
			   why, p->probes[i].pn ? p->probes[i].pn
						: p->probes[i].pp);
		n++;
	}
	return n;
}

int main(int argc, char **argv)
{
	struct options o;
	struct ast_arena *a;
	struct diag d;
	struct compile_opts co;
	struct compiled c;
	struct source *src;
	struct target_set ts;
	struct bc_program *prog;
	char **cmdv = NULL;
	struct strbuf dump = STRBUF_INIT;	/* what -p1..-p3 print */
	int rc, failed;

	parse_args(argc, argv, &o);
	a = ast_arena_new();
	diag_init(&d, stderr);
	d.no_warnings = o.no_warn;
	d.werror = o.werror;
	memset(&co, 0, sizeof(co));
	co.po.argv = o.args;
	co.po.argc = o.nargs;
	co.po.guru = o.guru;
	co.incdirs = o.incdirs;
	co.nincdirs = o.nincdirs;
	co.verbose = o.verbose;
	co.ro.ts = &ts;
	co.ro.have_target = o.cmd || o.pid;
	co.ro.verbose = o.verbose;
	co.ro.no_agent = o.agent_mode == AGENT_MODE_OFF;
	co.lim = o.lim;
	co.last_pass = o.pass >= 1 && o.pass <= 2 ? o.pass : 3;
	memset(&ts, 0, sizeof(ts));

	if (o.pass >= 2 || o.list) {
		rc = collect_targets(&o, &ts, &cmdv);
		if (rc)
			goto done;
	}
	if (o.list) {
		rc = do_list(&o, a, &co.po, &d, &ts);
		diag_summary(&d);
		goto done;
	}

	src = ast_alloc(a, sizeof(*src));
	src->file_id = 1;
	if (o.script_text) {
		src->name = "<input>";
		src->text = o.script_text;
		src->len = strlen(o.script_text);
	} else {
		size_t len = 0;
		char *text = read_file(o.script_file, &len);

		if (!text) {
			fprintf(stderr, "pytap: cannot read '%s': %s\n",
				o.script_file, strerror(errno));
			rc = PYTAP_EXIT_USAGE;
			goto done;
		}
		src->name = strcmp(o.script_file, "-") ? o.script_file : "<stdin>";
		src->text = ast_strndup(a, text, len);
		src->len = len;
		free(text);
		if (len == 0) {
			fprintf(stderr, "pytap: input file '%s' is empty\n",
				src->name);
			rc = PYTAP_EXIT_COMPILE;
			goto done;
		}
	}
	failed = compile_script(a, src, &co, &c, &d);
	if (failed == 2 && c.r.no_probes) {
		/* not the script's fault: one line, as runtime problems are
		   reported */
		fprintf(stderr, "pytap: %s\n",
			prexec_note[0] ? prexec_note : c.r.no_probes);
		rc = PYTAP_EXIT_TRACE;
		goto done;
	}
	if (failed) {
		diag_summary(&d);
		rc = PYTAP_EXIT_COMPILE;
		goto done;
	}
	if (o.pass == 1 || o.pass == 2) {
		if (o.pass == 1)
			ast_dump_script(&dump, &c.user);
		else
			resolve_dump(&dump, &c.r);
		rc = print_pass(&dump);
		goto done;
	}
	prog = c.prog;
	if (o.pass == 4) {
		/* load the bytecode as a run would, which verifies it: code
		   the generator emits must pass the VM's verifier */
		char err[512];
		struct vm *vm = vm_new(prog, NULL, stdout, err, sizeof(err));

		if (!vm) {
			fprintf(stderr, "pytap: %s\n", err);
			rc = PYTAP_EXIT_COMPILE;
		} else {
			vm_free(vm);
			rc = 0;
		}
		bc_program_free(prog);
		goto done;
	}
	if (o.pass == 3) {
		bc_disassemble(&dump, prog);
		bc_program_free(prog);
		rc = print_pass(&dump);
		goto done;
	}
	if (o.agent_mode == AGENT_MODE_ON && agent_refusals(prog, &c, src, &d)) {
		diag_summary(&d);
		bc_program_free(prog);
		rc = PYTAP_EXIT_COMPILE;
		goto done;
	}
	{
		struct session_opts so;
		FILE *out = stdout;

		if (o.outfile) {
			out = fopen(o.outfile, "w");
			if (!out) {
				fprintf(stderr, "pytap: -o %s: %s\n", o.outfile,
					strerror(errno));
				bc_program_free(prog);
				rc = PYTAP_EXIT_USAGE;
				goto done;
			}
		}
		memset(&so, 0, sizeof(so));
		so.cmd = cmdv;
		so.pid = o.pid;
		so.verbose = o.verbose;
		so.follow_forks = !o.no_follow;
		so.agent_mode = o.agent_mode;
		so.pin_cpu = !o.no_pin;
		so.timeout_ms = o.timeout_ms;
		so.out = out;
		so.globals = o.globals;
		so.timing = o.timing;
		so.suppress_errors = o.suppress_errors;
		so.launched = ts.launched;
		ts.launched = NULL;
		/* the program no longer needs the tree or the target files */
		target_set_free(&ts);
		ast_arena_free(a);
		a = NULL;
		rc = session_run(prog, &so);
		free(so.launched);
		if (out != stdout)
			fclose(out);
		bc_program_free(prog);
	}
done:
	if (cmdv) {
		char **p;

		for (p = cmdv; *p; p++)
			free(*p);
		free(cmdv);
	}
	target_set_free(&ts);
	if (a)
		ast_arena_free(a);
	free_all(o.incdirs, o.globals, o.args, o.notes);
	return rc;
}
