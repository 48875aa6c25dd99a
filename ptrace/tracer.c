/*
 * tracer.c - the ptrace engine: launch (-c) or attach to (-x) a process,
 * follow its threads, forks and execs, report hits on armed SDT sites one
 * at a time, and put everything back on detach.  What is mapped and armed
 * where lives in procmaps.c.
 *
 * Files: tracer.c (this: public API, the wait loop, pytap's own signals
 * and the deadline timer, memory reads, detach), tracee.c (threads,
 * processes, decoding wait statuses), attach.c (-c and -x), procmaps.c
 * (mapped objects, SDT sites, patching), tracer_int.h (shared state).
 *
 * Signals: SIGINT/SIGTERM/SIGHUP/SIGPIPE handlers only set a flag, and
 * SIGALRM comes from one POSIX timer; none uses SA_RESTART, so a blocking
 * waitpid() returns EINTR.  A signal that lands between the flag check and
 * waitpid() arms the timer to fire every millisecond while tracer_wait()
 * runs, so it is seen within a millisecond; the deadline timer repeats the
 * same way.  The deadline timer is one-shot and stays armed across calls
 * while the session passes the same deadline (saving two syscalls a hit),
 * so its one SIGALRM may arrive while the session runs: the session must
 * tolerate EINTR, as it must for SIGINT anyway.  The 1 ms retry timer
 * never runs outside a wait.
 *
 * The hit path: waitpid -> SIGTRAP -> PTRACE_GETREGS -> binary search for
 * rip-1 among the process's sites -> TEV_HIT; the next tracer_wait() does
 * PTRACE_CONT.  Registers are never written back (the int3 replaced a
 * 1-byte nop: rip = site+1 is already where execution goes on), except at
 * the one-shot entry-point breakpoint.
 */
#include "mem.h"
#include "procfs.h"
#include "tracer_int.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- signals and the deadline timer ---- */

const int tr_caught_sigs[4] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE };
static volatile sig_atomic_t g_sig;
static volatile sig_atomic_t g_in_wait;
static volatile sig_atomic_t g_have_timer;
static volatile sig_atomic_t g_retrying;
static timer_t g_timer;

/* Fire SIGALRM every millisecond from now on: a signal that arrived just
 * before waitpid() blocked gets it interrupted within a millisecond. */
static void timer_retry(void)
{
	struct itimerspec its = { { 0, 1000000 }, { 0, 1000000 } };

	if (g_have_timer) {
		g_retrying = 1;
		timer_settime(g_timer, 0, &its, NULL);
	}
}

static void on_signal(int sig)
{
	int e = errno;

	g_sig = sig;
	if (g_in_wait)
		timer_retry();
	errno = e;
}

/* The deadline passed: if that was just before waitpid(), retry. */
static void on_alarm(int sig)
{
	int e = errno;

	(void)sig;
	if (g_in_wait)
		timer_retry();
	errno = e;
}

/* One SIGALRM at NS (CLOCK_MONOTONIC). */
void tr_timer_deadline(uint64_t ns)
{
	struct itimerspec its = { { 0, 0 },
				  { (time_t)(ns / 1000000000u),
				    (long)(ns % 1000000000u) } };

	if (g_have_timer) {
		g_retrying = 0;
		timer_settime(g_timer, TIMER_ABSTIME, &its, NULL);
	}
}

void tr_timer_off(void)
{
	struct itimerspec its = { { 0, 0 }, { 0, 0 } };

	if (g_have_timer) {
		timer_settime(g_timer, 0, &its, NULL);
		g_retrying = 0;
	}
}

/* Around a blocking waitpid() outside tracer_wait(): SIGALRM at DEADLINE,
 * and signals that land just before waitpid() interrupt it. */
void tr_wait_enter(struct tracer *t, uint64_t deadline)
{
	/* in the wait first: a deadline already past fires at once, and
	   its SIGALRM must start the retries (it hung stop_one's waitpid
	   for good when a nested call had used up its second) */
	g_in_wait = 1;
	tr_timer_deadline(deadline);
	t->armed_deadline = 0;
}

void tr_wait_leave(struct tracer *t)
{
	g_in_wait = 0;
	tr_timer_off();
	t->armed_deadline = 0;
}

/* SIGINT/SIGTERM/SIGHUP/SIGPIPE arrived and was not reported yet. */
bool tr_signal_pending(void)
{
	return g_sig != 0;
}

uint64_t tr_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}


/* ---- accessors for procmaps.c ---- */

void tracer_stop_time(const struct tracer *t, uint64_t *ns, uint64_t *n)
{
	*ns = t->stopped_ns;
	*n = t->nstopped;
}

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

const struct fileid *tr_req_id(const struct tracer *t, size_t i)
{
	return &t->req_ids[i];
}

int tr_fileid_push(struct fileid **ids, size_t n, const char *path)
{
	struct fileid *grown = realloc(*ids, (n + 1) * sizeof(*grown)), *id;
	struct stat st;

	if (grown == NULL)
		return -1;
	*ids = grown;
	id = &grown[n];
	memset(id, 0, sizeof(*id));
	if (path && stat(path, &st) == 0) {
		id->known = true;
		id->major = major(st.st_dev);
		id->minor = minor(st.st_dev);
		id->ino = st.st_ino;
	}
	return 0;
}

/* Is the mapped file PATH (device MAJOR:MINOR, inode INO) the file WANT
 * (WID)?  The same name, or the same device and inode. */
bool tr_path_matches(const char *want, const struct fileid *wid,
		     const char *path, unsigned long major,
		     unsigned long minor, unsigned long ino)
{
	if (strcmp(want, path) == 0)
		return true;
	return wid->known && wid->ino == ino && wid->major == major &&
	       wid->minor == minor;
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
		sigaction(tr_caught_sigs[i], &sa, &t->old_act[i]);
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
	if (tr_fileid_push(&t->req_ids, t->nreqs, r->path) < 0)
		return;
	c.path = r->path ? strdup(r->path) : NULL;
	c.provider = r->provider ? strdup(r->provider) : NULL;
	c.name = r->name ? strdup(r->name) : NULL;
	t->reqs[t->nreqs++] = c;
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

/* A stopped thread with a hit not reported yet (found while stopping):
 * the one taken first. */
static enum hres pending_hit(struct tracer *t, struct tracer_hit *hit)
{
	while (t->npending_hits) {
		struct user_regs_struct regs;
		struct tthr *th = NULL;
		struct site *s;

		for (struct tthr *o = t->threads; o; o = o->next)
			if (o->pending_hit &&
			    (th == NULL || o->pending_seq < th->pending_seq))
				th = o;
		if (th == NULL)
			break;
		tr_set_pending_hit(t, th, false);
		if (ptrace(PTRACE_GETREGS, th->tid, 0, &regs) == 0) {
			s = pm_find_site(th->p, regs.rip - 1);
			if (s && s->armed && hit) {
				tr_fill_hit(th, &regs, s, hit);
				t->held = th;	/* resumed by the next wait */
				if (t->opt.timing)
					t->held_since = tr_now_ns();
				return H_HIT;
			}
		}
		tr_resume(th);
	}
	return H_NONE;
}

/* The first queued process event becomes the current one. */
static void pev_pop(struct tracer *t)
{
	free(t->cur_pev.exe);
	free(t->cur_pev.old_exe);
	t->cur_pev = t->pevq[0];
	t->cur_pev.e.exe = t->cur_pev.exe ? t->cur_pev.exe : "";
	t->cur_pev.e.old_exe = t->cur_pev.old_exe ? t->cur_pev.old_exe : "";
	memmove(t->pevq, t->pevq + 1, (t->npevq - 1) * sizeof(*t->pevq));
	t->npevq--;
}

/* The timer's deadline: the session's, or the next look at /proc. */
static uint64_t timer_deadline(const struct tracer *t, uint64_t deadline_ns)
{
	if (t->nwatch && (deadline_ns == 0 || t->next_poll < deadline_ns))
		return t->next_poll ? t->next_poll : 1;
	return deadline_ns;
}

enum tracer_event tracer_wait(struct tracer *t, uint64_t deadline_ns,
			      struct tracer_hit *hit, struct tracer_exit *ex)
{
	enum tracer_event ret;

	if (t->held) {
		tr_resume(t->held);
		t->held = NULL;
		if (t->opt.timing) {
			t->stopped_ns += tr_now_ns() - t->held_since;
			t->nstopped++;
		}
	}
	g_in_wait = 1;
	for (;;) {
		int status;
		pid_t pid;
		enum hres r;
		uint64_t td;

		if (g_sig) {
			t->last_signal = g_sig;
			g_sig = 0;
			ret = TEV_SIGNAL;
			break;
		}
		if (t->npevq) {
			pev_pop(t);
			ret = TEV_PROC;
			break;
		}
		if (t->sp_called) {
			t->sp_called = false;
			ret = TEV_TIMEOUT;
			break;
		}
		if (t->nexitq) {
			free(t->last_exit_exe);
			t->last_exit_exe = (char *)t->exitq[0].exe;
			if (ex) {
				*ex = t->exitq[0];
				ex->exe = t->last_exit_exe ? t->last_exit_exe
							   : "";
			}
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
		if (deadline_ns || t->nwatch) {
			uint64_t now = tr_now_ns();

			if (deadline_ns && now >= deadline_ns) {
				ret = TEV_TIMEOUT;
				break;
			}
			if (t->nwatch && now >= t->next_poll) {
				tr_watch_poll(t);
				continue;
			}
		}
		/* the session's deadline rarely changes between hits: leave
		 * the one-shot timer armed across calls instead of two
		 * syscalls each */
		td = timer_deadline(t, deadline_ns);
		if (td != t->armed_deadline) {
			if (td)
				tr_timer_deadline(td);
			else
				tr_timer_off();
			t->armed_deadline = td;
		}
		if (t->threads == NULL && t->norphans == 0) {
			struct timespec ts;

			if (!t->nwatch) {
				ret = TEV_NOPROC;
				break;
			}
			/* nothing traced yet: sleep until the next look
			   (a signal cuts it short) */
			ts.tv_sec = (time_t)(td / 1000000000u);
			ts.tv_nsec = (long)(td % 1000000000u);
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts,
					NULL);
			continue;
		}
		pid = waitpid(-1, &status, __WALL);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ECHILD) {
				while (t->procs)
					tr_proc_del(t, t->procs);
				while (t->threads)
					tr_thr_del(t, t->threads);
				t->norphans = 0;
				if (t->nwatch)
					continue;
				ret = TEV_NOPROC;
				break;
			}
			ret = TEV_ERROR;
			break;
		}
		if (t->opt.timing)
			t->held_since = tr_now_ns();
		r = tr_handle(t, pid, status, M_RUN, hit, ex);
		if (r == H_HIT) {
			t->held = tr_thr_find(t, hit->tid);
			ret = TEV_HIT;
			break;
		}
		if (r == H_EXIT) {
			ret = TEV_EXIT;
			break;
		}
	}
	g_in_wait = 0;
	if (g_retrying || ret == TEV_TIMEOUT || ret == TEV_SIGNAL) {
		tr_timer_off();
		t->armed_deadline = 0;
	}
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
	p = tr_proc_find(t, pid);
	if (p)
		return pm_mem_read(p, addr, buf, len);
	else {
		struct tproc tmp = { .pid = pid, .io_pid = pid, .memfd = -1 };
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

/* A thread of ours that stopped with SIGTRAP after the bytes were put
 * back: if it executed one of our int3s, undo that (a site's nop needs
 * nothing; the entry point and the loader's ret are run again now that
 * their bytes are back) and return true: the SIGTRAP was ours. */
static bool our_trap(struct tthr *th)
{
	struct user_regs_struct regs;
	struct tproc *p = th->p;
	uint64_t a;

	if (ptrace(PTRACE_GETREGS, th->tid, 0, &regs) < 0)
		return false;
	a = regs.rip - 1;
	if ((p->entry.addr && a == p->entry.addr) || (p->rbrk.addr && a == p->rbrk.addr)) {
		regs.rip = a;
		ptrace(PTRACE_SETREGS, th->tid, 0, &regs);
		return true;
	}
	return pm_find_site(p, a) != NULL;
}

/*
 * A thread detached in a group-stop (SIGSTOP, SIGTSTP, ...) is woken by
 * the kernel and goes through R to stop again on its own: wait (bounded:
 * a SIGCONT may come meanwhile) until each of TIDS is in T, so that when
 * pytap returns the target is stopped as it was.
 */
static void wait_restopped(const pid_t *tids, size_t n)
{
	uint64_t deadline = tr_now_ns() + (uint64_t)RESTOP_MS * 1000000u;

	for (size_t i = 0; i < n; i++) {
		for (;;) {
			char buf[512];
			const char *st;
			struct timespec ts = { 0, 1000000L };

			if (procfs_read(tids[i], 0, "stat", buf,
					sizeof(buf)) < 0)
				break;
			st = strrchr(buf, ')');
			if (st == NULL || st[1] != ' ' || st[2] != 'R' ||
			    tr_now_ns() >= deadline)
				break;
			nanosleep(&ts, NULL);
		}
	}
}

static bool waits_for_some(const struct tracer *t)
{
	for (const struct tthr *th = t->threads; th; th = th->next)
		if (!th->in_vfork)
			return true;
	return false;
}

static void linger(struct tracer *t, pid_t tid)
{
	pid_t *n = realloc(t->lingering, (t->nlingering + 1) * sizeof(*n));

	if (n == NULL)
		return;
	t->lingering = n;
	t->lingering[t->nlingering++] = tid;
}

/*
 * Stop every thread, take pending SIGTRAPs of ours, restore every byte and
 * semaphore, detach every thread with the signal it was to get.  Then the
 * threads that could not be stopped: vfork parents (they stop when their
 * child has exec'd or exited: not waited for, but detached if they stop
 * meanwhile), new threads whose first stop is still to come, and threads
 * on their way out (reaped, so that their parent sees them end) -- each
 * waited for until STOP_TIMEOUT_MS.
 */
void tracer_detach_all(struct tracer *t)
{
	struct tthr *th, *next;
	uint64_t deadline;
	pid_t stopped[MAX_RESTOP];
	size_t nstopped = 0;

	if (t == NULL)
		return;
	tr_wait_leave(t);
	if (t->held) {
		t->held->pending_sig = 0;
		t->held = NULL;
		if (t->opt.timing) {
			t->stopped_ns += tr_now_ns() - t->held_since;
			t->nstopped++;
		}
	}
	if (t->threads) {
		tr_stop_all(t, NULL, STOP_TIMEOUT_MS);
		tr_flush_traps(t);
	}
	for (size_t i = 0; i < t->norphans; i++)
		tr_detach_orphan(t, &t->orphans[i]);
	t->norphans = 0;
	for (struct tproc *p = t->procs; p; p = p->next) {
		pm_restore(t, p);
		jr_trap_restore(t, p, 0);
	}
	for (th = t->threads; th; th = next) {
		next = th->next;
		if (th->state == THR_STOPPED) {
			if (th->group_stop && nstopped < MAX_RESTOP)
				stopped[nstopped++] = th->tid;
			tr_set_pending_hit(t, th, false);
			tr_detach_thread(t, th);
		}
	}
	wait_restopped(stopped, nstopped);
	deadline = tr_now_ns() + (uint64_t)STOP_TIMEOUT_MS * 1000000u;
	for (th = t->threads; th; th = th->next) {
		tr_unpin_thread(t, th);
		if (th->state != THR_NEWBORN && !th->exiting)
			ptrace(PTRACE_INTERRUPT, th->tid, 0, 0);
	}
	tr_wait_enter(t, deadline);
	/* a vfork parent is not waited for: its child may hold it for
	   any time, it runs no code until then, and nothing of ours is
	   left in it (it lingers, below) */
	while (waits_for_some(t) && tr_now_ns() < deadline) {
		int status;
		pid_t r = tr_wait_any(&status);

		if (r < 0)
			break;
		if (r == 0)
			continue;
		th = tr_thr_find(t, r);
		if (th == NULL) {
			/* a child born meanwhile: its memory may be a copy
			   made before the restore */
			if (WIFSTOPPED(status)) {
				struct orphan o = { r, status };

				tr_detach_orphan(t, &o);
			}
			continue;
		}
		if (!WIFSTOPPED(status)) {
			tr_thr_del(t, th);	/* it ended */
			continue;
		}
		if ((status >> 16) == 0 && th->state != THR_NEWBORN) {
			int sig = WSTOPSIG(status);

			if (sig != SIGTRAP || !our_trap(th))
				th->pending_sig = sig;
		} else if ((status >> 16) == PTRACE_EVENT_EXEC ||
			   (status >> 16) == PTRACE_EVENT_VFORK_DONE) {
			th->pending_sig = 0;
		}
		ptrace(PTRACE_DETACH, r, 0, (void *)(long)th->pending_sig);
		tr_thr_del(t, th);
	}
	tr_wait_leave(t);
	for (th = t->threads; th; th = next) {
		next = th->next;
		if (t->opt.verbose >= 1)
			fprintf(stderr,
				"pytap: thread %d %s; it is let go when it stops or when pytap exits\n",
				(int)th->tid, th->in_vfork ?
				"waits for its vfork child to exec" :
				"did not stop");
		linger(t, th->tid);
		tr_thr_del(t, th);
	}
	while (t->procs)
		tr_proc_del(t, t->procs);
	tr_unpin_self(t);
}

/* Threads detach_all had to leave: let go of those that stopped since. */
static void free_lingering(struct tracer *t)
{
	for (size_t i = 0; i < t->nlingering; i++) {
		int status, sig = 0;
		pid_t r;

		do
			r = waitpid(t->lingering[i], &status, __WALL | WNOHANG);
		while (r < 0 && errno == EINTR);
		if (r != t->lingering[i] || !WIFSTOPPED(status))
			continue;
		if ((status >> 16) == 0 && WSTOPSIG(status) != SIGTRAP)
			sig = WSTOPSIG(status);
		ptrace(PTRACE_DETACH, r, 0, (void *)(long)sig);
	}
	t->nlingering = 0;
}

void tracer_free(struct tracer *t)
{
	if (t == NULL)
		return;
	tracer_detach_all(t);
	free_lingering(t);
	tr_watch_free(t);
	if (t->have_timer) {
		g_have_timer = 0;
		timer_delete(t->timer);
	}
	if (t->handlers) {
		for (int i = 0; i < 4; i++)
			sigaction(tr_caught_sigs[i], &t->old_act[i], NULL);
		sigaction(SIGALRM, &t->old_act[4], NULL);
	}
	pm_cache_free(t);
	for (size_t i = 0; i < t->nreqs; i++) {
		free((char *)t->reqs[i].path);
		free((char *)t->reqs[i].provider);
		free((char *)t->reqs[i].name);
	}
	for (size_t i = 0; i < t->nexitq; i++)
		free((char *)t->exitq[i].exe);
	for (size_t i = 0; i < t->npevq; i++) {
		free(t->pevq[i].exe);
		free(t->pevq[i].old_exe);
	}
	free_all(t->cur_pev.exe, t->cur_pev.old_exe, t->pevq,
		 t->last_exit_exe, t->lingering, t->reqs, t->req_ids, t->objs,
		 t->objout, t->orphans, t->exitq, t);
	jr_done();
}

const struct tracer_pevent *tracer_last_pevent(const struct tracer *t)
{
	return &t->cur_pev.e;
}

int tracer_last_signal(const struct tracer *t)
{
	return t->last_signal;
}

void tracer_stop_threads(struct tracer *t)
{
	if (t->threads)
		tr_stop_all(t, NULL, STOP_TIMEOUT_MS);
}

void tracer_stop_some(struct tracer *t, const pid_t *tids, size_t n)
{
	uint64_t deadline = tr_now_ns() +
			    (uint64_t)STOP_TIMEOUT_MS * 1000000u;
	size_t i;

	for (i = 0; i < n; i++) {
		struct tthr *th = tr_thr_find(t, tids[i]);

		if (th && (th->state == THR_RUNNING ||
			   th->state == THR_LISTEN) &&
		    !th->exiting && !th->in_vfork)
			ptrace(PTRACE_INTERRUPT, th->tid, 0, 0);
	}
	tr_wait_enter(t, deadline);
	for (;;) {
		for (i = 0; i < n; i++) {
			struct tthr *th = tr_thr_find(t, tids[i]);

			if (th && th->state != THR_STOPPED && !th->exiting &&
			    !th->in_vfork)
				break;
		}
		if (i == n || tr_now_ns() >= deadline ||
		    tr_wait_stop_one(t) < 0)
			break;
	}
	tr_wait_leave(t);
}

void tracer_resume_threads(struct tracer *t)
{
	for (struct tthr *th = t->threads; th; th = th->next)
		if (th->state == THR_STOPPED && !th->pending_hit &&
		    th != t->held)
			tr_resume(th);
}

size_t tracer_threads(const struct tracer *t, pid_t *pids, pid_t *tids,
		      size_t max)
{
	size_t n = 0;

	for (const struct tthr *th = t->threads; th; th = th->next) {
		if (th->exiting || th->state == THR_NEWBORN || !th->p->follow)
			continue;
		if (n < max) {
			pids[n] = th->p->pid;
			tids[n] = th->tid;
		}
		n++;
	}
	return n;
}
