# bench/agent.py - the agent's cost on a real pure-Python workload: the AST
# round trip (ast.unparse(ast.parse(source))) of a large stdlib module,
# untraced vs with libpytap-agent.so recording every function entry and
# return into its ring while tests/agent/ring_reader (pytap's stand-in, a
# separate process) consumes and counts them.  Runs alternate (untraced,
# traced, ...); each run is timed in CPU time of this thread
# (time.thread_time: time spent descheduled does not count) and the best
# of each kind are compared (other load on the machine only adds time).  ctypes loads the agent here
# only because this is a benchmark harness: pytap injects it instead.
#
# usage: PYTHON bench/agent.py AGENT.so RING_READER [RUNS] [EVENTS]
#   EVENTS: 3 entries and returns (default), 2 returns only
import ast
import ctypes
import os
import statistics
import subprocess
import sys
import time

agent, reader = sys.argv[1], sys.argv[2]
runs = int(sys.argv[3]) if len(sys.argv) > 3 else 7
events = int(sys.argv[4]) if len(sys.argv) > 4 else 3
lib = ctypes.PyDLL(agent)
start = lib.pytap_agent_start
start.argtypes = [ctypes.c_uint64, ctypes.c_uint32, ctypes.c_uint32,
                  ctypes.c_uint32, ctypes.c_uint32]
stop = lib.pytap_agent_stop

import typing  # noqa: E402  a large pure-Python module of every version here
with open(typing.__file__) as f:
    source = f.read()


def work():
    ast.unparse(ast.parse(source))


def count_returns():
    n = [0]

    def prof(frame, event, arg):
        if event == "return":
            n[0] += 1
    sys.setprofile(prof)
    work()
    sys.setprofile(None)
    return n[0]


work()  # warm up
plain, traced, summaries = [], [], []
for i in range(runs):
    t0 = time.thread_time()
    work()
    plain.append(time.thread_time() - t0)
    r = subprocess.Popen([reader, str(os.getpid()), "-q"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    fd = start(int(os.environ.get("BENCH_RING", 1 << 24)), r.pid, events, 0, 0)
    if fd < 0:
        sys.exit("pytap_agent_start: %d" % fd)
    r.stdin.write("%d\n" % fd)
    r.stdin.flush()
    r.stdout.readline()  # "mapped"
    t0 = time.thread_time()
    work()
    traced.append(time.thread_time() - t0)
    stop()
    r.stdin.close()
    summaries.append(r.stdout.read().strip())
    r.wait()
p, t = min(plain), min(traced)   # best of: other load only adds
fields = dict(w.split("=", 1) for w in summaries[-1].split() if "=" in w)
nret = count_returns()
print("python%d.%d: %s, %d returns per run: untraced %.3f s, agent %.3f s: %.2fx"
      " (%.0f ns per event; last run: %s events, %s dropped, clock %s)"
      % (sys.version_info[0], sys.version_info[1], os.path.basename(typing.__file__),
         nret, p, t, t / p, (t - p) / max(1, int(fields.get("events", 1))) * 1e9,
         fields.get("events"), fields.get("dropped"), fields.get("clock")))
