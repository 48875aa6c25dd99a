# exwl.py - a deterministic program for the examples in both modes
# (tests/probe/agentexamples.test): methods, a generator, exceptions
# caught further up, two slow calls (60 ms).  Call counts differ per
# function (sorted outputs have no ties).
#   python exwl.py [linger]   linger: then sleep 2.2 s (pytop's screens)
import sys
import time


class Store:
    def get(self, k):
        return lookup(k)


def lookup(k):
    return k * 2


def slow(n):
    time.sleep(0.06)
    return n


def gen(n):
    for i in range(n):
        yield lookup(i)


def fail():
    raise KeyError("x")


def guarded():
    try:
        fail()
    except KeyError:
        return lookup(1)


def main():
    s = Store()
    for i in range(300):
        s.get(i)
    total = sum(gen(100))
    for _ in range(40):
        guarded()
    for _ in range(5):
        try:
            fail()
        except KeyError:
            pass
    slow(1)
    slow(2)
    return total


main()
if len(sys.argv) > 1 and sys.argv[1] == "linger":
    time.sleep(2.2)
