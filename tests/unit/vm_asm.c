/*
 * vm_asm.c - the assembler and runner of tests/unit/vm_test.c: see
 * vm_asm.h.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bytecode.h"
#include "check.h"
#include "vm.h"
#include "vm_asm.h"

/* ---- a tiny assembler ------------------------------------------------- */


void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL)
		abort();
	return p;
}

struct asm_ *asm_new(void)
{
	struct asm_ *a = calloc(1, sizeof(*a));

	a->p = calloc(1, sizeof(*a->p));
	a->p->maxaction = 1000;
	a->p->maxaction_interruptible = 10000;
	a->p->maxmapentries = 2048;
	a->p->maxstringlen = 512;
	a->p->maxnesting = 10;
	a->p->maxerrors = 0;
	a->p->maxskipped = 100;
	a->p->hist_elision = 2;
	a->fn = -1;
	return a;
}

uint32_t here(struct asm_ *a)
{
	return (uint32_t)a->p->ncode;
}

uint32_t emit(struct asm_ *a, enum bc_op op, int x, int aa, int32_t b)
{
	struct bc_program *p = a->p;

	if (p->ncode == a->cap_code) {
		a->cap_code = a->cap_code ? 2 * a->cap_code : 64;
		p->code = xrealloc(p->code, a->cap_code * sizeof(*p->code));
	}
	p->code[p->ncode].op = (uint8_t)op;
	p->code[p->ncode].x = (uint8_t)x;
	p->code[p->ncode].a = (uint16_t)aa;
	p->code[p->ncode].b = b;
	return (uint32_t)p->ncode++;
}

/* Point the jump at AT to TARGET. */
void patch(struct asm_ *a, uint32_t at, uint32_t target)
{
	a->p->code[at].b = (int32_t)target - (int32_t)at - 1;
}

int lconst(struct asm_ *a, int64_t v)
{
	struct bc_program *p = a->p;

	p->lconst = xrealloc(p->lconst, (p->nlconst + 1) * sizeof(int64_t));
	p->lconst[p->nlconst] = v;
	return (int)p->nlconst++;
}

int sconst_n(struct asm_ *a, const char *s, size_t n)
{
	struct bc_program *p = a->p;

	p->sconst = xrealloc(p->sconst, (p->nsconst + 1) * sizeof(char *));
	p->sconst_len = xrealloc(p->sconst_len,
				 (p->nsconst + 1) * sizeof(uint32_t));
	p->sconst[p->nsconst] = malloc(n + 1);
	memcpy(p->sconst[p->nsconst], s, n);
	p->sconst[p->nsconst][n] = '\0';
	p->sconst_len[p->nsconst] = (uint32_t)n;
	return (int)p->nsconst++;
}

int sconst(struct asm_ *a, const char *s)
{
	return sconst_n(a, s, strlen(s));
}

int fmt(struct asm_ *a, const char *s)
{
	struct bc_program *p = a->p;

	p->formats = xrealloc(p->formats, (p->nformats + 1) * sizeof(char *));
	p->format_len = xrealloc(p->format_len,
				 (p->nformats + 1) * sizeof(uint32_t));
	p->formats[p->nformats] = strdup(s);
	p->format_len[p->nformats] = (uint32_t)strlen(s);
	return (int)p->nformats++;
}

int regex(struct asm_ *a, const char *s)
{
	struct bc_program *p = a->p;

	p->regexes = xrealloc(p->regexes, (p->nregexes + 1) * sizeof(char *));
	p->regexes[p->nregexes] = strdup(s);
	return (int)p->nregexes++;
}

int sortspec(struct asm_ *a, enum bc_sort_by by, int key, int dir,
	     int agg)
{
	struct bc_program *p = a->p;

	p->sorts = xrealloc(p->sorts, (p->nsorts + 1) * sizeof(*p->sorts));
	memset(&p->sorts[p->nsorts], 0, sizeof(p->sorts[0]));
	p->sorts[p->nsorts].by = by;
	p->sorts[p->nsorts].key = key;
	p->sorts[p->nsorts].dir = dir;
	p->sorts[p->nsorts].agg = agg;
	return (int)p->nsorts++;
}

/* A global; KEYS is a string of 'L'/'S', one letter per key column. */
int global(struct asm_ *a, const char *name, enum bc_type t,
	   const char *keys)
{
	struct bc_program *p = a->p;
	struct bc_global *g;
	int k;

	p->globals = xrealloc(p->globals, (p->nglobals + 1) * sizeof(*g));
	g = &p->globals[p->nglobals];
	memset(g, 0, sizeof(*g));
	g->name = strdup(name);
	g->type = t;
	g->nkeys = (int)strlen(keys);
	for (k = 0; k < g->nkeys; k++)
		g->keytypes[k] = keys[k] == 'S' ? BT_STRING : BT_LONG;
	return (int)p->nglobals++;
}

int func_begin(struct asm_ *a, const char *name, int nparams,
	       int nlocals, int niters)
{
	struct bc_program *p = a->p;
	struct bc_function *f;

	p->functions = xrealloc(p->functions,
				(p->nfunctions + 1) * sizeof(*f));
	f = &p->functions[p->nfunctions];
	memset(f, 0, sizeof(*f));
	f->name = strdup(name);
	f->nparams = nparams;
	f->nlocals = nlocals;
	f->niters = niters;
	f->entry = here(a);
	f->ret = BT_LONG;
	a->fn = (int)p->nfunctions;
	return (int)p->nfunctions++;
}

void func_end(struct asm_ *a)
{
	struct bc_function *f = &a->p->functions[a->fn];

	f->size = here(a) - f->entry;
}

int probe(struct asm_ *a, enum bc_probe_kind kind, int handler,
	  const char *pp)
{
	struct bc_program *p = a->p;
	struct bc_probe *pr;

	p->probes = xrealloc(p->probes, (p->nprobes + 1) * sizeof(*pr));
	pr = &p->probes[p->nprobes];
	memset(pr, 0, sizeof(*pr));
	pr->kind = kind;
	pr->handler = handler;
	pr->pp = strdup(pp);
	pr->cond_global = -1;
	return (int)p->nprobes++;
}

/* The instructions from here on come from NEAR at input.pytap:LINE:COL. */
void loc(struct asm_ *a, const char *near, int line, int col)
{
	struct bc_program *p = a->p;

	p->locs = xrealloc(p->locs, (p->nlocs + 1) * sizeof(*p->locs));
	p->locs[p->nlocs].near = strdup(near);
	p->locs[p->nlocs].file = strdup("input.pytap");
	p->locs[p->nlocs].line = line;
	p->locs[p->nlocs].col = col;
	p->lines = xrealloc(p->lines, (p->nlines + 1) * sizeof(*p->lines));
	p->lines[p->nlines].pc = here(a);
	p->lines[p->nlines].loc = (uint32_t)p->nlocs;
	p->nlocs++;
	p->nlines++;
}

/* ---- running ---------------------------------------------------------- */

char fake_mem[256] = "hello from the target";

int fake_read_mem(void *ud, pid_t pid, uint64_t addr, void *buf,
		  size_t len)
{
	(void)ud;
	(void)pid;
	if (addr < FAKE_BASE || addr + len > FAKE_BASE + sizeof(fake_mem))
		return -1;
	memcpy(buf, fake_mem + (addr - FAKE_BASE), len);
	return 0;
}

ssize_t fake_read_str(void *ud, pid_t pid, uint64_t addr, char *buf,
		      size_t max)
{
	size_t n = 0;

	(void)ud;
	(void)pid;
	if (max == 0)
		return -1;
	if (addr < FAKE_BASE || addr >= FAKE_BASE + sizeof(fake_mem))
		return -1;
	while (n + 1 < max && addr + n < FAKE_BASE + sizeof(fake_mem) &&
	       fake_mem[addr - FAKE_BASE + n]) {
		buf[n] = fake_mem[addr - FAKE_BASE + n];
		n++;
	}
	buf[n] = '\0';
	return (ssize_t)n;
}

const struct vm_host host = {
	NULL, fake_read_mem, fake_read_str, 4242, NULL, NULL, NULL, NULL, NULL
};


void result_free(struct result *r)
{
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof(*r));
}

/* Run each probe of kind KIND (begin: all begin probes in order), then,
 * with PRINT_GLOBALS, the autoprint.  stderr is captured. */
struct vm *load(struct asm_ *a, FILE *out, char *err, size_t errlen)
{
	return vm_new(a->p, &host, out, err, errlen);
}

struct result run_all(struct asm_ *a, bool print_globals)
{
	struct result r;
	char *obuf = NULL;
	size_t olen = 0;
	FILE *out = open_memstream(&obuf, &olen);
	FILE *errf = tmpfile();
	int saved = dup(2);
	char err[256] = "";
	struct vm *vm;
	size_t i;
	long n;

	memset(&r, 0, sizeof(r));
	fflush(stderr);
	dup2(fileno(errf), 2);
	vm = load(a, out, err, sizeof(err));
	if (vm == NULL) {
		fprintf(stderr, "LOAD: %s\n", err);
	} else {
		for (i = 0; i < a->p->nprobes; i++) {
			struct vm_event ev;

			memset(&ev, 0, sizeof(ev));
			ev.probe = (int)i;
			if (a->p->probes[i].kind == BP_SDT) {
				ev.pid = 4242;
				ev.tid = 4243;
			}
			r.status = vm_run(vm, &ev);
			if (vm_exit_requested(vm))
				break;
		}
		if (print_globals)
			vm_print_globals(vm);
		vm_flush(vm);
		r.errors = vm_error_count(vm);
		r.exit_req = vm_exit_requested(vm);
		vm_free(vm);
	}
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	fclose(out);
	r.out = obuf;
	n = ftell(errf);
	r.err = calloc(1, (size_t)(n > 0 ? n : 0) + 1);
	rewind(errf);
	if (n > 0 && fread(r.err, 1, (size_t)n, errf) != (size_t)n)
		r.err[0] = '\0';
	fclose(errf);
	return r;
}

void asm_free(struct asm_ *a)
{
	bc_program_free(a->p);
	free(a);
}

/* Run A (as run_all), check its stdout and stderr, free it. */
void expect_at(struct asm_ *a, bool print_globals, const char *out,
	       const char *err, const char *file, int line)
{
	struct result r = run_all(a, print_globals);

	check_str_at(r.out, out, file, line);
	check_str_at(r.err, err, file, line);
	result_free(&r);
	asm_free(a);
}

/* A program with one begin probe whose handler is being assembled. */
struct asm_ *begin_prog(int nlocals, int niters)
{
	struct asm_ *a = asm_new();

	begin_handler(a, nlocals, niters);
	return a;
}

/* start assembling a begin probe's handler in A */
void begin_handler(struct asm_ *a, int nlocals, int niters)
{
	probe(a, BP_BEGIN, func_begin(a, "begin", 0, nlocals, niters),
	      "begin");
}

void end_handler(struct asm_ *a)
{
	emit(a, OP_HALT, 0, 0, 0);
	func_end(a);
}

/* printf(FMT, <top N stack slots>) */
void printf_(struct asm_ *a, const char *f, int n)
{
	emit(a, OP_PRINTF, n, fmt(a, f), 0);
}

void push_s(struct asm_ *a, const char *s)
{
	emit(a, OP_PUSHS, 0, 0, sconst(a, s));
}

void push_l(struct asm_ *a, int64_t v)
{
	if (v >= INT32_MIN && v <= INT32_MAX)
		emit(a, OP_PUSHI, 0, 0, (int32_t)v);
	else
		emit(a, OP_PUSHL, 0, 0, lconst(a, v));
}

struct fe_loop fe_begin(struct asm_ *a, int it, int so, int g)
{
	struct fe_loop l = { .it = it };

	emit(a, OP_FEBEGIN, it, so, g);
	l.top = here(a);
	l.jdone = emit(a, OP_FENEXT, 0, it, 0);
	return l;
}

void fe_end(struct asm_ *a, struct fe_loop l)
{
	patch(a, emit(a, OP_JMP, 0, 0, 0), l.top);
	patch(a, l.jdone, here(a));
	emit(a, OP_FEEND, l.it, 0, 0);
}
