/*
 * vm_str.c - the VM's strings and output: the per-run string arena that
 * every string a handler makes lives in (vm_str_new, vm_str_begin/_end;
 * reset when vm_run returns, blocks kept for the next run), and the
 * buffered output of print/printf (vm_out, flushed past VM_OUT_FLUSH_AT
 * bytes, by vm_flush, and before a warning or an error goes to stderr).
 * The allocator of the dispatch loop's hot path, vm_arena_str, is inline
 * in vm_int.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm_int.h"

const struct vstr vm_empty_str = { 0, "" };

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
	if (vm->obuf.len >= VM_OUT_FLUSH_AT)
		out_write(vm);
}

void vm_warn(struct vm *vm, const char *msg)
{
	out_write(vm);
	fprintf(stderr, "WARNING: %s\n", msg);
}

/* ---- the string arena ------------------------------------------------- */

int vm_arena_init(struct vm *vm)
{
	vm->arena_head = malloc(sizeof(struct vm_chunk) + VM_ARENA_CHUNK);
	if (vm->arena_head == NULL)
		return -1;
	vm->arena_head->next = NULL;
	vm->arena_head->cap = VM_ARENA_CHUNK;
	vm_arena_reset(vm);
	return 0;
}

void vm_arena_free(struct vm *vm)
{
	while (vm->arena_head != NULL) {
		struct vm_chunk *c = vm->arena_head;

		vm->arena_head = c->next;
		free(c);
	}
}

void vm_arena_grow(struct vm *vm, size_t n)
{
	struct vm_chunk *c = vm->arena_cur->next;

	if (c == NULL || c->cap < n) {
		size_t cap = n > VM_ARENA_CHUNK ? n : VM_ARENA_CHUNK;

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
	r = vm_arena_str(vm, n);
	memcpy(r->data, s, n);
	return r;
}

char *vm_str_begin(struct vm *vm)
{
	size_t need = VM_ALIGN8(sizeof(struct vstr) + vm->maxlen + 2);

	if (vm_unlikely((size_t)(vm->arena_end - vm->arena_ptr) < need))
		vm_arena_grow(vm, need);
	return ((struct vstr *)vm->arena_ptr)->data;
}

const struct vstr *vm_str_end(struct vm *vm, size_t n)
{
	struct vstr *s = (struct vstr *)vm->arena_ptr;

	if (n > vm->maxlen)
		n = vm->maxlen;
	s->len = (uint32_t)n;
	s->data[n] = '\0';
	vm->arena_ptr += VM_ALIGN8(sizeof(struct vstr) + n + 1);
	return s;
}

const struct vstr *vm_str_printf(struct vm *vm, const char *fmt, ...)
{
	char *out = vm_str_begin(vm);
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, vm->maxlen + 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	return vm_str_end(vm, (size_t)n);
}
