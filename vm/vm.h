/*
 * vm.h - the bytecode interpreter: runs one probe handler of a loaded
 * program against one event (a probe hit, a timer tick, begin or end).
 *
 * The VM never talks to ptrace itself: target memory and process facts come
 * through struct vm_host callbacks that the session provides, so the VM can
 * run begin/end-only scripts without any process.
 */
#ifndef PYTAP_VM_H
#define PYTAP_VM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <sys/user.h>

#include "bytecode.h"

struct py_iov;			/* python/cpython.h: a remote range */
struct py_thread;		/* python/cpython.h: one thread's stack */

/* A string value: immutable once made, NUL-terminated at data[len]. */
struct vstr {
	uint32_t len;
	char data[];
};

union vm_val {
	int64_t l;
	const struct vstr *s;
};

struct vm;
struct vm_args;

/*
 * What an event source tells the VM about the event being handled.  The
 * VM assumes nothing about where it came from: a thread stopped on a
 * breakpoint (ptrace/), a record the in-process agent wrote (agent/), a
 * timer, begin or end.
 */
struct vm_event {
	int probe;		/* index into program->probes */
	pid_t pid, tid;		/* 0 for begin/end/timer */
	/* When it happened (CLOCK_MONOTONIC ns), or 0 for "now" (the thread
	 * is stopped while its handler runs, or there is no thread).  The
	 * time built-ins return the event's time. */
	uint64_t time_ns;
	/* $argN, $$name, $$provider, pp()'s site; NULL: none. */
	const struct vm_args *args;
	/* The Python stack of the event's thread as its source knows it
	 * (pystack(), print_pystack()): the in-process agent's shadow stack,
	 * made on demand; NULL: read the stopped thread's frames. */
	const struct py_thread *(*pystack)(const struct vm_event *ev);
	void *pystack_ud;
};

/* The context of a marker-like event, provided by its source. */
struct vm_args {
	int nargs;			/* $arg1..$argN exist */
	const char *name, *provider;	/* $$name, $$provider (or NULL) */
	uint64_t site;			/* pp()'s statement address, 0: none */
	/* $argN (1 <= N <= nargs) into *V: 0, or -1 when it lives in
	 * memory that cannot be read (*FAULT = the address). */
	int (*get)(const struct vm_args *a, int n, int64_t *v,
		   uint64_t *fault);
	/* The values of a Python function event, where the source has them
	 * (the in-process agent): WHAT 0 $$parms ("a=1 b='x'"), 1 the
	 * repr() of $$return's value.  At most CAP bytes into OUT; returns
	 * the length, or -1: none ($$parms is then SDT's "$arg1=0x...").
	 * WHAT 2: 1 when the function was left by an exception, else 0.
	 * NULL: none. */
	long (*values)(const struct vm_args *a, int what, char *out,
		       size_t cap);
};

/* A built-in function (bytecode/builtin_list.h): arguments in ARGS, the
 * result in RET. */
union vm_val;
typedef void (*vm_builtin_fn)(struct vm *vm, const union vm_val *args,
			      union vm_val *ret);

/*
 * Built-ins implemented outside vm/ (python/'s pystack(), pyrepr(), ...:
 * BC_BUILTINS_PY), handed to the VM by whoever links them in.
 */
struct vm_ext {
	const vm_builtin_fn *builtins;	/* indexed by BI_ id, BI__COUNT */
	/* Drop what the extension knows of process PID (it exec'd or
	 * exited); PID 0: of every process, and free it all (vm_free). */
	void (*forget)(struct vm *vm, pid_t pid);
};

/* Services of the session (ptrace reads, process facts). */
struct vm_host {
	void *ud;
	/* 0 on success, -1 if unreadable */
	int (*read_mem)(void *ud, pid_t pid, uint64_t addr, void *buf,
			size_t len);
	/* length, or -1 if the first byte is unreadable; BUF terminated */
	ssize_t (*read_str)(void *ud, pid_t pid, uint64_t addr, char *buf,
			    size_t max);
	pid_t target;		/* target(): -x pid or -c child, else 0 */
	/* Read N ranges at once (one process_vm_readv where possible),
	 * setting each one's ok (cpython.h).  NULL: read_mem per range. */
	void (*read_vec)(void *ud, pid_t pid, struct py_iov *v, size_t n);
	/* pystacks(): stop every traced thread so that memory reads see one
	 * moment, and let them run on after; NULL: cannot stop them. */
	void (*stop_world)(void *ud);
	void (*resume_world)(void *ud);
	/* Nonzero while every traced thread is stopped (pystacks(),
	 * sample probes), different for each such stop: facts read from the
	 * targets (their thread lists) hold as long as it is unchanged. */
	uint64_t (*world_epoch)(void *ud);
	/* Built-ins of other folders; NULL: none (calling one is a
	 * runtime error). */
	const struct vm_ext *ext;
};

enum vm_status {
	VM_OK = 0,		/* handler finished */
	VM_ERROR,		/* a runtime error was reported (not caught) */
};

struct vm;

/* Load P (borrowed: must outlive the VM).  Output goes to OUT (buffered;
 * flushed by vm_flush and at end).  Returns NULL with a message in ERR if
 * the program is malformed (a bad regex, a bad format). */
struct vm *vm_new(const struct bc_program *p, const struct vm_host *host,
		  FILE *out, char *err, size_t errlen);
void vm_free(struct vm *vm);

/* Run the handler of probe EV->probe.  Runtime errors are printed to
 * stderr as SystemTap does ("ERROR: division by 0 near operator '/' at
 * input.pytap:3:12") and counted. */
enum vm_status vm_run(struct vm *vm, const struct vm_event *ev);

/* --suppress-handler-errors: a catchable runtime error ends its handler
 * quietly (not printed, not counted), as if every handler were wrapped in
 * try { } catch { next }; MAXACTION and the like still stop the session. */
void vm_suppress_errors(struct vm *vm, bool on);

/* exit() was called (or MAXERRORS was passed): the session should stop
 * tracing, then run end probes (or error probes after an error). */
bool vm_exit_requested(const struct vm *vm);
/* The number of runtime errors so far (MAXERRORS logic is in the VM: the
 * first error past MAXERRORS requests exit). */
int vm_error_count(const struct vm *vm);
/* Probes skipped (e.g. reentrancy), for the final WARNING line. */
int vm_skipped_count(const struct vm *vm);
/* abort() was called (the handler stopped at once, uncaught by try).
 * vm_exit_requested() is true as well; as after exit(), end probes run
 * (SystemTap 4.8's abort() sets the same STOPPING state as exit()). */
bool vm_aborted(const struct vm *vm);

/* PID exec'd or exited: drop what the VM cached about it (execname(),
 * ppid(), uid(), ... are cached per thread). */
void vm_forget(struct vm *vm, pid_t pid);

/* At the very end: print write-only globals as SystemTap does (name=value,
 * arrays element per line, stats summaries), then flush.  Like SystemTap's
 * synthetic end probes that do it, prints nothing when the errors are
 * past MAXERRORS. */
void vm_print_globals(struct vm *vm);
void vm_flush(struct vm *vm);

/* -G name=value: set a scalar global before begin. 0, or -1 + ERR. */
int vm_set_global(struct vm *vm, const char *name, const char *value,
		  char *err, size_t errlen);

#endif
