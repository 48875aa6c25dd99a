/*
 * sdt.h - SystemTap SDT (USDT) probe notes: reading them from ELF files and
 * decoding their argument operands.
 *
 * A note in .note.stapsdt describes one probe site: provider, name, the
 * link-time address of the 1-byte nop (pc), the link-time address of
 * .stapsdt.base as the note's author saw it (base), the link-time address of
 * the 16-bit semaphore (0 = none) and an argument string such as
 * "8@%rbp 8@%r12 -4@%eax" or "-4@112(%rsp)".
 *
 * Address arithmetic (design.md section 2): the run-time address of a site is
 *     pc + (actual .stapsdt.base address - base) + load bias
 * where the load bias is 0 for ET_EXEC and, for ET_DYN, the start of a
 * mapping of the file minus the (page aligned) p_vaddr of the PT_LOAD
 * segment that the mapping's file offset falls in (sdt_file_bias()).
 * sdt_file_read() already applies the .stapsdt.base correction (to pc and
 * semaphore alike), so callers only add the load bias.
 *
 * This file knows nothing about processes; it reads files.
 */
#ifndef PYTAP_SDT_H
#define PYTAP_SDT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/user.h>

#define SDT_MAX_ARGS 12

enum sdt_operand {
	SDT_OP_REG,		/* value is in a register */
	SDT_OP_MEM,		/* value is at disp(base,index,scale) */
	SDT_OP_CONST,		/* value is the constant disp ($N) */
};

struct sdt_arg {
	int size;		/* 1, 2, 4 or 8 bytes */
	bool is_signed;		/* negative size in the spec */
	enum sdt_operand kind;
	int reg;		/* SDT_OP_REG/MEM: base register, SDT_REG_* */
	int index;		/* SDT_OP_MEM: index register or -1 */
	int scale;		/* SDT_OP_MEM: 1, 2, 4 or 8 */
	int64_t disp;		/* SDT_OP_MEM: displacement; CONST: value */
	int subreg;		/* SDT_OP_REG: 0 full, 1 = high byte (%ah..) */
	int regsize;		/* SDT_OP_REG: width of the register named
				   (8 %rax, 4 %eax/%r8d, 2 %ax, 1 %al/%ah) */
};

/* x86_64 registers, in the order of struct user_regs_struct fields we use */
enum sdt_reg {
	SDT_REG_RAX, SDT_REG_RBX, SDT_REG_RCX, SDT_REG_RDX,
	SDT_REG_RSI, SDT_REG_RDI, SDT_REG_RBP, SDT_REG_RSP,
	SDT_REG_R8, SDT_REG_R9, SDT_REG_R10, SDT_REG_R11,
	SDT_REG_R12, SDT_REG_R13, SDT_REG_R14, SDT_REG_R15,
	SDT_REG_RIP,
	SDT_NREGS
};

struct sdt_probe {
	char *provider;		/* "python" */
	char *name;		/* "function__entry" */
	uint64_t pc;		/* link-time address, .stapsdt.base corrected */
	uint64_t sema;		/* link-time semaphore address, 0 = none */
	char *argstr;		/* the raw argument string, for -L and -v */
	int nargs;
	struct sdt_arg args[SDT_MAX_ARGS];
};

#define SDT_MAX_LOADS 16

struct sdt_load {		/* one PT_LOAD segment */
	uint64_t vaddr;		/* p_vaddr, page aligned down */
	uint64_t offset;	/* p_offset, page aligned down */
	uint64_t filesz;	/* bytes of file from offset */
	uint32_t flags;		/* PF_R/PF_W/PF_X */
};

struct sdt_file {
	char *path;		/* as opened */
	bool is_dyn;		/* ET_DYN (PIE or shared library) */
	uint64_t first_vaddr;	/* lowest PT_LOAD p_vaddr, page aligned */
	uint64_t first_offset;	/* that segment's p_offset, page aligned */
	size_t nloads;		/* PT_LOAD segments, in file order */
	struct sdt_load loads[SDT_MAX_LOADS];
	size_t nprobes;
	struct sdt_probe *probes;
};

/*
 * Read every SDT note of the ELF file at PATH.  Returns 0 and fills OUT
 * (nprobes may be 0: a valid ELF without notes); returns -1 and writes a
 * one-line reason into ERR (not an ELF file, cannot open, ...).
 * A note whose argument string cannot be parsed is kept with nargs = -1.
 */
int sdt_file_read(const char *path, struct sdt_file *out, char *err,
		  size_t errlen);
void sdt_file_free(struct sdt_file *f);

/*
 * The load bias of F in a process in which a mapping of it starts at START
 * with file offset OFFSET (a /proc/PID/maps line): 0 for ET_EXEC; for ET_DYN
 * START - (vaddr of the PT_LOAD holding OFFSET + OFFSET - its offset).
 * Returns 0, or -1 if no PT_LOAD segment holds OFFSET.
 */
int sdt_file_bias(const struct sdt_file *f, uint64_t start, uint64_t offset,
		  uint64_t *bias);

/*
 * Parse one argument string; returns the count or -1 on a malformed one.
 * Symbolic operands (sym(%rip)) need the file's symbols: sdt_file_read()
 * resolves those; this function rejects them.
 */
int sdt_args_parse(const char *spec, struct sdt_arg *args, int max);

/* Reads LEN bytes at ADDR in the process of the hit; 0 on success. */
typedef int (*sdt_mem_reader)(void *ctx, uint64_t addr, void *buf, size_t len);

/*
 * Fetch argument A for a thread stopped at the probe with registers REGS.
 * Sign- or zero-extends to 64 bits as the size says.  Returns 0, or -1 if a
 * memory operand cannot be read.
 */
int sdt_arg_fetch(const struct sdt_arg *a, const struct user_regs_struct *regs,
		  sdt_mem_reader rd, void *ctx, int64_t *out);

/*
 * Look up N symbols by name in the ELF file at PATH (.symtab, then
 * .dynsym; defined symbols only, link-time values).  VALUES[i] is set for
 * each name found and left alone otherwise.  Returns how many were found,
 * -1 if PATH is no readable ELF file.  The tracer uses it for the dynamic
 * loader's _dl_debug_state and _r_debug.
 */
int sdt_file_symbols(const char *path, const char *const *names,
		     uint64_t *values, size_t n);

/* The 64-bit name of register REG without '%' ("rax"), "?" if unknown. */
const char *sdt_reg_name(int reg);

#endif
