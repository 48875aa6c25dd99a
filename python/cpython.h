/*
 * cpython.h - reading CPython's own data structures out of a traced
 * process, without debug information: the runtime state (_PyRuntime),
 * interpreters, thread states, frames, code objects (qualified name, file,
 * current line from the line table) and, in pyrepr.c, a bounded repr() of
 * objects.
 *
 * Everything version-specific is data: one struct py_layout per CPython
 * minor version (pyversions.c), with offsets derived from that version's
 * headers.  A process whose version has no table is refused with a message
 * that says so.
 *
 * Memory is only read, never written, and only through struct py_mem (the
 * session's process_vm_readv): a bad pointer is an error message, never a
 * crash of pytap or of the target.  Every walk is bounded (PY_MAX_FRAMES,
 * PY_MAX_THREADS, sizes), so garbage memory cannot loop forever.  Nothing
 * read is cached across calls except what cannot change while the process
 * lives: where _PyRuntime is, the version, the addresses of the built-in
 * type objects; and, while every thread of the process stays stopped (one
 * sample tick: py_stack's EPOCH), the list of its thread states.  (A cache
 * of code objects by address would be wrong after a code object is freed
 * and another one takes its place.)
 *
 * The files: pyversions.c (the layouts, py_proc_find), frames.c (py_ctx,
 * py_stack, py_threads), linetable.c (py_linetable_line), objects.c
 * (reading memory, str, int, dict, attributes), pyrepr.c (py_repr).
 * None of them knows the VM: pybuiltins.c makes VM built-ins of them.
 */
#ifndef PYTAP_CPYTHON_H
#define PYTAP_CPYTHON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "strbuf.h"

#define PY_MAX_FRAMES 4096	/* deepest stack walked */
#define PY_MAX_THREADS 1024	/* thread states per interpreter */
#define PY_MAX_INTERPS 64

/* One range of target memory to read. */
struct py_iov {
	uint64_t addr;
	void *buf;
	size_t len;
	bool ok;		/* set by the reader: all LEN bytes read */
};

/* How to read the target: READV reads as many of the N ranges as it can
 * (in one process_vm_readv where possible) and sets each one's ok. */
struct py_mem {
	void *ud;
	pid_t pid;
	void (*readv)(void *ud, pid_t pid, struct py_iov *v, size_t n);
};

/* Objects whose addresses identify built-in types (exported symbols). */
enum py_sym {
	PYS_RUNTIME,		/* _PyRuntime */
	PYS_VERSION,		/* Py_Version (3.11+) */
	PYS_CODE_TYPE,
	PYS_STR_TYPE,
	PYS_BYTES_TYPE,
	PYS_INT_TYPE,
	PYS_FLOAT_TYPE,
	PYS_BOOL_TYPE,
	PYS_TUPLE_TYPE,
	PYS_LIST_TYPE,
	PYS_DICT_TYPE,
	PYS_MODULE_TYPE,
	PYS_SET_TYPE,
	PYS_FROZENSET_TYPE,
	PYS_BYTEARRAY_TYPE,
	PYS_COMPLEX_TYPE,
	PYS_RANGE_TYPE,
	PYS_TYPE_TYPE,
	PYS_FUNCTION_TYPE,
	PYS_NONE,		/* _Py_NoneStruct */
	PYS_TRUE,		/* _Py_TrueStruct */
	PYS_FALSE,		/* _Py_FalseStruct */
	PYS_ELLIPSIS,		/* _Py_EllipsisObject */
	PYS__COUNT
};

struct py_layout;

/* What pytap learned about the interpreter in one process. */
struct py_proc {
	pid_t pid;
	const struct py_layout *L;
	unsigned long hexversion;	/* PY_VERSION_HEX */
	uint64_t sym[PYS__COUNT];	/* run-time addresses, 0 = absent */
	char object[4096];	/* the file holding _PyRuntime */
};

/*
 * Find CPython in process PID: the executable or a mapped libpython that
 * defines _PyRuntime, its version (Py_Version) and the layout table.
 * Returns 0, or -1 with a one-line reason in ERR ("process 42 is not a
 * CPython interpreter (no _PyRuntime symbol in /usr/bin/perl)", "CPython
 * 3.10 ... has no layout table in pytap (it knows 3.11, 3.12)").
 */
int py_proc_find(struct py_proc *pp, pid_t pid, const struct py_mem *m,
		 char *err, size_t errlen);

/* "3.11.2" */
void py_version_str(const struct py_proc *pp, char *buf, size_t len);

/* One Python frame, as decoded. */
struct py_frame {
	const char *qualname;	/* co_qualname ("?" if unreadable) */
	const char *filename;	/* co_filename */
	int line;		/* current line, or -1 */
};

/* One thread state and its frames, innermost first. */
struct py_thread {
	uint64_t tstate;
	uint64_t thread_id;	/* threading.get_ident() */
	pid_t native_id;	/* the kernel's tid: tid() */
	const char *name;	/* threading's name, or NULL */
	struct py_frame *frames;
	size_t nframes;
	bool truncated;		/* stopped early: unreadable or too deep */
};

/*
 * Reading context: scratch memory reused across calls, so that a read
 * allocates nothing once warm.  The strings and arrays handed out stay
 * valid until the next call with the same context.
 */
struct py_ctx {
	const struct py_mem *m;
	struct py_proc *pp;
	const struct py_layout *L;
	/* the results */
	struct py_thread *threads;
	size_t nthreads, capthreads;
	struct py_frame *frames;
	size_t nframes, capframes;
	struct strbuf text;	/* NUL-separated strings of the results */
	/* scratch of one walk */
	struct py_walk *w;
	/* the thread states of process snap_pid as of world epoch snap_epoch
	   (py_stack), valid while that epoch lasts */
	uint64_t snap_epoch;
	pid_t snap_pid;
	size_t snap_n, snap_cap;
	pid_t *snap_tids;
	uint64_t *snap_addrs;
	char err[256];
};

void py_ctx_init(struct py_ctx *c);
void py_ctx_free(struct py_ctx *c);

/*
 * The stack of the thread whose native id is TID.  Returns 0 and sets
 * *OUT (valid until the next call); 1 when TID has no Python thread state
 * (not a Python thread, or the interpreter is not initialized yet); -1
 * with c->err set when the process cannot be read.  EPOCH: nonzero while
 * every thread of the process stays stopped (a sample tick); the list of
 * thread states is then read once per epoch, not once per call.
 */
int py_stack(struct py_ctx *c, struct py_proc *pp, const struct py_mem *m,
	     pid_t tid, uint64_t epoch, const struct py_thread **out);

/*
 * Every thread of every interpreter, oldest first (the main thread first),
 * with its stack and threading's name where it has one.  Returns 0 and sets
 * *OUT and *N, or -1 with c->err set.
 */
int py_threads(struct py_ctx *c, struct py_proc *pp, const struct py_mem *m,
	       const struct py_thread **out, size_t *n);

/*
 * repr() of the object at ADDR, at most MAX bytes (cut with "..." when
 * longer), into OUT.  Returns 0, or -1 with c->err set when ADDR does not
 * point at a readable object.  (pyrepr.c)
 */
int py_repr(struct py_ctx *c, struct py_proc *pp, const struct py_mem *m,
	    uint64_t addr, struct strbuf *out, size_t max);

/*
 * The address of global NAME of module MODULE of the main interpreter:
 * sys.modules[MODULE].__dict__[NAME], read from memory (exact dicts and
 * str keys only, no code runs).  Returns 0 and sets *ADDR, or -1 with
 * c->err set (no such module or global, or unreadable).  (frames.c)
 */
int py_global(struct py_ctx *c, struct py_proc *pp, const struct py_mem *m,
	      const char *module, const char *name, uint64_t *addr);

/*
 * $$parms of the function running in thread TID (stopped at its
 * function__entry marker): "a=1 b='x'", the parameters in the signature's
 * order (positional, *args, keyword only, **kwargs), each value as
 * py_repr() writes it, read from the frame's local slots (a parameter
 * captured by a closure: its cell's content; an unbound slot: ?).  At
 * most MAX bytes appended to OUT, cut with "...".  Returns 0, or -1 with
 * c->err set.  (frames.c)
 */
int py_frame_args(struct py_ctx *c, struct py_proc *pp, const struct py_mem *m,
		  pid_t tid, struct strbuf *out, size_t max);

/*
 * The location-table decoder (linetable.c): the line of the instruction
 * at byte offset ADDRQ (code units * 2, as f_lasti * 2 or the offset of
 * the instruction pointer from co_code_adaptive) in the 3.11+ location
 * table TAB of LEN bytes (co_linetable's bytes; Objects/locations.md),
 * whose code starts at FIRSTLINENO (co_firstlineno).  -1 when the
 * instruction has no line or TAB is corrupt; ADDRQ < 0 (the code has not
 * started): FIRSTLINENO.  Pure: it reads only TAB, so it serves a table
 * read from the target (frames.c) as well as one handed over by the
 * in-process agent.
 */
int py_linetable_line(const unsigned char *tab, size_t len, int firstlineno,
		      int addrq);

#endif
