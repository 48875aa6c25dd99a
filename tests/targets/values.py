# values.py - functions taking and returning every type $$parms and
# $$return show (tests/probe/values.test).  python values.py REF [BP]: each
# traced call t_*() writes to REF what the program itself sees: its
# arguments in the signature's order and its result, as repr() writes
# them (object.__repr__ for objects pytap does not look into), in the
# format of the test's script:
#   t_f(a=1 b='x')
#   t_f return=VALUE      (or exception=ValueError('x') on an unwind)
# BP: as breakpoints read them (--no-agent: pyrepr() of the frame's
# slots), which also know a Python function's repr.
import inspect
import sys
import types


class User:
    pass


class Counted:
    calls = 0

    def __repr__(self):        # a side effect: tracing must not call it
        Counted.calls += 1
        return "Counted()"


class MyInt(int):
    pass


EXACT = (int, float, str, bytes, bool, type(None))
if sys.argv[2:] == ["BP"]:
    EXACT += (types.FunctionType,)


def reprx(o):
    """repr() as the tracer is to show it: repr() itself for the built-in
    types, object.__repr__ for every other object."""
    t = type(o)
    if t in EXACT or o is Ellipsis:
        return repr(o)
    if t is tuple:
        return "(" + ", ".join(map(reprx, o)) + ("," if len(o) == 1 else "") + ")"
    if t is list:
        return "[" + ", ".join(map(reprx, o)) + "]"
    if t is dict:
        return "{" + ", ".join(reprx(k) + ": " + reprx(v) for k, v in o.items()) + "}"
    if t is set:
        return "{" + ", ".join(map(reprx, o)) + "}" if o else "set()"
    if t is frozenset:
        return "frozenset({" + ", ".join(map(reprx, o)) + "})" if o else "frozenset()"
    return object.__repr__(o)


def pure(o):
    t = type(o)
    if t in (tuple, list, set, frozenset):
        return all(pure(x) for x in o)
    if t is dict:
        return all(pure(k) and pure(v) for k, v in o.items())
    return t in EXACT or o is Ellipsis


ref = open(sys.argv[1], "w")


def show(o):
    s = reprx(o)
    if pure(o) and s != repr(o):    # the reference is repr() itself
        raise SystemExit("reprx(%r) = %s" % (o, s))
    return s


def call(fn, *args, **kw):
    sig = inspect.signature(fn)
    b = sig.bind(*args, **kw)
    b.apply_defaults()
    ref.write("%s(%s)\n" % (fn.__name__, " ".join(
        "%s=%s" % (k, show(v)) for k, v in b.arguments.items())))
    try:
        r = fn(*args, **kw)
    except Exception as e:
        ref.write("%s exception=%s\n" % (fn.__name__, repr(e)))
        return
    ref.write("%s return=%s\n" % (fn.__name__, show(r)))


def t_one(x):
    return x


def t_sig(a, b=2, *rest, key=None, **kw):
    return [a, b, rest, key, kw]


def t_raise(msg, n):
    raise ValueError(msg, n)


def t_none():
    pass


SAMPLES = [
    None, True, False, Ellipsis, 0, -1, 7, 2**63 - 1, -2**63, 2**64, -(10**50),
    0.1, 1 / 3, 1e16, 1e15, 1e-5, 0.0001, 123456789.125, -0.0, 2.5e-300,
    5e-324, 1.7976931348623157e308, float("inf"), float("-inf"), float("nan"),
    1e22, 1e-7, 1.23456789e-5, 0.30000000000000004, 2.0**53, 1 / 7, -1.5e-310,
    9007199254740993.0, 123456789012345678.0, 1e16 - 2, 100.0, 2.5, 1e-4,
    "", "abc", "it's", 'say "hi"', "both ' and \"", "tab\there\nnl\r\\",
    "\x00\x1b\x7f", "caf\u00e9 \u20ac \U0001f600", "\u200b\u00a0\u2028",
    "\ud800", "\u4e2d\u6587",
    b"", b"abc", b"it's", b"\x00\xff\"'", b"\t\n\r\\",
    (), (1,), (1, (2,)), [], [1, [2, [3]]], {}, {"a": [1, {"b": None}]},
    set(), {1, 2, 3}, frozenset(), frozenset({"x"}), {(1, 2): frozenset({3})},
    User(), MyInt(5), Counted(), [User()], print, t_one,
]


def main():
    for x in SAMPLES:
        call(t_one, x)
    call(t_sig, 1, "b", 3, 4.5, key={"k": (1,)}, z=b"q")
    call(t_sig, "only")
    call(t_raise, "bad", 3)
    call(t_raise, "caf\u00e9", ())
    call(t_none)
    ref.close()
    print("Counted.__repr__ calls: %d" % Counted.calls)


main()
