# workers.py: three threads making nested calls, generator steps and a
# caught exception, for timelines (examples/timeline.pytap).  They all
# exist before any of them starts working.
import threading

ready = threading.Barrier(3)


def inner(n):
    return n * 2


def middle(n):
    return sum(inner(i) for i in range(n))


def failing():
    raise ValueError("no")


def work(k):
    ready.wait()
    for _ in range(5):
        middle(k)
        try:
            failing()
        except ValueError:
            pass


threads = [threading.Thread(target=work, args=(k,), name="worker-%d" % k)
           for k in (3, 4, 5)]
for t in threads:
    t.start()
for t in threads:
    t.join()
