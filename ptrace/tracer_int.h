/*
 * tracer_int.h - the tracer's internal state, shared by tracer.c (public
 * API: wait loop, signals and deadline, memory reads, detach), tracee.c
 * (threads, processes, decoding wait statuses), attach.c (launch and
 * attach) and procmaps.c (mapped objects, SDT sites, patching target
 * memory).  Not for the session.
 */
#ifndef PYTAP_TRACER_INT_H
#define PYTAP_TRACER_INT_H

#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>
#include <time.h>

#include "sdt.h"
#include "seterr.h"
#include "tracer.h"

/* One ELF file seen in some process, cached by (path, dev, inode). */
struct tobj {
	struct tobj *next;
	char *path;		/* as /proc/PID/maps names it */
	unsigned long dev_major, dev_minor;
	unsigned long ino;
	bool ok;		/* an ELF file we could read */
	bool listed;		/* in tracer_objects() already */
	struct sdt_file f;
	bool ld_looked;		/* dynamic loader symbols looked up */
	uint64_t ld_debug_state;	/* link-time _dl_debug_state, 0 = none */
	uint64_t ld_r_debug;	/* link-time _r_debug, 0 = none */
};

/* One probe site (or semaphore-only site) in one process. */
struct site {
	uint64_t addr;		/* run-time address of the nop */
	uint64_t sema;		/* run-time semaphore address, 0 = none */
	const struct sdt_probe *probe;
	struct tobj *obj;
	int *ids;		/* requests that armed it (not sema_only) */
	int nids;
	int *sids;		/* sema_only requests */
	int nsids;
	unsigned char orig;	/* the byte we replaced (0x90) */
	bool armed;		/* we wrote 0xcc there */
	bool sema_raised;	/* we added one to the semaphore */
	bool ever_armed;	/* ... at some time: a copy made then (a */
	bool ever_raised;	/* child seen late) has them still */
	bool said;		/* another tracer's use of it was reported */
};

/* A kernel uprobe another tracer holds through a perf event (kuprobes.c). */
struct kuprobe {
	dev_t dev;
	ino_t ino;
	uint64_t offset;	/* file offset of the probed instruction */
	pid_t owner;		/* the process that holds it */
	int only_pid;		/* named through /proc/PID/root: PID's (bpftrace
				   -p PID), else 0 */
	char comm[16];		/* the owner's name */
};

#define KUPROBES_MAX 4096

struct kuprobe_set {
	struct kuprobe *v;
	size_t n, cap;
};

/* Every uprobe held through a perf event now (needs CAP_SYS_ADMIN). */
void kuprobes_scan(struct kuprobe_set *ks);
/* The one at link-time address VADDR of O as seen in process PID, or NULL;
 * SURE: it was registered for PID itself, so the kernel holds that site
 * there. */
const struct kuprobe *kuprobes_find(const struct kuprobe_set *ks,
				    const struct tobj *o, uint64_t vaddr,
				    pid_t pid, bool *sure);
void kuprobes_free(struct kuprobe_set *ks);

/* An object mapped in a process, with its load bias. */
struct pobj {
	struct tobj *obj;
	uint64_t bias;
};

/* One of pytap's own int3s (the entry point, the loader's ret, inject.c's
   safe points): where, the byte it replaced, whether it is there now
   (addr stays known after, so late stops on it are seen).  tr_bp_arm
   and tr_bp_disarm (procmaps.c) journal every change. */
struct tbp {
	uint64_t addr;
	unsigned char orig;
	bool armed;
};

/* A kernel struct sigaction (x86-64 rt_sigaction). */
struct ksigact {
	uint64_t handler, flags, restorer, mask;
};

/* pytap's SIGTRAP handler in a process (journal.c). */
struct jr_trap {
	bool ours;		/* installed now */
	bool refused;		/* the process has a handler of its own */
	uint64_t insn;		/* the "syscall; ret" used */
	struct ksigact orig, mine;
};

struct tproc {
	struct tproc *next;
	pid_t pid;		/* tgid */
	pid_t io_pid;		/* whose /proc files to read: pid, or a live
				   thread if the leader is a zombie */
	int memfd;		/* /proc/PID/mem, O_RDWR, -1 if none */
	bool is_target;		/* the -c / -x process itself */
	bool follow;		/* traced for hits (false: non-followed
				   vfork child, kept until exec/exit) */
	bool shares_mm;		/* vfork child: memory is its parent's,
				   nothing to restore here */
	bool scanned;		/* maps scanned at least once */
	bool fresh_exec;	/* exec'd, entry breakpoint not set yet */
	pid_t vfork_parent;	/* shares_mm: the thread that vforked */
	struct site *sites;	/* sorted by addr */
	size_t nsites, capsites;
	struct pobj *objs;
	size_t nobjs, capobjs;
	struct tbp entry;	/* one-shot entry-point breakpoint */
	/* the dynamic loader's breakpoint (procmaps.c): the ret of
	   _dl_debug_state, which it calls around every change of the
	   link map (dlopen, dlclose); the ret is emulated on each hit */
	bool ld_looked;		/* AT_BASE read since the last exec */
	uint64_t ldbase;	/* AT_BASE: the loader's load address */
	struct tbp rbrk;	/* that ret (orig 0xc3) */
	uint64_t rdebug;	/* run-time address of _r_debug, 0 = unknown */
	char *exe;		/* the executable (/proc/PID/exe), or NULL */
	bool begun;		/* process.begin reported */
	/* the safe-point breakpoint (inject.c): one-shot int3 on the
	   first byte of opt.safepoint_sym; sp.addr stays known after it
	   is removed, so late stops on it are rewound too */
	struct tbp sp;
	bool sp_wanted;		/* arm it when the symbol gets mapped
				   (a shared libpython, an exec) */
	struct tbp px;		/* the pending call's "xor eax,eax; ret" */
	struct tbp rs;		/* PyEval_RestoreThread */
	struct jr_trap trap;	/* SIGTRAP disposition while traced */
};

enum thr_state {
	THR_RUNNING,		/* resumed with PTRACE_CONT */
	THR_LISTEN,		/* group-stopped, resumed with PTRACE_LISTEN */
	THR_STOPPED,		/* in a ptrace-stop, held by us */
	THR_NEWBORN,		/* auto-attached, initial stop not seen yet */
};

struct tthr {
	struct tthr *hnext;	/* hash chain */
	struct tthr *next, *prev;	/* list of all threads */
	pid_t tid;
	struct tproc *p;
	enum thr_state state;
	int pending_sig;	/* to deliver on resume / detach */
	bool group_stop;	/* resume with PTRACE_LISTEN */
	bool pending_hit;	/* stopped on our site, not reported yet */
	bool exiting;		/* past PTRACE_EVENT_EXIT: never stops again */
	bool ev_stop;		/* THR_STOPPED in a fork/clone/exec/exit
				   event stop: inside a system call, whose
				   return value the kernel writes on resume
				   (no system call may be injected there) */
	bool in_vfork;		/* waits in vfork() for its child to exec or
				   exit: cannot stop until then */
	bool vfork_attach;	/* in_vfork found at -x attach (its child is
				   not traced): interrupted, it stops when
				   vfork() returns, which ends in_vfork */
	bool have_mask;		/* orig_mask is valid */
	cpu_set_t orig_mask;	/* affinity before pin_cpu */
	bool newproc;		/* NEWBORN: first thread of a new process */
	bool newproc_vfork;	/* ... made by vfork */
	bool got_event;		/* NEWBORN: parent's event seen */
	bool end_reported;	/* thread.end queued */
	bool ours;		/* made by a function pytap called in the
				   target (the agent's watchdog): no
				   thread.begin / thread.end for it */
	uint64_t pending_seq;	/* pending_hit: when it was taken */
};

#define PTRACE_OPTS (PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK | \
		     PTRACE_O_TRACEVFORK | PTRACE_O_TRACEEXEC | \
		     PTRACE_O_TRACEEXIT)
#define NHASH 1024
#define STOP_TIMEOUT_MS 3000
#define MAX_RESTOP 256		/* group-stopped threads waited for at detach */
#define TRACER_WAIT_MS 1000	/* for a killed pytap's watchdog to let go */
#define RESTOP_MS 1000		/* ... until they are in T again */
#define WATCH_NEW_MS 100	/* system-wide: look for new processes */
#define WATCH_RECHECK_MS 1000	/* ... and re-read maps of known ones */

struct orphan {
	pid_t tid;
	int status;
};

/* A file by device and inode, as /proc/PID/maps shows them: the same file
 * under another path (a container's bind mount) matches too. */
struct fileid {
	bool known;
	unsigned long major, minor, ino;
};
/* grow *IDS (N entries) by one: PATH's identity (unknown if PATH is NULL
 * or cannot be stat'ed); -1 if out of memory */
int tr_fileid_push(struct fileid **ids, size_t n, const char *path);
bool tr_path_matches(const char *want, const struct fileid *wid,
		     const char *path, unsigned long major,
		     unsigned long minor, unsigned long ino);

/* A queued process event (opt.proc_events) and its strings. */
struct pev {
	struct tracer_pevent e;
	char *exe, *old_exe;
};

/* System-wide mode: a process seen in /proc while looking for WATCH
 * paths (attach.c). */
struct seen {
	pid_t pid;
	char *exe;		/* last readlink of /proc/PID/exe (a new
				   process in a reused pid shows as an exec) */
	uint64_t checked;	/* when its maps were last read */
	bool gone;		/* mark-and-sweep flag */
	bool refused;		/* cannot be traced: not tried again */
};

struct tracer {
	struct tracer_options opt;
	pid_t in_call;		/* the thread running a tracer_call(), or 0 */
	struct tracer_request *reqs;
	struct fileid *req_ids;		/* the file of each request's path */
	size_t nreqs;
	struct tproc *procs;
	struct tthr *threads;		/* list of all */
	struct tthr *hash[NHASH];
	struct tobj *cache;		/* every ELF file read */
	struct tobj **objs;		/* scanned objects, for tracer_objects */
	size_t nobjs;
	struct tracer_object *objout;
	struct tthr *held;		/* reported in TEV_HIT, to resume */
	uint64_t held_since;		/* opt.timing: when held stopped */
	uint64_t stopped_ns, nstopped;	/* opt.timing: tracer_stop_time */
	size_t npending_hits;		/* threads with pending_hit */
	uint64_t pending_seq;		/* stamps them in the order taken */
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
	uint64_t armed_deadline;	/* the one-shot timer's, 0 = off */
	bool handlers;
	struct sigaction old_act[5];
	struct pev *pevq;		/* process events not reported yet */
	size_t npevq;
	struct pev cur_pev;		/* the one tracer_last_pevent() gives */
	char *last_exit_exe;		/* exe of the last TEV_EXIT */
	pid_t *lingering;		/* vfork parents detach left traced */
	size_t nlingering;
	char **watch;			/* system-wide: paths to look for */
	struct fileid *watch_ids;
	size_t nwatch;
	struct seen *seen;		/* processes looked at, by pid */
	size_t nseen;
	uint64_t next_poll;		/* when to look in /proc again */
	bool sp_called;			/* opt.safepoint ran: return to the
					   session (its deadlines changed) */
};

/* inject.c */
/* Take every int3 of inject.c out of P. */
void tr_safepoint_restore(struct tproc *p);
/* Is ADDR one of P's inject.c int3s (armed or not)? */
bool tr_inject_owns(const struct tproc *p, uint64_t addr);
/* TH stopped on one of them (rip - 1 owned) with REGS: handle it (RUN:
 * the session may use the safe point; else it is rewound to come back). */
void tr_inject_hit(struct tracer *t, struct tthr *th,
		   struct user_regs_struct *regs, bool run);
/* After an exec (nothing of them is left) / for a forked copy. */
void tr_inject_forget(struct tproc *p);
void tr_inject_copy(struct tproc *dst, const struct tproc *src);

/* journal.c: SIGTRAP survival, the restore journal and its watchdog.
 * Journal each change before making it, its undo after undoing it. */
int jr_start(struct tracer *t);
void jr_done(void);
void jr_byte(const struct tproc *p, uint64_t addr, unsigned char orig);
void jr_byte_gone(const struct tproc *p, uint64_t addr);
void jr_sema_begin(const struct tproc *p, uint64_t addr, uint16_t before);
void jr_sema_end(const struct tproc *p, uint64_t addr, int delta);
void jr_aff(pid_t pid, pid_t tid, int cpu, const cpu_set_t *orig);
void jr_aff_gone(pid_t tid);
void jr_forget(pid_t pid);
void jr_launch(pid_t pid);
void jr_copy(const struct tproc *p);
void jr_trap_install(struct tracer *t, struct tproc *p, pid_t prefer);
void jr_trap_restore(struct tracer *t, struct tproc *p, pid_t tid);

/* What tr_handle() made of a wait status. */
enum hres { H_NONE, H_HIT, H_EXIT };
/* RUN: resume every stop but a hit; STOP: leave every thread stopped. */
enum hmode { M_RUN, M_STOP };

/* tracer.c */
extern const int tr_caught_sigs[4];
void tr_timer_deadline(uint64_t ns);
void tr_timer_off(void);
void tr_wait_enter(struct tracer *t, uint64_t deadline);
void tr_wait_leave(struct tracer *t);
bool tr_signal_pending(void);
uint64_t tr_now_ns(void);

/* tracee.c: threads, processes, events */
struct tthr *tr_thr_find(const struct tracer *t, pid_t tid);
struct tthr *tr_thr_new(struct tracer *t, pid_t tid, struct tproc *p,
			enum thr_state st);
void tr_thr_del(struct tracer *t, struct tthr *th);
struct tproc *tr_proc_new(struct tracer *t, pid_t pid);
struct tproc *tr_proc_find(const struct tracer *t, pid_t pid);
void tr_proc_del(struct tracer *t, struct tproc *p);
void tr_pin_self(struct tracer *t, pid_t near);
void tr_unpin_self(struct tracer *t);
void tr_pin_thread(struct tracer *t, struct tthr *th);
void tr_unpin_thread(struct tracer *t, struct tthr *th);
void tr_resume(struct tthr *th);
void tr_detach_thread(struct tracer *t, struct tthr *th);
void tr_set_entry_bp(struct tracer *t, struct tproc *p);
void tr_set_pending_hit(struct tracer *t, struct tthr *th, bool on);
void tr_fill_hit(struct tthr *th, const struct user_regs_struct *regs,
		 const struct site *s, struct tracer_hit *hit);
enum hres tr_handle(struct tracer *t, pid_t tid, int status, enum hmode mode,
		    struct tracer_hit *hit, struct tracer_exit *ex);
void tr_stop_all(struct tracer *t, struct tproc *only, int timeout_ms);
void tr_resume_all(struct tracer *t);
void tr_flush_traps(struct tracer *t);
void tr_detach_orphan(struct tracer *t, const struct orphan *o);
void tr_exit_push(struct tracer *t, const struct tracer_exit *ex);
void tr_pev_push(struct tracer *t, enum tracer_pkind kind, struct tproc *p,
		 pid_t tid, const char *old_exe);
void tr_proc_set_exe(struct tproc *p);

/* attach.c */
long tr_status_field(pid_t pid, const char *key, char *sval, size_t slen);
int tr_attach_proc(struct tracer *t, pid_t pid, bool is_target, char *err,
		   size_t errlen);
void tr_watch_poll(struct tracer *t);
void tr_watch_free(struct tracer *t);

/* procmaps.c */
int pm_scan(struct tracer *t, struct tproc *p);
struct site *pm_find_site(struct tproc *p, uint64_t addr);
int pm_mem_open(struct tproc *p);
int pm_mem_read(struct tproc *p, uint64_t addr, void *buf, size_t len);
int pm_mem_write(struct tproc *p, uint64_t addr, const void *buf, size_t len);
void pm_restore(struct tracer *t, struct tproc *p);
bool pm_rbrk_hit(struct tracer *t, struct tthr *th,
		 struct user_regs_struct *regs, enum hmode mode);
void pm_drop(struct tproc *p);
int pm_copy(struct tproc *dst, const struct tproc *src);
uint64_t pm_auxv(pid_t pid, unsigned long type, bool *found);
void pm_cache_free(struct tracer *t);

/* tracer.c, for procmaps.c */
const struct tracer_options *tr_opts(const struct tracer *t);
size_t tr_nreqs(const struct tracer *t);
const struct tracer_request *tr_req(const struct tracer *t, size_t i);
const struct fileid *tr_req_id(const struct tracer *t, size_t i);
struct tobj **tr_cache(struct tracer *t);
void tr_list_object(struct tracer *t, struct tobj *o, bool first);
bool tr_bp_arm(struct tproc *p, struct tbp *bp);
/* waitpid(-1, STATUS, __WALL): the pid; 0 when a signal interrupted the
   wait; -1 when there is nothing to wait for. */
pid_t tr_wait_any(int *status);
/* One waitpid for any tracee, its stop handled as M_STOP: 0; 1 when a
   signal interrupted the wait (check the deadline again); -1 when there
   is nothing to wait for. */
int tr_wait_stop_one(struct tracer *t);
void tr_bp_disarm(struct tproc *p, struct tbp *bp);

/* The six argument registers of a call (the System V ABI: rcx fourth) or
   of a system call (r10 fourth). */
static inline void tr_set_args(struct user_regs_struct *r, const uint64_t a[6],
			       bool syscall)
{
	r->rdi = a[0];
	r->rsi = a[1];
	r->rdx = a[2];
	if (syscall)
		r->r10 = a[3];
	else
		r->rcx = a[3];
	r->r8 = a[4];
	r->r9 = a[5];
}

#endif
