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
#       tests/targets/sdt_target if make check built it
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

s=$src/tests/fuzz/sdt_seed.c
$cc -Os -no-pie -fno-pie -rdynamic -o "$seeds/sdt/exec" "$s" &&
$cc -Os -pie -fpie -rdynamic -o "$seeds/sdt/pie" "$s" &&
$cc -Os -pie -fpie -s -o "$seeds/sdt/stripped" "$s" &&
$cc -Os -shared -fpic -o "$seeds/sdt/shared.so" "$s" ||
	{ echo "fuzz: cannot build $s with $cc" >&2; exit 1; }
if [ -x "$build/tests/targets/sdt_target" ]; then
	cp "$build/tests/targets/sdt_target" "$seeds/sdt/sdt_target" || exit 1
fi
echo "fuzz: seeds: $(ls "$seeds/compile" | wc -l) scripts, $(ls "$seeds/sdt" | wc -l) ELF files"
