/*
 * fpbuiltins.c - SystemTap's floating-point functions (its tapset
 * floatingpoint.stp): a double lives in a long as its IEEE-754 bits, and
 * these functions convert and compute on such longs.  SystemTap does the
 * arithmetic with a soft-float library in the kernel; here it is the C
 * library's double arithmetic, which is IEEE-754 with the same default
 * rounding (to nearest, ties to even).
 *
 *   string_to_fp(s)          the decimal number s as fp (error if s holds
 *                            no number)
 *   long_to_fp(n)            n as fp (rounded to nearest)
 *   fp_to_long(fp, mode, exact)  fp as a long, rounded by mode: 0 to
 *                            nearest/even, 1 toward zero, 2 down, 3 up,
 *                            4 to nearest/away, 6 to odd (soft-float's
 *                            numbering); NaN and too large give
 *                            0x7fffffffffffffff, too small the minimum.
 *                            exact only raises soft-float's inexact flag,
 *                            which scripts cannot see: no effect.
 *   fp_to_string(fp, prec)   decimal with prec digits after the point
 *                            (rounded to nearest), "nan", "inf", "-inf"
 *   fp_add/sub/mul/div(a, b) arithmetic; fp_rem(a, b) the IEEE remainder;
 *   fp_sqrt(a)
 *   fp_eq/le/lt(a, b)        1 or 0 (0 when either is a NaN)
 *   fp32_to_fp64(n)          the low 32 bits of n as a float, as fp
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm_int.h"

static double fp(int64_t v)
{
	double d;

	memcpy(&d, &v, sizeof(d));
	return d;
}

static int64_t bits(double d)
{
	int64_t v;

	memcpy(&v, &d, sizeof(v));
	return v;
}

void bi_string_to_fp(struct vm *vm, const union vm_val *args,
		     union vm_val *ret)
{
	const char *s = args[0].s->data;
	char *end;
	double d;

	errno = 0;
	d = strtod(s, &end);
	if (end == s) {
		vm_raise(vm, "string_to_fp: '%s' is not a number", s);
		ret->l = 0;
		return;
	}
	ret->l = bits(d);
}

void bi_long_to_fp(struct vm *vm, const union vm_val *args, union vm_val *ret)
{
	(void)vm;
	ret->l = bits((double)args[0].l);
}

/* fp_to_long's rounding modes 1 to 4; 6 (to odd) below; any other: the
 * default mode, nearest with ties to even. */
static double (*const round_mode[])(double) = {
	[1] = trunc, [2] = floor, [3] = ceil, [4] = round,
};

void bi_fp_to_long(struct vm *vm, const union vm_val *args, union vm_val *ret)
{
	double d = fp(args[0].l), r;
	int64_t mode = args[1].l;

	(void)vm;
	if (isnan(d)) {
		ret->l = INT64_MAX;
		return;
	}
	if (mode == 6) {
		/* to odd: an inexact result takes the odd neighbour */
		r = trunc(d);
		if (r != d && fmod(r, 2.0) == 0)
			r += d > 0 ? 1 : -1;
	} else if (mode >= 1 && mode <= 4) {
		r = round_mode[mode](d);
	} else {
		r = nearbyint(d);
	}
	if (r >= 9223372036854775808.0)
		ret->l = INT64_MAX;
	else if (r < -9223372036854775808.0)
		ret->l = INT64_MIN;
	else
		ret->l = (int64_t)r;
}

void bi_fp_to_string(struct vm *vm, const union vm_val *args,
		     union vm_val *ret)
{
	double d = fp(args[0].l);
	int64_t prec = args[1].l;
	char buf[512];
	int n;

	if (prec < 0)
		prec = 0;
	if (prec > 60)
		prec = 60;
	if (isnan(d))
		n = snprintf(buf, sizeof(buf), "nan");
	else if (isinf(d))
		n = snprintf(buf, sizeof(buf), d < 0 ? "-inf" : "inf");
	else
		n = snprintf(buf, sizeof(buf), "%.*f", (int)prec, d);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(buf))
		n = (int)sizeof(buf) - 1;
	ret->s = vm_str_new(vm, buf, (size_t)n);
}

#define FP_BINOP(name, expr)						\
	void bi_##name(struct vm *vm, const union vm_val *args,	\
		       union vm_val *ret)				\
	{								\
		double a = fp(args[0].l), b = fp(args[1].l);		\
									\
		(void)vm;						\
		ret->l = (expr);					\
	}

FP_BINOP(fp_add, bits(a + b))
FP_BINOP(fp_sub, bits(a - b))
FP_BINOP(fp_mul, bits(a * b))
FP_BINOP(fp_div, bits(a / b))
FP_BINOP(fp_rem, bits(remainder(a, b)))
FP_BINOP(fp_eq, a == b)
FP_BINOP(fp_le, a <= b)
FP_BINOP(fp_lt, a < b)

void bi_fp_sqrt(struct vm *vm, const union vm_val *args, union vm_val *ret)
{
	(void)vm;
	ret->l = bits(sqrt(fp(args[0].l)));
}

void bi_fp32_to_fp64(struct vm *vm, const union vm_val *args,
		     union vm_val *ret)
{
	uint32_t u = (uint32_t)args[0].l;
	float f;

	(void)vm;
	memcpy(&f, &u, sizeof(f));
	ret->l = bits((double)f);
}
