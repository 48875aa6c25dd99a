/*
 * pybuiltins.c - the built-ins that look inside a traced CPython (pytap
 * extensions, not SystemTap's): pystack(), pystack(sep), print_pystack(),
 * pystacks(), print_pystacks(), pyrepr(addr).  frames.c and pyrepr.c do
 * the reading; this file picks the process and thread, formats, and turns
 * failures into runtime errors (catchable with try/catch).
 *
 * Formats (doc/pytap.1 documents them):
 *   a frame        qualname (filename:line)      "(filename)" if no line
 *   pystack()      frames outermost first, joined by ";" (or SEP): a
 *                  folded stack, as flame graph tools read them.  When it
 *                  does not fit in MAXSTRINGLEN-1 bytes, the outermost
 *                  frames are kept and the innermost ones replaced by
 *                  "..." (so that stacks still merge from the root);
 *                  unreadable outer frames show as a leading "...".
 *   print_pystack()  one frame a line, "  " indented, innermost last
 *   pystacks()     per thread, oldest first: "Thread TID (NAME):" (or
 *                  "Thread TID:" when threading does not name it), then
 *                  its frames as print_pystack() prints them, or
 *                  "  (no Python frames)".  The string is cut at
 *                  MAXSTRINGLEN; print_pystacks() prints it whole.
 *
 * Which process: the probe's (pid()), or target() in begin/end/timer
 * probes.  Which thread (pystack): the probe's (tid()); begin, end and
 * timer probes have none.  A thread without a Python thread state (not a
 * Python thread, or before the interpreter is initialized) has an empty
 * stack: "" and no lines.  An event that brings its own stack (the
 * in-process agent's shadow stack, vm_event.pystack) is not read from
 * memory: the thread has run on since.  pystacks() stops every traced thread while it
 * reads (the session's stop_world), unless they are stopped already.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpython.h"
#include "pybuiltins.h"
#include "vm_int.h"

#define NPROCS 8		/* processes remembered */
#define RETRY_NS 1000000000ull	/* a process that was not Python (yet) */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct vm_pyproc {
	pid_t pid;		/* 0 = free */
	bool ok;		/* pp is valid, else err says why not */
	struct py_proc pp;
	char err[512];
	uint64_t failed_ns;	/* when it failed: looked again after
				   RETRY_NS (a libpython may be loaded
				   later) */
	unsigned long used;	/* LRU stamp */
};

struct vm_py {
	struct py_ctx ctx;
	struct py_mem mem;
	struct vm_pyproc procs[NPROCS];
	unsigned long clock;
	struct strbuf sb;
	bool said_cut;		/* the cut at MAXSTRINGLEN was reported */
};

static void vm_readv(void *ud, pid_t pid, struct py_iov *v, size_t n)
{
	struct vm *vm = ud;

	if (vm->host.read_vec) {
		vm->host.read_vec(vm->host.ud, pid, v, n);
		return;
	}
	for (size_t i = 0; i < n; i++)
		v[i].ok = v[i].len == 0 ||
			  (vm->host.read_mem &&
			   vm->host.read_mem(vm->host.ud, pid, v[i].addr,
					     v[i].buf, v[i].len) == 0);
}

static struct vm_py *state(struct vm *vm)
{
	if (vm->py == NULL) {
		vm->py = calloc(1, sizeof(*vm->py));
		if (vm->py == NULL) {
			fprintf(stderr, "pytap: out of memory\n");
			abort();
		}
		py_ctx_init(&vm->py->ctx);
		vm->py->mem.ud = vm;
		vm->py->mem.readv = vm_readv;
	}
	return vm->py;
}

static void py_forget(struct vm *vm, pid_t pid)
{
	struct vm_py *py = vm->py;

	if (py == NULL)
		return;
	if (pid > 0) {
		for (int i = 0; i < NPROCS; i++)
			if (py->procs[i].pid == pid)
				py->procs[i].pid = 0;
		return;
	}
	py_ctx_free(&py->ctx);
	sb_free(&py->sb);
	free(py);
	vm->py = NULL;
}

/* The interpreter of process PID, or NULL after raising an error that
 * starts with WHAT. */
static struct py_proc *proc(struct vm *vm, pid_t pid, const char *what)
{
	struct vm_py *py = state(vm);
	struct vm_pyproc *e = NULL, *lru = &py->procs[0];

	for (int i = 0; i < NPROCS; i++) {
		if (py->procs[i].pid == pid) {
			e = &py->procs[i];
			break;
		}
		if (py->procs[i].used < lru->used)
			lru = &py->procs[i];
	}
	if (e != NULL && !e->ok && now_ns() - e->failed_ns >= RETRY_NS)
		e = NULL;	/* ... and the same slot is reused below */
	if (e == NULL) {
		for (int i = 0; i < NPROCS; i++)
			if (py->procs[i].pid == pid)
				lru = &py->procs[i];
		e = lru;
		memset(e, 0, sizeof(*e));
		e->pid = pid;
		py->mem.pid = pid;
		e->ok = py_proc_find(&e->pp, pid, &py->mem, e->err,
				     sizeof(e->err)) == 0;
		if (!e->ok)
			e->failed_ns = now_ns();
	}
	e->used = ++py->clock;
	py->mem.pid = pid;
	if (!e->ok) {
		vm_raise(vm, "%s: %s", what, e->err);
		return NULL;
	}
	return &e->pp;
}

/* The probe's process, or target() outside one; 0 after an error. */
static pid_t which_pid(struct vm *vm, const char *what)
{
	if (vm->ev != NULL && vm->ev->pid > 0)
		return vm->ev->pid;
	if (vm->host.target > 0)
		return vm->host.target;
	vm_raise(vm, "%s needs a Python process: use -c CMD or -x PID", what);
	return 0;
}

static void put_frame(struct strbuf *sb, const struct py_frame *f)
{
	if (f->line >= 0)
		sb_printf(sb, "%s (%s:%d)", f->qualname, f->filename, f->line);
	else
		sb_printf(sb, "%s (%s)", f->qualname, f->filename);
}

static const struct py_thread no_python;

/* The current thread's stack (empty for a thread without a Python thread
 * state), or NULL after an error. */
static const struct py_thread *cur_stack(struct vm *vm, const char *what)
{
	struct vm_py *py = state(vm);
	const struct py_thread *t;
	struct py_proc *pp;

	if (vm->ev == NULL || vm->ev->pid <= 0) {
		vm_raise(vm, "%s needs a thread of a traced process: begin, end and timer probes have none (pystacks() reads every thread)",
			 what);
		return NULL;
	}
	if (vm->ev->pystack) {
		/* the event source's own view (the agent's shadow stack) */
		t = vm->ev->pystack(vm->ev);
		return t ? t : &no_python;
	}
	pp = proc(vm, vm->ev->pid, what);
	if (pp == NULL)
		return NULL;
	switch (py_stack(&py->ctx, pp, &py->mem,
			 vm->ev->tid > 0 ? vm->ev->tid : vm->ev->pid,
			 vm->host.world_epoch ?
			 vm->host.world_epoch(vm->host.ud) : 0, &t)) {
	case 0:
		return t;
	case 1:
		return &no_python;	/* no thread state: no Python frames */
	default:
		vm_raise(vm, "%s: %s", what, py->ctx.err);
		return NULL;
	}
}

/* A stack did not fit in MAXSTRINGLEN: said once per run, with the switch
 * that avoids it. */
static void say_cut(struct vm *vm, const char *what)
{
	char msg[256];

	if (state(vm)->said_cut)
		return;
	state(vm)->said_cut = true;
	snprintf(msg, sizeof(msg),
		 "%s: a stack longer than MAXSTRINGLEN=%" PRId64 " was cut (its innermost frames became \"...\"); -DMAXSTRINGLEN=N (at most 65536) keeps them",
		 what, vm->p->maxstringlen);
	vm_warn(vm, msg);
}

/* Folded: outermost first, joined by SEP, at most MAX bytes. */
static size_t folded(const struct py_thread *t, const char *sep, size_t seplen,
		     char *out, size_t max, struct strbuf *tmp, bool *cut)
{
	size_t n = 0, i;
	static const char dots[] = "...";

	if (t->truncated && t->nframes > 0) {
		if (max < 3 + seplen)
			return 0;
		memcpy(out, dots, 3);
		n = 3;
	}
	for (i = t->nframes; i-- > 0;) {
		size_t need, lead = n ? seplen : 0;

		sb_reset(tmp);
		put_frame(tmp, &t->frames[i]);
		/* room for this frame, and unless it is the last one, for a
		 * final SEP "..." in case the next does not fit */
		need = n + lead + tmp->len + (i ? seplen + 3 : 0);
		if (need > max) {
			if (n == 0) {
				/* not even the outermost frame fits: cut it */
				size_t keep = max > 3 ? max - 3 : 0;

				memcpy(out, sb_str(tmp), keep);
				memcpy(out + keep, dots, max - keep);
				*cut = true;
				return max;
			}
			memcpy(out + n, sep, seplen);
			memcpy(out + n + seplen, dots, 3);
			*cut = true;
			return n + seplen + 3;
		}
		memcpy(out + n, sep, lead);
		memcpy(out + n + lead, sb_str(tmp), tmp->len);
		n += lead + tmp->len;
	}
	return n;
}

static void pystack_sep(struct vm *vm, const char *sep, size_t seplen,
			union vm_val *ret)
{
	const struct py_thread *t = cur_stack(vm, "pystack");
	char *out;
	bool cut = false;

	ret->s = &vm_empty_str;
	if (t == NULL)
		return;
	out = vm_str_begin(vm);
	ret->s = vm_str_end(vm, folded(t, sep, seplen, out, vm->maxlen,
				      &state(vm)->sb, &cut));
	if (cut)
		say_cut(vm, "pystack()");
}

void bi_pystack0(struct vm *vm, const union vm_val *args, union vm_val *ret)
{
	(void)args;
	pystack_sep(vm, ";", 1, ret);
}

void bi_pystack1(struct vm *vm, const union vm_val *args, union vm_val *ret)
{
	pystack_sep(vm, args[0].s->data, args[0].s->len, ret);
}

static void frame_lines(struct strbuf *sb, const struct py_thread *t)
{
	if (t->nframes == 0 && !t->truncated) {
		sb_puts(sb, "  (no Python frames)\n");
		return;
	}
	if (t->truncated)
		sb_puts(sb, "  ...\n");
	for (size_t i = t->nframes; i-- > 0;) {
		sb_puts(sb, "  ");
		put_frame(sb, &t->frames[i]);
		sb_putc(sb, '\n');
	}
}

void bi_print_pystack(struct vm *vm, const union vm_val *args,
		      union vm_val *ret)
{
	const struct py_thread *t = cur_stack(vm, "print_pystack");
	struct strbuf *sb = &state(vm)->sb;

	(void)args;
	(void)ret;
	if (t == NULL)
		return;
	sb_reset(sb);
	frame_lines(sb, t);
	vm_out(vm, sb_str(sb), sb->len);
}

/* Every thread's stack as text into the state's strbuf: 0, or -1 after
 * an error. */
static int all_stacks(struct vm *vm, const char *what)
{
	struct vm_py *py = state(vm);
	const struct py_thread *t;
	struct py_proc *pp;
	size_t n, i;
	pid_t pid = which_pid(vm, what);
	int rc;

	if (pid <= 0)
		return -1;
	pp = proc(vm, pid, what);
	if (pp == NULL)
		return -1;
	if (vm->host.stop_world)
		vm->host.stop_world(vm->host.ud);
	rc = py_threads(&py->ctx, pp, &py->mem, &t, &n);
	if (vm->host.resume_world)
		vm->host.resume_world(vm->host.ud);
	if (rc < 0) {
		vm_raise(vm, "%s: %s", what, py->ctx.err);
		return -1;
	}
	sb_reset(&py->sb);
	for (i = 0; i < n; i++) {
		sb_printf(&py->sb, "Thread %d", (int)t[i].native_id);
		if (t[i].name)
			sb_printf(&py->sb, " (%s)", t[i].name);
		sb_puts(&py->sb, ":\n");
		frame_lines(&py->sb, &t[i]);
	}
	return 0;
}

void bi_pystacks(struct vm *vm, const union vm_val *args, union vm_val *ret)
{
	struct vm_py *py;

	(void)args;
	ret->s = &vm_empty_str;
	if (all_stacks(vm, "pystacks") < 0)
		return;
	py = state(vm);
	if (py->sb.len > vm->maxlen)
		say_cut(vm, "pystacks()");
	ret->s = vm_str_new(vm, sb_str(&py->sb), py->sb.len);
}

void bi_print_pystacks(struct vm *vm, const union vm_val *args,
		       union vm_val *ret)
{
	struct vm_py *py;

	(void)args;
	(void)ret;
	if (all_stacks(vm, "print_pystacks") < 0)
		return;
	py = state(vm);
	vm_out(vm, sb_str(&py->sb), py->sb.len);
}

void bi_pyrepr(struct vm *vm, const union vm_val *args, union vm_val *ret)
{
	struct vm_py *py = state(vm);
	struct py_proc *pp;
	pid_t pid = which_pid(vm, "pyrepr");

	ret->s = &vm_empty_str;
	if (pid <= 0)
		return;
	pp = proc(vm, pid, "pyrepr");
	if (pp == NULL)
		return;
	sb_reset(&py->sb);
	if (py_repr(&py->ctx, pp, &py->mem, (uint64_t)args[0].l, &py->sb,
		    vm->maxlen) < 0) {
		vm_raise(vm, "pyrepr: %s", py->ctx.err);
		return;
	}
	ret->s = vm_str_new(vm, sb_str(&py->sb), py->sb.len);
}

void bi_pyglobal(struct vm *vm, const union vm_val *args, union vm_val *ret)
{
	struct vm_py *py = state(vm);
	struct py_proc *pp;
	pid_t pid = which_pid(vm, "pyglobal");
	uint64_t addr = 0;

	ret->s = &vm_empty_str;
	if (pid <= 0)
		return;
	pp = proc(vm, pid, "pyglobal");
	if (pp == NULL)
		return;
	sb_reset(&py->sb);
	if (py_global(&py->ctx, pp, &py->mem, args[0].s->data, args[1].s->data,
		      &addr) < 0 ||
	    py_repr(&py->ctx, pp, &py->mem, addr, &py->sb, vm->maxlen) < 0) {
		vm_raise(vm, "pyglobal: %s", py->ctx.err);
		return;
	}
	ret->s = vm_str_new(vm, sb_str(&py->sb), py->sb.len);
}

long py_vm_frame_args(struct vm *vm, pid_t pid, pid_t tid, char *out,
		      size_t cap)
{
	struct vm_py *py = state(vm);
	struct py_proc *pp = proc(vm, pid, "$$parms");

	if (pp == NULL)
		return 0;
	sb_reset(&py->sb);
	if (py_frame_args(&py->ctx, pp, &py->mem, tid, &py->sb, cap) < 0) {
		vm_raise(vm, "$$parms: %s", py->ctx.err);
		return 0;
	}
	memcpy(out, sb_str(&py->sb), py->sb.len);
	return (long)py->sb.len;
}

static const vm_builtin_fn py_builtins[BI__COUNT] = {
#define PY_BI_ENTRY(id, name, ret, args) [BI_##id] = bi_##id,
	BC_BUILTINS_PY(PY_BI_ENTRY)
#undef PY_BI_ENTRY
};

const struct vm_ext py_vm_ext = { py_builtins, py_forget };
