/*
 * stats.c - SystemTap statistics: accumulation, the @-operators and the
 * histogram printer (see stats.h).
 *
 * Everything reproduces stap 4.8's runtime (stat-common.c, stat.c, the
 * _new_map_copy_stat of map.c), including its integer quirks, because the
 * numbers end up in the output:
 *   - @avg is sum / count in C division (truncating toward zero);
 *   - @variance is Welford's algorithm on values shifted left by the
 *     global's bit shift, where the running difference is held in a C
 *     `int` (so it is cut to 32 bits), all sums wrap at 64 bits, and
 *     division by zero gives 0;
 *   - histogram buckets, margins, elision, scaling and column widths are
 *     those of _stp_stat_print_histogram_buf.
 * 64-bit wrap-around is done with unsigned arithmetic so that it is
 * defined C.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"
#include "strbuf.h"

/* ------------------------------------------------------------ arithmetic */

static int64_t wadd(int64_t a, int64_t b)
{
	return (int64_t)((uint64_t)a + (uint64_t)b);
}

static int64_t wsub(int64_t a, int64_t b)
{
	return (int64_t)((uint64_t)a - (uint64_t)b);
}

static int64_t wmul(int64_t a, int64_t b)
{
	return (int64_t)((uint64_t)a * (uint64_t)b);
}

static int64_t wshl(int64_t a, int n)
{
	return (int64_t)((uint64_t)a << n);
}

/*
 * SystemTap shifts the variance right by 2 * shift, which exceeds 63 for
 * shifts above 31: undefined in C, and on x86_64 the instruction uses the
 * count modulo 64.  Reproduce that.
 */
static int64_t vshr(int64_t a, int n)
{
	return a >> (n & 63);
}

/* _stp_div64: x / y, but 0 for y == 0 and a wrapping -x for y == -1. */
static int64_t div64(int64_t x, int64_t y)
{
	if (y == 0)
		return 0;
	if (y == -1)
		return wsub(0, x);
	return x / y;
}

/* ---------------------------------------------------------- configuration */

void stat_cfg_init(struct stat_cfg *cfg, bool scalar, int shift)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->hist = STAT_HIST_NONE;
	cfg->scalar = scalar;
	if (shift < 0)
		shift = 0;
	if (shift > STAT_MAX_SHIFT)
		shift = STAT_MAX_SHIFT;
	cfg->shift = shift;
}

void stat_cfg_log(struct stat_cfg *cfg)
{
	cfg->hist = STAT_HIST_LOG;
	cfg->buckets = STAT_LOG_BUCKETS;
}

int stat_cfg_linear(struct stat_cfg *cfg, int start, int stop, int interval,
		    char *err, size_t errlen)
{
	int32_t span;
	int64_t buckets;

	if (interval == 0) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen,
				 "histogram: interval cannot be zero.");
		return -1;
	}
	/* (stop - start) / interval + 3, in C ints */
	span = (int32_t)((uint32_t)stop - (uint32_t)start);
	if (span == INT32_MIN && interval == -1)
		buckets = (int64_t)INT32_MAX + 4;	/* would trap */
	else
		buckets = (int64_t)(span / interval) + 3;
	if (buckets > STAT_MAX_BUCKETS || buckets < 3) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "histogram: Number of "
				 "buckets must be between 1 and %d\n"
				 "Number_of_buckets = (stop - start) / "
				 "interval.\nPlease adjust your start, stop, "
				 "and interval values.", STAT_MAX_BUCKETS - 2);
		return -1;
	}
	cfg->hist = STAT_HIST_LINEAR;
	cfg->start = start;
	cfg->stop = stop;
	cfg->interval = interval;
	cfg->buckets = (int)buckets;
	return 0;
}

/* ------------------------------------------------------------- aggregates */

int stat_init(struct stat_agg *st, const struct stat_cfg *cfg)
{
	memset(st, 0, sizeof *st);
	st->cfg = cfg;
	if (cfg->hist != STAT_HIST_NONE && cfg->buckets > 0) {
		st->hist = calloc((size_t)cfg->buckets, sizeof *st->hist);
		if (st->hist == NULL)
			return -1;
	}
	return 0;
}

void stat_free(struct stat_agg *st)
{
	free(st->hist);
	st->hist = NULL;
}

void stat_clear(struct stat_agg *st)
{
	int64_t *hist = st->hist;
	const struct stat_cfg *cfg = st->cfg;

	memset(st, 0, sizeof *st);
	st->cfg = cfg;
	st->hist = hist;
	if (hist != NULL)
		memset(hist, 0, (size_t)cfg->buckets * sizeof *hist);
}

void stat_copy(struct stat_agg *dst, const struct stat_agg *src)
{
	int64_t *hist = dst->hist;

	*dst = *src;
	dst->hist = hist;
	if (hist != NULL && src->hist != NULL)
		memcpy(hist, src->hist,
		       (size_t)src->cfg->buckets * sizeof *hist);
}

int stat_log_bucket(int64_t v)
{
	uint64_t mag;
	int bits = 0;

	if (v == 0)
		return STAT_LOG_BUCKET0;
	mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	while (mag != 0) {
		bits++;
		mag >>= 1;
	}
	/* 1 -> 65, 2..3 -> 66, ...; -1 -> 63, -2..-3 -> 62, ..., min -> 0 */
	return v < 0 ? STAT_LOG_BUCKET0 - bits : STAT_LOG_BUCKET0 + bits;
}

int stat_linear_bucket(const struct stat_cfg *cfg, int64_t v)
{
	uint64_t q;

	v = wsub(v, cfg->start);
	if (v < 0)
		return 0;	/* underflow */
	/* do_div: an unsigned 64-bit by 32-bit division */
	q = (uint64_t)v / (uint32_t)cfg->interval;
	/*
	 * For v - start = 2^63 - 1 and an interval of 1, the runtime's
	 * bucket number (q + 1) wraps to -2^63, and histogram[-2^63]
	 * addresses histogram[0] on a 64-bit machine: the underflow row.
	 */
	if (q == (uint64_t)INT64_MAX)
		return 0;
	if (q + 1 >= (uint64_t)cfg->buckets - 1)
		return cfg->buckets - 1;	/* overflow */
	return (int)(q + 1);
}

void stat_add(struct stat_agg *st, int64_t v)
{
	const struct stat_cfg *cfg = st->cfg;
	int shift = cfg->shift;
	int64_t vs = wshl(v, shift);
	int32_t delta;
	int b;

	if (st->count == 0) {
		st->count = 1;
		st->sum = st->min = st->max = v;
		st->avg_s = vs;
		st->m2 = 0;
	} else {
		st->count++;
		st->sum = wadd(st->sum, v);
		if (v > st->max)
			st->max = v;
		if (v < st->min)
			st->min = v;
		/* Welford; SystemTap keeps the difference in an int */
		delta = (int32_t)(uint32_t)(uint64_t)wsub(vs, st->avg_s);
		st->avg_s = wadd(st->avg_s, div64(delta, st->count));
		st->m2 = wadd(st->m2, wmul(delta, wsub(vs, st->avg_s)));
		st->variance_s = div64(st->m2, st->count - 1);
	}

	if (st->hist == NULL)
		return;
	if (cfg->hist == STAT_HIST_LOG)
		b = stat_log_bucket(v);
	else
		b = stat_linear_bucket(cfg, v);
	if (b >= 0 && b < cfg->buckets)
		st->hist[b]++;
}

int64_t stat_avg(const struct stat_agg *st)
{
	return div64(st->count ? st->sum : 0, st->count);
}

int64_t stat_variance(const struct stat_agg *st)
{
	int shift = st->cfg->shift;
	int64_t avg, d, s1, s2, var_s;

	if (st->count < 2)
		return 0;
	if (!st->cfg->scalar) {
		/* _stp_pmap_agg copies the element's running value */
		return vshr(st->variance_s, 2 * shift);
	}
	/*
	 * _stp_stat_get recombines the per-CPU data with the "total
	 * variance" formula, against the exact average rather than the
	 * running one: with a single CPU that still adds a term.
	 */
	avg = div64(wshl(st->sum, shift), st->count);
	d = wsub(st->avg_s, avg);
	s1 = wmul(wmul(st->count, d), d);
	s2 = wmul(st->count - 1, st->variance_s);
	var_s = div64(wadd(s1, s2), st->count - 1);
	return vshr(var_s, 2 * shift);
}

int stat_get(const struct stat_agg *st, enum stat_op op, int64_t *out)
{
	switch (op) {
	case STAT_COUNT:
		*out = st->count;
		return 0;
	case STAT_SUM:
		*out = st->count ? st->sum : 0;
		return 0;
	default:
		break;
	}
	if (st->count == 0)
		return -1;
	switch (op) {
	case STAT_MIN:
		*out = st->min;
		break;
	case STAT_MAX:
		*out = st->max;
		break;
	case STAT_AVG:
		*out = stat_avg(st);
		break;
	case STAT_VARIANCE:
		*out = stat_variance(st);
		break;
	default:
		return -1;
	}
	return 0;
}

int64_t stat_hist_bucket(const struct stat_agg *st, int64_t i)
{
	if (st->hist == NULL || i < 0 || i >= st->cfg->buckets)
		return 0;
	return st->hist[i];
}

int stat_hist_index(const struct stat_agg *st, int64_t i, int64_t *out)
{
	if (st->count == 0)
		return -1;
	if (st->hist == NULL || i < 0 || i >= st->cfg->buckets)
		return -2;
	*out = st->hist[i];
	return 0;
}

/* --------------------------------------------------------------- printing */

/* Characters needed to print V in decimal. */
static int needed_space(int64_t v)
{
	uint64_t mag;
	int n = 0;

	if (v == 0)
		return 1;
	if (v < 0) {
		n++;
		mag = 0 - (uint64_t)v;
	} else {
		mag = (uint64_t)v;
	}
	while (mag != 0) {
		mag /= 10;
		n++;
	}
	return n;
}

/* The lower bound of log bucket NUM (the label SystemTap prints). */
static int64_t log_bucket_value(int num)
{
	if (num == STAT_LOG_BUCKET0)
		return 0;
	if (num < STAT_LOG_BUCKET0)
		return INT64_MIN >> num;	/* arithmetic: -2^(63-num) */
	return (int64_t)((uint64_t)1 << (num - STAT_LOG_BUCKET0 - 1));
}

static int imax(int a, int b)
{
	return a > b ? a : b;
}

int stat_hist_print(struct strbuf *out, const struct stat_agg *st,
		    int elision)
{
	const struct stat_cfg *cfg = st->cfg;
	const int64_t *h = st->hist;
	int nb = cfg->buckets;
	int low = -1, high = 0, under = 0, over = 0;
	int i, j, k, val_space, cnt_space, eliding;
	int64_t valmax = 0, val;
	uint64_t q;
	uint32_t scale;
	int32_t scale_i;

	if (st->count == 0 || h == NULL || nb <= 0)
		return -1;

	for (i = 0; i < nb; i++) {
		if (h[i] > 0 && low == -1)
			low = i;
		if (h[i] > 0)
			high = i;
		if (h[i] > valmax)
			valmax = h[i];
	}
	if (low == -1)
		return -1;	/* cannot happen with count > 0 */

	/* up to two empty rows on either side of the data */
	for (i = 0; i < 2; i++) {
		if (cfg->hist == STAT_HIST_LOG) {
			/* no negative rows unless there are negative values */
			if (low != STAT_LOG_BUCKET0 && low > 0)
				low--;
		} else if (low > 0) {
			low--;
		}
		if (high < nb - 1)
			high++;
	}
	if (cfg->hist == STAT_HIST_LINEAR) {
		/* no empty underflow/overflow rows */
		if (low == 0 && h[0] == 0)
			low++;
		if (high == nb - 1 && h[high] == 0)
			high--;
		if (low == 0)
			under = 1;
		if (high == nb - 1)
			over = 1;
	}

	/* '@' per count: ceil(valmax / 50), in the runtime's int */
	if (valmax <= STAT_HIST_WIDTH) {
		scale = 1;
	} else {
		q = (uint64_t)valmax / STAT_HIST_WIDTH;
		scale_i = (int32_t)(uint32_t)q;
		if ((uint64_t)valmax % STAT_HIST_WIDTH)
			scale_i++;
		scale = (uint32_t)scale_i;
		if (scale == 0)
			scale = 1;
	}
	cnt_space = needed_space(valmax);

	if (cfg->hist == STAT_HIST_LINEAR) {
		/* start + interval * high, in C ints */
		int32_t top = (int32_t)((uint32_t)cfg->start +
					(uint32_t)cfg->interval *
					(uint32_t)high);
		val_space = imax(needed_space(cfg->start) + under,
				 needed_space(top) + over);
	} else {
		val_space = imax(needed_space(log_bucket_value(high)),
				 needed_space(log_bucket_value(low)));
	}
	val_space = imax(val_space, 5);	/* strlen("value") */

	sb_printf(out, "%*s |", val_space, "value");
	sb_pad(out, '-', STAT_HIST_WIDTH);
	sb_puts(out, " count\n");

	eliding = 0;
	for (i = low; i <= high; i++) {
		const char *prefix = "";
		uint64_t v;

		/*
		 * Skip an empty row whose neighbours within ELISION rows
		 * are empty too; mark the gap with a '~' row.
		 */
		if (elision >= 0) {
			int max_elide = elision < nb ? elision : nb;
			int lo = low, hi = high, elide = 1;

			if (i - max_elide > lo)
				lo = i - max_elide;
			if (i + max_elide < hi)
				hi = i + max_elide;
			for (k = lo; k <= hi; k++)
				if (h[k] != 0)
					elide = 0;
			if (elide) {
				eliding = 1;
				continue;
			}
			if (eliding) {
				sb_printf(out, "%*s ~\n", val_space, "");
				eliding = 0;
			}
		}

		if (cfg->hist == STAT_HIST_LINEAR) {
			if (i == 0) {
				val = cfg->start;
				prefix = "<";
			} else if (i == nb - 1) {
				val = wadd(cfg->start,
					   wmul(i - 2, cfg->interval));
				prefix = ">";
			} else {
				val = wadd(cfg->start,
					   wmul(i - 1, cfg->interval));
			}
		} else {
			val = log_bucket_value(i);
		}

		sb_printf(out, "%*s%lld |", val_space - needed_space(val),
			  prefix, (long long)val);
		v = (uint64_t)h[i] / scale;
		for (j = 0; (uint64_t)j < v; j++)
			sb_putc(out, '@');
		sb_printf(out, "%*lld\n",
			  (int)(STAT_HIST_WIDTH - v + 1 + (uint64_t)cnt_space),
			  (long long)h[i]);
	}
	sb_putc(out, '\n');
	return 0;
}

void stat_print_summary(struct strbuf *out, const char *name,
			const struct stat_agg *st)
{
	if (st->count == 0) {
		/* the translator's literal for an empty scalar */
		sb_printf(out, "%s @count=0x0\n", name);
		return;
	}
	sb_printf(out,
		  "%s @count=%lld @min=%lld @max=%lld @sum=%lld @avg=%lld\n",
		  name, (long long)st->count, (long long)st->min,
		  (long long)st->max, (long long)st->sum,
		  (long long)stat_avg(st));
}
