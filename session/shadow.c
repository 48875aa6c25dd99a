/*
 * shadow.c - per-thread shadow stacks of the in-process agent's events,
 * so that pystack() and print_pystack() in an agent-served probe see the
 * stack as it was at the event (the thread has run on since), in the
 * same format as at a breakpoint.
 *
 * Kept only when the script asks for a stack (pystack(), pystack(sep),
 * print_pystack()): then the agent is started with PYTAP_OPT_CALLER, and
 * a CALLER record before each ENTRY says which code the calling Python
 * frame runs and where it stands (its call instruction), which gives
 * every outer frame its current line.
 *
 *   seed     at the safe point where the agent got in, every thread's
 *            frames as frames.c reads them (the thread there holds the
 *            GIL: no other thread's Python frames can change before the
 *            hooks report it); with -c this is usually empty
 *   ENTRY    the caller's line from its CALLER record (a seeded frame
 *            takes the caller's code id there; an empty stack gets the
 *            caller and a leading "..."), then push (line: the def
 *            line, or the resume point of a generator)
 *   RETURN   the top frame's line from the return offset; popped after
 *            the handlers ran
 *   LOST     records were dropped: every stack of the process is unknown
 *            from there on, and shows a leading "..." (as frames.c marks
 *            an unreadable stack)
 * A RETURN whose code is not on top pops down to the nearest frame of
 * that code (or ignores it when there is none): the stacks mend
 * themselves after a gap.  Bounded: PY_MAX_FRAMES frames per thread
 * (deeper ones are counted, not kept, and the stack shows as cut),
 * SHADOW_MAX_THREADS threads per process (idle stacks are reused).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "builtin_list.h"
#include "cpython.h"
#include "ring.h"
#include "session_int.h"

#define SHADOW_MAX_THREADS PY_MAX_THREADS

struct shadow_frame {
	uint32_t code;		/* agent code id, 0: seeded from memory */
	int line;		/* current line, -1: unknown */
	char *qualname;		/* seeded frames only (owned) */
	char *filename;
};

struct shadow_thread {
	pid_t tid;
	bool unknown;		/* frames below the first were lost */
	size_t depth, cap;
	size_t over;		/* pushes beyond PY_MAX_FRAMES */
	struct shadow_frame *f;	/* outermost first */
};

struct shadow {
	struct shadow_thread *t;
	size_t n, cap;
	size_t last;		/* index of the last thread looked up */
	bool caller_set;	/* a CALLER record for the next ENTRY: */
	uint32_t caller_code, caller_off;
	/* the stack handed to pystack(): innermost first */
	struct py_frame *out;
	size_t outcap;
	struct py_thread th;
};

static void frame_clear(struct shadow_frame *f)
{
	free(f->qualname);
	free(f->filename);
	memset(f, 0, sizeof(*f));
}

static void thread_clear(struct shadow_thread *t)
{
	for (size_t i = 0; i < t->depth; i++)
		frame_clear(&t->f[i]);
	t->depth = 0;
	t->over = 0;
	t->unknown = false;
}

/* The stack of TID, made when new (NULL when the table is full). */
static struct shadow_thread *thread_of(struct shadow *sh, pid_t tid,
				       bool make)
{
	struct shadow_thread *t;

	if (sh->last < sh->n && sh->t[sh->last].tid == tid)
		return &sh->t[sh->last];
	for (size_t i = 0; i < sh->n; i++)
		if (sh->t[i].tid == tid) {
			sh->last = i;
			return &sh->t[i];
		}
	if (!make)
		return NULL;
	/* reuse an empty stack (a thread that ended) */
	for (size_t i = 0; i < sh->n; i++)
		if (sh->t[i].depth == 0 && !sh->t[i].unknown &&
		    !sh->t[i].over) {
			sh->t[i].tid = tid;
			sh->last = i;
			return &sh->t[i];
		}
	if (sh->n == sh->cap) {
		size_t nc = sh->cap ? sh->cap * 2 : 8;
		struct shadow_thread *nt;

		if (nc > SHADOW_MAX_THREADS)
			nc = SHADOW_MAX_THREADS;
		if (nc == sh->cap)
			return NULL;
		nt = realloc(sh->t, nc * sizeof(*nt));
		if (nt == NULL)
			return NULL;
		sh->t = nt;
		sh->cap = nc;
	}
	t = &sh->t[sh->n];
	memset(t, 0, sizeof(*t));
	t->tid = tid;
	sh->last = sh->n++;
	return t;
}

static struct shadow_frame *push(struct shadow_thread *t)
{
	if (t->depth == PY_MAX_FRAMES) {
		t->over++;
		return NULL;
	}
	if (t->depth == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 32;
		struct shadow_frame *nf;

		if (nc > PY_MAX_FRAMES)
			nc = PY_MAX_FRAMES;
		nf = realloc(t->f, nc * sizeof(*nf));
		if (nf == NULL) {
			t->over++;
			return NULL;
		}
		t->f = nf;
		t->cap = nc;
	}
	memset(&t->f[t->depth], 0, sizeof(t->f[0]));
	return &t->f[t->depth++];
}

static const struct agent_code *code_of(const struct agent_ring *r,
					uint32_t id)
{
	return id && id < r->ncodes ? r->codes[id] : NULL;
}

/* The line of byte offset OFF in code ID, -1 if unknown. */
static int line_at(const struct agent_ring *r, uint32_t id, uint32_t off)
{
	const struct agent_code *c = code_of(r, id);

	if (c == NULL)
		return -1;
	return py_linetable_line(c->linetable, c->ltlen, (int)c->firstlineno,
				 (int)off);
}

/* ---- reading the target at the safe point ----------------------------- */

struct seed_mem {
	struct session *s;
};

static void seed_readv(void *ud, pid_t pid, struct py_iov *v, size_t n)
{
	struct seed_mem *m = ud;

	for (size_t i = 0; i < n; i++) {
		struct iovec l = { v[i].buf, v[i].len };
		struct iovec rv = { (void *)(uintptr_t)v[i].addr, v[i].len };

		v[i].ok = v[i].len == 0 ||
			  process_vm_readv(pid, &l, 1, &rv, 1, 0) ==
				  (ssize_t)v[i].len ||
			  tracer_read(m->s->tr, pid, v[i].addr, v[i].buf,
				      v[i].len) == 0;
	}
}

void shadow_seed(struct session *s, struct agent_ring *r)
{
	struct shadow *sh;
	struct seed_mem sm = { s };
	struct py_mem mem = { &sm, r->pid, seed_readv };
	struct py_proc pp;
	struct py_ctx ctx;
	const struct py_thread *th;
	size_t n;
	char err[512];

	if (r->shadow == NULL) {
		r->shadow = calloc(1, sizeof(*r->shadow));
		if (r->shadow == NULL)
			return;
	}
	sh = r->shadow;
	if (py_proc_find(&pp, r->pid, &mem, err, sizeof(err)) < 0) {
		if (s->o->verbose)
			fprintf(stderr, "pytap: pid %d: the stacks at attach are unknown (%s): pystack() starts from the first event\n",
				(int)r->pid, err);
		return;
	}
	py_ctx_init(&ctx);
	if (py_threads(&ctx, &pp, &mem, &th, &n) < 0) {
		if (s->o->verbose)
			fprintf(stderr, "pytap: pid %d: the stacks at attach are unknown (%s): pystack() starts from the first event\n",
				(int)r->pid, ctx.err);
		py_ctx_free(&ctx);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct shadow_thread *t = thread_of(sh, th[i].native_id, true);

		if (t == NULL)
			break;
		thread_clear(t);
		t->unknown = th[i].truncated;
		for (size_t k = th[i].nframes; k-- > 0;) {
			struct shadow_frame *f = push(t);

			if (f == NULL)
				break;
			f->line = th[i].frames[k].line;
			f->qualname = strdup(th[i].frames[k].qualname);
			f->filename = strdup(th[i].frames[k].filename);
		}
	}
	py_ctx_free(&ctx);
}

/* ---- following the events --------------------------------------------- */

void shadow_before(struct agent_ring *r, const struct pytap_rec_event *e)
{
	struct shadow *sh = r->shadow;
	struct shadow_thread *t;
	struct shadow_frame *f;

	if (sh == NULL)
		return;
	t = thread_of(sh, (pid_t)e->tid, e->h.kind == PYTAP_REC_ENTRY);
	if (t == NULL)
		return;
	if (e->h.kind == PYTAP_REC_ENTRY) {
		/* where the caller stands: its call */
		if (sh->caller_set && sh->caller_code && !t->over) {
			struct shadow_frame *top =
				t->depth ? &t->f[t->depth - 1] : NULL;

			if (top == NULL) {
				/* entered before anything pytap saw: the
				   frames under this one are unknown */
				top = push(t);
				t->unknown = true;
			}
			if (top && top->code == 0) {
				/* a frame of the seed: its code from now on */
				frame_clear(top);
				top->code = sh->caller_code;
			}
			if (top && top->code == sh->caller_code)
				top->line = line_at(r, top->code,
						    sh->caller_off);
		}
		sh->caller_set = false;
		f = push(t);
		if (f == NULL)
			return;
		f->code = e->code;
		if (e->offset == 0xffffffffu) {
			const struct agent_code *c = code_of(r, e->code);

			f->line = c ? c->entry_line : -1;
		} else {
			f->line = line_at(r, e->code, e->offset);
		}
		return;
	}
	if (t->over == 0 && t->depth && t->f[t->depth - 1].code == e->code) {
		int l = line_at(r, e->code, e->offset);

		t->f[t->depth - 1].line =
			l >= 0 ? l : (int)(code_of(r, e->code) ?
					   code_of(r, e->code)->firstlineno : 0);
	}
}

void shadow_after(struct agent_ring *r, const struct pytap_rec_event *e)
{
	struct shadow *sh = r->shadow;
	struct shadow_thread *t;
	size_t k;

	if (sh == NULL || e->h.kind != PYTAP_REC_RETURN)
		return;
	t = thread_of(sh, (pid_t)e->tid, false);
	if (t == NULL)
		return;
	if (t->over) {
		t->over--;
		return;
	}
	for (k = t->depth; k-- > 0;)
		if (t->f[k].code == e->code)
			break;
	if (k == (size_t)-1) {
		/* a frame of the seed that called nothing since, known by
		   its names; else one entered before the seed */
		const struct agent_code *c = code_of(r, e->code);
		const struct shadow_frame *top =
			t->depth ? &t->f[t->depth - 1] : NULL;

		if (c == NULL || top == NULL || top->code ||
		    !top->qualname || !top->filename ||
		    strcmp(top->qualname, c->str[2]) ||
		    strcmp(top->filename, c->str[0]))
			return;
		k = t->depth - 1;
	}
	while (t->depth > k)
		frame_clear(&t->f[--t->depth]);
}

void shadow_caller(struct agent_ring *r, const struct pytap_rec_caller *c)
{
	struct shadow *sh = r->shadow;

	if (sh == NULL)
		return;
	sh->caller_set = true;
	sh->caller_code = c->code;
	sh->caller_off = c->offset;
}

void shadow_lost(struct agent_ring *r)
{
	struct shadow *sh = r->shadow;

	if (sh == NULL)
		return;
	for (size_t i = 0; i < sh->n; i++) {
		thread_clear(&sh->t[i]);
		sh->t[i].unknown = true;
	}
}

/* vm_event.pystack of an agent event: the thread's shadow stack. */
const struct py_thread *shadow_pystack(const struct vm_event *ev)
{
	struct agent_ring *r = ev->pystack_ud;
	struct shadow *sh = r->shadow;
	struct shadow_thread *t;

	if (sh == NULL)
		return NULL;
	t = thread_of(sh, ev->tid, false);
	memset(&sh->th, 0, sizeof(sh->th));
	sh->th.native_id = ev->tid;
	if (t == NULL)
		return &sh->th;
	if (sh->outcap < t->depth) {
		struct py_frame *o = realloc(sh->out, t->depth * sizeof(*o));

		if (o == NULL)
			return &sh->th;
		sh->out = o;
		sh->outcap = t->depth;
	}
	for (size_t i = 0; i < t->depth; i++) {
		const struct shadow_frame *f = &t->f[t->depth - 1 - i];
		const struct agent_code *c = code_of(r, f->code);
		struct py_frame *o = &sh->out[i];

		if (f->code) {
			o->qualname = c ? c->str[2] : "?";
			o->filename = c ? c->str[0] : "?";
		} else {
			o->qualname = f->qualname ? f->qualname : "?";
			o->filename = f->filename ? f->filename : "?";
		}
		o->line = f->line;
	}
	sh->th.frames = sh->out;
	sh->th.nframes = t->depth;
	sh->th.truncated = t->unknown || t->over;
	return &sh->th;
}

void shadow_free(struct agent_ring *r)
{
	struct shadow *sh = r->shadow;

	if (sh == NULL)
		return;
	for (size_t i = 0; i < sh->n; i++) {
		thread_clear(&sh->t[i]);
		free(sh->t[i].f);
	}
	free(sh->t);
	free(sh->out);
	free(sh);
	r->shadow = NULL;
}

/* Does the program ask for the event's stack (pystack(), pystack(sep),
 * print_pystack())? */
bool shadow_wanted(const struct bc_program *p)
{
	for (size_t i = 0; i < p->ncode; i++)
		if (p->code[i].op == OP_BUILTIN &&
		    (p->code[i].a == BI_pystack0 || p->code[i].a == BI_pystack1 ||
		     p->code[i].a == BI_print_pystack))
			return true;
	return false;
}
