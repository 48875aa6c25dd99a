/*
 * inject.c - calling a function inside a traced process, at a safe point
 * only (doc/agent.md).
 *
 * A safe point is a thread entering _PyEval_EvalFrameDefault (or whatever
 * symbol the session names): it holds the GIL, is between bytecodes and is
 * at a function's first instruction, so the ABI's caller-saved registers
 * are dead and no lock of malloc or of the dynamic loader is held by it.
 * pytap gets there with a one-shot int3 on that symbol's first byte; the
 * thread that traps is rewound to the symbol (rip = addr) and the session's
 * callback may then run calls in it (tracer_call).  Threads that trapped
 * on the same int3 before it was removed are rewound the same way when
 * their stop is seen.  Calling from an arbitrary stop (inside malloc, the
 * loader lock) is what gdb-style injectors do and what kills targets; this
 * file never does it.
 *
 * A thread that runs a loop of Python calls never enters that symbol
 * again (3.11+ inline Python-to-Python calls), so pytap also queues a
 * pending call (Py_AddPendingCall, made to be called from any thread
 * without the GIL: a leaf that takes only its own short lock) whose
 * function is a "xor eax,eax; ret" found in the interpreter's code, with
 * an int3 on it: the interpreter's main thread calls it at its next
 * eval-breaker check, holding the GIL, between bytecodes.  Every hit on
 * that int3 is emulated exactly (rax = 0, return), so a call that comes
 * after the int3 is gone, or from elsewhere, does what it always did.
 *
 * And a thread that only ever releases the GIL (time.sleep, I/O, a lock)
 * gets one on its way back: an int3 on PyEval_RestoreThread's first
 * byte; pytap makes that call itself (tracer_call: the thread waits for
 * the GIL as it would have), so the thread then holds the GIL at the
 * point where its C caller goes on with the C API; pytap's calls run
 * there, then the original call's return is emulated (it returns void).
 *
 * tracer_call: the thread's registers are saved; below its stack pointer
 * (past the 128-byte red zone, 16-byte aligned) go an optional blob (a
 * string argument) and a return address of 0; rip = the function, the
 * arguments in rdi, rsi, rdx, rcx, r8, r9.  The function returns to 0 and
 * faults there (SIGSEGV, never delivered): its rax is the result, then the
 * saved registers are put back.  Other threads keep running meanwhile (a
 * lock they hold may be needed).
 */
#include "procfs.h"
#include "tracer_int.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>

#define INT3 0xcc
#define RED_ZONE 128
#define CALL_WARN_NS (5ull * 1000000000ull)
#define PENDING_MAGIC 0x70797461702d7370ull	/* the pending call's arg */

/* Run-time address of SYM in process P's mapped objects, 0 if none. */
static uint64_t proc_symbol(struct tproc *p, const char *sym,
			    const char **objpath)
{
	for (size_t i = 0; i < p->nobjs; i++) {
		const char *names[1] = { sym };
		uint64_t v[1] = { 0 };

		if (sdt_file_symbols(p->objs[i].obj->path, names, v, 1) < 0 ||
		    v[0] == 0)
			continue;
		if (objpath)
			*objpath = p->objs[i].obj->path;
		return v[0] + p->objs[i].bias;
	}
	return 0;
}

static struct tproc *find_proc(struct tracer *t, pid_t pid)
{
	for (struct tproc *p = t->procs; p; p = p->next)
		if (p->pid == pid)
			return p;
	return NULL;
}

int tracer_symbol(struct tracer *t, pid_t pid, const char *sym,
		  uint64_t *addr, const char **objpath)
{
	struct tproc *p = find_proc(t, pid);

	*addr = p ? proc_symbol(p, sym, objpath) : 0;
	return *addr ? 0 : -1;
}

int tracer_rescan(struct tracer *t, pid_t pid)
{
	struct tproc *p = find_proc(t, pid);

	return p ? pm_scan(t, p) : -1;
}

/* An "xor eax,eax; ret" in an executable mapping of OBJPATH in P. */
static uint64_t find_ret0(struct tproc *p, const char *objpath)
{
	char path[64], line[4608];
	FILE *f;
	uint64_t found = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)p->io_pid);
	f = fopen(path, "re");
	if (f == NULL)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		struct procfs_map m;
		unsigned char buf[65536];

		if (procfs_map_parse(line, &m) < 0 || m.perms[2] != 'x' ||
		    strcmp(m.path, objpath) != 0)
			continue;
		for (uint64_t a = m.start; a < m.end && !found;
		     a += sizeof(buf) - 2) {
			size_t n = m.end - a < sizeof(buf) ? (size_t)(m.end - a)
							   : sizeof(buf);

			if (pm_mem_read(p, a, buf, n) < 0)
				break;
			for (size_t i = 0; i + 2 < n; i++)
				if (buf[i] == 0x31 && buf[i + 1] == 0xc0 &&
				    buf[i + 2] == 0xc3) {
					found = a + i;
					break;
				}
		}
	}
	fclose(f);
	return found;
}

/* The int3 on PyEval_RestoreThread (see the top). */
static void arm_restore(struct tproc *p)
{
	/* pytap's call of PyEval_RestoreThread waits for the GIL while only
	   this thread is waited on: a GIL holder stopped on an armed SDT
	   site would never let it go.  With breakpoints in the process,
	   the other two safe points only. */
	for (size_t i = 0; i < p->nsites; i++)
		if (p->sites[i].armed)
			return;
	if (!p->rs.addr)
		p->rs.addr = proc_symbol(p, "PyEval_RestoreThread", NULL);
	tr_bp_arm(p, &p->rs);
}

/* Stop thread TID alone: PTRACE_INTERRUPT, then waitpid on it only.  The
 * events of other threads and processes stay queued in the kernel for
 * tracer_wait(), which handles them fully: tracer_stop_some() would take
 * them in M_STOP, leaving a forked sibling or a new thread stopped (it
 * hung a multiprocessing Pool's run) and an exec'd image unscanned.
 * True when TID is stopped. */
static bool stop_one(struct tracer *t, pid_t tid)
{
	uint64_t deadline = tr_now_ns() + 1000000000ull;
	struct tthr *th = tr_thr_find(t, tid);

	if (th == NULL || th->exiting || th->in_vfork)
		return false;
	if (th->state == THR_STOPPED)
		return true;
	if (ptrace(PTRACE_INTERRUPT, tid, 0, 0) < 0)
		return false;
	tr_wait_enter(t, deadline);
	for (;;) {
		int status;
		pid_t w = waitpid(tid, &status, __WALL);

		if (w < 0) {
			if (errno == EINTR && tr_now_ns() < deadline)
				continue;
			break;
		}
		if (WIFSTOPPED(status) &&
		    (status >> 16) == PTRACE_EVENT_STOP &&
		    WSTOPSIG(status) == SIGTRAP) {
			tr_wait_leave(t);
			th = tr_thr_find(t, tid);
			if (th == NULL)
				return false;
			th->state = THR_STOPPED;
			th->ev_stop = false;
			th->group_stop = false;
			return true;
		}
		/* anything else as tracer_wait() would: resumed, or kept
		   stopped with a hit to report */
		tr_wait_leave(t);
		tr_handle(t, tid, status, M_RUN, NULL, NULL);
		th = tr_thr_find(t, tid);
		if (th == NULL)
			return false;
		if (th->state == THR_STOPPED)
			return true;
		/* the handling may have made calls in it (a safe point)
		   whose waits took the interrupt's stop: ask again */
		if (tr_now_ns() >= deadline ||
		    ptrace(PTRACE_INTERRUPT, tid, 0, 0) < 0)
			return false;
		tr_wait_enter(t, deadline);
	}
	tr_wait_leave(t);
	return false;
}

/* Queue the pending call (see the top) in P, if its interpreter is
 * initialized: from its main thread, stopped for the two calls. */
static void kick(struct tracer *t, struct tproc *p)
{
	const char *obj = NULL;
	uint64_t addcall = proc_symbol(p, "Py_AddPendingCall", &obj);
	uint64_t isinit = proc_symbol(p, "Py_IsInitialized", NULL);
	struct tthr *th = tr_thr_find(t, p->pid);
	struct tracer_call c;
	uint64_t ret = 0;
	char err[256];
	bool was_stopped;
	pid_t tid;

	if (!addcall || !isinit || th == NULL || th->exiting || th->in_vfork)
		return;
	if (!p->px.addr)
		p->px.addr = find_ret0(p, obj);
	if (!p->px.addr)
		return;
	tid = th->tid;
	was_stopped = th->state == THR_STOPPED;
	if (!was_stopped && !stop_one(t, tid))
		return;
	th = tr_thr_find(t, tid);
	if (th == NULL || th->state != THR_STOPPED)
		return;
	memset(&c, 0, sizeof(c));
	c.fn = isinit;
	if (tracer_call(t, tid, &c, &ret, err, sizeof(err)) == 0 &&
	    (ret & 0xffffffff) != 0 && !p->px.armed && tr_bp_arm(p, &p->px)) {
		c.fn = addcall;
		c.args[0] = p->px.addr;
		c.args[1] = PENDING_MAGIC;
		c.nargs = 2;
		if (tracer_call(t, tid, &c, &ret, err, sizeof(err)) < 0 ||
		    (ret & 0xffffffff) != 0)
			tr_bp_disarm(p, &p->px);	/* queue full */
		else if (t->opt.verbose >= 2)
			fprintf(stderr, "pytap: pid %d: pending call queued (%#llx)\n",
				(int)p->pid, (unsigned long long)p->px.addr);
	}
	/* stopping it may have stopped others on their way (tr_handle in
	   M_STOP): all of them run on, but a hit not yet reported */
	for (struct tthr *o = t->threads; o; o = o->next)
		if (o->p == p && o->state == THR_STOPPED && !o->pending_hit &&
		    o != t->held && !(o->tid == tid && was_stopped))
			tr_resume(o);
}

int tracer_arm_safepoint(struct tracer *t, pid_t pid)
{
	struct tproc *p = find_proc(t, pid);

	if (p == NULL || !p->follow || p->shares_mm || t->opt.safepoint_sym == NULL)
		return -1;
	if (p->sp.armed)
		return 0;
	if (!p->sp.addr)
		p->sp.addr = proc_symbol(p, t->opt.safepoint_sym, NULL);
	if (!p->sp.addr) {
		p->sp_wanted = true;	/* pm_scan arms it once mapped */
		return -1;
	}
	p->sp_wanted = false;
	if (!tr_bp_arm(p, &p->sp))
		return -1;
	if (t->opt.verbose >= 2)
		fprintf(stderr, "pytap: waiting for pid %d to enter %s at %#llx\n",
			(int)p->pid, t->opt.safepoint_sym,
			(unsigned long long)p->sp.addr);
	arm_restore(p);
	kick(t, p);
	return 0;
}

void tracer_disarm_safepoint(struct tracer *t, pid_t pid)
{
	struct tproc *p = find_proc(t, pid);

	if (p)
		tr_safepoint_restore(p);
}

void tr_safepoint_restore(struct tproc *p)
{
	tr_bp_disarm(p, &p->sp);
	tr_bp_disarm(p, &p->px);
	tr_bp_disarm(p, &p->rs);
}

bool tr_inject_owns(const struct tproc *p, uint64_t addr)
{
	return addr && (addr == p->sp.addr || addr == p->px.addr ||
			addr == p->rs.addr);
}

void tr_inject_forget(struct tproc *p)
{
	memset(&p->sp, 0, sizeof(p->sp));
	memset(&p->px, 0, sizeof(p->px));
	memset(&p->rs, 0, sizeof(p->rs));
}

void tr_inject_copy(struct tproc *dst, const struct tproc *src)
{
	dst->sp = src->sp;
	dst->px = src->px;
	dst->rs = src->rs;
}

/* Step TH over the instruction at the safe point and put the int3 back:
 * the interpreter is not ready, the next thread to come is wanted. */
static void step_and_rearm(struct tthr *th)
{
	int status;

	if (ptrace(PTRACE_SINGLESTEP, th->tid, 0, 0) < 0)
		return;
	for (;;) {
		pid_t w = waitpid(th->tid, &status, __WALL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 || !WIFSTOPPED(status))
			return;		/* gone: the tracer sees it later */
		if (WSTOPSIG(status) == SIGTRAP && (status >> 16) == 0)
			break;
		if ((status >> 16) == 0 && WSTOPSIG(status) != SIGSTOP &&
		    !th->pending_sig)
			th->pending_sig = WSTOPSIG(status);
		if (ptrace(PTRACE_SINGLESTEP, th->tid, 0, 0) < 0)
			return;
	}
	th->state = THR_STOPPED;
	tr_bp_arm(th->p, &th->p->sp);
}

/* TH (stopped, holding the GIL between bytecodes) is the safe point: the
 * session's calls run with every int3 of this file out; when it wants
 * the next one (returns nonzero), PyEval_RestoreThread's and, if REARM_E,
 * the frame entry's go back in.  Returns what the session returned. */
static int use_safepoint(struct tracer *t, struct tthr *th, bool rearm_e)
{
	struct tproc *p = th->p;
	bool e = p->sp.armed;
	int again;

	th->state = THR_STOPPED;
	tr_safepoint_restore(p);	/* none fires inside the calls */
	again = t->opt.safepoint(t->opt.safepoint_ud, t, p->pid, th->tid);
	t->sp_called = true;
	if (again) {
		arm_restore(p);
		if (rearm_e && e)
			tr_bp_arm(p, &p->sp);
	}
	return again;
}

/* TH is on PyEval_RestoreThread's first byte (rip rewound there): pytap
 * makes the call for it, uses the safe point, then returns from it. */
static void restore_hit(struct tracer *t, struct tthr *th,
			struct user_regs_struct *regs)
{
	struct tproc *p = th->p;
	struct tracer_call c;
	uint64_t ret, retaddr;
	char err[256];

	tr_bp_disarm(p, &p->rs);	/* the call itself goes through there */
	memset(&c, 0, sizeof(c));
	c.fn = p->rs.addr;
	c.args[0] = regs->rdi;
	c.nargs = 1;
	if (tracer_call(t, th->tid, &c, &ret, err, sizeof(err)) < 0) {
		/* registers are back: it makes the call itself */
		if (t->opt.verbose)
			fprintf(stderr, "pytap: pid %d: safe point in thread %d lost: %s\n",
				(int)p->pid, (int)th->tid, err);
		arm_restore(p);
		return;
	}
	use_safepoint(t, th, true);
	/* the call is made: return from it (it returns void) */
	if (ptrace(PTRACE_GETREGS, th->tid, 0, regs) == 0 &&
	    pm_mem_read(p, regs->rsp, &retaddr, 8) == 0) {
		regs->rip = retaddr;
		regs->rsp += 8;
		ptrace(PTRACE_SETREGS, th->tid, 0, regs);
	}
}

/* TH called the pending call's "xor eax,eax; ret": maybe the safe point
 * (ours: rdi is the magic), then what those two instructions do. */
static void pendcall_hit(struct tracer *t, struct tthr *th,
			 struct user_regs_struct *regs, bool use)
{
	struct tproc *p = th->p;
	uint64_t retaddr;

	if (use && regs->rdi == PENDING_MAGIC) {
		use_safepoint(t, th, true);
		ptrace(PTRACE_GETREGS, th->tid, 0, regs);
	}
	if (pm_mem_read(p, regs->rsp, &retaddr, 8) == 0) {
		regs->rax = 0;
		regs->rip = retaddr;
		regs->rsp += 8;
		ptrace(PTRACE_SETREGS, th->tid, 0, regs);
	}			/* else rewound: it runs them for real */
}

void tr_inject_hit(struct tracer *t, struct tthr *th,
		   struct user_regs_struct *regs, bool run)
{
	struct tproc *p = th->p;
	uint64_t a = regs->rip - 1;
	struct tbp *bp = a == p->sp.addr ? &p->sp
			 : a == p->px.addr ? &p->px : &p->rs;
	bool armed = bp->armed;

	/* rewound: a stale stop (the int3 is gone) runs the original
	   instruction, one taken while threads are being stopped comes
	   back when resumed */
	regs->rip = a;
	ptrace(PTRACE_SETREGS, th->tid, 0, regs);
	if (!run || !armed || t->opt.safepoint == NULL)
		return;
	if (bp == &p->sp) {
		if (use_safepoint(t, th, false))
			step_and_rearm(th);
	} else if (bp == &p->px) {
		pendcall_hit(t, th, regs, true);
	} else {
		restore_hit(t, th, regs);
	}
}

static void put_regs_back(pid_t tid, const struct user_regs_struct *saved)
{
	ptrace(PTRACE_SETREGS, tid, 0, saved);
}

static int call_in(struct tracer *t, pid_t tid, const struct tracer_call *c,
		   uint64_t *ret, char *err, size_t errlen);

/* A thread the call makes is pytap's (tracee.c new_child: the agent's
 * watchdog), not the program's: no process.thread.begin/end for it. */
int tracer_call(struct tracer *t, pid_t tid, const struct tracer_call *c,
		uint64_t *ret, char *err, size_t errlen)
{
	pid_t outer = t->in_call;
	int rc;

	t->in_call = tid;
	rc = call_in(t, tid, c, ret, err, errlen);
	t->in_call = outer;
	return rc;
}

static int call_in(struct tracer *t, pid_t tid, const struct tracer_call *c,
		   uint64_t *ret, char *err, size_t errlen)
{
	struct tthr *th = tr_thr_find(t, tid);
	struct user_regs_struct saved, r;
	uint64_t sp, zero = 0, start, blob_addr = 0;
	int deferred = 0;
	bool warned = false;

	if (th == NULL || th->state != THR_STOPPED) {
		snprintf(err, errlen, "thread %d is not stopped", (int)tid);
		return -1;
	}
	if (ptrace(PTRACE_GETREGS, tid, 0, &saved) < 0) {
		snprintf(err, errlen, "cannot read thread %d's registers: %s",
			 (int)tid, strerror(errno));
		return -1;
	}
	r = saved;
	sp = saved.rsp - RED_ZONE;
	if (c->blob && c->bloblen) {
		sp = (sp - c->bloblen) & ~(uint64_t)15;
		blob_addr = sp;
		if (pm_mem_write(th->p, sp, c->blob, c->bloblen) < 0) {
			snprintf(err, errlen, "cannot write to thread %d's stack",
				 (int)tid);
			return -1;
		}
	}
	sp &= ~(uint64_t)15;
	sp -= 8;		/* at entry, rsp + 8 is 16-byte aligned */
	if (pm_mem_write(th->p, sp, &zero, 8) < 0) {
		snprintf(err, errlen, "cannot write to thread %d's stack",
			 (int)tid);
		return -1;
	}
	{
		uint64_t a[6] = { 0 };

		for (int i = 0; i < c->nargs && i < 6; i++)
			a[i] = c->args[i];
		if (blob_addr && c->blob_arg >= 0 && c->blob_arg < 6)
			a[c->blob_arg] = blob_addr;
		tr_set_args(&r, a, false);
	}
	r.rsp = sp;
	r.rip = c->fn;
	r.rax = 0;
	r.orig_rax = (unsigned long long)-1;
	if (ptrace(PTRACE_SETREGS, tid, 0, &r) < 0 ||
	    ptrace(PTRACE_CONT, tid, 0, 0) < 0) {
		put_regs_back(tid, &saved);
		snprintf(err, errlen, "cannot start the call in thread %d: %s",
			 (int)tid, strerror(errno));
		return -1;
	}
	th->state = THR_RUNNING;
	start = tr_now_ns();
	tr_wait_enter(t, start + CALL_WARN_NS);
	for (;;) {
		int status, sig;
		pid_t w = waitpid(tid, &status, __WALL);

		if (w < 0) {
			if (errno != EINTR) {
				tr_wait_leave(t);
				snprintf(err, errlen, "thread %d vanished during the call",
					 (int)tid);
				return -1;
			}
			if (!warned && tr_now_ns() - start >= CALL_WARN_NS) {
				fprintf(stderr, "pytap: thread %d has not returned from the agent's set-up call after 5 s; still waiting (Ctrl-C cannot cut it short safely)\n",
					(int)tid);
				warned = true;
			}
			continue;
		}
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			tr_wait_leave(t);
			/* the tracer's own bookkeeping sees the exit later
			   through the other threads or as ECHILD */
			snprintf(err, errlen, "thread %d ended during the call",
				 (int)tid);
			return -1;
		}
		if (!WIFSTOPPED(status))
			continue;
		sig = WSTOPSIG(status);
		if ((status >> 16) != 0) {
			/* a ptrace event (a thread made by the call, exit):
			   the tracer's handling, which resumes the thread */
			tr_wait_leave(t);
			tr_handle(t, tid, status, M_RUN, NULL, NULL);
			tr_wait_enter(t, start + CALL_WARN_NS);
			if (tr_thr_find(t, tid) == NULL) {
				tr_wait_leave(t);
				snprintf(err, errlen, "thread %d ended during the call",
					 (int)tid);
				return -1;
			}
			continue;
		}
		if (sig == SIGSEGV) {
			struct user_regs_struct after;

			if (ptrace(PTRACE_GETREGS, tid, 0, &after) == 0 &&
			    after.rip == 0) {
				*ret = after.rax;
				break;
			}
			/* a real fault inside the call: give the thread its
			   registers back rather than let it die */
			tr_wait_leave(t);
			put_regs_back(tid, &saved);
			th->state = THR_STOPPED;
			snprintf(err, errlen, "the call faulted in thread %d at %#llx",
				 (int)tid, (unsigned long long)after.rip);
			return -1;
		}
		if (sig == SIGTRAP) {
			/* one of pytap's int3s (an SDT site, the loader's
			   breakpoint): handled as anywhere else, resumed */
			tr_wait_leave(t);
			tr_handle(t, tid, status, M_RUN, NULL, NULL);
			tr_wait_enter(t, start + CALL_WARN_NS);
			th = tr_thr_find(t, tid);
			if (th == NULL) {
				tr_wait_leave(t);
				snprintf(err, errlen, "thread %d ended during the call",
					 (int)tid);
				return -1;
			}
			continue;
		}
		/* another signal for this thread: keep it for later */
		if (sig != SIGSTOP)
			deferred = sig;
		ptrace(PTRACE_CONT, tid, 0, 0);
	}
	tr_wait_leave(t);
	put_regs_back(tid, &saved);
	th->state = THR_STOPPED;
	if (deferred && !th->pending_sig)
		th->pending_sig = deferred;
	return 0;
}
