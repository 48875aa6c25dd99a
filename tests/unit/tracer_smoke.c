/*
 * tracer_smoke.c - drive the tracer API end to end against the C target
 * (tests/targets/sdt_target) and Debian's /usr/bin/python3.11, and check
 * with tests/tools/sitecheck that targets are unharmed after detach.
 *
 * usage: tracer_smoke [-v] [-t TARGET] [-s SITECHECK] [-p PYTHON] [TEST...]
 *
 * Tests (all by default): sdt launch attach threads fork exec stop solib
 *	errors
 *	py-launch py-threads py-fork py-nofollow py-fork-detach
 *	py-spawn-detach
 * and, only when named, py-bench (hits per second pinned and not: a
 * rough figure; make bench measures properly).
 * Prints what it saw, one "PASS name" / "FAIL name: why" per test, and
 * exits 0 if all passed, 1 otherwise, 2 for a group name it does not
 * know, 77 if ptrace is not permitted here or every group named was
 * skipped (the py-* tests are skipped if PYTHON has no SDT notes, solib
 * without cc).  Under CI=true (environment) every skip is a failure.
 * Targets to attach to are spawned through a keeper process (see struct
 * target): no child of this process ends while a tracer waits.  Paths
 * default to the build tree as make check sees it: $top_builddir/tests/...
 * (else relative to the current directory), and $PYTAP_TEST_PYTHON.
 * The target must be built without sanitizers (LeakSanitizer refuses to
 * run under ptrace).  The harness (reporting, targets, keepers) is
 * tests/unit/smoke.c.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "smoke.h"
#include "tracer.h"
#include "tracer_int.h"	/* tr_wait_enter: t_wait_deadline */
/* ---- argument specs, without a process ---- */

static unsigned char fake_mem[256];

static int fake_reader(void *ctx, uint64_t addr, void *buf, size_t len)
{
	(void)ctx;
	if (addr < 0x1000 || addr + len > 0x1000 + sizeof(fake_mem))
		return -1;
	memcpy(buf, fake_mem + (addr - 0x1000), len);
	return 0;
}

static void t_sdt(void)
{
	const char *T = "sdt";
	struct user_regs_struct r;
	static const struct {
		const char *spec;
		int64_t want;
	} cases[] = {
		{ "8@%rbp", 0x1010 },
		{ "-4@%eax", -2 },
		{ "4@%eax", 0xfffffffe },
		{ "8@%rax", (int64_t)0x12345678fffffffeULL },
		{ "2@%ax", 0xfffe },
		{ "-2@%ax", -2 },
		{ "1@%al", 0xfe },
		{ "-1@%al", -2 },
		{ "1@%ah", 0xff },
		{ "-1@%ah", -1 },
		{ "-4@%r8d", -5 },
		{ "2@%r8w", 0xfffb },
		{ "-1@%r8b", -5 },
		{ "1@%r8l", 0xfb },
		{ "8@%r15", 15 },
		{ "-1@%sil", 0x10 },
		{ "4@$5", 5 },
		{ "-8@$-7", -7 },
		{ "1@$255", 255 },
		{ "-1@$255", -1 },
		{ "-4@112(%rsp)", -100 },
		{ "8@-8(%rbp,%rcx,8)", 0x1122334455667788LL },
		{ "8@(%rbp)", 0x1122334455667788LL },
		{ "-2@(,%rsi,1)", -300 },
		{ "8@0x1008", 0x1122334455667788LL },
		{ "-4@%edx", 7 },
		{ "%rdi", 42 },
	};
	static const char *badspecs[] = {
		"3@%rax", "8@%foo", "8@(%eax)", "8@sym(%rip)", "8@$x",
		"8@(%rax,%rbx,3)", "8f@%xmm0",
	};
	struct sdt_arg a[SDT_MAX_ARGS];
	int bad = 0;

	memset(&r, 0, sizeof(r));
	r.rax = 0x12345678fffffffeULL;
	r.rbp = 0x1010;
	r.rsp = 0x1000;
	r.rcx = 0;
	r.rsi = 0x1000 + 120;
	r.rdx = 7;
	r.rdi = 42;
	r.r8 = (uint64_t)-5;
	r.r15 = 15;
	r.rsi = 0x1078;
	{
		int32_t v = -100;
		int64_t w = 0x1122334455667788LL;
		int16_t h = -300;

		memcpy(fake_mem + 112, &v, 4);
		memcpy(fake_mem + 8, &w, 8);
		memcpy(fake_mem + 16, &w, 8);
		memcpy(fake_mem + 0x78, &h, 2);
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t v;
		int n = sdt_args_parse(cases[i].spec, a, SDT_MAX_ARGS);

		if (strcmp(cases[i].spec, "-1@%sil") == 0)
			r.rsi = 0x10;
		else
			r.rsi = 0x1078;
		if (n != 1) {
			fail(T, "'%s' parsed as %d args", cases[i].spec, n);
			bad++;
			continue;
		}
		if (sdt_arg_fetch(&a[0], &r, fake_reader, NULL, &v) < 0) {
			fail(T, "'%s' fetch failed", cases[i].spec);
			bad++;
		} else if (v != cases[i].want) {
			fail(T, "'%s' gave %" PRId64 ", want %" PRId64,
			     cases[i].spec, v, cases[i].want);
			bad++;
		}
	}
	for (size_t i = 0; i < sizeof(badspecs) / sizeof(badspecs[0]); i++) {
		if (sdt_args_parse(badspecs[i], a, SDT_MAX_ARGS) >= 0) {
			fail(T, "'%s' accepted", badspecs[i]);
			bad++;
		}
	}
	if (sdt_args_parse("8@%rbp 8@%r12 -4@%eax", a, SDT_MAX_ARGS) != 3 ||
	    sdt_args_parse("", a, SDT_MAX_ARGS) != 0 ||
	    sdt_args_parse("1@%al 1@%al", a, 1) != -1) {
		fail(T, "argument counts");
		bad++;
	}
	{
		int64_t v;

		sdt_args_parse("8@0x5000", a, SDT_MAX_ARGS);
		if (sdt_arg_fetch(&a[0], &r, fake_reader, NULL, &v) != -1) {
			fail(T, "unreadable memory fetched");
			bad++;
		}
	}
	printf("sdt: %zu operand forms checked\n",
	       sizeof(cases) / sizeof(cases[0]) +
	       sizeof(badspecs) / sizeof(badspecs[0]));
	if (!bad)
		printf("PASS %s\n", T);
}

/* ---- C target tests ---- */

/* -c the target; every expected line must be seen exactly once. */
static void t_launch(void)
{
	const char *T = "launch";
	char out[256], line[1200];
	struct lines exp = {0}, got = {0};
	struct tracer *t = mk(true, true);
	struct tracer_hit h;
	struct tracer_exit ex;
	int sema_on = 0, status = -1, nexit = 0;
	pid_t pid;
	char *argv[] = { (char *)target, "3", "0", NULL };

	snprintf(out, sizeof(out), "%s/launch.out", tmpdir);
	req(t, "target", "*", 1, false);
	if ((pid = launch(T, t, argv, out)) < 0)
		return;
	printf("launch: pid %d, %zu sites armed\n", (int)pid,
	       tracer_armed_sites(t));
	for (;;) {
		enum tracer_event e = tracer_wait(t, now_ns() + 10000000000ULL,
						  &h, &ex);

		if (e == TEV_HIT) {
			hit_line(t, &h, !strcmp(h.probe->name, "basic") ? 5 : -1,
				 line, sizeof(line));
			if (verbose)
				printf("  hit %s\n", line);
			lines_add(&got, line);
		} else if (e == TEV_EXIT) {
			nexit++;
			if (ex.pid == pid)
				status = ex.status;
		} else {
			if (e != TEV_NOPROC)
				fail(T, "unexpected event %d", e);
			break;
		}
	}
	tracer_free(t);
	read_expect(out, &exp, &sema_on);
	printf("launch: %zu hits, %zu expected, guarded semaphore seen raised in %d rounds\n",
	       got.n, exp.n, sema_on);
	int bad = lines_check(T, &exp, &got, 1);

	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail(T, "target exit status %#x", status), bad++;
	if (sema_on != 3)
		fail(T, "semaphore raised in %d of 3 rounds", sema_on), bad++;
	if (got.n < 15)
		fail(T, "only %zu hits", got.n), bad++;
	if (!bad)
		printf("PASS %s\n", T);
	lines_free(&exp);
	lines_free(&got);
}

#define ATTACH_HITS 40

/*
 * Attach to a running target (THREADS threads, MODE as sdt_target takes
 * it), take hits for a while, detach (by SIGINT if BYSIG), check the
 * sites, and let it finish: it must exit 0.
 */
static void attach_run(const char *T, const char *threads, const char *mode,
		       bool bysig, bool follow)
{
	char out[256], line[1200];
	char *argv[] = { (char *)target, "30", "20", (char *)threads,
			 (char *)mode, NULL };
	struct lines exp = {0}, got = {0};
	struct tracer *t;
	struct tracer_hit h;
	struct tracer_exit ex;
	struct target tg;
	int sema_on, bad = 0, status;
	pid_t pid;
	pid_t pids[64];
	int npids = 0;
	uint64_t end;

	snprintf(out, sizeof(out), "%s/%s.out", tmpdir, T);
	/* its threads run (and in leaderexit mode the leader is gone) */
	pid = spawn_ready(T, argv, out, &tg, strcmp(mode, "leaderexit") ?
			  "threads started" : "leader exits");
	if (pid < 0)
		return;
	t = mk(follow, true);
	req(t, "target", "*", 1, false);
	uint64_t t0 = now_ns();

	if (!attach_to(T, t, pid, &tg))
		return;
	printf("%s: attached to %d in %.2f ms, %zu sites armed\n", T,
	       (int)pid, (now_ns() - t0) / 1e6, tracer_armed_sites(t));
	pids[npids++] = pid;
	/* take ATTACH_HITS hits (a few of the target's 30 rounds: it cannot
	 * run ahead of the hits we take), then detach: at once (a deadline
	 * now), or by a SIGINT while waiting; END only bounds a hang */
	end = now_ns() + 20000000000ULL;
	for (bool sent = false;;) {
		enum tracer_event e;

		if (bysig && got.n >= ATTACH_HITS && !sent) {
			kill(getpid(), SIGINT);
			sent = true;
		}
		e = tracer_wait(t, !bysig && got.n >= ATTACH_HITS ? now_ns() :
				end, &h, &ex);
		if (e == TEV_HIT) {
			int k;

			hit_line(t, &h, !strcmp(h.probe->name, "basic") ? 5 : -1,
				 line, sizeof(line));
			lines_add(&got, line);
			for (k = 0; k < npids && pids[k] != h.pid; k++)
				;
			if (k == npids && npids < 64)
				pids[npids++] = h.pid;
			continue;
		}
		if (e == TEV_EXIT)
			continue;
		if (e == TEV_SIGNAL && !bysig)
			fail(T, "unexpected signal"), bad++;
		if (e == TEV_TIMEOUT && (bysig || got.n < ATTACH_HITS))
			fail(T, "timeout after %zu hits", got.n), bad++;
		if (e == TEV_SIGNAL && tracer_last_signal(t) != SIGINT)
			fail(T, "signal %d", tracer_last_signal(t)), bad++;
		if (e != TEV_SIGNAL && e != TEV_TIMEOUT)
			fail(T, "event %d", e), bad++;
		break;
	}
	t0 = now_ns();
	tracer_detach_all(t);
	printf("%s: %zu hits from %d process(es), detached in %.2f ms\n", T,
	       got.n, npids, (now_ns() - t0) / 1e6);
	for (int k = 0; k < npids; k++)
		if (kill(pids[k], 0) == 0 && run_sitecheck(T, pids[k], target))
			bad++;
	tracer_free(t);
	status = target_wait(&tg);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail(T, "target exit status %#x", status), bad++;
	read_expect(out, &exp, &sema_on);
	bad += lines_check(T, &exp, &got, 0);
	if (!bad)
		printf("PASS %s\n", T);
	lines_free(&exp);
	lines_free(&got);
}

static void t_attach(void)
{
	attach_run("attach", "1", "", false, true);
	attach_run("attach-sigint", "1", "", true, true);
}

static void t_threads(void)
{
	attach_run("threads", "8", "", true, true);
	/* the main thread is gone (zombie leader) when we attach */
	attach_run("leader-exited", "3", "leaderexit", false, true);
}

/* The target forks after round 1: follow and don't. */
static void fork_launch(const char *T, const char *mode, bool follow,
			int want_exit)
{
	char out[256], line[1200];
	char *argv[] = { (char *)target, "4", "0", "2", (char *)mode, NULL };
	struct tracer *t = mk(follow, false);
	struct tracer_hit h;
	struct tracer_exit ex;
	struct lines exp = {0}, got = {0};
	int bad = 0, sema_on, status = -1;
	pid_t pid, other = 0;
	int nexits = 0;

	snprintf(out, sizeof(out), "%s/%s.out", tmpdir, T);
	req(t, "target", "*", 1, false);
	if ((pid = launch(T, t, argv, out)) < 0)
		return;
	for (;;) {
		enum tracer_event e = tracer_wait(t, now_ns() + 10000000000ULL,
						  &h, &ex);

		if (e == TEV_HIT) {
			if (h.pid != pid)
				other = h.pid;
			hit_line(t, &h, !strcmp(h.probe->name, "basic") ? 5 : -1,
				 line, sizeof(line));
			lines_add(&got, line);
		} else if (e == TEV_EXIT) {
			nexits++;
			if (ex.pid == pid)
				status = ex.status;
			if (verbose)
				printf("  exit %d status %#x%s\n", (int)ex.pid,
				       ex.status, ex.is_target ? " (target)" : "");
		} else {
			if (e != TEV_NOPROC)
				fail(T, "event %d", e), bad++;
			break;
		}
	}
	tracer_free(t);
	read_expect(out, &exp, &sema_on);
	printf("%s: %zu hits (%s from a child), %zu expected, %d exits\n", T,
	       got.n, other ? "some" : "none", exp.n, nexits);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail(T, "target exit status %#x", status), bad++;
	if (want_exit >= 0) {
		char what[64];

		snprintf(what, sizeof(what), "exit %d", want_exit);
		if (wait_for(out, what, 10) < 0)
			fail(T, "child did not report '%s'", what), bad++;
	}
	/* followed fork: everything seen; not followed: parent's only */
	bad += lines_check(T, &exp, &got, follow && !strcmp(mode, "fork"));
	if (!follow && other)
		fail(T, "hits from unfollowed child %d", (int)other), bad++;
	if (follow && !strcmp(mode, "fork") && !other)
		fail(T, "no hits from the followed child"), bad++;
	if (!bad)
		printf("PASS %s\n", T);
	lines_free(&exp);
	lines_free(&got);
}

static void t_fork(void)
{
	fork_launch("fork-follow", "fork", true, 3);
	fork_launch("fork-nofollow", "fork", false, 3);
	fork_launch("vfork-follow", "vfork", true, 0);
	fork_launch("vfork-nofollow", "vfork", false, 0);
}

static void t_exec(void)
{
	fork_launch("exec", "exec", true, -1);
}

static char proc_state(pid_t pid)
{
	char path[64], buf[512], *s;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return '?';
	if (fgets(buf, sizeof(buf), f) == NULL)
		buf[0] = '\0';
	fclose(f);
	s = strrchr(buf, ')');
	return s && s[1] ? s[2] : '?';
}

/* "tid:cpus tid:cpus ..." for every thread of PID (Cpus_allowed_list). */
static void affinity(pid_t pid, char *out, size_t len)
{
	char path[320], line[256];
	size_t o = 0;
	struct dirent **ents;
	int n;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	n = scandir(path, &ents, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		FILE *f;

		if (ents[i]->d_name[0] != '.') {
			snprintf(path, sizeof(path), "/proc/%d/task/%s/status",
				 (int)pid, ents[i]->d_name);
			f = fopen(path, "r");
			while (f && fgets(line, sizeof(line), f)) {
				if (strncmp(line, "Cpus_allowed_list:", 18))
					continue;
				line[strcspn(line, "\n")] = '\0';
				o += (size_t)snprintf(out + o, o < len ? len - o : 0,
						      "%s:%s ", ents[i]->d_name,
						      line + 19);
			}
			if (f)
				fclose(f);
		}
		free(ents[i]);
	}
	if (n >= 0)
		free(ents);
}

static off_t file_size(const char *file)
{
	struct stat st;

	return stat(file, &st) == 0 ? st.st_size : -1;
}

/* Trace for MS milliseconds; returns hits (negative: an exit or error). */
static long trace_for(struct tracer *t, long ms)
{
	uint64_t end = now_ns() + (uint64_t)ms * 1000000u;
	struct tracer_hit h;
	struct tracer_exit ex;
	long n = 0;

	for (;;) {
		enum tracer_event e = tracer_wait(t, end, &h, &ex);

		if (e == TEV_HIT)
			n++;
		else if (e == TEV_TIMEOUT)
			return n;
		else {
			if (e == TEV_EXIT)
				printf("  exit of %d status %#x\n", (int)ex.pid,
				       ex.status);
			else
				printf("  event %d\n", e);
			return -1;
		}
	}
}

/*
 * Group-stop: SIGSTOP stops the traced target as it would untraced, SIGCONT
 * wakes it; detaching while it is stopped leaves it stopped, untraced.
 */
static void t_stop(void)
{
	const char *T = "stop";
	char out[256];
	char *argv[] = { (char *)target, "40", "10", "2", NULL };
	struct tracer *t;
	struct target tg;
	pid_t pid;
	off_t sz;
	int bad = 0, st;
	long n;

	snprintf(out, sizeof(out), "%s/%s.out", tmpdir, T);
	if ((pid = spawn_ready(T, argv, out, &tg, "threads started")) < 0)
		return;
	t = mk(true, false);
	req(t, "target", "*", 1, false);
	if (!attach_to(T, t, pid, &tg))
		return;
	n = trace_for(t, 100);
	kill(pid, SIGSTOP);
	trace_for(t, 100);
	sz = file_size(out);
	n = trace_for(t, 200);
	printf("%s: stopped: state %c, %ld hits, output %s\n", T,
	       proc_state(pid), n, file_size(out) == sz ? "still" : "GREW");
	if (n != 0 || file_size(out) != sz)
		fail(T, "target ran while stopped"), bad++;
	kill(pid, SIGCONT);
	n = trace_for(t, 200);
	printf("%s: continued: %ld hits\n", T, n);
	if (n <= 0)
		fail(T, "no hits after SIGCONT"), bad++;
	kill(pid, SIGSTOP);
	trace_for(t, 100);
	tracer_detach_all(t);
	/* detached in a group-stop: it stays stopped ('T'), never runs */
	for (int i = 0; i < 500 && proc_state(pid) != 'T'; i++)
		msleep(10);
	printf("%s: detached while stopped: state %c\n", T, proc_state(pid));
	if (proc_state(pid) != 'T')
		fail(T, "state %c after detach, want T", proc_state(pid)), bad++;
	if (run_sitecheck(T, pid, target))
		bad++;
	tracer_free(t);
	kill(pid, SIGCONT);
	st = target_wait(&tg);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail(T, "target exit status %#x", st), bad++;
	if (!bad)
		printf("PASS %s\n", T);
}

/*
 * Probes in a shared library (DT_NEEDED): mapped by the loader after exec,
 * armed at the entry point, before tracer_launch() returns.  Needs a C
 * compiler at test time (cc); skipped without one.
 */
static void t_solib(void)
{
	const char *T = "solib";
	char cmd[2048], lib[300], prog[300], src[300], msrc[300];
	struct tracer *t;
	struct tracer_hit h;
	struct tracer_exit ex;
	int n = 0, status = -1, bad = 0;
	pid_t pid;
	FILE *f;

	snprintf(src, sizeof(src), "%s/lib.c", tmpdir);
	snprintf(msrc, sizeof(msrc), "%s/main.c", tmpdir);
	snprintf(lib, sizeof(lib), "%s/libsdtlib.so", tmpdir);
	snprintf(prog, sizeof(prog), "%s/solib_main", tmpdir);
	f = fopen(src, "w");
	fputs("#define _SDT_HAS_SEMAPHORES 1\n#include <sys/sdt.h>\n"
	      "volatile unsigned short lib_hello_semaphore\n"
	      "  __attribute__((section(\".probes\")));\n"
	      "int lib_hello(int x) {\n"
	      "  if (lib_hello_semaphore) STAP_PROBE1(lib, hello, x);\n"
	      "  return x + 1;\n}\n", f);
	fclose(f);
	f = fopen(msrc, "w");
	fputs("int lib_hello(int);\n"
	      "int main(void) { int s = 0;\n"
	      "  for (int i = 0; i < 5; i++) s += lib_hello(i);\n"
	      "  return s == 15 ? 0 : 1; }\n", f);
	fclose(f);
	snprintf(cmd, sizeof(cmd),
		 "cc -O2 -fPIC -shared %s -o %s && cc -O2 %s %s -Wl,-rpath,%s -o %s",
		 src, lib, msrc, lib, tmpdir, prog);
	if (system(cmd) != 0) {
		skip(T, "cannot build a shared library here (cc)");
		return;
	}
	t = mk(true, false);
	req(t, "lib", "hello", 1, false);
	{
		char *argv[] = { prog, NULL };

		if ((pid = launch(T, t, argv, NULL)) < 0)
			return;
	}
	printf("%s: %zu site(s) armed when tracer_launch returned\n", T,
	       tracer_request_sites(t, 1));
	if (tracer_request_sites(t, 1) != 1)
		fail(T, "the library's site is not armed yet"), bad++;
	for (;;) {
		enum tracer_event e = tracer_wait(t, 0, &h, &ex);
		int64_t v;

		if (e == TEV_HIT) {
			if (sdt_arg_fetch(&h.probe->args[0], &h.regs, NULL, NULL,
					  &v) < 0 || v != n)
				fail(T, "hit %d: argument %" PRId64, n, v), bad++;
			if (strcmp(h.object, lib) != 0)
				fail(T, "hit in %s", h.object), bad++;
			n++;
		} else if (e == TEV_EXIT) {
			status = ex.status;
		} else {
			break;
		}
	}
	tracer_free(t);
	printf("%s: %d hits, status %#x\n", T, n, status);
	if (n != 5)
		fail(T, "%d hits, want 5", n), bad++;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail(T, "exit status %#x", status), bad++;
	if (!bad)
		printf("PASS %s\n", T);
}

static void attach_err(const char *T, pid_t pid, const char *want)
{
	struct tracer *t = mk(true, false);
	char err[256] = "";
	int rc;

	req(t, "target", "*", 1, false);
	rc = tracer_attach(t, pid, err, sizeof(err));
	printf("errors: attach %d: %s\n", (int)pid, rc < 0 ? err : "ok?");
	if (rc == 0)
		fail(T, "attach to %d succeeded", (int)pid);
	else if (strstr(err, want) == NULL)
		fail(T, "attach to %d: '%s' lacks '%s'", (int)pid, err, want);
	tracer_free(t);
}

/* The TracerPid of PID's /proc status, or -1. */
static pid_t tracer_pid(pid_t pid)
{
	char path[64], line[256];
	FILE *f;
	long tp = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "TracerPid: %ld", &tp) == 1)
			break;
	fclose(f);
	return (pid_t)tp;
}

static void t_errors(void)
{
	const char *T = "errors";
	int before = failures;
	pid_t none = 32000, z;
	char err[256];

	while (none > 300 && kill(none, 0) == 0)
		none--;
	attach_err(T, none, "no process with pid");
	attach_err(T, 2, "kernel thread");
	attach_err(T, getpid(), "itself");
	z = fork();
	if (z == 0)
		_exit(0);
	{
		/* until it is a zombie (WNOWAIT: not reaped yet) */
		siginfo_t si;

		while (waitid(P_PID, (id_t)z, &si, WEXITED | WNOWAIT) < 0 &&
		       errno == EINTR)
			;
	}
	attach_err(T, z, "zombie");
	wait_status(z);
	{
		struct tracer *t = mk(true, false);
		char *argv[] = { "pytap-no-such-program", NULL };

		if (tracer_launch(t, argv, err, sizeof(err)) >= 0)
			fail(T, "launched a program that does not exist");
		else
			printf("errors: launch: %s\n", err);
		if (strcmp(err, "cannot run 'pytap-no-such-program': No such file or directory"))
			fail(T, "launch error '%s'", err);
		char *argv2[] = { "/etc/passwd", NULL };

		if (tracer_launch(t, argv2, err, sizeof(err)) >= 0)
			fail(T, "launched /etc/passwd");
		else
			printf("errors: launch: %s\n", err);
		tracer_free(t);
	}
	/* EPERM: an unprivileged tracer, and a target traced by another */
	{
		pid_t victim = fork(), helper;
		int pfd[2];

		if (victim == 0) {
			pause();
			_exit(0);
		}
		if (pipe(pfd) < 0)
			pfd[0] = pfd[1] = -1;
		helper = fork();
		if (helper == 0) {
			struct tracer *t;
			char e2[256] = "";

			if (setgid(65534) < 0 || setuid(65534) < 0)
				_exit(3);
			t = mk(true, false);
			if (tracer_attach(t, victim, e2, sizeof(e2)) == 0)
				snprintf(e2, sizeof(e2), "attached");
			tracer_free(t);
			if (write(pfd[1], e2, strlen(e2) + 1) < 0)
				_exit(4);
			_exit(0);
		}
		close(pfd[1]);
		memset(err, 0, sizeof(err));
		if (read(pfd[0], err, sizeof(err) - 1) < 0)
			err[0] = '\0';
		close(pfd[0]);
		wait_status(helper);
		printf("errors: attach %d as nobody: %s\n", (int)victim, err);
		if (strncmp(err, "not permitted to trace pid", 26) != 0)
			fail(T, "as nobody: '%s'", err);
		/* now another tracer holds it */
		helper = fork();
		if (helper == 0) {
			if (ptrace(PTRACE_SEIZE, victim, 0, 0) < 0)
				_exit(3);
			pause();
			_exit(0);
		}
		/* until the helper holds it */
		for (int i = 0; i < 500 && tracer_pid(victim) != helper; i++)
			msleep(10);
		attach_err(T, victim, "already traced by pid");
		kill(helper, SIGKILL);
		wait_status(helper);
		kill(victim, SIGKILL);
		wait_status(victim);
	}
	if (failures == before)
		printf("PASS %s\n", T);
}

/* ---- python ---- */

static bool python_ok(void)
{
	struct sdt_file f;
	char err[256];
	bool ok;

	if (sdt_file_read(python, &f, err, sizeof(err)) < 0)
		return false;
	ok = f.nprobes > 0;
	sdt_file_free(&f);
	return ok;
}

/* Write SCRIPT to a file; returns its path (static buffer). */
/* TMPDIR/NAME.py: a prelude (the modules the scripts use; f(x), the
 * function the tests count; until(PATH, SECS), a loop that ends when PATH
 * exists or SECS have passed), then BODY */
static const char *script(const char *name, const char *body)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.py", tmpdir, name);
	f = fopen(path, "w");
	fputs("import os, subprocess, sys, threading, time\n"
	      "def f(x):\n    return x\n"
	      "def until(path, secs):\n"
	      "    end = time.time() + secs\n"
	      "    while time.time() < end and not (path and os.path.exists(path)):\n"
	      "        yield\n", f);
	fputs(body, f);
	fclose(f);
	return path;
}

struct pycount {
	long entry_f, return_f, other, hits;
	long exits, target_status;
	int pids;
	pid_t pid[16];
};

/* Trace until nothing is left, the deadline STOP_AFTER_NS (0: none), or
 * (WANT_PIDS > 0) hits from that many processes (TEV_TIMEOUT then too);
 * count entry/return of FUNC. */
static int py_loop_n(const char *T, struct tracer *t, pid_t target_pid,
		     const char *func, struct pycount *c,
		     uint64_t stop_after_ns, int want_pids)
{
	struct tracer_hit h;
	struct tracer_exit ex;
	char fn[256];

	memset(c, 0, sizeof(*c));
	c->target_status = -1;
	for (;;) {
		enum tracer_event e = tracer_wait(t, stop_after_ns, &h, &ex);

		if (e == TEV_HIT) {
			int64_t v = 0;
			int k;

			c->hits++;
			for (k = 0; k < c->pids && c->pid[k] != h.pid; k++)
				;
			if (k == c->pids && k < 16)
				c->pid[c->pids++] = h.pid;
			if (want_pids > 0 && c->pids >= want_pids)
				return TEV_TIMEOUT;
			cur_tracer = t;
			if (h.probe->nargs < 2 ||
			    sdt_arg_fetch(&h.probe->args[1], &h.regs, reader,
					  &h, &v) < 0 ||
			    tracer_read_str(t, h.pid, (uint64_t)v, fn,
					    sizeof(fn)) < 0) {
				c->other++;
				continue;
			}
			if (strcmp(fn, func) != 0)
				c->other++;
			else if (h.ids[0] == 1)
				c->entry_f++;
			else
				c->return_f++;
		} else if (e == TEV_EXIT) {
			c->exits++;
			if (ex.pid == target_pid)
				c->target_status = ex.status;
		} else if (e == TEV_NOPROC || e == TEV_TIMEOUT ||
			   e == TEV_SIGNAL) {
			return e;
		} else {
			fail(T, "event %d", e);
			return e;
		}
	}
}

static int py_loop(const char *T, struct tracer *t, pid_t target_pid,
		   const char *func, struct pycount *c, uint64_t stop_after_ns)
{
	return py_loop_n(T, t, target_pid, func, c, stop_after_ns, 0);
}

static struct tracer *py_tracer(bool follow, bool pin)
{
	struct tracer *t = mk(follow, pin);

	req(t, "python", "function__entry", 1, false);
	req(t, "python", "function__return", 2, false);
	req(t, "python", "line", 3, true);
	return t;
}

static void t_py_launch(void)
{
	const char *T = "py-launch";
	const char *s = script(T,
		"for i in range(1000):\n    f(i)\n");
	char *argv[] = { (char *)python, (char *)s, NULL };
	struct tracer *t = mk(true, true);
	char real[4096];
	struct pycount c;
	pid_t pid;
	struct tracer_request r = { NULL, "python", "function__entry", 1,
				    false };

	/* requests by object path: the interpreter's resolved name arms,
	 * another object's does not */
	if (realpath(python, real) == NULL)
		snprintf(real, sizeof(real), "%s", python);
	r.path = real;
	tracer_add_request(t, &r);
	req(t, "python", "function__return", 2, false);
	req(t, "python", "line", 3, true);
	r.path = "/nonexistent/libpython3.11.so.1.0";
	r.name = "*";
	r.id = 9;
	tracer_add_request(t, &r);
	if ((pid = launch(T, t, argv, NULL)) < 0)
		return;
	printf("%s: %zu sites armed, entry %zu line(sema) %zu other-object %zu\n",
	       T, tracer_armed_sites(t), tracer_request_sites(t, 1),
	       tracer_request_sites(t, 3), tracer_request_sites(t, 9));
	if (tracer_request_sites(t, 1) != 1 || tracer_request_sites(t, 3) != 1 ||
	    tracer_request_sites(t, 9) != 0)
		fail(T, "request site counts");
	{
		const struct tracer_object *ob;
		size_t n = tracer_objects(t, &ob);

		printf("%s: objects:", T);
		for (size_t i = 0; i < n; i++)
			printf(" %s (%zu notes)", ob[i].path, ob[i].nnotes);
		printf("\n");
		if (n == 0 || strcmp(ob[0].path, real) != 0)
			fail(T, "the executable is not the first object");
	}
	py_loop(T, t, pid, "f", &c, 0);
	tracer_free(t);
	printf("%s: f entries %ld returns %ld, other hits %ld, status %#lx\n",
	       T, c.entry_f, c.return_f, c.other, c.target_status);
	if (c.entry_f != 1000 || c.return_f != 1000)
		fail(T, "want 1000 entries and returns of f");
	else if (!WIFEXITED(c.target_status) || WEXITSTATUS(c.target_status))
		fail(T, "exit status %#lx", c.target_status);
	else
		printf("PASS %s\n", T);
}

static double run_untraced(char *const argv[])
{
	uint64_t t0 = now_ns();
	pid_t p = fork();

	if (p == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	wait_status(p);
	return (now_ns() - t0) / 1e9;
}

static void py_bench(bool pin)
{
	const char *T = pin ? "py-bench-pinned" : "py-bench-unpinned";
	const char *s = script("bench",
		"for i in range(200000):\n    f(i)\n");
	char *argv[] = { (char *)python, (char *)s, NULL };
	struct tracer *t = mk(true, pin);
	struct pycount c;
	double base = run_untraced(argv), el;
	uint64_t t0;
	pid_t pid;

	/* entry only, line semaphore raised, as pytap does on 3.11 */
	req(t, "python", "function__entry", 1, false);
	req(t, "python", "line", 3, true);
	t0 = now_ns();
	if ((pid = launch(T, t, argv, NULL)) < 0)
		return;
	py_loop(T, t, pid, "f", &c, 0);
	el = (now_ns() - t0) / 1e9;
	tracer_free(t);
	printf("%s: %ld hits in %.3f s (untraced run %.3f s): %.0f hits/s, %.2f us per hit over untraced\n",
	       T, c.hits, el, base, c.hits / el,
	       (el - base) * 1e6 / (c.hits ? c.hits : 1));
	if (c.entry_f != 200000)
		fail(T, "%ld entries of f, want 200000", c.entry_f);
	else
		printf("PASS %s\n", T);
}

/* Attach to a multi-threaded python, detach on SIGINT, check sites. */
static void t_py_threads(void)
{
	const char *T = "py-threads";
	const char *s = script(T,
		"def work(n):\n"
		"    for _ in until(None, 2.0):\n"
		"        f(n)\n        time.sleep(0.001)\n"
		"ts = [threading.Thread(target=work, args=(i,)) for i in range(4)]\n"
		"for t in ts: t.start()\n"
		"print('ready', flush=True)\n"
		"for t in ts: t.join()\n"
		"sys.exit(7)\n");
	char out[256];
	char *argv[] = { (char *)python, (char *)s, NULL };
	struct tracer *t;
	struct pycount c;
	struct target tg;
	pid_t pid;
	int st, bad = 0;

	snprintf(out, sizeof(out), "%s/%s.out", tmpdir, T);
	if ((pid = spawn_ready(T, argv, out, &tg, "ready")) < 0)
		return;
	char aff0[1024], aff1[1024], aff2[1024];

	affinity(pid, aff0, sizeof(aff0));
	t = py_tracer(true, true);
	uint64_t t0 = now_ns();

	if (!attach_to(T, t, pid, &tg))
		return;
	printf("%s: attached in %.2f ms, %zu sites\n", T,
	       (now_ns() - t0) / 1e6, tracer_armed_sites(t));
	affinity(pid, aff1, sizeof(aff1));
	printf("%s: affinity before: %s\n%s: affinity traced: %s\n", T, aff0,
	       T, aff1);
	/* a deadline, then a SIGINT that arrives while waiting */
	int e = py_loop(T, t, pid, "f", &c, now_ns() + 300000000ULL);

	if (e != TEV_TIMEOUT)
		fail(T, "want a timeout, got %d", e), bad++;
	long n1 = c.entry_f;
	pid_t me = getpid();
	/* the killer stays until we kill it: a child of ours that ended
	   while the tracer waits would be reaped there */
	pid_t killer = fork();

	if (killer == 0) {
		msleep(200);
		kill(me, SIGINT);
		for (;;)
			pause();
	}
	e = py_loop(T, t, pid, "f", &c, 0);
	if (e != TEV_SIGNAL)
		fail(T, "want SIGINT, got %d", e), bad++;
	tracer_detach_all(t);
	printf("%s: %ld + %ld entries of f, signal %d\n", T, n1, c.entry_f,
	       tracer_last_signal(t));
	affinity(pid, aff2, sizeof(aff2));
	printf("%s: affinity after: %s\n", T, aff2);
	if (strcmp(aff0, aff2) != 0)
		fail(T, "affinity not restored"), bad++;
	if (run_sitecheck(T, pid, python))
		bad++;
	tracer_free(t);
	kill(killer, SIGKILL);
	wait_status(killer);
	st = target_wait(&tg);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 7)
		fail(T, "python exit status %#x, want 7", st), bad++;
	if (n1 + c.entry_f < 50)
		fail(T, "too few hits"), bad++;
	if (!bad)
		printf("PASS %s\n", T);
}

/* Python that forks (os.fork, subprocess): every process exits normally. */
static void py_fork(bool follow)
{
	const char *T = follow ? "py-fork" : "py-nofollow";
	const char *s = script(T,
		"f(1)\n"
		"pid = os.fork()\n"
		"if pid == 0:\n"
		"    for i in range(10): f(i)\n"
		"    os._exit(5)\n"
		"_, st = os.waitpid(pid, 0)\n"
		"r = subprocess.run(['/bin/true'])\n"
		"r2 = subprocess.run([sys.executable, '-c', 'def f(x): return x\\nf(1)\\nf(2)'])\n"
		"ok = os.waitstatus_to_exitcode(st) == 5 and r.returncode == 0 and r2.returncode == 0\n"
		"for i in range(5): f(i)\n"
		"print('fork', os.waitstatus_to_exitcode(st), r.returncode, r2.returncode, flush=True)\n"
		"sys.exit(0 if ok else 1)\n");
	char *argv[] = { (char *)python, (char *)s, NULL };
	struct tracer *t = py_tracer(follow, false);
	struct pycount c;
	pid_t pid = launch(T, t, argv, NULL);
	int bad = 0;

	if (pid < 0)
		return;
	py_loop(T, t, pid, "f", &c, now_ns() + 20000000000ULL);
	tracer_free(t);
	printf("%s: f entries %ld returns %ld from %d processes, %ld exits, status %#lx\n",
	       T, c.entry_f, c.return_f, c.pids, c.exits, c.target_status);
	if (!WIFEXITED(c.target_status) || WEXITSTATUS(c.target_status))
		fail(T, "exit status %#lx", c.target_status), bad++;
	/* parent: 1 + 5; fork child: 10; python subprocess: 2 */
	long want = follow ? 18 : 6;

	if (c.entry_f != want)
		fail(T, "%ld entries of f, want %ld", c.entry_f, want), bad++;
	if (!bad)
		printf("PASS %s\n", T);
}

/* Detach while a followed fork child lives: both must be clean. */
static void t_py_fork_detach(void)
{
	const char *T = "py-fork-detach";
	const char *s = script(T,
		"pid = os.fork()\n"
		"for _ in until(sys.argv[1], 30):\n"
		"    f(1)\n    time.sleep(0.001)\n"
		"if pid == 0:\n    os._exit(5)\n"
		"_, st = os.waitpid(pid, 0)\n"
		"sys.exit(0 if os.waitstatus_to_exitcode(st) == 5 else 1)\n");
	char stop[256];
	char *argv[] = { (char *)python, (char *)s, stop, NULL };
	struct tracer *t = py_tracer(true, true);
	struct pycount c;
	pid_t pid;
	int bad = 0, st, fd;

	/* both processes call f until STOP exists: traced until both were
	   seen (a fixed time would race python's start on a busy machine) */
	snprintf(stop, sizeof(stop), "%s/%s.stop", tmpdir, T);
	if ((pid = launch(T, t, argv, NULL)) < 0)
		return;
	py_loop_n(T, t, pid, "f", &c, now_ns() + 20000000000ULL, 2);
	tracer_detach_all(t);
	printf("%s: %ld entries from %d processes before detach\n", T,
	       c.entry_f, c.pids);
	for (int k = 0; k < c.pids; k++)
		if (run_sitecheck(T, c.pid[k], python))
			bad++;
	tracer_free(t);
	fd = open(stop, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
	st = wait_status(pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail(T, "python exit status %#x", st), bad++;
	if (c.pids < 2)
		fail(T, "hits from %d processes, want 2", c.pids), bad++;
	if (!bad)
		printf("PASS %s\n", T);
}

/*
 * Attach and detach again and again while python runs subprocesses (vfork
 * on 3.11) and forks: every process must stay clean and exit normally.
 */
static void t_py_spawn_detach(void)
{
	const char *T = "py-spawn-detach";
	const char *s = script(T,
		"print('ready', flush=True)\n"
		"bad = 0\n"
		"for _ in until(sys.argv[1], 60):\n"
		"    f(1)\n"
		"    r = subprocess.run(['/bin/true'])\n"
		"    bad += r.returncode != 0\n"
		"    pid = os.fork()\n"
		"    if pid == 0:\n"
		"        f(2)\n        os._exit(5)\n"
		"    _, st = os.waitpid(pid, 0)\n"
		"    bad += os.waitstatus_to_exitcode(st) != 5\n"
		"print('bad', bad, flush=True)\n"
		"sys.exit(1 if bad else 0)\n");
	char out[256], err[256], stop[256];
	char *argv[] = { (char *)python, (char *)s, stop, NULL };
	struct target tg;
	pid_t pid;
	int bad = 0, st, cycles = 0, fd;
	long hits = 0;

	/* the target works until STOP exists: it outlives every cycle's
	   sitecheck, however slow the machine */
	snprintf(out, sizeof(out), "%s/%s.out", tmpdir, T);
	snprintf(stop, sizeof(stop), "%s/%s.stop", tmpdir, T);
	if ((pid = spawn_ready(T, argv, out, &tg, "ready")) < 0)
		return;
	for (int i = 0; i < 8 && kill(pid, 0) == 0; i++) {
		struct tracer *t = py_tracer(i % 2 == 0, i % 4 < 2);
		long n;

		if (tracer_attach(t, pid, err, sizeof(err)) < 0) {
			tracer_free(t);
			break;	/* it ended */
		}
		n = trace_for(t, 60 + 17 * i);
		tracer_detach_all(t);
		if (n > 0)
			hits += n;
		if (proc_state(pid) != 'Z' && proc_state(pid) != '?' &&
		    run_sitecheck(T, pid, python))
			bad++;
		tracer_free(t);
		cycles++;
		msleep(30);
	}
	fd = open(stop, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
	st = target_wait(&tg);
	printf("%s: %d attach/detach cycles, %ld hits, exit status %#x\n", T,
	       cycles, hits, st);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail(T, "python exit status %#x", st), bad++;
	if (cycles < 4)
		fail(T, "only %d cycles", cycles), bad++;
	if (!bad)
		printf("PASS %s\n", T);
}

/* A wait whose deadline has already passed is interrupted at once: its
 * SIGALRM once came before the wait was marked as one, and was lost (an
 * agent start hung on it).  Without the fix this group never ends. */
static void t_wait_deadline(void)
{
	const char *T = "wait-deadline";
	struct tracer *t = mk(false, false);
	pid_t c = fork(), k;
	int st, r = -1, e = EINTR, i;

	if (c == 0) {
		pause();
		_exit(0);
	}
	/* a lost wake-up must fail, not hang the suite: after 10 s the
	   child is killed and waitpid returns its pid (a bound, not a
	   timing) */
	k = fork();
	if (k == 0) {
		sleep(10);
		kill(c, SIGKILL);
		_exit(0);
	}
	/* the signal's timing decides: lost about one time in three */
	for (i = 0; i < 30 && r == -1 && e == EINTR; i++) {
		tr_wait_enter(t, tr_now_ns() - 1);
		r = waitpid(c, &st, 0);
		e = errno;
		tr_wait_leave(t);
	}
	kill(c, SIGKILL);
	kill(k, SIGKILL);
	wait_status(c);
	wait_status(k);
	tracer_free(t);
	if (r == -1 && e == EINTR)
		printf("PASS %s: 30 waits past their deadline, each interrupted\n", T);
	else
		fail(T, "waitpid returned %d (%s), not EINTR", r, strerror(e));
}

struct test {
	const char *name;
	void (*fn)(void);
	void (*both)(bool);	/* instead of FN: run with true, then false */
	bool py;
	bool by_name;		/* only when named: a measurement, not a
				   check (bench/hits measures properly) */
};

static const struct test tests[] = {
	{ "sdt", t_sdt, NULL, false, false },
	{ "launch", t_launch, NULL, false, false },
	{ "attach", t_attach, NULL, false, false },
	{ "threads", t_threads, NULL, false, false },
	{ "fork", t_fork, NULL, false, false },
	{ "exec", t_exec, NULL, false, false },
	{ "stop", t_stop, NULL, false, false },
	{ "solib", t_solib, NULL, false, false },
	{ "errors", t_errors, NULL, false, false },
	{ "wait-deadline", t_wait_deadline, NULL, false, false },
	{ "py-launch", t_py_launch, NULL, true, false },
	{ "py-bench", NULL, py_bench, true, true },
	{ "py-threads", t_py_threads, NULL, true, false },
	{ "py-fork", NULL, py_fork, true, false },
	{ "py-fork-detach", t_py_fork_detach, NULL, true, false },
	{ "py-spawn-detach", t_py_spawn_detach, NULL, true, false },
};

static bool ptrace_permitted(void)
{
	pid_t c = fork();
	bool ok;

	if (c == 0) {
		pause();
		_exit(0);
	}
	ok = ptrace(PTRACE_SEIZE, c, 0, 0) == 0;
	kill(c, SIGKILL);
	wait_status(c);
	return ok;
}

int main(int argc, char **argv)
{
	int opt, ran = 0;
	bool have_py;

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* under make check: the build tree and configure's python */
	if (getenv("top_builddir")) {
		static char tb[4096], sb[4096];

		snprintf(tb, sizeof(tb), "%s/tests/targets/sdt_target",
			 getenv("top_builddir"));
		snprintf(sb, sizeof(sb), "%s/tests/tools/sitecheck",
			 getenv("top_builddir"));
		target = tb;
		sitecheck = sb;
	}
	if (getenv("PYTAP_TEST_PYTHON") && *getenv("PYTAP_TEST_PYTHON"))
		python = getenv("PYTAP_TEST_PYTHON");
	while ((opt = getopt(argc, argv, "vt:s:p:")) != -1) {
		switch (opt) {
		case 'v': verbose++; break;
		case 't': target = optarg; break;
		case 's': sitecheck = optarg; break;
		case 'p': python = optarg; break;
		default:
			fprintf(stderr, "usage: tracer_smoke [-v] [-t TARGET] [-s SITECHECK] [-p PYTHON] [TEST...]\n");
			return 2;
		}
	}
	for (int a = optind; a < argc; a++) {
		size_t i;

		for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
			if (strcmp(argv[a], tests[i].name) == 0)
				break;
		if (i == sizeof(tests) / sizeof(tests[0])) {
			fprintf(stderr, "tracer_smoke: no test group '%s'; the groups:", argv[a]);
			for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
				fprintf(stderr, " %s", tests[i].name);
			fprintf(stderr, "\n");
			return 2;
		}
	}
	if (!ptrace_permitted()) {
		if (check_ci()) {
			printf("FAIL: ptrace is not permitted here (CI=true: no skips)\n");
			return 1;
		}
		printf("SKIP: ptrace is not permitted here\n");
		return 77;
	}
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 99;
	}
	have_py = python_ok();
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		bool want = optind == argc && !tests[i].by_name;

		for (int a = optind; a < argc; a++)
			if (strcmp(argv[a], tests[i].name) == 0)
				want = true;
		if (!want)
			continue;
		if (tests[i].py && !have_py) {
			char why[300];

			snprintf(why, sizeof(why), "%s has no SDT notes",
				 python);
			skip(tests[i].name, why);
			continue;
		}
		if (tests[i].fn) {
			tests[i].fn();
		} else {
			tests[i].both(true);
			tests[i].both(false);
		}
		ran++;
	}
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", tmpdir);
	}
	printf("%s: %d test group%s, %d failure%s\n",
	       failures ? "FAILED" : ran ? "OK" : "SKIPPED", ran,
	       ran == 1 ? "" : "s", failures, failures == 1 ? "" : "s");
	return failures ? 1 : ran ? 0 : 77;
}
