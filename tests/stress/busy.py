# busy.py STOPFILE - the target of tests/stress/kill.sh: three threads call
# f() as fast as they can and check every result against plain arithmetic
# (a byte of pytap left where it should not be, or a register it forgot,
# shows as a wrong sum or a dead process); the main thread waits for
# STOPFILE, then says whether every round was right.
import os, sys, threading, time

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

ts = [threading.Thread(target=work, args=(i,)) for i in range(3)]
for t in ts:
    t.start()
print("pid", os.getpid(), flush=True)
print("ready", flush=True)
while not os.path.exists(sys.argv[1]):
    time.sleep(0.005)
stop.set()
for t in ts:
    t.join()
print("done: wrong sums %d, every thread ran: %s" % (sum(bad), min(rounds) > 0),
      flush=True)
