#!/bin/sh
# bench/functions.sh - what counting every Python function return costs a
# real pure-Python workload (the AST round trip of a large stdlib module),
# as a whole pytap run sees it: untraced vs the in-process agent vs
# breakpoints (--no-agent) vs bpftrace (where installed), in the same run;
# "agent+out" prints one line per return to a file (-o).
# A benchmark, not a test: figures vary with the machine's load.
#
#   bench/functions.sh [PYTHON...]   default: /usr/bin/python3.11 and
#                                    pyenv's 3.12 and 3.13 if present
# Environment: PYTAP (default ./pytap), ROUNDS (default 3: best of),
# N (default 5: round trips per run).
set -u
PYTAP=${PYTAP:-./pytap}
ROUNDS=${ROUNDS:-3}
N=${N:-5}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/work.py" <<'PY'
import ast, os, sys, time
src = open(os.path.join(os.path.dirname(ast.__file__), "typing.py")).read()
t = time.perf_counter()
for _ in range(int(sys.argv[1]) if len(sys.argv) > 1 else 1):
    ast.unparse(ast.parse(src))
print("%.3f" % (time.perf_counter() - t))
PY
cat > "$tmp/count.pytap" <<'PT'
global n
probe python.function.return { n++ }
probe end { printf("returns %d\n", n) }
PT
# one line per event, written to a file (-o)
cat > "$tmp/print.pytap" <<'PT'
probe python.function.return { printf("%s %s:%d\n", funcname, filename, lineno) }
PT
pythons=${*:-"/usr/bin/python3.11 $(ls "$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")"/versions/3.1[23]*/bin/python3.1[23] 2>/dev/null | tr '\n' ' ')"}

best() {	# best of ROUNDS of the work's own time: "CMD..."
	b=
	for r in $(seq "$ROUNDS"); do
		x=$("$@" 2>/dev/null | grep -E '^[0-9.]+$' | tail -1)
		[ -n "$x" ] || { echo "-"; return; }
		if [ -z "$b" ] || awk -v x="$x" -v b="$b" 'BEGIN { exit !(x < b) }'; then b=$x; fi
	done
	echo "$b"
}
ratio() { [ "$2" = "-" ] && echo "-" || awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b / a }'; }

printf '%-44s %9s %9s %9s %9s %9s\n' "python (work: ast round trip of typing.py)" untraced agent "agent+out" breakpts bpftrace
for py in $pythons; do
	[ -x "$py" ] || continue
	u=$(best "$py" "$tmp/work.py" "$N")
	a=$(best "$PYTAP" --agent -c "$py $tmp/work.py $N" "$tmp/count.pytap")
	ao=$(best "$PYTAP" --agent -o "$tmp/lines" -c "$py $tmp/work.py $N" "$tmp/print.pytap")
	# breakpoints need the real marker (in the executable or its libpython)
	if readelf -n "$py" $(ldd "$py" 2>/dev/null | awk '/libpython/ { print $3 }') 2>/dev/null |
		grep -q 'Name: function__return'; then
		b=$(best "$PYTAP" --no-agent -c "$py $tmp/work.py $N" "$tmp/count.pytap")
	else
		b=-
	fi
	bt=-
	if command -v bpftrace >/dev/null 2>&1 && [ "$b" != "-" ]; then
		bt=$(best sh -c 'bpftrace -q -c "$1 $2 $3" -e "usdt:$1:python:function__return { @n = count(); }" 2>/dev/null' sh "$py" "$tmp/work.py" "$N")
	fi
	printf '%-44s %8ss %8s× %8s× %8s× %8s×\n' "$py" "$u" "$(ratio "$u" "$a")" "$(ratio "$u" "$ao")" "$(ratio "$u" "$b")" "$(ratio "$u" "$bt")"
done
