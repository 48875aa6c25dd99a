/*
 * codegen.h - pass 3: resolved, typed handlers and functions to a
 * bc_program (runtime/bytecode.h).
 */
#ifndef PYTAP_CODEGEN_H
#define PYTAP_CODEGEN_H

#include "bytecode.h"
#include "diag.h"
#include "resolve.h"

/* Limits as -D NAME=VAL set them; zero fields take SystemTap's defaults. */
struct codegen_limits {
	int64_t maxaction, maxaction_interruptible, maxmapentries,
		maxstringlen, maxnesting, maxerrors, maxskipped, hist_elision;
};

/* MAXSTRINGLEN when the script calls pystack() or pystacks() and -D does
 * not set it (else 512, SystemTap's). */
#define CODEGEN_PYSTACK_MAXSTRINGLEN 16384

/* Fill P (zeroed by the caller).  Returns the number of errors (printf
 * format and argument checks are done here). */
int codegen(const struct resolved *r, const struct codegen_limits *lim,
	    struct bc_program *p, struct diag *d);

#endif
