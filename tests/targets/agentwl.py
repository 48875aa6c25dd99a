# agentwl.py - the in-process agent's test workload (tests/probe/agent.test).
#
#   agentwl.py count [REF]   plain, recursive, raising functions and a
#       generator, 50 rounds; with REF the interpreter's own profile hook
#       counts each function's calls and returns and prints them sorted.
#   agentwl.py serve DIR     4 threads call work() until DIR/stop exists;
#       writes DIR/ready once all run, then each thread checks from inside
#       that no profile, trace or monitoring hook is left in it within a
#       second; prints "hooks: none" (or what it found).
#   agentwl.py sleeper DIR   calls nap() (sleeps 20 ms) 10 times after
#       DIR/go exists.
import os, sys, threading, time

def plain(n):
    return n + 1

def rec(n):
    return rec(n - 1) if n else 0

def boom(n):
    raise ValueError(n)

def gen(n):
    for i in range(n):
        yield i

def count_round():
    for i in range(50):
        plain(i)
        rec(4)
        try:
            boom(i)
        except ValueError:
            pass
        sum(gen(3))

NAMES = ("plain", "rec", "boom", "gen")

def count(ref):
    counts = {}
    def prof(frame, event, arg):
        name = frame.f_code.co_name
        if event in ("call", "return") and name in NAMES:
            counts[name, event] = counts.get((name, event), 0) + 1
    if ref:
        sys.setprofile(prof)
    count_round()
    sys.setprofile(None)
    for k in sorted(counts):
        print(k[0], k[1], counts[k])

def hooks_left():
    found = []
    if sys.getprofile() is not None:
        found.append("profile")
    if sys.gettrace() is not None:
        found.append("trace")
    mon = getattr(sys, "monitoring", None)
    if mon is not None:
        for tool in range(6):
            if mon.get_tool(tool) is not None:
                found.append("monitoring tool %d" % tool)
    return found

def work(i):
    return i * 2

def serve(d):
    total = [0] * 4
    left = {}
    started = threading.Barrier(5)
    def loop(k):
        started.wait()
        while not os.path.exists(os.path.join(d, "stop")):
            total[k] += work(k)
            time.sleep(0.0005)
        # the hooks must be gone within a second of the stop file (pytap
        # ended, or was killed just before it was made)
        until = time.monotonic() + 1.0
        while hooks_left() and time.monotonic() < until:
            work(k)
            time.sleep(0.01)
        left[k] = hooks_left()
    ts = [threading.Thread(target=loop, args=(k,), name="w%d" % k) for k in range(4)]
    for t in ts:
        t.start()
    started.wait()
    open(os.path.join(d, "ready"), "w").write("ready\n")
    for t in ts:
        t.join()
    found = sorted(set(sum(left.values(), []) + hooks_left()))
    print("hooks:", ", ".join(found) if found else "none")
    print("threads:", len(left))

def nap():
    time.sleep(0.02)

def sleeper(d):
    while not os.path.exists(os.path.join(d, "go")):
        time.sleep(0.01)
    for _ in range(10):
        nap()
    print("slept")

if __name__ == "__main__":
    what = sys.argv[1]
    if what == "count":
        count(len(sys.argv) > 2)
    elif what == "serve":
        serve(sys.argv[2])
    elif what == "sleeper":
        sleeper(sys.argv[2])
