/*
 * linetable.c - the 3.11+ location table (co_linetable, described in
 * CPython's Objects/locations.md): which line an instruction of a code
 * object is on (py_linetable_line, cpython.h).  Used by the frame walk
 * (frames.c) on tables read from the target, and by any reader that is
 * handed a code object's table (the in-process agent's code records).
 */
#include <stdbool.h>
#include <stddef.h>

#include "cpython.h"

static size_t scan_varint(const unsigned char *p, size_t len, size_t i,
			  unsigned *val)
{
	unsigned v = 0, shift = 0;

	while (i < len) {
		unsigned b = p[i++];

		if (shift < 30)
			v |= (b & 63u) << shift;
		shift += 6;
		if (!(b & 64))
			break;
	}
	*val = v;
	return i;
}

static int svarint(unsigned v)
{
	return (v & 1) ? -(int)(v >> 1) : (int)(v >> 1);
}

int py_linetable_line(const unsigned char *tab, size_t len, int firstlineno,
		      int addrq)
{
	size_t i = 0;
	int line = firstlineno, end = 0;

	if (addrq < 0)
		return firstlineno;
	while (i < len) {
		unsigned first = tab[i], code = (first >> 3) & 15, v;
		int delta = 0, start = end;
		bool noline = false;

		if (!(first & 128))
			return -1;	/* not at an entry: corrupt */
		end += (int)((first & 7) + 1) * 2;
		switch (code) {
		case 15:	/* no location */
			noline = true;
			break;
		case 14:	/* long form */
		case 13:	/* no column */
			scan_varint(tab, len, i + 1, &v);
			delta = svarint(v);
			break;
		case 10: case 11: case 12:	/* one-line forms */
			delta = (int)code - 10;
			break;
		default:	/* short forms: same line */
			break;
		}
		line += delta;
		if (addrq >= start && addrq < end)
			return noline ? -1 : line;
		/* to the next entry */
		do
			i++;
		while (i < len && !(tab[i] & 128));
	}
	return -1;
}
