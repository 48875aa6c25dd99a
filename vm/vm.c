/*
 * vm.c - the bytecode interpreter: runs one probe handler of a loaded
 * program per vm_run() call (the dispatch loop), raises and reports
 * runtime errors, and prints the write-only globals at the end.  Loading
 * and verifying a program is load.c's; strings and output are vm_str.c's.
 *
 * Invariants:
 *  - Instructions are typed; the loader verified every operand (constant,
 *    local, global, function, format, regex indexes, jump targets) and
 *    computed each function's deepest operand stack (load.c), so the
 *    dispatch loop checks nothing but the stack room at a call.  A program
 *    the loader rejects is a compiler bug; so is running out of operand
 *    stack ("internal error").
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
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm_int.h"

#if defined(__GNUC__) && !defined(VM_NO_COMPUTED_GOTO)
#define VM_COMPUTED_GOTO 1
#endif

#define unlikely(x)	vm_unlikely(x)

/* ---- errors ----------------------------------------------------------- */

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

/* The element of array global GI under the keys at KV (first key
 * deepest), or NULL if there is none. */
static inline struct map_entry *map_at(struct vm *vm, unsigned gi,
				       const union vm_val *kv)
{
	struct map_key keys[MAP_MAX_KEYS];

	get_keys(&vm->p->globals[gi], kv, 0, keys);
	return map_find(vm->gmap[gi], keys);
}

/* Pop a value and the keys under it for array global GI off the stack
 * whose top is SP: *V = the value, *E = the element under the keys, made
 * if absent (NULL after raising "Array overflow" or "out of memory"); the
 * new top. */
static inline union vm_val *elem_pop(struct vm *vm, unsigned gi,
				     union vm_val *sp, union vm_val *v,
				     struct map_entry **e)
{
	const struct bc_global *g = &vm->p->globals[gi];
	struct map_key keys[MAP_MAX_KEYS];
	int err = 0;

	*v = *--sp;
	sp -= g->nkeys;
	get_keys(g, sp, 0, keys);
	*e = map_get(vm->gmap[gi], keys, &err);
	if (*e == NULL)
		raise_overflow(vm, g, err);
	return sp;
}

/* Pop the keys of stats global GI off the stack whose top is SP: *ST =
 * the aggregate under them (an empty one if absent); the new top. */
static inline union vm_val *stat_pop(struct vm *vm, unsigned gi,
				     union vm_val *sp, struct stat_agg **st)
{
	int nk = vm->p->globals[gi].nkeys;
	struct map_entry *e;

	sp -= nk;
	if (nk == 0) {
		*st = &vm->gstat[gi];
	} else {
		e = map_at(vm, gi, sp);
		*st = e ? map_entry_stat(e) : &vm->gempty[gi];
	}
	return sp;
}

/* Pop the keys of an AEXISTS/ADEL on array global GI (MASK: wildcard
 * columns, not on the stack) into KEYS; the new top.  *SLICE: some column
 * is a wildcard. */
static inline union vm_val *keys_pop(struct vm *vm, unsigned gi,
				     union vm_val *sp, uint32_t mask,
				     struct map_key *keys, bool *slice)
{
	const struct bc_global *g = &vm->p->globals[gi];

	sp -= vm_key_slots(g, mask);
	get_keys(g, sp, mask, keys);
	*slice = (mask & ((1u << g->nkeys) - 1)) != 0;
	return sp;
}

/* Pop the N arguments of a printf/sprintf with format F off the stack
 * whose top is SP, into FA as fmt_render takes them; the new top. */
static inline union vm_val *fmt_args(const struct fmt *f, union vm_val *sp,
				     size_t n, struct fmt_arg *fa)
{
	const union vm_val *v = sp - n;
	size_t i;

	for (i = 0; i < n; i++) {
		if (f->argtypes[i] == FMT_ARG_STRING) {
			fa[i].s = v[i].s->data;
			fa[i].len = v[i].s->len;
		} else {
			fa[i].l = v[i].l;
		}
	}
	return sp - n;
}

static int64_t ctx_arg(struct vm *vm, int n)
{
	const struct vm_event *ev = vm->ev;
	int64_t v = 0;

	uint64_t fault = 0;

	if (n == 0 && ev && ev->args && ev->args->values)	/* $$unwound */
		return ev->args->values(ev->args, 2, NULL, 0) > 0;
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
	case 6: {
		/* $$return: "return=VALUE" */
		char *out = vm_str_begin(vm);
		long k;

		size_t h;

		if (sdt == NULL || sdt->values == NULL || vm->maxlen < 11)
			return &vm_empty_str;
		/* left by an exception: "exception=ValueError('x')" */
		h = sdt->values(sdt, 2, NULL, 0) > 0 ? 10 : 7;
		memcpy(out, h == 10 ? "exception=" : "return=", h);
		k = sdt->values(sdt, 1, out + h, vm->maxlen - h);
		return k < 0 ? &vm_empty_str : vm_str_end(vm, h + (size_t)k);
	}
	case 2:
	case 3: {
		/* "$arg1=%#x $arg2=%#x ..." */
		char *out = vm_str_begin(vm);
		size_t n = 0;
		int i;

		if (what == 3 && sdt && sdt->values) {
			long k = sdt->values(sdt, 0, out, vm->maxlen);

			if (k >= 0)
				return vm_str_end(vm, (size_t)k);
		}

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

	vm_flush(vm);
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
/* Leave the function of frame FR for its caller (RET, NEXT): its
 * iterators end, the operand stack is the caller's as it was before the
 * arguments, the try blocks of the frame are dropped. */
#define POP_FRAME() do { \
		deactivate_iters(fr->iters, p->functions[fr->fn].niters); \
		sp = fr->sp; \
		pc = code + fr->ret_pc; \
		nframe--; \
		fr = &vm->frames[nframe]; \
		L = fr->locals; \
		while (ntries > 0 && vm->tries[ntries - 1].frame > nframe) \
			ntries--; \
	} while (0)

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
#define BINOP(name, sym, expr) \
		vmcase(name) { \
			uint64_t a = (uint64_t)sp[-2].l, b = (uint64_t)sp[-1].l; \
			(void)a; (void)b; \
			sp[-2].l = (int64_t)(expr); \
			sp--; \
			vmbreak; \
		}
		BC_LONG_BINOPS(BINOP)
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
				r = vm_arena_str(vm, la + lb);
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
			POP_FRAME();
			*sp++ = v;
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
			POP_FRAME();
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
			if (vm_bi_ret[ip->a] != 'V')
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
			CHECK_ERR();
			vmbreak;
		}

		/* -- output -- */
		vmcase(PRINTF) {
			const struct fmt *f = &vm->fmts[ip->a];
			int rc;

			sp = fmt_args(f, sp, ip->x, fa);
			rc = fmt_render(&vm->obuf, f, fa, ip->x, fmt_reader, vm);
			if (unlikely(rc != FMT_OK))
				goto fmt_error;
			if (unlikely(vm->obuf.len >= VM_OUT_FLUSH_AT))
				vm_flush(vm);
			vmbreak;
		}
		vmcase(SPRINTF) {
			const struct fmt *f = &vm->fmts[ip->a];
			int rc;

			sp = fmt_args(f, sp, ip->x, fa);
			sb_reset(&vm->scratch);
			rc = fmt_sprint(&vm->scratch, f, fa, ip->x, fmt_reader,
					vm, vm->maxlen + 1);
			if (unlikely(rc != FMT_OK))
				goto fmt_error;
			(sp++)->s = vm_str_new(vm, sb_str(&vm->scratch),
					       vm->scratch.len);
			vmbreak;
		}

		/* -- associative arrays -- */
		vmcase(AGETL) {
			struct map_entry *e;

			sp -= p->globals[ip->a].nkeys;
			e = map_at(vm, ip->a, sp);
			(sp++)->l = e ? map_entry_long(e) : 0;
			vmbreak;
		}
		vmcase(AGETS) {
			struct map_entry *e;
			const struct vstr *r = &vm_empty_str;

			sp -= p->globals[ip->a].nkeys;
			e = map_at(vm, ip->a, sp);
			if (e != NULL) {
				size_t len;
				const char *s = map_entry_str(e, &len);

				r = vm_str_new(vm, s, len);
			}
			(sp++)->s = r;
			vmbreak;
		}
		vmcase(ASETL) {
			union vm_val v;
			struct map_entry *e;

			sp = elem_pop(vm, ip->a, sp, &v, &e);
			if (unlikely(e == NULL))
				goto on_error;
			map_entry_set_long(e, v.l);
			vmbreak;
		}
		vmcase(ASETS) {
			union vm_val v;
			struct map_entry *e;

			sp = elem_pop(vm, ip->a, sp, &v, &e);
			if (unlikely(e == NULL))
				goto on_error;
			if (unlikely(map_entry_set_str(vm->gmap[ip->a], e,
						       v.s->data, v.s->len) != 0))
				RAISE("out of memory");
			vmbreak;
		}
		vmcase(AINCR) {
			union vm_val v;
			struct map_entry *e;

			sp = elem_pop(vm, ip->a, sp, &v, &e);
			if (unlikely(e == NULL))
				goto on_error;
			(sp++)->l = map_entry_add_long(e, v.l);
			vmbreak;
		}
		vmcase(AEXISTS) {
			struct map_key keys[MAP_MAX_KEYS];
			bool slice;

			sp = keys_pop(vm, ip->a, sp, (uint32_t)ip->b, keys,
				      &slice);
			if (slice)
				sp[0].l = map_slice_exists(vm->gmap[ip->a],
							   keys);
			else
				sp[0].l = map_find(vm->gmap[ip->a], keys) !=
					  NULL;
			sp++;
			vmbreak;
		}
		vmcase(ADEL) {
			struct map_key keys[MAP_MAX_KEYS];
			bool slice;

			sp = keys_pop(vm, ip->a, sp, (uint32_t)ip->b, keys,
				      &slice);
			if (slice)
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
			union vm_val v;
			struct map_entry *e;

			if (p->globals[ip->a].nkeys == 0) {
				stat_add(&vm->gstat[ip->a], (--sp)->l);
				vmbreak;
			}
			sp = elem_pop(vm, ip->a, sp, &v, &e);
			if (unlikely(e == NULL))
				goto on_error;
			stat_add(map_entry_stat(e), v.l);
			vmbreak;
		}
		vmcase(STATOP) {
			struct stat_agg *st;
			int64_t v = 0;

			if (ip->b == 5)
				sp--;	/* the shift: fixed at load time */
			sp = stat_pop(vm, ip->a, sp, &st);
			if (unlikely(stat_get(st, (enum stat_op)ip->b, &v) != 0))
				RAISE("empty aggregate");
			(sp++)->l = v;
			vmbreak;
		}
		vmcase(HISTPRINT) {
			struct stat_agg *st;

			sp = stat_pop(vm, ip->a, sp, &st);
			if (unlikely(stat_hist_print(&vm->obuf, st,
						     (int)p->hist_elision) != 0))
				RAISE("empty aggregate");
			if (vm->obuf.len >= VM_OUT_FLUSH_AT)
				vm_flush(vm);
			vmbreak;
		}
		vmcase(HISTSTR) {
			struct stat_agg *st;

			sp = stat_pop(vm, ip->a, sp, &st);
			sb_reset(&vm->scratch);
			if (unlikely(stat_hist_print(&vm->scratch, st,
						     (int)p->hist_elision) != 0))
				RAISE("empty aggregate");
			(sp++)->s = vm_str_new(vm, sb_str(&vm->scratch),
					       vm->scratch.len);
			vmbreak;
		}
		vmcase(HISTBUCKET) {
			struct stat_agg *st;
			int64_t idx = (--sp)->l, v = 0;
			int rc;

			sp = stat_pop(vm, ip->a, sp, &st);
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

				sp = stat_pop(vm, (unsigned)ip->b, sp, &st);
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

				sp -= __builtin_popcount(fixed);
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
		/* --suppress-handler-errors: as if the handler were in
		   try { } catch { next }: quietly ends the handler */
		if (vm->suppress_errors && !vm->err_uncatchable)
			goto done;
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
	vm_arena_reset(vm);
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
		vm_flush(vm);
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
		if (vm->obuf.len >= VM_OUT_FLUSH_AT)
			vm_flush(vm);
	}
	vm_flush(vm);
}

void vm_suppress_errors(struct vm *vm, bool on)
{
	vm->suppress_errors = on;
}
