#!/bin/sh
# tests/fuzz/seeds.sh - the seed corpora of the fuzzers, generated from
# the repository:
#
#   seeds.sh SRCDIR BUILDDIR
#
#   BUILDDIR/tests/fuzz/seeds/compile/  every examples/*.pytap, every
#       tapsets/*.pytap, and the script of every case of tests/lang/*.test
#       and tests/probe/*.test (one file each)
#   BUILDDIR/tests/fuzz/seeds/sdt/  tests/fuzz/sdt_seed.c built four ways
#       (executable, PIE with symbols, stripped, shared library) and
#       tests/targets/sdt_target if make check built it: each file whole,
#       and its .note.stapsdt section alone (the two input forms of
#       fuzz_sdt.c)
#
# The regressions (tests/fuzz/regressions/*/) are not copied: the fuzzers
# read them as a second corpus directory.
set -u
src=${1:?usage: seeds.sh SRCDIR BUILDDIR}
build=${2:?usage: seeds.sh SRCDIR BUILDDIR}
seeds=$build/tests/fuzz/seeds
cc=${CC:-cc}

rm -rf "$seeds"
mkdir -p "$seeds/compile" "$seeds/sdt" || exit 1

for f in "$src"/examples/*.pytap "$src"/tapsets/*.pytap; do
	cp "$f" "$seeds/compile/$(basename "$f")" || exit 1
done
# One file per %%TEST: the lines between "%%TEST name" and the next
# directive (runtests' format).
for t in "$src"/tests/lang/*.test "$src"/tests/probe/*.test; do
	awk -v top="$src" -v dir="$seeds/compile" -v base="$(basename "$t" .test)" '
		/^%%TEST/ { n++; file = sprintf("%s/%s-%03d.pytap", dir, base, n); in_script = 1; next }
		/^%%/ { if (file) close(file); in_script = 0; next }
		in_script { gsub(/@PYTHON@/, "/usr/bin/python3.11"); gsub(/@TOP@/, top); print > file }
	' "$t" || exit 1
done
# empty scripts teach the fuzzer nothing
find "$seeds/compile" -type f -size 0 -exec rm -f {} + || exit 1

# fuzz_sdt's input: a byte saying what follows (fuzz_sdt.c), then a
# whole file (even byte) or the address of .stapsdt.base and the content
# of a .note.stapsdt section (odd byte)
s=$src/tests/fuzz/sdt_seed.c
elfs=$seeds/elf
mkdir -p "$elfs" || exit 1
$cc -Os -no-pie -fno-pie -rdynamic -o "$elfs/exec" "$s" &&
$cc -Os -pie -fpie -rdynamic -o "$elfs/pie" "$s" &&
$cc -Os -pie -fpie -s -o "$elfs/stripped" "$s" &&
$cc -Os -shared -fpic -o "$elfs/shared.so" "$s" ||
	{ echo "fuzz: cannot build $s with $cc" >&2; exit 1; }
if [ -x "$build/tests/targets/sdt_target" ]; then
	cp "$build/tests/targets/sdt_target" "$elfs/sdt_target" || exit 1
fi
for f in "$elfs"/*; do
	n=$(basename "$f")
	{ printf '\000'; cat "$f"; } > "$seeds/sdt/file-$n" || exit 1
	# the address as 8 little-endian bytes, in octal escapes
	addr=$(LC_ALL=C readelf -SW "$f" | awk '$2 == ".stapsdt.base" { print $4 }')
	[ -n "$addr" ] || continue
	esc=$(echo "$addr" | awk '{
		s = ""; h = $1
		while (length(h) < 16) h = "0" h
		for (i = 15; i >= 1; i -= 2) {
			v = index("0123456789abcdef", substr(h, i, 1)) - 1
			v = v * 16 + index("0123456789abcdef", substr(h, i + 1, 1)) - 1
			s = s sprintf("\\%03o", v)
		}
		print s }')
	objcopy --dump-section .note.stapsdt="$seeds/notes.bin" "$f" "$seeds/objcopy.out" ||
		{ echo "fuzz: objcopy failed on $f" >&2; exit 1; }
	# shellcheck disable=SC2059
	{ printf '\001'; printf "$esc"; cat "$seeds/notes.bin"; } > "$seeds/sdt/notes-$n" || exit 1
	rm -f "$seeds/notes.bin" "$seeds/objcopy.out"
done
echo "fuzz: seeds: $(ls "$seeds/compile" | wc -l) scripts, $(ls "$seeds/sdt" | wc -l) ELF files and note sections"
