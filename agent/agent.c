/*
 * agent.c - libpytap-agent.so: the part of pytap that runs inside the
 * traced Python process.  It installs the interpreter's own C-level hook
 * (3.11: _PyEval_SetProfile on every thread state; 3.12+: sys.monitoring
 * with a tool id of its own) and writes compact records into a shared
 * memory ring that pytap reads (format and ABI: ring.h).
 *
 * One binary for CPython 3.11, 3.12 and 3.13: no Python.h, no libpython
 * at link time, no structure layouts.  Every C-API function it needs is
 * found at run time with dlsym(RTLD_DEFAULT) (exported by the static
 * /usr/bin/python3.11 and by the shared libpython3.1x.so of other builds).
 *
 * Rules kept everywhere: no Python code runs on the agent's behalf (no
 * imports, no __repr__, only attribute reads on code objects, whose type
 * cannot be subclassed; the sys.monitoring functions are checked to be the
 * built-ins before being called); an exception pending in the thread is
 * saved and restored around anything that may set one; every record is
 * written under the GIL (single producer); a full ring drops and counts.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

#include "ring.h"

#define EXPORT __attribute__((visibility("default")))
#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

_Static_assert(sizeof(void *) == 8, "the agent stores session<<32|id in co_extra");
_Static_assert(sizeof(struct pytap_rec_event) == 32, "event record size");
_Static_assert(sizeof(struct pytap_ring_hdr) <= PYTAP_RING_HDR_SIZE, "header fits its page");

#include "agent_int.h"

struct api api;

/* Which versions need a symbol. */
#define NEED_ALL 0
#define NEED_311 1
#define NEED_NONE 2     /* optional */
static const struct sym {
	const char *name;
	const char *alt;        /* another name for the same function (3.12+) */
	size_t off;
	int need;
} syms[] = {
#define S(f, n, a, w) { n, a, offsetof(struct api, f), w }
	S(GILState_Check, "PyGILState_Check", NULL, NEED_ALL),
	S(Err_Fetch, "PyErr_Fetch", NULL, NEED_ALL),
	S(Err_Restore, "PyErr_Restore", NULL, NEED_ALL),
	S(Err_Clear, "PyErr_Clear", NULL, NEED_ALL),
	S(IncRef, "Py_IncRef", NULL, NEED_ALL),
	S(DecRef, "Py_DecRef", NULL, NEED_ALL),
	S(Object_GetAttrString, "PyObject_GetAttrString", NULL, NEED_ALL),
	S(Object_Type, "PyObject_Type", NULL, NEED_ALL),
	S(Object_CallObject, "PyObject_CallObject", NULL, NEED_ALL),
	S(Object_CallFunction, "PyObject_CallFunction", NULL, NEED_ALL),
	S(Unicode_AsUTF8AndSize, "PyUnicode_AsUTF8AndSize", NULL, NEED_ALL),
	S(Bytes_AsStringAndSize, "PyBytes_AsStringAndSize", NULL, NEED_ALL),
	S(Long_AsLong, "PyLong_AsLong", NULL, NEED_ALL),
	S(Sys_GetObject, "PySys_GetObject", NULL, NEED_ALL),
	S(Module_GetDict, "PyModule_GetDict", NULL, NEED_ALL),
	S(Dict_GetItemString, "PyDict_GetItemString", NULL, NEED_ALL),
	S(CFunction_NewEx, "PyCFunction_NewEx", NULL, NEED_ALL),
	S(Interp_Get, "PyInterpreterState_Get", NULL, NEED_ALL),
	S(Interp_ThreadHead, "PyInterpreterState_ThreadHead", NULL, NEED_ALL),
	S(ThreadState_Next, "PyThreadState_Next", NULL, NEED_ALL),
	S(RequestCodeExtraIndex, "PyUnstable_Eval_RequestCodeExtraIndex",
	  "_PyEval_RequestCodeExtraIndex", NEED_ALL),
	S(Code_GetExtra, "PyUnstable_Code_GetExtra", "_PyCode_GetExtra", NEED_ALL),
	S(Code_SetExtra, "PyUnstable_Code_SetExtra", "_PyCode_SetExtra", NEED_ALL),
	S(Eval_GetGlobals, "PyEval_GetGlobals", NULL, NEED_ALL),
	S(AddPendingCall, "Py_AddPendingCall", NULL, NEED_ALL),
	S(AtExit, "Py_AtExit", NULL, NEED_ALL),
	S(true_obj, "_Py_TrueStruct", NULL, NEED_ALL),
	S(SetProfile, "_PyEval_SetProfile", NULL, NEED_311),
	S(SetTrace, "_PyEval_SetTrace", NULL, NEED_NONE),
	S(Frame_GetCode, "PyFrame_GetCode", NULL, NEED_311),
	S(Frame_GetLasti, "PyFrame_GetLasti", NULL, NEED_311),
	S(Frame_GetGenerator, "PyFrame_GetGenerator", NULL, NEED_311),
	S(Frame_GetBack, "PyFrame_GetBack", NULL, NEED_NONE),
	S(Frame_GetGlobals, "PyFrame_GetGlobals", NULL, NEED_NONE),
	S(Object_GetAttr, "PyObject_GetAttr", NULL, NEED_ALL),
	S(Unicode_InternFromString, "PyUnicode_InternFromString", NULL, NEED_ALL),
	S(Code_GetVarnames, "PyCode_GetVarnames", NULL, NEED_ALL),
	S(Frame_GetLocals, "PyFrame_GetLocals", NULL, NEED_ALL),
	S(Eval_GetFrame, "PyEval_GetFrame", NULL, NEED_ALL),
	S(Object_GetItem, "PyObject_GetItem", NULL, NEED_ALL),
	S(Tuple_GetItem, "PyTuple_GetItem", NULL, NEED_ALL),
	S(Exception_GetArgs, "PyException_GetArgs", NULL, NEED_NONE),
	S(Frame_GetVar, "PyFrame_GetVar", NULL, NEED_NONE),
	S(gen_type, "PyGen_Type", NULL, NEED_ALL),
	S(coro_type, "PyCoro_Type", NULL, NEED_ALL),
	S(none, "_Py_NoneStruct", NULL, NEED_ALL),
	S(cfunction_type, "PyCFunction_Type", NULL, NEED_ALL),
#undef S
};

EXPORT struct pytap_agent_status pytap_agent_status = {
	.abi_version = PYTAP_RING_VERSION, .tool_id = 0xffffffffu,
};

/* ---- state --------------------------------------------------------------
 * Everything below is read and written under the GIL, except where marked
 * "atomic" (shared with the watchdog thread). */

static int g_resolved;          /* api filled */
int g_py311;             /* 3.11 (profile hook) vs 3.12+ (monitoring) */
Py_ssize_t g_extra_index = -1;   /* co_extra slot, once per process */
static PyObject *g_marker;      /* 3.11: c_profileobj of our hook */
static PyObject *g_gi_suspended, *g_cr_suspended;  /* 3.11: interned names */
#define NMON 8
static PyObject *g_mon_cb[NMON]; /* 3.12+: the callbacks, made once */
static PyObject *g_mon_fn_register, *g_mon_fn_set_events, *g_mon_fn_free;

int g_running;           /* a session exists (ring mapped) */
static int g_installed;         /* hooks installed (also in a forked child) */
static int g_active;            /* atomic: hooks record (0: they do nothing) */
static int g_dying;             /* atomic: the watchdog asked for the end */
static int g_end_state;         /* atomic: PYTAP_STATE_* for that end */
static int g_finished;          /* atomic: the session has been torn down */
static int g_forked;            /* this is a child forked during a session */
uint32_t g_session;
static uint32_t g_events;
int g_values;                   /* PYTAP_OPT_VALUES (agent_int.h) */
static int g_caller;            /* PYTAP_OPT_CALLER */
static int g_caller_set;        /* the next ENTRY has a CALLER record: */
static uint32_t g_caller_code, g_caller_off;
PyObject *g_code_globals;       /* a caller's code: its frame's globals (the module) */
static int g_tool_id = -1;
static void *g_interp;
static void *g_last_head;       /* 3.11: thread list head when last looked */

struct pytap_ring_hdr *g_hdr;
uint8_t *g_data;
uint64_t g_size, g_mask;
uint64_t g_wpos;         /* write position (not yet published) */
uint64_t g_tail;         /* last tail read */
uint64_t g_dropped, g_lost, g_codes_over, g_codes_live;
uint32_t g_next_id, g_max_codes;
static int g_clock;

static int g_memfd = -1;        /* atomic exchange: closed by watchdog or stop */
static int g_pidfd = -1, g_evfd = -1;
static pthread_t g_watchdog;
static uint32_t g_pytap_pid;            /* without pidfd: watched by /proc */
static unsigned long long g_pytap_start; /* its start time (field 22) */
static int g_watchdog_started;
static int g_atexit_registered;

static __thread uint32_t t_tid;

/* ---- small helpers ----------------------------------------------------- */

static uint32_t
cur_tid(void)
{
	uint32_t t = t_tid;
	if (UNLIKELY(t == 0))
		t = t_tid = (uint32_t)syscall(SYS_gettid);
	return t;
}

static uint64_t
mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t
now(void)
{
#if defined(__x86_64__)
	if (LIKELY(g_clock == PYTAP_CLOCK_TSC))
		return __rdtsc();
#endif
	return mono_ns();
}

/* A (tsc, ns) pair, the TSC read on both sides of clock_gettime. */
static void
clock_pair(uint64_t *tsc, uint64_t *ns)
{
#if defined(__x86_64__)
	uint64_t a = __rdtsc();
	*ns = mono_ns();
	uint64_t b = __rdtsc();
	*tsc = a + (b - a) / 2;
#else
	*tsc = *ns = mono_ns();
#endif
}

static void
sync_clock(int base)
{
	uint64_t tsc, ns;
	struct pytap_ring_hdr *h = g_hdr;

	if (!h || g_clock != PYTAP_CLOCK_TSC)
		return;
	clock_pair(&tsc, &ns);
	__atomic_store_n(&h->sync_seq, h->sync_seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	if (base) {
		h->sync_base_tsc = tsc;
		h->sync_base_ns = ns;
	}
	h->sync_last_tsc = tsc;
	h->sync_last_ns = ns;
	__atomic_store_n(&h->sync_seq, h->sync_seq + 1, __ATOMIC_RELEASE);
}

/* The kernel trusts the TSC as its clock source: so may we. */
static int
tsc_usable(void)
{
#if defined(__x86_64__)
	char buf[32] = "";
	int fd = open("/sys/devices/system/clocksource/clocksource0/current_clocksource",
		      O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	return n >= 3 && strncmp(buf, "tsc", 3) == 0 && (n == 3 || buf[3] == '\n');
#else
	return 0;
#endif
}

static int
fail(int code, int64_t detail)
{
	pytap_agent_status.last_error = code;
	pytap_agent_status.detail = detail;
	return code;
}

#include "ring_prod.h"

static inline uint32_t
code_id(PyObject *code)
{
	void *extra = NULL;
	uint64_t v;

	api.Code_GetExtra(code, g_extra_index, &extra);
	v = (uint64_t)(uintptr_t)extra;
	if (LIKELY(v != 0 && (uint32_t)(v >> 32) == g_session))
		return (uint32_t)v;     /* start << 24 | id */
	return register_code(code);
}

/* The event, then (with values on) its VALUE record from g_vbuf. */
static inline void
emit(uint16_t kind, uint16_t flags, uint32_t id, uint64_t t, uint32_t off)
{
	uint32_t vsize = g_values ? (uint32_t)PYTAP_REC_ALIGN(sizeof(struct pytap_rec_value) + g_vlen) : 0;
	uint32_t csize = UNLIKELY(g_caller_set) ? sizeof(struct pytap_rec_caller) : 0;
	struct pytap_rec_event *r = ring_alloc(csize + sizeof *r + vsize);

	g_caller_set = 0;
	if (UNLIKELY(!r)) {
		if (vsize)
			ring_drop();
		if (csize)
			ring_drop();
		return;
	}
	if (UNLIKELY(csize)) {
		struct pytap_rec_caller *c = (struct pytap_rec_caller *)r;
		c->h.size = csize;
		c->h.kind = PYTAP_REC_CALLER;
		c->h.flags = 0;
		c->code = g_caller_code;
		c->offset = g_caller_off;
		r = (struct pytap_rec_event *)(c + 1);
	}
	if (vsize) {
		struct pytap_rec_value *vr = (struct pytap_rec_value *)(r + 1);
		vr->h.size = vsize;
		vr->h.kind = PYTAP_REC_VALUE;
		vr->h.flags = g_vflags;
		vr->count = g_vcount;
		vr->len = (uint32_t)g_vlen;
		memcpy(vr + 1, g_vbuf, g_vlen);
		memset((uint8_t *)(vr + 1) + g_vlen, 0, vsize - sizeof *vr - g_vlen);
	}
	r->h.size = sizeof *r;
	r->h.kind = kind;
	r->h.flags = flags;
	r->tid = cur_tid();
	r->code = id;
	r->time = t;
	r->offset = off;
	r->reserved = 0;
	ring_commit();
}

/* An exception event, always with its VALUE record (the exception). */
static void
emit_exc(uint16_t kind, uint32_t id, uint64_t t, uint32_t off, PyObject *exc)
{
	int saved = g_values;

	capture_value(exc, 1);
	g_values = 1;
	emit(kind, 0, id, t, off);
	g_values = saved;
}

/* PYTAP_OPT_CALLER: the Python frame under FRAME and where it stands (its
 * call), for the CALLER record of the next ENTRY (code 0: none).  May
 * write the CODE record of the caller's code. */
static void
note_caller(PyObject *frame)
{
	PyObject *back = frame && api.Frame_GetBack && api.Frame_GetLasti &&
			 api.Frame_GetCode && api.Frame_GetGlobals ?
			 api.Frame_GetBack(frame) : NULL;
	int lasti;

	g_caller_code = 0;
	g_caller_off = 0;
	if (back) {
		PyObject *code = api.Frame_GetCode(back);
		lasti = api.Frame_GetLasti(back);
		if (code) {
			g_code_globals = api.Frame_GetGlobals(back);
			g_caller_code = code_id(code) & ID_MASK;
			if (g_code_globals)
				api.DecRef(g_code_globals);
			else
				api.Err_Clear();
			g_code_globals = NULL;
			api.DecRef(code);   /* the frame keeps it alive */
		}
		g_caller_off = lasti >= 0 ? (uint32_t)lasti : 0;
		api.DecRef(back);
	}
	g_caller_set = 1;
}

/* ---- installing and removing the hooks (GIL held) ---------------------- */

static int hook311(PyObject *obj, PyObject *frame, int what, PyObject *arg);
static int trace311(PyObject *obj, PyObject *frame, int what, PyObject *arg);
static int g_trace311;          /* 3.11: our trace function is installed too */

/* 3.11: give our hook to the thread states created since the last look:
 * they are inserted at the head of the interpreter's list.  Returns how
 * many refused it (an audit hook can refuse sys.setprofile/settrace). */
static int
adopt_threads(void *head)
{
	PyObject *et, *ev, *etb;
	void *ts;
	int refused = 0;

	api.Err_Fetch(&et, &ev, &etb);
	for (ts = head; ts && ts != g_last_head; ts = api.ThreadState_Next(ts)) {
		if (api.SetProfile(ts, hook311, g_marker) < 0) {
			api.Err_Clear();
			refused++;
		}
		if (g_trace311 && api.SetTrace(ts, trace311, g_marker) < 0) {
			api.Err_Clear();
			refused++;
		}
	}
	g_last_head = head;
	api.Err_Restore(et, ev, etb);
	return refused;
}

static void
mon_call(PyObject *fn, const char *fmt, int a, int b, PyObject *c)
{
	PyObject *r = api.Object_CallFunction(fn, fmt, a, b, c);
	if (r)
		api.DecRef(r);
	else
		api.Err_Clear();
}

static const int mon_events[NMON] = {
	MON_PY_START, MON_PY_RESUME, MON_PY_THROW,
	MON_PY_RETURN, MON_PY_YIELD, MON_PY_UNWIND,
	MON_RAISE, MON_EXCEPTION_HANDLED,
};
static const uint32_t mon_want[NMON] = {
	PYTAP_EV_ENTRY, PYTAP_EV_ENTRY, PYTAP_EV_ENTRY,
	PYTAP_EV_RETURN, PYTAP_EV_RETURN, PYTAP_EV_RETURN,
	PYTAP_EV_RAISE, PYTAP_EV_HANDLED,
};

static void
remove_hooks(void)
{
	PyObject *et, *ev, *etb;

	if (!g_installed)
		return;
	api.Err_Fetch(&et, &ev, &etb);
	if (g_py311) {
		void *ts;
		for (ts = api.Interp_ThreadHead(g_interp); ts; ts = api.ThreadState_Next(ts)) {
			if (api.SetProfile(ts, NULL, NULL) < 0)
				api.Err_Clear();
			if (g_trace311 && api.SetTrace(ts, NULL, NULL) < 0)
				api.Err_Clear();
		}
		g_trace311 = 0;
	} else {
		mon_call(g_mon_fn_set_events, "ii", g_tool_id, 0, NULL);
		for (int i = 0; i < NMON; i++)
			mon_call(g_mon_fn_register, "iiO", g_tool_id, mon_events[i], api.none);
		mon_call(g_mon_fn_free, "i", g_tool_id, 0, NULL);
		g_tool_id = -1;
	}
	api.Err_Restore(et, ev, etb);
	g_installed = 0;
}

static void
close_fd(int *fd)
{
	int f = __atomic_exchange_n(fd, -1, __ATOMIC_ACQ_REL);
	if (f >= 0)
		close(f);
}

/* No more events; the watchdog told and joined. */
static void
stop_watchdog(void)
{
	__atomic_store_n(&g_active, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&g_finished, 1, __ATOMIC_RELEASE);
	if (g_watchdog_started) {
		uint64_t one = 1;
		if (write(g_evfd, &one, sizeof one) < 0) {
			/* the watchdog also wakes every PYTAP_WATCHDOG_MS and
			 * sees g_finished */
		}
		pthread_join(g_watchdog, NULL);
		g_watchdog_started = 0;
	}
}

static void unmake_ring(void);

/* The last steps of an end: the clock's last pair and STATE published,
 * the ring unmapped, the descriptors closed. */
static void
publish_end(int state)
{
	sync_clock(0);
	__atomic_store_n(&g_hdr->agent_state, (uint32_t)state, __ATOMIC_RELEASE);
	pytap_agent_status.state = (uint32_t)state;
	unmake_ring();
	g_running = 0;
}

/* End the session: hooks out, watchdog joined, state published, ring
 * unmapped.  GIL held; idempotent. */
static void
finish(int state)
{
	if (!g_running)
		return;
	stop_watchdog();
	remove_hooks();
	if (g_lost) {   /* the last word: how many were lost at the end */
		struct pytap_rec_lost *l = ring_space(sizeof *l);
		if (l) {
			l->h.size = sizeof *l;
			l->h.kind = PYTAP_REC_LOST;
			l->h.flags = 0;
			l->count = g_lost;
			g_lost = 0;
			ring_commit();
		}
	}
	publish_end(state);
}

/* A hook called while inactive: end what the watchdog or a fork began. */
static void
inactive_event(void)
{
	if (g_forked) {
		remove_hooks();
		return;
	}
	if (__atomic_load_n(&g_dying, __ATOMIC_ACQUIRE))
		finish(__atomic_load_n(&g_end_state, __ATOMIC_RELAXED));
}

static int
pending_finish(void *arg)
{
	if (g_running && (uint32_t)(uintptr_t)arg == g_session &&
	    __atomic_load_n(&g_dying, __ATOMIC_ACQUIRE))
		finish(__atomic_load_n(&g_end_state, __ATOMIC_RELAXED));
	return 0;
}

/* ---- the hooks ----------------------------------------------------------- */

/* 3.11: is this return event of a generator or coroutine frame a yield?
 * YIELD_VALUE marks the generator suspended before the profile call; a
 * return does not.  (3.11's async generators have no ag_suspended: their
 * yields are not told apart.) */
static int
is_yield311(PyObject *frame)
{
	PyObject *gen = api.Frame_GetGenerator(frame), *t, *name = NULL, *r;
	int y = 0;

	if (!gen)
		return 0;
	t = api.Object_Type(gen);
	if (t == api.gen_type)
		name = g_gi_suspended;
	else if (t == api.coro_type)
		name = g_cr_suspended;
	if (t)
		api.DecRef(t);
	if (name) {
		r = api.Object_GetAttr(gen, name);
		if (r) {
			y = r == api.true_obj;
			api.DecRef(r);
		} else {
			api.Err_Clear();
		}
	}
	api.DecRef(gen);
	return y;
}

/* 3.11, exception events: the trace function (PyEval_SetTrace), the only
 * C-level hook that sees exceptions there.  'exception' is the RAISE
 * (as sys.settrace sees it: in the frame that raised, then in each frame
 * it propagates into); the first 'line' event of that frame after it is
 * the handler taking it (HANDLED); the frame's 'return' ends the wait (it
 * unwound: the profile hook's return event, which follows at once, takes
 * the exception as the unwind's value).  Per thread: the frame waiting
 * and its exception already encoded (no reference is held: nothing of
 * the program is kept alive, nothing is left to release at the end). */
#define EXC_KEEP 1024
static __thread PyObject *t_exc_frame;      /* waits for its handler */
static __thread PyObject *t_unwound_frame;  /* its return was just seen */
static __thread uint32_t t_exc_len;
static __thread uint8_t t_exc_buf[EXC_KEEP];

/* The kept exception into g_vbuf (as capture_value would put it). */
static void
exc_restore(void)
{
	memcpy(g_vbuf, t_exc_buf, t_exc_len);
	g_vlen = t_exc_len;
	g_vcount = 1;
	g_vflags = PYTAP_F_VALUE_EXC;
}

static int
hook311(PyObject *obj, PyObject *frame, int what, PyObject *arg)
{
	uint16_t kind, flags = 0;
	uint64_t t;
	PyObject *code;
	uint32_t id;
	int lasti;
	uint32_t start;
	void *head;

	(void)obj;
	if (UNLIKELY(!__atomic_load_n(&g_active, __ATOMIC_RELAXED))) {
		inactive_event();
		return 0;
	}
	if (what == PyTrace_C_CALL || what == PyTrace_C_EXCEPTION)
		return 0;
	/* A new thread state goes to the head of the list, made by a C call
	 * (_thread.start_new_thread): look after C calls and at every event. */
	head = api.Interp_ThreadHead(g_interp);
	if (UNLIKELY(head != g_last_head))
		adopt_threads(head);
	if (what == PyTrace_CALL)
		kind = PYTAP_REC_ENTRY;
	else if (what == PyTrace_RETURN)
		kind = PYTAP_REC_RETURN;
	else
		return 0;
	if (!(g_events & (kind == PYTAP_REC_ENTRY ? PYTAP_EV_ENTRY : PYTAP_EV_RETURN)))
		return 0;
	t = now();
	code = api.Frame_GetCode(frame);
	api.DecRef(code);       /* the frame keeps it alive */
	id = code_id(code);
	if (UNLIKELY(!id))
		return 0;
	start = id >> 24;       /* START_GEN | first RESUME unit */
	id &= ID_MASK;
	if (kind == PYTAP_REC_RETURN) {
		lasti = api.Frame_GetLasti(frame);
		if (!arg)
			flags = PYTAP_F_EXC;
		else if ((start & START_GEN) && is_yield311(frame))
			flags = PYTAP_F_YIELD;
	} else if (start & START_GEN) {
		lasti = api.Frame_GetLasti(frame);
		start &= START_UNIT;
		if (start == START_UNKNOWN ? lasti > 0 : lasti != (int)(start * 2))
			flags = PYTAP_F_RESUME;  /* not at the first RESUME: it goes on */
	} else {
		lasti = -1;     /* a plain function's entry: no offset */
	}
	if (UNLIKELY(g_caller) && kind == PYTAP_REC_ENTRY)
		note_caller(frame);
	if (UNLIKELY(g_values)) {
		/* a resume has no VALUE record */
		int with = kind == PYTAP_REC_RETURN || !(flags & PYTAP_F_RESUME);
		if (kind == PYTAP_REC_ENTRY && with)
			capture_args(frame, code, id);
		else if (with && !arg && frame == t_unwound_frame)
			exc_restore();          /* the trace hook saw it */
		else if (with)
			capture_value(arg, 0);
		if (!with) {
			g_values = 0;
			emit(kind, flags, id, t, lasti < 0 ? 0xffffffffu : (uint32_t)lasti);
			g_values = 1;
			return 0;
		}
	}
	emit(kind, flags, id, t,
	     lasti < 0 || (kind == PYTAP_REC_ENTRY && !flags) ? 0xffffffffu : (uint32_t)lasti);
	return 0;
}

static int
trace311(PyObject *obj, PyObject *frame, int what, PyObject *arg)
{
	PyObject *code, *exc;
	uint32_t id;
	uint64_t t;
	int keep = (g_events & PYTAP_EV_HANDLED) || (g_values && (g_events & PYTAP_EV_RETURN));

	(void)obj;
	t_unwound_frame = NULL;         /* the profile hook has had it */
	if (UNLIKELY(!__atomic_load_n(&g_active, __ATOMIC_RELAXED))) {
		inactive_event();
		return 0;
	}
	if (what == PyTrace_LINE) {
		if (LIKELY(frame != t_exc_frame))
			return 0;
		t_exc_frame = NULL;
		if (!(g_events & PYTAP_EV_HANDLED))
			return 0;
		t = now();
		code = api.Frame_GetCode(frame);
		api.DecRef(code);       /* the frame keeps it alive */
		id = code_id(code) & ID_MASK;
		if (id) {
			int saved = g_values;
			exc_restore();
			g_values = 1;
			emit(PYTAP_REC_HANDLED, 0, id, t, (uint32_t)api.Frame_GetLasti(frame));
			g_values = saved;
		}
		return 0;
	}
	if (what != PyTrace_EXCEPTION) {
		if (what == PyTrace_RETURN && frame == t_exc_frame) {
			t_exc_frame = NULL;
			t_unwound_frame = frame;
		}
		return 0;
	}
	if (!(g_events & PYTAP_EV_RAISE) && !keep)
		return 0;
	exc = arg ? api.Tuple_GetItem(arg, 1) : NULL;
	if (!exc) {
		api.Err_Clear();
		return 0;
	}
	t = now();
	capture_value(exc, 1);
	if (keep && g_vlen <= EXC_KEEP) {
		memcpy(t_exc_buf, g_vbuf, g_vlen);
		t_exc_len = (uint32_t)g_vlen;
		t_exc_frame = frame;
	} else {
		t_exc_frame = NULL;
	}
	if (g_events & PYTAP_EV_RAISE) {
		code = api.Frame_GetCode(frame);
		api.DecRef(code);
		id = code_id(code) & ID_MASK;
		if (id) {
			int saved = g_values;
			g_values = 1;
			emit(PYTAP_REC_RAISE, 0, id, t, (uint32_t)api.Frame_GetLasti(frame));
			g_values = saved;
		}
	}
	return 0;
}

static inline PyObject *
mon_event(PyObject *const *args, Py_ssize_t nargs, uint16_t kind, uint16_t flags)
{
	if (UNLIKELY(!__atomic_load_n(&g_active, __ATOMIC_RELAXED))) {
		inactive_event();
	} else if (LIKELY(nargs >= 2)) {
		uint64_t t = now();
		uint32_t id = code_id(args[0]) & ID_MASK;
		if (LIKELY(id)) {
			/* a fresh call starts at its first instruction: no offset */
			long off = kind == PYTAP_REC_ENTRY && !flags ? -1 : api.Long_AsLong(args[1]);
			if (UNLIKELY(g_caller) && kind == PYTAP_REC_ENTRY)
				note_caller(api.Eval_GetFrame());
			if (UNLIKELY(g_values)) {
				if (kind == PYTAP_REC_ENTRY && !(flags & PYTAP_F_RESUME)) {
					capture_args(api.Eval_GetFrame(), args[0], id);
				} else if (kind == PYTAP_REC_RETURN && nargs >= 3) {
					capture_value(args[2], (flags & PYTAP_F_EXC) != 0);
				} else {
					g_values = 0;
					emit(kind, flags, id, t, (uint32_t)off);
					g_values = 1;
					goto out;
				}
			}
			emit(kind, flags, id, t, (uint32_t)off);
		}
	}
out:
	/* None is immortal in 3.12+ (PEP 683): no reference to count */
	return api.none;
}

#define MON_CB(name, kind, flags) \
	static PyObject *name(PyObject *self, PyObject *const *args, Py_ssize_t nargs) \
	{ (void)self; return mon_event(args, nargs, kind, flags); }
MON_CB(cb_start, PYTAP_REC_ENTRY, 0)
MON_CB(cb_resume, PYTAP_REC_ENTRY, PYTAP_F_RESUME)
MON_CB(cb_throw, PYTAP_REC_ENTRY, PYTAP_F_RESUME | PYTAP_F_THROW)
MON_CB(cb_return, PYTAP_REC_RETURN, 0)
MON_CB(cb_yield, PYTAP_REC_RETURN, PYTAP_F_YIELD)
MON_CB(cb_unwind, PYTAP_REC_RETURN, PYTAP_F_EXC)

/* 3.12+: RAISE and EXCEPTION_HANDLED (code, offset, exception). */
static PyObject *
mon_exc(PyObject *const *args, Py_ssize_t nargs, uint16_t kind)
{
	if (UNLIKELY(!__atomic_load_n(&g_active, __ATOMIC_RELAXED))) {
		inactive_event();
	} else if (LIKELY(nargs >= 3)) {
		uint64_t t = now();
		uint32_t id = code_id(args[0]) & ID_MASK;
		if (LIKELY(id))
			emit_exc(kind, id, t, (uint32_t)api.Long_AsLong(args[1]), args[2]);
	}
	return api.none;
}

static PyObject *
cb_raise(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
	(void)self;
	return mon_exc(args, nargs, PYTAP_REC_RAISE);
}

static PyObject *
cb_handled(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
	(void)self;
	return mon_exc(args, nargs, PYTAP_REC_HANDLED);
}

static PyObject *
marker_fn(PyObject *self, PyObject *unused)
{
	(void)self, (void)unused;
	api.IncRef(api.none);
	return api.none;
}

static struct method_def mon_defs[NMON] = {
	{ "pytap_py_start", (void *)cb_start, METH_FASTCALL, NULL },
	{ "pytap_py_resume", (void *)cb_resume, METH_FASTCALL, NULL },
	{ "pytap_py_throw", (void *)cb_throw, METH_FASTCALL, NULL },
	{ "pytap_py_return", (void *)cb_return, METH_FASTCALL, NULL },
	{ "pytap_py_yield", (void *)cb_yield, METH_FASTCALL, NULL },
	{ "pytap_py_unwind", (void *)cb_unwind, METH_FASTCALL, NULL },
	{ "pytap_raise", (void *)cb_raise, METH_FASTCALL, NULL },
	{ "pytap_exception_handled", (void *)cb_handled, METH_FASTCALL, NULL },
};
static struct method_def marker_def = {
	"pytap_agent", (void *)marker_fn, METH_NOARGS, NULL
};

/* ---- the watchdog thread (never touches Python, all signals blocked) --- */

/* Without pidfd_open (kernels before 5.3, valgrind): PID's state and start
 * time from /proc/PID/stat; 0 when it does not exist. */
static unsigned long long
proc_start(uint32_t pid, char *state)
{
	char path[64], buf[1024];
	ssize_t n;
	int fd;
	char *p;
	unsigned long long start = 0;

	snprintf(path, sizeof path, "/proc/%u/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	p = strrchr(buf, ')');  /* the name may hold spaces and parentheses */
	if (!p || sscanf(p + 1, " %c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u"
			 " %*d %*d %*d %*d %*d %*d %llu", state, &start) != 2)
		return 0;
	return start;
}

static int
pytap_gone_by_proc(void)
{
	char state = 0;
	unsigned long long st = proc_start(g_pytap_pid, &state);
	return st != g_pytap_start || state == 'Z' || state == 'X';
}

static void *
watchdog(void *arg)
{
	uint32_t session = (uint32_t)(uintptr_t)arg;
	int end = 0;

	pthread_setname_np(pthread_self(), "pytap-agent");

	while (!__atomic_load_n(&g_finished, __ATOMIC_ACQUIRE)) {
		struct pollfd p[2] = {
			{ .fd = g_evfd, .events = POLLIN },
			{ .fd = g_pidfd, .events = POLLIN },
		};
		int n = poll(p, g_pidfd >= 0 ? 2 : 1, PYTAP_WATCHDOG_MS);
		if (__atomic_load_n(&g_finished, __ATOMIC_ACQUIRE))
			return NULL;
		if (n > 0 && (p[0].revents & POLLIN))
			return NULL;
		sync_clock(0);
		if (__atomic_load_n(&g_hdr->mapped, __ATOMIC_ACQUIRE))
			close_fd(&g_memfd);
		if (n > 0 && g_pidfd >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR)))
			end = PYTAP_STATE_DEAD;
		else if (g_pidfd < 0 && g_pytap_pid && pytap_gone_by_proc())
			end = PYTAP_STATE_DEAD;
		else if (__atomic_load_n(&g_hdr->stop_request, __ATOMIC_ACQUIRE))
			end = PYTAP_STATE_STOPPED;
		if (end)
			break;
	}
	if (!end)
		return NULL;
	/* Hooks become no-ops now; the hooks' next call or a pending call in
	 * the main thread removes them (both under the GIL). */
	__atomic_store_n(&g_end_state, end, __ATOMIC_RELAXED);
	__atomic_store_n(&g_dying, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&g_active, 0, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&g_finished, __ATOMIC_ACQUIRE)) {
		if (api.AddPendingCall(pending_finish, (void *)(uintptr_t)session) == 0)
			break;
		/* the pending-call queue is full: try again soon */
		struct pollfd p = { .fd = g_evfd, .events = POLLIN };
		poll(&p, 1, 10);
	}
	return NULL;
}

static void
atfork_child(void)
{
	t_tid = 0;
	if (!g_running)
		return;
	/* Not our ring: the parent's.  Let go of it before any Python runs;
	 * the hooks remove themselves at the child's first event. */
	__atomic_store_n(&g_active, 0, __ATOMIC_RELAXED);
	g_forked = 1;
	g_running = 0;
	g_watchdog_started = 0;
	unmake_ring();
	pytap_agent_status.state = PYTAP_STATE_NONE;
}

/* ---- start and stop ---------------------------------------------------- */

static int
resolve(void)
{
	unsigned long v;

	if (g_resolved)
		return 0;
	for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
		void *p = dlsym(RTLD_DEFAULT, syms[i].name);
		if (!p && syms[i].alt)
			p = dlsym(RTLD_DEFAULT, syms[i].alt);
		*(void **)((char *)&api + syms[i].off) = p;
	}
	api.py_version = dlsym(RTLD_DEFAULT, "Py_Version");
	if (!api.GILState_Check || !api.Interp_Get) {
		snprintf(pytap_agent_status.symbol, sizeof pytap_agent_status.symbol, "%s",
			 api.GILState_Check ? "PyInterpreterState_Get" : "PyGILState_Check");
		return fail(PYTAP_AGENT_ENOPYTHON, 0);
	}
	if (!api.py_version)   /* Py_Version is new in 3.11 */
		return fail(PYTAP_AGENT_EVERSION, 0);
	v = *api.py_version;
	pytap_agent_status.py_version = (uint32_t)v;
	if (v < 0x030b0000 || v >= 0x030e0000)
		return fail(PYTAP_AGENT_EVERSION, (int64_t)v);
	g_py311 = v < 0x030c0000;
	for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++)
		if (syms[i].need == NEED_ALL || (syms[i].need == NEED_311 && g_py311))
			if (!*(void **)((char *)&api + syms[i].off)) {
				snprintf(pytap_agent_status.symbol, sizeof pytap_agent_status.symbol,
					 "%s", syms[i].name);
				return fail(PYTAP_AGENT_ENOPYTHON, 0);
			}
	g_resolved = 1;
	return 0;
}

/* The built-in function NAME of the dict D (borrowed), or NULL when it is
 * missing or not a built-in (replaced by Python code: never call that). */
static PyObject *
builtin_in(PyObject *d, const char *name)
{
	PyObject *f = api.Dict_GetItemString(d, name), *t;
	int ok;

	if (!f)
		return NULL;
	t = api.Object_Type(f);
	ok = t == api.cfunction_type;
	if (t)
		api.DecRef(t);
	return ok ? f : NULL;
}

/* 3.12+: a tool id of our own.  Returns 0 or an error code. */
static int
monitoring_start(void)
{
	PyObject *mon = api.Sys_GetObject("monitoring"), *d;
	PyObject *use, *get_tool;
	static const int ids[] = { 4, 3, 2 };
	int mask = 0;

	if (!mon || !(d = api.Module_GetDict(mon)))
		return fail(PYTAP_AGENT_EMONITORING, 0);
	use = builtin_in(d, "use_tool_id");
	get_tool = builtin_in(d, "get_tool");
	PyObject *fr = builtin_in(d, "free_tool_id");
	PyObject *rc = builtin_in(d, "register_callback");
	PyObject *se = builtin_in(d, "set_events");
	if (!use || !get_tool || !fr || !rc || !se)
		return fail(PYTAP_AGENT_EMONITORING, 1);
	/* our own references: the program may rebind the module's names
	 * before we stop (the built-ins must stay alive for us) */
	PyObject *old[3] = { g_mon_fn_free, g_mon_fn_register, g_mon_fn_set_events };
	api.IncRef(fr);
	api.IncRef(rc);
	api.IncRef(se);
	g_mon_fn_free = fr;
	g_mon_fn_register = rc;
	g_mon_fn_set_events = se;
	for (int i = 0; i < 3; i++)
		if (old[i])
			api.DecRef(old[i]);
	for (int i = 0; i < NMON; i++)
		if (!g_mon_cb[i] && !(g_mon_cb[i] = api.CFunction_NewEx(&mon_defs[i], NULL, NULL)))
			return fail(PYTAP_AGENT_EMONITORING, 2);
	g_tool_id = -1;
	for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
		PyObject *r = api.Object_CallFunction(get_tool, "i", ids[i]);
		int is_free = r == api.none;
		if (r)
			api.DecRef(r);
		else
			api.Err_Clear();
		if (!is_free)
			continue;
		r = api.Object_CallFunction(use, "is", ids[i], "pytap");
		if (r) {
			api.DecRef(r);
			g_tool_id = ids[i];
			break;
		}
		api.Err_Clear();
	}
	if (g_tool_id < 0)
		return fail(PYTAP_AGENT_ETOOLID, 0);
	g_installed = 1;    /* from here on remove_hooks() undoes it */
	for (int i = 0; i < NMON; i++) {
		uint32_t want = mon_want[i];
		PyObject *r;
		if (!(g_events & want))
			continue;
		r = api.Object_CallFunction(g_mon_fn_register, "iiO", g_tool_id,
					     mon_events[i], g_mon_cb[i]);
		if (!r)
			return fail(PYTAP_AGENT_EHOOK, 0);
		api.DecRef(r);
		mask |= mon_events[i];
	}
	PyObject *r = api.Object_CallFunction(g_mon_fn_set_events, "ii", g_tool_id, mask);
	if (!r)
		return fail(PYTAP_AGENT_EHOOK, 1);
	api.DecRef(r);
	pytap_agent_status.tool_id = (uint32_t)g_tool_id;
	return 0;
}

/* 3.11: refuse when this thread already has a profile function. */
static int
profile_start(void)
{
	PyObject *d = api.Sys_GetObject("getprofile"), *r;
	PyObject *t;
	int builtin, busy;

	if (!d)
		return fail(PYTAP_AGENT_EHOOK, 2);
	t = api.Object_Type(d);
	builtin = t == api.cfunction_type;
	if (t)
		api.DecRef(t);
	if (!builtin)
		return fail(PYTAP_AGENT_EHOOK, 3);
	r = api.Object_CallObject(d, NULL);
	if (!r)
		return fail(PYTAP_AGENT_EHOOK, 4);
	busy = r != api.none;
	api.DecRef(r);
	if (busy)
		return fail(PYTAP_AGENT_EPROFILE, 0);
	if ((g_events & (PYTAP_EV_RAISE | PYTAP_EV_HANDLED)) ||
	    (g_values && (g_events & PYTAP_EV_RETURN))) {
		/* the exception events need the trace function, and an
		 * unwind's value comes from it: not when there is one (a
		 * debugger, coverage): refused for the exception events,
		 * unwinds then go without their exception */
		int need = (g_events & (PYTAP_EV_RAISE | PYTAP_EV_HANDLED)) != 0;
		d = api.Sys_GetObject("gettrace");
		if (!d || !api.SetTrace)
			return fail(PYTAP_AGENT_EHOOK, 7);
		t = api.Object_Type(d);
		builtin = t == api.cfunction_type;
		if (t)
			api.DecRef(t);
		if (!builtin || !(r = api.Object_CallObject(d, NULL)))
			return fail(PYTAP_AGENT_EHOOK, 8);
		busy = r != api.none;
		api.DecRef(r);
		if (busy && need)
			return fail(PYTAP_AGENT_ETRACE, 0);
		g_trace311 = !busy;
	}
	if (!g_marker && !(g_marker = api.CFunction_NewEx(&marker_def, NULL, NULL)))
		return fail(PYTAP_AGENT_EHOOK, 5);
	if (!g_gi_suspended && !(g_gi_suspended = api.Unicode_InternFromString("gi_suspended")))
		return fail(PYTAP_AGENT_EHOOK, 6);
	if (!g_cr_suspended && !(g_cr_suspended = api.Unicode_InternFromString("cr_suspended")))
		return fail(PYTAP_AGENT_EHOOK, 6);
	g_installed = 1;
	g_last_head = NULL;
	/* refused at the start (an audit hook): say so, rather than run
	 * without events; a thread refusing later goes without them */
	if (adopt_threads(api.Interp_ThreadHead(g_interp)) > 0)
		return fail(PYTAP_AGENT_EHOOK, 9);
	return 0;
}

/* The interpreter is finalized (last step of Py_FinalizeEx): no hook can
 * run any more.  Say so in the ring (every record is in), end the
 * watchdog, and forget what belonged to that interpreter (an embedding
 * program may initialize another one and start again). */
static void
at_py_exit(void)
{
	if (g_running) {
		stop_watchdog();
		publish_end(PYTAP_STATE_EXITED);
	}
	g_installed = 0;
	g_forked = 0;
	g_tool_id = -1;
	g_marker = NULL;
	g_gi_suspended = g_cr_suspended = NULL;
	g_mon_fn_free = g_mon_fn_register = g_mon_fn_set_events = NULL;
	for (int i = 0; i < NMON; i++)
		g_mon_cb[i] = NULL;
	g_extra_index = -1;
	g_atexit_registered = 0;
}

/* 3.13t without the GIL: hooks would run in parallel (one producer no
 * more).  sys._is_gil_enabled() is a built-in that says so (3.13+). */
static int
gil_disabled(void)
{
	PyObject *f = api.Sys_GetObject("_is_gil_enabled"), *t, *r;
	int builtin, off;

	if (!f)
		return 0;
	t = api.Object_Type(f);
	builtin = t == api.cfunction_type;
	if (t)
		api.DecRef(t);
	if (!builtin)
		return 0;
	r = api.Object_CallObject(f, NULL);
	if (!r) {
		api.Err_Clear();
		return 0;
	}
	off = r != api.true_obj;
	api.DecRef(r);
	return off;
}

/* Keep this library loaded for good: the co_extra free function and the
 * callbacks stay valid after pytap is gone. */
static void
pin_self(void)
{
	static int pinned;
	Dl_info info;

	if (!g_atexit_registered && api.AtExit(at_py_exit) == 0)
		g_atexit_registered = 1;
	if (pinned)
		return;
	if (dladdr((void *)pin_self, &info) && info.dli_fname)
		dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
	pthread_atfork(NULL, NULL, atfork_child);
	pinned = 1;
}

static int
make_ring(uint64_t data_size, uint32_t pytap_pid, uint32_t events, uint32_t options,
	  uint32_t max_codes)
{
	int fd = (int)syscall(SYS_memfd_create, "pytap-ring", 1u /* MFD_CLOEXEC */);
	uint64_t total = PYTAP_RING_HDR_SIZE + data_size;
	void *m;

	if (fd < 0)
		return fail(PYTAP_AGENT_EMEMFD, errno);
	if (fchmod(fd, 0600) < 0 || ftruncate(fd, (off_t)total) < 0) {
		int e = errno;
		close(fd);
		return fail(PYTAP_AGENT_EMEMFD, e);
	}
	/* MAP_POPULATE: the page faults happen here, not in the hooks */
	m = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
	if (m == MAP_FAILED) {
		int e = errno;
		close(fd);
		return fail(PYTAP_AGENT_EMEMFD, e);
	}
	g_hdr = m;
	g_data = (uint8_t *)m + PYTAP_RING_HDR_SIZE;
	g_size = data_size;
	g_mask = data_size - 1;
	g_wpos = g_tail = 0;
	g_dropped = g_lost = g_codes_over = g_codes_live = 0;
	g_next_id = 0;
	g_max_codes = max_codes;
	g_clock = (options & PYTAP_OPT_CLOCK_MONOTONIC) || !tsc_usable()
		? PYTAP_CLOCK_MONOTONIC : PYTAP_CLOCK_TSC;
	g_hdr->magic = PYTAP_RING_MAGIC;
	g_hdr->version = PYTAP_RING_VERSION;
	g_hdr->hdr_size = PYTAP_RING_HDR_SIZE;
	g_hdr->data_size = data_size;
	g_hdr->total_size = total;
	g_hdr->agent_pid = (uint32_t)getpid();
	g_hdr->pytap_pid = pytap_pid;
	g_hdr->events = events;
	g_hdr->options = options;
	g_hdr->py_version = pytap_agent_status.py_version;
	g_hdr->tool_id = 0xffffffffu;
	g_hdr->max_codes = max_codes;
	g_hdr->clock = (uint32_t)g_clock;
	g_hdr->session = g_session;
	sync_clock(1);
	g_memfd = fd;
	return 0;
}

static void
unmake_ring(void)
{
	munmap(g_hdr, PYTAP_RING_HDR_SIZE + g_size);
	g_hdr = NULL;
	g_data = NULL;
	close_fd(&g_memfd);
	close_fd(&g_pidfd);
	close_fd(&g_evfd);
}

EXPORT int
pytap_agent_start(uint64_t data_size, uint32_t pytap_pid, uint32_t events,
		  uint32_t options, uint32_t max_codes)
{
	PyObject *et, *ev, *etb;
	sigset_t all, old;
	int rc, fd;

	if ((rc = resolve()) < 0)
		return rc;
	if (!api.GILState_Check())
		return fail(PYTAP_AGENT_ENOGIL, 0);
	if (g_running)
		return fail(PYTAP_AGENT_EBUSY, 0);
	if (data_size < PYTAP_RING_MIN_DATA || data_size > PYTAP_RING_MAX_DATA ||
	    (data_size & (data_size - 1)) || !events || (events & ~PYTAP_EV_ALL) ||
	    (options & ~PYTAP_OPT_KNOWN))
		return fail(PYTAP_AGENT_EARGS, 0);
	g_values = (options & PYTAP_OPT_VALUES) != 0;
	g_caller = (options & PYTAP_OPT_CALLER) != 0;
	g_caller_set = 0;
	free(g_nparams);
	g_nparams = NULL;
	g_nparams_cap = 0;
	g_vlim.depth = PYTAP_OPT_DEPTH(options) ? PYTAP_OPT_DEPTH(options) : 3;
	g_vlim.max_items = PYTAP_OPT_ITEMS_LOG2(options) ? 1u << PYTAP_OPT_ITEMS_LOG2(options) : 32;
	g_vlim.max_string = PYTAP_OPT_MAXSTR(options) ? PYTAP_OPT_MAXSTR(options) : 256;
	if (max_codes == 0)
		max_codes = PYTAP_DEFAULT_MAX_CODES;
	api.Err_Fetch(&et, &ev, &etb);
	if (gil_disabled()) {
		api.Err_Restore(et, ev, etb);
		return fail(PYTAP_AGENT_EFREETHREADED, 0);
	}
	if (((options & PYTAP_OPT_VALUES) || (events & (PYTAP_EV_RAISE | PYTAP_EV_HANDLED))) &&
	    values_resolve(pytap_agent_status.symbol, sizeof pytap_agent_status.symbol) < 0) {
		api.Err_Restore(et, ev, etb);
		g_values = 0;
		return fail(PYTAP_AGENT_EVALUES, 0);
	}
	pin_self();
	if (g_extra_index < 0) {
		g_extra_index = api.RequestCodeExtraIndex(code_freed);
		if (g_extra_index < 0) {
			api.Err_Clear();
			api.Err_Restore(et, ev, etb);
			return fail(PYTAP_AGENT_ECODEEXTRA, 0);
		}
	}
	/* A child forked during a session still has the old hooks. */
	if (g_forked) {
		remove_hooks();
		g_forked = 0;
	}
	g_session++;
	g_events = events;
	g_interp = api.Interp_Get();
	if ((rc = make_ring(data_size, pytap_pid, events, options, max_codes)) < 0)
		goto out;
	g_pytap_pid = pytap_pid;
	if (pytap_pid) {
		char state = 0;
		g_pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pytap_pid, 0u);
		if (g_pidfd < 0 && errno == ENOSYS) {
			/* no pidfd here: watch /proc/PID/stat every tick */
			g_pytap_start = proc_start(pytap_pid, &state);
			if (!g_pytap_start || state == 'Z' || state == 'X')
				errno = ESRCH;
			else
				errno = 0;
		}
		if (g_pidfd < 0 && errno != 0) {
			rc = fail(PYTAP_AGENT_EPIDFD, errno);
			unmake_ring();
			goto out;
		}
	}
	g_evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (g_evfd < 0) {
		rc = fail(PYTAP_AGENT_ETHREAD, errno);
		unmake_ring();
		goto out;
	}
	__atomic_store_n(&g_dying, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&g_finished, 0, __ATOMIC_RELAXED);
	g_running = 1;
	__atomic_store_n(&g_active, 1, __ATOMIC_RELAXED);
	rc = g_py311 ? profile_start() : monitoring_start();
	if (rc < 0) {
		__atomic_store_n(&g_active, 0, __ATOMIC_RELAXED);
		remove_hooks();
		g_running = 0;
		unmake_ring();
		api.Err_Clear();
		goto out;
	}
	g_hdr->tool_id = g_py311 ? 0xffffffffu : (uint32_t)g_tool_id;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&g_watchdog, NULL, watchdog, (void *)(uintptr_t)g_session);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		int e = rc;
		__atomic_store_n(&g_active, 0, __ATOMIC_RELAXED);
		remove_hooks();
		g_running = 0;
		unmake_ring();
		rc = fail(PYTAP_AGENT_ETHREAD, e);
		goto out;
	}
	g_watchdog_started = 1;
	fd = g_memfd;
	__atomic_store_n(&g_hdr->agent_state, PYTAP_STATE_RUNNING, __ATOMIC_RELEASE);
	pytap_agent_status.state = PYTAP_STATE_RUNNING;
	pytap_agent_status.sessions++;
	pytap_agent_status.last_error = 0;
	pytap_agent_status.detail = 0;
	rc = fd;
out:
	api.Err_Restore(et, ev, etb);
	return rc;
}

EXPORT int
pytap_agent_stop(void)
{
	if (!g_resolved)
		return fail(PYTAP_AGENT_ENOTSTARTED, 0);
	if (!api.GILState_Check())
		return fail(PYTAP_AGENT_ENOGIL, 0);
	if (g_forked) {
		remove_hooks();
		g_forked = 0;
	}
	if (!g_running)
		return fail(PYTAP_AGENT_ENOTSTARTED, 0);
	finish(PYTAP_STATE_STOPPED);
	pytap_agent_status.last_error = 0;
	return 0;
}
