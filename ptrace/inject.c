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
 * tracer_call: the thread's registers are saved; below its stack pointer
 * (past the 128-byte red zone, 16-byte aligned) go an optional blob (a
 * string argument) and a return address of 0; rip = the function, the
 * arguments in rdi, rsi, rdx, rcx, r8, r9.  The function returns to 0 and
 * faults there (SIGSEGV, never delivered): its rax is the result, then the
 * saved registers are put back.  Other threads keep running meanwhile (a
 * lock they hold may be needed).
 */
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

int tracer_arm_safepoint(struct tracer *t, pid_t pid)
{
	struct tproc *p = find_proc(t, pid);
	unsigned char b, cc = INT3;
	uint64_t a;

	if (p == NULL || !p->follow || p->shares_mm || t->opt.safepoint_sym == NULL)
		return -1;
	if (p->sp_armed)
		return 0;
	a = p->sp_addr ? p->sp_addr : proc_symbol(p, t->opt.safepoint_sym, NULL);
	if (a == 0) {
		p->sp_wanted = true;	/* pm_scan arms it once mapped */
		return -1;
	}
	p->sp_wanted = false;
	if (pm_mem_read(p, a, &b, 1) < 0 || b == INT3)
		return -1;
	if (pm_mem_write(p, a, &cc, 1) < 0)
		return -1;
	p->sp_addr = a;
	p->sp_orig = b;
	p->sp_armed = true;
	if (t->opt.verbose >= 2)
		fprintf(stderr, "pytap: waiting for pid %d to enter %s at %#llx\n",
			(int)p->pid, t->opt.safepoint_sym, (unsigned long long)a);
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
	unsigned char b;

	if (!p->sp_armed)
		return;
	if (!p->shares_mm && pm_mem_read(p, p->sp_addr, &b, 1) == 0 &&
	    b == INT3)
		pm_mem_write(p, p->sp_addr, &p->sp_orig, 1);
	p->sp_armed = false;
}

/* TH stopped on the safe-point int3 (armed or a late one) with REGS. */
void tr_safepoint_hit(struct tracer *t, struct tthr *th,
		      struct user_regs_struct *regs, bool run)
{
	struct tproc *p = th->p;
	bool was_armed = p->sp_armed;

	tr_safepoint_restore(p);
	regs->rip = p->sp_addr;
	ptrace(PTRACE_SETREGS, th->tid, 0, regs);
	if (!was_armed || !run || t->opt.safepoint == NULL)
		return;
	th->state = THR_STOPPED;
	t->opt.safepoint(t->opt.safepoint_ud, t, p->pid, th->tid);
	t->sp_called = true;
}

static void put_regs_back(pid_t tid, const struct user_regs_struct *saved)
{
	ptrace(PTRACE_SETREGS, tid, 0, saved);
}

int tracer_call(struct tracer *t, pid_t tid, const struct tracer_call *c,
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
		r.rdi = a[0];
		r.rsi = a[1];
		r.rdx = a[2];
		r.rcx = a[3];
		r.r8 = a[4];
		r.r9 = a[5];
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
		/* another signal for this thread: keep it for later */
		if (sig != SIGSTOP && sig != SIGTRAP)
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
