/*
 * sdt_target.c - a test target with SDT probes whose arguments cover every
 * operand form the tracer decodes, printing the values it passes so that a
 * test can compare them with what the tracer saw.
 *
 * usage: sdt_target ROUNDS [SLEEP_MS [THREADS [MODE]]]
 *	MODE: fork|vfork|vforkslow|exec|leaderexit
 *
 * Each round prints, before firing the probes,
 *	expect target:NAME R: V1 V2 ...
 * one line per probe, the values as the tracer should decode them (signed
 * decimal of the 64-bit sign- or zero-extended value; strings as text).
 * The probe target:guarded fires only while its semaphore is raised; the
 * line "sema R: N" shows the semaphore each round.  THREADS > 1 runs the
 * rounds in that many threads at once.  "fork" forks a child after the
 * first round that runs the remaining rounds too and is waited for; "vfork"
 * vforks a child that execs /bin/true ("vforkslow": after 4 seconds, so
 * that the parent is stuck in vfork() meanwhile, printing "vforked" then);
 * "exec" execs itself with ROUNDS-1;
 * "leaderexit" ends the main thread with pthread_exit() once the other
 * THREADS-1 threads run (the process lives on with a zombie leader).
 * "threads started" says that all THREADS threads exist (a test that
 * attaches waits for it).
 * Exits 0; a child exits 3 so the parent can check it was not harmed.
 *
 * Probes (provider "target"):
 *	regs      12 register operands: 8@%rax -4@%eax 2@%ax 1@%al 1@%ah
 *	          -1@%ah -2@%bx -1@%bl 4@%r8d -2@%r8w -1@%r8b 8@%r9
 *	mem       memory and constant operands: (%rsi) 16(%rsi)
 *	          -8(%rsi,%rcx,8) 0(,%rdx,1) 24(%rsi) 33(%rsi) $5 $-7 $-1
 *	          target_gvar(%rip) target_garr+8(%rip)
 *	basic     compiler-chosen operands: long, int, unsigned char, short,
 *	          a global int and a char * string
 *	guarded   fires only when target_guarded_semaphore != 0
 *	multi     two sites of one probe (one semaphore), argument 1 at the
 *	          first, 2 at the second
 *	nosema    no semaphore, no arguments
 */
#define _SDT_HAS_SEMAPHORES 1
#include <sys/sdt.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SEMA(name) \
	volatile unsigned short target_##name##_semaphore \
	__attribute__((unused, section(".probes")))

SEMA(regs);
SEMA(mem);
SEMA(basic);
SEMA(guarded);
SEMA(multi);

int target_gvar = -123456;
int64_t target_garr[2] = {0x0102030405060708LL, -77};

/* A probe whose argument string is written out, for exact operands. */
#define RAWPROBE(name, argstr) \
	STAP_PROBE_ASM(target, name, ".ascii \"" argstr "\"\n", "x")

static int rounds = 3;
static long sleep_ms;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void out(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&out_lock);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);
}

static void fire_regs(int r)
{
	uint64_t va = 0x112233449abcde00ULL + (uint64_t)r;
	uint64_t vb = (uint64_t)(-(int64_t)(r + 1000));
	uint64_t v8 = 0x00000000ffffff80ULL + (uint64_t)r;
	uint64_t v9 = 0x8000000000000000ULL + (uint64_t)r;

	out("expect target:regs %d: %" PRId64 " %" PRId64 " %" PRId64
	    " %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64
	    " %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 "\n", r,
	    (int64_t)va, (int64_t)(int32_t)va, (int64_t)(uint16_t)va,
	    (int64_t)(uint8_t)va, (int64_t)(uint8_t)(va >> 8),
	    (int64_t)(int8_t)(va >> 8), (int64_t)(int16_t)vb,
	    (int64_t)(int8_t)vb, (int64_t)(uint32_t)v8, (int64_t)(int16_t)v8,
	    (int64_t)(int8_t)v8, (int64_t)v9);
	/* local register variables hold only if set right before the asm */
	register uint64_t r8 __asm__("r8") = v8;
	register uint64_t r9 __asm__("r9") = v9;
	__asm__ __volatile__(RAWPROBE(regs,
		"8@%%rax -4@%%eax 2@%%ax 1@%%al 1@%%ah -1@%%ah -2@%%bx "
		"-1@%%bl 4@%%r8d -2@%%r8w -1@%%r8b 8@%%r9")
		:: "a"(va), "b"(vb), "r"(r8), "r"(r9) : "memory");
}

static void fire_mem(int r)
{
	int64_t arr[8];
	unsigned char *b = (unsigned char *)arr;

	for (int i = 0; i < 8; i++)
		arr[i] = (int64_t)0x0f0e0d0c0b0a0908LL * (i + 1) - r;
	arr[2] = -(int64_t)(r + 5);
	out("expect target:mem %d: %" PRId64 " %" PRId64 " %" PRId64 " %"
	    PRId64 " %" PRId64 " %" PRId64 " 5 -7 -1 %d %" PRId64 "\n", r,
	    arr[0], (int64_t)(int32_t)arr[2], arr[3], arr[3],
	    (int64_t)(int16_t)arr[3], (int64_t)b[33], target_gvar,
	    target_garr[1]);
	__asm__ __volatile__(RAWPROBE(mem,
		"8@(%%rsi) -4@16(%%rsi) 8@-8(%%rsi,%%rcx,8) 8@0(,%%rdx,1) "
		"-2@24(%%rsi) 1@33(%%rsi) 4@$5 -8@$-7 -1@$-1 "
		"-4@target_gvar(%%rip) -8@target_garr+8(%%rip)")
		:: "S"(arr), "c"(4L), "d"(&arr[3]), "m"(target_gvar),
		"m"(target_garr) : "memory");
}

static void fire_basic(int r)
{
	char str[32];
	long a = 1000000000000L * r + 1;
	int bi = -r;
	unsigned char c = (unsigned char)(200 + r);
	short s = (short)(-300 - r);

	snprintf(str, sizeof(str), "round-%d", r);
	out("expect target:basic %d: %ld %d %u %d %d %s\n", r, a, bi,
	    (unsigned)c, s, target_gvar, str);
	STAP_PROBE6(target, basic, a, bi, c, s, target_gvar, str);
}

static void fire_nosema(int r);

/* Two sites of target:multi, in two functions the compiler keeps apart. */
static void __attribute__((noinline)) fire_multi1(int r)
{
	out("expect target:multi %d: 1\n", r);
	STAP_PROBE1(target, multi, 1);
}

static void __attribute__((noinline)) fire_multi2(int r)
{
	out("expect target:multi %d: 2\n", r);
	STAP_PROBE1(target, multi, 2);
}

static void round_once(int r)
{
	out("sema %d: %u\n", r, (unsigned)target_guarded_semaphore);
	fire_regs(r);
	fire_mem(r);
	fire_basic(r);
	if (target_guarded_semaphore) {
		out("expect target:guarded %d: %d\n", r, r);
		STAP_PROBE1(target, guarded, r);
	}
	fire_multi1(r);
	fire_multi2(r);
	fire_nosema(r);
}

static void nap(void)
{
	struct timespec ts = { sleep_ms / 1000, (sleep_ms % 1000) * 1000000 };

	if (sleep_ms > 0)
		nanosleep(&ts, NULL);
}

static void *run(void *arg)
{
	int first = (int)(intptr_t)arg;

	for (int r = first; r <= rounds; r++) {
		round_once(r);
		nap();
	}
	return NULL;
}

static void __attribute__((noinline)) do_vfork(bool slow)
{
	struct timespec four = { 4, 0 };
	int st;
	pid_t c;

	if (slow)
		out("vforked\n");
	c = vfork();
	if (c == 0) {
		if (slow)
			nanosleep(&four, NULL);
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	waitpid(c, &st, 0);
	out("vchild exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : 128 +
	    WTERMSIG(st));
}

int main(int argc, char **argv)
{
	int nthreads = 1;
	const char *mode = argc > 4 ? argv[4] : "";
	pthread_t th[64];
	int first = 1;

	if (argc > 1)
		rounds = atoi(argv[1]);
	if (argc > 2)
		sleep_ms = atol(argv[2]);
	if (argc > 3)
		nthreads = atoi(argv[3]);
	if (nthreads < 1 || nthreads > 64)
		nthreads = 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	out("pid %d\n", (int)getpid());

	if (strcmp(mode, "fork") == 0 || strcmp(mode, "vfork") == 0 ||
	    strcmp(mode, "vforkslow") == 0 || strcmp(mode, "exec") == 0) {
		if (rounds >= 1) {
			round_once(1);
			nap();
		}
		first = 2;
	}
	if (strcmp(mode, "exec") == 0 && rounds >= 1) {
		char nr[16];

		snprintf(nr, sizeof(nr), "%d", rounds - 1);
		out("exec\n");
		execl("/proc/self/exe", argv[0], nr, argc > 2 ? argv[2] : "0",
		      "1", (char *)NULL);
		perror("exec");
		return 1;
	}
	if (strcmp(mode, "fork") == 0) {
		pid_t c = fork();

		if (c == 0) {
			out("child %d\n", (int)getpid());
			run((void *)(intptr_t)first);
			_exit(3);
		}
		int st;

		waitpid(c, &st, 0);
		out("child exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : 128 +
		    WTERMSIG(st));
	} else if (strcmp(mode, "vfork") == 0 ||
		   strcmp(mode, "vforkslow") == 0) {
		do_vfork(strcmp(mode, "vforkslow") == 0);
	}
	for (int i = 1; i < nthreads; i++)
		pthread_create(&th[i], NULL, run, (void *)(intptr_t)first);
	out("threads started\n");
	if (strcmp(mode, "leaderexit") == 0) {
		/* the main thread leaves; the others go on (exit status 0) */
		out("leader exits\n");
		pthread_exit(NULL);
	}
	run((void *)(intptr_t)first);
	for (int i = 1; i < nthreads; i++)
		pthread_join(th[i], NULL);
	out("done\n");
	return 0;
}

/*
 * A probe without semaphore: redefine the macros sdt.h expands per use.
 * Last in the file, since the redefinition holds to the end.
 */
static void fire_nosema(int r)
{
	out("expect target:nosema %d:\n", r);
#undef _SDT_SEMAPHORE
#define _SDT_SEMAPHORE(p, n) _SDT_ASM_1(_SDT_ASM_ADDR 0)
#undef _SDT_NOTE_SEMAPHORE_USE
#define _SDT_NOTE_SEMAPHORE_USE(p, n)
	STAP_PROBE(target, nosema);
}
