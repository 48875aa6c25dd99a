# callstack.py OUT: 100 calls of probe_me() through functions, methods, a
# static method, closures, generators, lambdas, comprehensions and
# recursion of random depth.  For each call it writes to OUT the stack
# pytap's pystack() must give at python.function.entry of probe_me: the
# frames traceback.extract_stack() reports (qualified names from their
# code objects), outermost first, probe_me itself at its def line.
import random
import sys
import traceback

out = open(sys.argv[1], "w")


def probe_me(i):
    summary = traceback.extract_stack()[:-1]
    frames = []
    f = sys._getframe(1)
    while f is not None:
        frames.append((f.f_code.co_qualname, f.f_code.co_filename,
                       f.f_lineno))
        f = f.f_back
    frames.reverse()
    assert [(s.filename, s.lineno) for s in summary] == \
        [(fr[1], fr[2]) for fr in frames], (summary, frames)
    code = probe_me.__code__
    frames.append((code.co_qualname, code.co_filename, code.co_firstlineno))
    out.write(";".join("%s (%s:%d)" % fr for fr in frames) + "\n")


class Walker:
    def method(self, i):
        probe_me(i)

    @staticmethod
    def static(i):
        Walker().method(i)


def recurse(n, i):
    if n == 0:
        return probe_me(i)
    return recurse(n - 1, i)


def gen(i):
    probe_me(i)
    yield i


def outer(i):
    def inner():
        return probe_me(i)
    return inner()


rng = random.Random(42)
paths = [lambda i: recurse(rng.randrange(12), i),
         Walker.static,
         lambda i: list(gen(i)),
         outer,
         lambda i: [probe_me(i) for _ in range(1)]]
for i in range(100):
    paths[i % len(paths)](i)
out.close()
