/*
 * ring_reader.c - stands in for pytap's reading side of the agent's ring
 * (agent/ring.h), for tests/agent/ and bench/agent.
 *
 * usage: ring_reader PID [-o FILE] [-f SUFFIX] [-W] [-q]
 *
 * Reads the ring's fd number in process PID from stdin (one line; a
 * negative number means the start failed: exit 3), maps
 * /proc/PID/fd/N as pytap does, stores hdr.mapped = 1 and consumes records
 * until the agent's state is no longer RUNNING and the ring is drained.
 * It prints "mapped" on stdout once it has the ring mapped.
 *   -o FILE    per function (co_filename ending in SUFFIX, see -f):
 *              "FILENAME:FIRSTLINENO:QUALNAME entries=N returns=N
 *              yields=N exc=N" sorted (yields, exc: returns flagged
 *              PYTAP_F_YIELD, PYTAP_F_EXC)
 *   -f SUFFIX  only functions whose file name ends so (default: all)
 *   -W         consume nothing until the agent stopped (fills the ring)
 *   -q         no per-function output
 * On stdout, one line of totals and the result of the checks it makes on
 * the stream itself: per thread, every return matches the innermost open
 * entry (same code id) unless records were lost in between; per thread,
 * times never go backwards; every event's code id was described before;
 * the LOST records add up to at most hdr.dropped.
 * Exit status: 0, 1 (a check failed), 2 (usage or I/O), 3 (start failed).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "ring.h"

struct code {
	char *key;              /* FILENAME:FIRSTLINENO:QUALNAME */
	int wanted;
	int live;
	uint64_t entries, returns, yields, resumes, excs;
};

static struct code *codes;      /* by id */
static size_t ncodes;

struct thread {
	uint32_t tid;
	uint64_t last_time;
	uint32_t *stack;
	size_t depth, cap;
	int unreliable;         /* records lost: the stack may be off */
};
static struct thread *threads;
static size_t nthreads;

static const char *suffix = "";
static int problems;

static struct thread *
thread_of(uint32_t tid)
{
	for (size_t i = 0; i < nthreads; i++)
		if (threads[i].tid == tid)
			return &threads[i];
	threads = realloc(threads, (nthreads + 1) * sizeof *threads);
	if (!threads)
		exit(2);
	memset(&threads[nthreads], 0, sizeof *threads);
	threads[nthreads].tid = tid;
	return &threads[nthreads++];
}

static void
problem(const char *fmt, uint64_t a, uint64_t b)
{
	if (problems++ < 10) {
		printf("problem: ");
		printf(fmt, (unsigned long long)a, (unsigned long long)b);
		printf("\n");
	}
}

static int
cmp_key(const void *a, const void *b)
{
	const struct code *x = a, *y = b;
	if (!x->key || !y->key)
		return !x->key - !y->key;
	return strcmp(x->key, y->key);
}

int
main(int argc, char **argv)
{
	const char *out = NULL;
	int wait_stop = 0, quiet = 0, fdnum;
	char path[64], line[64];
	struct pytap_ring_hdr *h;
	uint8_t *data;
	uint64_t tail = 0, nev = 0, nret = 0, nent = 0, lost = 0, ncode = 0, nfree = 0;
	uint64_t t_first = 0, t_last = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: ring_reader PID [-o FILE] [-f SUFFIX] [-W] [-q]\n");
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "-o") && i + 1 < argc)
			out = argv[++i];
		else if (!strcmp(argv[i], "-f") && i + 1 < argc)
			suffix = argv[++i];
		else if (!strcmp(argv[i], "-W"))
			wait_stop = 1;
		else if (!strcmp(argv[i], "-q"))
			quiet = 1;
		else {
			fprintf(stderr, "ring_reader: unknown argument %s\n", argv[i]);
			return 2;
		}
	}
	if (!fgets(line, sizeof line, stdin)) {
		fprintf(stderr, "ring_reader: no fd number on stdin\n");
		return 2;
	}
	fdnum = atoi(line);
	if (fdnum < 0) {
		printf("start failed: %d\n", fdnum);
		return 3;
	}
	snprintf(path, sizeof path, "/proc/%s/fd/%d", argv[1], fdnum);
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "ring_reader: %s: %s\n", path, strerror(errno));
		return 2;
	}
	h = mmap(NULL, PYTAP_RING_HDR_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	if (h == MAP_FAILED || h->magic != PYTAP_RING_MAGIC || h->version != PYTAP_RING_VERSION) {
		fprintf(stderr, "ring_reader: %s: not a pytap ring of version %u\n", path,
			PYTAP_RING_VERSION);
		return 2;
	}
	uint64_t total = h->total_size, size = h->data_size;
	munmap(h, PYTAP_RING_HDR_SIZE);
	h = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (h == MAP_FAILED) {
		fprintf(stderr, "ring_reader: mmap: %s\n", strerror(errno));
		return 2;
	}
	data = (uint8_t *)h + h->hdr_size;
	__atomic_store_n(&h->mapped, 1, __ATOMIC_RELEASE);
	printf("mapped\n");
	fflush(stdout);

	for (;;) {
		uint32_t state = __atomic_load_n(&h->agent_state, __ATOMIC_ACQUIRE);
		if (wait_stop && state == PYTAP_STATE_RUNNING) {
			struct timespec ts = { 0, 1000000 };
			nanosleep(&ts, NULL);
			continue;
		}
		uint64_t head = __atomic_load_n(&h->head, __ATOMIC_ACQUIRE);
		if (tail == head) {
			if (state != PYTAP_STATE_RUNNING &&
			    head == __atomic_load_n(&h->head, __ATOMIC_ACQUIRE))
				break;
			struct timespec ts = { 0, 1000000 };
			nanosleep(&ts, NULL);
			continue;
		}
		while (tail != head) {
			struct pytap_rec *r = (struct pytap_rec *)(data + (tail & (size - 1)));
			if (r->size < 8 || r->size % 8 || r->size > size - (tail & (size - 1))) {
				problem("bad record size %llu at %llu", r->size, tail);
				return 1;
			}
			switch (r->kind) {
			case PYTAP_REC_PAD:
				break;
			case PYTAP_REC_ENTRY:
			case PYTAP_REC_RETURN: {
				struct pytap_rec_event *e = (void *)r;
				struct thread *t = thread_of(e->tid);
				nev++;
				if (!t_first)
					t_first = e->time;
				t_last = e->time;
				if (e->time < t->last_time)
					problem("time goes back in thread %llu (%llu)", e->tid, e->time);
				t->last_time = e->time;
				if (e->code == 0 || e->code >= ncodes || !codes[e->code].key || !codes[e->code].live) {
					problem("event with undescribed code id %llu (kind %llu)", e->code, r->kind);
					break;
				}
				struct code *c = &codes[e->code];
				if (r->kind == PYTAP_REC_ENTRY) {
					nent++;
					c->entries++;
					c->resumes += (r->flags & PYTAP_F_RESUME) != 0;
					if (t->depth == t->cap) {
						t->cap = t->cap ? 2 * t->cap : 64;
						t->stack = realloc(t->stack, t->cap * sizeof *t->stack);
						if (!t->stack)
							return 2;
					}
					t->stack[t->depth++] = e->code;
				} else {
					nret++;
					c->returns++;
					c->yields += (r->flags & PYTAP_F_YIELD) != 0;
					c->excs += (r->flags & PYTAP_F_EXC) != 0;
					if (t->depth > 0) {
						if (t->stack[t->depth - 1] != e->code && !t->unreliable)
							problem("return of code %llu, innermost entry is %llu",
								e->code, t->stack[t->depth - 1]);
						t->depth--;
					}
				}
				break;
			}
			case PYTAP_REC_CODE: {
				struct pytap_rec_code *c = (void *)r;
				const char *s = (const char *)(c + 1);
				const char *fn = s, *qn = s + c->filename_len + c->name_len;
				if (sizeof *c + c->filename_len + c->name_len + c->qualname_len +
				    c->module_len + c->linetable_len > r->size) {
					problem("CODE record %llu too short (%llu)", c->code, r->size);
					break;
				}
				ncode++;
				if (c->code >= ncodes) {
					size_t n = ncodes ? ncodes : 1024;
					while (n <= c->code)
						n *= 2;
					codes = realloc(codes, n * sizeof *codes);
					if (!codes)
						return 2;
					memset(codes + ncodes, 0, (n - ncodes) * sizeof *codes);
					ncodes = n;
				}
				if (codes[c->code].key)
					problem("code id %llu described twice%s", c->code, 0);
				size_t sl = strlen(suffix);
				char *key = malloc(c->filename_len + c->qualname_len + 16);
				if (!key)
					return 2;
				sprintf(key, "%.*s:%u:%.*s", (int)c->filename_len, fn, c->firstlineno,
					(int)c->qualname_len, qn);
				codes[c->code].key = key;
				codes[c->code].live = 1;
				codes[c->code].wanted = c->filename_len >= sl &&
					memcmp(fn + c->filename_len - sl, suffix, sl) == 0;
				break;
			}
			case PYTAP_REC_CODE_FREE: {
				struct pytap_rec_code_free *f = (void *)r;
				nfree++;
				if (f->code >= ncodes || !codes[f->code].live)
					problem("CODE_FREE of unknown id %llu%s", f->code, 0);
				else
					codes[f->code].live = 0;
				break;
			}
			case PYTAP_REC_LOST:
				lost += ((struct pytap_rec_lost *)r)->count;
				for (size_t i = 0; i < nthreads; i++)
					threads[i].unreliable = 1;
				break;
			default:
				problem("unknown record kind %llu at %llu", r->kind, tail);
				return 1;
			}
			tail += r->size;
		}
		__atomic_store_n(&h->tail, tail, __ATOMIC_RELEASE);
	}
	uint64_t dropped = __atomic_load_n(&h->dropped, __ATOMIC_ACQUIRE);
	if (lost > dropped)
		problem("LOST records say %llu, the header %llu dropped", lost, dropped);
	double span = 0;
	if (h->clock == PYTAP_CLOCK_TSC)
		span = (double)(pytap_ring_time_ns(h, t_last) - pytap_ring_time_ns(h, t_first)) / 1e9;
	else
		span = (double)(t_last - t_first) / 1e9;
	printf("events=%llu entries=%llu returns=%llu codes=%llu frees=%llu dropped=%llu lost=%llu"
	       " codes_over=%llu state=%u threads=%zu clock=%s span=%s problems=%d\n",
	       (unsigned long long)nev, (unsigned long long)nent, (unsigned long long)nret,
	       (unsigned long long)ncode, (unsigned long long)nfree,
	       (unsigned long long)dropped, (unsigned long long)lost,
	       (unsigned long long)h->codes_over, h->agent_state, nthreads,
	       h->clock == PYTAP_CLOCK_TSC ? "tsc" : "monotonic",
	       span >= 0 && span < 3600 ? "ok" : "bad", problems);
	if (out && !quiet) {
		/* merge ids of the same function (a code object per id) */
		FILE *f = fopen(out, "w");
		if (!f)
			return 2;
		qsort(codes, ncodes, sizeof *codes, cmp_key);
		for (size_t i = 0; i < ncodes; i++) {
			if (!codes[i].key || !codes[i].wanted)
				continue;
			uint64_t e = codes[i].entries, r = codes[i].returns, y = codes[i].yields;
			uint64_t x = codes[i].excs;
			while (i + 1 < ncodes && codes[i + 1].key && !strcmp(codes[i + 1].key, codes[i].key)) {
				i++;
				e += codes[i].entries;
				r += codes[i].returns;
				y += codes[i].yields;
				x += codes[i].excs;
			}
			if (e || r)
				fprintf(f, "%s entries=%llu returns=%llu yields=%llu exc=%llu\n",
					codes[i].key, (unsigned long long)e, (unsigned long long)r,
					(unsigned long long)y, (unsigned long long)x);
		}
		fclose(f);
	}
	for (size_t i = 0; i < ncodes; i++)
		free(codes[i].key);
	free(codes);
	for (size_t i = 0; i < nthreads; i++)
		free(threads[i].stack);
	free(threads);
	munmap(h, total);
	return problems ? 1 : 0;
}
