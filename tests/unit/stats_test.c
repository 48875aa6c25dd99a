/*
 * stats_test.c - unit tests of runtime/stats.c (SystemTap aggregates).
 *
 * Where each expectation comes from:
 *   [linear] [log_edge] [ix] ...  the golden output of that script in
 *            conformance/runtime/maps (or base/), worked out for the one
 *            value checked here;
 *   [stat-common] stap 4.8's runtime/stat-common.c, worked by hand;
 *   [p3]     the C that `stap -p3` (4.8) generates.
 * When ../shared/conformance is present, the golden files are compared
 * byte for byte with the output rebuilt from the values the scripts feed.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"
#include "check.h"
#include "golden.h"
#include "strbuf.h"

/* ------------------------------------------------------------- buckets */

static void test_buckets(void)
{
	struct stat_cfg c;

	/* [log_edge] "bucket 63/64/65/127" lines; [foreach_value] 66, 67 */
	check_int("log(0)", stat_log_bucket(0), 64);
	check_int("log(1)", stat_log_bucket(1), 65);
	check_int("log(-1)", stat_log_bucket(-1), 63);
	check_int("log(2)", stat_log_bucket(2), 66);
	check_int("log(3)", stat_log_bucket(3), 66);
	check_int("log(4)", stat_log_bucket(4), 67);
	check_int("log(5)", stat_log_bucket(5), 67);
	check_int("log(max)", stat_log_bucket(LLONG_MAX), 127);
	/* [stat-common] _stp_val_to_bucket of negatives and LONG_MIN */
	check_int("log(-2)", stat_log_bucket(-2), 62);
	check_int("log(-3)", stat_log_bucket(-3), 62);
	check_int("log(-4)", stat_log_bucket(-4), 61);
	check_int("log(min)", stat_log_bucket(LLONG_MIN), 0);
	check_int("log(min+1)", stat_log_bucket(LLONG_MIN + 1), 1);
	check_int("log(2^62)", stat_log_bucket(1LL << 62), 127);
	check_int("log(2^62-1)", stat_log_bucket((1LL << 62) - 1), 126);

	/* [stat-common] linear: bucket 0 underflow, buckets-1 overflow */
	check_int("linear cfg", stat_cfg_linear(&c, 0, 1500, 50, NULL, 0), 0);
	check_int("linear buckets", c.buckets, 33);
	check_int("lin(-1)", stat_linear_bucket(&c, -1), 0);
	check_int("lin(0)", stat_linear_bucket(&c, 0), 1);
	check_int("lin(49)", stat_linear_bucket(&c, 49), 1);
	check_int("lin(50)", stat_linear_bucket(&c, 50), 2);
	check_int("lin(1499)", stat_linear_bucket(&c, 1499), 30);
	check_int("lin(1500)", stat_linear_bucket(&c, 1500), 31);
	check_int("lin(1549)", stat_linear_bucket(&c, 1549), 31);
	check_int("lin(1550)", stat_linear_bucket(&c, 1550), 32);
	check_int("lin(max)", stat_linear_bucket(&c, LLONG_MAX), 32);
	check_int("lin(min)", stat_linear_bucket(&c, LLONG_MIN), 0);
	/* [stat-common] with start 0 and interval 1, v = 2^63 - 1 makes the
	   runtime's bucket number wrap to -2^63, which indexes bucket 0 */
	stat_cfg_linear(&c, 0, 10, 1, NULL, 0);
	check_int("lin wrap", stat_linear_bucket(&c, LLONG_MAX), 0);
	check_int("lin max-1", stat_linear_bucket(&c, LLONG_MAX - 1), 12);
	stat_cfg_linear(&c, 0, 1500, 50, NULL, 0);

	/* [stat-common] _stp_stat_calc_buckets limits */
	check_int("interval 0", stat_cfg_linear(&c, 0, 10, 0, NULL, 0), -1);
	check_int("stop < start", stat_cfg_linear(&c, 10, 0, 1, NULL, 0), -1);
	/* 125 + 3 = 128 buckets is the most */
	check_int("128 buckets", stat_cfg_linear(&c, 0, 250, 2, NULL, 0), 0);
	check_int("128 buckets n", c.buckets, 128);
	check_int("129 buckets", stat_cfg_linear(&c, 0, 252, 2, NULL, 0), -1);
	check_int("start = stop", stat_cfg_linear(&c, 5, 5, 1, NULL, 0), 0);
	check_int("start = stop buckets", c.buckets, 3);
	{
		char err[256];

		static const char m1[] =
			"histogram: Number of buckets must be between 1 and "
			"126\nNumber_of_buckets = (stop - start) / interval."
			"\nPlease adjust your start, stop, and interval "
			"values.";
		static const char m2[] = "histogram: interval cannot be zero.";

		stat_cfg_linear(&c, 0, 1000, 1, err, sizeof err);
		check_str("bucket message", err, strlen(err), m1,
			  sizeof m1 - 1);
		stat_cfg_linear(&c, 0, 10, 0, err, sizeof err);
		check_str("interval message", err, strlen(err), m2,
			  sizeof m2 - 1);
	}
}

/* ------------------------------------------------------------ operators */

static void feed(struct stat_agg *st, const long long *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		stat_add(st, v[i]);
}

static void test_ops(void)
{
	struct stat_cfg cs, ce, c7;
	struct stat_agg s, e;
	int64_t out = 0;
	static const long long ix0[] = { 100, 0, -2 };
	static const long long three[] = { 1, 2, 3 };
	static const long long a9[] = { 18, 9, 54, 1, 2, 18, 18, 18, 18, 18 };

	stat_cfg_init(&cs, true, 0);
	stat_cfg_init(&ce, false, 0);

	/* empty: @count and @sum are 0, the rest "empty aggregate" [p3] */
	stat_init(&s, &cs);
	check_int("empty count", stat_get(&s, STAT_COUNT, &out), 0);
	check_int("empty count value", out, 0);
	check_int("empty sum", stat_get(&s, STAT_SUM, &out), 0);
	check_int("empty sum value", out, 0);
	check_int("empty min", stat_get(&s, STAT_MIN, &out), -1);
	check_int("empty max", stat_get(&s, STAT_MAX, &out), -1);
	check_int("empty avg", stat_get(&s, STAT_AVG, &out), -1);
	check_int("empty variance", stat_get(&s, STAT_VARIANCE, &out), -1);

	/* [ix] foo[0]: 100, 0, -2 -> count 3 sum 98 avg 32 variance 3410
	   (an array element: the running Welford value) */
	stat_init(&e, &ce);
	feed(&e, ix0, 3);
	check_int("ix count", stat_count(&e), 3);
	check_int("ix sum", stat_sum(&e), 98);
	check_int("ix avg", stat_avg(&e), 32);
	stat_get(&e, STAT_MIN, &out);
	check_int("ix min", out, -2);
	stat_get(&e, STAT_MAX, &out);
	check_int("ix max", out, 100);
	check_int("ix variance", stat_variance(&e), 3410);
	/* [ix] after <<< 10: count 4, avg 27, variance 2411 */
	stat_add(&e, 10);
	check_int("ix avg 2", stat_avg(&e), 27);
	check_int("ix variance 2", stat_variance(&e), 2411);

	/* a scalar with the same values: _stp_stat_get's recombination
	   adds count * (running avg - exact avg)^2 = 3 * (33 - 32)^2 */
	stat_clear(&s);
	feed(&s, ix0, 3);
	check_int("scalar variance", stat_variance(&s), 3411);

	/* [foreach_limit2] agg_array[9]: variance 216 */
	stat_clear(&e);
	feed(&e, a9, 10);
	check_int("limit2 variance", stat_variance(&e), 216);
	check_int("limit2 avg", stat_avg(&e), 17);

	/* [PR31740_1] stats["k"] <<< 1, 2, 3; @variance(.., 7) = 1 */
	stat_cfg_init(&c7, false, 7);
	stat_free(&e);
	stat_init(&e, &c7);
	feed(&e, three, 3);
	check_int("PR31740 variance", stat_variance(&e), 1);
	/* without the shift the integer running average gives 2 */
	stat_free(&e);
	stat_init(&e, &ce);
	feed(&e, three, 3);
	check_int("unshifted variance", stat_variance(&e), 2);
	/* [foreach_aggrsort] @avg truncates toward zero: -1/1, 1/4 */
	stat_clear(&e);
	stat_add(&e, -1);
	check_int("avg -1", stat_avg(&e), -1);
	stat_clear(&e);
	stat_add(&e, -3);
	stat_add(&e, 2);
	check_int("avg -1/2", stat_avg(&e), 0);
	/* one value: variance 0 */
	stat_clear(&e);
	stat_add(&e, 5);
	check_int("single variance", stat_variance(&e), 0);
	stat_get(&e, STAT_VARIANCE, &out);
	check_int("single variance get", out, 0);

	/* [stat-common] the Welford difference is a C int: 2^32 + 1 and 1
	   differ by 2^32, which the runtime holds as 0 */
	stat_clear(&e);
	stat_add(&e, 1);
	stat_add(&e, (1LL << 32) + 1);
	check_int("int delta", stat_variance(&e), 0);

	/* [stat.c] a scalar's variance is shifted right by 2 * shift; for
	   shifts above 31 x86_64 takes that count modulo 64: shift 32,
	   values 0 and 1 -> S1 = 2 * (0 - 2^31)^2 = 2^63, >> 0 */
	{
		struct stat_cfg c32;
		struct stat_agg q;

		stat_cfg_init(&c32, true, 32);
		stat_init(&q, &c32);
		stat_add(&q, 0);
		stat_add(&q, 1);
		check_int("shift 32 scalar", stat_variance(&q), LLONG_MIN);
		stat_free(&q);
	}

	/* sums wrap at 64 bits */
	stat_clear(&e);
	stat_add(&e, LLONG_MAX);
	stat_add(&e, 1);
	check_int("sum wraps", stat_sum(&e), LLONG_MIN);
	stat_free(&e);
	stat_free(&s);
}

/* -------------------------------------------------------------- printing */

/* S printed as a histogram with ELISION is EXP */
static void check_hist(const char *what, const struct stat_agg *s,
		       int elision, const char *exp)
{
	struct strbuf out = STRBUF_INIT;

	stat_hist_print(&out, s, elision);
	check_sb(what, &out, exp);
	sb_free(&out);
}

/* S's bucket IDX holds COUNT (-1: out of range) */
static void check_bucket(const char *what, const struct stat_agg *s,
			 int idx, long long count)
{
	int64_t v = -1;
	int rc = stat_hist_index(s, idx, &v);

	check_int(what, rc == 0 ? v : -1, count);
	if (rc != 0)
		check_int(what, rc, -2);
}

static void test_print(void)
{
	struct stat_cfg cl, cn;
	struct stat_agg s;
	struct strbuf out = STRBUF_INIT;
	int64_t v = 0;
	int i;

	/* [log_edge] part 2: foo <<< 0 */
	stat_cfg_init(&cl, true, 0);
	stat_cfg_log(&cl);
	stat_init(&s, &cl);
	check_int("print empty", stat_hist_print(&out, &s, 2), -1);
	check_int("index empty", stat_hist_index(&s, 3, &v), -1);
	stat_add(&s, 0);
	check_hist("log 0", &s, 2,
		 "value |-------------------------------------------------- count\n"
		 "    0 |@                                                  1\n"
		 "    1 |                                                   0\n"
		 "    2 |                                                   0\n"
		 "\n");
	check_bucket("index 64", &s, 64, 1);
	check_bucket("index 128", &s, 128, -1);
	check_bucket("index -1", &s, -1, -1);
	check_int("buckets", stat_hist_buckets(&s), 128);

	/* [log_edge] part 3: foo <<< 0x7fffffffffffffff */
	stat_clear(&s);
	stat_add(&s, LLONG_MAX);
	check_hist("log max", &s, 2,
		 "              value |-------------------------------------------------- count\n"
		 "1152921504606846976 |                                                   0\n"
		 "2305843009213693952 |                                                   0\n"
		 "4611686018427387904 |@                                                  1\n"
		 "\n");

	/* [stat-common] LONG_MIN: bucket 0, label -9223372036854775808 */
	stat_clear(&s);
	stat_add(&s, LLONG_MIN);
	check_hist("log min", &s, 2,
		 "               value |-------------------------------------------------- count\n"
		 "-9223372036854775808 |@                                                  1\n"
		 "-4611686018427387904 |                                                   0\n"
		 "-2305843009213693952 |                                                   0\n"
		 "\n");

	/* [stat-common] scaling: one '@' per ceil(120 / 50) = 3 counts;
	   the count is right-aligned 1 + strlen("120") past column 50 */
	stat_clear(&s);
	for (i = 0; i < 120; i++)
		stat_add(&s, 5);
	stat_add(&s, 1);
	check_hist("log scale", &s, 2,
		 "value |-------------------------------------------------- count\n"
		 "    0 |                                                     0\n"
		 "    1 |                                                     1\n"
		 "    2 |                                                     0\n"
		 "    4 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@           120\n"
		 "    8 |                                                     0\n"
		 "   16 |                                                     0\n"
		 "\n");

	/* [stat-common] elision: 1 and 2^20, HIST_ELISION = 2, 0, -1 */
	stat_clear(&s);
	stat_add(&s, 1);
	stat_add(&s, 1 << 20);
	check_hist("elide 2", &s, 2,
		 "  value |-------------------------------------------------- count\n"
		 "      0 |                                                   0\n"
		 "      1 |@                                                  1\n"
		 "      2 |                                                   0\n"
		 "      4 |                                                   0\n"
		 "        ~\n"
		 " 262144 |                                                   0\n"
		 " 524288 |                                                   0\n"
		 "1048576 |@                                                  1\n"
		 "2097152 |                                                   0\n"
		 "4194304 |                                                   0\n"
		 "\n");
	check_hist("elide 0", &s, 0,
		 "  value |-------------------------------------------------- count\n"
		 "        ~\n"
		 "      1 |@                                                  1\n"
		 "        ~\n"
		 "1048576 |@                                                  1\n"
		 "\n");
	sb_reset(&out);
	stat_hist_print(&out, &s, -1);
	check_int("no elision rows", (long long)(out.len / 61), 25);

	/* [linear_nearlyempty] 444, 999 in @hist_linear(0, 1500, 50) */
	stat_cfg_init(&cn, true, 7);
	stat_cfg_linear(&cn, 0, 1500, 50, NULL, 0);
	stat_free(&s);
	stat_init(&s, &cn);
	stat_add(&s, 444);
	stat_add(&s, 999);
	check_int("nearlyempty variance", stat_variance(&s), 154012);
	check_hist("nearlyempty", &s, 2,
		 "value |-------------------------------------------------- count\n"
		 "  300 |                                                   0\n"
		 "  350 |                                                   0\n"
		 "  400 |@                                                  1\n"
		 "  450 |                                                   0\n"
		 "  500 |                                                   0\n"
		 "      ~\n"
		 "  850 |                                                   0\n"
		 "  900 |                                                   0\n"
		 "  950 |@                                                  1\n"
		 " 1000 |                                                   0\n"
		 " 1050 |                                                   0\n"
		 "\n");
	check_bucket("linear index 9", &s, 9, 1);
	check_bucket("linear index 33", &s, 33, -1);
	check_int("linear raw 33", stat_hist_bucket(&s, 33), 0);

	/* summaries [p3]: "x @count=%#d @min=%#d ..." or "x @count=0x0" */
	sb_reset(&out);
	stat_print_summary(&out, "x", &s);
	check_sb("summary", &out,
		 "x @count=2 @min=444 @max=999 @sum=1443 @avg=721\n");
	stat_clear(&s);
	sb_reset(&out);
	stat_print_summary(&out, "x", &s);
	check_sb("summary empty", &out, "x @count=0x0\n");
	stat_free(&s);
	sb_free(&out);
}

/* ---------------------------------------------- golden files, if present */

/* The printf lines of the linear*.stp scripts. */
static void print_ops(struct strbuf *out, const struct stat_agg *s,
		      int variance)
{
	int64_t v;

	sb_printf(out, "count=%lld\n", (long long)stat_count(s));
	sb_printf(out, "sum=%lld\n", (long long)stat_sum(s));
	stat_get(s, STAT_MIN, &v);
	sb_printf(out, "min=%lld\n", (long long)v);
	stat_get(s, STAT_MAX, &v);
	sb_printf(out, "max=%lld\n", (long long)v);
	sb_printf(out, "avg=%lld\n", (long long)stat_avg(s));
	if (variance)
		sb_printf(out, "variance=%lld\n", (long long)stat_variance(s));
}

/* linear.stp and linear_overunder.stp feed key * m for these m. */
static void feed_linear(struct stat_agg *s)
{
	static const int mul[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 12,
				   13, 14, 15 };
	int key;
	size_t i;

	for (key = 0; key < 100; key++)
		for (i = 0; i < sizeof mul / sizeof mul[0]; i++)
			stat_add(s, (int64_t)key * mul[i]);
}

/* log_edge.stp: print, then the non-empty buckets, then "\n\n\n". */
static void log_edge_part(struct strbuf *out, const struct stat_agg *s,
			  int last)
{
	int b;

	stat_hist_print(out, s, STAT_HIST_ELISION);
	for (b = 0; b < stat_hist_buckets(s); b++)
		if (stat_hist_bucket(s, b))
			sb_printf(out, "bucket %d: %lld\n", b,
				  (long long)stat_hist_bucket(s, b));
	if (!last)
		sb_puts(out, "\n\n\n");
}

/* The linear-histogram golden files: a scalar global with
 * @hist_linear(LO, HI, STEP) and @variance(.., SHIFT), fed as FEED says
 * and then the N values at V; printed with print_ops(.., OPS) and the
 * histogram, or (OPS < 0) only its count. */
enum { FEED_NONE, FEED_LINEAR, FEED_KEYS };
static const long long large[] = {
	10000000, 10000000, 10000000, 100000000, 100000000,
	500000000, 500000000, 500000000, 500000000, 500000000,
	1000000000, 1000000000, 1000000000, 1000000000, 10000000000LL,
};
static const long long large_neg[] = {
	0, -100000000, -100000000, -500000000, -500000000,
	-500000000, -500000000, -500000000, -1000000000,
	-1000000000, -1000000000, -1000000000, -10000000000LL,
};
static const long long nearly_empty[] = { 444, 999 };
#define VALUES(a) a, sizeof a / sizeof a[0]
static const struct linear_case {
	const char *file;
	long long lo, hi, step;
	int shift, feed;
	const long long *v;
	size_t n;
	int ops;
} linear_cases[] = {
	{ "linear", 0, 1500, 50, 0, FEED_LINEAR, NULL, 0, 1 },
	{ "linear_overunder", 250, 1000, 50, 0, FEED_LINEAR, NULL, 0, 1 },
	{ "linear_under", 1800, 2500, 100, 0, FEED_KEYS, NULL, 0, 1 },
	{ "linear_empty", 0, 1500, 50, 0, FEED_NONE, NULL, 0, -1 },
	{ "linear_nearlyempty", 0, 1500, 50, 7, FEED_NONE,
	  VALUES(nearly_empty), 1 },
	{ "linear_large", 0, 1000000000, 100000000, 0, FEED_NONE,
	  VALUES(large), 0 },
	{ "linear_large_neg", -1000000000, 0, 100000000, 0, FEED_NONE,
	  VALUES(large_neg), 0 },
};
#undef VALUES

static void test_golden(void)
{
	const char *dir = golden_dir_or_skip();
	struct strbuf out = STRBUF_INIT;
	struct stat_cfg c;
	struct stat_agg s;
	size_t i;
	int key;

	if (dir == NULL)
		return;

	/* a scalar global `agg`: @variance goes through _stp_stat_get */
	stat_cfg_init(&c, true, 0);
	for (i = 0; i < sizeof linear_cases / sizeof linear_cases[0]; i++) {
		const struct linear_case *lc = &linear_cases[i];
		char file[64];

		sb_reset(&out);
		stat_cfg_linear(&c, lc->lo, lc->hi, lc->step, NULL, 0);
		c.shift = lc->shift;	/* @variance(agg, shift) */
		stat_init(&s, &c);
		if (lc->feed == FEED_LINEAR)
			feed_linear(&s);
		for (key = 0; lc->feed == FEED_KEYS && key < 100; key++)
			stat_add(&s, key);
		feed(&s, lc->v, lc->n);
		if (lc->ops < 0) {
			sb_printf(&out, "count=%lld\n",
				  (long long)stat_count(&s));
		} else {
			print_ops(&out, &s, lc->ops);
			stat_hist_print(&out, &s, STAT_HIST_ELISION);
		}
		snprintf(file, sizeof file, "runtime/maps/%s.expected",
			 lc->file);
		golden_check(dir, file, &out);
		stat_free(&s);
	}
	c.shift = 0;

	sb_reset(&out);
	stat_cfg_init(&c, true, 0);
	stat_cfg_log(&c);
	stat_init(&s, &c);
	stat_add(&s, -1);
	stat_add(&s, 1);
	log_edge_part(&out, &s, 0);
	stat_clear(&s);
	stat_add(&s, 0);
	log_edge_part(&out, &s, 0);
	stat_clear(&s);
	stat_add(&s, LLONG_MAX);
	log_edge_part(&out, &s, 0);
	stat_clear(&s);
	stat_add(&s, 1);
	stat_add(&s, 2);
	stat_add(&s, 3);
	stat_add(&s, 4);
	log_edge_part(&out, &s, 1);
	golden_check(dir, "runtime/maps/log_edge.expected", &out);
	stat_free(&s);

	/* PR31740_1/2: an array element with @variance(.., 7) */
	sb_reset(&out);
	stat_cfg_init(&c, false, 7);
	stat_cfg_log(&c);
	stat_init(&s, &c);
	stat_add(&s, 1);
	stat_add(&s, 2);
	stat_add(&s, 3);
	sb_printf(&out, "variance = %lld\n", (long long)stat_variance(&s));
	golden_check(dir, "runtime/maps/PR31740_1.expected", &out);
	golden_check(dir, "runtime/maps/PR31740_2.expected", &out);
	stat_free(&s);
	sb_free(&out);
}

int main(void)
{
	test_buckets();
	test_ops();
	test_print();
	test_golden();
	return check_done();
}
