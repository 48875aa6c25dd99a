/*
 * opcodes.h - the instruction set of pytap's VM, as one X-macro table.
 *
 *	OP(name, operands, pops, pushes)	semantics
 *
 * The format matters in: compiler/codegen.c (emits), vm/load.c
 * (verifies), vm/vm.c (executes), bytecode/bytecode.c (disassembles for
 * -p3).  Grep "ORDER OP"
 * before changing the order.
 *
 * An instruction is struct bc_insn { uint8_t op; uint8_t x; uint16_t a;
 * int32_t b; }.  The VM is a stack machine over 64-bit slots; every
 * instruction is typed (L = long, S = string), chosen at compile time, so
 * the VM never looks at a value's type.  Strings on the stack and in locals
 * are `const struct vstr *` living in the per-run string arena (or in the
 * constant pool, or in a global: globals copy on store).
 *
 * Operand letters: K = b indexes the long constant pool; C = b indexes the
 * string constant pool; L = a is a local slot; G = a is a global index;
 * J = b is a relative jump (target = pc + 1 + b); F = a is a function;
 * B = a is a built-in id (bytecode/builtin_list.h), x = its argument count;
 * P = a is a format index; N = x (or a) is a count as documented.
 * "pops"/"pushes" count slots; -1 means "see the comment".
 *
 * Errors (division by zero, array overflow, MAXACTION, ...) are raised with
 * the location of the failing instruction, found in the program's location
 * table (struct bc_program.lines, keyed by pc).
 */

/* ORDER OP */
#define BC_OPCODES(OP) \
	/* constants, locals, globals */ \
	OP(PUSHL,   K, 0, 1)	/* push long constant lconst[b] */ \
	OP(PUSHI,   N, 0, 1)	/* push long b (small immediate) */ \
	OP(PUSHS,   C, 0, 1)	/* push string constant sconst[b] */ \
	OP(POP,     -, 1, 0)	/* drop the top slot */ \
	OP(DUP,     -, 1, 2)	/* duplicate the top slot */ \
	OP(LOAD,    L, 0, 1)	/* push local a (any type: slots are raw) */ \
	OP(STORE,   L, 1, 0)	/* pop into local a */ \
	OP(GLOADL,  G, 0, 1)	/* push long global scalar a */ \
	OP(GSTOREL, G, 1, 0)	/* pop long into global scalar a */ \
	OP(GLOADS,  G, 0, 1)	/* push string global scalar a */ \
	OP(GSTORES, G, 1, 0)	/* pop string, copy into global scalar a */ \
	OP(GINCR,   G, 1, 1)	/* long global a += pop; push new value */ \
	\
	/* long arithmetic (b below a: pops b then a, pushes a OP b) */ \
	OP(ADD,     -, 2, 1) \
	OP(SUB,     -, 2, 1) \
	OP(MUL,     -, 2, 1) \
	OP(DIV,     -, 2, 1)	/* error "division by 0"; LONG_MIN/-1 wraps */ \
	OP(MOD,     -, 2, 1)	/* error "division by 0" */ \
	OP(SHL,     -, 2, 1)	/* count & 63 */ \
	OP(SHR,     -, 2, 1)	/* arithmetic; count & 63 */ \
	OP(USHR,    -, 2, 1)	/* logical (>>>); count & 63 */ \
	OP(BAND,    -, 2, 1) \
	OP(BOR,     -, 2, 1) \
	OP(BXOR,    -, 2, 1) \
	OP(NEG,     -, 1, 1) \
	OP(BNOT,    -, 1, 1) \
	OP(LNOT,    -, 1, 1)	/* push !a (0 or 1) */ \
	OP(LT,      -, 2, 1)	/* long comparisons push 0/1 */ \
	OP(LE,      -, 2, 1) \
	OP(GT,      -, 2, 1) \
	OP(GE,      -, 2, 1) \
	OP(EQ,      -, 2, 1) \
	OP(NE,      -, 2, 1) \
	\
	/* strings */ \
	OP(SLT,     -, 2, 1)	/* strcmp-based comparisons push 0/1 */ \
	OP(SLE,     -, 2, 1) \
	OP(SGT,     -, 2, 1) \
	OP(SGE,     -, 2, 1) \
	OP(SEQ,     -, 2, 1) \
	OP(SNE,     -, 2, 1) \
	OP(CONCAT,  -, 2, 1)	/* a . b, truncated to MAXSTRINGLEN-1 */ \
	OP(REGEX,   N, 1, 1)	/* pop string; push match of regex a (0/1); \
				   x = 1 negates (!~); sets matched() state */ \
	\
	/* control */ \
	OP(JMP,     J, 0, 0) \
	OP(JZ,      J, 1, 0)	/* pop long; jump if 0 */ \
	OP(JNZ,     J, 1, 0)	/* pop long; jump if not 0 */ \
	OP(ACT,     N, 0, 0)	/* count b statements against MAXACTION; \
				   error "MAXACTION exceeded" */ \
	OP(CALL,    F, -1, 1)	/* call function a: its nparams arguments \
				   are popped into its locals 0..n-1; pushes \
				   the return value; MAXNESTING checked. \
				   x = 1: an overload follows (see NEXT) */ \
	OP(RET,     -, 1, 0)	/* return the popped value */ \
	OP(NEXT,    -, 0, 0)	/* end the probe handler now; in a \
				   function: return to the caller pushing \
				   nothing, resuming one instruction after \
				   the return point (past a JMP) when the \
				   CALL has x = 1, else error "all \
				   functions exhausted" at the CALL */ \
	OP(HALT,    -, 0, 0)	/* end of a probe handler */ \
	OP(TRY,     J, 0, 0)	/* push a catch handler at pc+1+b; it \
				   catches errors raised while the pc (or \
				   the call site, in its frame) is inside \
				   (TRY, handler): a jump out of the body \
				   needs no ENDTRY.  MAXACTION and abort() \
				   are not caught */ \
	OP(ENDTRY,  -, 0, 0)	/* pop the innermost catch handler */ \
	OP(CATCHMSG,-, 0, 1)	/* push the caught error's message (string) */ \
	\
	/* built-ins: bytecode/builtin_list.h */ \
	OP(BUILTIN, B, -1, -1)	/* call built-in a with x arguments popped \
				   (first argument deepest); pushes one \
				   value unless the built-in is void */ \
	OP(CTX,     N, 0, 1)	/* push SDT argument $arg(a) (1-based) as a \
				   long, fetched from the current hit; a 0: \
				   $$unwound (python.function.return) */ \
	OP(CTXS,    N, 0, 1)	/* push context string a: 0 $$name, \
				   1 $$provider, 2 $$vars, 3 $$parms, 4 pp(), \
				   5 pn(), 6 $$return */ \
	\
	/* output (formats are parsed at load time) */ \
	OP(PRINTF,  P, -1, 0)	/* pop x arguments, format a to the output */ \
	OP(SPRINTF, P, -1, 1)	/* same, push the string (MAXSTRINGLEN) */ \
	\
	/* associative arrays: global a, keys pushed first-key-first, typed \
	   as the global's key types; x = number of keys */ \
	OP(AGETL,   G, -1, 1)	/* pop keys; push value or 0 (no insert) */ \
	OP(AGETS,   G, -1, 1)	/* pop keys; push value or "" */ \
	OP(ASETL,   G, -1, 0)	/* pop value, then keys; store (overflow \
				   error unless wrapping) */ \
	OP(ASETS,   G, -1, 0) \
	OP(AINCR,   G, -1, 1)	/* pop delta, then keys; value += delta; \
				   push the new value */ \
	OP(AEXISTS, G, -1, 1)	/* pop keys; push 0/1.  b is a bit mask of \
				   wildcard key columns (slices): only the \
				   non-wildcard keys are on the stack (x = \
				   all the columns, wildcards included) */ \
	OP(ADEL,    G, -1, 0)	/* pop keys, delete (b = wildcard mask as \
				   for AEXISTS: deletes every match) */ \
	OP(ACLEAR,  G, 0, 0)	/* delete every element of array a */ \
	OP(GCLEAR,  G, 0, 0)	/* delete a scalar global: 0, "" or empty \
				   stats */ \
	\
	/* statistics: global a holds stats (scalar: x = 0 keys) */ \
	OP(STATADD, G, -1, 0)	/* pop value, then x keys; add to the \
				   aggregate (creates the element) */ \
	OP(STATOP,  G, -1, 1)	/* pop x keys; push @op of the aggregate: \
				   b = 0 count, 1 sum, 2 min, 3 max, 4 avg, \
				   5 variance (variance pops its shift \
				   argument first, above the keys); error \
				   "empty aggregate" where SystemTap has it */ \
	OP(HISTPRINT, G, -1, 0)	/* pop x keys; print the histogram of the \
				   aggregate (the global's histogram spec) to \
				   the output; empty -> error */ \
	OP(HISTSTR, G, -1, 1)	/* same, but push it as a string (sprint) */ \
	OP(HISTBUCKET, G, -1, 1)	/* pop bucket index, then x keys; push \
				   that bucket's count; error "histogram \
				   index out of range" */ \
	\
	/* foreach: iterator slot x of the frame (FENEXT: a); see vm.c. \
	   A slot may be reused by a later foreach over another array. \
	   Sort spec `a` (struct bc_sort) also says: .fixed = slice \
	   columns fixed by values pushed before the limit (foreach over \
	   a[*, k]); .hist = walk the buckets of the histogram of stats \
	   global b (foreach (n = i in @hist_log(x[k]))): the element's \
	   keys are pushed before the limit, FENEXT pushes the bucket \
	   index, FEVALUE its count, every bucket is visited. */ \
	OP(FEBEGIN, N, -1, 0)	/* pop limit (-1 = none; SystemTap stops \
				   after `limit` elements, so limit <= 0 \
				   visits none), then the slice values / \
				   element keys (see above); snapshot \
				   global b into iterator x, sorted as sort \
				   spec `a` (program's sort table) */ \
	OP(FENEXT,  J, 0, -1)	/* iterator x (in a): push the next \
				   element's keys (first key deepest), or \
				   jump b when done */ \
	OP(FEVALUE, N, 0, 1)	/* iterator x: push the current element's \
				   value (long/string; for stats the value \
				   used for sorting: @count unless the spec \
				   says otherwise) */ \
	OP(FEEND,   N, 0, 0)	/* release iterator x */ \
	\
	/* misc */ \
	OP(EXIT,    -, 0, 0)	/* ask for shutdown after this handler */ \
	OP(ERROR,   -, 1, 0)	/* pop message; raise a soft runtime error \
				   (catchable; an empty message ends the \
				   handler silently, uncounted) */ \
	OP(NOP,     -, 0, 0)

enum bc_op {
#define BC_OP_ENUM(name, operands, pops, pushes) OP_##name,
	BC_OPCODES(BC_OP_ENUM)
#undef BC_OP_ENUM
	OP__COUNT
};

/*
 * The binary long operators that cannot fail, as one X-macro:
 *
 *	BINOP(name, "operator", value)
 *
 * value is an expression over uint64_t a and b (the operands' bits) whose
 * result, cast to int64_t, is a OP b: wrapping as the kernel's C does.
 * vm/vm.c executes OP_<name> with it and compiler/codegen_expr.c folds
 * constants with it, so both compute the same.  DIV and MOD (which raise
 * errors) are written out in both.
 */
#define BC_LONG_BINOPS(BINOP) \
	BINOP(ADD,  "+",   a + b) \
	BINOP(SUB,  "-",   a - b) \
	BINOP(MUL,  "*",   a * b) \
	BINOP(SHL,  "<<",  a << (b & 63)) \
	BINOP(SHR,  ">>",  (uint64_t)((int64_t)a >> (b & 63))) \
	BINOP(USHR, ">>>", a >> (b & 63)) \
	BINOP(BAND, "&",   a & b) \
	BINOP(BOR,  "|",   a | b) \
	BINOP(BXOR, "^",   a ^ b) \
	BINOP(LT,   "<",   (int64_t)a < (int64_t)b) \
	BINOP(LE,   "<=",  (int64_t)a <= (int64_t)b) \
	BINOP(GT,   ">",   (int64_t)a > (int64_t)b) \
	BINOP(GE,   ">=",  (int64_t)a >= (int64_t)b) \
	BINOP(EQ,   "==",  a == b) \
	BINOP(NE,   "!=",  a != b)
