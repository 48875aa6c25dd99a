/*
 * fuzz_sdt.c - libFuzzer harness for the SDT/ELF reader (elf/sdt.c) and
 * what the compiler does with a file it reads (compiler/target.c's
 * target_get: SDT notes, the CPython version from Py_Version, the agent's
 * marks).
 *
 * The input is one of two things, by its first byte:
 *  - even: the rest is a whole file (mutated ELF headers, section and
 *    program headers, notes, symbol tables);
 *  - odd: bytes 1-8 are the address of .stapsdt.base and the rest is the
 *    content of a .note.stapsdt section, which the harness wraps in a
 *    well-formed ELF64 file (one PT_LOAD, .stapsdt.base, a symbol table
 *    for sym(%rip) operands): the notes and argument strings get mutated
 *    without libelf refusing the file first.
 * The file is written to a temporary file (sdt_file_read() and target_get() take
 * a path), read as pytap reads a target binary, and every probe found is
 * then used the way the tracer uses it: load bias of each PT_LOAD,
 * argument fetch from fixed registers through a memory reader that
 * checks the size it is asked for.  Properties beyond "no crash, leak or
 * sanitizer report": every note kept has a provider, a name and an
 * argument string; nargs is -1 or 0..SDT_MAX_ARGS, and every argument
 * parsed has a valid size and registers.
 */
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/user.h>
#include <unistd.h>

#include "sdt.h"
#include "target.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[256];
static int fd = -1;

/* PYTAP_FUZZ_KEEP=1: leave the last file there (to look at it with
 * readelf after replaying one input); its name is printed. */
static void cleanup(void)
{
	if (getenv("PYTAP_FUZZ_KEEP")) {
		fprintf(stderr, "fuzz_sdt: the last file is %s\n", path);
		return;
	}
	if (path[0])
		unlink(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");

	(void)argc;
	(void)argv;
	/* a file in memory (/dev/shm) when TMPDIR does not say otherwise:
	   it is rewritten for every input */
	if (!tmp || !*tmp)
		tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(path, sizeof(path), "%s/pytap-fuzz-sdt.XXXXXX", tmp);
	fd = mkstemp(path);
	if (fd < 0) {
		perror("fuzz_sdt: mkstemp");
		abort();
	}
	atexit(cleanup);
	return 0;
}

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_sdt: %s\n", what);
		abort();
	}
}

static int reader(void *ctx, uint64_t addr, void *buf, size_t len)
{
	(void)ctx;
	check(len == 1 || len == 2 || len == 4 || len == 8,
	      "sdt_arg_fetch asked for a bad size");
	if (addr & 1)
		return -1;	/* some reads fail, as in a real process */
	memset(buf, (int)(addr & 0xff), len);
	return 0;
}

static void check_probes(const struct sdt_file *f)
{
	struct user_regs_struct regs;

	memset(&regs, 0x5a, sizeof(regs));
	for (size_t i = 0; i < f->nprobes; i++) {
		const struct sdt_probe *p = &f->probes[i];

		check(p->provider && p->name && p->argstr, "note without strings");
		check(p->nargs >= -1 && p->nargs <= SDT_MAX_ARGS, "bad nargs");
		for (int k = 0; k < p->nargs; k++) {
			const struct sdt_arg *a = &p->args[k];
			int64_t v;

			check(a->size == 1 || a->size == 2 || a->size == 4 ||
			      a->size == 8, "bad argument size");
			check(a->reg >= -1 && a->reg < SDT_NREGS, "bad register");
			check(a->index >= -1 && a->index < SDT_NREGS,
			      "bad index register");
			(void)sdt_arg_fetch(a, &regs, reader, NULL, &v);
			(void)sdt_reg_name(a->reg);
		}
	}
	check(f->nloads <= SDT_MAX_LOADS, "too many loads");
	for (size_t i = 0; i < f->nloads; i++) {
		uint64_t bias;

		(void)sdt_file_bias(f, 0x7f0000000000ull, f->loads[i].offset,
				    &bias);
	}
}

/* Append LEN bytes to the image being built. */
struct img {
	uint8_t *buf;
	size_t len, cap;
};

static size_t put(struct img *m, const void *p, size_t len)
{
	size_t off = (m->len + 7) & ~(size_t)7;

	if (off + len > m->cap) {
		m->cap = (off + len) * 2 + 4096;
		m->buf = realloc(m->buf, m->cap);
		if (m->buf == NULL)
			abort();
	}
	memset(m->buf + m->len, 0, off - m->len);
	if (len)
		memcpy(m->buf + off, p, len);
	m->len = off + len;
	return off;
}

/* An ELF64 ET_DYN file around NOTES (the .note.stapsdt content). */
static void wrap_notes(struct img *m, uint64_t base, const uint8_t *notes,
		       size_t nlen)
{
	static const char shstr[] = "\0.stapsdt.base\0.note.stapsdt\0"
		".symtab\0.strtab\0.shstrtab\0.probes";
	static const char str[] = "\0counter\0names\0Py_Version\0"
		"_PyEval_EvalFrameDefault\0_r_debug";
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	Elf64_Shdr sh[8];
	Elf64_Sym sym[6];
	uint8_t basebyte = 0x90, probes[16] = { 0 };
	size_t o_base, o_notes, o_sym, o_str, o_shstr, o_probes, o_sh;

	m->len = 0;
	memset(&eh, 0, sizeof(eh));
	memset(&ph, 0, sizeof(ph));
	memset(sh, 0, sizeof(sh));
	memset(sym, 0, sizeof(sym));
	put(m, &eh, sizeof(eh));
	put(m, &ph, sizeof(ph));
	o_base = put(m, &basebyte, 1);
	o_notes = put(m, notes, nlen);
	o_probes = put(m, probes, sizeof(probes));
	/* symbols: counter, names, Py_Version (in .probes), two functions */
	for (int i = 1; i < 6; i++) {
		static const unsigned names[] = { 0, 1, 9, 15, 26, 51 };

		sym[i].st_name = names[i];
		sym[i].st_info = ELF64_ST_INFO(STB_GLOBAL, STT_OBJECT);
		sym[i].st_shndx = 6;
		sym[i].st_value = 0x400000 + o_probes + (uint64_t)(i - 1) * 2;
	}
	o_sym = put(m, sym, sizeof(sym));
	o_str = put(m, str, sizeof(str));
	o_shstr = put(m, shstr, sizeof(shstr));
	/* sections: 1 .stapsdt.base, 2 .note.stapsdt, 3 .symtab,
	   4 .strtab, 5 .shstrtab, 6 .probes */
	sh[1] = (Elf64_Shdr){ .sh_name = 1, .sh_type = SHT_PROGBITS,
		.sh_flags = SHF_ALLOC, .sh_addr = base, .sh_offset = o_base,
		.sh_size = 1, .sh_addralign = 1 };
	sh[2] = (Elf64_Shdr){ .sh_name = 15, .sh_type = SHT_NOTE,
		.sh_offset = o_notes, .sh_size = nlen, .sh_addralign = 4 };
	sh[3] = (Elf64_Shdr){ .sh_name = 29, .sh_type = SHT_SYMTAB,
		.sh_offset = o_sym, .sh_size = sizeof(sym), .sh_link = 4,
		.sh_info = 1, .sh_addralign = 8,
		.sh_entsize = sizeof(Elf64_Sym) };
	sh[4] = (Elf64_Shdr){ .sh_name = 37, .sh_type = SHT_STRTAB,
		.sh_offset = o_str, .sh_size = sizeof(str), .sh_addralign = 1 };
	sh[5] = (Elf64_Shdr){ .sh_name = 45, .sh_type = SHT_STRTAB,
		.sh_offset = o_shstr, .sh_size = sizeof(shstr),
		.sh_addralign = 1 };
	sh[6] = (Elf64_Shdr){ .sh_name = 55, .sh_type = SHT_PROGBITS,
		.sh_flags = SHF_ALLOC | SHF_WRITE,
		.sh_addr = 0x400000 + o_probes, .sh_offset = o_probes,
		.sh_size = sizeof(probes), .sh_addralign = 2 };
	o_sh = put(m, sh, 7 * sizeof(sh[0]));

	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_DYN;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_phoff = sizeof(eh);
	eh.e_shoff = o_sh;
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(ph);
	eh.e_phnum = 1;
	eh.e_shentsize = sizeof(sh[0]);
	eh.e_shnum = 7;
	eh.e_shstrndx = 5;
	ph.p_type = PT_LOAD;
	ph.p_flags = PF_R | PF_X;
	ph.p_offset = 0;
	ph.p_vaddr = 0x400000;
	ph.p_filesz = m->len;
	ph.p_memsz = m->len;
	ph.p_align = 0x1000;
	memcpy(m->buf, &eh, sizeof(eh));
	memcpy(m->buf + sizeof(eh), &ph, sizeof(ph));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct img m;
	struct sdt_file f;
	struct target_set ts;
	char err[512];
	static const char *const names[] = { "_dl_debug_state", "_r_debug",
					     "Py_Version" };
	uint64_t values[3] = { 0, 0, 0 };
	struct target_obj *o;

	if (size < 1 || size > 1 << 20)
		return -1;
	if (data[0] & 1) {
		uint64_t base = 0;

		if (size < 9)
			return -1;
		memcpy(&base, data + 1, 8);
		wrap_notes(&m, base, data + 9, size - 9);
		data = m.buf;
		size = m.len;
	} else {
		data++;
		size--;
	}
	if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();

	if (sdt_file_read(path, &f, err, sizeof(err)) == 0) {
		check_probes(&f);
		sdt_file_free(&f);
	}
	(void)sdt_file_symbols(path, names, values, 3);

	memset(&ts, 0, sizeof(ts));
	o = target_get(&ts, path, err, sizeof(err));
	if (o) {
		check_probes(&o->sdt);
		(void)target_is_python(o);
	}
	target_set_free(&ts);
	return 0;
}
