/*
 * fuzz_compile.c - libFuzzer harness for the whole compile path:
 * script text -> parse -> tapsets -> resolve -> codegen -> the VM's loader
 * and bytecode verifier (vm_new, vm/load.c), as `pytap -p4` runs it.
 *
 * Properties checked, beyond "no crash, hang, leak or sanitizer report":
 *  - a program the code generator emits without errors is accepted by the
 *    verifier: vm_new() failing on compiled code is a compiler bug, and the
 *    harness aborts (libFuzzer saves the input as a crash);
 *  - errors are counted: a pass that fails without reporting an error
 *    (nerrors == 0) aborts too, since pytap would exit 1 silently.
 *
 * No process is ever touched: there is no -c/-x target, so probes that
 * need one are compile errors.  Diagnostics go to /dev/null; with
 * PYTAP_FUZZ_VERBOSE=1 in the environment they go to stderr (handy when
 * replaying one input).  The built-in tapsets are used ($PYTAP_TAPSETS is
 * unset at start-up), so a run does not depend on the file system.
 *
 * Built by tests/fuzz/build.sh (make fuzz / make check); see
 * doc/testing.md.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ast.h"
#include "bytecode.h"
#include "codegen.h"
#include "diag.h"
#include "parse.h"
#include "resolve.h"
#include "tapset.h"
#include "target.h"
#include "vm.h"

static FILE *sink;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	unsetenv("PYTAP_TAPSETS");
	/* process("/dev/stdin") must not wait for a terminal */
	if (freopen("/dev/null", "r", stdin) == NULL)
		abort();
	if (getenv("PYTAP_FUZZ_VERBOSE"))
		sink = stderr;
	else
		sink = fopen("/dev/null", "w");
	if (sink == NULL)
		abort();
	return 0;
}

static void fail(const char *pass, const char *why)
{
	fprintf(stderr, "fuzz_compile: %s: %s\n", pass, why);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char arg1[] = "42", arg2[] = "foo";
	static char *args[] = { arg1, arg2, NULL };
	struct ast_arena *a;
	struct source *src;
	struct parse_opts po;
	struct script user, lib;
	struct target_set ts;
	struct resolve_opts ro;
	struct resolved r;
	struct codegen_limits lim;
	struct bc_program *prog;
	struct diag d;
	char *text;

	if (size > 1 << 16)
		return -1;
	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	memset(&po, 0, sizeof(po));
	po.argv = args;
	po.argc = 2;
	a = ast_arena_new();
	diag_init(&d, sink);
	memset(&user, 0, sizeof(user));
	memset(&lib, 0, sizeof(lib));
	memset(&ts, 0, sizeof(ts));
	memset(&r, 0, sizeof(r));
	memset(&lim, 0, sizeof(lim));
	src = ast_alloc(a, sizeof(*src));
	memset(src, 0, sizeof(*src));
	src->name = "input.pytap";
	src->text = text;
	src->len = size;
	src->file_id = 1;

	if (parse_source(a, src, &po, &user, &d) || d.nerrors) {
		if (d.nerrors == 0)
			fail("parse", "failed without an error message");
		goto out;
	}
	if (tapset_load(a, NULL, 0, &po, &lib, &d, 0))
		fail("tapsets", "the built-in tapsets do not parse");
	memset(&ro, 0, sizeof(ro));
	ro.ts = &ts;
	if (resolve_script(a, &user, &lib, &ro, &r, &d)) {
		if (d.nerrors == 0 && r.no_probes == NULL)
			fail("resolve", "failed without an error message");
		goto out;
	}
	prog = calloc(1, sizeof(*prog));
	if (prog == NULL)
		goto out;
	if (codegen(&r, &lim, prog, &d) == 0) {
		char err[512];
		struct vm *vm = vm_new(prog, NULL, sink, err, sizeof(err));

		if (vm == NULL)
			fail("verifier rejected compiled code", err);
		vm_free(vm);
	} else if (d.nerrors == 0) {
		fail("codegen", "failed without an error message");
	}
	bc_program_free(prog);
out:
	target_set_free(&ts);
	ast_arena_free(a);
	free(text);
	return 0;
}
