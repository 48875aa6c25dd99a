/*
 * bytecode.c - the compiled program as data: freeing it, naming opcodes,
 * mapping a pc to its source location, and the -p3 disassembly.
 *
 * Invariants: the listing is deterministic (it depends on the program
 * only), one instruction per line, so tests can pin code generation:
 *
 *	   3  PUSHS   s1        ; "hello\n"
 *	   7  GLOADL  g0        ; count
 *	  12  JZ      +4        ; -> 17
 *
 * (pc in 4 columns, the name in 8, the operands in 10; longer ones are
 * followed by one blank)
 *
 * Operands are printed by the operand letter of the opcode table
 * (opcodes.h); the comment names what the operand refers to.
 */
#include "bytecode.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin_list.h"
#include "strbuf.h"

static const char *const op_names[] = {
#define BC_OP_NAME(name, operands, pops, pushes) #name,
	BC_OPCODES(BC_OP_NAME)
#undef BC_OP_NAME
};

/* The operand letter of each opcode ("K", "N", "-", ...). */
static const char *const op_operands[] = {
#define BC_OP_OPER(name, operands, pops, pushes) #operands,
	BC_OPCODES(BC_OP_OPER)
#undef BC_OP_OPER
};

static const char *const bi_names[] = {
#define BC_BI_NAME(id, name, ret, args) name,
	BC_BUILTINS(BC_BI_NAME)
#undef BC_BI_NAME
};

const char *bc_op_name(int op)
{
	if (op < 0 || op >= OP__COUNT)
		return "???";
	return op_names[op];
}

void bc_program_free(struct bc_program *p)
{
	size_t i;

	if (p == NULL)
		return;
	free(p->code);
	free(p->python311_path);
	free(p->lconst);
	for (i = 0; i < p->nsconst; i++)
		free(p->sconst ? p->sconst[i] : NULL);
	free(p->sconst);
	free(p->sconst_len);
	for (i = 0; i < p->nformats; i++)
		free(p->formats ? p->formats[i] : NULL);
	free(p->formats);
	free(p->format_len);
	for (i = 0; i < p->nregexes; i++)
		free(p->regexes ? p->regexes[i] : NULL);
	free(p->regexes);
	free(p->sorts);
	for (i = 0; i < p->nglobals; i++) {
		free(p->globals[i].name);
		free(p->globals[i].init_str);
	}
	free(p->globals);
	for (i = 0; i < p->nfunctions; i++)
		free(p->functions[i].name);
	free(p->functions);
	for (i = 0; i < p->nprobes; i++) {
		free(p->probes[i].sdt_path);
		free(p->probes[i].sdt_provider);
		free(p->probes[i].sdt_name);
		free(p->probes[i].pp);
		free(p->probes[i].loc);
		free(p->probes[i].pn);
	}
	free(p->probes);
	for (i = 0; i < p->nlocs; i++) {
		free((char *)p->locs[i].near);
		free((char *)p->locs[i].file);
	}
	free(p->locs);
	free(p->lines);
	free(p);
}

const struct bc_loc *bc_loc_at(const struct bc_program *p, uint32_t pc)
{
	size_t lo = 0, hi = p->nlines;

	/* the last entry whose pc <= PC */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->lines[mid].pc <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	if (p->lines[lo - 1].loc >= p->nlocs)
		return NULL;
	return &p->locs[p->lines[lo - 1].loc];
}

/* ---- disassembly ------------------------------------------------------ */

static const char *type_name(enum bc_type t)
{
	switch (t) {
	case BT_LONG:
		return "long";
	case BT_STRING:
		return "string";
	case BT_STATS:
		return "stats";
	default:
		return "none";
	}
}

/* A C-style quoted rendering of N bytes, cut at 40 bytes with "...". */
static void put_quoted(struct strbuf *out, const char *s, size_t n)
{
	sb_put_cstring(out, s, n > 40 ? 40 : n, true);
	if (n > 40)
		sb_puts(out, "...");
}

static const char *ctxs_name(int a)
{
	static const char *const names[] = {
		"$$name", "$$provider", "$$vars", "$$parms", "pp()", "pn()"
	};

	if (a < 0 || a >= (int)(sizeof(names) / sizeof(names[0])))
		return "?";
	return names[a];
}

static const char *stat_name(int b)
{
	static const char *const names[] = {
		"@count", "@sum", "@min", "@max", "@avg", "@variance"
	};

	if (b < 0 || b >= 6)
		return "@?";
	return names[b];
}

static const char *global_name(const struct bc_program *p, unsigned g)
{
	return g < p->nglobals && p->globals[g].name ? p->globals[g].name
						       : "?";
}

/* One instruction: operands into OPS, comment into CMT. */
static void insn_text(const struct bc_program *p, uint32_t pc,
		      struct strbuf *ops, struct strbuf *cmt)
{
	const struct bc_insn *in = &p->code[pc];
	const char *kind = in->op < OP__COUNT ? op_operands[in->op] : "-";

	switch (in->op) {
	case OP_PUSHI:
		sb_printf(ops, "%" PRId32, in->b);
		return;
	case OP_ACT:
		sb_printf(ops, "%" PRId32, in->b);
		return;
	case OP_REGEX:
		sb_printf(ops, "r%u", in->a);
		sb_puts(cmt, in->x ? "!~ " : "=~ ");
		if (in->a < p->nregexes)
			put_quoted(cmt, p->regexes[in->a],
				   strlen(p->regexes[in->a]));
		return;
	case OP_CTX:
		sb_printf(ops, "%u", in->a);
		sb_printf(cmt, "$arg%u", in->a);
		return;
	case OP_CTXS:
		sb_printf(ops, "%u", in->a);
		sb_puts(cmt, ctxs_name(in->a));
		return;
	case OP_FEBEGIN:
		sb_printf(ops, "it%u g%" PRId32 " o%u", in->x, in->b, in->a);
		sb_puts(cmt, global_name(p, (unsigned)in->b));
		if (in->a < p->nsorts) {
			const struct bc_sort *s = &p->sorts[in->a];

			if (s->by == BS_KEY)
				sb_printf(cmt, " sort key%d%c", s->key,
					  s->dir < 0 ? '-' : '+');
			else if (s->by == BS_VALUE)
				sb_printf(cmt, " sort value%c",
					  s->dir < 0 ? '-' : '+');
			if (s->fixed)
				sb_printf(cmt, " fixed 0x%x", s->fixed);
			if (s->hist)
				sb_puts(cmt, " histogram");
		}
		return;
	case OP_FENEXT:
		sb_printf(ops, "it%u %+" PRId32, in->a, in->b);
		sb_printf(cmt, "-> %" PRId64, (int64_t)pc + 1 + in->b);
		return;
	case OP_FEVALUE:
	case OP_FEEND:
		sb_printf(ops, "it%u", in->x);
		return;
	case OP_STATOP:
		sb_printf(ops, "g%u %s", in->a, stat_name(in->b));
		sb_puts(cmt, global_name(p, in->a));
		return;
	case OP_AEXISTS:
	case OP_ADEL:
		sb_printf(ops, "g%u/%u", in->a, in->x);
		sb_puts(cmt, global_name(p, in->a));
		if (in->b)
			sb_printf(cmt, " slice 0x%" PRIx32, (uint32_t)in->b);
		return;
	default:
		break;
	}

	switch (kind[0]) {
	case 'K':
		sb_printf(ops, "k%" PRId32, in->b);
		if (in->b >= 0 && (size_t)in->b < p->nlconst)
			sb_printf(cmt, "%" PRId64, p->lconst[in->b]);
		break;
	case 'C':
		sb_printf(ops, "s%" PRId32, in->b);
		if (in->b >= 0 && (size_t)in->b < p->nsconst)
			put_quoted(cmt, p->sconst[in->b],
				   p->sconst_len ? p->sconst_len[in->b]
						 : strlen(p->sconst[in->b]));
		break;
	case 'L':
		sb_printf(ops, "l%u", in->a);
		break;
	case 'G':
		if (in->x)
			sb_printf(ops, "g%u/%u", in->a, in->x);
		else
			sb_printf(ops, "g%u", in->a);
		sb_puts(cmt, global_name(p, in->a));
		break;
	case 'J':
		sb_printf(ops, "%+" PRId32, in->b);
		sb_printf(cmt, "-> %" PRId64, (int64_t)pc + 1 + in->b);
		break;
	case 'F':
		sb_printf(ops, "f%u", in->a);
		if (in->a < p->nfunctions)
			sb_puts(cmt, p->functions[in->a].name);
		break;
	case 'B':
		sb_printf(ops, "b%u/%u", in->a, in->x);
		if (in->a < BI__COUNT)
			sb_puts(cmt, bi_names[in->a]);
		break;
	case 'P':
		sb_printf(ops, "p%u/%u", in->a, in->x);
		if (in->a < p->nformats)
			put_quoted(cmt, p->formats[in->a],
				   p->format_len ? p->format_len[in->a]
						 : strlen(p->formats[in->a]));
		break;
	case 'N':
		sb_printf(ops, "%u", in->x);
		break;
	default:
		break;
	}
}

static const char *probe_kind_name(enum bc_probe_kind k)
{
	switch (k) {
	case BP_BEGIN:
		return "begin";
	case BP_END:
		return "end";
	case BP_ERROR:
		return "error";
	case BP_TIMER:
		return "timer";
	case BP_SDT:
		return "mark";
	case BP_NEVER:
		return "never";
	case BP_PROC_BEGIN:
		return "process.begin";
	case BP_PROC_END:
		return "process.end";
	case BP_THREAD_BEGIN:
		return "process.thread.begin";
	case BP_THREAD_END:
		return "process.thread.end";
	case BP_SAMPLE:
		return "sample";
	case BP_SAMPLE_ALL:
		return "sample.all";
	}
	return "?";
}

void bc_disassemble(struct strbuf *out, const struct bc_program *p)
{
	struct strbuf ops = STRBUF_INIT, cmt = STRBUF_INIT;
	size_t i, f;

	sb_printf(out, "limits: MAXACTION=%" PRId64
		  " MAXACTION_INTERRUPTIBLE=%" PRId64
		  " MAXMAPENTRIES=%" PRId64 " MAXSTRINGLEN=%" PRId64
		  " MAXNESTING=%" PRId64 " MAXERRORS=%" PRId64 "\n",
		  p->maxaction, p->maxaction_interruptible, p->maxmapentries,
		  p->maxstringlen, p->maxnesting, p->maxerrors);

	sb_printf(out, "globals: %zu\n", p->nglobals);
	for (i = 0; i < p->nglobals; i++) {
		const struct bc_global *g = &p->globals[i];
		int k;

		sb_printf(out, "  g%zu  %s  %s", i, g->name ? g->name : "?",
			  type_name(g->type));
		if (g->nkeys > 0) {
			sb_putc(out, '[');
			for (k = 0; k < g->nkeys && k < 9; k++)
				sb_printf(out, "%s%s", k ? "," : "",
					  type_name(g->keytypes[k]));
			sb_putc(out, ']');
		}
		if (g->maxsize)
			sb_printf(out, " size %" PRId64, g->maxsize);
		if (g->wrap)
			sb_puts(out, " wrap");
		if (g->hist == BH_LOG)
			sb_puts(out, " @hist_log");
		else if (g->hist == BH_LINEAR)
			sb_printf(out, " @hist_linear(%" PRId64 ",%" PRId64
				  ",%" PRId64 ")", g->hist_lo, g->hist_hi,
				  g->hist_step);
		if (g->has_init) {
			if (g->type == BT_STRING) {
				sb_puts(out, " = ");
				put_quoted(out, g->init_str ? g->init_str : "",
					   g->init_str ? strlen(g->init_str)
						       : 0);
			} else {
				sb_printf(out, " = %" PRId64, g->init_long);
			}
		}
		if (g->autoprint)
			sb_puts(out, " autoprint");
		sb_putc(out, '\n');
	}

	sb_printf(out, "probes: %zu\n", p->nprobes);
	for (i = 0; i < p->nprobes; i++) {
		const struct bc_probe *pr = &p->probes[i];

		sb_printf(out, "  p%zu  %s  %s -> f%d", i,
			  probe_kind_name(pr->kind), pr->pp ? pr->pp : "?",
			  pr->handler);
		if (pr->kind == BP_BEGIN || pr->kind == BP_END ||
		    pr->kind == BP_ERROR)
			sb_printf(out, " priority %" PRId64, pr->priority);
		sb_putc(out, '\n');
	}

	for (f = 0; f < p->nfunctions; f++) {
		const struct bc_function *fn = &p->functions[f];
		uint32_t pc, end;

		sb_printf(out, "\nfunction f%zu %s (params %d, locals %d, "
			  "iters %d) returns %s", f, fn->name ? fn->name : "?",
			  fn->nparams, fn->nlocals, fn->niters,
			  type_name(fn->ret));
		for (i = 0; i < p->nprobes; i++)
			if (p->probes[i].handler == (int)f)
				sb_printf(out, " [handler of p%zu]", i);
		sb_putc(out, '\n');
		end = fn->entry + fn->size;
		if (end > p->ncode)
			end = (uint32_t)p->ncode;
		for (pc = fn->entry; pc < end; pc++) {
			size_t start = out->len;

			sb_reset(&ops);
			sb_reset(&cmt);
			insn_text(p, pc, &ops, &cmt);
			const char *name = bc_op_name(p->code[pc].op);

			sb_printf(out, "%4u  %-8s", pc, name);
			if (strlen(name) >= 8)
				sb_putc(out, ' ');
			sb_printf(out, "%-10s", sb_str(&ops));
			if (cmt.len) {
				if (ops.len >= 10)
					sb_putc(out, ' ');
				sb_puts(out, "; ");
				sb_append(out, cmt.buf, cmt.len);
			}
			/* no trailing blanks */
			while (out->len > start && out->buf[out->len - 1] == ' ')
				out->len--;
			out->buf[out->len] = '\0';
			sb_putc(out, '\n');
		}
	}
	sb_free(&ops);
	sb_free(&cmt);
}

/* ---- what needs a stopped thread (bc_probe_needs_stop) ---------------- */

static bool is_user_read(int bi)
{
	return (bi >= BI_user_string && bi <= BI_user_ulong);
}

static bool is_const_push(int op)
{
	return op == OP_PUSHI || op == OP_PUSHL || op == OP_PUSHS;
}

/* A string argument of the mark ($arg1, $arg2, $arg4..$arg6): an
 * address in the target at a marker, a handle of the agent's. */
static bool is_addr_arg(const struct bc_insn *in)
{
	return in->op == OP_CTX && in->a != 0 && in->a != 3;
}

/* CTX at PC feeds a user_*() built-in directly as its address (the
 * other arguments constants). */
static bool ctx_feeds_user_read(const struct bc_program *p, uint32_t pc,
				uint32_t end)
{
	for (uint32_t k = 0; k < 3 && pc + 1 + k < end; k++) {
		const struct bc_insn *b = &p->code[pc + 1 + k];

		if (b->op == OP_BUILTIN)
			return is_user_read(b->a) && b->x == k + 1;
		if (!is_const_push(b->op))
			return false;
	}
	return false;
}

const char *bc_probe_needs_stop(const struct bc_program *p, size_t i,
				uint32_t *at)
{
	static char why[64];
	const struct bc_probe *bp = &p->probes[i];
	unsigned char *seen;
	int *todo, ntodo = 0;
	const char *res = NULL;

	if (bp->handler < 0 || (size_t)bp->handler >= p->nfunctions)
		return NULL;
	seen = calloc(p->nfunctions, 1);
	todo = malloc(p->nfunctions * sizeof(*todo));
	if (seen == NULL || todo == NULL) {
		free(seen);
		free(todo);
		return NULL;
	}
	todo[ntodo++] = bp->handler;
	seen[bp->handler] = 1;
	while (ntodo > 0 && res == NULL) {
		const struct bc_function *f = &p->functions[todo[--ntodo]];
		uint32_t end = f->entry + f->size;

		if (end > p->ncode)
			end = (uint32_t)p->ncode;
		for (uint32_t pc = f->entry; pc < end && res == NULL; pc++) {
			const struct bc_insn *in = &p->code[pc];

			switch (in->op) {
			case OP_CALL:
				if (in->a < p->nfunctions && !seen[in->a]) {
					seen[in->a] = 1;
					todo[ntodo++] = in->a;
				}
				break;
			case OP_CTX:
				if (is_addr_arg(in) &&
				    !ctx_feeds_user_read(p, pc, end)) {
					snprintf(why, sizeof(why),
						 "$arg%u used as a number",
						 (unsigned)in->a);
					res = why;
				}
				break;
			case OP_CTXS:
				if (in->a == 2)
					res = "$$vars";
				else if (in->a == 3 && !bp->values)
					res = "$$locals";
				break;
			case OP_BUILTIN:
				if (in->a == BI_pystacks ||
				    in->a == BI_print_pystacks ||
				    in->a == BI_pyrepr || in->a == BI_pyglobal ||
				    (is_user_read(in->a) &&
				     !(in->x >= 1 && pc >= in->x &&
				       is_addr_arg(&p->code[pc - in->x]) &&
				       ctx_feeds_user_read(p, pc - in->x,
							   end)))) {
					snprintf(why, sizeof(why), "%s()",
						 bi_names[in->a]);
					res = why;
				}
				break;
			default:
				break;
			}
			if (res)
				*at = pc;
		}
	}
	free(seen);
	free(todo);
	return res;
}

void bc_probe_globals(const struct bc_program *p, size_t i,
		      unsigned char *used)
{
	const struct bc_probe *bp = &p->probes[i];
	unsigned char *seen;
	int *todo, ntodo = 0;

	if (bp->handler < 0 || (size_t)bp->handler >= p->nfunctions)
		return;
	seen = calloc(p->nfunctions, 1);
	todo = malloc(p->nfunctions * sizeof(*todo));
	if (seen == NULL || todo == NULL) {
		free(seen);
		free(todo);
		memset(used, 1, p->nglobals);	/* assume the worst */
		return;
	}
	todo[ntodo++] = bp->handler;
	seen[bp->handler] = 1;
	while (ntodo > 0) {
		const struct bc_function *f = &p->functions[todo[--ntodo]];
		uint32_t end = f->entry + f->size;

		if (end > p->ncode)
			end = (uint32_t)p->ncode;
		for (uint32_t pc = f->entry; pc < end; pc++) {
			const struct bc_insn *in = &p->code[pc];
			const char *opr = op_operands[in->op];
			size_t g;

			if (in->op == OP_CALL) {
				if (in->a < p->nfunctions && !seen[in->a]) {
					seen[in->a] = 1;
					todo[ntodo++] = in->a;
				}
				continue;
			}
			if (in->op == OP_FEBEGIN)
				g = (size_t)in->b;	/* the global iterated */
			else if (opr[0] == 'G')
				g = in->a;
			else
				continue;
			if (g < p->nglobals)
				used[g] = 1;
		}
	}
	free(seen);
	free(todo);
}
