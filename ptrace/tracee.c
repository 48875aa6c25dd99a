/*
 * tracee.c - the traced threads and processes, and what their wait
 * statuses mean.
 *
 * Every tracee thread is in one of four states (struct tthr): RUNNING
 * (PTRACE_CONT), LISTEN (group-stopped, PTRACE_LISTEN), STOPPED (in a
 * ptrace-stop we hold) or NEWBORN (auto-attached by a clone/fork/vfork event,
 * initial stop not seen yet).  A new thread may report its initial stop
 * before its parent reports the event; such stops wait in the orphan list
 * until the event names them.
 *
 * tr_handle() decodes one wait status in one of two modes: RUN (normal
 * tracing: every stop is resumed at once except a hit, which is returned
 * and resumed by the next tracer_wait()) and STOP (attaching or detaching:
 * every thread is left stopped; a signal it was to get is kept in
 * pending_sig and delivered on resume or detach).
 *
 * fork: the child's bookkeeping is a copy of the parent's (its memory is a
 * copy too); a child not followed gets its bytes and semaphores restored in
 * its own memory and is detached.  vfork: the child shares the parent's
 * memory (shares_mm): nothing is restored or armed through it, and it is
 * kept until it execs or exits.  exec: the old bookkeeping is dropped (the
 * memory is gone), the new image is scanned, and a dynamically linked one
 * stops once at its entry point (AT_ENTRY) to arm the libraries the loader
 * mapped meanwhile.
 */
#include "procfs.h"
#include "tracer_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- processes and threads ---- */

struct tthr *tr_thr_find(const struct tracer *t, pid_t tid)
{
	struct tthr *th = t->hash[(unsigned)tid % NHASH];

	while (th && th->tid != tid)
		th = th->hnext;
	return th;
}

struct tthr *tr_thr_new(struct tracer *t, pid_t tid, struct tproc *p,
			    enum thr_state st)
{
	struct tthr *th = calloc(1, sizeof(*th));
	unsigned h = (unsigned)tid % NHASH;

	if (th == NULL)
		return NULL;
	th->tid = tid;
	th->p = p;
	th->state = st;
	th->hnext = t->hash[h];
	t->hash[h] = th;
	th->next = t->threads;
	if (t->threads)
		t->threads->prev = th;
	t->threads = th;
	return th;
}

void tr_thr_del(struct tracer *t, struct tthr *th)
{
	jr_aff_gone(th->tid);
	struct tthr **pp = &t->hash[(unsigned)th->tid % NHASH];

	while (*pp && *pp != th)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = th->hnext;
	if (th->prev)
		th->prev->next = th->next;
	else
		t->threads = th->next;
	if (th->next)
		th->next->prev = th->prev;
	if (t->held == th)
		t->held = NULL;
	if (th->pending_hit)
		t->npending_hits--;
	free(th);
}

struct tproc *tr_proc_new(struct tracer *t, pid_t pid)
{
	struct tproc *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->pid = pid;
	p->io_pid = pid;
	p->memfd = -1;
	p->follow = true;
	p->next = t->procs;
	t->procs = p;
	return p;
}

struct tproc *tr_proc_find(const struct tracer *t, pid_t pid)
{
	struct tproc *p;

	for (p = t->procs; p; p = p->next)
		if (p->pid == pid)
			return p;
	return NULL;
}

void tr_proc_del(struct tracer *t, struct tproc *p)
{
	struct tproc **pp;
	struct tthr *th, *next;

	for (th = t->threads; th; th = next) {
		next = th->next;
		if (th->p == p)
			tr_thr_del(t, th);
	}
	/* a vfork parent waits for this child no more */
	if (p->vfork_parent) {
		struct tthr *pt = tr_thr_find(t, p->vfork_parent);

		if (pt)
			pt->in_vfork = false;
	}
	pm_drop(p);
	free(p->exe);
	if (p->memfd >= 0)
		close(p->memfd);
	for (pp = &t->procs; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	free(p);
}

/* ---- CPU pinning ---- */

/* The CPU thread PID last ran on (/proc/PID/stat field 39), or -1. */
static int last_cpu(pid_t pid)
{
	char buf[1024];
	const char *s = procfs_stat(pid, 0, buf, sizeof(buf));
	int cpu = -1;

	/* s: the blank before field 3; fields 3..38, then processor */
	for (int field = 3; s && field < 39; field++)
		s = strchr(s + 1, ' ');
	if (s == NULL || sscanf(s, " %d", &cpu) != 1)
		return -1;
	return cpu;
}

/*
 * Pin pytap to one CPU: the one NEAR (a pid, 0 = none) last ran on if
 * pytap may run there, else the one pytap runs on now.  Traced threads
 * are then pinned to it too (tr_pin_thread).
 */
void tr_pin_self(struct tracer *t, pid_t near)
{
	cpu_set_t one;
	int cpu = -1;

	if (!t->opt.pin_cpu || t->self_pinned)
		return;
	if (sched_getaffinity(0, sizeof(t->self_mask), &t->self_mask) < 0)
		return;
	if (near > 0) {
		cpu = last_cpu(near);
		if (cpu >= 0 && (cpu >= CPU_SETSIZE ||
				 !CPU_ISSET(cpu, &t->self_mask)))
			cpu = -1;
	}
	if (cpu < 0)
		cpu = sched_getcpu();
	if (cpu < 0)
		return;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	if (sched_setaffinity(0, sizeof(one), &one) < 0)
		return;
	t->cpu = cpu;
	t->self_pinned = true;
}

void tr_unpin_self(struct tracer *t)
{
	if (t->self_pinned)
		sched_setaffinity(0, sizeof(t->self_mask), &t->self_mask);
	t->self_pinned = false;
}

/* Record TH's affinity (unless inherited from its parent) and pin it. */
void tr_pin_thread(struct tracer *t, struct tthr *th)
{
	cpu_set_t one;

	if (!t->self_pinned)
		return;
	if (!th->have_mask) {
		if (sched_getaffinity(th->tid, sizeof(th->orig_mask),
				      &th->orig_mask) < 0)
			return;
		th->have_mask = true;
	}
	CPU_ZERO(&one);
	CPU_SET(t->cpu, &one);
	jr_aff(th->p->pid, th->tid, t->cpu, &th->orig_mask);
	sched_setaffinity(th->tid, sizeof(one), &one);
}

/* Give TH its affinity back, unless it set one of its own meanwhile. */
void tr_unpin_thread(struct tracer *t, struct tthr *th)
{
	cpu_set_t now;

	if (th->have_mask && t->self_pinned &&
	    sched_getaffinity(th->tid, sizeof(now), &now) == 0 &&
	    CPU_COUNT(&now) == 1 && CPU_ISSET(t->cpu, &now))
		sched_setaffinity(th->tid, sizeof(th->orig_mask),
				  &th->orig_mask);
	th->have_mask = false;
	jr_aff_gone(th->tid);
}

/* ---- resuming and detaching ---- */

void tr_resume(struct tthr *th)
{
	if (th->group_stop) {
		if (ptrace(PTRACE_LISTEN, th->tid, 0, 0) == 0) {
			th->state = THR_LISTEN;
			return;
		}
	}
	ptrace(PTRACE_CONT, th->tid, 0, (void *)(long)th->pending_sig);
	th->pending_sig = 0;
	th->state = THR_RUNNING;
}

void tr_detach_thread(struct tracer *t, struct tthr *th)
{
	tr_unpin_thread(t, th);
	ptrace(PTRACE_DETACH, th->tid, 0, (void *)(long)th->pending_sig);
	tr_thr_del(t, th);
}

static bool is_stop_sig(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN ||
	       sig == SIGTTOU;
}

/* Queue EX for tracer_wait(); the queue owns a copy of its exe. */
void tr_exit_push(struct tracer *t, const struct tracer_exit *ex)
{
	struct tracer_exit *n = realloc(t->exitq,
					(t->nexitq + 1) * sizeof(*n));

	if (n == NULL)
		return;
	t->exitq = n;
	t->exitq[t->nexitq] = *ex;
	t->exitq[t->nexitq].exe = strdup(ex->exe ? ex->exe : "");
	t->nexitq++;
}

/* Read /proc/PID/exe into P->exe (kept if unreadable). */
void tr_proc_set_exe(struct tproc *p)
{
	char path[64], exe[4096];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)p->io_pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	if (n <= 0)
		return;
	exe[n] = '\0';
	free(p->exe);
	p->exe = strdup(exe);
}

/* Queue a process event of followed process P (opt.proc_events). */
void tr_pev_push(struct tracer *t, enum tracer_pkind kind, struct tproc *p,
		 pid_t tid, const char *old_exe)
{
	struct pev *n;

	if (!t->opt.proc_events || !p->follow)
		return;
	if (kind == TPE_BEGIN) {
		if (p->begun)
			return;
		p->begun = true;
	} else if (!p->begun) {
		return;	/* attaching: its threads are announced with it */
	}
	n = realloc(t->pevq, (t->npevq + 1) * sizeof(*n));
	if (n == NULL)
		return;
	t->pevq = n;
	n = &t->pevq[t->npevq++];
	memset(n, 0, sizeof(*n));
	n->e.kind = kind;
	n->e.pid = p->pid;
	n->e.tid = tid;
	n->e.is_target = p->is_target;
	n->exe = strdup(p->exe ? p->exe : "");
	n->old_exe = strdup(old_exe ? old_exe : "");
}

static void orphan_add(struct tracer *t, pid_t tid, int status)
{
	struct orphan *n = realloc(t->orphans,
				   (t->norphans + 1) * sizeof(*n));

	if (n == NULL)
		return;
	t->orphans = n;
	t->orphans[t->norphans].tid = tid;
	t->orphans[t->norphans].status = status;
	t->norphans++;
}

static bool orphan_take(struct tracer *t, pid_t tid, int *status)
{
	for (size_t i = 0; i < t->norphans; i++) {
		if (t->orphans[i].tid == tid) {
			*status = t->orphans[i].status;
			t->orphans[i] = t->orphans[--t->norphans];
			return true;
		}
	}
	return false;
}

/* ---- the entry-point breakpoint (dynamically linked programs) ---- */

void tr_set_entry_bp(struct tracer *t, struct tproc *p)
{
	bool fb, fe;
	uint64_t base = pm_auxv(p->io_pid, AT_BASE, &fb);
	uint64_t entry = pm_auxv(p->io_pid, AT_ENTRY, &fe);
	struct tbp bp = { .addr = entry };

	p->fresh_exec = false;
	if (!fe || !fb || base == 0 || entry == 0)
		return;		/* static: everything is mapped already */
	if (!tr_bp_arm(p, &bp))
		return;
	p->entry = bp;
	if (t->opt.verbose >= 2)
		fprintf(stderr, "pytap: stopping pid %d at its entry point %#llx\n",
			(int)p->pid, (unsigned long long)entry);
}

/* TH stopped on the entry breakpoint with REGS: undo it, rescan. */
static void entry_hit(struct tracer *t, struct tthr *th,
		      struct user_regs_struct *regs, enum hmode mode)
{
	struct tproc *p = th->p;

	tr_bp_disarm(p, &p->entry);
	regs->rip = p->entry.addr;
	ptrace(PTRACE_SETREGS, th->tid, 0, regs);
	if (t->opt.verbose >= 2)
		fprintf(stderr, "pytap: pid %d reached its entry point %#llx\n",
			(int)p->pid, (unsigned long long)p->entry.addr);
	if (mode == M_RUN) {
		/* the C library is mapped now: the SIGTRAP handler */
		jr_trap_install(t, p, th->tid);
		pm_scan(t, p);
	} else
		p->scanned = false;	/* attach rescans, detach doesn't care */
}

/* ---- events ---- */

static enum hres newborn_ready(struct tracer *t, struct tthr *th,
			       enum hmode mode)
{
	struct tproc *p = th->p;

	if (th->newproc && !p->follow && !p->shares_mm) {
		/* a fork child we do not follow: clean its copy, let go */
		if (t->opt.verbose >= 1)
			fprintf(stderr, "pytap: not following child %d\n",
				(int)p->pid);
		pm_restore(t, p);
		jr_trap_restore(t, p, th->tid);
		tr_detach_thread(t, th);
		tr_proc_del(t, p);
		return H_NONE;
	}
	if (th->newproc)
		tr_pev_push(t, TPE_BEGIN, p, p->pid, NULL);
	else if (!th->ours)
		tr_pev_push(t, TPE_THREAD_BEGIN, p, th->tid, NULL);
	th->newproc = false;
	if (mode == M_RUN)
		tr_resume(th);
	return H_NONE;
}

static void initial_stop(struct tthr *th, int status)
{
	th->state = THR_STOPPED;
	th->ev_stop = (status >> 16) != 0 &&
		      (status >> 16) != PTRACE_EVENT_STOP;
	if (WIFSTOPPED(status) && (status >> 16) == 0 &&
	    WSTOPSIG(status) != SIGSTOP && WSTOPSIG(status) != SIGTRAP)
		th->pending_sig = WSTOPSIG(status);
}

static enum hres new_child(struct tracer *t, struct tthr *pth, pid_t ctid,
			   int ev, enum hmode mode)
{
	struct tproc *pp = pth->p, *np = pp;
	struct tthr *th;
	int st;

	if (ctid <= 0)
		return H_NONE;
	if (ev != PTRACE_EVENT_CLONE) {
		np = tr_proc_new(t, ctid);
		if (np == NULL)
			return H_NONE;
		np->follow = t->opt.follow_forks && pp->follow;
		np->shares_mm = ev == PTRACE_EVENT_VFORK;
		if (np->shares_mm) {
			np->vfork_parent = pth->tid;
			pth->in_vfork = true;
		}
		pm_copy(np, pp);
		if (t->opt.verbose >= 2)
			fprintf(stderr, "pytap: pid %d %s child %d\n",
				(int)pp->pid, np->shares_mm ? "vforked" :
				"forked", (int)ctid);
	}
	th = tr_thr_new(t, ctid, np, THR_NEWBORN);
	if (th == NULL)
		return H_NONE;
	th->newproc = ev != PTRACE_EVENT_CLONE;
	if (ev == PTRACE_EVENT_CLONE && t->in_call == pth->tid)
		th->ours = th->end_reported = true;
	th->have_mask = pth->have_mask;
	th->orig_mask = pth->orig_mask;
	if (th->have_mask && t->self_pinned)	/* inherited the pin */
		jr_aff(np->pid, ctid, t->cpu, &th->orig_mask);
	if (orphan_take(t, ctid, &st)) {
		initial_stop(th, st);
		return newborn_ready(t, th, mode);
	}
	if (mode == M_RUN) {
		/* its first stop comes at once: take it now, not when a
		   wait for any thread gets to it.  A wait for one thread
		   alone (an injected call, stop_one) would leave it stopped
		   while its parent may wait for it: Thread.start(), the
		   agent's watchdog joined at exit (that hung) */
		pid_t r;

		while ((r = waitpid(ctid, &st, __WALL)) < 0 && errno == EINTR)
			;
		if (r == ctid)
			return tr_handle(t, ctid, st, mode, NULL, NULL);
	}
	return H_NONE;
}

/* Handle the exec event of TH; returns false if TH is gone. */
static bool do_exec(struct tracer *t, struct tthr *th, enum hmode mode)
{
	struct tproc *p = th->p;
	unsigned long former = 0;
	struct tthr *o, *next;

	char *old_exe = p->exe;

	ptrace(PTRACE_GETEVENTMSG, th->tid, 0, &former);
	for (o = t->threads; o; o = next) {
		next = o->next;
		if (o->p != p || o == th)
			continue;
		if (o->tid == (pid_t)former && o->have_mask) {
			th->have_mask = true;
			th->orig_mask = o->orig_mask;
		}
		/* exec ended the other threads (the one that exec'd goes on
		   as the leader) */
		if (o->tid != (pid_t)former && !o->end_reported)
			tr_pev_push(t, TPE_THREAD_END, p, o->tid, NULL);
		tr_thr_del(t, o);
	}
	p->exe = NULL;
	th->exiting = false;
	th->group_stop = false;
	th->in_vfork = false;
	pm_drop(p);
	if (p->vfork_parent) {
		struct tthr *pt = tr_thr_find(t, p->vfork_parent);

		if (pt)
			pt->in_vfork = false;
		p->vfork_parent = 0;
	}
	p->shares_mm = false;
	if (!p->follow) {
		free(old_exe);
		tr_detach_thread(t, th);
		tr_proc_del(t, p);
		return false;
	}
	p->io_pid = p->pid;
	pm_mem_open(p);
	tr_proc_set_exe(p);
	if (p->begun)
		tr_pev_push(t, TPE_EXEC, p, p->pid, old_exe ? old_exe : "");
	else
		tr_pev_push(t, TPE_BEGIN, p, p->pid, NULL);
	free(old_exe);
	p->fresh_exec = true;
	if (t->opt.verbose >= 1)
		fprintf(stderr, "pytap: pid %d called exec\n", (int)p->pid);
	if (mode == M_RUN) {
		pm_scan(t, p);
		tr_set_entry_bp(t, p);
	}
	return true;
}

static enum hres thread_gone(struct tracer *t, struct tthr *th, int status,
			     enum hmode mode, struct tracer_exit *ex)
{
	struct tproc *p = th->p;
	struct tracer_exit e;

	if (th->tid != p->pid) {
		struct tthr *o;

		pid_t gone = th->tid;

		if (!th->end_reported)
			tr_pev_push(t, TPE_THREAD_END, p, th->tid, NULL);
		tr_thr_del(t, th);
		/* the last thread of a process whose leader we never held
		 * (it had exited before we attached): nothing to report */
		for (o = t->threads; o && o->p != p; o = o->next)
			;
		if (o == NULL && tr_thr_find(t, p->pid) == NULL)
			tr_proc_del(t, p);
		else if (o && p->io_pid == gone)
			p->io_pid = o->tid;
		return H_NONE;
	}
	e.pid = p->pid;
	e.status = status;
	e.is_target = p->is_target;
	free(t->last_exit_exe);
	t->last_exit_exe = strdup(p->exe ? p->exe : "");
	e.exe = t->last_exit_exe ? t->last_exit_exe : "";
	bool report = p->follow;

	if (t->opt.verbose >= 2)
		fprintf(stderr, "pytap: pid %d ended\n", (int)p->pid);
	tr_proc_del(t, p);
	if (!report)
		return H_NONE;
	if (mode == M_RUN && ex) {
		*ex = e;
		return H_EXIT;
	}
	tr_exit_push(t, &e);
	return H_NONE;
}

void tr_set_pending_hit(struct tracer *t, struct tthr *th, bool on)
{
	if (th->pending_hit == on)
		return;
	th->pending_hit = on;
	if (on) {
		t->npending_hits++;
		th->pending_seq = ++t->pending_seq;
	} else {
		t->npending_hits--;
	}
}

/* Fill HIT for TH stopped with REGS on site S. */
void tr_fill_hit(struct tthr *th, const struct user_regs_struct *regs,
		     const struct site *s, struct tracer_hit *hit)
{
	hit->pid = th->p->pid;
	hit->tid = th->tid;
	hit->regs = *regs;
	hit->probe = s->probe;
	hit->object = s->obj->path;
	hit->addr = s->addr;
	hit->ids = s->ids;
	hit->nids = s->nids;
}

/* Decode one wait status of TID. */
enum hres tr_handle(struct tracer *t, pid_t tid, int status,
			enum hmode mode, struct tracer_hit *hit,
			struct tracer_exit *ex)
{
	struct tthr *th = tr_thr_find(t, tid);
	int sig, ev;

	if (th == NULL) {
		if (!WIFSTOPPED(status))
			return H_NONE;	/* a thread we already let go of */
		if ((status >> 16) == PTRACE_EVENT_EXIT) {
			ptrace(PTRACE_CONT, tid, 0, 0);
			return H_NONE;
		}
		/* a new thread whose parent's event comes later */
		orphan_add(t, tid, status);
		return H_NONE;
	}
	if (WIFEXITED(status) || WIFSIGNALED(status))
		return thread_gone(t, th, status, mode, ex);
	if (!WIFSTOPPED(status))
		return H_NONE;
	if (th->state == THR_NEWBORN) {
		initial_stop(th, status);
		return newborn_ready(t, th, mode);
	}
	sig = WSTOPSIG(status);
	ev = status >> 16;
	th->state = THR_STOPPED;
	th->ev_stop = ev != 0 && ev != PTRACE_EVENT_STOP;
	switch (ev) {
	case PTRACE_EVENT_CLONE:
	case PTRACE_EVENT_FORK:
	case PTRACE_EVENT_VFORK: {
		unsigned long msg = 0;

		th->group_stop = false;
		ptrace(PTRACE_GETEVENTMSG, tid, 0, &msg);
		new_child(t, th, (pid_t)msg, ev, mode);
		break;
	}
	case PTRACE_EVENT_EXEC:
		if (!do_exec(t, th, mode))
			return H_NONE;
		break;
	case PTRACE_EVENT_EXIT:
		th->exiting = true;
		if (th->tid != th->p->pid && !th->end_reported) {
			tr_pev_push(t, TPE_THREAD_END, th->p, th->tid, NULL);
			th->end_reported = true;
		}
		break;
	case PTRACE_EVENT_STOP:
		/* group-stop, or PTRACE_INTERRUPT / LISTEN wake-up */
		th->group_stop = is_stop_sig(sig);
		if (th->vfork_attach) {
			/* back from the vfork() it was in at attach: the
			   SIGTRAP handler if no other thread could take it */
			th->vfork_attach = false;
			th->in_vfork = false;
			if (mode == M_RUN && !th->group_stop && th->p->scanned)
				jr_trap_install(t, th->p, tid);
		}
		break;
	case 0:
		th->group_stop = false;
		if (sig == SIGTRAP) {
			struct tproc *p = th->p;
			struct user_regs_struct regs;

			if (ptrace(PTRACE_GETREGS, tid, 0, &regs) == 0) {
				uint64_t a = regs.rip - 1;
				struct site *s;

				if (p->entry.armed && a == p->entry.addr) {
					entry_hit(t, th, &regs, mode);
					break;
				}
				if (tr_inject_owns(p, a)) {
					tr_inject_hit(t, th, &regs,
						      mode == M_RUN);
					break;
				}
				if (p->rbrk.armed && a == p->rbrk.addr &&
				    pm_rbrk_hit(t, th, &regs, mode))
					break;
				s = pm_find_site(p, a);
				if (s && s->armed) {
					if (!p->follow)
						break;
					if (mode == M_RUN && hit) {
						tr_fill_hit(th, &regs, s, hit);
						return H_HIT;
					}
					tr_set_pending_hit(t, th, true);
					break;
				}
			}
			/* the program's own SIGTRAP (raise, a debug trap of
			   its own): it gets its own disposition back, so
			   that it acts as it would untraced */
			if (th->p->trap.ours) {
				jr_trap_restore(t, th->p, tid);
				/* the thread is in an interrupt stop now,
				   where no signal can be handed back: queue
				   it again, it stops with it once more */
				if (!th->p->trap.ours) {
					syscall(SYS_tgkill, th->p->pid, tid,
						SIGTRAP);
					break;
				}
			}
		}
		th->pending_sig = sig;
		break;
	default:
		break;
	}
	if (mode == M_RUN)
		tr_resume(th);
	return H_NONE;
}

static bool must_wait(const struct tthr *th, const struct tproc *only)
{
	if (only && th->p != only)
		return false;
	if (th->exiting)
		return false;
	if (th->state == THR_NEWBORN)
		return true;
	if (th->state == THR_STOPPED)
		return false;
	return !th->in_vfork;
}

pid_t tr_wait_any(int *status)
{
	pid_t pid = waitpid(-1, status, __WALL);

	if (pid < 0)
		return errno == EINTR ? 0 : -1;
	return pid;
}

int tr_wait_stop_one(struct tracer *t)
{
	int status;
	pid_t pid = tr_wait_any(&status);

	if (pid <= 0)
		return pid == 0 ? 1 : -1;
	tr_handle(t, pid, status, M_STOP, NULL, NULL);
	return 0;
}

/*
 * Bring every thread (of ONLY, if not NULL) into a ptrace-stop (mode
 * STOP), waiting at most TIMEOUT_MS.  Threads past their exit event, and
 * vfork parents that cannot stop until their child execs, are not waited
 * for.  Other threads that stop meanwhile stay stopped too.
 */
void tr_stop_all(struct tracer *t, struct tproc *only, int timeout_ms)
{
	uint64_t deadline = tr_now_ns() + (uint64_t)timeout_ms * 1000000u;
	struct tthr *th;

	for (th = t->threads; th; th = th->next)
		if ((th->state == THR_RUNNING || th->state == THR_LISTEN) &&
		    !th->exiting && !th->in_vfork &&
		    (only == NULL || th->p == only))
			ptrace(PTRACE_INTERRUPT, th->tid, 0, 0);
	tr_wait_enter(t, deadline);
	for (;;) {
		for (th = t->threads; th; th = th->next)
			if (must_wait(th, only))
				break;
		if (th == NULL)
			break;
		if (tr_now_ns() >= deadline) {
			if (t->opt.verbose >= 1)
				fprintf(stderr,
					"pytap: thread %d did not stop\n",
					(int)th->tid);
			break;
		}
		if (tr_wait_stop_one(t) < 0)
			break;
	}
	tr_wait_leave(t);
}

void tr_resume_all(struct tracer *t)
{
	for (struct tthr *th = t->threads; th; th = th->next)
		if (th->state == THR_STOPPED && !th->pending_hit)
			tr_resume(th);
}

/* An orphan at detach: a new thread or process whose parent's event we
 * never saw.  A process gets its parent's bytes and semaphores back unless
 * it shares the parent's memory (vfork): those its parent had armed at any
 * time (a byte is only written back where it still is 0xcc; a semaphore
 * at 0 is left alone). */
void tr_detach_orphan(struct tracer *t, const struct orphan *o)
{
	long tgid = tr_status_field(o->tid, "Tgid", NULL, 0);
	long ppid = tr_status_field(o->tid, "PPid", NULL, 0);
	int sig = 0;

	if (WIFSTOPPED(o->status) && (o->status >> 16) == 0 &&
	    WSTOPSIG(o->status) != SIGSTOP && WSTOPSIG(o->status) != SIGTRAP)
		sig = WSTOPSIG(o->status);
	if (tgid == o->tid && ppid > 0) {
		struct tproc *pp = tr_proc_find(t, (pid_t)ppid);
		bool vf = false;

		/* a vfork child shares its parent's memory: leave it */
		for (struct tthr *th = t->threads; th; th = th->next)
			if (th->p == pp && th->in_vfork)
				vf = true;
		if (pp && !vf) {
			struct tproc tmp = { .pid = o->tid, .io_pid = o->tid,
					     .memfd = -1 };

			if (pm_copy(&tmp, pp) == 0) {
				for (size_t i = 0; i < tmp.nsites; i++) {
					tmp.sites[i].armed = tmp.sites[i].ever_armed;
					tmp.sites[i].sema_raised =
						tmp.sites[i].ever_raised;
				}
				tmp.entry.armed = tmp.entry.addr != 0;
				tmp.rbrk.armed = tmp.rbrk.addr != 0;
				pm_restore(t, &tmp);
				if ((o->status >> 16) == 0 ||
				    (o->status >> 16) == PTRACE_EVENT_STOP)
					jr_trap_restore(t, &tmp, o->tid);
			}
			pm_drop(&tmp);
			free(tmp.exe);
			if (tmp.memfd >= 0)
				close(tmp.memfd);
		}
	}
	ptrace(PTRACE_DETACH, o->tid, 0, (void *)(long)sig);
}

/* Is SIGTRAP pending for thread TID (its private set)? */
static bool trap_pending(pid_t pid, pid_t tid)
{
	char v[256];

	if (procfs_status(pid, tid, "SigPnd", v, sizeof(v)) < 0)
		return false;
	return (strtoull(v, NULL, 16) >> (SIGTRAP - 1)) & 1;
}

/*
 * A thread that executed one of our int3s just before PTRACE_INTERRUPT
 * reports the interrupt first and still has the SIGTRAP queued: detached,
 * it would die of it.  Let each such thread take its SIGTRAP while traced
 * (it stops again at once, tr_handle() recognizes the site and drops it).
 */
void tr_flush_traps(struct tracer *t)
{
	for (int round = 0; round < 8; round++) {
		bool again = false;

		for (struct tthr *th = t->threads; th; th = th->next) {
			struct user_regs_struct regs;
			struct site *s;
			int status;
			pid_t r;

			if (th->state != THR_STOPPED || th->exiting ||
			    !trap_pending(th->p->pid, th->tid))
				continue;
			if (ptrace(PTRACE_GETREGS, th->tid, 0, &regs) < 0)
				continue;
			s = pm_find_site(th->p, regs.rip - 1);
			if (!(s && s->armed) &&
			    !(th->p->entry.armed && regs.rip - 1 == th->p->entry.addr) &&
			    !tr_inject_owns(th->p, regs.rip - 1) &&
			    !(th->p->rbrk.armed && regs.rip - 1 == th->p->rbrk.addr))
				continue;
			if (ptrace(PTRACE_CONT, th->tid, 0, 0) < 0)
				continue;
			th->state = THR_RUNNING;
			do
				r = waitpid(th->tid, &status, __WALL);
			while (r < 0 && errno == EINTR);
			if (r == th->tid)
				tr_handle(t, r, status, M_STOP, NULL, NULL);
			again = true;
			break;	/* the thread list may have changed */
		}
		if (!again)
			break;
	}
}
