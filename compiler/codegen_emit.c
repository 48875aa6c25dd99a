/*
 * codegen_emit.c - the bytecode builder under pass 3: instructions with
 * their source locations, ACT merging, jumps and jump lists, and the
 * constant pools (numbers, strings, formats, regexes).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "codegen_int.h"
#include "format.h"
#include "strbuf.h"

/* ------------------------------------------------------------------ */
/* locations                                                          */

static const char *const keywords[] = {
	"probe", "global", "private", "function", "if", "else", "for",
	"foreach", "in", "limit", "return", "delete", "while", "break",
	"continue", "next", "string", "long", "try", "catch",
};

static char *near_text(const struct loc *l)
{
	struct strbuf sb = STRBUF_INIT;
	const char *t;
	int n;
	size_t i;

	if (!l || !l->src || l->off < 0 || (size_t)l->off >= l->src->len)
		return strdup("?");
	t = l->src->text + l->off;
	n = l->len > 0 ? l->len : 1;
	if ((size_t)(l->off + n) > l->src->len)
		n = (int)(l->src->len - (size_t)l->off);
	if (t[0] == '"')
		sb_puts(&sb, "string ");
	else if (t[0] >= '0' && t[0] <= '9')
		sb_puts(&sb, "number ");
	else if ((t[0] >= 'a' && t[0] <= 'z') || (t[0] >= 'A' && t[0] <= 'Z') ||
		 t[0] == '_' || t[0] == '$') {
		const char *kind = "identifier ";

		/* the token only: a call's location may span "f(...)" */
		for (i = 1; i < (size_t)n; i++)
			if (!((t[i] >= 'a' && t[i] <= 'z') ||
			      (t[i] >= 'A' && t[i] <= 'Z') ||
			      (t[i] >= '0' && t[i] <= '9') || t[i] == '_' ||
			      t[i] == '$'))
				break;
		n = (int)i;
		for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
			if ((size_t)n == strlen(keywords[i]) &&
			    !strncmp(t, keywords[i], (size_t)n))
				kind = "keyword ";
		sb_puts(&sb, kind);
	} else
		sb_puts(&sb, "operator ");
	sb_putc(&sb, '\'');
	sb_append(&sb, t, (size_t)n);
	sb_putc(&sb, '\'');
	return sb_steal(&sb);
}

uint32_t cg_add_loc(struct cg *g, const struct loc *l)
{
	struct bc_program *p = g->p;
	struct bc_loc *x;

	GROW(p->locs, p->nlocs, g->cap_loc);
	x = &p->locs[p->nlocs];
	x->near = near_text(l);
	x->file = strdup(l && l->src ? l->src->name : "?");
	x->line = l ? l->line : 0;
	x->col = l ? l->col : 0;
	return (uint32_t)p->nlocs++;
}

/* ------------------------------------------------------------------ */
/* emission                                                           */

uint32_t cg_pc(struct cg *g)
{
	return (uint32_t)g->p->ncode;
}

uint32_t cg_emit(struct cg *g, enum bc_op op, int x, int a, int32_t b)
{
	struct bc_program *p = g->p;
	struct bc_insn *in;

	/* record where this instruction came from, when it changes */
	if (g->cur) {
		const struct bc_loc *lastl = p->nlines ?
			&p->locs[p->lines[p->nlines - 1].loc] : NULL;

		if (!lastl || lastl->line != g->cur->line ||
		    lastl->col != g->cur->col ||
		    strcmp(lastl->file, g->cur->src ? g->cur->src->name : "?")) {
			uint32_t li = cg_add_loc(g, g->cur);

			GROW(p->lines, p->nlines, g->cap_line);
			p->lines[p->nlines].pc = cg_pc(g);
			p->lines[p->nlines].loc = li;
			p->nlines++;
		}
	}
	GROW(p->code, p->ncode, g->cap_code);
	in = &p->code[p->ncode];
	in->op = (uint8_t)op;
	in->x = (uint8_t)x;
	in->a = (uint16_t)a;
	in->b = b;
	/* a jump ends the straight-line run an ACT counts for (so does a
	   jump target: cg_label()) */
	switch (op) {
	case OP_JMP: case OP_JZ: case OP_JNZ: case OP_TRY: case OP_ENDTRY:
	case OP_RET: case OP_NEXT: case OP_HALT: case OP_FEBEGIN:
	case OP_FENEXT:
		g->act_mergeable = false;
		break;
	default:
		break;
	}
	return (uint32_t)p->ncode++;
}

/* Count one statement against MAXACTION: one ACT per straight-line run
 * (no jump and no jump target in between) counts all of its statements
 * at the start of the run, as SystemTap checks a straight-line handler
 * once with a static count. */
void cg_emit_act(struct cg *g)
{
	if (g->act_mergeable) {
		g->p->code[g->last_act].b++;
		return;
	}
	g->last_act = cg_emit(g, OP_ACT, 0, 0, 1);
	g->act_mergeable = true;
}

/* A jump target: no ACT merging across it. */
void cg_label(struct cg *g)
{
	g->act_mergeable = false;
}

void cg_patch(struct cg *g, uint32_t at, uint32_t target)
{
	g->p->code[at].b = (int32_t)target - (int32_t)at - 1;
	cg_label(g);
}

void cg_jl_add(struct jumplist *j, uint32_t at)
{
	j->pcs = realloc(j->pcs, (j->n + 1) * sizeof(*j->pcs));
	j->pcs[j->n++] = at;
}

void cg_jl_patch(struct cg *g, struct jumplist *j, uint32_t target)
{
	size_t i;

	for (i = 0; i < j->n; i++)
		cg_patch(g, j->pcs[i], target);
	free(j->pcs);
	j->pcs = NULL;
	j->n = 0;
}

static int lconst(struct cg *g, int64_t v)
{
	struct bc_program *p = g->p;
	size_t i;

	for (i = 0; i < p->nlconst; i++)
		if (p->lconst[i] == v)
			return (int)i;
	GROW(p->lconst, p->nlconst, g->cap_l);
	p->lconst[p->nlconst] = v;
	return (int)p->nlconst++;
}

/* S[0..len) in a pool of NUL-terminated copies with their lengths (the
 * string constants, the formats): its index, added once. */
static int intern(char ***pool, uint32_t **lens, size_t *n, size_t *cap,
		  const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if ((*lens)[i] == len && !memcmp((*pool)[i], s, len))
			return (int)i;
	if (*n >= *cap) {
		*cap = *cap ? *cap * 2 : 16;
		*pool = realloc(*pool, *cap * sizeof(**pool));
		*lens = realloc(*lens, *cap * sizeof(**lens));
	}
	(*pool)[*n] = malloc(len + 1);
	memcpy((*pool)[*n], s, len);
	(*pool)[*n][len] = 0;
	(*lens)[*n] = (uint32_t)len;
	return (int)(*n)++;
}

static int sconst(struct cg *g, const char *s, size_t len)
{
	return intern(&g->p->sconst, &g->p->sconst_len, &g->p->nsconst,
		      &g->cap_s, s, len);
}

int cg_add_format(struct cg *g, const char *s, size_t len)
{
	return intern(&g->p->formats, &g->p->format_len, &g->p->nformats,
		      &g->cap_f, s, len);
}

int cg_add_regex(struct cg *g, const char *re)
{
	struct bc_program *p = g->p;
	size_t i;

	for (i = 0; i < p->nregexes; i++)
		if (!strcmp(p->regexes[i], re))
			return (int)i;
	GROW(p->regexes, p->nregexes, g->cap_re);
	p->regexes[p->nregexes] = strdup(re);
	return (int)p->nregexes++;
}

void cg_push_long(struct cg *g, int64_t v)
{
	if (v >= INT32_MIN && v <= INT32_MAX)
		cg_emit(g, OP_PUSHI, 0, 0, (int32_t)v);
	else
		cg_emit(g, OP_PUSHL, 0, 0, lconst(g, v));
}

void cg_push_str(struct cg *g, const char *s, size_t len)
{
	cg_emit(g, OP_PUSHS, 0, 0, sconst(g, s, len));
}

int cg_temp(struct cg *g)
{
	int t = g->nslots++;

	if (g->nslots > g->maxslots)
		g->maxslots = g->nslots;
	return t;
}
