"""latency.py: the target of latency.pytap.  fast() runs 200 times and
returns at once; slow() runs 5 times and sleeps 20 ms each time."""
import time


def fast(x):
    return x + 1


def slow():
    time.sleep(0.02)


def main():
    for i in range(200):
        fast(i)
    for _ in range(5):
        slow()


if __name__ == "__main__":
    main()
