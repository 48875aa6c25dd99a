#!/bin/sh
# bench/pystack.sh - what pystack() adds to a probe hit, and what one
# sample.hz tick costs (not part of make check: figures depend on the
# machine; nothing here asserts a speed).
#
#   PYTAP=./pytap PYTAP_TEST_PYTHON=/usr/bin/python3.11 sh bench/pystack.sh
#
# For N calls of an empty function at stack depths 4 and 32, the time per
# call with a handler that counts, then with one that also takes
# pystack(): the difference is pystack()'s cost (5 batched
# process_vm_readv calls, whatever the depth).  Then the pytap CPU time
# per tick of sample.hz(200) over a busy single-thread target.
set -e
: "${PYTAP:=./pytap}"
: "${PYTAP_TEST_PYTHON:=/usr/bin/python3.11}"
N=${BENCH_CALLS:-20000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/calls.py" <<'PY'
import sys
def f():
    pass
def deep(n):
    if n:
        return deep(n - 1)
    for i in range(int(sys.argv[1])):
        f()
deep(int(sys.argv[2]))
PY
ns() { date +%s%N; }
for depth in 2 30; do
	for body in 'n++' 'n += strlen(pystack())'; do
		s=$(ns)
		"$PYTAP" -DMAXSTRINGLEN=8192 \
			-c "$PYTAP_TEST_PYTHON $tmp/calls.py $N $depth" -e "global n
probe python.function.entry { if (funcname == \"f\") $body }" > /dev/null
		e=$(ns)
		printf 'stack depth %2d, %-26s %6d ns per call\n' \
			$((depth + 2)) "$body:" $(( (e - s) / N ))
	done
done
cat > "$tmp/busy.py" <<'PY'
import time
def leaf():
    return sum(range(5000))
def walk(n):
    return leaf() if n == 0 else walk(n - 1)
end = time.monotonic() + 3
while time.monotonic() < end:
    walk(5)
PY
for body in 'n++; m += 0' 'n++; m += strlen(pystack())'; do
	/usr/bin/time -f '%U %S' -o "$tmp/t" "$PYTAP" -DMAXSTRINGLEN=4096 \
		-c "$PYTAP_TEST_PYTHON $tmp/busy.py" -e "global n, m
probe sample.hz(200) { $body }
probe end { printf(\"%d\\n\", n + 0 * m) }" > "$tmp/n"
	echo "sample.hz(200) { $body }: $(cat "$tmp/n") ticks in 3 s (pytap + target CPU: $(cat "$tmp/t") s user sys)"
done
