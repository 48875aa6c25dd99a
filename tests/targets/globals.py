# globals.py OUT: module globals for pyglobal() (tests/probe/values.test).
# Writes to OUT repr(state) and repr(config) as the program itself sees
# them, prints "ready", then blocks in C (a stuck program) until its
# stdin closes; then reports how often Counted.__repr__ ran (pytap must
# not run it).
import sys


class Counted:
    calls = 0

    def __repr__(self):
        Counted.calls += 1
        return "Counted()"


state = {"n": 42, "big": 2**100, "items": [1, 2.5, "caf\u00e9 \"q\" 'x'"],
         "s": {3}, "t": (None,), "b": b"\x00ok", "f": frozenset(), "e": set(),
         "nested": {"a": [(1,), {"b": True}]}}
config = ("prod", 8080, -1.5e-07)
obj = Counted()
with open(sys.argv[1], "w") as f:
    f.write(repr(state) + "\n" + repr(config) + "\n" + object.__repr__(obj) + "\n")
Counted.calls = 0
print("ready", flush=True)
sys.stdin.read()
print("Counted.__repr__ calls: %d" % Counted.calls, flush=True)
