/*
 * bytecode.h - a compiled pytap program: the only thing compiler/ hands to
 * vm/.  The compiler fills it (codegen.c), the VM loads and runs it
 * (vm/load.c, vm/vm.c; session.c drives it), bytecode.c frees and
 * disassembles it (-p3).
 *
 * Everything is plain data (no pointers into the AST), so a program could
 * be serialized; strings are owned by the program (bc_program_free).
 */
#ifndef PYTAP_BYTECODE_H
#define PYTAP_BYTECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "opcodes.h"

struct strbuf;

/* Value types, shared by compiler and runtime. */
enum bc_type { BT_NONE = 0, BT_LONG = 1, BT_STRING = 2, BT_STATS = 3 };

struct bc_insn {
	uint8_t op;		/* enum bc_op */
	uint8_t x;		/* small operand: counts, flags */
	uint16_t a;		/* local, global, function, builtin, ... */
	int32_t b;		/* constant index, jump offset, immediate */
};

/* A source position for runtime errors: "near identifier 'x' at F:L:C". */
struct bc_loc {
	const char *near;	/* "identifier 'x'", "operator '/'",
				   "keyword 'while'", ... */
	const char *file;
	int line, col;
};

/* pc -> location (sorted by pc; an instruction uses the last entry whose
   pc is <= its own). */
struct bc_line {
	uint32_t pc;
	uint32_t loc;		/* index into locs */
};

enum bc_hist { BH_NONE = 0, BH_LOG, BH_LINEAR };

struct bc_global {
	char *name;
	enum bc_type type;	/* value type */
	int nkeys;		/* 0 = scalar */
	enum bc_type keytypes[9];
	int64_t maxsize;	/* 0 = MAXMAPENTRIES */
	bool wrap;		/* `%` */
	bool has_init;
	int64_t init_long;	/* scalar initializer */
	char *init_str;
	bool autoprint;		/* written, never read: print at exit */
	enum bc_hist hist;	/* histogram kept for a stats global */
	int64_t hist_lo, hist_hi, hist_step;	/* BH_LINEAR */
	int64_t var_shift;	/* stats: N of @variance(x, N) (a literal,
				   the same at every use), else 0 */
	uint32_t loc;		/* declaration, for overflow errors */
};

enum bc_sort_by { BS_NONE = 0, BS_KEY, BS_VALUE };

/* One foreach's snapshot order. */
struct bc_sort {
	enum bc_sort_by by;
	int key;		/* BS_KEY: 0-based key column */
	int dir;		/* +1 ascending, -1 descending */
	int agg;		/* stats: 0 count 1 sum 2 min 3 max 4 avg
				   5 variance (as STATOP's b) */
	uint32_t fixed;		/* foreach over a slice a[*, k]: bit i set =
				   key column i is fixed (NB: the opposite of
				   AEXISTS/ADEL's wildcard mask); the fixed
				   values are pushed, first column first,
				   before the limit.  0 = the whole array */
	bool hist;		/* iterate the buckets of the histogram of
				   stats global b (FEBEGIN): the element's
				   keys are pushed before the limit, FENEXT
				   pushes the bucket index, FEVALUE its
				   count */
};

struct bc_function {
	char *name;
	int nparams;
	enum bc_type params[32];
	enum bc_type ret;	/* BT_NONE: returns 0 (void functions) */
	int nlocals;		/* slots, params first */
	int niters;		/* foreach iterator slots */
	uint32_t entry;		/* pc of the first instruction */
	uint32_t size;		/* number of instructions */
	int nactions;		/* static statement count (informational) */
};

enum bc_probe_kind {
	BP_BEGIN,
	BP_END,
	BP_ERROR,
	BP_TIMER,		/* period_ns, randomize_ns */
	BP_SDT,			/* sdt_path / provider / name */
	BP_NEVER,
	/* process lifecycle: sdt_path = the executable (NULL = any traced
	   process), sdt_pid = only that process (0 = any) */
	BP_PROC_BEGIN,		/* process[(..)].begin */
	BP_PROC_END,		/* process[(..)].end */
	BP_THREAD_BEGIN,	/* process[(..)].thread.begin */
	BP_THREAD_END,		/* process[(..)].thread.end */
	/* sampling (pytap extension): every period_ns, the traced threads
	   on a CPU or runnable (BP_SAMPLE: sample.hz(N)), or all of them
	   (BP_SAMPLE_ALL: sample.hz(N).all), are stopped and the handler
	   runs once per such thread */
	BP_SAMPLE,
	BP_SAMPLE_ALL,
};

/* One probe point the runtime arms, bound to a handler function. */
struct bc_probe {
	enum bc_probe_kind kind;
	int64_t priority;	/* begin(N)/end(N)/error(N) order */
	int64_t period_ns;	/* BP_TIMER */
	int64_t randomize_ns;	/* BP_TIMER .randomize(M) */
	char *sdt_path;		/* BP_SDT: resolved absolute path of the
				   binary or library; NULL = the target's
				   objects (bare process.mark) */
	char *sdt_provider;	/* glob (NULL = any) */
	char *sdt_name;		/* glob */
	int64_t sdt_pid;	/* process(PID).mark: only this pid; 0 any */
	int sdt_nargs;		/* arity the handler was checked against,
				   -1 = unknown (no file at compile time) */
	bool optional;		/* `?`: no sites is fine */
	bool agent_only;	/* only the in-process agent can serve it
				   (python function marks of a Python
				   without markers) */
	bool values;		/* a python function mark whose handler
				   reads $$parms/$$return: the agent serves
				   it, with PYTAP_OPT_VALUES */
	bool want_agent;	/* ... reads unwound: the agent serves it */
	char *pp;		/* the probe point as written/expanded, for
				   pp() and messages */
	char *pn;		/* pn(): the probe point as the script names
				   it (alias name, wildcards expanded);
				   NULL = same as pp */
	char *loc;		/* FILE:LINE:COL of the probe point in the
				   script (-t report), or NULL */
	int handler;		/* function index (a handler is a function
				   with no parameters) */
	int64_t cond_global;	/* unused for now: -1 */
};

struct bc_program {
	struct bc_insn *code;
	size_t ncode;
	int64_t *lconst;
	size_t nlconst;
	char **sconst;		/* NUL-terminated, and lengths: */
	uint32_t *sconst_len;
	size_t nsconst;
	char **formats;		/* printf formats (SystemTap syntax) */
	uint32_t *format_len;
	size_t nformats;
	char **regexes;		/* POSIX ERE patterns */
	size_t nregexes;
	struct bc_sort *sorts;
	size_t nsorts;
	struct bc_global *globals;
	size_t nglobals;
	struct bc_function *functions;
	size_t nfunctions;
	struct bc_probe *probes;
	size_t nprobes;
	struct bc_loc *locs;
	size_t nlocs;
	struct bc_line *lines;
	size_t nlines;

	/* limits in force (-D NAME=VAL), SystemTap's defaults */
	int64_t maxaction;	/* 1000 */
	int64_t maxaction_interruptible;	/* 10000 (begin/end/error) */
	int64_t maxmapentries;	/* 2048 */
	int64_t maxstringlen;	/* 512 */
	int64_t maxnesting;	/* 10 */
	int64_t maxerrors;	/* 0 */
	int64_t maxskipped;	/* 100 */
	int64_t hist_elision;	/* 2 */
	char *python311_path;	/* that Python, for -v, or NULL */
	bool python311_line_sema;	/* raise python:line's semaphore with
					   function__entry (design.md §3) */
};

/* Free P and everything it owns; P itself must come from malloc (NULL is
 * fine). */
void bc_program_free(struct bc_program *p);

/* -p3: a readable listing of the whole program. */
void bc_disassemble(struct strbuf *out, const struct bc_program *p);

/* Name of an opcode ("PUSHL"), for the disassembler and tests. */
const char *bc_op_name(int op);

/* The location of the instruction at PC, or NULL. */
const struct bc_loc *bc_loc_at(const struct bc_program *p, uint32_t pc);

/*
 * Does the handler of probe I (with the functions it calls) need the
 * thread stopped at the event, which only a breakpoint gives?  It does
 * when it reads target memory other than through the mark's string
 * arguments (user_*() of anything but $arg1/$arg2/$arg4..6 directly,
 * pyrepr(), pyglobal()), reads every thread (pystacks()), uses an address
 * argument as a number, or reads $$vars / $$locals (frame or argument
 * addresses).  pystack() does not: the agent keeps shadow stacks.
 * Returns what needs it ("pystacks()", "$$vars", "$arg1 used as a
 * number") and its pc in *AT, or NULL.
 */
const char *bc_probe_needs_stop(const struct bc_program *p, size_t i,
				uint32_t *at);

/* Set USED[g] (p->nglobals entries) for every global the handler of
 * probe I, or a function it calls, reads or writes. */
void bc_probe_globals(const struct bc_program *p, size_t i,
		      unsigned char *used);

#endif
