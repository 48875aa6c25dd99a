/*
 * vm_asm.h - a tiny assembler for hand-written bytecode programs and the
 * runner that loads one into the VM with a fake target memory (FAKE_BASE),
 * runs its probes and captures stdout and stderr: what the VM tests
 * (tests/unit/vm_test.c) are written in.
 */
#ifndef PYTAP_TESTS_VM_ASM_H
#define PYTAP_TESTS_VM_ASM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "bytecode.h"
#include "vm.h"

struct asm_ {
	struct bc_program *p;
	size_t cap_code;
	int fn;			/* function being assembled */
};

/* what a run printed on stdout and stderr, and how it ended */
struct result {
	char *out;		/* stdout of the program */
	char *err;		/* what it printed on stderr */
	int status;		/* of the last vm_run */
	int errors;
	int exit_req;
};

/* The fake target memory: FAKE_BASE.. holds "hello from the target". */
#define FAKE_BASE 0x10000ull
extern char fake_mem[256];
extern const struct vm_host host;

/* the assembler: each returns the index of what it added */
void *xrealloc(void *p, size_t n);
struct asm_ *asm_new(void);
uint32_t here(struct asm_ *a);
uint32_t emit(struct asm_ *a, enum bc_op op, int x, int aa, int32_t b);
void patch(struct asm_ *a, uint32_t at, uint32_t target);
int lconst(struct asm_ *a, int64_t v);
int sconst_n(struct asm_ *a, const char *s, size_t n);
int sconst(struct asm_ *a, const char *s);
int fmt(struct asm_ *a, const char *s);
int regex(struct asm_ *a, const char *s);
int sortspec(struct asm_ *a, enum bc_sort_by by, int key, int dir,
	     int agg);
int global(struct asm_ *a, const char *name, enum bc_type t,
	   const char *keys);
int func_begin(struct asm_ *a, const char *name, int nparams,
	       int nlocals, int niters);
void func_end(struct asm_ *a);
int probe(struct asm_ *a, enum bc_probe_kind kind, int handler,
	  const char *pp);
void loc(struct asm_ *a, const char *near, int line, int col);

/* the runner: load, run every probe in order (then, with PRINT_GLOBALS,
 * the autoprint) with stderr captured */
int fake_read_mem(void *ud, pid_t pid, uint64_t addr, void *buf,
		  size_t len);
ssize_t fake_read_str(void *ud, pid_t pid, uint64_t addr, char *buf,
		      size_t max);
void result_free(struct result *r);
struct vm *load(struct asm_ *a, FILE *out, char *err, size_t errlen);
struct result run_all(struct asm_ *a, bool print_globals);
void asm_free(struct asm_ *a);
void expect_at(struct asm_ *a, bool print_globals, const char *out,
	       const char *err, const char *file, int line);

/* a program with one begin probe whose handler is being assembled, its
 * end, and the common instructions */
struct asm_ *begin_prog(int nlocals, int niters);
void begin_handler(struct asm_ *a, int nlocals, int niters);
void end_handler(struct asm_ *a);
void printf_(struct asm_ *a, const char *f, int n);
void push_s(struct asm_ *a, const char *s);
void push_l(struct asm_ *a, int64_t v);

/* A foreach loop: fe_begin emits FEBEGIN on iterator slot IT (the limit is
 * on the stack, the keys of a stats element, if any, under it), sorted by
 * SO, over global G, then FENEXT; the body follows; fe_end jumps back, ends
 * the loop and frees the slot. */
struct fe_loop {
	uint32_t top, jdone;
	int it;
};
struct fe_loop fe_begin(struct asm_ *a, int it, int so, int g);
void fe_end(struct asm_ *a, struct fe_loop l);

/* expect(A, PRINT_GLOBALS, OUT, ERR): run A (as run_all), check its stdout
 * and stderr, free it. */
#define expect(a, g, out, err) \
	expect_at((a), (g), (out), (err), __FILE__, __LINE__)

#endif
