/*
 * smoke.h - the harness of tests/unit/tracer_smoke.c: its settings, PASS /
 * FAIL / SKIP reporting, expected-line lists, decoding a hit into a line,
 * and the processes (targets spawned through a keeper, sitecheck, a
 * tracer with requests).
 */
#ifndef PYTAP_TESTS_SMOKE_H
#define PYTAP_TESTS_SMOKE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "tracer.h"

extern const char *target;
extern const char *sitecheck;
extern const char *python;
extern int verbose;
extern int failures;
extern char tmpdir[];
extern struct tracer *cur_tracer;

struct lines {
	char **v;
	size_t n;
};

/*
 * An untraced target to attach to, and its keeper.  The target is not a
 * child of this process: tracer_wait() and tracer_detach_all() reap any
 * child of ours with waitpid(-1, __WALL) (tracer.h), so a target of ours
 * that ended while traced -- or whose zombie leader was never traced --
 * would lose its exit status to the tracer.  Its parent is the keeper (our
 * child), which waits for it, sends its wait status down a pipe and then
 * stays until released, so that no child of ours ends while a tracer
 * waits.
 */
struct target {
	pid_t pid;		/* the target */
	pid_t keeper;		/* its parent, our child */
	int status_fd;		/* the target's pid, then its wait status */
	int release_fd;		/* closing it ends the keeper */
};

/* "FAIL TEST: ..." and a failure counted */
void fail(const char *test, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* TEST cannot run here (WHY): SKIP, but a failure under CI=true. */
void skip(const char *test, const char *why);
uint64_t now_ns(void);
void msleep(long ms);
void lines_add(struct lines *l, const char *s);
void lines_free(struct lines *l);
/* Every line of SUB occurs in ALL (as multisets); EXACT: and vice versa. */
int lines_check(const char *test, struct lines *all, struct lines *sub,
		int exact);
/* Lines "expect target:NAME R: V..." of FILE as "target:NAME: V...". */
void read_expect(const char *file, struct lines *l, int *sema_on);
/* Target memory for sdt_arg_fetch (CTX: the hit, of cur_tracer). */
int reader(void *ctx, uint64_t addr, void *buf, size_t len);
/* "provider:name: v1 v2 ..." with the args of H; string args by INDEX. */
void hit_line(struct tracer *t, struct tracer_hit *h, int strarg,
	      char *out, size_t len);
/* Run ARGV with stdout to OUTFILE, untraced; returns the target's pid. */
pid_t spawn(char *const argv[], const char *outfile, struct target *tg);
int target_wait(struct target *tg);
/* Kill the target, then as target_wait(). */
void target_kill(struct target *tg);
/* Wait until FILE contains WHAT (at most MS). */
int wait_for(const char *file, const char *what, long ms);
int run_sitecheck(const char *test, pid_t pid, const char *elf);
int wait_status(pid_t pid);
struct tracer *mk(bool follow, bool pin);
void req(struct tracer *t, const char *prov, const char *name,
	 int id, bool sema_only);
/* spawn(), then wait (at most 5 s) until OUTFILE says READY.  On failure
 * (-1) the test fails and the target is killed. */
pid_t spawn_ready(const char *test, char *const argv[], const char *outfile,
		  struct target *tg, const char *ready);
/* tracer_launch(ARGV) with the target's stdout to OUTFILE (NULL: ours).
 * On failure (-1) the test T fails and T is freed. */
pid_t launch(const char *test, struct tracer *t, char *const argv[],
	     const char *outfile);
/* tracer_attach(PID).  On failure (false) the test fails, T is freed and
 * the target TG killed. */
bool attach_to(const char *test, struct tracer *t, pid_t pid,
	       struct target *tg);

#endif
