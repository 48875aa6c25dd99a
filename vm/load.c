/*
 * load.c - loading a program into a VM (vm_new, vm_free): the verifier,
 * which checks a bc_program once so that the dispatch loop (vm.c) needs
 * no checks, and the tables it prepares (string constants, parsed
 * formats, compiled regexes, globals and their arrays and aggregates,
 * the run-time stacks sized from what the verifier found); and -G
 * (vm_set_global), which sets a scalar global before begin.
 *
 * The verifier follows every path through each function, from its entry
 * (a work list over the instructions): each operand must name something
 * that exists (constant, local, global of the right kind and type,
 * function, built-in with its argument count, format, regex, sort spec,
 * iterator), each jump must stay in the function, the operand stack must
 * have the same depth wherever paths join and never underflow, and each
 * foreach iterator must walk the same array on every path that reaches a
 * FENEXT.  The deepest operand stack of each function is kept (struct
 * vm_fninfo): a CALL checks only that much room.  A program it rejects
 * ("malformed program: WHAT at pc N (OP) in function F") is a compiler
 * bug.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "seterr.h"
#include "vm_int.h"

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

const char vm_bi_ret[BI__COUNT] = {
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
	seterr(v->err, v->errlen,
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
	case OP_GLOADS:
	case OP_GSTORES: {
		bool str = in->op == OP_GLOADS || in->op == OP_GSTORES;

		g = global_at(p, in->a);
		if (!g || g->nkeys || g->type != (str ? BT_STRING : BT_LONG))
			return vfail(v, pc, str ? "not a string scalar global"
						: "not a long scalar global");
		break;
	}
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
		pushes = vm_bi_ret[in->a] == 'V' ? 0 : 1;
		break;
	case OP_CTXS:
		if (in->a > 6)
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
		/* membership and delete work on arrays of statistics too */
		if (!g || g->nkeys < 1 || g->nkeys > MAP_MAX_KEYS ||
		    (g->type == BT_STATS && in->op != OP_AEXISTS &&
		     in->op != OP_ADEL && in->op != OP_ACLEAR))
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
			pops = vm_key_slots(g, in->op == OP_AEXISTS ?
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
			pops = vm_key_slots(g, (uint32_t)in->b);
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
			pops = 1 + __builtin_popcount(p->sorts[in->a].fixed &
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
		seterr(err, errlen, "malformed program: function %s has bad "
			"code bounds", fn->name ? fn->name : "?");
		return -1;
	}
	if (fn->nparams < 0 || fn->nparams > 32 || fn->nlocals < fn->nparams ||
	    fn->niters < 0 || fn->nlocals > 65536 || fn->niters > 256) {
		seterr(err, errlen, "malformed program: function %s has bad "
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
		seterr(err, errlen, "out of memory");
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
		total += VM_ALIGN8(sizeof(struct vstr) + n + 1);
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
		mem += VM_ALIGN8(sizeof(struct vstr) + cap + 1);
	}
	return 0;
oom:
	seterr(err, errlen, "out of memory");
	return -1;
}

/* A zeroed table of N (+1, never empty) elements of SIZE bytes, or NULL
 * and "out of memory" in ERR. */
static void *table(size_t n, size_t size, char *err, size_t errlen)
{
	void *t = calloc(n + 1, size);

	if (t == NULL)
		seterr(err, errlen, "out of memory");
	return t;
}

static int load_formats(struct vm *vm, char *err, size_t errlen)
{
	const struct bc_program *p = vm->p;
	size_t i;

	vm->fmts = table(p->nformats, sizeof(*vm->fmts), err, errlen);
	if (vm->fmts == NULL)
		return -1;
	for (i = 0; i < p->nformats; i++) {
		char msg[128];
		size_t n = p->format_len ? p->format_len[i]
					 : strlen(p->formats[i]);

		if (fmt_parse(p->formats[i], n, &vm->fmts[i], msg,
			      sizeof(msg)) != 0) {
			seterr(err, errlen, "malformed program: format %zu: "
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

	vm->regexes = table(p->nregexes, sizeof(*vm->regexes), err, errlen);
	if (vm->regexes == NULL)
		return -1;
	for (i = 0; i < p->nregexes; i++) {
		int rc = regcomp(&vm->regexes[i], p->regexes[i],
				 REG_EXTENDED);

		if (rc != 0) {
			char msg[128];

			regerror(rc, &vm->regexes[i], msg, sizeof(msg));
			seterr(err, errlen, "regular expression '%s': %s",
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
			seterr(err, errlen, "malformed program: global %s "
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
				seterr(err, errlen, "%s", msg);
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
					seterr(err, errlen, "malformed "
						"program: global %s: bad key "
						"type", g->name);
					return -1;
				}
				kt[k] = (enum map_type)g->keytypes[k];
			}
			if (g->type != BT_LONG && g->type != BT_STRING &&
			    g->type != BT_STATS) {
				seterr(err, errlen, "malformed program: "
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
	seterr(err, errlen, "out of memory");
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
			seterr(err, errlen, "malformed program: probe %zu "
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
	seterr(err, errlen, "out of memory");
	return -1;
}

struct vm *vm_new(const struct bc_program *p, const struct vm_host *host,
		  FILE *out, char *err, size_t errlen)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	int64_t msl;

	if (vm == NULL) {
		seterr(err, errlen, "out of memory");
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
	if (!vm->errmsg || !vm->match_str || !vm->tok_str ||
	    vm_arena_init(vm) < 0) {
		seterr(err, errlen, "out of memory");
		goto fail;
	}
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
	vm_flush(vm);
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
	free_all(vm->gval, vm->gstr, vm->gmap, vm->gstat, vm->gcfg, vm->gempty);
	if (vm->fmts != NULL)
		for (i = 0; i < p->nformats; i++)
			fmt_free(&vm->fmts[i]);
	free(vm->fmts);
	for (i = 0; i < vm->nregex_ok; i++)
		regfree(&vm->regexes[i]);
	free_all(vm->regexes, vm->sconst, vm->sconst_mem, vm->fninfo,
		 vm->frames, vm->stack, vm->lstack, vm->istack, vm->tries);
	vm_arena_free(vm);
	free_all(vm->errmsg, vm->match_str, vm->tok_str);
	vm_builtins_free(vm);
	sb_free(&vm->obuf);
	sb_free(&vm->scratch);
	free(vm);
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
			seterr(err, errlen, "'%s' is not a scalar global",
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
				seterr(err, errlen, "invalid number '%s' for "
					"global '%s'", value, name);
				return -1;
			}
			vm->gval[i].l = v;
		}
		return 0;
	}
	seterr(err, errlen, "unknown global variable '%s'", name);
	return -1;
}