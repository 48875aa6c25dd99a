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
#   python stackwl.py serve DIR   (for -x) calls f_tick from 4 frames deep
#                             until DIR/stop exists; writes f_tick's stack
#                             as REF does to DIR/ref, then "ready" to
#                             DIR/ready
import sys
import traceback

REF = len(sys.argv) > 1 and sys.argv[1] in ("REF", "serve")


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


def f_tick(d, first):
    if first:
        with open(os.path.join(d, "ref"), "w") as f:
            sys.stdout = f
            record()
            sys.stdout = sys.__stdout__
        with open(os.path.join(d, "ready"), "w") as f:
            f.write("ready\n")
    return os.path.exists(os.path.join(d, "stop"))


def serve_loop(d):
    first = True
    while not f_tick(d, first):
        first = False
        time.sleep(0.001)


def serve(d, depth):
    if depth:
        return serve(d, depth - 1)
    return serve_loop(d)


if len(sys.argv) > 2 and sys.argv[1] == "serve":
    import os
    import time
    serve(sys.argv[2], 2)
else:
    main()
