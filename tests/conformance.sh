#!/bin/sh
# tests/conformance.sh DIR - measure pytap against SystemTap's and CPython's
# own test data (DIR is ../shared/conformance; `make conformance` runs it).
#
# The data stays where it is (it is other projects' work, see DIR/README.md);
# this script only reads it.  Groups, driven by DIR/MANIFEST.tsv:
#   parseok        must parse:  pytap -p1 FILE exits 0
#   parseko        must fail:   pytap -p1 FILE exits 1..123 with a message
#   runtime/semok  must elaborate: pytap -p2 [options] FILE exits 0
#   runtime/semko  must fail at -p2, as parseko
#   runtime/base, maps, printf, string   golden output: pytap [options]
#                  FILE [args] prints NAME.expected (or matches the regular
#                  expressions of NAME.expected.re); see DIR/README.md
#   python/cpython-dtracedata*   CPython's own SystemTap tests, run with
#                  -c "$PYTAP_TEST_PYTHON NAME.py" and compared as CPython's
#                  test_dtrace.py does (needs an SDT python)
# "sh"-format files are shell drivers that call `stap`: they run with a
# `stap` that is pytap.  Scripts that stap_run stops with SIGINT get one
# once they print 'systemtap starting probe' (or after 5 s).
#
# Prints one line per group with its pass rate (and per tier: core, ext,
# cli), and writes every failure with its reason to conformance.log.  It
# measures; it does not judge: the exit status is 0 (also when DIR is
# absent, after saying so) unless the setup is broken (1).
#
# Environment: PYTAP (default ./pytap), PYTAP_TEST_PYTHON,
# CONFORMANCE_TIMEOUT (seconds per run, default 10), CONFORMANCE_GROUPS
# (space-separated group names to run; default all), CONFORMANCE_LOG.

set -u
LC_ALL=C
export LC_ALL

dir=${1:-../shared/conformance}
if [ ! -d "$dir" ] || [ ! -f "$dir/MANIFEST.tsv" ]; then
	echo "conformance: skipped: no conformance data at $dir (it lives in ../shared/conformance beside the repository)"
	exit 0
fi
dir=$(cd "$dir" && pwd)
: "${PYTAP:=$(pwd)/pytap}"
case $PYTAP in /*) ;; *) PYTAP=$(pwd)/$PYTAP ;; esac
if [ ! -x "$PYTAP" ]; then
	echo "conformance: PYTAP=$PYTAP is not an executable (run make first)" >&2
	exit 1
fi
PYTHON=${PYTAP_TEST_PYTHON-/usr/bin/python3.11}
limit=${CONFORMANCE_TIMEOUT:-10}
log=${CONFORMANCE_LOG:-$(pwd)/conformance.log}
groups=${CONFORMANCE_GROUPS:-}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pytap-conf.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A `stap` for the shell drivers.
mkdir "$tmp/bin"
printf '#!/bin/sh\nexec "%s" "$@"\n' "$PYTAP" >"$tmp/bin/stap"
chmod +x "$tmp/bin/stap"

: >"$log"
: >"$tmp/results"

want_group() {
	[ -z "$groups" ] && return 0
	for g in $groups; do
		[ "$g" = "$1" ] && return 0
	done
	return 1
}

# run [sigint] CMD...: run CMD in a fresh $tmp/work with a time limit, stdin
# from /dev/null, output in $tmp/out and $tmp/err, status in $rc.
run() {
	sigint=no
	if [ "$1" = sigint ]; then
		sigint=yes
		shift
	fi
	rm -rf "$tmp/work"
	mkdir "$tmp/work"
	(cd "$tmp/work" && exec timeout -k 5 "$limit" "$@" \
		</dev/null >"$tmp/out" 2>"$tmp/err") &
	job=$!
	if [ "$sigint" = yes ]; then
		i=0
		while [ "$i" -lt 50 ] && kill -0 "$job" 2>/dev/null &&
		      ! grep -q 'systemtap starting probe' "$tmp/out"; do
			sleep 0.1
			i=$((i + 1))
		done
		sleep 0.2
		# timeout passes the signal on to the command.
		kill -s INT "$job" 2>/dev/null
	fi
	wait "$job"
	rc=$?
	kill -s KILL -- "-$job" 2>/dev/null
	return 0
}

# result GROUP TIER FILE pass|fail [REASON]
result() {
	printf '%s\t%s\t%s\n' "$1" "$2" "$4" >>"$tmp/results"
	if [ "$4" = fail ]; then
		printf 'FAIL %s %s: %s\n' "$1" "$3" "$5" >>"$log"
		if [ -s "$tmp/err" ]; then
			head -n 5 "$tmp/err" | sed 's/^/    /' >>"$log"
		fi
	fi
}

# status_says WANT: is $rc what WANT (accept/reject) asks for?
status_says() {
	case $1 in
	accept)
		[ "$rc" = 0 ] && return 0
		why="exit status $rc, expected 0" ;;
	reject)
		if [ "$rc" -ge 1 ] && [ "$rc" -le 123 ]; then
			[ -s "$tmp/err" ] && return 0
			why="failed without a message on stderr"
		elif [ "$rc" = 0 ]; then
			why="accepted, expected a rejection"
		else
			why="exit status $rc (crash, signal or time-out)"
		fi ;;
	esac
	return 1
}

interp_of() {
	if head -n 1 "$1" | grep -q bash; then echo bash; else echo sh; fi
}

# The MANIFEST columns we use: file expected kind format invocation tier.
# Quoted fields ("...""...") are unquoted.
awk -F'\t' 'NR > 1 {
	for (i = 1; i <= NF; i++)
		if ($i ~ /^".*"$/) {
			$i = substr($i, 2, length($i) - 2)
			gsub(/""/, "\"", $i)
		}
	printf "%s\t%s\t%s\t%s\t%s\t%s\n", $1, $3, $4, $5, $6, $7
}' OFS='\t' "$dir/MANIFEST.tsv" >"$tmp/manifest"

# verdict MORE: the result of the test in $group/$tier/$file: pass when
# pytap's status is the $expected one, else fail with status_says's $why
# and MORE.
verdict() {
	if status_says "$expected"; then
		result "$group" "$tier" "$file" pass
	else
		result "$group" "$tier" "$file" fail "$why$1"
	fi
}

# stap_opts PASS INVOCATION: the options of a test's stap invocation other
# than its -pN (" -g" of "stap -gp1"), each with a leading space.
stap_opts() {
	for w in ${2#stap}; do
		case $w in
		-*"$1") w=${w%"$1"} ;;
		esac
		case $w in
		-|-p1|-p2) ;;
		-*) printf ' %s' "$w" ;;
		esac
	done
}

# --- parseok / parseko ------------------------------------------------------
while IFS='	' read -r file expected kind format invocation tier; do
	[ "$kind" = parse ] || continue
	group=${file%%/*}
	want_group "$group" || continue
	if [ "$format" = sh ]; then
		run env PATH="$tmp/bin:$PATH" "$(interp_of "$dir/$file")" "$dir/$file"
	else
		# the options of its invocation ("stap -gp1": -g) too
		opts=$(stap_opts p1 "$invocation")
		# shellcheck disable=SC2086
		run "$PYTAP" $opts -p1 "$dir/$file"
	fi
	verdict ""
done <"$tmp/manifest"

# --- runtime/semok / semko: pass 2 -------------------------------------------
while IFS='	' read -r file expected kind format invocation tier; do
	[ "$kind" = sem ] || continue
	group=${file%/*}
	want_group "$group" || continue
	# invocation is the file's '#! stap -up2' line: keep its other options.
	opts=$(stap_opts p2 "$invocation")
	# shellcheck disable=SC2086
	run "$PYTAP" $opts -p2 "$dir/$file"
	verdict " (pytap$opts -p2)"
done <"$tmp/manifest"

# --- runtime golden outputs -------------------------------------------------
# match_re RE-FILE: stdout lines then stderr lines; each regex must match a
# whole line, in order; every stdout line must be covered; stderr lines
# after the last regex are ignored.
match_re() {
	awk -v nout="$(wc -l <"$tmp/out")" '
	FNR == NR { re[++nre] = $0; next }
	{ line[++nl] = $0 }
	END {
		if (nout > nre) exit 1
		if (nl < nre) exit 1
		for (i = 1; i <= nre; i++)
			if (line[i] !~ ("^(" re[i] ")$")) exit 1
		exit 0
	}' "$1" "$tmp/out" "$tmp/err"
}

while IFS='	' read -r file expected kind format invocation tier; do
	case $kind in
	runtime-expected|runtime-expected-re) ;;
	*) continue ;;
	esac
	group=${file%/*}
	want_group "$group" || continue
	sig=
	case $invocation in
	*"; SIGINT"*) sig=sigint ;;
	esac
	# "stap [options] NAME.stp [args]   (comment)"; -o OUTFILE is dropped,
	# as the README says plain stdout is equivalent.
	cmd=$(printf '%s\n' "${invocation%%;*}" |
		sed -e 's/   *(.*$//' -e 's/ -o OUTFILE//')
	opts= sargs= script=
	set -f
	for w in ${cmd#stap}; do
		case $w in
		*.stp) [ -n "$script" ] || { script=$dir/${file%/*}/$w; continue; } ;;
		esac
		if [ -n "$script" ]; then sargs="$sargs $w"; else opts="$opts $w"; fi
	done
	set +f
	if [ -z "$script" ]; then
		result "$group" "$tier" "$file" fail "cannot read the invocation: $invocation"
		continue
	fi
	# shellcheck disable=SC2086
	run $sig "$PYTAP" $opts "$script" $sargs
	exp=$dir/$file
	ok=no
	if [ "$kind" = runtime-expected-re ]; then
		match_re "$exp" && ok=yes
		why="output does not match $(basename "$exp")"
	else
		cat "$tmp/out" "$tmp/err" >"$tmp/both"
		if cmp -s "$exp" "$tmp/out" || cmp -s "$exp" "$tmp/both"; then
			ok=yes
		fi
		why="output differs from $(basename "$exp")"
	fi
	if [ "$ok" = no ] && { [ "$rc" = 124 ] || [ "$rc" = 137 ]; }; then
		why="timed out after ${limit}s"
	fi
	if [ "$ok" = yes ]; then
		result "$group" "$tier" "$file" pass
	else
		result "$group" "$tier" "$file" fail "$why (pytap$opts $(basename "$script")$sargs${sig:+, then SIGINT}; exit status $rc)"
	fi
done <"$tmp/manifest"

# --- CPython's SystemTap tests ----------------------------------------------
# test_dtrace.py: drop blank and '#' lines, sort by the first tab-separated
# column (a timestamp), keep the second, strip, compare.
normalize() {
	awk -F'\t' 'NF && !/^#/ { print $1 "\t" NR "\t" $2 }' "$1" |
		sort -t '	' -k1,1n -k2,2n | cut -f3 | trim
}

# trim: drop leading and trailing blank lines (Python's str.strip()).
trim() {
	awk '{ l[NR] = $0 } NF { if (!first) first = NR; last = NR }
	END { for (i = first; first && i <= last; i++) print l[i] }'
}

while IFS='	' read -r file expected kind format invocation tier; do
	[ "$kind" = python-test ] || continue
	group=${file%/*}
	want_group "$group" || continue
	base=${file%.stp}
	if [ ! -f "$dir/$file.expected" ]; then
		# assert_usable.stp: stdout must be exactly "probe: success".
		run "$PYTAP" "$dir/$file"
		if [ "$rc" = 0 ] && [ "$(cat "$tmp/out")" = "probe: success" ]; then
			result "$group" "$tier" "$file" pass
		else
			result "$group" "$tier" "$file" fail "expected 'probe: success' and exit 0 (exit status $rc)"
		fi
		continue
	fi
	if [ -z "$PYTHON" ] || [ ! -x "$PYTHON" ]; then
		result "$group" "$tier" "$file" fail "no SDT python (PYTAP_TEST_PYTHON)"
		continue
	fi
	run "$PYTAP" -c "$PYTHON $dir/$base.py" "$dir/$file"
	normalize "$tmp/out" >"$tmp/norm"
	trim <"$dir/$file.expected" >"$tmp/expnorm"
	if [ "$rc" = 0 ] && cmp -s "$tmp/expnorm" "$tmp/norm"; then
		result "$group" "$tier" "$file" pass
	else
		result "$group" "$tier" "$file" fail "normalized output differs from $(basename "$file").expected (exit status $rc)"
	fi
done <"$tmp/manifest"

# --- the report -------------------------------------------------------------
awk -F'\t' '
{
	if (!($1 in total)) order[++ngroups] = $1
	total[$1]++
	if ($3 == "pass") pass[$1]++
	t = $1 SUBSEP $2
	if (!(t in ttotal)) torder[$1] = torder[$1] " " $2
	ttotal[t]++
	if ($3 == "pass") tpass[t]++
	all++
	if ($3 == "pass") allpass++
}
END {
	for (i = 1; i <= ngroups; i++) {
		g = order[i]
		line = sprintf("%-36s %4d/%-4d %3d%%", g ":", pass[g], total[g],
			100 * pass[g] / total[g])
		n = split(torder[g], ts, " ")
		if (n > 1 || ts[1] != "") {
			line = line "  ("
			for (k = 1; k <= n; k++) {
				t = g SUBSEP ts[k]
				line = line (k > 1 ? ", " : "") (ts[k] == "" ? "-" : ts[k]) " " tpass[t] + 0 "/" ttotal[t]
			}
			line = line ")"
		}
		print line
	}
	if (all)
		printf "%-36s %4d/%-4d %3d%%\n", "all:", allpass, all, 100 * allpass / all
}' "$tmp/results"
echo "conformance: failures and their reasons are in $log"
exit 0
