/*
 * vm_int.h - the VM's internals, shared by the files of vm/: load.c (the
 * loader and verifier: vm_new, vm_free), vm.c (the dispatch loop),
 * vm_str.c (the string arena, output) and builtins_*.c (the built-in
 * functions); python/pybuiltins.c implements its built-ins against it
 * too.  Nothing else includes it.
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

#define VM_OUT_FLUSH_AT	(64 * 1024)	/* flush the output past this */
#define VM_ARENA_CHUNK	(64 * 1024)	/* a block of the string arena */
#define VM_ALIGN8(n)	(((n) + 7) & ~(size_t)7)

#define vm_likely(x)	__builtin_expect(!!(x), 1)
#define vm_unlikely(x)	__builtin_expect(!!(x), 0)

/* A block of the string arena. */
struct vm_chunk {
	struct vm_chunk *next;
	size_t cap;
	char mem[];
};

/* A foreach in progress. */
struct vm_iter {
	bool active;
	bool hist;		/* over histogram buckets */
	bool has_limit;
	int global;
	int agg;		/* statistics: FEVALUE's @-operator */
	int64_t limit, count;
	struct map_snap snap;
	struct map_entry *cur;
	struct stat_agg hagg;	/* histogram: a copy taken at FEBEGIN */
	bool hagg_init;
	int64_t bucket, nbuckets;
};

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

/* ---- the loader (load.c) ---- */

/* Per built-in (BI_ id): its result type, 'V' for none (builtin_list.h). */
extern const char vm_bi_ret[BI__COUNT];

/* The number of key slots an array op pops for global G (MASK: wildcard
 * columns, which are not on the stack). */
static inline int vm_key_slots(const struct bc_global *g, uint32_t mask)
{
	uint32_t all = g->nkeys >= 32 ? 0xffffffffu : (1u << g->nkeys) - 1;

	return g->nkeys - __builtin_popcount(mask & all);
}

/* ---- the string arena (vm_str.c) ---- */

/* The first block (vm_new): 0, or -1 when out of memory; free them all
 * (vm_free). */
int vm_arena_init(struct vm *vm);
void vm_arena_free(struct vm *vm);

/* Back to an empty arena, keeping the blocks (the end of vm_run). */
static inline void vm_arena_reset(struct vm *vm)
{
	vm->arena_cur = vm->arena_head;
	vm->arena_ptr = vm->arena_head->mem;
	vm->arena_end = vm->arena_head->mem + vm->arena_head->cap;
}

/* Make room for N bytes at arena_ptr (a new or a kept block). */
void vm_arena_grow(struct vm *vm, size_t n);

/* A new arena string of LEN bytes, data[LEN] = NUL, the rest for the
 * caller to fill: the dispatch loop's allocator (CONCAT). */
static inline struct vstr *vm_arena_str(struct vm *vm, size_t len)
{
	size_t need = VM_ALIGN8(sizeof(struct vstr) + len + 1);
	struct vstr *s;

	if (vm_unlikely((size_t)(vm->arena_end - vm->arena_ptr) < need))
		vm_arena_grow(vm, need);
	s = (struct vstr *)vm->arena_ptr;
	vm->arena_ptr += need;
	s->len = (uint32_t)len;
	s->data[len] = '\0';
	return s;
}

/* ---- services for the built-ins ---- */

/* Raise a runtime error (message as SystemTap words it): vm.c. */
void vm_raise(struct vm *vm, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Strings and output (vm_str.c).  A new arena string holding N bytes of S
 * (cut at maxlen and at a NUL). */
const struct vstr *vm_str_new(struct vm *vm, const char *s, size_t n);
/* Build a string in place: vm_str_begin returns room for maxlen+1 bytes;
 * vm_str_end(vm, n) makes the first n of them (cut at maxlen) a string. */
char *vm_str_begin(struct vm *vm);
const struct vstr *vm_str_end(struct vm *vm, size_t n);
/* A new arena string printed by FMT (cut at maxlen). */
const struct vstr *vm_str_printf(struct vm *vm, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The empty string. */
extern const struct vstr vm_empty_str;

/* Append to the buffered output. */
void vm_out(struct vm *vm, const char *s, size_t n);
/* Flush stdout's buffer, then print "WARNING: MSG" on stderr. */
void vm_warn(struct vm *vm, const char *msg);

/* The tgid/tid of the current event, or pytap's own for begin/end/timer
 * (builtins_proc.c). */
pid_t vm_cur_pid(const struct vm *vm);
pid_t vm_cur_tid(const struct vm *vm);

/* SystemTap's _stp_text_str over an in-memory string: escape into OUT
 * (room for maxlen+1 bytes); returns the length written
 * (builtins_str.c). */
size_t vm_text_str(const struct vm *vm, char *out, const char *in,
		   int64_t inlen, int64_t outlen, bool quoted);

/* Built-in state, set up and torn down by vm_new/vm_free
 * (builtins_proc.c). */
void vm_builtins_init(struct vm *vm);
void vm_builtins_free(struct vm *vm);

/* The process-info cache entry of TID (filled on demand). */
struct vm_pinfo *vm_pinfo_get(struct vm *vm, pid_t pid, pid_t tid,
			      bool status);

#endif
