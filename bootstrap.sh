#!/bin/sh
# bootstrap.sh - from a fresh clone on Debian 12 to a working pytap.
#
#   ./bootstrap.sh demo    install what is missing, build, and trace
#                          examples/hello.py with examples/calls.pytap
#   ./bootstrap.sh check   install what is missing, build with -Werror, run
#                          `make check`, and end with `N passed, N failed,
#                          N skipped`; exit status non-zero on any failure
#
# As root it installs missing Debian packages itself (apt-get update, then
# apt-get install -y); as another user it prints the apt-get command to run
# and stops.  Everything it needs is a Debian package: no pip, no downloads.
# The tests trace Debian's /usr/bin/python3.11, which has SDT probes (a
# python3 on PATH may be a build without them).
#
# Environment passed through to the tests: PYTAP_VALGRIND=1 (pure compiles
# under valgrind), CI=true (a skipped test is a failure, and the lang tests
# run a second time under valgrind), PYTAP_TEST_FILTER.

set -u
me=./bootstrap.sh
cd "$(dirname "$0")" || exit 1
top=$(pwd)
python=/usr/bin/python3.11

build_packages="build-essential bison flex autoconf automake pkg-config libelf-dev libdw-dev systemtap-sdt-dev python3.11"
# libpython3.11-dev: the embedded-libpython test target (tests/targets/pyembed)
# g++: the C++ target of the libstdcxx tapset's tests and example;
# postgresql-15: the PostgreSQL server (built with SDT markers) of the
# postgresql tapset's; groff-base: the test that pytap.1 renders;
# bpftrace: another tracer (kernel uprobes) on the same probes as pytap;
# clang and libclang-rt-14-dev (libFuzzer, ASan, UBSan runtimes): the
# fuzzers of tests/fuzz/ (make check, make fuzz).
check_packages="$build_packages valgrind libpython3.11-dev g++ postgresql-15 groff-base bpftrace clang libclang-rt-14-dev"

say() { echo "$me: $*"; }
die() { echo "$me: $*" >&2; exit 1; }

usage() {
	echo "usage: $me demo|check" >&2
	echo "  demo   install what is missing, build, trace examples/hello.py" >&2
	echo "  check  install what is missing, build with -Werror, run the tests" >&2
	exit 2
}

[ $# -eq 1 ] || usage
mode=$1
case $mode in
demo) packages=$build_packages ;;
check) packages=$check_packages ;;
-h|--help) usage ;;
*) usage ;;
esac

# --- Debian packages --------------------------------------------------------
missing_packages() {
	missing=
	for p in $packages; do
		status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)
		[ "$status" = "install ok installed" ] || missing="$missing $p"
	done
	missing=${missing# }
}

if ! command -v dpkg-query >/dev/null 2>&1; then
	say "this is not a Debian system (no dpkg-query): install the equivalents of"
	say "  $packages"
	say "yourself; going on, and configure will name whatever is still missing."
else
	missing_packages
	if [ -n "$missing" ]; then
		install="apt-get install -y --no-install-recommends $missing"
		if [ "$(id -u)" != 0 ]; then
			say "missing Debian packages: $missing"
			say "run this as root (for example with sudo), then run $me $mode again:"
			echo
			echo "    apt-get update && $install"
			echo
			exit 2
		fi
		say "installing missing Debian packages: $missing"
		DEBIAN_FRONTEND=noninteractive
		export DEBIAN_FRONTEND
		apt-get update </dev/null ||
			die "apt-get update failed"
		# shellcheck disable=SC2086
		apt-get install -y --no-install-recommends $missing </dev/null ||
			die "apt-get install failed: $install"
		missing_packages
		[ -z "$missing" ] || die "still missing after apt-get install: $missing"
	fi
fi
[ -x "$python" ] ||
	die "$python is missing although python3.11 is installed; the demo and the tests need Debian's python3.11"

# --- build ------------------------------------------------------------------
jobs=$(nproc 2>/dev/null || echo 2)

# demo takes the tree as it is configured (or configures it quietly);
# check insists on --enable-werror.
case $mode in
demo) configure_args= ;;
check) configure_args=--enable-werror ;;
esac

build() {
	fresh=
	if [ ! -x configure ] || [ ! -f Makefile.in ]; then
		say "./autogen.sh"
		./autogen.sh || return 1
		fresh=1
	fi
	# Configure again only when the options differ from the last run.
	have=
	[ ! -x config.status ] ||
		have=$(./config.status --config 2>/dev/null | tr -d "'")
	if [ -n "$fresh" ] || [ ! -f Makefile ]; then
		reconfigure=yes
	elif [ "$mode" = check ] && [ "$have" != "$configure_args" ]; then
		reconfigure=yes
	else
		reconfigure=no
	fi
	if [ "$reconfigure" = yes ]; then
		quiet=
		[ "$mode" = check ] || quiet=--quiet
		say "./configure $quiet $configure_args"
		# shellcheck disable=SC2086
		./configure $quiet $configure_args || return 1
	fi
	say "make -j$jobs"
	make -j"$jobs" || return 1
}

if [ "$mode" = demo ]; then
	build || die "the build failed (see above)"
	say "./pytap -c \"$python $top/examples/hello.py\" examples/calls.pytap"
	exec ./pytap -c "$python $top/examples/hello.py" examples/calls.pytap
fi

# --- check ------------------------------------------------------------------
# The closing line counts test cases, not files: each tests/runtests log
# ends with its own `N passed, N failed, N skipped`; a test program without
# such a line counts as one test, by its automake result.
summarize() {
	npass=0 nfail=0 nskip=0
	for log in $(make -s list-test-logs 2>/dev/null); do
		trs=${log%.log}.trs
		if [ ! -f "$log" ] || [ ! -f "$trs" ]; then
			echo "FAIL: ${log%.log} (no result: it did not run)"
			nfail=$((nfail + 1))
			continue
		fi
		grep '^SKIP: \|^FAIL: ' "$log" | sed "s|^|${log%.log}: |"
		result=$(sed -n 's/^:test-result: //p' "$trs" | head -n 1)
		counts=$(grep -E '^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' "$log" | tail -n 1)
		if [ -n "$counts" ]; then
			set -- $counts
			p=$1 f=$3 s=${5:-0}
		else
			p=0 f=0 s=0
			case $result in
			PASS|XFAIL) p=1 ;;
			SKIP)
				if [ "${CI:-}" = true ]; then
					echo "FAIL: ${log%.log} (skipped, and under CI=true a skip is a failure); its log ends:"
					f=1
				else
					echo "SKIP: ${log%.log}; its log ends:"
					s=1
				fi
				tail -n 3 "$log" | sed 's/^/    /' ;;
			*) f=1 ;;
			esac
		fi
		# A program that crashed after printing its counts still failed.
		case $result in
		FAIL|ERROR|XPASS) [ "$f" -gt 0 ] || f=1 ;;
		esac
		npass=$((npass + p)) nfail=$((nfail + f)) nskip=$((nskip + s))
	done
}

if ! build; then
	echo "FAIL: build (see the compiler output above)"
	echo "0 passed, 1 failed, 0 skipped"
	exit 1
fi

say "make check"
make check VERBOSE=1
check_status=$?

echo
summarize
if [ "$check_status" != 0 ] && [ "$nfail" = 0 ]; then
	echo "FAIL: make check exited with status $check_status"
	nfail=1
fi

# --- valgrind ---------------------------------------------------------------
# Under CI=true the cases of tests/lang/*.test run once more with
# PYTAP_VALGRIND=1: every case that needs no process (most of them) runs
# pytap under valgrind (memcheck, full leak check); any error or leak fails
# the case.  Measured: 8.4 minutes on one core for ~490 cases, so two test
# files run at a time (2 cores), about 4.5 minutes.  Skipped when
# PYTAP_VALGRIND=1 already made `make check` do it.
if [ "${CI:-}" = true ] && [ "${PYTAP_VALGRIND:-0}" != 1 ]; then
	say "valgrind: tests/lang/*.test (PYTAP_VALGRIND=1, two files at a time)"
	vgdir=$(mktemp -d "${TMPDIR:-/tmp}/pytap-vg.XXXXXX") || die "mktemp failed"
	# shellcheck disable=SC2016
	# sh -c: $1 top, $2 python, $3 log directory, $4 the .test file
	ls tests/lang/*.test | xargs -P 2 -n 1 sh -c '
		LC_ALL=C PYTAP_VALGRIND=1 PYTAP="$1/pytap" top_srcdir="$1" \
		top_builddir="$1" PYTAP_TAPSETS="$1/tapsets" \
		PYTAP_TEST_PYTHON="$2" sh tests/runtests "$4" \
			> "$3/$(basename "$4").log" 2>&1 || true' \
		sh "$top" "$python" "$vgdir"
	for log in "$vgdir"/*.log; do
		name=valgrind:tests/lang/$(basename "$log" .log)
		grep '^SKIP: \|^FAIL: ' "$log" | sed "s|^|$name: |"
		counts=$(grep -E '^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' "$log" | tail -n 1)
		if [ -z "$counts" ]; then
			echo "FAIL: $name (no result)"
			sed 's/^/    /' "$log" | tail -n 20
			nfail=$((nfail + 1))
			continue
		fi
		# shellcheck disable=SC2086
		set -- $counts
		npass=$((npass + $1)) nfail=$((nfail + $3)) nskip=$((nskip + ${5:-0}))
		[ "$3" = 0 ] || sed -n '/^FAIL: /,/^PASS: /p' "$log" |
			grep -Ev '^PASS: |^[0-9]+ passed, ' | head -n 60
	done
	rm -rf "$vgdir"
fi
echo "$npass passed, $nfail failed, $nskip skipped"
[ "$nfail" = 0 ] || exit 1
[ "$npass" -gt 0 ] || die "no test ran"
exit 0
