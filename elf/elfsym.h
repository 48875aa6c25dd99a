/*
 * elfsym.h - the one ELF symbol reader: open an ELF file with libelf,
 * walk the defined symbols of its .symtab or .dynsym, read the bytes a
 * symbol's value points at in the file.  Used by elf/sdt.c (sym(%rip)
 * operands, sdt_file_symbols), compiler/target.c (Py_Version) and
 * python/pyversions.c (the interpreter's own symbols).
 */
#ifndef PYTAP_ELFSYM_H
#define PYTAP_ELFSYM_H

#include <gelf.h>
#include <stdbool.h>
#include <stddef.h>

struct elf_file {
	int fd;
	Elf *elf;
};

/* Open PATH (MMAP: ELF_C_READ_MMAP, else ELF_C_READ): 0, or -1 when it
 * cannot be opened or is no ELF file (EF is then closed). */
int elf_file_open(struct elf_file *ef, const char *path, bool mmap);
void elf_file_close(struct elf_file *ef);

/* FN(CTX, name, symbol) for each defined (st_shndx != SHN_UNDEF), named
 * symbol of the sections of TYPE (SHT_SYMTAB or SHT_DYNSYM), in order,
 * until FN returns nonzero.  Returns how many sections of TYPE there are. */
typedef int (*elf_sym_fn)(void *ctx, const char *name, const GElf_Sym *sym);
int elf_each_symbol(Elf *elf, Elf64_Word type, elf_sym_fn fn, void *ctx);

/* The LEN bytes at SYM's value in its (PROGBITS) section: 0, or -1. */
int elf_symbol_bytes(Elf *elf, const GElf_Sym *sym, void *buf, size_t len);

/* The ELF_DYNAMIC entries EF needs: DT_NEEDED names (malloc'd, *NNEEDED
 * of them) and the first DT_RUNPATH or DT_RPATH (malloc'd, or NULL). */
void elf_dynamic(struct elf_file *ef, char ***needed, size_t *nneeded,
		 char **runpath);

#endif
