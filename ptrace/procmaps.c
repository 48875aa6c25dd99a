/*
 * procmaps.c - what is mapped in a traced process and the SDT sites in it:
 * read /proc/PID/maps, open each ELF object through /proc/PID/root (so
 * containers work), read its notes once (cached by path, device, inode),
 * compute its load bias, and arm the sites that match the requests: the
 * 0x90 nop becomes 0xcc and the probe's semaphore goes up by one per site.
 * pm_restore() undoes exactly what was done, byte by byte and semaphore by
 * semaphore; pm_drop() forgets it (after exec the memory is gone).
 *
 * Libraries loaded later (dlopen): the dynamic loader calls
 * _dl_debug_state(), an empty function, before and after every change of
 * its link map (r_debug.r_brk, the hook debuggers use).  Its one
 * instruction, a ret (after an endbr64 on CET builds), becomes an int3.  A
 * thread that stops there gets the ret emulated (rip = the return address
 * popped from the stack) instead of the byte being put back and
 * single-stepped: the breakpoint never comes out, so no other thread can
 * pass it unseen.  When r_debug.r_state says RT_CONSISTENT, the maps are
 * read again: new objects are armed, objects no longer mapped (dlclose)
 * are forgotten.  It is armed only if some request could match an object
 * other than the executable.
 *
 * Target memory is written through /proc/PID/mem, which works for any
 * mapping (text too) of a process we trace.  The fd is per process and must
 * be reopened after exec (it holds the old address space).
 */
#include "procfs.h"
#include "tracer_int.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/ptrace.h>
#include <unistd.h>

#define INT3 0xcc
#define RET 0xc3
#define NOP 0x90

struct mapline {
	uint64_t start, offset;
	unsigned long major, minor, ino;
	char *path;		/* points into the maps buffer */
};

int pm_mem_open(struct tproc *p)
{
	char path[64];

	if (p->memfd >= 0)
		close(p->memfd);
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)p->io_pid);
	p->memfd = open(path, O_RDWR | O_CLOEXEC);
	return p->memfd < 0 ? -1 : 0;
}

/* LEN bytes at ADDR of P's memory into BUF, or (WRITE) from BUF. */
static int mem_io(struct tproc *p, uint64_t addr, char *buf, size_t len,
		  bool write)
{
	if (p->memfd < 0 && pm_mem_open(p) < 0)
		return -1;
	while (len > 0) {
		ssize_t n = write ? pwrite(p->memfd, buf, len, (off_t)addr)
				  : pread(p->memfd, buf, len, (off_t)addr);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return -1;
		}
		buf += n;
		addr += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

int pm_mem_read(struct tproc *p, uint64_t addr, void *buf, size_t len)
{
	return mem_io(p, addr, buf, len, false);
}

int pm_mem_write(struct tproc *p, uint64_t addr, const void *buf, size_t len)
{
	/* pwrite() only reads BUF */
	return mem_io(p, addr, (char *)(uintptr_t)buf, len, true);
}

/* Add DELTA (+1 / -1) to the 16-bit semaphore at ADDR. */
static int sema_add(struct tproc *p, uint64_t addr, int delta)
{
	uint16_t v;

	if (pm_mem_read(p, addr, &v, sizeof(v)) < 0)
		return -1;
	if (delta < 0 && v == 0) {
		jr_sema_end(p, addr, -1);
		return 0;	/* someone else already took it down */
	}
	if (delta > 0)
		jr_sema_begin(p, addr, v);
	v = (uint16_t)(v + delta);
	if (pm_mem_write(p, addr, &v, sizeof(v)) < 0) {
		jr_sema_end(p, addr, 0);
		return -1;
	}
	jr_sema_end(p, addr, delta);
	return 0;
}

static char *read_whole(const char *path, size_t *lenp)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t cap = 16384, len = 0;
	char *buf;

	if (fd < 0)
		return NULL;
	buf = malloc(cap + 1);
	while (buf) {
		ssize_t n = read(fd, buf + len, cap - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len == cap) {
			char *nb = realloc(buf, cap * 2 + 1);

			if (nb == NULL) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
	close(fd);
	if (buf) {
		buf[len] = '\0';
		if (lenp)
			*lenp = len;
	}
	return buf;
}

uint64_t pm_auxv(pid_t pid, unsigned long type, bool *found)
{
	char path[64];
	size_t len = 0;
	char *buf;
	uint64_t v = 0;

	*found = false;
	snprintf(path, sizeof(path), "/proc/%d/auxv", (int)pid);
	buf = read_whole(path, &len);
	if (buf == NULL)
		return 0;
	for (size_t i = 0; i + 16 <= len; i += 16) {
		uint64_t k, val;

		memcpy(&k, buf + i, 8);
		memcpy(&val, buf + i + 8, 8);
		if (k == 0)
			break;
		if (k == type) {
			v = val;
			*found = true;
			break;
		}
	}
	free(buf);
	return v;
}

static struct tobj *obj_get(struct tracer *t, pid_t pid,
			    const struct mapline *m);

/* Would any request match an object other than EXE? */
static bool wants_libraries(struct tracer *t, const char *exe)
{
	for (size_t i = 0; i < tr_nreqs(t); i++) {
		const struct tracer_request *r = tr_req(t, i);

		if (r->path == NULL || strcmp(r->path, exe) != 0)
			return true;
	}
	return false;
}

/*
 * Arm the loader's breakpoint in P (once per image): find the mapping
 * that starts at AT_BASE, look up _dl_debug_state and _r_debug in that
 * file, and put an int3 on the ret.
 */
static void rbrk_arm(struct tracer *t, struct tproc *p,
		     const struct mapline *ml, size_t nml, const char *exe)
{
	const struct tracer_options *opt = tr_opts(t);
	unsigned char b[8];
	uint64_t bias, addr, at;
	struct tobj *o = NULL;
	size_t i;
	bool found;

	if (p->ld_looked || p->rbrk.armed)
		return;
	p->ld_looked = true;
	p->ldbase = pm_auxv(p->io_pid, AT_BASE, &found);
	if (!found || p->ldbase == 0 || !wants_libraries(t, exe))
		return;		/* static, or nothing to look for */
	for (i = 0; i < nml; i++)
		if (ml[i].start == p->ldbase)
			break;
	if (i == nml)
		return;
	o = obj_get(t, p->io_pid, &ml[i]);
	if (o == NULL || !o->ok)
		return;
	if (!o->ld_looked) {
		const char *names[2] = { "_dl_debug_state", "_r_debug" };
		uint64_t v[2] = { 0, 0 };
		char path[4200];

		snprintf(path, sizeof(path), "/proc/%d/root%s", (int)p->io_pid,
			 o->path);
		sdt_file_symbols(path, names, v, 2);
		o->ld_debug_state = v[0];
		o->ld_r_debug = v[1];
		o->ld_looked = true;
	}
	if (o->ld_debug_state == 0 ||
	    sdt_file_bias(&o->f, ml[i].start, ml[i].offset, &bias) < 0) {
		if (opt->verbose >= 1)
			fprintf(stderr,
				"pytap: no _dl_debug_state in %s: libraries loaded later (dlopen) are not armed in pid %d\n",
				o->path, (int)p->pid);
		return;
	}
	addr = bias + o->ld_debug_state;
	if (pm_mem_read(p, addr, b, sizeof(b)) < 0)
		return;
	if (b[0] == RET)
		at = addr;
	else if (b[0] == 0xf3 && b[1] == 0x0f && b[2] == 0x1e &&
		 b[3] == 0xfa && b[4] == RET)
		at = addr + 4;	/* endbr64; ret */
	else {
		if (opt->verbose >= 1)
			fprintf(stderr,
				"pytap: _dl_debug_state in %s is not a bare ret (%02x %02x): libraries loaded later (dlopen) are not armed in pid %d\n",
				o->path, b[0], b[1], (int)p->pid);
		return;
	}
	{
		struct tbp bp = { .addr = at };

		if (!tr_bp_arm(p, &bp))
			return;
		p->rbrk = bp;
	}
	p->rdebug = o->ld_r_debug ? bias + o->ld_r_debug : 0;
	if (opt->verbose >= 2)
		fprintf(stderr,
			"pytap: watching the loader of pid %d for new libraries (breakpoint at %#llx)\n",
			(int)p->pid, (unsigned long long)at);
}

/*
 * TH stopped on the loader's breakpoint with REGS: emulate the ret, and
 * read the maps again if the link map is consistent.  Returns false if the
 * registers could not be fixed (the SIGTRAP is then the target's).
 */
bool pm_rbrk_hit(struct tracer *t, struct tthr *th,
		 struct user_regs_struct *regs, enum hmode mode)
{
	struct tproc *p = th->p;
	uint64_t ret;
	int32_t state = 0;

	if (pm_mem_read(p, regs->rsp, &ret, sizeof(ret)) < 0)
		return false;
	regs->rip = ret;
	regs->rsp += 8;
	if (ptrace(PTRACE_SETREGS, th->tid, 0, regs) < 0)
		return false;
	if (p->shares_mm || !p->follow)
		return true;	/* its memory is its vfork parent's */
	if (mode == M_STOP) {
		p->scanned = false;	/* attach reads the maps again */
		return true;
	}
	/* struct r_debug: int r_version; link_map *r_map; ElfW(Addr) r_brk;
	   enum { RT_CONSISTENT, RT_ADD, RT_DELETE } r_state; */
	if (p->rdebug && pm_mem_read(p, p->rdebug + 24, &state,
				     sizeof(state)) == 0 && state != 0)
		return true;	/* half-way: wait for RT_CONSISTENT */
	if (tr_opts(t)->verbose >= 3)
		fprintf(stderr, "pytap: pid %d changed its link map\n",
			(int)p->pid);
	pm_scan(t, p);
	return true;
}

static struct tobj *obj_get(struct tracer *t, pid_t pid,
			    const struct mapline *m)
{
	struct tobj **cache = tr_cache(t);
	struct tobj *o;
	char path[4200];
	char err[256];

	for (o = *cache; o; o = o->next)
		if (o->ino == m->ino && o->dev_major == m->major &&
		    o->dev_minor == m->minor && strcmp(o->path, m->path) == 0)
			return o;
	o = calloc(1, sizeof(*o));
	if (o == NULL)
		return NULL;
	o->path = strdup(m->path);
	if (o->path == NULL) {
		free(o);
		return NULL;
	}
	o->dev_major = m->major;
	o->dev_minor = m->minor;
	o->ino = m->ino;
	snprintf(path, sizeof(path), "/proc/%d/root%s", (int)pid, m->path);
	if (sdt_file_read(path, &o->f, err, sizeof(err)) == 0) {
		o->ok = true;
		free(o->f.path);
		o->f.path = strdup(m->path);
	} else if (tr_opts(t)->verbose >= 3) {
		fprintf(stderr, "pytap: %s\n", err);
	}
	o->next = *cache;
	*cache = o;
	return o;
}

void pm_cache_free(struct tracer *t)
{
	struct tobj **cache = tr_cache(t);
	struct tobj *o = *cache;

	while (o) {
		struct tobj *n = o->next;

		sdt_file_free(&o->f);
		free(o->path);
		free(o);
		o = n;
	}
	*cache = NULL;
}

static int site_cmp(const void *a, const void *b)
{
	const struct site *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

struct site *pm_find_site(struct tproc *p, uint64_t addr)
{
	size_t lo = 0, hi = p->nsites;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->sites[mid].addr == addr)
			return &p->sites[mid];
		if (p->sites[mid].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static bool glob_ok(const char *pat, const char *s)
{
	return pat == NULL || fnmatch(pat, s, 0) == 0;
}

static int push_int(int **arr, int *n, int v)
{
	int *na = realloc(*arr, (size_t)(*n + 1) * sizeof(int));

	if (na == NULL)
		return -1;
	na[(*n)++] = v;
	*arr = na;
	return 0;
}

static struct site *site_add(struct tproc *p)
{
	if (p->nsites == p->capsites) {
		size_t nc = p->capsites ? p->capsites * 2 : 16;
		struct site *ns = realloc(p->sites, nc * sizeof(*ns));

		if (ns == NULL)
			return NULL;
		p->sites = ns;
		p->capsites = nc;
	}
	memset(&p->sites[p->nsites], 0, sizeof(struct site));
	return &p->sites[p->nsites++];
}

static void site_free(struct site *s)
{
	free(s->ids);
	free(s->sids);
	s->ids = s->sids = NULL;
	s->nids = s->nsids = 0;
}

/* Arm the sites of object O (bias BIAS) in P; returns sites armed. */
static void arm_object(struct tracer *t, struct tproc *p, struct tobj *o,
		       uint64_t bias)
{
	const struct tracer_options *opt = tr_opts(t);
	size_t nreq = tr_nreqs(t);
	size_t narmed = 0, nsema = 0, first = p->nsites;
	uint64_t *semas = NULL;

	for (size_t i = 0; i < o->f.nprobes; i++) {
		const struct sdt_probe *pr = &o->f.probes[i];
		int *ids = NULL, *sids = NULL;
		int nids = 0, nsids = 0;
		unsigned char byte = 0;
		struct site *s;

		for (size_t r = 0; r < nreq; r++) {
			const struct tracer_request *rq = tr_req(t, r);

			if (rq->path &&
			    !tr_path_matches(rq->path, tr_req_id(t, r), o->path,
					     o->dev_major, o->dev_minor, o->ino))
				continue;
			if (!glob_ok(rq->provider, pr->provider) ||
			    !glob_ok(rq->name, pr->name))
				continue;
			if (rq->sema_only)
				push_int(&sids, &nsids, rq->id);
			else
				push_int(&ids, &nids, rq->id);
		}
		if (nids == 0 && nsids == 0)
			continue;
		uint64_t addr = pr->pc + bias;
		uint64_t sema = pr->sema ? pr->sema + bias : 0;

		if (nids > 0) {
			int rd = pm_mem_read(p, addr, &byte, 1);

			if (rd < 0 || byte != NOP) {
				char why[64];

				if (rd < 0)
					snprintf(why, sizeof(why), "%s",
						 strerror(errno));
				else
					snprintf(why, sizeof(why),
						 "the byte there is %#04x, not a nop",
						 byte);
				if (opt->verbose >= 1)
					fprintf(stderr,
						"pytap: not arming %s:%s at %#llx in %s (pid %d): %s\n",
						pr->provider, pr->name,
						(unsigned long long)addr,
						o->path, (int)p->pid, why);
				free(ids);
				ids = NULL;
				nids = 0;
				if (nsids == 0)
					continue;
			}
		}
		if (nids == 0 && sema == 0) {
			free(sids);
			continue;
		}
		s = site_add(p);
		if (s == NULL) {
			free(ids);
			free(sids);
			break;
		}
		s->addr = addr;
		s->sema = sema;
		s->probe = pr;
		s->obj = o;
		s->ids = ids;
		s->nids = nids;
		s->sids = sids;
		s->nsids = nsids;
		s->orig = NOP;
		if (nids > 0) {
			unsigned char cc = INT3;

			jr_byte(p, addr, NOP);
			if (pm_mem_write(p, addr, &cc, 1) == 0) {
				s->armed = s->ever_armed = true;
				narmed++;
			} else {
				jr_byte_gone(p, addr);
				if (opt->verbose >= 1)
					fprintf(stderr,
						"pytap: cannot write %#llx in pid %d: %s\n",
						(unsigned long long)addr,
						(int)p->pid, strerror(errno));
			}
		}
		if (sema) {
			if (sema_add(p, sema, 1) == 0) {
				size_t k;

				s->sema_raised = s->ever_raised = true;
				for (k = 0; k < nsema; k++)
					if (semas[k] == sema)
						break;
				if (k == nsema) {
					uint64_t *ns = realloc(semas,
						(nsema + 1) * sizeof(*ns));
					if (ns) {
						semas = ns;
						semas[nsema++] = sema;
					}
				}
			} else if (opt->verbose >= 1) {
				fprintf(stderr,
					"pytap: cannot raise semaphore %#llx in pid %d: %s\n",
					(unsigned long long)sema, (int)p->pid,
					strerror(errno));
			}
		}
		if (opt->verbose >= 2)
			fprintf(stderr,
				"pytap: %s %s:%s at %#llx (semaphore %#llx) in %s (pid %d)\n",
				s->armed ? "armed" : "raised semaphore of",
				pr->provider, pr->name,
				(unsigned long long)addr,
				(unsigned long long)sema, o->path, (int)p->pid);
		if (!s->armed && !s->sema_raised) {
			site_free(s);
			p->nsites--;
		}
	}
	free(semas);
	if (p->nsites > first)
		qsort(p->sites, p->nsites, sizeof(*p->sites), site_cmp);
	if (opt->verbose >= 1 && (narmed || nsema))
		fprintf(stderr,
			"pytap: armed %zu site%s (%zu semaphore%s) in %s (pid %d)\n",
			narmed, narmed == 1 ? "" : "s", nsema,
			nsema == 1 ? "" : "s", o->path, (int)p->pid);
}

static bool has_obj(const struct tproc *p, const struct tobj *o)
{
	for (size_t i = 0; i < p->nobjs; i++)
		if (p->objs[i].obj == o)
			return true;
	return false;
}

/*
 * Forget the objects of P that are no longer mapped (dlclose) and their
 * sites: the memory is gone, nothing to restore, and another object may
 * be mapped at the same addresses later.
 */
static void prune(struct tracer *t, struct tproc *p, const struct mapline *ml,
		  size_t nml)
{
	size_t k = 0;

	for (size_t i = 0; i < p->nobjs; i++) {
		struct tobj *o = p->objs[i].obj;
		bool mapped = false;

		for (size_t j = 0; j < nml && !mapped; j++)
			mapped = ml[j].ino == o->ino &&
				 ml[j].major == o->dev_major &&
				 ml[j].minor == o->dev_minor &&
				 strcmp(ml[j].path, o->path) == 0;
		if (mapped) {
			p->objs[k++] = p->objs[i];
			continue;
		}
		size_t w = 0;

		for (size_t j = 0; j < p->nsites; j++) {
			if (p->sites[j].obj == o)
				site_free(&p->sites[j]);
			else
				p->sites[w++] = p->sites[j];
		}
		p->nsites = w;
		if (tr_opts(t)->verbose >= 2)
			fprintf(stderr, "pytap: %s is no longer mapped in pid %d\n",
				o->path, (int)p->pid);
	}
	p->nobjs = k;
}

int pm_scan(struct tracer *t, struct tproc *p)
{
	char path[64], exe[4096];
	char *buf, *line, *save = NULL;
	struct mapline *ml = NULL;
	size_t nml = 0, cap = 0;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)p->io_pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)p->io_pid);
	buf = read_whole(path, NULL);
	if (buf == NULL)
		return -1;
	p->scanned = true;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		struct procfs_map m;

		if (procfs_map_parse(line, &m) < 0 || m.inode == 0 ||
		    m.path[0] != '/')
			continue;
		size_t plen = strlen(m.path);

		if (plen > 10 && strcmp(m.path + plen - 10, " (deleted)") == 0)
			continue;
		if (nml == cap) {
			size_t nc = cap ? cap * 2 : 64;
			struct mapline *nm = realloc(ml, nc * sizeof(*nm));

			if (nm == NULL)
				break;
			ml = nm;
			cap = nc;
		}
		ml[nml].start = m.start;
		ml[nml].offset = m.offset;
		ml[nml].major = m.major;
		ml[nml].minor = m.minor;
		ml[nml].ino = m.inode;
		ml[nml].path = m.path;
		nml++;
	}
	if (exe[0] && (p->exe == NULL || strcmp(p->exe, exe) != 0)) {
		free(p->exe);
		p->exe = strdup(exe);
	}
	prune(t, p, ml, nml);
	/* the executable first, then the others in address order */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < nml; i++) {
			bool isexe = strcmp(ml[i].path, exe) == 0;
			struct tobj *o;
			uint64_t bias = 0;
			bool have_bias = false;

			if (isexe != (pass == 0))
				continue;
			/* only the first mapping line of each object */
			size_t j;

			for (j = 0; j < i; j++)
				if (ml[j].ino == ml[i].ino &&
				    strcmp(ml[j].path, ml[i].path) == 0)
					break;
			if (j < i)
				continue;
			o = obj_get(t, p->io_pid, &ml[i]);
			if (o == NULL || !o->ok || has_obj(p, o))
				continue;
			for (j = i; j < nml && !have_bias; j++) {
				if (ml[j].ino != ml[i].ino ||
				    strcmp(ml[j].path, ml[i].path) != 0)
					continue;
				if (sdt_file_bias(&o->f, ml[j].start,
						  ml[j].offset, &bias) == 0)
					have_bias = true;
			}
			if (!have_bias)
				continue;
			if (p->nobjs == p->capobjs) {
				size_t nc = p->capobjs ? p->capobjs * 2 : 8;
				struct pobj *no = realloc(p->objs,
							  nc * sizeof(*no));

				if (no == NULL)
					continue;
				p->objs = no;
				p->capobjs = nc;
			}
			p->objs[p->nobjs].obj = o;
			p->objs[p->nobjs].bias = bias;
			p->nobjs++;
			tr_list_object(t, o, isexe);
			if (tr_opts(t)->verbose >= 2 && o->f.nprobes)
				fprintf(stderr,
					"pytap: %s has %zu SDT notes, load bias %#llx (pid %d)\n",
					o->path, o->f.nprobes,
					(unsigned long long)bias, (int)p->pid);
			if (o->f.nprobes)
				arm_object(t, p, o, bias);
		}
	}
	rbrk_arm(t, p, ml, nml, exe);
	if (p->sp_wanted && !p->sp.armed)
		tracer_arm_safepoint(t, p->pid);
	free(ml);
	free(buf);
	return 0;
}

/* Was an earlier site of P, of the same probe, said already? */
static bool said_before(const struct tproc *p, const struct site *s)
{
	for (const struct site *q = p->sites; q < s; q++)
		if (q->said && !strcmp(q->probe->provider, s->probe->provider) &&
		    !strcmp(q->probe->name, s->probe->name))
			return true;
	return false;
}

/*
 * Another tracer's kernel uprobe on armed site S (it attached after pytap
 * and took pytap's int3 over): true if the kernel surely holds the site in
 * P, which then keeps the int3 and pytap's share of the semaphore (the
 * kernel takes both away when that tracer detaches).  Said once per probe
 * and process either way.
 */
static bool other_tracer_site(struct tproc *p, struct site *s,
			      const struct kuprobe_set *ks)
{
	bool sure;
	const struct kuprobe *k = kuprobes_find(ks, s->obj, s->probe->pc,
						p->pid, &sure);

	if (!k)
		return false;
	if (!said_before(p, s))
		fprintf(stderr, sure ?
			"pytap: another tracer, %s (pid %d), probes %s:%s in pid %d through a kernel uprobe: since it attached its hits went to it, not to pytap; pytap leaves that breakpoint and semaphore to it\n" :
			"pytap: another tracer, %s (pid %d), may probe %s:%s in pid %d through a kernel uprobe: if so pytap missed hits there, and it gets none from pid %d now that pytap puts the site back\n",
			k->comm, (int)k->owner, s->probe->provider,
			s->probe->name, (int)p->pid, (int)p->pid);
	s->said = true;
	return sure;
}

/* Someone (a kernel uprobe that detached) put a nop back over pytap's
 * int3: the hits there since were lost. */
static void site_taken_away(struct tproc *p, struct site *s)
{
	if (!said_before(p, s))
		fprintf(stderr,
			"pytap: another tracer removed pytap's breakpoint on %s:%s in pid %d (a kernel uprobe that detached): hits there after that were lost\n",
			s->probe->provider, s->probe->name, (int)p->pid);
	s->said = true;
}

void pm_restore(struct tracer *t, struct tproc *p)
{
	const struct tracer_options *opt = tr_opts(t);
	size_t nbytes = 0, nsema = 0;

	if (p->shares_mm) {
		/* the memory is the vfork parent's: it restores it */
		for (size_t i = 0; i < p->nsites; i++) {
			p->sites[i].armed = false;
			p->sites[i].sema_raised = false;
		}
		p->entry.armed = false;
		p->rbrk.armed = false;
		p->sp.armed = p->px.armed = p->rs.armed = false;
		return;
	}
	struct kuprobe_set ks = { 0 };
	bool scanned = false;

	for (size_t i = 0; i < p->nsites; i++) {
		struct site *s = &p->sites[i];

		if (s->armed) {
			unsigned char b;
			bool rd = pm_mem_read(p, s->addr, &b, 1) == 0;

			if (!scanned) {
				kuprobes_scan(&ks);
				scanned = true;
			}
			if (rd && b == INT3 && other_tracer_site(p, s, &ks)) {
				/* the kernel holds it now: its int3, and
				   our share of the semaphore, stay */
				s->armed = false;
				s->sema_raised = false;
				jr_byte_gone(p, s->addr);
				jr_sema_end(p, s->sema, -1);
				continue;
			}
			if (rd && b == INT3 &&
			    pm_mem_write(p, s->addr, &s->orig, 1) == 0)
				nbytes++;
			else if (rd && b != INT3)
				site_taken_away(p, s);
			s->armed = false;
			jr_byte_gone(p, s->addr);
		}
		if (s->sema_raised) {
			if (sema_add(p, s->sema, -1) == 0)
				nsema++;
			s->sema_raised = false;
		}
	}
	tr_bp_disarm(p, &p->entry);
	tr_bp_disarm(p, &p->rbrk);
	tr_safepoint_restore(p);
	kuprobes_free(&ks);
	if (opt->verbose >= 2 && (nbytes || nsema))
		fprintf(stderr,
			"pytap: restored %zu bytes and %zu semaphores in pid %d\n",
			nbytes, nsema, (int)p->pid);
}

void pm_drop(struct tproc *p)
{
	/* the memory is gone (exec, exit) or restored: nothing of it to
	   journal; exec also reset the SIGTRAP disposition */
	if (!p->shares_mm)
		jr_forget(p->pid);
	memset(&p->trap, 0, sizeof(p->trap));
	for (size_t i = 0; i < p->nsites; i++)
		site_free(&p->sites[i]);
	free(p->sites);
	free(p->objs);
	p->sites = NULL;
	p->objs = NULL;
	p->nsites = p->capsites = p->nobjs = p->capobjs = 0;
	p->entry.armed = false;
	p->scanned = false;
	p->ld_looked = false;
	p->ldbase = p->rbrk.addr = p->rdebug = 0;
	p->rbrk.armed = false;
	tr_inject_forget(p);
}

static int *dup_ints(const int *a, int n)
{
	int *r;

	if (n == 0)
		return NULL;
	r = malloc((size_t)n * sizeof(int));
	if (r)
		memcpy(r, a, (size_t)n * sizeof(int));
	return r;
}

int pm_copy(struct tproc *dst, const struct tproc *src)
{
	pm_drop(dst);
	if (src->nsites) {
		dst->sites = calloc(src->nsites, sizeof(*dst->sites));
		if (dst->sites == NULL)
			return -1;
		for (size_t i = 0; i < src->nsites; i++) {
			dst->sites[i] = src->sites[i];
			dst->sites[i].ids = dup_ints(src->sites[i].ids,
						     src->sites[i].nids);
			dst->sites[i].sids = dup_ints(src->sites[i].sids,
						      src->sites[i].nsids);
			if (src->sites[i].nids && !dst->sites[i].ids)
				dst->sites[i].nids = 0;
			if (src->sites[i].nsids && !dst->sites[i].sids)
				dst->sites[i].nsids = 0;
		}
		dst->nsites = dst->capsites = src->nsites;
	}
	if (src->nobjs) {
		dst->objs = malloc(src->nobjs * sizeof(*dst->objs));
		if (dst->objs == NULL)
			return -1;
		memcpy(dst->objs, src->objs, src->nobjs * sizeof(*dst->objs));
		dst->nobjs = dst->capobjs = src->nobjs;
	}
	dst->entry.addr = src->entry.addr;
	dst->entry.orig = src->entry.orig;
	dst->entry.armed = src->entry.armed;
	dst->scanned = src->scanned;
	dst->ld_looked = src->ld_looked;
	dst->ldbase = src->ldbase;
	dst->rbrk.addr = src->rbrk.addr;
	dst->rdebug = src->rdebug;
	dst->rbrk.orig = src->rbrk.orig;
	dst->rbrk.armed = src->rbrk.armed;
	/* a child forked while the safe point was armed has the int3 too */
	tr_inject_copy(dst, src);
	/* and a fork inherits the SIGTRAP handler */
	dst->trap = src->trap;
	jr_copy(dst);
	if (src->exe && dst->exe != src->exe) {
		free(dst->exe);
		dst->exe = strdup(src->exe);
	}
	return 0;
}

/* Put an int3 at BP->addr (keeping the byte); true if it is there. */
bool tr_bp_arm(struct tproc *p, struct tbp *bp)
{
	unsigned char b, cc = INT3;

	if (bp->armed)
		return true;
	if (!bp->addr || pm_mem_read(p, bp->addr, &b, 1) < 0 || b == INT3)
		return false;
	jr_byte(p, bp->addr, b);
	if (pm_mem_write(p, bp->addr, &cc, 1) < 0) {
		jr_byte_gone(p, bp->addr);
		return false;
	}
	bp->orig = b;
	bp->armed = true;
	return true;
}

void tr_bp_disarm(struct tproc *p, struct tbp *bp)
{
	unsigned char b;

	if (!bp->armed)
		return;
	if (!p->shares_mm && pm_mem_read(p, bp->addr, &b, 1) == 0 &&
	    b == INT3)
		pm_mem_write(p, bp->addr, &bp->orig, 1);
	bp->armed = false;
	jr_byte_gone(p, bp->addr);
}
