/*
 * timing.h - pytap -t: per-probe hit counts and handler times, and what
 * tracing cost the targets, reported at the end in SystemTap's "probe hit
 * report" format (as far as it applies: times are in ns, not cycles).
 */
#ifndef PYTAP_TIMING_H
#define PYTAP_TIMING_H

#include <stdint.h>
#include <stdio.h>

#include "bytecode.h"

struct probe_time {
	uint64_t hits;
	uint64_t min_ns, max_ns;
	double sum_ns, sumsq_ns;	/* for avg and variance */
};

struct timing {
	struct probe_time *probes;	/* one per program probe */
	size_t nprobes;
	/* ptrace: thread-time the targets spent stopped at pytap's
	   breakpoints (from the stop to the resume) and how many stops */
	uint64_t stopped_ns, nstops;
	/* events the target produced that were lost before a handler ran
	   (the in-process agent's ring overflow); -1 = no such loss in this
	   mode (ptrace stops the thread: nothing is dropped) */
	int64_t dropped;
};

void timing_init(struct timing *t, size_t nprobes);
void timing_free(struct timing *t);
/* One handler run of probe I took NS. */
void timing_add(struct timing *t, int i, uint64_t ns);
/* The report: a line per probe that was hit, then the target's cost. */
void timing_report(const struct timing *t, const struct bc_program *p,
		   FILE *out);

#endif
