/*
 * tracer.c - the ptrace engine: launch (-c) or attach to (-x) a process,
 * follow its threads, forks and execs, report hits on armed SDT sites one
 * at a time, and put everything back on detach.  What is mapped and armed
 * where lives in procmaps.c.
 *
 * Every tracee thread is in one of four states (struct tthr): RUNNING
 * (PTRACE_CONT), LISTEN (group-stopped, PTRACE_LISTEN), STOPPED (in a
 * ptrace-stop we hold) or NEWBORN (auto-attached by a clone/fork/vfork event,
 * initial stop not seen yet).  A new thread may report its initial stop
 * before its parent reports the event; such stops wait in the orphan list
 * until the event names them.
 *
 * Wait statuses are decoded in one place, handle(), in one of two modes:
 * RUN (normal tracing: every stop is resumed at once except a hit, which is
 * returned and resumed by the next tracer_wait()) and STOP (attaching or
 * detaching: every thread is left stopped, signals it was to get are kept
 * in pending_sig and delivered on resume or detach).
 *
 * The hit path: waitpid -> SIGTRAP -> PTRACE_GETREGS -> binary search for
 * rip-1 among the process's sites -> TEV_HIT; the next tracer_wait() does
 * PTRACE_CONT.  Registers are never written back (the int3 replaced a
 * 1-byte nop: rip = site+1 is already where execution goes on), except at
 * the one-shot entry-point breakpoint.
 */
#include "tracer_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PTRACE_OPTS (PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK | \
		     PTRACE_O_TRACEVFORK | PTRACE_O_TRACEEXEC | \
		     PTRACE_O_TRACEEXIT)
#define NHASH 1024
#define STOP_TIMEOUT_MS 3000

struct orphan {
	pid_t tid;
	int status;
};

struct tracer {
	struct tracer_options opt;
	struct tracer_request *reqs;
	size_t nreqs;
	struct tproc *procs;
	struct tthr *threads;		/* list of all */
	struct tthr *hash[NHASH];
	struct tobj *cache;		/* every ELF file read */
	struct tobj **objs;		/* scanned objects, for tracer_objects */
	size_t nobjs;
	struct tracer_object *objout;
	struct tthr *held;		/* reported in TEV_HIT, to resume */
	size_t npending_hits;		/* threads with pending_hit */
	struct orphan *orphans;
	size_t norphans;
	struct tracer_exit *exitq;	/* exits seen while stopping */
	size_t nexitq;
	int last_signal;
	bool attached;			/* launch or attach succeeded */
	int cpu;			/* pin_cpu: the CPU */
	bool self_pinned;
	cpu_set_t self_mask;
	bool have_timer;
	timer_t timer;
	bool handlers;
	struct sigaction old_act[5];
};

enum hres { H_NONE, H_HIT, H_EXIT };
enum hmode { M_RUN, M_STOP };

/* ---- signals and the deadline timer ---- */

static const int caught_sigs[4] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE };
static volatile sig_atomic_t g_sig;
static volatile sig_atomic_t g_in_wait;
static volatile sig_atomic_t g_have_timer;
static timer_t g_timer;

/* Fire SIGALRM every millisecond from now on: a signal that arrived just
 * before waitpid() blocked gets it interrupted within a millisecond. */
static void timer_retry(void)
{
	struct itimerspec its = { { 0, 1000000 }, { 0, 1000000 } };

	if (g_have_timer)
		timer_settime(g_timer, 0, &its, NULL);
}

static void on_signal(int sig)
{
	int e = errno;

	g_sig = sig;
	if (g_in_wait)
		timer_retry();
	errno = e;
}

static void on_alarm(int sig)
{
	(void)sig;
}

static void timer_deadline(uint64_t ns)
{
	struct itimerspec its = { { 0, 1000000 },
				  { (time_t)(ns / 1000000000u),
				    (long)(ns % 1000000000u) } };

	if (g_have_timer)
		timer_settime(g_timer, TIMER_ABSTIME, &its, NULL);
}

static void timer_off(void)
{
	struct itimerspec its = { { 0, 0 }, { 0, 0 } };

	if (g_have_timer)
		timer_settime(g_timer, 0, &its, NULL);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void seterr(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

/* ---- accessors for procmaps.c ---- */

const struct tracer_options *tr_opts(const struct tracer *t)
{
	return &t->opt;
}

size_t tr_nreqs(const struct tracer *t)
{
	return t->nreqs;
}

const struct tracer_request *tr_req(const struct tracer *t, size_t i)
{
	return &t->reqs[i];
}

struct tobj **tr_cache(struct tracer *t)
{
	return &t->cache;
}

void tr_list_object(struct tracer *t, struct tobj *o, bool first)
{
	struct tobj **n;

	if (o->listed)
		return;
	for (size_t i = 0; i < t->nobjs; i++)
		if (strcmp(t->objs[i]->path, o->path) == 0)
			return;
	n = realloc(t->objs, (t->nobjs + 1) * sizeof(*n));
	if (n == NULL)
		return;
	t->objs = n;
	if (first) {
		memmove(t->objs + 1, t->objs, t->nobjs * sizeof(*n));
		t->objs[0] = o;
	} else {
		t->objs[t->nobjs] = o;
	}
	t->nobjs++;
	o->listed = true;
}

/* ---- processes and threads ---- */

static struct tthr *thr_find(const struct tracer *t, pid_t tid)
{
	struct tthr *th = t->hash[(unsigned)tid % NHASH];

	while (th && th->tid != tid)
		th = th->hnext;
	return th;
}

static struct tthr *thr_new(struct tracer *t, pid_t tid, struct tproc *p,
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

static void thr_del(struct tracer *t, struct tthr *th)
{
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

static struct tproc *proc_new(struct tracer *t, pid_t pid)
{
	struct tproc *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->pid = pid;
	p->memfd = -1;
	p->follow = true;
	p->next = t->procs;
	t->procs = p;
	return p;
}

static struct tproc *proc_find(const struct tracer *t, pid_t pid)
{
	struct tproc *p;

	for (p = t->procs; p; p = p->next)
		if (p->pid == pid)
			return p;
	return NULL;
}

static void proc_del(struct tracer *t, struct tproc *p)
{
	struct tproc **pp;
	struct tthr *th, *next;

	for (th = t->threads; th; th = next) {
		next = th->next;
		if (th->p == p)
			thr_del(t, th);
	}
	/* a vfork parent waits for this child no more */
	if (p->vfork_parent) {
		struct tthr *pt = thr_find(t, p->vfork_parent);

		if (pt)
			pt->in_vfork = false;
	}
	pm_drop(p);
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

static void pin_self(struct tracer *t)
{
	cpu_set_t one;
	int cpu;

	if (!t->opt.pin_cpu || t->self_pinned)
		return;
	if (sched_getaffinity(0, sizeof(t->self_mask), &t->self_mask) < 0)
		return;
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

static void unpin_self(struct tracer *t)
{
	if (t->self_pinned)
		sched_setaffinity(0, sizeof(t->self_mask), &t->self_mask);
	t->self_pinned = false;
}

/* Record TH's affinity (unless inherited from its parent) and pin it. */
static void pin_thread(struct tracer *t, struct tthr *th)
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
	sched_setaffinity(th->tid, sizeof(one), &one);
}

static void unpin_thread(struct tthr *th)
{
	if (th->have_mask)
		sched_setaffinity(th->tid, sizeof(th->orig_mask),
				  &th->orig_mask);
	th->have_mask = false;
}

/* ---- resuming and detaching ---- */

static void resume(struct tthr *th)
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

static void detach_thread(struct tracer *t, struct tthr *th)
{
	unpin_thread(th);
	ptrace(PTRACE_DETACH, th->tid, 0, (void *)(long)th->pending_sig);
	thr_del(t, th);
}

static bool is_stop_sig(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN ||
	       sig == SIGTTOU;
}

static void exit_push(struct tracer *t, const struct tracer_exit *ex)
{
	struct tracer_exit *n = realloc(t->exitq,
					(t->nexitq + 1) * sizeof(*n));

	if (n == NULL)
		return;
	t->exitq = n;
	t->exitq[t->nexitq++] = *ex;
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

static void set_entry_bp(struct tracer *t, struct tproc *p)
{
	bool fb, fe;
	uint64_t base = pm_auxv(p->pid, AT_BASE, &fb);
	uint64_t entry = pm_auxv(p->pid, AT_ENTRY, &fe);
	unsigned char b, cc = 0xcc;

	p->fresh_exec = false;
	if (!fe || !fb || base == 0 || entry == 0)
		return;		/* static: everything is mapped already */
	if (pm_mem_read(p, entry, &b, 1) < 0 || b == 0xcc)
		return;
	if (pm_mem_write(p, entry, &cc, 1) < 0)
		return;
	p->entry = entry;
	p->entry_orig = b;
	p->entry_armed = true;
	if (t->opt.verbose >= 2)
		fprintf(stderr, "pytap: stopping pid %d at its entry point %#llx\n",
			(int)p->pid, (unsigned long long)entry);
}

/* TH stopped on the entry breakpoint with REGS: undo it, rescan. */
static void entry_hit(struct tracer *t, struct tthr *th,
		      struct user_regs_struct *regs, enum hmode mode)
{
	struct tproc *p = th->p;

	pm_mem_write(p, p->entry, &p->entry_orig, 1);
	p->entry_armed = false;
	regs->rip = p->entry;
	ptrace(PTRACE_SETREGS, th->tid, 0, regs);
	if (t->opt.verbose >= 2)
		fprintf(stderr, "pytap: pid %d reached its entry point %#llx\n",
			(int)p->pid, (unsigned long long)p->entry);
	if (mode == M_RUN)
		pm_scan(t, p);
	else
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
		detach_thread(t, th);
		proc_del(t, p);
		return H_NONE;
	}
	th->newproc = false;
	if (mode == M_RUN)
		resume(th);
	return H_NONE;
}

static void initial_stop(struct tthr *th, int status)
{
	th->state = THR_STOPPED;
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
		np = proc_new(t, ctid);
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
	th = thr_new(t, ctid, np, THR_NEWBORN);
	if (th == NULL)
		return H_NONE;
	th->newproc = ev != PTRACE_EVENT_CLONE;
	th->have_mask = pth->have_mask;
	th->orig_mask = pth->orig_mask;
	if (orphan_take(t, ctid, &st)) {
		initial_stop(th, st);
		return newborn_ready(t, th, mode);
	}
	return H_NONE;
}

/* Handle the exec event of TH; returns false if TH is gone. */
static bool do_exec(struct tracer *t, struct tthr *th, enum hmode mode)
{
	struct tproc *p = th->p;
	unsigned long former = 0;
	struct tthr *o, *next;

	ptrace(PTRACE_GETEVENTMSG, th->tid, 0, &former);
	for (o = t->threads; o; o = next) {
		next = o->next;
		if (o->p != p || o == th)
			continue;
		if (o->tid == (pid_t)former && o->have_mask) {
			th->have_mask = true;
			th->orig_mask = o->orig_mask;
		}
		thr_del(t, o);
	}
	th->exiting = false;
	th->group_stop = false;
	th->in_vfork = false;
	pm_drop(p);
	if (p->vfork_parent) {
		struct tthr *pt = thr_find(t, p->vfork_parent);

		if (pt)
			pt->in_vfork = false;
		p->vfork_parent = 0;
	}
	p->shares_mm = false;
	if (!p->follow) {
		detach_thread(t, th);
		proc_del(t, p);
		return false;
	}
	pm_mem_open(p);
	p->fresh_exec = true;
	if (t->opt.verbose >= 1)
		fprintf(stderr, "pytap: pid %d called exec\n", (int)p->pid);
	if (mode == M_RUN) {
		pm_scan(t, p);
		set_entry_bp(t, p);
	}
	return true;
}

static enum hres thread_gone(struct tracer *t, struct tthr *th, int status,
			     enum hmode mode, struct tracer_exit *ex)
{
	struct tproc *p = th->p;
	struct tracer_exit e;

	if (th->tid != p->pid) {
		thr_del(t, th);
		return H_NONE;
	}
	e.pid = p->pid;
	e.status = status;
	e.is_target = p->is_target;
	bool report = p->follow;

	if (t->opt.verbose >= 2)
		fprintf(stderr, "pytap: pid %d ended\n", (int)p->pid);
	proc_del(t, p);
	if (!report)
		return H_NONE;
	if (mode == M_RUN && ex) {
		*ex = e;
		return H_EXIT;
	}
	exit_push(t, &e);
	return H_NONE;
}

static void set_pending_hit(struct tracer *t, struct tthr *th, bool on)
{
	if (th->pending_hit == on)
		return;
	th->pending_hit = on;
	if (on)
		t->npending_hits++;
	else
		t->npending_hits--;
}

/* Fill HIT for TH stopped with REGS on site S. */
static void fill_hit(struct tthr *th, const struct user_regs_struct *regs,
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
static enum hres handle(struct tracer *t, pid_t tid, int status,
			enum hmode mode, struct tracer_hit *hit,
			struct tracer_exit *ex)
{
	struct tthr *th = thr_find(t, tid);
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
		break;
	case PTRACE_EVENT_STOP:
		/* group-stop, or PTRACE_INTERRUPT / LISTEN wake-up */
		th->group_stop = is_stop_sig(sig);
		break;
	case 0:
		th->group_stop = false;
		if (sig == SIGTRAP) {
			struct tproc *p = th->p;
			struct user_regs_struct regs;

			if (ptrace(PTRACE_GETREGS, tid, 0, &regs) == 0) {
				uint64_t a = regs.rip - 1;
				struct site *s;

				if (p->entry_armed && a == p->entry) {
					entry_hit(t, th, &regs, mode);
					break;
				}
				s = pm_find_site(p, a);
				if (s && s->armed) {
					if (!p->follow)
						break;
					if (mode == M_RUN && hit) {
						fill_hit(th, &regs, s, hit);
						return H_HIT;
					}
					set_pending_hit(t, th, true);
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
		resume(th);
	return H_NONE;
}

static bool must_wait(const struct tthr *th)
{
	if (th->exiting)
		return false;
	if (th->state == THR_NEWBORN)
		return true;
	if (th->state == THR_STOPPED)
		return false;
	return !th->in_vfork;
}

/*
 * Bring every thread into a ptrace-stop (mode STOP), waiting at most
 * TIMEOUT_MS.  Threads past their exit event, and vfork parents that
 * cannot stop until their child execs, are not waited for.
 */
static void stop_all(struct tracer *t, int timeout_ms)
{
	uint64_t deadline = now_ns() + (uint64_t)timeout_ms * 1000000u;
	struct tthr *th;

	for (th = t->threads; th; th = th->next)
		if ((th->state == THR_RUNNING || th->state == THR_LISTEN) &&
		    !th->exiting && !th->in_vfork)
			ptrace(PTRACE_INTERRUPT, th->tid, 0, 0);
	timer_deadline(deadline);
	for (;;) {
		int status;
		pid_t pid;

		for (th = t->threads; th; th = th->next)
			if (must_wait(th))
				break;
		if (th == NULL)
			break;
		if (now_ns() >= deadline) {
			if (t->opt.verbose >= 1)
				fprintf(stderr,
					"pytap: thread %d did not stop\n",
					(int)th->tid);
			break;
		}
		pid = waitpid(-1, &status, __WALL);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		handle(t, pid, status, M_STOP, NULL, NULL);
	}
	timer_off();
}

static void resume_all(struct tracer *t)
{
	for (struct tthr *th = t->threads; th; th = th->next)
		if (th->state == THR_STOPPED && !th->pending_hit)
			resume(th);
}

/* ---- public API ---- */

struct tracer *tracer_new(const struct tracer_options *opt)
{
	struct tracer *t = calloc(1, sizeof(*t));
	struct sigaction sa;
	struct sigevent sev;

	if (t == NULL)
		return NULL;
	if (opt)
		t->opt = *opt;
	else
		t->opt.follow_forks = true;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: waitpid must see EINTR */
	for (int i = 0; i < 4; i++)
		sigaction(caught_sigs[i], &sa, &t->old_act[i]);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, &t->old_act[4]);
	t->handlers = true;
	g_sig = 0;
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = SIGALRM;
	if (timer_create(CLOCK_MONOTONIC, &sev, &t->timer) == 0) {
		t->have_timer = true;
		g_timer = t->timer;
		g_have_timer = 1;
	}
	return t;
}

void tracer_add_request(struct tracer *t, const struct tracer_request *r)
{
	struct tracer_request *n = realloc(t->reqs,
					   (t->nreqs + 1) * sizeof(*n));
	struct tracer_request c = *r;

	if (n == NULL)
		return;
	t->reqs = n;
	c.path = r->path ? strdup(r->path) : NULL;
	c.provider = r->provider ? strdup(r->provider) : NULL;
	c.name = r->name ? strdup(r->name) : NULL;
	t->reqs[t->nreqs++] = c;
}

pid_t tracer_launch(struct tracer *t, char *const argv[], char *err,
		    size_t errlen)
{
	int pfd[2], status, e = 0;
	pid_t pid;
	struct tproc *p;
	struct tthr *th;

	if (argv == NULL || argv[0] == NULL) {
		seterr(err, errlen, "no command to run");
		return -1;
	}
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		seterr(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	pin_self(t);
	pid = fork();
	if (pid < 0) {
		seterr(err, errlen, "fork: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		for (int i = 0; i < 4; i++)
			signal(caught_sigs[i], SIG_DFL);
		signal(SIGALRM, SIG_DFL);
		raise(SIGSTOP);
		execvp(argv[0], argv);
		e = errno;
		if (write(pfd[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(pfd[1]);
	while (waitpid(pid, &status, WUNTRACED) < 0 && errno == EINTR)
		;
	if (ptrace(PTRACE_SEIZE, pid, 0, PTRACE_OPTS) < 0) {
		e = errno;
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		close(pfd[0]);
		seterr(err, errlen, "cannot trace '%s': %s", argv[0],
		       strerror(e));
		return -1;
	}
	kill(pid, SIGCONT);
	for (;;) {
		if (waitpid(pid, &status, __WALL) < 0) {
			if (errno == EINTR)
				continue;
			seterr(err, errlen, "waitpid: %s", strerror(errno));
			close(pfd[0]);
			return -1;
		}
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			e = 0;
			if (read(pfd[0], &e, sizeof(e)) != sizeof(e))
				e = 0;
			close(pfd[0]);
			if (e)
				seterr(err, errlen, "cannot run '%s': %s",
				       argv[0], strerror(e));
			else
				seterr(err, errlen, "cannot run '%s'", argv[0]);
			return -1;
		}
		if (!WIFSTOPPED(status))
			continue;
		int ev = status >> 16, sig = WSTOPSIG(status);

		if (ev == PTRACE_EVENT_EXEC)
			break;
		if (ev == 0 && sig != SIGSTOP && sig != SIGCONT)
			ptrace(PTRACE_CONT, pid, 0, (void *)(long)sig);
		else
			ptrace(PTRACE_CONT, pid, 0, 0);
	}
	close(pfd[0]);
	p = proc_new(t, pid);
	th = p ? thr_new(t, pid, p, THR_STOPPED) : NULL;
	if (th == NULL) {
		ptrace(PTRACE_DETACH, pid, 0, 0);
		seterr(err, errlen, "out of memory");
		return -1;
	}
	p->is_target = true;
	if (t->self_pinned) {
		th->have_mask = true;
		th->orig_mask = t->self_mask;
		pin_thread(t, th);
	}
	pm_mem_open(p);
	pm_scan(t, p);
	set_entry_bp(t, p);
	t->attached = true;
	resume(th);
	return pid;
}

/* "key:\tvalue" from /proc/PID/status, or -1. */
static long status_field(pid_t pid, const char *key, char *sval, size_t slen)
{
	char path[64], line[256];
	size_t klen = strlen(key);
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
			char *s = line + klen + 1;

			while (*s == ' ' || *s == '\t')
				s++;
			if (sval) {
				snprintf(sval, slen, "%s", s);
				sval[strcspn(sval, "\n")] = '\0';
			}
			v = strtol(s, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

/* PF_KTHREAD from /proc/PID/stat (field 9, after the ")" of comm). */
static bool is_kthread(pid_t pid)
{
	char path[64], buf[1024], *s;
	unsigned long flags = 0;
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	s = strrchr(buf, ')');
	if (s == NULL)
		return false;
	/* state ppid pgrp session tty_nr tpgid flags */
	if (sscanf(s + 1, " %*c %*d %*d %*d %*d %*d %lu", &flags) != 1)
		return false;
	return (flags & 0x00200000UL) != 0;
}

static char thread_state(pid_t pid, pid_t tid)
{
	char path[96], buf[512], *s;
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid,
		 (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 'X';
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 'X';
	buf[n] = '\0';
	s = strrchr(buf, ')');
	return s && s[1] == ' ' ? s[2] : '?';
}

static void eperm_reason(pid_t pid, char *err, size_t errlen)
{
	char scope[32] = "";
	long tracer = status_field(pid, "TracerPid", NULL, 0);
	FILE *f;

	if (tracer > 0 && tracer != getpid()) {
		seterr(err, errlen,
		       "not permitted to trace pid %d: it is already traced by pid %ld",
		       (int)pid, tracer);
		return;
	}
	f = fopen("/proc/sys/kernel/yama/ptrace_scope", "re");
	if (f) {
		if (fgets(scope, sizeof(scope), f) == NULL)
			scope[0] = '\0';
		fclose(f);
		scope[strcspn(scope, "\n")] = '\0';
		seterr(err, errlen,
		       "not permitted to trace pid %d (are you root? /proc/sys/kernel/yama/ptrace_scope is %s)",
		       (int)pid, scope);
	} else {
		seterr(err, errlen,
		       "not permitted to trace pid %d (are you root, or do you have CAP_SYS_PTRACE?)",
		       (int)pid);
	}
}

int tracer_attach(struct tracer *t, pid_t pid, char *err, size_t errlen)
{
	char path[64], state[64] = "";
	struct tproc *p;
	long tgid;
	int nthr = 0;

	if (pid <= 0) {
		seterr(err, errlen, "invalid pid %d", (int)pid);
		return -1;
	}
	if (pid == getpid()) {
		seterr(err, errlen, "cannot trace pytap itself (pid %d)",
		       (int)pid);
		return -1;
	}
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	if (access(path, F_OK) < 0 || (kill(pid, 0) < 0 && errno == ESRCH)) {
		seterr(err, errlen, "no process with pid %d", (int)pid);
		return -1;
	}
	if (is_kthread(pid)) {
		seterr(err, errlen, "pid %d is a kernel thread", (int)pid);
		return -1;
	}
	tgid = status_field(pid, "Tgid", NULL, 0);
	if (tgid > 0 && tgid != pid) {
		if (t->opt.verbose >= 1)
			fprintf(stderr,
				"pytap: pid %d is a thread of process %ld\n",
				(int)pid, tgid);
		pid = (pid_t)tgid;
		if (pid == getpid()) {
			seterr(err, errlen, "cannot trace pytap itself");
			return -1;
		}
	}
	status_field(pid, "State", state, sizeof(state));
	if (state[0] == 'Z' || state[0] == 'X') {
		long threads = status_field(pid, "Threads", NULL, 0);

		if (threads <= 1) {
			seterr(err, errlen, "process %d is a zombie",
			       (int)pid);
			return -1;
		}
	}
	if (proc_find(t, pid)) {
		seterr(err, errlen, "pid %d is traced already", (int)pid);
		return -1;
	}
	pin_self(t);
	p = proc_new(t, pid);
	if (p == NULL) {
		seterr(err, errlen, "out of memory");
		return -1;
	}
	p->is_target = true;
	/* seize every thread until no new one shows up */
	for (int round = 0; round < 1000; round++) {
		int added = 0;
		DIR *d;
		struct dirent *de;

		snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
		d = opendir(path);
		if (d == NULL) {
			if (round == 0 || thr_find(t, pid) == NULL) {
				seterr(err, errlen, "no process with pid %d",
				       (int)pid);
				goto fail;
			}
			break;
		}
		while ((de = readdir(d)) != NULL) {
			pid_t tid = (pid_t)atoi(de->d_name);
			struct tthr *th;
			char ts;

			if (tid <= 0 || thr_find(t, tid))
				continue;
			ts = thread_state(pid, tid);
			if ((ts == 'Z' || ts == 'X') && tid != pid)
				continue;
			if (ptrace(PTRACE_SEIZE, tid, 0, PTRACE_OPTS) < 0) {
				int e = errno;

				if (e == ESRCH && tid != pid)
					continue;
				if (e == EPERM && tid != pid &&
				    status_field(tid, "TracerPid", NULL, 0) ==
				    getpid())
					continue;	/* auto-attached */
				if (tid != pid)
					continue;
				closedir(d);
				if (e == EPERM)
					eperm_reason(pid, err, errlen);
				else if (e == ESRCH)
					seterr(err, errlen,
					       "no process with pid %d",
					       (int)pid);
				else
					seterr(err, errlen,
					       "cannot trace pid %d: %s",
					       (int)pid, strerror(e));
				goto fail;
			}
			th = thr_new(t, tid, p, THR_RUNNING);
			if (th == NULL)
				continue;
			if (ts == 'Z' || ts == 'X')
				th->exiting = true;
			pin_thread(t, th);
			added++;
			nthr++;
		}
		closedir(d);
		if (added == 0)
			break;
	}
	stop_all(t, STOP_TIMEOUT_MS);
	for (struct tproc *q = t->procs; q; q = q->next) {
		/* a vfork child's memory is its parent's: scanned there */
		if (q->scanned || !q->follow || q->shares_mm)
			continue;
		pm_mem_open(q);
		pm_scan(t, q);
		if (q->fresh_exec)
			set_entry_bp(t, q);
	}
	t->attached = true;
	if (t->opt.verbose >= 1)
		fprintf(stderr, "pytap: attached to pid %d (%d thread%s)\n",
			(int)pid, nthr, nthr == 1 ? "" : "s");
	resume_all(t);
	return 0;
fail:
	for (struct tthr *th = t->threads, *next; th; th = next) {
		next = th->next;
		if (th->p == p)
			detach_thread(t, th);
	}
	proc_del(t, p);
	return -1;
}

size_t tracer_armed_sites(const struct tracer *t)
{
	size_t n = 0;

	for (struct tproc *p = t->procs; p; p = p->next)
		for (size_t i = 0; i < p->nsites; i++)
			if (p->sites[i].armed)
				n++;
	return n;
}

size_t tracer_request_sites(const struct tracer *t, int id)
{
	size_t n = 0;

	for (struct tproc *p = t->procs; p; p = p->next) {
		for (size_t i = 0; i < p->nsites; i++) {
			const struct site *s = &p->sites[i];
			bool hit = false;

			for (int k = 0; k < s->nids && !hit; k++)
				hit = s->armed && s->ids[k] == id;
			for (int k = 0; k < s->nsids && !hit; k++)
				hit = s->sema_raised && s->sids[k] == id;
			if (hit)
				n++;
		}
	}
	return n;
}

size_t tracer_objects(const struct tracer *t, const struct tracer_object **out)
{
	struct tracer *mt = (struct tracer *)t;
	struct tracer_object *o;

	o = realloc(mt->objout, (t->nobjs ? t->nobjs : 1) * sizeof(*o));
	if (o == NULL) {
		*out = NULL;
		return 0;
	}
	mt->objout = o;
	for (size_t i = 0; i < t->nobjs; i++) {
		o[i].path = t->objs[i]->path;
		o[i].nnotes = t->objs[i]->f.nprobes;
	}
	*out = o;
	return t->nobjs;
}

/* A stopped thread with a hit not reported yet (found while stopping). */
static enum hres pending_hit(struct tracer *t, struct tracer_hit *hit)
{
	for (struct tthr *th = t->threads; th; th = th->next) {
		struct user_regs_struct regs;
		struct site *s;

		if (!th->pending_hit)
			continue;
		set_pending_hit(t, th, false);
		if (ptrace(PTRACE_GETREGS, th->tid, 0, &regs) == 0) {
			s = pm_find_site(th->p, regs.rip - 1);
			if (s && s->armed && hit) {
				fill_hit(th, &regs, s, hit);
				return H_HIT;
			}
		}
		resume(th);
	}
	return H_NONE;
}

enum tracer_event tracer_wait(struct tracer *t, uint64_t deadline_ns,
			      struct tracer_hit *hit, struct tracer_exit *ex)
{
	enum tracer_event ret;

	if (t->held) {
		resume(t->held);
		t->held = NULL;
	}
	g_in_wait = 1;
	if (deadline_ns)
		timer_deadline(deadline_ns);
	for (;;) {
		int status;
		pid_t pid;
		enum hres r;

		if (g_sig) {
			t->last_signal = g_sig;
			g_sig = 0;
			ret = TEV_SIGNAL;
			break;
		}
		if (t->nexitq) {
			if (ex)
				*ex = t->exitq[0];
			memmove(t->exitq, t->exitq + 1,
				(t->nexitq - 1) * sizeof(*t->exitq));
			t->nexitq--;
			ret = TEV_EXIT;
			break;
		}
		if (t->npending_hits) {
			r = pending_hit(t, hit);
			if (r == H_HIT) {
				ret = TEV_HIT;
				break;
			}
			continue;
		}
		if (deadline_ns && now_ns() >= deadline_ns) {
			ret = TEV_TIMEOUT;
			break;
		}
		if (t->threads == NULL && t->norphans == 0) {
			ret = TEV_NOPROC;
			break;
		}
		pid = waitpid(-1, &status, __WALL);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ECHILD) {
				while (t->procs)
					proc_del(t, t->procs);
				t->norphans = 0;
				ret = TEV_NOPROC;
				break;
			}
			ret = TEV_ERROR;
			break;
		}
		r = handle(t, pid, status, M_RUN, hit, ex);
		if (r == H_HIT) {
			t->held = thr_find(t, hit->tid);
			ret = TEV_HIT;
			break;
		}
		if (r == H_EXIT) {
			ret = TEV_EXIT;
			break;
		}
	}
	g_in_wait = 0;
	if (deadline_ns || ret == TEV_SIGNAL)
		timer_off();
	return ret;
}

int tracer_read(struct tracer *t, pid_t pid, uint64_t addr, void *buf,
		size_t len)
{
	struct iovec local = { buf, len };
	struct iovec remote = { (void *)(uintptr_t)addr, len };
	ssize_t n;
	struct tproc *p;

	if (len == 0)
		return 0;
	n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
	if (n == (ssize_t)len)
		return 0;
	p = proc_find(t, pid);
	if (p)
		return pm_mem_read(p, addr, buf, len);
	else {
		struct tproc tmp = { .pid = pid, .memfd = -1 };
		int rc = pm_mem_read(&tmp, addr, buf, len);

		if (tmp.memfd >= 0)
			close(tmp.memfd);
		return rc;
	}
}

ssize_t tracer_read_str(struct tracer *t, pid_t pid, uint64_t addr,
			char *buf, size_t max)
{
	size_t got = 0;
	long pg = sysconf(_SC_PAGESIZE);
	uint64_t pgsz = pg > 0 ? (uint64_t)pg : 4096;

	if (max == 0)
		return -1;
	buf[0] = '\0';
	while (got < max - 1) {
		uint64_t a = addr + got;
		size_t chunk = (size_t)(pgsz - (a & (pgsz - 1)));
		char *nul;

		if (chunk > max - 1 - got)
			chunk = max - 1 - got;
		if (tracer_read(t, pid, a, buf + got, chunk) < 0) {
			if (got == 0)
				return -1;
			break;
		}
		nul = memchr(buf + got, '\0', chunk);
		if (nul)
			return (ssize_t)(nul - buf);
		got += chunk;
	}
	buf[got] = '\0';
	return (ssize_t)got;
}

/* An orphan at detach: a new thread or process whose parent's event we
 * never saw.  A process gets its parent's bytes and semaphores back unless
 * it shares the parent's memory (vfork). */
static void detach_orphan(struct tracer *t, const struct orphan *o)
{
	long tgid = status_field(o->tid, "Tgid", NULL, 0);
	long ppid = status_field(o->tid, "PPid", NULL, 0);
	int sig = 0;

	if (WIFSTOPPED(o->status) && (o->status >> 16) == 0 &&
	    WSTOPSIG(o->status) != SIGSTOP && WSTOPSIG(o->status) != SIGTRAP)
		sig = WSTOPSIG(o->status);
	if (tgid == o->tid && ppid > 0) {
		struct tproc *pp = proc_find(t, (pid_t)ppid);
		bool vf = false;

		/* a vfork child shares its parent's memory: leave it */
		for (struct tthr *th = t->threads; th; th = th->next)
			if (th->p == pp && th->in_vfork)
				vf = true;
		if (pp && !vf) {
			struct tproc tmp = { .pid = o->tid, .memfd = -1 };

			if (pm_copy(&tmp, pp) == 0)
				pm_restore(t, &tmp);
			pm_drop(&tmp);
			if (tmp.memfd >= 0)
				close(tmp.memfd);
		}
	}
	ptrace(PTRACE_DETACH, o->tid, 0, (void *)(long)sig);
}

/* Is SIGTRAP pending for thread TID (its private set)? */
static bool trap_pending(pid_t pid, pid_t tid)
{
	char path[96], line[256];
	bool r = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", (int)pid,
		 (int)tid);
	f = fopen(path, "re");
	if (f == NULL)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "SigPnd:", 7) == 0) {
			unsigned long long m = strtoull(line + 7, NULL, 16);

			r = (m >> (SIGTRAP - 1)) & 1;
			break;
		}
	}
	fclose(f);
	return r;
}

/*
 * A thread that executed one of our int3s just before PTRACE_INTERRUPT
 * reports the interrupt first and still has the SIGTRAP queued: detached,
 * it would die of it.  Let each such thread take its SIGTRAP while traced
 * (it stops again at once, handle() recognizes the site and drops it).
 */
static void flush_traps(struct tracer *t)
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
			if (!(s && s->armed) && !(th->p->entry_armed &&
						  regs.rip - 1 == th->p->entry))
				continue;
			if (ptrace(PTRACE_CONT, th->tid, 0, 0) < 0)
				continue;
			th->state = THR_RUNNING;
			do
				r = waitpid(th->tid, &status, __WALL);
			while (r < 0 && errno == EINTR);
			if (r == th->tid)
				handle(t, r, status, M_STOP, NULL, NULL);
			again = true;
			break;	/* the thread list may have changed */
		}
		if (!again)
			break;
	}
}

void tracer_detach_all(struct tracer *t)
{
	struct tthr *th, *next;

	if (t == NULL)
		return;
	g_in_wait = 0;
	timer_off();
	if (t->held) {
		t->held->pending_sig = 0;
		t->held = NULL;
	}
	if (t->threads) {
		stop_all(t, STOP_TIMEOUT_MS);
		flush_traps(t);
	}
	for (struct tproc *p = t->procs; p; p = p->next)
		pm_restore(t, p);
	for (size_t i = 0; i < t->norphans; i++)
		detach_orphan(t, &t->orphans[i]);
	t->norphans = 0;
	for (th = t->threads; th; th = next) {
		next = th->next;
		if (th->state == THR_STOPPED) {
			set_pending_hit(t, th, false);
			detach_thread(t, th);
		}
	}
	/* vfork parents: their children run again now; catch them when
	 * the child has exec'd or exited */
	uint64_t deadline = now_ns() + (uint64_t)STOP_TIMEOUT_MS * 1000000u;

	for (th = t->threads; th; th = next) {
		int status;

		next = th->next;
		unpin_thread(th);
		if (th->state == THR_NEWBORN || th->exiting) {
			ptrace(PTRACE_DETACH, th->tid, 0, 0);
			thr_del(t, th);
			continue;
		}
		ptrace(PTRACE_INTERRUPT, th->tid, 0, 0);
		timer_deadline(deadline);
		for (;;) {
			pid_t r = waitpid(th->tid, &status, __WALL);

			if (r == th->tid) {
				if (WIFSTOPPED(status)) {
					int ev = status >> 16;

					if (ev == 0 && WSTOPSIG(status) != SIGTRAP)
						th->pending_sig = WSTOPSIG(status);
					ptrace(PTRACE_DETACH, th->tid, 0,
					       (void *)(long)th->pending_sig);
				}
				break;
			}
			if (r < 0 && errno == EINTR && now_ns() < deadline)
				continue;
			break;
		}
		timer_off();
		thr_del(t, th);
	}
	while (t->procs)
		proc_del(t, t->procs);
	unpin_self(t);
}

void tracer_free(struct tracer *t)
{
	if (t == NULL)
		return;
	tracer_detach_all(t);
	if (t->have_timer) {
		g_have_timer = 0;
		timer_delete(t->timer);
	}
	if (t->handlers) {
		for (int i = 0; i < 4; i++)
			sigaction(caught_sigs[i], &t->old_act[i], NULL);
		sigaction(SIGALRM, &t->old_act[4], NULL);
	}
	pm_cache_free(t);
	for (size_t i = 0; i < t->nreqs; i++) {
		free((char *)t->reqs[i].path);
		free((char *)t->reqs[i].provider);
		free((char *)t->reqs[i].name);
	}
	free(t->reqs);
	free(t->objs);
	free(t->objout);
	free(t->orphans);
	free(t->exitq);
	free(t);
}

int tracer_last_signal(const struct tracer *t)
{
	return t->last_signal;
}
