/*
 * session_int.h - the state of one run, shared by session.c (the loop,
 * begin/end, the ptrace source) and agent_src.c (the in-process agent as
 * an event source).  Nothing outside session/ includes this.
 *
 * Event sources: every source has something to wait on and a drain call.
 * The ptrace engine is waited on in tracer_wait() (a blocking waitpid()
 * that signals and the deadline timer interrupt); the agent's rings are
 * drained at a deadline the loop passes to tracer_wait() (every
 * AGENT_POLL_MIN_NS while records flow, backing off to AGENT_POLL_MAX_NS
 * when they do not) and after every ptrace event; timers have deadlines.
 * Signals have one owner: ptrace/tracer.c while a tracer exists (its
 * handlers only set a flag that tracer_wait() reports), session.c's plain
 * loop otherwise.
 */
#ifndef PYTAP_SESSION_INT_H
#define PYTAP_SESSION_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "bytecode.h"
#include "session.h"
#include "tracer.h"
#include "vm.h"

struct timer_state;

/* One code object the agent described (PYTAP_REC_CODE). */
struct agent_code {
	char *str[4];		/* filename, name, qualname, module */
	uint32_t len[4];
	uint32_t firstlineno;
	int entry_line;		/* $arg3 of a fresh entry: see add_code */
	uint32_t co_flags;
	unsigned char *linetable;
	uint32_t ltlen;
	unsigned char *params;	/* nparams times (u8 length, name) */
	uint32_t paramslen;
	uint32_t nparams;
};

enum agent_phase {
	AG_WAITING,		/* safe point armed, agent not in yet */
	AG_RUNNING,		/* ring mapped, records flowing */
	AG_STOPPING,		/* stop_request stored, waiting for STOPPED */
	AG_DONE,		/* unmapped (or never got in) */
};

/* The agent in one traced process. */
struct agent_ring {
	pid_t pid;
	enum agent_phase phase;
	uint64_t armed_ns;	/* when the safe point was armed */
	bool idle_said;		/* "ran no Python code" said */
	void *map;		/* the region: header then data */
	size_t maplen;
	struct agent_code **codes;	/* by id */
	char exc[2][512];	/* exctype, excmsg of the exception event
				   being handled */
	size_t ncodes;
	uint64_t events;	/* records turned into events */
	uint64_t dropped;	/* hdr.dropped at the end */
	struct shadow *shadow;	/* per-thread stacks (shadow.c), or NULL */
};

#define AGENT_MAX_RINGS 64

struct session {
	const struct bc_program *p;
	const struct session_opts *o;
	struct vm *vm;
	struct tracer *tr;
	struct timer_state *timers;
	size_t ntimers;
	uint64_t deadline_T;	/* -T, 0 = none */
	uint64_t last_flush;
	bool pending;		/* output since the last flush */
	bool has_proc;		/* process/thread begin/end probes */
	int world_stopped;	/* stop_world depth (sampling holds one) */
	uint64_t epoch;		/* counts stops and resumes of the world */
	bool partial;		/* only the running threads are stopped
				   (a sample.hz tick) */

	struct timing *timing;	/* -t, else NULL */

	/* the in-process agent (agent_src.c) */
	bool agent;		/* some probes are served by the agent */
	/* by probe index: served by the agent, as the marks' record kind
	   (PYTAP_REC_ENTRY or _RETURN), else 0 */
	unsigned char *agent_probe;
	uint32_t agent_events;	/* PYTAP_EV_* wanted */
	uint32_t agent_options;	/* PYTAP_OPT_* asked for */
	char *agent_path;	/* libpytap-agent.so */
	struct agent_ring rings[AGENT_MAX_RINGS];
	size_t nrings;
	uint64_t agent_poll_ns;	/* current polling period */
	uint64_t agent_next;	/* next drain, CLOCK_MONOTONIC */
	int agent_failures;	/* processes the agent could not get into */
	bool agent_caller;	/* pystack() in the script: shadow stacks */
	bool agent_markers;	/* it serves probes that breakpoints on
				   markers could (--no-agent) */
	bool plan_error;	/* --agent and a probe it cannot serve */
};

uint64_t session_now_ns(void);
/* Run EV's handler (timed under -t): every handler runs through here. */
enum vm_status session_run_probe(struct session *s, const struct vm_event *ev);
/* Are probes X and Y handlers of one probe point (same point, same order)?
 * SystemTap 5 combines them into one probe: once an event runs the first,
 * it runs the others too, whatever an earlier one did (error, exit()). */
bool session_same_point(const struct bc_program *p, int x, int y);

/* agent_src.c */
/* Decide which probes the agent serves (opts, the program); false if
 * none.  Sets up the tracer options it needs (safe points). */
bool agent_plan(struct session *s, struct tracer_options *to);
/* A traced process to get into: the -c child, the -x process, a followed
 * child or a new image after exec. */
void agent_want(struct session *s, pid_t pid);
/* Drain every ring whose deadline came (or all with FORCE), run the
 * handlers; re-arm safe points that asked for it. */
void agent_poll(struct session *s, bool force);
/* The loop's next deadline for the agent, 0 = none. */
uint64_t agent_deadline(struct session *s);
/* Process PID exited: drain its ring and let it go. */
void agent_exited(struct session *s, pid_t pid);
/* The end: drain, ask every agent to take its hooks out, wait for it
 * (bounded), unmap.  Before the tracer detaches. */
void agent_stop_all(struct session *s);
/* Records the agents dropped (a full ring), after agent_stop_all. */
uint64_t agent_dropped(const struct session *s);
/* The final report (dropped records) and freeing. */
void agent_finish(struct session *s);
/* String handles ($arg1 of an agent event): the string, or NULL when
 * ADDR is not one. */
const char *agent_string(struct session *s, pid_t pid, uint64_t addr,
			 size_t *len);

/* shadow.c: per-thread stacks of agent events (pystack()) */
struct pytap_rec_event;
bool shadow_wanted(const struct bc_program *p);
/* The stacks of every thread of R's process at the safe point. */
void shadow_seed(struct session *s, struct agent_ring *r);
/* Follow event E: before its handlers run, and after. */
void shadow_before(struct agent_ring *r, const struct pytap_rec_event *e);
void shadow_after(struct agent_ring *r, const struct pytap_rec_event *e);
/* A CALLER record (for the ENTRY after it). */
struct pytap_rec_caller;
void shadow_caller(struct agent_ring *r, const struct pytap_rec_caller *c);
/* Records were lost: every stack of R is unknown from here. */
void shadow_lost(struct agent_ring *r);
/* vm_event.pystack of an agent event (pystack_ud: its ring). */
const struct py_thread *shadow_pystack(const struct vm_event *ev);
void shadow_free(struct agent_ring *r);

#endif
