# forkwl.py - os.fork() under the agent (tests/probe/agentmodes.test): the
# parent calls f() 10 times, forks; the child calls g() 5 times and reports
# the hooks it sees itself (3.11: sys.getprofile(); 3.12+: the
# sys.monitoring tool names); the parent waits, calls f() 3 more times.
import os
import sys


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
    for _ in range(5):
        g()
    print("child hooks:", hooks(), flush=True)
    os._exit(0)
os.waitpid(pid, 0)
for _ in range(3):
    f()
print("parent done", flush=True)
