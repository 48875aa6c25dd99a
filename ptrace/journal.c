/*
 * journal.c - what happens when pytap itself dies (SIGKILL, OOM killer):
 * the target must live on and get back every byte pytap changed.
 *
 * Two parts.
 *
 * 1. SIGTRAP survival.  While pytap lives, a thread that runs into one of
 *    its int3s stops (a ptrace stop) and the SIGTRAP is never delivered.
 *    When pytap dies the kernel detaches every tracee; a thread that was
 *    held on a site, or the next one to reach an armed site, gets SIGTRAP
 *    delivered, and its default action kills the process.  So while a
 *    process is traced its SIGTRAP disposition is a handler that only
 *    returns: on a 1-byte nop SDT site, after the int3 rip = site+1 is
 *    exactly where execution goes on, so a stray hit costs one signal
 *    delivery and nothing else.  The handler is a "ret" instruction
 *    already in the target's code (an "endbr64; ret" of the C library by
 *    preference) with SA_RESTORER = the C library's rt_sigreturn
 *    trampoline ("mov $15,%rax; syscall", found by its bytes: glibc's
 *    __restore_rt is not an exported symbol).  It is installed and put
 *    back by rt_sigaction run in a ptrace-stopped thread (a "syscall;
 *    ret" of the C library, run to its exit stop): a raw system call takes no
 *    lock of the target, so any stop but an event stop inside a system
 *    call will do -- no function is called, no Python code runs.  The
 *    injection itself survives pytap's death: the thread's stack pointer
 *    points at a signal frame of its own state (registers, the legacy FPU
 *    area, its blocked mask; a system call it was stopped in is
 *    restarted, as the kernel would), whose return address is the
 *    trampoline, so a thread let go in the middle of it runs the call,
 *    returns into rt_sigreturn and is back where it was.  The call is run
 *    with syscall stops (PTRACE_O_TRACESYSGOOD), not a single-step: a
 *    death in such a stop sends no SIGTRAP and leaves no trap flag; after
 *    it the thread is brought back to an interrupt stop.  A process with a SIGTRAP
 *    handler of its own is left alone (its handler gets the stray hits);
 *    SIG_IGN is replaced too (the kernel turns an ignored int3 trap into
 *    a kill).  A SIGTRAP of the program's own while traced (raise, its own
 *    int3) gives it its own disposition back first, so it acts as
 *    untraced.
 *
 * 2. The restore journal and its watchdog.  Before attaching (or
 *    launching), pytap forks a watchdog (double fork, own session: it
 *    outlives pytap and a kill of pytap's process group) that shares a
 *    journal with pytap (a MAP_SHARED anonymous mapping) and holds the
 *    read end of a pipe whose write end only pytap holds.  pytap writes
 *    to the journal *before* each change of a target: an int3 byte (with
 *    the byte it replaces), a semaphore raise (with the value before, so
 *    a raise cut short by death is told from one done), a thread's CPU
 *    affinity, the SIGTRAP disposition; and takes the entry out after
 *    undoing the change.  On a clean end pytap marks the journal done and
 *    the watchdog exits.  At EOF without "done" pytap died: the watchdog
 *    puts every byte back that still is 0xcc, takes our raises off the
 *    semaphores, restores affinities that are still pytap's single CPU,
 *    then attaches to each process (the kernel let go of it when pytap
 *    died), stops its threads, rewinds a thread stopped on a trap of one
 *    of the restored int3s, gives back the SIGTRAP disposition (only if
 *    it still is pytap's), detaches and exits.  Measured: well under a
 *    second after pytap's death (tests/probe/survive.test).
 *
 * Not covered (doc/pytap.1, README): a stray hit on one of pytap's int3s
 * that is not on a nop (the loader's ret, the entry point, inject.c's safe
 * points) in the few milliseconds before the watchdog puts the byte back;
 * a thread that blocks SIGTRAP (the kernel kills on a blocked trap); a
 * target that installs a SIGTRAP handler of its own while traced; pytap
 * killed in the middle of an injected call (inject.c: the agent's
 * dlopen); a child forked in the moment
 * before pytap saw the fork (it keeps the no-op handler and its raised
 * semaphores); a static executable launched with -c (no entry-point
 * stop: no handler).  With -c, a program that pytap had not let go yet (stopped before its
 * exec) is continued, and runs on untraced.
 */
#include "tracer_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define INT3 0xcc
#define RED_ZONE 128
#define KSA_RESTORER 0x04000000ul
#define KSA_RESTART 0x10000000ul

#define J_MAGIC 0x70797461706a726eull	/* "pytapjrn" */
#define J_MAXENT 16384		/* bytes and semaphores */
#define J_MAXPROC 1024
#define J_MAXAFF 4096
#define J_WAIT_MS 2000		/* watchdog: for pytap to let go */

enum { JE_FREE, JE_BYTE, JE_SEMA };

struct jent {
	uint32_t kind;
	int32_t pid;
	uint64_t addr;
	uint32_t n;		/* JE_SEMA: raises pytap holds */
	uint16_t before;	/* JE_SEMA pending: the value before */
	uint8_t pending;	/* JE_SEMA: a raise under way */
	uint8_t orig;		/* JE_BYTE: the byte under the int3 */
};

struct jproc {
	int32_t pid;		/* 0 = free */
	uint32_t trap;		/* 1: pytap's handler is (being) installed */
	uint64_t start;		/* start time (/proc/PID/stat field 22) */
	uint64_t insn;		/* a "syscall; ret" in the process */
	struct ksigact orig, mine;
};

struct jaff {
	int32_t tid;		/* 0 = free */
	int32_t pid;
	int32_t cpu;		/* the one CPU pytap pinned it to */
	cpu_set_t mask;		/* its affinity before */
};

struct journal {
	uint64_t magic;
	volatile uint32_t done;
	uint32_t full_said;
	uint32_t hw_ent, hw_proc, hw_aff;	/* high-water marks */
	int verbose;
	int32_t launched;	/* -c: a child stopped before its exec */
	uint64_t launched_start;
	struct jent ent[J_MAXENT];
	struct jproc proc[J_MAXPROC];
	struct jaff aff[J_MAXAFF];
};

static struct journal *J;
static int J_wfd = -1;

/* ---- the journal, pytap's side ---- */

static uint64_t proc_start(pid_t pid)
{
	char path[64], buf[1024], *s;
	unsigned long long v = 0;
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	s = strrchr(buf, ')');
	/* field 22 (starttime); s is at the end of field 2 */
	for (int field = 2; s && field < 22; field++)
		s = strchr(s + 1, ' ');
	if (s == NULL || sscanf(s, " %llu", &v) != 1)
		return 0;
	return v;
}

static void full(const char *what)
{
	if (J->full_said)
		return;
	J->full_said = 1;
	fprintf(stderr,
		"pytap: WARNING: the restore journal is full (%s): if pytap is killed, some changes stay in the target\n",
		what);
}

/* A zeroed entry of a table of MAX of SIZE bytes at BASE, *HW used so far:
 * FREE (a free one seen below *HW) if not NULL, else the next one; NULL,
 * said once, when the table is full. */
static void *slot_take(void *free, void *base, size_t size, uint32_t *hw,
		       uint32_t max, const char *what)
{
	if (free == NULL) {
		if (*hw == max) {
			full(what);
			return NULL;
		}
		free = (char *)base + (size_t)(*hw)++ * size;
	}
	memset(free, 0, size);
	return free;
}

static struct jproc *jproc_get(pid_t pid, bool create)
{
	struct jproc *fr = NULL;

	for (uint32_t i = 0; i < J->hw_proc; i++) {
		if (J->proc[i].pid == pid)
			return &J->proc[i];
		if (J->proc[i].pid == 0 && fr == NULL)
			fr = &J->proc[i];
	}
	if (!create || (fr = slot_take(fr, J->proc, sizeof(*fr), &J->hw_proc,
				       J_MAXPROC, "processes")) == NULL)
		return NULL;
	fr->start = proc_start(pid);
	fr->pid = pid;
	return fr;
}

static struct jent *jent_get(uint32_t kind, pid_t pid, uint64_t addr,
			     bool create)
{
	struct jent *fr = NULL;

	for (uint32_t i = 0; i < J->hw_ent; i++) {
		struct jent *e = &J->ent[i];

		if (e->kind == kind && e->pid == pid && e->addr == addr)
			return e;
		if (e->kind == JE_FREE && fr == NULL)
			fr = e;
	}
	if (!create || jproc_get(pid, true) == NULL ||
	    (fr = slot_take(fr, J->ent, sizeof(*fr), &J->hw_ent, J_MAXENT,
			    "bytes and semaphores")) == NULL)
		return NULL;
	fr->pid = pid;
	fr->addr = addr;
	fr->kind = kind;
	return fr;
}

void jr_byte(const struct tproc *p, uint64_t addr, unsigned char orig)
{
	struct jent *e;

	if (J == NULL || p->shares_mm)
		return;
	e = jent_get(JE_BYTE, p->pid, addr, true);
	if (e)
		e->orig = orig;
}

void jr_byte_gone(const struct tproc *p, uint64_t addr)
{
	struct jent *e;

	if (J == NULL || p->shares_mm)
		return;
	e = jent_get(JE_BYTE, p->pid, addr, false);
	if (e)
		e->kind = JE_FREE;
}

void jr_sema_begin(const struct tproc *p, uint64_t addr, uint16_t before)
{
	struct jent *e;

	if (J == NULL || p->shares_mm)
		return;
	e = jent_get(JE_SEMA, p->pid, addr, true);
	if (e) {
		e->before = before;
		e->pending = 1;
	}
}

void jr_sema_end(const struct tproc *p, uint64_t addr, int delta)
{
	struct jent *e;

	if (J == NULL || p->shares_mm)
		return;
	e = jent_get(JE_SEMA, p->pid, addr, false);
	if (e == NULL)
		return;
	e->pending = 0;
	if (delta > 0)
		e->n++;
	else if (delta < 0 && e->n > 0)
		e->n--;
	if (e->n == 0)
		e->kind = JE_FREE;
}

void jr_aff(pid_t pid, pid_t tid, int cpu, const cpu_set_t *orig)
{
	struct jaff *fr = NULL, *e = NULL;

	if (J == NULL || jproc_get(pid, true) == NULL)
		return;
	for (uint32_t i = 0; i < J->hw_aff && e == NULL; i++) {
		if (J->aff[i].tid == tid)
			e = &J->aff[i];
		else if (J->aff[i].tid == 0 && fr == NULL)
			fr = &J->aff[i];
	}
	if (e == NULL && (e = slot_take(fr, J->aff, sizeof(*fr), &J->hw_aff,
					J_MAXAFF, "threads")) == NULL)
		return;
	e->pid = pid;
	e->cpu = cpu;
	e->mask = *orig;
	e->tid = tid;
}

void jr_aff_gone(pid_t tid)
{
	if (J == NULL)
		return;
	for (uint32_t i = 0; i < J->hw_aff; i++)
		if (J->aff[i].tid == tid)
			J->aff[i].tid = 0;
}

/* -c: PID is the child, stopped (SIGSTOP) until pytap traces it and
 * sends SIGCONT; 0 once it did. */
void jr_launch(pid_t pid)
{
	if (J == NULL)
		return;
	J->launched_start = pid ? proc_start(pid) : 0;
	J->launched = pid;
}

void jr_forget(pid_t pid)
{
	if (J == NULL)
		return;
	for (uint32_t i = 0; i < J->hw_ent; i++)
		if (J->ent[i].pid == pid)
			J->ent[i].kind = JE_FREE;
	for (uint32_t i = 0; i < J->hw_proc; i++)
		if (J->proc[i].pid == pid)
			J->proc[i].pid = 0;
	for (uint32_t i = 0; i < J->hw_aff; i++)
		if (J->aff[i].pid == pid)
			J->aff[i].tid = 0;
}

/* P's state was copied from its parent's (fork): journal what the copy
 * holds (bytes, semaphores, the inherited handler). */
void jr_copy(const struct tproc *p)
{
	struct jproc *jp;

	if (J == NULL || p->shares_mm)
		return;
	jr_forget(p->pid);
	for (size_t i = 0; i < p->nsites; i++) {
		const struct site *s = &p->sites[i];

		if (s->armed)
			jr_byte(p, s->addr, s->orig);
		if (s->sema_raised) {
			jr_sema_begin(p, s->sema, 0);
			jr_sema_end(p, s->sema, 1);
		}
	}
	if (p->entry.armed)
		jr_byte(p, p->entry.addr, p->entry.orig);
	if (p->rbrk.armed)
		jr_byte(p, p->rbrk.addr, p->rbrk.orig);
	if (p->sp.armed)
		jr_byte(p, p->sp.addr, p->sp.orig);
	if (p->px.armed)
		jr_byte(p, p->px.addr, p->px.orig);
	if (p->rs.armed)
		jr_byte(p, p->rs.addr, p->rs.orig);
	if (p->trap.ours && (jp = jproc_get(p->pid, true)) != NULL) {
		jp->orig = p->trap.orig;
		jp->mine = p->trap.mine;
		jp->insn = p->trap.insn;
		jp->trap = 1;
	}
}

/* ---- running one system call in a stopped thread ---- */

/*
 * The kernel's x86-64 signal frame, as rt_sigreturn reads it at the
 * stack pointer minus 8 (after the handler's ret popped pretcode).
 */
struct ksigcontext {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t di, si, bp, bx, dx, ax, cx, sp, ip, flags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2, fpstate, reserved[8];
};

struct kframe {
	uint64_t pretcode;
	uint64_t uc_flags, uc_link;
	uint64_t ss_sp;
	int32_t ss_flags, pad;
	uint64_t ss_size;
	struct ksigcontext mc;
	uint64_t uc_sigmask;
	unsigned char info[128];
};

#define UC_SIGCONTEXT_SS 0x2
#define UC_STRICT_RESTORE_SS 0x4
#define FXSAVE_LEN 512

/* The blocked mask of thread TID of PID (SigBlk), 0 if unknown. */
static uint64_t sig_blocked(pid_t pid, pid_t tid)
{
	char path[96], line[256];
	uint64_t m = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", (int)pid,
		 (int)tid);
	f = fopen(path, "re");
	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "SigBlk:", 7) == 0) {
			m = strtoull(line + 7, NULL, 16);
			break;
		}
	fclose(f);
	return m;
}

/*
 * Below the red zone of a thread with registers R, a signal frame that
 * rt_sigreturn turns back into exactly where the thread was (a system
 * call it was stopped in is restarted, as the kernel would on resume);
 * its address (where pretcode is) goes to *FRAME, and the lowest address
 * used to *LOW.
 */
static int put_frame(pid_t pid, pid_t tid, int memfd,
		     const struct user_regs_struct *r, uint64_t restorer,
		     uint64_t *frame, uint64_t *low)
{
	struct user_fpregs_struct fp;
	struct kframe k;
	uint64_t fpa, f;
	int64_t rax = (int64_t)r->rax;

	if (ptrace(PTRACE_GETFPREGS, tid, 0, &fp) < 0)
		return -1;
	/* a legacy (fxsave) area only: the kernel restores it and resets
	   the rest (AVX upper halves, caller-saved in every ABI) */
	memset((char *)&fp + 464, 0, FXSAVE_LEN - 464);
	fpa = (r->rsp - RED_ZONE - FXSAVE_LEN) & ~(uint64_t)63;
	f = (fpa - sizeof(k)) & ~(uint64_t)15;
	memset(&k, 0, sizeof(k));
	k.pretcode = restorer;
	k.uc_flags = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
	k.ss_flags = 3;		/* not a valid mode: the altstack stays */
	k.mc.r8 = r->r8; k.mc.r9 = r->r9; k.mc.r10 = r->r10;
	k.mc.r11 = r->r11; k.mc.r12 = r->r12; k.mc.r13 = r->r13;
	k.mc.r14 = r->r14; k.mc.r15 = r->r15;
	k.mc.di = r->rdi; k.mc.si = r->rsi; k.mc.bp = r->rbp;
	k.mc.bx = r->rbx; k.mc.dx = r->rdx; k.mc.ax = r->rax;
	k.mc.cx = r->rcx; k.mc.sp = r->rsp; k.mc.ip = r->rip;
	k.mc.flags = r->eflags & ~(uint64_t)0x100;	/* no trap flag */
	k.mc.cs = (uint16_t)r->cs;
	k.mc.ss = (uint16_t)r->ss;
	k.mc.fpstate = fpa;
	if ((int64_t)r->orig_rax >= 0) {
		/* stopped in a system call: restart it (no handler runs) */
		if (rax == -512 || rax == -513 || rax == -514) {
			k.mc.ax = r->orig_rax;
			k.mc.ip -= 2;
		} else if (rax == -516) {
			k.mc.ax = SYS_restart_syscall;
			k.mc.ip -= 2;
		}
	}
	k.uc_sigmask = sig_blocked(pid, tid);
	if (pwrite(memfd, &fp, FXSAVE_LEN, (off_t)fpa) != FXSAVE_LEN ||
	    pwrite(memfd, &k, sizeof(k), (off_t)f) != (ssize_t)sizeof(k))
		return -1;
	*frame = f;
	*low = f;
	return 0;
}

/*
 * TID (of PID) is in a ptrace stop of ours (not a group stop, not an
 * event stop inside a system call) and SYSRET is the address of a
 * "syscall; ret" in its process, RESTORER of "mov $15,%rax; syscall"
 * (rt_sigreturn): run system call NR there with ARGS (ARGS[i] += the
 * address of BLOB's copy for each bit i of BLOBREL), from its entry stop
 * to its exit stop (PTRACE_SYSCALL), then put its registers back.  BLOB (LEN bytes) is copied below the red
 * zone first and read back after.
 *
 * Safe if pytap dies at any moment: the stack pointer points at a signal
 * frame of the thread's own state, so a thread let go in the middle runs
 * the call, returns into the trampoline, and rt_sigreturn puts it back
 * where it was.  A signal that arrives meanwhile is stored in *SIG (0 if
 * none) for the caller to deliver.  Returns the call's result (negative
 * errno), or -1000 when the thread could not be used.
 */
static long sys_inject(pid_t pid, pid_t tid, int memfd, uint64_t sysret,
		       uint64_t restorer, long nr, const uint64_t args[6],
		       unsigned blobrel, void *blob, size_t len, int *sig,
		       long opts)
{
	struct user_regs_struct saved, r;
	uint64_t at, frame, low;
	long ret = -1000;
	uint64_t a[6];

	*sig = 0;
	if (ptrace(PTRACE_GETREGS, tid, 0, &saved) < 0 ||
	    put_frame(pid, tid, memfd, &saved, restorer, &frame, &low) < 0)
		return -1000;
	at = (low - len - 64) & ~(uint64_t)15;
	if (len && pwrite(memfd, blob, len, (off_t)at) != (ssize_t)len)
		return -1000;
	r = saved;
	r.rip = sysret;
	r.rsp = frame;
	r.rax = (uint64_t)nr;
	r.orig_rax = (uint64_t)-1;	/* no syscall restart on the way */
	for (int i = 0; i < 6; i++)
		a[i] = args[i] + ((blobrel >> i) & 1 ? at : 0);
	tr_set_args(&r, a, true);
	if (ptrace(PTRACE_SETREGS, tid, 0, &r) < 0)
		return -1000;
	/* to the call's entry stop, then to its exit stop: syscall stops,
	   not signal stops; with PTRACE_O_TRACESYSGOOD a death in one of
	   them sends nothing (the kernel would send the stop's code as a
	   signal, and SIGTRAP|0x80 is none) */
	if (ptrace(PTRACE_SETOPTIONS, tid, 0, opts) < 0)
		return -1000;
	for (int tries = 0, entered = 0; tries < 16; tries++) {
		int st;
		pid_t w;

		if (ptrace(PTRACE_SYSCALL, tid, 0, 0) < 0)
			break;
		do
			w = waitpid(tid, &st, __WALL);
		while (w < 0 && errno == EINTR);
		if (w != tid || !WIFSTOPPED(st))
			return -1000;	/* it is gone */
		if ((st >> 16) != 0)
			continue;	/* an interrupt's stop: go on */
		if (WSTOPSIG(st) != (SIGTRAP | 0x80)) {	/* a signal */
			*sig = WSTOPSIG(st);
			continue;
		}
		if (ptrace(PTRACE_GETREGS, tid, 0, &r) < 0)
			break;
		if (r.rip != sysret + 2 || (long)r.orig_rax != nr)
			continue;
		if (!entered++)
			continue;	/* the entry stop */
		ret = (long)r.rax;
		if (len && pread(memfd, blob, len, (off_t)at) != (ssize_t)len)
			ret = -1000;
		break;
	}
	/* The thread sits in the call's exit stop, past the point where
	   the kernel restarts an interrupted system call: bring it back to
	   an interrupt stop (the pending interrupt stops it before any
	   instruction runs), from which a restart happens as it would have.
	   The interrupt first: a death after it still goes through the
	   kernel's restart, with either set of registers. */
	int irq = ptrace(PTRACE_INTERRUPT, tid, 0, 0);

	ptrace(PTRACE_SETREGS, tid, 0, &saved);
	if (irq == 0 && ptrace(PTRACE_CONT, tid, 0, 0) == 0) {
		for (int tries = 0; tries < 16; tries++) {
			int st;
			pid_t w;

			do
				w = waitpid(tid, &st, __WALL);
			while (w < 0 && errno == EINTR);
			if (w != tid || !WIFSTOPPED(st))
				break;
			if ((st >> 16) == PTRACE_EVENT_STOP)
				break;
			if ((st >> 16) == 0 && !*sig)
				*sig = WSTOPSIG(st);	/* deliver later */
			if (ptrace(PTRACE_CONT, tid, 0, 0) < 0)
				break;
		}
	}
	return ret;
}

/* Where to run system calls in a process (journal.c's gadgets). */
struct gadgets {
	uint64_t sysret;	/* "syscall; ret" */
	uint64_t restorer;	/* "mov $15,%rax; syscall" */
};

/* rt_sigaction(SIGTRAP, SET, OLD) in TID of PID (SET or OLD may be
 * NULL). */
static long g_opts = PTRACE_OPTS | PTRACE_O_TRACESYSGOOD;	/* pytap's */

static int trap_sigaction(pid_t pid, pid_t tid, int memfd,
			  const struct gadgets *g, const struct ksigact *set,
			  struct ksigact *old, int *sig)
{
	struct ksigact b[2] = { { 0 }, { 0 } };
	uint64_t args[6] = { SIGTRAP, 0, old ? sizeof(b[0]) : 0, 8, 0, 0 };
	unsigned rel = (set ? 2u : 0u) | (old ? 4u : 0u);
	long r;

	if (set)
		b[0] = *set;
	r = sys_inject(pid, tid, memfd, g->sysret, g->restorer,
		       SYS_rt_sigaction, args, rel, b, sizeof(b), sig, g_opts);
	if (r != 0)
		return -1;
	if (old)
		*old = b[1];
	return 0;
}

/* ---- finding the handler's code in the target ---- */

/* In P's executable file mappings: the rt_sigreturn trampoline; in the
 * same object a "syscall; ret" and a "ret" (an "endbr64; ret" by
 * preference) that is not the loader's breakpoint. */
static int find_gadgets(struct tproc *p, struct gadgets *g, uint64_t *ret)
{
	static const unsigned char rt[] = { 0x48, 0xc7, 0xc0, 0x0f, 0x00,
					    0x00, 0x00, 0x0f, 0x05 };
	static const unsigned char er[] = { 0xf3, 0x0f, 0x1e, 0xfa, 0xc3 };
	static const unsigned char sr[] = { 0x0f, 0x05, 0xc3 };
	static unsigned char buf[65536];
	char path[64], line[4608], obj[4096] = "";
	FILE *f;
	uint64_t anyret = 0;

	g->restorer = g->sysret = *ret = 0;
	for (int pass = 0; pass < 2; pass++) {
		snprintf(path, sizeof(path), "/proc/%d/maps", (int)p->io_pid);
		f = fopen(path, "re");
		if (f == NULL)
			return -1;
		while (fgets(line, sizeof(line), f)) {
			unsigned long long lo, hi;
			char perms[8];
			int pos = 0;

			if (sscanf(line, "%llx-%llx %7s %*x %*x:%*x %*u %n",
				   &lo, &hi, perms, &pos) < 3 || pos == 0 ||
			    perms[2] != 'x' || line[pos] != '/')
				continue;
			line[strcspn(line, "\n")] = '\0';
			/* pass 0: the trampoline; pass 1: the rest, in its
			   object */
			if (pass == 1 && strcmp(line + pos, obj) != 0)
				continue;
			for (uint64_t a = lo; a < hi; a += sizeof(buf) - 8) {
				size_t n = hi - a < sizeof(buf) ?
					(size_t)(hi - a) : sizeof(buf);

				if (pm_mem_read(p, a, buf, n) < 0)
					break;
				for (size_t i = 0; i + sizeof(rt) <= n; i++) {
					uint64_t at = a + i;

					if (pass == 0) {
						if (memcmp(buf + i, rt,
							   sizeof(rt)) == 0) {
							g->restorer = at;
							break;
						}
						continue;
					}
					if (!g->sysret &&
					    memcmp(buf + i, sr, sizeof(sr)) == 0)
						g->sysret = at;
					if (!*ret &&
					    memcmp(buf + i, er, sizeof(er)) == 0 &&
					    at + 4 != p->rbrk.addr)
						*ret = at;
					if (!anyret && buf[i] == 0xc3 &&
					    at != p->rbrk.addr)
						anyret = at;
				}
				if (pass == 0 && g->restorer) {
					snprintf(obj, sizeof(obj), "%s",
						 line + pos);
					break;
				}
				if (pass == 1 && g->sysret && *ret)
					break;
				if (n < sizeof(buf))
					break;
			}
			if ((pass == 0 && g->restorer) ||
			    (pass == 1 && g->sysret && *ret))
				break;
		}
		fclose(f);
		if (!g->restorer)
			return -1;
	}
	if (!*ret)
		*ret = anyret;
	return *ret && g->sysret ? 0 : -1;
}

/* A thread of P we may run a system call in: stopped by us, not in a
 * group stop, not exiting, not waiting in vfork, and not in an event stop
 * inside a system call (fork, clone, exec: on resume the kernel writes
 * that call's return value into rax, over ours). */
static struct tthr *usable_thread(struct tracer *t, struct tproc *p,
				  pid_t prefer)
{
	struct tthr *best = NULL;

	for (struct tthr *th = t->threads; th; th = th->next) {
		if (th->p != p || th->state != THR_STOPPED || th->group_stop ||
		    th->exiting || th->in_vfork || th->ev_stop)
			continue;
		if (th->tid == prefer)
			return th;
		/* not one with a signal to hand back: after the call it is
		   in an interrupt stop, where none can be */
		if (best == NULL || (best->pending_sig && !th->pending_sig))
			best = th;
	}
	return best;
}

static bool same_act(const struct ksigact *a, const struct ksigact *b)
{
	return a->handler == b->handler && a->restorer == b->restorer;
}

/*
 * Give P pytap's SIGTRAP handler (if it has none of its own), with a
 * thread of P that we hold stopped (PREFER if usable).  Idempotent;
 * quiet when not possible yet (a dynamic executable before its C library
 * is mapped): called again at the entry point.
 */
void jr_trap_install(struct tracer *t, struct tproc *p, pid_t prefer)
{
	struct tthr *th;
	struct ksigact cur, mine = { 0 };
	struct gadgets g;
	uint64_t ret;
	struct jproc *jp = NULL;
	int sig = 0;

	if (p->trap.ours || p->trap.refused || p->shares_mm || !p->follow)
		return;
	th = usable_thread(t, p, prefer);
	if (th == NULL || (p->memfd < 0 && pm_mem_open(p) < 0))
		return;
	if (find_gadgets(p, &g, &ret) < 0)
		return;
	mine.handler = ret;
	mine.flags = KSA_RESTORER | KSA_RESTART;
	mine.restorer = g.restorer;
	p->trap.mine = mine;
	p->trap.insn = g.sysret;
	memset(&p->trap.orig, 0, sizeof(p->trap.orig));	/* SIG_DFL */
	if (J && (jp = jproc_get(p->pid, true)) != NULL) {
		jp->orig = p->trap.orig;	/* the usual one, until known */
		jp->mine = mine;
		jp->insn = g.sysret;
		jp->trap = 1;	/* before the change */
	}
	/* one call: ours in, the old one out */
	if (trap_sigaction(p->pid, th->tid, p->memfd, &g, &mine, &cur,
			   &sig) < 0) {
		if (jp)
			jp->trap = 0;
		goto out;
	}
	p->trap.orig = cur;
	if (jp)
		jp->orig = cur;
	if (cur.handler > 1) {
		/* a handler of its own: give it back, leave it alone */
		if (trap_sigaction(p->pid, th->tid, p->memfd, &g, &cur, NULL,
				   &sig) == 0 && jp)
			jp->trap = 0;
		p->trap.refused = true;
		if (t->opt.verbose >= 1)
			fprintf(stderr,
				"pytap: pid %d handles SIGTRAP itself: if pytap is killed, a stray breakpoint goes to its handler\n",
				(int)p->pid);
		goto out;
	}
	p->trap.ours = true;
	if (t->opt.verbose >= 2)
		fprintf(stderr,
			"pytap: pid %d: SIGTRAP handler %#llx (restorer %#llx) while traced\n",
			(int)p->pid, (unsigned long long)ret,
			(unsigned long long)g.restorer);
out:
	if (sig && !th->pending_sig)
		th->pending_sig = sig;
}

/*
 * Give P its SIGTRAP disposition back (every int3 must be out of it
 * already), with thread TID (stopped by us; 0: any held thread of P),
 * unless the process installed one of its own since.
 */
void jr_trap_restore(struct tracer *t, struct tproc *p, pid_t tid)
{
	struct tthr *th = NULL;
	struct ksigact cur;
	struct gadgets g = { p->trap.insn, p->trap.mine.restorer };
	int sig = 0;
	struct jproc *jp;

	if (!p->trap.ours)
		return;
	if (tid == 0) {
		th = usable_thread(t, p, 0);
		if (th == NULL)
			return;
		tid = th->tid;
	}
	if (p->memfd < 0 && pm_mem_open(p) < 0)
		return;
	/* one call: the old one in, whatever was there out */
	if (trap_sigaction(p->pid, tid, p->memfd, &g, &p->trap.orig, &cur,
			   &sig) == 0) {
		bool own = !same_act(&cur, &p->trap.mine);

		/* the program installed a handler of its own meanwhile:
		   that one stays */
		if (own && trap_sigaction(p->pid, tid, p->memfd, &g, &cur,
					  NULL, &sig) < 0)
			goto out;
		p->trap.ours = false;
		if (J && (jp = jproc_get(p->pid, false)) != NULL)
			jp->trap = 0;
		if (t->opt.verbose >= 2)
			fprintf(stderr,
				"pytap: pid %d: SIGTRAP disposition %s\n",
				(int)p->pid, own ?
				"is the program's own now: left as it is" :
				"given back");
	}
out:
	if (sig) {
		th = th ? th : tr_thr_find(t, tid);
		if (th && !th->pending_sig)
			th->pending_sig = sig;
	}
}

/* ---- the watchdog ---- */

static void wd_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static uint64_t wd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

struct wthr {
	pid_t tid;
	bool stopped, group, gone;
	int sig;		/* to deliver at detach */
};

#define WD_MAXTHR 4096

/* Is ADDR one of the journaled bytes of PID? */
static bool wd_our_byte(pid_t pid, uint64_t addr)
{
	for (uint32_t i = 0; i < J->hw_ent; i++)
		if (J->ent[i].kind == JE_BYTE && J->ent[i].pid == pid &&
		    J->ent[i].addr == addr)
			return true;
	return false;
}

/* Is SIGTRAP queued for thread TID of PID (its private set)? */
static bool wd_trap_pending(pid_t pid, pid_t tid)
{
	char path[96], line[256];
	bool r = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", (int)pid,
		 (int)tid);
	f = fopen(path, "re");
	if (f == NULL)
		return false;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "SigPnd:", 7) == 0) {
			r = (strtoull(line + 7, NULL, 16) >> (SIGTRAP - 1)) & 1;
			break;
		}
	fclose(f);
	return r;
}

/* Stop every thread of PID (attached now that pytap let go), fix traps of
 * our int3s, give back the SIGTRAP disposition, detach. */
static void wd_threads(struct jproc *jp, int memfd, int *nbad)
{
	static struct wthr w[WD_MAXTHR];
	size_t n = 0;
	char path[64];
	uint64_t deadline = wd_now_ms() + J_WAIT_MS;
	bool any;

	/* seize until the set is stable; EPERM while pytap is still on
	   its way out */
	do {
		DIR *d;
		struct dirent *de;

		any = false;
		snprintf(path, sizeof(path), "/proc/%d/task", (int)jp->pid);
		d = opendir(path);
		if (d == NULL)
			return;
		while ((de = readdir(d)) != NULL && n < WD_MAXTHR) {
			pid_t tid = (pid_t)atoi(de->d_name);
			size_t k;

			if (tid <= 0)
				continue;
			for (k = 0; k < n && w[k].tid != tid; k++)
				;
			if (k < n)
				continue;
			if (ptrace(PTRACE_SEIZE, tid, 0,
				   PTRACE_O_TRACESYSGOOD) < 0) {
				if (errno == EPERM && wd_now_ms() < deadline)
					any = true;	/* try again */
				continue;
			}
			w[n++] = (struct wthr){ .tid = tid };
			ptrace(PTRACE_INTERRUPT, tid, 0, 0);
			any = true;
		}
		closedir(d);
		if (any)
			wd_sleep_ms(1);
	} while (any && wd_now_ms() < deadline);
	/* wait for every stop */
	for (size_t left = n; left > 0 && wd_now_ms() < deadline;) {
		int st;
		pid_t r = waitpid(-1, &st, __WALL | WNOHANG);
		size_t k;

		if (r == 0) {
			wd_sleep_ms(1);
			continue;
		}
		if (r < 0)
			break;
		for (k = 0; k < n && w[k].tid != r; k++)
			;
		if (k == n)
			continue;
		if (!WIFSTOPPED(st)) {
			if (!w[k].gone && !w[k].stopped)
				left--;
			w[k].gone = true;
			continue;
		}
		if ((st >> 16) == PTRACE_EVENT_STOP) {
			int s = WSTOPSIG(st);

			w[k].group = s == SIGSTOP || s == SIGTSTP ||
				     s == SIGTTIN || s == SIGTTOU;
		} else if ((st >> 16) == 0) {
			struct user_regs_struct regs;

			/* a trap on one of our int3s: its byte is back now,
			   run the instruction (a nop, or the loader's ret)
			   again */
			if (WSTOPSIG(st) == SIGTRAP &&
			    ptrace(PTRACE_GETREGS, r, 0, &regs) == 0 &&
			    wd_our_byte(jp->pid, regs.rip - 1)) {
				regs.rip--;
				ptrace(PTRACE_SETREGS, r, 0, &regs);
			} else {
				w[k].sig = WSTOPSIG(st);
			}
		}
		if (!w[k].stopped && !w[k].gone)
			left--;
		w[k].stopped = true;
	}
	/* a thread that ran into one of our int3s just before the
	   interrupt reports the interrupt first, its SIGTRAP still queued:
	   detached, it would get it with the default action back.  Let it
	   take the SIGTRAP now, traced, and drop it. */
	for (size_t k = 0; k < n; k++) {
		struct user_regs_struct regs;
		int st;

		for (int round = 0; round < 4; round++) {
			if (!w[k].stopped || w[k].gone || w[k].group ||
			    !wd_trap_pending(jp->pid, w[k].tid) ||
			    ptrace(PTRACE_GETREGS, w[k].tid, 0, &regs) < 0 ||
			    !wd_our_byte(jp->pid, regs.rip - 1) ||
			    ptrace(PTRACE_CONT, w[k].tid, 0, 0) < 0)
				break;
			if (waitpid(w[k].tid, &st, __WALL) != w[k].tid ||
			    !WIFSTOPPED(st)) {
				w[k].gone = true;
				break;
			}
			if ((st >> 16) == 0 && WSTOPSIG(st) == SIGTRAP &&
			    ptrace(PTRACE_GETREGS, w[k].tid, 0, &regs) == 0 &&
			    wd_our_byte(jp->pid, regs.rip - 1)) {
				regs.rip--;
				ptrace(PTRACE_SETREGS, w[k].tid, 0, &regs);
			} else if ((st >> 16) == 0 && !w[k].sig) {
				w[k].sig = WSTOPSIG(st);
			}
		}
	}
	if (jp->trap) {
		size_t k;

		for (k = 0; k < n; k++)
			if (w[k].stopped && !w[k].gone && !w[k].group)
				break;
		if (k < n) {
			struct ksigact cur;
			struct gadgets g = { jp->insn, jp->mine.restorer };
			int sig = 0;

			/* the old one in; if what came out is not ours, the
			   program's own goes back */
			if (trap_sigaction(jp->pid, w[k].tid, memfd, &g,
					   &jp->orig, &cur, &sig) < 0 ||
			    (!same_act(&cur, &jp->mine) &&
			     trap_sigaction(jp->pid, w[k].tid, memfd, &g, &cur,
					    NULL, &sig) < 0))
				(*nbad)++;
			if (sig && !w[k].sig)
				w[k].sig = sig;
		} else {
			(*nbad)++;
		}
	}
	for (size_t k = 0; k < n; k++)
		if (!w[k].gone)
			ptrace(PTRACE_DETACH, w[k].tid, 0,
			       (void *)(long)w[k].sig);
}

static void wd_restore(void)
{
	size_t nbytes = 0, nsema = 0, naff = 0;
	int nbad = 0;

	/* -c: a program that waits for pytap before its exec goes on */
	if (J->launched && proc_start(J->launched) == J->launched_start)
		kill(J->launched, SIGCONT);

	for (uint32_t pi = 0; pi < J->hw_proc; pi++) {
		struct jproc *jp = &J->proc[pi];
		char path[64];
		int memfd;

		if (jp->pid == 0)
			continue;
		if (proc_start(jp->pid) != jp->start)
			continue;	/* gone (or another process now) */
		snprintf(path, sizeof(path), "/proc/%d/mem", (int)jp->pid);
		memfd = open(path, O_RDWR | O_CLOEXEC);
		for (uint32_t i = 0; memfd >= 0 && i < J->hw_ent; i++) {
			struct jent *e = &J->ent[i];

			if (e->pid != jp->pid)
				continue;
			if (e->kind == JE_BYTE) {
				unsigned char b;

				if (pread(memfd, &b, 1, (off_t)e->addr) == 1 &&
				    b == INT3) {
					if (pwrite(memfd, &e->orig, 1,
						   (off_t)e->addr) == 1)
						nbytes++;
					else
						nbad++;
				}
			} else if (e->kind == JE_SEMA) {
				uint16_t v;
				uint32_t cnt = e->n;

				if (pread(memfd, &v, 2, (off_t)e->addr) != 2)
					continue;
				if (e->pending && v != e->before)
					cnt++;
				if (cnt > v)
					cnt = v;
				v = (uint16_t)(v - cnt);
				if (cnt && pwrite(memfd, &v, 2,
						  (off_t)e->addr) == 2)
					nsema++;
			}
		}
		for (uint32_t i = 0; i < J->hw_aff; i++) {
			struct jaff *a = &J->aff[i];
			cpu_set_t now;

			if (a->tid == 0 || a->pid != jp->pid)
				continue;
			if (sched_getaffinity(a->tid, sizeof(now), &now) == 0 &&
			    CPU_COUNT(&now) == 1 && CPU_ISSET(a->cpu, &now) &&
			    sched_setaffinity(a->tid, sizeof(a->mask),
					      &a->mask) == 0)
				naff++;
		}
		if (memfd >= 0) {
			wd_threads(jp, memfd, &nbad);
			close(memfd);
		}
	}
	if (J->verbose >= 1)
		fprintf(stderr,
			"pytap watchdog: pytap died; restored %zu bytes, %zu semaphores, %zu affinities%s\n"
			"pytap watchdog: done\n",
			nbytes, nsema, naff, nbad ? " (some could not be)" : "");
}

static void wd_main(int rfd)
{
	char c;
	ssize_t r;

	setsid();
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, SIG_DFL);
	signal(SIGALRM, SIG_DFL);
	if (chdir("/") < 0) {
		/* stays where it is */
	}
	do
		r = read(rfd, &c, 1);
	while ((r < 0 && errno == EINTR) || r > 0);
	if (J->done || J->magic != J_MAGIC)
		_exit(0);
	g_opts = PTRACE_O_TRACESYSGOOD;	/* the watchdog's own seize */
	wd_restore();
	_exit(0);
}

/*
 * Start the watchdog (once per pytap): 0, or -1 (then nothing is
 * journaled; pytap works as before, said under -v).
 */
int jr_start(struct tracer *t)
{
	int fds[2], st;
	pid_t pid;

	if (J)
		return 0;
	J = mmap(NULL, sizeof(*J), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (J == MAP_FAILED) {
		J = NULL;
		return -1;
	}
	J->magic = J_MAGIC;
	J->verbose = t->opt.verbose;
	if (pipe2(fds, O_CLOEXEC) < 0)
		goto fail;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		goto fail;
	}
	if (pid == 0) {
		int devnull;

		if (fork() != 0)
			_exit(0);
		/* the watchdog: keep the pipe's read end, the journal and
		   (with -v) stderr */
		close(fds[1]);
		devnull = open("/dev/null", O_RDWR);
		if (devnull >= 0) {
			dup2(devnull, 0);
			dup2(devnull, 1);
			if (t->opt.verbose < 1)
				dup2(devnull, 2);
		}
		if (dup2(fds[0], 3) < 0)
			_exit(0);
		if (syscall(SYS_close_range, 4u, ~0u, 0u) < 0)
			for (int fd = 4; fd < 1024; fd++)
				close(fd);
		wd_main(3);
	}
	close(fds[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	J_wfd = fds[1];
	return 0;
fail:
	munmap(J, sizeof(*J));
	J = NULL;
	return -1;
}

/* pytap ends cleanly (everything is restored): the watchdog exits. */
void jr_done(void)
{
	if (J == NULL)
		return;
	J->done = 1;
	if (J_wfd >= 0)
		close(J_wfd);
	J_wfd = -1;
	munmap(J, sizeof(*J));
	J = NULL;
}
