/*
 * agent_src.c - the in-process agent as an event source (doc/agent.md).
 *
 * Which probes: python.function.entry/.return (any probe on the marks
 * function__entry/function__return of provider python) of a -c/-x run,
 * unless --no-agent.  For each traced process running CPython 3.11-3.13
 * pytap arms a safe point (ptrace/inject.c: the entry of
 * _PyEval_EvalFrameDefault); in the thread that reaches it, it calls
 * dlopen(libpytap-agent.so) and pytap_agent_start() (agent/ring.h), maps
 * the ring through /proc/PID/fd/N, and from then on turns its records into
 * the same events the SDT markers give: $arg1 filename, $arg2 funcname
 * (co_name), $arg3 lineno (the def line at entry, the line of the
 * returning instruction at return), $arg4 module.  The strings live in
 * pytap (the CODE records), so $arg1/$arg2/$arg4 are handles: addresses
 * in the non-canonical range 0xa6e0... that no process can map, which
 * user_string() and friends resolve here (agent_string).
 *
 * Handlers run a little after the event, in order within a process; the
 * event's own time is handed to the VM (time built-ins).  A full ring
 * drops records in the target, never waits: counted and reported.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "cpython.h"
#include "pyvalue.h"
#include "ring.h"
#include "session_int.h"

#ifndef PYTAP_PKGLIBDIR
#define PYTAP_PKGLIBDIR "/usr/local/lib/pytap"
#endif

#define SAFEPOINT_SYM "_PyEval_EvalFrameDefault"
#define RING_DATA_SIZE (4u * 1024u * 1024u)
#define AGENT_POLL_MIN_NS 1000000ull	/* 1 ms while records flow */
#define AGENT_POLL_MAX_NS 4000000ull	/* 4 ms when idle */
#define AGENT_IDLE_NS 1000000000ull	/* "ran no Python code" after 1 s */
#define AGENT_STOP_NS 1000000000ull	/* wait for the hooks to go */

/* String handles: non-canonical x86-64 addresses, never mapped. */
#define HANDLE_TAG 0xa6e0000000000000ull
#define HANDLE_MASK 0xffff000000000000ull

static uint64_t handle(uint32_t id, int field)
{
	return HANDLE_TAG | ((uint64_t)field << 32) | id;
}

static bool mark_is(const char *pat, const char *name)
{
	return pat != NULL && strcmp(pat, name) == 0;
}

/* The library to load: $PYTAP_AGENT, the build tree next to this pytap,
 * or the installed one. */
static char *agent_lib_path(void)
{
	const char *env = getenv("PYTAP_AGENT");
	char self[4096], *slash, *p;
	ssize_t n;

	if (env && *env)
		return strdup(env);
	n = readlink("/proc/self/exe", self, sizeof(self) - 64);
	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash) {
			strcpy(slash + 1, "agent/libpytap-agent.so");
			if (access(self, R_OK) == 0)
				return strdup(self);
		}
	}
	p = malloc(strlen(PYTAP_PKGLIBDIR) + 32);
	if (p)
		sprintf(p, "%s/libpytap-agent.so", PYTAP_PKGLIBDIR);
	return p;
}

static int agent_safepoint(void *ud, struct tracer *t, pid_t pid,
			   pid_t tid);

/* A python.function mark (entry/return) of a Python with markers? */
static bool fn_mark_bp(const struct bc_probe *bp)
{
	return bp->kind == BP_SDT && !bp->sdt_pid && !bp->agent_only &&
	       (!bp->sdt_provider || !strcmp(bp->sdt_provider, "python")) &&
	       (mark_is(bp->sdt_name, "function__entry") ||
		mark_is(bp->sdt_name, "function__return"));
}

const char *session_agent_refuses(const struct bc_program *p, size_t i,
				  uint32_t *pc)
{
	return fn_mark_bp(&p->probes[i]) ? bc_probe_needs_stop(p, i, pc)
					 : NULL;
}

/*
 * By default, which python.function probes of a Python with markers stay
 * on breakpoints because they share a global with a probe that
 * breakpoints serve (another mark, or a function probe that needs a
 * stopped thread): the agent's handlers run a little after the event, so
 * a script whose gc or line probe reads what a function probe wrote
 * (CPython's own test_dtrace gc.stp) would see them out of order.  To a
 * fixpoint.  Returns, per probe, -1 or (other probe * nglobals + global):
 * the one shared, for -v; NULL when none stays.
 */
static int *ordered_with_breakpoints(const struct bc_program *p)
{
	size_t n = p->nprobes, ng = p->nglobals;
	unsigned char *bp_served = calloc(n ? n : 1, 1);
	unsigned char *g = calloc(n * (ng ? ng : 1) + 1, 1);
	int *shares = malloc((n ? n : 1) * sizeof(*shares));
	bool changed = true, any = false;
	uint32_t pc;

	if (bp_served == NULL || g == NULL || shares == NULL || ng == 0) {
		free(bp_served);
		free(g);
		free(shares);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		const struct bc_probe *bp = &p->probes[i];
		bool fn = fn_mark_bp(bp);
		bool ret = mark_is(bp->sdt_name, "function__return");

		shares[i] = -1;
		if (bp->kind != BP_SDT)
			continue;
		bc_probe_globals(p, i, g + i * ng);
		if (fn)
			bp_served[i] = bc_probe_needs_stop(p, i, &pc) &&
				       !(ret && (bp->values || bp->want_agent));
		else if (bp->sdt_pid || bp->agent_only ||
			 (bp->sdt_provider &&
			  strcmp(bp->sdt_provider, "python")) ||
			 !(mark_is(bp->sdt_name, "function__entry") ||
			   mark_is(bp->sdt_name, "function__return") ||
			   mark_is(bp->sdt_name, "exception__raise") ||
			   mark_is(bp->sdt_name, "exception__handled")))
			bp_served[i] = !bp->agent_only;
	}
	while (changed) {
		changed = false;
		for (size_t i = 0; i < n; i++) {
			const struct bc_probe *bp = &p->probes[i];

			if (!fn_mark_bp(bp) || bp_served[i] ||
			    (mark_is(bp->sdt_name, "function__return") &&
			     (bp->values || bp->want_agent)))
				continue;
			for (size_t j = 0; j < n && !bp_served[i]; j++) {
				if (!bp_served[j])
					continue;
				for (size_t k = 0; k < ng; k++)
					if (g[i * ng + k] && g[j * ng + k]) {
						bp_served[i] = 1;
						shares[i] = (int)(j * ng + k);
						changed = any = true;
						break;
					}
			}
		}
	}
	free(bp_served);
	free(g);
	if (!any) {
		free(shares);
		return NULL;
	}
	return shares;
}

bool agent_plan(struct session *s, struct tracer_options *to)
{
	const struct bc_program *p = s->p;
	int *shares = NULL;

	if (s->o->agent_mode == AGENT_MODE_OFF || !(s->o->cmd || s->o->pid))
		return false;
	s->agent_probe = calloc(p->nprobes ? p->nprobes : 1, 1);
	if (s->agent_probe == NULL)
		return false;
	if (s->o->agent_mode == AGENT_MODE_AUTO)
		shares = ordered_with_breakpoints(p);
	for (size_t i = 0; i < p->nprobes; i++) {
		const struct bc_probe *bp = &p->probes[i];
		bool entry, ret, raise, handled;
		const char *why;
		uint32_t pc = 0;

		if (bp->kind != BP_SDT || bp->sdt_pid)
			continue;
		if (bp->sdt_provider && strcmp(bp->sdt_provider, "python"))
			continue;
		entry = mark_is(bp->sdt_name, "function__entry");
		ret = mark_is(bp->sdt_name, "function__return");
		raise = mark_is(bp->sdt_name, "exception__raise");
		handled = mark_is(bp->sdt_name, "exception__handled");
		if (raise || handled) {		/* the agent's alone */
			s->agent_probe[i] = raise ? PYTAP_REC_RAISE
						  : PYTAP_REC_HANDLED;
			s->agent = true;
			s->agent_events |= raise ? PYTAP_EV_RAISE
						 : PYTAP_EV_HANDLED;
			continue;
		}
		if (!entry && !ret)
			continue;
		/* with the agent: not for a handler that needs the thread
		   stopped at the event (pystacks(), target memory, $$vars:
		   bc_probe_needs_stop), which only a breakpoint gives;
		   $$return and unwound only the agent has.  Without markers
		   (3.12, 3.13) the agent alone. */
		why = session_agent_refuses(p, i, &pc);
		if (why && s->o->agent_mode == AGENT_MODE_ON) {
			/* the command line reports it with the source line
			   (cli/pytap.c); this is for other callers */
			const struct bc_loc *l = bc_loc_at(p, pc);

			if (l && l->file)
				fprintf(stderr, "%s:%d:%d: error: ", l->file,
					l->line, l->col);
			else
				fputs("pytap: ", stderr);
			fprintf(stderr, "%s needs the thread stopped at the event, which the in-process agent does not give (%s): run without --agent to serve it with breakpoints\n",
				why, bp->pn ? bp->pn : bp->pp);
			s->plan_error = true;
			return false;
		}
		/* A Python with markers (Debian's 3.11): breakpoints by
		   default, unless a handler reads what only the agent has
		   ($$parms, $$return, unwound).  Breakpoints see every call
		   of a forked child from its first one and never drop; the
		   agent gets into a child only at its first safe point and
		   drops when pytap cannot keep up (doc/agent.md): --agent
		   chooses speed. */
		if (s->o->agent_mode == AGENT_MODE_AUTO && !bp->agent_only &&
		    !bp->values && !bp->want_agent) {
			if (s->o->verbose)
				fprintf(stderr, "pytap: %s: served by breakpoints (this Python has function markers; --agent serves it in-process, faster)\n",
					bp->pn ? bp->pn : bp->pp);
			continue;
		}
		if (s->o->agent_mode == AGENT_MODE_AUTO && shares &&
		    shares[i] >= 0) {
			if (s->o->verbose)
				fprintf(stderr, "pytap: %s: served by breakpoints: it shares the global '%s' with %s, served by breakpoints, and their events must stay in order\n",
					bp->pn ? bp->pn : bp->pp,
					p->globals[shares[i] % p->nglobals].name,
					p->probes[shares[i] / p->nglobals].pn ?
					p->probes[shares[i] / p->nglobals].pn :
					p->probes[shares[i] / p->nglobals].pp);
			continue;
		}
		if (why && !(ret && (bp->values || bp->want_agent))) {
			if (s->o->verbose) {
				const struct bc_loc *l = bc_loc_at(p, pc);

				fprintf(stderr, "pytap: %s: served by breakpoints: %s (%s:%d:%d) needs the thread stopped at the event\n",
					bp->pn ? bp->pn : bp->pp, why,
					l && l->file ? l->file : "?",
					l ? l->line : 0, l ? l->col : 0);
			}
			continue;
		}
		/* breakpoints could serve it instead ($$parms from the
		   frame); not $$return nor unwound */
		if (!bp->agent_only && entry)
			s->agent_markers = true;
		/* values only when a handler reads them: no cost otherwise */
		if (bp->values)
			s->agent_options |= PYTAP_OPT_VALUES;
		s->agent_probe[i] = entry ? PYTAP_REC_ENTRY : PYTAP_REC_RETURN;
		s->agent = true;
		s->agent_events |= entry ? PYTAP_EV_ENTRY : PYTAP_EV_RETURN;
	}
	free(shares);
	if (!s->agent)
		return false;
	if (s->agent_options & PYTAP_OPT_VALUES) {
		/* a str, bytes or big int's text: MAXSTRINGLEN bytes */
		int64_t m = p->maxstringlen > 0xffff ? 0xffff : p->maxstringlen;

		if (m > 0)
			s->agent_options |= (uint32_t)m << 16;
	}
	s->agent_path = agent_lib_path();
	s->agent_caller = shadow_wanted(p);
	if (s->agent_caller)
		s->agent_events = PYTAP_EV_ALL;	/* the stacks need both */
	to->safepoint_sym = SAFEPOINT_SYM;
	to->safepoint = agent_safepoint;
	to->safepoint_ud = s;
	s->agent_poll_ns = AGENT_POLL_MIN_NS;
	if (s->o->verbose)
		for (size_t i = 0; i < p->nprobes; i++)
			if (s->agent_probe[i])
				fprintf(stderr, "pytap: %s: served by the in-process agent (%s)\n",
					p->probes[i].pn ? p->probes[i].pn
							: p->probes[i].pp,
					s->agent_path);
	return true;
}

static struct agent_ring *ring_of(struct session *s, pid_t pid)
{
	for (size_t i = 0; i < s->nrings; i++)
		if (s->rings[i].pid == pid && s->rings[i].phase != AG_DONE)
			return &s->rings[i];
	return NULL;
}

void agent_want(struct session *s, pid_t pid)
{
	struct agent_ring *r = ring_of(s, pid);

	if (!s->agent || s->tr == NULL)
		return;
	if (r == NULL) {
		if (s->nrings == AGENT_MAX_RINGS) {
			fprintf(stderr, "pytap: more than %d processes with the agent: pid %d is not traced by it\n",
				AGENT_MAX_RINGS, (int)pid);
			return;
		}
		r = &s->rings[s->nrings++];
		memset(r, 0, sizeof(*r));
		r->pid = pid;
	} else if (r->phase != AG_WAITING) {
		return;
	}
	r->phase = AG_WAITING;
	r->armed_ns = session_now_ns();
	if (tracer_arm_safepoint(s->tr, pid) < 0 && s->o->verbose >= 2)
		fprintf(stderr, "pytap: pid %d: no %s mapped yet\n", (int)pid,
			SAFEPOINT_SYM);
}

/* ---- getting in ------------------------------------------------------ */

static int call(struct session *s, pid_t tid, uint64_t fn, const uint64_t *a,
		int n, const char *blob, uint64_t *ret, char *err,
		size_t errlen)
{
	struct tracer_call c;

	memset(&c, 0, sizeof(c));
	c.fn = fn;
	for (int i = 0; i < n; i++)
		c.args[i] = a[i];
	c.nargs = n;
	if (blob) {
		c.blob = blob;
		c.bloblen = strlen(blob) + 1;
		c.blob_arg = 0;
	}
	return tracer_call(s->tr, tid, &c, ret, err, errlen);
}

static const char *agent_error(int rc)
{
	switch (rc) {
	case PYTAP_AGENT_ENOPYTHON: return "no CPython C API in the process";
	case PYTAP_AGENT_EVERSION: return "this CPython version is not supported by the agent (3.11 to 3.13 are; 3.10 and older have no Py_Version)";
	case PYTAP_AGENT_ENOGIL: return "the thread did not hold the GIL";
	case PYTAP_AGENT_EBUSY: return "an agent is already running in it (another pytap?)";
	case PYTAP_AGENT_EPROFILE: return "it already has a profile function (cProfile?); pytap does not replace it: use --no-agent";
	case PYTAP_AGENT_ETOOLID: return "sys.monitoring tool ids 4, 3 and 2 are all in use";
	case PYTAP_AGENT_EMONITORING: return "sys.monitoring is missing or replaced";
	case PYTAP_AGENT_EMEMFD: return "cannot make the shared ring (memfd)";
	case PYTAP_AGENT_EPIDFD: return "cannot watch pytap (pidfd)";
	case PYTAP_AGENT_ETHREAD: return "cannot start the agent's watchdog thread";
	case PYTAP_AGENT_EHOOK: return "installing the hook raised an exception (an audit hook refused it?)";
	case PYTAP_AGENT_ECODEEXTRA: return "no code-object extra slot left";
	case PYTAP_AGENT_EFREETHREADED: return "a free-threaded CPython is not supported";
	case PYTAP_AGENT_ETRACE: return "it has a trace function already (a debugger or coverage?): on CPython 3.11 the exception probes need the trace hook, and pytap does not replace it";
	default: return "unknown error";
	}
}

static void give_up(struct session *s, struct agent_ring *r, const char *why)
{
	/* no fall-back to breakpoints in this one process (the ptrace
	   engine arms a request in every process or none: doc/agent.md) */
	fprintf(stderr, "pytap: pid %d: the in-process agent cannot be used: %s%s%s\n",
		(int)r->pid, why,
		s->o->agent_mode == AGENT_MODE_AUTO ?
		"; the probes the agent would serve (-v lists them) do not fire in it" : "",
		s->o->agent_mode == AGENT_MODE_AUTO && s->agent_markers &&
		!strstr(why, "--no-agent") ?
		" (--no-agent serves them with breakpoints where the Python has markers)" : "");
	r->phase = AG_DONE;
	s->agent_failures++;
}

static int map_ring(struct agent_ring *r, int fd, char *err, size_t errlen)
{
	char path[64];
	struct pytap_ring_hdr *h;
	int mfd;
	void *m;
	size_t len;

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)r->pid, fd);
	mfd = open(path, O_RDWR | O_CLOEXEC);
	if (mfd < 0) {
		snprintf(err, errlen, "cannot open its ring %s: %s", path,
			 strerror(errno));
		return -1;
	}
	m = mmap(NULL, PYTAP_RING_HDR_SIZE, PROT_READ, MAP_SHARED, mfd, 0);
	if (m == MAP_FAILED) {
		snprintf(err, errlen, "cannot map its ring: %s", strerror(errno));
		close(mfd);
		return -1;
	}
	h = m;
	if (h->magic != PYTAP_RING_MAGIC || h->version != PYTAP_RING_VERSION) {
		snprintf(err, errlen, "its ring has version %u, pytap reads %u (a different agent library?)",
			 h->version, PYTAP_RING_VERSION);
		munmap(m, PYTAP_RING_HDR_SIZE);
		close(mfd);
		return -1;
	}
	len = h->total_size;
	munmap(m, PYTAP_RING_HDR_SIZE);
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	close(mfd);
	if (m == MAP_FAILED) {
		snprintf(err, errlen, "cannot map its ring: %s", strerror(errno));
		return -1;
	}
	r->map = m;
	r->maplen = len;
	h = m;
	__atomic_store_n(&h->mapped, 1, __ATOMIC_RELEASE);
	return 0;
}

static int agent_safepoint(void *ud, struct tracer *t, pid_t pid, pid_t tid)
{
	struct session *s = ud;
	struct agent_ring *r = ring_of(s, pid);
	uint64_t fn, ret, a[5];
	char err[512];
	int rc;

	if (r == NULL || r->phase != AG_WAITING)
		return 0;
	/* only once the interpreter is initialized (sys.monitoring) */
	if (tracer_symbol(t, pid, "Py_IsInitialized", &fn, NULL) < 0) {
		give_up(s, r, "it has no Py_IsInitialized (not a CPython?)");
		return 0;
	}
	if (call(s, tid, fn, NULL, 0, NULL, &ret, err, sizeof(err)) < 0) {
		give_up(s, r, err);
		return 0;
	}
	if ((ret & 0xffffffff) == 0) {
		/* starting up or finalizing: the next safe point */
		if (s->o->verbose >= 2)
			fprintf(stderr, "pytap: pid %d: the interpreter is not initialized yet\n",
				(int)pid);
		return 1;
	}
	/* the maps as they are now: the C library of an exec'd image may
	   have been mapped since the last scan (the tracer rescans on the
	   loader's breakpoint only when a request wants libraries) */
	if (tracer_symbol(t, pid, "pytap_agent_start", &fn, NULL) < 0 &&
	    tracer_symbol(t, pid, "dlopen", &fn, NULL) < 0)
		tracer_rescan(t, pid);
	if (tracer_symbol(t, pid, "pytap_agent_start", &fn, NULL) < 0) {
		uint64_t dl;

		if (tracer_symbol(t, pid, "dlopen", &dl, NULL) < 0) {
			give_up(s, r, "its C library has no dlopen (glibc 2.34 or newer is needed)");
			return 0;
		}
		a[0] = 0;
		a[1] = 2;	/* RTLD_NOW */
		if (call(s, tid, dl, a, 2, s->agent_path, &ret, err,
			 sizeof(err)) < 0) {
			give_up(s, r, err);
			return 0;
		}
		if (ret == 0) {
			char msg[4400];
			uint64_t de;

			snprintf(msg, sizeof(msg), "dlopen(\"%s\") failed in the target", s->agent_path);
			if (tracer_symbol(t, pid, "dlerror", &de, NULL) == 0 &&
			    call(s, tid, de, NULL, 0, NULL, &ret, err,
				 sizeof(err)) == 0 && ret) {
				char e[256];

				if (tracer_read_str(t, pid, ret, e, sizeof(e)) > 0)
					snprintf(msg, sizeof(msg), "%s", e);
			}
			give_up(s, r, msg);
			return 0;
		}
		tracer_rescan(t, pid);
		if (tracer_symbol(t, pid, "pytap_agent_start", &fn, NULL) < 0) {
			give_up(s, r, "loaded the agent but found no pytap_agent_start in it");
			return 0;
		}
	}
	a[0] = RING_DATA_SIZE;
	a[1] = (uint64_t)getpid();
	a[2] = s->agent_events;
	a[3] = s->agent_options | (s->agent_caller ? PYTAP_OPT_CALLER : 0);
	a[4] = 0;
	if (call(s, tid, fn, a, 5, NULL, &ret, err, sizeof(err)) < 0) {
		give_up(s, r, err);
		return 0;
	}
	rc = (int)(int32_t)(ret & 0xffffffff);
	if (rc == PYTAP_AGENT_EVERSION) {
		/* the version the agent found (its status, in the target) */
		uint64_t st;
		uint32_t v = 0;
		char msg[256];

		if (tracer_symbol(t, pid, "pytap_agent_status", &st, NULL) == 0)
			tracer_read(t, pid, st + offsetof(struct pytap_agent_status, py_version),
				    &v, sizeof(v));
		if (v >= 0x030e0000)
			snprintf(msg, sizeof(msg), "CPython %u.%u is not supported by the agent (3.11 to 3.13 are): pytap does not implement PEP 768, the remote debugging interface of 3.14 and later",
				 (v >> 24) & 0xff, (v >> 16) & 0xff);
		else
			snprintf(msg, sizeof(msg), "%s", agent_error(rc));
		give_up(s, r, msg);
		return 0;
	}
	if (rc < 0) {
		give_up(s, r, agent_error(rc));
		return 0;
	}
	if (map_ring(r, rc, err, sizeof(err)) < 0) {
		give_up(s, r, err);
		return 0;
	}
	r->phase = AG_RUNNING;
	if (s->agent_caller)
		shadow_seed(s, r);
	s->agent_next = session_now_ns();
	if (s->o->verbose)
		fprintf(stderr, "pytap: pid %d: the in-process agent is in (CPython %u.%u, thread %d)\n",
			(int)pid,
			(((struct pytap_ring_hdr *)r->map)->py_version >> 24) & 0xff,
			(((struct pytap_ring_hdr *)r->map)->py_version >> 16) & 0xff,
			(int)tid);
	return 0;
}

/* ---- records --------------------------------------------------------- */

static struct pytap_ring_hdr *hdr(struct agent_ring *r)
{
	return r->map;
}

static void code_free(struct agent_code *c)
{
	if (c == NULL)
		return;
	for (int i = 0; i < 4; i++)
		free(c->str[i]);
	free(c->linetable);
	free(c->params);
	free(c);
}

static void add_code(struct agent_ring *r, const struct pytap_rec_code *rc)
{
	const unsigned char *q = (const unsigned char *)(rc + 1);
	const uint16_t lens[4] = { rc->filename_len, rc->name_len,
				   rc->qualname_len, rc->module_len };
	struct agent_code *c;
	size_t need = sizeof(*rc);

	for (int i = 0; i < 4; i++)
		need += lens[i];
	need += rc->linetable_len + rc->params_len;
	if (need > rc->h.size || rc->code == 0)
		return;
	if (rc->code >= r->ncodes) {
		size_t n = r->ncodes ? r->ncodes : 256;
		struct agent_code **nc;

		while (n <= rc->code)
			n *= 2;
		nc = realloc(r->codes, n * sizeof(*nc));
		if (nc == NULL)
			return;
		memset(nc + r->ncodes, 0, (n - r->ncodes) * sizeof(*nc));
		r->codes = nc;
		r->ncodes = n;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return;
	for (int i = 0; i < 4; i++) {
		c->str[i] = malloc((size_t)lens[i] + 1);
		if (c->str[i] == NULL) {
			code_free(c);
			return;
		}
		memcpy(c->str[i], q, lens[i]);
		c->str[i][lens[i]] = '\0';
		c->len[i] = lens[i];
		q += lens[i];
	}
	c->linetable = malloc(rc->linetable_len ? rc->linetable_len : 1);
	if (c->linetable == NULL) {
		code_free(c);
		return;
	}
	memcpy(c->linetable, q, rc->linetable_len);
	c->ltlen = rc->linetable_len;
	q += rc->linetable_len;
	c->params = malloc(rc->params_len ? rc->params_len : 1);
	if (c->params == NULL) {
		code_free(c);
		return;
	}
	memcpy(c->params, q, rc->params_len);
	c->paramslen = rc->params_len;
	c->nparams = rc->nparams;
	c->firstlineno = rc->firstlineno;
	c->co_flags = rc->co_flags;
	/* as the marker: the line of the first instruction that has one
	   (a module's RESUME has line 0; a closure's MAKE_CELL none) */
	c->entry_line = (int)c->firstlineno;
	for (int off = 0; off < 64; off += 2) {
		int l = py_linetable_line(c->linetable, c->ltlen,
					  (int)c->firstlineno, off);

		if (l >= 0) {
			c->entry_line = l;
			break;
		}
	}
	code_free(r->codes[rc->code]);
	r->codes[rc->code] = c;
}

/* The context of one agent event, as the SDT marker would give it. */
struct agent_args {
	struct vm_args base;
	uint32_t code;
	int64_t line;
	const struct agent_code *c;
	const struct pytap_rec_value *val;	/* the event's values, or NULL */
	uint16_t flags;				/* the event's PYTAP_F_* */
};

/* $$parms / $$return of an agent event (vm_args.values). */
static long agent_values(const struct vm_args *a, int what, char *out,
			 size_t cap)
{
	const struct agent_args *aa = (const struct agent_args *)a;
	const struct pytap_rec_value *v = aa->val;
	const uint8_t *vals = v ? (const uint8_t *)(v + 1) : NULL;

	if (what == 2)		/* unwound: the event's own flag */
		return strcmp(aa->base.name, "function__return") == 0 &&
		       (aa->flags & PYTAP_F_EXC) != 0;
	/* $$parms at entry, $$return at return; elsewhere SDT's text */
	if (strcmp(aa->base.name, what == 0 ? "function__entry"
					    : "function__return") != 0)
		return -1;
	if (v == NULL)		/* a resumed generator: nothing sent */
		return 0;
	if (what == 0)
		return (long)pyval_parms(out, cap, aa->c->params,
					 aa->c->paramslen, aa->c->nparams,
					 vals, v->len, v->count);
	return (long)pyval_repr1(out, cap, vals, v->len, v->count);
}

static int agent_arg(const struct vm_args *a, int n, int64_t *v,
		     uint64_t *fault)
{
	const struct agent_args *aa = (const struct agent_args *)a;

	(void)fault;
	switch (n) {
	case 1: *v = (int64_t)handle(aa->code, 0); break;
	case 2: *v = (int64_t)handle(aa->code, 1); break;
	case 3: *v = aa->line; break;
	case 4: *v = (int64_t)handle(aa->code, 3); break;
	case 5: *v = (int64_t)handle(aa->code, 4); break;
	case 6: *v = (int64_t)handle(aa->code, 5); break;
	default: *v = 0; break;
	}
	return 0;
}

static uint64_t event_time(struct agent_ring *r, uint64_t t)
{
	struct pytap_ring_hdr *h = hdr(r);
	uint64_t ns;

	if (h->clock == PYTAP_CLOCK_MONOTONIC)
		return t;
	ns = pytap_ring_time_ns(h, t);
	if (ns)
		return ns;
	/* the agent's first calibration pair only (its first
	   PYTAP_WATCHDOG_MS): the second pair is pytap's own, now (one TSC
	   for the whole machine) */
	{
		uint32_t lo, hi;
		uint64_t bt = h->sync_base_tsc, bn = h->sync_base_ns, tsc_now;
		uint64_t ns_now = session_now_ns();

		__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
		tsc_now = ((uint64_t)hi << 32) | lo;
		if (tsc_now <= bt || ns_now <= bn)
			return ns_now;
		return bn + (uint64_t)((double)(int64_t)(t - bt) *
				       ((double)(ns_now - bn) /
					(double)(tsc_now - bt)));
	}
}

static const char *const mark_of[] = {
	[PYTAP_REC_ENTRY] = "function__entry",
	[PYTAP_REC_RETURN] = "function__return",
	[PYTAP_REC_RAISE] = "exception__raise",
	[PYTAP_REC_HANDLED] = "exception__handled",
};

static void run_event(struct session *s, struct agent_ring *r,
		      const struct pytap_rec_event *e,
		      const struct pytap_rec_value *val)
{
	bool entry = e->h.kind == PYTAP_REC_ENTRY;
	bool exc = e->h.kind == PYTAP_REC_RAISE ||
		   e->h.kind == PYTAP_REC_HANDLED;
	const struct agent_code *c =
		e->code < r->ncodes ? r->codes[e->code] : NULL;
	struct agent_args aa;
	struct vm_event ev;
	int ran = -1;

	if (c == NULL)
		return;
	memset(&aa, 0, sizeof(aa));
	aa.base.nargs = exc ? 6 : 4;
	aa.base.name = mark_of[e->h.kind];
	aa.base.provider = "python";
	aa.base.get = agent_arg;
	aa.base.values = agent_values;
	aa.code = e->code;
	aa.c = c;
	aa.val = val;
	aa.flags = e->h.flags;
	if (exc) {
		/* exctype, excmsg: $arg5, $arg6, handles of r->exc */
		if (val == NULL ||
		    pyval_exception((const uint8_t *)(val + 1), val->len,
				    r->exc[0], sizeof(r->exc[0]), r->exc[1],
				    sizeof(r->exc[1])) < 0)
			snprintf(r->exc[0], sizeof(r->exc[0]), "?"), r->exc[1][0] = '\0';
	}
	if (entry && e->offset == 0xffffffffu) {
		aa.line = c->entry_line;
	} else if (entry) {
		int l = py_linetable_line(c->linetable, c->ltlen,
					  (int)c->firstlineno,
					  (int)e->offset);
		aa.line = l >= 0 ? (int64_t)l : (int64_t)c->firstlineno;
	} else {
		int l = py_linetable_line(c->linetable, c->ltlen,
					  (int)c->firstlineno,
					  (int)e->offset);

		/* a handler starts with instructions of no line
		   (PUSH_EXC_INFO): its line is the first one after */
		for (int k = 1; l < 0 && e->h.kind == PYTAP_REC_HANDLED &&
				k <= 64; k++)
			l = py_linetable_line(c->linetable, c->ltlen,
					      (int)c->firstlineno,
					      (int)e->offset + 2 * k);
		aa.line = l >= 0 ? (int64_t)l : (int64_t)c->firstlineno;
	}
	memset(&ev, 0, sizeof(ev));
	ev.pid = r->pid;
	ev.tid = (pid_t)e->tid;
	ev.time_ns = event_time(r, e->time);
	ev.args = &aa.base;
	if (r->shadow) {
		shadow_before(r, e);
		ev.pystack = shadow_pystack;
		ev.pystack_ud = r;
	}
	r->events++;
	for (size_t i = 0; i < s->p->nprobes; i++) {
		if (s->agent_probe[i] != e->h.kind)
			continue;
		/* the handlers of one point run together (session_int.h) */
		if (ran >= 0 && vm_exit_requested(s->vm) &&
		    !session_same_point(s->p, ran, (int)i))
			break;
		ev.probe = (int)i;
		session_run_probe(s, &ev);
		s->pending = true;
		ran = (int)i;
	}
	shadow_after(r, e);
}

/* Every record from tail to head; RUN: run handlers (else discard). */
static bool drain(struct session *s, struct agent_ring *r, bool run)
{
	struct pytap_ring_hdr *h = hdr(r);
	unsigned char *data = (unsigned char *)r->map + h->hdr_size;
	uint64_t mask = h->data_size - 1;
	uint64_t head = __atomic_load_n(&h->head, __ATOMIC_ACQUIRE);
	uint64_t tail = h->tail;
	bool any = tail != head;

	while (tail < head) {
		const struct pytap_rec *rec =
			(const struct pytap_rec *)(data + (tail & mask));

		if (rec->size < 8 || rec->size > h->data_size) {
			fprintf(stderr, "pytap: pid %d: the agent's ring is corrupt (record size %u): detaching from it\n",
				(int)r->pid, rec->size);
			tail = head;
			r->phase = AG_STOPPING;
			__atomic_store_n(&h->stop_request, 1, __ATOMIC_RELEASE);
			break;
		}
		switch (rec->kind) {
		case PYTAP_REC_CODE:
			add_code(r, (const struct pytap_rec_code *)rec);
			break;
		case PYTAP_REC_CODE_FREE: {
			uint32_t id = ((const struct pytap_rec_code_free *)rec)->code;

			if (id < r->ncodes) {
				code_free(r->codes[id]);
				r->codes[id] = NULL;
			}
			break;
		}
		case PYTAP_REC_LOST:
			shadow_lost(r);
			break;
		case PYTAP_REC_CALLER:
			shadow_caller(r, (const struct pytap_rec_caller *)rec);
			break;
		case PYTAP_REC_ENTRY:
		case PYTAP_REC_RETURN:
		case PYTAP_REC_RAISE:
		case PYTAP_REC_HANDLED:
			if (run && !vm_exit_requested(s->vm)) {
				/* its VALUE record, written with it */
				const struct pytap_rec_value *v = NULL;
				uint64_t vt = tail + rec->size;

				if (vt < head && (vt & mask) != 0) {
					const struct pytap_rec *nx =
						(const struct pytap_rec *)(data + (vt & mask));

					if (nx->kind == PYTAP_REC_VALUE &&
					    nx->size >= sizeof(*v) &&
					    (vt & mask) + nx->size <= h->data_size &&
					    ((const struct pytap_rec_value *)nx)->len <=
						    nx->size - sizeof(*v))
						v = (const struct pytap_rec_value *)nx;
				}
				run_event(s, r, (const struct pytap_rec_event *)rec, v);
			}
			break;
		default:
			break;
		}
		tail += rec->size;
	}
	__atomic_store_n(&h->tail, tail, __ATOMIC_RELEASE);
	return any;
}

void agent_poll(struct session *s, bool force)
{
	uint64_t now = session_now_ns();
	bool any = false;

	if (!s->agent)
		return;
	for (size_t i = 0; i < s->nrings; i++) {
		struct agent_ring *r = &s->rings[i];

		if (r->phase == AG_WAITING) {
			if (!r->idle_said && r->pid == s->o->pid &&
				   now - r->armed_ns >= AGENT_IDLE_NS) {
				fprintf(stderr, "pytap: pid %d reached no safe point for 1 s (its main thread waits in C code and no thread started a Python function): the python.function probes start when it runs Python\n",
					(int)r->pid);
				r->idle_said = true;
			}
			continue;
		}
		if (r->phase != AG_RUNNING && r->phase != AG_STOPPING)
			continue;
		if (force || now >= s->agent_next)
			any |= drain(s, r, r->phase == AG_RUNNING);
	}
	if (force || now >= s->agent_next) {
		if (any)
			s->agent_poll_ns = AGENT_POLL_MIN_NS;
		else if (s->agent_poll_ns < AGENT_POLL_MAX_NS)
			s->agent_poll_ns *= 2;
		s->agent_next = now + s->agent_poll_ns;
	}
}

uint64_t agent_deadline(struct session *s)
{
	uint64_t d = 0;

	if (!s->agent)
		return 0;
	for (size_t i = 0; i < s->nrings; i++) {
		const struct agent_ring *r = &s->rings[i];

		if (r->phase == AG_RUNNING || r->phase == AG_STOPPING)
			d = s->agent_next;
		else if (r->phase == AG_WAITING && !r->idle_said &&
			 r->pid == s->o->pid &&
			 (!d || r->armed_ns + AGENT_IDLE_NS < d))
			d = r->armed_ns + AGENT_IDLE_NS;
	}
	return d;
}

static void unmap(struct agent_ring *r)
{
	if (r->map) {
		r->dropped = hdr(r)->dropped + hdr(r)->codes_over;
		munmap(r->map, r->maplen);
		r->map = NULL;
	}
	r->phase = AG_DONE;
}

void agent_exited(struct session *s, pid_t pid)
{
	struct agent_ring *r = ring_of(s, pid);

	if (r == NULL)
		return;
	if (r->map)
		drain(s, r, r->phase == AG_RUNNING);
	unmap(r);
}

void agent_stop_all(struct session *s)
{
	uint64_t until;
	bool waiting = false;

	if (!s->agent)
		return;
	for (size_t i = 0; i < s->nrings; i++) {
		struct agent_ring *r = &s->rings[i];

		if (r->phase == AG_WAITING) {
			tracer_disarm_safepoint(s->tr, r->pid);
			r->phase = AG_DONE;
			continue;
		}
		if (r->phase != AG_RUNNING && r->phase != AG_STOPPING)
			continue;
		drain(s, r, r->phase == AG_RUNNING);
		__atomic_store_n(&hdr(r)->stop_request, 1, __ATOMIC_RELEASE);
		r->phase = AG_STOPPING;
		waiting = true;
	}
	/* the watchdog sees the request within PYTAP_WATCHDOG_MS and the
	   hooks go at the target's next step: keep its threads running
	   (a hit is resumed without its handler) until then, bounded */
	until = session_now_ns() + AGENT_STOP_NS;
	while (waiting && session_now_ns() < until) {
		struct tracer_hit hit;
		struct tracer_exit ex;
		enum tracer_event ev;

		waiting = false;
		for (size_t i = 0; i < s->nrings; i++) {
			struct agent_ring *r = &s->rings[i];
			uint32_t st;

			if (r->phase != AG_STOPPING)
				continue;
			drain(s, r, false);
			st = __atomic_load_n(&hdr(r)->agent_state,
					     __ATOMIC_ACQUIRE);
			if (st != PYTAP_STATE_RUNNING) {
				drain(s, r, false);
				unmap(r);
			} else {
				waiting = true;
			}
		}
		if (!waiting)
			break;
		ev = tracer_wait(s->tr, session_now_ns() + 5000000ull, &hit,
				 &ex);
		if (ev == TEV_EXIT)
			agent_exited(s, ex.pid);
		else if (ev == TEV_NOPROC || ev == TEV_ERROR)
			break;
	}
	for (size_t i = 0; i < s->nrings; i++) {
		struct agent_ring *r = &s->rings[i];

		if (r->phase != AG_STOPPING)
			continue;
		if (s->o->verbose)
			fprintf(stderr, "pytap: pid %d ran no Python code since the end: the agent's hooks are inert and go at its next Python step\n",
				(int)r->pid);
		unmap(r);
	}
}

uint64_t agent_dropped(const struct session *s)
{
	uint64_t n = 0;

	for (size_t i = 0; i < s->nrings; i++)
		n += s->rings[i].map ? hdr((struct agent_ring *)&s->rings[i])->dropped
				     : s->rings[i].dropped;
	return n;
}

void agent_finish(struct session *s)
{
	uint64_t dropped = 0;

	for (size_t i = 0; i < s->nrings; i++) {
		struct agent_ring *r = &s->rings[i];

		if (r->map)
			unmap(r);
		dropped += r->dropped;
		for (size_t k = 0; k < r->ncodes; k++)
			code_free(r->codes[k]);
		free(r->codes);
		shadow_free(r);
		r->codes = NULL;
		r->ncodes = 0;
	}
	if (dropped)
		fprintf(stderr, "WARNING: the in-process agent dropped %llu events: pytap did not keep up (the ring was full)\n",
			(unsigned long long)dropped);
	free(s->agent_probe);
	free(s->agent_path);
}

const char *agent_string(struct session *s, pid_t pid, uint64_t addr,
			 size_t *len)
{
	struct agent_ring *r = NULL;
	uint32_t id = (uint32_t)addr;
	int field = (int)((addr >> 32) & 0xffff);

	if ((addr & HANDLE_MASK) != HANDLE_TAG || field > 5)
		return NULL;
	for (size_t i = 0; i < s->nrings; i++)
		if (s->rings[i].pid == pid && s->rings[i].codes)
			r = &s->rings[i];
	if (r != NULL && field >= 4) {	/* the exception event's */
		*len = strlen(r->exc[field - 4]);
		return r->exc[field - 4];
	}
	if (r == NULL || id >= r->ncodes || r->codes[id] == NULL)
		return NULL;
	*len = r->codes[id]->len[field];
	return r->codes[id]->str[field];
}
