# agent_test.py - drives libpytap-agent.so inside this (test-only) Python
# process, as pytap would from outside: ctypes.PyDLL calls the exported
# entry points with the GIL held (a C call from Python is a safe point, as
# pytap's ptrace hijack at an SDT marker or at _PyEval_EvalFrameDefault is),
# and tests/agent/ring_reader, a separate process, maps the ring through
# /proc/PID/fd/N and consumes it as pytap does.  ctypes is for the test
# only: the product never runs Python code in the target.
#
# usage: PYTHON agent_test.py AGENT.so RING_READER MODE
#   counts   per-function entry/return counts from the agent's ring equal
#            those of the interpreter's own profile hook (sys.setprofile +
#            threading.setprofile) on workload.py; no hook left after stop
#   restart  start/stop three times; every session's counts are exact
#   died     the reader (pytap's stand-in, whose pid the agent watches) is
#            SIGKILLed five times while threads run Python: each time,
#            within a second, no hook is left in any thread and the
#            watchdog thread is gone
#   pending  the same while the only thread calls no Python function,
#            only time.sleep: the agent's pending call removes the hooks
#   exit     the target exits with the agent running: the ring says
#            EXITED and every record is in it
#   full     a 64 KiB ring nobody reads while the workload runs: records
#            are dropped and counted, the workload is not slowed down to a
#            stop, and the next session is exact again
#   fork     a child forked during a session: no hook after its first call
#            and it writes nothing into the parent's ring (parent exact)
#   errors   every refusal returns its code and changes nothing
#   values   PYTAP_OPT_VALUES: the arguments, return values and exceptions
#            the agent encodes decode to what the objects are (values_wl.py;
#            the interpreter's own profile hook gives the objects), within
#            the limits, and no __repr__ runs
import ctypes
import dis
import errno
import os
import subprocess
import sys
import threading
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
import workload  # noqa: E402

AGENT, READER, MODE = sys.argv[1], sys.argv[2], sys.argv[3]
lib = ctypes.PyDLL(AGENT)
start_fn = lib.pytap_agent_start
start_fn.argtypes = [ctypes.c_uint64, ctypes.c_uint32, ctypes.c_uint32,
                     ctypes.c_uint32, ctypes.c_uint32]
start_fn.restype = ctypes.c_int
stop_fn = lib.pytap_agent_stop
stop_fn.argtypes = []
stop_fn.restype = ctypes.c_int


class Status(ctypes.Structure):
    _fields_ = [("abi_version", ctypes.c_uint32), ("last_error", ctypes.c_int32),
                ("detail", ctypes.c_int64), ("py_version", ctypes.c_uint32),
                ("state", ctypes.c_uint32), ("tool_id", ctypes.c_uint32),
                ("sessions", ctypes.c_uint32), ("symbol", ctypes.c_char * 64)]


status = Status.in_dll(lib, "pytap_agent_status")
PY311 = sys.version_info < (3, 12)
WL = workload.__file__
failures = 0


def fail(msg):
    global failures
    failures += 1
    print("FAIL:", msg)


def key(code):
    return "%s:%d:%s" % (code.co_filename, code.co_firstlineno, code.co_qualname)


YIELD = dis.opmap["YIELD_VALUE"]
RESUME = dis.opmap["RESUME"]


def is_yield_at(code, lasti):
    # 3.11/3.12: f_lasti is the YIELD_VALUE; 3.13: the RESUME after it
    return code[lasti] == YIELD or (code[lasti] == RESUME and lasti >= 2 and code[lasti - 2] == YIELD)


def reference(fn, *args):
    """Per-function entry and return counts of the interpreter's own
    profile hook, then (second run, sys.settrace) how many of the returns
    were yields and how many were left by an exception: a 'return' right
    after an 'exception' event in the same frame (no 'line' between) is an
    unwind; any other 'return' at a YIELD_VALUE is a yield."""
    counts = {}

    frames = set()  # frames seen: a second call event is a resume

    def prof(frame, event, arg):
        if event in ("call", "return") and frame.f_code.co_filename == WL:
            c = counts.setdefault(key(frame.f_code), [0, 0, 0, 0, 0])
            c[event == "return"] += 1
            if event == "call" and frame.f_code.co_flags & 0x2a0:
                if frame in frames:
                    c[4] += 1
                frames.add(frame)
    threading.setprofile(prof)
    sys.setprofile(prof)
    fn(*args)
    sys.setprofile(None)
    threading.setprofile(None)

    raised = {}

    def local(frame, event, arg):
        if event == "exception":
            raised[id(frame)] = True
        elif event == "line":
            raised[id(frame)] = False
        elif event == "return":
            c = counts[key(frame.f_code)]
            if raised.get(id(frame)):
                c[3] += 1
            elif is_yield_at(frame.f_code.co_code, frame.f_lasti):
                c[2] += 1
            raised[id(frame)] = False
        return local

    def trace(frame, event, arg):
        if event == "call" and frame.f_code.co_filename == WL:
            raised[id(frame)] = False
            return local
        return None
    threading.settrace(trace)
    sys.settrace(trace)
    fn(*args)
    sys.settrace(None)
    threading.settrace(None)
    return "".join("%s entries=%d returns=%d yields=%d exc=%d resumes=%d\n" % (k, *v)
                   for k, v in sorted(counts.items()))


def hooks_left():
    """What this thread can see of any hook: '' when none."""
    left = []
    if sys.getprofile() is not None:
        left.append("profile %r" % (sys.getprofile(),))
    if sys.gettrace() is not None:
        left.append("trace %r" % (sys.gettrace(),))
    if not PY311:
        for i in range(6):
            if sys.monitoring.get_tool(i) is not None:
                left.append("tool %d %s" % (i, sys.monitoring.get_tool(i)))
    return ", ".join(left)


class Session:
    def __init__(self, size=1 << 22, opts=(), events=3, watch=True, options=0, suffix=None):
        self.out = "counts.%d.%d" % (os.getpid(), time.monotonic_ns())
        self.reader = subprocess.Popen(
            [READER, str(os.getpid()), "-o", self.out, "-f", suffix or WL] + list(opts),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.fd = start_fn(size, self.reader.pid if watch else 0, events, options, 0)
        self.reader.stdin.write("%d\n" % self.fd)
        self.reader.stdin.flush()
        if self.fd >= 0 and self.reader.stdout.readline() != "mapped\n":
            fail("the reader did not map the ring")

    def stop(self):
        rc = stop_fn()
        self.reader.stdin.close()
        self.summary = self.reader.stdout.read()
        self.rc = self.reader.wait()
        try:
            with open(self.out) as f:
                self.counts = f.read()
            os.unlink(self.out)
        except FileNotFoundError:
            self.counts = None
        return rc

    def field(self, name):
        for w in self.summary.split():
            if w.startswith(name + "="):
                return w.split("=", 1)[1]
        return None


def check_session(s, ref, what):
    if s.fd < 0:
        fail("%s: start returned %d (detail %d)" % (what, s.fd, status.detail))
        return
    rc = s.stop()
    if rc != 0:
        fail("%s: stop returned %d" % (what, rc))
    if s.rc != 0:
        fail("%s: reader exit %d: %s" % (what, s.rc, s.summary.strip()))
    if s.field("dropped") != "0":
        fail("%s: dropped records: %s" % (what, s.summary.strip()))
    if s.counts != ref:
        fail("%s: counts differ from the profile hook's" % what)
        import difflib
        sys.stdout.writelines(difflib.unified_diff(
            ref.splitlines(True), (s.counts or "").splitlines(True), "profile", "agent"))
    left = hooks_left()
    if left:
        fail("%s: hooks left after stop: %s" % (what, left))


def mode_counts():
    ref = reference(workload.main)
    s = Session()
    workload.main()
    check_session(s, ref, "counts")
    n = len(ref.splitlines())
    if n < 14:
        fail("too few functions in the reference (%d)" % n)
    if not failures:
        print("counts: equal to the profile hook's for %d functions" % n)


def mode_restart():
    ref = reference(workload.main, 2, 50)
    for i in range(3):
        s = Session()
        workload.main(2, 50)
        check_session(s, ref, "session %d" % (i + 1))
    if status.sessions != 3:
        fail("sessions = %d" % status.sessions)
    if not failures:
        print("restart: 3 sessions, each equal to the profile hook's")


def tasks():
    """The agent's watchdog threads (named pytap-agent) of this process."""
    n = 0
    for t in os.listdir("/proc/self/task"):
        try:
            with open("/proc/self/task/%s/comm" % t) as f:
                n += f.read().strip() == "pytap-agent"
        except (FileNotFoundError, ProcessLookupError):
            pass
    return n


def quiet_session():
    """A session with -q, or None (failed) when the agent refused."""
    s = Session(opts=["-q"])
    if s.fd < 0:
        fail("start returned %d" % s.fd)
        return None
    return s


def mode_died():
    for rnd in range(5):
        s = quiet_session()
        if s is None:
            return
        tool = status.tool_id
        stop_evt = threading.Event()
        verdicts = {}

        def spin(name):
            # call Python functions until the hook of this thread is gone
            t0 = None
            while not stop_evt.is_set():
                workload.plain(1)
                if killed_at[0] is not None:
                    t0 = killed_at[0]
                    break
            while True:
                workload.plain(1)
                if not hooks_left():
                    verdicts[name] = time.monotonic() - t0
                    return
                if time.monotonic() - t0 > 1.0:
                    verdicts[name] = None
                    return

        killed_at = [None]
        ths = [threading.Thread(target=spin, args=("t%d" % i,)) for i in range(2)]
        for t in ths:
            t.start()
        if tasks() != 1:
            fail("round %d: %d watchdog threads, expected 1" % (rnd, tasks()))
        s.reader.kill()
        killed_at[0] = time.monotonic()
        s.reader.wait()
        # the main thread calls no Python function: only the agent's
        # pending call (3.12+) or its hook's next C call (3.11) can act
        t0 = killed_at[0]
        while hooks_left() and time.monotonic() - t0 < 1.0:
            pass
        verdicts["main"] = time.monotonic() - t0 if not hooks_left() else None
        for t in ths:
            t.join()
        bad = [k for k, v in sorted(verdicts.items()) if v is None or v > 1.0]
        if bad:
            fail("round %d: hooks still there after 1 s in %s" % (rnd, bad))
        if status.state != 3:
            fail("round %d: agent state %d, expected 3 (dead)" % (rnd, status.state))
        if tasks() != 0:
            fail("round %d: the watchdog thread is still there" % rnd)
        if not PY311 and sys.monitoring.get_tool(tool) is not None:
            fail("round %d: tool %d still in use" % (rnd, tool))
        s.reader.stdin.close()
    if not failures:
        print("died: 5 of 5 rounds, no hook left within 1 s, no thread left")


def mode_pending():
    # pytap dies while the only thread runs Python that calls no Python
    # function, only a built-in that releases the GIL (time.sleep): on 3.12
    # and 3.13 no hook of the agent runs there (only PY_* events are on),
    # so its pending call must do the work (3.13: at the next eval-breaker
    # check; 3.12: when the main thread takes the GIL back); on 3.11 the
    # profile hook also sees the C call and may get there first.
    for rnd in range(5):
        s = quiet_session()
        if s is None:
            return
        t0 = time.monotonic()
        os.kill(s.reader.pid, 9)
        i = 0
        while status.state == 1 and i < 2000:
            time.sleep(0.001)
            i += 1
        elapsed = time.monotonic() - t0
        if status.state != 3 or elapsed > 1.0:
            fail("round %d: state %d after %.3f s" % (rnd, status.state, elapsed))
        if hooks_left():
            fail("round %d: hooks left: %s" % (rnd, hooks_left()))
        if tasks() != 0:
            fail("round %d: the watchdog thread is still there" % rnd)
        s.reader.wait()
        s.reader.stdin.close()
    if not failures:
        print("pending: 5 of 5 rounds, hooks removed within 1 s without a function call")


CHILD = r"""
import ctypes, sys
sys.path.insert(0, %r)
import workload
lib = ctypes.PyDLL(sys.argv[1])
lib.pytap_agent_start.argtypes = [ctypes.c_uint64] + [ctypes.c_uint32] * 4
print(lib.pytap_agent_start(1 << 22, 0, 3, 0, 0), flush=True)
sys.stdin.readline()
workload.main(1, 20)
"""


def mode_exit():
    # the target exits while the agent runs: the ring says EXITED and
    # holds every record
    ref = reference(workload.main, 1, 20)
    # AGENT_TEST_CHILD: the interpreter command (pyembed for libpython)
    child = subprocess.Popen([os.environ.get("AGENT_TEST_CHILD", sys.executable),
                              "-c", CHILD % here, AGENT],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    fd = child.stdout.readline()
    out = "counts.exit.%d" % os.getpid()
    reader = subprocess.Popen([READER, str(child.pid), "-o", out, "-f", WL],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    reader.stdin.write(fd)
    reader.stdin.flush()
    if reader.stdout.readline() != "mapped\n":
        fail("exit: the reader did not map the ring")
    child.stdin.write("go\n")
    child.stdin.flush()
    if child.wait() != 0:
        fail("exit: the target exited with %d" % child.returncode)
    summary = reader.stdout.read()
    if reader.wait() != 0 or " state=4 " not in summary or " dropped=0 " not in summary:
        fail("exit: reader: %s" % summary.strip())
    with open(out) as f:
        got = f.read()
    os.unlink(out)
    if got != ref:
        fail("exit: counts differ from the profile hook's")
    if not failures:
        print("exit: the ring says EXITED and holds every record")


def mode_full():
    s = Session(size=64 * 1024, opts=["-W"])
    t0 = time.monotonic()
    for _ in range(5):
        workload.main(1, 300)
    rc = s.stop()
    if rc != 0 or s.rc != 0:
        fail("full: stop %d, reader %d: %s" % (rc, s.rc, s.summary.strip()))
    dropped = int(s.field("dropped") or 0)
    lost = int(s.field("lost") or 0)
    events = int(s.field("events") or 0)
    # (LOST records come only when a record fits again: none here, as
    # nothing is read before the stop; the reader checks lost <= dropped)
    if dropped == 0 or events == 0 or events > 64 * 1024 // 32 or lost > dropped:
        fail("full: expected drops: %s" % s.summary.strip())
    if s.field("problems") != "0":
        fail("full: %s" % s.summary.strip())
    if hooks_left():
        fail("full: hooks left: %s" % hooks_left())
    ref = reference(workload.main, 1, 30)
    s = Session()
    workload.main(1, 30)
    check_session(s, ref, "after full")
    if not failures:
        print("full: records dropped and counted, the target went on, next session exact")


def mode_fork():
    ref = reference(workload.main, 1, 40)
    s = Session()
    r, w = os.pipe()
    import warnings
    # 3.12+ warns that fork() in a multi-threaded process (the agent's
    # watchdog is a thread) may deadlock the child
    warnings.simplefilter("ignore", DeprecationWarning)
    pid = os.fork()
    if pid == 0:
        os.close(r)
        workload.plain(1)
        left = hooks_left()
        for i in range(1000):
            workload.catcher(i)
        os.write(w, (left or "none").encode())
        os._exit(0)
    os.close(w)
    workload.main(1, 40)
    child = os.read(r, 1000).decode()
    os.waitpid(pid, 0)
    # the parent's count of plain/catcher must not include the child's
    check_session(s, ref, "fork parent")
    if child != "none":
        fail("fork: the child still has hooks after its first call: %s" % child)
    if not failures:
        print("fork: child hook-free after its first call, parent exact")


# --- values: the encoding of ring.h, read back -------------------------------
DEPTH, ITEMS, MAXSTR = 3, 32, 256
CONTAINERS = {tuple: 9, list: 10, set: 11, frozenset: 12, dict: 13}


def tname(t):
    return t.__qualname__ if t.__module__ == "builtins" else "%s.%s" % (t.__module__, t.__qualname__)


def expected(o, path=()):
    """What the encoding of o decodes to, computed from o itself."""
    t = type(o)
    if o is None or o is True or o is False or o is Ellipsis:
        return o
    if t is int:
        if -2**63 <= o < 2**63:
            return o
        try:
            s = repr(o)
        except ValueError:
            return ("other", id(o), "int")
        return ("bigint", len(s), s[:MAXSTR])
    if t is float:
        return ("float", o.hex() if o == o else "nan")
    if t is str:
        q = repr(o[:1 << 20])[0]
        body, sent = b"", 0
        for ch in o:
            esc = ("\\" + q if ch == q else repr(ch)[1:-1]).encode("utf-8", "surrogatepass")
            if len(body) + len(esc) > MAXSTR:
                break
            body += esc
            sent += 1
        return ("str", q, len(o), sent, body)
    if t is bytes:
        return ("bytes", repr(o)[1], len(o), o[:MAXSTR])
    if t in CONTAINERS:
        tag = CONTAINERS[t]
        if any(o is p for p in path):
            return ("recurse", tag)
        if len(path) >= DEPTH:
            return ("depth", tag)
        items = list(o.items()) if t is dict else list(o)
        sent = items[:ITEMS]
        if t is dict:
            kids = [(expected(k, path + (o,)), expected(v, path + (o,))) for k, v in sent]
        else:
            kids = [expected(k, path + (o,)) for k in sent]
        return ("container", tag, len(items), kids)
    return ("other", id(o), tname(t))


class Decoder:
    def __init__(self, data):
        self.d, self.i = data, 0

    def take(self, n):
        b = self.d[self.i:self.i + n]
        self.i += n
        return b

    def u(self, fmt):
        import struct
        n = struct.calcsize(fmt)
        return struct.unpack("<" + fmt, self.take(n))[0]

    def value(self):
        tag = self.u("B")
        if tag in (0, 1, 2, 3):
            return [None, False, True, Ellipsis][tag]
        if tag == 4:
            return self.u("q")
        if tag == 5:
            full, n = self.u("I"), self.u("I")
            return ("bigint", full, self.take(n).decode())
        if tag == 7:
            q, full, sent, n = chr(self.u("B")), self.u("I"), self.u("I"), self.u("I")
            return ("str", q, full, sent, self.take(n))
        if tag == 8:
            q, full, n = chr(self.u("B")), self.u("I"), self.u("I")
            return ("bytes", q, full, self.take(n))
        if tag == 6:
            f = self.u("d")
            return ("float", f.hex() if f == f else "nan")
        if tag in (9, 10, 11, 12, 13):
            total, n = self.u("I"), self.u("I")
            if tag == 13:
                kids = [(self.value(), self.value()) for _ in range(n)]
            else:
                kids = [self.value() for _ in range(n)]
            return ("container", tag, total, kids)
        if tag == 14:
            addr, n = self.u("Q"), self.u("H")
            return ("other", addr, self.take(n).decode())
        if tag == 15:
            addr, n = self.u("Q"), self.u("H")
            return ("exception", addr, self.take(n).decode(), self.value())
        if tag == 16:
            return ("depth", self.u("B"))
        if tag == 17:
            return ("recurse", self.u("B"))
        raise ValueError("tag %d at %d" % (tag, self.i - 1))


def mode_values():
    import values_wl
    wl = values_wl.__file__
    # what the interpreter's own profile hook sees, in order
    seen = []
    frames = []     # generator frames seen (kept alive: identity is the key)

    def prof(frame, event, arg):
        if event in ("call", "return") and frame.f_code.co_filename == wl:
            name = frame.f_code.co_qualname
            if event == "call":
                if any(frame is f for f in frames):
                    return      # a generator goes on: no VALUE record
                frames.append(frame)
                co = frame.f_code
                n = co.co_argcount + co.co_kwonlyargcount + bool(co.co_flags & 4) + bool(co.co_flags & 8)
                names = list(co.co_varnames[:n])
                if co.co_flags & 4 and co.co_kwonlyargcount:    # signature order
                    a = co.co_argcount
                    names.insert(a, names.pop(a + co.co_kwonlyargcount))
                seen.append((name, "ENTRY", [frame.f_locals[v] for v in names]))
            else:
                seen.append((name, "RETURN", [arg]))
    sys.setprofile(prof)
    values_wl.main()
    sys.setprofile(None)
    vout = "values.%d" % os.getpid()
    s = Session(opts=["-v", vout, "-q"] + [], options=0x2 | (DEPTH << 8) | (5 << 12) | (MAXSTR << 16),
                suffix=wl)
    values_wl.main()
    s.stop()
    if s.rc != 0:
        fail("values: reader: %s" % s.summary.strip())
    with open(vout) as f:
        lines = f.read().splitlines()
    os.unlink(vout)
    got = []
    for ln in lines:
        key_, kind, evflags, vflags, count, hexd = ln.split(" ")
        d = Decoder(bytes.fromhex(hexd))
        vals = [d.value() for _ in range(int(count))]
        if d.i != len(d.d):
            fail("values: %d bytes left after %s" % (len(d.d) - d.i, key_))
        got.append((key_.rsplit(":", 1)[1], kind, int(vflags), vals))
    exc_ret = 0
    if len(got) != len(seen):
        fail("values: %d VALUE records, the profile hook saw %d events" % (len(got), len(seen)))
    for (name, kind, objs), (gname, gkind, vflags, vals) in zip(seen, got):
        if (name, kind) != (gname, gkind):
            fail("values: event %s %s, agent %s %s" % (name, kind, gname, gkind))
            break
        if name == "raiser" and kind == "RETURN":
            exc_ret += 1
            e = values_wl.raised[-1]
            want = [("exception", id(e), "ValueError", expected(e.args))]
            if vals != want or vflags != 1:
                fail("values: raiser's unwind: %r (flags %d), expected %r" % (vals, vflags, want))
            continue
        want = [expected(o) for o in objs]
        if vals != want:
            fail("values: %s %s: agent %r, expected %r" % (name, kind, vals, want))
    if values_wl.Tricky.reprs:
        fail("values: Tricky.__repr__ called %d times" % values_wl.Tricky.reprs)
    if not failures:
        print("values: %d VALUE records equal to the objects themselves, no __repr__ called" % len(got))


def expect(what, rc, code, detail=None, hooks=False):
    if rc != code or (detail is not None and status.detail != detail):
        fail("%s: got %d (detail %d), expected %d%s" % (
            what, rc, status.detail, code, "" if detail is None else " (detail %d)" % detail))
    if not hooks and hooks_left():
        fail("%s: hooks left: %s" % (what, hooks_left()))


def mode_errors():
    expect("stop before start", stop_fn(), -14)
    expect("size not a power of two", start_fn(100000, 0, 3, 0, 0), -8)
    expect("size too small", start_fn(4096, 0, 3, 0, 0), -8)
    expect("no events", start_fn(1 << 16, 0, 0, 0, 0), -8)
    expect("unknown option", start_fn(1 << 16, 0, 3, 0x80, 0), -8)
    p = subprocess.Popen(["true"])
    p.wait()
    expect("pytap pid gone", start_fn(1 << 16, p.pid, 3, 0, 0), -10, errno.ESRCH)
    if PY311:
        sys.setprofile(lambda *a: None)
        rc = start_fn(1 << 16, 0, 3, 0, 0)
        sys.setprofile(None)
        expect("a profiler is installed", rc, -5)
    else:
        taken = [i for i in (2, 3, 4) if sys.monitoring.get_tool(i) is None]
        for i in taken:
            sys.monitoring.use_tool_id(i, "other")
        rc = start_fn(1 << 16, 0, 3, 0, 0)
        for i in taken:
            sys.monitoring.free_tool_id(i)
        if rc != -6:
            fail("tool ids 2-4 taken: got %d, expected -6" % rc)
        mon = sys.monitoring
        saved = mon.set_events
        mon.set_events = lambda *a: None   # Python code the agent must not call
        rc = start_fn(1 << 16, 0, 3, 0, 0)
        mon.set_events = saved
        expect("sys.monitoring.set_events replaced", rc, -7)
    s = Session(watch=False)
    expect("second start", start_fn(1 << 16, 0, 3, 0, 0), -4, hooks=True)
    stop_fn()   # then the session works on
    s.reader.stdin.close()
    s.reader.wait()
    if s.fd < 0 or status.sessions != 1:
        fail("the session after the refusals: fd %d, sessions %d" % (s.fd, status.sessions))
    if not PY311:
        # the program drops sys.monitoring's functions while the agent runs:
        # it holds its own references and still stops cleanly
        s = Session(watch=False)
        tool = status.tool_id
        for name in ("set_events", "register_callback", "free_tool_id"):
            setattr(sys.monitoring, name, None)
        import gc
        gc.collect()
        workload.plain(1)
        rc = stop_fn()
        s.reader.stdin.close()
        s.reader.wait()
        if rc != 0 or sys.monitoring.get_tool(tool) is not None:
            fail("stop after sys.monitoring's functions were dropped: %d, tool %r"
                 % (rc, sys.monitoring.get_tool(tool)))
    if not failures:
        print("errors: every refusal has its code and leaves no hook")


{"counts": mode_counts, "restart": mode_restart, "died": mode_died,
 "pending": mode_pending, "exit": mode_exit, "values": mode_values,
 "full": mode_full, "fork": mode_fork, "errors": mode_errors}[MODE]()
sys.exit(1 if failures else 0)
