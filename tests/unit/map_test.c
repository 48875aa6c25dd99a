/*
 * map_test.c - unit tests of runtime/map.c (SystemTap associative arrays).
 *
 * Where each expectation comes from:
 *   [ii] [si] [ix] ...  the golden output of that script in
 *            conformance/runtime/maps (or base/), rebuilt here from the
 *            same operations and compared byte for byte when
 *            ../shared/conformance is present;
 *   [map.c]  stap 4.8's runtime/map.c and map-gen.c (insertion at the
 *            list tail, in-place stable merge sort, _stp_map_sortn for
 *            limits up to 30, wrap evicting the list head), worked by
 *            hand or checked by running that code on the same input;
 *   [p3]     the C that `stap -p3` (4.8) generates for foreach/delete.
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "map.h"
#include "stats.h"
#include "check.h"
#include "golden.h"
#include "strbuf.h"

/* --------------------------------------------------------------- helpers */

static struct map_key kl[MAP_MAX_KEYS];

static const struct map_key *K1(long long a)
{
	memset(kl, 0, sizeof kl);
	kl[0].l = a;
	return kl;
}

static const struct map_key *KS(const char *s)
{
	memset(kl, 0, sizeof kl);
	kl[0].s = s;
	kl[0].len = strlen(s);
	return kl;
}

static struct map *new_map1(enum map_type kt, enum map_type vt,
			    int64_t max, bool wrap)
{
	return map_new(1, &kt, vt, max, wrap);
}

static void setl(struct map *m, const struct map_key *k, long long v)
{
	struct map_entry *e = map_get(m, k, NULL);

	if (e == NULL) {
		check_fail("map_get");
		return;
	}
	map_entry_set_long(e, v);
}

static long long getl(struct map *m, const struct map_key *k)
{
	struct map_entry *e = map_find(m, k);

	return e ? map_entry_long(e) : 0;
}

static void sets(struct map *m, const struct map_key *k, const char *v)
{
	struct map_entry *e = map_get(m, k, NULL);

	if (e == NULL) {
		check_fail("map_get");
		return;
	}
	map_entry_set_str(m, e, v, strlen(v));
}

static const char *gets_(struct map *m, const struct map_key *k)
{
	struct map_entry *e = map_find(m, k);

	return e ? map_entry_str(e, NULL) : "";
}

static void statadd(struct map *m, const struct map_key *k, long long v)
{
	struct map_entry *e = map_get(m, k, NULL);

	if (e == NULL) {
		check_fail("map_get (stat)");
		return;
	}
	stat_add(map_entry_stat(e), v);
}

/* foreach over a long->long (or long->string) map, printing "k " */
static void keys_of(struct strbuf *out, struct map *m,
		    const struct map_sort *so, bool has_limit, long long limit)
{
	struct map_snap s = MAP_SNAP_INIT;
	struct map_entry *e;

	sb_reset(out);
	map_snap_take(m, &s, so, has_limit, limit, NULL);
	while ((e = map_snap_next(m, &s)) != NULL) {
		if (map_key_type(m, 0) == MAP_LONG)
			sb_printf(out, "%lld ",
				  (long long)map_entry_key_long(e, 0));
		else
			sb_printf(out, "%s ", map_entry_key_str(e, 0, NULL));
	}
	map_snap_free(&s);
}

static const struct map_sort by_value_desc = { MAP_SORT_VALUE, 0, -1,
					       STAT_COUNT };
static const struct map_sort by_value_asc = { MAP_SORT_VALUE, 0, 1,
					      STAT_COUNT };
static const struct map_sort by_key_asc = { MAP_SORT_KEY, 0, 1, STAT_COUNT };
static const struct map_sort by_key_desc = { MAP_SORT_KEY, 0, -1,
					     STAT_COUNT };

/* ---------------------------------------------------------------- basics */

static void test_basics(void)
{
	struct strbuf out = STRBUF_INIT;
	struct map *m = new_map1(MAP_LONG, MAP_LONG, 3, false);
	struct map_entry *e;
	int err = 0, i;

	/* reading a missing key does not create it */
	check_int("find missing", map_find(m, K1(7)) == NULL, 1);
	check_int("count 0", (long long)map_count(m), 0);
	setl(m, K1(5), 50);
	setl(m, K1(-1), 10);
	setl(m, K1(LLONG_MIN), 20);
	check_int("get 5", getl(m, K1(5)), 50);
	check_int("get min", getl(m, K1(LLONG_MIN)), 20);
	check_int("count 3", (long long)map_count(m), 3);
	/* [map.c] a full array: _new_map_create fails -> overflow */
	e = map_get(m, K1(6), &err);
	check_int("full", e == NULL, 1);
	check_int("full err", err, MAP_EFULL);
	/* an existing key is still fine when full */
	e = map_get(m, K1(5), &err);
	check_int("full existing", e != NULL, 1);
	check_int("add", map_entry_add_long(e, 5), 55);
	/* [map.c] insertion order; an update keeps the place */
	keys_of(&out, m, NULL, false, 0);
	check_sb("order", &out, "5 -1 -9223372036854775808 ");
	check_int("delete", map_delete(m, K1(-1)), 1);
	check_int("delete again", map_delete(m, K1(-1)), 0);
	setl(m, K1(-1), 1);	/* re-added: goes to the end */
	keys_of(&out, m, NULL, false, 0);
	check_sb("order 2", &out, "5 -9223372036854775808 -1 ");
	map_clear(m);
	check_int("clear", (long long)map_count(m), 0);
	for (i = 3; i > 0; i--)
		setl(m, K1(i), i);
	keys_of(&out, m, NULL, false, 0);
	check_sb("after clear", &out, "3 2 1 ");
	map_free(m);

	/* many elements: the table and the chunks grow, up to maxentries */
	m = new_map1(MAP_LONG, MAP_LONG, 100000, false);
	for (i = 0; i < 100000; i++)
		setl(m, K1((long long)i * 7919), i);
	check_int("big count", (long long)map_count(m), 100000);
	for (i = 0; i < 100000; i += 2)
		map_delete(m, K1((long long)i * 7919));
	for (i = 0; i < 100000; i++)
		if (getl(m, K1((long long)i * 7919)) != (i % 2 ? i : 0))
			break;
	check_int("big lookups", i, 100000);
	check_int("big full", map_get(m, K1(-5), &err) != NULL, 1);
	map_free(m);
	sb_free(&out);
}

static void test_strings(void)
{
	enum map_type kt[2] = { MAP_STRING, MAP_LONG };
	struct map *m = map_new(2, kt, MAP_STRING, 10, false);
	struct map_key k[2];
	struct map_entry *e;
	const char *str;
	size_t len = 0;

	map_set_maxstrlen(m, 5);
	memset(k, 0, sizeof k);
	k[0].s = "abcdefgh";
	k[0].len = 8;
	k[1].l = 1;
	e = map_get(m, k, NULL);
	map_entry_set_str(m, e, "0123456789", 10);
	/* keys and values are cut to maxstrlen */
	str = map_entry_key_str(e, 0, &len);
	check_str("key cut", str, len, "abcde", 5);
	str = map_entry_str(e, &len);
	check_str("value cut", str, len, "01234", 5);
	/* so a longer key with the same prefix finds the same element */
	k[0].s = "abcdeXYZ";
	check_int("cut lookup", map_find(m, k) == e, 1);
	/* and a string stops at its first NUL */
	k[0].s = "abc\0zz";
	k[0].len = 6;
	e = map_get(m, k, NULL);
	str = map_entry_key_str(e, 0, &len);
	check_str("NUL key", str, len, "abc", 3);
	check_int("count", (long long)map_count(m), 2);
	k[0].s = "abc";
	k[0].len = 3;
	check_int("NUL lookup", map_find(m, k) == e, 1);
	str = map_entry_str(e, &len);
	check_str("empty value", str, len, "", 0);
	/* the second column matters */
	k[1].l = 2;
	check_int("other column", map_find(m, k) == NULL, 1);
	map_free(m);
}

/* --------------------------------------------------- sorting and foreach */

/* foreach over { 3, 1, 4, 1, 5, 9, 2, 6 } (keys 1..8) sorted BY (NULL:
 * unsorted), with a limit if HAS_LIMIT: the keys in WANT. */
static const struct sort_case {
	const char *what;
	const struct map_sort *by;
	bool has_limit;
	long long limit;
	const char *want;
} sorts[] = {
	/* [map.c] stable: the two 1s (keys 2 and 4) keep their order */
	{ "value asc", &by_value_asc, false, 0, "2 4 7 1 3 5 8 6 " },
	/* [map.c] the sort is done in place: an unsorted loop now sees it */
	{ "persisted", NULL, false, 0, "2 4 7 1 3 5 8 6 " },
	{ "value desc", &by_value_desc, false, 0, "6 8 5 3 1 7 2 4 " },
	{ "key asc", &by_key_asc, false, 0, "1 2 3 4 5 6 7 8 " },
	{ "key desc limit 3", &by_key_desc, true, 3, "8 7 6 " },
	/* [map.c] _stp_map_sortn(n = 3): bubble passes over the first three,
	   then an insertion pass keeps the best three in front and leaves
	   the rest partly moved (checked by running stap's map.c sort code
	   on the same list) */
	{ "sortn top 3", &by_value_desc, true, 3, "6 8 5 " },
	{ "sortn leftover order", NULL, false, 0, "6 8 5 7 4 3 2 1 " },
	/* a limit of 0 or less: nothing (the partial sort still runs) */
	{ "limit 0", &by_value_asc, true, 0, "" },
	{ "limit -1", &by_key_asc, true, -1, "" },
	/* limit past the end */
	{ "limit 100", &by_key_asc, true, 100, "1 2 3 4 5 6 7 8 " },
	/* unsorted with a limit: the first N in list order */
	{ "unsorted limit", NULL, true, 2, "1 2 " },
};

static void test_sorting(void)
{
	struct strbuf out = STRBUF_INIT;
	struct map *m = new_map1(MAP_LONG, MAP_LONG, 100, false);
	struct map *ms;
	static const long long vals[] = { 3, 1, 4, 1, 5, 9, 2, 6 };
	size_t i;

	for (i = 0; i < sizeof vals / sizeof vals[0]; i++)
		setl(m, K1((long long)i + 1), vals[i]);
	/* in this order: each sort is done in place and seen by the next */
	for (i = 0; i < sizeof sorts / sizeof sorts[0]; i++) {
		const struct sort_case *c = &sorts[i];

		keys_of(&out, m, c->by, c->has_limit, c->limit);
		check_sb(c->what, &out, c->want);
	}
	map_free(m);

	/* string keys sort with strcmp; string values too */
	m = new_map1(MAP_STRING, MAP_STRING, 100, false);
	sets(m, KS("b"), "two");
	sets(m, KS("10"), "one");
	sets(m, KS("B"), "three");
	sets(m, KS("a"), "four");
	keys_of(&out, m, &by_key_asc, false, 0);
	check_sb("strcmp keys", &out, "10 B a b ");
	keys_of(&out, m, &by_value_asc, false, 0);
	check_sb("strcmp values", &out, "a 10 B b ");
	map_free(m);

	/* statistics: @count by default; sorting does not persist */
	ms = new_map1(MAP_LONG, MAP_STATS, 100, false);
	statadd(ms, K1(1), 32);
	statadd(ms, K1(2), 78);
	statadd(ms, K1(2), 0);
	statadd(ms, K1(2), 0);
	statadd(ms, K1(3), 96);
	statadd(ms, K1(3), 0);
	/* [foreach_sort_stat_4] foreach (i in a-): 2 3 1 */
	keys_of(&out, ms, &by_value_desc, false, 0);
	check_sb("stat count desc", &out, "2 3 1 ");
	keys_of(&out, ms, NULL, false, 0);
	check_sb("stat not persisted", &out, "1 2 3 ");
	{
		struct map_sort so = { MAP_SORT_VALUE, 0, -1, STAT_AVG };

		/* [foreach_sort_stat_9] @avg-: 3 1 2 */
		keys_of(&out, ms, &so, false, 0);
		check_sb("stat avg desc", &out, "3 1 2 ");
		/* [foreach_sort_stat_12] @max+ (a[3] <<< 1 there): 1 2 3 */
		so.agg = STAT_MAX;
		so.dir = 1;
		keys_of(&out, ms, &so, false, 0);
		check_sb("stat max asc", &out, "1 2 3 ");
		/* [p3] stap 4.8 translates a @variance sort as SORT_COUNT */
		so.agg = STAT_VARIANCE;
		keys_of(&out, ms, &so, false, 0);
		check_sb("stat variance = count", &out, "1 3 2 ");
	}
	map_free(ms);
	sb_free(&out);
}

static void test_wrap(void)
{
	struct strbuf out = STRBUF_INIT;
	struct map *m = new_map1(MAP_LONG, MAP_LONG, 3, true);
	int i;

	for (i = 1; i <= 5; i++)
		setl(m, K1(i), 10 - i);
	/* [map.c] wrap drops the list head, i.e. the oldest */
	keys_of(&out, m, NULL, false, 0);
	check_sb("wrap", &out, "3 4 5 ");
	check_int("wrap count", (long long)map_count(m), 3);
	/* updating keeps the place: 3 is still the oldest */
	setl(m, K1(3), 100);
	setl(m, K1(6), 0);
	keys_of(&out, m, NULL, false, 0);
	check_sb("wrap after update", &out, "4 5 6 ");
	/* [map.c] after an in-place sort the head is the first in sorted
	   order: values 6 5 0, descending -> 4 5 6, ascending -> 6 5 4 */
	keys_of(&out, m, &by_value_asc, false, 0);
	check_sb("sorted", &out, "6 5 4 ");
	setl(m, K1(7), 1);
	keys_of(&out, m, NULL, false, 0);
	check_sb("wrap after sort", &out, "5 4 7 ");
	map_free(m);
	sb_free(&out);
}

static void test_slices(void)
{
	struct strbuf out = STRBUF_INIT;
	enum map_type kt[2] = { MAP_LONG, MAP_STRING };
	struct map *m = map_new(2, kt, MAP_LONG, 100, false);
	struct map_key k[2];
	struct map_snap s = MAP_SNAP_INIT;
	struct map_entry *e;
	static const char *const names[] = { "x", "y", "x", "z", "x" };
	int i;

	memset(k, 0, sizeof k);
	for (i = 0; i < 5; i++) {
		k[0].l = i;
		k[1].s = names[i];
		k[1].len = 1;
		setl(m, k, 10 - i);
	}
	/* [*, "x"] in m */
	k[0].wild = true;
	k[1].s = "x";
	check_int("slice exists", map_slice_exists(m, k), 1);
	k[1].s = "q";
	check_int("slice absent", map_slice_exists(m, k), 0);
	/* [p3] foreach over a slice: the limit counts before the filter */
	k[1].s = "x";
	map_snap_take(m, &s, &by_value_asc, true, 3, k);
	sb_reset(&out);
	while ((e = map_snap_next(m, &s)) != NULL)
		sb_printf(&out, "%lld ", (long long)map_entry_key_long(e, 0));
	check_sb("slice + limit", &out, "4 2 ");
	map_snap_take(m, &s, NULL, false, 0, k);
	sb_reset(&out);
	while ((e = map_snap_next(m, &s)) != NULL)
		sb_printf(&out, "%lld ", (long long)map_entry_key_long(e, 0));
	check_sb("slice", &out, "4 2 0 ");
	/* delete a[*, "x"] */
	check_int("delete slice", (long long)map_delete_slice(m, k), 3);
	check_int("left", (long long)map_count(m), 2);
	/* delete a[3, *] */
	k[0].wild = false;
	k[0].l = 3;
	k[1].wild = true;
	check_int("delete slice 2", (long long)map_delete_slice(m, k), 1);
	k[0].wild = true;
	check_int("all wild exists", map_slice_exists(m, k), 1);
	/* no wildcard: a plain lookup */
	k[0].wild = k[1].wild = false;
	k[0].l = 1;
	k[1].s = "y";
	check_int("exact exists", map_slice_exists(m, k), 1);
	check_int("exact delete", (long long)map_delete_slice(m, k), 1);
	check_int("empty", (long long)map_count(m), 0);
	map_snap_free(&s);
	map_free(m);
	sb_free(&out);
}

static void test_snapshot_safety(void)
{
	struct strbuf out = STRBUF_INIT;
	struct map *m = new_map1(MAP_LONG, MAP_LONG, 8, true);
	struct map_snap s = MAP_SNAP_INIT;
	struct map_entry *e;
	int i;

	for (i = 1; i <= 6; i++)
		setl(m, K1(i), i);
	map_snap_take(m, &s, NULL, false, 0, NULL);
	sb_reset(&out);
	while ((e = map_snap_next(m, &s)) != NULL) {
		long long k = map_entry_key_long(e, 0);

		sb_printf(&out, "%lld ", k);
		/* delete the current and the next element, add new ones
		   (which reuse the freed slots): none of it may confuse the
		   loop */
		map_delete(m, K1(k));
		map_delete(m, K1(k + 1));
		setl(m, K1(k + 100), 0);
		setl(m, K1(k + 200), 0);
	}
	check_sb("safe loop", &out, "1 3 5 ");
	map_clear(m);
	check_int("clear during snapshot", map_snap_next(m, &s) == NULL, 1);
	map_snap_free(&s);
	map_free(m);
	sb_free(&out);
}

/* ------------------------------------------------------ stat histograms */

static void test_stat_map(void)
{
	struct strbuf out = STRBUF_INIT;
	struct stat_cfg cfg;
	struct map *m;
	struct map_entry *e;

	stat_cfg_init(&cfg, false, 0);
	stat_cfg_log(&cfg);
	m = new_map1(MAP_STRING, MAP_STATS, 10, false);
	map_set_stat_cfg(m, &cfg);
	statadd(m, KS("t"), 5);
	statadd(m, KS("t"), 3);
	e = map_find(m, KS("t"));
	check_int("hist bucket", stat_hist_bucket(map_entry_stat(e), 66), 1);
	check_int("hist bucket 2", stat_hist_bucket(map_entry_stat(e), 67), 1);
	/* deleting and re-adding starts an empty aggregate */
	map_delete(m, KS("t"));
	statadd(m, KS("t"), 1);
	e = map_find(m, KS("t"));
	check_int("fresh count", stat_count(map_entry_stat(e)), 1);
	check_int("fresh bucket", stat_hist_bucket(map_entry_stat(e), 66), 0);
	map_autoprint(&out, "st", m);
	check_sb("stat autoprint", &out,
		 "st[\"t\"] @count=1 @min=1 @max=1 @sum=1 @avg=1\n");
	map_free(m);
	sb_free(&out);
}

/* ---------------------------------------------- golden files, if present */

/* foreach (i in foo) printf("foo[%d] = %d\n", i, foo[i]) */
static void dump_ii(struct strbuf *out, struct map *m)
{
	struct map_snap s = MAP_SNAP_INIT;
	struct map_entry *e;

	map_snap_take(m, &s, NULL, false, 0, NULL);
	while ((e = map_snap_next(m, &s)) != NULL) {
		if (map_key_type(m, 0) == MAP_LONG)
			sb_printf(out, "foo[%lld] = ",
				  (long long)map_entry_key_long(e, 0));
		else
			sb_printf(out, "foo[%s] = ",
				  map_entry_key_str(e, 0, NULL));
		if (map_value_type(m) == MAP_LONG)
			sb_printf(out, "%lld\n", (long long)map_entry_long(e));
		else
			sb_printf(out, "%s\n", map_entry_str(e, NULL));
	}
	map_snap_free(&s);
}

static void golden_ii_si(const char *dir, int strkeys)
{
	struct strbuf out = STRBUF_INIT;
	struct map *m = new_map1(strkeys ? MAP_STRING : MAP_LONG, MAP_LONG,
				 2048, false);
	char a[32], b[32];
	long long i;

#define KEY(n) (strkeys ? (snprintf(a, sizeof a, "%lld", (long long)(n)), \
			   KS(a)) : K1(n))
	for (i = 0; i < 11; i++)
		setl(m, KEY(i), i * i);
	dump_ii(&out, m);
	if (!strkeys) {
		map_delete(m, KEY(11));
		sb_puts(&out, "\n");
		dump_ii(&out, m);
	}
	map_delete(m, KEY(5));
	sb_puts(&out, "\n");
	dump_ii(&out, m);
	map_delete(m, KEY(1));
	map_delete(m, KEY(10));
	sb_puts(&out, "\n");
	dump_ii(&out, m);
	setl(m, KEY(9), -81);
	setl(m, KEY(4), -getl(m, KEY(4)));
	setl(m, KEY(3), getl(m, KEY(3)) * 100);
	sb_puts(&out, "\n");
	dump_ii(&out, m);
	map_delete(m, KEY(4));
	sb_puts(&out, "\n");
	dump_ii(&out, m);
	if (strkeys) {
		map_clear(m);
	} else {
		for (i = 0; i < 11; i++)
			map_delete(m, KEY(i));
	}
	sb_puts(&out, "\n");
	dump_ii(&out, m);
	for (i = 0; i < 11; i++)
		setl(m, KEY(i), i * i);
	for (i = 0; i < 11; i++) {
		long long prev = getl(m, KEY(i - 1));	/* no insert */
		struct map_entry *e = map_get(m, KEY(i), NULL);

		map_entry_add_long(e, prev);
	}
	sb_puts(&out, "\n");
	dump_ii(&out, m);
	(void)b;
#undef KEY
	golden_check(dir, strkeys ? "runtime/maps/si.expected" :
	       "runtime/maps/ii.expected", &out);
	map_free(m);
	sb_free(&out);
}

static void golden_ss(const char *dir)
{
	struct strbuf out = STRBUF_INIT;
	struct map *m = new_map1(MAP_STRING, MAP_STRING, 2048, false);
	char k[32], v[64];
	int i;

	for (i = 0; i < 11; i++) {
		snprintf(k, sizeof k, "%d", i);
		snprintf(v, sizeof v, "The Result is %d", i * i);
		sets(m, KS(k), v);
	}
	dump_ii(&out, m);
	map_delete(m, KS("5"));
	sb_puts(&out, "\n");
	dump_ii(&out, m);
	map_delete(m, KS("0"));
	map_delete(m, KS("10"));
	sb_puts(&out, "\n");
	dump_ii(&out, m);
	sets(m, KS("9"), "New result is -81");
	snprintf(v, sizeof v, "%s(CHANGED)", gets_(m, KS("4")));
	sets(m, KS("4"), v);
	snprintf(v, sizeof v, "%s<------", gets_(m, KS("2")));
	sets(m, KS("3"), v);
	sb_puts(&out, "\n");
	dump_ii(&out, m);
	map_delete(m, KS("4"));
	sb_puts(&out, "\n");
	dump_ii(&out, m);
	map_clear(m);
	sb_puts(&out, "\n");
	dump_ii(&out, m);
	for (i = 0; i < 11; i++) {
		snprintf(k, sizeof k, "%d", i);
		snprintf(v, sizeof v, "%d", i * i);
		sets(m, KS(k), v);
	}
	for (i = 0; i < 11; i++) {
		snprintf(k, sizeof k, "%d", i);
		snprintf(v, sizeof v, "# %d", i * i);
		sets(m, KS(k), v);
	}
	sb_puts(&out, "\n");
	dump_ii(&out, m);
	golden_check(dir, "runtime/maps/ss.expected", &out);
	map_free(m);
	sb_free(&out);
}

static void golden_iiiiii(const char *dir)
{
	enum map_type kt[5] = { MAP_LONG, MAP_LONG, MAP_LONG, MAP_LONG,
				MAP_LONG };
	struct map *m = map_new(5, kt, MAP_LONG, 2048, false);
	struct strbuf out = STRBUF_INIT;
	struct map_key k[5];
	int n, pass, c;

	memset(k, 0, sizeof k);
	for (n = 0; n < 32; n++) {
		for (c = 0; c < 5; c++)
			k[c].l = (n >> (4 - c)) & 1;
		setl(m, k, k[0].l + k[1].l + k[2].l + k[3].l + k[4].l);
	}
	for (pass = 0; pass < 2; pass++) {
		struct map_snap s = MAP_SNAP_INIT;
		struct map_entry *e;

		if (pass) {
			k[0].l = k[1].l = 0;
			k[2].l = k[3].l = k[4].l = 1;
			map_delete(m, k);
			sb_puts(&out, "\n");
		}
		map_snap_take(m, &s, NULL, false, 0, NULL);
		while ((e = map_snap_next(m, &s)) != NULL) {
			sb_puts(&out, "foo[");
			for (c = 0; c < 5; c++)
				sb_printf(&out, c ? ",%lld" : "%lld",
					  (long long)map_entry_key_long(e, c));
			sb_printf(&out, "] = %lld\n",
				  (long long)map_entry_long(e));
		}
		map_snap_free(&s);
	}
	golden_check(dir, "runtime/maps/iiiiii.expected", &out);
	map_free(m);
	sb_free(&out);
}

/* "foo[%d]: count:%d  sum:%d  avg:%d  min:%d  max:%d  variance:%d\n" */
static void stat_line(struct strbuf *out, const char *name, long long key,
		      struct stat_agg *st, int variance)
{
	sb_printf(out, "%s[%lld]: count:%lld  sum:%lld  avg:%lld  min:%lld  "
		  "max:%lld", name, key, (long long)st->count,
		  (long long)st->sum, (long long)stat_avg(st),
		  (long long)st->min, (long long)st->max);
	if (variance)
		sb_printf(out, "  variance:%lld",
			  (long long)stat_variance(st));
	sb_puts(out, "\n");
}

static void foreach_stats(struct strbuf *out, struct map *m,
			  const struct map_sort *so, bool has_limit,
			  long long limit, const char *name, int variance,
			  long long *iterations)
{
	struct map_snap s = MAP_SNAP_INIT;
	struct map_entry *e;
	long long n = 0;

	map_snap_take(m, &s, so, has_limit, limit, NULL);
	while ((e = map_snap_next(m, &s)) != NULL) {
		stat_line(out, name, (long long)map_entry_key_long(e, 0),
			  map_entry_stat(e), variance);
		n++;
	}
	map_snap_free(&s);
	if (iterations != NULL)
		*iterations = n;
}

static void golden_ix(const char *dir)
{
	struct strbuf out = STRBUF_INIT;
	struct map *m = new_map1(MAP_LONG, MAP_STATS, 2048, false);
	struct map_snap s = MAP_SNAP_INIT;
	struct map_entry *e;
	long long allsum = 0;
	int i;

	for (i = 0; i < 11; i++)
		statadd(m, K1(i), 100);
	for (i = 0; i < 11; i++)
		statadd(m, K1(i), i);
	for (i = 0; i < 11; i++)
		statadd(m, K1(i), -2);
	foreach_stats(&out, m, &by_key_asc, false, 0, "foo", 1, NULL);
	sb_puts(&out, "\nNow reverse order...\n");
	foreach_stats(&out, m, &by_key_desc, false, 0, "foo", 1, NULL);
	sb_puts(&out, "\nNow adding 10 to each...\n");
	for (i = 0; i < 11; i++)
		statadd(m, K1(i), 10);
	foreach_stats(&out, m, &by_key_asc, false, 0, "foo", 1, NULL);
	sb_puts(&out, "\nRun a quick foreach without sorting...\n");
	map_snap_take(m, &s, NULL, false, 0, NULL);
	while ((e = map_snap_next(m, &s)) != NULL)
		allsum += stat_sum(map_entry_stat(e));
	map_snap_free(&s);
	sb_printf(&out, "complete sum of foo:%lld\n", allsum);
	golden_check(dir, "runtime/maps/ix.expected", &out);
	map_free(m);
	sb_free(&out);
}

static void golden_limit2(const char *dir)
{
	/* the values each key gets, in the script's order of `<<<` */
	static const long long adds[][2] = {
		{9, 18}, {1, 40}, {8, 16}, {2, 4}, {7, 14}, {3, 36}, {6, 12},
		{5, 10}, {4, 8}, {10, 20},
		{9, 9}, {1, 20}, {8, 8}, {2, 2}, {7, 7}, {3, 18}, {6, 6},
		{5, 5}, {4, 8},
		{9, 54}, {1, 120}, {8, 48}, {2, 12}, {7, 42}, {3, 36}, {6, 12},
		{5, 10},
		{9, 1}, {1, 2}, {8, 3}, {2, 4}, {7, 42}, {3, 108}, {6, 12},
		{9, 2}, {1, 3}, {8, 16}, {2, 4}, {7, 14}, {3, 36},
		{9, 18}, {1, 40}, {8, 16}, {2, 4}, {7, 14},
		{9, 18}, {1, 40}, {8, 16}, {2, 4},
		{9, 18}, {1, 40}, {8, 16},
		{9, 18}, {1, 40},
		{9, 18},
	};
	struct strbuf out = STRBUF_INIT;
	struct map *m = new_map1(MAP_LONG, MAP_STATS, 2048, false);
	long long it = 0, x;
	size_t i;

	for (i = 0; i < sizeof adds / sizeof adds[0]; i++)
		statadd(m, K1(adds[i][0]), adds[i][1]);
	sb_puts(&out, "Arrays of aggregates:\nsorted (by values, decreasing):\n");
	foreach_stats(&out, m, &by_value_desc, false, 0, "agg_array", 1, NULL);
	sb_puts(&out, "\nsorted (by values), increasing:\n");
	foreach_stats(&out, m, &by_value_asc, false, 0, "agg_array", 1, NULL);
	sb_puts(&out, "\nsorted (by values, decreasing) limit 5:\n");
	foreach_stats(&out, m, &by_value_desc, true, 5, "agg_array", 1, &it);
	sb_printf(&out, "loop had %lld iterations\n", it);
	sb_puts(&out, "\nsorted (by values, increasing) limit 5:\n");
	foreach_stats(&out, m, &by_value_asc, true, 5, "agg_array", 1, &it);
	sb_printf(&out, "loop had %lld iterations\n", it);
	sb_puts(&out, "\nsorted (by keys) limit 5:\n");
	foreach_stats(&out, m, &by_key_asc, true, 5, "agg_array", 1, &it);
	sb_printf(&out, "loop had %lld iterations\n", it);
	x = 3;
	sb_printf(&out, "\nsorted (by values) limit x (%lld):\n", x);
	foreach_stats(&out, m, &by_value_asc, true, x, "agg_array", 1, &it);
	sb_printf(&out, "loop had %lld iterations\n", it);
	sb_printf(&out, "\nsorted (by values) limit x * 2 (%lld):\n", x * 2);
	foreach_stats(&out, m, &by_value_asc, true, x * 2, "agg_array", 1,
		      &it);
	sb_printf(&out, "loop had %lld iterations\n", it);
	sb_puts(&out, "\nsorted (by values) limit ++x:\n");
	foreach_stats(&out, m, &by_value_asc, true, ++x, "agg_array", 1, &it);
	sb_printf(&out, "loop had %lld iterations\n", it);
	sb_printf(&out, "x ended up as %lld\n", x);
	sb_puts(&out, "\nsorted (by values) limit x++:\n");
	foreach_stats(&out, m, &by_value_asc, true, x++, "agg_array", 1, &it);
	sb_printf(&out, "loop had %lld iterations\n", it);
	sb_printf(&out, "x ended up as %lld\n", x);
	sb_puts(&out, "\nDone.\n");
	golden_check(dir, "runtime/maps/foreach_limit2.expected", &out);
	map_free(m);
	sb_free(&out);
}

static void golden_wrap2(const char *dir)
{
	struct strbuf out = STRBUF_INIT;
	struct map *m = new_map1(MAP_LONG, MAP_STATS, 5, true);
	int i;

	for (i = 0; i < 10; i++)
		statadd(m, K1(i), i);
	foreach_stats(&out, m, &by_key_asc, false, 0, "foo", 0, NULL);
	golden_check(dir, "runtime/maps/map_wrap2.expected", &out);
	map_free(m);
	sb_free(&out);
}

static void golden_aggrsort(const char *dir)
{
	static const char *const names[] = {
		"count", "sum", "min", "max", "avg",
	};
	static const enum stat_op ops[] = {
		STAT_COUNT, STAT_SUM, STAT_AVG, STAT_MIN, STAT_MAX,
	};
	static const char *const opname[] = {
		"count", "sum", "avg", "min", "max",
	};
	struct strbuf out = STRBUF_INIT;
	struct map *m = new_map1(MAP_LONG, MAP_STATS, 2048, false);
	struct map_sort so = { MAP_SORT_VALUE, 0, 1, STAT_COUNT };
	size_t i;
	int dir_;

	(void)names;
	statadd(m, K1(1), -1);
	statadd(m, K1(2), 1);
	statadd(m, K1(2), 6);
	statadd(m, K1(3), 3);
	statadd(m, K1(3), 4);
	statadd(m, K1(3), 5);
	statadd(m, K1(4), 0);
	statadd(m, K1(4), 0);
	statadd(m, K1(4), 0);
	statadd(m, K1(4), 1);
	for (i = 0; i < 6; i++) {
		for (dir_ = 1; dir_ >= -1; dir_ -= 2) {
			struct map_snap s = MAP_SNAP_INIT;
			struct map_entry *e;

			so.dir = dir_;
			so.agg = i == 0 ? STAT_COUNT : ops[i - 1];
			if (i == 0)
				sb_printf(&out, "sort default%c\n",
					  dir_ > 0 ? '+' : '-');
			else
				sb_printf(&out, "sort @%s%c\n", opname[i - 1],
					  dir_ > 0 ? '+' : '-');
			map_snap_take(m, &s, &so, false, 0, NULL);
			while ((e = map_snap_next(m, &s)) != NULL) {
				struct stat_agg *st = map_entry_stat(e);

				sb_printf(&out, "stats[%lld]: @count=%lld "
					  "@sum=%lld @min=%lld @max=%lld "
					  "@avg=%lld\n",
					  (long long)map_entry_key_long(e, 0),
					  (long long)st->count,
					  (long long)st->sum,
					  (long long)st->min,
					  (long long)st->max,
					  (long long)stat_avg(st));
			}
			map_snap_free(&s);
		}
	}
	golden_check(dir, "runtime/base/foreach_aggrsort.expected", &out);
	map_free(m);
	sb_free(&out);
}

/* "PREFIX<key>: <@sum>" of the statistics element E, a line. */
static void key_sum_line(struct strbuf *out, const char *prefix,
			 struct map_entry *e)
{
	sb_printf(out, "%s%lld: %lld\n", prefix,
		  (long long)map_entry_key_long(e, 0),
		  (long long)stat_sum(map_entry_stat(e)));
}

static void golden_sort_stat(const char *dir)
{
	struct strbuf out = STRBUF_INIT;
	struct map *a = new_map1(MAP_LONG, MAP_STATS, 2048, false);
	struct map *b = new_map1(MAP_LONG, MAP_STATS, 2048, false);
	struct map_sort cnt = { MAP_SORT_VALUE, 0, -1, STAT_COUNT };
	struct map_snap si = MAP_SNAP_INIT, sj = MAP_SNAP_INIT;
	struct map_entry *ei, *ej;

	statadd(a, K1(1), 32);
	statadd(a, K1(2), 78);
	statadd(a, K1(2), 0);
	statadd(a, K1(2), 0);
	statadd(a, K1(3), 96);
	statadd(a, K1(3), 0);
	statadd(b, K1(1), 2);
	statadd(b, K1(1), 2);
	statadd(b, K1(2), 3);
	/* foreach_sort_stat_5: nested loops over two arrays */
	map_snap_take(b, &si, &cnt, false, 0, NULL);
	while ((ei = map_snap_next(b, &si)) != NULL) {
		key_sum_line(&out, "i: ", ei);
		map_snap_take(a, &sj, &cnt, false, 0, NULL);
		while ((ej = map_snap_next(a, &sj)) != NULL)
			key_sum_line(&out, "j: ", ej);
	}
	golden_check(dir, "runtime/base/foreach_sort_stat_5.expected", &out);
	/* foreach_sort_stat_4: foreach (i in a-) printf("%d: %d\n") */
	sb_reset(&out);
	map_snap_take(a, &sj, &cnt, false, 0, NULL);
	while ((ej = map_snap_next(a, &sj)) != NULL)
		key_sum_line(&out, "", ej);
	golden_check(dir, "runtime/base/foreach_sort_stat_4.expected", &out);
	map_snap_free(&si);
	map_snap_free(&sj);
	map_free(a);
	map_free(b);
	sb_free(&out);
}

static void golden_foreach_value(const char *dir)
{
	static const char *const words[] = { "one", "two", "three", "four",
					     "five" };
	struct strbuf out = STRBUF_INIT;
	struct map *longs = new_map1(MAP_LONG, MAP_LONG, 2048, false);
	struct map *strs = new_map1(MAP_LONG, MAP_STRING, 2048, false);
	struct map *stats;
	struct map_sort desc = { MAP_SORT_VALUE, 0, -1, STAT_COUNT };
	struct map_sort asc = { MAP_SORT_VALUE, 0, 1, STAT_COUNT };
	struct map_snap s = MAP_SNAP_INIT, t = MAP_SNAP_INIT;
	struct map_entry *e, *f;
	struct stat_cfg scal, elem;
	struct stat_agg stat;
	long long i;
	int b;

	for (i = 1; i < 10; i++)
		setl(longs, K1(i), i * i * (i - 5));
	map_snap_take(longs, &s, &desc, false, 0, NULL);
	while ((e = map_snap_next(longs, &s)) != NULL)
		sb_printf(&out, "longs[%lld] = %lld\n",
			  (long long)map_entry_key_long(e, 0),
			  (long long)map_entry_long(e));
	for (i = 1; i <= 5; i++)
		sets(strs, K1(i), words[i - 1]);
	map_snap_take(strs, &s, &asc, false, 0, NULL);
	while ((e = map_snap_next(strs, &s)) != NULL)
		sb_printf(&out, "strings[%lld] = %s\n",
			  (long long)map_entry_key_long(e, 0),
			  map_entry_str(e, NULL));

	/* a scalar stat with @hist_log, walked bucket by bucket */
	stat_cfg_init(&scal, true, 0);
	stat_cfg_log(&scal);
	stat_init(&stat, &scal);
	map_snap_take(strs, &s, NULL, false, 0, NULL);
	while ((e = map_snap_next(strs, &s)) != NULL)
		stat_add(&stat, (int64_t)strlen(map_entry_str(e, NULL)));
	for (b = 0; b < stat_hist_buckets(&stat); b++)
		if (stat_hist_bucket(&stat, b))
			sb_printf(&out, "%lld strings in bucket %d\n",
				  (long long)stat_hist_bucket(&stat, b), b);

	/* stats[stringat(s,0)] <<< strlen(s); foreach (c+ in stats) */
	stat_cfg_init(&elem, false, 0);
	stat_cfg_log(&elem);
	stats = new_map1(MAP_LONG, MAP_STATS, 2048, false);
	map_set_stat_cfg(stats, &elem);
	map_snap_take(strs, &s, NULL, false, 0, NULL);
	while ((e = map_snap_next(strs, &s)) != NULL) {
		const char *w = map_entry_str(e, NULL);

		statadd(stats, K1((unsigned char)w[0]), (long long)strlen(w));
	}
	map_snap_take(stats, &t, &by_key_asc, false, 0, NULL);
	while ((f = map_snap_next(stats, &t)) != NULL) {
		struct stat_agg *st = map_entry_stat(f);

		for (b = 0; b < stat_hist_buckets(st); b++)
			if (stat_hist_bucket(st, b))
				sb_printf(&out, "%lld strings in [%c] bucket "
					  "%d\n",
					  (long long)stat_hist_bucket(st, b),
					  (int)map_entry_key_long(f, 0), b);
	}
	golden_check(dir, "runtime/base/foreach_value.expected", &out);
	map_snap_free(&s);
	map_snap_free(&t);
	stat_free(&stat);
	map_free(longs);
	map_free(strs);
	map_free(stats);
	sb_free(&out);
}

/*
 * The map_hash_* scripts hold 2048 `array[KEYS] = 1;` (or `<<< 1`)
 * lines.  Read the keys from the script itself and replay them.
 */
static int parse_keys(char *p, struct map_key *k, int *nk)
{
	int n = 0;

	p = strstr(p, "array[");
	if (p == NULL)
		return -1;
	p += 6;
	while (*p && *p != ']') {
		while (*p == ' ' || *p == ',')
			p++;
		memset(&k[n], 0, sizeof k[n]);
		if (*p == '"') {
			char *q = strchr(p + 1, '"');

			if (q == NULL)
				return -1;
			k[n].s = p + 1;
			k[n].len = (size_t)(q - p - 1);
			p = q + 1;
		} else if (isdigit((unsigned char)*p) || *p == '-') {
			k[n].l = strtoll(p, &p, 10);
		} else {
			return -1;
		}
		if (++n == MAP_MAX_KEYS)
			break;
	}
	*nk = n;
	return 0;
}

static void golden_hash(const char *dir, const char *script, int stats,
			int sorted_printf)
{
	char path[512], *text, *line, *save = NULL;
	size_t len = 0;
	struct map *m = NULL;
	struct strbuf out = STRBUF_INIT;
	struct map_key k[MAP_MAX_KEYS];
	int nk = 0;

	snprintf(path, sizeof path, "runtime/maps/%s.stp", script);
	text = golden_slurp(dir, path, &len);
	if (text == NULL) {
		check_skip("%s/%s: not found", dir, path);
		return;
	}
	for (line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		enum map_type kt[MAP_MAX_KEYS];
		struct map_entry *e;
		int i;

		if (strncmp(line, "  array[", 8) != 0 ||
		    parse_keys(line, k, &nk) != 0)
			continue;
		if (m == NULL) {
			for (i = 0; i < nk; i++)
				kt[i] = k[i].s ? MAP_STRING : MAP_LONG;
			m = map_new(nk, kt, stats ? MAP_STATS : MAP_LONG, 2048,
				    false);
		}
		e = map_get(m, k, NULL);
		if (e == NULL) {
			check_fail("%s: overflow", script);
			break;
		}
		if (stats)
			stat_add(map_entry_stat(e), 1);
		else
			map_entry_set_long(e, 1);
	}
	if (m == NULL) {
		check_fail("%s: no keys", script);
		free(text);
		return;
	}
	if (!sorted_printf) {
		/* never read: SystemTap prints it at exit */
		map_autoprint(&out, "array", m);
	} else {
		/* foreach ([key1+, ...] in array) printf(...) */
		struct map_snap s = MAP_SNAP_INIT;
		struct map_entry *e;

		map_snap_take(m, &s, &by_key_asc, false, 0, NULL);
		while ((e = map_snap_next(m, &s)) != NULL) {
			struct stat_agg *st = map_entry_stat(e);
			int c;

			sb_puts(&out, "array[");
			for (c = 0; c < nk; c++) {
				if (c)
					sb_puts(&out, ", ");
				if (map_key_type(m, c) == MAP_LONG)
					sb_printf(&out, "%lld", (long long)
						  map_entry_key_long(e, c));
				else
					sb_printf(&out, "\"%s\"",
						  map_entry_key_str(e, c,
								    NULL));
			}
			sb_printf(&out, "]: count:%lld  sum:%lld  avg:%lld  "
				  "min:%lld  max:%lld  variance:%lld\n",
				  (long long)st->count, (long long)st->sum,
				  (long long)stat_avg(st), (long long)st->min,
				  (long long)st->max,
				  (long long)stat_variance(st));
		}
		map_snap_free(&s);
	}
	snprintf(path, sizeof path, "runtime/maps/%s.expected", script);
	golden_check(dir, path, &out);
	map_free(m);
	sb_free(&out);
	free(text);
}

static void test_golden(void)
{
	const char *dir = golden_dir_or_skip();

	if (dir == NULL)
		return;
	golden_ii_si(dir, 0);
	golden_ii_si(dir, 1);
	golden_ss(dir);
	golden_iiiiii(dir);
	golden_ix(dir);
	golden_limit2(dir);
	golden_wrap2(dir);
	golden_aggrsort(dir);
	golden_sort_stat(dir);
	golden_foreach_value(dir);
	golden_hash(dir, "map_hash_II", 0, 0);
	golden_hash(dir, "map_hash_SSI", 0, 0);
	golden_hash(dir, "map_hash_stat_II", 1, 1);
	golden_hash(dir, "map_hash_stat_SI", 1, 1);
	golden_hash(dir, "map_hash_stat_SSI", 1, 1);
}

int main(void)
{
	test_basics();
	test_strings();
	test_sorting();
	test_wrap();
	test_slices();
	test_snapshot_safety();
	test_stat_map();
	test_golden();
	return check_done();
}
