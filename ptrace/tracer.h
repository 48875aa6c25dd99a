/*
 * tracer.h - the ptrace engine: launch (-c) or attach to (-x) processes,
 * follow their threads, forks and execs, arm SDT probe sites with int3 and
 * raise their semaphores, report probe hits one at a time, and put every
 * byte, semaphore and CPU affinity back on detach.
 *
 * It knows nothing about scripts or the VM.  The session (session.c) says
 * which probe sites it wants through requests, then loops on tracer_wait():
 *
 *	tracer_wait() -> TEV_HIT      a thread is stopped on one of our sites;
 *	                              the session runs handlers, reading memory
 *	                              with tracer_read(); the thread is resumed
 *	                              by the next tracer_wait() call.
 *	              -> TEV_EXIT     one traced process ended (status given;
 *	                              followed children too)
 *	              -> TEV_PROC     with opt.proc_events: a process or thread
 *	                              began, a thread ended, a process exec'd
 *	                              (tracer_last_pevent())
 *	              -> TEV_TIMEOUT  the deadline passed
 *	              -> TEV_SIGNAL   pytap got SIGINT/SIGTERM/SIGHUP/SIGPIPE
 *	              -> TEV_NOPROC   nothing is traced any more
 *
 * Process-wide effects (one tracer per process): tracer_new() installs
 * handlers for SIGINT, SIGTERM, SIGHUP, SIGPIPE (they only set a flag) and
 * SIGALRM (a POSIX timer serves deadlines), all without SA_RESTART, and
 * tracer_free() puts the old ones back; the session's own blocking calls
 * may see EINTR.  tracer_wait() (and detach) use waitpid(-1, __WALL):
 * they also reap any other child of pytap, so the session must not fork
 * children of its own while tracing, nor attach to a child of its own
 * (its exit status, or its untraced zombie leader's, would be taken
 * here; tests/unit/tracer_smoke.c spawns such targets under a keeper).
 *
 * Libraries loaded at any time are armed: an int3 on the dynamic loader's
 * _dl_debug_state (its ret is emulated on each hit, so the breakpoint never
 * comes out and no thread passes it unseen) says when the link map
 * changed; the maps are read again then (procmaps.c).  Besides sites, the
 * only bytes written are that one and, after an exec, the entry point's
 * (a one-shot breakpoint, put back when hit).
 *
 * Surviving pytap's death (journal.c): while traced, a process's SIGTRAP
 * disposition is a handler that only returns; every change above is
 * journaled before it is made, and a watchdog process forked by the first
 * tracer_launch/tracer_attach/tracer_watch undoes whatever is left when
 * pytap dies.  tracer_free() tells it pytap ended cleanly.
 *
 * Invariants: a target never runs into one of our 0xcc bytes untraced; a
 * byte is only replaced if it is 0x90 (a site) or 0xc3 (the loader's
 * ret); after tracer_detach_all() (or tracer_free()) every process we
 * touched has its original bytes, semaphores and affinity back, and runs
 * (see tracer_detach_all() for a thread stuck in vfork()).
 */
#ifndef PYTAP_TRACER_H
#define PYTAP_TRACER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

#include "sdt.h"

struct tracer;

/*
 * Which sites to arm.  A site matches when its object file matches PATH and
 * its provider and name match the glob patterns (fnmatch).  PATH is either
 * NULL (any object mapped into a traced process: bare process.mark) or an
 * absolute, symlink-resolved file name; an object matches when its own
 * resolved name equals PATH, or when it is the same file (device and
 * inode: a container's bind mount), executables and libraries alike.
 */
struct tracer_request {
	const char *path;	/* NULL = any object in the traced processes */
	const char *provider;	/* glob, NULL = "*" */
	const char *name;	/* glob, NULL = "*" */
	int id;			/* returned in hits; the session's probe index */
	bool sema_only;		/* raise the semaphore, never arm the site
				   (CPython 3.11 line semaphore trick) */
};

struct tracer;

struct tracer_options {
	/* Safe points (inject.c): the symbol whose entry is one (e.g.
	 * "_PyEval_EvalFrameDefault"), and what to do in a thread that
	 * reached it after tracer_arm_safepoint(): the thread is stopped
	 * there, registers as at the symbol's entry; tracer_call() may run
	 * functions in it.  NULL: none. */
	const char *safepoint_sym;
	/* returns 0 when done (no more safe points wanted in PID), 1 to
	 * be called again at the next one */
	int (*safepoint)(void *ud, struct tracer *t, pid_t pid, pid_t tid);
	void *safepoint_ud;
	bool follow_forks;	/* trace children (default true); if false,
				   their copies are restored and detached */
	bool pin_cpu;		/* run tracer and tracees on one CPU */
	bool proc_events;	/* report TEV_PROC events */
	int verbose;		/* -v level: messages to stderr */
	bool timing;		/* count the time threads stay stopped at
				   breakpoints (tracer_stop_time) */
};

enum tracer_event {
	TEV_HIT,
	TEV_EXIT,
	TEV_TIMEOUT,
	TEV_SIGNAL,
	TEV_NOPROC,
	TEV_ERROR,
	TEV_PROC,
};

/*
 * Process events (TEV_PROC, only with opt.proc_events), in the order the
 * tracer saw them:
 *	TPE_BEGIN         a process is traced from now on: the -c command
 *	                  after its exec, the -x process, a followed child of
 *	                  fork/vfork, a process found by system-wide mode
 *	TPE_THREAD_BEGIN  a thread other than the main one: created, or
 *	                  already there when the process was attached
 *	TPE_THREAD_END    such a thread ends (at its exit stop, when seen)
 *	TPE_EXEC          the process replaced its image (old_exe -> exe)
 * The end of a process is TEV_EXIT.  Threads named here may already be
 * running again; only memory reads make sense.
 */
enum tracer_pkind {
	TPE_BEGIN,
	TPE_THREAD_BEGIN,
	TPE_THREAD_END,
	TPE_EXEC,
};

struct tracer_pevent {
	enum tracer_pkind kind;
	pid_t pid;		/* tgid */
	pid_t tid;		/* the thread (pid for TPE_BEGIN/EXEC) */
	bool is_target;		/* the -c / -x process itself */
	const char *exe;	/* its executable, "" if unknown */
	const char *old_exe;	/* TPE_EXEC: the image before, else "" */
};

struct tracer_hit {
	pid_t pid;		/* tgid of the stopped thread */
	pid_t tid;
	struct user_regs_struct regs;	/* read once; never written back */
	const struct sdt_probe *probe;	/* the note, args decoded */
	const char *object;	/* the ELF file that holds the site */
	uint64_t addr;		/* run-time address of the site */
	const int *ids;		/* ids of the requests (not sema_only) that
				   matched this site; valid until the next
				   tracer_wait() */
	int nids;
};

struct tracer_exit {
	pid_t pid;
	int status;		/* as from waitpid */
	bool is_target;		/* the -c / -x process itself (else a
				   followed child) */
	const char *exe;	/* its executable, "" if unknown; valid
				   until the next tracer_wait() */
};

/* With opt.timing: the thread-time the targets spent stopped at armed
 * sites (from the tracer seeing the stop to resuming the thread) and the
 * number of such stops. */
void tracer_stop_time(const struct tracer *t, uint64_t *ns, uint64_t *n);

struct tracer *tracer_new(const struct tracer_options *opt);

/* Add requests before tracer_launch/tracer_attach (copied). */
void tracer_add_request(struct tracer *t, const struct tracer_request *r);

/*
 * -c: start ARGV (argv[0] looked up in $PATH) stopped, arm it and let it
 * run.  Libraries mapped by the dynamic loader before main() are armed
 * before the program's first instruction of its own (at its entry point);
 * tracer_launch() returns once the program got there (events on the way,
 * e.g. hits in library constructors, are kept for tracer_wait()), so
 * tracer_request_sites() then counts them; libraries loaded later are
 * armed when the loader maps them.  No PTRACE_O_EXITKILL: if pytap
 * is killed the child lives on, and the watchdog (journal.c) restores it.
 * Returns the pid, or -1 with a one-line reason in ERR.
 */
pid_t tracer_launch(struct tracer *t, char *const argv[], char *err,
		    size_t errlen);

/*
 * System-wide mode (neither -c nor -x): trace every process that maps
 * PATH (an executable or a library, absolute and symlink-resolved), those
 * running now (looked for by the first tracer_wait()) and those that
 * start later: /proc is looked at every 100 ms for new processes (and
 * for exec'd ones), and a known process's maps are read again every
 * second (libraries loaded later).  Processes that cannot be traced
 * (another tracer, permission) are skipped (said under -v).  While
 * watching, tracer_wait() never returns TEV_NOPROC.  pin_cpu is ignored
 * in this mode: unrelated processes are not put on one CPU.
 */
void tracer_watch(struct tracer *t, const char *path);

/* -x: seize every thread of PID, arm, resume.  -1 with a reason in ERR
 * (no such process, permission, zombie, kernel thread, ...). */
int tracer_attach(struct tracer *t, pid_t pid, char *err, size_t errlen);

/* How many sites are armed now (all processes), and semaphores raised. */
size_t tracer_armed_sites(const struct tracer *t);

/* Sites armed (or semaphores raised, for sema_only) for request ID. */
size_t tracer_request_sites(const struct tracer *t, int id);

/* The ELF objects scanned so far in traced processes (executable first),
 * with how many SDT notes each has: for "why is nothing firing". */
struct tracer_object {
	const char *path;
	size_t nnotes;
};
size_t tracer_objects(const struct tracer *t, const struct tracer_object **out);

/* Wait for the next event; DEADLINE_NS is CLOCK_MONOTONIC, 0 = none.
 * HIT and EXIT fill the matching out-structure. */
enum tracer_event tracer_wait(struct tracer *t, uint64_t deadline_ns,
			      struct tracer_hit *hit, struct tracer_exit *ex);

/* Read target memory of PID (process_vm_readv, /proc/PID/mem fallback).
 * 0 on success, -1 (errno set) if any byte cannot be read. */
int tracer_read(struct tracer *t, pid_t pid, uint64_t addr, void *buf,
		size_t len);

/* Read a NUL-terminated string of at most MAX-1 bytes into BUF (always
 * terminated).  Returns its length, or -1 if the first byte is unreadable. */
ssize_t tracer_read_str(struct tracer *t, pid_t pid, uint64_t addr,
			char *buf, size_t max);

/*
 * Put everything back and let every process run on. Idempotent.
 * A thread waiting in vfork() cannot stop, so cannot be detached, until
 * its child execs or exits; its memory is restored at once, and it is
 * waited for up to 3 s (other processes are detached already).  After
 * that it stays attached (its bytes and semaphores are back; it stops
 * once when its vfork ends): tracer_free() detaches it if it got there
 * meanwhile, and the kernel detaches it when pytap exits.
 */
void tracer_detach_all(struct tracer *t);

/* For -c when pytap ends first: detach (everything restored), and the
 * child keeps running (it is not killed). */
void tracer_free(struct tracer *t);

/* The signal number that made tracer_wait() return TEV_SIGNAL. */
int tracer_last_signal(const struct tracer *t);

/* The event of the last TEV_PROC (valid until the next tracer_wait()). */
const struct tracer_pevent *tracer_last_pevent(const struct tracer *t);

/*
 * Stop every running traced thread (PTRACE_INTERRUPT; at most 3 s), so
 * that their memory can be read as of one moment (pystacks(), sampling).
 * Events seen meanwhile (hits, exits, new threads) are kept for
 * tracer_wait().  tracer_resume_threads() lets them run on; a thread held
 * for a TEV_HIT stays held until the next tracer_wait().
 */
void tracer_stop_threads(struct tracer *t);
void tracer_resume_threads(struct tracer *t);
/* The same for the N threads TIDS only (sample.hz: a sleeping thread is
 * not woken up); tracer_resume_threads() resumes them. */
void tracer_stop_some(struct tracer *t, const pid_t *tids, size_t n);

/* The live traced threads (of followed processes): up to MAX (tgid, tid)
 * pairs into PIDS and TIDS; returns how many there are. */
size_t tracer_threads(const struct tracer *t, pid_t *pids, pid_t *tids,
		      size_t max);

/* ---- calls into a traced process, at safe points only (inject.c) ---- */

/* Put the one-shot safe-point int3 into PID (opt.safepoint_sym must be
 * mapped there); the next thread to reach it calls opt.safepoint.
 * 0, or -1 (no such symbol mapped yet, not followed). */
int tracer_arm_safepoint(struct tracer *t, pid_t pid);
/* Take it out again (if nothing reached it). */
void tracer_disarm_safepoint(struct tracer *t, pid_t pid);

struct tracer_call {
	uint64_t fn;		/* run-time address */
	uint64_t args[6];	/* integer arguments */
	int nargs;
	const void *blob;	/* copied below the stack pointer, or NULL */
	size_t bloblen;
	int blob_arg;		/* args[blob_arg] = the blob's address */
};

/* Call C->fn in thread TID, which must be the one stopped in
 * opt.safepoint (only from there).  *RET = its rax.  0, or -1 + ERR. */
int tracer_call(struct tracer *t, pid_t tid, const struct tracer_call *c,
		uint64_t *ret, char *err, size_t errlen);
/* Run-time address of SYM in the objects mapped in PID (and the object's
 * path): 0, or -1 if none has it. */
int tracer_symbol(struct tracer *t, pid_t pid, const char *sym,
		  uint64_t *addr, const char **objpath);
/* Read PID's maps again (e.g. after a dlopen it was made to do). */
int tracer_rescan(struct tracer *t, pid_t pid);

#endif
