/*
 * sdt.c - read SystemTap SDT notes (.note.stapsdt) from ELF files with
 * libelf, and decode and fetch their argument operands (x86_64 only).
 *
 * Each note's descriptor holds three addresses (pc, .stapsdt.base as linked,
 * semaphore) and then three NUL-terminated strings: provider, name and the
 * argument spec.  The pc and semaphore are corrected by the difference
 * between the actual .stapsdt.base section address and the one recorded in
 * the note (prelink moves sections without rewriting notes).
 *
 * Argument operands are AT&T syntax as gcc prints them for the "nor"
 * constraint: %reg, $const, disp(%base,%index,scale) and sym+off(%rip).
 * Symbolic rip-relative displacements are resolved here against the file's
 * symbol table and stored relative to the address just past the nop, which
 * is where rip points when a thread stops on the int3.
 */
#include "elfsym.h"
#include "sdt.h"
#include "seterr.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NT_STAPSDT 3

/* Symbols of one file, looked up by name for sym(%rip) operands. */
struct symtab {
	Elf *elf;
	bool loaded;
	size_t n, cap;
	struct { const char *name; uint64_t value; } *syms;
};

struct regname {
	const char *name;
	int reg;
	int size;		/* bytes of the register */
	int high;		/* 1 for %ah, %bh, %ch, %dh */
};

/* The legacy registers by width: 64, 32, 16 and low 8 bits, and the high
 * byte where there is one (%ah). */
#define REG_LOW(r64, r32, r16, r8, R) \
	{r64, R, 8, 0}, {r32, R, 4, 0}, {r16, R, 2, 0}, {r8, R, 1, 0}
#define REG_HIGH(r64, r32, r16, r8, rh, R) \
	REG_LOW(r64, r32, r16, r8, R), {rh, R, 1, 1}

static const struct regname regnames[] = {
	REG_HIGH("rax", "eax", "ax", "al", "ah", SDT_REG_RAX),
	REG_HIGH("rbx", "ebx", "bx", "bl", "bh", SDT_REG_RBX),
	REG_HIGH("rcx", "ecx", "cx", "cl", "ch", SDT_REG_RCX),
	REG_HIGH("rdx", "edx", "dx", "dl", "dh", SDT_REG_RDX),
	REG_LOW("rsi", "esi", "si", "sil", SDT_REG_RSI),
	REG_LOW("rdi", "edi", "di", "dil", SDT_REG_RDI),
	REG_LOW("rbp", "ebp", "bp", "bpl", SDT_REG_RBP),
	REG_LOW("rsp", "esp", "sp", "spl", SDT_REG_RSP),
	{"rip", SDT_REG_RIP, 8, 0},
};

static const char *const reg64[SDT_NREGS] = {
	"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip",
};

const char *sdt_reg_name(int reg)
{
	if (reg < 0 || reg >= SDT_NREGS)
		return "?";
	return reg64[reg];
}

/* Parse a register name after '%'; advances *PP. */
static int parse_reg(const char **pp, int *reg, int *size, int *high)
{
	const char *p = *pp;
	char name[8];
	size_t n = 0;

	while (isalnum((unsigned char)p[n]) && n < sizeof(name) - 1) {
		name[n] = p[n];
		n++;
	}
	name[n] = '\0';
	if (n == 0 || isalnum((unsigned char)p[n]))
		return -1;
	for (size_t i = 0; i < sizeof(regnames) / sizeof(regnames[0]); i++) {
		if (strcmp(regnames[i].name, name) == 0) {
			*reg = regnames[i].reg;
			*size = regnames[i].size;
			*high = regnames[i].high;
			*pp = p + n;
			return 0;
		}
	}
	/* r8..r15 with optional d/w/b/l suffix */
	if (name[0] == 'r' && isdigit((unsigned char)name[1])) {
		char *end;
		long num = strtol(name + 1, &end, 10);

		if (num < 8 || num > 15)
			return -1;
		if (*end == '\0')
			*size = 8;
		else if (strcmp(end, "d") == 0)
			*size = 4;
		else if (strcmp(end, "w") == 0)
			*size = 2;
		else if (strcmp(end, "b") == 0 || strcmp(end, "l") == 0)
			*size = 1;
		else
			return -1;
		*reg = SDT_REG_R8 + (int)(num - 8);
		*high = 0;
		*pp = p + n;
		return 0;
	}
	return -1;
}

/* One more symbol for ST (elf_each_symbol); stops when out of memory. */
static int symtab_add(void *ctx, const char *name, const GElf_Sym *sym)
{
	struct symtab *st = ctx;

	if (st->n == st->cap) {
		size_t cap = st->cap ? 2 * st->cap : 256;
		void *v = realloc(st->syms, cap * sizeof(*st->syms));

		if (v == NULL)
			return 1;
		st->syms = v;
		st->cap = cap;
	}
	st->syms[st->n].name = name;
	st->syms[st->n].value = sym->st_value;
	st->n++;
	return 0;
}

/* The file's .symtab, or its .dynsym where it has none (stripped). */
static void symtab_load(struct symtab *st)
{
	st->loaded = true;
	if (st->elf == NULL)
		return;
	if (elf_each_symbol(st->elf, SHT_SYMTAB, symtab_add, st) == 0)
		elf_each_symbol(st->elf, SHT_DYNSYM, symtab_add, st);
}

static int symtab_lookup(struct symtab *st, const char *name, size_t len,
			 uint64_t *value)
{
	if (st == NULL)
		return -1;
	if (!st->loaded)
		symtab_load(st);
	for (size_t i = 0; i < st->n; i++) {
		if (strncmp(st->syms[i].name, name, len) == 0 &&
		    st->syms[i].name[len] == '\0') {
			*value = st->syms[i].value;
			return 0;
		}
	}
	return -1;
}

/* A number as the assembler writes it: decimal, 0x hex, optional sign. */
static int parse_num(const char **pp, int64_t *out)
{
	const char *p = *pp;
	char *end;
	bool neg = false;

	if (*p == '-' || *p == '+') {
		neg = *p == '-';
		p++;
	}
	if (!isdigit((unsigned char)*p))
		return -1;
	errno = 0;
	unsigned long long v = strtoull(p, &end, 0);
	if (errno != 0)
		return -1;
	/* modulo 2^64, as the assembler has it: "-9223372036854775808"
	   must not negate INT64_MIN (found by tests/fuzz/fuzz_sdt) */
	*out = (int64_t)(neg ? 0 - (uint64_t)v : (uint64_t)v);
	*pp = end;
	return 0;
}

/*
 * One operand: "N@op" (or "op" alone, size 8).  PC is the link-time address
 * of the site, for symbolic rip-relative operands; ST may be NULL.
 */
static int parse_one(const char **pp, struct sdt_arg *a, struct symtab *st,
		     uint64_t pc)
{
	const char *p = *pp;
	const char *q = p;
	int64_t n;

	memset(a, 0, sizeof(*a));
	a->size = 8;
	a->reg = -1;
	a->index = -1;
	a->scale = 1;
	a->regsize = 8;

	/* optional size prefix */
	while (*q == '-' || isdigit((unsigned char)*q))
		q++;
	if (*q == '@' && q > p) {
		if (parse_num(&p, &n) < 0 || p != q || n < -8 || n > 8)
			return -1;
		if (n < 0) {
			a->is_signed = true;
			n = -n;
		}
		if (n != 1 && n != 2 && n != 4 && n != 8)
			return -1;
		a->size = (int)n;
		p = q + 1;
	}

	if (*p == '%') {
		int high;

		p++;
		a->kind = SDT_OP_REG;
		if (parse_reg(&p, &a->reg, &a->regsize, &high) < 0)
			return -1;
		a->subreg = high;
	} else if (*p == '$') {
		p++;
		a->kind = SDT_OP_CONST;
		if (parse_num(&p, &a->disp) < 0)
			return -1;
	} else {
		bool sym = false;
		uint64_t symval = 0;

		a->kind = SDT_OP_MEM;
		a->disp = 0;
		if (*p == '-' || *p == '+' || isdigit((unsigned char)*p)) {
			if (parse_num(&p, &a->disp) < 0)
				return -1;
			/* "40+CheckpointStats(%rip)": offset first */
			if (*p == '+' && (isalpha((unsigned char)p[1]) ||
					  p[1] == '_' || p[1] == '.')) {
				const char *s = ++p;

				while (isalnum((unsigned char)*p) || *p == '_' ||
				       *p == '.' || *p == '$')
					p++;
				if (symtab_lookup(st, s, (size_t)(p - s),
						  &symval) < 0)
					return -1;
				sym = true;
			}
		} else if (isalpha((unsigned char)*p) || *p == '_' ||
			   *p == '.') {
			const char *s = p;

			while (isalnum((unsigned char)*p) || *p == '_' ||
			       *p == '.' || *p == '$')
				p++;
			if (symtab_lookup(st, s, (size_t)(p - s), &symval) < 0)
				return -1;
			sym = true;
			if (*p == '+' || *p == '-') {
				if (parse_num(&p, &a->disp) < 0)
					return -1;
			}
		}
		if (*p != '(') {
			/* absolute address: disp or sym+disp */
			if (!sym && a->disp == 0)
				return -1;
			a->disp = (int64_t)((uint64_t)a->disp + symval);
			goto done;
		}
		p++;
		if (*p == '%') {
			int high;

			p++;
			if (parse_reg(&p, &a->reg, &a->regsize, &high) < 0 ||
			    a->regsize != 8)
				return -1;
		}
		if (*p == ',') {
			int high, isz;
			int64_t sc = 1;

			p++;
			if (*p != '%')
				return -1;
			p++;
			if (parse_reg(&p, &a->index, &isz, &high) < 0 ||
			    isz != 8)
				return -1;
			if (*p == ',') {
				p++;
				if (parse_num(&p, &sc) < 0)
					return -1;
			}
			if (sc != 1 && sc != 2 && sc != 4 && sc != 8)
				return -1;
			a->scale = (int)sc;
		}
		if (*p != ')')
			return -1;
		p++;
		if (a->reg < 0 && a->index < 0)
			return -1;
		a->regsize = 8;
		if (sym) {
			/* sym(%rip) means the address of sym: make it
			 * relative to rip at the stop, which is pc + 1 */
			if (a->reg != SDT_REG_RIP || a->index >= 0)
				return -1;
			a->disp = (int64_t)((uint64_t)a->disp + symval -
					    (pc + 1));
		}
	}
done:
	if (*p != '\0' && !isspace((unsigned char)*p))
		return -1;
	*pp = p;
	return 0;
}

static int args_parse(const char *spec, struct sdt_arg *args, int max,
		      struct symtab *st, uint64_t pc)
{
	const char *p = spec;
	int n = 0;

	if (spec == NULL)
		return 0;
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		if (n >= max)
			return -1;
		if (parse_one(&p, &args[n], st, pc) < 0)
			return -1;
		n++;
	}
	return n;
}

int sdt_args_parse(const char *spec, struct sdt_arg *args, int max)
{
	return args_parse(spec, args, max, NULL, 0);
}

static uint64_t regval(const struct user_regs_struct *r, int reg)
{
	switch (reg) {
	case SDT_REG_RAX: return r->rax;
	case SDT_REG_RBX: return r->rbx;
	case SDT_REG_RCX: return r->rcx;
	case SDT_REG_RDX: return r->rdx;
	case SDT_REG_RSI: return r->rsi;
	case SDT_REG_RDI: return r->rdi;
	case SDT_REG_RBP: return r->rbp;
	case SDT_REG_RSP: return r->rsp;
	case SDT_REG_R8: return r->r8;
	case SDT_REG_R9: return r->r9;
	case SDT_REG_R10: return r->r10;
	case SDT_REG_R11: return r->r11;
	case SDT_REG_R12: return r->r12;
	case SDT_REG_R13: return r->r13;
	case SDT_REG_R14: return r->r14;
	case SDT_REG_R15: return r->r15;
	case SDT_REG_RIP: return r->rip;
	default: return 0;
	}
}

static int64_t extend(uint64_t v, int size, bool is_signed)
{
	switch (size) {
	case 1: return is_signed ? (int64_t)(int8_t)v : (int64_t)(uint8_t)v;
	case 2: return is_signed ? (int64_t)(int16_t)v : (int64_t)(uint16_t)v;
	case 4: return is_signed ? (int64_t)(int32_t)v : (int64_t)(uint32_t)v;
	default: return (int64_t)v;
	}
}

int sdt_arg_fetch(const struct sdt_arg *a, const struct user_regs_struct *regs,
		  sdt_mem_reader rd, void *ctx, int64_t *out)
{
	uint64_t v = 0;

	switch (a->kind) {
	case SDT_OP_REG:
		v = regval(regs, a->reg);
		if (a->subreg)
			v >>= 8;
		/* a register narrower than the size: take what it holds */
		if (a->regsize < a->size) {
			*out = extend(v, a->regsize, a->is_signed);
			return 0;
		}
		break;
	case SDT_OP_CONST:
		v = (uint64_t)a->disp;
		break;
	case SDT_OP_MEM: {
		uint64_t addr = (uint64_t)a->disp;
		unsigned char buf[8] = {0};

		if (a->reg >= 0)
			addr += regval(regs, a->reg);
		if (a->index >= 0)
			addr += regval(regs, a->index) * (uint64_t)a->scale;
		if (rd == NULL || rd(ctx, addr, buf, (size_t)a->size) != 0)
			return -1;
		memcpy(&v, buf, sizeof(v));	/* little endian */
		break;
	}
	}
	*out = extend(v, a->size, a->is_signed);
	return 0;
}

/* Parse the notes of one SHT_NOTE section into F. */
static int read_notes(Elf *elf, Elf_Scn *scn, bool is64, uint64_t base_addr,
		      bool have_base, struct sdt_file *f, struct symtab *st)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t off = 0, next;
	GElf_Nhdr nh;
	size_t name_off, desc_off;
	size_t asz = is64 ? 8 : 4;

	(void)elf;
	if (data == NULL)
		return 0;
	while ((next = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
		const char *name = (const char *)data->d_buf + name_off;
		const unsigned char *desc =
			(const unsigned char *)data->d_buf + desc_off;
		uint64_t pc = 0, base = 0, sema = 0;
		const char *prov, *pname, *args, *end;
		struct sdt_probe *pr;

		off = next;
		if (nh.n_type != NT_STAPSDT || nh.n_namesz != 8 ||
		    memcmp(name, "stapsdt", 8) != 0 || nh.n_descsz < 3 * asz + 3)
			continue;
		if (is64) {
			memcpy(&pc, desc, 8);
			memcpy(&base, desc + 8, 8);
			memcpy(&sema, desc + 16, 8);
		} else {
			uint32_t v;

			memcpy(&v, desc, 4);
			pc = v;
			memcpy(&v, desc + 4, 4);
			base = v;
			memcpy(&v, desc + 8, 4);
			sema = v;
		}
		end = (const char *)desc + nh.n_descsz;
		prov = (const char *)desc + 3 * asz;
		pname = memchr(prov, '\0', (size_t)(end - prov));
		if (pname == NULL || ++pname >= end)
			continue;
		args = memchr(pname, '\0', (size_t)(end - pname));
		if (args == NULL || ++args > end)
			continue;
		if (args == end || memchr(args, '\0', (size_t)(end - args)) == NULL)
			args = "";

		if (have_base && base != 0) {
			pc += base_addr - base;
			if (sema != 0)
				sema += base_addr - base;
		}
		if (f->nprobes % 16 == 0) {
			struct sdt_probe *np = realloc(f->probes,
				(f->nprobes + 16) * sizeof(*np));
			if (np == NULL)
				return -1;
			f->probes = np;
		}
		pr = &f->probes[f->nprobes];
		memset(pr, 0, sizeof(*pr));
		pr->provider = strdup(prov);
		pr->name = strdup(pname);
		pr->argstr = strdup(args);
		if (!pr->provider || !pr->name || !pr->argstr) {
			free(pr->provider);
			free(pr->name);
			free(pr->argstr);
			return -1;
		}
		pr->pc = pc;
		pr->sema = sema;
		pr->nargs = args_parse(args, pr->args, SDT_MAX_ARGS, st, pc);
		f->nprobes++;
	}
	return 0;
}

int sdt_file_read(const char *path, struct sdt_file *out, char *err,
		  size_t errlen)
{
	int fd;
	Elf *elf;
	GElf_Ehdr eh;
	size_t shstrndx, nph;
	Elf_Scn *scn = NULL;
	uint64_t base_addr = 0;
	bool have_base = false;
	struct symtab st = {0};
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (elf_version(EV_CURRENT) == EV_NONE) {
		seterr(err, errlen, "libelf: %s", elf_errmsg(-1));
		return -1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		seterr(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (elf == NULL || elf_kind(elf) != ELF_K_ELF ||
	    gelf_getehdr(elf, &eh) == NULL) {
		seterr(err, errlen, "%s: not an ELF file", path);
		goto out;
	}
	if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) {
		seterr(err, errlen, "%s: not an executable or shared object",
		       path);
		goto out;
	}
	out->path = strdup(path);
	if (out->path == NULL) {
		seterr(err, errlen, "out of memory");
		goto out;
	}
	out->is_dyn = eh.e_type == ET_DYN;

	if (elf_getphdrnum(elf, &nph) == 0) {
		bool first = true;

		for (size_t i = 0; i < nph; i++) {
			GElf_Phdr ph;
			uint64_t pg;

			if (gelf_getphdr(elf, (int)i, &ph) == NULL ||
			    ph.p_type != PT_LOAD)
				continue;
			pg = ph.p_align > 1 && ph.p_align <= 0x10000 ?
				ph.p_align : 4096;
			if (pg < 4096)
				pg = 4096;
			if (first) {
				out->first_vaddr = ph.p_vaddr & ~(uint64_t)4095;
				out->first_offset = ph.p_offset & ~(uint64_t)4095;
				first = false;
			}
			if (out->nloads < SDT_MAX_LOADS) {
				struct sdt_load *l = &out->loads[out->nloads++];

				l->vaddr = ph.p_vaddr & ~(uint64_t)4095;
				l->offset = ph.p_offset & ~(uint64_t)4095;
				l->filesz = ph.p_filesz +
					(ph.p_offset & (uint64_t)4095);
				l->flags = ph.p_flags;
			}
		}
	}

	if (elf_getshdrstrndx(elf, &shstrndx) != 0) {
		seterr(err, errlen, "%s: %s", path, elf_errmsg(-1));
		goto out;
	}
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr sh;
		const char *name;

		if (gelf_getshdr(scn, &sh) == NULL)
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (name && strcmp(name, ".stapsdt.base") == 0) {
			base_addr = sh.sh_addr;
			have_base = true;
		}
	}
	st.elf = elf;
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr sh;
		const char *name;

		if (gelf_getshdr(scn, &sh) == NULL || sh.sh_type != SHT_NOTE)
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (name == NULL || strcmp(name, ".note.stapsdt") != 0)
			continue;
		if (read_notes(elf, scn, eh.e_ident[EI_CLASS] == ELFCLASS64,
			       base_addr, have_base, out, &st) < 0) {
			seterr(err, errlen, "out of memory");
			goto out;
		}
	}
	rc = 0;
out:
	free(st.syms);
	if (elf)
		elf_end(elf);
	close(fd);
	if (rc < 0)
		sdt_file_free(out);
	return rc;
}

struct lookup {
	const char *const *names;
	uint64_t *values;
	bool *got;
	size_t n, found;
};

/* The value of a symbol of L's names not found yet; stops when all are. */
static int lookup_sym(void *ctx, const char *name, const GElf_Sym *sym)
{
	struct lookup *l = ctx;

	for (size_t k = 0; k < l->n; k++) {
		if (!l->got[k] && strcmp(name, l->names[k]) == 0) {
			l->values[k] = sym->st_value;
			l->got[k] = true;
			l->found++;
		}
	}
	return l->found == l->n;
}

int sdt_file_symbols(const char *path, const char *const *names,
		     uint64_t *values, size_t n)
{
	struct lookup l = { names, values, NULL, n, 0 };
	struct elf_file ef;

	if (elf_file_open(&ef, path, true) < 0)
		return -1;
	l.got = calloc(n ? n : 1, sizeof(*l.got));
	if (l.got == NULL) {
		elf_file_close(&ef);
		return -1;
	}
	/* the full .symtab first, then .dynsym */
	if (n > 0)
		elf_each_symbol(ef.elf, SHT_SYMTAB, lookup_sym, &l);
	if (l.found < n)
		elf_each_symbol(ef.elf, SHT_DYNSYM, lookup_sym, &l);
	free(l.got);
	elf_file_close(&ef);
	return (int)l.found;
}

void sdt_file_free(struct sdt_file *f)
{
	if (f == NULL)
		return;
	for (size_t i = 0; i < f->nprobes; i++) {
		free(f->probes[i].provider);
		free(f->probes[i].name);
		free(f->probes[i].argstr);
	}
	free(f->probes);
	free(f->path);
	memset(f, 0, sizeof(*f));
}

/*
 * The load bias of F in a process where one of its mappings starts at
 * START with file offset OFFSET: 0 for ET_EXEC; for ET_DYN the mapping is
 * matched to the PT_LOAD segment that holds OFFSET.  Returns 0 and sets
 * *BIAS, or -1 if no segment holds that offset.
 */
int sdt_file_bias(const struct sdt_file *f, uint64_t start, uint64_t offset,
		  uint64_t *bias)
{
	if (!f->is_dyn) {
		*bias = 0;
		return 0;
	}
	for (size_t i = 0; i < f->nloads; i++) {
		const struct sdt_load *l = &f->loads[i];

		if (offset >= l->offset && offset < l->offset + l->filesz) {
			*bias = start - (l->vaddr + (offset - l->offset));
			return 0;
		}
	}
	if (f->nloads == 0 && offset == f->first_offset) {
		*bias = start - f->first_vaddr;
		return 0;
	}
	return -1;
}
