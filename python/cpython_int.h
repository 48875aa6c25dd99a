/*
 * cpython_int.h - python/'s internals: the per-version layout (struct
 * py_layout, whose tables are in pyversions.c) and the read helpers that
 * objects.c defines and frames.c (threads, frames, code objects) and
 * pyrepr.c (repr of objects) use.  Not for the VM or the session.
 */
#ifndef PYTAP_CPYTHON_INT_H
#define PYTAP_CPYTHON_INT_H

#include <string.h>

#include "cpython.h"
#include "seterr.h"

/* Set C's error message (printf-style): what went wrong, for the caller
 * of py_stack(), py_threads(), py_repr(). */
#define CERR(c, ...) seterr((c)->err, sizeof((c)->err), __VA_ARGS__)

/*
 * Offsets (bytes) into CPython's structures for one minor version; -1 =
 * the field does not exist in this version.  Names follow CPython's:
 * rt_ _PyRuntimeState, is_ PyInterpreterState, ts_ PyThreadState, cf_
 * _PyCFrame, fr_ _PyInterpreterFrame, co_ PyCodeObject, and so on.
 */
struct py_layout {
	int major, minor;

	/* _PyRuntimeState */
	int rt_size;		/* bytes read from its start */
	int rt_interp_head;	/* interpreters.head */
	int rt_tstate_current;	/* gilstate.tstate_current: the GIL holder's
				   thread state or NULL (-1: none) */

	/* PyInterpreterState */
	int is_size;
	int is_next;
	int is_threads_head;
	int is_modules;		/* sys.modules (a dict) */

	/* PyThreadState */
	int ts_size;
	int ts_prev, ts_next, ts_interp;
	int ts_cframe;		/* _PyCFrame *cframe (3.11, 3.12) */
	int ts_current_frame;	/* _PyInterpreterFrame * directly (3.13) */
	int ts_thread_id;	/* unsigned long thread_id */
	int ts_native_id;	/* unsigned long native_thread_id */
	int ts_datastack_chunk;	/* _PyStackChunk * */
	int ts_datastack_top;	/* PyObject ** */
	int cf_current_frame;	/* in _PyCFrame */
	int chunk_data;		/* offsetof(_PyStackChunk, data) */

	/* _PyInterpreterFrame */
	int fr_size;		/* bytes before localsplus */
	int fr_code;		/* f_code / f_executable */
	int fr_previous;
	int fr_instr;		/* prev_instr (3.11, 3.12) or instr_ptr */
	bool fr_instr_is_next;	/* instr_ptr: the next instruction (3.13) */
	int fr_owner;		/* char owner */
	int fr_owner_cstack;	/* owner of C-stack shim frames, -1 none */

	/* PyCodeObject */
	int co_size;		/* bytes read: up to co_code_adaptive */
	int co_firstlineno;	/* int */
	int co_filename, co_name, co_qualname;
	int co_linetable;	/* bytes, 3.11 location table format */
	int co_code_adaptive;	/* the bytecode, inline */
	int co_flags, co_argcount, co_kwonlyargcount;	/* int */
	int co_localsplusnames;	/* tuple of str */
	int co_localspluskinds;	/* bytes: CO_FAST_* per slot */

	/* objects */
	int ob_type;
	int ob_size;		/* PyVarObject.ob_size */
	int tp_name;		/* const char * */
	int tp_flags;		/* unsigned long */
	int ht_cached_keys;	/* PyHeapTypeObject.ht_cached_keys */
	unsigned long tpflag_managed_dict;
	int obj_managed_dict;	/* offset from the object of its managed
				   dict pointer (negative) */
	int obj_managed_values;	/* ... of its inline values; 0: they are
				   tagged in the dict slot (3.12: an odd
				   pointer), or inline (obj_inline_values) */
	bool obj_inline_values;	/* 3.13: the values follow the object, at
				   tp_basicsize, as a PyDictValues */
	int tp_basicsize;
	bool dict_values_header;	/* 3.13: PyDictValues starts with
					   capacity, size, embedded, valid
					   (8 bytes) and the insertion order
					   follows values[capacity]; else the
					   order precedes the array */

	/* str: PyASCIIObject / PyCompactUnicodeObject / PyUnicodeObject */
	int str_length;
	int str_state;		/* the bit field word */
	int str_kind_shift;	/* state bits: kind (3 bits) */
	int str_compact_bit;
	int str_ascii_bit;
	int str_ascii_data;	/* sizeof(PyASCIIObject) */
	int str_compact_data;	/* sizeof(PyCompactUnicodeObject) */
	int str_data_ptr;	/* PyUnicodeObject.data.any (non-compact) */

	int bytes_data;		/* ob_sval */
	bool long_tagged;	/* 3.12+: lv_tag (sign in bits 0-1, digit
				   count from bit 3); else signed ob_size */
	int long_tag;		/* lv_tag or ob_size */
	int long_digits;
	int float_value;
	int tuple_items;
	int list_items;		/* PyObject **ob_item */
	int dict_used, dict_keys, dict_values;
	int dk_log2_size, dk_log2_index_bytes, dk_kind, dk_nentries;
	int dk_indices;		/* start of the index table */
	int dk_entry_general;	/* sizeof(PyDictKeyEntry) */
	int dk_entry_unicode;	/* sizeof(PyDictUnicodeEntry) */
	int module_dict;	/* PyModuleObject.md_dict */
};

/* Little-endian fields out of a buffer read from the target. */
static inline uint64_t py_u64(const unsigned char *b, int off)
{
	uint64_t v;

	memcpy(&v, b + off, sizeof(v));
	return v;
}

static inline uint32_t py_u32(const unsigned char *b, int off)
{
	uint32_t v;

	memcpy(&v, b + off, sizeof(v));
	return v;
}

/* Start a read with context C (resets its results and error): frames.c. */
int py_begin(struct py_ctx *c, struct py_proc *pp, const struct py_mem *m);

/* Read one range: 0, or -1 (c->err says where). */
int py_read1(struct py_ctx *c, uint64_t addr, void *buf, size_t len);

/* Read N ranges in one go; returns how many were read completely. */
size_t py_readv(struct py_ctx *c, struct py_iov *v, size_t n);

/* Append code point CP to OUT as UTF-8 (U+FFFD past U+10FFFF). */
void py_put_utf8(struct strbuf *out, uint32_t cp);

/*
 * The text of the str object at ADDR, as UTF-8, at most MAX bytes, appended
 * to OUT.  HEAD/HAVE: bytes of the object already read from its start
 * (may be NULL/0).  Returns 0, or -1 if it is not readable as a str.
 */
int py_str_text(struct py_ctx *c, uint64_t addr, const unsigned char *head,
		size_t have, struct strbuf *out, size_t max);

/* Look KEY up in the dict at ADDR whose keys are str; *VAL = the value's
 * address, 0 when absent.  Returns -1 when the dict is unreadable. */
int py_dict_get_str(struct py_ctx *c, uint64_t dict, const char *key,
		    uint64_t *val);

/*
 * The items of DICT in insertion order: at most MAX keys and values (object
 * addresses), *N of them; *TOTAL = len(dict).  0, or -1.
 */
int py_dict_items(struct py_ctx *c, uint64_t dict, uint64_t *keys,
		  uint64_t *vals, size_t max, size_t *n, uint64_t *total);

/* The attribute NAME of an instance whose class keeps a managed dict
 * (a Python class without __slots__): *VAL, 0 if absent.  0, or -1. */
int py_instance_attr(struct py_ctx *c, uint64_t obj, const char *name,
		     uint64_t *val);

/* The value of an int object of at most 64 bits: 0, or -1 (not an int, or
 * too big).  HEAD: its first 40 bytes if already read, else NULL. */
int py_long_small(struct py_ctx *c, uint64_t addr, const unsigned char *head,
		  uint64_t *val, bool *neg);

/* The attribute NAME of the instance OBJ whose class keeps a managed dict
 * (every Python class without __slots__): *VAL, or 0 when it has none.
 * 0, or -1 when unreadable. */
int py_instance_attr(struct py_ctx *c, uint64_t obj, const char *name,
		     uint64_t *val);

/* The digit count of an int object whose tag word (L->long_tag: lv_tag,
 * or ob_size before 3.12) is TAG; *NEG: it is negative. */
static inline uint64_t py_long_digits(const struct py_layout *L, uint64_t tag,
				      bool *neg)
{
	if (L->long_tagged) {
		*neg = (tag & 3) == 2;
		return tag >> 3;
	}
	*neg = (int64_t)tag < 0;
	return *neg ? (uint64_t)(-(int64_t)tag) : tag;
}

/* Is ADDR's type (already read: TYPE) the built-in S? */
static inline bool py_is(const struct py_proc *pp, uint64_t type,
			 enum py_sym s)
{
	return pp->sym[s] != 0 && type == pp->sym[s];
}

#endif
