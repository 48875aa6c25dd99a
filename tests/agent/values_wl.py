# values_wl.py - functions whose arguments and results the agent encodes
# (tests/agent/agent_test.py, mode values): every type the encoder looks
# into, the limits (depth 3, 32 items, 256 bytes), recursion, objects it
# must not look into, parameters of every kind, yields and exceptions.


class Tricky:
    reprs = 0

    def __repr__(self):  # the agent must never call it
        Tricky.reprs += 1
        return "tricky"

    __str__ = __repr__


class MyInt(int):
    pass


rec = [1]
rec.append(rec)
SAMPLES = [
    None, True, False, Ellipsis, 0, -1, 2**63 - 1, -2**63, 2**64, -(10**30),
    10**5000, 1.5, -0.0, float("inf"), "abc", "\u00e9\"'\n\u20ac", "x" * 300,
    "\ud800", b"\x00\xff", b"y" * 300, (1, "a"), [1, [2, [3, [4, [5]]]]],
    {"k": [1, 2], 3: None}, {1, 2, 3}, frozenset({"a"}), list(range(100)),
    rec, Tricky(), MyInt(5), (), [], {}, set(),
]
raised = []


def take(x):
    return x


def multi(a, b=2, *rest, key=None, **kw):
    return (a, b, rest, key, kw)


def outer(p):
    def inner():
        return p
    return inner()


def raiser(msg, n):
    e = ValueError(msg, n)
    raised.append(e)
    raise e


def gen():
    yield 1
    yield "two"
    return 3


def main():
    for x in SAMPLES:
        take(x)
    multi(1, 2, 3, 4, key="k", z=9)
    multi(5)
    outer(SAMPLES[-5])
    try:
        raiser("bad", 42)
    except ValueError:
        pass
    list(gen())
