#!/bin/sh
# tests/fuzz/build.sh - build the libFuzzer harnesses with clang.
#
#   build.sh SRCDIR BUILDDIR
#
# The main build uses $CC (gcc); the fuzzers need clang's
# -fsanitize=fuzzer, so the folders they exercise (util/ elf/ bytecode/
# compiler/ vm/ and the generated parser, lexer and tapsets_builtin.c of
# the main build) are compiled a second time, with
# -fsanitize=fuzzer-no-link,address,undefined, into BUILDDIR/tests/fuzz/obj;
# the harnesses go to BUILDDIR/tests/fuzz/fuzz_compile and fuzz_sdt.
# Everything is rebuilt when any source is newer than the harnesses.
#
# Exit status: 0 built (or up to date), 77 no usable clang/libFuzzer (the
# reason on stderr, with the Debian packages to install), 1 a build error.
# FUZZ_CC overrides the compiler (default clang).
set -u
src=${1:?usage: build.sh SRCDIR BUILDDIR}
build=${2:?usage: build.sh SRCDIR BUILDDIR}
cc=${FUZZ_CC:-clang}
out=$build/tests/fuzz
obj=$out/obj
harnesses="fuzz_compile fuzz_sdt"

san="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
cflags="-std=c11 -D_GNU_SOURCE -DPYTAP_TAPSET_DIR=\"/nonexistent\" -g -O1 $san"
incs="-I$src -I$build -I$src/compiler -I$build/compiler -I$src/util -I$src/elf -I$src/bytecode -I$src/vm"
libs="-lelf -ldw -lm"

if ! command -v "$cc" >/dev/null 2>&1; then
	echo "fuzz: $cc not found: apt-get install clang libclang-rt-14-dev (./bootstrap.sh check installs them)" >&2
	exit 77
fi
mkdir -p "$obj" || exit 1
probe=$obj/probe.c
printf '%s\n' '#include <stdint.h>' '#include <stddef.h>' \
	'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
	'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; return (int)n & 0; }' > "$probe"
if ! "$cc" -fsanitize=fuzzer,address,undefined "$probe" -o "$obj/probe" 2>"$obj/probe.log"; then
	echo "fuzz: $cc cannot link -fsanitize=fuzzer,address,undefined (libFuzzer missing): apt-get install libclang-rt-14-dev (./bootstrap.sh check installs it); $(head -n 1 "$obj/probe.log")" >&2
	exit 77
fi

gen="$build/compiler/parser.c $build/compiler/lexer.c $build/tapsets_builtin.c"
for g in $gen; do
	[ -f "$g" ] || { echo "fuzz: $g missing: run make first" >&2; exit 1; }
done
sources=
for d in util elf bytecode compiler vm; do
	for f in "$src/$d"/*.c; do
		case $f in
		*/compiler/parser.c|*/compiler/lexer.c) continue ;;
		esac
		sources="$sources $f"
	done
done
sources="$sources $gen"

# Up to date?  Every harness newer than every source, header and script.
stale=
for h in $harnesses; do
	[ -x "$out/$h" ] || stale=1
done
if [ -z "$stale" ]; then
	oldest=
	for h in $harnesses; do
		if [ -z "$oldest" ] || [ "$out/$h" -ot "$oldest" ]; then
			oldest=$out/$h
		fi
	done
	newer=$(find "$src/util" "$src/elf" "$src/bytecode" "$src/compiler" \
		"$src/vm" "$src/tests/fuzz/build.sh" "$src"/tests/fuzz/fuzz_*.c \
		$gen -newer "$oldest" \( -name '*.[chyl]' -o -name build.sh \) -print 2>/dev/null | head -n 1)
	[ -z "$newer" ] && exit 0
fi

echo "fuzz: building the harnesses with $cc (tests/fuzz/build.sh)"
rm -f "$obj"/*.o
# two compilers at a time (the machine has few cores); the flags pass
# through the environment (they hold quotes)
FZ_CMD="$cc $cflags -fsanitize=fuzzer-no-link $incs -w"
export FZ_CMD
# each object named for its folder and file (compiler_ast.o); any
# character of a folder name that is not [A-Za-z0-9_] becomes '_' (the
# generated tapsets_builtin.c sits in the build folder, whatever its name:
# a clone in /tmp/pt-check failed here)
# shellcheck disable=SC2086
printf '%s\n' $sources | xargs -P 2 -n 1 sh -c '
	o=$1/$(echo "$2" | sed -e "s|.*/\([^/]*\)/\([^/]*\)\.c$|\1_\2|" -e "s|[^A-Za-z0-9_]|_|g").o
	exec $FZ_CMD -c "$2" -o "$o"' sh "$obj" ||
	{ echo "fuzz: compiling the library failed" >&2; exit 1; }
for h in $harnesses; do
	# shellcheck disable=SC2086
	$cc $cflags -fsanitize=fuzzer $incs -Wall -Wextra -o "$out/$h" \
		"$src/tests/fuzz/$h.c" "$obj"/*.o $libs ||
		{ echo "fuzz: linking $h failed" >&2; exit 1; }
done
exit 0
