/*
 * bench/vm.c - the VM micro-benchmark: nanoseconds per handler run for a
 * printf handler, an aggregate handler and a 4-key array update (issue 3).
 *
 *	bench/vm [-n RUNS]
 *
 * Each script is compiled by the real pipeline (parse, resolve, codegen)
 * and its handler is run RUNS times through vm_run(), as the session runs
 * a probe hit, with the output going to /dev/null.  Prints one line per
 * handler: "vm NAME: N ns/handler (RUNS runs)".  Nothing is asserted:
 * the figures depend on the machine.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compile.h"
#include "vm.h"

struct bench {
	const char *name;
	const char *script;
};

static const struct bench benches[] = {
	{ "printf",
	  "global file = \"/usr/lib/python3.11/json/decoder.py\"\n"
	  "probe timer.s(1) { n++; printf(\"%s:%d %s\\n\", file, n, \"raw_decode\") }\n"
	  "global n\n" },
	{ "aggregate",
	  "global lat, n\n"
	  "probe timer.s(1) { lat <<< n++ % 1000 }\n"
	  "probe end { println(@count(lat), @avg(lat)) }\n" },
	{ "4-key array update",
	  "global calls, n\n"
	  "probe timer.s(1) { n++; calls[n % 64, \"decoder.py\", \"raw_decode\", n % 3] += 1 }\n"
	  "probe end { println(calls[1, \"decoder.py\", \"raw_decode\", 1]) }\n" },
};

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int run_one(const struct bench *b, long runs)
{
	struct ast_arena *a = ast_arena_new();
	struct source src;
	struct target_set ts;
	struct compile_opts co;
	struct compiled c;
	struct bc_program *p;
	struct diag d;
	struct vm_host host;
	struct vm_event ev;
	struct vm *vm;
	FILE *out = fopen("/dev/null", "w");
	char err[256];
	double t0, t1;
	long i;
	size_t k;

	memset(&src, 0, sizeof(src));
	memset(&ts, 0, sizeof(ts));
	memset(&co, 0, sizeof(co));
	memset(&host, 0, sizeof(host));
	memset(&ev, 0, sizeof(ev));
	diag_init(&d, stderr);
	src.name = "bench.pytap";
	src.text = b->script;
	src.len = strlen(b->script);
	src.file_id = 1;
	co.ro.ts = &ts;
	/* no MAXACTION in the way of RUNS handler runs: it is per run */
	if (!out || compile_script(a, &src, &co, &c, &d)) {
		fprintf(stderr, "bench/vm: %s does not compile\n", b->name);
		return 1;
	}
	p = c.prog;
	vm = vm_new(p, &host, out, err, sizeof(err));
	if (!vm) {
		fprintf(stderr, "bench/vm: %s: %s\n", b->name, err);
		return 1;
	}
	ev.probe = -1;
	for (k = 0; k < p->nprobes; k++)
		if (p->probes[k].kind == BP_TIMER)
			ev.probe = (int)k;
	/* warm up (first-use allocations, caches), then measure */
	for (i = 0; i < runs / 10; i++)
		vm_run(vm, &ev);
	t0 = now_ns();
	for (i = 0; i < runs; i++)
		if (vm_run(vm, &ev) != VM_OK) {
			fprintf(stderr, "bench/vm: %s: runtime error\n", b->name);
			return 1;
		}
	t1 = now_ns();
	vm_flush(vm);
	printf("vm %-20s %7.1f ns/handler (%ld runs)\n", b->name,
	       (t1 - t0) / (double)runs, runs);
	vm_free(vm);
	bc_program_free(p);
	fclose(out);
	ast_arena_free(a);
	return 0;
}

int main(int argc, char **argv)
{
	long runs = 2000000;
	size_t i;
	int rc = 0;

	if (argc == 3 && !strcmp(argv[1], "-n"))
		runs = atol(argv[2]);
	if (runs <= 0 || (argc != 1 && argc != 3)) {
		fprintf(stderr, "usage: bench/vm [-n RUNS]\n");
		return 2;
	}
	for (i = 0; i < sizeof(benches) / sizeof(benches[0]); i++)
		rc |= run_one(&benches[i], runs);
	return rc;
}
