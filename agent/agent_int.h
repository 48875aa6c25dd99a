/*
 * agent_int.h - what agent.c and values.c share: the few CPython C-API
 * functions the agent uses, declared with opaque types and found at run
 * time (agent.c: resolve()).  No Python.h, no structure layouts.
 */
#ifndef PYTAP_AGENT_INT_H
#define PYTAP_AGENT_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- the C API, declared here with opaque types ------------------------ */

typedef struct PyObject PyObject;
typedef ssize_t Py_ssize_t;
typedef int (*Py_tracefunc)(PyObject *, PyObject *, int, PyObject *);
typedef void (*freefunc)(void *);
struct method_def {             /* PyMethodDef: part of the stable ABI */
	const char *ml_name;
	void *ml_meth;
	int ml_flags;
	const char *ml_doc;
};
#define METH_NOARGS 0x0004
#define METH_FASTCALL 0x0080
#define PyTrace_CALL 0
#define PyTrace_EXCEPTION 1
#define PyTrace_LINE 2
#define PyTrace_RETURN 3
#define PyTrace_C_CALL 4
#define PyTrace_C_EXCEPTION 5

/* sys.monitoring.events (the same bits in 3.12 and 3.13) */
#define MON_PY_START (1 << 0)
#define MON_PY_RESUME (1 << 1)
#define MON_PY_RETURN (1 << 2)
#define MON_PY_YIELD (1 << 3)
#define MON_RAISE (1 << 10)
#define MON_EXCEPTION_HANDLED (1 << 11)
#define MON_PY_UNWIND (1 << 12)
#define MON_PY_THROW (1 << 13)

struct api {
	int (*GILState_Check)(void);
	void (*Err_Fetch)(PyObject **, PyObject **, PyObject **);
	void (*Err_Restore)(PyObject *, PyObject *, PyObject *);
	void (*Err_Clear)(void);
	void (*IncRef)(PyObject *);
	void (*DecRef)(PyObject *);
	PyObject *(*Object_GetAttrString)(PyObject *, const char *);
	PyObject *(*Object_Type)(PyObject *);
	PyObject *(*Object_CallObject)(PyObject *, PyObject *);
	PyObject *(*Object_CallFunction)(PyObject *, const char *, ...);
	const char *(*Unicode_AsUTF8AndSize)(PyObject *, Py_ssize_t *);
	int (*Bytes_AsStringAndSize)(PyObject *, char **, Py_ssize_t *);
	long (*Long_AsLong)(PyObject *);
	PyObject *(*Sys_GetObject)(const char *);
	PyObject *(*Module_GetDict)(PyObject *);
	PyObject *(*Dict_GetItemString)(PyObject *, const char *);
	PyObject *(*CFunction_NewEx)(struct method_def *, PyObject *, PyObject *);
	void *(*Interp_Get)(void);
	void *(*Interp_ThreadHead)(void *);
	void *(*ThreadState_Next)(void *);
	Py_ssize_t (*RequestCodeExtraIndex)(freefunc);
	int (*Code_GetExtra)(PyObject *, Py_ssize_t, void **);
	int (*Code_SetExtra)(PyObject *, Py_ssize_t, void *);
	PyObject *(*Eval_GetGlobals)(void);
	int (*AddPendingCall)(int (*)(void *), void *);
	int (*AtExit)(void (*)(void));
	int (*SetProfile)(void *, Py_tracefunc, PyObject *);
	int (*SetTrace)(void *, Py_tracefunc, PyObject *);
	PyObject *(*Frame_GetCode)(PyObject *);
	PyObject *(*Frame_GetGenerator)(PyObject *);
	PyObject *(*Object_GetAttr)(PyObject *, PyObject *);
	PyObject *(*Unicode_InternFromString)(const char *);
	PyObject *(*Code_GetVarnames)(PyObject *);
	PyObject *(*Frame_GetLocals)(PyObject *);
	PyObject *(*Eval_GetFrame)(void);
	PyObject *(*Object_GetItem)(PyObject *, PyObject *);
	PyObject *(*Tuple_GetItem)(PyObject *, Py_ssize_t);
	PyObject *(*Exception_GetArgs)(PyObject *);
	PyObject *(*Frame_GetVar)(PyObject *, PyObject *);
	PyObject *gen_type;
	PyObject *coro_type;
	int (*Frame_GetLasti)(PyObject *);
	PyObject *(*Frame_GetBack)(PyObject *);
	PyObject *(*Frame_GetGlobals)(PyObject *);
	PyObject *none;
	PyObject *true_obj;
	PyObject *cfunction_type;
	const unsigned long *py_version;
};
extern struct api api;


/* values.c */
struct value_limits {
	unsigned depth;         /* containers nested deeper: PYTAP_VAL_DEPTH */
	unsigned max_string;    /* bytes of a str/bytes/int text sent */
	unsigned max_items;     /* items of a container sent */
};
/* Encodes O (see ring.h, VALUE ENCODING) into buf; returns the bytes
 * used (<= cap; a value that does not fit ends in PYTAP_VAL_CUT, and
 * *cut is set).  O NULL: PYTAP_VAL_ERROR.  GIL held; runs no Python code;
 * any exception it causes is cleared. */
size_t value_encode(PyObject *o, uint8_t *buf, size_t cap, const struct value_limits *lim,
		    int *cut);
/* The same for an exception: its type name and address, then ARGS (its
 * args tuple, or NULL: ERROR). */
size_t value_encode_exception(PyObject *exc, PyObject *args, uint8_t *buf, size_t cap,
			      const struct value_limits *lim, int *cut);
int values_resolve(char *missing, size_t cap);

/* Value capture state (values.c; written under the GIL by the hooks). */
extern int g_values;
extern PyObject *g_code_globals; /* set while note_caller registers a caller's code */
extern struct value_limits g_vlim;
extern uint8_t g_vbuf[];
extern size_t g_vlen;
extern uint32_t g_vcount;
extern uint16_t g_vflags;
extern uint32_t *g_nparams;
extern size_t g_nparams_cap;
long long_attr(PyObject *code, const char *name);
uint32_t nparams_of(PyObject *code, uint32_t co_flags);
unsigned param_index(unsigned i, uint32_t shape);
void nparams_keep(uint32_t id, uint32_t shape);
void capture_args(PyObject *frame, PyObject *code, uint32_t id);
void capture_value(PyObject *o, int exc);


/* codes.c, agent.c: the session's code ids. */
/* The co_extra value: session << 32 | start << 24 | id.  start (3.11):
 * START_GEN for generator-like code, or'ed with the code unit of its first
 * RESUME, where the first run's profile event stands (a resumed generator
 * stands at a later one). */
#define ID_MASK 0xffffffu
#define ID_MAX ID_MASK
#define START_GEN 0x80u         /* 3.11: a generator, coroutine or async generator */
#define START_UNIT 0x7fu
#define START_UNKNOWN 0x7fu     /* the first RESUME is beyond unit 126 */
extern int g_py311, g_running;
extern Py_ssize_t g_extra_index;
extern uint32_t g_session, g_next_id, g_max_codes;
void code_freed(void *extra);
/* First sight of CODE in this session: its id (start unit in bits
 * 24..31) after its CODE record, or 0 (the event is dropped). */
uint32_t register_code(PyObject *code);

#endif
