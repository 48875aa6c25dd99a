#!/bin/sh
# tests/fuzz/fuzz.sh - build the libFuzzer harnesses, replay every saved
# finding, then fuzz each harness for a bounded time.
#
#   make check   runs it with FUZZ_SECONDS unset: 30 s per harness, in a
#                fresh corpus (seeds + regressions)
#   make fuzz    FUZZ_SECONDS=600 (each), in the corpus kept in
#                BUILDDIR/tests/fuzz/corpus/HARNESS (it grows run to run)
#
# Harnesses (tests/fuzz/*.c; see doc/testing.md):
#   fuzz_compile  script text -> parse -> resolve -> codegen -> verifier;
#                 a verifier rejection of compiled code aborts
#   fuzz_sdt      ELF files with .note.stapsdt notes -> sdt_file_read,
#                 sdt_file_symbols, target_get, argument fetches
#
# Each finding is kept twice: the raw input in
# tests/fuzz/regressions/HARNESS/ (replayed here first, every run) and,
# for fuzz_compile, a case with the expected error in tests/lang/fuzz.test.
# A crash, hang (-timeout), leak or sanitizer report fails the run; its
# input is saved in BUILDDIR/tests/fuzz/artifacts/ and named in the log.
#
# Environment: top_srcdir, top_builddir (make check sets them),
# FUZZ_SECONDS (per harness), FUZZ_HARNESSES (default both), FUZZ_CC,
# CI=true (no clang or libFuzzer is a failure, not a skip).
# Output ends with `N passed, N failed, N skipped` (one per harness and
# per replay); exit 0, 1 (failure) or 77 (skipped: no clang).
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=${top_srcdir:-$(cd "$here/../.." && pwd)}
build=${top_builddir:-$src}
seconds=${FUZZ_SECONDS:-30}
harnesses=${FUZZ_HARNESSES:-fuzz_compile fuzz_sdt}
out=$build/tests/fuzz
npass=0 nfail=0 nskip=0

sh "$src/tests/fuzz/build.sh" "$src" "$build"
rc=$?
if [ $rc = 77 ]; then
	if [ "${CI:-}" = true ]; then
		echo "FAIL: fuzz: no clang/libFuzzer, and under CI=true the fuzzers must run"
		echo "0 passed, 1 failed, 0 skipped"
		exit 1
	fi
	echo "SKIP: fuzz (no clang/libFuzzer, see above)"
	echo "0 passed, 0 failed, 1 skipped"
	exit 77
fi
if [ $rc != 0 ]; then
	echo "FAIL: fuzz: the harnesses do not build"
	echo "0 passed, 1 failed, 0 skipped"
	exit 1
fi
CC=${CC:-cc} sh "$src/tests/fuzz/seeds.sh" "$src" "$build" || {
	echo "FAIL: fuzz: cannot make the seed corpora"
	echo "0 passed, 1 failed, 0 skipped"
	exit 1
}
mkdir -p "$out/artifacts" || exit 1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pytap-fuzz.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The options of every run: a hang is an input that takes 10 s; no input
# larger than the harness accepts.
opts="-timeout=10 -rss_limit_mb=2048 -print_final_stats=1"

for h in $harnesses; do
	name=${h#fuzz_}
	bin=$out/$h
	regdir=$src/tests/fuzz/regressions/$name
	case $h in
	fuzz_sdt) maxlen="-max_len=65536 -dict=$src/tests/fuzz/sdt.dict" ;;
	*) maxlen="-max_len=8192 -dict=$src/tests/fuzz/compile.dict" ;;
	esac

	# 1. the saved findings, each run once
	set -- "$regdir"/*
	if [ -e "$1" ]; then
		if "$bin" $opts "$@" > "$tmp/$h.replay.log" 2>&1; then
			echo "PASS: $h: replay of $# saved finding(s) in tests/fuzz/regressions/$name"
			npass=$((npass + 1))
		else
			echo "FAIL: $h: a saved finding in tests/fuzz/regressions/$name fails again:"
			grep -E 'ERROR|SUMMARY|Running:|fuzz_' "$tmp/$h.replay.log" | tail -n 20 | sed 's/^/    /'
			nfail=$((nfail + 1))
		fi
	fi

	# 2. fuzzing, from the seeds, the regressions and (make fuzz) the
	#    kept corpus
	if [ -n "${FUZZ_SECONDS:-}" ]; then
		corpus=$out/corpus/$name
	else
		corpus=$tmp/corpus-$name
	fi
	mkdir -p "$corpus" || exit 1
	log=$out/$h.log
	start=$(date +%s)
	# shellcheck disable=SC2086
	"$bin" $opts $maxlen -max_total_time="$seconds" \
		-artifact_prefix="$out/artifacts/$h-" \
		"$corpus" "$out/seeds/$name" "$regdir" > "$log" 2>&1
	status=$?
	took=$(( $(date +%s) - start ))
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	if [ $status = 0 ]; then
		echo "PASS: $h: ${runs:-?} inputs in ${took} s, no crash, hang, leak or sanitizer report (corpus $(ls "$corpus" | wc -l) files)"
		npass=$((npass + 1))
	else
		echo "FAIL: $h: exit status $status after ${runs:-?} inputs in ${took} s; the input is saved as:"
		grep -E '^artifact_prefix|Test unit written' "$log" | sed 's/^/    /'
		grep -E 'ERROR|SUMMARY|^fuzz_|^    #[0-9]+ ' "$log" | head -n 30 | sed 's/^/    /'
		echo "    replay: $bin FILE (PYTAP_FUZZ_VERBOSE=1 prints the diagnostics); full log: $log"
		nfail=$((nfail + 1))
	fi
done
echo "$npass passed, $nfail failed, $nskip skipped"
[ "$nfail" = 0 ] || exit 1
exit 0
