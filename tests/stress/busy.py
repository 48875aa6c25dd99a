# busy.py STOPFILE [OUTFILE] - the target of tests/stress/kill.sh: three threads call
# f() as fast as they can and check every result against plain arithmetic
# (a byte of pytap left where it should not be, or a register it forgot,
# shows as a wrong sum or a dead process); the main thread waits for
# STOPFILE, then says whether every round was right (on stdout, or in
# OUTFILE: with -c its stdout would be pytap's).
import os, sys, threading, time

if len(sys.argv) > 2:
    sys.stdout = open(sys.argv[2], "w")

def f(k):
    return k + 1

stop = threading.Event()
bad = [0, 0, 0]
rounds = [0, 0, 0]

def work(i):
    while not stop.is_set():
        s = 0
        for k in range(100):
            s += f(k)
        if s != 5050:
            bad[i] += 1
        rounds[i] += 1

print("pid", os.getpid(), flush=True)
def forker(i):
    # with FORKS=1: a fork storm beside the others; a child that dies of
    # an int3 pytap left in its copy, or computes wrong, counts as bad
    while not stop.is_set():
        pid = os.fork()
        if pid == 0:
            s = 0
            for k in range(100):
                s += f(k)
            os._exit(0 if s == 5050 else 1)
        _, st = os.waitpid(pid, 0)
        if st != 0:
            bad[i] += 1
            print("a child ended with status %#x" % st, file=sys.stderr,
                  flush=True)
        rounds[i] += 1

forks = os.environ.get("FORKS") == "1"
if forks:
    bad.append(0)
    rounds.append(0)
ts = [threading.Thread(target=work, args=(i,)) for i in range(3)]
if forks:
    ts.append(threading.Thread(target=forker, args=(3,)))
for t in ts:
    t.start()
print("ready", flush=True)
while not os.path.exists(sys.argv[1]):
    time.sleep(0.005)
stop.set()
for t in ts:
    t.join()
print("done: wrong sums %d, every thread ran: %s" % (sum(bad), min(rounds) > 0),
      flush=True)
