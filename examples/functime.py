"""functime.py: the target of functime.pytap.  outer() sleeps 30 ms
itself and calls inner() twice, which sleeps 20 ms each time: outer has
about 70 ms inclusive and 30 ms exclusive time, inner 40 ms of both."""
import time


def inner():
    time.sleep(0.02)


def outer():
    time.sleep(0.03)
    inner()
    inner()


if __name__ == "__main__":
    outer()
