/*
 * session.c - one run of a compiled program.
 *
 *   begin probes (by priority)
 *   -> launch (-c) / attach (-x) and arm SDT sites, if the program has any
 *   -> event loop: probe hits run their handlers in the VM; timer probes
 *      fire at their deadlines; output is flushed at least every 50 ms
 *   -> stop on exit(), too many errors, SIGINT/SIGTERM/SIGHUP/SIGPIPE, -T,
 *      or when the traced processes are gone
 *   -> detach: every byte and semaphore restored (tracer_detach_all)
 *   -> end probes (error probes instead after a fatal error), auto-printed
 *      globals, the final WARNING line if there were errors.
 *
 * Nothing here runs while a target thread waits, except the handlers of
 * that thread's hit.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "cpython.h"
#include "procfs.h"
#include "pybuiltins.h"
#include "sdt.h"
#include "session.h"
#include "session_int.h"
#include "timing.h"
#include "tracer.h"
#include "vm.h"

#define FLUSH_NS 50000000ull	/* output latency bound */

struct timer_state {
	int probe;
	uint64_t next;		/* CLOCK_MONOTONIC ns */
};


uint64_t session_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#define now_ns session_now_ns

/* Every handler runs through here: under -t it is timed (the VM's run of
 * the handler, as SystemTap times its handler). */
enum vm_status session_run_probe(struct session *s, const struct vm_event *ev)
{
	enum vm_status st;
	uint64_t t0;

	if (!s->timing)
		return vm_run(s->vm, ev);
	t0 = now_ns();
	st = vm_run(s->vm, ev);
	timing_add(s->timing, ev->probe, now_ns() - t0);
	return st;
}

/* ------------------------------------------------------------------ */
/* VM host callbacks                                                  */

/* LEN bytes at ADDR of PID into BUF (AS_STR: a string of at most LEN-1
 * bytes and its NUL; its length): the agent's string where ADDR is one of
 * its handles (as bytes: the string, then NULs), else target memory. */
static ssize_t host_copy(struct session *s, pid_t pid, uint64_t addr,
			 char *buf, size_t len, bool as_str)
{
	const char *str = NULL;
	size_t sl = 0;

	if (!s->tr || pid <= 0) {
		errno = ESRCH;
		return -1;
	}
	if (s->agent && (!as_str || len > 0))
		str = agent_string(s, pid, addr, &sl);
	if (str == NULL)
		return as_str ? tracer_read_str(s->tr, pid, addr, buf, len)
			      : tracer_read(s->tr, pid, addr, buf, len);
	if (!as_str) {
		memset(buf, 0, len);
		memcpy(buf, str, sl < len ? sl : len);
		return 0;
	}
	if (sl > len - 1)
		sl = len - 1;
	memcpy(buf, str, sl);
	buf[sl] = '\0';
	return (ssize_t)sl;
}

static int host_read(void *ud, pid_t pid, uint64_t addr, void *buf,
		     size_t len)
{
	return (int)host_copy(ud, pid, addr, buf, len, false);
}

static ssize_t host_read_str(void *ud, pid_t pid, uint64_t addr, char *buf,
			     size_t max)
{
	return host_copy(ud, pid, addr, buf, max, true);
}

/* Many ranges in as few process_vm_readv calls as possible; a range
 * that fails is retried alone through tracer_read (/proc/PID/mem). */
static void host_read_vec(void *ud, pid_t pid, struct py_iov *v, size_t n)
{
	struct session *s = ud;
	size_t i = 0;

	while (i < n) {
		struct iovec l[64], r[64];
		size_t k, j, done = 0;
		ssize_t got;

		for (k = 0; k < 64 && i + k < n; k++) {
			l[k].iov_base = v[i + k].buf;
			l[k].iov_len = v[i + k].len;
			r[k].iov_base = (void *)(uintptr_t)v[i + k].addr;
			r[k].iov_len = v[i + k].len;
			v[i + k].ok = false;
		}
		got = s->tr && pid > 0 ?
		      process_vm_readv(pid, l, k, r, k, 0) : -1;
		if (got < 0)
			got = 0;
		for (j = 0; j < k && done + v[i + j].len <= (size_t)got; j++) {
			v[i + j].ok = true;
			done += v[i + j].len;
		}
		if (j < k) {
			v[i + j].ok = s->tr && pid > 0 &&
				      tracer_read(s->tr, pid, v[i + j].addr,
						  v[i + j].buf,
						  v[i + j].len) == 0;
			j++;
		}
		i += j;
	}
}

static void host_stop_world(void *ud)
{
	struct session *s = ud;

	if (s->tr == NULL)
		return;
	if (s->world_stopped++ == 0 || s->partial) {
		/* the rest too, when a sample stopped only some */
		tracer_stop_threads(s->tr);
		s->partial = false;
		s->epoch++;
	}
}

static void host_resume_world(void *ud)
{
	struct session *s = ud;

	if (s->tr && s->world_stopped > 0 && --s->world_stopped == 0) {
		s->epoch++;
		s->partial = false;
		tracer_resume_threads(s->tr);
	}
}

static uint64_t host_world_epoch(void *ud)
{
	struct session *s = ud;

	return s->world_stopped > 0 && !s->partial ? s->epoch : 0;
}

/* ------------------------------------------------------------------ */

static int cmp_prio(const void *x, const void *y, void *ctx)
{
	const struct bc_program *p = ctx;
	const struct bc_probe *a = &p->probes[*(const int *)x];
	const struct bc_probe *b = &p->probes[*(const int *)y];

	if (a->priority != b->priority)
		return a->priority < b->priority ? -1 : 1;
	return *(const int *)x - *(const int *)y;
}

/* session_int.h; the errors still count and end the session after the
 * combined probe. */
bool session_same_point(const struct bc_program *p, int x, int y)
{
	const struct bc_probe *a = &p->probes[x], *b = &p->probes[y];

	return a->priority == b->priority && a->pp && b->pp &&
	       strcmp(a->pp, b->pp) == 0;
}

/* Run every probe of KIND in priority order (begin, end, error). */
static void run_kind(struct session *s, enum bc_probe_kind kind,
		     bool stop_on_exit)
{
	const struct bc_program *p = s->p;
	int *idx = malloc(sizeof(int) * (p->nprobes + 1));
	size_t n = 0, i;

	for (i = 0; i < p->nprobes; i++)
		if (p->probes[i].kind == kind)
			idx[n++] = (int)i;
	qsort_r(idx, n, sizeof(int), cmp_prio, (void *)p);
	for (i = 0; i < n; i++) {
		struct vm_event ev;
		bool combined = i > 0 &&
				session_same_point(p, idx[i - 1], idx[i]);

		if (!combined && stop_on_exit && vm_exit_requested(s->vm))
			break;
		/* an error past MAXERRORS in an end probe ends the end
		   probes too */
		if (!combined && kind == BP_END &&
		    vm_error_count(s->vm) > s->p->maxerrors)
			break;
		memset(&ev, 0, sizeof(ev));
		ev.probe = idx[i];
		session_run_probe(s, &ev);
	}
	free(idx);
}

static void schedule(struct session *s, struct timer_state *t, uint64_t from)
{
	const struct bc_probe *bp = &s->p->probes[t->probe];
	int64_t period = bp->period_ns;

	if (bp->randomize_ns > 0)
		period += (int64_t)(random() % (2 * bp->randomize_ns + 1)) -
			  bp->randomize_ns;
	if (period < 1)
		period = 1;
	t->next = from + (uint64_t)period;
}

/* timer.* and sample.* probes fire at their own deadlines. */
static bool is_timed(enum bc_probe_kind k)
{
	return k == BP_TIMER || k == BP_SAMPLE || k == BP_SAMPLE_ALL;
}

/* Was thread TID of PID on a CPU or runnable (state R)? */
static bool thread_running(pid_t pid, pid_t tid)
{
	char buf[512];
	const char *rp = procfs_stat(pid, tid, buf, sizeof(buf));

	return rp != NULL && rp[0] == ' ' && rp[1] == 'R';
}

/*
 * One tick of sample.*: note which threads run, stop them (every traced
 * thread with .all; a sleeping thread is not woken up otherwise), run the
 * handler once per thread with pid()/tid() set to it, then let them run
 * on.
 */
static void run_sample(struct session *s, int probe)
{
	bool all = s->p->probes[probe].kind == BP_SAMPLE_ALL;
	size_t n, m, i, k;
	pid_t *pids, *tids, *spids, *stids;
	bool *ran;

	if (s->tr == NULL)
		return;
	n = tracer_threads(s->tr, NULL, NULL, 0);
	pids = calloc(n + 1, sizeof(*pids));
	tids = calloc(n + 1, sizeof(*tids));
	ran = calloc(n + 1, sizeof(*ran));
	if (pids == NULL || tids == NULL || ran == NULL)
		goto out;
	n = tracer_threads(s->tr, pids, tids, n);
	for (i = 0, k = 0; i < n; i++) {
		if (all || thread_running(pids[i], tids[i])) {
			pids[k] = pids[i];
			tids[k] = tids[i];
			k++;
		}
	}
	n = k;
	if (n == 0)
		goto out;
	for (i = 0; i < n; i++)
		ran[i] = true;
	if (all) {
		host_stop_world(s);
	} else {
		s->world_stopped++;
		s->partial = true;
		s->epoch++;
		tracer_stop_some(s->tr, tids, n);
	}
	/* only threads still there once stopped */
	m = tracer_threads(s->tr, NULL, NULL, 0);
	spids = calloc(m + 1, sizeof(*spids));
	stids = calloc(m + 1, sizeof(*stids));
	if (spids && stids) {
		m = tracer_threads(s->tr, spids, stids, m);
		for (i = 0; i < n && !vm_exit_requested(s->vm); i++) {
			struct vm_event ev;

			if (!ran[i])
				continue;
			for (k = 0; k < m && stids[k] != tids[i]; k++)
				;
			if (k == m)
				continue;
			memset(&ev, 0, sizeof(ev));
			ev.probe = probe;
			ev.pid = pids[i];
			ev.tid = tids[i];
			session_run_probe(s, &ev);
		}
	}
	host_resume_world(s);
	free(spids);
	free(stids);
out:
	free(pids);
	free(tids);
	free(ran);
}

static void setup_timers(struct session *s)
{
	size_t i;
	uint64_t now = now_ns();

	for (i = 0; i < s->p->nprobes; i++)
		if (is_timed(s->p->probes[i].kind))
			s->ntimers++;
	s->timers = calloc(s->ntimers + 1, sizeof(*s->timers));
	s->ntimers = 0;
	for (i = 0; i < s->p->nprobes; i++)
		if (is_timed(s->p->probes[i].kind)) {
			struct timer_state *t = &s->timers[s->ntimers++];

			t->probe = (int)i;
			schedule(s, t, now);
		}
}

static uint64_t next_deadline(struct session *s)
{
	uint64_t d = s->deadline_T;
	size_t i;

	for (i = 0; i < s->ntimers; i++)
		if (!d || s->timers[i].next < d)
			d = s->timers[i].next;
	if (s->pending && (!d || s->last_flush + FLUSH_NS < d))
		d = s->last_flush + FLUSH_NS;
	return d;
}

static void flush_if_due(struct session *s, uint64_t now)
{
	if (s->pending && now >= s->last_flush + FLUSH_NS) {
		vm_flush(s->vm);
		s->pending = false;
		s->last_flush = now;
	}
}

/* Fire due timers; returns false when the session should stop. */
static bool run_timers(struct session *s, uint64_t now)
{
	size_t i;

	for (i = 0; i < s->ntimers; i++) {
		struct timer_state *t = &s->timers[i];
		struct vm_event ev;

		if (t->next > now)
			continue;
		memset(&ev, 0, sizeof(ev));
		ev.probe = t->probe;
		if (s->p->probes[t->probe].kind == BP_TIMER)
			session_run_probe(s, &ev);
		else
			run_sample(s, t->probe);
		s->pending = true;
		/* no catching up after a long stop: next period from now */
		schedule(s, t, t->next + (uint64_t)s->p->probes[t->probe].period_ns
				   > now ? t->next : now);
		if (vm_exit_requested(s->vm))
			return false;
	}
	if (s->deadline_T && now >= s->deadline_T)
		return false;
	return true;
}

/* ------------------------------------------------------------------ */
/* waiting without a tracer (begin/timer-only scripts)                */

static volatile sig_atomic_t plain_signal;

static void plain_handler(int sig)
{
	plain_signal = sig;
}

static void plain_loop(struct session *s)
{
	struct sigaction sa;
	sigset_t block, old;
	int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE };
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = plain_handler;
	sigemptyset(&block);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		sigaction(sigs[i], &sa, NULL);
		sigaddset(&block, sigs[i]);
	}
	sigprocmask(SIG_BLOCK, &block, &old);
	while (!plain_signal && !vm_exit_requested(s->vm)) {
		uint64_t now = now_ns(), d = next_deadline(s);
		struct timespec ts, *tsp = NULL;

		if (d) {
			uint64_t wait = d > now ? d - now : 0;

			ts.tv_sec = (time_t)(wait / 1000000000ull);
			ts.tv_nsec = (long)(wait % 1000000000ull);
			tsp = &ts;
		}
		ppoll(NULL, 0, tsp, &old);
		now = now_ns();
		if (!run_timers(s, now))
			break;
		flush_if_due(s, now);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/* ------------------------------------------------------------------ */
/* tracing                                                            */

static bool is_proc_kind(enum bc_probe_kind k)
{
	return k == BP_PROC_BEGIN || k == BP_PROC_END ||
	       k == BP_THREAD_BEGIN || k == BP_THREAD_END;
}

static bool has_kind(const struct bc_program *p, enum bc_probe_kind k)
{
	size_t i;

	for (i = 0; i < p->nprobes; i++)
		if (p->probes[i].kind == k)
			return true;
	return false;
}

static void add_requests(struct session *s)
{
	const struct bc_program *p = s->p;
	size_t i;
	bool said_sema = false;

	for (i = 0; i < p->nprobes; i++) {
		const struct bc_probe *bp = &p->probes[i];
		struct tracer_request r;

		if (bp->kind != BP_SDT)
			continue;
		if (s->agent_probe && s->agent_probe[i])
			continue;	/* served by the agent */
		memset(&r, 0, sizeof(r));
		r.path = bp->sdt_path;
		r.provider = bp->sdt_provider;
		r.name = bp->sdt_name;
		r.id = (int)i;
		tracer_add_request(s->tr, &r);
		if (p->python311_line_sema && bp->sdt_provider &&
		    !strcmp(bp->sdt_provider, "python") && bp->sdt_name &&
		    !strcmp(bp->sdt_name, "function__entry")) {
			if (s->o->verbose && !said_sema)
				fprintf(stderr, "pytap: CPython 3.11 fires function__entry only on its tracing path, so the 'line' semaphore of %s is raised too (the traced Python runs slower)\n",
					p->python311_path ? p->python311_path
							  : "its Python");
			said_sema = true;
			r.name = "line";
			r.id = -1;
			r.sema_only = true;
			tracer_add_request(s->tr, &r);
		}
	}
}

/*
 * Neither -c nor -x: every process that maps a probe's PATH is traced, now
 * and later (tracer_watch), and process(PID).begin/... attach to PID.
 */
static int system_wide(struct session *s, char *err, size_t errlen)
{
	const struct bc_program *p = s->p;

	for (size_t i = 0; i < p->nprobes; i++) {
		const struct bc_probe *bp = &p->probes[i];
		bool dup = false;

		if (bp->kind != BP_SDT && !is_proc_kind(bp->kind))
			continue;
		if (bp->sdt_pid) {
			for (size_t k = 0; k < i; k++)
				dup |= p->probes[k].sdt_pid == bp->sdt_pid;
			if (!dup && tracer_attach(s->tr, (pid_t)bp->sdt_pid,
						  err, errlen) != 0)
				return -1;
			continue;
		}
		if (bp->sdt_path == NULL)
			continue;
		for (size_t k = 0; k < i; k++)
			dup |= p->probes[k].sdt_path &&
			       !strcmp(p->probes[k].sdt_path, bp->sdt_path);
		if (dup)
			continue;
		if (s->o->verbose)
			fprintf(stderr,
				"pytap: tracing every process that maps %s\n",
				bp->sdt_path);
		tracer_watch(s->tr, bp->sdt_path);
	}
	return 0;
}

/* Is PATH among the objects the tracer found mapped in the targets? */
static bool object_mapped(struct session *s, const char *path)
{
	const struct tracer_object *objs;
	size_t n = tracer_objects(s->tr, &objs);

	for (size_t k = 0; k < n; k++)
		if (strcmp(objs[k].path, path) == 0)
			return true;
	return false;
}

/* The name the script gives probe I: its alias name, else the point. */
static const char *probe_name(const struct bc_probe *bp)
{
	return bp->pn ? bp->pn : bp->pp;
}

/*
 * Before any waiting: -v says what was searched and what was armed where;
 * whenever a probe cannot fire, one line says why.  A probe of a library
 * that is not loaded yet is waited for (dlopen), and said so; in
 * system-wide mode (no -c/-x) waiting for processes is the normal case.
 * A probe with no site armed in a loaded object is a warning (-v gives
 * the reason per site).  Nothing armed and nothing to wait for is an
 * error naming every object searched with its number of SDT notes.
 */
static bool report_unarmed(struct session *s)
{
	const struct bc_program *p = s->p;
	const struct tracer_object *objs;
	size_t i, j, k, n, nobj;
	bool any = false, all_missing = true, waiting = false;
	bool targeted = s->o->cmd || s->o->pid;

	nobj = tracer_objects(s->tr, &objs);
	if (s->o->verbose && nobj) {
		size_t none = 0, shown = 0;

		fprintf(stderr, "pytap: searched");
		for (k = 0; k < nobj; k++) {
			if (!objs[k].nnotes) {
				none++;
				continue;
			}
			fprintf(stderr, "%s %s (%zu SDT note%s)",
				shown++ ? "," : "", objs[k].path,
				objs[k].nnotes, objs[k].nnotes == 1 ? "" : "s");
		}
		if (none)
			fprintf(stderr, "%s %zu object%s without SDT notes",
				shown ? " and" : "", none, none == 1 ? "" : "s");
		fprintf(stderr, "\n");
	}
	for (i = 0; i < p->nprobes; i++) {
		const struct bc_probe *bp = &p->probes[i];
		const char *name = probe_name(bp);
		bool said = false;

		if (bp->kind != BP_SDT)
			continue;
		any = true;
		if (!bp->sdt_path && s->o->launched &&
		    !object_mapped(s, s->o->launched)) {
			/* -c env/sh/timeout ... python: bare process
			   probes bind to the Python it starts */
			waiting = true;
			if (s->o->verbose)
				fprintf(stderr,
					"pytap: waiting for python: -c runs %s first; %s fires once it starts %s\n",
					s->o->cmd[0], name, s->o->launched);
			continue;
		}
		if (s->agent_probe && s->agent_probe[i]) {
			all_missing = false;	/* the agent serves it */
			continue;
		}
		n = tracer_request_sites(s->tr, (int)i);
		if (n > 0) {
			all_missing = false;
			if (s->o->verbose)
				fprintf(stderr, "pytap: %s: %zu site%s armed (%s)\n",
					name, n, n == 1 ? "" : "s", bp->pp);
			continue;
		}
		if (bp->sdt_path && !object_mapped(s, bp->sdt_path)) {
			waiting = true;
			/* each (library, probe name) once */
			for (j = 0; j < i; j++)
				if (p->probes[j].kind == BP_SDT &&
				    p->probes[j].sdt_path &&
				    !strcmp(p->probes[j].sdt_path, bp->sdt_path) &&
				    !strcmp(probe_name(&p->probes[j]), name))
					said = true;
			if (said)
				continue;
			if (targeted)
				fprintf(stderr,
					"pytap: %s is not loaded yet: %s is armed when the program loads it\n",
					bp->sdt_path, name);
			else if (s->o->verbose)
				fprintf(stderr,
					"pytap: %s: waiting for processes that map %s\n",
					name, bp->sdt_path);
			continue;
		}
		if (bp->optional) {
			if (s->o->verbose)
				fprintf(stderr, "pytap: %s: no site (optional)\n",
					name);
			continue;
		}
		if (s->o->agent_mode == AGENT_MODE_OFF && bp->sdt_name &&
		    (!strcmp(bp->sdt_name, "function__entry") ||
		     !strcmp(bp->sdt_name, "function__return"))) {
			fprintf(stderr,
				"pytap: warning: %s: this Python has no function markers (CPython 3.12 and 3.13 have none); only the in-process agent serves it: drop --no-agent\n",
				name);
			continue;
		}
		fprintf(stderr,
			"pytap: warning: no site of %s could be armed in the target%s\n",
			name, s->o->verbose ? "" : " (pytap -v says why)");
	}
	if (!any || !all_missing || waiting)
		return true;
	fprintf(stderr, "pytap: error: none of the script's probes could be armed; searched:");
	for (k = 0; k < nobj; k++)
		fprintf(stderr, "%s %s (%zu SDT note%s)", k ? "," : "",
			objs[k].path, objs[k].nnotes,
			objs[k].nnotes == 1 ? "" : "s");
	fprintf(stderr, "\n");
	return false;
}

/* $argN of a breakpoint hit: the marker's operand spec over the stopped
 * thread's registers and memory. */
struct hit_args {
	struct vm_args base;	/* first: the VM sees this */
	struct session *s;
	const struct tracer_hit *h;
};

struct hit_read {
	const struct hit_args *ha;
	uint64_t addr;		/* the last address tried */
};

static int hit_mem(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct hit_read *r = ctx;

	r->addr = addr;
	return host_read(r->ha->s, r->ha->h->pid, addr, buf, len);
}

static int hit_arg(const struct vm_args *a, int n, int64_t *v,
		   uint64_t *fault)
{
	const struct hit_args *ha = (const struct hit_args *)a;
	struct hit_read r = { ha, 0 };

	if (sdt_arg_fetch(&ha->h->probe->args[n - 1], &ha->h->regs, hit_mem,
			  &r, v) < 0) {
		*fault = r.addr;
		return -1;
	}
	return 0;
}

/* $$parms of a python function__entry hit: the frame's arguments. */
static long hit_values(const struct vm_args *a, int what, char *out,
		       size_t cap)
{
	const struct hit_args *ha = (const struct hit_args *)a;

	if (what != 0)
		return -1;
	return py_vm_frame_args(ha->s->vm, ha->h->pid, ha->h->tid, out, cap);
}

static void handle_hit(struct session *s, const struct tracer_hit *h)
{
	struct hit_args ha;
	int i, ran = -1;

	memset(&ha, 0, sizeof(ha));
	ha.base.nargs = h->probe->nargs;
	ha.base.name = h->probe->name;
	ha.base.provider = h->probe->provider;
	ha.base.site = h->probe->pc;
	ha.base.get = hit_arg;
	if (h->probe->provider && h->probe->name &&
	    !strcmp(h->probe->provider, "python") &&
	    !strcmp(h->probe->name, "function__entry"))
		ha.base.values = hit_values;
	ha.s = s;
	ha.h = h;

	for (i = 0; i < h->nids; i++) {
		struct vm_event ev;

		if (h->ids[i] < 0)
			continue;
		if (ran >= 0 && vm_exit_requested(s->vm) &&
		    !session_same_point(s->p, ran, h->ids[i]))
			break;	/* not part of the probe that asked */
		/* process(PID).mark: not in that pid's children */
		if (s->p->probes[h->ids[i]].sdt_pid &&
		    s->p->probes[h->ids[i]].sdt_pid != h->pid)
			continue;
		memset(&ev, 0, sizeof(ev));
		ev.probe = h->ids[i];
		ev.pid = h->pid;
		ev.tid = h->tid;
		ev.args = &ha.base;
		session_run_probe(s, &ev);
		ran = h->ids[i];
	}
	s->pending = true;
}

/* Run the process/thread begin/end probes of KIND that cover process PID
 * (whose executable is EXE), in the context of thread TID. */
static void proc_probes(struct session *s, enum bc_probe_kind kind, pid_t pid,
			pid_t tid, const char *exe)
{
	for (size_t i = 0; i < s->p->nprobes; i++) {
		const struct bc_probe *bp = &s->p->probes[i];
		struct vm_event ev;

		if (bp->kind != kind ||
		    (bp->sdt_pid && bp->sdt_pid != pid) ||
		    (bp->sdt_path && strcmp(bp->sdt_path, exe) != 0))
			continue;
		memset(&ev, 0, sizeof(ev));
		ev.probe = (int)i;
		ev.pid = pid;
		ev.tid = tid;
		session_run_probe(s, &ev);
		s->pending = true;
		if (vm_exit_requested(s->vm))
			break;
	}
}

static void handle_pevent(struct session *s, const struct tracer_pevent *e)
{
	switch (e->kind) {
	case TPE_BEGIN:
		agent_want(s, e->pid);
		proc_probes(s, BP_PROC_BEGIN, e->pid, e->pid, e->exe);
		break;
	case TPE_THREAD_BEGIN:
		proc_probes(s, BP_THREAD_BEGIN, e->pid, e->tid, e->exe);
		break;
	case TPE_THREAD_END:
		proc_probes(s, BP_THREAD_END, e->pid, e->tid, e->exe);
		break;
	case TPE_EXEC:
		/* the old image ends, the new one begins */
		proc_probes(s, BP_PROC_END, e->pid, e->pid, e->old_exe);
		vm_forget(s->vm, e->pid);
		agent_exited(s, e->pid);	/* that agent is gone with it */
		agent_want(s, e->pid);
		if (!vm_exit_requested(s->vm))
			proc_probes(s, BP_PROC_BEGIN, e->pid, e->pid, e->exe);
		break;
	}
}

static int trace_loop(struct session *s)
{
	struct tracer_hit hit;
	struct tracer_exit ex;

	for (;;) {
		enum tracer_event ev;
		uint64_t now;

		if (vm_exit_requested(s->vm))
			return 0;
		{
			uint64_t d = next_deadline(s), ad = agent_deadline(s);

			if (ad && (!d || ad < d))
				d = ad;
			ev = tracer_wait(s->tr, d, &hit, &ex);
		}
		switch (ev) {
		case TEV_HIT:
			handle_hit(s, &hit);
			break;
		case TEV_EXIT:
			agent_exited(s, ex.pid);
			if (s->has_proc)
				proc_probes(s, BP_PROC_END, ex.pid, ex.pid,
					    ex.exe);
			vm_forget(s->vm, ex.pid);	/* cached execname etc. */
			if (s->o->verbose)
				fprintf(stderr, "pytap: process %d ended\n",
					(int)ex.pid);
			break;
		case TEV_PROC:
			handle_pevent(s, tracer_last_pevent(s->tr));
			break;
		case TEV_TIMEOUT:
			break;
		case TEV_SIGNAL:
			if (s->o->verbose)
				fprintf(stderr, "pytap: signal %d: detaching\n",
					tracer_last_signal(s->tr));
			agent_poll(s, true);	/* what happened before it */
			return 0;
		case TEV_NOPROC:
			return 0;
		case TEV_ERROR:
			return -1;
		}
		if (s->agent) {
			agent_poll(s, false);
			/* --agent: the agent or nothing */
			if (s->o->agent_mode == AGENT_MODE_ON &&
			    s->agent_failures)
				return -1;
		}
		now = now_ns();
		if (s->ntimers || s->deadline_T) {
			if (!run_timers(s, now))
				return 0;
		}
		flush_if_due(s, now);
	}
}

int session_run(const struct bc_program *p, const struct session_opts *o)
{
	struct session s;
	struct vm_host host;
	char err[512];
	int rc = PYTAP_EXIT_OK;
	bool sdt = has_kind(p, BP_SDT);
	bool proc = has_kind(p, BP_PROC_BEGIN) || has_kind(p, BP_PROC_END) ||
		    has_kind(p, BP_THREAD_BEGIN) ||
		    has_kind(p, BP_THREAD_END);
	bool need_tracer = sdt || proc || o->cmd || o->pid;
	struct timing timing;
	char **g;

	memset(&s, 0, sizeof(s));
	s.p = p;
	s.o = o;
	if (o->timing) {
		s.timing = &timing;
		timing_init(&timing, p->nprobes);
	}
	memset(&host, 0, sizeof(host));
	host.ud = &s;
	host.read_mem = host_read;
	host.read_str = host_read_str;
	host.read_vec = host_read_vec;
	host.stop_world = host_stop_world;
	host.resume_world = host_resume_world;
	host.world_epoch = host_world_epoch;
	host.ext = &py_vm_ext;
	host.target = o->pid;
	srandom((unsigned)now_ns());

	if (need_tracer) {
		struct tracer_options to;

		memset(&to, 0, sizeof(to));
		to.follow_forks = o->follow_forks;
		to.pin_cpu = o->pin_cpu;
		to.proc_events = true;
		to.verbose = o->verbose;
		agent_plan(&s, &to);
		if (s.plan_error) {
			free(s.agent_probe);
			return PYTAP_EXIT_COMPILE;
		}
		to.timing = o->timing;
		s.has_proc = proc;
		s.tr = tracer_new(&to);
		if (!s.tr) {
			fprintf(stderr, "pytap: cannot set up tracing\n");
			return PYTAP_EXIT_TRACE;
		}
		add_requests(&s);
	}
	/* -c: the child exists before begin runs, so target() is known */
	if (o->cmd) {
		pid_t pid = tracer_launch(s.tr, o->cmd, err, sizeof(err));

		if (pid < 0) {
			fprintf(stderr, "pytap: %s\n", err);
			tracer_free(s.tr);
			return PYTAP_EXIT_TRACE;
		}
		host.target = pid;
	} else if (o->pid) {
		if (tracer_attach(s.tr, o->pid, err, sizeof(err)) != 0) {
			fprintf(stderr, "pytap: %s\n", err);
			tracer_free(s.tr);
			return PYTAP_EXIT_TRACE;
		}
	} else if (s.tr && system_wide(&s, err, sizeof(err)) != 0) {
		fprintf(stderr, "pytap: %s\n", err);
		tracer_free(s.tr);
		return PYTAP_EXIT_TRACE;
	}
	s.vm = vm_new(p, &host, o->out, err, sizeof(err));
	if (!s.vm) {
		fprintf(stderr, "pytap: %s\n", err);
		if (s.tr)
			tracer_free(s.tr);
		return PYTAP_EXIT_COMPILE;
	}
	vm_suppress_errors(s.vm, o->suppress_errors);
	for (g = o->globals; g && *g; g++) {
		const char *eq = strchr(*g, '=');
		char name[256];

		if (!eq || (size_t)(eq - *g) >= sizeof(name)) {
			fprintf(stderr, "pytap: -G needs NAME=VALUE, not '%s'\n",
				*g);
			rc = PYTAP_EXIT_USAGE;
			goto out;
		}
		memcpy(name, *g, (size_t)(eq - *g));
		name[eq - *g] = 0;
		if (vm_set_global(s.vm, name, eq + 1, err, sizeof(err)) != 0) {
			fprintf(stderr, "pytap: -G %s: %s\n", *g, err);
			rc = PYTAP_EXIT_USAGE;
			goto out;
		}
	}
	if (s.tr && sdt && !report_unarmed(&s)) {
		rc = PYTAP_EXIT_TRACE;
		tracer_detach_all(s.tr);
		goto out;
	}
	if (o->timeout_ms > 0)
		s.deadline_T = now_ns() + (uint64_t)o->timeout_ms * 1000000ull;
	s.last_flush = now_ns();

	run_kind(&s, BP_BEGIN, true);
	vm_flush(s.vm);
	setup_timers(&s);
	if (!vm_exit_requested(s.vm)) {
		if (s.tr) {
			if (trace_loop(&s) < 0)
				rc = PYTAP_EXIT_TRACE;
		} else {
			plain_loop(&s);
		}
	}
	/* the one detach path: everything put back before end probes */
	if (s.tr) {
		agent_stop_all(&s);
		tracer_detach_all(s.tr);
	}
	if (s.tr && o->launched && !object_mapped(&s, o->launched))
		fprintf(stderr, "pytap: the command ended without ever running a Python (%s): no python probe fired\n",
			o->launched);
	vm_flush(s.vm);
	/* after a fatal error SystemTap runs error probes instead of end
	   probes, and stops running them at the next error */
	if (vm_error_count(s.vm) > p->maxerrors)
		run_kind(&s, BP_ERROR, false);
	else
		run_kind(&s, BP_END, false);
	vm_print_globals(s.vm);
	vm_flush(s.vm);
	if (s.timing) {
		if (s.tr)
			tracer_stop_time(s.tr, &timing.stopped_ns,
					 &timing.nstops);
		if (s.agent)
			timing.dropped = (int64_t)agent_dropped(&s);
		timing_report(&timing, p, o->out);
		fflush(o->out);
	}
	if (vm_error_count(s.vm) || vm_skipped_count(s.vm)) {
		fprintf(stderr, "WARNING: Number of errors: %d, skipped probes: %d\n",
			vm_error_count(s.vm), vm_skipped_count(s.vm));
		if (vm_error_count(s.vm) && rc == PYTAP_EXIT_OK)
			rc = PYTAP_EXIT_RUNTIME;
	}
out:
	agent_finish(&s);
	vm_free(s.vm);
	if (s.tr)
		tracer_free(s.tr);
	free(s.timers);
	if (s.timing)
		timing_free(s.timing);
	return rc;
}
