/*
 * fuzz_compile.c - libFuzzer harness for the whole compile path:
 * script text -> parse -> tapsets -> resolve -> codegen (compile_script,
 * as the command line compiles) -> the VM's loader and bytecode verifier
 * (vm_new, vm/load.c), as `pytap -p4` runs it.
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

#include "compile.h"
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
	struct target_set ts;
	struct compile_opts co;
	struct compiled c;
	struct diag d;
	char *text;
	int failed;

	if (size > 1 << 16)
		return -1;
	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	memset(&co, 0, sizeof(co));
	memset(&ts, 0, sizeof(ts));
	co.po.argv = args;
	co.po.argc = 2;
	co.ro.ts = &ts;
	a = ast_arena_new();
	diag_init(&d, sink);
	src = ast_alloc(a, sizeof(*src));
	memset(src, 0, sizeof(*src));
	src->name = "input.pytap";
	src->text = text;
	src->len = size;
	src->file_id = 1;

	failed = compile_script(a, src, &co, &c, &d);
	if (failed == 0) {
		char err[512];
		struct vm *vm = vm_new(c.prog, NULL, sink, err, sizeof(err));

		if (vm == NULL)
			fail("verifier rejected compiled code", err);
		vm_free(vm);
		bc_program_free(c.prog);
	} else if (d.nerrors == 0 && !(failed == 2 && c.r.no_probes)) {
		static const char *const pass[] = { "", "parse", "resolve",
						    "codegen" };

		fail(pass[failed], "failed without an error message");
	}
	target_set_free(&ts);
	ast_arena_free(a);
	free(text);
	return 0;
}
