"""pytop.py: the target of pytop.pytap.  For about 2.5 seconds it calls
work() three times and tick() once every 10 ms, so pytop shows work()
above tick()."""
import time


def tick():
    pass


def work(n):
    return sum(range(n))


def main():
    deadline = time.monotonic() + 2.5
    while time.monotonic() < deadline:
        tick()
        for _ in range(3):
            work(10)
        time.sleep(0.01)


if __name__ == "__main__":
    main()
