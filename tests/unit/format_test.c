/*
 * format_test.c - unit tests of util/format.c (SystemTap's printf).
 *
 * Every expectation says where it comes from:
 *   [int1] [char2] [bin6] ...  SystemTap's golden output of the script of
 *              that name in conformance/runtime/printf (its .expected file);
 *   [p3]       the C that `stap -p3` (4.8) generates for that printf;
 *   [vsprintf] stap 4.8's runtime/vsprintf.c (number(), _stp_vsprint_*),
 *              worked by hand;
 *   [parse]    `stap -p2` 4.8's verdict on the format.
 * When ../shared/conformance is present, the golden files themselves are
 * also compared byte for byte with what this library renders for the
 * same printf calls.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "format.h"
#include "golden.h"
#include "strbuf.h"

/* Arguments are given as a string of types: 'l' long, 's' string. */
struct targ {
	long long l;
	const char *s;
};

#define L(v) { (long long)(v), NULL }
#define S(v) { 0, (v) }

/* A fake target memory for %m/%M: "hi there" at 0x1000. */
static const char memory[] = "hi there\x01\xfe";

static int reader(void *ctx, uint64_t addr, void *buf, size_t len, int user)
{
	(void)user;
	if (ctx != NULL)
		(*(int *)ctx)++;
	if (addr < 0x1000 || addr + len > 0x1000 + sizeof memory)
		return -1;
	memcpy(buf, memory + (addr - 0x1000), len);
	return 0;
}

static int render(struct strbuf *out, const char *fmt, size_t fmtlen,
		  const struct targ *ta, size_t n, size_t limit, int sprint)
{
	struct fmt f;
	struct fmt_arg args[16];
	char err[128];
	size_t i;
	int rc;

	if (fmt_parse(fmt, fmtlen, &f, err, sizeof err) != 0) {
		printf("parse error in \"%s\": %s\n", fmt, err);
		return -100;
	}
	for (i = 0; i < n; i++) {
		args[i].l = ta[i].l;
		args[i].s = ta[i].s;
		args[i].len = ta[i].s ? strlen(ta[i].s) : 0;
	}
	if (sprint)
		rc = fmt_sprint(out, &f, args, n, reader, NULL, limit);
	else if (limit)
		rc = fmt_render_n(out, &f, args, n, reader, NULL, limit);
	else
		rc = fmt_render(out, &f, args, n, reader, NULL);
	fmt_free(&f);
	return rc;
}

/* Render FMT with the arguments and compare with EXP (EXPLEN bytes). */
static void tcase(const char *fmt, const struct targ *ta, size_t n,
		  const char *exp, size_t explen)
{
	struct strbuf out = STRBUF_INIT;
	char what[160];
	int rc = render(&out, fmt, strlen(fmt), ta, n, 0, 0);

	snprintf(what, sizeof what, "printf(\"%s\")", fmt);
	if (rc != 0) {
		check_fail("%s: rc %d", what, rc);
	} else {
		check_str(what, out.buf ? out.buf : "", out.len, exp,
			    explen);
	}
	sb_free(&out);
}

#define T(fmt, exp, ...) do { \
		struct targ a_[] = { __VA_ARGS__ }; \
		tcase(fmt, a_, sizeof a_ / sizeof a_[0], exp, \
		      sizeof exp - 1); \
	} while (0)
#define T0(fmt, exp) tcase(fmt, NULL, 0, exp, sizeof exp - 1)

/* ---------------------------------------------------------------- parse */

static void parse_ok(const char *fmt, size_t nargs, const char *types)
{
	struct fmt f;
	char err[128], what[160];
	size_t i;

	snprintf(what, sizeof what, "parse \"%s\"", fmt);
	if (fmt_parse(fmt, strlen(fmt), &f, err, sizeof err) != 0) {
		check_fail("%s: %s", what, err);
		return;
	}
	check_int(what, (long long)f.nargs, (long long)nargs);
	for (i = 0; i < f.nargs && i < nargs; i++)
		check_int(what, f.argtypes[i],
			  types[i] == 's' ? FMT_ARG_STRING : FMT_ARG_LONG);
	fmt_free(&f);
}

static void parse_bad(const char *fmt, const char *msg, size_t off)
{
	struct fmt f;
	char err[128] = "", what[160];

	snprintf(what, sizeof what, "parse error \"%s\"", fmt);
	if (fmt_parse(fmt, strlen(fmt), &f, err, sizeof err) == 0) {
		check_fail("%s: accepted", what);
		fmt_free(&f);
		return;
	}
	check_str(what, err, strlen(err), msg, strlen(msg));
	check_int(what, (long long)f.err_off, (long long)off);
}

static void test_parse(void)
{
	static const char bad[] = "invalid or missing conversion specifier";
	static const char trail[] =
		"trailing incomplete print format conversion";

	/* [parse] accepted, with their argument lists */
	parse_ok("hello", 0, "");
	parse_ok("%d %s", 2, "ls");
	parse_ok("%*d", 2, "ll");
	parse_ok("%-*.*s", 3, "lls");
	parse_ok("%ld %lu %lx %lc %ls %lp", 6, "llllsl");
	parse_ok("%ls", 1, "s");
	parse_ok("%#5.3ls|", 1, "s");
	parse_ok("%m %M %b %c %p %i %o %X", 8, "llllllll");
	parse_ok("100%%", 0, "");
	parse_ok("%.d", 1, "l");	/* '.' without digits: no precision */
	parse_ok("%l", 0, "");		/* stap 4.8 drops a trailing %l */
	parse_ok("%.", 0, "");
	parse_ok("%.l", 0, "");
	parse_ok("a%%%%b", 0, "");

	/* [parse] rejected: stap's messages; offsets are ours */
	parse_bad("%-+5d", bad, 2);	/* only one flag */
	parse_bad("%lld", bad, 2);	/* only one 'l' */
	parse_bad("%k", bad, 1);
	parse_bad("%5%", bad, 2);
	parse_bad("abc%", bad, 3);	/* a lone '%' at the end */
	parse_bad("%%%", bad, 2);
	parse_bad("x%ly", bad, 3);
	parse_bad("%n", bad, 1);	/* no %n in stap 4.8 */
	parse_bad("%5", trail, 2);
	parse_bad("%-", trail, 2);
	parse_bad("%#", trail, 2);
	parse_bad("%*", trail, 2);
	parse_bad("%.*", trail, 3);
	parse_bad("%5.3", trail, 4);
	parse_bad("%5l", trail, 3);
}

/* --------------------------------------------------------------- numbers */

static void test_numbers(void)
{
	/* [int1] lines 1-7: %d family on 1, 10, 9000000000000, -1, -1024 */
	T("%d,%d,%d,%d,%d", "1,10,9000000000000,-1,-1024",
	  L(1), L(10), L(9000000000000LL), L(-1), L(-1024));
	T("%2d,%2d", " 1,10", L(1), L(10));
	T("%16d|%16d", "               1|              -1", L(1), L(-1));
	T("%016d,%016d", "0009000000000000,-000000000000001",
	  L(9000000000000LL), L(-1));
	T("%ld|%#d|%#ld", "-1024|-1024|1", L(-1024), L(-1024), L(1));
	/* [int1] unsigned: negative numbers as 64-bit unsigned */
	T("%u,%u", "18446744073709551615,18446744073709550592", L(-1),
	  L(-1024));
	T("%016u", "0000000000000010", L(10));
	/* [int1] hex and octal */
	T("%x,%x,%x", "a,82f79cd9000,fffffffffffffc00", L(10),
	  L(9000000000000LL), L(-1024));
	T("%2x|%016x|%16X", " a|000000000000000a|FFFFFFFFFFFFFC00", L(10),
	  L(10), L(-1024));
	T("%#x,%#lx", "0x1,0xffffffffffffffff", L(1), L(-1));
	T("%o,%o", "12,1777777777777777777777", L(10), L(-1));
	T("%#o,%#lo", "01,01777777777777777776000", L(1), L(-1024));
	T("%016o", "0202757163310000", L(9000000000000LL));

	/* [vsprintf] number(): '#' prefixes even zero */
	T("%#o|%#x|%#X", "00|0x0|0XFF", L(0), L(0), L(255));
	/* [vsprintf] zero padding, signs */
	T("%05d|%05d", "00042|-0042", L(42), L(-42));
	T("%+d|%+d|%+d", "+3|-3|+0", L(3), L(-3), L(0));
	T("% d|% d", " 5|-5", L(5), L(-5));
	T("%+u|% x|%+o", "5|ff|10", L(5), L(255), L(8));	/* no sign */
	T("%-5d|%-5x|", "42   |ff   |", L(42), L(255));
	T("%-05d|", "7    |", L(7));	/* "-" then width "05" */
	/* [vsprintf] precision is a minimum digit count, even for 0 */
	T("%.5d|%8.5d|%-8.5d|", "00042|   00042|00042   |", L(42), L(42),
	  L(42));
	T("%.0d|%.3d|%.3x", "0|-007|0ff", L(0), L(-7), L(255));
	/* unlike C, '0' still pads when a precision is given */
	T("%010.5d|", "0000000042|", L(42));
	/* [vsprintf] LONG_MIN: the magnitude stays 2^63 */
	T("%d", "-9223372036854775808", L(LLONG_MIN));
	T("%u|%x|%o", "9223372036854775808|8000000000000000|"
	  "1000000000000000000000", L(LLONG_MIN), L(LLONG_MIN),
	  L(LLONG_MIN));
	T("%d|%i", "9223372036854775807|9223372036854775807", L(LLONG_MAX),
	  L(LLONG_MAX));
	T("%25d|", "     -9223372036854775808|", L(LLONG_MIN));

	/* [p3] + [vsprintf] %p is number(base 16, '#') on the 64-bit value */
	T("%p|%p|%p", "0x0|0x1000|0xffffffffffffffff", L(0), L(4096), L(-1));
	T("%10p|%-10p|%010p", "    0x1000|0x1000    |0x00001000", L(4096),
	  L(4096), L(4096));
	T("%.8p", "0x00001000", L(4096));

	/* [p3] '*' width: (int) of the argument, clamped to >= 0 (a
	   negative '*' width does NOT left-justify in generated code) */
	T("%*d|", "    9|", L(5), L(9));
	T("%*d|", "9|", L(-5), L(9));
	T("%*d|", "9|", L(0x100000000LL), L(9));	/* (int) is 0 */
	T("%-*d|", "9    |", L(5), L(9));
	T("%.*d|", "0009|", L(4), L(9));
	T("%*.*d|", "  0009|", L(6), L(4), L(9));
}

/* ------------------------------------------------------- strings, chars */

static void test_strings(void)
{
	/* [string1] */
	T("The string is <%s>\n", "The string is <Foobar!>\n", S("Foobar!"));
	T("%s%s%s%s\n", "XYZZYFoobar!XYZZYFoobar!\n", S("XYZZY"),
	  S("Foobar!"), S("XYZZY"), S("Foobar!"));
	/* [vsprintf] _stp_vsprint_memory for 's' */
	T("%-5s|%5s|", "ab   |   ab|", S("ab"), S("ab"));
	T("%.3s|%.0s|%.10s|", "abc||abcdef|", S("abcdef"), S("abcdef"),
	  S("abcdef"));
	T("%5.3s|%-5.3s|", "  abc|abc  |", S("abcdef"), S("abcdef"));
	T("%2s|", "abcdef|", S("abcdef"));	/* width never cuts */
	T("%-*s|", "ab  |", L(4), S("ab"));
	T("%*s|", "ab|", L(-4), S("ab"));	/* [p3] clamp, no '-' */
	T("%.*s|", "ab|", L(2), S("abcdef"));
	T("%.*s|", "|", L(-1), S("abcdef"));	/* [p3] clamped to 0 */
	T("%#s|%+s|% s|", "a|b|c|", S("a"), S("b"), S("c"));
	/* [vsprintf] '0' on %s appends a NUL byte after the field */
	T("%05s|", "   ab\0|", S("ab"));
	T("%0s|", "ab\0|", S("ab"));
	T("%%|%s%%", "%|x%", S("x"));
	/* [basic6] */
	T0("Hello%%World", "Hello%World");

	/* [vsprintf] %c: the low byte; width pads with spaces */
	T("%c%c%c", "ABC", L(65), L(66), L(67));
	T("%c", "A", L(321));			/* (char)321 */
	T("%3c|%-3c|%03c|", "  A|A  |  A|", L(65), L(65), L(65));
	/* [char2] '#' escapes like C */
	T("%#c%#c%#c%#c", "a- 1", L('a'), L('-'), L(' '), L('1'));
	T("%#c%#c%#c%#c%#c%#c%#c%#c%#c", "\\a\\b\\f\\n\\r\\t\\v\\'\\\\",
	  L('\a'), L('\b'), L('\f'), L('\n'), L('\r'), L('\t'), L('\v'),
	  L('\''), L('\\'));
	T("%#c%#c%#c%#c%#c%#c", "\\000\\033\\177\\222\\333\\377", L(0),
	  L(033), L(0177), L(0222), L(0333), L(0377));
	T("%#c", "\"", L('"'));
}

/* ----------------------------------------------------------------- %b %m */

/* FMT (FMTLEN bytes, NULs allowed) rendered with one argument, the long
 * L or the LEN bytes at S, is the EXPLEN bytes at EXP. */
static void targ_case(const char *what, const char *fmt, size_t fmtlen,
		      long long l, const char *s, size_t len, const char *exp,
		      size_t explen)
{
	struct strbuf out = STRBUF_INIT;
	struct fmt_arg a = { 0 };
	struct fmt f;

	if (fmt_parse(fmt, fmtlen, &f, NULL, 0) != 0) {
		check_fail("%s: does not parse", what);
		return;
	}
	a.l = l;
	a.s = s;
	a.len = len;
	fmt_render(&out, &f, &a, 1, NULL, NULL);
	check_str(what, out.buf, out.len, exp, explen);
	fmt_free(&f);
	sb_free(&out);
}

static void test_binary_memory(void)
{
	struct strbuf out = STRBUF_INIT;
	struct fmt f;
	struct fmt_arg a[2];
	int calls = 0, rc;

	/* [bin1] [bin2] %1b writes one raw byte */
	T("%1b", "B", L(0x42));
	T("a=%1b b=%1b", "a=\x12 b=4", L(0x12), L(0x34));
	/* [bin3-5] native (little-endian on x86_64) byte order */
	T("%2b", "\x78\x56", L(0x12345678));
	T("%4b", "\x78\x56\x34\x12", L(0x12345678));
	T("%b", "\x08\x07\x06\x05\x04\x03\x02\x01", L(0x0102030405060708LL));
	/* [bin6] width and precision: size = precision if 1/2/4/8, else
	   width if 1/2/4/8, else 8; NUL padding to the width */
	T("%1.8b|%2.4b|%4.2b|%8.1b|", "fedcba98|fedc|\0\0fe|\0\0\0\0\0\0\0f|",
	  L(0x3839616263646566LL), L(0x3839616263646566LL),
	  L(0x3839616263646566LL), L(0x3839616263646566LL));
	T("%.1b|%.3b|%3b|", "f|fedcba98|fedcba98|", L(0x3839616263646566LL),
	  L(0x3839616263646566LL), L(0x3839616263646566LL));
	T("%*.*b|", "\0\0fe|", L(4), L(2), L(0x3839616263646566LL));
	/* [p3] printf renders into exactly the room its sizing pass
	   reserved, clamping each precision to the room left: here "% 2.7b"
	   is sized as 2 bytes but, with 4 bytes left, written as 4, and
	   what follows no longer fits (found by running stap's own helpers
	   against this library on random formats) */
	T("hq%%% 2.7bd%c", "hq%TZ\0\0", L(23124), L(0));
	T("%-4.2b|", "fe\0\0|", L(0x3839616263646566LL));	/* [vsprintf] */

	/* [vsprintf] %m: precision bytes (default 1); %M in hex */
	T("%m|%.4m|%.2M|", "h|hi t|6869|", L(0x1000), L(0x1000), L(0x1000));
	T("%.10M", "6869207468657265\x30" "1fe", L(0x1000));
	T("%6.2M|%-6.2M|%3.2m|", "  6869|6869  | hi|", L(0x1000),
	  L(0x1000), L(0x1000));
	T("%#.2m|%0.2m|", "hi|hi\0|", L(0x1000), L(0x1000));

	/* [p3] %m length above PAGE_SIZE: an error before any output */
	if (fmt_parse("x%.*m", 5, &f, NULL, 0) == 0) {
		a[0].l = 5000;
		a[0].s = NULL;
		a[1].l = 0x1000;
		a[1].s = NULL;
		a[0].len = a[1].len = 0;
		check_int("dump len error", fmt_dump_len_error(&f, a, 2), 5000);
		sb_puts(&out, "kept");
		rc = fmt_render(&out, &f, a, 2, reader, &calls);
		check_int("dump len rc", rc, FMT_EDUMPSIZE);
		check_str("dump len output", out.buf, out.len, "kept", 4);
		a[0].l = 4096;
		check_int("dump len 4096", fmt_dump_len_error(&f, a, 2), 0);
		a[0].l = -7;	/* clamped to 0 -> 1 byte */
		sb_reset(&out);
		rc = fmt_render(&out, &f, a, 2, reader, &calls);
		check_str("%.*m negative", out.buf, out.len, "xh", 2);
		fmt_free(&f);
	}
	/* an unreadable address fails the whole printf */
	if (fmt_parse("abc%m", 5, &f, NULL, 0) == 0) {
		a[0].l = 0x10;
		a[0].s = NULL;
		a[0].len = 0;
		sb_reset(&out);
		sb_puts(&out, "kept");
		rc = fmt_render(&out, &f, a, 1, reader, NULL);
		check_int("fault rc", rc, FMT_EFAULT);
		check_str("fault output", out.buf, out.len, "kept", 4);
		rc = fmt_render(&out, &f, a, 1, NULL, NULL);
		check_int("no reader rc", rc, FMT_EFAULT);
		fmt_free(&f);
	}
	/* too few arguments */
	if (fmt_parse("%d %d", 5, &f, NULL, 0) == 0) {
		a[0].l = 1;
		rc = fmt_render(&out, &f, a, 1, NULL, NULL);
		check_int("too few args", rc, FMT_EARGS);
		fmt_free(&f);
	}
	/* NULL string */
	targ_case("%s NULL", "<%s>", 4, 0, NULL, 0, "<<NULL>>", 8);
	/* embedded NUL in a literal ends it, as in the generated C */
	targ_case("NUL literal", "a\0b%dc", 6, 7, NULL, 0, "a7c", 3);
	/* a string argument is read up to its length or its first NUL */
	targ_case("%s len", "[%s]", 4, 0, "abcdef", 3, "[abc]", 5);
	targ_case("%s NUL", "[%s]", 4, 0, "ab\0cd", 5, "[ab]", 4);
	sb_free(&out);
}

/* ------------------------------------------------------- limits, sprintf */

static void tlimit(const char *fmt, const struct targ *ta, size_t n,
		   size_t limit, int sprint, const char *exp, size_t explen)
{
	struct strbuf out = STRBUF_INIT;
	char what[160];
	int rc;

	snprintf(what, sizeof what, "%s(\"%s\", limit %zu)",
		 sprint ? "sprint" : "render_n", fmt, limit);
	rc = render(&out, fmt, strlen(fmt), ta, n, limit, sprint);
	check_int(what, rc, 0);
	check_str(what, out.buf ? out.buf : "", out.len, exp, explen);
	sb_free(&out);
}

#define TL(fmt, limit, sprint, exp, ...) do { \
		struct targ a_[] = { __VA_ARGS__ }; \
		tlimit(fmt, a_, sizeof a_ / sizeof a_[0], limit, sprint, exp, \
		       sizeof exp - 1); \
	} while (0)

static void test_limits(void)
{
	struct strbuf out = STRBUF_INIT;
	char *big;
	struct targ t[2];

	/* [vsprintf] output stops at the buffer's end */
	TL("%d|%s", 5, 0, "12345", L(1234567), S("abc"));
	TL("%s|%d", 4, 0, "abc|", S("abc"), L(1));
	/* %b is written whole or not at all; NUL padding still fits */
	TL("ab%4b", 5, 0, "ab", L(0x41424344));
	TL("ab%6.2bZ", 5, 0, "ab\0BA", L(0x4142));
	TL("ab%bZ", 9, 0, "abZ", L(0x4142));
	/* %M writes whole hex pairs only */
	TL("ab%.2M", 5, 0, "ab68", L(0x1000));
	/* [p3] sprintf: MAXSTRINGLEN bytes, i.e. at most 511 characters */
	TL("%s-%s", 4, 1, "ab-", S("ab"), S("cd"));
	TL("%05s|x", 512, 1, "   ab", S("ab"));	/* cut at the NUL */
	TL("%d", 512, 1, "42", L(42));

	/* one printf is cut at STP_BUFFER_SIZE = 8192 bytes */
	big = malloc(600);
	memset(big, 'x', 599);
	big[599] = '\0';
	t[0].l = 20000;
	t[0].s = NULL;
	t[1].l = 0;
	t[1].s = big;
	render(&out, "%*s", 3, t, 2, 0, 0);
	check_int("printf 8192 cut", (long long)out.len, FMT_BUFFER_SIZE);
	sb_reset(&out);
	render(&out, "%*s", 3, t, 2, 512, 1);
	check_int("sprintf 511 cut", (long long)out.len, 511);
	free(big);
	sb_free(&out);
}

/* ---------------------------------------------- golden files, if present */

/* printf FMT with ARGS (longs only) into OUT. */
static void pf(struct strbuf *out, const char *fmt, const long long *v,
	       size_t n)
{
	struct targ t[16];
	size_t i;

	for (i = 0; i < n; i++) {
		t[i].l = v[i];
		t[i].s = NULL;
	}
	if (render(out, fmt, strlen(fmt), t, n, 0, 0) != 0)
		check_fail("render %s", fmt);
}

static long long be2(long long v)
{
	return (long long)(((v & 0xff) << 8) | ((v >> 8) & 0xff));
}

static long long be4(long long v)
{
	return (long long)__builtin_bswap32((uint32_t)v);
}

static long long be8(long long v)
{
	return (long long)__builtin_bswap64((uint64_t)v);
}

/* V with the byte order of a W-byte %b value swapped (W = 1: as is). */
static long long be(long long v, int w)
{
	return w == 2 ? be2(v) : w == 4 ? be4(v) : w == 8 ? be8(v) : v;
}

/* The %Nb golden files bin2..bin5: N-byte values printed one at a time,
 * two and four at once. */
static const struct bin_case {
	int width;
	const char *file;
	long long one[2], two[2], four[4];
} bins[] = {
	{ 1, "bin2", { 0x12, 0x34 }, { 0x56, 0x78 },
	  { 0x12, 0x34, 0x56, 0x78 } },
	{ 2, "bin3", { 0x12, 0x34 }, { 0xabcd, 0x5678 },
	  { 0x12345678, 0xabcd, 0x8888, 0xcdef } },
	{ 4, "bin4", { 0x12, 0x34 }, { 0xabcdef00, 0x5678 },
	  { 0x12345678, 0x11112222, 0x88889999, 0xcdef0000 } },
	{ 8, "bin5", { 0x12, 0x34 },
	  { (long long)0xabcd000011112222ULL, 0x5678567856785678LL },
	  { 0x0012345678abcdefLL, 0x1111222233334444LL,
	    (long long)0x88889999aaaabbbbULL,
	    (long long)0xcdef000011112222ULL } },
};

static void test_golden(void)
{
	/* the printf calls of the scripts, with the same values */
	static const char *const int_fmts[] = {
		"%d,%d,%d,%d,%d\n", "%2d,%2d,%2d,%2d,%2d\n",
		"%16d,%16d,%16d,%16d,%16d\n", "%016d,%016d,%016d,%016d,%016d\n",
		"%ld,%ld,%ld,%ld,%ld\n", "%#d,%#d,%#d,%#d,%#d\n",
		"%#ld,%#ld,%#ld,%#ld,%#ld\n", "\n",
		"%u,%u,%u,%u,%u\n", "%2u,%2u,%2u,%2u,%2u\n",
		"%16u,%16u,%16u,%16u,%16u\n", "%016u,%016u,%016u,%016u,%016u\n",
		"%lu,%lu,%lu,%lu,%lu\n", "%#u,%#u,%#u,%#u,%#u\n",
		"%#lu,%#lu,%#lu,%#lu,%#lu\n", "\n",
		"%x,%x,%x,%x,%x\n", "%2x,%2x,%2x,%2x,%2x\n",
		"%16x,%16x,%16x,%16x,%16x\n", "%016x,%016x,%016x,%016x,%016x\n",
		"%16X,%16X,%16X,%16X,%16X\n", "%016X,%016X,%016X,%016X,%016X\n",
		"%lx,%lx,%lx,%lx,%lx\n", "%#x,%#x,%#x,%#x,%#x\n",
		"%#lx,%#lx,%#lx,%#lx,%#lx\n", "\n",
		"%o,%o,%o,%o,%o\n", "%2o,%2o,%2o,%2o,%2o\n",
		"%16o,%16o,%16o,%16o,%16o\n", "%016o,%016o,%016o,%016o,%016o\n",
		"%lo,%lo,%lo,%lo,%lo\n", "%#o,%#o,%#o,%#o,%#o\n",
		"%#lo,%#lo,%#lo,%#lo,%#lo\n",
	};
	static const long long ints[] = { 1, 10, 9000000000000LL, -1, -1024 };
	static const char *const bin6_names[] = {
		"Binary default width default precision\t:%b:\n",
		"Binary static width default precision\t:%1b:\n",
		"Binary static width default precision\t:%2b:\n",
		"Binary static width default precision\t:%4b:\n",
		"Binary static width default precision\t:%8b:\n",
		"Binary dynamic width default precision\t:%*b:\n",
		"Binary dynamic width default precision\t:%*b:\n",
		"Binary dynamic width default precision\t:%*b:\n",
		"Binary dynamic width default precision\t:%*b:\n",
		"Binary default width static precision\t:%.8b:\n",
		"Binary default width static precision\t:%.4b:\n",
		"Binary default width static precision\t:%.2b:\n",
		"Binary default width static precision\t:%.1b:\n",
		"Binary default width dynamic precision\t:%.*b:\n",
		"Binary default width dynamic precision\t:%.*b:\n",
		"Binary default width dynamic precision\t:%.*b:\n",
		"Binary default width dynamic precision\t:%.*b:\n",
		"Binary static width static precision\t:%1.8b:\n",
		"Binary static width static precision\t:%2.4b:\n",
		"Binary static width static precision\t:%4.2b:\n",
		"Binary static width static precision\t:%8.1b:\n",
		"Binary dynamic width dynamic precision\t:%*.*b:\n",
		"Binary dynamic width dynamic precision\t:%*.*b:\n",
		"Binary dynamic width dynamic precision\t:%*.*b:\n",
		"Binary dynamic width dynamic precision\t:%*.*b:\n",
	};
	static const char chars1[] = "abc-ABC 123!";
	static const char chars2[] = "\a\b\f\n\r\t\v\'\\";
	const char *dir = golden_dir_or_skip();
	struct strbuf out = STRBUF_INIT;
	long long v[5], d = be8(0x6465616462656566LL);
	size_t i, j;

	if (dir == NULL)
		return;

	for (i = 0; i < sizeof int_fmts / sizeof int_fmts[0]; i++)
		pf(&out, int_fmts[i], ints, strchr(int_fmts[i], '%') ? 5 : 0);
	golden_check(dir, "runtime/printf/int1.expected", &out);

	sb_reset(&out);
	v[0] = 0x42;
	pf(&out, "%1b", v, 1);
	golden_check(dir, "runtime/printf/bin1.expected", &out);

	/* bin2..bin5: %Nb of one value twice, of two, of four (twice) */
	for (i = 0; i < sizeof bins / sizeof bins[0]; i++) {
		const struct bin_case *b = &bins[i];
		char f1[8], f2[16], f4[32], fa[64], file[64];
		int w = b->width;

		snprintf(f1, sizeof f1, "%%%db", w);
		snprintf(f2, sizeof f2, "%s%s", f1, f1);
		snprintf(f4, sizeof f4, "%s%s", f2, f2);
		snprintf(fa, sizeof fa, "a=%s b=%s c=%s d=%s", f1, f1, f1, f1);
		snprintf(file, sizeof file, "runtime/printf/%s.expected",
			 b->file);
		sb_reset(&out);
		for (j = 0; j < 2; j++) {
			v[0] = be(b->one[j], w);
			pf(&out, f1, v, 1);
		}
		for (j = 0; j < 2; j++)
			v[j] = be(b->two[j], w);
		pf(&out, f2, v, 2);
		for (j = 0; j < 4; j++)
			v[j] = be(b->four[j], w);
		pf(&out, f4, v, 4);
		pf(&out, fa, v, 4);
		golden_check(dir, file, &out);
	}

	sb_reset(&out);
	for (i = 0; i < sizeof bin6_names / sizeof bin6_names[0]; i++) {
		static const long long sizes[] = { 1, 2, 4, 8 };
		long long w = sizes[(i - 1) % 4];

		if (i >= 5 && i <= 8) {
			v[0] = w; v[1] = d; pf(&out, bin6_names[i], v, 2);
		} else if (i >= 13 && i <= 16) {
			v[0] = sizes[3 - (i - 13)]; v[1] = d;
			pf(&out, bin6_names[i], v, 2);
		} else if (i >= 21) {
			v[0] = sizes[i - 21]; v[1] = sizes[3 - (i - 21)];
			v[2] = d;
			pf(&out, bin6_names[i], v, 3);
		} else {
			v[0] = d;
			pf(&out, bin6_names[i], v, 1);
		}
	}
	golden_check(dir, "runtime/printf/bin6.expected", &out);

	sb_reset(&out);
	for (j = 0; j < sizeof chars1 - 1; j++) {
		v[0] = chars1[j];
		pf(&out, "%#c", v, 1);
	}
	sb_puts(&out, "\n");
	for (j = 0; j < sizeof chars2 - 1; j++) {
		v[0] = chars2[j];
		pf(&out, "%#c", v, 1);
	}
	sb_puts(&out, "\n");
	v[0] = 0; v[1] = 033; v[2] = 0177; v[3] = 0222; v[4] = 0333;
	{
		long long w6[6] = { 0, 033, 0177, 0222, 0333, 0377 };

		pf(&out, "%#c%#c%#c%#c%#c%#c\n", w6, 6);
	}
	golden_check(dir, "runtime/printf/char2.expected", &out);

	sb_reset(&out);
	{
		struct targ t[2];
		const char *s50 =
			"12345678901234567890123456789012345678901234567890";
		char s100[101];

		snprintf(s100, sizeof s100, "%s%s", s50, s50);
		t[0].l = 0;
		t[0].s = s50;
		render(&out, "s is <%s>\n", 10, t, 1, 0, 0);
		t[0].s = s100;
		render(&out, "t is <%s>\n", 10, t, 1, 0, 0);
		for (i = 0; i < 100; i++) {
			t[0].l = (long long)i;
			t[0].s = NULL;
			t[1].l = 0;
			t[1].s = s100;
			render(&out, "%2d: %s\n", 8, t, 2, 0, 0);
		}
	}
	golden_check(dir, "runtime/printf/string2.expected", &out);
	sb_free(&out);
}

int main(void)
{
	test_parse();
	test_numbers();
	test_strings();
	test_binary_memory();
	test_limits();
	test_golden();
	return check_done();
}
