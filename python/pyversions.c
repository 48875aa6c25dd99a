/*
 * pyversions.c - which CPython a process runs, and where its structures'
 * fields are: the per-version layout tables (struct py_layout) and
 * finding the runtime (py_proc_find).
 *
 * Finding the runtime (py_proc_find): /proc/PID/maps names the executable
 * and any libpython*.so; the one whose dynamic symbol table defines
 * _PyRuntime is CPython (Debian's static /usr/bin/python3.11 exports it,
 * as a shared build's libpython3.X.so does).  Py_Version (3.11+) gives the
 * version, which selects the layout table.  The type objects (PyCode_Type,
 * PyUnicode_Type, ...) are exported too; their addresses identify objects.
 *
 * The layout tables: offsets come from compiling a program that prints
 * offsetof() of every field used against each version's own headers with
 * Py_BUILD_CORE (3.11: Debian's libpython3.11-dev, Include/internal/pycore_*.h,
 * for Debian's python3.11 3.11.2; 3.12 and 3.13: the headers of 3.12.1 and
 * 3.13.0 builds).
 * tests/probe/pystack.test checks them against the live interpreters:
 * stacks against traceback.extract_stack() and sys._current_frames(),
 * thread ids against threading.get_native_id(), objects against repr().
 * A new version: one more table, and its name in layouts[].
 */
#include <ctype.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpython_int.h"
#include "elfsym.h"
#include "procfs.h"

/* ---- layout tables ------------------------------------------------------ */

/* The fields no version from 3.11 to 3.13 moved: the object headers, the
 * str state bits, dicts' internals, the name fields of code objects, the
 * thread states' list links.  A version that moves one of them spells its
 * table out without this (a field named twice is an error:
 * -Woverride-init). */
#define PY_LAYOUT_3_11_TO_3_13 \
	.major = 3, \
	.ts_prev = 0, .ts_next = 8, .ts_interp = 16, .chunk_data = 24, \
	.fr_size = 72, .fr_instr = 56, \
	.co_filename = 112, .co_name = 120, .co_qualname = 128, \
	.co_linetable = 136, .co_flags = 48, .co_localsplusnames = 96, \
	.co_localspluskinds = 104, \
	.ob_type = 8, .ob_size = 16, .tp_name = 24, .tp_flags = 168, \
	.tpflag_managed_dict = 1ul << 4, .tp_basicsize = 32, \
	.obj_managed_dict = -24, \
	.str_length = 16, .str_state = 32, .str_kind_shift = 2, \
	.str_compact_bit = 5, .str_ascii_bit = 6, \
	.bytes_data = 32, .long_tag = 16, .long_digits = 24, \
	.float_value = 16, .tuple_items = 24, .list_items = 24, \
	.dict_used = 16, .dict_keys = 32, .dict_values = 40, \
	.dk_log2_size = 8, .dk_log2_index_bytes = 9, .dk_kind = 10, \
	.dk_nentries = 24, .dk_indices = 32, \
	.dk_entry_general = 24, .dk_entry_unicode = 16, \
	.module_dict = 16

/* CPython 3.11 (x86_64, Debian 12's 3.11.2 headers; checked to hold for a
 * 3.11.7 build as well). */
static const struct py_layout py311 = {
	PY_LAYOUT_3_11_TO_3_13,
	.minor = 11,
	.rt_size = 584, .rt_interp_head = 40, .rt_tstate_current = 576,
	.is_size = 896, .is_next = 0, .is_threads_head = 16,
	.is_modules = 888,
	.ts_size = 360, .ts_cframe = 56, .ts_current_frame = -1,
	.ts_thread_id = 152, .ts_native_id = 160,
	.ts_datastack_chunk = 296, .ts_datastack_top = 304,
	.cf_current_frame = 8, .fr_code = 32, .fr_previous = 48,
	.fr_owner = 69, .fr_owner_cstack = -1,
	.co_size = 184, .co_firstlineno = 72, .co_code_adaptive = 184,
	.co_argcount = 56, .co_kwonlyargcount = 64,
	.ht_cached_keys = 872, .obj_managed_values = -32,
	.str_ascii_data = 48, .str_compact_data = 72,
	.str_data_ptr = 72, .long_tagged = false,
};

/* CPython 3.12 (x86_64, headers of 3.12.1).  The GIL holder is no longer
 * in _PyRuntime (the current thread state became thread-local), so thread
 * states are found by walking the list. */
static const struct py_layout py312 = {
	PY_LAYOUT_3_11_TO_3_13,
	.minor = 12,
	.rt_size = 48, .rt_interp_head = 40, .rt_tstate_current = -1,
	.is_size = 952, .is_next = 0, .is_threads_head = 72,
	.is_modules = 944,
	.ts_size = 288, .ts_cframe = 56, .ts_current_frame = -1,
	.ts_thread_id = 136, .ts_native_id = 144,
	.ts_datastack_chunk = 232, .ts_datastack_top = 240,
	.cf_current_frame = 0, .fr_code = 0, .fr_previous = 8,
	.fr_owner = 70, .fr_owner_cstack = 3,
	.co_size = 192, .co_firstlineno = 68, .co_code_adaptive = 192,
	.co_argcount = 52, .co_kwonlyargcount = 60,
	.ht_cached_keys = 880, .obj_managed_values = 0,
	.str_ascii_data = 40, .str_compact_data = 56,
	.str_data_ptr = 56, .long_tagged = true,
};

/* CPython 3.13 (x86_64, headers of 3.13.0): the thread state points at
 * its current frame directly; f_executable is the code object.  (3.13's
 * _Py_DebugOffsets at the start of _PyRuntime carries most of these
 * numbers too.)  Instance values moved inline, after the object, and
 * PyDictValues got a header. */
static const struct py_layout py313 = {
	PY_LAYOUT_3_11_TO_3_13,
	.minor = 13,
	.rt_size = 640, .rt_interp_head = 632, .rt_tstate_current = -1,
	.is_size = 7664, .is_next = 7264, .is_threads_head = 7344,
	.is_modules = 7656,
	.ts_size = 304, .ts_cframe = -1, .ts_current_frame = 72,
	.ts_thread_id = 152, .ts_native_id = 160,
	.ts_datastack_chunk = 232, .ts_datastack_top = 240,
	.cf_current_frame = 0, .fr_code = 0, .fr_previous = 8,
	.fr_owner = 70, .fr_owner_cstack = 3,
	.co_size = 200, .co_firstlineno = 68, .co_code_adaptive = 200,
	.co_argcount = 52, .co_kwonlyargcount = 60,
	.ht_cached_keys = 880, .obj_managed_values = 0,
	.obj_inline_values = true, .dict_values_header = true,
	.str_ascii_data = 40, .str_compact_data = 56,
	.str_data_ptr = 56, .long_tagged = true,
};

static const struct py_layout *const layouts[] = { &py311, &py312, &py313 };
#define NLAYOUTS (sizeof(layouts) / sizeof(layouts[0]))

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
	[PYS_ELLIPSIS] = "_Py_EllipsisObject",
};

/* One file mapped into the process: its lowest mapping. */
struct mapped {
	char path[PATH_MAX];
	uint64_t start, offset;
};

/* A symbol of SYM_NAMES into the values of CTX (elf_each_symbol). */
static int py_sym(void *ctx, const char *name, const GElf_Sym *s)
{
	uint64_t *vals = ctx;

	if (s->st_value == 0 || (name[0] != '_' && name[0] != 'P'))
		return 0;
	for (int k = 0; k < PYS__COUNT; k++)
		if (!vals[k] && strcmp(name, sym_names[k]) == 0)
			vals[k] = s->st_value;
	return 0;
}

/* The symbols of SYM_NAMES defined in the ELF file at FILE (link-time
 * values), and the load bias of mapping M.  0, or -1 (not an ELF file). */
static int elf_syms(const char *file, const struct mapped *m,
		    uint64_t vals[PYS__COUNT], uint64_t *bias)
{
	struct elf_file ef;
	GElf_Ehdr eh;
	size_t nph, i;

	memset(vals, 0, sizeof(uint64_t) * PYS__COUNT);
	*bias = 0;
	if (elf_file_open(&ef, file, true) < 0)
		return -1;
	if (gelf_getehdr(ef.elf, &eh) == NULL) {
		elf_file_close(&ef);
		return -1;
	}
	if (eh.e_type == ET_DYN && elf_getphdrnum(ef.elf, &nph) == 0) {
		for (i = 0; i < nph; i++) {
			GElf_Phdr ph;
			uint64_t off, va;

			if (gelf_getphdr(ef.elf, (int)i, &ph) == NULL ||
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
	elf_each_symbol(ef.elf, SHT_DYNSYM, py_sym, vals);
	if (!vals[PYS_RUNTIME] || !vals[PYS_CODE_TYPE])
		elf_each_symbol(ef.elf, SHT_SYMTAB, py_sym, vals);
	elf_file_close(&ef);
	return 0;
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
		struct procfs_map m;
		char *p, *base;
		size_t i;

		if (procfs_map_parse(line, &m) < 0 || m.path[0] != '/')
			continue;
		p = m.path;
		base = strrchr(p, '/') + 1;
		if (strcmp(p, exe) != 0 && strncmp(base, "libpython", 9) != 0)
			continue;
		for (i = 0; i < n; i++)
			if (strcmp(out[i].path, p) == 0)
				break;
		if (i < n) {
			if (m.start < out[i].start) {
				out[i].start = m.start;
				out[i].offset = m.offset;
			}
			continue;
		}
		if (n == max || strlen(p) >= sizeof(out[n].path))
			continue;
		snprintf(out[n].path, sizeof(out[n].path), "%s", p);
		out[n].start = m.start;
		out[n].offset = m.offset;
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
