# hastrace.py DIR: a program with its own trace function (a debugger
# would have one) calling work() until DIR/stop exists; says at the end
# whether its trace function is still the one it set (tests/probe/values.test).
import os, sys, time
def tracer(frame, event, arg):
    return None
def work():
    return 1
sys.settrace(tracer)
open(sys.argv[1] + "/ready", "w").write("ready\n")
while not os.path.exists(sys.argv[1] + "/stop"):
    work()
    time.sleep(0.001)
print("trace still ours:", sys.gettrace() is tracer)
