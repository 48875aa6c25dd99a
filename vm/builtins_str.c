/*
 * builtins_str.c - the built-ins over strings and output, with the
 * semantics of SystemTap's tapset functions: strings read from the
 * target (user_string*(), user_char() ...: uconversions.stp), string
 * functions (strlen(), substr(), strtol(), text_str(), tokenize() ...:
 * string.stp, tokenize.stp), regular expression captures (matched():
 * regex.stp), abort(), warn(), log(), randint() (logging.stp,
 * random.stp) and the ANSI terminal helpers (ansi.stp).  Where
 * SystemTap's code has a quirk, it is kept and the comment says so.
 *
 * Every string returned is an arena string (vm_str_*), at most
 * maxstringlen-1 bytes; errors go through vm_raise() with SystemTap's
 * wording; target memory is read through the host's read_mem/read_str.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm_int.h"

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* ---- target memory (uconversions.stp) --------------------------------- */

/* user_string_n(addr, n): reads clamp(n+1, 1, MAXSTRINGLEN-1) - 1 bytes at
 * most (SystemTap's arithmetic, kept); -1 on a fault. */
static ssize_t user_read_str(struct vm *vm, int64_t addr, int64_t n,
			     char *out)
{
	int64_t len = clamp64(n + 1 > n ? n + 1 : n, 1,
			      (int64_t)vm->maxlen);	/* maxlen = MSL-1 */
	ssize_t got;

	if (vm->host.read_str == NULL)
		return -1;
	got = vm->host.read_str(vm->host.ud, vm_cur_pid(vm), (uint64_t)addr,
				out, (size_t)len);
	if (got < 0)
		return -1;
	if (got > len - 1)
		got = len - 1;
	out[got] = '\0';
	return (ssize_t)strnlen(out, (size_t)got);
}

static const struct vstr *user_string_n(struct vm *vm, int64_t addr,
					int64_t n, const struct vstr *err)
{
	char *out = vm_str_begin(vm);
	ssize_t got = user_read_str(vm, addr, n, out);

	if (got < 0) {
		if (err != NULL)
			return err;
		vm_raise(vm, "user string copy fault %d at 0x%" PRIx64
			 " [man error::fault]", -EFAULT, (uint64_t)addr);
		return &vm_empty_str;
	}
	return vm_str_end(vm, (size_t)got);
}

void bi_user_string(struct vm *vm, const union vm_val *args,
		    union vm_val *ret)
{
	ret->s = user_string_n(vm, args[0].l, vm->p->maxstringlen, NULL);
}

void bi_user_string_err(struct vm *vm, const union vm_val *args,
			union vm_val *ret)
{
	ret->s = user_string_n(vm, args[0].l, vm->p->maxstringlen, args[1].s);
}

void bi_user_string2(struct vm *vm, const union vm_val *args,
		     union vm_val *ret)
{
	bi_user_string_err(vm, args, ret);
}

void bi_user_string_n(struct vm *vm, const union vm_val *args,
		      union vm_val *ret)
{
	ret->s = user_string_n(vm, args[0].l, args[1].l, NULL);
}

void bi_user_string_n_err(struct vm *vm, const union vm_val *args,
			  union vm_val *ret)
{
	ret->s = user_string_n(vm, args[0].l, args[1].l, args[2].s);
}

void bi_user_string_n2(struct vm *vm, const union vm_val *args,
		       union vm_val *ret)
{
	bi_user_string_n_err(vm, args, ret);
}

static const struct vstr *quoted(struct vm *vm, const struct vstr *s)
{
	char *out = vm_str_begin(vm);
	size_t n = vm_text_str(vm, out, s->data, vm->p->maxstringlen,
			       vm->p->maxstringlen, true);

	return vm_str_end(vm, n);
}

/* try { return string_quoted(user_string(addr)) }
 * catch { return sprintf("0x%x", addr) } */
void bi_user_string_quoted(struct vm *vm, const union vm_val *args,
			   union vm_val *ret)
{
	char *tmp = vm_str_begin(vm);
	ssize_t got = user_read_str(vm, args[0].l, vm->p->maxstringlen, tmp);
	const struct vstr *s;

	if (got < 0) {
		ret->s = vm_str_printf(vm, "0x%" PRIx64, (uint64_t)args[0].l);
		return;
	}
	s = vm_str_end(vm, (size_t)got);
	ret->s = quoted(vm, s);
}

/* user_string_n_quoted(addr, n) = user_string_n_quoted(addr, n,
 * MAXSTRINGLEN): string_quoted(user_string_n(addr, n)), and if longer than
 * outlen-2: substr(s, 0, outlen-4) . "\"..." */
void bi_user_string_n_quoted(struct vm *vm, const union vm_val *args,
			     union vm_val *ret)
{
	char *tmp = vm_str_begin(vm);
	ssize_t got = user_read_str(vm, args[0].l, args[1].l, tmp);
	int64_t outlen = vm->p->maxstringlen;
	const struct vstr *s;

	if (got < 0) {
		ret->s = vm_str_printf(vm, "0x%" PRIx64, (uint64_t)args[0].l);
		return;
	}
	s = quoted(vm, vm_str_end(vm, (size_t)got));
	if ((int64_t)s->len > outlen - 2) {
		int64_t keep = outlen - 4 < 0 ? 0 : outlen - 4;
		char *out = vm_str_begin(vm);
		size_t n;

		if (keep > (int64_t)s->len)
			keep = s->len;
		memcpy(out, s->data, (size_t)keep);
		n = (size_t)keep;
		memcpy(out + n, "\"...", 4);	/* room: maxlen+1 >= n+4? */
		n += 4;
		s = vm_str_end(vm, n > vm->maxlen ? vm->maxlen : n);
	}
	ret->s = s;
}

/* user_<type>(addr): the value, or 0 when the memory is unreadable
 * (try { return user_<type>_error(addr) } catch { return 0 }). */
static int read_user(struct vm *vm, int64_t addr, void *buf, size_t n)
{
	if (vm->host.read_mem == NULL)
		return -1;
	return vm->host.read_mem(vm->host.ud, vm_cur_pid(vm), (uint64_t)addr,
				 buf, n);
}

#define USER_READER(name, ctype) \
void bi_##name(struct vm *vm, const union vm_val *args, union vm_val *ret) \
{ \
	ctype v; \
	if (read_user(vm, args[0].l, &v, sizeof(v)) != 0) \
		ret->l = 0; \
	else \
		ret->l = (int64_t)v; \
}

USER_READER(user_long, int64_t)
USER_READER(user_int, int32_t)
USER_READER(user_short, int16_t)
USER_READER(user_char, int8_t)
USER_READER(user_int8, int8_t)
USER_READER(user_uint8, uint8_t)
USER_READER(user_int16, int16_t)
USER_READER(user_uint16, uint16_t)
USER_READER(user_int32, int32_t)
USER_READER(user_uint32, uint32_t)
USER_READER(user_int64, int64_t)
USER_READER(user_uint64, uint64_t)
USER_READER(user_ushort, uint16_t)
USER_READER(user_uint, uint32_t)
USER_READER(user_ulong, uint64_t)
#undef USER_READER

/* ---- strings (string.stp, tokenize.stp) ------------------------------- */

void bi_strlen(struct vm *vm, const union vm_val *args, union vm_val *ret)
{
	(void)vm;
	ret->l = args[0].s->len;
}

/* strlcpy(ret, str + start, clamp(length + 1, 0, MAXSTRINGLEN)) when
 * 0 <= start < strlen(str), else "". */
void bi_substr(struct vm *vm, const union vm_val *args, union vm_val *ret)
{
	const struct vstr *s = args[0].s;
	int64_t start = args[1].l;
	int64_t len = clamp64(args[2].l == INT64_MAX ? INT64_MAX
						     : args[2].l + 1,
			      0, vm->p->maxstringlen);
	size_t n;

	if (start < 0 || start >= (int64_t)s->len || len == 0) {
		ret->s = &vm_empty_str;
		return;
	}
	n = s->len - (size_t)start;
	if ((int64_t)n > len - 1)
		n = (size_t)(len - 1);
	ret->s = vm_str_new(vm, s->data + start, n);
}

void bi_isinstr(struct vm *vm, const union vm_val *args, union vm_val *ret)
{
	(void)vm;
	ret->l = strstr(args[0].s->data, args[1].s->data) != NULL;
}

void bi_strpos(struct vm *vm, const union vm_val *args, union vm_val *ret)
{
	const char *p = strstr(args[0].s->data, args[1].s->data);

	(void)vm;
	ret->l = p != NULL ? p - args[0].s->data : -1;
}

/* The kernel's simple_strtol (leading '-', then simple_strtoull: base 0
 * guesses, base 16 skips "0x", digits 0-9a-f only). */
void bi_strtol(struct vm *vm, const union vm_val *args, union vm_val *ret)
{
	const char *s = args[0].s->data;
	int64_t base = args[1].l;
	bool neg = false;
	uint64_t r = 0;

	(void)vm;
	if (*s == '-') {
		neg = true;
		s++;
	}
	if (base == 0) {
		if (s[0] == '0') {
			if (tolower((unsigned char)s[1]) == 'x' &&
			    isxdigit((unsigned char)s[2]))
				base = 16;
			else
				base = 8;
		} else {
			base = 10;
		}
	}
	if (base == 16 && s[0] == '0' && tolower((unsigned char)s[1]) == 'x')
		s += 2;
	for (;; s++) {
		unsigned v;
		int c = tolower((unsigned char)*s);

		if (c >= '0' && c <= '9')
			v = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = (unsigned)(c - 'a' + 10);
		else
			break;
		if ((int64_t)v >= base)
			break;
		r = r * (uint64_t)base + v;
	}
	ret->l = neg ? (int64_t)(0 - r) : (int64_t)r;
}

void bi_str_replace(struct vm *vm, const union vm_val *args,
		    union vm_val *ret)
{
	const struct vstr *str = args[0].s, *srch = args[1].s,
			  *rplc = args[2].s;
	const char *base = str->data, *hit;
	char *out;
	size_t n = 0;

	if (srch->len == 0) {
		ret->s = str;
		return;
	}
	out = vm_str_begin(vm);
	/* strlcat(.., MAXSTRINGLEN) at each step: the result is cut */
#define CAT(p, len) do { \
		size_t k_ = (len); \
		if (k_ > vm->maxlen - n) \
			k_ = vm->maxlen - n; \
		memcpy(out + n, (p), k_); \
		n += k_; \
	} while (0)
	while ((hit = strstr(base, srch->data)) != NULL) {
		CAT(base, (size_t)(hit - base));
		CAT(rplc->data, rplc->len);
		base = hit + srch->len;
	}
	CAT(base, strlen(base));
#undef CAT
	ret->s = vm_str_end(vm, n);
}

/* _stp_decode_utf8 over memory: bytes consumed (>= 1), codepoint in *C. */
static int decode_utf8(const unsigned char *buf, int64_t size, int *c_ret)
{
	int c, i, n;
	unsigned char b = buf[0];

	size--;
	if ((b & 0xE0) == 0xC0 && size >= 1) {
		n = 2;
		c = b & 0x1F;
	} else if ((b & 0xF0) == 0xE0 && size >= 2) {
		n = 3;
		c = b & 0xF;
	} else if ((b & 0xF8) == 0xF0 && size >= 3) {
		n = 4;
		c = b & 0x7;
	} else {
		goto verbatim;
	}
	for (i = 1; i < n; ++i) {
		unsigned char b2 = buf[i];

		if ((b2 & 0xC0) != 0x80)
			goto verbatim;
		c = (c << 6) | (b2 & 0x3F);
	}
	if (0xD800 <= c && c <= 0xDFFF)
		goto verbatim;
	if (c > 0x10FFFF)
		goto verbatim;
	if (c < 0x80 || (n == 3 && c < 0x800) || (n == 4 && c < 0x10000))
		goto verbatim;
	*c_ret = c;
	return n;
verbatim:
	*c_ret = b;
	return 1;
}

/*
 * SystemTap's _stp_text_str (stp_string.c) over an in-memory string:
 * printable ASCII as is, \a\b\f\n\r\t\v\"\\ escaped, other bytes as \ooo,
 * valid UTF-8 as \uXXXX or \UXXXXXXXX; with QUOTED, between double quotes
 * and "..." appended when cut; a cut never splits the first escape that
 * could be cut (stap 4.8: text_strn("?\231\a\n\n\r\n", 15, 1) is
 * "?\231\a\n"...).
 */
size_t vm_text_str(const struct vm *vm, char *outstr, const char *in,
		   int64_t inlen, int64_t outlen, bool quoted)
{
	const int64_t msl = vm->p->maxstringlen;
	const unsigned char *ip = (const unsigned char *)in;
	char *out = outstr;
	int c = 0;
	char *esc = NULL;	/* the first escape a cut could split */
	int64_t esc_len = 0;

	if (inlen <= 0 || inlen > msl - 1)
		inlen = msl - 1;
	if (outlen <= 0 || outlen > msl - 1)
		outlen = msl - 1;
	if (quoted) {
		outlen = (outlen > 5 ? outlen : 5) - 2;
		*out++ = '"';
	}
	while (inlen > 0) {
		int num = 1;
		int n = decode_utf8(ip, inlen, &c);

		if (c == 0 || outlen <= 0)
			break;
		ip += n;
		inlen -= n;
		if (n > 1) {
			int i;

			num = c <= 0xFFFF ? 6 : 10;
			if (!esc && outlen - 3 < num) {
				esc = out;
				esc_len = num;
			}
			if (outlen < num)
				break;
			*out++ = '\\';
			*out++ = c <= 0xFFFF ? 'u' : 'U';
			for (i = num - 3; i >= 0; --i) {
				int nib = (c >> (i * 4)) & 0xF;

				*out++ = (char)(nib < 10 ? '0' + nib
							 : 'A' + nib - 10);
			}
		} else if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			*out++ = (char)c;
		} else {
			char e = fmt_escape_letter(c, '"');

			num = e ? 2 : 4;
			if (!esc && outlen - 3 < num) {
				esc = out;
				esc_len = num;
			}
			if (outlen < num)
				break;
			*out++ = '\\';
			if (e) {
				*out++ = e;
			} else {
				*out++ = (char)('0' + ((c >> 6) & 03));
				*out++ = (char)('0' + ((c >> 3) & 07));
				*out++ = (char)('0' + (c & 07));
			}
		}
		outlen -= num;
	}
	if (quoted) {
		if (c && inlen > 0) {
			/* cut; an escape the cut would split goes whole */
			char *trunc = out - 3 + outlen;

			if (esc && esc < trunc && trunc < esc + esc_len)
				out = esc;
			else
				out = trunc;
			*out++ = '"';
			*out++ = '.';
			*out++ = '.';
			*out++ = '.';
		} else {
			*out++ = '"';
		}
	}
	*out = '\0';
	return (size_t)(out - outstr);
}

void bi_text_str(struct vm *vm, const union vm_val *args, union vm_val *ret)
{
	char *out = vm_str_begin(vm);

	ret->s = vm_str_end(vm, vm_text_str(vm, out, args[0].s->data, 0, 0,
					    false));
}

void bi_text_strn(struct vm *vm, const union vm_val *args, union vm_val *ret)
{
	char *out = vm_str_begin(vm);
	int64_t len = clamp64(args[1].l, 0, vm->p->maxstringlen);

	ret->s = vm_str_end(vm, vm_text_str(vm, out, args[0].s->data, 0, len,
					    args[2].l != 0));
}

void bi_string_quoted(struct vm *vm, const union vm_val *args,
		      union vm_val *ret)
{
	ret->s = quoted(vm, args[0].s);
}

void bi_stringat(struct vm *vm, const union vm_val *args, union vm_val *ret)
{
	const struct vstr *s = args[0].s;
	int64_t pos = args[1].l;

	if (pos >= 0 && pos < (int64_t)s->len) {
		ret->l = (signed char)s->data[pos];	/* char is signed */
	} else {
		ret->l = 0;
		vm_raise(vm, "Position out of bounds");
	}
}

/* strsep() over a copy of the last non-empty input, skipping empty
 * tokens; the state lives across probe hits, as SystemTap's context. */
void bi_tokenize(struct vm *vm, const union vm_val *args, union vm_val *ret)
{
	const struct vstr *input = args[0].s, *delim = args[1].s;
	char *token;

	if (input->len) {
		memcpy(vm->tok_str, input->data, input->len + 1);
		vm->tok_start = vm->tok_str;
		vm->tok_end = vm->tok_str + input->len;
	}
	do {
		token = strsep(&vm->tok_start, delim->data);
	} while (token != NULL && !token[0]);
	if (token == NULL) {
		ret->s = &vm_empty_str;
		return;
	}
	ret->s = vm_str_new(vm, token, strlen(token));
}

void bi_isdigit(struct vm *vm, const union vm_val *args, union vm_val *ret)
{
	char c = args[0].s->data[0];

	(void)vm;
	ret->l = c >= '0' && c <= '9';
}

static void map_case(struct vm *vm, const struct vstr *s, union vm_val *ret,
		     bool upper)
{
	char *out = vm_str_begin(vm);
	size_t i;

	for (i = 0; i < s->len; i++) {
		char c = s->data[i];

		if (upper && c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		else if (!upper && c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		out[i] = c;
	}
	ret->s = vm_str_end(vm, s->len);
}

void bi_toupper(struct vm *vm, const union vm_val *args, union vm_val *ret)
{
	map_case(vm, args[0].s, ret, true);
}

void bi_tolower(struct vm *vm, const union vm_val *args, union vm_val *ret)
{
	map_case(vm, args[0].s, ret, false);
}

/* ---- regular expression captures (regex.stp) -------------------------- */

static const struct vstr *subexpression(struct vm *vm, int64_t n)
{
	const regmatch_t *m;

	if (!vm->match_ok) {
		vm_raise(vm, "Attempted to get subexpression %" PRId64
			 " from failed match", n);
		return &vm_empty_str;
	}
	if (n < 0 || n >= vm->match_ngroups) {
		vm_raise(vm, "Attempted to get nonexistent subexpression %"
			 PRId64, n);
		return &vm_empty_str;
	}
	if (n >= (int64_t)(sizeof(vm->match) / sizeof(vm->match[0])))
		return &vm_empty_str;
	m = &vm->match[n];
	if (m->rm_so < 0 || m->rm_eo < m->rm_so)
		return &vm_empty_str;
	return vm_str_new(vm, vm->match_str + m->rm_so,
			  (size_t)(m->rm_eo - m->rm_so));
}

void bi_matched(struct vm *vm, const union vm_val *args, union vm_val *ret)
{
	ret->s = subexpression(vm, args[0].l);
}

void bi_ngroups(struct vm *vm, const union vm_val *args, union vm_val *ret)
{
	(void)args;
	if (!vm->match_ok) {
		vm_raise(vm, "Attempted to get subexpression count from "
			 "failed match");
		ret->l = 0;
		return;
	}
	ret->l = vm->match_ngroups;
}

void bi_matched_str(struct vm *vm, const union vm_val *args,
		    union vm_val *ret)
{
	(void)args;
	ret->s = subexpression(vm, 0);
}

/* ---- control and logging (logging.stp, random.stp) -------------------- */

/* abort(): like exit(), but the handler ends at once, with no message
 * and past any try (logging.stp: STOPPING, as exit(); end probes run). */
void bi_abort(struct vm *vm, const union vm_val *args, union vm_val *ret)
{
	(void)args;
	(void)ret;
	vm->aborted = true;
	vm->exit_req = true;
	vm->aborting = true;
	vm->err_uncatchable = true;
	vm->err_pending = true;
}

void bi_warn(struct vm *vm, const union vm_val *args, union vm_val *ret)
{
	(void)ret;
	vm_warn(vm, args[0].s->data);
}

void bi_log(struct vm *vm, const union vm_val *args, union vm_val *ret)
{
	(void)ret;
	vm_out(vm, args[0].s->data, args[0].s->len);
	vm_out(vm, "\n", 1);
}

/* random.stp: n (unsigned) above 1024*1024 is an error; else
 * _stp_random_u(n): glibc's rand() recurrence, modulo n (0 for n == 0). */
void bi_randint(struct vm *vm, const union vm_val *args, union vm_val *ret)
{
	uint64_t n = (uint64_t)args[0].l;

	ret->l = 0;
	if (n > 1024 * 1024) {
		vm_raise(vm, "range too wide");
		return;
	}
	vm->rng = vm->rng * 1103515245 + 12345;
	ret->l = n == 0 ? 0 : (int64_t)(vm->rng % n);
}

/* ---- ANSI terminal helpers (ansi.stp) --------------------------------- */

static void out_printf(struct vm *vm, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void out_printf(struct vm *vm, const char *fmt, ...)
{
	char buf[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		vm_out(vm, buf, (size_t)n < sizeof(buf) ? (size_t)n
							: sizeof(buf) - 1);
}

void bi_ansi_set_color1(struct vm *vm, const union vm_val *args,
			union vm_val *ret)
{
	(void)ret;
	out_printf(vm, "\033[%" PRId64 "m", args[0].l);
}

void bi_ansi_set_color2(struct vm *vm, const union vm_val *args,
			union vm_val *ret)
{
	(void)ret;
	out_printf(vm, "\033[%" PRId64 ";%" PRId64 "m", args[1].l, args[0].l);
}

void bi_ansi_set_color3(struct vm *vm, const union vm_val *args,
			union vm_val *ret)
{
	(void)ret;
	if (args[2].l)
		out_printf(vm, "\033[%" PRId64 ";%" PRId64 ";%" PRId64 "m",
			   args[1].l, args[0].l, args[2].l);
	else
		out_printf(vm, "\033[%" PRId64 ";%" PRId64 "m", args[1].l,
			   args[0].l);
}

void bi_ansi_cursor_move(struct vm *vm, const union vm_val *args,
			 union vm_val *ret)
{
	(void)ret;
	out_printf(vm, "\033[%" PRId64 ";%" PRId64 "H", args[1].l, args[0].l);
}

/* ansi_clear_screen(), ansi_reset_color(), ansi_new_line(),
 * ansi_cursor_hide/save/restore/show(): a fixed sequence. */
#define ANSI_SEQUENCE(name, seq) \
void bi_##name(struct vm *vm, const union vm_val *args, union vm_val *ret) \
{ \
	(void)args; \
	(void)ret; \
	vm_out(vm, seq, sizeof(seq) - 1); \
}
ANSI_SEQUENCE(ansi_clear_screen, "\033[1;1H\033[J")
ANSI_SEQUENCE(ansi_reset_color, "\033[0;0m")	/* ansi_set_color(0, 0, 0) */
ANSI_SEQUENCE(ansi_new_line, "\n")
ANSI_SEQUENCE(ansi_cursor_hide, "\033[>5I")
ANSI_SEQUENCE(ansi_cursor_save, "\033[s")
ANSI_SEQUENCE(ansi_cursor_restore, "\033[u")
ANSI_SEQUENCE(ansi_cursor_show, "\033[>5h")
#undef ANSI_SEQUENCE
