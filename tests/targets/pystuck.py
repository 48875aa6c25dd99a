# pystuck.py OUT: the pystuck scenario.  Three threads get stuck in three
# ways (waiting for a threading.Lock, in time.sleep() under nested calls,
# spinning in a one-line Python loop) while the main thread sleeps.  The
# target writes to OUT what pytap's print_pystacks() must print, computed
# from its own sys._current_frames(), prints "ready" and waits to be
# killed.
import sys
import threading
import time

lock = threading.Lock()
lock.acquire()
spinning = [True]


def wait_for_lock():
    lock.acquire()


def nap(depth):
    if depth:
        nap(depth - 1)
    else:
        time.sleep(3600)


def spin():
    while spinning[0]: pass


def line(code, lineno):
    return "  %s (%s:%d)" % (code.co_qualname, code.co_filename, lineno)


def stack_of(frame):
    lines = []
    while frame is not None:
        lines.append(line(frame.f_code, frame.f_lineno))
        frame = frame.f_back
    return lines[::-1]


def settled(threads):
    """sys._current_frames() once every thread is where it gets stuck:
    in wait_for_lock, in the innermost of 4 nap() calls, in spin()."""
    import linecache    # here: the line numbers above stay as tests quote them
    want = {"locked": ("wait_for_lock", 1, "lock.acquire()"),
            "napping": ("nap", 4, "time.sleep(3600)"),
            "spinning": ("spin", 1, "while spinning[0]: pass")}
    while True:
        frames = sys._current_frames()
        ok = True
        for t in threads:
            frame = frames.get(t.ident)
            name, depth, text = want[t.name]
            if (frame is None or frame.f_code.co_name != name or
                    linecache.getline(__file__, frame.f_lineno).strip()
                    != text):
                ok = False
                continue
            n = 0
            while frame is not None and frame.f_code.co_name == name:
                n += 1
                frame = frame.f_back
            ok = ok and n == depth
        if ok:
            return frames
        time.sleep(0.001)


def main(out):
    threads = [threading.Thread(target=wait_for_lock, name="locked"),
               threading.Thread(target=nap, args=(3,), name="napping"),
               threading.Thread(target=spin, name="spinning", daemon=True)]
    for t in threads:
        t.start()
    frames = settled(threads)
    here = sys._getframe()
    with open(__file__) as f:
        wait_line = next(n for n, text in enumerate(f, 1)
                         if text.rstrip().endswith("# main waits"))
    text = []
    for t in [threading.main_thread()] + threads:
        text.append("Thread %d (%s):" % (t.native_id, t.name))
        if t is threading.main_thread():
            text.extend(stack_of(here.f_back) +
                        [line(here.f_code, wait_line)])
        else:
            text.extend(stack_of(frames[t.ident]))
    with open(out, "w") as f:
        f.write("\n".join(text) + "\n")
    # one line: pytap may stop main still in print() after "ready" is out
    print("ready", flush=True); time.sleep(3600)  # main waits


main(sys.argv[1])
