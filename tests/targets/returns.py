"""returns.py: a workload whose Python function returns are counted twice,
by pytap's python.function.return probe and by sys.setprofile, to check
that pytap sees every return (normal ones and exception unwinds).

    returns.py [--profile] [ROUNDS]

With --profile it prints the number of returns of functions defined in
this file, as seen by sys.setprofile.
"""
import sys


class Node:
    def __init__(self, value):
        self.value = value

    def double(self):
        return self.value * 2


def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


def fails(n):
    raise ValueError(n)


def catcher(n):
    try:
        fails(n)
    except ValueError:
        return -1


def work(rounds):
    total = 0
    for i in range(rounds):
        total += fib(8) + Node(i).double() + catcher(i)
    return total


def main():
    args = [a for a in sys.argv[1:] if a != "--profile"]
    rounds = int(args[0]) if args else 20
    count = 0

    def prof(frame, event, arg):
        nonlocal count
        if event == "return" and frame.f_code.co_filename == __file__:
            count += 1

    if "--profile" in sys.argv:
        sys.setprofile(prof)
    work(rounds)
    sys.setprofile(None)
    if "--profile" in sys.argv:
        print(count)


if __name__ == "__main__":
    main()
