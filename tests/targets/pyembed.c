/*
 * pyembed.c - a small C program that embeds CPython through the shared
 * library libpython3.11.so (linked at build time, so the dynamic loader
 * maps it before main): the test case for SDT probes that live in a
 * shared library rather than in the executable.
 *
 * usage: pyembed FILE.py [ARGS...]   run a Python file (sys.argv = FILE ARGS)
 *        pyembed -c CODE [ARGS...]   run CODE (sys.argv = -c ARGS)
 *
 * Exits with the script's status: 0, sys.exit()'s, or 1 after an
 * uncaught exception.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	PyConfig config;
	PyStatus st;
	int rc;

	if (argc < 2 || (strcmp(argv[1], "-c") == 0 && argc < 3)) {
		fprintf(stderr, "usage: pyembed FILE.py|-c CODE [ARGS...]\n");
		return 2;
	}
	PyConfig_InitPythonConfig(&config);
	/* sys.argv as python3 would set it; no site-specific surprises */
	config.parse_argv = 0;
	config.site_import = 1;
	if (strcmp(argv[1], "-c") == 0) {
		char *code = argv[2];

		argv[2] = argv[1];	/* sys.argv: "-c", then ARGS */
		st = PyConfig_SetBytesArgv(&config, argc - 2, argv + 2);
		if (!PyStatus_Exception(st))
			st = PyConfig_SetBytesString(&config, &config.run_command,
						     code);
	} else {
		st = PyConfig_SetBytesArgv(&config, argc - 1, argv + 1);
		if (!PyStatus_Exception(st))
			st = PyConfig_SetBytesString(&config, &config.run_filename,
						     argv[1]);
	}
	if (!PyStatus_Exception(st))
		st = Py_InitializeFromConfig(&config);
	PyConfig_Clear(&config);
	if (PyStatus_Exception(st))
		Py_ExitStatusException(st);
	rc = Py_RunMain();	/* runs run_command/run_filename, finalizes */
	return rc;
}
