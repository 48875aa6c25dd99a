/*
 * pydlopen.c - a program that loads CPython with dlopen() long after it
 * started, then runs Python code: the test case for probes in a library
 * that the dynamic loader maps after the program's entry point (pytap
 * must notice the new library and arm it before its first Python call).
 * It needs no Python headers: the few functions are looked up by name.
 *
 * usage: pydlopen LIBPYTHON WAITFILE CODE [CODE2]
 *
 * Prints "ready PID", waits until WAITFILE exists (polling every 10 ms;
 * "-" = no wait), dlopens LIBPYTHON, runs CODE, finalizes.  With CODE2 it
 * then dlcloses the library, prints "closed", dlopens it again and runs
 * CODE2 in a fresh interpreter.  Exits 0, or 1 if a step failed.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int run(const char *lib, const char *code)
{
	void (*init)(void);
	int (*runstr)(const char *);
	int (*fin)(void);
	void *h = dlopen(lib, RTLD_NOW | RTLD_GLOBAL);
	int rc;

	if (h == NULL) {
		fprintf(stderr, "pydlopen: %s\n", dlerror());
		return 1;
	}
	*(void **)&init = dlsym(h, "Py_Initialize");
	*(void **)&runstr = dlsym(h, "PyRun_SimpleString");
	*(void **)&fin = dlsym(h, "Py_FinalizeEx");
	if (init == NULL || runstr == NULL || fin == NULL) {
		fprintf(stderr, "pydlopen: %s has no Py_Initialize\n", lib);
		return 1;
	}
	init();
	rc = runstr(code) != 0;
	if (fin() < 0)
		rc = 1;
	fflush(stdout);
	dlclose(h);
	return rc;
}

int main(int argc, char **argv)
{
	struct timespec ts = { 0, 10000000 };
	int rc;

	if (argc < 4) {
		fprintf(stderr, "usage: pydlopen LIBPYTHON WAITFILE CODE [CODE2]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready %d\n", (int)getpid());
	while (strcmp(argv[2], "-") != 0 && access(argv[2], F_OK) != 0)
		nanosleep(&ts, NULL);
	rc = run(argv[1], argv[3]);
	if (argc > 4) {
		printf("closed\n");
		rc |= run(argv[1], argv[4]);
	}
	return rc;
}
