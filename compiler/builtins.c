/*
 * builtins.c - signature table of the built-in functions, generated from
 * runtime/builtin_list.h so the compiler and the VM can never disagree on
 * an id.
 */
#include <string.h>

#include "builtin_list.h"
#include "builtins.h"
#include "diag.h"

static enum type letter_type(char c)
{
	return c == 'L' ? T_LONG : c == 'S' ? T_STRING : T_UNKNOWN;
}

struct bi_raw {
	const char *name;
	int id;
	char ret;
	const char *args;
};

static const struct bi_raw raw[] = {
#define BI_ROW(id, name, ret, args) { name, BI_##id, ret, args },
	BC_BUILTINS(BI_ROW)
#undef BI_ROW
};

#define NRAW (sizeof(raw) / sizeof(raw[0]))

static struct builtin table[NRAW];
static bool table_ready;

/* Built-ins that only read state: dropping an unused call is harmless. */
static const char *const impure[] = {
	"thread_indent", "indent", "tokenize", "abort", "warn", "log",
	"randint", "ansi_clear_screen", "ansi_set_color", "ansi_reset_color",
	"ansi_new_line", "ansi_cursor_move", "ansi_cursor_hide",
	"ansi_cursor_save", "ansi_cursor_restore", "ansi_cursor_show",
	"thread_indent_depth", "indent_depth",
};

static void init_table(void)
{
	size_t i, j;

	for (i = 0; i < NRAW; i++) {
		struct builtin *b = &table[i];

		b->name = raw[i].name;
		b->id = raw[i].id;
		b->ret = letter_type(raw[i].ret);
		b->nargs = (int)strlen(raw[i].args);
		for (j = 0; j < (size_t)b->nargs && j < 4; j++)
			b->args[j] = letter_type(raw[i].args[j]);
		b->pure = true;
		for (j = 0; j < sizeof(impure) / sizeof(impure[0]); j++)
			if (strcmp(b->name, impure[j]) == 0)
				b->pure = false;
		if (b->ret == T_UNKNOWN)
			b->pure = false;
	}
	table_ready = true;
}

const struct builtin *builtin_find(const char *name, int nargs)
{
	size_t i;

	if (!table_ready)
		init_table();
	for (i = 0; i < NRAW; i++)
		if (table[i].nargs == nargs && strcmp(table[i].name, name) == 0)
			return &table[i];
	return NULL;
}

bool builtin_exists(const char *name)
{
	size_t i;

	for (i = 0; i < NRAW; i++)
		if (strcmp(raw[i].name, name) == 0)
			return true;
	return false;
}

/* Names compiled to their own opcodes, also candidates for suggestions. */
static const char *const special[] = {
	"printf", "sprintf", "print", "println", "sprint", "sprintln",
	"printd", "printdln", "sprintd", "sprintdln", "exit", "error",
};

const char *builtin_suggest(const char *name)
{
	const char *best = NULL;
	int bestd = 3;
	size_t i;
	int d;

	for (i = 0; i < NRAW; i++) {
		d = diag_distance(name, raw[i].name);
		if (d < bestd) {
			bestd = d;
			best = raw[i].name;
		}
	}
	for (i = 0; i < sizeof(special) / sizeof(special[0]); i++) {
		d = diag_distance(name, special[i]);
		if (d < bestd) {
			bestd = d;
			best = special[i];
		}
	}
	return best;
}

static const char *const kernel_only[] = {
	"task_current", "kernel_string", "kernel_string_n", "kernel_long",
	"kernel_int", "kernel_short", "kernel_char", "kernel_pointer",
	"backtrace", "print_backtrace", "sprint_backtrace", "print_stack",
	"pointer_arg", "int_arg", "uint_arg", "long_arg", "ulong_arg",
	"s32_arg", "u32_arg", "s64_arg", "u64_arg", "symname", "symdata",
	"task_pid", "task_tid", "task_parent", "task_execname", "printk",
	"register", "u_register", "uaddr", "probemod", "modname",
	"print_regs", "stack_size", "stack_used", "stack_unused",
	"print_ubacktrace", "sprint_ubacktrace", "ubacktrace", "usymname",
	"usymdata", "umodname", "caller", "caller_addr", "addr",
};

bool builtin_is_kernel_only(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(kernel_only) / sizeof(kernel_only[0]); i++)
		if (strcmp(kernel_only[i], name) == 0)
			return true;
	return false;
}
