/*
 * walk_test.c - unit tests of the AST walker (compiler/walk.c): on trees
 * the real parser makes, every name is visited once, in the documented
 * order and with its role (a foreach's array, slice, keys, value and
 * limit; a for's init and step; a catch variable; delete's operand), a
 * WALK_SKIP or WALK_STOP ends what it should, and the deep copy built on
 * the walk shares no node with the original.
 *
 * Prints "N passed, N failed" and exits 0 only if nothing failed.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ast.h"
#include "diag.h"
#include "parse.h"
#include "strbuf.h"
#include "walk.h"

static int passed, failed;

/* Count a check; say where and why when it fails. */
static void check(bool ok, int line, const char *fmt, ...)
	ATTRIBUTE_FORMAT(3, 4);

static void check(bool ok, int line, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		passed++;
		return;
	}
	failed++;
	va_start(ap, fmt);
	fprintf(stderr, "FAIL walk_test.c:%d: ", line);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

#define CHECK(cond, ...) check((cond), __LINE__, __VA_ARGS__)

/* The first probe's body of TEXT, parsed into arena A. */
static struct stmt *parse_body(struct ast_arena *a, const char *text)
{
	struct source *src = ast_alloc(a, sizeof(*src));
	struct script *s = ast_alloc(a, sizeof(*s));
	struct parse_opts po;
	struct diag d;

	memset(&po, 0, sizeof(po));
	diag_init(&d, stderr);
	src->name = "input.pytap";
	src->text = text;
	src->len = strlen(text);
	src->file_id = 1;
	if (parse_source(a, src, &po, s, &d) || !s->probes) {
		fprintf(stderr, "cannot parse: %s\n", text);
		exit(1);
	}
	return s->probes->body;
}

static const char *const role_names[] = {
	"read", "write", "update", "bind", "iterate",
};

/* Records "name:role" for each named expression, and the nodes seen. */
struct recorder {
	struct walker w;
	struct strbuf out;
	const void *nodes[512];
	int nnodes;
	const char *skip;	/* WALK_SKIP at a call of this name */
	const char *stop;	/* WALK_STOP at this name */
};

static void seen(struct recorder *r, const void *node)
{
	if (r->nnodes < 512)
		r->nodes[r->nnodes++] = node;
}

static enum walk_next record_expr(struct walker *w, struct expr **slot,
				  enum walk_role role)
{
	struct recorder *r = (struct recorder *)w;
	const struct expr *e = *slot;

	seen(r, e);
	if (e->name && (e->kind == E_SYM || e->kind == E_INDEX ||
			e->kind == E_CALL || e->kind == E_IN))
		sb_printf(&r->out, "%s%s:%s", r->out.len ? " " : "", e->name,
			  role_names[role]);
	if (r->stop && e->name && !strcmp(e->name, r->stop))
		return WALK_STOP;
	if (r->skip && e->kind == E_CALL && !strcmp(e->name, r->skip))
		return WALK_SKIP;
	return WALK_CONTINUE;
}

static enum walk_next record_stmt(struct walker *w, struct stmt **slot)
{
	seen((struct recorder *)w, *slot);
	return WALK_CONTINUE;
}

static void record(struct recorder *r)
{
	memset(r, 0, sizeof(*r));
	r->w.expr_pre = record_expr;
	r->w.stmt_pre = record_stmt;
}

/* The names TEXT's first probe body holds, in walk order. */
static void check_order(const char *text, const char *want)
{
	struct ast_arena *a = ast_arena_new();
	struct stmt *body = parse_body(a, text);
	struct recorder r;

	record(&r);
	CHECK(walk_stmt(&r.w, &body), "walk stopped: %s", text);
	CHECK(!strcmp(sb_str(&r.out), want), "%s\n  got  %s\n  want %s", text,
	      sb_str(&r.out), want);
	sb_free(&r.out);
	ast_arena_free(a);
}

static void test_order_and_roles(void)
{
	check_order("probe begin { a = b + c[d] }",
		    "a:write b:read c:read d:read");
	check_order("probe begin { a += 1; e++; --f; s <<< g }",
		    "a:update e:update f:update s:write g:read");
	check_order("probe begin { x = y ? z : fn(p, q) }",
		    "x:write y:read z:read fn:read p:read q:read");
	check_order("probe begin { for (i = 0; i < n; i++) body = 1 }",
		    "i:write i:read n:read body:write i:update");
	check_order("probe begin { while (w) break }", "w:read");
	check_order("probe begin { if (c) t = 1 else e = 2 }",
		    "c:read t:write e:write");
	check_order("probe begin { foreach (v = [k1, k2] in arr[s1, *] limit lim) b = v }",
		    "arr:iterate s1:read k1:bind k2:bind v:bind lim:read b:write v:read");
	check_order("probe begin { foreach (bk in @hist_log(h)) n++ }",
		    "h:read bk:bind n:update");
	check_order("probe begin { try { t = 1 } catch (msg) { u = msg } }",
		    "t:write msg:bind u:write msg:read");
	check_order("probe begin { delete d; delete arr[k]; next }",
		    "d:write arr:write k:read");
	check_order("probe begin { if ([k] in arr) printf(\"%d\", @count(st[k])) }",
		    "arr:read k:read st:read k:read");
}

static void test_skip_and_stop(void)
{
	struct ast_arena *a = ast_arena_new();
	struct stmt *body = parse_body(a,
		"probe begin { x = inner(y); z = 1; last = 2 }");
	struct recorder r;

	record(&r);
	r.skip = "inner";
	walk_stmt(&r.w, &body);
	CHECK(!strcmp(sb_str(&r.out), "x:write inner:read z:write last:write"),
	      "skip: got %s", sb_str(&r.out));
	sb_free(&r.out);

	record(&r);
	r.stop = "z";
	CHECK(!walk_stmt(&r.w, &body), "a stopped walk returns false");
	CHECK(r.w.stopped, "stopped is set");
	CHECK(!strcmp(sb_str(&r.out), "x:write inner:read y:read z:write"),
	      "stop: got %s", sb_str(&r.out));
	sb_free(&r.out);
	ast_arena_free(a);
}

/* The test's own enumeration of every node, field by field (the source of
 * truth the walker is checked against). */
struct nodeset {
	const void *v[512];
	int n;
};

static void add_expr(struct nodeset *ns, const struct expr *e);

/* Record NODE; false when there is none (or no room). */
static bool add(struct nodeset *ns, const void *node)
{
	if (!node || ns->n >= 512)
		return false;
	ns->v[ns->n++] = node;
	return true;
}

static void add_exprs(struct nodeset *ns, struct expr *const *v, int n)
{
	int i;

	for (i = 0; v && i < n; i++)
		add_expr(ns, v[i]);
}

static void add_expr(struct nodeset *ns, const struct expr *e)
{
	if (!add(ns, e))
		return;
	add_expr(ns, e->a);
	add_expr(ns, e->b);
	add_expr(ns, e->c);
	add_exprs(ns, e->args, e->nargs);
}

static void add_stmt(struct nodeset *ns, const struct stmt *s)
{
	int i;

	if (!add(ns, s))
		return;
	add_expr(ns, s->e);
	add_expr(ns, s->catchvar);
	add_stmt(ns, s->then);
	add_stmt(ns, s->els);
	add_stmt(ns, s->init);
	add_stmt(ns, s->step);
	for (i = 0; i < s->nbody; i++)
		add_stmt(ns, s->body[i]);
	if (s->fe) {
		add_expr(ns, s->fe->value);
		add_exprs(ns, s->fe->keys, s->fe->nkeys);
		add_expr(ns, s->fe->array);
		add_exprs(ns, s->fe->slice, s->fe->nkeys);
		add_expr(ns, s->fe->limit);
	}
}

static bool has(const void *const *v, int n, const void *x)
{
	int i;

	for (i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

/* The walk visits each node once, and the deep copy made with it shares
 * no node with the original. */
static void test_clone(void)
{
	static const char *const scripts[] = {
		"probe begin { foreach (v = [k1, k2] in arr[s1 + 1, *] limit lim * 2) { b = v; continue } }",
		"probe begin { for (i = 0; i < n; i++) { try { t = f(i) } catch (m) { u = m } } }",
		"probe begin { if ([k] in arr) delete arr[k] else x = @hist_linear(h, 0, 10, 1)[3] }",
		"probe begin { s = sprintf(\"%d %s\", a ? b : c, d . e); print(@avg(st)) }",
	};
	size_t n;

	for (n = 0; n < sizeof(scripts) / sizeof(scripts[0]); n++) {
		struct ast_arena *a = ast_arena_new();
		struct stmt *body = parse_body(a, scripts[n]);
		struct stmt *copy = ast_clone_stmt(a, body);
		struct recorder r1, r2;
		struct nodeset ref, refcopy;
		int i, missed = 0, shared = 0;

		record(&r1);
		walk_stmt(&r1.w, &body);
		record(&r2);
		walk_stmt(&r2.w, &copy);
		CHECK(!strcmp(sb_str(&r1.out), sb_str(&r2.out)),
		      "copy walks differently: %s vs %s", sb_str(&r1.out),
		      sb_str(&r2.out));
		ref.n = refcopy.n = 0;
		add_stmt(&ref, body);
		add_stmt(&refcopy, copy);
		CHECK(r1.nnodes == ref.n && r2.nnodes == refcopy.n &&
		      ref.n > 5, "walked %d and %d nodes of %d and %d: %s",
		      r1.nnodes, r2.nnodes, ref.n, refcopy.n, scripts[n]);
		for (i = 0; i < ref.n; i++)
			missed += !has(r1.nodes, r1.nnodes, ref.v[i]);
		CHECK(missed == 0, "the walk missed %d nodes: %s", missed,
		      scripts[n]);
		for (i = 0; i < refcopy.n; i++)
			shared += has(ref.v, ref.n, refcopy.v[i]);
		CHECK(shared == 0, "%d nodes shared: %s", shared, scripts[n]);
		sb_free(&r1.out);
		sb_free(&r2.out);
		ast_arena_free(a);
	}
}

int main(void)
{
	test_order_and_roles();
	test_skip_and_stop();
	test_clone();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
