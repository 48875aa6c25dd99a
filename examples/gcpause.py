"""gcpause.py: the target of gcpause.pytap.  With automatic collection
off, it makes reference cycles and collects them itself, printing what
each gc.collect() returned (gcpause.pytap shows the same numbers), then
leaves with os._exit so that no collection at shutdown follows."""
import gc
import os
import sys


class Node:
    def __init__(self):
        self.peer = None


def make_cycles(n):
    for _ in range(n):
        a, b = Node(), Node()
        a.peer, b.peer = b, a


def main():
    gc.disable()
    gc.collect()
    for generation, cycles in ((0, 10), (1, 100), (2, 1000)):
        make_cycles(cycles)
        print("gc.collect(%d) = %d" % (generation, gc.collect(generation)))
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
