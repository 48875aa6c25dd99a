/*
 * codes.c - the agent's code objects (agent/ring.h, CODE OBJECTS): an id
 * per code object and session, kept in its co_extra slot, and the CODE
 * record that describes it (names, first line, location table,
 * parameter names) written before the first event that uses the id;
 * CODE_FREE when the interpreter frees it.  GIL held.
 */
#include <stdint.h>
#include <string.h>

#include "agent_int.h"
#include "ring_prod.h"

void
code_freed(void *extra)
{
	uint64_t v = (uint64_t)(uintptr_t)extra;
	struct pytap_rec_code_free *r;

	if (!g_running || (uint32_t)(v >> 32) != g_session)
		return;
	g_codes_live--;
	__atomic_store_n(&g_hdr->codes_live, g_codes_live, __ATOMIC_RELAXED);
	r = ring_alloc(sizeof *r);
	if (!r)
		return;
	r->h.size = sizeof *r;
	r->h.kind = PYTAP_REC_CODE_FREE;
	r->h.flags = 0;
	r->code = (uint32_t)v & ID_MASK;
	r->reserved = 0;
	ring_commit();
}

/* UTF-8 of a str (cut to max); "" for anything else, error cleared. */
static const char *
utf8_of(PyObject *o, uint32_t max, uint16_t *len, uint16_t *flags)
{
	Py_ssize_t n = 0;
	const char *s = o ? api.Unicode_AsUTF8AndSize(o, &n) : NULL;

	if (!s) {
		if (o)
			api.Err_Clear();
		*len = 0;
		return "";
	}
	if ((uint64_t)n > max) {
		n = max;
		*flags |= PYTAP_F_CODE_TRUNCATED;
	}
	*len = (uint16_t)n;
	return s;
}

#define PARAMS_MAX 4096
/* The parameter names block of a CODE record (ring.h): returns nparams. */
static unsigned
code_params(PyObject *code, uint32_t co_flags, uint8_t *out, uint16_t *len, uint16_t *flags)
{
	uint32_t shape = nparams_of(code, co_flags);
	unsigned n = shape & 0xff, i;
	PyObject *names = api.Code_GetVarnames(code);
	size_t used = 0;

	for (i = 0; i < n; i++) {
		PyObject *nm = names ? api.Tuple_GetItem(names,
							 (Py_ssize_t)param_index(i, shape)) : NULL;
		uint16_t l = 0;
		const char *sn = utf8_of(nm, 255, &l, flags);
		if (used + 1 + l > PARAMS_MAX) {
			*flags |= PYTAP_F_CODE_TRUNCATED;
			break;
		}
		out[used++] = (uint8_t)l;
		memcpy(out + used, sn, l);
		used += l;
	}
	if (names)
		api.DecRef(names);
	api.Err_Clear();
	*len = (uint16_t)used;
	return i;
}

/* 3.11: the code unit of the first RESUME (opcode 151) in the bytecode,
 * after the prologue (COPY_FREE_VARS, MAKE_CELL, RETURN_GENERATOR,
 * POP_TOP: no inline caches); START_UNKNOWN beyond. */
static uint32_t
first_resume(PyObject *code)
{
	PyObject *b = api.Object_GetAttrString(code, "co_code");
	char *s = NULL;
	Py_ssize_t n = 0;
	uint32_t u = START_UNKNOWN;

	if (b && api.Bytes_AsStringAndSize(b, &s, &n) == 0) {
		for (Py_ssize_t i = 0; i + 1 < n && i / 2 < START_UNKNOWN; i += 2)
			if ((uint8_t)s[i] == 151) {
				u = (uint32_t)(i / 2);
				break;
			}
	}
	api.Err_Clear();
	if (b)
		api.DecRef(b);
	return u;
}

/* First sight of CODE in this session: give it an id, send its CODE
 * record.  Returns the id (with the start unit in bits 24..31), or 0
 * (event to be dropped). */
uint32_t
register_code(PyObject *code)
{
	PyObject *et, *ev, *etb;
	PyObject *fn, *nm, *qn, *lt, *mod = NULL, *globals;
	const char *sfn, *snm, *sqn, *smod;
	char *blt = NULL;
	Py_ssize_t nlt = 0;
	uint16_t flags = 0;
	struct pytap_rec_code r;
	static uint8_t params[PARAMS_MAX];
	uint32_t start = 255;
	uint32_t id = 0, size;
	uint8_t *p;

	if (g_codes_live >= g_max_codes || g_next_id >= ID_MAX) {
		g_codes_over++;
		__atomic_store_n(&g_hdr->codes_over, g_codes_over, __ATOMIC_RELAXED);
		return 0;
	}
	api.Err_Fetch(&et, &ev, &etb);
	fn = api.Object_GetAttrString(code, "co_filename");
	nm = api.Object_GetAttrString(code, "co_name");
	qn = api.Object_GetAttrString(code, "co_qualname");
	lt = api.Object_GetAttrString(code, "co_linetable");
	api.Err_Clear();
	globals = g_code_globals ? g_code_globals : api.Eval_GetGlobals();
	if (globals)
		mod = api.Dict_GetItemString(globals, "__name__");
	api.Err_Clear();
	memset(&r, 0, sizeof r);
	r.firstlineno = (uint32_t)long_attr(code, "co_firstlineno");
	r.co_flags = (uint32_t)long_attr(code, "co_flags");
	sfn = utf8_of(fn, PYTAP_CODE_MAX_STR, &r.filename_len, &flags);
	snm = utf8_of(nm, PYTAP_CODE_MAX_STR, &r.name_len, &flags);
	sqn = utf8_of(qn, PYTAP_CODE_MAX_STR, &r.qualname_len, &flags);
	smod = utf8_of(mod, PYTAP_CODE_MAX_STR, &r.module_len, &flags);
	if (!lt || api.Bytes_AsStringAndSize(lt, &blt, &nlt) < 0) {
		api.Err_Clear();
		nlt = 0;
	}
	if (nlt > PYTAP_CODE_MAX_LINETABLE) {
		nlt = PYTAP_CODE_MAX_LINETABLE;
		flags |= PYTAP_F_CODE_TRUNCATED;
	}
	r.linetable_len = (uint32_t)nlt;
	if (g_py311)
		start = r.co_flags & 0x2a0 ? START_GEN | first_resume(code) : 0;
	r.nparams = (uint16_t)code_params(code, r.co_flags, params, &r.params_len, &flags);
	nparams_keep(g_next_id + 1, nparams_of(code, r.co_flags));
	size = (uint32_t)PYTAP_REC_ALIGN(sizeof r + r.filename_len + r.name_len +
					 r.qualname_len + r.module_len + r.linetable_len +
					 r.params_len);
	/* Nothing that can run Python or free objects between alloc and
	 * commit, except SetExtra (it may free an older session's value: our
	 * code_freed ignores those). */
	p = size <= g_size / 2 ? ring_alloc(size) : NULL;
	if (p) {
		id = ++g_next_id;
		if (api.Code_SetExtra(code, g_extra_index,
				      (void *)(uintptr_t)((uint64_t)g_session << 32 |
							  (uint64_t)start << 24 | id)) < 0) {
			api.Err_Clear();
			g_next_id--;
			ring_abandon();
			id = 0;
		} else {
			uint8_t *q = p + sizeof r;
			r.h.size = size;
			r.h.kind = PYTAP_REC_CODE;
			r.h.flags = flags;
			r.code = id;
			memcpy(q, sfn, r.filename_len), q += r.filename_len;
			memcpy(q, snm, r.name_len), q += r.name_len;
			memcpy(q, sqn, r.qualname_len), q += r.qualname_len;
			memcpy(q, smod, r.module_len), q += r.module_len;
			if (nlt)
				memcpy(q, blt, (size_t)nlt), q += nlt;
			memcpy(q, params, r.params_len), q += r.params_len;
			memset(q, 0, (size_t)(p + size - q));
			memcpy(p, &r, sizeof r);
			ring_commit();
			g_codes_live++;
			__atomic_store_n(&g_hdr->codes_live, g_codes_live, __ATOMIC_RELAXED);
			id |= start << 24;
		}
	}
	if (fn)
		api.DecRef(fn);
	if (nm)
		api.DecRef(nm);
	if (qn)
		api.DecRef(qn);
	if (lt)
		api.DecRef(lt);
	api.Err_Restore(et, ev, etb);
	return id;
}
