/*
 * vm_int.h - the VM's internals, shared by vm.c (the interpreter) and
 * builtins.c (the built-in functions).  Nothing outside runtime/vm.c,
 * runtime/builtins.c and their unit test includes this.
 *
 * Strings: every string a handler produces lives in the per-run arena
 * (vm_str_*), is at most maxstringlen-1 bytes long and holds no NUL byte
 * before data[len]; the arena is reset when vm_run returns.  Built-ins
 * report runtime errors with vm_raise() (the interpreter checks after each
 * call) and return normally.
 */
#ifndef PYTAP_VM_INT_H
#define PYTAP_VM_INT_H

#include <regex.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "builtin_list.h"
#include "format.h"
#include "map.h"
#include "stats.h"
#include "strbuf.h"
#include "vm.h"

/* One built-in: ARGS[0..n) as declared in builtin_list.h, result in RET
 * (untouched for 'V' built-ins): vm_builtin_fn (vm.h). */
#define VM_BI_DECL(id, name_, ret_, args_) \
	void bi_##id(struct vm *vm, const union vm_val *args, union vm_val *ret);
BC_BUILTINS_VM(VM_BI_DECL)
BC_BUILTINS_VM2(VM_BI_DECL)
#undef VM_BI_DECL

/* A block of the string arena. */
struct vm_chunk {
	struct vm_chunk *next;
	size_t cap;
	char mem[];
};

struct vm_iter;			/* a foreach in progress (vm.c) */

/* A function activation. */
struct vm_frame {
	uint32_t fn;		/* function index */
	uint32_t ret_pc;	/* where RET continues (caller) */
	uint32_t call_pc;	/* the caller's CALL, for "called from" */
	union vm_val *locals;	/* nlocals slots */
	struct vm_iter *iters;	/* niters slots */
	union vm_val *sp;	/* caller's stack top after the arguments */
};

/* An active try block. */
struct vm_try {
	uint32_t try_pc;	/* the TRY: its body is (try_pc, catch_pc) */
	uint32_t catch_pc;
	int frame;		/* frame depth of the TRY */
	union vm_val *sp;	/* stack depth at the TRY */
};

/* Cached facts about one thread of a traced process. */
struct vm_pinfo {
	pid_t tid;		/* 0 = empty slot */
	pid_t pid;
	bool have_comm, have_status;
	char comm[32];
	int64_t ppid, uid, euid, gid, egid;
};
#define VM_PINFO_SLOTS 256

/* thread_indent()/indent() state of one thread (or of indent(): -1). */
struct vm_indent {
	int64_t idx;		/* tid, or -1 */
	int64_t counter;
	int64_t timestamp;
	bool used;
};

/* Per-function facts computed by the loader. */
struct vm_fninfo {
	int maxstack;		/* deepest operand stack in this function */
	bool interruptible;	/* handler of begin/end/error */
};

struct vm {
	const struct bc_program *p;
	struct vm_host host;
	vm_builtin_fn bi[BI__COUNT];	/* own ones, then host.ext's */
	FILE *out;
	struct strbuf obuf;	/* buffered output */
	struct strbuf scratch;	/* sprintf and friends */
	size_t maxlen;		/* maxstringlen - 1: longest string */

	/* constants, prepared at load time */
	const struct vstr **sconst;
	void *sconst_mem;
	struct fmt *fmts;
	regex_t *regexes;
	size_t nregex_ok;
	struct vm_fninfo *fninfo;

	/* globals: one slot each; strings point at gstr storage */
	union vm_val *gval;
	struct vstr **gstr;	/* owned buffers of maxlen+1 bytes */
	struct map **gmap;	/* arrays */
	struct stat_agg *gstat;	/* scalar statistics */
	struct stat_agg *gempty;	/* an empty aggregate per stats global
					   (array elements that do not exist) */
	struct stat_cfg *gcfg;	/* per stats global */

	/* run-time stacks */
	union vm_val *stack, *stack_end;
	struct vm_frame *frames;
	int nframes_max;
	union vm_val *lstack, *lstack_end;	/* locals of all frames */
	struct vm_iter *istack, *istack_end;	/* iterators */
	struct vm_try *tries;
	int ntries_max;

	/* string arena */
	struct vm_chunk *arena_head, *arena_cur;
	char *arena_ptr, *arena_end;

	/* the event being handled */
	const struct vm_event *ev;
	const struct bc_probe *probe;
	int64_t actremaining;
	const struct vstr *catchmsg;

	/* error state */
	bool suppress_errors;	/* --suppress-handler-errors */
	bool err_pending;	/* set by vm_raise */
	bool err_uncatchable;	/* MAXACTION, abort() */
	bool aborting;		/* abort(): end the handler silently */
	char *errmsg;		/* maxstringlen bytes */
	int errors;
	int skipped;
	uint64_t fault_addr;	/* last target address read */
	bool exit_req;
	bool aborted;

	/* regex match state (matched(), ngroups()) */
	bool match_ok;
	int match_ngroups;
	regmatch_t match[10];
	char *match_str;	/* copy of the subject, maxstringlen bytes */

	/* built-in state */
	char *tok_str;		/* tokenize(): maxstringlen bytes */
	char *tok_start, *tok_end;
	struct vm_indent *indents;
	size_t nindents, capindents;
	struct vm_pinfo pinfo[VM_PINFO_SLOTS];
	uint64_t rng;
	int64_t tz_gmtoff;	/* seconds west of UTC, at load time */
	char tz_name[16];
	char *filebuf;		/* /proc reads */
	size_t filebuf_cap;
	struct vm_py *py;	/* CPython readers (python/pybuiltins.c) */
};

/* ---- services of vm.c for the built-ins ---- */

/* Raise a runtime error (message as SystemTap words it). */
void vm_raise(struct vm *vm, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A new arena string holding N bytes of S (cut at maxlen and at a NUL). */
const struct vstr *vm_str_new(struct vm *vm, const char *s, size_t n);
/* Build a string in place: vm_str_begin returns room for maxlen+1 bytes;
 * vm_str_end(vm, n) makes the first n of them (cut at maxlen) a string. */
char *vm_str_begin(struct vm *vm);
const struct vstr *vm_str_end(struct vm *vm, size_t n);
/* The empty string. */
extern const struct vstr vm_empty_str;

/* Append to the buffered output. */
void vm_out(struct vm *vm, const char *s, size_t n);
/* Flush stdout's buffer, then print "WARNING: MSG" on stderr. */
void vm_warn(struct vm *vm, const char *msg);

/* The tgid/tid of the current event, or pytap's own for begin/end/timer. */
pid_t vm_cur_pid(const struct vm *vm);
pid_t vm_cur_tid(const struct vm *vm);

/* SystemTap's _stp_text_str over an in-memory string: escape into OUT
 * (room for maxlen+1 bytes); returns the length written. */
size_t vm_text_str(const struct vm *vm, char *out, const char *in,
		   int64_t inlen, int64_t outlen, bool quoted);

/* Built-in state, set up and torn down by vm_new/vm_free. */
void vm_builtins_init(struct vm *vm);
void vm_builtins_free(struct vm *vm);

/* The process-info cache entry of TID (filled on demand). */
struct vm_pinfo *vm_pinfo_get(struct vm *vm, pid_t pid, pid_t tid,
			      bool status);

#endif
