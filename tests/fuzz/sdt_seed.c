/*
 * sdt_seed.c - a small ELF with SDT notes of every operand form, a
 * semaphore, and the symbols pytap looks up (Py_Version,
 * _PyEval_EvalFrameDefault), built by tests/fuzz/seeds.sh as seeds of the
 * fuzz_sdt corpus (executable, PIE, stripped and shared library).
 */
#define _SDT_HAS_SEMAPHORES 1
#include <sys/sdt.h>

/* CPython 3.11.4 as Py_Version encodes it */
const unsigned long Py_Version = 0x030b04f0;
#define SEMA(n) unsigned short python_##n##_semaphore \
	__attribute__((unused, section(".probes")))
SEMA(function__entry);
SEMA(function__return);
SEMA(line);
SEMA(gc__start);
static long counter;
const char *names[] = { "a", "b" };

int _PyEval_EvalFrameDefault(int n);
int _PyEval_EvalFrameDefault(int n)
{
	long local = n * 3;
	const char *s = names[n & 1];

	STAP_PROBE3(python, function__entry, s, s, n);
	STAP_PROBE2(python, function__return, local, counter);
	STAP_PROBE1(python, line, names[1]);
	STAP_PROBE(python, gc__start);
	counter += local;
	return (int)counter;
}

int main(int argc, char **argv)
{
	(void)argv;
	return _PyEval_EvalFrameDefault(argc) == 7;
}
