/*
 * stats.h - SystemTap statistics (aggregates: `x <<< v`): count, sum,
 * min, max, avg, variance, and the @hist_log / @hist_linear histograms,
 * with SystemTap's integer arithmetic and its exact ASCII histogram.
 *
 * A statistics global has one configuration (struct stat_cfg: its
 * histogram and its @variance bit shift, both fixed at compile time), and
 * one struct stat_agg per value: one for a scalar, one per element of an
 * array.  The aggregate keeps a pointer to its configuration, which must
 * outlive it.
 *
 * (The type is not called `struct stat`: that name belongs to
 * <sys/stat.h>.)
 */
#ifndef PYTAP_STATS_H
#define PYTAP_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct strbuf;

/* SystemTap's constants. */
#define STAT_LOG_BUCKETS	128	/* @hist_log: 64 negative, 0, 63 */
#define STAT_LOG_BUCKET0	64	/* the bucket of value 0 */
#define STAT_MAX_BUCKETS	128	/* @hist_linear, with under/over */
#define STAT_HIST_WIDTH		50	/* columns of '@' */
#define STAT_HIST_ELISION	2	/* default -DHIST_ELISION */
#define STAT_MAX_SHIFT		62	/* @variance(x, N): N <= 62 */

enum stat_hist {
	STAT_HIST_NONE = 0,
	STAT_HIST_LOG,
	STAT_HIST_LINEAR,
};

/* The operators, numbered as bytecode.h's STATOP operand. */
enum stat_op {
	STAT_COUNT = 0,
	STAT_SUM,
	STAT_MIN,
	STAT_MAX,
	STAT_AVG,
	STAT_VARIANCE,
};

struct stat_cfg {
	enum stat_hist hist;
	int start, stop, interval;	/* STAT_HIST_LINEAR (C ints, as in
					   SystemTap) */
	int buckets;		/* 0, STAT_LOG_BUCKETS, or (stop-start)/
				   interval + 3 (underflow + overflow) */
	int shift;		/* @variance bit shift, 0..62 */
	bool scalar;		/* a scalar global, not an array element:
				   SystemTap reads the two differently
				   (see stat_variance) */
};

/*
 * Fill CFG.  Linear histograms are checked as SystemTap's runtime does;
 * on a bad one, -1 and ERR gets its warning ("histogram: interval cannot
 * be zero.", "histogram: Number of buckets must be between 1 and 126 ...").
 * ERR may be NULL.
 */
void stat_cfg_init(struct stat_cfg *cfg, bool scalar, int shift);
void stat_cfg_log(struct stat_cfg *cfg);
int stat_cfg_linear(struct stat_cfg *cfg, int start, int stop, int interval,
		    char *err, size_t errlen);

struct stat_agg {
	const struct stat_cfg *cfg;
	int64_t count, sum, min, max;
	int64_t avg_s;		/* running average << shift (Welford) */
	int64_t m2;		/* running sum of squares << 2*shift */
	int64_t variance_s;	/* m2 / (count - 1) */
	int64_t *hist;		/* cfg->buckets counters, or NULL */
};

/* Set up an empty aggregate for CFG.  0, or -1 if out of memory. */
int stat_init(struct stat_agg *st, const struct stat_cfg *cfg);
void stat_free(struct stat_agg *st);
/* Empty it again (`delete x`). */
void stat_clear(struct stat_agg *st);
/* Copy SRC (same configuration) into DST, histogram included. */
void stat_copy(struct stat_agg *dst, const struct stat_agg *src);

/* x <<< v */
void stat_add(struct stat_agg *st, int64_t v);

/*
 * @count .. @variance.  0 with the value in *OUT, or -1 for "empty
 * aggregate" (@min, @max, @avg and @variance of an empty aggregate;
 * @count and @sum give 0).
 */
int stat_get(const struct stat_agg *st, enum stat_op op, int64_t *out);

static inline int64_t stat_count(const struct stat_agg *st)
{
	return st->count;
}

static inline int64_t stat_sum(const struct stat_agg *st)
{
	return st->count ? st->sum : 0;
}

/* @avg as SystemTap computes it (sum / count, C division); 0 if empty. */
int64_t stat_avg(const struct stat_agg *st);

/*
 * @variance: Welford's algorithm on values scaled by cfg->shift, in
 * SystemTap's integer arithmetic; for scalars, corrected the way
 * _stp_stat_get() combines per-CPU data; for array elements copied as
 * _stp_pmap_agg() does.  0 if fewer than two values.
 */
int64_t stat_variance(const struct stat_agg *st);

/* Number of histogram buckets (0 without a histogram). */
static inline int stat_hist_buckets(const struct stat_agg *st)
{
	return st->hist ? st->cfg->buckets : 0;
}

/* Bucket I's count, without checks (0 outside the histogram): for
 * `foreach (b in @hist_log(x))`, which visits every bucket. */
int64_t stat_hist_bucket(const struct stat_agg *st, int64_t i);

/*
 * @hist_log(x)[i]: 0 with the count in *OUT; -1 if the aggregate is empty
 * ("empty aggregate"), -2 if I is outside 0..buckets-1 ("histogram index
 * out of range").
 */
int stat_hist_index(const struct stat_agg *st, int64_t i, int64_t *out);

/* The bucket a value falls in. */
int stat_log_bucket(int64_t v);
int stat_linear_bucket(const struct stat_cfg *cfg, int64_t v);

/*
 * print(@hist_log(x)) / print(@hist_linear(...)): the ASCII histogram,
 * byte for byte as SystemTap prints it, blank line included.  ELISION is
 * -DHIST_ELISION (2 by default; negative: never elide empty rows).
 * Returns 0, or -1 if the aggregate is empty ("empty aggregate") or has
 * no histogram.
 */
int stat_hist_print(struct strbuf *out, const struct stat_agg *st,
		    int elision);

/*
 * The line SystemTap prints at exit for a statistics global that is never
 * read: NAME followed by " @count=3 @min=1 @max=3 @sum=6 @avg=2\n", or
 * "NAME @count=0x0\n" for an empty scalar.  For array elements, pass the
 * already formatted "name[key,...]" as NAME.
 */
void stat_print_summary(struct strbuf *out, const char *name,
			const struct stat_agg *st);

#endif
