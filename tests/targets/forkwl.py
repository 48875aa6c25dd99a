# forkwl.py - os.fork() under the agent (tests/probe/agentmodes.test): the
# parent calls f() 10 times, forks; the child calls g() 5 times and reports
# the hooks it sees itself (3.11: sys.getprofile(); 3.12+: the
# sys.monitoring tool names); the parent waits, calls f() 3 more times.
#   python forkwl.py [follow]   follow: the child first waits (at most
#   20 s) until it sees a hook of its own, pytap's new agent (the
#   parent's hooks go at the child's first Python event), so that all
#   its calls of g() come after it
import os
import sys
import time


def f():
    pass


def g():
    pass


def hooks():
    if sys.version_info >= (3, 12):
        return [sys.monitoring.get_tool(i) for i in range(6)]
    return sys.getprofile()


for _ in range(10):
    f()
pid = os.fork()
if pid == 0:
    if len(sys.argv) > 1 and sys.argv[1] == "follow":
        hooks()     # the parent's hooks go at this first event
        deadline = time.monotonic() + 20
        while hooks() in (None, [None] * 6) and time.monotonic() < deadline:
            time.sleep(0.001)
    for _ in range(5):
        g()
    print("child hooks:", hooks(), flush=True)
    os._exit(0)
os.waitpid(pid, 0)
for _ in range(3):
    f()
print("parent done", flush=True)
