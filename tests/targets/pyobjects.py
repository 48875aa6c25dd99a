# pyobjects.py DIR: objects of every type pyrepr() knows, and some it does
# not.  Writes DIR/objects.pytap, a script that prints pyrepr() of each by
# its address (id()), and DIR/expected, what it must print (Python's own
# repr(), cut as pyrepr cuts at MAXSTRINGLEN 512), then prints "ready" and
# waits to be killed.  Two bad addresses end the script: they must give
# errors, caught with try/catch, not crashes.
import sys
import time


class Thing:
    pass


recursive = [1, 2]
recursive.append(recursive)
deep = [[[[[[[[[[["bottom"]]]]]]]]]]]
garbage = b"\x41" * 64
objects = [
    "hello", "it's", 'say "hi"', "both ' and \"", "tab\tnew\nline\\",
    "\x00\x7f\x80\xa0", "héllo wörld €", "emoji 😀", "",
    b"bytes", b"\x00\xff\t'", b"",
    0, 1, -1, 2**30, 2**30 - 1, -2**62, 2**64, -(2**100), 10**50,
    7**300,
    1.5, 0.1, -2.5e-7, 1e16, 1e15, 1e-5, 0.0001, -0.0, 123456789.125,
    float("inf"), float("-inf"), float("nan"), 2.0**0.5,
    True, False, None,
    (), (1,), (1, "a", None), [], [1, [2, [3]]], {}, {"a": 1, 2: [3.5]},
    recursive, deep,
    "x" * 600, list(range(300)),
    object(), Thing(),
]
# set, frozenset, bytearray, complex, range, type, module, function
holey = {1, 2, 3, 4, 5}
holey.discard(2)
holey.discard(4)
import collections, json, os, types
objects += [
    set(), {1, 2, 3}, {"a"}, holey, set(range(100)), frozenset(),
    frozenset({1, "b"}), [{1}, frozenset({(2, 3)})],
    bytearray(b"ab'c"), bytearray(), bytearray(b'"\x00\xff\'') ,
    1 + 2j, 1.5j, complex(-0.0, 1), complex(1e16, -2.5e-7), 0j,
    complex(0, float("nan")), complex(float("inf"), -0.0), -1j,
    range(10), range(1, 10, 2), range(-5, 5), range(10, 0, -3),
    range(2**70),
    int, type, Thing, collections.OrderedDict, types.SimpleNamespace,
    json.JSONDecoder,
    sys, os, json, types.ModuleType("bare"),
    lambda: 0, json.dumps, collections.namedtuple,
]


def outer():
    def inner():
        pass
    return inner


objects.append(outer())
inst = Thing()
inst.alpha = 1
inst.beta = "two"
objects.append(inst.__dict__)


def expect(o):
    if o is deep:
        # pyrepr nests 8 containers deep
        r = "[" * 8 + "..." + "]" * 8
    else:
        r = repr(o)
    return r if len(r.encode()) <= 511 else r.encode()[:508].decode() + "..."


outdir = sys.argv[1]
with open(outdir + "/objects.pytap", "w") as f:
    f.write("probe begin {\n")
    for o in objects:
        f.write("\tprintln(pyrepr(%#x))\n" % id(o))
    for bad in (0x10, id(garbage) + 32):
        f.write('\ttry { println(pyrepr(%#x)) } catch (e) { println(e) }\n'
                % bad)
    f.write("\texit()\n}\n")
with open(outdir + "/expected", "w") as f:
    for o in objects:
        f.write(expect(o) + "\n")
    f.write("pyrepr: cannot read a Python object at 0x10\n")
    f.write("pyrepr: %#x is not a valid Python object\n" % (id(garbage) + 32))
print("ready", flush=True)
time.sleep(3600)
