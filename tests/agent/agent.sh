#!/bin/sh
# tests/agent/agent.sh - libpytap-agent.so in real interpreters: CPython
# 3.11 (Debian's static /usr/bin/python3.11, and libpython3.11.so through
# tests/targets/pyembed when it is built), 3.12 and 3.13 (pyenv's builds:
# `pyenv root`/versions/3.12*/ and 3.13*/, or PYTAP_TEST_PYTHONS="PATH...").
# Each interpreter runs every mode of tests/agent/agent_test.py (see its
# header): exact counts against the interpreter's own profile hook,
# restart, pytap's death (5 rounds), a full ring, fork, refusals.
#
# Output: PASS:/FAIL:/SKIP: per case, then `N passed, N failed, N
# skipped`.  Exit status 0, 1 (a failure) or 77 (all skipped).  A missing
# 3.12 or 3.13 is a skip with its reason, and under CI=true a failure.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
agent=$top_builddir/agent/libpytap-agent.so
reader=$top_builddir/tests/agent/ring_reader
driver=$top_srcdir/tests/agent/agent_test.py
modes="counts restart died pending exit full fork errors"
npass=0 nfail=0 nskip=0

for f in "$agent" "$reader"; do
	[ -e "$f" ] || { echo "FAIL: $f is not built (make check builds it)"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/pytap-agent.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

skip() {   # skip NAME REASON
	if [ "${CI:-}" = true ]; then
		echo "FAIL: $1 (skipped, and under CI=true a skip is a failure: $2)"
		nfail=$((nfail + 1))
	else
		echo "SKIP: $1 ($2)"
		nskip=$((nskip + 1))
	fi
}

run() {    # run LABEL COMMAND...: every mode
	label=$1
	shift
	for m in $modes; do
		if out=$(AGENT_TEST_CHILD=$1 timeout 120 "$@" "$driver" "$agent" "$reader" "$m" 2>&1); then
			echo "PASS: $label $m: $(echo "$out" | tail -n 1)"
			npass=$((npass + 1))
		else
			echo "FAIL: $label $m (exit $?)"
			echo "$out" | sed 's/^/    /' | head -n 40
			nfail=$((nfail + 1))
		fi
	done
}

# 3.11, static, symbols exported from the executable
if [ -x /usr/bin/python3.11 ]; then
	run "python3.11 (static)" /usr/bin/python3.11
else
	skip "python3.11 (static)" "no /usr/bin/python3.11: apt-get install python3.11"
fi
# 3.11 through libpython3.11.so
if [ -x "$top_builddir/tests/targets/pyembed" ]; then
	run "libpython3.11.so (pyembed)" "$top_builddir/tests/targets/pyembed"
else
	skip "libpython3.11.so (pyembed)" "tests/targets/pyembed not built: apt-get install libpython3.11-dev and configure again"
fi
# 3.12 and 3.13
if [ -n "${PYTAP_TEST_PYTHONS:-}" ]; then
	pys=$PYTAP_TEST_PYTHONS
else
	root=$(pyenv root 2>/dev/null) || root=${PYENV_ROOT:-$HOME/.pyenv}
	pys=
	for v in 3.12 3.13; do
		py=$(ls -d "$root"/versions/$v*/bin/python$v 2>/dev/null | sort -V | tail -n 1)
		if [ -n "$py" ] && [ -x "$py" ]; then
			pys="$pys $py"
		else
			skip "python$v" "no CPython $v in $root/versions (pyenv install $v, or set PYTAP_TEST_PYTHONS)"
		fi
	done
fi
for py in $pys; do
	run "$("$py" -c 'import sys; print("python%d.%d" % sys.version_info[:2])' 2>/dev/null || echo "$py")" "$py"
done

echo "$npass passed, $nfail failed, $nskip skipped"
[ "$nfail" -eq 0 ] || exit 1
[ "$npass" -gt 0 ] || exit 77
exit 0
