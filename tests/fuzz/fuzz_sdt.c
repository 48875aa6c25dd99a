/*
 * fuzz_sdt.c - libFuzzer harness for the SDT/ELF reader (elf/sdt.c) and
 * what the compiler does with a file it reads (compiler/target.c's
 * target_get: SDT notes, the CPython version from Py_Version, the agent's
 * marks).
 *
 * The input is a whole file: mutated ELF headers, section and program
 * headers, .note.stapsdt notes and their argument strings, symbol tables.
 * It is written to a temporary file (sdt_file_read() and target_get() take
 * a path), read as pytap reads a target binary, and every probe found is
 * then used the way the tracer uses it: load bias of each PT_LOAD,
 * argument fetch from fixed registers through a memory reader that
 * checks the size it is asked for.  Properties beyond "no crash, leak or
 * sanitizer report": every note kept has a provider, a name and an
 * argument string; nargs is -1 or 0..SDT_MAX_ARGS, and every argument
 * parsed has a valid size and registers.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/user.h>
#include <unistd.h>

#include "sdt.h"
#include "target.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[256];
static int fd = -1;

static void cleanup(void)
{
	if (path[0])
		unlink(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");

	(void)argc;
	(void)argv;
	snprintf(path, sizeof(path), "%s/pytap-fuzz-sdt.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	fd = mkstemp(path);
	if (fd < 0) {
		perror("fuzz_sdt: mkstemp");
		abort();
	}
	atexit(cleanup);
	return 0;
}

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_sdt: %s\n", what);
		abort();
	}
}

static int reader(void *ctx, uint64_t addr, void *buf, size_t len)
{
	(void)ctx;
	check(len == 1 || len == 2 || len == 4 || len == 8,
	      "sdt_arg_fetch asked for a bad size");
	if (addr & 1)
		return -1;	/* some reads fail, as in a real process */
	memset(buf, (int)(addr & 0xff), len);
	return 0;
}

static void check_probes(const struct sdt_file *f)
{
	struct user_regs_struct regs;

	memset(&regs, 0x5a, sizeof(regs));
	for (size_t i = 0; i < f->nprobes; i++) {
		const struct sdt_probe *p = &f->probes[i];

		check(p->provider && p->name && p->argstr, "note without strings");
		check(p->nargs >= -1 && p->nargs <= SDT_MAX_ARGS, "bad nargs");
		for (int k = 0; k < p->nargs; k++) {
			const struct sdt_arg *a = &p->args[k];
			int64_t v;

			check(a->size == 1 || a->size == 2 || a->size == 4 ||
			      a->size == 8, "bad argument size");
			check(a->reg >= -1 && a->reg < SDT_NREGS, "bad register");
			check(a->index >= -1 && a->index < SDT_NREGS,
			      "bad index register");
			(void)sdt_arg_fetch(a, &regs, reader, NULL, &v);
			(void)sdt_reg_name(a->reg);
		}
	}
	check(f->nloads <= SDT_MAX_LOADS, "too many loads");
	for (size_t i = 0; i < f->nloads; i++) {
		uint64_t bias;

		(void)sdt_file_bias(f, 0x7f0000000000ull, f->loads[i].offset,
				    &bias);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sdt_file f;
	struct target_set ts;
	char err[512];
	static const char *const names[] = { "_dl_debug_state", "_r_debug",
					     "Py_Version" };
	uint64_t values[3] = { 0, 0, 0 };
	struct target_obj *o;

	if (size > 1 << 20)
		return -1;
	if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();

	if (sdt_file_read(path, &f, err, sizeof(err)) == 0) {
		check_probes(&f);
		sdt_file_free(&f);
	}
	(void)sdt_file_symbols(path, names, values, 3);

	memset(&ts, 0, sizeof(ts));
	o = target_get(&ts, path, err, sizeof(err));
	if (o) {
		check_probes(&o->sdt);
		(void)target_is_python(o);
	}
	target_set_free(&ts);
	return 0;
}
