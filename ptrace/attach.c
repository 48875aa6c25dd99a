/*
 * attach.c - getting hold of a target: -c (tracer_launch: fork, stop the
 * child before exec, seize it, run it to its exec event, arm) and -x
 * (tracer_attach: check the pid, seize every thread until the set is
 * stable, interrupt them all, arm, resume), with one-line reasons when it
 * cannot be done.
 */
#include "procfs.h"
#include "tracer_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * Let a freshly exec'd dynamically linked PID run to its entry point, where
 * the libraries the loader mapped get armed, so that tracer_launch()
 * returns with everything armed that will be before main().  Events on the
 * way (library constructors may run code, fork, take signals) are handled
 * as tracer_wait() would; a hit or an exit is kept for it to report.
 */
static void run_to_entry(struct tracer *t, pid_t pid)
{
	struct tproc *p;
	struct tracer_hit h;
	struct tracer_exit ex;
	int status;
	pid_t r = 0;

	while ((p = tr_proc_find(t, pid)) != NULL && p->entry.armed &&
	       !tr_signal_pending() && (r = tr_wait_any(&status)) >= 0) {
		if (r == 0)	/* interrupted: look again */
			continue;
		switch (tr_handle(t, r, status, M_RUN, &h, &ex)) {
		case H_HIT: {
			struct tthr *th = tr_thr_find(t, h.tid);

			if (th)
				tr_set_pending_hit(t, th, true);
			break;
		}
		case H_EXIT:
			tr_exit_push(t, &ex);
			break;
		case H_NONE:
			break;
		}
	}
}

/* Before the first change to any process: the restore journal's
 * watchdog (journal.c), forked before pytap pins itself to a CPU. */
static void start_watchdog(struct tracer *t)
{
	static bool said;

	if (jr_start(t) < 0) {
		if (t->opt.verbose >= 1)
			fprintf(stderr,
				"pytap: no watchdog (%s): if pytap is killed, its breakpoints stay in the target\n",
				strerror(errno));
	} else if (t->opt.verbose >= 2 && !said) {
		fprintf(stderr, "pytap: watchdog started\n");
	}
	said = true;
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
	start_watchdog(t);
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		seterr(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	tr_pin_self(t, 0);
	pid = fork();
	if (pid < 0) {
		seterr(err, errlen, "fork: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		/* the command starts with the dispositions pytap was
		   started with: one ignored (nohup's SIGHUP) stays
		   ignored, as it would be without pytap */
		for (int i = 0; i < 4; i++)
			sigaction(tr_caught_sigs[i], &t->old_act[i], NULL);
		sigaction(SIGALRM, &t->old_act[4], NULL);
		raise(SIGSTOP);
		execvp(argv[0], argv);
		e = errno;
		if (write(pfd[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(pfd[1]);
	jr_launch(pid);
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
	jr_launch(0);
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
	p = tr_proc_new(t, pid);
	th = p ? tr_thr_new(t, pid, p, THR_STOPPED) : NULL;
	if (th == NULL) {
		ptrace(PTRACE_DETACH, pid, 0, 0);
		seterr(err, errlen, "out of memory");
		return -1;
	}
	p->is_target = true;
	th->ev_stop = true;	/* the exec event */
	if (t->self_pinned) {
		th->have_mask = true;
		th->orig_mask = t->self_mask;
		tr_pin_thread(t, th);
	}
	pm_mem_open(p);
	tr_proc_set_exe(p);
	pm_scan(t, p);
	tr_set_entry_bp(t, p);
	tr_pev_push(t, TPE_BEGIN, p, pid, NULL);
	t->attached = true;
	tr_resume(th);
	run_to_entry(t, pid);
	return pid;
}

/* "key:\tvalue" from /proc/PID/status, or -1. */
long tr_status_field(pid_t pid, const char *key, char *sval, size_t slen)
{
	char v[256];

	if (procfs_status(pid, 0, key, v, sizeof(v)) < 0)
		return -1;
	if (sval && slen > 0) {
		size_t n = strnlen(v, slen - 1);

		memcpy(sval, v, n);
		sval[n] = '\0';
	}
	return strtol(v, NULL, 10);
}

/* PF_KTHREAD from /proc/PID/stat (field 9, after the ")" of comm). */
static bool is_kthread(pid_t pid)
{
	char buf[1024];
	const char *s = procfs_stat(pid, 0, buf, sizeof(buf));
	unsigned long flags = 0;

	if (s == NULL)
		return false;
	/* state ppid pgrp session tty_nr tpgid flags */
	if (sscanf(s, " %*c %*d %*d %*d %*d %*d %lu", &flags) != 1)
		return false;
	return (flags & 0x00200000UL) != 0;
}

static char thread_state(pid_t pid, pid_t tid)
{
	char buf[512];
	const char *s;

	if (procfs_read(pid, tid, "stat", buf, sizeof(buf)) < 0)
		return 'X';
	s = strrchr(buf, ')');
	return s && s[1] == ' ' ? s[2] : '?';
}

/*
 * Is TID (seized, of PID) a vfork() parent waiting for its child to exec
 * or exit?  It sleeps in the kernel (state D: a killable wait, where no
 * ptrace stop can reach it) in vfork, or clone / clone3 with CLONE_VFORK.
 * Its child, if any, goes in *CHILD.
 */
static bool vfork_waiting(pid_t pid, pid_t tid, pid_t *child)
{
	char buf[512];
	unsigned long long nr, a1;
	bool vf = false;

	*child = 0;
	if (thread_state(pid, tid) != 'D' ||
	    procfs_read(pid, tid, "syscall", buf, sizeof(buf)) < 0 ||
	    sscanf(buf, "%llu %llx", &nr, &a1) != 2)
		return false;
	if (nr == SYS_vfork) {
		vf = true;
	} else if (nr == SYS_clone) {
		vf = (a1 & CLONE_VFORK) != 0;
	} else if (nr == SYS_clone3) {
		/* struct clone_args starts with the u64 flags */
		char path[64];
		uint64_t flags = 0;
		int fd;

		snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			vf = pread(fd, &flags, sizeof(flags), (off_t)a1) ==
			     (ssize_t)sizeof(flags) && (flags & CLONE_VFORK);
			close(fd);
		}
	}
	if (vf && procfs_read(pid, tid, "children", buf, sizeof(buf)) > 0)
		*child = (pid_t)atoi(buf);
	return vf;
}

/* The command name of PID ("?" if gone). */
static void comm_of(pid_t pid, char *buf, size_t len)
{
	if (procfs_read(pid, 0, "comm", buf, len) < 0)
		snprintf(buf, len, "?");
	buf[strcspn(buf, "\n")] = '\0';
}

/*
 * PID traced by another pytap: most likely the watchdog of one that was
 * just killed, putting the target back (doc/survival.md), which lets go
 * within moments.  Wait for that, up to TRACER_WAIT_MS.
 */
static void wait_other_pytap(struct tracer *t, pid_t pid)
{
	long tracer = tr_status_field(pid, "TracerPid", NULL, 0);
	char comm[64];

	if (tracer <= 0 || tracer == getpid())
		return;
	comm_of((pid_t)tracer, comm, sizeof(comm));
	if (strcmp(comm, "pytap") != 0)
		return;
	if (t->opt.verbose >= 1)
		fprintf(stderr,
			"pytap: pid %d is traced by pytap %ld (a killed pytap's watchdog?): waiting up to %d ms for it to let go\n",
			(int)pid, tracer, TRACER_WAIT_MS);
	for (int ms = 0; ms < TRACER_WAIT_MS; ms += 2) {
		struct timespec ts = { 0, 2 * 1000000L };

		nanosleep(&ts, NULL);
		if (tr_status_field(pid, "TracerPid", NULL, 0) <= 0)
			return;
	}
}

static void eperm_reason(pid_t pid, char *err, size_t errlen)
{
	char scope[32] = "";
	long tracer = tr_status_field(pid, "TracerPid", NULL, 0);
	FILE *f;

	if (tracer > 0 && tracer != getpid()) {
		char comm[64];

		comm_of((pid_t)tracer, comm, sizeof(comm));
		seterr(err, errlen,
		       "not permitted to trace pid %d: it is already traced by pid %ld (%s)",
		       (int)pid, tracer, comm);
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

static int tid_cmp(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return x < y ? -1 : x > y;
}

/* process.begin for P, then thread.begin for its other threads in tid
 * order (they were there before we came). */
static void begin_events(struct tracer *t, struct tproc *p)
{
	pid_t *tids = NULL;
	size_t n = 0;

	tr_pev_push(t, TPE_BEGIN, p, p->pid, NULL);
	for (struct tthr *th = t->threads; th; th = th->next) {
		pid_t *nt;

		if (th->p != p || th->tid == p->pid)
			continue;
		nt = realloc(tids, (n + 1) * sizeof(*nt));
		if (nt == NULL)
			break;
		tids = nt;
		tids[n++] = th->tid;
	}
	if (n)
		qsort(tids, n, sizeof(*tids), tid_cmp);
	for (size_t i = 0; i < n; i++)
		tr_pev_push(t, TPE_THREAD_BEGIN, p, tids[i], NULL);
	free(tids);
}

int tracer_attach(struct tracer *t, pid_t pid, char *err, size_t errlen)
{
	start_watchdog(t);
	return tr_attach_proc(t, pid, true, err, errlen);
}

/* Attach to PID (the -x target, or one found by system-wide mode). */
int tr_attach_proc(struct tracer *t, pid_t pid, bool is_target, char *err,
		   size_t errlen)
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
	tgid = tr_status_field(pid, "Tgid", NULL, 0);
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
	tr_status_field(pid, "State", state, sizeof(state));
	if (state[0] == 'Z' || state[0] == 'X') {
		long threads = tr_status_field(pid, "Threads", NULL, 0);

		if (threads <= 1) {
			seterr(err, errlen, "process %d is a zombie",
			       (int)pid);
			return -1;
		}
	}
	if (tr_proc_find(t, pid)) {
		seterr(err, errlen, "pid %d is traced already", (int)pid);
		return -1;
	}
	wait_other_pytap(t, pid);
	tr_pin_self(t, pid);
	p = tr_proc_new(t, pid);
	if (p == NULL) {
		seterr(err, errlen, "out of memory");
		return -1;
	}
	p->is_target = is_target;
	/* seize every thread until no new one shows up */
	for (int round = 0; round < 1000; round++) {
		int added = 0;
		DIR *d;
		struct dirent *de;

		snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
		d = opendir(path);
		if (d == NULL) {
			if (round == 0 || tr_thr_find(t, pid) == NULL) {
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

			if (tid <= 0 || tr_thr_find(t, tid))
				continue;
			ts = thread_state(pid, tid);
			/* dead threads cannot be seized; that includes a
			 * leader that called pthread_exit() while others
			 * run (the zombie process case was refused above) */
			if (ts == 'Z' || ts == 'X')
				continue;
			if (ptrace(PTRACE_SEIZE, tid, 0, PTRACE_OPTS) < 0) {
				int e = errno;

				if (e == ESRCH && tid != pid)
					continue;
				if (e == EPERM && tid != pid &&
				    tr_status_field(tid, "TracerPid", NULL, 0) ==
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
			th = tr_thr_new(t, tid, p, THR_RUNNING);
			if (th == NULL)
				continue;
			tr_pin_thread(t, th);
			added++;
			nthr++;
		}
		closedir(d);
		if (added == 0)
			break;
	}
	if (tr_thr_find(t, pid) == NULL) {
		/* the leader is a zombie: read /proc through a live thread */
		for (struct tthr *th = t->threads; th; th = th->next)
			if (th->p == p)
				p->io_pid = th->tid;
	}
	if (nthr == 0) {
		seterr(err, errlen, "no live thread in pid %d", (int)pid);
		goto fail;
	}
	for (struct tthr *th = t->threads; th; th = th->next) {
		pid_t child;

		if (th->p != p || !vfork_waiting(pid, th->tid, &child))
			continue;
		/* it runs no code of its own until the vfork ends: not
		   waited for, held when it returns */
		th->in_vfork = true;
		th->vfork_attach = true;
		ptrace(PTRACE_INTERRUPT, th->tid, 0, 0);
		if (t->opt.verbose >= 1)
			fprintf(stderr,
				"pytap: thread %d of pid %d waits in vfork() for %s%.0d to exec or exit; it is traced from its return\n",
				(int)th->tid, (int)pid,
				child ? "child " : "its child", (int)child);
	}
	tr_stop_all(t, p, STOP_TIMEOUT_MS);
	tr_proc_set_exe(p);
	for (struct tproc *q = t->procs; q; q = q->next) {
		/* a vfork child's memory is its parent's: scanned there */
		if (q->scanned || !q->follow || q->shares_mm)
			continue;
		pm_mem_open(q);
		jr_trap_install(t, q, 0);
		pm_scan(t, q);
		if (q->fresh_exec)
			tr_set_entry_bp(t, q);
	}
	t->attached = true;
	begin_events(t, p);
	if (t->opt.verbose >= 1)
		fprintf(stderr, "pytap: attached to pid %d (%d thread%s)\n",
			(int)pid, nthr, nthr == 1 ? "" : "s");
	tr_resume_all(t);
	return 0;
fail:
	for (struct tthr *th = t->threads, *next; th; th = next) {
		next = th->next;
		if (th->p == p)
			tr_detach_thread(t, th);
	}
	tr_proc_del(t, p);
	return -1;
}

/* ---- system-wide mode ---- */

void tracer_watch(struct tracer *t, const char *path)
{
	char **n = realloc(t->watch, (t->nwatch + 1) * sizeof(*n));

	start_watchdog(t);

	if (n == NULL)
		return;
	t->watch = n;
	if (tr_fileid_push(&t->watch_ids, t->nwatch, path) < 0)
		return;
	t->watch[t->nwatch] = strdup(path);
	if (t->watch[t->nwatch] == NULL)
		return;
	t->nwatch++;
	t->opt.pin_cpu = false;	/* unrelated processes: not on one CPU */
	t->next_poll = 0;	/* look at once */
}

void tr_watch_free(struct tracer *t)
{
	for (size_t i = 0; i < t->nwatch; i++)
		free(t->watch[i]);
	free(t->watch);
	free(t->watch_ids);
	t->watch = NULL;
	t->watch_ids = NULL;
	t->nwatch = 0;
	for (size_t i = 0; i < t->nseen; i++)
		free(t->seen[i].exe);
	free(t->seen);
	t->seen = NULL;
	t->nseen = 0;
}

static bool watched(const struct tracer *t, const char *path)
{
	for (size_t i = 0; i < t->nwatch; i++)
		if (strcmp(t->watch[i], path) == 0)
			return true;
	return false;
}

/* Does PID map one of the watched files (by name, or by device and inode:
 * a container may show it under another path)? */
static int watched_one(void *ctx, const struct procfs_map *m)
{
	const struct tracer *t = ctx;

	for (size_t i = 0; i < t->nwatch; i++)
		if (tr_path_matches(t->watch[i], &t->watch_ids[i], m->path,
				    m->major, m->minor, m->inode))
			return 1;
	return 0;
}

static bool maps_watched(const struct tracer *t, pid_t pid)
{
	return procfs_each_file_map(pid, watched_one, (void *)t) > 0;
}

static int seen_cmp(const void *a, const void *b)
{
	const struct seen *x = a, *y = b;

	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/* PID among the first N (sorted) entries of t->seen. */
static struct seen *seen_find(struct tracer *t, size_t n, pid_t pid)
{
	struct seen key = { .pid = pid };

	if (n == 0)
		return NULL;
	return bsearch(&key, t->seen, n, sizeof(*t->seen), seen_cmp);
}

/*
 * System-wide mode: look through /proc for processes that map a watched
 * path and are not traced yet; attach to them.  A process is looked at
 * when it is new or its executable changed (exec), and its maps are read
 * again every WATCH_RECHECK_MS (dlopen).  Processes that refused (another
 * tracer, permission) are not tried again until they exec.
 */
void tr_watch_poll(struct tracer *t)
{
	uint64_t now = tr_now_ns();
	size_t nold = t->nseen;
	struct dirent *de;
	DIR *d;

	t->next_poll = now + (uint64_t)WATCH_NEW_MS * 1000000u;
	for (size_t i = 0; i < t->nseen; i++)
		t->seen[i].gone = true;
	d = opendir("/proc");
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char path[64], exe[4096], err[256];
		pid_t pid = (pid_t)atoi(de->d_name);
		struct seen *s;
		bool look;
		ssize_t n;

		if (pid <= 0 || pid == getpid())
			continue;
		s = seen_find(t, nold, pid);	/* each pid comes once */
		if (s == NULL) {
			struct seen *ns = realloc(t->seen, (t->nseen + 1) *
						  sizeof(*ns));

			if (ns == NULL)
				break;
			t->seen = ns;
			/* appended after the sorted part, sorted below */
			s = &t->seen[t->nseen++];
			memset(s, 0, sizeof(*s));
			s->pid = pid;
		}
		s->gone = false;
		if (tr_proc_find(t, pid))
			continue;	/* traced already */
		snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
		n = readlink(path, exe, sizeof(exe) - 1);
		if (n <= 0)
			continue;	/* kernel thread, zombie, gone */
		exe[n] = '\0';
		look = s->exe == NULL || strcmp(s->exe, exe) != 0;
		if (look) {
			free(s->exe);
			s->exe = strdup(exe);
			s->refused = false;
		} else if (s->refused ||
			   now - s->checked < (uint64_t)WATCH_RECHECK_MS *
						1000000u) {
			continue;
		}
		s->checked = now;
		if (!watched(t, exe) && !maps_watched(t, pid))
			continue;
		if (is_kthread(pid))
			continue;
		if (tr_attach_proc(t, pid, false, err, sizeof(err)) < 0) {
			s->refused = true;
			if (t->opt.verbose >= 1)
				fprintf(stderr, "pytap: not tracing pid %d: %s\n",
					(int)pid, err);
		} else if (t->opt.verbose >= 1) {
			fprintf(stderr, "pytap: tracing pid %d (%s)\n",
				(int)pid, exe);
		}
	}
	closedir(d);
	/* forget the processes that are gone, keep the rest sorted */
	size_t w = 0;

	for (size_t i = 0; i < t->nseen; i++) {
		if (t->seen[i].gone) {
			free(t->seen[i].exe);
			continue;
		}
		t->seen[w++] = t->seen[i];
	}
	t->nseen = w;
	qsort(t->seen, t->nseen, sizeof(*t->seen), seen_cmp);
}
