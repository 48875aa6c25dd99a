"""slowcalls.py: the target of slowcalls.pytap.  quick() runs 50 times;
lookup() sleeps 80 ms on its 2nd and 4th call, so with a 50 ms threshold
the slow ones are those two lookups, then main and the module."""
import time


def quick(x):
    return x * 2


def lookup(key):
    if key in (2, 4):
        time.sleep(0.08)
    return key


def main():
    for i in range(50):
        quick(i)
    for key in range(1, 6):
        lookup(key)


if __name__ == "__main__":
    main()
