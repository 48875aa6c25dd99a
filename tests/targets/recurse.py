# recurse.py SECONDS: a known CPU profile.  main() calls walk(5), a
# recursion six calls deep, whose leaf() spends the time in a Python loop,
# once and then until SECONDS have passed.
import sys
import time


def leaf():
    x = i = 0
    while i < 5000:
        x, i = x + i, i + 1
    return x


def walk(n):
    if n == 0:
        return leaf()
    return walk(n - 1)


def main(seconds):
    end = time.monotonic() + seconds
    walk(5)
    while time.monotonic() < end:
        walk(5)


main(float(sys.argv[1]))
