# excs.py - exceptions raised, propagated and caught (tests/probe/
# values.test, python.exception.*).  python excs.py REF prints what the
# interpreter's own hooks see, in the test script's format:
#   raise FUNC:LINE TYPE: MESSAGE      sys.settrace's 'exception' event
#                                      (3.11), sys.monitoring's RAISE (3.12+)
#   handled FUNC:LINE TYPE: MESSAGE    3.12+: EXCEPTION_HANDLED, at the
#                                      first line from the handler's
#                                      instruction on; 3.11: the frame's
#                                      next 'line' event after a raise
# python excs.py RUN does the same work with no hook of its own.
import sys


class AppError(Exception):
    pass


def tname(t):
    return t.__qualname__ if t.__module__ == "builtins" else "%s.%s" % (t.__module__, t.__qualname__)


def inner(n):
    if n:
        raise KeyError("k%d" % n)
    return 0


def mid(n):
    return inner(n) + 1


def work():
    for i in range(3):
        try:
            mid(i)
        except KeyError:
            pass
    try:
        int("x")
    except ValueError:
        pass
    try:
        try:
            raise AppError("caf\u00e9", 2)
        finally:
            pass
    except AppError:
        pass
    try:
        raise RuntimeError()
    except RuntimeError:
        pass
    d = {}
    try:
        d["missing"]
    except LookupError:
        pass


def line_of(code, off):
    best = None
    for s, e, ln in code.co_lines():
        if e > off and ln is not None and (best is None or s < best[0]):
            best = (s, ln)
    return best[1] if best else code.co_firstlineno


def main():
    mode = sys.argv[1]
    me = __file__
    if mode == "RUN":
        work()
        return
    log = []
    if sys.version_info >= (3, 12):
        M = sys.monitoring
        M.use_tool_id(0, "ref")

        def ev(kind):
            def cb(code, off, exc):
                if code.co_filename == me and code.co_name != "main":
                    log.append("%s %s:%d %s: %s" % (kind, code.co_name, line_of(code, off),
                                                   tname(type(exc)), exc))
            return cb
        M.register_callback(0, M.events.RAISE, ev("raise"))
        M.register_callback(0, M.events.EXCEPTION_HANDLED, ev("handled"))
        M.set_events(0, M.events.RAISE | M.events.EXCEPTION_HANDLED)
        work()
        M.set_events(0, 0)
    else:
        pending = {}

        def tr(frame, event, arg):
            co = frame.f_code
            if co.co_filename != me:
                return tr
            if event == "exception":
                e = arg[1]
                log.append("raise %s:%d %s: %s" % (co.co_name, frame.f_lineno, tname(type(e)), e))
                pending.clear()
                pending[frame] = e
            elif event == "line" and frame in pending:
                e = pending.pop(frame)
                log.append("handled %s:%d %s: %s" % (co.co_name, frame.f_lineno, tname(type(e)), e))
            elif event == "return":
                pending.pop(frame, None)
            return tr
        sys.settrace(tr)
        work()
        sys.settrace(None)
    print("\n".join(log))


main()
