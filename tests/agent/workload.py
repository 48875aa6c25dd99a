# workload.py - the functions whose calls tests/agent/agent_test.py counts
# twice: with the interpreter's own profile hook (sys.setprofile and
# threading.setprofile) and with libpytap-agent.so.  Deterministic: the
# same calls in every run, whatever the thread interleaving.
import threading


def plain(x):
    return x + 1


def recurse(n):
    if n == 0:
        return 0
    return 1 + recurse(n - 1)


class Boom(Exception):
    pass


def raiser(n):
    if n % 3 == 0:
        raise Boom(n)
    return n


def catcher(n):
    try:
        return raiser(n)
    except Boom:
        return -1


def deep_raise(n):
    if n == 0:
        raise ValueError("bottom")
    return deep_raise(n - 1)


def gen(n):
    for i in range(n):
        yield i
    return n


def gen_consumer(n):
    total = 0
    for v in gen(n):
        total += v
    g = gen(5)
    next(g)
    try:
        g.throw(Boom("thrown"))
    except Boom:
        total += 1
    g2 = gen(3)
    next(g2)
    g2.close()
    return total


async def coro(n):
    return n * 2


def run_coro(n):
    c = coro(n)
    try:
        c.send(None)
    except StopIteration as e:
        return e.value


class K:
    def method(self, v):
        return plain(v) * 2

    @staticmethod
    def static(v):
        return v

    def __repr__(self):  # never called by the agent
        raise RuntimeError("repr called")


def worker(k, n):
    for i in range(n):
        k.method(i)
        catcher(i)
        recurse(i % 7)


def main(nthreads=3, n=200):
    k = K()
    lam = lambda v: v + 1  # noqa: E731
    for i in range(n):
        plain(i)
        lam(i)
        K.static(i)
        catcher(i)
        try:
            deep_raise(i % 5)
        except ValueError:
            pass
    recurse(50)
    gen_consumer(10)
    run_coro(3)
    ts = [threading.Thread(target=worker, args=(k, n)) for _ in range(nthreads)]
    for t in ts:
        t.start()
    worker(k, n // 2)
    for t in ts:
        t.join()
    return sum(x for x in [1, 2, 3])  # a generator expression too
