/*
 * builtins_proc.c - the built-ins about the event and its process, with
 * the semantics of SystemTap's tapset functions: who (pid(), tid(),
 * execname(), uid(), cmdline_str(), env_var(), cpu(), ...: context.stp,
 * task.stp), where (pp(), pn(), ppfunc(), probefunc()), when
 * (gettimeofday_*(), local_clock_*(), get_cycles(), ctime(): the event's
 * own time where it has one) and thread_indent()/indent() (indent.stp).
 * Where SystemTap's code has a quirk, it is kept and the comment says so.
 *
 * Facts about a traced process come from /proc, cached per thread in
 * vm->pinfo until vm_forget().  Without a process (begin/end/timer
 * probes), pid(), tid(), execname() and friends describe pytap itself, as
 * SystemTap's describe its stapio helper.  Every string returned is an
 * arena string (vm_str_*), at most maxstringlen-1 bytes; errors go
 * through vm_raise() with SystemTap's wording.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "procfs.h"
#include "vm_int.h"

/* ---- helpers ---------------------------------------------------------- */

static const struct vstr *str_cpy(struct vm *vm, const char *s)
{
	return vm_str_new(vm, s, strlen(s));
}

/* Read /proc/PID[/task/TID]/NAME (procfs_path) into vm->filebuf; its
 * length, or -1. */
static ssize_t read_file(struct vm *vm, pid_t pid, pid_t tid,
			 const char *name)
{
	char path[96];
	size_t len = 0;
	int fd;

	procfs_path(path, sizeof(path), pid, tid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	for (;;) {
		ssize_t n;

		if (vm->filebuf_cap - len < 4096) {
			size_t ncap = vm->filebuf_cap ? vm->filebuf_cap * 2
						      : 16384;
			char *nb;

			if (ncap > ((size_t)16 << 20))
				break;	/* 16 MiB is plenty */
			nb = realloc(vm->filebuf, ncap);
			if (nb == NULL)
				break;
			vm->filebuf = nb;
			vm->filebuf_cap = ncap;
		}
		n = read(fd, vm->filebuf + len, vm->filebuf_cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (vm->filebuf == NULL)
		return -1;
	vm->filebuf[len] = '\0';
	return (ssize_t)len;
}

static pid_t own_tid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

pid_t vm_cur_pid(const struct vm *vm)
{
	if (vm->ev != NULL && vm->ev->pid > 0)
		return vm->ev->pid;
	return getpid();
}

pid_t vm_cur_tid(const struct vm *vm)
{
	if (vm->ev != NULL && vm->ev->pid > 0)
		return vm->ev->tid > 0 ? vm->ev->tid : vm->ev->pid;
	return own_tid();
}

static void fill_comm(struct vm *vm, struct vm_pinfo *pi)
{
	ssize_t n = read_file(vm, pi->pid, pi->tid, "comm");

	if (n < 0)
		n = read_file(vm, pi->tid, 0, "comm");
	pi->comm[0] = '\0';
	if (n > 0) {
		size_t len = (size_t)n;

		while (len > 0 && vm->filebuf[len - 1] == '\n')
			len--;
		if (len >= sizeof(pi->comm))
			len = sizeof(pi->comm) - 1;
		memcpy(pi->comm, vm->filebuf, len);
		pi->comm[len] = '\0';
	}
	pi->have_comm = true;
}

/* The value after "KEY:\t" on a /proc/PID/status line, field FIELD. */
static int64_t status_field(const char *buf, const char *key, int field)
{
	const char *p = buf;
	size_t klen = strlen(key);

	while (p != NULL && *p) {
		if (strncmp(p, key, klen) == 0 && p[klen] == ':') {
			const char *q = p + klen + 1;
			int i;

			for (i = 0; i <= field; i++) {
				char *end;
				long long v;

				while (*q == ' ' || *q == '\t')
					q++;
				v = strtoll(q, &end, 10);
				if (end == q)
					return 0;
				if (i == field)
					return v;
				q = end;
			}
		}
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return 0;
}

static void fill_status(struct vm *vm, struct vm_pinfo *pi)
{
	if (read_file(vm, pi->pid, pi->tid, "status") < 0) {
		if (read_file(vm, pi->pid, 0, "status") < 0) {
			pi->have_status = true;
			return;
		}
	}
	pi->ppid = status_field(vm->filebuf, "PPid", 0);
	pi->uid = status_field(vm->filebuf, "Uid", 0);
	pi->euid = status_field(vm->filebuf, "Uid", 1);
	pi->gid = status_field(vm->filebuf, "Gid", 0);
	pi->egid = status_field(vm->filebuf, "Gid", 1);
	pi->have_status = true;
}

struct vm_pinfo *vm_pinfo_get(struct vm *vm, pid_t pid, pid_t tid,
			      bool status)
{
	struct vm_pinfo *pi = &vm->pinfo[(unsigned)tid % VM_PINFO_SLOTS];

	if (pi->tid != tid || pi->pid != pid) {
		memset(pi, 0, sizeof(*pi));
		pi->tid = tid;
		pi->pid = pid;
	}
	if (!pi->have_comm)
		fill_comm(vm, pi);
	if (status && !pi->have_status)
		fill_status(vm, pi);
	return pi;
}

void vm_forget(struct vm *vm, pid_t pid)
{
	size_t i;

	for (i = 0; i < VM_PINFO_SLOTS; i++)
		if (vm->pinfo[i].pid == pid || vm->pinfo[i].tid == pid)
			memset(&vm->pinfo[i], 0, sizeof(vm->pinfo[i]));
	if (pid > 0 && vm->host.ext != NULL && vm->host.ext->forget != NULL)
		vm->host.ext->forget(vm, pid);
}

static struct vm_pinfo *cur_pinfo(struct vm *vm, bool status)
{
	return vm_pinfo_get(vm, vm_cur_pid(vm), vm_cur_tid(vm), status);
}

void vm_builtins_init(struct vm *vm)
{
	struct timespec ts;
	struct tm tm;
	time_t now = time(NULL);

	clock_gettime(CLOCK_REALTIME, &ts);
	vm->rng = (uint64_t)ts.tv_nsec * 0x9E3779B97F4A7C15ull ^
		  (uint64_t)ts.tv_sec ^ ((uint64_t)getpid() << 32);
	if (vm->rng == 0)
		vm->rng = 0x2545F4914F6CDD1Dull;
	/* staprun hands the module the zone in force at start-up */
	if (localtime_r(&now, &tm) != NULL) {
		vm->tz_gmtoff = -(int64_t)tm.tm_gmtoff;
		snprintf(vm->tz_name, sizeof(vm->tz_name), "%s",
			 tm.tm_zone ? tm.tm_zone : "");
	}
}

void vm_builtins_free(struct vm *vm)
{
	if (vm->host.ext != NULL && vm->host.ext->forget != NULL)
		vm->host.ext->forget(vm, 0);
	free(vm->indents);
	vm->indents = NULL;
	free(vm->filebuf);
	vm->filebuf = NULL;
}

/* ---- process and thread identity -------------------------------------- */

void bi_pid(struct vm *vm, const union vm_val *args, union vm_val *ret)
{
	(void)args;
	ret->l = vm_cur_pid(vm);
}

void bi_tid(struct vm *vm, const union vm_val *args, union vm_val *ret)
{
	(void)args;
	ret->l = vm_cur_tid(vm);
}

static bool is_self(const struct vm *vm)
{
	return vm->ev == NULL || vm->ev->pid <= 0;
}

/* ppid(), uid(), euid(), gid(), egid(): pytap's own where there is no
 * process (begin, end, timers), else the thread's, from /proc. */
#define STATUS_BUILTIN(name, own) \
void bi_##name(struct vm *vm, const union vm_val *args, union vm_val *ret) \
{ \
	(void)args; \
	ret->l = is_self(vm) ? (int64_t)own() : cur_pinfo(vm, true)->name; \
}
STATUS_BUILTIN(ppid, getppid)
STATUS_BUILTIN(uid, getuid)
STATUS_BUILTIN(euid, geteuid)
STATUS_BUILTIN(gid, getgid)
STATUS_BUILTIN(egid, getegid)
#undef STATUS_BUILTIN

void bi_target(struct vm *vm, const union vm_val *args, union vm_val *ret)
{
	(void)args;
	ret->l = vm->host.target;
}

void bi_execname(struct vm *vm, const union vm_val *args, union vm_val *ret)
{
	(void)args;
	ret->s = str_cpy(vm, cur_pinfo(vm, false)->comm);
}

void bi_pexecname(struct vm *vm, const union vm_val *args, union vm_val *ret)
{
	pid_t ppid;

	(void)args;
	ppid = is_self(vm) ? getppid() : (pid_t)cur_pinfo(vm, true)->ppid;
	if (ppid <= 0) {
		ret->s = &vm_empty_str;
		return;
	}
	ret->s = str_cpy(vm, vm_pinfo_get(vm, ppid, ppid, false)->comm);
}

/* /proc/PID/cmdline of the current process into vm->filebuf; length. */
static ssize_t read_cmdline(struct vm *vm)
{
	return read_file(vm, vm_cur_pid(vm), 0, "cmdline");
}

/* tapset cmdline_args(n, m, delim): arguments n..m (m < 0: to the end). */
static const struct vstr *cmdline_args(struct vm *vm, int64_t n, int64_t m,
				       const char *delim)
{
	ssize_t len = read_cmdline(vm);
	char *out;
	size_t olen = 0, dlen = strlen(delim);
	const char *p, *end;
	int64_t i = 0;
	bool first = true;

	if (len <= 0)
		return &vm_empty_str;
	out = vm_str_begin(vm);
	p = vm->filebuf;
	end = vm->filebuf + len;
	while (p < end) {
		size_t alen = strnlen(p, (size_t)(end - p));

		if (i >= n && (m < 0 || i <= m)) {
			/* __args .= delim . (__arg == "" ? "\"\"" : __arg) */
			const char *a = p;

			if (!first && alen == 0) {
				a = "\"\"";
				alen = 2;
			}
			if (!first && olen < vm->maxlen) {
				size_t k = dlen;

				if (k > vm->maxlen - olen)
					k = vm->maxlen - olen;
				memcpy(out + olen, delim, k);
				olen += k;
			}
			if (olen < vm->maxlen) {
				size_t k = alen;

				if (k > vm->maxlen - olen)
					k = vm->maxlen - olen;
				memcpy(out + olen, a, k);
				olen += k;
			}
			first = false;
			if (a != p)
				alen = 0;
		}
		i++;
		p += alen + 1;
	}
	return vm_str_end(vm, olen);
}

void bi_cmdline_str(struct vm *vm, const union vm_val *args,
		    union vm_val *ret)
{
	(void)args;
	ret->s = cmdline_args(vm, 0, -1, " ");
}

void bi_cmdline_arg(struct vm *vm, const union vm_val *args,
		    union vm_val *ret)
{
	if (args[0].l < 0) {
		ret->s = &vm_empty_str;
		return;
	}
	ret->s = cmdline_args(vm, args[0].l, args[0].l, "");
}

void bi_env_var(struct vm *vm, const union vm_val *args, union vm_val *ret)
{
	const struct vstr *name = args[0].s;
	ssize_t len;
	const char *p, *end;

	ret->s = &vm_empty_str;
	if (name->len == 0)
		return;
	len = read_file(vm, vm_cur_pid(vm), 0, "environ");
	if (len <= 0)
		return;
	p = vm->filebuf;
	end = vm->filebuf + len;
	while (p < end) {
		size_t elen = strnlen(p, (size_t)(end - p));

		if (elen > name->len && p[name->len] == '=' &&
		    memcmp(p, name->data, name->len) == 0) {
			ret->s = vm_str_new(vm, p + name->len + 1,
					    elen - name->len - 1);
			return;
		}
		p += elen + 1;
	}
}

void bi_cpu(struct vm *vm, const union vm_val *args, union vm_val *ret)
{
	const char *p;
	int field = 1;

	(void)args;
	if (is_self(vm)) {
		int c = sched_getcpu();

		ret->l = c < 0 ? 0 : c;
		return;
	}
	ret->l = 0;
	if (read_file(vm, vm_cur_pid(vm), vm_cur_tid(vm), "stat") <= 0)
		return;
	/* field 2 (comm) may hold blanks: count from its closing paren */
	p = strrchr(vm->filebuf, ')');
	if (p == NULL)
		return;
	field = 2;
	while (*p && field < 39) {
		if (*p == ' ')
			field++;
		p++;
	}
	if (field == 39)
		ret->l = strtoll(p, NULL, 10);
}

/* ---- probe point ------------------------------------------------------ */

static const char *cur_pp(const struct vm *vm)
{
	if (vm->probe == NULL || vm->probe->pp == NULL)
		return "";
	return vm->probe->pp;
}

/* pp(): for a mark, SystemTap names the probe it derived, the site's
 * statement: process("/usr/bin/python3.11").statement(0x4f20a1) (stap 4.8,
 * link-time address); pn() gives the mark as the script wrote it. */
void bi_pp(struct vm *vm, const union vm_val *args, union vm_val *ret)
{
	const struct bc_probe *pr = vm->probe;

	(void)args;
	if (pr != NULL && pr->kind == BP_SDT && pr->sdt_path != NULL &&
	    vm->ev != NULL && vm->ev->args != NULL && vm->ev->args->site) {
		ret->s = vm_str_printf(vm, "process(\"%s\").statement(0x%" PRIx64
				    ")", pr->sdt_path, vm->ev->args->site);
		return;
	}
	ret->s = str_cpy(vm, cur_pp(vm));
}

void bi_pn(struct vm *vm, const union vm_val *args, union vm_val *ret)
{
	(void)args;
	if (vm->probe != NULL && vm->probe->pn != NULL)
		ret->s = str_cpy(vm, vm->probe->pn);
	else
		ret->s = str_cpy(vm, cur_pp(vm));
}

/* tapset ppfunc(): the NAME of function("NAME@file:line") in pp(), or "". */
void bi_ppfunc(struct vm *vm, const union vm_val *args, union vm_val *ret)
{
	const char *pp = cur_pp(vm);
	const char *f = strstr(pp, "function(\"");
	size_t n;

	(void)args;
	if (f == NULL) {
		ret->s = &vm_empty_str;
		return;
	}
	f += strlen("function(\"");
	n = strcspn(f, "@\"");
	ret->s = vm_str_new(vm, f, n);
}

void bi_probefunc(struct vm *vm, const union vm_val *args, union vm_val *ret)
{
	/* without symbols, what ppfunc() finds in pp() */
	bi_ppfunc(vm, args, ret);
}

void bi_is_return(struct vm *vm, const union vm_val *args, union vm_val *ret)
{
	const char *pp = cur_pp(vm);
	size_t n = strlen(pp);

	(void)args;
	ret->l = n >= 7 && strcmp(pp + n - 7, ".return") == 0;
}

/* ---- time ------------------------------------------------------------- */

static int64_t clock_now(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The time built-ins describe the event, not the moment its handler runs:
 * an event that carries its time (CLOCK_MONOTONIC, taken where it happened,
 * e.g. in the target by the in-process agent) is reported at that time on
 * every clock, shifted by the clocks' current distance from
 * CLOCK_MONOTONIC.  Events without a time (breakpoint hits: the thread is
 * stopped while the handler runs; begin, end, timers) use the clock now. */
static int64_t clock_ns(const struct vm *vm, clockid_t id)
{
	int64_t now = clock_now(id);

	if (vm->ev == NULL || vm->ev->time_ns == 0)
		return now;
	if (id == CLOCK_MONOTONIC)
		return (int64_t)vm->ev->time_ns;
	return (int64_t)vm->ev->time_ns + (now - clock_now(CLOCK_MONOTONIC));
}

/* gettimeofday_s() ... local_clock_ns(): clock CLK in units of DIV ns. */
#define CLOCK_BUILTIN(name, clk, div) \
void bi_##name(struct vm *vm, const union vm_val *args, union vm_val *ret) \
{ \
	(void)args; \
	ret->l = clock_ns(vm, clk) / (div); \
}
CLOCK_BUILTIN(gettimeofday_s, CLOCK_REALTIME, 1000000000)
CLOCK_BUILTIN(gettimeofday_ms, CLOCK_REALTIME, 1000000)
CLOCK_BUILTIN(gettimeofday_us, CLOCK_REALTIME, 1000)
CLOCK_BUILTIN(gettimeofday_ns, CLOCK_REALTIME, 1)
CLOCK_BUILTIN(local_clock_s, CLOCK_MONOTONIC, 1000000000)
CLOCK_BUILTIN(local_clock_ms, CLOCK_MONOTONIC, 1000000)
CLOCK_BUILTIN(local_clock_us, CLOCK_MONOTONIC, 1000)
CLOCK_BUILTIN(local_clock_ns, CLOCK_MONOTONIC, 1)
#undef CLOCK_BUILTIN

void bi_get_cycles(struct vm *vm, const union vm_val *args, union vm_val *ret)
{
	(void)vm;
	(void)args;
#if defined(__x86_64__) || defined(__i386__)
	{
		uint32_t lo, hi;

		__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
		ret->l = (int64_t)(((uint64_t)hi << 32) | lo);
	}
#else
	ret->l = clock_ns(vm, CLOCK_MONOTONIC_RAW);
#endif
}

/*
 * tapset ctime.stp: newlib's mktm_r/asctime_r over 32-bit seconds; out of
 * that range is an error (since SystemTap 2.3).
 */
static const struct vstr *ctime_str(struct vm *vm, int64_t secs)
{
	static const int mon_lengths[2][12] = {
		{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31},
		{31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}
	};
	static const int year_lengths[2] = {365, 366};
	static const char day_name[7][4] = {
		"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
	};
	static const char mon_name[12][4] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun",
		"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
	};
	long days, rem;
	int yleap, tm_sec, tm_min, tm_hour, tm_mday, tm_mon, tm_year, tm_wday;
	const int *ip;

	if (secs > 2147483647LL) {
		vm_raise(vm, "Time too far in the future to be converted");
		return &vm_empty_str;
	}
	if (secs < -2147483648LL) {
		vm_raise(vm, "Time too far in the past to be converted");
		return &vm_empty_str;
	}
	days = (long)(secs / 86400);
	rem = (long)(secs % 86400);
	while (rem < 0) {
		rem += 86400;
		--days;
	}
	while (rem >= 86400) {
		rem -= 86400;
		++days;
	}
	tm_hour = (int)(rem / 3600);
	rem %= 3600;
	tm_min = (int)(rem / 60);
	tm_sec = (int)(rem % 60);
	if ((tm_wday = (int)((4 + days) % 7)) < 0)
		tm_wday += 7;
	tm_year = 1970;
#define ISLEAP(y) ((((y) % 4) == 0 && ((y) % 100) != 0) || ((y) % 400) == 0)
	if (days >= 0) {
		for (;;) {
			yleap = ISLEAP(tm_year);
			if (days < year_lengths[yleap])
				break;
			tm_year++;
			days -= year_lengths[yleap];
		}
	} else {
		do {
			--tm_year;
			yleap = ISLEAP(tm_year);
			days += year_lengths[yleap];
		} while (days < 0);
	}
#undef ISLEAP
	ip = mon_lengths[yleap];
	for (tm_mon = 0; days >= ip[tm_mon]; ++tm_mon)
		days -= ip[tm_mon];
	tm_mday = (int)days + 1;
	return vm_str_printf(vm, "%.3s %.3s%3d %.2d:%.2d:%.2d %d",
			  day_name[tm_wday], mon_name[tm_mon], tm_mday,
			  tm_hour, tm_min, tm_sec, tm_year);
}

void bi_ctime0(struct vm *vm, const union vm_val *args, union vm_val *ret)
{
	(void)args;
	ret->s = ctime_str(vm, clock_ns(vm, CLOCK_REALTIME) / 1000000000);
}

void bi_ctime(struct vm *vm, const union vm_val *args, union vm_val *ret)
{
	ret->s = ctime_str(vm, args[0].l);
}

/* tzinfo.stp: ctime(epochsecs - tz_gmtoff()) . " " . tz_name() */
void bi_tz_ctime(struct vm *vm, const union vm_val *args, union vm_val *ret)
{
	const struct vstr *t;

	t = ctime_str(vm, (int64_t)((uint64_t)args[0].l -
				    (uint64_t)vm->tz_gmtoff));
	if (vm->err_pending) {
		ret->s = &vm_empty_str;
		return;
	}
	ret->s = vm_str_printf(vm, "%s %s", t->data, vm->tz_name);
}

/* ---- indentation (indent.stp) ----------------------------------------- */

static struct vm_indent *indent_state(struct vm *vm, int64_t idx)
{
	size_t i, h;

	if (vm->capindents == 0 || vm->nindents * 2 >= vm->capindents) {
		size_t ncap = vm->capindents ? vm->capindents * 2 : 64;
		struct vm_indent *n = calloc(ncap, sizeof(*n));

		if (n == NULL)
			return NULL;
		for (i = 0; i < vm->capindents; i++) {
			if (!vm->indents[i].used)
				continue;
			h = (size_t)((uint64_t)vm->indents[i].idx *
				     0x9E3779B97F4A7C15ull >> 20) % ncap;
			while (n[h].used)
				h = (h + 1) % ncap;
			n[h] = vm->indents[i];
		}
		free(vm->indents);
		vm->indents = n;
		vm->capindents = ncap;
	}
	h = (size_t)((uint64_t)idx * 0x9E3779B97F4A7C15ull >> 20) %
	    vm->capindents;
	while (vm->indents[h].used && vm->indents[h].idx != idx)
		h = (h + 1) % vm->capindents;
	if (!vm->indents[h].used) {
		vm->indents[h].used = true;
		vm->indents[h].idx = idx;
		vm->indents[h].counter = 0;
		vm->indents[h].timestamp = 0;
		vm->nindents++;
	}
	return &vm->indents[h];
}

/* _generic_indent_depth: pre-increment for a positive delta,
 * post-decrement for a negative one. */
static int64_t indent_depth(struct vm_indent *st, int64_t delta)
{
	int64_t x = st->counter + (delta > 0 ? delta : 0);

	st->counter += delta;
	return x > 0 ? x - 1 : 0;
}

/* _generic_indent: sprintf("%6d %s:%-*s", ts - base, desc, depth, "") with
 * the base reset while the counter is 0. */
static const struct vstr *generic_indent(struct vm *vm, int64_t idx,
					 const char *desc, int64_t delta)
{
	struct vm_indent *st = indent_state(vm, idx);
	int64_t ts = clock_ns(vm, CLOCK_REALTIME) / 1000;
	int64_t depth;
	char *out;
	int n;

	if (st == NULL)
		return &vm_empty_str;
	if (!st->counter)
		st->timestamp = ts;
	depth = indent_depth(st, delta);
	out = vm_str_begin(vm);
	n = snprintf(out, vm->maxlen + 1, "%6" PRId64 " %s:",
		     ts - st->timestamp, desc);
	if (n < 0)
		n = 0;
	if ((size_t)n > vm->maxlen)
		n = (int)vm->maxlen;
	if (depth > (int64_t)(vm->maxlen - (size_t)n))
		depth = (int64_t)(vm->maxlen - (size_t)n);
	memset(out + n, ' ', (size_t)depth);
	return vm_str_end(vm, (size_t)n + (size_t)depth);
}

void bi_thread_indent(struct vm *vm, const union vm_val *args,
		      union vm_val *ret)
{
	char desc[64];

	snprintf(desc, sizeof(desc), "%s(%d)", cur_pinfo(vm, false)->comm,
		 (int)vm_cur_tid(vm));
	ret->s = generic_indent(vm, vm_cur_tid(vm), desc, args[0].l);
}

void bi_thread_indent_depth(struct vm *vm, const union vm_val *args,
			    union vm_val *ret)
{
	struct vm_indent *st = indent_state(vm, vm_cur_tid(vm));

	ret->l = st ? indent_depth(st, args[0].l) : 0;
}

void bi_indent(struct vm *vm, const union vm_val *args, union vm_val *ret)
{
	ret->s = generic_indent(vm, -1, "", args[0].l);
}

void bi_indent_depth(struct vm *vm, const union vm_val *args,
		     union vm_val *ret)
{
	struct vm_indent *st = indent_state(vm, -1);

	ret->l = st ? indent_depth(st, args[0].l) : 0;
}

