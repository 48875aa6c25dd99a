/*
 * sitecheck.c - prove that a process carries no trace of pytap: for every
 * SDT note of ELF as mapped in process PID, print the byte at the site
 * (must be 0x90) and the semaphore (must be 0 when nothing traces).
 *
 * usage: sitecheck [-q] PID ELF
 *
 * Output, one line per note:
 *	PROVIDER:NAME ADDR byte 0x90 sema 0x... N
 * then "ok" or "BAD: N problems".  Also a problem: an int3 (0xcc) left on
 * the dynamic loader's _dl_debug_state (where pytap watches for dlopen)
 * or on the program's entry point, printed as "loader ..." / "entry ...".  Exit status 0 when clean, 1 when a byte
 * is not 0x90 or a semaphore is not 0, 2 on usage or read errors (ELF not
 * mapped in PID, no permission).  -q prints only problems and the verdict.
 * Reading /proc/PID/mem needs the right to ptrace PID (root here); it does
 * not stop the process.  If the main thread has exited, a live thread's
 * /proc/PID/task/TID files are read instead.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "sdt.h"

/*
 * The /proc directory to read PID's memory through: /proc/PID, or, when the
 * main thread has exited (zombie leader, empty maps), a live thread's
 * /proc/PID/task/TID.
 */
static void proc_dir(pid_t pid, char *dir, size_t len)
{
	char path[128];
	struct dirent *de;
	DIR *d;

	snprintf(dir, len, "/proc/%d", (int)pid);
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char maps[400];

		if (de->d_name[0] == '.')
			continue;
		snprintf(maps, sizeof(maps), "/proc/%d/task/%s/maps", (int)pid,
			 de->d_name);
		FILE *f = fopen(maps, "re");
		int c = f ? fgetc(f) : EOF;

		if (f)
			fclose(f);
		if (c != EOF) {
			snprintf(dir, len, "/proc/%d/task/%s", (int)pid,
				 de->d_name);
			break;
		}
	}
	closedir(d);
}

static int find_bias(const char *dir, const char *elf,
		     const struct sdt_file *f, uint64_t *bias)
{
	char path[400], line[4096], real[PATH_MAX];
	struct stat st;
	FILE *m;
	int rc = -1;

	if (stat(elf, &st) < 0)
		return -1;
	if (realpath(elf, real) == NULL)
		snprintf(real, sizeof(real), "%s", elf);
	snprintf(path, sizeof(path), "%s/maps", dir);
	m = fopen(path, "re");
	if (m == NULL)
		return -1;
	while (fgets(line, sizeof(line), m)) {
		unsigned long long start, end, off;
		unsigned long maj, min, ino;
		char perms[8];
		int pos = 0;

		if (sscanf(line, "%llx-%llx %7s %llx %lx:%lx %lu %n", &start,
			   &end, perms, &off, &maj, &min, &ino, &pos) < 7)
			continue;
		line[strcspn(line, "\n")] = '\0';
		if (ino != st.st_ino)
			continue;
		if (strcmp(line + pos, real) != 0 &&
		    (maj != major(st.st_dev) || min != minor(st.st_dev)))
			continue;
		if (sdt_file_bias(f, start, off, bias) == 0) {
			rc = 0;
			break;
		}
	}
	fclose(m);
	return rc;
}

/* The value of auxv entry TYPE of the process in DIR, 0 if none. */
static uint64_t auxv(const char *dir, unsigned long type)
{
	char path[400];
	uint64_t kv[2], v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/auxv", dir);
	f = fopen(path, "re");
	while (f && fread(kv, sizeof(kv), 1, f) == 1 && kv[0] != 0)
		if (kv[0] == type)
			v = kv[1];
	if (f)
		fclose(f);
	return v;
}

/* Is the byte at ADDR an int3?  Prints the problem. */
static int int3_at(int fd, uint64_t addr, const char *what)
{
	unsigned char b = 0;

	if (addr == 0 || pread(fd, &b, 1, (off_t)addr) != 1 || b != 0xcc)
		return 0;
	printf("%s %#" PRIx64 " byte 0xcc BAD\n", what, addr);
	return 1;
}

/* Problems at the loader's _dl_debug_state and at the entry point. */
static int check_loader(const char *dir, int fd)
{
	uint64_t base = auxv(dir, 7 /* AT_BASE */);
	char path[400], line[4400], lpath[4096] = "";
	int bad = int3_at(fd, auxv(dir, 9 /* AT_ENTRY */), "entry");
	FILE *m;

	if (base == 0)
		return bad;
	snprintf(path, sizeof(path), "%s/maps", dir);
	m = fopen(path, "re");
	while (m && fgets(line, sizeof(line), m)) {
		unsigned long long start;

		if (sscanf(line, "%llx-%*x %*s %*s %*s %*s %4095s", &start,
			   lpath) == 2 && start == base)
			break;
		lpath[0] = '\0';
	}
	if (m)
		fclose(m);
	if (lpath[0]) {
		const char *names[1] = { "_dl_debug_state" };
		uint64_t v = 0;
		char rooted[4500];

		snprintf(rooted, sizeof(rooted), "%s/root%s", dir, lpath);
		if (sdt_file_symbols(rooted, names, &v, 1) == 1 && v) {
			bad += int3_at(fd, base + v, "loader");
			bad += int3_at(fd, base + v + 4, "loader");
		}
	}
	return bad;
}

int main(int argc, char **argv)
{
	struct sdt_file f;
	char err[512], path[400], dir[300];
	uint64_t bias;
	int fd, bad = 0, quiet = 0, ai = 1;
	pid_t pid;

	if (argc > 1 && strcmp(argv[1], "-q") == 0) {
		quiet = 1;
		ai++;
	}
	if (argc - ai != 2) {
		fprintf(stderr, "usage: sitecheck [-q] PID ELF\n");
		return 2;
	}
	pid = (pid_t)atoi(argv[ai]);
	if (sdt_file_read(argv[ai + 1], &f, err, sizeof(err)) < 0) {
		fprintf(stderr, "sitecheck: %s\n", err);
		return 2;
	}
	proc_dir(pid, dir, sizeof(dir));
	if (find_bias(dir, argv[ai + 1], &f, &bias) < 0) {
		fprintf(stderr, "sitecheck: %s is not mapped in pid %d\n",
			argv[ai + 1], (int)pid);
		return 2;
	}
	snprintf(path, sizeof(path), "%s/mem", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "sitecheck: %s: %s\n", path, strerror(errno));
		return 2;
	}
	for (size_t i = 0; i < f.nprobes; i++) {
		const struct sdt_probe *p = &f.probes[i];
		uint64_t a = p->pc + bias, s = p->sema ? p->sema + bias : 0;
		unsigned char b = 0;
		uint16_t sv = 0;
		int prob = 0;

		if (pread(fd, &b, 1, (off_t)a) != 1) {
			fprintf(stderr, "sitecheck: cannot read %#" PRIx64
				": %s\n", a, strerror(errno));
			return 2;
		}
		if (s && pread(fd, &sv, 2, (off_t)s) != 2) {
			fprintf(stderr, "sitecheck: cannot read %#" PRIx64
				": %s\n", s, strerror(errno));
			return 2;
		}
		prob = b != 0x90 || sv != 0;
		bad += prob;
		if (!quiet || prob)
			printf("%s:%s %#" PRIx64 " byte %#04x sema %#" PRIx64
			       " %u%s\n", p->provider, p->name, a, b, s,
			       (unsigned)sv, prob ? " BAD" : "");
	}
	bad += check_loader(dir, fd);
	close(fd);
	sdt_file_free(&f);
	if (bad)
		printf("BAD: %d problem%s\n", bad, bad == 1 ? "" : "s");
	else
		printf("ok\n");
	return bad ? 1 : 0;
}
