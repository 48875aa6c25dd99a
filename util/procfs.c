/*
 * procfs.c - see procfs.h.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "procfs.h"

void procfs_path(char *path, size_t len, pid_t pid, pid_t tid,
		 const char *name)
{
	if (tid > 0)
		snprintf(path, len, "/proc/%d/task/%d/%s", (int)pid, (int)tid,
			 name);
	else
		snprintf(path, len, "/proc/%d/%s", (int)pid, name);
}

ssize_t procfs_read(pid_t pid, pid_t tid, const char *name, char *buf,
		    size_t len)
{
	char path[96];
	ssize_t n;
	int fd;

	if (len == 0)
		return -1;
	procfs_path(path, sizeof(path), pid, tid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return n;
}

const char *procfs_stat(pid_t pid, pid_t tid, char *buf, size_t len)
{
	const char *s;

	if (procfs_read(pid, tid, "stat", buf, len) < 0)
		return NULL;
	s = strrchr(buf, ')');
	return s ? s + 1 : NULL;
}

int procfs_status(pid_t pid, pid_t tid, const char *key, char *val,
		  size_t len)
{
	char path[96], line[256];
	size_t klen = strlen(key);
	int r = -1;
	FILE *f;

	procfs_path(path, sizeof(path), pid, tid, "status");
	f = fopen(path, "re");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
			char *s = line + klen + 1;

			while (*s == ' ' || *s == '\t')
				s++;
			if (val) {
				snprintf(val, len, "%s", s);
				val[strcspn(val, "\n")] = '\0';
			}
			r = 0;
			break;
		}
	}
	fclose(f);
	return r;
}

int procfs_map_parse(char *line, struct procfs_map *m)
{
	unsigned long long start, end, off;
	int pos = 0;

	line[strcspn(line, "\n")] = '\0';
	if (sscanf(line, "%llx-%llx %7s %llx %lx:%lx %lu %n", &start, &end,
		   m->perms, &off, &m->major, &m->minor, &m->inode,
		   &pos) < 7 || pos == 0)
		return -1;
	m->start = start;
	m->end = end;
	m->offset = off;
	m->path = line + pos;
	return 0;
}

int procfs_each_file_map(pid_t pid,
			 int (*fn)(void *ctx, const struct procfs_map *m),
			 void *ctx)
{
	char path[64], line[4096 + 128];
	int rc = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (f == NULL)
		return -1;
	while (rc == 0 && fgets(line, sizeof(line), f)) {
		struct procfs_map m;

		if (procfs_map_parse(line, &m) == 0 && m.path[0] == '/')
			rc = fn(ctx, &m);
	}
	fclose(f);
	return rc;
}
