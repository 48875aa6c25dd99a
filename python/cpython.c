/*
 * cpython.c - CPython's structures in a traced process: finding the
 * runtime, walking interpreters -> thread states -> frames, decoding code
 * objects (qualified name, file name, current line).
 *
 * Finding the runtime (py_proc_find): /proc/PID/maps names the executable
 * and any libpython*.so; the one whose dynamic symbol table defines
 * _PyRuntime is CPython (Debian's static /usr/bin/python3.11 exports it,
 * as a shared build's libpython3.X.so does).  Py_Version (3.11+) gives the
 * version, which selects the layout table.  The type objects (PyCode_Type,
 * PyUnicode_Type, ...) are exported too; their addresses identify objects.
 *
 * Reading one thread's stack costs a handful of batched reads, whatever
 * its depth:
 *   1. _PyRuntime's head (and Py_Version, to check the cached facts)
 *   2. the thread state (3.11: gilstate.tstate_current is the GIL holder,
 *      so at a probe hit the right one comes first; else the list is walked)
 *   3. the current frame pointer and the thread's current data-stack chunk,
 *      where its frames live: frames are then decoded from the local copy
 *      (frames elsewhere - generators, older chunks - are read one by one)
 *   4. every distinct code object of the stack, in one process_vm_readv
 *   5. their qualname and filename str objects and line tables, speculatively
 *      (a fixed number of bytes each), again in one process_vm_readv; the rare
 *      longer ones are read afterwards.
 * Nothing is cached between calls but the per-process facts of py_proc
 * and, within one stop of every thread (a sample tick), the list of
 * thread states.
 *
 * The layout tables: offsets come from compiling a program that prints
 * offsetof() of every field used against each version's own headers with
 * Py_BUILD_CORE (3.11: Debian's libpython3.11-dev, Include/internal/pycore_*.h,
 * for Debian's python3.11 3.11.2; 3.12 and 3.13: the headers of 3.12.1 and
 * 3.13.0 builds).
 * tests/probe/pystack.test checks them against the live interpreters:
 * stacks against traceback.extract_stack() and sys._current_frames(),
 * thread ids against threading.get_native_id(), objects against repr().
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpython_int.h"

/* ---- layout tables ------------------------------------------------------ */

/* CPython 3.11 (x86_64, Debian 12's 3.11.2 headers; checked to hold for a
 * 3.11.7 build as well). */
static const struct py_layout py311 = {
	.major = 3, .minor = 11,
	.rt_size = 584, .rt_interp_head = 40, .rt_tstate_current = 576,
	.is_size = 896, .is_next = 0, .is_threads_head = 16,
	.is_modules = 888,
	.ts_size = 360, .ts_prev = 0, .ts_next = 8, .ts_interp = 16,
	.ts_cframe = 56, .ts_current_frame = -1,
	.ts_thread_id = 152, .ts_native_id = 160,
	.ts_datastack_chunk = 296, .ts_datastack_top = 304,
	.cf_current_frame = 8, .chunk_data = 24,
	.fr_size = 72, .fr_code = 32, .fr_previous = 48, .fr_instr = 56,
	.fr_owner = 69, .fr_owner_cstack = -1,
	.co_size = 184, .co_firstlineno = 72, .co_filename = 112,
	.co_name = 120, .co_qualname = 128, .co_linetable = 136,
	.co_code_adaptive = 184,
	.ob_type = 8, .ob_size = 16, .tp_name = 24, .tp_flags = 168,
	.ht_cached_keys = 872, .tpflag_managed_dict = 1ul << 4,
	.tp_basicsize = 32,
	.obj_managed_dict = -24, .obj_managed_values = -32,
	.str_length = 16, .str_state = 32, .str_kind_shift = 2,
	.str_compact_bit = 5, .str_ascii_bit = 6,
	.str_ascii_data = 48, .str_compact_data = 72, .str_data_ptr = 72,
	.bytes_data = 32,
	.long_tagged = false, .long_tag = 16, .long_digits = 24,
	.float_value = 16, .tuple_items = 24, .list_items = 24,
	.dict_used = 16, .dict_keys = 32, .dict_values = 40,
	.dk_log2_size = 8, .dk_log2_index_bytes = 9, .dk_kind = 10,
	.dk_nentries = 24, .dk_indices = 32,
	.dk_entry_general = 24, .dk_entry_unicode = 16,
	.module_dict = 16,
};

/* CPython 3.12 (x86_64, headers of 3.12.1).  The GIL holder is no longer
 * in _PyRuntime (the current thread state became thread-local), so thread
 * states are found by walking the list. */
static const struct py_layout py312 = {
	.major = 3, .minor = 12,
	.rt_size = 48, .rt_interp_head = 40, .rt_tstate_current = -1,
	.is_size = 952, .is_next = 0, .is_threads_head = 72,
	.is_modules = 944,
	.ts_size = 288, .ts_prev = 0, .ts_next = 8, .ts_interp = 16,
	.ts_cframe = 56, .ts_current_frame = -1,
	.ts_thread_id = 136, .ts_native_id = 144,
	.ts_datastack_chunk = 232, .ts_datastack_top = 240,
	.cf_current_frame = 0, .chunk_data = 24,
	.fr_size = 72, .fr_code = 0, .fr_previous = 8, .fr_instr = 56,
	.fr_owner = 70, .fr_owner_cstack = 3,
	.co_size = 192, .co_firstlineno = 68, .co_filename = 112,
	.co_name = 120, .co_qualname = 128, .co_linetable = 136,
	.co_code_adaptive = 192,
	.ob_type = 8, .ob_size = 16, .tp_name = 24, .tp_flags = 168,
	.ht_cached_keys = 880, .tpflag_managed_dict = 1ul << 4,
	.tp_basicsize = 32,
	.obj_managed_dict = -24, .obj_managed_values = 0,
	.str_length = 16, .str_state = 32, .str_kind_shift = 2,
	.str_compact_bit = 5, .str_ascii_bit = 6,
	.str_ascii_data = 40, .str_compact_data = 56, .str_data_ptr = 56,
	.bytes_data = 32,
	.long_tagged = true, .long_tag = 16, .long_digits = 24,
	.float_value = 16, .tuple_items = 24, .list_items = 24,
	.dict_used = 16, .dict_keys = 32, .dict_values = 40,
	.dk_log2_size = 8, .dk_log2_index_bytes = 9, .dk_kind = 10,
	.dk_nentries = 24, .dk_indices = 32,
	.dk_entry_general = 24, .dk_entry_unicode = 16,
	.module_dict = 16,
};

/* CPython 3.13 (x86_64, headers of 3.13.0): the thread state points at
 * its current frame directly; f_executable is the code object.  (3.13's
 * _Py_DebugOffsets at the start of _PyRuntime carries most of these
 * numbers too.)  Instance values moved inline, after the object, and
 * PyDictValues got a header. */
static const struct py_layout py313 = {
	.major = 3, .minor = 13,
	.rt_size = 640, .rt_interp_head = 632, .rt_tstate_current = -1,
	.is_size = 7664, .is_next = 7264, .is_threads_head = 7344,
	.is_modules = 7656,
	.ts_size = 304, .ts_prev = 0, .ts_next = 8, .ts_interp = 16,
	.ts_cframe = -1, .ts_current_frame = 72,
	.ts_thread_id = 152, .ts_native_id = 160,
	.ts_datastack_chunk = 232, .ts_datastack_top = 240,
	.cf_current_frame = 0, .chunk_data = 24,
	.fr_size = 72, .fr_code = 0, .fr_previous = 8, .fr_instr = 56,
	.fr_owner = 70, .fr_owner_cstack = 3,
	.co_size = 200, .co_firstlineno = 68, .co_filename = 112,
	.co_name = 120, .co_qualname = 128, .co_linetable = 136,
	.co_code_adaptive = 200,
	.ob_type = 8, .ob_size = 16, .tp_name = 24, .tp_flags = 168,
	.ht_cached_keys = 880, .tpflag_managed_dict = 1ul << 4,
	.tp_basicsize = 32,
	.obj_managed_dict = -24, .obj_managed_values = 0,
	.obj_inline_values = true, .dict_values_header = true,
	.str_length = 16, .str_state = 32, .str_kind_shift = 2,
	.str_compact_bit = 5, .str_ascii_bit = 6,
	.str_ascii_data = 40, .str_compact_data = 56, .str_data_ptr = 56,
	.bytes_data = 32,
	.long_tagged = true, .long_tag = 16, .long_digits = 24,
	.float_value = 16, .tuple_items = 24, .list_items = 24,
	.dict_used = 16, .dict_keys = 32, .dict_values = 40,
	.dk_log2_size = 8, .dk_log2_index_bytes = 9, .dk_kind = 10,
	.dk_nentries = 24, .dk_indices = 32,
	.dk_entry_general = 24, .dk_entry_unicode = 16,
	.module_dict = 16,
};

static const struct py_layout *const layouts[] = { &py311, &py312, &py313 };
#define NLAYOUTS (sizeof(layouts) / sizeof(layouts[0]))

static void seterr(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

#define CERR(c, ...) seterr((c)->err, sizeof((c)->err), __VA_ARGS__)

/* ---- finding the runtime --------------------------------------------- */

static const char *const sym_names[PYS__COUNT] = {
	[PYS_RUNTIME] = "_PyRuntime",
	[PYS_VERSION] = "Py_Version",
	[PYS_CODE_TYPE] = "PyCode_Type",
	[PYS_STR_TYPE] = "PyUnicode_Type",
	[PYS_BYTES_TYPE] = "PyBytes_Type",
	[PYS_INT_TYPE] = "PyLong_Type",
	[PYS_FLOAT_TYPE] = "PyFloat_Type",
	[PYS_BOOL_TYPE] = "PyBool_Type",
	[PYS_TUPLE_TYPE] = "PyTuple_Type",
	[PYS_LIST_TYPE] = "PyList_Type",
	[PYS_DICT_TYPE] = "PyDict_Type",
	[PYS_MODULE_TYPE] = "PyModule_Type",
	[PYS_SET_TYPE] = "PySet_Type",
	[PYS_FROZENSET_TYPE] = "PyFrozenSet_Type",
	[PYS_BYTEARRAY_TYPE] = "PyByteArray_Type",
	[PYS_COMPLEX_TYPE] = "PyComplex_Type",
	[PYS_RANGE_TYPE] = "PyRange_Type",
	[PYS_TYPE_TYPE] = "PyType_Type",
	[PYS_FUNCTION_TYPE] = "PyFunction_Type",
	[PYS_NONE] = "_Py_NoneStruct",
	[PYS_TRUE] = "_Py_TrueStruct",
	[PYS_FALSE] = "_Py_FalseStruct",
};

/* One file mapped into the process: its lowest mapping. */
struct mapped {
	char path[PATH_MAX];
	uint64_t start, offset;
};

/* The symbols of SYM_NAMES defined in the ELF file at FILE (link-time
 * values), and the load bias of mapping M.  0, or -1 (not an ELF file). */
static int elf_syms(const char *file, const struct mapped *m,
		    uint64_t vals[PYS__COUNT], uint64_t *bias)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	Elf *elf;
	GElf_Ehdr eh;
	Elf_Scn *scn = NULL;
	size_t nph, i;
	int rc = -1;

	memset(vals, 0, sizeof(uint64_t) * PYS__COUNT);
	*bias = 0;
	if (fd < 0)
		return -1;
	if (elf_version(EV_CURRENT) == EV_NONE)
		goto out_fd;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (elf == NULL)
		goto out_fd;
	if (elf_kind(elf) != ELF_K_ELF || gelf_getehdr(elf, &eh) == NULL)
		goto out;
	if (eh.e_type == ET_DYN && elf_getphdrnum(elf, &nph) == 0) {
		for (i = 0; i < nph; i++) {
			GElf_Phdr ph;
			uint64_t off, va;

			if (gelf_getphdr(elf, (int)i, &ph) == NULL ||
			    ph.p_type != PT_LOAD)
				continue;
			off = ph.p_offset & ~(uint64_t)4095;
			va = ph.p_vaddr & ~(uint64_t)4095;
			if (m->offset >= off &&
			    m->offset < ph.p_offset + ph.p_filesz) {
				*bias = m->start - (va + (m->offset - off));
				break;
			}
		}
	}
	/* .dynsym first (always there for exported symbols), then .symtab */
	for (int pass = 0; pass < 2; pass++) {
		scn = NULL;
		while ((scn = elf_nextscn(elf, scn)) != NULL) {
			GElf_Shdr sh;
			Elf_Data *d;
			size_t n;

			if (gelf_getshdr(scn, &sh) == NULL ||
			    sh.sh_type != (pass ? SHT_SYMTAB : SHT_DYNSYM) ||
			    sh.sh_entsize == 0)
				continue;
			d = elf_getdata(scn, NULL);
			if (d == NULL)
				continue;
			n = sh.sh_size / sh.sh_entsize;
			for (i = 0; i < n; i++) {
				GElf_Sym s;
				const char *name;

				if (gelf_getsym(d, (int)i, &s) == NULL ||
				    s.st_shndx == SHN_UNDEF || s.st_value == 0)
					continue;
				name = elf_strptr(elf, sh.sh_link, s.st_name);
				if (name == NULL || (name[0] != '_' &&
						     name[0] != 'P'))
					continue;
				for (int k = 0; k < PYS__COUNT; k++)
					if (!vals[k] &&
					    strcmp(name, sym_names[k]) == 0)
						vals[k] = s.st_value;
			}
		}
		if (vals[PYS_RUNTIME] && vals[PYS_CODE_TYPE])
			break;
	}
	rc = 0;
out:
	elf_end(elf);
out_fd:
	close(fd);
	return rc;
}

/* The files mapped into PID worth looking at: the executable and every
 * libpython*.  Returns how many (at most MAX). */
static size_t candidates(pid_t pid, struct mapped *out, size_t max)
{
	char path[64], line[PATH_MAX + 128], exe[PATH_MAX];
	FILE *f;
	size_t n = 0;
	ssize_t el;

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	el = readlink(path, exe, sizeof(exe) - 1);
	exe[el > 0 ? el : 0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long start, end, off;
		char *p = NULL, *base;
		int used = 0;
		size_t i;

		if (sscanf(line, "%llx-%llx %*s %llx %*s %*s %n", &start,
			   &end, &off, &used) < 3 || used == 0)
			continue;
		p = line + used;
		p[strcspn(p, "\n")] = '\0';
		if (p[0] != '/')
			continue;
		base = strrchr(p, '/') + 1;
		if (strcmp(p, exe) != 0 && strncmp(base, "libpython", 9) != 0)
			continue;
		for (i = 0; i < n; i++)
			if (strcmp(out[i].path, p) == 0)
				break;
		if (i < n) {
			if (start < out[i].start) {
				out[i].start = start;
				out[i].offset = off;
			}
			continue;
		}
		if (n == max || strlen(p) >= sizeof(out[n].path))
			continue;
		snprintf(out[n].path, sizeof(out[n].path), "%s", p);
		out[n].start = start;
		out[n].offset = off;
		n++;
	}
	fclose(f);
	return n;
}

static const struct py_layout *layout_for(int major, int minor)
{
	for (size_t i = 0; i < NLAYOUTS; i++)
		if (layouts[i]->major == major && layouts[i]->minor == minor)
			return layouts[i];
	return NULL;
}

static void known_versions(char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < NLAYOUTS && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%d.%d",
				      i == 0 ? "" :
				      i + 1 == NLAYOUTS ? " and " : ", ",
				      layouts[i]->major, layouts[i]->minor);
}

/* "python3.10" or "libpython3.10.so": 10; else -1. */
static int minor_from_name(const char *path)
{
	const char *b = strrchr(path, '/');
	const char *p;

	b = b ? b + 1 : path;
	p = strstr(b, "python3.");
	if (p == NULL || !isdigit((unsigned char)p[8]))
		return -1;
	return atoi(p + 8);
}

void py_version_str(const struct py_proc *pp, char *buf, size_t len)
{
	unsigned long v = pp->hexversion;

	if ((v & 0xffff) == 0 && pp->sym[PYS_VERSION] == 0)
		snprintf(buf, len, "%lu.%lu", v >> 24, (v >> 16) & 0xff);
	else
		snprintf(buf, len, "%lu.%lu.%lu", v >> 24, (v >> 16) & 0xff,
			 (v >> 8) & 0xff);
}

int py_proc_find(struct py_proc *pp, pid_t pid, const struct py_mem *m,
		 char *err, size_t errlen)
{
	struct mapped *cand = calloc(16, sizeof(*cand));
	size_t n, i;
	char file[PATH_MAX + 64], vs[32], known[64];
	uint64_t vals[PYS__COUNT], bias = 0;
	const struct mapped *found = NULL;
	int rc = -1;

	memset(pp, 0, sizeof(*pp));
	pp->pid = pid;
	if (cand == NULL) {
		seterr(err, errlen, "out of memory");
		return -1;
	}
	n = candidates(pid, cand, 16);
	if (n == 0) {
		seterr(err, errlen, "cannot read the memory map of process %d",
		       (int)pid);
		goto out;
	}
	/* libpython first: an executable linked against it only imports */
	for (int pass = 0; pass < 2 && !found; pass++) {
		for (i = 0; i < n && !found; i++) {
			const char *b = strrchr(cand[i].path, '/') + 1;

			if ((strncmp(b, "libpython", 9) == 0) != (pass == 0))
				continue;
			snprintf(file, sizeof(file), "/proc/%d/root%s",
				 (int)pid, cand[i].path);
			if (elf_syms(file, &cand[i], vals, &bias) == 0 &&
			    vals[PYS_RUNTIME])
				found = &cand[i];
		}
	}
	if (found == NULL) {
		seterr(err, errlen,
		       "process %d is not a CPython interpreter (no _PyRuntime symbol in %s)",
		       (int)pid, cand[0].path);
		goto out;
	}
	snprintf(pp->object, sizeof(pp->object), "%s", found->path);
	for (i = 0; i < PYS__COUNT; i++)
		pp->sym[i] = vals[i] ? vals[i] + bias : 0;
	if (pp->sym[PYS_VERSION]) {
		struct py_iov v = { pp->sym[PYS_VERSION], &pp->hexversion,
				    sizeof(pp->hexversion), false };

		m->readv(m->ud, pid, &v, 1);
		if (!v.ok) {
			seterr(err, errlen,
			       "cannot read Py_Version in process %d", (int)pid);
			goto out;
		}
	} else {
		int minor = minor_from_name(found->path);

		if (minor < 0) {
			seterr(err, errlen,
			       "cannot tell the CPython version of %s (no Py_Version symbol)",
			       found->path);
			goto out;
		}
		pp->hexversion = (3ul << 24) | ((unsigned long)minor << 16);
	}
	pp->L = layout_for((int)(pp->hexversion >> 24),
			   (int)((pp->hexversion >> 16) & 0xff));
	if (pp->L == NULL) {
		py_version_str(pp, vs, sizeof(vs));
		known_versions(known, sizeof(known));
		seterr(err, errlen,
		       "process %d runs CPython %s (%s), whose structures pytap cannot read: it has layout tables for CPython %s",
		       (int)pid, vs, found->path, known);
		goto out;
	}
	rc = 0;
out:
	free(cand);
	return rc;
}

/* ---- reading ---------------------------------------------------------- */

size_t py_readv(struct py_ctx *c, struct py_iov *v, size_t n)
{
	size_t ok = 0;

	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		v[i].ok = false;
	c->m->readv(c->m->ud, c->m->pid, v, n);
	for (size_t i = 0; i < n; i++)
		ok += v[i].ok;
	return ok;
}

int py_read1(struct py_ctx *c, uint64_t addr, void *buf, size_t len)
{
	struct py_iov v = { addr, buf, len, false };

	if (addr == 0) {
		CERR(c, "NULL pointer");
		return -1;
	}
	if (py_readv(c, &v, 1) == 1)
		return 0;
	CERR(c, "cannot read %zu bytes at 0x%" PRIx64, len, addr);
	return -1;
}

/* ---- str objects ------------------------------------------------------- */

/* Append code point CP as UTF-8 (U+FFFD past U+10FFFF). */
void py_put_utf8(struct strbuf *out, uint32_t cp)
{
	char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		if (cp > 0x10ffff)
			cp = 0xfffd;
		b[0] = (char)(0xf0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	sb_append(out, b, n);
}

int py_str_text(struct py_ctx *c, uint64_t addr, const unsigned char *head,
		size_t have, struct strbuf *out, size_t max)
{
	const struct py_layout *L = c->L;
	unsigned char hdr[128];
	unsigned char *data = NULL;
	const unsigned char *src;
	uint64_t len, dataddr;
	uint32_t state, kind;
	bool compact, ascii;
	size_t need = (size_t)L->str_compact_data + 8, nbytes, start;
	int rc = -1;

	if (head == NULL || have < need) {
		if (py_read1(c, addr, hdr, need) < 0)
			return -1;
		head = hdr;
		have = need;
	}
	if (c->pp->sym[PYS_STR_TYPE] &&
	    py_u64(head, L->ob_type) != c->pp->sym[PYS_STR_TYPE]) {
		CERR(c, "0x%" PRIx64 " is not a str object", addr);
		return -1;
	}
	len = py_u64(head, L->str_length);
	state = py_u32(head, L->str_state);
	kind = (state >> L->str_kind_shift) & 7;
	compact = (state >> L->str_compact_bit) & 1;
	ascii = (state >> L->str_ascii_bit) & 1;
	if ((kind != 1 && kind != 2 && kind != 4) || len > (1ull << 40)) {
		CERR(c, "0x%" PRIx64 " is not a valid str object", addr);
		return -1;
	}
	/* at most MAX code points are needed for MAX bytes of UTF-8 */
	if (len > max)
		len = max;
	nbytes = (size_t)len * kind;
	if (compact)
		start = (size_t)(ascii ? L->str_ascii_data
				       : L->str_compact_data);
	else
		start = 0;
	if (compact && start + nbytes <= have) {
		src = head + start;
	} else {
		dataddr = compact ? addr + start : py_u64(head, L->str_data_ptr);
		data = malloc(nbytes ? nbytes : 1);
		if (data == NULL) {
			CERR(c, "out of memory");
			return -1;
		}
		if (nbytes && py_read1(c, dataddr, data, nbytes) < 0)
			goto out;
		src = data;
	}
	{
		size_t base = out->len;

		for (size_t i = 0; i < len; i++) {
			uint32_t cp = kind == 1 ? src[i] :
				      kind == 2 ? (uint32_t)src[2 * i] |
						  (uint32_t)src[2 * i + 1] << 8
						: py_u32(src, (int)(4 * i));
			size_t before = out->len;

			py_put_utf8(out, cp);
			if (out->len - base > max) {
				sb_truncate(out, before);
				break;
			}
		}
	}
	rc = 0;
out:
	free(data);
	return rc;
}

/* ---- the 3.11+ location table (Objects/locations.md) ---------------- */

static size_t scan_varint(const unsigned char *p, size_t len, size_t i,
			  unsigned *val)
{
	unsigned v = 0, shift = 0;

	while (i < len) {
		unsigned b = p[i++];

		if (shift < 30)
			v |= (b & 63u) << shift;
		shift += 6;
		if (!(b & 64))
			break;
	}
	*val = v;
	return i;
}

static int svarint(unsigned v)
{
	return (v & 1) ? -(int)(v >> 1) : (int)(v >> 1);
}

int py_linetable_line(const unsigned char *tab, size_t len, int firstlineno,
		      int addrq)
{
	size_t i = 0;
	int line = firstlineno, end = 0;

	if (addrq < 0)
		return firstlineno;
	while (i < len) {
		unsigned first = tab[i], code = (first >> 3) & 15, v;
		int delta = 0, start = end;
		bool noline = false;

		if (!(first & 128))
			return -1;	/* not at an entry: corrupt */
		end += (int)((first & 7) + 1) * 2;
		switch (code) {
		case 15:	/* no location */
			noline = true;
			break;
		case 14:	/* long form */
		case 13:	/* no column */
			scan_varint(tab, len, i + 1, &v);
			delta = svarint(v);
			break;
		case 10: case 11: case 12:	/* one-line forms */
			delta = (int)code - 10;
			break;
		default:	/* short forms: same line */
			break;
		}
		line += delta;
		if (addrq >= start && addrq < end)
			return noline ? -1 : line;
		/* to the next entry */
		do
			i++;
		while (i < len && !(tab[i] & 128));
	}
	return -1;
}

/* ---- one walk: frames and code objects ---------------------------------- */

#define SPEC_STR 192		/* bytes read speculatively per str */
#define SPEC_LTAB 512		/* ... per line table */
#define MAX_CHUNK (4u << 20)	/* biggest data-stack chunk copied */
#define MAX_LTAB (1u << 20)	/* biggest line table read */
#define NCHUNKS 16

struct chunk {
	uint64_t lo, hi;	/* [lo, hi) of the target */
	unsigned char *mem;
	size_t cap;
	uint64_t prev;		/* _PyStackChunk.previous */
};

struct rawframe {
	uint64_t code;
	uint64_t instr;
	uint32_t ci;		/* index into codes */
};

struct codeinfo {
	uint64_t addr;
	bool ok;
	int firstlineno;
	uint64_t qual, file, ltab;
	size_t qual_off, file_off;	/* into c->text */
	unsigned char *lt;	/* line table bytes (malloc, lt_cap) */
	size_t lt_len, lt_cap;
	bool lt_ok;		/* lt holds this code's table */
};

struct py_walk {
	struct chunk chunks[NCHUNKS];
	size_t nchunks;
	struct rawframe *raw;
	size_t nraw, capraw;
	struct codeinfo *codes;
	size_t ncodes, capcodes;
	struct py_iov *iov;
	size_t capiov;
	unsigned char *buf;	/* code headers and speculative reads */
	size_t capbuf;
	uint32_t *hash;		/* code address -> index + 1 */
	size_t hashcap;
	/* frame texts of the current results, as offsets */
	size_t *qoff, *foff;
	size_t capqoff, capfoff;
	size_t *names;		/* per thread: name offset + 1, 0 = none */
	size_t capnames;
};

void py_ctx_init(struct py_ctx *c)
{
	memset(c, 0, sizeof(*c));
}

void py_ctx_free(struct py_ctx *c)
{
	struct py_walk *w = c->w;

	if (w) {
		for (size_t i = 0; i < NCHUNKS; i++)
			free(w->chunks[i].mem);
		for (size_t i = 0; i < w->capcodes; i++)
			free(w->codes[i].lt);
		free(w->raw);
		free(w->codes);
		free(w->iov);
		free(w->buf);
		free(w->hash);
		free(w->qoff);
		free(w->foff);
		free(w->names);
		free(w);
	}
	free(c->threads);
	free(c->frames);
	free(c->snap_tids);
	free(c->snap_addrs);
	sb_free(&c->text);
	memset(c, 0, sizeof(*c));
}

static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap ? *cap : 16;
	void *q;

	if (need <= *cap)
		return p;
	while (n < need)
		n *= 2;
	q = realloc(p, n * elem);
	if (q == NULL) {
		fprintf(stderr, "pytap: out of memory\n");
		abort();
	}
	memset((char *)q + *cap * elem, 0, (n - *cap) * elem);
	*cap = n;
	return q;
}

static struct py_iov *iovs(struct py_walk *w, size_t n)
{
	w->iov = grow(w->iov, &w->capiov, n, sizeof(*w->iov));
	return w->iov;
}

static unsigned char *scratch(struct py_walk *w, size_t n)
{
	w->buf = grow(w->buf, &w->capbuf, n, 1);
	return w->buf;
}

int py_begin(struct py_ctx *c, struct py_proc *pp, const struct py_mem *m)
{
	c->m = m;
	c->pp = pp;
	c->L = pp->L;
	c->err[0] = '\0';
	if (c->w == NULL) {
		c->w = calloc(1, sizeof(*c->w));
		if (c->w == NULL) {
			CERR(c, "out of memory");
			return -1;
		}
	}
	c->nthreads = 0;
	c->nframes = 0;
	sb_reset(&c->text);
	c->w->ncodes = 0;
	c->w->nchunks = 0;
	if (c->w->hash)
		memset(c->w->hash, 0, c->w->hashcap * sizeof(*c->w->hash));
	return 0;
}

/* Copy [lo, hi) of the target into chunk slot K. */
static int load_chunk(struct py_ctx *c, uint64_t lo, uint64_t hi,
		      struct py_iov *v)
{
	struct py_walk *w = c->w;
	struct chunk *ch;

	if (w->nchunks == NCHUNKS || hi <= lo || hi - lo > MAX_CHUNK)
		return -1;
	ch = &w->chunks[w->nchunks];
	ch->mem = grow(ch->mem, &ch->cap, (size_t)(hi - lo), 1);
	ch->lo = lo;
	ch->hi = hi;
	v->addr = lo;
	v->buf = ch->mem;
	v->len = (size_t)(hi - lo);
	return 0;
}

static const unsigned char *in_chunks(struct py_walk *w, uint64_t a,
				      size_t len)
{
	for (size_t i = 0; i < w->nchunks; i++) {
		const struct chunk *ch = &w->chunks[i];

		if (a >= ch->lo && a + len <= ch->hi && a + len > a)
			return ch->mem + (a - ch->lo);
	}
	return NULL;
}

/* Load the chunk before the oldest one loaded, if any: 0 if one was
 * loaded. */
static int older_chunk(struct py_ctx *c)
{
	struct py_walk *w = c->w;
	const struct py_layout *L = c->L;
	unsigned char hdr[24];
	uint64_t prev, top;
	struct py_iov v;

	if (w->nchunks == 0 || w->nchunks == NCHUNKS)
		return -1;
	prev = w->chunks[w->nchunks - 1].prev;
	if (prev == 0 || py_read1(c, prev, hdr, sizeof(hdr)) < 0)
		return -1;
	top = py_u64(hdr, 16);	/* _PyStackChunk.top: slots in use */
	if (top > MAX_CHUNK / 8 ||
	    load_chunk(c, prev, prev + (uint64_t)L->chunk_data + top * 8,
		       &v) < 0)
		return -1;
	if (py_readv(c, &v, 1) != 1)
		return -1;
	w->chunks[w->nchunks].prev = py_u64(hdr, 0);
	w->nchunks++;
	return 0;
}

/*
 * The frames of the thread state TS (its bytes), innermost first, into
 * w->raw.  Returns 0 (TRUNC set when the walk stopped on an unreadable
 * frame or at PY_MAX_FRAMES), or -1 if the thread's frame pointer is
 * unreadable.
 */
static int raw_frames(struct py_ctx *c, const unsigned char *ts, bool *trunc)
{
	const struct py_layout *L = c->L;
	struct py_walk *w = c->w;
	struct py_iov v[2];
	uint64_t cur = 0, f, chunk, top;
	size_t nv = 0;
	bool have_chunk = false;
	int tried_older = 0;

	w->nraw = 0;
	w->nchunks = 0;
	*trunc = false;
	if (L->ts_cframe >= 0) {
		uint64_t cf = py_u64(ts, L->ts_cframe);

		if (cf == 0)
			return 0;
		v[nv++] = (struct py_iov){ cf + (uint64_t)L->cf_current_frame,
					   &cur, sizeof(cur), false };
	} else {
		cur = py_u64(ts, L->ts_current_frame);
	}
	chunk = py_u64(ts, L->ts_datastack_chunk);
	top = py_u64(ts, L->ts_datastack_top);
	if (chunk && top > chunk && load_chunk(c, chunk, top, &v[nv]) == 0) {
		nv++;
		have_chunk = true;
	}
	if (nv)
		py_readv(c, v, nv);
	if (L->ts_cframe >= 0 && !v[0].ok) {
		CERR(c, "cannot read the current frame of the thread");
		return -1;
	}
	if (have_chunk && v[nv - 1].ok) {
		w->chunks[0].prev = py_u64(w->chunks[0].mem, 0);
		w->nchunks = 1;
	}
	f = cur;
	while (f) {
		const unsigned char *fb;
		unsigned char own[128];

		if (w->nraw >= PY_MAX_FRAMES) {
			*trunc = true;
			break;
		}
		fb = in_chunks(w, f, (size_t)L->fr_size);
		while (fb == NULL && tried_older < NCHUNKS &&
		       older_chunk(c) == 0) {
			tried_older++;
			fb = in_chunks(w, f, (size_t)L->fr_size);
		}
		if (fb == NULL) {
			tried_older = NCHUNKS;	/* no more chunk loading */
			if (py_read1(c, f, own, (size_t)L->fr_size) < 0) {
				*trunc = true;
				break;
			}
			fb = own;
		}
		if (L->fr_owner_cstack < 0 ||
		    fb[L->fr_owner] != L->fr_owner_cstack) {
			w->raw = grow(w->raw, &w->capraw, w->nraw + 1,
				      sizeof(*w->raw));
			w->raw[w->nraw].code = py_u64(fb, L->fr_code);
			w->raw[w->nraw].instr = py_u64(fb, L->fr_instr);
			w->nraw++;
		}
		f = py_u64(fb, L->fr_previous);
	}
	return 0;
}

static uint32_t code_index(struct py_walk *w, uint64_t addr)
{
	size_t h, i;

	if (w->ncodes * 2 >= w->hashcap) {
		size_t ncap = w->hashcap ? w->hashcap * 2 : 256;

		free(w->hash);
		w->hash = calloc(ncap, sizeof(*w->hash));
		if (w->hash == NULL) {
			fprintf(stderr, "pytap: out of memory\n");
			abort();
		}
		w->hashcap = ncap;
		for (i = 0; i < w->ncodes; i++) {
			h = (size_t)((w->codes[i].addr >> 4) *
				     0x9E3779B97F4A7C15ull) & (ncap - 1);
			while (w->hash[h])
				h = (h + 1) & (ncap - 1);
			w->hash[h] = (uint32_t)i + 1;
		}
	}
	h = (size_t)((addr >> 4) * 0x9E3779B97F4A7C15ull) & (w->hashcap - 1);
	while (w->hash[h]) {
		if (w->codes[w->hash[h] - 1].addr == addr)
			return w->hash[h] - 1;
		h = (h + 1) & (w->hashcap - 1);
	}
	w->codes = grow(w->codes, &w->capcodes, w->ncodes + 1,
			sizeof(*w->codes));
	i = w->ncodes++;
	w->codes[i].addr = addr;
	w->codes[i].ok = false;
	w->codes[i].lt_len = 0;
	w->codes[i].lt_ok = false;
	w->hash[h] = (uint32_t)i + 1;
	return (uint32_t)i;
}

/* Append S and a NUL to c->text; its offset. */
static size_t text_add(struct py_ctx *c, const char *s, size_t n)
{
	size_t off = c->text.len;

	sb_append(&c->text, s, n);
	sb_putc(&c->text, '\0');
	return off;
}

/* Decode the code objects w->codes[FROM..]: names and line tables. */
static void decode_codes(struct py_ctx *c, size_t from)
{
	const struct py_layout *L = c->L;
	struct py_walk *w = c->w;
	size_t n = w->ncodes - from, i, per = 3;
	size_t hsz = (size_t)L->co_size;
	struct py_iov *v;
	unsigned char *b;
	struct strbuf tmp = STRBUF_INIT;
	static const char unknown[] = "?";

	if (n == 0)
		return;
	/* round 1: the code objects */
	b = scratch(w, n * hsz);
	v = iovs(w, n);
	for (i = 0; i < n; i++)
		v[i] = (struct py_iov){ w->codes[from + i].addr, b + i * hsz,
					hsz, false };
	py_readv(c, v, n);
	for (i = 0; i < n; i++) {
		struct codeinfo *ci = &w->codes[from + i];
		const unsigned char *h = b + i * hsz;

		ci->ok = v[i].ok && ci->addr != 0 &&
			 (!c->pp->sym[PYS_CODE_TYPE] ||
			  py_u64(h, L->ob_type) == c->pp->sym[PYS_CODE_TYPE]);
		if (!ci->ok)
			continue;
		ci->firstlineno = (int)py_u32(h, L->co_firstlineno);
		ci->qual = py_u64(h, L->co_qualname);
		ci->file = py_u64(h, L->co_filename);
		ci->ltab = py_u64(h, L->co_linetable);
	}
	/* round 2: their names and line tables, speculatively */
	{
		size_t slot = SPEC_STR * 2 + SPEC_LTAB;

		b = scratch(w, n * slot);
		v = iovs(w, n * per);
		for (i = 0; i < n; i++) {
			const struct codeinfo *ci = &w->codes[from + i];
			unsigned char *s = b + i * slot;

			v[i * per] = (struct py_iov){ ci->ok ? ci->qual : 0, s,
						      SPEC_STR, false };
			v[i * per + 1] = (struct py_iov){ ci->ok ? ci->file : 0,
							  s + SPEC_STR,
							  SPEC_STR, false };
			v[i * per + 2] = (struct py_iov){ ci->ok ? ci->ltab : 0,
							  s + 2 * SPEC_STR,
							  SPEC_LTAB, false };
		}
		py_readv(c, v, n * per);
		for (i = 0; i < n; i++) {
			struct codeinfo *ci = &w->codes[from + i];
			unsigned char *s = b + i * slot;
			const unsigned char *lh;
			unsigned char lhdr[64];
			uint64_t len;

			ci->qual_off = ci->file_off = (size_t)-1;
			if (!ci->ok)
				continue;
			sb_reset(&tmp);
			if (py_str_text(c, ci->qual, v[i * per].ok ? s : NULL,
					v[i * per].ok ? SPEC_STR : 0, &tmp,
					1024) == 0)
				ci->qual_off = text_add(c, sb_str(&tmp), tmp.len);
			sb_reset(&tmp);
			if (py_str_text(c, ci->file,
					v[i * per + 1].ok ? s + SPEC_STR : NULL,
					v[i * per + 1].ok ? SPEC_STR : 0, &tmp,
					4096) == 0)
				ci->file_off = text_add(c, sb_str(&tmp), tmp.len);
			/* the line table: a bytes object */
			lh = s + 2 * SPEC_STR;
			if (!v[i * per + 2].ok) {
				if (py_read1(c, ci->ltab, lhdr,
					     (size_t)L->bytes_data) < 0)
					continue;
				lh = lhdr;
			}
			if (c->pp->sym[PYS_BYTES_TYPE] &&
			    py_u64(lh, L->ob_type) != c->pp->sym[PYS_BYTES_TYPE])
				continue;
			len = py_u64(lh, L->ob_size);
			if (len > MAX_LTAB)
				continue;
			if (len + 1 > ci->lt_cap) {
				unsigned char *nl = realloc(ci->lt, len + 1);

				if (nl == NULL)
					continue;
				ci->lt = nl;
				ci->lt_cap = len + 1;
			}
			if (v[i * per + 2].ok &&
			    (size_t)L->bytes_data + len <= SPEC_LTAB)
				memcpy(ci->lt, lh + L->bytes_data, len);
			else if (len && py_read1(c, ci->ltab +
						 (uint64_t)L->bytes_data,
						 ci->lt, len) < 0)
				continue;
			ci->lt_len = len;
			ci->lt_ok = true;
		}
	}
	sb_free(&tmp);
	for (i = 0; i < n; i++) {
		struct codeinfo *ci = &w->codes[from + i];

		if (ci->qual_off == (size_t)-1)
			ci->qual_off = text_add(c, unknown, 1);
		if (ci->file_off == (size_t)-1)
			ci->file_off = text_add(c, unknown, 1);
	}
}

/* The frames of w->raw as results appended to c->frames (texts as offsets
 * in w->qoff/w->foff until fix_pointers()). */
static void add_frames(struct py_ctx *c)
{
	const struct py_layout *L = c->L;
	struct py_walk *w = c->w;
	size_t from = w->ncodes, i;

	for (i = 0; i < w->nraw; i++)
		w->raw[i].ci = code_index(w, w->raw[i].code);
	decode_codes(c, from);
	c->frames = grow(c->frames, &c->capframes, c->nframes + w->nraw,
			 sizeof(*c->frames));
	w->qoff = grow(w->qoff, &w->capqoff, c->nframes + w->nraw,
		       sizeof(*w->qoff));
	w->foff = grow(w->foff, &w->capfoff, c->nframes + w->nraw,
		       sizeof(*w->foff));
	for (i = 0; i < w->nraw; i++) {
		const struct codeinfo *ci = &w->codes[w->raw[i].ci];
		struct py_frame *fr = &c->frames[c->nframes];
		int64_t lasti;

		w->qoff[c->nframes] = ci->qual_off;
		w->foff[c->nframes] = ci->file_off;
		fr->line = -1;
		if (ci->ok) {
			lasti = ((int64_t)w->raw[i].instr -
				 (int64_t)(ci->addr +
					   (uint64_t)L->co_code_adaptive)) / 2;
			if (lasti < -1 || lasti > (1 << 28))
				fr->line = -1;
			else if (ci->lt_ok)
				fr->line = py_linetable_line(ci->lt, ci->lt_len,
							     ci->firstlineno,
							     (int)lasti * 2);
		}
		c->nframes++;
	}
}

/* Text offsets -> pointers, once c->text stops growing. */
static void fix_pointers(struct py_ctx *c)
{
	struct py_walk *w = c->w;
	const char *base = sb_str(&c->text);
	size_t i, k = 0;

	for (i = 0; i < c->nframes; i++) {
		c->frames[i].qualname = base + w->qoff[i];
		c->frames[i].filename = base + w->foff[i];
	}
	for (i = 0; i < c->nthreads; i++) {
		struct py_thread *t = &c->threads[i];

		t->frames = c->frames + k;
		k += t->nframes;
		t->name = w->names[i] ? base + w->names[i] - 1 : NULL;
	}
}

static struct py_thread *new_thread(struct py_ctx *c, uint64_t tsaddr,
				    const unsigned char *ts)
{
	const struct py_layout *L = c->L;
	struct py_thread *t;

	c->threads = grow(c->threads, &c->capthreads, c->nthreads + 1,
			  sizeof(*c->threads));
	c->w->names = grow(c->w->names, &c->w->capnames, c->nthreads + 1,
			   sizeof(*c->w->names));
	c->w->names[c->nthreads] = 0;
	t = &c->threads[c->nthreads++];
	memset(t, 0, sizeof(*t));
	t->tstate = tsaddr;
	t->thread_id = py_u64(ts, L->ts_thread_id);
	t->native_id = (pid_t)py_u64(ts, L->ts_native_id);
	return t;
}

/* Read the thread state at TSADDR and its stack as the next result. */
static int add_thread(struct py_ctx *c, uint64_t tsaddr,
		      const unsigned char *ts)
{
	struct py_thread *t;
	bool trunc;
	size_t before = c->nframes;

	if (raw_frames(c, ts, &trunc) < 0)
		return -1;
	add_frames(c);
	t = new_thread(c, tsaddr, ts);
	t->nframes = c->nframes - before;
	t->truncated = trunc;
	return 0;
}

/* _PyRuntime's head, checking that the cached facts still hold.
 * RT gets L->rt_size bytes. */
static int read_runtime(struct py_ctx *c, unsigned char *rt)
{
	struct py_proc *pp = c->pp;
	unsigned long ver = 0;
	struct py_iov v[2] = {
		{ pp->sym[PYS_RUNTIME], rt, (size_t)c->L->rt_size, false },
		{ pp->sym[PYS_VERSION], &ver, sizeof(ver), false },
	};
	size_t n = pp->sym[PYS_VERSION] ? 2 : 1;

	py_readv(c, v, n);
	if (!v[0].ok || (n == 2 && (!v[1].ok || ver != pp->hexversion))) {
		CERR(c, "the CPython runtime of process %d is gone (exec?)",
		     (int)pp->pid);
		return -1;
	}
	return 0;
}

/* Every thread state of every interpreter: addresses into *OUT (malloc),
 * their bytes into *BYTES (malloc, L->ts_size each), oldest first per
 * interpreter.  Returns the count, or -1. */
static long all_tstates(struct py_ctx *c, const unsigned char *rt,
			uint64_t **out, unsigned char **bytes,
			uint64_t *main_interp)
{
	const struct py_layout *L = c->L;
	size_t tsz = (size_t)L->ts_size, n = 0, cap = 0, bcap = 0;
	uint64_t *list = NULL;
	unsigned char *mem = NULL, *is = malloc((size_t)L->is_size);
	uint64_t interp = py_u64(rt, L->rt_interp_head);
	int ni = 0;

	*main_interp = 0;
	if (is == NULL)
		return -1;
	if (interp == 0) {
		CERR(c, "the interpreter of process %d is not initialized",
		     (int)c->pp->pid);
		free(is);
		return -1;
	}
	while (interp && ni++ < PY_MAX_INTERPS) {
		uint64_t t;
		size_t first = n, k = 0;

		if (py_read1(c, interp, is, (size_t)L->is_size) < 0)
			break;
		/* the main interpreter is the last of the list */
		*main_interp = interp;
		t = py_u64(is, L->is_threads_head);
		while (t && k++ < PY_MAX_THREADS) {
			list = grow(list, &cap, n + 1, sizeof(*list));
			mem = grow(mem, &bcap, (n + 1) * tsz, 1);
			if (py_read1(c, t, mem + n * tsz, tsz) < 0)
				break;
			list[n++] = t;
			t = py_u64(mem + (n - 1) * tsz, L->ts_next);
		}
		/* newest first in CPython's list: reverse */
		for (size_t a = first, b = n; a + 1 < b; a++, b--) {
			uint64_t x = list[a];
			unsigned char tmp[1024];

			list[a] = list[b - 1];
			list[b - 1] = x;
			if (tsz <= sizeof(tmp)) {
				memcpy(tmp, mem + a * tsz, tsz);
				memcpy(mem + a * tsz, mem + (b - 1) * tsz, tsz);
				memcpy(mem + (b - 1) * tsz, tmp, tsz);
			}
		}
		interp = py_u64(is, L->is_next);
	}
	free(is);
	*out = list;
	*bytes = mem;
	return (long)n;
}

/* Remember the thread states of a walk for EPOCH. */
static void snap_keep(struct py_ctx *c, uint64_t epoch, const uint64_t *list,
		      const unsigned char *bytes, long n)
{
	const struct py_layout *L = c->L;

	c->snap_epoch = 0;
	if (epoch == 0)
		return;
	c->snap_tids = grow(c->snap_tids, &c->snap_cap, (size_t)n + 1,
			    sizeof(*c->snap_tids));
	c->snap_addrs = realloc(c->snap_addrs,
				c->snap_cap * sizeof(*c->snap_addrs));
	if (c->snap_addrs == NULL) {
		free(c->snap_tids);
		c->snap_tids = NULL;
		c->snap_cap = 0;
		return;
	}
	for (long i = 0; i < n; i++) {
		c->snap_tids[i] = (pid_t)py_u64(bytes + (size_t)i *
						(size_t)L->ts_size,
						L->ts_native_id);
		c->snap_addrs[i] = list[i];
	}
	c->snap_n = (size_t)n;
	c->snap_pid = c->pp->pid;
	c->snap_epoch = epoch;
}

int py_stack(struct py_ctx *c, struct py_proc *pp, const struct py_mem *m,
	     pid_t tid, uint64_t epoch, const struct py_thread **out)
{
	const struct py_layout *L = pp->L;
	unsigned char rt[1024], ts[1024];
	uint64_t cur = 0, *list = NULL, main_interp;
	unsigned char *bytes = NULL;
	long n, i;
	int rc = -1;

	if (py_begin(c, pp, m) < 0)
		return -1;
	if ((size_t)L->rt_size > sizeof(rt) || (size_t)L->ts_size > sizeof(ts))
		return -1;
	if (epoch && c->snap_epoch == epoch && c->snap_pid == pp->pid) {
		/* every thread stopped since the list was read: it holds */
		for (size_t k = 0; k < c->snap_n; k++) {
			if (c->snap_tids[k] != tid)
				continue;
			if (py_read1(c, c->snap_addrs[k], ts,
				     (size_t)L->ts_size) < 0 ||
			    add_thread(c, c->snap_addrs[k], ts) < 0)
				return -1;
			fix_pointers(c);
			*out = &c->threads[0];
			return 0;
		}
		CERR(c, "thread %d of process %d has no Python thread state",
		     (int)tid, (int)pp->pid);
		return 1;
	}
	if (read_runtime(c, rt) < 0)
		return -1;
	/* 3.11: the GIL holder first (at a probe hit, the hit thread) */
	if (L->rt_tstate_current >= 0)
		cur = py_u64(rt, L->rt_tstate_current);
	if (cur && py_read1(c, cur, ts, (size_t)L->ts_size) == 0 &&
	    (pid_t)py_u64(ts, L->ts_native_id) == tid) {
		if (add_thread(c, cur, ts) < 0)
			return -1;
		fix_pointers(c);
		*out = &c->threads[0];
		return 0;
	}
	if (py_u64(rt, L->rt_interp_head) == 0) {
		CERR(c, "the interpreter of process %d is not initialized",
		     (int)pp->pid);
		return 1;
	}
	n = all_tstates(c, rt, &list, &bytes, &main_interp);
	if (n < 0)
		goto out;
	snap_keep(c, epoch, list, bytes, n);
	for (i = 0; i < n; i++) {
		const unsigned char *b = bytes + (size_t)i * (size_t)L->ts_size;

		if ((pid_t)py_u64(b, L->ts_native_id) != tid)
			continue;
		if (add_thread(c, list[i], b) < 0)
			goto out;
		fix_pointers(c);
		*out = &c->threads[0];
		rc = 0;
		goto out;
	}
	CERR(c, "thread %d of process %d has no Python thread state",
	     (int)tid, (int)pp->pid);
	rc = 1;
out:
	free(list);
	free(bytes);
	return rc;
}

/* ---- dicts, ints, attributes (for thread names; pyrepr.c too) --------- */

/* The value of a small int object (|v| < 2^64): 0, or -1 if ADDR is not
 * an int or too big.  HEAD: its first 40 bytes if already read. */
int py_long_small(struct py_ctx *c, uint64_t addr, const unsigned char *head,
		  uint64_t *val, bool *neg)
{
	const struct py_layout *L = c->L;
	unsigned char b[48];
	uint64_t tag, nd, v = 0;

	if (head == NULL) {
		if (py_read1(c, addr, b, sizeof(b)) < 0)
			return -1;
		head = b;
	}
	tag = py_u64(head, L->long_tag);
	if (L->long_tagged) {
		*neg = (tag & 3) == 2;
		nd = tag >> 3;
	} else {
		*neg = (int64_t)tag < 0;
		nd = *neg ? (uint64_t)(-(int64_t)tag) : tag;
	}
	if (nd > 3)
		return -1;
	for (uint64_t i = nd; i-- > 0;) {
		uint32_t d = py_u32(head, L->long_digits + (int)(4 * i));

		if (i == 2 && d >= 16)
			return -1;	/* 60 + 4 bits at most */
		v = (v << 30) | (d & 0x3fffffff);
	}
	*val = v;
	return 0;
}

/* Read the dict header of DICT and its entries: 0 or -1.  ENT gets
 * nentries entries (malloc), *ESIZE their size, *VALUES the split
 * values array (0 = combined). */
static int dict_entries(struct py_ctx *c, uint64_t dict,
			unsigned char **ent, size_t *nent, size_t *esize,
			uint64_t *values, uint64_t *used)
{
	const struct py_layout *L = c->L;
	unsigned char d[64], k[40];
	uint64_t keys, nentries;
	unsigned log2_index;
	int kind;
	size_t bytes;

	*ent = NULL;
	if (py_read1(c, dict, d, (size_t)L->dict_values + 8) < 0)
		return -1;
	if (c->pp->sym[PYS_DICT_TYPE] &&
	    py_u64(d, L->ob_type) != c->pp->sym[PYS_DICT_TYPE]) {
		CERR(c, "0x%" PRIx64 " is not a dict", dict);
		return -1;
	}
	*used = py_u64(d, L->dict_used);
	keys = py_u64(d, L->dict_keys);
	*values = py_u64(d, L->dict_values);
	if (py_read1(c, keys, k, (size_t)L->dk_indices) < 0)
		return -1;
	log2_index = k[L->dk_log2_index_bytes];
	kind = k[L->dk_kind];
	nentries = py_u64(k, L->dk_nentries);
	if (log2_index > 40 || nentries > (1u << 20)) {
		CERR(c, "0x%" PRIx64 " is not a valid dict", dict);
		return -1;
	}
	*esize = (size_t)(kind == 0 ? L->dk_entry_general
				    : L->dk_entry_unicode);
	bytes = (size_t)nentries * *esize;
	*nent = (size_t)nentries;
	*ent = malloc(bytes ? bytes : 1);
	if (*ent == NULL)
		return -1;
	if (bytes && py_read1(c, keys + (uint64_t)L->dk_indices +
			      (1ull << log2_index), *ent, bytes) < 0) {
		free(*ent);
		*ent = NULL;
		return -1;
	}
	return 0;
}

/*
 * The items of DICT in insertion order: at most MAX keys and values (object
 * addresses), *N of them; *TOTAL = len(dict).  0, or -1.
 */
int py_dict_items(struct py_ctx *c, uint64_t dict, uint64_t *keys,
		  uint64_t *vals, size_t max, size_t *n, uint64_t *total)
{
	unsigned char *ent, order[256], sz = 0;
	size_t nent, esize, i, cnt = 0;
	uint64_t values, *sv = NULL;
	int koff;

	*n = 0;
	if (dict_entries(c, dict, &ent, &nent, &esize, &values, total) < 0)
		return -1;
	koff = esize == 24 ? 8 : 0;	/* general entries start with the hash */
	if (values) {
		/* split table: values[ix], insertion order in the bytes
		 * before the array (_PyDictValues_AddToInsertionOrder: the
		 * count at values[-2], the i-th index at values[-3 - i]) */
		struct py_iov v[2];
		size_t nv = 0;

		uint64_t order_at, cap = nent;

		if (c->L->dict_values_header) {
			/* 3.13: capacity, size, embedded, valid; values[];
			 * then the order */
			unsigned char h[8];

			if (py_read1(c, values, h, sizeof(h)) < 0)
				goto fail;
			cap = h[0];
			sz = h[1];
			values += 8;
			order_at = values + cap * 8;
			if (nent > cap)
				nent = (size_t)cap;
		} else {
			if (py_read1(c, values - 2, &sz, 1) < 0)
				goto fail;
			order_at = values - 2 - sz;
		}
		sv = calloc(nent ? nent : 1, sizeof(*sv));
		if (sv == NULL)
			goto fail;
		if (nent)
			v[nv++] = (struct py_iov){ values, sv, nent * 8, false };
		if (sz)
			v[nv++] = (struct py_iov){ order_at, order, sz, false };
		if (py_readv(c, v, nv) != nv) {
			CERR(c, "cannot read the values of dict 0x%" PRIx64,
			     dict);
			goto fail;
		}
		for (i = 0; i < sz && cnt < max; i++) {
			size_t ix = c->L->dict_values_header ? order[i]
							     : order[sz - 1 - i];

			if (ix >= nent || sv[ix] == 0)
				continue;
			keys[cnt] = py_u64(ent + ix * esize, koff);
			vals[cnt] = sv[ix];
			cnt++;
		}
	} else {
		for (i = 0; i < nent && cnt < max; i++) {
			uint64_t k = py_u64(ent + i * esize, koff);
			uint64_t v = py_u64(ent + i * esize, koff + 8);

			if (k == 0 || v == 0)
				continue;
			keys[cnt] = k;
			vals[cnt] = v;
			cnt++;
		}
	}
	*n = cnt;
	free(sv);
	free(ent);
	return 0;
fail:
	free(sv);
	free(ent);
	return -1;
}

/* Does the str at ADDR equal KEY?  1, 0, or -1 (unreadable). */
static int str_eq(struct py_ctx *c, uint64_t addr, const char *key)
{
	struct strbuf s = STRBUF_INIT;
	size_t kl = strlen(key);
	int r;

	if (py_str_text(c, addr, NULL, 0, &s, kl + 1) < 0) {
		sb_free(&s);
		return -1;
	}
	r = s.len == kl && memcmp(sb_str(&s), key, kl) == 0;
	sb_free(&s);
	return r;
}

/* The index of the str equal to KEY among the N objects at KS, or -1
 * (-2: nothing readable).  Compact ASCII keys compare in one batched
 * read of their heads. */
static long find_key(struct py_ctx *c, const uint64_t *ks, size_t n,
		     const char *key)
{
	const struct py_layout *L = c->L;
	size_t kl = strlen(key), i;
	size_t hsz = (size_t)L->str_ascii_data + kl + 1;
	unsigned char *heads = malloc(n * hsz + 1);
	struct py_iov *v = malloc((n + 1) * sizeof(*v));
	long found = -1;

	if (heads == NULL || v == NULL) {
		free(heads);
		free(v);
		return -2;
	}
	for (i = 0; i < n; i++)
		v[i] = (struct py_iov){ ks[i], heads + i * hsz, hsz, false };
	py_readv(c, v, n);
	for (i = 0; i < n && found < 0; i++) {
		const unsigned char *h = heads + i * hsz;
		uint32_t st;

		if (ks[i] == 0)
			continue;
		if (v[i].ok && (!c->pp->sym[PYS_STR_TYPE] ||
				py_u64(h, L->ob_type) ==
				c->pp->sym[PYS_STR_TYPE])) {
			st = py_u32(h, L->str_state);
			if (((st >> L->str_compact_bit) & 1) &&
			    ((st >> L->str_ascii_bit) & 1)) {
				if (py_u64(h, L->str_length) == kl &&
				    memcmp(h + L->str_ascii_data, key, kl) == 0)
					found = (long)i;
				continue;
			}
		}
		if (str_eq(c, ks[i], key) == 1)
			found = (long)i;
	}
	free(heads);
	free(v);
	return found;
}

int py_dict_get_str(struct py_ctx *c, uint64_t dict, const char *key,
		    uint64_t *val)
{
	uint64_t *ks, *vs, total;
	size_t n = 0, max = 4096;
	long i;
	int rc = -1;

	*val = 0;
	ks = calloc(max, sizeof(*ks));
	vs = calloc(max, sizeof(*vs));
	if (ks && vs && py_dict_items(c, dict, ks, vs, max, &n, &total) == 0) {
		rc = 0;
		i = find_key(c, ks, n, key);
		if (i >= 0)
			*val = vs[i];
	}
	free(ks);
	free(vs);
	return rc;
}

/* The attribute NAME of an instance whose class keeps a managed dict
 * (every Python class without __slots__): *VAL or 0.  0, or -1. */
int py_instance_attr(struct py_ctx *c, uint64_t obj, const char *name,
		     uint64_t *val)
{
	const struct py_layout *L = c->L;
	unsigned char o[16], t[256];
	uint64_t type, slot, values = 0, keys;
	unsigned long flags;

	*val = 0;
	if ((size_t)L->tp_flags + 8 > sizeof(t) ||
	    py_read1(c, obj, o, sizeof(o)) < 0)
		return -1;
	type = py_u64(o, L->ob_type);
	if (py_read1(c, type, t, (size_t)L->tp_flags + 8) < 0)
		return -1;
	flags = (unsigned long)py_u64(t, L->tp_flags);
	if (!(flags & L->tpflag_managed_dict))
		return 0;
	if (py_read1(c, obj + (uint64_t)(int64_t)L->obj_managed_dict, &slot,
		     8) < 0)
		return -1;
	if (L->obj_inline_values) {
		/* 3.13: values at tp_basicsize, unless the dict took them */
		uint64_t basic;
		unsigned char h[8];

		if (slot == 0) {
			if (py_read1(c, type + (uint64_t)L->tp_basicsize, &basic,
				     8) < 0 || basic > 4096 ||
			    py_read1(c, obj + basic, h, sizeof(h)) < 0)
				return -1;
			if (h[3])	/* valid */
				values = obj + basic + 8;
		}
	} else if (L->obj_managed_values == 0) {
		/* 3.12: the slot holds the dict, or values - 1 (odd) */
		if (slot & 1) {
			values = slot + 1;
			slot = 0;
		}
	} else if (slot == 0 &&
		   py_read1(c, obj + (uint64_t)(int64_t)L->obj_managed_values,
			    &values, 8) < 0) {
		return -1;
	}
	if (slot)
		return py_dict_get_str(c, slot, name, val);
	if (values == 0)
		return 0;
	/* inline values: the keys are the class's shared keys */
	if (py_read1(c, type + (uint64_t)L->ht_cached_keys, &keys, 8) < 0)
		return -1;
	if (keys == 0)
		return 0;
	{
		unsigned char k[40], *ent;
		uint64_t nentries, ix = 0, *ksa;
		unsigned log2_index;
		size_t esize, i;
		long found;

		if (py_read1(c, keys, k, (size_t)L->dk_indices) < 0)
			return -1;
		log2_index = k[L->dk_log2_index_bytes];
		nentries = py_u64(k, L->dk_nentries);
		esize = (size_t)(k[L->dk_kind] == 0 ? L->dk_entry_general
						    : L->dk_entry_unicode);
		if (log2_index > 40 || nentries > 4096)
			return -1;
		ent = malloc(nentries * esize + 1);
		if (ent == NULL)
			return -1;
		if (nentries && py_read1(c, keys + (uint64_t)L->dk_indices +
					 (1ull << log2_index), ent,
					 nentries * esize) < 0) {
			free(ent);
			return -1;
		}
		ksa = calloc(nentries + 1, sizeof(*ksa));
		if (ksa == NULL) {
			free(ent);
			return -1;
		}
		for (i = 0; i < nentries; i++)
			ksa[i] = py_u64(ent + i * esize, esize == 24 ? 8 : 0);
		found = find_key(c, ksa, (size_t)nentries, name);
		free(ksa);
		free(ent);
		if (found < 0)
			return 0;
		ix = (uint64_t)found;
		return py_read1(c, values + 8 * ix, val, 8);
	}
}

/* threading's name of every thread in c->threads (best effort: threads
 * that threading does not know keep no name). */
static void thread_names(struct py_ctx *c, uint64_t interp)
{
	const struct py_layout *L = c->L;
	uint64_t modules = 0, mod, mdict, active, ks[256], vs[256], total;
	unsigned char ob[16];
	size_t n, i, k;
	struct strbuf s = STRBUF_INIT;
	char err[sizeof(c->err)];

	if (interp == 0)
		return;
	memcpy(err, c->err, sizeof(err));
	if (py_read1(c, interp + (uint64_t)L->is_modules, &modules, 8) < 0 ||
	    py_dict_get_str(c, modules, "threading", &mod) < 0 || mod == 0 ||
	    py_read1(c, mod, ob, sizeof(ob)) < 0 ||
	    (c->pp->sym[PYS_MODULE_TYPE] &&
	     py_u64(ob, L->ob_type) != c->pp->sym[PYS_MODULE_TYPE]) ||
	    py_read1(c, mod + (uint64_t)L->module_dict, &mdict, 8) < 0 ||
	    py_dict_get_str(c, mdict, "_active", &active) < 0 || active == 0 ||
	    py_dict_items(c, active, ks, vs, 256, &n, &total) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		uint64_t ident, name;
		bool neg;

		if (py_long_small(c, ks[i], NULL, &ident, &neg) < 0 || neg)
			continue;
		for (k = 0; k < c->nthreads; k++)
			if (c->threads[k].thread_id == ident)
				break;
		if (k == c->nthreads || c->w->names[k])
			continue;
		if (py_instance_attr(c, vs[i], "_name", &name) < 0 || name == 0)
			continue;
		sb_reset(&s);
		if (py_str_text(c, name, NULL, 0, &s, 256) < 0)
			continue;
		c->w->names[k] = text_add(c, sb_str(&s), s.len) + 1;
	}
out:
	sb_free(&s);
	memcpy(c->err, err, sizeof(err));	/* names are best effort */
}

int py_threads(struct py_ctx *c, struct py_proc *pp, const struct py_mem *m,
	       const struct py_thread **out, size_t *nout)
{
	const struct py_layout *L = pp->L;
	unsigned char rt[1024];
	uint64_t *list = NULL, main_interp = 0;
	unsigned char *bytes = NULL;
	long n, i;

	if (py_begin(c, pp, m) < 0)
		return -1;
	if ((size_t)L->rt_size > sizeof(rt) || read_runtime(c, rt) < 0)
		return -1;
	n = all_tstates(c, rt, &list, &bytes, &main_interp);
	if (n < 0)
		return -1;
	for (i = 0; i < n; i++) {
		const unsigned char *b = bytes + (size_t)i * (size_t)L->ts_size;

		if (add_thread(c, list[i], b) < 0) {
			/* an unreadable thread: listed without frames */
			struct py_thread *t = new_thread(c, list[i], b);

			t->truncated = true;
		}
	}
	free(list);
	free(bytes);
	thread_names(c, main_interp);
	fix_pointers(c);
	*out = c->threads;
	*nout = c->nthreads;
	return 0;
}
