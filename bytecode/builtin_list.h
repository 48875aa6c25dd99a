/*
 * builtin_list.h - the built-in functions of the language, as one X-macro:
 *
 *	BI(id, "name", ret, "args")
 *
 * ret is 'L' (long), 'S' (string) or 'V' (no value); args has one letter per
 * parameter ('L' or 'S').  A name may appear several times with different
 * arities (overloads).  compiler/builtins.c turns this into the signature
 * table used by resolve.c; vm/builtins_*.c (or python/pybuiltins.c) implements each id as
 *     void bi_<id>(struct vm *vm, const union vm_val *args, union vm_val *ret)
 * and the VM calls it through OP_BUILTIN with a = BI_<id>.
 *
 * The print family, @-operators, exit() and error() are compiled to their
 * own opcodes and are not listed here.
 */

/* ORDER BI */
#define BC_BUILTINS(BI) BC_BUILTINS_VM(BI) BC_BUILTINS_PY(BI) BC_BUILTINS_VM2(BI)

/* Implemented by the VM itself (vm/builtins_proc.c, vm/builtins_str.c). */
#define BC_BUILTINS_VM(BI) \
	/* process and thread identity (of the current probe hit) */ \
	BI(pid,            "pid",            'L', "") \
	BI(tid,            "tid",            'L', "") \
	BI(ppid,           "ppid",           'L', "") \
	BI(uid,            "uid",            'L', "") \
	BI(euid,           "euid",           'L', "") \
	BI(gid,            "gid",            'L', "") \
	BI(egid,           "egid",           'L', "") \
	BI(target,         "target",         'L', "") \
	BI(execname,       "execname",       'S', "") \
	BI(pexecname,      "pexecname",      'S', "") \
	BI(cmdline_str,    "cmdline_str",    'S', "") \
	BI(cmdline_arg,    "cmdline_arg",    'S', "L") \
	BI(env_var,        "env_var",        'S', "S") \
	BI(cpu,            "cpu",            'L', "") \
	BI(pp,             "pp",             'S', "") \
	BI(pn,             "pn",             'S', "") \
	BI(ppfunc,         "ppfunc",         'S', "") \
	BI(probefunc,      "probefunc",      'S', "") \
	BI(is_return,      "is_return",      'L', "") \
	/* time */ \
	BI(gettimeofday_s, "gettimeofday_s", 'L', "") \
	BI(gettimeofday_ms,"gettimeofday_ms",'L', "") \
	BI(gettimeofday_us,"gettimeofday_us",'L', "") \
	BI(gettimeofday_ns,"gettimeofday_ns",'L', "") \
	BI(local_clock_s,  "local_clock_s",  'L', "") \
	BI(local_clock_ms, "local_clock_ms", 'L', "") \
	BI(local_clock_us, "local_clock_us", 'L', "") \
	BI(local_clock_ns, "local_clock_ns", 'L', "") \
	BI(get_cycles,     "get_cycles",     'L', "") \
	BI(ctime0,         "ctime",          'S', "") \
	BI(ctime,          "ctime",          'S', "L") \
	BI(tz_ctime,       "tz_ctime",       'S', "L") \
	/* indentation (indent.stp) */ \
	BI(thread_indent,  "thread_indent",  'S', "L") \
	BI(thread_indent_depth, "thread_indent_depth", 'L', "L") \
	BI(indent,         "indent",         'S', "L") \
	BI(indent_depth,   "indent_depth",   'L', "L") \
	/* target memory */ \
	BI(user_string,    "user_string",    'S', "L") \
	BI(user_string_err,"user_string",    'S', "LS") \
	BI(user_string2,   "user_string2",   'S', "LS") \
	BI(user_string_n,  "user_string_n",  'S', "LL") \
	BI(user_string_n_err, "user_string_n", 'S', "LLS") \
	BI(user_string_n2, "user_string_n2", 'S', "LLS") \
	BI(user_string_quoted, "user_string_quoted", 'S', "L") \
	BI(user_string_n_quoted, "user_string_n_quoted", 'S', "LL") \
	BI(user_long,      "user_long",      'L', "L") \
	BI(user_int,       "user_int",       'L', "L") \
	BI(user_short,     "user_short",     'L', "L") \
	BI(user_char,      "user_char",      'L', "L") \
	BI(user_int8,      "user_int8",      'L', "L") \
	BI(user_uint8,     "user_uint8",     'L', "L") \
	BI(user_int16,     "user_int16",     'L', "L") \
	BI(user_uint16,    "user_uint16",    'L', "L") \
	BI(user_int32,     "user_int32",     'L', "L") \
	BI(user_uint32,    "user_uint32",    'L', "L") \
	BI(user_int64,     "user_int64",     'L', "L") \
	BI(user_uint64,    "user_uint64",    'L', "L") \
	BI(user_ushort,    "user_ushort",    'L', "L") \
	BI(user_uint,      "user_uint",      'L', "L") \
	BI(user_ulong,     "user_ulong",     'L', "L")

/* CPython in the target (pytap extensions): implemented in python/
 * (pybuiltins.c) and handed to the VM through struct vm_ext, so that vm/
 * does not depend on python/. */
#define BC_BUILTINS_PY(BI) \
	BI(pystack0,       "pystack",        'S', "") \
	BI(pystack1,       "pystack",        'S', "S") \
	BI(print_pystack,  "print_pystack",  'V', "") \
	BI(pystacks,       "pystacks",       'S', "") \
	BI(print_pystacks, "print_pystacks", 'V', "") \
	BI(pyrepr,         "pyrepr",         'S', "L") \
	BI(pyglobal,       "pyglobal",       'S', "SS")

/* Implemented by the VM itself, continued. */
#define BC_BUILTINS_VM2(BI) \
	/* strings */ \
	BI(strlen,         "strlen",         'L', "S") \
	BI(substr,         "substr",         'S', "SLL") \
	BI(isinstr,        "isinstr",        'L', "SS") \
	BI(strpos,         "strpos",         'L', "SS") \
	BI(strtol,         "strtol",         'L', "SL") \
	BI(str_replace,    "str_replace",    'S', "SSS") \
	BI(text_str,       "text_str",       'S', "S") \
	BI(text_strn,      "text_strn",      'S', "SLL") \
	BI(string_quoted,  "string_quoted",  'S', "S") \
	BI(stringat,       "stringat",       'L', "SL") \
	BI(tokenize,       "tokenize",       'S', "SS") \
	BI(isdigit,        "isdigit",        'L', "S") \
	BI(toupper,        "toupper",        'S', "S") \
	BI(tolower,        "tolower",        'S', "S") \
	BI(matched,        "matched",        'S', "L") \
	BI(ngroups,        "ngroups",        'L', "") \
	BI(matched_str,    "matched_str",    'S', "") \
	/* control and logging */ \
	BI(abort,          "abort",          'V', "") \
	BI(warn,           "warn",           'V', "S") \
	BI(log,            "log",            'V', "S") \
	BI(randint,        "randint",        'L', "L") \
	/* ANSI terminal helpers (ansi.stp) */ \
	BI(ansi_clear_screen, "ansi_clear_screen", 'V', "") \
	BI(ansi_set_color1,"ansi_set_color",  'V', "L") \
	BI(ansi_set_color2,"ansi_set_color",  'V', "LL") \
	BI(ansi_set_color3,"ansi_set_color",  'V', "LLL") \
	BI(ansi_reset_color, "ansi_reset_color", 'V', "") \
	BI(ansi_new_line,  "ansi_new_line",  'V', "") \
	BI(ansi_cursor_move, "ansi_cursor_move", 'V', "LL") \
	BI(ansi_cursor_hide, "ansi_cursor_hide", 'V', "") \
	BI(ansi_cursor_save, "ansi_cursor_save", 'V', "") \
	BI(ansi_cursor_restore, "ansi_cursor_restore", 'V', "") \
	BI(ansi_cursor_show, "ansi_cursor_show", 'V', "") \
	/* floating point (floatingpoint.stp): a double's IEEE-754 bits in \
	   a long (runtime/fpbuiltins.c) */ \
	BI(fp_to_string,   "fp_to_string",   'S', "LL") \
	BI(string_to_fp,   "string_to_fp",   'L', "S") \
	BI(long_to_fp,     "long_to_fp",     'L', "L") \
	BI(fp_to_long,     "fp_to_long",     'L', "LLL") \
	BI(fp_add,         "fp_add",         'L', "LL") \
	BI(fp_sub,         "fp_sub",         'L', "LL") \
	BI(fp_mul,         "fp_mul",         'L', "LL") \
	BI(fp_div,         "fp_div",         'L', "LL") \
	BI(fp_rem,         "fp_rem",         'L', "LL") \
	BI(fp_sqrt,        "fp_sqrt",        'L', "L") \
	BI(fp_eq,          "fp_eq",          'L', "LL") \
	BI(fp_le,          "fp_le",          'L', "LL") \
	BI(fp_lt,          "fp_lt",          'L', "LL") \
	BI(fp32_to_fp64,   "fp32_to_fp64",   'L', "L")

enum bc_builtin {
#define BC_BI_ENUM(id, name, ret, args) BI_##id,
	BC_BUILTINS(BC_BI_ENUM)
#undef BC_BI_ENUM
	BI__COUNT
};
