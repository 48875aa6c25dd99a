/*
 * kuprobes.c - kernel uprobes that other tracers (bpftrace, bcc, perf)
 * hold: what pytap must know before it puts a site back.
 *
 * A kernel uprobe registered on a site where pytap's int3 already is
 * finds "a breakpoint already there" and takes it over without writing
 * anything (nor raising the semaphore: the kernel raises a USDT
 * semaphore only when it writes the int3 itself).  From then on the
 * kernel handles the trap, pytap gets no hit there, and if pytap put the
 * nop back and lowered its semaphore the other tracer would lose its
 * events too.  So at detach pytap looks for such uprobes: each perf
 * event of each process (/proc/PID/fd -> anon_inode:[perf_event]) is
 * asked, with bpf(BPF_TASK_FD_QUERY), for its uprobe's file and offset.
 * This needs CAP_SYS_ADMIN (pytap traces as root anyway); without it, or
 * for uprobes not held through a perf event (uprobe_multi links, SystemTap
 * modules), none is found and the site is put back as usual.
 */
#include "tracer_int.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/bpf.h>

#ifndef BPF_FD_TYPE_UPROBE
#define BPF_FD_TYPE_UPROBE 4
#endif

static int task_fd_query(pid_t pid, int fd, char *buf, size_t len,
			 uint64_t *offset)
{
#ifdef SYS_bpf
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.task_fd_query.pid = (uint32_t)pid;
	a.task_fd_query.fd = (uint32_t)fd;
	a.task_fd_query.buf = (uint64_t)(uintptr_t)buf;
	a.task_fd_query.buf_len = (uint32_t)len;
	if (syscall(SYS_bpf, BPF_TASK_FD_QUERY, &a, sizeof(a)) != 0)
		return -1;
	if (a.task_fd_query.fd_type != BPF_FD_TYPE_UPROBE)
		return -1;
	*offset = a.task_fd_query.probe_offset;
	return 0;
#else
	(void)pid; (void)fd; (void)buf; (void)len; (void)offset;
	errno = ENOSYS;
	return -1;
#endif
}

static void add(struct kuprobe_set *ks, const struct kuprobe *k)
{
	struct kuprobe *n;

	if (ks->n == ks->cap) {
		size_t cap = ks->cap ? ks->cap * 2 : 16;

		if (cap > KUPROBES_MAX)
			return;
		n = realloc(ks->v, cap * sizeof(*n));
		if (!n)
			return;
		ks->v = n;
		ks->cap = cap;
	}
	ks->v[ks->n++] = *k;
}

void kuprobes_scan(struct kuprobe_set *ks)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	pid_t self = getpid();

	ks->n = 0;
	while (d && (de = readdir(d)) != NULL) {
		char path[64], name[384], link[64], file[4096];
		pid_t pid = (pid_t)atoi(de->d_name);
		struct dirent *fe;
		DIR *fd;

		if (pid <= 0 || pid == self)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
		fd = opendir(path);
		while (fd && (fe = readdir(fd)) != NULL) {
			struct kuprobe k;
			struct stat st;
			ssize_t n;
			FILE *f;

			if (!isdigit((unsigned char)fe->d_name[0]))
				continue;
			snprintf(name, sizeof(name), "%s/%s", path, fe->d_name);
			n = readlink(name, link, sizeof(link) - 1);
			if (n < 0)
				continue;
			link[n] = 0;
			if (strcmp(link, "anon_inode:[perf_event]") != 0)
				continue;
			memset(&k, 0, sizeof(k));
			if (task_fd_query(pid, atoi(fe->d_name), file,
					  sizeof(file), &k.offset) != 0)
				continue;
			if (stat(file, &st) != 0)
				continue;
			k.dev = st.st_dev;
			k.ino = st.st_ino;
			k.owner = pid;
			/* bpftrace -p PID names the file through PID's root */
			if (sscanf(file, "/proc/%d/root/", &k.only_pid) != 1)
				k.only_pid = 0;
			snprintf(name, sizeof(name), "/proc/%d/comm", (int)pid);
			f = fopen(name, "r");
			if (f) {
				if (fgets(k.comm, sizeof(k.comm), f))
					k.comm[strcspn(k.comm, "\n")] = 0;
				fclose(f);
			}
			add(ks, &k);
		}
		if (fd)
			closedir(fd);
	}
	if (d)
		closedir(d);
}

const struct kuprobe *kuprobes_find(const struct kuprobe_set *ks,
				    const struct tobj *o, uint64_t vaddr,
				    pid_t pid, bool *sure)
{
	const struct sdt_file *f = &o->f;
	uint64_t off = 0;
	bool found = false;
	size_t i;

	for (i = 0; i < f->nloads && !found; i++)
		if (vaddr >= f->loads[i].vaddr &&
		    vaddr < f->loads[i].vaddr + f->loads[i].filesz) {
			off = vaddr - f->loads[i].vaddr + f->loads[i].offset;
			found = true;
		}
	if (!found)
		return NULL;
	const struct kuprobe *best = NULL;

	*sure = false;
	for (i = 0; i < ks->n; i++) {
		const struct kuprobe *k = &ks->v[i];

		if (k->offset != off || k->ino != o->ino ||
		    major(k->dev) != o->dev_major ||
		    minor(k->dev) != o->dev_minor)
			continue;
		if (k->only_pid && k->only_pid != pid)
			continue;	/* another process's */
		/* registered for this process by name: the kernel holds
		   the site here; a system-wide path may hold it or not (a
		   perf event can filter by pid without saying so) */
		if (k->only_pid == pid) {
			*sure = true;
			return k;
		}
		best = k;
	}
	return best;
}

void kuprobes_free(struct kuprobe_set *ks)
{
	free(ks->v);
	memset(ks, 0, sizeof(*ks));
}
