# stackwl.py - a deterministic program for the agent's shadow stacks
# (tests/probe/agentstack.test): nested calls, recursion, methods, closures,
# generators, calls from C (sorted's key, map), exceptions caught further
# up.  Every function whose name starts with "f_" calls record() first.
#
#   python stackwl.py         runs quietly (traced by pytap)
#   python stackwl.py REF     prints, at each such function's start, its
#                             stack as pystack() formats it: outermost
#                             first, "qualname (file:line)" joined by ";",
#                             the function's own line its def line (where
#                             python.function.entry stands); the frames
#                             come from traceback.walk_stack
import sys
import traceback

REF = len(sys.argv) > 1 and sys.argv[1] == "REF"


def record():
    if not REF:
        return
    frames = list(traceback.walk_stack(sys._getframe(1)))
    parts = []
    for i, (fr, line) in enumerate(frames):
        co = fr.f_code
        parts.append("%s (%s:%d)" % (co.co_qualname, co.co_filename,
                                     co.co_firstlineno if i == 0 else line))
    print(";".join(reversed(parts)))


def f_leaf(n):
    record()
    return n + 1


def f_rec(n):
    record()
    if n == 0:
        return f_leaf(n)
    return f_rec(n - 1)


class Shape:
    def f_area(self, k):
        record()
        return f_leaf(k) * 2


def f_key(x):
    record()
    return -x


def f_boom(n):
    record()
    raise ValueError(n)


def f_catch(n):
    record()
    try:
        f_boom(n)
    except ValueError:
        return f_leaf(n)


def gen(n):
    for i in range(n):
        f_leaf(i)
        yield i
        f_leaf(-i)


def f_outer(n):
    record()

    def f_inner(m):
        record()
        return f_leaf(m)
    return f_inner(n)


def main():
    for i in range(3):
        f_leaf(i)
        f_rec(i)
    Shape().f_area(4)
    sorted([3, 1, 2], key=f_key)
    list(map(f_leaf, [7, 8]))
    f_catch(5)
    f_leaf(9)
    for _ in gen(2):
        f_leaf(0)
    f_outer(6)


main()
