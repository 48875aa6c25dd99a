#!/usr/bin/python3.11
"""hello.py: the program traced by pytap's demo (examples/calls.pytap).

f and g call each other, sleeping 0.05 s in f, for ROUNDS rounds (argv[1],
default 5; at most about 400, Python's recursion limit), then it exits
quietly.  Tests refer to the line numbers of f (12) and g (17): keep them.
"""
import sys
import time


def f(n):
    time.sleep(0.05)
    g(n)


def g(n):
    if n > 1:
        f(n - 1)


if __name__ == "__main__":
    f(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
