/*
 * vm_test.c - unit tests of the VM (vm/load.c, vm/vm.c), its built-ins
 * (vm/builtins_*.c) and the disassembler (bytecode/bytecode.c), on small
 * programs assembled by hand (with tests/unit/vm_asm.h).  Output and stderr are captured and compared
 * byte for byte with what SystemTap prints.
 *
 * Prints "N passed, N failed" and exits 0 only if nothing failed.  Meant to
 * run under valgrind and -fsanitize=address,undefined as well.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "builtin_list.h"
#include "bytecode.h"
#include "check.h"
#include "sdt.h"
#include "strbuf.h"
#include "vm.h"
#include "vm_asm.h"

int builtin_ret(int bi);

/* ---- tests ------------------------------------------------------------ */

static void test_arith(void)
{
	struct asm_ *a = begin_prog(0, 0);
	struct result r;

	push_l(a, 7); push_l(a, 2); emit(a, OP_DIV, 0, 0, 0);
	push_l(a, -7); push_l(a, 2); emit(a, OP_DIV, 0, 0, 0);
	push_l(a, -7); push_l(a, 3); emit(a, OP_MOD, 0, 0, 0);
	push_l(a, INT64_MIN); push_l(a, -1); emit(a, OP_DIV, 0, 0, 0);
	printf_(a, "%d %d %d %d\n", 4);
	push_l(a, 1); push_l(a, 65); emit(a, OP_SHL, 0, 0, 0);
	push_l(a, -16); push_l(a, 2); emit(a, OP_SHR, 0, 0, 0);
	push_l(a, -1); push_l(a, 60); emit(a, OP_USHR, 0, 0, 0);
	push_l(a, INT64_MAX); push_l(a, 1); emit(a, OP_ADD, 0, 0, 0);
	printf_(a, "%d %d %d %d\n", 4);
	push_l(a, 3); push_l(a, 5); emit(a, OP_LT, 0, 0, 0);
	push_l(a, 3); push_l(a, 5); emit(a, OP_GE, 0, 0, 0);
	push_l(a, 0); emit(a, OP_LNOT, 0, 0, 0);
	push_l(a, 5); emit(a, OP_NEG, 0, 0, 0);
	push_l(a, 0); emit(a, OP_BNOT, 0, 0, 0);
	push_l(a, 6); push_l(a, 3); emit(a, OP_BXOR, 0, 0, 0);
	printf_(a, "%d %d %d %d %d %d\n", 6);
	end_handler(a);
	r = run_all(a, false);
	CHECK_STR(r.out, "3 -3 -1 -9223372036854775808\n"
		  "2 -4 15 -9223372036854775808\n"
		  "1 0 1 -5 -1 5\n");
	CHECK_STR(r.err, "");
	CHECK(r.status == VM_OK, "status %d", r.status);
	result_free(&r);
	asm_free(a);
}

static void test_div0(void)
{
	struct asm_ *a = begin_prog(0, 0);
	struct result r;

	push_s(a, "before\n");
	printf_(a, "%s", 1);
	loc(a, "operator '/'", 3, 12);
	push_l(a, 5); push_l(a, 0); emit(a, OP_DIV, 0, 0, 0);
	printf_(a, "%d\n", 1);
	end_handler(a);
	r = run_all(a, false);
	CHECK_STR(r.out, "before\n");
	CHECK_STR(r.err, "ERROR: division by 0 near operator '/' at "
		  "input.pytap:3:12\n");
	CHECK(r.status == VM_ERROR, "status %d", r.status);
	CHECK(r.errors == 1 && r.exit_req, "errors %d exit %d", r.errors,
	      r.exit_req);
	result_free(&r);
	asm_free(a);

	/* MAXERRORS=1: one error does not stop the session */
	a = begin_prog(0, 0);
	a->p->maxerrors = 1;
	push_l(a, 5); push_l(a, 0); emit(a, OP_MOD, 0, 0, 0);
	emit(a, OP_POP, 0, 0, 0);
	end_handler(a);
	r = run_all(a, false);
	CHECK_STR(r.err, "ERROR: division by 0\n");
	CHECK(r.errors == 1 && !r.exit_req, "errors %d exit %d", r.errors,
	      r.exit_req);
	result_free(&r);
	asm_free(a);
}

static void test_strings(void)
{
	struct asm_ *a = begin_prog(1, 0);

	a->p->maxstringlen = 8;	/* 7 characters at most */
	push_s(a, "abcdef");
	push_s(a, "ghijk");
	emit(a, OP_CONCAT, 0, 0, 0);
	emit(a, OP_DUP, 0, 0, 0);
	emit(a, OP_STORE, 0, 0, 0);
	printf_(a, "[%s]\n", 1);
	emit(a, OP_LOAD, 0, 0, 0);
	push_s(a, "abcdefg");
	emit(a, OP_SEQ, 0, 0, 0);
	push_s(a, "abc");
	push_s(a, "abd");
	emit(a, OP_SLT, 0, 0, 0);
	push_s(a, "");
	push_s(a, "x");
	emit(a, OP_CONCAT, 0, 0, 0);
	printf_(a, "%d %d %s\n", 3);
	/* a constant longer than MAXSTRINGLEN is cut; "\0" is "" */
	push_s(a, "0123456789");
	emit(a, OP_BUILTIN, 1, BI_strlen, 0);
	emit(a, OP_PUSHS, 0, 0, sconst_n(a, "\0", 1));
	emit(a, OP_BUILTIN, 1, BI_strlen, 0);
	printf_(a, "%d %d\n", 2);
	/* sprintf is cut at MAXSTRINGLEN too */
	push_l(a, 123456789);
	emit(a, OP_SPRINTF, 1, fmt(a, "%d"), 0);
	printf_(a, "%s\n", 1);
	end_handler(a);
	expect(a, false, "[abcdefg]\n1 1 x\n7 0\n1234567\n",
	       "");
}

static void test_maxaction(void)
{
	struct asm_ *a = asm_new();
	uint32_t top;
	int f, f2;
	struct result r;

	a->p->maxaction = 50;
	a->p->maxaction_interruptible = 500;
	/* a timer handler: maxaction */
	f = func_begin(a, "timer", 0, 1, 0);
	loc(a, "keyword 'while'", 2, 3);
	top = emit(a, OP_ACT, 0, 0, 1);
	emit(a, OP_LOAD, 0, 0, 0);
	push_l(a, 1);
	emit(a, OP_ADD, 0, 0, 0);
	emit(a, OP_STORE, 0, 0, 0);
	patch(a, emit(a, OP_JMP, 0, 0, 0), top);
	end_handler(a);
	probe(a, BP_TIMER, f, "timer.s(1)");
	r = run_all(a, false);
	CHECK_STR(r.err, "ERROR: MAXACTION exceeded near keyword 'while' at "
		  "input.pytap:2:3\n");
	result_free(&r);
	asm_free(a);

	/* begin: maxaction_interruptible; and a try does not catch it */
	a = asm_new();
	a->p->maxaction = 50;
	a->p->maxaction_interruptible = 500;
	f2 = func_begin(a, "begin", 0, 1, 0);
	{
		uint32_t t = emit(a, OP_TRY, 0, 0, 0), j;

		top = emit(a, OP_ACT, 0, 0, 1);
		emit(a, OP_LOAD, 0, 0, 0);
		push_l(a, 1);
		emit(a, OP_ADD, 0, 0, 0);
		emit(a, OP_STORE, 0, 0, 0);
		patch(a, emit(a, OP_JMP, 0, 0, 0), top);
		emit(a, OP_ENDTRY, 0, 0, 0);
		j = emit(a, OP_JMP, 0, 0, 0);
		patch(a, t, here(a));
		push_s(a, "caught\n");
		printf_(a, "%s", 1);
		patch(a, j, here(a));
	}
	end_handler(a);
	probe(a, BP_BEGIN, f2, "begin");
	{
		char err[128];
		FILE *devnull = fopen("/dev/null", "w");
		struct vm *vm = vm_new(a->p, &host, devnull, err, sizeof(err));
		struct vm_event ev = { 0, 0, 0, 0, NULL, NULL, NULL };
		FILE *errf = tmpfile();
		int saved = dup(2);

		fflush(stderr);
		dup2(fileno(errf), 2);
		CHECK(vm_run(vm, &ev) == VM_ERROR, "begin loop not stopped");
		fflush(stderr);
		dup2(saved, 2);
		close(saved);
		fclose(errf);
		vm_set_global(vm, "nothing", "1", err, sizeof(err));
		CHECK_STR(err, "unknown global variable 'nothing'");
		vm_free(vm);
		fclose(devnull);
	}
	asm_free(a);
}

static void test_arrays(void)
{
	struct asm_ *a = asm_new();
	int g = global(a, "arr", BT_LONG, "LS");
	int gs = global(a, "names", BT_STRING, "L");
	int small = global(a, "small", BT_LONG, "L");
	struct result r;

	a->p->globals[small].maxsize = 2;
	begin_handler(a, 0, 0);
	/* arr[1,"a"] = 10; arr[2,"b"] = 20; arr[1,"b"] += 5 */
	push_l(a, 1); push_s(a, "a"); push_l(a, 10);
	emit(a, OP_ASETL, 2, g, 0);
	push_l(a, 2); push_s(a, "b"); push_l(a, 20);
	emit(a, OP_ASETL, 2, g, 0);
	push_l(a, 1); push_s(a, "b"); push_l(a, 5);
	emit(a, OP_AINCR, 2, g, 0);
	emit(a, OP_POP, 0, 0, 0);
	/* reads: present, absent (0, no insertion) */
	push_l(a, 1); push_s(a, "a"); emit(a, OP_AGETL, 2, g, 0);
	push_l(a, 3); push_s(a, "z"); emit(a, OP_AGETL, 2, g, 0);
	push_l(a, 3); push_s(a, "z"); emit(a, OP_AEXISTS, 2, g, 0);
	push_l(a, 2); push_s(a, "b"); emit(a, OP_AEXISTS, 2, g, 0);
	/* slices: [*, "b"] in arr, [3, *] in arr */
	push_s(a, "b"); emit(a, OP_AEXISTS, 2, g, 1);
	push_l(a, 3); emit(a, OP_AEXISTS, 2, g, 2);
	printf_(a, "%d %d %d %d %d %d\n", 6);
	/* delete arr[*, "b"]; then count what is left with exists */
	push_s(a, "b"); emit(a, OP_ADEL, 2, g, 1);
	push_l(a, 1); push_s(a, "b"); emit(a, OP_AEXISTS, 2, g, 0);
	push_l(a, 1); push_s(a, "a"); emit(a, OP_AEXISTS, 2, g, 0);
	printf_(a, "%d %d\n", 2);
	push_l(a, 1); push_s(a, "a"); emit(a, OP_ADEL, 2, g, 0);
	push_l(a, 1); push_s(a, "a"); emit(a, OP_AEXISTS, 2, g, 0);
	/* string values are copied */
	push_l(a, 7); push_s(a, "seven"); emit(a, OP_ASETS, 1, gs, 0);
	push_l(a, 7); emit(a, OP_AGETS, 1, gs, 0);
	push_l(a, 8); emit(a, OP_AGETS, 1, gs, 0);
	printf_(a, "%d %s [%s]\n", 3);
	emit(a, OP_ACLEAR, 0, gs, 0);
	push_l(a, 7); emit(a, OP_AEXISTS, 1, gs, 0);
	printf_(a, "%d\n", 1);
	/* small[N] overflows at the third element */
	push_l(a, 1); push_l(a, 1); emit(a, OP_ASETL, 1, small, 0);
	push_l(a, 2); push_l(a, 1); emit(a, OP_ASETL, 1, small, 0);
	push_l(a, 2); push_l(a, 5); emit(a, OP_ASETL, 1, small, 0);
	loc(a, "identifier 'small'", 9, 5);
	push_l(a, 3); push_l(a, 1); emit(a, OP_ASETL, 1, small, 0);
	end_handler(a);
	expect(a, false, "10 0 0 1 1 0\n0 1\n0 seven []\n0\n",
	       "ERROR: Array overflow, check size limit (2) near "
		  "identifier 'small' at input.pytap:9:5\n");

	/* MAXMAPENTRIES */
	a = asm_new();
	a->p->maxmapentries = 3;
	g = global(a, "big", BT_LONG, "L");
	begin_handler(a, 1, 0);
	{
		uint32_t top, j;

		top = here(a);
		emit(a, OP_LOAD, 0, 0, 0);
		emit(a, OP_DUP, 0, 0, 0);
		emit(a, OP_ASETL, 1, g, 0);
		emit(a, OP_LOAD, 0, 0, 0);
		push_l(a, 1);
		emit(a, OP_ADD, 0, 0, 0);
		emit(a, OP_DUP, 0, 0, 0);
		emit(a, OP_STORE, 0, 0, 0);
		push_l(a, 10);
		emit(a, OP_LT, 0, 0, 0);
		j = emit(a, OP_JZ, 0, 0, 0);
		patch(a, emit(a, OP_JMP, 0, 0, 0), top);
		patch(a, j, here(a));
	}
	end_handler(a);
	r = run_all(a, false);
	CHECK_STR(r.err, "ERROR: Array overflow, check MAXMAPENTRIES (3; pytap -DMAXMAPENTRIES=N raises it)\n");
	result_free(&r);
	asm_free(a);
}

/* foreach ([k] in arr- limit 3) printf("%d=%d\n", k, v) */
static void test_foreach(void)
{
	struct asm_ *a = asm_new();
	int g = global(a, "arr", BT_LONG, "L");
	int gs = global(a, "sarr", BT_STRING, "S");
	int i, so, so2;
	struct fe_loop l;
	static const int vals[] = { 5, 50, 20, 40, 10 };

	begin_handler(a, 3, 2);
	for (i = 0; i < 5; i++) {
		push_l(a, i + 1);
		push_l(a, vals[i]);
		emit(a, OP_ASETL, 1, g, 0);
	}
	so = sortspec(a, BS_VALUE, 0, -1, 0);
	push_l(a, 3);
	l = fe_begin(a, 0, so, g);
	emit(a, OP_STORE, 0, 0, 0);
	emit(a, OP_FEVALUE, 0, 0, 0);
	emit(a, OP_STORE, 0, 1, 0);
	emit(a, OP_LOAD, 0, 0, 0);
	emit(a, OP_LOAD, 0, 1, 0);
	printf_(a, "%d=%d\n", 2);
	fe_end(a, l);
	/* string keys, sorted by key ascending, no limit */
	push_s(a, "pear"); push_s(a, "green"); emit(a, OP_ASETS, 1, gs, 0);
	push_s(a, "apple"); push_s(a, "red"); emit(a, OP_ASETS, 1, gs, 0);
	push_s(a, "fig"); push_s(a, "purple"); emit(a, OP_ASETS, 1, gs, 0);
	so2 = sortspec(a, BS_KEY, 0, 1, 0);
	push_l(a, -1);
	l = fe_begin(a, 1, so2, gs);
	emit(a, OP_STORE, 0, 2, 0);
	emit(a, OP_LOAD, 0, 2, 0);
	emit(a, OP_FEVALUE, 1, 0, 0);
	printf_(a, "%s:%s ", 2);
	fe_end(a, l);
	/* the key variable keeps the last key after the loop */
	emit(a, OP_LOAD, 0, 2, 0);
	printf_(a, "last=%s\n", 1);
	/* the same iterator slot on another array, one key less */
	push_l(a, 1);
	l = fe_begin(a, 0, so2, gs);
	printf_(a, "first=%s\n", 1);
	fe_end(a, l);
	/* limit 0: no iteration at all */
	push_l(a, 0);
	l = fe_begin(a, 0, so, g);
	emit(a, OP_POP, 0, 0, 0);
	push_s(a, "never\n");
	printf_(a, "%s", 1);
	fe_end(a, l);
	end_handler(a);
	expect(a, false, "2=50\n4=40\n3=20\n"
		  "apple:red fig:purple pear:green last=pear\n"
		  "first=apple\n",
	       "");
}

static void test_stats(void)
{
	struct asm_ *a = asm_new();
	int g = global(a, "lat", BT_STATS, "");
	int ga = global(a, "per", BT_STATS, "S");
	int ge = global(a, "none", BT_STATS, "");
	int i;
	static const int vals[] = { 1, 2, 3, 4, 100 };

	a->p->globals[g].hist = BH_LOG;
	begin_handler(a, 0, 0);
	for (i = 0; i < 5; i++) {
		push_l(a, vals[i]);
		emit(a, OP_STATADD, 0, g, 0);
		push_s(a, i % 2 ? "odd" : "even");
		push_l(a, vals[i]);
		emit(a, OP_STATADD, 1, ga, 0);
	}
	for (i = 0; i < 5; i++)
		emit(a, OP_STATOP, 0, g, i);
	push_l(a, 0);
	emit(a, OP_STATOP, 0, g, 5);
	printf_(a, "%d %d %d %d %d %d\n", 6);
	push_s(a, "odd"); emit(a, OP_STATOP, 1, ga, 0);
	push_s(a, "even"); emit(a, OP_STATOP, 1, ga, 1);
	push_s(a, "nope"); emit(a, OP_STATOP, 1, ga, 0);
	emit(a, OP_STATOP, 0, ge, 1);
	printf_(a, "%d %d %d %d\n", 4);
	/* @hist_log(lat)[65] counts the 1s; index 500 is out of range */
	push_l(a, 65);
	emit(a, OP_HISTBUCKET, 0, g, 0);
	printf_(a, "bucket %d\n", 1);
	emit(a, OP_HISTPRINT, 0, g, 0);
	loc(a, "identifier 'none'", 7, 9);
	emit(a, OP_STATOP, 0, ge, 2);
	printf_(a, "%d\n", 1);
	end_handler(a);
	expect(a, false, "5 110 1 100 22 1988\n2 104 0 0\nbucket 1\n"
		  "value |-------------------------------------------------- count\n"
		  "    0 |                                                   0\n"
		  "    1 |@                                                  1\n"
		  "    2 |@@                                                 2\n"
		  "    4 |@                                                  1\n"
		  "    8 |                                                   0\n"
		  "   16 |                                                   0\n"
		  "   32 |                                                   0\n"
		  "   64 |@                                                  1\n"
		  "  128 |                                                   0\n"
		  "  256 |                                                   0\n"
		  "\n",
	       "ERROR: empty aggregate near identifier 'none' at "
		  "input.pytap:7:9\n");

	/* the histogram index check, and an empty histogram */
	a = asm_new();
	g = global(a, "h", BT_STATS, "");
	a->p->globals[g].hist = BH_LINEAR;
	a->p->globals[g].hist_lo = 0;
	a->p->globals[g].hist_hi = 100;
	a->p->globals[g].hist_step = 10;
	begin_handler(a, 0, 0);
	emit(a, OP_TRY, 0, 0, 2);
	emit(a, OP_HISTPRINT, 0, g, 0);
	emit(a, OP_ENDTRY, 0, 0, 0);
	emit(a, OP_CATCHMSG, 0, 0, 0);
	printf_(a, "caught: %s\n", 1);
	push_l(a, 5);
	emit(a, OP_STATADD, 0, g, 0);
	push_l(a, 500);
	emit(a, OP_HISTBUCKET, 0, g, 0);
	emit(a, OP_POP, 0, 0, 0);
	end_handler(a);
	expect(a, false, "caught: empty aggregate\n",
	       "ERROR: histogram index out of range\n");
}

/* foreach (n = b in @hist_log(x)) if (n) printf(...), also on an element */
static void test_hist_foreach(void)
{
	struct asm_ *a = asm_new();
	int g = global(a, "foo", BT_STATS, "");
	int ga = global(a, "per", BT_STATS, "S");
	int so;
	struct fe_loop l;
	uint32_t jz;

	a->p->globals[g].hist = BH_LOG;
	a->p->globals[ga].hist = BH_LOG;
	so = sortspec(a, BS_NONE, 0, 1, 0);
	a->p->sorts[so].hist = true;
	begin_handler(a, 2, 1);
	push_l(a, -1); emit(a, OP_STATADD, 0, g, 0);
	push_l(a, 1); emit(a, OP_STATADD, 0, g, 0);
	push_s(a, "t"); push_l(a, 3); emit(a, OP_STATADD, 1, ga, 0);
	push_s(a, "t"); push_l(a, 5); emit(a, OP_STATADD, 1, ga, 0);
	push_s(a, "t"); push_l(a, 6); emit(a, OP_STATADD, 1, ga, 0);
	push_l(a, -1);
	l = fe_begin(a, 0, so, g);
	emit(a, OP_STORE, 0, 0, 0);
	emit(a, OP_FEVALUE, 0, 0, 0);
	emit(a, OP_DUP, 0, 0, 0);
	emit(a, OP_STORE, 0, 1, 0);
	jz = emit(a, OP_JZ, 0, 0, 0);
	emit(a, OP_LOAD, 0, 0, 0);
	emit(a, OP_LOAD, 0, 1, 0);
	printf_(a, "bucket %d: %d\n", 2);
	patch(a, jz, here(a));
	fe_end(a, l);
	/* the same slot on an element of an array, with a limit of 67 */
	push_s(a, "t");
	push_l(a, 67);
	l = fe_begin(a, 0, so, ga);
	emit(a, OP_STORE, 0, 0, 0);
	emit(a, OP_FEVALUE, 0, 0, 0);
	emit(a, OP_DUP, 0, 0, 0);
	emit(a, OP_STORE, 0, 1, 0);
	jz = emit(a, OP_JZ, 0, 0, 0);
	emit(a, OP_LOAD, 0, 1, 0);
	emit(a, OP_LOAD, 0, 0, 0);
	printf_(a, "%d strings in [t] bucket %d\n", 2);
	patch(a, jz, here(a));
	fe_end(a, l);
	end_handler(a);
	expect(a, false, "bucket 63: 1\nbucket 65: 1\n"
		  "1 strings in [t] bucket 66\n",
	       "");
}

/*
 * function risky(x) { return 10 / x }
 * try { n = risky(0); print("no") } catch (msg) { print("caught:", msg) }
 */
static void test_try(void)
{
	struct asm_ *a = asm_new();
	int risky;
	uint32_t t, j;

	risky = func_begin(a, "risky", 1, 1, 0);
	loc(a, "operator '/'", 1, 30);
	push_l(a, 10);
	emit(a, OP_LOAD, 0, 0, 0);
	emit(a, OP_DIV, 0, 0, 0);
	emit(a, OP_RET, 0, 0, 0);
	func_end(a);
	begin_handler(a, 2, 0);
	push_l(a, 111);		/* stays below the try on the stack */
	t = emit(a, OP_TRY, 0, 0, 0);
	push_l(a, 1);		/* unwound by the error */
	push_l(a, 0);
	loc(a, "identifier 'risky'", 2, 13);
	emit(a, OP_CALL, 0, risky, 0);
	emit(a, OP_ADD, 0, 0, 0);
	emit(a, OP_STORE, 0, 0, 0);
	push_s(a, "no\n");
	printf_(a, "%s", 1);
	emit(a, OP_ENDTRY, 0, 0, 0);
	j = emit(a, OP_JMP, 0, 0, 0);
	patch(a, t, here(a));
	emit(a, OP_CATCHMSG, 0, 0, 0);
	emit(a, OP_STORE, 0, 1, 0);
	emit(a, OP_LOAD, 0, 1, 0);
	printf_(a, "caught: %s\n", 1);
	patch(a, j, here(a));
	printf_(a, "below: %d\n", 1);
	/* error("boom") outside any try, from a nested call */
	loc(a, "identifier 'error'", 5, 3);
	push_s(a, "boom");
	emit(a, OP_ERROR, 0, 0, 0);
	end_handler(a);
	expect(a, false, "caught: division by 0\nbelow: 111\n",
	       "ERROR: boom near identifier 'error' at "
		  "input.pytap:5:3\n");

	/* a try left by a jump (break) does not catch later errors */
	a = asm_new();
	begin_handler(a, 0, 0);
	t = emit(a, OP_TRY, 0, 0, 0);
	j = emit(a, OP_JMP, 0, 0, 0);	/* break out, no ENDTRY */
	emit(a, OP_ENDTRY, 0, 0, 0);
	patch(a, t, here(a));
	push_s(a, "wrongly caught\n");
	printf_(a, "%s", 1);
	emit(a, OP_HALT, 0, 0, 0);
	patch(a, j, here(a));
	push_s(a, "after");
	emit(a, OP_ERROR, 0, 0, 0);
	end_handler(a);
	expect(a, false, "",
	       "ERROR: after\n");
}

/* Called-from context, as SystemTap 5.6 prints it (PR34320). */
static void test_error_context(void)
{
	struct asm_ *a = asm_new();
	int bad, mid, f;
	struct result r;

	bad = func_begin(a, "bad", 0, 0, 0);
	loc(a, "identifier 'error'", 10, 5);
	push_s(a, "context test fail");
	emit(a, OP_ERROR, 0, 0, 0);
	push_l(a, 0);
	emit(a, OP_RET, 0, 0, 0);
	func_end(a);
	mid = func_begin(a, "mid", 0, 0, 0);
	loc(a, "identifier 'bad'", 13, 5);
	emit(a, OP_CALL, 0, bad, 0);
	emit(a, OP_RET, 0, 0, 0);
	func_end(a);
	f = func_begin(a, "timer", 0, 0, 0);
	loc(a, "identifier 'mid'", 17, 5);
	emit(a, OP_CALL, 0, mid, 0);
	emit(a, OP_POP, 0, 0, 0);
	end_handler(a);
	probe(a, BP_TIMER, f, "timer.s(1)");
	r = run_all(a, false);
	CHECK_STR(r.err, "ERROR: context test fail near identifier 'error' at "
		  "input.pytap:10:5 (called from identifier 'bad' at "
		  "input.pytap:13:5) (called from identifier 'mid' at "
		  "input.pytap:17:5)\n");
	result_free(&r);
	asm_free(a);
}

/* function fib(n) { if (n < 2) return n; return fib(n-1) + fib(n-2) } */
static void test_calls(void)
{
	struct asm_ *a = asm_new();
	int fib, deep;
	uint32_t j;
	struct result r;

	fib = func_begin(a, "fib", 1, 1, 0);
	emit(a, OP_LOAD, 0, 0, 0);
	push_l(a, 2);
	emit(a, OP_LT, 0, 0, 0);
	j = emit(a, OP_JZ, 0, 0, 0);
	emit(a, OP_LOAD, 0, 0, 0);
	emit(a, OP_RET, 0, 0, 0);
	patch(a, j, here(a));
	emit(a, OP_LOAD, 0, 0, 0);
	push_l(a, 1);
	emit(a, OP_SUB, 0, 0, 0);
	emit(a, OP_CALL, 0, fib, 0);
	emit(a, OP_LOAD, 0, 0, 0);
	push_l(a, 2);
	emit(a, OP_SUB, 0, 0, 0);
	emit(a, OP_CALL, 0, fib, 0);
	emit(a, OP_ADD, 0, 0, 0);
	emit(a, OP_RET, 0, 0, 0);
	func_end(a);
	/* deep(n) { return n ? deep(n - 1) : 0 } */
	deep = func_begin(a, "deep", 1, 1, 0);
	emit(a, OP_LOAD, 0, 0, 0);
	j = emit(a, OP_JZ, 0, 0, 0);
	emit(a, OP_LOAD, 0, 0, 0);
	push_l(a, 1);
	emit(a, OP_SUB, 0, 0, 0);
	loc(a, "identifier 'deep'", 4, 20);
	emit(a, OP_CALL, 0, deep, 0);
	emit(a, OP_RET, 0, 0, 0);
	patch(a, j, here(a));
	push_l(a, 0);
	emit(a, OP_RET, 0, 0, 0);
	func_end(a);
	begin_handler(a, 0, 0);
	loc(a, "identifier 'fib'", 6, 1);
	push_l(a, 9);
	emit(a, OP_CALL, 0, fib, 0);
	printf_(a, "fib=%d\n", 1);
	push_l(a, 9);		/* 10 nested calls: fine */
	emit(a, OP_CALL, 0, deep, 0);
	printf_(a, "deep9=%d\n", 1);
	push_l(a, 10);		/* 11: MAXNESTING */
	emit(a, OP_CALL, 0, deep, 0);
	printf_(a, "deep10=%d\n", 1);
	end_handler(a);
	r = run_all(a, false);
	CHECK_STR(r.out, "fib=34\ndeep9=0\n");
	CHECK(strncmp(r.err, "ERROR: MAXNESTING exceeded near identifier "
		      "'deep' at input.pytap:4:20 (called from identifier "
		      "'deep' at input.pytap:4:20)", 90) == 0,
	      "got [%s]", r.err);
	CHECK(strstr(r.err, " (called from identifier 'fib' at "
			    "input.pytap:6:1)\n") != NULL,
	      "got [%s]", r.err);
	result_free(&r);
	asm_free(a);
}

static void test_regex(void)
{
	struct asm_ *a = begin_prog(0, 0);
	int re = regex(a, "^([a-z]+)-([0-9]+)(x)?$");
	struct result r;

	push_s(a, "abc-123");
	emit(a, OP_REGEX, 0, re, 0);
	emit(a, OP_BUILTIN, 0, BI_ngroups, 0);
	push_l(a, 1); emit(a, OP_BUILTIN, 1, BI_matched, 0);
	push_l(a, 2); emit(a, OP_BUILTIN, 1, BI_matched, 0);
	push_l(a, 3); emit(a, OP_BUILTIN, 1, BI_matched, 0);
	emit(a, OP_BUILTIN, 0, BI_matched_str, 0);
	printf_(a, "%d %d %s %s [%s] %s\n", 6);
	push_s(a, "ABC");
	emit(a, OP_REGEX, 1, re, 0);	/* !~ */
	printf_(a, "%d\n", 1);
	loc(a, "identifier 'matched'", 3, 1);
	push_l(a, 1); emit(a, OP_BUILTIN, 1, BI_matched, 0);
	printf_(a, "%s\n", 1);
	end_handler(a);
	r = run_all(a, false);
	CHECK_STR(r.out, "1 4 abc 123 [] abc-123\n1\n");
	CHECK(strncmp(r.err, "ERROR: Attempted to get subexpression 1 from "
		      "failed match near identifier 'matched'", 60) == 0,
	      "got [%s]", r.err);
	result_free(&r);
	asm_free(a);
}

/* One built-in call on constant arguments, printed with FORMAT. */
struct bicase {
	int bi;
	const char *args;	/* 'L'/'S' per argument */
	const char *s[3];
	int64_t l[3];
	const char *want;
};

static void test_builtins_strings(void)
{
	static const struct bicase cases[] = {
		{ BI_substr, "SLL", { "Hello World!" }, { 0, 2, 5 }, "llo W" },
		{ BI_substr, "SLL", { "Hello World!" }, { 0, -1, 10 }, "" },
		{ BI_substr, "SLL", { "Hello World!" }, { 0, 11, 100 }, "!" },
		{ BI_substr, "SLL", { "Hello World!" }, { 0, 0, 0 }, "" },
		{ BI_strtol, "SL", { "1000" }, { 0, 16 }, "4096" },
		{ BI_strtol, "SL", { "-123456789" }, { 0, 10 }, "-123456789" },
		{ BI_strtol, "SL", { "1a2b3c" }, { 0, 10 }, "1" },
		{ BI_strtol, "SL", { " 1" }, { 0, 10 }, "0" },
		{ BI_strtol, "SL", { "0x1f" }, { 0, 16 }, "31" },
		{ BI_strtol, "SL", { "0x1f" }, { 0, 0 }, "31" },
		{ BI_strtol, "SL", { "017" }, { 0, 0 }, "15" },
		{ BI_str_replace, "SSS", { "hello system tap", "system",
					   "pointer" }, { 0 },
		  "hello pointer tap" },
		{ BI_str_replace, "SSS", { "aaa", "a", "bb" }, { 0 }, "bbbbbb" },
		{ BI_str_replace, "SSS", { "abc", "", "x" }, { 0 }, "abc" },
		{ BI_isinstr, "SS", { "abcfoobad", "foo" }, { 0 }, "1" },
		{ BI_isinstr, "SS", { "", "" }, { 0 }, "1" },
		{ BI_strpos, "SS", { "abcfoo", "foo" }, { 0 }, "3" },
		{ BI_strpos, "SS", { "abc", "x" }, { 0 }, "-1" },
		{ BI_strlen, "S", { "hello" }, { 0 }, "5" },
		{ BI_text_str, "S", { "\n\nXYZZY\031" }, { 0 },
		  "\\n\\nXYZZY\\031" },
		{ BI_text_str, "S", { "\077\231\a\n\n\r\n" }, { 0 },
		  "?\\231\\a\\n\\n\\r\\n" },
		{ BI_text_strn, "SLL", { "1234567890" }, { 0, 10, 1 },
		  "\"12345\"..." },
		{ BI_text_strn, "SLL", { "1234567890" }, { 0, 12, 1 },
		  "\"1234567890\"" },
		{ BI_text_strn, "SLL", { "\n\nXYZZY\031" }, { 0, 10, 0 },
		  "\\n\\nXYZZY" },
		{ BI_text_strn, "SLL", { "\n\nXYZZY\031" }, { 0, 10, 1 },
		  "\"\\n\\nX\"..." },
		/* whole escapes are dropped when cutting (stap 5.x) */
		{ BI_text_strn, "SLL", { "\077\231\a\n\n\r\n" }, { 0, 15, 1 },
		  "\"?\\231\\a\\n\"..." },
		{ BI_text_strn, "SLL", { "\n\nXYZZY\031?" }, { 0, 15, 1 },
		  "\"\\n\\nXYZZY\"..." },
		{ BI_string_quoted, "S", { "\300\200 \301\277 \302\200 \337\277" },
		  { 0 }, "\"\\300\\200 \\301\\277 \\u0080 \\u07FF\"" },
		{ BI_string_quoted, "S",
		  { "\360\200\200\200 \360\220\200\200 \364\217\277\277" },
		  { 0 }, "\"\\360\\200\\200\\200 \\U00010000 \\U0010FFFF\"" },
		{ BI_string_quoted, "S", { "say \"hi\"\\" }, { 0 },
		  "\"say \\\"hi\\\"\\\\\"" },
		{ BI_isdigit, "S", { "7up" }, { 0 }, "1" },
		{ BI_isdigit, "S", { "up7" }, { 0 }, "0" },
		{ BI_toupper, "S", { "MiXed 1" }, { 0 }, "MIXED 1" },
		{ BI_tolower, "S", { "MiXed 1" }, { 0 }, "mixed 1" },
		{ BI_stringat, "SL", { "abc" }, { 0, 1 }, "98" },
		{ BI_ctime, "L", { NULL }, { 0 }, "Thu Jan  1 00:00:00 1970" },
		{ BI_ctime, "L", { NULL }, { -1 }, "Wed Dec 31 23:59:59 1969" },
		{ BI_ctime, "L", { NULL }, { 1234567890 },
		  "Fri Feb 13 23:31:30 2009" },
		{ BI_ctime, "L", { NULL }, { -2147483648LL },
		  "Fri Dec 13 20:45:52 1901" },
		{ BI_ctime, "L", { NULL }, { 2147483647 },
		  "Tue Jan 19 03:14:07 2038" },
		{ BI_user_string, "L", { NULL }, { FAKE_BASE + 6 },
		  "from the target" },
		{ BI_user_string_n, "LL", { NULL }, { FAKE_BASE, 4 }, "hell" },
		{ BI_user_string_err, "LS", { NULL, "<bad>" }, { 12 }, "<bad>" },
		{ BI_user_string2, "LS", { NULL, "<bad>" }, { FAKE_BASE },
		  "hello from the target" },
		{ BI_user_string_quoted, "L", { NULL }, { FAKE_BASE },
		  "\"hello from the target\"" },
		{ BI_user_string_quoted, "L", { NULL }, { 0x1234 }, "0x1234" },
		{ BI_user_string_n_quoted, "LL", { NULL }, { FAKE_BASE, 5 },
		  "\"hello\"" },
		{ BI_user_char, "L", { NULL }, { FAKE_BASE }, "104" },
		{ BI_user_short, "L", { NULL }, { FAKE_BASE }, "25960" },
		{ BI_user_long, "L", { NULL }, { 7 }, "0" },
		{ BI_target, "", { NULL }, { 0 }, "4242" },
		{ BI_randint, "L", { NULL }, { 0 }, "0" },
		{ BI_randint, "L", { NULL }, { 1 }, "0" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct bicase *c = &cases[i];
		struct asm_ *a = begin_prog(0, 0);
		size_t k, n = strlen(c->args);
		struct result r;
		char want[600];

		for (k = 0; k < n; k++) {
			if (c->args[k] == 'S')
				push_s(a, c->s[k]);
			else
				push_l(a, c->l[k]);
		}
		emit(a, OP_BUILTIN, (int)n, c->bi, 0);
		printf_(a, strchr("LV", builtin_ret(c->bi)) ? "[%d]" : "[%s]",
			1);
		end_handler(a);
		r = run_all(a, false);
		snprintf(want, sizeof(want), "[%s]", c->want);
		CHECK(r.out && strcmp(r.out, want) == 0,
		      "case %zu: got %s, want %s (err %s)", i, r.out, want,
		      r.err);
		result_free(&r);
		asm_free(a);
	}
}

static void test_builtin_errors(void)
{
	static const struct {
		struct bicase c;
		const char *err;
	} cases[] = {
		{ { BI_user_string, "L", { NULL }, { 0x10 }, "" },
		  "ERROR: user string copy fault -14 at 0x10 [man error::fault]"
		  " near identifier 'f' at input.pytap:1:1\n" },
		{ { BI_stringat, "SL", { "abc" }, { 0, 3 }, "" },
		  "ERROR: Position out of bounds near identifier 'f' at "
		  "input.pytap:1:1\n" },
		{ { BI_ctime, "L", { NULL }, { 2147483648LL }, "" },
		  "ERROR: Time too far in the future to be converted near "
		  "identifier 'f' at input.pytap:1:1\n" },
		{ { BI_ctime, "L", { NULL }, { -2147483649LL }, "" },
		  "ERROR: Time too far in the past to be converted near "
		  "identifier 'f' at input.pytap:1:1\n" },
		{ { BI_randint, "L", { NULL }, { 1048577 }, "" },
		  "ERROR: range too wide near identifier 'f' at "
		  "input.pytap:1:1\n" },
		{ { BI_randint, "L", { NULL }, { -1 }, "" },
		  "ERROR: range too wide near identifier 'f' at "
		  "input.pytap:1:1\n" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct bicase *c = &cases[i].c;
		struct asm_ *a = begin_prog(0, 0);
		size_t k, n = strlen(c->args);
		struct result r;

		loc(a, "identifier 'f'", 1, 1);
		for (k = 0; k < n; k++) {
			if (c->args[k] == 'S')
				push_s(a, c->s[k]);
			else
				push_l(a, c->l[k]);
		}
		emit(a, OP_BUILTIN, (int)n, c->bi, 0);
		emit(a, OP_POP, 0, 0, 0);
		end_handler(a);
		r = run_all(a, false);
		CHECK(r.err && strcmp(r.err, cases[i].err) == 0,
		      "case %zu: got [%s]", i, r.err);
		result_free(&r);
		asm_free(a);
	}
}

/* tokenize() keeps its state across calls (and probe hits). */
static void test_tokenize(void)
{
	struct asm_ *a = begin_prog(0, 0);
	struct result r;

	push_s(a, "/usr//local/bin");
	push_s(a, "/");
	emit(a, OP_BUILTIN, 2, BI_tokenize, 0);
	push_s(a, ""); push_s(a, "/");
	emit(a, OP_BUILTIN, 2, BI_tokenize, 0);
	push_s(a, ""); push_s(a, "/");
	emit(a, OP_BUILTIN, 2, BI_tokenize, 0);
	push_s(a, ""); push_s(a, "/");
	emit(a, OP_BUILTIN, 2, BI_tokenize, 0);
	printf_(a, "%s,%s,%s,[%s]\n", 4);
	end_handler(a);
	r = run_all(a, false);
	CHECK_STR(r.out, "usr,local,bin,[]\n");
	result_free(&r);
	asm_free(a);
}

/* thread_indent: "%6d %s:%-*s" with the depth as spaces. */
static void test_indent(void)
{
	struct asm_ *a = begin_prog(0, 0);
	struct result r;
	char exe[64], want[512];
	FILE *f = fopen("/proc/self/comm", "r");

	if (f == NULL || fgets(exe, sizeof(exe), f) == NULL)
		strcpy(exe, "?");
	if (f)
		fclose(f);
	exe[strcspn(exe, "\n")] = '\0';
	push_l(a, 1); emit(a, OP_BUILTIN, 1, BI_thread_indent, 0);
	push_l(a, 1); emit(a, OP_BUILTIN, 1, BI_thread_indent, 0);
	push_l(a, -1); emit(a, OP_BUILTIN, 1, BI_thread_indent, 0);
	push_l(a, -1); emit(a, OP_BUILTIN, 1, BI_thread_indent, 0);
	printf_(a, "[%s]\n[%s]\n[%s]\n[%s]\n", 4);
	push_l(a, 1); emit(a, OP_BUILTIN, 1, BI_indent_depth, 0);
	push_l(a, 1); emit(a, OP_BUILTIN, 1, BI_indent_depth, 0);
	push_l(a, -1); emit(a, OP_BUILTIN, 1, BI_indent_depth, 0);
	printf_(a, "%d %d %d\n", 3);
	end_handler(a);
	r = run_all(a, false);
	/* the timestamps are microseconds: usually 0 here */
	{
		char *p = r.out ? r.out : (char *)"";
		char *q;

		/* blank out the 6-column timestamps */
		for (q = p; (q = strchr(q, '[')) != NULL; q++)
			memcpy(q + 1, "     T", 6);
	}
	snprintf(want, sizeof(want),
		 "[     T %s(%d):]\n[     T %s(%d): ]\n[     T %s(%d): ]\n"
		 "[     T %s(%d):]\n0 1 1\n", exe, (int)gettid(), exe,
		 (int)gettid(), exe, (int)gettid(), exe, (int)gettid());
	CHECK_STR(r.out, want);
	result_free(&r);
	asm_free(a);
}

static void test_autoprint(void)
{
	struct asm_ *a = asm_new();
	int gl = global(a, "count", BT_LONG, "");
	int gs = global(a, "name", BT_STRING, "");
	int ga = global(a, "hits", BT_LONG, "SL");
	int gt = global(a, "t", BT_STATS, "");
	int ge = global(a, "e", BT_STATS, "");
	int gq = global(a, "quiet", BT_LONG, "");
	struct result r;
	int i;

	for (i = 0; i < (int)a->p->nglobals; i++)
		a->p->globals[i].autoprint = i != gq;
	(void)ge;
	begin_handler(a, 0, 0);
	push_l(a, 42); emit(a, OP_GSTOREL, 0, gl, 0);
	push_s(a, "pytap"); emit(a, OP_GSTORES, 0, gs, 0);
	push_s(a, "a"); push_l(a, 1); push_l(a, 5); emit(a, OP_ASETL, 2, ga, 0);
	push_s(a, "b"); push_l(a, 2); push_l(a, 9); emit(a, OP_ASETL, 2, ga, 0);
	push_s(a, "c"); push_l(a, 3); push_l(a, 7); emit(a, OP_ASETL, 2, ga, 0);
	push_l(a, 3); emit(a, OP_STATADD, 0, gt, 0);
	push_l(a, 1); emit(a, OP_STATADD, 0, gt, 0);
	end_handler(a);
	r = run_all(a, true);
	CHECK_STR(r.out, "count=42\nname=\"pytap\"\n"
		  "hits[\"b\",2]=9\nhits[\"c\",3]=7\nhits[\"a\",1]=5\n"
		  "t @count=2 @min=1 @max=3 @sum=4 @avg=2\n"
		  "e @count=0x0\n");
	result_free(&r);
	asm_free(a);

	/* not after an error past MAXERRORS (no end probes run then) */
	a = asm_new();
	gl = global(a, "count", BT_LONG, "");
	a->p->globals[gl].autoprint = true;
	begin_handler(a, 0, 0);
	push_l(a, 42); emit(a, OP_GSTOREL, 0, gl, 0);
	push_s(a, "stop");
	emit(a, OP_ERROR, 0, 0, 0);
	end_handler(a);
	expect(a, true, "",
	       "ERROR: stop\n");
}

/* Globals: string loads are copies; -G sets scalars. */
static void test_globals(void)
{
	struct asm_ *a = asm_new();
	int gs = global(a, "g", BT_STRING, "");
	int gl = global(a, "n", BT_LONG, "");
	char err[128];
	FILE *out;
	char *obuf = NULL;
	size_t olen = 0;
	struct vm *vm;
	struct vm_event ev;

	a->p->globals[gl].has_init = true;
	a->p->globals[gl].init_long = 7;
	begin_handler(a, 1, 0);
	emit(a, OP_GLOADS, 0, gs, 0);
	emit(a, OP_STORE, 0, 0, 0);
	push_s(a, "new");
	emit(a, OP_GSTORES, 0, gs, 0);
	emit(a, OP_LOAD, 0, 0, 0);
	emit(a, OP_GLOADS, 0, gs, 0);
	emit(a, OP_GLOADL, 0, gl, 0);
	push_l(a, 3);
	emit(a, OP_GINCR, 0, gl, 0);
	printf_(a, "%s %s %d %d\n", 4);
	emit(a, OP_GCLEAR, 0, gl, 0);
	emit(a, OP_GLOADL, 0, gl, 0);
	printf_(a, "%d\n", 1);
	end_handler(a);
	out = open_memstream(&obuf, &olen);
	vm = vm_new(a->p, &host, out, err, sizeof(err));
	CHECK(vm != NULL, "load: %s", err);
	CHECK(vm_set_global(vm, "g", "old", err, sizeof(err)) == 0, "%s", err);
	CHECK(vm_set_global(vm, "n", "0x10", err, sizeof(err)) == 0, "%s",
	      err);
	CHECK(vm_set_global(vm, "n", "12abc", err, sizeof(err)) == -1, "-G");
	CHECK_STR(err, "invalid number '12abc' for global 'n'");
	memset(&ev, 0, sizeof(ev));
	vm_run(vm, &ev);
	vm_free(vm);
	fclose(out);
	CHECK_STR(obuf, "old new 16 19\n0\n");
	free(obuf);
	asm_free(a);
}

/* The loader rejects bad programs instead of crashing later. */
static void test_verifier(void)
{
	struct asm_ *a = begin_prog(0, 0);
	char err[256] = "";
	struct vm *vm;

	emit(a, OP_ADD, 0, 0, 0);	/* nothing on the stack */
	end_handler(a);
	vm = vm_new(a->p, &host, stdout, err, sizeof(err));
	CHECK(vm == NULL, "underflow accepted");
	CHECK(strstr(err, "operand stack underflow") != NULL, "err: %s", err);
	asm_free(a);

	a = begin_prog(0, 0);
	emit(a, OP_JMP, 0, 0, 100);
	end_handler(a);
	vm = vm_new(a->p, &host, stdout, err, sizeof(err));
	CHECK(vm == NULL, "wild jump accepted");
	asm_free(a);

	a = begin_prog(0, 0);
	push_l(a, 1);
	emit(a, OP_PRINTF, 1, fmt(a, "%d %d"), 0);
	end_handler(a);
	vm = vm_new(a->p, &host, stdout, err, sizeof(err));
	CHECK(vm == NULL, "format arity accepted");
	asm_free(a);

	a = begin_prog(0, 0);
	regex(a, "a(b");
	end_handler(a);
	vm = vm_new(a->p, &host, stdout, err, sizeof(err));
	CHECK(vm == NULL && strstr(err, "regular expression") != NULL,
	      "bad regex: %s", err);
	asm_free(a);
}

static void test_disasm(void)
{
	struct asm_ *a = asm_new();
	int g = global(a, "count", BT_LONG, "");
	uint32_t j;
	struct strbuf sb = STRBUF_INIT;

	begin_handler(a, 1, 0);
	emit(a, OP_ACT, 0, 0, 2);
	push_s(a, "hello\n");
	printf_(a, "%s", 1);
	emit(a, OP_GLOADL, 0, g, 0);
	j = emit(a, OP_JZ, 0, 0, 0);
	emit(a, OP_BUILTIN, 0, BI_pid, 0);
	emit(a, OP_POP, 0, 0, 0);
	patch(a, j, here(a));
	end_handler(a);
	bc_disassemble(&sb, a->p);
	CHECK(strstr(sb_str(&sb), "  g0  count  long\n") != NULL, "%s",
	      sb_str(&sb));
	CHECK(strstr(sb_str(&sb), "   1  PUSHS   s0        ; "
		     "\"hello\\n\"\n") != NULL, "%s", sb_str(&sb));
	CHECK(strstr(sb_str(&sb), "   3  GLOADL  g0        ; count\n")
	      != NULL, "%s", sb_str(&sb));
	CHECK(strstr(sb_str(&sb), "   4  JZ      +2        ; -> 7\n")
	      != NULL, "%s", sb_str(&sb));
	CHECK(strstr(sb_str(&sb), "   5  BUILTIN b0/0      ; pid\n")
	      != NULL, "%s", sb_str(&sb));
	CHECK(strstr(sb_str(&sb), "   7  HALT\n") != NULL, "%s",
	      sb_str(&sb));
	CHECK(strcmp(bc_op_name(OP_FEBEGIN), "FEBEGIN") == 0, "op name");
	sb_free(&sb);
	asm_free(a);
}

/* A marker hit as the ptrace source hands it over: the SDT operand spec
 * over registers (no memory operands here). */
struct reg_args {
	struct vm_args base;
	const struct sdt_probe *sp;
	const struct user_regs_struct *regs;
};

static int reg_arg(const struct vm_args *a, int n, int64_t *v,
		   uint64_t *fault)
{
	const struct reg_args *r = (const struct reg_args *)a;

	*fault = 0;
	return sdt_arg_fetch(&r->sp->args[n - 1], r->regs, NULL, NULL, v);
}

/* $argN and $$vars from registers (no target memory needed). */
static void test_context(void)
{
	struct asm_ *a = asm_new();
	int f;
	char err[128];
	char *obuf = NULL;
	size_t olen = 0;
	FILE *out = open_memstream(&obuf, &olen);
	struct vm *vm;
	struct vm_event ev;
	struct sdt_probe sp;
	struct user_regs_struct regs;
	struct reg_args ra;

	f = func_begin(a, "mark", 0, 0, 0);
	emit(a, OP_CTX, 0, 1, 0);
	emit(a, OP_CTX, 0, 2, 0);
	emit(a, OP_CTXS, 0, 0, 0);
	emit(a, OP_CTXS, 0, 1, 0);
	emit(a, OP_CTXS, 0, 2, 0);
	emit(a, OP_BUILTIN, 0, BI_pp, 0);
	emit(a, OP_BUILTIN, 0, BI_pn, 0);
	emit(a, OP_BUILTIN, 0, BI_pid, 0);
	emit(a, OP_BUILTIN, 0, BI_tid, 0);
	printf_(a, "%d %d %s %s [%s] %s %s %d %d\n", 9);
	end_handler(a);
	probe(a, BP_SDT, f,
	      "process(\"/usr/bin/python3.11\").mark(\"function__entry\")");
	a->p->probes[0].sdt_path = strdup("/usr/bin/python3.11");
	memset(&sp, 0, sizeof(sp));
	sp.provider = (char *)"python";
	sp.name = (char *)"function__entry";
	sp.pc = 0x4f20a1;
	sp.nargs = sdt_args_parse("8@%rbp -4@%eax", sp.args, SDT_MAX_ARGS);
	memset(&regs, 0, sizeof(regs));
	regs.rbp = 0x7f0012345678ull;
	regs.rax = 0xffffffffull;	/* -1 as a 32-bit int */
	vm = vm_new(a->p, &host, out, err, sizeof(err));
	CHECK(vm != NULL, "load: %s", err);
	memset(&ev, 0, sizeof(ev));
	ev.probe = 0;
	ev.pid = 100;
	ev.tid = 101;
	memset(&ra, 0, sizeof(ra));
	ra.base.nargs = sp.nargs;
	ra.base.name = sp.name;
	ra.base.provider = sp.provider;
	ra.base.site = sp.pc;
	ra.base.get = reg_arg;
	ra.sp = &sp;
	ra.regs = &regs;
	ev.args = &ra.base;
	vm_run(vm, &ev);
	vm_free(vm);
	fclose(out);
	CHECK_STR(obuf, "139638282147448 -1 function__entry python "
		  "[$arg1=0x7f0012345678 $arg2=0xffffffffffffffff] "
		  "process(\"/usr/bin/python3.11\").statement(0x4f20a1) "
		  "process(\"/usr/bin/python3.11\").mark(\"function__entry\") "
		  "100 101\n");
	free(obuf);
	asm_free(a);
}

static const char *argv0;

/* Process facts: without a target process they describe the VM's own. */
static void test_process(void)
{
	struct asm_ *a = begin_prog(0, 0);
	struct result r;
	char want[4096], exe[64];
	const char *path = getenv("PATH");
	FILE *f = fopen("/proc/self/comm", "r");

	if (f == NULL || fgets(exe, sizeof(exe), f) == NULL)
		strcpy(exe, "?");
	if (f)
		fclose(f);
	exe[strcspn(exe, "\n")] = '\0';
	emit(a, OP_BUILTIN, 0, BI_pid, 0);
	emit(a, OP_BUILTIN, 0, BI_tid, 0);
	emit(a, OP_BUILTIN, 0, BI_ppid, 0);
	emit(a, OP_BUILTIN, 0, BI_uid, 0);
	emit(a, OP_BUILTIN, 0, BI_execname, 0);
	push_l(a, 0);
	emit(a, OP_BUILTIN, 1, BI_cmdline_arg, 0);
	push_l(a, 99);
	emit(a, OP_BUILTIN, 1, BI_cmdline_arg, 0);
	push_s(a, "PATH");
	emit(a, OP_BUILTIN, 1, BI_env_var, 0);
	push_s(a, "NO_SUCH_VARIABLE_HERE");
	emit(a, OP_BUILTIN, 1, BI_env_var, 0);
	printf_(a, "%d %d %d %d %s %s [%s] %s [%s]\n", 9);
	end_handler(a);
	r = run_all(a, false);
	snprintf(want, sizeof(want), "%d %d %d %d %s %s [] %.511s []\n",
		 (int)getpid(), (int)gettid(), (int)getppid(), (int)getuid(),
		 exe, argv0, path ? path : "");
	CHECK_STR(r.out, want);
	result_free(&r);
	asm_free(a);
}

/* abort(): the handler stops at once, even inside try, with no message. */
static void test_abort(void)
{
	struct asm_ *a = begin_prog(0, 0);
	struct result r;
	uint32_t t;

	push_s(a, "enter\n");
	printf_(a, "%s", 1);
	t = emit(a, OP_TRY, 0, 0, 0);
	emit(a, OP_BUILTIN, 0, BI_abort, 0);
	emit(a, OP_ENDTRY, 0, 0, 0);
	patch(a, t, here(a));
	push_s(a, "after\n");
	printf_(a, "%s", 1);
	end_handler(a);
	r = run_all(a, false);
	CHECK_STR(r.out, "enter\n");
	CHECK_STR(r.err, "");
	CHECK(r.exit_req && r.errors == 0, "abort state");
	result_free(&r);
	asm_free(a);
}

/* The hot path: printf("%s %s\n", a, b) per hit, output buffered. */
static void bench_printf(void)
{
	struct asm_ *a = asm_new();
	int f;
	char err[128];
	FILE *out = fopen("/dev/null", "w");
	struct vm *vm;
	struct vm_event ev;
	struct timespec t0, t1;
	int i, n = 200000;
	double ns;

	f = func_begin(a, "mark", 0, 2, 0);
	emit(a, OP_ACT, 0, 0, 3);
	push_s(a, "module.py");
	emit(a, OP_STORE, 0, 0, 0);
	push_s(a, "function_name");
	emit(a, OP_STORE, 0, 1, 0);
	emit(a, OP_LOAD, 0, 0, 0);
	emit(a, OP_LOAD, 0, 1, 0);
	printf_(a, "%s => %s\n", 2);
	end_handler(a);
	probe(a, BP_SDT, f, "mark");
	vm = vm_new(a->p, &host, out, err, sizeof(err));
	memset(&ev, 0, sizeof(ev));
	ev.pid = 1;
	ev.tid = 1;
	for (i = 0; i < 1000; i++)
		vm_run(vm, &ev);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++)
		vm_run(vm, &ev);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ns = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 +
	      (double)(t1.tv_nsec - t0.tv_nsec)) / n;
	printf("bench: printf handler with 2 string args: %.0f ns per run\n",
	       ns);
	vm_free(vm);
	fclose(out);
	asm_free(a);
}

int main(int argc, char **argv)
{
	argv0 = argv[0];
	test_arith();
	test_div0();
	test_strings();
	test_maxaction();
	test_arrays();
	test_foreach();
	test_stats();
	test_hist_foreach();
	test_try();
	test_error_context();
	test_calls();
	test_regex();
	test_builtins_strings();
	test_builtin_errors();
	test_tokenize();
	test_indent();
	test_autoprint();
	test_globals();
	test_verifier();
	test_disasm();
	test_context();
	test_abort();
	test_process();
	if (argc > 1 && strcmp(argv[1], "--bench") == 0)
		bench_printf();
	return check_done();
}

/* 'L', 'S' or 'V': the return type letter of built-in BI. */
int builtin_ret(int bi)
{
	static const char rets[] = {
#define T_BI_RET(id, name, ret, args) ret,
		BC_BUILTINS(T_BI_RET)
#undef T_BI_RET
	};

	return rets[bi];
}
