/*
 * session.h - running a compiled program: begin probes, the event loop
 * (probe hits from the tracer, timers, signals), the single detach path,
 * then end (or error) probes and the auto-printed globals.
 */
#ifndef PYTAP_SESSION_H
#define PYTAP_SESSION_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "bytecode.h"

/* pytap's exit codes (documented in README and pytap.1). */
enum pytap_exit {
	PYTAP_EXIT_OK = 0,		/* success, also after Ctrl-C */
	PYTAP_EXIT_COMPILE = 1,		/* parse or semantic error */
	PYTAP_EXIT_USAGE = 2,		/* bad command line */
	PYTAP_EXIT_RUNTIME = 3,		/* runtime ERROR(s) in handlers */
	PYTAP_EXIT_TRACE = 4,		/* cannot trace: no such process,
					   permission, no probes to arm,
					   command cannot run */
};

/* --agent / --no-agent / default (doc/agent.md) */
enum agent_mode {
	AGENT_MODE_AUTO = 0,	/* the agent for python.function.*
				   where it can, breakpoints elsewhere */
	AGENT_MODE_ON,		/* the agent or an error */
	AGENT_MODE_OFF,		/* breakpoints only */
};

struct session_opts {
	enum agent_mode agent_mode;
	char **cmd;		/* -c: argv of the command, or NULL */
	pid_t pid;		/* -x, or 0 */
	int verbose;
	bool follow_forks;	/* trace children (default) */
	bool pin_cpu;		/* run on the traced threads' CPU */
	int64_t timeout_ms;	/* -T: 0 = none */
	FILE *out;		/* stdout or -o FILE */
	char **globals;		/* -G name=value, NULL-terminated */
	bool timing;		/* -t: the probe hit report at the end */
	bool suppress_errors;	/* --suppress-handler-errors */
	char *launched;		/* -c runs a launcher that starts this
				   Python (the probes' binary), or NULL */
};

/* Why the in-process agent cannot serve probe I of P, a python.function
 * probe of a Python with markers: its handler needs the thread stopped at
 * the event (a $argN read as a number, $$vars, target memory), first at
 * *PC.  NULL when it can.  With --agent that is the script's error. */
const char *session_agent_refuses(const struct bc_program *p, size_t i,
				  uint32_t *pc);

/* Run P to the end; returns an enum pytap_exit code. */
int session_run(const struct bc_program *p, const struct session_opts *o);

#endif
