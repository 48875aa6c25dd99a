/*
 * pyvalue.h - the repr() text of values the in-process agent encoded
 * (agent/ring.h, VALUE ENCODING): $$parms, $$return and the exception
 * probes' variables.  Pure functions on bytes: no target access.
 */
#ifndef PYTAP_PYVALUE_H
#define PYTAP_PYVALUE_H

#include <stddef.h>
#include <stdint.h>

/* "a=1 b='x'": NPARAMS names (NAMES: nparams times u8 length, bytes)
 * with the COUNT values of VALS (VLEN bytes), in order.  At most CAP
 * bytes into OUT (no terminator); a cut text ends in "...".  Returns the
 * length. */
size_t pyval_parms(char *out, size_t cap, const uint8_t *names, size_t nameslen,
		   unsigned nparams, const uint8_t *vals, size_t vlen, uint32_t count);

/* The repr() of the first value of VALS (COUNT 0: "?"): the returned
 * value, or for an exception its repr (`ValueError('x')`). */
size_t pyval_repr1(char *out, size_t cap, const uint8_t *vals, size_t vlen, uint32_t count);

/* For an EXCEPTION value at VALS: its type name ("ValueError",
 * "mod.MyError": module-qualified but for builtins) into TYPE and what
 * str() of a plain exception gives (its one argument's str, or the repr
 * of its args; KeyError: the repr of its key) into MSG.  Returns 0, or -1
 * when VALS holds no exception. */
int pyval_exception(const uint8_t *vals, size_t vlen, char *type, size_t tcap,
		    char *msg, size_t mcap);

/* Python's repr() of a float (the shortest text that reads back). */
void pyval_float(double d, char *buf, size_t cap);

#endif
