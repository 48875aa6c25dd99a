/*
 * smoke.c - what the groups of tests/unit/tracer_smoke.c share: see
 * smoke.h.
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
#include "tracer.h"
#include "check.h"
#include "smoke.h"

const char *target = "tests/targets/sdt_target";
const char *sitecheck = "tests/tools/sitecheck";
const char *python = "/usr/bin/python3.11";
int verbose;
int failures;
char tmpdir[] = "/tmp/pytap-smoke-XXXXXX";

void fail(const char *test, const char *fmt, ...)
{
	va_list ap;

	printf("FAIL %s: ", test);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	failures++;
}

/* TEST cannot run here (WHY): SKIP, but a failure under CI=true. */
void skip(const char *test, const char *why)
{
	if (check_ci())
		fail(test, "cannot run under CI=true: %s", why);
	else
		printf("SKIP %s: %s\n", test, why);
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void msleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* ---- a growing list of lines ---- */


void lines_add(struct lines *l, const char *s)
{
	l->v = realloc(l->v, (l->n + 1) * sizeof(char *));
	l->v[l->n++] = strdup(s);
}

void lines_free(struct lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int strp_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every line of SUB occurs in ALL (as multisets); EXACT: and vice versa. */
int lines_check(const char *test, struct lines *all, struct lines *sub,
		int exact)
{
	size_t i = 0, j = 0;
	int bad = 0;

	qsort(all->v, all->n, sizeof(char *), strp_cmp);
	qsort(sub->v, sub->n, sizeof(char *), strp_cmp);
	while (j < sub->n) {
		int c = i < all->n ? strcmp(all->v[i], sub->v[j]) : 1;

		if (c == 0) {
			i++;
			j++;
		} else if (c < 0) {
			if (exact && bad++ < 5)
				fail(test, "expected but not seen: %s",
				     all->v[i]);
			i++;
		} else {
			if (bad++ < 5)
				fail(test, "seen but not expected: %s",
				     sub->v[j]);
			j++;
		}
	}
	while (exact && i < all->n) {
		if (bad++ < 5)
			fail(test, "expected but not seen: %s", all->v[i]);
		i++;
	}
	return bad;
}

/* Lines "expect target:NAME R: V..." of FILE as "target:NAME: V...". */
void read_expect(const char *file, struct lines *l, int *sema_on)
{
	FILE *f = fopen(file, "r");
	char line[1024];

	*sema_on = 0;
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f)) {
		char name[128], *colon;
		int r;

		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "sema ", 5) == 0) {
			colon = strchr(line, ':');
			if (colon && atoi(colon + 1) > 0)
				(*sema_on)++;
			continue;
		}
		if (sscanf(line, "expect %127s %d:", name, &r) != 2)
			continue;
		colon = strchr(line + 7, ':');
		colon = colon ? strchr(colon + 1, ':') : NULL;
		if (colon == NULL)
			continue;
		char out[1200];

		snprintf(out, sizeof(out), "%s:%s", name, colon + 1);
		lines_add(l, out);
	}
	fclose(f);
}

/* ---- decoding a hit ---- */

int reader(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct tracer_hit *h = ctx;

	return tracer_read(cur_tracer, h->pid, addr, buf, len);
}

struct tracer *cur_tracer;

/* "provider:name: v1 v2 ..." with the args of H; string args by INDEX. */
void hit_line(struct tracer *t, struct tracer_hit *h, int strarg,
	      char *out, size_t len)
{
	const struct sdt_probe *p = h->probe;
	size_t o;

	cur_tracer = t;
	o = (size_t)snprintf(out, len, "%s:%s:", p->provider, p->name);
	for (int i = 0; i < p->nargs && o < len; i++) {
		int64_t v;

		if (sdt_arg_fetch(&p->args[i], &h->regs, reader, h, &v) < 0) {
			o += (size_t)snprintf(out + o, len - o, " ?");
			continue;
		}
		if (i == strarg) {
			char s[256];

			if (tracer_read_str(t, h->pid, (uint64_t)v, s,
					    sizeof(s)) < 0)
				snprintf(s, sizeof(s), "<bad %#" PRIx64 ">",
					 (uint64_t)v);
			o += (size_t)snprintf(out + o, len - o, " %s", s);
		} else {
			o += (size_t)snprintf(out + o, len - o, " %" PRId64, v);
		}
	}
}

/* ---- processes ---- */


static ssize_t read_full(int fd, void *buf, size_t len)
{
	ssize_t n;

	do
		n = read(fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n;
}

/* Run ARGV with stdout to OUTFILE, untraced; returns the target's pid. */
pid_t spawn(char *const argv[], const char *outfile,
	    struct target *tg)
{
	int st[2], rel[2];

	tg->pid = -1;
	if (pipe2(st, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(rel, O_CLOEXEC) < 0) {
		close(st[0]);
		close(st[1]);
		return -1;
	}
	fflush(stdout);
	tg->keeper = fork();
	if (tg->keeper == 0) {
		int status = -1;
		char c;
		pid_t pid;

		/* nothing but our two ends: another target's release end
		   held here would keep its keeper waiting */
		for (int fd = 3; fd < 1024; fd++)
			if (fd != st[1] && fd != rel[0])
				close(fd);
		pid = fork();
		if (pid == 0) {
			int fd = open(outfile, O_WRONLY | O_CREAT | O_TRUNC,
				      0644);

			if (fd >= 0) {
				dup2(fd, 1);
				close(fd);
			}
			execv(argv[0], argv);
			_exit(127);
		}
		if (write(st[1], &pid, sizeof(pid)) != sizeof(pid))
			_exit(1);
		while (pid > 0 && waitpid(pid, &status, 0) < 0 &&
		       errno == EINTR)
			;
		if (write(st[1], &status, sizeof(status)) != sizeof(status))
			_exit(1);
		while (read_full(rel[0], &c, 1) > 0)
			;
		_exit(0);
	}
	close(st[1]);
	close(rel[0]);
	tg->status_fd = st[0];
	tg->release_fd = rel[1];
	if (tg->keeper < 0 ||
	    read_full(st[0], &tg->pid, sizeof(tg->pid)) != sizeof(tg->pid))
		tg->pid = -1;
	return tg->pid;
}

/* The target's wait status once it ended (-1 if unknown); then the
 * keeper is released and reaped.  Call it with no tracer waiting.  A
 * target still there after TARGET_WAIT_MS (left stopped, say) is killed,
 * and the status says so (WIFSIGNALED, SIGKILL). */
#define TARGET_WAIT_MS 30000
int target_wait(struct target *tg)
{
	struct pollfd pfd = { tg->status_fd, POLLIN, 0 };
	int status = -1, st, r;

	do
		r = poll(&pfd, 1, TARGET_WAIT_MS);
	while (r < 0 && errno == EINTR);
	if (r == 0 && tg->pid > 0) {
		printf("target %d did not end within %d ms: killed\n",
		       (int)tg->pid, TARGET_WAIT_MS);
		kill(tg->pid, SIGKILL);
		/* a tracer that failed to let go: its threads' stops and
		   exits come to us (their tracer) before the keeper sees
		   the end; let go of them (the keeper never ends before
		   release_fd is closed, so it is not reaped here) */
		for (int i = 0; i < 500 && poll(&pfd, 1, 10) == 0; i++) {
			pid_t w;

			while ((w = waitpid(-1, &st, __WALL | WNOHANG)) > 0)
				if (WIFSTOPPED(st))
					ptrace(PTRACE_DETACH, w, 0, 0);
		}
	}
	if (read_full(tg->status_fd, &status, sizeof(status)) !=
	    sizeof(status))
		status = -1;
	close(tg->status_fd);
	close(tg->release_fd);
	while (tg->keeper > 0 && waitpid(tg->keeper, &st, 0) < 0 &&
	       errno == EINTR)
		;
	return status;
}

/* Kill the target, then as target_wait(). */
void target_kill(struct target *tg)
{
	if (tg->pid > 0)
		kill(tg->pid, SIGKILL);
	target_wait(tg);
}

/* Wait until FILE contains WHAT (at most MS). */
int wait_for(const char *file, const char *what, long ms)
{
	for (long i = 0; i < ms / 10; i++) {
		FILE *f = fopen(file, "r");
		char line[1024];

		if (f) {
			while (fgets(line, sizeof(line), f)) {
				if (strstr(line, what)) {
					fclose(f);
					return 0;
				}
			}
			fclose(f);
		}
		msleep(10);
	}
	return -1;
}

int run_sitecheck(const char *test, pid_t pid, const char *elf)
{
	char cmd[1024];
	int rc;

	snprintf(cmd, sizeof(cmd), "%s -q %d %s", sitecheck, (int)pid, elf);
	rc = system(cmd);
	if (rc != 0) {
		fail(test, "sitecheck %d %s: status %d", (int)pid, elf, rc);
		return -1;
	}
	return 0;
}

int wait_status(pid_t pid)
{
	int st = -1;

	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return st;
}

struct tracer *mk(bool follow, bool pin)
{
	struct tracer_options o = { .follow_forks = follow, .pin_cpu = pin,
				    .verbose = verbose };

	return tracer_new(&o);
}

void req(struct tracer *t, const char *prov, const char *name,
	 int id, bool sema_only)
{
	struct tracer_request r = { NULL, prov, name, id, sema_only };

	tracer_add_request(t, &r);
}

pid_t launch(const char *test, struct tracer *t, char *const argv[],
	     const char *outfile)
{
	char err[256];
	int saved = -1;
	pid_t pid;

	fflush(stdout);
	if (outfile) {
		int fd = open(outfile, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		saved = dup(1);
		dup2(fd, 1);
		close(fd);
	}
	pid = tracer_launch(t, (char **)argv, err, sizeof(err));
	if (saved >= 0) {
		dup2(saved, 1);
		close(saved);
	}
	if (pid < 0) {
		fail(test, "launch: %s", err);
		tracer_free(t);
	}
	return pid;
}

bool attach_to(const char *test, struct tracer *t, pid_t pid,
	       struct target *tg)
{
	char err[256];

	if (tracer_attach(t, pid, err, sizeof(err)) == 0)
		return true;
	fail(test, "attach: %s", err);
	tracer_free(t);
	target_kill(tg);
	return false;
}

pid_t spawn_ready(const char *test, char *const argv[], const char *outfile,
		  struct target *tg, const char *ready)
{
	pid_t pid = spawn(argv, outfile, tg);

	if (wait_for(outfile, ready, 5000) == 0)
		return pid;
	fail(test, "the target did not say '%s'", ready);
	target_kill(tg);
	return -1;
}
