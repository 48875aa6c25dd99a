/*
 * bench/hits.c - what a probe hit and an attach cost (design.md section 5),
 * measured in one run:
 *
 *   1. a bare ptrace loop: a child fires an int3 on an SDT nop N times,
 *      the parent does waitpid + PTRACE_GETREGS + PTRACE_CONT per hit
 *      (the least any ptrace tracer can do), both on one CPU (pinned),
 *      then left to the scheduler (not pinned);
 *   2. pytap -c on the same C loop (process("...").mark("hit") { n++ }),
 *      pinned (the default) and --no-pin;
 *   3. pytap -c on Debian's python3.11 calling an empty function N times
 *      (python.function.entry { n++ }), pinned and --no-pin; this
 *      includes CPython 3.11's slower tracing path (the 'line'
 *      semaphore pytap raises with function__entry);
 *   4. attaching: the engine alone (tracer_attach, arm, tracer_detach_all
 *      on a busy python3.11, ELF notes read each time) and a whole
 *      `pytap -x PID` run that attaches, arms, detaches and exits.
 *
 * pytap's per-hit figures are (T(N) - T(0)) / N for whole pytap runs, so
 * they exclude start-up and exit; the python figure also subtracts the
 * untraced run's time for the same N.
 *
 * usage: bench/hits [-n HITS] [-p PYTAP] [-P PYTHON]
 *        bench/hits --loop N        (the C target: fire bench:hit N times)
 * Environment: PYTAP, PYTAP_TEST_PYTHON (as for make check).
 * Prints a table of figures; exits 0, or 1 if something could not run.
 */
#include <sys/sdt.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tracer.h"

static const char *pytap = "./pytap";
static const char *python = "/usr/bin/python3.11";
static char self[4096];

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the C target ---- */

static void __attribute__((noinline)) fire(long i)
{
	STAP_PROBE1(bench, hit, i);
}

static int loop_main(long n)
{
	for (long i = 0; i < n; i++)
		fire(i);
	return 0;
}

/* ---- 1. the bare ptrace loop ---- */

/* The run-time address of bench:hit's nop in this program (and in a fork
 * of it): the note's pc plus this process's load bias. */
static uint64_t site_addr(void)
{
	struct sdt_file f;
	char err[256], line[4200];
	uint64_t addr = 0, bias;
	FILE *m;

	if (sdt_file_read(self, &f, err, sizeof(err)) < 0)
		return 0;
	m = fopen("/proc/self/maps", "re");
	while (m && fgets(line, sizeof(line), m)) {
		unsigned long long start, end, off;
		char perms[8], path[4096] = "";

		if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %4095s", &start,
			   &end, perms, &off, path) == 5 &&
		    strcmp(path, self) == 0 &&
		    sdt_file_bias(&f, start, off, &bias) == 0)
			break;
	}
	if (m)
		fclose(m);
	for (size_t i = 0; i < f.nprobes; i++)
		if (strcmp(f.probes[i].name, "hit") == 0)
			addr = f.probes[i].pc + bias;
	sdt_file_free(&f);
	return addr;
}

static void pin_to(pid_t pid, int cpu)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	sched_setaffinity(pid, sizeof(s), &s);
}

/* Seconds per hit of a bare waitpid/GETREGS/CONT loop over N hits. */
static double bare_loop(long n, bool pin)
{
	cpu_set_t saved;
	uint64_t site = site_addr();
	int go[2], status;
	char path[64], cc = (char)0xcc;
	long hits = 0;
	double t0, t1;
	pid_t c;
	int fd;

	if (site == 0 || pipe(go) < 0)
		return -1;
	sched_getaffinity(0, sizeof(saved), &saved);
	if (pin)
		pin_to(0, sched_getcpu());
	c = fork();
	if (c == 0) {
		char b;

		close(go[1]);
		if (read(go[0], &b, 1) != 1)
			_exit(1);
		_exit(loop_main(n));
	}
	close(go[0]);
	if (ptrace(PTRACE_SEIZE, c, 0, 0) < 0) {
		kill(c, SIGKILL);
		waitpid(c, &status, 0);
		return -1;
	}
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)c);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 || pwrite(fd, &cc, 1, (off_t)site) != 1) {
		kill(c, SIGKILL);
		waitpid(c, &status, 0);
		return -1;
	}
	close(fd);
	t0 = now_s();
	if (write(go[1], "g", 1) != 1)
		return -1;
	close(go[1]);
	for (;;) {
		struct user_regs_struct regs;

		if (waitpid(c, &status, __WALL) < 0)
			break;
		if (WIFEXITED(status) || WIFSIGNALED(status))
			break;
		if (WIFSTOPPED(status) && WSTOPSIG(status) == SIGTRAP &&
		    (status >> 16) == 0) {
			hits++;
			ptrace(PTRACE_GETREGS, c, 0, &regs);
			ptrace(PTRACE_CONT, c, 0, 0);
		} else {
			ptrace(PTRACE_CONT, c, 0, 0);
		}
	}
	t1 = now_s();
	sched_setaffinity(0, sizeof(saved), &saved);
	return hits == n ? (t1 - t0) / (double)n : -1;
}

/* ---- running pytap ---- */

/* Run ARGV with stdout and stderr to /dev/null; returns the seconds it
 * took, or -1 if it did not exit 0. */
static double run(char *const argv[])
{
	double t0 = now_s();
	int status;
	pid_t c = fork();

	if (c == 0) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 1);
		dup2(fd, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	while (waitpid(c, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -1;
	return now_s() - t0;
}

/* The best of 3 runs (the least disturbed by the rest of the machine). */
static double best(char *const argv[])
{
	double b = -1;

	for (int i = 0; i < 3; i++) {
		double t = run(argv);

		if (t < 0)
			return -1;
		if (b < 0 || t < b)
			b = t;
	}
	return b;
}

static double pytap_c_loop(long n, bool pin)
{
	char cmd[4200], script[4400];
	char *argv[] = { (char *)pytap, pin ? "-c" : "--no-pin", pin ? cmd : "-c",
			 pin ? "-e" : cmd, pin ? script : "-e",
			 pin ? NULL : script, NULL };

	snprintf(cmd, sizeof(cmd), "%s --loop %ld", self, n);
	snprintf(script, sizeof(script),
		 "global n probe process(\"%s\").mark(\"hit\") { n++ } "
		 "probe end { if (n != %ld) error(\"missed hits\") }", self, n);
	return best(argv);
}

static double pytap_py(long n, bool pin, bool traced)
{
	char cmd[4200], code[256];
	const char *script = "global n probe python.function.entry { "
			     "if (funcname == \"f\") n++ }";
	char *pargv[] = { (char *)pytap, pin ? "-c" : "--no-pin",
			  pin ? cmd : "-c", pin ? "-e" : cmd,
			  pin ? (char *)script : "-e",
			  pin ? NULL : (char *)script, NULL };
	char *uargv[] = { (char *)python, "-c", code, NULL };

	snprintf(code, sizeof(code),
		 "def f():\n    pass\nfor i in range(%ld):\n    f()\n", n);
	snprintf(cmd, sizeof(cmd), "%s -c 'def f():\n    pass\n"
		 "for i in range(%ld):\n    f()\n'", python, n);
	return best(traced ? pargv : uargv);
}

/* ---- 4. attaching ---- */

static pid_t busy_python(void)
{
	char *argv[] = { (char *)python, "-c",
			 "def f():\n    pass\nwhile True:\n    f()\n", NULL };
	pid_t c = fork();

	if (c == 0) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	usleep(300000);
	return c;
}

/* Seconds for tracer_attach + arming + tracer_detach_all, averaged. */
static double engine_attach(pid_t pid, int rounds, size_t *armed)
{
	double t0 = now_s();

	for (int i = 0; i < rounds; i++) {
		struct tracer_options o = { .follow_forks = true,
					    .pin_cpu = true };
		struct tracer_request r = { .provider = "python",
					    .name = "function__entry" };
		struct tracer *t = tracer_new(&o);
		char err[256];

		tracer_add_request(t, &r);
		r.name = "line";
		r.sema_only = true;
		r.id = -1;
		tracer_add_request(t, &r);
		if (tracer_attach(t, pid, err, sizeof(err)) < 0) {
			fprintf(stderr, "hits: attach: %s\n", err);
			tracer_free(t);
			return -1;
		}
		*armed = tracer_armed_sites(t);
		tracer_detach_all(t);
		tracer_free(t);
	}
	return (now_s() - t0) / rounds;
}

static double cli_attach(pid_t pid)
{
	char spid[32];
	char *argv[] = { (char *)pytap, "-x", spid, "-e",
			 "probe python.function.entry { } probe begin { exit() }",
			 NULL };

	snprintf(spid, sizeof(spid), "%d", (int)pid);
	return best(argv);
}

static void row(const char *what, double s)
{
	if (s < 0)
		printf("  %-52s   failed\n", what);
	else
		printf("  %-52s %9.2f us\n", what, s * 1e6);
}

int main(int argc, char **argv)
{
	long n = 200000;
	ssize_t len;
	int bad = 0;

	if (argc == 3 && strcmp(argv[1], "--loop") == 0)
		return loop_main(atol(argv[2]));
	if (getenv("PYTAP"))
		pytap = getenv("PYTAP");
	if (getenv("PYTAP_TEST_PYTHON") && *getenv("PYTAP_TEST_PYTHON"))
		python = getenv("PYTAP_TEST_PYTHON");
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-n") && i + 1 < argc)
			n = atol(argv[++i]);
		else if (!strcmp(argv[i], "-p") && i + 1 < argc)
			pytap = argv[++i];
		else if (!strcmp(argv[i], "-P") && i + 1 < argc)
			python = argv[++i];
		else {
			fprintf(stderr, "usage: hits [-n HITS] [-p PYTAP] [-P PYTHON]\n");
			return 2;
		}
	}
	len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len <= 0)
		return 1;
	self[len] = '\0';
	if (access(pytap, X_OK) != 0) {
		fprintf(stderr, "hits: %s: not executable (set PYTAP)\n", pytap);
		return 1;
	}
	/* unpinned hits cost 10-20 times more: fewer of them */
	long nu = n / 10 > 0 ? n / 10 : 1;

	printf("pytap bench: cost per probe hit (%ld hits pinned, %ld not; "
	       "%ld CPUs)\n", n, nu, sysconf(_SC_NPROCESSORS_ONLN));
	printf("C loop, one SDT nop per iteration:\n");
	double bp = -1, bu = -1;

	for (int i = 0; i < 3; i++) {	/* the best of 3, as for pytap */
		double p = bare_loop(n, true), u = bare_loop(nu, false);

		if (p > 0 && (bp < 0 || p < bp))
			bp = p;
		if (u > 0 && (bu < 0 || u < bu))
			bu = u;
	}

	row("bare ptrace loop, pinned (waitpid+GETREGS+CONT)", bp);
	row("bare ptrace loop, not pinned", bu);
	double t0p = pytap_c_loop(0, true), tp = pytap_c_loop(n, true);
	double t0u = pytap_c_loop(0, false), tu = pytap_c_loop(nu, false);
	double pp = t0p < 0 || tp < 0 ? -1 : (tp - t0p) / (double)n;
	double pu = t0u < 0 || tu < 0 ? -1 : (tu - t0u) / (double)nu;

	row("pytap, pinned (default)", pp);
	row("pytap --no-pin", pu);
	if (bp > 0 && pp > 0)
		printf("  %-52s %9.2f us\n", "pytap's own work per hit, pinned",
		       (pp - bp) * 1e6);
	bad |= bp < 0 || bu < 0 || pp < 0 || pu < 0;

	printf("%s, an empty function called N times (python.function.entry):\n",
	       python);
	if (access(python, X_OK) == 0) {
		long pn = n / 2, pnu = nu / 2;
		double u0 = pytap_py(0, true, false), un = pytap_py(pn, true, false);
		double unu = pytap_py(pnu, true, false);
		double q0 = pytap_py(0, true, true), qn = pytap_py(pn, true, true);
		double r0 = pytap_py(0, false, true), rn = pytap_py(pnu, false, true);
		double untr = u0 < 0 || un < 0 ? -1 : (un - u0) / (double)pn;
		double pyp = q0 < 0 || qn < 0 || untr < 0 ? -1 :
			     (qn - q0) / (double)pn - untr;
		double pyu = r0 < 0 || rn < 0 || unu < 0 ? -1 :
			     (rn - r0) / (double)pnu - (unu - u0) / (double)pnu;

		row("untraced call", untr);
		row("pytap, pinned: extra per call", pyp);
		row("pytap --no-pin: extra per call", pyu);
		bad |= untr < 0 || pyp < 0 || pyu < 0;

		printf("attaching to a busy %s:\n", python);
		pid_t b = busy_python();
		size_t armed = 0;
		double ea = engine_attach(b, 50, &armed);
		double ca = cli_attach(b);

		row("engine: attach, arm, detach (ELF notes read each time)", ea);
		row("pytap -x PID, whole run (compile, attach, detach)", ca);
		printf("  (%zu site%s armed each time)\n", armed,
		       armed == 1 ? "" : "s");
		kill(b, SIGKILL);
		waitpid(b, NULL, 0);
		bad |= ea < 0 || ca < 0;
	} else {
		printf("  skipped: %s is not there\n", python);
	}
	return bad ? 1 : 0;
}
