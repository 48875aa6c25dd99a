/*
 * vm.c - the bytecode interpreter: loads a compiled program (checking it
 * once, so that running it needs no checks), then runs one probe handler
 * per vm_run() call.
 *
 * Invariants:
 *  - Instructions are typed; the loader verified every operand (constant,
 *    local, global, function, format, regex indexes, jump targets) and
 *    computed each function's deepest operand stack, so the dispatch loop
 *    checks nothing but the stack room at a call.  A program the loader
 *    rejects is a compiler bug; so is running out of operand stack
 *    ("internal error").
 *  - Strings on the stack and in locals are `const struct vstr *` into the
 *    constant table, or into the per-run arena, which is reset when
 *    vm_run() returns; none is longer than maxstringlen-1 bytes.  Globals
 *    and map values own copies: stores copy in, loads copy out into the
 *    arena, so no value a handler holds ever changes under it.
 *  - No malloc on the hot path: the arena keeps its blocks, iterators keep
 *    their snapshot arrays, the output buffer keeps its memory.
 *  - Runtime errors unwind to the innermost try block whose body holds the
 *    failing instruction (in the frame of the TRY; a call made inside the
 *    body counts by its call site), or end the handler and are printed as
 *    SystemTap prints them:
 *	ERROR: MSG near WHAT at FILE:L:C[ (called from WHAT at FILE:L:C)...]
 *    The "(called from ...)" frames are SystemTap 5.6's (PR34320; its
 *    error_context test needs them); 5.6 also appends " in probe PP",
 *    which stap 4.8 does not: build with -DVM_ERROR_IN_PROBE for that.
 *
 * Dispatch is a switch, or computed goto where GCC allows (the vmcase /
 * vmbreak macros, as in Lua's lvm.c, serve both).
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vm_int.h"

#define OUT_FLUSH_AT	(64 * 1024)	/* flush the output past this */
#define ARENA_CHUNK	(64 * 1024)

#if defined(__GNUC__) && !defined(VM_NO_COMPUTED_GOTO)
#define VM_COMPUTED_GOTO 1
#endif

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)

const struct vstr vm_empty_str = { 0, "" };

/* A built-in of another folder that this VM was not given (host.ext). */
static void bi_unavailable(struct vm *vm, const union vm_val *args,
			   union vm_val *ret)
{
	(void)args;
	(void)ret;
	vm_raise(vm, "this built-in is not available here");
}

/* The VM's own built-ins; python/'s come through host.ext (vm_new). */
static const vm_builtin_fn bi_table[BI__COUNT] = {
#define VM_BI_ENTRY(id, name, ret, args) [BI_##id] = bi_##id,
	BC_BUILTINS_VM(VM_BI_ENTRY)
	BC_BUILTINS_VM2(VM_BI_ENTRY)
#undef VM_BI_ENTRY
};

static const char bi_ret[] = {
#define VM_BI_RET(id, name, ret, args) ret,
	BC_BUILTINS(VM_BI_RET)
#undef VM_BI_RET
};

static const char *const bi_args[] = {
#define VM_BI_ARGS(id, name, ret, args) args,
	BC_BUILTINS(VM_BI_ARGS)
#undef VM_BI_ARGS
};

/* Stack effects from the opcode table (-1: computed by the loader). */
static const signed char op_pops[] = {
#define VM_OP_POPS(name, operands, pops, pushes) pops,
	BC_OPCODES(VM_OP_POPS)
#undef VM_OP_POPS
};

static const signed char op_pushes[] = {
#define VM_OP_PUSHES(name, operands, pops, pushes) pushes,
	BC_OPCODES(VM_OP_PUSHES)
#undef VM_OP_PUSHES
};

/* A foreach in progress. */
struct vm_iter {
	bool active;
	bool hist;		/* over histogram buckets */
	bool has_limit;
	int global;
	int agg;		/* statistics: FEVALUE's @-operator */
	int64_t limit, count;
	struct map_snap snap;
	struct map_entry *cur;
	struct stat_agg hagg;	/* histogram: a copy taken at FEBEGIN */
	bool hagg_init;
	int64_t bucket, nbuckets;
};

/* ---- small helpers ---------------------------------------------------- */

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int popcount32(uint32_t v)
{
	return __builtin_popcount(v);
}

static void raise_str(struct vm *vm, const char *msg)
{
	snprintf(vm->errmsg, (size_t)vm->p->maxstringlen, "%s", msg);
	vm->err_pending = true;
}

void vm_raise(struct vm *vm, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(vm->errmsg, (size_t)vm->p->maxstringlen, fmt, ap);
	va_end(ap);
	vm->err_pending = true;
}

/* ---- output ----------------------------------------------------------- */

static void out_write(struct vm *vm)
{
	if (vm->obuf.len && vm->out != NULL) {
		fwrite(vm->obuf.buf, 1, vm->obuf.len, vm->out);
		fflush(vm->out);
	}
	sb_reset(&vm->obuf);
}

void vm_flush(struct vm *vm)
{
	out_write(vm);
}

void vm_out(struct vm *vm, const char *s, size_t n)
{
	sb_append(&vm->obuf, s, n);
	if (vm->obuf.len >= OUT_FLUSH_AT)
		out_write(vm);
}

void vm_warn(struct vm *vm, const char *msg)
{
	out_write(vm);
	fprintf(stderr, "WARNING: %s\n", msg);
}

/* ---- the string arena ------------------------------------------------- */

#define ALIGN8(n) (((n) + 7) & ~(size_t)7)

static void arena_reset(struct vm *vm)
{
	vm->arena_cur = vm->arena_head;
	vm->arena_ptr = vm->arena_head->mem;
	vm->arena_end = vm->arena_head->mem + vm->arena_head->cap;
}

/* Make room for N bytes at arena_ptr. */
static void arena_grow(struct vm *vm, size_t n)
{
	struct vm_chunk *c = vm->arena_cur->next;

	if (c == NULL || c->cap < n) {
		size_t cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;

		c = malloc(sizeof(*c) + cap);
		if (c == NULL) {
			fputs("pytap: out of memory\n", stderr);
			abort();
		}
		c->cap = cap;
		c->next = vm->arena_cur->next;
		vm->arena_cur->next = c;
	}
	vm->arena_cur = c;
	vm->arena_ptr = c->mem;
	vm->arena_end = c->mem + c->cap;
}

static inline struct vstr *arena_str(struct vm *vm, size_t len)
{
	size_t need = ALIGN8(sizeof(struct vstr) + len + 1);
	struct vstr *s;

	if (unlikely((size_t)(vm->arena_end - vm->arena_ptr) < need))
		arena_grow(vm, need);
	s = (struct vstr *)vm->arena_ptr;
	vm->arena_ptr += need;
	s->len = (uint32_t)len;
	s->data[len] = '\0';
	return s;
}

const struct vstr *vm_str_new(struct vm *vm, const char *s, size_t n)
{
	const char *nul;
	struct vstr *r;

	if (n > vm->maxlen)
		n = vm->maxlen;
	nul = memchr(s, '\0', n);
	if (nul != NULL)
		n = (size_t)(nul - s);
	if (n == 0)
		return &vm_empty_str;
	r = arena_str(vm, n);
	memcpy(r->data, s, n);
	return r;
}

char *vm_str_begin(struct vm *vm)
{
	size_t need = ALIGN8(sizeof(struct vstr) + vm->maxlen + 2);

	if (unlikely((size_t)(vm->arena_end - vm->arena_ptr) < need))
		arena_grow(vm, need);
	return ((struct vstr *)vm->arena_ptr)->data;
}

const struct vstr *vm_str_end(struct vm *vm, size_t n)
{
	struct vstr *s = (struct vstr *)vm->arena_ptr;

	if (n > vm->maxlen)
		n = vm->maxlen;
	s->len = (uint32_t)n;
	s->data[n] = '\0';
	vm->arena_ptr += ALIGN8(sizeof(struct vstr) + n + 1);
	return s;
}

/* ---- loading: the verifier -------------------------------------------- */

struct verify {
	const struct bc_program *p;
	const struct bc_function *fn;
	uint32_t fidx;
	int niters;
	int32_t *depth;		/* per pc of the function, -1 = unseen */
	int32_t *istate;	/* per pc: niters entries: the global (x2,
				   +1 for histograms) each iterator walks,
				   -1 none, -2 it depends on the path */
	bool *inq;		/* per pc: on the work list */
	uint32_t *work;
	size_t nwork;
	int maxdepth;
	char *err;
	size_t errlen;
};

#define IT_NONE		(-1)
#define IT_CONFLICT	(-2)

static const struct bc_global *global_at(const struct bc_program *p,
					 unsigned g)
{
	return g < p->nglobals ? &p->globals[g] : NULL;
}

static int vfail(struct verify *v, uint32_t pc, const char *what)
{
	set_err(v->err, v->errlen,
		"malformed program: %s at pc %u (%s) in function %s", what,
		pc, pc < v->p->ncode ? bc_op_name(v->p->code[pc].op) : "?",
		v->fn->name ? v->fn->name : "?");
	return -1;
}

/* Reach TARGET with stack DEPTH and iterator state IST. */
static int visit(struct verify *v, uint32_t target, int depth,
		 const int32_t *ist, uint32_t from)
{
	uint32_t lo = v->fn->entry, hi = v->fn->entry + v->fn->size;
	int32_t *st;
	bool changed = false;
	int i;

	if (target < lo || target >= hi)
		return vfail(v, from, "jump out of the function");
	st = v->istate + (size_t)(target - lo) * (size_t)v->niters;
	if (v->depth[target - lo] < 0) {
		v->depth[target - lo] = depth;
		memcpy(st, ist, (size_t)v->niters * sizeof(*st));
		changed = true;
	} else {
		if (v->depth[target - lo] != depth)
			return vfail(v, target,
				     "stack depths differ where paths join");
		for (i = 0; i < v->niters; i++) {
			if (st[i] != ist[i] && st[i] != IT_CONFLICT) {
				st[i] = IT_CONFLICT;
				changed = true;
			}
		}
	}
	if (changed && !v->inq[target - lo]) {
		v->inq[target - lo] = true;
		v->work[v->nwork++] = target;
	}
	return 0;
}

/* The number of key slots an array op pops for global G (mask: wildcard
 * columns, not on the stack). */
static int key_slots(const struct bc_global *g, uint32_t mask)
{
	uint32_t all = g->nkeys >= 32 ? 0xffffffffu : (1u << g->nkeys) - 1;

	return g->nkeys - popcount32(mask & all);
}

/* Check the instruction at PC reached with DEPTH and iterator state CUR
 * (which it may change), and pass the state on to its successors. */
static int verify_insn(struct verify *v, struct vm *vm, uint32_t pc,
		       int depth, int32_t *cur)
{
	const struct bc_program *p = v->p;
	const struct bc_insn *in = &p->code[pc];
	const struct bc_global *g = NULL;
	int pops = in->op < OP__COUNT ? op_pops[in->op] : 0;
	int pushes = in->op < OP__COUNT ? op_pushes[in->op] : 0;
	bool falls = true;
	int ndepth;
	uint32_t jump = UINT32_MAX;	/* a branch target, if any */
	int jdepth = 0;

	if (in->op >= OP__COUNT)
		return vfail(v, pc, "unknown opcode");
	switch (in->op) {
	case OP_PUSHL:
		if (in->b < 0 || (size_t)in->b >= p->nlconst)
			return vfail(v, pc, "bad long constant");
		break;
	case OP_PUSHS:
		if (in->b < 0 || (size_t)in->b >= p->nsconst)
			return vfail(v, pc, "bad string constant");
		break;
	case OP_LOAD:
	case OP_STORE:
		if (in->a >= v->fn->nlocals)
			return vfail(v, pc, "bad local");
		break;
	case OP_GLOADL:
	case OP_GSTOREL:
	case OP_GINCR:
		g = global_at(p, in->a);
		if (!g || g->nkeys || g->type != BT_LONG)
			return vfail(v, pc, "not a long scalar global");
		break;
	case OP_GLOADS:
	case OP_GSTORES:
		g = global_at(p, in->a);
		if (!g || g->nkeys || g->type != BT_STRING)
			return vfail(v, pc, "not a string scalar global");
		break;
	case OP_REGEX:
		if (in->a >= p->nregexes)
			return vfail(v, pc, "bad regex");
		break;
	case OP_JMP:
		falls = false;
		/* fall through */
	case OP_JZ:
	case OP_JNZ:
		jump = (uint32_t)((int64_t)pc + 1 + in->b);
		jdepth = depth - pops;
		break;
	case OP_TRY:
		jump = (uint32_t)((int64_t)pc + 1 + in->b);
		jdepth = depth;
		break;
	case OP_CALL:
		if (in->a >= p->nfunctions)
			return vfail(v, pc, "bad function");
		pops = p->functions[in->a].nparams;
		pushes = 1;
		break;
	case OP_RET:
	case OP_NEXT:
	case OP_HALT:
		falls = false;
		break;
	case OP_BUILTIN:
		if (in->a >= BI__COUNT)
			return vfail(v, pc, "bad built-in");
		if ((size_t)in->x != strlen(bi_args[in->a]))
			return vfail(v, pc, "wrong built-in argument count");
		pops = in->x;
		pushes = bi_ret[in->a] == 'V' ? 0 : 1;
		break;
	case OP_CTXS:
		if (in->a > 5)
			return vfail(v, pc, "bad context string");
		break;
	case OP_PRINTF:
	case OP_SPRINTF:
		if (in->a >= p->nformats)
			return vfail(v, pc, "bad format");
		if (vm->fmts[in->a].nargs != in->x)
			return vfail(v, pc, "wrong format argument count");
		pops = in->x;
		pushes = in->op == OP_SPRINTF;
		break;
	case OP_AGETL:
	case OP_AGETS:
	case OP_ASETL:
	case OP_ASETS:
	case OP_AINCR:
	case OP_AEXISTS:
	case OP_ADEL:
	case OP_ACLEAR:
		g = global_at(p, in->a);
		if (!g || g->nkeys < 1 || g->nkeys > MAP_MAX_KEYS ||
		    g->type == BT_STATS)
			return vfail(v, pc, "not an array global");
		if (((in->op == OP_AGETL || in->op == OP_ASETL ||
		      in->op == OP_AINCR) && g->type != BT_LONG) ||
		    ((in->op == OP_AGETS || in->op == OP_ASETS) &&
		     g->type != BT_STRING))
			return vfail(v, pc, "array value type mismatch");
		switch (in->op) {
		case OP_AGETL:
		case OP_AGETS:
		case OP_AEXISTS:
			pops = key_slots(g, in->op == OP_AEXISTS ?
					 (uint32_t)in->b : 0);
			pushes = 1;
			break;
		case OP_ASETL:
		case OP_ASETS:
			pops = g->nkeys + 1;
			pushes = 0;
			break;
		case OP_AINCR:
			pops = g->nkeys + 1;
			pushes = 1;
			break;
		case OP_ADEL:
			pops = key_slots(g, (uint32_t)in->b);
			pushes = 0;
			break;
		default:
			break;
		}
		break;
	case OP_GCLEAR:
		g = global_at(p, in->a);
		if (!g || g->nkeys)
			return vfail(v, pc, "not a scalar global");
		break;
	case OP_STATADD:
	case OP_STATOP:
	case OP_HISTPRINT:
	case OP_HISTSTR:
	case OP_HISTBUCKET:
		g = global_at(p, in->a);
		if (!g || g->type != BT_STATS || g->nkeys > MAP_MAX_KEYS)
			return vfail(v, pc, "not a statistics global");
		pops = g->nkeys;
		pushes = 0;
		if (in->op == OP_STATADD || in->op == OP_HISTBUCKET)
			pops++;
		if (in->op == OP_STATOP) {
			if (in->b < 0 || in->b > 5)
				return vfail(v, pc, "bad statistics operator");
			if (in->b == 5)
				pops++;
		}
		if (in->op != OP_STATADD && in->op != OP_STATOP &&
		    g->hist == BH_NONE)
			return vfail(v, pc, "global has no histogram");
		if (in->op == OP_STATOP || in->op == OP_HISTSTR ||
		    in->op == OP_HISTBUCKET)
			pushes = 1;
		break;
	case OP_FEBEGIN:
		if (in->x >= v->niters || in->a >= p->nsorts)
			return vfail(v, pc, "bad iterator or sort spec");
		g = global_at(p, (unsigned)in->b);
		if (!g || g->nkeys > MAP_MAX_KEYS)
			return vfail(v, pc, "bad foreach global");
		if (p->sorts[in->a].hist) {
			if (g->type != BT_STATS || g->hist == BH_NONE)
				return vfail(v, pc, "foreach over no histogram");
			pops = 1 + g->nkeys;
		} else {
			if (g->nkeys < 1)
				return vfail(v, pc, "foreach over a scalar");
			pops = 1 + popcount32(p->sorts[in->a].fixed &
					      ((1u << g->nkeys) - 1));
		}
		cur[in->x] = in->b * 2 + (p->sorts[in->a].hist ? 1 : 0);
		break;
	case OP_FENEXT:
		if (in->a >= v->niters || cur[in->a] < 0)
			return vfail(v, pc, cur[in->a] == IT_CONFLICT
				     ? "iterator walks different arrays "
				       "on different paths"
				     : "iterator without FEBEGIN");
		jump = (uint32_t)((int64_t)pc + 1 + in->b);
		jdepth = depth;
		pops = 0;
		pushes = (cur[in->a] & 1) ? 1
			 : p->globals[cur[in->a] / 2].nkeys;
		break;
	case OP_FEVALUE:
		if (in->x >= v->niters || cur[in->x] < 0)
			return vfail(v, pc, "iterator without FEBEGIN");
		break;
	case OP_FEEND:
		if (in->x >= v->niters)
			return vfail(v, pc, "bad iterator");
		break;
	default:
		break;
	}
	if (pops < 0 || pushes < 0)
		return vfail(v, pc, "unknown stack effect");
	if (depth < pops)
		return vfail(v, pc, "operand stack underflow");
	ndepth = depth - pops + pushes;
	if (ndepth > v->maxdepth)
		v->maxdepth = ndepth;
	if (depth > v->maxdepth)
		v->maxdepth = depth;
	if (jump != UINT32_MAX && visit(v, jump, jdepth, cur, pc) < 0)
		return -1;
	if (falls && visit(v, pc + 1, ndepth, cur, pc) < 0)
		return -1;
	return 0;
}

static int verify_function(struct vm *vm, uint32_t fidx, char *err,
			   size_t errlen)
{
	const struct bc_program *p = vm->p;
	const struct bc_function *fn = &p->functions[fidx];
	struct verify v;
	int32_t *cur = NULL;
	uint32_t pc;
	int i, rc = -1;

	memset(&v, 0, sizeof(v));
	v.p = p;
	v.fn = fn;
	v.fidx = fidx;
	v.err = err;
	v.errlen = errlen;
	if (fn->size == 0 || fn->entry > p->ncode ||
	    fn->size > p->ncode - fn->entry) {
		set_err(err, errlen, "malformed program: function %s has bad "
			"code bounds", fn->name ? fn->name : "?");
		return -1;
	}
	if (fn->nparams < 0 || fn->nparams > 32 || fn->nlocals < fn->nparams ||
	    fn->niters < 0 || fn->nlocals > 65536 || fn->niters > 256) {
		set_err(err, errlen, "malformed program: function %s has bad "
			"frame sizes", fn->name ? fn->name : "?");
		return -1;
	}
	v.niters = fn->niters;
	v.depth = malloc(fn->size * sizeof(*v.depth));
	v.inq = calloc(fn->size, sizeof(*v.inq));
	v.work = malloc((fn->size + 1) * sizeof(*v.work));
	v.istate = malloc((size_t)fn->size * (size_t)(v.niters + 1) *
			  sizeof(*v.istate));
	cur = malloc(((size_t)v.niters + 1) * sizeof(*cur));
	if (!v.depth || !v.inq || !v.work || !v.istate || !cur) {
		set_err(err, errlen, "out of memory");
		goto out;
	}
	for (pc = 0; pc < fn->size; pc++)
		v.depth[pc] = -1;
	for (i = 0; i < v.niters; i++)
		cur[i] = IT_NONE;
	if (visit(&v, fn->entry, 0, cur, fn->entry) < 0)
		goto out;
	while (v.nwork > 0) {
		uint32_t at = v.work[--v.nwork];

		v.inq[at - fn->entry] = false;
		memcpy(cur, v.istate + (size_t)(at - fn->entry) *
		       (size_t)v.niters, (size_t)v.niters * sizeof(*cur));
		if (verify_insn(&v, vm, at, v.depth[at - fn->entry], cur) < 0)
			goto out;
	}
	vm->fninfo[fidx].maxstack = v.maxdepth;
	rc = 0;
out:
	free(v.depth);
	free(v.inq);
	free(v.work);
	free(v.istate);
	free(cur);
	return rc;
}

/* ---- loading ---------------------------------------------------------- */

static int load_constants(struct vm *vm, char *err, size_t errlen)
{
	const struct bc_program *p = vm->p;
	size_t i, total = 0;
	char *mem;

	vm->sconst = calloc(p->nsconst + 1, sizeof(*vm->sconst));
	if (vm->sconst == NULL)
		goto oom;
	for (i = 0; i < p->nsconst; i++) {
		size_t n = p->sconst_len ? p->sconst_len[i]
					 : strlen(p->sconst[i]);

		if (n > vm->maxlen)
			n = vm->maxlen;
		total += ALIGN8(sizeof(struct vstr) + n + 1);
	}
	mem = vm->sconst_mem = malloc(total ? total : 8);
	if (mem == NULL)
		goto oom;
	for (i = 0; i < p->nsconst; i++) {
		size_t n = p->sconst_len ? p->sconst_len[i]
					 : strlen(p->sconst[i]);
		struct vstr *s = (struct vstr *)mem;
		size_t cap;

		if (n > vm->maxlen)
			n = vm->maxlen;
		cap = n;
		/* a C string: "\0" in the script is "" */
		n = strnlen(p->sconst[i], n);
		s->len = (uint32_t)n;
		memcpy(s->data, p->sconst[i], n);
		s->data[n] = '\0';
		vm->sconst[i] = s;
		mem += ALIGN8(sizeof(struct vstr) + cap + 1);
	}
	return 0;
oom:
	set_err(err, errlen, "out of memory");
	return -1;
}

static int load_formats(struct vm *vm, char *err, size_t errlen)
{
	const struct bc_program *p = vm->p;
	size_t i;

	vm->fmts = calloc(p->nformats + 1, sizeof(*vm->fmts));
	if (vm->fmts == NULL) {
		set_err(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < p->nformats; i++) {
		char msg[128];
		size_t n = p->format_len ? p->format_len[i]
					 : strlen(p->formats[i]);

		if (fmt_parse(p->formats[i], n, &vm->fmts[i], msg,
			      sizeof(msg)) != 0) {
			set_err(err, errlen, "malformed program: format %zu: "
				"%s", i, msg);
			return -1;
		}
	}
	return 0;
}

static int load_regexes(struct vm *vm, char *err, size_t errlen)
{
	const struct bc_program *p = vm->p;
	size_t i;

	vm->regexes = calloc(p->nregexes + 1, sizeof(*vm->regexes));
	if (vm->regexes == NULL) {
		set_err(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < p->nregexes; i++) {
		int rc = regcomp(&vm->regexes[i], p->regexes[i],
				 REG_EXTENDED);

		if (rc != 0) {
			char msg[128];

			regerror(rc, &vm->regexes[i], msg, sizeof(msg));
			set_err(err, errlen, "regular expression '%s': %s",
				p->regexes[i], msg);
			return -1;
		}
		vm->nregex_ok++;
	}
	return 0;
}

/* The N of @variance(x, N) for stats global G: bc_global.var_shift, or the
 * constant pushed right before a STATOP @variance on it. */
static int variance_shift(const struct bc_program *p, unsigned gi)
{
	size_t pc;

	if (p->globals[gi].var_shift > 0)
		return (int)p->globals[gi].var_shift;
	for (pc = 1; pc < p->ncode; pc++) {
		const struct bc_insn *in = &p->code[pc], *pv = in - 1;

		if (in->op != OP_STATOP || in->a != gi || in->b != 5)
			continue;
		if (pv->op == OP_PUSHI)
			return pv->b;
		if (pv->op == OP_PUSHL && pv->b >= 0 &&
		    (size_t)pv->b < p->nlconst)
			return (int)p->lconst[pv->b];
	}
	return 0;
}

static int load_globals(struct vm *vm, char *err, size_t errlen)
{
	const struct bc_program *p = vm->p;
	size_t i, n = p->nglobals + 1;

	vm->gval = calloc(n, sizeof(*vm->gval));
	vm->gstr = calloc(n, sizeof(*vm->gstr));
	vm->gmap = calloc(n, sizeof(*vm->gmap));
	vm->gstat = calloc(n, sizeof(*vm->gstat));
	vm->gcfg = calloc(n, sizeof(*vm->gcfg));
	vm->gempty = calloc(n, sizeof(*vm->gempty));
	if (!vm->gval || !vm->gstr || !vm->gmap || !vm->gstat || !vm->gcfg ||
	    !vm->gempty)
		goto oom;
	for (i = 0; i < p->nglobals; i++) {
		const struct bc_global *g = &p->globals[i];

		if (g->nkeys < 0 || g->nkeys > MAP_MAX_KEYS) {
			set_err(err, errlen, "malformed program: global %s "
				"has %d keys", g->name, g->nkeys);
			return -1;
		}
		if (g->type == BT_STATS) {
			struct stat_cfg *cfg = &vm->gcfg[i];
			int shift = variance_shift(p, (unsigned)i);
			char msg[160];

			if (shift < 0 || shift > STAT_MAX_SHIFT)
				shift = 0;
			stat_cfg_init(cfg, g->nkeys == 0, shift);
			if (g->hist == BH_LOG) {
				stat_cfg_log(cfg);
			} else if (g->hist == BH_LINEAR &&
				   stat_cfg_linear(cfg, (int)g->hist_lo,
						   (int)g->hist_hi,
						   (int)g->hist_step, msg,
						   sizeof(msg)) != 0) {
				set_err(err, errlen, "%s", msg);
				return -1;
			}
			if (stat_init(&vm->gempty[i], cfg) != 0)
				goto oom;
			if (g->nkeys == 0 && stat_init(&vm->gstat[i], cfg) != 0)
				goto oom;
		}
		if (g->nkeys > 0) {
			enum map_type kt[MAP_MAX_KEYS];
			int k;

			for (k = 0; k < g->nkeys; k++) {
				if (g->keytypes[k] != BT_LONG &&
				    g->keytypes[k] != BT_STRING) {
					set_err(err, errlen, "malformed "
						"program: global %s: bad key "
						"type", g->name);
					return -1;
				}
				kt[k] = (enum map_type)g->keytypes[k];
			}
			if (g->type != BT_LONG && g->type != BT_STRING &&
			    g->type != BT_STATS) {
				set_err(err, errlen, "malformed program: "
					"global %s: bad value type", g->name);
				return -1;
			}
			vm->gmap[i] = map_new(g->nkeys, kt,
					      (enum map_type)g->type,
					      g->maxsize > 0 ? g->maxsize
							     : p->maxmapentries,
					      g->wrap);
			if (vm->gmap[i] == NULL)
				goto oom;
			map_set_maxstrlen(vm->gmap[i], vm->maxlen);
			if (g->type == BT_STATS)
				map_set_stat_cfg(vm->gmap[i], &vm->gcfg[i]);
		} else if (g->type == BT_STRING) {
			size_t len = 0;

			vm->gstr[i] = malloc(sizeof(struct vstr) + vm->maxlen +
					     1);
			if (vm->gstr[i] == NULL)
				goto oom;
			if (g->has_init && g->init_str != NULL) {
				len = strnlen(g->init_str, vm->maxlen);
				memcpy(vm->gstr[i]->data, g->init_str, len);
			}
			vm->gstr[i]->len = (uint32_t)len;
			vm->gstr[i]->data[len] = '\0';
			vm->gval[i].s = vm->gstr[i];
		} else if (g->type == BT_LONG) {
			vm->gval[i].l = g->has_init ? g->init_long : 0;
		}
	}
	return 0;
oom:
	set_err(err, errlen, "out of memory");
	return -1;
}

static int load_functions(struct vm *vm, char *err, size_t errlen)
{
	const struct bc_program *p = vm->p;
	size_t i;
	int maxstack = 0, maxlocals = 0, maxiters = 0, maxtries = 0;
	int64_t levels;

	vm->fninfo = calloc(p->nfunctions + 1, sizeof(*vm->fninfo));
	if (vm->fninfo == NULL)
		goto oom;
	for (i = 0; i < p->nprobes; i++) {
		const struct bc_probe *pr = &p->probes[i];

		if (pr->handler < 0 || (size_t)pr->handler >= p->nfunctions ||
		    p->functions[pr->handler].nparams != 0) {
			set_err(err, errlen, "malformed program: probe %zu "
				"has a bad handler", i);
			return -1;
		}
		if (pr->kind == BP_BEGIN || pr->kind == BP_END ||
		    pr->kind == BP_ERROR)
			vm->fninfo[pr->handler].interruptible = true;
	}
	for (i = 0; i < p->nfunctions; i++) {
		const struct bc_function *fn = &p->functions[i];
		uint32_t pc;
		int ntry = 0;

		if (verify_function(vm, (uint32_t)i, err, errlen) < 0)
			return -1;
		if (vm->fninfo[i].maxstack > maxstack)
			maxstack = vm->fninfo[i].maxstack;
		if (fn->nlocals > maxlocals)
			maxlocals = fn->nlocals;
		if (fn->niters > maxiters)
			maxiters = fn->niters;
		for (pc = fn->entry; pc < fn->entry + fn->size; pc++)
			if (p->code[pc].op == OP_TRY)
				ntry++;
		if (ntry > maxtries)
			maxtries = ntry;
	}

	/* frames: the handler, then up to MAXNESTING calls */
	levels = (p->maxnesting > 0 ? p->maxnesting : 0) + 2;
	if (levels > 100000)
		levels = 100000;
	vm->nframes_max = (int)levels;
	vm->frames = calloc((size_t)levels, sizeof(*vm->frames));
	vm->stack = calloc((size_t)levels * (size_t)(maxstack + 40),
			   sizeof(*vm->stack));
	vm->lstack = calloc((size_t)levels * (size_t)(maxlocals + 1),
			    sizeof(*vm->lstack));
	vm->istack = calloc((size_t)levels * (size_t)(maxiters + 1),
			    sizeof(*vm->istack));
	vm->ntries_max = (int)levels * (maxtries + 1);
	vm->tries = calloc((size_t)vm->ntries_max, sizeof(*vm->tries));
	if (!vm->frames || !vm->stack || !vm->lstack || !vm->istack ||
	    !vm->tries)
		goto oom;
	vm->stack_end = vm->stack + (size_t)levels * (size_t)(maxstack + 40);
	vm->lstack_end = vm->lstack + (size_t)levels * (size_t)(maxlocals + 1);
	vm->istack_end = vm->istack + (size_t)levels * (size_t)(maxiters + 1);
	return 0;
oom:
	set_err(err, errlen, "out of memory");
	return -1;
}

struct vm *vm_new(const struct bc_program *p, const struct vm_host *host,
		  FILE *out, char *err, size_t errlen)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	int64_t msl;

	if (vm == NULL) {
		set_err(err, errlen, "out of memory");
		return NULL;
	}
	vm->p = p;
	if (host != NULL)
		vm->host = *host;
	for (size_t i = 0; i < BI__COUNT; i++) {
		vm->bi[i] = bi_table[i];
		if (vm->bi[i] == NULL && vm->host.ext != NULL &&
		    vm->host.ext->builtins != NULL)
			vm->bi[i] = vm->host.ext->builtins[i];
		if (vm->bi[i] == NULL)
			vm->bi[i] = bi_unavailable;
	}
	vm->out = out;
	msl = p->maxstringlen > 1 ? p->maxstringlen : 2;
	if (msl > (1 << 24))
		msl = 1 << 24;
	vm->maxlen = (size_t)msl - 1;
	vm->errmsg = calloc(1, (size_t)msl + 1);
	vm->match_str = calloc(1, (size_t)msl + 1);
	vm->tok_str = calloc(1, (size_t)msl + 1);
	vm->arena_head = malloc(sizeof(struct vm_chunk) + ARENA_CHUNK);
	if (!vm->errmsg || !vm->match_str || !vm->tok_str || !vm->arena_head) {
		set_err(err, errlen, "out of memory");
		goto fail;
	}
	vm->arena_head->next = NULL;
	vm->arena_head->cap = ARENA_CHUNK;
	arena_reset(vm);
	if (load_constants(vm, err, errlen) < 0 ||
	    load_formats(vm, err, errlen) < 0 ||
	    load_regexes(vm, err, errlen) < 0 ||
	    load_functions(vm, err, errlen) < 0 ||
	    load_globals(vm, err, errlen) < 0)
		goto fail;
	vm_builtins_init(vm);
	return vm;
fail:
	vm_free(vm);
	return NULL;
}

void vm_free(struct vm *vm)
{
	const struct bc_program *p;
	size_t i;

	if (vm == NULL)
		return;
	p = vm->p;
	out_write(vm);
	if (vm->istack != NULL) {
		struct vm_iter *it;

		for (it = vm->istack; it < vm->istack_end; it++) {
			map_snap_free(&it->snap);
			if (it->hagg_init)
				stat_free(&it->hagg);
		}
	}
	if (vm->gval != NULL) {
		for (i = 0; i < p->nglobals; i++) {
			free(vm->gstr[i]);
			map_free(vm->gmap[i]);
			if (p->globals[i].type == BT_STATS) {
				if (p->globals[i].nkeys == 0)
					stat_free(&vm->gstat[i]);
				stat_free(&vm->gempty[i]);
			}
		}
	}
	free(vm->gval);
	free(vm->gstr);
	free(vm->gmap);
	free(vm->gstat);
	free(vm->gcfg);
	free(vm->gempty);
	if (vm->fmts != NULL)
		for (i = 0; i < p->nformats; i++)
			fmt_free(&vm->fmts[i]);
	free(vm->fmts);
	for (i = 0; i < vm->nregex_ok; i++)
		regfree(&vm->regexes[i]);
	free(vm->regexes);
	free(vm->sconst);
	free(vm->sconst_mem);
	free(vm->fninfo);
	free(vm->frames);
	free(vm->stack);
	free(vm->lstack);
	free(vm->istack);
	free(vm->tries);
	while (vm->arena_head != NULL) {
		struct vm_chunk *c = vm->arena_head;

		vm->arena_head = c->next;
		free(c);
	}
	free(vm->errmsg);
	free(vm->match_str);
	free(vm->tok_str);
	vm_builtins_free(vm);
	sb_free(&vm->obuf);
	sb_free(&vm->scratch);
	free(vm);
}

/* ---- running: helpers ------------------------------------------------- */

static int mem_reader(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct vm *vm = ctx;

	if (vm->host.read_mem == NULL || vm->ev == NULL)
		return -1;
	vm->fault_addr = addr;
	return vm->host.read_mem(vm->host.ud, vm_cur_pid(vm), addr, buf, len);
}

static int fmt_reader(void *ctx, uint64_t addr, void *buf, size_t len,
		      int user)
{
	(void)user;
	return mem_reader(ctx, addr, buf, len);
}

/* Keys from the stack (first key deepest) into KEYS; wildcard columns of
 * MASK are not on the stack. */
static inline void get_keys(const struct bc_global *g, const union vm_val *v,
			    uint32_t mask, struct map_key *keys)
{
	int k;

	for (k = 0; k < g->nkeys; k++) {
		if (mask & (1u << k)) {
			keys[k].wild = true;
			keys[k].l = 0;
			keys[k].s = NULL;
			keys[k].len = 0;
			continue;
		}
		keys[k].wild = false;
		if (g->keytypes[k] == BT_STRING) {
			keys[k].s = v->s->data;
			keys[k].len = v->s->len;
			keys[k].l = 0;
		} else {
			keys[k].l = v->l;
			keys[k].s = NULL;
			keys[k].len = 0;
		}
		v++;
	}
}

static void raise_overflow(struct vm *vm, const struct bc_global *g, int err)
{
	if (err == MAP_ENOMEM)
		raise_str(vm, "out of memory");
	else if (g->maxsize > 0)
		vm_raise(vm, "Array overflow, check size limit (%" PRId64 ")",
			 g->maxsize);
	else
		vm_raise(vm, "Array overflow, check MAXMAPENTRIES (%" PRId64
			 "; pytap -DMAXMAPENTRIES=N raises it)",
			 vm->p->maxmapentries);
}

/* The aggregate of stats global GI under KEYS (an empty one if absent). */
static struct stat_agg *stat_lookup(struct vm *vm, unsigned gi,
				    const union vm_val *kv)
{
	const struct bc_global *g = &vm->p->globals[gi];
	struct map_key keys[MAP_MAX_KEYS];
	struct map_entry *e;

	if (g->nkeys == 0)
		return &vm->gstat[gi];
	get_keys(g, kv, 0, keys);
	e = map_find(vm->gmap[gi], keys);
	return e ? map_entry_stat(e) : &vm->gempty[gi];
}

static int64_t ctx_arg(struct vm *vm, int n)
{
	const struct vm_event *ev = vm->ev;
	int64_t v = 0;

	uint64_t fault = 0;

	if (ev == NULL || ev->args == NULL || n < 1 || n > ev->args->nargs)
		return 0;
	if (ev->args->get(ev->args, n, &v, &fault) < 0) {
		vm_raise(vm, "read fault [man error::fault] at 0x%" PRIx64,
			 fault);
		return 0;
	}
	return v;
}

static const struct vstr *ctx_string(struct vm *vm, int what)
{
	const struct vm_event *ev = vm->ev;
	const struct vm_args *sdt = ev ? ev->args : NULL;

	switch (what) {
	case 0:
		return sdt && sdt->name ? vm_str_new(vm, sdt->name,
						     strlen(sdt->name))
					: &vm_empty_str;
	case 1:
		return sdt && sdt->provider ? vm_str_new(vm, sdt->provider,
							 strlen(sdt->provider))
					    : &vm_empty_str;
	case 2:
	case 3: {
		/* "$arg1=%#x $arg2=%#x ..." */
		char *out = vm_str_begin(vm);
		size_t n = 0;
		int i;

		for (i = 1; sdt && i <= sdt->nargs; i++) {
			int64_t v = 0;
			uint64_t fault;
			int k;

			if (sdt->get(sdt, i, &v, &fault) < 0)
				v = 0;
			k = snprintf(out + n, vm->maxlen + 1 - n,
				     "%s$arg%d=0x%" PRIx64, i > 1 ? " " : "",
				     i, (uint64_t)v);
			if (k < 0)
				break;
			n += (size_t)k;
			if (n >= vm->maxlen) {
				n = vm->maxlen;
				break;
			}
		}
		return vm_str_end(vm, n);
	}
	case 4:
		return vm->probe && vm->probe->pp
			? vm_str_new(vm, vm->probe->pp, strlen(vm->probe->pp))
			: &vm_empty_str;
	default:
		if (vm->probe && vm->probe->pn)
			return vm_str_new(vm, vm->probe->pn,
					  strlen(vm->probe->pn));
		return vm->probe && vm->probe->pp
			? vm_str_new(vm, vm->probe->pp, strlen(vm->probe->pp))
			: &vm_empty_str;
	}
}

/* Print the pending error as SystemTap does; count it. */
static void report_error(struct vm *vm, uint32_t pc, int nframe)
{
	const struct bc_program *p = vm->p;
	const struct bc_loc *loc = bc_loc_at(p, pc);
	struct strbuf *sb = &vm->scratch;
	int i;

	out_write(vm);
	if (vm->errmsg[0] == '\0')
		return;		/* error(""): ends the handler silently */
	sb_reset(sb);
	sb_printf(sb, "ERROR: %s", vm->errmsg);
	if (loc != NULL) {
		sb_printf(sb, " near %s at %s:%d:%d", loc->near ? loc->near
							       : "?",
			  loc->file ? loc->file : "?", loc->line, loc->col);
		for (i = nframe; i >= 1; i--) {
			const struct bc_loc *cl =
				bc_loc_at(p, vm->frames[i].call_pc);

			if (cl != NULL)
				sb_printf(sb, " (called from %s at %s:%d:%d)",
					  cl->near ? cl->near : "?",
					  cl->file ? cl->file : "?", cl->line,
					  cl->col);
		}
#ifdef VM_ERROR_IN_PROBE
		/* SystemTap 5.6 also names the probe; 4.8 (the stap we test
		 * against) and pytap's own tests do not */
		if (vm->probe != NULL && vm->probe->pp != NULL)
			sb_printf(sb, " in probe %s", vm->probe->pp);
#endif
	}
	sb_putc(sb, '\n');
	fwrite(sb->buf, 1, sb->len, stderr);
	fflush(stderr);
	vm->errors++;
	if (vm->errors > p->maxerrors)
		vm->exit_req = true;
}

/* Drop try blocks that cannot catch at PC in frame NFRAME any more
 * (left by break/continue/return/next without ENDTRY). */
static int prune_tries(struct vm *vm, int ntries, int nframe, uint32_t pc)
{
	while (ntries > 0) {
		const struct vm_try *t = &vm->tries[ntries - 1];
		uint32_t at;

		if (t->frame > nframe) {
			ntries--;
			continue;
		}
		at = t->frame == nframe ? pc : vm->frames[t->frame + 1].call_pc;
		if (at > t->try_pc && at < t->catch_pc)
			break;
		ntries--;
	}
	return ntries;
}

/* ---- running ---------------------------------------------------------- */

#ifdef VM_COMPUTED_GOTO
#define vmdispatch(o)	goto *disptab[o];
#define vmcase(l)	L_##l:
#define vmbreak		do { ip = pc++; goto *disptab[ip->op]; } while (0)
#else
#define vmdispatch(o)	switch (o)
#define vmcase(l)	case OP_##l:
#define vmbreak		break
#endif

#define RAISE(msg)	do { raise_str(vm, (msg)); goto on_error; } while (0)
#define CHECK_ERR()	do { if (unlikely(vm->err_pending)) goto on_error; } \
			while (0)

static void deactivate_iters(struct vm_iter *it, int n)
{
	int i;

	for (i = 0; i < n; i++)
		it[i].active = false;
}

enum vm_status vm_run(struct vm *vm, const struct vm_event *ev)
{
	const struct bc_program *p = vm->p;
	const struct bc_insn *const code = p->code;
	const struct bc_insn *pc, *ip;
	const struct bc_function *fn;
	struct vm_frame *fr;
	union vm_val *sp, *L;
	int nframe = 0, ntries = 0;
	enum vm_status status = VM_OK;
	const struct bc_probe *probe;
	struct fmt_arg fa[256];
#ifdef VM_COMPUTED_GOTO
	static const void *const disptab[OP__COUNT] = {
#define VM_OP_LABEL(name, operands, pops, pushes) &&L_##name,
		BC_OPCODES(VM_OP_LABEL)
#undef VM_OP_LABEL
	};
#endif

	if (ev == NULL || ev->probe < 0 || (size_t)ev->probe >= p->nprobes)
		return VM_ERROR;
	probe = &p->probes[ev->probe];
	fn = &p->functions[probe->handler];
	vm->ev = ev;
	vm->probe = probe;
	vm->actremaining = vm->fninfo[probe->handler].interruptible
				   ? p->maxaction_interruptible
				   : p->maxaction;
	vm->err_pending = false;
	vm->err_uncatchable = false;
	vm->aborting = false;
	vm->catchmsg = &vm_empty_str;

	fr = &vm->frames[0];
	fr->fn = (uint32_t)probe->handler;
	fr->locals = vm->lstack;
	fr->iters = vm->istack;
	fr->sp = vm->stack;
	fr->call_pc = 0;
	fr->ret_pc = 0;
	memset(fr->locals, 0, (size_t)fn->nlocals * sizeof(*fr->locals));
	deactivate_iters(fr->iters, fn->niters);
	L = fr->locals;
	sp = vm->stack;
	pc = code + fn->entry;
	ip = pc;

	for (;;) {
		ip = pc++;
		vmdispatch(ip->op) {

		/* -- constants, locals, globals -- */
		vmcase(PUSHL) {
			(sp++)->l = p->lconst[ip->b];
			vmbreak;
		}
		vmcase(PUSHI) {
			(sp++)->l = ip->b;
			vmbreak;
		}
		vmcase(PUSHS) {
			(sp++)->s = vm->sconst[ip->b];
			vmbreak;
		}
		vmcase(POP) {
			sp--;
			vmbreak;
		}
		vmcase(DUP) {
			sp[0] = sp[-1];
			sp++;
			vmbreak;
		}
		vmcase(LOAD) {
			*sp++ = L[ip->a];
			vmbreak;
		}
		vmcase(STORE) {
			L[ip->a] = *--sp;
			vmbreak;
		}
		vmcase(GLOADL) {
			(sp++)->l = vm->gval[ip->a].l;
			vmbreak;
		}
		vmcase(GSTOREL) {
			vm->gval[ip->a].l = (--sp)->l;
			vmbreak;
		}
		vmcase(GLOADS) {
			const struct vstr *g = vm->gstr[ip->a];

			(sp++)->s = g->len ? vm_str_new(vm, g->data, g->len)
					   : &vm_empty_str;
			vmbreak;
		}
		vmcase(GSTORES) {
			const struct vstr *s = (--sp)->s;
			struct vstr *g = vm->gstr[ip->a];

			memcpy(g->data, s->data, s->len + 1);
			g->len = s->len;
			vmbreak;
		}
		vmcase(GINCR) {
			int64_t v = (int64_t)((uint64_t)vm->gval[ip->a].l +
					      (uint64_t)sp[-1].l);

			vm->gval[ip->a].l = v;
			sp[-1].l = v;
			vmbreak;
		}

		/* -- long arithmetic (wrapping, as the kernel's C) -- */
#define BINOP(name, expr) \
		vmcase(name) { \
			uint64_t a = (uint64_t)sp[-2].l, b = (uint64_t)sp[-1].l; \
			(void)a; (void)b; \
			sp[-2].l = (int64_t)(expr); \
			sp--; \
			vmbreak; \
		}
		BINOP(ADD, a + b)
		BINOP(SUB, a - b)
		BINOP(MUL, a * b)
		BINOP(SHL, a << (b & 63))
		BINOP(SHR, (uint64_t)((int64_t)a >> (b & 63)))
		BINOP(USHR, a >> (b & 63))
		BINOP(BAND, a & b)
		BINOP(BOR, a | b)
		BINOP(BXOR, a ^ b)
		BINOP(LT, (int64_t)a < (int64_t)b)
		BINOP(LE, (int64_t)a <= (int64_t)b)
		BINOP(GT, (int64_t)a > (int64_t)b)
		BINOP(GE, (int64_t)a >= (int64_t)b)
		BINOP(EQ, a == b)
		BINOP(NE, a != b)
#undef BINOP
		vmcase(DIV) {
			int64_t a = sp[-2].l, b = sp[-1].l;

			if (unlikely(b == 0))
				RAISE("division by 0");
			sp[-2].l = (b == -1) ? (int64_t)(0 - (uint64_t)a)
					     : a / b;
			sp--;
			vmbreak;
		}
		vmcase(MOD) {
			int64_t a = sp[-2].l, b = sp[-1].l;

			if (unlikely(b == 0))
				RAISE("division by 0");
			sp[-2].l = (b == -1) ? 0 : a % b;
			sp--;
			vmbreak;
		}
		vmcase(NEG) {
			sp[-1].l = (int64_t)(0 - (uint64_t)sp[-1].l);
			vmbreak;
		}
		vmcase(BNOT) {
			sp[-1].l = ~sp[-1].l;
			vmbreak;
		}
		vmcase(LNOT) {
			sp[-1].l = !sp[-1].l;
			vmbreak;
		}

		/* -- strings -- */
#define SCMP(name, rel) \
		vmcase(name) { \
			int c = strcmp(sp[-2].s->data, sp[-1].s->data); \
			sp[-2].l = c rel 0; \
			sp--; \
			vmbreak; \
		}
		SCMP(SLT, <)
		SCMP(SLE, <=)
		SCMP(SGT, >)
		SCMP(SGE, >=)
		SCMP(SEQ, ==)
		SCMP(SNE, !=)
#undef SCMP
		vmcase(CONCAT) {
			const struct vstr *a = sp[-2].s, *b = sp[-1].s;

			if (b->len == 0) {
				/* a as is */
			} else if (a->len == 0) {
				sp[-2].s = b;
			} else {
				size_t la = a->len, lb = b->len;
				struct vstr *r;

				if (la + lb > vm->maxlen)
					lb = vm->maxlen > la ? vm->maxlen - la
							     : 0;
				r = arena_str(vm, la + lb);
				memcpy(r->data, a->data, la);
				memcpy(r->data + la, b->data, lb);
				sp[-2].s = r;
			}
			sp--;
			vmbreak;
		}
		vmcase(REGEX) {
			const struct vstr *s = sp[-1].s;
			int rc = regexec(&vm->regexes[ip->a], s->data,
					 sizeof(vm->match) /
					 sizeof(vm->match[0]),
					 vm->match, 0);

			vm->match_ok = rc == 0;
			if (rc == 0) {
				memcpy(vm->match_str, s->data, s->len + 1);
				vm->match_ngroups =
					(int)vm->regexes[ip->a].re_nsub + 1;
			}
			sp[-1].l = (rc == 0) ^ (ip->x != 0);
			vmbreak;
		}

		/* -- control -- */
		vmcase(JMP) {
			pc += ip->b;
			vmbreak;
		}
		vmcase(JZ) {
			if ((--sp)->l == 0)
				pc += ip->b;
			vmbreak;
		}
		vmcase(JNZ) {
			if ((--sp)->l != 0)
				pc += ip->b;
			vmbreak;
		}
		vmcase(ACT) {
			vm->actremaining -= ip->b;
			if (unlikely(vm->actremaining <= 0)) {
				vm->err_uncatchable = true;
				RAISE("MAXACTION exceeded");
			}
			vmbreak;
		}
		vmcase(CALL) {
			const struct bc_function *cf = &p->functions[ip->a];
			struct vm_frame *nf;

			if (unlikely(nframe >= p->maxnesting ||
				     nframe + 1 >= vm->nframes_max))
				RAISE("MAXNESTING exceeded");
			nf = &vm->frames[nframe + 1];
			nf->locals = fr->locals + p->functions[fr->fn].nlocals;
			nf->iters = fr->iters + p->functions[fr->fn].niters;
			if (unlikely(sp - cf->nparams + vm->fninfo[ip->a].maxstack
				     + 1 > vm->stack_end ||
				     nf->locals + cf->nlocals > vm->lstack_end ||
				     nf->iters + cf->niters > vm->istack_end))
				RAISE("internal error: VM stack overflow");
			sp -= cf->nparams;
			memcpy(nf->locals, sp,
			       (size_t)cf->nparams * sizeof(*sp));
			memset(nf->locals + cf->nparams, 0,
			       (size_t)(cf->nlocals - cf->nparams) *
			       sizeof(*sp));
			deactivate_iters(nf->iters, cf->niters);
			nf->fn = ip->a;
			nf->sp = sp;
			nf->call_pc = (uint32_t)(ip - code);
			nf->ret_pc = (uint32_t)(pc - code);
			fr = nf;
			nframe++;
			L = fr->locals;
			pc = code + cf->entry;
			vmbreak;
		}
		vmcase(RET) {
			union vm_val v = sp[-1];

			if (unlikely(nframe == 0))
				goto done;
			deactivate_iters(fr->iters, p->functions[fr->fn].niters);
			sp = fr->sp;
			*sp++ = v;
			pc = code + fr->ret_pc;
			nframe--;
			fr = &vm->frames[nframe];
			L = fr->locals;
			while (ntries > 0 && vm->tries[ntries - 1].frame > nframe)
				ntries--;
			vmbreak;
		}
		vmcase(NEXT) {
			const struct bc_insn *call;

			if (nframe == 0)
				goto done;	/* ends the probe handler */
			/* in a function: back to the caller, which tries
			   the next overload (CALL x = 1: resume after its
			   JMP) or has none left */
			call = &code[fr->call_pc];
			deactivate_iters(fr->iters, p->functions[fr->fn].niters);
			sp = fr->sp;
			pc = code + fr->ret_pc;
			nframe--;
			fr = &vm->frames[nframe];
			L = fr->locals;
			while (ntries > 0 && vm->tries[ntries - 1].frame > nframe)
				ntries--;
			if (call->x == 1) {
				pc++;
				vmbreak;
			}
			ip = call;
			RAISE("all functions exhausted");
		}
		vmcase(HALT) {
			goto done;
		}
		vmcase(TRY) {
			struct vm_try *t;
			uint32_t here = (uint32_t)(ip - code);

			ntries = prune_tries(vm, ntries, nframe, here);
			if (unlikely(ntries >= vm->ntries_max))
				RAISE("internal error: too many try blocks");
			t = &vm->tries[ntries++];
			t->try_pc = here;
			t->catch_pc = (uint32_t)(pc - code + ip->b);
			t->frame = nframe;
			t->sp = sp;
			vmbreak;
		}
		vmcase(ENDTRY) {
			if (ntries > 0 && vm->tries[ntries - 1].frame == nframe)
				ntries--;
			vmbreak;
		}
		vmcase(CATCHMSG) {
			(sp++)->s = vm->catchmsg;
			vmbreak;
		}

		/* -- built-ins and context -- */
		vmcase(BUILTIN) {
			union vm_val ret;

			sp -= ip->x;
			ret.l = 0;
			vm->bi[ip->a](vm, sp, &ret);
			CHECK_ERR();
			if (bi_ret[ip->a] != 'V')
				*sp++ = ret;
			vmbreak;
		}
		vmcase(CTX) {
			int64_t v = ctx_arg(vm, ip->a);

			CHECK_ERR();
			(sp++)->l = v;
			vmbreak;
		}
		vmcase(CTXS) {
			(sp++)->s = ctx_string(vm, ip->a);
			vmbreak;
		}

		/* -- output -- */
		vmcase(PRINTF) {
			const struct fmt *f = &vm->fmts[ip->a];
			size_t i, n = ip->x;
			int rc;

			sp -= n;
			for (i = 0; i < n; i++) {
				if (f->argtypes[i] == FMT_ARG_STRING) {
					fa[i].s = sp[i].s->data;
					fa[i].len = sp[i].s->len;
				} else {
					fa[i].l = sp[i].l;
				}
			}
			rc = fmt_render(&vm->obuf, f, fa, n, fmt_reader, vm);
			if (unlikely(rc != FMT_OK))
				goto fmt_error;
			if (unlikely(vm->obuf.len >= OUT_FLUSH_AT))
				out_write(vm);
			vmbreak;
		}
		vmcase(SPRINTF) {
			const struct fmt *f = &vm->fmts[ip->a];
			size_t i, n = ip->x;
			int rc;

			sp -= n;
			for (i = 0; i < n; i++) {
				if (f->argtypes[i] == FMT_ARG_STRING) {
					fa[i].s = sp[i].s->data;
					fa[i].len = sp[i].s->len;
				} else {
					fa[i].l = sp[i].l;
				}
			}
			sb_reset(&vm->scratch);
			rc = fmt_sprint(&vm->scratch, f, fa, n, fmt_reader, vm,
					vm->maxlen + 1);
			if (unlikely(rc != FMT_OK))
				goto fmt_error;
			(sp++)->s = vm_str_new(vm, sb_str(&vm->scratch),
					       vm->scratch.len);
			vmbreak;
		}

		/* -- associative arrays -- */
		vmcase(AGETL) {
			const struct bc_global *g = &p->globals[ip->a];
			struct map_key keys[MAP_MAX_KEYS];
			struct map_entry *e;

			sp -= g->nkeys;
			get_keys(g, sp, 0, keys);
			e = map_find(vm->gmap[ip->a], keys);
			(sp++)->l = e ? map_entry_long(e) : 0;
			vmbreak;
		}
		vmcase(AGETS) {
			const struct bc_global *g = &p->globals[ip->a];
			struct map_key keys[MAP_MAX_KEYS];
			struct map_entry *e;
			const struct vstr *r = &vm_empty_str;

			sp -= g->nkeys;
			get_keys(g, sp, 0, keys);
			e = map_find(vm->gmap[ip->a], keys);
			if (e != NULL) {
				size_t len;
				const char *s = map_entry_str(e, &len);

				r = vm_str_new(vm, s, len);
			}
			(sp++)->s = r;
			vmbreak;
		}
		vmcase(ASETL) {
			const struct bc_global *g = &p->globals[ip->a];
			struct map_key keys[MAP_MAX_KEYS];
			struct map_entry *e;
			int err = 0;

			sp -= g->nkeys + 1;
			get_keys(g, sp, 0, keys);
			e = map_get(vm->gmap[ip->a], keys, &err);
			if (unlikely(e == NULL)) {
				raise_overflow(vm, g, err);
				goto on_error;
			}
			map_entry_set_long(e, sp[g->nkeys].l);
			vmbreak;
		}
		vmcase(ASETS) {
			const struct bc_global *g = &p->globals[ip->a];
			struct map_key keys[MAP_MAX_KEYS];
			const struct vstr *v;
			struct map_entry *e;
			int err = 0;

			sp -= g->nkeys + 1;
			get_keys(g, sp, 0, keys);
			v = sp[g->nkeys].s;
			e = map_get(vm->gmap[ip->a], keys, &err);
			if (unlikely(e == NULL)) {
				raise_overflow(vm, g, err);
				goto on_error;
			}
			if (unlikely(map_entry_set_str(vm->gmap[ip->a], e,
						       v->data, v->len) != 0))
				RAISE("out of memory");
			vmbreak;
		}
		vmcase(AINCR) {
			const struct bc_global *g = &p->globals[ip->a];
			struct map_key keys[MAP_MAX_KEYS];
			struct map_entry *e;
			int err = 0;

			sp -= g->nkeys + 1;
			get_keys(g, sp, 0, keys);
			e = map_get(vm->gmap[ip->a], keys, &err);
			if (unlikely(e == NULL)) {
				raise_overflow(vm, g, err);
				goto on_error;
			}
			sp[0].l = map_entry_add_long(e, sp[g->nkeys].l);
			sp++;
			vmbreak;
		}
		vmcase(AEXISTS) {
			const struct bc_global *g = &p->globals[ip->a];
			struct map_key keys[MAP_MAX_KEYS];
			uint32_t mask = (uint32_t)ip->b;

			sp -= key_slots(g, mask);
			get_keys(g, sp, mask, keys);
			if (mask & ((1u << g->nkeys) - 1))
				sp[0].l = map_slice_exists(vm->gmap[ip->a],
							   keys);
			else
				sp[0].l = map_find(vm->gmap[ip->a], keys) !=
					  NULL;
			sp++;
			vmbreak;
		}
		vmcase(ADEL) {
			const struct bc_global *g = &p->globals[ip->a];
			struct map_key keys[MAP_MAX_KEYS];
			uint32_t mask = (uint32_t)ip->b;

			sp -= key_slots(g, mask);
			get_keys(g, sp, mask, keys);
			if (mask & ((1u << g->nkeys) - 1))
				map_delete_slice(vm->gmap[ip->a], keys);
			else
				map_delete(vm->gmap[ip->a], keys);
			vmbreak;
		}
		vmcase(ACLEAR) {
			map_clear(vm->gmap[ip->a]);
			vmbreak;
		}
		vmcase(GCLEAR) {
			const struct bc_global *g = &p->globals[ip->a];

			if (g->type == BT_STRING) {
				vm->gstr[ip->a]->len = 0;
				vm->gstr[ip->a]->data[0] = '\0';
			} else if (g->type == BT_STATS) {
				stat_clear(&vm->gstat[ip->a]);
			} else {
				vm->gval[ip->a].l = 0;
			}
			vmbreak;
		}

		/* -- statistics -- */
		vmcase(STATADD) {
			const struct bc_global *g = &p->globals[ip->a];
			int64_t v = sp[-1].l;

			sp -= g->nkeys + 1;
			if (g->nkeys == 0) {
				stat_add(&vm->gstat[ip->a], v);
			} else {
				struct map_key keys[MAP_MAX_KEYS];
				struct map_entry *e;
				int err = 0;

				get_keys(g, sp, 0, keys);
				e = map_get(vm->gmap[ip->a], keys, &err);
				if (unlikely(e == NULL)) {
					raise_overflow(vm, g, err);
					goto on_error;
				}
				stat_add(map_entry_stat(e), v);
			}
			vmbreak;
		}
		vmcase(STATOP) {
			const struct bc_global *g = &p->globals[ip->a];
			struct stat_agg *st;
			int64_t v = 0;

			if (ip->b == 5)
				sp--;	/* the shift: fixed at load time */
			sp -= g->nkeys;
			st = stat_lookup(vm, ip->a, sp);
			if (unlikely(stat_get(st, (enum stat_op)ip->b, &v) != 0))
				RAISE("empty aggregate");
			(sp++)->l = v;
			vmbreak;
		}
		vmcase(HISTPRINT) {
			const struct bc_global *g = &p->globals[ip->a];
			struct stat_agg *st;

			sp -= g->nkeys;
			st = stat_lookup(vm, ip->a, sp);
			if (unlikely(stat_hist_print(&vm->obuf, st,
						     (int)p->hist_elision) != 0))
				RAISE("empty aggregate");
			if (vm->obuf.len >= OUT_FLUSH_AT)
				out_write(vm);
			vmbreak;
		}
		vmcase(HISTSTR) {
			const struct bc_global *g = &p->globals[ip->a];
			struct stat_agg *st;

			sp -= g->nkeys;
			st = stat_lookup(vm, ip->a, sp);
			sb_reset(&vm->scratch);
			if (unlikely(stat_hist_print(&vm->scratch, st,
						     (int)p->hist_elision) != 0))
				RAISE("empty aggregate");
			(sp++)->s = vm_str_new(vm, sb_str(&vm->scratch),
					       vm->scratch.len);
			vmbreak;
		}
		vmcase(HISTBUCKET) {
			const struct bc_global *g = &p->globals[ip->a];
			struct stat_agg *st;
			int64_t idx = sp[-1].l, v = 0;
			int rc;

			sp -= g->nkeys + 1;
			st = stat_lookup(vm, ip->a, sp);
			rc = stat_hist_index(st, idx, &v);
			if (unlikely(rc == -1))
				RAISE("empty aggregate");
			if (unlikely(rc != 0))
				RAISE("histogram index out of range");
			(sp++)->l = v;
			vmbreak;
		}

		/* -- foreach -- */
		vmcase(FEBEGIN) {
			const struct bc_sort *so = &p->sorts[ip->a];
			const struct bc_global *g = &p->globals[ip->b];
			struct vm_iter *it = &fr->iters[ip->x];
			int64_t limit = (--sp)->l;

			it->active = true;
			it->global = ip->b;
			it->agg = so->agg;
			it->limit = limit;
			it->has_limit = limit != -1;
			it->count = 0;
			it->cur = NULL;
			it->hist = so->hist;
			if (so->hist) {
				struct stat_agg *st;

				sp -= g->nkeys;
				st = stat_lookup(vm, (unsigned)ip->b, sp);
				if (it->hagg_init && it->hagg.cfg != st->cfg) {
					stat_free(&it->hagg);
					it->hagg_init = false;
				}
				if (!it->hagg_init) {
					if (stat_init(&it->hagg, st->cfg) != 0)
						RAISE("out of memory");
					it->hagg_init = true;
				}
				stat_copy(&it->hagg, st);
				it->bucket = 0;
				it->nbuckets = stat_hist_buckets(&it->hagg);
			} else {
				struct map_key keys[MAP_MAX_KEYS];
				struct map_sort ms;
				uint32_t fixed = so->fixed &
						 ((1u << g->nkeys) - 1);

				sp -= popcount32(fixed);
				if (fixed)
					get_keys(g, sp, ~fixed, keys);
				ms.by = so->by == BS_KEY ? MAP_SORT_KEY
					: so->by == BS_VALUE ? MAP_SORT_VALUE
					: MAP_SORT_NONE;
				ms.key = so->key;
				ms.dir = so->dir < 0 ? -1 : 1;
				ms.agg = (enum stat_op)so->agg;
				if (map_snap_take(vm->gmap[ip->b], &it->snap,
						  ms.by != MAP_SORT_NONE ? &ms
									 : NULL,
						  it->has_limit, limit,
						  fixed ? keys : NULL) != 0)
					RAISE("out of memory");
			}
			vmbreak;
		}
		vmcase(FENEXT) {
			struct vm_iter *it = &fr->iters[ip->a];
			const struct bc_global *g = &p->globals[it->global];
			int k;

			if (!it->active ||
			    (it->has_limit && it->count >= it->limit)) {
				pc += ip->b;
				vmbreak;
			}
			if (it->hist) {
				if (it->bucket >= it->nbuckets) {
					pc += ip->b;
					vmbreak;
				}
				it->count++;
				(sp++)->l = it->bucket++;
				vmbreak;
			}
			it->cur = map_snap_next(vm->gmap[it->global],
						&it->snap);
			if (it->cur == NULL) {
				pc += ip->b;
				vmbreak;
			}
			it->count++;
			for (k = 0; k < g->nkeys; k++) {
				if (g->keytypes[k] == BT_STRING) {
					size_t len;
					const char *s = map_entry_key_str(
						it->cur, k, &len);

					(sp++)->s = vm_str_new(vm, s, len);
				} else {
					(sp++)->l = map_entry_key_long(it->cur,
								       k);
				}
			}
			vmbreak;
		}
		vmcase(FEVALUE) {
			struct vm_iter *it = &fr->iters[ip->x];
			const struct bc_global *g = &p->globals[it->global];

			if (it->hist) {
				(sp++)->l = stat_hist_bucket(&it->hagg,
							     it->bucket - 1);
			} else if (it->cur == NULL) {
				(sp++)->l = 0;
			} else if (g->type == BT_STRING) {
				size_t len;
				const char *s = map_entry_str(it->cur, &len);

				(sp++)->s = vm_str_new(vm, s, len);
			} else if (g->type == BT_STATS) {
				int64_t v = 0;

				if (stat_get(map_entry_stat(it->cur),
					     (enum stat_op)it->agg, &v) != 0)
					RAISE("empty aggregate");
				(sp++)->l = v;
			} else {
				(sp++)->l = map_entry_long(it->cur);
			}
			vmbreak;
		}
		vmcase(FEEND) {
			fr->iters[ip->x].active = false;
			vmbreak;
		}

		/* -- misc -- */
		vmcase(EXIT) {
			vm->exit_req = true;
			vmbreak;
		}
		vmcase(ERROR) {
			const struct vstr *m = (--sp)->s;

			memcpy(vm->errmsg, m->data, m->len + 1);
			vm->err_pending = true;
			goto on_error;
		}
		vmcase(NOP) {
			vmbreak;
		}
#ifndef VM_COMPUTED_GOTO
		default:
			RAISE("internal error: bad opcode");
#endif
		}
		continue;

fmt_error:
		{
			const struct fmt *f = &vm->fmts[ip->a];
			int64_t bad = fmt_dump_len_error(f, fa, ip->x);

			if (bad)
				vm_raise(vm, "%" PRId64 " is too many bytes "
					 "for a memory dump", bad);
			else
				vm_raise(vm, "read fault [man error::fault] "
					 "at 0x%" PRIx64, vm->fault_addr);
		}
		/* fall through */
on_error:
		if (vm->aborting)
			goto done;
		if (!vm->err_uncatchable) {
			ntries = prune_tries(vm, ntries, nframe,
					     (uint32_t)(ip - code));
			if (ntries > 0) {
				struct vm_try *t = &vm->tries[--ntries];

				while (nframe > t->frame) {
					deactivate_iters(fr->iters,
						p->functions[fr->fn].niters);
					nframe--;
					fr = &vm->frames[nframe];
				}
				L = fr->locals;
				sp = t->sp;
				pc = code + t->catch_pc;
				vm->catchmsg = vm_str_new(vm, vm->errmsg,
							  strlen(vm->errmsg));
				vm->err_pending = false;
				continue;
			}
		}
		report_error(vm, (uint32_t)(ip - code), nframe);
		status = VM_ERROR;
		goto done;
	}
done:
	vm->err_pending = false;
	vm->err_uncatchable = false;
	vm->aborting = false;
	vm->ev = NULL;
	vm->probe = NULL;
	vm->catchmsg = &vm_empty_str;
	arena_reset(vm);
	return status;
}

/* ---- the rest of the API ---------------------------------------------- */

bool vm_exit_requested(const struct vm *vm)
{
	return vm->exit_req;
}

bool vm_aborted(const struct vm *vm)
{
	return vm->aborted;
}

int vm_error_count(const struct vm *vm)
{
	return vm->errors;
}

int vm_skipped_count(const struct vm *vm)
{
	return vm->skipped;
}

/*
 * SystemTap's end-of-run display of globals written but never read
 * (elaborate.cxx add_global_var_display), in declaration order:
 *	name=5			long scalar (%d)
 *	name="text"		string scalar (%#s, which prints as %s)
 *	name @count=3 @min=1 @max=3 @sum=6 @avg=2	statistics
 *	name[1,"k"]=5		arrays: one line per element, by value,
 *				descending (statistics: by @count)
 */
void vm_print_globals(struct vm *vm)
{
	const struct bc_program *p = vm->p;
	size_t i;

	/* SystemTap prints them from synthetic end probes, which do not run
	 * once the errors are past MAXERRORS */
	if (vm->errors > p->maxerrors) {
		out_write(vm);
		return;
	}
	for (i = 0; i < p->nglobals; i++) {
		const struct bc_global *g = &p->globals[i];

		if (!g->autoprint)
			continue;
		if (g->nkeys > 0) {
			map_autoprint(&vm->obuf, g->name, vm->gmap[i]);
		} else if (g->type == BT_STATS) {
			stat_print_summary(&vm->obuf, g->name, &vm->gstat[i]);
		} else if (g->type == BT_STRING) {
			sb_printf(&vm->obuf, "%s=\"", g->name);
			sb_append(&vm->obuf, vm->gstr[i]->data,
				  vm->gstr[i]->len);
			sb_puts(&vm->obuf, "\"\n");
		} else {
			sb_printf(&vm->obuf, "%s=%" PRId64 "\n", g->name,
				  vm->gval[i].l);
		}
		if (vm->obuf.len >= OUT_FLUSH_AT)
			out_write(vm);
	}
	out_write(vm);
}

int vm_set_global(struct vm *vm, const char *name, const char *value,
		  char *err, size_t errlen)
{
	const struct bc_program *p = vm->p;
	size_t i;

	for (i = 0; i < p->nglobals; i++) {
		const struct bc_global *g = &p->globals[i];

		if (g->name == NULL || strcmp(g->name, name) != 0)
			continue;
		if (g->nkeys > 0 || g->type == BT_STATS) {
			set_err(err, errlen, "'%s' is not a scalar global",
				name);
			return -1;
		}
		if (g->type == BT_STRING) {
			size_t len = strnlen(value, vm->maxlen);

			memcpy(vm->gstr[i]->data, value, len);
			vm->gstr[i]->data[len] = '\0';
			vm->gstr[i]->len = (uint32_t)len;
		} else {
			char *end;
			long long v;

			errno = 0;
			v = strtoll(value, &end, 0);
			if (errno == ERANGE) {
				/* 64-bit unsigned values wrap, as in
				 * literals */
				errno = 0;
				v = (long long)strtoull(value, &end, 0);
			}
			if (end == value || *end != '\0' || errno != 0) {
				set_err(err, errlen, "invalid number '%s' for "
					"global '%s'", value, name);
				return -1;
			}
			vm->gval[i].l = v;
		}
		return 0;
	}
	set_err(err, errlen, "unknown global variable '%s'", name);
	return -1;
}
