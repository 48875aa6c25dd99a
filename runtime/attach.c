/*
 * attach.c - getting hold of a target: -c (tracer_launch: fork, stop the
 * child before exec, seize it, run it to its exec event, arm) and -x
 * (tracer_attach: check the pid, seize every thread until the set is
 * stable, interrupt them all, arm, resume), with one-line reasons when it
 * cannot be done.
 */
#include "tracer_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
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

	while ((p = tr_proc_find(t, pid)) != NULL && p->entry_armed &&
	       !tr_signal_pending()) {
		struct tracer_hit h;
		struct tracer_exit ex;
		int status;
		pid_t r = waitpid(-1, &status, __WALL);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
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

pid_t tracer_launch(struct tracer *t, char *const argv[], char *err,
		    size_t errlen)
{
	int pfd[2], status, e = 0;
	pid_t pid;
	struct tproc *p;
	struct tthr *th;

	if (argv == NULL || argv[0] == NULL) {
		tr_seterr(err, errlen, "no command to run");
		return -1;
	}
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		tr_seterr(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	tr_pin_self(t);
	pid = fork();
	if (pid < 0) {
		tr_seterr(err, errlen, "fork: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		for (int i = 0; i < 4; i++)
			signal(tr_caught_sigs[i], SIG_DFL);
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
		tr_seterr(err, errlen, "cannot trace '%s': %s", argv[0],
		       strerror(e));
		return -1;
	}
	kill(pid, SIGCONT);
	for (;;) {
		if (waitpid(pid, &status, __WALL) < 0) {
			if (errno == EINTR)
				continue;
			tr_seterr(err, errlen, "waitpid: %s", strerror(errno));
			close(pfd[0]);
			return -1;
		}
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			e = 0;
			if (read(pfd[0], &e, sizeof(e)) != sizeof(e))
				e = 0;
			close(pfd[0]);
			if (e)
				tr_seterr(err, errlen, "cannot run '%s': %s",
				       argv[0], strerror(e));
			else
				tr_seterr(err, errlen, "cannot run '%s'", argv[0]);
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
		tr_seterr(err, errlen, "out of memory");
		return -1;
	}
	p->is_target = true;
	if (t->self_pinned) {
		th->have_mask = true;
		th->orig_mask = t->self_mask;
		tr_pin_thread(t, th);
	}
	pm_mem_open(p);
	pm_scan(t, p);
	tr_set_entry_bp(t, p);
	t->attached = true;
	tr_resume(th);
	run_to_entry(t, pid);
	return pid;
}

/* "key:\tvalue" from /proc/PID/status, or -1. */
long tr_status_field(pid_t pid, const char *key, char *sval, size_t slen)
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
	long tracer = tr_status_field(pid, "TracerPid", NULL, 0);
	FILE *f;

	if (tracer > 0 && tracer != getpid()) {
		tr_seterr(err, errlen,
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
		tr_seterr(err, errlen,
		       "not permitted to trace pid %d (are you root? /proc/sys/kernel/yama/ptrace_scope is %s)",
		       (int)pid, scope);
	} else {
		tr_seterr(err, errlen,
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
		tr_seterr(err, errlen, "invalid pid %d", (int)pid);
		return -1;
	}
	if (pid == getpid()) {
		tr_seterr(err, errlen, "cannot trace pytap itself (pid %d)",
		       (int)pid);
		return -1;
	}
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	if (access(path, F_OK) < 0 || (kill(pid, 0) < 0 && errno == ESRCH)) {
		tr_seterr(err, errlen, "no process with pid %d", (int)pid);
		return -1;
	}
	if (is_kthread(pid)) {
		tr_seterr(err, errlen, "pid %d is a kernel thread", (int)pid);
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
			tr_seterr(err, errlen, "cannot trace pytap itself");
			return -1;
		}
	}
	tr_status_field(pid, "State", state, sizeof(state));
	if (state[0] == 'Z' || state[0] == 'X') {
		long threads = tr_status_field(pid, "Threads", NULL, 0);

		if (threads <= 1) {
			tr_seterr(err, errlen, "process %d is a zombie",
			       (int)pid);
			return -1;
		}
	}
	if (tr_proc_find(t, pid)) {
		tr_seterr(err, errlen, "pid %d is traced already", (int)pid);
		return -1;
	}
	tr_pin_self(t);
	p = tr_proc_new(t, pid);
	if (p == NULL) {
		tr_seterr(err, errlen, "out of memory");
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
			if (round == 0 || tr_thr_find(t, pid) == NULL) {
				tr_seterr(err, errlen, "no process with pid %d",
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
					tr_seterr(err, errlen,
					       "no process with pid %d",
					       (int)pid);
				else
					tr_seterr(err, errlen,
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
	tr_stop_all(t, STOP_TIMEOUT_MS);
	for (struct tproc *q = t->procs; q; q = q->next) {
		/* a vfork child's memory is its parent's: scanned there */
		if (q->scanned || !q->follow || q->shares_mm)
			continue;
		pm_mem_open(q);
		pm_scan(t, q);
		if (q->fresh_exec)
			tr_set_entry_bp(t, q);
	}
	t->attached = true;
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
