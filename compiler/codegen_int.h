/*
 * codegen_int.h - what the files of pass 3 share: the code generator's
 * state and its two lower layers.  Not for use outside codegen*.c; the
 * pass's interface is codegen.h.
 *
 *   codegen.c       statements, functions and handlers, the program
 *   codegen_expr.c  expressions (values, branches, assignments, prints)
 *   codegen_emit.c  instructions, jumps, constant pools and locations
 */
#ifndef PYTAP_CODEGEN_INT_H
#define PYTAP_CODEGEN_INT_H

#include "codegen.h"

#define MAX_TEMPS 64

struct jumplist {
	uint32_t *pcs;
	size_t n;
};

struct loop {
	struct jumplist brk, cont;
	struct loop *outer;
};

struct cg {
	struct bc_program *p;
	struct diag *d;
	const struct resolved *r;
	size_t cap_code, cap_l, cap_s, cap_f, cap_re, cap_sort, cap_loc,
		cap_line;
	/* current function */
	int nslots;		/* locals + temps in use */
	int maxslots;
	int niters, maxiters;
	struct loop *loop;
	const struct loc *cur;	/* location of the instruction being made */
	uint32_t last_act;	/* pc of the last ACT, if still mergeable */
	bool act_mergeable;
	int handler_base;	/* index of the first handler function */
	bool uses_pystack;	/* pystack()/pystacks() are called */
};

#define GROW(arr, n, cap)						\
	do {								\
		if ((n) >= (cap)) {					\
			(cap) = (cap) ? (cap) * 2 : 16;			\
			(arr) = realloc((arr), (cap) * sizeof(*(arr)));	\
			if (!(arr))					\
				abort();				\
		}							\
	} while (0)

/* codegen_emit.c */
/* A location record for L (for runtime messages). */
uint32_t cg_add_loc(struct cg *g, const struct loc *l);
/* The next instruction's index. */
uint32_t cg_pc(struct cg *g);
uint32_t cg_emit(struct cg *g, enum bc_op op, int x, int a, int32_t b);
/* Count one statement against MAXACTION. */
void cg_emit_act(struct cg *g);
/* A jump target: no ACT merging across it. */
void cg_label(struct cg *g);
/* Point the jump at AT to TARGET. */
void cg_patch(struct cg *g, uint32_t at, uint32_t target);
void cg_jl_add(struct jumplist *j, uint32_t at);
void cg_jl_patch(struct cg *g, struct jumplist *j, uint32_t target);
int cg_add_format(struct cg *g, const char *s, size_t len);
int cg_add_regex(struct cg *g, const char *re);
void cg_push_long(struct cg *g, int64_t v);
void cg_push_str(struct cg *g, const char *s, size_t len);
/* A scratch local slot for the current function. */
int cg_temp(struct cg *g);

/* codegen_expr.c */
/* E's value on the stack. */
void gen_value(struct cg *g, struct expr *e);
/* E for its effects only. */
void gen_discard(struct cg *g, struct expr *e);
/* Jump to OUT when E is true (JUMP_IF) or false. */
void gen_branch(struct cg *g, struct expr *e, bool jump_if,
		struct jumplist *out);
/* The N keys on the stack; returns their type mask. */
int32_t gen_keys(struct cg *g, struct expr **args, int n);
/* A global's index. */
int cg_gidx(const struct symbol *s);
/* E's value, when it is a constant. */
bool cg_const_long(const struct expr *e, int64_t *out);
/* @count, @sum, ... as the VM numbers them. */
int cg_stat_op_code(const char *n);

#endif
