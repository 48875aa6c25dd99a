"""lptrace.py: the target of lptrace.pytap, a pretend server.  It handles
one request every 50 ms until it has handled 100 (about 5 seconds), then
exits.  Attach to it with pytap -x."""
import time


def parse(request):
    return request.split()


def handle(request):
    words = parse(request)
    return len(words)


def serve():
    for n in range(100):
        handle("GET /item/%d" % n)
        time.sleep(0.05)


if __name__ == "__main__":
    serve()
