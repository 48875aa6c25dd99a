#!/bin/sh
# tests/tools/p3corpus.sh - print what the compiler makes of every script in
# the tree, for checking that a refactoring changes nothing.
#
#   tests/tools/p3corpus.sh [OUTFILE]      (default: standard output)
#
# For every examples/*.pytap and every case script of tests/lang/*.test
# (with the case's %%ARGS), it runs `pytap ARGS -p2 input.pytap` and
# `pytap ARGS -p3 input.pytap` and prints each run's exit status, stdout
# and stderr under a header naming the script.  Nothing is traced: -p3
# stops before any process is started or attached.  Run it before and
# after a change and compare the two files with cmp:
#
#   tests/tools/p3corpus.sh /tmp/before.txt; ...; tests/tools/p3corpus.sh /tmp/after.txt
#   cmp /tmp/before.txt /tmp/after.txt
#
# Environment: PYTAP (default: ./pytap of the tree this script is in),
# PYTAP_TEST_PYTHON (as tests/runtests: default /usr/bin/python3.11),
# PYTAP_TAPSETS (default: the tree's tapsets/).
# Exit status: 0 when every script was run (whatever pytap said), 1 when
# pytap is missing or a scratch directory could not be made.

set -u
LC_ALL=C
export LC_ALL

top=$(cd "$(dirname "$0")/../.." && pwd)
: "${PYTAP:=$top/pytap}"
: "${PYTAP_TAPSETS:=$top/tapsets}"
export PYTAP_TAPSETS
if [ "${PYTAP_TEST_PYTHON+set}" != set ] && [ -x /usr/bin/python3.11 ]; then
	PYTAP_TEST_PYTHON=/usr/bin/python3.11
fi
PYTHON=${PYTAP_TEST_PYTHON:-}
TOP=$top
BUILD=$top
export PYTHON TOP BUILD

if [ ! -x "$PYTAP" ]; then
	echo "p3corpus.sh: no pytap at $PYTAP: build it first (make) or set PYTAP" >&2
	exit 1
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/p3corpus.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ $# -ge 1 ]; then
	exec >"$1" || exit 1
fi

# run_one TITLE ARGS [SCRIPTARGS]: compile $tmp/run/input.pytap at -p2
# and -p3, with ARGS before and SCRIPTARGS after the file name.
run_one() {
	title=$1 args=$2 sargs=${3:-}
	printf '=== %s\n' "$title"
	[ -z "$args$sargs" ] || printf '    args: %s input.pytap %s\n' "$args" "$sargs"
	for pass in 2 3; do
		# ARGS are shell words, as %%ARGS in tests/runtests.
		(cd "$tmp/run" && eval "exec \"\$PYTAP\" $args -p$pass input.pytap $sargs" \
			</dev/null >"$tmp/stdout" 2>"$tmp/stderr")
		rc=$?
		printf -- '--- -p%s exit %s\n' "$pass" "$rc"
		cat "$tmp/stdout"
		if [ -s "$tmp/stderr" ]; then
			printf -- '--- -p%s stderr\n' "$pass"
			cat "$tmp/stderr"
		fi
	done
}

mkdir "$tmp/run" || exit 1

# The examples twice: without a target, then with the target and script
# arguments tests/probe/examples.test gives them (the C++ one against
# exceptions.cc built with g++, the PostgreSQL one against
# $PYTAP_TEST_POSTGRES, when there are).
if command -v g++ >/dev/null 2>&1 &&
   g++ -O0 -g -o "$tmp/run/exceptions" "$top/examples/exceptions.cc" 2>/dev/null; then
	cxx="-c ./exceptions"
else
	cxx=
fi
pg=
for p in $(ls -d /usr/lib/postgresql/*/bin/postgres 2>/dev/null | sort -V); do
	pg="-c \"$p --single\""
done
for f in "$top"/examples/*.pytap; do
	cp "$f" "$tmp/run/input.pytap"
	b=${f##*/}
	b=${b%.pytap}
	run_one "examples/$b.pytap" ""
	py="-c \"\$PYTHON \$TOP/examples/$b.py\""
	case $b in
	callflow|latency|functime|lptrace) run_one "examples/$b.pytap" "$py" "$b.py" ;;
	slowcalls) run_one "examples/$b.pytap" "$py" "50 $b.py" ;;
	pytop) run_one "examples/$b.pytap" "$py" 3 ;;
	audit) run_one "examples/$b.pytap" "$py" "'^(shop|subprocess)\\.'" ;;
	cxxexcept) [ -z "$cxx" ] || run_one "examples/$b.pytap" "$cxx" ;;
	pgqueries) [ -z "$pg" ] || run_one "examples/$b.pytap" "$pg" ;;
	*)
		[ -f "$top/examples/$b.py" ] || py='-c "$PYTHON"'
		run_one "examples/$b.pytap" "$py" ;;
	esac
done

# Each case of a .test file: its script goes to $tmp/cases/N.script, its
# arguments to N.args, its title (file:line name) to N.title.  @PYTHON@,
# @TOP@ and @BUILD@ are replaced as tests/runtests does.
for t in "$top"/tests/lang/*.test; do
	rm -rf "$tmp/cases"
	mkdir "$tmp/cases" || exit 1
	n=$(awk -v dir="$tmp/cases" -v file="tests/lang/${t##*/}" '
	function subst(s,    out, i, k, keys, n) {
		n = split("@PYTHON@ @TOP@ @BUILD@", keys, " ")
		for (k = 1; k <= n; k++) {
			out = ""
			while ((i = index(s, keys[k])) > 0) {
				out = out substr(s, 1, i - 1) val[keys[k]]
				s = substr(s, i + length(keys[k]))
			}
			s = out s
		}
		return s
	}
	BEGIN {
		val["@PYTHON@"] = ENVIRON["PYTHON"]
		val["@TOP@"] = ENVIRON["TOP"]
		val["@BUILD@"] = ENVIRON["BUILD"]
		n = 0
		inscript = 0
	}
	/^%%/ && n > 0 { close(dir "/" n ".script") }
	/^%%TEST/ {
		n++
		name = $0
		sub(/^%%TEST[ \t]*/, "", name)
		printf "%s:%d %s", file, NR, name > (dir "/" n ".title")
		close(dir "/" n ".title")
		printf "" > (dir "/" n ".script")
		printf "" > (dir "/" n ".args")
		inscript = 1
		next
	}
	/^%%ARGS/ {
		a = $0
		sub(/^%%ARGS[ \t]*/, "", a)
		printf "%s", subst(a) > (dir "/" n ".args")
		close(dir "/" n ".args")
		inscript = 0
		next
	}
	/^%%/ { inscript = 0; next }
	inscript { print subst($0) > (dir "/" n ".script") }
	END { print n }
	' "$t") || exit 1
	i=1
	while [ "$i" -le "$n" ]; do
		# Cases without a script (shell-only %%SH cases) compile nothing.
		if grep -q . "$tmp/cases/$i.script"; then
			cp "$tmp/cases/$i.script" "$tmp/run/input.pytap"
			run_one "$(cat "$tmp/cases/$i.title")" "$(cat "$tmp/cases/$i.args")"
		fi
		i=$((i + 1))
	done
done
exit 0
