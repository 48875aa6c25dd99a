#!/bin/sh
# tests/stress/kill.sh MODE N [WHEN] - SIGKILL pytap N times and prove the
# target did not pay for it (issue 12; doc/pytap.1 "WHEN PYTAP DIES").
#
#   MODE x: one busy 4-thread python (busy.py) traced N times with -x;
#   MODE c: N fresh ones, each launched by pytap -c.
#   WHEN trace (default): mid-trace, after the handshake below;
#        attach: 0-30 ms after pytap started (often in the middle of
#        attaching, or of launching);
#        detach: SIGINT after the handshake, SIGKILL 0-5 ms later (in the
#        middle of pytap's own detach, or after it: exit 0);
#        mixed: one of the three at random each round.
#   FORKS=1 in the environment: the target also forks a child after
#   another (a fork storm under tracing; the children are followed).
#
# Each round: pytap traces python.function.entry (and, every other round,
# python.line too: many more stops, so the kill often lands while a thread
# is held on a hit) and prints "tracing" after a random number (1..512)
# of hits of f -- the handshake that tracing runs --, then gets SIGKILL.
# pytap's watchdog (-vv) says when it has restored the target; then, read
# from the kernel and the target's memory: every SDT site byte and
# semaphore of python is back (tests/tools/sitecheck), SIGTRAP is neither
# caught nor ignored (SigCgt/SigIgn: for -x exactly as before pytap
# came), every thread has its CPU affinity of before (-c: the one it
# inherited from pytap, which pinned it to one CPU) and none is traced.
# At the end the target must say that every one of its sums was right.
#
# Needs: PYTAP, PYTHON (with SDT markers), BUILD (the build tree, for
# tests/tools/sitecheck), WAITFOR (tests/tools/waitfor); runs in the
# current directory.  Prints one line per round and a summary; exits 1
# when a round was not clean.
set -eu
mode=$1 n=$2 when=${3:-trace}
here=$(cd "$(dirname "$0")" && pwd)
cp "$here/busy.py" busy.py
fails=0
: > rounds
sigs() { grep -E '^Sig(Cgt|Ign)' "/proc/$1/status" | tr '\n' ' '; }
trapbit() {	# SIGTRAP (5) is bit 4 of the masks
	c=$(sed -n 's/^SigCgt:[[:space:]]*//p' "/proc/$1/status")
	i=$(sed -n 's/^SigIgn:[[:space:]]*//p' "/proc/$1/status")
	echo "caught $(( (0x$c >> 4) & 1 )) ignored $(( (0x$i >> 4) & 1 ))"
}
aff() { for s in /proc/$1/task/*/status; do
	echo "$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "$s")"; done | sort; }
traced() { cat /proc/$1/task/*/status | grep -c '^TracerPid:[[:space:]]*[1-9]' || true; }
rnd() { echo $(( $(od -An -N2 -tu2 /dev/urandom) % 512 + 1 )); }
script() {
	echo "global n, l
probe python.function.entry { if (funcname == \"f\" && ++n == $1) println(\"tracing\") }"
	[ $(( $2 % 2 )) = 1 ] || echo 'probe python.line { l++ }'
}
if [ "$mode" = x ]; then
	: > target.out
	"$PYTHON" busy.py stop > target.out & t=$!
	"$WAITFOR" target.out ready
	sigs $t > sigs.before; aff $t > aff.before
fi
i=1
while [ $i -le "$n" ]; do
	if [ "$mode" = x ] && ! kill -0 $t 2>/dev/null; then
		rc=0; wait $t || rc=$?
		echo "round $i: the target is dead (exit status $rc)" >> rounds
		break
	fi
	script "$(rnd)" $i > k.pytap
	: > p.out; : > p.err
	if [ "$mode" = x ]; then
		"$PYTAP" -vv -x $t k.pytap > p.out 2> p.err & p=$!
	else
		: > t.out
		"$PYTAP" -vv -c "$PYTHON busy.py stop$i t.out" k.pytap > p.out 2> p.err & p=$!
	fi
	w=$when
	[ "$w" != mixed ] || w=$(echo trace attach detach | cut -d' ' -f$(( $(rnd) % 3 + 1 )))
	case $w in
	attach)	sleep "0.0$(( $(rnd) % 30 ))"	# a random point, not a handshake
		;;
	*)	"$WAITFOR" p.out tracing || true
		[ "$mode" = x ] || "$WAITFOR" t.out ready
		if [ "$w" = detach ]; then
			kill -INT $p
			sleep "0.00$(( $(rnd) % 6 ))"
		fi
		;;
	esac
	kill -KILL $p 2>/dev/null || true
	rc=0; wait $p || rc=$?
	# killed: the watchdog says when it is done (if pytap got to start
	# it; before that, pytap changed nothing)
	if [ $rc = 137 ] && grep -q '^pytap: watchdog started$' p.err; then
		"$WAITFOR" p.err "pytap watchdog: done"
	fi
	if [ "$mode" = c ] && [ "$w" = attach ]; then
		# killed before it forked the program: nothing to check
		if ! pgrep -f "busy.py stop$i t.out" > /dev/null; then
			echo "round $i ($w): killed before the launch" >> rounds
			i=$((i + 1))
			continue
		fi
		"$WAITFOR" t.out ready
	fi
	[ "$mode" = x ] || t=$(sed -n 's/^pid //p' t.out)
	sc=$("$BUILD/tests/tools/sitecheck" -q $t "$PYTHON" | tail -1)
	if [ "$mode" = x ]; then
		[ "$(sigs $t)" = "$(cat sigs.before)" ] && sg="as before" || sg="CHANGED: $(sigs $t)"
		aff $t > aff.now
		cmp -s aff.before aff.now && af="as before" || af="CHANGED: $(tr "\n" " " < aff.now)"
	else
		sg=$(trapbit $t)
		[ "$(aff $t | sort -u)" = "$(aff $$)" ] && af="as pytap's" || af=CHANGED
	fi
	[ $rc != 0 ] || rc=137	# SIGINT won the race: pytap restored it
	line="round $i ($w): pytap exit $rc, sites $sc, SIGTRAP $sg, affinities $af, traced threads $(traced $t)"
	if [ "$mode" = c ]; then
		touch stop$i
		"$WAITFOR" t.out "done: wrong sums 0, every thread ran: True" ||
			{ line="$line, target: $(tail -1 t.out)"; }
	fi
	echo "$line" >> rounds
	i=$((i + 1))
done
if [ "$mode" = x ]; then
	touch stop
	rc=0; wait $t || rc=$?
	echo "target exit $rc: $(tail -1 target.out)" >> rounds
fi
if [ "$mode" = x ]; then
	want="pytap exit 137, sites ok, SIGTRAP as before, affinities as before, traced threads 0"
else
	want="pytap exit 137, sites ok, SIGTRAP caught 0 ignored 0, affinities as pytap's, traced threads 0"
fi
bad=$(grep '^round' rounds | grep -v 'killed before the launch$' |
	grep -cv ": $want\$" || true)
if [ "$mode" = x ] && ! grep -q '^target exit 0: done: wrong sums 0, every thread ran: True$' rounds; then
	bad=$((bad + 1))
fi
grep -v "$want\$" rounds | grep -v 'killed before the launch$' || true
echo "$mode: $n kills of pytap, $(( $(grep -c '^round' rounds) - bad)) clean"
[ "$bad" = 0 ]
