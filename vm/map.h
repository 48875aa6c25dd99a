/*
 * map.h - SystemTap associative arrays: 1..9 key columns (long or string)
 * mapping to a long, a string or a statistic (struct stat_agg).
 *
 * Semantics are SystemTap's (stap 4.8 runtime map.c / map-gen.c):
 *   - Iteration order is the element list: new elements are appended, an
 *     updated element keeps its place, a deleted one leaves it, and
 *     `delete a` empties it.  (For long and string values this is exactly
 *     SystemTap's unsorted foreach order.  SystemTap walks statistics
 *     arrays in hash order under a random per-run seed, i.e. in no fixed
 *     order; pytap uses insertion order for them too.)
 *   - A sorted foreach sorts on ONE column (a key, or the value; for
 *     statistics @count by default) and is stable: ties keep their list
 *     order.  For long/string values the sort is done IN PLACE, as in
 *     SystemTap, so it changes the order later unsorted loops and wrap
 *     eviction see.  With a limit of 1..30 SystemTap uses a partial sort
 *     (the top N come out the same, the rest of the list is left in a
 *     different order); that is reproduced too.
 *   - A full array fails with MAP_EFULL, unless it wraps (`global a%[N]`):
 *     then the element at the head of the list is dropped to make room.
 *   - Strings (keys and values) are copied, cut to maxstrlen bytes and at
 *     their first NUL.
 *
 * Lookups never allocate; insertions allocate the element's strings (and
 * its histogram), and the table grows in chunks up to maxentries.  Element
 * pointers stay valid until that element is deleted (or the map cleared).
 */
#ifndef PYTAP_MAP_H
#define PYTAP_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stats.h"

struct strbuf;

#define MAP_MAX_KEYS	9
#define MAP_DEFAULT_STRLEN 511	/* MAXSTRINGLEN 512, less the NUL */

/* Column and value types (the numbers of bytecode.h's BT_*). */
enum map_type { MAP_LONG = 1, MAP_STRING = 2, MAP_STATS = 3 };

/* Error codes of map_get. */
#define MAP_EFULL	(-1)	/* "Array overflow, check MAXMAPENTRIES" */
#define MAP_ENOMEM	(-2)

/* One key column as passed in. */
struct map_key {
	int64_t l;		/* MAP_LONG */
	const char *s;		/* MAP_STRING: LEN bytes (or to a NUL) */
	size_t len;
	bool wild;		/* slices only: `*`, matches anything */
};

struct map;
struct map_entry;

/*
 * A new empty map.  MAXENTRIES >= 1 (MAXMAPENTRIES or the declared size);
 * WRAP for `%` arrays.  NULL on bad arguments or no memory.
 */
struct map *map_new(int nkeys, const enum map_type *key_types,
		    enum map_type value_type, int64_t maxentries, bool wrap);
void map_free(struct map *m);

/* Strings are cut to N bytes (default MAP_DEFAULT_STRLEN).  Set before
 * the first insertion. */
void map_set_maxstrlen(struct map *m, size_t n);
/* Statistics maps: the global's configuration (histogram, shift; its
 * `scalar` should be false).  Borrowed; set before the first insertion.
 * Without it, elements have no histogram and shift 0. */
void map_set_stat_cfg(struct map *m, const struct stat_cfg *cfg);

int map_nkeys(const struct map *m);
enum map_type map_key_type(const struct map *m, int col);
enum map_type map_value_type(const struct map *m);
size_t map_count(const struct map *m);
int64_t map_maxentries(const struct map *m);

/* The element with these keys, or NULL.  Never creates one. */
struct map_entry *map_find(struct map *m, const struct map_key *keys);
/*
 * The element with these keys, created (0, "" or an empty aggregate,
 * appended to the list) if absent.  NULL with *ERR = MAP_EFULL or
 * MAP_ENOMEM on failure (ERR may be NULL).
 */
struct map_entry *map_get(struct map *m, const struct map_key *keys,
			  int *err);
/* delete a[k...]: true if there was such an element. */
bool map_delete(struct map *m, const struct map_key *keys);
/* delete a: remove everything. */
void map_clear(struct map *m);

/* Slices: columns with `wild` set match anything. */
bool map_slice_match(const struct map *m, const struct map_entry *e,
		     const struct map_key *keys);
bool map_slice_exists(struct map *m, const struct map_key *keys);
size_t map_delete_slice(struct map *m, const struct map_key *keys);

/* Element accessors (the caller knows the types). */
int64_t map_entry_key_long(const struct map_entry *e, int col);
const char *map_entry_key_str(const struct map_entry *e, int col,
			      size_t *len);	/* NUL-terminated */
int64_t map_entry_long(const struct map_entry *e);
void map_entry_set_long(struct map_entry *e, int64_t v);
/* v += d (wrapping); returns the new value. */
int64_t map_entry_add_long(struct map_entry *e, int64_t d);
const char *map_entry_str(const struct map_entry *e, size_t *len);
/* Copy (cut to the map's maxstrlen).  0, or -1 if out of memory. */
int map_entry_set_str(struct map *m, struct map_entry *e, const char *s,
		      size_t len);
struct stat_agg *map_entry_stat(struct map_entry *e);

/* ------------------------------------------------------------- foreach */

enum map_sort_by { MAP_SORT_NONE = 0, MAP_SORT_KEY, MAP_SORT_VALUE };

struct map_sort {
	enum map_sort_by by;
	int key;		/* MAP_SORT_KEY: 0-based column */
	int dir;		/* +1 ascending (`+`), -1 descending (`-`) */
	enum stat_op agg;	/* statistics values: which @-operator.
				   SystemTap 4.8 sorts @variance by @count,
				   and so does pytap. */
};

struct map_ref {
	uint32_t slot, gen;
};

/* The elements one foreach visits, taken when the loop starts. */
struct map_snap {
	struct map_ref *refs;
	size_t n, cap, pos;
};

#define MAP_SNAP_INIT { NULL, 0, 0, 0 }

/*
 * Start a foreach: sort as SORT says (NULL or MAP_SORT_NONE: list order),
 * keep the first LIMIT elements if HAS_LIMIT (LIMIT <= 0: none, as in
 * SystemTap; the partial sort still happens), then, as SystemTap does,
 * apply the slice SLICE (NULL: whole array) to those.  Reuses S's memory.
 * 0, or -1 if out of memory.
 */
int map_snap_take(struct map *m, struct map_snap *s,
		  const struct map_sort *sort, bool has_limit, int64_t limit,
		  const struct map_key *slice);
/* The next element of the snapshot still in the map (elements deleted
 * meanwhile are skipped, elements added meanwhile are not visited), or
 * NULL at the end. */
struct map_entry *map_snap_next(struct map *m, struct map_snap *s);
void map_snap_free(struct map_snap *s);

/* Only sort (what a sorted foreach does to the list before walking it). */
int map_sort(struct map *m, const struct map_sort *sort, bool has_limit,
	     int64_t limit);

/*
 * The end-of-run dump of a never-read global array NAME, as SystemTap
 * prints it: sorted by value, descending (statistics: @count), one line
 * per element: name[1,"k"]=5 / name["k"]="v" / name[1] @count=... .
 * Sorts the map in place.  0, or -1 if out of memory.
 */
int map_autoprint(struct strbuf *out, const char *name, struct map *m);

#endif
