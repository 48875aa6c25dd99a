/*
 * ring.h - the shared-memory format between libpytap-agent.so (inside the
 * traced Python process) and pytap (outside).  Plain C11, fixed-width
 * integers only, no Python types: both sides include this file.
 *
 * THE REGION
 *   One memfd (MFD_CLOEXEC, mode 0600, no name in any file system) made by
 *   the agent in pytap_agent_start().  It holds, from offset 0:
 *     struct pytap_ring_hdr   (PYTAP_RING_HDR_SIZE bytes, one page)
 *     the data area           (hdr.data_size bytes, a power of two)
 *   pytap maps it by opening /proc/TARGET/fd/N (N = start's return value)
 *   with O_RDWR and mmap(MAP_SHARED) of hdr.total_size bytes, then stores
 *   1 into hdr.mapped.  The agent's watchdog then closes its fd (within
 *   PYTAP_WATCHDOG_MS); from there on only the two mappings keep the memory.
 *
 * ENTRY POINTS (exported by libpytap-agent.so; call them from a ptrace
 * hijack at a safe point: the calling thread holds the GIL and is between
 * bytecodes, e.g. stopped at an SDT marker or at the entry of
 * _PyEval_EvalFrameDefault.  Plain C, scalar arguments, SysV x86-64 ABI.)
 *
 *   int pytap_agent_start(uint64_t data_size, uint32_t pytap_pid,
 *                         uint32_t events, uint32_t options,
 *                         uint32_t max_codes);
 *     data_size: bytes of the data area, a power of two between
 *       PYTAP_RING_MIN_DATA and PYTAP_RING_MAX_DATA.
 *     pytap_pid: the tracer's pid; when that process exits the agent
 *       removes its hooks by itself (see WATCHDOG).  0: no such watch
 *       (tests and benchmarks only; stop_request still works).
 *     events: PYTAP_EV_* bits (which records pytap wants).
 *     options: PYTAP_OPT_* bits.
 *     max_codes: bound on live code ids (0: PYTAP_DEFAULT_MAX_CODES).
 *     Returns the memfd number (>= 0) on success, hooks installed and
 *     records flowing; or a negative PYTAP_AGENT_E* code, and no hook,
 *     thread, fd or mapping is left (what stays, once per process: the
 *     co_extra index and the library itself).  The detail (an errno, the
 *     Python version found) is in the exported variable
 *     pytap_agent_status (struct pytap_agent_status), which pytap reads
 *     from the target's memory to word a one-line message.
 *
 *   int pytap_agent_stop(void);
 *     Removes the hooks from every thread, joins the watchdog, sets
 *     hdr.agent_state = PYTAP_STATE_STOPPED (after the last record: pytap
 *     drains the ring up to head once it sees STOPPED), closes the fd and
 *     unmaps the agent's side.  Returns 0, or PYTAP_AGENT_ENOTSTARTED
 *     (nothing to do), PYTAP_AGENT_ENOGIL.  The library stays loaded and
 *     inert; pytap_agent_start() may be called again (a new region).
 *
 *   Both must run with the GIL held; they save and restore any exception
 *   pending in the calling thread and never run Python code (except audit
 *   hooks the program installed itself: the interpreter reports
 *   "sys.setprofile" / "sys.monitoring.*" to them).
 *
 * WATCHDOG
 *   start() opens pidfd_open(pytap_pid) (where the kernel lacks it, it
 *   reads /proc/PID/stat, state and start time, every tick) and starts one
 *   thread, named "pytap-agent", all signals blocked, that never touches
 *   Python.  It wakes every PYTAP_WATCHDOG_MS or when pytap exits; it
 *   keeps the TSC calibration pairs fresh and closes the agent's fd once
 *   hdr.mapped is 1.  When pytap has exited, or pytap stored 1 into
 *   hdr.stop_request, it makes the hooks no-ops at once, queues a pending
 *   call (Py_AddPendingCall) that removes them, and exits.  The hooks also
 *   remove themselves at their next call.  Whichever comes first ends the
 *   session: hdr.agent_state becomes PYTAP_STATE_DEAD (pytap gone) or
 *   PYTAP_STATE_STOPPED (stop_request).  stop_request is the way to end
 *   without a ptrace call; pytap_agent_stop() is the synchronous one.
 *   Latency: 3.13 runs the pending call at its next eval-breaker check;
 *   3.11 and 3.12 only when the main thread next takes the GIL (their
 *   Py_AddPendingCall from a foreign thread leaves the eval breaker
 *   alone), so there the next hook call usually does it: on 3.11 any
 *   call, Python or C, on 3.12 any Python function start or return.
 *
 * FORK
 *   In a child forked while the agent runs (pthread_atfork), the agent
 *   unmaps the parent's region and closes the fd before the child runs any
 *   Python; its hooks do nothing and remove themselves at the child's first
 *   Python event.  The child never writes into the parent's ring.  pytap may
 *   call pytap_agent_start() in the child to give it a ring of its own.
 *
 * THE RING
 *   Single producer (the agent: every record is written under the GIL,
 *   these builds are not free-threaded), single consumer (pytap).
 *   head and tail are byte counts since start, never wrapped; the byte of
 *   position p is data[p & (data_size - 1)].
 *     producer: reads tail (acquire), writes the record, stores head
 *               (release).
 *     consumer: reads head (acquire), reads records from tail to head,
 *               stores tail (release).
 *   Every record starts with struct pytap_rec (8 bytes) and its size is a
 *   multiple of 8; a record never wraps around the end of the data area:
 *   when it does not fit before the end, the producer writes a
 *   PYTAP_REC_PAD record up to the end and the record starts at offset 0.
 *   Size: 1-2 MiB read every <= 1 ms keeps up with ~6M events/s and stays
 *   in the caches (bench/agent: a 16 MiB ring costs 0.1x more on 3.12 than
 *   a 1 MiB one, from cache misses alone).
 *   A record that does not fit in the free space (data_size - (head -
 *   tail)) is dropped, never waited for: hdr.dropped counts it, and the
 *   next record that fits is preceded by a PYTAP_REC_LOST record saying
 *   how many were lost there (pytap's per-thread stacks are unreliable
 *   across it).
 *
 * CODE OBJECTS
 *   Events name a code object by a 32-bit id (1, 2, ...: 0 is never used),
 *   valid for one start()..stop() session.  Before the first event that
 *   uses an id, a PYTAP_REC_CODE record describes it (names, first line,
 *   flags, its co_linetable for mapping an instruction offset to a line:
 *   the 3.11+ location table format).  When the code object is freed, a
 *   PYTAP_REC_CODE_FREE record retires the id (an id is never reused in a
 *   session; at most 2^24 - 1 per session).  At most hdr.max_codes ids are
 *   live; events of further code objects are dropped and counted in
 *   hdr.codes_over.
 *
 * TIME
 *   hdr.clock says what rec_event.time holds: PYTAP_CLOCK_MONOTONIC:
 *   CLOCK_MONOTONIC nanoseconds; PYTAP_CLOCK_TSC: the raw x86 time stamp
 *   counter (used when the kernel's clocksource is "tsc", 2x cheaper than
 *   clock_gettime here).  For TSC the agent keeps (tsc, ns) calibration
 *   pairs in the header (sync_*), updated every PYTAP_WATCHDOG_MS under a
 *   sequence counter; pytap_ring_time_ns() below converts.
 */
#ifndef PYTAP_RING_H
#define PYTAP_RING_H

#include <stdint.h>

#define PYTAP_RING_MAGIC   0x474e525041545950ULL /* the bytes "PYTAPRNG" read as a little-endian uint64 */
#define PYTAP_RING_VERSION 1u
#define PYTAP_RING_HDR_SIZE 4096u
#define PYTAP_RING_MIN_DATA (64u * 1024u)
#define PYTAP_RING_MAX_DATA (1024u * 1024u * 1024u)
#define PYTAP_WATCHDOG_MS 100
#define PYTAP_DEFAULT_MAX_CODES 262144u

/* pytap_agent_start()/stop() return codes (negative). */
enum pytap_agent_error {
	PYTAP_AGENT_OK = 0,
	PYTAP_AGENT_ENOPYTHON = -1,   /* no CPython C-API in the process (status.symbol: the one missing) */
	PYTAP_AGENT_EVERSION = -2,    /* unsupported CPython version (detail: Py_Version hex); 3.11..3.13 */
	PYTAP_AGENT_ENOGIL = -3,      /* the calling thread does not hold the GIL */
	PYTAP_AGENT_EBUSY = -4,       /* already started (stop first) */
	PYTAP_AGENT_EPROFILE = -5,    /* 3.11: the calling thread already has a profile function (cProfile, ...) */
	PYTAP_AGENT_ETOOLID = -6,     /* 3.12+: sys.monitoring tool ids 4, 3 and 2 all in use */
	PYTAP_AGENT_EMONITORING = -7, /* 3.12+: sys.monitoring missing, or its functions replaced (not the built-ins) */
	PYTAP_AGENT_EARGS = -8,       /* bad data_size / events / options */
	PYTAP_AGENT_EMEMFD = -9,      /* memfd_create/ftruncate/mmap failed (detail: errno) */
	PYTAP_AGENT_EPIDFD = -10,     /* pidfd_open(pytap_pid) failed (detail: errno; ESRCH: pytap is gone) */
	PYTAP_AGENT_ETHREAD = -11,    /* pthread_create of the watchdog failed (detail: error number) */
	PYTAP_AGENT_EHOOK = -12,      /* installing the hook failed with a Python exception (e.g. an audit hook refused "sys.setprofile"); detail: 0 */
	PYTAP_AGENT_ECODEEXTRA = -13, /* no co_extra index left (the interpreter has 255) */
	PYTAP_AGENT_ENOTSTARTED = -14,/* stop: not started */
	PYTAP_AGENT_EFREETHREADED = -15,/* a free-threaded build running without the GIL (3.13t): not supported */
	PYTAP_AGENT_EVALUES = -16,    /* PYTAP_OPT_VALUES: a C-API function it needs is missing (status.symbol) */
	PYTAP_AGENT_ETRACE = -17      /* 3.11, PYTAP_EV_RAISE/HANDLED: the calling thread already has a
	                                 trace function (a debugger, coverage): not replaced */
};

/* Exported by the agent as `pytap_agent_status`: what the last call found. */
struct pytap_agent_status {
	uint32_t abi_version;     /* PYTAP_RING_VERSION of the library */
	int32_t last_error;       /* the last start/stop return code (0 or PYTAP_AGENT_E*) */
	int64_t detail;           /* see the codes above */
	uint32_t py_version;      /* Py_Version (e.g. 0x030c01f0), 0 if unknown */
	uint32_t state;           /* PYTAP_STATE_* of the current or last session */
	uint32_t tool_id;         /* 3.12+: the sys.monitoring tool id in use, else 0xffffffff */
	uint32_t sessions;        /* number of successful starts */
	char symbol[64];          /* ENOPYTHON, EVALUES: the C-API symbol not found */
};

/* hdr.events: which records pytap wants. */
#define PYTAP_EV_ENTRY  0x1u  /* PYTAP_REC_ENTRY (calls, generator resumes, throws) */
#define PYTAP_EV_RETURN 0x2u  /* PYTAP_REC_RETURN (returns, yields, unwinds) */
#define PYTAP_EV_RAISE  0x4u  /* PYTAP_REC_RAISE (an exception raised in, or propagating
                                 through, a Python frame) */
#define PYTAP_EV_HANDLED 0x8u /* PYTAP_REC_HANDLED (an exception caught by a handler) */
#define PYTAP_EV_ALL    0xfu

/* hdr.options */
#define PYTAP_OPT_CLOCK_MONOTONIC 0x1u /* always clock_gettime(CLOCK_MONOTONIC), never the TSC */
#define PYTAP_OPT_VALUES 0x2u /* follow events with PYTAP_REC_VALUE records (see VALUES) */
#define PYTAP_OPT_CALLER 0x4u /* ENTRY records come after a CALLER record (pytap's
                                 shadow stacks: pystack()) */
/* Limits of value capture, packed in options (0 in a field: the default):
 * bits 8..11 container depth (default 3), bits 12..15 k: items per
 * container 1 << k (default 32), bits 16..31 bytes of a str, bytes or
 * big int's text (default 256). */
#define PYTAP_OPT_DEPTH(o) (((o) >> 8) & 0xfu)
#define PYTAP_OPT_ITEMS_LOG2(o) (((o) >> 12) & 0xfu)
#define PYTAP_OPT_MAXSTR(o) ((o) >> 16)
#define PYTAP_OPT_KNOWN 0xffffff07u

/* hdr.agent_state */
enum pytap_state {
	PYTAP_STATE_NONE = 0,
	PYTAP_STATE_RUNNING = 1,  /* hooks installed, records flowing */
	PYTAP_STATE_STOPPED = 2,  /* hooks removed by stop() or stop_request; no more records */
	PYTAP_STATE_DEAD = 3,     /* pytap exited; hooks removed by the agent */
	PYTAP_STATE_EXITED = 4    /* the interpreter finalized (Py_FinalizeEx's
	                             last step): every record is in the ring */
};

enum pytap_clock { PYTAP_CLOCK_MONOTONIC = 0, PYTAP_CLOCK_TSC = 1 };

struct pytap_ring_hdr {
	/* --- set by the agent at start, then constant --- */
	uint64_t magic;           /* PYTAP_RING_MAGIC */
	uint32_t version;         /* PYTAP_RING_VERSION */
	uint32_t hdr_size;        /* PYTAP_RING_HDR_SIZE: the data area starts here */
	uint64_t data_size;       /* bytes of data area (power of two) */
	uint64_t total_size;      /* hdr_size + data_size: map this much */
	uint32_t agent_pid;       /* getpid() of the target */
	uint32_t pytap_pid;       /* start's pytap_pid */
	uint32_t events;          /* start's events */
	uint32_t options;         /* start's options */
	uint32_t py_version;      /* Py_Version of the target, e.g. 0x030b07f0 */
	uint32_t tool_id;         /* 3.12+: sys.monitoring tool id, else 0xffffffff */
	uint32_t max_codes;       /* bound on live code ids */
	uint32_t clock;           /* PYTAP_CLOCK_* of every time field */
	uint32_t session;         /* 1 for the first start in this process, 2 ... */
	uint32_t reserved0;
	uint64_t reserved1[4];

	/* --- written by pytap --- */
	uint32_t mapped;          /* pytap stores 1 once it has the region mapped */
	uint32_t stop_request;    /* pytap stores 1: the agent removes its hooks (<= PYTAP_WATCHDOG_MS) */
	uint64_t reserved2[3];

	/* --- written by the agent while it runs (atomics) --- */
	uint32_t agent_state;     /* PYTAP_STATE_* (release store after the last record) */
	uint32_t reserved3;
	uint64_t dropped;         /* records dropped because the ring was full */
	uint64_t codes_over;      /* events dropped because max_codes ids were live */
	uint64_t codes_live;      /* ids given minus ids freed */
	/* TSC calibration (PYTAP_CLOCK_TSC): seqlock, odd while being written.
	 * base: taken at start; last: the latest, every PYTAP_WATCHDOG_MS. */
	uint32_t sync_seq;
	uint32_t reserved4;
	uint64_t sync_base_tsc, sync_base_ns;
	uint64_t sync_last_tsc, sync_last_ns;

	/* --- the indices, each on its own cache line --- */
	_Alignas(64) uint64_t head;   /* producer: bytes written (release) */
	_Alignas(64) uint64_t tail;   /* consumer: bytes consumed (release) */
	_Alignas(64) uint8_t pad_end[64];
};

/* Record kinds */
enum pytap_rec_kind {
	PYTAP_REC_PAD = 0,        /* skip size bytes (to the end of the data area) */
	PYTAP_REC_ENTRY = 1,      /* struct pytap_rec_event: a function starts or resumes */
	PYTAP_REC_RETURN = 2,     /* struct pytap_rec_event: a function returns, yields or unwinds */
	PYTAP_REC_CODE = 3,       /* struct pytap_rec_code: describes a code id */
	PYTAP_REC_CODE_FREE = 4,  /* struct pytap_rec_code_free: the code object of id is gone */
	PYTAP_REC_LOST = 5,       /* struct pytap_rec_lost: records were dropped just before */
	PYTAP_REC_VALUE = 6,      /* struct pytap_rec_value: values of the event just before */
	PYTAP_REC_RAISE = 7,      /* struct pytap_rec_event + VALUE (the exception): an exception is
	                             raised in a frame, or propagates into it from a call (3.12+:
	                             sys.monitoring RAISE; 3.11: the trace function's 'exception'
	                             event, as sys.settrace sees it); offset: the instruction */
	PYTAP_REC_HANDLED = 8,    /* struct pytap_rec_event + VALUE: a handler (except, finally,
	                             with) takes the exception (3.12+: EXCEPTION_HANDLED; 3.11: the
	                             first line event in the frame after a RAISE); offset: the
	                             handler's instruction */
	PYTAP_REC_CALLER = 9      /* struct pytap_rec_caller: the caller of the ENTRY just after */
};

/* Every record starts so. */
struct pytap_rec {
	uint32_t size;            /* whole record in bytes, multiple of 8, >= 8 */
	uint16_t kind;            /* PYTAP_REC_* */
	uint16_t flags;           /* kind-specific PYTAP_F_* */
};

/* ENTRY flags */
#define PYTAP_F_RESUME 0x1u   /* a generator/coroutine goes on after a yield or await (3.12+:
                                 PY_RESUME, PY_THROW; 3.11: the call event does not stand at the
                                 code's first RESUME); its first run is a plain ENTRY */
#define PYTAP_F_THROW  0x2u   /* resumed by throw() (3.12+: PY_THROW) */
/* RETURN flags */
#define PYTAP_F_EXC    0x1u   /* left by an exception (3.12+: PY_UNWIND; 3.11: return event with arg NULL) */
#define PYTAP_F_YIELD  0x2u   /* a yield or await suspension, the frame stays alive (3.12+: PY_YIELD;
                                 3.11: generators and coroutines, not async generators) */

struct pytap_rec_event {      /* 32 bytes */
	struct pytap_rec h;       /* kind ENTRY or RETURN */
	uint32_t tid;             /* gettid() of the thread */
	uint32_t code;            /* code id (a CODE record came before) */
	uint64_t time;            /* per hdr.clock */
	uint32_t offset;          /* byte offset of the instruction (as dis shows it):
	                             RETURN: the return/yield/raising instruction (3.13:
	                             for a yield, the one after it); ENTRY with
	                             PYTAP_F_RESUME: where it goes on; a fresh ENTRY:
	                             0xffffffff (its line is the code's firstlineno,
	                             as the SDT marker's). */
	uint32_t reserved;
};

/* CALLER (hdr.options & PYTAP_OPT_CALLER): directly before every ENTRY
 * (written with it: a drop takes both), the Python frame under the one
 * that starts or resumes, where it stands: its call instruction. */
struct pytap_rec_caller {     /* 16 bytes */
	struct pytap_rec h;
	uint32_t code;            /* its code id (a CODE record came before), 0: no
	                             Python frame under it */
	uint32_t offset;          /* byte offset of its current instruction */
};

/* CODE: followed by the strings (UTF-8, not NUL-terminated) and the
 * location table, in this order, then padding to a multiple of 8. */
#define PYTAP_F_CODE_TRUNCATED 0x1u /* some string or the table was cut */
struct pytap_rec_code {
	struct pytap_rec h;
	uint32_t code;            /* the id */
	uint32_t firstlineno;     /* co_firstlineno */
	uint32_t co_flags;        /* co_flags (CO_GENERATOR 0x20, CO_COROUTINE 0x80, ...) */
	uint16_t filename_len;    /* co_filename */
	uint16_t name_len;        /* co_name */
	uint16_t qualname_len;    /* co_qualname */
	uint16_t module_len;      /* __name__ of the frame's globals at the first event */
	uint32_t linetable_len;   /* co_linetable bytes */
	uint16_t nparams;         /* parameters: co_argcount + co_kwonlyargcount
	                             + 1 for *args + 1 for **kwargs, in the
	                             signature's order: positional, *args,
	                             keyword only, **kwargs) */
	uint16_t params_len;      /* bytes of the parameter names block */
	/* char filename[], name[], qualname[], module[]; uint8_t linetable[];
	 * then the names: nparams times (uint8_t len, len bytes UTF-8) */
};
#define PYTAP_CODE_MAX_STR 1024u      /* each string is cut to this */
#define PYTAP_CODE_MAX_LINETABLE 65536u

struct pytap_rec_code_free {
	struct pytap_rec h;
	uint32_t code;
	uint32_t reserved;
};

struct pytap_rec_lost {
	struct pytap_rec h;
	uint64_t count;           /* records dropped since the previous record */
};

/* VALUES (hdr.options & PYTAP_OPT_VALUES): an ENTRY of a fresh call (not
 * a resume) is followed by a VALUE record with its arguments (count =
 * nparams of the CODE record, in that order); a RETURN by one with the
 * returned or yielded value (count 1), or for an unwind with the
 * exception (flag PYTAP_F_VALUE_EXC; count 1; 3.11's profile hook does not
 * see it: the agent installs the trace hook too, which does, unless the
 * thread has a trace function already: then count 0).  Both records are written together: a VALUE
 * always directly follows its event (a drop takes both).
 *
 * VALUE ENCODING: values one after the other, each a tag byte then:
 *   NONE, FALSE, TRUE, ELLIPSIS   nothing
 *   INT        int64 (little-endian)
 *   BIGINT     u32 full length, u32 n, n bytes: the decimal text (an int
 *              beyond 64 bits; n < full length: cut)
 *   FLOAT      IEEE double (8 bytes)
 *   STR        u8 quote (' or "), u32 length in code points, u32 code
 *              points sent, u32 n, n bytes: the UTF-8 text str.__repr__
 *              writes between the quotes for the code points sent (its
 *              escapes, made with the interpreter's own printable test),
 *              at most max_string bytes; quote as repr() chooses it (on
 *              the first 1 MiB code points of a longer str)
 *   BYTES      u8 quote, u32 full length, u32 n, n raw bytes (quote: as
 *              bytes.__repr__ chooses it on the whole object)
 *   TUPLE, LIST, SET, FROZENSET   u32 items, u32 n sent, n values
 *   DICT       u32 items, u32 n sent, n (key, value) pairs
 *   OTHER      u64 address, u16 n, n bytes type name ("module.qualname",
 *              the qualname alone for builtins): printed as
 *              <TYPE object at 0xADDRESS>; every type not listed above,
 *              subclasses of them too, and ints too long for their text
 *   EXCEPTION  u64 address, u16 n, n bytes type name, then its args
 *              (a value, normally a TUPLE)
 *   DEPTH      u8 tag of a container nested deeper than the limit (...)
 *   RECURSE    u8 tag of a container already being printed ([...])
 *   ERROR      the value could not be read
 *   CUT        the record's space ended here: nothing follows, in this
 *              value or the ones after it
 * Nothing runs Python code to get these: no __repr__, no __str__; exact
 * types only. */
enum pytap_val_tag {
	PYTAP_VAL_NONE = 0, PYTAP_VAL_FALSE = 1, PYTAP_VAL_TRUE = 2,
	PYTAP_VAL_ELLIPSIS = 3, PYTAP_VAL_INT = 4, PYTAP_VAL_BIGINT = 5,
	PYTAP_VAL_FLOAT = 6, PYTAP_VAL_STR = 7, PYTAP_VAL_BYTES = 8,
	PYTAP_VAL_TUPLE = 9, PYTAP_VAL_LIST = 10, PYTAP_VAL_SET = 11,
	PYTAP_VAL_FROZENSET = 12, PYTAP_VAL_DICT = 13, PYTAP_VAL_OTHER = 14,
	PYTAP_VAL_EXCEPTION = 15, PYTAP_VAL_DEPTH = 16, PYTAP_VAL_RECURSE = 17,
	PYTAP_VAL_ERROR = 18, PYTAP_VAL_CUT = 19
};
#define PYTAP_F_VALUE_EXC 0x1u    /* the value is the exception of an unwind */
#define PYTAP_VALUE_MAX 8192u     /* bytes of encoded values per record */
struct pytap_rec_value {
	struct pytap_rec h;
	uint32_t count;           /* values encoded */
	uint32_t len;             /* bytes of them (then padding to 8) */
	/* uint8_t values[len]; */
};

#define PYTAP_REC_ALIGN(n) (((n) + 7u) & ~(uint64_t)7u)

/* TSC -> CLOCK_MONOTONIC ns with the header's calibration (pytap side).
 * Reads the pairs under the seqlock; with one pair only (first
 * PYTAP_WATCHDOG_MS), pytap should take its own pair (the TSC is the same
 * machine-wide counter) or wait. Returns 0 when no slope is known yet. */
static inline uint64_t
pytap_ring_time_ns(const volatile struct pytap_ring_hdr *h, uint64_t tsc)
{
	uint64_t bt, bn, lt, ln;
	uint32_t s;
	do {
		s = __atomic_load_n(&h->sync_seq, __ATOMIC_ACQUIRE);
		bt = h->sync_base_tsc;
		bn = h->sync_base_ns;
		lt = h->sync_last_tsc;
		ln = h->sync_last_ns;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
	} while ((s & 1) || s != __atomic_load_n(&h->sync_seq, __ATOMIC_ACQUIRE));
	if (lt <= bt)
		return 0;
	{
		double slope = (double)(ln - bn) / (double)(lt - bt);
		double d = (double)((int64_t)(tsc - lt)) * slope;
		return (uint64_t)((int64_t)ln + (int64_t)d);
	}
}

#endif
