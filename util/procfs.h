/*
 * procfs.h - reading the small text files of /proc/PID (or of one of its
 * threads, /proc/PID/task/TID): the one place that builds those paths and
 * parses "stat" and "status".  Nothing here keeps a file open.
 */
#ifndef PYTAP_PROCFS_H
#define PYTAP_PROCFS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* /proc/PID/NAME, or with TID > 0 /proc/PID/task/TID/NAME, into PATH. */
void procfs_path(char *path, size_t len, pid_t pid, pid_t tid,
		 const char *name);

/* The first LEN-1 bytes of that file into BUF, NUL-terminated; how many
 * were read, or -1 (no such file, unreadable, or empty). */
ssize_t procfs_read(pid_t pid, pid_t tid, const char *name, char *buf,
		    size_t len);

/* The fields of its "stat" after the comm's ")": a pointer into BUF (read
 * as procfs_read) at the blank before the state letter, or NULL. */
const char *procfs_stat(pid_t pid, pid_t tid, char *buf, size_t len);

/* The "KEY:" line of its "status": the value without leading blanks or
 * the newline into VAL (may be NULL) and 0, or -1 when there is none. */
int procfs_status(pid_t pid, pid_t tid, const char *key, char *val,
		  size_t len);

/* One line of /proc/PID/maps. */
struct procfs_map {
	uint64_t start, end, offset;
	char perms[8];			/* "r-xp" */
	unsigned long major, minor;	/* the file's device */
	unsigned long inode;		/* 0: not a file */
	char *path;			/* into the line: the file, "[heap]",
					   ... or "" */
};

/* Parse LINE, a line of /proc/PID/maps (its newline, if any, is cut):
 * 0, or -1 when it is none. */
int procfs_map_parse(char *line, struct procfs_map *m);

/* FN on each line of /proc/PID/maps that maps a file (its path starts
 * with '/'), until FN returns nonzero: that value; 0 after the last line;
 * -1 when the maps cannot be read. */
int procfs_each_file_map(pid_t pid,
			 int (*fn)(void *ctx, const struct procfs_map *m),
			 void *ctx);

#endif
