/*
 * elfsym.c - see elfsym.h.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elfsym.h"

int elf_file_open(struct elf_file *ef, const char *path, bool mmap)
{
	ef->elf = NULL;
	ef->fd = -1;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -1;
	ef->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (ef->fd < 0)
		return -1;
	ef->elf = elf_begin(ef->fd, mmap ? ELF_C_READ_MMAP : ELF_C_READ, NULL);
	if (ef->elf == NULL || elf_kind(ef->elf) != ELF_K_ELF) {
		elf_file_close(ef);
		return -1;
	}
	return 0;
}

void elf_file_close(struct elf_file *ef)
{
	if (ef->elf)
		elf_end(ef->elf);
	if (ef->fd >= 0)
		close(ef->fd);
	ef->elf = NULL;
	ef->fd = -1;
}

int elf_each_symbol(Elf *elf, Elf64_Word type, elf_sym_fn fn, void *ctx)
{
	Elf_Scn *scn = NULL;
	int nsec = 0;

	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (gelf_getshdr(scn, &sh) == NULL || sh.sh_type != type)
			continue;
		nsec++;
		d = elf_getdata(scn, NULL);
		if (d == NULL || sh.sh_entsize == 0)
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *name;

			if (gelf_getsym(d, (int)i, &sym) == NULL ||
			    sym.st_shndx == SHN_UNDEF)
				continue;
			name = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (name == NULL || *name == '\0')
				continue;
			if (fn(ctx, name, &sym))
				return nsec;
		}
	}
	return nsec;
}

int elf_symbol_bytes(Elf *elf, const GElf_Sym *sym, void *buf, size_t len)
{
	Elf_Scn *s = elf_getscn(elf, sym->st_shndx);
	GElf_Shdr sh;
	Elf_Data *d;
	uint64_t off;

	if (s == NULL || gelf_getshdr(s, &sh) == NULL ||
	    sh.sh_type != SHT_PROGBITS)
		return -1;
	d = elf_getdata(s, NULL);
	/* a symbol before its section (off wraps) or too near its end:
	   nothing to read (found by fuzz_sdt) */
	off = sym->st_value - sh.sh_addr;
	if (d == NULL || d->d_size < len || off > d->d_size - len)
		return -1;
	memcpy(buf, (char *)d->d_buf + off, len);
	return 0;
}

void elf_dynamic(struct elf_file *ef, char ***needed, size_t *nneeded,
		 char **runpath)
{
	Elf_Scn *scn = NULL;

	*needed = NULL;
	*nneeded = 0;
	*runpath = NULL;
	while ((scn = elf_nextscn(ef->elf, scn)) != NULL) {
		GElf_Shdr sh;
		Elf_Data *d;
		size_t i, n;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNAMIC)
			continue;
		d = elf_getdata(scn, NULL);
		n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
		for (i = 0; d && i < n; i++) {
			GElf_Dyn dyn;
			const char *s;

			if (!gelf_getdyn(d, (int)i, &dyn) ||
			    (dyn.d_tag != DT_NEEDED && dyn.d_tag != DT_RUNPATH &&
			     dyn.d_tag != DT_RPATH))
				continue;
			s = elf_strptr(ef->elf, sh.sh_link, dyn.d_un.d_val);
			if (!s)
				continue;
			if (dyn.d_tag == DT_NEEDED) {
				*needed = realloc(*needed, (*nneeded + 1) *
						  sizeof(char *));
				(*needed)[(*nneeded)++] = strdup(s);
			} else if (!*runpath) {
				*runpath = strdup(s);
			}
		}
	}
}
