/*
 * timing.c - pytap -t (see timing.h).
 *
 * The line per probe follows SystemTap's -t report: the probe point, its
 * location in the script, hits, min/avg/max handler time and its variance,
 * the probe point the script wrote ("from:") and the probe's index.
 * SystemTap counts cycles of its kernel handler; pytap measures the VM's
 * run of the handler in nanoseconds (CLOCK_MONOTONIC), and says "ns:".
 */
#include "timing.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

void timing_init(struct timing *t, size_t nprobes)
{
	memset(t, 0, sizeof(*t));
	t->probes = calloc(nprobes ? nprobes : 1, sizeof(*t->probes));
	t->nprobes = t->probes ? nprobes : 0;
	t->dropped = -1;
}

void timing_free(struct timing *t)
{
	free(t->probes);
	t->probes = NULL;
	t->nprobes = 0;
}

void timing_add(struct timing *t, int i, uint64_t ns)
{
	struct probe_time *pt;

	if (i < 0 || (size_t)i >= t->nprobes)
		return;
	pt = &t->probes[i];
	if (pt->hits == 0 || ns < pt->min_ns)
		pt->min_ns = ns;
	if (ns > pt->max_ns)
		pt->max_ns = ns;
	pt->hits++;
	pt->sum_ns += (double)ns;
	pt->sumsq_ns += (double)ns * (double)ns;
}

void timing_report(const struct timing *t, const struct bc_program *p,
		   FILE *out)
{
	size_t i;

	fprintf(out, "----- probe hit report: \n");
	for (i = 0; i < t->nprobes && i < p->nprobes; i++) {
		const struct probe_time *pt = &t->probes[i];
		const struct bc_probe *bp = &p->probes[i];
		double avg, var = 0;

		if (!pt->hits)
			continue;
		avg = pt->sum_ns / (double)pt->hits;
		if (pt->hits > 1) {
			var = (pt->sumsq_ns - pt->sum_ns * avg) /
			      (double)(pt->hits - 1);
			if (var < 0)
				var = 0;
		}
		fprintf(out, "%s, (%s), hits: %" PRIu64 ", ns: %" PRIu64
			"min/%" PRIu64 "avg/%" PRIu64 "max, variance: %" PRIu64
			", from: %s, index: %zu\n",
			bp->pp ? bp->pp : "?", bp->loc ? bp->loc : "?",
			pt->hits, pt->min_ns, (uint64_t)(avg + 0.5),
			pt->max_ns, (uint64_t)(var + 0.5),
			bp->pn ? bp->pn : bp->pp ? bp->pp : "?", i);
	}
	if (t->nstops)
		fprintf(out, "----- target stopped at breakpoints: %" PRIu64
			" ns in %" PRIu64 " stops (%" PRIu64 " ns each)\n",
			t->stopped_ns, t->nstops, t->stopped_ns / t->nstops);
	if (t->dropped >= 0)
		fprintf(out, "----- events dropped: %" PRId64 "\n", t->dropped);
}
