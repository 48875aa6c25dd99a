# rankwl.py - functions whose own (exclusive) times differ by large
# factors, all pure Python (cProfile counts C functions apart): heavy()
# about 10x medium()'s total, medium() about 10x light()'s, and light()
# called 5000 times (call-heavy: under breakpoints it looks the slowest).
#   python rankwl.py        runs
#   python rankwl.py REF    runs under cProfile and prints the three
#                           names by their tottime, the largest first
import sys




def heavy():
    s = 0
    for i in range(300000):
        s += i
    return s


def medium():
    s = 0
    for i in range(3000):
        s += i
    return s


def light(i):
    return i


def main():
    for _ in range(10):
        heavy()
    for _ in range(100):
        medium()
    for i in range(5000):
        light(i)


if len(sys.argv) > 1 and sys.argv[1] == "REF":
    import cProfile
    import pstats
    pr = cProfile.Profile()
    pr.enable()
    main()
    pr.disable()
    rows = [(v[2], fn[2]) for fn, v in pstats.Stats(pr).stats.items()
            if fn[2] in ("heavy", "medium", "light")]
    print(" ".join(name for tt, name in sorted(rows, reverse=True)))
else:
    main()
